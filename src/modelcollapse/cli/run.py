"""``modelcollapse run``: a simulation or a sweep from a TOML configuration file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._validation import InvalidArgumentError
from ..options import check_options
from ._common import COMMANDS, PROG, UsageError
from .simulate import _run_simulate


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help=COMMANDS["run"][2],
        description=(
            "Run the simulation or the sweep of CONFIG (TOML). Top-level keys are the options "
            "of 'simulate' with underscores (--n-real is n_real); a [sweep] table with a "
            "[sweep.grid] of lists runs every combination into a resumable result store. "
            "See docs/sweeps.md."
        ),
        epilog="examples:\n"
        "  modelcollapse run sweep.toml\n"
        "  modelcollapse run sweep.toml --backend serial --out sweep-results",
    )
    p.add_argument("config", metavar="CONFIG", help="the TOML file")
    p.add_argument(
        "--out",
        default=None,
        help="a sweep's result directory (overrides the file; relative to the current directory, "
        "while a path in the file is relative to the file's folder)",
    )
    p.add_argument(
        "--backend",
        default=None,
        choices=("serial", "processes", "dask"),
        help="where a sweep's cells run (default: the file's, else processes)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the cores)"
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler, e.g. tcp://host:8786 (backend dask)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="when another run is using the result directory, wait for it instead of refusing",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=_run_config)


def _run_config(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..sweep import run_sweep

    cfg = load_config(args.config)
    if not cfg.is_sweep:
        for flag in ("backend", "workers", "scheduler"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag}: applies to a sweep; {args.config} has no [sweep]")
        if args.wait:
            raise UsageError(f"--wait: applies to a sweep; {args.config} has no [sweep]")
        try:
            check_options(cfg.base)
        except InvalidArgumentError as err:
            raise cfg.located(err) from None
        options = {**cfg.base, "rows": 11, "format": "table", "out": None, **cfg.output}
        options["quiet"] = args.quiet
        if args.out is not None:
            options["out"] = args.out
        try:
            return _run_simulate(argparse.Namespace(**options))
        except KeyboardInterrupt:
            print(f"{PROG} run: interrupted", file=sys.stderr)
            return 130
    try:
        outcome = run_sweep(
            cfg,
            out=args.out,
            backend=args.backend,
            workers=args.workers,
            scheduler=args.scheduler,
            wait=args.wait,
            progress=not args.quiet,
        )
    except KeyboardInterrupt as err:  # SweepInterrupted says what was kept
        print(f"{PROG} run: interrupted" + (f": {err}" if str(err) else ""), file=sys.stderr)
        return 130
    if not outcome.ok:
        print(
            f"{PROG} run: {len(outcome.failed)} of {outcome.cells} cells failed (see "
            f"{outcome.out / 'cells'}/*.failed.json): "
            + "; ".join(f"{h}: {e}" for h, e in outcome.failed),
            file=sys.stderr,
        )
        return 1
    return 0
