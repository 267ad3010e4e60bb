"""Paper 1, estimation bias: biased variance estimators and multiplicative shrinkage. A bias of
order ``n^-gamma`` needs ``sum n_t^-gamma < infinity``; shrinkage needs ``sum delta_t <
infinity``. Simulated moments and collapse probabilities beside their exact values, and the
regime read from the simulated ``E sigma2_t`` over the second half of the run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_band, plot_theory
from ...schedules import Power, Schedule, Shrinkage
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import binomial_se
from .bias_verdicts import BAND, judge, window_ratios
from .common import PAPER, first_int

__all__ = [
    "BAND",
    "CASES",
    "EXPERIMENT",
    "SPEC",
    "BiasCase",
    "BiasSpec",
    "compute",
    "exact_mean",
    "judge",
    "plot",
    "run",
    "theory_label",
    "window_ratios",
]

#: The base schedule ``t^1.5`` and the accelerated one ``t^3``, from ``n0 = 100``.
_BASE, _FAST = Power(100, 0.5), Power(100, 2.0)


@dataclass(frozen=True)
class BiasCase:
    """One curve: a Gaussian with estimator options ``family`` (``variance``, ``bias``) under
    ``schedule``, with optional ``shrinkage``; ``group`` is the verdict that judges it."""

    label: str
    group: str
    family: Mapping[str, Any] = field(default_factory=dict)
    schedule: Schedule = _BASE
    shrinkage: Shrinkage | None = None


#: The cases, from ``n0 = 100`` real points (``t^1.5`` unless named otherwise).
CASES = (
    BiasCase("unbiased, t^1.5", "order n^-1"),
    BiasCase("MLE (bias -sigma2/n), t^1.5", "order n^-1", {"variance": "mle"}),
    BiasCase("bias -n^-1, t^1.5", "order n^-1", {"bias": (-1.0, 1.0)}),
    BiasCase("bias -n^-1/2, t^1.5", "order n^-1/2", {"bias": (-1.0, 0.5)}),
    BiasCase("bias +n^-1/2, t^1.5", "order n^-1/2", {"bias": (1.0, 0.5)}),
    BiasCase("bias -n^-1/2, t^3 (accelerated)", "order n^-1/2", {"bias": (-1.0, 0.5)}, _FAST),
    BiasCase("bias +n^-1/2, t^3 (accelerated)", "order n^-1/2", {"bias": (1.0, 0.5)}, _FAST),
    BiasCase("shrinkage 0.01, t^1.5", "shrinkage", shrinkage=Shrinkage(0.01)),
    BiasCase("shrinkage 0.5/t, t^1.5", "shrinkage", shrinkage=Shrinkage(0.5, 1.0)),
    BiasCase("shrinkage 0.5 t^-1.5, t^1.5", "shrinkage", shrinkage=Shrinkage(0.5, 1.5)),
)


@dataclass(frozen=True)
class BiasSpec:
    """What the bias reproduction simulates: every case from ``n0`` real points, collapse at
    ``sigma2_t <= eps``, to ``horizon`` generations (``quick_horizon`` at the quick scale)."""

    n0: int = 100
    eps: float = 0.05
    horizon: int = 1000
    quick_horizon: int = 200
    cases: tuple[BiasCase, ...] = CASES

    def generations(self, quick: bool) -> int:
        """The horizon at the quick or the paper's scale."""
        return self.quick_horizon if quick else self.horizon


SPEC = BiasSpec()


def theory_label(case: BiasCase) -> str:
    """``theory.collapse_verdict`` for the case's bias, and collapse where ``sum delta_t`` is
    infinite.

    Parameters
    ----------
    case : BiasCase
        The case.

    Returns
    -------
    str
        ``"collapses"``, ``"explodes"``, ``"stable"`` or ``"unknown"``.
    """
    beta, gamma = case.family.get("bias", (0.0, 1.0))
    variance = case.family.get("variance", "unbiased")
    label = theory.collapse_verdict(case.schedule, gamma, beta=beta, variance=variance)
    shrink = case.shrinkage
    if shrink is not None and shrink.delta > 0 and shrink.p <= 1:
        label = "collapses"  # E sigma2_T = prod (1 - delta_t) -> 0
    return label


# -- compute ------------------------------------------------------------------------------------


def _chain(case: BiasCase) -> tuple[Gaussian, dict[str, Any]]:
    """The case's family and the bias and shrinkage of its recursion, for the exact laws."""
    family = Gaussian(**case.family)
    return family, {"bias": family.bias, "shrinkage": case.shrinkage}


