"""Generalised linear models without intercept: logistic and Poisson regression.

Model. Covariates ``x ~ N(0, Sigma)`` in ``p`` dimensions and a response with natural parameter
``eta = x' beta`` (no intercept):

- :class:`LogisticRegression` (``"logistic"``): ``y ~ Bernoulli(sigmoid(eta))``,
  ``b(eta) = log(1 + e^eta)``;
- :class:`PoissonRegression` (``"poisson-regression"``): ``y ~ Poisson(exp(eta))``,
  ``b(eta) = e^eta``. Data are drawn with the linear predictor clipped to ``[-clip, clip]``
  (``clip = 20`` by default, the authors' protocol; ``clip=None`` turns it off), which keeps the
  counts finite for a wild fitted model; the fit itself is the ordinary log-link MLE.

Real and synthetic covariates. The engine draws real data with ``draw(truth, ...)`` and synthetic
data with ``draw(fitted, ...)``. The truth's :class:`GLMParams` has ``covariates="real"`` (law
``N(0, cov)``), every fitted one ``covariates="synthetic"`` (law ``N(0, synthetic_cov)``,
default the real law). Real labels come from ``beta*``, synthetic labels from ``beta_{t-1}``.

Statistics. There are no finite sufficient statistics: a source's "statistics" are its data,
:class:`GLMData` with covariates ``x`` of shape ``(R, p, n)`` (laid out feature by feature, so
``x[:, k]`` is contiguous: the layout the fit reads fastest) and labels ``y`` of shape
``(R, n)``; ``pool`` concatenates. A drawn source also carries ``origin``, the coefficients it
was drawn from (NaN for data given to ``statistics``): a *hint* that only warm-starts the fit
(see ``GLMData.hints``).

Weighted MLE. With source weights ``w_j`` (each point of source ``j`` weighs ``w_j / n_j``) the
fit maximises ``l(beta) = sum_j (w_j/n_j) sum_i [y_ji eta_ji - b(eta_ji)]``. Score and
information: ``g = sum_j (w_j/n_j) X_j'(y_j - b'(eta_j))`` and
``H = sum_j (w_j/n_j) X_j' diag(b''(eta_j)) X_j``. Every replication is solved at once on stacked
arrays ``(R, p, n)``, a few hundred replications at a time so that the temporaries stay in
the processor's cache:

1. Start from the weighted average of the sources' origins, ``sum_j w_j origin_j`` (``w beta* +
   (1 - w) beta_{t-1}`` in the recursion; zero where no origin is known), close enough for
   Newton's quadratic convergence: typically four steps.
2. Full Newton steps ``beta += H^-1 g`` for at most 10 iterations. A replication stops when its
   step ``d_k`` is below ``tol = 1e-8 (1 + max|beta|)``, or when quadratic convergence predicts
   the next step a thousand times below it (``|d_k|^3 / |d_{k-1}|^2 <= 1e-3 tol``); its error
   is then of order ``1e-11`` or less. All replications are computed (finished ones left
   unchanged) while at least half of them still run, then only the running ones.
3. A replication whose step does not shrink, whose ``H`` is not positive definite, or which has
   not converged after 10 steps restarts from its starting point with damped Newton: the step is
   halved until the objective rises (Armijo), for at most 100 iterations. Near the optimum the
   rise a step promises (half the slope ``g'd``) can fall below the objective's rounding while
   the step is still above ``tol`` (a flat direction: a small gradient, a long step); the
   objective cannot arbitrate there, so a step below ``1e-5 (1 + max|beta|)`` whose slope is
   below ``1e-12 (1 + |objective|)`` is taken whole and the fit has converged.

Failure. For the logistic model the MLE does not exist when the data are separable (some
``beta`` classifies every point of positive weight correctly); the damped iteration checks this
certificate at every iterate. Under quasi-separation (or a Poisson fit drifting to
``beta -> -inf`` along some direction) the iterates run off until the score underflows; such a
"converged" fit is caught by its curvature: its information ``H`` vanishes relative to the
design, ``min_u u'Hu / u'Gu < 1e-10`` with ``G = sum_j (w_j/n_j) X_j'X_j`` (a scale-free test:
for a logistic fit the ratio is an average of ``mu (1 - mu)``, at most 1/4, and below ``1e-10``
only when the points that carry the direction are all saturated). A replication whose fit
stops on a certificate, on a non-positive-definite ``H``, on the iteration cap or on the
curvature test *failed*: its record keeps ``converged = False`` and its last iterate ``beta``
(finite, typically huge along the separating direction), so the recursion goes on (fresh real
data can bring it back; without them the failure is in practice absorbing, like a collapse).
Failures are never silent: ``flatten`` (what the recorder stores) gives NaN coefficients for a
failed fit, the metric ``fit_failed`` is 1 and ``param_error`` is ``inf``.

Penalised convention. ``LogisticRegression(penalty="l2-sklearn")`` reproduces the authors' fits
with scikit-learn's ``LogisticRegression(C=1, fit_intercept=False)``: sample weights rescaled to
sum to the number of points ``N = sum_j n_j`` (each point of source ``j`` weighs ``N w_j / n_j``)
and ``0.5 |beta|^2`` subtracted from the weighted log-likelihood; the estimate always exists.

Asymptotic engine. ``sqrt(n)(beta_hat - beta) -> N(0, I(beta)^-1)``,
``I(beta) = E[b''(x'beta) x x']`` under the source's covariate law ``N(0, S)``. With
``s^2 = beta' S beta`` and ``z = x'beta``, ``E[x | z] = S beta z / s^2`` and
``Cov(x | z) = S - S beta beta' S / s^2``, so ``I = c0 (S + kappa S beta beta' S)`` with
``c0 = E b''(z)`` and ``c0 kappa s^2 = E[b''(z) (z^2/s^2 - 1)]``, and by Sherman-Morrison
``I^-1 = (S^-1 - kappa beta beta' / (1 + kappa s^2)) / c0``. Poisson: ``c0 = exp(s^2/2)``,
``kappa = 1`` (exact; the clip is ignored, it is inactive unless ``s`` is large). Logistic: the
two one-dimensional expectations over ``z ~ N(0, s^2)`` are computed by 256-point Gauss-Legendre
quadrature in ``t = z/s`` on ``[-T, T]``, ``T = min(10, 45/s)`` (the integrand is below
``1e-19`` outside), accurate to about ``1e-13``: deterministic, no Monte Carlo. When the real and
synthetic covariate laws differ, the weighted MLE weights each source by its information
(matrix weights), and so does the engine's combination of the estimates
(``weight_by_information``). The engine ignores the ``l2-sklearn`` penalty (a first-order
approximation of the unpenalised MLE).
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, random_subset, scalar_flag, used_sources
from ._regression import (
    COVARIATE_OPTIONS,
    GaussianCovariates,
    init_covariate_model,
    select_law,
    solve_spd,
    weakest_curvature,
)
from .parameters import Constraint, OneOf, Real, check_parameter

__all__ = ["GLMData", "GLMParams", "LogisticRegression", "PoissonRegression"]

#: Full Newton steps before a replication is handed to the damped iteration.
_FAST_ITER = 10
#: Iterations of the damped Newton method before a fit is declared failed.
_MAX_ITER = 100
#: A replication has converged when its Newton step is below ``_TOL (1 + max|beta|)``.
_TOL = 1e-8
#: A converged fit fails if ``min_u u'Hu / u'Gu`` falls below this (``G = sum_j a_j X_j'X_j``):
#: its information vanishes in some direction, the estimate sits at numerical infinity.
_MIN_CURVATURE = 1e-10
#: A replication also stops when quadratic convergence predicts its next step below
#: ``_PREDICTED * _TOL`` (a margin for the estimated rate, from two steps only).
_PREDICTED = 1e-3
#: A damped step that cannot raise the objective is still accepted below this relative size
#: (the objective's rounding noise hides progress there).
_TOL_FLAT = 1e-5
#: The objective's relative resolution: a damped step whose slope ``g'd`` is below
#: ``_RESOLUTION (1 + |objective|)`` promises a rise the objective cannot show.
_RESOLUTION = 1e-12
#: Armijo's sufficient-increase constant and the number of step halvings allowed.
_ARMIJO = 1e-4
_HALVINGS = 50
#: The score and information are computed on slices of about this many points (a few hundred
#: replications) so that the temporaries stay in cache.
_SLICE_POINTS = 32768
_SLICE_MIN_ROWS = 16
#: Up to this many features the information is summed from the products ``x_k x_l``
#: (``k <= l``) of every point with one matrix-vector product (3 products per point at
#: ``p = 2`` instead of 2 + 4 for ``X diag(v) X'``): Newton fits 4-6% faster at ``p = 2``,
#: slower at ``p = 6`` (21 products formed per point and pass).
_PAIRS_MAX_DIM = 2
#: Rows of the information quadrature computed at once (``rows x nodes`` temporaries).
_QUADRATURE_ROWS = 512
#: The Newton iteration works on all replications (masking those done) until fewer than one in
#: ``_SUBSET_BELOW`` still runs, then on a copy of the running ones (a copy costs about as much
#: as an iteration on them, so it pays once fewer than half run: Figure 10's fits, where the
#: fifth iteration typically finds 10-25% still running, take 10-15% less time than with 1/8).
_SUBSET_BELOW = 2
#: Gauss-Legendre rule of the logistic information (see the module docstring).
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(256)
_GL_T_MAX = 10.0
_GL_Z_MAX = 45.0
_GL_DENSITY = np.exp(-0.5 * (_GL_T_MAX * _GL_NODES) ** 2) / np.sqrt(2.0 * np.pi)

PENALTIES = ("none", "l2-sklearn")


@dataclass(frozen=True)
class GLMData:
    """The data of ``count`` points: covariates ``x`` ``(R, p, n)``, labels ``y`` ``(R, n)``, and
    ``origin`` ``(R, p)``, the coefficients the data were drawn from (NaN when unknown)."""

    count: int
    x: np.ndarray
    y: np.ndarray
    origin: np.ndarray
    #: Fields that are hints, not statistics: they speed the fit up without changing it (to
    #: rounding), and data given to ``statistics`` do not have them.
    hints: ClassVar[tuple[str, ...]] = ("origin",)


@dataclass(frozen=True)
class GLMParams:
    """Coefficients ``beta`` ``(..., p)``; ``converged`` ``(...)``, False where the fit failed
    (``beta`` is then its last iterate); ``covariates``, the covariate law of the data the model
    generates (``"real"`` for the truth, ``"synthetic"`` for a fitted model)."""

    beta: np.ndarray
    converged: np.ndarray
    covariates: str = "synthetic"


class _GLM(DataFamily):
    """Shared drawing, fitting and metric machinery of the GLMs (see the module docstring)."""

    #: The statistics are the data points: a replication holds its training set (the
    #: engine's memory estimate counts it).
    holds_points = True
    engines = ("sample", "asymptotic")
    hooks = frozenset(
        {
            "coefficients",
            "converged",
            "asymptotic_covariance",
            "fisher_information",
            "subsample",
        }
    )
    #: Penalty strength ``lambda`` of ``0.5 sum_k lambda_k beta_k^2`` (a number, or one value per
    #: coefficient) and whether the point weights are rescaled to sum to the number of points
    #: (the ``l2-sklearn`` convention).
    _ridge: Any = 0.0
    _rescale = False
    #: Whether the damped iteration looks for a separation certificate.
    _separable = False
    # Set by init_covariate_model.
    beta: np.ndarray
    dim: int
    real_law: GaussianCovariates
    synthetic_law: GaussianCovariates

    def __init__(self, beta: Any, dim: Any, cov: Any, synthetic_cov: Any) -> None:
        init_covariate_model(self, beta, dim, cov, synthetic_cov)

    @property
    def _point_size(self) -> int:  # type: ignore[override]
        return self.dim + 1

    def truth(self) -> GLMParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        GLMParams
            ``beta`` ``(p,)``, ``converged=True`` and ``covariates="real"``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> t = fam.truth()
        >>> t.beta.tolist(), bool(t.converged), t.covariates
        ([1.0, -1.0], True, 'real')
        """
        return GLMParams(self.beta.copy(), scalar_flag(True), "real")

    def broadcast(self, params: GLMParams, size: int) -> GLMParams:
        """``params`` repeated over a leading replication axis of length ``size``.

        Parameters
        ----------
        params : GLMParams
            Parameters without a replication axis.
        size : int
            Number of replications ``R``.

        Returns
        -------
        GLMParams
            ``beta`` ``(size, p)``, ``converged`` ``(size,)``, the same covariate law.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> b = fam.broadcast(fam.truth(), 3)
        >>> b.beta.shape, b.converged.tolist()
        ((3, 2), [True, True, True])
        """
        beta = np.array(np.broadcast_to(params.beta, (size, self.dim)), dtype=float)
        converged = np.array(np.broadcast_to(params.converged, (size,)), dtype=bool)
        return GLMParams(beta, converged, params.covariates)

    def law(self, params: GLMParams) -> GaussianCovariates:
        """The covariate law of data drawn from ``params`` (real for the truth, synthetic for a
        fitted model)."""
        return select_law(params, self.real_law, self.synthetic_law)

    # -- link-specific pieces ----------------------------------------------------------------
    @abstractmethod
    def _labels(self, eta: np.ndarray, n: int, rng: ReplicationRandom) -> np.ndarray:
        """Responses drawn at linear predictor ``eta``."""

    @abstractmethod
    def _check_labels(self, y: np.ndarray) -> None:
        """Validate observed responses."""

    #: The fit computes ``sign * eta`` (the logistic family works with ``-eta``).
    _sign = 1.0

    @abstractmethod
    def _moments(self, eta: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``b'`` and ``b''`` at the linear predictor, from ``sign * eta`` (overwritten) and a
        buffer ``out``."""

    @abstractmethod
    def _log_likelihood(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``sum_i y_i eta_i - b(eta_i)`` per replication (``-inf`` on overflow, never NaN)."""

    @abstractmethod
    def _information_parts(self, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``c0``, ``1/c0`` and ``kappa`` of ``I = c0 (S + kappa S beta beta' S)`` at
        ``s^2 = beta' S beta``."""

    # -- drawing ---------------------------------------------------------------------------
    @staticmethod
    def _drawable(params: GLMParams) -> np.ndarray:
        """The coefficients to draw from; an error if any is not finite."""
        beta = np.asarray(params.beta, dtype=float)
        if not np.all(np.isfinite(beta)):
            raise fail(
                "params",
                "coefficients must be finite to draw from the model (a failed fit that was "
                "flattened has NaN coefficients)",
                beta[~np.isfinite(beta).all(axis=-1)][0].tolist(),
            )
        return beta

    def _simulate(
        self, params: GLMParams, n: int, rng: ReplicationRandom
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        beta = self._drawable(params)
        # With an isotropic law the covariates are the normal draws themselves (no copy).
        x = self.law(params).columns(rng.standard_normal((self.dim, n)))
        return x, self._labels(_linear_predictor(x, beta), n, rng), beta

    def _draw_sample(self, params: GLMParams, n: int, rng: ReplicationRandom) -> GLMData:
        # The statistics are the data themselves: drawn whole, never in pieces.
        x, y, beta = self._simulate(params, n, rng)
        return GLMData(n, x, y, beta.copy())

    def _sampler(self, params: GLMParams) -> GLMParams:
        return params

    def _sample_with(self, state: GLMParams, m: int, rng: ReplicationRandom) -> np.ndarray:
        x, y, _ = self._simulate(state, m, rng)
        out = np.empty((y.shape[0], m, self.dim + 1))
        out[..., : self.dim] = x.transpose(0, 2, 1)
        out[..., self.dim] = y
        return out

    def _check_data(self, data: Any) -> np.ndarray:
        arr = as_data(data, (self.dim + 1,))
        self._check_labels(arr[..., self.dim])
        return arr

    def _statistics(self, data: np.ndarray) -> GLMData:
        """Covariates and labels of points ``(x, y)`` of shape ``(R, n, p + 1)``."""
        r, n = data.shape[:2]
        x = _feature_major(r, self.dim, n)
        x[...] = data[..., : self.dim].transpose(0, 2, 1)
        y = np.ascontiguousarray(data[..., self.dim])
        return GLMData(n, x, y, np.full((r, self.dim), np.nan))

    def pool(self, a: GLMData, b: GLMData) -> GLMData:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : GLMData
            Statistics of two samples, one set per replication.

        Returns
        -------
        GLMData
            The points of both, ``a``'s first (``count`` added).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> data = [[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0],
        ...          [-1.0, 0.5, 1.0], [0.5, -1.0, 0.0]]]
        >>> s = fam.statistics(data)
        >>> both = fam.pool(s, s)
        >>> both.count, both.x.shape, both.y.shape
        (10, (1, 2, 10), (1, 10))
        """
        n = a.count + b.count
        origin = a.origin * (a.count / n) + b.origin * (b.count / n)
        x = np.concatenate([a.x.transpose(1, 0, 2), b.x.transpose(1, 0, 2)], axis=-1)
        return GLMData(n, x.transpose(1, 0, 2), np.concatenate([a.y, b.y], axis=-1), origin)

    def subsample(self, data: GLMData, m: int, rng: ReplicationRandom) -> GLMData:
        """``m`` of the points drawn without replacement (the warm-start hint is kept)."""
        index = random_subset(rng, data.count, m)
        x = np.take_along_axis(data.x.transpose(1, 0, 2), index[None], axis=-1)
        y = np.take_along_axis(data.y, index, axis=-1)
        return GLMData(int(m), x.transpose(1, 0, 2), y, data.origin)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, sources: Sequence[GLMData], weights: Sequence[float]) -> GLMParams:
        """Weighted MLE by batched Newton (see the module docstring); zero weights are ignored.

        Parameters
        ----------
        sources : sequence of GLMData
            The points of each source, per replication (:meth:`statistics` or a draw).
        weights : sequence of float
            Weight of each source (non-negative, summing to one); each source's points share its
            weight.

        Returns
        -------
        GLMParams
            ``beta`` ``(R, p)`` and, per replication, whether the fit converged (False on separable
            data, where the MLE does not exist).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> data = [[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0],
        ...          [-1.0, 0.5, 1.0], [0.5, -1.0, 0.0]]]
        >>> s = fam.statistics(data)
        >>> est = fam.fit([s], [1.0])
        >>> est.beta.round(3).tolist(), est.converged.tolist()
        ([[-1.018, -0.358]], [True])
        """
        used = used_sources(sources, weights)
        total = float(sum(s.count for s, _ in used))
        blocks = []
        for s, w in used:
            point_weight = w / s.count * (total if self._rescale else 1.0)
            blocks.append(_Block(s.x, s.y, point_weight, _times_vector(s.x, s.y)))
        beta, converged, info = self._newton(blocks, self._start(used))
        # A fit whose information vanishes in some direction is numerically at infinity (only
        # possible where some direction is unpenalised).
        if not np.all(np.asarray(self._ridge) > 0.0):
            gram: Any = 0.0  # an array from the first block on
            for b in blocks:
                gram = gram + b.weight * np.matmul(b.x, b.x.transpose(0, 2, 1))
            converged &= weakest_curvature(info, gram) >= _MIN_CURVATURE
        return GLMParams(beta, converged, "synthetic")

    @staticmethod
    def _start(used: list[tuple[GLMData, float]]) -> np.ndarray:
        """``sum_j w_j origin_j / sum_j w_j`` over the sources with a known origin; 0 if none."""
        total: Any = 0.0  # arrays from the first source on
        weight: Any = 0.0
        for s, w in used:
            known = np.isfinite(s.origin).all(axis=-1)
            total = total + np.where(known[:, None], w * s.origin, 0.0)
            weight = weight + np.where(known, w, 0.0)
        weight = np.asarray(weight)[:, None]
        return np.where(weight > 0, np.asarray(total) / np.where(weight > 0, weight, 1.0), 0.0)

    def _derivatives(
        self, blocks: list[_Block], beta: np.ndarray, separation: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score ``g``, information ``H`` (of the penalised objective) and, if asked, the
        separation certificate of every replication.

        ``g = sum_j a_j (X_j'y_j - X_j'b'(eta_j))`` (``X'y`` computed once per fit) and
        ``H = sum_j a_j sum_i b''(eta_ji) x_ji x_ji'``. Replications are processed a few hundred
        at a time so that the temporaries of the elementwise passes stay in the processor's cache
        (each replication's arithmetic is the same whatever the slicing).
        """
        r, p = beta.shape
        score = -self._ridge * beta
        info = np.zeros((r, p, p))
        separated = np.ones(r, dtype=bool)
        signed = (beta * self._sign)[:, None, :]
        pairs, symmetric = _pairs(p)
        with np.errstate(over="ignore", invalid="ignore"):
            for b in blocks:
                n = b.y.shape[1]
                size = min(r, max(_SLICE_MIN_ROWS, _SLICE_POINTS // n))
                first = np.empty((size, 1, n))
                second = np.empty((size, n))
                if pairs:
                    products = np.empty((size, len(pairs), n))
                else:
                    scaled = np.empty((size, p, n))
                for a in range(0, r, size):
                    rows = slice(a, min(a + size, r))
                    k = rows.stop - a
                    x = b.x[rows]
                    # Batched matrix products: one BLAS call per replication, so the same
                    # arithmetic whatever the slice; 1.7-2.5x faster than einsum at 10^4
                    # points per replication, as fast at 100.
                    eta = np.matmul(signed[rows], x, out=first[:k])[:, 0]
                    if separation:  # every point on its side of the hyperplane
                        side = (2.0 * b.y[rows] - 1.0) * self._sign
                        separated[rows] &= np.all(side * eta > 0.0, axis=-1)
                    mean, var = self._moments(eta, second[:k])
                    part = _times_vector(x, mean)
                    np.subtract(b.xy[rows], part, out=part)
                    part *= b.weight
                    score[rows] += part
                    if pairs:  # H = sum_i v_i (x_ik x_il), k <= l: one matrix-vector product
                        for t, (i, j) in enumerate(pairs):
                            np.multiply(x[:, i], x[:, j], out=products[:k, t])
                        part = _times_vector(products[:k], var)[:, symmetric]
                    else:  # H = (X diag(v)) X'
                        xv = np.multiply(x, var[:, None, :], out=scaled[:k])
                        part = np.matmul(xv, x.transpose(0, 2, 1))
                    part *= b.weight
                    info[rows] += part
        if np.any(self._ridge):
            info += np.eye(p) * self._ridge  # diag(ridge)
        return score, info, separated

    def _objective(self, blocks: list[_Block], beta: np.ndarray) -> np.ndarray:
        value = -0.5 * np.sum(self._ridge * beta * beta, axis=-1)
        with np.errstate(over="ignore", invalid="ignore"):
            for b in blocks:
                eta = _linear_predictor(b.x, beta)
                value = value + b.weight * self._log_likelihood(eta, b.y)
        return value

    def _newton(
        self, blocks: list[_Block], start: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Full Newton steps while they contract, damped Newton for the rest (module docstring).

        A replication stops when its step ``d_k`` is below ``_TOL (1 + max|beta|)``, or when
        quadratic convergence predicts the next one far below it (``d_k^3 / d_{k-1}^2``). While
        at least half of the replications run, every replication is computed (converged ones
        are left unchanged); then only the running ones. Every replication's arithmetic depends
        only on its own data, wherever it sits in the batch, so results do not depend on the
        chunking. Returns the estimates, whether they converged, and the information at the
        last iterate of each converged replication.
        """
        r, p = start.shape
        beta = start.copy()
        curvature = np.zeros((r, p, p))
        converged = np.zeros(r, dtype=bool)
        damped = np.zeros(r, dtype=bool)
        last = np.full(r, np.inf)
        idx = np.arange(r)
        everyone = True
        for _ in range(_FAST_ITER):
            if idx.size == 0:
                break
            if everyone and idx.size * _SUBSET_BELOW >= r:  # compute all, use the running ones
                score, info, _ = self._derivatives(blocks, beta)
                score, info = score[idx], info[idx]
            else:
                everyone = False
                part = [b.take(idx) for b in blocks]
                score, info, _ = self._derivatives(part, beta[idx])
            current = beta[idx]
            step, ok = solve_spd(info, score)
            size = np.max(np.abs(step), axis=-1)
            good = ok & (size < last[idx])  # NaN and growing steps are not good
            new = current + step
            tol = _TOL * (1.0 + np.max(np.abs(new), axis=-1))
            previous = last[idx]
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                predicted = np.where(np.isfinite(previous), size**3 / previous**2, np.inf)
            done = good & ((size <= tol) | (predicted <= _PREDICTED * tol))
            beta[idx[good]] = new[good]
            converged[idx[done]] = True
            curvature[idx[done]] = info[done]
            damped[idx[~good]] = True
            last[idx] = size
            idx = idx[good & ~done]
        damped[idx] = True
        if damped.any():
            rows = np.flatnonzero(damped)
            part = [b.take(rows) for b in blocks]
            beta[rows], converged[rows], curvature[rows] = self._damped_newton(part, start[rows])
        return beta, converged, curvature

    def _damped_newton(
        self, blocks: list[_Block], start: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, p = start.shape
        beta = start.copy()
        curvature = np.zeros((r, p, p))
        converged = np.zeros(r, dtype=bool)
        failed = np.zeros(r, dtype=bool)
        value = self._objective(blocks, beta)
        for _ in range(_MAX_ITER):
            idx = np.flatnonzero(~converged & ~failed)
            if idx.size == 0:
                break
            part = blocks if idx.size == r else [b.take(idx) for b in blocks]
            current = beta[idx]
            score, info, separated = self._derivatives(part, current, self._separable)
            if not self._separable:
                separated[:] = False
            step, ok = solve_spd(info, score)
            stuck = separated | ~ok | ~np.isfinite(step).all(axis=-1)
            failed[idx[stuck]] = True
            size = np.max(np.abs(step), axis=-1)
            scale = 1.0 + np.max(np.abs(current), axis=-1)
            small = ~stuck & (size <= _TOL * scale)
            # A flat direction at the optimum: the rise is below the objective's rounding.
            slope = np.sum(score * step, axis=-1)
            small |= (
                ~stuck
                & (size <= _TOL_FLAT * scale)
                & (slope <= _RESOLUTION * (1.0 + np.abs(value[idx])))
            )
            beta[idx[small]] = current[small] + step[small]
            converged[idx[small]] = True
            curvature[idx[small]] = info[small]
            # Backtracking line search on the rest.
            search = np.flatnonzero(~stuck & ~small)
            t = np.ones(search.size)
            slope = slope[search]
            pending = np.arange(search.size)
            for _ in range(_HALVINGS):
                if pending.size == 0:
                    break
                rows = search[pending]
                trial = current[rows] + t[pending, None] * step[rows]
                trial_value = self._objective([b.take(rows) for b in part], trial)
                gain = trial_value >= value[idx[rows]] + _ARMIJO * t[pending] * slope[pending]
                accepted = rows[gain]
                beta[idx[accepted]] = trial[gain]
                value[idx[accepted]] = trial_value[gain]
                pending = pending[~gain]
                t[pending] *= 0.5
            # No rise found: the step is lost in the objective's rounding (accept it if tiny).
            rows = search[pending]
            flat = size[rows] <= _TOL_FLAT * scale[rows]
            beta[idx[rows[flat]]] = current[rows[flat]] + step[rows[flat]]
            converged[idx[rows[flat]]] = True
            curvature[idx[rows[flat]]] = info[rows[flat]]
            failed[idx[rows[~flat]]] = True
        return beta, converged, curvature

    def flatten(self, params: GLMParams) -> np.ndarray:
        """Coefficients, NaN for a failed fit (it has no estimate).

        Parameters
        ----------
        params : GLMParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., p)``: the coefficients, NaN where the fit failed.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> fam.flatten(fam.truth()).tolist()
        [1.0, -1.0]
        """
        beta = np.asarray(params.beta, dtype=float)
        ok = np.asarray(params.converged, dtype=bool)[..., None]
        return np.where(ok, beta, np.nan)

    def unflatten(self, flat: np.ndarray) -> GLMParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GLMParams
            ``beta`` ``(..., p)``; ``converged`` False where a value is NaN; the synthetic covariate
            law (a fitted model).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogisticRegression(beta=[1.0, -1.0])
        >>> p = fam.unflatten(np.array([[0.5, 1.0], [np.nan, np.nan]]))
        >>> p.converged.tolist(), p.covariates
        ([True, False], 'synthetic')
        """
        beta = np.array(flat, dtype=float)
        return GLMParams(beta, np.isfinite(beta).all(axis=-1), "synthetic")

    # -- metric hooks ----------------------------------------------------------------------
    def coefficients(self, params: GLMParams) -> np.ndarray:
        """The coefficient vector ``beta``, NaN for a failed fit (``param_error = inf``)."""
        return self.flatten(params)

    def converged(self, params: GLMParams) -> np.ndarray:
        """Whether each fit converged (``fit_failed = 1 - converged``)."""
        shape = np.shape(params.beta)[:-1]
        return np.broadcast_to(np.asarray(params.converged, dtype=bool), shape)

    # -- asymptotic engine -----------------------------------------------------------------
    def _parts(
        self, params: GLMParams
    ) -> tuple[
        GaussianCovariates, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray
    ]:
        law = self.law(params)
        beta = np.asarray(params.beta, dtype=float)
        u = beta @ law.cov  # S beta (S symmetric)
        s2 = np.maximum(np.einsum("...k,...k->...", u, beta), 0.0)
        # The truth's rows are all equal: compute each distinct s^2 once.
        unique, inverse = np.unique(s2, return_inverse=True)
        # In slices of rows, so that the quadrature's (rows, nodes) temporaries stay in cache
        # (each row's arithmetic is the same whatever the slicing).
        parts = [
            self._information_parts(unique[a : a + _QUADRATURE_ROWS])
            for a in range(0, unique.size, _QUADRATURE_ROWS)
        ]
        c0, inv_c0, kappa = (
            np.concatenate([part[i] for part in parts])[inverse].reshape(s2.shape) for i in range(3)
        )
        return law, beta, u, s2, c0, inv_c0, kappa

    def fisher_information(self, params: GLMParams) -> np.ndarray:
        """``I(beta) = E[b''(x'beta) x x'] = c0 (S + kappa S beta beta' S)`` under the source's
        covariate law ``N(0, S)`` (module docstring), shape ``(..., p, p)``."""
        law, _, u, _, c0, _, kappa = self._parts(params)
        outer = u[..., :, None] * u[..., None, :]
        return c0[..., None, None] * (law.cov + kappa[..., None, None] * outer)

    def asymptotic_covariance(self, params: GLMParams) -> np.ndarray:
        """``I(beta)^-1 = (S^-1 - kappa beta beta' / (1 + kappa s^2)) / c0``, shape
        ``(..., p, p)``."""
        law, beta, _, s2, _, inv_c0, kappa = self._parts(params)
        outer = beta[..., :, None] * beta[..., None, :]
        rank_one = (kappa / (1.0 + kappa * s2))[..., None, None] * outer
        return inv_c0[..., None, None] * (law.inverse - rank_one)

    def error_constant(self, covariates: str = "real") -> float:
        """``C = tr I(beta*)^-1`` under the real (or synthetic) covariate law: the asymptotic
        ``n E|beta_hat - beta*|^2`` of one fit, paper 2's constant for the GLMs."""
        params = GLMParams(self.beta, scalar_flag(True), covariates)
        return float(np.trace(self.asymptotic_covariance(params)))


def _linear_predictor(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x_i' beta`` of every point, shape ``(r, n)``, for ``x`` of shape ``(r, p, n)``: one BLAS
    call per replication (the same arithmetic whatever the batch it sits in)."""
    return np.matmul(beta[:, None, :], x)[:, 0]


def _times_vector(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``sum_i x_i v_i`` per replication, shape ``(r, p)``, for ``x`` of shape ``(r, p, n)``."""
    return np.matmul(x, v[:, :, None])[:, :, 0]


@functools.cache
def _pairs(p: int) -> tuple[tuple[tuple[int, int], ...], np.ndarray]:
    """The pairs ``(k, l)``, ``k <= l``, of ``p`` features, and for each entry of a ``p x p``
    matrix the index of its pair (``(p, p)``), which spreads a vector of pair values into the
    symmetric matrix; no pairs above ``_PAIRS_MAX_DIM`` features."""
    if p > _PAIRS_MAX_DIM:
        return (), np.zeros((p, p), dtype=np.intp)
    pairs = tuple((i, j) for i in range(p) for j in range(i, p))
    index = np.empty((p, p), dtype=np.intp)
    for t, (i, j) in enumerate(pairs):
        index[i, j] = index[j, i] = t
    return pairs, index


def _feature_major(r: int, p: int, n: int) -> np.ndarray:
    """An empty ``(R, p, n)`` array laid out feature by feature (``x[:, k]`` contiguous)."""
    return np.empty((p, r, n)).transpose(1, 0, 2)


@dataclass(frozen=True)
class _Block:
    """One source inside the fit: data, weight of each of its points, ``X'y``."""

    x: np.ndarray
    y: np.ndarray
    weight: float
    xy: np.ndarray

    def take(self, rows: np.ndarray) -> _Block:
        return _Block(self.x[rows], self.y[rows], self.weight, self.xy[rows])


class LogisticRegression(_GLM):
    """Logistic regression without intercept, weighted MLE (see the module docstring).

    Parameters
    ----------
    beta : float or array_like, shape (p,)
        True coefficients (a number is repeated ``dim`` times).
    dim : int, optional
        Number of coefficients ``p`` when ``beta`` is a number.
    cov : float or array_like, shape (p, p)
        Covariance of the real covariates (a number ``c`` means ``c I_p``).
    synthetic_cov : float or array_like, shape (p, p), optional
        Covariance of the synthetic covariates (default: ``cov``).
    penalty : {"none", "l2-sklearn"}
        ``"none"``: the weighted MLE. ``"l2-sklearn"``: scikit-learn's ``C = 1`` ridge with
        sample weights rescaled to sum to the number of points (the authors' fits).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.LogisticRegression(beta=[1.0, 1.0])
    >>> round(fam.error_constant(), 4)  # tr I(beta*)^-1, x ~ N(0, I_2)
    15.465
    """

    name = "logistic"
    _separable = True
    parameters: ClassVar[dict[str, Constraint]] = {
        **COVARIATE_OPTIONS,
        "penalty": OneOf(*PENALTIES),
    }

    def __init__(
        self,
        beta: Any = (1.0, 1.0),
        *,
        dim: int | None = None,
        cov: Any = 1.0,
        synthetic_cov: Any = None,
        penalty: str = "none",
    ) -> None:
        super().__init__(beta, dim, cov, synthetic_cov)
        self.penalty = check_parameter(self, "penalty", penalty)
        if self.penalty == "l2-sklearn":
            self._ridge = 1.0
            self._rescale = True
            self._separable = False

    def __repr__(self) -> str:
        return f"LogisticRegression(p={self.dim}, penalty={self.penalty!r})"

    def _labels(self, eta: np.ndarray, n: int, rng: ReplicationRandom) -> np.ndarray:
        with np.errstate(over="ignore"):
            prob = np.exp(np.negative(eta, out=eta), out=eta)
        prob += 1.0
        np.reciprocal(prob, out=prob)
        return np.less(rng.uniform((n,)), prob, out=prob)  # 1.0 with probability prob

    def _check_labels(self, y: np.ndarray) -> None:
        bad = (y != 0) & (y != 1)
        if np.any(bad):
            raise fail("data", "labels must be 0 or 1 for the logistic family", y[bad][0].item())

    _sign = -1.0

    def _moments(self, eta: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(eta, out=eta)  # exp(-x'beta)
        e += 1.0
        mu = np.reciprocal(e, out=e)
        var = np.multiply(mu, mu, out=out)
        np.subtract(mu, var, out=var)  # mu (1 - mu)
        return mu, var

    def _log_likelihood(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.sum(y * eta - np.logaddexp(0.0, eta), axis=-1)

    def _information_parts(self, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = np.sqrt(s2)[..., None]
        half = np.minimum(_GL_T_MAX, _GL_Z_MAX / np.where(s > 0, s, 1.0))
        half = np.where(s > 0, half, _GL_T_MAX)
        t = half * _GL_NODES
        # Row by row (never a choice for the whole batch, so a row's value does not depend on
        # the others): the usual rule's weights are precomputed.
        usual = np.broadcast_to(half == _GL_T_MAX, t.shape)
        weight = np.where(usual, _GL_T_MAX * _GL_WEIGHTS * _GL_DENSITY, 0.0)
        if not usual.all():
            other = half * _GL_WEIGHTS * np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)
            weight = np.where(usual, weight, other)
        e = s * t
        np.abs(e, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        q = e + 1.0
        q *= q
        density = np.divide(e, q, out=e)  # sigmoid'(s t)
        density *= weight
        c0 = np.sum(density, axis=-1)
        density *= t * t - 1.0
        bent = np.sum(density, axis=-1)  # E[b''(z)(z^2/s^2 - 1)]
        s2 = np.asarray(s2)
        positive = s2 > 0
        kappa = np.where(positive, bent / (c0 * np.where(positive, s2, 1.0)), -0.5)
        return c0, 1.0 / c0, kappa


class PoissonRegression(_GLM):
    """Poisson regression with log link and no intercept, weighted MLE (see the module
    docstring).

    Parameters
    ----------
    beta : float or array_like, shape (p,)
        True coefficients (a number is repeated ``dim`` times).
    dim : int, optional
        Number of coefficients ``p`` when ``beta`` is a number.
    cov : float or array_like, shape (p, p)
        Covariance of the real covariates (a number ``c`` means ``c I_p``).
    synthetic_cov : float or array_like, shape (p, p), optional
        Covariance of the synthetic covariates (default: ``cov``).
    clip : float or None
        Data are drawn with the mean ``exp(clip(x'beta, -clip, clip))``; ``None`` draws with
        ``exp(x'beta)``.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.PoissonRegression(beta=[1.0, 1.0])
    >>> round(fam.error_constant(), 4)  # tr I^-1 = e^{-1} (2 - 2/3)
    0.4905
    """

    name = "poisson-regression"
    parameters: ClassVar[dict[str, Constraint]] = {
        **COVARIATE_OPTIONS,
        "clip": Real(0.0, low_open=True, optional=True),
    }

    def __init__(
        self,
        beta: Any = (1.0, 1.0),
        *,
        dim: int | None = None,
        cov: Any = 1.0,
        synthetic_cov: Any = None,
        clip: float | None = 20.0,
    ) -> None:
        super().__init__(beta, dim, cov, synthetic_cov)
        self.clip = check_parameter(self, "clip", clip)

    def __repr__(self) -> str:
        return f"PoissonRegression(p={self.dim}, clip={self.clip})"

    def _labels(self, eta: np.ndarray, n: int, rng: ReplicationRandom) -> np.ndarray:
        if self.clip is not None:
            np.clip(eta, -self.clip, self.clip, out=eta)
        with np.errstate(over="ignore"):
            mean = np.exp(eta, out=eta)
        return rng.poisson(mean, (n,))

    def _check_labels(self, y: np.ndarray) -> None:
        bad = (y < 0) | (y != np.floor(y))
        if np.any(bad):
            raise fail(
                "data",
                "labels must be non-negative integers for the poisson-regression family",
                y[bad][0].item(),
            )

    def _moments(self, eta: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = np.exp(eta, out=eta)
        return mu, mu

    def _log_likelihood(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.sum(y * eta - np.exp(eta), axis=-1)

    def _information_parts(self, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s2 = np.asarray(s2, dtype=float)
        with np.errstate(over="ignore"):
            c0 = np.exp(0.5 * s2)
        return c0, np.exp(-0.5 * s2), np.ones_like(s2)
