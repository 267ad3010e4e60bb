"""``he2025-theory``: paper 2's theory alone, no simulation.

The unified limiting error ``R(w, k)`` (limiting error over ``C/n``), the optimal weight
``w*(k)`` against naive mixing ``k/(1+k)``, and the error ``e_t`` over generations. The table is
the plotted grid of ``R``; the verdicts check the closed forms against independent computations
(a numerical minimiser, algebraic identities, limits, the greedy rule run long).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from ... import theory
from ...plots import new_figure
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import Verdict
from .common import INV_PHI, PAPER

__all__ = ["EXPERIMENT", "SPEC", "TheorySpec", "compute", "judge", "key_table", "plot", "run"]


@dataclass(frozen=True)
class TheorySpec:
    """What ``he2025-theory`` computes and draws (the same at the quick and the paper scale).

    ``ks`` are the ratios ``k = n_real / n_synth`` tabulated and drawn, ``w_grid`` the weights
    ``(start, stop, points)`` of the table, ``k_grid`` the ``k`` axis ``(low, high, points)`` of
    the second panel; the third panel draws ``e_t`` for ``trajectory_weights`` over ``horizon``
    generations at ``k = 1``, and the greedy weights for ``greedy_n`` points per generation.
    """

    ks: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0, 10.0)
    w_grid: tuple[float, float, int] = (0.01, 1.0, 991)
    k_grid: tuple[float, float, int] = (1e-3, 1e3, 400)
    trajectory_weights: tuple[float, ...] = (0.2, 0.5, INV_PHI, 0.8, 1.0)
    horizon: int = 30
    greedy_n: int = 100

    def weights(self) -> np.ndarray:
        """The table's weights ``w``."""
        return np.linspace(*self.w_grid)


#: The theory's specification.
SPEC = TheorySpec()


def compute(ctx: Context) -> pd.DataFrame:
    """The grid of ``R(w, k)``: columns ``w``, ``k`` and ``R``, one row per weight and ``k``."""
    ks, w = SPEC.ks, SPEC.weights()
    ctx.note(k_values=list(ks))
    return pd.DataFrame(
        {
            "w": np.repeat(w[None, :], len(ks), 0).ravel(),
            "k": np.repeat(ks, w.size),
            "R": np.concatenate([theory.limiting_ratio(w, k) for k in ks]),
        }
    )


def key_table(spec: TheorySpec = SPEC) -> pd.DataFrame:
    """Per ``k`` of ``spec``: ``w*``, the naive weight, ``R`` at each, and their ratio."""
    rows = []
    for k in spec.ks:
        w_star = float(theory.optimal_weight(k))
        naive = float(theory.naive_weight(k))
        rows.append(
            {
                "k": k,
                "w*": w_star,
                "naive k/(1+k)": naive,
                "R(w*, k)": float(theory.limiting_ratio(w_star, k)),
                "R(naive, k)": float(theory.limiting_ratio(naive, k)),
                "naive / optimal": float(theory.limiting_ratio(naive, k)) / w_star,
            }
        )
    return pd.DataFrame(rows)


def _plot_ratio(ax: Any, table: pd.DataFrame) -> None:
    """``R(w, k)`` per ``k`` of the table, with ``w*`` (o) and the naive weight (x) marked."""
    for k, part in table.groupby("k", sort=False):
        line = ax.plot(part.w.to_numpy(), part.R.to_numpy(), label=f"k = {k:g}")[0]
        w_star = float(theory.optimal_weight(k))
        ax.plot([w_star], [w_star], marker="o", color=line.get_color())
        naive = float(theory.naive_weight(k))
        ax.plot(
            [naive], [float(theory.limiting_ratio(naive, k))], marker="x", color=line.get_color()
        )
    ax.axvline(INV_PHI, color="grey", linewidth=0.8, linestyle=":")
    ax.set(
        xlabel="weight on real data w",
        ylabel="R(w, k) = limiting error / (C/n) (ratio)",
        ylim=(0, 3),
        title="Unified limiting error (o: w*, x: naive)",
    )


