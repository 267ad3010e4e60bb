"""docs/tutorial.md is tested: each command followed by an output block prints that block.

The tutorial is read as a list of fenced blocks. A ```bash block whose commands start with
``modelcollapse`` is run (in-process, through :func:`modelcollapse.cli.main`, in a temporary
folder holding the tutorial's data files), and when a ```text block follows it (only blank
lines between), the command's standard output must equal that block line by line, trailing
spaces ignored. That is the only normalisation: no command of the tutorial prints a timing on
stdout (progress and timings go to stderr, which is not compared). Nothing is regenerated: a
block that no longer matches fails the test, and is updated by hand. The ```python blocks run
too. ``report --quick`` is the one command not run (it takes minutes).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from modelcollapse.cli import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"

#: Commands of the tutorial that the test does not run, with the reason.
NOT_RUN = {"modelcollapse report --out report --quick": "reproduces both papers: minutes"}

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


def _blocks(text: str) -> list[tuple[str, str, bool]]:
    """(language, body, followed_by_the_next_block) for every fenced block, in order:
    ``followed_by_the_next_block`` when only blank lines separate it from the next one."""
    found = list(_FENCE.finditer(text))
    out = []
    for i, match in enumerate(found):
        adjacent = i + 1 < len(found) and not text[match.end() : found[i + 1].start()].strip()
        out.append((match.group(1), match.group(2), adjacent))
    return out


def _commands(body: str) -> list[str]:
    """The commands of a bash block: continuation lines joined, comments dropped."""
    joined = body.replace("\\\n", " ")
    lines = (shlex.split(line, comments=True) for line in joined.splitlines())
    return [shlex.join(words) for words in lines if words]


def _cases() -> list[tuple[str, str | None]]:
    """(command, expected stdout or None) for each ``modelcollapse`` command of the tutorial."""
    blocks = _blocks(TUTORIAL.read_text())
    cases = []
    for i, (lang, body, adjacent) in enumerate(blocks):
        if lang != "bash":
            continue
        commands = [c for c in _commands(body) if c.startswith("modelcollapse ")]
        if not commands:
            continue
        expected = blocks[i + 1][1] if adjacent and blocks[i + 1][0] == "text" else None
        assert expected is None or len(commands) == 1, f"one command per output block: {body}"
        cases += [(command, expected) for command in commands]
    return cases


CASES = _cases()


def _normalised(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A temporary folder with the tutorial's data files at the paths it names."""
    shutil.copytree(ROOT / "docs" / "data", tmp_path / "docs" / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_tutorial_is_parsed():
    """Its commands are found, each one has its output shown or is listed in NOT_RUN, and
    every output block follows a command."""
    assert len(CASES) >= 7
    for command, expected in CASES:
        assert (expected is None) == (command in NOT_RUN), command
    blocks = _blocks(TUTORIAL.read_text())
    for i, (lang, _, _) in enumerate(blocks):
        if lang == "text":
            assert i > 0 and blocks[i - 1][0] == "bash" and blocks[i - 1][2], blocks[i][1]


@pytest.mark.parametrize(
    ("command", "expected"),
    [c for c in CASES if c[1] is not None],
    ids=[c[0].split(" ")[1] + f"-{i}" for i, c in enumerate(CASES) if c[1] is not None],
)
def test_tutorial_command_prints_its_block(command, expected, workdir, capsys):
    rc = main(shlex.split(command)[1:])
    out = capsys.readouterr().out
    assert rc == 0, command
    assert _normalised(out) == _normalised(expected), (
        f"docs/tutorial.md is out of date for\n  {command}\nIt prints:\n{out}"
    )


def test_tutorial_python_blocks_run(workdir):
    blocks = [body for lang, body, _ in _blocks(TUTORIAL.read_text()) if lang == "python"]
    assert blocks
    for body in blocks:
        exec(compile(body, str(TUTORIAL), "exec"), {})


def test_the_shipped_table_is_small_and_as_described():
    import pandas as pd

    path = ROOT / "docs" / "data" / "my_table.csv"
    assert path.stat().st_size < 20_000
    table = pd.read_csv(path)
    assert list(table.columns) == ["age", "income", "city"] and len(table) == 600
    assert (table.city == "Brest").sum() == 12
    text = TUTORIAL.read_text()
    assert "600 rows" in text and "in only 12 rows" in text
