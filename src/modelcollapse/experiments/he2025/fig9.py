"""Paper 2's Figure 9 (``he2025-fig9``): naive mixing ``w = k/(1+k)`` against the optimal weight
``w*(k)`` as synthetic data becomes abundant (small ``k = n/m``).

Panels as Figure 8's. At each ``k`` both schemes run on the same random numbers (a block of the
table: their covariance is in it), and each ``k`` is an independent run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ... import theory
from ...metrics import axis_label
from ...plots import plot_band, plot_theory
from ..context import Context, Experiment, Outcome
from ..registry import register
from ..verdicts import DETECTION_MARGIN, MAX_DETECTABLE, Verdict, threshold
from .sweep import block_rows, family_groups, panel_axes, run_sweeps
from .sweep_spec import PAPER, Panel, Scale, SweepSpec, model_panels
from .sweep_stats import covariance
from .sweep_verdicts import by_panel, exact_verdict, shape_verdict

__all__ = ["EXPERIMENT", "SPEC", "compute", "judge", "key_table", "pairs", "plot", "run"]

#: n = 100, p = 2, m = int(n / k) for each k. Quick scale: three values of k and a shorter
#: horizon (as Figure 8's quick scale).
SPEC = SweepSpec(
    n=100,
    m=None,
    p=2,
    paper=Scale(
        generations=200,
        first=150,
        last=199,
        grid=tuple(np.round(np.arange(0.01, 0.1901, 0.02), 2).tolist()),
        step=0.02,
    ),
    quick=Scale(generations=60, first=40, last=59, grid=(0.03, 0.11, 0.19), step=0.08),
)

_NOTES = [
    "m = int(100 / k); naive w = k/(1+k), optimal w = w*(k) with k = n/m; both schemes see "
    "the same random numbers at each k (their covariance is in the table), and each k is an "
    "independent run.",
    "Panels: as Figure 8. The Gaussian mean and covariance and the CDF have exact theory; "
    "the regressions and GLMs first-order theory C R(w, k)/n (with the window's transient), "
    "drawn as it is; their shape verdicts fit one free scale over both schemes and every k.",
]


# -- compute ------------------------------------------------------------------------------------


def _jobs(ctx: Context, panels: list[Panel], ks: np.ndarray) -> list[tuple[Any, ...]]:
    """One sweep of the two schemes per family and ``k``, tagged ``(members, block, m)``."""
    n = SPEC.n
    jobs = []
    for j, (family_key, members) in enumerate(family_groups(panels).items()):
        ctx.progress(
            f"{family_key}: {len(ks)} values of k x 2 schemes x {ctx.replications:,} replications"
        )
        for block, k in enumerate(ks):
            m = int(n / k)
            # Both schemes on the same random numbers at each k.
            weights = [float(theory.naive_weight(n / m)), float(theory.optimal_weight(n / m))]
            seed = ctx.child_seed(1000 * j + round(k * 100))
            jobs.append((members, weights, m, seed, (members, block, m)))
    return jobs


def compute(ctx: Context) -> pd.DataFrame:
    """Simulate both schemes at every ``k`` for every panel (the results table)."""
    assert SPEC.p is not None  # set above
    scale = SPEC.scale(ctx.quick)
    n, window, ks = SPEC.n, scale.window, scale.values
    ctx.note(
        n=n,
        p=SPEC.p,
        k_values=ks.tolist(),
        generations=scale.generations,
        window=[int(window[0]), int(window[-1])],
    )
    panels = model_panels(SPEC.p)
    jobs = _jobs(ctx, panels, ks)
    cells: dict[tuple[str, int, int], list[tuple[int, float, np.ndarray]]] = {}
    for (members, block, m), i, w, result in run_sweeps(ctx, jobs, n, scale.generations, window):
        for panel in members:
            cells.setdefault((panel.key, block, m), []).append((i, w, result[panel.metric]))
    rows = []
    for panel in panels:
        for (key, block, m), values in sorted(cells.items(), key=lambda item: item[0][1]):
            if key == panel.key:
                rows += block_rows(panel, values, n, m, window, ctx.replications, block)
    table = pd.DataFrame(rows)
    table.insert(4, "scheme", np.where(table.idx == 0, "naive", "optimal"))
    return table


# -- judge --------------------------------------------------------------------------------------


def pairs(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (panel, k): naive and optimal simulated errors, their covariance, theory.

    Parameters
    ----------
    table : pandas.DataFrame
        The table :func:`compute` returns.

    Returns
    -------
    pandas.DataFrame
        Columns ``panel``, ``title``, ``theory_kind``, ``k``, ``m``, ``naive``, ``optimal``,
        their variances ``v_naive`` and ``v_optimal``, their covariance ``c``, and
        ``naive_theory``, ``optimal_theory``.
    """
    out = []
    for key, rows in by_panel(table):
        for _, block in rows.groupby("block", sort=True):
            block = block.sort_values("idx")
            cov = covariance(block)
            naive, optimal = block.iloc[0], block.iloc[1]
            out.append(
                {
                    "panel": key,
                    "title": naive.title,
                    "theory_kind": naive.theory_kind,
                    "k": float(naive.k),
                    "m": int(naive.m),
                    "naive": float(naive.error),
                    "optimal": float(optimal.error),
                    "v_naive": cov[0, 0],
                    "v_optimal": cov[1, 1],
                    "c": cov[0, 1],
                    "naive_theory": float(naive.theory),
                    "optimal_theory": float(optimal.theory),
                }
            )
    return pd.DataFrame(out)


