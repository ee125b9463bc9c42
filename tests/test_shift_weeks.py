"""`5/2` means Monday to Friday (MODEL.md section 1): weekly patterns work fixed weekdays."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simsales.scenario import Calendar, Shift
from simsales.world.calendar import shift_windows, weekday_of


@pytest.mark.parametrize(("pattern", "days"), [
    ("5/2", (0, 1, 2, 3, 4)), ("6/1", (0, 1, 2, 3, 4, 5)), ("4/3", (0, 1, 2, 3)), ("1/6", (0,)),
    ("7/0", (0, 1, 2, 3, 4, 5, 6)), ("2/2", None), ("3/3", None), ("5/3", None), ("4/4", None),
])
def test_a_weekly_pattern_works_its_first_days_from_monday_and_a_rotating_one_has_no_weekdays(pattern, days):
    assert Shift(name="s", pattern=pattern, start="09:00", hours=9).weekdays() == days


def test_named_days_decide():
    shift = Shift(name="s", pattern="5/2", start="09:00", hours=9, days=["tue", "wed", "thu", "fri", "sat"])
    assert shift.weekdays() == (1, 2, 3, 4, 5)


def test_every_5_2_manager_works_monday_to_friday_and_a_2_2_group_keeps_its_phases():
    """Six 5/2 managers and six 2/2 managers, 28 days from a Wednesday, open every day 08:00-22:00."""
    start = dt.date(2026, 7, 1)  # a Wednesday
    calendar = Calendar(default="08:00-22:00")
    weekly = Shift(name="week", pattern="5/2", start="09:00", hours=9, share=0.5)
    rota = Shift(name="rota", pattern="2/2", start="09:00", hours=12, share=0.5)
    starts, ends = shift_windows([weekly, rota], calendar, start, 28, 12)
    works = ends > starts
    weekday = weekday_of(start, np.arange(28))
    group_week = [m for m in range(12) if m % 2 == 0]  # the largest remainder alternates equal shares
    group_rota = [m for m in range(12) if m % 2 == 1]
    for m in group_week:
        assert (works[m] == (weekday < 5)).all(), m
        np.testing.assert_array_equal(starts[m][works[m]] % 1440, 540.0)
    # 2/2: the k-th manager of the group starts k days into the cycle (two on, two off)
    days = np.arange(28)
    for k, m in enumerate(group_rota):
        assert (works[m] == ((days + k) % 4 < 2)).all(), m
    assert (works[group_rota][:, weekday >= 5].any(axis=0)).all()  # weekends are covered by the rota
