"""The accumulate, accumulate-subsample and anchor regimes: bookkeeping and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.families._common import hypergeometric_counts, random_subset
from modelcollapse.random import ReplicationRandom
from modelcollapse.regimes import Accumulate, AccumulateSubsample, Anchor, make_regime


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
    sub = make_regime("accumulate-subsample:size=40")
    assert isinstance(sub, AccumulateSubsample) and sub.size == 40
    assert str(sub) == "accumulate-subsample:size=40" and str(anchor) == "anchor:alpha=0.3"
    assert make_regime("accumulate-subsample").size is None
    for bad in (
        "anchor:alpha=1.5",
        "anchor:alpha=0",
        "anchor:beta=0.3",
        "anchor:alpha=x",
        "mix",
        "accumulate:size=3",
        "accumulate-subsample:size=0",
        "accumulate-subsample:size=2.5",
        3,
    ):
        with pytest.raises(mc.InvalidArgumentError, match="alpha|regime|size"):
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


def test_accumulate_subsample_trains_on_n0_points_of_the_growing_pool():
    fam, seen = _spied_gaussian()
    res = mc.simulate(
        fam,
        n0=10,
        schedule=5,
        generations=3,
        replications=4,
        seed=0,
        engine="sample",
        regime="accumulate-subsample",
    )
    assert seen[1:] == [([10], [1.0])] * 3
    assert res.config["regime"] == "accumulate-subsample"
    seen.clear()
    mc.simulate(
        fam,
        n0=10,
        schedule=5,
        generations=2,
        replications=4,
        seed=0,
        engine="sample",
        regime="accumulate-subsample:size=18",
    )
    assert seen[1:] == [([15], [1.0]), ([18], [1.0])]  # the whole pool until it outgrows 18
    with pytest.raises(mc.InvalidArgumentError, match="engine='sample'"):
        mc.simulate(mc.Gaussian(), n0=10, schedule=5, generations=2, regime="accumulate-subsample")
    with pytest.raises(mc.InvalidArgumentError, match="engine='sample'"):
        mc.simulate(
            mc.Gaussian(),
            n0=10,
            schedule=5,
            generations=2,
            engine="asymptotic",
            regime="accumulate-subsample",
        )


def test_random_subset_and_hypergeometric_counts():
    rng = ReplicationRandom(np.random.SeedSequence(4), 0, 20_000)
    index = random_subset(rng, 7, 3)
    assert index.shape == (20_000, 3)
    assert np.all(np.sort(index, axis=1)[:, 1:] > np.sort(index, axis=1)[:, :-1])  # distinct
    share = np.bincount(index.ravel(), minlength=7) / index.shape[0]
    assert np.all(np.abs(share - 3 / 7) <= 4 * np.sqrt(3 / 7 * 4 / 7 / 20_000))
    counts = np.tile([5.0, 0.0, 3.0, 12.0], (20_000, 1))
    sub = hypergeometric_counts(rng, counts, 6)
    assert np.all(sub.sum(axis=1) == 6) and np.all(sub <= counts)
    q = counts[0] / 20
    mean, var = 6 * q, 6 * q * (1 - q) * (20 - 6) / (20 - 1)
    se = np.sqrt(var / 20_000) + 1e-12
    assert np.all(np.abs(sub.mean(axis=0) - mean) <= 4 * se)
    with pytest.raises(mc.InvalidArgumentError, match="m"):
        random_subset(rng, 5, 6)


def _direct_accumulate_subsample(p, n, generations, replications, seed):
    """Categorical accumulate-subsample written out point by point: the pool of category codes,
    a training set of ``n`` codes drawn without replacement, ``n`` synthetic codes from its
    frequencies."""
    rng = np.random.default_rng(seed)
    k = len(p)
    pool = rng.choice(k, size=(replications, n), p=p)
    train = pool
    for _ in range(generations):
        freq = np.stack([(train == j).mean(axis=1) for j in range(k)], axis=1)
        u = rng.random((replications, n, 1))
        synth = (u >= np.cumsum(freq, axis=1)[:, None, :-1]).sum(axis=2)
        pool = np.concatenate([pool, synth], axis=1)
        keys = rng.random(pool.shape)
        train = np.take_along_axis(pool, np.argsort(keys, axis=1)[:, :n], axis=1)
    return np.stack([(train == j).mean(axis=1) for j in range(k)], axis=1)


def test_accumulate_subsample_matches_a_direct_simulation():
    """The exact engine (hypergeometric counts) and the sample engine's kept points (Gaussian)
    against the recursion written out on the points."""
    p, n, generations, reps = [0.6, 0.3, 0.1], 12, 5, 20_000
    res = mc.simulate(
        mc.Categorical(p),
        n0=n,
        schedule=n,
        generations=generations,
        replications=reps,
        seed=5,
        regime="accumulate-subsample",
        record=[generations],
    )
    ours = (res.params.p[:, -1] ** 2).sum(axis=1)
    direct = (_direct_accumulate_subsample(p, n, generations, reps, 6) ** 2).sum(axis=1)
    se = np.hypot(ours.std(ddof=1), direct.std(ddof=1)) / np.sqrt(reps)
    assert abs(ours.mean() - direct.mean()) <= 4 * se
    # Gaussian: E sigma2_T against the points written out (MLE variance, unit truth).
    g = mc.simulate(
        mc.Gaussian(variance="mle"),
        n0=n,
        schedule=n,
        generations=generations,
        replications=reps,
        seed=7,
        engine="sample",
        regime="accumulate-subsample",
        metrics=["sigma2"],
        record=[generations],
    ).values("sigma2")[:, -1]
    rng = np.random.default_rng(8)
    pool = rng.standard_normal((reps, n))
    train = pool
    for _ in range(generations):
        mu, sd = train.mean(axis=1, keepdims=True), train.std(axis=1, keepdims=True)
        pool = np.concatenate([pool, mu + sd * rng.standard_normal((reps, n))], axis=1)
        train = np.take_along_axis(pool, np.argsort(rng.random(pool.shape), axis=1)[:, :n], 1)
    direct_g = train.var(axis=1)
    se = np.hypot(g.std(ddof=1), direct_g.std(ddof=1)) / np.sqrt(reps)
    assert abs(g.mean() - direct_g.mean()) <= 4 * se


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
    logistic = mc.LogisticRegression(beta=[0.5, -0.5])
    for fam, regime in (
        (logistic, "accumulate"),
        (logistic, "anchor:alpha=0.5"),
        (logistic, "accumulate-subsample"),
        (mc.EmpiricalCDF(), "accumulate-subsample"),
        (mc.PoissonRegression(beta=[0.2, 0.1]), "accumulate-subsample:size=30"),
    ):
        res = mc.simulate(
            fam,
            n0=50,
            schedule=50,
            generations=3,
            replications=8,
            seed=0,
            regime=regime,
            engine="sample",
        )
        assert res.values(res.metric_names[0]).shape == (8, 4)


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
    regime=st.sampled_from(
        ["replace", "accumulate", "anchor:alpha=0.25", "accumulate-subsample:size=15"]
    ),
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
        engine="sample" if "subsample" in regime else "exact",
    )
    assert len(seen) == generations + 1 and seen[0] == ([n0], [1.0])
    for t, (counts, weights) in enumerate(seen[1:], start=1):
        assert sum(weights) == pytest.approx(1.0)
        if regime == "accumulate":
            assert counts == [n0 + t * (m + fresh)]
        elif regime.startswith("accumulate-subsample"):
            assert counts == [min(15, n0 + t * (m + fresh))]
        elif regime == "anchor:alpha=0.25":
            assert counts == [n0, m] and weights == [0.25, 0.75]
        else:
            assert counts == ([fresh, m] if fresh else [m])


@pytest.mark.parametrize(
    ("alpha", "n_anchor", "m", "variance", "combine"),
    [
        (0.5, 5, 5, "mle", "pooled"),
        (0.2, 4, 16, "mle", "pooled"),
        (0.3, 7, 12, "unbiased", "pooled"),
        (0.3, 7, 12, "mle", "convex"),
    ],
)
def test_anchor_moments_match_simulation(alpha, n_anchor, m, variance, combine):
    """E Sigma_t and E(mu_t - mu)^2 of the anchor regime against the exact recursion."""
    generations, reps = 12, 40_000
    res = mc.simulate(
        mc.Gaussian(variance=variance, combine=combine),
        n0=n_anchor,
        schedule=m,
        generations=generations,
        replications=reps,
        seed=9,
        regime=f"anchor:alpha={alpha}",
        metrics=["sigma2", "mean_error"],
        record="all",
    )
    law = theory.anchor_moments(alpha, n_anchor, m, generations, variance=variance, combine=combine)
    for name, expected in (("sigma2", law.sigma2), ("mean_error", law.mean_error)):
        v = res.values(name)
        se = v.std(axis=0, ddof=1) / np.sqrt(reps)
        assert np.all(np.abs(v.mean(axis=0) - expected) <= 4.5 * se), name
    limit = theory.anchor_limit(alpha, n_anchor, m, variance=variance, combine=combine)
    far = theory.anchor_moments(alpha, n_anchor, m, 2000, variance=variance, combine=combine)
    assert far.sigma2[-1] == pytest.approx(limit.sigma2, rel=1e-9)
    assert far.mean_error[-1] == pytest.approx(limit.mean_error, rel=1e-9)


def test_anchor_limit_closed_forms_and_the_fresh_sample_convention():
    """The data-level closed forms with D = 1 - alpha + alpha n (2 - alpha); the quoted
    (1 - 1/D) sigma^2 and sigma^2/D belong to a fresh real sample each generation."""
    for alpha, n in ((0.5, 10), (0.2, 20), (0.8, 5)):
        d = 1 - alpha + alpha * n * (2 - alpha)
        n_a, m = round(alpha * n), round((1 - alpha) * n)
        cond = theory.anchor_limit(alpha, n_a, m, anchor_variance=2.0)
        assert cond.sigma2 == pytest.approx(2.0 * (1 - (1 - alpha) / d))
        assert cond.mean_error == pytest.approx((1 - alpha) * 2.0 / d)
        assert cond.sigma2 + cond.mean_error == pytest.approx(2.0)  # S_t + Q_t = s^2
        lim = theory.anchor_limit(alpha, n_a, m, sigma2=3.0)
        assert lim.sigma2 == pytest.approx(3.0 * (alpha * n - 1) * (2 - alpha) / d)
        assert lim.mean_error == pytest.approx(3.0 * (3 - 2 * alpha) / d)
    alpha, n, reps = 0.5, 10, 40_000
    d = 1 - alpha + alpha * n * (2 - alpha)
    res = mc.simulate(
        mc.Gaussian(variance="mle", combine="pooled"),
        n0=5,
        schedule=5,
        n_real=5,
        weight=alpha,
        generations=30,
        replications=reps,
        seed=10,
        metrics=["sigma2", "mean_error"],
        record=[30],
    )
    for name, expected in (("sigma2", 1 - 1 / d), ("mean_error", 1 / d)):
        v = res.values(name)[:, -1]
        assert abs(v.mean() - expected) <= 4 * v.std(ddof=1) / np.sqrt(reps), name
    with pytest.raises(mc.InvalidArgumentError, match="alpha"):
        theory.anchor_limit(0.0, 5, 5)
    with pytest.raises(mc.InvalidArgumentError, match="combine"):
        theory.anchor_moments(0.5, 5, 5, 3, combine="mix")


@pytest.mark.parametrize(("variance", "schedule"), [("mle", 8), ("unbiased", "power:n0=6,s=0.5")])
def test_accumulate_gaussian_moments_match_simulation(variance, schedule):
    generations, reps = 10, 40_000
    res = mc.simulate(
        mc.Gaussian(variance=variance),
        n0=8,
        schedule=schedule,
        generations=generations,
        replications=reps,
        seed=11,
        regime="accumulate",
        metrics=["sigma2", "mean_error"],
        record="all",
    )
    law = theory.accumulate_gaussian_moments(8, res.n_synth[1:], variance=variance)
    for name, expected in (("sigma2", law.sigma2), ("mean_error", law.mean_error)):
        v = res.values(name)
        se = v.std(axis=0, ddof=1) / np.sqrt(reps)
        assert np.all(np.abs(v.mean(axis=0) - expected) <= 4.5 * se), name
    # Bounded at a constant size: below (pi^2/6)-times the generation-0 error plus a margin.
    long = theory.accumulate_gaussian_moments(8, [8] * 5000)
    assert long.mean_error[-1] < np.pi**2 / 6 * 1.0 / 8 * 1.1
    with pytest.raises(mc.InvalidArgumentError, match="n_synth"):
        theory.accumulate_gaussian_moments(8, [4, 0])


def test_accumulate_variance_ratio_tends_to_pi2_over_6_poisson_exact():
    """Dey & Donoho's ratio: Var lam_t / Var lam_0 under accumulate, exact for the Poisson."""
    ratio = theory.accumulate_variance_ratio(20, [20] * 12)
    i = np.arange(1, 14)
    assert np.allclose(ratio, np.cumsum(1.0 / i**2))
    assert theory.accumulate_variance_ratio(5, [5] * 100_000)[-1] == pytest.approx(
        np.pi**2 / 6, rel=1e-4
    )
    reps, lam = 200_000, 3.0
    res = mc.simulate(
        mc.Poisson(lam),
        n0=20,
        schedule="power:n0=20,s=0.3",
        generations=12,
        replications=reps,
        seed=12,
        regime="accumulate",
        metrics=["mean_error"],
        record="all",
    )
    err = res.values("mean_error")  # (lam_t - lam)^2, so its mean is Var lam_t
    expected = lam / 20 * theory.accumulate_variance_ratio(20, res.n_synth[1:])
    se = err.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(err.mean(axis=0) - expected) <= 4.5 * se)
