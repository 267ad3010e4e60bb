"""The public generation step: a recursion stepped by hand is ``simulate``, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.families import AsymptoticFamily
from modelcollapse.generation import GenerationState, StepInfo, init, step
from modelcollapse.random import ReplicationRandom

R = 300


def _by_hand(
    family,
    *,
    n0,
    n_synth,
    generations,
    seed,
    engine,
    regime="replace",
    fresh=0,
    weight=None,
    keep=1.0,
    stepper=None,
):
    """``generations`` steps with simulate's streams: real data from stream 0, synthetic data
    from stream 1 of the root seed."""
    stepper = family if stepper is None else stepper
    root = np.random.SeedSequence(seed)
    real_rng = ReplicationRandom(root, 0, R, stream=0)
    synth_rng = ReplicationRandom(root, 0, R, stream=1)
    truth = stepper.broadcast(family.truth(), R)
    state = init(stepper, stepper.draw(truth, n0, real_rng, engine), regime)
    states, infos = [state], []
    for _ in range(generations):
        real = stepper.draw(truth, fresh, real_rng, engine) if fresh else None
        state, info = step(
            stepper, regime, state, synth_rng, n_synth, real, weight, engine=engine, keep=keep
        )
        states.append(state)
        infos.append(info)
    return states, infos


def _flat(family, states):
    return np.stack([family.flatten(s.params) for s in states], axis=1)


@pytest.mark.parametrize(
    ("family", "engine", "options"),
    [
        (mc.Gaussian(mu=1.0, sigma2=2.0), "exact", {}),
        (mc.Gaussian(), "exact", {"fresh": 40, "weight": 0.618}),
        (mc.Gaussian(), "exact", {"regime": "accumulate"}),
        (mc.Gaussian(), "sample", {"keep": 0.9}),
        (mc.Categorical([0.5, 0.3, 0.2]), "exact", {"regime": "accumulate-subsample"}),
        (mc.Poisson(lam=2.0), "exact", {"fresh": 30, "weight": 0.25}),
        (mc.LogisticRegression(beta=[1.0, -0.5]), "sample", {"fresh": 50, "weight": 0.5}),
    ],
    ids=[
        "gaussian",
        "gaussian-fresh",
        "accumulate",
        "sample-shrink",
        "subsample",
        "poisson",
        "logistic",
    ],
)
def test_stepping_by_hand_is_simulate_bit_for_bit(family, engine, options):
    n0, n_synth, T, seed = 50, 40, 8, 11
    states, infos = _by_hand(
        family, n0=n0, n_synth=n_synth, generations=T, seed=seed, engine=engine, **options
    )
    kwargs = {}
    if options.get("fresh"):
        kwargs = {"n_real": options["fresh"], "weight": options["weight"]}
    if "keep" in options:
        kwargs["shrinkage"] = 1.0 - options["keep"]
    res = mc.simulate(
        family,
        n0=n0,
        schedule=n_synth,
        generations=T,
        replications=R,
        seed=seed,
        engine=engine,
        regime=options.get("regime", "replace"),
        record="all",
        **kwargs,
    )
    np.testing.assert_array_equal(_flat(family, states), res.flat_params)
    assert [s.generation for s in states] == list(range(T + 1))
    assert all(isinstance(s, GenerationState) for s in states)
    assert all(isinstance(i, StepInfo) and i.n_synth == n_synth for i in infos)
    if "converged" in mc.capabilities_of(family).hooks:
        failed = np.stack([i.fit_failed for i in infos], axis=1)
        np.testing.assert_array_equal(failed, res.values("fit_failed")[:, 1:] == 1.0)
    else:
        assert all(i.fit_failed is None for i in infos)


def test_the_asymptotic_engine_steps_its_wrapper():
    fam = mc.Poisson(lam=3.0)
    states, _ = _by_hand(
        fam,
        n0=30,
        n_synth=30,
        generations=6,
        seed=4,
        engine="asymptotic",
        stepper=AsymptoticFamily(fam),
    )
    res = mc.simulate(
        fam,
        n0=30,
        schedule=30,
        generations=6,
        replications=R,
        seed=4,
        engine="asymptotic",
        record="all",
    )
    np.testing.assert_array_equal(_flat(fam, states), res.flat_params)


def test_step_reports_its_training_set():
    fam = mc.Gaussian()
    (state, *_), _ = _by_hand(fam, n0=20, n_synth=10, generations=0, seed=1, engine="exact")
    real = fam.draw(
        fam.broadcast(fam.truth(), R),
        25,
        ReplicationRandom(np.random.SeedSequence(2), 0, R),
        "exact",
    )
    rng = ReplicationRandom(np.random.SeedSequence(3), 0, R, stream=1)
    new, info = step(fam, "replace", state, rng, 10, real, 0.3)
    assert new.generation == info.generation == 1
    assert info.weight == 0.3 and info.source_weights == (0.3, 0.7)
    assert info.sources[0] is real and info.sources[1].count == 10
    assert state.generation == 0  # the old state is unchanged


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((10, object()), {}, "^weight: is needed with fresh real data"),
        ((0,), {}, "^n_synth: "),
        ((10,), {"keep": 0.5}, "^keep: needs a family with a shrink hook"),
        ((10,), {"engine": "warp"}, "^engine: "),
    ],
)
def test_step_refuses_bad_arguments(args, kwargs, message):
    fam = mc.Poisson()
    state = init(
        fam,
        fam.draw(
            fam.broadcast(fam.truth(), 16),
            10,
            ReplicationRandom(np.random.SeedSequence(0), 0, 16),
            "exact",
        ),
    )
    rng = ReplicationRandom(np.random.SeedSequence(1), 0, 16, stream=1)
    with pytest.raises(mc.InvalidArgumentError, match=message):
        step(fam, "replace", state, rng, *args, **kwargs)
