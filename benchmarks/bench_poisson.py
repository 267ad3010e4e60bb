"""Poisson draws with small means: the table sampler of ``modelcollapse._poisson`` against
``numpy.random.Generator.poisson``, in ns per draw.

Each row draws ``2^20`` values with one mean (or, in the last rows, the per-point means of the
Poisson regressions of paper 2's Figures 8-9, ``exp(x'beta)`` with ``x ~ N(0, I_2)`` and
``beta = (1, 1)``) in one call, on one thread; the median of several calls of each sampler,
alternating between the two so that both see the same machine. Writes its section of
BENCHMARKS.md.

    python benchmarks/bench_poisson.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_engine import machine, publish

from modelcollapse._poisson import INVERSION_MAX, poisson

START, END = "<!-- bench_poisson:start -->", "<!-- bench_poisson:end -->"


def per_draw(lam: np.ndarray, repeat: int) -> tuple[float, float]:
    """Median ns per draw of numpy's sampler and of the table sampler, alternating calls."""
    gen = np.random.default_rng(1)
    ours, theirs = [], []
    poisson(gen, lam[:1000])  # build the tables outside the timing
    for _ in range(repeat):
        t0 = time.perf_counter()
        gen.poisson(lam)
        theirs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        poisson(gen, lam)
        ours.append(time.perf_counter() - t0)
    return 1e9 * float(np.median(theirs)) / lam.size, 1e9 * float(np.median(ours)) / lam.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer draws and repeats")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    size = 2**16 if args.quick else 2**20
    repeat = 3 if args.quick else 15
    x = np.random.default_rng(0).standard_normal((size, 2))
    cases = [(f"{m:g}", np.full(size, float(m))) for m in (0.01, 0.1, 0.5, 1, 2, 5, 10)]
    cases.append(("exp(x'beta), Figures 8-9", np.exp(np.clip(x.sum(axis=1), -20, 20))))
    rows = []
    for label, lam in cases:
        numpy_ns, table_ns = per_draw(lam, repeat)
        rows.append(f"| {label} | {numpy_ns:.1f} | {table_ns:.1f} | {numpy_ns / table_ns:.2f} |")
    share = float(np.mean(cases[-1][1] > INVERSION_MAX))
    section = "\n".join(
        [
            START,
            "## Poisson draws with small means",
            "",
            f"`python benchmarks/bench_poisson.py` on {time.strftime('%Y-%m-%d')}. "
            f"Machine: {machine()}.",
            "",
            f"{size:,} draws per call, one thread, median of {repeat} calls alternating with "
            "numpy's. The table sampler (`modelcollapse._poisson`, used by every Poisson draw "
            f"of the library) covers means up to {INVERSION_MAX:g}; larger means go to numpy's "
            f"generator ({share:.1%} of the regression means in the last row).",
            "",
            "| mean | `Generator.poisson` (ns/draw) | tables (ns/draw) | speed-up |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            END,
        ]
    )
    publish(START, END, section, write=not args.no_write)


if __name__ == "__main__":
    main()
