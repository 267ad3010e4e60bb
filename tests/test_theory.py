import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse import theory


def test_unbiased_second_moment_is_the_product_form():
    sizes = np.array([5, 10, 20])
    mean, var = theory.gaussian_variance_moments(4, sizes, "unbiased", 3.0)
    np.testing.assert_allclose(mean, 3.0)
    full = np.array([4, 5, 10, 20])
    np.testing.assert_allclose(var + mean**2, 9.0 * np.cumprod(1 + 2 / (full - 1)))


def test_mle_mean_variance_formula():
    sizes = np.array([5, 10])
    got = theory.gaussian_mean_variance(4, sizes, "mle", 2.0)
    steps = [1 / 4, (3 / 4) / 5, (3 / 4) * (4 / 5) / 10]
    expected = 2.0 * np.cumsum(steps)
    np.testing.assert_allclose(got, expected)


def test_log_moments_approximations():
    mean, var = theory.gaussian_log_variance_moments(1001, [1001] * 10, "unbiased")
    # E log W ~ -1/k, Var log W ~ 2/k for k = n - 1 = 1000.
    np.testing.assert_allclose(mean[-1], -11 / 1000, rtol=1e-2)
    np.testing.assert_allclose(var[-1], 11 * 2 / 1000, rtol=1e-2)
    mle_mean, _ = theory.gaussian_log_variance_moments(1001, [1001] * 10, "mle")
    np.testing.assert_allclose(mle_mean[-1] - mean[-1], 11 * np.log(1000 / 1001))


def test_harmonic_sum():
    np.testing.assert_allclose(theory.harmonic_sum([1, 2, 4]), [1.0, 1.5, 1.75])
    power = mc.Power(1, 1.0).sizes(100000)
    assert abs(theory.harmonic_sum(power)[-1] - np.pi**2 / 6) < 1e-4


def test_paper2_mean_error_limit_is_golden_ratio_at_k_one():
    T = 200
    w = (np.sqrt(5) - 1) / 2
    err = theory.gaussian_mean_error(100, [100] * T, [100] * T, w)
    # Err_inf = (C/n) R(w*, 1) = w*/n at the optimum.
    np.testing.assert_allclose(err[-1], w / 100, rtol=1e-12)
    # w = 1: real data only, C/n at every generation.
    np.testing.assert_allclose(theory.gaussian_mean_error(50, [50] * 3, [10] * 3, 1.0), 1 / 50)
    # No fresh data: the fully synthetic sum.
    np.testing.assert_allclose(
        theory.gaussian_mean_error(10, [0] * 3, [10] * 3, 0.0),
        theory.gaussian_mean_variance(10, [10] * 3),
    )


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: theory.gaussian_variance_moments(1, [5]), "^n0: must be an integer >= 2"),
        (lambda: theory.gaussian_variance_moments(5, [5, 1]), "^n_synth: every size must be"),
        (lambda: theory.gaussian_variance_moments(5, [5.5]), "^n_synth: must be a sequence"),
        (lambda: theory.gaussian_variance_moments(5, [5], "biased"), "^variance: must be one"),
        (lambda: theory.gaussian_mean_variance(5, [5], sigma2=0), "^sigma2: must lie in"),
        (lambda: theory.gaussian_mean_error(5, [0], [5], 0.5), "^w: must lie in"),
        (lambda: theory.gaussian_mean_error(5, [5, 5], [5], 0.5), "^n_real: must have"),
    ],
)
def test_theory_validation(call, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        call()
