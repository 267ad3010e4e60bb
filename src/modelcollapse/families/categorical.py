"""Categorical family on ``K`` cells with the cell probabilities estimated.

Data are integer category codes ``0..K-1``. Sufficient statistics of ``n`` points: the count and
the ``K`` cell counts, which the ``exact`` engine draws as ``Multinomial(n, p)`` with each
replication's own ``p``.

Estimator: ``p_hat = counts / n``; with several sources ``j`` of weights ``w_j`` the weighted MLE
``sum_j w_j counts_j / n_j`` (paper 2's ``w p_real + (1 - w) p_synth``). Under the fully synthetic
recursion every ``p_t,k`` is a martingale and ``E[1 - sum_k p_t,k^2] = (1 - sum_k p_k^2)
prod_{s <= t} (1 - 1/n_s)`` (generation 0 included).

A cell whose probability reaches 0 never comes back: the metric ``cells_lost`` counts them, and
``kl = risk = inf`` from the first lost cell (never NaN). ``prob_error`` is paper 2's squared error,
the mean over cells of ``(p_t,k - p_k)^2``; ``mean_error`` is its sum over cells.

Asymptotic engine: ``sqrt(n)(p_hat - p) -> N(0, diag(p) - p p^T)`` (a singular covariance: the
draws stay on the simplex's plane). A draw with negative cells has them clipped to zero and is
renormalised to sum one (those cells are then lost).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import xlogy

from .._validation import check_finite, check_int, check_memory, fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, hypergeometric_counts, log1p_gap, used_sources
from .parameters import Constraint, Given

__all__ = ["Categorical", "CategoricalParams", "CategoricalStats"]

#: Tolerance on ``sum(p) = 1`` for the constructor.
_SUM_TOL = 1e-9
#: Bytes per cell a family holds: its probabilities and the copies made while they are checked.
_CELL_BYTES = 8 * 4


def _check_cells_memory(name: str, k: int) -> None:
    """Refuse a number of cells whose family alone would not fit in the memory available."""
    check_memory(
        name,
        float(_CELL_BYTES) * k,
        k,
        lambda budget: f"at most {int(budget // _CELL_BYTES):,} cells fit",
    )


@dataclass(frozen=True)
class CategoricalParams:
    """Cell probabilities ``p`` of shape ``(..., K)``."""

    p: np.ndarray


@dataclass(frozen=True)
class CategoricalStats:
    """Statistics of ``count`` points: the cell ``counts``, shape ``(R, K)``."""

    count: int
    counts: np.ndarray


class Categorical(DataFamily):
    """Categorical distribution on ``K`` cells, cell probabilities estimated by frequencies.

    Parameters
    ----------
    p : array_like, shape (K,)
        True cell probabilities: ``K >= 2``, each positive, summing to one (to ``1e-9``; they are
        renormalised exactly).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> mc.Categorical([0.5, 0.3, 0.2]).param_labels
    ('p[0]', 'p[1]', 'p[2]')
    >>> mc.Categorical.uniform(4).truth().p.tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    name = "categorical"
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
            "project",
            "subsample",
            "memory_model",
        }
    )
    min_sample_size = 1
    parameters: ClassVar[dict[str, Constraint]] = {
        "p": Given("a vector of K >= 2 positive cell probabilities summing to 1")
    }

    def __init__(self, p: Any) -> None:
        arr = check_finite("p", p)
        if arr.ndim != 1 or arr.size < 2:
            raise fail("p", "must be a vector of K >= 2 cell probabilities", p)
        if np.any(arr <= 0):
            raise fail("p", "every cell probability must be positive", p)
        if abs(arr.sum() - 1.0) > _SUM_TOL:
            raise fail("p", "cell probabilities must sum to 1", p)
        _check_cells_memory("p", arr.size)
        self.p = arr / arr.sum()
        self.k = arr.size
        self._size_option = "p"

    @property
    def param_labels(self) -> tuple[str, ...]:  # type: ignore[override]
        """``p[0]``, ..., ``p[K-1]``, made on first use (there may be many cells)."""
        labels = self.__dict__.get("_labels")
        if labels is None:
            labels = tuple(f"p[{j}]" for j in range(self.k))
            self._labels = labels
        return labels

    @classmethod
    def uniform(cls, k: int) -> Categorical:
        """The uniform distribution on ``k >= 2`` cells."""
        k = check_int("k", k, minimum=2)
        _check_cells_memory("k", k)
        family = cls(np.full(k, 1.0 / k))
        family._size_option = "k"
        return family

    def __repr__(self) -> str:
        return f"Categorical(K={self.k})"

    def truth(self) -> CategoricalParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        CategoricalParams
            ``p`` of shape ``(K,)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> mc.Categorical([0.2, 0.3, 0.5]).truth().p.tolist()
        [0.2, 0.3, 0.5]
        """
        return CategoricalParams(self.p.copy())

    def memory_model(
        self, metrics: Sequence[str]
    ) -> tuple[str, int, str, Callable[[int], tuple[float, float]]]:
        """The cells size a replication: a few vectors of ``K`` cells, and ``K x K`` matrices
        for the ``cov_error`` metric (the one-hot covariance ``diag(p) - p p^T`` and its
        error), with ``K`` recorded parameters (see ``modelcollapse.engine``)."""
        square = 4.0 if "cov_error" in metrics else 0.0

        def floats(k: int) -> tuple[float, float]:
            return square * k * k + 40.0 * k, float(k)

        option = getattr(self, "_size_option", "p")
        return option, self.k, "cells", floats

    # -- drawing ---------------------------------------------------------------------------
    def _draw_exact(
        self, params: CategoricalParams, n: int, rng: ReplicationRandom
    ) -> CategoricalStats:
        p = np.asarray(params.p, dtype=float)
        counts = rng.multinomial(n, p)
        # numpy gives the last cell whatever trials remain; at huge n the rounding of the
        # conditional probabilities leaves a few there even when its probability is 0 (n = 4e18:
        # hundreds). A lost cell stays lost: such counts go to the largest cell.
        lost = (p <= 0.0) & (counts > 0)
        if np.any(lost):
            leak = np.where(lost, counts, 0.0).sum(axis=-1)
            counts[lost] = 0.0
            counts[np.arange(counts.shape[0]), np.argmax(p, axis=-1)] += leak
        return CategoricalStats(n, counts)

    def _sampler(self, params: CategoricalParams) -> tuple[np.ndarray, np.ndarray]:
        p = np.asarray(params.p, dtype=float)
        cdf = np.cumsum(p, axis=-1)
        # Never return a code past the last positive cell, even where rounding leaves a gap.
        last = self.k - 1 - np.argmax(p[:, ::-1] > 0, axis=-1)
        return cdf, last[:, None]

    def _sample_with(
        self, state: tuple[np.ndarray, np.ndarray], m: int, rng: ReplicationRandom
    ) -> np.ndarray:
        cdf, last = state
        u = rng.uniform((m,)) * cdf[:, -1:]
        codes = np.zeros(u.shape, dtype=np.int64)
        for j in range(self.k - 1):  # a cell of probability 0 has an empty interval
            codes += u >= cdf[:, j : j + 1]
        return np.minimum(codes, last)

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        bad = (x < 0) | (x >= self.k) | (x != np.floor(x))
        if np.any(bad):
            raise fail(
                "data", f"must be integer category codes in 0..{self.k - 1}", x[bad][0].item()
            )
        return x.astype(np.int64)

    def _statistics(self, data: np.ndarray) -> CategoricalStats:
        """Count and cell counts of integer codes of shape ``(R, n)``."""
        r, n = data.shape
        offset = (np.arange(r) * self.k)[:, None]
        counts = np.bincount((data + offset).ravel(), minlength=r * self.k)
        return CategoricalStats(n, counts.reshape(r, self.k).astype(float))

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: CategoricalStats, b: CategoricalStats) -> CategoricalStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : CategoricalStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        CategoricalStats
            ``count`` and the cell ``counts`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Categorical.uniform(3)
        >>> s = fam.statistics([[0, 1, 1, 2], [2, 2, 2, 0]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.counts.tolist()
        (8, [[2.0, 4.0, 2.0], [2.0, 0.0, 6.0]])
        """
        return CategoricalStats(a.count + b.count, a.counts + b.counts)

    def subsample(
        self, stats: CategoricalStats, m: int, rng: ReplicationRandom
    ) -> CategoricalStats:
        """Statistics of ``m`` of the points drawn without replacement (exact: the counts are
        the data up to their order; a multivariate hypergeometric draw)."""
        return CategoricalStats(int(m), hypergeometric_counts(rng, stats.counts, m))

    def fit(
        self, sources: Sequence[CategoricalStats], weights: Sequence[float]
    ) -> CategoricalParams:
        """Weighted MLE ``sum_j w_j counts_j / n_j``; zero weights are ignored.

        Parameters
        ----------
        sources : sequence of CategoricalStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        CategoricalParams
            ``p`` of shape ``(R, K)``, one estimate per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Categorical.uniform(3)
        >>> real = fam.statistics([[0, 1, 1, 2], [2, 2, 2, 0]])
        >>> synth = fam.statistics([[0, 0], [1, 1]])
        >>> fam.fit([real, synth], [0.5, 0.5]).p.round(4).tolist()
        [[0.625, 0.25, 0.125], [0.125, 0.5, 0.375]]
        """
        used = used_sources(sources, weights)
        if len(used) == 1:
            only = used[0][0]
            return CategoricalParams(only.counts / only.count)
        return CategoricalParams(np.asarray(sum(w * (s.counts / s.count) for s, w in used)))

    def flatten(self, params: CategoricalParams) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (how the recorder stores them).

        Parameters
        ----------
        params : CategoricalParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., K)``: the cell probabilities.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Categorical([0.2, 0.3, 0.5])
        >>> fam.flatten(fam.truth()).tolist()
        [0.2, 0.3, 0.5]
        """
        return np.asarray(params.p, dtype=float)

    def unflatten(self, flat: np.ndarray) -> CategoricalParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        CategoricalParams
            ``p`` of shape ``(..., K)`` (a copy).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Categorical.uniform(2)
        >>> fam.unflatten(np.array([[0.25, 0.75]])).p.tolist()
        [[0.25, 0.75]]
        """
        return CategoricalParams(np.array(flat, dtype=float))

    # -- metric hooks ----------------------------------------------------------------------
    def mean(self, params: CategoricalParams) -> np.ndarray:
        """The mean of the one-hot encoding: ``p``."""
        return params.p

    def covariance(self, params: CategoricalParams) -> np.ndarray:
        """Covariance of the one-hot encoding, ``diag(p) - p p^T``, shape ``(..., K, K)``."""
        p = np.asarray(params.p, dtype=float)
        return p[..., :, None] * (np.eye(self.k) - p[..., None, :])

    def scale(self, params: CategoricalParams) -> np.ndarray:
        """Mean cell variance ``(1 - sum_k p_k^2) / K`` (the Gini impurity over ``K``)."""
        p = np.asarray(params.p, dtype=float)
        return (1.0 - np.sum(p * p, axis=-1)) / self.k

    def probabilities(self, params: CategoricalParams) -> np.ndarray:
        """The cell probabilities, shape ``(..., K)``."""
        return params.p

    def kl(self, truth: CategoricalParams, params: CategoricalParams) -> np.ndarray:
        """``KL(truth || model) = sum_k p0_k log(p0_k / p_k)``; ``inf`` once a cell is lost."""
        p = np.asarray(params.p, dtype=float)
        lost = np.any(p <= 0, axis=-1)
        safe = np.where(p > 0, p, 1.0)
        # sum_k p0_k (x_k - log(1 + x_k)), x_k = p_k/p0_k - 1 (sum_k p0_k x_k = 0): every term
        # >= 0, no cancellation for p near p0.
        value = np.sum(truth.p * log1p_gap((safe - truth.p) / truth.p), axis=-1)
        return np.where(lost, np.inf, value)

    def entropy(self, params: CategoricalParams) -> np.ndarray:
        """Entropy ``-sum_k p_k log p_k``."""
        p = np.asarray(params.p, dtype=float)
        return -np.sum(xlogy(p, p), axis=-1)

    def cross_entropy(self, truth: CategoricalParams, params: CategoricalParams) -> np.ndarray:
        """Population risk ``E_truth[-log p_model(X)] = KL(truth || model) + H(truth)``."""
        return self.kl(truth, params) + self.entropy(truth)

    # -- asymptotic engine -----------------------------------------------------------------
    def asymptotic_covariance(self, params: CategoricalParams) -> np.ndarray:
        """``diag(p) - p p^T``, shape ``(..., K, K)``.

        Given directly: the Fisher information of the ``K`` cell probabilities is singular (they
        sum to one), this is the covariance of ``sqrt(n)(p_hat - p)`` itself.
        """
        return self.covariance(params)

    def project(self, params: CategoricalParams) -> CategoricalParams:
        """Clip negative cells to zero and renormalise to sum one."""
        p = np.maximum(params.p, 0.0)
        return CategoricalParams(p / p.sum(axis=-1, keepdims=True))
