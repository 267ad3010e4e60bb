"""Wall time of the registered reproductions at paper scale.

    python benchmarks/bench_reproduce.py [--quick] [--workers N] [--only ID ...] [--no-write]
    python benchmarks/bench_reproduce.py --from DIR [--only ID ...]   # a finished `reproduce`

Runs each experiment once (or reads the ``meta.json`` files of a finished
``modelcollapse reproduce`` run) and writes a section of BENCHMARKS.md named after the papers
covered (``xu2025``, ``he2025``, ...).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench_engine import machine, publish

from modelcollapse.experiments import experiment_ids, get_experiment, run_experiment
from modelcollapse.experiments.verdicts import headline, tally


def _counts(counts: dict[str, int]) -> str:
    """``agree / disagree / not informative`` (``-`` when the kind has no verdict)."""
    if not sum(counts.values()):
        return "-"
    return f"{counts['agree']} / {counts['disagree']} / {counts['not_informative']}"


def _row(meta: dict) -> str:
    c = tally(meta["verdicts"])
    theory = f"{c['theory']['agree']}" + (
        f" ({c['theory']['disagree']} fail)" if c["theory"]["disagree"] else ""
    )
    return (
        f"| `{meta['id']}` | {get_experiment(meta['id']).figure} | "
        f"{meta['replications']:,} | {meta.get('workers', 1)} | {meta['wall_time_s']:.1f} | "
        f"{_counts(c['simulation'])} | {_counts(c['approximation'])} | {theory} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick scale instead of paper")
    parser.add_argument("--workers", type=int, default=1, help="processes per experiment")
    parser.add_argument("--only", nargs="*", default=None, help="experiment ids (default: all)")
    parser.add_argument(
        "--from",
        dest="source",
        default=None,
        help="read meta.json files from a finished reproduce output directory",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    ids = list(args.only) if args.only else list(experiment_ids())
    metas = []
    if args.source:
        for experiment_id in ids:
            path = Path(args.source) / experiment_id / "meta.json"
            if path.exists():
                metas.append(json.loads(path.read_text()))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for experiment_id in ids:
                target = run_experiment(
                    experiment_id, tmp, quick=args.quick, progress=False, workers=args.workers
                )
                metas.append(json.loads((target / "meta.json").read_text()))
    if not metas:
        raise SystemExit("no experiment results found")
    group = "-".join(sorted({m["id"].split("-")[0] for m in metas}))
    start, end = f"<!-- bench_reproduce:{group}:start -->", f"<!-- bench_reproduce:{group}:end -->"
    scale = "quick" if any(m["quick"] for m in metas) else "paper"
    total = sum(m["wall_time_s"] for m in metas)
    source = " (from the `meta.json` of `modelcollapse reproduce`)" if args.source else ""
    section = "\n".join(
        [
            start,
            f"## Reproductions ({group}) at {scale} scale",
            "",
            f"`python benchmarks/bench_reproduce.py` on {time.strftime('%Y-%m-%d')}{source}. "
            f"Machine: {machine()}.",
            "",
            "Verdicts by kind: simulation and approximation tests as agree / disagree / not "
            "informative at this scale; theory statements holding.",
            "",
            "| experiment | figure | replications | workers | wall time (s) | simulation "
            "| approximation | theory |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *(_row(m) for m in metas),
            "",
            f"Total: {total:.1f} s. Verdicts: {headline(v for m in metas for v in m['verdicts'])}.",
            "",
            end,
        ]
    )
    publish(start, end, section, write=not args.no_write)


if __name__ == "__main__":
    main()
