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
from typing import Any

import numpy as np
from scipy import stats

from .._validation import fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, random_subset, used_sources

__all__ = ["ContinuousLaw", "EmpiricalCDF", "EmpiricalModel", "SampleStats"]

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
        ``scipy.stats.gamma(2.0)``.

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
    engines = ("sample",)
    min_sample_size = 1
    param_labels: tuple[str, ...] = ()
    #: The state (atoms) is large: the recorder keeps the metrics only.
    record_params = False

    def __init__(self, law: Any = None) -> None:
        if law is None:
            law = stats.norm(0.0, 1.0)
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

    def describe(self) -> dict[str, Any]:
        law = {
            "name": self.law.dist.name,
            "args": [float(a) for a in self.law.args],
            "kwds": {k: float(v) for k, v in self.law.kwds.items()},
        }
        return {"family": self.name, "law": law}

    def truth(self) -> ContinuousLaw:
        return ContinuousLaw()

    def broadcast(self, params: Any, size: int) -> Any:
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

    def _sample_with(self, state: Any, m: int, rng: ReplicationRandom) -> np.ndarray:
        """``m`` levels per replication (see :meth:`sample` for the points)."""
        u = rng.uniform((m,))
        if state is None:  # the truth: levels are uniform (F^-1(0) would be -inf)
            return np.maximum(u, _U_MIN)
        levels, weight, lower, upper, sizes, offset = state
        u = u * upper[:, -1:]  # total mass (1 up to rounding)
        if sizes.size == 1:
            j = np.zeros(u.shape, dtype=np.intp)
        else:
            j = np.zeros(u.shape, dtype=np.intp)
            for k in range(sizes.size - 1):  # loop over the (one or two) components
                j += u >= upper[:, k : k + 1]
        low = np.take_along_axis(lower, j, axis=-1)
        w = np.take_along_axis(weight, j, axis=-1)
        n = sizes[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.floor((u - low) / w * n)
        index = np.clip(np.nan_to_num(pos), 0.0, n - 1.0).astype(np.intp) + offset[j]
        return np.take_along_axis(levels, index, axis=-1)

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """``n`` raw points from ``params`` per replication, ``F^-1`` of the drawn levels."""
        return self._points(super().sample(params, n, rng))

    def _points(self, levels: np.ndarray) -> np.ndarray:
        """``F^-1(u)``; levels are kept in ``[2^-54, 1 - 2^-53]`` so the points are finite."""
        u = np.clip(levels, _U_MIN, 1.0 - 2.0**-53)
        return np.asarray(self.law.ppf(u), dtype=float)

    def _check_data(self, data: Any) -> np.ndarray:
        """User data on the data scale, mapped to levels ``F(x)``."""
        return np.asarray(self.law.cdf(as_data(data)), dtype=float)

    def _statistics(self, data: np.ndarray) -> SampleStats:
        """The levels themselves, shape ``(R, n)``."""
        return SampleStats(data.shape[1], np.array(data, dtype=float))

    # -- fitting ---------------------------------------------------------------------------
    def pool(self, a: SampleStats, b: SampleStats) -> SampleStats:
        return SampleStats(a.count + b.count, np.concatenate([a.levels, b.levels], axis=-1))

    def subsample(self, stats: SampleStats, m: int, rng: ReplicationRandom) -> SampleStats:
        """``m`` of the points drawn without replacement."""
        index = random_subset(rng, stats.count, m)
        return SampleStats(int(m), np.take_along_axis(stats.levels, index, axis=-1))

    def fit(self, sources: Sequence[SampleStats], weights: Sequence[float]) -> EmpiricalModel:
        """``F_t = sum_j w_j F_j``: the sources' points as atoms, mass ``w_j / n_j`` each."""
        used = used_sources(sources, weights)
        r = used[0][0].levels.shape[0]
        levels = np.concatenate([s.levels for s, _ in used], axis=-1)
        mass = np.empty((r, len(used)))
        for j, (s, w) in enumerate(used):
            mass[:, j] = w / s.count
        return EmpiricalModel(levels, mass, tuple(s.count for s, _ in used))

    def flatten(self, params: Any) -> np.ndarray:
        """``[levels, masses]`` of shape ``(..., 2A)`` (atoms by their levels ``F(atom)``);
        ``(..., 0)`` for the truth."""
        if isinstance(params, ContinuousLaw):
            return np.zeros((*params.batch, 0))
        return np.concatenate([np.asarray(params.levels, dtype=float), _masses(params)], axis=-1)

    def unflatten(self, flat: np.ndarray) -> Any:
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
        truth."""
        if isinstance(params, ContinuousLaw):
            return np.zeros(params.batch)
        order = np.argsort(params.levels, axis=-1)
        u = np.take_along_axis(params.levels, order, axis=-1)
        level = np.cumsum(np.take_along_axis(_masses(params), order, axis=-1), axis=-1)
        shape = u.shape[:-1]
        left = np.concatenate([np.zeros((*shape, 1)), u], axis=-1)
        right = np.concatenate([u, np.ones((*shape, 1))], axis=-1)
        level = np.concatenate([np.zeros((*shape, 1)), level], axis=-1)
        right -= level
        left -= level
        return np.sum(right * right * right - left * left * left, axis=-1) / 3.0
