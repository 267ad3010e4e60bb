"""Gamma family: the batched shape solver, the weighted MLE, the recursion, collapse, bad input."""

import numpy as np
import pytest
from _stats import z_within
from scipy import optimize, special, stats

import modelcollapse as mc
from modelcollapse.families.gamma import (
    MAX_SHAPE,
    GammaParams,
    a_trigamma_minus_one,
    log_minus_digamma,
    solve_shape,
)
from modelcollapse.metrics import compute_metrics
from modelcollapse.random import ReplicationRandom

SHAPE, RATE = 2.5, 1.5


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


def test_shape_solver_over_the_whole_range():
    s = np.logspace(-10, np.log10(800.0), 400).reshape(20, 20)
    a = solve_shape(s)
    assert a.shape == s.shape
    np.testing.assert_allclose(log_minus_digamma(a), s, rtol=1e-12)
    # Against a scalar root finder on the direct formula (where it has no cancellation).
    for value in (1e-3, 0.07628284244627698, 0.5, 3.0, 50.0):

        def f(x, value=value):
            return np.log(x) - special.digamma(x) - value

        root = optimize.brentq(f, 1e-8, 1e6, xtol=1e-300, rtol=1e-15)
        np.testing.assert_allclose(solve_shape(value), root, rtol=1e-12)


def test_shape_solver_caps_degenerate_input():
    a = solve_shape(np.array([0.0, -1e-17, 1e-300, 0.4 / MAX_SHAPE, np.nan, 0.6 / MAX_SHAPE]))
    assert np.all(a[:5] == MAX_SHAPE)
    assert a[5] < MAX_SHAPE


def test_series_and_direct_forms_agree():
    a = np.array([19.999999, 20.0, 25.0, 60.0])
    direct = np.log(a) - special.digamma(a)
    np.testing.assert_allclose(log_minus_digamma(a), direct, rtol=1e-12)
    np.testing.assert_allclose(a_trigamma_minus_one(a), a * special.polygamma(1, a) - 1, rtol=1e-11)
    # Far out, the series keeps full precision where the direct form cancels.
    big = np.array([1e8])
    np.testing.assert_allclose(log_minus_digamma(big), 0.5 / big + 1 / (12 * big**2), rtol=1e-15)


def test_weighted_mle_solves_the_weighted_likelihood_equations():
    fam = mc.GammaDistribution(shape=SHAPE, rate=RATE)
    truth = fam.broadcast(fam.truth(), 30)
    x1 = fam.sample(truth, 12, _rng(1, 30))
    x2 = fam.sample(truth, 50, _rng(2, 30))
    w = 0.3
    fit = fam.fit([fam.statistics(x1), fam.statistics(x2)], [w, 1 - w])
    m1 = w * x1.mean(axis=1) + (1 - w) * x2.mean(axis=1)
    m2 = w * np.log(x1).mean(axis=1) + (1 - w) * np.log(x2).mean(axis=1)
    a, b = fit.shape, fit.rate
    # d/db: a/b - m1 = 0; d/da: log b - digamma(a) + m2 = 0.
    np.testing.assert_allclose(a / b, m1, rtol=1e-12)
    np.testing.assert_allclose(np.log(b) - special.digamma(a) + m2, 0.0, atol=1e-11)
    # One source: the ordinary MLE, against scipy's optimiser (which stops at about 1e-5).
    one = fam.fit([fam.statistics(x2[:1])], [1.0])
    shape, _, scale = stats.gamma.fit(x2[0], floc=0)
    np.testing.assert_allclose([one.shape[0], one.rate[0]], [shape, 1 / scale], rtol=1e-4)


def test_generation_zero_is_close_to_the_truth_for_large_n():
    """n0 = 5000: the MLE is within Monte Carlo error of the truth and its spread is I^-1/n."""
    R, n0 = 400, 5000
    fam = mc.GammaDistribution(shape=SHAPE, rate=RATE)
    res = mc.simulate(
        fam, n0=n0, schedule=2, generations=0, replications=R, seed=9, engine="sample"
    )
    v = np.diagonal(fam.asymptotic_covariance(fam.truth()))
    for j, (label, true) in enumerate((("shape", SHAPE), ("rate", RATE))):
        est = res.values(label)[:, 0]
        assert z_within(est.mean(), true, _se(est)), label
        dev2 = n0 * (est - true) ** 2
        assert z_within(dev2.mean(), v[j], _se(dev2)), label


