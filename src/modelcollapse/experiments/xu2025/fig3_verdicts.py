"""The verdicts of xu2025-fig3 (:mod:`.fig3`): pure functions of its table."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..verdicts import (
    DETECTION_MARGIN,
    MAX_DETECTABLE,
    Verdict,
    binomial_se,
    compare,
    ordering,
    threshold,
)
from .common import ESTIMATORS, compare_every, first_int, resolved, tilt_steps

__all__ = ["judge"]


def _percentage_verdict(table: pd.DataFrame) -> Verdict:
    r = first_int(table, "replications")
    eps = float(table.eps.iloc[0])
    null_se = 100 * binomial_se(table.pct_collapsed_exact / 100, r)
    pct = compare(table.pct_collapsed, table.pct_collapsed_exact, null_se)
    return Verdict(
        f"The simulated percentage with sigma2_T <= {eps:g} matches the exact probability "
        "from the characteristic-function inversion at every T, for both estimators.",
        pct.holds(),
        f"({pct.text()}; standard errors from the exact probabilities)",
        kind="simulation",
        detectable=pct.detectable,
        inputs=("pct_collapsed",),
    )


def _steps(table: pd.DataFrame) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Per estimator, the simulated and exact steps of the percentage collapsed from each
    recorded T to the next: arrays ``(diff, step_se, predicted, scale)``, labels, values."""
    r = first_int(table, "replications")
    diff, step_se, predicted, scale, labels, shown = [], [], [], [], [], []
    for variance in ESTIMATORS:
        part = table[table.variance == variance].sort_values("T")
        exact = part.pct_collapsed_exact.to_numpy(float)
        se = 100 * binomial_se(exact / 100, r)
        diff.append(np.diff(part.pct_collapsed.to_numpy(float)))
        # The cells share replications (positively correlated): the root sum of squares bounds
        # the SE of a step from above.
        step_se.append(np.hypot(se[1:], se[:-1]))
        predicted.append(np.diff(exact))
        scale.append(exact[1:])
        ts = part["T"].astype(int).tolist()
        labels += [f"{variance} T={a}->{b}" for a, b in itertools.pairwise(ts)]
        shown.append(f"{variance}: " + ", ".join(f"{p:.1f}%" for p in part.pct_collapsed))
    arrays = [np.concatenate(v) for v in (diff, step_se, predicted, scale)]
    return arrays, labels, shown


def _spread_verdict(table: pd.DataFrame) -> Verdict:
    eps = float(table.eps.iloc[0])
    (diff, step_se, predicted, scale), labels, shown = _steps(table)
    # A step is resolved when its exact rise is seen with probability above 97.7%.
    resolved_steps = predicted >= (threshold(diff.size) + DETECTION_MARGIN) * step_se
    skipped = [lab for lab, ok in zip(labels, resolved_steps, strict=True) if not ok]
    if resolved_steps.any():
        ok = resolved_steps
        rises = ordering(diff[ok], step_se[ok], predicted[ok], scale[ok])
        holds = None if rises.detectable > MAX_DETECTABLE else rises.holds()
        detectable, outcome = rises.detectable, f"{ok.sum()} of {diff.size} steps resolved"
        outcome += f", {rises.text()}"
    else:
        holds, detectable, outcome = None, math.inf, "no step resolved"
    if skipped:
        outcome += f"; not resolved (exact rise below {threshold(diff.size) + 2:.2g} SE): "
        outcome += ", ".join(skipped)
    return Verdict(
        f"Collapse spreads with T: the share of replications with sigma2_T <= {eps:g} "
        "rises from each recorded T to the next, for both estimators, at every step whose "
        "Monte Carlo error resolves the exact rise.",
        holds,
        f"({'; '.join(shown)}; {outcome}; the SE of a step bounded by the root sum of "
        "squares of the two exact SEs)",
        kind="simulation",
        detectable=detectable,
        inputs=("pct_collapsed",),
        perturb=tilt_steps("pct_collapsed", "variance", "T"),
    )


