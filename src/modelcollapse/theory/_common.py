"""Input handling shared by the theory modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import InvalidArgumentError, check_choice, check_int, check_memory, fail

VARIANCE_ESTIMATORS = ("unbiased", "mle")
#: Bytes per generation the closed forms hold at their peak: a few dozen float arrays over the
#: horizon (sizes, the chain's terms, their cumulative sums) and complex ones for the
#: characteristic function of :func:`~modelcollapse.theory.collapse_probability`.
HORIZON_BYTES = 256
#: Bytes per replication of the Monte Carlo of
#: :func:`~modelcollapse.theory.win_probability_exact` (its arrays and the random generators of
#: the replication blocks).
PATH_BYTES = 72


def check_horizon(
    generations: int, extra: float = 0.0, per_generation: float = HORIZON_BYTES
) -> None:
    """Refuse a horizon of ``generations`` whose arrays (``per_generation`` bytes each, plus
    ``extra`` bytes) exceed the memory available, before any array is made."""

    def fits(budget: float) -> str:
        most = int((budget - extra) // per_generation) - 1
        if most < 0:
            return "fewer replications would fit"
        return f"at most {most:,} generations fit with these settings"

    check_memory("generations", per_generation * (generations + 1.0) + extra, generations, fits)


def check_paths(replications: int, generations: int) -> None:
    """Refuse a Monte Carlo over ``replications`` variance paths that would not fit in memory."""
    horizon = HORIZON_BYTES * (generations + 1.0)

    def fits(budget: float) -> str:
        most = int((budget - horizon) // PATH_BYTES)
        return f"at most {max(most, 0):,} replications fit with these settings"

    check_memory("replications", PATH_BYTES * float(replications) + horizon, replications, fits)


def sizes_array(name: str, sizes: Any, minimum: int) -> np.ndarray:
    """``sizes`` (sizes for generations 1..T) as a float array, each at least ``minimum``."""
    arr = np.atleast_1d(np.asarray(sizes, dtype=float))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise fail(name, "must be a sequence of integer sample sizes", sizes)
    if np.any(arr < minimum):
        t = int(np.argmax(arr < minimum))
        raise InvalidArgumentError(
            f"{name}: every size must be >= {minimum} (got {arr[t]:g} at generation t={t + 1})"
        )
    return arr


def full_sizes(n0: Any, n_synth: Any, minimum: int = 2) -> np.ndarray:
    """``[n0, n_synth(1), ..., n_synth(T)]`` as floats, validated."""
    first = check_int("n0", n0, minimum=minimum)
    return np.concatenate([[float(first)], sizes_array("n_synth", n_synth, minimum)])


def estimator(variance: str) -> str:
    return check_choice("variance", variance, VARIANCE_ESTIMATORS)
