"""The first run after an install: numba compiles the engine once, in the parent, and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from simsales import montecarlo
from simsales.engines.fast import loop as fast_loop
from simsales.engines.fast import split as fast_split
from simsales.engines.fast.engine import SPLIT_POLICIES
from simsales.engines.fast.warmup import COMPILE_SECONDS, compile_seconds, loops_for
from simsales.montecarlo.pool import PoolExecutor

from .conftest import ROOT, SMALL

MESSAGE = "preparing the fast engine (first run only, about"


def fresh_process(code: str, cache_dir, **env) -> subprocess.CompletedProcess:
    """Python code in a new process whose numba cache is ``cache_dir``."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), **env})


def test_each_policy_needs_one_loop():
    queue_policies = [p for p in ("least_loaded", "shared_queue") if p not in SPLIT_POLICIES]
    assert loops_for(SPLIT_POLICIES) == [fast_split.run_split]
    assert loops_for(queue_policies) == [fast_loop.run_loop]
    assert loops_for([*SPLIT_POLICIES, *queue_policies, *SPLIT_POLICIES]) == [fast_loop.run_loop,
                                                                               fast_split.run_split]


def test_an_empty_cache_is_cold_and_says_how_long_without_compiling(tmp_path):
    code = ("from simsales.engines.fast.warmup import compile_seconds; "
            "print(compile_seconds(['round_robin']), compile_seconds(['least_loaded', 'round_robin']))")
    split_only, both = fresh_process(code, tmp_path).stdout.split()
    assert int(split_only) == COMPILE_SECONDS["run_split"]
    assert int(both) == COMPILE_SECONDS["run_split"] + COMPILE_SECONDS["run_loop"]
    assert not any(tmp_path.rglob("*.nbc"))  # asking compiled nothing


def workers_hold_the_compiled_loop(batch):
    """A pool task: does this worker have the loop's machine code before running anything?"""
    return [bool(fast_split.run_split.signatures)]


def test_pool_workers_share_the_engine_compiled_in_the_parent(small):
    assert small.routing.policy in SPLIT_POLICIES
    batches = montecarlo.batches_for(small, small.plans, 4, 1, "fast", 1)
    answers = dict(PoolExecutor(2, task=workers_hold_the_compiled_loop).run(batches))
    assert answers == {0: [True], 1: [True], 2: [True], 3: [True]}  # none of them compiles
    assert compile_seconds([small.routing.policy]) == 0


@pytest.mark.slow
def test_the_first_run_compiles_once_and_says_so_and_the_second_does_not(tmp_path):
    """On the small scenario under ``least_loaded``: the event loop, the quicker of the two to compile."""
    doc = yaml.safe_load(SMALL.read_text())
    doc["routing"] = {**doc.get("routing", {}), "policy": "least_loaded"}
    scenario = tmp_path / "small_least_loaded.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    cache = tmp_path / "cache"
    command = ("import sys; from simsales.cli import main; sys.argv = ['simsales', 'run', "
               f"{str(scenario)!r}, '-n', '6', '--workers', '2', '--engine', 'fast']; main()")
    cold = fresh_process(command, cache, NUMBA_DEBUG_CACHE="1")
    assert MESSAGE in cold.stderr
    saved = [line for line in cold.stdout.splitlines() if "data saved" in line and "run_loop" in line]
    assert len(saved) == 1, saved  # compiled in one process only, not once per worker
    warm = fresh_process(command, cache, NUMBA_DEBUG_CACHE="1")
    assert MESSAGE not in warm.stderr
    assert not [line for line in warm.stdout.splitlines() if "data saved" in line]
    assert "revenue_net" in cold.stdout and "revenue_net" in warm.stdout
