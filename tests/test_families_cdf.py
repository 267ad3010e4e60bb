"""Empirical CDF family: the exact error formula, the bootstrap sampler, the closed forms of the
iterated bootstrap and of the weighted recursion with fresh data, metrics-only recording."""

import numpy as np
import pytest
from _stats import z_within
from scipy import integrate, stats

import modelcollapse as mc
from modelcollapse.families.empirical import ContinuousLaw, EmpiricalModel
from modelcollapse.random import ReplicationRandom


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


def _quadrature_error(law, atoms, masses):
    """int (F_t - F)^2 dF by adaptive quadrature of (c - F(x))^2 f(x) between sorted atoms."""
    order = np.argsort(atoms)
    atoms, masses = atoms[order], masses[order]
    edges = np.concatenate([[law.ppf(0.0)], atoms, [law.ppf(1.0)]])
    levels = np.concatenate([[0.0], np.cumsum(masses)])
    total = 0.0
    for lo, hi, c in zip(edges[:-1], edges[1:], levels, strict=True):
        if hi > lo:
            value, _ = integrate.quad(
                lambda x, c=c: (c - law.cdf(x)) ** 2 * law.pdf(x), lo, hi, epsabs=1e-14
            )
            total += value
    return total


@pytest.mark.parametrize("law", [stats.norm(0, 1), stats.gamma(2.0, scale=0.5)])
def test_exact_error_against_quadrature(law):
    fam = mc.EmpiricalCDF(law)
    rng = np.random.default_rng(3)
    atoms = law.ppf(rng.uniform(size=(3, 12)))
    atoms[2, 5:8] = atoms[2, 4]  # ties
    # Two components with unequal masses (fresh data weighted 0.3, 7 synthetic atoms).
    model = EmpiricalModel(law.cdf(atoms), np.tile([0.3 / 5, 0.7 / 7], (3, 1)), (5, 7))
    np.testing.assert_allclose(fam.atoms(model), atoms, rtol=1e-12)
    exact = fam.cdf_error(model)
    masses = fam.masses(model)
    np.testing.assert_allclose(masses.sum(axis=-1), 1.0, rtol=1e-15)
    for i in range(3):
        assert exact[i] == pytest.approx(_quadrature_error(law, atoms[i], masses[i]), abs=1e-12)
    # A point mass at the median: int (1{u >= 1/2} - u)^2 du = 1/12.
    point = EmpiricalModel(np.full((1, 1), 0.5), np.ones((1, 1)), (1,))
    assert fam.cdf_error(point)[0] == pytest.approx(1 / 12, abs=1e-15)
    assert fam.cdf_error(ContinuousLaw()) == 0.0


def test_error_is_distribution_free():
    """Data are drawn by inversion, so the same uniforms give the same error under any law."""
    common = {"n0": 20, "schedule": 15, "n_real": 10, "weight": 0.4, "generations": 5}
    normal = mc.simulate(mc.EmpiricalCDF(), replications=300, seed=4, engine="sample", **common)
    other = mc.simulate(
        mc.EmpiricalCDF(stats.expon()), replications=300, seed=4, engine="sample", **common
    )
    np.testing.assert_allclose(normal.values("cdf_error"), other.values("cdf_error"), rtol=1e-9)


def test_sampler_draws_atoms_with_their_masses():
    fam = mc.EmpiricalCDF()
    r, n = 4, 200000
    levels = np.tile(np.arange(1.0, 7.0) / 7, (r, 1))
    atoms = stats.norm.ppf(levels)
    model = EmpiricalModel(levels, np.tile([0.6 / 2, 0.4 / 4], (r, 1)), (2, 4))
    draws = fam.sample(model, n, _rng(2, r))
    assert draws.shape == (r, n)
    freq = (draws[..., None] == atoms[:, None, :]).mean(axis=1)
    p = fam.masses(model)
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / n)), freq
    # A component of weight zero is never drawn.
    empty = EmpiricalModel(levels, np.tile([0.0, 1.0 / 4], (r, 1)), (2, 4))
    assert fam.sample(empty, 1000, _rng(3, r)).min() >= atoms[0, 2]


