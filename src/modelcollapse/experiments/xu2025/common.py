"""What the paper-1 reproductions share: the paper, the variance estimators, the schedules of
the collapse dichotomy, and the comparisons and perturbations their verdicts use."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...schedules import Constant, Exponential, Linear, Power, Schedule, TLog
from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Comparison, compare, threshold

__all__ = [
    "COLORS",
    "CONVERGENT",
    "DIVERGENT",
    "ESTIMATORS",
    "PAPER",
    "Resolved",
    "capped_horizon",
    "compare_every",
    "detectable_fall",
    "detectable_rise",
    "first_int",
    "paper_schedules",
    "ramp",
    "relative_resolution",
    "resolved",
    "setting_names",
    "tilt_steps",
]

PAPER = "Xu, He & Cheng (2025), A Probabilistic Perspective on Model Collapse"
ESTIMATORS = ("unbiased", "mle")
#: One colour per variance estimator, in every panel.
COLORS = {"unbiased": "tab:blue", "mle": "tab:orange"}


# -- the schedules of the dichotomy -------------------------------------------------------------


def paper_schedules(n0: int) -> dict[str, Schedule]:
    """The schedules of paper 1's dichotomy, by the name the reproductions show.

    Parameters
    ----------
    n0 : int
        The scale of every schedule, ``n_t = n0 g(t)`` (also the real sample size the
        reproductions start from).

    Returns
    -------
    dict of str to Schedule
        ``constant``, ``linear``, ``t^1.1``, ``t^1.5``, ``t^2``, ``t log^2 t`` and ``2^t``, in
        that order: the first two have a divergent ``sum 1/n_t``, the others a convergent one.
    """
    return {
        "constant": Constant(n0),
        "linear": Linear(n0),
        "t^1.1": Power(n0, 0.1),
        "t^1.5": Power(n0, 0.5),
        "t^2": Power(n0, 1.0),
        "t log^2 t": TLog(n0, 2.0),
        "2^t": Exponential(n0, 2.0),
    }


def capped_horizon(schedule: Schedule, horizon: int) -> int:
    """The horizon, shortened for schedules that outgrow 64-bit sizes.

    Parameters
    ----------
    schedule : Schedule
        The synthetic sizes.
    horizon : int
        The generations wanted.

    Returns
    -------
    int
        ``horizon``, or for an exponential schedule the last generation whose size fits below
        ``2^62`` (``2^t`` from ``n0 = 100`` stops at ``t = 55``).
    """
    if isinstance(schedule, Exponential):
        return min(horizon, int(math.log(2**62 / schedule.n0) / math.log(schedule.c)))
    return horizon


#: The dichotomy as paper 1 states it for the schedules of :func:`paper_schedules`: ``sum 1/n_t``
#: diverges for the first, converges for the second.
DIVERGENT = ("constant", "linear")
CONVERGENT = ("t^1.1", "t^1.5", "t^2", "t log^2 t", "2^t")


# -- comparisons restricted to the cells the Monte Carlo error resolves -------------------------


@dataclass(frozen=True)
class Resolved:
    """A :func:`compare` over the cells whose standard error resolves a relative discrepancy of
    ``limit`` (per-cell ``(threshold + DETECTION_MARGIN) se / |scale| <= limit``); the other
    cells cannot test the claim and are listed, not compared."""

    comparison: Comparison | None
    mask: np.ndarray
    cell: np.ndarray
    labels: tuple[str, ...]
    limit: float

    @property
    def holds(self) -> bool | None:
        """Whether the resolved cells agree (``None``: none resolved, or not informative)."""
        return None if self.comparison is None else self.comparison.holds(self.limit)

    @property
    def detectable(self) -> float:
        """The comparison's detectable discrepancy, or the best cell's when none is resolved."""
        if self.comparison is not None:
            return self.comparison.detectable
        finite = self.cell[np.isfinite(self.cell)]
        return float(finite.min()) if finite.size else math.inf

    def text(self) -> str:
        """The evidence: the cells compared, the comparison, and the cells not resolved."""
        m, k = self.mask.size, int(self.mask.sum())
        if self.comparison is None:
            return (
                f"none of {m} cells is resolved (per-cell detectable at least "
                f"{self.detectable:.2g} > {self.limit:g})"
            )
        out = f"{k} of {m} cells resolved, compared: {self.comparison.text()}"
        skipped = [lab for lab, ok in zip(self.labels, self.mask, strict=True) if not ok]
        if skipped:
            shown = ", ".join(skipped[:6]) + (", ..." if len(skipped) > 6 else "")
            out += f"; not resolved (detectable > {self.limit:g}): {shown}"
        return out


def resolved(
    sim: Any,
    expected: Any,
    se: Any,
    labels: Sequence[str],
    *,
    scale: Any = None,
    limit: float = MAX_DETECTABLE,
) -> Resolved:
    """Compare ``sim`` with ``expected`` within SEs over the cells that can resolve ``limit``.

    Parameters
    ----------
    sim, expected, se : array_like
        Simulated values, their expected values and standard errors, one per cell.
    labels : sequence of str
        One name per cell, for the cells listed as not resolved.
    scale : array_like, optional
        What a relative discrepancy is measured against (default ``expected``).
    limit : float
        The largest per-cell detectable discrepancy a compared cell may have.

    Returns
    -------
    Resolved
        The comparison over the resolved cells and which cells they are.
    """
    sim, expected, se = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (sim, expected, se))
    ref = np.abs(expected if scale is None else np.asarray(scale, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        cell = np.where(ref > 0, (threshold(sim.size) + DETECTION_MARGIN) * se / ref, np.inf)
    mask = cell <= limit
    comparison = (
        compare(sim[mask], expected[mask], se[mask], scale=ref[mask]) if mask.any() else None
    )
    return Resolved(comparison, mask, cell, tuple(labels), limit)


def compare_every(sim: Any, expected: Any, se: Any) -> tuple[Comparison, float]:
    """:func:`compare`, and the largest per-cell detectable.

    A claim about every cell needs every cell resolved, so its ``detectable`` is the worst
    cell's.

    Parameters
    ----------
    sim, expected, se : array_like
        Simulated values, their expected values and standard errors, one per cell.

    Returns
    -------
    tuple of Comparison and float
        The comparison over all cells, and the larger of its detectable and the worst cell's.
    """
    comparison = compare(sim, expected, se)
    se, expected = np.asarray(se, dtype=float), np.abs(np.asarray(expected, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        cell = np.where(expected > 0, (comparison.threshold + DETECTION_MARGIN) * se / expected, 0)
    worst = float(np.max(cell)) if cell.size else math.inf
    return comparison, max(worst, comparison.detectable)


def first_int(table: pd.DataFrame, column: str) -> int:
    """The first non-missing value of ``column``, as an integer (a setting stored per row)."""
    return int(table[column].dropna().iloc[0])


def setting_names(values: pd.Series) -> str:
    """The distinct values of a settings column, in order, as text."""
    return ", ".join(str(v) for v in dict.fromkeys(values))


# -- detection limits of directional claims -----------------------------------------------------


def detectable_rise(value: float, bound: float, se: float, z: float) -> float:
    """The relative rise of ``value`` that a test ``value < bound - z se`` detects (97.7%).

    The test fails with probability above 97.7% once the expected value reaches
    ``bound - (z - 2) se``; the rise is measured relative to ``value``.

    Parameters
    ----------
    value : float
        The simulated value.
    bound : float
        The bound it must stay below.
    se : float
        Its standard error.
    z : float
        The test's threshold in standard errors.

    Returns
    -------
    float
        The relative rise (``inf`` for a value that is not positive).
    """
    return max((bound - (z - 2.0) * se) / value - 1.0, 1e-9) if value > 0 else math.inf


def detectable_fall(value: float, bound: float, se: float, z: float) -> float:
    """The relative fall ``value -> value / (1 + d)`` that a test ``value > bound + z se``
    detects with probability above 97.7% (``inf`` for a bound that is not positive)."""
    return max(value / (bound + (z - 2.0) * se) - 1.0, 1e-9) if bound > 0 else math.inf


def relative_resolution(se: float, level: float, z: float) -> float:
    """The smallest change, relative to ``level``, that a test at ``z`` SE resolves (97.7%).

    A directional claim ("below 1/2", "falls", "changes by less than 10%") is informative when
    its standard errors resolve a change of at most :data:`MAX_DETECTABLE` of the level it
    is judged at; its ``detectable`` is how far the simulated value must move to flip it.
    """
    return (z + 2.0) * se / abs(level) if level else math.inf


# -- perturbations ------------------------------------------------------------------------------


def tilt_steps(
    column: str, group: str, order: str
) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """A perturbation that multiplies the ``j``-th cell of each ``group`` (ordered by ``order``)
    by ``(1 - size)^j``: it flattens a rising curve by relative ``size`` per step."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        rank = out.groupby(group)[order].rank(method="first").to_numpy() - 1.0
        factor = max(1.0 - size, 0.0) ** rank
        out[column] = out[column].astype(float) * factor
        return out

    return perturb


