"""The package as users get it: the wheel's contents and metadata, the version, the citation."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import modelcollapse as mc

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "modelcollapse"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of the project (the build's own folders stay out of the
    checkout), with build isolation: the declared build requirements are what it uses."""
    tmp = tmp_path_factory.mktemp("wheel")
    tree = tmp / "project"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    out = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "-q", "-w", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    (built,) = out.glob("modelcollapse-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_the_package_and_nothing_else(wheel):
    names = set(wheel.namelist())
    modules = {
        "modelcollapse/" + p.relative_to(SOURCE).as_posix()
        for p in SOURCE.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules <= names
    data = {
        "py.typed",
        "data/adult/README.md",
        "data/adult/adult.data.gz",
        "data/adult/adult.test.gz",
        "data/web/README.md",
        "data/web/web.txt.xz",
    }
    assert {f"modelcollapse/{d}" for d in data} <= names
    package = {n for n in names if n.startswith("modelcollapse/")}
    assert package == modules | {f"modelcollapse/{d}" for d in data}
    assert not any("tests/" in n or "__pycache__" in n or n.endswith(".pyc") for n in names)


def test_the_wheel_metadata(wheel):
    (meta_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    meta = email.message_from_bytes(wheel.read(meta_name))
    assert meta["Name"] == "modelcollapse" and meta["Version"] == mc.__version__
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "BSD-3-Clause"
    classifiers = meta.get_all("Classifier")
    for python in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {python}" in classifiers
    assert "Typing :: Typed" in classifiers
    required = meta.get_all("Requires-Dist")
    core = sorted(r.split(">")[0] for r in required if "extra ==" not in r)
    assert core == ["matplotlib", "numpy", "pandas", "scipy"]
    (entry,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert "modelcollapse = modelcollapse.cli:main" in wheel.read(entry).decode()
    assert any(n.endswith("licenses/LICENSE") for n in wheel.namelist())


def test_the_build_requires_a_setuptools_that_reads_the_licence_expression():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'requires = ["setuptools>=77"]' in text and 'license = "BSD-3-Clause"' in text


def test_version_is_the_installed_metadata():
    assert mc.__version__ == version("modelcollapse")


def test_the_citation_names_the_software_and_both_papers():
    text = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in text and "type: software" in text
    assert f'version: "{mc.__version__}"' in text
    assert "arXiv:2505.13947" in text and "arXiv:2502.18049" in text
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
