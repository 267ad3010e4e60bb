"""Wall time of the registered reproductions at paper scale.

    python benchmarks/bench_reproduce.py [--quick] [--workers N] [--only ID ...] [--no-write]
    python benchmarks/bench_reproduce.py --from DIR [--only ID ...]   # a finished `reproduce`

Runs each experiment once (or reads the ``meta.json`` files of a finished
``modelcollapse reproduce`` run) and writes a section of BENCHMARKS.md named after the papers
covered (``xu2025``, ``he2025``, ...).

Beside each wall time: the experiment's *floor*, the time its random numbers take alone
(``meta.json``'s ``draw_time_s``, the seconds spent inside the random draws in all processes,
divided by the workers: the wall time if the draws were all it did, spread evenly), and for
paper 2's Figures 7-9 the CPU time the authors' code would take for the same replications (from
the external measurements in :data:`AUTHORS`) over ours, counted as ``wall time x workers``
(at least our CPU time, so the ratio is a lower bound).
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

#: External measurements of the authors' code (BENCHMARKS.md, "The authors' code"): CPU seconds
#: per unit (low, high) with their pinned requirements on one thread, and the number of units
#: of a run from its ``meta.json``.
AUTHORS = {
    "he2025-fig7": ((6.6, 6.6), lambda meta: meta["replications"]),
    "he2025-fig8": (
        (0.46, 0.61),
        lambda meta: (len(meta["settings"]["weights"]) + 1) * meta["replications"],
    ),
    "he2025-fig9": ((6.7, 6.7), lambda meta: 2 * meta["replications"]),
}


def _floor(meta: dict) -> tuple[str, str]:
    """The floor in seconds of wall time and the wall time over it (``-`` if not recorded)."""
    drawn = meta.get("draw_time_s")
    if not drawn:
        return "-", "-"
    floor = drawn / meta.get("workers", 1)
    return f"{floor:.1f}", f"{meta['wall_time_s'] / floor:.1f}"


def _authors(meta: dict) -> str:
    """The authors' CPU time for this run over ours (``wall x workers``), or ``-``."""
    if meta["id"] not in AUTHORS or meta["quick"]:
        return "-"
    (low, high), units = AUTHORS[meta["id"]]
    ours = meta["wall_time_s"] * meta.get("workers", 1)
    low, high = low * units(meta) / ours, high * units(meta) / ours
    return f"{low:.0f}x" if round(low) == round(high) else f"{low:.0f}-{high:.0f}x"


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
        f"{' | '.join(_floor(meta))} | {_authors(meta)} | "
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
            "Floor: the seconds spent drawing random numbers (all processes) over the workers, "
            "the wall time the draws alone would take. Authors' code: the CPU time their code "
            "takes for the same replications (external measurements, below) over ours, counted "
            "as wall time x workers. Verdicts by kind: simulation and approximation tests as "
            "agree / disagree / not informative at this scale; theory statements holding.",
            "",
            "| experiment | figure | replications | workers | wall time (s) | floor (s) "
            "| wall / floor | authors' code / ours | simulation | approximation | theory |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
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
