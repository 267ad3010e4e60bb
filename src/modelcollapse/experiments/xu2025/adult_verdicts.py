"""The verdicts of ``xu2025-adult`` (paper 1's schedules on the Adult data), pure functions of
its results table, and the constants they share with the experiment."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ... import theory
from ...data import ADULT_NUMERIC
from ...schedules import Constant, Exponential, Linear, Power, Schedule
from ..he2025 import law_verdict, log_det_change_moments
from ..verdicts import Verdict, threshold
from .common import capped_horizon

__all__ = [
    "ALL_COLUMNS",
    "MAX_RELATIVE_GAP",
    "NUMERIC",
    "THEORY_HORIZONS",
    "adult_schedules",
    "fewer_lost",
    "judge",
    "loses_most",
    "scale_rows",
    "theory_collapse",
]

#: The ``part`` of the numeric columns' rows, and of the rows summed over the categorical
#: columns (the other rows' ``part`` is the categorical column's name).
NUMERIC = "numeric (Gaussian)"
ALL_COLUMNS = "categories lost (all columns)"
#: The largest relative excess of lost categories the ordering test may need to detect.
MAX_RELATIVE_GAP = 0.5
#: Horizons at which the closed forms are checked for divergence.
THEORY_HORIZONS = (1_000, 10_000, 100_000)


def adult_schedules(n0: int) -> dict[str, Schedule]:
    """The schedules compared, by name: constant, linear, quadratic and doubling from ``n0``."""
    return {
        "constant": Constant(n0),
        "linear": Linear(n0),
        "t^2": Power(n0, 1.0),
        "2^t": Exponential(n0, 2.0),
    }


def scale_rows(part: str, column: str) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Scale ``column`` by ``1 + size`` on the rows of ``part`` (``"categorical"``: every
    categorical column's rows)."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        if part == "categorical":
            rows = ~out.part.isin([NUMERIC, ALL_COLUMNS])
        else:
            rows = out.part == part
        out.loc[rows, column] = out.loc[rows, column] * (1.0 + size)
        return out

    return perturb


def fewer_lost(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """The constant schedule loses fewer categories than each growing schedule, by ``size``
    of the growing schedule's loss, at that schedule's horizon."""
    out = table.copy()
    lost = out[out.part == ALL_COLUMNS]
    for name, horizon in lost.groupby("schedule")["T"].first().items():
        if name == "constant":
            continue
        other = float(lost[(lost.schedule == name) & (lost.t == horizon)].cells_lost.iloc[0])
        rows = (out.part == ALL_COLUMNS) & (out.schedule == "constant") & (out.t == horizon)
        out.loc[rows, "cells_lost"] = np.minimum(out.loc[rows, "cells_lost"], other * (1 - size))
    return out


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``xu2025-adult``, from its results table alone."""
    n0, r = int(table.n0.iloc[0]), int(table.R.iloc[0])
    reach = f"at every recorded generation where a sample mean of {r:,} replications can test it"
    numeric = table[table.part == NUMERIC]
    categorical = table[~table.part.isin([NUMERIC, ALL_COLUMNS])]
    verdicts = [
        law_verdict(
            "Fitted to real rows, the Gaussian mean's error follows paper 1's inflation law "
            f"E|mu_t - mu|^2 = (tr Sigma/n0)(1 + r_t) exactly under every schedule, {reach}.",
            numeric.t,
            numeric.mean_error,
            numeric.mean_error_theory,
            numeric.mean_error_se_exact,
            ("mean_error",),
            groups=numeric.schedule,
            perturb=scale_rows(NUMERIC, "mean_error"),
        ),
        law_verdict(
            "Each categorical column's sum (p_t - p)^2 follows its exact law "
            f"G (1 - prod (1 - 1/n_s)) under every schedule, {reach}.",
            categorical.t,
            categorical.mean_error,
            categorical.mean_error_theory,
            categorical.mean_error_se_exact,
            ("mean_error",),
            groups=categorical.part,
            perturb=scale_rows("categorical", "mean_error"),
        ),
        law_verdict(
            "The fitted covariance's log-determinant, from generation 0, follows its exact law "
            f"(independent log chi-square steps) under every schedule, {reach}.",
            numeric.t,
            numeric.logdet_change,
            numeric.logdet_change_theory,
            numeric.logdet_change_se_exact,
            ("logdet_change",),
            groups=numeric.schedule,
            perturb=scale_rows(NUMERIC, "logdet_change"),
        ),
        theory_collapse(n0, sorted(set(table.schedule), key=list(table.schedule).index)),
        loses_most(table[table.part == ALL_COLUMNS]),
    ]
    return verdicts


