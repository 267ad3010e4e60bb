"""The few special functions the theory layer needs, in numpy alone.

``scipy.special`` takes about 0.3 s to import (most of it scipy's array-API layer), more than
all the rest of a ``modelcollapse theory`` command. These functions cover the arguments the
theory uses (positive real parts) to about 1e-15 relative error, and are checked against
``scipy.special`` in ``tests/test_special.py``:

- :func:`digamma` and :func:`trigamma` for real ``x > 0``: the recurrence
  ``psi(x) = psi(x + 1) - 1/x`` up to ``x >= 10``, then the asymptotic series;
- :func:`loggamma` for real or complex ``z`` with ``Re z > 0``: the same recurrence and
  Stirling's series, on the branch that is continuous in ``z`` (scipy's ``loggamma``);
- :func:`zeta` (Riemann and Hurwitz, ``s > 1``, ``q > 0``): Euler-Maclaurin summation;
- :func:`xlogy` and :func:`xlog1py`: ``x log y`` and ``x log1p(y)``, zero where ``x = 0``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Bernoulli numbers B_2, B_4, ..., B_16.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
#: Where the asymptotic series take over (their truncation error is below 1e-15 there).
_SHIFT = 10.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _shifted(x: np.ndarray, term: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` moved up by whole steps until its real part is at least ``_SHIFT``, and the sum
    of ``term(x + j)`` over the steps taken."""
    total = np.zeros_like(x)
    finite = x.real[np.isfinite(x.real)]
    steps = int(max(0.0, math.ceil(_SHIFT - float(finite.min())))) if finite.size else 0
    for _ in range(steps):
        low = x.real < _SHIFT
        total = total + np.where(low, term(x), 0.0)
        x = np.where(low, x + 1.0, x)
    return x, total


def digamma(x: Any) -> np.ndarray:
    """``psi(x) = d/dx log Gamma(x)`` for real ``x > 0``."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        big, below = _shifted(x, lambda v: 1.0 / v)
        inv2 = 1.0 / (big * big)
        series = sum(b / (2 * (k + 1)) * inv2 ** (k + 1) for k, b in enumerate(_B2K[:7]))
        return (np.log(big) - 0.5 / big - series - below)[()]


def trigamma(x: Any) -> np.ndarray:
    """``psi'(x)`` (scipy's ``polygamma(1, x)``) for real ``x > 0``."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        big, below = _shifted(x, lambda v: 1.0 / (v * v))
        inv = 1.0 / big
        inv2 = inv * inv
        series = sum(b * inv ** (2 * k + 3) for k, b in enumerate(_B2K[:7]))
        return (inv + 0.5 * inv2 + series + below)[()]


def loggamma(z: Any) -> np.ndarray:
    """``log Gamma(z)`` for ``Re z > 0``, real for real ``z`` and continuous in complex ``z``
    (the branch of scipy's ``loggamma``, not the principal log of ``Gamma``)."""
    z = np.asarray(z)
    z = z.astype(complex if np.iscomplexobj(z) else float)
    with np.errstate(divide="ignore", invalid="ignore"):
        big, logs = _shifted(z, np.log)
        inv = 1.0 / big
        inv2 = inv * inv
        series = sum(b / ((2 * k + 2) * (2 * k + 1)) * inv * inv2**k for k, b in enumerate(_B2K))
        return ((big - 0.5) * np.log(big) - big + _HALF_LOG_2PI + series - logs)[()]


def zeta(s: float, q: float = 1.0) -> float:
    """The Hurwitz zeta function ``sum_{k>=0} (k + q)^-s`` for ``s > 1`` and ``q > 0``; the
    Riemann zeta function for ``q = 1``."""
    s, q = float(s), float(q)
    if not s > 1.0 or not q > 0.0:
        raise ValueError(f"zeta: needs s > 1 and q > 0 (got s={s!r}, q={q!r})")
    n = 10
    a = q + n
    total = math.fsum((q + k) ** -s for k in range(n))
    total += a ** (1.0 - s) / (s - 1.0) + 0.5 * a**-s
    rising, factorial, power = s, 2.0, a ** (-s - 1.0)  # s (s+1)...(s+2j-2), (2j)!, a^(-s-2j+1)
    for j, b in enumerate(_B2K, start=1):
        total += b / factorial * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
        power /= a * a
    return total


def xlogy(x: Any, y: Any) -> np.ndarray:
    """``x log(y)``, zero where ``x = 0`` (whatever ``y``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0.0, 0.0, x * np.log(y))[()]


def xlog1py(x: Any, y: Any) -> np.ndarray:
    """``x log(1 + y)``, zero where ``x = 0`` (whatever ``y``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0.0, 0.0, x * np.log1p(y))[()]
