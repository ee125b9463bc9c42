"""The first compile in two processes (simsales.engines.fast.ahead): the same code, compiled once.

The parts must give ``run_split``'s callees the very argument types the loop
gives them, or the loop compiles its own copies (slower, never wrong): the
slow test compiles from an empty cache in a fresh process and checks that
the loop then compiles none of the helper's callees again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from simsales.engines.fast import ahead
from simsales.montecarlo.warmup import _first_run, warm_up_scenario

CHILD = """
import json
from simsales.engines.fast.ahead import compile_ahead
from simsales.engines.fast.dispatch import reassign
from simsales.engines.fast.entry import arrive
from simsales.engines.fast.handover import flush, give_out, hand_over_batch
from simsales.engines.fast.period import advance
from simsales.engines.fast.probation import dismiss, fails
from simsales.engines.fast.split import run_split
from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.warmup import _first_run, warm_up_scenario
from simsales.world.ramp_months import walk_days_months

scenario = warm_up_scenario("weighted")
helped = compile_ahead(_first_run(warm_up_scenario("weighted", compiled_ramp=False)), _first_run(scenario))
run_batch(Batch(scenario, tuple(scenario.plans), 0, 1, 0, "fast"))  # the loop itself, as warm_up runs it
print(json.dumps({"helped": helped, **{
    d.__name__: [len(d.signatures), len(d.stats.cache_hits), len(d.stats.cache_misses)]
    for d in (run_split, hand_over_batch, give_out, advance, arrive, reassign, dismiss, fails,
              walk_days_months, flush)}}))
"""


@pytest.mark.slow
def test_the_loop_loads_the_helper_s_callees_and_compiles_nothing_twice(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}  # empty: everything compiles
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True,
                          timeout=600)
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen.pop("helped") is True
    for name, (signatures, _, _) in seen.items():
        assert signatures == 1, f"{name} compiled for {signatures} argument types"
    # compiled here (this process's part, and the loop itself) ...
    for name in ("run_split", "hand_over_batch", "give_out", "advance"):
        assert seen[name][1:] == [0, 1], name
    # ... and loaded from the helper's cache, not compiled again (the hand-over's flush too: this
    # process types it after the helper has compiled it)
    for name in ("arrive", "reassign", "dismiss", "fails", "walk_days_months", "flush"):
        assert seen[name][1:] == [1, 0], name


def test_the_parts_stop_at_typing_and_are_never_built():
    calls = []
    run = _first_run(warm_up_scenario("weighted"))
    for part in ahead.PARTS:
        ahead.compile_part(run, lambda *args, part=part: calls.append(part.__name__) or part(*args))
        assert part.signatures == []  # typed up to stop_typing, never built, never run
    assert calls == ["hand_over_part", "rest_part"]


def test_a_call_of_stop_typing_fails_typing_and_its_callees_still_compile():
    @ahead.njit
    def callee(x):
        return x + 1

    @ahead.njit
    def part(x):
        if x < 0:  # never
            callee(x)
            ahead.stop_typing()
        return 0

    with pytest.raises(ahead.TypingError, match="stop_typing"):
        part(1)
    assert len(callee.signatures) == 1 and part.signatures == []


def test_with_another_thread_running_this_process_compiles_both_parts():
    calls = []
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        helped = ahead.compile_ahead(lambda loop: calls.append(loop.__name__))
    finally:
        release.set()
        other.join()
    assert helped is False
    assert calls == ["hand_over_part", "rest_part"]


FAILED_HELPER = """
from simsales.engines.fast import ahead
calls = []

def there(loop):
    raise RuntimeError("the helper's compile failed")

print(ahead.compile_ahead(lambda loop: calls.append(loop.__name__), there), calls)
"""


def test_a_failed_helper_leaves_its_part_to_this_process():
    # In a fresh process: one thread, so the helper is forked (a test worker may run others).
    done = subprocess.run([sys.executable, "-c", FAILED_HELPER], capture_output=True, text=True, check=True,
                          timeout=120)
    assert done.stdout.split() == ["False", "['hand_over_part',", "'rest_part']"]


EVENT_LOOP = """
import json
from simsales.engines.fast.chain import done, take
from simsales.engines.fast.dispatch import give, hand_over, reassign
from simsales.engines.fast.entry import arrive
from simsales.engines.fast.probation import dismiss, fails
from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.warmup import warm_up_scenario

scenario = warm_up_scenario("least_loaded")  # the event loop (loop.run_loop)
run_batch(Batch(scenario, tuple(scenario.plans), 0, 1, 0, "fast"))
callees = (arrive, give, take, done, hand_over, reassign, dismiss, fails)
print(json.dumps({d.__name__: len(d.signatures) for d in callees}))
"""


@pytest.mark.slow
def test_the_event_loop_compiles_each_callee_for_one_argument_type(tmp_path):
    # A counter that starts as the literal 0 is a type of its own to numba: each callee it is passed
    # to was compiled twice (for the literal, then for an integer), 1 s more of the first run.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", EVENT_LOOP], env=env, capture_output=True, text=True,
                          check=True, timeout=600)
    assert json.loads(done.stdout.splitlines()[-1]) == dict.fromkeys(
        ("arrive", "give", "take", "done", "hand_over", "reassign", "dismiss", "fails"), 1)
