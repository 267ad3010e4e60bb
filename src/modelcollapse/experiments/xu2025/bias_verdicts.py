"""The verdicts of xu2025-bias (:mod:`.bias`): pure functions of its table."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..verdicts import MAX_DETECTABLE, Verdict, compare, threshold
from .common import detectable_fall, detectable_rise, relative_resolution

__all__ = ["BAND", "judge", "window_ratios"]

#: The change of E sigma2_t between t = T/2 and T that separates the regimes in xu2025-bias:
#: a fall by more than this fraction is a collapse, a rise by more an explosion, less is stable.
BAND = 0.1

#: The change of E sigma2_t between t = T/2 and T that separates the regimes in xu2025-bias:
#: a fall by more than this fraction is a collapse, a rise by more an explosion, less is stable.
BAND = 0.1


def _tilt(
    table: pd.DataFrame,
    rows: pd.Series,
    column: str,
    start: pd.Series,
    end: pd.Series,
    factor: float,
) -> pd.DataFrame:
    """Multiply ``column`` on ``rows`` by ``factor ** w``, ``w = log(t/start) / log(end/start)``
    clipped to [0, 1]: unchanged up to ``start``, scaled by ``factor`` at ``end``."""
    out = table.copy()
    t = out["t"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.log(t / start.astype(float)) / np.log(end.astype(float) / start.astype(float))
    w = np.clip(np.nan_to_num(w, nan=0.0, neginf=0.0), 0.0, 1.0)
    scale = np.where(rows, factor**w, 1.0)
    out[column] = out[column].astype(float) * scale
    return out


def window_ratios(table: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """Per case, the change of ``E sigma2_t`` over the test window.

    Parameters
    ----------
    table : DataFrame
        The table of :func:`compute` (not read: ``cases`` holds every row used).
    cases : DataFrame
        The rows of the cases to summarise.

    Returns
    -------
    DataFrame
        Indexed by case: the simulated ratio ``E sigma2_T / E sigma2_h``, its exact value and
        standard error, the theory label, ``h`` and ``T``.
    """
    out = {}
    for name, g in cases.groupby("case", sort=False):
        h_row = g[g.t == g.t_half].iloc[0]
        t_row = g[g.t == g["T"]].iloc[0]
        exact = t_row.mean_sigma2_exact / h_row.mean_sigma2_exact
        cv2 = (t_row.mean_sigma2_se / t_row.mean_sigma2_exact) ** 2 - (
            h_row.mean_sigma2_se / h_row.mean_sigma2_exact
        ) ** 2
        out[name] = {
            "ratio": t_row.mean_sigma2_sim / h_row.mean_sigma2_sim,
            "exact": exact,
            "se": exact * math.sqrt(max(cv2, 0.0)),
            "theory": t_row.theory,
            "h": int(h_row.t),
            "T": int(t_row.t),
        }
    return pd.DataFrame.from_dict(
        out, orient="index", columns=["ratio", "exact", "se", "theory", "h", "T"]
    )


def _in_regime(ratios: pd.DataFrame, z: float) -> tuple[list[bool], list[float]]:
    """Per case, whether its simulated ratio lies in its theory's regime beyond ``z`` SE, and
    the relative move of the simulated value that would flip that."""
    lo, hi = 1 - BAND, 1 + BAND
    ok: list[bool] = []
    detect: list[float] = []
    row: Any  # a row of the frame: its fields are the columns, of mixed types
    for row in ratios.itertuples():
        if row.theory == "collapses":
            ok.append(row.ratio < lo - z * row.se)
            detect.append(detectable_rise(row.ratio, lo, row.se, z))
        elif row.theory == "explodes":
            ok.append(row.ratio > hi + z * row.se)
            detect.append(detectable_fall(row.ratio, hi, row.se, z))
        elif row.theory == "stable":
            ok.append(lo + z * row.se < row.ratio < hi - z * row.se)
            detect.append(detectable_fall(row.ratio, lo, row.se, z))
        else:  # "unknown": no regime to test
            ok.append(False)
            detect.append(math.inf)
    return ok, detect


def _tilt_toward_band(ratios: pd.DataFrame, group: str) -> Any:
    """The perturbation of a regime verdict: each case's simulated ``E sigma2_t`` tilted over
    the test window toward the band's edge."""
    directions = {
        name: (1.0 if lab == "collapses" else -1.0) for name, lab in ratios.theory.items()
    }

    def tilt(frame: pd.DataFrame, size: float) -> pd.DataFrame:
        out = frame
        for name, sign in directions.items():
            rows = (out.case == name) & (out.group == group)
            out = _tilt(out, rows, "mean_sigma2_sim", out.t_half, out["T"], (1 + size) ** sign)
        return out

    return tilt


