"""Running replications for a command: the estimate first, then the engine, the executor and the progress bar.

:func:`simulate` is what every command that runs replications calls.
Before anything runs it

1. estimates the run's memory and time (:mod:`simsales.montecarlo.estimate`)
   and refuses a run that would not fit in this machine's memory (exit
   status 2, saying what to reduce); a run of more than
   :data:`LONG_RUN_SECONDS` says how long it will take;
2. prepares the fast engine in this process, saying so when numba has to
   compile it (the first run after an install): workers fork from this
   process and share the code, or load it from numba's cache;
3. starts the executor: a local pool (``--executor local``) or a Dask
   cluster (``--executor dask``, on this machine or at ``--scheduler``),
   with a clear error when Dask is missing or the scheduler does not answer.

Then it runs with a progress bar on stderr (on a terminal; a line every half
minute in a log: :mod:`simsales.cli.progress`).  A worker that dies is
reported and its replications run again; if they kill a worker twice the
run stops with exit status 2.  Ctrl-C stops every worker (and a cluster
this command started) before the command ends.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

from simsales import montecarlo
from simsales.analysis.market_gaps import variant_replications
from simsales.cli.console import err, fail, note
from simsales.cli.progress import progress_display, ticking
from simsales.montecarlo import RunResult
from simsales.montecarlo.estimate import RunEstimate, available_memory, estimate_run
from simsales.montecarlo.pool import PoolExecutor, WorkerLost
from simsales.montecarlo.runner import MAX_BATCH_SIZE
from simsales.report.units import counted, whole
from simsales.scenario import Scenario

__all__ = ["EXECUTORS", "LONG_RUN_SECONDS", "local_batch_size", "simulate"]

EXECUTORS = ("local", "dask")
"""Where replications run: this machine's process pool, or a Dask cluster."""
LONG_RUN_SECONDS = 60.0
"""A run estimated to take longer than this says how long on stderr, seconds."""
DASK_TASK_SECONDS = 1.0
"""Wanted wall time of one Dask task (a batch of replications), seconds."""
LOCAL_BATCH_SECONDS = 4.0
"""The longest a local worker's batch should run (estimated, unloaded), seconds: the progress moves at
least this often.  big.yaml's default batch of 25 replications of 6 plans took 37 s of a core (93 s on a
loaded machine) before the bar first moved."""


