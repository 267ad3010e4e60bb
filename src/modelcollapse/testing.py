"""Conformance checks for families: is a model ready for the batched engines?

:func:`check_family` runs the project's family conformance suite on any object that follows the
:class:`~modelcollapse.families.base.Family` protocol, like scikit-learn's ``check_estimator``:
a user who writes a family from scratch verifies it in one call before trusting a simulation of
it. It returns ``None`` when the family passes and raises :class:`AssertionError` naming the
first failed check and the family otherwise.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from ._validation import check_int, fail
from .families.capabilities import capabilities_of, derived_capabilities
from .random import BLOCK_SIZE, ReplicationRandom

__all__ = ["check_family"]

#: Replications per random block in the family-level chunk check: small, so that a batch of a
#: few hundred replications spans many blocks and can be cut between them.
_CHECK_BLOCK = 16
#: Sample size of the check of the asymptotic covariance against the estimator's spread.
_COVARIANCE_N = 400
#: Fits compared after a change that is exact in arithmetic (pooling, splitting a source) agree
#: to this relative tolerance: iterative fits stop at their own tolerance, not at rounding.
_FIT_RTOL = 1e-7
#: Statistics drawn by the sample engine and reduced from the same points agree to rounding.
_STATS_RTOL = 1e-10
#: Monte Carlo standard errors allowed between ``n (theta_hat - theta)^2`` and ``V(theta)``.
_COVARIANCE_SE = 4.0


def check_family(
    family: Any,
    *,
    replications: int = 200,
    seed: int = 0,
    engines: Sequence[str] | None = None,
    workers: bool = True,
) -> None:
    """Check that ``family`` follows the family contract, as the built-in families do.

    The checks, in order (each failure names one of them):

    ``protocol``
        The protocol's attributes have sensible values: a ``name``, ``min_sample_size >= 1``,
        ``engines`` among ``modelcollapse.ENGINES`` with ``"sample"``, ``param_labels`` (one
        per parameter), and a JSON ``describe()`` naming the family.
    ``capabilities``
        The family's declared :class:`~modelcollapse.Capabilities` (its ``capabilities``
        record; derived from its methods for a family without one) agree with it: every
        declared hook is a method and every hook method is declared (an undeclared hook is
        never used), the declared engines are ``family.engines``, ``"asymptotic"`` among them
        exactly when ``asymptotic_covariance`` or ``fisher_information`` is declared,
        ``weight_by_information`` only with ``fisher_information``, and the attributes
        ``fixed_sample_size``, ``record_params``, ``weight_by_information``, where the family
        has them, equal the declared values.
    ``shapes``, per engine
        A draw from the truth and a fit give ``(R, p)`` finite parameters (finite wherever the
        ``converged`` hook, if any, says the fit converged); a record's ``count`` is its ``n``.
    ``flatten``
        ``flatten(unflatten(flat))`` returns ``flat`` exactly, with extra leading batch axes
        too; the truth flattens to ``(p,)`` and broadcasts to ``(R, p)``.
    ``seed``, per engine
        The same seed gives bit-identical draws and fits; another seed gives others.
    ``chunks``, per engine
        Two generations of draws and fits, computed for all replications at once and in two
        chunks cut between random blocks, are bit-identical: a replication never depends on
        which others share its batch.
    ``sample-engine``
        The ``sample`` engine gives the statistics that ``statistics`` computes from the points
        ``sample`` returns with the same random numbers (fields to ``1e-10``, except ``hints``;
        fits to ``1e-7``), and ``statistics`` leaves its input unchanged.
    ``pool``
        ``pool(statistics(a), statistics(b))`` fits the same as ``statistics`` of the
        concatenated data (to ``1e-7``), with ``count`` the sum of the counts.
    ``weights``
        The weighted fit weighs its sources: a zero weight drops a source, the order of the
        sources does not matter, a source repeated with its weight split between the copies
        gives the same fit, two copies of one source give its own fit, and the fit of two
        sources differs from either source's. (The repetitions are skipped for a family with a
        ``penalty`` other than ``"none"``, whose penalty is relative to the number of points.)
    ``covariance``, when the asymptotic engine is checked
        ``V(theta)`` (``asymptotic_covariance``, else the inverse ``fisher_information``) is a
        symmetric positive semi-definite ``(p, p)`` matrix; with both hooks they invert each
        other; and ``n (theta_hat - theta)^2`` of sample-engine fits at ``n = 400`` has mean
        ``diag V`` within four Monte Carlo standard errors, coordinate by coordinate.
    ``simulate-chunks``, per engine
        :func:`modelcollapse.simulate` (one generation, with fresh real data) records bit-identical
        parameters and metrics in one chunk and in chunks of one random block.
    ``workers``, unless ``workers=False``
        ``simulate`` with ``workers=2`` gives the same result as with one worker.

    Comparisons of fits use the flattened parameters; for a nonparametric family
    (``record_params = False``) they use its ``cdf`` at sampled points, else its ``mean`` and
    ``covariance`` hooks (and are skipped if it has none of them). A family with a
    ``fixed_sample_size`` is drawn at that size only.

    Parameters
    ----------
    family : Family
        An instance of the family to check.
    replications : int
        Replications ``R`` per check (at least 20). The covariance check uses ``5 R`` (at most
        ``+-18%`` relative error at the default), the checks through ``simulate`` use
        ``R + 1024`` (more than one random block, so that chunks and workers split them).
    seed : int
        Root seed of every draw: a family that passes passes for every seed up to the Monte
        Carlo tolerance of the covariance check.
    engines : sequence of str, optional
        The engines whose draws are checked (default: all of ``family.engines``). The checks of
        the statistics (``sample-engine``, ``pool``, ``weights``) always run.
    workers : bool
        Whether to run ``simulate`` with two worker processes (a few seconds to start them).
        Worker processes need a family they can import: one defined in a module (and, in a
        script, called under ``if __name__ == "__main__":``), not in an interactive session.

    Raises
    ------
    AssertionError
        ``"check_family(NAME): CHECK: what went wrong"`` for the first failed check; an
        exception raised by the family's own code during a check is reported the same way.
    InvalidArgumentError
        ``family`` is not a family (it lacks a member of the protocol, or is a class rather
        than an instance), or an argument is out of range.

    Examples
    --------
    A family written from scratch: the Rayleigh law with ``x^2 ~ 2 s2 Exp(1)``, whose maximum
    likelihood estimate ``sum x^2 / (2n)`` needs only the count and the sum of squares. Each
    source's estimate counts with its weight; the asymptotic engine needs ``V(s2) = s2^2`` and a
    ``project`` that keeps ``s2`` non-negative.

    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> from modelcollapse.testing import check_family
    >>> @dataclass(frozen=True)
    ... class RayleighStats:
    ...     count: int
    ...     squares: np.ndarray  # sum of x^2 per replication, shape (R,)
    >>> @dataclass(frozen=True)
    ... class RayleighParams:
    ...     s2: np.ndarray  # shape (R,), or () for the truth
    >>> class Rayleigh:
    ...     name = "rayleigh"
    ...     min_sample_size = 1
    ...     engines = ("sample", "asymptotic")
    ...     param_labels = ("s2",)
    ...
    ...     def __init__(self, s2=1.0):
    ...         self.s2 = float(s2)
    ...
    ...     def describe(self):
    ...         return {"family": self.name, "s2": self.s2}
    ...
    ...     def truth(self):
    ...         return RayleighParams(np.asarray(self.s2))
    ...
    ...     def broadcast(self, params, size):
    ...         return RayleighParams(np.broadcast_to(params.s2, (size,)).copy())
    ...
    ...     def sample(self, params, n, rng):  # rng draws block by block: (R, n)
    ...         return np.sqrt(2.0 * params.s2[:, None] * rng.standard_exponential((n,)))
    ...
    ...     def statistics(self, data):
    ...         data = np.asarray(data, dtype=float)
    ...         return RayleighStats(data.shape[1], np.sum(data * data, axis=1))
    ...
    ...     def draw(self, params, n, rng, engine):  # the sample engine only
    ...         return self.statistics(self.sample(params, n, rng))
    ...
    ...     def pool(self, a, b):
    ...         return RayleighStats(a.count + b.count, a.squares + b.squares)
    ...
    ...     def fit(self, sources, weights):
    ...         parts = [w * s.squares / (2 * s.count) for s, w in zip(sources, weights) if w > 0]
    ...         return RayleighParams(sum(parts))
    ...
    ...     def flatten(self, params):
    ...         return np.asarray(params.s2, dtype=float)[..., None]
    ...
    ...     def unflatten(self, flat):
    ...         return RayleighParams(np.asarray(flat, dtype=float)[..., 0])
    ...
    ...     def asymptotic_covariance(self, params):
    ...         return np.asarray(params.s2, dtype=float)[..., None, None] ** 2
    ...
    ...     def project(self, params):
    ...         return RayleighParams(np.maximum(params.s2, 0.0))
    >>> check_family(Rayleigh(s2=2.0), workers=False)  # passes: returns None

    (``workers=False`` here because worker processes cannot import a class defined in an
    interactive session.) A family with a bug fails with the check that found it:

    >>> class ForgetfulRayleigh(Rayleigh):
    ...     def pool(self, a, b):
    ...         return a  # drops the second sample
    >>> check_family(ForgetfulRayleigh(), workers=False)
    Traceback (most recent call last):
    ...
    AssertionError: check_family(rayleigh): pool: the count of pooled statistics is 9, ...
    """
    from ._validation import FitFailureWarning

    checker = _Checker(family, replications, seed, engines, workers)
    with warnings.catch_warnings():  # its small runs may fail to fit: not the user's runs
        warnings.simplefilter("ignore", FitFailureWarning)
        checker.run()


class _Checker:
    """One run of :func:`check_family` (see there)."""

    def __init__(
        self, family: Any, replications: Any, seed: Any, engines: Any, workers: Any
    ) -> None:
        _check_members(family)
        self.family = family
        self.R = check_int("replications", replications, minimum=20)
        self.seed = check_int("seed", seed, minimum=0)
        if not isinstance(workers, (bool, np.bool_)):
            raise fail("workers", "must be True or False", workers)
        self.workers = bool(workers)
        self.engines = self.select_engines(engines)
        self.label = f"check_family({getattr(family, 'name', type(family).__name__)})"

    # -- reporting ---------------------------------------------------------------------------
    def fail(self, check: str, problem: str) -> AssertionError:
        return AssertionError(f"{self.label}: {check}: {problem}")

    def guarded(self, check: str, step: Callable[[], None]) -> None:
        """Run ``step``; an exception from the family's code fails ``check`` with its text."""
        try:
            step()
        except AssertionError:
            raise
        except Exception as err:
            text = " ".join(str(err).split())
            text = text if len(text) <= 300 else text[:297] + "..."
            raise self.fail(check, f"raised {type(err).__name__}: {text}") from err

    # -- helpers -----------------------------------------------------------------------------
    def rng(self, key: int, size: int, first: int = 0, block: int = BLOCK_SIZE) -> Any:
        root = np.random.SeedSequence([self.seed, key])
        return ReplicationRandom(root, first, size, block_size=block)

    def n(self, n: int) -> int:
        """``n`` (at least the family's smallest sample size), or its fixed sample size."""
        fixed = self.caps.fixed_sample_size
        return int(fixed) if fixed is not None else max(int(n), int(self.family.min_sample_size))

    def truth(self, size: int) -> Any:
        return self.family.broadcast(self.family.truth(), size)

    def flat(self, params: Any) -> np.ndarray:
        return np.asarray(self.family.flatten(params), dtype=float)

    def summary(self, params: Any) -> np.ndarray | None:
        """What two fits are compared by (see :func:`check_family`); None: not comparable."""
        family = self.family
        if self.parametric:
            return self.flat(params)
        if self.caps.offers("cdf"):
            return np.asarray(family.cdf(params, self.probe), dtype=float)
        hooks = [getattr(family, h) for h in ("mean", "covariance") if self.caps.offers(h)]
        if not hooks:
            return None
        values = [np.asarray(h(params), dtype=float).reshape(self.R, -1) for h in hooks]
        return np.concatenate(values, axis=-1)

    def compare(self, check: str, what: str, got: Any, expected: Any, rtol: float) -> None:
        """Fail ``check`` with ``what`` unless ``got`` equals ``expected`` to ``rtol``."""
        gap = _gap(got, expected, rtol)
        if gap is not None:
            raise self.fail(check, f"{what} ({gap})")

    def compare_fits(self, check: str, what: str, got: Any, expected: Any) -> None:
        a, b = self.summary(got), self.summary(expected)
        if a is not None:
            self.compare(check, what, a, b, _FIT_RTOL)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> None:
        self.guarded("protocol", self.check_protocol)
        self.guarded("capabilities", self.check_capabilities)
        self.parametric = self.caps.record_params
        self.probe = None
        if not self.parametric and self.caps.offers("cdf"):
            self.guarded("sample-engine", self.make_probe)
        for engine in self.engines:
            where = f" ({engine} engine)"
            self.guarded("shapes" + where, partial(self.check_shapes, engine))
            if engine == self.engines[0]:
                self.guarded("flatten", self.check_flatten)
            self.guarded("seed" + where, partial(self.check_seed, engine))
            self.guarded("chunks" + where, partial(self.check_chunks, engine))
        self.guarded("sample-engine", self.check_sample_engine)
        self.guarded("pool", self.check_pool)
        self.guarded("weights", self.check_weights)
        if "asymptotic" in self.engines:
            self.guarded("covariance", self.check_covariance)
        self.runs: dict[str, Any] = {}
        for engine in self.engines:
            check = f"simulate-chunks ({engine} engine)"
            self.guarded(check, partial(self.check_simulate_chunks, engine))
        if self.workers:
            self.guarded("workers", self.check_workers)

    def check_protocol(self) -> None:
        from .engine import ENGINES

        family, check = self.family, "protocol"
        name = family.name
        if not isinstance(name, str) or not name:
            raise self.fail(check, f"name must be a non-empty string, not {name!r}")
        size = family.min_sample_size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise self.fail(check, f"min_sample_size must be an integer >= 1, not {size!r}")
        engines = family.engines
        if not isinstance(engines, tuple) or "sample" not in engines:
            raise self.fail(check, f"engines must be a tuple with 'sample', not {engines!r}")
        unknown = [e for e in engines if e not in ENGINES]
        if unknown:
            raise self.fail(check, f"engines {unknown} are not among {', '.join(ENGINES)}")
        labels = family.param_labels
        if not isinstance(labels, tuple) or not all(isinstance(x, str) for x in labels):
            raise self.fail(check, f"param_labels must be a tuple of strings, not {labels!r}")
        if len(set(labels)) != len(labels):
            raise self.fail(check, f"param_labels must be distinct (got {labels!r})")
        desc = family.describe()
        if not isinstance(desc, dict) or desc.get("family") != name:
            raise self.fail(check, f"describe() must be a dict with family={name!r}")
        try:
            json.dumps(desc)
        except (TypeError, ValueError) as err:
            raise self.fail(check, f"describe() must be JSON-serialisable ({err})") from None

    def check_capabilities(self) -> None:
        """The declared capabilities agree with the family: each declared hook is a method,
        each hook method is declared, the engines are the family's, the asymptotic engine is
        declared exactly with its hooks."""
        family, check = self.family, "capabilities"
        self.caps = caps = capabilities_of(family)
        found = derived_capabilities(family)
        missing = sorted(caps.hooks - found.hooks)
        if missing:
            raise self.fail(check, f"declares {', '.join(missing)} but has no such method")
        undeclared = sorted(found.hooks - caps.hooks)
        if undeclared:
            raise self.fail(
                check,
                f"has {', '.join(undeclared)} but does not declare it in its capabilities "
                "(an undeclared hook is never used)",
            )
        if caps.engines != tuple(family.engines):
            raise self.fail(
                check, f"declares engines {caps.engines} but family.engines is {family.engines}"
            )
        if ("asymptotic" in caps.engines) != caps.asymptotic:
            raise self.fail(
                check,
                "the asymptotic engine must be declared exactly when asymptotic_covariance or "
                "fisher_information is",
            )
        if caps.record_params and not family.param_labels:
            raise self.fail(
                check, "param_labels is empty: a nonparametric family sets record_params = False"
            )
        if caps.weight_by_information and not caps.offers("fisher_information"):
            raise self.fail(check, "weight_by_information needs fisher_information")
        for name in ("fixed_sample_size", "record_params", "weight_by_information"):
            attribute = inspect.getattr_static(family, name, None)
            if attribute is not None and getattr(found, name) != getattr(caps, name):
                raise self.fail(
                    check,
                    f"declares {name}={getattr(caps, name)!r} but the family's {name} is "
                    f"{getattr(found, name)!r}",
                )

    def select_engines(self, engines: Any) -> tuple[str, ...]:
        offered = self.family.engines
        if engines is None or not isinstance(offered, tuple):  # (the protocol check tells)
            return tuple(offered) if isinstance(offered, tuple) else ("sample",)
        try:
            chosen = (engines,) if isinstance(engines, str) else tuple(engines)
        except TypeError:
            chosen = ()
        if not chosen or any(e not in offered for e in chosen):
            raise fail(
                "engines", f"must be among the family's engines {', '.join(offered)}", engines
            )
        return tuple(dict.fromkeys(chosen))

    def make_probe(self) -> None:
        self.probe = self.family.sample(self.truth(self.R), 40, self.rng(8, self.R))

    def stepper(self, engine: str) -> Any:
        from .families.asymptotic import AsymptoticFamily

        return AsymptoticFamily(self.family) if engine == "asymptotic" else self.family

    def recursion(self, engine: str, key: int, first: int, size: int) -> list[Any]:
        """Two generations drawn and fitted by hand, for replications ``first .. first+size-1``
        of a run with blocks of :data:`_CHECK_BLOCK`: ``[stats0, fit0, stats1, fit1]``."""
        stepper = self.stepper(engine)
        rng = self.rng(key, size, first, _CHECK_BLOCK)
        s0 = stepper.draw(self.truth(size), self.n(12), rng, engine)
        f0 = stepper.fit([s0], [1.0])
        s1 = stepper.draw(f0, self.n(9), rng, engine)
        return [s0, f0, s1, stepper.fit([s1], [1.0])]

    # -- draws, engine by engine ----------------------------------------------------------------
    def check_shapes(self, engine: str) -> None:
        check = f"shapes ({engine} engine)"
        s0, f0, s1, f1 = self.recursion(engine, 1, 0, self.R)
        for stats, n, fit in ((s0, self.n(12), f0), (s1, self.n(9), f1)):
            count = getattr(stats, "count", n)
            if count != n:
                raise self.fail(check, f"a draw of n={n} points has count {count}")
            flat = self.flat(fit)
            p = len(self.family.param_labels)
            expected = f"({self.R}, {p})" if self.parametric else f"({self.R}, k)"
            if (
                flat.ndim != 2
                or flat.shape[0] != self.R
                or (self.parametric and flat.shape[1] != p)
            ):
                raise self.fail(check, f"flatten of a fit has shape {flat.shape}, not {expected}")
            ok = np.ones(self.R, dtype=bool)
            if self.caps.offers("converged"):
                ok = np.broadcast_to(np.asarray(self.family.converged(fit), dtype=bool), ok.shape)
            bad = ~np.all(np.isfinite(flat), axis=-1) & ok
            if np.any(bad):
                row = int(np.argmax(bad))
                raise self.fail(
                    check, f"a fit has non-finite parameters (replication {row}: {flat[row]})"
                )

    def check_flatten(self) -> None:
        check, family, R = "flatten", self.family, self.R
        _, fit, _, _ = self.recursion(self.engines[0], 1, 0, R)
        flat = self.flat(fit)
        back = self.flat(family.unflatten(flat))
        if back.shape != flat.shape or not np.array_equal(back, flat, equal_nan=True):
            raise self.fail(
                check, f"flatten(unflatten(flat)) differs from flat ({_gap(back, flat, 0.0)})"
            )
        if not self.parametric:
            return
        p = len(family.param_labels)
        half = flat[: 2 * (R // 2)].reshape(2, R // 2, p)
        back = self.flat(family.unflatten(half))
        if back.shape != half.shape or not np.array_equal(back, half, equal_nan=True):
            raise self.fail(
                check,
                f"flatten(unflatten(flat)) of flat with extra batch axes {half.shape} gives "
                f"shape {back.shape} ({_gap(back, half, 0.0)})",
            )
        truth = self.flat(family.truth())
        if truth.shape != (p,):
            raise self.fail(check, f"the truth flattens to shape {truth.shape}, not ({p},)")
        broadcast = self.flat(self.truth(3))
        if broadcast.shape != (3, p) or not np.array_equal(broadcast, np.tile(truth, (3, 1))):
            raise self.fail(
                check,
                f"broadcast(truth, 3) flattens to {broadcast.tolist()}, not three copies of "
                f"the truth {truth.tolist()}",
            )

    def check_seed(self, engine: str) -> None:
        check = f"seed ({engine} engine)"
        a, b, c = (self.recursion(engine, key, 0, self.R) for key in (2, 2, 3))
        for j in (1, 3):
            first, again, other = self.flat(a[j]), self.flat(b[j]), self.flat(c[j])
            if first.shape != again.shape or not np.array_equal(first, again, equal_nan=True):
                raise self.fail(
                    check,
                    f"the same seed gives different fits at generation {j // 2} "
                    f"({_gap(again, first, 0.0)}): draw only through its rng",
                )
            if first.shape == other.shape and np.array_equal(first, other, equal_nan=True):
                raise self.fail(
                    check,
                    f"another seed gives the same fits at generation {j // 2}: draw "
                    "through its rng",
                )

    def check_chunks(self, engine: str) -> None:
        check = f"chunks ({engine} engine)"
        R = self.R
        cut = _CHECK_BLOCK * max(1, round(R / (2 * _CHECK_BLOCK)))
        whole = self.recursion(engine, 4, 0, R)
        head = self.recursion(engine, 4, 0, cut)
        tail = self.recursion(engine, 4, cut, R - cut)
        for j in (1, 3):
            one = self.flat(whole[j])
            parts = [self.flat(head[j]), self.flat(tail[j])]
            if parts[0].shape[1:] != parts[1].shape[1:]:
                raise self.fail(check, "fits of two chunks flatten to different widths")
            joined = np.concatenate(parts, axis=0)
            if joined.shape != one.shape or not np.array_equal(joined, one, equal_nan=True):
                differ = ~np.all((joined == one) | (np.isnan(joined) & np.isnan(one)), axis=-1)
                raise self.fail(
                    check,
                    f"replications computed in two chunks (0..{cut - 1} and {cut}..{R - 1}) "
                    f"differ from the same replications in one batch of {R} at generation {j // 2} "
                    f"(first at replication {int(np.argmax(differ))}; "
                    f"{_gap(joined, one, 0.0)}): every replication must draw only through "
                    "its own block of the rng and be fitted on its own",
                )

    # -- statistics ------------------------------------------------------------------------
    def check_sample_engine(self) -> None:
        check, family, R = "sample-engine", self.family, self.R
        n = self.n(30)
        truth = self.truth(R)
        drawn = family.draw(truth, n, self.rng(7, R), "sample")
        data = family.sample(truth, n, self.rng(7, R))
        shape = np.shape(data)
        if len(shape) < 2 or shape[:2] != (R, n):
            raise self.fail(
                check, f"sample(params, {n}, rng) has shape {shape}, not ({R}, {n}, ...)"
            )
        kept = np.array(data, copy=True)
        reduced = family.statistics(data)
        if not np.array_equal(np.asarray(data), kept):
            raise self.fail(check, "statistics(data) modified the caller's data")
        got, expected = _fields(drawn), _fields(reduced)
        if got is not None and expected is not None and type(drawn) is type(reduced):
            for name, value in expected.items():
                self.compare(
                    check,
                    f"field {name!r} of the sample engine's draw differs from statistics of "
                    "the points sample() returns with the same random numbers",
                    got[name],
                    value,
                    _STATS_RTOL,
                )
        self.compare_fits(
            check,
            "the fit of the sample engine's draw differs from the fit of statistics of the "
            "points sample() returns with the same random numbers",
            family.fit([drawn], [1.0]),
            family.fit([reduced], [1.0]),
        )

    def check_pool(self) -> None:
        check, family, R = "pool", self.family, self.R
        na, nb = self.n(9), self.n(4)
        truth = self.truth(R)
        a = family.sample(truth, na, self.rng(11, R))
        b = family.sample(truth, nb, self.rng(12, R))
        pooled = family.pool(family.statistics(a), family.statistics(b))
        union = family.statistics(np.concatenate([a, b], axis=1))
        for record, what in ((pooled, "pooled statistics"), (union, "statistics of the union")):
            count = getattr(record, "count", na + nb)
            if count != na + nb:
                raise self.fail(
                    check, f"the count of {what} is {count}, not {na + nb} = {na} + {nb}"
                )
        self.compare_fits(
            check,
            "the fit of pool(statistics(a), statistics(b)) differs from the fit of "
            "statistics(concatenate(a, b))",
            family.fit([pooled], [1.0]),
            family.fit([union], [1.0]),
        )

    def check_weights(self) -> None:
        check, family, R = "weights", self.family, self.R
        truth = self.truth(R)
        a = family.draw(truth, self.n(10), self.rng(5, R), "sample")
        b = family.draw(truth, self.n(40), self.rng(6, R), "sample")
        w = 0.3
        fit = family.fit([a, b], [w, 1 - w])
        self.compare_fits(
            check,
            "fit([a, b], [1, 0]) differs from fit([a], [1]): a zero weight must drop its source",
            family.fit([a, b], [1.0, 0.0]),
            family.fit([a], [1.0]),
        )
        self.compare_fits(
            check,
            "fit([b, a], [0.7, 0.3]) differs from fit([a, b], [0.3, 0.7]): the order of the "
            "sources must not matter",
            family.fit([b, a], [1 - w, w]),
            fit,
        )
        if family.describe().get("penalty", "none") == "none":
            self.compare_fits(
                check,
                "fit([a, b, b], [0.3, 0.35, 0.35]) differs from fit([a, b], [0.3, 0.7]): a "
                "source repeated with its weight split must give the same fit",
                family.fit([a, b, b], [w, (1 - w) / 2, (1 - w) / 2]),
                fit,
            )
            self.compare_fits(
                check,
                "fit([a, a], [0.3, 0.7]) differs from fit([a], [1]): two copies of a source "
                "must give its own fit",
                family.fit([a, a], [w, 1 - w]),
                family.fit([a], [1.0]),
            )
        mixed = self.summary(fit)
        if mixed is None:
            return
        for source, label in ((a, "a"), (b, "b")):
            alone = self.summary(family.fit([source], [1.0]))
            if _gap(mixed, alone, _FIT_RTOL) is None:
                raise self.fail(
                    check,
                    f"fit([a, b], [0.3, 0.7]) equals fit([{label}], [1]): the fit ignores its "
                    "weights or a source",
                )

    # -- the asymptotic engine's hooks --------------------------------------------------------
    def check_covariance(self) -> None:
        from .families.asymptotic import AsymptoticFamily

        check, family = "covariance", self.family
        p = len(family.param_labels)
        wrapped = AsymptoticFamily(family)
        cov = wrapped.asymptotic_covariance(self.truth(3))
        if cov.shape != (3, p, p):
            raise self.fail(
                check, f"V(theta) of 3 replications has shape {cov.shape}, not (3, {p}, {p})"
            )
        if not np.all(np.isfinite(cov)):
            raise self.fail(check, f"V(truth) is not finite: {cov[0].tolist()}")
        scale = max(1.0, float(np.abs(cov).max()))
        asym = float(np.abs(cov - np.swapaxes(cov, -1, -2)).max())
        if asym > 1e-10 * scale:
            raise self.fail(check, f"V(truth) is not symmetric (max asymmetry {asym:.3g})")
        low = float(np.linalg.eigvalsh(cov).min())
        if low < -1e-10 * scale:
            raise self.fail(check, f"V(truth) is not positive semi-definite (eigenvalue {low:.3g})")
        # The estimator's spread at n = 400 (real data: V at the truth, a sandwich where the
        # family's real data are misspecified).
        r, n = 5 * self.R, self.n(_COVARIANCE_N)
        truth = self.truth(r)
        fits = family.fit([family.draw(truth, n, self.rng(21, r), "sample")], [1.0])
        if self.caps.offers("fisher_information") and self.caps.offers("asymptotic_covariance"):
            self.check_inverse(fits)
        flat = self.flat(fits)
        finite = np.all(np.isfinite(flat), axis=-1)
        if finite.sum() < r / 2:
            raise self.fail(check, f"fewer than half of {r} fits at n={n} are finite")
        v = np.diagonal(wrapped.asymptotic_covariance(family.truth()))
        scaled = n * (flat[finite] - self.flat(family.truth())) ** 2
        mean = scaled.mean(axis=0)
        se = scaled.std(axis=0, ddof=1) / np.sqrt(scaled.shape[0])
        bad = np.abs(mean - v) > _COVARIANCE_SE * se
        if np.any(bad):
            j = int(np.argmax(bad))
            raise self.fail(
                check,
                f"n (theta_hat - theta)^2 of {family.param_labels[j]} has mean {mean[j]:.4g} "
                f"+- {se[j]:.2g} over {scaled.shape[0]} fits at n={n}, but V(theta) gives "
                f"{v[j]:.4g}: the asymptotic covariance is not the estimator's",
            )

    def check_inverse(self, fits: Any) -> None:
        """With both hooks, ``V I = 1`` at the truth (unless its data are misspecified, where
        ``V`` is a sandwich) and at fitted models."""
        family = self.family
        where = [("fitted models", _take(family, fits, 3))]
        if not self.caps.real_data_misspecified:
            where.insert(0, ("the truth", self.truth(3)))
        p = len(family.param_labels)
        for label, params in where:
            cov = np.asarray(family.asymptotic_covariance(params), dtype=float)
            info = np.asarray(family.fisher_information(params), dtype=float)
            product = cov @ info
            ok = np.all(np.isfinite(product), axis=(-2, -1))
            err = np.abs(product[ok] - np.eye(p))
            if err.size and float(err.max()) > 1e-8:
                raise self.fail(
                    "covariance",
                    f"asymptotic_covariance times fisher_information at {label} is not the "
                    f"identity (max error {float(err.max()):.3g})",
                )

    # -- through simulate ------------------------------------------------------------------------
    def simulate_args(self) -> dict[str, Any]:
        fixed = self.caps.fixed_sample_size
        if fixed is not None:
            sizes: dict[str, Any] = {"n0": fixed, "schedule": fixed, "n_real": fixed}
        else:
            m = self.n(6)
            sizes = {"n0": m, "schedule": m + 3, "n_real": m}
        return {**sizes, "generations": 1, "replications": self.R + BLOCK_SIZE, "seed": self.seed}

    def check_simulate_chunks(self, engine: str) -> None:
        from .engine import simulate

        args = self.simulate_args()
        one = simulate(self.family, engine=engine, **args)
        self.runs[engine] = one
        chunked = simulate(self.family, engine=engine, chunk_size=BLOCK_SIZE, **args)
        self.same_run(f"simulate-chunks ({engine} engine)", "chunk_size=1024", chunked, one)

    def check_workers(self) -> None:
        from .engine import simulate

        engine = self.engines[0]
        one = self.runs[engine]
        try:
            two = simulate(self.family, engine=engine, workers=2, **self.simulate_args())
        except Exception as err:
            text = " ".join(str(err).split())
            raise self.fail(
                "workers",
                f"simulate with workers=2 failed ({type(err).__name__}: {text}); worker "
                "processes import the family: define it in a module (in a script, call "
                "check_family under if __name__ == '__main__':), or pass workers=False to skip "
                "this check",
            ) from err
        self.same_run("workers", "workers=2", two, one)

    def same_run(self, check: str, how: str, got: Any, expected: Any) -> None:
        """Fail ``check`` unless two simulation results are bit-identical."""
        if (expected.flat_params is None) != (not self.parametric):
            raise self.fail(
                check, "simulate records parameters exactly when record_params is not False"
            )
        pairs = [("recorded parameters", got.flat_params, expected.flat_params)]
        pairs += [(f"metric {m!r}", got.metrics[m], expected.metrics[m]) for m in expected.metrics]
        for what, a, b in pairs:
            if a is None:
                continue
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
                raise self.fail(
                    check, f"{what} with {how} differ from one chunk and worker ({_gap(a, b, 0.0)})"
                )


def _check_members(family: Any) -> None:
    """An :class:`InvalidArgumentError` unless ``family`` is an instance with every member of
    the protocol (looked up without evaluating properties)."""
    from .families.base import Family

    if isinstance(family, type):
        raise fail("family", "must be an instance of a family, not the class itself", family)
    members = (*Family.__annotations__, *(m for m in vars(Family) if not m.startswith("_")))
    missing = object()
    lacking = [m for m in members if inspect.getattr_static(family, m, missing) is missing]
    if lacking:
        raise fail(
            "family",
            f"is not a family: it lacks {', '.join(lacking)} of the Family protocol",
            family,
        )


def _fields(record: Any) -> dict[str, Any] | None:
    """The array fields of a dataclass record, without its ``hints``; None for other records."""
    if not dataclasses.is_dataclass(record):
        return None
    hints = getattr(type(record), "hints", ())
    out = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name not in hints and isinstance(value, (np.ndarray, int, float, np.number)):
            out[f.name] = value
    return out


def _take(family: Any, params: Any, k: int) -> Any:
    """The first ``k`` replications of ``params`` (through the flattened form)."""
    flat = np.asarray(family.flatten(params), dtype=float)
    return family.unflatten(flat[:k])


def _gap(got: Any, expected: Any, rtol: float) -> str | None:
    """None where ``got`` equals ``expected`` to ``rtol`` (NaN equal to NaN; absolute
    tolerance ``rtol`` times the largest ``|expected|``, at least 1e-300), else a short account
    of the largest difference."""
    a = np.asarray(got, dtype=float)
    b = np.asarray(expected, dtype=float)
    if a.shape != b.shape:
        return f"shape {a.shape} against {b.shape}"
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(a - b))
    diff = np.where(np.isnan(diff), np.inf, diff)
    finite = np.abs(b[np.isfinite(b)])
    atol = rtol * (float(finite.max()) if finite.size else 0.0)
    allowed = atol + rtol * np.abs(np.where(np.isfinite(b), b, 0.0))
    excess = diff > allowed
    if not np.any(excess):
        return None
    return f"max abs diff {float(diff.max()):.3g}"
