"""The verdicts of peers-regression, peers-bounds, peers-discrete and strategies, judged on small
tables built from the exact laws (simulated = theory, SEs of a realistic size), then broken in
the one way each claim is about."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from modelcollapse import theory
from modelcollapse.experiments.peers import (
    bounds,
    discrete,
    discrete_verdicts,
    regression,
    strategies,
    strategies_arms,
)
from modelcollapse.experiments.peers.strategies_arms import STRATEGIES
from modelcollapse.experiments.verdicts import ordering, perturbed


def _by_claim(verdicts, start):
    (hit,) = [v for v in verdicts if v.claim.startswith(start)]
    return hit


# -- the ordering helper --------------------------------------------------------------------------


def test_ordering_holds_when_the_predicted_gap_is_seen():
    o = ordering(0.5, 0.05, 0.5, 1.0)
    assert o.holds() is True and o.informative
    # detectable: the predicted gap less (threshold - 2) SE, relative to the scale
    assert o.detectable == pytest.approx((0.5 - 2.0 * 0.05) / 1.0)
    assert ordering(0.1, 0.05, 0.5, 1.0).holds() is False  # gap predicted, not seen
    assert ordering(-0.5, 0.05, 0.5, 1.0).holds() is False  # reversed


def test_ordering_is_not_informative_below_the_resolution():
    o = ordering(0.5, 0.05, 0.25, 1.0)  # predicted gap 5 SE < (4 + 2) SE
    assert o.holds() is None and not o.informative
    assert o.detectable == pytest.approx(6 * 0.05)


# -- peers-regression ---------------------------------------------------------------------------


def _regression_table(generations=20, reps=1000, c=0.12):
    rows = []
    for regime, law in (("replace", theory.replace_error), ("accumulate", theory.accumulate_error)):
        exact = law(c, generations)
        se = math.sqrt(2 / 10) * exact / math.sqrt(reps)
        rows.append(
            pd.DataFrame(
                {
                    "regime": regime,
                    "t": np.arange(generations + 1),
                    "error": exact,
                    "se": se,
                    "se_exact": se,
                    "theory": exact,
                    "c": c,
                    "bound": math.pi**2 / 6 * c,
                    "d": 10,
                    "n": 100,
                    "generations": generations,
                    "replications": reps,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_regression_accumulate_above_the_bound_fails():
    table = _regression_table()
    verdicts = regression.judge(table)
    assert [v.holds for v in verdicts] == [True, True, True]
    assert [v.kind for v in verdicts] == ["simulation", "simulation", "theory"]
    bounded = _by_claim(verdicts, "Accumulating the data")
    last = (table.regime == "accumulate") & (table.t == 20)
    broken = table.copy()
    broken.loc[last, "error"] = table.bound[last] + 6 * table.se_exact[last]
    again = regression.judge(broken)
    assert _by_claim(again, "Accumulating the data").holds is False
    assert _by_claim(again, "The exact laws").holds is True  # theory reads no simulation
    assert perturbed(regression.judge, table, bounded).holds is False


# -- peers-bounds -------------------------------------------------------------------------------


def _bounds_table(generations=40, reps=10_000):
    rows = []
    k = np.arange(1, generations + 1)
    for n, eps in ((5, 0.3), (10, 0.5)):
        exact = 1.0 - theory.collapse_probability(
            n, [n] * (generations - 1), eps=eps**2, variance="unbiased", generations=k - 1
        )
        rows.append(
            pd.DataFrame(
                {
                    "n": n,
                    "eps": eps,
                    "k": k,
                    "simulated": exact,
                    "se": np.sqrt(exact * (1 - exact) / reps),
                    "exact": exact,
                    "suresh": theory.suresh_bound(n, k, 1.0, eps),
                    "bertrand": theory.markov_sigma_bound(n, k, 1.0, eps),
                    "replications": reps,
                    "generations": generations,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_bounds_a_simulated_probability_above_the_bound_fails():
    table = _bounds_table()
    verdicts = bounds.judge(table)
    assert [v.holds for v in verdicts] == [True, True, True]
    assert verdicts[0].kind == "theory"
    under = _by_claim(verdicts, "The simulated probability")
    assert under.detectable < 0.05  # the test sees a small excess over the bound
    tight = np.minimum(table.suresh, table.bertrand)
    cell = int(np.argmin(np.where(tight < 1, tight, np.inf)))
    lifted = table.copy()
    lifted.loc[cell, "simulated"] = tight[cell] * 1.2
    again = bounds.judge(lifted)
    assert _by_claim(again, "The simulated probability").holds is False
    assert _by_claim(again, "The exact probability").holds is True
    # where the bound is capped at 1 nothing can exceed it, and the test does not read it
    capped = table.copy()
    capped.loc[tight >= 1, "simulated"] = 1.0
    assert _by_claim(bounds.judge(capped), "The simulated probability").holds is True
    assert perturbed(bounds.judge, table, under).holds is False


# -- peers-discrete -----------------------------------------------------------------------------


def _discrete_table(reps=4000, sizes=(10, 20, 50), horizon=60):
    part = discrete.panel_rows
    p = 1.0 / np.arange(1, 11)
    p /= p.sum()
    n = 50
    t = np.arange(horizon + 1)
    het = theory.heterozygosity(p, n, horizon, n0=n)
    cells = theory.cell_loss_probability(p, n, horizon, n0=n)
    lost = cells.sum(axis=1)
    last = cells[-1]
    frames = [
        part("heterozygosity", n=n, t=t, simulated=het, se=0.01 * het, exact=het),
        part("cells_lost", n=n, t=t, simulated=lost, se=0.01 * lost + 0.01, exact=lost),
        part(
            "cell_lost_at_T",
            n=n,
            t=horizon,
            cell=np.arange(1, 11),
            p=p,
            simulated=last,
            se=np.sqrt(last * (1 - last) / reps),
            exact=last,
        ),
        part(
            "rare_gap",
            n=n,
            t=[horizon],
            simulated=[last[-1] - last[0]],
            se=[0.01],
            exact=[last[-1] - last[0]],
            scale=[last[-1]],
        ),
    ]
    for size in sizes:
        alive = 1.0 - theory.expected_cells_lost([0.5, 0.5], size, 16 * size, n0=size)
        mean = float(alive.sum())
        frames.append(
            part(
                "absorption_time",
                n=[size],
                t=[16 * size],
                simulated=[mean],
                se=[0.7 * mean / math.sqrt(reps)],
                exact=[mean],
                diffusion=[float(theory.absorption_time_diffusion(size, 0.5))],
                scale=[theory.absorption_time(size, 0.5, n0=size)],
            )
        )
        frames.append(
            part(
                "survival",
                n=size,
                t=np.arange(16 * size + 1),
                simulated=alive,
                se=np.sqrt(alive * (1 - alive) / reps),
                exact=alive,
            )
        )
    table = pd.concat(frames, ignore_index=True)
    table["replications"] = reps
    table["dkw_level"] = 1e-4
    return table


def test_discrete_verdicts_and_their_perturbations():
    table = _discrete_table()
    verdicts = discrete.judge(table)
    assert all(v.holds is True for v in verdicts), [v.claim for v in verdicts if not v.holds]
    kinds = {v.claim.split(":")[0][:40]: v.kind for v in verdicts}
    assert list(kinds.values()).count("theory") == 2
    assert [v.kind for v in verdicts][-1] == "approximation"  # against 2 n ln 2
    for verdict in verdicts:
        if verdict.kind != "theory":
            again = perturbed(discrete.judge, table, verdict)
            assert again.holds is False, verdict.claim


def test_discrete_rare_cells_reversed_and_stretched_times_fail():
    table = _discrete_table()
    gap = table.panel == "rare_gap"
    reversed_ = table.copy()
    reversed_.loc[gap, "simulated"] = -table.loc[gap, "simulated"]
    again = discrete.judge(reversed_)
    assert _by_claim(again, "Rare cells are lost first").holds is False
    assert _by_claim(again, "The exact probability that a cell").holds is True
    stretched = discrete_verdicts.stretched(table, 0.3)
    again = discrete.judge(stretched)
    assert _by_claim(again, "The whole distribution").holds is False


def test_discrete_diffusion_claim_reads_the_simulation_only():
    table = _discrete_table()
    rows = table.panel == "absorption_time"
    flat = table.copy()
    # a simulated shortfall that does not shrink with n: the approach to 2 n ln 2 fails, while
    # the theory statement about the exact chain still holds
    flat.loc[rows, "simulated"] = 0.85 * table.loc[rows, "diffusion"]
    again = discrete.judge(flat)
    assert _by_claim(again, "The mean absorption time approaches").holds is False
    assert _by_claim(again, "The exact mean absorption time").holds is True


# -- strategies ---------------------------------------------------------------------------------


def _strategies_table(rel_se=0.02, pair_se=0.002):
    """Curves, windows and pairs from the laws; accumulate-subsample gets a made-up curve."""
    settings = {"gaussian": (50, 20, 1000, 1.0), "logistic": (200, 6, 500, 4.0)}
    rows = []
    for family, (n, generations, reps, c) in settings.items():
        exact = family == "gaussian"
        t0 = generations // 2
        same = {"family": family, "n": n, "generations": generations, "t0": t0}
        same.update(replications=reps, c=c)
        laws = {s: strategies_arms.law(s, n, generations, c, exact) for s in STRATEGIES}
        window = {s: (math.nan if v is None else float(v[t0:].mean())) for s, v in laws.items()}
        for s, law in laws.items():
            curve = 2 * laws["accumulate"] if law is None else law
            rows.append(
                pd.DataFrame(
                    {
                        "part": "curve",
                        **same,
                        "strategy": s,
                        "t": np.arange(generations + 1),
                        "error": curve,
                        "se": rel_se * curve,
                        "theory": np.nan if law is None else law,
                        "failed_fits": 0,
                    }
                )
            )
            value = float(curve[t0:].mean())
            rows.append(
                pd.DataFrame(
                    {
                        "part": "window",
                        **same,
                        "strategy": [s],
                        "error": [value],
                        "se": [rel_se * value / 3],
                        "theory": [window[s]],
                        "stationary": [strategies_arms.stationary(s, n, c)],
                        "pairs": [reps],
                    }
                )
            )
        with_law = [s for s in STRATEGIES if laws[s] is not None]
        for a, b in itertools.combinations(with_law, 2):
            gap = window[b] - window[a]
            rows.append(
                pd.DataFrame(
                    {
                        "part": "pair",
                        **same,
                        "strategy": [a],
                        "other": [b],
                        "error": [gap],
                        "se": [pair_se * c / n],
                        "theory": [gap],
                        "law_a": [window[a]],
                        "law_b": [window[b]],
                        "pairs": [reps],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_strategies_claims_are_worded_before_the_run():
    table = _strategies_table()
    verdicts = strategies.judge(table)
    claims = [v.claim for v in verdicts]
    assert len(set(claims)) == len(claims)
    # the claims name what the theory predicts, whatever the simulation gives
    swapped = table.copy()
    swapped.loc[swapped.part == "pair", "error"] *= -1
    assert [v.claim for v in strategies.judge(swapped)] == claims
    assert any("golden-ratio mixing has a lower error than naive" in c for c in claims)
    assert any("greedy time-varying weight has a lower error than naive" in c for c in claims)
    assert all(v.holds is not False for v in verdicts), [v.claim for v in verdicts]


def test_strategies_orderings_fail_when_reversed():
    table = _strategies_table()
    reversed_ = table.copy()
    reversed_.loc[reversed_.part == "pair", "error"] *= -1
    again = {v.claim: v for v in strategies.judge(reversed_)}
    orderings = [c for c in again if "lower error than" in c or "higher error than" in c]
    assert len(orderings) == 6
    for claim in orderings:
        assert again[claim].holds is not True, claim
    gauss = [c for c in orderings if c.startswith("gaussian")]
    assert all(again[c].holds is False for c in gauss)
    assert (
        again[
            "logistic: the simulation orders the strategies as the first-order laws do (mean error "
            "over generations 3..6)."
        ].holds
        is False
    )


def test_strategies_greedy_verdicts():
    table = _strategies_table()
    verdicts = strategies.judge(table)
    stationary = _by_claim(verdicts, "gaussian: the greedy weight reaches")
    law = _by_claim(verdicts, "gaussian: the greedy time-varying weight's simulated error")
    assert stationary.holds is True and stationary.kind == "simulation"
    assert law.holds is True and law.kind == "simulation"
    # the greedy arm's window error off by 10 SE: it no longer reaches w* C/n
    rows = (table.part == "window") & (table.family == "gaussian") & (table.strategy == "greedy")
    off = table.copy()
    off.loc[rows, "error"] += 10 * table.loc[rows, "se"]
    assert _by_claim(strategies.judge(off), "gaussian: the greedy weight reaches").holds is False
    for verdict in verdicts:
        if verdict.kind != "theory" and verdict.holds is not None:
            assert perturbed(strategies.judge, table, verdict).holds is False, verdict.claim
