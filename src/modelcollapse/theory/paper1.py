"""Paper 1 (Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"): closed forms for
the fully synthetic Gaussian recursion.

Generation 0 fits ``n0`` real points of ``N(mu, sigma2)``; generation ``t`` fits ``n_t``
points drawn from generation ``t - 1``'s fit. Given the past,

    mu_t     = mu_{t-1} + sqrt(sigma2_{t-1} / n_t) Z_t,
    sigma2_t = sigma2_{t-1} W_t,   W_t = chi2(n_t - 1) / (n_t - 1)   (unbiased)
                                   W_t = chi2(n_t - 1) / n_t         (MLE),

so ``sigma2_T = sigma2 * prod_{t=0}^T W_t`` (generation 0 included) and every moment below is a
product or a sum over generations. For the d-dimensional Gaussian, the same formulas hold for
traces: pass ``sigma2 = tr(Sigma)`` to get ``E tr(Sigma_t)`` and ``E |mu_t - mu|^2``.

Every function takes ``n0`` and ``n_synth`` (the sizes of generations ``1..T``) and returns
arrays over ``t = 0..T``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import polygamma, psi

from .._validation import check_real
from ._common import estimator, full_sizes, sizes_array

__all__ = [
    "gaussian_log_variance_moments",
    "gaussian_mean_variance",
    "gaussian_variance_moments",
    "harmonic_sum",
]


def harmonic_sum(n_synth: Any) -> np.ndarray:
    """Partial sums ``sum_{s=1}^t 1/n_s`` for ``t = 1..T``.

    Collapse happens iff this diverges as ``T -> infinity``.
    """
    return np.cumsum(1.0 / sizes_array("n_synth", n_synth, 1))


def _step_moments(n: np.ndarray, variance: str) -> tuple[np.ndarray, np.ndarray]:
    """``E W`` and ``E W^2`` for one generation of size ``n``."""
    if estimator(variance) == "unbiased":
        return np.ones_like(n), 1.0 + 2.0 / (n - 1.0)
    return 1.0 - 1.0 / n, 1.0 - 1.0 / n**2


def gaussian_variance_moments(
    n0: int, n_synth: Any, variance: str = "unbiased", sigma2: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``sigma2_t`` for ``t = 0..T``.

    ``E sigma2_t = sigma2 prod_{j<=t} E W_j`` and ``E sigma2_t^2 = sigma2^2 prod_{j<=t} E W_j^2``
    with ``E W = 1``, ``E W^2 = 1 + 2/(n - 1)`` (unbiased) or ``E W = 1 - 1/n``,
    ``E W^2 = 1 - 1/n^2`` (MLE).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance (or ``tr(Sigma)`` for the trace analogue of the mean).

    Returns
    -------
    mean, var : numpy.ndarray
        Shape ``(T + 1,)``.

    Examples
    --------
    >>> m, v = gaussian_variance_moments(10, [10, 10], variance="mle")
    >>> m.round(3).tolist()
    [0.9, 0.81, 0.729]
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    n = full_sizes(n0, n_synth)
    first, second = _step_moments(n, variance)
    mean = sigma2 * np.cumprod(first)
    return mean, sigma2**2 * np.cumprod(second) - mean**2


def gaussian_mean_variance(
    n0: int, n_synth: Any, variance: str = "unbiased", sigma2: float = 1.0
) -> np.ndarray:
    """``Var mu_t`` (``E|mu_t - mu|^2`` per unit of ``sigma2``) for ``t = 0..T``.

    ``Var mu_t = sigma2/n0 + sum_{s=1}^t E[sigma2_{s-1}] / n_s``: unbiased
    ``sigma2 (1/n0 + sum 1/n_s)``; MLE ``sigma2 [1/n0 + sum_s prod_{j<s}(1 - 1/n_j) / n_s]``.
    With ``sigma2 = tr(Sigma)`` this is ``E|mu_t - mu|^2`` in d dimensions.

    Examples
    --------
    >>> gaussian_mean_variance(100, [100] * 3).tolist()
    [0.01, 0.02, 0.03, 0.04]
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    n = full_sizes(n0, n_synth)
    mean, _ = gaussian_variance_moments(n0, n_synth, variance, sigma2)
    steps = mean[:-1] / n[1:]
    return sigma2 / n[0] + np.concatenate([[0.0], np.cumsum(steps)])


def gaussian_log_variance_moments(
    n0: int, n_synth: Any, variance: str = "unbiased", sigma2: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``log sigma2_t`` for ``t = 0..T``: a random walk.

    With ``k = n - 1``: ``E log W = psi(k/2) - log(k/2)`` (about ``-1/k``; the MLE adds
    ``log(k/n)``) and ``Var log W = psi'(k/2)`` (about ``2/k``).

    Examples
    --------
    >>> mean, var = gaussian_log_variance_moments(101, [101] * 100)
    >>> round(float(mean[-1]), 2), round(float(var[-1]), 2)
    (-1.01, 2.04)
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    n = full_sizes(n0, n_synth)
    half = (n - 1.0) / 2.0
    drift = psi(half) - np.log(half)
    if estimator(variance) == "mle":
        drift = drift + np.log((n - 1.0) / n)
    return np.log(sigma2) + np.cumsum(drift), np.cumsum(polygamma(1, half))
