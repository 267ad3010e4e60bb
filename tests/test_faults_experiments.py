"""Faults around experiments and the report: a run interrupted or failing mid-way leaves no
partial folder and keeps the older one, a mixed or damaged folder is never reused, values read
back from meta.json are escaped and type-checked, output paths are checked before any computing,
and Ctrl-C ends ``reproduce`` with one line and status 130.

Most tests run a tiny registered experiment (a few milliseconds) instead of a real one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import modelcollapse as mc
import modelcollapse.report as report_module
from modelcollapse._validation import fail
from modelcollapse.cli import main
from modelcollapse.experiments import registry, runner
from modelcollapse.experiments.context import Experiment, Outcome
from modelcollapse.experiments.registry import experiment_ids
from modelcollapse.experiments.runner import configuration_hash, file_checksum, run_experiment
from modelcollapse.experiments.verdicts import Verdict
from modelcollapse.report import build_report

TINY = "tiny-fault"
REPS = 20


class _Interrupting:
    """A figure whose ``savefig`` raises: a run stopped after results.csv and key.csv."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def savefig(self, *args, **kwargs):
        raise self.error


def _tiny_run(ctx):
    error = _BEHAVIOUR.get("raise")
    if error is not None and not _BEHAVIOUR.get("late"):
        raise error
    rng = np.random.default_rng(ctx.child_seed(0))
    values = rng.normal(size=ctx.replications)
    table = pd.DataFrame({"replication": np.arange(ctx.replications), "value": values})
    ctx.note(tiny=True)
    # an empty canvas: drawn in milliseconds, and still a PNG and an SVG to checksum
    figure = _Interrupting(error) if error is not None else Figure(figsize=(1, 1))
    return Outcome(table, {"panel": figure}, table.head(3), notes=["a tiny note"])


def _tiny_judge(table):
    return [Verdict("the mean is finite", bool(np.isfinite(table["value"].mean())), "ok", "theory")]


_BEHAVIOUR: dict = {}


@pytest.fixture
def tiny(monkeypatch):
    """A registered experiment ``tiny-fault``; ``tiny["raise"] = error`` makes its run raise
    (at once, or with ``tiny["late"] = True`` after results.csv and key.csv are written)."""
    experiment_ids()  # load the real registry first
    experiment = Experiment(TINY, "a tiny experiment", "no paper", "no figure", REPS, 5,
                            _tiny_run, _tiny_judge)  # fmt: skip
    monkeypatch.setitem(registry._REGISTRY, TINY, experiment)
    _BEHAVIOUR.clear()
    yield _BEHAVIOUR
    _BEHAVIOUR.clear()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_meta_records_the_configuration_hash_and_every_file(tiny, tmp_path):
    target = run_experiment(TINY, tmp_path, seed=3, progress=False)
    meta = json.loads((target / "meta.json").read_text())
    assert meta["configuration_hash"] == configuration_hash(TINY, 3, REPS, False)
    assert meta["configuration_hash"] != configuration_hash(TINY, 4, REPS, False)
    assert meta["configuration_hash"] != configuration_hash(TINY, 3, REPS, True)
    assert meta["configuration_hash"] != configuration_hash(TINY, 3, REPS + 1, False)
    others = sorted(p.name for p in target.iterdir() if p.name != "meta.json")
    assert sorted(meta["files"]) == others
    assert {"results.csv", "key.csv", "summary.md", "panel.png", "panel.svg"} <= set(others)
    for name, checksum in meta["files"].items():
        assert file_checksum(target / name) == checksum
    assert _leftovers(tmp_path) == []
    # workers do not change the results, so not the hash either
    again = run_experiment(TINY, tmp_path / "two", seed=3, workers=2, progress=False)
    assert (
        json.loads((again / "meta.json").read_text())["configuration_hash"]
        == (meta["configuration_hash"])
    )


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom")])
def test_an_interrupted_run_keeps_the_older_folder_whole(tiny, tmp_path, error):
    """The issue's scenario: a seed-1 run stopped after results.csv and key.csv were written
    over a finished seed-0 folder. Now they are written in a temporary folder, removed."""
    target = run_experiment(TINY, tmp_path, seed=0, progress=False)
    before = _snapshot(target)
    tiny.update({"raise": error, "late": True})
    with pytest.raises(type(error)):
        run_experiment(TINY, tmp_path, seed=1, progress=False)
    assert _snapshot(target) == before
    assert _leftovers(tmp_path) == []


