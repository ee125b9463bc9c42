"""Running a command in-process with guards: a time limit, a process limit, a memory cap.

:func:`invoke` runs ``simsales ARGS`` with ``typer.testing.CliRunner`` in a
scratch folder and returns an :class:`Outcome`: the exit status, the
output, and a traceback's last lines (:func:`traceback_tail`), a hang or
too many processes in ``error``.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing.process
import resource
import shutil
import signal
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import chdir, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from typer.testing import CliRunner

from .documents import ROOT

TIMEOUT_S = 20.0
"""A command that has not answered after this many seconds has hung."""

MAX_PROCESSES = 8
"""Worker processes one case may start (the fuzzer asks for at most 2)."""

MEMORY_HEADROOM_BYTES = 4 << 30
"""Address space a case may add to the test process (a guard for the shared machine, 4 GiB)."""

QUICK = settings(max_examples=50, derandomize=True, deadline=None, database=None, print_blob=False,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example])
"""The quick tests: about 50 cases each, the same ones on every run (CI is reproducible)."""


def slow(cases: int) -> settings:
    """Settings of a slow variant: ``cases`` cases and no shrinking (a failing case is already small).

    Args:
        cases: how many cases.

    Returns:
        The settings.
    """
    return settings(QUICK, max_examples=cases, phases=[Phase.explicit, Phase.generate])


class CaseTimeout(BaseException):
    """A case ran past :data:`TIMEOUT_S` (a BaseException, so the CLI cannot swallow it)."""


class TooManyProcesses(BaseException):
    """A case started more than :data:`MAX_PROCESSES` processes."""


@dataclass
class Outcome:
    """What one command did.

    Attributes:
        args: the command line (after ``simsales``).
        exit_code: its exit status (None when it was stopped).
        output: stdout and stderr, interleaved.
        stdout: stdout alone.
        error: what went wrong in Python: a traceback's last lines, a hang or too many processes.
        seconds: how long it took.
        warnings: Python warnings raised in simsales' code (a user's terminal shows them).
    """

    args: list[str]
    exit_code: int | None
    output: str
    stdout: str = ""
    error: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def _vsz() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


@contextmanager
def guarded(seconds: float = TIMEOUT_S) -> Iterator[list]:
    """Stop the code inside after ``seconds``, at :data:`MAX_PROCESSES` processes, and cap its memory.

    SIGALRM raises :class:`CaseTimeout` in the main thread (a hang inside
    compiled code that never returns to Python is beyond it: CI's own
    timeout catches that).  Processes started through ``multiprocessing``
    are counted; the one past the limit raises :class:`TooManyProcesses`
    and those already started are ended.  The address space may grow by
    :data:`MEMORY_HEADROOM_BYTES`, so a runaway allocation is a
    ``MemoryError`` here, not the machine's memory.

    Yields:
        The processes started so far.
    """
    started: list = []
    original_start = multiprocessing.process.BaseProcess.start

    def start(process: Any) -> None:
        if len(started) >= MAX_PROCESSES:
            raise TooManyProcesses(f"started more than {MAX_PROCESSES} worker processes")
        started.append(process)
        original_start(process)

    def alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"no answer after {seconds:g} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vsz() + MEMORY_HEADROOM_BYTES
    previous = signal.signal(signal.SIGALRM, alarm)
    multiprocessing.process.BaseProcess.start = start  # type: ignore[method-assign]
    try:
        capped = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (capped, hard))
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        multiprocessing.process.BaseProcess.start = original_start  # type: ignore[method-assign]
        for process in started:  # the ones this case started and left behind
            if process.is_alive():
                process.terminate()
                process.join(5)


def traceback_tail(exc: BaseException) -> str:
    """A traceback's last lines: the exception, the last simsales frame and the frame that raised.

    Args:
        exc: the exception.

    Returns:
        ``ValueError: scale < 0 | simsales/world/arrivals.py:88 in daily_counts: rng.gamma(...) | ...``.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if Path(f.filename).is_relative_to(ROOT / "simsales")]
    shown = ours[-1:] + [f for f in frames[-1:] if f not in ours[-1:]]

    def at(f: traceback.FrameSummary) -> str:
        name = Path(f.filename)
        name = name.relative_to(ROOT) if name.is_relative_to(ROOT) else Path(name.name)
        return f"{name}:{f.lineno} in {f.name}: {(f.line or '').strip()}"

    where = [at(f) for f in shown]
    return " | ".join([f"{type(exc).__name__}: {str(exc)[:300]}", *where])


_runner = CliRunner()


@functools.cache
def scratch() -> Path:
    """The folder commands run in: an ``--out ""`` or a default ``reports/`` lands there (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="simsales-fuzz-cwd-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def invoke(*args: Any, seconds: float = TIMEOUT_S) -> Outcome:
    """Run ``simsales ARGS`` in this process under :func:`guarded`, in the :func:`scratch` folder.

    Args:
        *args: the command line after ``simsales`` (paths become strings; give them absolute).
        seconds: the time limit.

    Returns:
        What happened; ``error`` holds a traceback's last lines, a hang or too many processes.
    """
    from simsales.cli import app

    argv = [str(a) for a in args]
    began = time.monotonic()
    try:
        with guarded(seconds), chdir(scratch()), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _runner.invoke(app, argv)
    except (CaseTimeout, TooManyProcesses) as stop:
        frames = traceback.extract_tb(stop.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)
                      if "simsales" in f.filename), "?")
        return Outcome(argv, None, "", error=f"{stop} (in {where})", seconds=time.monotonic() - began)
    seconds_taken = time.monotonic() - began
    error = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = "traceback: " + traceback_tail(result.exception)
    ours = [w for w in caught if Path(w.filename).is_relative_to(ROOT / "simsales")]
    said = [f"{Path(w.filename).relative_to(ROOT)}:{w.lineno}: {w.category.__name__}: {w.message}"
            for w in ours]
    return Outcome(argv, result.exit_code, result.output, result.stdout, error, seconds_taken,
                   list(dict.fromkeys(said)))
