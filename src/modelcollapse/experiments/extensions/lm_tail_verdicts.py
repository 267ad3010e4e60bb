"""The verdicts of ``lm-tail`` (:mod:`.lm_tail`), pure functions of its results table, and
the perturbations that show each simulated verdict can fail."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..verdicts import Verdict, compare, ordering

__all__ = [
    "FORMULA_TOLERANCE",
    "LAW_TOLERANCE",
    "counts_shifted",
    "judge",
    "lost_in_accumulate",
    "smaller_gains",
    "smaller_weight_gaps",
]

#: The relative allowance of the branching law (a Poisson approximation of the binomial step:
#: measured below 0.3% on this text).
LAW_TOLERANCE = 0.01
#: The relative allowance of paper 2's per-context formula (the sizes of the contexts in a
#: draw of whole lines vary; measured within 4% after the design effect).
FORMULA_TOLERANCE = 0.05
#: The metrics the branching law predicts.
LAW_METRICS = ("distinct_ngrams", "vocabulary", "lost_mass")


def _largest_gap(sim: np.ndarray, law: np.ndarray) -> float:
    """The largest ``|sim - law| / |law|`` where the law is not zero."""
    ref = np.abs(law)
    return float(np.max(np.abs(sim - law)[ref > 0] / ref[ref > 0], initial=0.0))


def _law_verdict(table: pd.DataFrame) -> Verdict:
    rows = table[
        (table.panel == "tail")
        & (table.arm != "accumulate")
        & table.metric.isin(LAW_METRICS)
        & (table.t >= 1)
    ]
    sim, law, se = (rows[c].to_numpy(float) for c in ("simulated", "theory", "se"))
    c = compare(sim, law, se, tolerance=LAW_TOLERANCE)
    return Verdict(
        "The branching-process law predicts, from the text's own counts, the surviving bigrams, "
        "the words the model can still produce and the real token mass on lost bigrams at "
        "every generation of the replace recursion, for constant, linear, t^1.5 and t^2 sizes.",
        c.holds(),
        f"({int(c.ok.sum())}/{c.ok.size} within {c.threshold:.2g} SE + {LAW_TOLERANCE:.0%} of "
        f"the law; largest relative gap {_largest_gap(sim, law):.2%}; the law is a Poisson "
        "approximation of the binomial step)",
        kind="approximation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def lost_in_accumulate(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: ``size`` of the real mass lost under accumulate at every generation.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``lm-tail``.
    size : float
        The lost mass added.

    Returns
    -------
    pandas.DataFrame
    """
    out = table.copy()
    rows = (out.panel == "tail") & (out.arm == "accumulate") & (out.metric == "lost_mass")
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] + size
    return out


def _accumulate_verdict(table: pd.DataFrame) -> Verdict:
    rows = table[(table.panel == "tail") & (table.arm == "accumulate")]
    lost = rows[rows.metric == "lost_mass"].simulated.to_numpy(float)
    return Verdict(
        "Under accumulate the model never loses a bigram of the real text: the lost mass stays "
        "exactly 0.",
        bool(np.all(np.abs(lost) <= 1e-12)),
        f"(largest lost mass over {lost.size} generations: {np.max(np.abs(lost)):.3g}; an exact "
        "law, detected at any size)",
        kind="simulation",
        detectable=1e-12,
        inputs=("simulated",),
        perturb=lost_in_accumulate,
    )


def smaller_gains(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: the constant size's gain in lost mass from T/2 to T lowered by ``size``
    times the law's gain (towards the t^2 arm's).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``lm-tail``.
    size : float
        The relative size.

    Returns
    -------
    pandas.DataFrame
    """
    out = table.copy()
    rows = (out.panel == "gain") & (out.arm == "constant")
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] - size * out.loc[rows, "theory"].abs()
    return out


def _stops_verdict(table: pd.DataFrame) -> Verdict:
    gain = table[table.panel == "gain"].set_index("arm")
    const: Any = gain.loc["constant"]
    fast: Any = gain.loc["t^2"]
    o = ordering(
        const.simulated - fast.simulated,
        math.hypot(const.se, fast.se),
        const.theory - fast.theory,
        const.theory,
    )
    return Verdict(
        "The loss stops when sum 1/N_t converges: from generation T/2 to T the lost mass grows "
        "less with t^2 sizes than with a constant size.",
        o.holds(),
        f"(gain from t = {int(const.scale)} to {int(const.t)}: constant {const.simulated:.4g} +- "
        f"{const.se:.2g} (law {const.theory:.4g}), t^2 {fast.simulated:.3g} +- {fast.se:.2g} "
        f"(law {fast.theory:.3g}); {o.text()})",
        kind="simulation",
        detectable=o.detectable,
        inputs=("simulated",),
        perturb=smaller_gains,
    )


def _limit_verdict(table: pd.DataFrame) -> Verdict:
    limit = table[table.panel == "limit"].set_index("arm").theory
    diverge = [limit[a] for a in ("constant", "linear")]
    converge = [limit[a] for a in ("t^1.5", "t^2")]
    return Verdict(
        "In the law, a real occurrence's survival has a positive limit exactly when sum 1/N_t "
        "converges: zero for constant and linear sizes, positive for t^1.5 and t^2.",
        bool(all(v == 0 for v in diverge) and all(v > 0 for v in converge)),
        "(limit of 1 - q_t: "
        + ", ".join(f"{a} {v:.3g}" for a, v in limit.items())
        + "; theory.ngram.survival_limit)",
        kind="theory",
    )


def smaller_weight_gaps(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: every paired gap (another weight's error minus w*'s) lowered by ``size``
    times the predicted error at w*.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``lm-tail``.
    size : float
        The relative size.

    Returns
    -------
    pandas.DataFrame
    """
    out = table.copy()
    rows = out.panel == "weight_gap"
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] - size * out.loc[rows, "scale"].abs()
    return out


