"""The arms of ``strategies`` (:mod:`.strategies`): what each strategy runs, its law, its cost,
and one simulation of a group of arms on common random numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import theory
from ...engine import simulate, simulate_weights
from ...families import Gaussian, LogisticRegression
from ...schedules import parse_schedule

__all__ = [
    "ANCHOR_ALPHA",
    "BETA",
    "EXACT_TOGETHER",
    "FRESH",
    "GROWTH",
    "NO_FRESH_WITH_LAW",
    "STRATEGIES",
    "costs",
    "law",
    "options",
    "simulate_arms",
    "stationary",
]

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
#: The true coefficients of the logistic regression.
BETA = (1.0, -1.0)


def options(strategy: str, n: int) -> dict[str, Any]:
    """The :func:`~modelcollapse.simulate` options of a strategy without fresh real data.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES` not in :data:`FRESH`.
    n : int
        The synthetic size (and ``n0``).

    Returns
    -------
    dict
        ``schedule`` and, but for ``growing``, ``regime``.
    """
    if strategy in ("replace", "accumulate", "accumulate-subsample"):
        return {"schedule": n, "regime": strategy}
    if strategy == "anchor":
        return {"schedule": n, "regime": f"anchor:alpha={ANCHOR_ALPHA}"}
    return {"schedule": f"power:n0={n},s={GROWTH}"}


def _growing_sizes(n: int, generations: int) -> np.ndarray:
    """The synthetic sizes ``n_t = n t^(1 + GROWTH)``, ``t = 1..T``."""
    return parse_schedule(f"power:n0={n},s={GROWTH}").sizes(generations)


def _anchor_law(n: int, t_max: int, c: float, exact: bool) -> np.ndarray:
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


def law(strategy: str, n: int, generations: int, c: float, exact: bool) -> np.ndarray | None:
    """``E|theta_t - theta|^2``, ``t = 0..T``: exact for the Gaussian (``c = sigma^2``), first
    order for a GLM (``c = tr I^-1``).

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    n : int
        ``n0``, the synthetic size and (fresh-data strategies) the real size per generation.
    generations : int
        ``T``.
    c : float
        ``sigma^2`` (Gaussian) or ``tr I^-1`` (GLM).
    exact : bool
        The Gaussian's exact laws (True) or first-order ones (False).

    Returns
    -------
    numpy.ndarray or None
        The law at ``t = 0..T``; None for accumulate-subsample.
    """
    t_max = generations
    if strategy == "replace":
        return theory.replace_error(c / n, t_max)
    if strategy == "growing":
        sizes = _growing_sizes(n, t_max).astype(float)
        return c * np.concatenate([[1.0 / n], 1.0 / n + np.cumsum(1.0 / sizes)])
    if strategy == "accumulate":
        if exact:
            return theory.accumulate_gaussian_moments(
                n, [n] * t_max, sigma2=c, variance="unbiased"
            ).mean_error
        return theory.accumulate_error(c / n, t_max)
    if strategy == "anchor":
        return _anchor_law(n, t_max, c, exact)
    if strategy == "greedy":
        # Exact for the Gaussian mean (the weights are deterministic), first order otherwise.
        steps = [n] * t_max
        weights, _ = theory.greedy_weights(n, steps, steps)
        return theory.gaussian_mean_error(n, steps, steps, weights, trace=c)
    if strategy in FRESH:
        w = 0.5 if strategy == "naive" else float(theory.optimal_weight(1.0))
        return theory.exact_error_path("mean", w, n, n, t_max, trace=c)
    return None


def stationary(strategy: str, n: int, c: float) -> float:
    """The stationary error of a fresh-data strategy at ``k = 1``: ``C R(w, 1)/n``, which is
    ``w* C/n`` for the golden ratio and the greedy weight; NaN for the others."""
    if strategy == "naive":
        return c / n * float(theory.limiting_ratio(0.5, 1.0))
    if strategy in ("golden-ratio", "greedy"):
        return c / n * float(theory.optimal_weight(1.0))
    return math.nan


def costs(strategy: str, n: int, generations: int) -> tuple[int, int, int]:
    """What a strategy costs over a run: the real points it consumes (``n0 = n``, plus ``n``
    per generation with fresh real data), the synthetic points it draws, and the size of its
    last training set.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`.
    n : int
        ``n0``, the synthetic size and (fresh-data strategies) the real size per generation.
    generations : int
        ``T``.

    Returns
    -------
    tuple of int
        ``(real points, synthetic points, last training set)``.
    """
    real = n + (n * generations if strategy in FRESH else 0)
    if strategy == "growing":
        sizes = _growing_sizes(n, generations)
        return real, int(sizes.sum()), int(sizes[-1]) if generations else n
    train = {
        "replace": n,
        "accumulate": n + generations * n,
        "accumulate-subsample": n,
        "anchor": 2 * n,
    }.get(strategy, 2 * n)
    return real, n * generations, train


def _summaries(res: Any, kind: str, t0: int) -> dict[str, Any]:
    """One arm's error per generation and its per-replication window means."""
    metric = "mean_error" if kind == "gaussian" else "param_error"
    err = res.values(metric)
    finite = np.isfinite(err)
    err_f = np.where(finite, err, np.nan)
    extra = res.values("sigma2" if kind == "gaussian" else "fit_failed")
    window = err[:, t0:]
    return {
        "mean": np.nanmean(err_f, axis=0),
        "se": np.nanstd(err_f, axis=0, ddof=1) / np.sqrt(finite.sum(axis=0)),
        "failed": (~finite).sum(axis=0),
        "window": np.where(np.isfinite(window).all(axis=1), window.mean(axis=1), np.nan),
        "median": float(np.median(err[:, -1])),
        "extra": np.median(extra, axis=0) if kind == "gaussian" else extra.mean(axis=0),
    }


def simulate_arms(
    kind: str, strategies: Sequence[str], n: int, generations: int, reps: int, seed: Any
) -> list[dict[str, Any]]:
    """Strategies on one family: one :func:`~modelcollapse.simulate` call, or one
    :func:`~modelcollapse.simulate_weights` call for the fresh-data arms (common random
    numbers). Module level, so that a process pool can run it.

    Parameters
    ----------
    kind : str
        ``"gaussian"`` or ``"logistic"``.
    strategies : sequence of str
        One strategy without fresh real data, or the strategies of :data:`FRESH`.
    n, generations, reps : int
        ``n0`` (and the synthetic and real sizes), ``T`` and the replications.
    seed : numpy.random.SeedSequence
        The family's stream (the same for every group: common random numbers).

    Returns
    -------
    list of dict
        Per strategy: ``mean`` and ``se`` of the error per generation, ``failed`` (non-finite
        errors per generation), ``window`` (per replication, the mean error over
        ``t = T // 2 .. T``), ``median`` (error at T) and ``extra`` (per generation, the median
        ``sigma2`` or the share of failed fits).
    """
    if kind == "gaussian":
        family: Any = Gaussian(variance="unbiased")
        metrics = ["mean_error", "sigma2"]
        engine = "sample" if tuple(strategies) == ("accumulate-subsample",) else "exact"
    else:
        family = LogisticRegression(beta=BETA)
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
        runs = [simulate(family, **common, **options(strategy, n))]
    t0 = generations // 2
    return [_summaries(res, kind, t0) for res in runs]