_MEAN_CLAIMS = (
    (
        "unbiased",
        "With the unbiased estimator sigma2_T is a martingale: its simulated mean stays at "
        "sigma^2 = 1 at every T whose Monte Carlo error resolves it.",
    ),
    (
        "mle",
        "With the MLE the simulated mean of sigma2_T follows its exact decay "
        "prod_t (1 - 1/n_t) at every T whose Monte Carlo error resolves it.",
    ),
)


def _mean_verdict(table: pd.DataFrame, variance: str, claim: str) -> Verdict:
    rows = table.variance == variance
    res = resolved(
        table.mean_sigma2[rows],
        table.mean_sigma2_theory[rows],
        table.mean_sigma2_theory_se[rows],
        [f"T={int(t)}" for t in table["T"][rows]],
    )
    sel = table[rows][res.mask]
    values = ", ".join(
        f"T={int(t)}: {m:.3g} vs {e:.3g} +- {s:.2g}"
        for t, m, e, s in zip(
            sel["T"],
            sel.mean_sigma2,
            sel.mean_sigma2_theory,
            sel.mean_sigma2_theory_se,
            strict=True,
        )
    )
    return Verdict(
        claim,
        res.holds,
        f"({res.text()}{'; ' + values if values else ''}; standard errors from the "
        "exact variance of sigma2_T)",
        kind="simulation",
        detectable=res.detectable,
        inputs=("mean_sigma2",),
    )


def _median_verdict(table: pd.DataFrame) -> Verdict:
    cells = [f"{v} T={int(t)}" for v, t in zip(table.variance, table["T"], strict=True)]
    med = resolved(table.median_sigma2, table.median_sigma2_exact, table.median_sigma2_se, cells)
    return Verdict(
        "The simulated median of sigma2_T matches the median of its exact law in every "
        "(T, estimator) cell whose Monte Carlo error resolves it.",
        med.holds,
        f"({med.text()}; standard error 1/(2 f(m) sqrt(R)) from the exact density f at the "
        "exact median m)",
        kind="simulation",
        detectable=med.detectable,
        inputs=("median_sigma2",),
    )


def _typical_verdict(table: pd.DataFrame) -> Verdict:
    eps = float(table.eps.iloc[0])
    t_values = sorted(int(t) for t in table["T"].unique())
    falls, below, shown = True, True, []
    for variance in ESTIMATORS:
        part = table[table.variance == variance].sort_values("T")
        exact = part.median_sigma2_exact.to_numpy(float)
        falls &= bool(np.all(np.diff(exact) < 0))
        below &= bool(exact[-1] < eps)
        shown.append(f"{variance}: " + ", ".join(f"{m:.3g}" for m in exact))
    return Verdict(
        f"Collapse is typical: the exact median of sigma2_T falls with T for both "
        f"estimators and lies below eps = {eps:g} at T = {t_values[-1]}, so most replications "
        "collapse.",
        falls and below,
        f"(exact medians at T = {', '.join(map(str, t_values))}: {'; '.join(shown)})",
        kind="theory",
    )


def _risk_verdict(table: pd.DataFrame) -> Verdict:
    first = min(int(t) for t in table["T"].unique())
    at = table[table["T"] == first]
    risk, risk_d = compare_every(at.mean_risk, at.mean_risk_theory, at.mean_risk_se)
    values = ", ".join(
        f"{v}: {m:.4g} vs {e:.4g} +- {s:.2g}"
        for v, m, e, s in zip(
            at.variance, at.mean_risk, at.mean_risk_theory, at.mean_risk_se, strict=True
        )
    )
    return Verdict(
        f"The simulated mean population risk at T = {first} matches its exact value "
        "E KL + entropy, for both estimators.",
        None if risk_d > MAX_DETECTABLE else risk.agree,
        f"({values}; {risk.text()}; sample standard errors)",
        kind="simulation",
        detectable=risk_d,
        inputs=("mean_risk",),
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of Figure 3, a pure function of its table."""
    return [
        _percentage_verdict(table),
        _spread_verdict(table),
        *(_mean_verdict(table, variance, claim) for variance, claim in _MEAN_CLAIMS),
        _median_verdict(table),
        _typical_verdict(table),
        _risk_verdict(table),
    ]
