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
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from types import TracebackType

__all__ = ["WAKE_SECONDS", "InterruptWatch", "blocked", "deliver", "held_back", "ignore_in_worker"]

WAKE_SECONDS = 0.5
"""The longest the pool's process waits on its workers without looking for a Ctrl-C, seconds."""


def deliver() -> None:
    """Act on a Ctrl-C as this process's handler would: raise KeyboardInterrupt, or call the handler.

    Raises:
        KeyboardInterrupt: the handler is Python's default one.
    """
    handler = signal.getsignal(signal.SIGINT)
    if handler is signal.default_int_handler:
        raise KeyboardInterrupt
    if callable(handler):
        handler(signal.SIGINT, None)


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
        if signal.SIGINT in came:
            deliver()


@contextlib.contextmanager
def held_back() -> Iterator[None]:
    """Hold Ctrl-C back while the workers are stopped (delivered after, if it came)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGINT)


@contextlib.contextmanager
def blocked() -> Iterator[None]:
    """Block Ctrl-C in this thread meanwhile (a process forked here starts with it blocked).

    A Ctrl-C that comes meanwhile waits, and is taken when this ends (or
    by another thread: :class:`InterruptWatch` sees it).
    """
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: no fork either
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_in_worker() -> None:
    """In a worker forked under :func:`blocked`: ignore Ctrl-C (the pool stops us), then unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
