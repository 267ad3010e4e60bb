"""Exact against sample engine, and against the cost of the raw random numbers.

Configuration (issue: foundation): 1-D Gaussian, unbiased variance, n = 100 constant, T = 500
generations, R = 10^4 replications. Every ratio is measured in the same run; each time is the
median of several repetitions. Writes its section of BENCHMARKS.md.

    python benchmarks/bench_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import modelcollapse as mc

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench_engine:start -->", "<!-- bench_engine:end -->"
HEADER = (
    "# Benchmarks\n\nMeasured, never asserted in tests. Each section is written by the "
    "script it names.\n\n"
)


def write_section(start: str, end: str, section: str) -> None:
    """Put ``section`` (which begins with ``start`` and ends with ``end``) into BENCHMARKS.md,
    replacing the section between the same markers or appending it."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else HEADER
    if start in text:
        text = re.sub(
            re.escape(start) + r".*?" + re.escape(end), lambda _: section, text, flags=re.S
        )
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def publish(start: str, end: str, section: str, write: bool = True) -> None:
    """Print ``section`` and, unless ``write`` is false, put it into BENCHMARKS.md."""
    print(section)
    if write:
        write_section(start, end, section)


def timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_mib(func) -> float:
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    import os

    memory = ""
    try:
        found = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
        if found:
            memory = f", {int(found.group(1)) / 2**20:.1f} GiB memory"
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} logical cores{memory}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.system()} {platform.machine()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions, R = 2,000 replications"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    rep_fast, rep_slow = (3, 1) if args.quick else (7, 3)

    R, T, n = (2_000 if args.quick else 10_000), 500, 100
    family = mc.Gaussian(variance="unbiased")

    def run(engine: str, size: int, replications: int = R) -> None:
        mc.simulate(
            family,
            n0=size,
            schedule=size,
            generations=T,
            replications=replications,
            seed=0,
            engine=engine,
            record="final",
        )

    def raw_per_generation() -> None:
        # The same numbers the exact engine draws: per generation one normal and one
        # chi-square (gamma) per replication.
        g = np.random.default_rng(0)
        for _ in range(T + 1):
            g.standard_normal(R)
            g.standard_gamma((n - 1) / 2, R)

    def raw_bulk() -> None:
        g = np.random.default_rng(0)
        g.standard_normal(R * (T + 1))
        g.standard_gamma((n - 1) / 2, R * (T + 1))

    run("exact", n)  # warm up imports and caches
    rows = []
    t_exact = timed(lambda: run("exact", n), rep_fast)
    t_exact_big = timed(lambda: run("exact", 10**6), rep_fast)
    t_exact_huge = timed(lambda: run("exact", 10**15), rep_fast)
    t_sample = timed(lambda: run("sample", n), rep_slow)
    # n = 1000 with a tenth of the replications: the per-replication-generation cost is what
    # grows with n.
    t_sample_big = timed(lambda: run("sample", 10 * n, R // 10), rep_slow) * 10
    t_raw_gen = timed(raw_per_generation, rep_fast)
    t_raw_bulk = timed(raw_bulk, rep_fast)
    mem_exact = peak_mib(lambda: run("exact", n))
    mem_sample = peak_mib(lambda: run("sample", n))

    per = R * T
    rows = [
        ("exact engine, n = 100", t_exact, mem_exact),
        ("exact engine, n = 10^6", t_exact_big, None),
        ("exact engine, n = 10^15", t_exact_huge, None),
        ("sample engine, n = 100", t_sample, mem_sample),
        (f"sample engine, n = 1000 (R = {R // 10:,}, time scaled x10)", t_sample_big, None),
        ("raw draws only, one call per generation", t_raw_gen, None),
        ("raw draws only, one call in all", t_raw_bulk, None),
    ]
    table = [
        "| run | time (s) | ns per replication-generation | peak memory (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for label, t, mem in rows:
        mem_text = f"{mem:.1f}" if mem is not None else ""
        table.append(f"| {label} | {t:.3f} | {t / per * 1e9:.1f} | {mem_text} |")

    ratios = [
        ("sample / exact at n = 100 (target >= 50)", t_sample / t_exact),
        ("exact at n = 10^6 / exact at n = 100 (target about 1)", t_exact_big / t_exact),
        ("exact at n = 10^15 / exact at n = 100", t_exact_huge / t_exact),
        ("sample / exact at n = 1000", t_sample_big / t_exact),
        ("exact / raw draws, one call per generation", t_exact / t_raw_gen),
        ("exact / raw draws, one call in all", t_exact / t_raw_bulk),
    ]
    ratio_lines = ["| ratio | value |", "|---|---:|"]
    ratio_lines += [f"| {label} | {value:.2f} |" for label, value in ratios]

    section = "\n".join(
        [
            START,
            "## Engine: exact against sample (1-D Gaussian)",
            "",
            f"`python benchmarks/bench_engine.py{' --quick' if args.quick else ''}` on "
            f"{time.strftime('%Y-%m-%d')}. Machine: "
            f"{machine()}.",
            "",
            f"Configuration: unbiased variance, constant n, T = {T} generations, R = {R:,} "
            f'replications, one process, `record="final"`. Times are medians of {rep_fast} runs '
            f"({rep_slow} for the sample engine); peak memory is what numpy allocates "
            "(tracemalloc), measured in a separate run.",
            "",
            *table,
            "",
            *ratio_lines,
            "",
            END,
        ]
    )
    publish(START, END, section, write=not args.no_write)


if __name__ == "__main__":
    main()
