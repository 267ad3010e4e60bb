"""Property-based tests (hypothesis): schedules and their text forms, weight rules, engine
invariants (shapes, seeding, chunking, replication blocks, weight bookkeeping) and the
monotonicity and limits of the closed forms.

Fixed examples of the same facts live in test_schedules.py, test_engine.py and
test_theory_*.py; here the inputs are drawn.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.random import BLOCK_SIZE
from modelcollapse.schedules import (
    Constant,
    ConstantWeight,
    Explicit,
    Exponential,
    Linear,
    Power,
    Shrinkage,
    TLog,
    parse_schedule,
    parse_shrinkage,
    parse_weight,
    resolve_weights,
)

INT64_LIMIT = 2.0**63
GROWING = (Linear, Power, Exponential, TLog)

# -- schedules ----------------------------------------------------------------------------------

SCHEDULES = st.one_of(
    st.builds(Constant, st.integers(0, 10**9)),
    st.builds(Linear, st.integers(1, 10**6)),
    st.builds(Power, st.integers(1, 10**6), st.floats(-1.0, 3.0)),
    st.builds(Exponential, st.integers(1, 10**6), st.floats(1.0, 3.0)),
    st.builds(TLog, st.integers(1, 10**6), st.floats(0.0, 4.0)),
    st.builds(Explicit, st.lists(st.integers(0, 10**12), min_size=1, max_size=40)),
)


def _horizon(schedule, T):
    return min(T, len(schedule.values)) if isinstance(schedule, Explicit) else T


@settings(max_examples=200, deadline=None)
@given(schedule=SCHEDULES, T=st.integers(0, 300))
def test_schedule_sizes_are_int64_nonnegative_and_grow(schedule, T):
    T = _horizon(schedule, T)
    try:
        sizes = schedule.sizes(T)
    except mc.InvalidArgumentError as err:  # only growth can leave the 64-bit range
        assert isinstance(schedule, GROWING)
        assert "64-bit integer limit" in str(err)
        return
    assert sizes.dtype == np.int64 and sizes.shape == (T,)
    assert np.all(sizes >= 0)
    if isinstance(schedule, GROWING):
        assert np.all(np.diff(sizes) >= 0)
    if isinstance(schedule, (Linear, Power, Exponential)):
        assert np.all(sizes >= 1)
    if isinstance(schedule, TLog) and schedule.n0 * math.log(2.0) ** schedule.a >= 0.5:
        assert np.all(sizes >= 1)  # n(1) = n0 log(2)^a rounds to at least 1
    if isinstance(schedule, Constant):
        assert np.all(sizes == schedule.n)
    if isinstance(schedule, Explicit):
        assert sizes.tolist() == list(schedule.values[:T])


@settings(max_examples=200, deadline=None)
@given(schedule=SCHEDULES, T=st.integers(0, 300))
def test_schedule_text_form_round_trips(schedule, T):
    text = str(schedule)
    again = parse_schedule(text)
    assert type(again) is type(schedule) and str(again) == text
    T = _horizon(schedule, T)
    try:
        expected = schedule.sizes(T)
    except mc.InvalidArgumentError:
        with pytest.raises(mc.InvalidArgumentError):
            again.sizes(T)
        return
    np.testing.assert_array_equal(again.sizes(T), expected)


@settings(max_examples=150, deadline=None)
@given(n0=st.integers(1, 10**6), c=st.floats(1.5, 10.0), T=st.integers(1, 120))
def test_exponential_overflow_is_an_error_at_the_first_generation_beyond_int64(n0, c, T):
    limit = 63 * math.log(2.0)

    def log_size(t):
        return math.log(n0) + t * math.log(c)

    first = math.ceil((limit - math.log(n0)) / math.log(c))  # first t with n0 c^t >= 2^63
    for t in (T, first - 1, first):
        assume(abs(log_size(t) - limit) > 1e-9)
    schedule = Exponential(n0, c)
    if T >= first:
        with pytest.raises(mc.InvalidArgumentError, match="64-bit integer limit") as err:
            schedule.sizes(T)
        assert int(re.search(r"generation t=(\d+)", str(err.value)).group(1)) == first
    else:
        sizes = schedule.sizes(T)
        assert np.all(sizes >= n0) and np.all(np.diff(sizes) >= 0)  # no wrapped integers
        assert abs(sizes[-1] - n0 * c**T) <= 0.5 + 1e-12 * n0 * c**T  # rounded, not wrapped


@settings(max_examples=100, deadline=None)
@given(n=st.integers(2**55, 2**62), T=st.integers(1, 300))
def test_linear_and_constant_overflow_never_wrap(n, T):
    assume(abs(n * T - INT64_LIMIT) > 1e-9 * INT64_LIMIT)
    if n * T >= INT64_LIMIT:
        with pytest.raises(mc.InvalidArgumentError, match="64-bit integer limit"):
            Linear(n).sizes(T)
    else:
        sizes = Linear(n).sizes(T)
        assert sizes.dtype == np.int64 and np.all(sizes > 0) and np.all(np.diff(sizes) > 0)
        np.testing.assert_allclose(sizes.astype(float), n * np.arange(1, T + 1.0), rtol=1e-15)
    # A constant beyond 2^53 passes through a double: it may move by its rounding, never wrap.
    try:
        sizes = Constant(n).sizes(T)
    except mc.InvalidArgumentError as err:
        assert "64-bit integer limit" in str(err)
    else:
        assert np.all(sizes > 0) and np.all(np.abs(sizes - n) <= n * 2.0**-52)


# -- weight rules -------------------------------------------------------------------------------

WEIGHTS = st.one_of(
    st.none(),
    st.sampled_from(["naive", "proportional", "optimal", "greedy"]),
    st.floats(0.0, 1.0),
)


@settings(max_examples=200, deadline=None)
@given(
    n0=st.integers(1, 10**6),
    sizes=st.lists(
        st.tuples(st.one_of(st.just(0), st.integers(1, 10**6)), st.integers(1, 10**6)),
        min_size=1,
        max_size=30,
    ),
    weight=WEIGHTS,
)
def test_resolved_weights_lie_in_the_unit_interval_and_vanish_without_real_data(n0, sizes, weight):
    n_real = np.array([a for a, _ in sizes], dtype=np.int64)
    n_synth = np.array([b for _, b in sizes], dtype=np.int64)
    assume(np.any(n_real > 0))
    rule, w = resolve_weights(weight, n0, n_real, n_synth)
    assert w.shape == n_real.shape and w.dtype == float
    assert np.all((w >= 0) & (w <= 1))
    assert np.all(w[n_real == 0] == 0.0)
    fresh = n_real > 0
    k = n_real[fresh] / n_synth[fresh]
    name = str(rule)
    if name == "naive":
        np.testing.assert_allclose(w[fresh], theory.naive_weight(k), rtol=1e-14)
    elif name == "optimal":
        np.testing.assert_allclose(w[fresh], theory.optimal_weight(k), rtol=1e-14)
        assert np.all(w[fresh] > 0) and np.all(w[fresh] >= theory.naive_weight(k))
    elif name == "greedy":
        assert np.all(w[fresh] > 0) and np.all(w[fresh] < 1)
        if fresh.all():
            np.testing.assert_allclose(w, theory.greedy_weights(n0, n_real, n_synth)[0])
    else:
        assert isinstance(rule, ConstantWeight) and np.all(w[fresh] == float(weight))
    again = parse_weight(name)
    assert str(again) == name
    if isinstance(rule, ConstantWeight):
        assert again.w == rule.w  # the text form keeps every digit


@settings(max_examples=100, deadline=None)
@given(delta=st.floats(0.0, 0.999999), p=st.floats(0.0, 5.0), T=st.integers(0, 50))
def test_shrinkage_text_form_round_trips(delta, p, T):
    rule = Shrinkage(delta, p)
    again = parse_shrinkage(str(rule))
    assert (again.delta, again.p) == (rule.delta, rule.p)
    deltas = rule.deltas(T)
    assert deltas.shape == (T,) and np.all((deltas >= 0) & (deltas < 1))
    assert np.all(np.diff(deltas) <= 0)


def test_a_weight_needs_fresh_real_data():
    with pytest.raises(mc.InvalidArgumentError, match="^weight: applies only with fresh"):
        resolve_weights(0.5, 10, np.zeros(3, dtype=np.int64), np.full(3, 10))
    rule, w = resolve_weights(None, 10, np.zeros(3, dtype=np.int64), np.full(3, 10))
    assert str(rule) == "naive" and w.tolist() == [0.0, 0.0, 0.0]


# -- the limiting ratio and the optimal weight --------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(k=st.floats(1e-8, 1e8), w=st.floats(1e-9, 1.0))
def test_the_optimal_weight_minimises_the_limiting_ratio(k, w):
    best = float(theory.optimal_weight(k))
    assert 0 < best < 1
    floor = float(theory.limiting_ratio(best, k))
    assert floor == pytest.approx(best, rel=1e-9)  # R(w*, k) = w*
    assert float(theory.limiting_ratio(w, k)) >= floor * (1 - 1e-12)
    naive = theory.naive_weight(k)
    assert float(theory.limiting_ratio(naive, k)) >= floor * (1 - 1e-12)  # naive never better
    assert float(theory.limiting_ratio(1.0, k)) == 1.0  # real data only: C/n
    assert np.isposinf(theory.limiting_ratio(0.0, k))  # no real data: collapse


@settings(max_examples=200, deadline=None)
@given(a=st.floats(1e-8, 1e8), b=st.floats(1e-8, 1e8))
def test_the_optimal_weight_grows_with_k_towards_one(a, b):
    lo, hi = sorted((a, b))
    assert theory.optimal_weight(lo) <= theory.optimal_weight(hi)
    assert theory.naive_weight(lo) <= theory.naive_weight(hi)
    assert theory.optimal_weight(1.0) == pytest.approx(1 / theory.GOLDEN, abs=1e-15)
    assert 1 - theory.optimal_weight(1e12) < 1e-11


# -- engine invariants --------------------------------------------------------------------------

ENGINE_FAMILIES = {
    "gaussian": lambda: mc.Gaussian(mu=0.3, sigma2=1.5),
    "mvgaussian": lambda: mc.MultivariateGaussian.isotropic(2),
    "poisson": lambda: mc.Poisson(lam=2.0),
    "bernoulli": lambda: mc.Bernoulli(p=0.3),
    "categorical": lambda: mc.Categorical([0.2, 0.3, 0.5]),
    "exponential": lambda: mc.ExponentialDistribution(rate=1.5),
    "linear-random": lambda: mc.LinearRegressionRandom(beta=[1.0, -0.5]),
}
FAMILY_NAMES = st.sampled_from(sorted(ENGINE_FAMILIES))


def _same(a, b):
    """Bit-identical results: parameters and every metric."""
    assert np.array_equal(a.flat_params, b.flat_params, equal_nan=True)
    assert a.metric_names == b.metric_names
    for name in a.metric_names:
        assert np.array_equal(a.values(name), b.values(name), equal_nan=True), name


@settings(max_examples=40, deadline=None)
@given(
    name=FAMILY_NAMES,
    data=st.data(),
    R=st.integers(1, 40),
    T=st.integers(0, 6),
    n=st.integers(4, 30),
)
def test_result_shapes(name, data, R, T, n):
    family = ENGINE_FAMILIES[name]()
    engine = data.draw(st.sampled_from(family.engines), label="engine")
    record = data.draw(
        st.one_of(
            st.sampled_from(["all", "final", "auto"]),
            st.lists(st.integers(0, T), min_size=1, max_size=T + 1),
        ),
        label="record",
    )
    res = mc.simulate(
        family,
        n0=n,
        schedule=n,
        generations=T,
        replications=R,
        seed=0,
        engine=engine,
        record=record,
    )
    if isinstance(record, str):
        expected = [T] if record == "final" else list(range(T + 1))
    else:
        expected = sorted(set(record))
    G = len(expected)
    assert res.generations.tolist() == expected
    assert res.flat_params.shape == (R, G, len(family.param_labels))
    for key in (*res.metric_names, *family.param_labels):
        assert res.values(key).shape == (R, G), key
    assert res.n_real.shape == res.n_synth.shape == res.weights.shape == (T + 1,)
    assert len(res.to_frame()) == R * G
    assert len(res.summary()) == G * len(res.metric_names)


@settings(max_examples=12, deadline=None)
@given(
    name=FAMILY_NAMES,
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
    R=st.integers(BLOCK_SIZE + 1, 2 * BLOCK_SIZE + 300),
    chunk=st.sampled_from([1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE, 10**6]),
    fresh=st.booleans(),
)
def test_same_seed_same_numbers_whatever_the_chunk_size(name, data, seed, R, chunk, fresh):
    family = ENGINE_FAMILIES[name]()
    engine = data.draw(st.sampled_from(family.engines), label="engine")
    common = {
        "n0": 6,
        "schedule": 6,
        "generations": 3,
        "replications": R,
        "seed": seed,
        "engine": engine,
        **({"n_real": 6, "weight": 0.4} if fresh else {}),
    }
    base = mc.simulate(family, **common)
    _same(base, mc.simulate(family, **common))
    _same(base, mc.simulate(family, chunk_size=chunk, **common))
    other = mc.simulate(family, **{**common, "seed": (seed + 1) % 2**32})
    assert not np.array_equal(base.flat_params, other.flat_params)


@settings(max_examples=10, deadline=None)
@given(
    name=FAMILY_NAMES,
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
    sizes=st.tuples(
        st.integers(BLOCK_SIZE, 3 * BLOCK_SIZE + 50), st.integers(BLOCK_SIZE, 3 * BLOCK_SIZE + 50)
    ),
)
def test_complete_blocks_do_not_depend_on_the_number_of_replications(name, data, seed, sizes):
    """What random.py promises: a replication of a block that is complete in both runs has the
    same numbers whatever R (those of a last, partial block may change with R)."""
    family = ENGINE_FAMILIES[name]()
    engine = data.draw(st.sampled_from(family.engines), label="engine")
    runs = [
        mc.simulate(
            family, n0=6, schedule=6, generations=3, replications=R, seed=seed, engine=engine
        )
        for R in sizes
    ]
    whole = min(sizes) // BLOCK_SIZE * BLOCK_SIZE
    a, b = (run.flat_params[:whole] for run in runs)
    assert np.array_equal(a, b)


def test_replication_i_of_1500_and_2100_replications():
    """The brief's example: R = 1500 and R = 2100 share the complete first block."""
    runs = [
        mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=3, replications=R, seed=5)
        for R in (1500, 2100)
    ]
    assert np.array_equal(runs[0].flat_params[:BLOCK_SIZE], runs[1].flat_params[:BLOCK_SIZE])
    alone = mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=3, replications=1024, seed=5)
    assert np.array_equal(alone.flat_params, runs[0].flat_params[:BLOCK_SIZE])


