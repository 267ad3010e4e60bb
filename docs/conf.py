"""Sphinx configuration of the modelcollapse documentation.

Build it (offline, warnings as errors) from the repository root with::

    python -m pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The package from this source tree (ahead of an installed copy) and the local extension.
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE / "_ext"))

import modelcollapse  # noqa: E402

project = "modelcollapse"
author = "The modelcollapse developers"
copyright = "The modelcollapse developers"
version = release = modelcollapse.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "cli_reference",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "data", "README.md", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# API reference: one generated page per object (docs/api/generated, not committed).
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "signature"
autodoc_member_order = "bysource"
# numpydoc renders the docstrings; the class template lists the members, not numpydoc.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# The Markdown guides (docs/*.md and the README) through MyST.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# The guides link to repository files (README.md, src/..., CHANGELOG.md) that are not pages of
# this site: MyST leaves such links as they are instead of warning.
suppress_warnings = ["myst.xref_missing"]

html_theme = "alabaster"
html_title = f"modelcollapse {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Simulate, predict and prevent model collapse",
    "page_width": "1160px",
    "sidebar_width": "240px",
    "fixed_sidebar": False,
    "code_font_size": "0.8em",
}
