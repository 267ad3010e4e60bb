"""Poisson family ``Poisson(lam)`` with the mean estimated by maximum likelihood.

Sufficient statistics of ``n`` counts: the number of points and their sum ``S``. Given the model,
``S ~ Poisson(n lam)``, which the ``exact`` engine draws at a cost independent of ``n``.

Estimator: ``lam_hat = S / n``; with several sources ``j`` of weights ``w_j`` the weighted MLE
``sum_j w_j xbar_j``. Under the fully synthetic recursion ``lam_t`` is a martingale with
``Var(lam_t | lam_{t-1}) = lam_{t-1} / n_t``, so ``Var lam_t = lam sum_{s <= t} 1/n_s``.

``lam = 0`` is absorbing (every later sample is all zeros): it is the family's collapse. Its
metrics are deliberate, never NaN: ``kl = risk = inf``, the squared errors finite. A total beyond
the range of doubles (``n lam > 1.8e308``) gives ``lam = inf``, absorbing too, with deliberately
infinite metrics (``collapsed = 0``).

Asymptotic engine: ``sqrt(n)(lam_hat - lam) -> N(0, lam)``; a drawn mean below zero is clipped
to zero (collapse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import gammaln, xlogy

from .._validation import fail
from ..random import ReplicationRandom
from ._common import DataFamily, SumStats, as_data, log1p_gap, scalar_param, used_sources
from .parameters import Constraint, Real, check_parameter

__all__ = ["Poisson", "PoissonParams"]

#: Means from which the entropy uses its asymptotic series (error below 1e-13).
_ENTROPY_SERIES = 1000.0
#: Entries whose entropy is summed at once (bounds the memory of the summation).
_ENTROPY_CHUNK = 1024


@dataclass(frozen=True)
class PoissonParams:
    """Poisson parameters: the mean ``lam`` of shape ``(...)``."""

    lam: np.ndarray


def poisson_entropy(lam: Any) -> np.ndarray:
    """Entropy ``lam - lam log(lam) + E[log X!]`` of ``Poisson(lam)``, elementwise.

    ``-sum_k pmf(k) log pmf(k)`` summed over the support below :data:`_ENTROPY_SERIES`
    (truncated where the remaining mass is below ``e^-800``), the asymptotic series
    ``log(2 pi e lam)/2 - 1/(12 lam) - ...`` above.
    """
    lam = np.asarray(lam, dtype=float)
    flat = lam.ravel()
    out = np.empty_like(flat)
    big = flat >= _ENTROPY_SERIES
    x = flat[big]
    out[big] = (
        0.5 * np.log(2.0 * np.pi * np.e * x) - 1 / (12 * x) - 1 / (24 * x**2) - 19 / (360 * x**3)
    )
    small = np.flatnonzero(~big)
    for start in range(0, small.size, _ENTROPY_CHUNK):
        idx = small[start : start + _ENTROPY_CHUNK]
        mu = flat[idx][:, None]
        top = float(mu.max()) if mu.size else 0.0
        k = np.arange(np.ceil(top + 40.0 * np.sqrt(top) + 40.0) + 1)[None, :]
        # -sum pmf log pmf term by term: no cancellation between lam log lam and E[log X!].
        log_pmf = xlogy(k, mu) - mu - gammaln(k + 1.0)
        pmf = np.exp(log_pmf)
        out[idx] = -np.sum(pmf * np.where(pmf > 0, log_pmf, 0.0), axis=1)
    return out.reshape(lam.shape)


class Poisson(DataFamily):
    """Poisson distribution with mean ``lam``, estimated by maximum likelihood.

    Parameters
    ----------
    lam : float
        True mean (``> 0``).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> mc.Poisson(lam=3.0).param_labels
    ('lam',)
    """

    name = "poisson"
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
    min_sample_size = 1
    param_labels = ("lam",)
    parameters: ClassVar[dict[str, Constraint]] = {"lam": Real(0.0, low_open=True)}

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = check_parameter(self, "lam", lam)

    def __repr__(self) -> str:
        return f"Poisson(lam={self.lam:g})"

    def truth(self) -> PoissonParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        PoissonParams
            ``lam`` as a 0-d array.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Poisson(2.0)
        >>> float(fam.truth().lam)
        2.0
        """
        return PoissonParams(scalar_param(self.lam))

    # -- drawing ---------------------------------------------------------------------------
    def _draw_exact(self, params: PoissonParams, n: int, rng: ReplicationRandom) -> SumStats:
        with np.errstate(over="ignore"):  # n lam beyond the doubles: inf, deliberately
            mean = float(n) * np.asarray(params.lam, dtype=float)
        return SumStats(n, rng.poisson(mean))

    def _sampler(self, params: PoissonParams) -> np.ndarray:
        return np.asarray(params.lam, dtype=float)[:, None]

    def _sample_with(self, state: np.ndarray, m: int, rng: ReplicationRandom) -> np.ndarray:
        return rng.poisson(state, (m,))

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        bad = (x < 0) | (x != np.floor(x))
        if np.any(bad):
            raise fail(
                "data", "must be non-negative integers for the Poisson family", x[bad][0].item()
            )
        return x

    def _statistics(self, data: np.ndarray) -> SumStats:
        """Count and per-replication sum of counts of shape ``(R, n)``."""
        with np.errstate(over="ignore"):  # a total beyond the doubles: inf, deliberately
            return SumStats(data.shape[1], data.sum(axis=1, dtype=float))

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
        >>> fam = mc.Poisson(2.0)
        >>> s = fam.statistics([[1, 2, 3], [0, 4, 2]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.total.tolist()
        (6, [12.0, 12.0])
        """
        with np.errstate(over="ignore"):  # a total beyond the doubles: inf, deliberately
            return SumStats(a.count + b.count, a.total + b.total)

    def fit(self, sources: Sequence[SumStats], weights: Sequence[float]) -> PoissonParams:
        """Weighted MLE ``sum_j w_j xbar_j``; zero weights are ignored.

        Parameters
        ----------
        sources : sequence of SumStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        PoissonParams
            ``lam`` of shape ``(R,)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Poisson(2.0)
        >>> real = fam.statistics([[1, 2, 3], [0, 4, 2]])
        >>> synth = fam.statistics([[2, 2], [1, 1]])
        >>> fam.fit([real, synth], [0.25, 0.75]).lam.round(4).tolist()
        [2.0, 1.25]
        """
        used = used_sources(sources, weights)
        if len(used) == 1:
            only = used[0][0]
            return PoissonParams(only.total / only.count)
        return PoissonParams(np.asarray(sum(w * (s.total / s.count) for s, w in used)))

    def flatten(self, params: PoissonParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : PoissonParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 1)``: ``lam``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Poisson(2.0)
        >>> fam.flatten(fam.truth()).tolist()
        [2.0]
        """
        return np.asarray(params.lam, dtype=float)[..., None]

    def unflatten(self, flat: np.ndarray) -> PoissonParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        PoissonParams
            ``lam`` of shape ``(...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Poisson(2.0)
        >>> fam.unflatten(np.array([[0.5], [1.5]])).lam.tolist()
        [0.5, 1.5]
        """
        return PoissonParams(flat[..., 0])

    # -- metric hooks ----------------------------------------------------------------------
    def mean(self, params: PoissonParams) -> np.ndarray:
        """The mean ``lam``."""
        return params.lam

    def covariance(self, params: PoissonParams) -> np.ndarray:
        """The variance ``lam``."""
        return params.lam

    def scale(self, params: PoissonParams) -> np.ndarray:
        """The variance ``lam`` (``collapsed`` is ``lam <= eps``)."""
        return params.lam

    def kl(self, truth: PoissonParams, params: PoissonParams) -> np.ndarray:
        """``KL(truth || model) = l0 log(l0/l) + l - l0``; ``inf`` at ``l = 0`` and ``l = inf``."""
        lam = np.asarray(params.lam, dtype=float)
        positive = lam > 0
        safe = np.where(positive, lam, 1.0)
        # l0 (x - log(1 + x)) with x = l/l0 - 1: no cancellation for l near l0; inf at l = inf.
        value = truth.lam * log1p_gap((safe - truth.lam) / truth.lam)
        return np.where(positive, value, np.inf)

    def entropy(self, params: PoissonParams) -> np.ndarray:
        """Entropy of ``Poisson(lam)`` (see :func:`poisson_entropy`)."""
        return poisson_entropy(params.lam)

    def cross_entropy(self, truth: PoissonParams, params: PoissonParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)

    # -- asymptotic engine -----------------------------------------------------------------
    def fisher_information(self, params: PoissonParams) -> np.ndarray:
        """Fisher information of one count about ``lam``, ``1/lam``, shape ``(..., 1, 1)``."""
        with np.errstate(divide="ignore"):
            return (1.0 / np.asarray(params.lam, dtype=float))[..., None, None]

    def asymptotic_covariance(self, params: PoissonParams) -> np.ndarray:
        """``lam``, shape ``(..., 1, 1)`` (zero at the absorbing ``lam = 0``)."""
        return np.asarray(params.lam, dtype=float)[..., None, None]

    def project(self, params: PoissonParams) -> PoissonParams:
        """Clip a negative mean to zero (collapse)."""
        return PoissonParams(np.maximum(params.lam, 0.0))
