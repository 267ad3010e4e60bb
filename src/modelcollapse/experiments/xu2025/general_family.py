"""Paper 1, general parametric families: the ``1 + r_T`` risk inflation and the collapse
dichotomy for exponential, Poisson, Bernoulli, categorical, multivariate Gaussian and Gamma
models, and Weibull and log-normal laws through ``ScipyFamily``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ... import theory
from ...engine import simulate
from ...families import ScipyFamily, make_family
from ...plots import plot_band, plot_theory
from ...schedules import Constant, Power, Schedule
from ..context import Context, Experiment, Outcome
from ..registry import register
from .common import PAPER
from .general_family_verdicts import POWER_BOUND, judge

__all__ = [
    "EXPERIMENT",
    "FAMILIES",
    "POWER_BOUND",
    "SCHEDULES",
    "FamilySpec",
    "GeneralCase",
    "cases",
    "compute",
    "judge",
    "plot",
    "run",
]


@dataclass(frozen=True)
class GeneralCase:
    """One family at the scale it runs at: ``T`` generations from ``n0`` real points on
    ``engine``, with at most ``max_replications`` replications (``None``: no cap)."""

    name: str
    family: Any
    n0: int
    T: int
    engine: str
    max_replications: int | None = None


@dataclass(frozen=True)
class FamilySpec:
    """A family of the reproduction, at the paper's and the quick scale.

    ``law`` and ``params`` name a built-in family (:func:`~modelcollapse.families.make_family`)
    or, with ``scipy``, a :mod:`scipy.stats` law run through
    :class:`~modelcollapse.families.ScipyFamily`.
    """

    name: str
    law: str
    params: Mapping[str, Any] = field(default_factory=dict)
    scipy: bool = False
    engine: str = "exact"
    #: ``(paper, quick)`` pairs.
    n0: tuple[int, int] = (10_000, 10_000)
    generations: tuple[int, int] = (50, 20)
    max_replications: tuple[int, int] | None = None

    def case(self, quick: bool) -> GeneralCase:
        """The family built, at the quick or the paper's scale."""
        at = 1 if quick else 0
        family = (
            ScipyFamily(self.law, **self.params)
            if self.scipy
            else make_family(self.law, **self.params)
        )
        cap = None if self.max_replications is None else self.max_replications[at]
        return GeneralCase(self.name, family, self.n0[at], self.generations[at], self.engine, cap)


#: The families, in the order they run and are drawn. The sample engine's cost grows with the
#: sizes (n0 t^2 under the power schedule); the ScipyFamily laws (batched Newton fits of the
#: scipy.stats log-density, which store every point, loc fixed at scipy's default 0) grow with
#: the sizes and with R, so they run shorter.
FAMILIES = (
    FamilySpec("exponential (rate)", "exponential", {"rate": 1.0}),
    FamilySpec("Poisson", "poisson", {"lam": 2.0}),
    FamilySpec("Bernoulli", "bernoulli", {"p": 0.3}),
    FamilySpec("categorical (K = 3)", "categorical", {"p": [0.5, 0.3, 0.2]}),
    FamilySpec("multivariate Gaussian (d = 2)", "gaussian", {"dim": 2}),
    FamilySpec(
        "Gamma (shape, rate; MLE)",
        "gamma",
        {"shape": 2.0, "rate": 1.0},
        engine="sample",
        n0=(1_000, 500),
        generations=(8, 4),
        max_replications=(1_000, 300),
    ),
    FamilySpec(
        "Weibull (shape, scale; ScipyFamily)",
        "weibull_min",
        {"c": 1.5, "scale": 1.0},
        scipy=True,
        engine="sample",
        n0=(300, 100),
        generations=(4, 2),
        max_replications=(1_000, 600),
    ),
    FamilySpec(
        "log-normal (s, scale; ScipyFamily)",
        "lognorm",
        {"s": 0.5, "scale": 1.0},
        scipy=True,
        engine="sample",
        n0=(300, 100),
        generations=(4, 2),
        max_replications=(1_000, 600),
    ),
)

#: The two schedules, by name, from a family's ``n0``.
SCHEDULES: dict[str, Callable[[int], Schedule]] = {
    "constant n0": lambda n0: Constant(n0),
    "power n0 t^2": lambda n0: Power(n0, 1.0),
}


def cases(quick: bool) -> list[GeneralCase]:
    """Every family of :data:`FAMILIES`, built at the quick or the paper's scale."""
    return [spec.case(quick) for spec in FAMILIES]


# -- compute ------------------------------------------------------------------------------------


