"""Command-line interface: ``modelcollapse COMMAND ...``, one module per command group
(``simulate``, ``theory``, ``plan``, ``experiments`` for list/reproduce/report, ``run``,
``recurse``, ``data``), the shared parser and path checks in ``_common``.

User errors (a bad schedule, a size below the family's minimum, an unknown family, a weight
outside [0, 1], ...) exit with status 2 and one line on stderr naming the option, the value and
what is allowed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._validation import InvalidArgumentError
from ..config import ConfigError
from ._common import PROG, UsageError, _option_name, _Parser, _version
from .data import _add_data
from .experiments import _add_experiments, _add_report
from .plan import _add_plan
from .recurse import _add_recurse
from .run import _add_run
from .simulate import _add_simulate
from .theory import _add_theory

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``modelcollapse`` argument parser."""
    parser = _Parser(
        prog=PROG,
        description="Simulate, predict and prevent model collapse in recursive training.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_simulate(sub)
    _add_experiments(sub)
    _add_theory(sub)
    _add_data(sub)
    _add_recurse(sub)
    _add_run(sub)
    _add_plan(sub)
    _add_report(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modelcollapse`` command."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, --version (0) or a usage error (2)
        return int(exit_.code or 0)
    try:
        return int(args.handler(args))
    except (UsageError, ConfigError) as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
    except InvalidArgumentError as err:
        print(f"{PROG} {args.command}: error: {_option_name(str(err))}", file=sys.stderr)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); exit quietly like other Unix tools.
        sys.stderr.close()
        return 0
    except OSError as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
