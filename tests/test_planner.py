"""The planner's recommendations hold in simulation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.cli import main
from modelcollapse.planner import plan_schedule, plan_weight

REPS = 20_000


def _gaussian_run(n0: int, schedule: str, generations: int):
    return mc.simulate(
        mc.Gaussian(variance="unbiased"),
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=REPS,
        seed=21,
        record=[0, generations],
        metrics=["mean_error"],
    )


@pytest.mark.parametrize(
    ("n0", "generations", "limit", "kind"),
    [(20, 30, 2.5, "exponential"), (100, 500, 3.0, "two-phase")],
)
def test_the_recommended_schedule_meets_the_inflation_target(n0, generations, limit, kind):
    plan = plan_schedule(n0, generations, max_inflation=limit)
    best = plan.best
    assert best["family"] == kind
    assert best["verdict"] == "stable" and best["inflation"] <= limit
    assert (plan.candidates.inflation <= limit).all()
    assert best["total_synthetic"] == plan.candidates.total_synthetic.min()
    err = _gaussian_run(n0, best["schedule"], generations).values("mean_error")[:, -1]
    ratio, se = err.mean() * n0, err.std(ddof=1) * n0 / np.sqrt(REPS)  # sigma2 = 1
    assert abs(ratio - best["inflation"]) <= 4 * se  # E|mu_T - mu|^2 = (1 + r_T) / n0, exact
    assert ratio <= limit + 4 * se
    # A constant size of the same total meets it too at this horizon, but collapses.
    assert set(plan.comparison.verdict) == {"collapses"}


def test_the_recommended_schedule_meets_the_win_probability_target():
    n0, generations, q = 20, 30, 0.3
    plan = plan_schedule(n0, generations, target_win_probability=q)
    assert plan.best["win_probability"] >= q
    res = _gaussian_run(n0, plan.best["schedule"], generations)
    mu = res.params.mean[..., 0] if res.params.mean.ndim == 3 else res.params.mean
    wins = np.abs(mu[:, -1]) < np.abs(mu[:, 0])  # the truth is mu = 0
    p = wins.mean()
    assert p >= q - 4 * np.sqrt(q * (1 - q) / REPS)


def test_a_budget_buys_the_lowest_inflation_it_can():
    plan = plan_schedule(50, 40, budget=20_000)
    assert plan.best["total_synthetic"] <= 20_000
    assert plan.best["inflation"] == plan.candidates.inflation.min()
    assert (plan.candidates.total_synthetic <= 20_000).all()
    with pytest.raises(mc.InvalidArgumentError, match="target: give exactly one"):
        plan_schedule(50, 40, budget=1e4, max_inflation=2.0)
    with pytest.raises(mc.InvalidArgumentError, match="target_win_probability"):
        plan_schedule(50, 40, target_win_probability=0.5)
    with pytest.raises(mc.InvalidArgumentError, match="max_inflation"):
        plan_schedule(50, 40, max_inflation=1.0)


def test_the_recommended_weight_holds_in_simulation():
    n, m = 40, 80
    plan = plan_weight(n, m, "gaussian-mean", cov=np.eye(1))
    assert plan.optimal_weight == pytest.approx(float(mc.theory.optimal_weight(0.5)))
    assert plan.errors["optimal w*"] < plan.errors["naive k/(1+k)"] < plan.errors["real data only"]
    window = np.arange(40, 60)
    runs = mc.simulate_weights(
        mc.Gaussian(variance="unbiased"),
        weights=[plan.optimal_weight, plan.naive_weight],
        n0=n,
        schedule=m,
        n_real=n,
        generations=59,
        replications=REPS,
        seed=22,
        record=window,
        metrics=["mean_error"],
    )
    for res, name in zip(runs, ("optimal w*", "naive k/(1+k)"), strict=True):
        per_rep = res.values("mean_error").mean(axis=1)
        se = per_rep.std(ddof=1) / np.sqrt(REPS)
        assert abs(per_rep.mean() - plan.errors[name]) <= 4 * se, name


def test_plan_commands(capsys):
    assert (
        main(
            [
                "plan",
                "schedule",
                "--n0",
                "20",
                "--generations",
                "30",
                "--max-inflation",
                "2.5",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["best"]["inflation"] <= 2.5 and payload["comparison"]
    assert main(["plan", "weight", "--n-real", "100", "--n-synth", "100"]) == 0
    assert "w* = 0.6180" in capsys.readouterr().out
    assert (
        main(
            [
                "plan",
                "weight",
                "--n-real",
                "50",
                "--n-synth",
                "200",
                "--family",
                "logistic",
                "--dim",
                "2",
                "--format",
                "json",
            ]
        )
        == 0
    )
    payload = json.loads(capsys.readouterr().out)
    assert payload["C"] > 0 and len(payload["choices"]) == 3
    assert main(["plan", "schedule", "--n0", "20", "--generations", "30"]) == 2


@pytest.mark.parametrize("beta", [1.0, -1.0])
def test_the_planner_recommends_only_schedules_stable_under_the_bias(beta):
    plan = plan_schedule(100, 100, max_inflation=2.0, bias=(beta, 0.5))
    assert plan.best["verdict"] == "stable"
    assert set(plan.candidates["verdict"]) == {"stable"}
    assert plan.target["bias"] == [beta, 0.5]
    # power t^(1+s) needs (1 + s)/2 > 1 under a bias of order n^-1/2
    powers = plan.candidates[plan.candidates["family"] == "power"]["schedule"]
    assert all(float(s.split("s=")[1]) > 1.0 for s in powers)
    # constant and linear cannot be stable: their verdict follows the sign of the bias
    expected = "explodes" if beta > 0 else "collapses"
    assert set(plan.comparison["verdict"]) == {expected}


def test_plan_schedule_bias_on_the_command_line(capsys):
    argv = ["plan", "schedule", "--n0", "100", "--generations", "100", "--max-inflation", "2"]
    assert main([*argv, "--bias=1,0.5", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["best"]["verdict"] == "stable"
    assert {row["verdict"] for row in payload["comparison"]} == {"explodes"}
    assert main([*argv, "--bias", "oops"]) == 2
    assert "--bias" in capsys.readouterr().err
