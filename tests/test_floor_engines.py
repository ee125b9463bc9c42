"""Phase A of issue 12 in both engines at once: exact agreement, invariants, the metrics.

* With every phase-A rule switched on and every chance 0 or 1, the two
  engines give the same outcomes lead by lead and the same time split
  manager by manager (the rules are the same rules).
* The fast engine's "each manager alone" loop gives the event loop's
  arrays with the rules on (caps and the ramp share route new leads in time
  order, so they keep the loop).
* Invariants on random worlds, both engines: talk + dial + CRM + idle =
  shift time with overtime apart, utilisation <= 1, every lead in one state.
* The metrics: SLA in working minutes, the share attempted within 5
  minutes, the contact rate over target leads, the share paid by installment.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.engines import des
from simsales.engines.contract import EXPIRED, NO_CONTACT, OFFER
from simsales.engines.fast import engine as fast
from simsales.montecarlo.metrics import _on_shift, _working_waits, measure
from simsales.montecarlo.replication import close_factor, stream
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.deals import draw_clients, settle
from simsales.world.roster import build_roster
from simsales.world.shifts import on_shift_union, routing_windows, working_minutes
from simsales.world.world import World

from .conftest import SMALL
from .test_des_exact import DOC
from .test_fast_engine import worlds

SPLIT = ("talk_minutes", "dial_minutes", "crm_minutes", "overtime_minutes", "busy_minutes", "attempts_made")
"""Per manager: the time split and the attempts made from the origin on (compared wherever SPLIT is)."""


def same_outcomes(world: World):
    """Both engines on one world: the same manager, attempts, end and closer of every lead, the same
    times (to 1e-6 minutes) and the same time split and attempts made per manager.  Returns the fast
    engine's outcomes."""
    ours = fast.simulate(world, np.random.default_rng(1))
    reference = des.simulate(world, np.random.default_rng(2))
    for field in ("manager", "attempts", "end", "closer"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in ("first_attempt", "contact", "offer_time", "closing_due", "closing_time", *SPLIT):
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-6,
                                   err_msg=field)
    return ours
PHASE_A = {
    "crm": {"attempt": 1.5, "contact": 4, "offer": 6},
    "routing": {"min_shift_left": 30, "max_new_per_day": 25, "ramp_share": 0.5},
}


def deterministic_world(policy: str, priority: str) -> World:
    """Six managers (day, late and night shifts past midnight), hires, leavers, every rule on."""
    doc = copy.deepcopy(DOC)
    doc["horizon_days"] = 20
    doc["calendar"] = {"default": "09:00-03:00"}
    doc["routing"] = {"policy": policy, "onboarding_days": 0, **PHASE_A["routing"]}
    doc["touch_chain"].update(offsets=["0m", "30m", "4h", "1d"], p_contact=[0.0, 0.0, 1.0, 1.0],
                              priority=priority, nontarget_call_minutes=3)
    doc["channels"] = [{"name": "c", "leads_per_day": 0},
                       {"name": "dead", "leads_per_day": 0, "contact_factor": 0.0}]
    doc["team"].update(managers=[{"team_lead": "tl", "count": 6, "tenure_days": 1000}],
                       attrition={"monthly": 0.5, "probation_monthly": 0.5},
                       ramp={"months": [1.0]},  # below 1 a new hire's offer chance is random
                       crm_minutes=PHASE_A["crm"], skill_weights={"qualify": 1.0, "close": 1.0},
                       shifts=[{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9},
                               {"name": "late", "pattern": "2/2", "start": "13:00", "hours": 8},
                               {"name": "night", "pattern": "3/3", "start": "20:00", "hours": 7}])
    doc["plans"] = [{"name": "grow", "time_to_hire_days": 5,
                     "months": [{"month": "2026-07", "managers": 3}]}]
    scenario = parse_scenario(yaml.safe_dump(doc), "<deterministic phase A>")
    rng = np.random.default_rng(11)
    n = 1500
    kind = rng.random(n)
    leads = Leads(np.sort(rng.uniform(0.0, scenario.horizon_minutes, n)),
                  (rng.random(n) < 0.1).astype(np.int64), kind >= 0.2, kind >= 0.1)
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    assert roster.n_managers > 6 and (roster.leave_day < doc["horizon_days"]).any()
    assert (roster.shift_end > (np.arange(20) + 1) * 1440.0).any()  # shifts past midnight
    return World(scenario, leads, roster)


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
@pytest.mark.parametrize("priority", ["new_first", "due_first"])
def test_with_every_rule_on_both_engines_give_the_same_outcomes(policy, priority):
    world = deterministic_world(policy, priority)
    ours = same_outcomes(world)
    assert (ours.end == OFFER).sum() > 50 and ours.overtime_minutes.sum() > 0
    dead = world.leads.channel == 1
    assert np.isnan(ours.contact[dead | ~world.leads.reachable]).all()
    assert (ours.end[~world.leads.reachable] != EXPIRED).sum() > 0


