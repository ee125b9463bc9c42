"""Both engines lead by lead where the order of simultaneous events or the horizon's edge decides.

Found by a survey of random rule combinations with every chance 0 or 1
(every chance certain, so the engines must agree lead by lead):

* Under ``shared_queue``, managers who start a shift at the same minute
  take the queue's tasks in the order the reference engine's manager
  processes planned their waits: off shift, the wait for the next shift
  is planned when the manager goes off (at the end of the last call, or
  at the shift's end when idle); an idle wait on shift resumes one step
  after the other events of its minute (SimPy's ``any_of``); every manager
  plans a first wait at the start, and a standby when brought in.  The fast
  engine's event loop planned the wait of an idle manager only when a task
  came, and in index order, so a manager who had nothing to do took the
  next shift's first task from the one who had just worked.
* A hand-over of a task due after the horizon keeps its owner ("if nobody
  works at that time within the horizon, it stays"): the fast engine
  routed it to a manager whose shift of the last day runs past midnight.
"""

from __future__ import annotations

import copy

import numpy as np

from .test_booked_work import both
from .test_des_exact import DOC


def two_teams(doc: dict, first: dict, second: dict) -> None:
    """Manager 0 (team lead a) works shift ``first``, manager 1 (team lead b) shift ``second``."""
    doc["team"].update(team_leads=[{"name": "a"}, {"name": "b"}],
                       managers=[{"team_lead": "a", "count": 1, "tenure_days": 1000},
                                 {"team_lead": "b", "count": 1, "tenure_days": 1000}],
                       shifts=[{"name": "first", "pattern": "7/0", "team_leads": ["a"], **first},
                               {"name": "second", "pattern": "7/0", "team_leads": ["b"], **second}])


def shared_doc(**team: object) -> dict:
    doc = copy.deepcopy(DOC)
    doc["routing"] = {"policy": "shared_queue", "onboarding_days": 0}
    doc["touch_chain"].update(offsets=["0m"], p_contact=[0.0], dial_minutes=0.5)
    doc["team"].update(talk_share=1.0, **team)
    return doc


def test_managers_starting_together_take_the_shared_queue_in_the_order_they_went_off():
    # Seven managers on a 3/3 rota of night shifts (22:00 for 9 hours), the floor open around
    # the clock, two days.  Managers 0, 1 and 6 work the first night, 5 the second only (its
    # wait for it planned at the start); 0, 1 and 6 went off at 24:00, 6 (idle) first.
    doc = shared_doc(managers=[{"team_lead": "tl", "count": 7, "tenure_days": 300}],
                     shifts=[{"name": "night", "pattern": "3/3", "start": "22:00", "hours": 9}])
    doc.update(horizon_days=2, calendar={"default": "00:00-24:00"})
    out, log, _ = both(doc, [701.0, 1065.0, 1479.0, 2394.0])
    assert [e[3] for e in log if e[1] == "attempt"] == [0, 1, 5, 6]
    np.testing.assert_array_equal(out.manager, [0, 1, 5, 6])


def test_a_manager_idle_from_the_start_goes_off_first():
    # Two managers on 00:00-10:30 every day.  Manager 1 has waited since 00:00 for the shift's end,
    # manager 0 since a call at 07:12: at 10:30 manager 1 goes off first and takes the next day's
    # first task (the fast engine planned manager 1's wait only when that task came, after 0's).
    doc = shared_doc(shifts=[{"name": "early", "pattern": "7/0", "start": "00:00", "hours": 10.5}])
    doc.update(horizon_days=2, calendar={"default": "00:00-24:00"})
    _, log, _ = both(doc, [432.0, 1247.0])
    assert [(e[0], e[2], e[3]) for e in log if e[1] == "attempt"] == [(432.0, 0, 0), (1440.0, 1, 1)]


def test_an_idle_wait_on_shift_ends_after_a_call_that_ends_the_same_minute():
    # Manager 0 works 09:00-10:00 and has nothing to do; manager 1 works 08:00-10:00 and makes
    # a lead's second attempt 09:58-10:00.  Both end their shift at 10:00: manager 1's call
    # ends first (the idle wait resumes a step later), so manager 1 goes off first and takes
    # the next morning's first task (a short day: both start at 09:30).
    doc = shared_doc()
    two_teams(doc, {"start": "09:00", "hours": 1}, {"start": "08:00", "hours": 2})
    doc["touch_chain"].update(offsets=["0m", "178m"], p_contact=[0.0, 0.0], dial_minutes=2)
    doc.update(horizon_days=2,
               calendar={"default": "08:00-19:00", "short_days": {"2026-07-07": "09:30-16:00"}})
    out, log, _ = both(doc, [420.0, 1200.0, 1260.0])
    assert [(e[0], e[2], e[3]) for e in log if e[1] == "attempt"][:4] == [
        (480.0, 0, 1), (598.0, 0, 1), (2010.0, 1, 1), (2010.0, 2, 0)]
    np.testing.assert_array_equal(out.manager, [1, 1, 0])


def test_a_task_due_after_the_horizon_is_not_handed_over():
    # Manager 0 works 09:00-18:00, manager 1 nights 20:00-04:00; one day.  A lead of 17:00 fails
    # its first attempt; its follow-up is due at 01:00, after the horizon: at 18:00 (the hand-over
    # moment) nobody works then within the horizon, so it stays with manager 0.
    doc = copy.deepcopy(DOC)
    doc.update(horizon_days=1, calendar={"default": "09:00-04:00"})
    doc["routing"] = {"policy": "round_robin", "onboarding_days": 0, "handover_after_hours": 0}
    doc["touch_chain"].update(offsets=["0m", "8h"], p_contact=[0.0, 1.0], lead_ttl="1d")
    two_teams(doc, {"start": "09:00", "hours": 9}, {"start": "20:00", "hours": 8})
    out, log, ours = both(doc, [1020.0])
    assert out.manager[0] == 0 and out.handovers[0] == 0 and ours.handovers[0] == 0
    assert [e for e in log if e[1] == "handover"] == [(1080.0, "handover", 0, 0, 0)]
