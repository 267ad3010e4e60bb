"""Paper 2's exact laws built on the Wishart recursion: a Gaussian refitted to its own draws.

:func:`wishart_trace_map` gives the expected trace monomials of a Wishart matrix (Isserlis'
theorem); from it follow the exact mean and variance of the Gaussian mean's error
(:func:`mean_error_moments`, also for real generation-0 rows through their fourth moment), of the
covariance's Frobenius error (:func:`frobenius_error_moments`), of the log-determinant's change
(:func:`log_det_change_moments`, Bartlett) and of the random-design regression's error
(:func:`linear_random_error_moments`, inverse Wishart). Used by Figure 7 (:mod:`.fig7`) and by
paper 1 on the Adult data (:mod:`..xu2025.adult`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy.special import polygamma, psi

__all__ = [
    "frobenius_error_moments",
    "linear_random_error_moments",
    "log_det_change_moments",
    "mean_error_moments",
    "wishart_trace_map",
]

# -- closed forms: moments of the Wishart recursion ---------------------------------------------


def _partitions(degree: int, largest: int | None = None) -> list[tuple[int, ...]]:
    """The partitions of ``degree``, parts in decreasing order (``4, 31, 22, 211, 1111``)."""
    largest = degree if largest is None else largest
    if degree == 0:
        return [()]
    out: list[tuple[int, ...]] = []
    for k in range(min(degree, largest), 0, -1):
        out += [(k, *rest) for rest in _partitions(degree - k, k)]
    return out


def _pairings(slots: list[int]) -> list[list[tuple[int, int]]]:
    if not slots:
        return [[]]
    first, out = slots[0], []
    for i in range(1, len(slots)):
        rest = slots[1:i] + slots[i + 1 :]
        out += [[(first, slots[i]), *p] for p in _pairings(rest)]
    return out


def _root(parent: list[int], x: int) -> int:
    while parent[x] != x:
        x = parent[x]
    return x


@cache
def _wick_counts(degree: int) -> tuple[tuple[tuple[int, ...], ...], np.ndarray]:
    """Isserlis' theorem for the trace monomials of a Wishart matrix ``M = sum_k x_k x_k'``.

    ``E prod_i tr(M^lam_i) = sum_P nu^c(P) prod_j tr(A^mu_j)`` over the pairings ``P`` of the
    ``2 d`` vector slots (two per factor ``x_k x_k'``): ``c(P)`` is the number of groups of
    factors that ``P`` ties to one sample index, and the cycles of slots alternating between
    the trace's contractions and ``P``'s pairs give the ``tr(A^mu_j)``. Returns the partitions
    and ``K[lam, mu, c]``, the number of pairings of each kind.
    """
    parts = tuple(_partitions(degree))
    index = {m: i for i, m in enumerate(parts)}
    counts = np.zeros((len(parts), len(parts), degree + 1))
    pairings = _pairings(list(range(2 * degree)))
    for i, lam in enumerate(parts):
        successor, start = [], 0
        for c in lam:
            successor += [start + (j + 1) % c for j in range(c)]
            start += c
        contract = {}
        for f, g in enumerate(successor):  # the right slot of factor f meets the left of g
            contract[2 * f + 1], contract[2 * g] = 2 * g, 2 * f + 1
        for pairing in pairings:
            mate = {}
            parent = list(range(degree))
            for u, v in pairing:
                mate[u], mate[v] = v, u
                parent[_root(parent, u // 2)] = _root(parent, v // 2)
            groups = len({_root(parent, f) for f in range(degree)})
            seen: set[int] = set()
            cycles = []
            for u in range(2 * degree):
                if u in seen:
                    continue
                length, x = 0, u
                while x not in seen:
                    seen.add(x)
                    y = mate[x]
                    seen.add(y)
                    length += 1
                    x = contract[y]
                cycles.append(length)
            counts[i, index[tuple(sorted(cycles, reverse=True))], groups] += 1
    return parts, counts


def wishart_trace_map(degree: int, nu: float) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The expected trace monomials of ``S = W(A, nu)/nu`` as linear maps of those of ``A``.

    A trace monomial of degree ``d`` is ``prod_i tr(S^lam_i)`` for a partition ``lam`` of
    ``d``; ``E[prod_i tr(S^lam_i) | A] = sum_mu M[lam, mu] prod_j tr(A^mu_j)`` exactly (Isserlis'
    theorem; ``S`` is the unbiased sample covariance of ``nu + 1`` Gaussian points).

    Parameters
    ----------
    degree : int
        The degree ``d`` (1 to 4 in practice: 105 pairings at ``d = 4``).
    nu : float
        Degrees of freedom.

    Returns
    -------
    partitions : list of tuple of int
        The partitions of ``d`` (rows and columns of ``M``), parts in decreasing order.
    M : numpy.ndarray
        The map.

    Examples
    --------
    >>> parts, m = wishart_trace_map(2, 9.0)  # E tr S^2 = (1 + 1/nu) tr A^2 + (tr A)^2 / nu
    >>> parts, m.round(4).tolist()
    ([(2,), (1, 1)], [[1.1111, 0.1111], [0.2222, 1.0]])
    """
    parts, counts = _wick_counts(int(degree))
    powers = float(nu) ** (np.arange(degree + 1) - degree)
    return list(parts), counts @ powers


def _invariants(cov: np.ndarray, parts: Sequence[tuple[int, ...]]) -> np.ndarray:
    eig = np.linalg.eigvalsh(cov)
    return np.array([math.prod(float(np.sum(eig**k)) for k in m) for m in parts])


def _invariant_path(cov: np.ndarray, dofs: Sequence[float], degree: int) -> dict[Any, np.ndarray]:
    """``E prod tr(Sigma_t^lam)`` for ``Sigma_t = W(Sigma_{t-1}, nu_t)/nu_t``, one row per step."""
    parts, _ = wishart_trace_map(degree, 1.0)
    values = _invariants(cov, parts)
    out = np.empty((len(dofs), len(parts)))
    maps: dict[float, np.ndarray] = {}
    for t, nu in enumerate(dofs):
        if nu not in maps:
            maps[nu] = wishart_trace_map(degree, nu)[1]
        values = maps[nu] @ values
        out[t] = values
    return {m: out[:, i] for i, m in enumerate(parts)}


def mean_error_moments(
    cov: Any, sizes: Sequence[int] | np.ndarray, fourth: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of ``|mu_t - mu|^2`` when a Gaussian is refitted to its own draws.

    Generation 0 fits ``n_0`` points of a law with mean ``mu`` and covariance ``Sigma`` (sample
    mean, unbiased sample covariance); generation ``t >= 1`` fits ``n_t`` draws from the
    previous fit. Given the covariance path, ``mu_t - mu`` is the generation-0 error plus
    independent ``N(0, Sigma_{s-1}/n_s)`` steps, so ``E|mu_t - mu|^4`` needs only
    ``E tr(Sigma_s^2)`` and ``E (tr Sigma_s)^2`` (a linear recursion, the Wishart moments; the
    covariance is a martingale, so cross terms reduce to the earlier generation) and four
    moments of generation 0. For non-Gaussian generation-0 data (real rows drawn with
    replacement) those depend on the law only through ``E|X - mu|^4``.

    Parameters
    ----------
    cov : array_like, shape (d, d)
        ``Sigma``.
    sizes : sequence of int
        ``n_0, n_1, ..., n_T``.
    fourth : float, optional
        ``E|X - mu|^4`` of the generation-0 law (default: the Gaussian value
        ``(tr Sigma)^2 + 2 tr(Sigma^2)``).

    Returns
    -------
    mean, variance : numpy.ndarray
        For ``t = 0..T``. The mean is ``tr(Sigma) (1/n_0 + sum_{s<=t} 1/n_s)``.
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    n = np.asarray(sizes, dtype=float)
    tr1, tr2 = float(np.trace(cov)), float(np.trace(cov @ cov))
    gauss4 = tr1 * tr1 + 2.0 * tr2
    kappa = 0.0 if fourth is None else float(fourth) - gauss4
    n0, nu0 = n[0], n[0] - 1.0
    d0_sq = gauss4 / n0**2 + kappa / n0**3  # E|x0|^4, x0 the generation-0 mean error
    x_s_x = tr2 / n0 + kappa / n0**2  # E x0' S0 x0
    d0_tr = tr1 * tr1 / n0 + kappa / n0**2  # E |x0|^2 tr S0
    horizon = n.size - 1
    a, b = np.empty(horizon), np.empty(horizon)  # E tr Sigma_j^2, E (tr Sigma_j)^2, j < T
    if horizon:
        a[0] = (1.0 + 1.0 / nu0) * tr2 + tr1 * tr1 / nu0 + kappa / n0
        b[0] = tr1 * tr1 + 2.0 * tr2 / nu0 + kappa / n0
    for j in range(1, horizon):
        nu = n[j] - 1.0
        a[j] = (1.0 + 1.0 / nu) * a[j - 1] + b[j - 1] / nu
        b[j] = b[j - 1] + 2.0 * a[j - 1] / nu
    inv = 1.0 / n[1:]
    harmonic = np.concatenate([[0.0], np.cumsum(inv)])

    def pair_sum(c: np.ndarray) -> np.ndarray:
        # sum_{r, s <= t} c_{min(r, s) - 1} / (n_r n_s)
        own = np.cumsum(c * (inv * inv - 2.0 * inv * harmonic[1:]))
        cross = np.cumsum(c * inv)
        return np.concatenate([[0.0], own + 2.0 * harmonic[1:] * cross])

    mean = tr1 * (1.0 / n0 + harmonic)
    second = d0_sq + 4.0 * harmonic * x_s_x + 2.0 * harmonic * d0_tr
    second = second + 2.0 * pair_sum(a) + pair_sum(b)
    return mean, second - mean * mean


def frobenius_error_moments(
    sigma2: float, p: int, sizes: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of ``|Sigma_t - Sigma|_F^2`` for ``Sigma = sigma2 I_p``.

    ``Sigma_t`` is the unbiased sample covariance of ``n_t`` Gaussian draws from the previous fit
    (generation 0 from the truth). With ``Sigma`` isotropic the error and its square are
    polynomials in ``tr Sigma_t``, ``tr Sigma_t^2`` of degree at most 4, whose expectations
    follow from :func:`wishart_trace_map` step by step.

    Parameters
    ----------
    sigma2 : float
        The true variance of each coordinate.
    p : int
        Dimension.
    sizes : sequence of int
        ``n_0, ..., n_T``.

    Returns
    -------
    mean, variance : numpy.ndarray
        For ``t = 0..T``.
    """
    cov = sigma2 * np.eye(p)
    dofs = [float(n) - 1.0 for n in sizes]
    e = {}
    for degree in (1, 2, 3, 4):
        e.update(_invariant_path(cov, dofs, degree))
    s2, s4, s6, s8 = sigma2, sigma2**2, sigma2**3, sigma2**4
    mean = e[(2,)] - 2.0 * s2 * e[(1,)] + p * s4
    second = (
        e[(2, 2)]
        - 4.0 * s2 * e[(2, 1)]
        + 4.0 * s4 * e[(1, 1)]
        + 2.0 * p * s4 * e[(2,)]
        - 4.0 * p * s6 * e[(1,)]
        + p * p * s8
    )
    return mean, second - mean * mean


def log_det_change_moments(
    p: int, sizes: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of ``log det Sigma_t - log det Sigma_start`` over Wishart steps.

    Each step ``Sigma_t = W(Sigma_{t-1}, n_t - 1)/(n_t - 1)`` multiplies the determinant by an
    independent ``prod_i chi2_{nu - i + 1} / nu^p`` (Bartlett), so the change is a sum of
    independent terms with mean ``sum_i psi((nu - i + 1)/2) - log(nu/2)`` and variance
    ``sum_i psi'((nu - i + 1)/2)``.

    Parameters
    ----------
    p : int
        Dimension.
    sizes : sequence of float
        The sample sizes ``n`` of the steps, in order.

    Returns
    -------
    mean, variance : numpy.ndarray
        Cumulative over the steps: entry ``j`` after steps ``0..j``.
    """
    nu = np.asarray(sizes, dtype=float)[:, None] - 1.0
    y = (nu - np.arange(p)[None, :]) / 2.0  # (nu - i + 1)/2, i = 1..p
    big = y > 1e6
    safe = np.where(big, 1.0, y)
    gap = np.where(big, -0.5 / y - 1.0 / (12.0 * y * y), psi(safe) - np.log(safe))
    step_mean = np.sum(gap + np.log1p(-np.arange(p)[None, :] / nu), axis=1)
    step_var = np.sum(np.where(big, 1.0 / y + 0.5 / (y * y), polygamma(1, safe)), axis=1)
    return np.cumsum(step_mean), np.cumsum(step_var)


def linear_random_error_moments(
    p: int, n: int, real_var: float, synth_var: float, generations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of ``|beta_t - beta|^2`` for the fully synthetic random-design
    linear regression (unit noise, no intercept, ``n`` points per generation).

    Each generation adds an independent step ``(X'X)^-1 X' eps``, whose covariance given ``X`` is
    ``G = (X'X)^-1``, an inverse Wishart (``X`` has rows ``N(0, c I_p)``: ``c = real_var`` at
    generation 0, ``synth_var`` later). The mean is ``sum_s E tr G_s`` and the variance
    ``sum_s Var|step_s|^2 + 2 sum_{s != r} tr(E G_s E G_r)``, with the inverse Wishart's
    second moments for ``E|step|^4 = E (tr G)^2 + 2 E tr G^2``.

    Parameters
    ----------
    p : int
        Number of coefficients.
    n : int
        Points per generation (``n > p + 3``).
    real_var, synth_var : float
        Variance of each covariate, real (generation 0) and synthetic.
    generations : int
        ``T``.

    Returns
    -------
    mean, variance : numpy.ndarray
        For ``t = 0..T``.
    """
    psi_ = 1.0 / np.concatenate([[real_var], np.full(generations, synth_var)])
    k = n - p
    den = k * (k - 1) ** 2 * (k - 3)
    mean_g = psi_ / (k - 1)  # E G = psi I / (n - p - 1)
    var_diag = 2.0 * k * psi_**2 / den  # Var G_ii
    cov_diag = 2.0 * psi_**2 / den  # Cov(G_ii, G_jj), i != j
    var_off = (k - 1) * psi_**2 / den  # Var G_ij, i != j
    tr_sq = (p * mean_g) ** 2 + p * var_diag + p * (p - 1) * cov_diag  # E (tr G)^2
    sq_tr = p * (mean_g**2 + var_diag) + p * (p - 1) * var_off  # E tr G^2
    step_mean = p * mean_g
    step_var = tr_sq + 2.0 * sq_tr - step_mean**2
    cross = np.cumsum(mean_g) ** 2 - np.cumsum(mean_g**2)  # sum_{s != r} u_s u_r
    return np.cumsum(step_mean), np.cumsum(step_var) + 2.0 * p * cross
