"""Paper 2 (He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"): closed forms for
fresh real data mixed with weighted synthetic data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int, check_real, fail
from ._common import sizes_array

__all__ = ["gaussian_mean_error"]


def gaussian_mean_error(
    n0: int, n_real: Any, n_synth: Any, w: Any, trace: float = 1.0
) -> np.ndarray:
    """Exact ``E|mu_t - mu|^2`` for ``t = 0..T`` under fresh-data weighting.

    ``mu_t = w_t xbar_real + (1 - w_t) xbar_synth`` with the synthetic data drawn from
    generation ``t - 1``'s fit. When the covariance estimate is unbiased (per-source unbiased
    covariances combined convexly), ``E Sigma_t = Sigma`` at every generation and

        e_0 = tr(Sigma) / n0,
        e_t = (1 - w_t)^2 e_{t-1} + tr(Sigma) [w_t^2 / n_real(t) + (1 - w_t)^2 / n_synth(t)],

    which is paper 2's recursion ``e_t = (1-w)^2 e_{t-1} + (C/n)(w^2 + k(1-w)^2)`` with
    ``C = tr(Sigma)``, ``k = n/m``, exact for every sample size.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_real, n_synth : array_like
        Sizes of generations ``1..T``; ``n_real(t) = 0`` requires ``w_t = 0``.
    w : float or array_like
        Weight on real data, scalar or per generation.
    trace : float
        ``tr(Sigma)`` (``sigma2`` in 1-D).

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)``.

    Examples
    --------
    >>> gaussian_mean_error(100, [100] * 2, [100] * 2, 0.5).tolist()
    [0.01, 0.0075, 0.006875]
    """
    n0 = check_int("n0", n0, minimum=1)
    trace = check_real("trace", trace, lower=0.0, lower_open=True)
    real = sizes_array("n_real", n_real, 0)
    synth = sizes_array("n_synth", n_synth, 1)
    weights = np.broadcast_to(np.asarray(w, dtype=float), synth.shape)
    if real.shape != synth.shape:
        raise fail("n_real", f"must have the length of n_synth ({synth.size})", n_real)
    if np.any((weights < 0) | (weights > 1)) or np.any((real == 0) & (weights > 0)):
        raise fail("w", "must lie in [0, 1], and be 0 where n_real is 0", w)
    fresh = np.divide(weights**2, real, out=np.zeros_like(synth), where=real > 0)
    out = np.empty(synth.size + 1)
    out[0] = trace / n0
    for t in range(synth.size):
        keep = (1.0 - weights[t]) ** 2
        out[t + 1] = keep * out[t] + trace * (fresh[t] + keep / synth[t])
    return out
