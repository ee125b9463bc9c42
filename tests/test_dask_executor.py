"""The Dask executor: the same numbers as in-process, a lost worker changes none, nothing left running."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from simsales import montecarlo
from simsales.montecarlo.dask_executor import DaskExecutor, batch_size_for

from .conftest import Q3, ROOT, SMALL

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # distributed depends on it

SEED = 11


def assert_same_numbers(expected: montecarlo.RunResult, got: montecarlo.RunResult) -> None:
    assert list(got.plans) == list(expected.plans)
    for name, plan in expected.plans.items():
        pd.testing.assert_frame_equal(plan.metrics, got.plans[name].metrics, check_exact=True)
        assert plan.series.keys() == got.plans[name].series.keys()
        for key, series in plan.series.items():
            np.testing.assert_array_equal(series, got.plans[name].series[key])


def worker_pids(executor: DaskExecutor) -> dict[str, int]:
    assert executor.client is not None
    return executor.client.run(os.getpid)


def wait_until_gone(pids, seconds: float = 20.0) -> list[int]:
    """The pids still running after waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    return alive


@pytest.fixture(scope="module")
def dask_executor():
    """One two-worker LocalCluster for the module's tests (starting one takes seconds)."""
    with DaskExecutor(workers=2) as executor:
        yield executor
    assert executor.client is None


@pytest.fixture(scope="module")
def in_process(small):
    return montecarlo.run(small, replications=12, seed=SEED, batch_size=12)


