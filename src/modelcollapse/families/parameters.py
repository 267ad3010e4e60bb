"""A family's options, read from its constructor: constraints, names and description.

A family's constructor signature names its options, and its class declares one constraints
table, ``parameters``, keyed by exactly those names: a :class:`Real`, :class:`Integer` or
:class:`OneOf` for a scalar option (the constructor checks the value through it, so the
error names the option, the value and what is allowed), a :class:`Checked` for a scalar with a
check of its own, a :class:`Given` for an option the constructor checks itself (an array, a
matrix, a scipy law, a callable), and a :class:`Data` for a data table (described by its
shape). From these, :func:`~modelcollapse.families.make_family` checks its options
(:func:`constructor_options`), a family describes itself (:func:`describe_options`) and the
command line offers its choices (:attr:`OneOf.values`).

A constructor keeps each argument under its own name, as given or normalised (a list as an
array); a class whose option name is taken by a method says where the value is kept in
``stored_as``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_choice, check_int, check_real

__all__ = [
    "Checked",
    "Constraint",
    "Data",
    "Given",
    "Integer",
    "OneOf",
    "Real",
    "check_parameter",
    "constructor_options",
    "describe_options",
    "jsonable",
]


@dataclass(frozen=True)
class Real:
    """A finite real number in ``[low, high]`` (each end open when asked); ``None`` as well when
    ``optional``."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def check(self, name: str, value: Any) -> float | None:
        if value is None and self.optional:
            return None
        return check_real(
            name,
            value,
            lower=self.low,
            upper=self.high,
            lower_open=self.low_open,
            upper_open=self.high_open,
        )


@dataclass(frozen=True)
class Integer:
    """An integer ``>= minimum``; ``None`` as well when ``optional``."""

    minimum: int | None = None
    optional: bool = False

    def check(self, name: str, value: Any) -> int | None:
        if value is None and self.optional:
            return None
        return check_int(name, value, minimum=self.minimum)


@dataclass(frozen=True, init=False)
class OneOf:
    """One of a few strings (:attr:`values`, also the command line's choices)."""

    values: tuple[str, ...]

    def __init__(self, *values: str) -> None:
        object.__setattr__(self, "values", tuple(values))

    def check(self, name: str, value: Any) -> str:
        return check_choice(name, value, self.values)


@dataclass(frozen=True)
class Checked:
    """A value checked by ``function(name, value)``, which returns it (normalised) or raises
    the package's error; ``description`` says what is allowed."""

    function: Callable[[str, Any], Any]
    description: str

    def check(self, name: str, value: Any) -> Any:
        return self.function(name, value)


@dataclass(frozen=True)
class Given:
    """An option the constructor checks itself (an array, a matrix, a law, a callable):
    ``description`` says what it takes. :meth:`check` passes the value through."""

    description: str

    def check(self, name: str, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Data:
    """A data table the constructor checks itself, described by its shape rather than its
    values: a run's provenance names the table, it does not copy it."""

    description: str

    def check(self, name: str, value: Any) -> Any:
        return value

    def summary(self, value: Any) -> str:
        """``"array of shape (N, q)"``."""
        return f"array of shape {tuple(np.shape(value))}"


Constraint = Real | Integer | OneOf | Checked | Given | Data


def check_parameter(family: Any, name: str, value: Any) -> Any:
    """``value`` checked by the constraint of option ``name`` in ``family``'s table."""
    return type(family).parameters[name].check(name, value)


def _signature(factory: Any) -> inspect.Signature:
    return inspect.signature(factory.__init__ if inspect.isclass(factory) else factory)


def constructor_options(factory: Any) -> tuple[str, ...]:
    """The keyword names of a class's ``__init__`` (or a function's) signature, in order,
    without ``self``, ``*args``, ``**kwargs`` and private (underscore) names."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        p.name
        for p in _signature(factory).parameters.values()
        if p.kind in kinds and p.name != "self" and not p.name.startswith("_")
    )


def _var_keyword(factory: Any) -> str | None:
    for p in _signature(factory).parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return p.name
    return None


def jsonable(value: Any) -> Any:
    """``value`` in JSON's types: arrays, tuples and numpy scalars as lists and numbers, a
    mapping as a dict, a frozen scipy law as ``{"name", "args", "kwds"}``, a scipy
    distribution as its name, a function as its qualified name."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    dist = getattr(value, "dist", None)
    if dist is not None and hasattr(value, "args") and hasattr(value, "kwds"):  # frozen law
        return {
            "name": dist.name,
            "args": [float(a) for a in value.args],
            "kwds": {k: float(v) for k, v in value.kwds.items()},
        }
    if hasattr(value, "_shape_info") and isinstance(getattr(value, "name", None), str):
        return value.name  # a scipy.stats distribution
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', '?')}"
    raise TypeError(f"cannot describe {type(value).__name__} as JSON")


def describe_options(family: Any) -> dict[str, Any]:
    """``{"family": family.name, option: value, ...}`` for each option of the family's
    constructor (and its ``**keyword`` options, kept under that name), as JSON types: the
    generic ``describe()``."""
    cls = type(family)
    stored_as = getattr(cls, "stored_as", {})
    names = list(constructor_options(cls))
    extra = _var_keyword(cls)
    if extra is not None:
        names.append(extra)
    out: dict[str, Any] = {"family": family.name}
    table = getattr(cls, "parameters", {})
    for name in names:
        value = getattr(family, stored_as.get(name, name))
        constraint = table.get(name)
        out[name] = constraint.summary(value) if isinstance(constraint, Data) else jsonable(value)
    return out
