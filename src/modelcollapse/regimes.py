"""Regimes: how generation ``t``'s training set is made from the data at hand.

A regime sees only sufficient statistics and the family's ``pool`` and ``fit`` contract, so a
new regime never touches a family. Each generation the engine draws the synthetic statistics
(from the previous fit) and, if ``n_real(t) > 0``, fresh real statistics (from the truth), then
asks the regime which sources the fit uses, with which weights.

``replace``
    Only this generation's data: the synthetic sample alone (fully synthetic recursion, paper
    1), or fresh real data weighted ``w`` together with the synthetic data weighted ``1 - w``
    (paper 2).
``accumulate``
    Every point so far, unweighted (Gerstgrasser et al. 2024): the generation-0 real data, every
    generation's synthetic data and any fresh real data, pooled with the family's ``pool``
    (for the exact-engine families the pooled statistics are sums, so the state stays small).
    A weight rule does not apply.
``accumulate-subsample`` (``accumulate-subsample:size=N``)
    Accumulate, then train on a uniformly random subset of ``N`` of the pooled points, drawn
    without replacement (Kazdan et al. 2024); by default ``N = n0``, so every generation trains
    on as many points as generation 0 while the pool keeps growing. It needs the points: the
    family's ``subsample`` hook (categorical and Bernoulli counts, GLM data, empirical atoms),
    or, for the other families, ``engine="sample"``, where the engine keeps the drawn points
    (:class:`~modelcollapse.families.points.PointsFamily`).
``anchor`` (``anchor:alpha=A``)
    The generation-0 real data reused every generation, weighted ``alpha`` against the
    synthetic data's ``1 - alpha`` (a data-level proportion of real data); no fresh real data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ._validation import InvalidArgumentError, check_int, check_real, fail
from .families.base import Family
from .random import ReplicationRandom

__all__ = [
    "REGIME_NAMES",
    "Accumulate",
    "AccumulateSubsample",
    "Anchor",
    "Regime",
    "Replace",
    "make_regime",
]


class Regime(ABC):
    """How a generation's training set is formed (see the module docstring)."""

    name: str
    #: Whether :meth:`training_set` subsamples the data (the family needs ``subsample``).
    subsamples = False
    #: Whether the state pools every generation's data (its size grows with ``t``).
    pools = False
    #: The training-set size a regime fixes (``accumulate-subsample``), else None.
    size: int | None = None

    def start(self, family: Family, real0: Any) -> Any:
        """State carried between generations, from the generation-0 real statistics."""
        return None

    @abstractmethod
    def training_set(
        self,
        family: Family,
        state: Any,
        real: Any | None,
        synth: Any,
        w: float,
        rng: ReplicationRandom,
    ) -> tuple[list[Any], list[float], Any]:
        """Sources, their weights (summing to one) and the new state for this generation.

        Parameters
        ----------
        family : Family
            The family, for its ``pool``.
        state : object
            What :meth:`start` or the previous call returned.
        real : statistics or None
            Fresh real statistics of this generation (None when ``n_real(t) = 0``).
        synth : statistics
            Synthetic statistics drawn from the previous generation's fit.
        w : float
            The weight rule's weight on real data for this generation.
        rng : ReplicationRandom
            The synthetic stream, for a regime that draws (a subsample).
        """

    def __repr__(self) -> str:
        return f"<Regime {self}>"

    def __str__(self) -> str:
        """The regime as :func:`make_regime` reads it (with its option, where it has one)."""
        return self.name


class Replace(Regime):
    """Train on this generation's data only (real data weighted ``w``, synthetic ``1 - w``).

    The default regime; it takes no parameters (``make_regime("replace")``).

    Examples
    --------
    >>> Replace()
    <Regime replace>
    >>> str(make_regime("replace"))
    'replace'
    """

    name = "replace"

    def training_set(
        self,
        family: Family,
        state: Any,
        real: Any | None,
        synth: Any,
        w: float,
        rng: ReplicationRandom,
    ) -> tuple[list[Any], list[float], Any]:
        if real is None:
            return [synth], [1.0], state
        return [real, synth], [w, 1.0 - w], state


class Accumulate(Regime):
    """Train on every point so far, unweighted (see the module docstring)."""

    name = "accumulate"
    pools = True

    def start(self, family: Family, real0: Any) -> Any:
        return real0

    def training_set(
        self,
        family: Family,
        state: Any,
        real: Any | None,
        synth: Any,
        w: float,
        rng: ReplicationRandom,
    ) -> tuple[list[Any], list[float], Any]:
        pooled = family.pool(state, synth)
        if real is not None:
            pooled = family.pool(pooled, real)
        return [pooled], [1.0], pooled


