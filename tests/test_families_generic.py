"""The generic families: ScipyFamily and LogDensityFamily against the built-in families and
against paper 1's first-order theory."""

import numpy as np
import pytest
from conftest import logistic_family
from scipy import stats
from scipy.special import polygamma

import modelcollapse as mc
from modelcollapse.random import ReplicationRandom
from modelcollapse.theory import paper1


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


# -- agreement with the built-in families ----------------------------------------------------
#: (built-in family, generic family, built-in flat -> generic flat)
BUILTIN = {
    "normal": (
        lambda: mc.Gaussian(mu=0.5, sigma2=4.0, variance="mle", combine="pooled"),
        lambda: mc.ScipyFamily("norm", loc=0.5, scale=2.0),
        lambda f: np.stack([f[:, 0], np.sqrt(f[:, 1])], axis=-1),
    ),
    "exponential": (
        lambda: mc.ExponentialDistribution(rate=0.5, estimator="mle"),
        lambda: mc.ScipyFamily(stats.expon, scale=2.0),
        lambda f: 1.0 / f,
    ),
    "poisson": (
        lambda: mc.Poisson(lam=3.5),
        lambda: mc.ScipyFamily("poisson", mu=3.5),
        lambda f: f,
    ),
    "gamma": (
        lambda: mc.GammaDistribution(shape=2.5, rate=1.5),
        lambda: mc.ScipyFamily("gamma", a=2.5, scale=1 / 1.5, fixed=("loc",)),
        lambda f: np.stack([f[:, 0], 1.0 / f[:, 1]], axis=-1),
    ),
    "bernoulli": (
        lambda: mc.Bernoulli(p=0.3),
        lambda: mc.ScipyFamily("bernoulli", p=0.3),
        lambda f: f,
    ),
}


@pytest.mark.parametrize("law", sorted(BUILTIN))
def test_fit_agrees_with_the_builtin_family_on_the_same_data(law):
    """One source and two weighted sources: the same weighted MLE to 1e-8."""
    make_builtin, make_generic, convert = BUILTIN[law]
    builtin, generic = make_builtin(), make_generic()
    r = 300
    truth = builtin.broadcast(builtin.truth(), r)
    a = builtin.sample(truth, 25, _rng(1, r))
    b = builtin.sample(truth, 60, _rng(2, r))
    for sources, weights in (([a], [1.0]), ([a, b], [0.3, 0.7])):
        expected = convert(
            builtin.flatten(builtin.fit([builtin.statistics(x) for x in sources], weights))
        )
        fit = generic.fit([generic.statistics(x) for x in sources], weights)
        got = generic.flatten(fit)
        # A Bernoulli fit of all zeros (p = 0) sits on the boundary: no interior MLE, flagged.
        inside = np.all((expected > 0) & (expected < 1), axis=-1) if law == "bernoulli" else True
        np.testing.assert_array_equal(fit.converged, inside)
        ok = np.broadcast_to(inside, (r,))
        assert ok.sum() > 0.9 * r
        err = np.abs(got[ok] - expected[ok]) / np.maximum(1.0, np.abs(expected[ok]))
        assert err.max() < 1e-8, (law, err.max())


