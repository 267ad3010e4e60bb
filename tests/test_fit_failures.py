"""Failed fits are announced: one FitFailureWarning per run, one line on the command line, a
section in an experiment's summary, meta.json and the report."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np

import modelcollapse as mc
import modelcollapse.report as report_module
from modelcollapse._validation import collect_fit_failures
from modelcollapse.cli import main
from modelcollapse.experiments import registry
from modelcollapse.experiments.context import Experiment, Outcome
from modelcollapse.experiments.verdicts import Verdict

SEPARABLE = {"n0": 20, "schedule": 20, "generations": 12, "replications": 300, "seed": 4}


def _separable_run(**kwargs):
    return mc.simulate(
        mc.LogisticRegression(beta=[3.0, -3.0]),
        engine="sample",
        **{**SEPARABLE, "record": "all", **kwargs},
    )


def _one_warning(run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run()
    found = [w for w in caught if issubclass(w.category, mc.FitFailureWarning)]
    assert len(found) == 1, [str(w.message) for w in caught]
    return result, str(found[0].message), found[0]


def test_a_run_with_failed_fits_warns_once_with_what_failed():
    res, message, record = _one_warning(_separable_run)
    failed = res.values("fit_failed")
    share = failed[:, -1].mean()
    first = int(np.argmax(failed.any(axis=0)))
    assert 0 < share < 1
    assert f"{share:.1%} of the 300 replications had no estimate at the last generation" in message
    assert f"fits first failed at generation {first}" in message
    assert "LogisticRegression(p=2" in message
    assert record.filename == __file__  # it points at the caller's line
    assert issubclass(mc.FitFailureWarning, RuntimeWarning)


def test_the_warning_counts_every_generation_not_only_the_recorded_ones():
    _, everything, _ = _one_warning(_separable_run)
    _, final, _ = _one_warning(lambda: _separable_run(record="final"))
    assert final == everything


def test_workers_give_the_same_warning():
    _, one, _ = _one_warning(_separable_run)
    _, two, _ = _one_warning(lambda: _separable_run(workers=2, replications=2100))
    _, alone, _ = _one_warning(lambda: _separable_run(replications=2100))
    assert two == alone and "2,100 replications" in two and one != two


def test_a_weight_sweep_warns_once_naming_its_arms():
    fam = mc.LogisticRegression(beta=[3.0, -3.0])
    _, message, _ = _one_warning(
        lambda: mc.simulate_weights(
            fam,
            weights=[0.2, 0.9],
            n0=20,
            schedule=20,
            n_real=20,
            generations=8,
            replications=200,
            seed=2,
            engine="sample",
        )
    )
    assert "weight 0.2: " in message and "weight 0.9: " in message


def test_runs_whose_fits_cannot_fail_or_did_not_fail_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=5, replications=100, seed=1)
        mc.simulate(
            mc.LogisticRegression(beta=[0.2, 0.1]),
            n0=400,
            schedule=400,
            generations=3,
            replications=50,
            seed=1,
            engine="sample",
        )


def test_the_command_line_prints_one_line(capsys):
    argv = [
        "simulate",
        "--family",
        "logistic",
        "--beta",
        "3,-3",
        "--n0",
        "20",
        "--schedule",
        "20",
        "--generations",
        "12",
        "--replications",
        "300",
        "--engine",
        "sample",
        "--seed",
        "4",
        "--quiet",
    ]
    assert main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert re.match(r"^modelcollapse simulate: warning: fits of LogisticRegression\(", err[0])


def test_collect_fit_failures_keeps_other_warnings():
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with collect_fit_failures() as messages:
            warnings.warn(mc.FitFailureWarning("a"), stacklevel=1)
            warnings.warn(UserWarning("b"), stacklevel=1)
    assert messages == ["a"]
    assert [str(w.message) for w in outer] == ["b"]


def _failing_cell(seed):
    return _separable_run(seed=seed, replications=40).values("fit_failed")[:, -1].mean()


def _failing_run(ctx):
    shares = ctx.map(_failing_cell, [(1,), (2,)])  # in worker processes with --workers 2
    table = __import__("pandas").DataFrame({"share": shares})
    return Outcome(table, {}, table)


def test_an_experiment_reports_failed_fits(tmp_path, monkeypatch):
    experiment = Experiment(
        "tiny-fits",
        "failed fits",
        "test",
        "none",
        40,
        40,
        _failing_run,
        lambda table: [Verdict("a claim that holds", True, "(always)", kind="theory")],
    )
    monkeypatch.setitem(registry._REGISTRY, "tiny-fits", experiment)
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        folder = mc.experiments.run_experiment(
            "tiny-fits", out=out, quick=True, workers=workers, progress=False
        )
        meta = json.loads((folder / "meta.json").read_text())
        assert len(meta["fit_failures"]) == 2, meta["fit_failures"]
        assert all("LogisticRegression" in m for m in meta["fit_failures"])
        assert "## Failed fits" in (folder / "summary.md").read_text()
        html, _ = report_module._section(folder)
        assert "<h4>Failed fits</h4>" in html and "LogisticRegression(p=2" in html
