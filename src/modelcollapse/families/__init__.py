"""Statistical families with their estimators (see :mod:`modelcollapse.families.base`)."""

from __future__ import annotations

from typing import Any

from .._validation import fail
from ._regression import RegressionParams
from .asymptotic import AsymptoticFamily, Estimate
from .base import Family
from .bernoulli import Bernoulli, BernoulliParams
from .capabilities import Capabilities, capabilities_of
from .categorical import Categorical, CategoricalParams, CategoricalStats
from .empirical import ContinuousLaw, EmpiricalCDF, EmpiricalModel, SampleStats
from .exponential import ExponentialDistribution, ExponentialParams
from .gamma import GammaDistribution, GammaParams, GammaStats
from .gaussian import Gaussian, GaussianParams, GaussianStats, MultivariateGaussian
from .generic import GenericParams, LogDensityFamily, PointData, ScipyFamily
from .glm import GLMData, GLMParams, LogisticRegression, PoissonRegression
from .linear import (
    FixedDesignParams,
    FixedDesignStats,
    LinearRegressionFixed,
    LinearRegressionRandom,
    RegressionStats,
)
from .poisson import Poisson, PoissonParams
from .table_glm import LogisticTable
from .table_source import TableSource

__all__ = [
    "FAMILY_NAMES",
    "TABLE_FAMILY_NAMES",
    "AsymptoticFamily",
    "Bernoulli",
    "BernoulliParams",
    "Capabilities",
    "Categorical",
    "CategoricalParams",
    "CategoricalStats",
    "ContinuousLaw",
    "EmpiricalCDF",
    "EmpiricalModel",
    "Estimate",
    "ExponentialDistribution",
    "ExponentialParams",
    "Family",
    "FixedDesignParams",
    "FixedDesignStats",
    "GLMData",
    "GLMParams",
    "GammaDistribution",
    "GammaParams",
    "GammaStats",
    "Gaussian",
    "GaussianParams",
    "GaussianStats",
    "GenericParams",
    "LinearRegressionFixed",
    "LinearRegressionRandom",
    "LogDensityFamily",
    "LogisticRegression",
    "LogisticTable",
    "MultivariateGaussian",
    "PointData",
    "Poisson",
    "PoissonParams",
    "PoissonRegression",
    "RegressionParams",
    "RegressionStats",
    "SampleStats",
    "ScipyFamily",
    "TableSource",
    "capabilities_of",
    "make_family",
]

#: Names accepted by :func:`make_family` and the command line's ``--family``.
FAMILY_NAMES = (
    "gaussian",
    "exponential",
    "poisson",
    "bernoulli",
    "categorical",
    "gamma",
    "linear-fixed",
    "linear-random",
    "logistic",
    "poisson-regression",
    "cdf",
)

#: Families built on a user's data table (``make_family(name, x=..., y=...)``); not offered by
#: the command line's ``--family``, which has no table to give them.
TABLE_FAMILY_NAMES = ("logistic-table",)

#: Options of the paper-2 families, passed to their constructors.
_OPTIONS = {
    "linear-fixed": ("design", "beta", "dim", "n", "sigma2", "cov", "seed"),
    "linear-random": ("beta", "dim", "sigma2", "cov", "synthetic_cov"),
    "logistic": ("beta", "dim", "cov", "synthetic_cov", "penalty"),
    "poisson-regression": ("beta", "dim", "cov", "synthetic_cov", "clip"),
    "cdf": ("law",),
    "logistic-table": ("x", "y", "columns", "penalty"),
}
_CLASSES = {
    "linear-fixed": LinearRegressionFixed,
    "linear-random": LinearRegressionRandom,
    "logistic": LogisticRegression,
    "poisson-regression": PoissonRegression,
    "cdf": EmpiricalCDF,
    "logistic-table": LogisticTable,
}


def make_family(name: str, **options: Any) -> Family:
    """Build a family from its registry name and options.

    Parameters
    ----------
    name : str
        One of :data:`FAMILY_NAMES` or :data:`TABLE_FAMILY_NAMES`.
    **options
        ``"gaussian"``: ``dim`` (default 1), ``mu``, ``sigma2`` (the truth is
        ``N(mu 1_d, sigma2 I_d)``), ``variance``, ``combine`` and ``bias``.
        ``"exponential"``: ``rate``, ``estimator`` (``"mle"`` or ``"unbiased"``).
        ``"poisson"``: ``lam``.
        ``"bernoulli"``: ``p``.
        ``"categorical"``: ``p`` (the cell probabilities) or ``k`` (uniform on ``k`` cells).
        ``"gamma"``: ``shape``, ``rate``.
        ``"linear-fixed"``: ``design`` (``n x p``) or a design of ``n`` rows drawn from
        ``N(0, cov)`` with ``seed``; ``beta`` (a vector, or a number repeated ``dim`` times),
        ``sigma2``.
        ``"linear-random"``: ``beta``, ``dim``, ``sigma2``, ``cov`` (real covariates),
        ``synthetic_cov`` (synthetic covariates; default ``cov``).
        ``"logistic"``: ``beta``, ``dim``, ``cov``, ``synthetic_cov``, ``penalty``
        (``"none"`` or ``"l2-sklearn"``).
        ``"poisson-regression"``: ``beta``, ``dim``, ``cov``, ``synthetic_cov``, ``clip``.
        ``"cdf"``: ``law``, a frozen scipy.stats continuous distribution (default ``N(0, 1)``).
        ``"logistic-table"``: ``x`` (``N x q`` covariates), ``y`` (0/1 labels), ``columns``,
        ``penalty`` (see :class:`LogisticTable`).
        A covariance given as a number ``c`` means ``c I_p``.

    Examples
    --------
    >>> make_family("gaussian", dim=3, variance="mle")
    MultivariateGaussian(d=3, variance='mle', combine='convex')
    >>> make_family("categorical", k=3)
    Categorical(K=3)
    >>> make_family("logistic", beta=1.0, dim=4, cov=0.25, synthetic_cov=1.0)
    LogisticRegression(p=4, penalty='none')
    """
    if name == "gaussian":
        dim = options.pop("dim", 1)
        _check_options(name, options, ("mu", "sigma2", "variance", "combine", "bias"))
        if dim == 1:
            return Gaussian(**options)
        return MultivariateGaussian.isotropic(dim, **options)
    if name == "exponential":
        _check_options(name, options, ("rate", "estimator"))
        return ExponentialDistribution(**options)
    if name == "poisson":
        _check_options(name, options, ("lam",))
        return Poisson(**options)
    if name == "bernoulli":
        _check_options(name, options, ("p",))
        return Bernoulli(**options)
    if name == "categorical":
        _check_options(name, options, ("p", "k"))
        if "p" in options and "k" in options:
            raise fail("k", "give either p or k for the categorical family, not both", options["k"])
        if "p" in options:
            return Categorical(options["p"])
        return Categorical.uniform(options.get("k", 2))
    if name == "gamma":
        _check_options(name, options, ("shape", "rate"))
        return GammaDistribution(**options)
    if name in _OPTIONS:
        _check_options(name, options, _OPTIONS[name])
        if name in TABLE_FAMILY_NAMES and not {"x", "y"} <= set(options):
            raise fail("options", f"the {name} family needs its table: x and y", sorted(options))
        return _CLASSES[name](**options)
    raise fail("family", f"must be one of {', '.join(FAMILY_NAMES + TABLE_FAMILY_NAMES)}", name)


def _check_options(name: str, options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in options:
        if key not in allowed:
            raise fail("options", f"the {name} family takes {', '.join(allowed)}", key)