def test_fitted_mean_is_a_martingale():
    """The fitted mean m1_t averages points of mean a_{t-1}/b_{t-1}: a martingale."""
    R, T = 4000, 8
    res = mc.simulate(
        mc.GammaDistribution(shape=SHAPE, rate=RATE),
        n0=10,
        schedule=20,
        generations=T,
        replications=R,
        seed=10,
        engine="sample",
    )
    for t in (0, T // 2, T):
        mean = res.values("shape")[:, t] / res.values("rate")[:, t]
        assert z_within(mean.mean(), SHAPE / RATE, _se(mean)), t


def test_collapse_caps_the_shape_and_keeps_metrics_finite_or_inf():
    res = mc.simulate(
        mc.GammaDistribution(shape=SHAPE, rate=RATE),
        n0=3,
        schedule=3,
        generations=400,
        replications=256,
        seed=12,
        engine="sample",
        record="final",
    )
    shape = res.values("shape")[:, -1]
    assert np.all((shape > 0) & (shape <= MAX_SHAPE))
    assert np.mean(shape == MAX_SHAPE) > 0.5
    assert np.all(res.values("collapsed")[:, -1][shape == MAX_SHAPE] == 1)
    for name in res.metric_names:
        assert not np.isnan(res.values(name)).any(), name
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_tiny_shapes_underflow_to_the_smallest_double_not_zero():
    fam = mc.GammaDistribution(shape=0.003, rate=1.0)
    truth = fam.broadcast(fam.truth(), 20)
    x = fam.sample(truth, 200, _rng(3, 20))
    assert x.min() > 0
    assert np.any(x == np.finfo(float).smallest_subnormal)
    fit = fam.fit([fam.statistics(x)], [1.0])
    assert np.all(np.isfinite(fam.flatten(fit))) and np.all(fit.shape > 0)


def test_metric_values():
    fam = mc.GammaDistribution(shape=SHAPE, rate=RATE)
    params = GammaParams(np.array([SHAPE, 1.0, 0.0, 2.0]), np.array([RATE, 2.0, 1.0, 0.0]))
    m = compute_metrics(fam, params)
    a0, b0, a, b = SHAPE, RATE, 1.0, 2.0
    kl = (
        (a0 - a) * special.digamma(a0)
        - special.gammaln(a0)
        + special.gammaln(a)
        + a * (np.log(b0) - np.log(b))
        + a0 * (b - b0) / b0
    )
    np.testing.assert_allclose(m["kl"], [0.0, kl, np.inf, np.inf], atol=1e-14)
    h = stats.gamma(a0, scale=1 / b0).entropy()
    np.testing.assert_allclose(m["risk"][:2], [h, h + kl], rtol=1e-12)
    assert np.isposinf(m["risk"][2:]).all()
    np.testing.assert_allclose(m["mean_error"], [0.0, (0.5 - a0 / b0) ** 2, (a0 / b0) ** 2, np.inf])
    np.testing.assert_allclose(m["sigma2"], [a0 / b0**2, 0.25, 0.0, np.inf])
    # Risk against a Monte Carlo average of -log p_model(X).
    x = stats.gamma(a0, scale=1 / b0).rvs(size=200000, random_state=0)
    nll = -stats.gamma(a, scale=1 / b).logpdf(x)
    assert z_within(nll.mean(), m["risk"][1], _se(nll))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"shape": 0.0}, "^shape: must lie in \\(0, 1e\\+10\\]"),
        ({"shape": 2e10}, "^shape: must lie in"),
        ({"shape": float("nan")}, "^shape: must be finite"),
        ({"rate": 0.0}, "^rate: must lie in \\(0, inf\\]"),
        ({"rate": -1.0}, "^rate: must lie in"),
        ({"rate": "fast"}, "^rate: must be a real number"),
    ],
)
def test_bad_input(kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.GammaDistribution(**kwargs)


def test_bad_data_and_engines():
    fam = mc.GammaDistribution()
    with pytest.raises(mc.InvalidArgumentError, match="^data: must be positive .*got 0.0"):
        fam.statistics([[1.0, 0.0]])
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be one of sample, asymptotic"):
        mc.simulate(fam, n0=10, schedule=10, generations=1, engine="exact")
