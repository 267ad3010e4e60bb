"""Paper 1 (Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"): closed forms for
the fully synthetic Gaussian recursion.

Generation 0 fits ``n0`` real points of ``N(mu, sigma2)``; generation ``t`` fits ``n_t``
points drawn from generation ``t - 1``'s fit. Given the past,

    mu_t     = mu_{t-1} + sqrt(sigma2_{t-1} / n_t) Z_t,
    sigma2_t = sigma2_{t-1} W_t,   W_t = chi2(n_t - 1) / (n_t - 1)   (unbiased)
                                   W_t = chi2(n_t - 1) / n_t         (MLE),

so ``sigma2_T = sigma2 * prod_{t=0}^T W_t`` (generation 0 included) and every moment below is a
product or a sum over generations. For the d-dimensional Gaussian, the same formulas hold for
traces: pass ``sigma2 = tr(Sigma)`` to get ``E tr(Sigma_t)`` and ``E |mu_t - mu|^2``.

Every function takes ``n0`` and ``n_synth`` (the sizes of generations ``1..T``) and returns
arrays over ``t = 0..T``.

Biased estimators. ``bias=(beta, gamma)`` multiplies each variance estimate by
``1 + beta n^(-gamma)`` (a bias of ``beta sigma2 n^(-gamma)``, the model of paper 1's bias
conditions); ``shrinkage`` (``delta_t`` for ``t = 1..T``, or a
:class:`~modelcollapse.schedules.Shrinkage`) multiplies generation ``t``'s estimate by
``1 - delta_t``. Both scale ``W_t`` by a constant ``c_t``, so every formula below holds with
``W_t = c_t chi2(k_t) / d_t``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_int, check_real, fail
from ..schedules import Constant, Exponential, Linear, Power, Schedule, TLog, TwoPhase
from ._common import check_horizon, check_paths, estimator, full_sizes, sizes_array
from ._special import digamma, loggamma, trigamma, zeta

__all__ = [
    "collapse_probability",
    "collapse_verdict",
    "gaussian_expected_kl",
    "gaussian_log_variance_moments",
    "gaussian_mean_error_moments",
    "gaussian_mean_variance",
    "gaussian_variance_moments",
    "harmonic_limit",
    "harmonic_sum",
    "risk_inflation",
    "win_probability_exact",
    "win_probability_independent",
    "win_probability_plugin",
]


def harmonic_sum(n_synth: Any) -> np.ndarray:
    """Partial sums ``sum_{s=1}^t 1/n_s`` for ``t = 1..T``.

    Collapse happens iff this diverges as ``T -> infinity``.

    Parameters
    ----------
    n_synth : array_like of int
        Synthetic sample sizes ``n_1..n_T`` (each at least 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(T,)``: entry ``t - 1`` is ``sum_{s=1}^t 1/n_s``.

    Examples
    --------
    >>> harmonic_sum([10, 20, 40]).round(4).tolist()
    [0.1, 0.15, 0.175]
    """
    return np.cumsum(1.0 / sizes_array("n_synth", n_synth, 1))


class _Chain:
    """The variance chain ``sigma2_t = sigma2 prod_{j<=t} W_j``, ``W_j = e^{s_j} G_j`` with
    ``G_j ~ Gamma(alpha_j)``, ``alpha_j = (n_j - 1)/2`` and ``e^{s_j} = 2 c_j / d_j``."""

    def __init__(
        self, n0: Any, n_synth: Any, variance: str, bias: Any = None, shrinkage: Any = None
    ) -> None:
        self.n = full_sizes(n0, n_synth)
        self.alpha = (self.n - 1.0) / 2.0
        divisor = self.n - 1.0 if estimator(variance) == "unbiased" else self.n
        self.log_scale = np.log(2.0 / divisor) + np.log(_factors(self.n, bias, shrinkage))

    def mean(self) -> np.ndarray:
        """``E W_j``."""
        return np.exp(self.log_scale) * self.alpha

    def second(self) -> np.ndarray:
        """``E W_j^2``."""
        return np.exp(2.0 * self.log_scale) * self.alpha * (self.alpha + 1.0)

    def inverse(self) -> np.ndarray:
        """``E[1 / W_j]``, infinite for ``n_j <= 3``."""
        with np.errstate(divide="ignore"):
            return np.where(self.alpha > 1.0, np.exp(-self.log_scale) / (self.alpha - 1.0), np.inf)


def _factors(n: np.ndarray, bias: Any, shrinkage: Any) -> np.ndarray:
    """``c_j = (1 + beta n_j^(-gamma)) (1 - delta_j)`` for ``j = 0..T`` (``delta_0 = 0``)."""
    c = np.ones_like(n)
    if bias is not None:
        try:
            beta, gamma = (float(v) for v in bias)
        except (TypeError, ValueError):
            raise fail("bias", "must be a pair (beta, gamma)", bias) from None
        check_real("bias gamma", gamma, lower=0.0, lower_open=True)
        c = c * (1.0 + check_real("bias beta", beta) * n**-gamma)
        if np.any(c <= 0):
            raise fail("bias", "1 + beta n^(-gamma) must stay positive for every size", bias)
    if shrinkage is not None:
        deltas = (
            shrinkage.deltas(n.size - 1)
            if hasattr(shrinkage, "deltas")
            else np.asarray(shrinkage, dtype=float)
        )
        if deltas.shape != (n.size - 1,) or np.any((deltas < 0) | (deltas >= 1)):
            raise fail("shrinkage", f"must give {n.size - 1} values delta_t in [0, 1)", shrinkage)
        c = c * np.concatenate([[1.0], 1.0 - deltas])
    return c


def gaussian_variance_moments(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    sigma2: float = 1.0,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``sigma2_t`` for ``t = 0..T``.

    ``E sigma2_t = sigma2 prod_{j<=t} E W_j`` and ``E sigma2_t^2 = sigma2^2 prod_{j<=t} E W_j^2``
    with ``E W = 1``, ``E W^2 = 1 + 2/(n - 1)`` (unbiased) or ``E W = 1 - 1/n``,
    ``E W^2 = 1 - 1/n^2`` (MLE), times ``c_j`` and ``c_j^2`` under bias or shrinkage.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance (or ``tr(Sigma)`` for the trace analogue of the mean).
    bias : (float, float), optional
        ``(beta, gamma)``: estimates multiplied by ``1 + beta n^(-gamma)``.
    shrinkage : array_like or Shrinkage, optional
        ``delta_t`` for ``t = 1..T``: generation ``t``'s estimate multiplied by ``1 - delta_t``.

    Returns
    -------
    mean, var : numpy.ndarray
        Shape ``(T + 1,)``.

    Examples
    --------
    >>> m, v = gaussian_variance_moments(10, [10, 10], variance="mle")
    >>> m.round(3).tolist()
    [0.9, 0.81, 0.729]
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    chain = _Chain(n0, n_synth, variance, bias, shrinkage)
    mean = sigma2 * np.cumprod(chain.mean())
    return mean, sigma2**2 * np.cumprod(chain.second()) - mean**2


def gaussian_mean_variance(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    sigma2: float = 1.0,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> np.ndarray:
    """``Var mu_t`` (``E|mu_t - mu|^2``) for ``t = 0..T``.

    ``Var mu_t = sigma2/n0 + sum_{s=1}^t E[sigma2_{s-1}] / n_s``: unbiased
    ``sigma2 (1/n0 + sum 1/n_s)``; MLE ``sigma2 [1/n0 + sum_s prod_{j<s}(1 - 1/n_j) / n_s]``.
    With ``sigma2 = tr(Sigma)`` this is ``E|mu_t - mu|^2`` in d dimensions.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance (or ``tr(Sigma)``).
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments`.

    Returns
    -------
    numpy.ndarray
        ``E|mu_t - mu|^2``, shape ``(T + 1,)``, in the units of ``sigma2``.

    Examples
    --------
    >>> gaussian_mean_variance(100, [100] * 3).round(12).tolist()
    [0.01, 0.02, 0.03, 0.04]
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    n = full_sizes(n0, n_synth)
    mean, _ = gaussian_variance_moments(
        n0, n_synth, variance, sigma2, bias=bias, shrinkage=shrinkage
    )
    steps = mean[:-1] / n[1:]
    return sigma2 / n[0] + np.concatenate([[0.0], np.cumsum(steps)])


def gaussian_log_variance_moments(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    sigma2: float = 1.0,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``log sigma2_t`` for ``t = 0..T``: a random walk.

    With ``k = n - 1``: ``E log W = psi(k/2) - log(k/2)`` (about ``-1/k``; the MLE adds
    ``log(k/n)``, bias and shrinkage add ``log c``) and ``Var log W = psi'(k/2)`` (about
    ``2/k``).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance (it shifts the mean by ``log sigma2``).
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments` (they add ``log c_j``).

    Returns
    -------
    mean, var : numpy.ndarray
        ``E log sigma2_t`` and ``Var log sigma2_t``, shape ``(T + 1,)``.

    Examples
    --------
    >>> mean, var = gaussian_log_variance_moments(101, [101] * 100)
    >>> round(float(mean[-1]), 2), round(float(var[-1]), 2)
    (-1.01, 2.04)
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    chain = _Chain(n0, n_synth, variance, bias, shrinkage)
    drift = chain.log_scale + digamma(chain.alpha)
    return np.log(sigma2) + np.cumsum(drift), np.cumsum(trigamma(chain.alpha))


# -- the schedule: sum 1/n_t and the collapse dichotomy -------------------------------------


def harmonic_limit(schedule: Schedule, gamma: float = 1.0) -> float | None:
    """``lim_T sum_{t>=1} n_t^(-gamma)`` for a named schedule, before rounding to integers.

    ``inf`` means the sum diverges. ``None`` means unknown (explicit lists and callables, whose
    future sizes are not known). The rounded integer sizes the engine uses differ from the
    formula by less than one at each generation, which does not change convergence.

    ========================  =========================================================
    schedule                  limit (``gamma = 1``)
    ========================  =========================================================
    constant, linear          ``inf`` (linear: harmonic)
    power ``n0 t^(1+s)``      ``zeta(1+s) / n0`` for ``s > 0``, else ``inf``
    exp ``n0 c^t``            ``1 / (n0 (c - 1))`` for ``c > 1``, else ``inf``
    tlog ``n0 t log(t+1)^a``  finite iff ``a > 1`` (computed numerically)
    two-phase                 ``(u + u^(1+s) zeta(1+s, u+1)) / n`` for ``s > 0`` (``u`` =
                              until, ``zeta(p, q)`` the Hurwitz zeta function), else ``inf``
    ========================  =========================================================

    For ``gamma != 1`` (bias of order ``n^(-gamma)``) the same rules apply to
    ``sum n_t^(-gamma)``: e.g. power converges iff ``gamma (1 + s) > 1``.

    Parameters
    ----------
    schedule : Schedule
        A synthetic-size schedule from :mod:`modelcollapse.schedules`.
    gamma : float
        Exponent of the terms ``n_t^(-gamma)`` (positive; default 1).

    Returns
    -------
    float or None
        The limit of the series (``inf`` when it diverges), or ``None`` when unknown.

    Examples
    --------
    >>> from modelcollapse.schedules import Power
    >>> round(harmonic_limit(Power(1, 1.0)), 6)  # pi^2 / 6
    1.644934
    """
    gamma = check_real("gamma", gamma, lower=0.0, lower_open=True)
    if isinstance(schedule, Constant):
        return math.inf if schedule.n > 0 else None
    if isinstance(schedule, Linear):
        return math.inf if gamma <= 1 else float(zeta(gamma)) * schedule.n**-gamma
    if isinstance(schedule, Power):
        p = gamma * (1.0 + schedule.s)
        return math.inf if p <= 1 else float(zeta(p)) * schedule.n0**-gamma
    if isinstance(schedule, Exponential):
        if schedule.c <= 1:
            return math.inf
        q = schedule.c**-gamma
        return schedule.n0**-gamma * q / (1.0 - q)
    if isinstance(schedule, TLog):
        if gamma < 1 or (gamma == 1 and schedule.a <= 1):
            return math.inf
        return _tlog_sum(schedule.n0, schedule.a, gamma)
    if isinstance(schedule, TwoPhase):
        p = gamma * (1.0 + schedule.s)
        if p <= 1:
            return math.inf
        u = schedule.until
        return schedule.n**-gamma * (u + u**p * float(zeta(p, u + 1)))
    return None


def _tlog_sum(n0: int, a: float, gamma: float) -> float:
    """``sum_t (n0 t log(t+1)^a)^(-gamma)``: a direct sum, then the integral tail.

    The tail ``sum_{t>N} f(t) = int_N^inf f - f(N)/2 + O(f'(N))`` (Euler-Maclaurin) is
    integrated in ``v = log(1 + x)``, where it is ``v^(-a)`` (``gamma = 1``, done in closed form
    up to an ``O(1/N)`` correction) or decays exponentially (``gamma > 1``).
    """
    from scipy.integrate import quad  # on first use: the command line starts faster

    head_terms = 10**6
    t = np.arange(1, head_terms + 1, dtype=float)
    head = float(np.sum((t * np.log1p(t) ** a) ** -gamma))
    v0 = math.log1p(head_terms)
    if gamma == 1:
        # f(x) dx = v^(-a) / (1 - e^(-v)) dv
        correction = quad(lambda v: v**-a * math.exp(-v) / -math.expm1(-v), v0, np.inf)[0]
        tail = v0 ** (1.0 - a) / (a - 1.0) + correction
    else:
        tail = quad(
            lambda v: math.exp((1 - gamma) * v) * (-math.expm1(-v)) ** -gamma * v ** (-a * gamma),
            v0,
            np.inf,
        )[0]
    f_n = (head_terms * v0**a) ** -gamma
    return (head + tail - 0.5 * f_n) * n0**-gamma


def collapse_verdict(
    schedule: Schedule,
    gamma: float = 1.0,
    beta: float | None = None,
    variance: str = "unbiased",
) -> str:
    """What happens to the variance of the recursive Gaussian fit under ``schedule``.

    ``log sigma2_T`` is a sum of independent steps whose variance is about ``2/n_t`` and whose
    drift is ``E log W_t + log(1 + beta n_t^-gamma)``, with ``E log W_t`` about ``-1/n_t``
    (unbiased) or ``-2/n_t`` (MLE). So:

    - ``"stable"``: ``sum n_t^-min(gamma, 1)`` converges; ``sigma2_T`` has a positive limit.
    - ``"collapses"``: the sum diverges and the drift is negative (no bias, a negative bias,
      or a bias of order ``n^-gamma`` with ``gamma > 1``): ``sigma2_T -> 0`` almost surely.
    - ``"explodes"``: the sum diverges and the drift is positive: a positive bias of order
      ``n^-gamma`` with ``gamma < 1``, or at ``gamma = 1`` with ``beta`` above 1 (unbiased) or 2
      (MLE): ``sigma2_T -> infinity`` almost surely (and so does its mean).
    - ``"unknown"``: schedules whose future sizes are not known (explicit lists, callables), and
      the boundary ``gamma = 1, beta = 1`` (unbiased) or ``2`` (MLE) where the leading drift
      cancels.

    For a constant size the steps are independent and identically distributed, and the sign of
    the exact drift ``psi(k/2) - log(k/2) [+ log(k/n)] + log(1 + beta n^-gamma)``, ``k = n - 1``,
    decides (a small positive bias can still collapse); for growing sizes the leading term of
    the drift does.

    Parameters
    ----------
    schedule : Schedule
        The synthetic sample sizes ``n_t``.
    gamma : float
        Order of the bias, ``beta n^-gamma`` (default 1: the bias of the MLE itself).
    beta : float, optional
        Size and sign of a bias ``1 + beta n^-gamma`` multiplying the variance estimate (the
        Gaussian family's ``bias=(beta, gamma)``). ``None`` (the default) keeps paper 1's
        condition for a bias of unknown sign: ``"collapses"`` when ``sum n_t^-min(gamma, 1)``
        diverges, ``"stable"`` otherwise.
    variance : {"unbiased", "mle"}
        The variance estimator the bias multiplies.

    Returns
    -------
    str
        One of ``"stable"``, ``"collapses"``, ``"explodes"`` and ``"unknown"``.

    Examples
    --------
    >>> from modelcollapse.schedules import Constant, Power
    >>> collapse_verdict(Constant(100))
    'collapses'
    >>> collapse_verdict(Power(100, 0.5), 0.5, beta=1.0)
    'explodes'
    >>> collapse_verdict(Power(100, 0.5), 0.5, beta=-1.0)
    'collapses'
    >>> collapse_verdict(Power(100, 1.5), 0.5, beta=1.0)
    'stable'
    """
    gamma = check_real("gamma", gamma, lower=0.0, lower_open=True)
    if variance not in ("unbiased", "mle"):
        raise fail("variance", "must be 'unbiased' or 'mle'", variance)
    limit = harmonic_limit(schedule, min(gamma, 1.0))
    if limit is None:
        return "unknown"
    if not math.isinf(limit):
        return "stable"
    if beta is None:
        return "collapses"
    beta = check_real("beta", beta)
    if isinstance(schedule, Constant):
        # i.i.d. steps: the sign of the exact drift decides.
        n = schedule.n
        k = n - 1
        if n < 2 or 1.0 + beta * n**-gamma <= 0:
            return "unknown"
        drift = float(digamma(k / 2) - math.log(k / 2)) + math.log1p(beta * n**-gamma)
        if variance == "mle":
            drift += math.log(k / n)
        if drift == 0.0:
            return "unknown"
        return "explodes" if drift > 0 else "collapses"
    # Growing sizes: the leading term of the drift decides.
    if gamma < 1.0 and beta != 0.0:
        return "explodes" if beta > 0 else "collapses"
    # The bias is O(1/n) or absent: the drift is (beta [gamma = 1] - 1 or 2) / n.
    drift = (beta if gamma == 1.0 else 0.0) - (1.0 if variance == "unbiased" else 2.0)
    if drift == 0.0:
        return "unknown"
    return "explodes" if drift > 0 else "collapses"


def risk_inflation(n0: int, n_synth: Any) -> np.ndarray:
    """Asymptotic risk inflation ``1 + r_t``, ``r_t = n0 sum_{s=1}^t 1/n_s``, for ``t = 0..T``.

    As ``n0 -> infinity`` the error ``theta_T - theta*`` of any asymptotically normal estimator
    is normal with covariance ``V* (1 + r_T) / n0``: the recursion inflates the real-data risk
    by ``1 + r_T``, which stays bounded iff ``sum 1/n_t < inf``.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.

    Returns
    -------
    numpy.ndarray
        ``1 + r_t``, shape ``(T + 1,)`` (``1`` at ``t = 0``).

    Examples
    --------
    >>> risk_inflation(100, [100, 200]).tolist()
    [1.0, 2.0, 2.5]
    """
    n0 = check_int("n0", n0, minimum=1)
    sizes = sizes_array("n_synth", n_synth, 1)
    return 1.0 + n0 * np.concatenate([[0.0], np.cumsum(1.0 / sizes)])


# -- the exact distribution of sigma2_T ------------------------------------------------------


def collapse_probability(
    n0: int,
    n_synth: Any,
    eps: float = 0.05,
    variance: str = "unbiased",
    sigma2: float = 1.0,
    generations: Any = None,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> np.ndarray:
    """Exact ``P(sigma2_t <= eps)`` without simulation, by inverting a characteristic function.

    ``log sigma2_t = log sigma2 + sum_{j<=t} log W_j`` is a sum of independent log-gamma
    variables: ``W_j = chi2(k_j) / d_j`` with ``k_j = n_j - 1`` and ``d_j = k_j`` (unbiased) or
    ``n_j`` (MLE), so ``E W_j^{iu} = (2/d_j)^{iu} Gamma(k_j/2 + iu) / Gamma(k_j/2)``. The CDF
    follows from the Gil-Pelaez formula

        F(y) = 1/2 - (1/pi) int_0^inf Im[exp(-i u y) phi(u)] / u du,

    evaluated for the centred sum by the midpoint rule on a grid whose spacing makes the
    aliasing error negligible and whose extent makes the truncation error below ``1e-14``;
    the result is accurate to about ``1e-9`` (tests check ``1e-6`` against independent
    methods).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like
        Synthetic sizes of generations ``1..T``.
    eps : float
        Collapse threshold on the variance.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance.
    generations : array_like of int, optional
        Generations at which to evaluate (default: all, ``0..T``).
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments` (they shift each
        ``log W_j`` by ``log c_j``).

    Returns
    -------
    numpy.ndarray
        ``P(sigma2_t <= eps)`` at the requested generations.

    Examples
    --------
    >>> p = collapse_probability(100, [100] * 500, eps=0.05)
    >>> round(float(p[-1]), 4)
    0.7423
    """
    eps = check_real("eps", eps, lower=0.0, lower_open=True)
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    check_horizon(int(np.size(n_synth)))
    chain = _Chain(n0, n_synth, variance, bias, shrinkage)
    alpha, shift = chain.alpha, chain.log_scale
    T = alpha.size - 1
    if generations is None:
        gens = np.arange(T + 1)
    else:
        gens = np.atleast_1d(np.asarray(generations))
        if gens.ndim != 1 or np.any(gens != np.round(gens)) or np.any((gens < 0) | (gens > T)):
            raise fail("generations", f"must be integers in [0, {T}]", generations)
        gens = gens.astype(int)
    # Distinct (alpha, shift) pairs: constant schedules need two log-gamma evaluations per node.
    # (A complex number holds a pair: its sort is far faster than np.unique over columns.)
    unique, index = np.unique(alpha + 1j * shift, return_inverse=True)
    pairs = np.stack([unique.real, unique.imag])
    index = np.asarray(index).ravel()
    mean = np.cumsum((digamma(pairs[0]) + pairs[1])[index])
    var = np.cumsum(trigamma(pairs[0])[index])
    y = math.log(eps / sigma2) - mean[gens]
    out = np.empty(gens.size)
    # Queries are grouped so that within a group the spread varies by at most a factor 4; each
    # group has its own grid.
    order = np.argsort(var[gens])
    start = 0
    while start < order.size:
        sd0 = math.sqrt(var[gens[order[start]]])
        stop = start + 1
        while stop < order.size and math.sqrt(var[gens[order[stop]]]) <= 4.0 * sd0:
            stop += 1
        members = order[start:stop]
        out[members] = _gil_pelaez(pairs, index, mean, var, gens[members], y[members])
        start = stop
    return out


def _log_phi_unique(pairs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``log E exp(i u log W)`` for each distinct term, shape ``(n_pairs, len(u))``."""
    alpha, shift = pairs[0][:, None], pairs[1][:, None]
    return loggamma(alpha + 1j * u) - loggamma(alpha) + 1j * u * shift


def _pair_counts(index: np.ndarray, gens: np.ndarray, n_pairs: int) -> np.ndarray | None:
    """``counts[g, p]``: how many of the terms ``0..gens[g]`` are the distinct term ``p``, when
    that is cheaper than summing the terms one by one at every node (few distinct terms, as in
    a constant schedule); ``None`` otherwise."""
    if n_pairs > 256 or n_pairs * gens.size > index.size // 4:
        return None
    order = np.argsort(index, kind="stable")  # positions grouped by term, increasing
    bounds = np.searchsorted(index[order], np.arange(n_pairs + 1))
    counts = np.empty((gens.size, n_pairs))
    for p in range(n_pairs):
        counts[:, p] = np.searchsorted(order[bounds[p] : bounds[p + 1]], gens, side="right")
    return counts


def _gil_pelaez(
    pairs: np.ndarray,
    index: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    gens: np.ndarray,
    y: np.ndarray,
) -> np.ndarray:
    sd_max = math.sqrt(var[gens].max())
    alpha_min = float(pairs[0][index[: gens.max() + 1]].min())
    # Half-width of the window that must hold the centred distribution and the query points:
    # 12 sd on each side, plus the exponential left tail exp(alpha z) of a small-alpha term.
    half = float(np.abs(y).max()) + 12.0 * sd_max + 32.0 / alpha_min
    du = 2.0 * math.pi / (4.0 * half)
    first = int(gens.min())
    # Extent: |phi| of the generation with fewest terms decays slowest; grow until < 1e-14.
    u_max = 8.0 / math.sqrt(var[first])
    while True:
        tail = _log_phi_unique(pairs, np.array([u_max]))[:, 0].real
        if float(np.sum(tail[index[: first + 1]])) < math.log(1e-14):
            break
        u_max *= 1.5
    u = (np.arange(math.ceil(u_max / du)) + 0.5) * du
    last = int(gens.max())
    out = np.zeros(gens.size)
    counts = _pair_counts(index[: last + 1], gens, pairs.shape[1])
    # Chunk the grid so the (generations x nodes) array stays small.
    rows = last + 1 if counts is None else max(gens.size, pairs.shape[1])
    step = max(1, 2**22 // rows)
    for a in range(0, u.size, step):
        uu = u[a : a + step]
        if counts is None:
            terms = _log_phi_unique(pairs, uu)[index[: last + 1]]
            cumulative = np.cumsum(terms, axis=0)[gens]
        else:  # few distinct terms: each generation's sum is counts times the terms
            cumulative = counts @ _log_phi_unique(pairs, uu)
        centred = cumulative - 1j * uu * mean[gens][:, None]
        integrand = np.imag(np.exp(centred - 1j * uu * y[:, None])) / uu
        out += integrand.sum(axis=1) * du
    return np.clip(0.5 - out / math.pi, 0.0, 1.0)


# -- the probability that recursive training beats the real-data fit -------------------------


def win_probability_plugin(n0: int, n_synth: Any, dim: int = 1) -> np.ndarray:
    """Plug-in ``Q_t = P(|theta_t - theta*| < |theta_0 - theta*|)`` for ``t = 0..T``.

    For asymptotically normal estimators with ``r_t = n0 sum_{s<=t} 1/n_s`` and ``d`` parameters
    compared in the ``V*^{-1}`` metric, ``Q_t = E_{R ~ chi_d}[Phi(-R sqrt(r_t) / 2)]``:
    ``(1/pi) arctan(2 / sqrt(r_t))`` for ``d = 1`` and ``(1 - sqrt(r_t / (4 + r_t))) / 2`` for
    ``d = 2``. ``Q_0`` is reported as ``1/2`` (the tie ``theta_t = theta_0``).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.
    dim : int
        Number of parameters ``d`` (``d >= 3`` integrates numerically).

    Returns
    -------
    numpy.ndarray
        ``Q_t``, shape ``(T + 1,)``.

    Examples
    --------
    >>> win_probability_plugin(100, [100, 100]).round(4).tolist()
    [0.5, 0.3524, 0.3041]
    """
    dim = check_int("dim", dim, minimum=1)
    r = risk_inflation(n0, n_synth) - 1.0
    out = np.full(r.size, 0.5)
    pos = r > 0
    if dim == 1:
        out[pos] = np.arctan(2.0 / np.sqrt(r[pos])) / math.pi
    elif dim == 2:
        out[pos] = 0.5 * (1.0 - np.sqrt(r[pos] / (4.0 + r[pos])))
    else:
        from scipy.integrate import quad
        from scipy.stats import chi, norm

        for i in np.flatnonzero(pos):
            c = math.sqrt(r[i]) / 2.0
            out[i] = quad(lambda x, c=c: chi(dim).pdf(x) * norm.cdf(-c * x), 0, np.inf)[0]
    return out


def win_probability_independent(n0: int, n_synth: Any) -> np.ndarray:
    """``P(|theta_t - theta*| < |theta' - theta*|)`` against an *independent* real fit
    ``theta'`` of size ``n0`` (one parameter): ``(2/pi) arctan(1 / sqrt(1 + r_t))``.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0 and of the independent fit.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.

    Returns
    -------
    numpy.ndarray
        The probability, shape ``(T + 1,)`` (``1/2`` at ``t = 0``).

    Examples
    --------
    >>> win_probability_independent(100, [100, 100]).round(4).tolist()
    [0.5, 0.3918, 0.3333]
    """
    r = risk_inflation(n0, n_synth) - 1.0
    return 2.0 / math.pi * np.arctan(1.0 / np.sqrt(1.0 + r))


def win_probability_exact(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    replications: int = 100_000,
    seed: Any = 0,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian mean: ``Q_t = E[(1/pi) arctan(2 sqrt(a / B_t))]`` for ``t = 0..T``.

    With ``a = sigma2 / n0`` and ``B_t = sum_{s=1}^t sigma2_{s-1} / n_s``, conditionally on the
    variance path ``theta_0 - mu ~ N(0, a)`` and ``theta_t - theta_0 ~ N(0, B_t)`` are
    independent, and ``P(|X + Y| < |X|) = (1/pi) arctan(2 sqrt(a/b))``. The expectation over
    the variance path (a chain of scaled chi-squares, independent of the means) is taken by
    Monte Carlo over the path alone, which removes the variance of the means' indicator;
    the standard error is returned with the value. Unlike the plug-in form this stays right
    under collapsing schedules, where later steps shrink with the variance.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    replications : int
        Monte Carlo variance paths (at least 2).
    seed : int or numpy.random.SeedSequence
        Seed of the variance paths.
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments`.

    Returns
    -------
    q, se : numpy.ndarray
        Shape ``(T + 1,)``; ``q[0] = 1/2``.

    Examples
    --------
    >>> q, se = win_probability_exact(100, [100, 100], replications=2000, seed=0)
    >>> q.round(2).tolist()
    [0.5, 0.35, 0.3]
    """
    from ..random import ReplicationRandom, as_seed_sequence

    replications = check_int("replications", replications, minimum=2)
    check_paths(replications, int(np.size(n_synth)))
    chain = _Chain(n0, n_synth, variance, bias, shrinkage)
    n, alpha, shift = chain.n, chain.alpha, chain.log_scale
    rng = ReplicationRandom(as_seed_sequence(seed), 0, replications)
    s2 = np.exp(shift[0]) * rng.standard_gamma(alpha[0])  # sigma2_0 / sigma2
    b = np.zeros(replications)
    q = np.full(n.size, 0.5)
    se = np.zeros(n.size)
    a = 1.0 / n[0]
    for t in range(1, n.size):
        b += s2 / n[t]
        with np.errstate(divide="ignore"):
            values = np.arctan(2.0 * np.sqrt(a / b)) / math.pi
        q[t] = values.mean()
        se[t] = values.std(ddof=1) / math.sqrt(replications)
        s2 = s2 * np.exp(shift[t]) * rng.standard_gamma(alpha[t])
    return q, se


def gaussian_expected_kl(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> np.ndarray:
    """Exact ``E KL(truth || model_t)`` for ``t = 0..T`` (1-D Gaussian; scale free).

    With ``P(s, t) = prod_{j=s}^t E[1/W_j]``, ``E[1/W] = d / (k - 2)`` (``k = n - 1``, ``d = k``
    unbiased or ``n`` MLE), and the means' increments independent of the variance path,

        2 E KL_t = E log(sigma2_t / sigma2) + (1 + 1/n0) P(0, t) + sum_{s=1}^t P(s, t) / n_s - 1.

    ``inf`` once a generation has ``n <= 3`` (``E[1/chi2(k)]`` is infinite for ``k <= 2``). The
    expected population risk is this plus the entropy ``0.5 log(2 pi e sigma2)``. The mean is
    dominated by rare near-collapsed replications at large ``t``, so a simulated average
    converges slowly there.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments`.

    Returns
    -------
    numpy.ndarray
        ``E KL(N(mu, sigma2) || N(mu_t, sigma2_t))`` in nats, shape ``(T + 1,)``.

    Examples
    --------
    >>> round(float(gaussian_expected_kl(100, [100] * 10)[-1]), 4)
    0.1324
    """
    chain = _Chain(n0, n_synth, variance, bias, shrinkage)
    n, inv = chain.n, chain.inverse()
    log_p = np.cumsum(np.log(inv))  # log P(0, t)
    mean_log, _ = gaussian_log_variance_moments(
        n0, n_synth, variance, 1.0, bias=bias, shrinkage=shrinkage
    )
    # sum_{s=1}^t P(s, t)/n_s = exp(log_p[t]) * sum_{s=1}^t exp(-log_p[s-1]) / n_s
    with np.errstate(over="ignore", invalid="ignore"):
        steps = np.concatenate([[0.0], np.cumsum(np.exp(-log_p[:-1]) / n[1:])])
        total = np.exp(log_p) * (1.0 + 1.0 / n[0] + steps)
        out = 0.5 * (mean_log + total - 1.0)
    return np.where(np.isfinite(log_p), out, np.inf)


def gaussian_mean_error_moments(
    n0: int,
    n_synth: Any,
    variance: str = "unbiased",
    sigma2: float = 1.0,
    *,
    bias: Any = None,
    shrinkage: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the squared error ``(mu_t - mu)^2`` for ``t = 0..T``.

    Given the variance path, ``mu_t - mu ~ N(0, a + B_t)`` with ``a = sigma2 / n0`` and
    ``B_t = sum_{s<=t} sigma2_{s-1} / n_s``, so ``E(mu_t - mu)^4 = 3 E(a + B_t)^2``, where
    ``E B_t^2`` needs ``E[sigma2_i sigma2_j] = E[sigma2_i^2] E[sigma2_j] / E[sigma2_i]``
    (``i <= j``). The variance is what sets the Monte Carlo standard error of a simulated
    ``Var mu_t``; under a collapsing schedule with the unbiased estimator it grows like
    ``prod (1 + 2/(n - 1))``, so a sample mean of ``(mu_t - mu)^2`` is unreliable long before
    its own standard error says so.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_synth : array_like of int
        Synthetic sizes of generations ``1..T``.
    variance : {"unbiased", "mle"}
        Variance estimator.
    sigma2 : float
        True variance.
    bias, shrinkage : optional
        Biased estimators, as in :func:`gaussian_variance_moments`.

    Returns
    -------
    mean, var : numpy.ndarray
        Shape ``(T + 1,)``; ``mean`` equals :func:`gaussian_mean_variance`.

    Examples
    --------
    >>> mean, var = gaussian_mean_error_moments(100, [100, 100])
    >>> mean.round(4).tolist(), var.round(6).tolist()
    ([0.01, 0.02, 0.03], [0.0002, 0.000806, 0.00183])
    """
    sigma2 = check_real("sigma2", sigma2, lower=0.0, lower_open=True)
    n = full_sizes(n0, n_synth)
    m1, v = gaussian_variance_moments(n0, n_synth, variance, sigma2, bias=bias, shrinkage=shrinkage)
    m2 = v + m1**2
    a = sigma2 / n[0]
    inv = 1.0 / n[1:]
    eb = np.concatenate([[0.0], np.cumsum(m1[:-1] * inv)])
    diag = np.concatenate([[0.0], np.cumsum(m2[:-1] * inv**2)])
    prefix = np.concatenate([[0.0], np.cumsum((m2[:-1] / m1[:-1]) * inv)])  # C_t
    cross = np.concatenate([[0.0], np.cumsum(m1[:-1] * inv * prefix[:-1])])
    eb2 = diag + 2.0 * cross
    mean = a + eb
    return mean, 3.0 * (a * a + 2.0 * a * eb + eb2) - mean**2
