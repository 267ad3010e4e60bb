"""Recursive training of a tabular generator on a data table, and per-generation table metrics.

:func:`recurse` runs paper 1's and paper 2's recursion with a real generator: generation 0 fits
a fresh generator to ``n0`` rows drawn from the table; generation ``t`` draws ``n_synth(t)``
rows from the previous generator and, when ``n_real(t) > 0``, ``n_real(t)`` fresh real rows,
and fits a fresh generator with weight ``w(t)`` on the real rows (each real row weighs
``w/n_real``, each synthetic row ``(1-w)/n_synth``). Schedules and weight rules are those of
:mod:`modelcollapse.schedules`. A generator object is fitted per replication and generation, so
replications run one after another (a generator is not a batch of arrays).

:func:`table_metrics` compares a sample of each generation's generator (``eval_rows`` rows,
drawn from a stream that the recursion does not use, so measuring changes nothing) with the
reference table (every row, real data):

=====================  ==========================================================  ===========
column                 meaning                                                     columns
=====================  ==========================================================  ===========
``mean_shift[c]``      ``(mean_t - mean) / sd`` of the reference                   numeric
``var_ratio[c]``       ``var_t / var``                                             numeric
``wasserstein[c]``     Wasserstein-1 distance ``/ sd`` of the reference            numeric
``tv[c]``              total variation between category frequencies                categorical
``lost[c]``            reference categories absent from the sample                 categorical
``corr_distance``      Frobenius norm of the difference of correlation matrices    numeric
``heldout_loglik``     mean log-likelihood of held-out real rows (if a density)    numeric
=====================  ==========================================================  ===========

Held-out rows are a fixed random part of the table (``holdout``, default 20%) that no generation
trains on; the held-out log-likelihood is averaged over at most ``eval_rows`` of them. Real rows
(generation 0's ``n0``, each generation's fresh ``n_real``) are drawn with replacement from the
other rows, the training rows (:func:`training_rows` of them): the table stands for the
population, so a sample larger than the table is allowed, and repeats rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_int, check_real, fail
from ..random import as_seed_sequence
from ..schedules import Schedule, WeightRule, parse_schedule, resolve_weights
from .generators import TabularGenerator, make_generator

__all__ = [
    "check_table",
    "recurse",
    "summarise",
    "summarise_bands",
    "table_metrics",
    "training_rows",
]


def training_rows(rows: int, holdout: float) -> int:
    """Rows of a ``rows``-row table that :func:`recurse` trains on (draws real rows from) when
    the fraction ``holdout`` is held out."""
    return int(rows) - round(holdout * int(rows))


def check_table(data: Any, *, numeric_only: bool = False, min_rows: int = 2) -> pd.DataFrame:
    """Validate a table for the recursion: a non-empty DataFrame, no two columns of the same
    name, no missing or infinite values, no column of a single value, and only numeric columns
    for a numeric-only generator."""
    if not isinstance(data, pd.DataFrame):
        raise fail("data", "must be a pandas DataFrame", type(data).__name__)
    if data.shape[1] == 0 or len(data) == 0:
        raise fail("data", "the table is empty", data.shape)
    if len(data) < min_rows:
        raise fail("data", f"needs at least {min_rows} rows", len(data))
    twice = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if twice:
        raise fail("data", "has several columns of the same name; rename or drop them", twice)
    missing = [c for c in data.columns if data[c].isna().any()]
    if missing:
        raise fail("data", "has missing values; drop or fill them first", missing)
    infinite = [
        c
        for c in data.columns
        if pd.api.types.is_numeric_dtype(data[c])
        and not np.isfinite(data[c].to_numpy(dtype=float)).all()
    ]
    if infinite:
        raise fail("data", "has infinite values; drop or replace them first", infinite)
    constant = [c for c in data.columns if data[c].nunique() < 2]
    if constant:
        raise fail("data", "has a column of one value (nothing to learn); drop it", constant)
    if numeric_only:
        bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
        if bad:
            raise fail("data", "the generator needs numeric columns only; drop or encode", bad)
    return data.reset_index(drop=True)


def table_metrics(
    sample: pd.DataFrame,
    reference: pd.DataFrame,
    generator: TabularGenerator | None = None,
    heldout: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The per-generation metrics (module docstring) of ``sample`` against ``reference``."""
    from scipy import stats

    out: dict[str, float] = {}
    numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
    for column in reference.columns:
        ref = reference[column]
        new = sample[column]
        if column in numeric:
            r, s = ref.to_numpy(dtype=float), new.to_numpy(dtype=float)
            sd = r.std()
            out[f"mean_shift[{column}]"] = float((s.mean() - r.mean()) / sd)
            out[f"var_ratio[{column}]"] = float(s.var() / r.var())
            out[f"wasserstein[{column}]"] = float(stats.wasserstein_distance(s, r) / sd)
        else:
            p = ref.astype(str).value_counts(normalize=True)
            # pandas-stubs types Index.union's argument narrower than pandas (array-like).
            cells = p.index.union(new.astype(str).unique())  # type: ignore[arg-type]
            q = new.astype(str).value_counts(normalize=True).reindex(cells, fill_value=0.0)
            p = p.reindex(q.index, fill_value=0.0)
            out[f"tv[{column}]"] = float(0.5 * np.abs(p - q).sum())
            out[f"lost[{column}]"] = float(((p > 0) & (q == 0)).sum())
    if len(numeric) >= 2:
        a = np.corrcoef(reference[numeric].to_numpy(dtype=float), rowvar=False)
        b = np.corrcoef(sample[numeric].to_numpy(dtype=float), rowvar=False)
        out["corr_distance"] = float(np.linalg.norm(np.nan_to_num(b) - a))
    if heldout is not None and generator is not None and hasattr(generator, "log_likelihood"):
        out["heldout_loglik"] = float(np.mean(generator.log_likelihood(heldout)))
    return out