def _plot_weights(ax: Any, spec: TheorySpec) -> None:
    """``w*(k)`` against the naive weight, and ``R`` at the naive weight, over ``k``."""
    k_grid = np.geomspace(*spec.k_grid)
    ax.plot(k_grid, theory.optimal_weight(k_grid), label="optimal w*(k)")
    ax.plot(k_grid, theory.naive_weight(k_grid), label="naive k/(1+k)", linestyle="-.")
    ax.plot(
        k_grid,
        theory.limiting_ratio(theory.naive_weight(k_grid), k_grid),
        label="R at naive",
        linestyle=":",
    )
    ax.axhline(INV_PHI, color="grey", linewidth=0.8, linestyle=":")
    ax.set(
        xscale="log",
        xlabel="k = n_real / n_synth",
        ylabel="weight w, or R (dimensionless)",
        title="Optimal against naive weight (R at w* equals w*)",
    )


def _plot_trajectories(ax: Any, spec: TheorySpec) -> None:
    """``e_t / (C/n)`` over generations at ``k = 1`` per weight, and under the greedy weights."""
    t = np.arange(spec.horizon + 1)
    for wi in spec.trajectory_weights:
        ax.plot(t, theory.error_trajectory(wi, 1.0, spec.horizon), label=f"w = {wi:.3g}")
    n = spec.greedy_n
    _, v = theory.greedy_weights(n, [n] * spec.horizon, [n] * spec.horizon)
    ax.plot(t, v * n, label="greedy weights w_t", linestyle="--", color="black")
    ax.set(
        xlabel="generation t", ylabel="e_t / (C/n) (ratio)", title="Error over generations, k = 1"
    )


