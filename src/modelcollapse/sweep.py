"""Sweeps: many simulations from one configuration, on one machine or a Dask cluster, resumable.

A sweep (:mod:`modelcollapse.config`) is a grid of *cells*, each a complete set of simulation
options with its own seed. :func:`run_sweep` validates every cell before it runs anything (a bad
cell is an error and nothing is written), then runs the cells that are not finished yet on a
backend and writes each finished cell, as it arrives, to the result store::

    OUT/cells/<hash>.csv          one per finished cell (or .parquet): the per-generation summary
                                  with the cell's grid values, config_hash, seed, version and
                                  wall_time_s as columns
    OUT/cells/<hash>.failed.json  a cell that raised: its options and the error
    OUT/sweep.csv                 every finished cell, in grid order (rewritten at the end)
    OUT/sweep.json                the manifest: settings, and each cell's hash, values and status

Every file is written to a temporary name in the same directory and renamed, so a sweep stopped
at any point (Ctrl-C, ``kill -9``, a crashed worker) never leaves a half-written file; run again,
it skips every cell whose file exists (the hash covers all of a cell's options), retries the
failed ones and computes the rest. A cell that raises is recorded as failed and the sweep goes
on; :func:`run_sweep` reports the failures and the command line exits with status 1.

Backends: ``serial``; ``processes`` (the default: one process per core, ``spawn`` start method);
``dask`` (``dask.distributed``: a ``LocalCluster`` of ``workers`` single-threaded processes, or
the cluster at ``scheduler``). A cell's numbers depend only on its options (its seed included),
never on the backend, the number of workers or the order in which cells finish.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._progress import reporter
from ._validation import InvalidArgumentError, check_choice, check_int, fail
from .config import BACKENDS, STORES, SweepConfig, cell_hash, load_config
from .options import check_options, simulate_from_options

__all__ = ["SweepOutcome", "run_cell", "run_sweep"]

_SUFFIX = {"csv": ".csv", "parquet": ".parquet"}


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did.

    Attributes
    ----------
    out : Path
        The result store.
    cells : int
        Cells in the grid.
    computed, reused : int
        Cells computed by this run, and cells found finished from an earlier run.
    failed : list of (str, str)
        ``(hash, error)`` of each cell that raised.
    table : pandas.DataFrame
        Every finished cell's rows (``sweep.csv``).
    """

    out: Path
    cells: int
    computed: int
    reused: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.failed


