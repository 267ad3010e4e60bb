"""Bernoulli family: closed forms of the recursion, absorbing ends, metrics, bad input."""

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse.families.bernoulli import BernoulliParams
from modelcollapse.metrics import available_metrics, compute_metrics
from modelcollapse.random import ReplicationRandom

P = 0.3


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


@pytest.mark.parametrize(
    ("engine", "replications", "schedule", "generations"),
    [
        ("exact", 20000, "constant:n=8", 20),
        ("exact", 20000, "linear:n=2", 15),
        ("sample", 4000, "constant:n=8", 8),
    ],
)
def test_variance_shrinks_by_one_minus_one_over_n(engine, replications, schedule, generations):
    """E p_t = p; E[p_t (1 - p_t)] = p (1 - p) prod_{s<=t} (1 - 1/n_s), generation 0 included."""
    n0 = 6
    res = mc.simulate(
        mc.Bernoulli(p=P),
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=replications,
        seed=21,
        engine=engine,
    )
    sizes = np.concatenate([[n0], mc.parse_schedule(schedule).sizes(generations)])
    expected = P * (1 - P) * np.cumprod(1 - 1 / sizes)
    for t in (0, generations // 2, generations):
        p = res.values("p")[:, t]
        assert z_within(p.mean(), P, p.std(ddof=1) / np.sqrt(replications)), t
        v = res.values("sigma2")[:, t]
        assert z_within(v.mean(), expected[t], v.std(ddof=1) / np.sqrt(replications)), t


def test_ends_are_absorbing_and_hit_in_proportion_to_p():
    """p_t is a bounded martingale absorbed at 0 or 1: P(absorbed at 1) = p."""
    R = 4000
    res = mc.simulate(mc.Bernoulli(p=P), n0=3, schedule=3, generations=200, replications=R, seed=4)
    p = res.values("p")
    final = p[:, -1]
    assert np.all((final == 0) | (final == 1))
    assert z_within(final.mean(), P, np.sqrt(P * (1 - P) / R))
    ended = (p == 0) | (p == 1)
    assert np.all(np.diff(ended.astype(int), axis=1) >= 0)
    assert np.all(np.diff(p, axis=1)[ended[:, :-1]] == 0)
    assert np.all(np.isposinf(res.values("kl")[ended]))
    assert np.all(np.isposinf(res.values("risk")[ended]))
    assert np.all(res.values("cells_lost")[ended] == 1)
    assert np.all(res.values("cells_lost")[~ended] == 0)
    assert np.all(res.values("sigma2")[ended] == 0)
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_weighted_fit_is_the_weighted_frequency():
    fam = mc.Bernoulli(p=P)
    truth = fam.broadcast(fam.truth(), 40)
    s1 = fam.draw(truth, 9, _rng(1, 40), "exact")
    s2 = fam.draw(truth, 25, _rng(2, 40), "exact")
    w = 0.25
    np.testing.assert_allclose(
        fam.fit([s1, s2], [w, 1 - w]).p, w * s1.total / 9 + (1 - w) * s2.total / 25, rtol=1e-14
    )
    np.testing.assert_allclose(
        fam.fit([s1, s2], [9 / 34, 25 / 34]).p, fam.fit([fam.pool(s1, s2)], [1.0]).p, rtol=1e-14
    )


def test_metric_values():
    fam = mc.Bernoulli(p=P)
    assert "prob_error" in available_metrics(fam) and "cells_lost" in available_metrics(fam)
    params = BernoulliParams(np.array([P, 0.5, 0.0, 1.0]))
    m = compute_metrics(fam, params)
    kl_half = P * np.log(P / 0.5) + (1 - P) * np.log((1 - P) / 0.5)
    np.testing.assert_allclose(m["kl"], [0.0, kl_half, np.inf, np.inf])
    h = -P * np.log(P) - (1 - P) * np.log(1 - P)
    np.testing.assert_allclose(m["risk"], [h, np.log(2.0), np.inf, np.inf])
    np.testing.assert_allclose(m["mean_error"], [0.0, 0.04, 0.09, 0.49])
    np.testing.assert_allclose(m["prob_error"], m["mean_error"])  # mean of two equal cells
    np.testing.assert_allclose(m["sigma2"], [P * (1 - P), 0.25, 0.0, 0.0])
    np.testing.assert_array_equal(m["cells_lost"], [0, 0, 1, 1])


@pytest.mark.parametrize(
    ("p", "fragment"),
    [
        (0.0, "^p: must lie in \\(0, 1\\)"),
        (1.0, "^p: must lie in \\(0, 1\\)"),
        (1.5, "^p: must lie in"),
        (float("nan"), "^p: must be finite"),
        (True, "^p: must be a real number"),
    ],
)
def test_bad_input(p, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Bernoulli(p=p)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([[0, 2]], "^data: must be 0 or 1 for the Bernoulli family \\(got 2.0\\)"),
        ([[0.5, 1]], "^data: must be 0 or 1 .* \\(got 0.5\\)"),
        ([[[0, 1]]], "^data: must be a non-empty array of shape \\(replications, n\\)"),
    ],
)
def test_bad_data(data, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Bernoulli().statistics(data)


def test_statistics_of_real_data():
    s = mc.Bernoulli().statistics(np.array([[True, False, True], [False, False, False]]))
    assert s.count == 3
    np.testing.assert_array_equal(s.total, [2.0, 0.0])
