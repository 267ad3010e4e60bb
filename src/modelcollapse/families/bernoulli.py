"""Bernoulli family ``Bernoulli(p)`` with the success probability estimated.

Sufficient statistics of ``n`` points: the count and the number of successes, which the
``exact`` engine draws as ``Binomial(n, p)``.

Estimator: ``p_hat = successes / n``; with several sources ``j`` of weights ``w_j`` the weighted
MLE ``sum_j w_j phat_j``. Under the fully synthetic recursion ``p_t`` is a martingale and
``E[p_t (1 - p_t)] = p (1 - p) prod_{s <= t} (1 - 1/n_s)`` (generation 0 included).

``p = 0`` and ``p = 1`` are absorbing (every later sample is constant): the family's collapse.
Their metrics are deliberate, never NaN: ``kl = risk = inf``, the variance ``p (1 - p) = 0``,
``cells_lost = 1``.

Asymptotic engine: ``sqrt(n)(p_hat - p) -> N(0, p (1 - p))``; a drawn probability outside
``[0, 1]`` is clipped to the nearer end (collapse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import xlogy

from .._validation import fail
from ..random import ReplicationRandom
from ._common import (
    DataFamily,
    SumStats,
    as_data,
    hypergeometric_counts,
    log1p_gap,
    scalar_param,
    used_sources,
)
from .parameters import Constraint, Real, check_parameter

__all__ = ["Bernoulli", "BernoulliParams"]


@dataclass(frozen=True)
class BernoulliParams:
    """Bernoulli parameters: the success probability ``p`` of shape ``(...)``."""

    p: np.ndarray


class Bernoulli(DataFamily):
    """Bernoulli distribution with success probability ``p``, estimated by the sample mean.

    Parameters
    ----------
    p : float
        True success probability, in ``(0, 1)``.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> mc.Bernoulli(p=0.3).param_labels
    ('p',)
    """

    name = "bernoulli"
    engines = ("exact", "sample", "asymptotic")
    hooks = frozenset(
        {
            "mean",
            "covariance",
            "scale",
            "kl",
            "cross_entropy",
            "probabilities",
            "asymptotic_covariance",
            "fisher_information",
            "project",
            "subsample",
        }
    )
    min_sample_size = 1
    param_labels = ("p",)
    parameters: ClassVar[dict[str, Constraint]] = {
        "p": Real(0.0, 1.0, low_open=True, high_open=True)
    }

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_parameter(self, "p", p)

    def __repr__(self) -> str:
        return f"Bernoulli(p={self.p:g})"

    def truth(self) -> BernoulliParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        BernoulliParams
            ``p`` as a 0-d array.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Bernoulli(0.3)
        >>> float(fam.truth().p)
        0.3
        """
        return BernoulliParams(scalar_param(self.p))

    # -- drawing ---------------------------------------------------------------------------
    def _draw_exact(self, params: BernoulliParams, n: int, rng: ReplicationRandom) -> SumStats:
        return SumStats(n, rng.binomial(n, np.asarray(params.p, dtype=float)))

    def _sampler(self, params: BernoulliParams) -> np.ndarray:
        return np.asarray(params.p, dtype=float)[:, None]

    def _sample_with(self, state: np.ndarray, m: int, rng: ReplicationRandom) -> np.ndarray:
        return (rng.uniform((m,)) < state).astype(float)

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        bad = (x != 0) & (x != 1)
        if np.any(bad):
            raise fail("data", "must be 0 or 1 for the Bernoulli family", x[bad][0].item())
        return x

    def _statistics(self, data: np.ndarray) -> SumStats:
        """Count and per-replication number of successes of 0/1 data of shape ``(R, n)``."""
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
        >>> fam = mc.Bernoulli(0.3)
        >>> s = fam.statistics([[1, 0, 0, 1], [0, 0, 0, 1]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.total.tolist()
        (8, [4.0, 2.0])
        """
        return SumStats(a.count + b.count, a.total + b.total)

    def subsample(self, stats: SumStats, m: int, rng: ReplicationRandom) -> SumStats:
        """Statistics of ``m`` of the points drawn without replacement (hypergeometric)."""
        both = np.stack([stats.total, stats.count - stats.total], axis=-1)
        return SumStats(int(m), hypergeometric_counts(rng, both, m)[:, 0])

    def fit(self, sources: Sequence[SumStats], weights: Sequence[float]) -> BernoulliParams:
        """Weighted MLE ``sum_j w_j phat_j`` (clipped to ``[0, 1]`` against rounding).

        Parameters
        ----------
        sources : sequence of SumStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        BernoulliParams
            ``p`` of shape ``(R,)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Bernoulli(0.3)
        >>> real = fam.statistics([[1, 0, 0, 1], [0, 0, 0, 1]])
        >>> synth = fam.statistics([[1, 1], [0, 0]])
        >>> fam.fit([real, synth], [0.25, 0.75]).p.round(4).tolist()
        [0.875, 0.0625]
        """
        used = used_sources(sources, weights)
        if len(used) == 1:
            only = used[0][0]
            return BernoulliParams(only.total / only.count)
        p = sum(w * (s.total / s.count) for s, w in used)
        return BernoulliParams(np.clip(p, 0.0, 1.0))

    def flatten(self, params: BernoulliParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : BernoulliParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 1)``: ``p``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Bernoulli(0.3)
        >>> fam.flatten(fam.truth()).tolist()
        [0.3]
        """
        return np.asarray(params.p, dtype=float)[..., None]

    def unflatten(self, flat: np.ndarray) -> BernoulliParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        BernoulliParams
            ``p`` of shape ``(...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Bernoulli(0.3)
        >>> fam.unflatten(np.array([[0.5], [1.5]])).p.tolist()
        [0.5, 1.5]
        """
        return BernoulliParams(flat[..., 0])

    # -- metric hooks ----------------------------------------------------------------------
    def mean(self, params: BernoulliParams) -> np.ndarray:
        """The mean ``p``."""
        return params.p

    def covariance(self, params: BernoulliParams) -> np.ndarray:
        """The variance ``p (1 - p)``."""
        return params.p * (1.0 - params.p)

    def scale(self, params: BernoulliParams) -> np.ndarray:
        """The variance ``p (1 - p)`` (``collapsed`` is ``p (1 - p) <= eps``)."""
        return self.covariance(params)

    def probabilities(self, params: BernoulliParams) -> np.ndarray:
        """Cell probabilities ``(1 - p, p)``, shape ``(..., 2)``."""
        p = np.asarray(params.p, dtype=float)
        return np.stack([1.0 - p, p], axis=-1)

    def kl(self, truth: BernoulliParams, params: BernoulliParams) -> np.ndarray:
        """``KL(truth || model)``; ``inf`` at the absorbing ``p = 0`` and ``p = 1``."""
        p = np.asarray(params.p, dtype=float)
        inside = (p > 0) & (p < 1)
        safe = np.where(inside, p, 0.5)
        p0 = truth.p
        # p0 (x - log(1 + x)) + q0 (y - log(1 + y)) with x = p/p0 - 1, y = q/q0 - 1 (the linear
        # terms cancel exactly): no cancellation for p near p0.
        d = safe - p0
        value = p0 * log1p_gap(d / p0) + (1 - p0) * log1p_gap(-d / (1 - p0))
        return np.where(inside, value, np.inf)

    def entropy(self, params: BernoulliParams) -> np.ndarray:
        """Entropy ``-p log p - (1 - p) log(1 - p)``."""
        p = np.asarray(params.p, dtype=float)
        return -xlogy(p, p) - xlogy(1 - p, 1 - p)

    def cross_entropy(self, truth: BernoulliParams, params: BernoulliParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)

    # -- asymptotic engine -----------------------------------------------------------------
    def fisher_information(self, params: BernoulliParams) -> np.ndarray:
        """Fisher information of one point about ``p``, ``1/(p (1 - p))``, shape ``(..., 1, 1)``."""
        p = np.asarray(params.p, dtype=float)
        with np.errstate(divide="ignore"):
            return (1.0 / (p * (1.0 - p)))[..., None, None]

    def asymptotic_covariance(self, params: BernoulliParams) -> np.ndarray:
        """``p (1 - p)``, shape ``(..., 1, 1)`` (zero at the absorbing ends)."""
        p = np.asarray(params.p, dtype=float)
        return (p * (1.0 - p))[..., None, None]

    def project(self, params: BernoulliParams) -> BernoulliParams:
        """Clip ``p`` to ``[0, 1]`` (an end is a collapse)."""
        return BernoulliParams(np.clip(params.p, 0.0, 1.0))
