"""Every row of docs/errors.md ("Bad inputs and their errors") holds.

The table is the single source: each row's example is run as written, from a scratch directory
holding the files the examples name, and must fail with the documented first words.

- A command-line row (``modelcollapse ...``): ``main`` exits with status 2, stdout is empty,
  stderr is exactly one line ``modelcollapse COMMAND: error: MESSAGE`` with MESSAGE starting with
  the documented words and naming an argument of the command line, and no file is written.
- A Python row: the expression raises :class:`modelcollapse.InvalidArgumentError` whose
  one-line message starts with the documented words and names an argument of the call, and no
  file is written.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import modelcollapse as mc
import modelcollapse.data  # the Python examples use mc.data, mc.experiments, mc.tabular
import modelcollapse.experiments
import modelcollapse.tabular
from modelcollapse.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
#: Positional arguments, which the command line names by their destination.
POSITIONAL = {"experiment": "ID", "name": "NAME"}


def _rows() -> list[tuple[str, str, str]]:
    """``(input, example, message)`` of every table row whose example is in backticks."""
    rows = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].startswith("`"):
            continue
        example, message = (re.fullmatch(r"`(.*)`", c) for c in cells[1:3])
        assert example and message, line
        rows.append((cells[0], example.group(1), message.group(1)))
    return rows


ROWS = _rows()
CLI_ROWS = [r for r in ROWS if r[1].startswith("modelcollapse ")]
API_ROWS = [r for r in ROWS if not r[1].startswith("modelcollapse ")]


def test_the_table_is_read():
    assert len(CLI_ROWS) >= 40 and len(API_ROWS) >= 40


def _words(text: str) -> str:
    return text.replace("-", "_")


def _named_argument(message: str) -> str:
    """The argument a message names: the text before its first colon, without ``--`` or
    argparse's ``argument`` prefix, and its first word (``bias beta`` names ``bias``)."""
    head = message.split(":", 1)[0].removeprefix("argument ").lstrip("-")
    return head.split()[0]


def _files(root: Path) -> set[str]:
    """Every file and directory under ``root``: a bad input creates neither."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A working directory with the files the examples name."""
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    numbers.to_csv(tmp_path / "good.csv", index=False)
    pd.DataFrame({"a": ["x", "y"] * 30, "b": ["u", "v", "w"] * 20}).to_csv(
        tmp_path / "text.csv", index=False
    )
    gaps = numbers.copy()
    gaps.loc[3, "a"] = np.nan
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,b\n")
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5,6\n")
    (tmp_path / "table.txt").write_text("a,b\n1,2\n")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    numbers.to_parquet(tmp_path / "plain.parquet")  # Parquet, but not a saved result
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02 not text")
    (tmp_path / "afile").write_text("a file, not a directory\n")
    (tmp_path / "adir.csv").mkdir()
    (tmp_path / "bad-n0.toml").write_text("n0 = 0\n")
    (tmp_path / "typo.toml").write_text("schedul = 5\n")
    (tmp_path / "loop").symlink_to("loop")  # a symbolic link to itself
    (tmp_path / "dangling").symlink_to("no-such-target")
    (tmp_path / "blocked").mkdir()
    (tmp_path / "blocked" / "he2025-theory").write_text("a file where a folder goes\n")
    (tmp_path / "oldreport" / "index.html").mkdir(parents=True)  # where the page goes
    infinite = numbers.copy()
    infinite.loc[3, "a"] = np.inf
    infinite.to_csv(tmp_path / "inf.csv", index=False)
    (tmp_path / "blockedout" / "metrics.csv").mkdir(parents=True)  # where recurse writes a file
    # The size checks compare their estimates with 8 GiB, whatever the machine has.
    monkeypatch.setenv("MODELCOLLAPSE_MEMORY", "8GiB")
    (tmp_path / "latin1.toml").write_bytes(b"n0 = 20\n# caf\xe9\n")
    (tmp_path / "grid-list.toml").write_text("seed = 1\n[sweep]\nout = 'x'\ngrid = []\n")
    (tmp_path / "empty-grid.toml").write_text("seed = 1\n[sweep]\nout = 'x'\n[sweep.grid]\n")
    (tmp_path / "sweep.toml").write_text(
        "n0 = 20\ngenerations = 2\nreplications = 8\n[sweep]\nout = 'store'\n"
        "[sweep.grid]\nseed = [0, 1]\n"
    )
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    if os.access(readonly, os.W_OK):
        # Permission bits are not enforced (root): let os.access report the directory as
        # read-only, as it does for any other user.
        real_access = os.access

        def access(path, mode, *args, **kwargs):
            inside = Path(os.path.abspath(path)).is_relative_to(readonly)
            return False if inside and mode & os.W_OK else real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    readonly.chmod(0o755)


@pytest.mark.parametrize(("what", "example", "message"), CLI_ROWS, ids=[r[1] for r in CLI_ROWS])
def test_cli(scratch, capsys, what, example, message):
    argv = shlex.split(example)[1:]
    before = _files(scratch)
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = f"modelcollapse {argv[0]}: error: "
    assert lines[0].startswith(prefix), lines[0]
    assert lines[0][len(prefix) :].startswith(message), lines[0]
    name = _named_argument(message)
    assert _words(name) in _words(example) or name in POSITIONAL or name in POSITIONAL.values(), (
        name,
        example,
    )
    assert _files(scratch) == before, "a file was written"


NAMESPACE = {"mc": mc, "np": np, "pd": pd}


@pytest.mark.parametrize(("what", "example", "message"), API_ROWS, ids=[r[1] for r in API_ROWS])
def test_python(scratch, what, example, message):
    before = _files(scratch)
    with pytest.raises(mc.InvalidArgumentError, match="^" + re.escape(message)) as err:
        eval(example, dict(NAMESPACE))
    assert "\n" not in str(err.value)
    name = _named_argument(message)
    assert _words(name) in _words(example), (name, example)
    assert _files(scratch) == before, "a file was written"


def test_every_checked_in_reference_names_real_code():
    """The 'checked in' column of docs/errors.md names functions that exist (a rename or a moved
    module leaves no stale reference)."""
    import importlib

    missing = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) < 4 or cells[0] == "input":
            continue
        for ref in re.findall(r"`([^`]+)`", cells[-1]):
            parts = ref.replace("/", ".").split(".")
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module("modelcollapse." + ".".join(parts[:i]))
                except ImportError:
                    continue
                for attr in parts[i:]:
                    obj = getattr(obj, attr, None)
                break
            else:
                obj = None
            if obj is None:
                missing.append(ref)
    assert not missing, missing
