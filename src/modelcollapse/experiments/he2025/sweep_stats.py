"""The statistics of a weight sweep (Figures 8-10): moments over replications, the shape test
and its chi-square mixture, the argmin's confidence set, and the perturbations the verdicts are
checked against.

A weight sweep runs one simulation per weight with the *same* seed, so every weight sees the same
random numbers within a replication (common random numbers). The simulated errors at different
weights are therefore correlated: the results table keeps, beside each weight's mean error and
standard error, the covariance of its mean with the means at the other weights of the same
simulation (columns ``cov_0``, ``cov_1``, ..., indexed by the ``idx`` of the other weight within
its ``block``; weights in different blocks are independent). :func:`covariance` reads it back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import chi2 as chi2_law
from scipy.stats import norm

from .common import INV_PHI

__all__ = [
    "ARGMIN_TOLERANCE",
    "COV_PREFIX",
    "INV_PHI",
    "SHAPE_LEVEL",
    "ShapeFit",
    "argmin_set",
    "chi2_mixture_isf",
    "chi2_mixture_sf",
    "covariance",
    "replication_moments",
    "shape_fit",
    "shift_minimum",
    "shifted_curve",
    "tilt_curve",
    "tilt_direction",
]

#: How near ``w*`` the simulated argmin must lie for "the optimum is at ``w*``" to hold. At
#: ``k = 1`` the first-order error ``R(w, 1)`` is within 1.3% of its minimum over
#: ``w* +- 0.05`` (2.5 steps of Figure 8's grid), so a finite-n minimum further away than that is
#: a real departure from the paper's claim.
ARGMIN_TOLERANCE = 0.05
#: Level of the shape test of a first-order panel, before a Bonferroni division by the number
#: of first-order panels of the experiment: a shape is rejected when its chi-square p-value is
#: below ``SHAPE_LEVEL / panels``.
SHAPE_LEVEL = 1e-3
#: Prefix of the covariance columns (see the module docstring).
COV_PREFIX = "cov_"


def replication_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means over replications, their standard errors and their covariance matrix.

    Parameters
    ----------
    values : ndarray, shape (R, W)
        One row per replication, one column per weight (the same random numbers in a row).

    Returns
    -------
    mean, se : ndarray, shape (W,)
        The mean of each column and its standard error.
    cov : ndarray, shape (W, W)
        The covariance of the column means, ``Cov(values) / R``; its diagonal is ``se**2``.
    """
    values = np.asarray(values, dtype=float)
    r = values.shape[0]
    mean = values.mean(axis=0)
    with np.errstate(invalid="ignore"):
        centred = values - mean
        cov = centred.T @ centred / ((r - 1) * r)
    return mean, np.sqrt(np.diag(cov)), cov


def covariance(rows: pd.DataFrame) -> np.ndarray:
    """The covariance matrix of the mean errors of ``rows`` (in their order), from the table's
    ``block``, ``idx`` and ``cov_*`` columns: rows of one block share random numbers, rows of
    different blocks are independent."""
    idx = rows["idx"].to_numpy(dtype=int)
    block = rows["block"].to_numpy()
    columns = [f"{COV_PREFIX}{j}" for j in range(int(idx.max()) + 1)]
    stored = rows[columns].to_numpy(dtype=float)[:, idx]
    out = np.where(block[:, None] == block[None, :], stored, 0.0)
    return (out + out.T) / 2.0


def _positive(weights: Any) -> np.ndarray:
    lam = np.asarray(weights, dtype=float).ravel()
    lam = lam[np.isfinite(lam)]
    if lam.size == 0 or lam.max() <= 0:
        raise ValueError("a chi-square mixture needs a positive weight")
    return lam[lam > 1e-12 * lam.max()]


def chi2_mixture_sf(x: float, weights: Any) -> float:
    """``P(Q > x)`` for ``Q = sum_j weights_j Z_j^2``, ``Z_j`` independent standard normals.

    The saddlepoint approximation (Barndorff-Nielsen's form, accurate to a few per cent of the
    probability far into the tail); Satterthwaite's scaled chi-square at the mean, where the
    saddlepoint form is singular.

    Parameters
    ----------
    x : float
        The observed value of the quadratic form.
    weights : array_like
        The positive weights (eigenvalues of the form's covariance); tiny ones are dropped.

    Returns
    -------
    float
        The upper tail probability.
    """
    lam = _positive(weights)
    if not x > 0:
        return 1.0
    mean = float(lam.sum())

    def slope(t: float) -> float:
        return float(np.sum(lam / (1.0 - 2.0 * t * lam))) - x

    if x > mean:
        lo, hi = 0.0, (1.0 - min(0.5, lam.max() / (2.0 * x))) / (2.0 * lam.max())
    else:
        lo, hi = -lam.size / x, 0.0
    t = brentq(slope, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500) if x != mean else 0.0
    cgf = -0.5 * float(np.sum(np.log1p(-2.0 * t * lam)))
    w = math.copysign(math.sqrt(max(2.0 * (t * x - cgf), 0.0)), t)
    u = t * math.sqrt(float(np.sum(2.0 * lam**2 / (1.0 - 2.0 * t * lam) ** 2)))
    if abs(w) < 1e-3 or u / w <= 0:
        c = float(np.sum(lam**2)) / mean
        return float(chi2_law.sf(x / c, mean / c))
    return float(norm.sf(w + math.log(u / w) / w))