def ramp(
    table: pd.DataFrame,
    rows: pd.Series,
    columns: list[str],
    start: pd.Series,
    end: pd.Series,
    amount: pd.Series,
    log: bool = True,
) -> pd.DataFrame:
    """Add ``amount * w`` to ``columns`` on ``rows``, ``w`` rising from 0 at ``start`` to 1 at
    ``end``.

    Parameters
    ----------
    table : DataFrame
        A table with a generation column ``t``.
    rows : Series of bool
        The rows to change.
    columns : list of str
        The columns to change.
    start, end : Series
        Per row, the generations where the ramp starts and where it is complete.
    amount : Series
        Per row, the amount added at ``end``.
    log : bool
        Whether ``w`` is linear in ``log t`` (else in ``t``); it is clipped to [0, 1].

    Returns
    -------
    DataFrame
        A changed copy of ``table``.
    """
    out = table.copy()
    t, a, b = (np.asarray(v, dtype=float) for v in (out["t"], start, end))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(t / a) / np.log(b / a) if log else (t - a) / (b - a)
    w = np.clip(np.nan_to_num(w, nan=0.0, neginf=0.0, posinf=0.0), 0.0, 1.0)
    add = np.where(rows, np.asarray(amount, dtype=float) * w, 0.0)
    for column in columns:
        out[column] = out[column].astype(float) + add
    return out
