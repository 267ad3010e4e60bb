"""The batched recursion: every replication of a run advances together, one generation at a time.

A generation is *draw, pool, fit*::

    schedules/regime -> n_real(t), n_synth(t), w(t)          (decided once, before the loop)
    family.draw      -> synthetic statistics from the previous fit, fresh real statistics
    regime           -> which sources the fit uses, with which weights
    family.fit       -> the new parameters of every replication at once
    recorder         -> parameters at the generations asked for

Replications are processed in chunks of whole random blocks (:mod:`modelcollapse.random`), so
the result for a given seed does not depend on the chunk size. Real data come from random stream
0 and synthetic data from stream 1. :func:`simulate_weights` runs several *arms* (weight rules)
in the same loop: the real data and the generation-0 fit are made once for all arms and the
noise of the synthetic draws is shared, so each arm is bit-identical to its own
:func:`simulate` run while the sweep costs far less than the separate runs. Metrics are computed
as generations are recorded (:class:`~modelcollapse.results.Recorder`).
"""

from __future__ import annotations

import inspect
import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import (
    FitFailureWarning,
    InvalidArgumentError,
    available_memory,
    check_choice,
    check_int,
    check_memory,
    check_real,
    fail,
    largest_fitting,
)
from .families.asymptotic import AsymptoticFamily
from .families.base import Family
from .families.capabilities import capabilities_of
from .families.points import PointsFamily
from .generation import init, step
from .metrics import available_metrics
from .random import BLOCK_SIZE, ReplicationRandom, SharedNoise, as_seed_sequence, block_size_for
from .regimes import Regime, make_regime
from .results import Recorder, SimulationResult
from .schedules import (
    Schedule,
    Shrinkage,
    WeightRule,
    parse_schedule,
    parse_shrinkage,
    resolve_weights,
)

__all__ = ["ENGINES", "SAMPLE_MAX_POINTS", "simulate", "simulate_weights"]

#: Engine names: draw statistics exactly, draw data and reduce it, or draw the estimate from its
#: asymptotic normal law (an approximation, see :mod:`modelcollapse.families.asymptotic`); then
#: the text engines of the n-gram language model (:class:`modelcollapse.lm.NGramModel`): text
#: token by token, or every n-gram's count at once.
ENGINES = ("exact", "sample", "asymptotic", "sequence", "counts")

#: ``record="auto"`` keeps every generation while ``replications * (generations + 1)`` is at most
#: this; beyond it, about 100 evenly spaced generations (always including 0 and T), fewer when
#: ``replications x 101`` exceeds :data:`_AUTO_RECORD_MAX`, so that memory never grows with T.
_AUTO_RECORD_ALL = 2_000_000
#: Largest ``replications x recorded generations`` that ``record="auto"`` keeps (per metric and
#: parameter: 32 MB of doubles); at least generations 0 and T are always kept.
_AUTO_RECORD_MAX = 4_000_000
#: Replications per chunk for the exact engine (memory is O(chunk), not O(n)).
_EXACT_CHUNK = 64 * BLOCK_SIZE
#: Points per replication chunk of the sample engine (rounded up to whole blocks): arrays of
#: 8 MB of doubles, near the processor's cache.
_SAMPLE_POINTS = 2**20
#: The sample engine draws every point: a run that would draw more than this many points per
#: replication in one generation (``n0``, or ``n_synth(t) + n_real(t)``) is refused before it
#: starts (at about 10^8 points a second, hours for a batch of replications); the exact engine
#: draws the statistics at a cost independent of the sample size, the asymptotic engine the
#: estimate.
SAMPLE_MAX_POINTS = 10**9
#: Largest sample size: sizes are 64-bit integers.
_INT64_MAX = 2**63 - 1
#: A default chunk holds at most about this many bytes of per-replication state (never less
#: than one random block): a family with a large state (many cells, a high dimension) runs in
#: smaller chunks. Chunking never changes results.
_CHUNK_BYTES = 2**30
#: Bytes of one parameter label (a Python string) in ``family.param_labels``.
_LABEL_BYTES = 80
#: Bytes per generation of the arrays a plan holds for its horizon (sizes, weights, shrinkage
#: and their temporaries), counted before they are made.
_HORIZON_BYTES = 96


def _package_version() -> str:
    """``modelcollapse.__version__`` (read once from the installed metadata)."""
    import modelcollapse

    return str(modelcollapse.__version__)


