"""Logistic and Poisson regression: the batched Newton fit against single fits by scipy (and by
scikit-learn for its penalised convention, where installed), failures flagged (separation,
divergence), the Fisher information, the covariate laws, and the weighted recursion at large n
against the asymptotic closed form."""

import numpy as np
import pytest
from _stats import z_within
from scipy import optimize

import modelcollapse as mc
from modelcollapse.families import GLMData, GLMParams
from modelcollapse.metrics import compute_metrics
from modelcollapse.random import ReplicationRandom

COV = np.array([[1.0, 0.3], [0.3, 0.5]])


def _rng(seed, size):
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _real_and_synthetic(fam, seed: int, r: int = 64) -> list:
    """Two sources for ``r`` replications: 40 points from the truth (streams ``seed``) and 300
    from a model off the truth (``seed + 1``)."""
    truth = fam.broadcast(fam.truth(), r)
    model = GLMParams(np.tile([0.2, 0.4], (r, 1)), np.ones(r, bool), "synthetic")
    return [
        fam.draw(truth, 40, _rng(seed, r), "sample"),
        fam.draw(model, 300, _rng(seed + 1, r), "sample"),
    ]


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


def _families():
    return {
        "logistic": mc.LogisticRegression(beta=[1.0, -0.5], cov=COV),
        "poisson": mc.PoissonRegression(beta=[0.5, -0.3], cov=COV),
    }


def _terms(name, eta, y):
    """Log-likelihood terms, their first and second derivatives in eta."""
    if name == "logistic":
        mu = 1 / (1 + np.exp(-eta))
        return y * eta - np.logaddexp(0, eta), y - mu, mu * (1 - mu)
    mu = np.exp(eta)
    return y * eta - mu, y - mu, mu


def _scipy_fit(name, datasets, point_weights, ridge=0.0):
    """Maximise sum_j a_j sum_i l(y_ji, x_ji'beta) - ridge |beta|^2 / 2 for one replication."""
    x = np.vstack([d[:, :-1] for d in datasets])
    y = np.concatenate([d[:, -1] for d in datasets])
    a = np.concatenate([np.full(len(d), w) for d, w in zip(datasets, point_weights, strict=True)])

    def value(beta):
        return -(a @ _terms(name, x @ beta, y)[0]) + 0.5 * ridge * beta @ beta

    def grad(beta):
        return -(x.T @ (a * _terms(name, x @ beta, y)[1])) + ridge * beta

    def hess(beta):
        v = a * _terms(name, x @ beta, y)[2]
        return (x.T * v) @ x + ridge * np.eye(x.shape[1])

    res = optimize.minimize(
        value,
        np.zeros(x.shape[1]),
        jac=grad,
        hess=hess,
        method="trust-exact",
        options={"gtol": 1e-13},
    )
    return res.x


@pytest.mark.parametrize("name", ["logistic", "poisson"])
@pytest.mark.parametrize("w", [None, 0.3])
def test_batched_fit_against_scipy(name, w):
    """The weighted MLE (each point of source j weighs w_j / n_j) of each replication, from data
    given to ``statistics`` (no warm start) and from drawn data (warm start), to 1e-6."""
    fam = _families()[name]
    r = 4
    truth = fam.broadcast(fam.truth(), r)
    model = GLMParams(np.array([[0.2, 0.4]] * r), np.ones(r, bool), "synthetic")
    real = fam.sample(truth, 60, _rng(1, r))
    synth = fam.sample(model, 25, _rng(2, r))
    if w is None:
        sources, weights, datasets, a = [real], [1.0], [real], [1 / 60]
    else:
        sources, weights = [real, synth], [w, 1 - w]
        datasets, a = [real, synth], [w / 60, (1 - w) / 25]
    fit = fam.fit([fam.statistics(s) for s in sources], weights)
    assert fit.converged.all()
    drawn = [fam.draw(truth, 60, _rng(1, r), "sample"), fam.draw(model, 25, _rng(2, r), "sample")]
    warm = fam.fit(drawn[: len(sources)], weights)
    np.testing.assert_allclose(warm.beta, fit.beta, rtol=1e-10, atol=1e-12)
    for i in range(r):
        expected = _scipy_fit(name, [d[i] for d in datasets], a)
        np.testing.assert_allclose(fit.beta[i], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["logistic", "poisson"])
