"""Paper 1 (Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"): the win
probability, biased estimators and shrinkage, and general parametric families.

Each experiment's ``run`` computes a tidy table and its figures; its ``judge`` turns that table
alone into verdicts (:mod:`.verdicts`), so a stored ``results.csv`` can be judged again.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter

from .. import theory
from ..engine import simulate
from ..families import Gaussian
from ..plots import new_figure, plot_band, plot_theory
from ..schedules import Constant, Power, Shrinkage
from .registry import Context, Experiment, Outcome, register
from .verdicts import MAX_DETECTABLE, Verdict, binomial_se, compare, ordering, threshold
from .xu2025 import PAPER, capped_horizon, paper_schedules


def _above(value: float, bound: float, se: float, z: float) -> float:
    """The relative rise of ``value`` that a test ``value < bound - z se`` detects (97.7%).

    The test fails with probability above 97.7% once the expected value reaches
    ``bound - (z - 2) se``; the rise is measured relative to ``value``.
    """
    return max((bound - (z - 2.0) * se) / value - 1.0, 1e-9) if value > 0 else math.inf


def _below(value: float, bound: float, se: float, z: float) -> float:
    """The relative fall ``value -> value / (1 + d)`` that a test ``value > bound + z se``
    detects with probability above 97.7%."""
    return max(value / (bound + (z - 2.0) * se) - 1.0, 1e-9) if bound > 0 else math.inf


def _resolution(se: float, level: float, z: float) -> float:
    """The smallest change, relative to ``level``, that a test at ``z`` SE resolves (97.7%).

    A directional claim ("below 1/2", "falls", "changes by less than 10%") is informative when
    its standard errors resolve a change of at most :data:`MAX_DETECTABLE` of the level it
    is judged at; its ``detectable`` is how far the simulated value must move to flip it.
    """
    return (z + 2.0) * se / abs(level) if level else math.inf


def _tilt(
    table: pd.DataFrame,
    rows: pd.Series,
    column: str,
    start: pd.Series,
    end: pd.Series,
    factor: float,
) -> pd.DataFrame:
    """Multiply ``column`` on ``rows`` by ``factor ** w``, ``w = log(t/start) / log(end/start)``
    clipped to [0, 1]: unchanged up to ``start``, scaled by ``factor`` at ``end``."""
    out = table.copy()
    t = out["t"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(t / start.astype(float)) / np.log(end.astype(float) / start.astype(float))
    w = np.clip(np.nan_to_num(w, nan=0.0, neginf=0.0), 0.0, 1.0)
    scale = np.where(rows, factor**w, 1.0)
    out[column] = out[column].astype(float) * scale
    return out


def _ramp(
    table: pd.DataFrame,
    rows: pd.Series,
    columns: list[str],
    start: pd.Series,
    end: pd.Series,
    amount: pd.Series,
    log: bool = True,
) -> pd.DataFrame:
    """Add ``amount * w`` to ``columns`` on ``rows``: ``w`` rises from 0 at ``start`` to 1 at
    ``end`` (linearly in ``log t``, or in ``t`` with ``log=False``), clipped to [0, 1]."""
    out = table.copy()
    t, a, b = (np.asarray(v, dtype=float) for v in (out["t"], start, end))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(t / a) / np.log(b / a) if log else (t - a) / (b - a)
    w = np.clip(np.nan_to_num(w, nan=0.0, neginf=0.0, posinf=0.0), 0.0, 1.0)
    add = np.where(rows, np.asarray(amount, dtype=float) * w, 0.0)
    for column in columns:
        out[column] = out[column].astype(float) + add
    return out


def _names(values: pd.Series) -> str:
    """The distinct values of a settings column, in order, as text."""
    return ", ".join(str(v) for v in dict.fromkeys(values))


# -- win probability ----------------------------------------------------------------------------


def _win_probability(ctx: Context) -> Outcome:
    n0 = 100
    horizon = 100 if ctx.quick else 300
    r = ctx.replications
    schedules = {k: v for k, v in paper_schedules(n0).items() if k != "t^1.1"}
    paths = max(100_000, r)
    ctx.note(
        n0=n0,
        generations=horizon,
        exact_paths=paths,
        schedules={k: str(v) for k, v in schedules.items()},
    )
    fig, axes = new_figure(2)
    rows, key_rows = [], []
    for i, (name, schedule) in enumerate(ctx.track(schedules.items())):
        T = capped_horizon(schedule, horizon)
        sizes = schedule.sizes(T)
        ctx.progress(f"simulate {name}, T = {T}")
        record = np.unique(np.concatenate([[0], np.geomspace(1, T, 30).round()])).astype(int)
        res = simulate(
            Gaussian(),
            n0=n0,
            schedule=schedule,
            generations=T,
            replications=r,
            seed=ctx.child_seed(2 * i),
            record=record,
            metrics=["mean_error"],
        )
        err = res.values("mean_error")
        sim = (err[:, 1:] < err[:, [0]]).mean(axis=0)
        exact, exact_se = theory.win_probability_exact(
            n0, sizes, replications=paths, seed=ctx.child_seed(2 * i + 1)
        )
        plug = theory.win_probability_plugin(n0, sizes)
        regime = theory.collapse_verdict(schedule)
        limit = theory.harmonic_limit(schedule)
        q_limit = (
            math.atan(2 / math.sqrt(n0 * limit)) / math.pi
            if regime == "stable" and limit is not None
            else 0.0
        )
        t = record[1:]
        frame = pd.DataFrame(
            {
                "schedule": name,
                "regime": regime,
                "n0": n0,
                "T": T,
                "replications": r,
                "exact_paths": paths,
                "t": t,
                "q_sim": sim,
                # The binomial SE at the exact probability (a simulated 0 claims no zero error).
                "q_sim_se": binomial_se(exact[t], r),
                "q_exact": exact[t],
                "q_exact_se": exact_se[t],
                "q_plugin": plug[t],
                "q_limit": q_limit,
            }
        )
        rows.append(frame)
        ax = axes[0] if regime == "collapses" else axes[1]
        line = plot_band(ax, t, sim, frame.q_sim_se, f"{name}, simulated")
        plot_theory(ax, np.arange(1, T + 1), exact[1:], "_", color=line.get_color())
        ax.plot(np.arange(1, T + 1), plug[1:], color=line.get_color(), linestyle=":", linewidth=1.2)
        key_rows.append(
            {
                "schedule": name,
                "regime": regime,
                "T": T,
                "Q_T sim": sim[-1],
                "SE": frame.q_sim_se.iloc[-1],
                "Q_T exact": exact[T],
                "Q_T plug-in": plug[T],
                "limit T -> inf": q_limit,
            }
        )
    for ax, title in zip(axes, ("Collapsing schedules", "Non-collapsing schedules"), strict=True):
        ax.axhline(0.5, color="grey", linewidth=0.8, label="Q = 1/2")
        ax.set(
            xscale="log",
            xlabel="generation T",
            ylabel="Q_T (probability)",
            ylim=(0, 0.52),
        )
        ax.set_title(
            f"{title}\nn0 = {n0}, R = {r:,}, T <= {horizon}\n"
            "points: simulated (95% band); dashed: exact; dotted: plug-in",
            fontsize=10,
        )
        ax.legend(fontsize=7, loc="lower left")
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    notes = [
        "Q_T = P(|theta_T - theta*| < |theta_0 - theta*|), theta the Gaussian mean and theta_0 "
        f"the fit to the n0 = {n0} real points; generations up to {horizon} (2^t stops where "
        "its sizes outgrow 64-bit integers). The exact conditional form averages "
        f"E[(1/pi) arctan(2 sqrt(a/B_T))] over {paths:,} simulated variance paths (its "
        "standard error is included in the comparison).",
        "The SE of a difference between two generations of one schedule is bounded by the "
        "root sum of squares of their SEs (the two are positively correlated), which only "
        "makes that test conservative.",
    ]
    return Outcome(table, {"win_probability": fig}, key, notes=notes)


def _judge_win_probability(table: pd.DataFrame) -> list[Verdict]:
    tab = table
    se = np.hypot(tab.q_sim_se, tab.q_exact_se)
    match = compare(tab.q_sim, tab.q_exact, se)
    verdicts = [
        Verdict(
            "The simulated Q_T matches the exact conditional form E[(1/pi) arctan(2 sqrt(a/B_T))] "
            "at every recorded generation of every schedule.",
            match.holds(),
            f"((schedule, T) cells: {match.text()}; the SE combines the simulation's binomial "
            "SE and the exact form's path-sampling SE)",
            kind="simulation",
            detectable=match.detectable,
            inputs=("q_sim",),
        )
    ]

    # Theory: both closed forms lie below 1/2 and do not increase (B_T and r_T grow with T).
    below = bool((tab.q_exact < 0.5).all() and (tab.q_plugin < 0.5).all())
    monotone = all(
        bool(np.all(np.diff(g.sort_values("t")[column].to_numpy()) <= 1e-12))
        for _, g in tab.groupby("schedule", sort=False)
        for column in ("q_exact", "q_plugin")
    )
    verdicts.append(
        Verdict(
            "The closed forms, exact conditional and plug-in (1/pi) arctan(2/sqrt(r_T)), put "
            "Q_T below 1/2 at every T >= 1 and non-increasing in T, for every schedule.",
            below and monotone,
            f"(largest exact Q_T {tab.q_exact.max():.4f}, largest plug-in "
            f"{tab.q_plugin.max():.4f}; non-increasing in T: {monotone}; both follow from "
            "arctan < pi/2 and B_T, r_T growing with T)",
            kind="theory",
        )
    )

    # Simulation: every simulated Q_T lies below 1/2 beyond its Monte Carlo error.
    z = threshold(len(tab))
    upper = tab.q_sim + z * tab.q_sim_se
    rise = min(_above(q, 0.5, s, z) for q, s in zip(tab.q_sim, tab.q_sim_se, strict=True))
    worst = int(np.argmax(upper.to_numpy()))
    resolution = _resolution(float(tab.q_sim_se.max()), 0.5, z)
    verdicts.append(
        Verdict(
            "Recursive training is less likely than not to beat the real-data fit: the "
            "simulated Q_T lies below 1/2 at every recorded T >= 1 for every schedule.",
            None if resolution > MAX_DETECTABLE else bool((upper < 0.5).all()),
            f"({int((upper < 0.5).sum())}/{len(tab)} cells below 1/2 by more than {z:.2g} SE; "
            f"closest: {tab.schedule.iloc[worst]} at T = {tab.t.iloc[worst]}, "
            f"{tab.q_sim.iloc[worst]:.3f} +- {tab.q_sim_se.iloc[worst]:.3f}; the SEs resolve "
            f"{resolution:.1%} of 1/2; it fails once a simulated Q_T is {rise:.0%} higher)",
            kind="simulation",
            detectable=rise,
            inputs=("q_sim",),
        )
    )

    # Simulation: under collapsing schedules Q_T falls from T = 1 to the last generation.
    collapsing = tab[tab.regime == "collapses"]
    ends = _ends(collapsing)
    fall = ordering(
        ends["first"] - ends["last"],
        ends.se_diff,
        ends.first_exact - ends.last_exact,
        ends.last_exact,
    )

    def raise_end(frame: pd.DataFrame, size: float) -> pd.DataFrame:
        # Raise each collapsing curve by size x (exact Q at its last generation), growing in
        # log T from nothing at T = 1: the fall shrinks by that much.
        rows = frame.regime == "collapses"
        last = frame[rows & (frame.t == frame["T"])].set_index("schedule").q_exact
        amount = size * frame.schedule.map(last).fillna(0.0)
        return _ramp(frame, rows, ["q_sim"], pd.Series(1.0, frame.index), frame["T"], amount)

    verdicts.append(
        Verdict(
            f"Under the collapsing schedules ({_names(collapsing.schedule)}: sum 1/n_t = inf) "
            "the simulated Q_T falls with T: at the last generation it lies below its value "
            "at T = 1 beyond the Monte Carlo error.",
            fall.holds() if len(ends) else None,
            f"({fall.text()}; "
            + "; ".join(
                f"{row.Index}: {row.first:.3f} at T = 1 -> {row.last:.3f} at T = {row.T} "
                f"(exact {row.first_exact:.3f} -> {row.last_exact:.3f})"
                for row in ends.itertuples()
            )
            + "; the SE of a difference is bounded by the root sum of squares)",
            kind="simulation",
            detectable=fall.detectable,
            inputs=("q_sim",),
            perturb=raise_end,
        )
    )

    # Approximation: under non-collapsing schedules Q_T settles at a positive limit.
    stable = tab[(tab.regime == "stable") & (tab.t == tab["T"])]
    at_limit = compare(stable.q_sim, stable.q_limit, stable.q_sim_se)
    rel = (stable.q_sim / stable.q_limit - 1).abs()
    verdicts.append(
        Verdict(
            f"Under the non-collapsing schedules ({_names(stable.schedule)}: sum 1/n_t < inf) "
            "the simulated Q_T at the last generation sits at the positive limit "
            "(1/pi) arctan(2/sqrt(r_inf)), r_inf = n0 sum 1/n_t: recursive training keeps a "
            "fixed chance of beating the real-data fit.",
            at_limit.holds() if len(stable) else None,
            f"({at_limit.text()}; largest relative discrepancy {rel.max():.1%}; "
            + ", ".join(
                f"{s}: {q:.3f} against {lim:.3f}"
                for s, q, lim in zip(stable.schedule, stable.q_sim, stable.q_limit, strict=True)
            )
            + ")",
            kind="approximation",
            detectable=at_limit.detectable,
            inputs=("q_sim",),
        )
    )

    # Theory: the plug-in underestimates the exact form under collapsing schedules.
    last = collapsing[collapsing.t == collapsing["T"]]
    gap = (last.q_exact - last.q_plugin) / last.q_exact_se
    z_gap = threshold(len(last))
    verdicts.append(
        Verdict(
            f"Under the collapsing schedules ({_names(collapsing.schedule)}) the plug-in form "
            "underestimates Q_T at the last generation: the exact conditional form lies above "
            "it (later steps shrink with the variance).",
            bool(len(last) > 0 and (gap > z_gap).all()),
            "("
            + "; ".join(
                f"{s}, T = {T}: exact {e:.4f} against plug-in {p:.4f} ({g:.0f} path-sampling SE)"
                for s, T, e, p, g in zip(
                    last.schedule, last["T"], last.q_exact, last.q_plugin, gap, strict=True
                )
            )
            + ")",
            kind="theory",
        )
    )
    return verdicts


def _ends(frame: pd.DataFrame) -> pd.DataFrame:
    """Per schedule: simulated and exact Q at the first recorded and at the last generation,
    and the (conservative) SE of the simulated difference."""
    out = {}
    for name, g in frame.groupby("schedule", sort=False):
        g = g.sort_values("t")
        first, last = g.iloc[0], g.iloc[-1]
        out[name] = {
            "first": float(first.q_sim),
            "last": float(last.q_sim),
            "se_diff": float(math.hypot(first.q_sim_se, last.q_sim_se)),
            "first_exact": float(first.q_exact),
            "last_exact": float(last.q_exact),
            "T": int(last["t"]),
        }
    return pd.DataFrame.from_dict(out, orient="index")


register(
    Experiment(
        "xu2025-win-probability",
        "Probability that recursive training beats the "
        "real-data fit: simulated, exact conditional and plug-in",
        PAPER,
        "Section on the win probability",
        10_000,
        2_000,
        _win_probability,
        judge=_judge_win_probability,
    )
)


# -- bias -------------------------------------------------------------------------------------

#: The change of E sigma2_t between t = T/2 and T that separates the regimes in xu2025-bias:
#: a fall by more than this fraction is a collapse, a rise by more an explosion, less is stable.
BAND = 0.1

_GROUPS = {
    "order n^-1": "Bias of order n^-1",
    "order n^-1/2": "Bias of order n^-1/2",
    "shrinkage": "Multiplicative shrinkage",
}


def _bias_cases(n0: int) -> list[dict]:
    """Each case: label, group, estimator options, schedule and shrinkage."""
    base, fast = Power(n0, 0.5), Power(n0, 2.0)

    def case(label: str, group: str, family: dict, schedule=base, shrinkage=None) -> dict:
        return {
            "label": label,
            "group": group,
            "family": family,
            "schedule": schedule,
            "shrinkage": shrinkage,
        }

    return [
        case("unbiased, t^1.5", "order n^-1", {}),
        case("MLE (bias -sigma2/n), t^1.5", "order n^-1", {"variance": "mle"}),
        case("bias -n^-1, t^1.5", "order n^-1", {"bias": (-1.0, 1.0)}),
        case("bias -n^-1/2, t^1.5", "order n^-1/2", {"bias": (-1.0, 0.5)}),
        case("bias +n^-1/2, t^1.5", "order n^-1/2", {"bias": (1.0, 0.5)}),
        case("bias -n^-1/2, t^3 (accelerated)", "order n^-1/2", {"bias": (-1.0, 0.5)}, fast),
        case("bias +n^-1/2, t^3 (accelerated)", "order n^-1/2", {"bias": (1.0, 0.5)}, fast),
        case("shrinkage 0.01, t^1.5", "shrinkage", {}, shrinkage=Shrinkage(0.01)),
        case("shrinkage 0.5/t, t^1.5", "shrinkage", {}, shrinkage=Shrinkage(0.5, 1.0)),
        case("shrinkage 0.5 t^-1.5, t^1.5", "shrinkage", {}, shrinkage=Shrinkage(0.5, 1.5)),
    ]


def _theory_label(case: dict) -> str:
    """``theory.collapse_verdict`` for the case's bias, and collapse where sum delta_t = inf."""
    beta, gamma = case["family"].get("bias", (0.0, 1.0))
    variance = case["family"].get("variance", "unbiased")
    label = theory.collapse_verdict(case["schedule"], gamma, beta=beta, variance=variance)
    shrink = case["shrinkage"]
    if shrink is not None and shrink.delta > 0 and shrink.p <= 1:
        label = "collapses"  # E sigma2_T = prod (1 - delta_t) -> 0
    return label