def chi2_mixture_isf(level: float, weights: Any) -> float:
    """The ``x`` with :func:`chi2_mixture_sf` ``(x, weights) = level`` (the critical value)."""
    lam = _positive(weights)
    lo = hi = float(lam.sum())
    while chi2_mixture_sf(hi, lam) > level:
        lo, hi = hi, 2.0 * hi
    if lo == hi:
        lo = 0.0
    return float(
        brentq(lambda x: math.log(max(chi2_mixture_sf(x, lam), 1e-300)) - math.log(level), lo, hi)
    )


@dataclass(frozen=True)
class ShapeFit:
    """The fit of ``scale * reference`` to a simulated curve (see :func:`shape_fit`)."""

    #: The fitted scale and its standard error.
    scale: float
    scale_se: float
    #: ``sum (error - scale reference)^2 / SE^2`` and its nominal degrees of freedom ``W - 1``.
    chi2: float
    df: int
    #: The effective degrees of freedom of its null law, ``(sum l)^2 / sum l^2``.
    effective_df: float
    #: ``P(chi-square > observed)`` under the null law, and the critical value at ``level``.
    p_value: float
    critical: float
    level: float
    #: Each residual in standard errors of the residual, and relative to the fitted curve.
    residual_z: np.ndarray
    relative: np.ndarray
    #: ``|| (error * tilt) minus its projection on the reference ||`` in the chi-square's metric.
    tilt_norm: float

    @property
    def holds(self) -> bool:
        """The shape agrees: the p-value is not below the level."""
        return bool(self.p_value >= self.level)

    @property
    def detectable(self) -> float:
        """The smallest linear tilt ``error * (1 + s tilt)`` the test rejects for any curve it
        accepts: ``2 sqrt(critical) / tilt_norm`` (the triangle inequality in the chi-square's
        metric)."""
        if not self.tilt_norm > 0:
            return math.inf
        return 2.0 * math.sqrt(self.critical) / self.tilt_norm


def shape_fit(
    error: Any, reference: Any, cov: Any, tilt: Any, level: float = SHAPE_LEVEL
) -> ShapeFit:
    """Test that ``error`` is proportional to ``reference``, with one free scale.

    The scale ``a`` is fitted by weighted least squares with weights ``1/SE^2``
    (``SE^2 = diag(cov)``), and ``chi2 = sum (error - a reference)^2 / SE^2``. Since the errors
    are correlated (common random numbers), ``chi2`` does not follow a chi-square law with
    ``W - 1`` degrees of freedom: under the null (``E error = a reference``) the residual vector
    is ``P eps`` with ``P = I - reference h'`` and ``eps ~ N(0, cov)``, so ``chi2`` is the
    quadratic form ``sum_j l_j Z_j^2`` with ``l_j`` the eigenvalues of
    ``D^-1/2 P cov P' D^-1/2``; its tail is :func:`chi2_mixture_sf`.

    Parameters
    ----------
    error, reference : array_like, shape (W,)
        Simulated mean errors and the reference curve (first-order theory).
    cov : array_like, shape (W, W)
        Covariance of the simulated means (from the replications).
    tilt : array_like, shape (W,)
        The direction of the tilt perturbation (values in [-1, 1]), for ``detectable``.
    level : float
        The test's level.

    Returns
    -------
    ShapeFit
    """
    e, ref, tilt = (np.asarray(v, dtype=float) for v in (error, reference, tilt))
    cov = np.asarray(cov, dtype=float)
    inv = 1.0 / np.diag(cov)
    h = inv * ref / float(np.sum(inv * ref * ref))
    scale = float(h @ e)
    proj = np.eye(e.size) - np.outer(ref, h)
    resid = e - scale * ref
    root = np.sqrt(inv)
    form = (root[:, None] * proj) @ cov @ (proj.T * root[None, :])
    lam = np.clip(np.linalg.eigvalsh((form + form.T) / 2.0), 0.0, None)
    chi2 = float(np.sum(inv * resid**2))
    rcov = proj @ cov @ proj.T
    with np.errstate(divide="ignore", invalid="ignore"):
        residual_z = resid / np.sqrt(np.clip(np.diag(rcov), 0.0, None))
    moved = proj @ (e * tilt)
    return ShapeFit(
        scale=scale,
        scale_se=float(np.sqrt(max(h @ cov @ h, 0.0))),
        chi2=chi2,
        df=int(e.size - 1),
        effective_df=float(lam.sum() ** 2 / np.sum(lam**2)),
        p_value=chi2_mixture_sf(chi2, lam),
        critical=chi2_mixture_isf(level, lam),
        level=float(level),
        residual_z=residual_z,
        relative=resid / (scale * ref),
        tilt_norm=float(np.sqrt(np.sum(inv * moved**2))),
    )


