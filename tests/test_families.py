"""The family conformance suite: every family passes these, whatever its model."""

import numpy as np
import pytest
from scipy import stats

import modelcollapse as mc
from modelcollapse.families import make_family
from modelcollapse.families.gaussian import GaussianStats
from modelcollapse.random import ReplicationRandom

R = 4000


def _rng(seed=0, size=R):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def test_protocol(family):
    assert isinstance(family, mc.families.Family)
    assert family.min_sample_size >= 1
    assert "exact" in family.engines and "sample" in family.engines
    desc = family.describe()
    assert desc["family"] == family.name


@pytest.mark.parametrize("engine", ["exact", "sample"])
def test_draw_and_fit_shapes(family, engine):
    truth = family.broadcast(family.truth(), 7)
    s = family.draw(truth, 12, _rng(size=7), engine)
    fit = family.fit([s], [1.0])
    flat = family.flatten(fit)
    assert flat.shape == (7, len(family.param_labels))
    assert np.all(np.isfinite(flat))
    back = family.flatten(family.unflatten(flat))
    assert np.array_equal(back, flat)


def test_flatten_keeps_extra_batch_axes(family):
    truth = family.broadcast(family.truth(), 6)
    flat = family.flatten(truth).reshape(2, 3, -1)
    assert family.flatten(family.unflatten(flat)).shape == flat.shape


def test_same_seed_same_draws(family):
    truth = family.broadcast(family.truth(), 50)
    a = family.flatten(family.fit([family.draw(truth, 20, _rng(3, 50), "exact")], [1.0]))
    b = family.flatten(family.fit([family.draw(truth, 20, _rng(3, 50), "exact")], [1.0]))
    c = family.flatten(family.fit([family.draw(truth, 20, _rng(4, 50), "exact")], [1.0]))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_exact_and_sample_draws_agree_in_distribution(family):
    """Each fitted coordinate from one draw: exact against sample engine, two-sample KS."""
    truth = family.broadcast(family.truth(), R)
    n = 15
    fit_exact = family.flatten(family.fit([family.draw(truth, n, _rng(1), "exact")], [1.0]))
    fit_sample = family.flatten(family.fit([family.draw(truth, n, _rng(2), "sample")], [1.0]))
    for j, label in enumerate(family.param_labels):
        p = stats.ks_2samp(fit_exact[:, j], fit_sample[:, j]).pvalue
        assert p > 1e-3, (label, p)


def test_pool_equals_statistics_of_the_union(family):
    """Pooling the statistics of two samples gives the statistics of the concatenated data."""
    rng = np.random.default_rng(0)
    d = getattr(family, "dim", 1)
    a = rng.normal(size=(5, 9, d))
    b = rng.normal(size=(5, 4, d)) + 2.0

    def suff(x):
        m = x.mean(axis=1)
        c = x - m[:, None, :]
        scatter = np.einsum("rni,rnj->rij", c, c)
        if d == 1:
            return GaussianStats(x.shape[1], m[:, 0], scatter[:, 0, 0])
        return GaussianStats(x.shape[1], m, scatter)

    pooled = family.pool(suff(a), suff(b))
    union = suff(np.concatenate([a, b], axis=1))
    assert pooled.count == union.count == 13
    np.testing.assert_allclose(pooled.mean, union.mean, rtol=1e-12)
    np.testing.assert_allclose(pooled.scatter, union.scatter, rtol=1e-12)


def test_weighted_fit_is_linear_in_the_means(family):
    truth = family.broadcast(family.truth(), 30)
    s1 = family.draw(truth, 10, _rng(5, 30), "exact")
    s2 = family.draw(truth, 40, _rng(6, 30), "exact")
    w = 0.3
    fit = family.fit([s1, s2], [w, 1 - w])
    np.testing.assert_allclose(fit.mean, w * s1.mean + (1 - w) * s2.mean)
    # Weight one on a source reproduces the single-source fit; zero weights are ignored.
    only = family.fit([s1, s2], [1.0, 0.0])
    np.testing.assert_array_equal(family.flatten(only), family.flatten(family.fit([s1], [1.0])))


