"""Paper 1, Figures 4-5: recursive training as a random walk. Sample paths of ``mu_t`` and
``log sigma2_t`` under a constant and a superlinear schedule, with the moments of the walk and
of its steps beside their exact values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import polygamma

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_theory
from ...schedules import Constant, Power, Schedule
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import MAX_DETECTABLE, Verdict
from .common import PAPER, compare_every, first_int, resolved

__all__ = [
    "EXPERIMENT",
    "SPEC",
    "WalkPanel",
    "WalkSpec",
    "compute",
    "exact_walk",
    "judge",
    "plot",
    "run",
]


@dataclass(frozen=True)
class WalkPanel:
    """One schedule of the walk: its name, its synthetic sizes and its colour."""

    label: str
    schedule: Schedule
    color: str


@dataclass(frozen=True)
class WalkSpec:
    """What Figures 4-5 simulate: the Gaussian (unbiased variance) refitted under each panel's
    schedule from ``n0`` real points for ``horizon`` generations, every generation recorded."""

    n0: int = 100
    horizon: int = 500
    #: Sample paths drawn per schedule.
    paths: int = 20
    #: The generations whose moments are tabulated.
    checkpoints: tuple[int, ...] = (50, 100, 250, 500)
    panels: tuple[WalkPanel, ...] = (
        WalkPanel("constant n = 100", Constant(100), "tab:red"),
        WalkPanel("power 100 t^2", Power(100, 1.0), "tab:blue"),
    )

    @property
    def half(self) -> int:
        """The generation the steps are measured from."""
        return self.horizon // 2


#: The paper's setting (the quick scale changes the replications only).
SPEC = WalkSpec()


# -- compute ------------------------------------------------------------------------------------


def exact_walk(spec: WalkSpec, panel: WalkPanel) -> dict[str, np.ndarray]:
    """The exact moments of the walk under one panel's schedule, at every generation.

    Parameters
    ----------
    spec : WalkSpec
        The setting.
    panel : WalkPanel
        The schedule.

    Returns
    -------
    dict of str to ndarray
        ``var_mu`` (``Var mu_t``) and ``var_err`` (the variance of ``(mu_t - mu)^2``),
        ``mean_log`` and ``var_log`` (mean and variance of ``log sigma2_t``).
    """
    sizes = panel.schedule.sizes(spec.horizon)
    var_mu, var_err = theory.gaussian_mean_error_moments(spec.n0, sizes)
    mean_log, var_log = theory.gaussian_log_variance_moments(spec.n0, sizes)
    return {"var_mu": var_mu, "var_err": var_err, "mean_log": mean_log, "var_log": var_log}


def _moment_rows(
    spec: WalkSpec, panel: WalkPanel, mu: np.ndarray, log_s2: np.ndarray, r: int
) -> list[dict[str, Any]]:
    """The ``moments`` rows of one schedule: ``Var mu_t`` and the moments of ``log sigma2_t``
    at each checkpoint, beside their exact values."""
    exact = exact_walk(spec, panel)
    rows = []
    for g in spec.checkpoints:
        sd_log = math.sqrt(exact["var_log"][g])
        geo = math.exp(exact["mean_log"][g])
        rows.append(
            {
                "part": "moments",
                "schedule": panel.label,
                "t": g,
                "n0": spec.n0,
                "T": spec.horizon,
                "replications": r,
                "var_mu_sim": float(np.mean(mu[:, g] ** 2)),
                "var_mu_se": math.sqrt(exact["var_err"][g] / r),
                "var_mu_theory": float(exact["var_mu"][g]),
                "geo_sigma2_sim": float(np.exp(log_s2[:, g].mean())),
                # Delta method on the exact sd of log sigma2_t.
                "geo_sigma2_se": geo * sd_log / math.sqrt(r),
                "geo_sigma2_theory": geo,
                "mean_log_sigma2_sim": float(log_s2[:, g].mean()),
                "mean_log_sigma2_theory": float(exact["mean_log"][g]),
                "sd_log_sigma2_sim": float(log_s2[:, g].std(ddof=1)),
                "sd_log_sigma2_theory": sd_log,
            }
        )
    return rows


def _step_row(
    spec: WalkSpec, panel: WalkPanel, mu: np.ndarray, s2: np.ndarray, r: int
) -> dict[str, Any]:
    """The ``step`` row of one schedule: the steps of the walk between ``T/2`` and ``T``."""
    half, horizon = spec.half, spec.horizon
    sizes = panel.schedule.sizes(horizon)
    log_s2 = np.log(s2)
    # The steps between t = T/2 and T: log sigma2 gains a sum of independent log-gamma
    # terms (cumulants polygamma(m - 1, k/2)); given the variance path, mu_T - mu_{T/2} is
    # N(0, sum sigma2_{t-1}/n_t), so its square over that sum is chi-square(1).
    alpha = (sizes[half:horizon] - 1) / 2.0
    k2 = float(np.sum(polygamma(1, alpha)))
    k4 = float(np.sum(polygamma(3, alpha)))
    step_log = log_s2[:, horizon] - log_s2[:, half]
    path_var = np.sum(s2[:, half:horizon] / sizes[half:horizon], axis=1)
    z2 = (mu[:, horizon] - mu[:, half]) ** 2 / path_var
    return {
        "part": "step",
        "schedule": panel.label,
        "t": horizon,
        "t_from": half,
        "n0": spec.n0,
        "T": horizon,
        "replications": r,
        "step_log_var_sim": float(step_log.var(ddof=1)),
        "step_log_var_se": math.sqrt(k4 / r + 2 * k2**2 / (r - 1)),
        "step_log_var_theory": k2,
        "step_harmonic_sum": float(np.sum(1.0 / sizes[half:horizon])),
        "step_mu_z2_sim": float(z2.mean()),
        "step_mu_z2_se": math.sqrt(2.0 / r),
        "step_mu_z2_theory": 1.0,
    }


def _simulate(ctx: Context, spec: WalkSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Simulate every schedule: the table, and the first ``spec.paths`` sample paths of
    ``mu_t`` and ``log sigma2_t`` per schedule (drawn, not tabulated)."""
    r = ctx.replications
    ctx.note(
        n0=spec.n0,
        generations=spec.horizon,
        schedules=[str(p.schedule) for p in spec.panels],
        variance="unbiased",
        paths_shown=spec.paths,
    )
    rows, paths = [], {}
    for i, panel in enumerate(ctx.track(spec.panels)):
        ctx.progress(f"simulate {panel.label}")
        res = simulate(
            Gaussian(),
            n0=spec.n0,
            schedule=panel.schedule,
            generations=spec.horizon,
            replications=r,
            seed=ctx.child_seed(i),
            record="all",
            metrics=["sigma2"],
        )
        mu = res.values("mu")
        s2 = res.values("sigma2")
        log_s2 = np.log(s2)
        shown = min(spec.paths, r)
        paths[panel.label] = (mu[:shown].copy(), log_s2[:shown].copy())
        rows += _moment_rows(spec, panel, mu, log_s2, r)
        rows.append(_step_row(spec, panel, mu, s2, r))
    return pd.DataFrame(rows), paths


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate the walk under each schedule and tabulate its moments beside theory.

    Parameters
    ----------
    ctx : Context
        Replications, seeds and progress.

    Returns
    -------
    DataFrame
        ``moments`` rows (per schedule and checkpoint) and one ``step`` row per schedule.
    """
    return _simulate(ctx, SPEC)[0]


# -- outputs ------------------------------------------------------------------------------------

_KEY_COLUMNS = {
    "schedule": "schedule",
    "t": "t",
    "var_mu_sim": "Var mu_t (sim)",
    "var_mu_se": "SE",
    "var_mu_theory": "Var mu_t (exact)",
    "geo_sigma2_sim": "exp E log sigma2_t (sim)",
    "geo_sigma2_se": "SE ",
    "geo_sigma2_theory": "exp E log sigma2_t (exact)",
    "sd_log_sigma2_sim": "sd log sigma2_t (sim)",
    "sd_log_sigma2_theory": "sd log sigma2_t (exact)",
}


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: the walk's moments at each checkpoint beside their exact values."""
    return table[table.part == "moments"][list(_KEY_COLUMNS)].rename(columns=_KEY_COLUMNS)


