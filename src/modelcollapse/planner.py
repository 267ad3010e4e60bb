"""The planner: which synthetic schedule, which weight on real data.

Both answers come from the theory layer, never from simulation:

:func:`plan_schedule`
    Fully synthetic recursion for ``T`` generations from ``n0`` real points (paper 1). The
    recursion inflates the real-data risk of an asymptotically normal estimator by ``1 + r_T``,
    ``r_T = n0 sum_{t<=T} 1/n_t`` (exact for a Gaussian mean), and the probability that the
    generation-``T`` fit beats the real-data fit is ``Q_T = (1/pi) arctan(2/sqrt(r_T))`` (one
    parameter; for ``d`` parameters ``Q_T = E_{R ~ chi_d} Phi(-R sqrt(r_T)/2)``, which is the
    Student-t probability ``F_{t_d}(-sqrt(d r_T)/2)``: ``(1 - sqrt(r/(4 + r)))/2`` for ``d = 2``).
    A target on either, or a budget of synthetic samples, is a condition on ``sum 1/n_t``, the
    same for every family (a general family's ``d`` is its number of free parameters). The
    planner searches the growing families (``power:n0=A,s=S``: ``A t^(1+S)``;
    ``exp:n0=A,c=C``: ``A C^t``; ``two-phase:n=A,until=U,s=S``: ``A`` up to generation ``U``, then
    ``A (t/U)^(1+S)``), for each shape the smallest scale that meets the target (or, under a
    budget, the largest that fits), and returns the cheapest;
    constant and linear schedules are shown beside it. For a fixed horizon a constant size is
    the cheapest way to bound ``sum 1/n_t`` (``sum n_t`` is smallest when the sizes are equal),
    but it collapses as ``T`` grows: the recommendation is the cheapest schedule whose verdict
    is ``stable``. A two-phase schedule is the compromise: constant for most of the horizon, it
    grows over its last part (``U`` is searched among fractions of ``T``, never ``U >= T``, so
    the growth is part of the plan) and stays stable beyond it.
:func:`plan_weight`
    Fresh real data (paper 2): ``n_real`` real and ``n_synth`` synthetic points per generation,
    ``k = n_real / n_synth``: the optimal weight ``w* = (sqrt(k^2 + 4k) - k)/2``, and the limiting
    error ``C R(w, k)/n_real`` at ``w*``, at naive pooling ``k/(1+k)`` and with real data only
    (``R = 1``), in the family's units where ``C`` is known: a model of
    :func:`~modelcollapse.theory.model_constant`, or ``C = tr(I^-1)`` of a family object with a
    Fisher information ``I`` (:class:`~modelcollapse.ScipyFamily`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import theory
from ._progress import Progress
from ._validation import InvalidArgumentError, check_int, check_real, fail
from .schedules import parse_schedule

if TYPE_CHECKING:  # pandas is imported where a table is made: `plan weight` starts fast
    import pandas as pd

__all__ = [
    "MAX_GENERATIONS",
    "WEIGHT_OBJECTIVE",
    "SchedulePlan",
    "WeightPlan",
    "plan_schedule",
    "plan_weight",
]

#: Growth exponents ``S`` of ``power:n0=A,s=S`` and bases ``C`` of ``exp:n0=A,c=C`` searched.
POWER_SHAPES = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
EXP_SHAPES = (1.001, 1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.5, 2.0)
#: Switch points ``U`` (fractions of the horizon ``T``) and exponents ``S`` of
#: ``two-phase:n=A,until=U,s=S`` searched.
TWO_PHASE_UNTIL = (0.5, 0.75, 0.9)
TWO_PHASE_SHAPES = (0.5, 1.0, 2.0)
#: Largest sum of sizes considered (beyond, a candidate is dropped as impractical).
_MAX_TOTAL = 2.0**62


def _inflation_for_win(q: float, dim: int) -> float:
    """The largest ``1 + r_T`` with ``Q_T >= q`` (plug-in form)."""
    if dim == 1:
        r = (2.0 / math.tan(math.pi * q)) ** 2
    elif dim == 2:  # Q = (1 - sqrt(r / (4 + r))) / 2
        u = 1.0 - 2.0 * q
        r = 4.0 * u * u / (1.0 - u * u)
    else:  # Q = F_{t_d}(-sqrt(d r)/2)
        from scipy.special import stdtrit

        r = 4.0 * float(stdtrit(dim, q)) ** 2 / dim
    return 1.0 + r


def _win(r: float, dim: int) -> float:
    """The plug-in ``Q_T`` at ``r_T = r`` for ``dim`` parameters (module docstring): the
    closed forms for ``d = 1, 2``, the Student-t distribution function beyond."""
    if r <= 0:
        return 0.5
    if dim == 1:
        return float(np.arctan(2.0 / np.sqrt(r)) / math.pi)
    if dim == 2:
        return 0.5 * (1.0 - math.sqrt(r / (4.0 + r)))
    return float(_plugin_win(np.array([r]), dim)[0])


def _plugin_win(r: np.ndarray, dim: int) -> np.ndarray:
    """The plug-in ``Q`` at every ``r`` (an array) for ``dim >= 3`` parameters:
    ``E_{R ~ chi_d} Phi(-R sqrt(r)/2) = F_{t_d}(-sqrt(d r)/2)`` (``Z/R`` with ``Z`` standard
    normal is ``t_d / sqrt(d)``), vectorised; ``1/2`` at ``r = 0``."""
    from scipy.special import stdtr

    r = np.asarray(r, dtype=float)
    out = np.full(r.shape, 0.5)
    pos = r > 0
    out[pos] = stdtr(dim, -np.sqrt(dim * r[pos]) / 2.0)
    return out


#: Largest horizon ``T`` the planner takes. It sums every candidate schedule term by term over
#: the horizon (a few dozen candidates, a few evaluations each): a few seconds per million
#: generations. Beyond, refuse rather than run for minutes; the theory is asymptotic anyway.
MAX_GENERATIONS = 10**7
#: Smallest horizon for which ``plan_schedule(progress=True)`` shows progress (about two
#: seconds of search; shorter ones answer at once).
_PROGRESS_GENERATIONS = 10**6
#: Generations summed at once (bounded memory whatever the horizon).
_CHUNK = 2**20
#: Largest integer scale ``A`` searched.
_MAX_SCALE = 2**62


def _sums(schedule: Any, generations: int) -> tuple[int, float, int] | None:
    """``(sum n_t, sum 1/n_t, n_T)`` of ``schedule`` over ``t = 1..T``, summed in chunks, or
    ``None`` when a size is below 1 or beyond the 64-bit range. ``sum 1/n_t`` is summed in
    order (``risk_inflation``'s cumulative sum), ``sum n_t`` exactly."""
    total = 0
    inverse = 0.0
    last = 0
    for first in range(1, generations + 1, _CHUNK):
        t = np.arange(first, min(first + _CHUNK, generations + 1), dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.floor(np.asarray(schedule._values(t), dtype=float) + 0.5)
        if not np.all(np.isfinite(values) & (values < 2.0**63)) or np.any(values < 1):
            return None
        sizes = values.astype(np.int64)
        total += int(sizes.sum(dtype=np.float64)) if sizes.max() > 2**40 else int(sizes.sum())
        if total > _MAX_TOTAL:
            return None
        inverse = float(np.cumsum(np.concatenate([[inverse], 1.0 / values]))[-1])
        last = int(sizes[-1])
    return total, inverse, last


def _row(kind: str, text: str, n0: int, generations: int, dim: int) -> dict[str, Any] | None:
    """One candidate schedule's cost and effects (None if its sizes overflow or are absurd)."""
    try:
        schedule = parse_schedule(text)
    except InvalidArgumentError:
        return None
    sums = _sums(schedule, generations)
    if sums is None:
        return None
    total, inverse, last = sums
    inflation = 1.0 + n0 * inverse
    win = _win(inflation - 1.0, dim)
    return {
        "family": kind,
        "schedule": str(schedule),
        "total_synthetic": int(total),
        "last_size": last,
        "inflation": inflation,
        "win_probability": win,
        "sum_inv_n": inverse,
        "verdict": theory.collapse_verdict(schedule),
    }


def _shape_sums(make: Any, generations: int) -> tuple[float, float]:
    """``(sum f(t), sum 1/f(t))`` of a shape's unrounded sizes at scale 1: the sums at scale
    ``A`` are about ``A`` and ``1/A`` times these (a starting point for the search)."""
    schedule = parse_schedule(make(1))
    total, inverse = 0.0, 0.0
    for first in range(1, generations + 1, _CHUNK):
        t = np.arange(first, min(first + _CHUNK, generations + 1), dtype=float)
        with np.errstate(over="ignore", divide="ignore"):
            values = np.asarray(schedule._values(t), dtype=float)
            total += float(values.sum())
            inverse += float((1.0 / values).sum())
    return total, inverse


def _guess(value: float) -> int:
    if not math.isfinite(value):
        return _MAX_SCALE
    return int(min(max(round(value), 1), _MAX_SCALE))


def _smallest(good: Any, guess: int, hopeless: Any = None) -> int | None:
    """The smallest integer ``A`` in ``[1, 2^62]`` with ``good(A)`` (``good`` monotone),
    searched outwards from ``guess`` then by bisection; ``None`` if there is none, or once
    ``hopeless(A)`` says that no larger scale can be good (a schedule that overflows)."""
    if good(guess):
        hi, step = guess, 1
        lo = hi - step
        while lo >= 1 and good(lo):
            hi, step = lo, step * 2
            lo = hi - step
        lo = max(lo, 0)  # not good (or below the range)
    else:
        lo, step = guess, 1
        hi = lo + step
        while hi <= _MAX_SCALE and not good(hi):
            if hopeless is not None and hopeless(hi):
                return None
            lo, step = hi, step * 2
            hi = lo + step
        if hi > _MAX_SCALE:
            if not good(_MAX_SCALE):
                return None
            hi = _MAX_SCALE
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if good(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _smallest_scale(
    make: Any, kind: str, n0: int, generations: int, dim: int, ok: Any, guess: int = 1
) -> dict[str, Any] | None:
    """The candidate of the smallest integer scale ``A`` that satisfies ``ok`` (the inflation
    falls and the cost rises with ``A``), searched from ``guess``."""
    rows: dict[int, dict[str, Any] | None] = {}

    def good(a: int) -> bool:
        if a not in rows:
            rows[a] = _row(kind, make(a), n0, generations, dim)
        row = rows[a]
        return row is not None and bool(ok(row))

    best = _smallest(good, guess, lambda a: rows[a] is None)  # sizes overflow from there on
    return None if best is None else rows[best]


def _largest_scale(
    make: Any, kind: str, n0: int, generations: int, dim: int, budget: float, guess: int = 1
) -> dict[str, Any] | None:
    """The candidate of the largest integer scale whose total fits ``budget``, searched from
    ``guess``."""
    rows: dict[int, dict[str, Any] | None] = {}

    def over(a: int) -> bool:
        if a not in rows:
            rows[a] = _row(kind, make(a), n0, generations, dim)
        row = rows[a]
        return row is None or row["total_synthetic"] > budget

    first = _smallest(over, guess)  # the smallest scale that does not fit
    if first is None:
        first = _MAX_SCALE + 1
    if first <= 1:
        return None
    if first - 1 not in rows:
        over(first - 1)
    return rows[first - 1]


@dataclass
class SchedulePlan:
    """A recommended schedule and the candidates it was chosen from.

    Attributes
    ----------
    best : dict
        The recommended schedule: ``schedule`` (its text form), ``total_synthetic``,
        ``inflation`` (``1 + r_T``), ``win_probability`` (``Q_T``), ``verdict``, ...
    candidates : pandas.DataFrame
        Every growing candidate that meets the target, cheapest first (under a budget: lowest
        inflation first).
    comparison : pandas.DataFrame
        Constant and linear schedules meeting the same target (or budget).
    target : dict
        What was asked.
    """

    best: dict[str, Any]
    candidates: pd.DataFrame
    comparison: pd.DataFrame
    target: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "best": self.best,
            "candidates": self.candidates.to_dict(orient="records"),
            "comparison": self.comparison.to_dict(orient="records"),
        }


def plan_schedule(
    n0: int,
    generations: int,
    *,
    max_inflation: float | None = None,
    target_win_probability: float | None = None,
    budget: float | None = None,
    dim: int = 1,
    bias: tuple[float, float] | None = None,
    variance: str = "unbiased",
    progress: bool = False,
) -> SchedulePlan:
    """The cheapest growing schedule that meets one target (module docstring).

    Parameters
    ----------
    n0 : int
        Real sample size at generation 0.
    generations : int
        Horizon ``T`` (at least 1).
    max_inflation : float, optional
        Largest acceptable risk inflation ``1 + r_T`` (``> 1``).
    target_win_probability : float, optional
        Smallest acceptable ``Q_T`` (in ``(0, 1/2)``: ``Q_0 = 1/2``).
    budget : float, optional
        Synthetic samples available over the ``T`` generations: the schedule with the lowest
        inflation within it.
    dim : int
        Parameters compared by the win probability (a general family's free parameters ``d``;
        ``d >= 3`` uses the Student-t form of the module docstring).
    bias : (float, float), optional
        ``(beta, gamma)``: the fitted variance is biased by ``1 + beta n^-gamma`` (paper 1's
        biased estimators). Each schedule's ``verdict`` is then
        :func:`modelcollapse.theory.collapse_verdict` under that bias (``"stable"``,
        ``"collapses"`` or ``"explodes"``), and only stable growing schedules are recommended:
        with ``gamma < 1`` that needs ``sum n_t^-gamma < inf``, a faster growth. The inflation and
        win probability stay those of the unbiased recursion.
    variance : {"unbiased", "mle"}
        The variance estimator the bias multiplies.
    progress : bool
        A progress line over the schedule shapes searched on stderr (fraction done, elapsed
        time, time left), for a horizon of at least a million generations (a few seconds or
        more; a shorter search answers at once).

    Returns
    -------
    SchedulePlan

    Examples
    --------
    >>> plan = plan_schedule(100, 100, max_inflation=2.0)
    >>> plan.best["inflation"] <= 2.0, plan.best["verdict"]
    (True, 'stable')
    """
    n0 = check_int("n0", n0, minimum=1)
    generations = check_int("generations", generations, minimum=1)
    if generations > MAX_GENERATIONS:
        raise fail(
            "generations",
            f"must be at most {MAX_GENERATIONS:,}: the planner sums every candidate schedule term "
            "by term over the horizon (a few seconds per million generations)",
            generations,
        )
    dim = check_int("dim", dim, minimum=1)
    given = [v is not None for v in (max_inflation, target_win_probability, budget)]
    if sum(given) != 1:
        raise fail(
            "target",
            "give exactly one of max_inflation, target_win_probability and budget",
            {
                "max_inflation": max_inflation,
                "target_win_probability": target_win_probability,
                "budget": budget,
            },
        )
    target: dict[str, Any] = {"n0": n0, "generations": generations, "dim": dim}
    beta, gamma = None, 1.0
    if bias is not None:
        try:
            beta, gamma = (float(v) for v in bias)
        except (TypeError, ValueError):
            raise fail("bias", "must be a pair (beta, gamma)", bias) from None
        gamma = check_real("bias gamma", gamma, lower=0.0, lower_open=True)
        beta = check_real("bias beta", beta)
        target["bias"] = [beta, gamma]
        target["variance"] = variance

    def verdict(row: dict[str, Any]) -> dict[str, Any]:
        schedule = parse_schedule(row["schedule"])
        return {**row, "verdict": theory.collapse_verdict(schedule, gamma, beta, variance)}

    if budget is None:
        if max_inflation is not None:
            limit = check_real("max_inflation", max_inflation, lower=1.0, lower_open=True)
            target["max_inflation"] = limit
        else:
            q = check_real(
                "target_win_probability",
                target_win_probability,
                lower=0.0,
                upper=0.5,
                lower_open=True,
                upper_open=True,
            )
            limit = _inflation_for_win(q, dim)
            target["target_win_probability"] = q
        target["inflation_limit"] = limit

        def pick(make: Any, kind: str) -> dict[str, Any] | None:
            # Start from the scale that meets the target without rounding: n0 sum 1/(A f(t)).
            guess = _guess(n0 * _shape_sums(make, generations)[1] / (limit - 1.0))
            return _smallest_scale(
                make, kind, n0, generations, dim, lambda row: row["inflation"] <= limit, guess
            )

        order = ["total_synthetic", "inflation"]
    else:
        money = check_real("budget", budget, lower=1.0)
        target["budget"] = money

        def pick(make: Any, kind: str) -> dict[str, Any] | None:
            # Start from the scale whose unrounded cost sum A f(t) is the budget.
            guess = _guess(money / _shape_sums(make, generations)[0])
            return _largest_scale(make, kind, n0, generations, dim, money, guess)

        order = ["inflation", "total_synthetic"]
    shapes: list[tuple[Any, str]] = [
        *((lambda a, s=s: f"power:n0={a},s={s:g}", "power") for s in POWER_SHAPES),
        *((lambda a, c=c: f"exp:n0={a},c={c:g}", "exponential") for c in EXP_SHAPES),
        *(
            (lambda a, u=until, s=s: f"two-phase:n={a},until={u},s={s:g}", "two-phase")
            for until in sorted({int(f * generations) for f in TWO_PHASE_UNTIL} - {0})
            for s in TWO_PHASE_SHAPES
        ),
        (lambda a: f"constant:n={a}", "constant"),
        (lambda a: f"linear:n={a}", "linear"),
    ]
    bar = Progress(
        "plan schedule",
        len(shapes),
        enabled=progress and generations >= _PROGRESS_GENERATIONS,
        unit="schedule shapes",
    )
    with bar:
        picked = []
        for make, kind in shapes:
            picked.append(pick(make, kind))
            bar.advance()
    rows, compared = picked[:-2], picked[-2:]
    found = [verdict(r) for r in rows if r is not None]
    if not found:
        raise fail(
            "target",
            "no power, exponential or two-phase schedule meets it within 2^62 samples",
            {k: v for k, v in target.items() if k not in ("n0", "generations", "dim")},
        )
    stable = [r for r in found if r["verdict"] == "stable"]
    if not stable:
        raise fail(
            "bias",
            "no power, exponential or two-phase schedule meeting the target is stable under it",
            bias,
        )
    found = stable
    import pandas as pd

    candidates = pd.DataFrame(found).sort_values(order, kind="stable").reset_index(drop=True)
    comparison = pd.DataFrame([verdict(r) for r in compared if r is not None])
    best = {str(k): v for k, v in candidates.iloc[0].to_dict().items()}  # the column names
    return SchedulePlan(best, candidates, comparison, target)


#: What :func:`plan_weight`'s ``w*`` minimises, in words (the command line prints it).
WEIGHT_OBJECTIVE = (
    "w* minimises the limiting error of repeated generations, each fitted to n_real fresh real "
    "points and n_synth synthetic points drawn from the previous generation's fit (paper 2); "
    "it is not the best weight for a one-off mix of real and synthetic data"
)


@dataclass
class WeightPlan:
    """The weight recommendation of :func:`plan_weight` (attributes as in its table).

    ``n_real`` and ``n_synth`` give the per-point sample weights of a weighted fit
    (:meth:`sample_weights`); ``params`` are the family's true parameters at which ``C`` was
    computed (those given, and the defaults of
    :func:`~modelcollapse.theory.model_constant` for the others).
    """

    k: float
    optimal_weight: float
    naive_weight: float
    ratios: dict[str, float]
    errors: dict[str, float] | None
    family: str | None
    constant: float | None
    n_real: int | None = None
    n_synth: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def sample_weights(self, w: float | None = None) -> tuple[float, float]:
        """``(w/n_real, (1 - w)/n_synth)``: the weight of each real and of each synthetic point
        in a weighted fit (they sum to 1 over the points), at ``w`` (default ``w*``)."""
        if self.n_real is None or self.n_synth is None:
            raise ValueError("this plan was made without n_real and n_synth")
        w = self.optimal_weight if w is None else float(w)
        return w / self.n_real, (1.0 - w) / self.n_synth

    def table(self) -> pd.DataFrame:
        """One row per choice: the weight, ``R(w, k)``, the per-point sample weights and, with a
        family, the error."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def rows(self) -> list[dict[str, Any]]:
        """:meth:`table`'s rows as dictionaries (no pandas needed)."""
        rows = []
        for name, w in (
            ("optimal w*", self.optimal_weight),
            ("naive k/(1+k)", self.naive_weight),
            ("real data only", 1.0),
        ):
            row: dict[str, Any] = {"choice": name, "w": w, "R(w, k)": self.ratios[name]}
            if self.n_real is not None and self.n_synth is not None:
                real, synth = self.sample_weights(w)
                row["w/n_real"] = real
                row["(1-w)/n_synth"] = synth
            if self.errors is not None:
                row["limiting error C R / n_real"] = self.errors[name]
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        out = {
            "k": self.k,
            "n_real": self.n_real,
            "n_synth": self.n_synth,
            "optimal_weight": self.optimal_weight,
            "naive_weight": self.naive_weight,
            "objective": WEIGHT_OBJECTIVE,
            "family": self.family,
            "C": self.constant,
            "parameters": {k: np.asarray(v).tolist() for k, v in self.params.items()},
            "choices": self.table().to_dict(orient="records"),
        }
        return out


def _assumed(family: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the defaults :func:`theory.model_constant` takes for the others."""
    beta = np.atleast_1d(np.asarray(params.get("beta", [1.0]), dtype=float))
    defaults: dict[str, dict[str, Any]] = {
        "gaussian-mean": {"cov": [[1.0]]},
        "gaussian-variance": {"sigma2": 1.0},
        "gaussian-covariance": {"cov": [[1.0]]},
        "linear-fixed": {"sigma2": 1.0},
        "linear-random": {"cov_x": [[1.0]], "sigma2": 1.0},
        "logistic": {"beta": beta, "cov_x": np.eye(beta.size)},
        "poisson-regression": {"beta": beta, "cov_x": np.eye(beta.size)},
        "categorical": {"p": [0.5, 0.5]},
    }
    return {**defaults.get(family, {}), **params}


def _family_constant(family: Any) -> tuple[float, dict[str, Any]]:
    """``C``, the trace of the asymptotic covariance of a family object at its true parameters
    (``tr(I^-1)`` for a maximum-likelihood fit: a :class:`~modelcollapse.ScipyFamily`, a
    :class:`~modelcollapse.LogDensityFamily`, or any family offering ``asymptotic_covariance``),
    and those parameters. A Fisher information, where the family has one, must be finite and
    non-singular there."""
    from .families.capabilities import capabilities_of  # a family object: families are loaded

    caps = capabilities_of(family)
    if not (caps.offers("asymptotic_covariance") and callable(getattr(family, "truth", None))):
        raise fail(
            "family",
            "must be a model name of theory.model_constant or a family with an "
            "asymptotic_covariance (ScipyFamily, LogDensityFamily, a class offering it)",
            family,
        )
    truth = family.truth()
    if caps.offers("fisher_information"):
        info = np.asarray(family.fisher_information(truth), dtype=float)
        if not np.all(np.isfinite(info)) or np.linalg.matrix_rank(info) < info.shape[-1]:
            raise fail(
                "family",
                "has a singular or infinite Fisher information at its true parameters",
                family,
            )
    cov = np.asarray(family.asymptotic_covariance(truth), dtype=float)
    if not np.all(np.isfinite(cov)):
        raise fail("family", "has an infinite asymptotic covariance at its true parameters", family)
    theta = getattr(family, "theta", None)
    if isinstance(theta, dict):
        params = dict(theta)
    else:
        params = {k: v for k, v in family.describe().items() if k not in ("family", "name")}
    return float(np.trace(cov)), params


def plan_weight(n_real: int, n_synth: int, family: Any = None, **params: Any) -> WeightPlan:
    """The weight on ``n_real`` fresh real points against ``n_synth`` synthetic ones.

    ``w*`` minimises the limiting error of repeated generations, each fitted to ``n_real``
    fresh real points and ``n_synth`` synthetic points drawn from the previous generation's fit
    (paper 2): the optimum of the recursion, not the best weight for a one-off mix. In a
    weighted fit each real point has weight ``w/n_real`` and each synthetic point
    ``(1 - w)/n_synth`` (:meth:`WeightPlan.sample_weights`).

    Parameters
    ----------
    n_real, n_synth : int
        Points per generation.
    family : str or family, optional
        A model of :func:`modelcollapse.theory.model_constant` (``gaussian-mean``,
        ``logistic``, ...), for the error in its units; ``params`` are its true parameters
        (``WeightPlan.params`` records them, defaults included). Or a family object with a
        Fisher information ``I`` (:class:`~modelcollapse.ScipyFamily`,
        :class:`~modelcollapse.LogDensityFamily`; no ``params``): ``C = tr(I^-1)`` at its true
        parameters, the first-order ``n E|theta_hat - theta*|^2`` of its MLE in the free
        parameters.

    Examples
    --------
    >>> plan = plan_weight(100, 100)
    >>> round(plan.optimal_weight, 4), round(plan.ratios["naive k/(1+k)"], 4)
    (0.618, 0.6667)
    >>> [round(v, 5) for v in plan.sample_weights()]
    [0.00618, 0.00382]
    """
    n_real = check_int("n_real", n_real, minimum=1)
    n_synth = check_int("n_synth", n_synth, minimum=1)
    k = n_real / n_synth
    w_star = float(theory.optimal_weight(k))
    naive = float(theory.naive_weight(k))
    ratios = {
        "optimal w*": float(theory.limiting_ratio(w_star, k)),
        "naive k/(1+k)": float(theory.limiting_ratio(naive, k)),
        "real data only": 1.0,
    }
    if family is None or isinstance(family, str):
        constant = None if family is None else float(theory.model_constant(family, **params))
        assumed = {} if family is None else _assumed(family, params)
        name = family
    else:
        if params:
            raise fail("params", "are the family object's own: pass none with it", params)
        constant, assumed = _family_constant(family)
        name = str(getattr(family, "name", type(family).__name__))
    errors = None if constant is None else {key: constant * r / n_real for key, r in ratios.items()}
    return WeightPlan(k, w_star, naive, ratios, errors, name, constant, n_real, n_synth, assumed)
