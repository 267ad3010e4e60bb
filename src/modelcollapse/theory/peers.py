"""Closed forms of the related regimes (spec ``peers.md``).

Accumulating data (Gerstgrasser et al. 2024; Dohmatob et al.): when generation ``t`` fits all
the data so far, unweighted, and each generation's data has the same size, the estimate is the
running average of the per-generation estimates ``b_i = theta_{i-1} + e_i``; with independent
steps of variance ``c`` (for a fixed-design regression ``c = sigma2 tr((X'X)^-1)``, exactly),
``E|theta_t - theta*|^2 = c sum_{i=1}^{t+1} 1/i^2``, bounded by ``(pi^2/6) c``, where replacing
the data gives ``c (t + 1)``.

For the Gaussian the accumulate regime has exact first moments for any sizes
(:func:`accumulate_gaussian_moments`): with ``N_t`` points pooled after generation ``t`` and
``n_t`` new ones drawn from ``N(mu_{t-1}, Sigma_{t-1})``, the pooled scatter grows by ``(n_t - 1 +
N_{t-1}/N_t) Sigma_{t-1}`` in expectation and ``E(mu_t - mu)^2`` by ``n_t E Sigma_{t-1} / N_t^2``,
so at a constant size the mean error stays below ``(pi^2/6)``-like bounds instead of growing.

An anchor (the generation-0 real data ``A`` of ``n_A`` points reused every generation with weight
``alpha``, ``m`` synthetic points with weight ``b = 1 - alpha``): for the Gaussian the first two
moments given ``A`` follow a linear recursion in ``S_t = E[Sigma_t | A]`` and ``Q_t = E[(mu_t -
mean A)^2 | A]``; with the pooled MLE (``combine="pooled"``, ``variance="mle"``)

    S_t = alpha s^2 + b (1 - b/m) S_{t-1} + alpha b Q_{t-1},   Q_t = b^2 (Q_{t-1} + S_{t-1}/m),

``S_0 = s^2`` (the anchor's variance), ``Q_0 = 0``. ``S_t + Q_t = s^2`` at every ``t``, and the
fixed point is ``S_inf = s^2 m alpha (2 - alpha) / (m alpha (2 - alpha) + b^2)``, ``Q_inf = b^2
S_inf / (m alpha (2 - alpha))``: the anchor keeps the variance from collapsing. In the data-level
case (``n_A = alpha n``, ``m = (1 - alpha) n``) these are ``S_inf = s^2 (1 - b/D)`` and ``Q_inf =
b s^2 / D`` with ``D = 1 - alpha + alpha n (2 - alpha)``; averaged over the anchor, ``E Sigma_inf =
sigma^2 (alpha n - 1)(2 - alpha)/D`` and ``E(mu_inf - mu)^2 = sigma^2 (3 - 2 alpha)/D``. The
often-quoted ``(1 - 1/D) sigma^2`` and ``sigma^2/D`` are the stationary moments when a *fresh*
real sample of ``alpha n`` points is drawn every generation (paper 2's regime with ``w =
alpha``); with a fixed anchor they hold only at ``alpha = 1``.

Collapse-probability bounds for the Gaussian with the unbiased variance, ``sigma_k^2 =
sigma_0^2 prod_{j<=k} chi2(n-1)/(n-1)``: both are Markov's inequality on a moment of
``sigma_k``. Suresh et al. use ``E sigma_k^0.7``, ``P(sigma_k > eps) <= (sigma_0/eps)^0.7
[Gamma(0.35 + (n-1)/2) / (((n-1)/2)^0.35 Gamma((n-1)/2))]^k``; a Bertrand-style bound uses
``E sigma_k = sigma_0 alpha(n)^k``, ``alpha(n) = sqrt(2/(n-1)) Gamma(n/2)/Gamma((n-1)/2)``.
Paper 1's exact probability (:func:`~modelcollapse.theory.collapse_probability`) sits under
both.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._validation import check_choice, check_int, check_real, fail
from ._special import loggamma

__all__ = [
    "AnchorMoments",
    "accumulate_error",
    "accumulate_gaussian_moments",
    "accumulate_variance_ratio",
    "anchor_limit",
    "anchor_moments",
    "markov_sigma_bound",
    "replace_error",
    "suresh_bound",
]


def accumulate_error(constant: float, generations: int) -> np.ndarray:
    """``c sum_{i=1}^{t+1} 1/i^2`` for ``t = 0..T`` (accumulate regime, equal sizes).

    Parameters
    ----------
    constant : float
        ``c``, the error of one generation's fit (non-negative), e.g.
        ``sigma2 tr((X'X)^-1)`` for a fixed-design regression.
    generations : int
        ``T >= 0``.

    Returns
    -------
    numpy.ndarray
        ``E|theta_t - theta*|^2``, shape ``(T + 1,)``; bounded by ``(pi^2/6) c``.

    Examples
    --------
    >>> accumulate_error(1.0, 2).round(4).tolist()
    [1.0, 1.25, 1.3611]
    """
    constant = check_real("constant", constant, lower=0.0)
    generations = check_int("generations", generations, minimum=0)
    i = np.arange(1, generations + 2, dtype=float)
    return constant * np.cumsum(1.0 / (i * i))


def accumulate_gaussian_moments(
    n0: int,
    n_synth: Any,
    *,
    sigma2: float = 1.0,
    variance: str = "mle",
) -> AnchorMoments:
    """Exact ``E Sigma_t`` and ``E(mu_t - mu)^2``, ``t = 0..T``, of a Gaussian under the
    accumulate regime (every point so far, unweighted; module docstring).

    Parameters
    ----------
    n0 : int
        Real points at generation 0.
    n_synth : array_like of int
        Synthetic points drawn at generations ``1..T``.
    sigma2 : float
        True variance (for ``d`` dimensions: the trace, with the mean error summed over them).
    variance : {"mle", "unbiased"}
        Divisor ``N`` or ``N - 1`` of the pooled variance.

    Returns
    -------
    AnchorMoments
        ``sigma2`` (``E Sigma_t``) and ``mean_error`` (``E(mu_t - mu)^2``), each of shape
        ``(T + 1,)``.

    Examples
    --------
    >>> m = accumulate_gaussian_moments(10, [10] * 3, variance="unbiased")
    >>> [round(float(v), 4) for v in m.mean_error]
    [0.1, 0.125, 0.1358, 0.1418]
    """
    variance = check_choice("variance", variance, ("mle", "unbiased"))
    n0 = check_int("n0", n0, minimum=1 if variance == "mle" else 2)
    sizes = np.atleast_1d(np.asarray(n_synth))
    if sizes.ndim != 1 or np.any(sizes < 1) or np.any(sizes != np.floor(sizes)):
        raise fail(
            "n_synth", "must be a sequence of positive integers (sizes per generation)", sizes
        )
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    count = float(n0)
    scatter = (n0 - 1.0) * sigma2
    divisor = 0.0 if variance == "mle" else 1.0
    fit = [scatter / (count - divisor)]
    err = [sigma2 / n0]
    for n in sizes.astype(float):
        total = count + n
        err.append(err[-1] + n * fit[-1] / total**2)
        scatter += fit[-1] * (n - 1.0 + count / total)
        count = total
        fit.append(scatter / (count - divisor))
    return AnchorMoments(np.array(fit), np.array(err))


def accumulate_variance_ratio(n0: int, n_synth: Any) -> np.ndarray:
    """``Var theta_t / Var theta_0`` under accumulate, ``t = 0..T``: ``1 + n0 sum_{i<=t} n_i /
    N_i^2`` with ``N_i = n0 + sum_{j<=i} n_j``.

    Exact for a pooled mean whose per-point variance stays the truth's in expectation (the
    Poisson rate: ``lam_t`` is a martingale with ``Var(x) = E lam``; the Gaussian mean with a
    known variance); to first order for other regular estimators. At a constant size ``n0 = n_i``
    it is ``sum_{i<=t+1} 1/i^2``, which tends to ``pi^2/6`` (Dey & Donoho's ratio).

    Parameters
    ----------
    n0 : int
        Real points at generation 0.
    n_synth : array_like of int
        Synthetic points drawn at generations ``1..T``.

    Returns
    -------
    numpy.ndarray
        The ratio, shape ``(T + 1,)`` (``1`` at ``t = 0``).

    Examples
    --------
    >>> accumulate_variance_ratio(10, [10] * 3).round(4).tolist()
    [1.0, 1.25, 1.3611, 1.4236]
    """
    n0 = check_int("n0", n0, minimum=1)
    sizes = np.atleast_1d(np.asarray(n_synth))
    if sizes.ndim != 1 or np.any(sizes < 1) or np.any(sizes != np.floor(sizes)):
        raise fail(
            "n_synth", "must be a sequence of positive integers (sizes per generation)", sizes
        )
    sizes = sizes.astype(float)
    pooled = n0 + np.cumsum(sizes)
    return np.concatenate([[1.0], 1.0 + n0 * np.cumsum(sizes / pooled**2)])


def replace_error(constant: float, generations: int) -> np.ndarray:
    """``c (t + 1)`` for ``t = 0..T`` (replace regime, fully synthetic, equal sizes).

    Parameters
    ----------
    constant : float
        ``c``, the error of one generation's fit (non-negative).
    generations : int
        ``T >= 0``.

    Returns
    -------
    numpy.ndarray
        ``E|theta_t - theta*|^2``, shape ``(T + 1,)``.

    Examples
    --------
    >>> replace_error(1.0, 2).tolist()
    [1.0, 2.0, 3.0]
    """
    constant = check_real("constant", constant, lower=0.0)
    generations = check_int("generations", generations, minimum=0)
    return constant * np.arange(1, generations + 2, dtype=float)


class AnchorMoments(NamedTuple):
    """Expected variance fit ``sigma2`` and mean error ``mean_error`` (``E(mu_t - mu)^2``, or
    ``E(mu_t - mean A)^2`` given the anchor), arrays over ``t = 0..T`` or scalars at the limit.

    Parameters
    ----------
    sigma2 : numpy.ndarray or float
        ``E Sigma_t`` (the expected fitted variance).
    mean_error : numpy.ndarray or float
        ``E(mu_t - mu)^2``.

    Examples
    --------
    >>> m = AnchorMoments(sigma2=0.75, mean_error=0.25)
    >>> m.sigma2 + m.mean_error
    1.0
    """

    sigma2: Any
    mean_error: Any


def _anchor_system(
    alpha: float, n_anchor: int, n_synth: int, variance: str, combine: str
) -> tuple[np.ndarray, float]:
    """The matrix ``M`` of ``(S_t, Q_t) = M (S_{t-1}, Q_{t-1}) + (alpha s^2, 0)`` and the factor
    ``kappa`` with ``E[fitted variance] = kappa * true variance`` for ``n_anchor`` points."""
    alpha = check_real("alpha", alpha, lower=0.0, upper=1.0, lower_open=True)
    variance = check_choice("variance", variance, ("mle", "unbiased"))
    smallest = 1 if variance == "mle" else 2  # the unbiased variance needs two points
    n_anchor = check_int("n_anchor", n_anchor, minimum=smallest)
    m = check_int("n_synth", n_synth, minimum=smallest)
    combine = check_choice("combine", combine, ("pooled", "convex"))
    b = 1.0 - alpha
    kappa_m = (m - 1.0) / m if variance == "mle" else 1.0
    kappa_a = (n_anchor - 1.0) / n_anchor if variance == "mle" else 1.0
    if combine == "pooled":  # + alpha b (ybar_t - mean A)^2
        matrix = [[b * kappa_m + alpha * b / m, alpha * b], [b * b / m, b * b]]
    else:
        matrix = [[b * kappa_m, 0.0], [b * b / m, b * b]]
    return np.array(matrix), kappa_a


def _anchor_start(
    kappa_a: float, sigma2: float, n_anchor: int, anchor_variance: float | None
) -> tuple[float, float]:
    """``s^2`` and the mean error of the anchor itself, given or averaged over the anchor."""
    if anchor_variance is None:
        return kappa_a * sigma2, sigma2 / n_anchor
    return check_real("anchor_variance", anchor_variance, lower=0.0), 0.0


def anchor_moments(
    alpha: float,
    n_anchor: int,
    n_synth: int,
    generations: int,
    *,
    sigma2: float = 1.0,
    variance: str = "mle",
    combine: str = "pooled",
    anchor_variance: float | None = None,
) -> AnchorMoments:
    """Exact ``E Sigma_t`` and ``E(mu_t - mu)^2``, ``t = 0..T``, of a Gaussian refitted to a
    fixed anchor weighted ``alpha`` and ``n_synth`` synthetic points weighted ``1 - alpha``.

    The anchor regime (``regime="anchor:alpha=A"`` with ``n0 = n_anchor``); see the module
    docstring for the recursion.

    Parameters
    ----------
    alpha : float
        Weight of the anchor, in ``(0, 1]``.
    n_anchor, n_synth : int
        Points in the anchor and synthetic points per generation (each at least 1, or 2 for
        the unbiased variance).
    generations : int
        ``T``.
    sigma2 : float
        True variance.
    variance : {"mle", "unbiased"}
        The variance estimator (divisor ``n`` or ``n - 1``), as in :class:`~modelcollapse.Gaussian`.
    combine : {"pooled", "convex"}
        How the two sources combine (:class:`~modelcollapse.Gaussian`'s ``combine``).
    anchor_variance : float, optional
        Condition on the anchor: its fitted variance ``s^2``; the mean error is then
        ``E(mu_t - mean A)^2``. By default both are averaged over the anchor.

    Returns
    -------
    AnchorMoments
        ``sigma2`` (``E Sigma_t``) and ``mean_error``, each of shape ``(T + 1,)``.

    Examples
    --------
    >>> m = anchor_moments(0.5, 5, 5, 200)
    >>> round(float(m.sigma2[-1]), 6), round(float(m.mean_error[-1]), 6)
    (0.75, 0.25)
    """
    matrix, kappa_a = _anchor_system(alpha, n_anchor, n_synth, variance, combine)
    generations = check_int("generations", generations, minimum=0)
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    s2, offset = _anchor_start(kappa_a, sigma2, n_anchor, anchor_variance)
    drive = np.array([alpha * s2, 0.0])
    out = np.empty((generations + 1, 2))
    out[0] = (s2, 0.0)
    for t in range(1, generations + 1):
        out[t] = matrix @ out[t - 1] + drive
    return AnchorMoments(out[:, 0], out[:, 1] + offset)


def anchor_limit(
    alpha: float,
    n_anchor: int,
    n_synth: int,
    *,
    sigma2: float = 1.0,
    variance: str = "mle",
    combine: str = "pooled",
    anchor_variance: float | None = None,
) -> AnchorMoments:
    """The fixed point of :func:`anchor_moments` as ``t -> infinity`` (same parameters).

    Parameters
    ----------
    alpha : float
        Weight of the anchor, in ``(0, 1]``.
    n_anchor, n_synth : int
        Points in the anchor and synthetic points per generation.
    sigma2 : float
        True variance.
    variance : {"mle", "unbiased"}
        The variance estimator.
    combine : {"pooled", "convex"}
        How the two sources combine.
    anchor_variance : float, optional
        Condition on the anchor's fitted variance ``s^2`` (see :func:`anchor_moments`).

    Returns
    -------
    AnchorMoments
        The limits ``S_inf`` (``sigma2``) and the mean error, as floats.

    Examples
    --------
    Data-level proportions (``n_A = alpha n``, ``m = (1 - alpha) n``) against the module
    docstring's closed form, ``alpha = 0.2``, ``n = 20``, ``D = 7.2``:

    >>> lim = anchor_limit(0.2, 4, 16)
    >>> d = 1 - 0.2 + 0.2 * 20 * 1.8
    >>> bool(np.isclose(lim.sigma2, (0.2 * 20 - 1) * 1.8 / d))
    True
    >>> bool(np.isclose(lim.mean_error, (3 - 2 * 0.2) / d))
    True
    """
    matrix, kappa_a = _anchor_system(alpha, n_anchor, n_synth, variance, combine)
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    s2, offset = _anchor_start(kappa_a, sigma2, n_anchor, anchor_variance)
    fixed = np.linalg.solve(np.eye(2) - matrix, np.array([alpha * s2, 0.0]))
    return AnchorMoments(float(fixed[0]), float(fixed[1]) + offset)


def _bound_args(n: int, k: Any, sigma0: float, eps: float) -> tuple[int, np.ndarray, float]:
    n = check_int("n", n, minimum=2)
    k = np.asarray(k, dtype=float)
    if np.any(k < 0) or np.any(k != np.floor(k)):
        raise fail("k", "must be non-negative integers (generations)", k)
    sigma0 = check_real("sigma0", sigma0, lower=0.0, lower_open=True)
    eps = check_real("eps", eps, lower=0.0, lower_open=True)
    return n, k, sigma0 / eps


def suresh_bound(n: int, k: Any, sigma0: float = 1.0, eps: float = 0.5) -> np.ndarray:
    """Suresh et al.'s bound on ``P(sigma_k > eps)`` (module docstring), at most 1.

    Parameters
    ----------
    n : int
        Sample size of every generation (at least 2).
    k : int or array_like of int
        Generations (non-negative).
    sigma0 : float
        Standard deviation ``sigma_0`` at generation 0.
    eps : float
        Threshold on the standard deviation ``sigma_k``.

    Returns
    -------
    float or numpy.ndarray
        The bound, in ``[0, 1]``, the shape of ``k``.

    Examples
    --------
    >>> float(suresh_bound(10, 0, sigma0=1.0, eps=2.0)) == 0.5**0.7
    True
    """
    n, k, ratio = _bound_args(n, k, sigma0, eps)
    half = (n - 1) / 2.0
    log_factor = loggamma(0.35 + half) - 0.35 * np.log(half) - loggamma(half)
    return np.minimum(1.0, ratio**0.7 * np.exp(k * log_factor))[()]


def markov_sigma_bound(n: int, k: Any, sigma0: float = 1.0, eps: float = 0.5) -> np.ndarray:
    """The Bertrand-style bound ``alpha(n)^k sigma0/eps`` on ``P(sigma_k > eps)``, at most 1.

    Parameters
    ----------
    n : int
        Sample size of every generation (at least 2).
    k : int or array_like of int
        Generations (non-negative).
    sigma0 : float
        Standard deviation ``sigma_0`` at generation 0.
    eps : float
        Threshold on the standard deviation ``sigma_k``.

    Returns
    -------
    float or numpy.ndarray
        The bound, in ``[0, 1]``, the shape of ``k``.

    Examples
    --------
    >>> markov_sigma_bound(10, [10, 100]).round(4).tolist()
    [1.0, 0.1251]
    """
    n, k, ratio = _bound_args(n, k, sigma0, eps)
    log_alpha = 0.5 * np.log(2.0 / (n - 1)) + loggamma(n / 2.0) - loggamma((n - 1) / 2.0)
    return np.minimum(1.0, ratio * np.exp(k * log_alpha))[()]
