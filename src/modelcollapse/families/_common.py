"""Machinery shared by the families: engine dispatch, the chunked sample engine, data checks.

:class:`DataFamily` implements the parts of the :class:`~modelcollapse.families.base.Family`
protocol that do not depend on the model. A concrete family supplies

- ``_sampler(params)``: whatever the data sampler needs, computed once per draw (a Cholesky
  factor, a cumulative distribution, ...);
- ``_sample_with(state, m, rng)``: ``m`` raw points per replication;
- ``_statistics(data)``: the sufficient statistics of unchecked raw data (it may overwrite
  ``data``: the sample engine's pieces are its own, and ``_check_data`` copies user data when
  needed);
- ``_check_data(data)``: the user-facing checks of raw data (shape, support);
- ``_draw_exact(params, n, rng)`` when ``"exact"`` is among its engines.

The ``sample`` engine draws the data in pieces of a fixed number of points (so the order in which
random numbers are consumed depends only on the sample size), reduces each piece with
``_statistics`` and merges the pieces with the family's ``pool``: memory is ``O(R x piece)``,
never ``O(R x n)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, cast

import numpy as np

from .._validation import InvalidArgumentError, check_finite, check_int, fail
from ..random import BLOCK_SIZE, ReplicationRandom
from .capabilities import Capabilities, capabilities_of
from .parameters import Constraint, describe_options

__all__ = [
    "DataFamily",
    "FamilyWrapper",
    "SumStats",
    "as_data",
    "bootstrap_rows",
    "broadcast_record",
    "hypergeometric_counts",
    "log1p_gap",
    "random_subset",
    "used_sources",
]

#: Largest number of random draws per block that the sample engine holds at once. Fixed, so the
#: order in which random numbers are consumed depends only on the sample size.
SAMPLE_PIECE = 2**22


@dataclass(frozen=True)
class SumStats:
    """Statistics of ``count`` points that only need the per-replication ``total``.

    The sum of the points for the exponential and Poisson families, the number of successes for
    the Bernoulli family.
    """

    count: int
    total: np.ndarray


class FamilyWrapper:
    """A family that changes what a draw is (an estimate, the points themselves) and delegates
    the rest to the family it wraps: its name, truth, parameters and raw samples."""

    #: Hooks on the wrapped family's parameters that a wrapper passes on when the wrapped
    #: family declares them: its fits are the wrapped family's parameters.
    forwarded_hooks = frozenset({"shrink", "converged"})

    def __init__(self, family: Any) -> None:
        self.family = family
        self.name = family.name
        self.min_sample_size = family.min_sample_size
        self.param_labels = family.param_labels
        self.forwarded = capabilities_of(family).hooks & self.forwarded_hooks
        for hook in sorted(self.forwarded):
            setattr(self, hook, getattr(family, hook))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.family!r})"

    def describe(self) -> dict[str, Any]:
        """The wrapped family's description.

        Returns
        -------
        dict
            JSON-serialisable: name and constructor arguments.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> fam.describe()
        {'family': 'poisson', 'lam': 2.0}
        """
        return self.family.describe()

    def truth(self) -> Any:
        """The wrapped family's true parameters.

        Returns
        -------
        parameter record
            Without a replication axis.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> float(fam.truth().lam)
        2.0
        """
        return self.family.truth()

    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis (the wrapped family's).

        Parameters
        ----------
        params : parameter record
            Parameters without a replication axis.
        size : int
            Number of replications ``R``.

        Returns
        -------
        parameter record
            Every array field of shape ``(size, ...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> fam.broadcast(fam.truth(), 3).lam.tolist()
        [2.0, 2.0, 2.0]
        """
        return self.family.broadcast(params, size)

    def flatten(self, params: Any) -> np.ndarray:
        """Parameters as a plain array over ``param_labels`` (the wrapped family's).

        Parameters
        ----------
        params : parameter record
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> fam.flatten(fam.truth()).tolist()
        [2.0]
        """
        return self.family.flatten(params)

    def unflatten(self, flat: np.ndarray) -> Any:
        """Inverse of :meth:`flatten` (the wrapped family's).

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        parameter record
            The wrapped family's parameters.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> fam.unflatten(np.array([[1.5]])).lam.tolist()
        [1.5]
        """
        return self.family.unflatten(flat)

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """Raw points, from the wrapped family.

        Parameters
        ----------
        params : parameter record
            The model to draw from, with a leading replication axis.
        n : int
            Points per replication.
        rng : ReplicationRandom
            The random stream of the replications.

        Returns
        -------
        numpy.ndarray
            The wrapped family's raw points, ``(R, n, ...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.families import AsymptoticFamily
        >>> fam = AsymptoticFamily(mc.Poisson(2.0))
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> fam.sample(fam.broadcast(fam.truth(), 3), 4, rng).shape
        (3, 4)
        """
        return self.family.sample(params, n, rng)


