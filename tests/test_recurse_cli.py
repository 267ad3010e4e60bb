"""``modelcollapse recurse`` (issue 20): a progress line over replications x generations (live
in a terminal, silent with --quiet), help text and a default for every option, a note when real
rows must repeat, and a figure with bands across replications."""

from __future__ import annotations

import argparse
import os
import select
import sys

import numpy as np
import pandas as pd
import pytest

from modelcollapse.cli import build_parser, main
from modelcollapse.tabular import recurse, summarise_bands, training_rows

QUICK = ["--generations", "2", "--eval-rows", "200"]


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    frame = pd.DataFrame(
        {"a": rng.normal(size=100), "b": rng.normal(size=100), "c": rng.choice(["x", "y"], 100)}
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(autouse=True)
def quick_figure(request, monkeypatch):
    """Skip drawing recurse.png (a second or two of layout) except in the figure's own test."""
    if request.node.name == "test_figure_draws_a_band_per_metric":
        return
    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", lambda self, path, **k: open(path, "wb").close())


def _recurse_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["recurse"]


# -- progress ------------------------------------------------------------------------------------
def test_progress_counts_replications_times_generations(table, tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["recurse", "--data", str(table), "--n0", "40", *QUICK, "--replications", "2"]
    assert main([*argv, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[recurse]")]
    assert lines, err
    assert lines[-1].startswith("[recurse] 6/6 generations 100%")  # 2 x (2 + 1)
    assert "replication 2/2, generation 2" not in lines[-1]  # the closing line has no note
    assert any("replication 1/2, generation" in line for line in lines[:-1])


def test_quiet_silences_the_progress(table, tmp_path, capsys):
    argv = ["recurse", "--data", str(table), "--n0", "40", *QUICK, "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "generation 2" in captured.out


def test_recursion_calls_on_generation_after_each_generation():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    seen = []
    frame = recurse(
        data,
        "copula",
        n0=30,
        schedule=30,
        generations=3,
        replications=2,
        eval_rows=100,
        on_generation=lambda rep, t: seen.append((rep, t, len(seen))),
    )
    assert [(r, t) for r, t, _ in seen] == [(r, t) for r in range(2) for t in range(4)]
    assert len(frame) == len(seen)


def _run_in_pty(argv: list[str], monkeypatch) -> tuple[int, str]:
    """Run ``modelcollapse ARGV`` in-process with stderr on a pseudo-terminal; (status, what
    the terminal received)."""
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    received = []
    with open(slave, "w", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        rc = main(argv)
        terminal.flush()
        while select.select([master], [], [], 0.2)[0]:
            data = os.read(master, 65536)
            if not data:
                break
            received.append(data)
    os.close(master)
    monkeypatch.undo()
    return rc, b"".join(received).decode()


def test_live_progress_line_in_a_terminal(table, tmp_path, monkeypatch):
    argv = ["recurse", "--data", str(table), "--n0", "40", *QUICK, "--out", str(tmp_path / "o")]
    rc, err = _run_in_pty(argv, monkeypatch)
    assert rc == 0, err
    assert "\r[recurse] " in err  # rewritten in place
    assert "generations 100%" in err
    assert err.count("\n") == 1  # the closing line, nothing else
    rc, err = _run_in_pty([*argv, "--quiet"], monkeypatch)
    assert rc == 0 and err == ""


# -- help ----------------------------------------------------------------------------------------
def test_every_recurse_option_has_help_and_a_default():
    parser = _recurse_parser()
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert {a.dest for a in options} >= {"replications", "seed", "quiet", "n0", "data", "out"}
    for action in options:
        assert action.help, action.dest
        shown = "(required)" if action.required else "(default: "
        assert shown in action.help, (action.dest, action.help)
    text = parser.format_help()
    assert "%%" not in text and "10-90% band" in " ".join(text.split())
    assert "root seed" in text and "independent recursions" in text
    assert "(default: 0)" in text and "(default: 1)" in text  # --seed, --replications


# -- resampling note -----------------------------------------------------------------------------
def test_n0_above_the_training_rows_is_noted(table, tmp_path, capsys):
    assert training_rows(100, 0.2) == 80
    argv = ["recurse", "--data", str(table), "--n0", "500", *QUICK, "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "modelcollapse recurse: note: --n0 500 exceeds the 80 training rows (100 rows, 20% held "
        "out): real rows are drawn with replacement, so some repeat"
    ]
    argv = ["recurse", "--data", str(table), "--n0", "50", *QUICK, "--quiet", "--holdout", "0"]
    argv += ["--n-real", "200", "--weight", "optimal"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "modelcollapse recurse: note: --n-real 200 exceeds the 100 training rows: real rows are "
        "drawn with replacement, so some repeat"
    ]


def test_the_note_comes_once_before_the_progress_and_not_before_an_error(table, tmp_path, capsys):
    argv = ["recurse", "--data", str(table), "--n0", "500", *QUICK, "--out", str(tmp_path / "o")]
    assert main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("modelcollapse recurse: note: --n0 500 exceeds")
    assert err[1:] and all(line.startswith("[recurse] ") for line in err[1:])
    assert main([*argv, "--eval-rows", "1"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "modelcollapse recurse: error: --eval-rows: must be an integer >= 2 (got 1)"
    ]


def test_no_note_when_the_table_is_large_enough(table, tmp_path, capsys):
    argv = ["recurse", "--data", str(table), "--n0", "80", *QUICK, "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().err == ""


# -- figure and summary --------------------------------------------------------------------------
def test_bands_are_the_quantiles_across_replications():
    frame = pd.DataFrame(
        {
            "replication": [0, 1, 2, 3, 4] * 2,
            "generation": [0] * 5 + [1] * 5,
            "m": [0.0, 1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    low, high = summarise_bands(frame)
    np.testing.assert_allclose(low["m"], [0.4, 14.0])
    np.testing.assert_allclose(high["m"], [3.6, 46.0])


def test_figure_draws_a_band_per_metric(table, tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    save = Figure.savefig
    monkeypatch.setattr(
        Figure, "savefig", lambda self, *a, **k: (figures.append(self), save(self, *a, **k))[1]
    )
    argv = ["recurse", "--data", str(table), "--n0", "40", *QUICK, "--quiet"]
    assert main([*argv, "--replications", "3", "--out", str(tmp_path / "o")]) == 0
    (fig,) = figures
    assert (tmp_path / "o" / "recurse.png").stat().st_size > 10_000
    for ax in fig.axes:
        bands = [c for c in ax.collections if len(c.get_paths()) and len(c.get_paths()[0])]
        lines = ax.get_lines()
        assert len(bands) == len(lines) >= 1, ax.get_title()
        assert "10-90% of 3 replications" in [t.get_text() for t in ax.get_legend().get_texts()]
    summary = capsys.readouterr().out.splitlines()
    assert summary[1].split() == [
        "metric",
        "(mean",
        "over",
        "replications)",
        "generation",
        "0",
        "generation",
        "2",
    ]
    # aligned: every value column ends where its header ends
    ends = {len(line) for line in summary[1:]}
    assert len(ends) == 1, summary
