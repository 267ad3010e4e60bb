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
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_int, fail
from ..plots import text_problems
from ..random import as_seed_sequence
from .verdicts import Verdict, headline

__all__ = [
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


@dataclass
class Context:
    """Scale, seeds and progress for one run of an experiment."""

    replications: int
    quick: bool
    seed: np.random.SeedSequence
    progress: Callable[[str], None]
    settings: dict[str, Any] = field(default_factory=dict)
    workers: int = 1

    def map(self, func: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """``[func(*args) for args in calls]``, in a process pool when ``workers > 1``.

        Every call is deterministic given its arguments (seeds included), so the results do not
        depend on the number of workers. ``func`` and the arguments must be picklable.
        """
        if self.workers <= 1 or len(calls) <= 1:
            return [func(*args) for args in calls]
        from .._parallel import pool

        with pool(min(self.workers, len(calls))) as executor:
            futures = [executor.submit(func, *args) for args in calls]
            return [f.result() for f in futures]

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


def _load() -> None:
    # Importing a module registers its experiments.
    # Importing a module registers its experiments, in this order.
    from . import xu2025, xu2025_general  # noqa: F401, I001
    from . import he2025, he2025_weights, adult, xu2025_adult  # noqa: F401
    from . import peers, peers_discrete, strategies  # noqa: F401


def experiment_ids() -> tuple[str, ...]:
    """Registered ids, in registration order."""
    _load()
    return tuple(_REGISTRY)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment registered as ``experiment_id``."""
    _load()
    if experiment_id not in _REGISTRY:
        raise fail("experiment", f"must be one of {', '.join(_REGISTRY)}", experiment_id)
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


def _stderr_progress(experiment_id: str, start: float) -> Callable[[str], None]:
    def report(message: str) -> None:
        print(
            f"[{experiment_id} {time.perf_counter() - start:6.1f}s] {message}",
            file=sys.stderr,
            flush=True,
        )

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
        Print progress lines on stderr.
    workers : int
        Processes for experiments that run many independent simulations (weight sweeps); the
        results are the same for any number.

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
    start = time.perf_counter()
    report = _stderr_progress(experiment.id, start) if progress else (lambda message: None)
    try:
        context = Context(
            replications=reps, quick=quick, seed=root, progress=report, workers=workers
        )
        report(f"start: {experiment.title} (R = {reps:,}{', quick' if quick else ''})")
        outcome = experiment.run(context)
        verdicts = judge_table(experiment, outcome.table)
        wall = time.perf_counter() - start
        try:
            _write(tmp, experiment, outcome, verdicts, context, seed, root, wall)
        except OSError as err:
            raise fail(
                "out", f"cannot write the results ({err.strerror or err})", str(out)
            ) from None
        _install(tmp, target)
    except MemoryError:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_dirs(created)
        raise fail(
            "replications", "the experiment ran out of memory; try fewer replications", reps
        ) from None
    except BrokenProcessPool:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_dirs(created)
        raise fail(
            "workers",
            "a worker process died (killed, or out of memory); try fewer workers or replications",
            workers,
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_dirs(created)
        raise
    report(f"done in {wall:.1f}s -> {target}")
    return target


def _write(
    folder: Path,
    experiment: Experiment,
    outcome: Outcome,
    verdicts: list[Verdict],
    context: Context,
    seed: Any,
    root: np.random.SeedSequence,
    wall: float,
) -> None:
    """Write an experiment's files into ``folder``, ``meta.json`` (with the checksums of the
    others) last."""
    reps, quick = context.replications, context.quick
    outcome.table.to_csv(folder / "results.csv", index=False)
    outcome.key_table.to_csv(folder / "key.csv", index=False)
    for name, figure in outcome.figures.items():
        figure.savefig(folder / f"{name}.png", dpi=110)
        figure.savefig(folder / f"{name}.svg")
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
