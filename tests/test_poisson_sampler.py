"""The table sampler of Poisson draws with small means (modelcollapse._poisson).

Each distribution check is a chi-square test of the drawn counts against the Poisson pmf
(cells pooled until each expects at least 20 draws; 200,000 draws per mean), at a level of
1e-6 per mean so that the whole file has a false-alarm rate below 1e-5. The same test on the
same draws against a mean 2% off must reject: the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from modelcollapse._poisson import INVERSION_MAX, _sequential, poisson, poisson_from_uniforms
from modelcollapse.random import ReplicationRandom

DRAWS = 200_000
LEVEL = 1e-6
#: Means across the tables' range: zero, tiny, on and off the 1/64 grid, the top of the range.
MEANS = [0.0, 1e-4, 0.013, 1 / 64, 0.3, 1.0, 1 + 1 / 128, 2.5, 3.99, 7.3, 9.999, 10.0]


def chi_square_p(draws: np.ndarray, mean: float) -> float:
    """p-value of the chi-square test of ``draws`` against Poisson(mean)."""
    if mean == 0.0:
        return 1.0 if np.all(draws == 0) else 0.0
    top = int(draws.max()) + 1
    counts = np.bincount(draws.astype(np.int64), minlength=top + 1)[: top + 1].astype(float)
    expected = stats.poisson.pmf(np.arange(top + 1), mean) * draws.size
    expected[-1] += stats.poisson.sf(top, mean) * draws.size  # the tail beyond the largest draw
    # Pool cells from both ends until each expects at least 20 draws.
    obs, exp = [], []
    o = e = 0.0
    for c, x in zip(counts, expected, strict=True):
        o, e = o + c, e + x
        if e >= 20.0:
            obs.append(o)
            exp.append(e)
            o = e = 0.0
    if exp:
        obs[-1] += o
        exp[-1] += e
    if len(exp) < 2:  # everything in one cell: compare P(X = 0) by a binomial test instead
        zero = float(np.mean(draws == 0))
        p0 = np.exp(-mean)
        z = (zero - p0) / np.sqrt(p0 * (1 - p0) / draws.size + 1e-300)
        return float(2 * stats.norm.sf(abs(z)))
    obs_a, exp_a = np.array(obs), np.array(exp)
    statistic = float(np.sum((obs_a - exp_a) ** 2 / exp_a))
    return float(stats.chi2.sf(statistic, len(exp) - 1))


@pytest.mark.parametrize("mean", MEANS)
def test_draws_follow_the_pmf(mean: float) -> None:
    draws = poisson(np.random.default_rng(17), np.full(DRAWS, mean))
    assert draws.dtype == float and np.all(draws == np.floor(draws)) and np.all(draws >= 0)
    assert chi_square_p(draws, mean) > LEVEL


@pytest.mark.parametrize("mean", [0.3, 1.0, 2.5, 7.3, 10.0])
def test_the_check_rejects_a_wrong_mean(mean: float) -> None:
    """The chi-square check has the power to see a mean 2% off at this number of draws."""
    draws = poisson(np.random.default_rng(17), np.full(DRAWS, mean))
    assert chi_square_p(draws, 1.02 * mean) < LEVEL


def test_the_check_rejects_numpy_draws_of_another_mean() -> None:
    """An independent sampler with the wrong mean fails the same check (the check is not tied
    to the table sampler's own numbers)."""
    draws = np.random.default_rng(3).poisson(2.5 * 1.02, DRAWS).astype(float)
    assert chi_square_p(draws, 2.5) < LEVEL
    assert chi_square_p(np.random.default_rng(3).poisson(2.5, DRAWS).astype(float), 2.5) > LEVEL


def test_grid_means_are_the_inverse_of_the_distribution_function() -> None:
    """On the 1/64 grid the second uniform never adds anything, and the tabulated inverse is
    the term-by-term inversion of the same uniform."""
    rng = np.random.default_rng(5)
    lam = rng.integers(0, int(64 * INVERSION_MAX) + 1, 50_000) / 64
    u, v = rng.random(lam.size), rng.random(lam.size)
    np.testing.assert_array_equal(poisson_from_uniforms(u, v, lam), _sequential(u, lam))


def test_mixed_means_keep_shape_and_order() -> None:
    """Per-entry means below and above the tables' range, in a 2-D array: each entry is drawn
    with its own mean (means of 40,000 draws at each of four levels within 5 standard errors)."""
    levels = np.array([0.05, 3.0, 25.0, 400.0])
    lam = np.tile(levels, (40_000, 1))
    draws = poisson(np.random.default_rng(9), lam)
    assert draws.shape == lam.shape
    se = np.sqrt(levels / lam.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - levels) < 5 * se)


def test_means_above_the_range_draw_what_numpy_draws() -> None:
    lam = np.array([[12.0, 30.0], [1e6, 11.5]])
    np.testing.assert_array_equal(
        poisson(np.random.default_rng(4), lam), np.random.default_rng(4).poisson(lam)
    )


@pytest.mark.parametrize("bad", [-1.0, np.nan])
def test_bad_means_raise_numpy_error(bad: float) -> None:
    with pytest.raises(ValueError):
        poisson(np.random.default_rng(0), np.array([1.0, bad]))


def test_replication_random_draws_through_the_tables() -> None:
    """ReplicationRandom.poisson with small means gives the table sampler's distribution (the
    same chi-square check), whatever the chunking."""
    root = np.random.SeedSequence(11)
    whole = ReplicationRandom(root, 0, 2048).poisson(1.7, (100,))
    parts = np.concatenate(
        [ReplicationRandom(root, a, 1024).poisson(1.7, (100,)) for a in (0, 1024)]
    )
    np.testing.assert_array_equal(whole, parts)
    assert chi_square_p(whole.ravel(), 1.7) > LEVEL