def test_fit_does_not_depend_on_when_running_replications_are_split_off(name, monkeypatch):
    """Newton works on the whole batch while enough replications run, then on a copy of the
    running ones; each replication's arithmetic is its own, so the fits are bit-identical
    whichever path computed each iteration (never a copy, always a copy, the default)."""
    import modelcollapse.families.glm as glm

    fam = _families()[name]
    sources = _real_and_synthetic(fam, seed=3)
    fits = []
    for below in (10**9, 1, glm._SUBSET_BELOW):
        monkeypatch.setattr(glm, "_SUBSET_BELOW", below)
        fits.append(fam.fit(sources, [0.4, 0.6]))
    assert fits[0].converged.all()
    for other in fits[1:]:
        assert np.array_equal(fits[0].beta, other.beta)
        assert np.array_equal(fits[0].converged, other.converged)


def test_sklearn_convention_against_scipy():
    """penalty="l2-sklearn": sample weights rescaled to sum to N = n + m, minus |beta|^2 / 2."""
    fam = mc.LogisticRegression(beta=[1.0, 1.0], penalty="l2-sklearn")
    r = 3
    truth = fam.broadcast(fam.truth(), r)
    real = fam.sample(truth, 30, _rng(3, r))
    synth = fam.sample(truth, 20, _rng(4, r))
    w = 0.618
    fit = fam.fit([fam.statistics(real), fam.statistics(synth)], [w, 1 - w])
    for i in range(r):
        expected = _scipy_fit(
            "logistic", [real[i], synth[i]], [50 * w / 30, 50 * (1 - w) / 20], ridge=1.0
        )
        np.testing.assert_allclose(fit.beta[i], expected, rtol=1e-6, atol=1e-8)


def test_sklearn_convention_against_scikit_learn():
    linear_model = pytest.importorskip("sklearn.linear_model")
    fam = mc.LogisticRegression(beta=[1.0, -1.0, 0.5], penalty="l2-sklearn")
    r = 3
    truth = fam.broadcast(fam.truth(), r)
    real = fam.sample(truth, 40, _rng(5, r))
    synth = fam.sample(truth, 60, _rng(6, r))
    w = 0.7
    fit = fam.fit([fam.statistics(real), fam.statistics(synth)], [w, 1 - w])
    sample_weight = np.concatenate([np.full(40, w / 40), np.full(60, (1 - w) / 60)]) * 100
    for i in range(r):
        data = np.vstack([real[i], synth[i]])
        model = linear_model.LogisticRegression(
            C=1.0, fit_intercept=False, tol=1e-12, max_iter=10000, solver="newton-cg"
        )
        model.fit(data[:, :-1], data[:, -1], sample_weight=sample_weight)
        np.testing.assert_allclose(fit.beta[i], model.coef_[0], rtol=1e-6, atol=1e-8)


def _separable_batch():
    """Three replications of 20 points: random labels, labels 1{x_0 > 0} (separable), random."""
    gen = np.random.default_rng(12)
    x = gen.standard_normal((3, 20, 2))
    y = (gen.uniform(size=(3, 20)) < 1 / (1 + np.exp(-x @ np.array([0.5, -0.5])))).astype(float)
    y[1] = x[1, :, 0] > 0
    return np.concatenate([x, y[..., None]], axis=-1)