def _regime_verdict(table: pd.DataFrame, group: str, claim: str) -> Verdict:
    """The simulated regime of every case of ``group`` against its theory label."""
    ratios = window_ratios(table, table[table.group == group])
    z = threshold(len(ratios))
    lo, hi = 1 - BAND, 1 + BAND
    ok, detect = _in_regime(ratios, z)
    detectable = min(detect, default=math.inf)
    resolution = max((relative_resolution(se, 1.0, z) for se in ratios.se), default=math.inf)
    rows: Iterable[Any] = ratios.itertuples()
    evidence = "; ".join(
        f"{row.Index} [{row.theory}]: {row.ratio:.3f} +- {row.se:.3f} "
        f"(exact {row.exact:.3f}, z = {(row.ratio - row.exact) / row.se if row.se > 0 else 0:.1f})"
        for row in rows
    )
    h, T = int(ratios.h.iloc[0]), int(ratios["T"].iloc[0])
    return Verdict(
        claim.format(h=h, T=T, lo=lo, hi=hi),
        None if resolution > MAX_DETECTABLE else bool(all(ok)) and len(ok) > 0,
        f"(E sigma2_{T} / E sigma2_{h} simulated, beyond {z:.2g} SE of the band: {evidence}; "
        f"the SEs resolve {resolution:.2%} of the ratio; it fails once a simulated "
        f"E sigma2_{T} moves {detectable:.0%} toward the band's edge)",
        kind="approximation",
        detectable=detectable,
        inputs=("mean_sigma2_sim",),
        perturb=_tilt_toward_band(ratios, group),
    )


def _match_verdicts(tab: pd.DataFrame) -> list[Verdict]:
    verdicts = []
    for column, what in (
        ("mean_sigma2", "E sigma2_t"),
        ("mean_log_sigma2", "E log sigma2_t"),
        ("collapsed", "P(sigma2_t <= eps)"),
    ):
        c = compare(tab[f"{column}_sim"], tab[f"{column}_exact"], tab[f"{column}_se"])
        verdicts.append(
            Verdict(
                f"The simulated {what} matches its exact value at every recorded generation, "
                "for every biased estimator and shrinkage.",
                c.holds(),
                f"((case, t) cells: {c.text()})",
                kind="simulation",
                detectable=c.detectable,
                inputs=(f"{column}_sim",),
            )
        )
    return verdicts


_WINDOW = "between t = {h} and T = {T}"

#: The regime claims, per group of cases.
_REGIME_CLAIMS = {
    "order n^-1": "Bias of order n^-1 (the Gaussian MLE, bias -sigma2/n, and a bias -n^-1) "
    "leaves the t^1.5 schedule stable, like the unbiased estimator: the simulated E sigma2_t "
    f"changes by less than {BAND:.0%} {_WINDOW}.",
    "order n^-1/2": "Bias of order n^-1/2 needs accelerated growth: under t^1.5 (sum n_t^-1/2 "
    f"diverges) the simulated E sigma2_t falls by more than {BAND:.0%} {_WINDOW} with a "
    "negative bias (collapse) and rises by more than that with a positive one "
    "(explosion); under t^3 = t^((1+s)/gamma) it changes by less than "
    f"{BAND:.0%}, with either sign.",
    "shrinkage": "Multiplicative shrinkage collapses iff sum delta_t diverges: under t^1.5 the "
    f"simulated E sigma2_t falls by more than {BAND:.0%} {_WINDOW} for constant (0.01) "
    f"and 0.5/t shrinkage, and changes by less than {BAND:.0%} for 0.5 t^-1.5.",
}


def judge(table: pd.DataFrame) -> list[Verdict]:
    """The verdicts of the bias reproduction, a pure function of its table."""
    regimes = [_regime_verdict(table, group, claim) for group, claim in _REGIME_CLAIMS.items()]
    return [*_match_verdicts(table), *regimes]
