"""Poisson family: closed forms of the recursion, the absorbing zero, metrics, bad input."""

import numpy as np
import pytest
from _stats import z_within
from scipy import stats

import modelcollapse as mc
from modelcollapse.families.poisson import PoissonParams, poisson_entropy
from modelcollapse.metrics import compute_metrics
from modelcollapse.random import ReplicationRandom

LAM = 2.0


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


@pytest.mark.parametrize(
    ("engine", "replications", "schedule", "generations"),
    [
        ("exact", 20000, "constant:n=10", 20),
        ("exact", 20000, "linear:n=3", 15),
        ("sample", 4000, "constant:n=10", 8),
    ],
)
def test_mean_is_a_martingale_and_the_variance_adds_lam_over_n(
    engine, replications, schedule, generations
):
    """E lam_t = lam; Var lam_t = lam sum_{s<=t} 1/n_s (given lam_{t-1}: variance lam_{t-1}/n_t)."""
    n0 = 5
    res = mc.simulate(
        mc.Poisson(lam=LAM),
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=replications,
        seed=11,
        engine=engine,
    )
    sizes = np.concatenate([[n0], mc.parse_schedule(schedule).sizes(generations)])
    expected_var = LAM * np.cumsum(1.0 / sizes)
    for t in (0, generations // 2, generations):
        lam = res.values("lam")[:, t]
        assert z_within(lam.mean(), LAM, lam.std(ddof=1) / np.sqrt(replications)), t
        err = res.values("mean_error")[:, t]
        assert z_within(err.mean(), expected_var[t], err.std(ddof=1) / np.sqrt(replications)), t


def test_weighted_fit_is_the_weighted_mean():
    fam = mc.Poisson(lam=LAM)
    truth = fam.broadcast(fam.truth(), 50)
    s1 = fam.draw(truth, 7, _rng(1, 50), "exact")
    s2 = fam.draw(truth, 30, _rng(2, 50), "exact")
    w = 0.618
    fit = fam.fit([s1, s2], [w, 1 - w]).lam
    np.testing.assert_allclose(fit, w * s1.total / 7 + (1 - w) * s2.total / 30, rtol=1e-14)
    # Proportional weights: the MLE of the pooled data.
    pooled = fam.fit([fam.pool(s1, s2)], [1.0]).lam
    np.testing.assert_allclose(fam.fit([s1, s2], [7 / 37, 30 / 37]).lam, pooled, rtol=1e-14)


def test_zero_is_absorbing_and_its_metrics_are_deliberate():
    res = mc.simulate(
        mc.Poisson(lam=0.3), n0=2, schedule=2, generations=300, replications=500, seed=3
    )
    lam = res.values("lam")
    assert np.all(lam >= 0)
    dead = lam == 0
    assert dead[:, -1].mean() > 0.9
    # Once zero, always zero.
    assert np.all(np.diff(dead.astype(int), axis=1) >= 0)
    assert np.all(np.isposinf(res.values("kl")[dead]))
    assert np.all(np.isposinf(res.values("risk")[dead]))
    assert np.all(res.values("collapsed")[dead] == 1.0)
    np.testing.assert_allclose(res.values("mean_error")[dead], 0.3**2)
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_metric_values():
    fam = mc.Poisson(lam=LAM)
    params = PoissonParams(np.array([LAM, 1.0, 0.0]))
    m = compute_metrics(fam, params)
    kl = [0.0, LAM * np.log(LAM) + 1.0 - LAM, np.inf]
    np.testing.assert_allclose(m["kl"], kl)
    entropy = stats.poisson(LAM).entropy()
    np.testing.assert_allclose(m["risk"], np.array(kl) + entropy, rtol=1e-12)
    np.testing.assert_allclose(m["mean_error"], [0.0, 1.0, 4.0])
    np.testing.assert_allclose(m["sigma2"], [LAM, 1.0, 0.0])
    # Risk is E_truth[-log p_model(X)]: a direct sum over the support.
    k = np.arange(200)
    direct = -np.sum(stats.poisson(LAM).pmf(k) * stats.poisson(1.0).logpmf(k))
    np.testing.assert_allclose(m["risk"][1], direct, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.7, 30.0, 999.0, 1000.0, 4000.0])
def test_entropy_against_direct_summation(lam):
    k = np.arange(int(lam + 60 * np.sqrt(lam) + 60))
    pmf = stats.poisson(lam).pmf(k)
    direct = -np.sum(pmf[pmf > 0] * np.log(pmf[pmf > 0]))
    np.testing.assert_allclose(poisson_entropy(np.array([lam])), [direct], rtol=1e-11, atol=1e-14)


def test_exact_engine_with_huge_means():
    """n lam beyond numpy's Poisson generator: the normal approximation takes over, per block."""
    res = mc.simulate(
        mc.Poisson(lam=50.0), n0=10**17, schedule=10**17, generations=3, replications=64, seed=0
    )
    lam = res.values("lam")
    assert np.all(np.isfinite(lam))
    assert np.abs(lam / 50.0 - 1).max() < 1e-6
    rng = _rng(0, 2000)
    draws = rng.poisson(np.full(2000, 4e18))
    z = (draws - 4e18) / 2e9
    assert abs(z.mean()) < 4 / np.sqrt(2000) and abs(z.std() - 1) < 4 / np.sqrt(2 * 2000)


@pytest.mark.parametrize(
    ("lam", "fragment"),
    [
        (0.0, "^lam: must lie in \\(0, inf\\]"),
        (-1.0, "^lam: must lie in"),
        (float("nan"), "^lam: must be finite"),
        (float("inf"), "^lam: must be finite"),
        ("a", "^lam: must be a real number"),
    ],
)
def test_bad_input(lam, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Poisson(lam=lam)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([[1, -1]], "^data: must be non-negative integers for the Poisson family \\(got -1.0\\)"),
        ([[1, 0.5]], "^data: must be non-negative integers .* \\(got 0.5\\)"),
        ([1, 2], "^data: must be a non-empty array of shape \\(replications, n\\)"),
    ],
)
def test_bad_data(data, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Poisson().statistics(data)


def test_statistics_of_real_data():
    s = mc.Poisson().statistics([[0, 1, 2, 5], [3, 3, 3, 3]])
    assert s.count == 4
    np.testing.assert_array_equal(s.total, [8.0, 12.0])
