"""Paper 1, the win probability: the probability ``Q_T`` that recursive training beats the
real-data fit, simulated beside its exact conditional form and the plug-in form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_band, plot_theory
from ...schedules import Schedule
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import MAX_DETECTABLE, Verdict, binomial_se, compare, ordering, threshold
from .common import (
    PAPER,
    capped_horizon,
    detectable_rise,
    first_int,
    paper_schedules,
    ramp,
    relative_resolution,
    setting_names,
)

__all__ = ["EXPERIMENT", "SPEC", "WinSpec", "compute", "judge", "plot", "run"]


@dataclass(frozen=True)
class WinSpec:
    """What the win-probability reproduction simulates: the Gaussian mean refitted from ``n0``
    real points under the schedules of ``paper_schedules`` (less ``skip``), and the exact
    conditional form averaged over at least ``exact_paths`` variance paths."""

    n0: int = 100
    horizon: int = 300
    quick_horizon: int = 100
    skip: tuple[str, ...] = ("t^1.1",)
    exact_paths: int = 100_000

    def generations(self, quick: bool) -> int:
        """The horizon at the quick or the paper's scale."""
        return self.quick_horizon if quick else self.horizon

    def schedules(self) -> dict[str, Schedule]:
        """The schedules run, by name."""
        return {k: v for k, v in paper_schedules(self.n0).items() if k not in self.skip}

    def paths(self, replications: int) -> int:
        """The variance paths the exact conditional form averages over."""
        return max(self.exact_paths, replications)


SPEC = WinSpec()


# -- compute ------------------------------------------------------------------------------------


def _limit(spec: WinSpec, schedule: Schedule) -> float:
    """The limit of ``Q_T`` as ``T -> infinity``: positive where ``sum 1/n_t`` converges."""
    regime = theory.collapse_verdict(schedule)
    limit = theory.harmonic_limit(schedule)
    if regime == "stable" and limit is not None:
        return math.atan(2 / math.sqrt(spec.n0 * limit)) / math.pi
    return 0.0