@pytest.mark.parametrize("batch_size", [1, 5])
def test_same_numbers_as_in_process_whatever_the_batch_size(small, in_process, dask_executor, batch_size):
    arrived = []
    result = montecarlo.run(small, replications=12, seed=SEED, batch_size=batch_size,
                            executor=dask_executor, progress=arrived.append)
    assert_same_numbers(in_process, result)
    assert sum(arrived) == 12 and len(arrived) == -(-12 // batch_size)  # streamed batch by batch
    assert set(dask_executor.warm_up_seconds) == set(worker_pids(dask_executor))


def test_connects_to_a_running_scheduler_and_leaves_it_running(small, in_process, dask_executor):
    address = dask_executor.client.scheduler.address
    remote = DaskExecutor(address)
    result = montecarlo.run(small, replications=12, seed=SEED, batch_size=4, executor=remote)
    assert_same_numbers(in_process, result)
    assert remote.client is None  # disconnected after the run
    assert len(worker_pids(dask_executor)) == 2  # and the cluster still runs


def test_an_error_in_a_batch_is_raised_here_and_the_cluster_stays(small, dask_executor):
    with pytest.raises(ValueError, match="unknown engine"):
        montecarlo.run(small, replications=4, seed=SEED, batch_size=2, engine="no-such-engine",
                       executor=dask_executor)
    assert dask_executor.client is not None and len(worker_pids(dask_executor)) == 2


def test_a_lost_worker_changes_no_number(small, dask_executor):
    reps, size = 60, 3  # 20 tasks: some are still to run when the first result arrives
    expected = montecarlo.run(small, replications=reps, seed=SEED, batch_size=reps)
    client = dask_executor.client
    killed: dict[str, object] = {}

    def kill_a_busy_worker(_: int) -> None:
        if killed:
            return
        busy = [addr for addr, keys in client.processing().items() if keys]
        assert busy, "no task in flight to lose"
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        killed.update(address=busy[0], pid=pid, tasks=client.processing()[busy[0]])
        os.kill(pid, signal.SIGKILL)

    result = montecarlo.run(small, replications=reps, seed=SEED, batch_size=size,
                            executor=dask_executor, progress=kill_a_busy_worker)
    assert killed, "no worker was killed"
    assert_same_numbers(expected, result)
    assert wait_until_gone([killed["pid"]]) == []
    client.wait_for_workers(2, timeout=60)  # the nanny starts a new worker process
    assert killed["pid"] not in worker_pids(dask_executor).values()


def test_interrupted_run_stops_its_own_cluster(small):
    executor = DaskExecutor(workers=1)  # no with block: the run starts and stops the cluster
    batches = [montecarlo.Batch(small, tuple(small.plans), first, 2, SEED, "fast") for first in (0, 2, 4)]
    running = executor.run(batches)
    index, results = next(running)
    assert index in (0, 1, 2) and len(results) == 2
    pids = list(worker_pids(executor).values())
    with pytest.raises(KeyboardInterrupt):
        running.throw(KeyboardInterrupt)  # Ctrl-C while the executor waits for the next batch
    assert executor.client is None
    assert wait_until_gone(pids) == []

    # Ctrl-C in the caller's loop (here its progress callback) closes it once the run is dropped.
    def interrupt(_: int) -> None:
        pids.extend(worker_pids(executor).values())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        montecarlo.run(small, replications=4, seed=SEED, batch_size=2, executor=executor,
                       progress=interrupt)
    gc.collect()
    assert executor.client is None
    assert wait_until_gone(pids) == []


CTRL_C_MID_BATCH = """
import os, signal, sys, threading, time
from simsales import montecarlo
from simsales.montecarlo.dask_executor import DaskExecutor
from simsales.scenario.loader import load_scenario

q3 = load_scenario(sys.argv[1])
executor = DaskExecutor(workers=2)
batches = [montecarlo.Batch(q3, tuple(q3.plans), first, 200, 1, "fast") for first in (0, 200)]

def ctrl_c_when_both_workers_run_a_batch():
    while executor.client is None or sum(map(len, executor.client.processing().values())) < 2:
        time.sleep(0.05)
    time.sleep(1.0)
    print(*executor.client.run(os.getpid).values(), flush=True)
    os.killpg(os.getpgrp(), signal.SIGINT)  # as a terminal does: to every process of the command

threading.Thread(target=ctrl_c_when_both_workers_run_a_batch, daemon=True).start()
try:
    list(executor.run(batches))
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def test_ctrl_c_mid_batch_stops_the_local_cluster_at_once_and_quietly():
    """Its workers took the Ctrl-C too (a KeyboardInterrupt traceback each), and the busy ones were killed
    only after Dask's 4 s wait, with warnings and errors about lost heartbeats on stderr."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_MID_BATCH, str(Q3)], capture_output=True, text=True,
                          timeout=300, start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    workers, stopped = done.stdout.splitlines()
    assert stopped == "stopped"
    assert done.stderr == ""
    assert wait_until_gone(int(pid) for pid in workers.split()) == []


CTRL_C_AS_THE_CLUSTER_STARTS = """
import os, signal, threading, time
import psutil
from simsales.montecarlo.dask_executor import DaskExecutor

def ctrl_c_when_a_worker_process_starts():
    me = psutil.Process()
    while not any("spawn_main" in " ".join(c.cmdline()) for c in me.children()):
        time.sleep(0.01)
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

threading.Thread(target=ctrl_c_when_a_worker_process_starts, daemon=True).start()
executor = DaskExecutor(workers=1)
try:
    executor.start()
except KeyboardInterrupt:
    print("stopped", executor.client is None, flush=True)
"""


def test_ctrl_c_while_the_local_cluster_starts_stops_it_once_started_without_a_traceback():
    """Interrupted half-way, the cluster was never closed here: Dask closed it at exit, with a traceback
    ('Exception ignored in atexit callback ... AssertionError: Status.init')."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_AS_THE_CLUSTER_STARTS], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "stopped True\n"
    assert "Traceback" not in done.stderr, done.stderr


SPAWNS = """
import multiprocessing, signal, sys
from simsales.cli import main  # as the `simsales` console script (pip writes it)


def ignores_ctrl_c(answer):
    answer.put(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)


if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")  # as Dask starts its workers
    answer = spawn.Queue()
    child = spawn.Process(target=ignores_ctrl_c, args=(answer,))
    child.start()
    print(answer.get(timeout=120), signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
    child.join()
"""


def test_a_worker_the_command_spawns_ignores_ctrl_c_from_its_first_import(tmp_path):
    """A spawned process (a worker of the local cluster) first runs the command's main script, which
    imports the command line: Ctrl-C is set aside there (the command stops its workers), and only there.
    A Ctrl-C while it started printed a traceback from the worker."""
    script = tmp_path / "simsales_script.py"
    script.write_text(SPAWNS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]  # the child ignores it; the command does not


def test_warm_up_loads_every_compiled_function_a_batch_uses():
    # In a fresh process: what warm_up compiled or loaded is all that a real batch then needs.
    script = textwrap.dedent(f"""
        import sys
        from numba.core.registry import CPUDispatcher
        from simsales.montecarlo import Batch, run_batch
        from simsales.montecarlo.dask_executor import warm_up
        from simsales.scenario.loader import load_scenario

        def compiled():
            return {{(name, attr) for name, module in list(sys.modules.items())
                    if name.startswith("simsales") for attr, obj in vars(module).items()
                    if isinstance(obj, CPUDispatcher) and obj.signatures}}

        scenario = load_scenario({str(SMALL)!r})
        warm_up("fast", [scenario.routing.policy])
        warm = compiled()
        run_batch(Batch(scenario, tuple(scenario.plans), 0, 1, 0, "fast"))
        print(len(warm), sorted(compiled() - warm))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    count, missing = out.stdout.split(maxsplit=1)
    assert int(count) > 0 and missing.strip() == "[]"


def test_batch_size_for_makes_tasks_of_about_a_second():
    assert batch_size_for(0.06) == 17  # q3 with the fast engine: 17 x 0.06 s = 1.02 s
    assert batch_size_for(0.004, target_seconds=2.0) == 500
    assert batch_size_for(3.0) == 1
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seconds_per_replication"):
            batch_size_for(bad)
    with pytest.raises(ValueError, match="target_seconds"):
        batch_size_for(0.1, target_seconds=0)


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(ImportError, match=r"pip install 'simsales\[dask\]'"):
        DaskExecutor()


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="workers"):
        DaskExecutor(workers=0)
