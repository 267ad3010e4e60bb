"""The engine against closed forms, the two engines against each other, seeding, validation."""

import numpy as np
import pytest
from _stats import z_within
from scipy import stats

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.random import BLOCK_SIZE
from modelcollapse.schedules import WeightFunction

SIGMA2 = 2.0


def _final(res, name):
    return res.values(name)[:, -1]


@pytest.mark.parametrize("variance", ["unbiased", "mle"])
@pytest.mark.parametrize("schedule", ["constant:n=10", "power:n0=5,s=0.5"])
def test_variance_mean_and_mean_variance_against_theory(variance, schedule):
    R, T = 20000, 25
    fam = mc.Gaussian(mu=1.0, sigma2=SIGMA2, variance=variance)
    res = mc.simulate(fam, n0=8, schedule=schedule, generations=T, replications=R, seed=42)
    sizes = mc.parse_schedule(schedule).sizes(T)
    e_sigma2, var_sigma2 = theory.gaussian_variance_moments(8, sizes, variance, SIGMA2)
    var_mu = theory.gaussian_mean_variance(8, sizes, variance, SIGMA2)
    for t in (1, T // 2, T):
        s2 = res.values("sigma2")[:, t]
        assert z_within(s2.mean(), e_sigma2[t], np.sqrt(var_sigma2[t] / R)), t
        err = res.values("mean_error")[:, t]
        assert z_within(err.mean(), var_mu[t], err.std(ddof=1) / np.sqrt(R)), t
    # Unbiased: sigma2_t is a martingale; MLE: it shrinks by prod(1 - 1/n_t).
    if variance == "unbiased":
        np.testing.assert_allclose(e_sigma2, SIGMA2)
    else:
        full = np.concatenate([[8], sizes])
        np.testing.assert_allclose(e_sigma2, SIGMA2 * np.cumprod(1 - 1 / full))


def test_second_moment_of_variance_against_theory():
    R, T = 40000, 10
    res = mc.simulate(
        mc.Gaussian(sigma2=SIGMA2), n0=30, schedule=30, generations=T, replications=R, seed=5
    )
    err = _final(res, "cov_error")
    mean, var = theory.gaussian_variance_moments(30, [30] * T, "unbiased", SIGMA2)
    assert z_within(err.mean(), var[-1] + (mean[-1] - SIGMA2) ** 2, err.std(ddof=1) / np.sqrt(R))


def test_log_variance_is_a_random_walk_with_the_predicted_drift():
    R, T = 20000, 200
    res = mc.simulate(
        mc.Gaussian(variance="mle"),
        n0=20,
        schedule=20,
        generations=T,
        replications=R,
        seed=6,
        record="final",
    )
    log_s2 = np.log(_final(res, "sigma2"))
    mean, var = theory.gaussian_log_variance_moments(20, [20] * T, "mle")
    assert z_within(log_s2.mean(), mean[-1], np.sqrt(var[-1] / R))
    assert z_within(log_s2.var(ddof=1), var[-1], var[-1] * np.sqrt(2 / (R - 1)))


@pytest.mark.parametrize("variance", ["unbiased", "mle"])
def test_multivariate_traces_against_theory(variance):
    R, T, d = 10000, 15, 3
    cov = np.array([[1.0, 0.2, 0.0], [0.2, 0.5, 0.1], [0.0, 0.1, 2.0]])
    fam = mc.MultivariateGaussian(np.zeros(d), cov, variance=variance)
    res = mc.simulate(fam, n0=12, schedule="linear:n=6", generations=T, replications=R, seed=8)
    sizes = mc.Linear(6).sizes(T)
    tr = np.trace(cov)
    e_tr, _ = theory.gaussian_variance_moments(12, sizes, variance, tr)
    e_mu = theory.gaussian_mean_variance(12, sizes, variance, tr)
    total_var = _final(res, "sigma2") * d
    assert z_within(total_var.mean(), e_tr[-1], total_var.std(ddof=1) / np.sqrt(R))
    err = _final(res, "mean_error")
    assert z_within(err.mean(), e_mu[-1], err.std(ddof=1) / np.sqrt(R))


@pytest.mark.parametrize(
    "family",
    [
        mc.Gaussian(sigma2=SIGMA2, variance="unbiased"),
        mc.MultivariateGaussian.isotropic(2, variance="mle"),
    ],
    ids=["1d", "2d"],
)
def test_exact_and_sample_engines_agree_in_distribution(family):
    R, T = 4000, 20
    common = {
        "n0": 10,
        "schedule": "list:" + ",".join(["10", "25"] * 10),
        "generations": T,
        "replications": R,
        "record": "final",
    }
    exact = mc.simulate(family, engine="exact", seed=1, **common)
    sample = mc.simulate(family, engine="sample", seed=2, **common)
    for name in ("sigma2", "mean_error", "kl"):
        a, b = _final(exact, name), _final(sample, name)
        assert stats.ks_2samp(a, b).pvalue > 1e-3, name
        se = np.hypot(np.log(a).std(), np.log(b).std()) / np.sqrt(R)
        assert z_within(np.log(a).mean(), np.log(b).mean(), se), name
    first = family.param_labels[0]
    assert stats.ks_2samp(_final(exact, first), _final(sample, first)).pvalue > 1e-3


@pytest.mark.parametrize("engine", ["exact", "sample"])
@pytest.mark.parametrize("w", [0.0, 0.3, 0.618, 1.0])
def test_fresh_data_mean_error_against_theory(engine, w):
    R, T = 8000, 12
    fam = mc.Gaussian(sigma2=SIGMA2)
    res = mc.simulate(
        fam,
        n0=20,
        schedule=20,
        n_real=10,
        weight=w,
        generations=T,
        replications=R,
        seed=3,
        engine=engine,
    )
    expected = theory.gaussian_mean_error(20, [10] * T, [20] * T, w, SIGMA2)
    err = _final(res, "mean_error")
    assert z_within(err.mean(), expected[-1], err.std(ddof=1) / np.sqrt(R))
    assert np.all(res.weights[1:] == w)


def test_default_weight_is_unweighted_pooling():
    res = mc.simulate(
        mc.Gaussian(), n0=10, schedule=30, n_real=10, generations=3, replications=5, seed=0
    )
    assert res.weights.tolist() == [1.0, 0.25, 0.25, 0.25]
    assert res.n_real.tolist() == [10, 10, 10, 10]
    assert res.n_synth.tolist() == [0, 30, 30, 30]
    assert res.config["weight"] == "naive"


@pytest.mark.parametrize("engine", ["exact", "sample"])
def test_same_seed_same_result_whatever_the_chunk_size(engine):
    family = mc.MultivariateGaussian.isotropic(2)
    R = 2 * BLOCK_SIZE + 100
    common = {
        "n0": 5,
        "schedule": 5,
        "n_real": 5,
        "weight": 0.4,
        "generations": 6,
        "replications": R,
        "seed": 99,
        "engine": engine,
    }
    base = mc.simulate(family, chunk_size=1, **common).flat_params
    for chunk in (BLOCK_SIZE + 1, 3 * BLOCK_SIZE, None):
        again = mc.simulate(family, chunk_size=chunk, **common).flat_params
        assert np.array_equal(base, again), chunk
    other = mc.simulate(family, chunk_size=None, **{**common, "seed": 100}).flat_params
    assert not np.array_equal(base, other)


def test_large_samples_use_smaller_blocks_with_the_same_guarantees():
    """Above 1,024 points per replication the sample engine's blocks shrink (block_size_for);
    the result still does not depend on the chunk size or the number of workers."""
    family = mc.Gaussian()
    common = {
        "n0": 50,
        "schedule": 3000,
        "n_real": 50,
        "weight": 0.3,
        "generations": 3,
        "replications": 700,
        "seed": 4,
        "engine": "sample",
    }
    base = mc.simulate(family, **common)
    assert base.config["block_size"] == 256
    assert mc.simulate(family, **{**common, "engine": "exact"}).config["block_size"] == BLOCK_SIZE
    for kwargs in ({"chunk_size": 1}, {"chunk_size": 600}, {"workers": 2}):
        again = mc.simulate(family, **common, **kwargs)
        assert np.array_equal(base.flat_params, again.flat_params), kwargs
    # The replications of complete blocks do not depend on how many replications follow.
    fewer = mc.simulate(family, **{**common, "replications": 512})
    assert np.array_equal(fewer.flat_params, base.flat_params[:512])


def test_rerun_reproduces_and_seedless_runs_record_their_seed():
    res = mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=5, replications=50)
    assert np.array_equal(res.rerun().flat_params, res.flat_params)
    entropy = res.config["seed"]["entropy"]
    again = mc.simulate(
        mc.Gaussian(), n0=10, schedule=10, generations=5, replications=50, seed=entropy
    )
    assert np.array_equal(again.flat_params, res.flat_params)


