"""Numerical edge cases: underflow to a collapsed variance, huge sample sizes, T = 0, R = 1,
separable logistic data and Poisson overflow.

The contract under test (see :mod:`modelcollapse.metrics`): a metric is finite or deliberately
infinite (a collapsed variance has ``kl = risk = inf``, a failed fit ``param_error = inf``),
never NaN by accident.
"""

import numpy as np
import pytest
from conftest import FAMILY_CASES

import modelcollapse as mc
from modelcollapse.random import BLOCK_SIZE, ReplicationRandom
from modelcollapse.results import summarize

HUGE = 10**15


def _no_nan_metrics(res):
    for name in res.metric_names:
        values = res.values(name)
        assert values.shape == (res.replications, res.generations.size), name
        assert not np.isnan(values).any(), name


def _sample_size(family):
    """A sample size every family accepts (the fixed design needs exactly its own ``n``)."""
    if isinstance(family, mc.LinearRegressionFixed):
        return family.n
    return max(family.min_sample_size, 20)


# -- 1. a variance that underflows to zero ------------------------------------------------------


def test_mle_variance_underflows_to_an_absorbing_collapse():
    res = mc.simulate(
        mc.Gaussian(variance="mle"),
        n0=2,
        schedule=2,
        generations=3000,
        replications=200,
        seed=0,
        record="all",
    )
    _no_nan_metrics(res)
    mu, s2 = res.values("mu"), res.values("sigma2")
    assert np.all(np.isfinite(mu)) and np.all(np.isfinite(s2)) and np.all(s2 >= 0)
    assert np.all(s2[:, -1] == 0.0)  # every replication has underflowed by T = 3000
    collapsed = res.values("collapsed")
    np.testing.assert_array_equal(collapsed, (s2 <= res.eps).astype(float))
    assert np.all(collapsed[:, -1] == 1.0)
    # Zero is absorbing: once a replication's variance is 0 it stays 0 and its mean freezes.
    zero = s2 == 0
    first = np.argmax(zero, axis=1)
    for r in range(res.replications):
        assert zero[r, first[r] :].all()
        assert np.all(mu[r, first[r] :] == mu[r, first[r]])
    # Deliberate infinities exactly where the variance is zero; finite (and >= 0) where a
    # positive variance is not so small that 1 / sigma2 itself overflows.
    for name in ("kl", "risk"):
        values = res.values(name)
        assert np.all(np.isposinf(values[zero]))
        assert np.all(np.isfinite(values[s2 > 1e-300]))
    assert np.all(res.values("kl") >= 0)
    for name in ("mean_error", "cov_error"):
        assert np.all(np.isfinite(res.values(name)))
    summary = res.summary()
    assert not summary.drop(columns=["metric"]).isna().any().any()
    final = summary[summary["generation"] == 3000].set_index("metric")
    assert final.loc["collapsed", "mean"] == 1.0 and np.isposinf(final.loc["kl", "mean"])


@pytest.mark.parametrize(
    ("family", "n", "engine"),
    [
        (mc.Gaussian(variance="unbiased"), 2, "exact"),
        (mc.Gaussian(variance="unbiased"), 3, "sample"),
        (mc.Gaussian(variance="unbiased"), 2, "asymptotic"),
        (mc.MultivariateGaussian.isotropic(2, variance="unbiased"), 3, "exact"),
        (mc.MultivariateGaussian.isotropic(2, variance="unbiased"), 3, "sample"),
        (mc.MultivariateGaussian.isotropic(2, variance="mle"), 3, "asymptotic"),
    ],
    ids=["1d-exact", "1d-sample", "1d-asymptotic", "2d-exact", "2d-sample", "2d-asymptotic"],
)
def test_small_n_unbiased_collapse_is_recorded_never_nan(family, n, engine):
    res = mc.simulate(
        family,
        n0=n,
        schedule=n,
        generations=3000,
        replications=100,
        seed=1,
        record="all",
        engine=engine,
    )
    _no_nan_metrics(res)
    flat = res.flat_params
    assert np.all(np.isfinite(flat))
    s2 = res.values("sigma2")
    assert np.all(s2 >= 0) and np.all(s2[:, -1] == 0.0)
    assert np.all(res.values("collapsed")[:, -1] == 1.0)
    assert np.all(np.isposinf(res.values("kl")[:, -1]))
    assert np.all(np.isposinf(res.values("kl")[s2 == 0]))
    assert np.all(res.values("kl") >= 0)
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


# -- 2. huge sample sizes in the exact engine ---------------------------------------------------


