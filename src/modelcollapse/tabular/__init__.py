"""Tabular generators in the loop: recursive training on a data table.

- :mod:`.generators`: :class:`TabularGenerator` (the protocol), :class:`GaussianCopula`,
  :class:`SklearnGaussianMixture`, :class:`SklearnKernelDensity`, :class:`FitSampleAdapter`;
- :mod:`.recursion`: :func:`recurse` (the loop), :func:`table_metrics`, :func:`check_table`.
"""

from __future__ import annotations

from .generators import (
    GENERATORS,
    FitSampleAdapter,
    GaussianCopula,
    SklearnGaussianMixture,
    SklearnKernelDensity,
    TabularGenerator,
    make_generator,
    weighted_resample,
)
from .recursion import check_table, recurse, summarise, table_metrics

__all__ = [
    "GENERATORS",
    "FitSampleAdapter",
    "GaussianCopula",
    "SklearnGaussianMixture",
    "SklearnKernelDensity",
    "TabularGenerator",
    "check_table",
    "make_generator",
    "recurse",
    "summarise",
    "table_metrics",
    "weighted_resample",
]
