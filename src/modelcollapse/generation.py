"""One generation of the recursion as a pure function: :func:`init` and :func:`step`.

The shape is BlackJAX's kernel: the state a recursion carries is an immutable record
(:class:`GenerationState`), what a generation saw and did goes in a separate record
(:class:`StepInfo`), and the random stream is an argument::

    state = init(family, real0, regime)                      # generation 0: fit the real data
    state, info = step(family, regime, state, rng, n_synth)  # generation t: draw, pool, fit

:func:`modelcollapse.simulate` is a small driver of these two functions: it cuts the
replications into chunks of whole random blocks, gives each chunk its random streams, calls
:func:`step` once per generation (once per arm and generation for
:func:`~modelcollapse.simulate_weights`, on shared noise) and hands each new state to the
recorder. A recursion stepped by hand with the same streams gives bit for bit what
``simulate`` gives. ``simulate`` draws real data (generation 0's ``n0`` points and any fresh
real data) from stream 0 and synthetic data from stream 1 of its root seed::

    import numpy as np
    import modelcollapse as mc
    from modelcollapse.generation import init, step
    from modelcollapse.random import ReplicationRandom

    fam, R, root = mc.Gaussian(), 1000, np.random.SeedSequence(7)
    real_rng = ReplicationRandom(root, 0, R, stream=0)
    synth_rng = ReplicationRandom(root, 0, R, stream=1)
    truth = fam.broadcast(fam.truth(), R)
    state = init(fam, fam.draw(truth, 100, real_rng, "exact"))
    for t in range(1, 11):
        state, info = step(fam, "replace", state, synth_rng, 100)
    # state.params equals generation 10 of
    # mc.simulate(fam, n0=100, schedule=100, generations=10, replications=R, seed=root)

The family passed is the one whose statistics are drawn and fitted: for the ``asymptotic``
engine that is :class:`~modelcollapse.families.AsymptoticFamily` around the model (its draws
are estimates), as ``simulate`` does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validation import check_int, check_real, fail
from .families.capabilities import capabilities_of
from .random import ReplicationRandom
from .regimes import Regime, make_regime

__all__ = ["GenerationState", "StepInfo", "init", "step"]


class GenerationState(NamedTuple):
    """What a recursion carries from one generation to the next.

    Attributes
    ----------
    generation : int
        The generation ``t`` whose fit ``params`` is (0 for the fit to the real data).
    params : parameter record
        The fitted parameters of every replication, replication axis first.
    regime_state : object
        What the regime carries between generations (None for ``replace``; the pooled
        statistics for ``accumulate``).
    """

    generation: int
    params: Any
    regime_state: Any = None


class StepInfo(NamedTuple):
    """What one generation saw and did; not carried forward.

    Attributes
    ----------
    generation : int
        The generation ``t`` fitted.
    n_synth : int
        Synthetic points drawn from the previous fit.
    weight : float or None
        The weight on the real data (None without fresh real data).
    sources : tuple
        The statistics of the training set's sources, as the regime formed them.
    source_weights : tuple of float
        Their weights in the fit (summing to one).
    fit_failed : numpy.ndarray or None
        Per replication, True where the fit failed (no estimate: a GLM on separable data), for
        a family that declares the ``converged`` hook; None for the others, whose fits always
        exist.
    """

    generation: int
    n_synth: int
    weight: float | None
    sources: tuple[Any, ...]
    source_weights: tuple[float, ...]
    fit_failed: np.ndarray | None


def init(family: Any, real0: Any, regime: Regime | str = "replace") -> GenerationState:
    """Generation 0: the fit to the real statistics ``real0`` and the regime's starting state.

    Parameters
    ----------
    family : Family
        The family whose statistics ``real0`` are (see the module docstring).
    real0 : statistics
        The statistics of the generation-0 real data, one set per replication (e.g.
        ``family.draw(truth, n0, rng, engine)`` or ``family.statistics(data)``).
    regime : Regime or str
        How each generation's training set is formed (:func:`modelcollapse.make_regime`).

    Returns
    -------
    GenerationState
    """
    regime = make_regime(regime)
    return GenerationState(0, family.fit([real0], [1.0]), regime.start(family, real0))


def step(
    family: Any,
    regime: Regime | str,
    state: GenerationState,
    rng: ReplicationRandom,
    n_synth: int,
    real: Any | None = None,
    weight: float | None = None,
    *,
    engine: str | None = None,
    keep: float = 1.0,
) -> tuple[GenerationState, StepInfo]:
    """Generation ``t = state.generation + 1``: draw ``n_synth`` synthetic points from the
    previous fit, form the training set with ``real`` and fit it.

    Parameters
    ----------
    family : Family
        The family (see the module docstring).
    regime : Regime or str
        How the training set is formed (:func:`modelcollapse.make_regime`).
    state : GenerationState
        Generation ``t - 1``.
    rng : ReplicationRandom
        The stream the synthetic points are drawn from (and a subsampling regime's subsets).
    n_synth : int
        Synthetic points per replication.
    real : statistics, optional
        Fresh real statistics of this generation, drawn by the caller from the truth (real data
        depend on no fit: :func:`modelcollapse.simulate_weights` draws them once for all arms);
        None for a fully synthetic generation.
    weight : float, optional
        The weight ``w`` on the real data (each real point weighs ``w / n_real``, each
        synthetic one ``(1 - w) / n_synth``); required with ``real``.
    engine : str, optional
        The engine of the draw; default the family's first.
    keep : float
        The fit is shrunk by this factor (``1 - delta_t``, the family's ``shrink`` hook); 1
        leaves it as it is.

    Returns
    -------
    (GenerationState, StepInfo)
        Generation ``t``, and what it drew and fitted.
    """
    if not isinstance(regime, Regime):
        regime = make_regime(regime)
    caps = capabilities_of(family)
    if type(n_synth) is not int or n_synth < 1:  # (the engine's sizes are checked ints)
        n_synth = check_int("n_synth", n_synth, minimum=1)
    if real is not None and weight is None:
        raise fail("weight", "is needed with fresh real data", None)
    w = None if real is None else check_real("weight", weight, lower=0.0, upper=1.0)
    synth = family.draw(state.params, n_synth, rng, caps.engines[0] if engine is None else engine)
    sources, source_weights, regime_state = regime.training_set(
        family, state.regime_state, real, synth, 1.0 if w is None else w, rng
    )
    fitted = family.fit(sources, source_weights)
    if keep != 1.0:
        if not caps.shrink:
            raise fail("keep", f"needs a family with a shrink hook, not {family.name}", keep)
        fitted = family.shrink(fitted, keep)
    failed = None
    if caps.offers("converged"):
        failed = ~np.asarray(family.converged(fitted), dtype=bool)
    info = StepInfo(
        generation=state.generation + 1,
        n_synth=n_synth,
        weight=w,
        sources=tuple(sources),
        source_weights=tuple(source_weights),
        fit_failed=failed,
    )
    return GenerationState(state.generation + 1, fitted, regime_state), info
