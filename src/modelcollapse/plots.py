"""One plotting style for every figure: simulation as points or solid lines with bands,
theory as dashed lines, a legend on every panel."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["THEORY_STYLE", "new_figure", "plot_band", "plot_theory", "text_problems"]

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


def plot_theory(ax: Any, x: Any, y: Any, label: str | None, color: Any = None) -> Any:
    """A theory curve in the theory style."""
    (line,) = ax.plot(x, y, color=color or "black", label=label, **THEORY_STYLE)
    return line


def _text_boxes(fig: Any, renderer: Any) -> list[tuple[str, Any]]:
    """Every piece of text a reader sees, with its window extent: titles, axis labels, the
    tick labels inside the view, legends (as one box each) and figure texts."""
    boxes: list[tuple[str, Any]] = []

    def add(name: str, artist: Any) -> None:
        if artist is None or not artist.get_visible():
            return
        if hasattr(artist, "get_text") and not artist.get_text().strip():
            return
        boxes.append((name, artist.get_window_extent(renderer)))

    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        where = f"panel {i}"
        add(f"{where} title", ax.title)
        add(f"{where} title", getattr(ax, "_left_title", None))
        add(f"{where} title", getattr(ax, "_right_title", None))
        add(f"{where} x label", ax.xaxis.label)
        add(f"{where} y label", ax.yaxis.label)
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            low, high = sorted(axis.get_view_interval())
            span = high - low
            for tick in axis.get_major_ticks():
                if not (low - 1e-9 * span <= tick.get_loc() <= high + 1e-9 * span):
                    continue
                for label in (tick.label1, tick.label2):
                    add(f"{where} {name} tick label {label.get_text()!r}", label)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            boxes.append((f"{where} legend", legend.get_window_extent(renderer)))
        for text in ax.texts:
            add(f"{where} text {text.get_text()[:20]!r}", text)
    suptitle = getattr(fig, "_suptitle", None)
    for text in fig.texts:
        if text is not suptitle:
            add(f"figure text {text.get_text()[:20]!r}", text)
    add("figure title", suptitle)
    return boxes


def text_problems(fig: Any, tolerance: float = 1.0) -> list[str]:
    """Text that a reader cannot read: outside the canvas (clipped when saved) or overlapping
    other text (titles, axis and tick labels, legends, figure texts).

    The figure is drawn by the Agg renderer first, so the extents are those of the saved PNG.
    Boxes that only touch (within ``tolerance`` pixels) do not count. Returns one line per
    problem (an empty list when there is none).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = _text_boxes(fig, renderer)
    page = fig.bbox
    problems = []
    for name, box in boxes:
        if (
            box.x0 < page.x0 - tolerance
            or box.y0 < page.y0 - tolerance
            or box.x1 > page.x1 + tolerance
            or box.y1 > page.y1 + tolerance
        ):
            problems.append(f"{name} is outside the canvas")
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            width = min(a.x1, b.x1) - max(a.x0, b.x0)
            height = min(a.y1, b.y1) - max(a.y0, b.y0)
            if width > tolerance and height > tolerance:
                problems.append(f"{name_a} overlaps {name_b}")
    return problems
