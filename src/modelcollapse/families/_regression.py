"""Pieces shared by the regression families (:mod:`.linear`, :mod:`.glm`).

- :class:`RegressionParams`: coefficients ``beta`` with the *covariate law* of the data the model
  generates. The engine draws real data with ``draw(truth, ...)`` and synthetic data with
  ``draw(fitted, ...)``; the truth's record says ``covariates="real"`` (real covariates
  ``X ~ N(0, cov)``) and every fitted record says ``covariates="synthetic"`` (synthetic
  covariates ``X ~ N(0, synthetic_cov)``), so the two laws can differ (paper 2's Figure 7 draws
  real covariates from ``N(0, I/p)`` and synthetic ones from ``N(0, I_p)``).
- :class:`GaussianCovariates`: a centred Gaussian covariate law and its square root.
- :func:`check_coefficients`, :func:`check_covariance`: constructor checks.
- :func:`solve_spd`: batched solve of small symmetric positive-definite systems by a Cholesky
  factorisation written with elementwise operations over the replication axis (loops over the
  ``p`` features only), so each replication's result depends on its own numbers alone, wherever
  it sits in the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_finite, check_int, check_memory, fail
from .parameters import Constraint, Given, Integer, check_parameter

__all__ = [
    "COVARIATE_LAWS",
    "GaussianCovariates",
    "RegressionParams",
    "check_coefficients",
    "check_covariance",
    "coefficient_labels",
    "select_law",
    "solve_spd",
    "weakest_curvature",
]

#: Values of :attr:`RegressionParams.covariates`.
COVARIATE_LAWS = ("real", "synthetic")
#: Bytes per entry of the ``p x p`` matrices a regression family holds (its real and synthetic
#: covariate laws and their square roots, and the copies made while they are checked).
_MATRIX_BYTES = 8 * 8


@dataclass(frozen=True)
class RegressionParams:
    """Regression coefficients ``beta``, shape ``(..., p)``, and the covariate law of the data
    the model generates: ``"real"`` for the truth, ``"synthetic"`` for a fitted model."""

    beta: np.ndarray
    covariates: str = "synthetic"


def check_coefficients(beta: Any, dim: Any = None) -> np.ndarray:
    """The true coefficient vector: ``beta`` a vector, or a scalar repeated ``dim`` times.

    Raises :class:`~modelcollapse.InvalidArgumentError` for a non-finite ``beta``, a matrix, or a
    ``dim`` that does not match the length of ``beta``.
    """
    arr = check_finite("beta", beta)
    if dim is not None:
        dim = check_int("dim", dim, minimum=1)
    p = (1 if dim is None else dim) if arr.ndim == 0 else arr.size
    # The covariate laws are p x p matrices (with their factors and copies): size them first.
    check_memory(
        "beta" if dim is None else "dim",
        _MATRIX_BYTES * float(p) * p,
        p if dim is None else dim,
        lambda budget: f"at most {int(math.sqrt(budget / _MATRIX_BYTES)):,} coefficients fit",
    )
    if arr.ndim == 0:
        return np.full(1 if dim is None else dim, float(arr))
    if arr.ndim != 1 or arr.size < 1:
        raise fail("beta", "must be a number or a vector of p >= 1 coefficients", beta)
    if dim is not None and arr.size != dim:
        raise fail("beta", f"must have dim={dim} coefficients", beta)
    return arr.copy()


def check_covariance(name: str, cov: Any, p: int) -> np.ndarray:
    """A ``p x p`` symmetric positive-definite matrix from ``cov`` (a number ``c`` means
    ``c I_p``)."""
    arr = check_finite(name, cov)
    if arr.ndim == 0:
        if arr <= 0:
            raise fail(name, "must be positive (a number c means c times the identity)", cov)
        return float(arr) * np.eye(p)
    if arr.shape != (p, p):
        raise fail(name, f"must be a number or a {p}x{p} matrix to match beta", cov)
    if not np.allclose(arr, arr.T, rtol=1e-12, atol=1e-12):
        raise fail(name, "must be symmetric", cov)
    if np.linalg.eigvalsh(arr).min() <= 0:
        raise fail(name, "must be positive definite", cov)
    return 0.5 * (arr + arr.T)


def coefficient_labels(p: int) -> tuple[str, ...]:
    """``("beta[0]", ..., "beta[p-1]")``."""
    return tuple(f"beta[{j}]" for j in range(p))


class GaussianCovariates:
    """The covariate law ``N(0, cov)`` in ``p`` dimensions.

    Parameters
    ----------
    cov : numpy.ndarray
        Shape ``(p, p)``, symmetric positive definite (checked by :func:`check_covariance`).
    """

    def __init__(self, cov: np.ndarray) -> None:
        self.cov = np.asarray(cov, dtype=float)
        self.dim = self.cov.shape[0]
        self.factor = np.linalg.cholesky(self.cov)
        self.inverse = np.linalg.inv(self.cov)
        self.inverse = 0.5 * (self.inverse + self.inverse.T)
        diag = self.cov[0, 0]
        isotropic = np.array_equal(self.cov, diag * np.eye(self.dim))
        #: ``sqrt(c)`` when ``cov = c I``: the draws are then a scaling, not a product.
        self.scale = float(np.sqrt(diag)) if isotropic else None

    def rows(self, z: np.ndarray) -> np.ndarray:
        """Covariates from standard normal ``z`` of shape ``(R, n, p)`` (one point per row)."""
        if self.scale is not None:
            return z if self.scale == 1.0 else z * self.scale
        return z @ self.factor.T

    def columns(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Covariates from standard normal ``z`` of shape ``(R, p, n)`` (one feature per row),
        written to ``out`` if given."""
        if self.scale is not None:
            if out is None:
                return z if self.scale == 1.0 else z * self.scale
            return np.multiply(z, self.scale, out=out)
        return np.einsum("kj,rjn->rkn", self.factor, z, out=out)