def test_record_options():
    common = {"n0": 10, "schedule": 10, "generations": 20, "replications": 4, "seed": 0}
    full = mc.simulate(mc.Gaussian(), record="all", **common)
    assert full.generations.tolist() == list(range(21))
    part = mc.simulate(mc.Gaussian(), record=[20, 0, 5, 5], **common)
    assert part.generations.tolist() == [0, 5, 20]
    np.testing.assert_array_equal(part.flat_params, full.flat_params[:, [0, 5, 20]])
    final = mc.simulate(mc.Gaussian(), record="final", **common)
    assert final.generations.tolist() == [20]
    big = mc.simulate(
        mc.Gaussian(), n0=10, schedule=10, generations=2000, replications=1100, seed=0
    )
    assert big.generations[0] == 0 and big.generations[-1] == 2000
    assert big.generations.size == 101


def test_zero_generations_and_one_replication():
    res = mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=0, replications=1, seed=0)
    assert res.flat_params.shape == (1, 1, 2)
    summary = res.summary()
    assert set(summary["generation"]) == {0}
    assert summary["sd"].isna().all()  # one replication: no spread to estimate
    assert np.isfinite(summary["mean"]).all()


def test_huge_sample_sizes_in_the_exact_engine():
    res = mc.simulate(
        mc.Gaussian(), n0=10**15, schedule=10**15, generations=50, replications=2000, seed=0
    )
    s2 = res.values("sigma2")
    assert np.all(np.isfinite(s2))
    assert np.abs(s2 - 1).max() < 1e-5
    mv = mc.simulate(
        mc.MultivariateGaussian.isotropic(2),
        n0=10**15,
        schedule=10**15,
        generations=5,
        replications=100,
        seed=0,
    )
    assert np.abs(mv.values("sigma2") - 1).max() < 1e-5


