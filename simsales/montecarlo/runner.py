"""The runner: a scenario's plans over many replications, in batches, on an executor (MODEL.md section 8).

:func:`run` cuts the replications into :class:`~simsales.montecarlo.batch.Batch`
es (:func:`batches_for`), hands them to an executor (this process, a local
pool, or a cluster), puts the results back in replication order and
gathers them per plan into a :class:`~simsales.montecarlo.results.RunResult`.
The numbers do not depend on the batching or the executor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo.batch import Batch
from simsales.montecarlo.executors import Executor, InProcessExecutor, PoolExecutor
from simsales.montecarlo.metrics import METRICS
from simsales.montecarlo.replication import RepResult
from simsales.montecarlo.results import PlanResult, RunResult, with_plan_months
from simsales.scenario import HiringPlan, Scenario

__all__ = ["MAX_BATCH_SIZE", "batches_for", "run"]

MAX_BATCH_SIZE = 25
"""The most replications in one default batch."""


def batches_for(scenario: Scenario, plans: Sequence[HiringPlan], replications: int,
                seed: int, engine: str, batch_size: int) -> list[Batch]:
    """Cut replications ``0 .. replications - 1`` into batches of ``batch_size`` (the last may be short).

    Args:
        scenario: the validated scenario.
        plans: the hiring plans to run, in order.
        replications: replications per plan.
        seed: the run's seed.
        engine: ``"fast"`` or ``"des"``.
        batch_size: replications per batch.

    Returns:
        The batches, in replication order.
    """
    return [Batch(scenario, tuple(plans), first, min(batch_size, replications - first), seed, engine)
            for first in range(0, replications, batch_size)]


def run(
    scenario: Scenario,
    plans: Iterable[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    engine: str = DEFAULT_ENGINE,
    workers: int = 1,
    batch_size: int | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the scenario's plans over many replications.

    Args:
        scenario: the validated scenario.
        plans: plan names to run (default: all, in file order).
        replications: replications per plan (default: the scenario's).
        seed: the run's seed (default: the scenario's).
        engine: 'des' or 'fast'.
        workers: processes; 1 runs in this process.  Results do not depend on it.
        batch_size: replications per batch (default: a few batches per worker,
            at most :data:`MAX_BATCH_SIZE`).
        executor: an explicit executor (overrides ``workers``).
        progress: called with the number of replications just finished.

    Returns:
        Every plan's metrics per replication, with the scenario's revenue plan
        (month by month too) and the horizon's months attached.
    """
    chosen = [scenario.plan(p) for p in plans] if plans else list(scenario.plans)
    reps = replications if replications is not None else scenario.replications
    seed = scenario.seed if seed is None else seed
    size = batch_size or max(1, min(MAX_BATCH_SIZE, -(-reps // (4 * max(1, workers)))))
    batches = batches_for(scenario, chosen, reps, seed, engine, size)
    if executor is None:
        executor = InProcessExecutor() if workers <= 1 else PoolExecutor(workers)
    done: dict[int, list[RepResult]] = {}
    running = executor.run(batches)
    try:
        for index, results in running:
            done[index] = results
            if progress is not None:
                progress(len(results))
    finally:  # an error or Ctrl-C here (in progress, say) stops the executor's workers at once
        close = getattr(running, "close", None)
        if close is not None:
            close()
    ordered = [rep for i in range(len(batches)) for rep in done[i]]
    result_plans = {}
    for plan in chosen:
        rows = [rep[plan.name][0] for rep in ordered]
        frame = pd.DataFrame(rows, columns=list(METRICS))
        frame.index.name = "replication"
        names = ordered[0][plan.name][1].keys() if ordered else ()
        series = {k: np.stack([rep[plan.name][1][k] for rep in ordered]) for k in names}
        result_plans[plan.name] = PlanResult(plan.name, frame, series)
    return with_plan_months(RunResult(scenario.name, seed, reps, engine, scenario.revenue_plan, result_plans),
                            scenario)
