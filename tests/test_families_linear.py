"""Linear regression families: exact engines against data, the weighted least-squares fits, the
closed forms of the recursion (fixed design exactly, random design exactly in one step and under
the fully synthetic recursion), the real and synthetic covariate laws, bad input."""

import numpy as np
import pytest
from _stats import z_within
from scipy import stats

import modelcollapse as mc
from modelcollapse.families import RegressionParams
from modelcollapse.random import ReplicationRandom

SIGMA = np.array([[1.0, 0.4], [0.4, 0.5]])


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


# -- fixed design -----------------------------------------------------------------------------
def _fixed():
    return mc.LinearRegressionFixed(beta=[1.0, -1.0, 0.5], n=20, sigma2=2.0, cov=1.0, seed=9)


def test_fixed_design_fit_is_ols_of_the_mixed_response():
    """beta_t = (X'X)^-1 X'(w y + (1 - w) y~), from raw responses, against numpy's lstsq."""
    fam = _fixed()
    x = fam.design_
    truth = fam.broadcast(fam.truth(), 4)
    y_real = fam.sample(truth, 20, _rng(1, 4))
    previous = mc.families.FixedDesignParams(np.array([[0.5, 0.0, 1.0]] * 4))
    y_synth = fam.sample(previous, 20, _rng(2, 4))
    w = 0.618
    fit = fam.fit([fam.statistics(y_real), fam.statistics(y_synth)], [w, 1 - w])
    for i in range(4):
        mixed = w * y_real[i] + (1 - w) * y_synth[i]
        np.testing.assert_allclose(fit.beta[i], np.linalg.lstsq(x, mixed, rcond=None)[0])
    # Pooling two data sets stacks the design twice: the OLS of the stacked problem.
    both = fam.pool(fam.statistics(y_real), fam.statistics(y_synth))
    stacked = np.linalg.lstsq(np.vstack([x, x]), np.hstack([y_real[0], y_synth[0]]), rcond=None)
    np.testing.assert_allclose(fam.fit([both], [1.0]).beta[0], stacked[0])


def test_fixed_design_exact_engine_is_the_normal_law():
    """Exact and sample engines: beta_hat ~ N(beta, sigma2 (X'X)^-1), mean and covariance."""
    fam = _fixed()
    r = 20000
    truth = fam.broadcast(fam.truth(), r)
    cov = fam.sigma2 * fam.gram_inverse
    for engine, seed in (("exact", 1), ("sample", 2)):
        beta = fam.fit([fam.draw(truth, 20, _rng(seed, r), engine)], [1.0]).beta
        dev = beta - fam.beta
        for j in range(3):
            assert z_within(dev[:, j].mean(), 0.0, _se(dev[:, j])), (engine, j)
            # Standardised: N(0, 1), so squares have mean 1 (KS against the normal too).
            z = dev[:, j] / np.sqrt(cov[j, j])
            assert z_within((z**2).mean(), 1.0, _se(z**2)), (engine, j)
            assert stats.kstest(z, "norm").pvalue > 1e-3, (engine, j)
        prod = dev[:, 0] * dev[:, 1]
        assert z_within(prod.mean(), cov[0, 1], _se(prod)), engine


@pytest.mark.parametrize(("engine", "replications"), [("exact", 40000), ("sample", 8000)])
def test_fixed_design_weighted_recursion(engine, replications):
    """e_t = (1-w)^2 e_{t-1} + (C/n)(w^2 + k(1-w)^2), e_0 = C/n, C = sigma2 tr((X'X/n)^-1),
    k = n/m = 1: exact for the fixed design."""
    fam = _fixed()
    n, w, generations = fam.n, 0.3, 12
    res = mc.simulate(
        fam,
        n0=n,
        schedule=n,
        n_real=n,
        weight=w,
        generations=generations,
        replications=replications,
        seed=5,
        engine=engine,
    )
    c = fam.error_constant()
    assert c == pytest.approx(fam.sigma2 * np.trace(np.linalg.inv(fam.design_.T @ fam.design_ / n)))
    e = [c / n]
    for _ in range(generations):
        e.append((1 - w) ** 2 * e[-1] + c / n * (w**2 + (1 - w) ** 2))
    err = res.values("param_error")
    for t in (0, 1, 4, generations):
        assert z_within(err[:, t].mean(), e[t], _se(err[:, t])), t


