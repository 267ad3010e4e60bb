"""The family conformance suite: every family passes these, whatever its model."""

import dataclasses
import json

import numpy as np
import pytest
from conftest import FAMILY_CASES
from scipy import stats

import modelcollapse as mc
from modelcollapse.families import FAMILY_NAMES, AsymptoticFamily, make_family
from modelcollapse.families.asymptotic import supports_asymptotic
from modelcollapse.random import ReplicationRandom

R = 4000


def _cases_where(keep):
    """The conformance cases (by name) whose family satisfies ``keep``: tests of a feature only
    some families have run over those families, instead of skipping the others."""
    return [name for name in sorted(FAMILY_CASES) if keep(FAMILY_CASES[name]())]


#: (case, engine) for every engine each family has: no test is made for an engine it lacks.
ENGINE_CASES = [
    pytest.param(name, engine, id=f"{name}-{engine}")
    for name in sorted(FAMILY_CASES)
    for engine in FAMILY_CASES[name]().engines
]
#: Cases with an exact engine, and those of them that accept any sample size.
EXACT_CASES = _cases_where(lambda f: "exact" in f.engines)
EXACT_ANY_SIZE_CASES = _cases_where(
    lambda f: "exact" in f.engines and getattr(f, "fixed_sample_size", None) is None
)
#: Cases with an asymptotic covariance V(theta).
COVARIANCE_CASES = _cases_where(lambda f: hasattr(f, "asymptotic_covariance"))


def _rng(seed=0, size=R):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _data_engine(family):
    return "exact" if "exact" in family.engines else "sample"


def _n(family, n):
    """``n``, or the one sample size a family accepts (a fixed design has one response per row)."""
    fixed = getattr(family, "fixed_sample_size", None)
    return n if fixed is None else fixed


def _parametric(family):
    """Whether the family has a fixed parameter vector (a nonparametric one does not)."""
    return getattr(family, "record_params", True)


def _fields(record):
    """The statistics of a record, without its hints (fields that only speed a fit up, such as
    the coefficients a GLM's data were drawn from, which data given to ``statistics`` lack)."""
    hints = getattr(type(record), "hints", ())
    return {
        f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in hints
    }


def _comparable(family, params, probe):
    """What two fits are compared by: the flattened parameters, or, for a nonparametric family
    (whose representation depends on the order of its sources), its CDF at the probe points
    (equal distributions give equal values)."""
    return family.flatten(params) if _parametric(family) else family.cdf(params, probe)


def test_protocol(family):
    assert isinstance(family, mc.families.Family)
    assert family.min_sample_size >= 1
    assert "sample" in family.engines
    assert set(family.engines) <= set(mc.ENGINES)
    assert ("asymptotic" in family.engines) == supports_asymptotic(family)
    desc = family.describe()
    assert desc["family"] == family.name
    # A generic family names itself ("scipy:weibull_min", "logdensity"); the others are registered.
    assert family.name in FAMILY_NAMES + mc.families.TABLE_FAMILY_NAMES or isinstance(
        family, mc.LogDensityFamily
    )
    json.dumps(desc)


def test_engine_cases_cover_every_family_and_engine():
    """The engine-parametrised tests run each family with each of its engines, and only those."""
    pairs = {tuple(p.values) for p in ENGINE_CASES}
    assert {name for name, _ in pairs} == set(FAMILY_CASES)
    for name, make in FAMILY_CASES.items():
        family = make()
        assert {e for n, e in pairs if n == name} == set(family.engines)
        assert (name in EXACT_CASES) == ("exact" in family.engines)
        assert (name in COVARIANCE_CASES) == hasattr(family, "asymptotic_covariance")
    assert EXACT_CASES and COVARIANCE_CASES and set(EXACT_ANY_SIZE_CASES) < set(EXACT_CASES)