def used_sources(sources: Sequence[Any], weights: Sequence[float]) -> list[tuple[Any, float]]:
    """The ``(source, weight)`` pairs with a positive weight; an error when there are none."""
    used = [(s, float(w)) for s, w in zip(sources, weights, strict=True) if w > 0.0]
    if not used:
        raise InvalidArgumentError("weights: at least one source needs a positive weight")
    return used


def scalar_param(value: float) -> np.ndarray:
    """``value`` as a float64 numpy scalar, the value of a parameter without a replication
    axis (typed as the 0-d array it stands for)."""
    return cast(np.ndarray, np.float64(value))


def scalar_flag(value: bool) -> np.ndarray:
    """``value`` as a numpy bool scalar, a flag without a replication axis (typed as the 0-d
    array it stands for)."""
    return cast(np.ndarray, np.bool_(value))


def broadcast_record(record: Any, size: int) -> Any:
    """A dataclass record with every array field repeated over a leading axis of ``size``."""
    values = {}
    for f in fields(record):
        value = getattr(record, f.name)
        values[f.name] = np.array(np.broadcast_to(value, (size, *np.shape(value))), dtype=float)
    return type(record)(**values)


def bootstrap_rows(rng: ReplicationRandom, n: int, rows: int) -> np.ndarray:
    """Row indices ``(R, n)`` drawn uniformly with replacement from ``0..rows-1``."""
    index = (rng.uniform((int(n),)) * rows).astype(np.intp)
    return np.minimum(index, rows - 1, out=index)


def random_subset(rng: ReplicationRandom, count: int, m: int) -> np.ndarray:
    """Indices ``(R, m)`` of a uniformly random subset of ``m`` of ``count`` points, drawn
    without replacement (the ``m`` smallest of ``count`` uniform keys), per replication."""
    count, m = int(count), int(m)
    if not 1 <= m <= count:
        raise fail("m", f"must be between 1 and the {count} points pooled", m)
    keys = rng.uniform((count,))
    if m == count:
        return np.broadcast_to(np.arange(count), keys.shape)
    return np.argpartition(keys, m - 1, axis=-1)[:, :m]


#: numpy's hypergeometric generator needs fewer good and bad items than this.
_HYPERGEOMETRIC_MAX = 10**9


