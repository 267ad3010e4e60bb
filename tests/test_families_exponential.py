"""Exponential family: martingales of both estimators, weighted fits, degenerate fits, bad input."""

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse.families.exponential import ExponentialParams
from modelcollapse.metrics import compute_metrics
from modelcollapse.random import ReplicationRandom

RATE = 2.0


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


@pytest.mark.parametrize(
    ("engine", "replications", "generations"), [("exact", 20000, 12), ("sample", 4000, 6)]
)
def test_mle_fitted_mean_is_a_martingale(engine, replications, generations):
    """MLE: m_t = 1/rate_t = S/n with S ~ Gamma(n, scale m_{t-1}): E m_t = m_{t-1} and
    E m_t^2 = m_{t-1}^2 (1 + 1/n), so E m_t = 1/rate and Var m_t = rate^-2 (prod(1 + 1/n_s) - 1)."""
    n0, n = 6, 10
    res = mc.simulate(
        mc.ExponentialDistribution(rate=RATE, estimator="mle"),
        n0=n0,
        schedule=n,
        generations=generations,
        replications=replications,
        seed=41,
        engine=engine,
    )
    sizes = np.array([n0] + [n] * generations)
    var = RATE**-2 * (np.cumprod(1 + 1 / sizes) - 1)
    for t in (0, generations // 2, generations):
        mean = 1 / res.values("rate")[:, t]
        assert z_within(mean.mean(), 1 / RATE, _se(mean)), t
        err = res.values("mean_error")[:, t]
        assert z_within(err.mean(), var[t], _se(err)), t


def test_unbiased_rate_is_a_martingale():
    """Unbiased: E[(n-1)/S | rate] = rate and E[((n-1)/S)^2 | rate] = rate^2 (n-1)/(n-2)."""
    R, T, n0, n = 20000, 12, 8, 12
    res = mc.simulate(
        mc.ExponentialDistribution(rate=RATE, estimator="unbiased"),
        n0=n0,
        schedule=n,
        generations=T,
        replications=R,
        seed=42,
    )
    sizes = np.array([n0] + [n] * T)
    second = RATE**2 * np.cumprod((sizes - 1) / (sizes - 2))
    for t in (0, T // 2, T):
        rate = res.values("rate")[:, t]
        assert z_within(rate.mean(), RATE, _se(rate)), t
        assert z_within((rate**2).mean(), second[t], _se(rate**2)), t


def test_weighted_fits():
    truth_rate = 0.5
    for estimator in ("mle", "unbiased"):
        fam = mc.ExponentialDistribution(rate=truth_rate, estimator=estimator)
        truth = fam.broadcast(fam.truth(), 40)
        s1 = fam.draw(truth, 9, _rng(1, 40), "exact")
        s2 = fam.draw(truth, 25, _rng(2, 40), "exact")
        w = 0.3
        fit = fam.fit([s1, s2], [w, 1 - w]).rate
        if estimator == "mle":
            expected = 1 / (w * s1.total / 9 + (1 - w) * s2.total / 25)
            # Proportional weights: the MLE of the pooled data.
            pooled = fam.fit([fam.pool(s1, s2)], [1.0]).rate
            np.testing.assert_allclose(fam.fit([s1, s2], [9 / 34, 25 / 34]).rate, pooled)
        else:
            expected = w * 8 / s1.total + (1 - w) * 24 / s2.total
        np.testing.assert_allclose(fit, expected, rtol=1e-14)


def test_unbiased_combination_is_unbiased_for_every_weight():
    R = 40000
    fam = mc.ExponentialDistribution(rate=RATE, estimator="unbiased")
    truth = fam.broadcast(fam.truth(), R)
    rng = _rng(3, R)
    s1 = fam.draw(truth, 4, rng, "exact")
    s2 = fam.draw(truth, 30, rng, "exact")
    for w in (0.2, 0.618):
        fit = fam.fit([s1, s2], [w, 1 - w]).rate
        assert z_within(fit.mean(), RATE, _se(fit)), w


@pytest.mark.parametrize(("estimator", "n", "limit"), [("mle", 1, np.inf), ("unbiased", 2, 0.0)])
def test_degenerate_fits_are_absorbing_and_never_nan(estimator, n, limit):
    """MLE with n = 1 drifts to rate = inf (mean 0), unbiased with n = 2 to rate = 0."""
    res = mc.simulate(
        mc.ExponentialDistribution(rate=RATE, estimator=estimator),
        n0=n,
        schedule=n,
        generations=4000,
        replications=64,
        seed=7,
        record="final",
    )
    rate = res.values("rate")[:, -1]
    assert np.all(rate == limit)
    assert np.all(np.isposinf(res.values("kl")))
    assert np.all(np.isposinf(res.values("risk")))
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_metric_values():
    fam = mc.ExponentialDistribution(rate=RATE)
    params = ExponentialParams(np.array([RATE, 1.0, 0.0, np.inf]))
    m = compute_metrics(fam, params)
    kl1 = np.log(RATE) + 1 / RATE - 1
    np.testing.assert_allclose(m["kl"], [0.0, kl1, np.inf, np.inf])
    h = 1 - np.log(RATE)
    np.testing.assert_allclose(m["risk"], [h, h + kl1, np.inf, np.inf])
    np.testing.assert_allclose(m["mean_error"], [0.0, 0.25, np.inf, 0.25])
    np.testing.assert_allclose(m["sigma2"], [0.25, 1.0, np.inf, 0.0])
    assert not any(np.isnan(v).any() for v in m.values())
    # Risk is E_truth[-log p_model(X)], by Monte Carlo.
    x = np.random.default_rng(0).exponential(1 / RATE, 200000)
    nll = -(np.log(1.0) - 1.0 * x)
    assert z_within(nll.mean(), m["risk"][1], _se(nll))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rate": 0.0}, "^rate: must lie in \\(0, inf\\]"),
        ({"rate": -2.0}, "^rate: must lie in"),
        ({"rate": float("inf")}, "^rate: must be finite"),
        ({"rate": None}, "^rate: must be a real number"),
        ({"estimator": "biased"}, "^estimator: must be one of mle, unbiased"),
    ],
)
def test_bad_input(kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.ExponentialDistribution(**kwargs)


def test_data_and_minimum_sizes():
    fam = mc.ExponentialDistribution()
    with pytest.raises(mc.InvalidArgumentError, match="^data: must be non-negative .*got -0.5"):
        fam.statistics([[1.0, -0.5]])
    s = fam.statistics([[1.0, 2.0, 3.0]])
    assert s.count == 3 and s.total.tolist() == [6.0]
    assert fam.min_sample_size == 1
    assert mc.ExponentialDistribution(estimator="unbiased").min_sample_size == 2
    with pytest.raises(mc.InvalidArgumentError, match="needs sample sizes >= 2"):
        mc.simulate(
            mc.ExponentialDistribution(estimator="unbiased"), n0=5, schedule=1, generations=2
        )