def test_separation_is_flagged():
    fam = mc.LogisticRegression(beta=[0.5, -0.5])
    data = _separable_batch()
    fit = fam.fit([fam.statistics(data)], [1.0])
    np.testing.assert_array_equal(fit.converged, [True, False, True])
    assert np.all(np.isfinite(fit.beta))  # the state is the last iterate
    flat = fam.flatten(fit)
    assert np.isnan(flat[1]).all() and np.isfinite(flat[[0, 2]]).all()
    m = compute_metrics(fam, fit, ["param_error", "fit_failed"])
    np.testing.assert_array_equal(m["fit_failed"], [0.0, 1.0, 0.0])
    assert np.isposinf(m["param_error"][1]) and np.isfinite(m["param_error"][[0, 2]]).all()
    # Each replication's fit depends on its own data only (bit for bit).
    for i in (0, 2):
        alone = fam.fit([fam.statistics(data[i : i + 1])], [1.0])
        np.testing.assert_array_equal(alone.beta[0], fit.beta[i])
    # Recorded (unflattened) parameters keep the flag.
    back = fam.unflatten(flat)
    np.testing.assert_array_equal(back.converged, fit.converged)
    # Mixed with non-separable data the MLE exists again.
    assert fam.fit([fam.statistics(data[[1]]), fam.statistics(data[[0]])], [0.5, 0.5]).converged
    # The penalised convention always has an estimate.
    penalised = mc.LogisticRegression(beta=[0.5, -0.5], penalty="l2-sklearn")
    assert penalised.fit([penalised.statistics(data)], [1.0]).converged.all()


def test_quasi_separation_and_poisson_divergence_are_flagged():
    # Quasi-complete separation: separable except for points on the boundary x_0 = 0.
    fam = mc.LogisticRegression(beta=[0.5, -0.5])
    data = _separable_batch()[1:2].copy()
    data[0, :2, 0] = 0.0
    data[0, :2, 2] = [0.0, 1.0]
    assert not fam.fit([fam.statistics(data)], [1.0]).converged[0]
    # Poisson: all counts zero and every x_0 > 0, so beta_0 -> -inf.
    pois = mc.PoissonRegression(beta=[0.5, -0.5])
    gen = np.random.default_rng(2)
    x = gen.standard_normal((2, 15, 2))
    x[..., 0] = np.abs(x[..., 0]) + 0.1
    y = gen.poisson(1.0, (2, 15)).astype(float)
    y[0] = 0.0
    fit = pois.fit([pois.statistics(np.concatenate([x, y[..., None]], axis=-1))], [1.0])
    np.testing.assert_array_equal(fit.converged, [False, True])


def test_failures_in_a_recursion_are_flagged_never_nan():
    """Fully synthetic logistic recursion at n = 12: separations happen, and are absorbing."""
    fam = mc.LogisticRegression(beta=[2.0, 1.0])
    res = mc.simulate(
        fam, n0=12, schedule=12, generations=15, replications=400, seed=3, engine="sample"
    )
    failed = res.values("fit_failed")
    err = res.values("param_error")
    assert 0 < failed.mean() < 1
    np.testing.assert_array_equal(np.isposinf(err), failed == 1)
    np.testing.assert_array_equal(np.isnan(res.values("beta[0]")), failed == 1)
    assert not np.isnan(err).any()
    summary = res.summary()
    assert not summary.drop(columns=["metric"]).isna().any().any()


