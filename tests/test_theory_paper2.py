"""Paper 2's weighting theory: exact identities, finite-n forms, and simulation."""

import math

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.theory import paper2


def test_golden_ratio_and_the_optimum_identities():
    assert theory.optimal_weight(1.0) == pytest.approx(1 / theory.GOLDEN, abs=1e-15)
    assert theory.optimal_weight(1.0) == pytest.approx((math.sqrt(5) - 1) / 2, abs=1e-15)
    k = np.geomspace(1e-6, 1e6, 61)
    w = theory.optimal_weight(k)
    np.testing.assert_allclose(theory.limiting_ratio(w, k), w, rtol=1e-12)  # R(w*, k) = w*
    assert np.all(np.abs(w**2 + k * w - k) <= 1e-9 * (1 + k))  # dR/dw = 0
    assert np.all(np.diff(w) > 0)  # increasing in k
    np.testing.assert_allclose(w[:5] / np.sqrt(k[:5]), 1, rtol=1e-2)  # w* ~ sqrt(k), k -> 0


@pytest.mark.parametrize("k", [0.01, 0.1, 0.5, 1.0, 2.0, 10.0, 100.0])
def test_optimal_weight_minimises_and_naive_is_worse(k):
    grid = np.linspace(1e-4, 1, 200001)
    values = theory.limiting_ratio(grid, k)
    assert grid[np.argmin(values)] == pytest.approx(float(theory.optimal_weight(k)), abs=1e-4)
    naive = theory.naive_weight(k)
    assert naive < theory.optimal_weight(k)
    assert theory.limiting_ratio(naive, k) == pytest.approx((1 + k) / (2 + k))
    assert theory.limiting_ratio(naive, k) > theory.limiting_ratio(theory.optimal_weight(k), k)


def test_naive_is_about_eight_percent_worse_at_k_one_and_stalls_as_k_vanishes():
    ratio = theory.limiting_ratio(0.5, 1.0) / theory.limiting_ratio(theory.optimal_weight(1.0), 1)
    assert ratio == pytest.approx(1.0787, abs=1e-4)
    assert theory.limiting_ratio(theory.naive_weight(1e-9), 1e-9) == pytest.approx(0.5)
    assert theory.limiting_ratio(theory.optimal_weight(1e-9), 1e-9) < 1e-4


def test_error_trajectory_solves_the_recursion():
    for w in (0.0, 0.3, 0.618, 1.0):
        e = theory.error_trajectory(w, 0.5, 30)
        rec = theory.weighted_error_recursion(10, [10] * 30, [20] * 30, w, 1.0) * 10
        np.testing.assert_allclose(e, rec, rtol=1e-12)
    rows = theory.error_trajectory([0.2, 0.8], 1.0, 5)
    assert rows.shape == (2, 6)


def test_greedy_weight_reaches_the_optimal_error():
    w, v = theory.greedy_weights(100, [100] * 200, [300] * 200)
    k = 1 / 3
    assert w[-1] == pytest.approx(float(theory.optimal_weight(k)), rel=1e-9)
    assert v[-1] * 100 == pytest.approx(float(theory.optimal_weight(k)), rel=1e-9)
    rule = mc.Greedy(100)
    np.testing.assert_allclose(rule.weights(np.full(200, 100), np.full(200, 300)), w)
    with pytest.raises(mc.InvalidArgumentError, match="greedy rule needs n0"):
        mc.Greedy().weights(np.array([1]), np.array([1]))


def test_finite_n_exact_forms():
    w = np.linspace(0.05, 1, 20)
    np.testing.assert_allclose(
        theory.exact_limiting_error("mean", w, 100, 50, trace=2.0),
        2.0 / 100 * theory.limiting_ratio(w, 2.0),
    )
    cdf = theory.exact_limiting_error("cdf", w, 100, 100)
    np.testing.assert_allclose(cdf[-1], 1 / 600)
    var = theory.exact_limiting_error("variance", w, 100, 100, sigma2=2.0)
    cov1 = theory.exact_limiting_error("covariance", w, 100, 100, cov=[[2.0]])
    np.testing.assert_allclose(var, cov1, rtol=1e-12)
    assert theory.exact_limiting_error("variance", 0.0, 100, 100) == np.inf
    assert theory.exact_limiting_error("cdf", 0.0, 100, 100) == pytest.approx(1 / 6)
    # The finite-n argmin is near, not at, w*(k); for the mean it is w*(k).
    assert theory.exact_optimal_weight("mean", 100, 100) == pytest.approx(
        1 / theory.GOLDEN, abs=1e-6
    )
    for model in ("variance", "cdf", "categorical"):
        assert abs(theory.exact_optimal_weight(model, 100, 100) - 1 / theory.GOLDEN) < 0.01
    with pytest.raises(mc.InvalidArgumentError, match="^model: must be one of"):
        theory.exact_limiting_error("median", 0.5, 10, 10)
    with pytest.raises(mc.InvalidArgumentError, match="^k: must be positive"):
        theory.optimal_weight(0.0)
    with pytest.raises(mc.InvalidArgumentError, match=r"^w: must lie in \[0, 1\]"):
        theory.limiting_ratio(1.5, 1.0)