def _quadratic_kl(family, params):
    """``0.5 (theta - theta*)' I (theta - theta*)``, the KL to second order (relative error of
    order ``|theta - theta*|``, about ``1e-7`` at ``n = 1e15``)."""
    if isinstance(family, mc.Gaussian):
        s = family.sigma2
        return (params.mean - family.mu) ** 2 / (2 * s) + (params.cov - s) ** 2 / (4 * s * s)
    if isinstance(family, mc.Poisson):
        return (params.lam - family.lam) ** 2 / (2 * family.lam)
    if isinstance(family, mc.Bernoulli):
        return (params.p - family.p) ** 2 / (2 * family.p * (1 - family.p))
    if isinstance(family, mc.Categorical):
        p0 = family.truth().p
        return np.sum((params.p - p0) ** 2 / (2 * p0), axis=-1)
    if isinstance(family, mc.ExponentialDistribution):
        return (params.rate - family.rate) ** 2 / (2 * family.rate**2)
    raise AssertionError(family)


HUGE_FAMILIES = {
    "gaussian-unbiased": (lambda: mc.Gaussian(mu=0.5, sigma2=2.0), 2),
    "gaussian-mle": (lambda: mc.Gaussian(variance="mle"), 2),
    "poisson": (lambda: mc.Poisson(lam=3.5), 1),
    "bernoulli": (lambda: mc.Bernoulli(p=0.3), 1),
    "categorical": (lambda: mc.Categorical([0.1, 0.2, 0.3, 0.4]), 3),
    "exponential-mle": (lambda: mc.ExponentialDistribution(rate=2.0), 1),
    "exponential-unbiased": (
        lambda: mc.ExponentialDistribution(rate=0.5, estimator="unbiased"),
        1,
    ),
}


@pytest.mark.parametrize("name", sorted(HUGE_FAMILIES))
def test_huge_sample_sizes_stay_finite_and_accurate(name):
    make, free = HUGE_FAMILIES[name]
    family = make()
    T, R = 3, 2000
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mc.simulate(
            family,
            n0=HUGE,
            schedule=f"constant:n={HUGE}",
            generations=T,
            replications=R,
            seed=0,
            engine="exact",
        )
        summary = res.summary()
    assert not summary.drop(columns=["metric"]).isna().any().any()
    for metric in res.metric_names:
        assert np.all(np.isfinite(res.values(metric))), metric
    assert np.all(res.values("collapsed") == 0)
    flat = res.flat_params
    assert np.all(np.isfinite(flat))
    # The error after T + 1 fits of n points each has covariance (T + 1) V / n to first order:
    # the standardised errors have mean 0 and standard deviation 1 (6 standard errors).
    truth = family.flatten(family.truth())
    sd = np.sqrt(np.diag(family.asymptotic_covariance(family.truth())) * (T + 1) / HUGE)
    z = (flat[:, -1] - truth) / sd
    assert np.all(np.abs(z.mean(axis=0)) < 6 / np.sqrt(R))
    assert np.all(np.abs(z.std(axis=0) - 1) < 6 / np.sqrt(2 * R))
    assert (
        np.abs(res.values("sigma2")[:, -1] / float(family.scale(family.truth())) - 1).max() < 1e-6
    )
    # KL is never negative and is accurate to its second-order expansion (no cancellation):
    # E KL = (free parameters) (t + 1) / (2 n).
    kl = res.values("kl")
    assert np.all(kl >= 0)
    # (atol: x - log(1 + x) itself is only accurate to ulp(x) ~ 1e-16 |x|, about 1e-25 here)
    np.testing.assert_allclose(kl, _quadratic_kl(family, res.params), rtol=1e-4, atol=1e-24)
    expected = free * (res.generations + 1) / (2 * HUGE)
    np.testing.assert_allclose(kl.mean(axis=0) / expected, 1, atol=0.15)


# -- 3. T = 0 -----------------------------------------------------------------------------------


def test_zero_generations_every_family_and_engine(family):
    n = _sample_size(family)
    for engine in family.engines:
        res = mc.simulate(
            family, n0=n, schedule=n, generations=0, replications=7, seed=3, engine=engine
        )
        assert res.generations.tolist() == [0]
        assert res.n_real.tolist() == [n] and res.n_synth.tolist() == [0]
        assert res.weights.tolist() == [1.0]
        assert res.metric_names == mc.metrics.available_metrics(family)
        _no_nan_metrics(res)
        summary = res.summary()
        assert len(summary) == len(res.metric_names)
        assert set(summary["generation"]) == {0}
        assert not summary.drop(columns=["metric"]).isna().any().any()
        frame = res.to_frame()
        assert len(frame) == 7 and set(frame["generation"]) == {0}
        assert set(res.metric_names) <= set(frame.columns)
        if res.flat_params is not None:
            assert res.flat_params.shape == (7, 1, len(family.param_labels))
            assert set(family.param_labels) <= set(frame.columns)
        final = mc.simulate(
            family,
            n0=n,
            schedule=n,
            generations=0,
            replications=7,
            seed=3,
            engine=engine,
            record="final",
        )
        for name in res.metric_names:
            np.testing.assert_array_equal(final.values(name), res.values(name))


