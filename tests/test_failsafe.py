"""Runs that fail safe: Ctrl-C, kill -9, a dying worker, an unwritable or full disk, a run too big to fit;
messages that print user text literally; the Dask executor on the command line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.cli import app, interrupted_line
from simsales.montecarlo import estimate
from simsales.montecarlo.pool import PoolExecutor, WorkerLost
from simsales.report import files
from simsales.scenario.loader import load_scenario
from simsales.world.warmup import auto_warmup_days

from .conftest import Q3, ROOT, SMALL

psutil = pytest.importorskip("psutil")
runner = CliRunner()
SEED = 11


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_same_numbers(expected: montecarlo.RunResult, got: montecarlo.RunResult) -> None:
    assert list(got.plans) == list(expected.plans)
    for name, plan in expected.plans.items():
        pd.testing.assert_frame_equal(plan.metrics, got.plans[name].metrics, check_exact=True)
        for key, series in plan.series.items():
            np.testing.assert_array_equal(series, got.plans[name].series[key])


# ---- messages print user text literally ------------------------------------------------------------

def test_an_error_on_line_100_prints_the_line_number_not_an_emoji(tmp_path):
    lines = SMALL.read_text().splitlines()
    at = next(k for k, line in enumerate(lines) if "talk_share: 0.6" in line)
    lines = ["# padding"] * (99 - at) + lines
    lines[99] = lines[99].replace("talk_share: 0.6", "talk_share: 7")
    bad = tmp_path / "b2c_units.yaml"
    bad.write_text("\n".join(lines) + "\n")
    for command in (["validate", bad], ["run", bad, "-n", "1"]):
        result = invoke(*command)
        assert result.exit_code == 2
        assert f"{bad}:100: team.talk_share" in result.output
        assert "\N{HUNDRED POINTS SYMBOL}" not in result.output


def test_square_brackets_in_user_text_are_printed_not_read_as_markup(tmp_path):
    text = SMALL.read_text().replace("- name: grow", "- name: \"grow [bold]fast[/bold]\"")
    text = text.replace('name: "Small test team"', 'name: "Team [red]North"')
    scenario = tmp_path / "brackets [x].yaml"
    scenario.write_text(text)
    result = invoke("validate", scenario)
    assert result.exit_code == 0, result.output
    assert "grow [bold]fast[/bold]" in result.output and "'Team [red]North'" in result.output
    assert str(scenario) in result.output
    result = invoke("run", scenario, "--plan", "[bold]nope", "-n", "1")
    assert result.exit_code == 2
    assert "no plan named '[bold]nope'" in result.output and "grow [bold]fast[/bold]" in result.output
    result = invoke("baseline", scenario, "-n", "2", "--workers", "1", "-o", tmp_path / "[b].json")
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / '[b].json'}: 'Team [red]North'" in result.output


# ---- executors on the command line ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["baseline", "run"])
def test_dask_executor_gives_the_same_numbers_as_the_local_pool(tmp_path, command):
    def numbers(*extra):
        if command == "run":
            result = invoke("run", SMALL, "-n", "6", "--format", "json", "--workers", "2", *extra)
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)
        path = tmp_path / f"{len(extra)}.json"
        result = invoke("baseline", SMALL, "-n", "6", "--workers", "2", "-o", path, *extra)
        assert result.exit_code == 0, result.output
        return json.loads(path.read_text())["plans"]

    pytest.importorskip("distributed")
    local = numbers()
    assert local == numbers("--executor", "dask")
    assert local == numbers("--executor", "local", "--workers", "1")


def test_a_scheduler_needs_dask_and_an_unreachable_one_is_a_clear_error(tmp_path, monkeypatch):
    out = tmp_path / "b.json"
    result = invoke("baseline", SMALL, "-n", "2", "-o", out, "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2 and "is for --executor dask" in result.output
    pytest.importorskip("distributed")
    monkeypatch.setattr("simsales.montecarlo.dask_executor.CONNECT_SECONDS", 1.0)
    result = invoke("baseline", SMALL, "-n", "2", "-o", out, "--executor", "dask",
                    "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler" in result.output and "dask scheduler" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_without_dask_installed_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = invoke("baseline", SMALL, "-n", "2", "-o", tmp_path / "b.json", "--executor", "dask")
    assert result.exit_code == 2
    assert "pip install 'simsales[dask]'" in result.output and "Traceback" not in result.output


# ---- before the run: the folder, the disk, the memory, the time ------------------------------------

@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if a run starts: the checks must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(montecarlo, "run", refuse)


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs /sys (Linux), where no one can create a file")
def test_an_unwritable_folder_is_an_error_before_the_run(no_run):
    for command in (["run", SMALL, "-n", "2", "--out", "/sys/simsales-out"],
                    ["baseline", SMALL, "-n", "2", "-o", "/sys/simsales/b.json"]):
        result = invoke(*command)
        assert result.exit_code == 2, result.output
        assert "cannot create a file in /sys" in result.output


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_an_error_before_the_run(tmp_path, no_run):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = invoke("run", SMALL, "-n", "2", "--out", locked / "out")
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2 and f"cannot create a file in {locked}" in result.output


def test_a_file_where_the_folder_should_be_is_an_error_before_the_run(tmp_path, no_run):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = invoke("run", SMALL, "-n", "2", "--out", blocker / "out")
    assert result.exit_code == 2 and f"{blocker} exists and is not a folder" in result.output


def test_a_full_disk_is_an_error_before_the_run(tmp_path, monkeypatch, no_run):
    class Usage:
        free = 1 << 20  # 1 MB free

    monkeypatch.setattr(files.shutil, "disk_usage", lambda path: Usage)
    result = invoke("baseline", SMALL, "-n", "2", "-o", tmp_path / "b.json")
    assert result.exit_code == 2
    assert "only 1 MB free" in result.output and "needs about" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_cannot_fit_in_memory_is_refused_saying_what_to_reduce(tmp_path, monkeypatch, no_run):
    monkeypatch.setattr("simsales.cli.execution.available_memory", lambda: 100 << 20)
    result = invoke("run", SMALL, "-n", "20", "--workers", "2")
    assert result.exit_code == 2
    assert "this run needs about" in result.output and "100 MB available" in result.output
    assert "fewer --workers" in result.output and "Traceback" not in result.output


def small_per_day(first: int, end: int) -> np.ndarray:
    """small.yaml's mean leads on days ``first`` to ``end - 1`` (day 0 is ``start``).

    20 leads a day (social), and ads at triangular(50, 60, 70) (mean 60) growing 5% an average month
    (365.25 / 12 days); flat weekday profiles.
    """
    days = np.arange(first, end)
    return 20 + 60 * 1.05 ** (days / (365.25 / 12))


def small_leads() -> float:
    """small.yaml's mean leads a replication: its 21 days and the days of its warm-up (auto), all played."""
    return float(small_per_day(-auto_warmup_days(load_scenario(SMALL)), 21).sum())


