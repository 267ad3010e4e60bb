"""Fresh real data weighted against synthetic data (paper 2) for the earlier families: the
categorical family and the Gaussian families in both covariance conventions, against exact
recursions of their expected errors."""

import numpy as np
import pytest
from _stats import z_within

import modelcollapse as mc


def _se(x):
    return x.std(ddof=1) / np.sqrt(x.size)


def _check(values, generations, expected):
    for j, t in enumerate(generations):
        v = values[:, j]
        assert z_within(v.mean(), expected[t], _se(v)), (t, v.mean(), expected[t])


@pytest.mark.parametrize(
    ("engine", "replications", "n", "m", "w"),
    [("exact", 40000, 10, 10, 0.618), ("exact", 40000, 5, 20, 0.25), ("sample", 8000, 8, 12, 0.5)],
)
def test_categorical_with_fresh_data(engine, replications, n, m, w):
    """prob_error (mean over cells): e_t = C [w^2/n + (1-w)^2/m] + (1-w)^2 (1 - 1/m) e_{t-1},
    e_0 = C/n0, C = (1/K) sum_k p_k (1 - p_k): the CDF's bracket, exact for every t."""
    p = np.array([0.1, 0.2, 0.3, 0.4])
    n0, generations = 7, 20
    res = mc.simulate(
        mc.Categorical(p),
        n0=n0,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=replications,
        seed=13,
        engine=engine,
        record=[0, 1, 2, 5, 20],
    )
    c = np.mean(p * (1 - p))
    e = [c / n0]
    for _ in range(generations):
        e.append(c * (w**2 / n + (1 - w) ** 2 / m) + (1 - w) ** 2 * (1 - 1 / m) * e[-1])
    _check(res.values("prob_error"), res.generations, e)
    limit = c * (w**2 / n + (1 - w) ** 2 / m) / (1 - (1 - w) ** 2 * (1 - 1 / m))
    assert e[-1] == pytest.approx(limit, rel=1e-4)
    lost = res.values("cells_lost")
    assert np.any((lost[:, 0] > 0) & (lost[:, -1] == 0))  # fresh data bring lost cells back
    np.testing.assert_allclose(res.flat_params.sum(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize(("engine", "replications"), [("exact", 40000), ("sample", 8000)])
def test_gaussian_convex_unbiased_with_fresh_data(engine, replications):
    """The authors' convention. Mean: e_t = (1-w)^2 e_{t-1} + sigma2 (w^2/n + (1-w)^2/m).
    Variance: v_t = 2 sigma^4 [w^2/(n-1) + (1-w)^2/(m-1)] + (1-w)^2 (1 + 2/(m-1)) v_{t-1},
    v_0 = 2 sigma^4/(n0 - 1) (E sigma2_t = sigma2 throughout)."""
    s2, n0, n, m, w, generations = 2.0, 6, 8, 5, 0.618, 15
    res = mc.simulate(
        mc.Gaussian(mu=1.0, sigma2=s2),
        n0=n0,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=replications,
        seed=17,
        engine=engine,
        record=[0, 1, 4, 15],
    )
    e, v = [s2 / n0], [2 * s2**2 / (n0 - 1)]
    for _ in range(generations):
        e.append((1 - w) ** 2 * e[-1] + s2 * (w**2 / n + (1 - w) ** 2 / m))
        v.append(
            2 * s2**2 * (w**2 / (n - 1) + (1 - w) ** 2 / (m - 1))
            + (1 - w) ** 2 * (1 + 2 / (m - 1)) * v[-1]
        )
    _check(res.values("mean_error"), res.generations, e)
    _check(res.values("cov_error"), res.generations, v)
    _check(res.values("sigma2"), res.generations, [s2] * (generations + 1))


@pytest.mark.parametrize(
    ("family", "trace"),
    [
        (mc.Gaussian(mu=0.0, sigma2=1.5, variance="mle", combine="pooled"), 1.5),
        (mc.MultivariateGaussian.isotropic(3, sigma2=0.5, variance="mle", combine="pooled"), 1.5),
        (mc.MultivariateGaussian([0.0, 1.0], [[1.0, 0.4], [0.4, 2.0]], variance="mle"), 3.0),
    ],
    ids=["1d-mle-pooled", "3d-mle-pooled", "2d-mle-convex"],
)
def test_gaussian_mle_conventions_with_fresh_data(family, trace):
    """Weighted pooled MLE and convex MLE: with s_t = E tr Sigma_t and e_t = E|mu_t - mu|^2,
    e_t = w^2 tr/n + (1-w)^2 s_{t-1}/m + (1-w)^2 e_{t-1};
    convex: s_t = w tr (n-1)/n + (1-w) s_{t-1} (m-1)/m;
    pooled adds w(1-w) E|xbar_r - xbar_s|^2 = w(1-w) [tr/n + s_{t-1}/m + e_{t-1}]."""
    n0, n, m, w, generations = 5, 6, 9, 0.4, 12
    res = mc.simulate(
        family,
        n0=n0,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=40000,
        seed=19,
        record=[0, 1, 3, 12],
    )
    e, s = [trace / n0], [trace * (n0 - 1) / n0]
    for _ in range(generations):
        e_prev, s_prev = e[-1], s[-1]
        e.append(w**2 * trace / n + (1 - w) ** 2 * s_prev / m + (1 - w) ** 2 * e_prev)
        s_new = w * trace * (n - 1) / n + (1 - w) * s_prev * (m - 1) / m
        if family.combine == "pooled":
            s_new += w * (1 - w) * (trace / n + s_prev / m + e_prev)
        s.append(s_new)
    _check(res.values("mean_error"), res.generations, e)
    d = getattr(family, "dim", 1)
    _check(res.values("sigma2") * d, res.generations, s)
