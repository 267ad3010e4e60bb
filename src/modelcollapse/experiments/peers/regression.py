"""``peers-regression``: replacing the data against accumulating it (spec ``peers.md``).

Fixed-design linear regression refitted on its own predictions, replacing the data each
generation against accumulating it (Gerstgrasser et al. 2024; Dohmatob et al.): the error grows
linearly under replace, ``c (t + 1)``, and stays below ``(pi^2/6) c`` under accumulate,
``c sum_{i<=t+1} 1/i^2``, with ``c = sigma2 tr((X'X)^-1)`` (both exact). In both regimes
``beta_t - beta`` is Gaussian with covariance ``(e_t / c) sigma2 (X'X)^-1``, so the standard
error of the simulated mean error is exact too:
``e_t sqrt(2 tr((X'X)^-2)) / (tr((X'X)^-1) sqrt(R))``.

The verdicts (:func:`judge`) read only the results table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate
from ...families import LinearRegressionFixed
from ...plots import new_figure, plot_band, plot_theory
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, compare, threshold

__all__ = [
    "EXPERIMENT",
    "LAWS",
    "PEERS",
    "SPEC",
    "RegressionSpec",
    "compute",
    "judge",
    "key_table",
    "notes",
    "plot",
    "run",
]

PEERS = "Gerstgrasser et al. (2024), Is Model Collapse Inevitable?; Dohmatob et al. (2024)"


@dataclass(frozen=True)
class RegressionSpec:
    """What ``peers-regression`` simulates: the design, the noise, the regimes and horizons."""

    d: int = 10
    n: int = 100
    sigma2: float = 1.0
    #: Seed of the fixed design (``n`` rows of ``N(0, I_d)``, drawn once).
    design_seed: int = 0
    regimes: tuple[str, ...] = ("replace", "accumulate")
    generations: int = 100
    quick_generations: int = 20

    def horizon(self, quick: bool) -> int:
        """The generations run at the quick or at the paper's scale."""
        return self.quick_generations if quick else self.generations


SPEC = RegressionSpec()

#: The exact law of each regime: ``law(c, T)`` is the mean error at ``t = 0..T``.
LAWS = {"replace": theory.replace_error, "accumulate": theory.accumulate_error}


def _constants(family: LinearRegressionFixed, sigma2: float) -> tuple[float, float]:
    """``c = sigma2 tr((X'X)^-1)`` and the factor of the exact standard error."""
    gram_inv = np.asarray(family.gram_inverse, dtype=float)
    c = sigma2 * float(np.trace(gram_inv))
    # |Z|^2 with Z ~ N(0, a sigma2 G): variance 2 a^2 sigma2^2 tr(G^2), mean a sigma2 tr(G).
    se_factor = math.sqrt(2.0 * float(np.trace(gram_inv @ gram_inv))) / float(np.trace(gram_inv))
    return c, se_factor


def _regime_rows(
    ctx: Context,
    family: LinearRegressionFixed,
    regime: str,
    key: int,
    generations: int,
    spec: RegressionSpec,
) -> pd.DataFrame:
    """One regime's rows: the simulated mean error per generation beside its exact law."""
    c, se_factor = _constants(family, spec.sigma2)
    res = simulate(
        family,
        n0=spec.n,
        schedule=spec.n,
        generations=generations,
        replications=ctx.replications,
        seed=ctx.child_seed(key),
        regime=regime,
        record="all",
        metrics=["param_error"],
    )
    err = res.values("param_error")
    exact = LAWS[regime](c, generations)
    return pd.DataFrame(
        {
            "regime": regime,
            "t": np.arange(generations + 1),
            "error": err.mean(axis=0),
            "se": err.std(axis=0, ddof=1) / math.sqrt(err.shape[0]),
            "se_exact": se_factor * exact / math.sqrt(ctx.replications),
            "theory": exact,
            "c": c,
            "bound": math.pi**2 / 6 * c,
            "d": spec.d,
            "n": spec.n,
            "generations": generations,
            "replications": ctx.replications,
        }
    )


