"""One table of routing policies, one rule: both engines accept every policy, and agree.

The table is simsales.scenario.policies.ROUTING_POLICIES; the reference rule
is simsales.engines.routing.choose (the reference engine calls it); the
compiled engine's simsales.engines.fast.routing.route must make the same
choice from its precomputed segments, ties included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import yaml

from simsales.engines import des
from simsales.engines import routing as reference
from simsales.engines.contract import OFFER
from simsales.engines.fast import engine as fast
from simsales.engines.fast import queues as fast_queues
from simsales.engines.fast import routing as fast_routing
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.policies import POLICY_CODES, POLICY_NAMES, ROUTING_POLICIES
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import SMALL

NAMES = [p.name for p in ROUTING_POLICIES]


def world_under(policy: str) -> World:
    doc = yaml.safe_load(SMALL.read_text())
    doc["routing"] = {"policy": policy, "onboarding_days": 2}
    doc["team"]["attrition"] = {"monthly": 0.4, "probation_monthly": 0.4}  # leavers are re-routed
    scenario = resolve(parse_scenario(yaml.safe_dump(doc), f"<{policy}>"), stream(1, 0, "params"))
    leads = generate_leads(scenario.channels, scenario.start, scenario.horizon_days, stream(1, 0, "arrivals"))
    return World(scenario, leads, build_roster(scenario, scenario.plans[0], stream(1, 0, "team")))


def test_the_engines_read_the_one_table():
    assert fast.POLICIES == POLICY_CODES
    assert set(fast.SPLIT_POLICIES) == {p.name for p in ROUTING_POLICIES if not p.reads_queues}
    assert {name: getattr(fast_routing, name.upper()) for name in POLICY_NAMES} == POLICY_CODES
    assert set(POLICY_CODES.values()) == fast_routing.RULES


@pytest.mark.parametrize("policy", NAMES)
def test_every_policy_in_the_table_is_accepted_by_both_engines(policy):
    world = world_under(policy)
    assert world.scenario.routing.policy == policy
    for simulate in (des.simulate, fast.simulate):
        out = simulate(world, stream(1, 0, "dynamics"))
        attempted = out.attempts > 0
        assert attempted.mean() > 0.5 and (out.manager[attempted] >= 0).all()
        assert (out.end == OFFER).any()


def test_a_policy_outside_the_table_is_refused():
    with pytest.raises(ValueError, match="unknown routing policy"):
        reference.choose("by_horoscope", 0.0, Floor.random(np.random.default_rng(0)), -1)


@dataclass
class Floor:
    """A department for the reference rule, from plain arrays (see routing.Department)."""

    shift_start: np.ndarray
    shift_end: np.ndarray
    throughput: np.ndarray
    skill: np.ndarray
    queued: np.ndarray
    u: float = 0.0

    @property
    def n_managers(self) -> int:
        return self.shift_start.shape[0]

    def candidates(self, t: float) -> np.ndarray:
        return reference.candidates(self.shift_start, self.shift_end, t)

    def loads(self, managers: np.ndarray) -> np.ndarray:
        return self.queued[managers]

    def weights(self, managers: np.ndarray, t: float) -> np.ndarray:
        d = min(int(t // 1440.0), self.shift_start.shape[1] - 1)
        return self.throughput[managers, d] * self.skill[managers]

    def uniform(self) -> float:
        return self.u

    @classmethod
    def random(cls, rng: np.random.Generator, managers: int = 7, days: int = 6) -> Floor:
        """Shifts that often start and end together (ties), days off, weights exact in binary."""
        day = np.arange(days) * 1440.0
        start = day + rng.choice([8.0, 9.0, 12.0, 14.0], size=(managers, days)) * 60.0
        hours = rng.choice([0.0, 4.0, 8.0, 8.0, 9.5], size=(managers, days))
        end = np.minimum(start + hours * 60.0, day + 1440.0)
        off = hours == 0.0
        start[off] = end[off] = np.broadcast_to(day, (managers, days))[off]
        throughput = rng.choice([0.25, 0.5, 1.0], size=(managers, days))
        skill = rng.choice([0.0, 0.5, 1.0, 1.5], size=managers)  # a zero weight now and then
        return cls(start, end, throughput, skill, rng.integers(0, 3, managers))


def moments(rng: np.random.Generator, floor: Floor, n: int) -> np.ndarray:
    """Random minutes over the horizon and a little past it, plus every shift boundary."""
    horizon = floor.shift_start.shape[1] * 1440.0
    bounds = np.concatenate([floor.shift_start.ravel(), floor.shift_end.ravel()])
    return np.sort(np.concatenate([rng.uniform(0.0, horizon + 600.0, n), bounds]))


@pytest.mark.parametrize("policy", NAMES)
def test_the_compiled_route_is_the_reference_rule(policy):
    code, seed = POLICY_CODES[policy], np.uint64(12345)
    rng = np.random.default_rng(sum(map(ord, policy)))
    compared = 0
    for _ in range(20):
        floor = Floor.random(rng)
        m = floor.n_managers
        rf, ri = fast.pack_routing(fast.routing_segments(floor, policy == "weighted"))
        counters = np.zeros(5, np.int64)
        counters[fast_queues.SEGMENT] = -1  # routing times only grow: one walk over the segments
        for counter, t in enumerate(moments(rng, floor, 60)):
            floor.queued = rng.integers(0, 3, m)  # few distinct loads: many ties
            rows = fast_queues.ROWS
            hn = np.zeros((rows * (m + 1), 2), np.int64)
            first = rng.integers(0, floor.queued + 1)  # split over the classes of work
            second = rng.integers(0, floor.queued - first + 1)
            hn[0:rows * m:rows, fast_queues.COUNT], hn[1:rows * m:rows, fast_queues.COUNT] = first, second
            hn[2:rows * m:rows, fast_queues.COUNT] = floor.queued - first - second
            last = int(rng.integers(-1, m))
            counters[fast_queues.LAST_ROUTED] = last
            floor.u = fast_queues.uniform(seed, counter)
            ours = fast_routing.route(t, counter, code, seed, rf, ri, hn, counters)
            assert ours == reference.choose(policy, t, floor, last), (policy, t, last)
            compared += ours >= 0
    assert compared > 500
