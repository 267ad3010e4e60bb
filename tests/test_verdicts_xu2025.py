"""Focused checks of the verdicts of xu2025-fig3, xu2025-random-walk and xu2025-schedules: each
claim reads the simulated columns it names, fails when they move in the way the claim is about,
and says "not informative" where the scale run cannot test it."""

import numpy as np

from modelcollapse.experiments import get_experiment, xu2025
from modelcollapse.experiments import verdicts as V
from modelcollapse.experiments.context import Context
from modelcollapse.schedules import Exponential, Linear

_TABLES: dict = {}


def _table(experiment_id):
    """The quick-scale table of an experiment (its ``run`` only: no files, no drawing)."""
    if experiment_id not in _TABLES:
        experiment = get_experiment(experiment_id)
        ctx = Context(
            replications=experiment.quick_replications,
            quick=True,
            seed=np.random.SeedSequence(0),
            progress=lambda message: None,
        )
        _TABLES[experiment_id] = experiment.run(ctx).table
    return _TABLES[experiment_id].copy()


def _verdicts(experiment_id, table):
    return {v.claim: v for v in get_experiment(experiment_id).judge(table)}


def _find(verdicts, words):
    (claim,) = [c for c in verdicts if words in c]
    return verdicts[claim]


def test_fig3_martingale_is_judged_only_where_resolved():
    table = _table("xu2025-fig3")
    claim = "martingale"
    base = _find(_verdicts("xu2025-fig3", table), claim)
    assert base.holds is True
    # The T = 500 cell cannot resolve a 50% departure: moving it far changes nothing, and the
    # evidence lists it as not resolved.
    assert "T=500" in base.evidence.split("not resolved")[1]
    far = table.copy()
    far.loc[(far.variance == "unbiased") & (far["T"] == 500), "mean_sigma2"] = 5.0
    assert _find(_verdicts("xu2025-fig3", far), claim).holds is True
    # The first T is resolved: a 50% drop there fails.
    low = table.copy()
    low.loc[(low.variance == "unbiased") & (low["T"] == 100), "mean_sigma2"] *= 0.5
    assert _find(_verdicts("xu2025-fig3", low), claim).holds is False
    # With almost no replications nothing is resolved: not informative, never "agrees".
    noisy = table.copy()
    noisy["mean_sigma2_theory_se"] *= 100
    assert _find(_verdicts("xu2025-fig3", noisy), claim).holds is None


def test_fig3_spread_fails_on_a_flat_step_and_maximum_is_not_claimed():
    table = _table("xu2025-fig3")
    verdicts = _verdicts("xu2025-fig3", table)
    assert not any("maximum" in c.lower() for c in verdicts)
    flat = table.copy()
    rows = flat.variance == "mle"
    at = {t: flat.index[rows & (flat["T"] == t)][0] for t in (300, 400)}
    flat.loc[at[400], "pct_collapsed"] = flat.loc[at[300], "pct_collapsed"]
    assert _find(_verdicts("xu2025-fig3", flat), "Collapse spreads").holds is False


def test_fig3_median_against_its_exact_law():
    table = _table("xu2025-fig3")
    claim = "median of its exact law"
    assert _find(_verdicts("xu2025-fig3", table), claim).holds is True
    shifted = table.copy()
    shifted.loc[shifted["T"] == 100, "median_sigma2"] *= 1.5
    assert _find(_verdicts("xu2025-fig3", shifted), claim).holds is False


def test_random_walk_step_size_reads_the_simulation():
    table = _table("xu2025-random-walk")
    verdicts = _verdicts("xu2025-random-walk", table)
    assert all(v.kind == "simulation" for v in verdicts.values())
    step = _find(verdicts, "sets the step size")
    assert step.holds is True and step.inputs == ("step_log_var_sim",)
    # Only the superlinear walk's step moves (by 40%): the claim fails.
    moved = table.copy()
    moved.loc[
        moved.schedule.str.startswith("power") & (moved.part == "step"), "step_log_var_sim"
    ] *= 1.4
    assert _find(_verdicts("xu2025-random-walk", moved), "sets the step size").holds is False


def test_schedules_claims_name_only_what_is_simulated():
    table = _table("xu2025-schedules")
    verdicts = _verdicts("xu2025-schedules", table)
    simulated = set(table.schedule)
    assert "t log t" not in simulated
    for claim in verdicts:
        assert "t log t" not in claim.replace("t log^2 t", "")
    theory = [v for v in verdicts.values() if v.kind == "theory"]
    assert len(theory) == 1 and "diverges" in theory[0].claim
    # Linear growth against t^1.1: at quick scale the gap is below the Monte Carlo error.
    gap = _find(verdicts, "resolves linear growth")
    assert gap.holds is None and gap.detectable > V.MAX_DETECTABLE


def test_schedules_one_collapse_under_a_convergent_schedule_fails():
    table = _table("xu2025-schedules")
    claim = "no replication collapses"
    assert _find(_verdicts("xu2025-schedules", table), claim).holds is True
    one = table.copy()
    row = one.index[(one.schedule == "t^2") & (one.part == "path")][-1]
    one.loc[row, "collapsed_sim"] = 1.0 / int(one.replications.iloc[0])
    after = _verdicts("xu2025-schedules", one)
    assert _find(after, claim).holds is False
    assert _find(after, "match the exact inversion").holds is False


def test_capped_horizon():
    assert xu2025.capped_horizon(Exponential(100, 2.0), 1000) == 55
    assert xu2025.capped_horizon(Linear(100), 1000) == 1000
    assert list(xu2025.paper_schedules(100))[:2] == ["constant", "linear"]


def test_schedules_gap_claim_is_falsifiable_once_resolved():
    """Were the gap between linear and t^1.1 growth resolved (SEs 100x smaller, the simulated
    gap at its exact value), the claim would hold, and its perturbation would break it."""
    table = _table("xu2025-schedules")
    path = (table.part == "path") & (table.variance == "unbiased") & (table.t == table["T"])
    for name in ("linear", "t^1.1"):
        row = path & (table.schedule == name)
        table.loc[row, "mean_log_sigma2_sim"] = table.loc[row, "mean_log_sigma2_theory"]
    table["mean_log_sigma2_se"] /= 100
    gap = _find(_verdicts("xu2025-schedules", table), "resolves linear growth")
    assert gap.holds is True and gap.detectable < V.MAX_DETECTABLE
    again = V.perturbed(get_experiment("xu2025-schedules").judge, table, gap)
    assert again.holds is False
