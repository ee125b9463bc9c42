"""A pool worker's side: run the batches the pool sends, until the pipe closes.

:func:`serve` is the whole life of a worker process of
:class:`~simsales.montecarlo.pool.PoolExecutor`: it ignores Ctrl-C (the
pool handles it and stops its workers; the pool forks it with Ctrl-C
blocked, so none can reach it before), asks the kernel to kill it if the
pool's process dies (Linux), then answers each ``(index, batch)`` with
``(index, True, results)`` or ``(index, False, (error, traceback))``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from simsales.montecarlo.batch import Batch
from simsales.montecarlo.interrupt import ignore_in_worker
from simsales.montecarlo.replication import RepResult

__all__ = ["RemoteTraceback", "serve"]

PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal for the child when its parent dies


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker, shown below the error."""

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return f"\n\nin the worker process:\n{self.args[0]}"


def serve(conn: Connection, task: Callable[[Batch], list[RepResult]], parent: int) -> None:
    """A worker's life: run the batches it is sent until its pipe closes.

    Args:
        conn: its end of the pipe: ``(index, batch)`` in, ``(index, ok, payload)`` out.
        task: what to do with a batch.
        parent: the pool's process id.
    """
    ignore_in_worker()  # Ctrl-C is the pool's to handle: it stops us
    _die_with_parent(parent)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        index, batch = job
        try:
            reply: tuple[int, bool, Any] = (index, True, task(batch))
        except Exception as exc:
            reply = (index, False, (_picklable(exc), traceback.format_exc()))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _picklable(exc: Exception) -> Exception:
    """The error itself if it can travel to the pool's process, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the pool's process dies (``kill -9`` too)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)  # this process's C library (find_library runs ldconfig)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