def test_failed_fit_is_flagged_not_silent():
    """A Bernoulli sample of zeros has no interior MLE: fit_failed = 1, param_error = inf."""
    fam = mc.ScipyFamily("bernoulli", p=0.3)
    data = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
    fit = fam.fit([fam.statistics(data)], [1.0])
    assert fit.converged.tolist() == [False, True]
    metrics = mc.metrics.compute_metrics(fam, fit, ["fit_failed", "param_error"])
    assert metrics["fit_failed"].tolist() == [1.0, 0.0]
    assert np.isinf(metrics["param_error"][0]) and np.isfinite(metrics["param_error"][1])
    assert np.isnan(fam.flatten(fit)[0]).all()
    np.testing.assert_allclose(fam.flatten(fit)[1], [0.5], rtol=1e-9)


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        (mc.ScipyFamily("norm", loc=0.5, scale=2.0), np.diag([0.25, 0.5])),
        (mc.ScipyFamily("expon", scale=2.0), [[0.25]]),
        (mc.ScipyFamily("poisson", mu=3.5), [[1 / 3.5]]),
        (mc.ScipyFamily("bernoulli", p=0.3), [[1 / 0.21]]),
        (
            mc.ScipyFamily("gamma", a=2.5, scale=0.5),
            [[polygamma(1, 2.5), 2.0], [2.0, 2.5 / 0.25]],
        ),
        (mc.ScipyFamily("lognorm", s=0.5, scale=2.0), np.diag([8.0, 1.0])),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_fisher_information_matches_closed_forms(family, expected):
    info = family.fisher_information(family.truth())
    np.testing.assert_allclose(info, expected, rtol=1e-6, atol=1e-9)
    cov = family.asymptotic_covariance(family.broadcast(family.truth(), 3))
    np.testing.assert_allclose(cov[1] @ np.asarray(expected), np.eye(len(expected)), atol=1e-5)


def test_log_density_information_by_quadrature_and_monte_carlo():
    """Logistic: I = diag(1/3, (pi^2 + 3)/9) / b^2; quadrature to 1e-6, Monte Carlo within 5 SE."""
    expected = np.diag([1.0 / 3.0, (np.pi**2 + 3.0) / 9.0]) / 0.25
    quad = logistic_family(support=(-np.inf, np.inf))
    assert quad.information_method == "quadrature"
    info = quad.fisher_information(quad.truth())
    np.testing.assert_allclose(info, expected, rtol=1e-6, atol=1e-9)
    mcarlo = logistic_family()
    assert mcarlo.information_method == "monte-carlo"
    info = mcarlo.fisher_information(mcarlo.truth())
    se = mcarlo.information_standard_error(mcarlo.truth())
    assert np.all(se[[0, 1], [0, 1]] > 0)
    assert np.all(np.abs(info - expected) <= 5 * se + 1e-12)


def test_analytic_score_gives_the_same_fit():
    """A user's score replaces the finite differences: same estimate to 1e-8."""

    def logpdf(x, lam):
        return np.log(lam) - lam * x

    def score(x, lam):
        return {"lam": 1.0 / lam - x}

    def sampler(rng, size, lam):
        return rng.exponential(1.0 / lam, size)

    common = {"domains": {"lam": "positive"}, "support": (0.0, np.inf)}
    plain = mc.LogDensityFamily(logpdf, sampler, {"lam": 2.0}, **common)
    scored = mc.LogDensityFamily(logpdf, sampler, {"lam": 2.0}, score=score, **common)
    truth = plain.broadcast(plain.truth(), 200)
    data = plain.sample(truth, 30, _rng(3, 200))
    expected = 1.0 / data.mean(axis=1)
    for fam in (plain, scored):
        got = fam.flatten(fam.fit([fam.statistics(data)], [1.0]))[:, 0]
        np.testing.assert_allclose(got, expected, rtol=1e-8)
    np.testing.assert_allclose(scored.fisher_information(scored.truth()), [[0.25]], rtol=1e-6)


@pytest.mark.parametrize("law", ["normal", "gamma", "poisson"])
def test_simulation_agrees_in_distribution_with_the_builtin(law):
    """Fitted parameters after three generations: two-sample KS per coordinate."""
    make_builtin, make_generic, convert = BUILTIN[law]
    args = {"n0": 20, "schedule": 20, "generations": 3, "replications": 2000, "engine": "sample"}
    a = mc.simulate(make_builtin(), seed=1, **args)
    b = mc.simulate(make_generic(), seed=2, **args)
    fa = convert(a.flat_params[:, -1])
    fb = b.flat_params[:, -1]
    assert np.isfinite(fb).all()
    for j in range(fb.shape[1]):
        assert stats.ks_2samp(fa[:, j], fb[:, j]).pvalue > 1e-3