def small_with_rules(policy: str, **more: object):
    """tests/data/small.yaml with every phase-A rule switched on (and an evening shift past midnight)."""
    doc = yaml.safe_load(SMALL.read_text())
    doc["warmup_days"] = 8  # the floor fills in a week; auto's 23 days (the refunds' window) would add 80%
    doc["calendar"] = {"default": "09:00-01:00"}
    doc["routing"] = {"policy": policy, "onboarding_days": 2, **PHASE_A["routing"], **more}
    doc["channels"][0].update(unreachable_share=0.08, contact_factor=1.1)
    doc["channels"][1].update(unreachable_share=0.15, contact_factor=0.8)
    doc["touch_chain"]["nontarget_call_minutes"] = {"lognormal": {"mean": 2, "sd": 1}}
    doc["team"].update(crm_minutes=PHASE_A["crm"], skill_weights={"qualify": 0.5, "offer": 1, "close": 0.5},
                       shifts=[{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9, "share": 0.6},
                               {"name": "evening", "pattern": "2/2", "start": "17:00", "hours": 8,
                                "share": 0.4}],
                       attrition={"monthly": 0.4, "probation_monthly": 0.4})
    return parse_scenario(yaml.safe_dump(doc), "<small, phase A>")


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
def test_each_manager_alone_gives_the_event_loops_arrays_with_the_rules_on(policy, monkeypatch):
    scenario = small_with_rules(policy)
    for r, world in worlds(scenario, 2):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", *SPLIT):
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)


def shift_minutes(world: World) -> np.ndarray:
    roster, horizon = world.roster, world.scenario.horizon_minutes
    return np.clip(np.minimum(roster.shift_end, horizon) - roster.shift_start, 0, None).sum(axis=1)


@pytest.mark.parametrize("engine", ["fast", "des"])
@pytest.mark.parametrize("policy", ["weighted", "least_loaded"])
def test_the_time_split_adds_up_and_utilisation_stays_at_most_one(engine, policy):
    scenario = small_with_rules(policy)
    simulate = fast.simulate if engine == "fast" else des.simulate
    for r, world in worlds(scenario, 2 if engine == "fast" else 1):
        out = simulate(world, stream(scenario.seed, r, "dynamics"))
        shift = shift_minutes(world)
        worked = out.talk_minutes + out.dial_minutes + out.crm_minutes
        idle = shift - worked
        assert (idle >= -1e-6).all()  # talk + dial + CRM + idle = shift time, idle >= 0
        assert np.allclose(worked + out.overtime_minutes, out.busy_minutes)  # overtime apart
        assert out.overtime_minutes.sum() > 0
        clients = draw_clients(world.scenario.funnel, len(world.leads), stream(scenario.seed, r, "deals"))
        deals = settle(world.scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                       close_factor(world, out))
        m, _ = measure(world, out, deals)
        parts = (m["talk_share_actual"] + m["dial_share_actual"] + m["crm_share_actual"] + m["idle_share"])
        assert parts == pytest.approx(1.0) and 0 < m["utilisation"] <= 1.0
        assert m["utilisation"] == pytest.approx(1.0 - m["idle_share"])
        # Every lead in one state; unreachable leads are never reached.
        assert np.isin(out.end, np.arange(8)).all()
        assert np.isnan(out.contact[~world.leads.reachable_mask()]).all()
        assert (world.leads.reachable_mask() | ~world.leads.target).all()  # unreachable is non-target
        full = out.end[~world.leads.reachable_mask()] == NO_CONTACT
        assert full.any()


