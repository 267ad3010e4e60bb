"""Gamma family ``Gamma(shape a, rate b)`` with both parameters estimated by maximum likelihood.

Sufficient statistics of ``n`` points: the count, ``sum x`` and ``sum log x``. The statistics have
no closed-form joint law, so there is no ``exact`` engine: the ``sample`` engine draws the points
and the ``asymptotic`` engine draws the estimate from its normal limit.

Weighted MLE from sources ``j`` of weights ``w_j``: with ``m1 = sum_j w_j mean_j(x)`` and
``m2 = sum_j w_j mean_j(log x)`` the shape solves ``log(a) - digamma(a) = s = log(m1) - m2`` and
the rate is ``a / m1`` (so the fitted mean ``a / b`` is ``m1``). The equation is solved for every
replication at once by Minka's Newton iteration on ``1/a``, started from his closed-form
approximation ``a0 = (3 - s + sqrt((s - 3)^2 + 24 s)) / (12 s)``; it converges to machine
precision in a few steps and raises ``RuntimeError`` if it does not.

Collapse and numerical limits (deliberate, never NaN):

- Under the recursion the shape drifts upwards and the distribution concentrates on its mean (the
  analogue of the Gaussian variance collapsing). ``s`` shrinks like ``1/(2a)`` and is lost in
  rounding from about ``a = 1e14``; the shape is therefore capped at :data:`MAX_SHAPE` ``= 1e10``
  (coefficient of variation ``1e-5``), where ``s`` is still resolved to ``1e-4`` relative. A
  capped fit is a collapsed fit: the ``collapsed`` metric sees its tiny variance, ``kl`` is large
  and finite.
- Drawn points that underflow to 0 (shapes below about 0.01) are set to the smallest positive
  double, so ``log x`` stays finite.
- The asymptotic engine clips a drawn shape to ``[0, MAX_SHAPE]`` and a drawn rate to ``[0, inf)``.
  A zero shape or rate is an absorbing degenerate fit: its asymptotic covariance is zero, its
  ``kl`` and risk are ``inf``, its mean ``a / b`` is 0 (``a = 0 < b``) or ``inf`` (``b = 0``).

Asymptotic covariance: the inverse of the Fisher information
``I(a, b) = [[trigamma(a), -1/b], [-1/b, a/b^2]]``, i.e.
``[[a, b], [b, b^2 trigamma(a)]] / (a trigamma(a) - 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from .._validation import fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, scalar_param, used_sources
from .exponential import check_rate
from .parameters import Checked, Constraint, Real, check_parameter

__all__ = ["MAX_SHAPE", "GammaDistribution", "GammaParams", "GammaStats", "solve_shape"]

#: Largest fitted shape (see the module docstring).
MAX_SHAPE = 1e10
#: Newton iterations allowed before the shape solver reports a failure.
_NEWTON_MAX = 100
#: Relative Newton step below which the iteration has converged. The iteration converges
#: quadratically, so the last iterate is accurate to rounding (the step it would take next is
#: ~1e-24); a tighter tolerance can stall on the rounding noise of ``log(a) - digamma(a)``.
_NEWTON_TOL = 1e-12
#: From this shape on, ``log(a) - digamma(a)`` and its derivative come from their asymptotic
#: series (truncation error below 1e-17 relative), avoiding the cancellation of the direct form.
_SERIES_FROM = 20.0
_TINY = np.finfo(float).smallest_subnormal


@dataclass(frozen=True)
class GammaParams:
    """Gamma parameters: ``shape`` and ``rate`` of shape ``(...)`` (mean ``shape / rate``)."""

    shape: np.ndarray
    rate: np.ndarray


@dataclass(frozen=True)
class GammaStats:
    """Statistics of ``count`` points: ``total = sum x`` and ``log_total = sum log x``."""

    count: int
    total: np.ndarray
    log_total: np.ndarray


def log_minus_digamma(a: np.ndarray) -> np.ndarray:
    """``f(a) = log(a) - digamma(a)`` (positive, decreasing from ``inf`` to 0), elementwise."""
    a = np.asarray(a, dtype=float)
    large = a >= _SERIES_FROM
    x = 1.0 / np.where(large, a, _SERIES_FROM)
    x2 = x * x
    series = x * (
        0.5 + x * (1 / 12 + x2 * (-1 / 120 + x2 * (1 / 252 + x2 * (-1 / 240 + x2 / 132))))
    )
    small = np.where(large, 1.0, a)
    return np.where(large, series, np.log(small) - digamma(small))


def a_trigamma_minus_one(a: np.ndarray) -> np.ndarray:
    """``a trigamma(a) - 1 = -a f'(a)`` (positive, ``~ 1/(2a)`` for large ``a``), elementwise."""
    a = np.asarray(a, dtype=float)
    large = a >= _SERIES_FROM
    x = 1.0 / np.where(large, a, _SERIES_FROM)
    x2 = x * x
    series = x * (0.5 + x * (1 / 6 + x2 * (-1 / 30 + x2 * (1 / 42 + x2 * (-1 / 30 + x2 * 5 / 66)))))
    small = np.where(large, 1.0, a)
    return np.where(large, series, small * polygamma(1, small) - 1.0)


