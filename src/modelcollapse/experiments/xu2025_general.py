"""Paper 1 (Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"): the win
probability, biased estimators and shrinkage, and general parametric families.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import theory
from ..engine import simulate
from ..families import Gaussian
from ..plots import new_figure, plot_band, plot_theory
from ..schedules import Constant, Power, Shrinkage
from .registry import Context, Experiment, Outcome, Verdict, register
from .xu2025 import (
    PAPER,
    _binomial_se,
    _count,
    _horizon,
    _paper_schedules,
    _within,
)

# -- win probability ----------------------------------------------------------------------------


def _win_probability(ctx: Context) -> Outcome:
    n0 = 100
    horizon = 100 if ctx.quick else 300
    r = ctx.replications
    schedules = {k: v for k, v in _paper_schedules(n0).items() if k != "t^1.1"}
    paths = max(100_000, r)
    ctx.note(
        n0=n0,
        generations=horizon,
        exact_paths=paths,
        schedules={k: str(v) for k, v in schedules.items()},
    )
    fig, axes = new_figure(2)
    rows, key_rows, exact_curves = [], [], []
    for i, (name, schedule) in enumerate(schedules.items()):
        T = _horizon(schedule, horizon)
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
        exact_curves.append(exact)
        t = record[1:]
        frame = pd.DataFrame(
            {
                "schedule": name,
                "t": t,
                "q_sim": sim,
                "q_sim_se": _binomial_se(sim, r),
                "q_exact": exact[t],
                "q_exact_se": exact_se[t],
                "q_plugin": plug[t],
            }
        )
        rows.append(frame)
        ax = axes[0] if theory.collapse_verdict(schedule) == "collapses" else axes[1]
        line = plot_band(ax, t, sim, frame.q_sim_se, f"{name}, simulated")
        plot_theory(ax, np.arange(1, T + 1), exact[1:], "_", color=line.get_color())
        ax.plot(np.arange(1, T + 1), plug[1:], color=line.get_color(), linestyle=":", linewidth=1.2)
        limit = theory.harmonic_limit(schedule)
        q_limit = (
            math.atan(2 / math.sqrt(n0 * limit)) / math.pi
            if limit is not None and math.isfinite(limit)
            else 0.0
        )
        key_rows.append(
            {
                "schedule": name,
                "T": T,
                "Q_T sim": sim[-1],
                "SE": frame.q_sim_se.iloc[-1],
                "Q_T exact": exact[T],
                "Q_T plug-in": plug[T],
                "plug-in limit T -> inf": q_limit,
            }
        )
    for ax, title in zip(axes, ("Collapsing schedules", "Non-collapsing schedules"), strict=True):
        ax.axhline(0.5, color="grey", linewidth=0.8)
        ax.set(
            xscale="log",
            xlabel="generation T",
            ylabel="Q_T = P(|theta_T - theta*| < |theta_0 - theta*|) (probability)",
            ylim=(0, 0.52),
            title=f"{title}\npoints: simulated; dashed: exact; dotted: plug-in",
        )
        ax.legend(fontsize=7)
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    se = np.hypot(table.q_sim_se, table.q_exact_se)
    ok = _within(table.q_sim, table.q_exact, se)
    decreasing = all(np.all(np.diff(q[1:]) <= 0) for q in exact_curves)
    stable = key[key["plug-in limit T -> inf"] > 0]
    verdicts = [
        Verdict(
            "The simulated win probability matches the exact conditional formula "
            "E[(1/pi) arctan(2 sqrt(a/B_T))].",
            bool(ok.all()),
            f"((schedule, T) cells: {_count(ok)})",
        ),
        Verdict(
            "Recursive training is less likely than not to beat the real-data fit: "
            "Q_T < 1/2 for every schedule and T >= 1, and Q_T decreases in T.",
            bool((table.q_exact < 0.5).all() and (table.q_sim < 0.5).all() and decreasing),
            f"(largest simulated Q_T: {table.q_sim.max():.3f})",
        ),
        Verdict(
            "Under superlinear or exponential growth Q_T approaches a positive limit "
            "(1/pi) arctan(2/sqrt(r_inf)); under collapsing schedules it decays to 0.",
            bool(
                np.allclose(stable["Q_T plug-in"], stable["plug-in limit T -> inf"], atol=0.02)
                and key.loc[key.schedule == "constant", "Q_T exact"].iloc[0] < 0.1
            ),
            "("
            + ", ".join(
                f"{s}: {q:.3f} -> {lim:.3f}"
                for s, q, lim in zip(
                    stable.schedule,
                    stable["Q_T plug-in"],
                    stable["plug-in limit T -> inf"],
                    strict=True,
                )
            )
            + ")",
        ),
        Verdict(
            "Under collapsing schedules the plug-in form underestimates Q_T (later steps "
            "shrink with the variance).",
            bool(
                key.loc[key.schedule == "constant", "Q_T exact"].iloc[0]
                > key.loc[key.schedule == "constant", "Q_T plug-in"].iloc[0]
            ),
            f"(constant, T = {horizon}: exact "
            f"{key.loc[key.schedule == 'constant', 'Q_T exact'].iloc[0]:.4f} against "
            f"plug-in {key.loc[key.schedule == 'constant', 'Q_T plug-in'].iloc[0]:.4f})",
        ),
    ]
    notes = [
        "theta is the Gaussian mean; theta_0 is the fit to the n0 = 100 real points. The "
        f"exact conditional form averages over {paths:,} simulated variance paths (its "
        "standard error is included in the comparison)."
    ]
    return Outcome(table, {"win_probability": fig}, key, verdicts, notes)


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
    )
)


# -- bias -------------------------------------------------------------------------------------


def _bias_cases(n0: int) -> list[dict]:
    """(label, estimator options, schedule, shrinkage, bias order for the verdict)."""
    base = Power(n0, 0.5)
    return [
        {"label": "unbiased, t^1.5", "family": {}, "schedule": base, "shrinkage": None},
        {
            "label": "MLE (bias -sigma2/n), t^1.5",
            "family": {"variance": "mle"},
            "schedule": base,
            "shrinkage": None,
        },
        {
            "label": "bias -n^-1, t^1.5",
            "family": {"bias": (-1.0, 1.0)},
            "schedule": base,
            "shrinkage": None,
        },
        {
            "label": "bias -n^-1/2, t^1.5",
            "family": {"bias": (-1.0, 0.5)},
            "schedule": base,
            "shrinkage": None,
        },
        {
            "label": "bias -n^-1/2, t^3 (accelerated)",
            "family": {"bias": (-1.0, 0.5)},
            "schedule": Power(n0, 2.0),
            "shrinkage": None,
        },
        {
            "label": "shrinkage 0.01, t^1.5",
            "family": {},
            "schedule": base,
            "shrinkage": Shrinkage(0.01),
        },
        {
            "label": "shrinkage 0.5/t, t^1.5",
            "family": {},
            "schedule": base,
            "shrinkage": Shrinkage(0.5, 1.0),
        },
        {
            "label": "shrinkage 0.5 t^-1.5, t^1.5",
            "family": {},
            "schedule": base,
            "shrinkage": Shrinkage(0.5, 1.5),
        },
    ]


def _theory_verdict(case: dict) -> str:
    bias = case["family"].get("bias")
    gamma = 1.0 if bias is None else bias[1]
    verdict = theory.collapse_verdict(case["schedule"], gamma)
    shrink = case["shrinkage"]
    if shrink is not None and shrink.delta > 0 and shrink.p <= 1:
        verdict = "collapses"  # sum delta_t diverges
    return verdict


def _bias(ctx: Context) -> Outcome:
    n0, eps = 100, 0.05
    horizon = 200 if ctx.quick else 1000
    r = ctx.replications
    cases = _bias_cases(n0)
    ctx.note(
        n0=n0,
        eps=eps,
        generations=horizon,
        engine="exact",
        cases={
            c["label"]: {
                "estimator": {k: str(v) for k, v in c["family"].items()},
                "schedule": str(c["schedule"]),
                "shrinkage": str(c["shrinkage"]),
            }
            for c in cases
        },
    )
    record = np.unique(np.concatenate([[0], np.geomspace(1, horizon, 40).round()])).astype(int)
    half = int(np.searchsorted(record, horizon // 2))
    fig, axes = new_figure(2)
    rows, key_rows = [], []
    for i, case in enumerate(cases):
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
        frame = pd.DataFrame(
            {
                "case": case["label"],
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
                "collapsed_se": _binomial_se(prob, r),
            }
        )
        rows.append(frame)
        line = plot_band(
            axes[0], record[1:], frame.mean_sigma2_sim[1:], frame.mean_sigma2_se[1:], case["label"]
        )
        plot_theory(axes[0], np.arange(1, horizon + 1), mean[1:], "_", color=line.get_color())
        axes[1].plot(
            record[1:],
            collapsed[1:],
            marker="o",
            markersize=2.5,
            linewidth=0.8,
            color=line.get_color(),
            label=case["label"],
        )
        plot_theory(axes[1], record[1:], prob[1:], "_", color=line.get_color())
        ratio = mean[-1] / mean[record[half]]
        key_rows.append(
            {
                "case": case["label"],
                "theory": _theory_verdict(case),
                "E sigma2_T sim": frame.mean_sigma2_sim.iloc[-1],
                "E sigma2_T exact": mean[-1],
                f"E sigma2_T / E sigma2_{record[half]} (exact)": ratio,
                "median sigma2_T": frame.median_sigma2.iloc[-1],
                "P(collapse) sim": collapsed[-1],
                "P(collapse) exact": prob[-1],
            }
        )
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="generation t",
        ylabel="E sigma2_t (variance units)",
        title="Mean variance (points: simulated, dashed: exact)",
    )
    axes[1].set(
        xscale="log",
        xlabel="generation t",
        ylabel=f"P(sigma2_t <= {eps}) (probability)",
        title="Collapse probability (dashed: exact)",
    )
    for ax in axes:
        ax.legend(fontsize=6)
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    ratio_col = key.columns[4]
    falls = key[ratio_col] < 0.9
    predicted = key.theory == "collapses"
    ok_mean = _within(table.mean_sigma2_sim, table.mean_sigma2_exact, table.mean_sigma2_se)
    ok_log = _within(
        table.mean_log_sigma2_sim, table.mean_log_sigma2_exact, table.mean_log_sigma2_se
    )
    ok_p = _within(table.collapsed_sim, table.collapsed_exact, table.collapsed_se)

    def row(label: str) -> pd.Series:
        return key[key.case == label].iloc[0]

    g1 = [row("MLE (bias -sigma2/n), t^1.5"), row("bias -n^-1, t^1.5")]
    slow, fast = row("bias -n^-1/2, t^1.5"), row("bias -n^-1/2, t^3 (accelerated)")
    verdicts = [
        Verdict(
            "E sigma2_t, E log sigma2_t and P(sigma2_t <= eps) match their exact values for "
            "every biased estimator and shrinkage.",
            bool(ok_mean.all() and ok_log.all() and ok_p.all()),
            f"({_count(ok_mean)}, {_count(ok_log)}, {_count(ok_p)})",
        ),
        Verdict(
            "Bias of order n^-1 (the Gaussian MLE, or beta n^-1) leaves the superlinear "
            "schedule stable.",
            bool(all(g.theory == "stable" and g[ratio_col] > 0.9 for g in g1)),
            "(" + ", ".join(f"{g.case}: E sigma2 ratio {g[ratio_col]:.3f}" for g in g1) + ")",
        ),
        Verdict(
            "Bias of order n^-1/2 needs accelerated growth: it collapses under t^1.5 "
            "(sum n_t^-1/2 diverges) and not under t^3 = t^((1+s)/gamma).",
            bool(
                slow.theory == "collapses"
                and slow[ratio_col] < 0.9
                and fast.theory == "stable"
                and fast[ratio_col] > 0.9
            ),
            f"(E sigma2_T: {slow['E sigma2_T exact']:.3g} against "
            f"{fast['E sigma2_T exact']:.3g}; ratios {slow[ratio_col]:.3f} and "
            f"{fast[ratio_col]:.3f})",
        ),
        Verdict(
            "Multiplicative shrinkage collapses iff sum delta_t diverges (constant and 1/t "
            "collapse, t^-1.5 does not), whatever the sample size.",
            bool((falls == predicted).all()),
            f"(criterion: E sigma2 falls by more than 10% between t = {record[half]} and "
            f"T = {horizon}; it does exactly for the {int(predicted.sum())} cases theory "
            f"calls collapsing: {bool((falls == predicted).all())})",
        ),
    ]
    notes = [
        "bias (beta, gamma) multiplies each variance estimate by 1 + beta n^-gamma, a bias "
        "of beta sigma2 n^-gamma relative to the unbiased estimator; shrinkage multiplies "
        "generation t's estimate by 1 - delta_t (e.g. low-temperature sampling).",
        "Paper 1's exact statement of the biased condition is not known to us; these are "
        "the conditions sum n_t^-gamma < inf and sum delta_t < inf for the model above.",
    ]
    return Outcome(table, {"bias": fig}, key, verdicts, notes)


# -- general parametric families ---------------------------------------------------------------


def _general_cases(quick: bool) -> list[dict]:
    from ..families import make_family

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
    fig, axes = new_figure(2)
    rows, key_rows = [], []
    key_index = 0
    for case in cases:
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
            frame = pd.DataFrame(
                {
                    "family": case["name"],
                    "schedule": s_name,
                    "t": np.arange(T + 1),
                    "inflation_sim": dist.mean(axis=0),
                    "inflation_se": dist.std(axis=0, ddof=1) / math.sqrt(r),
                    "inflation_theory": predicted,
                    "n0": case["n0"],
                    "replications": r,
                    "engine": case["engine"],
                }
            )
            rows.append(frame)
            ax = axes[s_index]
            line = ax.plot(
                frame.t,
                frame.inflation_sim,
                marker="o",
                markersize=2.5,
                linewidth=0.8,
                label=case["name"],
            )[0]
            ax.fill_between(
                frame.t,
                frame.inflation_sim - 1.96 * frame.inflation_se,
                frame.inflation_sim + 1.96 * frame.inflation_se,
                alpha=0.15,
                color=line.get_color(),
                linewidth=0,
            )
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
    for ax, (s_name, make) in zip(axes, schedules.items(), strict=True):
        longest = max(c["T"] for c in cases)
        ax.plot(
            np.arange(longest + 1),
            theory.risk_inflation(10_000, make(10_000).sizes(longest)),
            color="black",
            label="1 + r_t (theory)",
            linestyle="--",
            linewidth=1.6,
        )
        ax.set(
            xlabel="generation t",
            ylabel="n0 E|theta_t - theta*|^2 in the V*^-1 metric / d (dimensionless)",
            title=f"Risk inflation, {s_name}",
        )
        ax.legend(fontsize=7)
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(key_rows)
    ok = _within(table.inflation_sim, table.inflation_theory, table.inflation_se)
    constant = key[key.schedule == "constant n0"]
    power = key[key.schedule == "power n0 t^2"]
    bound = 1 + math.pi**2 / 6
    verdicts = [
        Verdict(
            "For every family the error is inflated by 1 + r_T, r_T = n0 sum 1/n_t, "
            "relative to the real-data fit (asymptotic normality).",
            bool(ok.all()),
            f"({_count(ok)} (family, schedule, t) cells; d = rank of V*)",
        ),
        Verdict(
            "The dichotomy is the same for every family: under a constant schedule the "
            "inflation grows without bound (1 + T), under n0 t^2 it stays below "
            "1 + pi^2/6.",
            bool(
                (constant["inflation (sim)"] > constant["T"] / 2).all()
                and (power["inflation (sim)"] < bound + 4 * power["SE"]).all()
            ),
            f"(constant: {constant['inflation (sim)'].min():.1f} to "
            f"{constant['inflation (sim)'].max():.1f} at T; power: at most "
            f"{power['inflation (sim)'].max():.3f} against {bound:.3f})",
        ),
    ]
    notes = [
        "The inflation is measured in the metric of the inverse asymptotic covariance V* "
        "(pseudo-inverse for the categorical family, whose probabilities sum to one) and "
        "divided by its rank, so every family's generation 0 predicts 1.",
        "n0 is large (10^4; 1,000 for the Gamma family, which needs the sample engine) "
        "because the prediction is asymptotic: the O(T/n0) bias of the MLEs is then small "
        "against the Monte Carlo error.",
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
        "a few per cent at n = 1,000 (an O(1/n) term with a large constant, as the shape and "
        "rate estimates are nearly collinear), so its recursion runs somewhat above 1 + r_T; "
        "the asymptotic engine, which has no such term, follows 1 + r_T.",
    ]
    return Outcome(table, {"general_family": fig}, key, verdicts, notes)


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
    )
)
register(
    Experiment(
        "xu2025-general-family",
        "General parametric families: the 1 + r_T risk "
        "inflation and the collapse dichotomy for exponential, Poisson, Bernoulli, "
        "categorical, Gamma and multivariate Gaussian models",
        PAPER,
        "Section on general families",
        10_000,
        1_000,
        _general_family,
    )
)
