"""Experiments as data: a registered spec plus a function that turns results into outputs.

An :class:`Experiment` names a reproduction (id, one-line title, paper and figure, the paper's
replication count and a quick one). Its ``run`` function receives a :class:`Context` (scale,
seeds, progress) and returns an :class:`Outcome`: a tidy table, figures (one per panel), the
key table of simulation beside theory, and one verdict per claim. :func:`run_experiment` writes
them to ``DIR/ID/``: ``results.csv``, ``<panel>.png``, ``summary.md`` and ``meta.json`` (with
the configuration hash and the checksum of every other file), all at once: the folder is
written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import importlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._progress import Progress, format_seconds, terminal_columns
from .._validation import check_int, fail
from ..plots import text_problems
from ..random import as_seed_sequence, draw_seconds
from .verdicts import Verdict, headline

__all__ = [
    "Batch",
    "Context",
    "Experiment",
    "Outcome",
    "Verdict",
    "configuration_hash",
    "experiment_ids",
    "file_checksum",
    "get_experiment",
    "judge_table",
    "markdown_table",
    "register",
    "run_experiment",
]


@dataclass
class Outcome:
    """What an experiment's ``run`` produces: the tidy table its ``judge`` reads, one figure per
    panel, the key table of simulation beside theory, and notes."""

    table: pd.DataFrame
    figures: dict[str, Any]
    key_table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


#: Units of the per-experiment progress bar: the fraction done in thousandths.
_PERMILLE = 1000
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

            from .._parallel import clocked_call, pool
            from ..random import add_draw_seconds

            with pool(min(self.workers, len(calls))) as executor:
                futures = [executor.submit(clocked_call, func, *args) for args in calls]
                for future in as_completed(futures):
                    if future.exception() is not None:
                        break
                    self._advance(depth)
                results = [f.result() for f in futures]
            add_draw_seconds(sum(seconds for _, seconds in results))
            return [result for result, _ in results]
        finally:
            self._close(depth)

    def track(self, items: Sequence[Any]) -> Iterator[Any]:
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
        current = max(self.bar.done, round(_PERMILLE * share))
        notes = [note]
        if self.batch is not None:
            overall = self.batch.note(current / _PERMILLE)
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


_REGISTRY: dict[str, Experiment] = {}

#: The file of an experiment's folder that describes the others (and holds their checksums).
META_FILE = "meta.json"


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to the registry (ids are unique)."""
    if experiment.id in _REGISTRY:
        raise ValueError(f"experiment id {experiment.id!r} is registered twice")
    _REGISTRY[experiment.id] = experiment
    return experiment


#: The experiment modules, in the order their experiments are listed and run by ``all``.
EXPERIMENT_MODULES = (
    "xu2025.fig3",
    "xu2025.random_walk",
    "xu2025.schedules",
    "xu2025.win_probability",
    "xu2025.bias",
    "xu2025.general_family",
    "he2025.theory_claims",
    "he2025.fig7",
    "he2025.fig8",
    "he2025.fig9",
    "he2025.fig10",
    "xu2025.adult",
    "peers.regression",
    "peers.bounds",
    "peers.discrete",
    "peers.strategies",
)


def _load() -> None:
    # Importing a module registers its experiments.
    for module in EXPERIMENT_MODULES:
        importlib.import_module(f".{module}", __package__)


