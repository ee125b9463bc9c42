"""Run replications on a Dask cluster: this machine's cores, or many machines.

:class:`DaskExecutor` is an executor for :func:`simsales.montecarlo.run`:
it sends each :class:`~simsales.montecarlo.Batch` to a Dask worker as one
task and yields each batch's results as soon as they arrive.  The numbers
are the same as in-process, bit for bit, whatever the cluster, the batch
size or the order the batches finish in: every replication's random
streams are addressed by the seed and the replication's number alone.

Dask is optional: ``pip install 'simsales[dask]'`` (it brings ``dask`` and
``distributed``).  Every worker needs simsales installed too, the same
version as the client.

Example::

    from simsales import montecarlo
    from simsales.montecarlo.dask_executor import DaskExecutor, batch_size_for

    with DaskExecutor(workers=2) as dask:  # a LocalCluster, closed on leaving
        result = montecarlo.run(scenario, replications=2000, executor=dask,
                                batch_size=batch_size_for(0.06))

    # or an existing cluster, started with `dask scheduler` and `dask worker ADDRESS`:
    result = montecarlo.run(scenario, executor=DaskExecutor("tcp://10.0.0.5:8786"))

A script that starts a :class:`~distributed.LocalCluster` must do so under
``if __name__ == "__main__":``: the workers are new processes that import
the script's module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import signal
import uuid
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from simsales.montecarlo.interrupt import held_back
from simsales.montecarlo.pool import WorkerLost
from simsales.montecarlo.warmup import warm_up

if TYPE_CHECKING:
    import distributed

    from simsales.montecarlo import Batch, RepResult

__all__ = ["CONNECT_SECONDS", "RETRIES", "DaskExecutor", "WorkerSetupError", "batch_size_for", "warm_up"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'simsales[dask]'"
RETRIES = 2  # re-runs of a batch whose task raised, on top of Dask re-running those of lost workers
CONNECT_SECONDS = 10.0
"""How long to try to reach a scheduler before giving up, seconds."""
WORKER_SETUP = "simsales.montecarlo.dask_worker"
"""The local cluster's workers' preload: they ignore Ctrl-C (:mod:`simsales.montecarlo.dask_worker`)."""


class WorkerSetupError(RuntimeError):
    """A Dask worker could not get ready to run replications (simsales missing there, say)."""


def _distributed() -> Any:
    """Import ``distributed`` (Dask's scheduler), or say how to install it.

    Raises:
        ImportError: dask or distributed is not installed.
    """
    try:
        import dask  # noqa: F401  (distributed needs it; name the extra if either is missing)
        import distributed
    except ImportError as exc:
        raise ImportError(
            f"DaskExecutor needs dask and distributed, which are not installed: {INSTALL_HINT}"
        ) from exc
    return distributed


def batch_size_for(seconds_per_replication: float, target_seconds: float = 1.0) -> int:
    """Replications per batch so that one Dask task runs about ``target_seconds`` or more.

    Every task costs Dask about 1 ms of scheduling, plus the time to send
    the batch (the scenario, a few kilobytes) and to bring its results back
    (a few kilobytes a replication).  Tasks of a second or more keep that
    overhead under about 0.1 % of the run; tasks of a few milliseconds (one
    fast-engine replication of a small scenario) would spend as long in
    Dask as in the simulation.  Batches much longer than a second buy
    nothing more and balance the load worse: aim for at least a few batches
    per worker (``replications / batch_size >= 4 * workers``), and take a
    shorter target when that leaves too few.  The numbers do not depend on
    the batch size.

    Args:
        seconds_per_replication: wall time of one replication of all the
            plans on one worker, in seconds (time a few with the in-process
            executor; e.g. about 0.06 s for ``scenarios/q3.yaml`` with the
            fast engine).
        target_seconds: the wanted wall time of one task, in seconds.

    Returns:
        The batch size, in replications: at least 1.

    Raises:
        ValueError: a time is not positive and finite.

    Example:
        >>> batch_size_for(0.06)
        17
        >>> batch_size_for(2.5)
        1
    """
    for name, seconds in (("seconds_per_replication", seconds_per_replication),
                          ("target_seconds", target_seconds)):
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"{name} must be a positive number of seconds, got {seconds!r}")
    return max(1, math.ceil(target_seconds / seconds_per_replication))


@contextlib.contextmanager
def _dask_silent() -> Iterator[None]:
    """Silence Dask's loggers in this process meanwhile (the local cluster's scheduler and nannies)."""
    dask_logger = logging.getLogger("distributed")
    level = dask_logger.level
    dask_logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        dask_logger.setLevel(level)


async def _warm_up_worker(engine: str, policies: Sequence[str]) -> float:
    """:func:`warm_up` on a worker, in a thread: the worker's event loop keeps answering the scheduler."""
    return await asyncio.get_running_loop().run_in_executor(None, warm_up, engine, policies)