def select_law(
    params: Any, real: GaussianCovariates, synthetic: GaussianCovariates
) -> GaussianCovariates:
    """The covariate law named by ``params.covariates``: ``real`` or ``synthetic``."""
    if params.covariates not in COVARIATE_LAWS:
        raise fail("covariates", f"must be one of {', '.join(COVARIATE_LAWS)}", params.covariates)
    return real if params.covariates == "real" else synthetic


def solve_spd(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``a x = b`` for a stack of small symmetric positive-definite matrices.

    Parameters
    ----------
    a : numpy.ndarray
        Shape ``(..., p, p)``, symmetric (only the lower triangle is read).
    b : numpy.ndarray
        Shape ``(..., p)``.

    Returns
    -------
    x : numpy.ndarray
        Shape ``(..., p)``; NaN where the matrix is not (numerically) positive definite.
    ok : numpy.ndarray
        Boolean, shape ``(...)``: every Cholesky pivot was positive and finite.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        x, ok = _cholesky_solve(a, b)
    return np.where(ok[..., None], x, np.nan), ok


def weakest_curvature(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``min_u (u'Hu) / (u'Gu)`` for stacks of symmetric ``H`` and positive-definite ``G``
    (the smallest generalised eigenvalue); 0 where ``G`` is not positive definite or ``H`` is
    not finite.

    Each matrix is handled on its own (batched LAPACK calls), so a replication's value does not
    depend on the rest of the batch.
    """
    h = np.asarray(h, dtype=float)
    low, ok = _cholesky(np.asarray(g, dtype=float))
    finite = np.all(np.isfinite(h), axis=(-2, -1))
    ok &= finite
    h = np.where(finite[..., None, None], h, 0.0)
    p = h.shape[-1]
    low = np.where(ok[..., None, None], low, np.eye(p))
    m = np.linalg.solve(low, h)
    m = np.linalg.solve(low, np.swapaxes(m, -1, -2))  # L^-1 H L^-T
    m = 0.5 * (m + np.swapaxes(m, -1, -2))
    return np.where(ok, np.linalg.eigvalsh(m)[..., 0], 0.0)


def _cholesky(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        low, ok = _factor(a)
    return low, ok


def _factor(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = a.shape[-1]
    low = np.zeros_like(a)
    ok = np.ones(a.shape[:-2], dtype=bool)
    for j in range(p):
        pivot = a[..., j, j].copy()
        for k in range(j):
            pivot -= low[..., j, k] * low[..., j, k]
        good = np.isfinite(pivot) & (pivot > 0.0)
        ok &= good
        diag = np.sqrt(np.where(good, pivot, 1.0))
        low[..., j, j] = diag
        for i in range(j + 1, p):
            value = a[..., i, j].copy()
            for k in range(j):
                value -= low[..., i, k] * low[..., j, k]
            low[..., i, j] = value / diag
    return low, ok


def _cholesky_solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = a.shape[-1]
    low, ok = _factor(a)
    y = np.empty_like(b)
    for j in range(p):
        value = b[..., j].copy()
        for k in range(j):
            value -= low[..., j, k] * y[..., k]
        y[..., j] = value / low[..., j, j]
    x = np.empty_like(b)
    for j in reversed(range(p)):
        value = y[..., j].copy()
        for k in range(j + 1, p):
            value -= low[..., k, j] * x[..., k]
        x[..., j] = value / low[..., j, j]
    return x, ok


#: The options every random-design regression family shares (see :func:`init_covariate_model`).
COVARIATE_OPTIONS: dict[str, Constraint] = {
    "beta": Given("a vector of p coefficients, or a number repeated dim times"),
    "dim": Integer(1, optional=True),
    "cov": Given("the real covariates' covariance: a number c (c I_p) or a p x p matrix"),
    "synthetic_cov": Given("the synthetic covariates' covariance, or None for cov's"),
}


def init_covariate_model(family: Any, beta: Any, dim: Any, cov: Any, synthetic_cov: Any) -> None:
    """Set the attributes every random-design regression family shares.

    ``beta``/``dim`` (validated coefficients), the real and synthetic covariate laws (the
    synthetic one defaults to the real one), ``weight_by_information`` (real and synthetic
    sources then carry different information, so the asymptotic engine averages their estimates
    weighted by information, see ``AsymptoticFamily``), ``min_sample_size`` and
    ``param_labels``.
    """
    family.beta = check_coefficients(beta, check_parameter(family, "dim", dim))
    p = family.beta.size
    family.dim = p
    family.real_law = GaussianCovariates(check_covariance("cov", cov, p))
    family.synthetic_law = (
        family.real_law
        if synthetic_cov is None
        else GaussianCovariates(check_covariance("synthetic_cov", synthetic_cov, p))
    )
    family._same_law = synthetic_cov is None
    # The options as normalised (matrices), for describe().
    family.cov = family.real_law.cov
    family.synthetic_cov = None if family._same_law else family.synthetic_law.cov
    family.weight_by_information = not family._same_law
    family.min_sample_size = p
    family.param_labels = coefficient_labels(p)