# -- 4. R = 1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FAMILY_CASES))
def test_one_replication_every_family_default_engine(name):
    family = FAMILY_CASES[name]()
    n = _sample_size(family)
    res = mc.simulate(family, n0=n, schedule=n, generations=3, replications=1, seed=4)
    assert res.replications == 1 and res.generations.tolist() == [0, 1, 2, 3]
    _no_nan_metrics(res)
    summary = res.summary()
    assert len(summary) == 4 * len(res.metric_names)
    # One replication: the mean and every quantile are the value itself; the standard deviation
    # and the standard error are undefined and NaN by design (documented in summarize).
    for metric, rows in summary.groupby("metric"):
        value = res.values(metric)[0]
        for column in ("mean", "min", "q05", "median", "q95", "max"):
            np.testing.assert_array_equal(rows[column].to_numpy(), value)
    assert summary["sd"].isna().all() and summary["se"].isna().all()
    assert res.to_frame().shape[0] == 4


def test_one_replication_standard_errors_are_nan_even_for_infinite_values():
    s = summarize(np.array([[1.0, np.inf, 0.0]]))
    assert np.isnan(s["sd"]).all() and np.isnan(s["se"]).all()
    assert s["mean"][0] == 1.0 and np.isposinf(s["mean"][1])
    assert "one replication" in summarize.__doc__
    assert "one replication" in mc.SimulationResult.summary.__doc__
    # A collapsed run with R = 1: kl = inf, its spread still undefined (NaN), never inf.
    res = mc.simulate(
        mc.Gaussian(variance="mle"),
        n0=2,
        schedule=2,
        generations=2000,
        replications=1,
        seed=0,
        record="final",
    )
    row = res.summary().set_index("metric").loc["kl"]
    assert np.isposinf(row["mean"]) and np.isnan(row["sd"]) and np.isnan(row["se"])
    # With two replications the spread of an infinite column is infinite, as documented.
    two = summarize(np.array([[1.0, np.inf], [2.0, 0.0]]))
    assert np.isposinf(two["sd"][1]) and np.isfinite(two["sd"][0])


# -- 5. logistic separation ---------------------------------------------------------------------


def _check_failures_flagged(res):
    _no_nan_metrics(res)
    failed = res.values("fit_failed")
    assert set(np.unique(failed)) <= {0.0, 1.0}
    error = res.values("param_error")
    assert np.all(np.isposinf(error[failed == 1]))
    assert np.all(np.isfinite(error[failed == 0]))
    beta = res.params.beta  # NaN coefficients mark a failed fit (it has no estimate)
    np.testing.assert_array_equal(np.isnan(beta).all(axis=-1), failed == 1)
    assert np.all(np.isfinite(beta[failed == 0]))
    return failed


def test_separable_logistic_data_fail_per_replication_and_the_run_goes_on():
    family = mc.LogisticRegression(beta=[8.0, 8.0])
    common = {"n0": 5, "schedule": 5, "generations": 10, "replications": 300, "seed": 0}
    res = mc.simulate(family, **common)
    failed = _check_failures_flagged(res)
    assert res.generations.tolist() == list(range(11))
    assert 0 < failed[:, 0].mean() < 1  # most samples of 5 points are separable, not all
    assert 0 < failed[:, -1].mean() < 1  # the recursion goes on from the failed fits
    summary = res.summary().set_index(["generation", "metric"])
    assert np.isposinf(summary.loc[(10, "param_error"), "mean"])
    assert not summary.drop(columns=["se", "sd"]).isna().any().any()

    # With fresh real data a failed replication can recover: a later fit succeeds again.
    fresh = mc.simulate(family, n_real=5, **common)
    failed = _check_failures_flagged(fresh)
    recovered = (failed[:, :-1] == 1) & (failed[:, 1:] == 0)
    assert recovered.any()

    # Tiny samples (n = p = 2): almost every fit fails, nothing is NaN.
    tiny = mc.simulate(family, **{**common, "n0": 2, "schedule": 2})
    assert _check_failures_flagged(tiny).mean() > 0.9

    # The penalised convention always has an estimate.
    ridge = mc.simulate(mc.LogisticRegression(beta=[8.0, 8.0], penalty="l2-sklearn"), **common)
    _no_nan_metrics(ridge)
    assert np.all(ridge.values("fit_failed") == 0)
    assert np.all(np.isfinite(ridge.values("param_error")))


# -- 6. Poisson overflow ------------------------------------------------------------------------


