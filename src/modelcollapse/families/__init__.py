"""Statistical families with their estimators (see :mod:`modelcollapse.families.base`)."""

from __future__ import annotations

from typing import Any

from .._validation import fail
from .asymptotic import AsymptoticFamily, Estimate
from .base import Family
from .bernoulli import Bernoulli, BernoulliParams
from .categorical import Categorical, CategoricalParams, CategoricalStats
from .exponential import ExponentialDistribution, ExponentialParams
from .gamma import GammaDistribution, GammaParams, GammaStats
from .gaussian import Gaussian, GaussianParams, GaussianStats, MultivariateGaussian
from .poisson import Poisson, PoissonParams

__all__ = [
    "FAMILY_NAMES",
    "AsymptoticFamily",
    "Bernoulli",
    "BernoulliParams",
    "Categorical",
    "CategoricalParams",
    "CategoricalStats",
    "Estimate",
    "ExponentialDistribution",
    "ExponentialParams",
    "Family",
    "GammaDistribution",
    "GammaParams",
    "GammaStats",
    "Gaussian",
    "GaussianParams",
    "GaussianStats",
    "MultivariateGaussian",
    "Poisson",
    "PoissonParams",
    "make_family",
]

#: Names accepted by :func:`make_family` and the command line's ``--family``.
FAMILY_NAMES = ("gaussian", "exponential", "poisson", "bernoulli", "categorical", "gamma")


def make_family(name: str, **options: Any) -> Family:
    """Build a family from its registry name and options.

    Parameters
    ----------
    name : str
        One of :data:`FAMILY_NAMES`.
    **options
        ``"gaussian"``: ``dim`` (default 1), ``mu``, ``sigma2`` (the truth is
        ``N(mu 1_d, sigma2 I_d)``), ``variance``, ``combine`` and ``bias``.
        ``"exponential"``: ``rate``, ``estimator`` (``"mle"`` or ``"unbiased"``).
        ``"poisson"``: ``lam``.
        ``"bernoulli"``: ``p``.
        ``"categorical"``: ``p`` (the cell probabilities) or ``k`` (uniform on ``k`` cells).
        ``"gamma"``: ``shape``, ``rate``.

    Examples
    --------
    >>> make_family("gaussian", dim=3, variance="mle")
    MultivariateGaussian(d=3, variance='mle', combine='convex')
    >>> make_family("categorical", k=3)
    Categorical(K=3)
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
    raise fail("family", f"must be one of {', '.join(FAMILY_NAMES)}", name)


def _check_options(name: str, options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in options:
        if key not in allowed:
            raise fail("options", f"the {name} family takes {', '.join(allowed)}", key)
