"""The HTML report: builds at quick scale, offline, every link resolves, results are reused."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import modelcollapse.report as report_module
from modelcollapse.cli import main
from modelcollapse.experiments.verdicts import headline
from modelcollapse.report import build_report

ONLY = ["xu2025-fig3", "he2025-theory", "peers-regression"]
VOID = {"meta", "img", "br", "hr", "link", "input"}


class _Checker(HTMLParser):
    """Tag balance, links and images of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.tables = 0
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
            assert attrs.get("alt"), "every image has alternative text"
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "table":
            self.tables += 1
        if tag in ("script", "link"):
            self.problems.append(f"<{tag}> in an offline report")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> does not close <{self.stack[-1:]}>")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    index = build_report(root, quick=True, only=ONLY, progress=False)
    return root, index


def test_the_quick_report_builds_and_parses(built):
    root, index = built
    text = index.read_text()
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.problems and not checker.stack
    assert "http://" not in text and "https://" not in text  # works offline
    assert checker.tables == len(ONLY)  # one table of simulation beside theory each
    for src in checker.images:
        assert (root / src).is_file() and (root / src).stat().st_size > 10_000
    for href in checker.links:
        if href.startswith("#"):
            assert f'id="{href[1:]}"' in text
        else:
            assert (root / href).is_file(), href
    assert len(checker.images) >= len(ONLY)
    for eid in ONLY:
        meta = json.loads((root / eid / "meta.json").read_text())
        assert meta["quick"] and not any(v["holds"] is False for v in meta["verdicts"])
        assert f'id="{eid}"' in text
        for name in meta["figures"]:
            assert (root / eid / f"{name}.svg").is_file()
    assert "DISAGREES" not in text and "Paper 1" in text and "Paper 2" in text
    # the headline counts each kind; the title names the scale
    verdicts = [
        v for eid in ONLY for v in json.loads((root / eid / "meta.json").read_text())["verdicts"]
    ]
    assert html.escape(headline(verdicts)) in text
    assert "theory statements hold" in text
    assert "<title>modelcollapse report at quick scale</title>" in text
    assert "both papers reproduced at quick scale" in text
    # missing values print as "-", settings as JSON (null, not "None")
    assert ">nan<" not in text and '"None"' not in text


def test_table_cells_and_settings_print_missing_values_plainly():
    frame = pd.DataFrame({"a": [1.5, float("nan")], "b": [None, "x"]})
    cells = report_module._table_html(frame)
    assert "nan" not in cells and "None" not in cells and "<td>-</td>" in cells
    assert json.dumps({"s": None, "v": np.float64(1.5)}, default=report_module._json_default) == (
        '{"s": null, "v": 1.5}'
    )


def test_results_of_the_same_configuration_are_reused(built, monkeypatch):
    root, _ = built

    def refuse(*args, **kwargs):
        raise AssertionError("a finished experiment of the same configuration was rerun")

    monkeypatch.setattr(report_module, "run_experiment", refuse)
    build_report(root, quick=True, only=ONLY, progress=False)
    calls = []
    monkeypatch.setattr(report_module, "run_experiment", lambda *a, **k: calls.append(a[0]))
    build_report(root, quick=True, only=ONLY, seed=1, progress=False)  # another seed: rerun
    assert calls == ONLY


def test_report_command(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--out", str(out), "--quick", "--only", "he2025-theory", "--quiet"]) == 0
    assert Path(capsys.readouterr().out.strip()) == out / "index.html"
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["report", "--out", str(afile), "--quick"]) == 2
    assert main(["report", "--out", str(out), "--only", "nope"]) == 2
    assert "--only: must be one of" in capsys.readouterr().err
