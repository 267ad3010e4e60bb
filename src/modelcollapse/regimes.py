"""Regimes: how generation ``t``'s training set is made from the data at hand.

A regime sees only sufficient statistics and the family's ``pool`` and ``fit`` contract, so a
new regime never touches a family. Each generation the engine draws the synthetic statistics
(from the previous fit) and, if ``n_real(t) > 0``, fresh real statistics (from the truth), then
asks the regime which sources the fit uses, with which weights.

``replace``
    Only this generation's data: the synthetic sample alone (fully synthetic recursion, paper
    1), or fresh real data weighted ``w`` together with the synthetic data weighted ``1 - w``
    (paper 2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ._validation import fail
from .families.base import Family

__all__ = ["REGIME_NAMES", "Regime", "Replace", "make_regime"]


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


_REGIMES: dict[str, type[Regime]] = {"replace": Replace}
#: Names accepted by :func:`make_regime` and the command line's ``--regime``.
REGIME_NAMES = tuple(_REGIMES)


def make_regime(regime: str | Regime) -> Regime:
    """A regime from its name, or the regime itself."""
    if isinstance(regime, Regime):
        return regime
    if isinstance(regime, str) and regime in _REGIMES:
        return _REGIMES[regime]()
    raise fail("regime", f"must be one of {', '.join(REGIME_NAMES)}", regime)
