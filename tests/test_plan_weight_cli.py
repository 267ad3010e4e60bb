"""``plan weight`` states its assumptions: what w* optimises, the per-point sample weights of a
weighted fit, and, with a model family, the true parameters C was computed at and the option
that changes them."""

from __future__ import annotations

import json

import pytest

from modelcollapse.cli import main
from modelcollapse.planner import WEIGHT_OBJECTIVE, plan_weight

BASE = ["plan", "weight", "--n-real", "1000", "--n-synth", "5000"]


def _run(capsys, *extra: str) -> str:
    assert main([*BASE, *extra]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return " ".join(out.split())  # the prose is wrapped: compare it on one line


def test_it_says_what_it_optimises(capsys):
    out = _run(capsys)
    assert "w* = 0.3583" in out
    assert (
        "w* minimises the limiting error of repeated generations, each fitted to n_real fresh "
        "real points and n_synth synthetic points drawn from the previous generation's fit "
        "(paper 2); it is not the best weight for a one-off mix of real and synthetic data."
    ) in out


def test_it_prints_the_per_point_sample_weights(capsys):
    out = _run(capsys)
    # w*/n_real = 0.3583/1000 and (1 - w*)/n_synth = 0.6417/5000
    assert (
        "Sample weights of a weighted fit at w*: 0.0003583 on each real point (w*/n_real), "
        "0.0001283 on each synthetic point ((1 - w*)/n_synth); they sum to 1."
    ) in out
    assert "w/n_real (1-w)/n_synth" in out  # the table's columns, for every choice
    assert "naive k/(1+k) 0.1667 0.5455 0.0001667 0.0001667" in out  # pooling: equal weights
    plan = plan_weight(1000, 5000)
    real, synth = plan.sample_weights()
    assert 1000 * real + 5000 * synth == pytest.approx(1.0)
    assert plan.sample_weights(1.0) == (0.001, 0.0)


def test_with_a_family_it_names_the_true_parameters_and_the_option(capsys):
    out = _run(capsys, "--family", "logistic", "--dim", "5")
    assert (
        "logistic: C = 48.39, computed at the true coefficients beta = (1, 1, 1, 1, 1) and "
        "covariates x ~ N(0, I_5); change them with --beta B1,B2,... or --dim."
    ) in out
    other = _run(capsys, "--family", "logistic", "--beta", "0.5,-1,2")
    assert "beta = (0.5, -1, 2) and covariates x ~ N(0, I_3)" in other
    assert "C = 48.39" not in other
    assert "the true covariance 2 I_3; change it with --sigma2 and --dim." in _run(
        capsys, "--family", "gaussian-mean", "--dim", "3", "--sigma2", "2"
    )
    assert "the true cell probabilities p = (0.2, 0.8); change them with --p." in _run(
        capsys, "--family", "categorical", "--p", "0.2,0.8"
    )
    assert "cdf: C = 0.1667 for any continuous distribution." in _run(capsys, "--family", "cdf")


def test_json_holds_the_objective_weights_and_parameters(capsys):
    assert main([*BASE, "--family", "logistic", "--dim", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objective"] == WEIGHT_OBJECTIVE
    assert data["parameters"] == {"beta": [1.0, 1.0], "cov_x": [[1.0, 0.0], [0.0, 1.0]]}
    assert data["choices"][0]["w/n_real"] == pytest.approx(data["optimal_weight"] / 1000)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--beta", "1,2"], "--beta: applies with --family (got '1,2')"),
        (["--family", "gaussian-mean", "--beta", "1"], "--beta: applies to --family logistic"),
        (["--family", "logistic", "--beta", "1,x"], "--beta: must be a comma list of"),
        (["--family", "logistic", "--beta", "1,2", "--dim", "3"], "--beta: has 2 coefficients"),
        (["--family", "logistic", "--p", "0.5,0.5"], "--p: applies to --family categorical"),
    ],
)
def test_parameter_options_that_do_not_apply_are_one_line_errors(capsys, extra, message):
    assert main([*BASE, *extra]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"modelcollapse plan: error: {message}")
    assert len(err.splitlines()) == 1
