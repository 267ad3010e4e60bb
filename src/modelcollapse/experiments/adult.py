"""Reproductions on the Adult data (spec ``data-adult.md``).

``xu2025-adult``: paper 1's schedules on real tabular data: a parametric model of Adult fitted
to real rows and recursed (see :func:`adult_parametric_model`).

``he2025-fig10``: paper 2's Figure 10, the weight sweep of Figure 8 on real data. Panels (a)-(c)
are the categorical distributions of workclass, education and marital-status (truth: the
frequencies on all 48,842 rows, the authors' cleaning, so ``?`` is a category of workclass);
panel (d) the logistic regression of income > 50K on five numeric columns with intercept, in two
conventions (the unpenalised weighted MLE, and the authors' scikit-learn fits with ``C = 1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import theory
from ..data import load_adult
from ..families import Categorical, LogisticTable
from .he2025_weights import (
    INV_PHI,
    WEIGHT_GRID,
    Panel,
    judge_sweep,
    plot_sweep,
    sweep,
    sweep_key_table,
    sweep_subtitle,
)
from .registry import Context, Experiment, Outcome, register

PAPER = "He, Xu & Cheng (2025), Golden Ratio Weighting Prevents Model Collapse"
#: Figure 10's categorical columns and the covariates of its logistic regression.
FIG10_CATEGORICAL = ("workclass", "education", "marital-status")
FIG10_COVARIATES = ("age", "education-num", "capital-gain", "capital-loss", "hours-per-week")


def adult_frequencies(column: str, cleaning: str = "as-authors") -> pd.Series:
    """Category frequencies of an Adult column, largest first (the truth of Figure 10(a)-(c))."""
    counts = load_adult(cleaning)[column].value_counts()
    return counts / counts.sum()


def adult_income_table(cleaning: str = "as-authors") -> tuple[np.ndarray, np.ndarray]:
    """Figure 10(d)'s covariates (unscaled, table units) and the label ``income > 50K``."""
    data = load_adult(cleaning)
    x = data[list(FIG10_COVARIATES)].to_numpy(dtype=float)
    y = data["income"].astype(str).str.startswith(">").to_numpy(dtype=float)
    return x, y


class _AdultLogistic:
    """A picklable constructor of Figure 10(d)'s family (the table is rebuilt where it runs)."""

    def __init__(self, penalty: str) -> None:
        self.penalty = penalty

    def __call__(self) -> LogisticTable:
        x, y = adult_income_table()
        return LogisticTable(x, y, columns=FIG10_COVARIATES, penalty=self.penalty)


def _fig10_panels() -> list[Panel]:
    panels = []
    for letter, column in zip("abc", FIG10_CATEGORICAL, strict=True):
        p = adult_frequencies(column).to_numpy()
        panels.append(
            Panel(
                column,
                f"({letter}) {column} (K = {p.size})",
                lambda p=p: Categorical(p),
                "prob_error",
                float(np.mean(p * (1.0 - p))),
                exact=("categorical", {"p": p}),
            )
        )
    for letter, key, penalty, title in (
        ("d", "logistic", "none", "unpenalised weighted MLE"),
        ("d'", "logistic-l2", "l2-sklearn", "authors' L2, C = 1"),
    ):
        family = _AdultLogistic(penalty)()
        real = family.error_constant("real")
        synth = family.error_constant("synthetic")
        panels.append(
            Panel(
                key,
                f"({letter}) logistic regression, {title}",
                _AdultLogistic(penalty),
                "param_error",
                real,
                engine="sample",
                k_scale=synth / real,
                extra={"beta_star": family.beta_star, "c_synth": synth},
            )
        )
    return panels


def _fig10(ctx: Context) -> Outcome:
    n = m = 500
    if ctx.quick:  # a coarser grid and a shorter horizon (the transient is in the theory)
        generations, grid = (
            25,
            np.unique(np.append(np.round(np.arange(0.2, 0.81, 0.1), 2), INV_PHI)),
        )
    else:
        generations, grid = 100, WEIGHT_GRID
    window = np.arange(generations - 20, generations) + 1  # the last 20 generations
    ctx.note(
        n=n,
        m=m,
        generations=generations,
        window=[int(window[0]), int(window[-1])],
        weights=grid.tolist(),
        cleaning="as-authors",
        covariates=list(FIG10_COVARIATES),
    )
    panels = _fig10_panels()
    weights = np.append(grid, 1.0)  # w = 1: real data only
    table = sweep(ctx, panels, weights, n, m, generations, window, key=0)
    key = sweep_key_table(table)
    fig = plot_sweep(table, "Figure 10, " + sweep_subtitle(table, window, generations))
    logistic = [p for p in panels if p.exact is None]
    failed = []
    for panel in logistic:
        part = table[table.panel == panel.key]
        failed.append(
            f"{panel.title}: {int((~np.isfinite(part.error)).sum())} weights with a failed fit"
        )
    best = key.set_index("panel")["simulated argmin"]
    notes = [
        "Data: UCI Adult, all 48,842 rows (the authors' cleaning, 'as-authors': '?' kept as a "
        "category). Truth of (a)-(c): the column's frequencies; real data: n = 500 draws with "
        "replacement from the column, m = 500 synthetic draws from the previous fit; error: "
        "paper 2's mean over cells of (p_t - p)^2, averaged over generations "
        f"{window[0]}..{window[-1]}; exact finite-n theory overlaid.",
        "(d) and (d'): income > 50K on " + ", ".join(FIG10_COVARIATES) + " with intercept, "
        "features unscaled; real rows bootstrapped from the whole table, synthetic rows = "
        "bootstrapped covariates with labels drawn from the previous fit; error |beta_t - "
        "beta*|^2 in the table's units. (d) is the unpenalised weighted MLE (our default); (d') "
        "the authors' scikit-learn convention (L2, C = 1, sample weights rescaled to sum to "
        "n + m, intercept unpenalised), with beta* fitted the same way. beta* (intercept, "
        + ", ".join(FIG10_COVARIATES)
        + ") = "
        + np.array2string(logistic[0].extra["beta_star"], precision=4, separator=", ")
        + ".",
        "The Adult labels are not a logistic law of these covariates: a real fit's constant is "
        f"the sandwich C_real = tr(I^-1 J I^-1) = {logistic[0].constant:.1f}, a synthetic fit's "
        f"C_synth = tr(I^-1) = {logistic[0].extra['c_synth']:.1f}; the first-order error is "
        "C_real R(w, k C_synth/C_real)/n, minimised at w*(k C_synth/C_real) = "
        f"{float(theory.optimal_weight(logistic[0].k_eff(1.0))):.4f} (1/phi = "
        f"{INV_PHI:.4f}); it is drawn as it is, and the shape verdicts fit one free scale.",
        "Simulated argmin against 1/phi = "
        + f"{INV_PHI:.4f}: "
        + ", ".join(f"{k}: {v:.3f}" for k, v in best.items())
        + f" (grid step {0.1 if ctx.quick else 0.02}).",
        "Fits: " + "; ".join(failed) + ".",
    ]
    return Outcome(table, {"fig10": fig}, key, notes=notes)


register(
    Experiment(
        "he2025-fig10",
        "Golden-ratio weighting on the Adult data: categorical columns and a logistic "
        "regression, error against w",
        PAPER,
        "Figure 10",
        1_000,
        50,
        _fig10,
        judge=judge_sweep,
    )
)
