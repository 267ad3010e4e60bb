"""The API reference (docs/api/*.rst, lists written by hand) names every public name.

Each name in ``modelcollapse.__all__`` and in the ``__all__`` of each module with a page of its
own appears as an entry of an autosummary list on some page, so a name added to an
``__all__`` without a line in the reference fails here rather than going undocumented. (The
site itself is built by CI, ``.ci/run``, not by the test suite.)
"""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path

import pytest

import modelcollapse

API = Path(__file__).resolve().parents[1] / "docs" / "api"
MODULES = sorted(path.stem for path in API.glob("*.rst") if path.stem != "index")


def _entries() -> set[str]:
    """The last dotted part of each autosummary entry (``~paper2.GOLDEN`` gives ``GOLDEN``)."""
    names = set()
    for path in API.glob("*.rst"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.fullmatch(r" {3}~?([\w.]+)", line)
            if match:
                names.add(match.group(1).rsplit(".", 1)[-1])
    return names


def test_module_pages_exist():
    assert {"families", "schedules", "regimes", "results", "theory", "testing"} <= set(MODULES)


@pytest.mark.parametrize("module", ["", *MODULES])
def test_every_public_name_is_in_the_reference(module):
    mod = importlib.import_module(f"modelcollapse.{module}" if module else "modelcollapse")
    public = [n for n in mod.__all__ if not isinstance(getattr(mod, n), types.ModuleType)]
    missing = sorted(set(public) - _entries())
    assert not missing, f"not in docs/api/*.rst: {missing}"


def test_top_level_modules_have_pages():
    modules = [n for n in modelcollapse.__all__ if n in {"theory", "testing", "generation"}]
    assert set(modules) <= set(MODULES)