def compute(ctx: Context, spec: RegressionSpec = SPEC) -> pd.DataFrame:
    """Run both regimes and return the results table (one row per regime and generation).

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress; regime ``j`` of ``spec.regimes`` uses ``ctx.child_seed(j)``.
    spec : RegressionSpec
        What to simulate.

    Returns
    -------
    pandas.DataFrame
        Columns ``regime, t, error, se, se_exact, theory, c, bound, d, n, generations,
        replications``.
    """
    d, n, sigma2 = spec.d, spec.n, spec.sigma2
    generations = spec.horizon(ctx.quick)
    family = LinearRegressionFixed(beta=np.ones(d), n=n, sigma2=sigma2, seed=spec.design_seed)
    ctx.note(d=d, n=n, sigma2=sigma2, generations=generations, design="N(0, I) rows, seed 0")
    rows = []
    for j, regime in enumerate(ctx.track(spec.regimes)):
        ctx.progress(f"{regime}: {ctx.replications:,} replications x {generations} generations")
        rows.append(_regime_rows(ctx, family, regime, j, generations, spec))
    return pd.concat(rows, ignore_index=True)


def _regimes(table: pd.DataFrame) -> list[str]:
    """The regimes of the table, in the order they were run."""
    return list(dict.fromkeys(table.regime))


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The error at the last generation per regime, simulated beside exact, and the bound."""
    generations = int(table.generations.iloc[0])
    final = table[table.t == generations].set_index("regime")
    regimes = _regimes(table)
    return pd.DataFrame(
        {
            "regime": regimes,
            "error at T (sim)": [final.loc[r, "error"] for r in regimes],
            "SE": [final.loc[r, "se"] for r in regimes],
            "exact SE": [final.loc[r, "se_exact"] for r in regimes],
            "theory at T": [final.loc[r, "theory"] for r in regimes],
            "c = sigma2 tr((X'X)^-1)": float(table.c.iloc[0]),
            "(pi^2/6) c": float(table.bound.iloc[0]),
        }
    )


def plot(table: pd.DataFrame) -> Any:
    """The mean error per generation of both regimes, with their exact laws and the bound."""
    d, n = int(table.d.iloc[0]), int(table.n.iloc[0])
    generations = int(table.generations.iloc[0])
    fig, axes = new_figure(1)
    ax = axes[0]
    for regime in _regimes(table):
        part = table[table.regime == regime]
        line = plot_band(ax, part.t, part.error, part.se, f"{regime}, simulated", marker="")
        plot_theory(ax, part.t, part.theory, f"{regime}, exact", color=line.get_color())
    bound = float(table.bound.iloc[0])
    ax.axhline(bound, color="grey", linestyle=":", linewidth=1.0, label="(pi^2/6) c")
    ax.set(
        xlabel="generation t",
        ylabel="E|beta_t - beta|^2 (squared coefficient units)",
        yscale="log",
        title=f"Fixed-design regression, d = {d}, n = {n}, T = {generations}",
    )
    ax.legend(fontsize=7)
    return fig


def notes(generations: int, spec: RegressionSpec = SPEC) -> list[str]:
    """The summary's notes: the design, and which standard errors the verdicts use."""
    d, n, sigma2 = spec.d, spec.n, spec.sigma2
    return [
        f"Design: n = {n} rows of N(0, I_{d}) drawn once (seed 0), noise sigma2 = {sigma2}; "
        f"each of the {generations} generations refits OLS to labels drawn from the previous fit "
        "at the same design. Accumulate pools every generation's labels (unweighted); replace "
        "uses only the last.",
        "The verdicts use the exact standard error of the simulated mean (beta_t - beta is "
        "Gaussian with covariance proportional to (X'X)^-1 in both regimes); the band in the "
        "figure uses the sample standard error.",
    ]


def run(ctx: Context) -> Outcome:
    """Compute the table, then its key table, notes and figure."""
    table = compute(ctx)
    key = key_table(table)
    figures = {"peers-regression": plot(table)}
    return Outcome(table, figures, key, notes=notes(SPEC.horizon(ctx.quick)))


# -- verdicts -------------------------------------------------------------------------------------


