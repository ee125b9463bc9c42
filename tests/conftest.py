"""Shared test fixtures: small scenarios built from YAML text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from simsales.scenario import Scenario
from simsales.scenario.loader import parse_scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "small.yaml"
Q3 = ROOT / "scenarios" / "q3.yaml"


HEAVY_FIRST = (
    "test_engine_equivalence.py", "test_floor_equivalence.py", "test_booked_work.py",
    "test_calibrate_roundtrip.py", "test_optimize.py", "test_calibrate_calls.py", "test_backtest.py",
    "test_fast_ahead.py", "test_cold_start.py", "test_fuzz_scenarios.py", "test_regression.py",
    "test_failsafe.py", "test_report.py", "test_dask_executor.py", "test_fuzz_inputs.py",
)
"""The files that take a minute or more of CI, longest first: pytest-xdist hands files out in collection
order (``--no-loadscope-reorder``), so these start first and no core ends the run alone on one of them."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """Put :data:`HEAVY_FIRST`'s files first, in its order (the rest keep theirs)."""
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_configure(config: pytest.Config) -> None:
    """Compile the fast engine once, before pytest-xdist starts its workers.

    On a fresh install numba's cache is empty, and every worker would
    compile the engine's loops at its first fast run (minutes of CPU each
    on a shared 2-core machine); compiled here, the workers load them from
    the cache.  A worker (``workerinput``) has nothing to do.
    """
    if hasattr(config, "workerinput"):
        return
    from simsales.engines.fast.warmup import compile_seconds
    from simsales.montecarlo.warmup import warm_up
    from simsales.scenario.policies import POLICY_NAMES

    seconds = compile_seconds(POLICY_NAMES)
    if seconds:
        print(f"compiling the fast engine once for every test process (about {seconds} s)", file=sys.stderr)
    warm_up("fast", POLICY_NAMES)


def queue_scenario(
    *,
    servers: int,
    arrivals_per_min: float,
    mean_call_min: float,
    days: int,
    patience_min: float | None = None,
    seed: int = 1,
    replications: int = 4,
) -> Scenario:
    """The textbook M/M/c (or M/M/c+M with exponential patience) as a scenario.

    Poisson leads around the clock, c managers always on shift with their
    whole shift on calls, one attempt with contact chance 1, exponential
    call length; with ``patience_min`` the contact chance decays as
    exp(-age / patience), i.e. a half-life of patience * ln 2, and failed
    attempts take no time.  Nobody qualifies, so the call is all the work.
    """
    decay = None
    if patience_min is not None:
        import math

        decay = {"half_life": patience_min * math.log(2), "floor": 0.0}
    doc = {
        "name": "M/M/c",
        "start": "2026-01-05",
        "horizon_days": days,
        "replications": replications,
        "seed": seed,
        "calendar": {"default": "00:00-24:00"},
        # Poisson arrivals around the clock (M/M/c): a flat hour profile, not the default B2C day
        "channels": [{"name": "poisson", "leads_per_day": arrivals_per_min * 1440, "hour_profile": "flat"}],
        "routing": {"policy": "shared_queue", "onboarding_days": 0},
        "touch_chain": {
            "offsets": [0],
            "p_contact": [1.0],
            "decay": decay,
            "dial_minutes": 0,
            "call_minutes": {"exponential": mean_call_min},
            "priority": "due_first",
            "lead_ttl": "1000d",
        },
        "funnel": {
            "qualify": 0.0,
            "offer": {"p": 0.5},
            "invoice_paid": {"p": 0.85},
            "link_filled": {"p": 0.8},
            "bank_approved": {"p": 0.85},
            "price": {"check": 50000},
        },
        "team": {
            "team_leads": [{"name": "tl"}],
            "managers": [{"team_lead": "tl", "count": servers, "tenure_days": 1000}],
            "shifts": [{"name": "always", "pattern": "7/0", "start": "00:00", "hours": 24}],
            "talk_share": 1.0,
        },
        "plans": [{"name": "hold"}],
    }
    if decay is None:
        del doc["touch_chain"]["decay"]
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<queue>")


@pytest.fixture(scope="session")
def small() -> Scenario:
    from simsales.scenario.loader import load_scenario

    return load_scenario(SMALL)