def _schedule_run(
    spec: WinSpec, ctx: Context, index: int, name: str, schedule: Schedule, horizon: int
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """Simulate one schedule (child seed ``2 index``) and tabulate it beside the exact
    conditional form (paths from child seed ``2 index + 1``) and the plug-in form; also return
    both forms at every generation ``0..T``, for the figure."""
    T = capped_horizon(schedule, horizon)
    sizes = schedule.sizes(T)
    r = ctx.replications
    ctx.progress(f"simulate {name}, T = {T}")
    record = np.unique(np.concatenate([[0], np.geomspace(1, T, 30).round()])).astype(int)
    res = simulate(
        Gaussian(),
        n0=spec.n0,
        schedule=schedule,
        generations=T,
        replications=r,
        seed=ctx.child_seed(2 * index),
        record=record,
        metrics=["mean_error"],
    )
    err = res.values("mean_error")
    exact, exact_se = theory.win_probability_exact(
        spec.n0, sizes, replications=spec.paths(r), seed=ctx.child_seed(2 * index + 1)
    )
    plug = theory.win_probability_plugin(spec.n0, sizes)
    t = record[1:]
    frame = pd.DataFrame(
        {
            "schedule": name,
            "regime": theory.collapse_verdict(schedule),
            "n0": spec.n0,
            "T": T,
            "replications": r,
            "exact_paths": spec.paths(r),
            "t": t,
            "q_sim": (err[:, 1:] < err[:, [0]]).mean(axis=0),
            # The binomial SE at the exact probability (a simulated 0 claims no zero error).
            "q_sim_se": binomial_se(exact[t], r),
            "q_exact": exact[t],
            "q_exact_se": exact_se[t],
            "q_plugin": plug[t],
            "q_limit": _limit(spec, schedule),
        }
    )
    return frame, (exact, plug)


def _simulate(ctx: Context, spec: WinSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run every schedule: the table, and per schedule the exact and plug-in ``Q_t`` at every
    generation (the table holds them at the recorded generations only)."""
    horizon = spec.generations(ctx.quick)
    schedules = spec.schedules()
    ctx.note(
        n0=spec.n0,
        generations=horizon,
        exact_paths=spec.paths(ctx.replications),
        schedules={k: str(v) for k, v in schedules.items()},
    )
    frames, curves = [], {}
    for i, (name, schedule) in enumerate(ctx.track(schedules.items())):
        frame, curves[name] = _schedule_run(spec, ctx, i, name, schedule, horizon)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), curves


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate ``Q_t`` under each schedule beside its exact conditional and plug-in forms.

    Parameters
    ----------
    ctx : Context
        Replications, scale, seeds and progress.

    Returns
    -------
    DataFrame
        One row per schedule and recorded generation ``t >= 1``.
    """
    return _simulate(ctx, SPEC)[0]


# -- outputs ------------------------------------------------------------------------------------


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The key table: ``Q_T`` at each schedule's last generation, simulated and in theory."""
    last = table[table.t == table["T"]]
    return pd.DataFrame(
        {
            "schedule": last.schedule.to_numpy(),
            "regime": last.regime.to_numpy(),
            "T": last["T"].to_numpy(),
            "Q_T sim": last.q_sim.to_numpy(),
            "SE": last.q_sim_se.to_numpy(),
            "Q_T exact": last.q_exact.to_numpy(),
            "Q_T plug-in": last.q_plugin.to_numpy(),
            "limit T -> inf": last.q_limit.to_numpy(),
        }
    )


def notes(table: pd.DataFrame) -> list[str]:
    """The notes of the summary."""
    n0, paths = first_int(table, "n0"), first_int(table, "exact_paths")
    horizon = int(table["T"].max())
    return [
        "Q_T = P(|theta_T - theta*| < |theta_0 - theta*|), theta the Gaussian mean and theta_0 "
        f"the fit to the n0 = {n0} real points; generations up to {horizon} (2^t stops where "
        "its sizes outgrow 64-bit integers). The exact conditional form averages "
        f"E[(1/pi) arctan(2 sqrt(a/B_T))] over {paths:,} simulated variance paths (its "
        "standard error is included in the comparison).",
        "The SE of a difference between two generations of one schedule is bounded by the "
        "root sum of squares of their SEs (the two are positively correlated), which only "
        "makes that test conservative.",
    ]


def plot(table: pd.DataFrame, curves: dict[str, Any]) -> Any:
    """``Q_T`` under the collapsing and the non-collapsing schedules.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute`.
    curves : dict
        Per schedule, the exact conditional and the plug-in ``Q_t`` at every generation
        ``0..T`` (drawn as curves; the table holds the recorded generations only).

    Returns
    -------
    Figure
        Two panels: collapsing schedules, non-collapsing schedules.
    """
    n0, r, horizon = first_int(table, "n0"), first_int(table, "replications"), int(table["T"].max())
    fig, axes = new_figure(2)
    name: Any  # the group's schedule name
    for name, frame in table.groupby("schedule", sort=False):
        T = int(frame["T"].iloc[0])
        exact, plug = curves[name]
        ax = axes[0] if frame.regime.iloc[0] == "collapses" else axes[1]
        line = plot_band(ax, frame.t, frame.q_sim, frame.q_sim_se, f"{name}, simulated")
        plot_theory(ax, np.arange(1, T + 1), exact[1:], "_", color=line.get_color())
        ax.plot(np.arange(1, T + 1), plug[1:], color=line.get_color(), linestyle=":", linewidth=1.2)
    for ax, title in zip(axes, ("Collapsing schedules", "Non-collapsing schedules"), strict=True):
        ax.axhline(0.5, color="grey", linewidth=0.8, label="Q = 1/2")
        ax.set(
            xscale="log",
            xlabel="generation T",
            ylabel="Q_T (probability)",
            ylim=(0, 0.52),
        )
        ax.set_title(
            f"{title}\nn0 = {n0}, R = {r:,}, T <= {horizon}\n"
            "points: simulated (95% band); dashed: exact; dotted: plug-in",
            fontsize=10,
        )
        ax.legend(fontsize=7, loc="lower left")
    return fig


# -- verdicts -----------------------------------------------------------------------------------


def _match_verdict(tab: pd.DataFrame) -> Verdict:
    se = np.hypot(tab.q_sim_se, tab.q_exact_se)
    match = compare(tab.q_sim, tab.q_exact, se)
    return Verdict(
        "The simulated Q_T matches the exact conditional form E[(1/pi) arctan(2 sqrt(a/B_T))] "
        "at every recorded generation of every schedule.",
        match.holds(),
        f"((schedule, T) cells: {match.text()}; the SE combines the simulation's binomial "
        "SE and the exact form's path-sampling SE)",
        kind="simulation",
        detectable=match.detectable,
        inputs=("q_sim",),
    )


def _closed_forms_verdict(tab: pd.DataFrame) -> Verdict:
    # Theory: both closed forms lie below 1/2 and do not increase (B_T and r_T grow with T).
    below = bool((tab.q_exact < 0.5).all() and (tab.q_plugin < 0.5).all())
    monotone = all(
        bool(np.all(np.diff(g.sort_values("t")[column].to_numpy()) <= 1e-12))
        for _, g in tab.groupby("schedule", sort=False)
        for column in ("q_exact", "q_plugin")
    )
    return Verdict(
        "The closed forms, exact conditional and plug-in (1/pi) arctan(2/sqrt(r_T)), put "
        "Q_T below 1/2 at every T >= 1 and non-increasing in T, for every schedule.",
        below and monotone,
        f"(largest exact Q_T {tab.q_exact.max():.4f}, largest plug-in "
        f"{tab.q_plugin.max():.4f}; non-increasing in T: {monotone}; both follow from "
        "arctan < pi/2 and B_T, r_T growing with T)",
        kind="theory",
    )


def _below_half_verdict(tab: pd.DataFrame) -> Verdict:
    # Simulation: every simulated Q_T lies below 1/2 beyond its Monte Carlo error.
    z = threshold(len(tab))
    upper = tab.q_sim + z * tab.q_sim_se
    rise = min(detectable_rise(q, 0.5, s, z) for q, s in zip(tab.q_sim, tab.q_sim_se, strict=True))
    worst = int(np.argmax(upper.to_numpy()))
    resolution = relative_resolution(float(tab.q_sim_se.max()), 0.5, z)
    return Verdict(
        "Recursive training is less likely than not to beat the real-data fit: the "
        "simulated Q_T lies below 1/2 at every recorded T >= 1 for every schedule.",
        None if resolution > MAX_DETECTABLE else bool((upper < 0.5).all()),
        f"({int((upper < 0.5).sum())}/{len(tab)} cells below 1/2 by more than {z:.2g} SE; "
        f"closest: {tab.schedule.iloc[worst]} at T = {tab.t.iloc[worst]}, "
        f"{tab.q_sim.iloc[worst]:.3f} +- {tab.q_sim_se.iloc[worst]:.3f}; the SEs resolve "
        f"{resolution:.1%} of 1/2; it fails once a simulated Q_T is {rise:.0%} higher)",
        kind="simulation",
        detectable=rise,
        inputs=("q_sim",),
    )


def _ends(frame: pd.DataFrame) -> pd.DataFrame:
    """Per schedule: simulated and exact Q at the first recorded and at the last generation,
    and the (conservative) SE of the simulated difference."""
    out = {}
    for name, g in frame.groupby("schedule", sort=False):
        g = g.sort_values("t")
        first, last = g.iloc[0], g.iloc[-1]
        out[name] = {
            "first": float(first.q_sim),
            "last": float(last.q_sim),
            "se_diff": float(math.hypot(first.q_sim_se, last.q_sim_se)),
            "first_exact": float(first.q_exact),
            "last_exact": float(last.q_exact),
            "T": int(last["t"]),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def _raise_end(frame: pd.DataFrame, size: float) -> pd.DataFrame:
    """Raise each collapsing curve by size x (exact Q at its last generation), growing in
    log T from nothing at T = 1: the fall shrinks by that much."""
    rows = frame.regime == "collapses"
    last = frame[rows & (frame.t == frame["T"])].set_index("schedule").q_exact
    amount = size * frame.schedule.map(last).fillna(0.0)
    return ramp(frame, rows, ["q_sim"], pd.Series(1.0, frame.index), frame["T"], amount)


def _falls_verdict(tab: pd.DataFrame) -> Verdict:
    # Simulation: under collapsing schedules Q_T falls from T = 1 to the last generation.
    collapsing = tab[tab.regime == "collapses"]
    ends = _ends(collapsing)
    fall = ordering(
        ends["first"] - ends["last"],
        ends.se_diff,
        ends.first_exact - ends.last_exact,
        ends.last_exact,
    )
    shown = "; ".join(
        f"{row.Index}: {row.first:.3f} at T = 1 -> {row.last:.3f} at T = {row.T} "
        f"(exact {row.first_exact:.3f} -> {row.last_exact:.3f})"
        for row in ends.itertuples()
    )
    return Verdict(
        f"Under the collapsing schedules ({setting_names(collapsing.schedule)}: sum 1/n_t = "
        "inf) the simulated Q_T falls with T: at the last generation it lies below its value "
        "at T = 1 beyond the Monte Carlo error.",
        fall.holds() if len(ends) else None,
        f"({fall.text()}; {shown}; the SE of a difference is bounded by the root sum of squares)",
        kind="simulation",
        detectable=fall.detectable,
        inputs=("q_sim",),
        perturb=_raise_end,
    )


def _limit_verdict(tab: pd.DataFrame) -> Verdict:
    # Approximation: under non-collapsing schedules Q_T settles at a positive limit.
    stable = tab[(tab.regime == "stable") & (tab.t == tab["T"])]
    at_limit = compare(stable.q_sim, stable.q_limit, stable.q_sim_se)
    rel = (stable.q_sim / stable.q_limit - 1).abs()
    shown = ", ".join(
        f"{s}: {q:.3f} against {lim:.3f}"
        for s, q, lim in zip(stable.schedule, stable.q_sim, stable.q_limit, strict=True)
    )
    return Verdict(
        f"Under the non-collapsing schedules ({setting_names(stable.schedule)}: sum 1/n_t < "
        "inf) the simulated Q_T at the last generation sits at the positive limit "
        "(1/pi) arctan(2/sqrt(r_inf)), r_inf = n0 sum 1/n_t: recursive training keeps a "
        "fixed chance of beating the real-data fit.",
        at_limit.holds() if len(stable) else None,
        f"({at_limit.text()}; largest relative discrepancy {rel.max():.1%}; {shown})",
        kind="approximation",
        detectable=at_limit.detectable,
        inputs=("q_sim",),
    )


def _plugin_verdict(tab: pd.DataFrame) -> Verdict:
    # Theory: the plug-in underestimates the exact form under collapsing schedules.
    collapsing = tab[tab.regime == "collapses"]
    last = collapsing[collapsing.t == collapsing["T"]]
    gap = (last.q_exact - last.q_plugin) / last.q_exact_se
    z_gap = threshold(len(last))
    shown = "; ".join(
        f"{s}, T = {T}: exact {e:.4f} against plug-in {p:.4f} ({g:.0f} path-sampling SE)"
        for s, T, e, p, g in zip(
            last.schedule, last["T"], last.q_exact, last.q_plugin, gap, strict=True
        )
    )
    return Verdict(
        f"Under the collapsing schedules ({setting_names(collapsing.schedule)}) the plug-in form "
        "underestimates Q_T at the last generation: the exact conditional form lies above "
        "it (later steps shrink with the variance).",
        bool(len(last) > 0 and (gap > z_gap).all()),
        f"({shown})",
        kind="theory",
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the win-probability reproduction, a pure function of its table."""
    return [
        _match_verdict(table),
        _closed_forms_verdict(table),
        _below_half_verdict(table),
        _falls_verdict(table),
        _limit_verdict(table),
        _plugin_verdict(table),
    ]


def run(ctx: Context) -> Outcome:
    """Simulate once; the table, key table and notes, and the figure with the exact curves."""
    table, curves = _simulate(ctx, SPEC)
    return Outcome(table, {"win_probability": plot(table, curves)}, key_table(table), notes(table))


EXPERIMENT = register(
    Experiment(
        id="xu2025-win-probability",
        title="Probability that recursive training beats the "
        "real-data fit: simulated, exact conditional and plug-in",
        paper=PAPER,
        figure="Section on the win probability",
        replications=10_000,
        quick_replications=2_000,
        run=run,
        judge=judge,
    )
)
