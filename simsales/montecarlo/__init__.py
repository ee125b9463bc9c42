"""Monte Carlo: one replication's pipeline, the runner, executors and results (MODEL.md section 8).

Modules: ``replication`` (one replication of every plan, top to bottom,
and its random streams), ``batch`` (a seed-addressed unit of work),
``executors`` (where batches run), ``runner`` (:func:`run`), ``results``
(per-plan tables and summaries), ``revenue_plan`` (what ``p_plan`` is
measured on), ``metrics`` (what every run reports) and ``memory``
(keeping freed memory between replications).
"""

from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.executors import Executor, InProcessExecutor, PoolExecutor, default_workers
from simsales.montecarlo.metrics import KEY_METRICS, METRICS, measure
from simsales.montecarlo.replication import STREAMS, RepResult, replicate, stream
from simsales.montecarlo.results import PlanResult, RunResult, summarise
from simsales.montecarlo.revenue_plan import PLAN_REVENUE, RevenuePlan, makes_plan
from simsales.montecarlo.runner import batches_for, run

__all__ = ["KEY_METRICS", "METRICS", "PLAN_REVENUE", "STREAMS", "Batch", "Executor", "InProcessExecutor",
           "PlanResult", "PoolExecutor", "RepResult", "RevenuePlan", "RunResult", "batches_for",
           "default_workers", "makes_plan", "measure", "replicate", "run", "run_batch", "stream", "summarise"]
