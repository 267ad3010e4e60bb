"""What a family offers beyond the protocol, declared in one frozen record.

The :class:`~modelcollapse.families.base.Family` protocol is what every family has. Everything
optional (the engines beyond ``sample``, the hooks the metrics read, shrinkage, subsampling, a
fixed sample size, ...) is *declared* in a :class:`Capabilities` record, and the engine, the
metrics, the results and the asymptotic wrapper read that record; none of them asks whether a
method happens to exist. :func:`modelcollapse.testing.check_family` checks that the record and
the methods agree: every declared hook is a method, every hook method is declared.

A family declares its record as a ``capabilities`` attribute (or property). The built-in
families build theirs from class attributes (:class:`~modelcollapse.families._common.DataFamily`:
``engines``, ``hooks``, ``fixed_sample_size``, ...). A family written against the protocol
before the record existed, with no ``capabilities``, gets one derived once from its methods and
attributes by :func:`capabilities_of`, the one place that looks.

=========================  ==========================================================
hook                       used by
=========================  ==========================================================
``mean``, ``covariance``,  the metrics (:mod:`modelcollapse.metrics`: a metric is
``scale``, ``kl``,         offered exactly when its hook is declared)
``cross_entropy``,
``probabilities``,
``coefficients``,
``converged``,
``cdf_error``
``asymptotic_covariance``  the asymptotic engine (:mod:`~modelcollapse.families.asymptotic`)
``fisher_information``     the asymptotic engine (when the covariance is missing), theory
``project``                the asymptotic engine: an estimate mapped into the domain
``shrink``                 ``simulate(shrinkage=...)``
``subsample``              the ``accumulate-subsample`` regime
``check_precision``        ``simulate``: whether float64 carries the run's sample sizes
``memory_model``           ``simulate``'s memory estimate
``cdf``                    :func:`~modelcollapse.testing.check_family` (nonparametric fits)
=========================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = [
    "ASYMPTOTIC_HOOKS",
    "ENGINE_NAMES",
    "HOOKS",
    "METRIC_HOOKS",
    "Capabilities",
    "capabilities_of",
]

#: Engine names (also :data:`modelcollapse.ENGINES`): the three of every family, then the text
#: engines of the n-gram language model (:mod:`modelcollapse.lm`).
ENGINE_NAMES = ("exact", "sample", "asymptotic", "sequence", "counts")
#: Hooks the metrics read.
METRIC_HOOKS = (
    "mean",
    "covariance",
    "scale",
    "kl",
    "cross_entropy",
    "probabilities",
    "coefficients",
    "converged",
    "cdf_error",
    "distinct_ngrams",
    "vocabulary",
    "lost_mass",
    "perplexity",
    "context_error",
)
#: Hooks of the asymptotic engine.
ASYMPTOTIC_HOOKS = ("asymptotic_covariance", "fisher_information", "project")
#: Every optional hook, in the order of the module's table.
HOOKS = (
    *METRIC_HOOKS,
    *ASYMPTOTIC_HOOKS,
    "shrink",
    "subsample",
    "check_precision",
    "memory_model",
    "cdf",
)
#: Attributes a family without a record may set (read by :func:`capabilities_of` only).
_ATTRIBUTES = {
    "fixed_sample_size": None,
    "record_params": True,
    "weight_by_information": False,
    "real_data_misspecified": False,
    "holds_points": False,
}


@dataclass(frozen=True, repr=False)
class Capabilities:
    """A family's declared optional capabilities (see the module docstring).

    Parameters
    ----------
    engines : tuple of str
        The engines the family supports, in order of preference (``simulate``'s default is
        the first): among ``"exact"``, ``"sample"``, ``"asymptotic"``, and the text engines
        ``"sequence"`` and ``"counts"`` of :class:`~modelcollapse.lm.NGramModel`.
    hooks : iterable of str
        The optional methods the family offers, among :data:`HOOKS`.
    fixed_sample_size : int, optional
        The only sample size the family accepts (the rows of a fixed design).
    record_params : bool
        False for a large state (the atoms of an empirical distribution): the recorder keeps
        metrics only.
    weight_by_information : bool
        The asymptotic engine averages estimates weighted by their information (needs
        ``fisher_information``).
    real_data_misspecified : bool
        The truth's data are a real table, not draws from the model: ``asymptotic_covariance``
        at the truth is a sandwich, not the inverse information.
    holds_points : bool
        The statistics are the data points (memory grows with the training set).
    point_size : int
        Random numbers drawn per data point (sizes the sample engine's pieces).

    Examples
    --------
    >>> import modelcollapse as mc
    >>> caps = mc.capabilities_of(mc.Gaussian())
    >>> caps.engines, caps.shrink, caps.subsample
    (('exact', 'sample', 'asymptotic'), True, False)
    >>> "kl" in caps.hooks
    True
    """

    engines: tuple[str, ...]
    hooks: frozenset[str] = field(default_factory=frozenset)
    fixed_sample_size: int | None = None
    record_params: bool = True
    weight_by_information: bool = False
    real_data_misspecified: bool = False
    holds_points: bool = False
    point_size: int = 1

    def __post_init__(self) -> None:
        engines = tuple(self.engines)
        unknown = [e for e in engines if e not in ENGINE_NAMES]
        if not engines or unknown or len(set(engines)) != len(engines):
            raise ValueError(
                f"Capabilities: engines must be distinct names among {', '.join(ENGINE_NAMES)} "
                f"(got {self.engines!r})"
            )
        hooks = frozenset(self.hooks)
        strange = sorted(h for h in hooks if h not in HOOKS)
        if strange:
            raise ValueError(f"Capabilities: unknown hooks {strange}; hooks are {', '.join(HOOKS)}")
        object.__setattr__(self, "engines", engines)
        object.__setattr__(self, "hooks", hooks)
        object.__setattr__(self, "point_size", max(1, int(self.point_size)))

    def __repr__(self) -> str:
        hooks = [h for h in HOOKS if h in self.hooks]
        rest = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name not in ("engines", "hooks") and getattr(self, f.name) != f.default
        )
        return (
            f"Capabilities(engines={self.engines!r}, hooks={hooks!r}{', ' if rest else ''}{rest})"
        )

    @property
    def shrink(self) -> bool:
        """Whether the family offers ``shrink`` (``simulate(shrinkage=...)``)."""
        return "shrink" in self.hooks

    @property
    def subsample(self) -> bool:
        """Whether the family offers ``subsample`` (the ``accumulate-subsample`` regime)."""
        return "subsample" in self.hooks

    @property
    def asymptotic(self) -> bool:
        """Whether the family has a hook the asymptotic engine can use (``V`` or ``I``)."""
        return bool(self.hooks & {"asymptotic_covariance", "fisher_information"})

    def offers(self, hook: str) -> bool:
        """Whether ``hook`` is declared."""
        return hook in self.hooks

    def without(self, engines: Iterable[str] = (), hooks: Iterable[str] = ()) -> Capabilities:
        """The record with ``engines`` and ``hooks`` removed (what a wrapper does not pass on)."""
        drop_e, drop_h = set(engines), set(hooks)
        return replace(
            self,
            engines=tuple(e for e in self.engines if e not in drop_e),
            hooks=self.hooks - drop_h,
        )


def capabilities_of(family: Any) -> Capabilities:
    """The capabilities ``family`` declares, or, for a family without a ``capabilities``
    record, those derived from its methods and attributes.

    Parameters
    ----------
    family : Family
        A family.

    Returns
    -------
    Capabilities
        The engines, hooks and optional attributes the family offers.

    Raises
    ------
    TypeError
        When ``family`` declares something other than a :class:`Capabilities` record.

    Examples
    --------
    >>> import modelcollapse as mc
    >>> caps = capabilities_of(mc.Gaussian())
    >>> caps.engines, caps.offers("kl"), caps.offers("probabilities")
    (('exact', 'sample', 'asymptotic'), True, False)
    """
    declared = getattr(family, "capabilities", None)
    if isinstance(declared, Capabilities):
        return declared
    if declared is not None:
        raise TypeError(
            f"{type(family).__name__}.capabilities must be a modelcollapse Capabilities record, "
            f"not {type(declared).__name__}"
        )
    return derived_capabilities(family)


def derived_capabilities(family: Any) -> Capabilities:
    """Capabilities read off ``family``'s methods and attributes: the hooks it has as methods,
    its ``engines`` and the optional attributes of the module docstring. The fallback for a
    family without a record, and what :func:`~modelcollapse.testing.check_family` compares a
    declared record with."""
    hooks = frozenset(h for h in HOOKS if callable(getattr(family, h, None)))
    values: dict[str, Any] = {
        name: getattr(family, name, default) for name, default in _ATTRIBUTES.items()
    }
    values["record_params"] = bool(values["record_params"])
    values["weight_by_information"] = bool(values["weight_by_information"])
    values["real_data_misspecified"] = bool(values["real_data_misspecified"])
    values["holds_points"] = bool(values["holds_points"])
    point_size = getattr(family, "_point_size", 1)
    return Capabilities(
        engines=tuple(getattr(family, "engines", None) or ("sample",)),
        hooks=hooks,
        point_size=int(point_size or 1),
        **values,
    )
