"""The key table and the notes of ``strategies`` (:mod:`.strategies`): what each strategy
costs and how the strategies rank, beside their laws."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .strategies_arms import ANCHOR_ALPHA, FRESH, GROWTH, costs

__all__ = ["key_table", "notes"]


def key_table(table: pd.DataFrame, results: dict[tuple[str, str], dict[str, Any]]) -> pd.DataFrame:
    """Per family and strategy: its costs, its error at T and over the window beside the law,
    and (from ``results``, not in the table) the median error and the median ``sigma2`` or the
    share of failed fits at T."""
    windows = table[table.part == "window"]
    rows = []
    w: Any  # a row of the table: its fields are the columns, of mixed types
    for w in windows.itertuples(False):
        kind, s, n, generations = w.family, w.strategy, int(w.n), int(w.generations)
        curve = table[(table.part == "curve") & (table.family == kind) & (table.strategy == s)]
        last = curve.iloc[-1]
        r = results[(kind, s)]
        real, synthetic, train = costs(s, n, generations)
        rows.append(
            {
                "family": kind,
                "strategy": s,
                "real points": real,
                "synthetic points": synthetic,
                "last training set": train,
                "error at T": last.error,
                "SE": last.se,
                "median error at T": r["median"],
                "theory at T": last.theory,
                "window": f"t = {int(w.t0)}..{generations}",
                "mean error in window": w.error,
                "theory in window": w.theory,
                "error / (C/n)": last.error / (w.c / n),
                ("median sigma2 at T" if kind == "gaussian" else "failed fits at T"): r["extra"][
                    -1
                ],
            }
        )
    return pd.DataFrame(rows)


def _finding(key: pd.DataFrame, kind: str) -> str:
    """The note on one family's ranking: the lowest error, with and without fresh real data."""
    part = key[key.family == kind].set_index("strategy")
    order = part["error at T"].sort_values()
    best, best_no_fresh = order.index[0], order.drop(list(FRESH)).index[0]
    cheapest = part.loc[order.index[order.to_numpy() <= 2 * order.iloc[0]]]
    factor = order[best_no_fresh] / order.iloc[0]
    return (
        f"Finding ({kind}): lowest error at T: {best} ({order.iloc[0]:.4g}, "
        f"{part.loc[best, 'real points']:,} real points); without fresh real data: "
        f"{best_no_fresh} ({order[best_no_fresh]:.4g}, {factor:.3g} "
        f"times that, with only {part.loc[best_no_fresh, 'real points']:,} real points and a "
        f"last training set of {part.loc[best_no_fresh, 'last training set']:,}). Within twice "
        "the lowest error: "
        + ", ".join(cheapest.index)
        + ". Ranking: "
        + " < ".join(order.index)
        + "."
    )


def notes(key: pd.DataFrame, settings: dict[str, tuple[int, int, int]]) -> list[str]:
    """The summary's notes: the strategies, the findings per family, and logistic replace."""
    notes = [
        "Every strategy starts from the same n real points (generation 0). Dashed lines: exact "
        "laws (Gaussian) and first-order laws (logistic, C = tr I(beta)^-1); accumulate-subsample "
        "has none. In the cost panel, strategies of equal cost (accumulate and anchor; the "
        "three fresh-data weights) are drawn as nested markers. The fresh-data strategies "
        "consume n real points every generation, the others only the generation-0 ones: the "
        "'real points' column is the price of their lower error.",
        f"anchor: the generation-0 data weighted {ANCHOR_ALPHA} against n synthetic points; "
        f"growing: n_t = n t^{1 + GROWTH:g}; greedy: paper 2's time-varying weight, bound to "
        "n0 = n, which converges to 1/phi within a few generations (so greedy and golden-ratio "
        "nearly coincide from then on, on common random numbers); logistic runs use "
        f"{settings['logistic'][2]:,} replications (a tenth of the Gaussian's, at least 500). "
        "Orderings are judged on the mean error over generations "
        + ", ".join(f"{v[1] // 2}..{v[1]} ({k})" for k, v in settings.items())
        + ", by paired differences per replication.",
    ]
    notes += [_finding(key, kind) for kind in settings]
    rep = key[(key.family == "logistic") & (key.strategy == "replace")].iloc[0]
    notes.append(
        "Logistic regression under replace: the coefficients drift to where the information is "
        "small, so later steps are larger and the error is heavy-tailed (mean "
        f"{rep['error at T']:.3g}, median {rep['median error at T']:.3g} at T); the first-order "
        "law (t + 1) C/n, which keeps C at the true coefficients, describes only its start."
    )
    return notes
