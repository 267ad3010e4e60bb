"""The contract every family implements.

A family is a statistical model together with its estimator. It works on *sufficient
statistics*, never on whole data sets held in memory:

``draw(params, n, rng, engine)``
    Statistics of ``n`` fresh points from the model ``params``, one set per replication. With
    ``engine="exact"`` the statistics are drawn straight from their sampling distribution (cost
    independent of ``n``); with ``engine="sample"`` the points are drawn and reduced.
``pool(a, b)``
    The statistics of the union of the data behind ``a`` and ``b`` (unweighted); what the
    accumulating regimes and the sample engine's chunked reductions use.
``fit(sources, weights)``
    The estimate from several weighted sources: each source's points together carry the
    source's weight, the weights sum to one.

Parameters and statistics are small immutable records of arrays whose first axis is the
replication. ``flatten`` and ``unflatten`` convert parameters to and from a plain ``(..., p)``
array, which is how the recorder stores them.

Optional hooks used by :mod:`modelcollapse.metrics` (a metric is offered for a family exactly
when the family has the hook): ``mean``, ``covariance``, ``scale``, ``kl`` and
``cross_entropy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..random import ReplicationRandom

__all__ = ["Family"]


@runtime_checkable
class Family(Protocol):
    """Protocol of a statistical family with its estimator (see the module docstring)."""

    #: Registry name, e.g. ``"gaussian"``.
    name: str
    #: Smallest sample size the estimator accepts.
    min_sample_size: int
    #: Engines the family supports, e.g. ``("exact", "sample")``.
    engines: tuple[str, ...]
    #: Labels of the flattened parameter vector, e.g. ``("mu", "sigma2")``.
    param_labels: tuple[str, ...]

    def truth(self) -> Any:
        """The true parameters, without a replication axis."""

    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis of length ``size``."""

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str) -> Any:
        """Statistics of ``n`` points drawn from ``params``, one set per replication."""

    def pool(self, a: Any, b: Any) -> Any:
        """Statistics of the union of the data behind ``a`` and ``b``."""

    def fit(self, sources: Sequence[Any], weights: Sequence[float]) -> Any:
        """The weighted estimate from ``sources``; ``weights`` sum to one."""

    def flatten(self, params: Any) -> np.ndarray:
        """Parameters as an array of shape ``(..., len(param_labels))``."""

    def unflatten(self, flat: np.ndarray) -> Any:
        """Inverse of :meth:`flatten`."""

    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable description: name and constructor arguments."""