def _reverse_order(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """Optimal weighting made worse than naive mixing by the fraction ``size`` at every k."""
    out = table.copy()
    out["error"] = out["error"].astype(float)
    for _, rows in out.groupby(["panel", "block"], sort=False):
        naive = rows[rows.scheme == "naive"]
        optimal = rows[rows.scheme == "optimal"]
        out.loc[optimal.index, "error"] = float(naive.error.iloc[0]) * (1.0 + size)
    return out


def _narrow_gap(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """The gap made to narrow as k falls: naive/optimal becomes its value at the largest k
    times ``exp(-size (k_max - k)/(k_max - k_min))``."""
    out = table.copy()
    out["error"] = out["error"].astype(float)
    for _, rows in out.groupby("panel", sort=False):
        naive = rows[rows.scheme == "naive"].set_index("block")
        optimal = rows[rows.scheme == "optimal"].set_index("block")
        k = naive.k
        top = k.idxmax()
        # pandas-stubs types idxmax as Hashable, which Series.__getitem__ does not accept.
        ratio = float(naive.error[top] / optimal.error[top])  # type: ignore[call-overload]
        span = float(k.max() - k.min()) or 1.0
        new = naive.error / (ratio * np.exp(-size * (k.max() - k) / span))
        out.loc[rows[rows.scheme == "optimal"].index, "error"] = new[optimal.index].to_numpy()
    return out


def _ordering_verdict(pairs: pd.DataFrame) -> Verdict:
    """Optimal weighting below naive mixing at every k, by the difference's z-score."""
    diff = pairs.naive - pairs.optimal
    sd = np.sqrt(np.clip(pairs.v_naive + pairs.v_optimal - 2 * pairs.c, 0.0, None))
    z = threshold(len(pairs))
    zs = diff / sd
    detectable = float(np.min((z + DETECTION_MARGIN) * sd / pairs.naive))
    if (zs < -z).any():
        holds: bool | None = False
    elif (zs > z).all():
        holds = True
    else:
        holds = None
    if detectable > MAX_DETECTABLE:
        holds = None
    ratio = pairs.naive / pairs.optimal
    theory_ratio = pairs.naive_theory / pairs.optimal_theory
    worst = pairs.iloc[int(np.argmin(zs))]
    ks = ", ".join(f"{k:.2g}" for k in sorted(pairs.k.unique()))
    return Verdict(
        f"Optimal weighting w*(k) has a lower error than naive mixing w = k/(1+k) at every k "
        f"run (k = {ks}), in every panel.",
        holds,
        f"(naive/optimal from {ratio.min():.3f} to {ratio.max():.3f}, theory "
        f"{theory_ratio.min():.3f} to {theory_ratio.max():.3f}; the difference naive - optimal "
        f"is {zs.min():.1f} SE at "
        f"the least ({worst.title}, k = {worst.k:.2g}), SE of the difference from the two "
        f"schemes' covariance on common random numbers; {int((zs > z).sum())}/{len(pairs)} "
        f"beyond {z:.2g} SE. Detects optimal worse than naive by {detectable:.2g}.)",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_reverse_order,
    )


def _widening_verdict(pairs: pd.DataFrame) -> Verdict:
    """The gap widens as k falls: the weighted trend of log(naive/optimal) against k is < 0."""
    per_panel = []
    z = threshold(pairs.panel.nunique())
    for _, rows in pairs.groupby("panel", sort=False):
        y = np.log((rows.naive / rows.optimal).to_numpy())
        var = (
            rows.v_naive / rows.naive**2
            + rows.v_optimal / rows.optimal**2
            - 2 * rows.c / (rows.naive * rows.optimal)
        ).to_numpy()
        k = rows.k.to_numpy()
        weight = 1.0 / var
        centre = np.sum(weight * k) / np.sum(weight)
        sxx = float(np.sum(weight * (k - centre) ** 2))
        slope = float(np.sum(weight * (k - centre) * y) / sxx)
        se = 1.0 / math.sqrt(sxx)
        span = float(k.max() - k.min())
        per_panel.append((rows.title.iloc[0], slope, se, (z + DETECTION_MARGIN) * se * span))
    zs = [slope / se for _, slope, se, _ in per_panel]
    if any(value > z for value in zs):
        holds: bool | None = False
    elif all(value < -z for value in zs):
        holds = True
    else:
        holds = None
    detectable = min(d for *_, d in per_panel)
    if detectable > MAX_DETECTABLE:
        holds = None
    return Verdict(
        "The gap between naive mixing and optimal weighting widens as k falls (synthetic data "
        "more abundant): log(naive/optimal) decreases with k, in every panel.",
        holds,
        "(weighted least-squares slope of log(naive/optimal) against k, weights 1/variance from "
        "the two schemes' covariance; values of k are independent runs: "
        + ", ".join(f"{t} {s:.3g} +- {se:.2g}" for t, s, se, _ in per_panel)
        + f"; least steep at {max(zs):.1f} SE, level {z:.2g} SE. Detects a gap narrowing as k "
        f"falls by a factor exp(-s) over the k range run, s = {detectable:.2g}.)",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_narrow_gap,
    )


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts, from the table alone: the exact panels against their law, each
    first-order panel's shape against ``k``, optimal below naive at every ``k``, and the gap
    widening as ``k`` falls."""
    n = int(table.n.iloc[0])
    verdicts = []
    if (table.theory_kind == "exact").any():
        verdicts.append(exact_verdict(table, "for both schemes at every k run"))
    first_order = [
        (key, rows) for key, rows in by_panel(table) if rows.theory_kind.iloc[0] != "exact"
    ]
    for _, rows in first_order:
        claim = (
            f"{rows.title.iloc[0]}: the simulated errors of both schemes against k have the shape "
            f"of the first-order theory C R(w, k)/n (one free scale, fitted over both schemes and "
            f"every k; n = {n})."
        )
        verdicts.append(
            shape_verdict(rows, len(first_order), "k", claim, "of the two schemes at one k")
        )
    table_pairs = pairs(table)
    verdicts += [_ordering_verdict(table_pairs), _widening_verdict(table_pairs)]
    return verdicts


# -- plot and run -------------------------------------------------------------------------------


def plot(table: pd.DataFrame, scale: Scale) -> Figure:
    """Figure 9: per panel, both schemes' simulated errors against ``k`` (95% bands) beside
    their theory, headed by the scale run."""
    panels = by_panel(table)
    fig, axes = panel_axes(len(panels))
    for ax, (_, rows) in zip(axes, panels, strict=False):
        first = rows.iloc[0]
        for scheme, marker in (("naive", "s"), ("optimal", "o")):
            part = rows[rows.scheme == scheme].sort_values("k")
            line = plot_band(ax, part.k, part.error, part.se, f"{scheme}, simulated", marker=marker)
            plot_theory(
                ax,
                part.k,
                part.theory,
                f"{scheme}, "
                + ("exact theory" if first.theory_kind == "exact" else "first-order C R/n"),
                color=line.get_color(),
            )
        ax.set(
            xlabel="k = n / m",
            ylabel=axis_label(str(first.metric), "mean error in the window"),
            title=str(first.title),
        )
        ax.legend(fontsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    first = table.iloc[0]
    ks = sorted(table.k.unique())
    ms = sorted(table.m.unique(), reverse=True)
    window = scale.window
    fig.suptitle(
        f"Figure 9, n = {int(first.n)}; k = "
        + ", ".join(f"{k:.2g}" for k in ks)
        + f" (m = {int(ms[0]):,} .. {int(ms[-1]):,}); {int(first.replications):,} replications; "
        f"error averaged over generations {window[0]}..{window[-1]} of {scale.generations}",
        fontsize=10,
    )
    return fig


def key_table(table: pd.DataFrame) -> pd.DataFrame:
    """Naive and optimal, simulated beside theory, at the smallest and the largest ``k``."""
    both = pairs(table)
    key_rows = []
    for _, pair in both.iterrows():
        if pair.k not in (both.k.min(), both.k.max()):
            continue
        key_rows.append(
            {
                "panel": pair.title,
                "k": pair.k,
                "m": pair.m,
                "naive (sim)": pair.naive,
                "naive (theory)": pair.naive_theory,
                "optimal (sim)": pair.optimal,
                "optimal (theory)": pair.optimal_theory,
                "theory kind": pair.theory_kind,
                "naive / optimal (sim)": pair.naive / pair.optimal,
                "naive / optimal (theory)": pair.naive_theory / pair.optimal_theory,
            }
        )
    return pd.DataFrame(key_rows)


def run(ctx: Context) -> Outcome:
    """Compute the table, then its figure, key table and notes."""
    table = compute(ctx)
    fig = plot(table, SPEC.scale(ctx.quick))
    return Outcome(table, {"fig9": fig}, key_table(table), notes=list(_NOTES))


EXPERIMENT = register(
    Experiment(
        id="he2025-fig9",
        title="Naive mixing against the optimal weight as synthetic data becomes abundant "
        "(small k = n/m)",
        paper=PAPER,
        figure="Figure 9",
        replications=1_000,
        quick_replications=100,
        run=run,
        judge=judge,
    )
)
