"""A start from an open pipeline in both engines: leads that enter at minute 0 with a known first task.

* The reference engine, exactly: a lead entering at attempt k with its
  owner, a qualified lead entering at its presentation and routed, and a
  new lead, on a hand-checked timeline.
* Both engines give the same outcomes lead by lead on deterministic worlds
  with pipeline entries (attempt k, the presentation, an owner given or
  routed), and the fast engine's two loops give the same arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

from simsales.engines import des
from simsales.engines.contract import AWAITING_PRESENTATION, IN_CHAIN, NO_CONTACT, OFFER
from simsales.engines.fast import engine as fast
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Entry, Leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .test_des_exact import DOC
from .test_floor_engines import SPLIT, deterministic_world, same_outcomes


def exact_world(entries: list[tuple[float, int, float, int]], new: list[float]) -> World:
    """DOC's two managers (09:00-18:00); ``entries``: (created, attempt or -1, due, owner); then new leads."""
    scenario = parse_scenario(yaml.safe_dump(DOC), "<exact>")
    created = np.array([e[0] for e in entries] + new)
    n = len(created)
    entry = Entry(np.array([e[1] for e in entries], np.int64), np.array([e[2] for e in entries]),
                  np.array([e[3] for e in entries], np.int64))
    leads = Leads(created, np.zeros(n, np.int64), np.ones(n, bool), entry=entry)
    return World(scenario, leads, build_roster(scenario, scenario.plans[0], np.random.default_rng(0)))


def test_pipeline_leads_enter_at_minute_0_with_their_task_and_owner():
    # Lead 0: qualified 3000 minutes before the start, its presentation due at 10:00, no owner:
    # routed at minute 0 by round robin (both managers start at 09:00: manager 0).  Lead 1: created
    # 1000 minutes before the start, one attempt made (the next is attempt 1, which reaches), kept by
    # manager 1.  Lead 2: new at 09:05, routed by round robin after manager 0: manager 1.
    world = exact_world([(-3000.0, -1, 600.0, -1), (-1000.0, 1, 0.0, 1)], [545.0])
    log: list = []
    out = des.simulate(world, np.random.default_rng(0), log=log)
    assert [e for e in log if e[1] == "assign"] == [(0.0, "assign", 0, 0), (0.0, "assign", 1, 1),
                                                   (545.0, "assign", 2, 1)]
    assert [e for e in log if e[1] in ("attempt", "present")][:4] == [
        (540.0, "attempt", 1, 1, 1, True),  # due since minute 0: taken at the shift's start; 20 min
        (560.0, "attempt", 2, 1, 0, False),  # lead 2 waited for manager 1 (busy until 560); 4 min
        (575.0, "attempt", 2, 1, 1, True),  # due at 545 + 30
        (600.0, "present", 0, 0, True),  # the routed presentation, due at 10:00; 30 min
    ]
    assert list(out.manager) == [0, 1, 1]
    assert list(out.attempts) == [0, 1, 2]  # attempts made in the run (the one before is not counted)
    np.testing.assert_array_equal(out.first_attempt, [np.nan, 540.0, 560.0])
    assert out.offer_time[0] == 630.0
    assert list(out.end) == [OFFER, OFFER, OFFER]  # lead 1's and 2's presentations the next morning
    fast_out = fast.simulate(world, np.random.default_rng(1))
    for field in ("manager", "attempts", "end", "contact", "offer_time", "first_attempt"):
        np.testing.assert_array_equal(getattr(fast_out, field), getattr(out, field), err_msg=field)


def test_a_presentation_entry_not_reached_stays_awaiting_and_an_attempt_entry_in_chain():
    # Due after the horizon (3 days): nothing happens, the ends say where the leads were.
    late = 3 * 1440.0 + 60
    world = exact_world([(-100.0, 0, late, 0), (-100.0, -1, late, -1)], [])
    for simulate in (des.simulate, fast.simulate):
        out = simulate(world, np.random.default_rng(0))
        assert list(out.end) == [IN_CHAIN, AWAITING_PRESENTATION]
        assert list(out.attempts) == [0, 0]


def with_pipeline(world: World, n: int, seed: int) -> World:
    """``world`` with ``n`` pipeline leads in front: every kind of entry, owners kept or routed."""
    rng = np.random.default_rng(seed)
    offsets = np.asarray(world.scenario.touch_chain.offsets, dtype=float)
    created = np.sort(-rng.uniform(1.0, 2 * 1440.0, n))
    attempt = rng.integers(-1, len(offsets), n)
    due = np.where(attempt >= 0, np.maximum(0.0, created + offsets[np.maximum(attempt, 0)]),
                   rng.uniform(0.0, 2 * 1440.0, n))
    starting = np.flatnonzero(world.roster.join_day < 0)
    owner = np.where(rng.random(n) < 0.5, rng.choice(starting, n), -1)
    old = world.leads
    leads = Leads(np.concatenate([created, old.created]),
                  np.concatenate([rng.integers(0, 2, n), old.channel]),
                  np.concatenate([rng.random(n) < 0.8, old.target]),
                  None if old.reachable is None else np.concatenate([rng.random(n) < 0.9, old.reachable]),
                  entry=Entry(attempt, due, owner))
    return dataclasses.replace(world, leads=leads)


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
@pytest.mark.parametrize("priority", ["new_first", "due_first"])
def test_both_engines_give_the_same_outcomes_with_pipeline_entries(policy, priority):
    world = with_pipeline(deterministic_world(policy, priority), 300, seed=5)
    ours = same_outcomes(world)
    pipe = slice(0, 300)
    entry = world.leads.entry
    presented = entry.attempt < 0
    # Entries were worked: presentations ended in an offer or its loss, attempts were made.
    assert (ours.end[pipe][presented] == OFFER).sum() > 0.5 * presented.sum()
    assert (ours.attempts[pipe][~presented] > 0).mean() > 0.5
    # An entry at attempt k makes at most K - k attempts; a presentation entry none.
    k = len(world.scenario.touch_chain.offsets)
    assert (ours.attempts[pipe] <= np.where(presented, 0, k - entry.attempt)).all()
    assert ((ours.end[pipe] == NO_CONTACT) <= ~presented).all()
    # A kept owner who stays to the horizon keeps the lead (a leaver hands theirs over).
    owner = np.maximum(entry.owner, 0)
    stays = (world.roster.leave_day[owner] >= world.scenario.horizon_days) & np.isnan(ours.fired[owner])
    kept = (entry.owner >= 0) & stays
    assert kept.sum() > 50 and (ours.manager[pipe][kept] == entry.owner[kept]).all()


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
def test_each_manager_alone_gives_the_event_loops_arrays_with_pipeline_entries(policy, monkeypatch):
    world = with_pipeline(deterministic_world("round_robin", "new_first"), 300, seed=6)
    world = dataclasses.replace(world, scenario=world.scenario.model_copy(
        update={"routing": world.scenario.routing.model_copy(update={"policy": policy})}))
    split = fast.simulate(world, np.random.default_rng(3))
    with monkeypatch.context() as patch:
        patch.setattr(fast, "SPLIT_POLICIES", ())
        loop = fast.simulate(world, np.random.default_rng(3))
    for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", *SPLIT):
        np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)
    assert (split.end[:300] == OFFER).sum() > 20
