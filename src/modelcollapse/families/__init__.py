"""Statistical families with their estimators (see :mod:`modelcollapse.families.base`)."""

from __future__ import annotations

from collections.abc import Callable
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
from .parameters import constructor_options
from .poisson import Poisson, PoissonParams
from .table_glm import LogisticTable
from .table_source import TableSource

__all__ = [
    "FAMILIES",
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
    "categorical_family",
    "gaussian_family",
    "make_family",
]


def gaussian_family(
    dim: int = 1,
    mu: float = 0.0,
    sigma2: float = 1.0,
    variance: str = "unbiased",
    combine: str = "convex",
    bias: Any = None,
) -> Gaussian | MultivariateGaussian:
    """The registry's ``"gaussian"``: ``N(mu 1_d, sigma2 I_d)`` with ``d = dim``, a
    :class:`Gaussian` for ``dim=1``, else :meth:`MultivariateGaussian.isotropic` (named
    ``*_family``, not to hide the module :mod:`modelcollapse.families.gaussian`).

    Parameters
    ----------
    dim : int
        Dimension ``d`` (``>= 1``).
    mu : float
        Every coordinate of the true mean.
    sigma2 : float
        True variance of every coordinate (``> 0``); the coordinates are independent.
    variance : {"unbiased", "mle"}
        The (co)variance estimator.
    combine : {"convex", "pooled"}
        How sources combine (see :class:`Gaussian`).
    bias : (float, float), optional
        ``(beta, gamma)``: estimates multiplied by ``1 + beta n^(-gamma)``.

    Returns
    -------
    Gaussian or MultivariateGaussian
        The family.

    Examples
    --------
    >>> gaussian_family(mu=1.0)
    Gaussian(mu=1, sigma2=1, variance='unbiased', combine='convex')
    >>> fam = gaussian_family(dim=3, sigma2=2.0)
    >>> fam, fam.truth().cov.diagonal().tolist()
    (MultivariateGaussian(d=3, variance='unbiased', combine='convex'), [2.0, 2.0, 2.0])
    """
    if dim == 1:
        return Gaussian(mu, sigma2, variance, combine, bias)
    return MultivariateGaussian.isotropic(
        dim, mu=mu, sigma2=sigma2, variance=variance, combine=combine, bias=bias
    )


def categorical_family(p: Any = None, k: int | None = None) -> Categorical:
    """The registry's ``"categorical"``: cell probabilities ``p``, or uniform on ``k`` cells
    (default 2); not both.

    Parameters
    ----------
    p : array_like, optional
        Cell probabilities (``K >= 2``, positive, summing to one).
    k : int, optional
        Number of equally likely cells.

    Returns
    -------
    Categorical
        The family.

    Raises
    ------
    InvalidArgumentError
        When both ``p`` and ``k`` are given.

    Examples
    --------
    >>> categorical_family(k=3).truth().p.round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    >>> categorical_family(p=[0.2, 0.8]).truth().p.tolist()
    [0.2, 0.8]
    """
    if p is not None and k is not None:
        raise fail("k", "give either p or k for the categorical family, not both", k)
    if p is not None:
        return Categorical(p)
    return Categorical.uniform(2 if k is None else k)


#: Registry name -> constructor: each family class under its ``name``, and the two factory
#: functions for the names whose options are not one class's constructor; in the order of
#: :data:`FAMILY_NAMES`. :func:`make_family`'s options are the constructor's.
FAMILIES: dict[str, Callable[..., Any]] = {
    "gaussian": gaussian_family,
    **{cls.name: cls for cls in (ExponentialDistribution, Poisson, Bernoulli)},
    "categorical": categorical_family,
    **{
        cls.name: cls
        for cls in (
            GammaDistribution,
            LinearRegressionFixed,
            LinearRegressionRandom,
            LogisticRegression,
            PoissonRegression,
            EmpiricalCDF,
            LogisticTable,
        )
    },
}

#: Families built on a user's data table (``make_family(name, x=..., y=...)``); not offered by
#: the command line's ``--family``, which has no table to give them.
TABLE_FAMILY_NAMES = tuple(
    name for name, f in FAMILIES.items() if getattr(f, "real_data_misspecified", False)
)

#: Names accepted by :func:`make_family` and the command line's ``--family``.
FAMILY_NAMES = tuple(name for name in FAMILIES if name not in TABLE_FAMILY_NAMES)


def make_family(name: str, **options: Any) -> Family:
    """Build a family from its registry name and options.

    Parameters
    ----------
    name : str
        One of :data:`FAMILY_NAMES` or :data:`TABLE_FAMILY_NAMES`.
    **options
        The keyword arguments of the family's constructor in :data:`FAMILIES`:
        ``"gaussian"``: :func:`gaussian_family` (``dim``, default 1, ``mu``, ``sigma2``: the
        truth is ``N(mu 1_d, sigma2 I_d)``; ``variance``, ``combine`` and ``bias``).
        ``"exponential"``: :class:`ExponentialDistribution`.
        ``"poisson"``: :class:`Poisson`.
        ``"bernoulli"``: :class:`Bernoulli`.
        ``"categorical"``: :func:`categorical_family` (``p``, the cell probabilities, or ``k``,
        uniform on ``k`` cells).
        ``"gamma"``: :class:`GammaDistribution`.
        ``"linear-fixed"``: :class:`LinearRegressionFixed`.
        ``"linear-random"``: :class:`LinearRegressionRandom`.
        ``"logistic"``: :class:`LogisticRegression`.
        ``"poisson-regression"``: :class:`PoissonRegression`.
        ``"cdf"``: :class:`EmpiricalCDF`.
        ``"logistic-table"``: :class:`LogisticTable` (``x`` and ``y`` needed).
        A covariance given as a number ``c`` means ``c I_p``.

    Returns
    -------
    Family
        A new family instance.

    Raises
    ------
    InvalidArgumentError
        For an unknown name or an option the family does not take.

    Examples
    --------
    >>> make_family("gaussian", dim=3, variance="mle")
    MultivariateGaussian(d=3, variance='mle', combine='convex')
    >>> make_family("categorical", k=3)
    Categorical(K=3)
    >>> make_family("logistic", beta=1.0, dim=4, cov=0.25, synthetic_cov=1.0)
    LogisticRegression(p=4, penalty='none')
    """
    factory = FAMILIES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise fail("family", f"must be one of {', '.join(FAMILY_NAMES + TABLE_FAMILY_NAMES)}", name)
    allowed = constructor_options(factory)
    for key in options:
        if key not in allowed:
            raise fail("options", f"the {name} family takes {', '.join(allowed)}", key)
    if name in TABLE_FAMILY_NAMES and not {"x", "y"} <= set(options):
        raise fail("options", f"the {name} family needs its table: x and y", sorted(options))
    return factory(**options)
