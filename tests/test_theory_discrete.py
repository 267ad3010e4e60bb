"""Exact Wright-Fisher closed forms of categorical collapse (``theory.discrete``).

Every closed form is checked against a direct Monte Carlo of the recursion written here with
numpy, with tolerances of 4 Monte Carlo standard errors, and against an independent exact
computation (forward propagation of the count distribution) where there is one.
"""

import numpy as np
import pytest
from _stats import z_within
from scipy.stats import binom

import modelcollapse as mc
from modelcollapse.theory import discrete

R = 20000


def _wright_fisher(p, n, n0, generations, replications, seed):
    """Cell probabilities of the fully synthetic recursion, shape ``(R, T + 1, K)``."""
    rng = np.random.default_rng(seed)
    p = np.asarray(p, dtype=float)
    if n0 is None:
        probs = np.tile(p, (replications, 1))
    else:
        probs = rng.multinomial(n0, p, size=replications) / n0
    out = np.empty((replications, generations + 1, p.size))
    out[:, 0] = probs
    for t in range(1, generations + 1):
        probs = rng.multinomial(n, probs) / n
        out[:, t] = probs
    return out


def _fixation_times(p, n, n0, replications, seed):
    """Generations until one cell holds everything, per replication (direct simulation)."""
    rng = np.random.default_rng(seed)
    p = np.asarray(p, dtype=float)
    if n0 is None:
        probs = np.tile(p, (replications, 1))
    else:
        probs = rng.multinomial(n0, p, size=replications) / n0
    times = np.zeros(replications)
    active = np.flatnonzero(probs.max(axis=1) < 1.0)
    while active.size:
        probs[active] = rng.multinomial(n, probs[active]) / n
        times[active] += 1.0
        active = active[probs[active].max(axis=1) < 1.0]
    return times


def _mean_and_se(x):
    return x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])


def _forward(p, n, n0, generations):
    """Independent exact check for one cell: the count distribution pushed forward in time.

    Returns ``P(p_t = 0)`` and ``E[2 p_t (1 - p_t)]`` (the heterozygosity at ``K = 2``).
    """
    k = np.arange(n + 1)
    matrix = binom.pmf(k[None, :], n, k[:, None] / n)
    if n0 is None:
        start, weights = np.array([p]), np.array([1.0])
    else:
        start, weights = np.arange(n0 + 1) / n0, binom.pmf(np.arange(n0 + 1), n0, p)
    lost = [weights[start == 0].sum()]
    het = [np.sum(weights * 2 * start * (1 - start))]
    dist = weights @ binom.pmf(k[None, :], n, start[:, None])
    x = k / n
    for _ in range(generations):
        lost.append(dist[0])
        het.append(dist @ (2 * x * (1 - x)))
        dist = dist @ matrix
    return np.array(lost), np.array(het)


# -- heterozygosity -----------------------------------------------------------------------------
def test_heterozygosity_closed_form():
    np.testing.assert_allclose(
        discrete.heterozygosity([0.5, 0.3, 0.2], 10, 3),
        0.62 * 0.9 ** np.arange(4),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        discrete.heterozygosity([0.25] * 4, 4, 2, n0=8),
        0.75 * (7 / 8) * 0.75 ** np.arange(3),
        rtol=1e-14,
    )
    # n = 1: every generation t >= 1 is a point mass on one cell.
    assert discrete.heterozygosity([0.5, 0.5], 1, 2).tolist() == [0.5, 0.0, 0.0]


@pytest.mark.parametrize("n0", [None, 12])
def test_heterozygosity_matches_monte_carlo(n0):
    p, n, T = [0.5, 0.3, 0.2], 8, 15
    probs = _wright_fisher(p, n, n0, T, R, seed=11)
    mean, se = _mean_and_se(1.0 - np.sum(probs**2, axis=2))
    exact = discrete.heterozygosity(p, n, T, n0=n0)
    for t in range(T + 1):
        assert z_within(mean[t], exact[t], se[t] + 1e-12), (t, mean[t], exact[t], se[t])


