"""Linear regression with known noise variance: fixed design and random (Gaussian) design.

Both families estimate the coefficient vector ``beta`` of ``y = x' beta + eps``,
``eps ~ N(0, sigma2)`` with ``sigma2`` known, by (weighted) least squares. The error metric is
``param_error = |beta_t - beta*|^2``.

Fixed design (:class:`LinearRegressionFixed`, ``"linear-fixed"``)
    One design ``X`` (``n x p``) for every data set, real or synthetic: real responses
    ``y = X beta* + eps``, synthetic responses ``y~ = X beta_{t-1} + eps~``. A data set is the
    response vector of the ``n`` design rows, so every sample size must equal ``n``. Statistics:
    the count and ``X'y``; a source's OLS coefficient is ``(X'X)^-1 X'y`` and the weighted fit is
    the weighted average of the sources' coefficients, ``beta_t = (X'X)^-1 X'(w y + (1 - w) y~)``.
    Exact engine: ``X'y ~ N(X'X beta, sigma2 X'X)``, drawn through the Cholesky factor of
    ``X'X``, so the coefficient is ``N(beta, sigma2 (X'X)^-1)`` exactly. Pooled data sets are
    copies of the design stacked on top of each other (``count`` a multiple of ``n``).

Random design (:class:`LinearRegressionRandom`, ``"linear-random"``)
    Covariates ``x ~ N(0, Sigma)`` drawn afresh for every data set. The covariate law depends on
    the source (see :mod:`modelcollapse.families._regression`): data drawn from the truth use the
    real law ``N(0, cov)``, data drawn from a fitted model the synthetic law
    ``N(0, synthetic_cov)`` (default: the real one). Statistics: the count, ``X'X`` and ``X'y``;
    weighted least squares ``beta = (sum_j w_j X_j'X_j / n_j)^-1 sum_j w_j X_j'y_j / n_j``.
    Exact engine: ``X'X ~ Wishart(n, Sigma)`` by the Bartlett decomposition ``X'X = B B'``,
    ``B = L A`` (``L`` the Cholesky factor of ``Sigma``, ``A`` lower triangular with
    ``A_ii^2 ~ chi2(n - i)``, ``i = 0..p-1``, and ``N(0, 1)`` below the diagonal; needs
    ``n >= p``), then ``X'y | X'X ~ N(X'X beta, sigma2 X'X)`` as ``X'X beta + sqrt(sigma2) B z``.
    One generation of least squares from the model ``beta`` gives
    ``E|beta_hat - beta|^2 = sigma2 tr(Sigma^-1) / (n - p - 1)`` (``E (X'X)^-1 =
    Sigma^-1/(n - p - 1)``), so under the fully synthetic recursion the squared error grows by
    exactly that much per generation. Asymptotic engine:
    ``sqrt(n)(beta_hat - beta) -> N(0, sigma2 Sigma^-1)`` with the source's ``Sigma``; when the
    real and synthetic laws differ, weighted least squares weights each source by its
    information ``Sigma_j / sigma2`` (matrix weights, not ``w_j`` alone), and so does the
    engine's combination of the estimates (``weight_by_information``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import check_finite, check_int, fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, used_sources
from ._regression import (
    COVARIATE_OPTIONS,
    GaussianCovariates,
    RegressionParams,
    check_coefficients,
    check_covariance,
    coefficient_labels,
    init_covariate_model,
    select_law,
    solve_spd,
)
from .parameters import Constraint, Given, Integer, Real, check_parameter

__all__ = [
    "FixedDesignParams",
    "FixedDesignStats",
    "LinearRegressionFixed",
    "LinearRegressionRandom",
    "RegressionStats",
]


@dataclass(frozen=True)
class FixedDesignParams:
    """Fixed-design coefficients ``beta`` of shape ``(..., p)``."""

    beta: np.ndarray


@dataclass(frozen=True)
class FixedDesignStats:
    """Statistics of ``count`` responses (``count / n`` copies of the design): ``xty = sum X'y``,
    shape ``(R, p)``."""

    count: int
    xty: np.ndarray


@dataclass(frozen=True)
class RegressionStats:
    """Statistics of ``count`` points ``(x, y)``: ``xtx = X'X`` ``(R, p, p)``, ``xty = X'y``
    ``(R, p)``."""

    count: int
    xtx: np.ndarray
    xty: np.ndarray


class LinearRegressionFixed(DataFamily):
    """Linear regression on a fixed design with known noise variance (see the module docstring).

    Parameters
    ----------
    design : array_like, shape (n, p), optional
        The design ``X``, of full column rank. Default: ``n`` rows drawn once, at construction,
        from ``N(0, cov)`` with the generator ``numpy.random.default_rng(seed)``.
        Kept as given (``design`` is None for a drawn design); the matrix in use, given or
        drawn, is ``design_``.
    beta : float or array_like, shape (p,)
        True coefficients (a number is repeated ``dim`` times).
    dim : int, optional
        Number of coefficients ``p`` when ``beta`` is a number.
    n : int
        Rows of the drawn design (ignored, and must be left out, when ``design`` is given).
    sigma2 : float
        Known noise variance (``> 0``).
    cov : float or array_like, shape (p, p)
        Covariance of the drawn design's rows (a number ``c`` means ``c I_p``).
    seed : int
        Seed of the drawn design.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.LinearRegressionFixed(beta=[1.0, -1.0], n=50, seed=1)
    >>> fam.param_labels, fam.fixed_sample_size
    (('beta[0]', 'beta[1]'), 50)
    """

    name = "linear-fixed"
    engines = ("exact", "sample")
    # None for a given design.
    n: int | None
    seed: Any
    cov: np.ndarray | None
    hooks = frozenset({"coefficients"})
    parameters: ClassVar[dict[str, Constraint]] = {
        "design": Given("an n x p matrix of full column rank, or None for a drawn design"),
        "beta": Given("a vector of p coefficients, or a number repeated dim times"),
        "dim": Integer(1, optional=True),
        "n": Given("the drawn design's rows, an integer >= p (default 100); None with a design"),
        "sigma2": Real(0.0, low_open=True),
        "cov": Given("the drawn rows' covariance: a number c (c I_p) or a p x p matrix"),
        "seed": Integer(0),
    }

    def __init__(
        self,
        design: Any = None,
        beta: Any = (1.0, 1.0),
        *,
        dim: int | None = None,
        n: int | None = None,
        sigma2: float = 1.0,
        cov: Any = 1.0,
        seed: int = 0,
    ) -> None:
        self.beta = check_coefficients(beta, check_parameter(self, "dim", dim))
        p = self.beta.size
        self.dim = p
        self.sigma2 = check_parameter(self, "sigma2", sigma2)
        if design is None:
            self.n = n = check_int("n", 100 if n is None else n, minimum=p)
            self.seed = check_parameter(self, "seed", seed)
            self.cov = check_covariance("cov", cov, p)
            rng = np.random.default_rng(self.seed)
            x = GaussianCovariates(self.cov).rows(rng.standard_normal((1, n, p)))[0]
            self.drawn = True
        else:
            if n is not None:
                raise fail("n", "applies only to a drawn design, not to a given one", n)
            x = check_finite("design", design)
            if x.ndim != 2 or x.shape[1] != p:
                raise fail("design", f"must be an n x {p} matrix to match beta", design)
            if x.shape[0] < p:
                raise fail("design", f"must have at least p={p} rows", design)
            self.n = None
            self.seed = None
            self.cov = None
            self.drawn = False
        gram = x.T @ x
        if np.linalg.eigvalsh(gram).min() <= 1e-12 * max(1.0, np.trace(gram)):
            raise fail("design", "must have full column rank", design if design is not None else n)
        #: The design matrix, given or drawn; ``design`` is the given one (None when drawn).
        self.design_ = np.array(x, dtype=float)
        self.design = None if self.drawn else self.design_
        self.rows = self.design_.shape[0]
        self.gram = 0.5 * (gram + gram.T)
        self._gram_factor = np.linalg.cholesky(self.gram)
        inverse = np.linalg.inv(self.gram)
        self.gram_inverse = 0.5 * (inverse + inverse.T)
        #: The only sample size this family accepts: one response per design row.
        self.fixed_sample_size = self.rows
        self.min_sample_size = self.rows
        self.param_labels = coefficient_labels(p)

    def __repr__(self) -> str:
        return f"LinearRegressionFixed(n={self.rows}, p={self.dim}, sigma2={self.sigma2:g})"

    def truth(self) -> FixedDesignParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        FixedDesignParams
            ``beta`` of shape ``(p,)`` (a copy).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> design = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
        >>> fam = mc.LinearRegressionFixed(design=design, beta=[1.0, 2.0])
        >>> fam.truth().beta.tolist()
        [1.0, 2.0]
        """
        return FixedDesignParams(self.beta.copy())

    def error_constant(self) -> float:
        """``C = sigma2 tr((X'X / n)^-1)``: ``E|beta_hat - beta|^2 = C / n`` for one fit."""
        return float(self.sigma2 * self.rows * np.trace(self.gram_inverse))

    # -- drawing ---------------------------------------------------------------------------
    def _check_size(self, n: int) -> None:
        if n != self.rows:
            raise fail(
                "n",
                f"must equal the design's {self.rows} rows (the fixed-design regression draws one "
                "response per design row)",
                n,
            )

    def _draw_exact(
        self, params: FixedDesignParams, n: int, rng: ReplicationRandom
    ) -> FixedDesignStats:
        self._check_size(n)
        z = rng.standard_normal((self.dim,))
        xty = np.asarray(params.beta, dtype=float) @ self.gram
        xty += np.sqrt(self.sigma2) * (z @ self._gram_factor.T)
        return FixedDesignStats(n, xty)

    def _draw_sample(
        self, params: FixedDesignParams, n: int, rng: ReplicationRandom
    ) -> FixedDesignStats:
        # A data set is one response per design row: drawn whole, never in pieces.
        return self._statistics(self.sample(params, n, rng))

    def _sampler(self, params: FixedDesignParams) -> np.ndarray:
        return np.asarray(params.beta, dtype=float) @ self.design_.T

    def _sample_with(self, state: np.ndarray, m: int, rng: ReplicationRandom) -> np.ndarray:
        self._check_size(m)
        y = rng.standard_normal((m,)) * np.sqrt(self.sigma2)
        y += state
        return y

    def _check_data(self, data: Any) -> np.ndarray:
        y = as_data(data)
        if y.shape[1] % self.rows:
            raise fail(
                "data",
                f"must have a multiple of the design's {self.rows} rows per replication "
                "(one response per design row)",
                y.shape,
            )
        return y

    def _statistics(self, data: np.ndarray) -> FixedDesignStats:
        """Count and ``X'y`` of responses of shape ``(R, c n)`` (``c`` copies of the design)."""
        r, total = data.shape
        copies = total // self.rows
        xty = (data.reshape(r, copies, self.rows) @ self.design_).sum(axis=1)
        return FixedDesignStats(total, xty)

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: FixedDesignStats, b: FixedDesignStats) -> FixedDesignStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : FixedDesignStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        FixedDesignStats
            ``count`` and ``xty`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> design = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
        >>> fam = mc.LinearRegressionFixed(design=design, beta=[1.0, 2.0])
        >>> s = fam.statistics([[1.0, 3.0, 5.0]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.xty.tolist()
        (6, [[18.0, 26.0]])
        """
        return FixedDesignStats(a.count + b.count, a.xty + b.xty)

    def fit(
        self, sources: Sequence[FixedDesignStats], weights: Sequence[float]
    ) -> FixedDesignParams:
        """``beta = (X'X)^-1 sum_j w_j X'y_j / c_j`` (``c_j`` copies of the design in source
        ``j``): the weighted average of the sources' OLS coefficients.

        Parameters
        ----------
        sources : sequence of FixedDesignStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        FixedDesignParams
            ``beta`` of shape ``(R, p)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> design = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
        >>> fam = mc.LinearRegressionFixed(design=design, beta=[1.0, 2.0])
        >>> real = fam.statistics([[1.0, 3.0, 5.0]])
        >>> synth = fam.statistics([[1.0, 2.0, 3.0]])
        >>> fam.fit([real, synth], [0.5, 0.5]).beta.round(4).tolist()
        [[1.0, 1.5]]
        """
        used = used_sources(sources, weights)
        rhs = sum(s.xty * (w * self.rows / s.count) for s, w in used)
        return FixedDesignParams(np.asarray(rhs) @ self.gram_inverse)

    def flatten(self, params: FixedDesignParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : FixedDesignParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., p)``: the coefficients.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> design = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
        >>> fam = mc.LinearRegressionFixed(design=design, beta=[1.0, 2.0])
        >>> fam.flatten(fam.truth()).tolist()
        [1.0, 2.0]
        """
        return np.asarray(params.beta, dtype=float)

    def unflatten(self, flat: np.ndarray) -> FixedDesignParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        FixedDesignParams
            ``beta`` of shape ``(..., p)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> design = [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
        >>> fam = mc.LinearRegressionFixed(design=design, beta=[1.0, 2.0])
        >>> fam.unflatten(np.array([[0.5, 1.5]])).beta.tolist()
        [[0.5, 1.5]]
        """
        return FixedDesignParams(np.array(flat, dtype=float))

    # -- metric hooks ----------------------------------------------------------------------
    def coefficients(self, params: FixedDesignParams) -> np.ndarray:
        """The coefficient vector ``beta`` (``param_error = |beta - beta*|^2``)."""
        return np.asarray(params.beta, dtype=float)


class LinearRegressionRandom(DataFamily):
    """Linear regression on Gaussian covariates with known noise variance (see the module
    docstring).

    Parameters
    ----------
    beta : float or array_like, shape (p,)
        True coefficients (a number is repeated ``dim`` times).
    dim : int, optional
        Number of coefficients ``p`` when ``beta`` is a number.
    sigma2 : float
        Known noise variance (``> 0``).
    cov : float or array_like, shape (p, p)
        Covariance of the real covariates (a number ``c`` means ``c I_p``).
    synthetic_cov : float or array_like, shape (p, p), optional
        Covariance of the synthetic covariates, those of data drawn from a fitted model
        (default: ``cov``).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.LinearRegressionRandom(beta=1.0, dim=4, cov=0.25, synthetic_cov=1.0)
    >>> fam.param_labels
    ('beta[0]', 'beta[1]', 'beta[2]', 'beta[3]')
    >>> fam.truth().covariates
    'real'
    """

    name = "linear-random"
    engines = ("exact", "sample", "asymptotic")
    # Set by init_covariate_model.
    beta: np.ndarray
    dim: int
    real_law: GaussianCovariates
    synthetic_law: GaussianCovariates
    hooks = frozenset({"coefficients", "asymptotic_covariance", "fisher_information"})
    parameters: ClassVar[dict[str, Constraint]] = {
        "beta": COVARIATE_OPTIONS["beta"],
        "dim": COVARIATE_OPTIONS["dim"],
        "sigma2": Real(0.0, low_open=True),
        "cov": COVARIATE_OPTIONS["cov"],
        "synthetic_cov": COVARIATE_OPTIONS["synthetic_cov"],
    }

    def __init__(
        self,
        beta: Any = (1.0, 1.0),
        *,
        dim: int | None = None,
        sigma2: float = 1.0,
        cov: Any = 1.0,
        synthetic_cov: Any = None,
    ) -> None:
        init_covariate_model(self, beta, dim, cov, synthetic_cov)
        self.sigma2 = check_parameter(self, "sigma2", sigma2)

    @property
    def _point_size(self) -> int:  # type: ignore[override]
        return self.dim + 1

    def __repr__(self) -> str:
        return f"LinearRegressionRandom(p={self.dim}, sigma2={self.sigma2:g})"

    def truth(self) -> RegressionParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        RegressionParams
            ``beta`` of shape ``(p,)`` and ``covariates="real"``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> t = fam.truth()
        >>> t.beta.tolist(), t.covariates
        ([1.0, 2.0], 'real')
        """
        return RegressionParams(self.beta.copy(), "real")

    def broadcast(self, params: RegressionParams, size: int) -> RegressionParams:
        """``params`` repeated over a leading replication axis of length ``size``.

        Parameters
        ----------
        params : RegressionParams
            Parameters without a replication axis.
        size : int
            Number of replications ``R``.

        Returns
        -------
        RegressionParams
            ``beta`` of shape ``(size, p)``, the same covariate law.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> fam.broadcast(fam.truth(), 3).beta.shape
        (3, 2)
        """
        beta = np.array(np.broadcast_to(params.beta, (size, self.dim)), dtype=float)
        return RegressionParams(beta, params.covariates)

    def law(self, params: RegressionParams) -> GaussianCovariates:
        """The covariate law of data drawn from ``params`` (real for the truth, synthetic for a
        fitted model)."""
        return select_law(params, self.real_law, self.synthetic_law)

    # -- drawing ---------------------------------------------------------------------------
    def _draw_exact(
        self, params: RegressionParams, n: int, rng: ReplicationRandom
    ) -> RegressionStats:
        p = self.dim
        law = self.law(params)
        chi2 = rng.chisquare(float(n) - np.arange(p), (p,))
        below = rng.standard_normal((p * (p - 1) // 2,))
        z = rng.standard_normal((p,))
        bartlett = np.zeros((chi2.shape[0], p, p))
        rows, cols = np.tril_indices(p, -1)
        bartlett[:, rows, cols] = below
        bartlett[:, np.arange(p), np.arange(p)] = np.sqrt(chi2)
        root = np.matmul(law.factor, bartlett)  # X'X = root root'
        xtx = root @ root.transpose(0, 2, 1)
        beta = np.asarray(params.beta, dtype=float)
        xty = np.einsum("rij,rj->ri", xtx, beta)
        xty += np.sqrt(self.sigma2) * np.einsum("rij,rj->ri", root, z)
        return RegressionStats(n, xtx, xty)

    def _sampler(self, params: RegressionParams) -> tuple[np.ndarray, GaussianCovariates]:
        return np.asarray(params.beta, dtype=float), self.law(params)

    def _sample_with(
        self, state: tuple[np.ndarray, GaussianCovariates], m: int, rng: ReplicationRandom
    ) -> np.ndarray:
        beta, law = state
        p = self.dim
        out = np.empty((beta.shape[0], m, p + 1))
        out[..., :p] = law.rows(rng.standard_normal((m, p)))
        noise = rng.standard_normal((m,)) * np.sqrt(self.sigma2)
        noise += np.einsum("rmp,rp->rm", out[..., :p], beta)
        out[..., p] = noise
        return out

    def _check_data(self, data: Any) -> np.ndarray:
        return as_data(data, (self.dim + 1,))

    def _statistics(self, data: np.ndarray) -> RegressionStats:
        """Count, ``X'X`` and ``X'y`` of points ``(x, y)`` of shape ``(R, n, p + 1)``."""
        p = self.dim
        x = np.ascontiguousarray(data[..., :p])
        xtx = x.transpose(0, 2, 1) @ x
        xty = np.einsum("rnp,rn->rp", x, data[..., p])
        return RegressionStats(data.shape[1], xtx, xty)

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: RegressionStats, b: RegressionStats) -> RegressionStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : RegressionStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        RegressionStats
            ``count``, ``xtx`` and ``xty`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> s = fam.statistics([[[1.0, 0.0, 1.0], [0.0, 1.0, 2.0]]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.xtx.tolist()
        (4, [[[2.0, 0.0], [0.0, 2.0]]])
        """
        return RegressionStats(a.count + b.count, a.xtx + b.xtx, a.xty + b.xty)

    def fit(self, sources: Sequence[RegressionStats], weights: Sequence[float]) -> RegressionParams:
        """Weighted least squares ``(sum_j w_j X_j'X_j/n_j)^-1 sum_j w_j X_j'y_j/n_j``.

        A singular system (fewer than ``p`` distinct points, probability zero with Gaussian
        covariates and ``n >= p``) gets the minimum-norm solution.

        Parameters
        ----------
        sources : sequence of RegressionStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        RegressionParams
            ``beta`` of shape ``(R, p)`` and ``covariates="synthetic"``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> s = fam.statistics([[[1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 1.0, 3.0]]])
        >>> fam.fit([s], [1.0]).beta.round(4).tolist()
        [[1.0, 2.0]]
        """
        used = used_sources(sources, weights)
        if len(used) == 1:
            a, b = used[0][0].xtx, used[0][0].xty
        else:
            a = np.asarray(sum(s.xtx * (w / s.count) for s, w in used))
            b = np.asarray(sum(s.xty * (w / s.count) for s, w in used))
        beta, ok = solve_spd(a, b)
        if not ok.all():
            bad = ~ok
            beta[bad] = np.einsum("rij,rj->ri", np.linalg.pinv(a[bad], hermitian=True), b[bad])
        return RegressionParams(beta, "synthetic")

    def flatten(self, params: RegressionParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : RegressionParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., p)``: the coefficients.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> fam.flatten(fam.truth()).tolist()
        [1.0, 2.0]
        """
        return np.asarray(params.beta, dtype=float)

    def unflatten(self, flat: np.ndarray) -> RegressionParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        RegressionParams
            ``beta`` of shape ``(..., p)``, the synthetic covariate law (a fitted model).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LinearRegressionRandom(beta=[1.0, 2.0])
        >>> p = fam.unflatten(np.array([[0.5, 1.5]]))
        >>> p.beta.tolist(), p.covariates
        ([[0.5, 1.5]], 'synthetic')
        """
        return RegressionParams(np.array(flat, dtype=float), "synthetic")

    # -- metric hooks ----------------------------------------------------------------------
    def coefficients(self, params: RegressionParams) -> np.ndarray:
        """The coefficient vector ``beta`` (``param_error = |beta - beta*|^2``)."""
        return np.asarray(params.beta, dtype=float)

    # -- asymptotic engine -----------------------------------------------------------------
    def fisher_information(self, params: RegressionParams) -> np.ndarray:
        """Information of one point about ``beta``: ``Sigma / sigma2`` (the source's ``Sigma``)."""
        shape = (*np.shape(params.beta)[:-1], self.dim, self.dim)
        return np.broadcast_to(self.law(params).cov / self.sigma2, shape).copy()

    def asymptotic_covariance(self, params: RegressionParams) -> np.ndarray:
        """``sigma2 Sigma^-1`` (the source's ``Sigma``), shape ``(..., p, p)``."""
        shape = np.shape(params.beta)[:-1]
        v = self.sigma2 * self.law(params).inverse
        return np.broadcast_to(v, (*shape, self.dim, self.dim)).copy()

    def error_constant(self, covariates: str = "real") -> float:
        """``C = sigma2 tr(Sigma^-1)`` of the real (or synthetic) covariate law: the
        asymptotic ``n E|beta_hat - beta|^2``."""
        law = self.law(RegressionParams(self.beta, covariates))
        return float(self.sigma2 * np.trace(law.inverse))
