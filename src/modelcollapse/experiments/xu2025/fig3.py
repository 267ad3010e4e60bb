"""Paper 1, Figure 3: collapse of the recursive Gaussian variance. The percentage of
replications collapsed, the maximum and median of ``sigma2_T`` and the population risk against
``T``, for both variance estimators, beside their exact laws."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_band, plot_theory
from ...schedules import Constant
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import (
    binomial_se,
)
from .common import COLORS, ESTIMATORS, PAPER, first_int
from .fig3_verdicts import judge

__all__ = ["EXPERIMENT", "SPEC", "Fig3Spec", "compute", "exact_curves", "judge", "plot", "run"]


@dataclass(frozen=True)
class Fig3Spec:
    """What Figure 3 simulates: ``N(mu, sigma2)`` refitted to ``n`` points per generation, one
    recursion per variance estimator recorded at each of ``generations``."""

    n: int = 100
    eps: float = 0.05
    generations: tuple[int, ...] = (100, 200, 300, 400, 500)
    mu: float = 0.0
    sigma2: float = 1.0

    @property
    def horizon(self) -> int:
        """The last recorded generation."""
        return max(self.generations)


#: The paper's setting (the quick scale changes the replications only).
SPEC = Fig3Spec()

#: The entropy of N(0, 1): the population risk of the true model.
_ENTROPY = 0.5 * math.log(2 * math.pi * math.e)


# -- compute ------------------------------------------------------------------------------------


def _exact_log_quantiles(
    n0: int, sizes: np.ndarray, variance: str, levels: Sequence[float]
) -> tuple[np.ndarray, float]:
    """Quantiles of ``log sigma2_T`` (``T = len(sizes)``) from the exact CDF, and the density of
    ``log sigma2_T`` at the first of them."""
    t = len(sizes)
    mean, var = theory.gaussian_log_variance_moments(n0, sizes, variance)
    centre, sd = float(mean[t]), math.sqrt(float(var[t]))

    def cdf(y: float) -> float:
        p = theory.collapse_probability(n0, sizes, math.exp(y), variance, generations=[t])
        return float(p[0])

    lo, hi = centre - 12.0 * sd - 5.0, centre + 12.0 * sd + 5.0
    out = np.array([brentq(lambda y, q=q: cdf(y) - q, lo, hi, xtol=1e-7) for q in levels])
    h = 0.01 * sd
    density = (cdf(out[0] + h) - cdf(out[0] - h)) / (2.0 * h)
    return out, density


def exact_curves(spec: Fig3Spec, variance: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact collapse probability and expected population risk at every generation.

    Parameters
    ----------
    spec : Fig3Spec
        The setting.
    variance : str
        The variance estimator.

    Returns
    -------
    tuple of ndarray
        ``P(sigma2_t <= eps)`` and ``E KL_t + entropy`` for ``t = 0..horizon``.
    """
    sizes = Constant(spec.n).sizes(spec.horizon)
    exact_all = theory.collapse_probability(spec.n, sizes, spec.eps, variance)
    kl_theory = theory.gaussian_expected_kl(spec.n, sizes, variance)
    return exact_all, kl_theory + _ENTROPY


def _cell(spec: Fig3Spec, variance: str, t: int, r: int) -> dict[str, float]:
    """The exact laws of one ``(estimator, T)`` cell: median of ``sigma2_T`` (with the density
    for its SE) and the median and 90% range of its maximum over ``r`` draws."""
    sizes = Constant(spec.n).sizes(spec.horizon)
    # The maximum of R draws has CDF F^R: its median and 90% range are these quantiles of F.
    max_levels = [0.5 ** (1 / r), 0.05 ** (1 / r), 0.95 ** (1 / r)]
    (log_median,), density = _exact_log_quantiles(spec.n, sizes[:t], variance, [0.5])
    log_max, _ = _exact_log_quantiles(spec.n, sizes[:t], variance, max_levels)
    median_exact = math.exp(log_median)
    return {
        "median_sigma2_exact": median_exact,
        # Sample median: SE 1/(2 f(m) sqrt(R)), f the exact density at the median.
        "median_sigma2_se": median_exact / (2.0 * density * math.sqrt(r)),
        "max_sigma2_exact_median": math.exp(log_max[0]),
        "max_sigma2_exact_q05": math.exp(log_max[1]),
        "max_sigma2_exact_q95": math.exp(log_max[2]),
    }


