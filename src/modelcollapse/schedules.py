"""Sample-size schedules and weight rules.

A :class:`Schedule` gives an integer sample size for every generation ``t = 1, 2, ...``: the
synthetic size ``n_synth(t)`` or the fresh real size ``n_real(t)``. A :class:`WeightRule` gives
the total weight ``w(t)`` on the real data of generation ``t``. Both are evaluated once for the
whole horizon, before any simulation, so the engine only sees arrays.

Every schedule has a text form, used by the command line and by configuration files:

================================  =============================  =====================
text                              ``n(t)``                       class
================================  =============================  =====================
``constant:n=100``                ``n``                          :class:`Constant`
``linear:n=100``                  ``n t``                        :class:`Linear`
``power:n0=100,s=0.5``            ``n0 t^(1+s)``                 :class:`Power`
``exp:n0=100,c=2``                ``n0 c^t``                     :class:`Exponential`
``tlog:n0=100,a=2``               ``n0 t log(t+1)^a``            :class:`TLog`
``two-phase:n=100,until=50,s=1``  ``n`` up to ``until``, then    :class:`TwoPhase`
                                  ``n (t/until)^(1+s)``
``list:100,200,400``              the listed sizes, in order     :class:`Explicit`
``100``                           short for ``constant:n=100``   :class:`Constant`
================================  =============================  =====================

Non-integer values are rounded to the nearest integer (halves up). A size beyond the 64-bit
integer range is an error, never a wrapped integer.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import InvalidArgumentError, check_int, check_probability, check_real, fail

__all__ = [
    "Constant",
    "ConstantWeight",
    "Explicit",
    "Exponential",
    "FromCallable",
    "Greedy",
    "Linear",
    "Optimal",
    "Power",
    "Proportional",
    "Schedule",
    "Shrinkage",
    "TLog",
    "TwoPhase",
    "WeightFunction",
    "WeightRule",
    "parse_bias",
    "parse_schedule",
    "parse_shrinkage",
    "parse_weight",
    "resolve_weights",
]

_INT64_LIMIT = 2.0**63


class Schedule(ABC):
    """A rule giving an integer sample size for each generation ``t >= 1``."""

    @abstractmethod
    def _values(self, t: np.ndarray) -> np.ndarray:
        """Real-valued sizes at generations ``t`` (float array), before rounding."""

    @abstractmethod
    def __str__(self) -> str:
        """The text form, parseable by :func:`parse_schedule` where one exists."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def sizes(self, generations: int, name: str = "schedule") -> np.ndarray:
        """Sizes for generations ``1..generations`` as an ``int64`` array.

        Parameters
        ----------
        generations : int
            Number of recursive generations ``T`` (``>= 0``).
        name : str
            The argument named in error messages (e.g. ``"n_real"``).

        Returns
        -------
        numpy.ndarray
            Shape ``(generations,)``; entry ``t - 1`` is the size at generation ``t``.

        Raises
        ------
        InvalidArgumentError
            If a size is negative, not finite, or does not fit in a 64-bit integer.
        """
        generations = check_int("generations", generations, minimum=0)
        t = np.arange(1, generations + 1, dtype=float)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                values = np.floor(np.asarray(self._values(t), dtype=float) + 0.5)
        except InvalidArgumentError as err:
            message = str(err)
            if name == "schedule" or not message.startswith("schedule:"):
                raise
            raise InvalidArgumentError(name + message[len("schedule") :]) from None
        bad = ~np.isfinite(values) | (values >= _INT64_LIMIT)
        if np.any(bad):
            first = int(np.argmax(bad)) + 1
            raise InvalidArgumentError(
                f"{name}: {self} gives a size beyond the 64-bit integer limit at generation "
                f"t={first} (got {values[first - 1]:.3g}); use fewer generations or slower growth"
            )
        if np.any(values < 0):
            first = int(np.argmax(values < 0)) + 1
            raise InvalidArgumentError(
                f"{name}: {self} gives a negative size at generation t={first} "
                f"(got {values[first - 1]:g})"
            )
        return values.astype(np.int64)


def _size(name: str, value: Any, minimum: int = 1) -> int:
    return check_int(name, value, minimum=minimum)


