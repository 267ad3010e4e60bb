"""The asymptotic engine: estimates drawn from their normal limit instead of from data.

For an estimator with ``sqrt(n)(theta_hat - theta) => N(0, V(theta))`` (for the MLE,
``V = I(theta)^-1``), :class:`AsymptoticFamily` turns a family into one whose "statistics" of
``n`` points are an *estimate* ``(count, theta_hat)`` with ``theta_hat ~ N(theta, V(theta)/n)`` in
the coordinates of the family's flattened parameter vector. Everything else follows the
:class:`~modelcollapse.families.base.Family` protocol, so :func:`modelcollapse.simulate` runs it
unchanged (``engine="asymptotic"`` wraps the family):

- ``fit(sources, weights)`` is the weighted average ``sum_j w_j theta_hat_j`` of the sources'
  estimates: the weighted MLE to first order (terms of order ``1/n`` such as the Gaussian
  ``pooled`` between-source variance are dropped);
- ``pool(a, b)`` is the count-weighted average, the first-order estimate from the union.

This is an approximation: it has the right covariance to order ``1/n`` but neither the
estimator's bias nor its skewness. A drawn estimate outside the parameter domain (a negative
variance, rate or mean, a probability outside ``[0, 1]``) is mapped back by the family's
``project`` hook, which clips it to the boundary; boundary points have zero asymptotic covariance
and are absorbing, the asymptotic picture of a collapse. With large ``n`` this never happens; with
small ``n`` it is where the approximation breaks down.

Sources with different information. A regression family whose real and synthetic covariates
follow different laws sets ``weight_by_information = True``: its estimates then carry the
information ``I_j`` they were drawn with, and the fit is the information-weighted average
``(sum_j w_j I_j)^-1 sum_j w_j I_j theta_hat_j``, which is what weighted least squares and the
weighted MLE reduce to at first order (a scalar average would give the wrong source the weight).
``pool`` weights by ``n_j I_j`` in the same way.

A family supports the engine by providing ``asymptotic_covariance(params) -> (..., p, p)``, the
covariance ``V`` itself, or else ``fisher_information(params)``, which is inverted (a
pseudo-inverse, so a singular information yields the covariance on its range; an infinite one,
as on a boundary, yields zero). The families of this package all provide
``asymptotic_covariance``: it stays finite on the boundary, where the information does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._linalg import cholesky_psd
from .._validation import fail
from ..random import ReplicationRandom
from ._common import FamilyWrapper, used_sources
from .base import Family
from .capabilities import Capabilities, capabilities_of

__all__ = ["AsymptoticFamily", "Estimate", "supports_asymptotic"]


@dataclass(frozen=True)
class Estimate:
    """An estimate from ``count`` points: the flattened parameters ``flat``, shape ``(R, p)``,
    and, for families that weight by information, the information ``info`` ``(R, p, p)`` of one
    point it was drawn with."""

    count: int
    flat: np.ndarray
    info: np.ndarray | None = None


def supports_asymptotic(family: Any) -> bool:
    """Whether ``family`` declares a hook the asymptotic engine can use
    (``asymptotic_covariance`` or ``fisher_information``)."""
    return capabilities_of(family).asymptotic


class AsymptoticFamily(FamilyWrapper):
    """A family whose draws are asymptotically normal estimates (see the module docstring).

    Parameters
    ----------
    family : Family
        A family with ``asymptotic_covariance`` or ``fisher_information`` (and, if its
        parameters are constrained, ``project``).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = AsymptoticFamily(mc.Poisson(2.0))
    >>> fam.engines, fam.asymptotic_covariance(fam.truth()).tolist()  # V(lam) = lam
    (('asymptotic',), [[2.0]])

    :func:`~modelcollapse.simulate` wraps a family so for ``engine="asymptotic"``:

    >>> res = mc.simulate(mc.Poisson(2.0), n0=100, schedule=100, generations=3,
    ...                   replications=50, seed=0, engine="asymptotic")
    >>> res.values("lam").shape
    (50, 4)
    """

    engines = ("asymptotic",)

    def __init__(self, family: Family) -> None:
        inner = capabilities_of(family)
        if not inner.asymptotic:
            raise fail(
                "family",
                "needs asymptotic_covariance or fisher_information for the asymptotic engine",
                family,
            )
        super().__init__(family)
        self.inner = inner
        #: Draws are estimates; the wrapper offers ``V(theta)`` and nothing else.
        self.capabilities = Capabilities(
            engines=self.engines,
            hooks=frozenset({"asymptotic_covariance"} | self.forwarded),
            record_params=inner.record_params,
            weight_by_information=inner.weight_by_information,
            point_size=inner.point_size,
        )

    def asymptotic_covariance(self, params: Any) -> np.ndarray:
        """``V(theta)``, the covariance of ``sqrt(n)(theta_hat - theta)``, shape ``(..., p, p)``:
        the wrapped family's ``asymptotic_covariance``, else its inverted
        ``fisher_information``."""
        if self.inner.offers("asymptotic_covariance"):
            return np.asarray(self.family.asymptotic_covariance(params), dtype=float)
        info = np.asarray(self.family.fisher_information(params), dtype=float)
        # An infinite information (the boundary, e.g. lam = 0) means no spread: V = 0 there.
        finite = np.all(np.isfinite(info), axis=(-2, -1))[..., None, None]
        safe = np.where(finite, info, np.eye(info.shape[-1]))
        return np.where(finite, np.linalg.pinv(safe, hermitian=True), 0.0)

    def project_flat(self, flat: np.ndarray) -> np.ndarray:
        """Flattened parameters mapped into the family's domain by its ``project`` hook."""
        if not self.inner.offers("project"):
            return flat
        return self.family.flatten(self.family.project(self.family.unflatten(flat)))

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str = "asymptotic") -> Any:
        """An estimate from ``n`` points: ``N(theta, V(theta)/n)``, projected into the domain.

        Parameters
        ----------
        params : parameter record
            The wrapped family's parameters, with a leading replication axis of length ``R``.
        n : int
            The sample size the estimate stands for.
        rng : ReplicationRandom
            The random stream of the ``R`` replications.
        engine : {"asymptotic"}
            The only engine of the wrapper.

        Returns
        -------
        Estimate
            ``count = n`` and the flattened estimates ``flat`` ``(R, p)`` (with the information
            ``info`` for families that weight by it).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> est = fam.draw(fam.broadcast(fam.truth(), 3), 100, rng)
        >>> est.count, est.flat.shape
        (100, (3, 1))
        """
        if engine != "asymptotic":
            raise fail("engine", "must be asymptotic for an AsymptoticFamily", engine)
        flat = self.family.flatten(params)
        factor, _ = cholesky_psd(self.asymptotic_covariance(params))
        z = rng.standard_normal((flat.shape[-1],))
        step = np.einsum("rij,rj->ri", factor, z)
        step /= np.sqrt(float(n))
        return Estimate(int(n), self.project_flat(flat + step), self._information(params))

    def _information(self, params: Any) -> np.ndarray | None:
        if not self.inner.weight_by_information:
            return None
        return np.asarray(self.family.fisher_information(params), dtype=float)

    def statistics(self, data: Any) -> Estimate:
        """The wrapped family's estimate from raw ``data``, as an :class:`Estimate`.

        Parameters
        ----------
        data : array_like
            Raw data in the wrapped family's format, replication axis first.

        Returns
        -------
        Estimate
            The fitted parameters, flattened, one row per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> est = fam.statistics([[1, 2, 3], [0, 4, 2]])
        >>> est.count, est.flat.tolist()
        (3, [[2.0], [2.0]])
        """
        stats = self.family.statistics(data)
        fitted = self.family.fit([stats], [1.0])
        flat = self.family.flatten(fitted)
        return Estimate(int(np.shape(data)[1]), flat, self._information(fitted))

    def pool(self, a: Estimate, b: Estimate) -> Estimate:
        """Count-weighted (information-weighted, if the estimates carry it) average of two
        estimates.

        Parameters
        ----------
        a, b : Estimate
            Estimates from two samples.

        Returns
        -------
        Estimate
            The average weighted by ``count`` (or by the information), ``count`` added.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> a = fam.statistics([[1, 2, 3]])
        >>> b = fam.statistics([[4]])
        >>> both = fam.pool(a, b)
        >>> both.count, both.flat.tolist()
        (4, [[2.5]])
        """
        n = a.count + b.count
        if a.info is not None and b.info is not None:
            return _information_average([(a, a.count / n), (b, b.count / n)], n)
        return Estimate(n, a.flat * (a.count / n) + b.flat * (b.count / n))

    def fit(self, sources: Sequence[Estimate], weights: Sequence[float]) -> Any:
        """Weighted average of the sources' estimates (information-weighted, if they carry it);
        zero weights are ignored.

        Parameters
        ----------
        sources : sequence of Estimate
            The estimates of each source.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        parameter record
            The wrapped family's parameters, one set per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> real = fam.statistics([[1, 2, 3]])
        >>> synth = fam.statistics([[4, 4]])
        >>> fam.fit([real, synth], [0.5, 0.5]).lam.tolist()
        [3.0]
        """
        used = used_sources(sources, weights)
        if len(used) == 1:
            return self.family.unflatten(used[0][0].flat.copy())
        if all(s.info is not None for s, _ in used):
            return self.family.unflatten(_information_average(used, 0).flat)
        return self.family.unflatten(sum(w * s.flat for s, w in used))


def _carried_information(estimate: Estimate) -> np.ndarray:
    """The information ``estimate`` carries (the callers check that every source has one)."""
    assert estimate.info is not None
    return estimate.info


def _information_average(used: list[tuple[Estimate, float]], count: int) -> Estimate:
    """``(sum_j w_j I_j)^-1 sum_j w_j I_j theta_j``, with information ``sum_j w_j I_j``."""
    info: Any = sum(w * _carried_information(s) for s, w in used)
    rhs: Any = sum(w * np.einsum("rij,rj->ri", _carried_information(s), s.flat) for s, w in used)
    flat = np.linalg.solve(info, rhs[..., None])[..., 0]
    return Estimate(count, flat, info)