def _rows(spec: Fig3Spec, variance: str, res: Any, r: int) -> list[dict[str, Any]]:
    """The table's rows of one estimator's recursion, one per recorded generation."""
    sizes = Constant(spec.n).sizes(spec.horizon)
    exact_all, risk_theory = exact_curves(spec, variance)
    mean_s2, var_s2 = theory.gaussian_variance_moments(spec.n, sizes, variance)
    s2 = res.values("sigma2")
    risk = res.values("risk")
    collapsed = res.values("collapsed").mean(axis=0)
    rows = []
    for j, t in enumerate(spec.generations):
        cell = _cell(spec, variance, t, r)
        rows.append(
            {
                "variance": variance,
                "T": t,
                "n": spec.n,
                "eps": spec.eps,
                "replications": r,
                "pct_collapsed": 100 * collapsed[j],
                "pct_collapsed_se": 100 * float(binomial_se(collapsed[j], r)),
                "pct_collapsed_exact": 100 * exact_all[t],
                "median_sigma2": float(np.median(s2[:, j])),
                "median_sigma2_exact": cell["median_sigma2_exact"],
                "median_sigma2_se": cell["median_sigma2_se"],
                "max_sigma2": float(s2[:, j].max()),
                "max_sigma2_exact_median": cell["max_sigma2_exact_median"],
                "max_sigma2_exact_q05": cell["max_sigma2_exact_q05"],
                "max_sigma2_exact_q95": cell["max_sigma2_exact_q95"],
                "mean_sigma2": float(s2[:, j].mean()),
                "mean_sigma2_theory": float(mean_s2[t]),
                "mean_sigma2_theory_se": math.sqrt(var_s2[t] / r),
                "mean_risk": float(risk[:, j].mean()),
                "mean_risk_se": float(risk[:, j].std(ddof=1) / math.sqrt(r)),
                "median_risk": float(np.median(risk[:, j])),
                "mean_risk_theory": float(risk_theory[t]),
            }
        )
    return rows


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate one recursion per variance estimator and tabulate it beside the exact laws.

    Parameters
    ----------
    ctx : Context
        Replications, seeds and progress.

    Returns
    -------
    DataFrame
        One row per ``(variance, T)``: the simulated percentage collapsed, median, maximum and
        mean of ``sigma2_T`` and population risk, their standard errors and exact values.
    """
    spec, r = SPEC, ctx.replications
    ctx.note(
        n=spec.n,
        eps=spec.eps,
        generations=list(spec.generations),
        engine="exact",
        mu=spec.mu,
        sigma2=spec.sigma2,
    )
    rows = []
    for i, variance in enumerate(ctx.track(ESTIMATORS)):
        ctx.progress(f"simulate {variance} variance, T = {spec.horizon}")
        res = simulate(
            Gaussian(spec.mu, spec.sigma2, variance=variance),
            n0=spec.n,
            schedule=Constant(spec.n),
            generations=spec.horizon,
            replications=r,
            seed=ctx.child_seed(i),
            record=list(spec.generations),
            eps=spec.eps,
        )
        rows += _rows(spec, variance, res, r)
    return pd.DataFrame(rows)


# -- outputs ------------------------------------------------------------------------------------

_KEY_COLUMNS = {
    "variance": "variance",
    "T": "T",
    "pct_collapsed": "% collapsed (sim)",
    "pct_collapsed_se": "SE",
    "pct_collapsed_exact": "% collapsed (exact)",
    "median_sigma2": "median sigma2_T (sim)",
    "median_sigma2_exact": "median sigma2_T (exact)",
    "max_sigma2": "max sigma2_T (sim)",
    "max_sigma2_exact_median": "max sigma2_T (exact median)",
    "mean_sigma2": "mean sigma2_T (sim)",
    "mean_sigma2_theory": "E sigma2_T (exact)",
    "mean_risk": "mean risk (sim)",
    "mean_risk_theory": "E risk (exact)",
}


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: simulated percentages, medians, maxima, means and risks beside theory."""
    return table[list(_KEY_COLUMNS)].rename(columns=_KEY_COLUMNS)


