"""Notebook habits: rng= (SPEC 7), a result's HTML display, its plot and its frame's attrs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import modelcollapse as mc
from modelcollapse.plots import text_problems

RUN = {"n0": 20, "schedule": 20, "generations": 4, "replications": 1100}


def test_rng_is_the_seed_under_spec7s_name():
    by_seed = mc.simulate(mc.Gaussian(), seed=5, **RUN)
    by_rng = mc.simulate(mc.Gaussian(), rng=5, **RUN)
    by_sequence = mc.simulate(mc.Gaussian(), rng=np.random.SeedSequence(5), **RUN)
    assert np.array_equal(by_seed.flat_params, by_rng.flat_params)
    assert np.array_equal(by_seed.flat_params, by_sequence.flat_params)


def test_a_generator_seeds_a_run_reproducibly_for_any_number_of_workers():
    one = mc.simulate(mc.Gaussian(), rng=np.random.default_rng(9), **RUN)
    two = mc.simulate(mc.Gaussian(), rng=np.random.default_rng(9), workers=2, **RUN)
    again = mc.simulate(mc.Gaussian(), seed=np.random.default_rng(9), **RUN)
    other = mc.simulate(mc.Gaussian(), rng=np.random.default_rng(10), **RUN)
    assert np.array_equal(one.flat_params, two.flat_params)
    assert np.array_equal(one.flat_params, again.flat_params)
    assert not np.array_equal(one.flat_params, other.flat_params)
    entropy = one.config["seed"]["entropy"]
    assert isinstance(entropy, list) and len(entropy) == 4  # 128 bits, recorded
    rebuilt = mc.simulate(mc.Gaussian(), seed=np.random.SeedSequence(entropy), **RUN)
    assert np.array_equal(one.flat_params, rebuilt.flat_params)


def test_the_generator_advances():
    gen = np.random.default_rng(3)
    a = mc.simulate(mc.Gaussian(), rng=gen, **RUN)
    b = mc.simulate(mc.Gaussian(), rng=gen, **RUN)
    assert not np.array_equal(a.flat_params, b.flat_params)


def test_a_weight_sweep_takes_rng():
    kwargs = {**RUN, "n_real": 20, "weights": [0.5]}
    a = mc.simulate_weights(mc.Gaussian(), rng=np.random.default_rng(1), **kwargs)
    b = mc.simulate_weights(mc.Gaussian(), seed=np.random.default_rng(1), **kwargs)
    assert np.array_equal(a[0].flat_params, b[0].flat_params)


def test_the_frame_keeps_the_configuration():
    res = mc.simulate(mc.Gaussian(), seed=1, **RUN)
    frame = res.to_frame()
    assert frame.attrs["config"] == res.config
    frame.attrs["config"]["n0"] = -1
    assert res.config["n0"] == 20  # a copy


def test_the_html_display_shows_the_configuration_and_a_summary():
    res = mc.simulate(mc.Gaussian(mu=1.0, sigma2=2.0), seed=1, **RUN)
    text = res._repr_html_()
    assert text.startswith("<div>") and text.endswith("</div>")
    assert "gaussian (mu=1.0, sigma2=2.0" in text and "constant:n=20" in text
    final = res.values("sigma2")[:, -1]
    se = final.std(ddof=1) / np.sqrt(final.size)
    assert f"{final.mean():.4g} ({se:.2g})" in text
    res.config["regime"] = "<script>alert(1)</script>"  # every value is escaped
    shown = res._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown


def test_the_plot_draws_the_mean_and_a_band_readably():
    res = mc.simulate(mc.Gaussian(), seed=2, **{**RUN, "generations": 15})
    ax = res.plot("sigma2")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), res.values("sigma2").mean(axis=0))
    assert ax.get_xlabel() == "generation t" and "(variance units)" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0.1-0.9 quantiles", "mean"]
    assert text_problems(ax.figure) == []


def test_the_plot_says_when_values_are_infinite():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mc.FitFailureWarning)
        res = mc.simulate(
            mc.LogisticRegression(beta=[3.0, -3.0]),
            n0=20,
            schedule=20,
            generations=6,
            replications=200,
            seed=0,
            engine="sample",
        )
    ax = res.plot("param_error")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    lost = int(np.isinf(res.values("param_error")).sum())
    assert labels[1] == f"mean of finite values ({lost:,} infinite)" and lost > 0
    assert text_problems(ax.figure) == []


@pytest.mark.parametrize("quantiles", [(0.9, 0.1), (0.1, 1.5)])
def test_bad_plot_bands(quantiles):
    res = mc.simulate(mc.Gaussian(), seed=2, **RUN)
    with pytest.raises(mc.InvalidArgumentError, match="^quantiles"):
        res.plot("sigma2", quantiles=quantiles)
