"""A pool of local worker processes that knows which batch each worker runs.

:class:`PoolExecutor` runs a run's batches on worker processes of this
machine, one batch at a time per worker, and yields each batch's results
as it arrives.  Because it hands out the batches itself (one pipe per
worker), it knows what every worker is doing:

* a worker that dies (killed, out of memory) is reported with the
  replications it was running (``notify``), and those run again once in a
  fresh process; the numbers are the same (every replication's streams are
  addressed by the seed and its number).  If they kill their worker again,
  :class:`WorkerLost` stops the run;
* when the run ends, fails or is interrupted (Ctrl-C), every worker is
  stopped before the error goes on: no process is left behind.  Workers
  ignore Ctrl-C (a terminal sends it to them too) and leave it to this
  process; on Linux a worker also dies with this process if it is killed
  (the worker's side is :mod:`simsales.montecarlo.worker`);
* Ctrl-C is noticed within :data:`~simsales.montecarlo.interrupt.WAKE_SECONDS`
  while this process waits on its workers, whichever thread took the
  signal (:mod:`simsales.montecarlo.interrupt`), and the workers are
  stopped at once, mid-replication: SIGTERM, then SIGKILL after
  :data:`STOP_SECONDS`.  A run that ends early starts no process; the
  next run starts the workers it lacks.

Where the platform forks (Linux), workers start as copies of this process
and share its compiled engine: warm this process up first
(:func:`simsales.montecarlo.warmup.warm_up`), as :meth:`PoolExecutor.run`
does, and numba compiles once, not once per worker.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any

from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.interrupt import WAKE_SECONDS, InterruptWatch, blocked, held_back
from simsales.montecarlo.replication import RepResult
from simsales.montecarlo.worker import RemoteTraceback, serve

__all__ = ["RETRIES", "PoolExecutor", "WorkerLost", "death_cause", "replications_text"]

RETRIES = 1
"""Re-runs of a batch whose worker died, each in a fresh process, before the run stops."""
STOP_SECONDS = 2.0
"""How long stopped workers get to exit (SIGTERM) before they are killed (SIGKILL), seconds, all together."""


class WorkerLost(RuntimeError):
    """A worker process died running a batch, and again when the batch ran in a fresh process.

    Attributes:
        first: the batch's first replication (0-based).
        count: its replications.
        cause: how the worker died (:func:`death_cause`).
    """

    def __init__(self, batch: Batch, cause: str, attempts: int) -> None:
        self.first, self.count, self.cause = batch.first, batch.count, cause
        super().__init__(f"a worker process {cause} while running {replications_text(batch)}, "
                         f"{attempts} times: the run is stopped")


def replications_text(batch: Batch) -> str:
    """The replications of a batch, for a message.

    Args:
        batch: the batch.

    Returns:
        ``"replication 7"`` or ``"replications 5 to 9"`` (0-based, as in
        the per-replication files).
    """
    last = batch.first + batch.count - 1
    return f"replication {batch.first}" if batch.count == 1 else f"replications {batch.first} to {last}"


def death_cause(exitcode: int | None) -> str:
    """How a process ended, from its exit code, for a message.

    Args:
        exitcode: ``Process.exitcode`` (negative: the signal that killed it).

    Returns:
        ``"was killed by SIGKILL (out of memory, or killed by hand)"``,
        ``"exited with status 3"``, ...
    """
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory, or killed by hand)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {exitcode}"


@dataclass
class _Worker:
    """One worker process, its end of the pipe and the batch it runs (None: idle)."""

    process: Any  # multiprocessing's Process of the chosen start method
    conn: Connection
    batch: int | None = None


@dataclass
class _Run:
    """The state of one run: batches to hand out and how often each one's worker died."""

    batches: Sequence[Batch]
    todo: deque[int]
    deaths: dict[int, int] = field(default_factory=dict)