def _real_text(value: float) -> str:
    """``value`` in a text form that parses back to the same float: ``%g`` where that is exact,
    the shortest round-trip ``repr`` otherwise (``%g`` keeps six digits only)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


class Constant(Schedule):
    """``n(t) = n``. ``n = 0`` is allowed (no data of that kind, e.g. no fresh real data).

    Parameters
    ----------
    n : int
        The size of every generation (``>= 0``).

    Examples
    --------
    >>> Constant(100).sizes(3)
    array([100, 100, 100])
    """

    def __init__(self, n: int) -> None:
        self.n = _size("n", n, minimum=0)

    def _values(self, t: np.ndarray) -> np.ndarray:
        return np.full_like(t, float(self.n))

    def __str__(self) -> str:
        return f"constant:n={self.n}"


class Linear(Schedule):
    """``n(t) = n t``: harmonic ``sum 1/n(t)``, collapses slowly.

    Parameters
    ----------
    n : int
        Size of generation 1 and the growth per generation (``>= 1``).

    Examples
    --------
    >>> Linear(100).sizes(3)
    array([100, 200, 300])
    """

    def __init__(self, n: int) -> None:
        self.n = _size("n", n)

    def _values(self, t: np.ndarray) -> np.ndarray:
        return self.n * t

    def __str__(self) -> str:
        return f"linear:n={self.n}"


class Power(Schedule):
    """``n(t) = n0 t^(1+s)``: superlinear growth for ``s > 0``.

    Parameters
    ----------
    n0 : int
        Size of generation 1 (``>= 1``).
    s : float
        Excess exponent (``>= -1``); ``sum 1/n(t)`` converges iff ``s > 0``.

    Examples
    --------
    >>> Power(100, 0.5).sizes(3)
    array([100, 283, 520])
    """

    def __init__(self, n0: int, s: float) -> None:
        self.n0 = _size("n0", n0)
        self.s = check_real("s", s, lower=-1.0)

    def _values(self, t: np.ndarray) -> np.ndarray:
        return self.n0 * np.power(t, 1.0 + self.s)

    def __str__(self) -> str:
        return f"power:n0={self.n0},s={_real_text(self.s)}"


class Exponential(Schedule):
    """``n(t) = n0 c^t`` with ``c >= 1``.

    Parameters
    ----------
    n0 : int
        Scale (``>= 1``); generation 1 has ``n0 c`` points.
    c : float
        Growth factor per generation (``>= 1``).

    Examples
    --------
    >>> Exponential(100, 2).sizes(3)
    array([200, 400, 800])
    """

    def __init__(self, n0: int, c: float) -> None:
        self.n0 = _size("n0", n0)
        self.c = check_real("c", c, lower=1.0)

    def _values(self, t: np.ndarray) -> np.ndarray:
        return np.exp(math.log(self.n0) + t * math.log(self.c))

    def __str__(self) -> str:
        return f"exp:n0={self.n0},c={_real_text(self.c)}"


class TLog(Schedule):
    """``n(t) = n0 t log(t+1)^a``: ``a = 1`` still collapses, ``a = 2`` does not.

    Parameters
    ----------
    n0 : int
        Scale (``>= 1``).
    a : float
        Exponent of the logarithm (``>= 0``); ``sum 1/n(t)`` converges iff ``a > 1``.

    Examples
    --------
    >>> TLog(100, 2).sizes(3)
    array([ 48, 241, 577])
    """

    def __init__(self, n0: int, a: float) -> None:
        self.n0 = _size("n0", n0)
        self.a = check_real("a", a, lower=0.0)

    def _values(self, t: np.ndarray) -> np.ndarray:
        return self.n0 * t * np.power(np.log(t + 1.0), self.a)

    def __str__(self) -> str:
        return f"tlog:n0={self.n0},a={_real_text(self.a)}"


class TwoPhase(Schedule):
    """``n(t) = n`` for ``t <= until``, then ``n (t/until)^(1+s)``: constant, then power growth.

    Within a horizon ``T`` near ``until`` it costs nearly what a constant size does (the cheapest
    way to bound ``sum 1/n_t`` over a fixed horizon), while its growing tail keeps
    ``sum 1/n_t`` finite for ``s > 0``, so the recursion does not collapse if it runs on.

    Parameters
    ----------
    n : int
        Size during the constant phase (``>= 1``).
    until : int
        Last generation of the constant phase (``>= 1``).
    s : float
        Excess exponent of the growing phase (``>= -1``).

    Examples
    --------
    >>> TwoPhase(100, 2, 1).sizes(4)
    array([100, 100, 225, 400])
    """

    def __init__(self, n: int, until: int, s: float) -> None:
        self.n = _size("n", n)
        self.until = _size("until", until)
        self.s = check_real("s", s, lower=-1.0)

    def _values(self, t: np.ndarray) -> np.ndarray:
        ratio = np.maximum(t / self.until, 1.0)
        return self.n * np.power(ratio, 1.0 + self.s)

    def __str__(self) -> str:
        return f"two-phase:n={self.n},until={self.until},s={_real_text(self.s)}"


class Explicit(Schedule):
    """The listed sizes: ``n(t) = sizes[t - 1]``.

    Parameters
    ----------
    sizes : sequence of int
        At least one size (each ``>= 0``); asking for more generations than listed is an error.

    Examples
    --------
    >>> Explicit([100, 200]).sizes(2)
    array([100, 200])
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        values = list(sizes)
        if not values:
            raise fail("sizes", "must list at least one size", sizes)
        self.values = tuple(_size(f"sizes[{i}]", v, minimum=0) for i, v in enumerate(values))

    def _values(self, t: np.ndarray) -> np.ndarray:
        if len(t) > len(self.values):
            raise InvalidArgumentError(
                f"schedule: {self} lists {len(self.values)} sizes but {len(t)} generations "
                f"were asked for (got generations={len(t)})"
            )
        return np.asarray(self.values[: len(t)], dtype=float)

    def __str__(self) -> str:
        return "list:" + ",".join(str(v) for v in self.values)


