"""A family whose statistics are the data points themselves.

Most families reduce their data to sufficient statistics (sums), which is what makes the exact
engine cheap, but a sum cannot be subsampled: which points a subsample keeps is lost in it. The
``accumulate-subsample`` regime (:mod:`modelcollapse.regimes`) needs the points, so for a family
without a ``subsample`` hook of its own, :func:`modelcollapse.simulate` with ``engine="sample"``
runs the family wrapped in :class:`PointsFamily`: a draw keeps the ``(R, n, ...)`` points
(``Family.sample``), pooling concatenates them, a subsample picks points without replacement,
and a fit reduces each source with the family's ``statistics`` before the family's own weighted
``fit``. The estimates are the family's, exactly; only memory grows, with the points held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import fail
from ..random import ReplicationRandom
from ._common import FamilyWrapper, random_subset
from .capabilities import Capabilities, capabilities_of

__all__ = ["Points", "PointsFamily"]


@dataclass(frozen=True)
class Points:
    """The ``count`` points of every replication: ``data`` of shape ``(R, count, ...)``."""

    count: int
    data: np.ndarray


class PointsFamily(FamilyWrapper):
    """``family`` with the data points as its statistics (see the module docstring).

    Parameters
    ----------
    family : Family
        A family with ``sample`` and ``statistics``.

    Examples
    --------
    >>> import numpy as np
    >>> import modelcollapse as mc
    >>> from modelcollapse.random import ReplicationRandom
    >>> fam = PointsFamily(mc.Gaussian())
    >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)
    >>> pts = fam.draw(fam.broadcast(fam.truth(), 3), 50, rng)
    >>> pts.data.shape, fam.subsample(pts, 20, rng).data.shape
    ((3, 50), (3, 20))
    """

    engines = ("sample",)

    def __init__(self, family: Any) -> None:
        super().__init__(family)
        inner = capabilities_of(family)
        #: The statistics are the data points: a replication holds its training set (the
        #: engine's memory estimate counts it), and they can be subsampled.
        self.capabilities = Capabilities(
            engines=self.engines,
            hooks=frozenset({"subsample"} | self.forwarded),
            record_params=inner.record_params,
            holds_points=True,
            point_size=inner.point_size,
        )

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str = "sample") -> Points:
        """``n`` points per replication from ``params`` (the wrapped family's ``sample``)."""
        if engine != "sample":
            raise fail("engine", "must be sample for a PointsFamily", engine)
        return Points(int(n), self.family.sample(params, n, rng))

    def statistics(self, data: Any) -> Points:
        """The points themselves, after the wrapped family's validation."""
        self.family.statistics(data)
        arr = np.asarray(data, dtype=float)
        return Points(arr.shape[1], arr)

    def pool(self, a: Points, b: Points) -> Points:
        """Both sets of points."""
        return Points(a.count + b.count, np.concatenate([a.data, b.data], axis=1))

    def subsample(self, stats: Points, m: int, rng: ReplicationRandom) -> Points:
        """``m`` of the points, drawn without replacement."""
        index = random_subset(rng, stats.count, m)
        index = index.reshape(index.shape + (1,) * (stats.data.ndim - 2))
        return Points(int(m), np.take_along_axis(stats.data, index, axis=1))

    def fit(self, sources: Sequence[Points], weights: Sequence[float]) -> Any:
        """The wrapped family's weighted fit to each source's statistics."""
        stats = [self.family.statistics(s.data) for s in sources]
        return self.family.fit(stats, weights)
