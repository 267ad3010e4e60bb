"""Paper 2 (He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"): the theory alone
and Figure 7 (fully synthetic recursion). The weight sweeps (Figures 8-9) are in
:mod:`.he2025_weights`.

Figure 7 follows the protocol of the authors' code (spec section 3). Its errors are compared with
their exact laws only where a sample mean of the replications run can test them: the Gaussian
errors are heavy-tailed (their exact variances, computed here from the Wishart moments, grow
exponentially), so at each recorded generation the test's power is computed from the exact
standard error, and generations where it cannot detect a 50% discrepancy are reported as not
informative. The collapse of the covariance itself is tested with a statistic of finite, slowly
growing variance and exact law, ``log det Sigma_t`` (a sum of independent log chi-square terms).

The helpers :func:`wishart_trace_map`, :func:`mean_error_moments`,
:func:`frobenius_error_moments`, :func:`log_det_change_moments` and
:func:`penalised_logistic_first_order` are closed forms (and one first-order approximation)
used by these experiments and by :mod:`.xu2025_adult`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize_scalar
from scipy.special import expit, polygamma, psi

from .. import theory
from ..engine import simulate
from ..families import make_family
from ..metrics import axis_label
from ..plots import new_figure, plot_band, plot_theory
from .registry import Context, Experiment, Outcome, register
from .verdicts import MAX_DETECTABLE, Comparison, Verdict, compare, threshold

PAPER = "He, Xu & Cheng (2025), Golden Ratio Weighting Prevents Model Collapse"
INV_PHI = 1.0 / theory.GOLDEN

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
    cov: Any, sizes: Sequence[int], fourth: float | None = None
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


def log_det_change_moments(p: int, sizes: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
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
    p: Any, sizes: Sequence[int], at: Sequence[int] | None = None
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


# -- the penalised logistic recursion, to first order ---------------------------------------------

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(120)
_GH_WEIGHTS = _GH_WEIGHTS / math.sqrt(2.0 * math.pi)


def _gauss(values: np.ndarray) -> float:
    return float(np.sum(_GH_WEIGHTS * values))


def _penalised_step(r: float, c: float, lam: float, n: int) -> tuple[float, ...]:
    """One penalised fit to ``n`` points labelled by coefficients of norm ``r``, covariates
    ``N(0, c I)``: the population fit's norm ``s`` and, radial then tangential, the Jacobian of
    ``r -> s`` and the fit's first-order variance."""
    z, root = _GH_NODES, math.sqrt(c)

    def score(s: float) -> float:
        return root * _gauss((expit(root * z * s) - expit(root * z * r)) * z) + lam * s

    if r * root > 1e-6:
        s = brentq(score, 0.0, r, xtol=1e-15 * r, rtol=1e-14)
    else:
        # Near the zero model the score is linear: c/4 (s - r) + lam s (relative error of
        # order c r^2). A root search with an absolute tolerance would lose s/r there.
        s = r * (c / 4.0) / (c / 4.0 + lam)
    fit, true = expit(root * z * s), expit(root * z * r)
    curve_s, curve_r = fit * (1.0 - fit), true * (1.0 - true)
    h_rad = c * _gauss(curve_s * z * z) + lam
    h_tan = c * _gauss(curve_s) + lam
    spread = curve_r + (fit - true) ** 2  # E[(sigmoid(x'b) - y)^2 | x]
    var_rad = (c * _gauss(spread * z * z) - (lam * s) ** 2) / (n * h_rad**2)
    var_tan = c * _gauss(spread) / (n * h_tan**2)
    jac_rad = c * _gauss(curve_r * z * z) / h_rad
    jac_tan = s / r if r > 0 else (c / 4.0) / (c / 4.0 + lam)
    return s, jac_rad, jac_tan, var_rad, var_tan


