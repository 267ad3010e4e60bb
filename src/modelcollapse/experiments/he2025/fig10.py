"""Paper 2's Figure 10 (``he2025-fig10``): the weight sweep of Figure 8 on the Adult data
(spec ``data-adult.md``).

Panels (a)-(c) are the categorical distributions of workclass, education and marital-status
(truth: the frequencies on all 48,842 rows, the authors' cleaning, so ``?`` is a category of
workclass); panel (d) the logistic regression of income > 50K on five numeric columns with
intercept, in two conventions (the unpenalised weighted MLE, and the authors' scikit-learn fits
with ``C = 1``).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ... import theory
from ...data import load_adult
from ...families import Categorical, LogisticTable
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import Verdict
from .sweep import plot_sweep, sweep, sweep_subtitle
from .sweep_spec import PAPER, WEIGHT_GRID, Panel, Scale, SweepSpec
from .sweep_stats import INV_PHI
from .sweep_verdicts import judge_sweep, sweep_key_table

__all__ = [
    "CLEANING",
    "EXPERIMENT",
    "FIG10_CATEGORICAL",
    "FIG10_COVARIATES",
    "LOGISTIC_PANELS",
    "SPEC",
    "adult_frequencies",
    "adult_income_table",
    "compute",
    "judge",
    "notes",
    "panels",
    "plot",
    "run",
]

#: Figure 10's categorical columns and the covariates of its logistic regression.
FIG10_CATEGORICAL = ("workclass", "education", "marital-status")
FIG10_COVARIATES = ("age", "education-num", "capital-gain", "capital-loss", "hours-per-week")
#: The logistic panels: ``(letter, key, penalty, title)``.
LOGISTIC_PANELS = (
    ("d", "logistic", "none", "unpenalised weighted MLE"),
    ("d'", "logistic-l2", "l2-sklearn", "authors' L2, C = 1"),
)
#: The cleaning of the Adult table (the authors': ``?`` kept as a category).
CLEANING = "as-authors"
#: n = m = 500, the error averaged over the last 20 generations. Quick scale: a coarser grid and
#: a shorter horizon (the transient is in the theory).
SPEC = SweepSpec(
    n=500,
    m=500,
    p=None,
    paper=Scale(generations=100, first=81, last=100, grid=tuple(WEIGHT_GRID.tolist()), step=0.02),
    quick=Scale(
        generations=25,
        first=6,
        last=25,
        grid=tuple(np.unique(np.append(np.round(np.arange(0.2, 0.81, 0.1), 2), INV_PHI)).tolist()),
        step=0.1,
    ),
)


def adult_frequencies(column: str, cleaning: str = CLEANING) -> pd.Series:
    """Category frequencies of an Adult column, largest first (the truth of Figure 10(a)-(c))."""
    counts = load_adult(cleaning)[column].value_counts()
    return counts / counts.sum()


def adult_income_table(cleaning: str = CLEANING) -> tuple[np.ndarray, np.ndarray]:
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


def panels() -> list[Panel]:
    """Figure 10's panels: one per categorical column (exact theory), then the logistic
    regression in each convention of :data:`LOGISTIC_PANELS` (first-order theory with its
    pseudo-truth's constants; fitted here, on the whole table)."""
    out = []
    for letter, column in zip("abc", FIG10_CATEGORICAL, strict=True):
        p = adult_frequencies(column).to_numpy()
        out.append(
            Panel(
                column,
                f"({letter}) {column} (K = {p.size})",
                partial(Categorical, p),
                "prob_error",
                float(np.mean(p * (1.0 - p))),
                exact=("categorical", {"p": p}),
            )
        )
    for letter, key, penalty, title in LOGISTIC_PANELS:
        family = _AdultLogistic(penalty)()
        real = family.error_constant("real")
        synth = family.error_constant("synthetic")
        out.append(
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
    return out


def _simulate(ctx: Context, sweep_panels: list[Panel]) -> pd.DataFrame:
    """The sweep of ``sweep_panels`` at the context's scale, every weight and ``w = 1``."""
    assert SPEC.m is not None  # set above
    scale = SPEC.scale(ctx.quick)
    window = scale.window
    ctx.note(
        n=SPEC.n,
        m=SPEC.m,
        generations=scale.generations,
        window=[int(window[0]), int(window[-1])],
        weights=scale.values.tolist(),
        cleaning=CLEANING,
        covariates=list(FIG10_COVARIATES),
    )
    weights = np.append(scale.values, 1.0)  # w = 1: real data only
    return sweep(ctx, sweep_panels, weights, SPEC.n, SPEC.m, scale.generations, window, key=0)


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate every panel at every weight of the grid and at ``w = 1`` (the results table)."""
    return _simulate(ctx, panels())


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the sweep (:func:`~.sweep_verdicts.judge_sweep`), from its table."""
    return judge_sweep(table)


def plot(table: pd.DataFrame, scale: Scale) -> Figure:
    """Figure 10: error against ``w`` per panel, headed by the scale run."""
    return plot_sweep(table, "Figure 10, " + sweep_subtitle(table, scale.window, scale.generations))


def notes(
    table: pd.DataFrame, key: pd.DataFrame, sweep_panels: list[Panel], scale: Scale
) -> list[str]:
    """The run's notes: the data, the logistic regression's conventions and constants, the
    simulated argmins, and the failed fits.

    Parameters
    ----------
    table, key : pandas.DataFrame
        The results table and its key table.
    sweep_panels : list of Panel
        The panels run (:func:`panels`): the logistic ones carry ``beta*`` and the constants.
    scale : Scale
        The scale run.

    Returns
    -------
    list of str
    """
    window = scale.window
    logistic = [p for p in sweep_panels if p.exact is None]
    failed = []
    for panel in logistic:
        part = table[table.panel == panel.key]
        failed.append(
            f"{panel.title}: {int((~np.isfinite(part.error)).sum())} weights with a failed fit"
        )
    best = key.set_index("panel")["simulated argmin"]
    return [
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
        + f" (grid step {scale.step}).",
        "Fits: " + "; ".join(failed) + ".",
    ]


def run(ctx: Context) -> Outcome:
    """Compute the table (the panels built once, for the notes too), then its key table,
    figure and notes."""
    scale = SPEC.scale(ctx.quick)
    sweep_panels = panels()
    table = _simulate(ctx, sweep_panels)
    key = sweep_key_table(table)
    fig = plot(table, scale)
    return Outcome(table, {"fig10": fig}, key, notes=notes(table, key, sweep_panels, scale))


EXPERIMENT = register(
    Experiment(
        id="he2025-fig10",
        title="Golden-ratio weighting on the Adult data: categorical columns and a logistic "
        "regression, error against w",
        paper=PAPER,
        figure="Figure 10",
        replications=1_000,
        quick_replications=50,
        run=run,
        judge=judge,
    )
)
