"""The verdicts of ``strategies`` (:mod:`.strategies`), pure functions of its results table.

Orderings between strategies are tested on the error averaged over the last half of the
generations, ``t0 = T // 2 .. T``, by paired differences per replication (common random
numbers), against the gap the laws predict.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, compare, ordering, threshold
from .strategies_arms import EXACT_TOGETHER, NO_FRESH_WITH_LAW

__all__ = ["judge", "order_verdict", "ranking_verdict", "shrink"]


def _pair(table: pd.DataFrame, family: str, a: str, b: str) -> tuple[pd.Series, int]:
    """The stored pair row of ``a`` and ``b`` and the orientation (+1: stored as ``b - a``)."""
    rows = table[(table.part == "pair") & (table.family == family)]
    hit = rows[(rows.strategy == a) & (rows.other == b)]
    if len(hit):
        return hit.iloc[0], 1
    return rows[(rows.strategy == b) & (rows.other == a)].iloc[0], -1


def _oriented(
    table: pd.DataFrame, family: str, pairs: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, ...]:
    """For claims ``a < b``: paired differences ``b - a``, their SEs, the predicted gaps and the
    predicted window error of ``b``."""
    diff, se, predicted, scale = [], [], [], []
    for a, b in pairs:
        row, sign = _pair(table, family, a, b)
        diff.append(sign * row.error)
        se.append(row.se)
        predicted.append(sign * row.theory)
        scale.append(row.law_b if sign > 0 else row.law_a)
    return tuple(np.asarray(v, dtype=float) for v in (diff, se, predicted, scale))


def shrink(
    family: str, pairs: Sequence[tuple[str, str]]
) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Perturbation for claims ``a < b``: arm ``b`` moved towards ``a`` by ``size`` times its
    predicted error (the paired differences ``b - a`` shrink by that much).

    Parameters
    ----------
    family : str
        ``"gaussian"`` or ``"logistic"``.
    pairs : sequence of (str, str)
        The claims ``a < b``.

    Returns
    -------
    callable
        ``perturb(table, size) -> table``, a perturbed copy.
    """

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        for a, b in pairs:
            row, sign = _pair(out, family, a, b)
            scale = abs(row.law_b if sign > 0 else row.law_a)
            out.loc[row.name, "error"] = row.error - sign * size * scale
        return out

    return perturb


def order_verdict(
    table: pd.DataFrame, family: str, pairs: Sequence[tuple[str, str]], claim: str
) -> Verdict:
    """A predicted ordering ``a < b`` (every pair) tested on the paired window differences.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of ``strategies``.
    family : str
        ``"gaussian"`` (a simulation verdict) or ``"logistic"`` (an approximation).
    pairs : sequence of (str, str)
        The claims ``a < b``.
    claim : str
        The verdict's claim.

    Returns
    -------
    Verdict
        The ordering verdict, perturbed by :func:`shrink`.
    """
    diff, se, predicted, scale = _oriented(table, family, pairs)
    o = ordering(diff, se, predicted, scale)
    detail = ", ".join(
        f"{b} - {a} {d:.3g} +- {s:.2g} (predicted {g:.3g}: {(d - g) / s:+.1f} SE, {d / g - 1:+.0%})"
        for (a, b), d, s, g in zip(pairs, diff, se, predicted, strict=True)
    )
    return Verdict(
        claim,
        o.holds(),
        f"(paired differences of the mean error over t = {_window(table, family)}: {detail}; "
        f"{o.text()}"
        + ("" if o.informative else "; the predicted gap is below what this scale resolves")
        + ")",
        kind="simulation" if family == "gaussian" else "approximation",
        detectable=o.detectable,
        inputs=("error",),
        perturb=shrink(family, pairs),
    )


def _window(table: pd.DataFrame, family: str) -> str:
    row = table[table.family == family].iloc[0]
    return f"{int(row.t0)}..{int(row.generations)}"


def ranking_verdict(table: pd.DataFrame, family: str) -> Verdict:
    """No pair of the original strategies with a law ranked by the simulation, beyond its SE,
    in the opposite order to its first-order law.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of ``strategies``.
    family : str
        ``"gaussian"`` or ``"logistic"``.

    Returns
    -------
    Verdict
        An approximation verdict over every pair of :data:`.strategies_arms.EXACT_TOGETHER`.
    """
    pairs = []
    for a, b in itertools.combinations(EXACT_TOGETHER, 2):
        row, _ = _pair(table, family, a, b)
        lower, upper = (row.strategy, row.other) if row.theory > 0 else (row.other, row.strategy)
        pairs.append((lower, upper))
    diff, se, predicted, scale = _oriented(table, family, pairs)
    z = threshold(len(pairs))
    reversed_ = diff < -z * se
    resolved = diff > z * se
    reach = (predicted + (z + DETECTION_MARGIN) * se) / np.abs(scale)
    detectable = float(np.min(reach))
    worst = int(np.argmin(diff / se))
    return Verdict(
        f"{family}: the simulation orders the strategies as the first-order laws do (mean error "
        f"over generations {_window(table, family)}).",
        None if detectable > MAX_DETECTABLE else bool(not reversed_.any()),
        f"({int(reversed_.sum())} of {len(pairs)} pairs reversed beyond {z:.2g} SE, "
        f"{int(resolved.sum())} resolved in the predicted order; least agreeing pair "
        f"{pairs[worst][0]} < {pairs[worst][1]}: paired difference {diff[worst]:.3g} +- "
        f"{se[worst]:.2g}, predicted {predicted[worst]:.3g})",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=shrink(family, pairs),
    )


