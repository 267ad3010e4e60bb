"""Paper 1's collapse theory: exact values, independent numerical methods, and simulation."""

import math

import numpy as np
import pytest
from _stats import z_within
from scipy import stats
from scipy.integrate import quad
from scipy.special import gammainc, gammaln

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.theory import paper1


@pytest.mark.parametrize("n", [2, 3, 10, 100, 10**6])
@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_collapse_probability_single_generation_is_the_chi_square_cdf(n, variance):
    divisor = n - 1 if variance == "unbiased" else n
    for eps in (0.05, 0.5, 0.999, 1.3):
        got = theory.collapse_probability(n, [], eps, variance)[0]
        assert abs(got - stats.chi2.cdf(eps * divisor, n - 1)) < 1e-9


def _two_term_cdf(n0, n1, eps, variance):
    """P(W0 W1 <= eps) by one-dimensional quadrature of the log-gamma density and CDF."""
    d0, d1 = (n0 - 1, n1 - 1) if variance == "unbiased" else (n0, n1)
    a0, a1 = (n0 - 1) / 2, (n1 - 1) / 2
    x = math.log(eps) - math.log(2 / d0) - math.log(2 / d1)

    def density(z):  # of log G0, G0 ~ Gamma(a0)
        return 0.0 if z > 700 else math.exp(a0 * z - math.exp(z) - gammaln(a0))

    def integrand(z):
        return density(z) * gammainc(a1, math.exp(min(x - z, 700.0)))

    mode = math.log(a0)
    return (
        quad(integrand, -np.inf, mode, limit=400)[0] + quad(integrand, mode, np.inf, limit=400)[0]
    )


@pytest.mark.parametrize(("n0", "n1"), [(5, 20), (2, 3), (100, 40)])
@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_collapse_probability_two_generations_against_quadrature(n0, n1, variance):
    for eps in (0.05, 0.3, 1.0):
        got = theory.collapse_probability(n0, [n1], eps, variance)[-1]
        assert abs(got - _two_term_cdf(n0, n1, eps, variance)) < 1e-6


def test_collapse_probability_against_simulation_fig3_setting():
    R = 100_000
    T = 300
    res = mc.simulate(
        mc.Gaussian(),
        n0=100,
        schedule=100,
        generations=T,
        replications=R,
        seed=2024,
        record=[100, 200, 300],
    )
    exact = theory.collapse_probability(100, [100] * T, 0.05, generations=[100, 200, 300])
    simulated = res.values("collapsed").mean(axis=0)
    for p, q in zip(simulated, exact, strict=True):
        assert z_within(p, q, math.sqrt(q * (1 - q) / R))


def test_collapse_probability_mle_against_simulation_with_growing_schedule():
    R, T = 100_000, 60
    sizes = mc.Linear(3).sizes(T)
    res = mc.simulate(
        mc.Gaussian(variance="mle"),
        n0=4,
        schedule=mc.Linear(3),
        generations=T,
        replications=R,
        seed=7,
        record=[10, 60],
        eps=0.2,
    )
    exact = theory.collapse_probability(4, sizes, 0.2, "mle", generations=[10, 60])
    for p, q in zip(res.values("collapsed").mean(axis=0), exact, strict=True):
        assert z_within(p, q, math.sqrt(q * (1 - q) / R))


def test_collapse_probability_is_fast_and_monotone_over_a_thousand_generations():
    p = theory.collapse_probability(100, [100] * 1000, 0.05)
    assert p.shape == (1001,)
    assert np.all(np.diff(p) > -1e-9)
    power = theory.collapse_probability(100, mc.Power(100, 1.0).sizes(1000), 0.05)
    assert power.max() < 1e-6  # superlinear growth: no collapse


def test_collapse_probability_validation():
    with pytest.raises(mc.InvalidArgumentError, match="^eps: must lie in"):
        theory.collapse_probability(10, [10], eps=0.0)
    with pytest.raises(mc.InvalidArgumentError, match="^generations: must be integers in"):
        theory.collapse_probability(10, [10], generations=[2])


