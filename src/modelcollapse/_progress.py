"""Progress: message lines through the ``modelcollapse`` logger, and a bar with the fraction
done, the elapsed time and an estimate of the time left.

The library never prints. Message lines and the bar's plain lines are log records at level INFO
on ``logging.getLogger("modelcollapse")`` (see :func:`emit`): configure that logger to route,
silence or format them. When no handler is configured anywhere (neither on that logger, its
ancestors nor the root logger), a record is handed to a fallback handler that writes the bare
message to stderr, as :data:`logging.lastResort` does for warnings, so that ``progress=True``
in a plain script or notebook shows its lines. The command line installs its own stderr handler
for the duration of a command (:func:`log_to_stderr`).

Two pieces:

- :func:`reporter` turns a ``progress`` argument (true, false or a function) into a function
  that takes one message line (``"start: ..."``, ``"done in 3.1s"``).
- :class:`Progress` follows a count of work units (replication blocks, generations, cells,
  experiments). On a terminal it keeps one live line, rewritten in place at most ten times a
  second (``[he2025-fig8] 45% 12.3s elapsed, about 15s left``); elsewhere (a log file, a pipe,
  CI) it prints a plain line when a tenth of the work is done or 30 seconds have passed,
  whichever comes first, so a log shows that a long run is alive without filling up. Disabled,
  it does nothing. It is fed by callbacks at the granularity of a block, a generation or a cell:
  never call it inside a hot loop.

The estimate of the time left is the elapsed time scaled by the work left (``elapsed * (total -
done) / done``); it is shown once some work is done and a second has passed.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["Progress", "emit", "format_seconds", "log_to_stderr", "logger", "reporter"]

#: The package's logger: progress and status lines are records at level INFO.
logger = logging.getLogger("modelcollapse")

#: Seconds between two rewrites of a terminal's live line.
_TTY_INTERVAL = 0.1
#: Seconds between two lines when stderr is not a terminal (or a tenth of the work).
_LOG_INTERVAL = 30.0


class StderrHandler(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stderr`` is when a record is emitted (so that a
    redirected or captured stderr receives it), the bare message on one line."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr


_FALLBACK = StderrHandler()


def emit(text: str, level: int = logging.INFO) -> None:
    """Send one message line to the ``modelcollapse`` logger at ``level``.

    With no handler configured anywhere (see the module's docstring) the record goes to a
    fallback handler that writes the bare line to stderr, whatever the logger's level.
    """
    if logger.hasHandlers():
        logger.log(level, text)
    elif not logger.disabled:
        _FALLBACK.handle(logger.makeRecord(logger.name, level, __file__, 0, text, (), None))


@contextmanager
def log_to_stderr(level: int = logging.INFO) -> Iterator[None]:
    """For the duration of the block, the ``modelcollapse`` logger writes its records from
    ``level`` up to stderr as bare lines, and only there (the command line's setting)."""
    handler = StderrHandler()
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def reporter(progress: bool | Callable[[str], None]) -> Callable[[str], None]:
    """``progress`` itself if callable, :func:`emit` (the ``modelcollapse`` logger) if true,
    a no-op if false."""
    if callable(progress):
        return progress
    if progress:
        return emit
    return lambda line: None


def terminal_columns(stream: Any) -> int:
    """The width of the terminal ``stream`` writes to (80 where it cannot be told)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size((80, 24)).columns


def format_seconds(seconds: float) -> str:
    """``"4.2s"``, ``"3m 05s"`` or ``"2h 03m"``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        m, s = divmod(round(seconds), 60)
        return f"{m}m {s:02d}s"
    h, m = divmod(round(seconds) // 60, 60)
    return f"{h}h {m:02d}m"


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A progress line for ``total`` units of work.

    Parameters
    ----------
    label : str
        What is running, shown in brackets (``"simulate"``, ``"he2025-fig8"``).
    total : int
        Units of work (at least 1; a smaller value is taken as 1).
    enabled : bool, optional
        False: print nothing at all (``--quiet``).
    stream : file, optional
        Where to write. Default: the live line on a terminal goes to ``sys.stderr`` (looked up
        when the bar is made), and message lines and plain lines go to the ``modelcollapse``
        logger (:func:`emit`). Given: everything is written to it.
    unit : str, optional
        The units' name in the count (``"12/40 cells"``); empty: no count, only the percentage.
    terminal : bool, optional
        Force the live line (True) or the plain lines (False); default: ``stream.isatty()``.
    clock : callable, optional
        A monotonic clock in seconds (tests pass a fake one).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress("demo", 4, stream=out, unit="blocks", terminal=False)
    >>> for _ in range(4):
    ...     bar.advance()
    >>> bar.close()
    >>> out.getvalue().splitlines()[-1].startswith("[demo] 4/4 blocks 100%")
    True
    """

    def __init__(
        self,
        label: str,
        total: int,
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        unit: str = "",
        terminal: bool | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.label = label
        self.total = max(1, int(total))
        self.enabled = bool(enabled)
        self.stream = sys.stderr if stream is None else stream
        self._to_logger = stream is None
        self.unit = unit
        self.terminal = _is_terminal(self.stream) if terminal is None else bool(terminal)
        self._clock = clock
        self.start = clock()
        self.done = 0
        self._last_write = -float("inf")
        self._last_logged = 0
        self._width = 0
        self._note = ""
        self._closed = False

    # -- feeding it ---------------------------------------------------------------------------
    def advance(self, units: int = 1, note: str = "") -> None:
        """``units`` more units are done."""
        self.update(self.done + units, note)

    def update(self, done: int, note: str = "") -> None:
        """``done`` units are done in all (clipped to ``[0, total]``)."""
        self.done = min(max(int(done), 0), self.total)
        self._note = note
        if not self.enabled or self._closed:
            return
        now = self._clock()
        if self.terminal:
            if now - self._last_write >= _TTY_INTERVAL or self.done == self.total:
                self._live(self.line(note, now))
                self._last_write = now
            return
        tenth = self.done - self._last_logged >= self.total / 10
        if self.done < self.total and (tenth or now - self._last_write >= _LOG_INTERVAL):
            self._print(self.line(note, now))
            self._last_write, self._last_logged = now, self.done

    def message(self, text: str) -> None:
        """Print one message line (above the live line on a terminal, which is drawn again at
        once below it)."""
        if not self.enabled:
            return
        if self.terminal and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self._print(text)
        if self.terminal and not self._closed:
            now = self._clock()
            self._live(self.line(self._note, now))
            self._last_write = now

    def close(self, message: str | None = None) -> None:
        """End the bar: clear the live line and print ``message`` (default: the final count and
        the elapsed time). Closing twice prints once."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        if self.terminal and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self._print(message if message is not None else self.line(""))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is None:
            self.close()
        elif self.enabled and self.terminal and self._width and not self._closed:
            self._closed = True  # an error: leave the line as it is, on a line of its own
            self.stream.write("\n")
            self.stream.flush()

    # -- the text -----------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Seconds since the bar was made."""
        return self._clock() - self.start

    def eta(self, now: float | None = None) -> float | None:
        """Estimated seconds left, or None before any work is done or a second has passed."""
        elapsed = (self._clock() if now is None else now) - self.start
        if self.done <= 0 or elapsed < 1.0:
            return None
        return elapsed * (self.total - self.done) / self.done

    def line(self, note: str = "", now: float | None = None) -> str:
        """The progress text: ``[label] 3/8 blocks 37% 4.1s elapsed, about 7.0s left``."""
        now = self._clock() if now is None else now
        count = f"{self.done:,}/{self.total:,} {self.unit} " if self.unit else ""
        text = (
            f"[{self.label}] {count}{100 * self.done // self.total:d}% "
            f"{format_seconds(now - self.start)} elapsed"
        )
        eta = self.eta(now)
        if self.done < self.total and eta is not None:
            text += f", about {format_seconds(eta)} left"
        return f"{text} {note}".rstrip()

    def _live(self, text: str) -> None:
        text = text[: terminal_columns(self.stream) - 1]  # a live line that wraps cannot be redrawn
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _print(self, text: str) -> None:
        if self._to_logger:
            emit(text)
            return
        self.stream.write(text + "\n")
        self.stream.flush()
