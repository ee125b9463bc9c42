"""Make a process ready to run replications at full speed (the compiled engine loaded or compiled).

:func:`warm_up` runs one replication of a one-day, two-manager scenario
per routing policy: numba then loads the fast engine's machine code from
its on-disk cache (about 0.3 s), or compiles it where there is none yet
(:mod:`simsales.engines.fast.warmup`: about half a minute per loop on a
fresh install).  The loops' argument types do not depend on the
scenario, so the code loaded here is the code the real batches run.

Who calls it: the local pool in its own process before its workers fork
from it (they share the code: numba compiles once, not once per worker),
and the Dask executor on every worker before the batches.  Where the
per-manager loop is not compiled yet, its callees are compiled first in two
processes at once (:mod:`simsales.engines.fast.ahead`): 12.6 s on two
cores against 16.4 s in one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from simsales.engines.fast.ahead import compile_ahead
from simsales.engines.fast.engine import SPLIT_POLICIES, simulate
from simsales.engines.fast.split import run_split
from simsales.engines.fast.warmup import is_ready
from simsales.montecarlo.batch import Batch, run_batch
from simsales.montecarlo.replication import lead_stream, plan_world, stream
from simsales.scenario import Scenario
from simsales.scenario.uncertain import resolve

__all__ = ["warm_up", "warm_up_scenario"]


def warm_up_scenario(policy: str, compiled_ramp: bool = True) -> Scenario:
    """A one-day, two-manager scenario with the given routing policy: a few milliseconds to run.

    Args:
        policy: a routing policy name.
        compiled_ramp: a ``months`` ramp, the default, whose roster code is compiled
            (``world.ramp_months``); False: a logistic one (numpy), for a world built
            without compiling it.

    Returns:
        The validated scenario.
    """
    ramp = {} if compiled_ramp else {"ramp": {"logistic": {"midpoint_days": 30, "width_days": 10}}}
    return Scenario.model_validate({
        "name": "warm-up",
        "start": "2026-01-05",
        "horizon_days": 1,
        "replications": 1,
        "channels": [{"name": "warm-up", "leads_per_day": 24}],
        "routing": {"policy": policy, "onboarding_days": 0},
        "touch_chain": {"offsets": [0], "p_contact": [1.0], "call_minutes": 1},
        "funnel": {"qualify": 0.5, "offer": {"p": 0.5}, "invoice_paid": {"p": 0.5},
                   "link_filled": {"p": 0.5}, "bank_approved": {"p": 0.5}, "price": {"check": 1000}},
        "team": {"team_leads": [{"name": "lead"}], "managers": [{"team_lead": "lead", "count": 2}],
                 "shifts": [{"name": "always", "pattern": "7/0", "start": "00:00", "hours": 24}], **ramp},
        "plans": [{"name": "warm-up"}],
    })


def warm_up(engine: str, policies: Sequence[str]) -> float:
    """Make this process ready to run replications at full speed.

    Imports simsales (about a second) and, for the compiled ``fast``
    engine, runs one replication of :func:`warm_up_scenario` per routing
    policy.  The ``des`` engine has nothing to compile.

    Args:
        engine: the engine the batches will run ('fast' or 'des').
        policies: the routing policies of the batches' scenarios.

    Returns:
        The time it took, in seconds.
    """
    started = time.perf_counter()
    if engine == "fast":
        for policy in dict.fromkeys(policies):
            scenario = warm_up_scenario(policy)
            if policy in SPLIT_POLICIES and not is_ready(run_split):  # the first run: two cores compile
                compile_ahead(_first_run(warm_up_scenario(policy, compiled_ramp=False)), _first_run(scenario))
            run_batch(Batch(scenario, tuple(scenario.plans), 0, 1, 0, engine))
    return time.perf_counter() - started


def _first_run(scenario: Scenario) -> Callable[[Callable[..., int]], object]:
    """A call of the fast engine on ``scenario``'s first world (seed 0) with the loop it is given."""

    def run(loop: Callable[..., int]) -> object:
        resolved = resolve(scenario, stream(0, 0, "params"))
        leads, warmup = lead_stream(resolved, 0, 0)
        world = plan_world(resolved, leads, scenario.plans[0], 0, 0, warmup)
        return simulate(world, stream(0, 0, "dynamics"), loop=loop)

    return run