def test_poisson_regression_with_huge_means_never_gives_nan():
    family = mc.PoissonRegression(beta=[5.0, 5.0], cov=4.0)  # x'beta has sd 14: e^eta is wild
    common = {"n0": 20, "schedule": 20, "generations": 5, "replications": 200, "seed": 0}
    clipped = mc.simulate(family, **common)  # the default clip keeps every draw finite
    _check_failures_flagged(clipped)
    asymptotic = mc.simulate(family, engine="asymptotic", **common)
    _no_nan_metrics(asymptotic)
    assert np.all(np.isfinite(asymptotic.values("param_error")))
    # Without the clip e^eta overflows for some points: those replications' fits fail
    # (fit_failed = 1, param_error = inf), the others go on.
    wild = mc.simulate(mc.PoissonRegression(beta=[5.0, 5.0], cov=4.0, clip=None), **common)
    failed = _check_failures_flagged(wild)
    assert 0 < failed.mean() < 1


def test_poisson_draws_at_an_infinite_mean_are_infinite_not_nan():
    rng = ReplicationRandom(np.random.SeedSequence(0), 0, BLOCK_SIZE + 3)
    lam = np.full(BLOCK_SIZE + 3, 2e18)
    lam[::2] = np.inf
    lam[1] = 3.0
    draws = rng.poisson(lam)
    assert not np.isnan(draws).any()
    assert np.all(np.isposinf(draws[::2]))
    assert np.all(np.isfinite(draws[1::2]))
    assert np.all(np.abs(draws[3::2] / 2e18 - 1) < 1e-7)


@pytest.mark.parametrize("lam", [2e12, 3.5e15, 1e17])
def test_poisson_draws_at_huge_means_have_the_poisson_variance(lam):
    # numpy's own generator inflates the variance there (8% at 3.5e15, 60% at 1e17:
    # numpy/numpy#31986); the engine switches to the corrected normal law above 1e12.
    size = 40 * BLOCK_SIZE
    draws = ReplicationRandom(np.random.SeedSequence(1), 0, size).poisson(np.full(size, lam))
    assert np.all(draws == np.round(draws))
    z = (draws - lam) / np.sqrt(lam)
    assert abs(z.mean()) < 6 / np.sqrt(size)
    assert abs(z.var() - 1) < 6 * np.sqrt(2 / size)


@pytest.mark.parametrize("lam", [9.9e17, 1e18, 1.01e18, 9.3e18, 1e30])
def test_poisson_means_near_and_beyond_numpys_limit_on_the_exact_engine(lam):
    n, T, R = 100, 4, 500
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = mc.simulate(
            mc.Poisson(lam=lam), n0=n, schedule=n, generations=T, replications=R, seed=2
        )
    _no_nan_metrics(res)
    for name in res.metric_names:
        assert np.all(np.isfinite(res.values(name))), name
    z = (res.values("lam")[:, -1] - lam) / np.sqrt(lam * (T + 1) / n)
    # A sum near n lam is a double: rounded to a spacing of ulp(n lam), which adds
    # ulp^2 / 12 to its variance n lam (27% at lam = 1e30, where ulp(1e32) = 2^54).
    sd = np.sqrt(1 + np.spacing(n * lam) ** 2 / (12 * n * lam))
    assert abs(z.mean()) < 6 / np.sqrt(R) and abs(z.std() - sd) < 6 / np.sqrt(2 * R)
    kl = res.values("kl")  # KL = (lam_t - lam)^2 / (2 lam) to second order, never negative
    assert np.all(kl >= 0)
    np.testing.assert_allclose(kl, (res.values("lam") - lam) ** 2 / (2 * lam), rtol=1e-4)


@pytest.mark.parametrize("engine", ["exact", "sample"])
def test_poisson_total_beyond_the_double_range_is_a_deliberate_infinity(engine):
    # n lam = 1e309 overflows a double: the total is inf, so is lam_hat (absorbing), and the
    # metrics are deliberately infinite, never NaN; both engines agree.
    res = mc.simulate(
        mc.Poisson(lam=1e306),
        n0=1000,
        schedule=1000,
        generations=3,
        replications=20,
        seed=0,
        engine=engine,
    )
    _no_nan_metrics(res)
    assert np.all(np.isposinf(res.values("lam")))
    for name in ("kl", "risk", "mean_error", "cov_error", "sigma2"):
        assert np.all(np.isposinf(res.values(name))), name
    assert np.all(res.values("collapsed") == 0)
    summary = res.summary()
    assert not summary.drop(columns=["metric"]).isna().any().any()
    huge = mc.simulate(
        mc.Poisson(lam=1e300), n0=HUGE, schedule=HUGE, generations=2, replications=10, seed=0
    )
    _no_nan_metrics(huge)
    assert np.all(np.isposinf(huge.values("lam")))