def test_draws_are_the_same_whatever_the_chunking():
    fam = mc.ScipyFamily("weibull_min", c=1.5, scale=2.0)
    args = {"n0": 10, "schedule": 8, "generations": 2, "replications": 1500, "seed": 4}
    a = mc.simulate(fam, chunk_size=1024, engine="sample", **args)
    b = mc.simulate(fam, chunk_size=2048, engine="sample", **args)
    np.testing.assert_array_equal(a.flat_params, b.flat_params)


def test_regimes_and_fresh_weighted_data_run_like_the_builtin():
    """Fresh real data with a weight, accumulate and anchor: the scipy exponential against the
    built-in MLE exponential, the mean of the final rate within 4 standard errors."""
    builtin = mc.ExponentialDistribution(rate=0.5, estimator="mle")
    generic = mc.ScipyFamily("expon", scale=2.0)
    base = {"n0": 30, "schedule": 30, "generations": 3, "replications": 1500, "engine": "sample"}
    for extra in (
        {"n_real": 10, "weight": 0.4},
        {"regime": "accumulate"},
        {"regime": "anchor:alpha=0.5"},
    ):
        a = mc.simulate(builtin, seed=5, **base, **extra)
        b = mc.simulate(generic, seed=6, **base, **extra)
        rate_a = a.flat_params[:, -1, 0]
        rate_b = 1.0 / b.flat_params[:, -1, 0]
        se = np.hypot(rate_a.std(), rate_b.std()) / np.sqrt(rate_a.size)
        assert abs(rate_a.mean() - rate_b.mean()) < 4 * se, extra
        assert b.values("fit_failed").max() == 0.0


def test_asymptotic_engine_and_theory_inflation():
    """The asymptotic engine runs on the numerical information; theory() offers 1 + r_t."""
    fam = mc.ScipyFamily("weibull_min", c=1.5, scale=2.0)
    res = mc.simulate(
        fam, n0=100, schedule=100, generations=4, replications=2000, seed=7, engine="asymptotic"
    )
    info = fam.fisher_information(fam.truth())
    dev = res.flat_params - fam.flatten(fam.truth())
    q = np.einsum("rti,ij,rtj->rt", dev, info, dev)  # chi^2_2 (1 + t) / n0 to first order
    expected = 2.0 * paper1.risk_inflation(100, [100] * 4) / 100
    se = q.std(axis=0) / np.sqrt(q.shape[0])
    assert np.all(np.abs(q.mean(axis=0) - expected) < 4 * se)
    assert "inflation" in res.theory()


# -- new laws against the first-order theory --------------------------------------------------
NEW_LAWS = {
    "weibull": lambda: mc.ScipyFamily("weibull_min", c=1.5, scale=2.0),
    "lognormal": lambda: mc.ScipyFamily("lognorm", s=0.5, scale=2.0),
    "beta": lambda: mc.ScipyFamily("beta", a=2.0, b=5.0),
    "negative-binomial": lambda: mc.ScipyFamily("nbinom", n=2.0, p=0.3),
}


def _information_norms(family, n, generations, replications, seed):
    """``n ||theta_t - theta*||^2_I`` per replication and generation (sample engine)."""
    res = mc.simulate(
        family,
        n0=n,
        schedule=n,
        generations=generations,
        replications=replications,
        seed=seed,
        engine="sample",
    )
    info = family.fisher_information(family.truth())
    dev = res.flat_params - family.flatten(family.truth())
    assert np.isfinite(dev).all()
    return n * np.einsum("rti,ij,rtj->rt", dev, info, dev), res