def notes(table: pd.DataFrame) -> list[str]:
    """The notes of the summary."""
    r = first_int(table, "replications")
    return [
        "The caption does not say which variance estimator was used; both are reported. "
        "One recursion per estimator is recorded at every T (the same replications at "
        "each T), which has the same distribution at each T as separate runs.",
        f"The maximum of sigma2_T over R = {r:,} replications is shown beside the median and "
        "90% range of its exact law F^R; that range spans one to two orders of magnitude, so "
        "no verdict tests the maximum, and it need not grow from one T to the next.",
        "Standard errors of simulated means and medians come from the exact laws (the exact "
        "variance of sigma2_T, the exact density at the median); the mean population risk "
        "uses the sample standard error and is judged at the first T only, since at larger T "
        "it is dominated by rare near-collapsed replications.",
    ]


def _plot_estimator(axes: Any, part: pd.DataFrame, variance: str, spec: Fig3Spec) -> None:
    """Draw one estimator's curves on the three panels."""
    color = COLORS[variance]
    grid = np.arange(spec.horizon + 1)
    exact_pct, exact_risk = exact_curves(spec, variance)
    plot_band(
        axes[0],
        part["T"],
        part.pct_collapsed,
        part.pct_collapsed_se,
        f"simulated, {variance}",
        color=color,
    )
    plot_theory(axes[0], grid, 100 * exact_pct, f"exact, {variance}", color=color)
    axes[1].plot(
        part["T"],
        part.max_sigma2,
        marker="o",
        color=color,
        linewidth=1.0,
        label=f"max (sim), {variance}",
    )
    axes[1].fill_between(
        part["T"],
        part.max_sigma2_exact_q05,
        part.max_sigma2_exact_q95,
        color=color,
        alpha=0.15,
        linewidth=0,
        label=f"max, exact 90% range, {variance}",
    )
    axes[1].plot(
        part["T"],
        part.median_sigma2,
        marker="s",
        linestyle=":",
        color=color,
        linewidth=1.0,
        label=f"median (sim), {variance}",
    )
    plot_theory(axes[1], part["T"], part.median_sigma2_exact, f"median (exact), {variance}", color)
    plot_band(
        axes[2],
        part["T"],
        part.mean_risk,
        part.mean_risk_se,
        f"mean (sim), {variance}",
        color=color,
    )
    axes[2].plot(
        part["T"],
        part.median_risk,
        marker="s",
        linestyle=":",
        color=color,
        linewidth=1.0,
        label=f"median (sim), {variance}",
    )
    plot_theory(axes[2], grid[1:], exact_risk[1:], f"E risk (exact), {variance}", color)


def plot(table: pd.DataFrame, spec: Fig3Spec = SPEC) -> Any:
    """Figure 3: percentage collapsed, maximum and median of ``sigma2_T``, population risk.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute`.
    spec : Fig3Spec
        The setting (for the exact curves at every generation).

    Returns
    -------
    Figure
        Three panels side by side.
    """
    r = first_int(table, "replications")
    eps = float(table.eps.iloc[0])
    fig, axes = new_figure(3, height=5.0)
    for variance in ESTIMATORS:
        _plot_estimator(axes, table[table.variance == variance], variance, spec)
    axes[0].set(
        xlabel="generation T",
        ylabel=f"replications with sigma2_T <= {eps:g} (%)",
        title=f"Collapse percentage (R = {r:,})",
    )
    axes[1].set(
        xlabel="generation T",
        ylabel="sigma2_T (variance units, sigma^2 = 1)",
        yscale="log",
        title=f"Maximum and median of sigma2_T over R = {r:,}",
    )
    axes[2].set(
        xlabel="generation T",
        ylabel="population risk (nats)",
        yscale="log",
        title="Population risk E[-log p_T(X)]",
    )
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    axes[2].legend(fontsize=7)
    return fig


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table, notes and figure drawn from it."""
    table = compute(ctx)
    return Outcome(table, {"fig3": plot(table)}, key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="xu2025-fig3",
        title="Collapse of the recursive Gaussian variance: percentage "
        "collapsed, maximum and population risk against T",
        paper=PAPER,
        figure="Figure 3",
        replications=10_000,
        quick_replications=2_000,
        run=run,
        judge=judge,
    )
)
