"""An experiment's output folder: created, written under a temporary name, then put in place.

:func:`~modelcollapse.experiments.runner.run_experiment` creates the output directory with
:func:`prepare_out` (and, on failure, removes what it created with :func:`remove_dirs`), writes
an experiment's files into a temporary sibling folder ``.<id>.<pid>.tmp`` and puts it in place
of ``<id>`` with :func:`install`; :func:`remove_stale` removes the temporary folders of runs
whose process died.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
from pathlib import Path

from .._validation import fail

__all__ = [
    "delete",
    "install",
    "prepare_out",
    "remove_dirs",
    "remove_stale",
]


def prepare_out(out: str | os.PathLike[str]) -> list[Path]:
    """Create the output directory ``out`` (and its missing parents), checking it first: the
    directories this call created, deepest last, so that a failed run can remove them."""
    path = Path(out)
    missing = []
    for part in (path, *path.parents):
        try:
            os.stat(part)
        except OSError as err:
            if err.errno == errno.ENOENT and not os.path.islink(part):
                missing.append(part)
                continue
            reason = "a symbolic link to a missing target" if err.errno == errno.ENOENT else None
            raise fail(
                "out", f"cannot create the directory ({reason or err.strerror})", str(out)
            ) from None
        if not part.is_dir():
            raise fail("out", "cannot create the directory (Not a directory)", str(out))
        break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise fail("out", f"cannot create the directory ({err.strerror})", str(out)) from None
    if not os.access(path, os.W_OK):
        remove_dirs(missing)
        raise fail("out", "must be a writable directory", str(out))
    return missing[::-1]


def remove_dirs(created: list[Path]) -> None:
    """Remove the directories a failed run created, deepest first, if they are empty."""
    for directory in sorted(created, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (perhaps owned by another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def remove_stale(out: Path, experiment_id: str) -> None:
    """Remove the temporary folders of runs of ``experiment_id`` whose process is gone (killed
    with ``kill -9``, or a power cut); those of running processes are left alone."""
    for path in out.glob(f".{glob.escape(experiment_id)}.*.*"):
        pid = path.name[len(experiment_id) + 2 :].rsplit(".", 1)[0]
        if path.suffix in (".tmp", ".old") and pid.isdigit() and int(pid) != os.getpid():
            if not _alive(int(pid)):
                delete(path)


def delete(path: Path) -> None:
    """Remove a folder (or a symbolic link, or a file) if it is there; errors are ignored."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def install(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` in place of ``target``: an older ``target`` is renamed
    aside, ``tmp`` renamed in, then the older one deleted; if the second rename fails the older
    folder is put back."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        delete(old)
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:
            with contextlib.suppress(OSError):
                os.rename(old, target)
        raise
    if old is not None:
        delete(old)
