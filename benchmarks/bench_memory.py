"""Peak memory of large runs: independent of T with summary metrics, and R = 10^6 in 2 GiB.

(a) ``mc.simulate(mc.Gaussian(), n0=100, schedule=100, generations=T, replications=100_000,
seed=0, record="final", metrics=["sigma2", "collapsed"])`` for growing T (exact engine; the
metrics' values are computed inside the measurement); (b) a Gaussian run with R = 10^6, n = 100,
T = 100, ``record="final"``; (c) the same with ``record="auto"``. Every measurement runs in a
fresh subprocess, once for the process's peak resident memory (``ru_maxrss``, so earlier runs
cannot raise it) and once for what Python and numpy allocate (tracemalloc). Writes its section of
BENCHMARKS.md.

    python benchmarks/bench_memory.py [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_engine import machine, publish

START, END = "<!-- bench_memory:start -->", "<!-- bench_memory:end -->"
HERE = Path(__file__).resolve().parent
GIB = 2**30
TARGET_GIB = 2.0
T_BUDGET_S = 20.0  # the largest T of (a) is kept only if its run takes at most this long


def child(spec: dict) -> dict:
    """One measurement, in this (fresh) process."""
    import resource
    import tracemalloc

    import numpy as np

    import modelcollapse as mc

    def run():
        result = mc.simulate(
            mc.Gaussian(),
            n0=100,
            schedule=100,
            generations=spec["T"],
            replications=spec["R"],
            seed=0,
            engine="exact",
            record=spec["record"],
            metrics=spec["metrics"],
        )
        if spec["metrics"]:
            for name in spec["metrics"]:
                result.values(name)
        return result

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = {"baseline_rss": baseline}
    if spec["mode"] == "tracemalloc":
        tracemalloc.start()
        result = run()
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        t0 = time.perf_counter()
        result = run()
        out["time"] = time.perf_counter() - t0
        out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["recorded_generations"] = int(np.asarray(result.generations).size)
    return out


def measure(R: int, T: int, record: str, metrics: list[str] | None) -> dict:
    """Peak RSS (and time) and the tracemalloc peak, each from its own fresh subprocess."""
    out = {}
    for mode in ("rss", "tracemalloc"):
        spec = {"R": R, "T": T, "record": record, "metrics": metrics, "mode": mode}
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
            capture_output=True,
            text=True,
            check=True,
            cwd=HERE,
        )
        out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller T")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    started = time.perf_counter()
    metrics = ["sigma2", "collapsed"]
    r_a, r_b = 100_000, 1_000_000
    t_b = 10 if args.quick else 100
    t_grid = [10, 100] if args.quick else [100, 1000]
    rows_a = {t: measure(r_a, t, "final", metrics) for t in t_grid}
    dropped: list[int] = []
    if not args.quick:
        # The largest T only if the extrapolated run fits the time budget.
        per_t = rows_a[1000]["time"] / 1000
        for t in (10_000, 5000, 3000, 2000):
            if per_t * t <= T_BUDGET_S:
                rows_a[t] = measure(r_a, t, "final", metrics)
                break
            dropped.append(t)
    final = measure(r_b, t_b, "final", None)
    auto = measure(r_b, t_b, "auto", None)
    elapsed = time.perf_counter() - started

    table_a = [
        "| T | time (s) | peak RSS (MiB) | peak RSS over the import baseline (MiB) "
        "| tracemalloc peak (MiB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for t, m in sorted(rows_a.items()):
        table_a.append(
            f"| {t:,} | {m['time']:.2f} | {mib(m['peak_rss'])} | "
            f"{mib(m['peak_rss'] - m['baseline_rss'])} | {mib(m['traced_peak'])} |"
        )
    rss = [m["peak_rss"] for m in rows_a.values()]
    traced = [m["traced_peak"] for m in rows_a.values()]
    t_lo, t_hi = min(rows_a), max(rows_a)

    table_b = [
        "| run | recorded generations | time (s) | peak RSS (MiB) | peak RSS over the import "
        "baseline (MiB) | tracemalloc peak (MiB) | within 2 GiB (peak RSS) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, m in (('`record="final"`', final), ('`record="auto"`', auto)):
        table_b.append(
            f"| R = 10^6, T = {t_b}, {label} | {m['recorded_generations']} | {m['time']:.2f} | "
            f"{mib(m['peak_rss'])} | {mib(m['peak_rss'] - m['baseline_rss'])} | "
            f"{mib(m['traced_peak'])} | "
            f"{'yes' if m['peak_rss'] <= TARGET_GIB * GIB else 'no'} "
            f"({m['peak_rss'] / GIB:.2f} GiB) |"
        )

    reading = [
        f"- Memory against T (R = {r_a:,}, T from {t_lo:,} to {t_hi:,}, a factor "
        f"{t_hi / t_lo:,.0f}): peak RSS from {mib(min(rss))} to {mib(max(rss))} MiB (largest "
        f"over smallest {max(rss) / min(rss):.2f}), tracemalloc peak from {mib(min(traced))} to "
        f"{mib(max(traced))} MiB ({max(traced) / min(traced):.2f}): "
        + (
            "independent of T."
            if max(traced) / min(traced) < 1.1 and max(rss) / min(rss) < 1.1
            else "NOT independent of T."
        ),
        f'- R = 10^6, `record="final"`: peak RSS {final["peak_rss"] / GIB:.2f} GiB of the whole '
        f"process (import baseline {mib(final['baseline_rss'])} MiB included), "
        + (
            f"within the {TARGET_GIB:g} GiB target by a factor "
            f"{TARGET_GIB * GIB / final['peak_rss']:.1f}."
            if final["peak_rss"] <= TARGET_GIB * GIB
            else f"over the {TARGET_GIB:g} GiB target."
        ),
        f'- R = 10^6, `record="auto"` keeps {auto["recorded_generations"]} generations: peak RSS '
        f"{auto['peak_rss'] / GIB:.2f} GiB, {auto['peak_rss'] / final['peak_rss']:.1f} times the "
        '`record="final"` run (reported as measured: what "auto" keeps is being changed).',
    ]
    if dropped:
        per_t = rows_a[1000]["time"] / 1000
        reading.insert(
            1,
            "- Left out of (a): "
            + ", ".join(f"T = {t:,} (about {per_t * t:.0f} s)" for t in dropped)
            + f"; at {per_t * 1e3:.1f} ms per generation only runs of at most "
            f"{T_BUDGET_S:.0f} s are kept.",
        )

    section = "\n".join(
        [
            START,
            "## Memory of large runs",
            "",
            f"`python benchmarks/bench_memory.py{' --quick' if args.quick else ''}` on "
            f"{time.strftime('%Y-%m-%d')} ({elapsed:.0f} s). Machine: {machine()}.",
            "",
            "Every number comes from a fresh subprocess (one for the peak resident set size "
            "`ru_maxrss` and the time, one for the tracemalloc peak), so earlier runs cannot "
            "raise a peak. The import baseline is the peak RSS after importing numpy and "
            "modelcollapse, before the run. Exact engine, 1-D Gaussian, n = 100.",
            "",
            f'(a) `record="final"`, `metrics=["sigma2", "collapsed"]` (their values computed '
            f"inside the measurement), R = {r_a:,}:",
            "",
            *table_a,
            "",
            "(b) and (c) R = 10^6:",
            "",
            *table_b,
            "",
            *reading,
            "",
            END,
        ]
    )
    publish(START, END, section, write=not args.no_write)


if __name__ == "__main__":
    main()
