"""Command-line interface: ``modelcollapse simulate ...``.

User errors (a bad schedule, a size below the family's minimum, an unknown family, a weight
outside [0, 1], ...) exit with status 2 and one line on stderr naming the option, the value and
what is allowed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ._validation import InvalidArgumentError
from .engine import ENGINES, simulate
from .families import FAMILY_NAMES, make_family
from .families.gaussian import COMBINE_RULES, VARIANCE_ESTIMATORS
from .regimes import REGIME_NAMES
from .results import SimulationResult

__all__ = ["main"]

PROG = "modelcollapse"
_OUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class UsageError(Exception):
    """A command-line error reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_simulate(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a batched recursion and print a summary table",
        description=(
            "Run R replications of a recursive-training simulation for T generations and print "
            "per-generation summaries. Generation 0 fits n0 real points; generation t draws "
            "n_synth(t) synthetic points from generation t-1's fit (plus n_real(t) fresh real "
            "points weighted w) and refits."
        ),
        epilog=(
            "Schedules: constant:n=100 | linear:n=100 | power:n0=100,s=0.5 | exp:n0=100,c=2 | "
            "tlog:n0=100,a=2 | list:100,200,400 | a bare integer. Example: modelcollapse simulate "
            "--family gaussian --variance unbiased --n0 100 --schedule constant:n=100 "
            "--generations 500 --replications 10000 --seed 0 --engine exact"
        ),
    )
    model = p.add_argument_group("model")
    model.add_argument(
        "--family",
        default="gaussian",
        choices=FAMILY_NAMES,
        help="statistical family (default: %(default)s)",
    )
    model.add_argument(
        "--dim",
        type=int,
        default=1,
        help="dimension d of the Gaussian N(mu 1_d, sigma2 I_d) (default: 1)",
    )
    model.add_argument("--mu", type=float, default=0.0, help="true mean (default: 0)")
    model.add_argument("--sigma2", type=float, default=1.0, help="true variance (default: 1)")
    model.add_argument(
        "--variance",
        default="unbiased",
        choices=VARIANCE_ESTIMATORS,
        help="variance estimator: S/(n-1) or S/n (default: %(default)s)",
    )
    model.add_argument(
        "--combine",
        default="convex",
        choices=COMBINE_RULES,
        help="how weighted sources combine: convex combination of per-source "
        "covariances, or pooled with the between-source term "
        "(default: %(default)s)",
    )
    rec = p.add_argument_group("recursion")
    rec.add_argument(
        "--n0",
        type=int,
        default=100,
        help="real sample size at generation 0 (default: %(default)s)",
    )
    rec.add_argument(
        "--schedule",
        default="constant:n=100",
        help="synthetic sample size n_synth(t) (default: %(default)s)",
    )
    rec.add_argument(
        "--n-real",
        default="0",
        help="fresh real sample size n_real(t) for t >= 1, a schedule; 0 is fully "
        "synthetic (default: 0)",
    )
    rec.add_argument(
        "--weight",
        default=None,
        help="weight w on fresh real data, in [0, 1], or 'proportional' "
        "(default: proportional, i.e. unweighted pooling)",
    )
    rec.add_argument(
        "--regime",
        default="replace",
        choices=REGIME_NAMES,
        help="how a generation's training set is formed (default: %(default)s)",
    )
    rec.add_argument(
        "--generations",
        type=int,
        default=100,
        help="recursive generations T after generation 0 (default: %(default)s)",
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--replications",
        type=int,
        default=1000,
        help="independent replications R (default: %(default)s)",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=None,
        help="root seed; the header shows the seed used when none is given",
    )
    run.add_argument(
        "--engine",
        default="exact",
        choices=ENGINES,
        help="exact: draw sufficient statistics (cost independent of n); sample: "
        "draw the data (default: %(default)s)",
    )
    run.add_argument(
        "--eps",
        type=float,
        default=0.05,
        help="collapse threshold: a replication has collapsed when sigma2 <= eps "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--record",
        default="auto",
        help="generations to record: auto, all, final or a comma list (default: %(default)s)",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--rows",
        type=int,
        default=11,
        help="generations shown in the table, evenly spaced (default: %(default)s)",
    )
    out.add_argument(
        "--format",
        default="table",
        choices=("table", "json"),
        help="stdout format: a readable table, or the summary as JSON (default: %(default)s)",
    )
    out.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="write the tidy per-replication table to FILE (.csv or .parquet)",
    )
    p.set_defaults(handler=_run_simulate)


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
    return parser


