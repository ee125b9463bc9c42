"""Shifts and working hours: when each manager is on shift, day by day (MODEL.md section 1).

Time runs in minutes from the scenario's start (00:00 of ``start``); day
``d`` covers minutes ``[1440 d, 1440 (d + 1))`` (``MINUTES_PER_DAY``, from
:mod:`simsales.scenario.units`, re-exported here).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import numpy as np

from simsales.scenario import Calendar, Shift
from simsales.scenario.base import clock_minutes
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.scenario.working_hours import hours_span

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


_MEMO_SIZE = 64
"""Entries each of this module's memos keeps (then it starts afresh)."""

_MEMOS: dict[str, dict[tuple, tuple[tuple, object]]] = {"opening": {}, "groups": {}, "days": {}}
"""What :func:`shift_windows` computed, by what it depends on: the scenario objects (kept, so that their
identities are not reused; sections are frozen, and :func:`simsales.scenario.uncertain.resolve` keeps the
ones without uncertain values, so every replication and plan of a run shares them) and plain values."""


def _memo(name: str, owners: tuple, values: tuple, make: Callable[[], object]) -> object:
    """``make()``, or what it gave before for the same ``owners`` (by identity) and ``values``."""
    memo = _MEMOS[name]
    key = (*map(id, owners), *values)
    hit = memo.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], owners, strict=True)):
        return hit[1]
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    made = make()
    memo[key] = (owners, made)
    return made


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
    # The weekdays' hours, then the dates that differ (Calendar.hours_on's rules, read once).
    weekly = np.array([calendar.hours(w) or (0, 0) for w in range(7)], dtype=float)
    by_day = weekly[weekday_of(start, np.arange(n_days))]
    open_at, close_at = by_day[:, 0].copy(), by_day[:, 1].copy()
    closed = calendar.closed_dates()
    for date in closed | set(calendar.short_days):
        d = (date - start).days
        if 0 <= d < n_days:
            text = calendar.short_days.get(date)
            hours = None if date in closed or text == "closed" else hours_span(text)
            open_at[d], close_at[d] = hours or (0, 0)
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
    return _slots(shifts, n_managers, team_leads)[0].copy()


def _ties(shifts: list[Shift], team_leads: list[str | None] | None) -> tuple[str | None, ...] | None:
    """The team leads that decide the groups: None when every manager may go to every shift."""
    if team_leads is None or all(s.team_leads is None for s in shifts):
        return None
    return tuple(team_leads)


