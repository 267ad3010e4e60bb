"""Verdicts of xu2025-win-probability, xu2025-bias and xu2025-general-family on small tables
built from the exact laws: each holds on the law itself and fails when the simulated part of
what it claims is broken; theory verdicts never read the simulated columns."""

import math

import numpy as np
import pandas as pd
import pytest

from modelcollapse import theory
from modelcollapse.engine import simulate
from modelcollapse.experiments import get_experiment
from modelcollapse.experiments.verdicts import perturbed
from modelcollapse.experiments.xu2025 import bias, general_family
from modelcollapse.families import Gaussian
from modelcollapse.schedules import Constant, Linear, Power


def _by_claim(verdicts, start):
    found = [v for v in verdicts if v.claim.startswith(start)]
    assert len(found) == 1, start
    return found[0]


# -- win probability ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def win_table():
    """Two collapsing and one stable schedule with the exact Q_T as the 'simulated' value."""
    n0, r, T = 100, 2_000, 60
    t = np.array([1, 2, 4, 8, 15, 30, 60])
    frames = []
    for name, schedule in {
        "constant": Constant(n0),
        "linear": Linear(n0),
        "t^2": Power(n0, 1.0),
    }.items():
        sizes = schedule.sizes(T)
        exact, exact_se = theory.win_probability_exact(n0, sizes, replications=20_000, seed=1)
        regime = theory.collapse_verdict(schedule)
        limit = theory.harmonic_limit(schedule)
        q_limit = math.atan(2 / math.sqrt(n0 * limit)) / math.pi if regime == "stable" else 0.0
        frames.append(
            pd.DataFrame(
                {
                    "schedule": name,
                    "regime": regime,
                    "n0": n0,
                    "T": T,
                    "replications": r,
                    "exact_paths": 20_000,
                    "t": t,
                    "q_sim": exact[t],
                    "q_sim_se": np.sqrt(exact[t] * (1 - exact[t]) / r),
                    "q_exact": exact[t],
                    "q_exact_se": exact_se[t],
                    "q_plugin": theory.win_probability_plugin(n0, sizes)[t],
                    "q_limit": q_limit,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _judge_win(table):
    return get_experiment("xu2025-win-probability").judge(table)


def test_win_probability_verdicts_hold_on_the_exact_law(win_table):
    verdicts = _judge_win(win_table)
    assert [v.kind for v in verdicts] == [
        "simulation",
        "theory",
        "simulation",
        "simulation",
        "approximation",
        "theory",
    ]
    assert all(v.holds is True for v in verdicts), [v.line() for v in verdicts]


def test_win_probability_theory_verdicts_ignore_the_simulation(win_table):
    broken = win_table.assign(q_sim=0.9)
    before = {v.claim: v for v in _judge_win(win_table)}
    for v in _judge_win(broken):
        if v.kind == "theory":
            assert v == before[v.claim]
        else:
            assert v.holds is False, v.claim


def test_win_probability_flat_collapsing_curve_is_no_fall(win_table):
    flat = win_table.copy()
    rows = flat.schedule == "linear"
    flat.loc[rows, "q_sim"] = flat.loc[rows & (flat.t == 1), "q_sim"].iloc[0]
    verdicts = _judge_win(flat)
    assert _by_claim(verdicts, "Under the collapsing schedules (constant, linear: ").holds is False
    assert _by_claim(verdicts, "Recursive training is less likely").holds is True


def test_win_probability_one_cell_above_half_breaks_the_bound(win_table):
    table = win_table.copy()
    table.loc[table.index[0], "q_sim"] = 0.52
    assert _by_claim(_judge_win(table), "Recursive training is less likely").holds is False


def test_win_probability_tilt_flips_the_fall_just_beyond_detectable(win_table):
    verdicts = _judge_win(win_table)
    fall = _by_claim(verdicts, "Under the collapsing schedules (constant, linear: ")
    judge = get_experiment("xu2025-win-probability").judge
    assert perturbed(judge, win_table, fall, size=0.5 * fall.detectable).holds is True
    assert perturbed(judge, win_table, fall, size=2 * fall.detectable).holds is False


# -- bias ---------------------------------------------------------------------------------------


def test_bias_cases_cover_the_three_outcomes():
    labels = {c.label: bias.theory_label(c) for c in bias.CASES}
    assert labels["MLE (bias -sigma2/n), t^1.5"] == "stable"
    assert labels["bias -n^-1/2, t^1.5"] == "collapses"
    assert labels["bias +n^-1/2, t^1.5"] == "explodes"
    assert labels["bias +n^-1/2, t^3 (accelerated)"] == "stable"
    assert labels["shrinkage 0.5/t, t^1.5"] == "collapses"
    assert labels["shrinkage 0.5 t^-1.5, t^1.5"] == "stable"


@pytest.fixture(scope="module")
def bias_table():
    """Every case with its exact moments as the 'simulated' values."""
    n0, r, T = 100, 1_000, 200
    record = np.unique(np.concatenate([[0], np.geomspace(1, T, 40).round()])).astype(int)
    t_half = int(record[np.searchsorted(record, T // 2)])
    frames = []
    for case in bias.CASES:  # from n0 = 100 real points
        family = Gaussian(**case.family)
        chain = {"bias": family.bias, "shrinkage": case.shrinkage}
        sizes = case.schedule.sizes(T)
        mean, var = theory.gaussian_variance_moments(n0, sizes, family.variance, **chain)
        e_log, v_log = theory.gaussian_log_variance_moments(n0, sizes, family.variance, **chain)
        frames.append(
            pd.DataFrame(
                {
                    "case": case.label,
                    "group": case.group,
                    "theory": bias.theory_label(case),
                    "n0": n0,
                    "eps": 0.05,
                    "T": T,
                    "t_half": t_half,
                    "replications": r,
                    "t": record,
                    "mean_sigma2_sim": mean[record],
                    "mean_sigma2_exact": mean[record],
                    "mean_sigma2_se": np.sqrt(var[record] / r),
                    "mean_log_sigma2_sim": e_log[record],
                    "mean_log_sigma2_exact": e_log[record],
                    "mean_log_sigma2_se": np.sqrt(v_log[record] / r),
                    "median_sigma2": mean[record],
                    "collapsed_sim": 0.0,
                    "collapsed_exact": 0.0,
                    "collapsed_se": 0.0,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _judge_bias(table):
    return get_experiment("xu2025-bias").judge(table)


def test_bias_regime_verdicts_hold_on_the_exact_law(bias_table):
    verdicts = _judge_bias(bias_table)
    assert [v.kind for v in verdicts] == ["simulation"] * 3 + ["approximation"] * 3
    regimes = verdicts[3:]
    assert all(v.holds is True for v in regimes), [v.line() for v in regimes]


def test_bias_a_positive_bias_that_does_not_explode_fails(bias_table):
    table = bias_table.copy()
    rows = (table.case == "bias +n^-1/2, t^1.5") & (table.t > table.t_half)
    level = table.loc[(table.case == "bias +n^-1/2, t^1.5") & (table.t == table.t_half)]
    table.loc[rows, "mean_sigma2_sim"] = level.mean_sigma2_sim.iloc[0]
    verdicts = _judge_bias(table)
    assert _by_claim(verdicts, "Bias of order n^-1/2 needs").holds is False
    assert _by_claim(verdicts, "Bias of order n^-1 (").holds is True


def test_bias_shrinkage_that_stops_collapsing_fails(bias_table):
    table = bias_table.copy()
    case = "shrinkage 0.5/t, t^1.5"
    rows = (table.case == case) & (table.t > table.t_half)
    level = table.loc[(table.case == case) & (table.t == table.t_half), "mean_sigma2_sim"]
    table.loc[rows, "mean_sigma2_sim"] = level.iloc[0]
    assert _by_claim(_judge_bias(table), "Multiplicative shrinkage").holds is False


def test_bias_window_ratio_se_matches_independent_batches():
    """The exact SE of E sigma2_T / E sigma2_h against the spread over independent runs."""
    n0, T, h, r = 100, 60, 30, 400
    schedule, family = Power(n0, 0.5), Gaussian(bias=(1.0, 0.5))
    sizes = schedule.sizes(T)
    mean, var = theory.gaussian_variance_moments(n0, sizes, "unbiased", bias=family.bias)
    ratios = []
    for seed in range(40):
        res = simulate(
            family,
            n0=n0,
            schedule=schedule,
            generations=T,
            replications=r,
            seed=seed,
            record=[h, T],
            metrics=["sigma2"],
        )
        s2 = res.values("sigma2")
        ratios.append(s2[:, 1].mean() / s2[:, 0].mean())
    table = pd.DataFrame(
        {
            "case": "c",
            "t": [h, T],
            "t_half": h,
            "T": T,
            "theory": "explodes",
            "mean_sigma2_sim": [1.0, 1.0],
            "mean_sigma2_exact": [mean[h], mean[T]],
            "mean_sigma2_se": np.sqrt(np.array([var[h], var[T]]) / r),
        }
    )
    se = bias.window_ratios(table, table).se.iloc[0]
    spread = float(np.std(ratios, ddof=1))
    # 40 batches: the sample SD is within about 30% of the truth with high probability.
    assert 0.65 * se < spread < 1.5 * se
    assert abs(np.mean(ratios) - mean[T] / mean[h]) < 4 * se / math.sqrt(40) + 1e-3


# -- general families ---------------------------------------------------------------------------


def _general_frames(family, rank, T, n0=10_000, r=1_000, engine="exact"):
    """Both schedules of one family with 1 + r_t as the 'simulated' inflation."""
    frames = []
    for s_name, schedule in (("constant n0", Constant(n0)), ("power n0 t^2", Power(n0, 1.0))):
        predicted = theory.risk_inflation(n0, schedule.sizes(T))
        # The rise since T/2 of n0 |theta - theta*|^2 / d, theta_t = theta_h + a normal step.
        gap = predicted - predicted[T // 2]
        var = (4 * predicted[T // 2] * np.abs(gap) * rank + 2 * rank * gap**2) / rank**2
        frames.append(
            pd.DataFrame(
                {
                    "family": family,
                    "schedule": s_name,
                    "regime": theory.collapse_verdict(schedule),
                    "n0": n0,
                    "T": T,
                    "replications": r,
                    "engine": engine,
                    "rank": rank,
                    "t": np.arange(T + 1),
                    "inflation_sim": predicted,
                    "inflation_se": predicted * math.sqrt(2 / (rank * r)),
                    "inflation_theory": predicted,
                    "rise_sim": gap,
                    "rise_se": np.sqrt(var / r),
                }
            )
        )
    return frames


@pytest.fixture(scope="module")
def general_table():
    """Two families under both schedules, with 1 + r_t as the 'simulated' inflation."""
    frames = _general_frames("A", 1, 20) + _general_frames("B", 2, 20)
    return pd.concat(frames, ignore_index=True)


def _judge_general(table):
    return get_experiment("xu2025-general-family").judge(table)


def test_general_family_verdicts_hold_on_the_law(general_table):
    verdicts = _judge_general(general_table)
    assert [v.kind for v in verdicts] == ["approximation", "approximation"]
    assert all(v.holds is True for v in verdicts), [v.line() for v in verdicts]


def test_general_family_power_inflation_above_its_limit_fails(general_table):
    table = general_table.copy()
    rows = (table.regime == "stable") & (table.family == "A") & (table.t >= 10)
    table.loc[rows, "inflation_sim"] = 1 + math.pi**2 / 6 + 10 * table.loc[rows, "inflation_se"]
    assert _by_claim(_judge_general(table), "The collapse dichotomy").holds is False


def test_general_family_dichotomy_flips_just_beyond_detectable(general_table):
    judge = get_experiment("xu2025-general-family").judge
    dichotomy = _by_claim(judge(general_table), "The collapse dichotomy")
    assert perturbed(judge, general_table, dichotomy, size=0.5 * dichotomy.detectable).holds
    assert perturbed(judge, general_table, dichotomy).holds is False


def test_general_family_constant_schedule_that_levels_off_fails(general_table):
    table = general_table.copy()
    rows = (table.regime == "collapses") & (table.family == "B") & (table.t > 10)
    table.loc[rows, "inflation_sim"] = table.loc[
        (table.regime == "collapses") & (table.family == "B") & (table.t == 10), "inflation_sim"
    ].iloc[0]
    table.loc[rows, "rise_sim"] = 0.0
    verdicts = _judge_general(table)
    assert _by_claim(verdicts, "The collapse dichotomy").holds is False
    assert _by_claim(verdicts, "For every family").holds is False


# -- general families: the ScipyFamily panels ---------------------------------------------------


def test_general_cases_run_weibull_and_lognormal_through_scipy():
    """The two ScipyFamily panels, on the sample engine, measure the error in the metric of the
    right V*: the closed-form information of the Weibull (shape c, scale) and log-normal
    (s, scale) laws."""
    from modelcollapse.families import ScipyFamily

    for quick in (True, False):
        cases = {c.name: c for c in general_family.cases(quick)}
        weibull = cases["Weibull (shape, scale; ScipyFamily)"]
        lognormal = cases["log-normal (s, scale; ScipyFamily)"]
        for case in (weibull, lognormal):
            assert isinstance(case.family, ScipyFamily) and case.engine == "sample"
            assert case.family.param_labels[1] == "scale" and case.T >= 2
    c, lam, euler = 1.5, 1.0, 0.5772156649015329
    weibull_info = np.array(
        [
            [((1 - euler) ** 2 + math.pi**2 / 6) / c**2, -(1 - euler) / lam],
            [-(1 - euler) / lam, c**2 / lam**2],
        ]
    )
    s = 0.5
    lognormal_info = np.diag([2 / s**2, 1 / s**2])
    for case, info in ((weibull, weibull_info), (lognormal, lognormal_info)):
        family = case.family
        v_star = np.asarray(family.asymptotic_covariance(family.broadcast(family.truth(), 1)))[0]
        np.testing.assert_allclose(v_star, np.linalg.inv(info), rtol=1e-6, atol=1e-9)


@pytest.fixture(scope="module")
def mixed_table(general_table):
    """The exact-engine families beside a short sample-engine panel (T = 4, fewer replications),
    as the ScipyFamily panels run."""
    short = _general_frames("W", 2, 4, n0=300, r=1_000, engine="sample")
    return pd.concat([general_table, *short], ignore_index=True)


def test_general_family_verdicts_hold_with_a_short_sample_engine_panel(mixed_table):
    verdicts = _judge_general(mixed_table)
    assert all(v.holds is True for v in verdicts), [v.line() for v in verdicts]


def test_general_family_short_panel_that_levels_off_fails(mixed_table):
    """The rise from T/2 to T is read at each family's own T: a short panel whose constant
    schedule stops rising after t = 2 breaks the dichotomy, the long ones intact."""
    table = mixed_table.copy()
    rows = (table.family == "W") & (table.regime == "collapses")
    level = table.loc[rows & (table.t == 2), "inflation_sim"].iloc[0]
    table.loc[rows & (table.t > 2), "inflation_sim"] = level
    table.loc[rows & (table.t > 2), "rise_sim"] = 0.0
    verdicts = _judge_general(table)
    assert _by_claim(verdicts, "The collapse dichotomy").holds is False
    assert "W: " in _by_claim(verdicts, "The collapse dichotomy").evidence


def test_general_family_short_panel_above_the_limit_fails(mixed_table):
    table = mixed_table.copy()
    rows = (table.family == "W") & (table.regime == "stable") & (table.t == 4)
    table.loc[rows, "inflation_sim"] = 1 + math.pi**2 / 6 + 8 * table.loc[rows, "inflation_se"]
    verdicts = _judge_general(table)
    assert _by_claim(verdicts, "The collapse dichotomy").holds is False
    assert _by_claim(verdicts, "For every family").holds is False
