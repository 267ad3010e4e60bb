"""The verdicts of ``he2025-fig7`` (:mod:`.fig7`), pure functions of its results table.

Panels (a)-(d) and (b') are judged against their exact laws by :func:`~.common.law_verdict`
(within exact standard errors, at the recorded generations where the test is informative; the
CDF within sample standard errors); (e), the penalised logistic regression, must level off as
the first-order theory of the penalised recursion says; (f), the Poisson regression, must keep
growing over the second half of the run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..verdicts import MAX_DETECTABLE, Verdict, threshold
from .common import law_verdict

__all__ = ["judge"]


def _rows(table: pd.DataFrame, key: str) -> pd.DataFrame:
    return table[table.panel == key].sort_values("t")


def _tilt_from_mid(key: str, direction: float) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """A perturbation of one panel's second half: from the midpoint on, the curve is replaced
    (``direction < 0``) by one falling linearly by ``size`` times the midpoint's value at T, or
    (``direction > 0``) tilted upwards by that much."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        part = _rows(out, key)
        horizon = float(part["T"].iloc[0])
        half = horizon // 2
        at_mid = float(part.loc[part.t == half, "error"].iloc[0])
        late = part[part.t >= half]
        frac = (late.t - half) / (horizon - half)
        base = at_mid if direction < 0 else late.error
        out.loc[late.index, "error"] = base + direction * size * at_mid * frac
        return out

    return perturb


def _change(part: pd.DataFrame, start: float, end: float) -> tuple[float, float, float]:
    """The simulated change from generation ``start`` to ``end``, its SE (per-replication
    differences), and the law's change."""
    a = part[part.t == start].iloc[0]
    b = part[part.t == end].iloc[0]
    se = b.se_from_mid if start > 0 else b.se_from_start
    return float(b.error - a.error), float(se), float(b.theory - a.theory)


def _first_order_text(part: pd.DataFrame) -> str:
    last = part.iloc[-1]
    z = (last.error - last.theory) / last.se
    worst = float(np.max(np.abs(part.error - part.theory) / part.se))
    return (
        f"first order at T = {int(last.t)}: {last.theory:.3g}, simulated {last.error:.3g} +- "
        f"{last.se:.2g} (z = {z:+.1f}, {100 * (last.error / last.theory - 1):+.0f}%; largest "
        f"|z| over the recorded generations {worst:.1f})"
    )


def _law_claims(r: int) -> dict[str, tuple[str, str]]:
    """Per panel with an exact law: its claim and the standard-error column that tests it."""
    reach = f"at every recorded generation where a sample mean of {r:,} replications can test it"
    return {
        "mean": (
            f"(a) Gaussian mean: the error grows linearly, following its exact law "
            f"(t + 1) tr(Sigma)/n, {reach}.",
            "se_exact",
        ),
        "covariance": (
            "(b) Gaussian covariance: the mean squared Frobenius error follows its exact law, "
            f"which grows exponentially (like (1 + 2/(n - 1))^t), {reach}.",
            "se_exact",
        ),
        "logdet": (
            "(b') Gaussian covariance: the fitted covariance collapses, log det Sigma_t falling "
            f"linearly as its exact law says (independent log chi-square steps), {reach}.",
            "se_exact",
        ),
        "cdf": (
            "(c) CDF: the error of the iterated bootstrap grows towards 1/6 following its exact "
            "law (1/6)[1 - (1 - 1/n)^(t+1)] at every recorded generation.",
            "se",
        ),
        "linear": (
            "(d) random-design linear regression: the error grows linearly, following its "
            f"exact law [tr(Sigma_real^-1) + t tr(Sigma_synth^-1)]/(n - p - 1), {reach}.",
            "se_exact",
        ),
    }


def judge(table: pd.DataFrame) -> list[Verdict]:
    """Each panel's claim, judged from the stored table (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of ``he2025-fig7``.

    Returns
    -------
    list of Verdict
        (a), (b), (b'), (c), (d) against their exact laws, then (e) and (f).
    """
    first = table.iloc[0]
    horizon, r = int(first["T"]), int(first.R)
    verdicts = []
    for key, (claim, se_column) in _law_claims(r).items():
        part = _rows(table, key)
        verdicts.append(
            law_verdict(
                claim,
                part.t,
                part.error,
                part.theory,
                part[se_column],
                ("error",),
                select=se_column == "se_exact",
                perturb=_scale_panel(key),
            )
        )
    verdicts.append(_levels_off(_rows(table, "logistic"), horizon))
    verdicts.append(_keeps_growing(_rows(table, "poisson"), horizon))
    return verdicts


def _scale_panel(key: str) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Scale one panel's simulated means by ``1 + size`` (the default perturbation, confined
    to the panel the verdict reads)."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        rows = out.panel == key
        out.loc[rows, "error"] = out.loc[rows, "error"] * (1.0 + size)
        return out

    return perturb


def _levels_off(part: pd.DataFrame, horizon: int) -> Verdict:
    """(e): the penalised logistic error rises over the first half, then changes over the
    second half only as much as the penalised first-order theory says (about nothing)."""
    half = horizon // 2
    rise, rise_se, rise_law = _change(part, 0, half)
    late, late_se, late_law = _change(part, half, horizon)
    at_mid = float(part[part.t == half].error.iloc[0])
    z_max = threshold(2)
    rises = rise > z_max * rise_se
    flat = abs(late - late_law) <= z_max * late_se
    detect_rise = (z_max + 2.0) * rise_se / abs(rise_law)
    detectable = (z_max + 2.0) * late_se / abs(at_mid)
    informative = detectable <= MAX_DETECTABLE and detect_rise <= MAX_DETECTABLE
    return Verdict(
        "(e) penalised logistic regression (authors' L2, C = 1): the error rises over the "
        "first half of the run, then levels off, changing over the second half only as the "
        "first-order theory of the penalised recursion says (the penalty pulls the "
        "coefficients to 0).",
        bool(rises and flat) if informative else None,
        f"(rise from t = 0 to {half}: {rise:+.3g} +- {rise_se:.2g} (first order {rise_law:+.3g});"
        f" change from t = {half} to {horizon}: {late:+.3g} +- {late_se:.2g} against "
        f"{late_law:+.3g} (z = {(late - late_law) / late_se:+.1f}, allowed {z_max:.2g}); "
        f"detects a second-half change of {detectable:.2g} of the level; "
        + _first_order_text(part)
        + ")",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_tilt_from_mid("logistic", +1.0),
    )


def _keeps_growing(part: pd.DataFrame, horizon: int) -> Verdict:
    """(f): the Poisson error keeps growing over the second half of the run."""
    half = horizon // 2
    late, late_se, late_law = _change(part, half, horizon)
    at_mid = float(part[part.t == half].error.iloc[0])
    law_mid = float(part[part.t == half].theory.iloc[0])
    z_max = threshold(1)
    detectable = (z_max + 2.0) * late_se / abs(at_mid)
    needed = late_law / law_mid  # the relative growth the first-order law predicts
    return Verdict(
        "(f) Poisson regression: the error keeps growing over the second half of the run, "
        "as the first-order law (C_real + t C_synth)/n predicts (to first order, linearly).",
        bool(late > z_max * late_se) if detectable <= needed else None,
        f"(change from t = {half} to {horizon}: {late:+.3g} +- {late_se:.2g} (z = "
        f"{late / late_se:+.1f}, needed {z_max:.2g}); the test confirms a growth of "
        f"{detectable:.2g} of the level, first order predicts {needed:.2g}; "
        + _first_order_text(part)
        + ")",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_tilt_from_mid("poisson", -1.0),
    )
