"""Closed forms of the related regimes (spec ``peers.md``).

Accumulating data (Gerstgrasser et al. 2024; Dohmatob et al.): when generation ``t`` fits all
the data so far, unweighted, and each generation's data has the same size, the estimate is the
running average of the per-generation estimates ``b_i = theta_{i-1} + e_i``; with independent
steps of variance ``c`` (for a fixed-design regression ``c = sigma2 tr((X'X)^-1)``, exactly),
``E|theta_t - theta*|^2 = c sum_{i=1}^{t+1} 1/i^2``, bounded by ``(pi^2/6) c``, where replacing
the data gives ``c (t + 1)``.

Collapse-probability bounds for the Gaussian with the unbiased variance, ``sigma_k^2 =
sigma_0^2 prod_{j<=k} chi2(n-1)/(n-1)``: both are Markov's inequality on a moment of
``sigma_k``. Suresh et al. use ``E sigma_k^0.7``, ``P(sigma_k > eps) <= (sigma_0/eps)^0.7
[Gamma(0.35 + (n-1)/2) / (((n-1)/2)^0.35 Gamma((n-1)/2))]^k``; a Bertrand-style bound uses
``E sigma_k = sigma_0 alpha(n)^k``, ``alpha(n) = sqrt(2/(n-1)) Gamma(n/2)/Gamma((n-1)/2)``.
Paper 1's exact probability (:func:`~modelcollapse.theory.collapse_probability`) sits under
both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln

from .._validation import check_int, check_real, fail

__all__ = ["accumulate_error", "markov_sigma_bound", "replace_error", "suresh_bound"]


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


def _bound_args(n: int, k: Any, sigma0: float, eps: float) -> tuple[int, np.ndarray, float]:
    n = check_int("n", n, minimum=2)
    k = np.asarray(k, dtype=float)
    if np.any(k < 0) or np.any(k != np.floor(k)):
        raise fail("k", "must be non-negative integers (generations)", k)
    sigma0 = check_real("sigma0", sigma0, lower=0.0, lower_open=True)
    eps = check_real("eps", eps, lower=0.0, lower_open=True)
    return n, k, sigma0 / eps


def suresh_bound(n: int, k: Any, sigma0: float = 1.0, eps: float = 0.5) -> np.ndarray:
    """Suresh et al.'s bound on ``P(sigma_k > eps)`` (module docstring), at most 1.

    Examples
    --------
    >>> float(suresh_bound(10, 0, sigma0=1.0, eps=2.0)) == 0.5**0.7
    True
    """
    n, k, ratio = _bound_args(n, k, sigma0, eps)
    half = (n - 1) / 2.0
    log_factor = gammaln(0.35 + half) - 0.35 * np.log(half) - gammaln(half)
    return np.minimum(1.0, ratio**0.7 * np.exp(k * log_factor))[()]


def markov_sigma_bound(n: int, k: Any, sigma0: float = 1.0, eps: float = 0.5) -> np.ndarray:
    """The Bertrand-style bound ``alpha(n)^k sigma0/eps`` on ``P(sigma_k > eps)``, at most 1."""
    n, k, ratio = _bound_args(n, k, sigma0, eps)
    log_alpha = 0.5 * np.log(2.0 / (n - 1)) + gammaln(n / 2.0) - gammaln((n - 1) / 2.0)
    return np.minimum(1.0, ratio * np.exp(k * log_alpha))[()]
