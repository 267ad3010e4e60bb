"""Paper 2 (He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"): the weight-sweep
machinery that Figures 8, 9 and 10 share.

Figures 7-9 follow the protocol of the authors' code (spec section 3). A weight sweep runs one
simulation per weight with the *same* seed, so every weight sees the same random numbers within
a replication (common random numbers, which the authors also use and which make the curves
smooth). The simulated errors at different weights are therefore correlated: the results table
keeps, beside each weight's mean error and standard error, the covariance of its mean with the
means at the other weights of the same simulation (:mod:`.sweep_stats`). Every verdict is judged
from that table alone (:func:`~.sweep_verdicts.judge_sweep`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ... import theory
from ...engine import simulate_weights
from ...metrics import axis_label
from ...plots import plot_band, plot_theory
from ..context import Context
from .sweep_spec import WEIGHT_GRID, Panel
from .sweep_stats import COV_PREFIX, INV_PHI, replication_moments
from .sweep_verdicts import argmin_summary, by_panel, judge_sweep, sweep_key_table

__all__ = [
    "INV_PHI",
    "WEIGHT_GRID",
    "Panel",
    "block_rows",
    "family_groups",
    "judge_sweep",
    "panel_axes",
    "plot_sweep",
    "run_sweeps",
    "sweep",
    "sweep_key_table",
    "sweep_subtitle",
]


def _window_theory(panel: Panel, w: float, n: int, m: int, window: np.ndarray) -> float:
    """Theory for the window-averaged error: the exact recursion where one exists, else the
    first-order recursion with the panel's constant (transient included), as it is."""
    horizon = int(window.max())
    if panel.exact is not None:
        model, params = panel.exact
        path = theory.exact_error_path(model, w, n, m, horizon, **dict(params))
    else:
        path = theory.error_trajectory(w, panel.k_eff(n / m), horizon, panel.constant, n)
    return float(np.mean(path[window]))


def _sweep_cell(
    family: Any,
    engine: str,
    metrics: list[str],
    weights: list[float],
    n: int,
    m: int,
    generations: int,
    window: np.ndarray,
    replications: int,
    seed: np.random.SeedSequence,
) -> list[dict[str, np.ndarray]]:
    """One family at several weights on common random numbers: per weight and metric, the
    window-averaged error of every replication. Module level so a process pool can run it; a
    weight's result does not depend on which others share the call (the same seed gives every
    call the same replications)."""
    runs = simulate_weights(
        family,
        weights=weights,
        n0=n,
        schedule=m,
        n_real=n,
        generations=generations,
        replications=replications,
        seed=seed,
        engine=engine,
        record=window,
        metrics=metrics,
    )
    return [{metric: res.values(metric).mean(axis=1) for metric in metrics} for res in runs]


def _split(weights: list[float], parts: int) -> list[list[float]]:
    """``weights`` in at most ``parts`` contiguous, nearly equal groups."""
    parts = max(1, min(parts, len(weights)))
    chunks = np.array_split(np.asarray(weights, dtype=float), parts)
    return [[float(w) for w in chunk] for chunk in chunks]


def run_sweeps(
    ctx: Context,
    jobs: list[tuple[list[Any], list[float], int, np.random.SeedSequence, Any]],
    n: int,
    generations: int,
    window: np.ndarray,
) -> list[tuple[Any, int, float, dict[str, np.ndarray]]]:
    """Run weight sweeps ``(members, weights, m, seed, tag)``, all in one pool. A job's weights
    are split into parts only as far as needed for about four calls per worker: the weights of
    one call share their noise draws (common random numbers), so splitting them draws the noise
    again in each part. Returns ``(tag, index in the job's weights, w, per-replication values)``
    per weight, in the order given."""
    calls, owners = [], []
    parts = math.ceil(4 * ctx.workers / len(jobs)) if ctx.workers > 1 else 1
    for members, weights, m, seed, tag in jobs:
        family, offset = members[0].family(), 0
        for part in _split(weights, parts):
            calls.append(
                (
                    family,
                    members[0].engine,
                    [p.metric for p in members],
                    part,
                    n,
                    m,
                    generations,
                    window,
                    ctx.replications,
                    seed,
                )
            )
            owners.append((tag, part, offset))
            offset += len(part)
    out: list[tuple[Any, int, float, dict[str, np.ndarray]]] = []
    for (tag, part, offset), results in zip(owners, ctx.map(_sweep_cell, calls), strict=True):
        out.extend(
            (tag, offset + i, w, result)
            for i, (w, result) in enumerate(zip(part, results, strict=True))
        )
    return out


