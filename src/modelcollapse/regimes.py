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
``anchor`` (``anchor:alpha=A``)
    The generation-0 real data reused every generation, weighted ``alpha`` against the
    synthetic data's ``1 - alpha`` (a data-level proportion of real data); no fresh real data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ._validation import check_real, fail
from .families.base import Family

__all__ = ["REGIME_NAMES", "Accumulate", "Anchor", "Regime", "Replace", "make_regime"]


class Regime(ABC):
    """How a generation's training set is formed (see the module docstring)."""

    name: str

    def start(self, family: Family, real0: Any) -> Any:
        """State carried between generations, from the generation-0 real statistics."""
        return None

    @abstractmethod
    def training_set(
        self, family: Family, state: Any, real: Any | None, synth: Any, w: float
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
        """

    def __repr__(self) -> str:
        return f"<Regime {self.name}>"


class Replace(Regime):
    """Train on this generation's data only (real data weighted ``w``, synthetic ``1 - w``)."""

    name = "replace"

    def training_set(
        self, family: Family, state: Any, real: Any | None, synth: Any, w: float
    ) -> tuple[list[Any], list[float], Any]:
        if real is None:
            return [synth], [1.0], state
        return [real, synth], [w, 1.0 - w], state


class Accumulate(Regime):
    """Train on every point so far, unweighted (see the module docstring)."""

    name = "accumulate"

    def start(self, family: Family, real0: Any) -> Any:
        return real0

    def training_set(
        self, family: Family, state: Any, real: Any | None, synth: Any, w: float
    ) -> tuple[list[Any], list[float], Any]:
        pooled = family.pool(state, synth)
        if real is not None:
            pooled = family.pool(pooled, real)
        return [pooled], [1.0], pooled


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

    def __repr__(self) -> str:
        return f"<Regime anchor alpha={self.alpha:g}>"

    def start(self, family: Family, real0: Any) -> Any:
        return real0

    def training_set(
        self, family: Family, state: Any, real: Any | None, synth: Any, w: float
    ) -> tuple[list[Any], list[float], Any]:
        if real is not None:
            raise fail("n_real", "the anchor regime reuses the generation-0 data; use 0", "> 0")
        return [state, synth], [self.alpha, 1.0 - self.alpha], state


_REGIMES: dict[str, type[Regime]] = {"replace": Replace, "accumulate": Accumulate, "anchor": Anchor}
#: Names accepted by :func:`make_regime` and the command line's ``--regime``.
REGIME_NAMES = tuple(_REGIMES)


def make_regime(regime: str | Regime) -> Regime:
    """A regime from its name (``"anchor:alpha=0.3"`` for the anchor's weight), or the regime
    itself."""
    if isinstance(regime, Regime):
        return regime
    if isinstance(regime, str):
        name, _, options = regime.partition(":")
        if name == "anchor" and options:
            key, _, value = options.partition("=")
            if key.strip() != "alpha":
                raise fail("regime", "the anchor regime takes alpha, as anchor:alpha=0.5", regime)
            try:
                return Anchor(float(value))
            except ValueError:
                raise fail(
                    "regime", "alpha must be a number, as anchor:alpha=0.5", regime
                ) from None
        if name in _REGIMES and not options:
            return _REGIMES[name]()
    raise fail("regime", f"must be one of {', '.join(REGIME_NAMES)} (anchor:alpha=A)", regime)
