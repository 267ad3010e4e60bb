"""``modelcollapse list``, ``reproduce`` and ``report``: the registered experiments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..random import as_seed_sequence
from ._common import COMMANDS, PROG, UsageError, _check_out_dir


def _add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help=COMMANDS["report"][2],
        description="Run every registered experiment (or reuse the results already in OUT for "
        "the same configuration, when the configuration hash and the files' checksums in its "
        "meta.json match; otherwise it says why and runs it again) and write OUT/index.html: "
        "verdicts, simulation beside theory, figures, settings and provenance. Works offline.",
        epilog="examples:\n"
        "  modelcollapse report --out report --quick\n"
        "  modelcollapse report --out report --only he2025-theory xu2025-schedules",
    )
    p.add_argument("--out", required=True, help="report directory (created if needed)")
    p.add_argument(
        "--quick", action="store_true", help="quick scale (about 2.5 minutes on two idle cores)"
    )
    p.add_argument("--only", nargs="+", default=None, metavar="ID", help="experiment ids")
    p.add_argument("--replications", type=int, default=None, help="override replications")
    p.add_argument("--seed", type=int, default=0, help="root seed (default: %(default)s)")
    p.add_argument(
        "--workers", type=int, default=2, help="processes per experiment (default: %(default)s)"
    )
    p.add_argument("--no-reuse", action="store_true", help="rerun experiments already in OUT")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default: a line per experiment with its fraction done, "
        "elapsed time and time left, and the report's overall ones)",
    )
    p.set_defaults(handler=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    try:
        return _report(args)
    except KeyboardInterrupt:
        print(
            f"{PROG} report: interrupted; nothing of the running experiment was kept, finished "
            "experiments are kept and index.html was not written",
            file=sys.stderr,
        )
        return 130


def _report(args: argparse.Namespace) -> int:
    from ..report import build_report

    if args.only:
        for experiment_id in args.only:
            _check_id(experiment_id, "--only")
    if args.replications is not None:
        check_int("replications", args.replications, minimum=2)
    as_seed_sequence(args.seed)
    check_int("workers", args.workers, minimum=1)
    out = _check_out_dir(args.out)
    index = build_report(
        out,
        quick=args.quick,
        only=args.only,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        reuse=not args.no_reuse,
        progress=not args.quiet,
    )
    print(index)
    return 0


def _add_list(sub: Any) -> None:
    p = sub.add_parser(
        "list",
        help=COMMANDS["list"][2],
        description="List the ids of the registered reproductions.",
        epilog="examples:\n  modelcollapse list",
    )
    p.set_defaults(handler=_run_list)


def _add_reproduce(sub: Any) -> None:
    p = sub.add_parser(
        "reproduce",
        help=COMMANDS["reproduce"][2],
        description=(
            "Run a registered experiment and write DIR/ID/: results.csv (tidy), one PNG per "
            "panel, summary.md (simulation beside theory, one verdict per claim) and meta.json "
            "(seed, replications, versions, wall time, the configuration hash and every file's "
            "checksum). The folder is written under a temporary name and renamed into place "
            "when complete: an error or Ctrl-C (exit status 130) keeps nothing of the running "
            "experiment and leaves an older DIR/ID/ as it was."
        ),
        epilog="examples:\n"
        "  modelcollapse reproduce he2025-theory --out results\n"
        "  modelcollapse reproduce xu2025-fig3 --quick --out results",
    )
    p.add_argument("experiment", metavar="ID", help="an experiment id (see 'list') or 'all'")
    p.add_argument(
        "--out", default="results", metavar="DIR", help="output directory (default: %(default)s)"
    )
    p.add_argument(
        "--replications",
        type=int,
        default=None,
        help="override the replication count (default: the paper's)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="quick scale: fewer replications, a smoke test of the whole pipeline",
    )
    p.add_argument("--seed", type=int, default=0, help="root seed (default: %(default)s)")
    p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for experiments made of many independent simulations; results are the "
        "same for any number (default: the machine's cores, %(default)s)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default: messages and a line with the fraction done, "
        "elapsed time and time left; with 'all', the overall ones too)",
    )
    p.set_defaults(handler=_run_reproduce)


def _check_id(experiment_id: str, name: str, also: str = "") -> str:
    """``experiment_id`` if registered, else a usage error naming the argument ``name`` (the
    positional ``ID`` or an option) and every id (and ``also``, e.g. ``all``)."""
    from ..experiments import experiment_ids

    ids = experiment_ids()
    if experiment_id not in ids:
        allowed = ", ".join(ids) + (f", or {also}" if also else "")
        raise UsageError(f"{name}: must be one of {allowed} (got {experiment_id!r})")
    return experiment_id


def _run_list(args: argparse.Namespace) -> int:
    from ..experiments import experiment_ids, get_experiment

    for experiment_id in experiment_ids():
        e = get_experiment(experiment_id)
        print(f"{e.id:28s} {e.figure:34s} {e.title}")
    return 0


def _run_reproduce(args: argparse.Namespace) -> int:
    finished: list[Path] = []
    try:
        return _reproduce(args, finished)
    except KeyboardInterrupt:
        kept = f"; the {len(finished)} finished experiment(s) are kept" if finished else ""
        print(
            f"{PROG} reproduce: interrupted; nothing of the running experiment was kept{kept}",
            file=sys.stderr,
        )
        return 130


def _reproduce(args: argparse.Namespace, finished: list[Path]) -> int:
    """``reproduce``, appending each finished experiment's folder to ``finished``."""
    from ..experiments import experiment_ids, run_experiment
    from ..experiments.context import Batch

    if args.experiment == "all":
        ids = experiment_ids()
    else:
        ids = (_check_id(args.experiment, "ID", also="all"),)
    if args.replications is not None:
        check_int("replications", args.replications, minimum=2)
    as_seed_sequence(args.seed)
    check_int("workers", args.workers, minimum=1)
    out = _check_out_dir(args.out)  # run_experiment creates it
    for experiment_id in ids:
        blocker = out / experiment_id
        if (blocker.exists() or blocker.is_symlink()) and not blocker.is_dir():
            raise UsageError(f"--out: {experiment_id} in it is not a directory (got {args.out!r})")
    batch = Batch(len(ids)) if len(ids) > 1 else None
    for experiment_id in ids:
        target = run_experiment(
            experiment_id,
            out,
            replications=args.replications,
            quick=args.quick,
            seed=args.seed,
            progress=not args.quiet,
            workers=args.workers,
            batch=batch,
        )
        finished.append(target)
        print(target / "summary.md", flush=True)
    return 0
