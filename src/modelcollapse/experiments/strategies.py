"""``strategies``: every way of training on synthetic data, head to head.

Eight strategies, each starting from the same ``n0 = n`` real points (common random numbers:
the same seed, so the same generation-0 data and the same synthetic noise):

``replace``
    Train on the last model's ``n`` synthetic points only (paper 1; Shumailov et al.).
``accumulate``
    Train on every point so far, real and synthetic, unweighted (Gerstgrasser et al.).
``accumulate-subsample``
    Accumulate, but train on ``n`` points drawn from the pool (Kazdan et al.).
``anchor``
    Reuse the ``n0`` real points every generation, weight ``1/2`` against ``n`` synthetic ones.
``naive``, ``golden-ratio`` and ``greedy``
    ``n`` fresh real points every generation mixed with ``n`` synthetic points, weighted
    ``k/(1+k) = 1/2``, ``w* = 1/phi`` and paper 2's greedy time-varying weight
    ``w_t = (n e_{t-1}/C + k)/(1 + n e_{t-1}/C + k)`` (which reaches the stationary error
    ``w* C/n`` of the optimal constant weight). These three arms run in one
    :func:`~modelcollapse.simulate_weights` call: the same fresh real data and the same noise.
``growing``
    Fully synthetic with a superlinearly growing size ``n_t = n t^1.5`` (paper 1: ``sum 1/n_t <
    inf`` avoids collapse).

For the Gaussian (mean and variance estimated, unbiased variance, paper 2's convex combination)
every strategy but accumulate-subsample has an exact law for ``E|mu_t - mu|^2``; for the logistic
regression the laws are first order (``C = tr I(beta)^-1`` in place of ``sigma^2``). Orderings
between strategies are tested on the error averaged over the last half of the generations,
``t0 = T // 2 .. T``, by paired differences per replication (common random numbers), against
the gap the laws predict. The summary states what each strategy costs: the real points it
consumed, the synthetic points it drew, and the size of its last training set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate, simulate_weights
from ..families import Gaussian, LogisticRegression
from ..plots import THEORY_STYLE, new_figure, plot_band, plot_theory
from ..schedules import parse_schedule
from .registry import Context, Experiment, Outcome, register
from .verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, compare, ordering, threshold

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
    "greedy",
    "growing",
)
#: Strategies that draw fresh real data every generation, and their weight rules.
FRESH = {"naive": "naive", "golden-ratio": "optimal", "greedy": "greedy"}
#: Strategies whose exact (Gaussian) laws the first verdict checks together.
EXACT_TOGETHER = ("replace", "accumulate", "anchor", "naive", "golden-ratio", "growing")
#: Strategies without fresh real data that have a law (accumulate-subsample has none).
NO_FRESH_WITH_LAW = ("accumulate", "anchor", "growing")
ANCHOR_ALPHA = 0.5
GROWTH = 0.5  # n_t = n t^(1 + GROWTH)
_BETA = (1.0, -1.0)
#: One colour per strategy, the same in every panel.
COLORS = {s: f"C{i}" for i, s in enumerate(STRATEGIES)}
#: Marker areas in the cost panel: strategies with the same cost (accumulate and anchor; the
#: three fresh-data weights) nest instead of hiding one another.
SIZES = {
    "replace": 40,
    "accumulate": 90,
    "accumulate-subsample": 40,
    "anchor": 30,
    "naive": 130,
    "golden-ratio": 65,
    "greedy": 20,
    "growing": 40,
}


def _options(strategy: str, n: int) -> dict[str, Any]:
    """The :func:`simulate` options of a strategy without fresh real data."""
    if strategy in ("replace", "accumulate", "accumulate-subsample"):
        return {"schedule": n, "regime": strategy}
    if strategy == "anchor":
        return {"schedule": n, "regime": f"anchor:alpha={ANCHOR_ALPHA}"}
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
    if strategy == "greedy":
        # Exact for the Gaussian mean (the weights are deterministic), first order otherwise.
        sizes = [n] * t_max
        w, _ = theory.greedy_weights(n, sizes, sizes)
        return theory.gaussian_mean_error(n, sizes, sizes, w, trace=c)
    if strategy in FRESH:
        w = 0.5 if strategy == "naive" else float(theory.optimal_weight(1.0))
        return theory.exact_error_path("mean", w, n, n, t_max, trace=c)
    return None


def _stationary(strategy: str, n: int, c: float) -> float:
    """The stationary error of a fresh-data strategy at ``k = 1``: ``C R(w, 1)/n``, which is
    ``w* C/n`` for the golden ratio and the greedy weight; NaN for the others."""
    if strategy == "naive":
        return c / n * float(theory.limiting_ratio(0.5, 1.0))
    if strategy in ("golden-ratio", "greedy"):
        return c / n * float(theory.optimal_weight(1.0))
    return math.nan


def _summaries(res: Any, strategy: str, kind: str, n: int, generations: int, t0: int) -> dict:
    """One arm's error per generation, its per-replication window means and its costs."""
    metric = "mean_error" if kind == "gaussian" else "param_error"
    err = res.values(metric)
    finite = np.isfinite(err)
    err_f = np.where(finite, err, np.nan)
    extra = res.values("sigma2" if kind == "gaussian" else "fit_failed")
    n_synth = res.n_synth[1:]
    train = {
        "replace": n,
        "accumulate": n + generations * n,
        "accumulate-subsample": n,
        "anchor": 2 * n,
        "growing": int(n_synth[-1]) if generations else n,
    }.get(strategy, 2 * n)
    window = err[:, t0:]
    return {
        "mean": np.nanmean(err_f, axis=0),
        "se": np.nanstd(err_f, axis=0, ddof=1) / np.sqrt(finite.sum(axis=0)),
        "failed": (~finite).sum(axis=0),
        "window": np.where(np.isfinite(window).all(axis=1), window.mean(axis=1), np.nan),
        "median": float(np.median(err[:, -1])),
        "extra": np.median(extra, axis=0) if kind == "gaussian" else extra.mean(axis=0),
        "real": int(res.n_real.sum()),
        "synthetic": int(n_synth.sum()),
        "train": train,
    }