def _minka_start(s: np.ndarray) -> np.ndarray:
    root = np.sqrt((s - 3.0) ** 2 + 24.0 * s)
    # Both forms are the same number; each avoids the other's cancellation.
    return np.where(s <= 3.0, (3.0 - s + root) / (12.0 * s), 2.0 / (root + s - 3.0))


def solve_shape(s: Any) -> np.ndarray:
    """The shape ``a`` with ``log(a) - digamma(a) = s``, for every entry of ``s`` at once.

    ``s <= 1 / (2 MAX_SHAPE)`` (including ``s <= 0`` from rounding, when every point is equal)
    gives :data:`MAX_SHAPE`; the result never exceeds it.

    Raises
    ------
    RuntimeError
        If the Newton iteration has not converged after ``_NEWTON_MAX`` steps (never observed).
    """
    s = np.asarray(s, dtype=float)
    capped = ~(s > 0.5 / MAX_SHAPE)  # also catches NaN
    s_safe = np.where(capped, 1.0, s)
    a = _minka_start(s_safe)
    # Each entry stops at its own convergence, so its value never depends on the other entries
    # of the batch (results stay bit-identical whatever the chunking of replications).
    active = np.ones(a.shape, dtype=bool)
    for _ in range(_NEWTON_MAX):
        residual = log_minus_digamma(a) - s_safe
        slope = a_trigamma_minus_one(a) / a  # -f'(a) > 0
        # Minka's step on 1/a: 1/a_new = 1/a + (f(a) - s) / (a^2 f'(a)).
        inv = 1.0 / a - residual / (a * a * slope)
        new = np.where(inv > 0, 1.0 / np.where(inv > 0, inv, 1.0), 2.0 * a)
        new = np.where(active, new, a)
        active &= ~(np.abs(new - a) <= _NEWTON_TOL * a)
        a = new
        if not active.any():
            break
    else:  # pragma: no cover - the iteration converges in a handful of steps
        worst = s_safe.ravel()[np.argmax(np.abs(log_minus_digamma(a) - s_safe).ravel())]
        raise RuntimeError(f"gamma shape: Newton iteration did not converge for s = {worst!r}")
    return np.where(capped, MAX_SHAPE, np.minimum(a, MAX_SHAPE))


