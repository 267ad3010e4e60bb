"""The verdicts and key table of a weight sweep (Figures 8-10), from its table alone.

Three tests, none of them against a curve rescaled from the simulation:

* Exact panels (Gaussian mean and covariance, CDF, categorical): simulated against the exact
  finite-n law at every weight, within Monte Carlo standard errors (:func:`exact_verdict`).
* First-order panels (regressions, GLMs): the *shape* of the simulated curve against
  ``C R(w, k)/n`` with one free scale fitted by weighted least squares (weights ``1/SE^2``);
  the fit's chi-square is referred to its null law under the replication-level covariance
  across weights (:func:`shape_verdict`, :func:`~.sweep_stats.shape_fit`).
* The paper's claim that the error is smallest near ``w*(k)`` (``1/phi`` at ``k = 1``): the
  simulated argmin's confidence set (:func:`~.sweep_stats.argmin_set`) against
  ``w* +- ARGMIN_TOLERANCE`` (:func:`argmin_summary`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..verdicts import MAX_DETECTABLE, Verdict, compare, threshold
from .sweep_stats import (
    ARGMIN_TOLERANCE,
    INV_PHI,
    SHAPE_LEVEL,
    ShapeFit,
    argmin_set,
    covariance,
    shape_fit,
    shift_minimum,
    shifted_curve,
    tilt_curve,
    tilt_direction,
)

__all__ = [
    "argmin_summary",
    "by_panel",
    "exact_verdict",
    "judge_sweep",
    "shape_verdict",
    "sweep_key_table",
]


def by_panel(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(key, rows sorted by block and idx)`` per panel, in the table's order."""
    return [
        (str(key), rows.sort_values(["block", "idx"]))
        for key, rows in table.groupby("panel", sort=False)
    ]


def _argmin_outcome(
    w: np.ndarray, error: np.ndarray, cov: np.ndarray, w_star: float, z: float
) -> tuple[bool | None, np.ndarray]:
    """``(holds, set)``: True when the argmin's confidence set lies within ``w* +- tol``,
    False when it lies wholly outside, None when it straddles the band's edge."""
    members = argmin_set(error, cov, z)
    inside = np.abs(w - w_star) <= ARGMIN_TOLERANCE + 1e-12
    if not np.any(members & inside):
        return False, members
    if np.all(inside[members]):
        return True, members
    return None, members


def _first_false(outcome: Callable[[float], bool | None], sizes: np.ndarray) -> float:
    """The smallest size (on ``sizes``) whose perturbation, and twice it, are judged False."""
    for size in sizes:
        if outcome(float(size)) is False and outcome(2.0 * float(size)) is False:
            return float(size)
    return math.inf


def _titles(rows: pd.DataFrame) -> str:
    return ", ".join(dict.fromkeys(rows.title.astype(str)))


def _k_text(k: float) -> str:
    return "1" if abs(k - 1.0) < 1e-12 else f"{k:.4g}"


def exact_verdict(table: pd.DataFrame, where: str) -> Verdict:
    """Simulated against the exact finite-n law on every exact row.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's table (rows with ``theory_kind == "exact"`` are compared).
    where : str
        Where the claim holds, for its text (``"at every weight (n = 100, m = 100)"``).

    Returns
    -------
    Verdict
        A ``simulation`` verdict.
    """
    rows = table[table.theory_kind == "exact"]
    cmp = compare(rows.error, rows.theory, rows.se)
    worst = rows.iloc[int(np.argmax(cmp.z))]
    return Verdict(
        f"Where the error has an exact finite-n form ({_titles(rows)}), the simulation matches "
        f"it {where}.",
        cmp.holds(),
        f"({cmp.text()}, at {worst.title} w = {worst.w:.3f}; SE from the replications)",
        kind="simulation",
        detectable=cmp.detectable,
        inputs=("error",),
    )


def _shape_summary(rows: pd.DataFrame, level: float, along: str) -> ShapeFit | None:
    """The shape fit of one first-order panel, or None when a simulated value is not finite."""
    if not np.all(np.isfinite(rows.error)) or not np.all(np.isfinite(rows.se)):
        return None
    tilt = tilt_direction(rows[along].to_numpy(float))
    return shape_fit(rows.error, rows.theory, covariance(rows), tilt, level)


def _grid_only(rows: pd.DataFrame, level: float, along: str) -> str:
    """The shape fit over the grid alone (``w < 1``), for reading only, when a sweep has both."""
    if along == "w" and bool((rows.w >= 1.0 - 1e-12).any()) and int((rows.w < 1).sum()) > 2:
        inner = _shape_summary(rows[rows.w < 1.0 - 1e-12], level, along)
        if inner is not None:
            return (
                f" Over the grid alone (w < 1, for reading only): scale {inner.scale:.4f}, "
                f"chi-square {inner.chi2:.3g}, p = {inner.p_value:.2g}."
            )
    return ""


