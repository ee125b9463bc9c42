"""Ctrl-C in the process that waits on the pool's workers: noticed at once, held back while they stop.

Python runs its Ctrl-C handler in the main thread, between two bytecodes.
A process blocked in ``poll()`` on its workers' pipes hears of a Ctrl-C
only if the signal interrupts that call.  It does not when the signal
lands an instant before the call (after the last check for signals), or
when another thread takes it (rich's refresh thread, say): the process
then waited until a worker sent a batch's results, on a loaded machine
more than a minute later.  So the pool's wait

* listens on a socket that the signal itself writes to
  (:class:`InterruptWatch`, :func:`signal.set_wakeup_fd`) and raises the
  interrupt from it (:meth:`InterruptWatch.check`), whichever thread
  took the signal;
* never blocks longer than :data:`WAKE_SECONDS` at a time.

While the workers are stopped Ctrl-C is held back (:func:`held_back`), and
a worker is forked with Ctrl-C blocked (:func:`blocked`) until it ignores
it (:func:`ignore_in_worker`): a Ctrl-C in between would print a
traceback from the new process.

SIGTERM is treated the same way when this process handles it in Python
(the command line does: it stops as on Ctrl-C, :mod:`simsales.cli`): the
wait wakes for it, it is held back and blocked with Ctrl-C, and a worker
puts it back to the default (the pool stops its workers with SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

__all__ = ["STOPS", "WAKE_SECONDS", "InterruptWatch", "blocked", "deliver", "held_back", "ignore_in_worker"]

WAKE_SECONDS = 0.5
"""The longest the pool's process waits on its workers without looking for a Ctrl-C, seconds."""


STOPS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command: Ctrl-C, and SIGTERM when handled in Python."""


def deliver(signum: int = signal.SIGINT) -> None:
    """Act on a signal as this process's handler would: raise KeyboardInterrupt, or call the handler.

    Args:
        signum: the signal (SIGINT: Ctrl-C).

    Raises:
        KeyboardInterrupt: the handler is Python's default one for Ctrl-C.
    """
    handler = signal.getsignal(signum)
    if handler is signal.default_int_handler:
        raise KeyboardInterrupt
    if callable(handler):
        handler(signum, None)


class InterruptWatch:
    """A socket that a Ctrl-C writes to, for a ``wait()`` on the workers' pipes.

    Entered in the main thread with no wakeup file set (asyncio sets one),
    it sets :func:`signal.set_wakeup_fd` to its socket and puts the old
    setting back on leaving; elsewhere it watches nothing (:attr:`fds` is
    empty) and the wait's timeout alone bounds the delay.
    """

    def __init__(self) -> None:
        self.fds: list[socket.socket] = []
        self._pair: tuple[socket.socket, socket.socket] | None = None

    def __enter__(self) -> InterruptWatch:
        if threading.current_thread() is not threading.main_thread():
            return self
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        if previous != -1:  # someone else listens: leave theirs
            signal.set_wakeup_fd(previous)
            reader.close()
            writer.close()
            return self
        self._pair = (reader, writer)
        self.fds = [reader]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._pair is not None:
            signal.set_wakeup_fd(-1)
            for end in self._pair:
                end.close()
            self._pair, self.fds = None, []

    def check(self) -> None:
        """Raise the interrupt if a Ctrl-C came since the last check (and Python's handler has not yet).

        Raises:
            KeyboardInterrupt: Ctrl-C came (with Python's default handler).
        """
        if self._pair is None:
            return
        came = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while chunk := self._pair[0].recv(512):
                came += chunk
        for signum in STOPS:  # SIGTERM: only a handler set in Python writes it here
            if signum in came:
                deliver(signum)


@contextlib.contextmanager
def held_back() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM) back while the workers are stopped (delivered after, if it came)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum))
                for signum in STOPS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


@contextlib.contextmanager
def blocked() -> Iterator[None]:
    """Block Ctrl-C and SIGTERM in this thread meanwhile (a process forked here starts with them blocked).

    A signal that comes meanwhile waits, and is taken when this ends (or
    by another thread: :class:`InterruptWatch` sees it).
    """
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: no fork either
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(STOPS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_in_worker() -> None:
    """In a worker forked under :func:`blocked`: ignore Ctrl-C (the pool stops us), let SIGTERM end us."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool's way to stop a worker, whatever the parent set
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(STOPS))
