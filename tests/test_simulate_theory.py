"""``simulate`` with its theory beside it, round table rows, the weight used, and progress."""

import os

import numpy as np
import pytest
from conftest import run_in_terminal

import modelcollapse as mc
from modelcollapse.cli import main
from modelcollapse.cli.simulate import _nice_step, _shown_generations
from modelcollapse.theory import paper1, paper2

SIM = [
    "simulate",
    "--n0",
    "50",
    "--schedule",
    "50",
    "--generations",
    "20",
    "--replications",
    "500",
    "--seed",
    "1",
    "--quiet",
]


def _within(result, metric, theory, k=4.0):
    """Whether the simulated mean of ``metric`` lies within ``k`` Monte Carlo SEs of
    ``theory`` at every recorded generation (generation 0 excluded where the SE is 0)."""
    values = result.values(metric)
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
    se = np.maximum(se, 1e-12)
    return bool(np.all(np.abs(mean - theory) <= k * se + 1e-9))


# -- theory beside the simulation ------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic():
    return mc.simulate(
        mc.Gaussian(variance="mle"), n0=50, schedule=50, generations=15, replications=4000,
        seed=2, eps=0.6,
    )  # fmt: skip


def test_gaussian_variance_and_mean_error_match_their_exact_theory(synthetic):
    theory = synthetic.theory()
    assert {"sigma2", "collapsed", "mean_error", "kl"} <= set(theory)
    assert theory["sigma2"].kind == "exact" and "paper1" in theory["sigma2"].source
    # The theory columns are paper 1's functions of the settings, not of the simulation.
    mean, _ = paper1.gaussian_variance_moments(50, [50] * 15, "mle")
    np.testing.assert_allclose(theory["sigma2"].values, mean)
    assert _within(synthetic, "sigma2", theory["sigma2"].values)
    assert _within(synthetic, "mean_error", theory["mean_error"].values)
    assert _within(synthetic, "collapsed", theory["collapsed"].values)


def test_a_perturbed_theory_fails_the_same_check(synthetic):
    # The check has power: the unbiased estimator's E sigma2 = 1, or the mean error of a run
    # with half the real data at generation 0, are far outside 4 SE.
    wrong_estimator, _ = paper1.gaussian_variance_moments(50, [50] * 15, "unbiased")
    assert not _within(synthetic, "sigma2", wrong_estimator)
    wrong_n0 = paper1.gaussian_mean_variance(25, [50] * 15, "mle")
    assert not _within(synthetic, "mean_error", wrong_n0)


def test_fresh_data_mean_error_matches_paper2_exactly():
    res = mc.simulate(
        mc.Gaussian(),
        n0=50,
        schedule=50,
        n_real=50,
        weight="optimal",
        generations=15,
        replications=4000,
        seed=4,
        metrics=["mean_error", "sigma2"],
    )
    expected = res.theory()["mean_error"]
    assert expected.kind == "exact" and "gaussian_mean_error" in expected.source
    w = paper2.optimal_weight(1.0)
    np.testing.assert_allclose(
        expected.values, paper2.gaussian_mean_error(50, [50] * 15, [50] * 15, w)
    )
    assert _within(res, "mean_error", expected.values)
    # A wrong weight in the theory fails.
    wrong = paper2.gaussian_mean_error(50, [50] * 15, [50] * 15, 0.3)
    assert not _within(res, "mean_error", wrong)


def test_summary_theory_columns_and_inflation_rows():
    res = mc.simulate(mc.Poisson(), n0=200, schedule=200, generations=5, replications=500, seed=0)
    frame = res.summary(theory=True)
    infl = frame[frame.metric == "inflation"]
    assert infl.generation.tolist() == list(range(6))
    np.testing.assert_allclose(infl.theory, paper1.risk_inflation(200, [200] * 5))
    assert set(infl.theory_kind) == {"first-order"}
    assert infl["mean"].iloc[0] == 1.0
    # Metrics without theory have NaN, and a note says so.
    assert frame[frame.metric == "kl"].theory.isna().all()
    assert "kl" in res.theory_note()
    # Without theory=True the frame is as before.
    assert "theory" not in res.summary().columns


