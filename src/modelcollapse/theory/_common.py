"""Input handling shared by the theory modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import InvalidArgumentError, check_choice, check_int, fail

VARIANCE_ESTIMATORS = ("unbiased", "mle")


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