def test_a_long_run_says_how_long_it_will_take(monkeypatch):
    monkeypatch.setattr("simsales.cli.execution._compile_seconds", lambda engine, policies: 0)
    quick = invoke("run", SMALL, "-n", "2", "--workers", "1", "--format", "json")
    assert quick.exit_code == 0 and "this run will take" not in quick.stderr
    monkeypatch.setattr("simsales.montecarlo.estimate.FAST_SECONDS_PER_LEAD", 0.01)  # a slow machine
    result = invoke("run", SMALL, "-n", "2", "--workers", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    # 2 replications x 2 plans x 3,514 leads (small_leads) x 0.01 s = 141 s, and 2 s to start: 143 s,
    # written in minutes from 90 s, in one process
    leads = small_leads()
    assert (f"note: this run will take about {(4 * 0.01 * leads + 2) / 60:.0f} min (2 plans x 2 replications "
            f"on 1 worker process; estimated from {leads:,.0f} leads per replication)") in result.stderr


def test_the_time_said_counts_the_market_gap_run(monkeypatch, tmp_path):
    # With qualify below its market value the table ends with the market gaps, which run the plans
    # once more (qualify at market): the time said before the run counts that second run.
    import yaml

    doc = yaml.safe_load(SMALL.read_text())
    doc["benchmarks"] = {"qualify": 0.99}
    gapped = tmp_path / "gapped.yaml"
    gapped.write_text(yaml.safe_dump(doc, sort_keys=False))
    monkeypatch.setattr("simsales.cli.execution._compile_seconds", lambda engine, policies: 0)
    monkeypatch.setattr("simsales.montecarlo.estimate.FAST_SECONDS_PER_LEAD", 0.01)  # a slow machine
    table = invoke("run", str(gapped), "-n", "2", "--workers", "1")
    assert table.exit_code == 0, table.output
    assert "qualify: simulated" in table.stdout  # the gap was simulated
    # 141 s a run (as above), twice, and 2 s to start: 283 s, about 5 min
    leads = small_leads()
    assert (f"note: this run will take about {(2 * 4 * 0.01 * leads + 2) / 60:.0f} min (2 plans x 2 "
            "replications on 1 worker process, then 1 more run of 2 replications for the market-gap table; "
            f"estimated from {leads:,.0f} leads per replication)") in table.stderr
    assert table.stderr.count("this run will take") == 1  # the second run's time was said with the first
    # A run of more replications than the variant's cap: the variant's share of the time is its own.
    monkeypatch.setattr("simsales.analysis.market_gaps.GAP_REPLICATIONS", 1)
    capped = invoke("run", str(gapped), "-n", "2", "--workers", "1")
    assert capped.exit_code == 0, capped.output
    assert (f"note: this run will take about {(6 * 0.01 * leads + 2) / 60:.0f} min (2 plans x 2 "
            "replications on 1 worker process, then 1 more run of 1 replication for the market-gap table; "
            ) in capped.stderr
    assert "paired over the first 1 of the 2 replications" in " ".join(capped.stdout.split())
    as_json = invoke("run", str(gapped), "-n", "2", "--workers", "1", "--format", "json")  # no gap table
    assert as_json.exit_code == 0
    assert f"note: this run will take about {(4 * 0.01 * leads + 2) / 60:.0f} min (2 plans x 2 " \
        "replications on 1 worker process; estimated" in as_json.stderr


def test_the_time_a_report_says_counts_its_floor_levers(monkeypatch, tmp_path):
    """The report runs the floor's levers after its run (5 runs of the baseline plan): its note left them
    out (big.yaml: "about 74 s", and 86 s in all, 23 s of them the levers)."""
    import re

    monkeypatch.setattr("simsales.cli.execution._compile_seconds", lambda engine, policies: 0)
    monkeypatch.setattr("simsales.montecarlo.estimate.FAST_SECONDS_PER_LEAD", 0.01)  # a slow machine
    result = invoke("report", SMALL, "-n", "2", "--workers", "1", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    # 143 s for the run (as above), then 5 runs x 2 replications of one plan: 10 x 35.1 s; 494 s in all
    leads = small_leads()
    assert re.search(rf"note: this run will take about {(14 * 0.01 * leads + 2) / 60:.0f} min \(2 plans x 2 "
                     r"replications on 1 worker process, then 5 runs of plan hold x 2 replications for the "
                     r"floor's levers; estimated", said), said
    assert said.count("will take") == 1, said  # the levers' own note is not said again
    quiet = invoke("report", SMALL, "-n", "2", "--workers", "1", "--out", tmp_path / "q",
                   "--no-floor-levers")
    assert f"about {(4 * 0.01 * leads + 2) / 60:.0f} min (2 plans x 2 replications on 1 worker process; " \
        "estimated" in " ".join(quiet.stderr.split())


def test_expected_leads_are_the_channels_mean_volumes_over_the_horizon(small):
    # The warm-up's days are played, so estimated (small_leads), but not counted in the `leads` metric.
    warmup = auto_warmup_days(small)
    assert estimate.expected_leads(small) == pytest.approx(small_leads(), rel=1e-12)
    leads = montecarlo.run(small, replications=20, seed=SEED, workers=1).plans["hold"].metrics["leads"]
    assert abs(leads.mean() - small_per_day(0, 21).sum()) < 4 * leads.std() / np.sqrt(len(leads))
    assert small_leads() == pytest.approx(small_per_day(-warmup, 21).sum(), rel=1e-12) and warmup > 0


def test_the_memory_estimate_of_a_replication_covers_what_it_allocates():
    import tracemalloc

    q3 = load_scenario(Q3)
    guess = estimate.estimate_run(q3, q3.plans, 1, "fast", 1)
    montecarlo.replicate(q3, q3.plans, 0, q3.seed, "fast")  # compiled and imported before measuring
    tracemalloc.start()
    try:
        montecarlo.replicate(q3, q3.plans, 1, q3.seed, "fast")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= guess.worker_bytes <= 4 * peak, (peak, guess.worker_bytes)


# ---- a worker that dies ---------------------------------------------------------------------------

def die_in_replication(replication: int, marker: Path | None):
    """A batch task that kills its worker when it reaches ``replication`` (once, if ``marker``)."""
    def task(batch):
        if batch.first <= replication < batch.first + batch.count and not (marker and marker.exists()):
            if marker:
                marker.write_text("died once")
            os._exit(9)
        return montecarlo.run_batch(batch)

    return task


def test_a_worker_that_dies_once_is_reported_and_its_batch_rerun_with_the_same_numbers(small, tmp_path):
    expected = montecarlo.run(small, replications=8, seed=SEED, batch_size=8)
    said = []
    pool = PoolExecutor(2, task=die_in_replication(5, tmp_path / "marker"), notify=said.append)
    result = montecarlo.run(small, replications=8, seed=SEED, batch_size=2, executor=pool)
    assert_same_numbers(expected, result)
    assert len(said) == 1
    assert "exited with status 9 while running replications 4 to 5" in said[0]
    assert "running them again in a fresh process" in said[0]


def test_a_worker_that_dies_twice_stops_the_run_naming_the_replications(small):
    pool = PoolExecutor(2, task=die_in_replication(3, None))
    with pytest.raises(WorkerLost, match="exited with status 9 while running replication 3, 2 times"):
        montecarlo.run(small, replications=6, seed=SEED, batch_size=1, executor=pool)
    assert pool.busy() == {}


def test_a_worker_killed_from_outside_changes_no_number(small):
    expected = montecarlo.run(small, replications=30, seed=SEED, batch_size=30)
    said, killed = [], []
    with PoolExecutor(2, notify=said.append) as pool:
        def kill_a_busy_worker(_: int) -> None:
            if not killed and pool.busy():
                pid, (first, count) = next(iter(pool.busy().items()))
                killed.append((pid, first, count))
                os.kill(pid, signal.SIGKILL)

        result = montecarlo.run(small, replications=30, seed=SEED, batch_size=2, executor=pool,
                                progress=kill_a_busy_worker)
        pids = [w.process.pid for w in pool._pool]
    assert killed, "no worker was busy"
    assert_same_numbers(expected, result)
    pid, _, count = killed[0]
    # The batch it died in is the pool's own record at the kill: the worker may have moved on from the
    # batch seen busy a moment before (a race), so the message names a whole batch of that worker.
    assert len(said) == 1, said
    told = re.fullmatch(rf"a worker process \(pid {pid}\) was killed by SIGKILL \(out of memory, or "
                        r"killed by hand\) while running replications (\d+) to (\d+); running them again "
                        r"in a fresh process", said[0])
    assert told, said
    first, last = int(told[1]), int(told[2])
    assert last - first + 1 == count and first % count == 0 and last < 30
    assert still_running([pid, *pids], seconds=0) == []


def test_the_command_stops_with_exit_2_when_a_worker_dies_twice(monkeypatch):
    monkeypatch.setattr("simsales.montecarlo.pool.run_batch", die_in_replication(1, None))
    result = invoke("run", SMALL, "-n", "4", "--workers", "2")
    assert result.exit_code == 2
    assert "a worker process exited with status 9 while running replication" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output


def first_replication(batch):
    """A pool task: the batch's first replication (no engine: quick)."""
    time.sleep(0.2)
    return [batch.first]


def test_a_run_that_ends_early_stops_its_busy_workers_and_the_next_run_starts_new_ones(small):
    batches = montecarlo.batches_for(small, small.plans, 6, SEED, "fast", 1)
    with PoolExecutor(2, task=first_replication) as pool:
        running = pool.run(batches)
        next(running)  # then the caller stops reading (an error, Ctrl-C): both workers are busy
        stale = list(pool.busy())
        running.close()
        assert len(stale) == 2 and still_running(stale, seconds=0) == []
        assert len(pool._pool) == 0  # nothing started on the way out
        assert sorted(pool.run(batches)) == [(i, [i]) for i in range(6)]
        assert len(pool._pool) == 2


def test_an_error_in_a_worker_is_raised_here_with_its_traceback(small):
    def broken(batch):
        raise ValueError("no such thing")

    with pytest.raises(ValueError, match="no such thing") as caught:
        montecarlo.run(small, replications=4, seed=SEED, batch_size=2, executor=PoolExecutor(2, task=broken))
    assert "in the worker process" in str(caught.value.__cause__)


# ---- Ctrl-C and kill -9 ---------------------------------------------------------------------------

def start(args: list[str], cwd: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simsales", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def wait_for_workers(process: subprocess.Popen, count: int, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        children = psutil.Process(process.pid).children(recursive=True)
        if len(children) >= count:
            return [c.pid for c in children]
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_running(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    alive = [p for p in pids if is_running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if is_running(p)]
    return alive


def test_ctrl_c_mid_run_exits_130_with_nothing_written_and_no_worker_left(tmp_path):
    out = tmp_path / "out"
    process = start(["run", str(Q3), "-n", "300", "--workers", "2", "--out", str(out)], tmp_path)
    workers = wait_for_workers(process, 2)
    time.sleep(1.0)  # replications under way
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted: nothing written" in stderr and "Traceback" not in stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert still_running(workers) == []


def interruptible_threads(pid: int) -> list[int]:
    """The threads of a process, other than its main one, that do not block SIGINT (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        lines = (task / "status").read_text().splitlines()
        blocked = int(next(line.split()[1] for line in lines if line.startswith("SigBlk:")), 16)
        if int(task.name) != pid and not blocked & 1 << (signal.SIGINT - 1):
            found.append(int(task.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, and kill() of a thread id")
def test_ctrl_c_taken_by_another_thread_of_the_run_stops_it_within_seconds(tmp_path):
    """The kernel gives a process's SIGINT to one of its threads; here not to the main one.

    The main thread waits on the workers' pipes; it used to hear of the
    Ctrl-C only when a worker sent a batch's results (25 replications of
    q3: half a minute, over a minute on a loaded machine).
    """
    out = tmp_path / "out"
    # FORCE_COLOR: stderr as a terminal, whose live progress bar runs a refresh thread (a log's has none)
    process = start(["run", str(Q3), "-n", "300", "--workers", "2", "--out", str(out)], tmp_path,
                    FORCE_COLOR="1")
    workers = wait_for_workers(process, 2)
    deadline = time.monotonic() + 60
    while not (threads := interruptible_threads(process.pid)):  # the progress bar's refresh thread
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    time.sleep(1.0)  # replications under way
    sent = time.monotonic()
    os.kill(threads[0], signal.SIGINT)  # Linux: a signal for the process, taken by that thread
    for pid in workers:  # as a terminal does (they ignore it)
        os.kill(pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    assert process.returncode == 130, stderr
    assert took < 10, f"the run stopped {took:.1f} s after Ctrl-C"
    assert "interrupted: nothing written" in stderr and "Traceback" not in stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert still_running(workers) == []


CTRL_C_IN_ANOTHER_THREAD = """
import signal, sys, threading, time
from simsales import montecarlo
from simsales.montecarlo.pool import PoolExecutor
from simsales.scenario.loader import load_scenario

def asleep(batch):
    time.sleep(600)

def ctrl_c_in_this_thread():
    while len(pool.busy()) < 2:
        time.sleep(0.01)
    time.sleep(0.5)  # the main thread waits on the workers' pipes
    print(*pool.busy(), flush=True)
    print(time.monotonic(), flush=True)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

small = load_scenario(sys.argv[1])
with PoolExecutor(2, task=asleep) as pool:
    threading.Thread(target=ctrl_c_in_this_thread, daemon=True).start()
    try:
        list(pool.run(montecarlo.batches_for(small, small.plans, 2, SEED, "fast", 1)))
    except KeyboardInterrupt:
        print(time.monotonic(), flush=True)
"""


def test_the_pool_hears_a_ctrl_c_that_another_thread_took_at_once_and_stops_its_workers():
    """Python's handler runs in the main thread only; the pool's wait must wake on a signal it did not get."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_IN_ANOTHER_THREAD.replace("SEED", str(SEED)),
                           str(SMALL)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    busy, sent, heard = done.stdout.splitlines()
    assert float(heard) - float(sent) < 3, f"heard {float(heard) - float(sent):.1f} s after"
    assert still_running([int(pid) for pid in busy.split()]) == []
    assert "Traceback" not in done.stderr


CTRL_C_AS_A_WORKER_STARTS = """
import os, signal, sys
from simsales import montecarlo
from simsales.montecarlo.pool import PoolExecutor
from simsales.scenario.loader import load_scenario

def first(batch):
    return [batch.first]

os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGINT))
small = load_scenario(sys.argv[1])
with PoolExecutor(2, task=first) as pool:
    print(sorted(dict(pool.run(montecarlo.batches_for(small, small.plans, 4, 1, "fast", 1))).items()))
"""


def test_a_ctrl_c_that_reaches_a_worker_as_it_is_forked_prints_nothing():
    """The signal comes the instant the worker exists, before it has set Ctrl-C aside.

    It used to raise KeyboardInterrupt there, with a traceback on stderr.
    """
    done = subprocess.run([sys.executable, "-c", CTRL_C_AS_A_WORKER_STARTS, str(SMALL)], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(0, [0]), (1, [1]), (2, [2]), (3, [3])]"
    assert done.stderr == ""


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_main(monkeypatch, *args) -> int:
    from simsales.cli import main

    monkeypatch.setattr(sys, "argv", ["simsales", *map(str, args)])
    with pytest.raises(SystemExit) as stopped:
        main()
    return stopped.value.code


def test_ctrl_c_while_writing_the_run_files_leaves_the_earlier_run_s_files_as_they_were(
        tmp_path, monkeypatch, capsys):
    """Every file of --out is renamed into place at the end, together.

    The files used to be renamed one by one: a Ctrl-C after the first CSV
    left this run's replications_hold.csv beside the earlier run's Parquet
    files and summary.json (another seed, another number of replications).
    """
    run = ["run", SMALL, "--workers", "1", "--out", tmp_path, "--format", "json"]
    assert run_main(monkeypatch, *run, "-n", "2", "--seed", "1") == 0
    earlier = contents(tmp_path)
    real = pd.DataFrame.to_parquet
    calls = []

    def interrupted(self, *args, **kwargs):  # the second Parquet file: both CSV and one Parquet written
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    capsys.readouterr()
    assert run_main(monkeypatch, *run, "-n", "3", "--seed", "2") == 130
    assert len(calls) == 2
    assert "interrupted: nothing written" in capsys.readouterr().err
    assert contents(tmp_path) == earlier  # and no temporary file


def test_ctrl_c_while_writing_the_report_leaves_the_earlier_report_as_it_was(tmp_path, monkeypatch, capsys):
    """A chart of this run used to stand beside the earlier report's page and other charts."""
    from matplotlib.figure import Figure

    report = ["report", SMALL, "-n", "2", "--workers", "1", "--out", tmp_path, "--xlsx"]
    assert run_main(monkeypatch, *report, "--seed", "1") == 0
    earlier = contents(tmp_path)
    real = Figure.savefig
    calls = []

    def interrupted(self, *args, **kwargs):  # the third chart file: two written
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", interrupted)
    capsys.readouterr()
    assert run_main(monkeypatch, *report, "--seed", "2") == 130
    assert "interrupted: nothing written" in capsys.readouterr().err
    assert contents(tmp_path) == earlier


def test_ctrl_c_after_the_run_files_keeps_them_and_says_which(tmp_path, monkeypatch, capsys):
    from simsales.report import writer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer, "write_charts", interrupted)  # run --report: the report comes after
    code = run_main(monkeypatch, "run", SMALL, "-n", "2", "--workers", "1", "--out", tmp_path, "--report",
                    "--format", "json")
    assert code == 130
    names = ["replications_hold.csv", "replications_hold.parquet", "replications_grow.csv",
             "replications_grow.parquet", "summary.json"]
    kept = ", ".join(str(tmp_path / n) for n in names)
    assert f"interrupted: kept {kept} written before the interrupt" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no temporary file
    assert len(pd.read_csv(tmp_path / "replications_hold.csv")) == 2


def test_a_ctrl_c_while_the_files_of_an_output_are_renamed_comes_after_the_last_one(tmp_path):
    """Renamed with Ctrl-C held back: the output is whole, and the interrupt still stops the command."""
    real = os.replace
    renamed = []

    def replace_then_ctrl_c(src, dst):
        real(src, dst)
        renamed.append(Path(dst).name)
        if len(renamed) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    before = files.written()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "replace", replace_then_ctrl_c)
        with pytest.raises(KeyboardInterrupt), files.together():
            for name in "abc":
                files.atomic_write_text(tmp_path / name, name)
    assert renamed == ["a", "b", "c"]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a": "a", "b": "b", "c": "c"}
    assert files.written()[len(before):] == [tmp_path / n for n in "abc"]


def test_an_error_inside_together_replaces_no_file_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "a").write_text("old a")
    with pytest.raises(OSError, match="disk full"), files.together():
        files.atomic_write_text(tmp_path / "a", "new a")
        files.atomic_write_text(tmp_path / "b", "new b")
        raise OSError("disk full")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a": "old a"}
    with files.together():  # a block inside another joins it: renamed when the outer one ends
        files.atomic_write_text(tmp_path / "a", "new a")
        with files.together():
            files.atomic_write_text(tmp_path / "b", "new b")
        assert not (tmp_path / "b").exists()
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a": "new a", "b": "new b"}


