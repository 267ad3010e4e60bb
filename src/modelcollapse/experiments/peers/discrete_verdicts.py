"""The verdicts of ``peers-discrete`` (:mod:`.discrete`), pure functions of its results table,
and the perturbations that show each simulated verdict can fail."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, compare, ordering

__all__ = ["approach", "judge", "less_rare_gap", "stretch_detectable", "stretched"]


def less_rare_gap(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the rarest cell's simulated loss probability lowered by ``size`` times its
    exact value (so the gap to the most common cell shrinks).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``peers-discrete``.
    size : float
        The relative size of the perturbation.

    Returns
    -------
    pandas.DataFrame
        A perturbed copy.
    """
    out = table.copy()
    rows = out.panel == "rare_gap"
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] - size * out.loc[rows, "scale"].abs()
    return out


def stretched(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: every simulated absorption time ``1 + size`` times longer (the simulated
    survival curve read at ``t / (1 + size)``).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``peers-discrete``.
    size : float
        The relative stretch.

    Returns
    -------
    pandas.DataFrame
        A perturbed copy.
    """
    out = table.copy()
    for size_n in out.loc[out.panel == "survival", "n"].unique():
        rows = (out.panel == "survival") & (out.n == size_n)
        t = out.loc[rows, "t"].to_numpy(float)
        out.loc[rows, "simulated"] = np.interp(t / (1.0 + size), t, out.loc[rows, "simulated"])
    return out


def stretch_detectable(survival: pd.DataFrame, band: float) -> float:
    """The smallest stretch ``s`` of the absorption time at which the exact survival curve moves
    by more than ``band + DETECTION_MARGIN se`` somewhere (detected with probability above
    97.7%), by bisection on ``s``.

    Parameters
    ----------
    survival : pandas.DataFrame
        The ``survival`` rows of the results table.
    band : float
        The DKW band the simulated curves are tested against.

    Returns
    -------
    float
        The stretch, or infinity when even a stretch of 1 goes unseen.
    """

    def moves(s: float) -> bool:
        for size_n in survival.n.unique():
            part = survival[survival.n == size_n]
            t = part.t.to_numpy(float)
            exact = part.exact.to_numpy()
            shift = np.abs(np.interp(t / (1.0 + s), t, exact) - exact)
            if np.any(shift > band + DETECTION_MARGIN * part.se.to_numpy()):
                return True
        return False

    low, high = 0.0, 1.0
    if not moves(high):
        return math.inf
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if moves(mid) else (mid, high)
    return high


def approach(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the simulated mean absorption time at the largest n lowered by a relative
    ``size`` (away from the diffusion, which lies above it).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``peers-discrete``.
    size : float
        The relative size of the perturbation.

    Returns
    -------
    pandas.DataFrame
        A perturbed copy.
    """
    out = table.copy()
    rows = out.panel == "absorption_time"
    largest = rows & (out.n == out.loc[rows, "n"].max())
    out.loc[largest, "simulated"] = out.loc[largest, "simulated"] * (1.0 - size)
    return out


def _panel(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table.panel == name]


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    return _panel(table, "cell_lost_at_T").sort_values("cell")


def _absorption(table: pd.DataFrame) -> pd.DataFrame:
    return _panel(table, "absorption_time").sort_values("n")


def _horizon(table: pd.DataFrame) -> int:
    return int(_panel(table, "heterozygosity").t.max())


def _heterozygosity_verdict(table: pd.DataFrame) -> Verdict:
    het = _panel(table, "heterozygosity")
    c = compare(het.simulated, het.exact, het.se)
    return Verdict(
        "The heterozygosity E[1 - sum p_t^2] follows (1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t exactly.",
        c.holds(),
        f"({c.text()}; at T = {_horizon(table)}: {het.simulated.iloc[-1]:.5g} +- "
        f"{het.se.iloc[-1]:.2g} against {het.exact.iloc[-1]:.5g})",
        kind="simulation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def _lost_cells_verdict(table: pd.DataFrame) -> Verdict:
    lost = _panel(table, "cells_lost")
    c = compare(lost.simulated, lost.exact, lost.se)
    return Verdict(
        "The mean number of lost cells follows the exact Wright-Fisher law.",
        c.holds(),
        f"({c.text()}; at T = {_horizon(table)}: {lost.simulated.iloc[-1]:.4g} +- "
        f"{lost.se.iloc[-1]:.2g} against {lost.exact.iloc[-1]:.4g} of K - 1 = "
        f"{len(_cells(table)) - 1})",
        kind="simulation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def _cell_loss_verdict(table: pd.DataFrame) -> Verdict:
    cells = _cells(table)
    c = compare(cells.simulated, cells.exact, cells.se)
    return Verdict(
        "Each cell's probability of being lost by the last generation agrees with the exact one.",
        c.holds(),
        f"({c.text()}, binomial SEs of the exact probabilities; T = {_horizon(table)})",
        kind="simulation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def _tail_first_verdict(table: pd.DataFrame) -> Verdict:
    cells = _cells(table)
    by_p = cells.sort_values("p", ascending=False).exact.to_numpy()
    return Verdict(
        "The exact probability that a cell is lost by the last generation grows from the "
        "head of the law to its tail (the rarer the cell, the likelier its loss).",
        bool(np.all(np.diff(by_p) >= 0.0) and by_p[-1] > by_p[0]),
        f"(exact P(lost by T = {_horizon(table)}) from {by_p[0]:.3g} for the most common cell "
        f"(p = {cells.p.max():.3g}) to {by_p[-1]:.3g} for the rarest (p = "
        f"{cells.p.min():.3g}))",
        kind="theory",
    )


def _rare_first_verdict(table: pd.DataFrame) -> Verdict:
    gap = _panel(table, "rare_gap").iloc[0]
    o = ordering(gap.simulated, gap.se, gap.exact, gap.scale)
    return Verdict(
        "Rare cells are lost first: by the last generation the rarest cell has been lost "
        "more often than the most common one.",
        o.holds(),
        f"(paired difference P(rarest lost) - P(most common lost) {gap.simulated:.3g} +- "
        f"{gap.se:.2g}, exact {gap.exact:.3g}; {o.text()})",
        kind="simulation",
        detectable=o.detectable,
        inputs=("simulated",),
        perturb=less_rare_gap,
    )


def _absorption_mean_verdict(table: pd.DataFrame) -> Verdict:
    ab = _absorption(table)
    ab_rows: Iterable[Any] = ab.itertuples(False)
    c = compare(ab.simulated, ab.exact, ab.se)
    return Verdict(
        "The mean absorption time (first generation with a lost cell, K = 2, p = 1/2) agrees "
        "with the exact value of the binomial chain at every n.",
        c.holds(),
        f"({c.text()}; "
        + ", ".join(
            f"n={int(a.n)}: {a.simulated:.4g} +- {a.se:.2g} vs {a.exact:.4g}" for a in ab_rows
        )
        + "; means of min(tau, T + 1) against the exact E min(tau, T + 1))",
        kind="simulation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def _distribution_verdict(table: pd.DataFrame) -> Verdict:
    survival = _panel(table, "survival")
    r_abs = int(survival.replications.iloc[0])
    level = float(survival.dkw_level.iloc[0])
    sizes = survival.n.unique()
    band = math.sqrt(math.log(2.0 * len(sizes) / level) / (2.0 * r_abs))
    sup = {
        int(s): float(
            (survival[survival.n == s].simulated - survival[survival.n == s].exact).abs().max()
        )
        for s in sizes
    }
    stretch = stretch_detectable(survival, band)
    return Verdict(
        "The whole distribution of the absorption time agrees with the exact "
        "P(not absorbed by t) at every n.",
        None if stretch > MAX_DETECTABLE else bool(max(sup.values()) <= band),
        "(sup_t |simulated - exact| "
        + ", ".join(f"n={s}: {v:.3g}" for s, v in sup.items())
        + f" against the DKW band {band:.3g} at family level {level:g}; the test detects "
        "absorption times stretched by the stated relative amount)",
        kind="simulation",
        detectable=stretch,
        inputs=("simulated",),
        perturb=stretched,
    )


def _exact_approach_verdict(table: pd.DataFrame) -> Verdict:
    ab = _absorption(table)
    ratio = (ab.scale / ab.diffusion).to_numpy()
    return Verdict(
        "The exact mean absorption time approaches Kimura's diffusion 2 n ln 2 from below "
        "as n grows: exact / diffusion rises towards 1.",
        bool(np.all(np.diff(ratio) > 0.0) and np.all(ratio < 1.0)),
        "(exact / diffusion "
        + ", ".join(f"{q:.4f}" for q in ratio)
        + f" at n = {', '.join(str(int(s)) for s in ab.n)})",
        kind="theory",
    )


def _simulated_approach_verdict(table: pd.DataFrame) -> Verdict:
    ab = _absorption(table)
    ab_rows: Iterable[Any] = ab.itertuples(False)
    small, large = ab.iloc[0], ab.iloc[-1]
    rel = 1.0 - ab.simulated / ab.diffusion
    rel_se = ab.se / ab.diffusion
    z = (ab.simulated - ab.diffusion) / ab.se
    o = ordering(
        rel.iloc[0] - rel.iloc[-1],
        math.hypot(rel_se.iloc[0], rel_se.iloc[-1]),
        (1.0 - small.exact / small.diffusion) - (1.0 - large.exact / large.diffusion),
        large.exact / large.diffusion,
    )
    return Verdict(
        "The mean absorption time approaches Kimura's diffusion 2 n ln 2 as n grows: its "
        "relative shortfall is smaller at the largest n than at the smallest.",
        o.holds(),
        "(simulated against 2 n ln 2: "
        + ", ".join(
            f"n={int(a.n)}: {-q:+.1%} ({zz:+.1f} SE)"
            for a, q, zz in zip(ab_rows, rel, z, strict=True)
        )
        + f"; shortfall falls by {rel.iloc[0] - rel.iloc[-1]:.3g} +- "
        f"{math.hypot(rel_se.iloc[0], rel_se.iloc[-1]):.2g}; {o.text()})",
        kind="approximation",
        detectable=o.detectable,
        inputs=("simulated",),
        perturb=approach,
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``peers-discrete``, from its results table alone.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of :func:`.discrete.compute`.

    Returns
    -------
    list of Verdict
        Nine verdicts: the Zipf panel's laws and the rare cells lost first, then the
        absorption time's mean, distribution and approach to Kimura's diffusion.
    """
    return [
        _heterozygosity_verdict(table),
        _lost_cells_verdict(table),
        _cell_loss_verdict(table),
        _tail_first_verdict(table),
        _rare_first_verdict(table),
        _absorption_mean_verdict(table),
        _distribution_verdict(table),
        _exact_approach_verdict(table),
        _simulated_approach_verdict(table),
    ]
