"""Sweeps: many simulations from one configuration, on one machine or a Dask cluster, resumable.

A sweep (:mod:`modelcollapse.config`) is a grid of *cells*, each a complete set of simulation
options with its own seed. :func:`run_sweep` validates every cell before it runs anything (a bad
cell is an error and nothing is written), checks that the result store can be written and that
the Dask scheduler answers, takes the store's lock, then runs the cells that are not finished yet
on a backend and writes each finished cell, as it arrives, to the result store::

    OUT/.lock                     held while a run uses the store: pid, host and start time
    OUT/cells/<hash>.csv          one per finished cell (or .parquet): the per-generation summary
                                  with the cell's grid values, config_hash, seed and version
    OUT/cells/<hash>.json         the cell's manifest: file name, size, sha256, row count,
                                  configuration hash, wall time, the provenance of the package
                                  (version, source hash, commit, platform: written after the
                                  cell file)
    OUT/cells/<hash>.failed.json  a cell that raised: its options and the error
    OUT/sweep.csv                 every finished cell, in grid order (rewritten at the end)
    OUT/sweep.json                settings, provenance, and each cell's hash, values, status and
                                  wall time

Every file is written to a temporary name in the same directory and renamed, so a sweep stopped
at any point (Ctrl-C, ``kill -9``, a crashed worker) never leaves a half-written file under its
final name. Run again, it reuses every cell whose file matches its manifest (size, checksum,
rows, hash: the hash covers all of a cell's options), recomputes any cell that fails this check
(a truncated, emptied or garbled file, a missing or disagreeing manifest: listed in
:attr:`SweepOutcome.repaired` and on the progress stream), retries the failed ones and computes
the rest. A cell that raises is recorded as failed and the sweep goes on; :func:`run_sweep`
reports the failures and the command line exits with status 1. The wall time, which differs
from run to run, is kept in the manifest, so the cell files and ``sweep.csv`` of two runs are
identical byte for byte.

One run at a time uses a store: a second one refuses (naming the run that holds it) or, with
``wait=True``, waits for it to finish. A lock left by a run that died is taken over.

Backends: ``serial``; ``processes`` (the default: one process per core, ``spawn`` start method;
a worker that dies, killed or out of memory, fails only the cell it was running: the pool is
rebuilt and the other cells go on); ``dask`` (``dask.distributed``: a ``LocalCluster`` of
``workers`` single-threaded processes, or the cluster at ``scheduler``). A cell's numbers depend
only on its options (its seed included), never on the backend, the number of workers or the
order in which cells finish.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import signal
import socket
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from ._progress import Progress, reporter
from ._validation import InvalidArgumentError, check_choice, check_int, fail
from .config import BACKENDS, STORES, SweepConfig, cell_hash, load_config
from .options import check_options, simulate_from_options
from .provenance import provenance

__all__ = ["SweepInterrupted", "SweepOutcome", "run_cell", "run_sweep"]

_SUFFIX = {"csv": ".csv", "parquet": ".parquet"}
#: Seconds to wait for a Dask scheduler to answer before giving up.
_CONNECT_TIMEOUT = 5.0
#: Seconds between two looks at a busy store's lock (``wait=True``).
_LOCK_POLL = 0.2
#: Test hook: a processes-backend worker about to run the cell with this hash kills itself
#: (``SIGKILL``), as the kernel's out-of-memory killer would. Used by tests/test_faults.py.
_KILL_HOOK = "MODELCOLLAPSE_TEST_KILL_CELL"
#: Times a cell may be running on a pool that broke for no identified reason before it is
#: recorded as failed (so a cell that keeps killing its worker cannot loop forever).
_MAX_SUSPECT = 2
#: Read CSV floats back exactly (pandas 3 does by default and deprecates the option).
_EXACT: dict[str, Any] = (
    {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
)
#: ``.<name>.<pid>.tmp``: a temporary file of :func:`_atomic_write`, named with its writer's pid.
_TMP = re.compile(r"^\..+\.(\d+)\.tmp$")


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
        Cells computed by this run, and cells found finished (and verified) from an earlier run.
    failed : list of (str, str)
        ``(hash, error)`` of each cell that raised (or whose worker process died).
    repaired : list of (str, str)
        ``(hash, problem)`` of each cell found damaged in the store (truncated, garbled, no
        manifest, ...) and therefore computed again.
    table : pandas.DataFrame
        Every finished cell's rows (``sweep.csv``).
    """

    out: Path
    cells: int
    computed: int
    reused: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.failed


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; the cells finished so far are kept in the store."""

    def __init__(self, finished: int, cells: int, out: Path) -> None:
        super().__init__(finished, cells, out)
        self.finished, self.cells, self.out = finished, cells, out

    def __str__(self) -> str:
        return (
            f"{self.finished} of {self.cells} cells finished and kept in {self.out}; "
            "run again to continue"
        )


def run_cell(options: dict[str, Any], grid_keys: list[str]) -> dict[str, Any]:
    """Run one cell; never raises: ``{"status": "done", "table", "wall_time_s", "version"}`` or
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
    return {
        "status": "done",
        "table": table,
        "wall_time_s": wall,
        "version": result.config["version"],
    }


