"""The contract every family implements.

A family is a statistical model together with its estimator. It works on *sufficient
statistics*, never on whole data sets held in memory:

``statistics(data)``
    The sufficient statistics of raw data with a leading replication axis: shape ``(R, n)``
    (scalar data; integer category codes for the categorical family) or ``(R, n, d)`` (vectors).
    The data-level path to fit real data, and what the ``sample`` engine reduces each piece of
    drawn data with.
``sample(params, n, rng)``
    ``n`` raw points per replication from the model ``params`` (all in memory, ``(R, n, ...)``).
``draw(params, n, rng, engine)``
    Statistics of ``n`` fresh points from the model ``params``, one set per replication. With
    ``engine="exact"`` the statistics are drawn straight from their sampling distribution (cost
    independent of ``n``); with ``engine="sample"`` the points are drawn (``sample``) in pieces
    of a fixed size and reduced (``statistics``, then ``pool``).
``pool(a, b)``
    The statistics of the union of the data behind ``a`` and ``b`` (unweighted); what the
    accumulating regimes and the sample engine's chunked reductions use.
``fit(sources, weights)``
    The estimate from several weighted sources: each source's points together carry the
    source's weight, the weights sum to one.

Parameters and statistics are small immutable records of arrays whose first axis is the
replication. ``flatten`` and ``unflatten`` convert parameters to and from a plain ``(..., p)``
array, which is how the recorder stores them.

Everything optional is *declared*: a family's ``capabilities`` record
(:class:`~modelcollapse.families.capabilities.Capabilities`) lists its engines, the hooks below it
offers and the optional attributes; the engine, the metrics and the wrappers read the record, and
:func:`~modelcollapse.testing.check_family` checks that it agrees with the methods. (A family
without a record gets one derived from its methods.)

Optional hooks used by :mod:`modelcollapse.metrics` (a metric is offered for a family exactly
when the family declares the hook): ``mean``, ``covariance`` (the variance for scalar data),
``scale`` (the variance, or the mean variance ``tr(cov)/d``), ``kl(truth, params)`` and
``cross_entropy(truth, params)`` (``inf`` rather than NaN for a degenerate fit),
``probabilities`` (cell probabilities of a discrete family, for ``prob_error`` and
``cells_lost``), ``coefficients`` (a regression's coefficient vector, for ``param_error``; NaN for
a failed fit), ``converged`` (False where a fit failed, for ``fit_failed``) and
``cdf_error(params)`` (``int (F_t - F)^2 dF`` of a nonparametric fit).

Optional attributes: ``fixed_sample_size`` (the only sample size the family accepts, e.g. the
rows of a fixed design), ``record_params = False`` (a large state, such as the atoms of an
empirical distribution: the recorder keeps metrics only, and ``param_labels`` may be empty since
the flattened state has no fixed length), ``weight_by_information`` (the asymptotic engine
averages estimates weighted by their information, see
:mod:`modelcollapse.families.asymptotic`), ``real_data_misspecified`` (the truth's data are a
real table, not draws from the model: its ``asymptotic_covariance`` is a sandwich, not the
inverse information). A statistics record may list ``hints``: fields that
only speed a fit up (a warm start) without changing it, which data given to ``statistics`` lack.

Optional hooks of the ``asymptotic`` engine (:mod:`modelcollapse.families.asymptotic`), all in
the coordinates of the flattened parameter vector:

``asymptotic_covariance(params) -> (..., p, p)``
    ``V(theta)``, the covariance of the limit of ``sqrt(n)(theta_hat - theta)``. This is the hook
    the engine uses: unlike the information it stays finite on the boundary of the parameter
    domain (``V = 0`` at an absorbing point such as ``lam = 0``) and it needs no free-parameter
    reparametrisation where the information is singular (categorical: ``diag(p) - p p^T``).
``fisher_information(params) -> (..., p, p)``
    ``I(theta)`` of one observation; offered by the maximum-likelihood families for the theory,
    and used (pseudo-inverted) by the engine only when ``asymptotic_covariance`` is missing.
``project(params) -> params``
    Maps a drawn estimate back into the parameter domain by clipping it to the boundary.

Other hooks: ``shrink(params, factor)`` (``simulate(shrinkage=...)``), ``subsample(stats, m,
rng)`` (the ``accumulate-subsample`` regime), ``check_precision(points)`` and
``memory_model(metrics)`` (``simulate``'s checks before a run), ``cdf(params, x)``.

A family lists ``"asymptotic"`` in ``engines`` exactly when it declares ``asymptotic_covariance``
or ``fisher_information`` (and ``project`` if its parameters are constrained).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..random import ReplicationRandom

__all__ = ["Family", "protocol_gaps"]


@runtime_checkable
class Family(Protocol):
    """Protocol of a statistical family with its estimator (see the module docstring)."""

    #: Registry name, e.g. ``"gaussian"``.
    name: str
    #: Smallest sample size the estimator accepts.
    min_sample_size: int

    # Read-only members: a class attribute (typed as a fixed-length tuple), an instance
    # attribute or a property all satisfy them.
    @property
    def engines(self) -> tuple[str, ...]:
        """Engines the family supports, e.g. ``("exact", "sample", "asymptotic")``."""

    @property
    def param_labels(self) -> tuple[str, ...]:
        """Labels of the flattened parameter vector, e.g. ``("mu", "sigma2")``."""

    def truth(self) -> Any:
        """The true parameters, without a replication axis."""

    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis of length ``size``."""

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str) -> Any:
        """Statistics of ``n`` points drawn from ``params``, one set per replication."""

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """``n`` raw points drawn from ``params`` per replication, replication axis first."""

    def statistics(self, data: Any) -> Any:
        """Sufficient statistics of raw data of shape ``(R, n)`` or ``(R, n, d)``."""

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


def protocol_gaps(obj: Any) -> list[str]:
    """The members of the :class:`Family` protocol that ``obj`` lacks (looked up without
    evaluating properties), in the protocol's order; empty for a family.

    Examples
    --------
    >>> protocol_gaps(object())[:3]
    ['name', 'min_sample_size', 'engines']
    """
    import inspect

    members = (*Family.__annotations__, *(m for m in vars(Family) if not m.startswith("_")))
    missing = object()
    return [m for m in members if inspect.getattr_static(obj, m, missing) is missing]