def experiment_ids() -> tuple[str, ...]:
    """Registered ids: those of :data:`EXPERIMENT_MODULES` in its order (whichever module was
    imported first), then any other registered experiment in registration order."""
    _load()
    rank = {f"{__package__}.{m}": i for i, m in enumerate(EXPERIMENT_MODULES)}
    order = sorted(
        enumerate(_REGISTRY.values()),
        key=lambda item: (rank.get(item[1].run.__module__, len(rank)), item[0]),
    )
    return tuple(experiment.id for _, experiment in order)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment registered as ``experiment_id``."""
    ids = experiment_ids()
    if experiment_id not in _REGISTRY:
        raise fail("experiment", f"must be one of {', '.join(ids)}", experiment_id)
    return _REGISTRY[experiment_id]


def markdown_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured markdown table of ``frame`` (no index)."""

    def cell(value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return "-"
            return f"{value:.{digits}g}"
        return str(value)

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join([head, rule, *rows])


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("modelcollapse", "numpy", "scipy", "pandas", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return out


def _message_printer(experiment_id: str, context: Context) -> Callable[[str], None]:
    """``ctx.progress``: a message line ``[id 12.3s] message`` above the progress line, which
    is drawn again at once below it."""

    def report(message: str) -> None:
        bar = context.bar
        if bar is None or not bar.enabled:
            return
        bar.message(f"[{experiment_id} {bar.elapsed:6.1f}s] {message}")

    return report


def configuration_hash(experiment_id: str, seed: Any, replications: int, quick: bool) -> str:
    """The sha256 of what determines an experiment's results: its id, the root seed, the
    replications, the scale (``quick``) and the modelcollapse version. Not the number of
    workers: the results are the same for any number.

    ``meta.json`` records it; a folder is reused only for the same hash (see
    :func:`modelcollapse.report.build_report`).
    """
    root = as_seed_sequence(seed)
    entropy = root.entropy
    spec = {
        "id": experiment_id,
        "seed": {
            "entropy": [int(e) for e in entropy] if isinstance(entropy, Iterable) else entropy,
            "spawn_key": [int(k) for k in root.spawn_key],
        },
        "replications": int(replications),
        "quick": bool(quick),
        "modelcollapse": _versions()["modelcollapse"],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def file_checksum(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _prepare_out(out: str | os.PathLike[str]) -> list[Path]:
    """Create the output directory ``out`` (and its missing parents), checking it first: the
    directories this call created, deepest last, so that a failed run can remove them."""
    path = Path(out)
    missing = []
    for part in (path, *path.parents):
        try:
            os.stat(part)
        except OSError as err:
            if err.errno == errno.ENOENT and not os.path.islink(part):
                missing.append(part)
                continue
            reason = "a symbolic link to a missing target" if err.errno == errno.ENOENT else None
            raise fail(
                "out", f"cannot create the directory ({reason or err.strerror})", str(out)
            ) from None
        if not part.is_dir():
            raise fail("out", "cannot create the directory (Not a directory)", str(out))
        break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise fail("out", f"cannot create the directory ({err.strerror})", str(out)) from None
    if not os.access(path, os.W_OK):
        _remove_dirs(missing)
        raise fail("out", "must be a writable directory", str(out))
    return missing[::-1]


def _remove_dirs(created: list[Path]) -> None:
    """Remove the directories a failed run created, deepest first, if they are empty."""
    for directory in sorted(created, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def _remove_stale(out: Path, experiment_id: str) -> None:
    """Remove the temporary folders of runs of ``experiment_id`` whose process is gone (killed
    with ``kill -9``, or a power cut); those of running processes are left alone."""
    for path in out.glob(f".{glob.escape(experiment_id)}.*.*"):
        pid = path.name[len(experiment_id) + 2 :].rsplit(".", 1)[0]
        if path.suffix in (".tmp", ".old") and pid.isdigit() and int(pid) != os.getpid():
            if not _alive(int(pid)):
                _delete(path)


def _delete(path: Path) -> None:
    """Remove a folder (or a symbolic link, or a file) if it is there; errors are ignored."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _install(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` in place of ``target``: an older ``target`` is renamed
    aside, ``tmp`` renamed in, then the older one deleted; if the second rename fails the older
    folder is put back."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        _delete(old)
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:
            with contextlib.suppress(OSError):
                os.rename(old, target)
        raise
    if old is not None:
        _delete(old)


def run_experiment(
    experiment_id: str,
    out: str | os.PathLike[str],
    *,
    replications: int | None = None,
    quick: bool = False,
    seed: int = 0,
    progress: bool = True,
    workers: int = 1,
    batch: Batch | None = None,
) -> Path:
    """Run one experiment and write its files to ``out/<id>/``: ``results.csv`` (tidy),
    ``key.csv`` (simulation beside theory), a PNG and an SVG per figure, ``summary.md`` and
    ``meta.json`` (settings, provenance, verdicts, notes, the configuration hash and the sha256
    of every other file).

    The files are written into a temporary sibling folder, ``out/.<id>.<pid>.tmp``, which is
    renamed to ``out/<id>`` once complete (an older ``out/<id>`` is replaced only then). On any
    error, or Ctrl-C, the temporary folder is removed and an older folder is left as it was, so
    ``out/<id>`` always holds one complete run. Temporary folders of runs whose process died are
    removed by the next run of the same experiment.

    Parameters
    ----------
    experiment_id : str
        A registered id (see :func:`experiment_ids`).
    out : path
        Output directory (created if needed; removed again if the run fails and it is empty).
    replications : int, optional
        Overrides the paper's (or, with ``quick``, the quick) replication count.
    quick : bool
        Run at the quick scale (fewer replications, sometimes fewer generations).
    seed : int
        Root seed.
    progress : bool
        Print progress on stderr: message lines, and a progress line with the fraction done,
        the elapsed time and the time left (rewritten in place on a terminal, a line now and
        then otherwise); the last line gives the one elapsed time, also in ``summary.md`` and
        ``meta.json``.
    workers : int
        Processes for experiments that run many independent simulations (weight sweeps); the
        results are the same for any number.
    batch : Batch, optional
        Where this experiment stands among several (``report``, ``reproduce all``): the
        progress line also shows the overall fraction done and time left, and ``batch`` counts
        the experiment as finished when it is.

    Returns
    -------
    pathlib.Path
        The experiment's output directory.

    Raises
    ------
    InvalidArgumentError
        On a bad argument or output directory; naming ``replications`` when the run runs out
        of memory, ``workers`` when a worker process dies (killed, or out of memory).
    """
    experiment = get_experiment(experiment_id)
    default = experiment.quick_replications if quick else experiment.replications
    reps = default if replications is None else check_int("replications", replications, minimum=2)
    root = as_seed_sequence(seed)
    workers = check_int("workers", workers, minimum=1)
    out_dir = Path(out)
    target = out_dir / experiment.id
    if (target.exists() or target.is_symlink()) and not target.is_dir():
        raise fail("out", f"{experiment.id} in it is not a directory", str(out))
    created = _prepare_out(out_dir)
    _remove_stale(out_dir, experiment.id)
    tmp = out_dir / f".{experiment.id}.{os.getpid()}.tmp"
    _delete(tmp)
    try:
        tmp.mkdir()
    except OSError as err:
        _remove_dirs(created)
        raise fail("out", f"cannot create a folder in it ({err.strerror})", str(out)) from None
    bar = Progress(experiment.id, _PERMILLE, enabled=progress)
    try:
        context = Context(
            replications=reps,
            quick=quick,
            seed=root,
            progress=lambda message: None,
            workers=workers,
            bar=bar,
            batch=batch,
        )
        context.progress = _message_printer(experiment.id, context)
        context.progress(f"start: {experiment.title} (R = {reps:,}{', quick' if quick else ''})")
        drawn = draw_seconds()
        outcome = experiment.run(context)
        drawn = draw_seconds() - drawn
        verdicts = judge_table(experiment, outcome.table)
        try:
            wall = _write(tmp, experiment, outcome, verdicts, context, seed, root, bar.start, drawn)
        except OSError as err:
            raise fail(
                "out", f"cannot write the results ({err.strerror or err})", str(out)
            ) from None
        _install(tmp, target)
    except BaseException as err:
        bar.__exit__(type(err), err, None)  # a live line is left as it is, on its own line
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_dirs(created)
        if isinstance(err, MemoryError):
            raise fail(
                "replications", "the experiment ran out of memory; try fewer replications", reps
            ) from None
        if isinstance(err, BrokenProcessPool):
            raise fail(
                "workers",
                "a worker process died (killed, or out of memory); try fewer workers or "
                "replications",
                workers,
            ) from None
        raise
    if batch is not None:
        batch.finished += 1
    overall = "" if batch is None else f" ({batch.summary()})"
    bar.close(f"[{experiment.id}] done in {wall:.1f}s -> {target}{overall}")
    return target


def _write(
    folder: Path,
    experiment: Experiment,
    outcome: Outcome,
    verdicts: list[Verdict],
    context: Context,
    seed: Any,
    root: np.random.SeedSequence,
    start: float,
    drawn: float = 0.0,
) -> float:
    """Write an experiment's files into ``folder``, ``meta.json`` (with the checksums of the
    others) last; the wall time since ``start`` (``time.perf_counter``), taken once the
    figures are drawn, is the one that ``summary.md``, ``meta.json`` and the progress show.
    ``drawn`` is the time the run spent drawing random numbers, in all its processes
    (:func:`modelcollapse.random.draw_seconds`): ``meta.json``'s ``draw_time_s``, the
    experiment's floor."""
    reps, quick = context.replications, context.quick
    outcome.table.to_csv(folder / "results.csv", index=False)
    outcome.key_table.to_csv(folder / "key.csv", index=False)
    context._written(0, len(outcome.figures))
    for number, (name, figure) in enumerate(outcome.figures.items(), start=1):
        figure.savefig(folder / f"{name}.png", dpi=110)
        figure.savefig(folder / f"{name}.svg")
        context._written(number, len(outcome.figures))
    wall = time.perf_counter() - start
    (folder / "summary.md").write_text(
        _summary(experiment, outcome, verdicts, reps, quick, seed, wall), encoding="utf-8"
    )
    files = {p.name: file_checksum(p) for p in sorted(folder.iterdir()) if p.name != META_FILE}
    meta = {
        "id": experiment.id,
        "title": experiment.title,
        "paper": experiment.paper,
        "figure": experiment.figure,
        "seed": seed,
        "replications": reps,
        "quick": quick,
        "workers": context.workers,
        "settings": context.settings,
        "wall_time_s": round(wall, 3),
        "draw_time_s": round(drawn, 3),
        "versions": _versions(),
        "platform": platform.platform(),
        "headline": headline(verdicts),
        "verdicts": [v.to_json() for v in verdicts],
        "notes": list(outcome.notes),
        "figures": list(outcome.figures),
        "figure_problems": _figure_problems(outcome.figures),
        "configuration_hash": configuration_hash(experiment.id, root, reps, quick),
        "files": files,
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=1, default=str) + "\n")
    return wall


def _figure_problems(figures: dict[str, Any]) -> list[str]:
    """Panels that break the house style: every panel with data has a legend and both axis
    labels, and its y label ends with the unit in parentheses, e.g. ``"mean error (squared
    data units)"``; no text lies outside the canvas or overlaps other text
    (:func:`modelcollapse.plots.text_problems`). An empty list when all is well."""
    problems = []
    for name, figure in figures.items():
        problems += [f"{name}: {p}" for p in text_problems(figure)]
        for i, ax in enumerate(figure.axes):
            if not ax.has_data():
                continue
            missing = [
                what
                for what, ok in (
                    ("legend", ax.get_legend() is not None),
                    ("x label", bool(ax.get_xlabel())),
                    ("y label", bool(ax.get_ylabel())),
                    ("unit on the y label", ax.get_ylabel().rstrip().endswith(")")),
                )
                if not ok
            ]
            if missing:
                problems.append(f"{name} panel {i}: no {', no '.join(missing)}")
    return problems


def judge_table(experiment: Experiment, table: pd.DataFrame) -> list[Verdict]:
    """``experiment.judge(table)``, checked: a list of verdicts with distinct claims."""
    verdicts = list(experiment.judge(table))
    claims = [v.claim for v in verdicts]
    if len(set(claims)) != len(claims):
        raise ValueError(f"{experiment.id}: two verdicts share a claim")
    if not all(isinstance(v, Verdict) for v in verdicts):
        raise TypeError(f"{experiment.id}: judge must return Verdict objects")
    return verdicts


def _summary(
    experiment: Experiment,
    outcome: Outcome,
    verdicts: list[Verdict],
    reps: int,
    quick: bool,
    seed: int,
    wall: float,
) -> str:
    scale = "quick scale" if quick else "paper scale"
    if reps != (experiment.quick_replications if quick else experiment.replications):
        scale = "custom scale"
    lines = [
        f"# {experiment.id}: {experiment.title}",
        "",
        f"{experiment.paper}, {experiment.figure}. Replications: {reps:,} ({scale}); "
        f"seed {seed}; {wall:.1f} s.",
        "",
        "## Simulation beside theory",
        "",
        markdown_table(outcome.key_table),
        "",
        "## Verdicts",
        "",
        f"{headline(verdicts)}.",
        "",
        *(v.line() for v in verdicts),
        "",
    ]
    if outcome.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in outcome.notes), ""]
    figures: Iterable[str] = outcome.figures
    lines += ["## Figures", "", *(f"![{name}]({name}.png)" for name in figures), ""]
    return "\n".join(lines)
