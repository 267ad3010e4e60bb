"""The batched recursion: every replication of a run advances together, one generation at a time.

A generation is *draw, pool, fit*::

    schedules/regime -> n_real(t), n_synth(t), w(t)          (decided once, before the loop)
    family.draw      -> synthetic statistics from the previous fit, fresh real statistics
    regime           -> which sources the fit uses, with which weights
    family.fit       -> the new parameters of every replication at once
    recorder         -> parameters at the generations asked for

Replications are processed in chunks of whole random blocks (:mod:`modelcollapse.random`), so
the result for a given seed does not depend on the chunk size. Metrics are computed once, at the
end, from the recorded parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from ._validation import InvalidArgumentError, check_choice, check_int, check_real, fail
from .families.asymptotic import AsymptoticFamily
from .families.base import Family
from .metrics import available_metrics
from .random import BLOCK_SIZE, ReplicationRandom, as_seed_sequence
from .regimes import Regime, make_regime
from .results import Recorder, SimulationResult
from .schedules import (
    Proportional,
    Schedule,
    Shrinkage,
    WeightRule,
    parse_schedule,
    parse_shrinkage,
    parse_weight,
)

__all__ = ["ENGINES", "simulate"]

#: Engine names: draw statistics exactly, draw data and reduce it, or draw the estimate from its
#: asymptotic normal law (an approximation, see :mod:`modelcollapse.families.asymptotic`).
ENGINES = ("exact", "sample", "asymptotic")

#: ``record="auto"`` keeps every generation while ``replications * (generations + 1)`` is at most
#: this; beyond it, about 100 evenly spaced generations (always including 0 and T).
_AUTO_RECORD_ALL = 2_000_000
#: Replications per chunk for the exact engine (memory is O(chunk), not O(n)).
_EXACT_CHUNK = 64 * BLOCK_SIZE
#: Upper bound on random draws held at once by the sample engine.
_SAMPLE_DRAWS = 2**23


def _package_version() -> str:
    try:
        return version("modelcollapse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _record_generations(record: Any, generations: int, replications: int) -> np.ndarray:
    if isinstance(record, str):
        choice = check_choice("record", record, ("auto", "all", "final"))
        if choice == "final":
            return np.array([generations])
        if choice == "all" or replications * (generations + 1) <= _AUTO_RECORD_ALL:
            return np.arange(generations + 1)
        return np.unique(np.linspace(0, generations, 101).round().astype(int))
    try:
        gens = np.unique(np.asarray(list(record), dtype=float))
    except (TypeError, ValueError):
        raise fail(
            "record", "must be 'auto', 'all', 'final' or a list of generations", record
        ) from None
    if gens.size == 0 or np.any(gens != np.round(gens)) or gens[0] < 0 or gens[-1] > generations:
        raise fail("record", f"generations must be integers in [0, {generations}]", record)
    return gens.astype(int)


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


def simulate(
    family: Family,
    *,
    n0: int,
    schedule: Schedule | str | int,
    generations: int,
    replications: int = 1000,
    seed: int | np.random.SeedSequence | None = None,
    engine: str | None = None,
    n_real: Schedule | str | int = 0,
    weight: WeightRule | float | str | None = None,
    regime: str | Regime = "replace",
    shrinkage: Shrinkage | float | str | None = None,
    record: str | Sequence[int] = "auto",
    metrics: Sequence[str] | None = None,
    eps: float = 0.05,
    chunk_size: int | None = None,
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
    seed : int, SeedSequence or None
        Root seed. The same seed gives the same result whatever ``chunk_size``.
    engine : {"exact", "sample", "asymptotic"}, optional
        Default: the family's first engine (``"exact"`` wherever the family has one).
        ``"exact"`` draws the sufficient statistics from their sampling distribution (cost
        independent of the sample size); ``"sample"`` draws the data and reduces it;
        ``"asymptotic"`` draws each estimate from ``N(theta, V(theta)/n)`` (an approximation for
        large ``n``, recorded as ``config["approximation"]``). A family lists the engines it
        supports in ``family.engines``.
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
        and about 100 evenly spaced ones otherwise. Memory is ``R x len(record)``.
    metrics : sequence of str, optional
        Metric names (see :mod:`modelcollapse.metrics`); default: all the family supports.
    eps : float
        Collapse threshold for the ``collapsed`` metric: ``sigma2 <= eps``.
    chunk_size : int, optional
        Replications held in memory at once (rounded up to whole blocks of
        :data:`~modelcollapse.random.BLOCK_SIZE`). Affects memory and speed, never results.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import modelcollapse as mc
    >>> res = mc.simulate(mc.Gaussian(), n0=100, schedule="constant:n=100", generations=50,
    ...                   replications=2000, seed=1)
    >>> float(res.values("sigma2")[:, -1].mean().round(1))
    1.0
    """
    if not isinstance(family, Family):
        raise fail("family", "must implement the modelcollapse Family protocol", family)
    engine = check_choice("engine", family.engines[0] if engine is None else engine, family.engines)
    n0 = check_int("n0", n0, minimum=family.min_sample_size)
    generations = check_int("generations", generations, minimum=0)
    replications = check_int("replications", replications, minimum=1)
    eps = check_real("eps", eps, lower=0.0)
    regime_obj = make_regime(regime)
    root = as_seed_sequence(seed)

    synth_schedule = parse_schedule(schedule, "schedule")
    real_schedule = parse_schedule(n_real, "n_real")
    n_synth = synth_schedule.sizes(generations)
    n_fresh = real_schedule.sizes(generations)
    _check_sizes("schedule", synth_schedule, n_synth, family.min_sample_size, allow_zero=False)
    _check_sizes("n_real", real_schedule, n_fresh, family.min_sample_size, allow_zero=True)
    if weight is not None and not np.any(n_fresh > 0):
        raise fail("weight", "applies only with fresh real data (n_real > 0)", weight)
    rule = parse_weight(weight if weight is not None else Proportional(), "weight")
    if hasattr(rule, "bind"):  # rules that depend on the run, such as the greedy weight
        rule = rule.bind(n0)
    weights = np.where(n_fresh > 0, rule.weights(n_fresh, n_synth), 0.0)

    shrink_rule = None if shrinkage is None else parse_shrinkage(shrinkage, "shrinkage")
    if shrink_rule is not None and not hasattr(family, "shrink"):
        raise fail(
            "shrinkage", f"needs a family with a shrink hook, not {family.name}", str(shrink_rule)
        )
    keep = np.ones(generations) if shrink_rule is None else 1.0 - shrink_rule.deltas(generations)

    record_at = _record_generations(record, generations, replications)
    metric_names = available_metrics(family) if metrics is None else tuple(metrics)
    unknown = [m for m in metric_names if m not in available_metrics(family)]
    if unknown:
        raise fail("metrics", f"must be among {', '.join(available_metrics(family))}", unknown[0])

    # The asymptotic engine runs the family wrapped so that a draw is an estimate.
    stepper = AsymptoticFamily(family) if engine == "asymptotic" else family
    if chunk_size is None:
        if engine in ("exact", "asymptotic"):
            chunk = _EXACT_CHUNK
        else:
            largest = int(max(n0, n_synth.max(initial=0), n_fresh.max(initial=0)))
            chunk = _SAMPLE_DRAWS // max(1, min(largest, 2**22 // BLOCK_SIZE))
    else:
        chunk = check_int("chunk_size", chunk_size, minimum=1)
    chunk = max(BLOCK_SIZE, -(-chunk // BLOCK_SIZE) * BLOCK_SIZE)

    recorder = Recorder(family, replications, record_at, metric_names, eps)
    truth = family.truth()
    for start in range(0, replications, chunk):
        size = min(chunk, replications - start)
        rng = ReplicationRandom(root, start, size)
        truth_c = stepper.broadcast(truth, size)
        real0 = stepper.draw(truth_c, n0, rng, engine)
        state = regime_obj.start(stepper, real0)
        params = stepper.fit([real0], [1.0])
        recorder.record(0, start, params)
        for t in range(1, generations + 1):
            synth = stepper.draw(params, n_synth[t - 1], rng, engine)
            real = stepper.draw(truth_c, n_fresh[t - 1], rng, engine) if n_fresh[t - 1] else None
            sources, source_weights, state = regime_obj.training_set(
                stepper, state, real, synth, float(weights[t - 1])
            )
            params = stepper.fit(sources, source_weights)
            if keep[t - 1] != 1.0:
                params = family.shrink(params, keep[t - 1])
            recorder.record(t, start, params)

    config = {
        "family": family.describe(),
        "n0": n0,
        "schedule": str(synth_schedule),
        "n_real": str(real_schedule),
        "weight": str(rule) if np.any(n_fresh > 0) else None,
        "regime": regime_obj.name,
        "shrinkage": None if shrink_rule is None else str(shrink_rule),
        "engine": engine,
        "generations": generations,
        "replications": replications,
        "seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        "block_size": BLOCK_SIZE,
        "eps": eps,
        "version": _package_version(),
    }
    if engine == "asymptotic":
        config["approximation"] = "asymptotic normal"
    call = {
        "family": family,
        "n0": n0,
        "schedule": synth_schedule,
        "generations": generations,
        "replications": replications,
        "seed": root,
        "engine": engine,
        "n_real": real_schedule,
        "weight": weight,
        "regime": regime_obj,
        "shrinkage": shrink_rule,
        "record": record_at.tolist(),
        "metrics": metric_names,
        "eps": eps,
    }
    return SimulationResult(
        family=family,
        generations=record_at,
        flat_params=recorder.flat,
        metrics=recorder.metrics,
        eps=eps,
        n_real=np.concatenate([[n0], n_fresh]),
        n_synth=np.concatenate([[0], n_synth]),
        weights=np.concatenate([[1.0], weights]),
        config=config,
        call=call,
    )