def plot(table: pd.DataFrame, spec: TheorySpec = SPEC) -> Any:
    """The figure: ``R(w, k)`` from the table, ``w*`` against naive, ``e_t`` (from ``spec``)."""
    fig, axes = new_figure(3)
    _plot_ratio(axes[0], table)
    _plot_weights(axes[1], spec)
    _plot_trajectories(axes[2], spec)
    for ax in axes:
        ax.legend(fontsize=7)
    return fig


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table and the figure."""
    table = compute(ctx)
    return Outcome(table, {"theory": plot(table)}, key_table())


# -- verdicts -----------------------------------------------------------------------------------

#: ``(sqrt 5 - 1)/2``, computed apart from :data:`INV_PHI`.
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
#: The values of ``k`` the claims about ``w*`` are checked at.
_K_CHECKED = np.geomspace(1e-3, 1e3, 25)


def _argmin_r(k: float) -> float:
    """The minimiser of ``theory.limiting_ratio(., k)`` found numerically (not from w*)."""
    res = minimize_scalar(
        lambda x: float(theory.limiting_ratio(x, k)),
        bounds=(1e-9, 1.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(res.x)


def _golden_verdict() -> Verdict:
    argmin_1 = _argmin_r(1.0)
    return Verdict(
        "At k = 1 the weight that minimises R(w, 1) is the inverse golden ratio (sqrt 5 - 1)/2.",
        abs(argmin_1 - _GOLDEN) < 1e-6,
        f"(numerical argmin of R(w, 1): {argmin_1:.9f}; (sqrt 5 - 1)/2 = {_GOLDEN:.9f})",
        kind="theory",
    )


def _optimal_verdict() -> Verdict:
    k_grid = _K_CHECKED
    w_star = np.asarray(theory.optimal_weight(k_grid), dtype=float)
    formula = (np.sqrt(k_grid**2 + 4 * k_grid) - k_grid) / 2
    argmins = np.array([_argmin_r(k) for k in k_grid])
    r_star = np.asarray(theory.limiting_ratio(w_star, k_grid), dtype=float)
    return Verdict(
        "w*(k) = (sqrt(k^2 + 4k) - k)/2 minimises R(w, k) for every k, and R(w*, k) = w*.",
        bool(
            np.allclose(argmins, w_star, rtol=1e-5, atol=0)
            and np.allclose(w_star, formula, rtol=1e-12)
            and np.allclose(r_star, w_star, rtol=1e-12)
        ),
        f"(25 values of k from 1e-3 to 1e3: numerical argmin against w*, largest relative "
        f"gap {np.max(np.abs(argmins / w_star - 1)):.1e}; |R(w*, k)/w* - 1| at most "
        f"{np.max(np.abs(r_star / w_star - 1)):.1e})",
        kind="theory",
    )


def _naive_verdict() -> Verdict:
    k_grid = _K_CHECKED
    w_star = np.asarray(theory.optimal_weight(k_grid), dtype=float)
    r_star = np.asarray(theory.limiting_ratio(w_star, k_grid), dtype=float)
    naive = np.asarray(theory.naive_weight(k_grid), dtype=float)
    r_naive = np.asarray(theory.limiting_ratio(naive, k_grid), dtype=float)
    ratio_1 = float(theory.limiting_ratio(0.5, 1.0)) / float(theory.limiting_ratio(_GOLDEN, 1.0))
    return Verdict(
        "Naive mixing k/(1+k) under-weights real data and is never better than w*, with "
        "R(naive, k) = (1 + k)/(2 + k); at k = 1 it is 7.9% worse.",
        bool(
            (naive < w_star).all()
            and (r_naive > r_star).all()
            and np.allclose(r_naive, (1 + k_grid) / (2 + k_grid), rtol=1e-12)
            and abs(ratio_1 - 1.079) < 5e-4
        ),
        f"(25 values of k from 1e-3 to 1e3; at k = 1, R(1/2, 1)/R(1/phi, 1) = {ratio_1:.5f})",
        kind="theory",
    )


def _small_k_verdict() -> Verdict:
    k_small = np.geomspace(1e-8, 1e-2, 7)
    naive_small = np.asarray(theory.limiting_ratio(theory.naive_weight(k_small), k_small))
    opt_small = np.asarray(theory.limiting_ratio(theory.optimal_weight(k_small), k_small))
    return Verdict(
        "As k -> 0 (abundant synthetic data) naive mixing stalls at C/(2n) while the "
        "optimal error goes to 0 like sqrt(k) C/n.",
        bool(
            np.all(np.abs(naive_small - 0.5) <= k_small)
            and np.all(np.abs(opt_small / np.sqrt(k_small) - 1) <= np.sqrt(k_small))
        ),
        f"(k = 1e-8: naive R = {naive_small[0]:.9f}, optimal R / sqrt(k) = "
        f"{opt_small[0] / 1e-4:.6f}; k = 1e-2: {naive_small[-1]:.4f}, "
        f"{opt_small[-1] / 0.1:.4f})",
        kind="theory",
    )


def _greedy_verdict() -> Verdict:
    greedy = []
    for k in (0.1, 0.5, 1.0, 2.0, 10.0):
        m = round(100 / k)
        _, v = theory.greedy_weights(100, [100] * 300, [m] * 300)
        greedy.append((k, float(v[-1] * 100), float(theory.optimal_weight(100 / m))))
    greedy_gap = max(abs(a - b) for _, a, b in greedy)
    return Verdict(
        "The greedy time-varying weight reaches the optimal stationary error w*(k) C/n.",
        greedy_gap < 1e-6,
        "(n = 100 and m = n/k after 300 generations: "
        + ", ".join(f"k = {k:g}: n v_T = {a:.6f} vs w* = {b:.6f}" for k, a, b in greedy)
        + ")",
        kind="theory",
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """Properties of the closed forms of R(w, k), w*(k), the naive weight and the greedy rule,
    each checked against an independent computation (a numerical minimiser, an algebraic
    identity, a limit); the table (the plotted grid of R) is not needed."""
    return [
        _golden_verdict(),
        _optimal_verdict(),
        _naive_verdict(),
        _small_k_verdict(),
        _greedy_verdict(),
    ]


#: The registered experiment.
EXPERIMENT = register(
    Experiment(
        "he2025-theory",
        "The unified limiting error R(w, k), the optimal weight "
        "w*(k) against naive mixing, and e_t over generations (no simulation)",
        PAPER,
        "Theorems (R, w*, e_t)",
        0,
        0,
        run,
        judge=judge,
    )
)