def test_engine_draws_order_statistics_and_sample_shuffles_them():
    """The engine's statistics are the sorted levels (drawn as order statistics); ``sample``
    gives the same points in a uniformly random order; components in any order work."""
    fam = mc.EmpiricalCDF()
    r, n = 2000, 6
    truth = fam.broadcast(fam.truth(), r)
    real = fam.draw(truth, n, _rng(4, r), "sample")
    assert np.all(np.diff(real.levels, axis=-1) >= 0)
    # The k-th order statistic of n uniforms is Beta(k, n + 1 - k), mean k/(n + 1).
    mean, se = real.levels.mean(axis=0), real.levels.std(axis=0, ddof=1) / np.sqrt(r)
    assert np.all(np.abs(mean - np.arange(1, n + 1) / (n + 1)) <= 4 * se), mean
    points = fam.sample(truth, n, _rng(4, r))
    np.testing.assert_allclose(np.sort(stats.norm.cdf(points), axis=-1), real.levels, rtol=1e-13)
    # In a random order: the first point is a single uniform draw, and each of the n! orders
    # is equally likely (sorted rows: 1/720 of them).
    first = stats.norm.cdf(points[:, 0])
    assert abs(first.mean() - 0.5) <= 4 * np.sqrt(1 / 12 / r)
    assert np.mean(np.all(np.diff(points, axis=-1) > 0, axis=-1)) < 0.01
    # A model whose components are not sorted draws the same law, sorted.
    levels = np.tile(np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0]) / 7, (4, 1))
    model = EmpiricalModel(levels, np.tile([0.6 / 2, 0.4 / 4], (4, 1)), (2, 4))
    big = 200000
    drawn = fam.draw(model, big, _rng(5, 4), "sample").levels
    assert np.all(np.diff(drawn, axis=-1) >= 0)
    freq = (drawn[..., None] == levels[:, None, :]).mean(axis=1)
    p = fam.masses(model)
    assert np.all(np.abs(freq - p) <= 4 * np.sqrt(p * (1 - p) / big)), freq


def test_first_synthetic_sample_is_a_bootstrap_of_the_real_data():
    fam = mc.EmpiricalCDF()
    truth = fam.broadcast(fam.truth(), 50)
    real = fam.draw(truth, 8, _rng(1, 50), "sample")
    model = fam.fit([real], [1.0])
    boot = fam.draw(model, 30, _rng(2, 50), "sample")
    assert np.all(np.isin(boot.levels, real.levels))
    assert np.all((boot.levels[..., None] == real.levels[:, None, :]).any(axis=-1))


def test_generation_zero_error_is_one_over_6n():
    """E int (F_n - F)^2 dF = (1/n) int F(1 - F) dF = 1/(6n)."""
    for n in (1, 5, 40):
        res = mc.simulate(
            mc.EmpiricalCDF(),
            n0=n,
            schedule=1,
            generations=0,
            replications=20000,
            seed=n,
            engine="sample",
        )
        err = res.values("cdf_error")[:, 0]
        assert z_within(err.mean(), 1 / (6 * n), _se(err)), n


def test_iterated_bootstrap_error():
    """Fully synthetic: E Err_t = (1/6)[1 - (1 - 1/n)^(t+1)] (n points every generation)."""
    n, generations = 10, 25
    res = mc.simulate(
        mc.EmpiricalCDF(),
        n0=n,
        schedule=n,
        generations=generations,
        replications=8000,
        seed=7,
        engine="sample",
    )
    err = res.values("cdf_error")
    expected = (1 - (1 - 1 / n) ** (np.arange(generations + 1) + 1)) / 6
    for t in (0, 1, 5, 12, generations):
        assert z_within(err[:, t].mean(), expected[t], _se(err[:, t])), t
    # The variance collapses with the bootstrap: E sigma2_t = (1 - 1/n)^(t+1).
    var = res.values("sigma2")
    for t in (1, generations):
        assert z_within(var[:, t].mean(), (1 - 1 / n) ** (t + 1), _se(var[:, t])), t


@pytest.mark.parametrize(("n", "m", "w"), [(10, 10, 0.618), (6, 20, 0.3)])
def test_weighted_recursion_with_fresh_data(n, m, w):
    """e_t = (1/6)[w^2/n + (1-w)^2/m] + (1-w)^2 (1 - 1/m) e_{t-1}, e_0 = 1/(6 n0): exact for
    every t; its limit (1/6)[w^2/n + (1-w)^2/m] / [1 - (1-w)^2 (1 - 1/m)]."""
    n0, generations = 8, 30
    res = mc.simulate(
        mc.EmpiricalCDF(),
        n0=n0,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=6000,
        seed=11,
        engine="sample",
        record=[0, 1, 3, 30],
    )
    a = (w**2 / n + (1 - w) ** 2 / m) / 6
    b = (1 - w) ** 2 * (1 - 1 / m)
    e = [1 / (6 * n0)]
    for _ in range(generations):
        e.append(a + b * e[-1])
    err = res.values("cdf_error")
    for j, t in enumerate(res.generations):
        assert z_within(err[:, j].mean(), e[t], _se(err[:, j])), t
    assert e[-1] == pytest.approx(a / (1 - b), rel=1e-6)


