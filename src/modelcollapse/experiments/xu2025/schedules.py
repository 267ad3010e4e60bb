"""Paper 1, the schedules: sample-size schedules and the collapse dichotomy ``sum 1/n_t <
infinity``. Collapse probabilities and moments of ``sigma2_t`` and ``mu_t`` under the schedules
of :func:`~.common.paper_schedules`, and linear growth from small ``n``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_theory
from ...schedules import Exponential, Linear, Schedule
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import binomial_se
from .common import ESTIMATORS, PAPER, capped_horizon, first_int, paper_schedules
from .schedules_verdicts import judge

__all__ = ["EXPERIMENT", "SPEC", "ScheduleSpec", "compute", "judge", "plot", "run"]


@dataclass(frozen=True)
class ScheduleSpec:
    """What the schedules reproduction simulates: every schedule of
    :func:`~.common.paper_schedules` from ``n0`` real points with both estimators, and the
    linear schedule ``n_t = n t`` for each of ``small_n``."""

    n0: int = 100
    eps: float = 0.05
    horizon: int = 1000
    quick_horizon: int = 300
    small_n: tuple[int, ...] = (2, 5, 10, 100)

    def generations(self, quick: bool) -> int:
        """The horizon at the quick or the paper's scale."""
        return self.quick_horizon if quick else self.horizon


SPEC = ScheduleSpec()


# -- compute ------------------------------------------------------------------------------------


def _path_frame(
    spec: ScheduleSpec,
    name: str,
    schedule: Schedule,
    variance: str,
    record: np.ndarray,
    res: Any,
    r: int,
) -> pd.DataFrame:
    """The ``path`` rows of one schedule and estimator, one per generation of ``record`` (the
    last is the horizon ``T``)."""
    n0, eps = spec.n0, spec.eps
    T = int(record[-1])
    sizes = schedule.sizes(T)
    harmonic = np.concatenate([[0.0], theory.harmonic_sum(sizes)])
    limit = theory.harmonic_limit(schedule)
    s2 = res.values("sigma2")
    log_s2 = np.log(s2)
    collapsed = res.values("collapsed").mean(axis=0)
    exact = theory.collapse_probability(n0, sizes, eps, variance, generations=record)
    e_s2, v_s2 = theory.gaussian_variance_moments(n0, sizes, variance)
    var_mu, var_err = theory.gaussian_mean_error_moments(n0, sizes, variance)
    e_log, v_log = theory.gaussian_log_variance_moments(n0, sizes, variance)
    geo = np.exp(e_log[record])
    return pd.DataFrame(
        {
            "part": "path",
            "schedule": name,
            "variance": variance,
            "t": record,
            "T": T,
            "n0": n0,
            "eps": eps,
            "replications": r,
            "n_synth": np.concatenate([[n0], sizes])[record].astype(float),
            "harmonic_sum": harmonic[record],
            "harmonic_limit": math.inf if limit is None else float(limit),
            "theory_verdict": theory.collapse_verdict(schedule),
            "collapsed_sim": collapsed,
            "collapsed_se": binomial_se(collapsed, r),
            "collapsed_exact": exact,
            "median_sigma2": np.median(s2, axis=0),
            "mean_sigma2": s2.mean(axis=0),
            "max_sigma2": s2.max(axis=0),
            "mean_sigma2_theory": e_s2[record],
            "mean_sigma2_theory_se": np.sqrt(v_s2[record] / r),
            "var_mu_sim": res.values("mean_error").mean(axis=0),
            "var_mu_se": np.sqrt(var_err[record] / r),
            "var_mu_theory": var_mu[record],
            "geo_sigma2_sim": np.exp(log_s2.mean(axis=0)),
            "geo_sigma2_se": geo * np.sqrt(v_log[record] / r),
            "geo_sigma2_theory": geo,
            "mean_log_sigma2_sim": log_s2.mean(axis=0),
            "mean_log_sigma2_se": np.sqrt(v_log[record] / r),
            "mean_log_sigma2_theory": e_log[record],
            "median_kl": np.median(res.values("kl"), axis=0),
        }
    )


def _paths(ctx: Context, spec: ScheduleSpec, horizon: int) -> list[pd.DataFrame]:
    """Simulate every schedule with both estimators (child seeds 0, 1, ... in that order)."""
    frames = []
    key_index = 0
    for name, schedule in ctx.track(paper_schedules(spec.n0).items()):
        T = capped_horizon(schedule, horizon)
        record = np.unique(np.concatenate([[0], np.geomspace(1, T, 40).round(), [T]])).astype(int)
        for variance in ESTIMATORS:
            ctx.progress(f"simulate {name} ({schedule}), {variance}, T = {T}")
            res = simulate(
                Gaussian(variance=variance),
                n0=spec.n0,
                schedule=schedule,
                generations=T,
                replications=ctx.replications,
                seed=ctx.child_seed(key_index),
                record=record,
                eps=spec.eps,
            )
            key_index += 1
            frames.append(
                _path_frame(spec, name, schedule, variance, record, res, ctx.replications)
            )
    return frames