@pytest.mark.parametrize(("case", "engine"), ENGINE_CASES)
def test_draw_and_fit_shapes(case, engine):
    family = FAMILY_CASES[case]()
    stepper = AsymptoticFamily(family) if engine == "asymptotic" else family
    truth = stepper.broadcast(family.truth(), 7)
    s = stepper.draw(truth, _n(family, 12), _rng(size=7), engine)
    fit = stepper.fit([s], [1.0])
    flat = family.flatten(fit)
    if _parametric(family):
        assert flat.shape == (7, len(family.param_labels))
    else:  # atoms and masses: as many as there are points
        assert flat.shape == (7, 2 * _n(family, 12))
    assert np.all(np.isfinite(flat))
    back = family.flatten(family.unflatten(flat))
    assert np.array_equal(back, flat)


def test_flatten_keeps_extra_batch_axes(family):
    truth = family.broadcast(family.truth(), 6)
    fit = family.fit([family.draw(truth, _n(family, 8), _rng(size=6), _data_engine(family))], [1])
    for params in (truth, fit):
        flat = family.flatten(params)
        if flat.shape[-1] == 0:  # a nonparametric truth has no parameters
            continue
        flat = flat.reshape(2, 3, -1)
        assert family.flatten(family.unflatten(flat)).shape == flat.shape


def test_same_seed_same_draws(family):
    engine = _data_engine(family)
    truth = family.broadcast(family.truth(), 50)
    n = _n(family, 20)
    a = family.flatten(family.fit([family.draw(truth, n, _rng(3, 50), engine)], [1.0]))
    b = family.flatten(family.fit([family.draw(truth, n, _rng(3, 50), engine)], [1.0]))
    c = family.flatten(family.fit([family.draw(truth, n, _rng(4, 50), engine)], [1.0]))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(("case", "engine"), ENGINE_CASES)
def test_same_seed_same_result_whatever_the_chunk_size(case, engine):
    """Every random draw is filled block by block, so chunking never changes a replication."""
    family = FAMILY_CASES[case]()
    n = getattr(family, "fixed_sample_size", None)
    sizes = {"n0": 6, "schedule": "list:5,9,6"} if n is None else {"n0": n, "schedule": n}
    args = {**sizes, "generations": 3, "replications": 2100}
    a = mc.simulate(family, seed=13, engine=engine, chunk_size=1024, **args)
    b = mc.simulate(family, seed=13, engine=engine, chunk_size=4096, **args)
    assert (a.flat_params is None) == (not _parametric(family))
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    for name in a.metric_names:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name], err_msg=name)


@pytest.mark.parametrize("case", EXACT_ANY_SIZE_CASES)
def test_exact_engine_at_huge_sample_sizes(case):
    """A generation costs the same at n = 10^15, and the fit is the truth to ~1e-7."""
    family = FAMILY_CASES[case]()
    n = 10**15
    res = mc.simulate(family, n0=n, schedule=n, generations=3, replications=64, seed=0)
    flat = res.flat_params
    assert np.all(np.isfinite(flat))
    truth = family.flatten(family.truth())
    assert np.abs(flat - truth).max() < 1e-6 * max(1.0, np.abs(truth).max())


@pytest.mark.parametrize("case", EXACT_CASES)
def test_exact_and_sample_draws_agree_in_distribution(case):
    """Each fitted coordinate from one draw: exact against sample engine, two-sample KS."""
    family = FAMILY_CASES[case]()
    truth = family.broadcast(family.truth(), R)
    n = _n(family, 15)
    fit_exact = family.flatten(family.fit([family.draw(truth, n, _rng(1), "exact")], [1.0]))
    fit_sample = family.flatten(family.fit([family.draw(truth, n, _rng(2), "sample")], [1.0]))
    for j, label in enumerate(family.param_labels):
        p = stats.ks_2samp(fit_exact[:, j], fit_sample[:, j]).pvalue
        assert p > 1e-3, (label, p)