def notes(table: pd.DataFrame, spec: WalkSpec = SPEC) -> list[str]:
    """The notes of the summary."""
    r = first_int(table, "replications")
    steps = table[table.part == "step"]
    return [
        f"{min(spec.paths, r)} sample paths are drawn per schedule; the checks use all {r:,} "
        "replications.",
        f"Steps between t = {spec.half} and t = {spec.horizon}: "
        + "; ".join(
            f"{row.schedule}: variance of the step of log sigma2 {row.step_log_var_sim:.4g} "
            f"(exact {row.step_log_var_theory:.4g}), mean standardised squared step of mu "
            f"{row.step_mu_z2_sim:.4g} (exact 1)"
            for row in steps.itertuples()
        )
        + ".",
        "The geometric mean exp(mean of log sigma2_t) is compared with exp E log sigma2_t; its "
        "standard error is the exact sd of log sigma2_t over sqrt(R) (delta method).",
    ]


def _plot_panel(
    ax_mu: Any, ax_log: Any, spec: WalkSpec, panel: WalkPanel, paths: Any, r: int
) -> None:
    """Draw one schedule's sample paths and exact bands on its two panels."""
    t = np.arange(spec.horizon + 1)
    mu, log_s2 = paths
    exact = exact_walk(spec, panel)
    mean_log = exact["mean_log"]
    for p in range(min(spec.paths, r)):
        ax_mu.plot(t, mu[p], color=panel.color, alpha=0.35, linewidth=0.7)
        ax_log.plot(t, log_s2[p], color=panel.color, alpha=0.35, linewidth=0.7)
    for sign in (1, -1):
        plot_theory(
            ax_mu,
            t,
            sign * 1.96 * np.sqrt(exact["var_mu"]),
            "exact +- 1.96 sqrt(Var mu_t)" if sign > 0 else "_",
        )
        plot_theory(
            ax_log,
            t,
            mean_log + sign * 1.96 * np.sqrt(exact["var_log"]),
            "exact mean +- 1.96 sd" if sign > 0 else "_",
        )
    plot_theory(ax_log, t, mean_log, "_")
    shown = f"{min(spec.paths, r)} of R = {r:,} paths"
    ax_mu.set(
        title=f"mu_t, {panel.label}\n({shown})", xlabel="generation t", ylabel="mu_t (data units)"
    )
    ax_log.set(
        title=f"log sigma2_t, {panel.label}\n({shown})",
        xlabel="generation t",
        ylabel="log sigma2_t (log variance units)",
    )
    ax_mu.legend(fontsize=7)
    ax_log.legend(fontsize=7)