def exact_mean(spec: BiasSpec, case: BiasCase, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact mean and variance of ``sigma2_t`` at every generation ``0..horizon``.

    Parameters
    ----------
    spec : BiasSpec
        The setting.
    case : BiasCase
        The case.
    horizon : int
        The last generation.

    Returns
    -------
    tuple of ndarray
        ``E sigma2_t`` and ``Var sigma2_t``.
    """
    family, chain = _chain(case)
    sizes = case.schedule.sizes(horizon)
    return theory.gaussian_variance_moments(spec.n0, sizes, family.variance, **chain)


def _record(horizon: int) -> tuple[np.ndarray, int]:
    """The recorded generations, and the first of them at or after ``horizon // 2``."""
    record = np.unique(np.concatenate([[0], np.geomspace(1, horizon, 40).round()])).astype(int)
    return record, int(record[np.searchsorted(record, horizon // 2)])


def _case_frame(
    spec: BiasSpec, ctx: Context, index: int, case: BiasCase, horizon: int
) -> pd.DataFrame:
    """Simulate one case (child seed ``index``) and tabulate it beside its exact laws."""
    n0, eps, r = spec.n0, spec.eps, ctx.replications
    record, t_half = _record(horizon)
    family, chain = _chain(case)
    sizes = case.schedule.sizes(horizon)
    res = simulate(
        family,
        n0=n0,
        schedule=case.schedule,
        generations=horizon,
        replications=r,
        seed=ctx.child_seed(index),
        record=record,
        eps=eps,
        shrinkage=case.shrinkage,
        metrics=["sigma2", "collapsed"],
    )
    s2 = res.values("sigma2")
    mean, var = exact_mean(spec, case, horizon)
    e_log, v_log = theory.gaussian_log_variance_moments(n0, sizes, family.variance, **chain)
    prob = theory.collapse_probability(n0, sizes, eps, family.variance, generations=record, **chain)
    return pd.DataFrame(
        {
            "case": case.label,
            "group": case.group,
            "theory": theory_label(case),
            "n0": n0,
            "eps": eps,
            "T": horizon,
            "t_half": t_half,
            "replications": r,
            "t": record,
            "mean_sigma2_sim": s2.mean(axis=0),
            "mean_sigma2_exact": mean[record],
            "mean_sigma2_se": np.sqrt(var[record] / r),
            "mean_log_sigma2_sim": np.log(s2).mean(axis=0),
            "mean_log_sigma2_exact": e_log[record],
            "mean_log_sigma2_se": np.sqrt(v_log[record] / r),
            "median_sigma2": np.median(s2, axis=0),
            "collapsed_sim": res.values("collapsed").mean(axis=0),
            "collapsed_exact": prob,
            "collapsed_se": binomial_se(prob, r),
        }
    )


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate every case and tabulate its moments and collapse probability beside theory.

    Parameters
    ----------
    ctx : Context
        Replications, scale, seeds and progress.

    Returns
    -------
    DataFrame
        One row per case and recorded generation.
    """
    spec = SPEC
    horizon = spec.generations(ctx.quick)
    _, t_half = _record(horizon)
    ctx.note(
        n0=spec.n0,
        eps=spec.eps,
        generations=horizon,
        window=[t_half, horizon],
        engine="exact",
        cases={
            c.label: {
                "estimator": {k: str(v) for k, v in c.family.items()},
                "schedule": str(c.schedule),
                "shrinkage": None if c.shrinkage is None else str(c.shrinkage),
            }
            for c in spec.cases
        },
    )
    frames = []
    for i, case in enumerate(ctx.track(spec.cases)):
        ctx.progress(f"simulate {case.label}")
        frames.append(_case_frame(spec, ctx, i, case, horizon))
    return pd.concat(frames, ignore_index=True)


# -- outputs ------------------------------------------------------------------------------------


def _settings(table: pd.DataFrame) -> tuple[int, int, int, float]:
    """The horizon ``T``, the start of the test window, ``n0`` and ``eps`` of the run."""
    return (
        first_int(table, "T"),
        first_int(table, "t_half"),
        first_int(table, "n0"),
        float(table.eps.iloc[0]),
    )


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: per case, ``E sigma2_T``, its change over the test window and the
    collapse probability, simulated and exact."""
    horizon, t_half, _, _ = _settings(table)
    rows = []
    for name, g in table.groupby("case", sort=False):
        end, half = g[g.t == horizon].iloc[0], g[g.t == t_half].iloc[0]
        rows.append(
            {
                "case": name,
                "theory": end.theory,
                "E sigma2_T sim": end.mean_sigma2_sim,
                "E sigma2_T exact": end.mean_sigma2_exact,
                f"ratio T/{t_half} sim": end.mean_sigma2_sim / half.mean_sigma2_sim,
                f"ratio T/{t_half} exact": end.mean_sigma2_exact / half.mean_sigma2_exact,
                "median sigma2_T": end.median_sigma2,
                "P(collapse) sim": end.collapsed_sim,
                "P(collapse) exact": end.collapsed_exact,
            }
        )
    return pd.DataFrame(rows)


def notes(table: pd.DataFrame) -> list[str]:
    """The notes of the summary."""
    _, t_half, _, _ = _settings(table)
    return [
        "bias (beta, gamma) multiplies each variance estimate by 1 + beta n^-gamma, a bias "
        "of beta sigma2 n^-gamma relative to the unbiased estimator; shrinkage multiplies "
        "generation t's estimate by 1 - delta_t (e.g. low-temperature sampling). The label "
        "in brackets is theory.collapse_verdict's (shrinkage: collapse iff sum delta_t = inf).",
        "Paper 1's exact statement of the biased condition is not known to us; these are "
        "the conditions sum n_t^-gamma < inf and sum delta_t < inf for the model above, and "
        "the sign of the bias's drift where the sum diverges.",
        f"The regimes are read from the simulated E sigma2_t over the second half of the run: "
        f"E sigma2_T / E sigma2_{t_half} below {1 - BAND:g} (collapses), above {1 + BAND:g} "
        f"(explodes) or between (stable), each beyond its Monte Carlo error. The SE of the "
        f"ratio is exact: sigma2_T = sigma2_{t_half} M with M independent of sigma2_{t_half}, "
        "so Var(ratio) = ratio^2 (CV_T^2 - CV_h^2) / R.",
    ]


def _plot_case(axes: Any, frame: pd.DataFrame, case: BiasCase, spec: BiasSpec) -> None:
    """One case's simulated and exact ``E sigma2_t``, and its collapse probability where the
    exact one reaches 0.001."""
    horizon = first_int(frame, "T")
    t = frame.t.to_numpy()
    mean, _ = exact_mean(spec, case, horizon)
    ax = axes[1] if case.group == "shrinkage" else axes[0]
    line = plot_band(ax, t[1:], frame.mean_sigma2_sim.iloc[1:], frame.mean_sigma2_se.iloc[1:], "_")
    line.set_label(f"{case.label} [{frame.theory.iloc[0]}]")
    plot_theory(ax, np.arange(1, horizon + 1), mean[1:], "_", color=line.get_color())
    prob = frame.collapsed_exact.to_numpy()
    if prob[-1] > 1e-3:
        axes[2].plot(
            t[1:],
            frame.collapsed_sim.to_numpy()[1:],
            marker="o",
            markersize=2.5,
            linewidth=0.8,
            color=line.get_color(),
            label=case.label,
        )
        plot_theory(axes[2], t[1:], prob[1:], "_", color=line.get_color())


def _format_axes(axes: Any, table: pd.DataFrame) -> None:
    """The test window, scales, ticks, titles and legends of the three panels."""
    horizon, t_half, n0, eps = _settings(table)
    r = first_int(table, "replications")
    for ax, title in zip(
        axes[:2], ("Biased estimators", "Shrinkage (unbiased estimator)"), strict=True
    ):
        ax.axvspan(t_half, horizon, color="grey", alpha=0.12, linewidth=0, label="test window")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="generation t",
            ylabel="E sigma2_t (variance units)",
            title=f"{title} (n0 = {n0})\nR = {r:,}, T = {horizon}; points: sim., dashed: exact",
        )
        low, high = ax.get_ylim()
        # 1, 2, 3, 5 per decade over a narrow range; powers of ten alone over a wide one
        subs = (1.0, 2.0, 3.0, 5.0) if high / low < 100 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    axes[2].set(
        xscale="log",
        xlabel="generation t",
        ylabel=f"P(sigma2_t <= {eps}) (probability)",
        title=f"Collapse probability (cases above 0.001\n"
        f"at T = {horizon}); points: sim., dashed: exact",
    )
    axes[2].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)


def plot(table: pd.DataFrame, spec: BiasSpec = SPEC) -> Any:
    """``E sigma2_t`` of the biased estimators and of shrinkage, and collapse probabilities.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute`.
    spec : BiasSpec
        The setting (the cases, for the exact ``E sigma2_t`` at every generation).

    Returns
    -------
    Figure
        Three panels: biased estimators, shrinkage, collapse probability.
    """
    fig, axes = new_figure(3, width=5.0, height=5.2)
    for case in spec.cases:
        _plot_case(axes, table[table.case == case.label], case, spec)
    _format_axes(axes, table)
    return fig


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table, notes and figure drawn from it."""
    table = compute(ctx)
    return Outcome(table, {"bias": plot(table)}, key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="xu2025-bias",
        title="Biased estimators and shrinkage: bias of order n^-gamma "
        "needs sum n_t^-gamma < infinity; shrinkage needs sum delta_t < infinity",
        paper=PAPER,
        figure="Section on estimation bias",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
