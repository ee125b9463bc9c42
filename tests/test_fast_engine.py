"""The fast engine on its own: invariants, reproducibility, its pure-saving shortcuts.

Quick tests; the statistical comparison with the reference engine is in
test_engine_equivalence.py (slow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales import montecarlo
from simsales.engines import ENGINE_NAMES, get_engine
from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    NO_CONTACT,
    OFFER,
    ReplicationCache,
)
from simsales.engines.fast import engine as fast
from simsales.engines.fast import routing as fast_routing
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.policies import POLICY_NAMES
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import Q3, ROOT, SMALL
from .inner import next_action, route

POLICIES = POLICY_NAMES


def small_variant(policy: str, priority: str, attrition: float = 0.0, around_the_clock: bool = False):
    """tests/data/small.yaml with another routing policy, priority rule and attrition.

    ``around_the_clock``: everybody works 24 hours a day, so managers who
    leave (at midnight) are often in a call.
    """
    doc = yaml.safe_load(SMALL.read_text())
    doc["routing"] = {"policy": policy, "onboarding_days": 2}
    doc["touch_chain"]["priority"] = priority
    doc["team"]["attrition"] = {"monthly": attrition, "probation_monthly": attrition}
    if around_the_clock:
        doc["calendar"] = {"default": "00:00-24:00"}
        doc["team"]["shifts"] = [{"name": "all day", "pattern": "7/0", "start": "00:00", "hours": 24}]
    return parse_scenario(yaml.safe_dump(doc), "<small variant>")


def worlds(scenario, replications: int):
    for r in range(replications):
        resolved = resolve(scenario, stream(scenario.seed, r, "params"))
        leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                               stream(scenario.seed, r, "arrivals"))
        for plan in resolved.plans:
            roster = build_roster(resolved, plan, stream(scenario.seed, r, "team"))
            yield r, World(resolved, leads, roster)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("priority", ["new_first", "due_first"])
def test_every_lead_ends_in_exactly_one_consistent_state(policy, priority):
    scenario = small_variant(policy, priority, attrition=0.6)  # leavers hand over their leads
    n_steps = len(scenario.touch_chain.offsets)
    for r, world in worlds(scenario, 3):
        out = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        leads, horizon = world.leads, scenario.horizon_minutes
        assert np.isin(out.end, np.arange(8)).all()
        reached = ~np.isnan(out.contact)
        assert (reached == (out.end > EXPIRED)).all()
        assert ((out.attempts >= 1) | ~reached).all()
        assert (out.attempts <= n_steps).all()
        assert (out.attempts[out.end == NO_CONTACT] == n_steps).all()
        assert (np.isnan(out.first_attempt) == (out.attempts == 0)).all()
        started = out.first_attempt[out.attempts > 0]
        assert (started >= leads.created[out.attempts > 0]).all() and (started < horizon).all()
        assert (out.contact[reached] >= out.first_attempt[reached]).all()
        assert (~np.isnan(out.offer_time) == (out.end == OFFER)).all()
        assert (out.offer_time[out.end == OFFER] < horizon).all()
        qualified = np.isin(out.end, (AWAITING_PRESENTATION, LOST_NO_OFFER, OFFER))
        assert leads.target[qualified].all()
        assert ((out.manager >= -1) & (out.manager < world.roster.n_managers)).all()
        assert (out.manager[out.attempts > 0] >= 0).all()
        stale = (out.end == IN_CHAIN) & (leads.created + scenario.touch_chain.lead_ttl < horizon)
        assert not stale.any()
        shift = np.clip(np.minimum(world.roster.shift_end, horizon) - world.roster.shift_start, 0, None)
        assert (out.busy_minutes >= 0).all()
        # Calls started on shift may run past its end, never past the horizon.
        assert out.busy_minutes.sum() <= shift.sum() + 60.0 * world.roster.n_managers * 10


def run_small(**kwargs) -> montecarlo.RunResult:
    scenario = small_variant("weighted", "new_first", attrition=0.3)
    return montecarlo.run(scenario, replications=4, engine="fast", **kwargs)


def assert_same_runs(a: montecarlo.RunResult, b: montecarlo.RunResult) -> None:
    assert a.plans.keys() == b.plans.keys()
    for name in a.plans:
        pd.testing.assert_frame_equal(a.plans[name].metrics, b.plans[name].metrics)
        for key, series in a.plans[name].series.items():
            np.testing.assert_array_equal(series, b.plans[name].series[key])


def test_same_seed_same_numbers():
    assert_same_runs(run_small(), run_small())


def test_one_or_two_workers_and_any_batching_give_the_same_numbers():
    one = run_small(workers=1, batch_size=4)
    assert_same_runs(one, run_small(workers=2, batch_size=1))


def test_a_rerun_with_longer_task_lists_gives_the_same_numbers(monkeypatch):
    reference = run_small()
    monkeypatch.setattr(fast, "_first_room", lambda world: 1)  # every task list overflows at first
    assert_same_runs(reference, run_small())
    _, world = next(worlds(small_variant("weighted", "new_first"), 1))
    cache = ReplicationCache()
    fast.simulate(world, stream(1, 0, "dynamics"), cache=cache)
    assert cache.task_room > 1  # the room the plan needed, for the replication's next plan


def test_reused_lead_draws_equal_fresh_ones():
    scenario = small_variant("round_robin", "new_first")
    (_, first), (_, second) = list(worlds(scenario, 1))[:2]  # two plans, the same leads
    cache = ReplicationCache()
    fast.simulate(first, stream(1, 0, "dynamics"), cache=cache)
    kept = cache.lead_draws
    hit_rng = stream(1, 0, "dynamics")
    hit = fast.simulate(second, hit_rng, cache=cache)  # the same leads, scenario and stream state
    assert cache.lead_draws is kept  # reused, not drawn again
    fresh_rng = stream(1, 0, "dynamics")
    fresh = fast.simulate(second, fresh_rng)  # no cache: drawn anew
    for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time"):
        np.testing.assert_array_equal(getattr(fresh, field), getattr(hit, field))
    assert hit_rng.bit_generator.state == fresh_rng.bit_generator.state
    moved = stream(1, 0, "dynamics")
    moved.random()  # another stream state: the kept draws do not apply
    fast.simulate(second, moved, cache=cache)
    assert cache.lead_draws is not kept


def test_replications_keep_their_own_caches():
    """Interleaving two replications' plans gives each one's numbers: no state is shared."""
    scenario = small_variant("weighted", "new_first", attrition=0.3)
    by_rep: dict[int, list] = {}
    for r, world in worlds(scenario, 2):
        by_rep.setdefault(r, []).append(world)
    alone = {}
    for r, ws in by_rep.items():
        cache = ReplicationCache()
        alone[r] = [fast.simulate(w, stream(1, r, "dynamics"), cache=cache) for w in ws]
    caches = {r: ReplicationCache() for r in by_rep}
    mixed: dict[int, list] = {r: [] for r in by_rep}
    for k in range(len(by_rep[0])):
        for r in (1, 0):
            mixed[r].append(fast.simulate(by_rep[r][k], stream(1, r, "dynamics"), cache=caches[r]))
    for r in by_rep:
        for a, b in zip(alone[r], mixed[r], strict=True):
            for field in OUTCOME_FIELDS:
                np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


OUTCOME_FIELDS = ("manager", "attempts", "first_attempt", "contact", "end", "offer_time",
                  "busy_minutes", "attempts_made")


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
@pytest.mark.parametrize("priority", ["new_first", "due_first", ["followup", "booked", "first"]])
@pytest.mark.parametrize("around_the_clock", [False, True])
def test_each_manager_alone_gives_what_the_event_loop_gives(policy, priority, around_the_clock,
                                                            monkeypatch):
    """fast_split (routing blind to the queues) returns the event loop's arrays exactly.

    With high attrition, leavers hand their queues over; around the clock,
    they are in a call when they leave, and its follow-up is routed anew.
    """
    scenario = small_variant(policy, priority, attrition=0.6, around_the_clock=around_the_clock)
    for r, world in worlds(scenario, 3):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        for field in OUTCOME_FIELDS:
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
def test_each_manager_alone_gives_what_the_event_loop_gives_on_q3(policy, monkeypatch):
    doc = yaml.safe_load(Q3.read_text())
    doc["routing"]["policy"] = policy
    scenario = parse_scenario(yaml.safe_dump(doc), "<q3 variant>")
    for r, world in worlds(scenario, 1):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        monkeypatch.setattr(fast, "SPLIT_POLICIES", ())
        loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        monkeypatch.undo()
        for field in OUTCOME_FIELDS:
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)


def test_fast_is_the_default_engine():
    assert ENGINE_NAMES[0] == "fast"
    assert get_engine("fast") is fast.simulate
    assert montecarlo.run.__defaults__ is not None and "fast" in montecarlo.run.__defaults__


def test_routing_segments_follow_the_reference_candidate_rule():
    from simsales.engines.des import _Simulation

    scenario = small_variant("round_robin", "new_first")
    _, world = next(worlds(scenario, 1))
    sim = _Simulation(world, np.random.default_rng(0), None)
    bounds, seg_ptr, seg_cands, route_seg, _, _ = fast.routing_segments(world.roster, False)
    for t in np.linspace(0.0, scenario.horizon_minutes - 1.0, 997):
        j = np.searchsorted(bounds, t, side="right") - 1
        r = route_seg[j]
        ours = seg_cands[seg_ptr[r]:seg_ptr[r + 1]] if r >= 0 else np.empty(0, np.int64)
        np.testing.assert_array_equal(ours, sim.candidates(t))


def test_empty_team_or_no_leads():
    doc = yaml.safe_load(SMALL.read_text())
    doc["team"]["managers"] = [{"team_lead": "anna", "count": 0}]
    doc["plans"] = [{"name": "hold"}]
    scenario = parse_scenario(yaml.safe_dump(doc), "<empty team>")
    _, world = next(worlds(scenario, 1))
    out = fast.simulate(world, stream(1, 0, "dynamics"))
    assert (out.attempts == 0).all() and (out.manager == -1).all()


def test_lazy_normal_prices_equal_the_distributions_own_draws():
    from simsales.scenario import Price
    from simsales.scenario.distributions import Normal
    from simsales.world.deals import ClientDraws, _normal_args

    for dist in (Normal(62000.0, 12000.0, 20000.0, 150000.0), Normal(100.0, 30.0, 0.0)):
        price = Price(check=dist, change=0.1)
        eager = np.maximum(dist.sample(np.random.default_rng(3), 500), 0.0) * 1.1
        rows = np.arange(0, 500, 7)
        lazy = ClientDraws(*[None] * 7, None, np.random.default_rng(3).random(500), None, None)
        np.testing.assert_array_equal(lazy.prices(price, rows), eager[rows])
        assert len(_normal_args(dist)) == 4


def test_the_benchmark_compares_every_routing_policy():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_engines", ROOT / "benchmarks" / "bench_engines.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert sorted(bench.POLICIES) == sorted(fast.POLICIES)
    for policy in bench.POLICIES:
        assert bench.q3_with_policy(policy).routing.policy == policy
    assert sum(g.count for g in bench.scaled_q3(80).team.managers) == 80


def test_least_loaded_routing_is_the_references_choice():
    """Fewest queued tasks; among equals, the first after the last manager routed to."""
    from simsales.engines.des import _Simulation
    from simsales.engines.fast import queues as fast_queues

    scenario = small_variant("least_loaded", "new_first")
    _, world = next(worlds(scenario, 1))
    m = world.roster.n_managers
    rf, ri = fast.pack_routing(fast.routing_segments(world.roster, False))
    rng = np.random.default_rng(7)
    for t in rng.uniform(0.0, scenario.horizon_minutes, 300):
        sim = _Simulation(world, np.random.default_rng(0), None)
        counts = rng.integers(0, 3, (fast_queues.ROWS, m))  # per class of work; many ties
        for c in range(fast_queues.ROWS):
            sim.tasks.heaps[c] = [[None] * k for k in counts[c]] + [[]]
        sim.last_routed = int(rng.integers(-1, m))
        hn = np.zeros((fast_queues.ROWS * (m + 1), 2), np.int64)
        for c in range(fast_queues.ROWS):
            hn[c:fast_queues.ROWS * m:fast_queues.ROWS, fast_queues.COUNT] = counts[c]
        counters = np.zeros(5, np.int64)
        counters[fast_queues.LAST_ROUTED], counters[fast_queues.SEGMENT] = sim.last_routed, -1
        ours = route(t, 0, fast_routing.LEAST_LOADED, np.uint64(1), rf, ri, hn, counters)
        assert ours == sim.route(t)


def test_the_next_moment_on_shift_is_the_references():
    """next_action skips days off through the NEXT_SHIFT_DAY column; shift_at walks them."""
    from simsales.engines.des import _Simulation
    from simsales.engines.fast import queues as fast_queues

    scenario = small_variant("round_robin", "new_first", attrition=0.6)
    for r, world in worlds(scenario, 2):
        sim = _Simulation(world, np.random.default_rng(0), None)
        roster, m = world.roster, world.roster.n_managers
        md = fast.manager_days(roster)
        mf = np.zeros((m, 4))
        mf[:, fast_queues.STOP] = fast._stop(world)
        rows = fast_queues.ROWS
        hd, hn = np.zeros((rows * (m + 1), 1)), np.zeros((rows * (m + 1), 2), np.int64)
        rng = np.random.default_rng(r)
        for t in rng.uniform(0.0, scenario.horizon_minutes, 200):
            due = t + rng.exponential(600.0)
            for k in range(m):
                hd[rows * k + 1, 0], hn[rows * k + 1, fast_queues.COUNT] = due, 1
                shift = sim.shift_at(k, max(t, due))
                expected = max(t, due, shift[0]) if shift else np.inf
                if expected >= mf[k, fast_queues.STOP]:
                    expected = np.inf
                assert next_action(k, t, mf, hd, hn, md, False, np.inf) == expected


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded", "shared_queue"])
@pytest.mark.parametrize("priority", ["new_first", "due_first", ["booked", "first", "followup"],
                                      ["followup", "booked", "first"]])
def test_deterministic_inputs_give_the_references_outcomes_exactly(policy, priority):
    """With every chance 0 or 1 and fixed durations, neither engine draws anything that
    matters (weighted routing aside), so both must give the same outcomes, lead by lead.

    Two shift patterns (days off differ), hires starting mid-horizon, heavy
    attrition (leavers hand over their tasks), a four-step chain.
    """
    import copy

    from simsales.engines import des
    from simsales.world.arrivals import Leads

    from .test_des_exact import DOC

    doc = copy.deepcopy(DOC)
    doc["horizon_days"] = 20
    doc["routing"]["policy"] = policy
    doc["touch_chain"].update(offsets=["0m", "30m", "4h", "1d"], p_contact=[0.0, 0.0, 1.0, 1.0],
                              priority=priority)
    doc["team"].update(managers=[{"team_lead": "tl", "count": 6, "tenure_days": 1000}],
                       attrition={"monthly": 0.5, "probation_monthly": 0.5},
                       ramp={"months": [1.0]},  # below 1 a new hire's offer chance is random
                       shifts=[{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9},
                               {"name": "late", "pattern": "2/2", "start": "13:00", "hours": 8}])
    doc["plans"] = [{"name": "grow", "time_to_hire_days": 5,
                     "months": [{"month": "2026-07", "managers": 3}]}]
    scenario = parse_scenario(yaml.safe_dump(doc), "<deterministic>")
    rng = np.random.default_rng(11)
    n = 1500
    leads = Leads(np.sort(rng.uniform(0.0, scenario.horizon_minutes, n)),
                  np.zeros(n, dtype=np.int64), rng.random(n) < 0.8)
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = World(scenario, leads, roster)
    assert roster.n_managers > 6 and (roster.leave_day < doc["horizon_days"]).any()
    ours = fast.simulate(world, np.random.default_rng(1))
    reference = des.simulate(world, np.random.default_rng(2))
    for field in ("manager", "attempts", "end", "attempts_made"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in ("first_attempt", "contact", "offer_time", "busy_minutes"):
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0,
                                   atol=1e-6, err_msg=field)
    assert (ours.end == OFFER).sum() > 100
