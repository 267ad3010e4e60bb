"""The result of a simulation: recorded parameters, metrics and provenance."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ._validation import fail
from .families.base import Family
from .metrics import compute_metrics

__all__ = ["DEFAULT_QUANTILES", "Recorder", "SimulationResult", "summarize"]

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
    """

    def __init__(
        self,
        family: Family,
        replications: int,
        record_at: np.ndarray,
        metric_names: Sequence[str],
        eps: float,
    ) -> None:
        self.family = family
        self.generations = np.asarray(record_at)
        self.metric_names = tuple(metric_names)
        self.eps = eps
        self.slot = np.full(int(self.generations.max(initial=0)) + 1, -1)
        self.slot[self.generations] = np.arange(self.generations.size)
        shape = (replications, self.generations.size)
        keep = getattr(family, "record_params", True)
        self.flat = np.empty((*shape, len(family.param_labels))) if keep else None
        self.metrics = {name: np.empty(shape) for name in self.metric_names}

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
    """

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
    ) -> pd.DataFrame:
        """Per-generation summaries of each metric across replications.

        Returns
        -------
        pandas.DataFrame
            One row per (generation, metric) with columns ``generation, metric, mean, se, sd,
            min, q05, q25, median, q75, q95, max`` (quantile columns follow ``quantiles``).
            ``se`` is the Monte Carlo standard error of the mean. With one replication
            (``R = 1``) ``sd`` and ``se`` are NaN by design (no spread to estimate), see
            :func:`summarize`.
        """
        names = self.metric_names if metrics is None else tuple(metrics)
        frames = []
        for name in names:
            stats = summarize(self.values(name), quantiles)
            frame = pd.DataFrame({"generation": self.generations, "metric": name, **stats})
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["generation", "metric"], kind="stable", ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (replication, generation), a column per parameter and metric."""
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
        return pd.DataFrame(data)

    def rerun(self, **changes: Any) -> SimulationResult:
        """Run the same simulation again (same seed), optionally changing arguments."""
        from .engine import simulate

        return simulate(**{**self._call, **changes})

    def __repr__(self) -> str:
        c = self.config
        return (
            f"<SimulationResult {c['family']['family']} engine={c['engine']} "
            f"schedule={c['schedule']} T={c['generations']} R={c['replications']}>"
        )
