"""``strategies``: every way of training on synthetic data, head to head.

Seven strategies, each starting from the same ``n0 = n`` real points (common random numbers:
the same seed, so the same generation-0 data and the same synthetic noise):

``replace``
    Train on the last model's ``n`` synthetic points only (paper 1; Shumailov et al.).
``accumulate``
    Train on every point so far, real and synthetic, unweighted (Gerstgrasser et al.).
``accumulate-subsample``
    Accumulate, but train on ``n`` points drawn from the pool (Kazdan et al.).
``anchor``
    Reuse the ``n0`` real points every generation, weight ``1/2`` against ``n`` synthetic ones.
``naive`` and ``golden-ratio``
    ``n`` fresh real points every generation mixed with ``n`` synthetic points, weighted
    ``k/(1+k) = 1/2`` and ``w* = 1/phi`` (paper 2).
``growing``
    Fully synthetic with a superlinearly growing size ``n_t = n t^1.5`` (paper 1: ``sum 1/n_t <
    inf`` avoids collapse).

For the Gaussian (mean and variance estimated, unbiased variance, paper 2's convex combination)
every strategy but accumulate-subsample has an exact law for ``E|mu_t - mu|^2``; for the logistic
regression the laws are first order (``C = tr I(beta)^-1`` in place of ``sigma^2``). The summary
ranks the strategies by their error at the last generation and states what each costs: the real
points it consumed, the synthetic points it drew, and the size of its last training set.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate
from ..families import Gaussian, LogisticRegression
from ..plots import THEORY_STYLE, new_figure, plot_band, plot_theory
from ..schedules import parse_schedule
from .registry import Context, Experiment, Outcome, Verdict, register
from .xu2025 import _count, _within

PAPERS = (
    "Xu, He & Cheng (paper 1); He, Xu & Cheng (paper 2); Gerstgrasser et al. (2024); "
    "Kazdan et al. (2024)"
)
STRATEGIES = (
    "replace",
    "accumulate",
    "accumulate-subsample",
    "anchor",
    "naive",
    "golden-ratio",
    "growing",
)
#: Strategies that draw fresh real data every generation.
FRESH = ("naive", "golden-ratio")
ANCHOR_ALPHA = 0.5
GROWTH = 0.5  # n_t = n t^(1 + GROWTH)
_BETA = (1.0, -1.0)


def _options(strategy: str, n: int) -> dict[str, Any]:
    """The :func:`simulate` options of a strategy."""
    if strategy in ("replace", "accumulate", "accumulate-subsample"):
        return {"schedule": n, "regime": strategy}
    if strategy == "anchor":
        return {"schedule": n, "regime": f"anchor:alpha={ANCHOR_ALPHA}"}
    if strategy == "naive":
        return {"schedule": n, "n_real": n, "weight": "naive"}
    if strategy == "golden-ratio":
        return {"schedule": n, "n_real": n, "weight": "optimal"}
    return {"schedule": f"power:n0={n},s={GROWTH}"}


def _law(strategy: str, n: int, generations: int, c: float, exact: bool) -> np.ndarray | None:
    """``E|theta_t - theta|^2``, ``t = 0..T``: exact for the Gaussian (``c = sigma^2``), first
    order for a GLM (``c = tr I^-1``); None for accumulate-subsample."""
    t_max = generations
    if strategy == "replace":
        return theory.replace_error(c / n, t_max)
    if strategy == "growing":
        sizes = parse_schedule(f"power:n0={n},s={GROWTH}").sizes(t_max).astype(float)
        return c * np.concatenate([[1.0 / n], 1.0 / n + np.cumsum(1.0 / sizes)])
    if strategy == "accumulate":
        if exact:
            return theory.accumulate_gaussian_moments(
                n, [n] * t_max, sigma2=c, variance="unbiased"
            ).mean_error
        return theory.accumulate_error(c / n, t_max)
    if strategy == "anchor":
        if exact:
            return theory.anchor_moments(
                ANCHOR_ALPHA, n, n, t_max, sigma2=c, variance="unbiased", combine="convex"
            ).mean_error
        # First order: theta_t = alpha theta_A + b theta_synth, Q_t = b^2 (Q_{t-1} + c/n).
        b = 1.0 - ANCHOR_ALPHA
        q = np.zeros(t_max + 1)
        for t in range(1, t_max + 1):
            q[t] = b * b * (q[t - 1] + c / n)
        return c / n + q
    if strategy in FRESH:
        w = 0.5 if strategy == "naive" else float(theory.optimal_weight(1.0))
        return theory.exact_error_path("mean", w, n, n, t_max, trace=c)
    return None


def _cell(kind: str, strategy: str, n: int, generations: int, reps: int, seed: Any) -> dict:
    """One strategy on one family: the error per generation and the costs."""
    if kind == "gaussian":
        family: Any = Gaussian(variance="unbiased")
        metrics = ["mean_error", "sigma2"]
        engine = "sample" if strategy == "accumulate-subsample" else "exact"
    else:
        family = LogisticRegression(beta=_BETA)
        metrics = ["param_error", "fit_failed"]
        engine = "sample"
    res = simulate(
        family,
        n0=n,
        generations=generations,
        replications=reps,
        seed=seed,
        engine=engine,
        metrics=metrics,
        record="all",
        **_options(strategy, n),
    )
    err = res.values(metrics[0])
    finite = np.isfinite(err)
    err_f = np.where(finite, err, np.nan)
    extra = res.values(metrics[1])
    n_synth = res.n_synth[1:]
    train = {
        "replace": n,
        "accumulate": n + generations * n,
        "accumulate-subsample": n,
        "anchor": 2 * n,
        "naive": 2 * n,
        "golden-ratio": 2 * n,
        "growing": int(n_synth[-1]) if generations else n,
    }[strategy]
    return {
        "mean": np.nanmean(err_f, axis=0),
        "se": np.nanstd(err_f, axis=0, ddof=1) / np.sqrt(finite.sum(axis=0)),
        "failed": (~finite).sum(axis=0),
        "final": err[:, -1],
        "median": float(np.median(err[:, -1])),
        "extra": np.median(extra, axis=0) if kind == "gaussian" else extra.mean(axis=0),
        "real": int(res.n_real.sum()),
        "synthetic": int(n_synth.sum()),
        "train": train,
    }


_KINDS = {
    "gaussian": ("Gaussian N(0, 1), mean error", "E|mu_t - mu|^2 (squared data units)", True),
    "logistic": (
        f"Logistic regression, beta = {list(_BETA)}",
        "E|beta_t - beta|^2 (squared coefficient units)",
        False,
    ),
}


def _run(ctx: Context) -> Outcome:
    settings = {
        "gaussian": (50, 20 if ctx.quick else 50, ctx.replications),
        "logistic": (200, 6 if ctx.quick else 15, max(100, ctx.replications // 10)),
    }
    constants = {
        "gaussian": 1.0,
        "logistic": theory.model_constant("logistic", beta=list(_BETA), cov_x=np.eye(2)),
    }
    ctx.note(
        strategies=list(STRATEGIES),
        settings={
            k: {"n": v[0], "generations": v[1], "replications": v[2]} for k, v in settings.items()
        },
        anchor_alpha=ANCHOR_ALPHA,
        growing=f"power: n t^{1 + GROWTH:g}",
        logistic_beta=list(_BETA),
    )
    calls = []
    for j, (kind, (n, generations, reps)) in enumerate(settings.items()):
        seed = ctx.child_seed(j)  # the same seed for every strategy: common random numbers
        calls += [(kind, s, n, generations, reps, seed) for s in STRATEGIES]
    ctx.progress(f"{len(calls)} (family, strategy) runs")
    results = dict(zip([(c[0], c[1]) for c in calls], ctx.map(_cell, calls), strict=True))

    rows, key_rows = [], []
    for kind, (n, generations, _) in settings.items():
        c = constants[kind]
        exact = _KINDS[kind][2]
        for s in STRATEGIES:
            r = results[(kind, s)]
            law = _law(s, n, generations, c, exact)
            rows.append(
                pd.DataFrame(
                    {
                        "family": kind,
                        "strategy": s,
                        "t": np.arange(generations + 1),
                        "error": r["mean"],
                        "se": r["se"],
                        "theory": np.nan if law is None else law,
                        "failed_fits": r["failed"],
                    }
                )
            )
            key_rows.append(
                {
                    "family": kind,
                    "strategy": s,
                    "real points": r["real"],
                    "synthetic points": r["synthetic"],
                    "last training set": r["train"],
                    "error at T": r["mean"][-1],
                    "SE": r["se"][-1],
                    "median error at T": r["median"],
                    "theory at T": np.nan if law is None else law[-1],
                    "error / (C/n)": r["mean"][-1] / (c / n),
                    ("median sigma2 at T" if kind == "gaussian" else "failed fits at T"): r[
                        "extra"
                    ][-1],
                }
            )
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)

    verdicts = []
    gauss = table[(table.family == "gaussian") & table.theory.notna()]
    ok = _within(gauss.error, gauss.theory, gauss.se)
    verdicts.append(
        Verdict(
            "Gaussian: every strategy with an exact law follows it (replace, accumulate, anchor, "
            "naive, golden-ratio, growing).",
            bool(ok.all()),
            f"({_count(ok)})",
        )
    )
    for kind in settings:
        part = key[key.family == kind].set_index("strategy")
        n = settings[kind][0]
        best_no_fresh = part.drop(list(FRESH))["error at T"].idxmin()
        naive_final = results[(kind, "naive")]["final"]
        golden_final = results[(kind, "golden-ratio")]["final"]
        both = np.isfinite(naive_final) & np.isfinite(golden_final)
        diff = naive_final[both] - golden_final[both]  # paired: common random numbers
        diff_se = diff.std(ddof=1) / math.sqrt(diff.size)
        verdicts.append(
            Verdict(
                f"{kind}: with n fresh real points per generation, golden-ratio weighting beats "
                "naive mixing at the same data.",
                bool(diff.mean() > 2 * diff_se),
                f"(error at T {part.loc['golden-ratio', 'error at T']:.4g} against "
                f"{part.loc['naive', 'error at T']:.4g}; paired difference "
                f"{diff.mean():.3g} +- {diff_se:.2g})",
            )
        )
        replace_err = part.loc["replace", "error at T"]
        pooled_real = constants[kind] / (n * (settings[kind][1] + 1))
        verdicts.append(
            Verdict(
                f"{kind}: of the strategies without fresh real data, replacing the data has the "
                f"highest error at T; the lowest is {best_no_fresh}'s.",
                bool(part.drop(list(FRESH))["error at T"].idxmax() == "replace"),
                f"({best_no_fresh} {part.loc[best_no_fresh, 'error at T']:.4g} with a last "
                f"training set of {part.loc[best_no_fresh, 'last training set']:,} points and "
                f"{part.loc[best_no_fresh, 'synthetic points']:,} synthetic points drawn; "
                f"replace {replace_err:.4g}, {replace_err / (constants[kind] / n):.3g} times the "
                f"real-data error C/n; for scale, the fresh strategies' "
                f"{part.loc['naive', 'real points']:,} real points pooled alone would give "
                f"C/{part.loc['naive', 'real points']:,} = {pooled_real:.3g})",
            )
        )
    glm = table[(table.family == "logistic") & table.theory.notna()]
    last = glm[glm.t == glm.t.max()]
    ratio = (last.error / last.theory).to_numpy()
    rank_sim = last.error.rank().to_numpy()
    rank_theory = last.theory.rank().to_numpy()
    verdicts.append(
        Verdict(
            "Logistic regression: the first-order laws rank the strategies as simulation does.",
            bool(np.array_equal(rank_sim, rank_theory)),
            "(simulated / first-order error at T: "
            + ", ".join(f"{s} {q:.3g}" for s, q in zip(last.strategy, ratio, strict=True))
            + ")",
        )
    )

    fig, axes = new_figure(3, width=4.6)
    for ax, kind in zip(axes[:2], settings, strict=False):
        title, ylabel, _ = _KINDS[kind]
        n = settings[kind][0]
        for s in STRATEGIES:
            part = table[(table.family == kind) & (table.strategy == s)]
            line = plot_band(ax, part.t, part.error, part.se, s, marker="")
            if part.theory.notna().all():
                plot_theory(ax, part.t, part.theory, None, color=line.get_color())
        ax.axhline(
            constants[kind] / n,
            color="grey",
            linestyle=":",
            linewidth=1.0,
            label="real data only, C/n",
        )
        law_name = "exact law" if _KINDS[kind][2] else "first-order law"
        ax.plot([], [], color="black", label=law_name, **THEORY_STYLE)
        ax.set(xlabel="generation t", ylabel=ylabel, yscale="log", title=title)
        ax.legend(fontsize=6)
    ax = axes[2]
    for kind, marker in (("gaussian", "o"), ("logistic", "s")):
        part = key[key.family == kind]
        ax.scatter(
            part["real points"] + part["synthetic points"],
            part["error / (C/n)"],
            marker=marker,
            label=kind,
        )
        for _, row in part.iterrows():
            ax.annotate(
                row.strategy,
                (row["real points"] + row["synthetic points"], row["error / (C/n)"]),
                fontsize=6,
            )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="points drawn over the run, real + synthetic (points)",
        ylabel="error at T / (C/n) (ratio)",
        title="Error against cost",
    )
    ax.legend(fontsize=7)
    notes = [
        "Every strategy starts from the same n real points (generation 0). Dashed lines: exact "
        "laws (Gaussian) and first-order laws (logistic, C = tr I(beta)^-1); accumulate-subsample "
        "has none. The fresh-data strategies consume n real points every generation, the others "
        "only the generation-0 ones: the 'real points' column is the price of their lower error.",
        f"anchor: the generation-0 data weighted {ANCHOR_ALPHA} against n synthetic points; "
        f"growing: n_t = n t^{1 + GROWTH:g}; logistic runs use {settings['logistic'][2]:,} "
        "replications (a tenth of the Gaussian's, at least 100).",
    ]
    for kind in settings:
        part = key[key.family == kind].set_index("strategy")
        order = part["error at T"].sort_values()
        best, best_no_fresh = order.index[0], order.drop(list(FRESH)).index[0]
        cheapest = part.loc[order.index[order.to_numpy() <= 2 * order.iloc[0]]]
        factor = order[best_no_fresh] / order.iloc[0]
        notes.append(
            f"Finding ({kind}): lowest error at T: {best} ({order.iloc[0]:.4g}, "
            f"{part.loc[best, 'real points']:,} real points); without fresh real data: "
            f"{best_no_fresh} ({order[best_no_fresh]:.4g}, {factor:.3g} "
            f"times that, with only {part.loc[best_no_fresh, 'real points']:,} real points and a "
            f"last training set of {part.loc[best_no_fresh, 'last training set']:,}). Within twice "
            "the lowest error: "
            + ", ".join(cheapest.index)
            + ". Ranking: "
            + " < ".join(order.index)
            + "."
        )
    rep = key[(key.family == "logistic") & (key.strategy == "replace")].iloc[0]
    notes.append(
        "Logistic regression under replace: the coefficients drift to where the information is "
        "small, so later steps are larger and the error is heavy-tailed (mean "
        f"{rep['error at T']:.3g}, median {rep['median error at T']:.3g} at T); the first-order "
        "law (t + 1) C/n, which keeps C at the true coefficients, describes only its start."
    )
    return Outcome(table, {"strategies": fig}, key, verdicts, notes)


register(
    Experiment(
        "strategies",
        "Every strategy head to head: replace, accumulate, accumulate-subsample, anchor, naive "
        "and golden-ratio mixing, growing schedules",
        PAPERS,
        "Strategies compared",
        10_000,
        1_000,
        _run,
    )
)