@pytest.mark.parametrize(
    "family",
    [mc.Gaussian(variance="mle"), mc.MultivariateGaussian.isotropic(2, variance="mle")],
    ids=["1d", "2d"],
)
def test_variance_underflow_is_collapse_not_nan(family):
    res = mc.simulate(
        family, n0=3, schedule=3, generations=3000, replications=64, seed=1, record="final"
    )
    s2 = _final(res, "sigma2")
    assert np.all(s2 == 0.0)
    assert np.all(_final(res, "collapsed") == 1.0)
    assert np.all(np.isposinf(_final(res, "kl")))
    assert np.all(np.isposinf(_final(res, "risk")))
    assert np.all(np.isfinite(_final(res, "mean_error")))
    summary = res.summary()
    assert not summary.drop(columns=["metric"]).isna().any().any()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n0": 1}, "^n0: must be an integer >= 2"),
        ({"schedule": "constant:n=1"}, "^schedule: constant:n=1 gives 1 at generation t=1"),
        ({"schedule": "list:5,1" + ",5" * 8}, "gives 1 at generation t=2"),
        ({"generations": -1}, "^generations: must be an integer >= 0"),
        ({"replications": 0}, "^replications: must be an integer >= 1"),
        ({"engine": "fast"}, "^engine: must be one of exact, sample"),
        ({"regime": "magic"}, "^regime: must be one of replace"),
        ({"weight": 0.5}, "^weight: applies only with fresh real data"),
        ({"n_real": 1, "weight": 0.5}, "^n_real: constant:n=1 gives 1"),
        ({"n_real": 5, "weight": 1.2}, "^weight: must be a number in"),
        ({"record": [0, 11]}, "^record: generations must be integers in"),
        ({"record": "some"}, "^record: must be one of auto, all, final"),
        ({"metrics": ["accuracy"]}, "^metrics: must be among"),
        ({"eps": -1}, "^eps: must lie in"),
        ({"seed": -3}, "^seed: must be a non-negative integer"),
        ({"chunk_size": 0}, "^chunk_size: must be an integer >= 1"),
        ({"schedule": "exp:n0=10,c=100"}, "64-bit integer limit at generation t=9"),
    ],
)
def test_validation_errors(kwargs, fragment):
    args = {"n0": 10, "schedule": 10, "generations": 10, "replications": 3, "seed": 0}
    args.update(kwargs)
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.simulate(mc.Gaussian(), **args)


