"""Process pools whose workers never outlive the process that started them.

A ``ProcessPoolExecutor`` worker blocks on its call queue; if the parent is killed (``kill -9``)
the worker is orphaned and waits forever. Workers made here run a watchdog thread that ends the
worker as soon as its parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool"]

#: Seconds between the watchdog's checks of the parent.
_WATCH_INTERVAL = 0.5


def _watch(parent: int) -> None:
    while True:
        time.sleep(_WATCH_INTERVAL)
        if os.getppid() != parent:  # re-parented: the process that started us is gone
            os._exit(1)


def _start_watchdog(parent: int) -> None:
    threading.Thread(target=_watch, args=(parent,), daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (``spawn`` start method) that exit with their parent."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_watchdog,
        initargs=(os.getpid(),),
    )