def test_fixed_design_fully_synthetic_error_grows_linearly():
    """E|beta_t - beta|^2 = (t + 1) sigma2 tr((X'X)^-1)."""
    fam = _fixed()
    res = mc.simulate(fam, n0=20, schedule=20, generations=10, replications=20000, seed=8)
    err = res.values("param_error")
    step = fam.sigma2 * np.trace(fam.gram_inverse)
    for t in (0, 5, 10):
        assert z_within(err[:, t].mean(), (t + 1) * step, _se(err[:, t])), t


def test_fixed_design_sizes_must_match_the_design():
    fam = _fixed()
    with pytest.raises(mc.InvalidArgumentError, match="^n: must equal the design's 20 rows"):
        mc.simulate(fam, n0=20, schedule=21, generations=2, replications=5, seed=0)
    with pytest.raises(mc.InvalidArgumentError, match="^n: must equal the design's 20 rows"):
        fam.sample(fam.broadcast(fam.truth(), 2), 19, _rng(0, 2))
    with pytest.raises(mc.InvalidArgumentError, match="^n: must equal the design's 20 rows"):
        fam.draw(fam.broadcast(fam.truth(), 2), 40, _rng(0, 2), "sample")
    with pytest.raises(mc.InvalidArgumentError, match="^n0: must be an integer >= 20"):
        mc.simulate(fam, n0=10, schedule=20, generations=1, replications=5)
    with pytest.raises(mc.InvalidArgumentError, match="^data: must have a multiple of"):
        fam.statistics(np.zeros((2, 30)))