class PoolExecutor:
    """Runs batches on worker processes of this machine; survives a worker's death once per batch.

    Used as a context manager it starts its workers on entering (call
    :func:`~simsales.montecarlo.warmup.warm_up` before, so that they share
    the compiled engine) and stops them on leaving; otherwise each
    :meth:`run` warms up, starts and stops its own.

    Args:
        workers: the number of processes (at least 1).
        task: what a worker does with a batch (None:
            :func:`~simsales.montecarlo.run_batch`; a test may pass one that dies).
        notify: called with a message when a worker dies and its batch runs again.

    Raises:
        ValueError: ``workers`` is less than 1.
    """

    def __init__(self, workers: int, task: Callable[[Batch], list[RepResult]] | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.task = task
        self.notify = notify
        self._pool: list[_Worker] = []
        self._started = False
        self._batches: Sequence[Batch] = ()

    def __repr__(self) -> str:
        return f"PoolExecutor({self.workers} workers, {'started' if self._started else 'not started'})"

    def __enter__(self) -> PoolExecutor:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start the worker processes; nothing if started already."""
        if not self._started:
            self._started = True
            self._top_up()

    def close(self) -> None:
        """Stop every worker process and wait for it; safe to repeat, shielded from Ctrl-C."""
        with held_back():
            pool, self._pool, self._started = self._pool, [], False
            _stop(pool)

    def busy(self) -> dict[int, tuple[int, int]]:
        """What each worker runs now.

        Returns:
            Process id -> (first replication, count) of its batch, for the busy workers.
        """
        return {w.process.pid: (self._batches[w.batch].first, self._batches[w.batch].count)
                for w in self._pool if w.batch is not None}

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        """Run every batch on the workers.

        Args:
            batches: the run's batches, in order.

        Yields:
            ``(index of the batch, its replications' results)``, as each finishes.

        Raises:
            WorkerLost: a batch's worker died, and again in a fresh process.
            Exception: what a batch raised in its worker (its traceback attached).
        """
        if not batches:
            return
        owned = not self._started
        if owned:
            from simsales.montecarlo.warmup import warm_up  # workers fork from a warm process

            for engine in dict.fromkeys(b.engine for b in batches):
                warm_up(engine, [b.scenario.routing.policy for b in batches if b.engine == engine])
            self.start()
        else:
            self._top_up()  # workers stopped when the last run ended early
        state = _Run(batches, deque(range(len(batches))))
        self._batches = batches
        try:
            with InterruptWatch() as watch:
                yield from self._loop(state, watch)
        finally:
            if owned:
                self.close()
            else:  # a worker stopped mid-batch would answer the next run with this one's results
                self._stop_busy()

    def _loop(self, state: _Run, watch: InterruptWatch) -> Iterator[tuple[int, list[RepResult]]]:
        """Hand out batches, collect results, replace dead workers, until every batch is done."""
        for worker in self._pool:
            self._hand_out(worker, state)
        while any(w.batch is not None for w in self._pool):
            busy = [w for w in self._pool if w.batch is not None]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy] + watch.fds, WAKE_SECONDS)
            watch.check()  # Ctrl-C: raised here, even if Python's handler missed the wait
            for worker in busy:
                reply = _reply(worker)
                if reply is None and worker.process.is_alive():
                    continue
                if reply is None:
                    self._bury(worker, state)
                    continue
                index, ok, payload = reply
                worker.batch = None
                if not ok:
                    error, remote = payload
                    raise error from RemoteTraceback(remote)
                self._hand_out(worker, state)
                yield index, payload

    def _hand_out(self, worker: _Worker, state: _Run) -> None:
        """Give an idle worker the next batch, if any."""
        if state.todo:
            index = state.todo.popleft()
            worker.batch = index
            with contextlib.suppress(OSError):  # it died while idle: the loop finds it, reruns the batch
                worker.conn.send((index, state.batches[index]))

    def _bury(self, worker: _Worker, state: _Run) -> None:
        """A worker died: report it, put its batch back (or stop the run), start a fresh one."""
        worker.process.join(STOP_SECONDS)
        cause = death_cause(worker.process.exitcode)
        index, worker.batch = worker.batch, None
        worker.conn.close()
        self._pool.remove(worker)
        if index is None:  # the loop only buries busy workers
            return
        batch = state.batches[index]
        state.deaths[index] = state.deaths.get(index, 0) + 1
        if state.deaths[index] > RETRIES:
            raise WorkerLost(batch, cause, state.deaths[index])
        if self.notify is not None:
            self.notify(f"a worker process (pid {worker.process.pid}) {cause} while running "
                        f"{replications_text(batch)}; running them again in a fresh process")
        state.todo.appendleft(index)
        self._hand_out(self._spawn(), state)

    def _stop_busy(self) -> None:
        """Stop the workers still running a batch of a run that ended early (the next run starts others).

        Nothing is started here: after Ctrl-C this process only stops.
        """
        with held_back():
            stale = [w for w in self._pool if w.batch is not None]
            self._pool = [w for w in self._pool if w.batch is None]
            _stop(stale)

    def _top_up(self) -> None:
        """Start workers until the pool has :attr:`workers` of them (stops them all on an error or Ctrl-C)."""
        try:
            while len(self._pool) < self.workers:
                self._spawn()
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        """Start one worker process and add it to the pool."""
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                          else None)
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=serve, args=(theirs, self.task or run_batch, os.getpid()), daemon=True,
                              name="simsales-worker")
        with blocked():  # it ignores Ctrl-C before it unblocks it; here the Ctrl-C comes after the append
            process.start()
            worker = _Worker(process, mine)
            self._pool.append(worker)
            theirs.close()
        return worker


def _reply(worker: _Worker) -> tuple[int, bool, Any] | None:
    """The worker's answer if one is waiting, else None (also when its pipe broke)."""
    try:
        if worker.conn.poll():
            return worker.conn.recv()
    except (EOFError, OSError):
        pass
    return None


def _stop(workers: list[_Worker]) -> None:
    """Stop workers now, mid-replication if need be: SIGTERM, then SIGKILL after :data:`STOP_SECONDS`."""
    for worker in workers:
        with contextlib.suppress(OSError):
            worker.conn.close()
        if worker.process.is_alive():
            worker.process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
