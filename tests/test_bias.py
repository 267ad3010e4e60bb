"""Biased variance estimators and multiplicative shrinkage: simulation against exact theory."""

import math

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.schedules import Shrinkage, parse_shrinkage

R = 40_000


@pytest.mark.parametrize("bias", [(-1.0, 0.5), (3.0, 1.0)])
@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_biased_estimator_moments_and_collapse_probability(bias, variance):
    schedule = mc.Power(10, 0.5)
    T = 15
    sizes = schedule.sizes(T)
    res = mc.simulate(
        mc.Gaussian(variance=variance, bias=bias),
        n0=12,
        schedule=schedule,
        generations=T,
        replications=R,
        seed=4,
        record=[1, 8, 15],
    )
    mean, var = theory.gaussian_variance_moments(12, sizes, variance, bias=bias)
    err, err_var = theory.gaussian_mean_error_moments(12, sizes, variance, bias=bias)
    log_mean, log_var = theory.gaussian_log_variance_moments(12, sizes, variance, bias=bias)
    prob = theory.collapse_probability(12, sizes, 0.5, variance, bias=bias, generations=[1, 8, 15])
    s2 = res.values("sigma2")
    for j, t in enumerate((1, 8, 15)):
        assert z_within(s2[:, j].mean(), mean[t], math.sqrt(var[t] / R))
        assert z_within(np.log(s2[:, j]).mean(), log_mean[t], math.sqrt(log_var[t] / R))
        e = res.values("mean_error")[:, j]
        assert z_within(e.mean(), err[t], math.sqrt(err_var[t] / R))
        p = prob[j]
        assert z_within((s2[:, j] <= 0.5).mean(), p, math.sqrt(p * (1 - p) / R))


def test_bias_scales_the_estimate_deterministically():
    plain = mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=5, replications=50, seed=1)
    biased = mc.simulate(
        mc.Gaussian(bias=(-2.0, 1.0)), n0=10, schedule=10, generations=5, replications=50, seed=1
    )
    ratio = biased.values("sigma2") / plain.values("sigma2")
    expected = np.broadcast_to((1 - 2 / 10) ** np.arange(1, 7), ratio.shape)
    np.testing.assert_allclose(ratio, expected)


def test_shrinkage_against_theory_and_expected_kl():
    rule = Shrinkage(0.1, 1.0)
    T = 20
    res = mc.simulate(
        mc.Gaussian(sigma2=3.0),
        n0=20,
        schedule=30,
        generations=T,
        replications=R,
        seed=2,
        record=[5, 20],
        shrinkage=rule,
    )
    mean, var = theory.gaussian_variance_moments(20, [30] * T, sigma2=3.0, shrinkage=rule)
    expected = 3.0 * np.prod(1 - 0.1 / np.arange(1, T + 1))
    assert mean[-1] == pytest.approx(expected)
    s2 = res.values("sigma2")[:, -1]
    assert z_within(s2.mean(), mean[-1], math.sqrt(var[-1] / R))
    kl = theory.gaussian_expected_kl(20, [30] * T, shrinkage=rule)
    sim = res.values("kl")[:, -1]
    assert z_within(sim.mean(), kl[-1], sim.std() / math.sqrt(R))
    assert res.config["shrinkage"] == "shrink:delta=0.1,p=1"


def test_shrinkage_is_applied_in_the_multivariate_and_asymptotic_engines():
    fam = mc.MultivariateGaussian.isotropic(2)
    res = mc.simulate(
        fam,
        n0=50,
        schedule=50,
        generations=10,
        replications=20000,
        seed=0,
        shrinkage=0.05,
        record="final",
    )
    expected = 0.95**10
    tr = res.values("sigma2")[:, -1]
    assert z_within(tr.mean(), expected, tr.std() / math.sqrt(20000))
    asym = mc.simulate(
        mc.Gaussian(),
        n0=10**4,
        schedule=10**4,
        generations=10,
        replications=20000,
        seed=0,
        shrinkage=0.05,
        engine="asymptotic",
        record="final",
    )
    s2 = asym.values("sigma2")[:, -1]
    assert z_within(s2.mean(), expected, s2.std() / math.sqrt(20000))


def test_shrinkage_parsing_and_errors():
    assert str(parse_shrinkage("shrink:delta=0.2,p=1.5")) == "shrink:delta=0.2,p=1.5"
    assert parse_shrinkage("0.1").deltas(3).tolist() == [0.1, 0.1, 0.1]
    assert parse_shrinkage(0.3).delta == 0.3
    for bad, fragment in [
        ("shrink:delta=1.0", "must lie in [0, 1)"),
        ("shrink:p=1", "shrink needs delta"),
        ("foo:delta=0.1", "must be a number or shrink:"),
        ("x", "must be a number"),
    ]:
        with pytest.raises(mc.InvalidArgumentError, match=r"^shrinkage: ") as err:
            parse_shrinkage(bad)
        assert fragment in str(err.value)
    with pytest.raises(mc.InvalidArgumentError, match="^shrinkage: needs a family with a shrink"):
        mc.simulate(mc.Poisson(2.0), n0=10, schedule=10, generations=2, shrinkage=0.1)


def test_bias_validation():
    with pytest.raises(mc.InvalidArgumentError, match=r"^bias: must be a pair"):
        mc.Gaussian(bias=0.5)
    with pytest.raises(mc.InvalidArgumentError, match=r"^bias gamma: must lie in \(0, inf\]"):
        mc.Gaussian(bias=(1.0, 0.0))
    with pytest.raises(mc.InvalidArgumentError, match=r"^bias: 1 \+ beta n\^\(-gamma\) must stay"):
        mc.simulate(mc.Gaussian(bias=(-3.0, 0.5)), n0=4, schedule=100, generations=2)
    with pytest.raises(mc.InvalidArgumentError, match=r"^bias: 1 \+ beta n\^\(-gamma\) must stay"):
        theory.gaussian_variance_moments(4, [100], bias=(-3.0, 0.5))
    with pytest.raises(mc.InvalidArgumentError, match=r"^shrinkage: must give 2 values"):
        theory.gaussian_variance_moments(4, [100, 100], shrinkage=[0.1])
    assert mc.Gaussian(bias=(1, 2)).describe()["bias"] == [1.0, 2.0]