class AccumulateSubsample(Regime):
    """Accumulate, then train on ``size`` of the pooled points drawn without replacement.

    Parameters
    ----------
    size : int, optional
        Training-set size; by default ``n0``, the size of the generation-0 real data.
    """

    name = "accumulate-subsample"
    subsamples = True
    pools = True

    def __init__(self, size: int | None = None) -> None:
        self.size = None if size is None else check_int("size", size, minimum=1)

    def __str__(self) -> str:
        return self.name if self.size is None else f"{self.name}:size={self.size}"

    def start(self, family: Family, real0: Any) -> Any:
        return real0, int(real0.count) if self.size is None else self.size

    def training_set(
        self,
        family: Family,
        state: Any,
        real: Any | None,
        synth: Any,
        w: float,
        rng: ReplicationRandom,
    ) -> tuple[list[Any], list[float], Any]:
        pooled, size = state
        pooled = family.pool(pooled, synth)
        if real is not None:
            pooled = family.pool(pooled, real)
        subset = family.subsample(pooled, min(size, int(pooled.count)), rng)  # type: ignore[attr-defined]
        return [subset], [1.0], (pooled, size)


class Anchor(Regime):
    """Reuse the generation-0 real data every generation with weight ``alpha``.

    Parameters
    ----------
    alpha : float
        Weight of the real (anchor) data, in ``(0, 1]``; the synthetic data weigh ``1 - alpha``.
    """

    name = "anchor"

    def __init__(self, alpha: float = 0.5) -> None:
        self.alpha = check_real("alpha", alpha, lower=0.0, upper=1.0, lower_open=True)

    def __str__(self) -> str:
        return f"{self.name}:alpha={self.alpha:g}"

    def start(self, family: Family, real0: Any) -> Any:
        return real0

    def training_set(
        self,
        family: Family,
        state: Any,
        real: Any | None,
        synth: Any,
        w: float,
        rng: ReplicationRandom,
    ) -> tuple[list[Any], list[float], Any]:
        if real is not None:
            raise fail("n_real", "the anchor regime reuses the generation-0 data; use 0", "> 0")
        return [state, synth], [self.alpha, 1.0 - self.alpha], state


_REGIMES: dict[str, type[Regime]] = {
    "replace": Replace,
    "accumulate": Accumulate,
    "accumulate-subsample": AccumulateSubsample,
    "anchor": Anchor,
}
#: The option each parametrised regime takes (``name:option=value``) and its type.
_OPTIONS: dict[str, tuple[str, type]] = {
    "anchor": ("alpha", float),
    "accumulate-subsample": ("size", int),
}
#: Names accepted by :func:`make_regime` and the command line's ``--regime``.
REGIME_NAMES = tuple(_REGIMES)


def make_regime(regime: str | Regime) -> Regime:
    """A regime from its name, with its option where it has one (``"anchor:alpha=0.3"``,
    ``"accumulate-subsample:size=200"``), or the regime itself.

    Parameters
    ----------
    regime : str or Regime
        ``"replace"``, ``"accumulate"``, ``"accumulate-subsample[:size=N]"`` or
        ``"anchor[:alpha=A]"`` (see the module docstring), or a regime, returned unchanged.

    Returns
    -------
    Regime
        The regime.

    Raises
    ------
    InvalidArgumentError
        For an unknown name or a bad option.

    Examples
    --------
    >>> make_regime("anchor:alpha=0.3")
    <Regime anchor:alpha=0.3>
    >>> str(make_regime("accumulate-subsample:size=200"))
    'accumulate-subsample:size=200'
    """
    if isinstance(regime, Regime):
        return regime
    allowed = (
        f"must be one of {', '.join(REGIME_NAMES)} (anchor:alpha=A, accumulate-subsample:size=N)"
    )
    if not isinstance(regime, str):
        raise fail("regime", allowed, regime)
    name, _, options = regime.partition(":")
    if name not in _REGIMES:
        raise fail("regime", allowed, regime)
    if not options:
        return _REGIMES[name]()
    if name not in _OPTIONS:
        raise fail("regime", f"the {name} regime takes no options", regime)
    option, kind = _OPTIONS[name]
    key, _, value = options.partition("=")
    if key.strip() != option:
        raise fail("regime", f"the {name} regime takes {option}, as {name}:{option}=VALUE", regime)
    try:
        parsed = kind(value)
    except ValueError:
        raise fail(
            "regime", f"{option} must be a {kind.__name__}, as {name}:{option}=VALUE", regime
        ) from None
    try:
        return _REGIMES[name](parsed)  # type: ignore[call-arg]
    except InvalidArgumentError as err:
        raise InvalidArgumentError(f"regime: {err}") from None
