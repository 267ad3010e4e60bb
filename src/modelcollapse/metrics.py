"""Metrics: errors of the fitted models against the truth.

A metric is a function of a family, the true parameters, the fitted parameters (any leading
batch shape, typically ``(replications, generations)``) and the collapse threshold ``eps``. A
metric is offered for a family exactly when the family has the hook the metric needs.

===================  ================================================  ===================
name                 value                                             family hook
===================  ================================================  ===================
``mean_error``       ``|mean - mean*|^2``                              ``mean``
``cov_error``        ``(sigma2 - sigma2*)^2``, Frobenius ``|.|^2``     ``covariance``
``kl``               ``KL(truth || model)``                            ``kl``
``risk``             population risk ``E_truth[-log p_model(X)]``      ``cross_entropy``
``sigma2``           variance (1-D) or ``tr(cov)/d``                   ``scale``
``collapsed``        1 where ``sigma2 <= eps``, else 0                 ``scale``
``prob_error``       ``mean_k (p_k - p*_k)^2`` (paper 2's convention)  ``probabilities``
``cells_lost``       number of cells with ``p_k = 0``                  ``probabilities``
``param_error``      ``|theta - theta*|^2`` (coefficients)             ``coefficients``
``fit_failed``       1 where the fit failed (no estimate), else 0      ``converged``
``cdf_error``        ``int (F_t - F)^2 dF`` (exact, nonparametric)     ``cdf_error``
``distinct_ngrams``  n-grams a language model keeps                    ``distinct_ngrams``
``vocabulary``       tokens in a kept n-gram                           ``vocabulary``
``lost_mass``        real token mass on lost n-grams                   ``lost_mass``
``perplexity``       held-out perplexity                               ``perplexity``
``context_error``    per-context squared error, mean over contexts     ``context_error``
===================  ================================================  ===================

Each metric records its unit (:attr:`Metric.unit`: squared data units, nats, probability^2,
cells, ...); :func:`axis_label` puts it on a plot's axis.

A collapsed variance (exactly zero after underflow) gives ``kl = risk = inf`` deliberately, as
does an absorbing boundary of a discrete family (``lam = 0``, ``p`` in ``{0, 1}``, a lost cell);
a failed fit (a GLM on separable data: the MLE does not exist) has ``param_error = inf`` and
``fit_failed = 1``. No metric returns NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import fail
from .families.base import Family
from .families.capabilities import capabilities_of

__all__ = ["METRICS", "Metric", "available_metrics", "axis_label", "compute_metrics"]


def _sum_trailing(x: np.ndarray, ndim: int) -> np.ndarray:
    return x if ndim == 0 else np.sum(x, axis=tuple(range(-ndim, 0)))


def _mean_error(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    true_mean = np.asarray(family.mean(truth))
    return _sum_trailing((family.mean(params) - true_mean) ** 2, true_mean.ndim)


def _cov_error(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    true_cov = np.asarray(family.covariance(truth))
    return _sum_trailing((family.covariance(params) - true_cov) ** 2, true_cov.ndim)


def _prob_error(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    true_p = np.asarray(family.probabilities(truth))
    return np.mean((family.probabilities(params) - true_p) ** 2, axis=-1)


def _param_error(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    true_coef = np.asarray(family.coefficients(truth), dtype=float)
    diff = np.asarray(family.coefficients(params), dtype=float) - true_coef
    err = _sum_trailing(diff * diff, true_coef.ndim)
    return np.where(np.isnan(err), np.inf, err)  # NaN coefficients: a failed fit


def _fit_failed(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    return 1.0 - np.asarray(family.converged(params), dtype=float)


def _cells_lost(family: Any, truth: Any, params: Any, eps: float) -> np.ndarray:
    return np.sum(np.asarray(family.probabilities(params)) <= 0.0, axis=-1).astype(float)


@dataclass(frozen=True)
class Metric:
    """A named metric with the family hook it needs and the unit of its values (used in axis
    labels: squared data units for a squared error of the mean, nats for a KL, ...)."""

    name: str
    description: str
    hook: str
    func: Callable[[Any, Any, Any, float], np.ndarray]
    unit: str = ""


#: Every metric by name (see the table above); :func:`available_metrics` gives a family's.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "mean_error",
            "squared error of the mean",
            "mean",
            _mean_error,
            unit="squared data units",
        ),
        Metric(
            "cov_error",
            "squared (Frobenius) error of the (co)variance",
            "covariance",
            _cov_error,
            unit="squared variance units",
        ),
        Metric("kl", "KL(truth || model)", "kl", lambda f, t, p, e: f.kl(t, p), unit="nats"),
        Metric(
            "risk",
            "population risk E_truth[-log p_model(X)]",
            "cross_entropy",
            lambda f, t, p, e: f.cross_entropy(t, p),
            unit="nats",
        ),
        Metric(
            "sigma2",
            "variance (mean variance tr(cov)/d in d dimensions)",
            "scale",
            lambda f, t, p, e: f.scale(p),
            unit="variance units",
        ),
        Metric(
            "collapsed",
            "1 if sigma2 <= eps else 0",
            "scale",
            lambda f, t, p, e: (f.scale(p) <= e).astype(float),
            unit="fraction of replications",
        ),
        Metric(
            "prob_error",
            "squared error of the cell probabilities, mean over cells",
            "probabilities",
            _prob_error,
            unit="probability^2",
        ),
        Metric(
            "cells_lost",
            "number of cells whose probability has reached 0",
            "probabilities",
            _cells_lost,
            unit="cells",
        ),
        Metric(
            "param_error",
            "squared error of the coefficient vector |theta - theta*|^2 (inf for a failed fit)",
            "coefficients",
            _param_error,
            unit="squared coefficient units",
        ),
        Metric(
            "fit_failed",
            "1 where the fit failed (separation, divergence: no estimate), else 0",
            "converged",
            _fit_failed,
            unit="fraction of replications",
        ),
        Metric(
            "cdf_error",
            "int (F_t - F)^2 dF of a nonparametric fit, exact from its atoms",
            "cdf_error",
            lambda f, t, p, e: f.cdf_error(p),
            unit="probability^2",
        ),
        Metric(
            "distinct_ngrams",
            "distinct n-grams the language model keeps",
            "distinct_ngrams",
            lambda f, t, p, e: f.distinct_ngrams(p),
            unit="n-grams",
        ),
        Metric(
            "vocabulary",
            "tokens in at least one kept n-gram",
            "vocabulary",
            lambda f, t, p, e: f.vocabulary(p),
            unit="tokens",
        ),
        Metric(
            "lost_mass",
            "the real text's token mass on the n-grams the model has lost",
            "lost_mass",
            lambda f, t, p, e: f.lost_mass(p),
            unit="probability",
        ),
        Metric(
            "perplexity",
            "held-out perplexity (terms of an add-0 model floored)",
            "perplexity",
            lambda f, t, p, e: f.perplexity(p),
            unit="perplexity",
        ),
        Metric(
            "context_error",
            "mean over frequent contexts of sum_x (p(x|c) - p*(x|c))^2",
            "context_error",
            lambda f, t, p, e: f.context_error(p),
            unit="probability^2",
        ),
    )
}


def available_metrics(family: Family) -> tuple[str, ...]:
    """Names of the metrics the family supports, in the table's order."""
    hooks = capabilities_of(family).hooks
    return tuple(name for name, m in METRICS.items() if m.hook in hooks)


