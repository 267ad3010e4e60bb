import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.families.gaussian import GaussianParams
from modelcollapse.metrics import available_metrics, compute_metrics
from modelcollapse.results import summarize


def test_gaussian_kl_and_risk_known_values():
    fam = mc.Gaussian(mu=0.0, sigma2=1.0)
    params = GaussianParams(np.array([0.0, 1.0, 0.0]), np.array([1.0, 1.0, 2.0]))
    m = compute_metrics(fam, params)
    expected_kl = [0.0, 0.5, 0.5 * (np.log(2.0) + 0.5 - 1.0)]
    np.testing.assert_allclose(m["kl"], expected_kl)
    entropy = 0.5 * np.log(2 * np.pi * np.e)
    np.testing.assert_allclose(m["risk"], np.array(expected_kl) + entropy)
    np.testing.assert_allclose(m["mean_error"], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(m["cov_error"], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(m["sigma2"], [1.0, 1.0, 2.0])


def test_risk_is_the_expected_negative_log_likelihood():
    """Monte Carlo check of E_truth[-log p_model(X)] for one model."""
    fam = mc.MultivariateGaussian([0.0, 1.0], [[1.0, 0.4], [0.4, 2.0]])
    model = GaussianParams(np.array([[0.3, 0.5]]), np.array([[[1.5, -0.2], [-0.2, 1.0]]]))
    x = np.random.default_rng(0).multivariate_normal(
        [0.0, 1.0], [[1.0, 0.4], [0.4, 2.0]], size=400000
    )
    from scipy.stats import multivariate_normal

    nll = -multivariate_normal(model.mean[0], model.cov[0]).logpdf(x)
    risk = compute_metrics(fam, model, ["risk"])["risk"][0]
    assert abs(nll.mean() - risk) < 4 * nll.std() / np.sqrt(x.shape[0])


def test_multivariate_kl_matches_closed_form():
    fam = mc.MultivariateGaussian([0.0, 0.0], np.eye(2))
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    mean = np.array([1.0, -1.0])
    expected = 0.5 * (
        np.trace(np.linalg.inv(cov))
        + mean @ np.linalg.inv(cov) @ mean
        - 2
        + np.log(np.linalg.det(cov))
    )
    got = fam.kl(fam.truth(), GaussianParams(mean[None, None], cov[None, None]))
    np.testing.assert_allclose(got, [[expected]])


def test_collapsed_variance_gives_infinite_kl_not_nan():
    for fam, params in [
        (mc.Gaussian(), GaussianParams(np.array([0.0]), np.array([0.0]))),
        (
            mc.MultivariateGaussian.isotropic(2),
            GaussianParams(np.zeros((1, 2)), np.array([[[1.0, 1.0], [1.0, 1.0]]])),
        ),
    ]:
        m = compute_metrics(fam, params)
        assert np.isposinf(m["kl"]).all()
        assert np.isposinf(m["risk"]).all()


def test_collapsed_indicator_uses_eps():
    fam = mc.Gaussian()
    params = GaussianParams(np.zeros(3), np.array([0.01, 0.05, 0.2]))
    assert compute_metrics(fam, params, ["collapsed"], eps=0.05)["collapsed"].tolist() == [
        1.0,
        1.0,
        0.0,
    ]


def test_available_metrics_and_unknown_metric():
    assert available_metrics(mc.Gaussian()) == (
        "mean_error",
        "cov_error",
        "kl",
        "risk",
        "sigma2",
        "collapsed",
    )
    with pytest.raises(mc.InvalidArgumentError, match="^metrics: must be among"):
        compute_metrics(mc.Gaussian(), mc.Gaussian().truth(), ["nope"])


def test_summarize_keeps_infinities_deliberate():
    values = np.array([[1.0, 1.0], [2.0, np.inf], [3.0, 2.0], [4.0, 3.0]])
    s = summarize(values, quantiles=(0.0, 0.5, 1.0))
    assert s["mean"][0] == 2.5 and np.isposinf(s["mean"][1])
    assert np.isposinf(s["sd"][1]) and np.isposinf(s["se"][1])
    assert s["median"].tolist() == [2.5, 2.5]
    assert np.isposinf(s["max"][1])
    np.testing.assert_allclose(s["se"][0], np.std([1, 2, 3, 4], ddof=1) / 2)


def test_summary_and_frame_layout():
    res = mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=4, replications=30, seed=0)
    summary = res.summary()
    assert list(summary.columns) == [
        "generation",
        "metric",
        "mean",
        "se",
        "sd",
        "min",
        "q05",
        "q25",
        "median",
        "q75",
        "q95",
        "max",
    ]
    assert len(summary) == 5 * 6
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["replication", "generation", "mu", "sigma2"]
    assert len(frame) == 30 * 5
    row = frame[(frame.replication == 7) & (frame.generation == 3)].iloc[0]
    assert row["sigma2"] == res.values("sigma2")[7, 3]
    assert row["kl"] == res.metrics["kl"][7, 3]
    with pytest.raises(mc.InvalidArgumentError, match="^name: must be one of"):
        res.values("nothing")
