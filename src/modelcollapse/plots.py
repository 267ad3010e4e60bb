"""One plotting style for every figure: simulation as points or solid lines with bands,
theory as dashed lines, a legend on every panel."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["THEORY_STYLE", "new_figure", "plot_band", "plot_theory"]

THEORY_STYLE = {"linestyle": "--", "linewidth": 1.6}


def new_figure(ncols: int = 1, width: float = 5.2, height: float = 3.8) -> tuple[Any, Any]:
    """A figure with ``ncols`` panels side by side (axes returned as an array).

    Figures are built with the object-oriented API (no pyplot), so making them never touches
    the user's interactive backend or global state.
    """
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, axes[0]


def plot_band(
    ax: Any, x: Any, mean: Any, se: Any, label: str, color: Any = None, marker: str = "o"
) -> Any:
    """Simulated means with a 95% band (``mean +- 1.96 se``)."""
    x, mean, se = (np.asarray(v, dtype=float) for v in (x, mean, se))
    (line,) = ax.plot(
        x, mean, marker=marker, markersize=3.5, linewidth=1.0, label=label, color=color
    )
    ax.fill_between(
        x, mean - 1.96 * se, mean + 1.96 * se, alpha=0.2, color=line.get_color(), linewidth=0
    )
    return line


def plot_theory(ax: Any, x: Any, y: Any, label: str, color: Any = None) -> Any:
    """A theory curve in the theory style."""
    (line,) = ax.plot(x, y, color=color or "black", label=label, **THEORY_STYLE)
    return line