# -- lost cells ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n0", [None, 1, 7])
def test_cell_loss_equals_forward_propagation(n0):
    """Backward products in the module, forward distributions here: the same numbers."""
    p, n, T = [0.6, 0.3, 0.1], 9, 40
    got = discrete.cell_loss_probability(p, n, T, n0=n0)
    assert got.shape == (T + 1, 3)
    for i, q in enumerate(p):
        lost, _ = _forward(q, n, n0, T)
        np.testing.assert_allclose(got[:, i], lost, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("n0", [None, 5])
def test_heterozygosity_equals_forward_propagation_for_two_cells(n0):
    _, het = _forward(0.3, 6, n0, 25)
    np.testing.assert_allclose(discrete.heterozygosity([0.3, 0.7], 6, 25, n0=n0), het, rtol=1e-10)


@pytest.mark.parametrize("n0", [None, 12])
def test_cell_loss_matches_monte_carlo(n0):
    p, n, T = [0.5, 0.3, 0.2], 8, 15
    lost = _wright_fisher(p, n, n0, T, R, seed=23) <= 0.0
    exact = discrete.cell_loss_probability(p, n, T, n0=n0)
    freq = lost.mean(axis=0)
    # Binomial standard error of a frequency, plus one event for the discreteness of counts.
    tol = 4 * np.sqrt(exact * (1 - exact) / R) + 1.0 / R
    assert np.all(np.abs(freq - exact) <= tol), np.max(np.abs(freq - exact) / tol)
    mean, se = _mean_and_se(lost.sum(axis=2).astype(float))
    expected = discrete.expected_cells_lost(p, n, T, n0=n0)
    np.testing.assert_allclose(expected, exact.sum(axis=1), rtol=1e-14)
    for t in range(T + 1):
        assert z_within(mean[t], expected[t], se[t] + 1e-12), (t, mean[t], expected[t])


@pytest.mark.parametrize(
    ("family", "p"),
    [
        (lambda: mc.Categorical([0.5, 0.3, 0.2]), [0.5, 0.3, 0.2]),
        (lambda: mc.Bernoulli(p=0.3), [0.3, 0.7]),
    ],
)
def test_expected_cells_lost_matches_the_engine(family, p):
    n0, n, T = 12, 8, 20
    res = mc.simulate(
        family(),
        n0=n0,
        schedule=n,
        generations=T,
        replications=R,
        seed=1,
        record="all",
        metrics=["cells_lost"],
    )
    values = res.values("cells_lost")
    assert values.shape == (R, T + 1)
    mean, se = _mean_and_se(values)
    expected = discrete.expected_cells_lost(p, n, T, n0=n0)
    for t in range(T + 1):
        assert z_within(mean[t], expected[t], se[t]), (t, mean[t], expected[t], se[t])


def test_cell_loss_is_a_monotone_probability_tending_to_fixation():
    p = [0.4, 0.3, 0.2, 0.1]
    prob = discrete.cell_loss_probability(p, 30, 1000, n0=50)  # (29/30)^1000 ~ 2e-15
    assert np.all((prob >= 0) & (prob <= 1))
    assert np.all(np.diff(prob, axis=0) >= 0)
    # Rarer cells are lost sooner; eventually all but one cell is lost.
    assert np.all(np.diff(prob, axis=1) >= 0)
    np.testing.assert_allclose(prob.sum(axis=1)[-1], 3.0, atol=1e-9)
    # Each cell fixes with its initial probability (the martingale), so it is lost with 1 - p_i.
    np.testing.assert_allclose(prob[-1], 1 - np.array(p), atol=1e-9)
    # Equal cells get equal probabilities; no cell is lost at generation 0 without n0.
    equal = discrete.cell_loss_probability([0.25] * 4, 5, 3)
    assert np.all(equal == equal[:, :1])
    assert np.all(equal[0] == 0)
    assert discrete.cell_loss_probability([0.5, 0.5], 4, 0).tolist() == [[0.0, 0.0]]
    np.testing.assert_allclose(
        discrete.cell_loss_probability([0.5, 0.5], 4, 0, n0=3), [[0.125, 0.125]], rtol=1e-14
    )


def test_heterozygosity_bounds_the_lost_cells():
    """With ``m`` cells left ``sum p^2 >= 1/m``; Jensen: ``H_t <= 1 - 1/(K - E[lost_t])``."""
    for p, n0 in [([0.5, 0.3, 0.2], None), ([0.7, 0.1, 0.1, 0.1], 20), ([0.5, 0.5], 9)]:
        het = discrete.heterozygosity(p, 15, 200, n0=n0)
        lost = discrete.expected_cells_lost(p, 15, 200, n0=n0)
        assert np.all(het <= 1 - 1 / (len(p) - lost) + 1e-12)


# -- absorption (fixation) time -----------------------------------------------------------------
@pytest.mark.parametrize(("p", "n0"), [(0.5, None), (0.3, None), (0.3, 15), (0.1, 6)])
def test_absorption_time_matches_monte_carlo(p, n0):
    n = 20
    times = _fixation_times([p, 1 - p], n, n0, R, seed=5)
    mean, se = _mean_and_se(times)
    exact = discrete.absorption_time(n, p, n0=n0)
    assert z_within(mean, exact, se), (mean, exact, se)


@pytest.mark.parametrize(("p", "n0"), [(0.5, None), (0.3, None), (0.2, 7), (0.9, 1)])
def test_absorption_time_is_the_sum_of_survival_probabilities(p, n0):
    """``E[tau] = sum_t P(tau > t)`` and at ``K = 2`` ``P(tau <= t) = E[cells_lost_t]``."""
    n, T = 10, 500  # P(tau > T) <= (1 - 1/n)^T ~ 1e-23
    lost = discrete.expected_cells_lost([p, 1 - p], n, T, n0=n0)
    np.testing.assert_allclose(
        discrete.absorption_time(n, p, n0=n0), np.sum(1 - lost), rtol=1e-10, atol=1e-12
    )


def test_absorption_time_small_cases():
    # n = 2 from count 1: stays with probability 1/2 each generation, so 2 generations.
    assert discrete.absorption_time(2) == pytest.approx(2.0, rel=1e-14)
    # n = 1: every generation t >= 1 is absorbed.
    assert discrete.absorption_time(1, 0.3) == 1.0
    # A fit already fixed counts as time 0.
    assert discrete.absorption_time(10, 0.0) == 0.0
    assert discrete.absorption_time(10, 1.0, n0=5) == 0.0
    # n0 = 1: generation 0 is already fixed.
    assert discrete.absorption_time(10, 0.4, n0=1) == 0.0
    # Symmetric in the two cells.
    assert discrete.absorption_time(30, 0.2, n0=9) == pytest.approx(
        discrete.absorption_time(30, 0.8, n0=9), rel=1e-10
    )


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_absorption_time_approaches_the_diffusion(p):
    sizes = [10, 50, 100, 500]
    rel = [
        abs(discrete.absorption_time(n, p) / discrete.absorption_time_diffusion(n, p) - 1)
        for n in sizes
    ]
    assert np.all(np.diff(rel) < 0), rel
    assert rel[-1] < 0.02, rel


def test_diffusion_approximations():
    assert discrete.absorption_time_diffusion(50) == pytest.approx(100 * np.log(2), rel=1e-14)
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    got = discrete.absorption_time_diffusion(40, p)
    assert got.shape == (5,)
    assert got[0] == 0.0
    assert got[-1] == 0.0
    q = p[1:4]
    np.testing.assert_allclose(got[1:4], -80 * (q * np.log(q) + (1 - q) * np.log(1 - q)))
    np.testing.assert_allclose(got[1], got[3], rtol=1e-14)
    # K = 2: the K-cell fixation time is the two-cell one.
    assert discrete.fixation_time_diffusion([0.3, 0.7], 40) == pytest.approx(
        float(discrete.absorption_time_diffusion(40, 0.3)), rel=1e-14
    )
    uniform = discrete.fixation_time_diffusion([1 / 3] * 3, 60)
    assert uniform == pytest.approx(-120 * 3 * (2 / 3) * np.log(2 / 3), rel=1e-14)


def test_fixation_time_diffusion_against_monte_carlo():
    """An approximation: within 4 standard errors plus its own ``O(1/n)`` error at ``K = 2``."""
    n, p = 100, [0.5, 0.3, 0.2]
    times = _fixation_times(p, n, None, 4000, seed=9)
    mean, se = _mean_and_se(times)
    approx = discrete.fixation_time_diffusion(p, n)
    # At K = 2 the exact time is below the diffusion by about 2 generations at this n; allow
    # the K - 1 = 2 successive losses that much each.
    gap = float(discrete.absorption_time_diffusion(n)) - discrete.absorption_time(n)
    assert abs(mean - approx) <= 4 * se + 2 * gap, (mean, approx, se, gap)


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: discrete.heterozygosity([1.0], 5, 3), "^p: must be a vector of K >= 2"),
        (lambda: discrete.heterozygosity([[0.5, 0.5]], 5, 3), "^p: must be a vector of K >= 2"),
        (lambda: discrete.heterozygosity([0.5, 0.6], 5, 3), "^p: cell probabilities must sum"),
        (lambda: discrete.heterozygosity([1.0, 0.0], 5, 3), "^p: every cell probability must"),
        (lambda: discrete.heterozygosity([0.5, np.nan], 5, 3), "^p: must contain only finite"),
        (lambda: discrete.heterozygosity(["a", "b"], 5, 3), "^p: must be numeric"),
        (lambda: discrete.heterozygosity([0.5, 0.5], 0, 3), "^n: must be an integer >= 1"),
        (lambda: discrete.heterozygosity([0.5, 0.5], 2.5, 3), "^n: must be an integer"),
        (lambda: discrete.heterozygosity([0.5, 0.5], 5, -1), "^generations: must be an integer"),
        (lambda: discrete.heterozygosity([0.5, 0.5], 5, 3, n0=0), "^n0: must be an integer >= 1"),
        (lambda: discrete.cell_loss_probability([0.5, 0.5], 5, 1.5), "^generations: must be"),
        (lambda: discrete.cell_loss_probability([0.2, 0.2], 5, 1), "^p: cell probabilities"),
        (lambda: discrete.cell_loss_probability([0.5, 0.5], 5, 1, n0=True), "^n0: must be"),
        (lambda: discrete.expected_cells_lost([0.5, 0.5], -2, 1), "^n: must be an integer >= 1"),
        (lambda: discrete.absorption_time(0), "^n: must be an integer >= 1"),
        (lambda: discrete.absorption_time(10, 1.5), r"^p: must lie in \[0, 1\]"),
        (lambda: discrete.absorption_time(10, "x"), "^p: must be a real number"),
        (lambda: discrete.absorption_time(10, 0.5, n0=0), "^n0: must be an integer >= 1"),
        (lambda: discrete.absorption_time_diffusion(10, [0.5, 1.2]), r"^p: must lie in \[0, 1\]"),
        (lambda: discrete.absorption_time_diffusion(0), "^n: must be an integer >= 1"),
        (lambda: discrete.fixation_time_diffusion([0.5, 0.5], 0), "^n: must be an integer >= 1"),
        (lambda: discrete.fixation_time_diffusion(0.5, 10), "^p: must be a vector of K >= 2"),
    ],
)
def test_discrete_validation(call, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        call()
