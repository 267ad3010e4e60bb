"""Paper 1's schedules on the Adult data (spec ``data-adult.md``): a parametric model of Adult
fitted to real rows and recursed (see :func:`adult_parametric_model`).

Every verdict is judged from the results table (:func:`judge`). The numeric columns' mean error
is compared with its exact law using its exact standard error
(:func:`~modelcollapse.experiments.he2025.mean_error_moments`, which accounts for the real
rows of generation 0 through their fourth moment), at the generations where a sample mean of
the replications run can test it: under the constant schedule the error is heavy-tailed. The
collapse of the fitted covariance is tested with ``log det Sigma_t - log det Sigma_0``, whose
exact law (independent log chi-square steps) holds whatever the real rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ... import theory
from ...data import ADULT_CATEGORICAL, ADULT_NUMERIC, load_adult
from ...engine import simulate
from ...families import Categorical, MultivariateGaussian, TableSource
from ...schedules import Schedule
from ..context import Context, Experiment, Outcome
from ..he2025 import categorical_error_moments, log_det_change_moments, mean_error_moments
from ..registry import register
from .adult_report import key_table, notes, plot
from .adult_verdicts import ALL_COLUMNS, NUMERIC, THEORY_HORIZONS, adult_schedules, judge
from .common import PAPER, capped_horizon

__all__ = [
    "ALL_COLUMNS",
    "EXPERIMENT",
    "NUMERIC",
    "PAPER",
    "SPEC",
    "AdultModel",
    "AdultSpec",
    "adult_model",
    "adult_parametric_model",
    "compute",
    "judge",
    "key_table",
    "notes",
    "plot",
    "run",
]


@dataclass(frozen=True)
class AdultSpec:
    """What ``xu2025-adult`` simulates: the model of the ``cleaning`` table recursed from
    ``n0`` real rows under each schedule of :func:`adult_schedules`, for ``generations`` (or
    ``quick_generations`` at the quick scale; capped where ``n_t`` no longer fits in 64 bits),
    with ``recorded`` generations spaced geometrically and collapse at ``sigma2 <= eps``.
    ``theory_horizons`` are where the closed forms are checked for divergence."""

    n0: int = 100
    eps: float = 0.05
    generations: int = 1000
    quick_generations: int = 200
    cleaning: str = "complete"
    recorded: int = 30
    theory_horizons: tuple[int, ...] = THEORY_HORIZONS

    def horizon(self, quick: bool) -> int:
        """``T`` at the quick or the paper scale."""
        return self.quick_generations if quick else self.generations


#: The experiment's specification.
SPEC = AdultSpec()


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


@dataclass(frozen=True)
class AdultModel:
    """The model of the table and what the notes say of it: the Gaussian of the numeric
    columns, the categorical families, the number of rows, the true covariance, the rows'
    ``E|X - mu|^4`` and the risk at the truth (nats per row)."""

    gaussian: TableSource
    columns: dict[str, TableSource]
    rows: int
    truth_cov: np.ndarray
    fourth: float
    base_risk: float


def adult_model(cleaning: str = "complete") -> AdultModel:
    """:func:`adult_parametric_model` and the constants derived from it."""
    gaussian, columns, data = adult_parametric_model(cleaning)
    truth = gaussian.truth()
    hooks: Any = gaussian  # the wrapped Gaussian's hooks, which TableSource sets per instance
    return AdultModel(
        gaussian=gaussian,
        columns=columns,
        rows=len(data),
        truth_cov=np.asarray(hooks.covariance(truth)),
        fourth=float(np.mean(np.sum(gaussian.data**2, axis=1) ** 2)),  # E|X - mu|^4 of the rows
        base_risk=float(hooks.cross_entropy(truth, truth)),
    )


def _log_det(family: Any, params: Any) -> np.ndarray:
    """``log det`` of each fitted covariance; NaN where it is numerically singular."""
    sign, value = np.linalg.slogdet(np.asarray(family.covariance(params)))
    return np.where(sign > 0, value, np.nan)


# -- the simulation -----------------------------------------------------------------------------


def _record(horizon: int, horizons: dict[str, int], points: int) -> np.ndarray:
    """The recorded generations of a run of ``horizon``: 0, ``points`` spaced geometrically,
    and the other schedules' horizons below it."""
    return np.unique(
        np.concatenate(
            [
                [0],
                np.geomspace(1, horizon, points).round(),
                [h for h in horizons.values() if h <= horizon],
            ]
        )
    ).astype(int)


