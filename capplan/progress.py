"""Progress of the long stages, for a person watching a terminal; silent everywhere else.

Library code marks where its time goes without taking a new parameter:

    s = progress.stage("fitting candidates", total=len(candidates))
    for c in candidates:
        ...
        s.advance()

A stage ends when the next one starts, when it is used as a context manager and the block ends,
or when the reporter is removed. The reporter lives in a context variable whose default does
nothing, so a library call, a test or a notebook prints nothing and the computation stays pure;
the command line installs `TerminalReporter` (only when stderr is a terminal and `--quiet` is not
given) for the length of one command. A thread started inside a run sees the silent default
(threads begin with a fresh context), which is what a worker should do.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only when a terminal reporter is made
    from rich.console import Console

# How long a stage runs before it is shown: shorter stages would only flicker.
SHOW_AFTER_SECONDS = 0.5


class Stage:
    """One named stage of a run, `done` of `total` steps when it counts them."""

    __slots__ = ("name", "total", "done", "started", "_reporter")

    def __init__(self, name: str, total: int | None, reporter: Reporter, started: float):
        self.name = name
        self.total = total
        self.done = 0
        self.started = started
        self._reporter = reporter

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        self._reporter.update(self)

    def end(self) -> None:
        self._reporter.end(self)

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc) -> None:
        self.end()


class Reporter:
    """The default: hears every stage and shows nothing."""

    def clock(self) -> float:
        return time.monotonic()

    def start(self, stage: Stage) -> None:
        pass

    def update(self, stage: Stage) -> None:
        pass

    def end(self, stage: Stage) -> None:
        pass

    def pause(self) -> None:
        """Clear the display so the caller can print; the next stage shows it again."""

    def close(self) -> None:
        pass


_SILENT = Reporter()
_CURRENT: ContextVar[Reporter] = ContextVar("capplan_progress", default=_SILENT)


def stage(name: str, total: int | None = None) -> Stage:
    """Mark the start of a stage (it replaces the one before); `total` steps when it counts."""
    reporter = _CURRENT.get()
    s = Stage(name, total, reporter, reporter.clock())
    reporter.start(s)
    return s


def pause() -> None:
    """Clear the progress line before printing to the terminal (the summary on stdout would
    otherwise be drawn over it); the next stage brings it back."""
    _CURRENT.get().pause()


@contextmanager
def reporting(reporter: Reporter):
    """Send the stages of the calls made inside the block to `reporter`; closed at the end."""
    token = _CURRENT.set(reporter)
    try:
        yield reporter
    finally:
        _CURRENT.reset(token)
        reporter.close()


class TerminalReporter(Reporter):
    """A one-line rich display on a terminal: a spinner, the stage, `n/m` with a bar when it
    counts, and the seconds it has run. A stage appears once it has run `show_after` seconds and
    the line is erased when the run ends, so what stays on screen is the command's own output."""

    def __init__(self, console: Console, *, show_after: float = SHOW_AFTER_SECONDS,
                 clock=time.monotonic):
        self.console = console
        self.show_after = show_after
        self._clock = clock
        self._current: Stage | None = None
        self._live = None
        self._spinner = None

    def clock(self) -> float:
        return self._clock()

    def start(self, stage: Stage) -> None:
        self._current = stage
        if self._live is None:
            from rich.live import Live
            from rich.spinner import Spinner

            self._spinner = Spinner("dots")
            # stdout is not redirected: the summary and --json belong on stdout even when only
            # stderr is a terminal; the CLI pauses the line before it prints instead.
            self._live = Live(self, console=self.console, transient=True,
                              refresh_per_second=8, redirect_stdout=False, redirect_stderr=True)
            self._live.start()
        if self.show_after <= 0:
            self._live.refresh()  # shown at once, however short, when asked to show everything

    def update(self, stage: Stage) -> None:
        if self.show_after <= 0 and self._live is not None and stage is self._current:
            self._live.refresh()

    def end(self, stage: Stage) -> None:
        if stage is self._current:
            self._current = None

    def pause(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def close(self) -> None:
        self._current = None
        self.pause()

    def __rich__(self):
        from rich.table import Table
        from rich.text import Text

        s = self._current
        if s is None:
            return Text("")
        elapsed = self._clock() - s.started
        if elapsed < self.show_after:
            return Text("")
        line = Table.grid(padding=(0, 1))
        cells = [self._spinner, Text(s.name)]
        if s.total:
            from rich.progress_bar import ProgressBar

            done = min(s.done, s.total)
            cells += [ProgressBar(total=s.total, completed=done, width=24),
                      Text(f"{done} of {s.total}")]
        cells.append(Text(f"{elapsed:.0f} s", style="dim"))
        for _ in cells:
            line.add_column()
        line.add_row(*cells)
        return line


def show_after_from_env(environ=None) -> float:
    """`CAPPLAN_PROGRESS_AFTER` (seconds) when set to a number from 0 to 60, else the default."""
    text = (os.environ if environ is None else environ).get("CAPPLAN_PROGRESS_AFTER", "")
    try:
        value = float(text)
    except ValueError:
        return SHOW_AFTER_SECONDS
    return value if 0 <= value <= 60 else SHOW_AFTER_SECONDS


def for_terminal(quiet: bool = False, console: Console | None = None) -> Reporter:
    """The reporter a command installs: a `TerminalReporter` on stderr when stderr is an
    interactive terminal and `quiet` is off, else the silent one."""
    if quiet:
        return Reporter()
    if console is None:
        if not _may_be_terminal(os.environ, sys.stderr):
            return Reporter()  # rich (~40 ms to import) would say the same
        from rich.console import Console

        console = Console(stderr=True, emoji=False)
    if not console.is_terminal or console.is_dumb_terminal:
        return Reporter()
    return TerminalReporter(console, show_after=show_after_from_env())


def _may_be_terminal(environ, stream) -> bool:
    """False only when rich's `Console(stderr=True).is_terminal` is certainly False: no
    TTY_COMPATIBLE=1, no non-empty FORCE_COLOR (rich's overrides, https://force-color.org/) and a
    stream that is not a tty. True leaves the decision to rich, which also knows Jupyter and IDLE."""
    if environ.get("TTY_COMPATIBLE", "") == "1" or environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except ValueError:  # a closed stream, as rich treats it
        return False
