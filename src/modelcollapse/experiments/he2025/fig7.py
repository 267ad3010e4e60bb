"""``he2025-fig7``: paper 2's Figure 7, the fully synthetic recursion (no fresh data): every
model's error grows (collapse).

Figure 7 follows the protocol of the authors' code (spec section 3): real data only at
generation 0, then each generation fitted to draws from the previous fit. Its errors are
compared with their exact laws only where a sample mean of the replications run can test them:
the Gaussian errors are heavy-tailed (their exact variances, computed here from the Wishart
moments, grow exponentially), so at each recorded generation the test's power is computed from
the exact standard error, and generations where it cannot detect a 50% discrepancy are reported
as not informative. The collapse of the covariance itself is tested with a statistic of finite,
slowly growing variance and exact law, ``log det Sigma_t`` (a sum of independent log chi-square
terms). The verdicts are in :mod:`.fig7_verdicts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...engine import simulate
from ...families import make_family
from ...metrics import axis_label
from ...plots import plot_band, plot_theory
from ..context import Context, Experiment, Outcome
from ..registry import register
from .common import PAPER
from .fig7_laws import glm_first_order, laws
from .fig7_verdicts import judge

__all__ = [
    "EXPERIMENT",
    "PANELS",
    "RECURSIONS",
    "SPEC",
    "CollapsePanel",
    "Fig7Spec",
    "Recursion",
    "compute",
    "glm_first_order",
    "judge",
    "key_table",
    "laws",
    "notes",
    "plot",
    "run",
]


@dataclass(frozen=True)
class CollapsePanel:
    """A panel of Figure 7: a family run fully synthetically, a statistic and its law."""

    key: str
    title: str
    family: str  # the key of the recursion that produces it
    metric: str
    law: str  # "exact" or "first order"
    ylabel: str = ""


#: Figure 7's panels, in the order of the figure and of the key table.
PANELS = (
    CollapsePanel("mean", "(a) Gaussian mean", "gaussian", "mean_error", "exact"),
    CollapsePanel(
        "covariance", "(b) Gaussian covariance (Frobenius^2)", "gaussian", "cov_error", "exact"
    ),
    CollapsePanel(
        "logdet",
        "(b') covariance collapse: log det Sigma_t",
        "gaussian",
        "logdet",
        "exact",
        "log det Sigma_t - log det Sigma (nats)",
    ),
    CollapsePanel("cdf", "(c) nonparametric CDF (iterated bootstrap)", "cdf", "cdf_error", "exact"),
    CollapsePanel(
        "linear", "(d) linear regression, random design", "linear", "param_error", "exact"
    ),
    CollapsePanel(
        "logistic",
        "(e) logistic regression (authors' L2, C = 1)",
        "logistic",
        "param_error",
        "first order",
    ),
    CollapsePanel("poisson", "(f) Poisson regression", "poisson", "param_error", "first order"),
)


@dataclass(frozen=True)
class Recursion:
    """One fully synthetic recursion of Figure 7: a family (by its :func:`make_family` name),
    its setup in dimension ``p`` and the engine that runs it.

    ``setup`` is ``"isotropic"`` (a Gaussian of dimension ``p``, covariance ``I/p``),
    ``"regression"`` (``beta = 1_p``, real covariates ``N(0, I/p)``, synthetic ones
    ``N(0, I_p)``, as in the authors' code) or ``"plain"``; ``options`` are further keyword
    arguments of :func:`make_family`.
    """

    key: str
    family: str
    engine: str
    setup: str = "plain"
    options: tuple[tuple[str, Any], ...] = ()

    def build(self, p: int) -> Any:
        """The family, in dimension ``p``."""
        options = dict(self.options)
        if self.setup == "isotropic":
            return make_family(self.family, dim=p, sigma2=1.0 / p, **options)
        if self.setup == "regression":
            return make_family(
                self.family, **options, beta=np.ones(p), cov=1.0 / p, synthetic_cov=1.0
            )
        return make_family(self.family, **options)


#: The recursions, in the order of their child seeds (``ctx.child_seed(0)``, ...).
RECURSIONS = (
    Recursion("gaussian", "gaussian", "exact", "isotropic"),
    Recursion("cdf", "cdf", "sample"),
    Recursion("linear", "linear-random", "exact", "regression"),
    Recursion("logistic", "logistic", "sample", "regression", (("penalty", "l2-sklearn"),)),
    Recursion("poisson", "poisson-regression", "sample", "regression", (("clip", 20.0),)),
)


@dataclass(frozen=True)
class Fig7Spec:
    """Figure 7's scale: ``n`` points per generation in dimension ``p``, ``generations`` (or
    ``quick_generations`` at the quick scale); recorded: every generation below
    ``first_recorded`` and ``spaced_recorded`` evenly spaced ones over the run."""

    n: int = 100
    p: int = 4
    generations: int = 1000
    quick_generations: int = 200
    first_recorded: int = 21
    spaced_recorded: int = 101
    panels: tuple[CollapsePanel, ...] = PANELS
    recursions: tuple[Recursion, ...] = RECURSIONS

    def horizon(self, quick: bool) -> int:
        """``T`` at the quick or the paper scale."""
        return self.quick_generations if quick else self.generations

    def record(self, generations: int) -> np.ndarray:
        """The recorded generations of a run of ``generations``."""
        first = np.arange(0, self.first_recorded)
        spaced = np.linspace(0, generations, self.spaced_recorded)
        return np.unique(np.concatenate([first, spaced]).round()).astype(int)


#: Figure 7's specification.
SPEC = Fig7Spec()


# -- the simulation -----------------------------------------------------------------------------


def _summaries(values: np.ndarray, mid: int) -> dict[str, np.ndarray]:
    r = values.shape[0]
    root = math.sqrt(r)
    return {
        "not_finite": np.sum(~np.isfinite(values), axis=0),
        "error": values.mean(axis=0),
        "se": values.std(axis=0, ddof=1) / root,
        "median": np.median(values, axis=0),
        "se_from_start": (values - values[:, :1]).std(axis=0, ddof=1) / root,
        "se_from_mid": (values - values[:, mid : mid + 1]).std(axis=0, ddof=1) / root,
    }


def _fig7_run(
    family_key: str,
    family: Any,
    engine: str,
    n: int,
    p: int,
    generations: int,
    r: int,
    seed: np.random.SeedSequence,
    record: np.ndarray,
) -> dict[str, np.ndarray]:
    """One family's fully synthetic recursion of Figure 7 (a call of ``ctx.map``, so that the
    families run side by side): each of its panels' per-replication values, shape ``(R, G)``."""
    members = [panel for panel in PANELS if panel.family == family_key]
    res = simulate(
        family,
        n0=n,
        schedule=n,
        generations=generations,
        replications=r,
        seed=seed,
        engine=engine,
        record=record,
        metrics=sorted({m.metric for m in members if m.metric != "logdet"}),
    )
    out = {}
    for panel in members:
        if panel.metric == "logdet":
            sign, logdet = np.linalg.slogdet(np.asarray(family.covariance(res.params)))
            # A covariance whose condition number passes 1/eps is numerically singular: its
            # log-determinant is not computable (NaN, counted in ``not_finite``).
            out[panel.key] = np.where(sign > 0, logdet, np.nan) - p * math.log(1.0 / p)
        else:
            out[panel.key] = np.asarray(res.values(panel.metric))
    return out