def _record_generations(record: Any, generations: int, replications: int) -> np.ndarray:
    if isinstance(record, str):
        choice = check_choice("record", record, ("auto", "all", "final"))
        if choice == "final":
            return np.array([generations])
        if choice == "all" or replications * (generations + 1) <= _AUTO_RECORD_ALL:
            return np.arange(generations + 1)
        count = min(101, max(2, _AUTO_RECORD_MAX // replications))
        return np.unique(np.linspace(0, generations, count).round().astype(int))
    try:
        gens = np.unique(np.asarray(list(record), dtype=float))
    except (TypeError, ValueError):
        raise fail(
            "record", "must be 'auto', 'all', 'final' or a list of generations", record
        ) from None
    if gens.size == 0 or np.any(gens != np.round(gens)) or gens[0] < 0 or gens[-1] > generations:
        raise fail("record", f"generations must be integers in [0, {generations}]", record)
    return gens.astype(int)


#: The members of the :class:`~modelcollapse.families.base.Family` protocol.
_FAMILY_MEMBERS = (
    *(name for name in vars(Family) if not name.startswith("_")),
    *Family.__annotations__,
)


def _implements_family(obj: Any) -> bool:
    """``isinstance(obj, Family)`` without evaluating properties: a family may make its
    ``param_labels`` on first use (millions of cells), which a size check must not do."""
    missing = object()
    return all(
        inspect.getattr_static(obj, name, missing) is not missing for name in _FAMILY_MEMBERS
    )


def _recorded_count(record: Any, generations: int, replications: int) -> int:
    """How many generations ``record`` keeps for a run of ``replications`` (the size of
    :func:`_record_generations`, without making the list)."""
    if isinstance(record, str):
        if record == "final":
            return 1
        if record == "all" or replications * (generations + 1) <= _AUTO_RECORD_ALL:
            return generations + 1
        return min(generations + 1, min(101, max(2, _AUTO_RECORD_MAX // replications)))
    return len(record)


def _fits(most: int, unit: str) -> str:
    """``"at most 3 cells fit with these settings"``, in the singular for 1."""
    first, _, rest = unit.partition(" ")
    if most == 1:
        first = first.removesuffix("s")
    verb = "fits" if most == 1 else "fit"
    return f"at most {most:,} {' '.join(w for w in (first, rest) if w)} {verb} with these settings"


def _check_horizon(generations: int) -> None:
    """Refuse a horizon whose per-generation arrays alone exceed the memory available."""

    def fits(budget: float) -> str:
        return f"at most {int(budget // _HORIZON_BYTES) - 1:,} generations fit"

    check_memory("generations", _HORIZON_BYTES * (generations + 1.0), generations, fits)


def _check_sizes(
    label: str, schedule: Schedule, sizes: np.ndarray, minimum: int, allow_zero: bool
) -> None:
    bad = (sizes < minimum) & ~((sizes == 0) & allow_zero)
    if np.any(bad):
        t = int(np.argmax(bad)) + 1
        allowed = f"0 or >= {minimum}" if allow_zero else f">= {minimum}"
        raise InvalidArgumentError(
            f"{label}: {schedule} gives {sizes[t - 1]} at generation t={t}; this family needs "
            f"sample sizes {allowed}"
        )


def _run_range(
    plan: _Plan, weights: list[Any], first: int, stop: int
) -> list[tuple[np.ndarray | None, dict[str, np.ndarray], np.ndarray | None]]:
    """Replications ``first .. stop - 1`` of ``plan`` in a worker process: per arm, the
    recorded parameters and metrics and the failed fits per generation."""
    rules = [plan._weights(w) for w in weights]
    recorders = [plan._recorder(stop - first) for _ in rules]
    plan._fill(rules, recorders, first, stop)
    return [(r.flat, r.metrics, r.failures) for r in recorders]


def _check_fixed_size(family: Family, n0: int, n_synth: np.ndarray, n_fresh: np.ndarray) -> None:
    """Every sample size must equal a family's ``fixed_sample_size`` where it has one."""
    fixed = capabilities_of(family).fixed_sample_size
    if fixed is None:
        return
    for label, sizes in (("n0", np.array([n0])), ("schedule", n_synth), ("n_real", n_fresh)):
        bad = (sizes != fixed) & ((sizes > 0) if label == "n_real" else True)
        if np.any(bad):
            where = "" if label == "n0" else f" at generation t={int(np.argmax(bad)) + 1}"
            raise fail(
                "n",
                f"must equal the design's {fixed} rows (the fixed-design regression draws one "
                f"response per design row), but {label} gives {int(sizes[np.argmax(bad)])}{where}",
                int(sizes[np.argmax(bad)]),
            )


def _seed_or_rng(seed: Any, rng: Any) -> Any:
    """The root seed given as ``seed`` or as ``rng`` (not both)."""
    if rng is None:
        return seed
    if seed is not None:
        raise fail("rng", "is the seed under another name: give seed or rng, not both", rng)
    return as_seed_sequence(rng, "rng")


def simulate(
    family: Family,
    *,
    n0: int,
    schedule: Schedule | str | int,
    generations: int,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    engine: str | None = None,
    n_real: Schedule | str | int = 0,
    weight: WeightRule | float | str | None = None,
    regime: str | Regime = "replace",
    shrinkage: Shrinkage | float | str | None = None,
    record: str | Sequence[int] | np.ndarray = "auto",
    metrics: Sequence[str] | None = None,
    eps: float = 0.05,
    chunk_size: int | None = None,
    workers: int = 1,
    progress: bool | Callable[[int, int], None] = False,
    rng: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> SimulationResult:
    """Run ``replications`` independent recursions of ``generations`` refits as one batch.

    Generation 0 fits ``n0`` real points. Generation ``t = 1..T`` draws ``n_synth(t)`` synthetic
    points from the fit of generation ``t - 1`` and, when ``n_real(t) > 0``, ``n_real(t)`` fresh
    real points, and refits with weight ``w(t)`` on the real data (each real point weighs
    ``w/n_real``, each synthetic point ``(1-w)/n_synth``).

    Parameters
    ----------
    family : Family
        The model and its estimator, e.g. :class:`modelcollapse.Gaussian`.
    n0 : int
        Real sample size at generation 0.
    schedule : Schedule, str or int
        Synthetic sample size ``n_synth(t)``, e.g. ``"constant:n=100"`` or ``"power:n0=100,s=1"``.
    generations : int
        Number of recursive generations ``T`` (``T + 1`` fits in all).
    replications : int
        Number of independent replications ``R``.
    seed : int, SeedSequence, Generator or None
        Root seed. The same seed gives the same result whatever ``chunk_size`` and
        ``workers``. A ``numpy.random.Generator`` gives a root seed of 128 bits drawn from it
        (:func:`~modelcollapse.random.as_seed_sequence`), recorded in ``config["seed"]``.
    engine : {"exact", "sample", "asymptotic", "sequence", "counts"}, optional
        Default: the family's first engine (``"exact"`` wherever the family has one).
        ``"exact"`` draws the sufficient statistics from their sampling distribution (cost
        independent of the sample size); ``"sample"`` draws the data and reduces it;
        ``"asymptotic"`` draws each estimate from ``N(theta, V(theta)/n)`` (an approximation for
        large ``n``, recorded as ``config["approximation"]``). ``"sequence"`` and ``"counts"``
        are the text engines of :class:`~modelcollapse.lm.NGramModel`. A family lists the
        engines it supports in ``family.engines``.
    n_real : Schedule, str or int
        Fresh real sample size ``n_real(t)`` for ``t >= 1``; 0 (default) is fully synthetic.
    weight : WeightRule, float, str or None
        Weight ``w(t)`` on the real data. Default: unweighted pooling
        (:class:`~modelcollapse.schedules.Proportional`). Only meaningful with ``n_real > 0``.
    regime : str or Regime
        How the training set is formed; ``"replace"``.
    shrinkage : Shrinkage, float or str, optional
        Multiplicative shrinkage ``delta_t`` (e.g. ``"shrink:delta=0.1,p=1.5"``): generation
        ``t``'s fit is scaled by ``1 - delta_t`` (low-temperature sampling); needs a family with
        a ``shrink`` hook. ``E sigma2_T = sigma2 prod (1 - delta_t)`` for the unbiased
        estimator: collapse iff ``sum delta_t = inf``.
    record : "auto", "all", "final" or sequence of int
        Generations whose parameters are kept. ``"auto"`` keeps all of them for small runs
        and about 100 evenly spaced ones otherwise, fewer for very many replications (at most
        ``4 x 10^6 / R``, at least generations 0 and T), so its memory never grows with ``T``.
        Memory is ``R x len(record)`` per metric and parameter.
    metrics : sequence of str, optional
        Metric names (see :mod:`modelcollapse.metrics`); default: all the family supports.
    eps : float
        Collapse threshold for the ``collapsed`` metric: ``sigma2 <= eps``.
    chunk_size : int, optional
        Replications held in memory at once, rounded up to whole random blocks (of
        :data:`~modelcollapse.random.BLOCK_SIZE` replications, or fewer where the sample engine
        draws more than 1,024 points per replication:
        :func:`~modelcollapse.random.block_size_for`). Affects memory and speed, never results.
    workers : int
        Processes sharing the replications, in ranges of whole random blocks (at most one per
        block). The result is identical for any number of workers; the family, schedules and
        weight rule must be picklable.
    progress : bool or callable
        False (default): silent. True: a progress line on stderr labelled ``simulate`` with the
        fraction done, the elapsed time and an estimate of the time left (a live line on a
        terminal, a plain line per tenth of the work elsewhere, see
        :class:`modelcollapse._progress.Progress`). A callable is called as
        ``progress(done, total)`` in units of replication-generations. It is fed after each
        generation of each chunk of replications and, with several workers, as each worker's
        piece finishes, never inside the per-replication work. It never changes the result.
    rng : int, SeedSequence, Generator or None
        The root seed under the name scientific Python's SPEC 7 gives it; the same as ``seed``
        (give one of the two).

    Returns
    -------
    SimulationResult

    Raises
    ------
    InvalidArgumentError
        For a bad argument, and before anything is allocated: when the run's memory estimate
        (the recorded values, the state of a chunk of replications, the sample engine's data)
        exceeds the memory available (``MODELCOLLAPSE_MEMORY`` overrides what the system
        reports), naming the option that drives it and how much of it fits; when the sample
        engine would draw more than :data:`SAMPLE_MAX_POINTS` points per replication in one
        generation; when float64 cannot carry the family's results at these sample sizes.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> res = mc.simulate(mc.Gaussian(), n0=100, schedule="constant:n=100", generations=50,
    ...                   replications=2000, seed=1)
    >>> float(res.values("sigma2")[:, -1].mean().round(1))
    1.0
    """
    plan = _Plan(
        family,
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=replications,
        seed=_seed_or_rng(seed, rng),
        engine=engine,
        n_real=n_real,
        regime=regime,
        shrinkage=shrinkage,
        record=record,
        metrics=metrics,
        eps=eps,
        chunk_size=chunk_size,
    )
    return plan.run([weight], workers, progress)[0]


def simulate_weights(
    family: Family,
    *,
    weights: Sequence[WeightRule | float | str],
    n0: int,
    schedule: Schedule | str | int,
    n_real: Schedule | str | int,
    generations: int,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    engine: str | None = None,
    regime: str | Regime = "replace",
    shrinkage: Shrinkage | float | str | None = None,
    record: str | Sequence[int] | np.ndarray = "auto",
    metrics: Sequence[str] | None = None,
    eps: float = 0.05,
    chunk_size: int | None = None,
    workers: int = 1,
    progress: bool | Callable[[int, int], None] = False,
    rng: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> list[SimulationResult]:
    """Run the same recursion at several weights on common random numbers (a weight sweep).

    Every arm (one weight rule) sees the same fresh real data and the same noise: the real data
    are drawn and the generation-0 fit is made once per generation for all arms, and the noise
    of the synthetic draws is drawn once and shared (see :class:`modelcollapse.random.SharedNoise`).
    The result for each weight is *identical* to ``simulate(..., weight=w)`` with the same seed:
    sharing only saves work. Arguments are those of :func:`simulate`; ``n_real`` must be positive.

    Parameters
    ----------
    family : Family
        The model and its estimator.
    weights : sequence of WeightRule, float or str
        One weight rule per arm, e.g. ``[0.3, 0.5, "optimal"]``.
    n0, schedule, n_real, generations, replications, seed, engine, regime, shrinkage, record, \
metrics, eps, chunk_size, workers, progress, rng
        As in :func:`simulate`.

    Returns
    -------
    list of SimulationResult
        One result per weight, in the order given.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> runs = mc.simulate_weights(mc.Gaussian(), weights=[0.5, "optimal"], n0=50, schedule=50,
    ...                            n_real=50, generations=30, replications=500, seed=3)
    >>> alone = mc.simulate(mc.Gaussian(), weight="optimal", n0=50, schedule=50, n_real=50,
    ...                     generations=30, replications=500, seed=3)
    >>> bool((runs[1].flat_params == alone.flat_params).all())
    True
    """
    try:
        arms = list(weights)
    except TypeError:
        raise fail("weights", "must be a sequence of weight rules", weights) from None
    if isinstance(weights, str) or not arms:
        raise fail("weights", "must be a non-empty sequence of weight rules", weights)
    plan = _Plan(
        family,
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=replications,
        seed=_seed_or_rng(seed, rng),
        engine=engine,
        n_real=n_real,
        regime=regime,
        shrinkage=shrinkage,
        record=record,
        metrics=metrics,
        eps=eps,
        chunk_size=chunk_size,
    )
    if not np.any(plan.n_fresh > 0):
        raise fail("n_real", "must be positive for a weight sweep", str(plan.real_schedule))
    return plan.run(arms, workers, progress)


class _Ticker:
    """Where a run reports its progress: ``tick(units, note)`` after each piece of work.

    ``progress`` is False (nothing), True (a :class:`~modelcollapse._progress.Progress` line on
    stderr labelled ``simulate``) or a callable ``progress(done, total)``. Used as a context
    manager: the line is closed when the run ends.
    """

    def __init__(self, progress: bool | Callable[[int, int], None], total: int) -> None:
        self.total = max(1, int(total))
        self.done = 0
        self.bar: Any = None
        self.func: Callable[[int, int], None] | None = None
        if callable(progress):
            self.func = progress
        elif progress:
            from ._progress import Progress

            self.bar = Progress("simulate", self.total)
        self.active = self.bar is not None or self.func is not None

    def __call__(self, units: int, note: str = "") -> None:
        if not self.active:
            return
        self.done = min(self.total, self.done + int(units))
        if self.bar is not None:
            self.bar.update(self.done, note)
        else:
            assert self.func is not None
            self.func(self.done, self.total)

    def __enter__(self) -> _Ticker:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


class _Plan:
    """A validated run: everything but the weights, which :meth:`run` takes per arm."""

    def __init__(
        self,
        family: Family,
        *,
        n0: Any,
        schedule: Any,
        generations: Any,
        replications: Any,
        seed: Any,
        engine: Any,
        n_real: Any,
        regime: Any,
        shrinkage: Any,
        record: Any,
        metrics: Any,
        eps: Any,
        chunk_size: Any,
    ) -> None:
        if not _implements_family(family):
            raise fail("family", "must implement the modelcollapse Family protocol", family)
        self.family = family
        self.caps = caps = capabilities_of(family)
        self.engine = check_choice(
            "engine", caps.engines[0] if engine is None else engine, caps.engines
        )
        # Counts are integers: a float, even an integral one such as 1e7, is refused.
        self.n0 = check_int(
            "n0", n0, minimum=family.min_sample_size, maximum=_INT64_MAX, integral_float=False
        )
        self.generations = check_int("generations", generations, minimum=0, integral_float=False)
        self.replications = check_int("replications", replications, minimum=1, integral_float=False)
        self.eps = check_real("eps", eps, lower=0.0)
        _check_horizon(self.generations)
        self.regime = make_regime(regime)
        self.root = as_seed_sequence(seed)

        self.synth_schedule = parse_schedule(schedule, "schedule")
        self.real_schedule = parse_schedule(n_real, "n_real")
        self.n_synth = self.synth_schedule.sizes(self.generations)
        self.n_fresh = self.real_schedule.sizes(self.generations, "n_real")
        _check_sizes(
            "schedule", self.synth_schedule, self.n_synth, family.min_sample_size, allow_zero=False
        )
        _check_sizes(
            "n_real", self.real_schedule, self.n_fresh, family.min_sample_size, allow_zero=True
        )
        _check_fixed_size(family, self.n0, self.n_synth, self.n_fresh)
        size = self.regime.size
        if size is not None and size < family.min_sample_size:
            raise fail(
                "regime",
                f"the training-set size must be >= {family.min_sample_size} for this family",
                str(self.regime),
            )

        self.shrink_rule = None if shrinkage is None else parse_shrinkage(shrinkage, "shrinkage")
        if self.shrink_rule is not None and not caps.shrink:
            raise fail(
                "shrinkage",
                f"needs a family with a shrink hook, not {family.name}",
                str(self.shrink_rule),
            )
        self.keep = (
            np.ones(self.generations)
            if self.shrink_rule is None
            else 1.0 - self.shrink_rule.deltas(self.generations)
        )

        self.record_at = _record_generations(record, self.generations, self.replications)
        self.metric_names = available_metrics(family) if metrics is None else tuple(metrics)
        unknown = [m for m in self.metric_names if m not in available_metrics(family)]
        if unknown:
            raise fail(
                "metrics", f"must be among {', '.join(available_metrics(family))}", unknown[0]
            )

        # The asymptotic engine runs the family wrapped so that a draw is an estimate; a regime
        # that subsamples needs the points, which the sample engine keeps for a family whose
        # statistics are sums.
        self.stepper: Any = AsymptoticFamily(family) if self.engine == "asymptotic" else family
        if self.regime.subsamples and not capabilities_of(self.stepper).subsample:
            if self.engine != "sample" or "sample" not in caps.engines:
                raise fail(
                    "engine",
                    f"the {self.regime.name} regime subsamples the pooled points, which the "
                    f"{family.name} family's {self.engine} statistics do not keep: use "
                    "engine='sample'",
                    self.engine,
                )
            self.stepper = PointsFamily(family)
        # What "auto" keeps depends on the replications (the size check tries other counts).
        self.record_spec = record if isinstance(record, str) else self.record_at.tolist()
        self._check_sample_engine()
        self._check_precision()
        # Random blocks: BLOCK_SIZE replications, fewer where the sample engine draws more than
        # 1,024 points per replication (block_size_for), so that a chunk stays near the cache.
        largest = int(max(self.n0, self.n_synth.max(initial=0), self.n_fresh.max(initial=0)))
        self.block = BLOCK_SIZE if self.engine != "sample" else block_size_for(largest)
        if chunk_size is None:
            if self.engine in ("exact", "asymptotic"):
                chunk = _EXACT_CHUNK
            else:
                if self.regime.pools:  # data-level statistics hold the whole pool
                    largest = int(self.n0 + self.n_synth.sum() + self.n_fresh.sum())
                chunk = _SAMPLE_POINTS // max(1, largest)
            # A large per-replication state (many cells, a high dimension): smaller chunks.
            chunk = min(chunk, int(_CHUNK_BYTES // (8.0 * self._state_floats())))
        else:
            chunk = check_int("chunk_size", chunk_size, minimum=1)
        self.chunk = max(self.block, -(-chunk // self.block) * self.block)

    # -- checks before any work ----------------------------------------------------------
    def _size_option(self) -> tuple[str, int]:
        """The sample-size option with the largest size per generation, and that size."""
        options = [
            ("n0", self.n0),
            ("schedule", int(self.n_synth.max(initial=0))),
            ("n_real", int(self.n_fresh.max(initial=0))),
        ]
        return max(options, key=lambda item: item[1])

    def _training_points(self, generations: int | None = None) -> float:
        """Points per replication in the largest training set (the whole pool for a regime
        that pools, over the first ``generations`` generations)."""
        T = self.generations if generations is None else generations
        per_generation = self.n_synth[:T].astype(float) + self.n_fresh[:T].astype(float)
        if self.regime.pools:
            return float(self.n0 + per_generation.sum())
        return float(self.n0 + per_generation.max(initial=0.0))

    def _check_sample_engine(self) -> None:
        """The sample engine draws every point: refuse more than :data:`SAMPLE_MAX_POINTS` per
        replication in one generation."""
        if self.engine != "sample":
            return
        per_generation = self.n_synth.astype(float) + self.n_fresh.astype(float)
        points = max(float(self.n0), float(per_generation.max(initial=0.0)))
        if points <= SAMPLE_MAX_POINTS:
            return
        name, value = self._size_option()
        others = [e for e in ("exact", "asymptotic") if e in self.caps.engines]
        hint = (
            f"use engine {' or '.join(others)}, which "
            f"{'do' if len(others) > 1 else 'does'} not draw the points"
            if others
            else f"the {self.family.name} family has no other engine: use smaller samples"
        )
        raise fail(
            name,
            f"the sample engine would draw {points:,.0f} points per replication in one "
            f"generation, more than its bound of {SAMPLE_MAX_POINTS:,} (hours of drawing); " + hint,
            value,
        )

    def _check_precision(self) -> None:
        """The family's check that float64 carries its results at these sample sizes."""
        if self.caps.offers("check_precision"):
            family: Any = self.family  # an optional hook, not in the Family protocol
            family.check_precision(self._training_points())

    def _state_model(
        self, generations: int | None = None
    ) -> tuple[str, int, str, Callable[[int], tuple[float, float, float]]]:
        """What sizes a replication's state: ``(option, value, unit, floats)``, where
        ``floats(v)`` gives, when the option is ``v``, the doubles one replication holds at a
        generation's peak besides its data points, the doubles of the data points it holds, and
        the parameters recorded per generation (over the first ``generations`` generations).

        A family may describe itself with a ``memory_model(metrics)`` hook returning the same
        option, value and unit, and a function giving its extra doubles per replication beyond
        the parameters and metrics (e.g. the ``d x d`` covariances of a multivariate Gaussian)
        and its parameters; a family whose statistics are the data points (``holds_points``),
        or the points kept for a subsampling regime, holds the training set; otherwise the state
        is a few copies of the parameters, with ``p x p`` matrices.
        """
        family, caps = self.family, self.caps
        metrics = len(self.metric_names)
        keep = caps.record_params
        holds = self.engine == "sample" and capabilities_of(self.stepper).holds_points
        points = self._training_points(generations) * caps.point_size * 4.0 if holds else 0.0
        asymptotic = self.engine == "asymptotic"
        hook = caps.offers("memory_model")
        hooks: Any = family  # an optional hook, not in the Family protocol
        model = hooks.memory_model(self.metric_names) if hook else None

        def base(extra: float, params: float, data: float) -> tuple[float, float, float]:
            floats = 4.0 * (params + metrics) + 16.0 + extra
            if asymptotic:  # the covariance of the estimate and its Cholesky factor
                floats += 6.0 * params * params
            return floats, data, (params if keep else 0.0)

        if model is not None:
            option, value, unit, extra = model

            def floats(v: int) -> tuple[float, float, float]:
                more, params = extra(v)
                return base(more, params, points)

            return option, value, unit, floats
        params = float(len(family.param_labels))
        if holds:
            option, value = self._size_option()

            def floats(v: int) -> tuple[float, float, float]:
                return base(4.0 * params * params, params, points * v / max(1.0, float(value)))

            return option, value, "points per replication and generation", floats
        return "", 0, "", lambda v: base(4.0 * params * params, params, 0.0)

    def _state_floats(self) -> float:
        _, value, _, floats = self._state_model()
        state, points, _ = floats(value)
        return state + points

    def _memory(
        self,
        replications: int,
        arms: int,
        workers: int,
        value: int | None = None,
        generations: int | None = None,
    ) -> float:
        """Bytes the run needs (an estimate): the recorders (``replications x recorded
        generations x (parameters + metrics)`` doubles per arm, twice with several workers),
        the state of the replications each process holds at once, the sample engine's drawn
        data and the per-generation arrays of the horizon (a run of ``generations``
        generations, with the option that sizes a replication at ``value``)."""
        _, current, _, floats = self._state_model(generations)
        state, points, params = floats(current if value is None else value)
        T = self.generations if generations is None else generations
        recorded = _recorded_count(self.record_spec, T, replications)
        columns = params + len(self.metric_names)
        recorder = 8.0 * arms * replications * recorded * columns
        if workers > 1:
            recorder *= 2.0  # the workers' pieces, then the whole in the parent
        recorder += 8.0 * 2 * replications * recorded  # a summary's copies of one metric
        processes = max(1, min(workers, -(-replications // self.block)))
        held = min(-(-replications // processes), self.chunk)
        # A fit per arm (the temporaries are shared), the data points once per arm.
        per_process = 8.0 * held * (state * (1 + arms) / 2 + points * arms)
        if self.engine == "sample":  # the pieces of drawn data, a few arrays of each
            point_size = self.caps.point_size
            largest = max(float(self.n0), self._training_points(generations))
            per_process += 8.0 * 4 * held * min(largest * point_size, 4096.0 + point_size)
        # The family's own arrays, the horizon's arrays and a label string per parameter.
        fixed = 8.0 * 4 * state + _HORIZON_BYTES * (T + 1.0) * arms + _LABEL_BYTES * params
        return recorder + processes * per_process + fixed

    def check_run_memory(self, arms: int = 1, workers: int = 1) -> None:
        """Refuse the run when its memory estimate (:meth:`_memory`) exceeds the memory
        available (:func:`modelcollapse._validation.available_memory`), naming the option that
        drives it and what would fit."""
        available = available_memory()
        if available is None:
            return
        needed = self._memory(self.replications, arms, workers)
        if needed <= available:
            return
        option, value, unit, floats = self._state_model()
        R = self.replications
        one = self._memory(1, arms, workers)
        if one <= available:
            most = largest_fitting(lambda r: self._memory(r, arms, workers), 1, R, available)
            assert most is not None  # one replication fits
            check_memory("replications", needed, R, _fits(most, "replications"))
        # Even one replication does not fit: name what sizes it.
        recorder_one = (
            8.0
            * _recorded_count(self.record_spec, self.generations, 1)
            * (floats(value)[2] + len(self.metric_names))
        )
        if option and recorder_one < 0.5 * one:
            if self.regime.pools and option in ("n0", "schedule", "n_real"):
                option, value, unit = "generations", self.generations, "generations"

                def need(v: int) -> float:
                    return self._memory(R, arms, workers, generations=v)

            else:

                def need(v: int) -> float:
                    return self._memory(R, arms, workers, value=v)

            most = largest_fitting(need, 1, value, available)
            fits = (
                _fits(most, unit)
                if most is not None
                else "even the smallest fits no better: use fewer replications or workers"
            )
            check_memory(option, needed, value, fits)
        most = largest_fitting(
            lambda t: self._memory(R, arms, workers, generations=t), 0, self.generations, available
        )
        fits = (
            _fits(most, "generations")
            if most is not None
            else "use record='auto' or record fewer generations"
        )
        check_memory("generations", needed, self.generations, fits)

    def _weights(self, weight: Any) -> tuple[WeightRule, np.ndarray]:
        return resolve_weights(weight, self.n0, self.n_fresh, self.n_synth)

    def _ranges(self, workers: int) -> list[tuple[int, int]]:
        """Contiguous replication ranges of whole blocks, one per worker (at most one per
        block)."""
        blocks = -(-self.replications // self.block)
        parts = max(1, min(workers, blocks))
        edges = [round(i * blocks / parts) * self.block for i in range(parts + 1)]
        edges[-1] = self.replications
        return [(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def run(
        self,
        weights: list[Any],
        workers: int = 1,
        progress: bool | Callable[[int, int], None] = False,
    ) -> list[SimulationResult]:
        """Run one arm per weight rule on common random numbers (see :func:`simulate_weights`),
        the replications split over ``workers`` processes, reporting to ``progress`` (see
        :func:`simulate`)."""
        workers = check_int("workers", workers, minimum=1)
        rules = [self._weights(w) for w in weights]
        self.check_run_memory(len(rules), workers)
        recorders = [self._recorder(self.replications) for _ in rules]
        ranges = self._ranges(workers)
        with _Ticker(progress, self.replications * (self.generations + 1)) as tick:
            if len(ranges) == 1:
                self._fill(rules, recorders, 0, self.replications, tick)
            else:
                self._fill_parallel(weights, recorders, ranges, tick)
        self._warn_failures(rules, recorders)
        return [
            self._result(rule, arm_weights, weight, recorder)
            for (rule, arm_weights), weight, recorder in zip(rules, weights, recorders, strict=True)
        ]

    def _fill_parallel(
        self,
        weights: list[Any],
        recorders: list[Recorder],
        ranges: list[tuple[int, int]],
        tick: _Ticker,
    ) -> None:
        """The ranges on one process each. With progress shown, each range is cut into up to
        four pieces of whole blocks so that the line moves as pieces finish (the result does
        not depend on the cut)."""
        import pickle
        from concurrent.futures import as_completed

        from ._parallel import clocked_call, pool
        from .random import add_draw_seconds

        try:
            pickle.dumps((self, weights))
        except Exception as err:
            raise fail(
                "workers",
                "more than one worker needs a picklable family, schedules and weight rules "
                f"(a lambda is not picklable: define the function at module level) [{err}]",
                len(ranges),
            ) from None
        pieces = self._ranges(4 * len(ranges)) if tick.active else ranges
        per_replication = self.generations + 1
        with pool(len(ranges)) as executor:
            futures = {
                executor.submit(clocked_call, _run_range, self, weights, a, b): (a, b)
                for a, b in pieces
            }
            for finished, future in enumerate(as_completed(futures), start=1):
                a, b = futures[future]
                result, seconds, _ = future.result()  # (the parent warns for the run)
                add_draw_seconds(seconds)
                for recorder, (flat, metrics, failures) in zip(recorders, result, strict=True):
                    if recorder.failures is not None:
                        recorder.failures += failures
                    if recorder.flat is not None:
                        recorder.flat[a:b] = flat
                    for name, values in metrics.items():
                        recorder.metrics[name][a:b] = values
                tick((b - a) * per_replication, f"{finished}/{len(pieces)} pieces")

    def _recorder(self, replications: int) -> Recorder:
        """A recorder for ``replications`` replications; it counts failed fits for a family
        whose fits can fail (it declares ``converged``)."""
        horizon = self.generations if self.caps.offers("converged") else None
        return Recorder(
            self.family, replications, self.record_at, self.metric_names, self.eps, horizon
        )

    def _failed(self, params: Any) -> np.ndarray | None:
        """Per replication, whether the fit ``params`` failed (None: fits cannot fail)."""
        if not self.caps.offers("converged"):
            return None
        family: Any = self.family  # an optional hook, not in the Family protocol
        return ~np.asarray(family.converged(params), dtype=np.bool_)

    def _warn_failures(
        self, rules: list[tuple[WeightRule, np.ndarray]], recorders: list[Recorder]
    ) -> None:
        """One :class:`~modelcollapse.FitFailureWarning` for the run when any fit failed:
        the family, the share of replications whose last fit failed, the first generation
        with a failed fit (per arm of a weight sweep)."""
        parts = []
        for (rule, _), recorder in zip(rules, recorders, strict=True):
            counts = recorder.failures
            if counts is None or not counts.any():
                continue
            first = int(np.argmax(counts > 0))
            share = counts[-1] / self.replications
            arm = f"weight {rule}: " if len(rules) > 1 else ""
            parts.append(
                f"{arm}{share:.1%} of the {self.replications:,} replications had no estimate at "
                f"the last generation (T={self.generations:,}), fits first failed at generation "
                f"{first:,}"
            )
        if parts:
            message = (
                f"fits of {self.family!r} failed: "
                + "; ".join(parts)
                + ". Failed fits are recorded as NaN parameters and fit_failed = 1."
            )
            warnings.warn(FitFailureWarning(message), stacklevel=4)

    def _streams(
        self, start: int, size: int, arms: int
    ) -> tuple[ReplicationRandom, list[ReplicationRandom], SharedNoise | None]:
        """The random streams of replications ``start .. start + size - 1``: stream 0 for the
        real data, drawn once for every arm; stream 1 for the synthetic data, one reader per
        arm, on noise drawn once and shared when there are several arms."""
        root, block = self.root, self.block
        real_rng = ReplicationRandom(root, start, size, stream=0, block_size=block)
        if arms == 1:
            return real_rng, [ReplicationRandom(root, start, size, 1, block_size=block)], None
        shared = SharedNoise(ReplicationRandom(root, start, size, 1, block_size=block))
        synth = [
            ReplicationRandom(root, start, size, 1, shared=shared, block_size=block)
            for _ in range(arms)
        ]
        return real_rng, synth, shared

    def _fill(
        self,
        rules: list[tuple[WeightRule, np.ndarray]],
        recorders: list[Recorder],
        first: int,
        stop: int,
        tick: _Ticker | None = None,
    ) -> None:
        """Replications ``first .. stop - 1`` into ``recorders`` (their row 0 is ``first``),
        chunk by chunk, telling ``tick`` after each generation of each chunk."""
        chunks = -(-(stop - first) // self.chunk)
        for start in range(first, stop, self.chunk):
            index = (start - first) // self.chunk + 1
            where = f"chunk {index}/{chunks}, " if chunks > 1 else ""
            size = min(self.chunk, stop - start)
            self._fill_chunk(rules, recorders, start, size, start - first, where, tick)

    def _fill_chunk(
        self,
        rules: list[tuple[WeightRule, np.ndarray]],
        recorders: list[Recorder],
        start: int,
        size: int,
        row: int,
        where: str,
        tick: _Ticker | None,
    ) -> None:
        """One chunk: :func:`~modelcollapse.generation.init` on the real data, then
        :func:`~modelcollapse.generation.step` per generation and arm, each state recorded."""
        stepper, regime, engine = self.stepper, self.regime, self.engine
        real_rng, synth_rngs, shared = self._streams(start, size, len(rules))
        truth = stepper.broadcast(self.family.truth(), size)
        first = init(stepper, stepper.draw(truth, self.n0, real_rng, engine), regime)
        states = [first for _ in rules]  # the generation-0 fit, made once for all arms
        failed0 = self._failed(first.params)
        for recorder in recorders:
            recorder.record(0, row, first.params)
            recorder.count_failures(0, failed0)
        if tick is not None:
            tick(size)
        n_synth, n_fresh, keep = self.n_synth.tolist(), self.n_fresh.tolist(), self.keep.tolist()
        weights = [arm_weights.tolist() for _, arm_weights in rules]
        for t in range(1, self.generations + 1):
            fresh = n_fresh[t - 1]
            real = stepper.draw(truth, fresh, real_rng, engine) if fresh else None
            if shared is not None:
                shared.new_round()
            for a, arm_weights in enumerate(weights):
                w = arm_weights[t - 1] if real is not None else None
                states[a], info = step(
                    stepper,
                    regime,
                    states[a],
                    synth_rngs[a],
                    n_synth[t - 1],
                    real,
                    w,
                    engine=engine,
                    keep=keep[t - 1],
                )
                recorders[a].record(t, row, states[a].params)
                recorders[a].count_failures(t, info.fit_failed)
            if tick is not None:
                tick(size, f"{where}generation {t:,}/{self.generations:,}")

    def _result(
        self, rule: WeightRule, weights: np.ndarray, weight: Any, recorder: Recorder
    ) -> SimulationResult:
        fresh = bool(np.any(self.n_fresh > 0))
        config = {
            "family": self.family.describe(),
            "n0": self.n0,
            "schedule": str(self.synth_schedule),
            "n_real": str(self.real_schedule),
            "weight": str(rule) if fresh else None,
            "regime": str(self.regime),
            "shrinkage": None if self.shrink_rule is None else str(self.shrink_rule),
            "engine": self.engine,
            "generations": self.generations,
            "replications": self.replications,
            "seed": {"entropy": self.root.entropy, "spawn_key": list(self.root.spawn_key)},
            "block_size": self.block,
            "eps": self.eps,
            "version": _package_version(),
        }
        if self.engine == "asymptotic":
            config["approximation"] = "asymptotic normal"
        call = {
            "family": self.family,
            "n0": self.n0,
            "schedule": self.synth_schedule,
            "generations": self.generations,
            "replications": self.replications,
            "seed": self.root,
            "engine": self.engine,
            "n_real": self.real_schedule,
            "weight": weight,
            "regime": self.regime,
            "shrinkage": self.shrink_rule,
            "record": self.record_spec,  # "auto", "all", "final" or the list given
            "metrics": self.metric_names,
            "eps": self.eps,
        }
        return SimulationResult(
            family=self.family,
            generations=self.record_at,
            flat_params=recorder.flat,
            metrics=recorder.metrics,
            eps=self.eps,
            n_real=np.concatenate([[self.n0], self.n_fresh]),
            n_synth=np.concatenate([[0], self.n_synth]),
            weights=np.concatenate([[1.0], weights]),
            config=config,
            call=call,
        )
