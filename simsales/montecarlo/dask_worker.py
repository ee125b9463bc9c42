"""A worker of the local Dask cluster that :class:`~simsales.montecarlo.dask_executor.DaskExecutor` starts.

Loaded in each worker process as a Dask preload, as the worker is made:
the worker ignores Ctrl-C from then on.  A terminal sends Ctrl-C to every
process of the command, the cluster's workers too; the command stops them
itself (:meth:`~simsales.montecarlo.dask_executor.DaskExecutor.abort`).  A
worker that took the Ctrl-C printed a ``KeyboardInterrupt`` traceback and
Dask's errors about a lost scheduler.  (A Ctrl-C in the second or two a
worker process takes to load Dask, before this, still reaches it.)
"""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["dask_setup", "ignore_ctrl_c"]


def ignore_ctrl_c() -> None:
    """Ignore Ctrl-C in this process (from its main thread; elsewhere nothing)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_setup(worker: Any) -> None:
    """Ignore Ctrl-C (Dask calls this as the worker starts; the import did it already).

    Args:
        worker: the :class:`distributed.Worker`.
    """
    ignore_ctrl_c()


ignore_ctrl_c()  # as the preload is imported, while the worker is made: before it starts
