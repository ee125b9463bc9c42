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
from simsales.engines.fast import limits as fast_limits
from simsales.engines.fast import queues as fast_queues
from simsales.engines.fast import routing as fast_routing
from simsales.engines.fast import tables
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.policies import POLICY_CODES, POLICY_NAMES, ROUTING_POLICIES
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import SMALL
from .inner import route, route_new, uniform

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
            floor.u = uniform(seed, counter)
            ours = route(t, counter, code, seed, rf, ri, hn, counters)
            assert ours == reference.choose(policy, t, floor, last), (policy, t, last)
            compared += ours >= 0
    assert compared > 500


def new_lead_rule(policy: str, t: float, u: float, rf: np.ndarray, ri: np.ndarray, md: np.ndarray,
                  new_count: np.ndarray, credit: np.ndarray, cap: int, last: int) -> int:
    """A new lead under a daily cap and ramp shares, as ``routing.choose_new`` states it.

    The walk over the compiled segments (the routing segments are checked against the
    reference's candidates above); on each, the candidates below the cap and, for
    ``weighted``, ``np.cumsum`` of weight x share searched for ``u`` x the total, for
    ``round_robin`` the credit walk from the first after ``last``.  Updates the counts.
    """
    nb, n_seg = ri[fast_routing.N_BOUNDS], ri[fast_routing.N_SEGMENTS]
    j = int(np.searchsorted(rf[:nb], t, side="right")) - 1
    if j < 0 or j >= n_seg:
        return -1
    r = ri[ri[fast_routing.OFF_ROUTE_SEG] + j]
    m = md.shape[0]
    while r >= 0:
        day = min(int(rf[r] // 1440.0), new_count.shape[1] - 1)
        lo = ri[fast_routing.OFF_CANDS] + ri[ri[fast_routing.OFF_SEG_PTR] + r]
        hi = ri[fast_routing.OFF_CANDS] + ri[ri[fast_routing.OFF_SEG_PTR] + r + 1]
        cands = ri[lo:hi]
        cands = cands[new_count[cands, day] < cap]
        if cands.size:
            share = md[cands, day, tables.RAMP_SHARE]
            if policy == "weighted":
                cum = np.cumsum(md[cands, day, tables.ROUTE_W] * share)
                chosen = int(cands[min(int(np.searchsorted(cum, u * cum[-1], side="right")), cands.size - 1)])
            else:
                order = np.argsort((cands - last - 1) % m, kind="stable")
                chosen = -1
                while chosen < 0:
                    for c, s in zip(cands[order], share[order], strict=True):
                        if s >= 1.0:
                            chosen = int(c)
                            break
                        credit[c] += s
                        if credit[c] >= 1.0:
                            credit[c] -= 1.0
                            chosen = int(c)
                            break
            new_count[chosen, day] += 1
            return chosen
        r = ri[ri[fast_routing.OFF_ROUTE_SEG] + r + 1] if r + 1 < n_seg else -1
    return -1


@pytest.mark.parametrize("policy", ["weighted", "round_robin"])
def test_new_leads_under_a_cap_follow_the_reference_rule_as_managers_fill_up(policy):
    # Forty managers, a cap of 3 new leads a day and 600 leads over six days: most managers fill up
    # during the day, so the compiled rule's cache of who has room (limits.eligible) is emptied and
    # rebuilt again and again; shares of 1/2 and 1 (in ramp or not) weigh the choice.
    code, seed, cap = POLICY_CODES[policy], np.uint64(777), 3
    rng = np.random.default_rng(5)
    floor = Floor.random(rng, managers=40)
    m, days = floor.shift_start.shape
    rf, ri = fast.pack_routing(fast.routing_segments(floor, policy == "weighted"))
    md = np.zeros((m, days, 9))
    md[:, :, tables.ROUTE_W] = floor.throughput * floor.skill[:, None]
    md[:, :, tables.RAMP_SHARE] = rng.choice([0.5, 1.0], size=(m, days))
    params = np.zeros(tables.P_ORIGIN + 1)
    params[tables.P_POLICY], params[tables.P_CAP], params[tables.P_LIMITS] = code, cap, 1.0
    new_count, theirs = np.zeros((m, days), np.int64), np.zeros((m, days), np.int64)
    mf, credit = np.zeros((m, 10)), np.zeros(m)
    pick_w, pick_i = np.empty(m), np.full(fast_limits.PICK_HEAD + 2 * m, -1, np.int64)
    hn = np.zeros((fast_queues.ROWS * (m + 1), 2), np.int64)
    counters = np.zeros(5, np.int64)
    counters[fast_queues.SEGMENT] = counters[fast_queues.LAST_ROUTED] = -1
    times = np.sort(rng.uniform(0.0, days * 1440.0, 600))
    full = set()  # segments the cache found with everyone at the cap (then skipped, unscanned)
    for counter, t in enumerate(times):
        last = int(counters[fast_queues.LAST_ROUTED])
        ours, _ = route_new(t, counter, seed, (rf, ri, new_count, pick_w, pick_i), hn, md, mf,
                                        params, counters, np.inf)  # no expiry: the walk as far as it goes
        full.add(int(pick_i[fast_limits.FULL]))
        expected = new_lead_rule(policy, t, uniform(seed, counter), rf, ri, md, theirs, credit,
                                 cap, last)
        assert ours == expected, (policy, counter, t)
    np.testing.assert_array_equal(new_count, theirs)
    np.testing.assert_array_equal(mf[:, fast_queues.CREDIT], credit)
    assert (new_count == cap).sum() > 50  # the cap was reached often
    assert len(full - {-1}) > 5  # and whole segments filled up
