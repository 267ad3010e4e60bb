"""Paper 2's Figure 8 (``he2025-fig8``): golden-ratio weighting at ``k = 1``, the error against
the weight ``w`` on real data for every model, simulated beside ``C R(w, 1)/n``.

The Gaussian mean and covariance and the CDF have exact finite-n theory; the regressions and
GLMs first-order theory, drawn as it is (:mod:`.sweep_verdicts` holds the tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import Verdict
from .sweep import plot_sweep, sweep, sweep_subtitle
from .sweep_spec import PAPER, WEIGHT_GRID, Scale, SweepSpec, model_panels
from .sweep_verdicts import judge_sweep, sweep_key_table

__all__ = ["EXPERIMENT", "SPEC", "compute", "judge", "notes", "plot", "run"]

#: n = m = 100, p = 2, Figure 8's grid plus ``w = 1`` (real data only). Quick scale: a shorter
#: horizon (the transient (1-w)^(2t) is below 1e-7 by t = 40 for w >= 0.2) so the whole pipeline
#: runs in seconds.
SPEC = SweepSpec(
    n=100,
    m=100,
    p=2,
    paper=Scale(generations=200, first=150, last=199, grid=tuple(WEIGHT_GRID.tolist()), step=0.02),
    quick=Scale(generations=60, first=40, last=59, grid=tuple(WEIGHT_GRID.tolist()), step=0.02),
)


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate every panel at every weight of the grid and at ``w = 1`` (the results table)."""
    assert SPEC.m is not None and SPEC.p is not None  # both set above
    scale = SPEC.scale(ctx.quick)
    window = scale.window
    ctx.note(
        n=SPEC.n,
        m=SPEC.m,
        p=SPEC.p,
        generations=scale.generations,
        window=[int(window[0]), int(window[-1])],
        weights=scale.values.tolist(),
    )
    weights = np.append(scale.values, 1.0)  # w = 1: real data only
    panels = model_panels(SPEC.p)
    return sweep(ctx, panels, weights, SPEC.n, SPEC.m, scale.generations, window, key=0)


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the sweep (:func:`~.sweep_verdicts.judge_sweep`), from its table."""
    return judge_sweep(table)


def plot(table: pd.DataFrame, scale: Scale) -> Figure:
    """Figure 8: error against ``w`` per panel, headed by the scale run."""
    return plot_sweep(table, "Figure 8, " + sweep_subtitle(table, scale.window, scale.generations))


def notes(table: pd.DataFrame, key: pd.DataFrame, scale: Scale) -> list[str]:
    """The run's notes: the truth, the error's definition, and simulation over first-order
    theory at ``w*`` and at ``w = 1``."""
    window = scale.window
    first_order = key[key["theory kind"] != "exact"]
    real_only = table[(table.w == 1.0) & (table.theory_kind != "exact")]
    real_rows: Iterable[Any] = real_only.itertuples(index=False)
    return [
        "Truth: mean 0, covariance I_2; fresh real data N(0, I_2) each generation; "
        "per-source unbiased covariances combined convexly (the authors' convention), which "
        "makes the mean's error and the covariance's exact at every n.",
        f"Error: mean over generations {window[0]}..{window[-1]} of each replication, then over "
        "replications; SE across replications. The same seed at every weight gives common "
        "random numbers, as in the authors' code; the covariance of the means across weights "
        "(from the replications) is in the table (cov_0, cov_1, ...) and enters the shape and "
        "argmin tests.",
        "Regressions and GLMs have only first-order theory, C R(w, k)/n, drawn as it is. "
        "Simulated over first-order at w*: "
        + ", ".join(
            f"{r['panel']} {r['sim / theory at w*']:.3f}" for _, r in first_order.iterrows()
        )
        + "; at w = 1 (real data only): "
        + ", ".join(f"{r.title} {r.error / r.theory:.3f}" for r in real_rows)
        + ". These are the O(1/n) finite-sample terms (n/(n - p - 1) for the random design, the "
        "MLE's bias and variance corrections for the GLMs) that the first-order theory drops; "
        "the shape verdicts fit one free scale and test what is left.",
    ]


def run(ctx: Context) -> Outcome:
    """Compute the table, then its key table, figure and notes."""
    scale = SPEC.scale(ctx.quick)
    table = compute(ctx)
    key = sweep_key_table(table)
    fig = plot(table, scale)
    return Outcome(table, {"fig8": fig}, key, notes=notes(table, key, scale))


EXPERIMENT = register(
    Experiment(
        id="he2025-fig8",
        title="Golden-ratio weighting at k = 1: error against w for every "
        "model, simulated beside C R(w, 1)/n",
        paper=PAPER,
        figure="Figure 8",
        replications=2_000,
        quick_replications=100,
        run=run,
        judge=judge,
    )
)
