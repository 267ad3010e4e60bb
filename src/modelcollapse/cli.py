"""Command-line interface: ``modelcollapse simulate ...``.

User errors (a bad schedule, a size below the family's minimum, an unknown family, a weight
outside [0, 1], ...) exit with status 2 and one line on stderr naming the option, the value and
what is allowed.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ._validation import InvalidArgumentError, check_int
from .config import ConfigError
from .families.gaussian import VARIANCE_ESTIMATORS
from .options import add_simulate_arguments, check_options, parse_bias, simulate_from_options
from .random import as_seed_sequence
from .results import SimulationResult
from .theory.paper2 import CONSTANT_MODELS

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
            "tlog:n0=100,a=2 | two-phase:n=100,until=50,s=1 | list:100,200,400 | a bare "
            "integer. Example: modelcollapse simulate "
            "--family gaussian --variance unbiased --n0 100 --schedule constant:n=100 "
            "--generations 500 --replications 10000 --seed 0 --engine exact"
        ),
    )
    add_simulate_arguments(p)
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
    _add_experiments(sub)
    _add_theory(sub)
    _add_data(sub)
    _add_recurse(sub)
    _add_run(sub)
    _add_plan(sub)
    _add_report(sub)
    return parser


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
    from .report import build_report

    if args.only:
        from .experiments import get_experiment

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


def _add_plan(sub: Any) -> None:
    p = sub.add_parser(
        "plan",
        help="which schedule, which weight: recommendations from the theory",
        description="Recommend a synthetic schedule (paper 1) or a weight on real data "
        "(paper 2) from the closed forms; no simulation.",
    )
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=_Parser)
    sched = kinds.add_parser(
        "schedule",
        help="the cheapest growing schedule that meets a target",
        description="The cheapest power, exponential or two-phase schedule for T generations "
        "from n0 real points that meets one target, beside constant and linear schedules.",
    )
    sched.add_argument("--n0", type=int, required=True, help="real sample size at generation 0")
    sched.add_argument("--generations", type=int, required=True, help="horizon T")
    target = sched.add_mutually_exclusive_group(required=True)
    target.add_argument("--max-inflation", type=float, help="largest risk inflation 1 + r_T (> 1)")
    target.add_argument(
        "--target-win-probability",
        type=float,
        help="smallest probability Q_T that the generation-T fit beats the real-data fit "
        "(in (0, 0.5))",
    )
    target.add_argument(
        "--budget", type=float, help="synthetic samples available over the T generations"
    )
    sched.add_argument(
        "--dim", type=int, default=1, help="parameters compared by Q_T: 1 or 2 (default: 1)"
    )
    sched.add_argument(
        "--bias",
        metavar="BETA,GAMMA",
        default=None,
        help="biased variance estimator (1 + BETA n^-GAMMA): only schedules stable under it are "
        "recommended; write a negative BETA as --bias=-1,0.5",
    )
    sched.add_argument(
        "--variance",
        default="unbiased",
        choices=("unbiased", "mle"),
        help="variance estimator the bias multiplies (default: %(default)s)",
    )
    sched.add_argument("--format", default="table", choices=("table", "json"))
    sched.set_defaults(handler=_run_plan_schedule)
    weight = kinds.add_parser(
        "weight",
        help="the optimal weight on fresh real data",
        description="w* = (sqrt(k^2+4k) - k)/2 with k = n_real/n_synth, and the limiting error "
        "at w*, at naive pooling and with real data only (in the family's units with --family).",
    )
    weight.add_argument("--n-real", type=int, required=True, help="real points per generation")
    weight.add_argument(
        "--n-synth", type=int, required=True, help="synthetic points per generation"
    )
    weight.add_argument(
        "--family",
        default=None,
        choices=CONSTANT_MODELS,
        help="a model whose constant C gives the error in its units",
    )
    weight.add_argument("--dim", type=int, default=1, help="dimension of the model (default 1)")
    weight.add_argument("--sigma2", type=float, default=1.0, help="Gaussian/noise variance")
    weight.add_argument("--format", default="table", choices=("table", "json"))
    weight.set_defaults(handler=_run_plan_weight)


def _run_plan_schedule(args: argparse.Namespace) -> int:
    from .planner import plan_schedule

    plan = plan_schedule(
        args.n0,
        args.generations,
        max_inflation=args.max_inflation,
        target_win_probability=args.target_win_probability,
        budget=args.budget,
        dim=args.dim,
        bias=parse_bias(args.bias),
        variance=args.variance,
    )
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    best = plan.best
    print(
        f"recommended: {best['schedule']}  ({best['total_synthetic']:,} synthetic samples over "
        f"T = {args.generations}, inflation 1 + r_T = {best['inflation']:.4g}, "
        f"Q_T = {best['win_probability']:.4g}, {best['verdict']})"
    )
    columns = ["schedule", "total_synthetic", "inflation", "win_probability", "verdict"]
    print("\ncandidates (growing, meeting the target):")
    print(plan.candidates[columns].head(8).to_string(index=False, float_format="%.4g"))
    if len(plan.comparison):
        print("\nconstant and linear, for comparison:")
        print(plan.comparison[columns].to_string(index=False, float_format="%.4g"))
    return 0


def _model_params(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters of ``theory.model_constant`` for ``--family`` from ``--dim``,
    ``--sigma2`` and (categorical, where the command has it) ``--p``."""
    dim = 1 if args.dim is None else check_int("dim", args.dim, minimum=1)
    if args.family in ("gaussian-mean", "gaussian-covariance"):
        return {"cov": args.sigma2 * np.eye(dim)}
    if args.family == "gaussian-variance":
        return {"sigma2": args.sigma2}
    if args.family == "linear-random":
        return {"cov_x": np.eye(dim), "sigma2": args.sigma2}
    if args.family in ("logistic", "poisson-regression"):
        return {"beta": np.ones(dim)}
    if args.family == "categorical" and getattr(args, "p", None) is not None:
        try:
            return {"p": [float(v) for v in args.p.split(",")]}
        except ValueError:
            raise UsageError(
                f"--p: must be a comma list of probabilities (got {args.p!r})"
            ) from None
    if args.family == "linear-fixed":
        raise UsageError(
            "--family: linear-fixed needs a design matrix; use the Python API "
            "theory.model_constant (got 'linear-fixed')"
        )
    return {}


