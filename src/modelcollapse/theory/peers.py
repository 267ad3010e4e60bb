"""Closed forms of the related regimes (spec ``peers.md``).

Accumulating data (Gerstgrasser et al. 2024; Dohmatob et al.): when generation ``t`` fits all
the data so far, unweighted, and each generation's data has the same size, the estimate is the
running average of the per-generation estimates ``b_i = theta_{i-1} + e_i``; with independent
steps of variance ``c`` (for a fixed-design regression ``c = sigma2 tr((X'X)^-1)``, exactly),
``E|theta_t - theta*|^2 = c sum_{i=1}^{t+1} 1/i^2``, bounded by ``(pi^2/6) c``, where replacing
the data gives ``c (t + 1)``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_real

__all__ = ["accumulate_error", "replace_error"]


def accumulate_error(constant: float, generations: int) -> np.ndarray:
    """``c sum_{i=1}^{t+1} 1/i^2`` for ``t = 0..T`` (accumulate regime, equal sizes).

    Examples
    --------
    >>> accumulate_error(1.0, 2).round(4).tolist()
    [1.0, 1.25, 1.3611]
    """
    constant = check_real("constant", constant, lower=0.0)
    generations = check_int("generations", generations, minimum=0)
    i = np.arange(1, generations + 2, dtype=float)
    return constant * np.cumsum(1.0 / (i * i))


def replace_error(constant: float, generations: int) -> np.ndarray:
    """``c (t + 1)`` for ``t = 0..T`` (replace regime, fully synthetic, equal sizes)."""
    constant = check_real("constant", constant, lower=0.0)
    generations = check_int("generations", generations, minimum=0)
    return constant * np.arange(1, generations + 2, dtype=float)