def test_harmonic_limits_of_named_schedules():
    assert paper1.harmonic_limit(mc.Constant(10)) == math.inf
    assert paper1.harmonic_limit(mc.Linear(10)) == math.inf
    assert math.isclose(paper1.harmonic_limit(mc.Power(1, 1.0)), math.pi**2 / 6)
    assert math.isclose(paper1.harmonic_limit(mc.Power(100, 0.5)), 2.6123753486854883 / 100)
    assert math.isclose(paper1.harmonic_limit(mc.Exponential(100, 2.0)), 1 / 100)
    assert paper1.harmonic_limit(mc.TLog(1, 1.0)) == math.inf
    tlog = paper1.harmonic_limit(mc.TLog(1, 2.0))
    t = np.arange(1, 10**6 + 1.0)
    partial = float(np.sum(1.0 / (t * np.log1p(t) ** 2)))
    assert partial < tlog < partial + 1.0 / math.log(10**6) + 1e-3
    assert paper1.harmonic_limit(mc.Explicit([1, 2])) is None
    # Bias of order n^(-gamma): power needs gamma (1 + s) > 1.
    assert paper1.harmonic_limit(mc.Power(1, 0.5), gamma=0.5) == math.inf
    assert math.isclose(paper1.harmonic_limit(mc.Power(1, 3.0), gamma=0.5), math.pi**2 / 6)
    # Two-phase: `until` constant terms, then a Hurwitz-zeta tail; against a direct sum whose
    # tail beyond 10^6 is about 3e-11.
    t = np.arange(1, 10**6 + 1.0)
    direct = float(np.sum(1.0 / (5.0 * np.maximum(t / 7.0, 1.0) ** 3)))
    assert math.isclose(paper1.harmonic_limit(mc.TwoPhase(5, 7, 2.0)), direct, rel_tol=1e-9)
    assert paper1.harmonic_limit(mc.TwoPhase(5, 7, 0.0)) == math.inf
    assert paper1.collapse_verdict(mc.TwoPhase(5, 7, 0.5)) == "stable"


@pytest.mark.parametrize(
    ("schedule", "gamma", "verdict"),
    [
        (mc.Constant(100), 1.0, "collapses"),
        (mc.Linear(100), 1.0, "collapses"),
        (mc.TLog(100, 1.0), 1.0, "collapses"),
        (mc.Power(100, 0.1), 1.0, "stable"),
        (mc.TLog(100, 2.0), 1.0, "stable"),
        (mc.Exponential(100, 1.5), 1.0, "stable"),
        (mc.Power(100, 0.5), 0.5, "collapses"),
        (mc.Power(100, 1.5), 0.5, "stable"),
        (mc.Power(100, 0.5), 2.0, "stable"),
        (mc.Explicit([5, 5]), 1.0, "unknown"),
    ],
)
def test_collapse_verdict(schedule, gamma, verdict):
    assert paper1.collapse_verdict(schedule, gamma) == verdict


def test_risk_inflation_and_win_probability_closed_forms():
    r = theory.risk_inflation(100, [100, 100, 50]) - 1
    np.testing.assert_allclose(r, [0, 1, 2, 4])
    q1 = theory.win_probability_plugin(100, [100, 100, 50])
    np.testing.assert_allclose(q1[1:], np.arctan(2 / np.sqrt(r[1:])) / np.pi)
    q2 = theory.win_probability_plugin(100, [100, 100, 50], dim=2)
    np.testing.assert_allclose(q2[1:], 0.5 * (1 - np.sqrt(r[1:] / (4 + r[1:]))))

    # The general-d integral reproduces the d = 1 and d = 2 closed forms.
    def chi_average(d, ri):
        c = math.sqrt(ri) / 2
        return quad(lambda x: stats.chi(d).pdf(x) * stats.norm.cdf(-c * x), 0, np.inf)[0]

    for d, closed in ((1, q1), (2, q2)):
        general = np.array([chi_average(d, ri) for ri in r[1:]])
        np.testing.assert_allclose(general, closed[1:], atol=1e-9)
    q3 = theory.win_probability_plugin(100, [100, 100, 50], dim=3)
    assert np.all(q3[1:] < q2[1:])
    ind = theory.win_probability_independent(100, [100, 100, 50])
    np.testing.assert_allclose(ind, 2 / np.pi * np.arctan(1 / np.sqrt(1 + r)))
    assert ind[0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "schedule", [mc.Constant(50), mc.Linear(50), mc.Power(50, 1.0), mc.Exponential(50, 2.0)]
)
def test_win_probability_below_one_half_and_decreasing(schedule):
    sizes = schedule.sizes(40)
    q = theory.win_probability_plugin(50, sizes)
    assert np.all(q[1:] < 0.5) and np.all(np.diff(q) <= 0)
    exact, _ = theory.win_probability_exact(50, sizes, replications=20000, seed=1)
    assert np.all(exact[1:] < 0.5)


