"""Shifts and working hours: when each manager is on shift, day by day (MODEL.md section 1).

Time runs in minutes from the scenario's start (00:00 of ``start``); day
``d`` covers minutes ``[1440 d, 1440 (d + 1))`` (``MINUTES_PER_DAY``, from
:mod:`simsales.scenario.units`, re-exported here).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simsales.scenario import Calendar, Shift
from simsales.scenario.base import clock_minutes
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = [
    "DAYS_PER_MONTH", "MINUTES_PER_DAY", "month_starts", "opening_hours", "shift_groups", "shift_windows",
    "weekday_of",
]

DAYS_PER_MONTH = 365.25 / 12.0
"""Days in an average month (365.25 / 12): ramp months, attrition and growth rates."""


def weekday_of(start: dt.date, day: np.ndarray | int) -> np.ndarray:
    """Weekday (0=Mon..6=Sun) of day index ``day`` after ``start``.

    Args:
        start: the scenario's first day.
        day: day indices (0-based).

    Returns:
        The weekdays, shaped like ``day``.
    """
    return (start.weekday() + np.asarray(day)) % 7


def opening_hours(calendar: Calendar, start: dt.date, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing time per day: its weekday's hours, or a holiday's or short day's.

    Args:
        calendar: the scenario's working hours per weekday.
        start: the scenario's first day.
        n_days: days in the horizon.

    Returns:
        ``(open_at, close_at)``, minutes after midnight, ``(n_days,)`` each;
        a closed day gives (0, 0).
    """
    open_at = np.zeros(n_days)
    close_at = np.zeros(n_days)
    closed = calendar.closed_dates()
    for d in range(n_days):
        date = start + dt.timedelta(days=d)
        hours = None if date in closed else calendar.hours_on(date)
        if hours is not None:
            open_at[d], close_at[d] = hours
    return open_at, close_at


def shift_groups(shifts: list[Shift], n_managers: int,
                 team_leads: list[str | None] | None = None) -> np.ndarray:
    """Shift group of each manager: in index order, by largest remainder of the shares.

    Manager ``i`` goes to the group whose running share is furthest behind,
    so any prefix of the team (the initial team, then each hire) is spread
    over the groups as evenly as the shares allow.  A shift that names
    ``team_leads`` takes only their managers; a manager goes to the shifts
    that name their team lead, or else to the shifts that name nobody (or
    else, when every shift names team leads and theirs is in none, such as
    a team lead hired in the horizon, to any shift).

    Args:
        shifts: the scenario's shift groups (with their shares).
        n_managers: managers on the roster.
        team_leads: each manager's team lead's name (None for an unnamed,
            hired team lead); None when no shift names team leads.

    Returns:
        The index of each manager's shift group, ``(n_managers,)``.
    """
    shares = np.array([s.share for s in shifts], dtype=float)
    shares /= shares.sum()
    group = np.empty(n_managers, dtype=np.int64)
    counts = np.zeros(len(shifts))
    open_to_all = np.array([s.team_leads is None for s in shifts])
    for i in range(n_managers):
        eligible = np.ones(len(shifts), dtype=bool)
        if team_leads is not None and not open_to_all.all():
            named = np.array([s.team_leads is not None and team_leads[i] in s.team_leads for s in shifts])
            eligible = named if named.any() else open_to_all if open_to_all.any() else eligible
        seen = counts[eligible].sum() + 1
        behind = np.where(eligible, shares / shares[eligible].sum() * seen - counts, -np.inf)
        g = int(np.argmax(behind))
        group[i] = g
        counts[g] += 1
    return group


def shift_windows(
    shifts: list[Shift],
    calendar: Calendar,
    start: dt.date,
    n_days: int,
    n_managers: int,
    team_leads: list[str | None] | None = None,
    before: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Shift start and end per manager and day.

    The shift is clipped to the day's working hours (a holiday closes the
    day; a short day cuts it).  A weekly pattern works its weekdays
    (:meth:`~simsales.scenario.Shift.weekdays`: ``5/2`` Monday to Friday);
    a rotating pattern starts the k-th manager of its group k days into its
    cycle, so every day of the week is covered.

    Args:
        shifts: the scenario's shift groups.
        calendar: the scenario's working hours.
        start: the scenario's first day.
        n_days: days in the horizon.
        n_managers: managers on the roster.
        team_leads: each manager's team lead's name, for shifts tied to
            teams (see :func:`shift_groups`).
        before: days before ``start`` to cover too (a warm-up,
            :mod:`simsales.world.warmup`): the calendar and every rotating
            pattern's phase run backward from ``start`` unchanged.

    Returns:
        ``(starts, ends)``, ``(n_managers, before + n_days)`` each, in
        minutes from 00:00 of the first day covered (``start - before``);
        a day off has start == end.
    """
    group = shift_groups(shifts, n_managers, team_leads)
    open_at, close_at = opening_hours(calendar, start - dt.timedelta(days=before), before + n_days)
    days = np.arange(-before, n_days)  # day indices from start: the phases are anchored there
    weekday = weekday_of(start, days)
    starts = np.zeros((n_managers, before + n_days))
    ends = np.zeros((n_managers, before + n_days))
    origin = (days + before) * MINUTES_PER_DAY  # midnight of each day, from the first day covered
    rank = np.zeros(len(shifts), dtype=np.int64)
    # Per group, the clipped shift times (minutes from midnight, per day) and the named weekdays.
    hours = [(np.maximum(clock_minutes(sh.start), open_at),
              np.minimum(clock_minutes(sh.start) + sh.hours * 60.0, close_at)) for sh in shifts]
    named = [sh.weekdays() for sh in shifts]
    rows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # (group, phase) -> its days
    for m in range(n_managers):
        g = int(group[m])
        shift = shifts[g]
        cycle = shift.days_on + shift.days_off
        phase = -1  # a weekly pattern: every manager of the group works the same days
        if named[g] is None:
            phase = int(rank[g] % cycle)
            rank[g] += 1
        row = rows.get((g, phase))
        if row is None:
            on = np.isin(weekday, named[g]) if phase < 0 else ((days + phase) % cycle) < shift.days_on
            s, e = hours[g]
            work = on & (e > s)
            row = rows[g, phase] = (np.where(work, origin + s, origin), np.where(work, origin + e, origin))
        starts[m], ends[m] = row
    return starts, ends


def month_starts(start: dt.date, n_days: int) -> list[tuple[str, int]]:
    """Every calendar month the horizon touches.

    Args:
        start: the scenario's first day.
        n_days: days in the horizon.

    Returns:
        ``('YYYY-MM', index of its first day in the horizon)`` per month, in
        order (the first month starts at day 0).
    """
    out = [(f"{start.year:04d}-{start.month:02d}", 0)]
    day = start
    while True:
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        index = (nxt - start).days
        if index >= n_days:
            return out
        out.append((f"{nxt.year:04d}-{nxt.month:02d}", index))
        day = nxt
