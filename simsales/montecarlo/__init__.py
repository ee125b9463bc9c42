"""Monte Carlo: one replication's pipeline, the runner, executors and results (MODEL.md section 8)."""

from simsales.montecarlo.runner import (
    STREAMS,
    Batch,
    Executor,
    InProcessExecutor,
    PlanResult,
    PoolExecutor,
    RunResult,
    default_workers,
    replicate,
    run,
    run_batch,
    stream,
    summarise,
)

__all__ = ["STREAMS", "Batch", "Executor", "InProcessExecutor", "PlanResult", "PoolExecutor", "RunResult",
           "default_workers", "replicate", "run", "run_batch", "stream", "summarise"]