def plot(table: pd.DataFrame, paths: dict[str, Any], spec: WalkSpec = SPEC) -> dict[str, Any]:
    """Figures 4-5: sample paths of ``mu_t`` and of ``log sigma2_t`` with their exact bands.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute` (for the replication count).
    paths : dict
        Per schedule label, the sample paths drawn: arrays of ``mu_t`` and ``log sigma2_t``,
        one row per path (the table holds moments, not paths).
    spec : WalkSpec
        The setting.

    Returns
    -------
    dict of str to Figure
        ``mean_paths`` and ``log_variance_paths``, one panel per schedule.
    """
    r = first_int(table, "replications")
    fig, axes = new_figure(2, height=4.0)
    fig2, axes2 = new_figure(2, height=4.0)
    for i, panel in enumerate(spec.panels):
        _plot_panel(axes[i], axes2[i], spec, panel, paths[panel.label], r)
    return {"mean_paths": fig, "log_variance_paths": fig2}


# -- verdicts -----------------------------------------------------------------------------------


def _moment_verdicts(table: pd.DataFrame) -> list[Verdict]:
    moments = table[table.part == "moments"]
    cells = [f"{s} t={int(t)}" for s, t in zip(moments.schedule, moments.t, strict=True)]
    mu = resolved(moments.var_mu_sim, moments.var_mu_theory, moments.var_mu_se, cells)
    geo = resolved(moments.geo_sigma2_sim, moments.geo_sigma2_theory, moments.geo_sigma2_se, cells)
    return [
        Verdict(
            "mu_t performs a random walk whose variance matches theory: Var mu_t = "
            "sigma^2 (1/n0 + sum_{s<=t} 1/n_s) under both schedules, at every recorded t whose "
            "Monte Carlo error resolves it.",
            mu.holds,
            f"({mu.text()}; standard errors from the exact fourth moments)",
            kind="simulation",
            detectable=mu.detectable,
            inputs=("var_mu_sim",),
        ),
        Verdict(
            "log sigma2_t performs a random walk with the exact drift: the geometric mean "
            "exp(mean log sigma2_t) matches exp E log sigma2_t under both schedules, at every "
            "recorded t whose Monte Carlo error resolves it.",
            geo.holds,
            f"({geo.text()}; standard errors from the exact sd of log sigma2_t)",
            kind="simulation",
            detectable=geo.detectable,
            inputs=("geo_sigma2_sim",),
        ),
    ]