class GammaDistribution(DataFamily):
    """Gamma distribution ``Gamma(shape, rate)`` (mean ``shape/rate``), both fitted by MLE.

    Parameters
    ----------
    shape : float
        True shape ``a``, in ``(0, 1e10]``.
    rate : float
        True rate ``b`` (``> 0``).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> mc.GammaDistribution(shape=2.0, rate=0.5).param_labels
    ('shape', 'rate')
    """

    name = "gamma"
    engines = ("sample", "asymptotic")
    hooks = frozenset(
        {
            "mean",
            "covariance",
            "scale",
            "kl",
            "cross_entropy",
            "asymptotic_covariance",
            "fisher_information",
            "project",
        }
    )
    min_sample_size = 2
    param_labels = ("shape", "rate")
    parameters: ClassVar[dict[str, Constraint]] = {
        "shape": Real(0.0, MAX_SHAPE, low_open=True),
        # the exponential family's range: the same variance error
        "rate": Checked(check_rate, "a real number in RATE_RANGE"),
    }

    def __init__(self, shape: float = 1.0, rate: float = 1.0) -> None:
        self.shape = check_parameter(self, "shape", shape)
        self.rate = check_parameter(self, "rate", rate)

    def __repr__(self) -> str:
        return f"GammaDistribution(shape={self.shape:g}, rate={self.rate:g})"

    def truth(self) -> GammaParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        GammaParams
            ``shape`` and ``rate`` as 0-d arrays.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> t = mc.GammaDistribution(2.0, 0.5).truth()
        >>> float(t.shape), float(t.rate)
        (2.0, 0.5)
        """
        return GammaParams(scalar_param(self.shape), scalar_param(self.rate))

    # -- drawing ---------------------------------------------------------------------------
    def _sampler(self, params: GammaParams) -> tuple[np.ndarray, np.ndarray]:
        shape = np.asarray(params.shape, dtype=float)[:, None]
        return shape, np.asarray(params.rate, dtype=float)[:, None]

    def _sample_with(
        self, state: tuple[np.ndarray, np.ndarray], m: int, rng: ReplicationRandom
    ) -> np.ndarray:
        shape, rate = state
        x = rng.standard_gamma(shape, (m,))
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            x /= rate
        return np.maximum(x, _TINY, out=x)

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        if np.any(x <= 0):
            raise fail("data", "must be positive for the gamma family", x[x <= 0][0].item())
        return x

    def _statistics(self, data: np.ndarray) -> GammaStats:
        """Count, ``sum x`` and ``sum log x`` of positive data of shape ``(R, n)``."""
        return GammaStats(data.shape[1], data.sum(axis=1), np.log(data).sum(axis=1))

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: GammaStats, b: GammaStats) -> GammaStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : GammaStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        GammaStats
            ``count``, ``total`` and ``log_total`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.GammaDistribution()
        >>> s = fam.statistics([[1.0, 2.0, 4.0]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.total.tolist()
        (6, [14.0])
        """
        return GammaStats(a.count + b.count, a.total + b.total, a.log_total + b.log_total)

    def fit(self, sources: Sequence[GammaStats], weights: Sequence[float]) -> GammaParams:
        """Weighted MLE (see the module docstring); zero weights are ignored.

        Parameters
        ----------
        sources : sequence of GammaStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        GammaParams
            ``shape`` and ``rate`` of shape ``(R,)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.GammaDistribution()
        >>> s = fam.statistics([[1.0, 2.0, 4.0], [0.5, 1.0, 3.0]])
        >>> est = fam.fit([s], [1.0])
        >>> est.shape.round(4).tolist(), est.rate.round(4).tolist()
        ([3.4012, 2.0004], [1.4577, 1.3336])
        """
        used = used_sources(sources, weights)
        m1 = np.asarray(sum(w * (s.total / s.count) for s, w in used), dtype=float)
        m2 = np.asarray(sum(w * (s.log_total / s.count) for s, w in used), dtype=float)
        shape = solve_shape(np.log(m1) - m2)
        return GammaParams(shape, shape / m1)

    def flatten(self, params: GammaParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : GammaParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 2)``: ``shape``, ``rate``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.GammaDistribution(2.0, 0.5)
        >>> fam.flatten(fam.truth()).tolist()
        [2.0, 0.5]
        """
        return np.stack([params.shape, params.rate], axis=-1).astype(float)

    def unflatten(self, flat: np.ndarray) -> GammaParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GammaParams
            ``shape`` and ``rate`` of shape ``(...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.GammaDistribution()
        >>> p = fam.unflatten(np.array([[2.0, 0.5]]))
        >>> p.shape.tolist(), p.rate.tolist()
        ([2.0], [0.5])
        """
        return GammaParams(flat[..., 0], flat[..., 1])

    # -- metric hooks ----------------------------------------------------------------------
    @staticmethod
    def _split(params: GammaParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.asarray(params.shape, dtype=float)
        b = np.asarray(params.rate, dtype=float)
        ok = (a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b)
        return np.where(ok, a, 1.0), np.where(ok, b, 1.0), ok

    def mean(self, params: GammaParams) -> np.ndarray:
        """The mean ``shape / rate`` (``inf`` at ``rate = 0``)."""
        b = np.asarray(params.rate, dtype=float)
        return np.where(b > 0, params.shape / np.where(b > 0, b, 1.0), np.inf)

    def covariance(self, params: GammaParams) -> np.ndarray:
        """The variance ``shape / rate^2`` (``inf`` at ``rate = 0``)."""
        b = np.asarray(params.rate, dtype=float)
        return np.where(b > 0, params.shape / np.where(b > 0, b, 1.0) ** 2, np.inf)

    def scale(self, params: GammaParams) -> np.ndarray:
        """The variance ``shape / rate^2``."""
        return self.covariance(params)

    def kl(self, truth: GammaParams, params: GammaParams) -> np.ndarray:
        """``KL(truth || model)``; ``inf`` for a degenerate fit (zero shape or rate)."""
        a, b, ok = self._split(params)
        a0, b0 = truth.shape, truth.rate
        value = (
            (a0 - a) * digamma(a0)
            - gammaln(a0)
            + gammaln(a)
            + a * (np.log(b0) - np.log(b))
            + a0 * (b - b0) / b0
        )
        return np.where(ok, value, np.inf)

    def entropy(self, params: GammaParams) -> np.ndarray:
        """Differential entropy ``a - log b + lgamma(a) + (1 - a) digamma(a)``."""
        a, b, ok = self._split(params)
        value = a - np.log(b) + gammaln(a) + (1.0 - a) * digamma(a)
        return np.where(ok, value, -np.inf)

    def cross_entropy(self, truth: GammaParams, params: GammaParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)

    # -- asymptotic engine -----------------------------------------------------------------
    def fisher_information(self, params: GammaParams) -> np.ndarray:
        """Fisher information of one point, ``[[trigamma(a), -1/b], [-1/b, a/b^2]]``."""
        a = np.asarray(params.shape, dtype=float)
        b = np.asarray(params.rate, dtype=float)
        out = np.empty((*np.broadcast_shapes(a.shape, b.shape), 2, 2))
        with np.errstate(divide="ignore"):
            out[..., 0, 0] = polygamma(1, a)
            out[..., 0, 1] = out[..., 1, 0] = -1.0 / b
            out[..., 1, 1] = a / b**2
        return out

    def asymptotic_covariance(self, params: GammaParams) -> np.ndarray:
        """``I^-1 = [[a, b], [b, b^2 trigamma(a)]] / (a trigamma(a) - 1)``; zero when degenerate."""
        a, b, ok = self._split(params)
        det = a_trigamma_minus_one(a)
        out = np.empty((*a.shape, 2, 2))
        out[..., 0, 0] = a / det
        out[..., 0, 1] = out[..., 1, 0] = b / det
        out[..., 1, 1] = b * b * ((det + 1.0) / a) / det
        return np.where(ok[..., None, None], out, 0.0)

    def project(self, params: GammaParams) -> GammaParams:
        """Clip the shape to ``[0, MAX_SHAPE]`` and the rate to ``[0, inf)``."""
        return GammaParams(np.clip(params.shape, 0.0, MAX_SHAPE), np.maximum(params.rate, 0.0))
