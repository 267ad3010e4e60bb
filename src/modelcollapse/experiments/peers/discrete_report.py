"""The outputs of ``peers-discrete`` (:mod:`.discrete`) drawn from its results table alone: the
key table of simulation beside the exact laws, the summary's notes and the two figures."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ...plots import new_figure, plot_band, plot_theory

__all__ = ["key_table", "notes", "plot"]


def _censored(table: pd.DataFrame) -> tuple[list[float], list[float]]:
    """Per absorption size: the replications not absorbed by T, and the exact probability."""
    ab = table[table.panel == "absorption_time"]
    survival = table[table.panel == "survival"]
    r_abs = int(survival.replications.iloc[0])
    censored = [float(survival[survival.n == s].simulated.iloc[-1]) * r_abs for s in ab.n]
    p_censored = [float(survival[survival.n == s].exact.iloc[-1]) for s in ab.n]
    return censored, p_censored


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """Mean absorption times and the Zipf panel's last generation, simulated beside exact."""
    ab = table[table.panel == "absorption_time"]
    het = table[table.panel == "heterozygosity"]
    lost = table[table.panel == "cells_lost"]
    cells = table[table.panel == "cell_lost_at_T"]
    n, horizon = int(het.n.iloc[0]), int(het.t.max())
    censored, _ = _censored(table)
    return pd.DataFrame(
        {
            "quantity": ["E min(tau, T + 1) (K = 2, p = 1/2)"] * len(ab)
            + [f"heterozygosity at T (Zipf K = {len(cells)})", "E cells lost at T (Zipf)"],
            "n": [*ab.n.astype(int), n, n],
            "T": [*ab.t.astype(int), horizon, horizon],
            "simulated": [*ab.simulated, het.simulated.iloc[-1], lost.simulated.iloc[-1]],
            "SE": [*ab.se, het.se.iloc[-1], lost.se.iloc[-1]],
            "exact": [*ab.exact, het.exact.iloc[-1], lost.exact.iloc[-1]],
            "sim / exact": [
                *(ab.simulated / ab.exact),
                het.simulated.iloc[-1] / het.exact.iloc[-1],
                lost.simulated.iloc[-1] / lost.exact.iloc[-1],
            ],
            "diffusion 2 n ln 2": [*ab.diffusion, np.nan, np.nan],
            "exact E tau / diffusion": [*(ab.scale / ab.diffusion), np.nan, np.nan],
            "not absorbed by T": [*censored, np.nan, np.nan],
        }
    )


def notes(table: pd.DataFrame) -> list[str]:
    """The summary's notes: the Zipf case, the absorption runs and their censoring, and how far
    Kimura's diffusion runs long."""
    cells = table[table.panel == "cell_lost_at_T"].sort_values("cell")
    het = table[table.panel == "heterozygosity"]
    ab = table[table.panel == "absorption_time"]
    ab_rows: Iterable[Any] = ab.itertuples(False)
    p = cells.p.to_numpy()
    n, horizon = int(het.n.iloc[0]), int(het.t.max())
    r = int(het.replications.iloc[0])
    r_abs = int(ab.replications.iloc[0])
    censored, p_censored = _censored(table)
    per_n = int(ab.t.iloc[0]) // int(ab.n.iloc[0])  # generations run per unit of n
    return [
        f"Zipf case: p_i proportional to 1/i on K = {len(p)} cells (p_1 = {p[0]:.4f}, "
        f"p_K = {p[-1]:.4f}); generation 0 fits n0 = {n} real points, every later generation "
        f"p_t = Multinomial(n = {n}, p_(t-1)) / n, for {horizon} generations. A lost cell never "
        f"comes back. {r:,} replications.",
        "Absorption: the first generation t >= 0 with a lost cell, t = 0 included (a fit of "
        "n0 = n real points can already miss a cell), for n = "
        + ", ".join(str(int(s)) for s in ab.n)
        + f", with {r_abs:,} replications each. With two cells, exactly one is lost at "
        "absorption, so P(not absorbed by t) = 1 - E[cells_lost_t], exact from "
        f"expected_cells_lost. Runs last T = {per_n} n generations; a replication "
        "not absorbed by T counts as T + 1, and the simulated mean is compared with the exact "
        "E min(tau, T + 1) = sum_{t <= T} P(tau > t). The exact P(not absorbed by T) is at most "
        f"{max(p_censored):.2g} ({sum(censored):.0f} censored replications seen), so "
        "E min(tau, T + 1) and E tau differ by at most "
        f"{float((ab.scale - ab.exact).abs().max()):.2g} generations.",
        "Kimura's diffusion 2 n ln 2 runs a little long: the exact time is shorter by "
        + ", ".join(
            f"{d:.3g} at n = {int(a.n)}"
            for a, d in zip(ab_rows, ab.diffusion - ab.scale, strict=True)
        )
        + ". One generation of that is the generation-0 fit: its n0 = n real points have the "
        "law of a first synthetic generation, so with p_0 = p the exact time is exactly one "
        "generation longer (absorption_time(n) = absorption_time(n, n0=n) + 1).",
    ]


