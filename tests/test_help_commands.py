"""``modelcollapse --help`` and ``theory --help`` describe every sub-command, for both papers
(issue 20)."""

from __future__ import annotations

import argparse

import pytest

from modelcollapse.cli import build_parser
from modelcollapse.cli.theory import _THEORY_QUANTITIES

COMMANDS = [
    "simulate",
    "list",
    "reproduce",
    "theory",
    "data",
    "recurse",
    "run",
    "plan",
    "lm",
    "report",
]


@pytest.fixture(autouse=True)
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_top_level_help_describes_every_command():
    parser = build_parser()
    listed = {a.dest: a.help for a in _subcommands(parser)._choices_actions}
    assert sorted(listed) == sorted(COMMANDS)
    text = _flat(parser.format_help())
    for name, help_ in listed.items():
        assert help_ and len(help_.split()) >= 3, name
        assert f"{name} {_flat(help_)}" in text, name  # the name, then its description
    assert "paper 1" in text and "paper 2" in text
    assert "Golden Ratio Weighting" in text and "A Probabilistic Perspective" in text


def test_top_level_help_groups_the_commands_by_paper():
    text = _flat(build_parser().format_help())
    one = text[text.index("paper 1 (schedules)") : text.index("paper 2 (weights)")]
    two = text[text.index("paper 2 (weights)") : text.index("both list,")]
    assert "theory collapse-probability" in one and "plan schedule" in one
    assert "theory optimal-weight, limiting-error" in two and "plan weight" in two


def test_theory_is_not_only_paper_one():
    listed = {a.dest: a.help for a in _subcommands(build_parser())._choices_actions}
    assert "paper 1" in listed["theory"] and "paper 2" in listed["theory"]
    assert "optimal weight" in listed["theory"]


def test_theory_help_describes_all_six_quantities():
    theory = _subcommands(build_parser()).choices["theory"]
    text = theory.format_help()
    flat = _flat(text)
    assert len(_THEORY_QUANTITIES) == 6
    for name in _THEORY_QUANTITIES:
        # each quantity starts a line of its own, followed by its paper and description
        line = next(x for x in text.splitlines() if x.strip().startswith(name + " "))
        assert line.split()[1] in ("paper", "1:", "2:") or "paper" in line, line
        described = flat[flat.index(f" {name} paper") :]
        assert len(described.split(" paper ")[1].split()) >= 5, name
    for name, paper in [("optimal-weight", "2"), ("limiting-error", "2"), ("moments", "1")]:
        assert f"{name} paper {paper}:" in flat