def _spied_gaussian():
    """A Gaussian family that records the source weights of every fit."""
    family = mc.Gaussian()
    seen = []
    original = family.fit

    def spy(sources, weights):
        seen.append([float(w) for w in weights])
        return original(sources, weights)

    family.fit = spy
    return family, seen


@settings(max_examples=60, deadline=None)
@given(
    n0=st.integers(2, 50),
    sizes=st.lists(
        st.tuples(st.one_of(st.just(0), st.integers(2, 50)), st.integers(2, 50)),
        min_size=1,
        max_size=8,
    ),
    weight=WEIGHTS,
)
def test_recorded_weights_and_their_synthetic_counterpart_sum_to_one(n0, sizes, weight):
    n_real = [a for a, _ in sizes]
    n_synth = [b for _, b in sizes]
    if not any(n_real):
        weight = None  # a weight rule needs fresh real data
    family, seen = _spied_gaussian()
    res = mc.simulate(
        family,
        n0=n0,
        schedule="list:" + ",".join(map(str, n_synth)),
        n_real="list:" + ",".join(map(str, n_real)),
        weight=weight,
        generations=len(sizes),
        replications=3,
        seed=0,
    )
    assert res.n_real.tolist() == [n0, *n_real] and res.n_synth.tolist() == [0, *n_synth]
    w = res.weights
    assert w[0] == 1.0 and np.all((w >= 0) & (w <= 1))
    assert np.all(w[1:][np.array(n_real) == 0] == 0.0)
    synthetic = 1.0 - w
    assert np.all((synthetic >= 0) & (synthetic <= 1))
    np.testing.assert_array_equal(w + synthetic, 1.0)
    # The fit of generation t gets exactly these weights: real w(t), synthetic 1 - w(t).
    assert seen[0] == [1.0] and len(seen) == len(sizes) + 1
    for t, weights in enumerate(seen[1:], start=1):
        assert weights == ([w[t], synthetic[t]] if n_real[t - 1] else [1.0])
        assert math.fsum(weights) == 1.0


