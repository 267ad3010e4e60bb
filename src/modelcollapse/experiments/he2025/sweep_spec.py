"""Paper 2's weight sweeps as data: the panels (a family, the metric the paper plots, and its
theory), the two scales of a sweep experiment, and the panels of Figures 8 and 9."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import theory
from ...families import make_family
from .common import INV_PHI, PAPER

__all__ = [
    "PAPER",
    "WEIGHT_GRID",
    "Panel",
    "Scale",
    "SweepSpec",
    "model_panels",
]

#: Figure 8's weight grid: 0.20, 0.22, ..., 0.80, plus 1/phi.
WEIGHT_GRID = np.unique(np.append(np.round(np.arange(0.20, 0.8001, 0.02), 2), INV_PHI))


@dataclass(frozen=True)
class Panel:
    """One panel of a weight sweep: a family, the metric the paper plots, and its theory."""

    key: str
    title: str
    family: Callable[[], Any]
    metric: str
    constant: float
    exact: tuple[str, dict[str, Any]] | None = None
    engine: str = "exact"
    shared_with: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: ``C_synth / C_real``: a synthetic fit's constant over a real fit's. 1 when the real data
    #: follow the model; otherwise (a pseudo-truth fitted to a real table) the first-order error
    #: is ``C_real R(w, k C_synth/C_real)/n`` and the optimal weight ``w*(k C_synth/C_real)``.
    k_scale: float = 1.0

    def k_eff(self, k: float) -> float:
        """The effective ``k`` of the first-order theory at ``k = n/m``."""
        return float(theory.effective_k(k, 1.0, self.k_scale))

    @property
    def theory_kind(self) -> str:
        """``"exact"`` (a finite-n law) or ``"first-order"`` (``C R(w, k)/n``)."""
        return "exact" if self.exact is not None else "first-order"


@dataclass(frozen=True)
class Scale:
    """One scale of a sweep experiment (the paper's or the quick one), as data."""

    #: Generations simulated.
    generations: int
    #: The first and last generation (inclusive) averaged into each replication's error.
    first: int
    last: int
    #: The grid swept: weights (Figures 8 and 10) or values of ``k = n/m`` (Figure 9).
    grid: tuple[float, ...]
    #: The grid's step, for the notes.
    step: float

    @property
    def window(self) -> np.ndarray:
        """The generations averaged, ``first..last``."""
        return np.arange(self.first, self.last + 1)

    @property
    def values(self) -> np.ndarray:
        """The grid as an array."""
        return np.asarray(self.grid, dtype=float)


@dataclass(frozen=True)
class SweepSpec:
    """A sweep experiment as data: the real sample size ``n``, the synthetic one ``m`` (None
    where the grid sets it), the models' dimension ``p`` (None for data tables), and its two
    scales."""

    n: int
    m: int | None
    p: int | None
    paper: Scale
    quick: Scale

    def scale(self, quick: bool) -> Scale:
        """The quick scale or the paper's."""
        return self.quick if quick else self.paper


def model_panels(p: int) -> list[Panel]:
    """The panels of Figures 8 and 9: the Gaussian mean and covariance (one simulation), the
    linear, logistic and Poisson regressions, and the nonparametric CDF, in dimension ``p``.

    Parameters
    ----------
    p : int
        The dimension of the Gaussian and of the regressions' covariates.

    Returns
    -------
    list of Panel
    """
    cov = np.eye(p)
    return [
        Panel(
            "mean",
            "(a) Gaussian mean",
            lambda: make_family("gaussian", dim=p),
            "mean_error",
            float(p),
            exact=("mean", {"trace": float(p)}),
            shared_with="gaussian",
        ),
        Panel(
            "covariance",
            "(b) Gaussian covariance (Frobenius^2)",
            lambda: make_family("gaussian", dim=p),
            "cov_error",
            theory.model_constant("gaussian-covariance", cov=cov),
            exact=("covariance", {"cov": cov}),
            shared_with="gaussian",
        ),
        Panel(
            "linear",
            "(c) linear regression, random design",
            lambda: make_family("linear-random", beta=np.ones(p), cov=1.0),
            "param_error",
            theory.model_constant("linear-random", cov_x=cov),
            engine="exact",
        ),
        Panel(
            "logistic",
            "(d) logistic regression",
            lambda: make_family("logistic", beta=np.ones(p), cov=1.0),
            "param_error",
            theory.model_constant("logistic", beta=np.ones(p), cov_x=cov),
            engine="sample",
        ),
        Panel(
            "poisson",
            "(e) Poisson regression",
            lambda: make_family("poisson-regression", beta=np.ones(p), cov=1.0, clip=20.0),
            "param_error",
            theory.model_constant("poisson-regression", beta=np.ones(p), cov_x=cov),
            engine="sample",
        ),
        Panel(
            "cdf",
            "(f) nonparametric CDF",
            lambda: make_family("cdf"),
            "cdf_error",
            1.0 / 6.0,
            exact=("cdf", {}),
            engine="sample",
        ),
    ]
