"""``modelcollapse recurse``: a tabular generator refitted on its own rows."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import PROG, UsageError, _check_out_dir


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

    from ..data import load_adult

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
    from ..plots import new_figure
    from ..tabular import make_generator, recurse, summarise

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