def test_a_rerun_replaces_the_folder(tiny, tmp_path):
    target = run_experiment(TINY, tmp_path, seed=0, progress=False)
    (target / "stray.txt").write_text("from an older run")
    run_experiment(TINY, tmp_path, seed=1, progress=False)
    assert not (target / "stray.txt").exists()
    assert json.loads((target / "meta.json").read_text())["seed"] == 1
    assert _leftovers(tmp_path) == []


def test_a_failed_first_run_leaves_no_folder(tiny, tmp_path):
    tiny["raise"] = MemoryError()
    out = tmp_path / "a" / "b"
    with pytest.raises(mc.InvalidArgumentError, match="^replications: the experiment ran out"):
        run_experiment(TINY, out, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_temporary_folders_of_dead_runs_are_removed(tiny, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".{TINY}.{dead}.tmp"
    (stale / "results.csv").parent.mkdir()
    (stale / "results.csv").write_text("half")
    live = tmp_path / f".{TINY}.{os.getppid()}.tmp"  # another process's run, still going
    live.mkdir()
    run_experiment(TINY, tmp_path, progress=False)
    assert not stale.exists() and live.exists()


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (fail("replications", "needs 30 GiB of memory, 20 GiB are available", 10**9),
         "--replications: needs 30 GiB"),
        (MemoryError(), "--replications: the experiment ran out of memory"),
        (BrokenProcessPool("died"), "--workers: a worker process died"),
    ],
)  # fmt: skip
def test_errors_inside_an_experiment_are_one_line_and_leave_nothing(
    tiny, tmp_path, capsys, error, words
):
    tiny["raise"] = error
    out = tmp_path / "out"
    assert main(["reproduce", TINY, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[-1].startswith(f"modelcollapse reproduce: error: {words}"), lines
    assert all(line.startswith(f"[{TINY}") for line in lines[:-1])  # progress lines only
    assert captured.out == ""
    assert not out.exists()


def test_the_found_case_of_a_huge_replication_count(tmp_path, capsys, monkeypatch):
    """``reproduce xu2025-fig3 --replications 1000000000`` left an empty folder behind: the
    engine's allocation (or its memory check) fails, and now nothing is left."""
    from modelcollapse.experiments.xu2025 import fig3

    def huge(*args, replications, **kwargs):
        assert replications == 10**9
        raise MemoryError("Unable to allocate 29.8 GiB")  # numpy's _ArrayMemoryError is one

    monkeypatch.setattr(fig3, "simulate", huge)
    out = tmp_path / "results"
    argv = ["reproduce", "xu2025-fig3", "--replications", "1000000000", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "modelcollapse reproduce: error: --replications: the experiment ran out of memory; try "
        "fewer replications (got 1000000000)"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["reproduce", "report"])
def test_ctrl_c_in_process_exits_130_with_one_line(tiny, tmp_path, capsys, command):
    argv = [TINY] if command == "reproduce" else ["--only", TINY]
    assert main([command, *argv, "--out", str(tmp_path), "--quiet"]) == 0
    target = tmp_path / TINY
    before = _snapshot(target)
    capsys.readouterr()
    tiny.update({"raise": KeyboardInterrupt(), "late": True})
    assert main([command, *argv, "--out", str(tmp_path), "--quiet", "--seed", "1"]) == 130
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err.splitlines() == [captured.err.strip()]
        and f"modelcollapse {command}: interrupted" in captured.err
    )
    assert _snapshot(target) == before and _leftovers(tmp_path) == []


def _descendants(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids + [d for k in kids for d in _descendants(k)]


def _ignores_sigint(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(mask, 16) & (1 << (signal.SIGINT - 1)))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(
    not Path("/proc/self/task").is_dir() or sys.platform != "linux", reason="reads /proc"
)
def test_ctrl_c_during_reproduce_with_workers(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while he2025-fig8's
    worker pool runs: status 130, one line, no traceback from any process, no folder."""
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelcollapse", "reproduce", "he2025-fig8", "--quick",
         "--workers", "2", "--quiet", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        ready = 0
        while time.monotonic() < deadline and proc.poll() is None:
            kids = _descendants(proc.pid)
            # the pool's workers are up once they ignore SIGINT (their initializer has run);
            # twice in a row, so that no worker is still starting
            ready = ready + 1 if len(kids) >= 2 and all(map(_ignores_sigint, kids)) else 0
            if ready == 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the worker pool did not start")
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_running, kids)):
            time.sleep(0.1)
        assert not any(map(_running, kids)), "a worker outlived the interrupted run"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == [
        "modelcollapse reproduce: interrupted; nothing of the running experiment was kept"
    ], stderr
    assert stdout == ""
    assert not out.exists()  # nor the folder it created for the experiment


# -- the report ---------------------------------------------------------------------------------


def _report(root: Path, **kwargs) -> list[str]:
    lines: list[str] = []
    build_report(root, only=[TINY], progress=lines.append, **kwargs)
    return lines


_BUILT: dict[str, Path] = {}


@pytest.fixture
def built(tiny, tmp_path, tmp_path_factory):
    """A copy of a report of the tiny experiment (seed 0), built once."""
    if "report" not in _BUILT:
        _BUILT["report"] = tmp_path_factory.mktemp("tiny") / "report"
        _report(_BUILT["report"])
    root = tmp_path / "report"
    shutil.copytree(_BUILT["report"], root)
    return root


def test_a_mixed_folder_is_not_reused(built, tmp_path):
    """The issue's scenario, made by hand: seed-1 results.csv and key.csv over a finished
    seed-0 folder. The report says why it does not reuse it, reruns, and shows seed 0."""
    root = built
    target = root / TINY
    seed0 = _snapshot(target)
    other = run_experiment(TINY, tmp_path / "seed1", seed=1, progress=False)
    for name in ("results.csv", "key.csv"):
        shutil.copyfile(other / name, target / name)
    lines = _report(root)
    assert f"not reusing {target}: key.csv changed since it was written; running" in lines[0]
    assert (target / "results.csv").read_bytes() == seed0["results.csv"]
    assert _report(root)[0].endswith(f"reusing {target}")  # intact again


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: (t / "meta.json").unlink(), "it has no meta.json"),
        (lambda t: (t / "meta.json").write_text('{"id": '), "its meta.json does not parse"),
        (lambda t: (t / "meta.json").write_bytes(b"\xff\xfe"), "cannot read its meta.json"),
        (lambda t: (t / "panel.png").unlink(), "panel.png is missing"),
        (lambda t: (t / "results.csv").write_text("value\n1\n"), "results.csv changed"),
        (lambda t: _edit(t, wall_time_s="fast"), "meta.json's wall_time_s is not a"),
        (lambda t: _edit(t, workers="<script>alert(1)</script>"), "meta.json's workers is not"),
        (lambda t: _edit(t, figures=["../x"]), "meta.json's figures is not"),
        (lambda t: _edit(t, verdicts=[{"claim": 1}]), "meta.json's verdicts is not"),
        (lambda t: _edit(t, configuration_hash="0" * 64), "its configuration hash does not"),
        (lambda t: _edit(t, seed=7), "it was run with seed 7, not 0"),
        (lambda t: _edit(t, source_hash="0" * 64), "it was run with other code (source hash 0000"),
        (lambda t: _edit(t, drop="source_hash"), "its meta.json records no source hash"),
        (lambda t: _edit(t, files={"results.csv": "0"}), "its meta.json lists no checksum for"),
        (lambda t: _edit(t, drop="files"), "meta.json has no files"),
        (lambda t: (t / "meta.json").write_text("[]"), "meta.json does not hold an object"),
    ],
)
def test_a_damaged_folder_is_rerun_and_says_why(built, damage, reason):
    damage(built / TINY)
    lines = _report(built)
    assert f"not reusing {built / TINY}: {reason}" in lines[0], lines[0]
    assert report_module._reuse_problem(built / TINY, TINY, False, None, 0) is None  # rerun


def _edit(target: Path, drop: str | None = None, **fields) -> None:
    meta = json.loads((target / "meta.json").read_text())
    meta.update(fields)
    meta.pop(drop, None)
    (target / "meta.json").write_text(json.dumps(meta))


def test_values_read_back_from_meta_json_are_escaped(built):
    root = built
    evil = "<script>alert(1)</script>"
    meta = json.loads((root / TINY / "meta.json").read_text())
    meta.update(
        title=evil, paper=evil, figure=evil, notes=[evil], settings={evil: evil},
        versions={**meta["versions"], "numpy": evil},
    )  # fmt: skip
    meta["verdicts"][0].update(claim=evil, evidence=evil)
    (root / TINY / "meta.json").write_text(json.dumps(meta))
    assert _report(root)[0].endswith("reusing " + str(root / TINY))  # the files are intact
    text = (root / "index.html").read_text()
    assert "<script" not in text and text.count("&lt;script&gt;") >= 7
    # a workers value that is not a number makes the folder not reusable: rerun, not printed
    _edit(root / TINY, workers=evil)
    assert "not reusing" in _report(root)[0]
    text = (root / "index.html").read_text()
    assert "<script" not in text and "1 worker(s)" in text


@pytest.fixture
def no_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an experiment ran before the output was checked")

    monkeypatch.setattr(report_module, "run_experiment", refuse)


def _read_only(monkeypatch, path: Path) -> None:
    """Make ``os.access`` report ``path`` as not writable (permission bits bind no root)."""
    real = os.access

    def access(p, mode, *args, **kwargs):
        if Path(os.path.abspath(p)) == path and mode & os.W_OK:
            return False
        return real(p, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_a_read_only_index_is_found_before_running(tiny, tmp_path, capsys, monkeypatch, no_runs):
    root = tmp_path / "report"
    root.mkdir()
    index = root / "index.html"
    index.write_text("old report")
    index.chmod(0o444)
    _read_only(monkeypatch, index)
    assert main(["report", "--out", str(root), "--only", TINY]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("modelcollapse report: error: --out: its index.html is not a ")
    assert index.read_text() == "old report" and sorted(os.listdir(root)) == ["index.html"]
    index.chmod(0o644)
    index.unlink()
    index.mkdir()  # a directory where the page goes
    with pytest.raises(mc.InvalidArgumentError, match="^out: its index.html is not a writable"):
        build_report(root, only=[TINY], progress=False)
    (root / TINY).write_text("a file where the experiment's folder goes")
    index.rmdir()
    with pytest.raises(mc.InvalidArgumentError, match=f"^out: {TINY} in it is not a directory"):
        build_report(root, only=[TINY], progress=False)


def test_a_read_only_report_directory_is_found_before_running(tiny, tmp_path, monkeypatch, no_runs):
    root = tmp_path / "report"
    root.mkdir()
    _read_only(monkeypatch, root)
    with pytest.raises(mc.InvalidArgumentError, match="^out: the directory is not writable"):
        build_report(root, only=[TINY], progress=False)


@pytest.fixture
def links(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "dangling").symlink_to("no-such-target")
    pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) ** 0.5}).to_csv(
        tmp_path / "good.csv", index=False
    )
    return tmp_path


@pytest.mark.parametrize("where", ["loop", "loop/sub", "dangling", "dangling/sub"])
@pytest.mark.parametrize("command", ["reproduce", "report", "recurse"])
def test_unusable_output_paths_are_found_first(links, capsys, monkeypatch, where, command):
    import modelcollapse.tabular as tabular

    monkeypatch.setattr(tabular, "recurse", lambda *a, **k: pytest.fail("recursion ran"))
    monkeypatch.setattr(runner, "prepare_out", lambda *a: pytest.fail("experiment ran"))
    out = str(links / where)
    argv = {
        "reproduce": ["reproduce", "he2025-theory"],
        "report": ["report", "--only", "he2025-theory"],
        "recurse": ["recurse", "--data", str(links / "good.csv"), "--n0", "50"],
    }[command]
    assert main([*argv, "--out", out]) == 2
    reason = "Too many levels of symbolic links" if "loop" in where else "a symbolic link to a"
    assert capsys.readouterr().err.splitlines() == [
        f"modelcollapse {command}: error: --out: cannot create the directory ({reason}"
        + (" missing target" if "dangling" in where else "")
        + f") (got {out!r})"
    ]


@pytest.mark.parametrize("where", ["loop", "dangling/sub"])
def test_run_experiment_checks_its_output_path(tiny, links, where):
    with pytest.raises(mc.InvalidArgumentError, match="^out: cannot create the directory"):
        run_experiment(TINY, links / where, progress=False)
    assert sorted(p.name for p in links.iterdir()) == ["dangling", "good.csv", "loop"]
