"""Fault injection on sweeps: damaged stores, concurrent runs, dead workers, Ctrl-C, an
unreachable scheduler and read-only stores. Nothing finished is lost, nothing wrong is reused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import modelcollapse.sweep as sweep_module
from modelcollapse.cli import main
from modelcollapse.config import cell_hash, load_config
from modelcollapse.sweep import run_sweep

TINY = """
family = "gaussian"
n0 = 20
generations = 5
replications = 64
"""
#: Cells of about 0.2 s: long enough to catch a run in the middle.
SLOW = """
family = "gaussian"
n0 = 50
generations = 300
replications = 4000
record = "final"
"""


def _sweep(tmp_path: Path, seeds: int, *, body: str = TINY, extra: str = "") -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(
        body + f"[sweep]\nout = 'store'\n{extra}[sweep.grid]\nseed = {list(range(seeds))}\n"
    )
    return path


def _cli(*args: str, session: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "modelcollapse", "run", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=session,
    )


def _wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def _finished(cells: Path) -> list[Path]:
    """Cells with a manifest (written after the cell file)."""
    return [p for p in cells.glob("*.json") if not p.name.endswith(".failed.json")]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- damaged cells ----------------------------------------------------------------------------


def _truncate(path: Path, manifest: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _cut_tail(path: Path, manifest: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-75])


def _empty(path: Path, manifest: Path) -> None:
    path.write_bytes(b"")


def _garble(path: Path, manifest: Path) -> None:
    path.write_bytes(os.urandom(len(path.read_bytes())))


def _flip_digit(path: Path, manifest: Path) -> None:
    """Same size, still a valid table, one value changed: only the checksum tells."""
    text = path.read_text()
    i = text.rindex("\n", 0, len(text) - 1) + 1
    j = next(k for k in range(i, len(text)) if text[k] in "12345678")
    path.write_text(text[:j] + str(int(text[j]) + 1) + text[j + 1 :])


def _no_manifest(path: Path, manifest: Path) -> None:
    manifest.unlink()


def _garbled_manifest(path: Path, manifest: Path) -> None:
    manifest.write_text("{not json")


def _manifest_rows(path: Path, manifest: Path) -> None:
    """The file is intact but the manifest disagrees with it."""
    record = json.loads(manifest.read_text())
    record["rows"] += 1
    manifest.write_text(json.dumps(record))


def _manifest_hash(path: Path, manifest: Path) -> None:
    record = json.loads(manifest.read_text())
    record["config_hash"] = "0" * 16
    manifest.write_text(json.dumps(record))


def _other_cell(path: Path, manifest: Path) -> None:
    """Another cell's file and manifest under this cell's name: the hash column tells."""
    others = sorted(p for p in path.parent.glob(f"*{path.suffix}") if p != path)
    other = others[0]
    path.write_bytes(other.read_bytes())
    record = json.loads((other.parent / f"{other.stem}.json").read_text())
    record["config_hash"], record["file"] = path.stem, path.name
    manifest.write_text(json.dumps(record))


DAMAGE = {
    "truncated": _truncate,
    "last-75-bytes-cut": _cut_tail,
    "empty": _empty,
    "garbled": _garble,
    "one-digit-changed": _flip_digit,
    "no-manifest": _no_manifest,
    "garbled-manifest": _garbled_manifest,
    "manifest-rows-disagree": _manifest_rows,
    "manifest-hash-disagrees": _manifest_hash,
    "another-cells-rows": _other_cell,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_cell_is_recomputed_never_reused(tmp_path, damage):
    path = _sweep(tmp_path, seeds=3)
    first = run_sweep(path, backend="serial", progress=False)
    store = tmp_path / "store"
    reference = (store / "sweep.csv").read_bytes()
    key = cell_hash(load_config(path).cells()[1])
    DAMAGE[damage](store / "cells" / f"{key}.csv", store / "cells" / f"{key}.json")
    lines: list[str] = []
    again = run_sweep(path, backend="serial", progress=lines.append)
    assert again.ok and again.reused == 2 and again.computed == 1
    assert [h for h, _ in again.repaired] == [key]
    assert any(key in line and "damaged" in line for line in lines)
    pd.testing.assert_frame_equal(again.table, first.table)
    assert (store / "sweep.csv").read_bytes() == reference
    assert run_sweep(path, backend="serial", progress=False).reused == 3  # repaired for good


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbled"])
def test_a_damaged_parquet_cell_is_recomputed(tmp_path, damage):
    pytest.importorskip("pyarrow")
    path = _sweep(tmp_path, seeds=2, extra="store = 'parquet'\n")
    first = run_sweep(path, backend="serial", progress=False)
    key = cell_hash(load_config(path).cells()[0])
    cells = tmp_path / "store" / "cells"
    DAMAGE[damage](cells / f"{key}.parquet", cells / f"{key}.json")
    again = run_sweep(path, backend="serial", progress=False)
    assert [h for h, _ in again.repaired] == [key] and again.computed == 1
    pd.testing.assert_frame_equal(again.table, first.table)


def test_two_runs_write_identical_bytes(tmp_path):
    """The wall time lives in the manifests: cell files and sweep.csv are deterministic, also
    for a run resumed after a cell was lost."""
    path = _sweep(tmp_path, seeds=3)
    run_sweep(path, out=tmp_path / "a", backend="serial", progress=False)
    run_sweep(path, out=tmp_path / "b", backend="serial", progress=False)
    for name in ("sweep.csv", *(f"cells/{p.name}" for p in (tmp_path / "a/cells").glob("*.csv"))):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert "wall_time_s" not in (tmp_path / "a/sweep.csv").read_text()
    manifest = json.loads(next(iter(_finished(tmp_path / "a/cells"))).read_text())
    assert manifest["wall_time_s"] >= 0 and len(manifest["sha256"]) == 64
    key = cell_hash(load_config(path).cells()[2])
    (tmp_path / "b/cells" / f"{key}.csv").unlink()
    (tmp_path / "b/cells" / f"{key}.json").unlink()
    assert run_sweep(path, out=tmp_path / "b", backend="serial", progress=False).computed == 1
    assert (tmp_path / "a/sweep.csv").read_bytes() == (tmp_path / "b/sweep.csv").read_bytes()


# -- the lock ---------------------------------------------------------------------------------


def test_a_busy_store_refuses_and_wait_waits_then_reuses(tmp_path, capsys):
    path = _sweep(tmp_path, seeds=6, body=SLOW, extra="backend = 'serial'\n")
    first = _cli(str(path), "--quiet")
    lock = tmp_path / "store" / ".lock"
    try:
        _wait_for(lambda: lock.exists() and lock.read_text().strip())
        assert main(["run", str(path), "--quiet"]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1
        assert err.startswith("modelcollapse run: error: --out: is in use by another run")
        assert f"pid {first.pid} on {socket.gethostname()}" in err
        assert first.poll() is None, "the first run must still be running"
        assert main(["run", str(path), "--wait"]) == 0
        assert first.wait(timeout=30) == 0
    finally:
        first.kill()
        first.wait()
    err = capsys.readouterr().err
    assert "is in use by" in err and "waiting for it to finish" in err
    assert "sweep: 0 computed, 6 reused, 0 failed" in err
    assert not lock.exists()


def test_a_stale_lock_is_taken_over(tmp_path):
    path = _sweep(tmp_path, seeds=2)
    store = tmp_path / "store"
    store.mkdir()
    holder = {"pid": _dead_pid(), "host": socket.gethostname(), "started": "yesterday"}
    (store / ".lock").write_text(json.dumps(holder))
    lines: list[str] = []
    outcome = run_sweep(path, backend="serial", progress=lines.append)
    assert outcome.ok and outcome.computed == 2
    assert any("took over the lock" in line and str(holder["pid"]) in line for line in lines)
    assert not (store / ".lock").exists()


def test_a_run_removes_only_temporaries_of_dead_writers(tmp_path):
    path = _sweep(tmp_path, seeds=1)
    cells = tmp_path / "store" / "cells"
    cells.mkdir(parents=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = cells / f".abc.csv.{live.pid}.tmp"
        dead = cells / f".abc.csv.{_dead_pid()}.tmp"
        theirs.write_text("half")
        dead.write_text("half")
        assert run_sweep(path, backend="serial", progress=False).ok
        assert theirs.exists() and not dead.exists()
    finally:
        live.kill()
        live.wait()


# -- dead workers -----------------------------------------------------------------------------


def test_a_killed_worker_fails_only_its_cell(tmp_path, monkeypatch):
    path = _sweep(tmp_path, seeds=6)
    victim = cell_hash(load_config(path).cells()[1])
    monkeypatch.setenv(sweep_module._KILL_HOOK, victim)  # that worker kills itself (SIGKILL)
    outcome = run_sweep(path, backend="processes", workers=2, progress=False)
    assert outcome.computed == 5 and [h for h, _ in outcome.failed] == [victim]
    assert "worker process died running this cell (killed by SIGKILL" in outcome.failed[0][1]
    assert len(_finished(tmp_path / "store" / "cells")) == 5
    monkeypatch.delenv(sweep_module._KILL_HOOK)
    again = run_sweep(path, backend="serial", progress=False)
    assert again.ok and again.reused == 5 and again.computed == 1


# -- Ctrl-C -----------------------------------------------------------------------------------


#: Two fast cells, then two of several seconds: Ctrl-C comes while a slow one runs.
MIXED = """
family = "gaussian"
n0 = 50
generations = 300
record = "final"
[sweep]
out = "store"
[sweep.grid]
replications = [1000, 80000]
seed = [0, 1]
"""


def _check_interrupted(status: int, elapsed: float, err: str, cells: Path) -> None:
    assert status == 130 and elapsed < 2.0, (status, elapsed, err)
    assert len(err.splitlines()) == 1, err
    assert err.startswith("modelcollapse run: interrupted: 2 of 4 cells finished and kept in")
    kept = [p.stem for p in _finished(cells)]
    assert len(kept) == 2 and all(sweep_module._verify(cells, key)[0] == "done" for key in kept)


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_ctrl_c_stops_run_within_2_s_with_one_line(tmp_path, capsys, backend):
    path = tmp_path / "sweep.toml"
    path.write_text(MIXED)
    cells = tmp_path / "store" / "cells"
    sent: list[float] = []
    stop = threading.Event()

    def interrupt() -> None:  # Ctrl-C once the fast cells are stored and the slow ones run
        while len(_finished(cells)) < 2 and not stop.wait(0.01):
            pass
        if not stop.wait(0.3):
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    try:
        status = main(["run", str(path), "--backend", backend, "--workers", "1", "--quiet"])
        elapsed = time.monotonic() - sent[0]
        stop.set()
        thread.join()
        time.sleep(0.05)
    except KeyboardInterrupt:
        pytest.fail("the run finished before Ctrl-C")
    finally:
        stop.set()
        thread.join()
    _check_interrupted(status, elapsed, capsys.readouterr().err, cells)


def test_ctrl_c_stops_a_dask_run_within_2_s_with_one_line(tmp_path):
    """The terminal's Ctrl-C reaches the whole process group, Dask's processes included."""
    pytest.importorskip("distributed")
    path = tmp_path / "sweep.toml"
    path.write_text(MIXED)
    proc = _cli(str(path), "--backend", "dask", "--workers", "1", "--quiet", session=True)
    cells = tmp_path / "store" / "cells"
    try:
        _wait_for(lambda: len(_finished(cells)) >= 2, seconds=120)
        time.sleep(0.3)
        start = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        status = proc.wait(timeout=30)
        elapsed = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    _check_interrupted(status, elapsed, proc.stderr.read(), cells)


# -- paths and connections, before anything --------------------------------------------------


def test_an_unreachable_scheduler_fails_fast_and_creates_nothing(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_module, "_CONNECT_TIMEOUT", 1.0)
    path = _sweep(tmp_path, seeds=2)
    start = time.monotonic()
    status = main(["run", str(path), "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    elapsed = time.monotonic() - start
    out, err = capsys.readouterr()
    assert status == 2 and elapsed < 10 and out == ""
    assert err.splitlines() == [err.strip()]
    assert err.startswith("modelcollapse run: error: --scheduler: cannot connect within 1 s")
    assert not (tmp_path / "store").exists()


def _read_only(monkeypatch, folder: Path) -> None:
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root: permission bits are not enforced
        real = os.access

        def access(path, mode, *args, **kwargs):
            inside = Path(os.path.abspath(path)).is_relative_to(folder)
            return False if inside and mode & os.W_OK else real(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)


def test_a_read_only_cells_folder_is_refused_before_computing(tmp_path, capsys, monkeypatch):
    path = _sweep(tmp_path, seeds=2)
    cells = tmp_path / "store" / "cells"
    cells.mkdir(parents=True)
    _read_only(monkeypatch, cells)
    computed = []
    original = sweep_module.run_cell
    monkeypatch.setattr(sweep_module, "run_cell", lambda *a: computed.append(1) or original(*a))
    try:
        status = main(["run", str(path), "--backend", "serial"])
    finally:
        cells.chmod(0o755)
    err = capsys.readouterr().err
    assert status == 2 and not computed
    assert err.startswith("modelcollapse run: error: --out: its cells directory")
    assert "is not writable" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["cells"]