def _plot_zipf(table: pd.DataFrame) -> Any:
    """The Zipf figure: heterozygosity, lost cells, and each cell's loss probability at T."""
    het = table[table.panel == "heterozygosity"]
    lost = table[table.panel == "cells_lost"]
    cells = table[table.panel == "cell_lost_at_T"]
    n, horizon, k = int(het.n.iloc[0]), int(het.t.max()), len(cells)
    fig, axes = new_figure(3, width=4.4)
    ax = axes[0]
    plot_band(ax, het.t, het.simulated, het.se, "simulated", marker="")
    plot_theory(ax, het.t, het.exact, "(1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t")
    ax.set(
        xlabel="generation t",
        ylabel="E[1 - sum_i p_t,i^2] (probability)",
        yscale="log",
        title=f"Heterozygosity, Zipf K = {k}, n0 = n = {n}",
    )
    ax.legend(fontsize=7)
    ax = axes[1]
    plot_band(ax, lost.t, lost.simulated, lost.se, "simulated", marker="")
    plot_theory(ax, lost.t, lost.exact, "exact (Wright-Fisher)")
    ax.axhline(k - 1, color="grey", linestyle=":", linewidth=1.0, label="K - 1")
    ax.set(xlabel="generation t", ylabel="E[cells lost] (cells)", title="Lost cells")
    ax.legend(fontsize=7)
    ax = axes[2]
    plot_band(ax, cells.cell, cells.simulated, cells.se, "simulated")
    plot_theory(ax, cells.cell, cells.exact, "exact")
    ax.set(
        xlabel="cell i (p_i proportional to 1/i)",
        ylabel=f"P(cell i lost by t = {horizon}) (probability)",
        title="Rare cells are lost first",
    )
    ax.legend(fontsize=7)
    return fig


def _plot_absorption(table: pd.DataFrame) -> Any:
    """The absorption figure: mean times against n, and the survival curves against t / n."""
    ab = table[table.panel == "absorption_time"]
    survival = table[table.panel == "survival"]
    r_abs = int(survival.replications.iloc[0])
    fig, axes = new_figure(2, width=4.6)
    ax = axes[0]
    plot_band(ax, ab.n, ab.simulated, ab.se, "simulated")
    plot_theory(ax, ab.n, ab.exact, "exact (binomial chain)")
    ax.plot(ab.n, ab.diffusion, linestyle=":", label="diffusion 2 n ln 2")
    ax.set(
        xlabel="synthetic size n (points)",
        ylabel="E[generation of first lost cell] (generations)",
        xlim=(0, None),
        ylim=(0, None),
        title="Absorption time, K = 2, p = 1/2, n0 = n",
    )
    ax.legend(fontsize=7)
    ax = axes[1]
    visible = survival[survival.exact >= 0.3 / r_abs]
    for size in ab.n:
        part = survival[survival.n == size]
        x = part.t / size
        label = f"n = {int(size)}"
        line = plot_band(ax, x, part.simulated, part.se, f"{label}, simulated", marker="")
        plot_theory(ax, x, part.exact, f"{label}, exact", color=line.get_color())
    ax.set(
        xlabel="t / n",
        ylabel="P(no cell lost by generation t) (probability)",
        yscale="log",
        xlim=(0.0, float((visible.t / visible.n).max())),
        ylim=(0.3 / r_abs, 1.5),
        title="Distribution of the absorption time",
    )
    ax.legend(fontsize=6, ncol=2)
    return fig


def plot(table: pd.DataFrame) -> dict[str, Any]:
    """The two figures, by name: ``peers-discrete-zipf`` and ``peers-discrete-absorption``."""
    return {
        "peers-discrete-zipf": _plot_zipf(table),
        "peers-discrete-absorption": _plot_absorption(table),
    }