def _run_marked(
    options: dict[str, Any], grid_keys: list[str], key: str, markers: str
) -> dict[str, Any]:
    """:func:`run_cell` in a pool worker, which first records the cell it runs in the file
    ``markers/<pid>``: if the worker dies, the parent knows which cell killed it."""
    marker = Path(markers) / str(os.getpid())
    marker.write_text(key, encoding="utf-8")
    if os.environ.get(_KILL_HOOK) == key:  # test hook (see _KILL_HOOK)
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        return run_cell(options, grid_keys)
    finally:
        marker.unlink(missing_ok=True)


# -- files ------------------------------------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
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


def _write_bytes(path: Path, data: bytes) -> None:
    _atomic_write(path, lambda tmp: tmp.write_bytes(data))


def _write_json(path: Path, payload: Any) -> None:
    _write_bytes(path, (json.dumps(payload, indent=1, default=str) + "\n").encode("utf-8"))


def _encode(table: pd.DataFrame, store: str) -> bytes:
    if store == "csv":
        return table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _decode(data: bytes, name: str) -> pd.DataFrame:
    """A cell table from its file's bytes (hashes stay strings; floats read back exactly)."""
    if name.endswith(".csv"):
        return pd.read_csv(io.BytesIO(data), dtype={"config_hash": str}, **_EXACT)
    return pd.read_parquet(io.BytesIO(data))