def test_win_probability_limits():
    s = 0.5
    q = theory.win_probability_plugin(1, mc.Power(1, s).sizes(200000))
    assert q[-1] == pytest.approx(
        math.atan(2 / math.sqrt(float(mc.theory.harmonic_sum(mc.Power(1, s).sizes(200000))[-1])))
        / math.pi
    )
    limit = math.atan(2 / math.sqrt(2.6123753486854883)) / math.pi  # zeta(1.5)
    assert abs(q[-1] - limit) < 2e-3
    c = 2.0
    qe = theory.win_probability_plugin(1, mc.Exponential(1, c).sizes(60))
    assert qe[-1] == pytest.approx(math.atan(2 * math.sqrt(c - 1)) / math.pi, abs=1e-12)


def test_win_probability_exact_against_simulation():
    """Simulated P(|mu_T - mu| < |mu_0 - mu|) against the exact conditional form."""
    R, T, n0 = 40000, 30, 20
    res = mc.simulate(
        mc.Gaussian(), n0=n0, schedule=10, generations=T, replications=R, seed=11, record="all"
    )
    err = res.values("mean_error")
    wins = (err[:, 1:] < err[:, [0]]).mean(axis=0)
    exact, se = theory.win_probability_exact(n0, [10] * T, replications=200_000, seed=3)
    for t in (1, 5, 30):
        p = exact[t]
        assert z_within(wins[t - 1], p, math.hypot(math.sqrt(p * (1 - p) / R), se[t]))
    # Under collapse the plug-in underestimates: later steps shrink with the variance.
    plug = theory.win_probability_plugin(n0, [10] * T)
    assert exact[T] > plug[T] + 4 * se[T]


@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_expected_kl_against_simulation(variance):
    R, T = 100_000, 10
    res = mc.simulate(
        mc.Gaussian(mu=3.0, sigma2=0.5, variance=variance),
        n0=20,
        schedule="list:15,30,15,30,15,30,15,30,15,30",
        generations=T,
        replications=R,
        seed=13,
        record=[0, 1, 5, 10],
    )
    sizes = [15, 30] * 5
    expected = theory.gaussian_expected_kl(20, sizes, variance)[[0, 1, 5, 10]]
    kl = res.values("kl")
    for j in range(4):
        assert z_within(kl[:, j].mean(), expected[j], kl[:, j].std(ddof=1) / math.sqrt(R))
    risk = res.values("risk")[:, -1].mean()
    entropy = 0.5 * math.log(2 * math.pi * math.e * 0.5)
    assert z_within(risk, expected[-1] + entropy, res.values("risk")[:, -1].std() / math.sqrt(R))


def test_expected_kl_is_infinite_for_tiny_samples():
    assert np.isinf(theory.gaussian_expected_kl(10, [3, 10])[1:]).all()
    assert np.isfinite(theory.gaussian_expected_kl(10, [3, 10])[0])