def _shape_evidence(
    rows: pd.DataFrame, fit: ShapeFit, holds: bool | None, panels: int, along: str, where: str
) -> str:
    """The evidence of a shape verdict: the fit, its null law, the largest residual."""
    level = fit.level
    worst = int(np.argmax(np.abs(fit.residual_z)))
    at = rows.iloc[worst]
    finding = ""
    if holds is False:
        finding = (
            f"The first-order shape is rejected at n = {int(rows.n.iloc[0])}: a finite-sample "
            "departure the first-order theory omits, largest where the residual below is. "
        )
    return (
        f"({finding}Fitted scale {fit.scale:.4f} +- {fit.scale_se:.4f}: the first-order level is "
        f"{100 * (fit.scale - 1):+.1f}% off; chi-square {fit.chi2:.3g} on {fit.df} nominal df, "
        f"weights 1/SE^2; p = {fit.p_value:.2g} against level {level:.2g} "
        f"({SHAPE_LEVEL:g} Bonferroni over {panels} first-order panels). The errors {where} "
        "share random numbers, so the chi-square's null law is a weighted sum of chi-square_1 "
        "variables with the eigenvalues of the residuals' covariance (estimated from the "
        f"replications; {fit.effective_df:.2f} effective df; tail by saddlepoint), critical "
        f"value {fit.critical:.3g}. Largest residual {fit.residual_z[worst]:+.1f} SE of the "
        f"residual at {along} = {at[along]:.3g} ({100 * fit.relative[worst]:+.2f}% of the fitted "
        f"curve); largest relative departure {100 * np.max(np.abs(fit.relative)):.2f}%."
        f"{_grid_only(rows, level, along)} "
        f"Detects a tilt error x (1 + s g), g linear in {along} from -1 to 1, of "
        f"s = {fit.detectable:.2g}.)"
    )


def shape_verdict(rows: pd.DataFrame, panels: int, along: str, claim: str, where: str) -> Verdict:
    """The shape of a first-order panel's simulated curve against its theory, one free scale.

    Parameters
    ----------
    rows : pandas.DataFrame
        One panel's rows of a sweep's table, sorted by block and idx.
    panels : int
        The experiment's first-order panels (the Bonferroni division of ``SHAPE_LEVEL``).
    along : str
        The column the curve runs along (``"w"``, or ``"k"`` for Figure 9): the direction of
        the tilt the verdict must detect.
    claim : str
        The verdict's claim.
    where : str
        Which errors share random numbers, for the evidence (``"at different weights"``).

    Returns
    -------
    Verdict
        An ``approximation`` verdict, perturbed by :func:`~.sweep_stats.tilt_curve`.
    """
    fit = _shape_summary(rows, SHAPE_LEVEL / panels, along)
    perturb = partial(tilt_curve, along=along)
    if fit is None:
        bad = int(np.sum(~np.isfinite(rows.error)))
        return Verdict(
            claim,
            None,
            f"({bad} of {len(rows)} simulated values are not finite: failed fits)",
            kind="approximation",
            detectable=math.inf,
            inputs=("error",),
            perturb=perturb,
        )
    holds = None if fit.detectable > MAX_DETECTABLE else fit.holds
    return Verdict(
        claim,
        holds,
        _shape_evidence(rows, fit, holds, panels, along, where),
        kind="approximation",
        detectable=fit.detectable,
        inputs=("error",),
        perturb=perturb,
    )


def argmin_summary(rows: pd.DataFrame) -> dict[str, Any]:
    """The argmin test of one panel's sweep (its grid: ``w < 1``).

    Parameters
    ----------
    rows : pandas.DataFrame
        One panel's rows of a sweep's table.

    Returns
    -------
    dict
        ``w_star``, ``z`` (the standard errors a difference must exceed), ``grid``,
        ``finite`` (False when a simulated value is not), ``holds`` and ``detectable``; when
        finite also ``members`` (the argmin's confidence set), ``argmin``, ``low`` and ``high``
        (the set's ends) and ``theory_argmin``.
    """
    grid = rows[rows.w < 1.0 - 1e-12].sort_values("w")
    w = grid.w.to_numpy(float)
    e = grid.error.to_numpy(float)
    w_star = float(grid.w_star.iloc[0])
    z = threshold(max(w.size - 1, 1))
    out: dict[str, Any] = {"w_star": w_star, "z": z, "grid": w}
    if not np.all(np.isfinite(e)) or not np.all(np.isfinite(grid.se)):
        return {**out, "holds": None, "finite": False, "detectable": math.inf}
    cov = covariance(grid)
    holds, members = _argmin_outcome(w, e, cov, w_star, z)

    def moved(size: float) -> bool | None:
        return _argmin_outcome(w, *shifted_curve(w, e, cov, size * w_star), w_star, z)[0]

    detectable = _first_false(moved, np.geomspace(1e-3, 1.0, 100))
    return {
        **out,
        "finite": True,
        "holds": holds,
        "members": members,
        "argmin": float(w[int(np.argmin(e))]),
        "low": float(w[members].min()),
        "high": float(w[members].max()),
        "theory_argmin": float(w[int(np.argmin(grid.theory.to_numpy(float)))]),
        "detectable": detectable,
    }