class DaskExecutor:
    """Runs batches as Dask tasks, on a cluster of this machine's processes or of many machines.

    With a ``scheduler`` address it connects to that cluster (and leaves it
    running afterwards).  Without one it starts a
    :class:`~distributed.LocalCluster` of ``workers`` single-threaded
    processes on this machine.  It connects (or starts the cluster) when a
    run starts and disconnects (and stops the cluster) when the run ends,
    also when it fails or is interrupted while waiting for results (where
    a Ctrl-C almost always lands).  Used as a context manager it stays
    connected across runs and closes on leaving the block, whatever
    interrupted it and wherever: the way to be sure.  After Ctrl-C the
    local cluster's workers are killed mid-task (:meth:`abort`), and
    they ignore Ctrl-C themselves (:mod:`simsales.montecarlo.dask_worker`).

    Before the batches, every worker then in the cluster is warmed up
    (:func:`warm_up`), so the first batches do not pay for importing
    simsales and loading the compiled engine, and a worker without
    simsales fails the run at once with a clear message.  Each batch is
    one task; a task whose worker is lost is run again on another worker
    by Dask (a replacement worker warms itself up on its first batch), and
    one that raises is retried up to twice (:data:`RETRIES`) before its
    error is raised here.  Results are the same, bit for bit, as with any
    other executor.  Pass ``batch_size`` to :func:`~simsales.montecarlo.run`
    (:func:`batch_size_for`): its default is meant for local processes.

    Args:
        scheduler: the address of a running Dask scheduler, e.g.
            ``"tcp://10.0.0.5:8786"``; ``None`` starts a local cluster.
        workers: worker processes of the local cluster (one thread each);
            ignored with ``scheduler``.

    Raises:
        ImportError: dask or distributed is not installed (``pip install 'simsales[dask]'``).
        ValueError: ``workers`` is less than 1.

    Attributes:
        client: the :class:`distributed.Client` while connected, else ``None``.
        warm_up_seconds: the last warm-up's time per worker address, in seconds.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        _distributed()
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.scheduler = scheduler
        self.workers = workers
        self.client: distributed.Client | None = None
        self.warm_up_seconds: dict[str, float] = {}
        self._cluster: distributed.LocalCluster | None = None

    def __repr__(self) -> str:
        where = self.scheduler or f"LocalCluster({self.workers} workers)"
        return f"DaskExecutor({where}, {'connected' if self.client else 'not connected'})"

    def __enter__(self) -> DaskExecutor:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt):
            self.abort()
        else:
            self.close()

    def start(self) -> distributed.Client:
        """Connect to the scheduler, or start the local cluster; nothing if connected already.

        Returns:
            The connected client.

        Raises:
            OSError: the scheduler did not answer within :data:`CONNECT_SECONDS`.
            ValueError: the address is malformed (e.g. no port).
        """
        if self.client is not None:
            return self.client
        dist = _distributed()
        try:
            if self.scheduler is None:
                # No dashboard; the scheduler's HTTP endpoint (health, metrics) on a free local port.
                # Ctrl-C waits the seconds it starts: interrupted half-way, Dask closed it at exit
                # with a traceback (AssertionError: Status.init).
                with held_back():
                    self._cluster = dist.LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                      processes=True, dashboard_address=None,
                                                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                                      preload=[WORKER_SETUP])
                    self.client = dist.Client(self._cluster)
            else:
                self.client = dist.Client(self.scheduler, timeout=CONNECT_SECONDS)
        except BaseException:
            self._close_quietly()
            raise
        return self.client

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it. Safe to repeat."""
        client, cluster = self.client, self._cluster
        self.client, self._cluster = None, None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def abort(self) -> None:
        """Stop now, after Ctrl-C: the local cluster's workers are killed mid-task, then :meth:`close`.

        Dask's logs in this process are silenced meanwhile (the errors of
        the tasks and broadcasts cut short are this stop's doing); a
        failure to close is logged, not raised.
        """
        with _dask_silent():
            self._stop_local_workers()
            self._close_quietly()

    def _stop_local_workers(self) -> None:
        """Kill the local cluster's worker processes (none with a scheduler's address): the run is over.

        A worker busy in a batch answers the cluster's close only when the
        batch ends: Dask waited 4 s, then killed it, logging its lost
        heartbeats and broadcasts (SIGTERM: its cancelled tasks).  Killed
        first, they are gone at once and say nothing.
        """
        cluster = self._cluster
        if cluster is None:
            return
        for nanny in list(getattr(cluster, "workers", {}).values()):
            pid = getattr(getattr(nanny, "process", None), "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def _close_quietly(self) -> None:
        """:meth:`close` while another error propagates: a failure to close is logged, not raised."""
        try:
            self.close()
        except Exception:
            logger.warning("closing the Dask client or cluster failed", exc_info=True)

    def warm_up(self, engine: str, policies: Sequence[str]) -> dict[str, float]:
        """Run :func:`warm_up` on every worker of the cluster, all at once.

        Args:
            engine: the engine the batches will run.
            policies: the routing policies of their scenarios.

        Returns:
            The warm-up's time per worker address, in seconds.

        Raises:
            RuntimeError: not connected.
            WorkerSetupError: a worker could not warm up (for one, simsales
                is not installed there).
        """
        if self.client is None:
            raise RuntimeError("DaskExecutor is not connected: call start() or use it in a with block")
        try:
            timings = self.client.run(_warm_up_worker, engine, tuple(policies))
        except Exception as exc:
            raise WorkerSetupError(f"a Dask worker could not load simsales ({exc!r}); every worker "
                                   "needs simsales installed, the same version as here") from exc
        self.warm_up_seconds = dict(timings)
        return self.warm_up_seconds

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        """Run the batches as Dask tasks; yield ``(index, results)`` as each batch finishes.

        Args:
            batches: the batches, indexed by position.

        Yields:
            ``(i, results)``: the position of a batch in ``batches`` and
            its replications' results (:func:`simsales.montecarlo.run_batch`),
            in the order they finish.

        Raises:
            WorkerLost: a batch's worker died each time Dask ran it
                (``distributed.scheduler.allowed-failures`` + 1 times).
        """
        if not batches:
            return
        dist = _distributed()
        from simsales.montecarlo import run_batch

        owned = self.client is None  # started for this run: closed at its end
        client = self.start()
        futures: list[distributed.Future] = []
        try:
            for engine in dict.fromkeys(b.engine for b in batches):
                self.warm_up(engine, [b.scenario.routing.policy for b in batches if b.engine == engine])
            run_id = uuid.uuid4().hex[:12]
            index: dict[str, int] = {}
            for i, batch in enumerate(batches):
                key = f"simsales-batch-{run_id}-{i}"
                futures.append(client.submit(run_batch, batch, pure=False, key=key, retries=RETRIES))
                index[key] = i
            try:
                for future, results in dist.as_completed(futures, with_results=True):
                    future.release()  # the worker may drop the results now
                    yield index[future.key], results
            except dist.KilledWorker as exc:  # the batch's worker died, each time Dask retried it
                where = getattr(exc.last_worker, "address", "a Dask worker")
                raise WorkerLost(batches[index.get(exc.task, 0)], f"({where}) was lost",
                                 exc.allowed_failures + 1) from exc
        except BaseException as exc:  # an error, Ctrl-C, or the caller stopped early (GeneratorExit)
            if owned:
                self.abort()  # the scheduler forgets the client's tasks with it
            elif isinstance(exc, KeyboardInterrupt) and self._cluster is not None:
                pass  # the local cluster's owner stops it now (abort): cancelled tasks would log warnings
            elif self.client is not None and futures:
                with contextlib.suppress(Exception):  # a shared cluster stops them
                    self.client.cancel([f for f in futures if not f.done()])
            raise
        if owned:
            self.close()