def test_covariance_recursion_against_simulation():
    R, T = 40000, 12
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    fam = mc.MultivariateGaussian([0.0, 0.0], cov)
    res = mc.simulate(
        fam,
        n0=20,
        schedule=30,
        n_real=15,
        weight=0.6,
        generations=T,
        replications=R,
        seed=8,
        record=[1, 6, 12],
    )
    expected = theory.gaussian_covariance_error(20, [15] * T, [30] * T, 0.6, cov)[[1, 6, 12]]
    err = res.values("cov_error")
    for j in range(3):
        assert z_within(err[:, j].mean(), expected[j], err[:, j].std() / math.sqrt(R))


@pytest.mark.parametrize("rule", ["optimal", "naive", "greedy"])
def test_weight_rules_in_the_engine(rule):
    R, T = 20000, 30
    res = mc.simulate(
        mc.Gaussian(),
        n0=50,
        schedule=100,
        n_real=50,
        weight=rule,
        generations=T,
        replications=R,
        seed=3,
        record="final",
    )
    w = res.weights[1:]
    expected = theory.gaussian_mean_error(50, [50] * T, [100] * T, w)[-1]
    err = res.values("mean_error")[:, -1]
    assert z_within(err.mean(), expected, err.std() / math.sqrt(R))
    if rule == "optimal":
        np.testing.assert_allclose(w, theory.optimal_weight(0.5))
    if rule == "naive":
        np.testing.assert_allclose(w, 1 / 3)
    if rule == "greedy":
        np.testing.assert_allclose(w, theory.greedy_weights(50, [50] * T, [100] * T)[0])


def test_paper2_module_exports():
    assert set(paper2.__all__) <= set(dir(paper2))


def test_model_constants():
    assert theory.model_constant("gaussian-mean", cov=np.eye(3) * 2) == 6.0
    assert theory.model_constant("gaussian-variance", sigma2=2.0) == 8.0
    assert theory.model_constant("gaussian-covariance", cov=np.eye(2)) == 6.0
    assert theory.model_constant("linear-random", cov_x=np.eye(2) / 2, sigma2=1.0) == 4.0
    x = np.random.default_rng(0).normal(size=(50, 3))
    assert theory.model_constant("linear-fixed", design=x) == pytest.approx(
        np.trace(np.linalg.inv(x.T @ x / 50))
    )
    assert theory.model_constant("cdf") == pytest.approx(1 / 6)
    assert theory.model_constant("categorical", p=[0.5, 0.3, 0.2]) == pytest.approx(
        (0.25 + 0.21 + 0.16) / 3
    )
    with pytest.raises(mc.InvalidArgumentError, match="^model: must be one of"):
        theory.model_constant("tree")
    with pytest.raises(mc.InvalidArgumentError, match="^params: unknown option"):
        theory.model_constant("cdf", sigma2=1.0)


@pytest.mark.parametrize("link", ["logistic", "poisson"])
def test_glm_information_against_monte_carlo(link):
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    beta = np.array([0.7, -1.2])
    info = theory.glm_information(beta, cov, link)
    x = np.random.default_rng(1).multivariate_normal([0, 0], cov, size=400_000)
    eta = x @ beta
    g = 1 / (1 + np.exp(-eta)) * (1 - 1 / (1 + np.exp(-eta))) if link == "logistic" else np.exp(eta)
    terms = (x[:, :, None] * x[:, None, :]) * g[:, None, None]
    mc_mean = terms.mean(axis=0)
    se = terms.std(axis=0) / np.sqrt(len(x))
    assert np.all(np.abs(info - mc_mean) <= 4 * se)
    np.testing.assert_allclose(theory.glm_information([0.0, 0.0], cov, "logistic"), cov / 4)


def test_fully_synthetic_growth_laws():
    np.testing.assert_allclose(
        theory.fully_synthetic_error("gaussian-mean", 10, 3, cov=np.eye(2)), [0.2, 0.4, 0.6, 0.8]
    )
    np.testing.assert_allclose(theory.fully_synthetic_error("cdf", 10, 0), [1 / 60])
    assert theory.fully_synthetic_error("cdf", 10, 10**4)[-1] == pytest.approx(1 / 6)
    np.testing.assert_allclose(
        theory.fully_synthetic_error("gaussian-variance", 21, 1, sigma2=1.0), [0.1, 1.1**2 - 1]
    )
    rd = theory.fully_synthetic_error("linear-random", 20, 2, cov_x=np.eye(3))
    np.testing.assert_allclose(rd, 3 / 16 * np.arange(1, 4))
    # Iterated bootstrap against simulation: categorical cells (exact engine).
    R, T, n = 40000, 15, 10
    res = mc.simulate(
        mc.Categorical([0.5, 0.3, 0.2]),
        n0=n,
        schedule=n,
        generations=T,
        replications=R,
        seed=2,
        record=[0, 5, 15],
    )
    expected = theory.fully_synthetic_error("categorical", n, T, p=[0.5, 0.3, 0.2])[[0, 5, 15]]
    err = res.values("prob_error")
    for j in range(3):
        assert z_within(err[:, j].mean(), expected[j], err[:, j].std() / math.sqrt(R))
