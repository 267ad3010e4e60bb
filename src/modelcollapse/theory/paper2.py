"""Paper 2 (He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"): closed forms for
fresh real data mixed with weighted synthetic data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._validation import check_finite, check_int, check_real, fail
from ._common import sizes_array
from .discrete import _cells

__all__ = [
    "CONSTANT_MODELS",
    "GOLDEN",
    "error_trajectory",
    "exact_error_path",
    "exact_limiting_error",
    "exact_optimal_weight",
    "fully_synthetic_error",
    "gaussian_covariance_error",
    "gaussian_mean_error",
    "glm_information",
    "greedy_weights",
    "limiting_ratio",
    "model_constant",
    "naive_weight",
    "optimal_weight",
    "weighted_error_recursion",
]


def gaussian_mean_error(
    n0: int, n_real: Any, n_synth: Any, w: Any, trace: float = 1.0
) -> np.ndarray:
    """Exact ``E|mu_t - mu|^2`` for ``t = 0..T`` under fresh-data weighting.

    ``mu_t = w_t xbar_real + (1 - w_t) xbar_synth`` with the synthetic data drawn from
    generation ``t - 1``'s fit. When the covariance estimate is unbiased (per-source unbiased
    covariances combined convexly), ``E Sigma_t = Sigma`` at every generation and

        e_0 = tr(Sigma) / n0,
        e_t = (1 - w_t)^2 e_{t-1} + tr(Sigma) [w_t^2 / n_real(t) + (1 - w_t)^2 / n_synth(t)],

    which is paper 2's recursion ``e_t = (1-w)^2 e_{t-1} + (C/n)(w^2 + k(1-w)^2)`` with
    ``C = tr(Sigma)``, ``k = n/m``, exact for every sample size.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_real, n_synth : array_like
        Sizes of generations ``1..T``; ``n_real(t) = 0`` requires ``w_t = 0``.
    w : float or array_like
        Weight on real data, scalar or per generation.
    trace : float
        ``tr(Sigma)`` (``sigma2`` in 1-D).

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)``.

    Examples
    --------
    >>> gaussian_mean_error(100, [100] * 2, [100] * 2, 0.5).tolist()
    [0.01, 0.0075, 0.006875]
    """
    n0 = check_int("n0", n0, minimum=1)
    trace = check_real("trace", trace, lower=0.0, lower_open=True)
    real = sizes_array("n_real", n_real, 0)
    synth = sizes_array("n_synth", n_synth, 1)
    weights = np.broadcast_to(np.asarray(w, dtype=float), synth.shape)
    if real.shape != synth.shape:
        raise fail("n_real", f"must have the length of n_synth ({synth.size})", n_real)
    if np.any((weights < 0) | (weights > 1)) or np.any((real == 0) & (weights > 0)):
        raise fail("w", "must lie in [0, 1], and be 0 where n_real is 0", w)
    fresh = np.divide(weights**2, real, out=np.zeros_like(synth), where=real > 0)
    out = np.empty(synth.size + 1)
    out[0] = trace / n0
    for t in range(synth.size):
        keep = (1.0 - weights[t]) ** 2
        out[t + 1] = keep * out[t] + trace * (fresh[t] + keep / synth[t])
    return out


# -- the unified limiting error and the optimal weight ----------------------------------------

GOLDEN = (1.0 + math.sqrt(5.0)) / 2.0  #: the golden ratio phi; ``w*(1) = 1/phi``


def _k(k: Any) -> np.ndarray:
    arr = np.asarray(k, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise fail("k", "must be positive (k = n_real / n_synth)", k)
    return arr


def _w(w: Any) -> np.ndarray:
    arr = np.asarray(w, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise fail("w", "must lie in [0, 1]", w)
    return arr


def _positive(name: str, value: Any) -> float:
    return check_real(name, value, lower=0.0, lower_open=True)


def _covariance(name: str, value: Any) -> np.ndarray:
    """A finite symmetric positive-definite ``d x d`` matrix, ``d >= 1`` (a number is ``1 x 1``)."""
    arr = np.atleast_2d(check_finite(name, value))
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.size == 0:
        raise fail(name, "must be a d x d matrix with d >= 1", value)
    if not np.allclose(arr, arr.T, rtol=1e-12, atol=1e-12):
        raise fail(name, "must be symmetric", value)
    if np.linalg.eigvalsh(arr).min() <= 0:
        raise fail(name, "must be positive definite", value)
    return arr


def _design(value: Any) -> np.ndarray:
    """A finite ``n x p`` design matrix of full column rank."""
    if value is None:
        raise fail("design", "the linear-fixed model needs its n x p design matrix", value)
    x = np.atleast_2d(check_finite("design", value))
    if x.ndim != 2 or x.size == 0:
        raise fail("design", "must be an n x p matrix", value)
    gram = x.T @ x
    if x.shape[0] < x.shape[1] or np.linalg.eigvalsh(gram).min() <= 1e-12 * np.trace(gram):
        raise fail("design", "must have full column rank (at least p rows)", value)
    return x


def limiting_ratio(w: Any, k: Any) -> np.ndarray:
    """``R(w, k) = (w^2 + k (1-w)^2) / (w (2 - w))``: the limiting error in units of ``C/n``.

    Every setting of paper 2 linearises to
    ``theta_t - theta* = (1-w)(theta_{t-1} - theta*) + w xi/sqrt(n) + (1-w) xi~/sqrt(m)``,
    whose mean squared error converges geometrically (rate ``(1-w)^2``) to ``(C/n) R(w, k)``
    for any ``w > 0``; ``R = inf`` at ``w = 0`` (no real data: collapse). Broadcasts.

    Parameters
    ----------
    w : float or array_like
        Weight on the real data, in ``[0, 1]``.
    k : float or array_like
        Ratio ``n / m`` of real to synthetic sample sizes (positive).

    Returns
    -------
    float or numpy.ndarray
        ``R(w, k)`` (dimensionless), broadcast over ``w`` and ``k``.

    Examples
    --------
    >>> float(limiting_ratio(1.0, 1.0)), round(float(limiting_ratio(0.5, 1.0)), 4)
    (1.0, 0.6667)
    """
    w, k = _w(w), _k(k)
    with np.errstate(divide="ignore"):
        out = np.where(w > 0, (w**2 + k * (1 - w) ** 2) / np.where(w > 0, w * (2 - w), 1), np.inf)
    return out[()]


def optimal_weight(k: Any) -> np.ndarray:
    """``w*(k) = (sqrt(k^2 + 4k) - k) / 2``, the minimiser of ``R(w, k)``.

    ``dR/dw`` has the sign of ``w^2 + k w - k``. ``w*(1) = 1/phi``, ``R(w*, k) = w*``, ``w*`` grows
    with ``k`` and ``w* ~ sqrt(k)`` as ``k -> 0``. Written as ``2k / (sqrt(k^2 + 4k) + k)`` to stay
    accurate for tiny and huge ``k``.

    Parameters
    ----------
    k : float or array_like
        Ratio ``n / m`` of real to synthetic sample sizes (positive).

    Returns
    -------
    float or numpy.ndarray
        ``w*(k)`` in ``(0, 1)``, the shape of ``k``.

    Examples
    --------
    >>> round(float(optimal_weight(1.0)), 12) == round(1 / GOLDEN, 12)
    True
    """
    k = _k(k)
    return (2.0 * k / (np.sqrt(k * k + 4.0 * k) + k))[()]


def naive_weight(k: Any) -> np.ndarray:
    """Unweighted pooling, ``w = k / (1 + k)`` (each point weighs the same).

    Parameters
    ----------
    k : float or array_like
        Ratio ``n / m`` of real to synthetic sample sizes (positive).

    Returns
    -------
    float or numpy.ndarray
        The weight of the real data under pooling, the shape of ``k``.

    Examples
    --------
    >>> float(naive_weight(1.0)), float(naive_weight(3.0))
    (0.5, 0.75)
    """
    k = _k(k)
    return (k / (1.0 + k))[()]


def effective_k(k: Any, c_real: float, c_synth: float) -> np.ndarray:
    """``k C_synth / C_real``: the ``k`` of the first-order theory when a real fit and a
    synthetic fit have different constants.

    When the real data do not follow the model (a pseudo-truth fitted to a real table), one fit
    of ``n`` real points has ``n E|theta_hat - theta*|^2 -> C_real`` (a sandwich) while a fit of
    ``m`` points drawn from the model has ``C_synth`` (the inverse information). The recursion
    ``e_t = w^2 C_real/n + (1-w)^2 (e_{t-1} + C_synth/m)`` is paper 2's with ``C = C_real`` and
    ``k`` replaced by ``k C_synth/C_real``: the limiting error is
    ``C_real R(w, k C_synth/C_real)/n`` and the optimal weight ``w*(k C_synth/C_real)``.

    Parameters
    ----------
    k : float or array_like
        Ratio ``n / m`` of real to synthetic sample sizes (positive).
    c_real : float
        Constant of a fit to real data (positive).
    c_synth : float
        Constant of a fit to data drawn from the model (positive).

    Returns
    -------
    float or numpy.ndarray
        ``k C_synth / C_real``, the shape of ``k``.

    Examples
    --------
    >>> float(effective_k(1.0, 2.0, 2.0))
    1.0
    """
    k = _k(k)
    c_real = check_real("c_real", c_real, lower=0.0, lower_open=True)
    c_synth = check_real("c_synth", c_synth, lower=0.0, lower_open=True)
    return (k * (c_synth / c_real))[()]


def error_trajectory(
    w: Any, k: float, generations: int, constant: float = 1.0, n: float = 1.0
) -> np.ndarray:
    """``e_t = (C/n) [(1-w)^{2t} + R(w,k) (1 - (1-w)^{2t})]`` for ``t = 0..T``.

    The solution of ``e_t = (1-w)^2 e_{t-1} + (C/n)(w^2 + k (1-w)^2)``, ``e_0 = C/n``, for a
    constant weight (at ``w = 0``, no real data, ``e_t = (C/n)(1 + k t)`` grows without bound);
    :func:`weighted_error_recursion` handles weights and sizes that change over generations.
    With the default ``constant = n = 1`` it is in units of ``C/n``. ``w`` may be an array: the
    result then has one row per weight.

    Parameters
    ----------
    w : float or array_like
        Constant weight on the real data, in ``[0, 1]``.
    k : float
        Ratio ``n / m`` of real to synthetic sample sizes (positive).
    generations : int
        ``T >= 0``.
    constant : float
        The model constant ``C`` (:func:`model_constant`).
    n : float
        Real sample size per generation.

    Returns
    -------
    numpy.ndarray
        Shape ``(T + 1,)`` for a scalar ``w``, else ``(len(w), T + 1)``.

    Examples
    --------
    >>> error_trajectory(0.5, 1.0, 2).round(4).tolist()
    [1.0, 0.75, 0.6875]
    """
    generations = check_int("generations", generations, minimum=0)
    k = float(_k(k))
    weights = np.atleast_1d(_w(w))[:, None]
    t = np.arange(generations + 1)
    keep = (1.0 - weights) ** (2.0 * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = keep + limiting_ratio(np.where(weights > 0, weights, 1.0), k) * (1.0 - keep)
    out = constant / n * np.where(weights > 0, mixed, 1.0 + k * t)
    return out[0] if np.ndim(w) == 0 else out


def weighted_error_recursion(
    n0: int, n_real: Any, n_synth: Any, w: Any, constant: float = 1.0
) -> np.ndarray:
    """``e_t = (1 - w_t)^2 e_{t-1} + C [w_t^2 / n_real(t) + (1 - w_t)^2 / n_synth(t)]``.

    ``e_0 = C / n0``. The first-order (asymptotic) error of any paper-2 setting with constant
    ``C``; exact for the Gaussian mean (``C = tr Sigma``, see :func:`gaussian_mean_error`) and the
    fixed-design regression (``C = sigma2 tr((X'X/n)^{-1})`` with ``n_real = n_synth = n``).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_real, n_synth : array_like
        Sizes of generations ``1..T``; ``n_real(t) = 0`` requires ``w_t = 0``.
    w : float or array_like
        Weight on real data, scalar or per generation, in ``[0, 1]``.
    constant : float
        The model constant ``C`` (:func:`model_constant`).

    Returns
    -------
    numpy.ndarray
        ``e_t``, shape ``(T + 1,)``.

    Examples
    --------
    >>> weighted_error_recursion(100, [100] * 2, [100] * 2, 0.5).tolist()
    [0.01, 0.0075, 0.006875]
    """
    return gaussian_mean_error(n0, n_real, n_synth, w, constant)


def greedy_weights(n0: int, n_real: Any, n_synth: Any) -> tuple[np.ndarray, np.ndarray]:
    """The greedy time-varying weight and its error path, in units of ``C``.

    Each generation minimises the next error given the current one: with
    ``v_t = e_t / C`` (``v_0 = 1/n0``),
    ``w_t = (v_{t-1} + 1/m_t) / (v_{t-1} + 1/m_t + 1/n_t)`` (paper 2's
    ``(n e/C + k) / (1 + n e/C + k)``), and ``v_t`` follows the recursion. ``C`` cancels, so the
    rule is the same for every model; for constant sizes ``v_t -> w*(k) / n``.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    n_real, n_synth : array_like of int
        Real and synthetic sizes of generations ``1..T`` (each at least 1).

    Returns
    -------
    w : numpy.ndarray
        Weights for generations ``1..T``.
    v : numpy.ndarray
        ``e_t / C`` for ``t = 0..T``.

    Examples
    --------
    >>> w, v = greedy_weights(100, [100] * 3, [100] * 3)
    >>> w.round(4).tolist(), (100 * v).round(4).tolist()
    ([0.6667, 0.625, 0.619], [1.0, 0.6667, 0.625, 0.619])
    """
    n0 = check_int("n0", n0, minimum=1)
    real = sizes_array("n_real", n_real, 1)
    synth = sizes_array("n_synth", n_synth, 1)
    if real.shape != synth.shape:
        raise fail("n_real", f"must have the length of n_synth ({synth.size})", n_real)
    v = np.empty(synth.size + 1)
    w = np.empty(synth.size)
    v[0] = 1.0 / n0
    for t in range(synth.size):
        a = v[t] + 1.0 / synth[t]
        w[t] = a / (a + 1.0 / real[t])
        v[t + 1] = (1.0 - w[t]) ** 2 * v[t] + w[t] ** 2 / real[t] + (1.0 - w[t]) ** 2 / synth[t]
    return w, v


# -- finite-sample exact limiting errors --------------------------------------------------------


def exact_limiting_error(model: str, w: Any, n: int, m: int, **params: Any) -> np.ndarray:
    """The exact ``lim_t E err_t`` at finite ``n`` (real) and ``m`` (synthetic).

    ``model``:

    ``"mean"``
        Gaussian mean, ``C = tr Sigma`` (``trace=``): ``C [w^2/n + (1-w)^2/m] / [1 - (1-w)^2]``,
        which is exactly ``(C/n) R(w, n/m)``.
    ``"variance"``
        1-D Gaussian variance, unbiased per-source estimates combined convexly (``sigma2=``):
        ``2 sigma^4 [w^2/(n-1) + (1-w)^2/(m-1)] / [1 - (1-w)^2 (1 + 2/(m-1))]``.
    ``"covariance"``
        d-dimensional covariance, Frobenius error, same estimator (``cov=``): the fixed point of
        the exact pair of recursions in :func:`gaussian_covariance_error`.
    ``"cdf"``
        Empirical CDF, ``int (F_t - F)^2 dF``:
        ``(1/6)[w^2/n + (1-w)^2/m] / [1 - (1-w)^2 (1 - 1/m)]``.
    ``"categorical"``
        Mean over ``K`` cells of ``(p_t - p)^2`` (``p=``): the CDF bracket with
        ``C = (1/K) sum p_j (1 - p_j)``.

    ``inf`` where the recursion does not converge (the bracket's denominator is not positive:
    ``w = 0`` for the mean and the variance). Without real data the CDF and categorical errors
    stay bounded (the iterated bootstrap tends to ``C``, every atom but one lost). Broadcasts over
    ``w``.

    Parameters
    ----------
    model : {"mean", "variance", "covariance", "cdf", "categorical"}
        The estimated quantity.
    w : float or array_like
        Weight on the real data, in ``[0, 1]``.
    n, m : int
        Real and synthetic sample sizes per generation (each at least 2).
    **params
        The model's parameters: ``trace`` (mean), ``sigma2`` (variance), ``cov`` (covariance),
        ``p`` (categorical); unknown names are refused.

    Returns
    -------
    float or numpy.ndarray
        The limiting expected error, the shape of ``w``.

    Examples
    --------
    >>> round(float(exact_limiting_error("cdf", 1.0, 100, 100)), 6)  # real data only: 1/(6n)
    0.001667
    """
    w = _w(w)
    n = check_int("n", n, minimum=2)
    m = check_int("m", m, minimum=2)
    if model == "covariance":
        cov = _covariance("cov", params.pop("cov", [[1.0]]))
        _no_more(params)
        return _covariance_fixed_point(w, n, m, cov)
    if model == "mean":
        c, nn, mm, growth = _positive("trace", params.pop("trace", 1.0)), n, m, 1.0
    elif model == "variance":
        sigma2 = check_real("sigma2", params.pop("sigma2", 1.0), lower=0.0, lower_open=True)
        c, nn, mm, growth = 2.0 * sigma2**2, n - 1, m - 1, 1.0 + 2.0 / (m - 1)
    elif model == "cdf":
        c, nn, mm, growth = 1.0 / 6.0, n, m, 1.0 - 1.0 / m
    elif model == "categorical":
        p = _cells(params.pop("p", [0.5, 0.5]))
        c, nn, mm, growth = float(np.mean(p * (1 - p))), n, m, 1.0 - 1.0 / m
    else:
        raise fail("model", "must be one of mean, variance, covariance, cdf, categorical", model)
    _no_more(params)
    num = w**2 / nn + (1 - w) ** 2 / mm
    den = 1.0 - (1 - w) ** 2 * growth
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, c * num / np.where(den > 0, den, 1.0), np.inf)[()]


def _no_more(params: dict[str, Any]) -> None:
    if params:
        raise fail("params", "unknown option for this model", sorted(params)[0])


def exact_optimal_weight(model: str, n: int, m: int, **params: Any) -> float:
    """The weight minimising :func:`exact_limiting_error` (bounded scalar minimisation).

    At finite ``n`` and ``m`` it differs slightly from ``w*(n/m)``; for ``"mean"`` it equals it.

    Parameters
    ----------
    model : {"mean", "variance", "covariance", "cdf", "categorical"}
        The estimated quantity.
    n, m : int
        Real and synthetic sample sizes per generation (each at least 2).
    **params
        The model's parameters, as in :func:`exact_limiting_error`.

    Returns
    -------
    float
        The optimal weight on the real data, in ``(0, 1]`` (to about ``1e-10``).

    Examples
    --------
    >>> round(exact_optimal_weight("mean", 100, 100), 6)  # 1 / golden ratio
    0.618034
    >>> round(exact_optimal_weight("variance", 100, 100), 4)
    0.6202
    """
    from scipy.optimize import minimize_scalar  # on first use: the command line starts faster

    res = minimize_scalar(
        lambda w: float(exact_limiting_error(model, w, n, m, **dict(params))),
        bounds=(1e-9, 1.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(res.x)


def gaussian_covariance_error(n0: int, n_real: Any, n_synth: Any, w: Any, cov: Any) -> np.ndarray:
    """Exact ``E ||Sigma_t - Sigma||_F^2`` for ``t = 0..T`` (unbiased, convex combination).

    With ``D_t = Sigma_t - Sigma``, ``A_t = E||D_t||_F^2``, ``B_t = E (tr D_t)^2``,
    ``c1 = tr(Sigma^2)``, ``c2 = (tr Sigma)^2`` and the Wishart moments
    ``E||S/v - Sigma||^2 = (c1 + c2)/v``, ``E (tr(S/v - Sigma))^2 = 2 c1 / v``:

        A_t = w^2 (c1 + c2)/(n-1) + (1-w)^2 [(c1 + A_{t-1} + c2 + B_{t-1})/(m-1) + A_{t-1}]
        B_t = w^2 2 c1/(n-1)     + (1-w)^2 [2 (c1 + A_{t-1})/(m-1)        + B_{t-1}]

    from ``A_0 = (c1 + c2)/(n0 - 1)``, ``B_0 = 2 c1/(n0 - 1)``. In 1-D ``A = B`` and this is the
    variance recursion. Asymptotically ``C = c1 + c2``.

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0 (at least 2).
    n_real, n_synth : array_like of int
        Sizes of generations ``1..T`` (``n_synth >= 2``; ``n_real < 2`` requires ``w_t = 0``).
    w : float or array_like
        Weight on real data, scalar or per generation, in ``[0, 1]``.
    cov : array_like
        The true ``d x d`` covariance ``Sigma`` (a number for ``d = 1``).

    Returns
    -------
    numpy.ndarray
        ``A_t = E||Sigma_t - Sigma||_F^2``, shape ``(T + 1,)``.

    Examples
    --------
    >>> gaussian_covariance_error(10, [10] * 2, [10] * 2, 0.5, [[1.0]]).round(4).tolist()
    [0.2222, 0.179, 0.1658]
    """
    cov = _covariance("cov", cov)
    c1, c2 = float(np.trace(cov @ cov)), float(np.trace(cov)) ** 2
    n0 = check_int("n0", n0, minimum=2)
    real = sizes_array("n_real", n_real, 0)
    synth = sizes_array("n_synth", n_synth, 2)
    weights = np.broadcast_to(_w(w), synth.shape)
    if real.shape != synth.shape:
        raise fail("n_real", f"must have the length of n_synth ({synth.size})", n_real)
    if np.any((real < 2) & (weights > 0)):
        raise fail("w", "must be 0 where n_real < 2", w)
    a = np.empty(synth.size + 1)
    b = np.empty(synth.size + 1)
    a[0], b[0] = (c1 + c2) / (n0 - 1), 2 * c1 / (n0 - 1)
    for t in range(synth.size):
        wr, ws = weights[t], 1.0 - weights[t]
        fresh = wr**2 / (real[t] - 1) if wr > 0 else 0.0
        a[t + 1] = fresh * (c1 + c2) + ws**2 * ((c1 + a[t] + c2 + b[t]) / (synth[t] - 1) + a[t])
        b[t + 1] = fresh * 2 * c1 + ws**2 * (2 * (c1 + a[t]) / (synth[t] - 1) + b[t])
    return a


def _covariance_fixed_point(w: np.ndarray, n: int, m: int, cov: np.ndarray) -> np.ndarray:
    cov = np.atleast_2d(cov)
    c1, c2 = float(np.trace(cov @ cov)), float(np.trace(cov)) ** 2
    out = np.full(np.shape(w), np.inf)
    flat = np.atleast_1d(w)
    res = np.empty(flat.size)
    for i, wi in enumerate(flat):
        s = (1 - wi) ** 2
        # [A, B] = M [A, B] + v  ->  (I - M) x = v
        mat = np.array([[s * (1 / (m - 1) + 1), s / (m - 1)], [s * 2 / (m - 1), s]])
        vec = np.array(
            [
                wi**2 * (c1 + c2) / (n - 1) + s * (c1 + c2) / (m - 1),
                wi**2 * 2 * c1 / (n - 1) + s * 2 * c1 / (m - 1),
            ]
        )
        if wi <= 0 or np.max(np.abs(np.linalg.eigvals(mat))) >= 1:
            res[i] = np.inf
        else:
            res[i] = np.linalg.solve(np.eye(2) - mat, vec)[0]
    out = res.reshape(np.shape(w)) if np.ndim(w) else res[0]
    return np.asarray(out)


# -- the per-model constant C -------------------------------------------------------------------

#: Models accepted by :func:`model_constant` (``C`` such that ``Err_inf = C R(w, k) / n``).
CONSTANT_MODELS = (
    "gaussian-mean",
    "gaussian-variance",
    "gaussian-covariance",
    "linear-fixed",
    "linear-random",
    "logistic",
    "poisson-regression",
    "cdf",
    "categorical",
)


def glm_information(beta: Any, cov_x: Any, link: str, nodes: int = 80) -> np.ndarray:
    """``I(beta) = E[b''(x' beta) x x']`` for ``x ~ N(0, cov_x)`` (one observation).

    ``b'' = sigmoid (1 - sigmoid)`` (``link="logistic"``) or ``exp`` (``"poisson"``). With
    ``s^2 = beta' Sigma beta``, ``u = Sigma beta / s`` and ``z = x' beta / s ~ N(0, 1)``,
    ``I = E[b''(s z)] (Sigma - u u') + E[b''(s z) z^2] u u'``: two one-dimensional expectations,
    computed by Gauss-Hermite quadrature (``nodes`` points; exact to double precision for these
    smooth integrands).

    Parameters
    ----------
    beta : array_like, shape (p,)
        Regression coefficients.
    cov_x : array_like, shape (p, p)
        Covariance of the Gaussian covariates (symmetric positive definite).
    link : {"logistic", "poisson"}
        The GLM's canonical link.
    nodes : int
        Gauss-Hermite nodes.

    Returns
    -------
    numpy.ndarray
        ``I(beta)``, shape ``(p, p)``.

    Examples
    --------
    >>> glm_information([0.0], [[1.0]], "logistic").round(4).tolist()  # sigmoid'(0) = 1/4
    [[0.25]]
    >>> glm_information([1.0], [[1.0]], "poisson").round(4).tolist()  # E[x^2 e^x] = 2 e^(1/2)
    [[3.2974]]
    """
    beta = np.atleast_1d(check_finite("beta", beta))
    if beta.ndim != 1 or beta.size == 0:
        raise fail("beta", "must be a vector of p >= 1 coefficients", beta)
    cov = _covariance("cov_x", cov_x)
    if cov.shape != (beta.size, beta.size):
        raise fail("cov_x", f"must be a {beta.size}x{beta.size} matrix to match beta", cov_x)
    curvature: Callable[[np.ndarray], Any]
    if link == "logistic":

        def curvature(eta: np.ndarray) -> np.ndarray:
            p = 1.0 / (1.0 + np.exp(-eta))
            return p * (1.0 - p)

    elif link == "poisson":
        curvature = np.exp
    else:
        raise fail("link", "must be logistic or poisson", link)
    z, weights = np.polynomial.hermite_e.hermegauss(nodes)
    weights = weights / math.sqrt(2.0 * math.pi)
    s = math.sqrt(float(beta @ cov @ beta))
    if s == 0.0:
        return float(curvature(np.zeros(1))[0]) * cov
    u = cov @ beta / s
    g = curvature(s * z)
    return float(weights @ g) * (cov - np.outer(u, u)) + float(weights @ (g * z * z)) * np.outer(
        u, u
    )


def model_constant(model: str, **params: Any) -> float:
    """Paper 2's per-model constant ``C`` (``Err_inf = C R(w, k) / n``).

    ===========================  =========================================  =============
    model                        ``C``                                      parameters
    ===========================  =========================================  =============
    ``gaussian-mean``            ``tr Sigma``                               ``cov``
    ``gaussian-variance``        ``2 sigma^4`` (1-D)                        ``sigma2``
    ``gaussian-covariance``      ``tr(Sigma^2) + (tr Sigma)^2``             ``cov``
    ``linear-fixed``             ``sigma2 tr((X'X/n)^{-1})``                ``design, sigma2``
    ``linear-random``            ``sigma2 tr(Sigma_x^{-1})``                ``cov_x, sigma2``
    ``logistic``                 ``tr(I(beta)^{-1})``                       ``beta, cov_x``
    ``poisson-regression``       ``tr(I(beta)^{-1})``                       ``beta, cov_x``
    ``cdf``                      ``1/6`` (``int (F_t - F)^2 dF``)
    ``categorical``              ``(1/K) sum p_j (1 - p_j)``                ``p``
    ===========================  =========================================  =============

    Parameters
    ----------
    model : str
        One of :data:`CONSTANT_MODELS`.
    **params
        The model's parameters (third column); unknown names are refused.

    Returns
    -------
    float
        ``C``, in squared units of the estimated parameter.

    Examples
    --------
    >>> model_constant("gaussian-covariance", cov=[[1.0, 0.0], [0.0, 1.0]])
    6.0
    """
    p = dict(params)

    def take(name: str, default: Any) -> Any:
        return p.pop(name, default)

    if model == "gaussian-mean":
        out = float(np.trace(_covariance("cov", take("cov", [[1.0]]))))
    elif model == "gaussian-variance":
        out = 2.0 * check_real("sigma2", take("sigma2", 1.0), lower=0.0, lower_open=True) ** 2
    elif model == "gaussian-covariance":
        cov = _covariance("cov", take("cov", [[1.0]]))
        out = float(np.trace(cov @ cov) + np.trace(cov) ** 2)
    elif model == "linear-fixed":
        x = _design(take("design", None))
        gram = x.T @ x / x.shape[0]
        out = _positive("sigma2", take("sigma2", 1.0)) * float(np.trace(np.linalg.inv(gram)))
    elif model == "linear-random":
        cov = _covariance("cov_x", take("cov_x", [[1.0]]))
        out = _positive("sigma2", take("sigma2", 1.0)) * float(np.trace(np.linalg.inv(cov)))
    elif model in ("logistic", "poisson-regression"):
        beta = np.atleast_1d(check_finite("beta", take("beta", [1.0])))
        cov = take("cov_x", np.eye(beta.size))
        link = "logistic" if model == "logistic" else "poisson"
        out = float(np.trace(np.linalg.inv(glm_information(beta, cov, link))))
    elif model == "cdf":
        out = 1.0 / 6.0
    elif model == "categorical":
        probs = _cells(take("p", [0.5, 0.5]))
        out = float(np.mean(probs * (1.0 - probs)))
    else:
        raise fail("model", f"must be one of {', '.join(CONSTANT_MODELS)}", model)
    _no_more(p)
    return out


def fully_synthetic_error(model: str, n: int, generations: int, **params: Any) -> np.ndarray:
    """Growth of the error without fresh data (sample size ``n`` every generation), ``t = 0..T``.

    ``gaussian-mean``: ``(t+1) tr(Sigma)/n`` (exact); ``gaussian-variance``:
    ``sigma^4 [(1 + 2/(n-1))^{t+1} - 1]`` (exact, unbiased, while ``sigma2_t -> 0`` a.s.);
    ``linear-fixed``: ``(t+1) sigma2 tr((X'X)^{-1})`` (exact); ``linear-random``:
    ``(t+1) sigma2 tr(Sigma_x^{-1}) / (n - p - 1)`` (exact for Gaussian covariates drawn from the
    same law each generation); ``logistic``, ``poisson-regression``: ``(t+1) tr(I^{-1})/n``
    (asymptotic); ``cdf``: ``(1/6)[1 - (1 - 1/n)^{t+1}] -> 1/6`` (iterated bootstrap, exact);
    ``categorical``: ``C [1 - (1 - 1/n)^{t+1}]`` with ``C = (1/K) sum p(1-p)``.

    Parameters
    ----------
    model : str
        One of :data:`CONSTANT_MODELS`.
    n : int
        Sample size of every generation (at least 2).
    generations : int
        ``T >= 0``.
    **params
        The model's parameters, as in :func:`model_constant`.

    Returns
    -------
    numpy.ndarray
        The expected error, shape ``(T + 1,)``.

    Examples
    --------
    >>> fully_synthetic_error("gaussian-mean", 100, 2).round(4).tolist()
    [0.01, 0.02, 0.03]
    """
    n = check_int("n", n, minimum=2)
    t = np.arange(check_int("generations", generations, minimum=0) + 1, dtype=float)
    if model == "gaussian-variance":
        sigma2 = check_real("sigma2", params.pop("sigma2", 1.0), lower=0.0, lower_open=True)
        _no_more(params)
        return sigma2**2 * ((1.0 + 2.0 / (n - 1)) ** (t + 1) - 1.0)
    if model in ("cdf", "categorical"):
        c = model_constant(model, **params)
        return c * (1.0 - (1.0 - 1.0 / n) ** (t + 1))
    if model == "linear-random":
        cov = np.atleast_2d(np.asarray(params.get("cov_x", [[1.0]]), dtype=float))
        p = cov.shape[0]
        if n <= p + 1:
            raise fail("n", f"must exceed p + 1 = {p + 1} for the random design", n)
        return (t + 1) * model_constant(model, **params) / (n - p - 1)
    if model == "linear-fixed":
        x = _design(params.get("design"))
        sigma2 = _positive("sigma2", params.get("sigma2", 1.0))
        return (t + 1) * sigma2 * float(np.trace(np.linalg.inv(x.T @ x)))
    return (t + 1) * model_constant(model, **params) / n


def exact_error_path(
    model: str, w: float, n: int, m: int, generations: int, **params: Any
) -> np.ndarray:
    """``E err_t`` for ``t = 0..T`` from the exact recursion behind :func:`exact_limiting_error`.

    ``e_0`` is the real-data error at size ``n`` and ``e_t = g (1-w)^2 e_{t-1} + c [w^2/n' +
    (1-w)^2/m']`` (the covariance model runs its pair of recursions); averaging a window of it
    gives the theory for a finite-window simulated error, transient included.

    Parameters
    ----------
    model : {"mean", "variance", "covariance", "cdf", "categorical"}
        The estimated quantity.
    w : float
        Constant weight on the real data, in ``[0, 1]``.
    n, m : int
        Real and synthetic sample sizes per generation (each at least 2).
    generations : int
        ``T >= 0``.
    **params
        The model's parameters, as in :func:`exact_limiting_error`.

    Returns
    -------
    numpy.ndarray
        ``E err_t``, shape ``(T + 1,)``.

    Examples
    --------
    >>> exact_error_path("mean", 0.5, 100, 100, 2).round(6).tolist()
    [0.01, 0.0075, 0.006875]
    """
    w = float(_w(w))
    n = check_int("n", n, minimum=2)
    m = check_int("m", m, minimum=2)
    generations = check_int("generations", generations, minimum=0)
    if model == "covariance":
        cov = params.pop("cov", [[1.0]])
        _no_more(params)
        return gaussian_covariance_error(n, [n] * generations, [m] * generations, w, cov)
    if model == "mean":
        c, nn, mm, growth = _positive("trace", params.pop("trace", 1.0)), n, m, 1.0
    elif model == "variance":
        sigma2 = check_real("sigma2", params.pop("sigma2", 1.0), lower=0.0, lower_open=True)
        c, nn, mm, growth = 2.0 * sigma2**2, n - 1, m - 1, 1.0 + 2.0 / (m - 1)
    elif model in ("cdf", "categorical"):
        p = _cells(params.pop("p", [0.5, 0.5]))
        c = 1.0 / 6.0 if model == "cdf" else float(np.mean(p * (1 - p)))
        nn, mm, growth = n, m, 1.0 - 1.0 / m
    else:
        raise fail("model", "must be one of mean, variance, covariance, cdf, categorical", model)
    _no_more(params)
    out = np.empty(generations + 1)
    out[0] = c / nn
    step = c * (w**2 / nn + (1 - w) ** 2 / mm)
    keep = growth * (1 - w) ** 2
    for t in range(generations):
        out[t + 1] = keep * out[t] + step
    return out
