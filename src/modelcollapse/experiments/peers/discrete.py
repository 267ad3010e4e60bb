"""Reproduction of categorical collapse as the neutral Wright-Fisher model (``peers-discrete``).

The categorical family refitted by frequencies on ``n`` synthetic points per generation is the
Wright-Fisher model of population genetics with ``n`` haploid genes and ``K`` alleles, the
discrete collapse of Shumailov et al. (2024): rare cells are lost first and, one by one, every
cell but one. The run puts the engine's exact (multinomial) simulation beside the closed forms of
:mod:`modelcollapse.theory.discrete`:

- a Zipf-like law on ``K = 20`` cells (:data:`ZIPF`): the heterozygosity
  ``E[1 - sum p_t^2] = (1 - sum p^2) (1 - 1/n0) (1 - 1/n)^t``, the exact mean number of lost
  cells and each cell's exact loss probability at the last generation;
- two cells at ``p = 1/2`` (:data:`ABSORPTION`): the mean generation at which a cell is first
  lost (absorption), exact by the binomial chain's fundamental matrix, against Kimura's
  diffusion ``2 n ln 2`` (an approximation), and its whole distribution
  (``P(not absorbed by t) = 1 - E[cells_lost_t]`` when ``K = 2``).

Replications run in batches of :data:`BATCH` (seeds spawned per batch, so memory stays at
``BATCH x (T + 1) x K`` floats and ``ctx.map`` can spread them over workers); only sums leave a
batch. The verdicts are a function of the results table alone
(:func:`~.discrete_verdicts.judge`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate
from ...families import Categorical
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import binomial_se
from .discrete_report import key_table, notes, plot
from .discrete_verdicts import judge

__all__ = [
    "ABSORPTION",
    "BATCH",
    "COLUMNS",
    "EXPERIMENT",
    "ZIPF",
    "AbsorptionPanel",
    "ZipfPanel",
    "compute",
    "judge",
    "key_table",
    "notes",
    "panel_rows",
    "plot",
    "run",
]

#: Replications per simulate call.
BATCH = 1_000

#: The columns of the results table (before ``replications`` and ``dkw_level``).
COLUMNS = ("panel", "n", "t", "cell", "p", "simulated", "se", "exact", "diffusion", "scale")


@dataclass(frozen=True)
class ZipfPanel:
    """The Zipf-like case: ``p_i`` proportional to ``1/i`` on ``cells`` cells, ``n0 = n`` real
    and synthetic points."""

    cells: int = 20
    n: int = 100
    generations: int = 300
    quick_generations: int = 100

    def horizon(self, quick: bool) -> int:
        """The generations run at the quick or at the paper's scale."""
        return self.quick_generations if quick else self.generations

    def probabilities(self) -> np.ndarray:
        """The law: ``p_i`` proportional to ``1/i``, ``i = 1..cells``."""
        p = 1.0 / np.arange(1, self.cells + 1)
        p /= p.sum()
        return p


@dataclass(frozen=True)
class AbsorptionPanel:
    """Two cells at ``p = 1/2``: absorption times for each synthetic size ``n = n0``."""

    #: Synthetic sizes (quick: the first ``quick_sizes``).
    sizes: tuple[int, ...] = (10, 20, 50, 100, 200)
    quick_sizes: int = 3
    #: Generations run per unit of n: P(not absorbed by 16 n) < 2e-7.
    horizon: int = 16
    #: Replications, at least (the quick scale's 2,000 cannot resolve how fast the mean
    #: approaches the diffusion; the panel is cheap).
    min_replications: int = 4_000
    #: Family-wise level of the DKW check on the distribution of the absorption time.
    dkw_level: float = 1e-4

    def run_sizes(self, quick: bool) -> np.ndarray:
        """The sizes run at the quick or at the paper's scale."""
        return np.array(self.sizes[: self.quick_sizes] if quick else self.sizes)


ZIPF = ZipfPanel()
ABSORPTION = AbsorptionPanel()


