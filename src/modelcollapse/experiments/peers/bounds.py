"""``peers-bounds``: bounds on the collapse probability (spec ``peers.md``).

The Gaussian with the unbiased variance, fully synthetic at a constant ``n``: the Suresh et al.
and Bertrand-style bounds on ``P(sigma_k > eps)`` against paper 1's exact probability
(characteristic-function inversion) and simulation.

The verdicts (:func:`judge`) read only the results table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate
from ...families import Gaussian
from ...plots import new_figure, plot_band, plot_theory
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, binomial_se, compare, threshold

__all__ = [
    "EXPERIMENT",
    "SPEC",
    "BoundsSpec",
    "above_bounds",
    "compute",
    "judge",
    "key_table",
    "notes",
    "plot",
    "run",
]


@dataclass(frozen=True)
class BoundsSpec:
    """What ``peers-bounds`` simulates: the ``(n, eps)`` of each panel and the horizons."""

    #: (n, eps) per panel: eps sits below sigma = 1 so that P(sigma_k > eps) falls from near 1.
    cases: tuple[tuple[int, float], ...] = ((5, 0.3), (10, 0.5), (30, 0.8))
    sigma0: float = 1.0
    generations: int = 100
    quick_generations: int = 60

    def horizon(self, quick: bool) -> int:
        """The generations run at the quick or at the paper's scale."""
        return self.quick_generations if quick else self.generations


SPEC = BoundsSpec()


def _case_rows(
    ctx: Context, key: int, n: int, eps: float, generations: int, sigma0: float
) -> pd.DataFrame:
    """One panel's rows: simulated, exact and the two bounds at ``k = 1..generations``."""
    k = np.arange(1, generations + 1)
    # sigma_k is the fit after k draws of n points: the engine's generation k - 1 (its
    # generation 0 is already a fit of n real points drawn from sigma0 = 1).
    exact = 1.0 - theory.collapse_probability(
        n, [n] * (generations - 1), eps=eps**2, variance="unbiased", generations=k - 1
    )
    res = simulate(
        Gaussian(variance="unbiased"),
        n0=n,
        schedule=n,
        generations=generations - 1,
        replications=ctx.replications,
        seed=ctx.child_seed(key),
        metrics=["sigma2"],
        record="all",
    )
    above = (res.values("sigma2") > eps**2).mean(axis=0)
    return pd.DataFrame(
        {
            "n": n,
            "eps": eps,
            "k": k,
            "simulated": above,
            "se": binomial_se(exact, ctx.replications),
            "exact": exact,
            "suresh": theory.suresh_bound(n, k, sigma0, eps),
            "bertrand": theory.markov_sigma_bound(n, k, sigma0, eps),
            "replications": ctx.replications,
            "generations": generations,
        }
    )


def compute(ctx: Context, spec: BoundsSpec = SPEC) -> pd.DataFrame:
    """Simulate every ``(n, eps)`` case and return the results table.

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress; case ``j`` of ``spec.cases`` uses ``ctx.child_seed(j)``.
    spec : BoundsSpec
        What to simulate.

    Returns
    -------
    pandas.DataFrame
        One row per case and generation ``k``: columns ``n, eps, k, simulated, se, exact,
        suresh, bertrand, replications, generations``.
    """
    generations = spec.horizon(ctx.quick)
    ctx.note(cases=[list(c) for c in spec.cases], generations=generations, sigma0=spec.sigma0)
    rows = []
    for j, (n, eps) in enumerate(ctx.track(spec.cases)):
        ctx.progress(f"n = {n}, eps = {eps}: {ctx.replications:,} replications")
        rows.append(_case_rows(ctx, j, n, eps, generations, spec.sigma0))
    return pd.concat(rows, ignore_index=True)


