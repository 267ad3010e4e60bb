"""The outputs of ``lm-tail`` (:mod:`.lm_tail`) drawn from its results table alone: the key
table, the summary's notes and the three figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...plots import new_figure, plot_band, plot_theory

__all__ = ["key_table", "notes", "plot"]

_LABELS = {
    "distinct_ngrams": "distinct bigrams kept (bigrams)",
    "vocabulary": "words the model can produce (words)",
    "lost_mass": "real token mass on lost bigrams (probability)",
    "perplexity": "held-out perplexity (tokens)",
    "context_error": "per-context error (probability^2)",
}


def _design(table: pd.DataFrame) -> float:
    return float(table[table.panel == "design"].theory.iloc[0])


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """The replace arms at the last generation against the law, and the weights at w*(k)."""
    tail = table[(table.panel == "tail") & table.metric.isin(_LABELS) & table.theory.notna()]
    last = tail[tail.t == tail.t.max()]
    weights = table[(table.panel == "weights") & (table.metric == "context_error")]
    marked = weights[weights.arm != "grid"]
    return pd.DataFrame(
        {
            "panel": ["tail"] * len(last) + ["weights"] * len(marked),
            "case": [f"{a}, T = {int(t)}" for a, t in zip(last.arm, last.t, strict=True)]
            + [
                f"k = {k:g}, {a} (w = {w:.3f})"
                for k, a, w in zip(marked.k, marked.arm, marked.w, strict=True)
            ],
            "metric": [*last.metric, *marked.metric],
            "simulated": [*last.simulated, *marked.simulated],
            "SE": [*last.se, *marked.se],
            "theory": [*last.theory, *marked.theory],
            "sim / theory": [*(last.simulated / last.theory), *(marked.simulated / marked.theory)],
        }
    )


def notes(table: pd.DataFrame) -> list[str]:
    """The summary's notes: the text and model, the law, the weights and the engines."""
    r = int(table.replications.iloc[0])
    tail = table[table.panel == "tail"]
    weights = table[table.panel == "weights"]
    engines = table[table.panel == "engines"]
    return [
        "Text: the shipped corpus derived from the World English Bible, 95% of its lines for "
        "training (5% held out for the perplexity, add-0 zeros floored at 1e-6); word bigrams, "
        f"add-0 maximum likelihood; {r} replications per arm.",
        f"Tail: {int(tail.t.max())} generations of the replace recursion from the whole training "
        "text (n0 = its tokens) with the counts engine, and accumulate; the law is "
        "theory.ngram's Poisson branching process, computed from the text's counts alone.",
        f"Weights: {int(weights.t.max())} generations, each fitted to fresh whole lines and "
        "synthetic text weighted w : 1 - w, on common random numbers; the per-context error "
        "is over the contexts with at least "
        f"{int(table[table.panel == 'design'].scale.iloc[0])} tokens in the text, against "
        "lm.model.context_error_path with the design effect D = "
        f"{_design(table):.3f} (lm.model.design_effect).",
        f"Engines: {int(engines.t.max())} generations from the same generation 0 (a sample of "
        "whole lines), counts engine against sequence engine.",
    ]


def _plot_tail(table: pd.DataFrame) -> Any:
    tail = table[table.panel == "tail"]
    fig, axes = new_figure(4, width=4.3)
    for ax, metric in zip(
        axes, ("distinct_ngrams", "vocabulary", "lost_mass", "perplexity"), strict=True
    ):
        for arm in tail.arm.unique():
            part = tail[(tail.arm == arm) & (tail.metric == metric)]
            plot_band(ax, part.t, part.simulated, part.se, arm, marker="o")
            if part.theory.notna().any() and arm != "accumulate":
                plot_theory(ax, part.t, part.theory, None)  # black, on top of the arm
        ax.set(xlabel="generation t", ylabel=_LABELS[metric])
    for ax in axes[:3]:  # the perplexity has no law
        ax.plot([], [], color="black", linestyle="--", label="law (theory.ngram)")
    for ax in axes:
        ax.legend(fontsize=6)
    axes[0].set_title("(a) bigrams kept")
    axes[1].set_title("(a) words")
    axes[2].set_title("(a) lost real mass")
    axes[3].set_title("(b) held-out perplexity")
    return fig