def test_working_minutes_skip_the_time_nobody_is_on_shift():
    start = np.array([[540.0, 1980.0], [600.0, 2040.0]])  # two managers, two days
    end = np.array([[1080.0, 2520.0], [1200.0, 2100.0]])
    union = on_shift_union(start, end)
    np.testing.assert_array_equal(union[0], [540.0, 1980.0])
    np.testing.assert_array_equal(union[1], [1200.0, 2520.0])
    # 08:00 day 0 -> 0; 10:00 -> 60; 21:00 (after close) -> 660; day 1 09:10 -> 670.
    np.testing.assert_array_equal(working_minutes(union, np.array([480.0, 600.0, 1260.0, 1990.0])),
                                  [0.0, 60.0, 660.0, 670.0])
    # min_shift_left cuts 30 minutes off each block's end; a block reaching the horizon is not cut.
    _, e = routing_windows(start, end, 30.0, 2520.0)
    np.testing.assert_array_equal(e, [[1050.0, 2520.0], [1170.0, 2070.0]])


def test_sla_in_working_minutes_and_the_share_attempted_within_five():
    # One manager on 09:00-18:00.  Lead 0 at 20:00 attempted next day 09:03: 3 working minutes
    # (13 h 03 min of wall clock).  Lead 1 at 10:00 attempted 10:10: 10.  Lead 2 at 17:00 never
    # attempted: its wait up to the horizon (day 2 ends: 60 + 540 + 540 = 1140 working minutes).
    doc = copy.deepcopy(DOC)
    doc["team"]["managers"] = [{"team_lead": "tl", "count": 1, "tenure_days": 1000}]
    scenario = parse_scenario(yaml.safe_dump(doc), "<sla>")
    leads = Leads(np.array([1200.0, 2040.0, 2460.0]), np.zeros(3, np.int64), np.ones(3, bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = World(scenario, leads, roster)
    out = des.simulate(world, np.random.default_rng(0))
    out.first_attempt[:] = [1440.0 + 543.0, 2050.0, np.nan]
    out.attempts[:] = [1, 1, 0]
    waits = _working_waits(world, out, _on_shift(world, out))
    np.testing.assert_array_equal(waits, [3.0, 10.0, 60.0 + 540.0])
    deals = settle(scenario.funnel, draw_clients(scenario.funnel, 3, np.random.default_rng(0)),
                   np.full(3, np.nan))
    m, _ = measure(world, out, deals)
    assert m["share_attempted_5min"] == pytest.approx(1 / 3)
    assert m["sla_work_p50_min"] == 10.0
    assert m["sla_p50_min"] == pytest.approx((783.0 + 10.0) / 2)  # wall clock, attempted leads only


def test_contact_rate_over_target_leads_and_the_share_paid_by_installment():
    doc = copy.deepcopy(DOC)
    doc["touch_chain"]["p_contact"] = [1.0, 1.0]
    doc["funnel"]["installment_share"] = 1.0
    for share in (1.0, 0.0):
        doc["funnel"]["installment_share"] = share
        scenario = parse_scenario(yaml.safe_dump(doc), "<installments>")
        # Two target leads, one reached non-target, one unreachable.
        leads = Leads(np.array([540.0, 541.0, 542.0, 543.0]), np.zeros(4, np.int64),
                      np.array([True, True, False, False]), np.array([True, True, True, False]))
        roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
        world = World(scenario, leads, roster)
        out = fast.simulate(world, np.random.default_rng(0))
        clients = draw_clients(scenario.funnel, 4, np.random.default_rng(0))
        deals = settle(scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan))
        m, _ = measure(world, out, deals)
        assert m["contact_rate"] == 0.75 and m["contact_rate_target"] == 1.0
        assert m["unreachable_leads"] == 1 and m["nontarget_leads"] == 2
        assert m["won"] == 2 and m["won_by_installment_share"] == share


def test_the_close_weight_acts_on_payment_and_weight_zero_changes_nothing():
    doc = copy.deepcopy(DOC)
    doc["team"]["skill"] = 0.5  # the manager's factor: 0.5
    scenario = parse_scenario(yaml.safe_dump(doc), "<close>")
    n = 4000
    rng = np.random.default_rng(5)
    leads = Leads(np.sort(rng.uniform(540.0, 1000.0, n)), np.zeros(n, np.int64), np.ones(n, bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = World(scenario, leads, roster)
    out = fast.simulate(world, np.random.default_rng(0))
    offers = np.full(n, 3000.0)  # every lead gets an offer, owner 0 or 1
    out.offer_time[:] = offers
    funnel = scenario.funnel.model_copy(update={"invoice_paid": scenario.funnel.invoice_paid.model_copy(
        update={"p": 0.8}), "installment_share": 0.0})
    clients = draw_clients(funnel, n, np.random.default_rng(1))
    plain = settle(funnel, clients, offers)
    assert close_factor(world, out) is None  # weight 0 (the default): no factor at all
    weighted = World(scenario.model_copy(update={"team": scenario.team.model_copy(update={
        "skill_weights": scenario.team.skill_weights.model_copy(update={"close": 1.0})})}), leads, roster)
    halved = settle(funnel, clients, offers, close_factor(weighted, out))
    paid, paid_half = (~np.isnan(plain.paid_at)).mean(), (~np.isnan(halved.paid_at)).mean()
    assert paid == pytest.approx(0.8, abs=0.02) and paid_half == pytest.approx(0.4, abs=0.02)
    # The same uniforms: every deal paid under the factor is paid without it.
    assert not (~np.isnan(halved.paid_at) & np.isnan(plain.paid_at)).any()


def test_a_rerun_after_full_task_lists_counts_the_new_leads_anew():
    """The fast engine reruns a plan whose task lists overflowed; the daily caps' counts start over."""
    from simsales.engines.contract import ReplicationCache

    scenario = small_with_rules("weighted")
    r, world = next(worlds(scenario, 1))
    roomy = fast.simulate(world, stream(scenario.seed, r, "dynamics"), cache=ReplicationCache(task_room=4096))
    cramped = ReplicationCache(task_room=2)  # overflows at once: rerun with 8, 32, ... rows
    out = fast.simulate(world, stream(scenario.seed, r, "dynamics"), cache=cramped)
    assert cramped.task_room > 2
    for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", *SPLIT):
        np.testing.assert_array_equal(getattr(out, field), getattr(roomy, field), err_msg=field)


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
def test_phase_a_rules_and_probation_together_give_the_same_outcomes_in_both_engines(policy):
    """Main's probation (a hire let go, a standby brought in) with min_shift_left, a daily cap and CRM
    minutes: routing skips the managers who are gone under the limits too, in both engines alike."""
    from .test_probation_engine import both, deterministic_world

    world = deterministic_world(policy, standby=True)
    sc = world.scenario
    sc = sc.model_copy(update={
        "routing": sc.routing.model_copy(update={"min_shift_left": 30.0, "max_new_per_day": 4}),
        "team": sc.team.model_copy(update={"crm_minutes": sc.team.crm_minutes.model_copy(
            update={"attempt": 1.0, "contact": 3.0, "offer": 5.0})})})
    ours, reference, _ = both(World(sc, world.leads, world.roster))
    assert not np.isnan(ours.fired).all()  # the probationer was let go
    assert (ours.manager == 3).any()  # and the standby took leads
    for field in SPLIT:
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-6,
                                   err_msg=field)