def _weight_verdict(table: pd.DataFrame) -> Verdict:
    gaps = table[table.panel == "weight_gap"]
    o = ordering(gaps.simulated, gaps.se, gaps.theory, gaps.scale)
    parts = [
        f"k = {g.k:g}, {g.arm} - optimal: {g.simulated:.3g} +- {g.se:.2g} "
        f"(predicted {g.theory:.3g})"
        for g in gaps.itertuples(False)
    ]
    return Verdict(
        "Golden-ratio weighting on text: at k = 1 and k = 0.25 the weight w*(k) gives a lower "
        "per-context error than naive pooling and than real data alone.",
        o.holds(),
        "(paired differences on common random numbers: " + "; ".join(parts) + f"; {o.text()})",
        kind="simulation",
        detectable=o.detectable,
        inputs=("simulated",),
        perturb=smaller_weight_gaps,
    )


def _formula_verdict(table: pd.DataFrame) -> Verdict:
    rows = table[(table.panel == "weights") & (table.metric == "context_error")]
    sim, law, se = (rows[c].to_numpy(float) for c in ("simulated", "theory", "se"))
    c = compare(sim, law, se, tolerance=FORMULA_TOLERANCE)
    design = float(table[table.panel == "design"].theory.iloc[0])
    iid = rows.scale.to_numpy(float)
    return Verdict(
        "Paper 2's categorical formula applied per context, with the design effect D of drawing "
        "whole lines, predicts the per-context error at every weight, for k = 1 and k = 0.25.",
        c.holds(),
        f"({int(c.ok.sum())}/{c.ok.size} within {c.threshold:.2g} SE + {FORMULA_TOLERANCE:.0%}; "
        f"simulated / formula {np.min(sim / law):.3f} to {np.max(sim / law):.3f} with D = "
        f"{design:.3f}, {np.min(sim / iid):.3f} to {np.max(sim / iid):.3f} without it; largest "
        f"relative gap {_largest_gap(sim, law):.2%})",
        kind="approximation",
        detectable=c.detectable,
        inputs=("simulated",),
    )


def counts_shifted(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Perturbation: every value of the counts engine ``1 + size`` times larger.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table of ``lm-tail``.
    size : float
        The relative size.

    Returns
    -------
    pandas.DataFrame
    """
    out = table.copy()
    rows = (out.panel == "engines") & (out.arm == "counts")
    out.loc[rows, "simulated"] = out.loc[rows, "simulated"] * (1.0 + size)
    return out


def _engines_verdict(table: pd.DataFrame) -> Verdict:
    rows = table[table.panel == "engines"]
    counts = rows[rows.arm == "counts"].set_index(["metric", "t"]).sort_index()
    sequence = rows[rows.arm == "sequence"].set_index(["metric", "t"]).sort_index()
    se = np.hypot(counts.se.to_numpy(float), sequence.se.to_numpy(float))
    c = compare(counts.simulated, sequence.simulated, se)
    worst = counts.index[int(np.argmax(np.where(np.isfinite(c.z), c.z, 0.0)))]
    return Verdict(
        "The counts engine (every bigram's count drawn at once) agrees with the sequence engine "
        "(text drawn token by token in whole sentences) on every metric at every generation.",
        c.holds(),
        f"({int(c.ok.sum())}/{c.ok.size} differences within {c.threshold:.2g} SE; largest at "
        f"{worst[0]}, t = {int(worst[1])}; the counts engine is an approximation of the "
        "sequence engine)",
        kind="approximation",
        detectable=c.detectable,
        inputs=("simulated",),
        perturb=counts_shifted,
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``lm-tail``, from its results table alone.

    Parameters
    ----------
    table : pandas.DataFrame
        The results table of :func:`.lm_tail.compute`.

    Returns
    -------
    list of Verdict
        Seven verdicts: the law, accumulate, the loss that stops, the law's limit, golden-ratio
        weighting, the per-context formula and the engines.
    """
    return [
        _law_verdict(table),
        _accumulate_verdict(table),
        _stops_verdict(table),
        _limit_verdict(table),
        _weight_verdict(table),
        _formula_verdict(table),
        _engines_verdict(table),
    ]
