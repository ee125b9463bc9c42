"""Before a run: about how much memory and time it will take.

:func:`estimate_run` reads what drives the cost from the scenario: the
expected leads of one replication (every channel's mean volume over the
horizon, with its weekday profile and growth), the manager-days (the team
at the start plus the most hires a plan asks for, times the horizon), the
plans and the replications; and multiplies by per-unit costs measured on a
2-core VM (Python 3.11, numba 0.68; benchmarks in the docstrings of the
constants below).  The result is a rough figure, within about a factor of
two on other machines and under other load (``simsales run
scenarios/q3.yaml``, 200 replications on 2 workers and the market-gap
table's second run, on this 2-core VM, 2026-11-30: said "about 3 min",
took 160 s): enough to
refuse a run that cannot fit in memory before it starts, and to say how
long a long one will take.

Memory, at the peak of a run:

* every process running replications holds one replication at a time: its
  per-lead arrays (draws, outcomes, deals, metrics' intermediates) and its
  per-manager-day tables (roster, shifts);
* the process that gathers the results holds every replication's metrics
  and weekly and monthly series until the run ends.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simsales.scenario import HiringPlan, Scenario
from simsales.scenario.uncertain import mean_of
from simsales.world.arrivals import daily_means
from simsales.world.warmup import warmup_of

__all__ = ["RunEstimate", "available_memory", "estimate_run", "expected_leads", "size_text"]

MAIN_PROCESS_BYTES = 400 << 20
"""The process that runs simsales (Python, numpy, pandas, numba, the engine), bytes (RSS 310-370 MB)."""
FORKED_WORKER_BYTES = 64 << 20
"""What a pool worker forked from it adds besides its replication, bytes (private: 10-30 MB measured)."""
SPAWNED_WORKER_BYTES = 400 << 20
"""What a worker started afresh (a Dask worker, a pool where processes do not fork) takes, bytes."""
BYTES_PER_LEAD = 650
"""Peak memory of one replication per lead, bytes (tracemalloc: 200-350 across q3 scaled 20-250 managers
before the warm start and phase B's per-lead arrays; about 555 on q3 with every rule on, 2026-11-29)."""
BYTES_PER_MANAGER_DAY = 150
"""Peak memory of one replication per manager and day, bytes (about 110 measured at 500-1,000 managers)."""
RESULT_BYTES_PER_PLAN = 2048
"""One plan's results of one replication, held until the run ends, bytes (about 950 measured at 21 days)."""
RESULT_BYTES_PER_PLAN_DAY = 16
"""Plus per day of the horizon (the weekly and monthly series), bytes (about 7 measured)."""

FAST_SECONDS_PER_LEAD = 1.0e-6
"""Fast engine, one plan: whole replication per lead (the warm-up's too), seconds.

Fitted with :data:`FAST_SECONDS_PER_MANAGER_DAY` to the whole pipeline's
time on both shipped scenarios (``benchmarks/bench_estimate.py``,
2026-11-30, 10 replications each in one process: q3, 5 plans, 58,660
leads: 7.8 s; big.yaml, 6 plans, 185,030 leads: 28.2 s): 1.98 us.  With
every rule of the sales floor on, about 5 times the 0.45 us measured
before them.  Then both costs halved, the measured time over the
estimate after the engine ran without reference counts (the same
benchmark, later on 2026-11-30: q3 4.0 s, big.yaml 14.9 s, ratios 0.50
and 0.52; a fit of the two costs to two scenarios gave a negative cost per
manager-day, so the ratio scales both).
"""
FAST_SECONDS_PER_MANAGER_DAY = 2.6e-6
"""Fast engine, one plan: per manager-day (the warm-up's too), seconds (fitted as above: 5.11 us, halved)."""
DES_SECONDS_PER_LEAD = 132e-6
"""Reference engine, one plan: per lead, seconds ...

With :data:`DES_SECONDS_PER_LEAD_MANAGER`: the earlier costs (25 and 0.8 us,
q3 before the rules of the sales floor) times 5.28, the ratio of the
measured time to theirs on q3's first plan (``benchmarks/bench_estimate.py``,
2026-11-30: 17.7 s a replication).
"""
DES_SECONDS_PER_LEAD_MANAGER = 4.2e-6
"""... plus this per lead and manager, seconds (74 us against 51 us from 40 to 20 managers, scaled)."""
SECONDS_PER_PLAN = 0.0025
"""Per plan and replication whatever the size (roster, metrics), seconds."""
START_SECONDS = 2.0
"""Starting up: imports, workers, loading the compiled engine, seconds."""


@dataclass(frozen=True)
class RunEstimate:
    """About what a run will take.

    Attributes:
        leads: expected leads of one replication.
        manager_days: the most managers a plan has (at the start plus its
            hires) times the days of the horizon.
        plans: plans run.
        replications: replications per plan.
        workers: processes running replications at once.
        seconds_per_replication: one replication of every plan in one process, seconds.
        seconds: the run's wall time, seconds (without compiling the engine).
        worker_bytes: peak memory of one process running replications, bytes.
        results_bytes: the results gathered until the run ends, bytes.
        memory_bytes: the whole run's peak memory on this machine, bytes.
    """

    leads: float
    manager_days: float
    plans: int
    replications: int
    workers: int
    seconds_per_replication: float
    seconds: float
    worker_bytes: int
    results_bytes: int
    memory_bytes: int

    def refusal(self, available: int) -> str | None:
        """Why the run cannot fit in ``available`` bytes of memory, and what to reduce; None if it fits.

        Args:
            available: memory the run may use, bytes (:func:`available_memory`).

        Returns:
            The message, or None.
        """
        if self.memory_bytes <= available:
            return None
        replication = (f"{self.workers} process{'es' if self.workers > 1 else ''} x "
                       f"{size_text(self.worker_bytes)} for a replication of {self.leads:,.0f} leads "
                       f"and {self.manager_days:,.0f} manager-days")
        results = (f"{size_text(self.results_bytes)} for the results of {self.replications:,} "
                   f"replications x {self.plans} plans")
        parts = [replication, results]
        fixes = ["fewer --workers (each holds a replication)",
                 "fewer leads per day or a shorter horizon_days", "fewer --replications"]
        if self.results_bytes > self.workers * self.worker_bytes:
            parts.reverse()
            fixes = [fixes[2], "fewer plans (--plan)"]
        return (f"this run needs about {size_text(self.memory_bytes)} of memory ({'; '.join(parts)}), "
                f"and this machine has {size_text(available)} available: run {' or '.join(fixes)}")

    def duration_text(self, extra_seconds: float = 0.0) -> str:
        """The wall time for people: ``"about 40 s"``, ``"about 12 min"``, ``"about 2.5 h"``.

        Args:
            extra_seconds: time to add (compiling the engine), seconds.

        Returns:
            The text.
        """
        s = self.seconds + extra_seconds
        if s < 90:
            return f"about {s:.0f} s"
        if s < 90 * 60:
            return f"about {s / 60:.0f} min"
        return f"about {s / 3600:.1f} h"


def expected_leads(scenario: Scenario) -> float:
    """The mean number of leads of one replication: every channel's mean daily volume over the days played.

    Args:
        scenario: the validated scenario.

    Returns:
        Leads over the warm-up and the horizon (uncertain volumes and growth at their means).
    """
    before = warmup_of(scenario)
    total = 0.0
    for channel in scenario.channels:
        at_mean = channel.model_copy(update={"leads_per_day": mean_of(channel.leads_per_day),
                                             "growth_per_month": mean_of(channel.growth_per_month)})
        total += float(np.sum(daily_means(at_mean, scenario.start, scenario.horizon_days, before)))
    return total


def _most_managers(scenario: Scenario, plans: Sequence[HiringPlan]) -> float:
    """The team at the start plus the most hires one of the plans asks for."""
    start = sum(mean_of(group.count) for group in scenario.team.managers)
    hires = max((sum(mean_of(m.managers) for m in plan.months) for plan in plans), default=0.0)
    return start + hires


def estimate_run(scenario: Scenario, plans: Sequence[HiringPlan], replications: int, engine: str,
                 workers: int, spawned_workers: bool = False, remote: bool = False) -> RunEstimate:
    """About how much memory and time a run will take.

    Args:
        scenario: the validated scenario.
        plans: the plans to run.
        replications: replications per plan.
        engine: ``fast`` or ``des``.
        workers: processes running replications (1: in this process).
        spawned_workers: the workers are started afresh (Dask) rather than forked from this process.
        remote: the workers run on other machines (a Dask scheduler's): only the
            results count against this machine's memory.

    Returns:
        The estimate.
    """
    leads = expected_leads(scenario)
    managers = _most_managers(scenario, plans)
    manager_days = managers * (scenario.horizon_days + warmup_of(scenario))  # the warm-up is played too
    n_plans = max(1, len(plans))
    if engine == "fast":
        per_plan = FAST_SECONDS_PER_LEAD * leads + FAST_SECONDS_PER_MANAGER_DAY * manager_days
    else:
        per_plan = (DES_SECONDS_PER_LEAD + DES_SECONDS_PER_LEAD_MANAGER * managers) * leads
    per_replication = n_plans * (SECONDS_PER_PLAN + per_plan)
    parallel = max(1, min(workers, os.cpu_count() or 1, replications)) if not remote else workers
    seconds = START_SECONDS + replications * per_replication / parallel
    replication_bytes = int(BYTES_PER_LEAD * leads + BYTES_PER_MANAGER_DAY * manager_days)
    results = int(replications * n_plans
                  * (RESULT_BYTES_PER_PLAN + RESULT_BYTES_PER_PLAN_DAY * scenario.horizon_days))
    if workers <= 1 and not remote:
        worker_bytes, here = replication_bytes, replication_bytes
    else:
        worker_bytes = replication_bytes + (SPAWNED_WORKER_BYTES if spawned_workers or remote
                                            else FORKED_WORKER_BYTES)
        here = 0 if remote else workers * worker_bytes
    return RunEstimate(leads=leads, manager_days=manager_days, plans=n_plans, replications=replications,
                       workers=max(1, workers), seconds_per_replication=per_replication, seconds=seconds,
                       worker_bytes=worker_bytes, results_bytes=results,
                       memory_bytes=MAIN_PROCESS_BYTES + here + results)


def available_memory() -> int | None:
    """Memory a new run may use on this machine: what the kernel says is available, within a cgroup's limit.

    Returns:
        Bytes, or None when this system does not say (not Linux).
    """
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    limit = _cgroup_room()
    return available if limit is None else min(available, limit)


def _cgroup_room() -> int | None:
    """The room left under this process's cgroup memory limit (v2, or v1), bytes; None if unlimited."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            text = Path(limit_file).read_text().strip()
            if text == "max" or int(text) >= 1 << 60:
                return None
            return max(0, int(text) - int(Path(usage_file).read_text().strip()))
        except (OSError, ValueError):
            continue
    return None


def size_text(n: float) -> str:
    """Bytes for people: ``"820 MB"``, ``"12.5 GB"``.

    Args:
        n: bytes.

    Returns:
        The text (binary units).
    """
    if n >= 1 << 30:
        return f"{n / (1 << 30):,.1f} GB"
    return f"{math.ceil(n / (1 << 20)):,} MB"