# -- the closed forms ---------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=200))
def test_harmonic_sum_increases_by_one_over_n(n_synth):
    h = theory.harmonic_sum(n_synth)
    assert h.shape == (len(n_synth),) and np.all(h > 0)
    assert np.all(np.diff(h) > 0)
    # A difference of two partial sums loses up to a few ulps of the sums themselves.
    np.testing.assert_allclose(
        np.diff(h, prepend=0.0),
        1.0 / np.array(n_synth, dtype=float),
        rtol=1e-12,
        atol=4 * np.finfo(float).eps * h.max(),
    )


@settings(max_examples=40, deadline=None)
@given(
    n0=st.integers(2, 300),
    n=st.integers(2, 300),
    eps=st.floats(1e-4, 1.0),
    factor=st.floats(1.0, 10.0),
    variance=st.sampled_from(["unbiased", "mle"]),
    T=st.integers(1, 40),
)
def test_collapse_probability_is_a_probability_monotone_in_eps_and_in_t(
    n0, n, eps, factor, variance, T
):
    p = theory.collapse_probability(n0, [n] * T, eps=eps, variance=variance)
    assert p.shape == (T + 1,) and np.all((p >= 0) & (p <= 1))
    # Non-decreasing in t for a threshold below the true variance (sigma2 = 1): the log-variance
    # is a random walk with negative drift (Gil-Pelaez accuracy ~1e-9).
    assert np.all(np.diff(p) >= -1e-9)
    wider = theory.collapse_probability(n0, [n] * T, eps=eps * factor, variance=variance)
    assert np.all(wider >= p - 1e-9)  # a CDF: non-decreasing in eps