@pytest.mark.parametrize("law", sorted(NEW_LAWS))
def test_new_law_matches_first_order_theory(law):
    """At n = 400: the covariance of the fit is I^-1 / n (E n||theta_0 - theta*||^2_I = p) and
    a constant schedule inflates it by 1 + r_1 = 2, each within 4 Monte Carlo standard errors
    (O(1/n) terms, a few percent, are inside the tolerance of about 10%)."""
    family = NEW_LAWS[law]()
    p = len(family.param_labels)
    q, _ = _information_norms(family, 400, 1, 600, seed=11)
    se = q.std(axis=0, ddof=1) / np.sqrt(q.shape[0])
    assert abs(q[:, 0].mean() - p) < 4 * se[0], (q.mean(axis=0), se)
    ratio = q[:, 1].mean() / q[:, 0].mean()
    # Delta-method standard error of the ratio of two correlated means.
    m0, m1 = q.mean(axis=0)
    cov = np.cov(q.T) / q.shape[0]
    ratio_se = ratio * np.sqrt(cov[0, 0] / m0**2 + cov[1, 1] / m1**2 - 2 * cov[0, 1] / (m0 * m1))
    inflation = paper1.risk_inflation(400, [400])[-1]
    assert abs(ratio - inflation) < 4 * ratio_se, (ratio, ratio_se)


# -- bad inputs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: mc.ScipyFamily(object()), "^dist: must be a scipy.stats distribution"),
        (lambda: mc.ScipyFamily("nosuchlaw"), "^dist: must be a scipy.stats distribution"),
        (lambda: mc.ScipyFamily("weibull_min", c=1.5, k=2.0), "^k: is not a parameter of"),
        (lambda: mc.ScipyFamily("weibull_min", c=1.5, fixed=("k",)), "^fixed: must name"),
        (lambda: mc.ScipyFamily("weibull_min", c=-1.0), "^c: must lie in \\(0, inf\\)"),
        (lambda: mc.ScipyFamily("weibull_min"), "^c: needs a true value"),
        (lambda: mc.ScipyFamily("binom", n=10, p=0.3), "^n: is integer-valued in binom"),
        (lambda: mc.ScipyFamily("poisson", mu=2.0, loc=1.0), "^loc: is an integer shift"),
        (lambda: mc.ScipyFamily("norm", fixed=("loc", "scale")), "^fixed: leaves no parameter"),
        (lambda: mc.LogDensityFamily(None, None, {"a": 1.0}), "^logpdf: must be a callable"),
        (lambda: mc.LogDensityFamily(np.exp, None, {"a": 1.0}), "^sampler: must be a callable"),
        (lambda: mc.LogDensityFamily(np.exp, np.exp, {}), "^theta: must be a non-empty dict"),
        (
            lambda: mc.LogDensityFamily(np.exp, np.exp, {"a": 1.0}, domains={"b": "positive"}),
            "^domains: must name parameters among a",
        ),
        (
            lambda: mc.LogDensityFamily(np.exp, np.exp, {"a": -1.0}, domains={"a": "positive"}),
            "^a: must lie in \\(0, inf\\)",
        ),
        (
            lambda: mc.LogDensityFamily(np.exp, np.exp, {"a": 1.0}, domains={"a": "open"}),
            "^domains: a: must be real, positive, unit",
        ),
    ],
)
def test_bad_input(call, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment) as err:
        call()
    assert "\n" not in str(err.value)


def test_statistics_reject_non_integer_data_of_a_discrete_law():
    fam = mc.ScipyFamily("poisson", mu=2.0)
    with pytest.raises(mc.InvalidArgumentError, match="^data: must be integers"):
        fam.statistics([[1.0, 2.5]])


def test_describe_and_labels():
    fam = mc.ScipyFamily("weibull_min", c=1.5, scale=2.0, loc=0.0, fixed=("loc",))
    assert fam.name == "scipy:weibull_min"
    assert fam.param_labels == ("c", "scale")
    assert fam.describe() == {
        "family": "scipy:weibull_min",
        "dist": "weibull_min",
        "params": {"c": 1.5, "loc": 0.0, "scale": 2.0},
        "fixed": ["loc"],
    }
    assert mc.ScipyFamily("norm", loc=1.0).param_labels == ("loc",)  # scale defaults, fixed