def run_cell(options: dict[str, Any], grid_keys: list[str]) -> dict[str, Any]:
    """Run one cell; never raises: ``{"status": "done", "table", "wall_time_s"}`` or
    ``{"status": "failed", "error", "traceback"}``. Runs in a worker process."""
    start = time.perf_counter()
    try:
        result = simulate_from_options(options)
        table = result.summary()
    except Exception as err:  # recorded, not raised: the sweep goes on
        return {
            "status": "failed",
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
        }
    wall = time.perf_counter() - start
    for key in reversed(grid_keys):
        table.insert(0, key, options[key])
    table["config_hash"] = cell_hash(options)
    table["seed"] = options["seed"]
    table["version"] = result.config["version"]
    table["wall_time_s"] = wall
    return {"status": "done", "table": table, "wall_time_s": wall}


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` then rename ``tmp`` to ``path`` (same directory: atomic on POSIX)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_table(table: pd.DataFrame, path: Path, store: str) -> None:
    if store == "csv":
        _atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
    else:
        _atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def _write_json(path: Path, payload: Any) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")

    _atomic_write(path, write)


# -- backends ---------------------------------------------------------------------------------


def _serial(jobs: list[tuple[str, dict[str, Any]]], grid_keys: list[str], **_: Any) -> Iterator:
    for key, options in jobs:
        yield key, run_cell(options, grid_keys)


def _processes(
    jobs: list[tuple[str, dict[str, Any]]], grid_keys: list[str], workers: int, **_: Any
) -> Iterator:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from ._parallel import process_pool

    pool = process_pool(workers)
    try:
        futures = {pool.submit(run_cell, options, grid_keys): key for key, options in jobs}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except BrokenProcessPool as err:
                outcome = {"status": "failed", "error": f"worker process died: {err}"}
            yield futures[future], outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(
    jobs: list[tuple[str, dict[str, Any]]],
    grid_keys: list[str],
    workers: int,
    scheduler: str | None,
    **_: Any,
) -> Iterator:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise fail(
            "backend",
            "dask needs dask.distributed: pip install 'modelcollapse[dask]'",
            "dask",
        ) from None
    if scheduler:
        cluster = None
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    try:
        futures = {}
        for key, options in jobs:
            future = client.submit(run_cell, options, grid_keys, key=f"cell-{key}", pure=False)
            futures[future] = key
        for future in as_completed(list(futures)):
            try:
                outcome = future.result()
            except Exception as err:  # a worker that died, a lost connection
                outcome = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
            yield futures[future], outcome
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


_BACKENDS = {"serial": _serial, "processes": _processes, "dask": _dask}


# -- the sweep --------------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise fail("out", "must be a directory (the result store), not a file", str(out))
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise fail("out", "is not writable", str(out))


def run_sweep(
    config: SweepConfig | str | Path,
    *,
    out: str | Path | None = None,
    backend: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | Callable[[str], None] = True,
) -> SweepOutcome:
    """Run (or continue) the sweep of ``config`` into its result store (module docstring).

    Parameters
    ----------
    config : SweepConfig, str or Path
        A parsed configuration or the path of a TOML file with a ``[sweep]`` table.
    out, backend, workers, scheduler : optional
        Override the file's ``[sweep]`` settings. ``backend`` defaults to ``processes`` (one
        worker per core) and ``workers`` to the number of cores.
    progress : bool or callable
        Print a line per finished cell to stderr (True), stay quiet (False), or call this.

    Returns
    -------
    SweepOutcome
        Counts, failures and the combined table.
    """
    cfg = config if isinstance(config, SweepConfig) else load_config(config)
    if not cfg.is_sweep:
        raise fail("config", "has no [sweep] table: run it as a single simulation", str(cfg.path))
    settings = dict(cfg.sweep or {})
    backend = check_choice("backend", backend or settings.get("backend", "processes"), BACKENDS)
    cores = os.cpu_count() or 1
    workers = check_int("workers", workers or settings.get("workers", cores), minimum=1)
    scheduler = scheduler or settings.get("scheduler")
    if scheduler and backend != "dask":
        raise fail("scheduler", "applies to the dask backend only", scheduler)
    store = check_choice("store", settings.get("store", "csv"), STORES)
    if store == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise fail(
                "store", "parquet needs pyarrow: pip install 'modelcollapse[parquet]'", store
            ) from None
    target = out if out is not None else settings.get("out")
    if target is None:
        raise fail("out", "a sweep needs a result directory: [sweep] out = DIR or --out", None)
    out_dir = Path(target)
    _check_out(out_dir)
    say = reporter(progress)

    cells = cfg.cells()
    grid_keys = list(cfg.grid)
    hashes = [cell_hash(c) for c in cells]
    for options in cells:  # every cell valid before anything is written
        try:
            check_options(options)
        except InvalidArgumentError as err:
            raise cfg.located(err) from None

    cell_dir = out_dir / "cells"
    cell_dir.mkdir(parents=True, exist_ok=True)
    for stale in cell_dir.glob(".*.tmp"):  # left by a run that was killed mid-write
        stale.unlink()
    suffix = _SUFFIX[store]
    done = {h for h in hashes if _finished(cell_dir, h) is not None}
    jobs = [(h, c) for h, c in zip(hashes, cells, strict=True) if h not in done]
    say(
        f"sweep: {len(cells)} cells, {len(done)} already finished, {len(jobs)} to run "
        f"({backend}, {workers} worker{'s' * (workers > 1)}) -> {out_dir}"
    )
    failed: dict[str, str] = {}
    by_hash = dict(zip(hashes, cells, strict=True))
    count = 0
    try:
        for key, outcome in _BACKENDS[backend](
            jobs, grid_keys, workers=workers, scheduler=scheduler
        ):
            count += 1
            label = ", ".join(f"{k}={by_hash[key][k]}" for k in grid_keys)
            if outcome["status"] == "done":
                _write_table(outcome["table"], cell_dir / f"{key}{suffix}", store)
                (cell_dir / f"{key}.failed.json").unlink(missing_ok=True)
                say(f"[{count}/{len(jobs)}] {key} ({label}) {outcome['wall_time_s']:.2f} s")
            else:
                failed[key] = outcome["error"]
                _write_json(
                    cell_dir / f"{key}.failed.json",
                    {"options": by_hash[key], **outcome},
                )
                say(f"[{count}/{len(jobs)}] {key} ({label}) FAILED: {outcome['error']}")
    except KeyboardInterrupt:
        finished = sum(_finished(cell_dir, h) is not None for h in hashes)
        say(f"sweep interrupted: {finished} of {len(cells)} cells finished; run again to continue")
        raise
    table = _combine(cell_dir, hashes)
    if not table.empty:
        _write_table(table, out_dir / f"sweep{suffix}", store)
    _write_json(
        out_dir / "sweep.json",
        {
            "config": str(cfg.path) if cfg.path is not None else None,
            "backend": backend,
            "workers": workers,
            "store": store,
            "grid": cfg.grid,
            "base": {k: v for k, v in cfg.base.items() if v is not None},
            "cells": [
                {
                    "hash": h,
                    "values": {k: c[k] for k in grid_keys},
                    "status": _status(cell_dir, h, failed),
                }
                for h, c in zip(hashes, cells, strict=True)
            ],
        },
    )
    outcome = SweepOutcome(
        out=out_dir,
        cells=len(cells),
        computed=count - len(failed),
        reused=len(done),
        failed=sorted(failed.items()),
        table=table,
    )
    say(
        f"sweep: {outcome.computed} computed, {outcome.reused} reused, {len(failed)} failed"
        + ("" if outcome.ok else ": " + "; ".join(f"{h}: {e}" for h, e in outcome.failed))
    )
    return outcome


def _status(cell_dir: Path, key: str, failed: dict[str, str]) -> str:
    if key in failed:
        return "failed"
    return "done" if _finished(cell_dir, key) is not None else "not run"


def _finished(cell_dir: Path, key: str) -> Path | None:
    for suffix in _SUFFIX.values():
        path = cell_dir / f"{key}{suffix}"
        if path.exists():
            return path
    return None


def _combine(cell_dir: Path, hashes: list[str]) -> pd.DataFrame:
    parts = [_read_table(p) for h in hashes if (p := _finished(cell_dir, h)) is not None]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