def _slots(shifts: list[Shift], n_managers: int,
           team_leads: list[str | None] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per manager, the shift group (:func:`shift_groups`) and the phase in its cycle (-1: weekly).

    Manager ``i``'s group and phase depend on the managers before it alone, so the first ``n`` of a longer
    team's are the answer for ``n``: without ties to team leads, every plan and replication of a run reads
    one sequence, grown as needed (read-only arrays).
    """
    ties = _ties(shifts, team_leads)
    key = ties[:n_managers] if ties is not None else None
    made = _memo("groups", (shifts,), (key,), lambda: _Slots(shifts, key))
    return made.first(n_managers)


class _Slots:
    """The shift groups and phases of a growing team, manager by manager (:func:`_slots`)."""

    def __init__(self, shifts: list[Shift], ties: tuple[str | None, ...] | None) -> None:
        self.shifts, self.ties = shifts, ties
        shares = np.array([s.share for s in shifts], dtype=float)
        self.shares = shares / shares.sum()
        self.counts = np.zeros(len(shifts))
        self.open_to_all = np.array([s.team_leads is None for s in shifts])
        self.cycles = [None if s.weekdays() is not None else s.days_on + s.days_off for s in shifts]
        self.rank = [0] * len(shifts)
        self.group: list[int] = []
        self.phase: list[int] = []
        self.arrays = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        self.scaled: dict[bytes, np.ndarray] = {}  # eligible groups -> shares / their sum
        self.lock = threading.Lock()

    def _eligible(self, i: int) -> np.ndarray:
        eligible = np.ones(len(self.shifts), dtype=bool)
        if self.ties is not None:
            named = np.array([s.team_leads is not None and self.ties[i] in s.team_leads for s in self.shifts])
            eligible = named if named.any() else self.open_to_all if self.open_to_all.any() else eligible
        return eligible

    def first(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` managers' groups and phases (read-only)."""
        with self.lock:  # one thread grows the sequence at a time
            if n > len(self.group):
                self._grow(n)
        return self.arrays[0][:n], self.arrays[1][:n]

    def _grow(self, n: int) -> None:
        """Place managers ``len(self.group)`` to ``n - 1``, in order (:func:`shift_groups`'s rule)."""
        counts, shares = self.counts, self.shares
        for i in range(len(self.group), n):
            eligible = self._eligible(i)
            scaled = self.scaled.get(eligible.tobytes())
            if scaled is None:
                scaled = self.scaled[eligible.tobytes()] = shares / shares[eligible].sum()
            seen = counts[eligible].sum() + 1
            g = int(np.argmax(np.where(eligible, scaled * seen - counts, -np.inf)))
            counts[g] += 1
            cycle = self.cycles[g]
            self.group.append(g)
            self.phase.append(-1 if cycle is None else self.rank[g] % cycle)
            if cycle is not None:
                self.rank[g] += 1
        self.arrays = tuple(np.array(x, dtype=np.int64) for x in (self.group, self.phase))
        for a in self.arrays:
            a.flags.writeable = False


class _Days:
    """One shift calendar's days: per shift group and phase, its start and end each day (memoised)."""

    def __init__(self, shifts: list[Shift], calendar: Calendar, start: dt.date, n_days: int,
                 before: int) -> None:
        open_at, close_at = opening_hours(calendar, start - dt.timedelta(days=before), before + n_days)
        self.shifts = shifts
        self.days = np.arange(-before, n_days)  # day indices from start: the phases are anchored there
        self.weekday = weekday_of(start, self.days)
        self.origin = (self.days + before) * MINUTES_PER_DAY  # midnight of each day, from the first covered
        # Per group, the clipped shift times (minutes from midnight, per day) and the named weekdays.
        self.hours = [(np.maximum(clock_minutes(sh.start), open_at),
                       np.minimum(clock_minutes(sh.start) + sh.hours * 60.0, close_at)) for sh in shifts]
        self.named = [sh.weekdays() for sh in shifts]
        self.rows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def row(self, g: int, phase: int) -> tuple[np.ndarray, np.ndarray]:
        """The group's starts and ends per day (a weekly pattern: phase -1)."""
        row = self.rows.get((g, phase))
        if row is None:
            shift, origin = self.shifts[g], self.origin
            cycle = shift.days_on + shift.days_off
            on = (np.isin(self.weekday, self.named[g]) if phase < 0
                  else ((self.days + phase) % cycle) < shift.days_on)
            s, e = self.hours[g]
            work = on & (e > s)
            row = (np.where(work, origin + s, origin), np.where(work, origin + e, origin))
            self.rows[g, phase] = row
        return row


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
    group, phase = _slots(shifts, n_managers, team_leads)
    table = _memo("days", (shifts, calendar), (start, n_days, before),
                  lambda: _Days(shifts, calendar, start, n_days, before))
    if n_managers == 0:
        return np.zeros((0, before + n_days)), np.zeros((0, before + n_days))
    # Each manager's days are their group's and phase's: one table row each, gathered.
    slot: dict[tuple[int, int], int] = {}
    which = [slot.setdefault(gp, len(slot)) for gp in zip(group.tolist(), phase.tolist(), strict=True)]
    rows = [table.row(g, p) for g, p in slot]
    return np.stack([r[0] for r in rows])[which], np.stack([r[1] for r in rows])[which]


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
