"""Shared argument validation.

Every user-facing check goes through these helpers so that every error names the argument, the
value it got, and what is allowed, in one line.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "MEMORY_ENV",
    "FitFailureWarning",
    "InvalidArgumentError",
    "available_memory",
    "check_choice",
    "check_finite",
    "check_int",
    "check_memory",
    "check_probability",
    "check_real",
    "collect_fit_failures",
    "format_bytes",
    "largest_fitting",
]


class InvalidArgumentError(ValueError):
    """A user-supplied argument is outside what is allowed.

    The message always has the form ``"<argument>: <problem> (got <value>)"`` so that the CLI
    can print it as one line. A subclass of :class:`ValueError`.

    Parameters
    ----------
    *args : str
        The message, as for any exception.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> try:
    ...     mc.Constant(-1)
    ... except mc.InvalidArgumentError as err:
    ...     print(err)
    n: must be an integer >= 0 (got -1)
    """


class FitFailureWarning(RuntimeWarning):
    """Fits failed in a run: no estimate exists for some replications (a GLM on separable
    data, a diverging Newton solve). The failed fits stay recorded (NaN parameters, the
    ``fit_failed`` metric); the warning is raised once per run and says which family, what
    fraction of the replications had failed by the last generation and when fits first failed.
    (Defined here so that the command line can print it without importing the engine.) A
    subclass of :class:`RuntimeWarning`.

    Parameters
    ----------
    *args : str
        The message, as for any warning.

    Examples
    --------
    A logistic regression with a steep truth and few points often meets separable data:

    >>> import warnings, modelcollapse as mc
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = mc.simulate(mc.LogisticRegression(beta=8.0), n0=10, schedule=10,
    ...                       generations=2, replications=20, seed=0)
    >>> [w.category.__name__ for w in caught]
    ['FitFailureWarning']
    """


@contextlib.contextmanager
def collect_fit_failures() -> Iterator[list[str]]:
    """``with collect_fit_failures() as messages:`` the :class:`FitFailureWarning` messages
    raised inside the block, in order (filled when the block ends); other warnings are shown as
    usual."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitFailureWarning)
        yield messages
    for w in caught:
        if issubclass(w.category, FitFailureWarning):
            messages.append(str(w.message))
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


class ConfigError(InvalidArgumentError):
    """An error in a configuration file: ``FILE:LINE: key 'name': problem (got value)``
    (raised by :mod:`modelcollapse.config`, defined here so that the command line can catch
    it without importing the configuration machinery)."""


def _show(value: Any) -> str:
    text = " ".join(repr(value).split())  # one line, even for a numpy array's repr
    return text if len(text) <= 60 else text[:57] + "..."


def fail(name: str, problem: str, value: Any) -> InvalidArgumentError:
    """Build the standard error for argument ``name``.

    Returns the exception rather than raising it so that callers write ``raise fail(...)`` and
    static checkers see the control flow.
    """
    return InvalidArgumentError(f"{name}: {problem} (got {_show(value)})")


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    integral_float: bool = True,
) -> int:
    """Return ``value`` as a Python ``int``, requiring it to be integral and within
    ``[minimum, maximum]``.

    ``integral_float=False`` refuses every float, even an integral one such as ``1e7`` (a count
    written as a float is usually a mistake); by default an integral float is accepted.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise fail(name, "must be an integer", value)
    if isinstance(value, (float, np.floating)):
        if not integral_float or not math.isfinite(value) or value != int(value):
            raise fail(name, "must be an integer", value)
    out = int(value)
    if minimum is not None and out < minimum:
        raise fail(name, f"must be an integer >= {minimum}", value)
    if maximum is not None and out > maximum:
        limit = "2^63 - 1 (the 64-bit integer limit)" if maximum == 2**63 - 1 else f"{maximum:,}"
        raise fail(name, f"must be an integer <= {limit}", value)
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


# -- memory ---------------------------------------------------------------------------------

#: Environment variable that sets the memory available to a run, overriding what the system
#: reports: bytes, or a number with a unit (``512MiB``, ``8GiB``, ``1.5GB``, ``2T``). The size
#: checks (:func:`check_memory`) compare their estimates with it. Tests set it so that a check
#: never depends on the machine; a user can set it to keep a run well inside a shared machine.
MEMORY_ENV = "MODELCOLLAPSE_MEMORY"

_UNITS = {
    "": 1,
    "b": 1,
    "k": 2**10,
    "kb": 10**3,
    "kib": 2**10,
    "m": 2**20,
    "mb": 10**6,
    "mib": 2**20,
    "g": 2**30,
    "gb": 10**9,
    "gib": 2**30,
    "t": 2**40,
    "tb": 10**12,
    "tib": 2**40,
}


def _parse_bytes(text: str) -> int:
    body = text.strip().replace("_", "").replace(" ", "")
    number = body.rstrip("bBkKmMgGtTiI")
    unit = body[len(number) :].lower()
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if unit not in _UNITS or not math.isfinite(value) or value < 0:
        raise InvalidArgumentError(
            f"${MEMORY_ENV}: must be a size in bytes such as 8GiB or 512MB (got {text!r})"
        )
    return int(value * _UNITS[unit])


def _cgroup_room() -> int | None:
    """Bytes left under the process's control-group memory limit (v2, then v1), if any."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file) as f:
                limit_text = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= 2**60:
            return None
        return max(0, int(limit_text) - usage)
    return None


def available_memory() -> int | None:
    """Bytes of memory a run may use, or ``None`` where it cannot be known (then no size check
    refuses anything).

    :data:`MEMORY_ENV` when set; otherwise ``MemAvailable`` of ``/proc/meminfo`` (Linux), capped
    by the room left under a control-group limit (a container's), and where there is no
    ``/proc/meminfo``, the free physical pages of ``os.sysconf``.
    """
    override = os.environ.get(MEMORY_ENV)
    if override:
        return _parse_bytes(override)
    found: int | None = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        found = None
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            return None
        if found <= 0:
            return None
    room = _cgroup_room()
    return found if room is None else min(found, room)


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units with three significant digits, e.g. ``29.8 GiB``."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024 or unit == "EiB":
            if unit == "bytes":
                return f"{value:.0f} bytes"
            return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


def largest_fitting(needed: Any, low: int, high: int, budget: float) -> int | None:
    """The largest integer ``v`` in ``[low, high]`` with ``needed(v) <= budget`` (``needed``
    non-decreasing), or ``None`` when even ``low`` does not fit."""
    if needed(low) > budget:
        return None
    while high - low > 1:
        mid = (low + high) // 2
        if needed(mid) <= budget:
            low = mid
        else:
            high = mid
    return high if needed(high) <= budget else low


def check_memory(name: str, needed: float, value: Any, fits: Any = None) -> None:
    """Refuse a run whose estimated memory ``needed`` (bytes) exceeds :func:`available_memory`.

    The error names the argument that drives the estimate, the estimate, the memory available
    and what would fit: ``fits`` is that text (e.g. ``"at most 700,000,000 replications fit
    with these settings"``) or a function of the bytes available that returns it (or ``None``).
    Nothing is checked where the available memory is unknown.
    """
    available = available_memory()
    if available is None or needed <= available:
        return
    problem = (
        f"needs about {format_bytes(needed)} of memory, more than the "
        f"{format_bytes(available)} available"
    )
    text = fits(available) if callable(fits) else fits
    if text:
        problem += f"; {text}"
    raise fail(name, problem, value)