def _plot_weights(table: pd.DataFrame) -> Any:
    rows = table[table.panel == "weights"]
    design = _design(table)
    fig, axes = new_figure(3, width=4.6)
    for ax, k in zip(axes[:2], sorted(rows.k.unique(), reverse=True), strict=True):
        part = rows[(rows.k == k) & (rows.metric == "context_error")].sort_values("w")
        plot_band(ax, part.w, part.simulated, part.se, "simulated")
        plot_theory(ax, part.w, part.theory, f"formula, D = {design:.3f}")
        ax.plot(part.w, part.scale, linestyle="--", linewidth=1.0, label="formula, D = 1")
        star, corrected = float(theory.optimal_weight(k)), float(theory.optimal_weight(k / design))
        ax.axvline(k / (1 + k), color="grey", linestyle=":", label="naive k/(1+k)")
        ax.axvline(star, color="tab:red", linewidth=1.0, label=f"w*(k) = {star:.3f}")
        ax.axvline(
            corrected,
            color="tab:purple",
            linestyle="--",
            linewidth=1.0,
            label=f"w*(k/D) = {corrected:.3f}",
        )
        low = part.loc[part.simulated.idxmin()]
        ax.plot(
            [low.w],
            [low.simulated],
            marker="*",
            markersize=10,
            linestyle="",
            color="tab:green",
            label="grid minimum",
        )
        ax.set(
            xlabel="weight w on fresh real text",
            ylabel=_LABELS["context_error"],
            title=f"(c) k = n/m = {k:g}",
        )
        ax.legend(fontsize=6)
    ax = axes[2]
    for k in sorted(rows.k.unique(), reverse=True):
        part = rows[(rows.k == k) & (rows.metric == "context_error")].sort_values("w")
        ax.plot(part.w, part.simulated / part.theory, marker="o", label=f"k = {k:g}, with D")
        ax.plot(
            part.w,
            part.simulated / part.scale,
            marker="x",
            linestyle="--",
            label=f"k = {k:g}, D = 1",
        )
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set(
        xlabel="weight w on fresh real text",
        ylabel="simulated / formula (ratio)",
        title="(d) the per-context formula",
    )
    ax.legend(fontsize=6)
    return fig


def _plot_engines(table: pd.DataFrame) -> Any:
    """Per metric, the counts engine's relative difference from the sequence engine over the
    generations, with a 95% band: the two curves themselves lie on top of each other."""
    rows = table[table.panel == "engines"]
    metrics = list(dict.fromkeys(rows.metric))
    fig, axes = new_figure(len(metrics), width=3.6)
    for ax, metric in zip(axes, metrics, strict=True):
        counts = rows[(rows.arm == "counts") & (rows.metric == metric)].set_index("t")
        sequence = rows[(rows.arm == "sequence") & (rows.metric == metric)].set_index("t")
        base = sequence.simulated.abs()
        gap = (counts.simulated - sequence.simulated) / base
        band = np.hypot(counts.se, sequence.se) / base
        plot_band(ax, gap.index, gap, band, "counts - sequence")
        ax.axhline(0.0, color="black", linewidth=0.8, label="no difference")
        ax.set(
            xlabel="generation t",
            ylabel="(counts - sequence) / sequence (ratio)",
            title=f"(e) {metric}",
        )
        ax.legend(fontsize=7)
    return fig


def plot(table: pd.DataFrame) -> dict[str, Any]:
    """The three figures, by name: ``lm-tail-tail``, ``lm-tail-weights``, ``lm-tail-engines``."""
    return {
        "lm-tail-tail": _plot_tail(table),
        "lm-tail-weights": _plot_weights(table),
        "lm-tail-engines": _plot_engines(table),
    }
