"""Progress where a person waits, and nowhere else: the one home for progress bars.

A bar is drawn on stderr by tqdm when, and only when, stderr is a terminal, TERM is not
``dumb``, CI is not set and ``--quiet`` was not given; it appears only once a run has lasted
:data:`DELAY` seconds (``OPS_PROGRESS_DELAY`` sets another delay, 0 for at once) and is erased
when the run ends, so a command's output is the same with or without it. Off, a bar is a no-op
object and tqdm is never imported.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from checks.findings import printable

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tqdm import tqdm

DELAY = 1.0  # seconds a run lasts before its bar appears: shorter runs show nothing
DELAY_ENV = "OPS_PROGRESS_DELAY"
SLOW = 3.0  # seconds: a task waited on longer than this is named ("waiting for ...")
POLL = 0.25  # seconds between two looks at work done elsewhere (threads, processes)
FORMAT = "{n_fmt}/{total_fmt} {desc} |{bar}| {elapsed}<{remaining}{postfix}"
FORMAT_OPEN = "{n_fmt} {desc} {elapsed}{postfix}"  # no total known

_quiet = False


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet``: no progress on the terminal."""
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress on the terminal (stderr)"
    )


def configure(*, quiet: bool) -> None:
    """Once per command (checks.main), from its ``--quiet``."""
    global _quiet
    _quiet = quiet


def reset() -> None:
    configure(quiet=False)


def wanted(stream: TextIO, environ: Mapping[str, str], *, quiet: bool = False) -> bool:
    """Whether progress may be drawn on ``stream``: a terminal, not a CI log, not a hook, not
    asked away."""
    # pre-commit runs a hook on a pseudo-terminal when its own output is one, and shows what the
    # hook printed when it fails: a bar would be part of that
    if quiet or environ.get("TERM") == "dumb" or environ.get("PRE_COMMIT"):
        return False
    if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def delay(environ: Mapping[str, str]) -> float:
    """Seconds before a bar appears: ``OPS_PROGRESS_DELAY`` when it is a number >= 0."""
    try:
        seconds = float(environ.get(DELAY_ENV, ""))
    except ValueError:
        return DELAY
    return seconds if math.isfinite(seconds) and seconds >= 0 else DELAY


def waiting(slowest: tuple[str, float] | None, after: float = SLOW) -> str:
    """What the bar says about the task waited on longest, once it is slow; else nothing."""
    if slowest is None or slowest[1] < after:
        return ""
    what, seconds = slowest
    return f"waiting for {what} ({seconds:.0f} s)"


class Bar:
    """No progress: what every caller gets when nothing is to be drawn."""

    live = False

    def update(self, n: int = 1) -> None:
        """``n`` more done."""

    def advance_to(self, n: int) -> None:
        """``n`` done in all (counted elsewhere)."""

    def note(self, text: str) -> None:
        """A remark after the counts ("3/12 projects judged", "waiting for ..."); "" clears."""

    def refresh(self) -> None:
        """Draw again (time passed, nothing was done), once the bar is due."""

    def close(self) -> None:
        """Erase the bar."""

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


OFF = Bar()


class _Live(Bar):
    live = True

    def __init__(self, bar: tqdm[Any]) -> None:
        self._bar = bar

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def advance_to(self, n: int) -> None:
        if n > self._bar.n:
            self._bar.update(n - self._bar.n)

    def note(self, text: str) -> None:
        self._bar.set_postfix_str(printable(text), refresh=False)

    def refresh(self) -> None:
        bar = self._bar
        if time.time() >= bar.start_t + (bar.delay or 0):  # tqdm's clock; before, nothing is shown
            bar.refresh()

    def close(self) -> None:
        self.refresh()  # the last state drawn is the final one, then erased
        self._bar.close()


def bar(total: int | None, desc: str, *, stream: TextIO | None = None) -> Bar:
    """A bar of ``total`` things (``desc``: "documents read") on stderr, or :data:`OFF`."""
    stream = sys.stderr if stream is None else stream
    if not wanted(stream, os.environ, quiet=_quiet):
        return OFF
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the engine forks its workers after this
    width = _width(stream)
    return _Live(
        tqdm(
            total=total,
            desc=desc,
            file=stream,
            leave=False,
            delay=delay(os.environ),
            ncols=width,
            nrows=None if width is None else 24,
            dynamic_ncols=width is None,  # follow the terminal as it is resized
            bar_format=FORMAT if total is not None else FORMAT_OPEN,
        )
    )


def _width(stream: TextIO) -> int | None:
    """None for a terminal that knows its size; 80 columns for one that says 0 (a pseudo-
    terminal nobody sized), where tqdm would draw nothing."""
    try:
        return None if os.get_terminal_size(stream.fileno()).columns else 80
    except (AttributeError, ValueError, OSError):
        return 80


class Inflight:
    """Tasks that threads are waiting for: how many are done, and which waits longest."""

    def __init__(self) -> None:
        import itertools
        import threading

        self._lock = threading.Lock()
        self._keys = itertools.count()
        self._since: dict[int, tuple[str, float]] = {}
        self.done = 0

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        """Around one task (``what``: how the bar names it when it is slow)."""
        key = next(self._keys)
        with self._lock:
            self._since[key] = (what, time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                del self._since[key]
                self.done += 1

    def slowest(self, now: float | None = None) -> tuple[str, float] | None:
        """The task waited on longest and its seconds so far, or None."""
        with self._lock:
            started = list(self._since.values())
        if not started:
            return None
        what, since = min(started, key=lambda s: s[1])
        return what, (time.monotonic() if now is None else now) - since


def wait_all(futures: Iterable[Future[Any]], shown: Bar, inflight: Inflight) -> set[Future[Any]]:
    """``concurrent.futures.wait(futures, return_when=FIRST_EXCEPTION).done``, showing
    meanwhile how many of ``inflight``'s tasks are done and which one is slow."""
    from concurrent.futures import FIRST_EXCEPTION, wait

    futures = list(futures)
    if not shown.live:
        return wait(futures, return_when=FIRST_EXCEPTION).done
    while True:
        done, pending = wait(futures, timeout=POLL, return_when=FIRST_EXCEPTION)
        shown.advance_to(inflight.done)
        if not pending or any(f.exception() is not None for f in done):
            shown.note("")  # waiting for nothing now
            return done
        shown.note(waiting(inflight.slowest()))
        shown.refresh()