def penalised_logistic_first_order(
    p: int,
    n: int,
    generations: int,
    beta_norm: float,
    real_var: float,
    synth_var: float,
    ridge: float = 1.0,
) -> np.ndarray:
    """First-order error ``E|beta_t - beta*|^2`` of the fully synthetic penalised logistic fit.

    scikit-learn's ``C = 1`` ridge with sample weights summing to ``n`` (the ``l2-sklearn``
    convention) adds ``ridge |beta|^2 / (2 n)`` to the average loss, so the population fit of
    data labelled by ``beta`` is shrunk towards 0: the recursion drifts to the zero model
    instead of wandering like the unpenalised MLE. To first order in ``1/n`` (linear noise
    about the deterministic path): the mean path ``m_t = g(m_{t-1})``, with ``g`` the
    population penalised fit (along ``beta*``, by the covariates' isotropy), and a covariance
    ``P_t = J P_{t-1} J' + Q(m_{t-1})/n`` (``J`` the Jacobian of ``g``, ``Q`` the sandwich
    variance of one fit), so ``e_t = |m_t - beta*|^2 + tr P_t``. Generation 0 fits real data
    with covariates ``N(0, real_var I)``, later generations synthetic ones ``N(0, synth_var I)``.

    Parameters
    ----------
    p : int
        Number of coefficients.
    n : int
        Points per generation.
    generations : int
        ``T``.
    beta_norm : float
        ``|beta*|``.
    real_var, synth_var : float
        Variance of each covariate, real and synthetic.
    ridge : float
        The penalty ``1/C``.

    Returns
    -------
    numpy.ndarray
        ``e_t``, ``t = 0..T``.
    """
    lam = ridge / n
    r, _, _, rad, tan = _penalised_step(beta_norm, real_var, lam, n)
    out = [(r - beta_norm) ** 2 + rad + (p - 1) * tan]
    for _ in range(generations):
        s, j_rad, j_tan, q_rad, q_tan = _penalised_step(r, synth_var, lam, n)
        rad, tan, r = j_rad**2 * rad + q_rad, j_tan**2 * tan + q_tan, s
        out.append((r - beta_norm) ** 2 + rad + (p - 1) * tan)
    return np.asarray(out)


# -- verdict helpers ----------------------------------------------------------------------------


def informative_cells(ratio: Any, limit: float = MAX_DETECTABLE) -> np.ndarray:
    """The cells a within-SE comparison can test: the largest set whose worst cell still
    detects a relative discrepancy ``limit`` at the Bonferroni threshold of the set.

    Parameters
    ----------
    ratio : array_like
        Standard error over the reference's scale, per cell (NaN or inf: not testable).
    limit : float
        The coarsest detectable discrepancy allowed.

    Returns
    -------
    numpy.ndarray of bool
        Which cells to compare.
    """
    ratio = np.asarray(ratio, dtype=float)
    usable = np.isfinite(ratio) & (ratio > 0)
    order = np.argsort(np.where(usable, ratio, np.inf), kind="stable")
    chosen = np.zeros(ratio.shape, dtype=bool)
    best = 0
    for k in range(1, int(usable.sum()) + 1):
        if (threshold(k) + 2.0) * ratio[order[k - 1]] <= limit:
            best = k
    chosen[order[:best]] = True
    return chosen


def _span(t: Any, groups: Any = None) -> str:
    """``"t = 3"``, or ``"k recorded generations in t = a-b"``; with ``groups``, the number of
    cells per group (``"constant: 5 cells in t = 0-4, linear: ..."``)."""
    t = np.asarray(t, dtype=int)
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        names = list(dict.fromkeys(groups.tolist()))
        parts = []
        for g in names:
            cells = t[groups == g]
            where = (
                f"t = {cells.min()}"
                if cells.min() == cells.max()
                else (f"t = {cells.min()}-{cells.max()}")
            )
            parts.append(f"{g}: {cells.size} cell{'s' if cells.size > 1 else ''} in {where}")
        return ", ".join(parts)
    t = np.unique(t)
    if t.size == 1:
        return f"t = {t[0]}"
    return f"{t.size} recorded generations in t = {t[0]}-{t[-1]}"


def law_verdict(
    claim: str,
    t: Any,
    sim: Any,
    expected: Any,
    se: Any,
    inputs: tuple[str, ...],
    *,
    select: bool = True,
    groups: Any = None,
    limit: float = MAX_DETECTABLE,
    perturb: Callable[[pd.DataFrame, float], pd.DataFrame] | None = None,
) -> Verdict:
    """Simulated values against their exact law, within Monte Carlo standard errors.

    With ``select``, only the cells where the test is informative are compared, chosen by
    :func:`informative_cells` from ``se / |expected|`` alone (exact standard errors, never the
    simulated values); the others are named as not informative, and with no informative cell
    the verdict is not informative (``holds = None``). Without it every cell is compared (for
    sample standard errors, which would make the choice depend on the simulation).

    Parameters
    ----------
    claim : str
        The claim.
    t : array_like
        The generation of each cell (for the evidence).
    sim, expected, se : array_like
        Simulated values, the exact law and the standard errors of ``sim``.
    inputs : tuple of str
        The table columns holding ``sim``.
    select : bool
        Compare only the informative cells.
    groups : array_like, optional
        A label per cell (a schedule, say) to describe the cells compared group by group.
    limit : float
        The coarsest detectable discrepancy that still tests the claim.
    perturb : callable, optional
        Passed to the verdict.
    """
    t, sim, expected, se = (np.asarray(v, dtype=float) for v in (t, sim, expected, se))
    labels = None if groups is None else np.asarray(groups, dtype=object)

    def span(mask: np.ndarray) -> str:
        return _span(t[mask], None if labels is None else labels[mask])

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(sim), se / np.abs(expected), np.nan)
    testable = np.isfinite(ratio) & (ratio > 0)
    chosen = informative_cells(ratio, limit) if select else testable
    lost = ~np.isfinite(sim)
    lost_text = (
        f"; not computable at {span(lost)} (some replications' fits numerically singular or failed)"
        if lost.any()
        else ""
    )
    if not chosen.any():
        best = float(ratio[testable].min()) if testable.any() else math.inf
        detectable = (threshold(1) + 2.0) * best
        return Verdict(
            claim,
            None,
            f"(no recorded generation can test it: the best single one detects "
            f"{detectable:.2g} relative error{lost_text})",
            kind="simulation",
            detectable=detectable if math.isfinite(detectable) else 1e300,
            inputs=inputs,
            perturb=perturb,
        )
    c: Comparison = compare(sim[chosen], expected[chosen], se[chosen])
    worst = int(np.argmax(c.z))
    skipped = ~chosen & np.isfinite(sim)
    tail = ""
    if skipped.any():
        tail = f"; not informative at the other {span(skipped)} (one detects >{limit:.0%} there)"
    return Verdict(
        claim,
        c.holds(limit),
        f"({c.text()} at t = {int(t[chosen][worst])}; compared at {span(chosen)}{tail}{lost_text})",
        kind="simulation",
        detectable=c.detectable,
        inputs=inputs,
        perturb=perturb,
    )