def test_family_must_follow_the_protocol():
    with pytest.raises(mc.InvalidArgumentError, match="^family: must implement"):
        mc.simulate("gaussian", n0=10, schedule=10, generations=1)


def test_multivariate_minimum_size_is_dimension_plus_one():
    with pytest.raises(mc.InvalidArgumentError, match="needs sample sizes >= 4"):
        mc.simulate(mc.MultivariateGaussian.isotropic(3), n0=10, schedule=3, generations=2)


def _engine_cases():
    from conftest import FAMILY_CASES

    cases = []
    for name in sorted(FAMILY_CASES):
        for engine in FAMILY_CASES[name]().engines:
            cases.append(pytest.param(name, engine, id=f"{name}-{engine}"))
    return cases


@pytest.mark.parametrize(("name", "engine"), _engine_cases())
def test_weight_sweep_arms_equal_single_runs(name, engine):
    """Common random numbers only save work: each arm is bit-identical to its own run (this
    also catches a family writing into a shared, read-only draw)."""
    from conftest import FAMILY_CASES

    family = FAMILY_CASES[name]()
    n = max(12, family.min_sample_size)
    # Varying synthetic sizes, except for the fixed design (one response per design row).
    step = 0 if isinstance(family, mc.LinearRegressionFixed) else 7
    common = {
        "n0": n,
        "schedule": "list:" + ",".join([str(n), str(n + step)] * 2),
        "n_real": n,
        "generations": 4,
        "replications": BLOCK_SIZE + 3,
        "seed": 21,
        "engine": engine,
    }
    weights = [0.2, "optimal", "naive"]
    runs = mc.simulate_weights(family, weights=weights, **common)
    assert len(runs) == 3
    for w, run in zip(weights, runs, strict=True):
        alone = mc.simulate(family, weight=w, **common)
        if run.flat_params is not None:  # NaN where a GLM fit failed, in both runs alike
            assert np.array_equal(run.flat_params, alone.flat_params, equal_nan=True), w
        for metric, values in run.metrics.items():
            assert np.array_equal(values, alone.metrics[metric], equal_nan=True), (w, metric)
        assert np.array_equal(run.weights, alone.weights)
        assert run.config == alone.config
    last = {name: values[:, -1] for name, values in runs[0].metrics.items()}
    assert any(
        not np.array_equal(v, runs[1].metrics[k][:, -1], equal_nan=True) for k, v in last.items()
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"weights": []}, "^weights: must be a non-empty sequence"),
        ({"weights": "optimal"}, "^weights: must be a non-empty sequence"),
        ({"weights": 0.5}, "^weights: must be a sequence"),
        ({"weights": [0.5, 2.0]}, "^weight: must be a number in"),
        ({"n_real": 0}, "^n_real: must be positive for a weight sweep"),
    ],
)
def test_weight_sweep_validation(kwargs, fragment):
    args = {"n0": 10, "schedule": 10, "n_real": 10, "generations": 3, "replications": 3}
    args.update({"weights": [0.5]}, **kwargs)
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.simulate_weights(mc.Gaussian(), **args)


