"""``modelcollapse simulate``: one simulation from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_int
from ..options import add_simulate_arguments, simulate_from_options
from ..results import SimulationResult
from ._common import UsageError, _check_out, _jsonable


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
