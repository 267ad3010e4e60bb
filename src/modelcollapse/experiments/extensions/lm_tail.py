"""Language-model collapse on real text: an n-gram loop and the law of its lost tail
(``lm-tail``), an extension beyond the two papers.

A word bigram model (:class:`~modelcollapse.NGramModel`) is fitted to the shipped corpus
derived from the World English Bible (95% of its lines; 5% held out for the perplexity) and
retrained on its own text. Three panels:

- **tail** (figure panels a and b): the replace recursion at a constant size, linear growth,
  ``t^1.5`` and ``t^2`` growth (``sum 1/N_t`` finite for the last two), and accumulate; the
  surviving bigrams, the words the model can still produce and the real token mass on lost
  bigrams, against the branching-process law (:mod:`modelcollapse.theory.ngram`), and the
  held-out perplexity;
- **weights** (panels c and d): fresh real text each generation (:data:`WEIGHTS` ``n`` tokens
  of whole lines) with ``m = n / k`` synthetic tokens, ``k = 1`` and ``0.25``, for a grid of
  weights on common random numbers; the per-context error at the last generation against
  paper 2's categorical recursion applied per context with the design effect ``D`` of drawing
  whole lines (:func:`~modelcollapse.lm.model.context_error_path`), and the perplexity; the
  grid marks the naive weight, ``w*(k)`` and ``w*(k / D)``;
- **engines** (panel e): the ``counts`` engine against the ``sequence`` engine on every metric.

The verdicts are a function of the results table alone (:mod:`.lm_tail_verdicts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...engine import simulate, simulate_weights
from ...lm import NGramModel
from ...lm.model import context_error_path, design_effect, word_counts
from ..context import Context, Experiment, Outcome
from ..registry import register
from .lm_tail_report import key_table, notes, plot
from .lm_tail_verdicts import judge

__all__ = ["COLUMNS", "ENGINES", "EXPERIMENT", "TAIL", "WEIGHTS", "compute", "judge", "run"]

#: The columns of the results table.
COLUMNS = ("panel", "arm", "t", "k", "w", "metric", "simulated", "se", "theory", "scale")


@dataclass(frozen=True)
class TailPanel:
    """The arms of the tail panel: ``(name, schedule template, regime)``; ``{n}`` is the
    training text's tokens."""

    arms: tuple[tuple[str, str, str], ...] = (
        ("constant", "constant:n={n}", "replace"),
        ("linear", "linear:n={n}", "replace"),
        ("t^1.5", "power:n0={n},s=0.5", "replace"),
        ("t^2", "power:n0={n},s=1", "replace"),
        ("accumulate", "constant:n={n}", "accumulate"),
    )
    generations: int = 30
    quick_generations: int = 8
    metrics: tuple[str, ...] = ("distinct_ngrams", "vocabulary", "lost_mass", "perplexity")


@dataclass(frozen=True)
class WeightPanel:
    """Fresh real text each generation: ``n`` real tokens, ``m = n / k`` synthetic ones."""

    n: int = 100_000
    ks: tuple[float, ...] = (1.0, 0.25)
    #: Weights besides the naive, the optimal and real data alone (``w >= 0.2``: the error is
    #: within 1% of its limit after the generations run).
    grid: tuple[float, ...] = (0.3, 0.45, 0.75, 0.9)
    generations: int = 12
    #: Contexts kept by the per-context error (their real count per generation is at least
    #: 95 tokens, so that 1/n_c varies little between draws).
    min_context_count: float = 1000.0


@dataclass(frozen=True)
class EnginePanel:
    """The two engines from the same generation 0 (``tokens`` of whole lines)."""

    tokens: int = 200_000
    generations: int = 6
    quick_generations: int = 3


TAIL = TailPanel()
WEIGHTS = WeightPanel()
ENGINES = EnginePanel()


def _rows(panel: str, **columns: object) -> pd.DataFrame:
    frame = pd.DataFrame({"panel": panel, **columns})
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    return frame[list(COLUMNS)]


