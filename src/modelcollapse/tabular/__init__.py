"""Tabular generators in the loop: recursive training on a data table.

- :mod:`.generators`: :class:`TabularGenerator` (the protocol), :class:`GaussianCopula`,
  :class:`SklearnGaussianMixture`, :class:`SklearnKernelDensity`, :class:`FitSampleAdapter`;
- :mod:`.recursion`: :func:`recurse` (the loop), :func:`table_metrics`, :func:`check_table`,
  :func:`summarise` and :func:`summarise_bands` (mean and quantiles over replications).
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
from .recursion import (
    check_table,
    recurse,
    summarise,
    summarise_bands,
    table_metrics,
    training_rows,
)

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
    "summarise_bands",
    "table_metrics",
    "training_rows",
    "weighted_resample",
]