def _version() -> str:
    from .engine import _package_version

    return _package_version()


def _check_out(path: str) -> tuple[Path, str]:
    target = Path(path)
    kind = _OUT_FORMATS.get(target.suffix.lower())
    if kind is None:
        raise UsageError(f"--out: the file must end in .csv or .parquet (got {path!r})")
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError(
                "--out: writing Parquet needs pyarrow: pip install 'modelcollapse[parquet]' "
                f"(got {path!r})"
            ) from None
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--out: the directory {str(parent)!r} does not exist (got {path!r})")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--out: the file is not writable (got {path!r})")
    return target, kind


def _parse_record(text: str) -> str | list[int]:
    if text in ("auto", "all", "final"):
        return text
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise UsageError(
            f"--record: must be auto, all, final or a comma list of generations (got {text!r})"
        ) from None


_TABLE_COLUMNS = (
    ("sigma2", "mean", "E sigma2"),
    ("sigma2", "median", "median sigma2"),
    ("sigma2", "max", "max sigma2"),
    ("collapsed", "mean", "P(sigma2<=eps)"),
    ("mean_error", "mean", "E|mu-mu*|^2"),
    ("cov_error", "mean", "E|cov-cov*|^2"),
    ("kl", "median", "median KL"),
    ("risk", "mean", "E risk"),
)


def _table(result: SimulationResult, rows: int) -> str:
    gens = result.generations
    pick = np.unique(np.linspace(0, gens.size - 1, max(1, min(rows, gens.size))).round())
    shown = gens[pick.astype(int)]
    summary = result.summary()
    summary = summary[summary["generation"].isin(shown)]
    table = pd.DataFrame({"generation": shown})
    for metric, stat, label in _TABLE_COLUMNS:
        if metric in result.metric_names:
            values = summary[summary["metric"] == metric].set_index("generation")[stat]
            table[label.replace("eps", f"{result.eps:g}")] = values.reindex(shown).to_numpy()
    return table.to_string(index=False, float_format=lambda v: f"{v:.4g}")


def _header(result: SimulationResult) -> str:
    c = result.config
    fam = c["family"]
    lines = [
        f"{fam['family']} (d={fam['dim']}, variance={fam['variance']}, "
        f"combine={fam['combine']}), engine={c['engine']}, regime={c['regime']}",
        f"n0={c['n0']}, n_synth={c['schedule']}, n_real={c['n_real']}"
        + (f", w={c['weight']}" if c["weight"] is not None else "")
        + f", T={c['generations']}, R={c['replications']}, seed={c['seed']['entropy']}",
    ]
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _run_simulate(args: argparse.Namespace) -> int:
    target = _check_out(args.out) if args.out else None
    family = make_family(
        args.family,
        dim=args.dim,
        mu=args.mu,
        sigma2=args.sigma2,
        variance=args.variance,
        combine=args.combine,
    )
    result = simulate(
        family,
        n0=args.n0,
        schedule=args.schedule,
        generations=args.generations,
        replications=args.replications,
        seed=args.seed,
        engine=args.engine,
        n_real=args.n_real,
        weight=args.weight,
        regime=args.regime,
        record=_parse_record(args.record),
        eps=args.eps,
    )
    if args.format == "json":
        payload = {
            "config": result.config,
            "summary": result.summary().to_dict(orient="records"),
        }
        json.dump(_jsonable(payload), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(_header(result))
        print()
        print(_table(result, args.rows))
    if target is not None:
        path, kind = target
        frame = result.to_frame()
        tmp = path.with_name(path.name + ".part")
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        if args.format == "table":
            print(f"\nwrote {len(frame)} rows to {path}")
    return 0


def _option_name(message: str) -> str:
    """Prefix the argument named by a library error with ``--`` when it is a CLI option."""
    name, sep, rest = message.partition(":")
    if sep and name.isidentifier():
        return f"--{name.replace('_', '-')}:{rest}"
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modelcollapse`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except UsageError as err:
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
