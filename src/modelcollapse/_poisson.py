"""Poisson draws with small means from tables: exact in distribution, one call for a whole array.

numpy's ``Generator.poisson`` draws a mean below 10 by multiplying uniforms until their product
falls below ``exp(-lam)``: ``lam + 1`` uniforms per draw on average, each through a function
call. Here a mean ``lam`` in ``[0, INVERSION_MAX]`` is split as ``lam = lam0 + delta`` with
``lam0 = floor(64 lam) / 64`` on a grid and ``0 <= delta < 1/64``, and

    ``X = Y + Z``,  ``Y ~ Poisson(lam0)``,  ``Z ~ Poisson(delta)`` independent,

which is exactly ``Poisson(lam)``. ``Y`` is the inverse of a tabulated distribution function at
a uniform ``u``: a guide table gives the first candidate from ``floor(64 u)`` and the search
steps up while ``u > F(k)`` (on average well under one step). ``Z`` is 0 when a second uniform
``v <= 1 - delta <= exp(-delta)`` (at least 98.4% of the draws, decided without computing an
exponential); otherwise it is the sequential inversion ``#{k >= 0 : v > p_0 + ... + p_k}`` with
``p_0 = exp(-delta)``, ``p_k = p_{k-1} delta / k``. Both inversions are exact up to the rounding
of the cumulative probabilities (a few units in ``2^-53``), as any inversion sampler; the table
stops at 63 (``P(Poisson(10) > 63) < 1e-29``).

Other means go to numpy's generator after the uniforms are drawn, so the numbers depend only on
the generator and the means (a call whose means are all outside the range draws exactly what
``gen.poisson`` would). Negative and NaN means raise numpy's error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["INVERSION_MAX", "poisson", "poisson_from_uniforms"]

#: Largest mean drawn from the tables.
INVERSION_MAX = 10.0
#: Grid points per unit of the mean (``delta < 1 / _GRID``).
_GRID = 64
#: Terms of each tabulated distribution function (the last is set above 1).
_TERMS = 64
#: Guide-table cells per grid point.
_GUIDE = 64
#: Draws per block (the temporaries of a block stay in the processor's cache).
_CHUNK = 16384

_tables: tuple[np.ndarray, np.ndarray] | None = None


def _build_tables() -> tuple[np.ndarray, np.ndarray]:
    """``cdf[j * _TERMS + k] = P(Poisson(j / _GRID) <= k)`` (the last term of each row 2.0, so
    every search stops), and ``start[j * _GUIDE + g]``: the flat index of the smallest ``k``
    with ``cdf >= g / _GUIDE``, where the search for any ``u >= g / _GUIDE`` may start."""
    global _tables
    if _tables is None:
        rows = int(INVERSION_MAX * _GRID) + 1
        lam0 = np.arange(rows) / _GRID
        pmf = np.empty((rows, _TERMS))
        pmf[:, 0] = np.exp(-lam0)
        for k in range(1, _TERMS):
            pmf[:, k] = pmf[:, k - 1] * lam0 / k
        cdf = np.cumsum(pmf, axis=1)
        cdf[:, -1] = 2.0
        levels = np.arange(_GUIDE) / _GUIDE
        first = np.stack([np.searchsorted(row, levels, side="left") for row in cdf])
        start = first + np.arange(rows)[:, None] * _TERMS
        _tables = (cdf.ravel(), start.ravel().astype(np.int32))
    return _tables


def _sequential(v: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Inversion term by term: ``#{k >= 0 : v > p_0 + ... + p_k}``, ``p_0 = exp(-delta)``
    (stops if a term underflows, a tail below the smallest double)."""
    p = np.exp(-delta)
    r = v - p
    out = np.zeros(v.shape)
    idx = np.flatnonzero(r > 0.0)
    r, p, mean = r[idx], p[idx], delta[idx]
    k = 0
    while idx.size:
        k += 1
        out[idx] = k
        p *= mean
        p *= 1.0 / k
        r -= p
        live = (r > 0.0) & (p != 0.0)
        idx, r, p, mean = idx[live], r[live], p[live], mean[live]
    return out


def poisson_from_uniforms(u: Any, v: Any, lam: Any) -> np.ndarray:
    """Poisson draws with means ``lam`` in ``[0, INVERSION_MAX]`` from two uniforms each (the
    map of the module docstring: ``u`` for the grid part, ``v`` for the rest), as floats.

    Parameters
    ----------
    u, v : array_like
        Independent uniform draws on ``[0, 1)``, one-dimensional, of the length of ``lam``.
    lam : array_like
        The means, each in ``[0, INVERSION_MAX]`` (not checked: see :func:`poisson`).

    Returns
    -------
    numpy.ndarray
        The draws, shape of ``lam``.
    """
    cdf, start = _build_tables()
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    lam = np.asarray(lam, dtype=float)
    out = np.empty(lam.shape)
    for a in range(0, lam.size, _CHUNK):
        b = min(a + _CHUNK, lam.size)
        uu, vv, mean = u[a:b], v[a:b], lam[a:b]
        row = (mean * _GRID).astype(np.intp)
        delta = mean - row * (1.0 / _GRID)  # exact
        cell = (uu * _GUIDE).astype(np.intp)
        cell += row * _GUIDE
        flat = start.take(cell)
        up = np.flatnonzero(uu > cdf.take(flat))
        while up.size:  # step up while u > F(k)
            flat[up] += 1
            up = up[uu[up] > cdf.take(flat[up])]
        row *= _TERMS
        flat -= row
        x = out[a:b]
        x[:] = flat
        rest = np.flatnonzero(vv > 1.0 - delta)  # else v <= 1 - delta <= exp(-delta): Z = 0
        if rest.size:
            x[rest] += _sequential(vv[rest], delta[rest])
    return out


def poisson(gen: np.random.Generator, lam: Any) -> np.ndarray:
    """Poisson draws with means ``lam`` (any shape) from ``gen``, as floats.

    Means in ``[0, INVERSION_MAX]`` from the tables (:func:`poisson_from_uniforms`). If any mean
    is in that range, two uniforms per entry are drawn first, in one call, for every entry; the
    other means are then drawn by ``gen.poisson`` (which rejects negative and NaN means). A call
    with no mean in the range draws exactly what ``gen.poisson`` would.

    Examples
    --------
    >>> import numpy as np
    >>> x = poisson(np.random.default_rng(0), np.full(100_000, 2.5))
    >>> round(float(x.mean()), 2), round(float(x.var()), 1)
    (2.5, 2.5)
    """
    lam = np.asarray(lam, dtype=float)
    flat = lam.ravel()
    small = (flat >= 0.0) & (flat <= INVERSION_MAX)
    if not small.any():
        return gen.poisson(lam).astype(float)
    u = gen.random((2, flat.size))
    if small.all():
        return poisson_from_uniforms(u[0], u[1], flat).reshape(lam.shape)
    out = poisson_from_uniforms(u[0], u[1], np.where(small, flat, 0.0))
    other = np.flatnonzero(~small)
    out[other] = gen.poisson(flat[other])
    return out.reshape(lam.shape)