def _step_size_verdict(steps: pd.DataFrame) -> Verdict:
    t_from, t_to = first_int(steps, "t_from"), first_int(steps, "t")
    log_step, log_d = compare_every(
        steps.step_log_var_sim, steps.step_log_var_theory, steps.step_log_var_se
    )
    shown = "; ".join(
        f"{s}: {v:.4g} vs {e:.4g} +- {se:.2g} (sum 1/n_t = {h:.3g})"
        for s, v, e, se, h in zip(
            steps.schedule,
            steps.step_log_var_sim,
            steps.step_log_var_theory,
            steps.step_log_var_se,
            steps.step_harmonic_sum,
            strict=True,
        )
    )
    return Verdict(
        f"The sample size sets the step size: the variance log sigma2_t gains between "
        f"t = {t_from} and t = {t_to} matches its exact value sum psi'((n_t - 1)/2), about "
        "2 sum 1/n_t, under both schedules.",
        None if log_d > MAX_DETECTABLE else log_step.agree,
        f"({shown}; {log_step.text()}; standard errors from the exact cumulants)",
        kind="simulation",
        detectable=log_d,
        inputs=("step_log_var_sim",),
    )


def _mean_step_verdict(steps: pd.DataFrame) -> Verdict:
    t_from, t_to = first_int(steps, "t_from"), first_int(steps, "t")
    z2, z2_d = compare_every(steps.step_mu_z2_sim, steps.step_mu_z2_theory, steps.step_mu_z2_se)
    shown = "; ".join(
        f"{s}: {v:.4g} +- {se:.2g}"
        for s, v, se in zip(steps.schedule, steps.step_mu_z2_sim, steps.step_mu_z2_se, strict=True)
    )
    return Verdict(
        f"Given the variance path, mu_t steps by N(0, sigma2_(t-1)/n_t): the squared step "
        f"mu_{t_to} - mu_{t_from} over sum sigma2_(t-1)/n_t has mean 1 (chi-square with 1 "
        "degree of freedom) under both schedules.",
        None if z2_d > MAX_DETECTABLE else z2.agree,
        f"({shown}; {z2.text()})",
        kind="simulation",
        detectable=z2_d,
        inputs=("step_mu_z2_sim",),
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of Figures 4-5, a pure function of the table."""
    steps = table[table.part == "step"]
    return [*_moment_verdicts(table), _step_size_verdict(steps), _mean_step_verdict(steps)]


def run(ctx: Context) -> Outcome:
    """Simulate once; the table, key table and notes, and the figures with the sample paths."""
    table, paths = _simulate(ctx, SPEC)
    figures = plot(table, paths, SPEC)
    return Outcome(table, figures, key_table(table), notes=notes(table, SPEC))


EXPERIMENT = register(
    Experiment(
        id="xu2025-random-walk",
        title="Recursive training as a random walk: sample paths "
        "of mu_t and log sigma2_t, constant against superlinear sizes",
        paper=PAPER,
        figure="Figures 4-5",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