def test_mle_with_fresh_data_is_first_order_and_other_regimes_have_none():
    res = mc.simulate(
        mc.Gaussian(variance="mle"), n0=20, schedule=20, n_real=20, weight=0.5,
        generations=3, replications=100, seed=0,
    )  # fmt: skip
    assert res.theory()["mean_error"].kind == "first-order"
    acc = mc.simulate(
        mc.Gaussian(), n0=20, schedule=20, generations=3, replications=100, seed=0,
        regime="accumulate",
    )  # fmt: skip
    assert acc.theory() == {} and "accumulate" in acc.theory_note()


def test_cli_theory_prints_exact_columns_and_the_gap(capsys):
    assert main([*SIM, "--theory"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.lstrip().startswith("generation"))
    assert "E sigma2" in header and "exact" in header and "E KL" in header
    assert "|simulated - theory| / SE" in out and "paper1.collapse_probability" in out
    assert main([*SIM, "--theory", "--n-real", "50", "--weight", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "no theory for kl, risk, collapsed (no closed form with fresh real data)" in out


# -- round rows, the weight used, help ---------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "rows", "step"), [(500, 11, 50), (100, 11, 10), (1000, 11, 100), (30, 11, 5)]
)
def test_nice_step(span, rows, step):
    assert _nice_step(span, rows) == step


def test_default_rows_fall_on_round_generations(capsys):
    assert main([*SIM[:5], "--generations", "500", *SIM[7:]]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("generation"))
    shown = [int(line.split()[0]) for line in lines[start + 1 :] if line.strip()]
    assert shown == list(range(0, 501, 50))
    # The last generation is always shown, and a sparse record maps to its nearest generation.
    np.testing.assert_array_equal(_shown_generations(np.arange(38), 11), [*range(0, 37, 5), 37])


def test_header_prints_the_weight_a_rule_chose(capsys):
    assert main([*SIM, "--n-real", "50", "--weight", "optimal"]) == 0
    assert "w=0.618 (optimal)" in capsys.readouterr().out
    assert main([*SIM, "--n-real", "50", "--weight", "0.25"]) == 0
    assert "w=0.25," in capsys.readouterr().out
    assert main([*SIM, "--n-real", "50", "--weight", "greedy"]) == 0
    assert "w=greedy (0.6667 at t=1 ... " in capsys.readouterr().out


def test_simulate_help_lists_every_weight_rule_and_the_new_flags(capsys):
    try:
        main(["simulate", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    for rule in ("[0, 1]", "proportional", "naive", "optimal", "greedy"):
        assert rule in text
    assert "--theory" in text and "--quiet" in text


# -- progress ----------------------------------------------------------------------------------


def test_progress_callback_reaches_the_total_and_is_silent_by_default(capsys):
    calls = []
    res = mc.simulate(
        mc.Gaussian(), n0=20, schedule=20, generations=4, replications=3000, seed=0,
        chunk_size=1024, progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert calls[-1] == (3000 * 5, 3000 * 5)
    assert len(calls) == 3 * 5  # per chunk and generation, never per replication
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    again = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=4, replications=3000, seed=0)
    np.testing.assert_array_equal(res.flat_params, again.flat_params)
    assert capsys.readouterr().err == ""


def test_progress_with_workers_reports_each_finished_piece():
    calls = []
    res = mc.simulate(
        mc.Gaussian(), n0=20, schedule=20, generations=3, replications=4096, seed=0,
        workers=2, progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert len(calls) >= 2 and calls[-1] == (4096 * 4, 4096 * 4)
    alone = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3, replications=4096, seed=0)
    np.testing.assert_array_equal(res.flat_params, alone.flat_params)


def _run_in_pty(args):
    """Run the command line with stderr on a pseudo-terminal; return (stdout, terminal text)."""
    status, out, terminal = run_in_terminal(["-m", "modelcollapse", *args])
    assert status == 0
    return out, terminal


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_line_on_a_terminal_and_quiet_silences_it():
    args = [a for a in SIM if a != "--quiet"]
    out, term = _run_in_pty(args)
    assert "\r[simulate]" in term and "%" in term and "elapsed" in term
    assert "generation" in out  # the table still goes to stdout
    _, term = _run_in_pty([*args, "--quiet"])
    assert term == ""
