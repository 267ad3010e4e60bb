"""Categorical family: closed forms of the recursion, lost cells, sampler, metrics, bad input."""

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc
from modelcollapse.families.categorical import CategoricalParams
from modelcollapse.metrics import compute_metrics
from modelcollapse.random import ReplicationRandom

P = np.array([0.1, 0.2, 0.3, 0.4])
K = P.size
GINI = 1 - np.sum(P**2)


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


@pytest.mark.parametrize(
    ("engine", "replications", "schedule", "generations"),
    [
        ("exact", 20000, "constant:n=10", 20),
        ("exact", 20000, "power:n0=3,s=0.5", 12),
        ("sample", 4000, "constant:n=10", 8),
    ],
)
def test_gini_impurity_and_squared_error_against_closed_forms(
    engine, replications, schedule, generations
):
    """E p_t = p; E[1 - sum p_t^2] = (1 - sum p^2) prod_{s<=t}(1 - 1/n_s);
    E prob_error = (1/K) sum_k p_k (1 - p_k) (1 - prod_{s<=t}(1 - 1/n_s))."""
    n0 = 7
    res = mc.simulate(
        mc.Categorical(P),
        n0=n0,
        schedule=schedule,
        generations=generations,
        replications=replications,
        seed=31,
        engine=engine,
    )
    sizes = np.concatenate([[n0], mc.parse_schedule(schedule).sizes(generations)])
    shrink = np.cumprod(1 - 1 / sizes)
    se = lambda x: x.std(ddof=1) / np.sqrt(replications)  # noqa: E731
    for t in (0, generations // 2, generations):
        for k in range(K):
            p_k = res.values(f"p[{k}]")[:, t]
            assert z_within(p_k.mean(), P[k], se(p_k)), (t, k)
        gini = res.values("sigma2")[:, t] * K
        assert z_within(gini.mean(), GINI * shrink[t], se(gini)), t
        err = res.values("prob_error")[:, t]
        assert z_within(err.mean(), GINI / K * (1 - shrink[t]), se(err)), t
        np.testing.assert_allclose(res.values("mean_error")[:, t], K * err, rtol=1e-12)


def test_lost_cells_never_come_back():
    res = mc.simulate(
        mc.Categorical([0.05, 0.15, 0.3, 0.5]),
        n0=5,
        schedule=5,
        generations=60,
        replications=2000,
        seed=5,
    )
    lost = res.values("cells_lost")
    assert np.all(lost == np.round(lost)) and lost.min() >= 0 and lost.max() <= K - 1
    assert np.all(np.diff(lost, axis=1) >= 0)
    assert lost[:, -1].mean() > 1.0
    flat = res.flat_params
    zero = flat == 0
    assert np.all(zero[:, 1:] >= zero[:, :-1])  # a zero cell stays zero
    np.testing.assert_allclose(flat.sum(axis=-1), 1.0, rtol=1e-12)
    kl = res.values("kl")
    np.testing.assert_array_equal(np.isposinf(kl), lost > 0)
    assert np.all(np.isfinite(res.values("risk")[lost == 0]))
    assert not res.summary().drop(columns=["metric"]).isna().any().any()


def test_sampler_frequencies_and_zero_cells():
    fam = mc.Categorical.uniform(5)
    p = np.array([[0.0, 0.5, 0.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.2, 0.2], [0.0, 0.0, 0.0, 0.0, 1.0]])
    params = CategoricalParams(np.repeat(p, 10, axis=0))
    n = 20000
    codes = fam.sample(params, n, _rng(8, 30))
    assert codes.dtype.kind == "i" and codes.min() >= 0 and codes.max() <= 4
    counts = fam.statistics(codes).counts
    assert np.all(counts[params.p == 0] == 0)
    freq = counts / n
    se = np.sqrt(params.p * (1 - params.p) / n)
    assert np.all(np.abs(freq - params.p) <= 4 * se)


def test_weighted_fit_is_the_weighted_frequency():
    fam = mc.Categorical(P)
    truth = fam.broadcast(fam.truth(), 40)
    s1 = fam.draw(truth, 9, _rng(1, 40), "exact")
    s2 = fam.draw(truth, 25, _rng(2, 40), "exact")
    w = 0.618
    fit = fam.fit([s1, s2], [w, 1 - w]).p
    np.testing.assert_allclose(fit, w * s1.counts / 9 + (1 - w) * s2.counts / 25, rtol=1e-14)
    np.testing.assert_allclose(fit.sum(axis=1), 1.0, rtol=1e-14)
    pooled = fam.fit([fam.pool(s1, s2)], [1.0]).p
    np.testing.assert_allclose(fam.fit([s1, s2], [9 / 34, 25 / 34]).p, pooled, rtol=1e-14)


def test_metric_values():
    fam = mc.Categorical([0.5, 0.25, 0.25])
    q = np.array([[0.5, 0.25, 0.25], [0.25, 0.25, 0.5], [0.5, 0.5, 0.0]])
    m = compute_metrics(fam, CategoricalParams(q))
    p = fam.truth().p
    kl1 = np.sum(p * np.log(p / q[1]))
    np.testing.assert_allclose(m["kl"], [0.0, kl1, np.inf])
    h = -np.sum(p * np.log(p))
    np.testing.assert_allclose(m["risk"], [h, h + kl1, np.inf])
    np.testing.assert_allclose(m["prob_error"], np.mean((q - p) ** 2, axis=1))
    np.testing.assert_allclose(m["mean_error"], np.sum((q - p) ** 2, axis=1))
    np.testing.assert_array_equal(m["cells_lost"], [0, 0, 1])
    np.testing.assert_allclose(m["sigma2"], (1 - np.sum(q**2, axis=1)) / 3)
    cov = np.diag(q[1]) - np.outer(q[1], q[1])
    true_cov = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(m["cov_error"][1], np.sum((cov - true_cov) ** 2))


def test_labels_and_description():
    fam = mc.Categorical([0.2, 0.8])
    assert fam.param_labels == ("p[0]", "p[1]")
    assert fam.describe() == {"family": "categorical", "p": [0.2, 0.8]}


@pytest.mark.parametrize(
    ("p", "fragment"),
    [
        ([0.5, 0.6], "^p: cell probabilities must sum to 1"),
        ([1.0], "^p: must be a vector of K >= 2 cell probabilities"),
        ([[0.5, 0.5]], "^p: must be a vector"),
        ([0.5, 0.5, 0.0], "^p: every cell probability must be positive"),
        ([1.5, -0.5], "^p: every cell probability must be positive"),
        ([0.5, np.nan], "^p: must contain only finite numbers"),
        ("abc", "^p: must be numeric"),
    ],
)
def test_bad_input(p, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.Categorical(p)


def test_bad_uniform_and_data():
    with pytest.raises(mc.InvalidArgumentError, match="^k: must be an integer >= 2"):
        mc.Categorical.uniform(1)
    fam = mc.Categorical.uniform(3)
    for data, got in (([[0, 3]], "3.0"), ([[-1, 0]], "-1.0"), ([[0.5, 1]], "0.5")):
        with pytest.raises(
            mc.InvalidArgumentError,
            match=f"^data: must be integer category codes in 0..2 \\(got {got}\\)",
        ):
            fam.statistics(data)
    s = fam.statistics([[0, 2, 2, 1], [1, 1, 1, 1]])
    np.testing.assert_array_equal(s.counts, [[1, 1, 2], [0, 4, 0]])


def test_lost_cells_stay_lost_at_huge_sample_sizes():
    """The exact engine at n ~ 1e17..4e18 (a 2^t schedule): numpy's multinomial leaves rounding
    remainders in the last cell; a cell of probability 0 must still get no count."""
    p = [0.736, 0.0839, 0.0686, 0.0430, 0.0364, 0.0311, 0.0010]
    res = mc.simulate(
        mc.Categorical(np.array(p) / np.sum(p)),
        n0=100,
        schedule=mc.Exponential(100, 2.0),
        generations=55,
        replications=200,
        seed=3,
        metrics=["cells_lost"],
        record="all",
    )
    lost = res.values("cells_lost")
    assert lost[:, 0].sum() > 0  # cells are lost at generation 0 ...
    assert np.all(np.diff(lost, axis=1) >= 0)  # ... and never come back