def _mean_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means over replications (axis 0) and their standard errors."""
    r = values.shape[0]
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(r)


def _laws(fam: NGramModel, sizes: np.ndarray, regime: str) -> dict[str, np.ndarray]:
    """The expected surviving bigrams, producible words and lost mass (replace), or the pool's
    own values (accumulate: nothing is lost)."""
    t = sizes.size + 1
    if regime == "accumulate":
        return {
            "distinct_ngrams": np.full(t, float(fam.corpus.distinct_ngrams)),
            "vocabulary": np.full(t, float(len(fam.corpus.vocabulary) - 2)),
            "lost_mass": np.zeros(t),
        }
    counts = fam.corpus.counts
    return {
        "distinct_ngrams": theory.expected_surviving(counts, sizes),
        "vocabulary": theory.expected_surviving(word_counts(fam.corpus), sizes, n0=fam.tokens),
        "lost_mass": theory.expected_lost_mass(counts, sizes),
    }


def _tail(ctx: Context, fam: NGramModel, horizon: int) -> list[pd.DataFrame]:
    frames = []
    for i, (name, template, regime) in enumerate(ctx.track(TAIL.arms)):
        schedule = template.format(n=fam.tokens)
        ctx.progress(f"tail: {name} ({ctx.replications} replications x {horizon} generations)")
        res = simulate(
            fam,
            n0=fam.tokens,
            schedule=schedule,
            generations=horizon,
            replications=ctx.replications,
            seed=ctx.child_seed(i),
            engine="counts",
            regime=regime,
            metrics=list(TAIL.metrics),
            record="all",
        )
        laws = _laws(fam, res.n_synth[1:], regime)
        t = np.arange(horizon + 1)
        for metric in TAIL.metrics:
            values = res.values(metric)
            mean, se = _mean_se(values)
            law = laws.get(metric, np.full(t.size, np.nan))
            frames.append(
                _rows("tail", arm=name, t=t, metric=metric, simulated=mean, se=se, theory=law)
            )
        lost, half = res.values("lost_mass"), horizon // 2
        gain = lost[:, -1] - lost[:, half]  # paired: the same replications
        law_gain = laws["lost_mass"][-1] - laws["lost_mass"][half]
        frames.append(
            _rows(
                "gain",
                arm=[name],
                t=[horizon],
                metric=["lost_mass"],
                simulated=[gain.mean()],
                se=[gain.std(ddof=1) / np.sqrt(gain.size)],
                theory=[law_gain],
                scale=[half],
            )
        )
    return frames


def _formula(fam: NGramModel, w: float, m: int, effect: float = 1.0) -> float:
    """The per-context error the formula expects at the last generation of the weight runs."""
    n = WEIGHTS.n
    path = context_error_path(
        fam.corpus,
        fam.reference,
        w,
        n,
        m,
        WEIGHTS.generations,
        n0=n,
        min_count=WEIGHTS.min_context_count,
        design_effect=effect,
    )
    return float(path[-1])


def _weight_runs(ctx: Context, fam: NGramModel, j: int, k: float, weights: list[float]) -> Any:
    ctx.progress(f"weights: k = {k:g}, {len(weights)} weights on common random numbers")
    return simulate_weights(
        fam,
        n0=WEIGHTS.n,
        schedule=round(WEIGHTS.n / k),
        n_real=WEIGHTS.n,
        weights=weights,
        generations=WEIGHTS.generations,
        replications=ctx.replications,
        seed=ctx.child_seed(10 + j),
        engine="counts",
        metrics=["context_error", "perplexity"],
        record="final",
    )


def _weights(ctx: Context, fam: NGramModel, effect: float) -> list[pd.DataFrame]:
    frames = []
    horizon = WEIGHTS.generations
    for j, k in enumerate(ctx.track(WEIGHTS.ks)):
        m = round(WEIGHTS.n / k)
        star, naive = float(theory.optimal_weight(k)), k / (1.0 + k)
        weights = sorted({*WEIGHTS.grid, naive, star, 1.0})
        runs = _weight_runs(ctx, fam, j, k, weights)
        errors = {w: r.values("context_error")[:, -1] for w, r in zip(weights, runs, strict=True)}
        for w, res in zip(weights, runs, strict=True):
            law, iid = _formula(fam, w, m, effect), _formula(fam, w, m)
            for metric in ("context_error", "perplexity"):
                mean, se = _mean_se(res.values(metric)[:, -1])
                error = metric == "context_error"
                frames.append(
                    _rows(
                        "weights",
                        arm=[_arm(w, star, naive)],
                        t=[horizon],
                        k=[k],
                        w=[w],
                        metric=[metric],
                        simulated=[mean],
                        se=[se],
                        theory=[law if error else np.nan],
                        scale=[iid if error else np.nan],
                    )
                )
        at_star = _formula(fam, star, m, effect)
        for other in (naive, 1.0):  # paired gaps: the other weight's error minus w*'s
            gap = errors[other] - errors[star]
            frames.append(
                _rows(
                    "weight_gap",
                    arm=[_arm(other, star, naive)],
                    t=[horizon],
                    k=[k],
                    w=[other],
                    metric=["context_error"],
                    simulated=[gap.mean()],
                    se=[gap.std(ddof=1) / np.sqrt(gap.size)],
                    theory=[_formula(fam, other, m, effect) - at_star],
                    scale=[at_star],
                )
            )
    return frames


def _arm(w: float, star: float, naive: float) -> str:
    if w == star:
        return "optimal"
    if w == naive:
        return "naive"
    return "real only" if w == 1.0 else "grid"


def _engines(ctx: Context, fam: NGramModel, horizon: int) -> list[pd.DataFrame]:
    frames = []
    metrics = ["distinct_ngrams", "vocabulary", "lost_mass", "perplexity", "context_error"]
    for engine in ctx.track(("counts", "sequence")):
        ctx.progress(f"engines: {engine}, {ENGINES.tokens:,} tokens per generation")
        res = simulate(
            fam,
            n0=ENGINES.tokens,
            schedule=ENGINES.tokens,
            generations=horizon,
            replications=ctx.replications,
            seed=ctx.child_seed(20),  # the same generation 0 for both engines
            engine=engine,
            metrics=metrics,
            record="all",
        )
        for metric in metrics:
            mean, se = _mean_se(res.values(metric))
            frames.append(
                _rows(
                    "engines",
                    arm=engine,
                    t=np.arange(horizon + 1),
                    metric=metric,
                    simulated=mean,
                    se=se,
                )
            )
    return frames


def _limits(fam: NGramModel) -> pd.DataFrame:
    """The law's limit of one real occurrence's survival for each replace arm's schedule."""
    from ...schedules import parse_schedule

    arms = [(name, template) for name, template, regime in TAIL.arms if regime == "replace"]
    limits = [
        theory.survival_limit(
            fam.tokens, theory.harmonic_limit(parse_schedule(template.format(n=fam.tokens)))
        )
        for _, template in arms
    ]
    return _rows("limit", arm=[name for name, _ in arms], theory=limits)