def test_sample_engine_is_statistics_of_sampled_data(family):
    """Below one piece, the sample engine reduces exactly the points ``sample`` returns."""
    truth = family.broadcast(family.truth(), 9)
    n = _n(family, 30)
    drawn = family.draw(truth, n, _rng(7, 9), "sample")
    data = family.sample(truth, n, _rng(7, 9))
    assert data.shape[:2] == (9, n)
    reduced = family.statistics(data)
    # The cdf family holds points as levels F(x): data come back through F(F^-1(u)), exact up
    # to rounding.
    rtol = 1e-13 if family.name == "cdf" else 0.0
    for name, value in _fields(drawn).items():
        np.testing.assert_allclose(value, _fields(reduced)[name], rtol=rtol, atol=0, err_msg=name)
    # Hints (if any) change the fit by rounding at most.
    np.testing.assert_allclose(
        family.flatten(family.fit([drawn], [1.0])),
        family.flatten(family.fit([reduced], [1.0])),
        rtol=1e-9,
        atol=1e-12,
    )


def test_pool_equals_statistics_of_the_union(family):
    """Pooling the statistics of two samples gives the statistics of the concatenated data."""
    truth = family.broadcast(family.truth(), 5)
    na, nb = _n(family, 9), _n(family, 4)
    a = family.sample(truth, na, _rng(11, 5))
    b = family.sample(truth, nb, _rng(12, 5))
    kept = a.copy()
    pooled = family.pool(family.statistics(a), family.statistics(b))
    np.testing.assert_array_equal(a, kept)  # statistics never modify the caller's data
    union = family.statistics(np.concatenate([a, b], axis=1))
    assert pooled.count == union.count == na + nb
    for name, value in _fields(union).items():
        np.testing.assert_allclose(_fields(pooled)[name], value, rtol=1e-12, err_msg=name)


def test_statistics_reject_badly_shaped_data(family):
    truth = family.broadcast(family.truth(), 3)
    data = family.sample(truth, _n(family, 4), _rng(size=3))
    for bad in (data[0], data[:, :0], np.stack([data, data], axis=-1)):
        with pytest.raises(mc.InvalidArgumentError, match="^data: must be"):
            family.statistics(bad)
    with_nan = data.astype(float)
    with_nan[0, 1] = np.nan
    with pytest.raises(mc.InvalidArgumentError, match="^data: must contain only finite numbers"):
        family.statistics(with_nan)


def test_weighted_fit_is_a_weighting_of_the_sources(family):
    """Family-agnostic properties of the weighted fit; each family's formula is in its tests."""
    engine = _data_engine(family)
    truth = family.broadcast(family.truth(), 30)
    s1 = family.draw(truth, _n(family, 10), _rng(5, 30), engine)
    s2 = family.draw(truth, _n(family, 40), _rng(6, 30), engine)
    probe = family.sample(truth, 40, _rng(8, 30)) if not _parametric(family) else None

    def summary(sources, weights):
        return _comparable(family, family.fit(sources, weights), probe)

    w = 0.3
    fit = summary([s1, s2], [w, 1 - w])
    assert np.all(np.isfinite(fit))
    # The order of the sources does not matter.
    np.testing.assert_allclose(summary([s2, s1], [1 - w, w]), fit, rtol=1e-12)
    # Weight one on a source reproduces the single-source fit; zero weights are ignored.
    np.testing.assert_array_equal(summary([s1, s2], [1.0, 0.0]), summary([s1], [1.0]))
    # Two copies of one source, however weighted, give that source's fit (not so under
    # scikit-learn's penalty convention: the penalty is relative to the total number of points,
    # and two copies are twice as many).
    if getattr(family, "penalty", "none") == "none":
        np.testing.assert_allclose(summary([s1, s1], [w, 1 - w]), summary([s1], [1.0]), rtol=1e-10)
    # The weighting moves the fit: it is not one of the single-source fits.
    assert not np.allclose(fit, summary([s2], [1.0]))


