"""Reproductions of the related regimes (spec ``peers.md``).

``peers-regression``: fixed-design linear regression refitted on its own predictions, replacing
the data each generation against accumulating it (Gerstgrasser et al. 2024; Dohmatob et al.):
the error grows linearly under replace, ``c (t + 1)``, and stays below ``(pi^2/6) c`` under
accumulate, ``c sum_{i<=t+1} 1/i^2``, with ``c = sigma2 tr((X'X)^-1)`` (both exact).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate
from ..families import LinearRegressionFixed
from ..plots import new_figure, plot_band, plot_theory
from .registry import Context, Experiment, Outcome, Verdict, register
from .xu2025 import _count, _within

PEERS = "Gerstgrasser et al. (2024), Is Model Collapse Inevitable?; Dohmatob et al. (2024)"


def _regression(ctx: Context) -> Outcome:
    d, n, sigma2 = 10, 100, 1.0
    generations = 20 if ctx.quick else 100
    family = LinearRegressionFixed(beta=np.ones(d), n=n, sigma2=sigma2, seed=0)
    c = sigma2 * float(np.trace(family.gram_inverse))
    ctx.note(d=d, n=n, sigma2=sigma2, generations=generations, design="N(0, I) rows, seed 0")
    laws = {"replace": theory.replace_error, "accumulate": theory.accumulate_error}
    rows = []
    for j, (regime, law) in enumerate(laws.items()):
        ctx.progress(f"{regime}: {ctx.replications:,} replications x {generations} generations")
        res = simulate(
            family,
            n0=n,
            schedule=n,
            generations=generations,
            replications=ctx.replications,
            seed=ctx.child_seed(j),
            regime=regime,
            record="all",
            metrics=["param_error"],
        )
        err = res.values("param_error")
        rows.append(
            pd.DataFrame(
                {
                    "regime": regime,
                    "t": np.arange(generations + 1),
                    "error": err.mean(axis=0),
                    "se": err.std(axis=0, ddof=1) / math.sqrt(err.shape[0]),
                    "theory": law(c, generations),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    ok = _within(table.error, table.theory, table.se)
    final = table[table.t == generations].set_index("regime")
    bound = math.pi**2 / 6 * c
    acc = table[table.regime == "accumulate"]
    key = pd.DataFrame(
        {
            "regime": list(laws),
            "error at T (sim)": [final.loc[r, "error"] for r in laws],
            "SE": [final.loc[r, "se"] for r in laws],
            "theory at T": [final.loc[r, "theory"] for r in laws],
            "c = sigma2 tr((X'X)^-1)": c,
            "(pi^2/6) c": bound,
        }
    )
    verdicts = [
        Verdict(
            "Both regimes follow their exact laws: c (t + 1) under replace, c sum 1/i^2 under "
            "accumulate.",
            bool(ok.all()),
            f"({_count(ok)})",
        ),
        Verdict(
            "Accumulating the data bounds the error by (pi^2/6) c, while replacing it grows "
            "without bound.",
            bool(
                (acc.error <= bound + 4 * acc.se).all()
                and final.loc["replace", "error"] > 5 * final.loc["accumulate", "error"]
            ),
            f"(at T = {generations}: replace {final.loc['replace', 'error']:.4g}, accumulate "
            f"{final.loc['accumulate', 'error']:.4g}, (pi^2/6) c = {bound:.4g})",
        ),
    ]
    fig, axes = new_figure(1)
    ax = axes[0]
    for regime in laws:
        part = table[table.regime == regime]
        line = plot_band(ax, part.t, part.error, part.se, f"{regime}, simulated", marker="")
        plot_theory(ax, part.t, part.theory, f"{regime}, exact", color=line.get_color())
    ax.axhline(bound, color="grey", linestyle=":", linewidth=1.0, label="(pi^2/6) c")
    ax.set(
        xlabel="generation t",
        ylabel="E|beta_t - beta|^2",
        yscale="log",
        title=f"Fixed-design regression, d = {d}, n = {n}",
    )
    ax.legend(fontsize=7)
    notes = [
        f"Design: n = {n} rows of N(0, I_{d}) drawn once (seed 0), noise sigma2 = {sigma2}; "
        "each generation refits OLS to labels drawn from the previous fit at the same design. "
        "Accumulate pools every generation's labels (unweighted); replace uses only the last.",
    ]
    return Outcome(table, {"peers-regression": fig}, key, verdicts, notes)


register(
    Experiment(
        "peers-regression",
        "Fixed-design regression: replacing the data (error grows linearly) against "
        "accumulating it (bounded by pi^2/6)",
        PEERS,
        "Replace against accumulate",
        10_000,
        1_000,
        _regression,
    )
)
