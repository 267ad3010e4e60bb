"""``modelcollapse simulate``: one simulation from the command line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import TYPE_CHECKING, Any

from .._validation import check_int
from ..options import add_simulate_arguments, simulate_from_options
from ._common import COMMANDS, UsageError, _check_out, _jsonable

if TYPE_CHECKING:
    import numpy as np

    from ..results import SimulationResult


def _add_simulate(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help=COMMANDS["simulate"][2],
        description=(
            "Run R replications of a recursive-training simulation for T generations and print "
            "per-generation summaries. Generation 0 fits n0 real points; generation t draws "
            "n_synth(t) synthetic points from generation t-1's fit (plus n_real(t) fresh real "
            "points weighted w) and refits."
        ),
        epilog=(
            "Schedules: constant:n=100 | linear:n=100 | power:n0=100,s=0.5 | exp:n0=100,c=2 | "
            "tlog:n0=100,a=2 | two-phase:n=100,until=50,s=1 | list:100,200,400 | a bare "
            "integer.\n\n"
            "examples:\n"
            "  modelcollapse simulate --family gaussian --variance unbiased --n0 100 \\\n"
            "      --schedule constant:n=100 --generations 500 --replications 10000 \\\n"
            "      --seed 0 --engine exact\n"
            "  modelcollapse simulate --n-real 100 --weight optimal --generations 200 \\\n"
            "      --replications 2000 --seed 0 --theory"
        ),
    )
    add_simulate_arguments(p)
    out = p.add_argument_group("output")
    out.add_argument(
        "--rows",
        type=int,
        default=11,
        help="about this many generations shown in the table, at round generations (a step of "
        "1, 2 or 5 x 10^k), the last always included (default: %(default)s)",
    )
    out.add_argument(
        "--theory",
        action="store_true",
        help="put the theory's expected value beside each simulated mean where the library has "
        "one (exact, or labelled first-order), with the gap in Monte Carlo standard errors; "
        "one line names the metrics without theory",
    )
    out.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line on stderr (shown by default: the fraction done, the elapsed "
        "time and the time left)",
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
        help="write the tidy per-replication table to FILE (.csv or .parquet; a Parquet file "
        "also holds the configuration and provenance: pandas.read_parquet(FILE).attrs)",
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
    ("distinct_ngrams", "mean", "E n-grams"),
    ("vocabulary", "mean", "E words"),
    ("lost_mass", "mean", "E lost mass"),
    ("perplexity", "mean", "E perplexity"),
    ("context_error", "mean", "E context error"),
)


def _nice_step(span: int, rows: int) -> int:
    """The step ``1, 2 or 5 x 10^k`` whose multiples of ``[0, span]`` (plus ``span``) number
    closest to ``rows`` (the larger step on a tie)."""
    if rows <= 2 or span <= 1:
        return max(1, span)
    best: tuple[int, int] | None = None
    for k in range(int(math.log10(span)) + 2):
        for m in (1, 2, 5):
            step = m * 10**k
            count = span // step + 1 + (span % step != 0)
            key = (abs(count - rows), -step)
            if best is None or key < best:
                best = key
    assert best is not None
    return -best[1]


def _shown_generations(gens: np.ndarray, rows: int) -> np.ndarray:
    """About ``rows`` recorded generations at round values (multiples of :func:`_nice_step`,
    or the recorded generation nearest to each), always including the last."""
    import numpy as np

    last = int(gens[-1])
    if rows <= 1 or gens.size == 1:
        return gens[-1:]
    step = _nice_step(last - int(gens[0]), rows)
    targets = np.append(np.arange(0, last + 1, step), last)
    targets = targets[targets >= gens[0]]
    nearest = np.abs(gens[None, :] - targets[:, None]).argmin(axis=1)
    return np.unique(gens[nearest])


def _table(result: SimulationResult, rows: int) -> str:
    import pandas as pd

    shown = _shown_generations(result.generations, rows)
    summary = result.summary()
    summary = summary[summary["generation"].isin(shown)]
    table = pd.DataFrame({"generation": shown})
    generic = _is_generic(result)
    for metric, stat, label in _TABLE_COLUMNS:
        if metric in result.metric_names:
            values = summary[summary["metric"] == metric].set_index("generation")[stat]
            if generic and metric == "param_error":
                label = "E|theta-theta*|^2"
            table[label.replace("eps", f"{result.eps:g}")] = values.reindex(shown).to_numpy()
    return table.to_string(index=False, float_format=lambda v: f"{v:.4g}")


#: Labels of the simulated means beside which ``--theory`` puts the expected values.
_MEAN_LABELS = {
    "sigma2": "E sigma2",
    "collapsed": "P(sigma2<=eps)",
    "mean_error": "E|mu-mu*|^2",
    "cov_error": "E|cov-cov*|^2",
    "prob_error": "E prob error",
    "cells_lost": "E cells lost",
    "cdf_error": "E cdf error",
    "kl": "E KL",
    "risk": "E risk",
    "inflation": "E err_t/E err_0",
    "distinct_ngrams": "E n-grams",
    "vocabulary": "E words",
    "lost_mass": "E lost mass",
}


def _theory_table(result: SimulationResult, rows: int) -> str:
    """Each simulated mean with a theory, the expected value beside it (headed ``exact`` or
    ``first-order``), then the largest gap in standard errors and the metrics without theory."""
    import numpy as np
    import pandas as pd

    shown = _shown_generations(result.generations, rows)
    summary = result.summary(theory=True)
    summary = summary[summary["generation"].isin(shown) & summary["theory"].notna()]
    expected = result.theory()
    columns: list[tuple[str, Any]] = [("generation", shown)]
    gaps, sources = [], []
    heavy = False
    for metric in (*_MEAN_LABELS, *sorted(set(expected) - set(_MEAN_LABELS))):
        if metric not in expected:
            continue
        part = summary[summary["metric"] == metric].set_index("generation").reindex(shown)
        label = _MEAN_LABELS.get(metric, f"E {metric}").replace("eps", f"{result.eps:g}")
        if metric == "inflation":
            label = f"E {expected[metric].base} ratio"
        columns += [(label, part["mean"].to_numpy()), (expected[metric].kind, part["theory"])]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs(part["mean"] - part["theory"]) / part["se"]
        finite = z[np.isfinite(z)]
        big = bool(finite.size) and float(finite.max()) > 4
        heavy = heavy or (big and metric in ("sigma2", "cov_error", "kl", "risk"))
        worst = f"{finite.max():.1f}" if finite.size else "n/a"
        gaps.append(f"{label} {worst}")
        sources.append(f"{label}: {expected[metric].kind}, {expected[metric].source}")
    note = result.theory_note()
    if heavy and not np.any(result.n_real[1:] > 0):
        note = (note + "\n" if note else "") + (
            "without fresh data the means of sigma2, its error and KL are carried by rare "
            "replications at large t: their SE understates the gap (see P(sigma2<=eps))"
        )
    if len(columns) == 1:
        return note or "no theory for these metrics"
    table = pd.DataFrame({f"{i}": np.asarray(v) for i, (_, v) in enumerate(columns)})
    table.columns = [name for name, _ in columns]
    lines = [
        table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
        "",
        "|simulated - theory| / SE, largest over the rows shown: " + ", ".join(gaps),
        "theory: " + "; ".join(sources),
    ]
    if note:
        lines.append(note)
    return "\n".join(lines)


def _weight_text(result: SimulationResult) -> str:
    """The weight a run used: ``w=0.618 (optimal)``, ``w=0.5``, or for a weight that changes
    over generations ``w=greedy (0.5 at t=1 ... 0.618 at t=100)``."""
    import numpy as np

    name = str(result.config["weight"])
    fresh = result.n_real[1:] > 0
    used = result.weights[1:][fresh]
    if used.size == 0:
        return f"w={name}"
    try:
        float(name)
        numeric = True
    except ValueError:
        numeric = False
    if np.allclose(used, used[0], rtol=1e-12, atol=0.0):
        return f"w={used[0]:.4g}" + ("" if numeric else f" ({name})")
    t = np.flatnonzero(fresh) + 1
    return f"w={name} ({used[0]:.4g} at t={t[0]} ... {used[-1]:.4g} at t={t[-1]})"


def _is_generic(result: SimulationResult) -> bool:
    """Whether the run's family is a ``scipy:NAME`` family (its parameters are ``theta``)."""
    return str(result.config["family"].get("family", "")).startswith("scipy:")


