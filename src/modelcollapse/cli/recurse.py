"""``modelcollapse recurse``: a tabular generator refitted on its own rows."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ._common import COMMANDS, PROG, UsageError, _check_out_dir


def _add_recurse(sub: Any) -> None:
    p = sub.add_parser(
        "recurse",
        help=COMMANDS["recurse"][2],
        description="Fit a fresh generator each generation to the previous generator's rows "
        "(and fresh real rows, weighted, with --n-real), and write the per-generation metrics "
        "(metrics.csv: one row per replication and generation; summary.csv: means) and a "
        "figure (recurse.png: the mean over replications with a 10-90% band) to --out. Real "
        "rows are drawn with replacement from the table's training rows (those not held out), "
        "so --n0 and --n-real may exceed them; a note on stderr says when they do. A progress "
        "line on stderr follows the replications and generations (--quiet: none).",
        epilog="examples:\n"
        "  modelcollapse recurse --data adult --columns age,hours-per-week --n0 1000 \\\n"
        "      --generations 5 --out recurse-out\n"
        "  modelcollapse recurse --data my_table.csv --n0 500 --n-real 500 \\\n"
        "      --weight optimal --generations 10 --replications 3 --out recurse-mixed",
    )
    p.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="a CSV or Parquet file (.csv, .parquet, .pq), or 'adult' for the shipped Adult "
        "data (required)",
    )
    p.add_argument("--columns", default=None, help="comma-separated columns to keep (default: all)")
    p.add_argument(
        "--generator",
        default="copula",
        help="copula (numeric and categorical columns), gmm or kde (numeric columns only; need "
        "scikit-learn) (default: %(default)s)",
    )
    p.add_argument(
        "--n-components",
        type=int,
        default=3,
        help="mixture components (gmm) (default: %(default)s)",
    )
    p.add_argument(
        "--bandwidth",
        default="scott",
        help="kernel bandwidth in standard deviations, or scott or silverman (kde) "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--n0",
        type=int,
        required=True,
        help="real rows at generation 0, drawn with replacement from the training rows (required)",
    )
    p.add_argument(
        "--schedule",
        default=None,
        help="synthetic rows per generation, a schedule such as constant:n=500 or "
        "power:n0=100,s=1 (default: constant, --n0 rows)",
    )
    p.add_argument(
        "--generations",
        type=int,
        default=10,
        help="generations after generation 0 (default: %(default)s)",
    )
    p.add_argument(
        "--n-real",
        default="0",
        help="fresh real rows per generation: a number or a schedule (default: %(default)s, "
        "fully synthetic)",
    )
    p.add_argument(
        "--weight",
        default=None,
        help="weight on the real rows (with --n-real): a number in [0, 1], proportional, "
        "optimal, naive or greedy (default: unweighted pooling)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=1,
        help="independent recursions, one after another (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="root seed; each replication gets a seed of its own from it (default: %(default)s)",
    )
    p.add_argument(
        "--eval-rows",
        type=int,
        default=2000,
        help="rows sampled from each generation's generator to measure it (default: %(default)s)",
    )
    p.add_argument(
        "--holdout",
        type=float,
        default=0.2,
        help="fraction of the table's rows held out from training, for heldout_loglik "
        "(default: %(default)s)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (required)")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line on stderr (default: a progress line)",
    )
    p.set_defaults(handler=_run_recurse)


def _read_table(path: str) -> Any:
    import pandas as pd

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
    from .._progress import Progress
    from ..tabular import make_generator, recurse, summarise, summarise_bands

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
    note = _resampling_note(args, len(table))
    with Progress(
        "recurse",
        args.replications * (args.generations + 1),
        enabled=not args.quiet,
        unit="generations",
    ) as bar:
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
            on_generation=lambda rep, t: _advance(bar, rep, t, args.replications, note),
        )
    mean = summarise(frame)
    low, high = summarise_bands(frame, 0.1, 0.9)
    fig = _figure(mean, low, high, args.replications)
    _write_folder(
        out,
        {
            "metrics.csv": lambda path: frame.to_csv(path, index=False),
            "summary.csv": lambda path: mean.to_csv(path),
            "recurse.png": lambda path: fig.savefig(path, dpi=110),
        },
        written,
    )
    print(
        f"{args.generator}, {len(table):,} rows x {table.shape[1]} columns, "
        f"{args.replications} replication(s), {args.generations} generations -> {out}"
    )
    shown = [c for c in mean.columns if c.split("[")[0] in ("wasserstein", "tv", "lost")]
    shown += [c for c in ("corr_distance", "heldout_loglik") if c in mean.columns]
    print(_summary_table(mean, shown))
    return 0


def _summary_table(mean: Any, shown: list[str]) -> str:
    """The metrics ``shown`` at the first and the last generation, mean over replications, in
    aligned columns."""
    last = int(mean.index[-1])
    rows = [("metric (mean over replications)", "generation 0", f"generation {last}")]
    rows += [(c, f"{mean[c].iloc[0]:.4g}", f"{mean[c].iloc[-1]:.4g}") for c in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"  {a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}".rstrip() for a, b, c in rows
    )


def _advance(bar: Any, rep: int, t: int, replications: int, note: str) -> None:
    """Feed the progress line after generation ``t`` of replication ``rep``; the resampling
    note first, once the recursion has checked its options (shown even with --quiet)."""
    if note and rep == 0 and t == 0:
        line = f"{PROG} recurse: note: {note}"
        if bar.enabled:
            bar.message(line)
        else:
            print(line, file=sys.stderr, flush=True)
    bar.advance(note=f"replication {rep + 1}/{replications}, generation {t}")


def _resampling_note(args: argparse.Namespace, rows: int) -> str:
    """A note when --n0 or --n-real asks for more real rows than the training rows: they are
    drawn with replacement, so rows repeat (empty when neither does, or when an option is
    invalid: the recursion reports that)."""
    from .._validation import InvalidArgumentError
    from ..schedules import parse_schedule
    from ..tabular import training_rows

    if not 0.0 <= args.holdout <= 0.9 or args.generations < 0:
        return ""
    train = training_rows(rows, args.holdout)
    try:
        most_real = int(
            parse_schedule(args.n_real, "n_real").sizes(args.generations).max(initial=0)
        )
    except InvalidArgumentError:
        most_real = 0
    asked = [f"--n0 {args.n0:,}"] if args.n0 > train else []
    if most_real > train:
        asked.append(f"--n-real {most_real:,}")
    if not asked:
        return ""
    held = f" ({rows:,} rows, {args.holdout:.0%} held out)" if train != rows else ""
    verb = "exceeds" if len(asked) == 1 else "exceed"
    return (
        f"{' and '.join(asked)} {verb} the {train:,} training rows{held}: real rows are drawn "
        "with replacement, so some repeat"
    )


def _figure(mean: Any, low: Any, high: Any, replications: int) -> Any:
    """recurse.png: a panel per group of metrics, each column's mean over replications and,
    with several replications, the band from their 10% to their 90% quantile."""
    from matplotlib.ticker import MaxNLocator

    from ..plots import new_figure

    groups = [
        ("wasserstein[", "Wasserstein-1 / sd (numeric columns)", "distance (column sd units)"),
        ("var_ratio[", "variance ratio (numeric columns)", "variance / real variance (ratio)"),
        ("tv[", "total variation (categorical columns)", "distance (probability)"),
        ("lost[", "categories lost", "categories lost (count)"),
    ]
    present = [g for g in groups if any(c.startswith(g[0]) for c in mean.columns)]
    fig, axes = new_figure(max(1, len(present)))
    band = replications > 1
    for ax, (prefix, title, ylabel) in zip(axes, present, strict=False):
        for column in (c for c in mean.columns if c.startswith(prefix)):
            (line,) = ax.plot(mean.index, mean[column], label=column[len(prefix) : -1])
            if band:
                ax.fill_between(
                    mean.index,
                    low[column],
                    high[column],
                    color=line.get_color(),
                    alpha=0.2,
                    linewidth=0,
                )
        if band:
            ax.fill_between(
                [],
                [],
                [],
                color="grey",
                alpha=0.3,
                linewidth=0,
                label=f"10-90% of {replications} replications",
            )
        ax.set(xlabel="generation t", ylabel=ylabel, title=title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        ax.legend(fontsize=7, title="mean over replications" if band else None, title_fontsize=7)
    return fig


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
