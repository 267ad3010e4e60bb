"""The nonparametric model: an empirical distribution function refitted on its own samples.

Truth. A continuous law ``F`` on the real line, a frozen :mod:`scipy.stats` distribution
(``N(0, 1)`` by default). Real data are drawn from it by inversion, ``F^-1(U)``.

Probability scale. A point ``x`` is held as its *level* ``u = F(x)``, in ``(0, 1)``. ``F`` is
continuous and increasing, so the map is one to one on the data, every model is a discrete law
on levels, and every CDF error is a function of the levels alone: real data are the uniforms
themselves (no inversion while simulating) and the error needs no evaluation of ``F``. The
points are mapped back, ``x = F^-1(u)``, only where a value on the data scale is asked for
(``sample``, ``atoms``, the mean and variance hooks); ``statistics`` of user data maps ``x`` to
``F(x)``.

Model. A fitted model is a discrete distribution, :class:`EmpiricalModel`: atoms (their
levels) grouped in components (one per data source), every atom of component ``j`` with the same
mass ``m_j``. The estimate from sources ``j`` with weights ``w_j`` is ``F_t = sum_j w_j F_j``,
``F_j`` the empirical CDF of source ``j``: the atoms are the sources' points,
``m_j = w_j / n_j`` (real atoms ``w/n``, synthetic atoms ``(1 - w)/m``). Synthetic data are ``m``
draws from ``F_{t-1}``: at ``t = 1`` a bootstrap of the generation-0 data, and the fully
synthetic recursion is the iterated bootstrap.

Drawing from a model is batched inverse-CDF sampling in closed form: one uniform ``u`` per point,
the component ``j`` whose cumulative weight interval holds ``u``, then the atom
``floor((u - W_{j-1}) / (w_j) n_j)`` of that component (the CDF is linear in the atom index inside
a component), never a search over atoms.

Order statistics. The statistics of a sample are its levels in increasing order, and the sample
engine draws them as such: sorted uniforms (normalised partial sums of ``n + 1`` exponentials,
``O(n)``) through the inverse CDF give one sorted run per component of the model, which a stable
sort merges in linear time. Every component of a fitted model is then sorted, and the error
below sorts the atoms by the same linear-time merge. Nothing depends on this order for
correctness, only for speed; :meth:`EmpiricalCDF.sample` returns the points in a uniformly random
order (the order statistics shuffled), and its statistics are exactly what the engine draws.

Error. ``cdf_error = int (F_t - F)^2 dF`` exactly: with ``u_i = F(a_i)`` the atoms' levels,
sorted, and ``c_i`` the cumulative mass up to the ``i``-th, ``F_t(F^-1(u))`` is the step
function ``c_i`` on ``[u_i, u_{i+1})`` (``u_0 = c_0 = 0``, ``u_{A+1} = 1``), so
``int_0^1 (G(u) - u)^2 du = sum_i [(u_{i+1} - c_i)^3 - (u_i - c_i)^3] / 3``. Closed forms:
``E cdf_error = 1/(6n)`` for the empirical CDF of ``n`` points; the iterated bootstrap with ``n``
points each generation has ``E cdf_error_t = (1/6)[1 - (1 - 1/n)^{t+1}]``; with fresh data
(``n`` real, ``m`` synthetic, weight ``w``) ``e_t = (1/6)[w^2/n + (1-w)^2/m] + (1-w)^2 (1 - 1/m)
e_{t-1}`` exactly, from ``e_0 = 1/(6 n_0)``.

The state is large (``R x (n + m)`` atoms), so the recorder keeps metrics only
(``record_params = False``). ``flatten`` gives ``[levels, masses]`` (``2A`` numbers per
replication, ``A`` the number of atoms, which changes with the generation) and ``unflatten``
reads the components back from the runs of equal masses; the truth flattens to an empty vector.
There is no fixed parameter vector, so ``param_labels`` is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, random_subset, used_sources
from .parameters import Constraint, Given

__all__ = ["ContinuousLaw", "EmpiricalCDF", "EmpiricalModel", "SampleStats"]

#: Elements per block of rows in the inverse-CDF sampler (a few arrays of this size stay in
#: cache).
_BLOCK_ELEMENTS = 2**15
#: The largest double below 1.
_U_BELOW_ONE = 1.0 - 2.0**-53
#: Smallest uniform used for inversion (``F^-1(0)`` would be ``-inf``): ``2^-54``.
_U_MIN = 2.0**-54


@dataclass(frozen=True)
class ContinuousLaw:
    """The true continuous law (the family's ``law``) for a batch of shape ``batch``."""

    batch: tuple[int, ...] = ()


@dataclass(frozen=True)
class EmpiricalModel:
    """A discrete distribution per replication.

    Atoms given by their ``levels`` ``F(atom)``, shape ``(..., A)``, grouped in components of
    ``sizes`` (a tuple summing to ``A``, the same for every replication); every atom of component
    ``j`` has mass ``atom_mass[..., j]``. :meth:`EmpiricalCDF.atoms` gives the atoms themselves.
    """

    levels: np.ndarray
    atom_mass: np.ndarray
    sizes: tuple[int, ...]


@dataclass(frozen=True)
class SampleStats:
    """The ``count`` points of a sample by their levels ``F(x)``, shape ``(R, count)``."""

    count: int
    levels: np.ndarray


def _masses(model: EmpiricalModel) -> np.ndarray:
    """Mass of every atom, shape ``(..., A)``."""
    return np.repeat(np.asarray(model.atom_mass, dtype=float), model.sizes, axis=-1)


class EmpiricalCDF(DataFamily):
    """Empirical distribution function refitted recursively (see the module docstring).

    Parameters
    ----------
    law : scipy.stats frozen continuous distribution, optional
        The truth ``F``, e.g. ``scipy.stats.norm(0, 1)`` (the default) or
        ``scipy.stats.gamma(2.0)``; or its description ``{"name": "gamma", "args": [2.0],
        "kwds": {}}`` (as :meth:`describe` gives it).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> res = mc.simulate(mc.EmpiricalCDF(), n0=50, schedule=50, generations=3,
    ...                   replications=4000, seed=1, engine="sample")
    >>> res.metric_names
    ('mean_error', 'cov_error', 'sigma2', 'collapsed', 'cdf_error')
    >>> float(res.values("cdf_error")[:, 0].mean().round(4))  # 1/(6n) = 0.0033
    0.0033
    """

    name = "cdf"
    #: The statistics are the data points: a replication holds its training set (the
    #: engine's memory estimate counts it).
    holds_points = True
    engines = ("sample",)
    hooks = frozenset({"mean", "covariance", "scale", "cdf_error", "subsample", "cdf"})
    min_sample_size = 1
    param_labels: tuple[str, ...] = ()
    #: The state (atoms) is large: the recorder keeps the metrics only.
    record_params = False
    parameters: ClassVar[dict[str, Constraint]] = {
        "law": Given("a frozen scipy.stats continuous distribution (default N(0, 1))")
    }

    def __init__(self, law: Any = None) -> None:
        from scipy import stats  # on first use: importing the package stays fast

        if law is None:
            law = stats.norm(0.0, 1.0)
        elif isinstance(law, dict) and set(law) == {"name", "args", "kwds"}:
            dist = getattr(stats, str(law["name"]), None)
            if isinstance(dist, stats.rv_continuous):
                law = dist(*law["args"], **law["kwds"])
        dist = getattr(law, "dist", None)
        if not isinstance(dist, stats.rv_continuous) or not hasattr(law, "ppf"):
            raise fail("law", "must be a frozen scipy.stats continuous distribution", law)
        self.law = law

    def __repr__(self) -> str:
        return f"EmpiricalCDF(law={self._law_text()})"

    def _law_text(self) -> str:
        args = [repr(a) for a in self.law.args]
        args += [f"{k}={v!r}" for k, v in self.law.kwds.items()]
        return f"{self.law.dist.name}({', '.join(args)})"

    def truth(self) -> ContinuousLaw:
        """The true parameters, without a replication axis.

        Returns
        -------
        ContinuousLaw
            A marker of the true law ``law`` (no arrays: the truth is continuous).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> mc.EmpiricalCDF().truth()
        ContinuousLaw(batch=())
        """
        return ContinuousLaw()

    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis of length ``size``.

        Parameters
        ----------
        params : ContinuousLaw or EmpiricalModel
            The truth or a fitted model, without a replication axis.
        size : int
            Number of replications ``R``.

        Returns
        -------
        ContinuousLaw or EmpiricalModel
            A law of batch ``(size,)``, or the model's ``levels`` and ``atom_mass`` with a leading
            axis ``size``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.EmpiricalCDF()
        >>> fam.broadcast(fam.truth(), 3)
        ContinuousLaw(batch=(3,))
        """
        if isinstance(params, ContinuousLaw):
            return ContinuousLaw((size, *params.batch))
        levels = np.array(np.broadcast_to(params.levels, (size, *np.shape(params.levels))))
        mass = np.array(np.broadcast_to(params.atom_mass, (size, *np.shape(params.atom_mass))))
        return EmpiricalModel(levels, mass, params.sizes)

    # -- drawing ---------------------------------------------------------------------------
    def _sampler(self, params: Any) -> Any:
        if isinstance(params, ContinuousLaw):
            return None
        mass = np.asarray(params.atom_mass, dtype=float)
        sizes = np.asarray(params.sizes, dtype=float)
        weight = mass * sizes  # component weights, (R, J)
        upper = np.cumsum(weight, axis=-1)
        lower = upper - weight
        offset = np.concatenate([[0], np.cumsum(params.sizes)[:-1]]).astype(np.intp)
        return params.levels, weight, lower, upper, sizes, offset

    @staticmethod
    def _locate(state: Any, u: np.ndarray) -> np.ndarray:
        """The atoms at uniforms ``u`` (shape ``(R, m)``, in ``[0, 1)``): inverse-CDF sampling
        in closed form (module docstring). Nondecreasing ``u`` give nondecreasing atoms inside
        each component when the component's levels are sorted. Works through blocks of rows
        that fit in cache (about 3x faster than whole arrays at ``m = 10^4``)."""
        levels, weight, lower, upper, sizes, offset = state
        r, atoms = levels.shape
        out = np.empty(u.shape)
        rows = max(1, _BLOCK_ELEMENTS // max(1, u.shape[1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = sizes / weight  # atoms per unit of mass, (R, J)
        top = sizes - 1.0
        for a in range(0, r, rows):
            b = min(a + rows, r)
            us = u[a:b] * upper[a:b, -1:]  # total mass (1 up to rounding)
            if sizes.size == 2:  # the usual model (real and synthetic atoms): no gathers
                second = us >= upper[a:b, :1]
                us -= np.where(second, lower[a:b, 1:], lower[a:b, :1])
                us *= np.where(second, scale[a:b, 1:], scale[a:b, :1])
                np.floor(us, out=us)
                np.clip(us, 0.0, np.where(second, top[1], top[0]), out=us)
                index = us.astype(np.intp)
                base = offset + np.arange(b - a)[:, None] * atoms  # (rows, 2)
                index += np.where(second, base[:, 1:], base[:, :1])
                levels[a:b].ravel().take(index, out=out[a:b])
                continue
            j = np.zeros(us.shape, dtype=np.intp)
            for k in range(sizes.size - 1):  # loop over the (one or two) components
                j += us >= upper[a:b, k : k + 1]
            cell = j + np.arange(b - a)[:, None] * sizes.size  # flat (replication, component)
            us -= lower[a:b].ravel().take(cell)
            us *= scale[a:b].ravel().take(cell)
            np.floor(us, out=us)
            np.clip(us, 0.0, top.take(j), out=us)
            index = us.astype(np.intp)
            index += offset.take(j)
            index += np.arange(b - a)[:, None] * atoms
            levels[a:b].ravel().take(index, out=out[a:b])
        return out

    def _ordered(self, state: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """The levels of ``n`` points drawn from a model (``state`` from :meth:`_sampler`), in
        increasing order: the order statistics, drawn as such. The ``n`` sorted uniforms are the
        normalised partial sums of ``n + 1`` exponentials, and inverse-CDF sampling maps them to
        each component's atoms in order, so a model with sorted components yields one sorted run
        per component, merged by a stable sort in linear time (no ``O(n log n)`` sort of ``n``
        random values). Whatever the order of the atoms, the result is exactly the sorted
        sample of ``n`` independent draws."""
        u = np.cumsum(rng.standard_exponential((n + 1,)), axis=-1)
        # In [0, 1) as a uniform generator's draws (1.0 only if the last spacing is 0).
        u = np.minimum(u[:, :n] / u[:, n:], _U_BELOW_ONE)
        if state is None:  # the truth: levels are uniform (F^-1(0) would be -inf)
            return np.maximum(u, _U_MIN, out=u)
        levels = self._locate(state, u)
        if state[4].size > 1:
            levels = np.sort(levels, axis=-1, kind="stable")
        return levels

    def _sample_with(self, state: Any, m: int, rng: ReplicationRandom) -> np.ndarray:
        """``m`` levels per replication in a uniformly random order (see :meth:`sample`): the
        order statistics of :meth:`_ordered`, shuffled by sorting ``m`` uniform keys, so that
        ``statistics(sample(...))`` is exactly what the sample engine draws."""
        levels = self._ordered(state, m, rng)
        shuffle = np.argsort(rng.uniform((m,)), axis=-1)
        return np.take_along_axis(levels, shuffle, axis=-1)

    def _draw_sample(self, params: Any, n: int, rng: ReplicationRandom) -> SampleStats:
        """The statistics of ``n`` points: their levels in increasing order (:meth:`_ordered`),
        all at once (the model holds ``R x (n + m)`` atoms anyway)."""
        return SampleStats(n, self._ordered(self._sampler(params), n, rng))

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """``n`` raw points from ``params`` per replication, ``F^-1`` of the drawn levels.

        Parameters
        ----------
        params : ContinuousLaw or EmpiricalModel
            The model to draw from, with a leading replication axis of length ``R``.
        n : int
            Points per replication (``>= 1``).
        rng : ReplicationRandom
            The random stream of the ``R`` replications.

        Returns
        -------
        numpy.ndarray
            Shape ``(R, n)``, on the data scale.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> fam = mc.EmpiricalCDF()
        >>> fam.sample(fam.broadcast(fam.truth(), 3), 4, rng).shape
        (3, 4)
        """
        return self._points(super().sample(params, n, rng))

    def _points(self, levels: np.ndarray) -> np.ndarray:
        """``F^-1(u)``; levels are kept in ``[2^-54, 1 - 2^-53]`` so the points are finite."""
        u = np.clip(levels, _U_MIN, _U_BELOW_ONE)
        return np.asarray(self.law.ppf(u), dtype=float)

    def _check_data(self, data: Any) -> np.ndarray:
        """User data on the data scale, mapped to levels ``F(x)``."""
        return np.asarray(self.law.cdf(as_data(data)), dtype=float)

    def _statistics(self, data: np.ndarray) -> SampleStats:
        """The levels in increasing order (the order statistics), shape ``(R, n)``."""
        return SampleStats(data.shape[1], np.sort(np.asarray(data, dtype=float), axis=-1))

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: SampleStats, b: SampleStats) -> SampleStats:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : SampleStats
            Statistics of two samples, one set per replication.

        Returns
        -------
        SampleStats
            The levels of both samples, sorted (``count`` added).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.EmpiricalCDF()
        >>> s = fam.statistics([[0.0, 1.0]])
        >>> t = fam.statistics([[-1.0]])
        >>> both = fam.pool(s, t)
        >>> both.count, both.levels.round(4).tolist()
        (3, [[0.1587, 0.5, 0.8413]])
        """
        both = np.concatenate([a.levels, b.levels], axis=-1)
        return SampleStats(a.count + b.count, np.sort(both, axis=-1, kind="stable"))

    def subsample(self, stats: SampleStats, m: int, rng: ReplicationRandom) -> SampleStats:
        """``m`` of the points drawn without replacement."""
        index = np.sort(random_subset(rng, stats.count, m), axis=-1)  # keeps the levels sorted
        return SampleStats(int(m), np.take_along_axis(stats.levels, index, axis=-1))

    def fit(self, sources: Sequence[SampleStats], weights: Sequence[float]) -> EmpiricalModel:
        """``F_t = sum_j w_j F_j``: the sources' points as atoms, mass ``w_j / n_j`` each.

        Parameters
        ----------
        sources : sequence of SampleStats
            Statistics of each source, one set per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        EmpiricalModel
            The sources' levels as atoms (``(R, A)``, ``A`` the total count), with one mass per
            source.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.EmpiricalCDF()
        >>> real = fam.statistics([[0.0, 1.0]])
        >>> synth = fam.statistics([[-1.0, 0.5, 2.0]])
        >>> model = fam.fit([real, synth], [0.5, 0.5])
        >>> model.sizes, model.atom_mass.round(4).tolist()
        ((2, 3), [[0.25, 0.1667]])
        """
        used = used_sources(sources, weights)
        r = used[0][0].levels.shape[0]
        levels = np.concatenate([s.levels for s, _ in used], axis=-1)
        mass = np.empty((r, len(used)))
        for j, (s, w) in enumerate(used):
            mass[:, j] = w / s.count
        return EmpiricalModel(levels, mass, tuple(s.count for s, _ in used))

    def flatten(self, params: Any) -> np.ndarray:
        """``[levels, masses]`` of shape ``(..., 2A)`` (atoms by their levels ``F(atom)``);
        ``(..., 0)`` for the truth.

        Parameters
        ----------
        params : EmpiricalModel or ContinuousLaw
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., 2A)``: the levels, then the mass of every atom.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.EmpiricalCDF()
        >>> model = fam.fit([fam.statistics([[0.0, 1.0]])], [1.0])
        >>> fam.flatten(model).round(4).tolist()
        [[0.5, 0.8413, 0.5, 0.5]]
        """
        if isinstance(params, ContinuousLaw):
            return np.zeros((*params.batch, 0))
        return np.concatenate([np.asarray(params.levels, dtype=float), _masses(params)], axis=-1)

    def unflatten(self, flat: np.ndarray) -> Any:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        EmpiricalModel or ContinuousLaw
            The model (atoms grouped in runs of equal mass), or the truth for an empty last axis.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.EmpiricalCDF()
        >>> model = fam.unflatten(np.array([[0.5, 0.8, 0.5, 0.5]]))
        >>> model.sizes, model.atom_mass.tolist()
        ((2,), [[0.5]])
        """
        flat = np.asarray(flat, dtype=float)
        if flat.shape[-1] == 0:
            return ContinuousLaw(flat.shape[:-1])
        if flat.shape[-1] % 2:
            raise fail("flat", "must hold levels and masses, an even number of values", flat.shape)
        a = flat.shape[-1] // 2
        levels, masses = flat[..., :a], flat[..., a:]
        first = masses.reshape(-1, a)[0]
        starts = np.concatenate([[0], np.flatnonzero(np.diff(first) != 0) + 1])
        if not np.all(masses == np.repeat(masses[..., starts], np.diff([*starts, a]), axis=-1)):
            raise fail("flat", "masses must be constant on the same runs in every replication", a)
        sizes = tuple(int(k) for k in np.diff([*starts, a]))
        return EmpiricalModel(levels.copy(), masses[..., starts].copy(), sizes)

    # -- metric hooks ----------------------------------------------------------------------
    def atoms(self, params: EmpiricalModel) -> np.ndarray:
        """The atoms on the data scale, ``F^-1(levels)``, shape ``(..., A)``."""
        return self._points(params.levels)

    def masses(self, params: EmpiricalModel) -> np.ndarray:
        """Mass of every atom, shape ``(..., A)``."""
        return _masses(params)

    def cdf(self, params: Any, x: Any) -> np.ndarray:
        """The model's CDF at ``x`` (shape ``(..., k)``, batch shape as ``params``):
        ``sum of the masses of the atoms <= x``; the true ``F`` for the truth."""
        x = np.asarray(x, dtype=float)
        if isinstance(params, ContinuousLaw):
            return np.asarray(self.law.cdf(x), dtype=float)
        below = self.atoms(params)[..., None, :] <= x[..., :, None]
        return np.einsum("...ka,...a->...k", below, _masses(params))

    def mean(self, params: Any) -> np.ndarray:
        """The mean ``sum_i m_i a_i`` (the law's mean for the truth)."""
        if isinstance(params, ContinuousLaw):
            return np.full(params.batch, float(self.law.mean()))
        return np.sum(_masses(params) * self.atoms(params), axis=-1)

    def covariance(self, params: Any) -> np.ndarray:
        """The variance ``sum_i m_i (a_i - mean)^2`` (the law's variance for the truth)."""
        if isinstance(params, ContinuousLaw):
            return np.full(params.batch, float(self.law.var()))
        centred = self.atoms(params) - self.mean(params)[..., None]
        return np.sum(_masses(params) * centred * centred, axis=-1)

    def scale(self, params: Any) -> np.ndarray:
        """The variance (``collapsed`` is ``variance <= eps``)."""
        return self.covariance(params)

    def cdf_error(self, params: Any) -> np.ndarray:
        """``int (F_t - F)^2 dF``, exact from the sorted atoms (module docstring); 0 for the
        truth. The atoms are sorted by a stable sort, which merges the components in linear
        time when each is sorted (as the statistics of this family are); the work goes through
        blocks of rows that fit in cache."""
        if isinstance(params, ContinuousLaw):
            return np.zeros(params.batch)
        levels = np.asarray(params.levels, dtype=float)
        shape, atoms = levels.shape[:-1], levels.shape[-1]
        flat = levels.reshape(-1, atoms)
        mass = np.broadcast_to(
            np.asarray(params.atom_mass, dtype=float), (*shape, len(params.sizes))
        ).reshape(flat.shape[0], -1)
        starts = np.cumsum(params.sizes)[:-1]
        value = np.empty(flat.shape[0])
        rows = max(1, _BLOCK_ELEMENTS // atoms)
        for a in range(0, flat.shape[0], rows):
            b = min(a + rows, flat.shape[0])
            order = np.argsort(flat[a:b], axis=-1, kind="stable")
            u = flat[a:b].ravel().take(order + np.arange(b - a)[:, None] * atoms)
            # Each sorted atom's mass, from the component its index falls in.
            step = np.empty(order.shape)
            step[...] = mass[a:b, :1]
            for k, start in enumerate(starts):
                step += (order >= start) * (mass[a:b, k + 1 : k + 2] - mass[a:b, k : k + 1])
            level = np.cumsum(step, axis=-1)
            # sum_i [(u_{i+1} - c_i)^3 - (u_i - c_i)^3] / 3 with u_0 = c_0 = 0, u_{A+1} = 1.
            right = np.empty((b - a, atoms + 1))
            right[:, :-1] = u
            right[:, -1] = 1.0
            right[:, 1:] -= level
            left = u - level
            total = np.sum(right * right * right, axis=-1) - np.sum(left * left * left, axis=-1)
            value[a:b] = total / 3.0
        return value.reshape(shape)
