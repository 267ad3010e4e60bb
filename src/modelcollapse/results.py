"""The result of a simulation: recorded parameters, metrics and provenance, and the theory's
expected values beside the simulated ones (:meth:`SimulationResult.theory`)."""

from __future__ import annotations

import copy
import html
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._validation import check_probability, fail
from .families.base import Family
from .families.capabilities import capabilities_of
from .metrics import compute_metrics

__all__ = ["DEFAULT_QUANTILES", "Expectation", "Recorder", "SimulationResult", "summarize"]

#: The quantiles :func:`summarize` reports by default.
DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _quantile_label(q: float) -> str:
    return "median" if q == 0.5 else f"q{round(q * 100):02d}"


def summarize(values: np.ndarray, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> dict:
    """Column summaries of ``values`` of shape ``(replications, columns)``.

    Returns mean, standard error of the mean, standard deviation, min, the quantiles and max,
    each an array over the columns. Infinite values are kept deliberately: a column with an
    ``inf`` has an infinite mean and standard deviation, and its quantiles are ``inf`` only
    where the order statistics are. With one replication (``R = 1``) the standard deviation and
    the standard error are undefined and NaN by design, whatever the value (even ``inf``).
    """
    values = np.asarray(values, dtype=float)
    r = values.shape[0]
    finite = np.isfinite(values).all(axis=0)
    with np.errstate(invalid="ignore", over="ignore"):
        mean = values.mean(axis=0)
        sd = values.std(axis=0, ddof=1) if r > 1 else np.full(values.shape[1], np.nan)
    if r > 1:  # one replication: no spread to estimate, NaN even for an infinite value
        sd = np.where(finite, sd, np.inf)
    big = np.finfo(float).max
    clipped = np.clip(values, -big, big)
    qs = np.quantile(clipped, quantiles, axis=0)
    qs = np.where(qs >= big, np.inf, np.where(qs <= -big, -np.inf, qs))
    out = {"mean": mean, "se": sd / np.sqrt(r), "sd": sd, "min": values.min(axis=0)}
    out.update({_quantile_label(q): qs[i] for i, q in enumerate(quantiles)})
    out["max"] = values.max(axis=0)
    return out


class Recorder:
    """Keeps metrics (and, for families with a small state, parameters) at chosen generations.

    Metrics are computed as generations are recorded, chunk by chunk, so a family whose state is
    large (atoms of a nonparametric CDF, say) never has its whole trajectory in memory: such a
    family sets ``record_params = False`` and only its metrics are kept.

    Parameters
    ----------
    family : Family
        The simulated family.
    replications : int
        ``R``.
    record_at : numpy.ndarray
        Sorted generations to record.
    metric_names : sequence of str
        Metrics to compute.
    eps : float
        Collapse threshold.
    horizon : int, optional
        The last generation ``T``: with it the recorder also counts failed fits at every
        generation (:meth:`count_failures`), recorded or not.
    """

    def __init__(
        self,
        family: Family,
        replications: int,
        record_at: np.ndarray,
        metric_names: Sequence[str],
        eps: float,
        horizon: int | None = None,
    ) -> None:
        self.family = family
        self.generations = np.asarray(record_at)
        self.metric_names = tuple(metric_names)
        self.eps = eps
        self.slot = np.full(int(self.generations.max(initial=0)) + 1, -1)
        self.slot[self.generations] = np.arange(self.generations.size)
        shape = (replications, self.generations.size)
        keep = capabilities_of(family).record_params
        self.flat = np.empty((*shape, len(family.param_labels))) if keep else None
        self.metrics = {name: np.empty(shape) for name in self.metric_names}
        #: Failed fits per generation ``0..T`` (None when not counted).
        self.failures = None if horizon is None else np.zeros(horizon + 1, dtype=np.int64)

    def count_failures(self, t: int, failed: np.ndarray | None) -> None:
        """Add the failed fits of generation ``t`` (a boolean per replication; None: the
        family's fits cannot fail)."""
        if self.failures is not None and failed is not None:
            self.failures[t] += int(np.count_nonzero(failed))

    def record(self, t: int, start: int, params: Any) -> None:
        """Store generation ``t`` of replications ``start, start + 1, ...`` if it is recorded."""
        if t >= self.slot.size or self.slot[t] < 0:
            return
        j = self.slot[t]
        if self.flat is not None:
            values = self.family.flatten(params)
            self.flat[start : start + values.shape[0], j] = values
        for name, values in compute_metrics(
            self.family, params, self.metric_names, self.eps
        ).items():
            self.metrics[name][start : start + values.shape[0], j] = values


#: The metric whose ratio ``E err_t / E err_0`` is compared with the risk inflation ``1 + r_t``
#: for the families other than the Gaussian (the first of these a family has).
_INFLATION_BASES = ("param_error", "prob_error", "cdf_error", "mean_error")
#: Name of the derived row ``E err_t / E err_0`` in :meth:`SimulationResult.summary`.
INFLATION = "inflation"
#: Largest synthetic size for the exact expected number of lost categorical cells (a
#: ``(n + 1) x (n + 1)`` transition matrix).
_CELLS_LOST_MAX_N = 2000


@dataclass(frozen=True)
class Expectation:
    """The theory's expected value of one simulated metric at the recorded generations.

    Attributes
    ----------
    metric : str
        The metric (or :data:`INFLATION`, the ratio ``E err_t / E err_0`` of :attr:`base`).
    values : numpy.ndarray
        Expected values at the recorded generations, shape ``(G,)``.
    kind : {"exact", "first-order"}
        Exact for every sample size, or the first-order (large-sample) approximation.
    source : str
        The function of :mod:`modelcollapse.theory` that gives it.
    base : str or None
        For :data:`INFLATION`, the error metric whose ratio it is.
    """

    metric: str
    values: np.ndarray
    kind: str
    source: str
    base: str | None = None


def _theory_of(result: SimulationResult) -> tuple[dict[str, Expectation], str | None]:
    """The expected values the library has for ``result``'s metrics, and one line naming the
    metrics it has none for (None when every metric has one). Never uses the simulated values:
    only the run's settings (family, sizes, weights, shrinkage, eps)."""
    call = result._call
    regime = str(result.config.get("regime", "replace"))
    names = result.metric_names
    if regime != "replace":
        return {}, (
            f"no theory beside the simulation for the {regime} regime: simulate --theory covers "
            "the replace regime (see modelcollapse theory for the others)"
        )
    n0 = int(result.n_real[0])
    real = np.asarray(result.n_real[1:], dtype=int)
    synth = np.asarray(result.n_synth[1:], dtype=int)
    w = np.asarray(result.weights[1:], dtype=float)
    fresh = bool(np.any(real > 0))
    shrinkage = call.get("shrinkage")
    gens = result.generations
    out: dict[str, Expectation] = {}
    why: dict[str, str] = {}
    if result.family.name == "gaussian":
        _gaussian_theory(result, n0, real, synth, w, fresh, shrinkage, out, why)
    elif result.family.name == "ngram":
        _ngram_theory(result, n0, synth, fresh, out, why)
    else:
        _general_theory(result, n0, real, synth, w, fresh, shrinkage, out, why)
    out = {
        k: Expectation(v.metric, v.values[gens], v.kind, v.source, v.base) for k, v in out.items()
    }
    missing = [m for m in names if m not in out]
    if not missing:
        return out, None
    reasons: dict[str, list[str]] = {}
    for m in missing:
        reasons.setdefault(why.get(m, "no closed form in modelcollapse.theory"), []).append(m)
    note = "no theory for " + "; ".join(
        f"{', '.join(ms)} ({reason})" for reason, ms in reasons.items()
    )
    return out, note


def _gaussian_theory(
    result: SimulationResult,
    n0: int,
    real: np.ndarray,
    synth: np.ndarray,
    w: np.ndarray,
    fresh: bool,
    shrinkage: Any,
    out: dict[str, Expectation],
    why: dict[str, str],
) -> None:
    """Paper 1 (fully synthetic) and paper 2 (fresh data) for the Gaussian family."""
    from .theory import paper1, paper2

    family: Any = result.family  # the built-in family of that name
    names = result.metric_names
    d = int(family.dim)
    cov = np.atleast_2d(np.asarray(family.covariance(family.truth()), dtype=float))
    trace = float(np.trace(cov))
    s2 = trace / d
    variance, bias = family.variance, family.bias
    T = synth.size

    def put(metric: str, values: Any, kind: str, source: str) -> None:
        if metric in names:
            out[metric] = Expectation(metric, np.asarray(values, dtype=float), kind, source)

    if not fresh:
        chain = {"bias": bias, "shrinkage": shrinkage}
        p1 = "theory.paper1."
        mean, var = paper1.gaussian_variance_moments(n0, synth, variance, s2, **chain)
        put("sigma2", mean, "exact", p1 + "gaussian_variance_moments")
        put(
            "mean_error",
            paper1.gaussian_mean_variance(n0, synth, variance, trace, **chain),
            "exact",
            p1 + "gaussian_mean_variance",
        )
        if d == 1:
            if "collapsed" in names:
                prob = np.zeros(T + 1)
                gens = result.generations
                prob[gens] = paper1.collapse_probability(
                    n0, synth, result.eps, variance, s2, generations=gens, **chain
                )
                put("collapsed", prob, "exact", p1 + "collapse_probability")
            if "kl" in names or "risk" in names:
                kl = paper1.gaussian_expected_kl(n0, synth, variance, **chain)
                put("kl", kl, "exact", p1 + "gaussian_expected_kl")
                entropy = 0.5 * np.log(2.0 * np.pi * math.e * s2)
                put("risk", kl + entropy, "exact", p1 + "gaussian_expected_kl + entropy")
            put("cov_error", var + (mean - s2) ** 2, "exact", p1 + "gaussian_variance_moments")
        else:
            for m in ("collapsed", "kl", "risk"):
                why[m] = f"paper 1's law of sigma2_t is one-dimensional; dim={d}"
            if variance == "unbiased" and bias is None and shrinkage is None:
                put(
                    "cov_error",
                    paper2.gaussian_covariance_error(n0, real, synth, 0.0, cov),
                    "exact",
                    "theory.paper2.gaussian_covariance_error",
                )
            else:
                why["cov_error"] = "the exact covariance error needs the unbiased estimator"
        return
    # Fresh real data: paper 2. Exact when the covariance estimate is unbiased (per-source
    # unbiased covariances combined convexly, no bias, no shrinkage): E Sigma_t = Sigma.
    exact = (
        variance == "unbiased" and family.combine == "convex" and bias is None and shrinkage is None
    )
    p2 = "theory.paper2."
    if exact:
        put("sigma2", np.full(T + 1, s2), "exact", p2 + "gaussian_mean_error (E Sigma_t = Sigma)")
        put(
            "mean_error",
            paper2.gaussian_mean_error(n0, real, synth, w, trace),
            "exact",
            p2 + "gaussian_mean_error",
        )
        put(
            "cov_error",
            paper2.gaussian_covariance_error(n0, real, synth, w, cov),
            "exact",
            p2 + "gaussian_covariance_error",
        )
    else:
        why["sigma2"] = "E sigma2_t is exact only for unbiased convex estimates"
        put(
            "mean_error",
            paper2.weighted_error_recursion(n0, real, synth, w, trace),
            "first-order",
            p2 + "weighted_error_recursion (C = tr Sigma)",
        )
        put(
            "cov_error",
            paper2.weighted_error_recursion(
                n0, real, synth, w, paper2.model_constant("gaussian-covariance", cov=cov)
            ),
            "first-order",
            p2 + "weighted_error_recursion (C = tr Sigma^2 + (tr Sigma)^2)",
        )
    for m in ("collapsed", "kl", "risk"):
        why.setdefault(m, "no closed form with fresh real data")


def _ngram_theory(
    result: SimulationResult,
    n0: int,
    synth: np.ndarray,
    fresh: bool,
    out: dict[str, Expectation],
    why: dict[str, str],
) -> None:
    """The branching-process law of an n-gram model's lost tail (:mod:`modelcollapse.theory.
    ngram`): surviving n-grams, words the model can produce and lost mass, fully synthetic,
    from generation 0 = the whole training text, for an add-0 model."""
    from .lm.model import word_counts
    from .theory import ngram

    family: Any = result.family
    names = result.metric_names
    if fresh:
        why.update(dict.fromkeys(names, "the branching law is fully synthetic (no fresh text)"))
        return
    if n0 != family.tokens:
        reason = "generation 0 is a sample of the text; the law starts from the whole text"
        why.update(dict.fromkeys(names, reason))
        return
    if family.smoothing != "none":
        why.update(dict.fromkeys(names, "the law is the add-0 model's"))
        return
    source = "theory.ngram (Poisson branching)"
    counts = family.corpus.counts
    laws = {
        "distinct_ngrams": lambda: ngram.expected_surviving(counts, synth),
        "vocabulary": lambda: ngram.expected_surviving(
            word_counts(family.corpus), synth, n0=family.tokens
        ),
        "lost_mass": lambda: ngram.expected_lost_mass(counts, synth),
    }
    for metric, law in laws.items():
        if metric in names:
            out[metric] = Expectation(metric, law(), "first-order", source)


def _general_theory(
    result: SimulationResult,
    n0: int,
    real: np.ndarray,
    synth: np.ndarray,
    w: np.ndarray,
    fresh: bool,
    shrinkage: Any,
    out: dict[str, Expectation],
    why: dict[str, str],
) -> None:
    """The risk inflation of any asymptotically normal estimator: ``E err_t / E err_0`` tends
    to ``1 + r_t`` fully synthetic (paper 1), to ``n0 e_t / C`` with fresh data (paper 2's
    first-order recursion), plus the exact lost cells of a categorical family."""
    from .theory import discrete, paper1, paper2

    family: Any = result.family  # the built-in family of that name
    names = result.metric_names
    described = family.describe()
    if described.get("synthetic_cov") is not None:
        why.update(
            dict.fromkeys(names, "synthetic covariates follow another law than the real ones")
        )
        return
    if shrinkage is not None:
        why.update(dict.fromkeys(names, "shrinkage"))
        return
    base = next((m for m in _INFLATION_BASES if m in names), None)
    if base is not None and result.generations[0] != 0:
        why[base] = "its ratio to generation 0 needs generation 0 recorded"
    elif base is not None:
        why[base] = f"but its ratio to generation 0 does: the {INFLATION} row"
        if fresh:
            values = n0 * paper2.weighted_error_recursion(n0, real, synth, w, 1.0)
            source = "theory.paper2.weighted_error_recursion x n0"
        else:
            values = paper1.risk_inflation(n0, synth)
            source = "theory.paper1.risk_inflation"
        out[INFLATION] = Expectation(INFLATION, values, "first-order", source, base)
    T = synth.size
    # The iterated multinomial / empirical-CDF bootstrap: exact error paths at constant sizes.
    exact_model = {"categorical": "prob_error", "bernoulli": "prob_error", "cdf": "cdf_error"}
    metric = exact_model.get(family.name)
    constant = T > 0 and np.all(synth == synth[0]) and (not fresh or np.all(real == n0))
    if metric in names and constant and (not fresh or np.all(w == w[0])):
        model = "cdf" if family.name == "cdf" else "categorical"
        cells = {} if model == "cdf" else {"p": family.probabilities(family.truth())}
        path: np.ndarray | None
        if not fresh and n0 == synth[0]:
            path = paper2.fully_synthetic_error(model, n0, T, **cells)
            source = "theory.paper2.fully_synthetic_error"
        elif fresh:
            path = paper2.exact_error_path(model, float(w[0]), n0, int(synth[0]), T, **cells)
            source = "theory.paper2.exact_error_path"
        else:
            path = None
        if path is not None:
            out[metric] = Expectation(metric, path, "exact", source)
    if (
        family.name == "categorical"
        and "cells_lost" in names
        and not fresh
        and T > 0
        and np.all(synth == synth[0])
        and synth[0] <= _CELLS_LOST_MAX_N
    ):
        out["cells_lost"] = Expectation(
            "cells_lost",
            discrete.expected_cells_lost(family.p, int(synth[0]), T, n0),
            "exact",
            "theory.discrete.expected_cells_lost",
        )
    elif "cells_lost" in names:
        why["cells_lost"] = "exact only fully synthetic with a constant size up to 2000"


def _ratio_summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``E x_t / E x_0`` per column of ``values`` (shape ``(R, G)``) and its standard error by
    linearisation (the per-replication ``(x_t - ratio x_0) / E x_0``)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        first = values[:, 0].mean()
        ratio = values.mean(axis=0) / first
        r = values.shape[0]
        if r < 2:
            return ratio, np.full(ratio.shape, np.nan)
        resid = (values - ratio[None, :] * values[:, :1]) / first
        se = resid.std(axis=0, ddof=1) / np.sqrt(r)
    return ratio, se


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _mean_se(values: np.ndarray) -> str:
    """``"0.9963 (0.0141)"``: the mean and its standard error across replications."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2 or not np.isfinite(mean):
        return html.escape(f"{mean:.4g}")
    return html.escape(f"{mean:.4g} ({float(values.std(ddof=1)) / np.sqrt(values.size):.2g})")


class SimulationResult:
    """Recorded trajectories of a :func:`~modelcollapse.simulate` run.

    Attributes
    ----------
    family : Family
        The simulated family.
    generations : numpy.ndarray
        The recorded generations, shape ``(G,)``.
    params : parameter record
        Fitted parameters at the recorded generations, arrays of shape ``(R, G, ...)``
        (not kept for families with ``record_params = False``).
    metrics : dict of str to numpy.ndarray
        Metric values, each of shape ``(R, G)``.
    n_real, n_synth, weights : numpy.ndarray
        Sizes and real-data weight per generation ``t = 0..T`` (generation 0: ``n0`` real
        points, weight 1).
    config : dict
        JSON-serialisable configuration: family, sizes, engine, seed entropy, package version.

    Parameters
    ----------
    family : Family
        The simulated family.
    generations : numpy.ndarray
        The recorded generations, shape ``(G,)``.
    flat_params : numpy.ndarray or None
        Flattened fitted parameters, shape ``(R, G, p)`` (None when not kept).
    metrics : dict of str to numpy.ndarray
        Metric values, each of shape ``(R, G)``.
    eps : float
        The collapse threshold of the ``collapsed`` metric.
    n_real, n_synth, weights : numpy.ndarray
        Sizes and real-data weight per generation ``t = 0..T``.
    config : dict
        The run's configuration.
    call : dict
        The :func:`~modelcollapse.simulate` arguments, for :meth:`rerun`.

    Notes
    -----
    :func:`~modelcollapse.simulate` and :func:`~modelcollapse.load` build results; the
    constructor is not meant to be called directly.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
    ...                   replications=50, seed=0)
    >>> res
    <SimulationResult gaussian engine=exact schedule=constant:n=20 T=3 R=50>
    >>> res.metric_names
    ('mean_error', 'cov_error', 'kl', 'risk', 'sigma2', 'collapsed')
    >>> res.values("sigma2").shape
    (50, 4)
    """

    # Set only on a result read back by modelcollapse.storage.load: the saved provenance.
    provenance: dict[str, Any]

    def __init__(
        self,
        *,
        family: Family,
        generations: np.ndarray,
        flat_params: np.ndarray | None,
        metrics: dict[str, np.ndarray],
        eps: float,
        n_real: np.ndarray,
        n_synth: np.ndarray,
        weights: np.ndarray,
        config: dict[str, Any],
        call: dict[str, Any],
    ) -> None:
        self.family = family
        self.generations = np.asarray(generations)
        self.flat_params = flat_params
        self.metrics = metrics
        self.metric_names = tuple(metrics)
        self.eps = eps
        self.n_real = n_real
        self.n_synth = n_synth
        self.weights = weights
        self.config = config
        self._call = call

    @property
    def replications(self) -> int:
        """Number of replications ``R``."""
        return int(self.config["replications"])

    def _flat(self) -> np.ndarray:
        if self.flat_params is None:
            raise fail(
                "params",
                f"are not kept for the {self.family.name} family (its state is large); "
                "use the metrics",
                self.family.name,
            )
        return self.flat_params

    @cached_property
    def params(self) -> Any:
        """Fitted parameters at the recorded generations (arrays of shape ``(R, G, ...)``)."""
        return self.family.unflatten(self._flat())

    def values(self, name: str) -> np.ndarray:
        """Values of a metric or a parameter label, shape ``(R, G)``.

        Parameters
        ----------
        name : str
            A metric name (``"sigma2"``, ``"kl"``, ...) or a parameter label (``"mu"``, ...).

        Returns
        -------
        numpy.ndarray
            Shape ``(R, G)``: one row per replication, one column per recorded generation.

        Raises
        ------
        InvalidArgumentError
            If ``name`` is neither a recorded metric nor a parameter label.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0)
        >>> res.values("mu").shape, res.values("kl").shape
        ((50, 4), (50, 4))
        """
        if name in self.metric_names:
            return self.metrics[name]
        if name in self.family.param_labels:
            return self._flat()[:, :, self.family.param_labels.index(name)]
        allowed = (*self.metric_names, *self.family.param_labels)
        raise fail("name", f"must be one of {', '.join(allowed)}", name)

    def summary(
        self,
        metrics: Sequence[str] | None = None,
        quantiles: Sequence[float] = DEFAULT_QUANTILES,
        *,
        theory: bool = False,
    ) -> pd.DataFrame:
        """Per-generation summaries of each metric across replications.

        Parameters
        ----------
        metrics : sequence of str, optional
            Metrics to summarise (default: all recorded).
        quantiles : sequence of float
            Quantiles to report.
        theory : bool
            Add the theory's expected value beside each simulated mean (:meth:`theory`):
            columns ``theory`` (NaN where the library has none) and ``theory_kind``
            (``"exact"``, ``"first-order"`` or None), and, for the families other than the
            Gaussian, rows for the metric ``"inflation"``: the simulated ``E err_t / E err_0``
            of the family's squared parameter error (``mean`` and a linearised ``se``; the other
            statistics NaN) beside the risk inflation ``1 + r_t`` (first-order).
            :meth:`theory_note` names the metrics without theory.

        Returns
        -------
        pandas.DataFrame
            One row per (generation, metric) with columns ``generation, metric, mean, se, sd,
            min, q05, q25, median, q75, q95, max`` (quantile columns follow ``quantiles``).
            ``se`` is the Monte Carlo standard error of the mean. With one replication
            (``R = 1``) ``sd`` and ``se`` are NaN by design (no spread to estimate), see
            :func:`summarize`.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=100, schedule=100, generations=10,
        ...                   replications=2000, seed=1, metrics=["sigma2"])
        >>> row = res.summary(theory=True).iloc[-1]
        >>> row["theory_kind"], round(float(row["theory"]), 6)
        ('exact', 1.0)
        >>> bool(abs(row["mean"] - row["theory"]) < 4 * row["se"])
        True
        """
        names = self.metric_names if metrics is None else tuple(metrics)
        frames = []
        for name in names:
            stats = summarize(self.values(name), quantiles)
            frame = pd.DataFrame({"generation": self.generations, "metric": name, **stats})
            frames.append(frame)
        if theory:
            expected = self.theory()
            for frame, name in zip(frames, names, strict=True):
                if name in expected:
                    frame["theory"] = expected[name].values
                    frame["theory_kind"] = expected[name].kind
                else:
                    frame["theory"] = np.nan
                    frame["theory_kind"] = None
            inflation = expected.get(INFLATION)
            if inflation is not None and (metrics is None or INFLATION in names):
                assert inflation.base is not None
                ratio, se = _ratio_summary(self.values(inflation.base))
                columns = frames[0].columns if frames else ["generation", "metric", "mean"]
                frame = pd.DataFrame(
                    {c: np.nan for c in columns if c not in ("generation", "metric")},
                    index=range(self.generations.size),
                )
                frame.insert(0, "metric", INFLATION)
                frame.insert(0, "generation", self.generations)
                frame["mean"], frame["se"] = ratio, se
                frame["theory"], frame["theory_kind"] = inflation.values, inflation.kind
                frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["generation", "metric"], kind="stable", ignore_index=True)

    @cached_property
    def _theory(self) -> tuple[dict[str, Expectation], str | None]:
        return _theory_of(self)

    def theory(self) -> dict[str, Expectation]:
        """The theory's expected value of each simulated metric, where the library has one.

        Computed from the run's settings alone (never from the simulated values), by the
        functions of :mod:`modelcollapse.theory`, for the replace regime:

        - Gaussian, fully synthetic (paper 1): ``E sigma2_t``, ``E|mu_t - mu|^2`` (any
          dimension, either estimator, bias and shrinkage included), and in one dimension
          ``P(sigma2_t <= eps)``, ``E KL``, ``E risk`` and ``E (sigma2_t - sigma2)^2``; all exact.
        - Gaussian with fresh real data (paper 2): ``E|mu_t - mu|^2``, ``E sigma2_t`` and the
          covariance error, exact for unbiased per-source estimates combined convexly
          (weights ``w(t)`` as the run used them), first-order otherwise.
        - Other families: the risk inflation ``E err_t / E err_0`` of the first squared error
          among ``param_error, mean_error, prob_error, cdf_error``, first-order:
          ``1 + r_t = 1 + n0 sum_{s<=t} 1/n_s`` fully synthetic, ``n0 e_t / C`` from paper 2's
          recursion with fresh data (the key :data:`INFLATION`); a categorical family's
          expected lost cells, exact (fully synthetic, constant size).

        Returns
        -------
        dict of str to Expectation
            Keyed by metric name; each holds the expected ``values`` over the recorded
            generations, their ``kind`` (``"exact"`` or ``"first-order"``) and ``source``.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0)
        >>> expected = res.theory()["sigma2"]
        >>> expected.kind, expected.values.round(6).tolist()
        ('exact', [1.0, 1.0, 1.0, 1.0])
        """
        return dict(self._theory[0])

    def theory_note(self) -> str | None:
        """One line naming the recorded metrics without theory and why (None when all have).

        Returns
        -------
        str or None
            The note, or None when :meth:`theory` covers every recorded metric.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0)
        >>> print(res.theory_note())
        None
        >>> res = mc.simulate(mc.Poisson(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0, metrics=["kl"])
        >>> res.theory_note()
        'no theory for kl (no closed form in modelcollapse.theory)'
        """
        return self._theory[1]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (replication, generation), a column per parameter and metric;
        ``frame.attrs["config"]`` holds the run's configuration (:attr:`config`).

        Returns
        -------
        pandas.DataFrame
            ``R x G`` rows; columns ``replication``, ``generation``, then the parameter labels
            (when kept) and the metric names.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0, metrics=["sigma2"])
        >>> frame = res.to_frame()
        >>> frame.shape, list(frame.columns)
        ((200, 4), ['replication', 'generation', 'mu', 'sigma2'])
        """
        r, g = self.replications, self.generations.size
        data: dict[str, np.ndarray] = {
            "replication": np.repeat(np.arange(r), g),
            "generation": np.tile(self.generations, r),
        }
        if self.flat_params is not None:
            for i, label in enumerate(self.family.param_labels):
                data[label] = self.flat_params[:, :, i].ravel()
        for name in self.metric_names:
            data[name] = self.metrics[name].ravel()
        frame = pd.DataFrame(data)
        frame.attrs["config"] = copy.deepcopy(self.config)
        return frame

    def to_xarray(self) -> Any:
        """The result as an ``xarray.Dataset`` (needs xarray: the ``xarray`` extra).

        Each metric is a variable over the dimensions ``replication`` and ``generation`` (the
        recorded generations are its coordinate); the flattened parameters are the variable
        ``params`` over ``replication``, ``generation`` and ``parameter`` (their labels). The
        attributes hold the configuration (``config``, as JSON text so that the Dataset can be
        written to netCDF), the family's name, the engine, ``eps`` and the package version.

        Returns
        -------
        xarray.Dataset
            Variables per metric (and ``params``) with the configuration in its attributes.

        Raises
        ------
        InvalidArgumentError
            If xarray is not installed.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0)
        >>> ds = res.to_xarray()
        >>> dict(ds.sizes), ds["sigma2"].dims
        ({'replication': 50, 'generation': 4, 'parameter': 2}, ('replication', 'generation'))
        """
        try:
            import xarray as xr
        except ImportError:
            raise fail(
                "xarray", "to_xarray needs xarray: pip install modelcollapse[xarray]", "xarray"
            ) from None
        import json

        dims = ("replication", "generation")
        variables: dict[str, Any] = {
            name: (dims, np.asarray(values)) for name, values in self.metrics.items()
        }
        coords: dict[str, Any] = {
            "replication": np.arange(self.replications),
            "generation": np.asarray(self.generations),
        }
        if self.flat_params is not None:
            variables["params"] = ((*dims, "parameter"), self.flat_params)
            coords["parameter"] = list(self.family.param_labels)
        attrs = {
            "config": json.dumps(self.config, default=str),
            "family": self.config["family"]["family"],
            "engine": self.config["engine"],
            "eps": self.eps,
            "modelcollapse_version": str(self.config.get("version")),
        }
        return xr.Dataset(variables, coords=coords, attrs=attrs)

    def plot(
        self,
        metric: str,
        ax: Any = None,
        quantiles: tuple[float, float] = (0.1, 0.9),
    ) -> Any:
        """The mean of ``metric`` over the recorded generations with a band between two of its
        quantiles across replications.

        Parameters
        ----------
        metric : str
            A recorded metric (:attr:`metric_names`).
        ax : matplotlib Axes, optional
            Where to draw; default a new figure's (matplotlib's object API: no pyplot state).
        quantiles : (float, float)
            The band's lower and upper quantiles (default the 10% and 90% ones).

        Returns
        -------
        matplotlib.axes.Axes
            With the axis labels, the metric's unit and a legend. A metric with infinite
            values (a collapsed variance's KL) plots the mean of its finite values and says
            how many were infinite.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=10,
        ...                   replications=200, seed=0)
        >>> ax = res.plot("sigma2")
        >>> ax.get_xlabel()
        'generation t'
        """
        from .metrics import axis_label
        from .plots import new_figure

        if metric not in self.metric_names:
            raise fail(
                "metric", f"must be a recorded metric: {', '.join(self.metric_names)}", metric
            )
        values = self.values(metric)
        low, high = (check_probability(f"quantiles[{i}]", q) for i, q in enumerate(quantiles))
        if not low < high:
            raise fail("quantiles", "must be two increasing probabilities", quantiles)
        if ax is None:
            _, axes = new_figure()
            ax = axes[0]
        finite = np.isfinite(values)
        kept = np.where(finite, values, np.nan)
        with warnings.catch_warnings():  # a generation whose values are all infinite: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(kept, axis=0) if finite.any() else np.full(values.shape[1], np.nan)
            band = np.nanquantile(kept, [low, high], axis=0) if finite.any() else None
        lost = int(values.size - finite.sum())
        label = "mean" if not lost else f"mean of finite values ({lost:,} infinite)"
        spread = f"{low:g}-{high:g} quantiles" + ("" if not lost else " of finite values")
        x = self.generations
        if band is not None:
            ax.fill_between(x, band[0], band[1], alpha=0.25, label=spread)
        ax.plot(x, mean, marker="o", markersize=3, linewidth=1.0, label=label)
        ax.set_xlabel("generation t")
        ax.set_ylabel(axis_label(metric, metric))
        ax.set_title(f"{self.config['family']['family']}: {metric}, R = {self.replications:,}")
        ax.legend()
        return ax

    def _repr_html_(self) -> str:
        """The configuration and, per metric, the mean and standard error at the first and the
        last recorded generation (a notebook's display)."""
        c = self.config
        family = ", ".join(f"{k}={v}" for k, v in c["family"].items() if k != "family")
        settings = [
            ("family", f"{c['family']['family']} ({family})"),
            ("engine", c["engine"]),
            ("regime", c["regime"]),
            ("n0, schedule, n_real", f"{c['n0']}, {c['schedule']}, {c['n_real']}"),
            ("weight", c["weight"]),
            ("shrinkage", c["shrinkage"]),
            ("generations T, replications R", f"{c['generations']:,}, {c['replications']:,}"),
            ("seed", c["seed"]["entropy"]),
            ("version", c["version"]),
        ]
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(_short(v))}</td></tr>"
            for k, v in settings
            if v is not None
        )
        first, last = self.generations[0], self.generations[-1]
        head = (
            f"<tr><th>metric</th><th>mean (se) at t = {first}</th>"
            f"<th>mean (se) at t = {last}</th></tr>"
        )
        body = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{_mean_se(self.metrics[name][:, 0])}</td>"
            f"<td>{_mean_se(self.metrics[name][:, -1])}</td></tr>"
            for name in self.metric_names
        )
        return (
            f"<div><p><b>SimulationResult</b></p><table>{rows}</table>"
            f"<table>{head}{body}</table></div>"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the result to a Parquet file that :func:`modelcollapse.load` reads back exactly:
        values, generations, metrics, parameters, the configuration and the provenance of the
        package that wrote it (:mod:`modelcollapse.storage`; needs pyarrow).

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced atomically if it exists).

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import tempfile, pathlib, modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0)
        >>> path = res.save(pathlib.Path(tempfile.mkdtemp()) / "run.parquet")
        >>> bool((mc.load(path).flat_params == res.flat_params).all())
        True
        """
        from .storage import save

        return save(self, path)

    def rerun(self, **changes: Any) -> SimulationResult:
        """Run the same simulation again (same seed), optionally changing arguments.

        Parameters
        ----------
        **changes
            Keyword arguments of :func:`~modelcollapse.simulate` that replace the original
            ones (e.g. ``replications=...``, ``eps=...``). ``record`` is the original
            argument (``"auto"``, ``"all"``, ``"final"`` or a list of generations), so a new
            ``generations`` with the default records the new horizon.

        Returns
        -------
        SimulationResult
            The new run's result.

        Examples
        --------
        >>> import modelcollapse as mc
        >>> res = mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3,
        ...                   replications=50, seed=0, metrics=["sigma2"])
        >>> bool((res.rerun().values("sigma2") == res.values("sigma2")).all())
        True
        >>> res.rerun(replications=80).values("sigma2").shape
        (80, 4)
        >>> res.rerun(generations=6).generations.tolist()
        [0, 1, 2, 3, 4, 5, 6]
        """
        from .engine import simulate

        return simulate(**{**self._call, **changes})

    def __repr__(self) -> str:
        c = self.config
        return (
            f"<SimulationResult {c['family']['family']} engine={c['engine']} "
            f"schedule={c['schedule']} T={c['generations']} R={c['replications']}>"
        )