def hypergeometric_counts(rng: ReplicationRandom, counts: np.ndarray, m: int) -> np.ndarray:
    """Cell counts ``(R, K)`` of ``m`` points drawn without replacement from points with cell
    counts ``counts`` ``(R, K)`` (a multivariate hypergeometric draw, cell by cell)."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=-1)
    if np.any(total >= _HYPERGEOMETRIC_MAX):
        raise fail(
            "n",
            "subsampling needs a pool of fewer than 10^9 points (numpy's hypergeometric "
            "generator); use smaller sample sizes",
            f"{float(total.max()):.3g} points",
        )
    out = np.zeros_like(counts)
    left = np.full(counts.shape[0], float(m))
    rest = total.copy()
    for j in range(counts.shape[-1] - 1):
        rest -= counts[:, j]
        out[:, j] = rng.hypergeometric(counts[:, j], rest, left)
        left -= out[:, j]
    out[:, -1] = left
    return out


def log1p_gap(x: Any) -> np.ndarray:
    """``x - log(1 + x)`` (``>= 0`` for ``x > -1``), elementwise, to full relative precision:
    no cancellation as in ``log(a/b) + b/a - 1`` when ``|x|`` is tiny (huge sample sizes), the
    series ``x^2/2 - x^3/3 + ... - x^7/7`` for ``|x| < 1e-3``; ``inf`` at ``x = inf``. The KL
    divergences of the one-parameter families are sums of such terms."""
    x = np.asarray(x, dtype=float)
    infinite = np.isposinf(x)
    safe = np.where(infinite, 0.0, x)
    with np.errstate(divide="ignore"):
        direct = safe - np.log1p(safe)
    small = np.abs(safe) < 1e-3
    u = np.where(small, safe, 0.0)
    series = u * u * (0.5 - u * (1 / 3 - u * (0.25 - u * (0.2 - u * (1 / 6 - u / 7)))))
    return np.where(infinite, np.inf, np.where(small, series, direct))


def as_data(data: Any, point_shape: tuple[int, ...] = (), *, dtype: Any = float) -> np.ndarray:
    """``data`` as a finite array of shape ``(R, n, *point_shape)`` with ``R, n >= 1``."""
    arr = check_finite("data", data)
    shape = "(replications, n" + "".join(f", {k}" for k in point_shape) + ")"
    if arr.ndim != 2 + len(point_shape) or arr.shape[2:] != point_shape or arr.size == 0:
        raise fail("data", f"must be a non-empty array of shape {shape}", data)
    return arr.astype(dtype, copy=False)


class DataFamily(ABC):
    """Engine dispatch and the chunked ``sample`` engine (see the module docstring)."""

    name: str
    engines: tuple[str, ...]
    min_sample_size: int
    param_labels: tuple[str, ...]
    #: The constraints of the constructor's options, keyed by exactly their names (see
    #: :mod:`~modelcollapse.families.parameters`).
    parameters: ClassVar[dict[str, Constraint]]
    #: The attribute keeping an option whose name a method of the family takes.
    stored_as: ClassVar[dict[str, str]] = {}
    #: The optional hooks the family offers (see :mod:`~modelcollapse.families.capabilities`).
    hooks: frozenset[str] = frozenset()
    #: The only sample size the family accepts, if any.
    fixed_sample_size: int | None = None
    #: False for a large state the recorder should not keep.
    record_params: bool = True
    #: Whether the asymptotic engine weights estimates by their information.
    weight_by_information: bool = False
    #: Whether the truth's data are a real table rather than draws from the model.
    real_data_misspecified: bool = False
    #: Whether the statistics are the data points.
    holds_points: bool = False
    #: Random numbers drawn per data point; sizes the sample engine's pieces.
    _point_size: int = 1

    @property
    def capabilities(self) -> Capabilities:
        """The family's declared capabilities, from the class attributes above (made on first
        use: a family does not change once constructed)."""
        cached = self.__dict__.get("_capabilities")
        if cached is not None:
            return cached
        self.__dict__["_capabilities"] = caps = Capabilities(
            engines=self.engines,
            hooks=self.hooks,
            fixed_sample_size=self.fixed_sample_size,
            record_params=self.record_params,
            weight_by_information=self.weight_by_information,
            real_data_misspecified=self.real_data_misspecified,
            holds_points=self.holds_points,
            point_size=self._point_size,
        )
        return caps

    def describe(self) -> dict[str, Any]:
        """The family's name and constructor options, in JSON's types: building
        ``type(self)(**options)`` from them gives an equal family.

        Returns
        -------
        dict
            ``{"family": name, option: value, ...}``: JSON types only.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> mc.Poisson(2.0).describe()
        {'family': 'poisson', 'lam': 2.0}
        """
        return describe_options(self)

    # -- supplied by the families -----------------------------------------------------------
    @abstractmethod
    def _sampler(self, params: Any) -> Any: ...

    @abstractmethod
    def _sample_with(self, state: Any, m: int, rng: ReplicationRandom) -> np.ndarray: ...

    @abstractmethod
    def _statistics(self, data: np.ndarray) -> Any: ...

    @abstractmethod
    def _check_data(self, data: Any) -> np.ndarray: ...

    def _draw_exact(self, params: Any, n: int, rng: ReplicationRandom) -> Any:
        """Statistics drawn from their sampling distribution; families with an exact engine
        override this (``draw`` only calls it when ``"exact"`` is in ``engines``)."""
        raise fail("engine", f"the {self.name} family has no exact engine", "exact")

    @abstractmethod
    def pool(self, a: Any, b: Any) -> Any: ...

    # -- protocol ---------------------------------------------------------------------------
    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis of length ``size``.

        Parameters
        ----------
        params : parameter record
            Parameters without a replication axis (e.g. ``truth()``).
        size : int
            Number of replications ``R``.

        Returns
        -------
        parameter record
            Of the same type, every array field of shape ``(size, ...)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Gaussian(1.0, 4.0)
        >>> fam.broadcast(fam.truth(), 3).mean.tolist()
        [1.0, 1.0, 1.0]
        """
        return broadcast_record(params, size)

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str) -> Any:
        """Statistics of ``n`` points from ``params``, one set per replication.

        ``engine="exact"`` draws the statistics from their sampling distribution (families with
        an exact engine); ``engine="sample"`` draws the points and reduces them.

        Parameters
        ----------
        params : parameter record
            The model to draw from, with a leading replication axis of length ``R`` (see
            :meth:`broadcast`).
        n : int
            Points per replication.
        rng : ReplicationRandom
            The random stream of the ``R`` replications.
        engine : {"exact", "sample"}
            How to draw; ``"exact"`` only where ``engines`` lists it.

        Returns
        -------
        statistics record
            The family's sufficient statistics of ``n`` points, one set per replication (what
            :meth:`statistics` gives for the drawn data).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> fam = mc.Poisson(2.0)
        >>> stats = fam.draw(fam.broadcast(fam.truth(), 3), 100, rng, "exact")
        >>> stats.count, stats.total.shape
        (100, (3,))
        """
        if engine == "exact" and "exact" in self.engines:
            return self._draw_exact(params, int(n), rng)
        if engine == "sample":
            return self._draw_sample(params, int(n), rng)
        data_engines = [e for e in self.engines if e != "asymptotic"]
        problem = f"must be one of {', '.join(data_engines)}"
        if engine == "asymptotic" and engine in self.engines:
            problem += (
                " (the asymptotic engine draws estimates, not statistics: wrap the family in "
                "modelcollapse.families.AsymptoticFamily, as simulate does)"
            )
        raise fail("engine", problem, engine)

    def _draw_sample(self, params: Any, n: int, rng: ReplicationRandom) -> Any:
        state = self._sampler(params)
        columns = max(1, SAMPLE_PIECE // (BLOCK_SIZE * self._point_size))
        stats = None
        done = 0
        while done < n:
            m = min(columns, n - done)
            piece = self._statistics(self._sample_with(state, m, rng))
            stats = piece if stats is None else self.pool(stats, piece)
            done += m
        assert stats is not None
        return stats

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """``n`` raw points from ``params`` per replication, replication axis first.

        Holds all ``R x n`` points in memory; the ``sample`` engine draws in pieces instead.

        Parameters
        ----------
        params : parameter record
            The model to draw from, with a leading replication axis of length ``R``.
        n : int
            Points per replication (``>= 1``).
        rng : ReplicationRandom
            The random stream of the ``R`` replications.

        Returns
        -------
        numpy.ndarray
            Shape ``(R, n)`` for scalar data, ``(R, n, d)`` for vectors (regressions: the
            covariates, then the response).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> fam = mc.Gaussian()
        >>> x = fam.sample(fam.broadcast(fam.truth(), 3), 5, rng)
        >>> x.shape
        (3, 5)
        >>> fam.statistics(x).count
        5
        """
        n = check_int("n", n, minimum=1)
        return self._sample_with(self._sampler(params), n, rng)

    def statistics(self, data: Any) -> Any:
        """Sufficient statistics of raw ``data`` with a leading replication axis.

        Raises :class:`~modelcollapse.InvalidArgumentError` when the data has the wrong shape or
        leaves the family's support.

        Parameters
        ----------
        data : array_like
            Raw data of shape ``(R, n)`` (scalar data; integer category codes for the categorical
            family) or ``(R, n, d)`` (vectors; for a regression the covariates followed by the
            response).

        Returns
        -------
        statistics record
            The sufficient statistics, one set per replication, ready for :meth:`pool` and ``fit``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.Bernoulli(0.5)
        >>> s = fam.statistics([[1, 0, 1, 1]])
        >>> s.count, s.total.tolist()
        (4, [3.0])
        """
        return self._statistics(self._check_data(data))
