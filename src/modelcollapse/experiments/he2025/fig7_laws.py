"""The laws of ``he2025-fig7`` (:mod:`.fig7`): each panel's exact law (or first-order
approximation) of the fully synthetic recursion, and the exact variance of one replication's
value where it is known."""

from __future__ import annotations

import math

import numpy as np

from ... import theory
from .penalised import penalised_logistic_first_order
from .wishart import (
    frobenius_error_moments,
    linear_random_error_moments,
    log_det_change_moments,
    mean_error_moments,
)

__all__ = ["glm_first_order", "laws"]


def glm_first_order(model: str, p: int, n: int, horizon: int) -> np.ndarray:
    """First-order fully synthetic growth at the truth: real fit at t = 0 with covariates
    N(0, I/p), then one synthetic step per generation with covariates N(0, I_p)."""
    beta = np.ones(p)
    real = theory.model_constant(model, beta=beta, cov_x=np.eye(p) / p)
    synth = theory.model_constant(model, beta=beta, cov_x=np.eye(p))
    return (real + synth * np.arange(horizon + 1)) / n


def laws(n: int, p: int, horizon: int) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each panel's law for ``t = 0..T`` and, where known exactly, the variance of one
    replication's value.

    Parameters
    ----------
    n, p : int
        Points per generation and dimension.
    horizon : int
        ``T``.

    Returns
    -------
    dict
        Per panel key, ``(law, variance)``; ``variance`` is None where not known.
    """
    sizes = [n] * (horizon + 1)
    cov = np.eye(p) / p
    mean, mean_var = mean_error_moments(cov, sizes)
    _, frob_var = frobenius_error_moments(1.0 / p, p, sizes)
    logdet, logdet_var = log_det_change_moments(p, sizes)
    return {
        "mean": (mean, mean_var),
        "covariance": (
            theory.gaussian_covariance_error(n, [0] * horizon, [n] * horizon, 0.0, cov),
            frob_var,
        ),
        "logdet": (logdet, logdet_var),
        "cdf": (theory.fully_synthetic_error("cdf", n, horizon), None),
        "linear": (
            (p * p + p * np.arange(horizon + 1)) / (n - p - 1),
            linear_random_error_moments(p, n, 1.0 / p, 1.0, horizon)[1],
        ),
        "logistic": (
            penalised_logistic_first_order(p, n, horizon, math.sqrt(p), 1.0 / p, 1.0),
            None,
        ),
        "poisson": (glm_first_order("poisson-regression", p, n, horizon), None),
    }
