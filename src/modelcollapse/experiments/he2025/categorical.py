"""The exact law of a categorical distribution refitted (by frequencies) to its own draws.

:func:`categorical_error_moments`: the mean and variance of the squared error of the fitted
probabilities, from the moments of a three-type Wright-Fisher chain. Used by paper 1 on the
Adult data (:mod:`..xu2025.adult`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = ["categorical_error_moments"]

_STIRLING2 = [[1], [0, 1], [0, 1, 1], [0, 1, 3, 1], [0, 1, 7, 6, 1]]
_PAIR_MONOMIALS = [(a, b) for a in range(5) for b in range(5 - a)]


@cache
def _multinomial_step(n: float) -> np.ndarray:
    """``E[x'^a y'^b | x, y]`` as a map of the monomials ``x^i y^j`` (``a + b <= 4``) for two
    cells of ``Multinomial(n, .)/n``: powers of counts from their factorial moments."""
    index = {m: i for i, m in enumerate(_PAIR_MONOMIALS)}
    out = np.zeros((len(index), len(index)))
    for a, b in _PAIR_MONOMIALS:
        for i in range(a + 1):
            for j in range(b + 1):
                falling = math.prod(1.0 - q / n for q in range(i + j)) * n ** (i + j - a - b)
                out[index[(a, b)], index[(i, j)]] += _STIRLING2[a][i] * _STIRLING2[b][j] * falling
    return out


def categorical_error_moments(
    p: Any, sizes: Sequence[int] | np.ndarray, at: Sequence[int] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of ``sum_k (p_t,k - p_k)^2`` when a categorical distribution is
    refitted (by frequencies) to its own draws: ``p_t = Multinomial(n_t, p_{t-1})/n_t``, with
    ``p_{-1} = p`` (generation 0 draws from the truth).

    Any two cells follow a three-type Wright-Fisher chain, whose moments of degree up to 4 obey
    a linear recursion (factorial moments of the multinomial); the square of the error is a sum
    over pairs of cells of such moments.

    Parameters
    ----------
    p : array_like
        True probabilities.
    sizes : sequence of int
        ``n_0, ..., n_T``.
    at : sequence of int, optional
        The generations wanted (default all).

    Returns
    -------
    mean, variance : numpy.ndarray
        At ``at``. The mean is ``(1 - sum p^2)(1 - prod_{s<=t} (1 - 1/n_s))``.
    """
    p = np.asarray(p, dtype=float)
    wanted = set(range(len(sizes)) if at is None else (int(a) for a in at))
    start = np.array([np.outer(p**a, p**b) for a, b in _PAIR_MONOMIALS])  # pairs (k, l)
    index = {m: i for i, m in enumerate(_PAIR_MONOMIALS)}
    product = np.eye(len(_PAIR_MONOMIALS))
    maps: dict[float, np.ndarray] = {}
    means, variances = [], []
    pk, pl = p[:, None], p[None, :]
    for t, n in enumerate(sizes):
        key = float(n)
        if key not in maps:
            maps[key] = _multinomial_step(key)
        product = maps[key] @ product
        if t not in wanted:
            continue
        m = np.tensordot(product, start, axes=(1, 0))

        def e(a: int, b: int, m: np.ndarray = m) -> np.ndarray:
            return m[index[(a, b)]]

        # E (x - p_k)^2 (y - p_l)^2 for every pair; the diagonal (y = x) by the one-cell moments
        cross = (
            e(2, 2)
            - 2 * pl * e(2, 1)
            + pl**2 * e(2, 0)
            - 2 * pk * (e(1, 2) - 2 * pl * e(1, 1) + pl**2 * e(1, 0))
            + pk**2 * (e(0, 2) - 2 * pl * e(0, 1) + pl**2)
        )
        one = [np.diag(e(a, 0)) for a in range(5)]
        fourth = one[4] - 4 * p * one[3] + 6 * p**2 * one[2] - 4 * p**3 * one[1] + p**4
        np.fill_diagonal(cross, fourth)
        mean = float(np.sum(np.diag(e(2, 0)) - 2 * p * one[1] + p**2))
        means.append(mean)
        variances.append(float(np.sum(cross)) - mean * mean)
    return np.asarray(means), np.asarray(variances)
