"""modelcollapse: simulate, predict and prevent model collapse in recursive training.

The public API is short:

- :func:`simulate` runs a batched recursion and returns a :class:`SimulationResult`;
  :func:`simulate_weights` runs a weight sweep on common random numbers;
- families: :class:`Gaussian`, :class:`MultivariateGaussian`, :class:`ExponentialDistribution`,
  :class:`Poisson`, :class:`Bernoulli`, :class:`Categorical`, :class:`GammaDistribution`,
  :class:`LinearRegressionFixed`, :class:`LinearRegressionRandom`,
  :class:`LogisticRegression`, :class:`PoissonRegression`, :class:`LogisticTable`,
  :class:`EmpiricalCDF`
  (:mod:`modelcollapse.families`);
- schedules and weight rules: :mod:`modelcollapse.schedules`;
- closed forms: :mod:`modelcollapse.theory`.
"""

from __future__ import annotations

from . import metrics, schedules, theory
from ._validation import InvalidArgumentError
from .engine import ENGINES, simulate, simulate_weights
from .families import (
    Bernoulli,
    Categorical,
    EmpiricalCDF,
    ExponentialDistribution,
    GammaDistribution,
    Gaussian,
    LinearRegressionFixed,
    LinearRegressionRandom,
    LogisticRegression,
    LogisticTable,
    MultivariateGaussian,
    Poisson,
    PoissonRegression,
    TableSource,
    make_family,
)
from .regimes import Replace, make_regime
from .results import SimulationResult
from .schedules import (
    Constant,
    ConstantWeight,
    Explicit,
    Exponential,
    FromCallable,
    Greedy,
    Linear,
    Optimal,
    Power,
    Proportional,
    Shrinkage,
    TLog,
    TwoPhase,
    parse_schedule,
    parse_shrinkage,
    parse_weight,
)

__all__ = [
    "ENGINES",
    "Bernoulli",
    "Categorical",
    "Constant",
    "ConstantWeight",
    "EmpiricalCDF",
    "Explicit",
    "Exponential",
    "ExponentialDistribution",
    "FromCallable",
    "GammaDistribution",
    "Gaussian",
    "Greedy",
    "InvalidArgumentError",
    "Linear",
    "LinearRegressionFixed",
    "LinearRegressionRandom",
    "LogisticRegression",
    "LogisticTable",
    "MultivariateGaussian",
    "Optimal",
    "Poisson",
    "PoissonRegression",
    "Power",
    "Proportional",
    "Replace",
    "Shrinkage",
    "SimulationResult",
    "TLog",
    "TableSource",
    "TwoPhase",
    "make_family",
    "make_regime",
    "metrics",
    "parse_schedule",
    "parse_shrinkage",
    "parse_weight",
    "schedules",
    "simulate",
    "simulate_weights",
    "theory",
]