def _panel_frame(
    panel: CollapsePanel,
    values: np.ndarray,
    law: tuple[np.ndarray, np.ndarray | None],
    record: np.ndarray,
    mid: int,
    settings: dict[str, int],
) -> pd.DataFrame:
    """One panel's rows of the table: the summaries of its values beside its law."""
    mean, variance = law
    r = settings["R"]
    return pd.DataFrame(
        {
            "panel": panel.key,
            "t": record,
            **_summaries(values, mid),
            "se_exact": (np.sqrt(variance[record] / r) if variance is not None else np.nan),
            "theory": mean[record],
            "law": panel.law,
            **settings,
        }
    )


def compute(ctx: Context) -> pd.DataFrame:
    """Run the recursions side by side (``ctx.map``): per panel and recorded generation, the
    mean, standard errors and median of the simulated values beside the panel's law."""
    n, p = SPEC.n, SPEC.p
    generations = SPEC.horizon(ctx.quick)
    record = SPEC.record(generations)
    mid = int(np.flatnonzero(record == generations // 2)[0])
    r = ctx.replications
    ctx.note(n=n, p=p, generations=generations, recorded=int(record.size))
    law_of = laws(n, p, generations)
    families = {rec.key: (rec.build(p), rec.engine) for rec in SPEC.recursions}
    ctx.progress(
        f"{len(families)} fully synthetic recursions side by side ({', '.join(families)}), "
        f"{r:,} replications x {generations} generations each"
    )
    calls = [
        (key, family, engine, n, p, generations, r, ctx.child_seed(j), record)
        for j, (key, (family, engine)) in enumerate(families.items())
    ]
    settings = {"n": n, "p": p, "T": generations, "R": r}
    rows = []
    for values_by_panel in ctx.map(_fig7_run, calls):
        for panel_key, values in values_by_panel.items():
            panel = next(pl for pl in PANELS if pl.key == panel_key)
            rows.append(_panel_frame(panel, values, law_of[panel.key], record, mid, settings))
    return pd.concat(rows, ignore_index=True)


# -- key table, notes, figure -------------------------------------------------------------------


def _scale(table: pd.DataFrame) -> tuple[int, int, int, int]:
    """``n, p, T, R`` of the run, from the table."""
    first = table.iloc[0]
    return int(first.n), int(first.p), int(first["T"]), int(first.R)


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per panel: the simulated mean at ``T``, its standard error, the law and the median."""
    _, _, generations, _ = _scale(table)
    return pd.DataFrame(
        [
            {
                "panel": panel.title,
                "law": panel.law,
                "T": generations,
                "mean at T (sim)": last.error,
                "SE": last.se_exact if np.isfinite(last.se_exact) else last.se,
                "SE kind": "exact" if np.isfinite(last.se_exact) else "sample",
                "law at T": last.theory,
                "median at T (sim)": last["median"],
            }
            for panel in PANELS
            for last in [table[table.panel == panel.key].iloc[-1]]
        ]
    )


def notes(table: pd.DataFrame) -> list[str]:
    """The notes of ``summary.md``: the scale, the laws, and the heavy tails."""
    n, p, generations, r = _scale(table)
    logistic = float(table[table.panel == "logistic"].theory.iloc[-1])
    cut = table[(table.panel == "covariance")]
    return [
        f"Scale run: n = {n} points per generation, p = {p}, T = {generations} generations, "
        f"R = {r:,} replications; real data only at t = 0 (the authors' protocol). Truth: mean "
        f"0, covariance I/p; beta = 1_p. As in the authors' code, the synthetic covariates of "
        "the regressions are drawn from N(0, I_p), the real ones from N(0, I/p).",
        "Exact laws: the Gaussian mean (t+1) tr(Sigma)/n; the covariance's exact recursion; "
        "log det Sigma_t, a sum of independent log chi-square terms (Bartlett); the iterated "
        "bootstrap (1/6)[1 - (1 - 1/n)^(t+1)]; the random-design regression "
        "[tr(Sigma_real^-1) + t tr(Sigma_synth^-1)] / (n - p - 1). The Poisson curve is first "
        "order at the truth. The logistic fits use the authors' L2 penalty (C = 1, sample "
        "weights summing to n), without which the wandering coefficients soon make the "
        "synthetic data separable; its curve is the first-order (linear noise) theory of the "
        "penalised recursion, whose penalty pulls the coefficients to 0: the error levels off "
        f"near |beta*|^2 + tr P = {logistic:.3g} instead of growing like the "
        f"unpenalised first-order line ({glm_first_order('logistic', p, n, generations)[-1]:.3g}"
        f" at T = {generations}).",
        "The Gaussian errors are heavy-tailed: their exact variances (Wishart moments) grow "
        "like (1 + 2/(n-1))^t and faster for the covariance, carried by rare replications "
        "while almost all of them collapse (Sigma_t -> 0, so the Frobenius error's median "
        f"tends to |Sigma|_F^2 = {1 / p:.3g} while its mean grows to "
        f"{cut.theory.iloc[-1]:.3g}). Their sample means are compared with the exact means "
        "using the exact standard errors, at the recorded generations where that test can "
        "detect a 50% discrepancy; beyond, the verdicts name them as not informative.",
    ]


def _draw_panel(ax: Any, panel: CollapsePanel, part: pd.DataFrame, p: int) -> None:
    """One panel: the simulated mean with its band, the medians, the law."""
    exact_se = np.isfinite(part.se_exact).all()
    se = part.se_exact if exact_se else part.se
    band = "simulated mean (95% band, exact SE)" if exact_se else "simulated mean (95% band)"
    if panel.key == "covariance":
        lower = np.maximum(part.error - 1.96 * se, part.error * 0.05)
        (line,) = ax.plot(part.t, part.error, linewidth=1.0, label=band)
        ax.fill_between(
            part.t, lower, part.error + 1.96 * se, alpha=0.2, color=line.get_color(), lw=0
        )
    else:
        plot_band(ax, part.t, part.error, se, band, marker="")
    if panel.key in ("mean", "covariance"):
        ax.plot(part.t, part["median"], linestyle=":", color="C2", label="simulated median")
    if panel.law == "exact":
        label = "exact mean"
    elif panel.key == "logistic":
        label = "first order (penalised recursion)"
    else:
        label = "first order (at the truth)"
    plot_theory(ax, part.t, part.theory, label)
    if panel.key == "covariance":
        ax.axhline(1.0 / p, color="grey", linewidth=0.8, label="|Sigma|_F^2 (collapsed fit)")
        ax.set_yscale("log")
    if panel.key == "mean":
        # The exact SE of a mean of R heavy-tailed errors grows much faster than the mean:
        # the band would set the axis and hide both curves. It runs off the axis instead.
        top = 1.5 * float(np.nanmax([part.error.max(), part.theory.max()]))
        ax.set_ylim(0.0, top)


def plot(table: pd.DataFrame) -> Any:
    """Figure 7: one panel per entry of :data:`PANELS`, drawn from the table."""
    from matplotlib.figure import Figure

    n, p, generations, r = _scale(table)
    cols = 4
    rows = math.ceil(len(PANELS) / cols)
    fig = Figure(figsize=(4.7 * cols, 4.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, PANELS, strict=False):
        _draw_panel(ax, panel, table[table.panel == panel.key], p)
        ax.set(
            xlabel=f"generation t (n = {n}, T = {generations}, R = {r:,})",
            ylabel=panel.ylabel or axis_label(panel.metric, "error"),
            title=panel.title,
        )
        ax.legend(fontsize=7)
    for ax in axes[len(PANELS) :]:
        ax.set_visible(False)
    return fig


def run(ctx: Context) -> Outcome:
    """Compute the table, then the key table, the notes and the figure."""
    table = compute(ctx)
    return Outcome(table, {"fig7": plot(table)}, key_table(table), notes=notes(table))


#: The registered experiment.
EXPERIMENT = register(
    Experiment(
        "he2025-fig7",
        "Fully synthetic recursion without fresh data: every model's error grows (collapse)",
        PAPER,
        "Figure 7",
        1_000,
        100,
        run,
        judge=judge,
    )
)
