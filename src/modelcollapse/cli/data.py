"""``modelcollapse data``: the shipped datasets."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import COMMANDS, UsageError, _Parser


def _add_data(sub: Any) -> None:
    p = sub.add_parser(
        "data",
        help=COMMANDS["data"][2],
        description="Describe a dataset shipped with the package (no download).",
        epilog="examples:\n  modelcollapse data info adult",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    info = actions.add_parser(
        "info",
        help="rows, columns and category counts of a shipped dataset",
        description="Print the rows, the columns with their types and ranges, and the rows per "
        "category of each categorical column.",
        epilog="examples:\n"
        "  modelcollapse data info adult\n"
        "  modelcollapse data info adult --cleaning as-authors --top 5",
    )
    info.add_argument("name", metavar="NAME", help="the dataset: adult")
    info.add_argument(
        "--cleaning",
        default="complete",
        help="complete (drop rows with a missing value, the default) or as-authors (keep them)",
    )
    info.add_argument(
        "--top", type=int, default=None, help="show at most this many categories per column"
    )
    info.set_defaults(handler=_run_data_info)


def _run_data_info(args: argparse.Namespace) -> int:
    from ..data import DATASETS, dataset_info

    if args.name not in DATASETS:  # a positional argument: name it as the usage line does
        raise UsageError(f"NAME: must be one of {', '.join(DATASETS)} (got {args.name!r})")
    if args.top is not None and args.top < 1:
        raise UsageError(f"--top: must be an integer >= 1 (got {args.top})")
    print(dataset_info(args.name, cleaning=args.cleaning, top=args.top))
    return 0