def family_groups(panels: list[Any]) -> dict[str, list[Any]]:
    """Panels grouped by the simulation they share (``shared_with``, else their own key), in
    the order of their first panel."""
    by_family: dict[str, list[Any]] = {}
    for panel in panels:
        by_family.setdefault(panel.shared_with or panel.key, []).append(panel)
    return by_family


def block_rows(
    panel: Panel,
    cells: list[tuple[int, float, np.ndarray]],
    n: int,
    m: int,
    window: np.ndarray,
    replications: int,
    block: int,
    **extra: Any,
) -> list[dict[str, Any]]:
    """The table rows of one block (weights on common random numbers).

    Parameters
    ----------
    panel : Panel
        The panel the rows belong to.
    cells : list of (int, float, ndarray)
        ``(idx, w, per-replication values)`` per weight of the block.
    n, m : int
        Real and synthetic sample sizes per generation.
    window : ndarray
        The generations averaged (for the theory).
    replications : int
        Replications run.
    block : int
        The block's number in the table.
    **extra
        Further columns, after ``theory_kind``.

    Returns
    -------
    list of dict
        One row per weight: settings, mean error, its standard error, the theory (exact or
        first-order, as it is), the asymptotic error and the ``cov_*`` columns.
    """
    cells = sorted(cells, key=lambda cell: cell[0])
    mean, se, cov = replication_moments(np.column_stack([cell[2] for cell in cells]))
    k = n / m
    rows = []
    for a, (idx, w, _) in enumerate(cells):
        rows.append(
            {
                "panel": panel.key,
                "title": panel.title,
                "metric": panel.metric,
                "theory_kind": panel.theory_kind,
                **extra,
                "block": block,
                "idx": idx,
                "w": w,
                "n": n,
                "m": m,
                "k": k,
                "w_star": float(theory.optimal_weight(k)),
                "w_first_order": float(theory.optimal_weight(panel.k_eff(k))),
                "replications": replications,
                "error": float(mean[a]),
                "se": float(se[a]),
                "theory": _window_theory(panel, w, n, m, window),
                "asymptotic": panel.constant / n * float(theory.limiting_ratio(w, panel.k_eff(k))),
                **{f"{COV_PREFIX}{cells[b][0]}": float(cov[a, b]) for b in range(len(cells))},
            }
        )
    return rows


def sweep(
    ctx: Context,
    panels: list[Panel],
    weights: np.ndarray,
    n: int,
    m: int,
    generations: int,
    window: np.ndarray,
    key: int,
) -> pd.DataFrame:
    """Simulate every panel at every weight on common random numbers.

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress.
    panels : list of Panel
        The panels (panels sharing a simulation run once).
    weights : ndarray
        The weights, increasing (``w = 1`` last, when present).
    n, m : int
        Real and synthetic sample sizes per generation.
    generations : int
        Generations simulated.
    window : ndarray
        The generations averaged into each replication's error.
    key : int
        Seed key of the first family (``ctx.child_seed(key + j)`` for family ``j``).

    Returns
    -------
    pandas.DataFrame
        One row per (panel, weight): the settings, the mean error and its standard error, the
        theory (exact or first-order, as it is), and the covariance of the mean with the other
        weights' (module docstring).
    """
    jobs = []
    for j, (family_key, members) in enumerate(family_groups(panels).items()):
        ctx.progress(
            f"{family_key}: {len(weights)} weights x {ctx.replications:,} replications "
            f"x {generations} generations (n = {n}, m = {m})"
        )
        # One seed per family: common random numbers across the weights.
        jobs.append((members, list(weights), m, ctx.child_seed(key + j), members))
    cells: dict[str, list[tuple[int, float, np.ndarray]]] = {}
    for members, i, w, result in run_sweeps(ctx, jobs, n, generations, window):
        for panel in members:
            cells.setdefault(panel.key, []).append((i, w, result[panel.metric]))
    rows = []
    for panel in panels:
        rows += block_rows(panel, cells[panel.key], n, m, window, ctx.replications, block=0)
    return pd.DataFrame(rows)