def test_fitted_mean_is_the_weighted_mean_of_the_sources():
    """For the weighted MLE families, the fitted distribution mean is sum_j w_j xbar_j."""
    for family in (
        mc.Gaussian(mu=0.5, sigma2=2.0, variance="mle", combine="pooled"),
        mc.MultivariateGaussian.isotropic(2, mu=1.0, variance="unbiased"),
        mc.ExponentialDistribution(rate=2.0, estimator="mle"),
        mc.Poisson(lam=3.0),
        mc.Bernoulli(p=0.3),
        mc.Categorical([0.2, 0.3, 0.5]),
        mc.GammaDistribution(shape=2.0, rate=3.0),
    ):
        truth = family.broadcast(family.truth(), 30)
        s1 = family.draw(truth, 10, _rng(5, 30), "sample")
        s2 = family.draw(truth, 40, _rng(6, 30), "sample")
        w = 0.3
        expected = w * family.mean(family.fit([s1], [1.0])) + (1 - w) * family.mean(
            family.fit([s2], [1.0])
        )
        got = family.mean(family.fit([s1, s2], [w, 1 - w]))
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=family.name)


def test_fit_needs_a_positive_weight(family):
    truth = family.broadcast(family.truth(), 3)
    s = family.draw(truth, _n(family, 10), _rng(size=3), _data_engine(family))
    with pytest.raises(mc.InvalidArgumentError, match="weights"):
        family.fit([s], [0.0])


def test_unknown_engine(family):
    truth = family.broadcast(family.truth(), 3)
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be one of (exact, )?sample"):
        family.draw(truth, 10, _rng(size=3), "magic")
    if "asymptotic" in family.engines:
        with pytest.raises(mc.InvalidArgumentError, match="AsymptoticFamily"):
            family.draw(truth, 10, _rng(size=3), "asymptotic")


@pytest.mark.parametrize("case", COVARIANCE_CASES)
def test_asymptotic_covariance_inverts_the_fisher_information(case):
    family = FAMILY_CASES[case]()
    truth = family.broadcast(family.truth(), 2)
    cov = family.asymptotic_covariance(truth)
    p = len(family.param_labels)
    assert cov.shape == (2, p, p)
    np.testing.assert_allclose(cov, np.swapaxes(cov, -1, -2), rtol=1e-12)
    assert np.linalg.eigvalsh(cov).min() > -1e-12
    if getattr(family, "real_data_misspecified", False):
        # The truth's covariance is a sandwich; a fitted model's is the inverse information.
        truth = dataclasses.replace(truth, covariates="synthetic")
        cov = family.asymptotic_covariance(truth)
    if hasattr(family, "fisher_information"):
        info = family.fisher_information(truth)
        np.testing.assert_allclose(cov @ info, np.broadcast_to(np.eye(p), cov.shape), atol=1e-10)


@pytest.mark.parametrize("case", COVARIANCE_CASES)
def test_asymptotic_covariance_is_the_covariance_of_the_estimate(case):
    """n Cov(theta_hat) from the sample engine at large n against V(theta), per coordinate."""
    family = FAMILY_CASES[case]()
    r, n = 2000, _n(family, 400)
    truth = family.broadcast(family.truth(), r)
    fit = family.flatten(family.fit([family.draw(truth, n, _rng(21, r), "sample")], [1.0]))
    v = np.diagonal(family.asymptotic_covariance(family.truth()))
    dev = fit - family.flatten(family.truth())
    scaled = n * dev**2
    # n E(theta_hat - theta)^2 = V (1 + O(1/n)): the O(1/n) terms (a few percent at n = 400) are
    # well inside the Monte Carlo tolerance, 4 sqrt(2/R) ~ 13% relative.
    se = scaled.std(axis=0, ddof=1) / np.sqrt(r)
    assert np.all(np.abs(scaled.mean(axis=0) - v) <= 4 * se), (scaled.mean(0), v)


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
    with pytest.raises(mc.InvalidArgumentError, match="^family: must be one of gaussian, "):
        make_family("weibull")
    with pytest.raises(mc.InvalidArgumentError, match="^dim: must be an integer >= 1"):
        make_family("gaussian", dim=0)


