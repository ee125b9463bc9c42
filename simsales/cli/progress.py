"""Progress on stderr: a live bar on a terminal, a plain line now and then in a log.

On a terminal rich draws its bars in place.  Where stderr is not a
terminal (a CI log, ``2> run.log``, a pipe) rich draws nothing until the
end, so a run of twelve minutes left twelve silent minutes in the log.
:class:`LogProgress` writes there instead a plain line (no control
characters) at most every :data:`LOG_SECONDS` per task, saying how far the
task is, how long it has run and about how long it has left, and a last
line when a task that said something is done::

    fast: 6 plans x 1000 replications: 250/1000 (25%), 3 min 5 s so far, about 9 min left
    fast: 6 plans x 1000 replications: done, 1000/1000 in 12 min 20 s

:func:`progress_display` picks one of the two.  :class:`Steps` shows the
steps of a command that cannot count its work (a calibration) with the
time each took.  :func:`ticking` counts the
seconds of a wait that cannot run a thread beside it (numba compiling the
engine forks a helper only from a process with one thread).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

__all__ = ["LOG_SECONDS", "LogProgress", "Steps", "progress_display", "seconds_text", "ticking"]

LOG_SECONDS = 30.0
"""The least time between two progress lines of one task in a log, seconds."""


def seconds_text(seconds: float) -> str:
    """A duration for people: ``"45 s"``, ``"3 min 5 s"``, ``"1 h 12 min"``.

    Args:
        seconds: the duration, seconds.

    Returns:
        The text.
    """
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s < 600 else f"{round(s / 60)} min"
    return f"{s // 3600} h {(s % 3600) // 60} min"


class LogProgress(Progress):
    """rich's :class:`~rich.progress.Progress` for a log: no live display, a plain line now and then.

    Tasks are added, advanced and updated as on rich's display (the
    commands use one API).  After a change, a task prints a line when
    :data:`LOG_SECONDS` have passed since the display's last line (or its
    start), so stages shorter than that, one after another, still say how
    far they are; a task that printed a line prints one more when it is done.

    Args:
        console: where the lines go (stderr).
        clock: the time, seconds (a fake one in tests).
        every: the least time between two lines of one task, seconds (None: :data:`LOG_SECONDS`).
    """

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic,
                 every: float | None = None) -> None:
        super().__init__(console=console, get_time=clock, disable=True)
        self.every = LOG_SECONDS if every is None else every
        self._last_line = clock()  # the display's: short stages one after another still get a line
        self._added: dict[TaskID, float] = {}
        self._said: set[TaskID] = set()
        self._ended: set[TaskID] = set()

    def add_task(self, description: str, start: bool = True, total: float | None = 100.0,
                 completed: int = 0, visible: bool = True, **fields: Any) -> TaskID:
        """Add a task (as rich's); its first line comes :data:`LOG_SECONDS` later at the soonest."""
        task_id = super().add_task(description, start, total, completed, visible, **fields)
        self._added[task_id] = self.get_time()
        return task_id

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        """Advance a task (as rich's), and print its line if it is time."""
        super().advance(task_id, advance)
        self._log(task_id)

    def update(self, task_id: TaskID, **changes: Any) -> None:  # type: ignore[override]
        """Update a task (as rich's), and print its line if it is time."""
        super().update(task_id, **changes)
        self._log(task_id)

    def _log(self, task_id: TaskID) -> None:
        """Print the task's line: how far, how long so far, how long left; or that it is done."""
        task = self._tasks[task_id]
        now = self.get_time()
        total = task.total
        elapsed = now - (task.start_time if task.start_time is not None else self._added[task_id])
        count = f"{task.completed:,.0f}/{total:,.0f}" if total else f"{task.completed:,.0f}"
        if total is not None and task.completed >= total:
            if task_id in self._said and task_id not in self._ended:
                self._ended.add(task_id)
                self._print(f"{task.description}: done, {count} in {seconds_text(elapsed)}")
            return
        if now - self._last_line < self.every:
            return
        self._last_line = now
        self._said.add(task_id)
        line = f"{task.description}: {count}"
        if total:
            line += f" ({100 * task.completed / total:.0f}%), {seconds_text(elapsed)} so far"
            if task.completed > 0:
                left = elapsed * (total - task.completed) / task.completed
                line += f", about {seconds_text(left)} left"
        else:
            line += f", {seconds_text(elapsed)} so far"
        self._print(line)

    def _print(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def progress_display(*columns: str | ProgressColumn, console: Console, transient: bool = True,
                     disable: bool = False, clock: Callable[[], float] = time.monotonic) -> Progress:
    """The progress display for ``console``: rich's live bars on a terminal, :class:`LogProgress` elsewhere.

    Args:
        columns: the live bars' columns.
        console: where progress goes (stderr).
        transient: the live bars vanish when done.
        disable: show nothing (``--format json``, ``quiet``).
        clock: the time, seconds.

    Returns:
        The display, to use as a context manager.
    """
    if disable or console.is_terminal:
        return Progress(*columns, console=console, transient=transient, disable=disable, get_time=clock)
    return LogProgress(console, clock)


@contextlib.contextmanager
def ticking(text: str, console: Console, every: float = 1.0) -> Iterator[None]:
    """Say ``text...`` and, on a terminal, count the seconds after it until the block ends.

    The count is written by a timer signal (SIGALRM) in this thread, not by
    a thread of its own: the engine's first compile forks a helper only
    from a process that runs no other thread.  System calls the signal
    interrupts are restarted.  In a log, or where there is no such timer
    (Windows, a thread other than the main one), the line is printed once.

    Args:
        text: what the wait is (``"preparing the fast engine (about 13 s)"``).
        console: where to say it (stderr).
        every: seconds between two counts.

    Yields:
        Nothing; the block is the wait.
    """
    live = (console.is_terminal and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread())
    if not live:
        console.print(f"{text}...", markup=False, highlight=False, soft_wrap=True)
        yield
        return
    started = time.monotonic()
    stream = console.file

    def tick(signum: int, frame: object) -> None:
        stream.write(f"\r{text}... {seconds_text(time.monotonic() - started)}")
        stream.flush()

    stream.write(f"{text}...")
    stream.flush()
    previous = signal.signal(signal.SIGALRM, tick)
    signal.siginterrupt(signal.SIGALRM, False)
    signal.setitimer(signal.ITIMER_REAL, every, every)
    ended = "\n"  # interrupted: the line stays as it was
    try:
        yield
        ended = f"\r{text}... done in {seconds_text(time.monotonic() - started)}\n"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        stream.write(ended)
        stream.flush()


class Steps:
    """A command's steps on stderr, each a line: on a terminal with the time it has run, counting.

    Call it with each step's text as the step starts; the step before is then done, its time kept
    on its line (``touch chain: 598,287 calls  0:00:05``).  In a log each step is a plain line,
    printed once.  Use as a context manager: leaving it ends the last step.

    Args:
        console: where the steps go (stderr).
        clock: the time, seconds (a fake one in tests).
    """

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self._bar = (Progress(SpinnerColumn(finished_text=" "), TextColumn("[dim]{task.description}"),
                              TimeElapsedColumn(), console=console, get_time=clock)
                     if console.is_terminal else None)
        self._task: TaskID | None = None

    def __enter__(self) -> Steps:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the last step and the display (before work that must run without rich's thread)."""
        self._end()
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, text: str) -> None:
        """Start the step ``text`` (user text allowed: printed literally); the one before is done."""
        if self._bar is None:
            self.console.print(f"[dim]{escape(text)}[/]", highlight=False, soft_wrap=True)
            return
        self._end()
        self._task = self._bar.add_task(escape(text), total=1)

    def _end(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=1)
            self._bar.stop_task(self._task)
            self._task = None
