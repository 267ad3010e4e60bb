"""Size checks before any work, numeric ranges, and an interrupted ``recurse`` (issue 19).

The one-line errors themselves are rows of docs/errors.md ("Sizes, numeric range and tabular
inputs"), run by tests/test_bad_inputs.py; this file checks what the rows cannot: how the memory
available is found, that the estimate is an honest bound and never refuses a run that fits, the
faster theory and planner, and Ctrl-C during ``recurse``.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

import modelcollapse as mc
from modelcollapse import _validation, planner, theory
from modelcollapse.cli import main
from modelcollapse.engine import _Plan
from modelcollapse.options import check_options
from modelcollapse.theory import paper1


def _plan(family, **kwargs):
    settings = {
        "n0": 100,
        "schedule": 100,
        "generations": 10,
        "replications": 100,
        "seed": 0,
        "engine": None,
        "n_real": 0,
        "regime": "replace",
        "shrinkage": None,
        "record": "auto",
        "metrics": None,
        "eps": 0.05,
        "chunk_size": None,
    }
    return _Plan(family, **{**settings, **kwargs})


# -- the memory available ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [("8GiB", 8 * 2**30), ("512MB", 512 * 10**6), ("1.5 GiB", int(1.5 * 2**30)), ("4096", 4096)],
)
def test_the_memory_variable_sets_the_memory_available(monkeypatch, text, size):
    monkeypatch.setenv(_validation.MEMORY_ENV, text)
    assert _validation.available_memory() == size


def test_a_malformed_memory_variable_is_one_line_error(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "lots")
    with pytest.raises(mc.InvalidArgumentError, match=r"^\$MODELCOLLAPSE_MEMORY: must be a size"):
        _validation.available_memory()


def test_the_system_reports_the_memory_available(monkeypatch):
    monkeypatch.delenv(_validation.MEMORY_ENV, raising=False)
    found = _validation.available_memory()
    assert found is None or found > 0


def test_no_check_where_the_memory_is_unknown(monkeypatch):
    monkeypatch.delenv(_validation.MEMORY_ENV, raising=False)

    def no_file(*args, **kwargs):
        raise OSError("no /proc here")

    def no_sysconf(name):
        raise ValueError(name)

    monkeypatch.setattr("builtins.open", no_file)
    monkeypatch.setattr(_validation.os, "sysconf", no_sysconf)
    assert _validation.available_memory() is None
    _validation.check_memory("replications", 1e30, 10**12)  # nothing to compare with


def test_format_bytes():
    assert _validation.format_bytes(512) == "512 bytes"
    assert _validation.format_bytes(29.8 * 2**30) == "29.8 GiB"
    assert _validation.format_bytes(5e6 * 2**60) == "5,000,000 EiB"


# -- the estimate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "kwargs"),
    [
        (mc.Gaussian(), {"replications": 20_000, "generations": 20}),
        (mc.Categorical.uniform(120), {"replications": 200, "generations": 2}),
        (mc.make_family("gaussian", dim=12), {"replications": 2_000, "generations": 3}),
        (mc.Gaussian(), {"replications": 500, "generations": 3, "engine": "sample"}),
        (mc.make_family("cdf"), {"replications": 200, "generations": 3}),
    ],
    ids=["gaussian", "categorical", "gaussian-d12", "sample-engine", "points"],
)
def test_the_estimate_bounds_what_a_run_allocates(family, kwargs):
    plan = _plan(family, **kwargs)
    estimate = plan._memory(plan.replications, 1, 1)
    tracemalloc.start()
    try:
        plan.run([None])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate <= 6 * peak + 2**20, (peak, estimate)


def test_a_run_that_fits_is_never_refused(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "64MiB")
    res = mc.simulate(mc.Gaussian(), n0=50, schedule=50, generations=30, replications=2_000)
    assert res.values("sigma2").shape == (2_000, 31)


def test_the_replications_that_fit_do_fit(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "256MiB")
    with pytest.raises(mc.InvalidArgumentError, match="at most ([0-9,]+) replications") as err:
        mc.simulate(mc.Gaussian(), n0=100, schedule=100, generations=10, replications=10**8)
    most = int(err.value.args[0].split("at most ")[1].split(" ")[0].replace(",", ""))
    plan = _plan(mc.Gaussian(), replications=most)
    assert plan._memory(most, 1, 1) <= 256 * 2**20 < plan._memory(most + 1, 1, 1)


def test_arms_and_workers_count(monkeypatch):
    plan = _plan(mc.Gaussian(), replications=10**6)
    one = plan._memory(10**6, 1, 1)
    assert plan._memory(10**6, 3, 1) > 2 * one
    assert plan._memory(10**6, 1, 4) > 1.5 * one
    monkeypatch.setenv(_validation.MEMORY_ENV, f"{int(1.5 * one)}")
    plan.check_run_memory(1, 1)
    with pytest.raises(mc.InvalidArgumentError, match="^replications: needs about"):
        plan.check_run_memory(3, 1)


def test_a_whole_horizon_recorded_names_the_generations(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "64MiB")
    with pytest.raises(mc.InvalidArgumentError, match="^generations: needs about") as err:
        mc.simulate(
            mc.Gaussian(), n0=100, schedule=100, generations=500_000, replications=1, record="all"
        )
    assert "generations fit with these settings" in str(err.value)


def test_configurations_are_sized_when_checked(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "8GiB")
    check_options({"replications": 1000})
    with pytest.raises(mc.InvalidArgumentError, match="^replications: needs about"):
        check_options({"replications": 10**9})


def test_a_size_check_does_not_make_the_labels_of_many_cells(monkeypatch):
    monkeypatch.setenv(_validation.MEMORY_ENV, "8GiB")
    family = mc.Categorical.uniform(10**6)
    with pytest.raises(mc.InvalidArgumentError, match="^k: needs about"):
        mc.simulate(family, n0=100, schedule=100, generations=10)
    assert "_labels" not in family.__dict__
    assert family.param_labels[:2] == ("p[0]", "p[1]")  # still made on first use


def test_a_large_state_runs_in_smaller_chunks():
    assert _plan(mc.Gaussian()).chunk == 64 * 1024
    assert _plan(mc.Categorical.uniform(2000)).chunk == 1024  # 128 MB per replication


def test_the_sample_engine_bound_without_another_engine():
    with pytest.raises(mc.InvalidArgumentError, match="the cdf family has no other engine"):
        mc.simulate(mc.make_family("cdf"), n0=100, schedule=2 * 10**9, generations=1)


def test_a_mean_that_fits_the_sizes_runs():
    res = mc.simulate(mc.Gaussian(mu=1e6), n0=100, schedule=100, generations=3, replications=50)
    assert np.all(res.values("mean_error") > 0)


def test_a_covariance_outside_the_range_is_refused():
    with pytest.raises(mc.InvalidArgumentError, match=r"^cov: eigenvalues must lie in \[1e-100"):
        mc.MultivariateGaussian(np.zeros(2), np.diag([1.0, 1e-120]))


def test_counts_from_numpy_integers_are_accepted():
    res = mc.simulate(
        mc.Gaussian(), n0=np.int64(50), schedule=50, generations=np.int32(2), replications=10
    )
    assert res.config["generations"] == 2


# -- theory and planner ----------------------------------------------------------------------


def test_the_counted_characteristic_function_is_the_summed_one(monkeypatch):
    sizes = [7] * 300
    fast = theory.collapse_probability(5, sizes, eps=0.3, generations=[0, 1, 50, 300])
    monkeypatch.setattr(paper1, "_pair_counts", lambda *args: None)
    slow = theory.collapse_probability(5, sizes, eps=0.3, generations=[0, 1, 50, 300])
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["inflation", "budget"])
def test_the_planner_search_finds_the_scale_a_scan_finds(kind):
    n0, generations = 20, 40

    def make(a):
        return f"power:n0={a},s=0.5"

    rows = {a: planner._row("power", make(a), n0, generations, 1) for a in range(1, 400)}
    if kind == "inflation":
        found = planner._smallest_scale(
            make, "power", n0, generations, 1, lambda r: r["inflation"] <= 1.5, guess=250
        )
        scan = next(a for a, r in rows.items() if r["inflation"] <= 1.5)
    else:
        found = planner._largest_scale(make, "power", n0, generations, 1, 50_000, guess=3)
        scan = max(a for a, r in rows.items() if r["total_synthetic"] <= 50_000)
    assert found == rows[scan]


def test_the_planner_sums_match_the_theory():
    row = planner._row("power", "power:n0=3,s=0.25", 7, 1000, 1)
    sizes = mc.parse_schedule("power:n0=3,s=0.25").sizes(1000)
    assert row["total_synthetic"] == int(sizes.sum())
    assert row["inflation"] == theory.risk_inflation(7, sizes)[-1]
    assert row["win_probability"] == pytest.approx(theory.win_probability_plugin(7, sizes)[-1])


# -- recurse: Ctrl-C and atomic output -------------------------------------------------------


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "good.csv"
    pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)}).to_csv(path, index=False)
    return path


def _recurse(table, out, n0=30):
    quick = ["--generations", "1", "--eval-rows", "200"]
    return main(["recurse", "--data", str(table), "--n0", str(n0), *quick, "--out", str(out)])


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_during_recurse_leaves_no_folder(tmp_path, table, capsys, monkeypatch):
    from modelcollapse import tabular

    monkeypatch.setattr(tabular, "recurse", _interrupt)
    before = set(tmp_path.iterdir())
    assert _recurse(table, str(tmp_path / "deep" / "out")) == 130
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "modelcollapse recurse: interrupted; nothing was written (an earlier output is left as "
        "it was)"
    ]
    assert set(tmp_path.iterdir()) == before


def test_ctrl_c_while_writing_keeps_the_older_output(tmp_path, table, capsys, monkeypatch):
    from matplotlib.figure import Figure

    out = tmp_path / "out"
    assert _recurse(table, str(out)) == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "notes.txt").write_text("mine")
    monkeypatch.setattr(Figure, "savefig", _interrupt)  # the last file written
    assert _recurse(table, out, n0=40) == 130
    assert "interrupted" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "notes.txt"} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "out"]  # no temporary


def test_recurse_replaces_its_files_and_keeps_others(tmp_path, table, capsys):
    out = tmp_path / "out"
    assert _recurse(table, str(out)) == 0
    (out / "notes.txt").write_text("mine")
    first = (out / "metrics.csv").read_text()
    assert _recurse(table, out, n0=40) == 0
    assert (out / "metrics.csv").read_text() != first
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "out"]
    mode = out.stat().st_mode & 0o777
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert mode == fresh.stat().st_mode & 0o777  # the permissions of a folder made by mkdir
