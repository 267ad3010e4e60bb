"""Real data from a table: any family whose real draws are rows of a data set.

:class:`TableSource` wraps a family so that every draw from the *truth* (generation 0's ``n0``
real points, and the fresh real data of paper 2's regime) is ``n`` rows drawn with replacement
from a fixed table, reduced by the family's own ``statistics``; draws from a fitted model, the
fits and every metric are the wrapped family's. The truth's parameters are the wrapped family's
truth, which should be the table's *population* values (for a Gaussian, the table's mean and
MLE covariance; for a categorical column, its frequencies): the population-risk metric
``E_truth[-log p_model(X)]`` is then exactly the average negative log-likelihood of the table's
rows for the families whose log-likelihood depends on the data through those values (Gaussian,
categorical).

The truth is told apart from a fitted model by its type: ``truth()`` and ``broadcast`` of it
return an instance of a subclass of the wrapped family's parameter record, marked
``from_table = True``; everything else (the wrapped family's methods) sees an ordinary record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from .._validation import fail
from ..random import ReplicationRandom
from ._common import bootstrap_rows
from .capabilities import ASYMPTOTIC_HOOKS, capabilities_of

__all__ = ["TableSource"]

_MARKED: dict[type, type] = {}


def _marked_type(cls: type) -> type:
    if cls not in _MARKED:
        _MARKED[cls] = type(f"Table{cls.__name__}", (cls,), {"from_table": True})
    return _MARKED[cls]


def _mark(params: Any) -> Any:
    if getattr(params, "from_table", False):
        return params
    values = {f.name: getattr(params, f.name) for f in fields(params)}
    return _marked_type(type(params))(**values)


class TableSource:
    """A family whose real data are rows drawn with replacement from ``data``.

    Parameters
    ----------
    family : Family
        The model fitted each generation; its ``truth()`` should be the table's population
        values (see the module docstring). Needs a data-level ``statistics``.
    data : array_like, shape (N, ...)
        The table in the family's raw data format: ``(N,)`` for scalar data and category codes,
        ``(N, d)`` for vectors.

    Examples
    --------
    >>> import numpy as np, modelcollapse as mc
    >>> codes = np.array([0, 0, 1, 2, 2, 2])
    >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
    >>> res = mc.simulate(fam, n0=50, schedule=50, generations=3, replications=10, seed=0)
    >>> res.values("cells_lost").shape
    (10, 4)
    """

    def __init__(self, family: Any, data: Any) -> None:
        arr = np.asarray(data)
        if arr.ndim < 1 or arr.shape[0] < 1:
            raise fail("data", "must be a non-empty table with one row per record", data)
        checked = family._check_data(arr[None])
        self.family = family
        self.data = np.array(checked[0])
        self.rows = self.data.shape[0]
        self.name = family.name
        #: The wrapped family's capabilities but the asymptotic engine's (its law of an
        #: estimate is the model's, not the table's) and hooks.
        self.capabilities = capabilities_of(family).without(
            engines=("asymptotic",), hooks=ASYMPTOTIC_HOOKS
        )
        self.engines = self.capabilities.engines
        self.min_sample_size = family.min_sample_size
        self.param_labels = family.param_labels
        # The declared hooks, and only those, are the wrapped family's.
        for hook in sorted(self.capabilities.hooks):
            setattr(self, hook, getattr(family, hook))

    def __repr__(self) -> str:
        return f"TableSource({self.family!r}, rows={self.rows})"

    def describe(self) -> dict[str, Any]:
        """The wrapped family's description, with the table's size as ``real_data``.

        Returns
        -------
        dict
            JSON-serialisable.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> sorted(fam.describe())
        ['family', 'p', 'real_data']
        >>> fam.describe()["real_data"]
        'table of 6 rows'
        """
        return {**self.family.describe(), "real_data": f"table of {self.rows} rows"}

    # -- protocol ---------------------------------------------------------------------------
    def truth(self) -> Any:
        """The wrapped family's true parameters, marked as the table (a draw from them resamples its
        rows).

        Returns
        -------
        parameter record
            The wrapped family's ``truth()`` with ``from_table`` set.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> fam.truth().p.round(4).tolist()
        [0.3333, 0.1667, 0.5]
        """
        return _mark(self.family.truth())

    def broadcast(self, params: Any, size: int) -> Any:
        """``params`` repeated over a leading replication axis (the wrapped family's), keeping the
        table's mark.

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
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> fam.broadcast(fam.truth(), 3).p.shape
        (3, 3)
        """
        out = self.family.broadcast(params, size)
        return _mark(out) if getattr(params, "from_table", False) else out

    def draw(self, params: Any, n: int, rng: ReplicationRandom, engine: str) -> Any:
        """Statistics of ``n`` rows of the table (the truth) or of ``n`` points drawn from a
        fitted model (the wrapped family's ``draw``).

        Parameters
        ----------
        params : parameter record
            The truth (:meth:`truth`, broadcast) or a fitted model, with a leading replication axis.
        n : int
            Points per replication.
        rng : ReplicationRandom
            The random stream of the replications.
        engine : str
            The wrapped family's engine (``"exact"`` or ``"sample"``).

        Returns
        -------
        statistics record
            The wrapped family's statistics, one set per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> stats = fam.draw(fam.broadcast(fam.truth(), 3), 6, rng, "exact")
        >>> stats.counts.sum(axis=1).tolist()
        [6.0, 6.0, 6.0]
        """
        if not getattr(params, "from_table", False):
            return self.family.draw(params, n, rng, engine)
        if engine not in self.engines:
            raise fail("engine", f"must be one of {', '.join(self.engines)}", engine)
        return self.family._statistics(self.data[bootstrap_rows(rng, n, self.rows)])

    def sample(self, params: Any, n: int, rng: ReplicationRandom) -> np.ndarray:
        """Raw points: rows of the table drawn with replacement (the truth), or the wrapped family's
        draws from a fitted model.

        Parameters
        ----------
        params : parameter record
            The truth or a fitted model, with a leading replication axis of length ``R``.
        n : int
            Points per replication.
        rng : ReplicationRandom
            The random stream of the replications.

        Returns
        -------
        numpy.ndarray
            Shape ``(R, n, ...)``, the table's row format.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> from modelcollapse.random import ReplicationRandom
        >>> rng = ReplicationRandom(np.random.SeedSequence(0), 0, 3)  # 3 replications
        >>> rows = fam.sample(fam.broadcast(fam.truth(), 3), 4, rng)
        >>> rows.shape, bool(np.isin(rows, codes).all())
        ((3, 4), True)
        """
        if not getattr(params, "from_table", False):
            return self.family.sample(params, n, rng)
        return self.data[bootstrap_rows(rng, n, self.rows)]

    def statistics(self, data: Any) -> Any:
        """Sufficient statistics of raw data (the wrapped family's).

        Parameters
        ----------
        data : array_like
            Raw data with a leading replication axis.

        Returns
        -------
        statistics record
            The wrapped family's statistics.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> fam.statistics([[0, 2, 2]]).counts.tolist()
        [[1.0, 0.0, 2.0]]
        """
        return self.family.statistics(data)

    def pool(self, a: Any, b: Any) -> Any:
        """Statistics of the union of the data behind ``a`` and ``b`` (the wrapped family's).

        Parameters
        ----------
        a, b : statistics record
            Statistics of two samples.

        Returns
        -------
        statistics record
            The pooled statistics.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> s = fam.statistics([[0, 2, 2]])
        >>> fam.pool(s, s).counts.tolist()
        [[2.0, 0.0, 4.0]]
        """
        return self.family.pool(a, b)

    def fit(self, sources: Sequence[Any], weights: Sequence[float]) -> Any:
        """The weighted estimate (the wrapped family's).

        Parameters
        ----------
        sources : sequence of statistics records
            Statistics of each source.
        weights : sequence of float
            Weight of each source (non-negative, summing to one).

        Returns
        -------
        parameter record
            The wrapped family's estimate, one per replication.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> s = fam.statistics([[0, 2, 2, 2]])
        >>> fam.fit([s], [1.0]).p.tolist()
        [[0.25, 0.0, 0.75]]
        """
        return self.family.fit(sources, weights)

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
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> fam.flatten(fam.truth()).round(4).tolist()
        [0.3333, 0.1667, 0.5]
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
            A fitted model's parameters.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> codes = np.array([0, 0, 1, 2, 2, 2])
        >>> fam = mc.TableSource(mc.Categorical([2 / 6, 1 / 6, 3 / 6]), codes)
        >>> fam.unflatten(np.array([0.5, 0.25, 0.25])).p.tolist()
        [0.5, 0.25, 0.25]
        """
        return self.family.unflatten(flat)
