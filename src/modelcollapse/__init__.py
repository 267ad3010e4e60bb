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
- one generation as a pure function, to step a recursion by hand: :mod:`modelcollapse.generation`
  (``init``, ``step``);
- what a family offers beyond the protocol: :class:`Capabilities`, :func:`capabilities_of`;
- schedules and weight rules: :mod:`modelcollapse.schedules`;
- closed forms: :mod:`modelcollapse.theory`.

Names are imported on first use (PEP 562), so ``import modelcollapse`` and the command line's
``--help`` do not pay for scipy, pandas or matplotlib until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers and editors
    __version__: str
    from . import generation, lm, metrics, schedules, storage, theory
    from ._validation import FitFailureWarning, InvalidArgumentError
    from .engine import ENGINES, simulate, simulate_weights
    from .families import (
        Bernoulli,
        Capabilities,
        Categorical,
        EmpiricalCDF,
        ExponentialDistribution,
        GammaDistribution,
        Gaussian,
        LinearRegressionFixed,
        LinearRegressionRandom,
        LogDensityFamily,
        LogisticRegression,
        LogisticTable,
        MultivariateGaussian,
        Poisson,
        PoissonRegression,
        ScipyFamily,
        TableSource,
        capabilities_of,
        make_family,
    )
    from .lm import NGramModel
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
    from .storage import load

#: Public name -> the module that defines it (a module name itself: the submodule).
_LAZY = {
    "Bernoulli": ".families",
    "Capabilities": ".families",
    "capabilities_of": ".families",
    "Categorical": ".families",
    "Constant": ".schedules",
    "ConstantWeight": ".schedules",
    "EmpiricalCDF": ".families",
    "ENGINES": ".engine",
    "Explicit": ".schedules",
    "Exponential": ".schedules",
    "ExponentialDistribution": ".families",
    "FitFailureWarning": "._validation",
    "FromCallable": ".schedules",
    "GammaDistribution": ".families",
    "generation": ".generation",
    "load": ".storage",
    "Gaussian": ".families",
    "Greedy": ".schedules",
    "InvalidArgumentError": "._validation",
    "Linear": ".schedules",
    "LinearRegressionFixed": ".families",
    "LinearRegressionRandom": ".families",
    "LogDensityFamily": ".families",
    "NGramModel": ".lm",
    "lm": ".lm",
    "LogisticRegression": ".families",
    "LogisticTable": ".families",
    "make_family": ".families",
    "make_regime": ".regimes",
    "metrics": ".metrics",
    "MultivariateGaussian": ".families",
    "Optimal": ".schedules",
    "parse_schedule": ".schedules",
    "parse_shrinkage": ".schedules",
    "parse_weight": ".schedules",
    "Poisson": ".families",
    "PoissonRegression": ".families",
    "Power": ".schedules",
    "Proportional": ".schedules",
    "Replace": ".regimes",
    "ScipyFamily": ".families",
    "schedules": ".schedules",
    "storage": ".storage",
    "Shrinkage": ".schedules",
    "simulate": ".engine",
    "simulate_weights": ".engine",
    "SimulationResult": ".results",
    "TableSource": ".families",
    "testing": ".testing",
    "theory": ".theory",
    "TLog": ".schedules",
    "TwoPhase": ".schedules",
}

__all__ = [
    "ENGINES",
    "Bernoulli",
    "Capabilities",
    "Categorical",
    "Constant",
    "ConstantWeight",
    "EmpiricalCDF",
    "Explicit",
    "Exponential",
    "ExponentialDistribution",
    "FitFailureWarning",
    "FromCallable",
    "GammaDistribution",
    "Gaussian",
    "Greedy",
    "InvalidArgumentError",
    "Linear",
    "LinearRegressionFixed",
    "LinearRegressionRandom",
    "LogDensityFamily",
    "LogisticRegression",
    "LogisticTable",
    "MultivariateGaussian",
    "NGramModel",
    "Optimal",
    "Poisson",
    "PoissonRegression",
    "Power",
    "Proportional",
    "Replace",
    "ScipyFamily",
    "Shrinkage",
    "SimulationResult",
    "TLog",
    "TableSource",
    "TwoPhase",
    "capabilities_of",
    "generation",
    "lm",
    "load",
    "make_family",
    "make_regime",
    "metrics",
    "parse_schedule",
    "parse_shrinkage",
    "parse_weight",
    "schedules",
    "simulate",
    "simulate_weights",
    "storage",
    "testing",
    "theory",
]


def _version() -> str:
    """The installed distribution's version (``"unknown"`` when running from a source tree
    that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("modelcollapse")
    except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path
        return "unknown"


def __getattr__(name: str) -> Any:
    value: Any
    if name == "__version__":  # read from the installed metadata on first use
        value = globals()["__version__"] = _version()
        return value
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'modelcollapse' has no attribute {name!r}") from None
    value = importlib.import_module(module, __name__)
    if not module.endswith("." + name):
        value = getattr(value, name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
