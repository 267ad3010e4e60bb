"""The fully synthetic penalised logistic recursion, to first order (Figure 7, panel (e)).

:func:`penalised_logistic_first_order`: the error of the authors' L2-penalised logistic fit
refitted to its own draws, by linear noise about the deterministic (shrinking) mean path.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

__all__ = ["penalised_logistic_first_order"]

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
