"""Statistical families with their estimators (see :mod:`modelcollapse.families.base`)."""

from __future__ import annotations

from typing import Any

from .._validation import fail
from .base import Family
from .gaussian import Gaussian, GaussianParams, GaussianStats, MultivariateGaussian

__all__ = [
    "FAMILY_NAMES",
    "Family",
    "Gaussian",
    "GaussianParams",
    "GaussianStats",
    "MultivariateGaussian",
    "make_family",
]

#: Names accepted by :func:`make_family` and the command line's ``--family``.
FAMILY_NAMES = ("gaussian",)


def make_family(name: str, **options: Any) -> Family:
    """Build a family from its registry name and options.

    Parameters
    ----------
    name : str
        ``"gaussian"``.
    **options
        For ``"gaussian"``: ``dim`` (default 1), ``mu``, ``sigma2`` (the truth is
        ``N(mu 1_d, sigma2 I_d)``), ``variance`` and ``combine``.

    Examples
    --------
    >>> make_family("gaussian", dim=3, variance="mle")
    MultivariateGaussian(d=3, variance='mle', combine='convex')
    """
    if name == "gaussian":
        dim = options.pop("dim", 1)
        if dim == 1:
            return Gaussian(**options)
        return MultivariateGaussian.isotropic(dim, **options)
    raise fail("family", f"must be one of {', '.join(FAMILY_NAMES)}", name)