def _laws_verdict(table: pd.DataFrame) -> Verdict:
    """Both regimes follow their exact laws (exact standard errors)."""
    generations = int(table.generations.iloc[0])
    laws = compare(table.error, table.theory, table.se_exact)
    final = table[table.t == generations].set_index("regime")
    error, law = final["error"], final["theory"]
    return Verdict(
        "Both regimes follow their exact laws: c (t + 1) under replace, c sum 1/i^2 under "
        "accumulate.",
        laws.holds(),
        f"({laws.text()}, exact SEs; at T = {generations}: replace "
        f"{error['replace']:.4g} against {law['replace']:.4g}, "
        f"accumulate {error['accumulate']:.4g} against {law['accumulate']:.4g})",
        kind="simulation",
        detectable=laws.detectable,
        inputs=("error",),
    )


def _bounded_verdict(table: pd.DataFrame) -> Verdict:
    """Under accumulate the simulated error stays below ``(pi^2/6) c`` (one-sided test)."""
    generations = int(table.generations.iloc[0])
    bound = float(table.bound.iloc[0])
    acc = table[table.regime == "accumulate"]
    # One-sided: the accumulate error exceeds the bound by more than z exact SEs somewhere.
    z = threshold(len(acc))
    excess = (acc.error - bound) / acc.se_exact
    below = bool((excess <= z).all())
    # A relative rise of the simulated errors by this much crosses the bound by z SE at some
    # generation with probability above 97.7%.
    reach = (bound - acc.theory + (z + DETECTION_MARGIN) * acc.se_exact) / acc.theory
    reach_min = float(reach.min())
    # pandas-stubs types idxmax as Hashable, which .loc does not accept.
    worst = acc.loc[excess.idxmax()]  # type: ignore[call-overload]
    return Verdict(
        f"Accumulating the data, the simulated error stays below (pi^2/6) c at every "
        f"generation up to T = {generations}.",
        None if reach_min > MAX_DETECTABLE else below,
        f"(largest excess over (pi^2/6) c = {bound:.4g}: {worst.error - bound:+.3g} at "
        f"t = {int(worst.t)}, {excess.max():+.2f} SE, tolerance {z:.2g} SE; the exact law is "
        f"{(bound - acc.theory.iloc[-1]) / bound:.2%} below the bound at T)",
        kind="simulation",
        detectable=reach_min,
        inputs=("error",),
    )


def _exact_laws_verdict(table: pd.DataFrame) -> Verdict:
    """The exact laws: bounded under accumulate, growing by ``c`` per generation under replace."""
    generations = int(table.generations.iloc[0])
    c, bound = float(table.c.iloc[0]), float(table.bound.iloc[0])
    acc = table[table.regime == "accumulate"]
    rep = table[table.regime == "replace"].sort_values("t")
    exact_bounded = bool((acc.theory < bound).all())
    steps = np.diff(rep.theory.to_numpy())
    linear = bool(c > 0 and np.allclose(steps, c, rtol=1e-12))
    return Verdict(
        "The exact laws: under accumulate the error stays below (pi^2/6) c at every "
        "generation, while under replace it grows by c each generation, without bound.",
        exact_bounded and linear,
        f"(c = {c:.4g}; accumulate at T = {generations}: {acc.theory.iloc[-1]:.4g} < "
        f"{bound:.4g}; replace steps between {steps.min():.6g} and {steps.max():.6g})",
        kind="theory",
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``peers-regression``, from its results table alone.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of :func:`compute`.

    Returns
    -------
    list of Verdict
        The exact laws (simulation), the accumulate bound (simulation), the laws themselves
        (theory).
    """
    return [_laws_verdict(table), _bounded_verdict(table), _exact_laws_verdict(table)]


EXPERIMENT = register(
    Experiment(
        id="peers-regression",
        title="Fixed-design regression: replacing the data (error grows linearly) against "
        "accumulating it (bounded by pi^2/6)",
        paper=PEERS,
        figure="Replace against accumulate",
        replications=10_000,
        quick_replications=1_000,
        run=run,
        judge=judge,
    )
)