def test_fisher_information_against_two_dimensional_quadrature():
    """I(beta) = E[b''(x'beta) x x'] by a 2-D Gauss-Hermite product rule on x = L z."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(120)
    weights = weights / weights.sum()
    z = np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
    wz = np.outer(weights, weights).ravel()
    x = z @ np.linalg.cholesky(COV).T
    for beta in ([1.0, -0.5], [0.0, 0.0], [3.0, 2.0], [1e-5, 0.0]):
        beta = np.array(beta)
        eta = x @ beta
        for fam, second in (
            (
                mc.LogisticRegression(beta=beta, cov=COV),
                np.exp(-np.abs(eta)) / (1 + np.exp(-np.abs(eta))) ** 2,
            ),
            (mc.PoissonRegression(beta=beta, cov=COV), np.exp(eta)),
        ):
            expected = (x.T * (wz * second)) @ x
            info = fam.fisher_information(fam.truth())
            np.testing.assert_allclose(info, expected, rtol=1e-9, atol=1e-13)
            cov = fam.asymptotic_covariance(fam.truth())
            np.testing.assert_allclose(cov @ info, np.eye(2), atol=1e-10)
            assert fam.error_constant() == pytest.approx(np.trace(np.linalg.inv(expected)))
    # The synthetic covariate law gives the synthetic information.
    fam = mc.PoissonRegression(beta=[1.0, 0.0], cov=COV, synthetic_cov=2.0)
    synth = GLMParams(np.array([[1.0, 0.0]]), np.array([True]), "synthetic")
    np.testing.assert_allclose(
        fam.fisher_information(synth)[0], np.exp(1.0) * (2 * np.eye(2) + np.diag([4.0, 0.0]))
    )


def test_covariate_laws_and_poisson_clip():
    fam = mc.PoissonRegression(beta=[0.5, 0.5], cov=0.25, synthetic_cov=1.0)
    r = 200
    truth = fam.broadcast(fam.truth(), r)
    model = fam.fit([fam.draw(truth, 100, _rng(1, r), "sample")], [1.0])
    assert model.covariates == "synthetic"
    for params, var in ((truth, 0.25), (model, 1.0)):
        x = fam.draw(params, 100, _rng(2, r), "sample").x
        v = (x**2).mean(axis=(1, 2))
        assert z_within(v.mean(), var, _se(v))
    # A wild model draws counts with mean at most e^clip.
    wild = GLMParams(np.array([[40.0, 0.0]] * 50), np.ones(50, bool), "synthetic")
    counts = fam.draw(wild, 40, _rng(3, 50), "sample").y
    assert np.all(np.isfinite(counts)) and counts.max() < 2 * np.exp(20)
    tight = mc.PoissonRegression(beta=[0.5, 0.5], clip=2.0)
    assert tight.draw(wild, 40, _rng(3, 50), "sample").y.mean() < 2 * np.exp(2.0)


@pytest.mark.parametrize(
    ("family", "engine", "w", "n", "m"),
    [
        (mc.LogisticRegression(beta=[1.0, 1.0]), "sample", 0.618, 800, 800),
        (mc.LogisticRegression(beta=[1.0, 1.0]), "asymptotic", 0.618, 800, 800),
        (mc.PoissonRegression(beta=[1.0, 1.0]), "sample", 0.4, 1000, 500),
        (mc.PoissonRegression(beta=[1.0, 1.0]), "asymptotic", 0.4, 1000, 500),
    ],
    ids=["logistic-sample", "logistic-asymptotic", "poisson-sample", "poisson-asymptotic"],
)
def test_weighted_recursion_at_large_n(family, engine, w, n, m):
    """e_t = (1-w)^2 e_{t-1} + C (w^2/n + (1-w)^2/m), e_0 = C/n, C = tr I(beta*)^-1: paper 2's
    (C/n)[(1-w)^2t + R(w, k)(1 - (1-w)^2t)], asymptotic in n (the O(1/n) corrections are a
    fraction of a percent here, against a tolerance of 4 standard errors, about 13%)."""
    generations = 5
    res = mc.simulate(
        family,
        n0=n,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=1000,
        seed=21,
        engine=engine,
        record=[0, 1, generations],
    )
    c = family.error_constant()
    e = [c / n]
    for _ in range(generations):
        e.append((1 - w) ** 2 * e[-1] + c * (w**2 / n + (1 - w) ** 2 / m))
    k = n / m
    ratio = (w**2 + k * (1 - w) ** 2) / (w * (2 - w))
    decay = (1 - w) ** (2 * generations)
    assert e[-1] == pytest.approx(c / n * (decay + ratio * (1 - decay)), rel=1e-12)
    err = res.values("param_error")
    assert res.values("fit_failed").max() == 0
    for j, t in enumerate(res.generations):
        assert z_within(err[:, j].mean(), e[t], _se(err[:, j])), t


def test_different_covariate_laws_mix_by_information():
    """With real N(0, I/2) and synthetic N(0, 2 I) covariates the weighted MLE weights the
    sources by information; the asymptotic engine agrees with the data engine."""
    fam = mc.PoissonRegression(beta=[0.5, -0.5], cov=0.5, synthetic_cov=2.0)
    common = {
        "n0": 1000,
        "schedule": 1000,
        "n_real": 1000,
        "weight": 0.5,
        "generations": 3,
        "replications": 800,
        "record": "final",
    }
    a = mc.simulate(fam, engine="sample", seed=1, **common).values("param_error")[:, -1]
    b = mc.simulate(fam, engine="asymptotic", seed=2, **common).values("param_error")[:, -1]
    assert z_within(a.mean(), b.mean(), np.hypot(_se(a), _se(b)))


def test_bad_input():
    fam = mc.LogisticRegression()
    for bad, got in (([[[0.0, 1.0, 2.0]]], "2.0"), ([[[0.0, 1.0, 0.5]]], "0.5")):
        with pytest.raises(mc.InvalidArgumentError, match=f"^data: labels must be 0 or 1.*{got}"):
            fam.statistics(bad)
    pois = mc.PoissonRegression()
    for bad in ([[[0.0, 1.0, -1.0]]], [[[0.0, 1.0, 0.5]]]):
        with pytest.raises(mc.InvalidArgumentError, match="^data: labels must be non-negative"):
            pois.statistics(bad)
    failed = fam.unflatten(np.array([[np.nan, np.nan], [1.0, 0.0]]))
    with pytest.raises(mc.InvalidArgumentError, match="^params: coefficients must be finite"):
        fam.draw(failed, 5, _rng(0, 2), "sample")
    with pytest.raises(mc.InvalidArgumentError, match="^penalty: must be one of none, l2-sklearn"):
        mc.LogisticRegression(penalty="l2")
    with pytest.raises(mc.InvalidArgumentError, match="^clip: must lie in \\(0, inf\\]"):
        mc.PoissonRegression(clip=0.0)
    with pytest.raises(mc.InvalidArgumentError, match="^synthetic_cov: must be a number or a 2x2"):
        mc.PoissonRegression(synthetic_cov=np.eye(3))
    with pytest.raises(mc.InvalidArgumentError, match="^engine: must be one of sample"):
        fam.draw(fam.broadcast(fam.truth(), 2), 5, _rng(0, 2), "exact")
    assert GLMData.hints == ("origin",)
    assert fam.describe()["penalty"] == "none" and pois.describe()["clip"] == 20.0


@pytest.mark.parametrize("name", ["logistic", "poisson"])
def test_information_from_point_products_matches_the_matrix_product(name, monkeypatch):
    """At p = 2 the information is summed from the products ``x_k x_l`` of every point; the
    fits agree with ``X diag(v) X'`` to rounding (same convergence), and each replication's
    result does not depend on the slice it is computed in."""
    import modelcollapse.families.glm as glm

    fam = _families()[name]
    sources = _real_and_synthetic(fam, seed=5)
    products = fam.fit(sources, [0.4, 0.6])
    monkeypatch.setattr(glm, "_SLICE_POINTS", 1)  # one slice of _SLICE_MIN_ROWS rows at a time
    sliced = fam.fit(sources, [0.4, 0.6])
    assert np.array_equal(products.beta, sliced.beta)
    glm._pairs.cache_clear()
    monkeypatch.setattr(glm, "_PAIRS_MAX_DIM", 0)
    try:
        matrix = fam.fit(sources, [0.4, 0.6])
    finally:
        glm._pairs.cache_clear()
    assert products.converged.all()
    assert np.array_equal(products.converged, matrix.converged)
    np.testing.assert_allclose(products.beta, matrix.beta, rtol=1e-12, atol=1e-14)