def compute(ctx: Context) -> pd.DataFrame:
    """Run the three panels and return the results table (columns :data:`COLUMNS`, then
    ``replications``).

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress: the tail arms use ``ctx.child_seed(0..4)``, the weight runs
        ``ctx.child_seed(10 + j)``, both engines ``ctx.child_seed(20)``.

    Returns
    -------
    pandas.DataFrame
    """
    fam = NGramModel(order=2, holdout=0.05, min_context_count=WEIGHTS.min_context_count)
    effect = design_effect(fam.corpus, WEIGHTS.min_context_count).overall
    tail_t = TAIL.quick_generations if ctx.quick else TAIL.generations
    engine_t = ENGINES.quick_generations if ctx.quick else ENGINES.generations
    ctx.note(
        text="web (shipped), 95% of the lines; 5% held out",
        model="word bigrams, add-0",
        tokens=fam.tokens,
        distinct_bigrams=fam.corpus.distinct_ngrams,
        tail={"arms": [a[0] for a in TAIL.arms], "generations": tail_t, "engine": "counts"},
        weights={"n": WEIGHTS.n, "k": list(WEIGHTS.ks), "generations": WEIGHTS.generations},
        design_effect=effect,
        engines={"tokens": ENGINES.tokens, "generations": engine_t},
    )
    ctx.steps(3)
    frames = _tail(ctx, fam, tail_t)
    frames += _weights(ctx, fam, effect)
    frames += _engines(ctx, fam, engine_t)
    frames.append(_rows("design", arm=["D"], theory=[effect], scale=[WEIGHTS.min_context_count]))
    frames.append(_limits(fam))
    table = pd.concat(frames, ignore_index=True)
    table["replications"] = ctx.replications
    return table


def run(ctx: Context) -> Outcome:
    """Compute the table, then its figures, key table and notes."""
    table = compute(ctx)
    return Outcome(table, plot(table), key_table(table), notes=notes(table))


EXPERIMENT = register(
    Experiment(
        id="lm-tail",
        title="Language-model collapse on real text: an n-gram loop, the law of its lost tail, "
        "golden-ratio weighting and the two text engines",
        paper="extension beyond the papers (n-gram language models)",
        figure="Lost tail, perplexity, weights and engines",
        replications=20,
        quick_replications=4,
        run=run,
        judge=judge,
    )
)
