"""What paper 2's experiments share: the paper's name, ``1/phi`` and the test of simulated
values against an exact law (:func:`law_verdict`, on the cells :func:`informative_cells` picks).

:func:`law_verdict` is also used by paper 1 on the Adult data (:mod:`..xu2025.adult`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ..verdicts import MAX_DETECTABLE, Comparison, Verdict, compare, threshold

__all__ = ["INV_PHI", "PAPER", "informative_cells", "law_verdict"]

#: The paper whose experiments this package reproduces.
PAPER = "He, Xu & Cheng (2025), Golden Ratio Weighting Prevents Model Collapse"
#: ``1/phi``, the optimal weight on real data at ``k = 1``.
INV_PHI = 1.0 / theory.GOLDEN

# -- verdict helpers ----------------------------------------------------------------------------


def informative_cells(ratio: Any, limit: float = MAX_DETECTABLE) -> np.ndarray:
    """The cells a within-SE comparison can test: the largest set whose worst cell still
    detects a relative discrepancy ``limit`` at the Bonferroni threshold of the set.

    Parameters
    ----------
    ratio : array_like
        Standard error over the reference's scale, per cell (NaN or inf: not testable).
    limit : float
        The coarsest detectable discrepancy allowed.

    Returns
    -------
    numpy.ndarray of bool
        Which cells to compare.
    """
    ratio = np.asarray(ratio, dtype=float)
    usable = np.isfinite(ratio) & (ratio > 0)
    order = np.argsort(np.where(usable, ratio, np.inf), kind="stable")
    chosen = np.zeros(ratio.shape, dtype=bool)
    best = 0
    for k in range(1, int(usable.sum()) + 1):
        if (threshold(k) + 2.0) * ratio[order[k - 1]] <= limit:
            best = k
    chosen[order[:best]] = True
    return chosen


def _span(t: Any, groups: Any = None) -> str:
    """``"t = 3"``, or ``"k recorded generations in t = a-b"``; with ``groups``, the number of
    cells per group (``"constant: 5 cells in t = 0-4, linear: ..."``)."""
    t = np.asarray(t, dtype=int)
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        names = list(dict.fromkeys(groups.tolist()))
        parts = []
        for g in names:
            cells = t[groups == g]
            where = (
                f"t = {cells.min()}"
                if cells.min() == cells.max()
                else (f"t = {cells.min()}-{cells.max()}")
            )
            parts.append(f"{g}: {cells.size} cell{'s' if cells.size > 1 else ''} in {where}")
        return ", ".join(parts)
    t = np.unique(t)
    if t.size == 1:
        return f"t = {t[0]}"
    return f"{t.size} recorded generations in t = {t[0]}-{t[-1]}"


def _untestable(
    claim: str,
    ratios: np.ndarray,
    lost_text: str,
    inputs: tuple[str, ...],
    perturb: Callable[[pd.DataFrame, float], pd.DataFrame] | None,
) -> Verdict:
    """The not-informative verdict of :func:`law_verdict` when no cell can test the claim:
    ``ratios`` are the testable cells' standard errors over the law's scale."""
    best = float(ratios.min()) if ratios.size else math.inf
    detectable = (threshold(1) + 2.0) * best
    return Verdict(
        claim,
        None,
        f"(no recorded generation can test it: the best single one detects "
        f"{detectable:.2g} relative error{lost_text})",
        kind="simulation",
        detectable=detectable if math.isfinite(detectable) else 1e300,
        inputs=inputs,
        perturb=perturb,
    )


def law_verdict(
    claim: str,
    t: Any,
    sim: Any,
    expected: Any,
    se: Any,
    inputs: tuple[str, ...],
    *,
    select: bool = True,
    groups: Any = None,
    limit: float = MAX_DETECTABLE,
    perturb: Callable[[pd.DataFrame, float], pd.DataFrame] | None = None,
) -> Verdict:
    """Simulated values against their exact law, within Monte Carlo standard errors.

    With ``select``, only the cells where the test is informative are compared, chosen by
    :func:`informative_cells` from ``se / |expected|`` alone (exact standard errors, never the
    simulated values); the others are named as not informative, and with no informative cell
    the verdict is not informative (``holds = None``). Without it every cell is compared (for
    sample standard errors, which would make the choice depend on the simulation).

    Parameters
    ----------
    claim : str
        The claim.
    t : array_like
        The generation of each cell (for the evidence).
    sim, expected, se : array_like
        Simulated values, the exact law and the standard errors of ``sim``.
    inputs : tuple of str
        The table columns holding ``sim``.
    select : bool
        Compare only the informative cells.
    groups : array_like, optional
        A label per cell (a schedule, say) to describe the cells compared group by group.
    limit : float
        The coarsest detectable discrepancy that still tests the claim.
    perturb : callable, optional
        Passed to the verdict.
    """
    t, sim, expected, se = (np.asarray(v, dtype=float) for v in (t, sim, expected, se))
    labels = None if groups is None else np.asarray(groups, dtype=object)

    def span(mask: np.ndarray) -> str:
        return _span(t[mask], None if labels is None else labels[mask])

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(sim), se / np.abs(expected), np.nan)
    testable = np.isfinite(ratio) & (ratio > 0)
    chosen = informative_cells(ratio, limit) if select else testable
    lost = ~np.isfinite(sim)
    lost_text = (
        f"; not computable at {span(lost)} (some replications' fits numerically singular or failed)"
        if lost.any()
        else ""
    )
    if not chosen.any():
        return _untestable(claim, ratio[testable], lost_text, inputs, perturb)
    c: Comparison = compare(sim[chosen], expected[chosen], se[chosen])
    worst = int(np.argmax(c.z))
    skipped = ~chosen & np.isfinite(sim)
    tail = ""
    if skipped.any():
        tail = f"; not informative at the other {span(skipped)} (one detects >{limit:.0%} there)"
    return Verdict(
        claim,
        c.holds(limit),
        f"({c.text()} at t = {int(t[chosen][worst])}; compared at {span(chosen)}{tail}{lost_text})",
        kind="simulation",
        detectable=c.detectable,
        inputs=inputs,
        perturb=perturb,
    )