def recurse(
    data: pd.DataFrame,
    generator: Callable[[], TabularGenerator] | str = "copula",
    *,
    n0: int,
    schedule: Schedule | str | int,
    generations: int,
    n_real: Schedule | str | int = 0,
    weight: WeightRule | float | str | None = None,
    replications: int = 1,
    seed: int | np.random.SeedSequence | None = None,
    eval_rows: int = 2000,
    holdout: float = 0.2,
    progress: Callable[[str], None] | None = None,
    on_generation: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Recursive training of a tabular generator on ``data`` (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        The real table (checked by :func:`check_table`).
    generator : callable or str
        A factory of fresh :class:`~modelcollapse.tabular.TabularGenerator` objects, or a name
        of :data:`~modelcollapse.tabular.GENERATORS`.
    n0 : int
        Real rows of generation 0.
    schedule : Schedule, str or int
        Synthetic rows ``n_synth(t)``.
    generations : int
        Generations ``T`` after generation 0.
    n_real : Schedule, str or int
        Fresh real rows per generation (0: fully synthetic).
    weight : WeightRule, float, str or None
        Weight on the real rows (default: unweighted pooling); only with ``n_real > 0``.
    replications : int
        Independent recursions (each a seed of its own, spawned from ``seed``).
    seed : int, SeedSequence or None
        Root seed.
    eval_rows : int
        Rows sampled from each generation's generator to measure it.
    holdout : float
        Fraction of the table held out from training, for ``heldout_loglik`` (0: none).
    progress : callable, optional
        Called with a line of text after each replication.
    on_generation : callable, optional
        Called as ``on_generation(replication, generation)`` once each generation is fitted and
        measured (``replications * (generations + 1)`` calls in all), e.g. to feed a
        :class:`~modelcollapse._progress.Progress` bar.

    Returns
    -------
    pandas.DataFrame
        One row per (replication, generation): ``n_real``, ``n_synth``, ``weight``, the fit's
        wall time and every metric of :func:`table_metrics`.
    """
    factory = make_generator(generator) if isinstance(generator, str) else generator
    if not callable(factory):
        raise fail("generator", "must be a generator name or a factory of generators", generator)
    probe = factory()
    data = check_table(data, numeric_only=probe.numeric_only)
    n0 = check_int("n0", n0, minimum=2)
    generations = check_int("generations", generations, minimum=0)
    replications = check_int("replications", replications, minimum=1)
    eval_rows = check_int("eval_rows", eval_rows, minimum=2)
    holdout = check_real("holdout", holdout, lower=0.0, upper=0.9)
    synth = parse_schedule(schedule).sizes(generations)
    real = parse_schedule(n_real, "n_real").sizes(generations, "n_real")
    if np.any(synth < 1):
        raise fail("schedule", "synthetic sizes must be at least 1", str(schedule))
    _, w = resolve_weights(weight, n0, real, synth)
    if max(n0, int(real.max(initial=0)), int(synth.max(initial=0))) > 10**7:
        raise fail("schedule", "tabular generators handle at most 10^7 rows per generation", "")
    children = as_seed_sequence(seed).spawn(replications + 1)
    order = np.random.default_rng(children[0]).permutation(len(data))
    cut = len(data) - training_rows(len(data), holdout)
    # The log-likelihood is averaged over at most eval_rows of the held-out rows.
    heldout = data.iloc[order[: min(cut, eval_rows)]].reset_index(drop=True) if cut else None
    train = data.iloc[order[cut:]].reset_index(drop=True)
    if len(train) < 2:
        raise fail("holdout", "leaves fewer than 2 rows to train on", holdout)
    if heldout is not None and not hasattr(probe, "log_likelihood"):
        heldout = None
    rows = []
    for rep, child in enumerate(children[1:]):
        fit_rng, eval_rng = (np.random.default_rng(s) for s in child.spawn(2))
        start = time.perf_counter()
        real_rows = train.iloc[fit_rng.integers(0, len(train), n0)].reset_index(drop=True)
        current = factory().fit(real_rows, None, fit_rng)
        for t in range(generations + 1):
            if t > 0:
                m, n = int(synth[t - 1]), int(real[t - 1])
                parts, weights = [current.sample(m, fit_rng)], [np.full(m, (1.0 - w[t - 1]) / m)]
                if n > 0:
                    fresh = train.iloc[fit_rng.integers(0, len(train), n)]
                    parts.append(fresh.reset_index(drop=True))
                    weights.append(np.full(n, w[t - 1] / n))
                table = pd.concat(parts, ignore_index=True)
                current = factory().fit(table, np.concatenate(weights), fit_rng)
            measured = table_metrics(current.sample(eval_rows, eval_rng), data, current, heldout)
            rows.append(
                {
                    "replication": rep,
                    "generation": t,
                    "n_real": n0 if t == 0 else int(real[t - 1]),
                    "n_synth": 0 if t == 0 else int(synth[t - 1]),
                    "weight": 1.0 if t == 0 else float(w[t - 1]),
                    **measured,
                }
            )
            if on_generation is not None:
                on_generation(rep, t)
        if progress is not None:
            progress(
                f"replication {rep + 1}/{replications}: {generations} generations in "
                f"{time.perf_counter() - start:.1f}s"
            )
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean over replications of every metric, per generation."""
    return frame.drop(columns="replication").groupby("generation").mean()


def summarise_bands(
    frame: pd.DataFrame, lower: float = 0.1, upper: float = 0.9
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``lower`` and ``upper`` quantiles over replications of every metric, per generation
    (the band of a figure: by default 80% of the replications lie between them)."""
    lower = check_real("lower", lower, lower=0.0, upper=1.0)
    upper = check_real("upper", upper, lower=lower, upper=1.0)
    grouped = frame.drop(columns="replication").groupby("generation")
    return grouped.quantile(lower), grouped.quantile(upper)
