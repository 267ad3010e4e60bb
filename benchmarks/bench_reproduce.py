"""Wall time of every registered reproduction at paper scale.

    python benchmarks/bench_reproduce.py [--quick] [--no-write]

Runs each experiment once, in one process, and writes its section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from bench_engine import HEADER, machine

from modelcollapse.experiments import experiment_ids, get_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench_reproduce:start -->", "<!-- bench_reproduce:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick scale instead of paper")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rows = [
        "| experiment | figure | replications | wall time (s) | verdicts holding |",
        "|---|---|---:|---:|---:|",
    ]
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for experiment_id in experiment_ids():
            target = run_experiment(experiment_id, tmp, quick=args.quick, progress=False)
            meta = json.loads((target / "meta.json").read_text())
            holds = sum(v["holds"] for v in meta["verdicts"])
            rows.append(
                f"| `{experiment_id}` | {get_experiment(experiment_id).figure} | "
                f"{meta['replications']:,} | {meta['wall_time_s']:.1f} | "
                f"{holds}/{len(meta['verdicts'])} |"
            )
            total += meta["wall_time_s"]
        elapsed = time.perf_counter() - start
    scale = "quick" if args.quick else "paper"
    section = "\n".join(
        [
            START,
            f"## Reproductions at {scale} scale",
            "",
            f"`python benchmarks/bench_reproduce.py{' --quick' if args.quick else ''}` on "
            f"{time.strftime('%Y-%m-%d')}. Machine: {machine()}. One process.",
            "",
            *rows,
            "",
            f"Total: {total:.1f} s of experiment time, {elapsed:.1f} s wall time including file "
            "output (`modelcollapse reproduce all`).",
            "",
            END,
        ]
    )
    print(section)
    if args.no_write:
        return
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else HEADER
    if START in text:
        text = re.sub(
            re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
