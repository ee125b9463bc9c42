"""Replications, seeds, executors and aggregation (MODEL.md section 8).

Every replication ``r`` has its own random streams, addressed by
``SeedSequence(seed, spawn_key=(r, purpose))``: no stream depends on how
replications are batched or on how many workers run them, so the same seed
gives the same numbers everywhere.  Within a replication every plan sees
the same uncertain parameters, the same leads and the same per-lead and
per-manager draws (common random numbers), so plan differences are not
drowned in noise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from simsales.engines import DEFAULT_ENGINE, get_engine
from simsales.engines.contract import OFFER
from simsales.montecarlo.memory import keep_freed_memory
from simsales.montecarlo.metrics import METRICS, measure
from simsales.scenario.schema import HiringPlan, Scenario
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.deals import draw_clients, settle
from simsales.world.roster import build_roster
from simsales.world.world import World

STREAMS = {"params": 0, "arrivals": 1, "team": 2, "dynamics": 3, "deals": 4}


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The random stream of one replication for one purpose."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[purpose])))


RepResult = dict[str, tuple[dict[str, float], dict[str, np.ndarray]]]


def replicate(scenario: Scenario, plans: Sequence[HiringPlan], replication: int,
              seed: int, engine: str) -> RepResult:
    """One replication of every plan: plan name -> (metrics, series)."""
    simulate = get_engine(engine)
    resolved = resolve(scenario, stream(seed, replication, "params"))
    leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                           stream(seed, replication, "arrivals"))
    # The clients' draws do not depend on the plan: draw them once (as close_deals would).
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, replication, "deals"))
    results: RepResult = {}
    for plan in plans:
        roster = build_roster(resolved, plan, stream(seed, replication, "team"))
        world = World(resolved, leads, roster)
        out = simulate(world, stream(seed, replication, "dynamics"))
        offer_time = np.where(out.end == OFFER, out.offer_time, np.nan)
        deals = settle(resolved.funnel, clients, offer_time)
        results[plan.name] = measure(world, out, deals)
    return results


@dataclass(frozen=True)
class Batch:
    """A seed-addressed unit of work: replications ``first .. first + count - 1``."""

    scenario: Scenario
    plans: tuple[HiringPlan, ...]
    first: int
    count: int
    seed: int
    engine: str


def run_batch(batch: Batch) -> list[RepResult]:
    """Run one batch (in this process or a worker).

    The process keeps freed memory for the next replication (simsales.montecarlo.memory).
    """
    keep_freed_memory()
    return [replicate(batch.scenario, batch.plans, r, batch.seed, batch.engine)
            for r in range(batch.first, batch.first + batch.count)]


class Executor(Protocol):
    """Runs batches and yields ``(index, result)`` as they finish, in any order."""

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]: ...


class InProcessExecutor:
    """Runs batches one after another in this process."""

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        for i, batch in enumerate(batches):
            yield i, run_batch(batch)


class PoolExecutor:
    """Runs batches on a local process pool."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, batches: Sequence[Batch]) -> Iterator[tuple[int, list[RepResult]]]:
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(run_batch, b): i for i, b in enumerate(batches)}
            for future in as_completed(futures):
                yield futures[future], future.result()


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass
class PlanResult:
    """Per-replication results of one plan.

    ``metrics``: one row per replication (index), one column per metric.
    ``series``: name -> array (replications, periods).
    """

    name: str
    metrics: pd.DataFrame
    series: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunResult:
    """A whole run: every plan, every replication, and how it was made."""

    scenario: str
    seed: int
    replications: int
    engine: str
    revenue_plan: float
    plans: dict[str, PlanResult]

    def summary(self) -> dict:
        """``{PLAN: {METRIC: {mean, p10, p50, p90}, ..., "p_plan": x}}``."""
        return {name: summarise(plan.metrics, self.revenue_plan)
                for name, plan in self.plans.items()}


def summarise(metrics: pd.DataFrame, revenue_plan: float) -> dict:
    """Mean and P10/P50/P90 of every metric, and the chance of making the plan."""
    out: dict = {}
    for name in metrics.columns:
        x = metrics[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        if x.size == 0:
            out[name] = {"mean": None, "p10": None, "p50": None, "p90": None}
            continue
        p10, p50, p90 = np.percentile(x, [10, 50, 90])
        out[name] = {"mean": float(x.mean()), "p10": float(p10), "p50": float(p50),
                     "p90": float(p90)}
    revenue = metrics["revenue_net"].to_numpy(dtype=float)
    out["p_plan"] = float(np.mean(revenue >= revenue_plan)) if revenue_plan > 0 else None
    return out


def batches_for(scenario: Scenario, plans: Sequence[HiringPlan], replications: int,
                seed: int, engine: str, batch_size: int) -> list[Batch]:
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
        replications, seed: override the scenario's.
        engine: 'des' or 'fast'.
        workers: processes; 1 runs in this process.  Results do not depend on it.
        batch_size: replications per batch (default: a few batches per worker).
        executor: an explicit executor (overrides ``workers``).
        progress: called with the number of replications just finished.
    """
    chosen = [scenario.plan(p) for p in plans] if plans else list(scenario.plans)
    reps = replications if replications is not None else scenario.replications
    seed = scenario.seed if seed is None else seed
    size = batch_size or max(1, min(25, -(-reps // (4 * max(1, workers)))))
    batches = batches_for(scenario, chosen, reps, seed, engine, size)
    if executor is None:
        executor = InProcessExecutor() if workers <= 1 else PoolExecutor(workers)
    done: dict[int, list[RepResult]] = {}
    for index, results in executor.run(batches):
        done[index] = results
        if progress is not None:
            progress(len(results))
    ordered = [rep for i in range(len(batches)) for rep in done[i]]
    result_plans = {}
    for plan in chosen:
        rows = [rep[plan.name][0] for rep in ordered]
        frame = pd.DataFrame(rows, columns=list(METRICS))
        frame.index.name = "replication"
        names = ordered[0][plan.name][1].keys() if ordered else ()
        series = {k: np.stack([rep[plan.name][1][k] for rep in ordered]) for k in names}
        result_plans[plan.name] = PlanResult(plan.name, frame, series)
    return RunResult(scenario.name, seed, reps, engine, scenario.revenue_plan, result_plans)