def test_fit_needs_a_positive_weight(family):
    truth = family.broadcast(family.truth(), 3)
    s = family.draw(truth, 10, _rng(size=3), "exact")
    with pytest.raises(mc.InvalidArgumentError, match="weights"):
        family.fit([s], [0.0])


def test_unknown_engine(family):
    truth = family.broadcast(family.truth(), 3)
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be one of exact, sample"):
        family.draw(truth, 10, _rng(size=3), "magic")


def test_convex_and_pooled_covariance_conventions():
    """Pooled adds w(1-w)(xbar_r - xbar_s)^2 to the convex combination for two sources."""
    rng = _rng(9, 100)
    convex = mc.Gaussian(variance="mle", combine="convex")
    pooled = mc.Gaussian(variance="mle", combine="pooled")
    truth = convex.broadcast(convex.truth(), 100)
    s1 = convex.draw(truth, 20, rng, "exact")
    s2 = convex.draw(truth, 50, rng, "exact")
    w = 0.618
    diff = pooled.fit([s1, s2], [w, 1 - w]).cov - convex.fit([s1, s2], [w, 1 - w]).cov
    np.testing.assert_allclose(diff, w * (1 - w) * (s1.mean - s2.mean) ** 2)
    # With weights proportional to the sizes, pooled MLE equals the MLE of the union.
    union = convex.pool(s1, s2)
    wp = 20 / 70
    np.testing.assert_allclose(pooled.fit([s1, s2], [wp, 1 - wp]).cov, union.scatter / 70)


def test_one_dimensional_multivariate_matches_gaussian():
    uni = mc.Gaussian(mu=0.3, sigma2=2.0, variance="mle")
    multi = mc.MultivariateGaussian([0.3], [[2.0]], variance="mle")
    res_u = mc.simulate(uni, n0=10, schedule=10, generations=5, replications=200, seed=1)
    res_m = mc.simulate(multi, n0=10, schedule=10, generations=5, replications=200, seed=1)
    np.testing.assert_allclose(res_u.values("kl"), res_m.values("kl"), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res_u.values("risk"), res_m.values("risk"), rtol=1e-9)
    np.testing.assert_allclose(res_u.values("sigma2"), res_m.values("sigma2"), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"sigma2": 0.0}, "^sigma2: must lie in \\(0, inf\\]"),
        ({"sigma2": -1.0}, "^sigma2: must lie in"),
        ({"mu": float("nan")}, "^mu: must be finite"),
        ({"variance": "biased"}, "^variance: must be one of unbiased, mle"),
        ({"combine": "mix"}, "^combine: must be one of convex, pooled"),
    ],
)
def test_gaussian_bad_input(kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Gaussian(**kwargs)


@pytest.mark.parametrize(
    ("mean", "cov", "fragment"),
    [
        ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "^cov: must be positive definite"),
        ([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], "^cov: must be symmetric"),
        ([0.0, 0.0], [[1.0]], "^cov: must be a 2x2 matrix"),
        ([[0.0]], [[1.0]], "^mean: must be a vector"),
        ([0.0, np.inf], np.eye(2), "^mean: must contain only finite numbers"),
    ],
)
def test_multivariate_bad_input(mean, cov, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.MultivariateGaussian(mean, cov)


def test_make_family():
    assert isinstance(make_family("gaussian"), mc.Gaussian)
    fam = make_family("gaussian", dim=2, sigma2=3.0)
    np.testing.assert_array_equal(fam.truth().cov, 3.0 * np.eye(2))
    assert fam.min_sample_size == 3
    with pytest.raises(mc.InvalidArgumentError, match="^family: must be one of gaussian"):
        make_family("poisson")
    with pytest.raises(mc.InvalidArgumentError, match="^dim: must be an integer >= 1"):
        make_family("gaussian", dim=0)
