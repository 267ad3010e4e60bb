"""Configuration files and sweeps: validation with file lines, backends, the resumable store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import modelcollapse.sweep as sweep_module
from modelcollapse.cli import build_parser, main
from modelcollapse.config import ConfigError, cell_hash, load_config, parse_config
from modelcollapse.sweep import run_sweep

BASE = """
family = "gaussian"
n0 = 20
generations = 5
replications = 64
"""


def _config(tmp_path: Path, body: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def _grid_config(tmp_path: Path, seeds: int, schedules: int = 5, extra: str = "") -> Path:
    schedules_list = ", ".join(f'"constant:n={20 + 5 * i}"' for i in range(schedules))
    return _config(
        tmp_path,
        BASE
        + extra
        + f"""
[sweep]
out = "{tmp_path / "store"}"

[sweep.grid]
schedule = [{schedules_list}]
seed = {list(range(seeds))}
""",
    )


def _values(table: pd.DataFrame) -> pd.DataFrame:
    assert "wall_time_s" not in table  # kept in the manifests: the tables are deterministic
    return table.reset_index(drop=True)


# -- configuration files --------------------------------------------------------------------


def test_every_simulate_option_has_a_configuration_name():
    parser = build_parser()
    simulate = parser._subparsers._group_actions[0].choices["simulate"]  # type: ignore[union-attr]
    output = {"rows", "format", "out", "help", "theory", "quiet"}  # output, not simulation
    for action in simulate._actions:
        if action.dest in output:
            continue
        value = action.choices[0] if action.choices else (1 if action.type in (int, float) else "1")
        if action.dest in ("p",):
            value = "0.5"
        text = f"{action.dest} = {json.dumps(value)}\n"
        cfg = parse_config(text)
        assert action.dest in cfg.base, action.dest


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("n0 = 10\nschedul = 5\n", 2, "key 'schedul': unknown key"),
        ("n0 = '10'\n", 1, "key 'n0': must be an integer"),
        ("n0 = 10\neps = 'small'\n", 2, "key 'eps': must be a number"),
        ("engine = 'fast'\n", 1, "key 'engine': must be one of exact, sample, asymptotic"),
        ("family = 'gauss'\n", 1, "key 'family': must be one of"),
        ("seed = 1\n[sweep]\nout = 'x'\nbackend = 'cloud'\n", 4, "key 'sweep.backend'"),
        ("seed = 1\n[sweep]\nout = 'x'\nworkers = 0\n", 4, "must be a positive integer"),
        ("seed = 1\n[sweep]\nout = 'x'\nretries = 2\n", 4, "key 'sweep.retries': unknown key"),
        ("[sweep]\nout = 'x'\n[sweep.grid]\nn0 = 10\n", 4, "must be a non-empty list"),
        ("[sweep]\nout = 'x'\n[sweep.grid]\nn0 = []\n", 4, "must be a non-empty list"),
        ("[sweep]\nout = 'x'\n[sweep.grid]\nn0 = [1, 'a']\n", 4, "must be an integer"),
        ("n0 = 5\n[sweep]\nout = 'x'\n[sweep.grid]\nn0 = [1, 2]\n", 5, "also fixed"),
        ("[sweep]\nout = 'x'\n[sweep.grid]\nseed = [1, 1]\n", 4, "lists a value twice"),
        ("[sweep]\nout = 'x'\n[sweep.grid]\nn0 = [10, 20]\n", None, "a sweep needs a seed"),
        ("seed = 1\nrows = 5\n[sweep]\nout = 'x'\n", 2, "a sweep writes to [sweep] out"),
        ("beta = [1, 'x']\n", 1, "non-empty list of numbers"),
        ("n0 = 10\nn0 = 11\n", None, "not valid TOML"),
        ("seed = 1\n[sweep]\nout = 'x'\ngrid = []\n", 4, "key 'sweep.grid': must be a table"),
        ("seed = 1\n[sweep]\nout = 'x'\n[sweep.grid]\n", 4, "key 'sweep.grid': a sweep needs"),
        ("seed = 1\n[sweep]\nout = 'x'\n", None, "key 'sweep.grid': a sweep needs at least"),
    ],
)
def test_config_errors_name_the_file_line_and_key(tmp_path, body, line, message):
    path = _config(tmp_path, body, "bad.toml")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert message in text and "\n" not in text
    if line is not None:
        assert text.startswith(f"{path}:{line}: ")


def test_a_config_that_is_not_utf8_is_one_line_error(tmp_path, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"n0 = 20\n# caf\xe9\n")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"modelcollapse run: error: {path}:2: not UTF-8 text (byte 0xe9 at offset 13); "
        "save the file as UTF-8\n"
    )


def test_paths_in_a_config_are_relative_to_its_folder(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "configs" / "deep"
    folder.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sweep = folder / "sweep.toml"
    sweep.write_text(BASE + "[sweep]\nout = '../../store'\n[sweep.grid]\nseed = [0]\n")
    assert load_config(sweep).sweep["out"] == str(folder / "../../store")
    assert main(["run", str(sweep), "--backend", "serial", "--quiet"]) == 0
    assert (tmp_path / "store" / "sweep.csv").exists() and not (elsewhere / "store").exists()
    assert main(["run", str(sweep), "--backend", "serial", "--quiet", "--out", "here"]) == 0
    assert (elsewhere / "here" / "sweep.csv").exists()  # the command line: the current folder
    single = folder / "one.toml"
    single.write_text(BASE + "seed = 1\nout = '../one.csv'\n")
    assert main(["run", str(single)]) == 0
    assert (tmp_path / "configs" / "one.csv").exists() and not (tmp_path / "one.csv").exists()
    capsys.readouterr()


def test_config_lists_and_single_simulation(tmp_path, capsys):
    cfg = parse_config("family = 'logistic'\nbeta = [1.0, -0.5]\nrecord = [0, 2]\nseed = 3\n")
    assert cfg.base["beta"] == "1.0,-0.5" and cfg.base["record"] == "0,2" and not cfg.is_sweep
    out = tmp_path / "one.csv"
    path = _config(tmp_path, BASE + f"seed = 1\nrows = 3\nout = '{out}'\n", "one.toml")
    assert main(["run", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "gaussian" in printed and out.exists()
    assert main(["run", str(path), "--workers", "2"]) == 2
    assert "applies to a sweep" in capsys.readouterr().err


def test_cell_hash_is_stable_and_covers_every_option():
    cells = parse_config(
        "n0 = 10\n[sweep]\nout = 'x'\n[sweep.grid]\nseed = [0, 1]\nn_real = [0, 10]\n"
    ).cells()
    hashes = {cell_hash(c) for c in cells}
    assert len(hashes) == 4
    assert cell_hash(cells[0]) == cell_hash(dict(reversed(list(cells[0].items()))))


# -- sweeps ---------------------------------------------------------------------------------


def test_hundred_cells_identical_on_every_backend(tmp_path):
    """100 cells: serial, 2 processes and a 2-worker Dask LocalCluster give the same numbers."""
    pytest.importorskip("distributed")
    path = _grid_config(tmp_path, seeds=20)
    tables = {}
    for backend in ("serial", "processes", "dask"):
        outcome = run_sweep(
            path, out=tmp_path / backend, backend=backend, workers=2, progress=False
        )
        assert outcome.ok and outcome.cells == 100 and outcome.computed == 100
        tables[backend] = _values(outcome.table)
        stored = pd.read_csv(tmp_path / backend / "sweep.csv")
        pd.testing.assert_frame_equal(_values(stored), tables[backend], check_dtype=False)
    pd.testing.assert_frame_equal(tables["serial"], tables["processes"])
    pd.testing.assert_frame_equal(tables["serial"], tables["dask"])
    manifest = json.loads((tmp_path / "serial" / "sweep.json").read_text())
    assert [c["status"] for c in manifest["cells"]] == ["done"] * 100
    from modelcollapse.provenance import source_hash

    assert manifest["provenance"]["source_hash"] == source_hash()
    (cell,) = list((tmp_path / "serial" / "cells").glob("*.json"))[:1]
    assert json.loads(cell.read_text())["provenance"]["source_hash"] == source_hash()
    assert set(tables["serial"].columns) >= {"schedule", "seed", "config_hash", "version"}


def test_a_sweep_resumes_after_kill_9_and_recomputes_nothing_finished(tmp_path):
    path = _config(
        tmp_path,
        """