# -- the theory alone ---------------------------------------------------------------------------


def _theory(ctx: Context) -> Outcome:
    ks = (0.1, 0.5, 1.0, 2.0, 10.0)
    w = np.linspace(0.01, 1.0, 991)
    ctx.note(k_values=list(ks))
    fig, axes = new_figure(3)
    rows = []
    for k in ks:
        ratio = theory.limiting_ratio(w, k)
        line = axes[0].plot(w, ratio, label=f"k = {k:g}")[0]
        w_star = float(theory.optimal_weight(k))
        axes[0].plot([w_star], [w_star], marker="o", color=line.get_color())
        naive = float(theory.naive_weight(k))
        axes[0].plot(
            [naive], [float(theory.limiting_ratio(naive, k))], marker="x", color=line.get_color()
        )
        rows.append(
            {
                "k": k,
                "w*": w_star,
                "naive k/(1+k)": naive,
                "R(w*, k)": float(theory.limiting_ratio(w_star, k)),
                "R(naive, k)": float(theory.limiting_ratio(naive, k)),
                "naive / optimal": float(theory.limiting_ratio(naive, k)) / w_star,
            }
        )
    axes[0].axvline(INV_PHI, color="grey", linewidth=0.8, linestyle=":")
    axes[0].set(
        xlabel="weight on real data w",
        ylabel="R(w, k) = limiting error / (C/n) (ratio)",
        ylim=(0, 3),
        title="Unified limiting error (o: w*, x: naive)",
    )
    k_grid = np.geomspace(1e-3, 1e3, 400)
    axes[1].plot(k_grid, theory.optimal_weight(k_grid), label="optimal w*(k)")
    axes[1].plot(k_grid, theory.naive_weight(k_grid), label="naive k/(1+k)", linestyle="-.")
    axes[1].plot(
        k_grid,
        theory.limiting_ratio(theory.naive_weight(k_grid), k_grid),
        label="R at naive",
        linestyle=":",
    )
    axes[1].axhline(INV_PHI, color="grey", linewidth=0.8, linestyle=":")
    axes[1].set(
        xscale="log",
        xlabel="k = n_real / n_synth",
        ylabel="weight w, or R (dimensionless)",
        title="Optimal against naive weight (R at w* equals w*)",
    )
    t = np.arange(31)
    for wi in (0.2, 0.5, INV_PHI, 0.8, 1.0):
        axes[2].plot(t, theory.error_trajectory(wi, 1.0, 30), label=f"w = {wi:.3g}")
    _, v = theory.greedy_weights(100, [100] * 30, [100] * 30)
    axes[2].plot(t, v * 100, label="greedy weights w_t", linestyle="--", color="black")
    axes[2].set(
        xlabel="generation t", ylabel="e_t / (C/n) (ratio)", title="Error over generations, k = 1"
    )
    for ax in axes:
        ax.legend(fontsize=7)
    table = pd.DataFrame(
        {
            "w": np.repeat(w[None, :], len(ks), 0).ravel(),
            "k": np.repeat(ks, w.size),
            "R": np.concatenate([theory.limiting_ratio(w, k) for k in ks]),
        }
    )
    return Outcome(table, {"theory": fig}, pd.DataFrame(rows))