def simulate(scenario: Scenario, plans: list[str] | None, replications: int | None,
             seed: int | None, engine: str, workers: int | None, quiet: bool = False,
             executor: str = "local", scheduler: str | None = None, variants: int = 0,
             variant_of: str | None = None, levers: tuple[str, int, int] | None = None) -> RunResult:
    """Run the scenario with a progress bar on stderr; refuse a run that cannot fit.

    Args:
        scenario: the scenario.
        plans: the plans to run (None: all).
        replications: override the scenario's.
        seed: override the scenario's.
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores; one for a single
            replication); with Dask and no scheduler, the local cluster's workers.
        quiet: hide the progress bar (it is hidden anyway when stderr is not a terminal).
        executor: ``local`` (this machine's process pool) or ``dask``.
        scheduler: a Dask scheduler's address (only with ``dask``; None: a
            local cluster of ``workers`` processes).
        variants: runs the command makes after this one for the market-gap
            table, each of its plans x :func:`~simsales.analysis.market_gaps.variant_replications`
            replications: counted in the time said.
        variant_of: this run is such a variant (what it changes): its time was
            said with the base run's, and the progress bar names it.
        levers: the levers' runs the command makes after this one, ``(plan, runs,
            replications)`` (the report's floor levers): counted in the time said.

    Returns:
        The run.

    Raises:
        typer.Exit: status 2: the run would not fit in memory, Dask is
            missing or the scheduler cannot be reached, or a worker died
            twice running the same replications (the error is printed).
    """
    check_executor(executor, scheduler)
    chosen = [scenario.plan(p) for p in plans] if plans else list(scenario.plans)
    reps = replications or scenario.replications
    workers = workers or montecarlo.default_workers()
    if executor == "local" and reps == 1:
        workers = 1
    estimate = estimate_run(scenario, chosen, reps, engine, workers, spawned_workers=executor == "dask",
                            remote=scheduler is not None)
    _check_memory(estimate)
    policies = [scenario.routing.policy]
    compiling = _compile_seconds(engine, policies) if scheduler is None else 0
    variant_reps = variant_replications(reps)
    extra = compiling + variants * estimate.seconds * variant_reps / reps
    again = (f", then {counted(variants, 'more run')} of {counted(variant_reps, 'replication')} for the "
             "market-gap table" if variants else "")
    if levers is not None:
        plan, runs, lever_reps = levers
        extra += estimate_run(scenario, [scenario.plan(plan)], runs * lever_reps, engine, workers,
                              spawned_workers=executor == "dask", remote=scheduler is not None).seconds
        again += f", then {counted(runs, 'run')} of plan {plan} x {counted(lever_reps, 'replication')} for " \
                 "the floor's levers"
    if variant_of is None and estimate.seconds + extra > LONG_RUN_SECONDS:
        where = (f"the Dask cluster at {scheduler}" if scheduler else
                 counted(workers, "worker process", "worker processes"))
        note(f"this run will take {estimate.duration_text(extra)} ({counted(len(chosen), 'plan')} x "
             f"{counted(reps, 'replication')} on {where}{again}; estimated from "
             f"{counted(estimate.leads, 'lead', number=whole)} per replication)")
    if scheduler is None:
        prepare_engine(engine, policies, compiling)
    with started_executor(executor, scheduler, workers, reps) as chosen_executor:
        batch_size = (_dask_batch_size(estimate, reps, workers) if executor == "dask" else
                      local_batch_size(estimate.seconds_per_replication, reps, workers))
        with progress_display("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                              TimeRemainingColumn(), console=err, transient=True, disable=quiet) as bar:
            what = f"{engine}: {counted(len(chosen), 'plan')} x {counted(reps, 'replication')}"
            task = bar.add_task(f"{what}, {variant_of}" if variant_of else what, total=reps)
            try:
                return montecarlo.run(scenario, plans, replications, seed, engine=engine,
                                      workers=workers, batch_size=batch_size, executor=chosen_executor,
                                      progress=lambda k: bar.advance(task, k))
            except WorkerLost as exc:
                raise fail(f"{exc}. If the machine ran out of memory, run fewer --workers, or fewer "
                           "leads per day or a shorter horizon_days; nothing was written") from None


def check_executor(executor: str, scheduler: str | None) -> None:
    """Refuse an unknown ``--executor``, or a ``--scheduler`` without ``--executor dask``.

    Raises:
        typer.Exit: status 2, with the error printed.
    """
    if executor not in EXECUTORS:
        raise fail(f"--executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise fail(f"--scheduler {scheduler}: a scheduler is for --executor dask; add it, or leave "
                   "out --scheduler to run on this machine")


def prepare_engine(engine: str, policies: list[str], compiling: int | None = None) -> None:
    """Compile (or load) the engine here once, saying so on stderr when it takes a while.

    On a terminal the seconds count after the line, so a compile slower than
    said (four times as slow on a loaded machine) is seen to go on.

    Local workers fork from this process or load the code numba cached, so
    they start at once.

    Args:
        engine: ``fast`` or ``des``.
        policies: the routing policies the run uses.
        compiling: the expected compile time, seconds (None: estimate it).
    """
    compiling = _compile_seconds(engine, policies) if compiling is None else compiling
    from simsales.montecarlo.warmup import warm_up

    if not compiling:
        warm_up(engine, policies)
        return
    with ticking(f"preparing the fast engine (first run only, about {compiling} s)", err):
        warm_up(engine, policies)


def _check_memory(estimate: RunEstimate) -> None:
    """Refuse a run whose estimated peak memory is over what this machine has available."""
    available = available_memory()
    problem = estimate.refusal(available) if available is not None else None
    if problem is not None:
        raise fail(problem)


def _compile_seconds(engine: str, policies: list[str]) -> int:
    """About how long numba will compile the fast engine first (0: its code is ready)."""
    if engine != "fast":
        return 0
    from simsales.engines.fast.warmup import compile_seconds

    return compile_seconds(policies)


def _dask_batch_size(estimate: RunEstimate, replications: int, workers: int) -> int:
    """Replications per Dask task: about a second each, and a few tasks per worker at least."""
    from simsales.montecarlo.dask_executor import batch_size_for

    per_task = batch_size_for(max(estimate.seconds_per_replication, 1e-6), DASK_TASK_SECONDS)
    return max(1, min(per_task, math.ceil(replications / (4 * max(1, workers)))))


def local_batch_size(seconds_per_replication: float, replications: int, workers: int) -> int:
    """Replications per local batch: the runner's default, cut to about :data:`LOCAL_BATCH_SECONDS` of work.

    The progress moves when a batch ends; the numbers do not depend on the batching.

    Args:
        seconds_per_replication: the estimated time of one replication of every plan, seconds.
        replications: replications per plan.
        workers: worker processes.

    Returns:
        The batch size, at least 1.
    """
    default = max(1, min(MAX_BATCH_SIZE, math.ceil(replications / (4 * max(1, workers)))))
    if not seconds_per_replication > 0:
        return default
    return max(1, min(default, math.floor(LOCAL_BATCH_SECONDS / seconds_per_replication)))


@contextlib.contextmanager
def started_executor(executor: str, scheduler: str | None, workers: int, replications: int) -> Iterator[Any]:
    """The executor, started (the pool's workers, or the Dask cluster) and closed on leaving.

    Args:
        executor: ``local`` or ``dask``.
        scheduler: a Dask scheduler's address (None: a local cluster).
        workers: processes (local pool, or the local Dask cluster's).
        replications: the most replications one run has (a pool never has more workers).

    Yields:
        The executor, for ``montecarlo.run(..., executor=...)``.
    """
    if executor == "local":
        if workers <= 1:
            yield montecarlo.InProcessExecutor()
            return
        with PoolExecutor(min(workers, replications),
                          notify=lambda message: note(message, "warning")) as pool:
            yield pool
        return
    try:
        from simsales.montecarlo.dask_executor import DaskExecutor, WorkerSetupError

        dask = DaskExecutor(scheduler, workers=workers)
    except ImportError as exc:
        raise fail(f"--executor dask: {exc}") from None
    try:
        dask.start()
    except (OSError, ValueError) as exc:
        raise fail(f"--scheduler {scheduler}: cannot reach the Dask scheduler: {exc}. Start one with "
                   "`dask scheduler` (and `dask worker ADDRESS` on each machine), or leave out "
                   "--scheduler to run a local cluster") from None
    try:
        yield dask
    except WorkerSetupError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the local cluster's workers stop mid-task, quietly
        dask.abort()
        raise
    finally:
        dask.close()
