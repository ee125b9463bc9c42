"""A batch: a seed-addressed unit of work, the replications one executor task runs.

A batch names its replications by number (``first .. first + count - 1``),
so its results depend on the seed and those numbers alone, not on which
process runs it or when (MODEL.md section 8).
"""

from __future__ import annotations

from dataclasses import dataclass

from simsales.montecarlo.memory import keep_freed_memory
from simsales.montecarlo.replication import RepResult, replicate
from simsales.scenario import HiringPlan, Scenario

__all__ = ["Batch", "run_batch"]


@dataclass(frozen=True)
class Batch:
    """A seed-addressed unit of work: replications ``first .. first + count - 1``.

    Attributes:
        scenario: the validated scenario.
        plans: the hiring plans to run, in order.
        first: the first replication's number (0-based).
        count: how many replications.
        seed: the run's seed.
        engine: ``"fast"`` or ``"des"``.
    """

    scenario: Scenario
    plans: tuple[HiringPlan, ...]
    first: int
    count: int
    seed: int
    engine: str


def run_batch(batch: Batch) -> list[RepResult]:
    """Run one batch (in this process or a worker).

    The process keeps freed memory for the next replication
    (:mod:`simsales.montecarlo.memory`).

    Args:
        batch: the replications to run.

    Returns:
        Each replication's results, in order.
    """
    keep_freed_memory()
    return [replicate(batch.scenario, batch.plans, r, batch.seed, batch.engine)
            for r in range(batch.first, batch.first + batch.count)]
