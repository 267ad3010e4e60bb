"""What an experiment's code sees: its spec, the context it runs in and what it returns.

An :class:`Experiment` names a reproduction (id, one-line title, paper and figure, the paper's
replication count and a quick one). Its ``run`` function receives a :class:`Context` (scale,
seeds, progress) and returns an :class:`Outcome`: a tidy table, figures (one per panel), the
key table of simulation beside theory, and notes; its ``judge`` function turns the table into
one verdict per claim. A :class:`Batch` says where one experiment stands among several.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._progress import Progress, format_seconds, terminal_columns
from .verdicts import Verdict

__all__ = [
    "PERMILLE",
    "Batch",
    "Context",
    "Experiment",
    "Outcome",
]


@dataclass
class Outcome:
    """What an experiment's ``run`` produces: the tidy table its ``judge`` reads, one figure per
    panel, the key table of simulation beside theory, and notes. ``fit_failures`` holds the
    :class:`~modelcollapse.FitFailureWarning` messages its simulations raised (the runner
    fills it)."""

    table: pd.DataFrame
    figures: dict[str, Any]
    key_table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    fit_failures: list[str] = field(default_factory=list)


#: Units of the per-experiment progress bar: the fraction done in thousandths.
PERMILLE = 1000
#: The share of the progress line that the computation fills (drawing the figures: the rest),
#: at the paper's scale and at the quick one.
_COMPUTE_SHARE = 0.9
_QUICK_SHARE = 0.5


@dataclass
class _Level:
    """One level of nested work: ``done`` of ``total`` units; a ``declared`` level (from
    :meth:`Context.steps`) also counts each loop or map finished inside it as one unit."""

    total: int
    done: int = 0
    declared: bool = False


@dataclass
class Batch:
    """Where one experiment stands among several (``report``, ``reproduce all``): the
    experiments' line then also shows the overall fraction done and time left, weighted by
    count (each experiment one unit, the running one by its own fraction done).

    Parameters
    ----------
    total : int
        Experiments to run.
    """

    total: int
    start: float = field(default_factory=time.perf_counter)
    finished: int = 0

    def fraction(self, current: float = 0.0) -> float:
        """The fraction of all the work done, ``current`` of the running experiment included."""
        return min(1.0, (self.finished + current) / max(1, self.total))

    def note(self, current: float = 0.0) -> str:
        """``"all 45%, about 3m 10s left"`` (the time left once an estimate exists)."""
        done = self.fraction(current)
        elapsed = time.perf_counter() - self.start
        text = f"all {100 * done:.0f}%"
        if 0 < done < 1 and elapsed >= 1.0:
            text += f", about {format_seconds(elapsed * (1 - done) / done)} left"
        return text

    def summary(self) -> str:
        """``"3/16 experiments, 1m 20s elapsed, about 5m left"``, after one finished."""
        elapsed = time.perf_counter() - self.start
        text = f"{self.finished}/{self.total} experiments, {format_seconds(elapsed)} elapsed"
        if 0 < self.finished < self.total:
            left = elapsed * (self.total - self.finished) / self.finished
            text += f", about {format_seconds(left)} left"
        return text


@dataclass
class Context:
    """Scale, seeds and progress for one run of an experiment.

    ``progress(message)`` prints a message line. The fraction done on the experiment's
    progress line comes from units of work: each call of :meth:`map` is one unit when it
    finishes, each item of :meth:`track` one when its loop body is done, each
    :meth:`step` after :meth:`steps`. They nest: a map inside a tracked loop fills that loop's
    current item, and a loop or a map finished at the level of :meth:`steps` counts as one of
    its units. With no bar (a test's context, ``--quiet``) they only do the work.
    """

    replications: int
    quick: bool
    seed: np.random.SeedSequence
    progress: Callable[[str], None]
    settings: dict[str, Any] = field(default_factory=dict)
    workers: int = 1
    bar: Progress | None = field(default=None, repr=False)
    batch: Batch | None = field(default=None, repr=False)
    _levels: list[_Level] = field(default_factory=list, repr=False)
    _files: tuple[float, float] | None = field(default=None, repr=False)
    _note: str = field(default="", repr=False)

    def map(self, func: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """``[func(*args) for args in calls]``, in a process pool when ``workers > 1``.

        Every call is deterministic given its arguments (seeds included), so the results do not
        depend on the number of workers. ``func`` and the arguments must be picklable. Each
        finished call is one unit of progress.
        """
        depth = self._open(len(calls))
        try:
            if self.workers <= 1 or len(calls) <= 1:
                results = []
                for args in calls:
                    results.append(func(*args))
                    self._advance(depth)
                return results
            from concurrent.futures import as_completed

            from .._parallel import clocked_call, pool, rewarn
            from ..random import add_draw_seconds

            with pool(min(self.workers, len(calls))) as executor:
                futures = [executor.submit(clocked_call, func, *args) for args in calls]
                for future in as_completed(futures):
                    if future.exception() is not None:
                        break
                    self._advance(depth)
                results = [f.result() for f in futures]
            add_draw_seconds(sum(seconds for _, seconds, _ in results))
            for _, _, messages in results:
                rewarn(messages)
            return [result for result, _, _ in results]
        finally:
            self._close(depth)

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        """Iterate over ``items``, one unit of progress per item (when its loop body is done):
        ``for case in ctx.track(cases):``."""
        items = list(items)
        depth = self._open(len(items))
        try:
            for item in items:
                yield item
                self._advance(depth)
        finally:
            self._close(depth)

    def steps(self, total: int) -> None:
        """Declare ``total`` units of work at this level (the whole experiment, or the current
        item of a tracked loop): each :meth:`step`, and each loop or map finished here, is one."""
        self._levels.append(_Level(max(1, int(total)), declared=True))

    def step(self, units: int = 1, note: str = "") -> None:
        """``units`` units of the level declared by :meth:`steps` are done."""
        for depth in range(len(self._levels) - 1, -1, -1):
            if self._levels[depth].declared:
                del self._levels[depth + 1 :]
                self._levels[depth].done += units
                break
        self._refresh(note)

    def fraction(self) -> float:
        """The fraction of the declared, tracked and mapped work done (0 before any)."""
        fraction, scale = 0.0, 1.0
        for level in self._levels:
            scale /= level.total
            fraction += min(level.done, level.total) * scale
        return min(fraction, 1.0)

    def _open(self, total: int) -> int:
        self._levels.append(_Level(max(1, total)))
        return len(self._levels) - 1

    def _advance(self, depth: int) -> None:
        del self._levels[depth + 1 :]
        if depth < len(self._levels):
            self._levels[depth].done += 1
        self._refresh()

    def _close(self, depth: int) -> None:
        del self._levels[depth:]
        if depth and self._levels[depth - 1].declared:
            self._levels[depth - 1].done += 1
            self._refresh()
        # else the enclosing loop's item ends next and counts; a finished top-level loop stays
        # at its 100% until the experiment ends

    def _written(self, written: int, figures: int) -> None:
        """``written`` of the experiment's ``figures`` are drawn and saved."""
        if self.bar is None:
            return
        now = time.perf_counter()
        if written == 0:
            self._files = (now, 0.0)
        else:  # the time left: the figures left at the pace of those drawn
            began = self._files[0] if self._files is not None else now
            left = (now - began) / written * (figures - written)
            elapsed = self.bar.elapsed
            self._files = (began, elapsed / (elapsed + left) if elapsed + left > 0 else 1.0)
        self._refresh(f"drawing the figures, {written}/{figures}")

    def _refresh(self, note: str = "") -> None:
        """Show the fraction done (it never goes back) on the progress line: the computation
        fills the first part (nine tenths, half at the quick scale, where drawing the figures
        takes longer than computing), drawing the figures the rest, at the pace of the first."""
        if self.bar is None:
            return
        self._note = note
        if self._files is None:
            share = (_QUICK_SHARE if self.quick else _COMPUTE_SHARE) * self.fraction()
        else:
            share = self._files[1]
        current = max(self.bar.done, round(PERMILLE * share))
        notes = [note]
        if self.batch is not None:
            overall = self.batch.note(current / PERMILLE)
            short = overall.split(",")[0]
            notes = [f"{note} ({overall})".lstrip(), f"({overall})", f"({short})", note]
        if self.bar.terminal and self.bar.enabled:  # a live line must not wrap
            width = terminal_columns(self.bar.stream) - 1
            notes = [n for n in notes if len(self.bar.line(n)) <= width] or [""]
        note = notes[0]
        self.bar.update(current, note)

    def child_seed(self, key: int) -> np.random.SeedSequence:
        """An independent stream for sub-run ``key`` (the same key gives the same stream)."""
        return np.random.SeedSequence(self.seed.entropy, spawn_key=(*self.seed.spawn_key, key))

    def note(self, **settings: Any) -> None:
        """Record settings that ``meta.json`` should show (generations, sizes, engines...)."""
        self.settings.update(settings)


@dataclass(frozen=True)
class Experiment:
    """A registered reproduction.

    ``run(context)`` computes the outcome; ``judge(table)`` turns the outcome's table into one
    :class:`~modelcollapse.experiments.verdicts.Verdict` per claim. ``judge`` is a pure
    function of the table (everything it reads, standard errors and replication counts
    included, is a column), so a stored ``results.csv`` can be judged again, or perturbed and
    judged, without running the simulation.
    """

    id: str
    title: str
    paper: str
    figure: str
    replications: int
    quick_replications: int
    run: Callable[[Context], Outcome]
    judge: Callable[[pd.DataFrame], list[Verdict]]
