"""Run every benchmark and regenerate BENCHMARKS.md (tables and figure) with one command.

    python benchmarks/run.py            # full scale (several minutes)
    python benchmarks/run.py --quick    # smoke run: smaller sizes, fewer repetitions
    python benchmarks/run.py --reproduce  # also the paper-scale reproductions (long)

Each script runs in its own process and writes its own marked section of BENCHMARKS.md; this
script then writes the paragraph at the top (how to regenerate, the machine, the wall times).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from bench_engine import HEADER, ROOT, machine

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_engine.py",
    "bench_scaling.py",
    "bench_glm.py",
    "bench_memory.py",
    "bench_startup.py",
    "bench_generic.py",
    "bench_poisson.py",
    "bench_storage.py",
    "bench_lm.py",
)
START, END = "<!-- run:start -->", "<!-- run:end -->"


def write_intro(section: str) -> None:
    """Put ``section`` right after the title paragraph of BENCHMARKS.md (or replace it)."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else HEADER
    if START in text:
        text = re.sub(
            re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S
        )
    elif text.startswith(HEADER):
        text = HEADER + section + "\n\n" + text[len(HEADER) :]
    else:
        title, _, rest = text.partition("\n")
        text = title + "\n\n" + section + "\n\n" + rest.lstrip("\n")
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="passed on to every script")
    parser.add_argument(
        "--reproduce", action="store_true", help="also run bench_reproduce.py (long)"
    )
    args = parser.parse_args()
    scripts = [*SCRIPTS, "bench_reproduce.py"] if args.reproduce else list(SCRIPTS)
    extra = ["--quick"] if args.quick else []
    started = time.perf_counter()
    walls: list[tuple[str, float, int]] = []
    for script in scripts:
        print(f"running {script} {' '.join(extra)}".rstrip(), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE / script), *extra], capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        walls.append((script, wall, proc.returncode))
        if proc.returncode:
            print(f"  FAILED (exit {proc.returncode}) after {wall:.0f} s", flush=True)
            print("\n".join((proc.stdout + proc.stderr).splitlines()[-40:]), file=sys.stderr)
        else:
            print(f"  done in {wall:.0f} s", flush=True)
    total = time.perf_counter() - started

    command = "python benchmarks/run.py" + "".join(
        f" {flag}" for flag, on in (("--quick", args.quick), ("--reproduce", args.reproduce)) if on
    )
    timings = ", ".join(
        f"`{script}` {wall:.0f} s" + ("" if rc == 0 else f" (FAILED, exit {rc})")
        for script, wall, rc in walls
    )
    section = "\n".join(
        [
            START,
            "Regenerate every table and figure here with one command, "
            "`python benchmarks/run.py` (full scale); `--quick` is a smoke run (smaller sizes, "
            "fewer repetitions, under a minute), `--reproduce` also runs `bench_reproduce.py` "
            "(the paper-scale reproductions, over an hour). Each script also runs alone and "
            "rewrites only its own marked section. Every ratio is measured side by side in the "
            "same run; times are medians of several repetitions.",
            "",
            f"Machine: {machine()}.",
            "",
            f"Last run: `{command}` on {time.strftime('%Y-%m-%d')}, {total:.0f} s in all "
            f"({timings}).",
            END,
        ]
    )
    write_intro(section)
    print(f"total {total:.0f} s; BENCHMARKS.md updated")
    if any(rc for _, _, rc in walls):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
