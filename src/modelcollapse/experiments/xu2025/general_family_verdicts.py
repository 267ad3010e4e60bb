"""The verdicts of xu2025-general-family (:mod:`.general_family`): pure functions of
its table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..verdicts import MAX_DETECTABLE, Verdict, compare, ordering, threshold
from .common import ramp, relative_resolution

__all__ = ["POWER_BOUND", "judge"]

#: The limit of the inflation 1 + r_T under the schedule n0 t^2: 1 + zeta(2).
POWER_BOUND = 1 + math.pi**2 / 6

#: The limit of the inflation 1 + r_T under the schedule n0 t^2: 1 + zeta(2).
POWER_BOUND = 1 + math.pi**2 / 6


def _fit_verdict(tab: pd.DataFrame) -> Verdict:
    fit = compare(tab.inflation_sim, tab.inflation_theory, tab.inflation_se)
    rel = (tab.inflation_sim / tab.inflation_theory - 1).abs()
    worst = int(np.argmax(fit.z)) if len(tab) else 0
    return Verdict(
        "For every family the error is inflated by 1 + r_t, r_t = n0 sum_{s<=t} 1/n_s, "
        "relative to the real-data fit (asymptotic normality), at every generation of both "
        "schedules.",
        fit.holds(),
        f"((family, schedule, t) cells: {fit.text()}, at {tab.family.iloc[worst]}, "
        f"{tab.schedule.iloc[worst]}, t = {tab.t.iloc[worst]}; largest relative "
        f"discrepancy {rel.max():.1%}; d = rank of V*)",
        kind="approximation",
        detectable=fit.detectable,
        inputs=("inflation_sim",),
    )


def _rises(constant: pd.DataFrame) -> pd.DataFrame:
    """Per family under the constant schedule: the inflation at ``T/2`` and ``T``, the
    simulated rise between them with its SE, the predicted rise and the level at ``T``."""
    rises = {}
    for name, g in constant.groupby("family", sort=False):
        T = int(g["T"].iloc[0])
        half, last = g[g.t == T // 2].iloc[0], g[g.t == T].iloc[0]
        rises[name] = {
            "from": float(half.inflation_sim),
            "to": float(last.inflation_sim),
            "rise": float(last.rise_sim),
            "se": float(last.rise_se),
            "predicted": float(last.inflation_theory - half.inflation_theory),
            "level": float(last.inflation_theory),
        }
    return pd.DataFrame.from_dict(rises, orient="index")


def _flatten_and_raise(frame: pd.DataFrame, size: float) -> pd.DataFrame:
    """Lower each constant-schedule curve after T/2 by up to size x (1 + r_T) at T (the rise
    since T/2 with it), and scale the n0 t^2 curves up by 1 + size."""
    rows = frame.regime == "collapses"
    last = frame[rows & (frame.t == frame["T"])].set_index("family").inflation_theory
    amount = -size * frame.family.map(last).fillna(0.0)
    out = ramp(
        frame, rows, ["inflation_sim", "rise_sim"], frame["T"] // 2, frame["T"], amount, False
    )
    up = out.regime == "stable"
    out.loc[up, "inflation_sim"] = out.loc[up, "inflation_sim"] * (1 + size)
    return out


def _bound(power: pd.DataFrame) -> tuple[pd.Series, float, float, float]:
    """Under ``n0 t^2``: which cells lie at most ``z`` SE above :data:`POWER_BOUND`, the
    relative rise that would break that, the SEs' resolution of the bound, and ``z``."""
    z_bound = threshold(len(power))
    bound_ok = power.inflation_sim <= POWER_BOUND + z_bound * power.inflation_se
    d_bound = min(
        (
            max((POWER_BOUND + (z_bound + 2) * s) / x - 1, 1e-9)
            for x, s in zip(power.inflation_sim, power.inflation_se, strict=True)
        ),
        default=math.inf,
    )
    resolution = max(
        (relative_resolution(s, POWER_BOUND, z_bound) for s in power.inflation_se),
        default=math.inf,
    )
    return bound_ok, d_bound, resolution, z_bound


def _dichotomy_verdict(tab: pd.DataFrame) -> Verdict:
    # The dichotomy: still rising under the constant schedule, bounded under n0 t^2.
    power = tab[tab.regime == "stable"]
    rises = _rises(tab[tab.regime == "collapses"])
    rising = ordering(
        rises.get("rise", []),
        rises.get("se", []),
        rises.get("predicted", []),
        rises.get("level", []),
    )
    bound_ok, d_bound, resolution, z_bound = _bound(power)
    informative = rising.informative and resolution <= MAX_DETECTABLE
    top = int(np.argmax((power.inflation_sim - POWER_BOUND) / power.inflation_se))
    shown = ", ".join(
        f"{k}: {r['from']:.2f} -> {r['to']:.2f} (predicted rise {r['predicted']:.3g})"
        for k, r in rises.iterrows()
    )
    return Verdict(
        "The collapse dichotomy is the same for every family: under the constant schedule "
        "the inflation keeps rising over the second half of the run (t = T/2 to T), "
        "while under n0 t^2 it stays below its limit 1 + pi^2/6 (within Monte Carlo "
        "error) at every generation.",
        bool(rising.agree and bound_ok.all() and len(rises) and len(power))
        if informative
        else None,
        f"(constant, rise from T/2 to T: {rising.text()}; {shown}; n0 t^2: "
        f"{int(bound_ok.sum())}/{len(power)} cells at most {z_bound:.2g} SE "
        f"above {POWER_BOUND:.3f}, highest {power.inflation_sim.iloc[top]:.3f} +- "
        f"{power.inflation_se.iloc[top]:.3f} ({power.family.iloc[top]}, "
        f"t = {power.t.iloc[top]}); the SEs resolve {resolution:.1%} of the bound)",
        kind="approximation",
        detectable=min(rising.detectable, d_bound),
        inputs=("inflation_sim", "rise_sim"),
        perturb=_flatten_and_raise,
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the general-families reproduction, a pure function of its table."""
    return [_fit_verdict(table), _dichotomy_verdict(table)]
