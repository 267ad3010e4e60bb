"""The branching-process law of an n-gram model's lost tail (modelcollapse.theory.ngram).

Three kinds of check:

- simulation against an exact law: a Poisson branching process simulated directly (each count
  ``c_{t+1} ~ Poisson(c_t N_{t+1} / N_t)``) against ``expected_surviving`` and
  ``expected_lost_mass``, within 4 Monte Carlo standard errors; a perturbed law (sizes off by
  10%) fails the same comparison;
- the theory's approximation against an exact form: the Poisson step against the exact binomial
  (Wright-Fisher) chain of ``theory.discrete``, whose gap must shrink like ``1/N``;
- properties of the theory alone: paper 1's dichotomy (``q_t -> 1`` iff ``sum 1/N_t``
  diverges) and Kolmogorov's ``2/t`` rate at a constant size.
"""

from __future__ import annotations

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.theory import ngram


def _zipf_counts(total: int, cells: int) -> np.ndarray:
    """Counts with a Zipf shape (rank r has weight 1/r), all at least 1."""
    weight = 1.0 / np.arange(1, cells + 1)
    return np.maximum(1, np.round(total * weight / weight.sum())).astype(np.int64)


def _poisson_branching(counts, sizes, replications, rng):
    """Surviving cells and lost real mass per replication and generation, simulated exactly."""
    counts = np.asarray(counts)
    mass = counts / counts.sum()
    c = np.broadcast_to(counts, (replications, counts.size)).astype(np.int64)
    alive = [np.full(replications, float(counts.size))]
    lost = [np.zeros(replications)]
    for t in range(1, len(sizes)):
        c = rng.poisson(c * (sizes[t] / sizes[t - 1]))
        alive.append((c > 0).sum(axis=1).astype(float))
        lost.append(((c == 0) * mass).sum(axis=1))
    return np.array(alive).T, np.array(lost).T


SCHEDULES = {
    "constant": lambda n0, t: np.full(t, n0),
    "linear": lambda n0, t: n0 * np.arange(1, t + 1),
    "power1.5": lambda n0, t: np.round(n0 * np.arange(1, t + 1) ** 1.5),
}


def _z(sim, expected):
    se = sim.std(axis=0, ddof=1) / np.sqrt(sim.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (sim.mean(axis=0) - expected) / se, 0.0)
    return np.abs(z)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_poisson_branching_simulation_matches_the_law(name):
    """Simulation against an exact law: 600 replications of 300 cells over 20 generations; the
    standard error of the mean surviving count is about 0.3 cells, so a bias of 1.5 cells (0.5%)
    is detected."""
    rng = np.random.default_rng(11)
    counts = _zipf_counts(3000, 300)
    n0 = int(counts.sum())
    sizes = SCHEDULES[name](n0, 20)
    alive, lost = _poisson_branching(counts, np.concatenate([[n0], sizes]), 600, rng)
    assert _z(alive, ngram.expected_surviving(counts, sizes)).max() < 4
    assert _z(lost, ngram.expected_lost_mass(counts, sizes)).max() < 4


def test_a_perturbed_law_is_detected():
    """The same comparison fails when the simulated sizes are 10% larger than the theory's."""
    rng = np.random.default_rng(12)
    counts = _zipf_counts(3000, 300)
    n0 = int(counts.sum())
    sizes = SCHEDULES["constant"](n0, 20)
    alive, _ = _poisson_branching(counts, np.concatenate([[n0], 1.1 * sizes]), 600, rng)
    assert _z(alive, ngram.expected_surviving(counts, sizes)).max() > 4


def test_words_follow_from_the_ngram_masses():
    """A word is lost when all its n-grams are: with m_w their total count, P(lost) = q^m_w;
    simulated with the bigrams of a tiny text, against an exact law (independent lines)."""
    rng = np.random.default_rng(13)
    # bigram (a, b) counts over words 0..5; word w's n-grams are those that contain it
    pairs = np.array([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3), (2, 5)])
    counts = np.array([9, 7, 5, 3, 2, 1, 1, 2])
    words = np.array([[w in p for p in pairs] for w in range(6)])  # (word, bigram)
    sizes = np.full(8, counts.sum())
    c = np.broadcast_to(counts, (4000, counts.size))
    vocab = [np.full(4000, 6.0)]
    for _ in sizes:
        c = rng.poisson(c)
        vocab.append(((c > 0) @ words.T.astype(int) > 0).sum(axis=1).astype(float))
    sim = np.array(vocab).T
    expected = ngram.expected_surviving(words @ counts, sizes, n0=int(counts.sum()))
    assert _z(sim, expected).max() < 4


