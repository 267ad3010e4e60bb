"""Tabular generators in the loop: generators, table metrics, the recursion and its CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import modelcollapse as mc
from modelcollapse.cli import main
from modelcollapse.tabular import (
    FitSampleAdapter,
    GaussianCopula,
    SklearnGaussianMixture,
    SklearnKernelDensity,
    check_table,
    make_generator,
    recurse,
    summarise,
    table_metrics,
)


def _table(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.7], [0.7, 1.0]], rows)
    return pd.DataFrame(
        {
            "x": z[:, 0] * 3.0 + 10.0,
            "y": z[:, 1],
            "k": rng.integers(18, 80, rows),
            "c": rng.choice(["a", "b", "c"], rows, p=[0.6, 0.3, 0.1]),
        }
    )


def _numeric(rows: int = 600) -> pd.DataFrame:
    return _table(rows)[["x", "y", "k"]].astype(float)


@pytest.mark.parametrize(
    ("factory", "numeric_only"),
    [
        (GaussianCopula, False),
        (lambda: SklearnGaussianMixture(n_components=2), True),
        (lambda: SklearnKernelDensity(bandwidth=0.3), True),
    ],
)
def test_generators_round_trip(factory, numeric_only):
    pytest.importorskip("sklearn")
    data = _numeric() if numeric_only else _table()
    rng = np.random.default_rng(1)
    gen = factory().fit(data, None, rng)
    out = gen.sample(400, rng)
    assert list(out.columns) == list(data.columns) and len(out) == 400
    metrics = table_metrics(out, data, gen, data.iloc[:100])
    assert all(np.isfinite(v) for v in metrics.values())
    assert abs(metrics["mean_shift[x]"]) < 0.3 and 0.5 < metrics["var_ratio[x]"] < 2.0
    if numeric_only:
        assert np.isfinite(metrics["heldout_loglik"])
    else:
        assert out["k"].dtype == data["k"].dtype and set(out["c"]) <= {"a", "b", "c"}


def test_copula_keeps_marginals_in_range_and_the_correlation():
    data = _table(4000)
    rng = np.random.default_rng(2)
    out = GaussianCopula().fit(data, None, rng).sample(20_000, rng)
    assert out.x.min() >= data.x.min() and out.x.max() <= data.x.max()
    assert np.corrcoef(out.x, out.y)[0, 1] == pytest.approx(0.7, abs=0.03)
    freq = out.c.value_counts(normalize=True)
    assert freq["a"] == pytest.approx(0.6, abs=0.02) and freq["c"] == pytest.approx(0.1, abs=0.01)


def test_weighted_fits_follow_the_weights():
    pytest.importorskip("sklearn")
    data = _table(1000)
    weights = np.where(data.c == "a", 1.0, 0.0)
    weights /= weights.sum()
    rng = np.random.default_rng(3)
    copula = GaussianCopula().fit(data, weights, rng).sample(2000, rng)
    assert set(copula.c) == {"a"}
    # A generator without weights sees a weighted resample: only rows of category "a".
    shift = np.where(data.c == "a", 100.0, 0.0)
    numeric = _numeric(1000).assign(x=lambda d: d.x + shift)
    for gen in (SklearnGaussianMixture(n_components=2), SklearnKernelDensity(bandwidth=0.1)):
        out = gen.fit(numeric, weights, rng).sample(2000, rng)
        assert out.x.min() > 50.0


def test_mixture_samples_are_shuffled():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(4)
    data = pd.DataFrame({"x": np.r_[rng.normal(-10, 1, 500), rng.normal(10, 1, 500)]})
    out = SklearnGaussianMixture(n_components=2).fit(data, None, rng).sample(1000, rng)
    first = (out.x.to_numpy()[:500] > 0).mean()
    assert 0.4 < first < 0.6  # unshuffled, the first half would be one component


def test_adapter_builds_fresh_seeded_objects():
    made = []

    class Bootstrap:
        def __init__(self, seed):
            self.rng = np.random.default_rng(seed)
            made.append(seed)

        def fit(self, frame):
            self.frame = frame

        def sample(self, n):
            return self.frame.iloc[self.rng.integers(0, len(self.frame), n)]

    data = _table(200)
    frame = recurse(data, lambda: FitSampleAdapter(Bootstrap), n0=100, schedule=100, generations=3)
    assert len(made) == 4 and len(set(made)) == 4  # one fresh object per fit, seeded apart
    assert frame.generation.tolist() == [0, 1, 2, 3]
    # A bootstrap never creates values: the support can only shrink.
    assert (frame["lost[c]"].diff().dropna() >= 0).all()


def test_table_metrics_exact_values():
    reference = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "a", "b", "c"]})
    sample = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "a", "b"]})
    m = table_metrics(sample, reference)
    sd = reference.x.std(ddof=0)
    assert m["mean_shift[x]"] == pytest.approx(1.0 / sd)
    assert m["var_ratio[x]"] == pytest.approx(1.0)
    assert m["wasserstein[x]"] == pytest.approx(1.0 / sd)
    assert m["tv[c]"] == pytest.approx(0.5 * (0.25 + 0.0 + 0.25))
    assert m["lost[c]"] == 1.0


def test_recursion_bookkeeping_and_seeds():
    data = _table(800)
    kwargs = {"n0": 200, "schedule": "linear:n=100", "generations": 4, "n_real": 50, "seed": 7}
    a = recurse(data, "copula", weight="optimal", replications=2, **kwargs)
    b = recurse(data, "copula", weight="optimal", replications=2, **kwargs)
    c = recurse(data, "copula", weight="optimal", replications=2, **{**kwargs, "seed": 8})
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a.replication.tolist() == [0] * 5 + [1] * 5
    first = a[a.replication == 0]
    assert first.n_synth.tolist() == [0, 100, 200, 300, 400]
    assert first.n_real.tolist() == [200, 50, 50, 50, 50]
    expected = mc.theory.optimal_weight(50 / first.n_synth.to_numpy()[1:])
    np.testing.assert_allclose(first.weight.to_numpy()[1:], expected)
    assert len(summarise(a)) == 5


def test_fully_synthetic_bootstrap_loses_categories_fresh_data_stops_it():
    data = _table(3000)
    rare = pd.DataFrame({"c": np.r_[["a"] * 2960, [f"r{i}" for i in range(40)]]})
    lone = recurse(rare, "copula", n0=300, schedule=60, generations=25, seed=1, holdout=0.0)
    fresh = recurse(
        rare,
        "copula",
        n0=300,
        schedule=60,
        n_real=300,
        weight=0.6,
        generations=25,
        seed=1,
        holdout=0.0,
    )
    assert lone["lost[c]"].iloc[-1] > fresh["lost[c]"].iloc[-1]
    assert data.shape == (3000, 4)


def test_bad_tables_and_options():
    with pytest.raises(mc.InvalidArgumentError, match="empty"):
        check_table(pd.DataFrame())
    with pytest.raises(mc.InvalidArgumentError, match="missing values"):
        check_table(pd.DataFrame({"x": [1.0, np.nan, 2.0]}))
    with pytest.raises(mc.InvalidArgumentError, match="one value"):
        check_table(pd.DataFrame({"x": [1.0, 2.0], "k": [3, 3]}))
    with pytest.raises(mc.InvalidArgumentError, match="numeric columns only"):
        recurse(_table(), "gmm", n0=50, schedule=50, generations=1)
    with pytest.raises(mc.InvalidArgumentError, match="only with fresh real data"):
        recurse(_table(), "copula", n0=50, schedule=50, generations=1, weight=0.5)
    with pytest.raises(mc.InvalidArgumentError, match="generator"):
        make_generator("vae")
    with pytest.raises(mc.InvalidArgumentError, match="n0"):
        recurse(_table(), "copula", n0=0, schedule=50, generations=1)


def test_cli_recurse_writes_metrics_and_figure(tmp_path, capsys):
    path = tmp_path / "table.csv"
    _table(500).to_csv(path, index=False)
    rc = main(
        [
            "recurse",
            "--data",
            str(path),
            "--n0",
            "200",
            "--generations",
            "3",
            "--out",
            str(tmp_path / "out"),
            "--n-real",
            "100",
            "--weight",
            "optimal",
        ]
    )
    assert rc == 0
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert metrics.generation.max() == 3 and "tv[c]" in metrics
    assert (tmp_path / "out" / "recurse.png").stat().st_size > 10_000
    assert "tv[c]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "name", "extra", "fragment"),
    [
        (None, "missing.csv", [], "no such file"),
        ("a,b\n", "empty.csv", [], "empty table"),
        ("", "blank.csv", [], "cannot read"),
        ("a,b\n1,x\n2,x\n3,x\n", "one.csv", [], "one value"),
        ("a,b\n1,x\n2,y\n3,x\n", "text.csv", ["--generator", "gmm"], "numeric columns only"),
        ("a,b\n1,2\n", "table.txt", [], "must end in"),
        ("a,b\n1,2\n2,3\n", "cols.csv", ["--columns", "a,z"], "not in the table"),
    ],
)
def test_cli_recurse_bad_files(tmp_path, capsys, content, name, extra, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    rc = main(["recurse", "--data", str(path), "--n0", "3", "--out", str(tmp_path / "o"), *extra])
    assert rc == 2
    assert fragment in capsys.readouterr().err


def test_sdv_synthesizer_in_the_loop():
    sdv = pytest.importorskip("sdv.single_table")
    from sdv.metadata import SingleTableMetadata

    data = _table(300)

    def make(seed):
        metadata = SingleTableMetadata()
        metadata.detect_from_dataframe(data)
        synth = sdv.GaussianCopulaSynthesizer(metadata)
        synth.set_random_state(seed)
        return synth

    frame = recurse(
        data, lambda: FitSampleAdapter(make, "sdv"), n0=200, schedule=200, generations=2
    )
    assert frame.generation.tolist() == [0, 1, 2]
