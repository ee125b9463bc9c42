"""The reference engine, exactly: deterministic inputs and the event log they give."""

from __future__ import annotations

import numpy as np
import yaml

from simsales.engines.contract import OFFER
from simsales.engines.des import simulate
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.roster import build_roster
from simsales.world.world import World

DOC = {
    "name": "exact",
    "start": "2026-07-06",
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
        "managers": [{"team_lead": "tl", "count": 2, "tenure_days": 1000}],
        "shifts": [{"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9}],
        "talk_share": 0.5,  # every minute of call takes two of shift
    },
    "plans": [{"name": "hold"}],
}


def run(doc: dict, created: list[float]):
    scenario = parse_scenario(yaml.safe_dump(doc), "<exact>")
    n = len(created)
    leads = Leads(np.array(created), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    log: list = []
    out = simulate(World(scenario, leads, roster), np.random.default_rng(0), log=log)
    return out, log


def test_event_log_of_three_leads_and_two_managers():
    out, log = run(DOC, [540.0, 545.0, 546.0])  # 09:00, 09:05, 09:06 on day 0
    assert log == [
        (540.0, "assign", 0, 0),
        (540.0, "attempt", 0, 0, 0, False),  # dial 2 min / talk share 0.5 = 4 min
        (545.0, "assign", 1, 1),
        (545.0, "attempt", 1, 1, 0, False),
        (546.0, "assign", 2, 0),  # round robin comes back to manager 0
        (546.0, "attempt", 2, 0, 0, False),
        (570.0, "attempt", 0, 0, 1, True),  # due at 540 + 30; call 20 min
        (575.0, "attempt", 1, 1, 1, True),
        (590.0, "attempt", 2, 0, 1, True),  # due at 576, manager busy until 590
        # presentations due half a day later, after closing: next morning 09:00 = 1980
        (1980.0, "present", 1, 1, True),
        (1980.0, "present", 0, 0, True),
        (2010.0, "present", 2, 0, True),
    ]
    assert list(out.attempts) == [2, 2, 2]
    assert list(out.first_attempt) == [540.0, 545.0, 546.0]
    assert list(out.contact) == [570.0, 575.0, 590.0]
    assert list(out.end) == [OFFER] * 3
    assert list(out.offer_time) == [2010.0, 2010.0, 2040.0]
    assert list(out.busy_minutes) == [4 + 4 + 20 + 20 + 30 + 30, 4 + 20 + 30]


def attempts_of(log: list) -> list[tuple[float, int, int]]:
    return [(event[0], event[2], event[4]) for event in log if event[1] == "attempt"]


def test_new_first_takes_a_fresh_lead_before_a_due_follow_up():
    doc = yaml.safe_load(yaml.safe_dump(DOC))
    doc["team"]["managers"][0]["count"] = 1
    # One manager.  Lead 0's second attempt falls due at 570; lead 2 arrives at
    # 571 while the manager dials lead 1 (568-572): at 572 both are due.
    _, log = run(doc, [540.0, 568.0, 571.0])
    assert attempts_of(log)[:4] == [(540.0, 0, 0), (568.0, 1, 0), (572.0, 2, 0), (576.0, 0, 1)]
    doc["touch_chain"]["priority"] = "due_first"
    _, log = run(doc, [540.0, 568.0, 571.0])
    # The oldest due first: lead 0's follow-up (a contact: 20 minutes), then lead 2.
    assert attempts_of(log)[:4] == [(540.0, 0, 0), (568.0, 1, 0), (572.0, 0, 1), (592.0, 2, 0)]


def test_leads_outside_hours_wait_for_the_next_shift_and_expire_past_ttl():
    doc = yaml.safe_load(yaml.safe_dump(DOC))
    doc["touch_chain"]["lead_ttl"] = "10h"
    # 20:00 on day 0: assigned to the next shift (09:00 day 1 = 1980), 13 hours later
    out, log = run(doc, [1200.0])
    assert log[0] == (1200.0, "assign", 0, 0)
    assert log[1] == (1980.0, "expire", 0, 0)
    assert out.attempts[0] == 0
    doc["touch_chain"]["lead_ttl"] = "14h"
    out, log = run(doc, [1200.0])
    assert log[1] == (1980.0, "attempt", 0, 0, 0, False)
    assert out.first_attempt[0] - 1200.0 == 780.0