def _argmin_r(k: float) -> float:
    """The minimiser of ``theory.limiting_ratio(., k)`` found numerically (not from w*)."""
    res = minimize_scalar(
        lambda x: float(theory.limiting_ratio(x, k)),
        bounds=(1e-9, 1.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(res.x)


def _judge_theory(table: pd.DataFrame) -> list[Verdict]:
    """Properties of the closed forms of R(w, k), w*(k), the naive weight and the greedy rule,
    each checked against an independent computation (a numerical minimiser, an algebraic
    identity, a limit); the table (the plotted grid of R) is not needed."""
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    argmin_1 = _argmin_r(1.0)
    k_grid = np.geomspace(1e-3, 1e3, 25)
    w_star = np.asarray(theory.optimal_weight(k_grid), dtype=float)
    formula = (np.sqrt(k_grid**2 + 4 * k_grid) - k_grid) / 2
    argmins = np.array([_argmin_r(k) for k in k_grid])
    r_star = np.asarray(theory.limiting_ratio(w_star, k_grid), dtype=float)
    naive = np.asarray(theory.naive_weight(k_grid), dtype=float)
    r_naive = np.asarray(theory.limiting_ratio(naive, k_grid), dtype=float)
    ratio_1 = float(theory.limiting_ratio(0.5, 1.0)) / float(theory.limiting_ratio(golden, 1.0))
    k_small = np.geomspace(1e-8, 1e-2, 7)
    naive_small = np.asarray(theory.limiting_ratio(theory.naive_weight(k_small), k_small))
    opt_small = np.asarray(theory.limiting_ratio(theory.optimal_weight(k_small), k_small))
    greedy_k = (0.1, 0.5, 1.0, 2.0, 10.0)
    greedy = []
    for k in greedy_k:
        m = round(100 / k)
        _, v = theory.greedy_weights(100, [100] * 300, [m] * 300)
        greedy.append((k, float(v[-1] * 100), float(theory.optimal_weight(100 / m))))
    greedy_gap = max(abs(a - b) for _, a, b in greedy)
    return [
        Verdict(
            "At k = 1 the weight that minimises R(w, 1) is the inverse golden ratio "
            "(sqrt 5 - 1)/2.",
            abs(argmin_1 - golden) < 1e-6,
            f"(numerical argmin of R(w, 1): {argmin_1:.9f}; (sqrt 5 - 1)/2 = {golden:.9f})",
            kind="theory",
        ),
        Verdict(
            "w*(k) = (sqrt(k^2 + 4k) - k)/2 minimises R(w, k) for every k, and R(w*, k) = w*.",
            bool(
                np.allclose(argmins, w_star, rtol=1e-5, atol=0)
                and np.allclose(w_star, formula, rtol=1e-12)
                and np.allclose(r_star, w_star, rtol=1e-12)
            ),
            f"(25 values of k from 1e-3 to 1e3: numerical argmin against w*, largest relative "
            f"gap {np.max(np.abs(argmins / w_star - 1)):.1e}; |R(w*, k)/w* - 1| at most "
            f"{np.max(np.abs(r_star / w_star - 1)):.1e})",
            kind="theory",
        ),
        Verdict(
            "Naive mixing k/(1+k) under-weights real data and is never better than w*, with "
            "R(naive, k) = (1 + k)/(2 + k); at k = 1 it is 7.9% worse.",
            bool(
                (naive < w_star).all()
                and (r_naive > r_star).all()
                and np.allclose(r_naive, (1 + k_grid) / (2 + k_grid), rtol=1e-12)
                and abs(ratio_1 - 1.079) < 5e-4
            ),
            f"(25 values of k from 1e-3 to 1e3; at k = 1, R(1/2, 1)/R(1/phi, 1) = {ratio_1:.5f})",
            kind="theory",
        ),
        Verdict(
            "As k -> 0 (abundant synthetic data) naive mixing stalls at C/(2n) while the "
            "optimal error goes to 0 like sqrt(k) C/n.",
            bool(
                np.all(np.abs(naive_small - 0.5) <= k_small)
                and np.all(np.abs(opt_small / np.sqrt(k_small) - 1) <= np.sqrt(k_small))
            ),
            f"(k = 1e-8: naive R = {naive_small[0]:.9f}, optimal R / sqrt(k) = "
            f"{opt_small[0] / 1e-4:.6f}; k = 1e-2: {naive_small[-1]:.4f}, "
            f"{opt_small[-1] / 0.1:.4f})",
            kind="theory",
        ),
        Verdict(
            "The greedy time-varying weight reaches the optimal stationary error w*(k) C/n.",
            greedy_gap < 1e-6,
            "(n = 100 and m = n/k after 300 generations: "
            + ", ".join(f"k = {k:g}: n v_T = {a:.6f} vs w* = {b:.6f}" for k, a, b in greedy)
            + ")",
            kind="theory",
        ),
    ]


register(
    Experiment(
        "he2025-theory",
        "The unified limiting error R(w, k), the optimal weight "
        "w*(k) against naive mixing, and e_t over generations (no simulation)",
        PAPER,
        "Theorems (R, w*, e_t)",
        0,
        0,
        _theory,
        judge=_judge_theory,
    )
)

# -- Figure 7: fully synthetic collapse -----------------------------------------------------------


@dataclass
class _Panel:
    """A panel of Figure 7: a family run fully synthetically, a statistic and its law."""

    key: str
    title: str
    family: str  # which run produces it
    metric: str
    law: str  # "exact" or "first order"
    ylabel: str = ""


_PANELS = (
    _Panel("mean", "(a) Gaussian mean", "gaussian", "mean_error", "exact"),
    _Panel("covariance", "(b) Gaussian covariance (Frobenius^2)", "gaussian", "cov_error", "exact"),
    _Panel(
        "logdet",
        "(b') covariance collapse: log det Sigma_t",
        "gaussian",
        "logdet",
        "exact",
        "log det Sigma_t - log det Sigma (nats)",
    ),
    _Panel("cdf", "(c) nonparametric CDF (iterated bootstrap)", "cdf", "cdf_error", "exact"),
    _Panel("linear", "(d) linear regression, random design", "linear", "param_error", "exact"),
    _Panel(
        "logistic",
        "(e) logistic regression (authors' L2, C = 1)",
        "logistic",
        "param_error",
        "first order",
    ),
    _Panel("poisson", "(f) Poisson regression", "poisson", "param_error", "first order"),
)


def _families(p: int) -> dict[str, tuple[Any, str]]:
    common = {"beta": np.ones(p), "cov": 1.0 / p, "synthetic_cov": 1.0}
    return {
        "gaussian": (make_family("gaussian", dim=p, sigma2=1.0 / p), "exact"),
        "cdf": (make_family("cdf"), "sample"),
        "linear": (make_family("linear-random", **common), "exact"),
        "logistic": (make_family("logistic", penalty="l2-sklearn", **common), "sample"),
        "poisson": (make_family("poisson-regression", clip=20.0, **common), "sample"),
    }


def _glm_first_order(model: str, p: int, n: int, horizon: int) -> np.ndarray:
    """First-order fully synthetic growth at the truth: real fit at t = 0 with covariates
    N(0, I/p), then one synthetic step per generation with covariates N(0, I_p)."""
    beta = np.ones(p)
    real = theory.model_constant(model, beta=beta, cov_x=np.eye(p) / p)
    synth = theory.model_constant(model, beta=beta, cov_x=np.eye(p))
    return (real + synth * np.arange(horizon + 1)) / n


def _fig7_laws(n: int, p: int, horizon: int) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each panel's law for ``t = 0..T`` and, where known exactly, the variance of one
    replication's value."""
    sizes = [n] * (horizon + 1)
    cov = np.eye(p) / p
    mean, mean_var = mean_error_moments(cov, sizes)
    _, frob_var = frobenius_error_moments(1.0 / p, p, sizes)
    logdet, logdet_var = log_det_change_moments(p, sizes)
    return {
        "mean": (mean, mean_var),
        "covariance": (
            theory.gaussian_covariance_error(n, [0] * horizon, [n] * horizon, 0.0, cov),
            frob_var,
        ),
        "logdet": (logdet, logdet_var),
        "cdf": (theory.fully_synthetic_error("cdf", n, horizon), None),
        "linear": (
            (p * p + p * np.arange(horizon + 1)) / (n - p - 1),
            linear_random_error_moments(p, n, 1.0 / p, 1.0, horizon)[1],
        ),
        "logistic": (
            penalised_logistic_first_order(p, n, horizon, math.sqrt(p), 1.0 / p, 1.0),
            None,
        ),
        "poisson": (_glm_first_order("poisson-regression", p, n, horizon), None),
    }


def _summaries(values: np.ndarray, mid: int) -> dict[str, np.ndarray]:
    r = values.shape[0]
    root = math.sqrt(r)
    return {
        "not_finite": np.sum(~np.isfinite(values), axis=0),
        "error": values.mean(axis=0),
        "se": values.std(axis=0, ddof=1) / root,
        "median": np.median(values, axis=0),
        "se_from_start": (values - values[:, :1]).std(axis=0, ddof=1) / root,
        "se_from_mid": (values - values[:, mid : mid + 1]).std(axis=0, ddof=1) / root,
    }


def _fig7_run(
    family_key: str,
    family: Any,
    engine: str,
    n: int,
    p: int,
    generations: int,
    r: int,
    seed: np.random.SeedSequence,
    record: np.ndarray,
) -> dict[str, np.ndarray]:
    """One family's fully synthetic recursion of Figure 7 (a call of ``ctx.map``, so that the
    families run side by side): each of its panels' per-replication values, shape ``(R, G)``."""
    members = [panel for panel in _PANELS if panel.family == family_key]
    res = simulate(
        family,
        n0=n,
        schedule=n,
        generations=generations,
        replications=r,
        seed=seed,
        engine=engine,
        record=record,
        metrics=sorted({m.metric for m in members if m.metric != "logdet"}),
    )
    out = {}
    for panel in members:
        if panel.metric == "logdet":
            sign, logdet = np.linalg.slogdet(np.asarray(family.covariance(res.params)))
            # A covariance whose condition number passes 1/eps is numerically singular: its
            # log-determinant is not computable (NaN, counted in ``not_finite``).
            out[panel.key] = np.where(sign > 0, logdet, np.nan) - p * math.log(1.0 / p)
        else:
            out[panel.key] = np.asarray(res.values(panel.metric))
    return out


def _fig7(ctx: Context) -> Outcome:
    n, p = 100, 4
    generations = 200 if ctx.quick else 1000
    record = np.unique(
        np.concatenate([np.arange(0, 21), np.linspace(0, generations, 101)]).round()
    ).astype(int)
    mid = int(np.flatnonzero(record == generations // 2)[0])
    r = ctx.replications
    ctx.note(n=n, p=p, generations=generations, recorded=int(record.size))
    laws = _fig7_laws(n, p, generations)
    families = _families(p)
    ctx.progress(
        f"{len(families)} fully synthetic recursions side by side ({', '.join(families)}), "
        f"{r:,} replications x {generations} generations each"
    )
    calls = [
        (key, family, engine, n, p, generations, r, ctx.child_seed(j), record)
        for j, (key, (family, engine)) in enumerate(families.items())
    ]
    rows = []
    for values_by_panel in ctx.map(_fig7_run, calls):
        for panel_key, values in values_by_panel.items():
            panel = next(pl for pl in _PANELS if pl.key == panel_key)
            law, law_var = laws[panel.key]
            rows.append(
                pd.DataFrame(
                    {
                        "panel": panel.key,
                        "t": record,
                        **_summaries(values, mid),
                        "se_exact": (
                            np.sqrt(law_var[record] / r) if law_var is not None else np.nan
                        ),
                        "theory": law[record],
                        "law": panel.law,
                        "n": n,
                        "p": p,
                        "T": generations,
                        "R": r,
                    }
                )
            )
    table = pd.concat(rows, ignore_index=True)
    fig = _fig7_figure(table, n, p, generations, r)
    key = pd.DataFrame(
        [
            {
                "panel": panel.title,
                "law": panel.law,
                "T": generations,
                "mean at T (sim)": last.error,
                "SE": last.se_exact if np.isfinite(last.se_exact) else last.se,
                "SE kind": "exact" if np.isfinite(last.se_exact) else "sample",
                "law at T": last.theory,
                "median at T (sim)": last["median"],
            }
            for panel in _PANELS
            for last in [table[table.panel == panel.key].iloc[-1]]
        ]
    )
    cut = table[(table.panel == "covariance")]
    notes = [
        f"Scale run: n = {n} points per generation, p = {p}, T = {generations} generations, "
        f"R = {r:,} replications; real data only at t = 0 (the authors' protocol). Truth: mean "
        f"0, covariance I/p; beta = 1_p. As in the authors' code, the synthetic covariates of "
        "the regressions are drawn from N(0, I_p), the real ones from N(0, I/p).",
        "Exact laws: the Gaussian mean (t+1) tr(Sigma)/n; the covariance's exact recursion; "
        "log det Sigma_t, a sum of independent log chi-square terms (Bartlett); the iterated "
        "bootstrap (1/6)[1 - (1 - 1/n)^(t+1)]; the random-design regression "
        "[tr(Sigma_real^-1) + t tr(Sigma_synth^-1)] / (n - p - 1). The Poisson curve is first "
        "order at the truth. The logistic fits use the authors' L2 penalty (C = 1, sample "
        "weights summing to n), without which the wandering coefficients soon make the "
        "synthetic data separable; its curve is the first-order (linear noise) theory of the "
        "penalised recursion, whose penalty pulls the coefficients to 0: the error levels off "
        f"near |beta*|^2 + tr P = {laws['logistic'][0][-1]:.3g} instead of growing like the "
        f"unpenalised first-order line ({_glm_first_order('logistic', p, n, generations)[-1]:.3g}"
        f" at T = {generations}).",
        "The Gaussian errors are heavy-tailed: their exact variances (Wishart moments) grow "
        "like (1 + 2/(n-1))^t and faster for the covariance, carried by rare replications "
        "while almost all of them collapse (Sigma_t -> 0, so the Frobenius error's median "
        f"tends to |Sigma|_F^2 = {1 / p:.3g} while its mean grows to "
        f"{cut.theory.iloc[-1]:.3g}). Their sample means are compared with the exact means "
        "using the exact standard errors, at the recorded generations where that test can "
        "detect a 50% discrepancy; beyond, the verdicts name them as not informative.",
    ]
    return Outcome(table, {"fig7": fig}, key, notes=notes)


def _fig7_figure(table: pd.DataFrame, n: int, p: int, generations: int, r: int) -> Any:
    from matplotlib.figure import Figure

    cols = 4
    rows = math.ceil(len(_PANELS) / cols)
    fig = Figure(figsize=(4.7 * cols, 4.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, panel in zip(axes, _PANELS, strict=False):
        part = table[table.panel == panel.key]
        exact_se = np.isfinite(part.se_exact).all()
        se = part.se_exact if exact_se else part.se
        band = "simulated mean (95% band, exact SE)" if exact_se else "simulated mean (95% band)"
        if panel.key == "covariance":
            lower = np.maximum(part.error - 1.96 * se, part.error * 0.05)
            (line,) = ax.plot(part.t, part.error, linewidth=1.0, label=band)
            ax.fill_between(
                part.t, lower, part.error + 1.96 * se, alpha=0.2, color=line.get_color(), lw=0
            )
        else:
            plot_band(ax, part.t, part.error, se, band, marker="")
        if panel.key in ("mean", "covariance"):
            ax.plot(part.t, part["median"], linestyle=":", color="C2", label="simulated median")
        if panel.law == "exact":
            label = "exact mean"
        elif panel.key == "logistic":
            label = "first order (penalised recursion)"
        else:
            label = "first order (at the truth)"
        plot_theory(ax, part.t, part.theory, label)
        if panel.key == "covariance":
            ax.axhline(1.0 / p, color="grey", linewidth=0.8, label="|Sigma|_F^2 (collapsed fit)")
            ax.set_yscale("log")
        if panel.key == "mean":
            # The exact SE of a mean of R heavy-tailed errors grows much faster than the mean:
            # the band would set the axis and hide both curves. It runs off the axis instead.
            top = 1.5 * float(np.nanmax([part.error.max(), part.theory.max()]))
            ax.set_ylim(0.0, top)
        ylabel = panel.ylabel or axis_label(panel.metric, "error")
        ax.set(
            xlabel=f"generation t (n = {n}, T = {generations}, R = {r:,})",
            ylabel=ylabel,
            title=panel.title,
        )
        ax.legend(fontsize=7)
    for ax in axes[len(_PANELS) :]:
        ax.set_visible(False)
    return fig


def _rows(table: pd.DataFrame, key: str) -> pd.DataFrame:
    return table[table.panel == key].sort_values("t")


def _tilt_from_mid(key: str, direction: float) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """A perturbation of one panel's second half: from the midpoint on, the curve is replaced
    (``direction < 0``) by one falling linearly by ``size`` times the midpoint's value at T, or
    (``direction > 0``) tilted upwards by that much."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        part = _rows(out, key)
        horizon = float(part["T"].iloc[0])
        half = horizon // 2
        at_mid = float(part.loc[part.t == half, "error"].iloc[0])
        late = part[part.t >= half]
        frac = (late.t - half) / (horizon - half)
        base = at_mid if direction < 0 else late.error
        out.loc[late.index, "error"] = base + direction * size * at_mid * frac
        return out

    return perturb


def _change(part: pd.DataFrame, start: float, end: float) -> tuple[float, float, float]:
    """The simulated change from generation ``start`` to ``end``, its SE (per-replication
    differences), and the law's change."""
    a = part[part.t == start].iloc[0]
    b = part[part.t == end].iloc[0]
    se = b.se_from_mid if start > 0 else b.se_from_start
    return float(b.error - a.error), float(se), float(b.theory - a.theory)


def _first_order_text(part: pd.DataFrame) -> str:
    last = part.iloc[-1]
    z = (last.error - last.theory) / last.se
    worst = float(np.max(np.abs(part.error - part.theory) / part.se))
    return (
        f"first order at T = {int(last.t)}: {last.theory:.3g}, simulated {last.error:.3g} +- "
        f"{last.se:.2g} (z = {z:+.1f}, {100 * (last.error / last.theory - 1):+.0f}%; largest "
        f"|z| over the recorded generations {worst:.1f})"
    )


def _judge_fig7(table: pd.DataFrame) -> list[Verdict]:
    """Each panel's claim, judged from the stored table (see the module docstring)."""
    first = table.iloc[0]
    horizon, r = int(first["T"]), int(first.R)
    reach = f"at every recorded generation where a sample mean of {r:,} replications can test it"
    claims = {
        "mean": (
            f"(a) Gaussian mean: the error grows linearly, following its exact law "
            f"(t + 1) tr(Sigma)/n, {reach}.",
            "se_exact",
        ),
        "covariance": (
            "(b) Gaussian covariance: the mean squared Frobenius error follows its exact law, "
            f"which grows exponentially (like (1 + 2/(n - 1))^t), {reach}.",
            "se_exact",
        ),
        "logdet": (
            "(b') Gaussian covariance: the fitted covariance collapses, log det Sigma_t falling "
            f"linearly as its exact law says (independent log chi-square steps), {reach}.",
            "se_exact",
        ),
        "cdf": (
            "(c) CDF: the error of the iterated bootstrap grows towards 1/6 following its exact "
            "law (1/6)[1 - (1 - 1/n)^(t+1)] at every recorded generation.",
            "se",
        ),
        "linear": (
            "(d) random-design linear regression: the error grows linearly, following its "
            f"exact law [tr(Sigma_real^-1) + t tr(Sigma_synth^-1)]/(n - p - 1), {reach}.",
            "se_exact",
        ),
    }
    verdicts = []
    for key, (claim, se_column) in claims.items():
        part = _rows(table, key)
        verdicts.append(
            law_verdict(
                claim,
                part.t,
                part.error,
                part.theory,
                part[se_column],
                ("error",),
                select=se_column == "se_exact",
                perturb=_scale_panel(key),
            )
        )
    verdicts.append(_levels_off(_rows(table, "logistic"), horizon))
    verdicts.append(_keeps_growing(_rows(table, "poisson"), horizon))
    return verdicts


def _scale_panel(key: str) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    """Scale one panel's simulated means by ``1 + size`` (the default perturbation, confined
    to the panel the verdict reads)."""

    def perturb(table: pd.DataFrame, size: float) -> pd.DataFrame:
        out = table.copy()
        rows = out.panel == key
        out.loc[rows, "error"] = out.loc[rows, "error"] * (1.0 + size)
        return out

    return perturb


def _levels_off(part: pd.DataFrame, horizon: int) -> Verdict:
    """(e): the penalised logistic error rises over the first half, then changes over the
    second half only as much as the penalised first-order theory says (about nothing)."""
    half = horizon // 2
    rise, rise_se, rise_law = _change(part, 0, half)
    late, late_se, late_law = _change(part, half, horizon)
    at_mid = float(part[part.t == half].error.iloc[0])
    z_max = threshold(2)
    rises = rise > z_max * rise_se
    flat = abs(late - late_law) <= z_max * late_se
    detect_rise = (z_max + 2.0) * rise_se / abs(rise_law)
    detectable = (z_max + 2.0) * late_se / abs(at_mid)
    informative = detectable <= MAX_DETECTABLE and detect_rise <= MAX_DETECTABLE
    return Verdict(
        "(e) penalised logistic regression (authors' L2, C = 1): the error rises over the "
        "first half of the run, then levels off, changing over the second half only as the "
        "first-order theory of the penalised recursion says (the penalty pulls the "
        "coefficients to 0).",
        bool(rises and flat) if informative else None,
        f"(rise from t = 0 to {half}: {rise:+.3g} +- {rise_se:.2g} (first order {rise_law:+.3g});"
        f" change from t = {half} to {horizon}: {late:+.3g} +- {late_se:.2g} against "
        f"{late_law:+.3g} (z = {(late - late_law) / late_se:+.1f}, allowed {z_max:.2g}); "
        f"detects a second-half change of {detectable:.2g} of the level; "
        + _first_order_text(part)
        + ")",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_tilt_from_mid("logistic", +1.0),
    )


def _keeps_growing(part: pd.DataFrame, horizon: int) -> Verdict:
    """(f): the Poisson error keeps growing over the second half of the run."""
    half = horizon // 2
    late, late_se, late_law = _change(part, half, horizon)
    at_mid = float(part[part.t == half].error.iloc[0])
    law_mid = float(part[part.t == half].theory.iloc[0])
    z_max = threshold(1)
    detectable = (z_max + 2.0) * late_se / abs(at_mid)
    needed = late_law / law_mid  # the relative growth the first-order law predicts
    return Verdict(
        "(f) Poisson regression: the error keeps growing over the second half of the run, "
        "as the first-order law (C_real + t C_synth)/n predicts (to first order, linearly).",
        bool(late > z_max * late_se) if detectable <= needed else None,
        f"(change from t = {half} to {horizon}: {late:+.3g} +- {late_se:.2g} (z = "
        f"{late / late_se:+.1f}, needed {z_max:.2g}); the test confirms a growth of "
        f"{detectable:.2g} of the level, first order predicts {needed:.2g}; "
        + _first_order_text(part)
        + ")",
        kind="approximation",
        detectable=detectable,
        inputs=("error",),
        perturb=_tilt_from_mid("poisson", -1.0),
    )


register(
    Experiment(
        "he2025-fig7",
        "Fully synthetic recursion without fresh data: every model's error grows (collapse)",
        PAPER,
        "Figure 7",
        1_000,
        100,
        _fig7,
        judge=_judge_fig7,
    )
)
