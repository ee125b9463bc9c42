"""The calendar and shifts: holidays, short days, named weekdays, shifts tied to teams, absence.

Exact windows on small inputs, the absence rates against their definition
(a binomial bound), and the validation errors that name the field.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simsales.scenario.loader import InputError, parse_scenario
from simsales.scenario.sales_floor import Shift
from simsales.scenario.working_hours import Calendar
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
