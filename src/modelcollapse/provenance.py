"""Where a result came from: the package version, a hash of its source, the commit, the platform.

An experiment's ``meta.json`` records :func:`provenance`, and the report reuses a stored
experiment only when its recorded source hash is the running package's: after an edit to the
code (an editable install keeps the version number), stored results are recomputed rather than
shown as if the new code had made them.
"""

from __future__ import annotations

import functools
import hashlib
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["PACKAGE_DIR", "commit", "provenance", "source_hash"]

#: The installed package's directory.
PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def source_hash() -> str:
    """SHA-256 of the package's Python source: every ``*.py`` file under the package, by
    relative path and content (computed once per process, a few milliseconds).

    Examples
    --------
    >>> len(source_hash())
    64
    """
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def commit() -> str | None:
    """The git commit of the checkout the package runs from, with ``-dirty`` when its source
    has uncommitted changes; None for an installed package (or without git)."""
    if _git("ls-files", "--error-unmatch", "__init__.py") is None:
        return None  # not a tracked package: an installed copy
    head = _git("rev-parse", "HEAD")
    if head is None:
        return None
    dirty = _git("status", "--porcelain", "--", ".")
    return head + ("-dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """The package version, the source hash, the commit (or None), Python and the platform.

    Examples
    --------
    >>> sorted(provenance())
    ['commit', 'platform', 'python', 'source_hash', 'version']
    """
    import modelcollapse

    return {
        "version": modelcollapse.__version__,
        "source_hash": source_hash(),
        "commit": commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
