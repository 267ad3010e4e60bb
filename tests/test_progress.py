"""Progress of ``reproduce``, ``report``, ``run`` (sweeps) and ``plan schedule``: a live line
with the fraction done, the elapsed time and the time left on a terminal (tested in a
pseudo-terminal), one elapsed time per experiment, and nothing with ``--quiet``.

The experiments here are tiny registered ones (a few sleeps of 0.2 s), not real ones, so that
the tests take seconds.
"""

from __future__ import annotations

import io
import json
import re
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_in_terminal

import modelcollapse as mc
import modelcollapse.planner as planner
from modelcollapse._progress import Progress
from modelcollapse.cli import main
from modelcollapse.experiments import registry
from modelcollapse.experiments.context import Batch, Context, Experiment, Outcome
from modelcollapse.experiments.registry import experiment_ids
from modelcollapse.experiments.verdicts import Verdict

pty = pytest.importorskip("pty")

#: A script that registers two tiny experiments (six calls of 0.2 s through ``ctx.map``) and
#: runs the command line with the arguments it is given.
_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    from matplotlib.figure import Figure
    from modelcollapse.cli import main
    from modelcollapse.experiments.context import Experiment, Outcome
    from modelcollapse.experiments.registry import register
    from modelcollapse.experiments.verdicts import Verdict

    def nap(i):
        time.sleep(0.2)
        return i

    def run(ctx):
        ctx.progress("napping")
        values = ctx.map(nap, [(i,) for i in range(6)])
        table = pd.DataFrame({"value": values})
        return Outcome(table, {"panel": Figure(figsize=(1, 1))}, table.head(2))

    def judge(table):
        return [Verdict("it ran", True, "ok", "theory")]

    for name in ("tiny-a", "tiny-b"):
        register(Experiment(name, "a tiny experiment", "no paper", "no figure", 20, 5, run, judge))
    sys.exit(main(sys.argv[1:]))
    """
)


def _in_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run the script with ``args``, stderr on a pseudo-terminal (100 columns): the status, the
    stdout and everything written to the terminal."""
    return run_in_terminal(["-c", _SCRIPT, *args], cwd, columns=100)


def _live_lines(terminal: str) -> list[str]:
    """The texts a ``\\r`` rewrote in place (the live line's successive states)."""
    return [part.strip() for line in terminal.split("\n") for part in line.split("\r")[1:]]


def test_reproduce_shows_a_live_line_with_fraction_elapsed_and_time_left(tmp_path):
    status, out, terminal = _in_terminal(
        ["reproduce", "tiny-a", "--out", "r", "--workers", "1"], tmp_path
    )
    assert status == 0, terminal
    assert out.strip().endswith("summary.md")
    live = [line for line in _live_lines(terminal) if line.startswith("[tiny-a]")]
    assert any(re.search(r"\d+% [\d.]+s elapsed, about [\d.]+s left", line) for line in live)
    percents = [int(m.group(1)) for line in live if (m := re.search(r" (\d+)% ", line))]
    assert percents == sorted(percents) and len(set(percents)) >= 4, live  # it moves, forward
    assert "[tiny-a    0.0s] start: a tiny experiment" in terminal
    # one elapsed time: the last line's is the one in meta.json and summary.md
    done = re.findall(r"\[tiny-a\] done in ([\d.]+)s -> r/tiny-a", terminal)
    assert len(done) == 1, terminal
    meta = json.loads((tmp_path / "r" / "tiny-a" / "meta.json").read_text())
    assert f"{meta['wall_time_s']:.1f}" == done[0]
    assert f"; {done[0]} s." in (tmp_path / "r" / "tiny-a" / "summary.md").read_text()
    assert "done in" not in terminal.replace(f"done in {done[0]}s", "")


def test_report_shows_the_overall_fraction_and_time_left(tmp_path):
    args = ["report", "--out", "rep", "--only", "tiny-a", "tiny-b", "--workers", "1"]
    status, _, terminal = _in_terminal(args, tmp_path)
    assert status == 0, terminal
    live = _live_lines(terminal)
    assert any(line.startswith("[tiny-b]") and "(all " in line for line in live), live
    assert any(re.search(r"\(all \d+%, about [\d.]+s left\)", line) for line in live), live
    assert re.search(r"\[tiny-a\] done in [\d.]+s -> \S+ \(1/2 experiments, [\d.]+s elapsed, "
                     r"about [\d.]+s left\)", terminal)  # fmt: skip
    assert "(2/2 experiments" in terminal


