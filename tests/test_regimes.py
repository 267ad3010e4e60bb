"""The accumulate and anchor regimes: bookkeeping and the accumulate closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.regimes import Accumulate, Anchor, make_regime


def _spied_gaussian():
    """A Gaussian family that records, per fit, its sources' counts and weights."""
    fam = mc.Gaussian()
    seen = []
    original = fam.fit

    def spy(sources, weights):
        seen.append(([s.count for s in sources], list(weights)))
        return original(sources, weights)

    fam.fit = spy
    return fam, seen


def test_make_regime_names_and_options():
    assert isinstance(make_regime("accumulate"), Accumulate)
    anchor = make_regime("anchor:alpha=0.3")
    assert isinstance(anchor, Anchor) and anchor.alpha == 0.3
    assert make_regime("anchor").alpha == 0.5
    for bad in ("anchor:alpha=1.5", "anchor:alpha=0", "anchor:beta=0.3", "anchor:alpha=x", "mix"):
        with pytest.raises(mc.InvalidArgumentError, match="alpha|regime"):
            make_regime(bad)


def test_accumulate_pools_every_generation_and_anchor_reuses_generation_zero():
    fam, seen = _spied_gaussian()
    mc.simulate(fam, n0=10, schedule=5, generations=3, replications=4, seed=0, regime="accumulate")
    assert seen[1:] == [([15], [1.0]), ([20], [1.0]), ([25], [1.0])]
    seen.clear()
    mc.simulate(
        fam, n0=10, schedule=5, generations=2, replications=4, seed=0, regime="anchor:alpha=0.3"
    )
    assert seen[1:] == [([10, 5], [0.3, 0.7]), ([10, 5], [0.3, 0.7])]
    with pytest.raises(mc.InvalidArgumentError, match="anchor"):
        mc.simulate(
            mc.Gaussian(),
            n0=10,
            schedule=5,
            n_real=5,
            generations=2,
            replications=4,
            seed=0,
            regime="anchor",
        )


def test_accumulate_bounds_the_fixed_design_error_replace_grows():
    """c sum 1/i^2 (accumulate) against c (t + 1) (replace), c = sigma2 tr((X'X)^-1)."""
    fam = mc.LinearRegressionFixed(beta=[1.0, -0.5, 0.25], n=30, sigma2=1.5, seed=1)
    c = 1.5 * np.trace(fam.gram_inverse)
    for regime, law in (("accumulate", theory.accumulate_error), ("replace", theory.replace_error)):
        res = mc.simulate(
            fam,
            n0=30,
            schedule=30,
            generations=8,
            replications=20_000,
            seed=2,
            regime=regime,
            metrics=["param_error"],
            record="all",
        )
        err = res.values("param_error")
        se = err.std(axis=0, ddof=1) / np.sqrt(err.shape[0])
        assert np.all(np.abs(err.mean(axis=0) - law(c, 8)) <= 4 * se), regime
    assert theory.accumulate_error(c, 10_000)[-1] < np.pi**2 / 6 * c


def test_regimes_run_on_the_sample_engine_families():
    """Every regime runs for a data family (pool concatenates the data)."""
    fam = mc.LogisticRegression(beta=[0.5, -0.5])
    for regime in ("accumulate", "anchor:alpha=0.5"):
        res = mc.simulate(
            fam,
            n0=50,
            schedule=50,
            generations=3,
            replications=8,
            seed=0,
            regime=regime,
            engine="sample",
            metrics=["param_error"],
        )
        assert res.values("param_error").shape == (8, 4)


@pytest.mark.parametrize(("n", "eps"), [(5, 0.3), (10, 0.5), (30, 0.8)])
def test_collapse_bounds_sit_above_the_exact_probability_and_simulation(n, eps):
    generations = 60
    k = np.arange(1, generations + 1)
    exact = 1.0 - theory.collapse_probability(
        n, [n] * (generations - 1), eps=eps**2, variance="unbiased", generations=k - 1
    )
    suresh = theory.suresh_bound(n, k, 1.0, eps)
    markov = theory.markov_sigma_bound(n, k, 1.0, eps)
    assert np.all(exact <= suresh + 1e-9) and np.all(exact <= markov + 1e-9)
    assert suresh[-1] < 1.0 and markov[-1] < 1.0  # the bounds say something at k = 60
    res = mc.simulate(
        mc.Gaussian(variance="unbiased"),
        n0=n,
        schedule=n,
        generations=generations - 1,
        replications=20_000,
        seed=3,
        metrics=["sigma2"],
        record="all",
    )
    above = (res.values("sigma2") > eps**2).mean(axis=0)
    se = np.sqrt(exact * (1 - exact) / 20_000) + 1e-12
    assert np.all(np.abs(above - exact) <= 4.5 * se)


def test_bound_arguments_are_checked():
    with pytest.raises(mc.InvalidArgumentError, match="k"):
        theory.suresh_bound(10, -1)
    with pytest.raises(mc.InvalidArgumentError, match="eps"):
        theory.markov_sigma_bound(10, 3, eps=0.0)


@settings(max_examples=40, deadline=None)
@given(
    n0=st.integers(2, 40),
    m=st.integers(2, 40),
    fresh=st.sampled_from([0, *range(2, 21)]),
    generations=st.integers(0, 6),
    regime=st.sampled_from(["replace", "accumulate", "anchor:alpha=0.25"]),
)
def test_regime_bookkeeping(n0, m, fresh, generations, regime):
    """Weights sum to one; accumulate's pooled count is everything drawn so far; anchor
    always uses the generation-0 data."""
    if regime.startswith("anchor") and fresh:
        fresh = 0
    fam, seen = _spied_gaussian()
    mc.simulate(
        fam,
        n0=n0,
        schedule=m,
        n_real=fresh,
        generations=generations,
        replications=2,
        seed=0,
        regime=regime,
    )
    assert len(seen) == generations + 1 and seen[0] == ([n0], [1.0])
    for t, (counts, weights) in enumerate(seen[1:], start=1):
        assert sum(weights) == pytest.approx(1.0)
        if regime == "accumulate":
            assert counts == [n0 + t * (m + fresh)]
        elif regime == "anchor:alpha=0.25":
            assert counts == [n0, m] and weights == [0.25, 0.75]
        else:
            assert counts == ([fresh, m] if fresh else [m])
