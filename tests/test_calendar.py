"""The calendar and shifts: holidays, short days, named weekdays, shifts tied to teams, absence.

Exact windows on small inputs, the absence rates against their definition
(a binomial bound), and the validation errors that name the field.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simsales.scenario import Calendar, Shift
from simsales.scenario.loader import InputError, parse_scenario
from simsales.world.absence import WEEKS_PER_YEAR, absent_days
from simsales.world.calendar import MINUTES_PER_DAY, opening_hours, shift_groups, shift_windows

from .conftest import SMALL

MONDAY = dt.date(2026, 12, 28)


def test_a_holiday_closes_the_day_and_a_short_day_cuts_the_shift():
    calendar = Calendar(holidays=["2026-12-31..2027-01-02", dt.date(2027, 1, 7)],
                        short_days={dt.date(2026, 12, 30): "10:00-15:00"})
    open_at, close_at = opening_hours(calendar, MONDAY, 11)
    closed = [d for d in range(11) if open_at[d] == close_at[d]]
    assert closed == [3, 4, 5, 10]  # 31 Dec, 1 and 2 Jan, 7 Jan
    assert (open_at[2], close_at[2]) == (600, 900)
    starts, ends = shift_windows([Shift(name="day", pattern="7/0", start="09:00", hours=9)], calendar,
                                 MONDAY, 11, 1)
    worked = (ends - starts)[0] / 60
    assert list(worked) == [9, 9, 5, 0, 0, 0, 9, 9, 9, 9, 0]


def test_named_weekdays_are_the_days_worked_whatever_the_phase():
    shift = Shift(name="weekdays", days=["mon", "tue", "wed", "thu", "fri"])
    starts, ends = shift_windows([shift], Calendar(), MONDAY, 14, 5)
    on = ends > starts
    weekday = (np.arange(14) + MONDAY.weekday()) % 7
    assert (on == (weekday < 5)[None, :]).all()  # every manager, Monday to Friday
    assert (starts[on] % MINUTES_PER_DAY == 9 * 60).all()


def test_a_rotating_pattern_keeps_its_phases():
    long = Shift(name="long", pattern="2/2", hours=12)
    starts, ends = shift_windows([long], Calendar(default="08:00-22:00"), MONDAY, 8, 4)
    on = (ends > starts).astype(int)
    # the k-th manager starts k days into the cycle
    assert on.tolist() == [[1, 1, 0, 0, 1, 1, 0, 0], [1, 0, 0, 1, 1, 0, 0, 1],
                           [0, 0, 1, 1, 0, 0, 1, 1], [0, 1, 1, 0, 0, 1, 1, 0]]
    assert (on.sum(axis=0) == 2).all()  # every day covered by half the group


def test_managers_of_a_group_on_the_same_phase_work_the_same_days_in_rows_of_their_own():
    shifts = [Shift(name="long", pattern="2/2", share=0.6, hours=12),
              Shift(name="weekdays", days=["mon", "tue", "wed", "thu", "fri"], share=0.4)]
    calendar = Calendar(default="08:00-22:00", holidays=[MONDAY + dt.timedelta(days=3)])
    starts, ends = shift_windows(shifts, calendar, MONDAY, 15, 10, before=3)
    group = shift_groups(shifts, 10)
    rotating = np.flatnonzero(group == 0)
    weekly = np.flatnonzero(group == 1)
    assert len(rotating) == 6 and len(weekly) == 4
    for k, m in enumerate(rotating):  # the k-th manager of the 2/2 group: phase k mod 4
        one = shift_windows([shifts[0]], calendar, MONDAY, 15, k % 4 + 1, before=3)
        assert np.array_equal(starts[m], one[0][k % 4]) and np.array_equal(ends[m], one[1][k % 4])
    assert (starts[weekly] == starts[weekly[0]]).all() and (ends[weekly] == ends[weekly[0]]).all()
    assert (ends[:, 3 + 3] == starts[:, 3 + 3]).all()  # the holiday closes the day for everyone
    starts[rotating[0]] += 1.0  # each manager's days are their own (rows are not shared)
    assert not np.array_equal(starts[rotating[0]], starts[rotating[4]])


def test_a_shift_tied_to_teams_takes_only_their_managers():
    shifts = [Shift(name="evening", share=0.5, start="14:00", team_leads=["eva"]),
              Shift(name="day", share=0.3), Shift(name="early", share=0.2, start="08:00")]
    leads = ["eva", "ann", "eva", "ann", None, "ann", "eva", "ann", "ann", "ann"]
    group = shift_groups(shifts, len(leads), leads)
    assert all((group[i] == 0) == (lead == "eva") for i, lead in enumerate(leads))
    others = group[[i for i, lead in enumerate(leads) if lead != "eva"]]
    assert np.bincount(others, minlength=3)[1:].tolist() == [4, 3]  # 0.3 : 0.2 of seven


def test_without_team_leads_the_groups_are_the_shares_largest_remainder_first():
    shifts = [Shift(name="a", share=0.5), Shift(name="b", share=0.3), Shift(name="c", share=0.2)]
    group = shift_groups(shifts, 10)
    assert np.bincount(group).tolist() == [5, 3, 2]
    for n in range(1, 11):  # every prefix is as even as the shares allow
        counts = np.bincount(group[:n], minlength=3)
        assert (np.abs(counts - n * np.array([0.5, 0.3, 0.2])) < 1).all()


@pytest.mark.parametrize(("sick", "weeks"), [(0.05, 0.0), (0.0, 4.0), (0.03, 3.0)])
def test_absence_rates_are_as_stated(sick, weeks):
    away = absent_days(2026, 300, 364, MONDAY, sick, weeks)
    p = 1 - (1 - sick) * (1 - weeks / WEEKS_PER_YEAR)
    n = away.size
    assert abs(away.mean() - p) < 4 * np.sqrt(p * (1 - p) / n) + 0.01 * p * (weeks > 0)  # weeks cluster days


def test_vacation_is_taken_in_whole_monday_to_sunday_weeks():
    away = absent_days(7, 50, 70, MONDAY, 0.0, 10.0)
    weeks = away.reshape(50, 10, 7)
    assert (weeks.all(axis=2) | ~weeks.any(axis=2)).all()
    assert away.any()


def test_absence_depends_on_the_manager_and_day_alone():
    small = absent_days(11, 20, 30, MONDAY, 0.1, 2.0)
    large = absent_days(11, 60, 30, MONDAY, 0.1, 2.0)
    assert (large[:20] == small).all()  # a hire added by another plan moves nobody else's days
    assert not (absent_days(12, 20, 30, MONDAY, 0.1, 2.0) == small).all()


def _scenario(shifts: str, calendar: str = "") -> str:
    text = SMALL.read_text()
    head, tail = text.split("  shifts:", 1)
    rest = tail.split("\n", 1)[1]
    while rest.startswith("    "):
        rest = rest.split("\n", 1)[1]
    return head + "  shifts:\n" + shifts + rest + calendar


@pytest.mark.parametrize(("shifts", "calendar", "words"), [
    ("    - {name: day, days: [mon, tue, wed, thu, fri], team_leads: [nobody]}\n", "",
     ["team.shifts[0].team_leads[0]", "no team lead named 'nobody'"]),
    ("    - {name: day, days: [mon, mon]}\n", "", ["team.shifts[0].days", "mon named twice"]),
    ("    - {name: day, days: [mon, tue], pattern: '2/2'}\n", "", ["team.shifts[0]", "pattern '2/5'"]),
    ("    - {name: day, days: [sun]}\n", "calendar: {sun: closed}\n",
     ["team.shifts[0].days", "closed"]),
    ("    - {name: day}\n", "calendar: {holidays: ['2026-02-30']}\n",
     ["calendar.holidays", "2026-12-31..2027-01-08"]),
    ("    - {name: day}\n", "calendar: {short_days: {2026-07-03: '18:00-18:00'}}\n",
     ["calendar.short_days", "opening and closing must differ"]),
])
def test_bad_calendar_and_shift_fields_are_named(shifts, calendar, words):
    text = _scenario(shifts, calendar)
    with pytest.raises(InputError) as info:
        parse_scenario(text, "bad.yaml")
    message = str(info.value)
    assert all(w in message for w in words), message


def _with(text: str, team_extra: str = "", shifts: str | None = None):
    if shifts is not None:
        text = _scenario(shifts)
    return parse_scenario(text.replace("  talk_share: 0.6\n", f"  talk_share: 0.6\n{team_extra}"), "t.yaml")


def test_absent_days_take_the_shift_away_the_same_way_under_every_plan():
    from simsales.montecarlo.replication import plan_world, stream
    from simsales.scenario.uncertain import resolve
    from simsales.world.arrivals import generate_leads

    scenario = _with(SMALL.read_text(), "  absence: {sick_share: 0.2, vacation_weeks_per_year: 6}\n")
    plain = _with(SMALL.read_text())
    resolved = resolve(scenario, stream(3, 0, "params"))
    resolved_plain = resolve(plain, stream(3, 0, "params"))
    leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days, stream(3, 0, "arrivals"))
    worlds = [plan_world(resolved, leads, p, 3, 0).roster for p in scenario.plans]
    base = plan_world(resolved_plain, leads, plain.plans[0], 3, 0).roster
    away = (base.shift_end > base.shift_start) & (worlds[0].shift_end == worlds[0].shift_start)
    worked = base.shift_end > base.shift_start
    p = 1 - 0.8 * (1 - 6 / WEEKS_PER_YEAR)
    assert abs(away.sum() / worked.sum() - p) < 0.12  # a small team: a loose bound (rates tested above)
    n = worlds[0].shift_start.shape[0]
    for other in worlds[1:]:  # the starting team is away on the same days under every plan
        m = min(n, other.shift_start.shape[0])
        assert ((other.shift_end[:m] == other.shift_start[:m]) | ~worked[:m]).tolist() == \
               ((worlds[0].shift_end[:m] == worlds[0].shift_start[:m]) | ~worked[:m]).tolist()


def test_a_team_s_own_shift_in_the_roster():
    from simsales.montecarlo.replication import stream
    from simsales.scenario.uncertain import resolve
    from simsales.world.roster import build_roster

    scenario = _with(SMALL.read_text(), shifts=(
        "    - {name: evening, start: '13:00', hours: 8, team_leads: [boris],"
        " days: [mon, tue, wed, thu, fri]}\n"
        "    - {name: day, start: '09:00', hours: 8}\n"))
    resolved = resolve(scenario, stream(1, 0, "params"))
    roster = build_roster(resolved, scenario.plans[0], stream(1, 0, "team"))
    on = roster.shift_end > roster.shift_start
    starts = np.where(on, roster.shift_start % MINUTES_PER_DAY, np.nan)
    for m, tl in enumerate(roster.team_lead[:6]):  # the team at the start: anna's 4, boris's 2
        expected = 13 * 60 if tl == 1 else 9 * 60
        assert np.nanmin(starts[m]) == expected and np.nanmax(starts[m]) == expected