def test_metrics_only_are_recorded():
    fam = mc.EmpiricalCDF()
    res = mc.simulate(
        fam, n0=10, schedule=10, generations=4, replications=50, seed=1, engine="sample"
    )
    assert res.flat_params is None
    assert set(res.metric_names) == {"mean_error", "cov_error", "sigma2", "collapsed", "cdf_error"}
    with pytest.raises(mc.InvalidArgumentError, match="^params: are not kept for the cdf family"):
        _ = res.params
    frame = res.to_frame()
    assert "cdf_error" in frame and not frame.isna().any().any()


def test_mean_and_variance_hooks_and_flattening():
    fam = mc.EmpiricalCDF(stats.gamma(3.0))
    truth = fam.broadcast(fam.truth(), 20)
    s1 = fam.draw(truth, 7, _rng(1, 20), "sample")
    s2 = fam.draw(truth, 5, _rng(2, 20), "sample")
    model = fam.fit([s1, s2], [0.25, 0.75])
    masses = np.concatenate([np.full(7, 0.25 / 7), np.full(5, 0.75 / 5)])
    atoms = fam.law.ppf(np.concatenate([s1.levels, s2.levels], axis=1))
    mean = atoms @ masses
    np.testing.assert_allclose(fam.mean(model), mean, rtol=1e-13)
    np.testing.assert_allclose(fam.covariance(model), (atoms - mean[:, None]) ** 2 @ masses)
    assert fam.mean(fam.truth()) == pytest.approx(3.0)
    assert fam.covariance(fam.truth()) == pytest.approx(3.0)
    # The CDF at the atoms, against counting.
    x = atoms[:, :3]
    np.testing.assert_allclose(
        fam.cdf(model, x), ((atoms[:, None, :] <= x[:, :, None]) * masses).sum(-1)
    )
    flat = fam.flatten(model)
    assert flat.shape == (20, 24)
    back = fam.unflatten(flat)
    assert back.sizes == (7, 5)
    np.testing.assert_array_equal(fam.flatten(back), flat)
    assert fam.flatten(truth).shape == (20, 0)
    assert isinstance(fam.unflatten(fam.flatten(truth)), ContinuousLaw)


def test_bad_input():
    with pytest.raises(mc.InvalidArgumentError, match="^law: must be a frozen scipy.stats"):
        mc.EmpiricalCDF(stats.poisson(3.0))
    with pytest.raises(mc.InvalidArgumentError, match="^law: must be a frozen scipy.stats"):
        mc.EmpiricalCDF(stats.norm)
    fam = mc.EmpiricalCDF()
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be one of sample"):
        fam.draw(fam.broadcast(fam.truth(), 2), 3, _rng(0, 2), "exact")
    with pytest.raises(mc.InvalidArgumentError, match="^flat: masses must be constant"):
        fam.unflatten(np.array([[0.0, 1.0, 0.5, 0.5], [0.0, 1.0, 0.4, 0.6]]))
    assert fam.describe() == {
        "family": "cdf",
        "law": {"name": "norm", "args": [0.0, 1.0], "kwds": {}},
    }


def test_two_component_inversion_matches_the_general_one():
    """The sampler's shortcut for a model of two components (real and synthetic atoms) picks
    exactly the atoms of the general inverse CDF, a third, empty-weight component aside."""
    fam = mc.EmpiricalCDF()
    rng = np.random.default_rng(3)
    r, n, m = 5, 7, 11
    levels = np.concatenate(
        [np.sort(rng.uniform(size=(r, n)), -1), np.sort(rng.uniform(size=(r, m)), -1)], -1
    )
    mass = np.column_stack([np.full(r, 0.3 / n), np.full(r, 0.7 / m)])
    u = np.sort(rng.uniform(size=(r, 4000)), -1)
    u[:, 0], u[:, -1] = 0.0, 1.0 - 2.0**-53
    two = fam._locate(fam._sampler(EmpiricalModel(levels, mass, (n, m))), u)
    # The same law with an extra component of zero weight goes through the general path.
    extra = np.concatenate([levels, np.full((r, 1), 0.5)], -1)
    three = np.column_stack([mass, np.zeros(r)])
    general = fam._locate(fam._sampler(EmpiricalModel(extra, three, (n, m, 1))), u)
    assert np.array_equal(two, general)
    assert np.isin(two, levels).all()
