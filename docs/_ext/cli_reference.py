"""The ``modelcollapse-cli`` directive: the command-line reference, made from the parser.

The directive builds the parser the command line uses
(:func:`modelcollapse.cli.build_parser`) and writes one section per command (and per
subcommand of ``data`` and ``plan``): its one-line summary, its ``--help`` text (usage,
description, options) and its examples, the indented command lines under ``examples:`` in the
parser's epilog. :func:`examples` gives those as single command lines, to run them by hand
(tests/test_cli_examples.py checks that each one parses).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

#: Width of the ``--help`` text shown (argparse reads $COLUMNS).
HELP_COLUMNS = 82
_UNDERLINES = "-~^"


@contextmanager
def _columns(width: int) -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, one-line help, parser)`` of each subcommand of ``parser``, in order."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            out += [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return out


def commands() -> Iterator[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every command and subcommand: ``(words after modelcollapse, one-line help, parser)``."""
    from modelcollapse.cli import build_parser

    def walk(words, parser):
        for name, help_text, sub in _subcommands(parser):
            yield (*words, name), help_text, sub
            yield from walk((*words, name), sub)

    yield from walk((), build_parser())


def examples(parser: argparse.ArgumentParser) -> list[str]:
    """The example command lines of ``parser``'s epilog: the indented lines after a line
    ``examples:``, a line ending in a backslash continued on the next."""
    lines = (parser.epilog or "").splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip().lower() in ("examples:", "example:"):
            inside = True
            continue
        if inside and line[:1].isspace() and line.strip():
            if out and out[-1].endswith("\\"):
                out[-1] = out[-1][:-1].rstrip() + " " + line.strip()
            else:
                out.append(line.strip())
        elif inside:
            inside = False
    return out


def _example_block(parser: argparse.ArgumentParser) -> list[str]:
    """The epilog's example lines as written (continuations kept), each command with ``$``."""
    out: list[str] = []
    inside = False
    continued = False
    for line in (parser.epilog or "").splitlines():
        if line.strip().lower() in ("examples:", "example:"):
            inside = True
            continue
        if inside and line[:1].isspace() and line.strip():
            out.append(("      " if continued else "$ ") + line.strip())
            continued = line.rstrip().endswith("\\")
        elif inside:
            inside = False
    return out


def _indent(text: str) -> list[str]:
    return ["   " + line if line.strip() else "" for line in text.splitlines()]


def cli_rst() -> list[str]:
    """The reST of the reference: the overview, then a section per command."""
    from modelcollapse.cli import build_parser

    with _columns(HELP_COLUMNS):
        top = build_parser()
        rst = [
            "``modelcollapse --help``:",
            "",
            ".. code-block:: text",
            "",
            *_indent(top.format_help()),
            "",
        ]
        for words, help_text, parser in commands():
            title = "modelcollapse " + " ".join(words)
            rst += [
                f".. _cli-{'-'.join(words)}:",
                "",
                title,
                _UNDERLINES[len(words) - 1] * len(title),
                "",
            ]
            if help_text:
                rst += [help_text[:1].upper() + help_text[1:] + ".", ""]
            block = _example_block(parser)
            if block:
                rst += ["Examples:", "", ".. code-block:: console", "", *_indent("\n".join(block))]
                rst.append("")
            rst += [
                f"``{title} --help``:",
                "",
                ".. code-block:: text",
                "",
                *_indent(parser.format_help()),
                "",
            ]
    return rst


class CommandLineReference(SphinxDirective):
    """``.. modelcollapse-cli::``: the whole command-line reference."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        container = nodes.section()
        container.document = self.state.document
        source = self.get_source_info()[0]
        lines = StringList()
        for i, line in enumerate(cli_rst()):
            lines.append(line, source, i)
        nested_parse_with_titles(self.state, lines, container)
        return container.children


def setup(app):
    app.add_directive("modelcollapse-cli", CommandLineReference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
