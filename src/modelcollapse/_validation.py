"""Shared argument validation.

Every user-facing check goes through these helpers so that every error names the argument, the
value it got, and what is allowed, in one line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "InvalidArgumentError",
    "check_choice",
    "check_finite",
    "check_int",
    "check_probability",
    "check_real",
]


class InvalidArgumentError(ValueError):
    """A user-supplied argument is outside what is allowed.

    The message always has the form ``"<argument>: <problem> (got <value>)"`` so that the CLI
    can print it as one line.
    """


def _show(value: Any) -> str:
    text = " ".join(repr(value).split())  # one line, even for a numpy array's repr
    return text if len(text) <= 60 else text[:57] + "..."


def fail(name: str, problem: str, value: Any) -> InvalidArgumentError:
    """Build the standard error for argument ``name``.

    Returns the exception rather than raising it so that callers write ``raise fail(...)`` and
    static checkers see the control flow.
    """
    return InvalidArgumentError(f"{name}: {problem} (got {_show(value)})")


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as a Python ``int``, requiring it to be integral and ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise fail(name, "must be an integer", value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != int(value):
            raise fail(name, "must be an integer", value)
    out = int(value)
    if minimum is not None and out < minimum:
        raise fail(name, f"must be an integer >= {minimum}", value)
    return out


def check_real(
    name: str,
    value: Any,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_open: bool = False,
    upper_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` inside the given (optionally open) bounds."""
    if isinstance(value, bool):
        raise fail(name, "must be a real number", value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise fail(name, "must be a real number", value) from None
    if not math.isfinite(out):
        raise fail(name, "must be finite", value)
    lo_bad = lower is not None and (out <= lower if lower_open else out < lower)
    hi_bad = upper is not None and (out >= upper if upper_open else out > upper)
    if lo_bad or hi_bad:
        left = "(" if lower_open else "["
        right = ")" if upper_open else "]"
        lo = "-inf" if lower is None else f"{lower:g}"
        hi = "inf" if upper is None else f"{upper:g}"
        raise fail(name, f"must lie in {left}{lo}, {hi}{right}", value)
    return out


def check_probability(name: str, value: Any) -> float:
    """Return ``value`` as a float in ``[0, 1]``."""
    return check_real(name, value, lower=0.0, upper=1.0)


def check_finite(name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a float array with only finite entries."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise fail(name, "must be numeric", value) from None
    if not np.all(np.isfinite(arr)):
        raise fail(name, "must contain only finite numbers", value)
    return arr


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise fail(name, f"must be one of {', '.join(allowed)}", value)
    return value
