"""Verdicts: what a run says about a paper's claim, what kind of test said it, and its power.

Every experiment judges its claims with a pure function of its own results table
(``Experiment.judge``), so a stored ``results.csv`` can be judged again, and perturbed, without
running the simulation again. A :class:`Verdict` has one of three kinds:

``simulation``
    Simulated values against an exact law, with a tolerance from Monte Carlo standard errors.
``approximation``
    Simulated values against a first-order or asymptotic law. The discrepancy is reported in
    standard errors and in relative terms; ``holds`` judges the paper's claim, not the curve's
    fit.
``theory``
    A property of the closed forms alone; no simulation is involved.

Every ``simulation`` and ``approximation`` verdict states ``detectable``: the smallest relative
discrepancy of its simulated inputs that its test detects at the scale run. When that is too
coarse for the claim (above the verdict's ``limit``), ``holds`` is ``None`` and the verdict says
"not informative at this scale" instead of agreeing.

The helpers here (:func:`threshold`, :func:`within`, :func:`compare`, :func:`binomial_se`, ...)
are the one home of the comparisons every experiment uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = [
    "DETECTION_MARGIN",
    "FAMILY_LEVEL",
    "KINDS",
    "MAX_DETECTABLE",
    "SIGMAS",
    "Comparison",
    "Ordering",
    "Verdict",
    "binomial_se",
    "compare",
    "count",
    "headline",
    "ordering",
    "perturbed",
    "scale_columns",
    "tally",
    "threshold",
    "within",
]

#: The three kinds of verdict (module docstring).
KINDS = ("simulation", "approximation", "theory")
#: Standard errors allowed per comparison, at least.
SIGMAS = 4.0
#: Chance of any false disagreement across one family of comparisons (Bonferroni).
FAMILY_LEVEL = 1e-4
#: Extra standard errors in :func:`compare`'s ``detectable``: a discrepancy that large is
#: detected with probability above 97.7% whatever the Monte Carlo noise of the cell.
DETECTION_MARGIN = 2.0
#: Default ``limit``: a test that cannot detect a 50% discrepancy does not test a claim.
MAX_DETECTABLE = 0.5

NOT_INFORMATIVE = "not informative at this scale"


@dataclass(frozen=True)
class Verdict:
    """One claim of a paper and what the run says of it, with the evidence in numbers.

    Parameters
    ----------
    claim : str
        The claim, worded before the run (never written from its outcome); unique within an
        experiment, since a re-judged table is matched to its verdicts by claim.
    holds : bool or None
        Whether the run supports the claim; ``None`` when the test is not informative at the
        scale run (``detectable`` above the claim's limit).
    evidence : str
        The numbers behind the verdict.
    kind : {"simulation", "approximation", "theory"}
        What was compared (module docstring).
    detectable : float, optional
        For ``simulation`` and ``approximation`` verdicts (required there): the smallest
        relative discrepancy of the simulated inputs the test detects. ``None`` for ``theory``.
    inputs : tuple of str
        The columns of the experiment's table that hold the simulated values the verdict reads.
    perturb : callable, optional
        ``perturb(table, size) -> table``: a perturbation of the simulated inputs of relative
        size ``size`` that the verdict must detect when ``size > detectable`` (the default
        scales ``inputs`` by ``1 + size``). Used by the falsifiability tests.
    """

    claim: str
    holds: bool | None
    evidence: str
    kind: str = "simulation"
    detectable: float | None = None
    inputs: tuple[str, ...] = ()
    perturb: Callable[[pd.DataFrame, float], pd.DataFrame] | None = field(
        default=None, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"verdict kind must be one of {KINDS}, got {self.kind!r}")
        if self.holds is not None:
            object.__setattr__(self, "holds", bool(self.holds))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        if self.kind == "theory":
            if self.holds is None or self.detectable is not None or self.inputs:
                raise ValueError(
                    f"a theory verdict holds or not, with no detectable or inputs: {self.claim!r}"
                )
            return
        if self.detectable is None or not (float(self.detectable) > 0):
            raise ValueError(f"a {self.kind} verdict needs detectable > 0: {self.claim!r}")
        object.__setattr__(self, "detectable", float(self.detectable))
        if not self.inputs and self.perturb is None:
            raise ValueError(f"a {self.kind} verdict names its simulated inputs: {self.claim!r}")

    @property
    def status(self) -> str:
        """``"agrees"``, ``"DISAGREES"`` or ``"not informative at this scale"``."""
        if self.holds is None:
            return NOT_INFORMATIVE
        return "agrees" if self.holds else "DISAGREES"

    def describe_power(self) -> str:
        """The kind, and for simulated verdicts the detectable discrepancy."""
        if self.detectable is None:
            return self.kind
        return f"{self.kind}; detects {format_relative(self.detectable)}"

    def line(self) -> str:
        """A markdown list item."""
        return f"- **{self.status}** ({self.describe_power()}): {self.claim} {self.evidence}"

    def to_json(self) -> dict[str, Any]:
        """The record ``meta.json`` keeps."""
        detectable: float | str | None = self.detectable
        if self.detectable is not None and not math.isfinite(self.detectable):
            detectable = None if self.kind == "theory" else "inf"
        return {
            "claim": self.claim,
            "kind": self.kind,
            "holds": self.holds,
            "detectable": detectable,
            "evidence": self.evidence,
            "inputs": list(self.inputs),
        }


def format_relative(value: float) -> str:
    """A relative discrepancy as text: ``"2.3%"``, ``"4.1x"`` above 100%, ``"none"`` at inf."""
    if not math.isfinite(value):
        return "no finite discrepancy"
    if value >= 1:
        return f"{value:.3g}x relative error"
    return f"{100 * value:.2g}% relative error"


def threshold(m: int) -> float:
    """Standard errors allowed per comparison when ``m`` are checked together.

    At least :data:`SIGMAS`; for many comparisons a Bonferroni bound keeps the chance of any
    false disagreement, across the whole family, under :data:`FAMILY_LEVEL`.
    """
    return max(SIGMAS, float(norm.isf(FAMILY_LEVEL / (2 * max(int(m), 1)))))


def within(sim: Any, expected: Any, se: Any) -> np.ndarray:
    """Agreement within :func:`threshold` standard errors (equality where the error is 0)."""
    sim, expected, se = (np.asarray(v, dtype=float) for v in (sim, expected, se))
    return np.abs(sim - expected) <= threshold(sim.size) * se + 1e-12


def count(ok: Any) -> str:
    """``"k/m within z SE"`` for a family of comparisons."""
    return f"{int(np.sum(ok))}/{np.size(ok)} within {threshold(np.size(ok)):.2g} SE"


def binomial_se(p: Any, r: Any) -> np.ndarray:
    """The standard error of a proportion ``p`` estimated from ``r`` replications."""
    p = np.asarray(p, dtype=float)
    return np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / np.asarray(r, dtype=float))


@dataclass(frozen=True)
class Comparison:
    """Simulated values against reference values, cell by cell, within standard errors.

    ``detectable`` is the smallest relative discrepancy, common to every compared simulated
    value, that fails at least one cell with probability above 97.7%:
    ``min_i (threshold + DETECTION_MARGIN) se_i / |scale_i| + tolerance`` (``tolerance``: the
    relative allowance of an approximate law, 0 for an exact one).
    """

    ok: np.ndarray
    z: np.ndarray
    threshold: float
    detectable: float

    @property
    def agree(self) -> bool:
        return bool(np.all(self.ok))

    def holds(self, limit: float = MAX_DETECTABLE) -> bool | None:
        """``all(ok)``, or ``None`` when ``detectable > limit``."""
        return None if self.detectable > limit else self.agree

    def text(self) -> str:
        """``"k/m within z SE, largest |z| = ..."``."""
        worst = float(np.max(self.z)) if self.z.size else 0.0
        return (
            f"{int(np.sum(self.ok))}/{self.ok.size} within {self.threshold:.2g} SE, "
            f"largest |z| {worst:.2f}"
        )


def compare(
    sim: Any, expected: Any, se: Any, *, scale: Any = None, tolerance: float = 0.0
) -> Comparison:
    """Compare ``sim`` with ``expected`` cell by cell within :func:`threshold` SEs.

    Parameters
    ----------
    sim, expected, se : array_like
        Simulated values, the reference values and the standard errors of ``sim`` (from the
        exact law where there is one, so that a simulated zero does not claim zero error).
    scale : array_like, optional
        The size a relative discrepancy is measured against (default ``|expected|``); pass the
        quantity's natural scale where the reference is zero (a mean of 0, say).
    tolerance : float, optional
        A relative allowance on top of the SEs, for a law known to be approximate: a cell agrees
        within ``threshold se + tolerance |scale|`` (default 0: an exact law).
    """
    sim, expected, se = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (sim, expected, se))
    sim, expected, se = np.broadcast_arrays(sim, expected, se)
    ref = np.abs(
        expected if scale is None else np.broadcast_to(np.asarray(scale, float), sim.shape)
    )
    z_max = threshold(sim.size)
    diff = np.abs(sim - expected)
    ok = diff <= z_max * se + tolerance * ref + 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.where(diff > 1e-12, np.inf, 0.0))
        cell = np.where(ref > 0, (z_max + DETECTION_MARGIN) * se / ref, np.inf)
    cell = np.where(se > 0, cell, np.where(ref > 0, 1e-12 / np.maximum(ref, 1e-300), np.inf))
    detectable = (float(np.min(cell)) if cell.size else math.inf) + tolerance
    return Comparison(ok=ok, z=z, threshold=z_max, detectable=max(detectable, 1e-12))


def scale_columns(table: pd.DataFrame, columns: Iterable[str], factor: float) -> pd.DataFrame:
    """A copy of ``table`` with ``columns`` multiplied by ``factor`` (the default perturbation)."""
    out = table.copy()
    for column in columns:
        out[column] = out[column].astype(float) * factor
    return out


def perturbed(
    judge: Callable[[pd.DataFrame], Sequence[Verdict]],
    table: pd.DataFrame,
    verdict: Verdict,
    size: float | None = None,
) -> Verdict:
    """``verdict`` judged again on ``table`` with its simulated inputs perturbed.

    The perturbation has relative size ``size`` (default ``2 x detectable``): the verdict's own
    ``perturb``, or its ``inputs`` scaled by ``1 + size``. The falsifiability tests check that
    the result no longer holds.
    """
    if verdict.kind == "theory":
        raise ValueError("a theory verdict reads no simulated input")
    assert verdict.detectable is not None
    amount = 2.0 * verdict.detectable if size is None else float(size)
    if verdict.perturb is not None:
        changed = verdict.perturb(table.copy(), amount)
    else:
        changed = scale_columns(table, verdict.inputs, 1.0 + amount)
    again = {v.claim: v for v in judge(changed)}
    if verdict.claim not in again:
        raise KeyError(f"judging the perturbed table dropped the claim {verdict.claim!r}")
    return again[verdict.claim]


def tally(verdicts: Iterable[dict[str, Any] | Verdict]) -> dict[str, dict[str, int]]:
    """Counts by kind, then by outcome (``agree``, ``disagree``, ``not_informative``)."""
    counts = {k: dict.fromkeys(("agree", "disagree", "not_informative"), 0) for k in KINDS}
    for v in verdicts:
        record = v if isinstance(v, dict) else v.to_json()
        kind, holds = record.get("kind", "simulation"), record["holds"]
        outcome = "not_informative" if holds is None else ("agree" if holds else "disagree")
        counts[kind][outcome] += 1
    return counts


def headline(verdicts: Iterable[dict[str, Any] | Verdict]) -> str:
    """One line counting each kind separately, e.g. ``"41 simulation tests agree, 2 disagree,
    3 not informative at this scale; 6 approximation tests agree; 11 theory statements hold"``.
    """
    c = tally(verdicts)
    parts = []
    for kind, noun in (("simulation", "tests"), ("approximation", "tests")):
        n = c[kind]
        if not sum(n.values()):
            continue
        text = f"{n['agree']} {kind} {noun} agree"
        if n["disagree"]:
            text += f", {n['disagree']} disagree"
        if n["not_informative"]:
            text += f", {n['not_informative']} {NOT_INFORMATIVE}"
        parts.append(text)
    t = c["theory"]
    if sum(t.values()):
        text = f"{t['agree']} theory statements hold"
        if t["disagree"]:
            text += f", {t['disagree']} fail"
        parts.append(text)
    return "; ".join(parts) if parts else "no verdicts"


@dataclass(frozen=True)
class Ordering:
    """A predicted ordering ``a < b`` tested on paired differences ``b - a``, pair by pair.

    ``ok`` is ``diff > threshold x se`` per pair. ``informative`` is whether every predicted gap
    is at least ``(threshold + DETECTION_MARGIN) se`` (the test then sees the predicted gap with
    probability above 97.7%). ``detectable`` is the smallest shift of one arm, relative to
    ``scale``, that breaks the ordering of some pair with probability above 97.7%:
    ``min_i (predicted_i - (threshold - DETECTION_MARGIN) se_i) / |scale_i|``; when the test is
    not informative it is ``min_i (threshold + DETECTION_MARGIN) se_i / |scale_i|``, the
    smallest gap it resolves.
    """

    ok: np.ndarray
    z: np.ndarray
    threshold: float
    informative: bool
    detectable: float

    @property
    def agree(self) -> bool:
        return bool(np.all(self.ok))

    def holds(self) -> bool | None:
        """``all(ok)``, or ``None`` when the predicted gaps are too small to be resolved."""
        return self.agree if self.informative else None

    def text(self) -> str:
        """``"k/m pairs ordered beyond z SE, smallest z = ..."``."""
        least = float(np.min(self.z)) if self.z.size else math.inf
        return (
            f"{int(np.sum(self.ok))}/{self.ok.size} pairs ordered beyond {self.threshold:.2g} "
            f"SE, smallest z {least:.2f}"
        )


def ordering(diff: Any, se: Any, predicted: Any, scale: Any) -> Ordering:
    """Test the predicted ordering ``a < b`` of each pair on its paired difference ``b - a``.

    Parameters
    ----------
    diff : array_like
        Simulated paired differences ``b - a`` (one per pair; positive when the ordering holds).
    se : array_like
        Their standard errors (from the paired differences per replication, so that common
        random numbers are accounted for).
    predicted : array_like
        The gaps the theory predicts (exact or first order), positive.
    scale : array_like
        The size a relative shift is measured against (the predicted error of arm ``b``, say).

    Returns
    -------
    Ordering
        The per-pair outcome, whether the test can resolve the predicted gaps, and the
        smallest detectable shift (see :class:`Ordering`).
    """
    diff, se, predicted, scale = (
        np.atleast_1d(np.asarray(v, dtype=float)) for v in (diff, se, predicted, scale)
    )
    diff, se, predicted, scale = np.broadcast_arrays(diff, se, predicted, scale)
    z_max = threshold(diff.size)
    ok = diff > z_max * se
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / se, np.sign(diff) * np.inf)
    informative = bool(np.all(predicted >= (z_max + DETECTION_MARGIN) * se))
    ref = np.abs(scale)
    if informative:
        cell = (predicted - (z_max - DETECTION_MARGIN) * se) / ref
    else:
        cell = (z_max + DETECTION_MARGIN) * se / ref
    cell = np.where(ref > 0, cell, np.inf)
    detectable = float(np.min(cell)) if cell.size else math.inf
    return Ordering(
        ok=ok, z=z, threshold=z_max, informative=informative, detectable=max(detectable, 1e-12)
    )