def compute_metrics(
    family: Family,
    params: Any,
    names: Sequence[str] | None = None,
    eps: float = 0.05,
) -> dict[str, np.ndarray]:
    """Evaluate metrics of fitted ``params`` (any batch shape) against the family's truth.

    Parameters
    ----------
    family : Family
        The family that produced ``params``.
    params : parameter record
        Arrays with leading batch axes, e.g. ``(replications, generations)``.
    names : sequence of str, optional
        Metric names; default: every metric the family supports.
    eps : float
        Collapse threshold for ``collapsed``.

    Returns
    -------
    dict of str to numpy.ndarray
        One array of the batch shape per metric.
    """
    supported = available_metrics(family)
    chosen = supported if names is None else tuple(names)
    for name in chosen:
        if name not in supported:
            raise fail("metrics", f"must be among {', '.join(supported)} for this family", name)
    truth = family.truth()
    with np.errstate(divide="ignore", over="ignore"):
        return {
            name: np.asarray(METRICS[name].func(family, truth, params, eps), dtype=float)
            for name in chosen
        }


def axis_label(metric: str, what: str | None = None) -> str:
    """An axis label for values of ``metric``: ``what`` (the metric's description by default)
    followed by its unit in parentheses, e.g. ``"mean error (squared data units)"``."""
    if metric not in METRICS:
        raise fail("metric", f"must be one of {', '.join(METRICS)}", metric)
    entry = METRICS[metric]
    return f"{what or entry.description} ({entry.unit})"