@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold a Ctrl-C that arrives inside the block until it ends (in the main thread, under
    Python's own handler): a cell file is never left without its manifest by Ctrl-C."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files of writers that are dead (or this process): under the lock,
    no other live run writes here, but a file of a live process is never touched."""
    for path in folder.glob(".*.tmp"):
        match = _TMP.match(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or not _pid_alive(pid):
            with contextlib.suppress(OSError):
                path.unlink()


# -- the store's lock -------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def _holder_alive(holder: dict[str, Any]) -> bool:
    """Whether the run described by a lock file may still be running (another host: assume so)."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname():
        return True
    if not isinstance(pid, int) or not _pid_alive(pid):
        return False
    started = holder.get("pid_start")
    return started is None or _process_start(pid) in (None, started)


def _describe(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "another run (starting)"
    return f"pid {holder.get('pid')} on {holder.get('host')}, running since {holder.get('started')}"


def _read_lock(fd: int) -> dict[str, Any] | None:
    try:
        data = os.pread(fd, 65536, 0)
        holder = json.loads(data.decode("utf-8")) if data.strip() else None
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


@dataclass
class _Lock:
    """``OUT/.lock``: an exclusive ``flock`` on the file, which the kernel releases when its
    process dies (so a dead run's lock is free), and the holder's pid, host and start time in
    the file, for the message of a run that finds the store busy."""

    path: Path
    fd: int

    @classmethod
    def acquire(cls, out: Path, *, wait: bool, say: Callable[[str], None]) -> _Lock:
        fcntl: ModuleType | None
        try:
            import fcntl
        except ImportError:  # not POSIX: judge by the holder's process alone
            fcntl = None

        path = out / ".lock"
        announced = False
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as err:
                raise fail(
                    "out", f"cannot create its lock file .lock ({err.strerror or err})", str(out)
                ) from None
            holder = _read_lock(fd)
            try:
                if fcntl is None:
                    raise OSError("no flock")
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                free = True
            except BlockingIOError:
                free = False
            except OSError:  # no flock on this file system: judge by the holder's process
                free = holder is None or not _holder_alive(holder)
            if free:
                try:  # the holder may have released (unlinked) it between open and flock
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except OSError:
                    same = False
                if same:
                    lock = cls(path, fd)
                    lock._claim()
                    if holder and holder.get("pid") != os.getpid():
                        say(f"sweep: took over the lock of a run that died ({_describe(holder)})")
                    return lock
                os.close(fd)
                continue
            os.close(fd)
            if not wait:
                raise fail(
                    "out",
                    f"is in use by another run ({_describe(holder)}); wait for it to finish, "
                    "or pass --wait (wait=True) to run after it",
                    str(out),
                )
            if not announced:
                say(f"sweep: {out} is in use by {_describe(holder)}; waiting for it to finish")
                announced = True
            time.sleep(_LOCK_POLL)

    def _claim(self) -> None:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "pid_start": _process_start(os.getpid()),
        }
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
        os.fsync(self.fd)

    def release(self) -> None:
        try:
            if os.path.samestat(os.fstat(self.fd), os.stat(self.path)):
                self.path.unlink()
        except OSError:
            pass
        finally:
            os.close(self.fd)


# -- the store's cells ------------------------------------------------------------------------


def _verify(cell_dir: Path, key: str) -> tuple[str, Any]:
    """``("done", table)`` for a cell that matches its manifest, ``("absent", None)`` for a cell
    never finished, ``("damaged", problem)`` otherwise. Never raises on a damaged file."""
    manifest_path = cell_dir / f"{key}.json"
    files = [cell_dir / f"{key}{s}" for s in _SUFFIX.values()]
    if not manifest_path.exists() and not any(p.exists() for p in files):
        return "absent", None
    try:
        manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return "damaged", "its file has no manifest (a run stopped between the two writes?)"
    except (OSError, ValueError) as err:
        return "damaged", f"its manifest cannot be read ({type(err).__name__})"
    if not isinstance(manifest, dict):
        return "damaged", "its manifest is not a JSON object"
    if manifest.get("config_hash") != key:
        return "damaged", "its manifest is for another configuration"
    name = manifest.get("file")
    if name not in {f"{key}{s}" for s in _SUFFIX.values()}:
        return "damaged", f"its manifest names an unexpected file ({name!r})"
    try:
        data = (cell_dir / name).read_bytes()
    except OSError as err:
        return "damaged", f"its file {name} cannot be read ({err.strerror or err})"
    if len(data) != manifest.get("bytes"):
        return "damaged", f"{name} has {len(data)} bytes, its manifest says {manifest.get('bytes')}"
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        return "damaged", f"{name} does not match its manifest's checksum"
    try:
        table = _decode(data, name)
    except Exception as err:  # a garbled file: any parser error
        return "damaged", f"{name} cannot be read ({type(err).__name__})"
    if len(table) != manifest.get("rows"):
        return "damaged", f"{name} has {len(table)} rows, its manifest says {manifest.get('rows')}"
    if "config_hash" not in table or not (table["config_hash"].astype(str) == key).all():
        return "damaged", f"{name} holds rows of another configuration"
    return "done", table


def _discard(cell_dir: Path, key: str) -> None:
    for suffix in (*_SUFFIX.values(), ".json"):
        with contextlib.suppress(OSError):
            (cell_dir / f"{key}{suffix}").unlink()


def _store_cell(
    cell_dir: Path, key: str, outcome: dict[str, Any], store: str
) -> tuple[pd.DataFrame, float]:
    """Write a finished cell and then its manifest; return the table as read back."""
    name = f"{key}{_SUFFIX[store]}"
    data = _encode(outcome["table"], store)
    table = _decode(data, name)
    manifest_path = cell_dir / f"{key}.json"
    manifest_path.unlink(missing_ok=True)  # never a new file under an old manifest
    _write_bytes(cell_dir / name, data)
    for other in _SUFFIX.values():
        if f"{key}{other}" != name:
            (cell_dir / f"{key}{other}").unlink(missing_ok=True)
    _write_json(
        manifest_path,
        {
            "config_hash": key,
            "file": name,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": len(table),
            "wall_time_s": outcome["wall_time_s"],
            "version": outcome.get("version"),
            "provenance": provenance(),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )
    (cell_dir / f"{key}.failed.json").unlink(missing_ok=True)
    return table, float(outcome["wall_time_s"])


def _wall_time(cell_dir: Path, key: str) -> float | None:
    try:
        value = json.loads((cell_dir / f"{key}.json").read_text(encoding="utf-8"))["wall_time_s"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, (int, float)) else None


# -- backends ---------------------------------------------------------------------------------


def _serial(jobs: list[tuple[str, dict[str, Any]]], grid_keys: list[str], **_: Any) -> Iterator:
    for key, options in jobs:
        yield key, run_cell(options, grid_keys)


def _exit_text(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


def _processes(
    jobs: list[tuple[str, dict[str, Any]]], grid_keys: list[str], workers: int, **_: Any
) -> Iterator:
    """Cells on a process pool. A worker that dies fails only the cell it was running (found
    through its marker file); the pool is rebuilt for the others, queued ones included."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from ._parallel import pool, terminate

    pending = dict(jobs)
    suspect: dict[str, int] = {}
    unexplained = 0
    with tempfile.TemporaryDirectory(prefix="modelcollapse-sweep-") as markers:
        while pending:
            broken = False
            processes: dict[int, Any] = {}
            with pool(min(workers, len(pending))) as executor:
                futures = {}
                try:
                    for key, options in pending.items():
                        future = executor.submit(_run_marked, options, grid_keys, key, markers)
                        futures[future] = key
                        processes.update(getattr(executor, "_processes", None) or {})
                except BrokenProcessPool:  # a worker died while the cells were submitted
                    broken = True
                for future in as_completed(futures):
                    key = futures[future]
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    del pending[key]
                    yield key, outcome
                if broken:
                    # Let the pool finish breaking: it SIGTERMs the other workers and joins
                    # them all, so every exit code below is final.
                    manager = getattr(executor, "_executor_manager_thread", None)
                    if manager is not None:
                        manager.join(timeout=10)
                    terminate(executor)
            if not broken:
                return
            running: dict[int, str] = {}
            for marker in Path(markers).iterdir():
                with contextlib.suppress(OSError, ValueError):
                    running[int(marker.name)] = marker.read_text(encoding="utf-8")
                    marker.unlink()
            dead = {
                pid: proc.exitcode
                for pid, proc in processes.items()
                if proc.exitcode is not None and proc.exitcode != -signal.SIGTERM
            }
            culprits = {running[p]: c for p, c in dead.items() if running.get(p) in pending}
            for key, code in culprits.items():
                del pending[key]
                error = (
                    f"worker process died running this cell ({_exit_text(code)}; out of memory?)"
                )
                yield key, {"status": "failed", "error": error}
            if culprits:
                continue
            unexplained += 1
            for key in set(running.values()) & set(pending):
                suspect[key] = suspect.get(key, 0) + 1
                if suspect[key] >= _MAX_SUSPECT or unexplained >= 2 * _MAX_SUSPECT:
                    del pending[key]
                    error = (
                        f"worker process died while this cell was running ({suspect[key]} times)"
                    )
                    yield key, {"status": "failed", "error": error}
            if unexplained >= 2 * _MAX_SUSPECT:  # workers keep dying for no visible reason
                for key in list(pending):
                    del pending[key]
                    yield key, {"status": "failed", "error": "worker processes keep dying"}


def _connect(scheduler: str) -> Any:
    """A client of the Dask scheduler at ``scheduler``, or a one-line error within
    :data:`_CONNECT_TIMEOUT` seconds."""
    Client = _distributed().Client
    try:
        return Client(scheduler, timeout=_CONNECT_TIMEOUT, set_as_default=False)
    except Exception as err:  # OSError, TimeoutError, ValueError for a bad address...
        reason = " ".join(str(err).split()) or type(err).__name__
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        raise fail(
            "scheduler", f"cannot connect within {_CONNECT_TIMEOUT:g} s ({reason})", scheduler
        ) from None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise fail(
            "backend",
            "dask needs dask.distributed: pip install 'modelcollapse[dask]'",
            "dask",
        ) from None
    return distributed


def _dask(
    jobs: list[tuple[str, dict[str, Any]]],
    grid_keys: list[str],
    workers: int,
    client: Any = None,
    **_: Any,
) -> Iterator:
    distributed = _distributed()
    cluster = None
    if client is None:
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster, set_as_default=False)
    interrupted = False
    futures: dict[Any, str] = {}
    try:
        for key, options in jobs:
            future = client.submit(run_cell, options, grid_keys, key=f"cell-{key}", pure=False)
            futures[future] = key
        for future in distributed.as_completed(list(futures), loop=client.loop):
            try:
                outcome = future.result()
            except Exception as err:  # a worker that died, a lost connection
                outcome = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
            yield futures[future], outcome
    except BaseException:
        interrupted = True
        raise
    finally:
        if cluster is not None:
            _close_cluster(client, cluster, fast=interrupted)
        elif interrupted:  # a remote cluster: drop what this run submitted
            with contextlib.suppress(Exception):
                client.cancel(list(futures), force=True)


def _close_cluster(client: Any, cluster: Any, *, fast: bool) -> None:
    """Stop a LocalCluster; interrupted, kill its worker processes at once (a graceful close
    waits for the running cells) and close it quietly."""
    if not fast:
        client.close()
        cluster.close()
        return
    import logging

    # Silenced for good: the scheduler would log each lost worker, and what is left of the
    # killed processes is reaped, with more lines, when Python exits.
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)
    for pid in _cluster_pids(cluster):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        client.close(timeout=1)
    with contextlib.suppress(Exception):
        cluster.close(timeout=1)


def _cluster_pids(cluster: Any) -> list[int]:
    """Mark a LocalCluster's nannies closed (so that none restarts its worker, and closing the
    cluster does not wait for them) and return the pids of their worker processes."""
    from distributed.core import Status

    pids = []
    for nanny in list(getattr(cluster, "workers", {}).values()):
        with contextlib.suppress(Exception):
            nanny.status = Status.closed
            pid = nanny.process.process.pid
            if isinstance(pid, int):
                pids.append(pid)
    return pids


_BACKENDS: dict[str, Callable[..., Any]] = {
    "serial": _serial,
    "processes": _processes,
    "dask": _dask,
}


# -- the sweep --------------------------------------------------------------------------------


def _check_store(out: Path) -> None:
    """Refuse, before anything is created or computed, a store that cannot be written."""
    if out.is_symlink() and not out.exists():
        raise fail("out", "is a broken symbolic link (or a loop)", str(out))
    if out.exists():
        if not out.is_dir():
            raise fail("out", "must be a directory (the result store), not a file", str(out))
        if not os.access(out, os.W_OK | os.X_OK):
            raise fail("out", "is not writable", str(out))
        cells = out / "cells"
        if cells.is_symlink() and not cells.exists():
            raise fail("out", f"{cells} is a broken symbolic link", str(out))
        if cells.exists():
            if not cells.is_dir():
                raise fail("out", f"{cells} must be a directory, not a file", str(out))
            if not os.access(cells, os.W_OK | os.X_OK):
                raise fail("out", f"its cells directory {cells} is not writable", str(out))
        return
    parent = next((p for p in out.absolute().parents if p.exists()), Path("/"))
    if not parent.is_dir():
        raise fail("out", f"cannot be created: {parent} is a file", str(out))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise fail("out", f"is not writable (cannot create it in {parent})", str(out))


def run_sweep(
    config: SweepConfig | str | Path,
    *,
    out: str | Path | None = None,
    backend: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    wait: bool = False,
    progress: bool | Callable[[str], None] = True,
) -> SweepOutcome:
    """Run (or continue) the sweep of ``config`` into its result store (module docstring).

    Parameters
    ----------
    config : SweepConfig, str or Path
        A parsed configuration or the path of a TOML file with a ``[sweep]`` table (its ``out``
        is relative to the file's folder).
    out, backend, workers, scheduler : optional
        Override the file's ``[sweep]`` settings (``out`` relative to the current directory).
        ``backend`` defaults to ``processes`` (one worker per core) and ``workers`` to the
        number of cores; a backend other than ``dask`` ignores the file's ``scheduler``.
    wait : bool
        When another run holds the store: wait for it to finish (True) or refuse (False).
    progress : bool or callable
        True: a progress line over the cells on stderr (fraction done, elapsed time, time left;
        rewritten in place on a terminal, a line now and then otherwise) beside the sweep's
        messages; False: nothing; a function: called with a line per finished cell and each
        message.

    Returns
    -------
    SweepOutcome
        Counts, failures, repaired cells and the combined table.

    Raises
    ------
    InvalidArgumentError
        A bad option, cell or store, a busy store (``wait=False``), an unreachable scheduler:
        before anything is computed or created.
    SweepInterrupted
        Ctrl-C (a ``KeyboardInterrupt``); the finished cells are kept.
    """
    cfg = config if isinstance(config, SweepConfig) else load_config(config)
    if not cfg.is_sweep:
        raise fail("config", "has no [sweep] table: run it as a single simulation", str(cfg.path))
    settings = dict(cfg.sweep or {})
    backend = check_choice("backend", backend or settings.get("backend", "processes"), BACKENDS)
    cores = os.cpu_count() or 1
    workers = check_int("workers", workers or settings.get("workers", cores), minimum=1)
    if scheduler and backend != "dask":
        raise fail("scheduler", "applies to the dask backend only", scheduler)
    if backend == "dask":  # another backend given here ignores the file's scheduler
        scheduler = scheduler or settings.get("scheduler")
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
    say = reporter(progress)

    _check_store(out_dir)
    cells = cfg.cells()
    for options in cells:  # every cell valid before anything is written
        try:
            check_options(options)
        except InvalidArgumentError as err:
            raise cfg.located(err) from None
    if backend == "dask":
        _distributed()
    client = _connect(scheduler) if scheduler else None
    try:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise fail("out", f"cannot be created ({err.strerror or err})", str(out_dir)) from None
        lock = _Lock.acquire(out_dir, wait=wait, say=say)
        try:
            return _run_locked(
                cfg, cells, out_dir, backend, workers, client, store, say, progress is True
            )
        finally:
            lock.release()
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def _run_locked(
    cfg: SweepConfig,
    cells: list[dict[str, Any]],
    out_dir: Path,
    backend: str,
    workers: int,
    client: Any,
    store: str,
    say: Callable[[str], None],
    live: bool = False,
) -> SweepOutcome:
    """Run the cells not yet in the store; ``live``: a progress line over the cells on stderr
    and a message per failed cell, else a line per cell to ``say``."""
    grid_keys = list(cfg.grid)
    hashes = [cell_hash(c) for c in cells]
    by_hash = dict(zip(hashes, cells, strict=True))

    def label(key: str) -> str:
        return ", ".join(f"{k}={by_hash[key][k]}" for k in grid_keys)

    cell_dir = out_dir / "cells"
    cell_dir.mkdir(exist_ok=True)
    _remove_stale_temporaries(out_dir)
    _remove_stale_temporaries(cell_dir)
    tables: dict[str, pd.DataFrame] = {}
    walls: dict[str, float | None] = {}
    repaired: list[tuple[str, str]] = []
    for key in hashes:
        status, detail = _verify(cell_dir, key)
        if status == "done":
            tables[key] = detail
            walls[key] = _wall_time(cell_dir, key)
        elif status == "damaged":
            repaired.append((key, detail))
            say(f"sweep: cell {key} ({label(key)}) is damaged: {detail}; computing it again")
            _discard(cell_dir, key)
    reused = len(tables)
    jobs = [(h, c) for h, c in zip(hashes, cells, strict=True) if h not in tables]
    say(
        f"sweep: {len(cells)} cells, {reused} already finished, {len(jobs)} to run "
        f"({backend}{'' if backend == 'serial' else f', {workers} worker' + 's' * (workers > 1)})"
        f" -> {out_dir}"
    )
    failed: dict[str, str] = {}
    count = 0
    bar = Progress("sweep", len(jobs), enabled=live and bool(jobs), unit="cells")
    results = _BACKENDS[backend](jobs, grid_keys, workers=workers, client=client)
    try:
        for key, outcome in results:
            count += 1
            if outcome["status"] == "done":
                with _interrupt_after():
                    tables[key], walls[key] = _store_cell(cell_dir, key, outcome, store)
                line = f"[{count}/{len(jobs)}] {key} ({label(key)}) {walls[key]:.2f} s"
                if not live:
                    say(line)
            else:
                failed[key] = outcome["error"]
                with _interrupt_after():
                    record = {"options": by_hash[key], **outcome}
                    _write_json(cell_dir / f"{key}.failed.json", record)
                line = f"[{count}/{len(jobs)}] {key} ({label(key)}) FAILED: {outcome['error']}"
                if live:
                    bar.message(line)
                else:
                    say(line)
            bar.advance(note=f"({len(failed)} failed)" if failed else "")
    except KeyboardInterrupt:
        bar.__exit__(KeyboardInterrupt, None, None)
        results.close()  # stops the workers now
        raise SweepInterrupted(len(tables), len(cells), out_dir) from None
    except BaseException as err:
        bar.__exit__(type(err), err, None)
        raise
    finally:
        results.close()
    bar.close()
    parts = [tables[h] for h in hashes if h in tables]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    combined = out_dir / f"sweep{_SUFFIX[store]}"
    if parts:
        _write_bytes(combined, _encode(table, store))
    else:
        combined.unlink(missing_ok=True)  # never an old table for a store with no cell
    _write_json(
        out_dir / "sweep.json",
        {
            "config": str(cfg.path) if cfg.path is not None else None,
            "provenance": provenance(),
            "backend": backend,
            "workers": workers,
            "store": store,
            "grid": cfg.grid,
            "base": {k: v for k, v in cfg.base.items() if v is not None},
            "cells": [
                {
                    "hash": h,
                    "values": {k: c[k] for k in grid_keys},
                    "status": "failed" if h in failed else "done" if h in tables else "not run",
                    "wall_time_s": walls.get(h),
                }
                for h, c in zip(hashes, cells, strict=True)
            ],
            "repaired": [{"hash": h, "problem": p} for h, p in repaired],
        },
    )
    outcome = SweepOutcome(
        out=out_dir,
        cells=len(cells),
        computed=count - len(failed),
        reused=reused,
        failed=sorted(failed.items()),
        repaired=repaired,
        table=table,
    )
    say(
        f"sweep: {outcome.computed} computed, {outcome.reused} reused, "
        + (f"{len(repaired)} repaired, " if repaired else "")
        + f"{len(failed)} failed"
        + ("" if outcome.ok else ": " + "; ".join(f"{h}: {e}" for h, e in outcome.failed))
    )
    return outcome