def _metric(family: Any) -> tuple[np.ndarray, int, np.ndarray]:
    """The metric of the inverse asymptotic covariance ``V*`` (a pseudo-inverse), its rank
    and the true parameter, flattened."""
    truth = family.broadcast(family.truth(), 1)
    v_star = np.asarray(family.asymptotic_covariance(truth))[0]
    precision = np.linalg.pinv(v_star, hermitian=True)
    rank = int(np.linalg.matrix_rank(v_star))
    return precision, rank, family.flatten(truth)[0]


def _frame(
    ctx: Context, case: GeneralCase, metric: tuple, s_name: str, key_index: int, r: int
) -> pd.DataFrame:
    """Simulate one family under one schedule (child seed ``key_index``) and tabulate its risk
    inflation, in the ``metric`` of :func:`_metric`, beside ``1 + r_t``."""
    precision, rank, theta_star = metric
    schedule = SCHEDULES[s_name](case.n0)
    T = case.T
    ctx.progress(f"simulate {case.name}, {s_name}, T = {T} ({case.engine})")
    res = simulate(
        case.family,
        n0=case.n0,
        schedule=schedule,
        generations=T,
        replications=r,
        seed=ctx.child_seed(key_index),
        engine=case.engine,
        record="all",
        metrics=[],
    )
    diff = res.flat_params - theta_star
    # Squared error in the V*^-1 metric, scaled so that generation 0 predicts 1.
    dist = np.einsum("rgi,ij,rgj->rg", diff, precision, diff) * case.n0 / rank
    # Per replication, the rise since t = T/2 (its SE accounts for the correlation).
    rise = dist - dist[:, [T // 2]]
    return pd.DataFrame(
        {
            "family": case.name,
            "schedule": s_name,
            "regime": theory.collapse_verdict(schedule),
            "n0": case.n0,
            "T": T,
            "replications": r,
            "engine": case.engine,
            "rank": rank,
            "t": np.arange(T + 1),
            "inflation_sim": dist.mean(axis=0),
            "inflation_se": dist.std(axis=0, ddof=1) / math.sqrt(r),
            "inflation_theory": theory.risk_inflation(case.n0, schedule.sizes(T)),
            "rise_sim": rise.mean(axis=0),
            "rise_se": rise.std(axis=0, ddof=1) / math.sqrt(r),
        }
    )


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate every family under both schedules and tabulate the risk inflation.

    Parameters
    ----------
    ctx : Context
        Replications, scale, seeds and progress.

    Returns
    -------
    DataFrame
        One row per family, schedule and generation ``t = 0..T``.
    """
    built = cases(ctx.quick)
    ctx.note(
        cases={c.name: {"n0": c.n0, "generations": c.T, "engine": c.engine} for c in built},
        schedules=list(SCHEDULES),
    )
    frames = []
    key_index = 0
    for case in ctx.track(built):
        cap = case.max_replications
        r = min(ctx.replications, ctx.replications if cap is None else cap)
        metric = _metric(case.family)
        for s_name in SCHEDULES:
            frames.append(_frame(ctx, case, metric, s_name, key_index, r))
            key_index += 1
    return pd.concat(frames, ignore_index=True)


# -- outputs ------------------------------------------------------------------------------------


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: per family and schedule, the inflation at ``T`` beside ``1 + r_T``."""
    last = table[table.t == table["T"]]
    return pd.DataFrame(
        {
            "family": last.family.to_numpy(),
            "schedule": last.schedule.to_numpy(),
            "n0": last.n0.to_numpy(),
            "T": last["T"].to_numpy(),
            "engine": last.engine.to_numpy(),
            "replications": last.replications.to_numpy(),
            "1 + r_T (theory)": last.inflation_theory.to_numpy(),
            "inflation (sim)": last.inflation_sim.to_numpy(),
            "SE": last.inflation_se.to_numpy(),
        }
    )


def _first_row(table: pd.DataFrame, rows: pd.Series) -> pd.Series:
    return table[rows].iloc[0]


def notes(table: pd.DataFrame) -> list[str]:
    """The notes of the summary."""
    key = key_table(table)
    constant = key[key.schedule == "constant n0"]
    gamma = _first_row(table, table.family.str.startswith("Gamma"))
    scipy_case = _first_row(table, table.family.str.contains("ScipyFamily", regex=False))
    ratios = ", ".join(
        f"{f}: {s:.3f}"
        for f, s in zip(
            constant.family,
            constant["inflation (sim)"] / constant["1 + r_T (theory)"],
            strict=True,
        )
    )
    return [
        "Risk inflation: n0 E|theta_t - theta*|^2 measured in the metric of the inverse "
        "asymptotic covariance V* (pseudo-inverse for the categorical family, whose "
        "probabilities sum to one) and divided by its rank d, so every family's generation 0 "
        "predicts 1. The band is 95% (1.96 SE).",
        "n0 is large (10^4 for the families run with the exact engine; "
        f"{int(gamma.n0):,} for the Gamma family, which needs the sample engine) because the "
        "prediction is asymptotic: the O(T/n0) bias of the MLEs is then small against the "
        "Monte Carlo error.",
        "The Weibull and log-normal laws have no built-in family: they run through "
        "ScipyFamily (scipy.stats weibull_min with c = 1.5, lognorm with s = 0.5, scale 1 and "
        "loc fixed at 0), whose V* is the inverse of a Fisher information computed by "
        "quadrature and whose fits are batched Newton steps on the scipy log-density. They "
        "store and refit every point, so their cost grows with R n0 sum_t t^2 and they run at "
        f"n0 = {int(scipy_case.n0):,}, T = {int(scipy_case['T'])}; at that n0 the Weibull shape "
        "MLE has a finite-sample variance some per cent above V*/n, which shows as a small "
        "excess over 1 + r_T.",
        "Simulated over predicted inflation at T under the constant schedule (finite-n0 "
        f"departures from the asymptotic theory show here first): {ratios}. For the Gamma "
        "family the finite-sample variance of the shape MLE exceeds V*/n by a few per cent at "
        "n of a few hundred to a thousand (an O(1/n) term with a large constant, as the shape "
        "and rate estimates are nearly collinear), so its recursion runs somewhat above "
        "1 + r_T; the asymptotic engine, which has no such term, follows 1 + r_T.",
        "The rise between t = T/2 and T is averaged per replication, so its SE accounts for the "
        "correlation between the two generations.",
    ]


#: One colour per family in both panels (grey is left to the limit line).
_COLOURS = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]


def _plot_family(grid: Any, index: int, part: pd.DataFrame) -> None:
    """One family's simulated inflation under both schedules, in its engine's row."""
    first = part.iloc[0]
    axes = grid[0] if first.engine == "exact" else grid[1]
    for s_index, s_name in enumerate(SCHEDULES):
        frame = part[part.schedule == s_name]
        label, r = first.family, int(frame.replications.iloc[0])
        if first.engine != "exact":
            label += f"\n(n0 = {int(first.n0):,}, T = {int(first['T'])}, R = {r:,})"
        line = plot_band(
            axes[s_index],
            frame.t,
            frame.inflation_sim,
            frame.inflation_se,
            label,
            color=_COLOURS[index % len(_COLOURS)],
        )
        line.set_markersize(2.5)


def _format_row(axes: Any, longest: int, heading: str) -> None:
    """The theory curve, the limit, titles and legends of one row of panels."""
    for ax, (s_name, make) in zip(axes, SCHEDULES.items(), strict=True):
        plot_theory(
            ax,
            np.arange(longest + 1),
            theory.risk_inflation(10_000, make(10_000).sizes(longest)),
            "1 + r_t (theory)",
        )
        if s_name.startswith("power"):
            ax.axhline(POWER_BOUND, color="grey", linewidth=0.8, label="1 + pi^2/6 (limit)")
        ax.set(
            xlabel="generation t",
            ylabel="risk inflation (ratio to generation 0)",
            title=f"Risk inflation, {s_name}\n{heading}",
        )
        ax.title.set_fontsize(10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        where = "upper left" if s_name.startswith("constant") else "lower right"
        ax.legend(fontsize=7, loc=where)


def plot(table: pd.DataFrame) -> Figure:
    """The risk inflation against ``t`` under both schedules.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute`.

    Returns
    -------
    Figure
        Top row: the exact engine's long runs; bottom row: the sample engine's short ones, on
        their own scale; one colour per family in both panels of a row.
    """
    fig = Figure(figsize=(10.4, 10.4), layout="constrained")
    grid = fig.subplots(2, 2, squeeze=False)
    for index, (_, part) in enumerate(table.groupby("family", sort=False)):
        _plot_family(grid, index, part)
    exact = table[table.engine == "exact"]
    main = exact.iloc[0] if len(exact) else None
    headings = {
        0: ""
        if main is None
        else f"exact engine: n0 = {int(main.n0):,}, T = {int(main['T'])}, "
        f"R = {int(main.replications):,}",
        1: "sample engine (every point drawn and refitted; n0, T, R: legend)",
    }
    for row, axes in enumerate(grid):
        rows = table[(table.engine == "exact") == (row == 0)]
        if len(rows):
            _format_row(axes, int(rows["T"].max()), headings[row])
    return fig


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table, notes and figure drawn from it."""
    table = compute(ctx)
    return Outcome(table, {"general_family": plot(table)}, key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="xu2025-general-family",
        title="General parametric families: the 1 + r_T risk "
        "inflation and the collapse dichotomy for exponential, Poisson, Bernoulli, "
        "categorical, Gamma and multivariate Gaussian models, and Weibull and log-normal laws "
        "through ScipyFamily",
        paper=PAPER,
        figure="Section on general families",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
