"""Logistic regression on a data table (:class:`modelcollapse.LogisticTable`)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

import modelcollapse as mc
from modelcollapse import theory
from modelcollapse.random import ReplicationRandom


def _table(seed: int = 3, rows: int = 600, logistic: bool = True):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(40.0, 12.0, rows), rng.exponential(2000.0, rows)])
    if logistic:
        eta = -0.5 + 0.04 * (x[:, 0] - 40.0) + 2e-4 * (x[:, 1] - 2000.0)
        y = rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-eta))
    else:  # not a logistic law of x: both tails of age are positive
        y = np.abs(x[:, 0] - 40.0) > 12.0
    return x, y.astype(float)


def _rng(seed: int, size: int) -> ReplicationRandom:
    return ReplicationRandom(np.random.SeedSequence(seed), 0, size)


def _reference_fit(sources, weights, penalty):
    """One replication's fit by scipy in the table's units (intercept first)."""
    total = sum(len(y) for _, y in sources)

    def negative(beta):
        value, grad, hess = 0.0, np.zeros(beta.size), np.zeros((beta.size, beta.size))
        for (x, y), w in zip(sources, weights, strict=True):
            a = w / len(y) * (total if penalty == "l2-sklearn" else 1.0)
            z = np.column_stack([np.ones(len(y)), x])
            eta = z @ beta
            mu = 1.0 / (1.0 + np.exp(-eta))
            value -= a * np.sum(y * eta - np.logaddexp(0.0, eta))
            grad -= a * z.T @ (y - mu)
            hess += a * (z * (mu * (1 - mu))[:, None]).T @ z
        if penalty == "l2-sklearn":
            ridge = np.r_[0.0, np.ones(beta.size - 1)]
            value += 0.5 * np.sum(ridge * beta**2)
            grad += ridge * beta
            hess += np.diag(ridge)
        return value, grad, hess

    res = optimize.minimize(
        lambda b: negative(b)[0],
        np.zeros(sources[0][0].shape[1] + 1),
        jac=lambda b: negative(b)[1],
        hess=lambda b: negative(b)[2],
        method="trust-exact",
        options={"gtol": 1e-13},
    )
    return res.x


@pytest.mark.parametrize("penalty", ["none", "l2-sklearn"])
def test_weighted_fit_matches_a_reference_solver(penalty):
    x, y = _table()
    fam = mc.LogisticTable(x, y, columns=["age", "gain"], penalty=penalty)
    real = fam.sample(fam.broadcast(fam.truth(), 3), 150, _rng(1, 3))
    other = fam.unflatten(np.array([-1.0, 0.05, 3e-4]))
    synth = fam.sample(fam.broadcast(other, 3), 250, _rng(2, 3))
    fit = fam.fit([fam.statistics(real), fam.statistics(synth)], [0.6, 0.4])
    ours = fam.flatten(fit)
    assert np.all(fit.converged)
    for r in range(3):
        sources = [(real[r, :, :2], real[r, :, 2]), (synth[r, :, :2], synth[r, :, 2])]
        ref = _reference_fit(sources, [0.6, 0.4], penalty)
        np.testing.assert_allclose(ours[r], ref, rtol=1e-6)


def test_pseudo_truth_is_the_fit_on_all_rows_in_table_units():
    x, y = _table(logistic=False)
    fam = mc.LogisticTable(x, y)
    ref = _reference_fit([(x, y)], [1.0], "none")
    np.testing.assert_allclose(fam.beta_star, ref, rtol=1e-8)
    np.testing.assert_allclose(fam.flatten(fam.truth()), ref, rtol=1e-8)
    assert fam.param_labels == ("intercept", "x[0]", "x[1]")


def test_real_draws_are_table_rows_and_synthetic_labels_come_from_the_model():
    x, y = _table()
    fam = mc.LogisticTable(x, y)
    rows = fam.sample(fam.broadcast(fam.truth(), 4), 300, _rng(5, 4))
    table = np.column_stack([x, y])
    # Every real point is a row of the table, label included.
    matches = (rows[:, :, None, :] == table[None, None]).all(axis=-1).any(axis=-1)
    assert matches.all()
    # Labels from a model that says "always 1" are all 1, whatever the table says.
    sure = fam.unflatten(np.array([50.0, 0.0, 0.0]))
    drawn = fam.sample(fam.broadcast(sure, 4), 300, _rng(6, 4))
    assert np.all(drawn[..., 2] == 1.0)
    assert np.all((drawn[:, :, None, :2] == x[None, None]).all(axis=-1).any(axis=-1))


def test_sandwich_constant_matches_simulation_on_a_misspecified_table():
    """A real-data fit's n E|beta_hat - beta*|^2 is the sandwich, not tr I^-1, when the table's
    labels are not a logistic law."""
    x, y = _table(logistic=False, rows=3000)
    fam = mc.LogisticTable(x, y)
    r, n = 2000, 800
    fit = fam.fit([fam.draw(fam.broadcast(fam.truth(), r), n, _rng(7, r), "sample")], [1.0])
    scaled = n * np.sum((fam.flatten(fit) - fam.beta_star) ** 2, axis=-1)
    se = scaled.std(ddof=1) / np.sqrt(r)
    sandwich, model = fam.error_constant("real"), fam.error_constant("synthetic")
    assert abs(sandwich - model) > 10 * se  # the two constants are told apart here
    # First-order theory: O(1/n) terms on top of Monte Carlo error.
    assert abs(scaled.mean() - sandwich) <= 4 * se + 5.0 / n * sandwich
    cov = fam.asymptotic_covariance(fam.truth())
    assert np.trace(cov) == pytest.approx(sandwich, rel=1e-12)


def test_weighted_recursion_follows_the_effective_k_theory():
    """e_inf = C_real R(w, k C_synth/C_real)/n on a misspecified table (transient included)."""
    x, y = _table(logistic=False, rows=3000)
    fam = mc.LogisticTable(x, y)
    n = m = 800
    w, generations, window = 0.5, 25, np.arange(15, 26)
    res = mc.simulate(
        fam,
        n0=n,
        schedule=m,
        n_real=n,
        weight=w,
        generations=generations,
        replications=400,
        seed=11,
        engine="sample",
        record=window,
        metrics=["param_error"],
    )
    per_rep = res.values("param_error").mean(axis=1)
    se = per_rep.std(ddof=1) / np.sqrt(per_rep.size)
    c_real, c_synth = fam.error_constant("real"), fam.error_constant("synthetic")
    path = theory.error_trajectory(
        w, theory.effective_k(n / m, c_real, c_synth), generations, c_real, n
    )
    expected = path[window].mean()
    assert abs(per_rep.mean() - expected) <= 4 * se + 5.0 / n * expected


def test_information_and_covariance_of_a_fitted_model_are_inverse():
    x, y = _table()
    fam = mc.LogisticTable(x, y)
    params = fam.unflatten(np.array([[-1.0, 0.03, 1e-4], [0.2, -0.01, 2e-4]]))
    info = fam.fisher_information(params)
    cov = fam.asymptotic_covariance(params)
    np.testing.assert_allclose(cov @ info, np.broadcast_to(np.eye(3), cov.shape), atol=1e-9)


def test_adult_pseudo_truth():
    from modelcollapse.experiments.he2025.fig10 import FIG10_COVARIATES, adult_income_table

    x, y = adult_income_table()
    assert x.shape == (48_842, 5) and y.mean() == pytest.approx(11_687 / 48_842)
    fam = mc.LogisticTable(x, y, columns=FIG10_COVARIATES)
    ref = _reference_fit([(x, y)], [1.0], "none")
    np.testing.assert_allclose(fam.beta_star, ref, rtol=1e-6)
    # The constants of the table: a real fit's sandwich below a synthetic fit's tr I^-1.
    assert fam.error_constant("real") < fam.error_constant("synthetic")


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "fragment"),
    [
        (np.ones((5, 1)) * [[1.0]], [0, 1, 0, 1, 0], {}, "single value"),
        (np.arange(10.0)[:, None], [0, 1] * 4 + [2, 0], {}, "0 or 1"),
        (np.arange(10.0)[:, None], [1] * 10, {}, "both labels"),
        (np.arange(10.0)[:, None], [0] * 5 + [1] * 5, {}, "separable"),
        (np.arange(10.0)[:, None], [0, 1] * 5, {"columns": ["a", "b"]}, "columns"),
        (np.arange(10.0), [0, 1] * 5, {}, "shape"),
        (np.arange(10.0)[:, None], [0, 1] * 4, {}, "labels, one per row"),
        (np.r_[np.arange(9.0), np.nan][:, None], [0, 1] * 5, {}, "finite"),
        (np.arange(10.0)[:, None], [0, 1] * 5, {"penalty": "l1"}, "penalty"),
    ],
)
def test_bad_input(x, y, kwargs, fragment):
    with pytest.raises(mc.InvalidArgumentError, match=fragment):
        mc.LogisticTable(x, y, **kwargs)


def test_separable_table_fits_with_the_penalty():
    x, y = np.arange(10.0)[:, None], np.array([0.0] * 5 + [1.0] * 5)
    fam = mc.LogisticTable(x, y, penalty="l2-sklearn")
    assert np.all(np.isfinite(fam.beta_star))


def test_make_family_needs_the_table():
    with pytest.raises(mc.InvalidArgumentError, match="needs its table"):
        mc.make_family("logistic-table")
    x, y = _table()
    fam = mc.make_family("logistic-table", x=x, y=y, columns=["a", "b"])
    assert isinstance(fam, mc.LogisticTable)
    assert fam.describe()["columns"] == ["a", "b"]


# -- TableSource -------------------------------------------------------------------------------


def _skewed_table(rows: int = 5000):
    rng = np.random.default_rng(4)
    x = np.column_stack([rng.exponential(1.0, rows), rng.integers(0, 5, rows).astype(float)])
    cov = np.cov(x, rowvar=False, bias=True)
    return x, mc.MultivariateGaussian(x.mean(axis=0), cov, variance="unbiased")


def test_table_source_draws_rows_of_the_table_for_the_truth_only():
    x, gaussian = _skewed_table()
    fam = mc.TableSource(gaussian, x)
    truth = fam.broadcast(fam.truth(), 5)
    rows = fam.sample(truth, 40, _rng(1, 5))
    assert rows.shape == (5, 40, 2)
    assert (rows[:, :, None, :] == x[None, None]).all(axis=-1).any(axis=-1).all()
    # The statistics of the truth's draw are those of the same rows.
    stats = fam.draw(truth, 40, _rng(1, 5), "exact")
    np.testing.assert_array_equal(stats.mean, gaussian.statistics(rows).mean)
    # A fitted model draws from the model: Gaussian points, not table rows.
    fitted = fam.fit([stats], [1.0])
    drawn = fam.sample(fitted, 40, _rng(2, 5))
    assert not (drawn[:, :, None, :] == x[None, None]).all(axis=-1).any()
    assert fam.engines == ("exact", "sample")
    assert "rows" in fam.describe()["real_data"]


def test_table_source_mean_error_follows_the_inflation_law_on_skewed_rows():
    """Unbiased covariance estimates: E|mu_t - mu|^2 = (tr Sigma/n0)(1 + r_t) for any data."""
    x, gaussian = _skewed_table()
    fam = mc.TableSource(gaussian, x)
    n0, sizes = 20, [20, 40, 80]
    res = mc.simulate(
        fam,
        n0=n0,
        schedule=mc.schedules.Explicit(sizes),
        generations=3,
        replications=4000,
        seed=5,
        metrics=["mean_error"],
        record="all",
    )
    err = res.values("mean_error")
    se = err.std(axis=0, ddof=1) / np.sqrt(err.shape[0])
    expected = np.trace(gaussian.truth().cov) / n0 * theory.risk_inflation(n0, sizes)
    assert np.all(np.abs(err.mean(axis=0) - expected) <= 4 * se)


def test_table_source_rejects_data_outside_the_family():
    with pytest.raises(mc.InvalidArgumentError, match="category codes"):
        mc.TableSource(mc.Categorical([0.5, 0.5]), [0, 1, 2])
    with pytest.raises(mc.InvalidArgumentError, match="non-empty"):
        mc.TableSource(mc.Categorical([0.5, 0.5]), [])


def test_table_source_has_no_asymptotic_engine():
    x, gaussian = _skewed_table(50)
    fam = mc.TableSource(gaussian, x)
    with pytest.raises(mc.InvalidArgumentError, match="engine"):
        fam.draw(fam.broadcast(fam.truth(), 2), 10, _rng(1, 2), "asymptotic")


def test_a_fit_along_a_flat_direction_converges():
    """A recorded Figure 10(d') fit (Adult, authors' L2) whose damped Newton iteration ended on a
    step of 1.4e-7 (above the 1e-8 relative tolerance) promising a rise of 2.5e-14, below the
    objective's rounding: the line search could not show progress and the fit was reported as
    failed. It converges, to the reference solver's estimate."""
    from pathlib import Path

    from modelcollapse.experiments.he2025.fig10 import FIG10_COVARIATES, adult_income_table
    from modelcollapse.families.glm import GLMData

    x, y = adult_income_table()
    fam = mc.LogisticTable(x, y, columns=FIG10_COVARIATES, penalty="l2-sklearn")
    case = np.load(Path(__file__).parent / "data" / "adult_flat_fit.npz")
    sources = [
        GLMData(500, case[f"x_{s}"][None], case[f"y_{s}"][None], case[f"origin_{s}"][None])
        for s in ("real", "synth")
    ]
    fit = fam.fit(sources, list(case["weights"]))
    assert fit.converged.all()
    table_rows = [(case[f"x_{s}"][1:].T * fam._spread, case[f"y_{s}"]) for s in ("real", "synth")]
    ref = _reference_fit(table_rows, list(case["weights"]), "l2-sklearn")
    np.testing.assert_allclose(fam.flatten(fit)[0], ref, rtol=1e-6)