@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_squared_error_moments_against_simulation(variance):
    R = 200_000
    sizes = [5, 8, 5, 12, 5, 8]
    res = mc.simulate(
        mc.Gaussian(sigma2=2.0, variance=variance),
        n0=6,
        schedule="list:" + ",".join(map(str, sizes)),
        generations=6,
        replications=R,
        seed=21,
        record="all",
    )
    err = res.values("mean_error")
    mean, var = theory.gaussian_mean_error_moments(6, sizes, variance, 2.0)
    np.testing.assert_allclose(mean, theory.gaussian_mean_variance(6, sizes, variance, 2.0))
    for t in (0, 3, 6):
        assert z_within(err[:, t].mean(), mean[t], math.sqrt(var[t] / R))
        # The sample variance of (mu_t - mu)^2: compare on the log scale, where its spread is
        # moderate; a fourth-moment quantity, so only a coarse check.
        assert abs(math.log(err[:, t].var() / var[t])) < 0.15


@pytest.mark.parametrize(
    ("schedule", "gamma", "beta", "variance", "verdict"),
    [
        # gamma < 1, sum n^-gamma diverges: the sign of the bias decides
        (mc.Power(100, 0.5), 0.5, 1.0, "unbiased", "explodes"),
        (mc.Power(100, 0.5), 0.5, -1.0, "unbiased", "collapses"),
        (mc.Linear(100), 0.5, 0.2, "mle", "explodes"),
        # ... and converges with a faster growth, whatever the sign
        (mc.Power(100, 1.5), 0.5, 1.0, "unbiased", "stable"),
        (mc.Power(100, 1.5), 0.5, -1.0, "unbiased", "stable"),
        # gamma = 1: the drift is (beta - 1)/n (unbiased), (beta - 2)/n (MLE)
        (mc.Linear(10), 1.0, 3.0, "unbiased", "explodes"),
        (mc.Linear(10), 1.0, 0.5, "unbiased", "collapses"),
        (mc.Linear(10), 1.0, 1.5, "mle", "collapses"),
        (mc.Linear(10), 1.0, 1.0, "unbiased", "unknown"),
        # gamma > 1 on growing sizes: the estimator's own drift wins
        (mc.Linear(10), 1.5, 5.0, "unbiased", "collapses"),
        # constant size: the exact drift decides (a small positive bias still collapses)
        (mc.Constant(100), 0.5, 0.05, "unbiased", "collapses"),
        (mc.Constant(100), 0.5, 1.0, "unbiased", "explodes"),
        (mc.Constant(100), 0.5, -1.0, "unbiased", "collapses"),
        (mc.Explicit([5, 5]), 0.5, 1.0, "unbiased", "unknown"),
    ],
)
def test_collapse_verdict_with_the_sign_of_the_bias(schedule, gamma, beta, variance, verdict):
    assert paper1.collapse_verdict(schedule, gamma, beta, variance) == verdict


@pytest.mark.parametrize(
    ("schedule", "bias", "variance"),
    [
        (mc.Power(100, 0.5), (1.0, 0.5), "unbiased"),
        (mc.Power(100, 0.5), (-1.0, 0.5), "unbiased"),
        (mc.Constant(100), (0.05, 0.5), "unbiased"),
        (mc.Constant(100), (1.0, 0.5), "unbiased"),
        (mc.Constant(20), (3.0, 1.0), "mle"),
        (mc.Constant(20), (1.0, 1.0), "mle"),
    ],
)
def test_collapse_verdict_matches_the_exact_log_variance_drift(schedule, bias, variance):
    """The verdict is derived from the drift's leading term; the exact mean of log sigma2_T
    (an independent closed form) must move the same way over a long horizon."""
    sizes = schedule.sizes(20_000)
    mean_log, _ = theory.gaussian_log_variance_moments(100, sizes, variance, bias=bias)
    verdict = paper1.collapse_verdict(schedule, bias[1], bias[0], variance)
    late = mean_log[-1] - mean_log[10_000]
    if verdict == "explodes":
        assert late > 0
    elif verdict == "collapses":
        assert late < 0
    else:  # pragma: no cover - no stable case in this list
        raise AssertionError(verdict)


def test_collapse_verdict_rejects_an_unknown_estimator():
    with pytest.raises(mc.InvalidArgumentError, match="^variance"):
        paper1.collapse_verdict(mc.Constant(10), 1.0, 1.0, "median")