@pytest.mark.parametrize(("total", "tolerance"), [(500, 0.02), (2000, 0.005)])
def test_the_poisson_step_approximates_the_binomial_chain(total, tolerance):
    """The predictor against the exact binomial (Wright-Fisher) chain at a constant size: the
    relative gap in surviving cells after 30 generations is about 1.1% at N = 500 and 0.25% at
    N = 2000 (shrinking like 1/N); the tolerance is twice that."""
    counts = _zipf_counts(total, 100)
    n0 = int(counts.sum())
    exact = counts.size - theory.expected_cells_lost(counts / n0, n0, 30)
    approx = ngram.expected_surviving(counts, np.full(30, n0))
    gap = np.abs(approx / exact - 1.0)
    assert gap.max() < tolerance
    assert gap[-1] > tolerance / 20  # an approximation, not an identity


def test_the_dichotomy_of_paper_1():
    """Survival 1 - q_t goes to 0 when sum 1/N_t diverges and has a positive limit when it
    converges: from t = 2500 to 5000 it halves at a constant size (rate 1/t), falls by the log
    ratio log 5000 / log 2500 = 1.089 at a linear size (rate 1/log t), and by under 0.5% for
    t^1.5 growth, whose survival stays near one half."""
    t = 5000
    sizes = {
        "constant": np.full(t, 100),
        "linear": 100 * np.arange(1, t + 1),
        "power": np.round(100 * np.arange(1, t + 1) ** 1.5),
    }
    alive = {k: 1.0 - ngram.branching_extinction(100, v) for k, v in sizes.items()}
    ratio = {k: a[t // 2] / a[t] for k, a in alive.items()}
    assert ratio["constant"] == pytest.approx(2.0, rel=0.01)
    assert ratio["linear"] == pytest.approx(np.log(t) / np.log(t // 2), rel=0.02)
    assert 1.0 < ratio["power"] < 1.005 and 0.45 < alive["power"][-1] < 0.55
    assert all(np.all(np.diff(a) <= 0) for a in alive.values())


def test_kolmogorov_rate_at_a_constant_size():
    """A critical process survives with probability ~ 2/t (Kolmogorov), as the approximation
    says: the relative gap falls below 2% by t = 2000."""
    t = np.arange(2001)
    exact = 1.0 - ngram.branching_extinction(50, np.full(2000, 50))
    approx = ngram.survival_approximation(50, np.full(2000, 50))
    assert abs(exact[-1] / approx[-1] - 1.0) < 0.02
    assert abs(exact[-1] * t[-1] / 2.0 - 1.0) < 0.02


def test_survival_limit():
    assert ngram.survival_limit(100, float("inf")) == 0.0
    assert ngram.survival_limit(100, None) is None
    assert 0 < ngram.survival_limit(100, 0.05) < 1
    harmonic = theory.harmonic_limit(mc.parse_schedule("power:n0=100,s=0.5"))
    assert 0 < ngram.survival_limit(100, harmonic) < 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ngram.expected_surviving([1, 0, 2], [5]), "counts: must hold positive integer"),
        (lambda: ngram.expected_surviving([], [5]), "counts: must be a non-empty 1-D array"),
        (lambda: ngram.expected_lost_mass([1.5], [5]), "counts: must hold positive integer"),
        (lambda: ngram.branching_extinction(0, [5]), "n0: must be an integer >= 1"),
        (lambda: ngram.branching_extinction(5, [5, 0]), "n_synth: every size must be >= 1"),
        (lambda: ngram.branching_extinction(5, np.ones(20_001)), "n_synth: has 20,001"),
        (lambda: ngram.survival_limit(5, -1.0), "harmonic: must be a sum of inverse sizes"),
    ],
)
def test_bad_inputs(call, message):
    with pytest.raises(mc.InvalidArgumentError, match="^" + message):
        call()
