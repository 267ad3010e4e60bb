"""The verdicts of xu2025-schedules (:mod:`.schedules`): pure functions of its table."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..verdicts import MAX_DETECTABLE, Verdict, binomial_se, compare
from .common import (
    CONVERGENT,
    DIVERGENT,
    first_int,
    resolved,
)

__all__ = ["judge"]


def _add_to(
    rows: pd.Series, column: str, amount: Callable[[pd.DataFrame], Any]
) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """A perturbation adding ``size * amount(table)`` to ``column`` on the rows ``rows``."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        out.loc[rows, column] = out.loc[rows, column].astype(float) + size * amount(out)
        return out

    return perturb


def _dichotomy_verdict(path: pd.DataFrame) -> Verdict:
    first = path.groupby("schedule", sort=False).first()
    ok = all(
        name in first.index
        and math.isinf(first.harmonic_limit[name]) == (name in DIVERGENT)
        and first.theory_verdict[name] == ("collapses" if name in DIVERGENT else "stable")
        for name in (*DIVERGENT, *CONVERGENT)
    )
    limits = ", ".join(
        f"{name}: {lim:.4g} ({verdict})"
        for name, lim, verdict in zip(
            first.index, first.harmonic_limit, first.theory_verdict, strict=True
        )
    )
    return Verdict(
        "sum 1/n_t diverges for the constant and linear schedules and converges for t^1.1, "
        "t^1.5, t^2, t log^2 t and 2^t, so paper 1's condition predicts collapse for the "
        "first two only.",
        ok,
        f"({limits})",
        kind="theory",
    )


def _no_collapse_verdict(table: pd.DataFrame, path: pd.DataFrame) -> Verdict:
    r, eps = first_int(table, "replications"), float(path.eps.iloc[0])
    stable = path.schedule.isin(CONVERGENT)
    cells = int(stable.sum())
    # A collapse probability p is seen at least once in R replications with probability
    # 1 - (1 - p)^R; it exceeds 97.7% once p > -log(0.023)/R.
    detectable = -math.log(1 - 0.977) / r
    worst = float(path.collapsed_exact[stable].max())
    return Verdict(
        f"Where sum 1/n_t converges (t^1.1, t^1.5, t^2, t log^2 t, 2^t) no replication "
        f"collapses to sigma2_t <= {eps:g} by T, for either estimator.",
        None if detectable > MAX_DETECTABLE else bool((path.collapsed_sim[stable] == 0).all()),
        f"(largest simulated share {path.collapsed_sim[stable].max():.3g} over {cells} "
        f"(schedule, estimator, t) cells of R = {r:,}; the largest exact probability is "
        f"{worst:.2g}; detectable: a collapse probability of {detectable:.2g}, relative to "
        "certain collapse)",
        kind="simulation",
        detectable=detectable,
        inputs=("collapsed_sim",),
        perturb=_add_to(
            table.part.eq("path") & table.schedule.isin(CONVERGENT),
            "collapsed_sim",
            lambda t: 1.0,
        ),
    )


def _probability_verdict(table: pd.DataFrame, path: pd.DataFrame) -> Verdict:
    r = first_int(table, "replications")
    prob = compare(path.collapsed_sim, path.collapsed_exact, binomial_se(path.collapsed_exact, r))
    return Verdict(
        "Simulated collapse probabilities match the exact inversion at every recorded "
        "generation, for every schedule and both estimators.",
        prob.holds(),
        f"({prob.text()}; standard errors from the exact probabilities, so a simulated "
        "collapse where the exact probability is negligible fails)",
        kind="simulation",
        detectable=prob.detectable,
        inputs=("collapsed_sim",),
    )


def _small_n_verdicts(small: pd.DataFrame) -> list[Verdict]:
    horizon = first_int(small, "T")
    last = small[small.t == small.groupby("n").t.transform("max")].sort_values("n")
    by_n = last.set_index(last.n.astype(int))
    g100, g2 = by_n.loc[100], by_n.loc[2]
    one = compare(g100.geo_sigma2_sim, g100.geo_sigma2_theory, g100.geo_sigma2_se)
    lows = last[last.n < 100]
    res = resolved(
        lows.geo_sigma2_sim,
        lows.geo_sigma2_theory,
        lows.geo_sigma2_se,
        [f"n = {int(n)}" for n in lows.n],
    )
    holds = res.holds
    if holds is not None:
        holds = holds and bool(g2.geo_sigma2_sim < 0.1)
    values = ", ".join(
        f"n = {int(n)}: {g:.3g} vs exact {e:.3g}"
        for n, g, e in zip(lows.n, lows.geo_sigma2_sim, lows.geo_sigma2_theory, strict=True)
    )
    return [
        Verdict(
            f"Linear growth looks stable at n = 100: with n_t = 100 t the geometric mean of "
            f"sigma2_T is still above 0.8 at T = {horizon} and matches its exact value.",
            None
            if one.detectable > MAX_DETECTABLE
            else bool(one.agree and g100.geo_sigma2_sim > 0.8),
            f"(exp(mean log sigma2_T) {g100.geo_sigma2_sim:.4g} vs exact "
            f"{g100.geo_sigma2_theory:.4g} +- {g100.geo_sigma2_se:.2g}; {one.text()})",
            kind="simulation",
            detectable=one.detectable,
            inputs=("geo_sigma2_sim",),
        ),
        Verdict(
            f"Linear growth collapses at small n: with n_t = 2 t the geometric mean of sigma2_T "
            f"falls below 0.1 by T = {horizon}, and for n = 2, 5, 10 it matches its exact value "
            "where the Monte Carlo error resolves it.",
            holds,
            f"({values}; {res.text()})",
            kind="simulation",
            detectable=res.detectable,
            inputs=("geo_sigma2_sim",),
        ),
    ]