def _argmin_verdict(rows: pd.DataFrame) -> Verdict:
    first = rows.iloc[0]
    s = argmin_summary(rows)
    w_star = s["w_star"]
    phi = " = 1/phi" if abs(w_star - INV_PHI) < 1e-9 else ""
    claim = (
        f"{first.title}: the simulated error is smallest within {ARGMIN_TOLERANCE:g} of "
        f"w*(k) = {w_star:.4f}{phi} (k = n/m = {_k_text(float(first.k))}, n = {int(first.n)})."
    )
    if not s["finite"]:
        return Verdict(
            claim,
            None,
            "(some simulated values are not finite: failed fits)",
            kind="approximation",
            detectable=math.inf,
            inputs=("error",),
            perturb=shift_minimum,
        )
    detectable = s["detectable"]
    holds = None if detectable > MAX_DETECTABLE else s["holds"]
    band = (w_star - ARGMIN_TOLERANCE, w_star + ARGMIN_TOLERANCE)
    where = {True: "inside", False: "wholly outside", None: "not wholly inside or outside"}
    extra = ""
    if abs(float(first.w_first_order) - w_star) > 1e-9:
        extra = f"; the first-order optimum with C_synth != C_real is {first.w_first_order:.4f}"
    evidence = (
        f"(grid argmin {s['argmin']:.3f}; the weights not detectably above the minimum "
        f"(differences beyond {s['z']:.2g} SE, from the covariance across weights) span "
        f"[{s['low']:.3f}, {s['high']:.3f}] ({int(s['members'].sum())} of {s['grid'].size} grid "
        f"weights), {where[s['holds']]} [{band[0]:.3f}, {band[1]:.3f}]; the "
        f"{first.theory_kind} theory's grid argmin is {s['theory_argmin']:.3f}{extra}. Detects "
        f"the curve moved to lower w by {detectable:.2g} w* = "
        f"{detectable * w_star:.3f}.)"
    )
    return Verdict(
        claim,
        holds,
        evidence,
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=shift_minimum,
    )


def judge_sweep(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of a weight sweep (Figures 8 and 10) from its table alone.

    One ``simulation`` verdict for the exact panels (every weight within Monte Carlo error of
    the exact law); per first-order panel, one ``approximation`` verdict on the shape of the
    curve (:func:`shape_fit`); per panel, one ``approximation`` verdict on the paper's claim that
    the error is smallest near ``w*(k)`` (:func:`argmin_set`).

    Parameters
    ----------
    table : pandas.DataFrame
        The table :func:`sweep` returns (or its ``results.csv``).

    Returns
    -------
    list of Verdict
    """
    n, m = int(table.n.iloc[0]), int(table.m.iloc[0])
    k = _k_text(n / m)
    verdicts = []
    if (table.theory_kind == "exact").any():
        verdicts.append(exact_verdict(table, f"at every weight (n = {n}, m = {m})"))
    first_order = [
        (key, rows) for key, rows in by_panel(table) if rows.theory_kind.iloc[0] != "exact"
    ]
    for _, rows in first_order:
        title = rows.title.iloc[0]
        k_text = (
            "k"
            if float(rows.w_first_order.iloc[0]) == float(rows.w_star.iloc[0])
            else ("k C_synth/C_real")
        )
        claim = (
            f"{title}: the simulated error against w has the shape of the first-order theory "
            f"C R(w, {k_text})/n (one free scale, fitted over all weights; k = {k}, n = {n})."
        )
        verdicts.append(shape_verdict(rows, len(first_order), "w", claim, "at different weights"))
    verdicts += [_argmin_verdict(rows) for _, rows in by_panel(table)]
    return verdicts


def sweep_key_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per panel: the simulated argmin and its confidence set beside ``w*``, the error at
    ``w*`` beside its theory, and for first-order panels the fitted scale and shape test."""
    first_order = [key for key, rows in by_panel(table) if rows.theory_kind.iloc[0] != "exact"]
    out = []
    for _, rows in by_panel(table):
        s = argmin_summary(rows)
        grid = rows[rows.w < 1.0 - 1e-12]
        at = grid.iloc[int(np.argmin(np.abs(grid.w.to_numpy(float) - s["w_star"])))]
        row: dict[str, Any] = {
            "panel": at.title,
            "simulated argmin": s.get("argmin", math.nan),
            "argmin set": f"[{s['low']:.3f}, {s['high']:.3f}]" if s["finite"] else "-",
            "w*(k)": s["w_star"],
            "error at w* (sim)": at.error,
            "SE": at.se,
            "theory at w*": at.theory,
            "theory kind": at.theory_kind,
            "sim / theory at w*": at.error / at.theory,
        }
        fit = None
        if at.theory_kind != "exact":
            fit = _shape_summary(rows, SHAPE_LEVEL / len(first_order), "w")
        row.update(
            {
                "fitted scale": fit.scale if fit else math.nan,
                "chi-square": fit.chi2 if fit else math.nan,
                "effective df": fit.effective_df if fit else math.nan,
                "p": fit.p_value if fit else math.nan,
            }
        )
        out.append(row)
    return pd.DataFrame(out)
