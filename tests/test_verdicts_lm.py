"""The verdicts of ``lm-tail`` on a table built by hand (no simulation): they hold where the
table agrees with its laws, and each fails when its simulated inputs are perturbed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelcollapse.experiments.extensions import lm_tail_verdicts as lv
from modelcollapse.experiments.extensions.lm_tail import COLUMNS
from modelcollapse.experiments.verdicts import perturbed


def _rows(panel, **columns):
    frame = pd.DataFrame({"panel": panel, **columns})
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[list(COLUMNS)]


def _table() -> pd.DataFrame:
    t = np.arange(9)
    frames = []
    laws = {
        "constant": 1.0 - 0.05 * t,
        "linear": 1.0 - 0.03 * t,
        "t^1.5": 1.0 - 0.02 * t,
        "t^2": 1.0 - 0.01 * t,
    }
    for arm, law in laws.items():
        for metric, scale in (("distinct_ngrams", 1e5), ("vocabulary", 1e4)):
            frames.append(
                _rows(
                    "tail",
                    arm=arm,
                    t=t,
                    metric=metric,
                    simulated=scale * law,
                    se=scale * 1e-4,
                    theory=scale * law,
                )
            )
        lost = 1.0 - law
        frames.append(
            _rows("tail", arm=arm, t=t, metric="lost_mass", simulated=lost, se=1e-4, theory=lost)
        )
        frames.append(_rows("tail", arm=arm, t=t, metric="perplexity", simulated=100 + t, se=1.0))
    frames.append(
        _rows("tail", arm="accumulate", t=t, metric="lost_mass", simulated=0.0, se=0.0, theory=0.0)
    )
    frames.append(
        _rows(
            "gain",
            arm=["constant", "t^2"],
            t=[8, 8],
            metric="lost_mass",
            simulated=[0.2, 0.01],
            se=[0.001, 0.0005],
            theory=[0.2, 0.01],
            scale=[4, 4],
        )
    )
    frames.append(
        _rows("limit", arm=["constant", "linear", "t^1.5", "t^2"], theory=[0.0, 0.0, 0.55, 0.76])
    )
    for k in (1.0, 0.25):
        w = np.array([0.3, 0.5, 0.618, 1.0])
        err = 0.002 + 0.004 * (w - 0.6) ** 2
        frames.append(
            _rows(
                "weights",
                arm="grid",
                t=12,
                k=k,
                w=w,
                metric="context_error",
                simulated=err,
                se=1e-5,
                theory=err,
                scale=1.02 * err,
            )
        )
        frames.append(
            _rows(
                "weight_gap",
                arm=["naive", "real only"],
                t=12,
                k=k,
                w=[0.5, 1.0],
                metric="context_error",
                simulated=[2e-4, 1.6e-3],
                se=[2e-5, 4e-5],
                theory=[2e-4, 1.6e-3],
                scale=[2.6e-3, 2.6e-3],
            )
        )
    for arm in ("counts", "sequence"):
        frames.append(
            _rows(
                "engines",
                arm=arm,
                t=np.arange(4),
                metric="distinct_ngrams",
                simulated=[5e4, 4e4, 3.3e4, 2.8e4],
                se=50.0,
            )
        )
    frames.append(_rows("design", arm=["D"], theory=[1.06], scale=[1000.0]))
    table = pd.concat(frames, ignore_index=True)
    table["replications"] = 20
    return table


def _swap_gains(table):
    """The constant size's gain and the t^2 gain exchanged: the loss no longer stops."""
    out = table.copy()
    rows = out.panel == "gain"
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"].to_numpy()[::-1]
    return out


def _by_claim(verdicts, start):
    return next(v for v in verdicts if v.claim.startswith(start))


def test_the_verdicts_hold_on_a_table_that_agrees():
    verdicts = lv.judge(_table())
    assert [v.holds for v in verdicts] == [True] * 7, [v.claim for v in verdicts if not v.holds]
    assert [v.kind for v in verdicts].count("theory") == 1


def test_every_simulated_verdict_fails_when_perturbed():
    table = _table()
    for verdict in lv.judge(table):
        if verdict.kind != "theory":
            again = perturbed(lv.judge, table, verdict)
            assert again.holds is False, verdict.claim


@pytest.mark.parametrize(
    ("change", "claim"),
    [
        (
            lambda t: t.assign(
                simulated=np.where(t.panel == "tail", 1.03 * t.simulated, t.simulated)
            ),
            "The branching-process law",
        ),
        (lambda t: lv.lost_in_accumulate(t, 0.01), "Under accumulate"),
        (_swap_gains, "The loss stops"),
        (
            lambda t: t.assign(
                simulated=np.where(t.panel == "weight_gap", -t.simulated, t.simulated)
            ),
            "Golden-ratio weighting",
        ),
        (
            lambda t: t.assign(
                simulated=np.where(t.panel == "weights", 1.1 * t.simulated, t.simulated)
            ),
            "Paper 2's categorical formula",
        ),
        (lambda t: lv.counts_shifted(t, 0.05), "The counts engine"),
    ],
)
def test_a_wrong_table_is_caught(change, claim):
    assert _by_claim(lv.judge(change(_table())), claim).holds is False


def test_the_limit_statement_reads_the_theory_only():
    table = _table()
    rows = (table.panel == "limit") & (table.arm == "t^2")
    table.loc[rows, "theory"] = 0.0
    assert _by_claim(lv.judge(table), "In the law").holds is False