family = "gaussian"
n0 = 50
generations = 200
replications = 2000
record = "final"

[sweep]
backend = "serial"

[sweep.grid]
seed = """
        + str(list(range(30))),
    )
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelcollapse", "run", str(path), "--out", str(store), "--quiet"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    cells = store / "cells"
    deadline = time.time() + 120

    def manifests() -> int:  # a cell is finished once its manifest is written
        return sum(not p.name.endswith(".failed.json") for p in cells.glob("*.json"))

    while time.time() < deadline and manifests() < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = [p for p in cells.glob("*.json") if not p.name.endswith(".failed.json")]
    assert 3 <= len(finished) < 30, "the sweep must be stopped mid-way"
    for done in cells.glob("*.csv"):  # every file under its final name is complete
        assert len(pd.read_csv(done)) > 0
    again = run_sweep(path, out=store, progress=False)
    assert again.ok and again.reused == len(finished) and again.computed == 30 - len(finished)
    # at most the cell being written when killed: its file without its manifest
    assert len(again.repaired) <= 1
    fresh = run_sweep(path, out=tmp_path / "fresh", progress=False)
    pd.testing.assert_frame_equal(_values(again.table), _values(fresh.table))
    assert not list(cells.glob(".*.tmp"))


def test_a_failing_cell_is_recorded_and_retried(tmp_path, monkeypatch, capsys):
    path = _grid_config(tmp_path, seeds=3, schedules=2, extra="")
    original = sweep_module.simulate_from_options

    def flaky(options):
        if options["seed"] == 1:
            raise RuntimeError("numerical trouble")
        return original(options)

    monkeypatch.setattr(sweep_module, "simulate_from_options", flaky)
    assert main(["run", str(path), "--backend", "serial", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "2 of 6 cells failed" in err and "numerical trouble" in err
    store = tmp_path / "store"
    failures = list((store / "cells").glob("*.failed.json"))
    assert len(failures) == 2
    record = json.loads(failures[0].read_text())
    assert record["options"]["seed"] == 1 and "RuntimeError" in record["error"]
    monkeypatch.setattr(sweep_module, "simulate_from_options", original)
    again = run_sweep(path, backend="serial", progress=False)
    assert again.ok and again.reused == 4 and again.computed == 2
    assert not list((store / "cells").glob("*.failed.json"))


def test_bad_cells_and_bad_stores_write_nothing(tmp_path, capsys):
    store = tmp_path / "store"
    path = _config(
        tmp_path,
        BASE + f"[sweep]\nout = '{store}'\n[sweep.grid]\nseed = [0]\nweight = ['0.5', '1.5']\n",
    )
    assert main(["run", str(path), "--backend", "serial"]) == 2
    assert "sweep.toml:10: key 'sweep.grid.weight': applies only" in capsys.readouterr().err
    assert not store.exists()
    body = BASE.replace("n0 = 20\n", "") + "[sweep]\n[sweep.grid]\nseed = [0, 1]\nn0 = [1, 20]\n"
    path = _config(tmp_path, body)
    assert main(["run", str(path), "--out", str(store), "--backend", "serial"]) == 2
    assert "key 'sweep.grid.n0': must be an integer >= 2" in capsys.readouterr().err
    assert not store.exists()
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main(["run", str(path), "--out", str(afile)]) == 2
    assert "must be a directory" in capsys.readouterr().err


def test_parquet_store(tmp_path):
    pytest.importorskip("pyarrow")
    path = _grid_config(tmp_path, seeds=2, schedules=1, extra="")
    text = path.read_text().replace("[sweep]\n", '[sweep]\nstore = "parquet"\n')
    path.write_text(text)
    outcome = run_sweep(path, backend="serial", progress=False)
    assert outcome.ok and len(list((tmp_path / "store" / "cells").glob("*.parquet"))) == 2
    assert len(pd.read_parquet(tmp_path / "store" / "sweep.parquet")) == len(outcome.table)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_process_workers_exit_when_the_sweep_is_killed(tmp_path):
    path = _config(
        tmp_path,
        "family = 'gaussian'\nn0 = 50\ngenerations = 200\nreplications = 4000\n"
        "record = 'final'\n[sweep]\nbackend = 'processes'\nworkers = 2\n[sweep.grid]\nseed = "
        + str(list(range(200))),
    )
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelcollapse", "run", str(path), "--out", str(store), "--quiet"]
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((store / "cells").glob("*.csv"))) < 2:
        time.sleep(0.05)
    children_file = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    children = [int(c) for c in children_file.read_text().split()]
    assert children, "the pool's workers run in child processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
        time.sleep(0.1)
    alive = [c for c in children if Path(f"/proc/{c}").exists()]
    for pid in alive:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive
