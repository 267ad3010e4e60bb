"""Paper 1's schedules on the Adult data (spec ``data-adult.md``): a parametric model of Adult
fitted to real rows and recursed (see :func:`adult_parametric_model`).

Every verdict is judged from the results table (:func:`_judge_xu2025_adult`). The numeric
columns' mean error is compared with its exact law using its exact standard error
(:func:`~modelcollapse.experiments.he2025.mean_error_moments`, which accounts for the real
rows of generation 0 through their fourth moment), at the generations where a sample mean of
the replications run can test it: under the constant schedule the error is heavy-tailed. The
collapse of the fitted covariance is tested with ``log det Sigma_t - log det Sigma_0``, whose
exact law (independent log chi-square steps) holds whatever the real rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import theory
from ..data import ADULT_CATEGORICAL, ADULT_NUMERIC, load_adult
from ..engine import simulate
from ..families import Categorical, MultivariateGaussian, TableSource
from ..plots import new_figure, plot_band, plot_theory
from ..schedules import Constant, Exponential, Linear, Power, Schedule
from .he2025 import (
    categorical_error_moments,
    law_verdict,
    log_det_change_moments,
    mean_error_moments,
)
from .registry import Context, Experiment, Outcome, register
from .verdicts import Verdict, threshold
from .xu2025 import capped_horizon

PAPER = "Xu, He & Cheng (2025), A Probabilistic Perspective on Model Collapse"

# -- paper 1 on the Adult data ------------------------------------------------------------------


def adult_parametric_model(
    cleaning: str = "complete",
) -> tuple[TableSource, dict[str, TableSource], pd.DataFrame]:
    """Paper 1's parametric model of the Adult table, with real draws from its rows.

    Returns the multivariate Gaussian of the standardised numeric columns (truth: the table's
    mean 0 and MLE covariance, its correlation matrix), one categorical family per categorical
    column (truth: the column's frequencies, codes in order of frequency), each wrapped in a
    :class:`~modelcollapse.TableSource` over the table's rows, and the table itself.
    """
    data = load_adult(cleaning)
    numeric = data[list(ADULT_NUMERIC)].to_numpy(dtype=float)
    z = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)
    cov = np.cov(z, rowvar=False, bias=True)
    gaussian = TableSource(
        MultivariateGaussian(np.zeros(z.shape[1]), 0.5 * (cov + cov.T), variance="unbiased"), z
    )
    columns = {}
    for column in ADULT_CATEGORICAL:
        counts = data[column].value_counts()
        order = [str(c) for c in counts.index]
        codes = pd.Categorical(data[column].astype(str), categories=order).codes
        columns[column] = TableSource(Categorical(counts.to_numpy() / counts.sum()), codes)
    return gaussian, columns, data


NUMERIC = "numeric (Gaussian)"
ALL_COLUMNS = "categories lost (all columns)"


def _adult_schedules(n0: int) -> dict[str, Schedule]:
    return {
        "constant": Constant(n0),
        "linear": Linear(n0),
        "t^2": Power(n0, 1.0),
        "2^t": Exponential(n0, 2.0),
    }


def _log_det(family: Any, params: Any) -> np.ndarray:
    """``log det`` of each fitted covariance; NaN where it is numerically singular."""
    sign, value = np.linalg.slogdet(np.asarray(family.covariance(params)))
    return np.where(sign > 0, value, np.nan)


def _xu2025_adult(ctx: Context) -> Outcome:
    n0, eps = 100, 0.05
    horizon = 200 if ctx.quick else 1000
    r = ctx.replications
    schedules = _adult_schedules(n0)
    horizons = {name: capped_horizon(s, horizon) for name, s in schedules.items()}
    gaussian, columns, data = adult_parametric_model()
    d = len(ADULT_NUMERIC)
    truth = gaussian.truth()
    truth_cov = np.asarray(gaussian.covariance(truth))
    fourth = float(np.mean(np.sum(gaussian.data**2, axis=1) ** 2))  # E|X - mu|^4 of the rows
    base_risk = float(gaussian.cross_entropy(truth, truth))
    ctx.note(
        n0=n0,
        eps=eps,
        generations=horizon,
        horizons=horizons,
        cleaning="complete",
        rows=len(data),
        numeric=list(ADULT_NUMERIC),
        categorical=list(ADULT_CATEGORICAL),
        schedules={k: str(v) for k, v in schedules.items()},
        variance="unbiased",
    )
    rows, final = [], []
    for j, (name, schedule) in enumerate(ctx.track(schedules.items())):
        T = horizons[name]
        sizes = schedule.sizes(T)
        record = np.unique(
            np.concatenate(
                [[0], np.geomspace(1, T, 30).round(), [h for h in horizons.values() if h <= T]]
            )
        ).astype(int)
        inflation = theory.risk_inflation(n0, sizes)[record]
        settings = {"schedule": name, "n0": n0, "T": T, "R": r, "eps": eps}
        harmonic = np.concatenate([[0.0], theory.harmonic_sum(sizes)])[record]
        ctx.progress(f"{name} ({schedule}), T = {T}: Gaussian of {d} numeric columns")
        res = simulate(
            gaussian,
            n0=n0,
            schedule=schedule,
            generations=T,
            replications=r,
            seed=ctx.child_seed(100 * j),
            record=record,
            eps=eps,
            metrics=["mean_error", "sigma2", "collapsed", "risk"],
        )
        err = res.values("mean_error")
        logdet = _log_det(gaussian, res.params)
        change = logdet - logdet[:, :1]
        _, err_var = mean_error_moments(truth_cov, np.concatenate([[n0], sizes]), fourth)
        ld_mean, ld_var = log_det_change_moments(d, sizes)
        ld_mean, ld_var = (np.concatenate([[0.0], v])[record] for v in (ld_mean, ld_var))
        frame = {
            **settings,
            "part": NUMERIC,
            "t": record,
            "harmonic_sum": harmonic,
            "mean_error": err.mean(axis=0),
            "mean_error_se": err.std(axis=0, ddof=1) / math.sqrt(r),
            "mean_error_se_exact": np.sqrt(err_var[record] / r),
            "mean_error_theory": d / n0 * inflation,
            "logdet_change": change.mean(axis=0),
            "logdet_change_se_exact": np.sqrt(ld_var / r),
            "logdet_change_theory": ld_mean,
            "logdet_not_finite": np.sum(~np.isfinite(change), axis=0),
            "median_sigma2": np.median(res.values("sigma2"), axis=0),
            "collapsed": res.values("collapsed").mean(axis=0),
            "median_risk": np.median(res.values("risk"), axis=0),
        }
        rows.append(pd.DataFrame(frame))
        ctx.progress(f"{name}: {len(columns)} categorical columns")
        lost_total = np.zeros((r, record.size))
        cat_final = []
        for i, (column, family) in enumerate(columns.items()):
            res_c = simulate(
                family,
                n0=n0,
                schedule=schedule,
                generations=T,
                replications=r,
                seed=ctx.child_seed(100 * j + 1 + i),
                record=record,
                metrics=["mean_error", "cells_lost"],
            )
            p = family.truth().p
            gini = 1.0 - float(np.sum(p * p))
            keep = np.concatenate([[1.0 - 1.0 / n0], 1.0 - 1.0 / sizes])
            expected = gini * (1.0 - np.cumprod(keep))[record]
            _, err_c_var = categorical_error_moments(p, np.concatenate([[n0], sizes]), record)
            err_c = res_c.values("mean_error")
            cells = res_c.values("cells_lost")
            lost_total += cells
            rows.append(
                pd.DataFrame(
                    {
                        **settings,
                        "part": column,
                        "t": record,
                        "harmonic_sum": harmonic,
                        "mean_error": err_c.mean(axis=0),
                        "mean_error_se": err_c.std(axis=0, ddof=1) / math.sqrt(r),
                        "mean_error_se_exact": np.sqrt(err_c_var / r),
                        "mean_error_theory": expected,
                        "cells_lost": cells.mean(axis=0),
                        "categories": p.size,
                    }
                )
            )
            cat_final.append(f"{column} {cells[:, -1].mean():.1f}/{p.size}")
        rows.append(
            pd.DataFrame(
                {
                    **settings,
                    "part": ALL_COLUMNS,
                    "t": record,
                    "harmonic_sum": harmonic,
                    "cells_lost": lost_total.mean(axis=0),
                    "cells_lost_se": lost_total.std(axis=0, ddof=1) / math.sqrt(r),
                    "categories": sum(c.truth().p.size for c in columns.values()),
                }
            )
        )
        final.append(
            {
                "schedule": name,
                "T": T,
                "sum 1/n_t (T)": float(harmonic[-1]),
                "sum 1/n_t (limit)": theory.harmonic_limit(schedule),
                "theory": theory.collapse_verdict(schedule),
                "log det change at T (sim)": float(frame["logdet_change"][-1]),
                "log det change at T (exact)": float(ld_mean[-1]),
                "P(sigma2_T <= eps)": float(frame["collapsed"][-1]),
                "median sigma2_T": float(frame["median_sigma2"][-1]),
                "median risk_T": float(frame["median_risk"][-1]),
                "risk at truth": base_risk,
                "1 + r_T": float(inflation[-1]),
                "categories lost at T (mean)": "; ".join(cat_final),
            }
        )
    table = pd.concat(rows, ignore_index=True)
    key = pd.DataFrame(final)
    fig = _adult_figure(table, schedules, n0, r, horizon)
    gauss4 = float(np.trace(truth_cov) ** 2 + 2 * np.trace(truth_cov @ truth_cov))
    notes = [
        f"Scale run: n0 = {n0}, R = {r:,} replications, T = {horizon} generations "
        f"(2^t: {horizons['2^t']}, beyond which n_t no longer fits in 64 bits). Data: UCI "
        f"Adult, rows with no missing value ({len(data):,}). Model: a Gaussian on the {d} "
        f"standardised numeric columns ({', '.join(ADULT_NUMERIC)}; truth = the table's mean 0 "
        "and correlation matrix, unbiased covariance estimator) and one categorical "
        f"distribution per categorical column ({', '.join(ADULT_CATEGORICAL)}; truth = the "
        "column's frequencies), fitted independently.",
        f"Generation 0 fits n0 = {n0} rows drawn from the table (real data: heavy-tailed "
        "capital gains, integer ages); every later generation fits draws from the previous fit. "
        "The population risk is the average negative log-likelihood of the whole table under "
        f"the fitted Gaussian (at the truth: {base_risk:.4f} nats per row).",
        "Unbiased covariance estimates make E Sigma_t = Sigma for any data, so the mean's "
        "error law holds exactly although the real rows are not Gaussian; its variance "
        "depends on the rows only through E|X - mu|^4 "
        f"({fourth:.4g} here, against {gauss4:.4g} "
        "for Gaussian rows). log det Sigma_t - log det Sigma_0 is a sum of independent log "
        "chi-square steps whatever the rows. A covariance whose condition number passes 1/eps "
        "of double precision has no computable log-determinant: such generations are named.",
        f"Categories lost under every schedule are mostly lost at generation 0: {n0} real rows "
        "miss most of native-country's 41 categories, and a lost category never returns. The "
        "schedules differ in what they lose afterwards.",
    ]
    return Outcome(table, {"xu2025-adult": fig}, key, notes=notes)


def _adult_figure(
    table: pd.DataFrame, schedules: dict[str, Schedule], n0: int, r: int, horizon: int
) -> Any:
    fig, axes = new_figure(3, width=5.6, height=4.2)
    for name in schedules:
        mine = table[table.schedule == name]
        part = mine[mine.part == NUMERIC]
        line = plot_band(
            axes[0], part.t, part.mean_error, part.mean_error_se_exact, name, marker=""
        )
        color = line.get_color()
        plot_theory(axes[0], part.t, part.mean_error_theory, "_exact", color=color)
        ok = np.isfinite(part.logdet_change)
        plot_band(
            axes[1],
            part.t[ok],
            part.logdet_change[ok],
            part.logdet_change_se_exact[ok],
            name,
            color=color,
            marker="",
        )
        plot_theory(axes[1], part.t, part.logdet_change_theory, "_exact", color=color)
        lost = mine[mine.part == ALL_COLUMNS]
        plot_band(
            axes[2], lost.t, lost.cells_lost, lost.cells_lost_se, name, color=color, marker=""
        )
    for ax in axes[:2]:
        plot_theory(ax, [], [], "exact law (dashed)")
    xlabel = f"generation t (n0 = {n0}, T = {horizon}, R = {r:,})"
    axes[0].set(
        xscale="symlog",
        yscale="log",
        xlabel=xlabel,
        ylabel="E|mu_t - mu|^2 (squared std. units)",
        title="Numeric columns: mean error",
    )
    axes[1].set(
        xscale="symlog",
        xlabel=xlabel,
        ylabel="log det Sigma_t - log det Sigma_0 (nats)",
        title="Numeric columns: covariance (collapse: -> -inf)",
    )
    total = int(table[table.part == ALL_COLUMNS].categories.iloc[0])
    axes[2].set(
        xscale="symlog",
        xlabel=xlabel,
        ylabel="categories lost, all columns (categories)",
        title=f"Categorical columns ({total} categories)",
    )
    for ax in axes:
        ax.legend(fontsize=7)
    return fig


# -- verdicts -----------------------------------------------------------------------------------


def _scale(part: str, column: str) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Scale ``column`` by ``1 + size`` on the rows of ``part`` (``"categorical"``: every
    categorical column's rows)."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        if part == "categorical":
            rows = ~out.part.isin([NUMERIC, ALL_COLUMNS])
        else:
            rows = out.part == part
        out.loc[rows, column] = out.loc[rows, column] * (1.0 + size)
        return out

    return perturb


def _fewer_lost(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """The constant schedule loses fewer categories than each growing schedule, by ``size``
    of the growing schedule's loss, at that schedule's horizon."""
    out = table.copy()
    lost = out[out.part == ALL_COLUMNS]
    for name, horizon in lost.groupby("schedule")["T"].first().items():
        if name == "constant":
            continue
        other = float(lost[(lost.schedule == name) & (lost.t == horizon)].cells_lost.iloc[0])
        rows = (out.part == ALL_COLUMNS) & (out.schedule == "constant") & (out.t == horizon)
        out.loc[rows, "cells_lost"] = np.minimum(out.loc[rows, "cells_lost"], other * (1 - size))
    return out


def _judge_xu2025_adult(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of ``xu2025-adult``, from its results table alone."""
    n0, r = int(table.n0.iloc[0]), int(table.R.iloc[0])
    reach = f"at every recorded generation where a sample mean of {r:,} replications can test it"
    numeric = table[table.part == NUMERIC]
    categorical = table[~table.part.isin([NUMERIC, ALL_COLUMNS])]
    verdicts = [
        law_verdict(
            "Fitted to real rows, the Gaussian mean's error follows paper 1's inflation law "
            f"E|mu_t - mu|^2 = (tr Sigma/n0)(1 + r_t) exactly under every schedule, {reach}.",
            numeric.t,
            numeric.mean_error,
            numeric.mean_error_theory,
            numeric.mean_error_se_exact,
            ("mean_error",),
            groups=numeric.schedule,
            perturb=_scale(NUMERIC, "mean_error"),
        ),
        law_verdict(
            "Each categorical column's sum (p_t - p)^2 follows its exact law "
            f"G (1 - prod (1 - 1/n_s)) under every schedule, {reach}.",
            categorical.t,
            categorical.mean_error,
            categorical.mean_error_theory,
            categorical.mean_error_se_exact,
            ("mean_error",),
            groups=categorical.part,
            perturb=_scale("categorical", "mean_error"),
        ),
        law_verdict(
            "The fitted covariance's log-determinant, from generation 0, follows its exact law "
            f"(independent log chi-square steps) under every schedule, {reach}.",
            numeric.t,
            numeric.logdet_change,
            numeric.logdet_change_theory,
            numeric.logdet_change_se_exact,
            ("logdet_change",),
            groups=numeric.schedule,
            perturb=_scale(NUMERIC, "logdet_change"),
        ),
        _theory_collapse(n0, sorted(set(table.schedule), key=list(table.schedule).index)),
        _loses_most(table[table.part == ALL_COLUMNS]),
    ]
    return verdicts


def _theory_collapse(n0: int, names: list[str]) -> Verdict:
    """Paper 1's criterion on the closed forms: the exact mean log-determinant change and the
    risk inflation diverge where sum 1/n_t does, and converge elsewhere."""
    schedules = _adult_schedules(n0)
    d = len(ADULT_NUMERIC)
    facts, ok = [], True
    for name in names:
        schedule = schedules[name]
        label = theory.collapse_verdict(schedule)
        spans = [capped_horizon(schedule, h) for h in (1_000, 10_000, 100_000)]
        drift = [float(log_det_change_moments(d, schedule.sizes(h))[0][-1]) for h in spans]
        infl = [float(theory.risk_inflation(n0, schedule.sizes(h))[-1]) for h in spans]
        if name == "constant":  # diverges linearly
            good = label == "collapses" and drift[2] / drift[0] > 50 and infl[2] / infl[0] > 50
        elif name == "linear":  # diverges like log T: equal steps per decade
            steps = (drift[1] - drift[0], drift[2] - drift[1])
            good = label == "collapses" and steps[0] < -0.1 and abs(steps[1] / steps[0] - 1) < 0.1
        else:  # converges
            good = label == "stable" and abs(drift[2] - drift[0]) < 1e-2 * abs(drift[0])
            good = good and infl[2] / infl[0] < 1.01
        ok = ok and good
        facts.append(
            f"{name}: {label}, E log det change {drift[0]:.3g} / {drift[1]:.3g} / {drift[2]:.3g}"
            f" at T = {spans[0]:,} / {spans[1]:,} / {spans[2]:,}, 1 + r_T {infl[0]:.3g} / "
            f"{infl[2]:.3g}"
        )
    return Verdict(
        "In theory the model collapses under the constant and linear schedules "
        "(sum 1/n_t = inf) and not under t^2 and 2^t: the exact mean of log det Sigma_t - "
        "log det Sigma_0 and the risk inflation 1 + r_T diverge for the first two (under linear "
        "growth only like log T) and converge for the others, as collapse_verdict says.",
        ok,
        "(" + "; ".join(facts) + ")",
        kind="theory",
    )


def _loses_most(lost: pd.DataFrame) -> Verdict:
    """The constant schedule loses more categories than each growing schedule by that
    schedule's horizon (independent runs: the SEs add in quadrature)."""
    horizons = lost.groupby("schedule")["T"].first()
    others = [name for name in horizons.index if name != "constant"]
    z_max = threshold(len(others))
    ok, detect, facts = [], [], []
    for name in others:
        h = int(horizons[name])
        c = lost[(lost.schedule == "constant") & (lost.t == h)].iloc[0]
        o = lost[(lost.schedule == name) & (lost.t == h)].iloc[0]
        se = math.hypot(c.cells_lost_se, o.cells_lost_se)
        gap = c.cells_lost - o.cells_lost
        ok.append(gap > z_max * se)
        detect.append((z_max + 2.0) * se / o.cells_lost)
        facts.append(
            f"t = {h}: constant {c.cells_lost:.1f} against {name} {o.cells_lost:.1f} "
            f"(+- {se:.2g}, z = {gap / se:+.1f})"
        )
    detectable = max(detect)
    return Verdict(
        "Under the constant schedule (sum 1/n_t = inf) the model loses more categories, summed "
        "over the categorical columns, than under any growing schedule by the same generation.",
        all(ok) if detectable <= MAX_RELATIVE_GAP else None,
        "(" + "; ".join(facts) + f"; needed z > {z_max:.2g})",
        detectable=detectable,
        inputs=("cells_lost",),
        perturb=_fewer_lost,
    )


#: The largest relative excess of lost categories the ordering test may need to detect.
MAX_RELATIVE_GAP = 0.5


register(
    Experiment(
        "xu2025-adult",
        "Paper 1's schedules on the Adult data: a parametric model fitted to real rows, "
        "recursed; collapse or not per schedule against sum 1/n_t",
        "Xu, He & Cheng (2025), A Probabilistic Perspective on Model Collapse",
        "Real tabular data",
        1_000,
        100,
        _xu2025_adult,
        judge=_judge_xu2025_adult,
    )
)