@pytest.mark.parametrize(
    ("name", "options", "cls", "described"),
    [
        ("exponential", {"rate": 2.0, "estimator": "unbiased"}, mc.ExponentialDistribution, {}),
        ("poisson", {"lam": 0.7}, mc.Poisson, {}),
        ("bernoulli", {"p": 0.2}, mc.Bernoulli, {}),
        ("categorical", {"p": [0.5, 0.5]}, mc.Categorical, {}),
        ("categorical", {"k": 5}, mc.Categorical, {"p": [0.2] * 5}),
        ("gamma", {"shape": 3.0, "rate": 0.5}, mc.GammaDistribution, {}),
        (
            "linear-fixed",
            {"beta": [1.0, 2.0], "n": 40, "sigma2": 2.0, "seed": 5},
            mc.LinearRegressionFixed,
            {"cov": [[1.0, 0.0], [0.0, 1.0]]},
        ),
        (
            "linear-random",
            {"beta": 1.0, "dim": 3, "cov": 0.5, "synthetic_cov": 1.0},
            mc.LinearRegressionRandom,
            {"beta": [1.0] * 3, "cov": (0.5 * np.eye(3)).tolist(), "synthetic_cov": np.eye(3)},
        ),
        (
            "logistic",
            {"beta": [0.5, -1.0], "penalty": "l2-sklearn"},
            mc.LogisticRegression,
            {"cov": np.eye(2), "synthetic_cov": None},
        ),
        ("poisson-regression", {"beta": [0.5], "clip": 10.0}, mc.PoissonRegression, {}),
        ("cdf", {"law": stats.expon()}, mc.EmpiricalCDF, {}),
    ],
)
def test_make_family_new_families(name, options, cls, described):
    fam = make_family(name, **options)
    assert type(fam) is cls and fam.name == name
    desc = fam.describe()
    json.dumps(desc)
    for key, value in {**options, **described}.items():
        if key == "law":
            assert desc[key]["name"] == value.dist.name
        elif key == "k":  # categorical's k is the factory's option: the family keeps p
            assert fam.k == value and "k" not in desc
        elif key in ("cov", "synthetic_cov") and np.ndim(value) == 0 and value is not None:
            continue  # a number c is described as the matrix c I
        elif value is None or isinstance(value, str):
            assert desc[key] == value, key
        else:
            np.testing.assert_allclose(desc[key], value, err_msg=key)
    assert set(FAMILY_NAMES) == {
        "gaussian",
        "exponential",
        "poisson",
        "bernoulli",
        "categorical",
        "gamma",
        "linear-fixed",
        "linear-random",
        "logistic",
        "poisson-regression",
        "cdf",
    }


@pytest.mark.parametrize(
    ("name", "options", "fragment"),
    [
        ("poisson", {"mu": 1.0}, "^options: the poisson family takes lam \\(got 'mu'\\)"),
        ("gamma", {"scale": 1.0}, "^options: the gamma family takes shape, rate"),
        ("gaussian", {"lam": 1.0}, "^options: the gaussian family takes dim, mu, sigma2"),
        ("categorical", {"p": [0.5, 0.5], "k": 2}, "^k: give either p or k"),
        ("categorical", {"k": 1}, "^k: must be an integer >= 2"),
        ("logistic", {"clip": 20.0}, "^options: the logistic family takes beta, dim, cov"),
        ("poisson-regression", {"penalty": "l2-sklearn"}, "^options: the poisson-regression"),
        ("linear-random", {"design": [[1.0]]}, "^options: the linear-random family takes beta"),
        ("cdf", {"loc": 1.0}, "^options: the cdf family takes law \\(got 'loc'\\)"),
        ("logistic", {"penalty": "l1"}, "^penalty: must be one of none, l2-sklearn"),
        ("cdf", {"law": "norm"}, "^law: must be a frozen scipy.stats continuous distribution"),
    ],
)
def test_make_family_bad_options(name, options, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        make_family(name, **options)
