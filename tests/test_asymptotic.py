"""The asymptotic engine: against the exact (or sample) engine at large n, the 1 + r_T law, the
boundary clipping, seeding, the wrapper's contract."""

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse.families import AsymptoticFamily, Estimate
from modelcollapse.random import ReplicationRandom

N = 10**4


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _moments(x):
    """Mean and variance of each column, with their Monte Carlo standard errors."""
    r = x.shape[0]
    mean = x.mean(axis=0)
    dev2 = (x - mean) ** 2
    return (
        mean,
        x.std(axis=0, ddof=1) / np.sqrt(r),
        dev2.mean(axis=0),
        dev2.std(axis=0) / np.sqrt(r),
    )


CASES = {
    "gaussian": lambda: mc.Gaussian(mu=1.0, sigma2=2.0),
    "mvgaussian": lambda: mc.MultivariateGaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 0.5]]),
    "exponential": lambda: mc.ExponentialDistribution(rate=2.0),
    "poisson": lambda: mc.Poisson(lam=3.0),
    "bernoulli": lambda: mc.Bernoulli(p=0.3),
    "categorical": lambda: mc.Categorical([0.2, 0.3, 0.5]),
    "gamma": lambda: mc.GammaDistribution(shape=2.5, rate=1.5),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_asymptotic_engine_matches_the_data_engine_at_large_n(case):
    """n = 10^4: mean and variance of every parameter at generation T agree with the exact engine
    (sample engine for the gamma family) within Monte Carlo error, and the variance follows
    V(theta*) (1/n0 + T/n), the spec's 1 + r_T law."""
    fam = CASES[case]()
    reference = "exact" if "exact" in fam.engines else "sample"
    R, T = (4000, 5) if reference == "exact" else (600, 2)
    common = {"n0": N, "schedule": N, "generations": T, "replications": R, "record": "final"}
    approx = mc.simulate(fam, engine="asymptotic", seed=1, **common)
    ref = mc.simulate(fam, engine=reference, seed=2, **common)
    a_mean, a_mse, a_var, a_vse = _moments(approx.flat_params[:, -1])
    r_mean, r_mse, r_var, r_vse = _moments(ref.flat_params[:, -1])
    law = np.diagonal(fam.asymptotic_covariance(fam.truth())) * (1 / N + T / N)
    for j, label in enumerate(fam.param_labels):
        assert z_within(a_mean[j], r_mean[j], np.hypot(a_mse[j], r_mse[j])), label
        assert z_within(a_var[j], r_var[j], np.hypot(a_vse[j], r_vse[j])), label
        assert z_within(a_var[j], law[j], a_vse[j]), label


def test_config_marks_the_approximation():
    fam = mc.Poisson(lam=2.0)
    res = mc.simulate(
        fam, n0=100, schedule=100, generations=3, replications=10, seed=0, engine="asymptotic"
    )
    assert res.config["engine"] == "asymptotic"
    assert res.config["approximation"] == "asymptotic normal"
    assert res.family is fam
    exact = mc.simulate(fam, n0=100, schedule=100, generations=3, replications=10, seed=0)
    assert "approximation" not in exact.config
    np.testing.assert_array_equal(res.rerun().flat_params, res.flat_params)


def test_same_seed_same_result_whatever_the_chunk_size():
    args = {
        "n0": 50,
        "schedule": 50,
        "generations": 6,
        "replications": 3000,
        "seed": 5,
        "engine": "asymptotic",
    }
    fam = mc.Categorical([0.2, 0.3, 0.5])
    a = mc.simulate(fam, chunk_size=1024, **args)
    b = mc.simulate(fam, **args)
    np.testing.assert_array_equal(a.flat_params, b.flat_params)


def test_fresh_real_data_mixes_estimates_by_weight():
    """With fresh real data of weight w, the Gaussian mean error matches the exact engine."""
    fam = mc.Gaussian(sigma2=2.0)
    common = {
        "n0": 1000,
        "schedule": 1000,
        "n_real": 1000,
        "weight": 0.3,
        "generations": 8,
        "replications": 4000,
        "record": "final",
    }
    approx = mc.simulate(fam, engine="asymptotic", seed=3, **common).values("mean_error")[:, -1]
    exact = mc.simulate(fam, engine="exact", seed=4, **common).values("mean_error")[:, -1]
    se = np.hypot(approx.std(ddof=1), exact.std(ddof=1)) / np.sqrt(approx.size)
    assert z_within(approx.mean(), exact.mean(), se)


