"""Process pools: workers ignore Ctrl-C, even one that arrives while they are starting."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from modelcollapse._parallel import pool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _signal_state(_: int) -> tuple[bool, bool]:
    """(SIGINT ignored, SIGINT blocked) in the calling process."""
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN, blocked


def test_workers_ignore_sigint_and_the_parent_mask_is_restored():
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    with pool(2) as executor:
        states = list(executor.map(_signal_state, range(4)))
    assert states == [(True, False)] * 4
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_sigint_while_a_worker_starts_does_not_break_the_pool():
    # The signal reaches each worker while it is still importing, before its initializer runs:
    # without SIGINT blocked at the start it dies with KeyboardInterrupt and the pool breaks.
    with pool(2) as executor:
        futures = [executor.submit(os.getpid) for _ in range(2)]
        for process in list(executor._processes.values()):
            os.kill(process.pid, signal.SIGINT)
        pids = {future.result(timeout=60) for future in futures}
    assert pids
