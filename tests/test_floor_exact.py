"""Phase A of issue 12, exactly: deterministic inputs, the same outcomes in both engines.

Every chance is 0 or 1 and every duration fixed, so neither engine draws
anything that matters and both must give the outcomes worked out by hand
below (the reference engine's event log too).  One rule per test:
CRM minutes per event, the time split with overtime apart, routing only to
managers with enough shift left (and none of it at midnight for a manager
on duty around the clock), caps and the ramp share, unreachable and
reached non-target leads, the channel's contact factor, the skill weights,
and shifts past midnight.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.engines import des, fast
from simsales.engines.contract import LOST_NO_OFFER, LOST_NONTARGET, LOST_UNQUALIFIED, NO_CONTACT, OFFER
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.roster import build_roster
from simsales.world.world import World

DAY = 1440.0
BASE = {
    "name": "floor exact",
    "start": "2026-07-06",  # a Monday
    "horizon_days": 3,
    "calendar": {"default": "09:00-18:00"},
    "channels": [{"name": "c", "leads_per_day": 0}],
    "routing": {"policy": "round_robin", "onboarding_days": 0},
    "touch_chain": {
        "offsets": ["0m", "30m"],
        "p_contact": [0.0, 1.0],  # the first attempt always fails, the second reaches
        "dial_minutes": 2,
        "call_minutes": 10,
        "priority": "new_first",
    },
    "funnel": {
        "qualify": 1.0,
        "offer": {"p": 1.0, "delay_days": 0.5, "call_minutes": 15},
        "invoice_paid": {"p": 1.0},
        "link_filled": {"p": 1.0},
        "bank_approved": {"p": 1.0},
        "price": {"check": 50000},
    },
    "team": {
        "team_leads": [{"name": "tl"}],
        "managers": [{"team_lead": "tl", "count": 1, "tenure_days": 1000}],
        "shifts": [{"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9}],
        "talk_share": 0.5,  # every minute of call takes two of shift
    },
    "plans": [{"name": "hold"}],
}


def doc(**changes: dict) -> dict:
    """BASE with sections updated (``team={"count": 2}`` updates team)."""
    out = copy.deepcopy(BASE)
    for section, values in changes.items():
        out[section].update(values)
    return out


def run(document: dict, created: list[float], engine: str, *, target: list[bool] | None = None,
        reachable: list[bool] | None = None, channel: list[int] | None = None):
    """Outcomes (and the reference's event log) of leads created at ``created`` minutes."""
    scenario = parse_scenario(yaml.safe_dump(document), "<floor exact>")
    n = len(created)
    leads = Leads(np.array(created, dtype=float),
                  np.zeros(n, dtype=np.int64) if channel is None else np.array(channel, dtype=np.int64),
                  np.ones(n, dtype=bool) if target is None else np.array(target),
                  None if reachable is None else np.array(reachable))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = World(scenario, leads, roster)
    log: list = []
    if engine == "des":
        out = des.simulate(world, np.random.default_rng(0), log=log)
    else:
        out = fast.simulate(world, np.random.default_rng(0))
    return out, log


ENGINES = pytest.mark.parametrize("engine", ["des", "fast"])


@ENGINES
def test_crm_minutes_delay_the_next_call_by_exactly_them(engine):
    # One manager.  Lead 0 at 09:00, lead 1 at 09:01.  Without CRM minutes: lead 0's
    # dial 540-544, lead 1's 544-548, lead 0's contact call (due 570) 570-590, lead 1's
    # (due 571) 590-610.  With attempt 3, contact 5 and offer 7 CRM minutes: 540-547,
    # 547-554, 570-598 (20 + 3 + 5), 598-626.
    plain, _ = run(BASE, [540.0, 541.0], engine)
    crm = doc(team={"crm_minutes": {"attempt": 3, "contact": 5, "offer": 7}})
    out, _ = run(crm, [540.0, 541.0], engine)
    assert list(plain.first_attempt) == [540.0, 544.0]
    assert list(out.first_attempt) == [540.0, 547.0]  # delayed by the attempt's 3
    assert list(plain.contact) == [570.0, 590.0]
    assert list(out.contact) == [570.0, 598.0]  # delayed by 3 + 5 after the contact call
    # Presentations next morning at 09:00 (1980): 30 minutes each, then the offer's 7 CRM
    # minutes (issuing the invoice is that work: the offer counts at its end).
    assert list(plain.offer_time) == [2010.0, 2040.0]
    assert list(out.offer_time) == [2017.0, 2054.0]
    assert list(out.end) == [OFFER, OFFER]
    # The split: dials 2 x (2 dial + 2 overhead + 3 CRM); calls 2 x (10 talk + 10 overhead + 8
    # CRM); presentations 2 x (15 talk + 15 overhead + 7 CRM).
    assert out.dial_minutes[0] == 2 * 2
    assert out.talk_minutes[0] == 2 * 10 + 2 * 15
    assert out.crm_minutes[0] == 2 * (2 + 3) + 2 * (10 + 8) + 2 * (15 + 7)
    assert out.overtime_minutes[0] == 0.0
    assert out.busy_minutes[0] == out.dial_minutes[0] + out.talk_minutes[0] + out.crm_minutes[0]


@ENGINES
def test_a_call_past_the_shift_end_is_overtime_not_utilisation(engine):
    # The shift ends at 18:00 (1080).  A lead at 17:55 is reached at once (p_contact 1):
    # the call takes 20 minutes, 1075-1095: 5 within the shift (2.5 talk, 2.5 CRM), 15 overtime.
    document = doc(touch_chain={"p_contact": [1.0]}, funnel={"qualify": 0.0})
    document["touch_chain"]["offsets"] = ["0m"]
    out, _ = run(document, [1075.0], engine)
    assert out.contact[0] == 1075.0
    assert (out.talk_minutes[0], out.crm_minutes[0], out.overtime_minutes[0]) == (2.5, 2.5, 15.0)
    assert out.busy_minutes[0] == 20.0


def two_shifts(**routing: object) -> dict:
    """Two managers: manager 0 on 09:00-18:00, manager 1 on 12:00-21:00, every day."""
    return doc(calendar={"default": "09:00-21:00"}, routing=routing,
               team={"managers": [{"team_lead": "tl", "count": 2, "tenure_days": 1000}],
                     "shifts": [{"name": "early", "pattern": "7/0", "start": "09:00", "hours": 9,
                                 "share": 0.5},
                                {"name": "late", "pattern": "7/0", "start": "12:00", "hours": 9,
                                 "share": 0.5}]})


@ENGINES
def test_a_lead_in_the_owners_last_minutes_goes_to_someone_with_time_or_the_next_shift(engine):
    # 17:45 (1065): manager 0 has 15 minutes left, under 30, so manager 1 (until 21:00) gets
    # it.  20:45 (1245): manager 1 has 15 left and manager 0 is off: the next window with
    # 30 minutes is manager 0's shift the next morning, 09:00 (1980).
    created = [1065.0, 1245.0]
    before, _ = run(two_shifts(), created, engine)
    out, log = run(two_shifts(min_shift_left=30), created, engine)
    assert list(before.manager) == [0, 1]  # today's rule: anyone on shift
    assert list(out.manager) == [1, 0]
    assert list(out.first_attempt) == [1065.0, 1980.0]
    if engine == "des":
        assert [e for e in log if e[1] == "assign"] == [(1065.0, "assign", 0, 1), (1245.0, "assign", 1, 0)]
    # With 31 minutes left manager 0 still gets one: 17:29 (round robin starts at 0).
    out, _ = run(two_shifts(min_shift_left=30), [1049.0], engine)
    assert out.manager[0] == 0


@ENGINES
def test_around_the_clock_has_no_break_at_midnight(engine):
    # One manager on 24-hour shifts every day: shifts meet at midnight, one block.  A lead at
    # 23:50 on day 0 (1430) goes to them at once despite min_shift_left 30, and its second
    # attempt (due 00:20) is made at 00:20.
    document = doc(calendar={"default": "00:00-24:00"}, routing={"min_shift_left": 30},
                   team={"shifts": [{"name": "always", "pattern": "7/0", "start": "00:00", "hours": 24}]})
    out, _ = run(document, [1430.0], engine)
    assert out.manager[0] == 0
    assert out.first_attempt[0] == 1430.0 and out.contact[0] == 1460.0
    # Its calls never count as overtime: the block runs to the horizon.
    assert out.overtime_minutes[0] == 0.0


@ENGINES
def test_a_cap_sends_the_third_lead_of_the_day_to_the_next_day(engine):
    created = [540.0, 541.0, 542.0]
    out, _ = run(doc(routing={"max_new_per_day": 2}), created, engine)
    assert list(out.manager) == [0, 0, 0]
    assert list(out.first_attempt) == [540.0, 544.0, DAY + 540.0]  # day 1, 09:00
    uncapped, _ = run(BASE, created, engine)
    assert uncapped.first_attempt[2] == 548.0


@ENGINES
def test_a_manager_in_ramp_takes_the_ramp_share_of_new_leads(engine):
    # Manager 1 joined 10 days ago (in ramp), manager 0 long ago.  With ramp_share 0.5, round
    # robin passes manager 1 every other turn: owners 0, 0, 1, 0, 0, 1, ... (worked out in
    # simsales.engines.routing.choose_new's credit rule), so 20 leads to 0 and 10 to 1.
    document = doc(routing={"ramp_share": 0.5},
                   team={"managers": [{"team_lead": "tl", "count": 1, "tenure_days": 1000},
                                      {"team_lead": "tl", "count": 1, "tenure_days": 10}],
                         "ramp": {"months": [0.5]}},
                   funnel={"qualify": 0.0})
    created = [540.0 + 10.0 * i for i in range(30)]
    out, _ = run(document, created, engine)
    assert list(out.manager[:6]) == [0, 0, 1, 0, 0, 1]
    assert (out.manager == 0).sum() == 20 and (out.manager == 1).sum() == 10


@ENGINES
def test_unreachable_leads_get_every_attempt_and_no_contact(engine):
    document = doc(touch_chain={"p_contact": [1.0, 1.0]})
    out, _ = run(document, [540.0, 541.0], engine, target=[False, True], reachable=[False, True])
    assert list(out.attempts) == [2, 1]
    assert np.isnan(out.contact[0]) and out.contact[1] == 544.0
    assert out.end[0] == NO_CONTACT
    # Two dials at dial cost: 2 x 2 minutes of dialling (plus the overhead) for lead 0.
    assert out.dial_minutes[0] == 2.0 * 2


@ENGINES
def test_a_reached_non_target_lead_is_a_short_call_then_lost(engine):
    document = doc(touch_chain={"p_contact": [1.0, 1.0], "nontarget_call_minutes": 2})
    out, _ = run(document, [540.0, 541.0], engine, target=[False, True])
    assert list(out.end[:1]) == [LOST_NONTARGET]
    assert list(out.contact) == [540.0, 544.0]  # the short call takes 2 / 0.5 = 4 minutes
    plain, _ = run(doc(touch_chain={"p_contact": [1.0, 1.0]}), [540.0, 541.0], engine, target=[False, True])
    assert plain.contact[1] == 560.0  # by default the call is call_minutes long


@ENGINES
def test_the_channels_contact_factor_scales_the_contact_chance(engine):
    document = doc(touch_chain={"p_contact": [0.5, 0.5]})
    document["channels"] = [{"name": "warm", "leads_per_day": 0, "contact_factor": 2.0},
                            {"name": "cold", "leads_per_day": 0, "contact_factor": 0.0}]
    out, _ = run(document, [540.0, 541.0], engine, channel=[0, 1])
    assert out.contact[0] == 540.0  # 0.5 x 2 = 1: reached at the first attempt
    assert np.isnan(out.contact[1]) and out.attempts[1] == 2  # 0.5 x 0: never


@ENGINES
def test_skill_weights_act_on_qualification_and_offer(engine):
    # Skill 0: the manager's factor is 0, so a step with weight > 0 never succeeds, and one
    # with weight 0 is left alone (0 ** 0 = 1).
    created = [540.0]
    zero = {"skill": 0.0}
    out, _ = run(doc(team=zero), created, engine)
    assert out.end[0] == LOST_NO_OFFER  # offer weight 1 (the default): no offer
    out, _ = run(doc(team={**zero, "skill_weights": {"offer": 0.0}}), created, engine)
    assert out.end[0] == OFFER
    out, _ = run(doc(team={**zero, "skill_weights": {"qualify": 1.0, "offer": 0.0}}), created, engine)
    assert out.end[0] == LOST_UNQUALIFIED


@ENGINES
def test_a_shift_past_midnight_is_worked_through_midnight(engine):
    # One manager on 20:00-04:00 (the calendar open 09:00 to 04:00 the next day).  A lead at
    # 23:55 on day 0 (1435): first attempt at once, the second due 00:25 (1465) made then.
    # A lead at 03:50 on day 1 (1670): attempted at once, on day 0's shift (until 1680).  A
    # lead at 05:00 on day 1 (1740): waits for day 1's 20:00 (2640).
    document = doc(calendar={"default": "09:00-04:00"},
                   team={"shifts": [{"name": "night", "pattern": "7/0", "start": "20:00", "hours": 8}]})
    out, _ = run(document, [1435.0, 1670.0, 1740.0], engine)
    assert list(out.first_attempt) == [1435.0, 1670.0, DAY + 1200.0]
    assert out.contact[0] == 1465.0
    # Lead 1's second attempt (due 1700, after the shift) waits for the next one, behind the
    # fresh lead 2 (new_first): 2640 + 4.
    assert out.contact[1] == DAY + 1204.0
    assert out.overtime_minutes[0] == 0.0


@ENGINES
def test_routing_sees_a_shift_running_past_midnight(engine):
    # Manager 0 on 20:00-04:00, manager 1 on 09:00-18:00.  A lead at 01:00 on day 1 (1500) goes
    # to manager 0, on yesterday's shift, not to manager 1, whose shift starts first after it.
    document = doc(calendar={"default": "09:00-04:00"},
                   team={"managers": [{"team_lead": "tl", "count": 2, "tenure_days": 1000}],
                         "shifts": [{"name": "night", "pattern": "7/0", "start": "20:00", "hours": 8,
                                     "share": 0.5},
                                    {"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9,
                                     "share": 0.5}]})
    out, _ = run(document, [1500.0], engine)
    assert out.manager[0] == 0 and out.first_attempt[0] == 1500.0