@pytest.mark.parametrize("case", sorted(CASES))
def test_small_n_clips_to_the_boundary_and_metrics_are_never_nan(case):
    fam = CASES[case]()
    res = mc.simulate(
        fam, n0=3, schedule=3, generations=300, replications=300, seed=6, engine="asymptotic"
    )
    flat = res.flat_params
    assert np.all(np.isfinite(flat))
    params = res.params
    if case == "gaussian":
        assert np.all(params.cov >= 0) and np.any(params.cov == 0)
    elif case == "mvgaussian":
        assert np.linalg.eigvalsh(params.cov).min() >= -1e-12
    elif case == "exponential":
        assert np.all(params.rate >= 0) and np.any(params.rate == 0)
    elif case == "poisson":
        assert np.all(params.lam >= 0) and np.any(params.lam == 0)
    elif case == "bernoulli":
        assert np.all((params.p >= 0) & (params.p <= 1)) and np.any(params.p == 0)
    elif case == "categorical":
        assert np.all(params.p >= 0)
        np.testing.assert_allclose(params.p.sum(axis=-1), 1.0, rtol=1e-12)
        assert np.any(res.values("cells_lost") > 0)
    elif case == "gamma":
        assert np.all(params.shape >= 0) and np.all(params.rate >= 0)
    for name in res.metric_names:
        assert not np.isnan(res.values(name)).any(), name
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_boundary_points_are_absorbing():
    fam = mc.Poisson(lam=1.0)
    wrapped = AsymptoticFamily(fam)
    params = fam.unflatten(np.array([[0.0], [1.0]]))
    est = wrapped.draw(params, 5, _rng(0, 2))
    assert est.flat[0, 0] == 0.0 and est.flat[1, 0] != 1.0


def test_wrapper_contract():
    fam = mc.Bernoulli(p=0.4)
    wrapped = AsymptoticFamily(fam)
    assert wrapped.param_labels == fam.param_labels
    assert wrapped.describe() == fam.describe()
    a = Estimate(10, np.array([[0.2], [0.5]]))
    b = Estimate(30, np.array([[0.6], [0.1]]))
    np.testing.assert_allclose(wrapped.pool(a, b).flat, [[0.5], [0.2]])
    assert wrapped.pool(a, b).count == 40
    np.testing.assert_allclose(wrapped.fit([a, b], [0.25, 0.75]).p, [0.5, 0.2])
    np.testing.assert_array_equal(wrapped.fit([a, b], [1.0, 0.0]).p, [0.2, 0.5])
    with pytest.raises(mc.InvalidArgumentError, match="^weights: at least one source"):
        wrapped.fit([a], [0.0])
    s = wrapped.statistics([[1, 0, 0, 1], [1, 1, 1, 0]])
    assert s.count == 4
    np.testing.assert_allclose(s.flat, [[0.5], [0.75]])
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be asymptotic"):
        wrapped.draw(fam.broadcast(fam.truth(), 2), 5, _rng(0, 2), "exact")


def test_fisher_information_alone_is_inverted():
    class InformationOnly(mc.Poisson):
        hooks = mc.Poisson.hooks - {"asymptotic_covariance"}  # declared: the information is used

    fam = InformationOnly(lam=2.5)
    assert not mc.capabilities_of(fam).offers("asymptotic_covariance")
    wrapped = AsymptoticFamily(fam)
    params = fam.unflatten(np.array([[0.5], [2.5], [0.0]]))
    np.testing.assert_allclose(
        wrapped.asymptotic_covariance(params), [[[0.5]], [[2.5]], [[0.0]]], rtol=1e-12
    )
    res = mc.simulate(
        fam, n0=3, schedule=3, generations=50, replications=200, seed=1, engine="asymptotic"
    )
    assert np.all(np.isfinite(res.flat_params)) and np.any(res.flat_params == 0)


def test_families_without_the_hooks_are_refused():
    class Bare:
        name = "bare"
        min_sample_size = 1
        param_labels = ("x",)

    with pytest.raises(mc.InvalidArgumentError, match="^family: needs asymptotic_covariance"):
        AsymptoticFamily(Bare())
