"""Saving and loading a result: ``SimulationResult.save`` / ``modelcollapse.load`` (Parquet with
the configuration in its metadata) against writing the same arrays raw with ``numpy.save``.

The result is the 1-D Gaussian at ``n = 100``, ``T = 500`` with ``R = 10^6`` replications
(``record="auto"`` keeps generations 0, 167, 333 and 500 at this ``R``: its memory cap of
``4 x 10^6`` replication-generations): 2 parameters and 6 metrics, 32 million doubles. Each
time is the median of several rounds, the two ways alternating; the files go to a temporary
folder on the same disk. Writes its section of BENCHMARKS.md.

    python benchmarks/bench_storage.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_engine import machine, publish

import modelcollapse as mc
from modelcollapse import storage

START, END = "<!-- bench_storage:start -->", "<!-- bench_storage:end -->"


def _raw_arrays(res: mc.SimulationResult) -> dict[str, np.ndarray]:
    arrays = {"flat_params": res.flat_params}
    arrays.update({f"metric_{k}": v for k, v in res.metrics.items()})
    return arrays


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="R = 10^5 and fewer rounds")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    R = 10**5 if args.quick else 10**6
    rounds = 2 if args.quick else 5
    res = mc.simulate(mc.Gaussian(), n0=100, schedule=100, generations=500, replications=R, seed=1)
    arrays = _raw_arrays(res)
    doubles = sum(a.size for a in arrays.values())
    times: dict[str, list[float]] = {k: [] for k in ("save", "raw save", "load", "raw load")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parquet, raw = folder / "run.parquet", folder / "raw"
        raw.mkdir()
        for _ in range(rounds):
            t0 = time.perf_counter()
            storage.save(res, parquet)
            times["save"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for name, values in arrays.items():
                np.save(raw / f"{name}.npy", values)
            times["raw save"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            back = storage.load(parquet)
            times["load"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            loaded = {p.stem: np.load(p) for p in raw.iterdir()}
            times["raw load"].append(time.perf_counter() - t0)
        assert np.array_equal(back.flat_params, res.flat_params)
        assert len(loaded) == len(arrays)
        sizes = {"save": _size(parquet), "raw save": _size(raw)}
    med = {k: float(np.median(v)) for k, v in times.items()}
    ratio = {k: med[k] / med[f"raw {k}"] for k in ("save", "load")}
    mib = {k: v / 2**20 for k, v in sizes.items()}
    rows = [
        f"| write | {med['save']:.2f} | {med['raw save']:.2f} | {ratio['save']:.1f}x "
        f"| {mib['save']:.0f} MiB against {mib['raw save']:.0f} MiB |",
        f"| read | {med['load']:.2f} | {med['raw load']:.2f} | {ratio['load']:.1f}x | |",
    ]
    section = "\n".join(
        [
            START,
            "## Saving and loading results",
            "",
            f"`SimulationResult.save` / `modelcollapse.load` (Parquet, one row per replication and "
            f"recorded generation, the configuration and provenance in the file's metadata) "
            f"against `numpy.save` / `numpy.load` of the same arrays, for a result with "
            f"R = {R:,}, T = 500 and {res.generations.size} recorded generations "
            f"({doubles / 1e6:.0f} million doubles); median of {rounds} rounds, alternating. "
            f"Machine: {machine()}; {os.cpu_count()} cores.",
            "",
            "| | Parquet (s) | raw numpy (s) | ratio | file size |",
            "|---|---:|---:|---:|---|",
            *rows,
            "",
            "The Parquet file adds the replication and generation columns (two more arrays of "
            "the table's length) and the metadata record; it is read back bit for bit "
            "(`tests/test_storage.py`).",
            END,
        ]
    )
    publish(START, END, section, write=not args.no_write)


if __name__ == "__main__":
    main()