def test_fixed_design_given_and_drawn():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
    fam = mc.LinearRegressionFixed(x, beta=[0.5, 2.0])
    np.testing.assert_array_equal(fam.design, x)
    assert fam.describe()["design"] == x.tolist()
    assert fam.min_sample_size == fam.fixed_sample_size == 4
    # The drawn design depends only on the seed.
    a = mc.LinearRegressionFixed(beta=1.0, dim=2, n=7, seed=3, cov=[[2.0, 0.5], [0.5, 1.0]])
    b = mc.make_family("linear-fixed", beta=1.0, dim=2, n=7, seed=3, cov=[[2.0, 0.5], [0.5, 1.0]])
    np.testing.assert_array_equal(a.design_, b.design_)
    assert not np.array_equal(a.design_, mc.LinearRegressionFixed(beta=[1, 1], n=7, seed=4).design_)
    # A drawn design is described by its rows, covariance and seed, not the matrix.
    assert a.design is None and a.describe()["design"] is None and a.describe()["seed"] == 3


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"design": [[1.0, 2.0], [2.0, 4.0]], "beta": [1, 1]}, "^design: must have full column"),
        ({"design": [[1.0, 2.0]], "beta": [1, 1]}, "^design: must have at least p=2 rows"),
        ({"design": [1.0, 2.0], "beta": [1, 1]}, "^design: must be an n x 2 matrix"),
        ({"design": [[1.0, 0.0]], "beta": [1]}, "^design: must be an n x 1 matrix"),
        ({"design": np.eye(2), "beta": [1, 1], "n": 5}, "^n: applies only to a drawn design"),
        ({"beta": [1.0, 2.0], "n": 1}, "^n: must be an integer >= 2"),
        ({"beta": [[1.0]]}, "^beta: must be a number or a vector"),
        ({"beta": [1.0, np.nan]}, "^beta: must contain only finite numbers"),
        ({"beta": [1.0, 2.0], "dim": 3}, "^beta: must have dim=3 coefficients"),
        ({"sigma2": 0.0}, "^sigma2: must lie in \\(0, inf\\]"),
        ({"seed": -1}, "^seed: must be an integer >= 0"),
        ({"cov": -1.0}, "^cov: must be positive"),
    ],
)
def test_fixed_design_bad_input(kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.LinearRegressionFixed(**kwargs)


# -- random design ----------------------------------------------------------------------------
def test_random_design_weighted_least_squares():
    """(sum_j w_j X_j'X_j/n_j)^-1 sum_j w_j X_j'y_j/n_j, against lstsq with row weights."""
    fam = mc.LinearRegressionRandom(beta=[1.0, 2.0], cov=SIGMA, synthetic_cov=1.0)
    truth = fam.broadcast(fam.truth(), 3)
    model = RegressionParams(np.array([[0.0, 1.0]] * 3), "synthetic")
    real = fam.sample(truth, 9, _rng(1, 3))
    synth = fam.sample(model, 14, _rng(2, 3))
    w = 0.4
    fit = fam.fit([fam.statistics(real), fam.statistics(synth)], [w, 1 - w])
    assert fit.covariates == "synthetic"
    for i in range(3):
        data = np.vstack([real[i], synth[i]])
        root = np.sqrt(np.concatenate([np.full(9, w / 9), np.full(14, (1 - w) / 14)]))
        expected = np.linalg.lstsq(data[:, :2] * root[:, None], data[:, 2] * root, rcond=None)[0]
        np.testing.assert_allclose(fit.beta[i], expected, rtol=1e-10)


def test_real_and_synthetic_covariate_laws():
    """The truth draws covariates from cov, a fitted model from synthetic_cov (Figure 7's
    N(0, I/p) real and N(0, I_p) synthetic)."""
    p = 4
    fam = mc.LinearRegressionRandom(beta=1.0, dim=p, cov=1 / p, synthetic_cov=1.0)
    r, n = 2000, 50
    truth = fam.broadcast(fam.truth(), r)
    model = fam.fit([fam.draw(truth, n, _rng(1, r), "sample")], [1.0])
    assert fam.truth().covariates == "real" and model.covariates == "synthetic"
    for params, expected in ((truth, np.eye(p) / p), (model, np.eye(p))):
        for engine, seed in (("exact", 2), ("sample", 3)):
            xtx = fam.draw(params, n, _rng(seed, r), engine).xtx / n
            for i, j in ((0, 0), (1, 1), (0, 1)):
                v = xtx[:, i, j]
                assert z_within(v.mean(), expected[i, j], _se(v)), (engine, i, j)
    # Same law for both sources by default.
    same = mc.LinearRegressionRandom(beta=[1.0, 1.0], cov=SIGMA)
    assert same.law(same.truth()) is same.law(RegressionParams(np.zeros(2), "synthetic"))
    with pytest.raises(mc.InvalidArgumentError, match="^covariates: must be one of real, synth"):
        same.law(RegressionParams(np.zeros(2), "fake"))


def test_random_design_exact_engine_wishart_moments():
    """E X'X = n Sigma, Var (X'X)_ij = n (Sigma_ij^2 + Sigma_ii Sigma_jj), E X'y = n Sigma beta,
    in both engines."""
    fam = mc.LinearRegressionRandom(beta=[1.0, -2.0], cov=SIGMA, sigma2=0.5)
    r, n = 20000, 6
    truth = fam.broadcast(fam.truth(), r)
    for engine, seed in (("exact", 1), ("sample", 2)):
        s = fam.draw(truth, n, _rng(seed, r), engine)
        for i, j in ((0, 0), (0, 1), (1, 1)):
            v = s.xtx[:, i, j]
            assert z_within(v.mean(), n * SIGMA[i, j], _se(v)), (engine, i, j)
            dev2 = (v - n * SIGMA[i, j]) ** 2
            var = n * (SIGMA[i, j] ** 2 + SIGMA[i, i] * SIGMA[j, j])
            assert z_within(dev2.mean(), var, _se(dev2)), (engine, i, j)
        xty = s.xty[:, 0]
        assert z_within(xty.mean(), n * (SIGMA @ fam.beta)[0], _se(xty)), engine


@pytest.mark.parametrize(("engine", "replications"), [("exact", 40000), ("sample", 10000)])
def test_random_design_one_step_error_is_exact(engine, replications):
    """E|beta_hat - beta|^2 = sigma2 tr(Sigma^-1) / (n - p - 1) for a Gaussian design."""
    fam = mc.LinearRegressionRandom(beta=[1.0, -2.0], cov=SIGMA, sigma2=1.5)
    n = 8
    res = mc.simulate(
        fam, n0=n, schedule=n, generations=0, replications=replications, seed=3, engine=engine
    )
    err = res.values("param_error")[:, 0]
    expected = 1.5 * np.trace(np.linalg.inv(SIGMA)) / (n - 2 - 1)
    assert z_within(err.mean(), expected, _se(err))


def test_random_design_fully_synthetic_growth():
    """The increments beta_t - beta_{t-1} are uncorrelated with mean 0, so E|beta_t - beta|^2 =
    sigma2 tr(Sigma_real^-1)/(n0 - p - 1) + t sigma2 tr(Sigma_synth^-1)/(n - p - 1) exactly;
    with N(0, I_p) synthetic covariates the growth is sigma2 p / (n - p - 1) per generation."""
    p, n0, n, generations = 4, 30, 12, 8
    fam = mc.LinearRegressionRandom(beta=1.0, dim=p, cov=1 / p, synthetic_cov=1.0)
    res = mc.simulate(fam, n0=n0, schedule=n, generations=generations, replications=30000, seed=6)
    err = res.values("param_error")
    for t in (0, 1, 4, generations):
        expected = p * p / (n0 - p - 1) + t * p / (n - p - 1)
        assert z_within(err[:, t].mean(), expected, _se(err[:, t])), t


def test_random_design_asymptotic_hooks_and_engine():
    fam = mc.LinearRegressionRandom(beta=[1.0, -2.0], cov=SIGMA, synthetic_cov=2.0, sigma2=3.0)
    v_real = fam.asymptotic_covariance(fam.broadcast(fam.truth(), 2))
    np.testing.assert_allclose(v_real, np.broadcast_to(3.0 * np.linalg.inv(SIGMA), (2, 2, 2)))
    synth = RegressionParams(np.zeros((2, 2)), "synthetic")
    np.testing.assert_allclose(fam.asymptotic_covariance(synth)[0], 1.5 * np.eye(2))
    np.testing.assert_allclose(fam.fisher_information(synth)[0], 2.0 / 3.0 * np.eye(2))
    assert fam.error_constant() == pytest.approx(3.0 * np.trace(np.linalg.inv(SIGMA)))
    assert fam.error_constant("synthetic") == pytest.approx(3.0)
    # Large n: the asymptotic engine's weighted recursion agrees with the exact engine.
    common = {
        "n0": 2000,
        "schedule": 1000,
        "n_real": 2000,
        "weight": 0.5,
        "generations": 4,
        "replications": 8000,
        "record": "final",
    }
    a = mc.simulate(fam, engine="asymptotic", seed=1, **common).values("param_error")[:, -1]
    b = mc.simulate(fam, engine="exact", seed=2, **common).values("param_error")[:, -1]
    assert z_within(a.mean(), b.mean(), np.hypot(_se(a), _se(b)))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"cov": [[1.0, 2.0], [2.0, 1.0]]}, "^cov: must be positive definite"),
        ({"cov": [[1.0, 0.5], [0.0, 1.0]]}, "^cov: must be symmetric"),
        ({"cov": np.eye(3)}, "^cov: must be a number or a 2x2 matrix"),
        ({"synthetic_cov": 0.0}, "^synthetic_cov: must be positive"),
        ({"sigma2": -1.0}, "^sigma2: must lie in"),
        ({"beta": []}, "^beta: must be a number or a vector of p >= 1"),
        ({"beta": 1.0, "dim": 0}, "^dim: must be an integer >= 1"),
    ],
)
def test_random_design_bad_input(kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.LinearRegressionRandom(**kwargs)