def _weight_half(t, n_real, n_synth):
    """A picklable weight function for the parallel tests (module level)."""
    return 0.5


@pytest.mark.parametrize(
    ("family", "engine", "regime"),
    [
        (mc.Gaussian(), "exact", "replace"),
        (mc.Categorical([0.5, 0.3, 0.2]), "exact", "accumulate-subsample"),
        (mc.LogisticRegression(beta=[1.0, -1.0]), "sample", "replace"),
        (mc.Poisson(2.0), "asymptotic", "anchor:alpha=0.3"),
    ],
)
def test_workers_give_the_single_process_result(family, engine, regime):
    """Replications split over processes in whole random blocks: bit-identical results."""
    kwargs = dict(
        n0=30,
        schedule=30,
        generations=6,
        replications=2500,
        seed=8,
        engine=engine,
        regime=regime,
        record="all",
    )
    one = mc.simulate(family, **kwargs)
    two = mc.simulate(family, workers=2, **kwargs)
    others = [two]
    if engine == "exact" and regime == "replace":  # three ranges, small chunks
        others.append(mc.simulate(family, workers=3, chunk_size=1024, **kwargs))
    for other in others:
        assert np.array_equal(one.flat_params, other.flat_params, equal_nan=True)
        for name in one.metric_names:
            assert np.array_equal(one.values(name), other.values(name), equal_nan=True)


def test_workers_in_weight_sweeps_and_their_errors():
    kwargs = dict(n0=40, schedule=40, n_real=40, generations=5, replications=2100, seed=2)
    rules = [0.3, "optimal", WeightFunction(_weight_half)]
    one = mc.simulate_weights(mc.Gaussian(), weights=rules, **kwargs)
    two = mc.simulate_weights(mc.Gaussian(), weights=rules, workers=2, **kwargs)
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a.flat_params, b.flat_params)
    with pytest.raises(mc.InvalidArgumentError, match="workers: must be an integer >= 1"):
        mc.simulate(mc.Gaussian(), n0=10, schedule=10, generations=2, workers=0)
    with pytest.raises(mc.InvalidArgumentError, match="workers: more than one worker needs"):
        mc.simulate(mc.Gaussian(), weight=WeightFunction(lambda t, a, b: 0.5), workers=2, **kwargs)
    # One block of replications: nothing to split, no process started.
    small = mc.simulate(
        mc.Gaussian(),
        n0=10,
        schedule=10,
        generations=2,
        replications=50,
        seed=1,
        workers=4,
        weight=WeightFunction(lambda t, a, b: 0.5),
        n_real=10,
    )
    assert small.values("sigma2").shape == (50, 3)


def test_draw_clock_counts_the_draws_of_worker_processes():
    """The time spent drawing random numbers (an experiment's floor, meta.json's draw_time_s)
    includes the workers': with two workers the parent draws nothing itself."""
    from modelcollapse.random import draw_seconds

    kwargs = dict(n0=200, schedule=200, generations=5, replications=4096, seed=3)
    before = draw_seconds()
    mc.simulate(mc.Gaussian(), engine="sample", **kwargs)
    alone = draw_seconds() - before
    before = draw_seconds()
    mc.simulate(mc.Gaussian(), engine="sample", workers=2, **kwargs)
    split = draw_seconds() - before
    assert alone > 0 and split > 0