def _run_plan_weight(args: argparse.Namespace) -> int:
    from .planner import plan_weight

    params = {} if args.family is None else _model_params(args)
    plan = plan_weight(args.n_real, args.n_synth, args.family, **params)
    if args.format == "json":
        json.dump(_jsonable(plan.to_dict()), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    print(
        f"k = n_real/n_synth = {plan.k:.4g}: optimal weight w* = {plan.optimal_weight:.4f} "
        f"(naive pooling {plan.naive_weight:.4f})"
        + ("" if plan.constant is None else f"; {plan.family}: C = {plan.constant:.4g}")
    )
    print(plan.table().to_string(index=False, float_format="%.4g"))
    return 0


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a simulation or a sweep described in a TOML configuration file",
        description=(
            "Run the simulation or the sweep of CONFIG (TOML). Top-level keys are the options "
            "of 'simulate' with underscores (--n-real is n_real); a [sweep] table with a "
            "[sweep.grid] of lists runs every combination into a resumable result store. "
            "See docs/sweeps.md."
        ),
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
    from .config import load_config
    from .sweep import run_sweep

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
    from .experiments import experiment_ids, get_experiment

    for experiment_id in experiment_ids():
        e = get_experiment(experiment_id)
        print(f"{e.id:28s} {e.figure:34s} {e.title}")
    return 0


def _check_out_dir(path: str) -> Path:
    """``--out`` as a directory to be created later: an error now if it cannot be (a file, a
    symbolic link loop or one to a missing target on the way, no write permission), so that no
    command computes before finding out."""
    out = Path(path)
    for part in (out, *out.parents):
        try:
            os.stat(part)
        except OSError as err:
            if err.errno == errno.ENOENT and not os.path.islink(part):
                continue  # created later
            reason = "a symbolic link to a missing target" if err.errno == errno.ENOENT else None
            raise UsageError(
                f"--out: cannot create the directory ({reason or err.strerror}) (got {path!r})"
            ) from None
        existing = part
        break
    else:
        existing = Path(".")
    if existing == out and not out.is_dir():
        raise UsageError(f"--out: must be a directory (got {path!r})")
    if not existing.is_dir():
        raise UsageError(f"--out: cannot create the directory (Not a directory) (got {path!r})")
    if not os.access(existing, os.W_OK):
        raise UsageError(f"--out: the directory is not writable (got {path!r})")
    return out


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
    from .experiments import experiment_ids, get_experiment, run_experiment

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


def _add_data(sub: Any) -> None:
    p = sub.add_parser(
        "data",
        help="the datasets shipped with the package",
        description="Describe a dataset shipped with the package (no download).",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    info = actions.add_parser(
        "info",
        help="rows, columns and category counts of a shipped dataset",
        description="Print the rows, the columns with their types and ranges, and the rows per "
        "category of each categorical column.",
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
    from .data import dataset_info

    if args.top is not None and args.top < 1:
        raise UsageError(f"--top: must be an integer >= 1 (got {args.top})")
    print(dataset_info(args.name, cleaning=args.cleaning, top=args.top))
    return 0


_THEORY_QUANTITIES = (
    "collapse-probability",
    "win-probability",
    "moments",
    "schedule",
    "optimal-weight",
    "limiting-error",
)
#: Paper-2 models whose exact finite-n limiting error is known, by their ``--family`` name.
_EXACT_MODELS = {
    "gaussian-mean": "mean",
    "gaussian-variance": "variance",
    "gaussian-covariance": "covariance",
    "cdf": "cdf",
    "categorical": "categorical",
}


def _add_recurse(sub: Any) -> None:
    p = sub.add_parser(
        "recurse",
        help="recursive training of a tabular generator on your own table",
        description="Fit a fresh generator each generation to the previous generator's rows "
        "(and fresh real rows, weighted, with --n-real), and write the per-generation metrics "
        "(metrics.csv: one row per replication and generation; summary.csv: means) and a "
        "figure (recurse.png) to --out.",
    )
    p.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="a CSV or Parquet file (.csv, .parquet, .pq), or 'adult' for the shipped Adult data",
    )
    p.add_argument("--columns", default=None, help="comma-separated columns to keep (default: all)")
    p.add_argument(
        "--generator",
        default="copula",
        help="copula (numeric and categorical columns; the default), gmm or kde (numeric "
        "columns only; need scikit-learn)",
    )
    p.add_argument("--n-components", type=int, default=3, help="mixture components (gmm)")
    p.add_argument(
        "--bandwidth", default="scott", help="kernel bandwidth in standard deviations (kde)"
    )
    p.add_argument("--n0", type=int, required=True, help="real rows at generation 0")
    p.add_argument(
        "--schedule", default=None, help="synthetic rows per generation (default: constant n0)"
    )
    p.add_argument("--generations", type=int, default=10, help="generations after generation 0")
    p.add_argument("--n-real", default="0", help="fresh real rows per generation (default 0)")
    p.add_argument(
        "--weight",
        default=None,
        help="weight on the real rows: a number, proportional, optimal or greedy (with --n-real)",
    )
    p.add_argument("--replications", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-rows", type=int, default=2000, help="rows sampled to measure a fit")
    p.add_argument("--holdout", type=float, default=0.2, help="fraction of rows held out")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.set_defaults(handler=_run_recurse)


def _read_table(path: str) -> Any:
    import pandas as pd

    from .data import load_adult

    if path == "adult":
        return load_adult()
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--data: no such file: {path}")
    suffix = file.suffix.lower()
    try:
        if suffix == ".csv":
            table = pd.read_csv(file)
        elif suffix in (".parquet", ".pq"):
            table = pd.read_parquet(file)
        else:
            raise UsageError(f"--data: must end in .csv, .parquet or .pq (got {file.name})")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, ValueError, OSError) as err:
        problem = " ".join(str(err).split())
        raise UsageError(f"--data: cannot read {file.name} as a table: {problem}") from None
    if table.shape[1] == 0 or len(table) == 0:
        raise UsageError(f"--data: {file.name} holds an empty table")
    return table


def _run_recurse(args: argparse.Namespace) -> int:
    written: list[Path] = []
    try:
        return _recurse(args, written)
    except KeyboardInterrupt:
        where = (
            f"the outputs were written to {written[0]}"
            if written
            else "nothing was written (an earlier output is left as it was)"
        )
        print(f"{PROG} recurse: interrupted; {where}", file=sys.stderr)
        return 130


#: The files ``recurse`` writes into ``--out``.
_RECURSE_FILES = ("metrics.csv", "summary.csv", "recurse.png")


def _recurse(args: argparse.Namespace, written: list[Path]) -> int:
    """``recurse``; appends ``--out`` to ``written`` once its files are in place."""
    from .plots import new_figure
    from .tabular import make_generator, recurse, summarise

    table = _read_table(args.data)
    if args.columns:
        wanted = [c.strip() for c in args.columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in table.columns]
        if unknown:
            raise UsageError(f"--columns: not in the table: {', '.join(unknown)}")
        twice = sorted({c for c in wanted if wanted.count(c) > 1})
        if twice:
            raise UsageError(
                f"--columns: names {', '.join(twice)} more than once; name each column once "
                f"(got {args.columns!r})"
            )
        table = table[wanted]
    options: dict[str, Any] = {}
    if args.generator == "gmm":
        options["n_components"] = args.n_components
    elif args.generator == "kde":
        try:
            options["bandwidth"] = float(args.bandwidth)
        except ValueError:
            options["bandwidth"] = args.bandwidth
    factory = make_generator(args.generator, **options)
    out = _check_out_dir(args.out)
    blocked = [name for name in _RECURSE_FILES if (out / name).is_dir()]
    if blocked:
        raise UsageError(
            f"--out: {', '.join(blocked)} in it is a directory, not a file (got {args.out!r})"
        )
    frame = recurse(
        table,
        factory,
        n0=args.n0,
        schedule=args.schedule if args.schedule is not None else args.n0,
        generations=args.generations,
        n_real=args.n_real,
        weight=args.weight,
        replications=args.replications,
        seed=args.seed,
        eval_rows=args.eval_rows,
        holdout=args.holdout,
        progress=lambda line: print(line, file=sys.stderr),
    )
    mean = summarise(frame)
    groups = [
        ("wasserstein[", "Wasserstein-1 / sd (numeric columns)", "distance (column sd units)"),
        ("var_ratio[", "variance ratio (numeric columns)", "variance / real variance (ratio)"),
        ("tv[", "total variation (categorical columns)", "distance (probability)"),
        ("lost[", "categories lost", "categories lost (categories)"),
    ]
    present = [g for g in groups if any(c.startswith(g[0]) for c in mean.columns)]
    fig, axes = new_figure(max(1, len(present)))
    for ax, (prefix, title, ylabel) in zip(axes, present, strict=False):
        for column in (c for c in mean.columns if c.startswith(prefix)):
            ax.plot(mean.index, mean[column], label=column[len(prefix) : -1])
        ax.set(xlabel="generation t", ylabel=ylabel, title=title)
        ax.legend(fontsize=7)
    _write_folder(
        out,
        {
            "metrics.csv": lambda path: frame.to_csv(path, index=False),
            "summary.csv": lambda path: mean.to_csv(path),
            "recurse.png": lambda path: fig.savefig(path, dpi=110),
        },
        written,
    )
    last = mean.iloc[-1]
    print(
        f"{args.generator}, {len(table):,} rows x {table.shape[1]} columns, "
        f"{args.replications} replication(s), {args.generations} generations -> {out}"
    )
    shown = [c for c in mean.columns if c.split("[")[0] in ("wasserstein", "tv", "lost")]
    shown += [c for c in ("corr_distance", "heldout_loglik") if c in mean.columns]
    for column in shown:
        print(
            f"  {column:<40} generation 0: {mean[column].iloc[0]:.4g}   "
            f"generation {int(mean.index[-1])}: {last[column]:.4g}"
        )
    return 0


def _write_folder(out: Path, files: dict[str, Any], written: list[Path]) -> None:
    """Write ``files`` (name -> function writing that file at a path) into the folder ``out``
    all or nothing: into a temporary folder beside it first, then moved into place with Ctrl-C
    held back, so an interruption or an error leaves no partial folder and never half-replaces
    an earlier output (files of ``out`` that are not among ``files`` are kept). ``out`` is
    appended to ``written`` once the files are in place."""
    import shutil
    import signal
    import tempfile

    base = next((p for p in (out.parent, *out.parent.parents) if p.exists()), Path("."))
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=base))
    try:
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)  # the permissions of a folder made by mkdir
        for name, write in files.items():
            write(tmp / name)
        block = getattr(signal, "pthread_sigmask", None)
        if block is not None:
            block(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            if out.is_dir():
                for name in files:
                    os.replace(tmp / name, out / name)
                tmp.rmdir()
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                os.rename(tmp, out)
            written.append(out)
        finally:
            if block is not None:
                block(signal.SIG_UNBLOCK, {signal.SIGINT})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _add_theory(sub: Any) -> None:
    p = sub.add_parser(
        "theory",
        help="closed-form predictions of paper 1 (no simulation)",
        description=(
            "Closed forms for the fully synthetic Gaussian recursion, with the option names of "
            "'simulate'. Prints the value at generation T, or a table with --every K."
        ),
    )
    p.add_argument(
        "quantity",
        choices=_THEORY_QUANTITIES,
        help="collapse-probability: exact P(sigma2_T <= eps); win-probability: "
        "P(|theta_T - theta*| < |theta_0 - theta*|); moments: E and Var of "
        "sigma2_t, Var mu_t, E and Var of log sigma2_t, E KL; schedule: sum "
        "1/n_t, its limit, the collapse verdict, total samples, inflation",
    )
    p.add_argument(
        "--n0",
        type=int,
        default=100,
        help="real sample size at generation 0 (default: %(default)s)",
    )
    p.add_argument(
        "--schedule",
        default="constant:n=100",
        help="synthetic sample size n_synth(t) (default: %(default)s)",
    )
    p.add_argument(
        "--generations", type=int, default=100, help="generations T (default: %(default)s)"
    )
    p.add_argument(
        "--variance",
        default="unbiased",
        choices=VARIANCE_ESTIMATORS,
        help="variance estimator (default: %(default)s)",
    )
    p.add_argument("--sigma2", type=float, default=1.0, help="true variance (default: 1)")
    p.add_argument(
        "--eps",
        type=float,
        default=0.05,
        help="collapse threshold for collapse-probability (default: %(default)s)",
    )
    p.add_argument(
        "--bias",
        default=None,
        metavar="BETA,GAMMA",
        help="biased variance estimator: estimates multiplied by 1 + BETA n^-GAMMA",
    )
    p.add_argument(
        "--shrinkage", default=None, help="multiplicative shrinkage: a number or shrink:delta=D,p=P"
    )
    p.add_argument(
        "--method",
        default="plug-in",
        choices=("plug-in", "exact", "independent"),
        help="win-probability: plug-in arctan form, exact conditional form for the "
        "Gaussian mean (Monte Carlo over variance paths), or against an "
        "independent real fit (default: %(default)s)",
    )
    p.add_argument(
        "--dim",
        type=int,
        default=1,
        help="number of parameters d: win-probability plug-in, and the dimension for "
        "limiting-error families (default: 1)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=100_000,
        help="win-probability exact: variance paths (default: %(default)s)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="win-probability exact: seed (default: %(default)s)"
    )
    p.add_argument(
        "--every",
        type=int,
        default=None,
        metavar="K",
        help="print a table at t = 0, K, 2K, ..., T instead of the value at T",
    )
    p.add_argument(
        "--format",
        default="table",
        choices=("table", "json"),
        help="stdout format (default: %(default)s)",
    )
    two = p.add_argument_group("paper 2 (optimal-weight, limiting-error)")
    two.add_argument(
        "--k", type=float, default=1.0, help="k = n_real / n_synth (default: %(default)s)"
    )
    two.add_argument(
        "--w",
        type=float,
        default=None,
        help="limiting-error: weight on real data (default: the optimal w*(k))",
    )
    two.add_argument(
        "--n",
        type=int,
        default=100,
        help="limiting-error: real sample size n per generation (default: "
        "%(default)s); the synthetic size is round(n / k)",
    )
    two.add_argument(
        "--family",
        default=None,
        choices=CONSTANT_MODELS,
        help="limiting-error: the model whose constant C gives the error in its "
        "units, C R(w, k) / n (with --dim, --sigma2, --p)",
    )
    two.add_argument(
        "--p",
        default=None,
        help="categorical: cell probabilities as a comma list (default 0.5,0.5)",
    )
    p.set_defaults(handler=_run_theory)


def _run_theory(args: argparse.Namespace) -> int:
    if args.quantity in ("optimal-weight", "limiting-error"):
        return _run_weight_theory(args)
    try:
        return _run_schedule_theory(args)
    except InvalidArgumentError as err:  # the theory's n_synth is the command's --schedule
        message = str(err)
        if message.startswith("n_synth:"):
            raise InvalidArgumentError("schedule:" + message[len("n_synth:") :]) from None
        raise


def _run_schedule_theory(args: argparse.Namespace) -> int:
    from . import theory
    from ._validation import check_int
    from .schedules import parse_schedule, parse_shrinkage
    from .theory._common import check_horizon, check_paths

    schedule = parse_schedule(args.schedule, "schedule")
    T = check_int("generations", args.generations, minimum=0)
    check_horizon(T)  # before the sizes of the horizon are made
    if args.quantity == "win-probability" and args.method == "exact":
        check_paths(check_int("replications", args.replications, minimum=2), T)
    sizes = schedule.sizes(T)
    if args.every is not None:
        every = check_int("every", args.every, minimum=1)
        gens = np.unique(np.append(np.arange(0, T + 1, every), T))
    else:
        gens = np.array([T])
    chain = {
        "bias": parse_bias(args.bias),
        "shrinkage": None if args.shrinkage is None else parse_shrinkage(args.shrinkage),
    }
    base = (args.n0, sizes, args.variance)
    columns: dict[str, Any]
    header: dict[str, Any] = {}
    if args.quantity == "collapse-probability":
        p = theory.collapse_probability(
            *base[:2], args.eps, args.variance, args.sigma2, generations=gens, **chain
        )
        columns = {"collapse_probability": p}
    elif args.quantity == "win-probability":
        if args.method == "exact":
            q, se = theory.win_probability_exact(*base, args.replications, args.seed, **chain)
            columns = {"win_probability": q[gens], "se": se[gens]}
        else:
            if chain["bias"] is not None or chain["shrinkage"] is not None:
                raise UsageError("--bias/--shrinkage: only the exact win probability models them")
            if args.method == "plug-in":
                q = theory.win_probability_plugin(args.n0, sizes, args.dim)
            else:
                q = theory.win_probability_independent(args.n0, sizes)
            columns = {"win_probability": q[gens]}
    elif args.quantity == "moments":
        e_s2, v_s2 = theory.gaussian_variance_moments(*base, args.sigma2, **chain)
        e_log, v_log = theory.gaussian_log_variance_moments(*base, args.sigma2, **chain)
        var_mu = theory.gaussian_mean_variance(*base, args.sigma2, **chain)
        columns = {
            "E_sigma2": e_s2[gens],
            "Var_sigma2": v_s2[gens],
            "Var_mu": var_mu[gens],
            "E_log_sigma2": e_log[gens],
            "Var_log_sigma2": v_log[gens],
            "E_KL": theory.gaussian_expected_kl(*base, **chain)[gens],
        }
    else:
        harmonic = np.concatenate([[0.0], theory.harmonic_sum(sizes)]) if T else np.zeros(1)
        total = np.concatenate([[0], np.cumsum(sizes)])
        beta, gamma = (None, 1.0) if chain["bias"] is None else chain["bias"]
        limit = theory.harmonic_limit(schedule)
        header = {
            "schedule": str(schedule),
            "sum_inv_n_limit": "unknown" if limit is None else limit,
            "verdict": theory.collapse_verdict(schedule, gamma, beta, args.variance),
        }
        columns = {
            "n_synth": np.concatenate([[args.n0], sizes])[gens],
            "sum_inv_n": harmonic[gens],
            "total_synthetic_samples": total[gens],
            "risk_inflation": theory.risk_inflation(args.n0, sizes)[gens],
            "win_probability_plugin": theory.win_probability_plugin(args.n0, sizes)[gens],
        }
    return _print_theory(args, gens, columns, header)


def _run_weight_theory(args: argparse.Namespace) -> int:
    from . import theory

    k = args.k
    w_star = float(theory.optimal_weight(k))
    naive = float(theory.naive_weight(k))
    if args.quantity == "optimal-weight":
        values: dict[str, Any] = {
            "k": k,
            "optimal_weight": w_star,
            "naive_weight": naive,
            "R_optimal": float(theory.limiting_ratio(w_star, k)),
            "R_naive": float(theory.limiting_ratio(naive, k)),
            "R_real_only": 1.0,
            "naive_over_optimal": float(theory.limiting_ratio(naive, k) / w_star),
        }
    else:
        w = w_star if args.w is None else args.w
        values = {"k": k, "w": w, "R": float(theory.limiting_ratio(w, k))}
        if args.family is not None:
            from ._validation import check_int

            n = check_int("n", args.n, minimum=2)
            m = max(2, round(n / k))
            params = _model_params(args)
            c = theory.model_constant(args.family, **params)
            values.update(
                {
                    "family": args.family,
                    "C": c,
                    "n": n,
                    "m": m,
                    "error_asymptotic": c * values["R"] / n,
                    "error_real_only": c / n,
                }
            )
            if args.family in _EXACT_MODELS:
                exact_params = dict(params)
                if args.family == "gaussian-mean":
                    exact_params = {"trace": float(np.trace(params["cov"]))}
                model = _EXACT_MODELS[args.family]
                values["error_exact"] = float(
                    theory.exact_limiting_error(model, w, n, m, **exact_params)
                )
                values["argmin_exact"] = theory.exact_optimal_weight(model, n, m, **exact_params)
    if args.format == "json":
        json.dump(_jsonable(values), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
    else:
        width = max(len(key) for key in values)
        for key, value in values.items():
            text = f"{value:.10g}" if isinstance(value, float) else str(value)
            print(f"{key:{width}s}  {text}")
    return 0


def _print_theory(
    args: argparse.Namespace, gens: np.ndarray, columns: dict[str, Any], header: dict[str, Any]
) -> int:
    frame = pd.DataFrame({"generation": gens, **{k: np.asarray(v) for k, v in columns.items()}})
    if args.format == "json":
        payload = {"quantity": args.quantity, **header, "values": frame.to_dict(orient="records")}
        json.dump(_jsonable(payload), sys.stdout, indent=1, default=float)
        sys.stdout.write("\n")
        return 0
    for key, value in header.items():
        print(f"{key}: {value}")
    if args.every is None and len(columns) == 1:
        print(f"{float(next(iter(columns.values()))[0]):.10g}")
    else:
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    return 0


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
    if target.is_dir():
        raise UsageError(f"--out: is a directory, not a file (got {path!r})")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--out: the directory {str(parent)!r} does not exist (got {path!r})")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--out: the file is not writable (got {path!r})")
    return target, kind


_TABLE_COLUMNS = (
    ("sigma2", "mean", "E sigma2"),
    ("sigma2", "median", "median sigma2"),
    ("sigma2", "max", "max sigma2"),
    ("collapsed", "mean", "P(sigma2<=eps)"),
    ("mean_error", "mean", "E|mu-mu*|^2"),
    ("cov_error", "mean", "E|cov-cov*|^2"),
    ("prob_error", "mean", "E prob error"),
    ("cells_lost", "mean", "E cells lost"),
    ("param_error", "mean", "E|beta-beta*|^2"),
    ("fit_failed", "mean", "P(fit failed)"),
    ("cdf_error", "mean", "E cdf error"),
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
    fam = dict(c["family"])
    name = fam.pop("family")
    options = ", ".join(f"{k}={v}" for k, v in fam.items() if k not in ("mean", "cov"))
    engine = c["engine"] + (f" ({c['approximation']})" if "approximation" in c else "")
    lines = [
        f"{name} ({options}), engine={engine}, regime={c['regime']}"
        + (f", shrinkage={c['shrinkage']}" if c.get("shrinkage") else ""),
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
    check_int("rows", args.rows, minimum=1)
    target = _check_out(args.out) if args.out else None
    result = simulate_from_options(vars(args))
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
        try:
            if kind == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"--out: cannot write {path} ({err.strerror or err})") from None
        if args.format == "table":
            print(f"\nwrote {len(frame)} rows to {path}")
    return 0


def _option_name(message: str) -> str:
    """Prefix the argument named by a library error with ``--`` when it is a CLI option."""
    name, sep, rest = message.partition(":")
    if sep and name.split(" ")[0].isidentifier():
        return f"--{name.replace('_', '-')}:{rest}"
    return message


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
