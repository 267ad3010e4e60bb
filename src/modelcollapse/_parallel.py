"""Process pools whose workers never outlive, or outshout, the process that started them.

A ``ProcessPoolExecutor`` worker blocks on its call queue; if the parent is killed (``kill -9``)
the worker is orphaned and waits forever. Workers made here run a watchdog thread that ends the
worker as soon as its parent is gone.

Workers also ignore ``SIGINT``: Ctrl-C reaches every process of the terminal's foreground group,
and only the parent should answer it (with one line), not each worker with a traceback. The
parent stops its workers with :func:`terminate`, which :func:`pool` calls when the block it
guards raises (``KeyboardInterrupt`` included), so an interrupted run exits at once instead of
waiting for the running calls to finish. A worker is started with ``SIGINT`` blocked (the mask
is inherited through ``fork`` and ``exec``), so a Ctrl-C that arrives while it is still importing,
before it can ignore the signal, is held and then dropped instead of killing it with a traceback;
in the parent the signal is only delayed by the few milliseconds of the start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

__all__ = ["clocked_call", "pool", "process_pool", "rewarn", "terminate"]

#: Seconds between the watchdog's checks of the parent.
_WATCH_INTERVAL = 0.5


def _watch(parent: int) -> None:
    while True:
        time.sleep(_WATCH_INTERVAL)
        if os.getppid() != parent:  # re-parented: the process that started us is gone
            os._exit(1)


class _QuietProcess(SpawnProcess):
    """A spawned process started with ``SIGINT`` blocked (see the module's notes)."""

    def start(self) -> None:
        if not hasattr(signal, "pthread_sigmask"):  # not POSIX
            super().start()
            return
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _QuietContext(SpawnContext):
    Process = _QuietProcess


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a held one is dropped
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (``spawn`` start method) that exit with their parent and
    ignore Ctrl-C (the parent handles it)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_QuietContext(),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


def terminate(executor: ProcessPoolExecutor) -> None:
    """Stop ``executor`` now: cancel pending calls and kill the worker processes (running calls
    are lost). Safe on a pool that is already shut down or broken."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)


def clocked_call(func: Any, *args: Any) -> tuple[Any, float, list[str]]:
    """``func(*args)`` in a worker, with the seconds it spent drawing random numbers (the parent
    adds them to its own count, :func:`modelcollapse.random.add_draw_seconds`) and the messages
    of the :class:`~modelcollapse.FitFailureWarning` it raised (the parent raises them again:
    :func:`rewarn`)."""
    from ._validation import collect_fit_failures
    from .random import draw_seconds

    before = draw_seconds()
    with collect_fit_failures() as messages:
        result = func(*args)
    return result, draw_seconds() - before, messages


def rewarn(messages: list[str]) -> None:
    """Raise again, in this process, the fit-failure warnings a worker collected."""
    import warnings

    from ._validation import FitFailureWarning

    for message in messages:
        warnings.warn(FitFailureWarning(message), stacklevel=2)


@contextlib.contextmanager
def pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """``with pool(n) as executor:`` a :func:`process_pool` that is shut down normally when the
    block ends, and :func:`terminate`-d when it raises (Ctrl-C included)."""
    executor = process_pool(workers)
    try:
        yield executor
    except BaseException:
        terminate(executor)
        raise
    executor.shutdown(wait=True)