def argmin_set(error: Any, cov: Any, z: float) -> np.ndarray:
    """The weights that may hold the smallest expected error: a confidence set for the argmin.

    Weight ``i`` is in the set unless some weight ``j`` has a detectably smaller error,
    ``error_i - error_j > z sd(error_i - error_j)``, with the standard error of the difference
    from the covariance across weights (common random numbers make it much smaller than the
    standard errors of the levels). The true argmin is left out with probability at most
    ``(W - 1) P(Z > z)`` (multiple comparisons with the best).

    Parameters
    ----------
    error : array_like, shape (W,)
        Simulated mean errors on a grid of weights.
    cov : array_like, shape (W, W)
        Their covariance.
    z : float
        Standard errors a difference must exceed.

    Returns
    -------
    ndarray of bool, shape (W,)
        Membership of each weight.
    """
    e = np.asarray(error, dtype=float)
    cov = np.asarray(cov, dtype=float)
    var = np.diag(cov)
    sd = np.sqrt(np.clip(var[:, None] + var[None, :] - 2.0 * cov, 0.0, None))
    slack = 1e-12 * float(np.max(np.abs(e)))
    return np.all(e[:, None] - e[None, :] <= z * sd + slack, axis=1)


def shifted_curve(
    w: np.ndarray, error: np.ndarray, cov: np.ndarray, delta: float
) -> tuple[np.ndarray, np.ndarray]:
    """A simulated curve moved along its grid: ``error(w + delta)``.

    Linear interpolation, extended linearly beyond the grid's ends; the covariance scaled with
    the values (``cov_ij r_i r_j``, ``r = shifted / error``), so that the relative noise at each
    weight stays as simulated.

    Parameters
    ----------
    w, error : ndarray, shape (W,)
        The grid (sorted) and the curve on it.
    cov : ndarray, shape (W, W)
        Its covariance.
    delta : float
        The shift (positive: the curve moves to lower weights).

    Returns
    -------
    shifted : ndarray, shape (W,)
        ``error(w + delta)``.
    cov : ndarray, shape (W, W)
        The covariance, scaled with the values.
    """
    x = w + delta
    out = np.interp(x, w, error)
    right, left = x > w[-1], x < w[0]
    if w.size > 1:
        out[right] = error[-1] + (x[right] - w[-1]) * (error[-1] - error[-2]) / (w[-1] - w[-2])
        out[left] = error[0] + (x[left] - w[0]) * (error[1] - error[0]) / (w[1] - w[0])
    ratio = np.divide(out, error, out=np.ones_like(out), where=error != 0)
    return out, cov * np.outer(ratio, ratio)


def shift_minimum(table: pd.DataFrame, size: float) -> pd.DataFrame:
    """The weight sweeps of ``table`` moved to lower weights by ``size * w*``: each panel's
    simulated curve on its grid (``w < 1``) becomes ``error(w + size w*)``, so its minimum
    moves from ``w_min`` to ``w_min - size w*``; standard errors and covariances are scaled with
    the values. The argmin verdicts' perturbation."""
    out = table.copy()
    out["error"] = out["error"].astype(float)
    out["se"] = out["se"].astype(float)
    for _, rows in out.groupby("panel", sort=False):
        rows = rows.sort_values(["block", "idx"])
        on_grid = (rows.w < 1.0 - 1e-12).to_numpy()
        grid = rows[on_grid].sort_values("w")
        delta = size * float(grid.w_star.iloc[0])
        error = grid.error.to_numpy(float)
        moved, _ = shifted_curve(grid.w.to_numpy(float), error, np.eye(error.size), delta)
        ratio = pd.Series(1.0, index=rows.index)
        ratio[grid.index] = np.divide(moved, error, out=np.ones_like(moved), where=error != 0)
        r = ratio.to_numpy()
        columns = [f"{COV_PREFIX}{i}" for i in rows.idx.astype(int)]
        stored = rows[columns].to_numpy(float)
        out.loc[rows.index, columns] = stored * np.outer(r, r)
        out.loc[grid.index, "error"] = moved
        out.loc[rows.index, "se"] = rows.se.to_numpy(float) * np.abs(r)
    return out


def tilt_direction(x: np.ndarray) -> np.ndarray:
    """``x`` mapped linearly onto [-1, 1]."""
    low, high = float(np.min(x)), float(np.max(x))
    if high <= low:
        return np.zeros_like(x, dtype=float)
    return (2.0 * x - (low + high)) / (high - low)


def tilt_curve(table: pd.DataFrame, size: float, along: str = "w") -> pd.DataFrame:
    """Each panel's simulated errors multiplied by ``1 + size g``, with ``g`` the column
    ``along`` mapped linearly onto [-1, 1] over the panel's rows: a change of shape of relative
    size ``size`` at the ends. The shape verdicts' perturbation."""
    out = table.copy()
    out["error"] = out["error"].astype(float)
    for _, rows in out.groupby("panel", sort=False):
        g = tilt_direction(rows[along].to_numpy(float))
        out.loc[rows.index, "error"] = rows.error.to_numpy(float) * (1.0 + size * g)
    return out