def _bias(ctx: Context) -> Outcome:
    n0, eps = 100, 0.05
    horizon = 200 if ctx.quick else 1000
    r = ctx.replications
    cases = _bias_cases(n0)
    record = np.unique(np.concatenate([[0], np.geomspace(1, horizon, 40).round()])).astype(int)
    t_half = int(record[np.searchsorted(record, horizon // 2)])
    ctx.note(
        n0=n0,
        eps=eps,
        generations=horizon,
        window=[t_half, horizon],
        engine="exact",
        cases={
            c["label"]: {
                "estimator": {k: str(v) for k, v in c["family"].items()},
                "schedule": str(c["schedule"]),
                "shrinkage": None if c["shrinkage"] is None else str(c["shrinkage"]),
            }
            for c in cases
        },
    )
    fig, axes = new_figure(3, width=5.0, height=5.2)
    rows, key_rows = [], []
    for i, case in enumerate(ctx.track(cases)):
        ctx.progress(f"simulate {case['label']}")
        family = Gaussian(**case["family"])
        sizes = case["schedule"].sizes(horizon)
        chain = {"bias": family.bias, "shrinkage": case["shrinkage"]}
        res = simulate(
            family,
            n0=n0,
            schedule=case["schedule"],
            generations=horizon,
            replications=r,
            seed=ctx.child_seed(i),
            record=record,
            eps=eps,
            shrinkage=case["shrinkage"],
            metrics=["sigma2", "collapsed"],
        )
        s2 = res.values("sigma2")
        mean, var = theory.gaussian_variance_moments(n0, sizes, family.variance, **chain)
        e_log, v_log = theory.gaussian_log_variance_moments(n0, sizes, family.variance, **chain)
        prob = theory.collapse_probability(
            n0, sizes, eps, family.variance, generations=record, **chain
        )
        collapsed = res.values("collapsed").mean(axis=0)
        label = _theory_label(case)
        frame = pd.DataFrame(
            {
                "case": case["label"],
                "group": case["group"],
                "theory": label,
                "n0": n0,
                "eps": eps,
                "T": horizon,
                "t_half": t_half,
                "replications": r,
                "t": record,
                "mean_sigma2_sim": s2.mean(axis=0),
                "mean_sigma2_exact": mean[record],
                "mean_sigma2_se": np.sqrt(var[record] / r),
                "mean_log_sigma2_sim": np.log(s2).mean(axis=0),
                "mean_log_sigma2_exact": e_log[record],
                "mean_log_sigma2_se": np.sqrt(v_log[record] / r),
                "median_sigma2": np.median(s2, axis=0),
                "collapsed_sim": collapsed,
                "collapsed_exact": prob,
                "collapsed_se": binomial_se(prob, r),
            }
        )
        rows.append(frame)
        ax = axes[1] if case["group"] == "shrinkage" else axes[0]
        line = plot_band(ax, record[1:], frame.mean_sigma2_sim[1:], frame.mean_sigma2_se[1:], "_")
        line.set_label(f"{case['label']} [{label}]")
        plot_theory(ax, np.arange(1, horizon + 1), mean[1:], "_", color=line.get_color())
        if prob[-1] > 1e-3:
            axes[2].plot(
                record[1:],
                collapsed[1:],
                marker="o",
                markersize=2.5,
                linewidth=0.8,
                color=line.get_color(),
                label=case["label"],
            )
            plot_theory(axes[2], record[1:], prob[1:], "_", color=line.get_color())
        h = int(np.searchsorted(record, t_half))
        key_rows.append(
            {
                "case": case["label"],
                "theory": label,
                "E sigma2_T sim": frame.mean_sigma2_sim.iloc[-1],
                "E sigma2_T exact": mean[-1],
                f"ratio T/{t_half} sim": frame.mean_sigma2_sim.iloc[-1]
                / frame.mean_sigma2_sim.iloc[h],
                f"ratio T/{t_half} exact": mean[-1] / mean[t_half],
                "median sigma2_T": frame.median_sigma2.iloc[-1],
                "P(collapse) sim": collapsed[-1],
                "P(collapse) exact": prob[-1],
            }
        )
    for ax, title in zip(
        axes[:2], ("Biased estimators", "Shrinkage (unbiased estimator)"), strict=True
    ):
        ax.axvspan(t_half, horizon, color="grey", alpha=0.12, linewidth=0, label="test window")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="generation t",
            ylabel="E sigma2_t (variance units)",
            title=f"{title} (n0 = {n0})\nR = {r:,}, T = {horizon}; points: sim., dashed: exact",
        )
        low, high = ax.get_ylim()
        # 1, 2, 3, 5 per decade over a narrow range; powers of ten alone over a wide one
        subs = (1.0, 2.0, 3.0, 5.0) if high / low < 100 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    axes[2].set(
        xscale="log",
        xlabel="generation t",
        ylabel=f"P(sigma2_t <= {eps}) (probability)",
        title=f"Collapse probability (cases above 0.001\n"
        f"at T = {horizon}); points: sim., dashed: exact",
    )
    axes[2].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1)
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    notes = [
        "bias (beta, gamma) multiplies each variance estimate by 1 + beta n^-gamma, a bias "
        "of beta sigma2 n^-gamma relative to the unbiased estimator; shrinkage multiplies "
        "generation t's estimate by 1 - delta_t (e.g. low-temperature sampling). The label "
        "in brackets is theory.collapse_verdict's (shrinkage: collapse iff sum delta_t = inf).",
        "Paper 1's exact statement of the biased condition is not known to us; these are "
        "the conditions sum n_t^-gamma < inf and sum delta_t < inf for the model above, and "
        "the sign of the bias's drift where the sum diverges.",
        f"The regimes are read from the simulated E sigma2_t over the second half of the run: "
        f"E sigma2_T / E sigma2_{t_half} below {1 - BAND:g} (collapses), above {1 + BAND:g} "
        f"(explodes) or between (stable), each beyond its Monte Carlo error. The SE of the "
        f"ratio is exact: sigma2_T = sigma2_{t_half} M with M independent of sigma2_{t_half}, "
        "so Var(ratio) = ratio^2 (CV_T^2 - CV_h^2) / R.",
    ]
    return Outcome(table, {"bias": fig}, key, notes=notes)


def _window_ratios(table: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Per case: the simulated ratio E sigma2_T / E sigma2_h over the test window, its exact
    value and standard error, and the case's theory label."""
    out = {}
    for name, g in cases.groupby("case", sort=False):
        h_row = g[g.t == g.t_half].iloc[0]
        t_row = g[g.t == g["T"]].iloc[0]
        exact = t_row.mean_sigma2_exact / h_row.mean_sigma2_exact
        cv2 = (t_row.mean_sigma2_se / t_row.mean_sigma2_exact) ** 2 - (
            h_row.mean_sigma2_se / h_row.mean_sigma2_exact
        ) ** 2
        out[name] = {
            "ratio": t_row.mean_sigma2_sim / h_row.mean_sigma2_sim,
            "exact": exact,
            "se": exact * math.sqrt(max(cv2, 0.0)),
            "theory": t_row.theory,
            "h": int(h_row.t),
            "T": int(t_row.t),
        }
    return pd.DataFrame.from_dict(
        out, orient="index", columns=["ratio", "exact", "se", "theory", "h", "T"]
    )


def _regime_verdict(table: pd.DataFrame, group: str, claim: str) -> Verdict:
    """The simulated regime of every case of ``group`` against its theory label."""
    ratios = _window_ratios(table, table[table.group == group])
    z = threshold(len(ratios))
    lo, hi = 1 - BAND, 1 + BAND
    ok, detect = [], []
    for row in ratios.itertuples():
        if row.theory == "collapses":
            ok.append(row.ratio < lo - z * row.se)
            detect.append(_above(row.ratio, lo, row.se, z))
        elif row.theory == "explodes":
            ok.append(row.ratio > hi + z * row.se)
            detect.append(_below(row.ratio, hi, row.se, z))
        elif row.theory == "stable":
            ok.append(lo + z * row.se < row.ratio < hi - z * row.se)
            detect.append(_below(row.ratio, lo, row.se, z))
        else:  # "unknown": no regime to test
            ok.append(False)
            detect.append(math.inf)
    detectable = min(detect, default=math.inf)
    resolution = max((_resolution(se, 1.0, z) for se in ratios.se), default=math.inf)
    directions = {
        name: (1.0 if lab == "collapses" else -1.0) for name, lab in ratios.theory.items()
    }

    def tilt(frame: pd.DataFrame, size: float) -> pd.DataFrame:
        out = frame
        for name, sign in directions.items():
            rows = (out.case == name) & (out.group == group)
            out = _tilt(out, rows, "mean_sigma2_sim", out.t_half, out["T"], (1 + size) ** sign)
        return out

    evidence = "; ".join(
        f"{row.Index} [{row.theory}]: {row.ratio:.3f} +- {row.se:.3f} "
        f"(exact {row.exact:.3f}, z = {(row.ratio - row.exact) / row.se if row.se > 0 else 0:.1f})"
        for row in ratios.itertuples()
    )
    h, T = int(ratios.h.iloc[0]), int(ratios["T"].iloc[0])
    return Verdict(
        claim.format(h=h, T=T, lo=lo, hi=hi),
        None if resolution > MAX_DETECTABLE else bool(all(ok)) and len(ok) > 0,
        f"(E sigma2_{T} / E sigma2_{h} simulated, beyond {z:.2g} SE of the band: {evidence}; "
        f"the SEs resolve {resolution:.2%} of the ratio; it fails once a simulated "
        f"E sigma2_{T} moves {detectable:.0%} toward the band's edge)",
        kind="approximation",
        detectable=detectable,
        inputs=("mean_sigma2_sim",),
        perturb=tilt,
    )


def _judge_bias(table: pd.DataFrame) -> list[Verdict]:
    tab = table
    verdicts = []
    for column, what in (
        ("mean_sigma2", "E sigma2_t"),
        ("mean_log_sigma2", "E log sigma2_t"),
        ("collapsed", "P(sigma2_t <= eps)"),
    ):
        c = compare(tab[f"{column}_sim"], tab[f"{column}_exact"], tab[f"{column}_se"])
        verdicts.append(
            Verdict(
                f"The simulated {what} matches its exact value at every recorded generation, "
                "for every biased estimator and shrinkage.",
                c.holds(),
                f"((case, t) cells: {c.text()})",
                kind="simulation",
                detectable=c.detectable,
                inputs=(f"{column}_sim",),
            )
        )
    window = "between t = {h} and T = {T}"
    verdicts += [
        _regime_verdict(
            tab,
            "order n^-1",
            "Bias of order n^-1 (the Gaussian MLE, bias -sigma2/n, and a bias -n^-1) leaves "
            "the t^1.5 schedule stable, like the unbiased estimator: the simulated E sigma2_t "
            f"changes by less than {BAND:.0%} {window}.",
        ),
        _regime_verdict(
            tab,
            "order n^-1/2",
            "Bias of order n^-1/2 needs accelerated growth: under t^1.5 (sum n_t^-1/2 "
            f"diverges) the simulated E sigma2_t falls by more than {BAND:.0%} {window} with a "
            "negative bias (collapse) and rises by more than that with a positive one "
            "(explosion); under t^3 = t^((1+s)/gamma) it changes by less than "
            f"{BAND:.0%}, with either sign.",
        ),
        _regime_verdict(
            tab,
            "shrinkage",
            "Multiplicative shrinkage collapses iff sum delta_t diverges: under t^1.5 the "
            f"simulated E sigma2_t falls by more than {BAND:.0%} {window} for constant (0.01) "
            f"and 0.5/t shrinkage, and changes by less than {BAND:.0%} for 0.5 t^-1.5.",
        ),
    ]
    return verdicts


register(
    Experiment(
        "xu2025-bias",
        "Biased estimators and shrinkage: bias of order n^-gamma "
        "needs sum n_t^-gamma < infinity; shrinkage needs sum delta_t < infinity",
        PAPER,
        "Section on estimation bias",
        10_000,
        1_000,
        _bias,
        judge=_judge_bias,
    )
)


# -- general parametric families ---------------------------------------------------------------

#: The limit of the inflation 1 + r_T under the schedule n0 t^2: 1 + zeta(2).
POWER_BOUND = 1 + math.pi**2 / 6


def _general_cases(quick: bool) -> list[dict]:
    from ..families import ScipyFamily, make_family

    exact_t = 20 if quick else 50
    return [
        {
            "name": "exponential (rate)",
            "family": make_family("exponential", rate=1.0),
            "n0": 10_000,
            "T": exact_t,
            "engine": "exact",
        },
        {
            "name": "Poisson",
            "family": make_family("poisson", lam=2.0),
            "n0": 10_000,
            "T": exact_t,
            "engine": "exact",
        },
        {
            "name": "Bernoulli",
            "family": make_family("bernoulli", p=0.3),
            "n0": 10_000,
            "T": exact_t,
            "engine": "exact",
        },
        {
            "name": "categorical (K = 3)",
            "family": make_family("categorical", p=[0.5, 0.3, 0.2]),
            "n0": 10_000,
            "T": exact_t,
            "engine": "exact",
        },
        {
            "name": "multivariate Gaussian (d = 2)",
            "family": make_family("gaussian", dim=2),
            "n0": 10_000,
            "T": exact_t,
            "engine": "exact",
        },
        {
            "name": "Gamma (shape, rate; MLE)",
            "family": make_family("gamma", shape=2.0, rate=1.0),
            # The sample engine's cost grows with the sizes (n0 t^2 under the power schedule).
            "n0": 500 if quick else 1_000,
            "T": 4 if quick else 8,
            "engine": "sample",
            "max_replications": 300 if quick else 1_000,
        },
        # Two laws with no built-in family, through ScipyFamily: batched Newton fits of the
        # scipy.stats log-density, which store every point, so their cost grows with the
        # sizes (n0 t^2) and with R; loc is scipy's default 0, fixed.
        {
            "name": "Weibull (shape, scale; ScipyFamily)",
            "family": ScipyFamily("weibull_min", c=1.5, scale=1.0),
            "n0": 100 if quick else 300,
            "T": 2 if quick else 4,
            "engine": "sample",
            "max_replications": 600 if quick else 1_000,
        },
        {
            "name": "log-normal (s, scale; ScipyFamily)",
            "family": ScipyFamily("lognorm", s=0.5, scale=1.0),
            "n0": 100 if quick else 300,
            "T": 2 if quick else 4,
            "engine": "sample",
            "max_replications": 600 if quick else 1_000,
        },
    ]


def _general_family(ctx: Context) -> Outcome:
    cases = _general_cases(ctx.quick)
    schedules = {"constant n0": lambda n0: Constant(n0), "power n0 t^2": lambda n0: Power(n0, 1.0)}
    ctx.note(
        cases={
            c["name"]: {"n0": c["n0"], "generations": c["T"], "engine": c["engine"]} for c in cases
        },
        schedules=list(schedules),
    )
    # Top row: the exact engine's long runs; bottom row: the sample engine's short ones, on
    # their own scale. One colour per family in both panels (grey is left to the limit line).
    fig = Figure(figsize=(10.4, 10.4), layout="constrained")
    grid = fig.subplots(2, 2, squeeze=False)
    colours = [f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]
    rows, key_rows = [], []
    key_index = 0
    for c_index, case in enumerate(ctx.track(cases)):
        axes = grid[0] if case["engine"] == "exact" else grid[1]
        family = case["family"]
        truth = family.broadcast(family.truth(), 1)
        v_star = np.asarray(family.asymptotic_covariance(truth))[0]
        precision = np.linalg.pinv(v_star, hermitian=True)
        rank = int(np.linalg.matrix_rank(v_star))
        theta_star = family.flatten(truth)[0]
        r = min(ctx.replications, case.get("max_replications", ctx.replications))
        for s_index, (s_name, make) in enumerate(schedules.items()):
            schedule = make(case["n0"])
            T = case["T"]
            ctx.progress(f"simulate {case['name']}, {s_name}, T = {T} ({case['engine']})")
            res = simulate(
                family,
                n0=case["n0"],
                schedule=schedule,
                generations=T,
                replications=r,
                seed=ctx.child_seed(key_index),
                engine=case["engine"],
                record="all",
                metrics=[],
            )
            key_index += 1
            diff = res.flat_params - theta_star
            # Squared error in the V*^-1 metric, scaled so that generation 0 predicts 1.
            dist = np.einsum("rgi,ij,rgj->rg", diff, precision, diff) * case["n0"] / rank
            predicted = theory.risk_inflation(case["n0"], schedule.sizes(T))
            # Per replication, the rise since t = T/2 (its SE accounts for the correlation).
            rise = dist - dist[:, [T // 2]]
            frame = pd.DataFrame(
                {
                    "family": case["name"],
                    "schedule": s_name,
                    "regime": theory.collapse_verdict(schedule),
                    "n0": case["n0"],
                    "T": T,
                    "replications": r,
                    "engine": case["engine"],
                    "rank": rank,
                    "t": np.arange(T + 1),
                    "inflation_sim": dist.mean(axis=0),
                    "inflation_se": dist.std(axis=0, ddof=1) / math.sqrt(r),
                    "inflation_theory": predicted,
                    "rise_sim": rise.mean(axis=0),
                    "rise_se": rise.std(axis=0, ddof=1) / math.sqrt(r),
                }
            )
            rows.append(frame)
            label = case["name"]
            if case["engine"] != "exact":
                label += f"\n(n0 = {case['n0']:,}, T = {T}, R = {r:,})"
            line = plot_band(
                axes[s_index],
                frame.t,
                frame.inflation_sim,
                frame.inflation_se,
                label,
                color=colours[c_index % len(colours)],
            )
            line.set_markersize(2.5)
            key_rows.append(
                {
                    "family": case["name"],
                    "schedule": s_name,
                    "n0": case["n0"],
                    "T": T,
                    "engine": case["engine"],
                    "replications": r,
                    "1 + r_T (theory)": predicted[-1],
                    "inflation (sim)": frame.inflation_sim.iloc[-1],
                    "SE": frame.inflation_se.iloc[-1],
                }
            )
    main = next(c for c in cases if c["engine"] == "exact")
    headings = {
        0: f"exact engine: n0 = {main['n0']:,}, T = {main['T']}, R = {ctx.replications:,}",
        1: "sample engine (every point drawn and refitted; n0, T, R: legend)",
    }
    for row, axes in enumerate(grid):
        engines = [c for c in cases if (c["engine"] == "exact") == (row == 0)]
        if not engines:
            continue
        longest = max(c["T"] for c in engines)
        for ax, (s_name, make) in zip(axes, schedules.items(), strict=True):
            plot_theory(
                ax,
                np.arange(longest + 1),
                theory.risk_inflation(10_000, make(10_000).sizes(longest)),
                "1 + r_t (theory)",
            )
            if s_name.startswith("power"):
                ax.axhline(POWER_BOUND, color="grey", linewidth=0.8, label="1 + pi^2/6 (limit)")
            ax.set(
                xlabel="generation t",
                ylabel="risk inflation (ratio to generation 0)",
                title=f"Risk inflation, {s_name}\n{headings[row]}",
            )
            ax.title.set_fontsize(10)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            where = "upper left" if s_name.startswith("constant") else "lower right"
            ax.legend(fontsize=7, loc=where)
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    constant = key[key.schedule == "constant n0"]
    gamma = next(c for c in cases if c["name"].startswith("Gamma"))
    scipy_case = next(c for c in cases if "ScipyFamily" in c["name"])
    notes = [
        "Risk inflation: n0 E|theta_t - theta*|^2 measured in the metric of the inverse "
        "asymptotic covariance V* (pseudo-inverse for the categorical family, whose "
        "probabilities sum to one) and divided by its rank d, so every family's generation 0 "
        "predicts 1. The band is 95% (1.96 SE).",
        "n0 is large (10^4 for the families run with the exact engine; "
        f"{gamma['n0']:,} for the Gamma family, which needs the sample engine) because the "
        "prediction is asymptotic: the O(T/n0) bias of the MLEs is then small against the "
        "Monte Carlo error.",
        "The Weibull and log-normal laws have no built-in family: they run through "
        "ScipyFamily (scipy.stats weibull_min with c = 1.5, lognorm with s = 0.5, scale 1 and "
        "loc fixed at 0), whose V* is the inverse of a Fisher information computed by "
        "quadrature and whose fits are batched Newton steps on the scipy log-density. They "
        "store and refit every point, so their cost grows with R n0 sum_t t^2 and they run at "
        f"n0 = {scipy_case['n0']:,}, T = {scipy_case['T']}; at that n0 the Weibull shape MLE "
        "has a finite-sample variance some per cent above V*/n, which shows as a small excess "
        "over 1 + r_T.",
        "Simulated over predicted inflation at T under the constant schedule (finite-n0 "
        "departures from the asymptotic theory show here first): "
        + ", ".join(
            f"{f}: {s:.3f}"
            for f, s in zip(
                constant.family,
                constant["inflation (sim)"] / constant["1 + r_T (theory)"],
                strict=True,
            )
        )
        + ". For the Gamma family the finite-sample variance of the shape MLE exceeds V*/n by "
        "a few per cent at n of a few hundred to a thousand (an O(1/n) term with a large "
        "constant, as the shape and rate estimates are nearly collinear), so its recursion "
        "runs somewhat above 1 + r_T; the asymptotic engine, which has no such term, follows "
        "1 + r_T.",
        "The rise between t = T/2 and T is averaged per replication, so its SE accounts for the "
        "correlation between the two generations.",
    ]
    return Outcome(table, {"general_family": fig}, key, notes=notes)


def _judge_general_family(table: pd.DataFrame) -> list[Verdict]:
    tab = table
    fit = compare(tab.inflation_sim, tab.inflation_theory, tab.inflation_se)
    rel = (tab.inflation_sim / tab.inflation_theory - 1).abs()
    worst = int(np.argmax(fit.z)) if len(tab) else 0
    verdicts = [
        Verdict(
            "For every family the error is inflated by 1 + r_t, r_t = n0 sum_{s<=t} 1/n_s, "
            "relative to the real-data fit (asymptotic normality), at every generation of both "
            "schedules.",
            fit.holds(),
            f"((family, schedule, t) cells: {fit.text()}, at {tab.family.iloc[worst]}, "
            f"{tab.schedule.iloc[worst]}, t = {tab.t.iloc[worst]}; largest relative "
            f"discrepancy {rel.max():.1%}; d = rank of V*)",
            kind="approximation",
            detectable=fit.detectable,
            inputs=("inflation_sim",),
        )
    ]

    # The dichotomy: still rising under the constant schedule, bounded under n0 t^2.
    constant = tab[tab.regime == "collapses"]
    power = tab[tab.regime == "stable"]
    rises = {}
    for name, g in constant.groupby("family", sort=False):
        T = int(g["T"].iloc[0])
        half, last = g[g.t == T // 2].iloc[0], g[g.t == T].iloc[0]
        rises[name] = {
            "from": float(half.inflation_sim),
            "to": float(last.inflation_sim),
            "rise": float(last.rise_sim),
            "se": float(last.rise_se),
            "predicted": float(last.inflation_theory - half.inflation_theory),
            "level": float(last.inflation_theory),
        }
    rises = pd.DataFrame.from_dict(rises, orient="index")
    rising = ordering(
        rises.get("rise", []),
        rises.get("se", []),
        rises.get("predicted", []),
        rises.get("level", []),
    )
    z_bound = threshold(len(power))
    bound_ok = power.inflation_sim <= POWER_BOUND + z_bound * power.inflation_se
    d_bound = min(
        (
            max((POWER_BOUND + (z_bound + 2) * s) / x - 1, 1e-9)
            for x, s in zip(power.inflation_sim, power.inflation_se, strict=True)
        ),
        default=math.inf,
    )
    detectable = min(rising.detectable, d_bound)
    resolution = max(
        (_resolution(s, POWER_BOUND, z_bound) for s in power.inflation_se), default=math.inf
    )
    informative = rising.informative and resolution <= MAX_DETECTABLE

    def flatten_and_raise(frame: pd.DataFrame, size: float) -> pd.DataFrame:
        # Lower each constant-schedule curve after T/2 by up to size x (1 + r_T) at T (the
        # rise since T/2 with it), and scale the n0 t^2 curves up by 1 + size.
        rows = frame.regime == "collapses"
        last = frame[rows & (frame.t == frame["T"])].set_index("family").inflation_theory
        amount = -size * frame.family.map(last).fillna(0.0)
        out = _ramp(
            frame, rows, ["inflation_sim", "rise_sim"], frame["T"] // 2, frame["T"], amount, False
        )
        up = out.regime == "stable"
        out.loc[up, "inflation_sim"] = out.loc[up, "inflation_sim"] * (1 + size)
        return out

    top = int(np.argmax((power.inflation_sim - POWER_BOUND) / power.inflation_se))
    verdicts.append(
        Verdict(
            "The collapse dichotomy is the same for every family: under the constant schedule "
            "the inflation keeps rising over the second half of the run (t = T/2 to T), "
            "while under n0 t^2 it stays below its limit 1 + pi^2/6 (within Monte Carlo "
            "error) at every generation.",
            bool(rising.agree and bound_ok.all() and len(rises) and len(power))
            if informative
            else None,
            f"(constant, rise from T/2 to T: {rising.text()}; "
            + ", ".join(
                f"{k}: {r['from']:.2f} -> {r['to']:.2f} (predicted rise {r['predicted']:.3g})"
                for k, r in rises.iterrows()
            )
            + f"; n0 t^2: {int(bound_ok.sum())}/{len(power)} cells at most {z_bound:.2g} SE "
            f"above {POWER_BOUND:.3f}, highest {power.inflation_sim.iloc[top]:.3f} +- "
            f"{power.inflation_se.iloc[top]:.3f} ({power.family.iloc[top]}, "
            f"t = {power.t.iloc[top]}); the SEs resolve {resolution:.1%} of the bound)",
            kind="approximation",
            detectable=detectable,
            inputs=("inflation_sim", "rise_sim"),
            perturb=flatten_and_raise,
        )
    )
    return verdicts


register(
    Experiment(
        "xu2025-general-family",
        "General parametric families: the 1 + r_T risk "
        "inflation and the collapse dichotomy for exponential, Poisson, Bernoulli, "
        "categorical, Gamma and multivariate Gaussian models, and Weibull and log-normal laws "
        "through ScipyFamily",
        PAPER,
        "Section on general families",
        10_000,
        1_000,
        _general_family,
        judge=_judge_general_family,
    )
)
