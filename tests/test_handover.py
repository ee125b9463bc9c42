"""Hand-over of leads whose owner is off (``routing.handover_after_hours``, MODEL.md section 3).

* Where the moments fall (``world.shifts.handover_moments``): block end + N
  hours, only if the next block starts later; never for a manager on duty
  around the clock; absence days are days off.
* Exact event logs on deterministic inputs, the reference engine, and the
  fast engine's outcomes equal to them: a follow-up of an owner whose shift
  ends (then a day off) goes to the manager on shift at block end + N hours,
  who makes the attempt; tasks due after the owner is back stay; nothing
  moves when the owner is back before that moment.
* Both engines lead by lead on a busy deterministic world (several policies,
  the shared queue), the fast engine's two loops equal with the rule on, and
  (slow) both engines in distribution.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.engines import des
from simsales.engines.contract import OFFER
from simsales.engines.fast import engine as fast
from simsales.montecarlo.metrics import METRICS
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.world import absence
from simsales.world.arrivals import Entry, Leads
from simsales.world.roster import build_roster
from simsales.world.shifts import FIRST_MOMENT, handover_moments
from simsales.world.world import World

from .agreement import disagreements
from .test_des_exact import DOC
from .test_fast_engine import worlds
from .test_floor_engines import SPLIT, small_with_rules

DAY = 1440.0
FIELDS = ("manager", "attempts", "end", "handovers")
TIMES = ("first_attempt", "contact", "offer_time", *SPLIT)


# -- the moments -------------------------------------------------------------------------------

def test_moments_fall_at_block_end_plus_n_hours_only_when_the_next_block_starts_later():
    # Manager 0: 09:00-18:00 on days 0 and 2 (day 1 off).  Manager 1: around the clock, shifts that
    # meet.  Manager 2: 09:00-18:00 every day.  Manager 3: 18:00-24:00 then 00:00-03:00: one block.
    start = np.array([[540.0, DAY, 2 * DAY + 540],
                      [0.0, DAY, 2 * DAY],
                      [540.0, DAY + 540, 2 * DAY + 540],
                      [1080.0, DAY, 2 * DAY]])
    end = np.array([[1080.0, DAY, 2 * DAY + 1080],
                    [DAY, 2 * DAY, 3 * DAY],
                    [1080.0, DAY + 1080, 2 * DAY + 1080],
                    [DAY, DAY + 180, 2 * DAY]])
    t, m, until = handover_moments(start, end, 60.0, 3 * DAY)
    # Manager 0: 19:00 day 0 (back on day 2 at 09:00), and 19:00 day 2 (no next block: until inf).
    # Manager 2: each 19:00, back at 09:00 next day; not on day 2's (next start: none, inf).
    # Manager 3: its block ends 03:00 day 1, 04:00 then; next block: none.
    # Managers 0, 2 and 3 are off at the start and begin more than an hour later: the block before the
    # start has handed over by then (FIRST_MOMENT, the tasks due before their first shift).
    assert list(zip(t, m, until, strict=True)) == [
        (FIRST_MOMENT, 0, 540.0), (FIRST_MOMENT, 2, 540.0), (FIRST_MOMENT, 3, 1080.0),
        (1140.0, 0, 2 * DAY + 540), (1140.0, 2, DAY + 540), (DAY + 240.0, 3, math.inf),
        (DAY + 1140.0, 2, 2 * DAY + 540), (2 * DAY + 1140.0, 0, math.inf), (2 * DAY + 1140.0, 2, math.inf)]
    # 16 hours after: manager 2 is back (09:00 < 10:00), manager 0 is not after day 0; at the start only
    # manager 3 (first shift at 18:00) is off longer than 16 hours for sure.
    t, m, until = handover_moments(start, end, 960.0, 3 * DAY)
    assert list(zip(t, m, strict=True)) == [(FIRST_MOMENT, 3), (1080.0 + 960.0, 0), (DAY + 180.0 + 960.0, 3)]
    # Exactly at the next start: back, no hand-over (15 hours after 18:00 is 09:00).
    t, m, _ = handover_moments(start[2:3], end[2:3], 900.0, 3 * DAY)
    assert t.size == 0  # and at the start: 09:00 is not more than 15 hours after any evening before


# -- exact, on deterministic inputs --------------------------------------------------------------

def two_managers(after: float | None, m0_day1: bool = False, policy: str = "round_robin",
                 m0_always: bool = False, absent: np.ndarray | None = None,
                 monkeypatch: pytest.MonkeyPatch | None = None, m1_late: bool = False,
                 created: tuple[float, ...] = (545.0, 650.0)) -> World:
    """Two managers, three days; leads (``created``) 0 at 09:05 and 1 at 10:50 on day 0.

    Manager 0 works 09:00-18:00 on days 0 and 2 (and 1 if ``m0_day1``; around the clock if
    ``m0_always``), manager 1 12:00-21:00 on day 0 (to 02:00 if ``m1_late``) and 09:00-18:00 on
    days 1 and 2.  The first
    attempt fails (a 2-minute dial, 4 at talk share 0.5), the second, 8 hours later, reaches (a
    20-minute call); the presentation (30 minutes) is due a day after the contact.  ``absent``: days
    away per manager, applied the way ``world.absence.with_absence`` does it.
    """
    doc = copy.deepcopy(DOC)
    doc["routing"] = {"policy": policy, "onboarding_days": 0, "handover_after_hours": after}
    doc["touch_chain"].update(offsets=["0m", "8h"], lead_ttl="3d")
    doc["funnel"]["offer"]["delay_days"] = 1.0
    if absent is not None:
        doc["team"]["absence"] = {"sick_share": 0.01}
    scenario = parse_scenario(yaml.safe_dump(doc), "<hand-over>")
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    start = np.array([[540.0, DAY + 540, 2 * DAY + 540], [720.0, DAY + 540, 2 * DAY + 540]])
    end = np.array([[1080.0, DAY + (1080 if m0_day1 else 540), 2 * DAY + 1080],
                    [DAY + 120.0 if m1_late else 1260.0, DAY + 1080, 2 * DAY + 1080]])
    if m0_always:
        start[0], end[0] = np.arange(3) * DAY, np.arange(1, 4) * DAY
    roster = dataclasses.replace(roster, shift_start=start, shift_end=end)
    if absent is not None:
        monkeypatch.setattr(absence, "absent_days", lambda *args: absent)
        roster = absence.with_absence(roster, scenario, key=1)
    n = len(created)
    leads = Leads(np.array(created), np.zeros(n, np.int64), np.ones(n, bool))
    return World(scenario, leads, roster)


def both(world: World):
    """The reference's outcomes and log; the fast engine's outcomes, checked equal to them."""
    log: list = []
    reference = des.simulate(world, np.random.default_rng(0), log=log)
    ours = fast.simulate(world, np.random.default_rng(0))
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in TIMES:
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-9,
                                   err_msg=field)
    return reference, log


START = [
    (545.0, "assign", 0, 0),
    (545.0, "attempt", 0, 0, 0, False),  # 545-549
    (650.0, "assign", 1, 0),  # manager 1 starts at 12:00: only manager 0 is on shift
    (650.0, "attempt", 1, 0, 0, False),
    (1025.0, "attempt", 0, 0, 1, True),  # 545 + 8 h; the call ends 1045: presentation due 2485
]


def test_a_follow_up_due_while_the_owner_is_off_goes_to_the_manager_on_shift():
    # Manager 0's block ends at 18:00 (1080), then a day off.  One hour later (1140) lead 1's second
    # attempt (due 650 + 480 = 1130) and lead 0's presentation (due 2485, before manager 0 is back
    # on day 2 at 09:00 = 3420) go to manager 1, the only one on shift, oldest first.
    out, log = both(two_managers(1.0))
    assert log == [
        *START,
        (1140.0, "handover", 1, 0, 1),
        (1140.0, "handover", 0, 0, 1),
        (1140.0, "attempt", 1, 1, 1, True),  # overdue: at once; the call ends 1160
        (2485.0, "present", 0, 1, True),  # day 1, 17:25: manager 1, the new owner, makes it
        # Lead 1's presentation (due 1160 + a day = 2600) is manager 1's; their block ends at 18:00
        # on day 1, so at 19:00 it is handed over: nobody is on shift, and the routing rule gives it
        # to one of those whose shift starts first (09:00 day 2), round robin's next: manager 0.
        (2580.0, "handover", 1, 1, 0),
        (3420.0, "present", 1, 0, True),
    ]
    assert list(out.manager) == [1, 0] and list(out.handovers) == [1, 2]
    assert list(out.offer_time) == [2515.0, 3450.0] and list(out.end) == [OFFER, OFFER]


def test_at_the_block_end_itself_with_zero_hours():
    out, log = both(two_managers(0.0))
    assert log[len(START):len(START) + 3] == [
        (1080.0, "handover", 1, 0, 1), (1080.0, "handover", 0, 0, 1),
        (1130.0, "attempt", 1, 1, 1, True)]  # due 1130: manager 1 makes it on time
    assert list(out.handovers) == [1, 2]  # lead 1's presentation again at 18:00 on day 1 (as above)


def test_off_the_rule_changes_nothing_and_the_tasks_wait_for_the_owner():
    out, log = both(two_managers(None))
    assert log == [
        *START,
        (3420.0, "attempt", 1, 0, 1, True),  # day 2, 09:00: manager 0 is back; the oldest due first
        (3440.0, "present", 0, 0, True),  # lead 0's, due 2485, after the call
    ]
    assert list(out.handovers) == [0, 0] and list(out.manager) == [0, 0]


def test_only_tasks_due_before_the_owner_is_back_are_handed_over():
    # Manager 0 works day 1 too: back at 1980.  Lead 1's follow-up (due 1130) goes at 19:00; lead
    # 0's presentation, due 2485, stays with manager 0, who makes it on day 1.
    out, log = both(two_managers(1.0, m0_day1=True))
    assert [e for e in log if e[1] == "handover"][:1] == [(1140.0, "handover", 1, 0, 1)]
    assert (2485.0, "present", 0, 0, True) in log
    assert out.manager[0] == 0 and list(out.handovers) == [0, 2]  # lead 1 again on day 1, as above


def test_no_hand_over_when_the_owner_is_back_before_the_moment():
    # Four more leads for manager 0 (09:20-09:50, only they are on shift before 12:00): at 18:00 three
    # follow-ups due 17:40-18:50 are still queued.  Manager 0 is back at 09:00 on day 1 and works
    # through them; at 09:15 (15.25 hours after 18:00) two are still queued, due before 09:00, but
    # the owner is back: nothing moves, and the run is the run with the rule off.
    created = (545.0, 560.0, 570.0, 580.0, 590.0, 650.0)
    out, log = both(two_managers(15.25, m0_day1=True, created=created))
    _, off_log = both(two_managers(None, m0_day1=True, created=created))
    assert log == off_log and not any(e[1] == "handover" for e in log)
    assert list(out.handovers) == [0] * 6 and (out.manager == 0).all()
    assert [e[0] for e in log if e[1] == "attempt" and e[0] >= 1980.0] == [1980.0, 2000.0, 2020.0]
    # With day 1 off, 16 hours is before manager 0 is back (day 2): handed over at 10:00 on day 1.
    out, log = both(two_managers(16.0))
    assert [e[:2] for e in log if e[1] == "handover"] == [(2040.0, "handover")] * 2
    assert (2040.0, "attempt", 1, 1, 1, True) in log


def test_absence_days_count_as_days_off(monkeypatch):
    # Manager 0 works day 1 on the rota but is away that day: as with day 1 off.
    away = np.array([[False, True, False], [False, False, False]])
    out, log = both(two_managers(1.0, m0_day1=True, absent=away, monkeypatch=monkeypatch))
    assert [e for e in log if e[1] == "handover"][:2] == [(1140.0, "handover", 1, 0, 1),
                                                         (1140.0, "handover", 0, 0, 1)]
    assert list(out.handovers) == [1, 2]  # lead 1 again on day 1, as with the day off


def test_a_manager_on_duty_around_the_clock_never_hands_over():
    # Manager 0 on shift every minute (shifts that meet at midnight: no break); manager 1 works to
    # 02:00 on day 0.  Leads at 23:56-23:59 alternate (round robin); at midnight manager 0 is dialling
    # lead 3 (23:57-00:01) with lead 5's first attempt (due 23:59) queued: it stays theirs.  Manager
    # 1's block ends at 02:00 with their two follow-ups queued: those go to manager 0.
    created = (545.0, 650.0, 1436.0, 1437.0, 1438.0, 1439.0)
    out, log = both(two_managers(0.0, m0_always=True, m1_late=True, created=created))
    assert [e[2:4] for e in log if e[1] == "assign"][2:] == [(2, 1), (3, 0), (4, 1), (5, 0)]
    assert not any(e[1] == "handover" and e[3] == 0 for e in log)
    assert (1441.0, "attempt", 5, 0, 0, False) in log
    assert [e for e in log if e[1] == "handover"] == [(1560.0, "handover", 2, 1, 0),
                                                     (1560.0, "handover", 4, 1, 0)]
    assert list(out.handovers) == [0, 0, 1, 0, 1, 0] and (out.manager == 0).all()


def test_under_the_shared_queue_the_tasks_go_back_to_the_departments_queue():
    # The lead goes back to the shared queue; the first free manager on shift takes it and keeps it.
    out, log = both(two_managers(1.0, policy="shared_queue"))
    assert [e for e in log if e[1] == "handover"] == [(1140.0, "handover", 1, 0, 2),
                                                     (1140.0, "handover", 0, 0, 2),  # 2: the queue
                                                     (2580.0, "handover", 1, 1, 2)]
    assert (1140.0, "attempt", 1, 1, 1, True) in log and (2485.0, "present", 0, 1, True) in log
    assert (3420.0, "present", 1, 0, True) in log  # the first free on day 2 takes it: manager 0
    assert list(out.manager) == [1, 0] and list(out.handovers) == [1, 2]


# -- both engines, busier worlds ----------------------------------------------------------------------

def busy_world(policy: str, after: float) -> World:
    """tests/test_floor_engines.py's deterministic world (day, late and night shifts, hires, leavers,
    every phase-A rule where the policy takes them) with the hand-over on."""
    from .test_floor_engines import deterministic_world

    world = deterministic_world("round_robin", "new_first")
    rt = world.scenario.routing
    update: dict = {"policy": policy, "handover_after_hours": after}
    if policy == "shared_queue":
        update.update(min_shift_left=0.0, max_new_per_day=None, ramp_share=1.0)
    sc = world.scenario.model_copy(update={"routing": rt.model_copy(update=update)})
    return World(sc, world.leads, world.roster)


@pytest.mark.parametrize("policy,after", [("round_robin", 0.0), ("round_robin", 3.0),
                                          ("least_loaded", 1.0), ("shared_queue", 2.0)])
def test_both_engines_give_the_same_outcomes_lead_by_lead(policy, after):
    world = busy_world(policy, after)
    log: list = []
    reference = des.simulate(world, np.random.default_rng(2), log=log)
    ours = fast.simulate(world, np.random.default_rng(1))
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in TIMES:
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-6,
                                   err_msg=field)
    handed = [e for e in log if e[1] == "handover"]
    assert (ours.handovers > 0).sum() > 20 and len(handed) >= (ours.handovers > 0).sum()
    # The hand-over moves leads: without it the outcomes differ.
    off = World(world.scenario.model_copy(update={"routing": world.scenario.routing.model_copy(
        update={"handover_after_hours": None})}), world.leads, world.roster)
    assert not np.array_equal(fast.simulate(off, np.random.default_rng(1)).manager, ours.manager)


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
@pytest.mark.parametrize("after", [0.0, 2.0])
def test_each_manager_alone_gives_the_event_loops_arrays_with_the_hand_over_on(policy, after,
                                                                                monkeypatch):
    scenario = small_with_rules(policy, handover_after_hours=after)
    handed = 0
    for r, world in worlds(scenario, 2):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", "handovers",
                      *SPLIT):
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)
        handed += (split.handovers > 0).sum()
    assert handed > 100


def test_the_metric_counts_the_leads_handed_over():
    from simsales.montecarlo.metrics import measure
    from simsales.world.deals import draw_clients, settle

    world = two_managers(1.0, m0_day1=True)
    out = fast.simulate(world, np.random.default_rng(0))
    deals = settle(world.scenario.funnel, draw_clients(world.scenario.funnel, 2, np.random.default_rng(0)),
                   np.where(out.end == OFFER, out.offer_time, np.nan))
    metrics, _ = measure(world, out, deals)
    assert metrics["handovers"] == 1 and "handovers" in METRICS


# -- both engines in distribution ----------------------------------------------------------------

@pytest.mark.slow
def test_the_engines_agree_in_distribution_with_the_hand_over_on():
    """Means within 3 combined standard errors; hand-overs and offers per replication pass KS at 1%."""
    scenario = small_with_rules("round_robin", handover_after_hours=1.0)
    runs: dict[str, list] = {"des": [], "fast": []}
    for r, world in worlds(scenario, 12):
        for name, engine in (("des", des.simulate), ("fast", fast.simulate)):
            out = engine(world, stream(scenario.seed, r, "dynamics"))
            runs[name].append(((out.handovers > 0).sum(), (out.end == OFFER).sum(),
                               np.isfinite(out.contact).sum()))
    columns = ["handovers", "offers", "contacts"]
    a, b = (pd.DataFrame(runs[name], columns=columns, dtype=float) for name in ("des", "fast"))
    assert a["handovers"].mean() > 100  # many leads handed over
    assert not disagreements(a, b, columns, ks=["handovers", "offers"])


# -- the field ---------------------------------------------------------------------------------------

def test_the_field_is_off_by_default_and_a_bad_value_names_it():
    from .test_validation import error_of, parse, q3

    doc = q3(7)
    doc["routing"].pop("handover_after_hours", None)
    assert parse(doc).routing.handover_after_hours is None
    for given, hours in ((2, 2.0), ("2 hours", 2.0), ("90m", 1.5), ("1d", 24.0), (0, 0.0)):
        doc["routing"]["handover_after_hours"] = given
        assert parse(doc).routing.handover_after_hours == hours
    for bad, word in ((-1, "0"), ("soon", "hours"), ("2 parsecs", "unit")):
        doc["routing"]["handover_after_hours"] = bad
        problem = next(p for p in error_of(doc).problems if p.field == "routing.handover_after_hours")
        assert word in problem.message, problem.message


def test_an_owner_off_at_a_pipeline_start_hands_over_at_once():
    # A run from an open pipeline: lead 0, created 10 hours before the start, its second attempt
    # overdue (due at minute 0), owned by manager 1, who starts at 12:00.  The block manager 1 worked
    # before the start ended before minute 0, so its hand-over (an hour later) has come: just after
    # the pipeline's leads arrive (FIRST_MOMENT), the attempt goes to whoever starts first, manager 0
    # at 09:00.  Without the hand-over rule manager 1 makes it at 12:00.
    def world(after):
        w = two_managers(after, created=(-600.0, 545.0))
        entry = Entry(np.array([1]), np.array([0.0]), np.array([1]))
        return dataclasses.replace(w, leads=dataclasses.replace(w.leads, entry=entry))

    out, log = both(world(1.0))
    assert log[:3] == [(0.0, "assign", 0, 1), (FIRST_MOMENT, "handover", 0, 1, 0),
                       (540.0, "attempt", 0, 0, 1, True)]
    assert out.handovers[0] == 2  # and at 19:00 its presentation, as manager 0 is off on day 1
    kept, log = both(world(None))
    assert (720.0, "attempt", 0, 1, 1, True) in log and kept.handovers[0] == 0
