"""Reproduction of categorical collapse as the neutral Wright-Fisher model (``peers-discrete``).

The categorical family refitted by frequencies on ``n`` synthetic points per generation is the
Wright-Fisher model of population genetics with ``n`` haploid genes and ``K`` alleles, the
discrete collapse of Shumailov et al. (2024): rare cells are lost first and, one by one, every
cell but one. The run puts the engine's exact (multinomial) simulation beside the closed forms of
:mod:`modelcollapse.theory.discrete`:

- a Zipf-like law on ``K = 20`` cells: the heterozygosity ``E[1 - sum p_t^2] = (1 - sum p^2)
  (1 - 1/n0) (1 - 1/n)^t``, the exact mean number of lost cells and each cell's exact loss
  probability at the last generation;
- two cells at ``p = 1/2``: the mean generation at which a cell is first lost (absorption), exact
  by the binomial chain's fundamental matrix, against Kimura's diffusion ``2 n ln 2``, and its
  whole distribution (``P(not absorbed by t) = 1 - E[cells_lost_t]`` when ``K = 2``).

Replications run in batches of :data:`_BATCH` (seeds spawned per batch, so memory stays at
``_BATCH x (T + 1) x K`` floats and ``ctx.map`` can spread them over workers); only sums leave a
batch.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate
from ..families import Categorical
from ..plots import new_figure, plot_band, plot_theory
from .registry import Context, Experiment, Outcome, Verdict, register
from .xu2025 import _binomial_se, _count, _threshold, _within

#: Replications per simulate call.
_BATCH = 1_000

#: The Zipf-like case: p_i proportional to 1/i on K cells, n0 = n real and synthetic points.
_ZIPF_K, _ZIPF_N = 20, 100

#: Synthetic sizes of the absorption panel (quick: the first three).
_SIZES = (10, 20, 50, 100, 200)

#: Generations run per unit of n in the absorption panel: P(not absorbed by 16 n) < 2e-7.
_HORIZON = 16

#: Family-wise level of the DKW check on the distribution of the absorption time.
_DKW_LEVEL = 1e-4


def _batches(ctx: Context, key: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(replications, seed)`` per batch of sub-run ``key``; seeds spawned from its stream."""
    sizes = [_BATCH] * (ctx.replications // _BATCH)
    if ctx.replications % _BATCH:
        sizes.append(ctx.replications % _BATCH)
    return list(zip(sizes, ctx.child_seed(key).spawn(len(sizes)), strict=True))


def _zipf_batch(
    p: np.ndarray, n: int, generations: int, reps: int, seed: np.random.SeedSequence
) -> tuple[np.ndarray, ...]:
    """Sums over one batch: heterozygosity and lost cells (and squares), per-cell loss at T."""
    res = simulate(
        Categorical(p),
        n0=n,
        schedule=n,
        generations=generations,
        replications=reps,
        seed=seed,
        record="all",
        metrics=["cells_lost"],
    )
    probs = np.asarray(res.params.p)
    het = 1.0 - np.einsum("rtk,rtk->rt", probs, probs)
    lost = res.values("cells_lost")
    gone = (probs[:, -1, :] <= 0.0).sum(axis=0)
    return het.sum(axis=0), (het**2).sum(axis=0), lost.sum(axis=0), (lost**2).sum(axis=0), gone


def _absorption_batch(
    n: int, generations: int, reps: int, seed: np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """One batch of K = 2 at p = 1/2: absorption times (``T + 1`` if censored), survivors per t."""
    res = simulate(
        Categorical([0.5, 0.5]),
        n0=n,
        schedule=n,
        generations=generations,
        replications=reps,
        seed=seed,
        record="all",
        metrics=["cells_lost"],
    )
    absorbed = res.values("cells_lost") > 0  # a lost cell stays lost
    tau = np.where(absorbed[:, -1], np.argmax(absorbed, axis=1), generations + 1)
    return tau, (~absorbed).sum(axis=0)


def _mean_se(total: np.ndarray, squares: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    mean = total / r
    var = np.clip(squares / r - mean**2, 0.0, None) * r / (r - 1)
    return mean, np.sqrt(var / r)


def _slope(n: np.ndarray, y: np.ndarray, se: np.ndarray | None = None) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``n`` and its standard error from independent ``se``."""
    dev = n - n.mean()
    weights = dev / float(dev @ dev)
    slope = float(weights @ y)
    return slope, (0.0 if se is None else float(np.sqrt(weights**2 @ se**2)))


def _discrete(ctx: Context) -> Outcome:
    r = ctx.replications
    p = 1.0 / np.arange(1, _ZIPF_K + 1)
    p /= p.sum()
    n = _ZIPF_N
    horizon = 100 if ctx.quick else 300
    sizes = np.array(_SIZES[:3] if ctx.quick else _SIZES)
    ctx.note(
        zipf={"K": _ZIPF_K, "p": "proportional to 1/i", "n0": n, "n": n, "generations": horizon},
        absorption={"p": 0.5, "n0": "n", "n": sizes.tolist(), "generations": f"{_HORIZON} n"},
        engine="exact",
        batch=_BATCH,
    )

    # -- Zipf: heterozygosity, lost cells -------------------------------------------------------
    ctx.progress(f"Zipf K = {_ZIPF_K}, n = {n}: {r:,} replications x {horizon} generations")
    parts = ctx.map(_zipf_batch, [(p, n, horizon, b, s) for b, s in _batches(ctx, 0)])
    het_sum, het_sq, lost_sum, lost_sq, gone = (sum(part[i] for part in parts) for i in range(5))
    het, het_se = _mean_se(het_sum, het_sq, r)
    lost, lost_se = _mean_se(lost_sum, lost_sq, r)
    t = np.arange(horizon + 1)
    het_exact = theory.heterozygosity(p, n, horizon, n0=n)
    cell_exact = theory.cell_loss_probability(p, n, horizon, n0=n)
    lost_exact = cell_exact.sum(axis=1)
    cell_sim = gone / r
    cell_se = _binomial_se(cell_exact[-1], r)
    het_ok = _within(het, het_exact, het_se)
    lost_ok = _within(lost, lost_exact, lost_se)
    cell_ok = _within(cell_sim, cell_exact[-1], cell_se)

    # -- K = 2 at p = 1/2: absorption times -----------------------------------------------------
    rows = []
    absorption = []
    for j, size in enumerate(sizes, start=1):
        size = int(size)
        generations = _HORIZON * size
        ctx.progress(f"absorption, n = {size}: {r:,} replications x {generations} generations")
        parts = ctx.map(_absorption_batch, [(size, generations, b, s) for b, s in _batches(ctx, j)])
        tau = np.concatenate([part[0] for part in parts])
        alive = sum(part[1] for part in parts) / r
        alive_exact = 1.0 - theory.expected_cells_lost([0.5, 0.5], size, generations, n0=size)
        exact = theory.absorption_time(size, 0.5, n0=size)
        absorption.append(
            {
                "n": size,
                "T": generations,
                "mean": float(tau.mean()),
                "se": float(tau.std(ddof=1) / math.sqrt(r)),
                "exact": exact,
                "diffusion": float(theory.absorption_time_diffusion(size, 0.5)),
                "censored": int(np.sum(tau > generations)),
                "p_censored": float(alive_exact[-1]),
                "tail": exact - float(alive_exact.sum()),
                "dkw": float(np.max(np.abs(alive - alive_exact))),
            }
        )
        rows.append(
            pd.DataFrame(
                {
                    "panel": "survival",
                    "n": size,
                    "t": np.arange(generations + 1),
                    "cell": np.nan,
                    "simulated": alive,
                    "se": _binomial_se(alive_exact, r),
                    "exact": alive_exact,
                    "diffusion": np.nan,
                }
            )
        )
    ab = pd.DataFrame(absorption)
    ab_ok = _within(ab["mean"], ab["exact"], ab["se"])
    dkw_eps = math.sqrt(math.log(2.0 * len(ab) / _DKW_LEVEL) / (2.0 * r))
    ratio = (ab["exact"] / ab["diffusion"]).to_numpy()
    slope, slope_se = _slope(ab["n"].to_numpy(float), ab["mean"].to_numpy(), ab["se"].to_numpy())
    slope_exact, _ = _slope(ab["n"].to_numpy(float), ab["exact"].to_numpy())
    slope_ok = _within(slope, slope_exact, slope_se)
    two_ln2 = 2.0 * math.log(2.0)

    # -- tables ---------------------------------------------------------------------------------
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "panel": "heterozygosity",
                    "n": n,
                    "t": t,
                    "cell": np.nan,
                    "simulated": het,
                    "se": het_se,
                    "exact": het_exact,
                    "diffusion": np.nan,
                }
            ),
            pd.DataFrame(
                {
                    "panel": "cells_lost",
                    "n": n,
                    "t": t,
                    "cell": np.nan,
                    "simulated": lost,
                    "se": lost_se,
                    "exact": lost_exact,
                    "diffusion": np.nan,
                }
            ),
            pd.DataFrame(
                {
                    "panel": "cell_lost_at_T",
                    "n": n,
                    "t": horizon,
                    "cell": np.arange(1, _ZIPF_K + 1),
                    "simulated": cell_sim,
                    "se": cell_se,
                    "exact": cell_exact[-1],
                    "diffusion": np.nan,
                }
            ),
            pd.DataFrame(
                {
                    "panel": "absorption_time",
                    "n": ab["n"],
                    "t": np.nan,
                    "cell": np.nan,
                    "simulated": ab["mean"],
                    "se": ab["se"],
                    "exact": ab["exact"],
                    "diffusion": ab["diffusion"],
                }
            ),
            *rows,
        ],
        ignore_index=True,
    )
    key = pd.DataFrame(
        {
            "quantity": ["absorption time (K = 2, p = 1/2)"] * len(ab)
            + [f"heterozygosity at T (Zipf K = {_ZIPF_K})", "E cells lost at T (Zipf)"],
            "n": [*ab["n"], n, n],
            "T": [*ab["T"], horizon, horizon],
            "simulated": [*ab["mean"], het[-1], lost[-1]],
            "SE": [*ab["se"], het_se[-1], lost_se[-1]],
            "exact": [*ab["exact"], het_exact[-1], lost_exact[-1]],
            "sim / exact": [
                *(ab["mean"] / ab["exact"]),
                het[-1] / het_exact[-1],
                lost[-1] / lost_exact[-1],
            ],
            "diffusion 2 n ln 2": [*ab["diffusion"], np.nan, np.nan],
            "exact / diffusion": [*ratio, np.nan, np.nan],
            "not absorbed by T": [*ab["censored"].astype(float), np.nan, np.nan],
        }
    )

    # -- verdicts -------------------------------------------------------------------------------
    order = np.argsort(p)[::-1]  # head to tail
    tail_first = bool(np.all(np.diff(cell_exact[-1][order]) >= 0.0))
    head, tail = cell_sim[0], cell_sim[-1]
    apart = tail - head > _threshold(1) * float(np.hypot(cell_se[0], cell_se[-1]))
    expected_censored = r * float(ab["p_censored"].sum())
    verdicts = [
        Verdict(
            "The heterozygosity E[1 - sum p_t^2] follows (1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t "
            "exactly.",
            bool(het_ok.all()),
            f"({_count(het_ok)}; at T = {horizon}: {het[-1]:.5g} +- {het_se[-1]:.2g} against "
            f"{het_exact[-1]:.5g})",
        ),
        Verdict(
            "The mean number of lost cells follows the exact Wright-Fisher law, and rare cells are "
            "lost first: each cell's loss probability at T agrees with the exact one, which grows "
            "from the head of the law to its tail.",
            bool(lost_ok.all() and cell_ok.all() and tail_first and apart),
            f"(mean lost cells {_count(lost_ok)}; per cell at T = {horizon} {_count(cell_ok)}; "
            f"P(lost) {head:.3g} for the largest cell (p = {p[0]:.3g}) against {tail:.3g} for "
            f"the smallest (p = {p[-1]:.3g}); E cells lost at T {lost[-1]:.4g} against "
            f"{lost_exact[-1]:.4g} of K - 1 = {_ZIPF_K - 1})",
        ),
        Verdict(
            "The mean absorption time (first generation with a lost cell, K = 2, p = 1/2) agrees "
            "with the exact value of the binomial chain at every n, and its whole distribution "
            "with the exact P(not absorbed by t).",
            bool(ab_ok.all() and (ab["dkw"] <= dkw_eps).all()),
            f"({_count(ab_ok)}; "
            + ", ".join(
                f"n={a.n}: {a.mean:.4g} +- {a.se:.2g} vs {a.exact:.4g}"
                for a in ab.itertuples(False)
            )
            + f"; sup_t |simulated - exact| survival {ab['dkw'].max():.3g} <= DKW bound "
            f"{dkw_eps:.3g} at family level {_DKW_LEVEL:g}; {int(ab['censored'].sum())} "
            f"replications not absorbed by T = {_HORIZON} n, expected {expected_censored:.2g})",
        ),
        Verdict(
            "The absorption time grows linearly in n, close to Kimura's 2 n ln 2: the fitted "
            "slope agrees with the exact one, and exact / diffusion rises towards 1.",
            bool(
                slope_ok
                and abs(slope_exact / two_ln2 - 1.0) < 0.02
                and np.all(np.diff(ratio) > 0.0)
                and ratio[-1] > 0.95
            ),
            f"(slope {slope:.4g} +- {slope_se:.2g} against exact {slope_exact:.4g} and "
            f"2 ln 2 = {two_ln2:.4g}; exact / diffusion "
            + ", ".join(f"{rt:.4f}" for rt in ratio)
            + f" at n = {', '.join(str(s) for s in ab['n'])})",
        ),
    ]

    # -- figures --------------------------------------------------------------------------------
    fig, axes = new_figure(3, width=4.4)
    ax = axes[0]
    plot_band(ax, t, het, het_se, "simulated", marker="")
    plot_theory(ax, t, het_exact, "(1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t")
    ax.set(
        xlabel="generation t",
        ylabel="E[1 - sum_i p_t,i^2] (probability)",
        yscale="log",
        title=f"Heterozygosity, Zipf K = {_ZIPF_K}, n0 = n = {n}",
    )
    ax.legend(fontsize=7)
    ax = axes[1]
    plot_band(ax, t, lost, lost_se, "simulated", marker="")
    plot_theory(ax, t, lost_exact, "exact (Wright-Fisher)")
    ax.axhline(_ZIPF_K - 1, color="grey", linestyle=":", linewidth=1.0, label="K - 1")
    ax.set(xlabel="generation t", ylabel="E[cells lost] (cells)", title="Lost cells")
    ax.legend(fontsize=7)
    ax = axes[2]
    cells = np.arange(1, _ZIPF_K + 1)
    plot_band(ax, cells, cell_sim, cell_se, "simulated")
    plot_theory(ax, cells, cell_exact[-1], "exact")
    ax.set(
        xlabel="cell i (p_i proportional to 1/i)",
        ylabel=f"P(cell i lost by t = {horizon}) (probability)",
        title="Rare cells are lost first",
    )
    ax.legend(fontsize=7)

    fig2, axes2 = new_figure(2, width=4.6)
    ax = axes2[0]
    plot_band(ax, ab["n"], ab["mean"], ab["se"], "simulated")
    plot_theory(ax, ab["n"], ab["exact"], "exact (binomial chain)")
    ax.plot(ab["n"], ab["diffusion"], linestyle=":", label="diffusion 2 n ln 2")
    ax.set(
        xlabel="synthetic size n (points)",
        ylabel="E[generation of first lost cell] (generations)",
        xlim=(0, None),
        ylim=(0, None),
        title="Absorption time, K = 2, p = 1/2, n0 = n",
    )
    ax.legend(fontsize=7)
    ax = axes2[1]
    survival = table[table.panel == "survival"]
    visible = survival[survival.exact >= 0.3 / r]
    for size in ab["n"]:
        part = survival[survival.n == size]
        x = part.t / size
        line = plot_band(ax, x, part.simulated, part.se, f"n = {size}, simulated", marker="")
        plot_theory(ax, x, part.exact, f"n = {size}, exact", color=line.get_color())
    ax.set(
        xlabel="t / n",
        ylabel="P(no cell lost by generation t) (probability)",
        yscale="log",
        xlim=(0.0, float((visible.t / visible.n).max())),
        ylim=(0.3 / r, 1.5),
        title="Distribution of the absorption time",
    )
    ax.legend(fontsize=6, ncol=2)

    notes = [
        f"Zipf case: p_i proportional to 1/i on K = {_ZIPF_K} cells (p_1 = {p[0]:.4f}, "
        f"p_K = {p[-1]:.4f}); generation 0 fits n0 = {n} real points, every later generation "
        f"p_t = Multinomial(n = {n}, p_(t-1)) / n. A lost cell never comes back.",
        "Absorption: the first generation t >= 0 with a lost cell, t = 0 included (a fit of "
        "n0 = n real points can already miss a cell). With two cells, exactly one is lost at "
        "absorption, so P(not absorbed by t) = 1 - E[cells_lost_t], exact from "
        "expected_cells_lost. Runs last T = "
        f"{_HORIZON} n generations; the exact P(not absorbed by T) is at most "
        f"{ab['p_censored'].max():.2g}, so {expected_censored:.2g} censored replications are "
        f"expected in all ({int(ab['censored'].sum())} seen; a censored one counts as T + 1), "
        f"and the mean lost beyond T is at most {ab['tail'].abs().max():.2g} generations.",
        "Kimura's diffusion 2 n ln 2 runs a little long: the exact time is shorter by "
        + ", ".join(
            f"{d:.3g} at n = {a.n}"
            for a, d in zip(ab.itertuples(False), ab.diffusion - ab.exact, strict=True)
        )
        + ". One generation of that is the generation-0 fit: its n0 = n real points have the "
        "law of a first synthetic generation, so with p_0 = p the exact time is exactly one "
        "generation longer (absorption_time(n) = absorption_time(n, n0=n) + 1).",
    ]
    figures = {"peers-discrete-zipf": fig, "peers-discrete-absorption": fig2}
    return Outcome(table, figures, key, verdicts, notes)


register(
    Experiment(
        "peers-discrete",
        "Categorical collapse as Wright-Fisher drift: heterozygosity, lost cells and "
        "absorption times against the exact laws",
        "Wright-Fisher (population genetics); Shumailov et al. (2024)",
        "Heterozygosity, lost cells and absorption time",
        20_000,
        2_000,
        _discrete,
    )
)