def _last(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the last generation, indexed by ``n``."""
    return table[table.k == int(table.generations.iloc[0])].set_index("n")


def key_table(table: pd.DataFrame, spec: BoundsSpec = SPEC) -> pd.DataFrame:
    """Per case: the exact and simulated probability at the last generation, how loose each
    bound is there, and the first generation at which each falls below 0.1."""
    generations = int(table.generations.iloc[0])
    last = _last(table)

    def first_below(col: str, level: float) -> list[float]:
        out = []
        for n, _ in spec.cases:
            part = table[(table.n == n) & (table[col] < level)]
            out.append(float(part.k.iloc[0]) if len(part) else np.nan)
        return out

    return pd.DataFrame(
        {
            "n": [n for n, _ in spec.cases],
            "eps": [e for _, e in spec.cases],
            f"exact P at k={generations}": last.exact.to_numpy(),
            f"simulated at k={generations}": last.simulated.to_numpy(),
            "Suresh / exact": (last.suresh / last.exact).to_numpy(),
            "Bertrand / exact": (last.bertrand / last.exact).to_numpy(),
            "k: exact < 0.1": first_below("exact", 0.1),
            "k: Suresh < 0.1": first_below("suresh", 0.1),
            "k: Bertrand < 0.1": first_below("bertrand", 0.1),
        }
    )


def plot(table: pd.DataFrame, spec: BoundsSpec = SPEC) -> Any:
    """One panel per case: simulated and exact probability beside the two bounds."""
    generations = int(table.generations.iloc[0])
    fig, axes = new_figure(len(spec.cases), width=4.2)
    for ax, (n, eps) in zip(axes, spec.cases, strict=True):
        part = table[table.n == n]
        plot_band(ax, part.k, part.simulated, part.se, "simulated", marker="")
        plot_theory(ax, part.k, part.exact, "exact (paper 1)")
        ax.plot(part.k, part.suresh, linestyle="--", label="Suresh et al. bound")
        ax.plot(part.k, part.bertrand, linestyle=":", label="Bertrand-style bound")
        ax.set(
            xlabel="generation k",
            ylabel="P(sigma_k > eps) (probability)",
            yscale="log",
            ylim=(max(1e-6, float(part.exact.min()) / 3), 1.5),
            title=f"n = {n}, eps = {eps}, k = 1..{generations}",
        )
        ax.legend(fontsize=7)
    return fig


def notes(table: pd.DataFrame, spec: BoundsSpec = SPEC) -> list[str]:
    """The summary's notes: what the bounds are, which is tighter, what the test reads."""
    generations = int(table.generations.iloc[0])
    last = _last(table)
    tighter = np.where(last.suresh < last.bertrand, "Suresh", "Bertrand-style")
    return [
        "sigma_k^2 = sigma_0^2 prod_{j<=k} chi2(n-1)/(n-1) with sigma_0 = 1 (unbiased variance, "
        "n fresh synthetic points per generation). Both bounds are Markov's inequality on a "
        "moment of sigma_k (E sigma_k^0.7 for Suresh et al., E sigma_k for the Bertrand-style "
        "bound), capped at 1, so both decay at a geometric rate set by that moment, while the "
        "exact probability decays faster; which bound is tighter at the last generation "
        f"(k = {generations}): "
        + ", ".join(f"n={n}: {t}" for (n, _), t in zip(spec.cases, tighter, strict=True))
        + ".",
        "The test that the simulated probability sits under the bounds reads only the "
        "generations where the tighter bound is below 1 (elsewhere it cannot be exceeded); it "
        "detects a simulated probability above the bound by more than its tolerance in "
        "standard errors of a probability at the bound.",
    ]


def run(ctx: Context) -> Outcome:
    """Compute the table, then its key table, notes and figure."""
    table = compute(ctx)
    key = key_table(table)
    figures = {"peers-bounds": plot(table)}
    return Outcome(table, figures, key, notes=notes(table))


# -- verdicts -------------------------------------------------------------------------------------


def above_bounds(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the simulated probability exceeds the tighter bound by a relative
    ``size`` wherever that bound is below 1.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``peers-bounds``.
    size : float
        The relative excess over the tighter bound.

    Returns
    -------
    pandas.DataFrame
        A perturbed copy.
    """
    out = table.copy()
    tight = np.minimum(out.suresh, out.bertrand)
    lifted = np.maximum(out.simulated, tight * (1.0 + size))
    out["simulated"] = np.where(tight < 1.0, lifted, out.simulated)
    return out


def _exact_under_verdict(table: pd.DataFrame) -> Verdict:
    """The exact probability sits under both bounds (theory)."""
    generations = int(table.generations.iloc[0])
    valid = (table.exact <= table.suresh + 1e-9) & (table.exact <= table.bertrand + 1e-9)
    last = table[table.k == generations]
    last_rows: Iterable[Any] = last.itertuples(False)
    return Verdict(
        "The exact probability P(sigma_k > eps) of paper 1 sits under both bounds at every "
        "generation.",
        bool(valid.all()),
        f"({int(valid.sum())}/{valid.size} (n, k) pairs; at k = {generations} the bounds "
        "exceed it by factors "
        + ", ".join(
            f"n={int(row.n)}: {row.suresh / row.exact:.3g} (Suresh), "
            f"{row.bertrand / row.exact:.3g} (Bertrand)"
            for row in last_rows
        )
        + ")",
        kind="theory",
    )


def _agreement_verdict(table: pd.DataFrame) -> Verdict:
    """The simulated probability agrees with the exact one."""
    agree = compare(table.simulated, table.exact, table.se)
    return Verdict(
        "Simulation agrees with the exact probability.",
        agree.holds(),
        f"({agree.text()}, binomial SEs of the exact probability)",
        kind="simulation",
        detectable=agree.detectable,
        inputs=("simulated",),
    )


def _simulated_under_verdict(table: pd.DataFrame) -> Verdict:
    """The simulated probability sits under both bounds where the tighter one is below 1."""
    r = int(table.replications.iloc[0])
    tight = np.minimum(table.suresh.to_numpy(), table.bertrand.to_numpy())
    tested = tight < 1.0
    se_at_bound = binomial_se(tight[tested], r)
    z = threshold(int(tested.sum()))
    excess = (table.simulated.to_numpy()[tested] - tight[tested]) / se_at_bound
    under = bool(np.all(excess <= z))
    reach = float(np.min((z + DETECTION_MARGIN) * se_at_bound / tight[tested]))
    return Verdict(
        "The simulated probability P(sigma_k > eps) sits under both bounds at every generation.",
        None if reach > MAX_DETECTABLE else under,
        f"({int(np.sum(excess <= z))}/{excess.size} (n, k) pairs where a bound is below 1 "
        f"within {z:.2g} SE of it or under; closest approach {np.max(excess):+.1f} SE, "
        f"simulated / tighter bound at most "
        f"{np.max(table.simulated.to_numpy()[tested] / tight[tested]):.3g})",
        kind="simulation",
        detectable=reach,
        inputs=("simulated",),
        perturb=above_bounds,
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``peers-bounds``, from its results table alone.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of :func:`compute`.

    Returns
    -------
    list of Verdict
        The exact probability under the bounds (theory), simulation against the exact
        probability, the simulated probability under the bounds.
    """
    return [_exact_under_verdict(table), _agreement_verdict(table), _simulated_under_verdict(table)]


EXPERIMENT = register(
    Experiment(
        id="peers-bounds",
        title="Collapse-probability bounds (Suresh et al.; Bertrand-style) against the exact "
        "probability and simulation",
        paper="Suresh et al. (2024); Bertrand et al. (2024); Xu, He & Cheng (paper 1)",
        figure="Bounds on P(sigma_k > eps)",
        replications=200_000,
        quick_replications=10_000,
        run=run,
        judge=judge,
    )
)
