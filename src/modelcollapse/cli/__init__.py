"""Command-line interface: ``modelcollapse COMMAND ...``, one module per command group
(``simulate``, ``theory``, ``plan``, ``experiments`` for list/reproduce/report, ``run``,
``recurse``, ``data``), the shared parser and path checks in ``_common``.

User errors (a bad schedule, a size below the family's minimum, an unknown family, a weight
outside [0, 1], ...) exit with status 2 and one line on stderr naming the option, the value and
what is allowed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ._common import COMMANDS, PROG, UsageError, _option_name, _Parser, _VersionAction

__all__ = ["build_parser", "main"]

#: ``modelcollapse --help``'s description (lines as shown: the help keeps them).
_DESCRIPTION = """\
Simulate, predict and prevent model collapse in recursive training, with the
closed-form theory of both papers beside the simulations:
  paper 1: Xu, He & Cheng, "A Probabilistic Perspective on Model Collapse"
           (fully synthetic recursion; which sample-size schedules collapse);
  paper 2: He, Xu & Cheng, "Golden Ratio Weighting Prevents Model Collapse"
           (fresh real data mixed in each generation, with a weight)."""

#: The commands by paper, after the list of commands in ``modelcollapse --help``.
_EPILOG = """\
by paper:
  paper 1 (schedules)   simulate --schedule; theory collapse-probability, win-probability,
                        moments, schedule; plan schedule; reproduce xu2025-*
  paper 2 (weights)     simulate --n-real --weight; theory optimal-weight, limiting-error;
                        plan weight; reproduce he2025-*; recurse --n-real --weight
  both                  list, reproduce, report, run (TOML files and sweeps), recurse (your
                        own table), data (the shipped Adult data), lm (language models
                        on real text)

'modelcollapse COMMAND --help' describes a command's options."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``modelcollapse`` argument parser.

    Parameters
    ----------
    command : str, optional
        Build only this command's options (importing only its module); the other commands get
        their one-line help and nothing else. By default every command is built in full.
    """
    parser = _Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module, adder, help_text) in COMMANDS.items():
        if command is None or name == command:
            getattr(importlib.import_module(f".{module}", __name__), adder)(sub)
        else:  # listed in --help; never parsed (main builds the command it runs)
            sub.add_parser(name, help=help_text)
    return parser


def _command(argv: Sequence[str]) -> str:
    """The command ``argv`` names (its first word that is not an option), or ``""``."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else ""
    return ""


@contextlib.contextmanager
def _one_line_fit_warnings(command: str) -> Iterator[None]:
    """Inside the block, a :class:`~modelcollapse.FitFailureWarning` is printed as one line,
    ``modelcollapse COMMAND: warning: ...`` on stderr; other warnings as Python shows them."""
    import warnings

    from .._validation import FitFailureWarning

    shown = warnings.showwarning

    def show(message: Any, category: Any, *rest: Any, **kwargs: Any) -> None:
        if issubclass(category, FitFailureWarning):
            print(f"{PROG} {command}: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, *rest, **kwargs)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modelcollapse`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv) or "")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, --version (0) or a usage error (2)
        return int(exit_.code or 0)
    from .._progress import log_to_stderr
    from .._validation import ConfigError, InvalidArgumentError

    try:
        with _one_line_fit_warnings(args.command), log_to_stderr():
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