class FromCallable(Schedule):
    """Sizes from a Python function ``func(t) -> int``, called once per generation.

    Parameters
    ----------
    func : callable
        ``func(t)`` gives the size at generation ``t >= 1`` (rounded to an integer).
    name : str, optional
        Name in the text form ``callable:NAME`` (default: the function's ``__name__``).

    Examples
    --------
    >>> schedule = FromCallable(lambda t: 10 * t, name="tenfold")
    >>> schedule.sizes(3), str(schedule)
    (array([10, 20, 30]), 'callable:tenfold')
    """

    def __init__(self, func: Callable[[int], float], name: str | None = None) -> None:
        if not callable(func):
            raise fail("func", "must be callable", func)
        self.func = func
        self.name = name or getattr(func, "__name__", "callable")

    def _values(self, t: np.ndarray) -> np.ndarray:
        return np.array([float(self.func(int(ti))) for ti in t], dtype=float)

    def __str__(self) -> str:
        return f"callable:{self.name}"


_SCHEDULE_KINDS: dict[str, tuple[type[Schedule], tuple[str, ...]]] = {
    "constant": (Constant, ("n",)),
    "linear": (Linear, ("n",)),
    "power": (Power, ("n0", "s")),
    "exp": (Exponential, ("n0", "c")),
    "exponential": (Exponential, ("n0", "c")),
    "tlog": (TLog, ("n0", "a")),
    "two-phase": (TwoPhase, ("n", "until", "s")),
}


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise fail(name, "must be a number", text) from None


def parse_schedule(text: str | int | Schedule, name: str = "schedule") -> Schedule:
    """Build a schedule from its text form (see the module docstring).

    Parameters
    ----------
    text : str, int or Schedule
        ``"constant:n=100"``, ``"power:n0=100,s=0.5"``, ..., a bare integer, or a schedule,
        which is returned unchanged.
    name : str
        The argument name used in error messages (e.g. ``"--schedule"``).

    Returns
    -------
    Schedule
        The schedule the text describes.

    Raises
    ------
    InvalidArgumentError
        If the text names no schedule or gives invalid values.

    Examples
    --------
    >>> parse_schedule("power:n0=100,s=1").sizes(3)
    array([100, 400, 900])
    """
    if isinstance(text, Schedule):
        return text
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        return Constant(check_int(name, text, minimum=0))
    if not isinstance(text, str):
        raise fail(name, "must be a schedule or its text form such as 'constant:n=100'", text)
    body = text.strip()
    kinds = ", ".join([*sorted(_SCHEDULE_KINDS), "list"])
    if ":" not in body:
        try:
            value = float(body)
        except ValueError:
            raise fail(
                name, f"must be an integer or KIND:KEY=VALUE,... with KIND one of {kinds}", text
            ) from None
        return Constant(check_int(name, value, minimum=0))
    kind, _, rest = body.partition(":")
    kind = kind.strip().lower()
    try:
        if kind == "list":
            items = [s for s in rest.split(",") if s.strip()]
            return Explicit([check_int(name, _number(name, s), minimum=0) for s in items])
        if kind not in _SCHEDULE_KINDS:
            raise fail(name, f"unknown schedule kind {kind!r}; allowed: {kinds}", text)
        cls, keys = _SCHEDULE_KINDS[kind]
        args: dict[str, float] = {}
        for item in (s for s in rest.split(",") if s.strip()):
            key, eq, given = item.partition("=")
            key = key.strip()
            if not eq or key not in keys:
                raise fail(name, f"{kind} takes {', '.join(k + '=...' for k in keys)}", text)
            if key in args:
                raise fail(name, f"{key} is given twice; give each key once", text)
            args[key] = _number(name, given.strip())
        missing = [k for k in keys if k not in args]
        if missing:
            raise fail(name, f"{kind} needs {', '.join(k + '=...' for k in keys)}", text)
        return cls(**args)
    except InvalidArgumentError as err:
        message = str(err)
        if message.startswith(f"{name}:"):
            raise
        raise InvalidArgumentError(f"{name}: {message}") from None


