"""``modelcollapse list``, ``reproduce`` and ``report``: the registered experiments."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..random import as_seed_sequence
from ._common import PROG, UsageError, _check_out_dir


def _add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="reproduce both papers as a browsable offline HTML report",
        description="Run every registered experiment (or reuse the results already in OUT for "
        "the same configuration, when the configuration hash and the files' checksums in its "
        "meta.json match; otherwise it says why and runs it again) and write OUT/index.html: "
        "verdicts, simulation beside theory, figures, settings and provenance. Works offline.",
    )
    p.add_argument("--out", required=True, help="report directory (created if needed)")
    p.add_argument("--quick", action="store_true", help="quick scale (a few minutes on two cores)")
    p.add_argument("--only", nargs="+", default=None, metavar="ID", help="experiment ids")
    p.add_argument("--replications", type=int, default=None, help="override replications")
    p.add_argument("--seed", type=int, default=0, help="root seed (default: %(default)s)")
    p.add_argument(
        "--workers", type=int, default=2, help="processes per experiment (default: %(default)s)"
    )
    p.add_argument("--no-reuse", action="store_true", help="rerun experiments already in OUT")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
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
        from ..experiments import get_experiment

        for experiment_id in args.only:
            get_experiment(experiment_id)
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


def _add_experiments(sub: Any) -> None:
    p = sub.add_parser(
        "list",
        help="list the registered experiments",
        description="List the ids of the registered reproductions.",
    )
    p.set_defaults(handler=_run_list)
    p = sub.add_parser(
        "reproduce",
        help="reproduce a figure or table of the papers",
        description=(
            "Run a registered experiment and write DIR/ID/: results.csv (tidy), one PNG per "
            "panel, summary.md (simulation beside theory, one verdict per claim) and meta.json "
            "(seed, replications, versions, wall time, the configuration hash and every file's "
            "checksum). The folder is written under a temporary name and renamed into place "
            "when complete: an error or Ctrl-C (exit status 130) keeps nothing of the running "
            "experiment and leaves an older DIR/ID/ as it was."
        ),
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
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=_run_reproduce)


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
    from ..experiments import experiment_ids, get_experiment, run_experiment

    ids = experiment_ids() if args.experiment == "all" else (args.experiment,)
    for experiment_id in ids:
        get_experiment(experiment_id)  # validate every id before running any
    if args.replications is not None:
        check_int("replications", args.replications, minimum=2)
    as_seed_sequence(args.seed)
    check_int("workers", args.workers, minimum=1)
    out = _check_out_dir(args.out)  # run_experiment creates it
    for experiment_id in ids:
        blocker = out / experiment_id
        if (blocker.exists() or blocker.is_symlink()) and not blocker.is_dir():
            raise UsageError(f"--out: {experiment_id} in it is not a directory (got {args.out!r})")
    for experiment_id in ids:
        target = run_experiment(
            experiment_id,
            out,
            replications=args.replications,
            quick=args.quick,
            seed=args.seed,
            progress=not args.quiet,
            workers=args.workers,
        )
        finished.append(target)
        print(target / "summary.md", flush=True)
    return 0