CTRL_C_WHILE_LOADING = """
import os, runpy, signal, sys

class CtrlC:  # the user presses Ctrl-C while the command line imports its modules (seconds)
    def find_spec(self, name, path=None, target=None):
        if name == "simsales.cli.run":
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["simsales", "validate", sys.argv[1]]
runpy.run_module("simsales", run_name="__main__")
"""


def test_ctrl_c_while_the_command_line_loads_exits_130_without_a_traceback():
    """It printed a KeyboardInterrupt traceback from deep inside pandas or numba, and died of SIGINT."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING, str(SMALL)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 130, done.stderr
    assert done.stderr == "interrupted: nothing written\n"
    assert done.stdout == ""


def test_sigterm_mid_run_stops_it_as_ctrl_c_does_with_exit_143(tmp_path):
    """SIGTERM (kill, timeout, a service manager) used to end the command at once: status -15, no line."""
    out = tmp_path / "out"
    process = start(["run", str(Q3), "-n", "300", "--workers", "2", "--out", str(out)], tmp_path)
    workers = wait_for_workers(process, 2)
    time.sleep(1.0)  # replications under way
    os.killpg(process.pid, signal.SIGTERM)  # as `timeout` and service managers do: the whole group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "terminated (SIGTERM): nothing written"
    assert "Traceback" not in stderr and "a worker process (pid" not in stderr  # none "died" and was rerun
    assert not out.exists() or list(out.iterdir()) == []
    assert still_running(workers) == []


SIGTERM_WHILE_WRITING = """
import os, signal, sys
import pandas as pd
from simsales.cli import main

