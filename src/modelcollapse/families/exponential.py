"""Exponential family ``Exp(rate)`` with the rate estimated.

Sufficient statistics of ``n`` points: the count and the sum ``S``. Given the model, ``S`` is
``Gamma(n, scale 1/rate)``, which the ``exact`` engine draws at a cost independent of ``n``.

Estimators (``estimator=``):

- ``"mle"``: ``rate_hat = n / S``. With several sources ``j`` of weights ``w_j`` (each source's
  points together carry its weight) the weighted MLE is ``1 / sum_j w_j xbar_j``: the fitted
  mean ``1/rate`` is the weighted average of the sources' means, a martingale under the fully
  synthetic recursion.
- ``"unbiased"``: ``rate_hat = (n - 1) / S`` (``E rate_hat = rate``). With several sources the
  per-source unbiased rates are combined convexly, ``sum_j w_j (n_j - 1) / S_j``: exactly unbiased
  for every choice of weights (the analogue of the Gaussian ``combine="convex"`` convention). It
  needs ``n >= 2`` in every source.

Degenerate fits are kept, never turned into NaN: a sum that underflows to 0 gives ``rate = inf``
(a point mass at 0), a sum that overflows gives ``rate = 0``; both are absorbing and have
``kl = inf``.

Asymptotic engine: ``sqrt(n)(rate_hat - rate) -> N(0, rate^2)``; a drawn rate below zero is
clipped to zero (absorbing, ``kl = inf``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import check_real, fail
from ..random import ReplicationRandom
from ._common import DataFamily, SumStats, as_data, log1p_gap, scalar_param, used_sources
from .parameters import Checked, Constraint, OneOf, check_parameter

__all__ = ["ExponentialDistribution", "ExponentialParams"]

ESTIMATORS = ("mle", "unbiased")
#: Range of a true rate. The variance is ``1/rate^2`` and ``cov_error`` squares it (a power -4
#: of the rate), and a fitted rate wanders far from the truth over the generations: inside this
#: range that power stays within float64's 1e-308 .. 1.8e308 with room to spare (at
#: ``rate = 1e-320`` every variance is ``inf`` and every error NaN).
RATE_RANGE = (1e-50, 1e50)


def check_rate(name: str, value: Any) -> float:
    """A true rate: positive, finite and inside :data:`RATE_RANGE`."""
    rate = check_real(name, value, lower=0.0, lower_open=True)
    low, high = RATE_RANGE
    if not low <= rate <= high:
        raise fail(
            name,
            f"must lie in [{low:g}, {high:g}]: the variance 1/rate^2 is squared by the variance "
            "error, a power -4 of the rate, and float64 carries only 1e-308 to 1.8e308",
            value,
        )
    return rate


@dataclass(frozen=True)
class ExponentialParams:
    """Exponential parameters: ``rate`` of shape ``(...)``."""

    rate: np.ndarray


class ExponentialDistribution(DataFamily):
    """Exponential distribution ``Exp(rate)`` (mean ``1/rate``) with the rate estimated.

    Parameters
    ----------
    rate : float
        True rate (``> 0``).
    estimator : {"mle", "unbiased"}
        ``n / S`` or ``(n - 1) / S`` (see the module docstring for several sources).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> mc.ExponentialDistribution(rate=2.0).param_labels
    ('rate',)
    """

    name = "exponential"
    engines = ("exact", "sample", "asymptotic")
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
    param_labels = ("rate",)
    parameters: ClassVar[dict[str, Constraint]] = {
        "rate": Checked(check_rate, "a real number in RATE_RANGE"),
        "estimator": OneOf(*ESTIMATORS),
    }

    def __init__(self, rate: float = 1.0, estimator: str = "mle") -> None:
        self.rate = check_parameter(self, "rate", rate)
        self.estimator = check_parameter(self, "estimator", estimator)
        self.min_sample_size = 2 if self.estimator == "unbiased" else 1

    def __repr__(self) -> str:
        return f"ExponentialDistribution(rate={self.rate:g}, estimator={self.estimator!r})"

    def truth(self) -> ExponentialParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        ExponentialParams
            ``rate`` as a 0-d array.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.ExponentialDistribution(2.0)
        >>> float(fam.truth().rate)
        2.0
        """
        return ExponentialParams(scalar_param(self.rate))

    # -- drawing ---------------------------------------------------------------------------
    def _draw_exact(self, params: ExponentialParams, n: int, rng: ReplicationRandom) -> SumStats:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            total = rng.standard_gamma(float(n)) / params.rate
        return SumStats(n, total)

    def _sampler(self, params: ExponentialParams) -> np.ndarray:
        return np.asarray(params.rate, dtype=float)

    def _sample_with(self, state: np.ndarray, m: int, rng: ReplicationRandom) -> np.ndarray:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            x = rng.standard_exponential((m,)) / state[:, None]
        return x

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        if np.any(x < 0):
            raise fail(
                "data", "must be non-negative for the exponential family", x[x < 0][0].item()
            )
        return x

    def _statistics(self, data: np.ndarray) -> SumStats:
        """Count and per-replication sum of data of shape ``(R, n)``."""
        return SumStats(data.shape[1], data.sum(axis=1))

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: SumStats, b: SumStats) -> SumStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : SumStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        SumStats
            ``count`` and ``total`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.ExponentialDistribution(2.0)
        >>> s = fam.statistics([[0.5, 1.0, 1.5], [0.2, 0.2, 0.6]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.total.tolist()
        (6, [6.0, 2.0])
        """
        return SumStats(a.count + b.count, a.total + b.total)

    def fit(self, sources: Sequence[SumStats], weights: Sequence[float]) -> ExponentialParams:
        """Weighted estimate (see the module docstring); zero weights are ignored.

        Parameters
        ----------
        sources : sequence of SumStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        ExponentialParams
            ``rate`` of shape ``(R,)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.ExponentialDistribution(2.0)
        >>> real = fam.statistics([[0.5, 1.0, 1.5], [0.2, 0.2, 0.6]])
        >>> synth = fam.statistics([[1.0, 1.0], [0.5, 0.5]])
        >>> fam.fit([real, synth], [0.25, 0.75]).rate.round(4).tolist()
        [1.0, 2.1818]
        """
        used = used_sources(sources, weights)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if self.estimator == "unbiased":
                rate = sum(w * ((s.count - 1) / s.total) for s, w in used)
            elif len(used) == 1:
                rate = used[0][0].count / used[0][0].total
            else:
                rate = 1.0 / sum(w * (s.total / s.count) for s, w in used)
        return ExponentialParams(np.asarray(rate, dtype=float))

    def flatten(self, params: ExponentialParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : ExponentialParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 1)``: ``rate``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.ExponentialDistribution(2.0)
        >>> fam.flatten(fam.truth()).tolist()
        [2.0]
        """
        return np.asarray(params.rate, dtype=float)[..., None]

    def unflatten(self, flat: np.ndarray) -> ExponentialParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        ExponentialParams
            ``rate`` of shape ``(...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.ExponentialDistribution(2.0)
        >>> fam.unflatten(np.array([[0.5], [1.5]])).rate.tolist()
        [0.5, 1.5]
        """
        return ExponentialParams(flat[..., 0])

    # -- metric hooks ----------------------------------------------------------------------
    def mean(self, params: ExponentialParams) -> np.ndarray:
        """The mean ``1/rate`` (``inf`` at ``rate = 0``)."""
        with np.errstate(divide="ignore"):
            return 1.0 / params.rate

    def covariance(self, params: ExponentialParams) -> np.ndarray:
        """The variance ``1/rate^2``."""
        with np.errstate(divide="ignore", over="ignore"):
            return 1.0 / np.square(params.rate)

    def scale(self, params: ExponentialParams) -> np.ndarray:
        """The variance ``1/rate^2``."""
        return self.covariance(params)

    def kl(self, truth: ExponentialParams, params: ExponentialParams) -> np.ndarray:
        """``KL(truth || model) = log(r0/r) + r/r0 - 1``; ``inf`` at ``r = 0`` or ``r = inf``."""
        r = np.asarray(params.rate, dtype=float)
        ok = (r > 0) & np.isfinite(r)
        safe = np.where(ok, r, 1.0)
        value = log1p_gap((safe - truth.rate) / truth.rate)  # x - log(1 + x), x = r/r0 - 1
        return np.where(ok, value, np.inf)

    def entropy(self, params: ExponentialParams) -> np.ndarray:
        """Differential entropy ``1 - log(rate)``."""
        with np.errstate(divide="ignore"):
            return 1.0 - np.log(params.rate)

    def cross_entropy(self, truth: ExponentialParams, params: ExponentialParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)

    # -- asymptotic engine -----------------------------------------------------------------
    def fisher_information(self, params: ExponentialParams) -> np.ndarray:
        """Fisher information of one point about the rate, ``1/rate^2``, shape ``(..., 1, 1)``."""
        with np.errstate(divide="ignore"):
            return (1.0 / np.square(np.asarray(params.rate, dtype=float)))[..., None, None]

    def asymptotic_covariance(self, params: ExponentialParams) -> np.ndarray:
        """``rate^2``, shape ``(..., 1, 1)``: both estimators are asymptotically efficient."""
        return np.square(np.asarray(params.rate, dtype=float))[..., None, None]

    def project(self, params: ExponentialParams) -> ExponentialParams:
        """Clip a negative rate to zero (absorbing, ``kl = inf``)."""
        return ExponentialParams(np.maximum(params.rate, 0.0))
