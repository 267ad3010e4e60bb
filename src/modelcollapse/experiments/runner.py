"""Running an experiment: :func:`run_experiment` writes what it returns to ``DIR/ID/``.

``results.csv``, ``key.csv``, ``<panel>.png`` and ``.svg``, ``summary.md`` and ``meta.json``
(:data:`META_FILE`, with the configuration hash and the checksum of every other file), all at
once: the folder is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._progress import Progress
from .._validation import check_int, collect_fit_failures, fail
from ..plots import text_problems
from ..provenance import commit, source_hash
from ..random import as_seed_sequence, draw_seconds
from .context import PERMILLE, Batch, Context, Experiment, Outcome
from .folders import delete, install, prepare_out, remove_dirs, remove_stale
from .registry import get_experiment, judge_table
from .verdicts import Verdict, headline

__all__ = [
    "META_FILE",
    "configuration_hash",
    "file_checksum",
    "markdown_table",
    "run_experiment",
]

#: The file of an experiment's folder that describes the others (and holds their checksums).
META_FILE = "meta.json"


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
    context = _context(experiment, replications, quick, seed, workers, batch)
    target, tmp, created = _temporary_folder(experiment.id, out)
    bar = context.bar = Progress(experiment.id, PERMILLE, enabled=progress)
    try:
        wall = _compute_and_write(experiment, context, tmp, out, seed, bar.start)
        install(tmp, target)
    except BaseException as err:
        bar.__exit__(type(err), err, None)  # a live line is left as it is, on its own line
        shutil.rmtree(tmp, ignore_errors=True)
        remove_dirs(created)
        translated = _translated(err, context)
        if translated is not None:
            raise translated from None
        raise
    _finish(experiment.id, target, wall, bar, batch)
    return target


def _context(
    experiment: Experiment,
    replications: int | None,
    quick: bool,
    seed: int,
    workers: int,
    batch: Batch | None,
) -> Context:
    """The context of a run of ``experiment``, its arguments checked (replications, seed,
    workers, in that order); its messages go above the progress line once its ``bar`` is set."""
    default = experiment.quick_replications if quick else experiment.replications
    reps = default if replications is None else check_int("replications", replications, minimum=2)
    context = Context(
        replications=reps,
        quick=quick,
        seed=as_seed_sequence(seed),
        progress=lambda message: None,
        workers=check_int("workers", workers, minimum=1),
        batch=batch,
    )
    context.progress = _message_printer(experiment.id, context)
    return context


def _temporary_folder(
    experiment_id: str, out: str | os.PathLike[str]
) -> tuple[Path, Path, list[Path]]:
    """Check ``out/<id>``, create ``out`` (the directories created: see ``prepare_out``) and an
    empty temporary folder beside ``out/<id>``: the target, that folder and those directories."""
    out_dir = Path(out)
    target = out_dir / experiment_id
    if (target.exists() or target.is_symlink()) and not target.is_dir():
        raise fail("out", f"{experiment_id} in it is not a directory", str(out))
    created = prepare_out(out_dir)
    remove_stale(out_dir, experiment_id)
    tmp = out_dir / f".{experiment_id}.{os.getpid()}.tmp"
    delete(tmp)
    try:
        tmp.mkdir()
    except OSError as err:
        remove_dirs(created)
        raise fail("out", f"cannot create a folder in it ({err.strerror})", str(out)) from None
    return target, tmp, created


def _compute_and_write(
    experiment: Experiment,
    context: Context,
    folder: Path,
    out: str | os.PathLike[str],
    seed: Any,
    start: float,
) -> float:
    """Print the start message, run ``experiment``, judge it, write its files: the wall time."""
    reps, quick = context.replications, context.quick
    context.progress(f"start: {experiment.title} (R = {reps:,}{', quick' if quick else ''})")
    drawn = draw_seconds()
    with collect_fit_failures() as failures:
        outcome = experiment.run(context)
    drawn = draw_seconds() - drawn
    if failures:
        unique = list(dict.fromkeys(failures))
        outcome = dataclasses.replace(outcome, fit_failures=unique)
        context.progress(f"fits failed in {len(failures):,} simulations: see summary.md")
    verdicts = judge_table(experiment, outcome.table)
    try:
        return _write(
            folder, experiment, outcome, verdicts, context, seed, context.seed, start, drawn
        )
    except OSError as err:
        raise fail("out", f"cannot write the results ({err.strerror or err})", str(out)) from None


def _translated(err: BaseException, context: Context) -> Exception | None:
    """The error naming the argument to change that a run ended by ``err`` raises, or None."""
    if isinstance(err, MemoryError):
        why = "the experiment ran out of memory; try fewer replications"
        return fail("replications", why, context.replications)
    if isinstance(err, BrokenProcessPool):
        why = "a worker process died (killed, or out of memory); try fewer workers or replications"
        return fail("workers", why, context.workers)
    return None


def _finish(
    experiment_id: str, target: Path, wall: float, bar: Progress, batch: Batch | None
) -> None:
    """Count the experiment as finished in ``batch`` and close its progress line."""
    if batch is not None:
        batch.finished += 1
    overall = "" if batch is None else f" ({batch.summary()})"
    bar.close(f"[{experiment_id}] done in {wall:.1f}s -> {target}{overall}")


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
        "source_hash": source_hash(),
        "commit": commit(),
        "headline": headline(verdicts),
        "verdicts": [v.to_json() for v in verdicts],
        "notes": list(outcome.notes),
        "fit_failures": list(outcome.fit_failures),
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
    if outcome.fit_failures:
        lines += ["## Failed fits", "", *(f"- {m}" for m in outcome.fit_failures), ""]
    figures: Iterable[str] = outcome.figures
    lines += ["## Figures", "", *(f"![{name}]({name}.png)" for name in figures), ""]
    return "\n".join(lines)