def _family_text(described: dict[str, Any]) -> str:
    """``name (options)`` of a family's description (options left at None and the Gaussian's
    matrices left out); a scipy family's true parameters, the fixed ones marked:
    ``scipy:weibull_min (c=1.5, loc=0 fixed, scale=2)``."""
    fam = dict(described)
    name = fam.pop("family")
    if isinstance(fam.get("params"), dict):
        fixed = set(fam.get("fixed") or ())
        options = ", ".join(
            f"{k}={v:g}" + (" fixed" if k in fixed else "") for k, v in fam["params"].items()
        )
    else:
        options = ", ".join(
            f"{k}={v}" for k, v in fam.items() if k not in ("mean", "cov") and v is not None
        )
    return f"{name} ({options})"


def _header(result: SimulationResult) -> str:
    c = result.config
    engine = c["engine"] + (f" ({c['approximation']})" if "approximation" in c else "")
    lines = [
        f"{_family_text(c['family'])}, engine={engine}, regime={c['regime']}"
        + (f", shrinkage={c['shrinkage']}" if c.get("shrinkage") else ""),
        f"n0={c['n0']}, n_synth={c['schedule']}, n_real={c['n_real']}"
        + (f", {_weight_text(result)}" if c["weight"] is not None else "")
        + f", T={c['generations']}, R={c['replications']}, seed={c['seed']['entropy']}",
    ]
    return "\n".join(lines)


def _run_simulate(args: argparse.Namespace) -> int:
    check_int("rows", args.rows, minimum=1)
    target = _check_out(args.out) if args.out else None
    theory = bool(getattr(args, "theory", False))
    quiet = bool(getattr(args, "quiet", False))
    options = {k: v for k, v in vars(args).items() if k not in ("theory", "quiet")}
    result = simulate_from_options(options, progress=not quiet)
    return write_result(result, args.format, args.rows, theory, target)


def write_result(
    result: SimulationResult,
    fmt: str,
    rows: int,
    theory: bool,
    target: tuple[Any, str] | None,
) -> int:
    """Print a run as ``simulate`` does (a header and the table, with ``theory`` beside it; or
    JSON) and write its tidy table to ``target`` (``(path, "csv" | "parquet")``) atomically,
    the configuration and provenance in a Parquet file's attrs."""
    if fmt == "json":
        payload: dict[str, Any] = {
            "config": result.config,
            "summary": result.summary(theory=theory).to_dict(orient="records"),
        }
        if theory:
            payload["theory_note"] = result.theory_note()
        json.dump(_jsonable(payload), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(_header(result))
        print()
        print(_theory_table(result, rows) if theory else _table(result, rows))
    if target is not None:
        path, kind = target
        from ..provenance import provenance

        frame = result.to_frame()  # attrs: the configuration; Parquet keeps them, CSV cannot
        frame.attrs["provenance"] = provenance()
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
        if fmt == "table":
            print(f"\nwrote {len(frame)} rows to {path}")
    return 0
