"""``strategies``: every way of training on synthetic data, head to head.

Eight strategies, each starting from the same ``n0 = n`` real points (common random numbers:
the same seed, so the same generation-0 data and the same synthetic noise):

``replace``
    Train on the last model's ``n`` synthetic points only (paper 1; Shumailov et al.).
``accumulate``
    Train on every point so far, real and synthetic, unweighted (Gerstgrasser et al.).
``accumulate-subsample``
    Accumulate, but train on ``n`` points drawn from the pool (Kazdan et al.).
``anchor``
    Reuse the ``n0`` real points every generation, weight ``1/2`` against ``n`` synthetic ones.
``naive``, ``golden-ratio`` and ``greedy``
    ``n`` fresh real points every generation mixed with ``n`` synthetic points, weighted
    ``k/(1+k) = 1/2``, ``w* = 1/phi`` and paper 2's greedy time-varying weight
    ``w_t = (n e_{t-1}/C + k)/(1 + n e_{t-1}/C + k)`` (which reaches the stationary error
    ``w* C/n`` of the optimal constant weight). These three arms run in one
    :func:`~modelcollapse.simulate_weights` call: the same fresh real data and the same noise.
``growing``
    Fully synthetic with a superlinearly growing size ``n_t = n t^1.5`` (paper 1: ``sum 1/n_t <
    inf`` avoids collapse).

For the Gaussian (mean and variance estimated, unbiased variance, paper 2's convex combination)
every strategy but accumulate-subsample has an exact law for ``E|mu_t - mu|^2``; for the logistic
regression the laws are first order (``C = tr I(beta)^-1`` in place of ``sigma^2``). Orderings
between strategies are tested on the error averaged over the last half of the generations,
``t0 = T // 2 .. T``, by paired differences per replication (common random numbers), against
the gap the laws predict. The summary states what each strategy costs: the real points it
consumed, the synthetic points it drew, and the size of its last training set.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...plots import THEORY_STYLE, new_figure, plot_band, plot_theory
from ..context import Context, Experiment, Outcome
from ..registry import register
from .strategies_arms import (
    ANCHOR_ALPHA,
    BETA,
    FRESH,
    GROWTH,
    STRATEGIES,
    costs,
    law,
    simulate_arms,
    stationary,
)
from .strategies_report import key_table, notes
from .strategies_verdicts import judge

__all__ = [
    "COLORS",
    "EXPERIMENT",
    "PANELS",
    "PAPERS",
    "SIZES",
    "FamilyPanel",
    "compute",
    "judge",
    "key_table",
    "notes",
    "plot",
    "run",
    "tabulate",
]

PAPERS = (
    "Xu, He & Cheng (paper 1); He, Xu & Cheng (paper 2); Gerstgrasser et al. (2024); "
    "Kazdan et al. (2024)"
)
#: One colour per strategy, the same in every panel.
COLORS = {s: f"C{i}" for i, s in enumerate(STRATEGIES)}
#: Marker areas in the cost panel: strategies with the same cost (accumulate and anchor; the
#: three fresh-data weights) nest instead of hiding one another.
SIZES = {
    "replace": 40,
    "accumulate": 90,
    "accumulate-subsample": 40,
    "anchor": 30,
    "naive": 130,
    "golden-ratio": 65,
    "greedy": 20,
    "growing": 40,
}


@dataclass(frozen=True)
class FamilyPanel:
    """One family on which every strategy runs: its panel's title and axis, whether its laws
    are exact, ``n``, the horizons and the replications (``max(min_replications, R //
    replication_divisor)`` of the run's ``R``)."""

    kind: str
    title: str
    ylabel: str
    exact: bool
    n: int
    generations: int
    quick_generations: int
    min_replications: int = 0
    replication_divisor: int = 1

    def setting(self, quick: bool, replications: int) -> tuple[int, int, int]:
        """``(n, generations, replications)`` at the quick or the paper's scale."""
        generations = self.quick_generations if quick else self.generations
        return (
            self.n,
            generations,
            max(self.min_replications, replications // self.replication_divisor),
        )


PANELS = (
    FamilyPanel(
        "gaussian",
        "Gaussian N(0, 1), mean error",
        "E|mu_t - mu|^2 (squared data units)",
        True,
        n=50,
        generations=50,
        quick_generations=20,
    ),
    FamilyPanel(
        "logistic",
        f"Logistic regression, beta = {list(BETA)}",
        "E|beta_t - beta|^2 (squared coefficient units)",
        False,
        n=200,
        generations=15,
        quick_generations=6,
        min_replications=500,
        replication_divisor=10,
    ),
)

Settings = dict[str, tuple[int, int, int]]


def _constant(kind: str) -> float:
    """``C``: ``sigma^2 = 1`` for the Gaussian, ``tr I(beta)^-1`` for the logistic regression."""
    if kind == "gaussian":
        return 1.0
    return theory.model_constant("logistic", beta=list(BETA), cov_x=np.eye(2))


def _simulate(ctx: Context) -> tuple[Settings, dict[tuple[str, str], dict[str, Any]]]:
    """Every (family, strategy group) run: the settings per family and each arm's summaries
    (:func:`.strategies_arms.simulate_arms`), by ``(family, strategy)``."""
    settings = {p.kind: p.setting(ctx.quick, ctx.replications) for p in PANELS}
    ctx.note(
        strategies=list(STRATEGIES),
        settings={
            k: {"n": v[0], "generations": v[1], "replications": v[2], "window": [v[1] // 2, v[1]]}
            for k, v in settings.items()
        },
        anchor_alpha=ANCHOR_ALPHA,
        growing=f"power: n t^{1 + GROWTH:g}",
        logistic_beta=list(BETA),
    )
    groups = [(s,) for s in STRATEGIES if s not in FRESH] + [tuple(FRESH)]
    calls = []
    for j, (kind, (n, generations, reps)) in enumerate(settings.items()):
        seed = ctx.child_seed(j)  # the same seed for every strategy: common random numbers
        calls += [(kind, g, n, generations, reps, seed) for g in groups]
    ctx.progress(f"{len(calls)} (family, strategies) runs")
    results = {}
    for call, out in zip(calls, ctx.map(simulate_arms, calls), strict=True):
        results.update({(call[0], s): r for s, r in zip(call[1], out, strict=True)})
    return settings, results


def _arm_rows(
    same: dict[str, Any], s: str, r: dict[str, Any], law_s: Any, window_law: float, c: float
) -> list[pd.DataFrame]:
    """One arm's rows: its curve (error per generation) and its window mean."""
    n, generations = same["n"], same["generations"]
    win = r["window"][np.isfinite(r["window"])]
    curve = {
        "part": "curve",
        **same,
        "strategy": s,
        "t": np.arange(generations + 1),
        "error": r["mean"],
        "se": r["se"],
        "theory": np.nan if law_s is None else law_s,
        "failed_fits": r["failed"],
    }
    window = {
        "part": "window",
        **same,
        "strategy": [s],
        "error": [win.mean()],
        "se": [win.std(ddof=1) / math.sqrt(win.size)],
        "theory": [window_law],
        "stationary": [stationary(s, n, c)],
        "pairs": [win.size],
    }
    return [pd.DataFrame(curve), pd.DataFrame(window)]


def _pair_row(
    same: dict[str, Any], a: str, b: str, wa: np.ndarray, wb: np.ndarray, window_law: dict
) -> pd.DataFrame:
    """The paired difference ``b - a`` of two arms' window means (common random numbers)."""
    both = np.isfinite(wa) & np.isfinite(wb)
    diff = wb[both] - wa[both]  # paired: common random numbers
    return pd.DataFrame(
        {
            "part": "pair",
            **same,
            "strategy": [a],
            "other": [b],
            "error": [diff.mean()],
            "se": [diff.std(ddof=1) / math.sqrt(diff.size)],
            "theory": [window_law[b] - window_law[a]],
            "law_a": [window_law[a]],
            "law_b": [window_law[b]],
            "pairs": [diff.size],
        }
    )


def tabulate(settings: Settings, results: dict[tuple[str, str], dict[str, Any]]) -> pd.DataFrame:
    """The results table from the arms' summaries: ``curve``, ``window`` and ``pair`` rows.

    Parameters
    ----------
    settings : dict
        ``(n, generations, replications)`` per family.
    results : dict
        Each arm's summaries (:func:`.strategies_arms.simulate_arms`), by ``(family,
        strategy)``.

    Returns
    -------
    pandas.DataFrame
        The tidy table that :func:`judge` reads.
    """
    exact = {p.kind: p.exact for p in PANELS}
    rows = []
    for kind, (n, generations, reps) in settings.items():
        c = _constant(kind)
        t0 = generations // 2
        same = {"family": kind, "n": n, "generations": generations, "t0": t0}
        same.update(replications=reps, c=c)
        laws = {s: law(s, n, generations, c, exact[kind]) for s in STRATEGIES}
        window_law = {s: (math.nan if v is None else float(v[t0:].mean())) for s, v in laws.items()}
        for s in STRATEGIES:
            rows += _arm_rows(same, s, results[(kind, s)], laws[s], window_law[s], c)
        with_law = [s for s in STRATEGIES if laws[s] is not None]
        for a, b in itertools.combinations(with_law, 2):
            wa, wb = results[(kind, a)]["window"], results[(kind, b)]["window"]
            rows.append(_pair_row(same, a, b, wa, wb, window_law))
    return pd.concat(rows, ignore_index=True)


def compute(ctx: Context) -> pd.DataFrame:
    """Run every strategy on both families and return the results table (:func:`tabulate`).

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress: family ``j`` of :data:`PANELS` uses ``ctx.child_seed(j)``
        for every strategy (common random numbers).

    Returns
    -------
    pandas.DataFrame
        The results table.
    """
    return tabulate(*_simulate(ctx))


def _plot_curves(ax: Any, table: pd.DataFrame, panel: FamilyPanel) -> None:
    """One family's panel: every strategy's error per generation beside its law."""
    curves = table[(table.part == "curve") & (table.family == panel.kind)]
    first = curves.iloc[0]
    n, generations, reps = int(first.n), int(first.generations), int(first.replications)
    for s in STRATEGIES:
        part = curves[curves.strategy == s]
        plot_band(ax, part.t, part.error, part.se, s, color=COLORS[s], marker="")
        if part.theory.notna().all():
            plot_theory(ax, part.t, part.theory, None, color=COLORS[s])
    ax.axhline(
        float(first.c) / n,
        color="grey",
        linestyle=":",
        linewidth=1.0,
        label="real data only, C/n",
    )
    law_name = "exact law" if panel.exact else "first-order law"
    ax.plot([], [], color="black", label=law_name, **THEORY_STYLE)
    ax.set(
        xlabel="generation t",
        ylabel=panel.ylabel,
        yscale="log",
        title=f"{panel.title}\nn = {n}, T = {generations}, R = {reps:,}",
    )
    ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))


def _plot_costs(ax: Any, table: pd.DataFrame) -> None:
    """The cost panel: each strategy's error at T in units of ``C/n`` against the points it
    drew, real and synthetic (:func:`.strategies_arms.costs`)."""
    markers = {"gaussian": "o", "logistic": "s"}
    curves = table[table.part == "curve"]
    for kind, marker in markers.items():
        last = curves[(curves.family == kind) & (curves.t == curves.generations)]
        drawn = [
            sum(costs(s, int(n), int(g))[:2])
            for s, n, g in zip(last.strategy, last.n, last.generations, strict=True)
        ]
        ax.scatter(
            drawn,
            last.error / (last.c / last.n),
            marker=marker,
            c=[COLORS[s] for s in last.strategy],
            s=[SIZES[s] for s in last.strategy],
            edgecolors="black",
            linewidths=0.5,
        )
    for kind, marker in markers.items():
        ax.scatter([], [], marker=marker, color="white", edgecolors="black", label=kind)
    for s in STRATEGIES:
        ax.scatter([], [], marker="o", color=COLORS[s], label=s)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="points drawn over the run, real + synthetic (points)",
        ylabel="error at T / (C/n) (ratio)",
        title="Error against cost\n(colour: strategy, marker: family)",
    )
    ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax.margins(0.15)


def plot(table: pd.DataFrame) -> Any:
    """The figure: one panel of error curves per family, and error against cost."""
    fig, axes = new_figure(3, width=4.8, height=4.4)
    for ax, panel in zip(axes[:2], PANELS, strict=False):
        _plot_curves(ax, table, panel)
    _plot_costs(axes[2], table)
    return fig


def run(ctx: Context) -> Outcome:
    """Simulate, tabulate, then the key table (which also reads the arms' medians), the figure
    and the notes."""
    settings, results = _simulate(ctx)
    table = tabulate(settings, results)
    key = key_table(table, results)
    return Outcome(table, {"strategies": plot(table)}, key, notes=notes(key, settings))


EXPERIMENT = register(
    Experiment(
        id="strategies",
        title="Every strategy head to head: replace, accumulate, accumulate-subsample, anchor, "
        "naive, golden-ratio and greedy mixing, growing schedules",
        paper=PAPERS,
        figure="Strategies compared",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
