"""The key table, notes and figure of ``xu2025-adult``, from its results table (and, for the
notes, the model of the table)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ... import theory
from ...data import ADULT_CATEGORICAL, ADULT_NUMERIC
from ...plots import new_figure, plot_band, plot_theory
from ...schedules import Schedule
from .adult_verdicts import ALL_COLUMNS, NUMERIC, adult_schedules

if TYPE_CHECKING:
    from .adult import AdultModel

__all__ = ["key_table", "notes", "plot"]


def _final(table: pd.DataFrame, schedule: Schedule, base_risk: float) -> dict[str, Any]:
    """One schedule's row of the key table, from its rows of the results table."""
    n0, horizon = int(table.n0.iloc[0]), int(table["T"].iloc[0])
    last = table[table.part == NUMERIC].iloc[-1]
    columns = table[~table.part.isin([NUMERIC, ALL_COLUMNS])]
    lost = [
        f"{column} {part.cells_lost.iloc[-1]:.1f}/{int(part.categories.iloc[-1])}"
        for column, part in columns.groupby("part", sort=False)
    ]
    return {
        "schedule": table.schedule.iloc[0],
        "T": horizon,
        "sum 1/n_t (T)": float(last.harmonic_sum),
        "sum 1/n_t (limit)": theory.harmonic_limit(schedule),
        "theory": theory.collapse_verdict(schedule),
        "log det change at T (sim)": float(last.logdet_change),
        "log det change at T (exact)": float(last.logdet_change_theory),
        "P(sigma2_T <= eps)": float(last.collapsed),
        "median sigma2_T": float(last.median_sigma2),
        "median risk_T": float(last.median_risk),
        "risk at truth": base_risk,
        "1 + r_T": float(theory.risk_inflation(n0, schedule.sizes(horizon))[-1]),
        "categories lost at T (mean)": "; ".join(lost),
    }


def key_table(table: pd.DataFrame, base_risk: float) -> pd.DataFrame:
    """Per schedule, at its horizon: sum 1/n_t and its limit, the theory's verdict, the log
    determinant's change (simulated and exact), collapse, the medians of sigma2 and of the
    risk (``base_risk`` at the truth), ``1 + r_T`` and the categories lost per column."""
    schedules = adult_schedules(int(table.n0.iloc[0]))
    return pd.DataFrame(
        [
            _final(table[table.schedule == name], schedules[name], base_risk)
            for name in dict.fromkeys(table.schedule)
        ]
    )


def notes(table: pd.DataFrame, model: AdultModel) -> list[str]:
    """The notes of ``summary.md``: the scale, the data and the model, the laws."""
    n0, r, horizon = int(table.n0.iloc[0]), int(table.R.iloc[0]), int(table["T"].max())
    doubling = int(table[table.schedule == "2^t"]["T"].iloc[0])
    d = len(ADULT_NUMERIC)
    cov = model.truth_cov
    gauss4 = float(np.trace(cov) ** 2 + 2 * np.trace(cov @ cov))
    return [
        f"Scale run: n0 = {n0}, R = {r:,} replications, T = {horizon} generations "
        f"(2^t: {doubling}, beyond which n_t no longer fits in 64 bits). Data: UCI "
        f"Adult, rows with no missing value ({model.rows:,}). Model: a Gaussian on the {d} "
        f"standardised numeric columns ({', '.join(ADULT_NUMERIC)}; truth = the table's mean 0 "
        "and correlation matrix, unbiased covariance estimator) and one categorical "
        f"distribution per categorical column ({', '.join(ADULT_CATEGORICAL)}; truth = the "
        "column's frequencies), fitted independently.",
        f"Generation 0 fits n0 = {n0} rows drawn from the table (real data: heavy-tailed "
        "capital gains, integer ages); every later generation fits draws from the previous fit. "
        "The population risk is the average negative log-likelihood of the whole table under "
        f"the fitted Gaussian (at the truth: {model.base_risk:.4f} nats per row).",
        "Unbiased covariance estimates make E Sigma_t = Sigma for any data, so the mean's "
        "error law holds exactly although the real rows are not Gaussian; its variance "
        "depends on the rows only through E|X - mu|^4 "
        f"({model.fourth:.4g} here, against {gauss4:.4g} "
        "for Gaussian rows). log det Sigma_t - log det Sigma_0 is a sum of independent log "
        "chi-square steps whatever the rows. A covariance whose condition number passes 1/eps "
        "of double precision has no computable log-determinant: such generations are named.",
        f"Categories lost under every schedule are mostly lost at generation 0: {n0} real rows "
        "miss most of native-country's 41 categories, and a lost category never returns. The "
        "schedules differ in what they lose afterwards.",
    ]


def _draw_schedule(axes: Any, name: str, mine: pd.DataFrame) -> None:
    """One schedule's curves on the three panels, in one colour."""
    part = mine[mine.part == NUMERIC]
    line = plot_band(axes[0], part.t, part.mean_error, part.mean_error_se_exact, name, marker="")
    color = line.get_color()
    plot_theory(axes[0], part.t, part.mean_error_theory, "_exact", color=color)
    ok = np.isfinite(part.logdet_change)
    plot_band(
        axes[1],
        part.t[ok],
        part.logdet_change[ok],
        part.logdet_change_se_exact[ok],
        name,
        color=color,
        marker="",
    )
    plot_theory(axes[1], part.t, part.logdet_change_theory, "_exact", color=color)
    lost = mine[mine.part == ALL_COLUMNS]
    plot_band(axes[2], lost.t, lost.cells_lost, lost.cells_lost_se, name, color=color, marker="")


def plot(table: pd.DataFrame) -> Any:
    """The figure, from the table: the numeric columns' mean error and log-determinant change
    against their exact laws, and the categories lost, per schedule."""
    n0, r, horizon = int(table.n0.iloc[0]), int(table.R.iloc[0]), int(table["T"].max())
    fig, axes = new_figure(3, width=5.6, height=4.2)
    for name in dict.fromkeys(table.schedule):
        _draw_schedule(axes, name, table[table.schedule == name])
    for ax in axes[:2]:
        plot_theory(ax, [], [], "exact law (dashed)")
    xlabel = f"generation t (n0 = {n0}, T = {horizon}, R = {r:,})"
    axes[0].set(
        xscale="symlog",
        yscale="log",
        xlabel=xlabel,
        ylabel="E|mu_t - mu|^2 (squared std. units)",
        title="Numeric columns: mean error",
    )
    axes[1].set(
        xscale="symlog",
        xlabel=xlabel,
        ylabel="log det Sigma_t - log det Sigma_0 (nats)",
        title="Numeric columns: covariance (collapse: -> -inf)",
    )
    total = int(table[table.part == ALL_COLUMNS].categories.iloc[0])
    axes[2].set(
        xscale="symlog",
        xlabel=xlabel,
        ylabel="categories lost, all columns (categories)",
        title=f"Categorical columns ({total} categories)",
    )
    for ax in axes:
        ax.legend(fontsize=7)
    return fig
