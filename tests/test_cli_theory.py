import json

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.cli import main


def test_collapse_probability_number(capsys):
    assert (
        main(
            [
                "theory",
                "collapse-probability",
                "--schedule",
                "constant:n=100",
                "--n0",
                "100",
                "--generations",
                "500",
                "--eps",
                "0.05",
                "--variance",
                "unbiased",
            ]
        )
        == 0
    )
    value = float(capsys.readouterr().out.strip())
    expected = theory.collapse_probability(100, [100] * 500, 0.05)[-1]
    assert value == pytest.approx(expected, abs=1e-9)


def test_win_probability_table_and_json(capsys):
    args = [
        "theory",
        "win-probability",
        "--schedule",
        "power:n0=100,s=1",
        "--n0",
        "100",
        "--generations",
        "40",
        "--every",
        "10",
    ]
    assert main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["generation", "win_probability"]
    assert len(lines) == 6
    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    values = [row["win_probability"] for row in payload["values"]]
    expected = theory.win_probability_plugin(100, [100 * t**2 for t in range(1, 41)])
    np.testing.assert_allclose(values, expected[::10])


def test_exact_win_probability_reports_its_standard_error(capsys):
    assert (
        main(
            [
                "theory",
                "win-probability",
                "--method",
                "exact",
                "--generations",
                "5",
                "--replications",
                "2000",
                "--format",
                "json",
            ]
        )
        == 0
    )
    row = json.loads(capsys.readouterr().out)["values"][0]
    assert 0 < row["win_probability"] < 0.5 and 0 < row["se"] < 0.01


def test_moments_and_schedule(capsys):
    assert (
        main(["theory", "moments", "--generations", "10", "--every", "5", "--variance", "mle"]) == 0
    )
    out = capsys.readouterr().out
    assert "E_sigma2" in out and "E_KL" in out
    assert (
        main(
            [
                "theory",
                "schedule",
                "--schedule",
                "power:n0=100,s=1",
                "--generations",
                "10",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "stable"
    assert payload["sum_inv_n_limit"] == pytest.approx(np.pi**2 / 600)
    assert payload["values"][0]["total_synthetic_samples"] == 100 * sum(t**2 for t in range(1, 11))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["collapse-probability", "--eps", "0"], "--eps: must lie in (0, inf]"),
        (["moments", "--schedule", "constant:n=1"], "--schedule: every size must be >= 2"),
        (["schedule", "--every", "0"], "--every: must be an integer >= 1"),
        (["win-probability", "--dim", "0"], "--dim: must be an integer >= 1"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_theory_errors(capsys, extra, fragment):
    assert main(["theory", *extra]) == 2  # argparse's usage errors included
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_bias_and_shrinkage_options(capsys):
    args = [
        "theory",
        "moments",
        "--schedule",
        "power:n0=100,s=0.5",
        "--generations",
        "50",
        "--bias=-1,0.5",
        "--format",
        "json",
    ]
    assert main(args) == 0
    row = json.loads(capsys.readouterr().out)["values"][0]
    mean, _ = theory.gaussian_variance_moments(
        100, [round(100 * t**1.5) for t in range(1, 51)], bias=(-1.0, 0.5)
    )
    assert row["E_sigma2"] == pytest.approx(mean[-1])
    assert main(["theory", "schedule", "--schedule", "power:n0=100,s=0.5", "--bias=-1,0.5"]) == 0
    assert "verdict: collapses" in capsys.readouterr().out
    assert (
        main(["theory", "collapse-probability", "--shrinkage", "0.05", "--generations", "20"]) == 0
    )
    assert 0 < float(capsys.readouterr().out) < 1
    assert (
        main(
            [
                "simulate",
                "--generations",
                "5",
                "--replications",
                "10",
                "--seed",
                "0",
                "--bias=-1,1",
                "--shrinkage",
                "shrink:delta=0.1,p=2",
            ]
        )
        == 0
    )
    header = capsys.readouterr().out.splitlines()[0]
    assert "bias=[-1.0, 1.0]" in header and "shrinkage=shrink:delta=0.1,p=2" in header
    assert main(["theory", "win-probability", "--bias=1,1"]) == 2
    assert "only the exact win probability" in capsys.readouterr().err
    assert main(["simulate", "--bias", "x"]) == 2
    assert "--bias: must be BETA,GAMMA" in capsys.readouterr().err


def test_optimal_weight_and_limiting_error(capsys):
    assert main(["theory", "optimal-weight", "--k", "1", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["optimal_weight"] == pytest.approx((5**0.5 - 1) / 2)
    assert out["naive_over_optimal"] == pytest.approx(1.0787, abs=1e-4)
    assert (
        main(
            [
                "theory",
                "limiting-error",
                "--k",
                "1",
                "--w",
                "0.5",
                "--family",
                "gaussian-covariance",
                "--dim",
                "2",
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["C"] == 6.0 and out["error_asymptotic"] == pytest.approx(0.04)
    assert out["error_exact"] > out["error_asymptotic"]
    assert main(["theory", "limiting-error", "--k", "0"]) == 2
    assert "--k: must be positive" in capsys.readouterr().err
    assert main(["theory", "limiting-error", "--family", "linear-fixed"]) == 2
    assert "needs a design matrix" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bias", "verdict"),
    [("--bias=1,0.5", "explodes"), ("--bias=-1,0.5", "collapses"), (None, "stable")],
)
def test_schedule_verdict_follows_the_sign_of_the_bias(capsys, bias, verdict):
    """power t^1.5 with a bias of order n^-1/2: sum n^-1/2 diverges, so a positive bias makes
    the variance explode (E sigma2_1000 = 7.3) and a negative one collapses it."""
    argv = ["theory", "schedule", "--schedule", "power:n0=100,s=0.5", "--generations", "1000"]
    argv += ["--format", "json"] + ([bias] if bias else [])
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == verdict
    if bias == "--bias=1,0.5":
        e_s2, _ = theory.gaussian_variance_moments(
            100, mc.Power(100, 0.5).sizes(1000), bias=(1.0, 0.5)
        )
        assert e_s2[-1] > 5
