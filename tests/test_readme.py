"""The README's Python examples run.

Every ```python block of README.md runs, in the README's order, in one namespace (a later block
uses the names an earlier one made), in a temporary working directory. One test per block,
named by the block's first line in README.md: a failing block fails its own test with its
line number, and running one test alone runs the blocks before it first. ```pycon blocks (and
``>>>`` examples inside a ```python block) are checked as doctests in the same namespace.

A block that imports an optional package that is not installed (SDV, which needs torch) is
skipped, with the package named.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: Optional packages a README block may need: the block is skipped when one is missing.
OPTIONAL = ("sdv",)

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def _blocks() -> list[tuple[int, str, str]]:
    """``(line, language, body)`` of each ```python and ```pycon block; ``line`` is the line
    number (1-based) of the block's first line of code in README.md."""
    text = README.read_text(encoding="utf-8")
    out = []
    for match in _FENCE.finditer(text):
        language = match.group(1)
        if language in ("python", "py", "pycon"):
            line = text.count("\n", 0, match.start(2)) + 1
            out.append((line, language, match.group(2)))
    return out


BLOCKS = _blocks()

#: The README's shared namespace and how many blocks have run in it.
_STATE: dict[str, Any] = {"namespace": {"__name__": "readme"}, "done": 0}


def _needs_missing(body: str) -> str | None:
    """The optional package ``body`` imports that is not installed, or ``None``."""
    import importlib.util

    for name in OPTIONAL:
        if re.search(rf"^\s*(from|import)\s+{name}\b", body, re.M):
            if importlib.util.find_spec(name) is None:
                return name
    return None


def _run(line: int, language: str, body: str, namespace: dict[str, Any]) -> None:
    """Run one block in ``namespace``; an error names README.md and the block's line."""
    if language == "pycon" or body.lstrip().startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(body, namespace, f"README.md:{line}", str(README), line - 1)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        failed = runner.summarize(verbose=False).failed
        assert failed == 0, f"README.md:{line}: {failed} doctest example(s) failed"
        return
    # Compiled with the README's line numbers, so that a traceback points into README.md.
    code = compile("\n" * (line - 1) + body, str(README), "exec")
    try:
        exec(code, namespace)
    except Exception as err:
        raise AssertionError(f"README.md:{line}: the ```python block fails: {err!r}") from err


@pytest.fixture(scope="module")
def readme_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One working directory for all the blocks (a block may read what an earlier one wrote)."""
    return tmp_path_factory.mktemp("readme")


def test_readme_has_python_blocks():
    assert any(language == "python" for _, language, _ in BLOCKS)


# The README's step-by-step block shows logistic fits failing (separation) on purpose.
@pytest.mark.filterwarnings("ignore::modelcollapse.FitFailureWarning")
@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[f"line{line}" for line, _, _ in BLOCKS])
def test_readme_block(index, readme_dir, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(readme_dir)
    namespace = _STATE["namespace"]
    while _STATE["done"] <= index:  # the blocks before this one first, once
        line, language, body = BLOCKS[_STATE["done"]]
        _STATE["done"] += 1
        missing = _needs_missing(body)
        if missing is not None:
            if _STATE["done"] - 1 == index:
                pytest.skip(f"README.md:{line} needs {missing}, which is not installed")
            continue
        _run(line, language, body, namespace)