# -- in process: a fake terminal or none ------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _tiny_run(ctx):
    values = ctx.map(abs, [(-i,) for i in range(4)])
    table = pd.DataFrame({"value": values})
    return Outcome(table, {}, table.head(2))


@pytest.fixture
def tiny(monkeypatch):
    experiment_ids()
    judge = lambda table: [Verdict("it ran", True, "ok", "theory")]  # noqa: E731
    experiment = Experiment("tiny-p", "tiny", "no paper", "no figure", 20, 5, _tiny_run, judge)
    monkeypatch.setitem(registry._REGISTRY, "tiny-p", experiment)
    return "tiny-p"


@pytest.mark.parametrize("command", ["reproduce", "report"])
def test_quiet_prints_nothing_on_stderr(tiny, tmp_path, monkeypatch, capsys, command):
    argv = [tiny] if command == "reproduce" else ["--only", tiny]
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main([command, *argv, "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    assert main([command, *argv, "--out", str(tmp_path / "loud"), "--no-reuse"
                 if command == "report" else "--seed=1"]) == 0  # fmt: skip
    assert "\r[tiny-p] " in sys.stderr.getvalue()  # the same run, not quiet: a live line


def test_without_a_terminal_progress_prints_whole_lines(tiny, tmp_path, capsys):
    assert main(["reproduce", tiny, "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    assert re.search(r"^\[tiny-p\] \d+% [\d.]+s elapsed", err, re.M), err
    assert re.search(r"^\[tiny-p\] done in [\d.]+s -> ", err, re.M)


def test_context_units_nest_and_never_go_back():
    ctx = Context(replications=2, quick=True, seed=np.random.SeedSequence(0), progress=print)
    seen = []
    ctx._refresh = lambda note="": seen.append(round(ctx.fraction(), 4))  # type: ignore[method-assign]
    ctx.steps(2)
    for _ in ctx.track(range(4)):
        ctx.map(abs, [(1,), (2,)])
    assert ctx.fraction() == pytest.approx(0.5)  # the loop: one of the two declared units
    ctx.map(abs, [(1,)])
    assert ctx.fraction() == pytest.approx(1.0)
    assert seen[:3] == [0.0625, 0.125, 0.125] and max(seen) == 1.0
    assert seen == sorted(seen)
    assert [x for x in Context(2, True, np.random.SeedSequence(0), print).track("ab")] == ["a", "b"]


def test_batch_counts_experiments_and_the_running_ones_fraction():
    batch = Batch(4, start=time.perf_counter() - 10)
    assert batch.note(0.0).startswith("all 0%")
    batch.finished = 1
    assert batch.note(1.0) == "all 50%, about 10.0s left"
    assert batch.summary() == "1/4 experiments, 10.0s elapsed, about 30.0s left"


# -- run (sweeps) and plan schedule ------------------------------------------------------------


def test_a_sweep_shows_a_live_line_over_its_cells(tmp_path, monkeypatch):
    config = tmp_path / "sweep.toml"
    config.write_text(
        'family = "gaussian"\nn0 = 20\ngenerations = 3\nreplications = 16\n\n'
        f'[sweep]\nout = "{tmp_path / "store"}"\nbackend = "serial"\n\n'
        "[sweep.grid]\nseed = [0, 1, 2]\n"
    )
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["run", str(config)]) == 0
    err = sys.stderr.getvalue()
    assert "\r[sweep] 3/3 cells 100% " in err and "elapsed" in err
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(["run", str(config), "--out", str(tmp_path / "other"), "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""


def test_plan_schedule_shows_progress_for_long_searches_only(monkeypatch, capsys):
    argv = ["plan", "schedule", "--n0", "100", "--generations", "50", "--max-inflation", "3"]
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main(argv) == 0
    assert sys.stderr.getvalue() == ""  # a short search answers at once, silently
    monkeypatch.setattr(planner, "_PROGRESS_GENERATIONS", 10)  # as if the horizon were long
    assert main(argv) == 0
    err = sys.stderr.getvalue()
    total = len(planner.POWER_SHAPES) + len(planner.EXP_SHAPES) + 3 * 3 + 2
    assert f"\r[plan schedule] {total}/{total} schedule shapes 100% " in err
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main([*argv, "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""
    capsys.readouterr()


# -- the experiment id ----------------------------------------------------------------------


def test_a_bad_experiment_id_names_the_positional_argument(tmp_path, capsys):
    assert main(["reproduce", "he2025-fig99", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelcollapse reproduce: error: ID: must be one of xu2025-fig3, ")
    assert err.rstrip().endswith(", or all (got 'he2025-fig99')") and "--experiment" not in err
    assert main(["report", "--out", str(tmp_path / "o"), "--only", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelcollapse report: error: --only: must be one of xu2025-fig3, ")
    assert not (tmp_path / "o").exists()


def test_a_message_redraws_the_live_line_below_it_and_the_line_fits_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    ticks = iter([0.0, 2.0, 3.0, 4.0])
    bar = Progress("demo", 4, stream=out, terminal=True, clock=lambda: next(ticks))
    bar.update(1, "a note long enough to pass the edge of a narrow terminal")
    bar.message("a message")
    text = out.getvalue()
    before, after = text.split("a message\n")
    assert before.startswith("\r[demo] 25%")
    assert after.startswith("\r[demo] 25%"), "the live line is drawn again below the message"
    assert max(len(part) for part in text.replace("\n", "\r").split("\r")) <= 39


# -- logging: the library reports through the "modelcollapse" logger and never prints ---------


def test_reporter_true_logs_to_the_package_logger(caplog):
    import logging

    from modelcollapse._progress import reporter

    caplog.set_level(logging.INFO, logger="modelcollapse")
    reporter(True)("a status line")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("modelcollapse", logging.INFO, "a status line")
    ]
    caplog.clear()
    reporter(False)("nothing")
    assert caplog.records == []


def test_a_run_with_progress_logs_its_lines(caplog, capsys):
    import logging

    caplog.set_level(logging.INFO, logger="modelcollapse")
    mc.simulate(mc.Gaussian(), n0=20, schedule=20, generations=3, replications=50, progress=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "modelcollapse"]
    assert lines and lines[-1].startswith("[simulate] 100%")
    assert capsys.readouterr().err == ""  # stderr is no terminal here: no live line either


def test_without_any_handler_the_lines_reach_stderr(monkeypatch, capsys):
    """No handler anywhere (a plain script): the fallback writes the bare line to stderr,
    whatever the logger's level, as logging.lastResort does for warnings."""
    import logging

    from modelcollapse._progress import emit

    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.getLogger("modelcollapse"), "handlers", [])
    emit("shown without configuration")
    assert capsys.readouterr().err == "shown without configuration\n"


def test_the_command_line_prints_the_lines_and_restores_the_logger(capsys):
    import logging

    from modelcollapse.cli import main

    logger = logging.getLogger("modelcollapse")
    before = (list(logger.handlers), logger.level, logger.propagate)
    assert main(["simulate", "--generations", "2", "--replications", "20", "--n0", "20"]) == 0
    err = capsys.readouterr().err
    assert "[simulate] 100%" in err
    assert (list(logger.handlers), logger.level, logger.propagate) == before


def test_the_library_never_prints():
    """No call of print() and no write to sys.stdout outside the command line (src/.../cli);
    the progress bar's live line on a terminal is its only direct write to a stream."""
    import ast
    from pathlib import Path

    root = Path(mc.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "cli" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                found.append(f"{path.relative_to(root)}:{node.lineno} print()")
            if isinstance(node, ast.Attribute) and node.attr in ("stdout", "__stdout__"):
                if getattr(node.value, "id", None) == "sys":
                    found.append(f"{path.relative_to(root)}:{node.lineno} sys.{node.attr}")
    assert found == []