real = pd.DataFrame.to_parquet

def to_parquet_then_sigterm(self, *args, **kwargs):
    real(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGTERM)

if sys.argv[2] == "2":
    pd.DataFrame.to_parquet = to_parquet_then_sigterm
sys.argv = ["simsales", "run", sys.argv[1], "-n", "2", "--workers", "1", "--seed", sys.argv[2], "--out",
            sys.argv[3], "--format", "json"]
main()
"""


def test_sigterm_while_writing_removes_the_temporary_files_and_keeps_the_earlier_files(tmp_path):
    """SIGTERM killed the command mid-write: the temporary files stayed until the next run."""
    out = tmp_path / "out"

    def run(seed: int) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", SIGTERM_WHILE_WRITING, str(SMALL), str(seed), str(out)],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    assert run(1).returncode == 0
    earlier = contents(out)
    done = run(2)
    assert done.returncode == 143, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "terminated (SIGTERM): nothing written"
    assert "Traceback" not in done.stderr
    assert contents(out) == earlier  # no temporary file either


def test_interrupted_line_lists_the_first_files_and_counts_the_rest():
    assert interrupted_line([]) == "interrupted: nothing written"
    names = [Path(f"f{i}") for i in range(8)]
    assert interrupted_line(names) == ("interrupted: kept f0, f1, f2, f3, f4, f5 and 2 more written "
                                       "before the interrupt")


@pytest.mark.parametrize("when", ["the first temporary file appears", "the first file is in place"])
def test_kill_9_while_writing_leaves_no_half_written_file(tmp_path, when):
    out = tmp_path / "out"
    process = start(["run", str(Q3), "-n", "12", "--workers", "2", "--out", str(out),
                     "--format", "json"], tmp_path)
    workers = wait_for_workers(process, 2)
    deadline = time.monotonic() + 120
    hidden = when == "the first temporary file appears"
    while not (out.exists() and any(hidden or not e.name.startswith(".") for e in os.scandir(out))):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.001)
    process.kill()  # SIGKILL: no clean-up of any kind
    process.communicate()
    assert still_running(workers) == []  # the workers die with their parent (Linux)
    for path in out.iterdir():
        if path.name.startswith("."):  # what a killed writer leaves: a hidden temporary file
            assert path.name.endswith(".tmp") and f".{process.pid}." in path.name
        elif path.suffix == ".csv":
            assert len(pd.read_csv(path)) == 12
        elif path.suffix == ".parquet":
            assert len(pd.read_parquet(path)) == 12
        else:
            assert path.name == "summary.json" and json.loads(path.read_text())["replications"] == 12


def test_a_temporary_file_of_a_dead_process_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    stale = tmp_path / f".summary.json.{dead.stdout.strip()}.abcd1234.tmp"
    stale.write_text("half")
    alive = tmp_path / f".summary.json.{os.getppid()}.efgh5678.tmp"  # a writer still running
    alive.write_text("half")
    files.atomic_write_text(tmp_path / "summary.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "summary.json"])


def test_an_out_folder_whose_name_the_system_refuses_is_a_clear_error(tmp_path):
    too_long = tmp_path / ("x" * 300)
    outcome = runner.invoke(app, ["run", str(SMALL), "-n", "1", "--out", str(too_long)])
    assert outcome.exit_code == 2, outcome.output
    assert "--out" in outcome.output and "cannot be used as a folder" in outcome.output
    assert not isinstance(outcome.exception, OSError)
