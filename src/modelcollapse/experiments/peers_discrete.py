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
  by the binomial chain's fundamental matrix, against Kimura's diffusion ``2 n ln 2`` (an
  approximation), and its whole distribution (``P(not absorbed by t) = 1 - E[cells_lost_t]``
  when ``K = 2``).

Replications run in batches of :data:`_BATCH` (seeds spawned per batch, so memory stays at
``_BATCH x (T + 1) x K`` floats and ``ctx.map`` can spread them over workers); only sums leave a
batch. The verdicts are a function of the results table alone (:func:`_judge_discrete`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate
from ..families import Categorical
from ..plots import new_figure, plot_band, plot_theory
from .registry import Context, Experiment, Outcome, register
from .verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, binomial_se, compare, ordering

#: Replications per simulate call.
_BATCH = 1_000

#: The Zipf-like case: p_i proportional to 1/i on K cells, n0 = n real and synthetic points.
_ZIPF_K, _ZIPF_N = 20, 100

#: Synthetic sizes of the absorption panel (quick: the first three).
_SIZES = (10, 20, 50, 100, 200)

#: Generations run per unit of n in the absorption panel: P(not absorbed by 16 n) < 2e-7.
_HORIZON = 16

#: Replications of the absorption panel, at least (the quick scale's 2,000 cannot resolve how
#: fast the mean approaches the diffusion; the panel is cheap).
_MIN_ABSORPTION_REPS = 4_000

#: Family-wise level of the DKW check on the distribution of the absorption time.
_DKW_LEVEL = 1e-4

_COLUMNS = ("panel", "n", "t", "cell", "p", "simulated", "se", "exact", "diffusion", "scale")


def _batches(ctx: Context, key: int, reps: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(replications, seed)`` per batch of sub-run ``key``; seeds spawned from its stream."""
    sizes = [_BATCH] * (reps // _BATCH)
    if reps % _BATCH:
        sizes.append(reps % _BATCH)
    return list(zip(sizes, ctx.child_seed(key).spawn(len(sizes)), strict=True))


def _zipf_batch(
    p: np.ndarray, n: int, generations: int, reps: int, seed: np.random.SeedSequence
) -> tuple[np.ndarray, ...]:
    """Sums over one batch: heterozygosity and lost cells (and squares), per-cell loss at T, and
    the paired difference "rarest cell lost" - "most common cell lost" at T (and its square)."""
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
    gone_each = probs[:, -1, :] <= 0.0
    gap = gone_each[:, np.argmin(p)].astype(float) - gone_each[:, np.argmax(p)]
    return (
        het.sum(axis=0),
        (het**2).sum(axis=0),
        lost.sum(axis=0),
        (lost**2).sum(axis=0),
        gone_each.sum(axis=0),
        np.array([gap.sum()]),
        np.array([(gap**2).sum()]),
    )


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


def _part(panel: str, **columns: object) -> pd.DataFrame:
    """Rows of one panel with every column of the table (NaN where it does not apply)."""
    frame = pd.DataFrame({"panel": panel, **columns})
    for column in _COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[list(_COLUMNS)]


def _zipf(ctx: Context, p: np.ndarray, horizon: int) -> list[pd.DataFrame]:
    """The Zipf panel's rows: heterozygosity, lost cells, per-cell loss at T, the rare gap."""
    r, n = ctx.replications, _ZIPF_N
    ctx.progress(f"Zipf K = {_ZIPF_K}, n = {n}: {r:,} replications x {horizon} generations")
    parts = ctx.map(_zipf_batch, [(p, n, horizon, b, s) for b, s in _batches(ctx, 0, r)])
    het_sum, het_sq, lost_sum, lost_sq, gone, gap_sum, gap_sq = (
        sum(part[i] for part in parts) for i in range(7)
    )
    het, het_se = _mean_se(het_sum, het_sq, r)
    lost, lost_se = _mean_se(lost_sum, lost_sq, r)
    gap, gap_se = _mean_se(gap_sum, gap_sq, r)
    t = np.arange(horizon + 1)
    cell_exact = theory.cell_loss_probability(p, n, horizon, n0=n)[-1]
    rare, common = int(np.argmin(p)), int(np.argmax(p))
    return [
        _part(
            "heterozygosity",
            n=n,
            t=t,
            simulated=het,
            se=het_se,
            exact=theory.heterozygosity(p, n, horizon, n0=n),
        ),
        _part(
            "cells_lost",
            n=n,
            t=t,
            simulated=lost,
            se=lost_se,
            exact=theory.cell_loss_probability(p, n, horizon, n0=n).sum(axis=1),
        ),
        _part(
            "cell_lost_at_T",
            n=n,
            t=horizon,
            cell=np.arange(1, _ZIPF_K + 1),
            p=p,
            simulated=gone / r,
            se=binomial_se(cell_exact, r),
            exact=cell_exact,
        ),
        _part(
            "rare_gap",
            n=n,
            t=[horizon],
            simulated=gap,
            se=gap_se,
            exact=[cell_exact[rare] - cell_exact[common]],
            scale=[cell_exact[rare]],
        ),
    ]


def _absorption(ctx: Context, sizes: np.ndarray, reps: int) -> list[pd.DataFrame]:
    """The absorption panel's rows: mean times and survival curves, per n."""
    means, curves = [], []
    for j, size in enumerate(ctx.track(sizes), start=1):
        size = int(size)
        generations = _HORIZON * size
        ctx.progress(f"absorption, n = {size}: {reps:,} replications x {generations} generations")
        calls = [(size, generations, b, s) for b, s in _batches(ctx, j, reps)]
        parts = ctx.map(_absorption_batch, calls)
        tau = np.concatenate([part[0] for part in parts])
        alive = sum(part[1] for part in parts) / reps
        alive_exact = 1.0 - theory.expected_cells_lost([0.5, 0.5], size, generations, n0=size)
        means.append(
            _part(
                "absorption_time",
                n=[size],
                t=[generations],
                simulated=[float(tau.mean())],
                se=[float(tau.std(ddof=1) / math.sqrt(reps))],
                # E min(tau, T + 1) = sum_{t <= T} P(tau > t): exact whatever the censoring.
                exact=[float(alive_exact.sum())],
                diffusion=[float(theory.absorption_time_diffusion(size, 0.5))],
                scale=[theory.absorption_time(size, 0.5, n0=size)],
            )
        )
        curves.append(
            _part(
                "survival",
                n=size,
                t=np.arange(generations + 1),
                simulated=alive,
                se=binomial_se(alive_exact, reps),
                exact=alive_exact,
            )
        )
    return means + curves


def _discrete(ctx: Context) -> Outcome:
    r = ctx.replications
    r_abs = max(r, _MIN_ABSORPTION_REPS)
    p = 1.0 / np.arange(1, _ZIPF_K + 1)
    p /= p.sum()
    n = _ZIPF_N
    horizon = 100 if ctx.quick else 300
    sizes = np.array(_SIZES[:3] if ctx.quick else _SIZES)
    ctx.note(
        zipf={"K": _ZIPF_K, "p": "proportional to 1/i", "n0": n, "n": n, "generations": horizon},
        absorption={
            "p": 0.5,
            "n0": "n",
            "n": sizes.tolist(),
            "generations": f"{_HORIZON} n",
            "replications": r_abs,
        },
        engine="exact",
        batch=_BATCH,
    )
    ctx.steps(2)  # progress: the Zipf runs, then the absorption runs
    table = pd.concat(_zipf(ctx, p, horizon) + _absorption(ctx, sizes, r_abs), ignore_index=True)
    table["replications"] = np.where(
        table.panel.isin(["absorption_time", "survival"]), r_abs, r
    ).astype(int)
    table["dkw_level"] = _DKW_LEVEL
    figures = _figures(table, p)

    ab = table[table.panel == "absorption_time"]
    het = table[table.panel == "heterozygosity"]
    lost = table[table.panel == "cells_lost"]
    survival = table[table.panel == "survival"]
    censored = [float(survival[survival.n == s].simulated.iloc[-1]) * r_abs for s in ab.n]
    p_censored = [float(survival[survival.n == s].exact.iloc[-1]) for s in ab.n]
    key = pd.DataFrame(
        {
            "quantity": ["E min(tau, T + 1) (K = 2, p = 1/2)"] * len(ab)
            + [f"heterozygosity at T (Zipf K = {_ZIPF_K})", "E cells lost at T (Zipf)"],
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
    notes = [
        f"Zipf case: p_i proportional to 1/i on K = {_ZIPF_K} cells (p_1 = {p[0]:.4f}, "
        f"p_K = {p[-1]:.4f}); generation 0 fits n0 = {n} real points, every later generation "
        f"p_t = Multinomial(n = {n}, p_(t-1)) / n, for {horizon} generations. A lost cell never "
        f"comes back. {r:,} replications.",
        "Absorption: the first generation t >= 0 with a lost cell, t = 0 included (a fit of "
        "n0 = n real points can already miss a cell), for n = "
        + ", ".join(str(int(s)) for s in sizes)
        + f", with {r_abs:,} replications each. With two cells, exactly one is lost at "
        "absorption, so P(not absorbed by t) = 1 - E[cells_lost_t], exact from "
        f"expected_cells_lost. Runs last T = {_HORIZON} n generations; a replication not "
        "absorbed by T counts as T + 1, and the simulated mean is compared with the exact "
        "E min(tau, T + 1) = sum_{t <= T} P(tau > t). The exact P(not absorbed by T) is at most "
        f"{max(p_censored):.2g} ({sum(censored):.0f} censored replications seen), so "
        "E min(tau, T + 1) and E tau differ by at most "
        f"{float((ab.scale - ab.exact).abs().max()):.2g} generations.",
        "Kimura's diffusion 2 n ln 2 runs a little long: the exact time is shorter by "
        + ", ".join(
            f"{d:.3g} at n = {int(a.n)}"
            for a, d in zip(ab.itertuples(False), ab.diffusion - ab.scale, strict=True)
        )
        + ". One generation of that is the generation-0 fit: its n0 = n real points have the "
        "law of a first synthetic generation, so with p_0 = p the exact time is exactly one "
        "generation longer (absorption_time(n) = absorption_time(n, n0=n) + 1).",
    ]
    return Outcome(table, figures, key, notes=notes)


def _figures(table: pd.DataFrame, p: np.ndarray) -> dict[str, object]:
    het = table[table.panel == "heterozygosity"]
    lost = table[table.panel == "cells_lost"]
    cells = table[table.panel == "cell_lost_at_T"]
    ab = table[table.panel == "absorption_time"]
    survival = table[table.panel == "survival"]
    n, horizon = int(het.n.iloc[0]), int(het.t.max())
    r_abs = int(table.loc[table.panel == "survival", "replications"].iloc[0])

    fig, axes = new_figure(3, width=4.4)
    ax = axes[0]
    plot_band(ax, het.t, het.simulated, het.se, "simulated", marker="")
    plot_theory(ax, het.t, het.exact, "(1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t")
    ax.set(
        xlabel="generation t",
        ylabel="E[1 - sum_i p_t,i^2] (probability)",
        yscale="log",
        title=f"Heterozygosity, Zipf K = {_ZIPF_K}, n0 = n = {n}",
    )
    ax.legend(fontsize=7)
    ax = axes[1]
    plot_band(ax, lost.t, lost.simulated, lost.se, "simulated", marker="")
    plot_theory(ax, lost.t, lost.exact, "exact (Wright-Fisher)")
    ax.axhline(_ZIPF_K - 1, color="grey", linestyle=":", linewidth=1.0, label="K - 1")
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

    fig2, axes2 = new_figure(2, width=4.6)
    ax = axes2[0]
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
    ax = axes2[1]
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
    return {"peers-discrete-zipf": fig, "peers-discrete-absorption": fig2}


# -- verdicts -------------------------------------------------------------------------------------


def _less_rare_gap(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the rarest cell's simulated loss probability lowered by ``size`` times its
    exact value (so the gap to the most common cell shrinks)."""
    out = table.copy()
    rows = out.panel == "rare_gap"
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] - size * out.loc[rows, "scale"].abs()
    return out


def _stretched(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: every simulated absorption time ``1 + size`` times longer (the simulated
    survival curve read at ``t / (1 + size)``)."""
    out = table.copy()
    for size_n in out.loc[out.panel == "survival", "n"].unique():
        rows = (out.panel == "survival") & (out.n == size_n)
        t = out.loc[rows, "t"].to_numpy(float)
        out.loc[rows, "simulated"] = np.interp(t / (1.0 + size), t, out.loc[rows, "simulated"])
    return out


def _stretch_detectable(survival: pd.DataFrame, band: float) -> float:
    """The smallest stretch ``s`` of the absorption time at which the exact survival curve moves
    by more than ``band + DETECTION_MARGIN se`` somewhere (detected with probability above
    97.7%), by bisection on ``s``."""

    def moves(s: float) -> bool:
        for size_n in survival.n.unique():
            part = survival[survival.n == size_n]
            t = part.t.to_numpy(float)
            exact = part.exact.to_numpy()
            shift = np.abs(np.interp(t / (1.0 + s), t, exact) - exact)
            if np.any(shift > band + DETECTION_MARGIN * part.se.to_numpy()):
                return True
        return False

    low, high = 0.0, 1.0
    if not moves(high):
        return math.inf
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if moves(mid) else (mid, high)
    return high


def _approach(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the simulated mean absorption time at the largest n lowered by a relative
    ``size`` (away from the diffusion, which lies above it)."""
    out = table.copy()
    rows = out.panel == "absorption_time"
    largest = rows & (out.n == out.loc[rows, "n"].max())
    out.loc[largest, "simulated"] = out.loc[largest, "simulated"] * (1.0 - size)
    return out


def _judge_discrete(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``peers-discrete``, from its results table alone."""
    het = table[table.panel == "heterozygosity"]
    lost = table[table.panel == "cells_lost"]
    cells = table[table.panel == "cell_lost_at_T"].sort_values("cell")
    gap = table[table.panel == "rare_gap"].iloc[0]
    ab = table[table.panel == "absorption_time"].sort_values("n")
    survival = table[table.panel == "survival"]
    horizon = int(het.t.max())
    verdicts = []

    c = compare(het.simulated, het.exact, het.se)
    verdicts.append(
        Verdict(
            "The heterozygosity E[1 - sum p_t^2] follows (1 - sum p^2)(1 - 1/n0)(1 - 1/n)^t "
            "exactly.",
            c.holds(),
            f"({c.text()}; at T = {horizon}: {het.simulated.iloc[-1]:.5g} +- "
            f"{het.se.iloc[-1]:.2g} against {het.exact.iloc[-1]:.5g})",
            kind="simulation",
            detectable=c.detectable,
            inputs=("simulated",),
        )
    )
    c = compare(lost.simulated, lost.exact, lost.se)
    verdicts.append(
        Verdict(
            "The mean number of lost cells follows the exact Wright-Fisher law.",
            c.holds(),
            f"({c.text()}; at T = {horizon}: {lost.simulated.iloc[-1]:.4g} +- "
            f"{lost.se.iloc[-1]:.2g} against {lost.exact.iloc[-1]:.4g} of K - 1 = "
            f"{len(cells) - 1})",
            kind="simulation",
            detectable=c.detectable,
            inputs=("simulated",),
        )
    )
    c = compare(cells.simulated, cells.exact, cells.se)
    verdicts.append(
        Verdict(
            "Each cell's probability of being lost by the last generation agrees with the exact "
            "one.",
            c.holds(),
            f"({c.text()}, binomial SEs of the exact probabilities; T = {horizon})",
            kind="simulation",
            detectable=c.detectable,
            inputs=("simulated",),
        )
    )
    by_p = cells.sort_values("p", ascending=False).exact.to_numpy()
    verdicts.append(
        Verdict(
            "The exact probability that a cell is lost by the last generation grows from the "
            "head of the law to its tail (the rarer the cell, the likelier its loss).",
            bool(np.all(np.diff(by_p) >= 0.0) and by_p[-1] > by_p[0]),
            f"(exact P(lost by T = {horizon}) from {by_p[0]:.3g} for the most common cell "
            f"(p = {cells.p.max():.3g}) to {by_p[-1]:.3g} for the rarest (p = "
            f"{cells.p.min():.3g}))",
            kind="theory",
        )
    )
    o = ordering(gap.simulated, gap.se, gap.exact, gap.scale)
    verdicts.append(
        Verdict(
            "Rare cells are lost first: by the last generation the rarest cell has been lost "
            "more often than the most common one.",
            o.holds(),
            f"(paired difference P(rarest lost) - P(most common lost) {gap.simulated:.3g} +- "
            f"{gap.se:.2g}, exact {gap.exact:.3g}; {o.text()})",
            kind="simulation",
            detectable=o.detectable,
            inputs=("simulated",),
            perturb=_less_rare_gap,
        )
    )
    c = compare(ab.simulated, ab.exact, ab.se)
    verdicts.append(
        Verdict(
            "The mean absorption time (first generation with a lost cell, K = 2, p = 1/2) agrees "
            "with the exact value of the binomial chain at every n.",
            c.holds(),
            f"({c.text()}; "
            + ", ".join(
                f"n={int(a.n)}: {a.simulated:.4g} +- {a.se:.2g} vs {a.exact:.4g}"
                for a in ab.itertuples(False)
            )
            + "; means of min(tau, T + 1) against the exact E min(tau, T + 1))",
            kind="simulation",
            detectable=c.detectable,
            inputs=("simulated",),
        )
    )
    r_abs = int(survival.replications.iloc[0])
    level = float(survival.dkw_level.iloc[0])
    sizes = survival.n.unique()
    band = math.sqrt(math.log(2.0 * len(sizes) / level) / (2.0 * r_abs))
    sup = {
        int(s): float(
            (survival[survival.n == s].simulated - survival[survival.n == s].exact).abs().max()
        )
        for s in sizes
    }
    stretch = _stretch_detectable(survival, band)
    verdicts.append(
        Verdict(
            "The whole distribution of the absorption time agrees with the exact "
            "P(not absorbed by t) at every n.",
            None if stretch > MAX_DETECTABLE else bool(max(sup.values()) <= band),
            "(sup_t |simulated - exact| "
            + ", ".join(f"n={s}: {v:.3g}" for s, v in sup.items())
            + f" against the DKW band {band:.3g} at family level {level:g}; the test detects "
            "absorption times stretched by the stated relative amount)",
            kind="simulation",
            detectable=stretch,
            inputs=("simulated",),
            perturb=_stretched,
        )
    )
    ratio = (ab.scale / ab.diffusion).to_numpy()
    verdicts.append(
        Verdict(
            "The exact mean absorption time approaches Kimura's diffusion 2 n ln 2 from below "
            "as n grows: exact / diffusion rises towards 1.",
            bool(np.all(np.diff(ratio) > 0.0) and np.all(ratio < 1.0)),
            "(exact / diffusion "
            + ", ".join(f"{q:.4f}" for q in ratio)
            + f" at n = {', '.join(str(int(s)) for s in ab.n)})",
            kind="theory",
        )
    )
    small, large = ab.iloc[0], ab.iloc[-1]
    rel = 1.0 - ab.simulated / ab.diffusion
    rel_se = ab.se / ab.diffusion
    z = (ab.simulated - ab.diffusion) / ab.se
    o = ordering(
        rel.iloc[0] - rel.iloc[-1],
        math.hypot(rel_se.iloc[0], rel_se.iloc[-1]),
        (1.0 - small.exact / small.diffusion) - (1.0 - large.exact / large.diffusion),
        large.exact / large.diffusion,
    )
    verdicts.append(
        Verdict(
            "The mean absorption time approaches Kimura's diffusion 2 n ln 2 as n grows: its "
            "relative shortfall is smaller at the largest n than at the smallest.",
            o.holds(),
            "(simulated against 2 n ln 2: "
            + ", ".join(
                f"n={int(a.n)}: {-q:+.1%} ({zz:+.1f} SE)"
                for a, q, zz in zip(ab.itertuples(False), rel, z, strict=True)
            )
            + f"; shortfall falls by {rel.iloc[0] - rel.iloc[-1]:.3g} +- "
            f"{math.hypot(rel_se.iloc[0], rel_se.iloc[-1]):.2g}; {o.text()})",
            kind="approximation",
            detectable=o.detectable,
            inputs=("simulated",),
            perturb=_approach,
        )
    )
    return verdicts


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
        judge=_judge_discrete,
    )
)
