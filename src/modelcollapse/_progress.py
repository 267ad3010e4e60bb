"""Progress lines: on stderr, silenced, or handed to a function."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["reporter"]


def reporter(progress: bool | Callable[[str], None]) -> Callable[[str], None]:
    """``progress`` itself if callable, a printer to stderr if true, a no-op if false."""
    if callable(progress):
        return progress
    if progress:
        return lambda line: print(line, file=sys.stderr, flush=True)
    return lambda line: None