def _cell(
    kind: str, strategies: Sequence[str], n: int, generations: int, reps: int, seed: Any
) -> list[dict]:
    """Strategies on one family: one :func:`simulate` call, or one :func:`simulate_weights`
    call for the fresh-data arms (common random numbers)."""
    if kind == "gaussian":
        family: Any = Gaussian(variance="unbiased")
        metrics = ["mean_error", "sigma2"]
        engine = "sample" if strategies == ("accumulate-subsample",) else "exact"
    else:
        family = LogisticRegression(beta=_BETA)
        metrics = ["param_error", "fit_failed"]
        engine = "sample"
    common = {
        "n0": n,
        "generations": generations,
        "replications": reps,
        "seed": seed,
        "engine": engine,
        "metrics": metrics,
        "record": "all",
    }
    if strategies[0] in FRESH:
        runs = simulate_weights(
            family, weights=[FRESH[s] for s in strategies], schedule=n, n_real=n, **common
        )
    else:
        (strategy,) = strategies
        runs = [simulate(family, **common, **_options(strategy, n))]
    t0 = generations // 2
    return [
        _summaries(res, s, kind, n, generations, t0)
        for res, s in zip(runs, strategies, strict=True)
    ]


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
        "logistic": (200, 6 if ctx.quick else 15, max(500, ctx.replications // 10)),
    }
    constants = {
        "gaussian": 1.0,
        "logistic": theory.model_constant("logistic", beta=list(_BETA), cov_x=np.eye(2)),
    }
    ctx.note(
        strategies=list(STRATEGIES),
        settings={
            k: {"n": v[0], "generations": v[1], "replications": v[2], "window": [v[1] // 2, v[1]]}
            for k, v in settings.items()
        },
        anchor_alpha=ANCHOR_ALPHA,
        growing=f"power: n t^{1 + GROWTH:g}",
        logistic_beta=list(_BETA),
    )
    groups = [(s,) for s in STRATEGIES if s not in FRESH] + [tuple(FRESH)]
    calls = []
    for j, (kind, (n, generations, reps)) in enumerate(settings.items()):
        seed = ctx.child_seed(j)  # the same seed for every strategy: common random numbers
        calls += [(kind, g, n, generations, reps, seed) for g in groups]
    ctx.progress(f"{len(calls)} (family, strategies) runs")
    results = {}
    for call, out in zip(calls, ctx.map(_cell, calls), strict=True):
        results.update({(call[0], s): r for s, r in zip(call[1], out, strict=True)})

    rows, key_rows = [], []
    for kind, (n, generations, reps) in settings.items():
        c = constants[kind]
        exact = _KINDS[kind][2]
        t0 = generations // 2
        same = {"family": kind, "n": n, "generations": generations, "t0": t0}
        same.update(replications=reps, c=c)
        laws = {s: _law(s, n, generations, c, exact) for s in STRATEGIES}
        window_law = {s: (math.nan if v is None else float(v[t0:].mean())) for s, v in laws.items()}
        for s in STRATEGIES:
            r = results[(kind, s)]
            law = laws[s]
            rows.append(
                pd.DataFrame(
                    {
                        "part": "curve",
                        **same,
                        "strategy": s,
                        "t": np.arange(generations + 1),
                        "error": r["mean"],
                        "se": r["se"],
                        "theory": np.nan if law is None else law,
                        "failed_fits": r["failed"],
                    }
                )
            )
            win = r["window"][np.isfinite(r["window"])]
            rows.append(
                pd.DataFrame(
                    {
                        "part": "window",
                        **same,
                        "strategy": [s],
                        "error": [win.mean()],
                        "se": [win.std(ddof=1) / math.sqrt(win.size)],
                        "theory": [window_law[s]],
                        "stationary": [_stationary(s, n, c)],
                        "pairs": [win.size],
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
                    "window": f"t = {t0}..{generations}",
                    "mean error in window": win.mean(),
                    "theory in window": window_law[s],
                    "error / (C/n)": r["mean"][-1] / (c / n),
                    ("median sigma2 at T" if kind == "gaussian" else "failed fits at T"): r[
                        "extra"
                    ][-1],
                }
            )
        with_law = [s for s in STRATEGIES if laws[s] is not None]
        for a, b in itertools.combinations(with_law, 2):
            wa, wb = results[(kind, a)]["window"], results[(kind, b)]["window"]
            both = np.isfinite(wa) & np.isfinite(wb)
            diff = wb[both] - wa[both]  # paired: common random numbers
            rows.append(
                pd.DataFrame(
                    {
                        "part": "pair",
                        **same,
                        "strategy": [a],
                        "other": [b],
                        "error": [diff.mean()],
                        "se": [diff.std(ddof=1) / math.sqrt(diff.size)],
                        "theory": [window_law[b] - window_law[a]],
                        "law_a": [window_law[a]],
                        "law_b": [window_law[b]],
                        "pairs": [diff.size],
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    fig = _figure(table, key, settings, constants)
    notes = _notes(key, settings)
    return Outcome(table, {"strategies": fig}, key, notes=notes)


def _figure(
    table: pd.DataFrame,
    key: pd.DataFrame,
    settings: dict[str, tuple[int, int, int]],
    constants: dict[str, float],
) -> Any:
    fig, axes = new_figure(3, width=4.8, height=4.4)
    curves = table[table.part == "curve"]
    for ax, kind in zip(axes[:2], settings, strict=False):
        title, ylabel, exact = _KINDS[kind]
        n, generations, reps = settings[kind]
        for s in STRATEGIES:
            part = curves[(curves.family == kind) & (curves.strategy == s)]
            plot_band(ax, part.t, part.error, part.se, s, color=COLORS[s], marker="")
            if part.theory.notna().all():
                plot_theory(ax, part.t, part.theory, None, color=COLORS[s])
        ax.axhline(
            constants[kind] / n,
            color="grey",
            linestyle=":",
            linewidth=1.0,
            label="real data only, C/n",
        )
        law_name = "exact law" if exact else "first-order law"
        ax.plot([], [], color="black", label=law_name, **THEORY_STYLE)
        ax.set(
            xlabel="generation t",
            ylabel=ylabel,
            yscale="log",
            title=f"{title}\nn = {n}, T = {generations}, R = {reps:,}",
        )
        ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax = axes[2]
    markers = {"gaussian": "o", "logistic": "s"}
    for kind, marker in markers.items():
        part = key[key.family == kind]
        ax.scatter(
            part["real points"] + part["synthetic points"],
            part["error / (C/n)"],
            marker=marker,
            c=[COLORS[s] for s in part.strategy],
            s=[SIZES[s] for s in part.strategy],
            edgecolors="black",
            linewidths=0.5,
        )
    for kind, marker in markers.items():
        ax.scatter([], [], marker=marker, color="white", edgecolors="black", label=kind)
    for s in STRATEGIES:
        ax.scatter([], [], marker="o", color=COLORS[s], label=s)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="points drawn over the run, real + synthetic (points)",
        ylabel="error at T / (C/n) (ratio)",
        title="Error against cost\n(colour: strategy, marker: family)",
    )
    ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax.margins(0.15)
    return fig


def _notes(key: pd.DataFrame, settings: dict[str, tuple[int, int, int]]) -> list[str]:
    fresh = list(FRESH)
    notes = [
        "Every strategy starts from the same n real points (generation 0). Dashed lines: exact "
        "laws (Gaussian) and first-order laws (logistic, C = tr I(beta)^-1); accumulate-subsample "
        "has none. In the cost panel, strategies of equal cost (accumulate and anchor; the "
        "three fresh-data weights) are drawn as nested markers. The fresh-data strategies "
        "consume n real points every generation, the others only the generation-0 ones: the "
        "'real points' column is the price of their lower error.",
        f"anchor: the generation-0 data weighted {ANCHOR_ALPHA} against n synthetic points; "
        f"growing: n_t = n t^{1 + GROWTH:g}; greedy: paper 2's time-varying weight, bound to "
        "n0 = n, which converges to 1/phi within a few generations (so greedy and golden-ratio "
        "nearly coincide from then on, on common random numbers); logistic runs use "
        f"{settings['logistic'][2]:,} replications (a tenth of the Gaussian's, at least 500). "
        "Orderings are judged on the mean error over generations "
        + ", ".join(f"{v[1] // 2}..{v[1]} ({k})" for k, v in settings.items())
        + ", by paired differences per replication.",
    ]
    for kind in settings:
        part = key[key.family == kind].set_index("strategy")
        order = part["error at T"].sort_values()
        best, best_no_fresh = order.index[0], order.drop(fresh).index[0]
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
    return notes


# -- verdicts -------------------------------------------------------------------------------------


def _pair(table: pd.DataFrame, family: str, a: str, b: str) -> tuple[pd.Series, int]:
    """The stored pair row of ``a`` and ``b`` and the orientation (+1: stored as ``b - a``)."""
    rows = table[(table.part == "pair") & (table.family == family)]
    hit = rows[(rows.strategy == a) & (rows.other == b)]
    if len(hit):
        return hit.iloc[0], 1
    return rows[(rows.strategy == b) & (rows.other == a)].iloc[0], -1


def _oriented(
    table: pd.DataFrame, family: str, pairs: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, ...]:
    """For claims ``a < b``: paired differences ``b - a``, their SEs, the predicted gaps and the
    predicted window error of ``b``."""
    diff, se, predicted, scale = [], [], [], []
    for a, b in pairs:
        row, sign = _pair(table, family, a, b)
        diff.append(sign * row.error)
        se.append(row.se)
        predicted.append(sign * row.theory)
        scale.append(row.law_b if sign > 0 else row.law_a)
    return tuple(np.asarray(v, dtype=float) for v in (diff, se, predicted, scale))


def _shrink(
    family: str, pairs: Sequence[tuple[str, str]]
) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Perturbation for claims ``a < b``: arm ``b`` moved towards ``a`` by ``size`` times its
    predicted error (the paired differences ``b - a`` shrink by that much)."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        for a, b in pairs:
            row, sign = _pair(out, family, a, b)
            scale = abs(row.law_b if sign > 0 else row.law_a)
            out.loc[row.name, "error"] = row.error - sign * size * scale
        return out

    return perturb


def _order_verdict(
    table: pd.DataFrame, family: str, pairs: Sequence[tuple[str, str]], claim: str
) -> Verdict:
    """A predicted ordering ``a < b`` (every pair) tested on the paired window differences."""
    diff, se, predicted, scale = _oriented(table, family, pairs)
    o = ordering(diff, se, predicted, scale)
    detail = ", ".join(
        f"{b} - {a} {d:.3g} +- {s:.2g} (predicted {g:.3g}: {(d - g) / s:+.1f} SE, {d / g - 1:+.0%})"
        for (a, b), d, s, g in zip(pairs, diff, se, predicted, strict=True)
    )
    return Verdict(
        claim,
        o.holds(),
        f"(paired differences of the mean error over t = {_window(table, family)}: {detail}; "
        f"{o.text()}"
        + ("" if o.informative else "; the predicted gap is below what this scale resolves")
        + ")",
        kind="simulation" if family == "gaussian" else "approximation",
        detectable=o.detectable,
        inputs=("error",),
        perturb=_shrink(family, pairs),
    )


def _window(table: pd.DataFrame, family: str) -> str:
    row = table[table.family == family].iloc[0]
    return f"{int(row.t0)}..{int(row.generations)}"


def _ranking(table: pd.DataFrame, family: str) -> Verdict:
    """No pair of the original strategies with a law ranked by the simulation, beyond its SE,
    in the opposite order to its first-order law."""
    pairs = []
    for a, b in itertools.combinations(EXACT_TOGETHER, 2):
        row, _ = _pair(table, family, a, b)
        lower, upper = (row.strategy, row.other) if row.theory > 0 else (row.other, row.strategy)
        pairs.append((lower, upper))
    diff, se, predicted, scale = _oriented(table, family, pairs)
    z = threshold(len(pairs))
    reversed_ = diff < -z * se
    resolved = diff > z * se
    reach = (predicted + (z + DETECTION_MARGIN) * se) / np.abs(scale)
    detectable = float(np.min(reach))
    worst = int(np.argmin(diff / se))
    return Verdict(
        f"{family}: the simulation orders the strategies as the first-order laws do (mean error "
        f"over generations {_window(table, family)}).",
        None if detectable > MAX_DETECTABLE else bool(not reversed_.any()),
        f"({int(reversed_.sum())} of {len(pairs)} pairs reversed beyond {z:.2g} SE, "
        f"{int(resolved.sum())} resolved in the predicted order; least agreeing pair "
        f"{pairs[worst][0]} < {pairs[worst][1]}: paired difference {diff[worst]:.3g} +- "
        f"{se[worst]:.2g}, predicted {predicted[worst]:.3g})",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_shrink(family, pairs),
    )


def _judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``strategies``, from its results table alone."""
    curves = table[table.part == "curve"]
    windows = table[table.part == "window"].set_index(["family", "strategy"])
    gauss = curves[(curves.family == "gaussian") & curves.strategy.isin(EXACT_TOGETHER)]
    together = compare(gauss.error, gauss.theory, gauss.se)
    greedy = curves[(curves.family == "gaussian") & (curves.strategy == "greedy")]
    greedy_law = compare(greedy.error, greedy.theory, greedy.se)
    g = windows.loc[("gaussian", "greedy")]
    stationary = compare(g.error, g.stationary, g.se)
    t_max = int(greedy.t.max())
    verdicts = [
        Verdict(
            "gaussian: every strategy with an exact law follows it (replace, accumulate, anchor, "
            "naive, golden-ratio, growing).",
            together.holds(),
            f"({together.text()})",
            kind="simulation",
            detectable=together.detectable,
            inputs=("error",),
        ),
        Verdict(
            "gaussian: the greedy time-varying weight's simulated error follows its exact law "
            "at every generation.",
            greedy_law.holds(),
            f"({greedy_law.text()}; at T = {t_max}: {greedy.error.iloc[-1]:.4g} +- "
            f"{greedy.se.iloc[-1]:.2g} against {greedy.theory.iloc[-1]:.4g})",
            kind="simulation",
            detectable=greedy_law.detectable,
            inputs=("error",),
        ),
        Verdict(
            "gaussian: the greedy weight reaches the stationary error w* C/n of the optimal "
            f"constant weight (mean error over generations {_window(table, 'gaussian')}).",
            stationary.holds(),
            f"({g.error:.5g} +- {g.se:.2g} against w* C/n = {g.stationary:.5g}, "
            f"z = {float(stationary.z[0]):.2f}; the exact law over the window is "
            f"{g.theory / g.stationary - 1:+.1e} relative to it)",
            kind="simulation",
            detectable=stationary.detectable,
            inputs=("error",),
        ),
    ]
    for family in ("gaussian", "logistic"):
        span = _window(table, family)
        verdicts += [
            _order_verdict(
                table,
                family,
                [("golden-ratio", "naive")],
                f"{family}: with n fresh real points per generation, golden-ratio mixing has a "
                f"lower error than naive mixing (mean over generations {span}).",
            ),
            _order_verdict(
                table,
                family,
                [("greedy", "naive")],
                f"{family}: the greedy time-varying weight has a lower error than naive mixing "
                f"(mean over generations {span}).",
            ),
            _order_verdict(
                table,
                family,
                [(s, "replace") for s in NO_FRESH_WITH_LAW],
                f"{family}: of the strategies without fresh real data, replacing the data has a "
                f"higher error than accumulating, anchoring or a growing size (mean over "
                f"generations {span}).",
            ),
        ]
    verdicts.append(_ranking(table, "logistic"))
    return verdicts


register(
    Experiment(
        "strategies",
        "Every strategy head to head: replace, accumulate, accumulate-subsample, anchor, naive, "
        "golden-ratio and greedy mixing, growing schedules",
        PAPERS,
        "Strategies compared",
        10_000,
        1_000,
        _run,
        judge=_judge,
    )
)