def test_collapse_probability_is_not_monotone_in_t_above_the_true_variance():
    """For eps > sigma2 the probability first falls (the spread grows) before the drift wins:
    monotonicity in t holds only below the true variance."""
    p = theory.collapse_probability(20, [2] * 5, eps=1.5)
    assert p[1] < p[0] - 0.1


@settings(max_examples=100, deadline=None)
@given(c=st.one_of(st.just(0.0), st.floats(1e-300, 1e6)), T=st.integers(0, 2000))
def test_accumulate_error_increases_to_pi_squared_over_six(c, T):
    e = theory.accumulate_error(c, T)
    bound = c * math.pi**2 / 6
    assert e.shape == (T + 1,) and e[0] == c
    assert np.all(np.diff(e) >= 0) and np.all(e <= bound * (1 + 1e-12))
    assert e[-1] >= c * (math.pi**2 / 6 - 1 / (T + 1)) * (1 - 1e-12)  # tail sum < 1/(T+1)
    if c > 0:
        assert np.all(np.diff(e) > 0)


@settings(max_examples=100, deadline=None)
@given(
    weights=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6),
    n=st.integers(1, 10**6),
    T=st.integers(0, 200),
    n0=st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_heterozygosity_decreases_geometrically(weights, n, T, n0):
    p = np.array(weights) / np.sum(weights)
    h = theory.heterozygosity(p, n, T, n0=n0)
    start = (1 - np.sum(p * p)) * (1.0 if n0 is None else 1 - 1 / n0)
    assert h.shape == (T + 1,) and h[0] == pytest.approx(start, rel=1e-12)
    assert np.all(h >= 0) and np.all(h <= 1 - 1 / p.size + 1e-12)
    assert np.all(np.diff(h) <= 0)
    if n >= 2 and start > 0:
        np.testing.assert_allclose(h[1:] / h[:-1], 1 - 1 / n, rtol=1e-12)