def _gaussian_laws_verdict(table: pd.DataFrame) -> Verdict:
    """Every Gaussian strategy with an exact law follows it."""
    curves = table[table.part == "curve"]
    gauss = curves[(curves.family == "gaussian") & curves.strategy.isin(EXACT_TOGETHER)]
    together = compare(gauss.error, gauss.theory, gauss.se)
    return Verdict(
        "gaussian: every strategy with an exact law follows it (replace, accumulate, anchor, "
        "naive, golden-ratio, growing).",
        together.holds(),
        f"({together.text()})",
        kind="simulation",
        detectable=together.detectable,
        inputs=("error",),
    )


def _greedy_law_verdict(table: pd.DataFrame) -> Verdict:
    """The Gaussian greedy arm follows its exact law at every generation."""
    curves = table[table.part == "curve"]
    greedy = curves[(curves.family == "gaussian") & (curves.strategy == "greedy")]
    greedy_law = compare(greedy.error, greedy.theory, greedy.se)
    t_max = int(greedy.t.max())
    return Verdict(
        "gaussian: the greedy time-varying weight's simulated error follows its exact law "
        "at every generation.",
        greedy_law.holds(),
        f"({greedy_law.text()}; at T = {t_max}: {greedy.error.iloc[-1]:.4g} +- "
        f"{greedy.se.iloc[-1]:.2g} against {greedy.theory.iloc[-1]:.4g})",
        kind="simulation",
        detectable=greedy_law.detectable,
        inputs=("error",),
    )


def _greedy_stationary_verdict(table: pd.DataFrame) -> Verdict:
    """The Gaussian greedy arm's window error reaches ``w* C/n``."""
    windows = table[table.part == "window"].set_index(["family", "strategy"])
    g: Any = windows.loc[("gaussian", "greedy")]  # one row: its fields are scalars
    stationary = compare(g.error, g.stationary, g.se)
    return Verdict(
        "gaussian: the greedy weight reaches the stationary error w* C/n of the optimal "
        f"constant weight (mean error over generations {_window(table, 'gaussian')}).",
        stationary.holds(),
        f"({g.error:.5g} +- {g.se:.2g} against w* C/n = {g.stationary:.5g}, "
        f"z = {float(stationary.z[0]):.2f}; the exact law over the window is "
        f"{g.theory / g.stationary - 1:+.1e} relative to it)",
        kind="simulation",
        detectable=stationary.detectable,
        inputs=("error",),
    )


def _ordering_verdicts(table: pd.DataFrame, family: str) -> list[Verdict]:
    """The three predicted orderings of one family."""
    span = _window(table, family)
    return [
        order_verdict(
            table,
            family,
            [("golden-ratio", "naive")],
            f"{family}: with n fresh real points per generation, golden-ratio mixing has a "
            f"lower error than naive mixing (mean over generations {span}).",
        ),
        order_verdict(
            table,
            family,
            [("greedy", "naive")],
            f"{family}: the greedy time-varying weight has a lower error than naive mixing "
            f"(mean over generations {span}).",
        ),
        order_verdict(
            table,
            family,
            [(s, "replace") for s in NO_FRESH_WITH_LAW],
            f"{family}: of the strategies without fresh real data, replacing the data has a "
            f"higher error than accumulating, anchoring or a growing size (mean over "
            f"generations {span}).",
        ),
    ]


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``strategies``, from its results table alone.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of :func:`.strategies.compute` (``curve``, ``window`` and ``pair``
        rows).

    Returns
    -------
    list of Verdict
        The Gaussian laws, the greedy weight's law and stationary error, three orderings per
        family, and the logistic ranking.
    """
    verdicts = [
        _gaussian_laws_verdict(table),
        _greedy_law_verdict(table),
        _greedy_stationary_verdict(table),
    ]
    for family in ("gaussian", "logistic"):
        verdicts += _ordering_verdicts(table, family)
    verdicts.append(ranking_verdict(table, "logistic"))
    return verdicts