class WeightRule(ABC):
    """A rule giving the total weight ``w(t)`` on fresh real data at each generation."""

    @abstractmethod
    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        """Weights for generations ``1..T`` given the sizes of those generations.

        Parameters
        ----------
        n_real, n_synth : numpy.ndarray
            Integer sizes of shape ``(T,)``.

        Returns
        -------
        numpy.ndarray
            Float array of shape ``(T,)`` with values in ``[0, 1]``.
        """

    @abstractmethod
    def __str__(self) -> str:
        """The text form."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"


class ConstantWeight(WeightRule):
    """The same weight ``w`` on real data at every generation.

    Parameters
    ----------
    w : float
        Weight on the real data, in ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> ConstantWeight(0.3).weights(np.array([100, 100]), np.array([100, 100])).tolist()
    [0.3, 0.3]
    """

    def __init__(self, w: float) -> None:
        self.w = check_probability("w", w)

    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        return np.full(len(n_real), self.w)

    def __str__(self) -> str:
        return _real_text(self.w)


class Proportional(WeightRule):
    """Unweighted pooling: every point weighs the same, ``w(t) = n_real / (n_real + n_synth)``.

    This is paper 2's *naive* weight ``k / (1 + k)`` with ``k = n_real / n_synth``. The rule
    takes no parameters; ``w(t) = 0`` where ``n_real(t) + n_synth(t) = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> Proportional().weights(np.array([100, 0]), np.array([300, 100])).tolist()
    [0.25, 0.0]
    """

    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        total = np.asarray(n_real, dtype=float) + np.asarray(n_synth, dtype=float)
        return np.divide(n_real, total, out=np.zeros(len(total)), where=total > 0)

    def __str__(self) -> str:
        return "naive"


class Optimal(WeightRule):
    """Paper 2's optimal weight ``w*(k) = (sqrt(k^2 + 4k) - k) / 2``, ``k = n_real / n_synth``,
    per generation (``1/phi`` when ``n_real = n_synth``). The rule takes no parameters;
    ``w(t) = 0`` where ``n_real(t) = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> Optimal().weights(np.array([100]), np.array([100])).round(4).tolist()
    [0.618]
    """

    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        real = np.asarray(n_real, dtype=float)
        synth = np.asarray(n_synth, dtype=float)
        out = np.zeros(real.size)
        fresh = real > 0
        k = real[fresh] / synth[fresh]
        out[fresh] = 2.0 * k / (np.sqrt(k * k + 4.0 * k) + k)
        return out

    def __str__(self) -> str:
        return "optimal"


class Greedy(WeightRule):
    """The greedy time-varying weight: each generation minimises the next first-order error.

    With ``v_t = e_t / C`` (``v_0 = 1/n0``): ``w_t = (v_{t-1} + 1/m_t) / (v_{t-1} + 1/m_t +
    1/n_t)``, then ``v_t = (1 - w_t)^2 v_{t-1} + w_t^2/n_t + (1 - w_t)^2/m_t``. ``C`` cancels, so
    the rule is the same for every model; with constant sizes the error tends to ``w*(k) C/n``.
    It needs ``n0``, which :func:`modelcollapse.simulate` passes through :meth:`bind`.

    Parameters
    ----------
    n0 : int, optional
        Real sample size of generation 0 (``>= 1``); required before :meth:`weights`.

    Examples
    --------
    >>> import numpy as np
    >>> Greedy(100).weights(np.array([100] * 3), np.array([100] * 3)).round(4).tolist()
    [0.6667, 0.625, 0.619]
    """

    def __init__(self, n0: int | None = None) -> None:
        self.n0 = None if n0 is None else check_int("n0", n0, minimum=1)

    def bind(self, n0: int) -> Greedy:
        """The rule for a run whose generation 0 has ``n0`` real points."""
        return Greedy(n0)

    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        if self.n0 is None:
            raise InvalidArgumentError("weight: the greedy rule needs n0 (use Greedy(n0))")
        real = np.asarray(n_real, dtype=float)
        synth = np.asarray(n_synth, dtype=float)
        out = np.zeros(real.size)
        v = 1.0 / self.n0
        for t in range(real.size):
            if real[t] > 0:
                a = v + 1.0 / synth[t]
                out[t] = a / (a + 1.0 / real[t])
                v = (1 - out[t]) ** 2 * v + out[t] ** 2 / real[t] + (1 - out[t]) ** 2 / synth[t]
            else:
                v = v + 1.0 / synth[t]
        return out

    def __str__(self) -> str:
        return "greedy"


class WeightFunction(WeightRule):
    """Weights from a Python function ``func(t, n_real, n_synth) -> w``."""

    def __init__(self, func: Callable[[int, int, int], float], name: str | None = None) -> None:
        if not callable(func):
            raise fail("func", "must be callable", func)
        self.func = func
        self.name = name or getattr(func, "__name__", "callable")

    def weights(self, n_real: np.ndarray, n_synth: np.ndarray) -> np.ndarray:
        pairs = enumerate(zip(n_real, n_synth, strict=True), start=1)
        out = np.array([float(self.func(t, int(a), int(b))) for t, (a, b) in pairs], dtype=float)
        for t, w in enumerate(out, start=1):
            check_probability(f"weight at generation t={t}", w)
        return out

    def __str__(self) -> str:
        return f"callable:{self.name}"


_WEIGHT_RULES: dict[str, type[WeightRule]] = {
    "naive": Proportional,
    "proportional": Proportional,
    "optimal": Optimal,
    "greedy": Greedy,
}
_WEIGHT_HELP = "must be a number in [0, 1], or naive, proportional, optimal or greedy"


def parse_weight(text: str | float | WeightRule, name: str = "weight") -> WeightRule:
    """A weight rule from a number in ``[0, 1]``, a rule name (``naive`` = ``proportional``,
    ``optimal``, ``greedy``), or a rule.

    Parameters
    ----------
    text : str, float or WeightRule
        A number in ``[0, 1]`` (or its text), a rule name, or a rule, returned unchanged.
    name : str
        The argument name used in error messages (e.g. ``"--weight"``).

    Returns
    -------
    WeightRule
        :class:`ConstantWeight` for a number, else the named rule.

    Raises
    ------
    InvalidArgumentError
        If ``text`` is neither a number in ``[0, 1]`` nor a rule name.

    Examples
    --------
    >>> parse_weight("optimal")
    <Optimal optimal>
    >>> parse_weight(0.5)
    <ConstantWeight 0.5>
    """
    if isinstance(text, WeightRule):
        return text
    if isinstance(text, str):
        body = text.strip().lower()
        if body in _WEIGHT_RULES:
            return _WEIGHT_RULES[body]()
        try:
            value: Any = float(body)
        except ValueError:
            raise fail(name, _WEIGHT_HELP, text) from None
    else:
        value = text
    try:
        return ConstantWeight(value)
    except InvalidArgumentError:
        raise fail(name, _WEIGHT_HELP, text) from None


def resolve_weights(
    weight: WeightRule | float | str | None, n0: int, n_real: np.ndarray, n_synth: np.ndarray
) -> tuple[WeightRule, np.ndarray]:
    """The weight rule of a run and its weights ``w(t)``, 0 where ``n_real(t) = 0``.

    ``None`` is unweighted pooling (:class:`Proportional`); rules that depend on the run (the
    greedy weight) are bound to ``n0``. A weight without fresh real data is an error.
    """
    n_real = np.asarray(n_real)
    if weight is not None and not np.any(n_real > 0):
        raise fail("weight", "applies only with fresh real data (n_real > 0)", weight)
    rule = parse_weight(weight if weight is not None else Proportional(), "weight")
    if hasattr(rule, "bind"):
        rule = rule.bind(n0)
    return rule, np.where(n_real > 0, rule.weights(n_real, n_synth), 0.0)


class Shrinkage:
    """Multiplicative shrinkage ``delta_t = delta t^(-p)`` of the fitted variance.

    Generation ``t``'s fit is scaled by ``1 - delta_t`` (low-temperature sampling, or any
    estimator with ``E[sigma2_t | past] = (1 - delta_t) sigma2_{t-1}``), so
    ``E sigma2_T = sigma2 prod_t (1 - delta_t)``: collapse iff ``sum delta_t = inf``, i.e. iff
    ``p <= 1`` (for ``delta > 0``). Text form: ``shrink:delta=0.1,p=1.5``, or a bare number for
    a constant ``delta``.

    Parameters
    ----------
    delta : float
        ``delta_1``, in ``[0, 1)``.
    p : float
        Decay exponent (``>= 0``; 0 is constant shrinkage).

    Examples
    --------
    >>> Shrinkage(0.1, 1.0).deltas(3).round(4).tolist()
    [0.1, 0.05, 0.0333]
    """

    def __init__(self, delta: float, p: float = 0.0) -> None:
        self.delta = check_real("delta", delta, lower=0.0, upper=1.0, upper_open=True)
        self.p = check_real("p", p, lower=0.0)

    def deltas(self, generations: int) -> np.ndarray:
        """``delta_t`` for ``t = 1..generations``."""
        t = np.arange(1, check_int("generations", generations, minimum=0) + 1, dtype=float)
        return self.delta * t**-self.p

    def __str__(self) -> str:
        return f"shrink:delta={_real_text(self.delta)},p={_real_text(self.p)}"

    def __repr__(self) -> str:
        return f"<Shrinkage {self}>"


def parse_shrinkage(text: str | float | Shrinkage, name: str = "shrinkage") -> Shrinkage:
    """A :class:`Shrinkage` from ``"shrink:delta=0.1,p=1.5"``, a number, or a rule.

    Parameters
    ----------
    text : str, float or Shrinkage
        The text form, a constant ``delta`` (number or its text), or a rule, returned unchanged.
    name : str
        The argument name used in error messages (e.g. ``"--shrinkage"``).

    Returns
    -------
    Shrinkage
        The shrinkage rule.

    Raises
    ------
    InvalidArgumentError
        If the text is malformed or a value is out of range.

    Examples
    --------
    >>> parse_shrinkage("shrink:delta=0.1,p=1.5")
    <Shrinkage shrink:delta=0.1,p=1.5>
    >>> parse_shrinkage(0.2)
    <Shrinkage shrink:delta=0.2,p=0>
    """
    if isinstance(text, Shrinkage):
        return text
    try:
        if isinstance(text, str) and ":" in text:
            kind, _, rest = text.strip().partition(":")
            if kind.strip().lower() != "shrink":
                raise fail(name, "must be a number or shrink:delta=D,p=P", text)
            args: dict[str, float] = {}
            for item in (s for s in rest.split(",") if s.strip()):
                key, eq, value = item.partition("=")
                if not eq or key.strip() not in ("delta", "p"):
                    raise fail(name, "must be a number or shrink:delta=D,p=P", text)
                if key.strip() in args:
                    raise fail(name, f"{key.strip()} is given twice; give each key once", text)
                args[key.strip()] = _number(name, value.strip())
            if "delta" not in args:
                raise fail(name, "shrink needs delta=...", text)
            return Shrinkage(**args)
        return Shrinkage(_number(name, text) if isinstance(text, str) else text)
    except InvalidArgumentError as err:
        message = str(err)
        if message.startswith(f"{name}:"):
            raise
        raise InvalidArgumentError(f"{name}: {message}") from None


def parse_bias(text: str | None) -> tuple[float, float] | None:
    """``"BETA,GAMMA"`` as two numbers (None stays None)."""
    if text is None:
        return None
    try:
        beta, gamma = (float(v) for v in str(text).split(","))
    except ValueError:
        raise fail("bias", "must be BETA,GAMMA such as -1,0.5", text) from None
    return beta, gamma
