"""Gaussian families: 1-D ``N(mu, sigma2)`` and d-dimensional ``N(mean, cov)``.

Sufficient statistics of ``n`` points are the count, the sample mean and the scatter
``S = sum (x_i - xbar)(x_i - xbar)^T``. By Cochran's theorem, given the model
``N(mu, Sigma)``, the mean is ``N(mu, Sigma/n)``, the scatter is ``Wishart(n - 1, Sigma)``
(``sigma2 * chi2(n - 1)`` in 1-D), and the two are independent: the ``exact`` engine draws
exactly these, at a cost independent of ``n``.

Estimators. Each source ``j`` (fresh real data, synthetic data, ...) gives a mean ``xbar_j`` and a
covariance estimate ``V_j = S_j / (n_j - 1)`` (``variance="unbiased"``) or ``S_j / n_j``
(``variance="mle"``). With source weights ``w_j`` summing to one:

- mean: ``mu_hat = sum_j w_j xbar_j``;
- ``combine="convex"`` (paper 2's convention): ``Sigma_hat = sum_j w_j V_j``;
- ``combine="pooled"``: ``Sigma_hat = sum_j w_j [V_j + (xbar_j - mu_hat)(xbar_j - mu_hat)^T]``,
  which with ``variance="mle"`` is the weighted maximum-likelihood estimate on the pooled data.

With a single source both conventions reduce to the plain estimator ``V``. A ``bias=(beta,
gamma)`` multiplies each ``V_j`` by ``1 + beta n_j^(-gamma)``. ``shrink(params, factor)`` scales
a fit's (co)variance, which is how the engine applies a per-generation shrinkage ``delta_t``.

Asymptotic engine: ``sqrt(n)(theta_hat - theta)`` is asymptotically normal with covariance
``diag(sigma2, 2 sigma2^2)`` in 1-D (the inverse Fisher information of ``(mu, sigma2)``), and in
``d`` dimensions ``Sigma`` for the mean, ``Cov(S_ij, S_kl) = Sigma_ik Sigma_jl + Sigma_il Sigma_jk``
for the covariance entries, the two blocks independent. A drawn variance below zero is clipped to
zero; a drawn covariance matrix has its negative eigenvalues clipped to zero (both are then
collapsed, absorbing states with ``kl = inf``).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._linalg import cholesky_psd
from .._validation import (
    InvalidArgumentError,
    check_finite,
    check_memory,
    check_real,
    fail,
    largest_fitting,
)
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, log1p_gap, scalar_param, used_sources
from .parameters import Checked, Constraint, Given, OneOf, Real, check_parameter

__all__ = ["Gaussian", "GaussianParams", "GaussianStats", "MultivariateGaussian"]

VARIANCE_ESTIMATORS = ("unbiased", "mle")
COMBINE_RULES = ("convex", "pooled")
#: Range of a true variance (or of the eigenvalues of a true covariance). ``cov_error`` squares
#: the variance and a fitted variance can wander far from the truth over the generations, so
#: the square must stay inside float64's 1e-308 .. 1.8e308 with room to spare.
SIGMA2_RANGE = (1e-100, 1e100)
#: Significant digits the mean's error must keep: the standard error ``sqrt(sigma2 / n)`` at
#: the largest sample must be at least ``10^MEAN_DIGITS`` float64 spacings at the true mean,
#: otherwise ``mean_error`` loses them (at ``mu = 1e200`` it is exactly 0).
MEAN_DIGITS = 3


def _check_variance_range(name: str, value: float) -> None:
    low, high = SIGMA2_RANGE
    if not low <= value <= high:
        raise fail(
            name,
            f"must lie in [{low:g}, {high:g}]: the variance error squares it, and float64 "
            "carries only 1e-308 to 1.8e308",
            value,
        )


def _check_sigma2(name: str, value: Any) -> float:
    sigma2 = check_real(name, value, lower=0.0, lower_open=True)
    _check_variance_range(name, sigma2)
    return sigma2


def _check_bias(name: str, bias: Any) -> tuple[float, float] | None:
    """``(beta, gamma)`` of a biased (co)variance estimator, or None."""
    if bias is None:
        return None
    try:
        beta, gamma = bias
    except (TypeError, ValueError):
        raise fail(name, "must be a pair (beta, gamma)", bias) from None
    return (
        check_real(f"{name} beta", beta),
        check_real(f"{name} gamma", gamma, lower=0.0, lower_open=True),
    )


#: The estimator options both Gaussian families share.
_ESTIMATOR_OPTIONS: dict[str, Constraint] = {
    "variance": OneOf(*VARIANCE_ESTIMATORS),
    "combine": OneOf(*COMBINE_RULES),
    "bias": Checked(_check_bias, "a pair (beta, gamma) with gamma > 0, or None"),
}


def _check_mean_precision(mu: float, sigma2: float, points: float | None) -> None:
    """``|mu|`` small enough that ``mean_error`` keeps :data:`MEAN_DIGITS` digits at samples
    of up to ``points`` points (``None``: a single point); ``sigma2`` the smallest variance."""
    n = 1.0 if points is None else max(float(points), 1.0)
    limit = math.sqrt(sigma2 / n) / (2.0**-52 * 10.0**MEAN_DIGITS)
    if abs(mu) > limit:
        where = "even for one point" if points is None else f"for samples of up to {n:,.0f} points"
        raise fail(
            "mu",
            f"must lie in [-{limit:.3g}, {limit:.3g}] with sigma2={sigma2:g} {where}: beyond, "
            "float64 "
            f"keeps fewer than {MEAN_DIGITS} digits of the mean's error sqrt(sigma2/n), so "
            "mean_error loses its meaning",
            mu,
        )


@dataclass(frozen=True)
class GaussianParams:
    """Gaussian parameters: ``mean`` of shape ``(...,)`` or ``(..., d)``, ``cov`` of shape
    ``(...,)`` (the variance, 1-D) or ``(..., d, d)``."""

    mean: np.ndarray
    cov: np.ndarray


@dataclass(frozen=True)
class GaussianStats:
    """Sufficient statistics of ``count`` points: sample mean and scatter matrix."""

    count: int
    mean: np.ndarray
    scatter: np.ndarray


def _family_bytes(d: int) -> float:
    """Bytes a d-dimensional Gaussian family holds: its ``d x d`` covariance, the indices of
    its upper triangle and the copies made while they are checked and drawn from."""
    return 8.0 * 5 * d * d


def _check_dimension_memory(name: str, d: int, value: Any) -> None:
    """Refuse a dimension whose family alone would not fit in the memory available."""

    def fits(budget: float) -> str:
        most = largest_fitting(_family_bytes, 1, d, budget)
        return f"at most {most or 1:,} dimensions fit"

    check_memory(name, _family_bytes(d), value, fits)


class _GaussianBase(DataFamily):
    """Shared estimator logic; subclasses supply the 1-D or d-D array algebra."""

    name = "gaussian"
    engines = ("exact", "sample", "asymptotic")
    hooks = frozenset({"mean", "covariance", "shrink"})
    dim: int
    min_sample_size: int
    param_labels: tuple[str, ...]

    def __init__(self, variance: str, combine: str, bias: Any = None) -> None:
        self.variance = check_parameter(self, "variance", variance)
        self.combine = check_parameter(self, "combine", combine)
        self.bias: tuple[float, float] | None = check_parameter(self, "bias", bias)

    def _estimate(self, stats: GaussianStats) -> np.ndarray:
        """One source's (co)variance estimate: ``S / (n - 1)`` or ``S / n``, times the bias
        factor ``1 + beta n^(-gamma)`` when a bias is set."""
        n = stats.count
        scale = 1.0 / (n - 1 if self.variance == "unbiased" else n)
        if self.bias is not None:
            beta, gamma = self.bias
            factor = 1.0 + beta * float(n) ** -gamma
            if factor <= 0:
                raise InvalidArgumentError(
                    f"bias: 1 + beta n^(-gamma) must stay positive, but at n={n} it is "
                    f"{factor:.3g} (got beta={beta:g}, gamma={gamma:g})"
                )
            scale *= factor
        return stats.scatter * scale

    def shrink(self, params: GaussianParams, factor: float) -> GaussianParams:
        """The fit with its (co)variance multiplied by ``factor`` (shrinkage, low temperature)."""
        return GaussianParams(params.mean, params.cov * factor)

    # -- array algebra supplied by subclasses -------------------------------------------
    @staticmethod
    @abstractmethod
    def _outer(x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _draw_exact(self, p: GaussianParams, n: int, rng: ReplicationRandom) -> GaussianStats: ...

    @abstractmethod
    def _factor(self, cov: np.ndarray) -> np.ndarray: ...

    @property
    def _point_size(self) -> int:  # type: ignore[override]
        return self.dim

    def _sampler(self, params: GaussianParams) -> tuple[GaussianParams, np.ndarray]:
        return params, self._factor(params.cov)

    # -- protocol ----------------------------------------------------------------------
    def pool(self, a: GaussianStats, b: GaussianStats) -> GaussianStats:
        """Statistics of the union of two samples (Chan et al.'s parallel update).

        Parameters
        ----------
        a, b : GaussianStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        GaussianStats
            ``count``, ``mean`` and ``scatter`` of the union.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Gaussian(0.0, 1.0)
        >>> a = fam.statistics([[0.0, 2.0]])
        >>> b = fam.statistics([[4.0, 6.0]])
        >>> both = fam.pool(a, b)
        >>> both.count, both.mean.tolist(), both.scatter.tolist()
        (4, [3.0], [20.0])
        """
        n = a.count + b.count
        delta = b.mean - a.mean
        mean = a.mean + delta * (b.count / n)
        scatter = a.scatter + b.scatter + self._outer(delta) * (a.count * b.count / n)
        return GaussianStats(n, mean, scatter)

    def fit(self, sources: Sequence[GaussianStats], weights: Sequence[float]) -> GaussianParams:
        """Weighted estimate; sources with weight zero are ignored.

        Parameters
        ----------
        sources : sequence of GaussianStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        GaussianParams
            ``mean`` and ``cov`` with a leading replication axis: ``(R,)`` each in 1-D,
            ``(R, d)`` and ``(R, d, d)`` in ``d`` dimensions. ``variance`` sets the per-
            source divisor, ``combine`` whether the between-source spread is added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Gaussian(0.0, 1.0)
        >>> real = fam.statistics([[0.0, 2.0, 4.0]])
        >>> synth = fam.statistics([[1.0, 3.0]])
        >>> est = fam.fit([real, synth], [0.5, 0.5])
        >>> est.mean.tolist(), est.cov.tolist()
        ([2.0], [3.0])
        """
        used = used_sources(sources, weights)
        if len(used) == 1:  # one source carries all the weight: the plain estimator
            only = used[0][0]
            return GaussianParams(only.mean, self._estimate(only))
        mean = sum(w * s.mean for s, w in used)
        cov: np.ndarray | int = sum(w * self._estimate(s) for s, w in used)
        if self.combine == "pooled" and len(used) > 1:
            cov = cov + sum(w * self._outer(s.mean - mean) for s, w in used)
        return GaussianParams(np.asarray(mean), np.asarray(cov))

    def mean(self, params: GaussianParams) -> np.ndarray:
        """The distribution mean."""
        return params.mean

    def covariance(self, params: GaussianParams) -> np.ndarray:
        """The variance (1-D) or covariance matrix."""
        return params.cov


class Gaussian(_GaussianBase):
    """One-dimensional Gaussian ``N(mu, sigma2)`` with mean and variance estimated.

    Parameters
    ----------
    mu : float
        True mean.
    sigma2 : float
        True variance (``> 0``).
    variance : {"unbiased", "mle"}
        Variance estimator: ``S/(n-1)`` or ``S/n``.
    combine : {"convex", "pooled"}
        How several weighted sources are combined (see the module docstring).
    bias : (float, float), optional
        ``(beta, gamma)``: every (co)variance estimate is multiplied by ``1 + beta n^(-gamma)``,
        a bias of ``beta sigma2 n^(-gamma)`` (paper 1's biased estimators; ``beta < 0``
        shrinks). ``1 + beta n^(-gamma)`` must stay positive at every sample size used.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.Gaussian(mu=0.0, sigma2=1.0, variance="mle")
    >>> fam.param_labels
    ('mu', 'sigma2')
    """

    dim = 1
    min_sample_size = 2
    param_labels = ("mu", "sigma2")
    hooks = _GaussianBase.hooks | {
        "scale",
        "kl",
        "cross_entropy",
        "fisher_information",
        "asymptotic_covariance",
        "project",
        "check_precision",
    }
    parameters: ClassVar[dict[str, Constraint]] = {
        "mu": Real(),
        "sigma2": Checked(_check_sigma2, "a variance in SIGMA2_RANGE"),
        **_ESTIMATOR_OPTIONS,
    }

    def __init__(
        self,
        mu: float = 0.0,
        sigma2: float = 1.0,
        variance: str = "unbiased",
        combine: str = "convex",
        bias: Any = None,
    ) -> None:
        super().__init__(variance, combine, bias)
        self.mu = check_parameter(self, "mu", mu)
        self.sigma2 = check_parameter(self, "sigma2", sigma2)
        _check_mean_precision(self.mu, self.sigma2, None)

    def __repr__(self) -> str:
        return (
            f"Gaussian(mu={self.mu:g}, sigma2={self.sigma2:g}, variance={self.variance!r}, "
            f"combine={self.combine!r}" + (f", bias={self.bias}" if self.bias else "") + ")"
        )

    def truth(self) -> GaussianParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        GaussianParams
            ``mean`` (``mu``) and ``cov`` (``sigma2``) as 0-d arrays.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> t = mc.Gaussian(1.0, 4.0).truth()
        >>> float(t.mean), float(t.cov)
        (1.0, 4.0)
        """
        return GaussianParams(scalar_param(self.mu), scalar_param(self.sigma2))

    def check_precision(self, points: float) -> None:
        """Refuse a true mean too large for the mean error to keep :data:`MEAN_DIGITS` digits
        at samples of up to ``points`` points (called by the engine before a run)."""
        _check_mean_precision(self.mu, self.sigma2, points)

    @staticmethod
    def _outer(x: np.ndarray) -> np.ndarray:
        return x * x

    def _factor(self, cov: np.ndarray) -> np.ndarray:
        return np.sqrt(cov)

    def _draw_exact(self, p: GaussianParams, n: int, rng: ReplicationRandom) -> GaussianStats:
        z = rng.standard_normal()
        gamma = rng.standard_gamma((n - 1) / 2)  # chi2(n - 1) / 2
        z = z * np.sqrt(p.cov / n)  # draws are read-only (shared across arms)
        z += p.mean
        gamma = gamma * (2.0 * p.cov)
        return GaussianStats(n, z, gamma)

    def _sample_with(
        self, state: tuple[GaussianParams, np.ndarray], m: int, rng: ReplicationRandom
    ) -> np.ndarray:
        p, factor = state
        x = rng.standard_normal((m,)) * factor[:, None]
        x += p.mean[:, None]
        return x

    def _check_data(self, data: Any) -> np.ndarray:
        return as_data(data).copy()  # _statistics centres the data in place

    def _statistics(self, data: np.ndarray) -> GaussianStats:
        """Count, mean and scatter of data of shape ``(R, n)``; centres ``data`` in place."""
        mean = data.mean(axis=1)
        data -= mean[:, None]
        return GaussianStats(data.shape[1], mean, np.einsum("ij,ij->i", data, data))

    def fisher_information(self, params: GaussianParams) -> np.ndarray:
        """Fisher information of one point about ``(mu, sigma2)``: ``diag(1/s2, 1/(2 s2^2))``."""
        v = np.asarray(params.cov, dtype=float)
        out = np.zeros((*v.shape, 2, 2))
        with np.errstate(divide="ignore"):
            out[..., 0, 0] = 1.0 / v
            out[..., 1, 1] = 0.5 / v**2
        return out

    def asymptotic_covariance(self, params: GaussianParams) -> np.ndarray:
        """Covariance of ``sqrt(n)((mu, sigma2)_hat - (mu, sigma2))``: ``diag(s2, 2 s2^2)``."""
        v = np.asarray(params.cov, dtype=float)
        out = np.zeros((*v.shape, 2, 2))
        out[..., 0, 0] = v
        out[..., 1, 1] = 2.0 * v**2
        return out

    def project(self, params: GaussianParams) -> GaussianParams:
        """Clip a negative variance to zero (a collapsed, absorbing fit)."""
        return GaussianParams(params.mean, np.maximum(params.cov, 0.0))

    def flatten(self, params: GaussianParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : GaussianParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 2)``: ``mu``, ``sigma2``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Gaussian(1.0, 4.0)
        >>> fam.flatten(fam.truth()).tolist()
        [1.0, 4.0]
        """
        return np.stack([params.mean, params.cov], axis=-1)

    def unflatten(self, flat: np.ndarray) -> GaussianParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GaussianParams
            ``mean`` and ``cov`` of shape ``(...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Gaussian(0.0, 1.0)
        >>> p = fam.unflatten(np.array([[1.0, 4.0], [0.0, 2.0]]))
        >>> p.mean.tolist(), p.cov.tolist()
        ([1.0, 0.0], [4.0, 2.0])
        """
        return GaussianParams(flat[..., 0], flat[..., 1])

    def scale(self, params: GaussianParams) -> np.ndarray:
        """The variance ``sigma2``."""
        return params.cov

    def kl(self, truth: GaussianParams, params: GaussianParams) -> np.ndarray:
        """``KL(truth || model)``; ``inf`` where the model variance has collapsed to zero."""
        v = params.cov
        positive = v > 0
        safe = np.where(positive, v, 1.0)
        # log(v/s) + s/v - 1 = x - log(1 + x) with x = s/v - 1: no cancellation for v near s.
        gap = log1p_gap((truth.cov - safe) / safe)
        value = 0.5 * (gap + (params.mean - truth.mean) ** 2 / safe)
        return np.where(positive, value, np.inf)

    def entropy(self, params: GaussianParams) -> np.ndarray:
        """Differential entropy ``0.5 log(2 pi e sigma2)``."""
        return 0.5 * np.log(2.0 * np.pi * np.e * params.cov)

    def cross_entropy(self, truth: GaussianParams, params: GaussianParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)


class MultivariateGaussian(_GaussianBase):
    """d-dimensional Gaussian ``N(mean, cov)`` with mean and covariance estimated.

    Parameters
    ----------
    mean : array_like, shape (d,)
        True mean.
    cov : array_like, shape (d, d)
        True covariance, symmetric positive definite.
    variance : {"unbiased", "mle"}
        Per-source covariance estimator: ``S/(n-1)`` or ``S/n``.
    combine : {"convex", "pooled"}
        ``"convex"``: per-source covariances combined convexly (paper 2's convention);
        ``"pooled"``: adds the between-source term (weighted MLE with ``variance="mle"``).
    bias : (float, float), optional
        ``(beta, gamma)``: every (co)variance estimate is multiplied by ``1 + beta n^(-gamma)``,
        a bias of ``beta sigma2 n^(-gamma)`` (paper 1's biased estimators; ``beta < 0``
        shrinks). ``1 + beta n^(-gamma)`` must stay positive at every sample size used.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.MultivariateGaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
    >>> fam.param_labels
    ('mu[0]', 'mu[1]', 'cov[0,0]', 'cov[0,1]', 'cov[1,1]')
    >>> res = mc.simulate(fam, n0=50, schedule=50, generations=5, replications=200, seed=0,
    ...                   metrics=["mean_error"])
    >>> round(float(res.values("mean_error")[:, -1].mean()), 4)  # theory: 6 tr(cov) / 50 = 0.24
    0.2609
    """

    hooks = _GaussianBase.hooks | {
        "scale",
        "kl",
        "cross_entropy",
        "asymptotic_covariance",
        "project",
        "check_precision",
        "memory_model",
    }
    parameters: ClassVar[dict[str, Constraint]] = {
        "mean": Given("a vector of length d >= 1"),
        "cov": Given("a d x d symmetric positive-definite matrix"),
        **_ESTIMATOR_OPTIONS,
    }
    #: ``mean`` is a method (the distribution's mean): the true mean is kept as ``mean_``.
    stored_as: ClassVar[dict[str, str]] = {"mean": "mean_"}

    def __init__(
        self,
        mean: Any,
        cov: Any,
        variance: str = "unbiased",
        combine: str = "convex",
        bias: Any = None,
        *,
        _isotropic: bool = False,
    ) -> None:
        super().__init__(variance, combine, bias)
        mean_arr = check_finite("mean", mean)
        if mean_arr.ndim != 1 or mean_arr.size < 1:
            raise fail("mean", "must be a vector of length d >= 1", mean)
        d = mean_arr.size
        if not _isotropic:
            _check_dimension_memory("cov", d, d)
        cov_arr = check_finite("cov", cov)
        if cov_arr.shape != (d, d):
            raise fail("cov", f"must be a {d}x{d} matrix to match mean", cov)
        if _isotropic:  # sigma2 I_d, checked by isotropic: no O(d^3) eigenvalues
            self._eigen_range = (float(cov_arr[0, 0]), float(cov_arr[0, 0]))
            self.cov_ = cov_arr
        else:
            if not np.allclose(cov_arr, cov_arr.T, rtol=1e-12, atol=1e-12):
                raise fail("cov", "must be symmetric", cov)
            eigenvalues = np.linalg.eigvalsh(cov_arr)
            if eigenvalues.min() <= 0:
                raise fail("cov", "must be positive definite", cov)
            low, high = SIGMA2_RANGE
            if eigenvalues.min() < low or eigenvalues.max() > high:
                raise fail(
                    "cov",
                    f"eigenvalues must lie in [{low:g}, {high:g}]: the covariance error squares "
                    "them, and float64 carries only 1e-308 to 1.8e308",
                    cov,
                )
            self._eigen_range = (float(eigenvalues.min()), float(eigenvalues.max()))
            self.cov_ = 0.5 * (cov_arr + cov_arr.T)
        self.mean_ = mean_arr
        self.cov = self.cov_
        _check_mean_precision(float(np.abs(mean_arr).max()), self._eigen_range[0], None)
        self.dim = d
        self.min_sample_size = d + 1
        self._triu = np.triu_indices(d)

    @property
    def param_labels(self) -> tuple[str, ...]:  # type: ignore[override]
        """``mu[i]`` then ``cov[i,j]`` (upper triangle), made on first use: a high dimension
        has ``d + d(d+1)/2`` of them."""
        labels = self.__dict__.get("_labels")
        if labels is None:
            labels = (
                *(f"mu[{i}]" for i in range(self.dim)),
                *(f"cov[{i},{j}]" for i, j in zip(*self._triu, strict=True)),
            )
            self._labels = labels
        return labels

    @classmethod
    def isotropic(
        cls, dim: int, mu: float = 0.0, sigma2: float = 1.0, **options: Any
    ) -> MultivariateGaussian:
        """``N(mu 1_d, sigma2 I_d)``."""
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise fail("dim", "must be an integer >= 1", dim)
        check_real("sigma2", sigma2, lower=0.0, lower_open=True)
        _check_variance_range("sigma2", float(sigma2))
        check_real("mu", mu)
        _check_dimension_memory("dim", int(dim), int(dim))
        cov = np.zeros((int(dim), int(dim)))
        np.fill_diagonal(cov, float(sigma2))
        return cls(np.full(dim, float(mu)), cov, **options, _isotropic=True)

    def __repr__(self) -> str:
        return (
            f"MultivariateGaussian(d={self.dim}, variance={self.variance!r}, "
            f"combine={self.combine!r}" + (f", bias={self.bias}" if self.bias else "") + ")"
        )

    def truth(self) -> GaussianParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        GaussianParams
            ``mean`` ``(d,)`` and ``cov`` ``(d, d)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.MultivariateGaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
        >>> fam.truth().cov.tolist()
        [[1.0, 0.5], [0.5, 1.0]]
        """
        return GaussianParams(self.mean_.copy(), self.cov_.copy())

    def check_precision(self, points: float) -> None:
        """Refuse a true mean too large for the mean error to keep :data:`MEAN_DIGITS` digits
        at samples of up to ``points`` points, against the smallest eigenvalue of the
        covariance (called by the engine before a run)."""
        _check_mean_precision(float(np.abs(self.mean_).max()), self._eigen_range[0], points)

    def memory_model(
        self, metrics: Sequence[str]
    ) -> tuple[str, int, str, Callable[[int], tuple[float, float]]]:
        """The dimension sizes a replication: about a dozen ``d x d`` matrices at a generation's
        peak (the fit, the statistics, the draw's factors, the metrics' temporaries) and
        ``d + d(d+1)/2`` recorded parameters (see ``modelcollapse.engine``)."""

        def floats(d: int) -> tuple[float, float]:
            return 14.0 * d * d + 40.0 * d, d + d * (d + 1) / 2.0

        return "dim", self.dim, "dimensions", floats

    @staticmethod
    def _outer(x: np.ndarray) -> np.ndarray:
        return x[..., :, None] * x[..., None, :]

    def _factor(self, cov: np.ndarray) -> np.ndarray:
        return cholesky_psd(cov)[0]

    def _draw_exact(self, p: GaussianParams, n: int, rng: ReplicationRandom) -> GaussianStats:
        d = self.dim
        factor = self._factor(p.cov)
        z = rng.standard_normal((d,))
        below = rng.standard_normal((d * (d - 1) // 2,))
        chi2 = rng.chisquare(float(n - 1) - np.arange(d), (d,))
        mean = p.mean + np.einsum("rij,rj->ri", factor, z) / np.sqrt(n)
        # Bartlett decomposition: S = F A A^T F^T with A lower triangular, A_ii^2 ~ chi2(n-1-i),
        # A_ij ~ N(0, 1) below the diagonal; valid for any square root F of the covariance.
        bartlett = np.zeros_like(p.cov)
        rows, cols = np.tril_indices(d, -1)
        bartlett[:, rows, cols] = below
        bartlett[:, np.arange(d), np.arange(d)] = np.sqrt(chi2)
        fa = factor @ bartlett
        return GaussianStats(n, mean, fa @ fa.transpose(0, 2, 1))

    def _sample_with(
        self, state: tuple[GaussianParams, np.ndarray], m: int, rng: ReplicationRandom
    ) -> np.ndarray:
        p, factor = state
        x = rng.standard_normal((m, self.dim)) @ factor.transpose(0, 2, 1)
        x += p.mean[:, None, :]
        return x

    def _check_data(self, data: Any) -> np.ndarray:
        return as_data(data, (self.dim,)).copy()  # _statistics centres the data in place

    def _statistics(self, data: np.ndarray) -> GaussianStats:
        """Count, mean and scatter matrix of data of shape ``(R, n, d)``; centres ``data`` in
        place."""
        mean = data.mean(axis=1)
        data -= mean[:, None, :]
        return GaussianStats(data.shape[1], mean, data.transpose(0, 2, 1) @ data)

    def asymptotic_covariance(self, params: GaussianParams) -> np.ndarray:
        """Covariance of ``sqrt(n)(theta_hat - theta)`` in the flattened coordinates.

        Mean block ``Sigma``; covariance block ``Sigma_ik Sigma_jl + Sigma_il Sigma_jk`` for the
        upper-triangle entries ``(i, j)`` and ``(k, l)``; the blocks are independent.
        """
        d = self.dim
        cov = np.asarray(params.cov, dtype=float)
        i, j = (idx[:, None] for idx in self._triu)  # entry (i, j) of the row
        k, m = (idx[None, :] for idx in self._triu)  # entry (k, m) of the column
        block = cov[..., i, k] * cov[..., j, m] + cov[..., i, m] * cov[..., j, k]
        p = len(self.param_labels)
        out = np.zeros((*cov.shape[:-2], p, p))
        out[..., :d, :d] = cov
        out[..., d:, d:] = block
        return out

    def project(self, params: GaussianParams) -> GaussianParams:
        """Clip negative eigenvalues of the covariance to zero (a collapsed direction)."""
        cov = 0.5 * (params.cov + np.swapaxes(params.cov, -1, -2))
        values, vectors = np.linalg.eigh(cov)
        negative = values.min(axis=-1) < 0
        clipped = (vectors * np.maximum(values, 0.0)[..., None, :]) @ np.swapaxes(vectors, -1, -2)
        return GaussianParams(params.mean, np.where(negative[..., None, None], clipped, params.cov))

    def flatten(self, params: GaussianParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : GaussianParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., d + d (d + 1) / 2)``: the mean, then the covariance's upper
            triangle row by row.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.MultivariateGaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
        >>> fam.flatten(fam.truth()).tolist()
        [0.0, 0.0, 1.0, 0.5, 1.0]
        """
        rows, cols = self._triu
        return np.concatenate([params.mean, params.cov[..., rows, cols]], axis=-1)

    def unflatten(self, flat: np.ndarray) -> GaussianParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GaussianParams
            ``mean`` ``(..., d)`` and the symmetric ``cov`` ``(..., d, d)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.MultivariateGaussian([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]])
        >>> fam.unflatten(np.array([1.0, 2.0, 1.0, 0.5, 1.0])).cov.tolist()
        [[1.0, 0.5], [0.5, 1.0]]
        """
        d = self.dim
        rows, cols = self._triu
        cov = np.zeros((*flat.shape[:-1], d, d))
        cov[..., rows, cols] = flat[..., d:]
        cov[..., cols, rows] = flat[..., d:]
        return GaussianParams(flat[..., :d].copy(), cov)

    def scale(self, params: GaussianParams) -> np.ndarray:
        """The mean variance ``tr(cov) / d`` (``sigma2`` when ``d = 1``)."""
        return np.trace(params.cov, axis1=-2, axis2=-1) / self.dim

    def kl(self, truth: GaussianParams, params: GaussianParams) -> np.ndarray:
        """``KL(truth || model)``; ``inf`` where the model covariance is singular."""
        d = self.dim
        factor, full_rank = cholesky_psd(params.cov)
        safe = np.where(full_rank[..., None, None], factor, np.eye(d))
        true_factor = np.linalg.cholesky(truth.cov)
        diff = (truth.mean - params.mean)[..., :, None]
        rhs = np.concatenate(
            [np.broadcast_to(true_factor, (*diff.shape[:-2], d, d)), diff], axis=-1
        )
        solved = np.linalg.solve(safe, rhs)
        trace_quad = np.sum(solved**2, axis=(-2, -1))
        logdet_model = 2.0 * np.sum(np.log(np.diagonal(safe, axis1=-2, axis2=-1)), axis=-1)
        logdet_true = 2.0 * np.sum(np.log(np.diag(true_factor)))
        value = 0.5 * (trace_quad - d + logdet_model - logdet_true)
        return np.where(full_rank, value, np.inf)

    def entropy(self, params: GaussianParams) -> np.ndarray:
        """Differential entropy ``0.5 log det(2 pi e cov)``."""
        _, logdet = np.linalg.slogdet(params.cov)
        return 0.5 * (self.dim * np.log(2.0 * np.pi * np.e) + logdet)

    def cross_entropy(self, truth: GaussianParams, params: GaussianParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)