def _gap_verdict(table: pd.DataFrame, path: pd.DataFrame) -> Verdict:
    unb = path[path.variance == "unbiased"]
    ends = unb[unb.t == unb["T"]].set_index("schedule")
    lin: Any = ends.loc["linear"]  # one row each: its fields are scalars
    slow: Any = ends.loc["t^1.1"]
    gap_sim = slow.mean_log_sigma2_sim - lin.mean_log_sigma2_sim
    gap_exact = slow.mean_log_sigma2_theory - lin.mean_log_sigma2_theory
    gap_se = math.hypot(slow.mean_log_sigma2_se, lin.mean_log_sigma2_se)
    gap = compare(gap_sim, gap_exact, gap_se)
    lin_row = (
        table.part.eq("path")
        & table.schedule.eq("linear")
        & table.variance.eq("unbiased")
        & table.t.eq(table["T"])
    )
    return Verdict(
        f"The simulation resolves linear growth (divergent sum) from t^1.1 growth "
        f"(convergent sum) at T = {int(lin['T'])}: the gap between their mean log sigma2_T "
        "is positive and matches its exact value.",
        None if gap.detectable > MAX_DETECTABLE else bool(gap.agree and gap_sim > 0),
        f"(gap {gap_sim:.3g} vs exact {gap_exact:.3g} +- {gap_se:.2g}: the exact gap is "
        f"{gap_exact / gap_se:.2g} standard errors; {gap.text()})",
        kind="simulation",
        detectable=gap.detectable,
        inputs=("mean_log_sigma2_sim",),
        perturb=_add_to(lin_row, "mean_log_sigma2_sim", lambda t: -float(gap_exact)),
    )


_HEAVY = (
    "standard errors from the exact fourth moments, so heavy-tailed cells are judged by "
    "their true spread"
)

#: The moment claims: claim, simulated, exact and SE columns, and where the SEs come from.
_MOMENT_CLAIMS = (
    (
        "Var mu_t matches its closed form at every recorded generation, schedule and "
        "estimator whose Monte Carlo error resolves it.",
        ("var_mu_sim", "var_mu_theory", "var_mu_se"),
        _HEAVY,
    ),
    (
        "The geometric mean of sigma2_t matches exp E log sigma2_t (exact) at every recorded "
        "generation, schedule and estimator whose Monte Carlo error resolves it.",
        ("geo_sigma2_sim", "geo_sigma2_theory", "geo_sigma2_se"),
        "standard errors from the exact sd of log sigma2_t",
    ),
    (
        "The mean of sigma2_t matches its closed form (1 unbiased, prod (1 - 1/n_t) MLE) at "
        "every recorded generation, schedule and estimator whose Monte Carlo error resolves "
        "it.",
        ("mean_sigma2", "mean_sigma2_theory", "mean_sigma2_theory_se"),
        _HEAVY.replace("fourth", "second"),
    ),
)


def _moment_verdicts(path: pd.DataFrame) -> list[Verdict]:
    labels = [
        f"{s}/{v} t={int(t)}" for s, v, t in zip(path.schedule, path.variance, path.t, strict=True)
    ]
    verdicts = []
    for claim, (sim, exact, se), source in _MOMENT_CLAIMS:
        res = resolved(path[sim], path[exact], path[se], labels)
        verdicts.append(
            Verdict(
                claim,
                res.holds,
                f"({res.text()}; {source})",
                kind="simulation",
                detectable=res.detectable,
                inputs=(sim,),
            )
        )
    return verdicts


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the schedules reproduction, a pure function of its table."""
    path = table[table.part == "path"]
    small = table[table.part == "linear-small-n"]
    return [
        _dichotomy_verdict(path),
        _no_collapse_verdict(table, path),
        _probability_verdict(table, path),
        *_small_n_verdicts(small),
        _gap_verdict(table, path),
        *_moment_verdicts(path),
    ]