def _linear_small_n(ctx: Context, spec: ScheduleSpec, horizon: int, key_index: int) -> pd.DataFrame:
    """The ``linear-small-n`` rows: ``n_t = n t`` for each small ``n``, child seeds from
    ``key_index`` on."""
    rows = []
    record = np.unique(np.geomspace(1, horizon, 30).round()).astype(int)
    r = ctx.replications
    for i, n in enumerate(ctx.track(spec.small_n)):
        ctx.progress(f"simulate linear n_t = {n} t (small n)")
        sizes = Linear(n).sizes(horizon)
        res = simulate(
            Gaussian(),
            n0=max(n, 2),
            schedule=Linear(n),
            generations=horizon,
            replications=r,
            seed=ctx.child_seed(key_index + i),
            record=record,
            metrics=["sigma2"],
        )
        log_s2 = np.log(res.values("sigma2"))
        e_log, v_log = theory.gaussian_log_variance_moments(max(n, 2), sizes)
        geo = np.exp(e_log[record])
        rows.append(
            pd.DataFrame(
                {
                    "part": "linear-small-n",
                    "schedule": f"linear n_t = {n} t",
                    "variance": "unbiased",
                    "n": n,
                    "t": record,
                    "T": horizon,
                    "replications": r,
                    "median_sigma2": np.median(np.exp(log_s2), axis=0),
                    "geo_sigma2_sim": np.exp(log_s2.mean(axis=0)),
                    "geo_sigma2_se": geo * np.sqrt(v_log[record] / r),
                    "geo_sigma2_theory": geo,
                    "mean_log_sigma2_sim": log_s2.mean(axis=0),
                    "mean_log_sigma2_se": np.sqrt(v_log[record] / r),
                    "mean_log_sigma2_theory": e_log[record],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate every schedule with both estimators, then linear growth from small ``n``.

    Parameters
    ----------
    ctx : Context
        Replications, scale, seeds and progress.

    Returns
    -------
    DataFrame
        ``path`` rows (schedule, estimator, recorded t) and ``linear-small-n`` rows, each with
        simulated values, their standard errors and exact values.
    """
    spec = SPEC
    horizon = spec.generations(ctx.quick)
    ctx.note(
        n0=spec.n0,
        eps=spec.eps,
        generations=horizon,
        engine="exact",
        schedules={k: str(v) for k, v in paper_schedules(spec.n0).items()},
        linear_small_n=list(spec.small_n),
    )
    paths = _paths(ctx, spec, horizon)
    small = _linear_small_n(ctx, spec, horizon, len(paths))
    return pd.concat([*paths, small], ignore_index=True)


# -- outputs ------------------------------------------------------------------------------------

_KEY_COLUMNS = {
    "schedule": "schedule",
    "variance": "variance",
    "T": "T",
    "harmonic_sum": "sum 1/n_t (T)",
    "harmonic_limit": "sum 1/n_t (limit)",
    "theory_verdict": "theory",
    "collapsed_sim": "P(collapse) sim",
    "collapsed_exact": "P(collapse) exact",
    "median_sigma2": "median sigma2_T",
    "max_sigma2": "max sigma2_T",
    "mean_sigma2": "E sigma2_T sim",
    "mean_sigma2_theory": "E sigma2_T exact",
    "geo_sigma2_sim": "exp E log sigma2_T sim",
    "geo_sigma2_theory": "exp E log sigma2_T exact",
    "var_mu_sim": "Var mu_T sim",
    "var_mu_theory": "Var mu_T exact",
    "median_kl": "median KL_T",
}


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: each schedule and estimator at its last generation ``T``."""
    path = table[table.part == "path"]
    final = path[path.t == path["T"]]
    return final[list(_KEY_COLUMNS)].rename(columns=_KEY_COLUMNS).reset_index(drop=True)


def _horizon(table: pd.DataFrame) -> int:
    """The horizon of the run (that of the linear schedules from small ``n``)."""
    return first_int(table[table.part == "linear-small-n"], "T")


def notes(table: pd.DataFrame, spec: ScheduleSpec = SPEC) -> list[str]:
    """The notes of the summary."""
    r, horizon = first_int(table, "replications"), _horizon(table)
    return [
        f"Run to T = {horizon} with R = {r:,} replications per schedule and estimator; 2^t is "
        f"run for {capped_horizon(Exponential(spec.n0, 2.0), horizon)} generations: beyond, "
        "n_t no longer fits a 64-bit integer (its sum 1/n_t has converged to within 1e-16 by "
        "then).",
        "Sizes are rounded to the nearest integer; limits of sum 1/n_t use the formula.",
        "The geometric mean exp(mean log sigma2_t) is compared with exp E log sigma2_t (exact); "
        "its standard error is the exact sd of log sigma2_t over sqrt(R) (delta method).",
        "Whether linear growth (divergent sum) and t^1.1 growth (convergent sum) end in "
        "collapse is a statement about T -> infinity; at the T run the gap between their walks "
        "is too small, against the Monte Carlo error, for the simulation to test (see the "
        "verdict), so only the theory separates them here.",
    ]


def _plot_paths(axes: Any, ax_walk: Any, path: pd.DataFrame, n0: int) -> None:
    """Collapse probability and geometric mean per schedule; the walk against ``sum 1/n_t``."""
    for name, frame in path.groupby("schedule", sort=False):
        line = axes[0].plot(
            frame.t, frame.collapsed_sim, marker="o", markersize=2.5, linewidth=0.8, label=name
        )[0]
        color = line.get_color()
        plot_theory(axes[0], frame.t, frame.collapsed_exact, "_", color=color)
        axes[1].plot(
            frame.t,
            frame.geo_sigma2_sim,
            marker="o",
            markersize=2.5,
            linewidth=0,
            label=name,
            color=color,
        )
        plot_theory(axes[1], frame.t, frame.geo_sigma2_theory, "_", color=color)
        ax_walk.plot(
            frame.harmonic_sum,
            frame.mean_log_sigma2_sim,
            marker="o",
            markersize=2.5,
            linewidth=0,
            label=name,
            color=color,
        )
    x = np.sort(path.harmonic_sum.to_numpy())
    # E log W = psi(k/2) - log(k/2) is about -1/(n - 1): the walk drifts by about
    # -(1/n0 + sum 1/n_t) n0/(n0 - 1) (exact for a constant size up to second order).
    plot_theory(
        ax_walk,
        x,
        -(x + 1.0 / n0) * n0 / (n0 - 1),
        "first order: -(1/n0 + sum 1/n_s) n0/(n0 - 1)",
    )


def _plot_small(ax: Any, small: pd.DataFrame) -> None:
    """The geometric mean of ``sigma2_t`` under ``n_t = n t`` for each small ``n``."""
    n: Any  # the group's value of the column n
    for n, frame in small.groupby("n", sort=True):
        line = ax.plot(
            frame.t,
            frame.geo_sigma2_sim,
            marker="o",
            markersize=2.5,
            linewidth=0.8,
            label=f"n_t = {int(n)} t (sim)",
        )[0]
        plot_theory(ax, frame.t, frame.geo_sigma2_theory, "_", color=line.get_color())


def _label(axes: Any, axes_walk: Any, eps: float, horizon: int, r: int) -> None:
    """Titles, axis labels, scales and legends of the four panels."""
    axes[0].set(
        xscale="log",
        xlabel="generation t",
        ylabel=f"P(sigma2_t <= {eps:g}) (probability)",
        title=f"Collapse probability, T = {horizon}, R = {r:,}\n(unbiased; dashed: exact)",
    )
    axes[1].set(
        xscale="log",
        yscale="log",
        xlabel="generation t",
        ylabel="exp(mean log sigma2_t) (variance units)",
        title="Geometric mean of sigma2_t\n(unbiased; dashed: exact exp E log sigma2_t)",
    )
    axes_walk[0].set(
        xlabel="sum_{s<=t} 1/n_s (1/points)",
        ylabel="mean log sigma2_t (log variance units)",
        title="The walk of log sigma2_t\nagainst sum 1/n_t (unbiased)",
    )
    axes_walk[1].set(
        xscale="log",
        yscale="log",
        xlabel="generation t",
        ylabel="exp(mean log sigma2_t) (variance units)",
        title="Linear growth n_t = n t, geometric mean\n(dashed: exact exp E log sigma2_t)",
    )
    for ax in (*axes, *axes_walk):
        ax.legend(fontsize=7)


def plot(table: pd.DataFrame) -> dict[str, Any]:
    """The schedules' collapse probabilities and geometric means, and the walk of
    ``log sigma2_t`` (unbiased estimator).

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute`.

    Returns
    -------
    dict of str to Figure
        ``schedules`` and ``walk``, two panels each.
    """
    path = table[(table.part == "path") & (table.variance == "unbiased")]
    small = table[table.part == "linear-small-n"]
    fig, axes = new_figure(2, height=4.2)
    fig_walk, axes_walk = new_figure(2, height=4.2)
    _plot_paths(axes, axes_walk[0], path, first_int(table, "n0"))
    _plot_small(axes_walk[1], small)
    eps = float(table.eps.dropna().iloc[0])
    _label(axes, axes_walk, eps, _horizon(table), first_int(table, "replications"))
    return {"schedules": fig, "walk": fig_walk}


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table, notes and figures drawn from it."""
    table = compute(ctx)
    return Outcome(table, plot(table), key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="xu2025-schedules",
        title="Sample-size schedules and the collapse dichotomy sum 1/n_t < infinity",
        paper=PAPER,
        figure="Section on schedules (Theorems)",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