def _numeric_frame(
    ctx: Context,
    j: int,
    model: AdultModel,
    schedule: Schedule,
    record: np.ndarray,
    settings: dict[str, Any],
) -> pd.DataFrame:
    """The numeric columns' rows of one schedule: the Gaussian recursion's mean error and
    log-determinant change beside their exact laws, collapse, median variance and risk."""
    n0, horizon, r = settings["n0"], settings["T"], settings["R"]
    sizes = schedule.sizes(horizon)
    d = len(ADULT_NUMERIC)
    inflation = theory.risk_inflation(n0, sizes)[record]
    harmonic = np.concatenate([[0.0], theory.harmonic_sum(sizes)])[record]
    ctx.progress(
        f"{settings['schedule']} ({schedule}), T = {horizon}: Gaussian of {d} numeric columns"
    )
    res = simulate(
        model.gaussian,
        n0=n0,
        schedule=schedule,
        generations=horizon,
        replications=r,
        seed=ctx.child_seed(100 * j),
        record=record,
        eps=settings["eps"],
        metrics=["mean_error", "sigma2", "collapsed", "risk"],
    )
    err = res.values("mean_error")
    logdet = _log_det(model.gaussian, res.params)
    change = logdet - logdet[:, :1]
    _, err_var = mean_error_moments(model.truth_cov, np.concatenate([[n0], sizes]), model.fourth)
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
    return pd.DataFrame(frame)


def _categorical_frames(
    ctx: Context,
    j: int,
    model: AdultModel,
    schedule: Schedule,
    record: np.ndarray,
    settings: dict[str, Any],
) -> list[pd.DataFrame]:
    """The categorical columns' rows of one schedule: each column's error beside its exact law
    and its lost categories, then the lost categories summed over the columns."""
    n0, horizon, r = settings["n0"], settings["T"], settings["R"]
    sizes = schedule.sizes(horizon)
    harmonic = np.concatenate([[0.0], theory.harmonic_sum(sizes)])[record]
    ctx.progress(f"{settings['schedule']}: {len(model.columns)} categorical columns")
    lost_total = np.zeros((r, record.size))
    frames = []
    for i, (column, family) in enumerate(model.columns.items()):
        res_c = simulate(
            family,
            n0=n0,
            schedule=schedule,
            generations=horizon,
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
        frames.append(
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
    frames.append(
        pd.DataFrame(
            {
                **settings,
                "part": ALL_COLUMNS,
                "t": record,
                "harmonic_sum": harmonic,
                "cells_lost": lost_total.mean(axis=0),
                "cells_lost_se": lost_total.std(axis=0, ddof=1) / math.sqrt(r),
                "categories": sum(c.truth().p.size for c in model.columns.values()),
            }
        )
    )
    return frames


def compute(ctx: Context, model: AdultModel | None = None) -> pd.DataFrame:
    """Run every schedule of :data:`SPEC`: the Gaussian of the numeric columns, then each
    categorical column, from ``n0`` real rows; one row per part and recorded generation.

    Parameters
    ----------
    ctx : Context
        Scale, seeds and progress.
    model : AdultModel, optional
        The model of the table (default: :func:`adult_model` of ``SPEC.cleaning``).

    Returns
    -------
    pandas.DataFrame
        The results table.
    """
    n0, eps = SPEC.n0, SPEC.eps
    horizon = SPEC.horizon(ctx.quick)
    r = ctx.replications
    schedules = adult_schedules(n0)
    horizons = {name: capped_horizon(s, horizon) for name, s in schedules.items()}
    model = adult_model(SPEC.cleaning) if model is None else model
    ctx.note(
        n0=n0,
        eps=eps,
        generations=horizon,
        horizons=horizons,
        cleaning=SPEC.cleaning,
        rows=model.rows,
        numeric=list(ADULT_NUMERIC),
        categorical=list(ADULT_CATEGORICAL),
        schedules={k: str(v) for k, v in schedules.items()},
        variance="unbiased",
    )
    rows = []
    for j, (name, schedule) in enumerate(ctx.track(schedules.items())):
        T = horizons[name]
        record = _record(T, horizons, SPEC.recorded)
        settings = {"schedule": name, "n0": n0, "T": T, "R": r, "eps": eps}
        rows.append(_numeric_frame(ctx, j, model, schedule, record, settings))
        rows += _categorical_frames(ctx, j, model, schedule, record, settings)
    return pd.concat(rows, ignore_index=True)


def run(ctx: Context) -> Outcome:
    """Build the model, compute the table, then the figure, the key table and the notes."""
    model = adult_model(SPEC.cleaning)
    table = compute(ctx, model)
    key = key_table(table, model.base_risk)
    return Outcome(table, {"xu2025-adult": plot(table)}, key, notes=notes(table, model))


#: The registered experiment.
EXPERIMENT = register(
    Experiment(
        "xu2025-adult",
        "Paper 1's schedules on the Adult data: a parametric model fitted to real rows, "
        "recursed; collapse or not per schedule against sum 1/n_t",
        "Xu, He & Cheng (2025), A Probabilistic Perspective on Model Collapse",
        "Real tabular data",
        1_000,
        100,
        run,
        judge=judge,
    )
)