def _batches(ctx: Context, key: int, reps: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(replications, seed)`` per batch of sub-run ``key``; seeds spawned from its stream."""
    sizes = [BATCH] * (reps // BATCH)
    if reps % BATCH:
        sizes.append(reps % BATCH)
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


def panel_rows(panel: str, **columns: object) -> pd.DataFrame:
    """Rows of one panel with every column of :data:`COLUMNS` (NaN where it does not apply).

    Parameters
    ----------
    panel : str
        The panel's name (``"heterozygosity"``, ``"cells_lost"``, ``"cell_lost_at_T"``,
        ``"rare_gap"``, ``"absorption_time"`` or ``"survival"``).
    **columns
        Values of the other columns (scalars or arrays of one length).

    Returns
    -------
    pandas.DataFrame
        The rows, with the columns in the order of :data:`COLUMNS`.
    """
    frame = pd.DataFrame({"panel": panel, **columns})
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[list(COLUMNS)]


def _zipf(ctx: Context, p: np.ndarray, horizon: int) -> list[pd.DataFrame]:
    """The Zipf panel's rows: heterozygosity, lost cells, per-cell loss at T, the rare gap."""
    r, n = ctx.replications, ZIPF.n
    ctx.progress(f"Zipf K = {ZIPF.cells}, n = {n}: {r:,} replications x {horizon} generations")
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
    exact_het = theory.heterozygosity(p, n, horizon, n0=n)
    exact_lost = theory.cell_loss_probability(p, n, horizon, n0=n).sum(axis=1)
    return [
        panel_rows("heterozygosity", n=n, t=t, simulated=het, se=het_se, exact=exact_het),
        panel_rows("cells_lost", n=n, t=t, simulated=lost, se=lost_se, exact=exact_lost),
        panel_rows(
            "cell_lost_at_T",
            n=n,
            t=horizon,
            cell=np.arange(1, ZIPF.cells + 1),
            p=p,
            simulated=gone / r,
            se=binomial_se(cell_exact, r),
            exact=cell_exact,
        ),
        panel_rows(
            "rare_gap",
            n=n,
            t=[horizon],
            simulated=gap,
            se=gap_se,
            exact=[cell_exact[rare] - cell_exact[common]],
            scale=[cell_exact[rare]],
        ),
    ]


def _absorption_size(ctx: Context, key: int, size: int, reps: int) -> list[pd.DataFrame]:
    """One size of the absorption panel: its mean-time row and its survival curve."""
    generations = ABSORPTION.horizon * size
    ctx.progress(f"absorption, n = {size}: {reps:,} replications x {generations} generations")
    calls = [(size, generations, b, s) for b, s in _batches(ctx, key, reps)]
    parts = ctx.map(_absorption_batch, calls)
    tau = np.concatenate([part[0] for part in parts])
    alive = sum(part[1] for part in parts) / reps
    alive_exact = 1.0 - theory.expected_cells_lost([0.5, 0.5], size, generations, n0=size)
    mean = panel_rows(
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
    curve = panel_rows(
        "survival",
        n=size,
        t=np.arange(generations + 1),
        simulated=alive,
        se=binomial_se(alive_exact, reps),
        exact=alive_exact,
    )
    return [mean, curve]


def _absorption(ctx: Context, sizes: np.ndarray, reps: int) -> list[pd.DataFrame]:
    """The absorption panel's rows: mean times and survival curves, per n."""
    means, curves = [], []
    for j, size in enumerate(ctx.track(sizes), start=1):
        mean, curve = _absorption_size(ctx, j, int(size), reps)
        means.append(mean)
        curves.append(curve)
    return means + curves


def compute(ctx: Context) -> pd.DataFrame:
    """Run the Zipf panel, then the absorption panel, and return the results table.

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress: the Zipf runs use ``ctx.child_seed(0)``, absorption size
        ``j = 1, 2, ...`` ``ctx.child_seed(j)``, each spawned into batches of :data:`BATCH`.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`panel_rows` for every panel, with ``replications`` and
        ``dkw_level`` columns.
    """
    r = ctx.replications
    r_abs = max(r, ABSORPTION.min_replications)
    p = ZIPF.probabilities()
    n = ZIPF.n
    horizon = ZIPF.horizon(ctx.quick)
    sizes = ABSORPTION.run_sizes(ctx.quick)
    ctx.note(
        zipf={"K": ZIPF.cells, "p": "proportional to 1/i", "n0": n, "n": n, "generations": horizon},
        absorption={
            "p": 0.5,
            "n0": "n",
            "n": sizes.tolist(),
            "generations": f"{ABSORPTION.horizon} n",
            "replications": r_abs,
        },
        engine="exact",
        batch=BATCH,
    )
    ctx.steps(2)  # progress: the Zipf runs, then the absorption runs
    table = pd.concat(_zipf(ctx, p, horizon) + _absorption(ctx, sizes, r_abs), ignore_index=True)
    table["replications"] = np.where(
        table.panel.isin(["absorption_time", "survival"]), r_abs, r
    ).astype(int)
    table["dkw_level"] = ABSORPTION.dkw_level
    return table


def run(ctx: Context) -> Outcome:
    """Compute the table, then its figures, key table and notes."""
    table = compute(ctx)
    figures = plot(table)
    return Outcome(table, figures, key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="peers-discrete",
        title="Categorical collapse as Wright-Fisher drift: heterozygosity, lost cells and "
        "absorption times against the exact laws",
        paper="Wright-Fisher (population genetics); Shumailov et al. (2024)",
        figure="Heterozygosity, lost cells and absorption time",
        replications=20_000,
        quick_replications=2_000,
        run=run,
        judge=judge,
    )
)