def theory_collapse(n0: int, names: list[str]) -> Verdict:
    """Paper 1's criterion on the closed forms: the exact mean log-determinant change and the
    risk inflation diverge where sum 1/n_t does, and converge elsewhere."""
    schedules = adult_schedules(n0)
    d = len(ADULT_NUMERIC)
    facts, ok = [], True
    for name in names:
        schedule = schedules[name]
        label = theory.collapse_verdict(schedule)
        spans = [capped_horizon(schedule, h) for h in THEORY_HORIZONS]
        drift = [float(log_det_change_moments(d, schedule.sizes(h))[0][-1]) for h in spans]
        infl = [float(theory.risk_inflation(n0, schedule.sizes(h))[-1]) for h in spans]
        if name == "constant":  # diverges linearly
            good = label == "collapses" and drift[2] / drift[0] > 50 and infl[2] / infl[0] > 50
        elif name == "linear":  # diverges like log T: equal steps per decade
            steps = (drift[1] - drift[0], drift[2] - drift[1])
            good = label == "collapses" and steps[0] < -0.1 and abs(steps[1] / steps[0] - 1) < 0.1
        else:  # converges
            good = label == "stable" and abs(drift[2] - drift[0]) < 1e-2 * abs(drift[0])
            good = good and infl[2] / infl[0] < 1.01
        ok = ok and good
        facts.append(
            f"{name}: {label}, E log det change {drift[0]:.3g} / {drift[1]:.3g} / {drift[2]:.3g}"
            f" at T = {spans[0]:,} / {spans[1]:,} / {spans[2]:,}, 1 + r_T {infl[0]:.3g} / "
            f"{infl[2]:.3g}"
        )
    return Verdict(
        "In theory the model collapses under the constant and linear schedules "
        "(sum 1/n_t = inf) and not under t^2 and 2^t: the exact mean of log det Sigma_t - "
        "log det Sigma_0 and the risk inflation 1 + r_T diverge for the first two (under linear "
        "growth only like log T) and converge for the others, as collapse_verdict says.",
        ok,
        "(" + "; ".join(facts) + ")",
        kind="theory",
    )


def loses_most(lost: pd.DataFrame) -> Verdict:
    """The constant schedule loses more categories than each growing schedule by that
    schedule's horizon (independent runs: the SEs add in quadrature)."""
    horizons = lost.groupby("schedule")["T"].first()
    others = [name for name in horizons.index if name != "constant"]
    z_max = threshold(len(others))
    ok, detect, facts = [], [], []
    for name in others:
        h = int(horizons[name])
        c = lost[(lost.schedule == "constant") & (lost.t == h)].iloc[0]
        o = lost[(lost.schedule == name) & (lost.t == h)].iloc[0]
        se = math.hypot(c.cells_lost_se, o.cells_lost_se)
        gap = c.cells_lost - o.cells_lost
        ok.append(gap > z_max * se)
        detect.append((z_max + 2.0) * se / o.cells_lost)
        facts.append(
            f"t = {h}: constant {c.cells_lost:.1f} against {name} {o.cells_lost:.1f} "
            f"(+- {se:.2g}, z = {gap / se:+.1f})"
        )
    detectable = max(detect)
    return Verdict(
        "Under the constant schedule (sum 1/n_t = inf) the model loses more categories, summed "
        "over the categorical columns, than under any growing schedule by the same generation.",
        all(ok) if detectable <= MAX_RELATIVE_GAP else None,
        "(" + "; ".join(facts) + f"; needed z > {z_max:.2g})",
        detectable=detectable,
        inputs=("cells_lost",),
        perturb=fewer_lost,
    )