def panel_axes(count: int) -> tuple[Figure, np.ndarray]:
    """A figure with one axes per panel, three to a row (the sweeps' layout).

    Parameters
    ----------
    count : int
        The panels.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes
        At least ``count`` axes, in reading order; hide those past ``count``.
    """
    cols = min(3, count)
    rows_n = math.ceil(count / cols)
    fig = Figure(figsize=(5.2 * cols, 4.1 * rows_n + 0.4), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(rows_n, cols, squeeze=False)).ravel()


def _theory_label(first: pd.Series, w_star: float) -> str:
    if first.theory_kind == "exact":
        return "exact theory"
    if abs(float(first.w_first_order) - w_star) > 1e-9:
        return "first-order C_real R(w, k C_synth/C_real)/n"
    return "first-order C R(w, k)/n"


def _mark_optima(ax: Any, rows: pd.DataFrame, first: pd.Series, w_star: float) -> None:
    """The simulated argmin with its confidence set, ``w*``, and the first-order optimum
    where it differs."""
    s = argmin_summary(rows)
    if s["finite"]:
        ax.axvspan(
            s["low"],
            s["high"],
            color="tab:red",
            alpha=0.12,
            linewidth=0,
            label=f"argmin set [{s['low']:.2f}, {s['high']:.2f}]",
        )
        ax.axvline(
            s["argmin"],
            color="tab:red",
            linewidth=1.0,
            linestyle="-.",
            label=f"simulated argmin {s['argmin']:.2f}",
        )
    ax.axvline(
        w_star,
        color="grey",
        linewidth=1.0,
        linestyle=":",
        label=f"w* = {w_star:.3f}" + (" = 1/phi" if abs(w_star - INV_PHI) < 1e-9 else ""),
    )
    if abs(float(first.w_first_order) - w_star) > 1e-9:
        ax.axvline(
            float(first.w_first_order),
            color="tab:green",
            linewidth=1.0,
            linestyle="--",
            label=f"w*(k C_synth/C_real) = {float(first.w_first_order):.3f}",
        )


def plot_sweep(table: pd.DataFrame, subtitle: str) -> Figure:
    """Error against ``w`` per panel: the simulation with its 95% band, the theory as it is
    (exact, or first-order ``C R(w, k)/n``), the simulated argmin with its confidence set, and
    ``w*``.

    Parameters
    ----------
    table : pandas.DataFrame
        The table :func:`sweep` returns.
    subtitle : str
        The scale run (:func:`sweep_subtitle`), heading the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = by_panel(table)
    fig, axes = panel_axes(len(panels))
    for ax, (_, rows) in zip(axes, panels, strict=False):
        part = rows[rows.w < 1.0 - 1e-12].sort_values("w")
        first = part.iloc[0]
        w_star = float(first.w_star)
        plot_band(ax, part.w, part.error, part.se, "simulated (95% band)")
        plot_theory(ax, part.w, part.theory, _theory_label(first, w_star))
        _mark_optima(ax, rows, first, w_star)
        ax.set(
            xlabel="weight on real data w",
            ylabel=axis_label(str(first.metric), "mean error in the window"),
            title=str(first.title),
        )
        ax.legend(fontsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(subtitle, fontsize=10)
    return fig


def sweep_subtitle(table: pd.DataFrame, window: np.ndarray, generations: int) -> str:
    """The scale a weight sweep ran at, for its figure's heading.

    Parameters
    ----------
    table : pandas.DataFrame
        The table :func:`sweep` returns.
    window : ndarray
        The generations averaged.
    generations : int
        The generations simulated.

    Returns
    -------
    str
    """
    first = table.iloc[0]
    grid = np.sort(table.w[table.w < 1.0 - 1e-12].unique())
    steps = np.diff(grid[np.abs(grid - INV_PHI) > 1e-9])
    step = f", step {np.median(steps):.2g}" if steps.size else ""
    return (
        f"n = {int(first.n)}, m = {int(first.m)}; {int(first.replications):,} replications; "
        f"{grid.size} weights from {grid[0]:.2f} to {grid[-1]:.2f}{step} (with 1/phi); error "
        f"averaged over generations {window[0]}..{window[-1]} of {generations}"
    )
