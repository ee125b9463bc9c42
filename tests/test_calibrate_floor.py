"""Round trips for the sales-floor rules calibrate fits: absence and the routing rules (MODEL.md 1, 3).

A small department with known absence, ``min_shift_left`` and
``handover_after_hours`` is played by the reference engine and exported
(:mod:`simsales.montecarlo.events`); :func:`simsales.calibrate.calibrate`
must find each value inside its interval.  The same department with the
rules off must get the defaults (no rule read into noise).  The absence
reader is also checked on absences drawn by the engine's own draw
(:func:`simsales.world.absence.absent_days`) over a large synthetic rota,
where the truth is exact.
"""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.analysis.backtest import scenario_of
from simsales.calibrate import calibrate
from simsales.calibrate.absence import read_absences, vacation_weeks
from simsales.calibrate.daily_cap import after_closed, cap_holds, daily_cap
from simsales.calibrate.frame import build_frame, window
from simsales.calibrate.routing import fit_routing
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from simsales.world.absence import WEEKS_PER_YEAR, absent_days
from tests.test_calibrate_roundtrip import TRUTH as EVEN_TRUTH
from tests.test_calibrate_roundtrip import interval

TRUTH = {
    "name": "floor", "start": "2026-07-06", "horizon_days": 84, "seed": 3, "warmup_days": 0,
    "calendar": {"default": "09:00-21:00"},
    "channels": [{"name": "ads", "leads_per_day": 60, "cpl": 500}],
    "routing": {"policy": "round_robin", "onboarding_days": 0, "min_shift_left": 45,
                "handover_after_hours": 3, "max_new_per_day": 5},
    "touch_chain": {"offsets": ["0m", "2h", "1d", "2d"], "p_contact": [0.5, 0.4, 0.3, 0.25],
                    "dial_minutes": 1, "call_minutes": 8, "lead_ttl": "3d"},
    "funnel": {"qualify": 0.4,
               "offer": {"p": 0.6, "delay_days": {"exponential": 1.5}, "call_minutes": 20},
               "cooling": {"half_life_days": 2}, "presentation_within_days": 3,
               "installment_share": 0.5,
               "invoice_paid": {"p": 0.85, "delay_days": {"exponential": 2}},
               "link_filled": {"p": 0.75, "delay_days": {"exponential": 1}},
               "bank_approved": {"p": 0.85, "delay_days": {"exponential": 1}},
               "price": {"check": 60000}},
    "team": {"team_leads": [{"name": "anna", "tenure_days": 400}],
             "managers": [{"team_lead": "anna", "count": 30, "tenure_days": 300}],
             "shifts": [{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 8, "share": 0.5},
                        {"name": "late", "pattern": "2/2", "start": "13:00", "hours": 8, "share": 0.5}],
             "talk_share": 0.6, "skill": 1.0, "span_max": 30,
             "absence": {"sick_share": 0.05, "vacation_weeks_per_year": 6},
             "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
    "plans": [{"name": "hold"}],
}
"""30 managers on a 5/2 and a 2/2 rota, 12 weeks, 60 leads a day: about 5,000 leads, 1,300 shifts,
1,700 qualified leads; a client waits 1.5 days for the presentation on average, so about one in seven
waits past the 3-day limit."""


def _calibrated(truth: dict, seed: int):
    scenario = parse_scenario(yaml.safe_dump(truth, sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", replication=0, seed=seed)
    cal = calibrate(run.export)
    return cal, scenario_of(cal.document)


@pytest.fixture(scope="module")
def with_rules():
    return _calibrated(TRUTH, seed=5)


@pytest.fixture(scope="module")
def without_rules():
    truth = copy.deepcopy(TRUTH)
    truth["routing"] = {"policy": "round_robin", "onboarding_days": 0}
    truth["team"].pop("absence")
    for rule in ("cooling", "presentation_within_days"):
        truth["funnel"].pop(rule)
    return _calibrated(truth, seed=5)


def test_sick_share_is_recovered_within_its_99_percent_interval(with_rules):
    _, sc = with_rules
    lo, hi = interval(sc.team.absence.sick_share, 0.99)
    assert lo <= 0.05 <= hi, (lo, hi)


def test_vacation_weeks_are_recovered_within_their_interval(with_rules):
    cal, sc = with_rules
    weeks = sc.team.absence.vacation_weeks_per_year
    assert 6 * 0.6 <= weeks <= 6 * 1.4, weeks  # 35 or so runs: a relative sd of about 17%
    assert "90% interval" in cal.comments["team.absence.vacation_weeks_per_year"]


def test_min_shift_left_is_the_edge_of_the_times_left(with_rules):
    """No lead came in with less than 45 minutes of its first caller's block left; many came just above."""
    _, sc = with_rules
    assert 44 <= sc.routing.min_shift_left <= 45


def test_max_new_per_day_is_where_the_daily_counts_pile_up(with_rules):
    """About 3.3 new leads a manager-day on average, capped at 5: the busier days pile up at 5, none above."""
    cal, sc = with_rules
    assert sc.routing.max_new_per_day == 5, cal.comments.get("routing.max_new_per_day")


def _manager_days(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(manager, minute) per lead for manager-days holding ``count`` leads each, ``days`` of them."""
    who, at, m = [], [], 0
    for count, days in counts.items():
        for _ in range(days):
            who += [m % 20] * count
            at += [(m // 20) * 1440.0 + 600.0] * count  # manager m % 20 on day m // 20
            m += 1
    return np.array(who), np.array(at)


def test_a_pile_up_above_the_bulk_is_a_cap_and_one_at_the_bulk_is_not():
    """Capped at 6: the busier days pile up at 6 above a median of 4; even routing bunches at its mean."""
    k, days, chance = daily_cap(*_manager_days({3: 100, 4: 80, 5: 30, 6: 60}))
    assert (k, days) == (6, 60) and chance < 1e-5  # 60 where Poisson(30), the count below, would give
    assert daily_cap(*_manager_days({5: 20, 6: 100, 7: 5})) is None  # round robin: at the median
    assert daily_cap(*_manager_days({3: 100, 4: 80, 5: 30, 6: 60, 7: 20})) is None  # a third beyond: no cap


def test_a_pile_up_of_the_on_shift_leads_that_all_the_leads_break_is_no_cap():
    """The on-shift leads pile up at 6 (the cap's test reads a cap), but all the leads the first calls
    show, overnight leads too, run on past 6 (a cap of 14 less the overnight leads' share of it): 6 is
    not a cap. Where all the leads stop at it too (at most half as many manager-days one beyond), it is
    one, even with a tail beyond (leads whose day is misread)."""
    on_shift = _manager_days({3: 100, 4: 80, 5: 30, 6: 60})
    assert daily_cap(*on_shift) is not None
    assert not cap_holds(6, *_manager_days({4: 20, 5: 20, 6: 20, 7: 30, 10: 80, 14: 60}))
    assert not cap_holds(6, *_manager_days({9: 100, 10: 80, 12: 30, 14: 60}))  # none at 6
    assert cap_holds(6, *on_shift)
    assert cap_holds(6, *_manager_days({3: 100, 4: 80, 5: 30, 6: 60, 7: 30, 8: 40, 9: 40}))


def _even_floor(managers: int, days: int, cap: int | None = None, late: float = 0.0) -> dict:
    """EVEN_TRUTH (round robin, 5/2: shut at weekends, leads every day) with ``managers`` managers at
    its load per manager (about 8.6 new leads a day), ``days`` long; with ``late`` a share of them on a
    5/2 shift 13:00-21:00 (the others 09:00-17:00) and fewer leads at weekends."""
    doc = copy.deepcopy(EVEN_TRUTH)
    doc["horizon_days"] = days
    doc["channels"][0]["leads_per_day"] = managers * 80 // 14
    doc["channels"][1]["leads_per_day"] = managers * 40 // 14
    doc["team"]["managers"] = [{"team_lead": "anna", "count": managers - managers // 2, "tenure_days": 300},
                               {"team_lead": "boris", "count": managers // 2, "tenure_days": 300}]
    if late:
        doc["team"]["shifts"] = [
            {"name": "day", "pattern": "5/2", "start": "09:00", "hours": 8, "share": 1 - late},
            {"name": "late", "pattern": "5/2", "start": "13:00", "hours": 8, "share": late}]
        for channel in doc["channels"]:
            channel["weekday_profile"] = [1.2] * 5 + [0.5] * 2
    if cap is not None:
        doc["routing"]["max_new_per_day"] = cap
    return doc


def _routing(doc: dict, seed: int):
    scenario = parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<truth>")
    export = simulate_events(scenario, "hold", replication=0, seed=seed).export
    return fit_routing(build_frame(export, *window(export, None, None)))


@pytest.mark.parametrize(("managers", "days", "seed"), [(14, 56, 12), (14, 56, 17), (10, 56, 4), (6, 28, 4)])
def test_round_robin_without_a_cap_is_not_read_as_one(managers, days, seed):
    """Round robin on a floor shut at weekends, leads every day: every manager gets about the day's
    mean, and on Monday about three days' worth (the weekend's backlog, handed out evenly), a bunch
    above every other day's with little above it.  No cap is read into it.  Each of these floors was
    read as capped before the pile had to show on ordinary days too (28, 30, 29 and 28 leads where each
    manager got about 9 new leads a day); 167 such floors (6 to 60 managers, 4 or 8 weeks) all read none."""
    part = _routing(_even_floor(managers, days), seed)
    assert "routing.max_new_per_day" not in part.values, part.values.get("routing.max_new_per_day")
    assert "routing.max_new_per_day" in part.defaults


@pytest.mark.parametrize(("cap", "seed"), [(11, 2), (12, 1), (13, 3)])
def test_a_cap_that_binds_on_weekdays_is_read_on_a_floor_shut_at_weekends(cap, seed):
    """10 managers on 5/2, 3 of them on the late shift that alone takes the evening's leads: the cap
    stops them on ordinary weekdays (some Tuesdays to Thursdays every manager) and every manager on
    Monday, with the weekend's backlog; the days after the weekend are not all the pile stands on.
    Recovered exactly (15 floors: caps 11-13, 5 seeds each)."""
    part = _routing(_even_floor(10, 56, cap=cap, late=0.3), seed)
    assert part.values.get("routing.max_new_per_day") == cap, part.comments.get("routing.max_new_per_day")


def test_the_days_after_a_shut_day_are_the_backlogs():
    """Two weeks open Monday to Friday 09:00-21:00, the second Wednesday off for everyone: Monday
    (day 7) and Thursday (day 10) follow a shut day; Sunday, after a shut Saturday, too. A shift past
    midnight keeps the next day open; the day before the first shift is not taken as shut."""
    week = [d for d in range(14) if d % 7 < 5 and d != 9]
    blk = {m: (np.array([d * 1440.0 + 540 for d in week]), np.array([d * 1440.0 + 1260 for d in week]))
           for m in range(3)}
    assert list(after_closed(blk)) == [6, 7, 10]
    late_thursday = {0: (np.array([1440.0 + 540, 3 * 1440 + 1200]), np.array([1440.0 + 1260, 4 * 1440 + 60]))}
    assert list(after_closed(late_thursday)) == [3]  # Friday open to 01:00


def _floor_days(ordinary: dict[int, int], mondays: list[int], managers: int = 10) -> tuple[np.ndarray, ...]:
    """(manager, minute) per lead: on ordinary days 0-3, 7-10, ... ``ordinary[count]`` manager-days with
    ``count`` leads in turn; on each Monday (day 7, 14, ...) every manager at that Monday's count."""
    who, at, cells = [], [], [c for c, n in ordinary.items() for _ in range(n)]
    for i, count in enumerate(cells):
        week, rest = divmod(i // managers, 4)
        day = 7 * week + 1 + rest
        who += [i % managers] * count
        at += [day * 1440.0 + 600] * count
    for w, count in enumerate(mondays, start=1):
        for m in range(managers):
            who += [m] * count
            at += [7 * w * 1440.0 + 600] * count
    return np.array(who), np.array(at)


def test_a_bunch_on_the_days_after_a_shut_day_alone_is_no_cap():
    """Ordinary days at 8-10 new leads a manager, Mondays at 24-28 (each Monday's backlog split
    evenly): three Mondays' 30 manager-days at 28, nothing beyond, read as a cap when every day
    counts alike; with the Mondays known as the days after a shut day it is none. A cap of 10 that
    stops the ordinary days' busier half and every Monday is read either way."""
    mondays = [25, 28, 26, 24, 28, 26, 25, 28]
    split = _floor_days({8: 120, 9: 120, 10: 80}, mondays)
    closed = np.arange(1, 9) * 7
    assert daily_cap(*split)[0] == 28  # the misreading
    assert daily_cap(*split, closed) is None
    capped = _floor_days({7: 100, 8: 120, 9: 60, 10: 100}, [10] * 8)
    assert daily_cap(*capped, closed)[0] == daily_cap(*capped)[0] == 10


def test_handover_after_hours_is_the_earliest_attempt_after_the_owner_left(with_rules):
    """Hand-overs happen 3 h after the owner's block ends; the receiver's attempt comes then or later."""
    _, sc = with_rules
    assert sc.routing.handover_after_hours == pytest.approx(3.0, abs=0.1)


def test_rules_that_are_off_stay_at_their_defaults(without_rules):
    cal, sc = without_rules
    assert sc.routing.min_shift_left == 0
    assert sc.routing.max_new_per_day is None
    assert sc.routing.handover_after_hours is None
    assert "routing.min_shift_left" in cal.defaults
    assert "routing.max_new_per_day" in cal.defaults
    assert "routing.handover_after_hours" in cal.defaults
    lo, hi = interval(sc.team.absence.sick_share, 0.99)
    assert lo < 0.005 and hi < 0.01, (lo, hi)
    assert sc.team.absence.vacation_weeks_per_year == 0


def test_presentation_within_days_is_when_missed_presentations_are_lost(with_rules):
    _, sc = with_rules
    assert sc.funnel.presentation_within_days == pytest.approx(3.0, abs=0.01)


def test_the_cooling_half_life_is_recovered_within_its_interval(with_rules):
    """Within each manager, the offer chance halves every 2 days of waiting; the 90% interval holds 2."""
    cal, sc = with_rules
    assert sc.funnel.cooling.half_life_days == pytest.approx(2.0, rel=0.35)
    interval_text = cal.comments["funnel.cooling"].split("90% ")[1].split(")")[0]
    lo, hi = (float(x) for x in interval_text.split(".."))
    assert lo <= 2.0 <= hi, interval_text


def test_the_offer_chance_is_the_one_at_no_wait_among_presentations_held(with_rules):
    """0.6 before cooling: the rate per qualified lead (about 0.37) over the share held and mean cooling."""
    _, sc = with_rules
    lo, hi = interval(sc.funnel.offer.p, 0.99)
    assert lo - 0.03 <= 0.6 <= hi + 0.03, (lo, hi)  # the held share and the cooling are estimates too


def test_presentation_rules_that_are_off_stay_off(without_rules):
    cal, sc = without_rules
    assert sc.funnel.cooling.half_life_days is None
    assert sc.funnel.presentation_within_days is None
    assert {"funnel.cooling", "funnel.presentation_within_days"} <= set(cal.defaults)
    lo, hi = interval(sc.funnel.offer.p, 0.99)
    assert lo <= 0.6 <= hi, (lo, hi)


def _rota_frame(n_managers: int, n_days: int, sick: float, weeks: float, key: int):
    """Shifts of managers on 5/2 (even) and 2/2 (odd, phases spread), minus the engine's absences."""
    since = dt.date(2026, 1, 5)
    d = np.arange(n_days)
    m = np.arange(n_managers)[:, None]
    due = np.where(m % 2 == 0, ((d + since.weekday()) % 7 < 5)[None, :], (d[None, :] + m) % 4 < 2)
    away = absent_days(key, n_managers, n_days, since, sick, weeks)
    rows, days = np.nonzero(due & ~away)
    day0 = (since - dt.date(1970, 1, 1)).days
    shifts = pd.DataFrame({"manager": rows, "day": (day0 + days).astype(float),
                           "start": "09:00", "end": "18:00"})
    staff = pd.DataFrame({"hired": np.full(n_managers, day0 - 400.0), "left": np.full(n_managers, np.nan)})
    frame = SimpleNamespace(shifts=shifts, staff=staff, since_day=day0, days=n_days, period="synthetic")
    return frame, due, away


def test_the_absence_reader_splits_vacation_weeks_from_sick_days_exactly_as_drawn():
    """Over 60 managers and half a year, the reader's shares match the engine's own draw.

    The true sick share and vacation weeks are the draw's (the share of rota
    days absent in vacation weeks, and outside them); the reader may miss
    only sick days that touch a vacation week and vacation cut by the edges.
    """
    frame, due, away = _rota_frame(60, 182, 0.04, 5.0, key=7)
    a = read_absences(frame)
    assert a.rota_days == due.sum()
    assert a.sick_days + a.vacation_days == (due & away).sum()  # every absence is read, once
    weeks, lo, hi = vacation_weeks(a, z=2.58)
    assert lo <= 5.0 <= hi, (weeks, lo, hi)
    assert weeks == pytest.approx(a.vacation_days / a.rota_days * WEEKS_PER_YEAR)
    s = a.sick_days / (a.rota_days - a.vacation_days)
    se = np.sqrt(0.04 * 0.96 / (a.rota_days - a.vacation_days))
    assert abs(s - 0.04) <= 2.58 * se, (s, se)


def test_a_floor_wide_holiday_is_not_an_absence():
    frame, _, _ = _rota_frame(40, 91, 0.0, 0.0, key=1)
    holiday = frame.since_day + 10  # a Thursday: every 5/2 and half the 2/2 managers were due
    frame.shifts = frame.shifts[frame.shifts["day"] != holiday].reset_index(drop=True)
    a = read_absences(frame)
    assert a.holidays == 1
    assert a.sick_days == 0 and a.vacation_days == 0
