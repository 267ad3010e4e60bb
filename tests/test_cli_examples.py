"""Every command and subcommand shows example command lines in its help, and they parse.

The documentation's command-line reference (docs/_ext/cli_reference.py) shows these examples;
here each one is parsed by the command line's own parser (not run: some take seconds).
"""

from __future__ import annotations

import argparse
import shlex

import pytest

from modelcollapse.cli import build_parser


def _commands() -> list[tuple[str, argparse.ArgumentParser]]:
    out = []

    def walk(words: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out.append((f"{words} {name}".strip(), sub))
                    walk(f"{words} {name}", sub)

    walk("", build_parser())
    return out


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    """The indented lines after ``examples:`` in the epilog, backslash continuations joined."""
    text = (parser.epilog or "").partition("examples:\n")[2]
    lines: list[str] = []
    for line in text.splitlines():
        if not line[:1].isspace():
            break
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip() + " " + line.strip()
        else:
            lines.append(line.strip())
    return lines


COMMANDS = _commands()


@pytest.mark.parametrize("words, parser", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_command_has_examples_that_parse(words, parser):
    examples = _examples(parser)
    assert examples, f"'modelcollapse {words} --help' has no examples"
    assert "examples:" in parser.format_help()
    for example in examples:
        argv = shlex.split(example)
        assert argv[0] == "modelcollapse"
        assert " ".join(argv[1:]).startswith(words), example
        build_parser(argv[1]).parse_args(argv[1:])  # exits (SystemExit) on a bad option
