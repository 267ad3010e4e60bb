"""Any parametric family: a user's vectorised log-density, or a :mod:`scipy.stats` law.

:class:`LogDensityFamily` turns a log-density (or log-mass) ``logpdf(x, **params)`` and a sampler
``sampler(rng, size, **params)`` into a family of the batched engines; :class:`ScipyFamily`
builds both from a :mod:`scipy.stats` distribution. Both estimate the *free* parameters (those
not listed in ``fixed``) by weighted maximum likelihood and offer the ``sample`` and
``asymptotic`` engines.

Statistics. There are no finite sufficient statistics in general: a source's statistics are its
points, :class:`PointData` with ``x`` of shape ``(R, n)`` (integer-valued floats for a discrete
law); ``pool`` concatenates. A drawn source also carries ``origin``, the unconstrained
coordinates of the parameters it was drawn from (NaN for data given to ``statistics``): a hint
that only warm-starts the fit.

Coordinates. Each free parameter ``theta_k`` lives in a domain: ``"real"``, ``"positive"``
(``(0, inf)``), ``"unit"`` (``(0, 1)``) or an interval ``(low, high)`` (either end may be
infinite). The fit works in unconstrained coordinates ``u``: ``theta`` itself on the real line,
``log(theta - low)`` (``log(high - theta)``) on a half-line, the scaled logit
``logit((theta - low) / (high - low))`` on a bounded interval, so every iterate lies inside the
domain. Fitted parameters, ``flatten``, ``param_labels``, the Fisher information and the
asymptotic covariance are in the natural coordinates ``theta`` of the free parameters.

Weighted MLE. With source weights ``w_j`` (summing to one) each point of source ``j`` weighs
``w_j / n_j``; the fit maximises ``l(u) = sum_j (w_j / n_j) sum_i log f(x_ji; theta(u))`` for every
replication at once:

1. Start from the best (largest finite ``l``) of: the weighted average of the sources' origins,
   each source's origin, and the truth (data given to ``statistics`` have no origin).
2. Newton steps ``d = (-H)^+ g`` with the gradient ``g`` from the user's ``score`` (chain rule to
   ``u``) or else central finite differences of the vectorised log-density (step
   ``6e-6 (1 + |u_k|)``), and the Hessian ``H`` by finite differences (of the same evaluations, or
   of the analytic gradient). ``(-H)^+`` inverts the absolute eigenvalues of ``-H`` (floored at
   ``1e-10`` of the largest), so ``d`` is an ascent direction even where ``l`` is not concave.
3. Backtracking: the step is halved until ``l`` rises by Armijo's rule (up to a rounding slack of
   ``1e-12 (1 + |l|)``), at most 40 times.
4. A replication has converged when its step is below ``1e-8 (1 + max|u|)`` (the step is taken:
   quadratic convergence leaves an error of order ``1e-14``), or when a step below
   ``1e-6 (1 + max|u|)`` no longer halves the previous one (the finite-difference gradient's
   rounding floor, about ``1e-11`` relative). Converged replications are frozen; the others go
   on, at most 100 iterations.

Failure. A replication whose objective is not finite at every start (data outside the support),
whose derivatives are not finite, whose line search fails or which has not converged after 100
iterations has *failed*: its record keeps ``converged = False`` and its last iterate, ``flatten``
gives NaN for it, the metric ``fit_failed`` is 1 and ``param_error`` is ``inf``. Where the MLE
does not exist because the likelihood keeps rising towards the boundary of the domain (a negative
binomial fitted to underdispersed data runs to ``n = inf``), the iterate follows the flat ridge
until the step test stops it, and the fit may be reported converged at a huge value (``n`` of
``2e5`` to ``1e15`` on 20-point samples): such laws' fits need checking for that (not detected
yet).

Fisher information ``I(theta)`` of one observation, in the free natural coordinates, as
``E[s s^T]`` with the score ``s`` by central finite differences of the log-density (or from
``score``):

- a continuous :class:`ScipyFamily`: trapezoid rule on the normal-quantile scale, the nodes
  ``x_k = F^-1(Phi(z_k))`` for 171 equally spaced ``z_k`` in ``[-8.5, 8.5]`` (weights
  ``phi(z_k)``, normalised), which integrates the polynomial growth of the scores in ``z`` at
  their tails to about ``1e-7`` relative;
- a discrete law (both classes; for :class:`LogDensityFamily` with ``support`` given): the sum
  over the support up to the ``1 - 1e-12`` quantile (where the mass beyond is below ``1e-12``);
- a continuous :class:`LogDensityFamily` with ``support``: a fixed two-stage rule per parameter
  set, in the coordinate ``y`` of the support (``x`` on the real line, ``log(x - low)`` on a
  half-line, the scaled logit on an interval, so that a density with a jump or an integrable
  singularity at an end of the support stays smooth in ``y``). A coarse scan (3,200 fixed nodes:
  ``|x|`` logarithmically spaced from ``1e-8`` to ``1e8`` on the real line, ``y`` equally spaced in
  ``[-40, 40]`` otherwise) locates the mean ``m`` and standard deviation ``s`` of ``y``; then the
  trapezoid rule in ``v`` on ``y = m + s sinh(v)``, 481 nodes in ``[-6, 6]`` (tails to about 200
  standard deviations), accurate to about ``1e-8`` for smooth densities. On the real line a
  density much narrower than its distance from 0 (below about 2% of it) escapes the scan: give no
  ``support`` there (Monte Carlo), or centre the data;
- otherwise (a continuous :class:`LogDensityFamily` without ``support``): Monte Carlo, the
  average of ``s s^T`` over :data:`INFO_SAMPLES` ``= 20,000`` points drawn from the sampler with a
  fixed seed (so the information is a deterministic function of ``theta``); the standard error of
  each entry is ``sd(s_i s_j) / sqrt(20,000)``, about ``1%`` of the entry for light tails
  (:meth:`LogDensityFamily.information_standard_error` gives it). ``information_method`` names
  the method in use.

``asymptotic_covariance = I^-1`` (a pseudo-inverse; zero on the boundary of the domain, where the
parameters are absorbing) and ``project`` clips an estimate to the closed domain: the asymptotic
engine. The hooks ``coefficients`` (the free parameters; ``param_error`` and the risk inflation
``1 + r_t`` of :meth:`modelcollapse.SimulationResult.theory`) and ``converged``
(``fit_failed``) are offered by both classes; :class:`ScipyFamily` adds ``mean``, ``covariance``
(the variance), ``kl`` and ``cross_entropy`` (quadrature or summation under the truth, as for
the information).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import check_real, fail
from ..random import ReplicationRandom
from ._common import DataFamily, as_data, random_subset, scalar_flag, used_sources
from .parameters import Constraint, Given, Integer, check_parameter

__all__ = ["INFO_SAMPLES", "GenericParams", "LogDensityFamily", "PointData", "ScipyFamily"]

#: Points per parameter set of the Monte Carlo Fisher information (see the module docstring).
INFO_SAMPLES = 20_000
#: Relative step of the finite differences in the unconstrained coordinates (``eps^(1/3)``).
_FD_STEP = 6e-6
#: Newton iterations before a fit is declared failed.
_MAX_ITER = 100
#: A replication has converged when its Newton step is below ``_TOL (1 + max|u|)``.
_TOL = 1e-8
#: A step below ``_TOL_STALL (1 + max|u|)`` that does not halve the previous one is at the
#: finite-difference gradient's rounding floor: converged.
_TOL_STALL = 1e-6
#: Armijo's constant, step halvings allowed and the rounding slack of the objective.
_ARMIJO = 1e-4
_HALVINGS = 40
_SLACK = 1e-12
#: Eigenvalues of ``-H`` are floored at this fraction of the largest one.
_EIG_FLOOR = 1e-10
#: The normal-quantile nodes of the continuous quadrature.
_Z_NODES = np.linspace(-8.5, 8.5, 171)
#: Mass left beyond the summation range of a discrete law.
_TAIL_MASS = 1e-12
#: Most support points summed for a discrete law (beyond: Monte Carlo).
_MAX_SUPPORT = 2**18
#: Elements of the temporary arrays of the information (rows are processed in slices).
_INFO_ELEMENTS = 2**21
#: Support points summed at once for a discrete law.
_RUN = 64
#: The trapezoid nodes ``v`` of the continuous quadrature of a :class:`LogDensityFamily`.
_V_NODES = np.linspace(-6.0, 6.0, 481)
#: Fixed seed of the Monte Carlo information.
_INFO_SEED = 20240521

_DOMAIN_NAMES = {"real": (-math.inf, math.inf), "positive": (0.0, math.inf), "unit": (0.0, 1.0)}


@dataclass(frozen=True)
class PointData:
    """The ``count`` points of every replication, ``x`` of shape ``(R, count)``, and ``origin``
    ``(R, p)``: the unconstrained coordinates of the parameters they were drawn from (NaN when
    unknown)."""

    count: int
    x: np.ndarray
    origin: np.ndarray
    #: Fields that only warm-start the fit (data given to ``statistics`` lack them).
    hints: ClassVar[tuple[str, ...]] = ("origin",)


@dataclass(frozen=True)
class GenericParams:
    """The free parameters ``values`` ``(..., p)`` (natural coordinates, in the order of
    ``param_labels``) and ``converged`` ``(...)``, False where the fit failed (``values`` then
    holds its last iterate)."""

    values: np.ndarray
    converged: np.ndarray


class _Domain:
    """An interval ``(low, high)`` and its map to the real line (module docstring)."""

    def __init__(self, low: float, high: float, inclusive: tuple[bool, bool] = (False, False)):
        self.low, self.high = float(low), float(high)
        self.inclusive = inclusive

    def __repr__(self) -> str:
        left = "[" if self.inclusive[0] else "("
        right = "]" if self.inclusive[1] else ")"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def inside(self, value: float, closed: bool) -> bool:
        lo_ok = value > self.low or (closed and self.inclusive[0] and value == self.low)
        hi_ok = value < self.high or (closed and self.inclusive[1] and value == self.high)
        return bool(lo_ok and hi_ok)

    def to_free(self, theta: np.ndarray) -> np.ndarray:
        lo, hi = self.low, self.high
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isinf(lo) and math.isinf(hi):
                return np.array(theta, dtype=float)
            if math.isinf(hi):
                return np.log(theta - lo)
            if math.isinf(lo):
                return np.log(hi - theta)
            t = (theta - lo) / (hi - lo)
            return np.log(t) - np.log1p(-t)

    def from_free(self, u: np.ndarray) -> np.ndarray:
        lo, hi = self.low, self.high
        with np.errstate(over="ignore"):
            if math.isinf(lo) and math.isinf(hi):
                return np.array(u, dtype=float)
            if math.isinf(hi):
                return lo + np.exp(u)
            if math.isinf(lo):
                return hi - np.exp(u)
            return lo + (hi - lo) / (1.0 + np.exp(-u))

    def derivative(self, u: np.ndarray) -> np.ndarray:
        """``d theta / d u``."""
        lo, hi = self.low, self.high
        with np.errstate(over="ignore"):
            if math.isinf(lo) and math.isinf(hi):
                return np.ones_like(u, dtype=float)
            if math.isinf(hi):
                return np.exp(u)
            if math.isinf(lo):
                return -np.exp(u)
            e = np.exp(-np.abs(u))
            return (hi - lo) * e / (1.0 + e) ** 2

    def strictly_inside(self, theta: np.ndarray) -> np.ndarray:
        return (theta > self.low) & (theta < self.high)

    def clip(self, theta: np.ndarray) -> np.ndarray:
        return np.clip(theta, self.low, self.high)


def _fixed_names(fixed: Any) -> tuple[Any, ...]:
    """``fixed`` as a tuple of names (one name may be given as a string)."""
    if isinstance(fixed, str):
        return (fixed,)
    try:
        return tuple(fixed)
    except TypeError:
        raise fail("fixed", "must be a sequence of parameter names", fixed) from None


def _parse_domain(name: str, spec: Any) -> _Domain:
    if isinstance(spec, _Domain):
        return spec
    if isinstance(spec, str):
        if spec not in _DOMAIN_NAMES:
            raise fail(
                "domains", f"{name}: must be real, positive, unit or a pair (low, high)", spec
            )
        return _Domain(*_DOMAIN_NAMES[spec])
    try:
        low, high = (float(v) for v in spec)
    except (TypeError, ValueError):
        raise fail(
            "domains", f"{name}: must be real, positive, unit or a pair (low, high)", spec
        ) from None
    if not low < high or math.isnan(low) or math.isnan(high):
        raise fail("domains", f"{name}: needs low < high", spec)
    return _Domain(low, high)


def _finite_or_minus_inf(values: np.ndarray) -> np.ndarray:
    """``values`` with NaN and ``+inf`` (a broken density) as ``-inf``."""
    return np.where(np.isfinite(values) | np.isneginf(values), values, -np.inf)


class LogDensityFamily(DataFamily):
    """A parametric family given by a vectorised log-density and a sampler (module docstring).

    Parameters
    ----------
    logpdf : callable
        ``logpdf(x, **params) -> array``: the log-density (log-mass for ``discrete=True``) at
        points ``x`` of shape ``(R, n)``, every parameter of shape ``(R, 1)``; ``-inf`` outside
        the support.
    sampler : callable
        ``sampler(rng, size, **params) -> array``: draws of shape ``size`` from a
        :class:`numpy.random.Generator`, the parameters broadcastable to ``size``.
    theta : dict of str to float
        The true value of every parameter.
    domains : dict of str to domain, optional
        ``"real"`` (the default), ``"positive"``, ``"unit"`` or ``(low, high)`` per parameter.
    fixed : sequence of str
        Parameters held at their true values (not estimated).
    discrete : bool
        Integer-valued data (a log-mass).
    name : str
        The family's name in results.
    score : callable, optional
        ``score(x, **params) -> dict``: the gradient of ``logpdf`` with respect to each free
        parameter (arrays of the shape of ``x``); finite differences otherwise.
    support : (float, float), optional
        Where the points lie: the range of the quadrature (continuous) or summation (discrete)
        of the Fisher information; Monte Carlo without it.
    min_sample_size : int
        Smallest sample size the estimator accepts.

    Examples
    --------
    >>> import numpy as np
    >>> import modelcollapse as mc
    >>> fam = mc.LogDensityFamily(
    ...     lambda x, lam: np.log(lam) - lam * x,
    ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
    ...     {"lam": 2.0}, domains={"lam": "positive"}, support=(0.0, np.inf))
    >>> fam.param_labels, float(fam.fisher_information(fam.truth())[0, 0].round(6))
    (('lam',), 0.25)
    """

    #: The statistics are the data points: a replication holds its training set.
    holds_points = True
    engines = ("sample", "asymptotic")
    hooks = frozenset(
        {
            "coefficients",
            "converged",
            "asymptotic_covariance",
            "fisher_information",
            "project",
            "subsample",
        }
    )
    parameters: ClassVar[dict[str, Constraint]] = {
        "logpdf": Given("a callable logpdf(x, **params)"),
        "sampler": Given("a callable sampler(rng, size, **params)"),
        "theta": Given("a non-empty dict of parameter name to true value"),
        "domains": Given("a dict of parameter name to domain, or None"),
        "fixed": Given("names of parameters held at their true values"),
        "discrete": Given("whether the data are integers"),
        "name": Given("the family's name in results"),
        "score": Given("a callable score(x, **params), or None"),
        "support": Given("a pair (low, high), or None"),
        "min_sample_size": Integer(1),
    }

    def __init__(
        self,
        logpdf: Callable[..., Any],
        sampler: Callable[..., Any],
        theta: Mapping[str, float],
        *,
        domains: Mapping[str, Any] | None = None,
        fixed: Sequence[str] = (),
        discrete: bool = False,
        name: str = "logdensity",
        score: Callable[..., Any] | None = None,
        support: tuple[float, float] | None = None,
        min_sample_size: int = 2,
    ) -> None:
        if not callable(logpdf):
            raise fail("logpdf", "must be a callable logpdf(x, **params)", logpdf)
        if not callable(sampler):
            raise fail("sampler", "must be a callable sampler(rng, size, **params)", sampler)
        if score is not None and not callable(score):
            raise fail("score", "must be a callable score(x, **params) or None", score)
        if not isinstance(theta, Mapping) or not theta:
            raise fail("theta", "must be a non-empty dict of parameter name to true value", theta)
        self.domains = None if domains is None else dict(domains)
        domains = {} if domains is None else dict(domains)
        for key in domains:
            if key not in theta:
                raise fail("domains", f"must name parameters among {', '.join(theta)}", key)
        parsed = {k: _parse_domain(k, domains.get(k, "real")) for k in theta}
        self._setup(logpdf, sampler, dict(theta), parsed, fixed, bool(discrete), str(name))
        self._score = self.score = score
        self.logpdf, self.sampler = logpdf, sampler
        self.support = None if support is None else self._check_support(support)
        self.min_sample_size = check_parameter(self, "min_sample_size", min_sample_size)

    # -- construction ----------------------------------------------------------------------
    def _setup(
        self,
        logpdf: Callable[..., Any],
        sampler: Callable[..., Any],
        theta: dict[str, Any],
        domains: dict[str, _Domain],
        fixed: Any,
        discrete: bool,
        name: str,
    ) -> None:
        fixed = _fixed_names(fixed)
        for item in fixed:
            if not isinstance(item, str) or item not in theta:
                raise fail("fixed", f"must name parameters among {', '.join(theta)}", item)
        values = {}
        for key, value in theta.items():
            v = check_real(key, value)
            if not domains[key].inside(v, closed=key in fixed):
                raise fail(key, f"must lie in {domains[key]!r}{self._where()}", value)
            values[key] = v
        free = tuple(k for k in theta if k not in fixed)
        if not free:
            raise fail("fixed", "leaves no parameter to estimate", list(fixed))
        self._logpdf = logpdf
        self._sampler_fn = sampler
        self.name = name
        self.discrete = discrete
        self.theta = values
        self.fixed = tuple(k for k in theta if k in fixed)
        self.param_labels = free
        self._domains = [domains[k] for k in free]
        self._fixed_values = {k: values[k] for k in self.fixed}
        self._true = np.array([values[k] for k in free], dtype=float)

    def _where(self) -> str:
        """Where a parameter's domain comes from, for error messages."""
        return ""

    def _check_support(self, support: Any) -> tuple[float, float]:
        try:
            low, high = (float(v) for v in support)
        except (TypeError, ValueError):
            raise fail("support", "must be a pair (low, high)", support) from None
        if not low < high:
            raise fail("support", "needs low < high", support)
        return low, high

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.theta.items())
        fixed = f", fixed={self.fixed!r}" if self.fixed else ""
        return f"{type(self).__name__}({self._repr_name()!r}, {args}{fixed})"

    def _repr_name(self) -> str:
        return self.name

    # -- parameters ------------------------------------------------------------------------
    def truth(self) -> GenericParams:
        """The true parameters, without a replication axis.

        Returns
        -------
        GenericParams
            ``values`` ``(p,)`` (the free parameters' true values) and ``converged=True``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> fam.truth().values.tolist()
        [2.0]
        """
        return GenericParams(self._true.copy(), scalar_flag(True))

    def broadcast(self, params: GenericParams, size: int) -> GenericParams:
        """``params`` repeated over a leading replication axis of length ``size``.

        Parameters
        ----------
        params : GenericParams
            Parameters without a replication axis.
        size : int
            Number of replications ``R``.

        Returns
        -------
        GenericParams
            ``values`` ``(size, p)`` and ``converged`` ``(size,)``.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> fam.broadcast(fam.truth(), 3).values.shape
        (3, 1)
        """
        p = len(self.param_labels)
        values = np.array(np.broadcast_to(params.values, (size, p)), dtype=float)
        converged = np.array(np.broadcast_to(params.converged, (size,)), dtype=bool)
        return GenericParams(values, converged)

    def flatten(self, params: GenericParams) -> np.ndarray:
        """The free parameters, NaN for a failed fit (it has no estimate).

        Parameters
        ----------
        params : GenericParams
            Parameters with any leading axes.

        Returns
        -------
        numpy.ndarray
            Shape ``(..., p)``: the free parameters, NaN where the fit failed.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> fam.flatten(fam.truth()).tolist()
        [2.0]
        """
        values = np.asarray(params.values, dtype=float)
        ok = np.asarray(params.converged, dtype=bool)[..., None]
        return np.where(ok, values, np.nan)

    def unflatten(self, flat: np.ndarray) -> GenericParams:
        """Inverse of :meth:`flatten`.

        Parameters
        ----------
        flat : numpy.ndarray
            Shape ``(..., len(param_labels))``.

        Returns
        -------
        GenericParams
            ``values`` ``(..., p)``; ``converged`` False where a value is NaN.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> fam.unflatten(np.array([[2.5], [np.nan]])).converged.tolist()
        [True, False]
        """
        values = np.array(flat, dtype=float)
        return GenericParams(values, np.isfinite(values).all(axis=-1))

    def _to_free(self, values: np.ndarray) -> np.ndarray:
        return np.stack([d.to_free(values[..., k]) for k, d in enumerate(self._domains)], -1)

    def _from_free(self, u: np.ndarray) -> np.ndarray:
        return np.stack([d.from_free(u[..., k]) for k, d in enumerate(self._domains)], -1)

    def _jacobian(self, u: np.ndarray) -> np.ndarray:
        """``d theta_k / d u_k``, shape of ``u``."""
        return np.stack([d.derivative(u[..., k]) for k, d in enumerate(self._domains)], -1)

    def _kwargs(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Every parameter as a ``(B, 1)`` array, from the free ``values`` ``(B, p)``."""
        out = {}
        b = values.shape[0]
        for key in self.theta:
            if key in self._fixed_values:
                out[key] = np.full((b, 1), self._fixed_values[key])
            else:
                out[key] = values[:, self.param_labels.index(key), None]
        return out

    def _log_density(self, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        """``log f(x)`` ``(B, K)`` at free parameters ``values`` ``(B, p)``; never NaN."""
        with np.errstate(all="ignore"):
            out = np.asarray(self._logpdf(x, **self._kwargs(values)), dtype=float)
        return _finite_or_minus_inf(np.broadcast_to(out, x.shape))

    # -- drawing ---------------------------------------------------------------------------
    def _sampler(self, params: GenericParams) -> np.ndarray:
        values = np.asarray(params.values, dtype=float)
        if not np.all(np.isfinite(values)):
            raise fail(
                "params",
                "must be finite to draw from the model (a failed fit that was flattened has "
                "NaN parameters)",
                values[~np.isfinite(values).all(axis=-1)][0].tolist(),
            )
        return values

    def _sample_with(self, state: np.ndarray, m: int, rng: ReplicationRandom) -> np.ndarray:
        """``m`` points per replication, block by block from the parametric generators."""
        out = np.empty((state.shape[0], m))
        for gen, a, b in rng.parametric_blocks():
            drawn = self._sampler_fn(gen, (b - a, m), **self._kwargs(state[a:b]))
            drawn = np.asarray(drawn, dtype=float)
            if drawn.shape != (b - a, m):
                raise fail(
                    "sampler", f"must return an array of the shape size={(b - a, m)}", drawn.shape
                )
            out[a:b] = drawn
        return out

    def _draw_sample(self, params: GenericParams, n: int, rng: ReplicationRandom) -> PointData:
        # The statistics are the points: drawn whole, never in pieces.
        state = self._sampler(params)
        return PointData(n, self._sample_with(state, n, rng), self._to_free(state))

    def _check_data(self, data: Any) -> np.ndarray:
        x = as_data(data)
        if self.discrete and np.any(x != np.round(x)):
            raise fail(
                "data",
                f"must be integers for the discrete {self.name} family",
                x[x != np.round(x)][0].item(),
            )
        return x

    def _statistics(self, data: np.ndarray) -> PointData:
        x = np.array(data, dtype=float)
        return PointData(x.shape[1], x, np.full((x.shape[0], len(self.param_labels)), np.nan))

    def pool(self, a: PointData, b: PointData) -> PointData:
        """Statistics of the union of the data behind ``a`` and ``b`` (unweighted).

        Parameters
        ----------
        a, b : PointData
            Statistics of two samples, one set per replication.

        Returns
        -------
        PointData
            The points of both, ``a``'s first (``count`` added).

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> s = fam.statistics([[0.5, 1.0, 1.5]])
        >>> both = fam.pool(s, s)
        >>> both.count, both.x.tolist()
        (6, [[0.5, 1.0, 1.5, 0.5, 1.0, 1.5]])
        """
        n = a.count + b.count
        origin = a.origin * (a.count / n) + b.origin * (b.count / n)
        return PointData(n, np.concatenate([a.x, b.x], axis=1), origin)

    def subsample(self, data: PointData, m: int, rng: ReplicationRandom) -> PointData:
        """``m`` of the points drawn without replacement (the warm-start hint is kept)."""
        index = random_subset(rng, data.count, m)
        return PointData(int(m), np.take_along_axis(data.x, index, axis=-1), data.origin)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, sources: Sequence[PointData], weights: Sequence[float]) -> GenericParams:
        """Weighted MLE of every replication at once (module docstring); zero weights are ignored.

        Parameters
        ----------
        sources : sequence of PointData
            The points of each source, per replication.
        weights : sequence of float
            Weight of each source (non-negative, summing to one); each source's points share its
            weight.

        Returns
        -------
        GenericParams
            The free parameters ``values`` ``(R, p)`` and, per replication, whether the fit
            converged.

        Examples
        --------
        >>> import numpy as np, modelcollapse as mc
        >>> fam = mc.LogDensityFamily(
        ...     lambda x, lam: np.log(lam) - lam * x,
        ...     lambda rng, size, lam: rng.exponential(1.0 / lam, size),
        ...     {"lam": 2.0}, domains={"lam": "positive"})
        >>> s = fam.statistics([[0.25, 0.5, 0.75], [1.0, 1.0, 1.0]])
        >>> est = fam.fit([s], [1.0])  # the MLE of an exponential rate: 1 / mean
        >>> est.values.round(4).tolist(), est.converged.tolist()
        ([[2.0], [1.0]], [True, True])
        """
        used = used_sources(sources, weights)
        blocks = [(np.asarray(s.x, dtype=float), w / s.count) for s, w in used]
        r = blocks[0][0].shape[0]
        starts = [self._average_origin(used)] + [np.asarray(s.origin, float) for s, _ in used]
        starts.append(np.broadcast_to(self._to_free(self._true), (r, len(self.param_labels))))
        u, converged = self._newton(blocks, starts)
        return GenericParams(self._from_free(u), converged)

    @staticmethod
    def _average_origin(used: list[tuple[PointData, float]]) -> np.ndarray:
        total: Any = 0.0
        weight: Any = 0.0
        for s, w in used:
            known = np.isfinite(s.origin).all(axis=-1)
            total = total + np.where(known[:, None], w * s.origin, 0.0)
            weight = weight + np.where(known, w, 0.0)
        weight = np.asarray(weight)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(weight > 0, np.asarray(total) / weight, np.nan)

    def _objective(self, blocks: list[tuple[np.ndarray, float]], rows: Any, u: np.ndarray):
        values = self._from_free(u)
        total = 0.0
        for x, a in blocks:
            total = total + a * self._log_density(x[rows], values).sum(axis=-1)
        return _finite_or_minus_inf(np.asarray(total, dtype=float))

    def _derivatives(
        self, blocks: list[tuple[np.ndarray, float]], rows: Any, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective, gradient ``(B, p)`` and Hessian ``(B, p, p)`` in the coordinates ``u``."""
        b, p = u.shape
        h = _FD_STEP * (1.0 + np.abs(u))
        if self._score is not None:
            f0 = self._objective(blocks, rows, u)
            g = self._gradient(blocks, rows, u)
            hess = np.empty((b, p, p))
            for k in range(p):
                e = np.zeros(p)
                e[k] = 1.0
                step = h[:, k : k + 1] * e
                diff = self._gradient(blocks, rows, u + step) - self._gradient(
                    blocks, rows, u - step
                )
                hess[:, :, k] = diff / (2.0 * h[:, k : k + 1])
            return f0, g, 0.5 * (hess + np.swapaxes(hess, 1, 2))
        f0 = np.zeros(b)
        g = np.zeros((b, p))
        hess = np.zeros((b, p, p))
        for x, a in blocks:
            xr = x[rows]

            def at(shift: np.ndarray, xr: np.ndarray = xr) -> np.ndarray:
                return self._log_density(xr, self._from_free(u + shift))

            base = at(np.zeros((b, p)))
            plus, minus = [], []
            for k in range(p):
                step = np.zeros((b, p))
                step[:, k] = h[:, k]
                plus.append(at(step))
                minus.append(at(-step))
            with np.errstate(invalid="ignore"):
                f0 = f0 + a * base.sum(axis=-1)
                for k in range(p):
                    hk = h[:, k]
                    g[:, k] += a * (plus[k] - minus[k]).sum(axis=-1) / (2.0 * hk)
                    second = (plus[k] - 2.0 * base + minus[k]).sum(axis=-1)
                    hess[:, k, k] += a * second / (hk * hk)
                    for j in range(k):
                        step = np.zeros((b, p))
                        step[:, k] = h[:, k]
                        step[:, j] = h[:, j]
                        mixed = at(step) - plus[k] - plus[j] + 2.0 * base - minus[k] - minus[j]
                        mixed = mixed + at(-step)
                        value = a * mixed.sum(axis=-1) / (2.0 * hk * h[:, j])
                        hess[:, k, j] += value
                        hess[:, j, k] += value
        return _finite_or_minus_inf(f0), g, hess

    def _gradient(self, blocks: list[tuple[np.ndarray, float]], rows: Any, u: np.ndarray):
        """The analytic gradient in ``u``: the user's score times ``d theta / d u``."""
        assert self._score is not None  # called only for a family with a score
        values = self._from_free(u)
        kwargs = self._kwargs(values)
        g = np.zeros(u.shape)
        for x, a in blocks:
            with np.errstate(all="ignore"):
                score = self._score(x[rows], **kwargs)
            for k, key in enumerate(self.param_labels):
                g[:, k] += a * np.asarray(score[key], dtype=float).sum(axis=-1)
        return g * self._jacobian(u)

    def _newton(
        self, blocks: list[tuple[np.ndarray, float]], starts: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Damped Newton from the best start, every replication at once (module docstring)."""
        r = blocks[0][0].shape[0]
        p = len(self.param_labels)
        every = np.arange(r)
        u = np.full((r, p), np.nan)
        best = np.full(r, -np.inf)
        for start in starts:
            start = np.asarray(start, dtype=float)
            known = np.isfinite(start).all(axis=-1)
            if not known.any():
                continue
            safe = np.where(known[:, None], start, 0.0)
            value = np.where(known, self._objective(blocks, every, safe), -np.inf)
            better = value > best
            u[better] = safe[better]
            best = np.where(better, value, best)
        active = np.isfinite(best)
        converged = np.zeros(r, dtype=bool)
        u = np.where(active[:, None], u, np.nan_to_num(u))
        last = np.full(r, np.inf)
        for _ in range(_MAX_ITER):
            rows = np.flatnonzero(active)
            if rows.size == 0:
                break
            ur = u[rows]
            f0, g, hess = self._derivatives(blocks, rows, ur)
            ok = np.isfinite(f0) & np.isfinite(g).all(-1) & np.isfinite(hess).all((-2, -1))
            d = np.zeros_like(ur)
            if ok.any():
                d[ok] = _ascent_direction(g[ok], hess[ok])
            slope = np.einsum("bk,bk->b", g, d)
            alpha = np.ones(rows.size)
            accepted = ~ok  # broken rows are settled below
            new = ur.copy()
            for _ in range(_HALVINGS):
                todo = np.flatnonzero(~accepted)
                if todo.size == 0:
                    break
                trial = ur[todo] + alpha[todo, None] * d[todo]
                value = self._objective(blocks, rows[todo], trial)
                slack = _SLACK * (1.0 + np.abs(f0[todo]))
                good = value >= f0[todo] + _ARMIJO * alpha[todo] * slope[todo] - slack
                new[todo[good]] = trial[good]
                accepted[todo[good]] = True
                alpha[todo[~good]] *= 0.5
            searched = accepted & ok
            step = np.abs(new - ur).max(axis=-1)
            scale = 1.0 + np.abs(ur).max(axis=-1)
            done = searched & (
                (step <= _TOL * scale) | ((step <= _TOL_STALL * scale) & (step > 0.5 * last[rows]))
            )
            u[rows] = np.where(searched[:, None], new, ur)
            last[rows] = step
            converged[rows[done]] = True
            active[rows[done | ~searched]] = False
        return u, converged

    # -- metric hooks ----------------------------------------------------------------------
    def coefficients(self, params: GenericParams) -> np.ndarray:
        """The free parameters, NaN for a failed fit (``param_error = inf``)."""
        return self.flatten(params)

    def converged(self, params: GenericParams) -> np.ndarray:
        """Whether each fit converged (``fit_failed = 1 - converged``)."""
        shape = np.shape(params.values)[:-1]
        return np.broadcast_to(np.asarray(params.converged, dtype=bool), shape)

    # -- Fisher information ----------------------------------------------------------------
    @property
    def information_method(self) -> str:
        """How :meth:`fisher_information` integrates: ``"quadrature"``, ``"summation"`` or
        ``"monte-carlo"`` (module docstring)."""
        if self.support is None:
            return "monte-carlo"
        return "summation" if self.discrete else "quadrature"

    def _scores(self, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Scores ``d log f(x) / d theta`` ``(B, K, p)`` in the natural free coordinates."""
        if self._score is not None:
            with np.errstate(all="ignore"):
                score = self._score(x, **self._kwargs(values))
            return np.stack(
                [np.broadcast_to(np.asarray(score[k], float), x.shape) for k in self.param_labels],
                axis=-1,
            )
        u = self._to_free(values)
        h = _FD_STEP * (1.0 + np.abs(u))
        jac = self._jacobian(u)
        out = np.empty((*x.shape, u.shape[-1]))
        for k in range(u.shape[-1]):
            step = np.zeros_like(u)
            step[:, k] = h[:, k]
            with np.errstate(invalid="ignore"):
                diff = self._log_density(x, self._from_free(u + step)) - self._log_density(
                    x, self._from_free(u - step)
                )
            out[..., k] = diff / (2.0 * h[:, k : k + 1] * jac[:, k : k + 1])
        return out

    def _weighted_information(self, x: np.ndarray, w: np.ndarray, values: np.ndarray):
        """``sum_k w_k s_k s_k^T`` over nodes ``x`` ``(B, K)`` with weights ``w`` ``(B, K)``.

        Each entry is a sum along the contiguous last axis, row by row, so a row's value never
        depends on the other rows of the batch (results stay the same whatever the chunking).
        """
        s = self._scores(x, values)
        s = np.where((w > 0)[..., None] & np.isfinite(s), s, 0.0)
        p = s.shape[-1]
        out = np.empty((x.shape[0], p, p))
        for i in range(p):
            si = np.ascontiguousarray(s[..., i]) * w
            for j in range(i + 1):
                out[:, i, j] = out[:, j, i] = (si * s[..., j]).sum(axis=-1)
        return out

    def _interior(self, params: GenericParams) -> tuple[np.ndarray, np.ndarray, tuple]:
        values = np.asarray(params.values, dtype=float)
        batch = values.shape[:-1]
        flat = values.reshape(-1, values.shape[-1])
        inside = np.ones(flat.shape[0], dtype=bool)
        for k, d in enumerate(self._domains):
            inside &= d.strictly_inside(flat[:, k])
        return flat, inside, batch

    def fisher_information(self, params: GenericParams) -> np.ndarray:
        """``I(theta)`` of one point, ``(..., p, p)``, in the free natural coordinates; ``inf``
        on the boundary of the domain (module docstring for the method)."""
        flat, inside, batch = self._interior(params)
        p = flat.shape[-1]
        out = np.full((flat.shape[0], p, p), np.inf)
        rows = np.flatnonzero(inside)
        if rows.size:
            unique, inverse = np.unique(flat[rows], axis=0, return_inverse=True)
            info = self._information(unique)
            out[rows] = info[np.ravel(inverse)]
        return out.reshape(*batch, p, p)

    def asymptotic_covariance(self, params: GenericParams) -> np.ndarray:
        """``I(theta)^-1`` (a pseudo-inverse), ``(..., p, p)``; zero on the boundary or where the
        information is not finite."""
        info = self.fisher_information(params)
        p = info.shape[-1]
        finite = np.all(np.isfinite(info), axis=(-2, -1))[..., None, None]
        safe = np.where(finite, info, np.eye(p))
        cov = np.linalg.pinv(safe, hermitian=True)
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        return np.where(finite, cov, 0.0)

    def project(self, params: GenericParams) -> GenericParams:
        """Clip each free parameter to its closed domain."""
        values = np.asarray(params.values, dtype=float)
        clipped = np.stack([d.clip(values[..., k]) for k, d in enumerate(self._domains)], -1)
        return GenericParams(clipped, params.converged)

    def _information(self, values: np.ndarray) -> np.ndarray:
        """The information at distinct interior parameter sets ``values`` ``(B, p)``."""
        method = self.information_method
        if method == "summation":
            return self._information_summation(values)
        if method == "quadrature":
            return self._information_quadrature(values)
        return self._information_monte_carlo(values)[0]

    def _information_summation(self, values: np.ndarray) -> np.ndarray:
        """Sum over the support in runs of :data:`_RUN` points from its lower end, until every
        row's mass is within ``1e-12`` of one; a row's value never depends on the batch (the
        runs beyond its support add exact zeros)."""
        assert self.support is not None
        low = math.ceil(self.support[0])
        high = self.support[1]
        b, p = values.shape
        info = np.zeros((b, p, p))
        mass = np.zeros(b)
        start = float(low)
        while start <= high and start - low < _MAX_SUPPORT:
            x = start + np.arange(_RUN, dtype=float)
            x = x[x <= high]
            xs = np.ascontiguousarray(np.broadcast_to(x, (b, x.size)))
            w = np.exp(self._log_density(xs, values))
            info += self._weighted_information(xs, w, values)
            mass += w.sum(axis=-1)
            start += _RUN
            if np.all(mass >= 1.0 - _TAIL_MASS):
                break
        with np.errstate(invalid="ignore", divide="ignore"):
            return info / mass[:, None, None]

    def _information_quadrature(self, values: np.ndarray) -> np.ndarray:
        """A fixed two-stage rule per parameter set in the coordinate ``y`` of the support
        (``x``, ``log(x - low)``, ``log(high - x)`` or the scaled logit): a coarse scan locates
        the mean ``m`` and standard deviation ``s`` of ``y``, then the trapezoid rule in ``v``
        on ``y = m + s sinh(v)`` (module docstring)."""
        assert self.support is not None
        support = _Domain(*self.support)
        b, p = values.shape
        out = np.empty((b, p, p))
        coarse = self._coarse_nodes()
        dy = np.gradient(coarse)
        step = max(1, _INFO_ELEMENTS // (max(coarse.size, _V_NODES.size) * (p + 2)))
        with np.errstate(all="ignore"):
            coarse_x = support.from_free(coarse)
            coarse_jac = np.abs(support.derivative(coarse))
        for a in range(0, b, step):
            v = values[a : a + step]
            xs = np.ascontiguousarray(np.broadcast_to(coarse_x, (v.shape[0], coarse.size)))
            w = np.exp(self._log_density(xs, v)) * (coarse_jac * dy)
            total = w.sum(axis=-1, keepdims=True)
            m = (w * coarse).sum(axis=-1, keepdims=True) / total
            var = (w * (coarse - m) ** 2).sum(axis=-1, keepdims=True) / total
            sd = np.sqrt(np.maximum(var, 0.0))
            sd = np.where(sd > 0, sd, 1.0)
            y = m + sd * np.sinh(_V_NODES)
            with np.errstate(all="ignore"):
                x = support.from_free(y)
                jac = np.abs(support.derivative(y))
            weight = np.exp(self._log_density(x, v)) * jac * np.cosh(_V_NODES)
            weight = np.where(np.isfinite(weight), weight, 0.0)
            weight /= weight.sum(axis=-1, keepdims=True)
            out[a : a + step] = self._weighted_information(x, weight, v)
        return out

    def _coarse_nodes(self) -> np.ndarray:
        """Fixed nodes of the coarse scan in the support's coordinate ``y``: logarithmically
        spaced from ``1e-8`` to ``1e8`` on both sides of 0 on the real line, equally spaced in
        ``[-40, 40]`` otherwise."""
        assert self.support is not None
        if math.isinf(self.support[0]) and math.isinf(self.support[1]):
            half = np.logspace(-8, 8, 1600)
            return np.concatenate([-half[::-1], [0.0], half])
        return np.linspace(-40.0, 40.0, 3200)

    def _information_monte_carlo(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average of ``s s^T`` over :data:`INFO_SAMPLES` points per parameter set, each drawn
        from a generator with the same fixed seed (one sampler call per parameter set, so a
        row's value never depends on the batch)."""
        b, p = values.shape
        info = np.empty((b, p, p))
        se = np.empty((b, p, p))
        for a in range(b):
            v = values[a : a + 1]
            gen = np.random.default_rng(_INFO_SEED)
            x = np.asarray(self._sampler_fn(gen, (1, INFO_SAMPLES), **self._kwargs(v)), float)
            s = self._scores(x, v)[0]
            s = np.where(np.isfinite(s), s, 0.0)
            prod = s[:, :, None] * s[:, None, :]
            info[a] = prod.mean(axis=0)
            se[a] = prod.std(axis=0, ddof=1) / np.sqrt(INFO_SAMPLES)
        return info, se

    def information_standard_error(self, params: GenericParams) -> np.ndarray:
        """Monte Carlo standard error of each entry of :meth:`fisher_information`, ``(..., p,
        p)``; zero where the information is computed by quadrature or summation."""
        flat, inside, batch = self._interior(params)
        p = flat.shape[-1]
        out = np.zeros((flat.shape[0], p, p))
        if self.information_method == "monte-carlo" and inside.any():
            out[inside] = self._information_monte_carlo(flat[inside])[1]
        return out.reshape(*batch, p, p)


def _ascent_direction(g: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """``(-H)^+ g`` with the absolute eigenvalues of ``-H``, floored (module docstring)."""
    lam, vec = np.linalg.eigh(-0.5 * (hess + np.swapaxes(hess, -1, -2)))
    lam = np.abs(lam)
    floor = _EIG_FLOOR * lam.max(axis=-1, keepdims=True) + np.finfo(float).tiny
    lam = np.maximum(lam, floor)
    coef = np.einsum("bki,bk->bi", vec, g) / lam
    return np.einsum("bki,bi->bk", vec, coef)


def _scipy_distribution(dist: Any) -> Any:
    """The :mod:`scipy.stats` distribution object ``dist`` names or is."""
    from scipy import stats

    given = dist
    if isinstance(dist, str):
        dist = getattr(stats, dist, None)
    problem = (
        "must be a scipy.stats distribution or its name, with logpdf (logpmf) and rvs, e.g. "
        "'weibull_min'"
    )
    if not isinstance(dist, (stats.rv_continuous, stats.rv_discrete)):
        raise fail("dist", problem, given)
    method = "logpdf" if isinstance(dist, stats.rv_continuous) else "logpmf"
    for needed in (method, "rvs", "_shape_info"):
        if not callable(getattr(dist, needed, None)):
            raise fail("dist", problem, given)
    return dist


def _real_valued(dist: Any, shape: str, params: dict[str, Any]) -> bool:
    """Whether scipy accepts a non-integer value of the integer-flagged ``shape`` (the ``n`` of
    a negative binomial, not that of a binomial): its log-mass at the median stays finite."""
    names = [s.name for s in dist._shape_info()]
    try:
        args = [float(params[k]) for k in names]
    except (KeyError, TypeError, ValueError):
        return False
    moved = [a + 0.5 if k == shape else a for k, a in zip(names, args, strict=True)]
    with np.errstate(all="ignore"):
        value = dist.logpmf(dist.median(*args), *moved)
    return bool(np.isfinite(value))


class ScipyFamily(LogDensityFamily):
    """A :mod:`scipy.stats` distribution with its parameters fitted by weighted MLE.

    Parameters
    ----------
    dist : scipy.stats distribution or str
        A continuous or discrete distribution object (``scipy.stats.weibull_min``) or its name
        (``"weibull_min"``).
    fixed : sequence of str
        Parameters held at their true values.
    **params : float
        The true shape parameters, and ``loc`` and ``scale`` (continuous) or ``loc``
        (discrete). A ``loc`` or ``scale`` not given takes scipy's default (0, 1) and is fixed;
        a given one is estimated unless it is in ``fixed``. Integer-valued shapes (the ``n`` of
        a binomial) must be fixed.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> fam = mc.ScipyFamily("weibull_min", c=1.5, scale=2.0)
    >>> fam.name, fam.param_labels
    ('scipy:weibull_min', ('c', 'scale'))
    >>> mc.ScipyFamily("nbinom", n=5.0, p=0.4).param_labels
    ('n', 'p')
    """

    hooks = LogDensityFamily.hooks | {"mean", "covariance", "kl", "cross_entropy"}
    parameters: ClassVar[dict[str, Constraint]] = {
        "dist": Given("a scipy.stats distribution or its name"),
        "fixed": Given("names of parameters held at their true values"),
    }

    def __init__(self, dist: Any, fixed: Sequence[str] = (), **params: float) -> None:
        from scipy import stats

        dist = _scipy_distribution(dist)
        self.dist = dist
        self.discrete = isinstance(dist, stats.rv_discrete)
        info = dist._shape_info()
        shapes = [s.name for s in info]
        self._shape_names = tuple(shapes)
        names = shapes + (["loc"] if self.discrete else ["loc", "scale"])
        for key, value in params.items():
            if key not in names:
                raise fail(
                    key, f"is not a parameter of {dist.name}, which takes {', '.join(names)}", value
                )
        fixed = _fixed_names(fixed)
        for item in fixed:
            if item not in names:
                raise fail(
                    "fixed", f"must name parameters of {dist.name}: {', '.join(names)}", item
                )
        for key in shapes:
            if key not in params:
                raise fail(key, f"needs a true value: {dist.name} takes {', '.join(names)}", None)
        domains: dict[str, _Domain] = {}
        for s in info:
            low, high = (float(v) for v in s.domain)
            if low == np.finfo(float).smallest_subnormal:
                low = 0.0
            low_in, high_in = (bool(i) for i in s.inclusive)
            domains[s.name] = _Domain(low, high, (low_in, high_in))
            if s.integrality and s.name not in fixed and not _real_valued(dist, s.name, params):
                raise fail(
                    s.name, f"is integer-valued in {dist.name}: list it in fixed", params[s.name]
                )
        domains["loc"] = _Domain(-math.inf, math.inf)
        defaults = {"loc": 0.0}
        if not self.discrete:
            domains["scale"] = _Domain(0.0, math.inf)
            defaults["scale"] = 1.0
        theta = {k: params[k] for k in shapes}
        held = set(fixed)
        for key, default in defaults.items():
            theta[key] = params.get(key, default)
            if key not in params:
                held.add(key)
        if self.discrete and "loc" not in held:
            raise fail(
                "loc", f"is an integer shift of {dist.name}: list it in fixed", params["loc"]
            )
        self._setup(
            self._scipy_logpdf,
            self._scipy_sampler,
            theta,
            domains,
            tuple(k for k in names if k in held),
            self.discrete,
            f"scipy:{dist.name}",
        )
        self._score = None
        lo, hi = dist.support(*(self.theta[k] for k in shapes), loc=self.theta["loc"])
        self.support = (float(lo), float(hi))
        self.min_sample_size = max(2, len(self.param_labels))
        #: The true parameters (``**params``), scipy's defaults included.
        self.params = dict(self.theta)

    def _where(self) -> str:
        return f" for scipy.stats {self.dist.name}"

    def _repr_name(self) -> str:
        return self.dist.name

    def _split(self, params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        shapes = [params[k] for k in self._shape_names]
        scale = {} if self.discrete else {"scale": params["scale"]}
        return shapes, {"loc": params["loc"], **scale}

    def _scipy_logpdf(self, x: np.ndarray, **params: Any) -> np.ndarray:
        shapes, kw = self._split(params)
        method = self.dist.logpmf if self.discrete else self.dist.logpdf
        return method(x, *shapes, **kw)

    def _scipy_sampler(self, rng: np.random.Generator, size: tuple, **params: Any) -> np.ndarray:
        shapes, kw = self._split(params)
        return self.dist.rvs(*shapes, **kw, size=size, random_state=rng)

    def _frozen_args(self, values: np.ndarray) -> tuple[list[Any], dict[str, Any]]:
        return self._split(self._kwargs(values))

    # -- information and the divergences: nodes under a parameter set -----------------------
    @property
    def information_method(self) -> str:
        return "summation" if self.discrete else "quadrature"

    def _nodes(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nodes ``(B, K)`` and weights ``(B, K)`` (summing to one) of the expectation under
        each parameter set (module docstring)."""
        from scipy.special import ndtr

        shapes, kw = self._frozen_args(values)
        if not self.discrete:
            z = _Z_NODES
            lower = np.minimum(ndtr(z), ndtr(-z))
            with np.errstate(all="ignore"):
                left = self.dist.ppf(lower[None, :], *shapes, **kw)
                right = self.dist.isf(lower[None, :], *shapes, **kw)
            x = np.where(z < 0, left, right)
            w = np.exp(-0.5 * z * z)
            w = np.broadcast_to(w / w.sum(), x.shape)
            return x, w
        with np.errstate(all="ignore"):
            lo = self.dist.support(*shapes, **kw)[0]
            hi = self.dist.isf(_TAIL_MASS, *shapes, **kw)
        lo = float(np.min(lo))
        hi = float(np.max(np.minimum(hi, lo + _MAX_SUPPORT)))
        x = np.broadcast_to(np.arange(lo, hi + 1.0), (values.shape[0], int(hi - lo) + 1))
        w = np.exp(self._log_density(x, values))
        return x, w / w.sum(axis=-1, keepdims=True)

    def _information(self, values: np.ndarray) -> np.ndarray:
        if self.discrete:
            return self._information_summation(values)
        b, p = values.shape
        out = np.empty((b, p, p))
        step = max(1, _INFO_ELEMENTS // (_Z_NODES.size * (p + 2)))
        for a in range(0, b, step):
            v = values[a : a + step]
            x, w = self._nodes(v)
            out[a : a + step] = self._weighted_information(x, w, v)
        return out

    def _moments(self, params: GenericParams) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(params.values, dtype=float)
        batch = values.shape[:-1]
        flat = values.reshape(-1, values.shape[-1])
        shapes, kw = self._frozen_args(flat)
        with np.errstate(all="ignore"):
            mean, var = self.dist.stats(*shapes, **kw, moments="mv")
        mean = np.where(np.isnan(mean), np.inf, np.asarray(mean, float)).reshape(batch)
        var = np.where(np.isnan(var), np.inf, np.asarray(var, float)).reshape(batch)
        return mean, var

    def mean(self, params: GenericParams) -> np.ndarray:
        """The distribution's mean (``inf`` where it does not exist)."""
        return self._moments(params)[0]

    def covariance(self, params: GenericParams) -> np.ndarray:
        """The distribution's variance (``inf`` where it does not exist)."""
        return self._moments(params)[1]

    def cross_entropy(self, truth: GenericParams, params: GenericParams) -> np.ndarray:
        """Population risk ``E_truth[-log f_params(X)]``, by the truth's quadrature or
        summation nodes; ``inf`` where the model misses part of the truth's support."""
        t = np.asarray(truth.values, dtype=float).reshape(1, -1)
        x, w = self._nodes(t)
        keep = w[0] > 0
        x, w = x[:, keep], w[:, keep]
        values = np.asarray(params.values, dtype=float)
        batch = values.shape[:-1]
        flat = values.reshape(-1, values.shape[-1])
        out = np.empty(flat.shape[0])
        step = max(1, _INFO_ELEMENTS // x.shape[1])
        for a in range(0, flat.shape[0], step):
            v = flat[a : a + step]
            logp = self._log_density(np.broadcast_to(x, (v.shape[0], x.shape[1])), v)
            with np.errstate(invalid="ignore"):
                out[a : a + step] = -(logp * w).sum(axis=-1)
        return np.where(np.isnan(out), np.inf, out).reshape(batch)

    def kl(self, truth: GenericParams, params: GenericParams) -> np.ndarray:
        """``KL(truth || model)`` as the cross-entropy minus the truth's (same nodes, so a fit
        equal to the truth gives 0 up to rounding); ``inf`` for a model missing support."""
        own = self.cross_entropy(truth, truth)
        return np.maximum(self.cross_entropy(truth, params) - own, 0.0)
