"""Executors: where a run's batches of replications are computed.

An executor takes the batches of a run and yields each one's results as it
finishes, in any order; :func:`simsales.montecarlo.runner.run` puts them
back in order.  The numbers do not depend on the executor: every
replication's streams are addressed by the seed and its number alone.
Three executors: :class:`InProcessExecutor` (here), the local process pool
:class:`~simsales.montecarlo.pool.PoolExecutor` (which survives a
worker's death) and :class:`~simsales.montecarlo.dask_executor.DaskExecutor`
(a Dask cluster: this machine's cores or many machines).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Protocol

from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.pool import PoolExecutor, WorkerLost
from simsales.montecarlo.replication import RepResult

__all__ = ["MAX_DEFAULT_WORKERS", "Executor", "InProcessExecutor", "PoolExecutor", "WorkerLost",
           "default_workers"]

MAX_DEFAULT_WORKERS = 8
"""The most processes a run uses unless told otherwise."""


class Executor(Protocol):
    """Runs batches and yields ``(index, result)`` as they finish, in any order."""

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        """Run every batch.

        Args:
            batches: the run's batches, in order.

        Yields:
            ``(index of the batch, its replications' results)``, as each finishes.
        """
        ...


class InProcessExecutor:
    """Runs batches one after another in this process."""

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        """Run every batch here, in order.

        Args:
            batches: the run's batches, in order.

        Yields:
            ``(index of the batch, its replications' results)``.
        """
        for i, batch in enumerate(batches):
            yield i, run_batch(batch)


def default_workers() -> int:
    """Processes a run uses by default: one per CPU, at most :data:`MAX_DEFAULT_WORKERS`.

    Returns:
        At least 1.
    """
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))
