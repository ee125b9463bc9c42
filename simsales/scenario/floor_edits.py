"""Edits a head of sales makes on the sales floor: an evening shift, a cap on new leads a day.

Each edit returns an :class:`Edit`: the changed scenario (a copy, via
``model_copy``; the original is unchanged) and what changed, in plain
words.  Used by the floor levers (:mod:`simsales.analysis.floor_levers`).

The evening shift (:func:`evening_shift`) is the latest-ending shift, when
it ends at :data:`EVENING_FROM` (21:00) or later and later than some other
shift.  Managers move onto it, or off it, by changing the shifts'
``share``: the shifts they leave (or join) keep their relative shares, and
the new shares apply to hires as well as to the team at the start.  A
scenario without an evening shift gets one: the pattern and weekdays of
its biggest shift, the same length (at most 9 hours), ending at
:data:`EVENING_END` (23:00), or 2 hours after the latest shift when that
one already ends at 21:00 or later.  Working hours that close before it
ends are extended to its end on every open weekday.  The words say how
many hours a week the moved managers work before and after: an evening
rota with fewer hours (q3's 2/2 of 9 hours against a 2/2 of 12) moves
hours as well as the time of day.  Longer working hours also lengthen any
other shift they cut (a 12:00-20:00 shift on a Saturday open 10:00-16:00):
the words name those shifts and their hours a week before and after, since
part of the lever's effect is theirs.

The cap (:func:`new_lead_cap`) is ``routing.max_new_per_day``; when a
scenario has none, :func:`busiest_day_load` gives a cap that binds on the
busiest weekday: that day's expected new leads per manager on shift at the
start, rounded up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simsales.scenario.base import WEEKDAYS, clock_minutes
from simsales.scenario.sales_floor import Shift
from simsales.scenario.schema import Scenario
from simsales.scenario.uncertain import mean_of
from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

EVENING_FROM = 21 * 60
"""A shift ending at this time of day (minutes after midnight) or later can be the evening shift."""

EVENING_END = 23 * 60
"""When a new evening shift ends (minutes after midnight), unless the latest shift already ends at 21:00+."""

EVENING_NAME = "evening"
"""The name of a new evening shift (``evening_2`` and so on if the name is taken)."""

MAX_EVENING_HOURS = 9.0
"""The longest a new evening shift is (hours): the length of the biggest shift, at most this."""


@dataclass(frozen=True)
class Edit:
    """A changed scenario and what changed, in plain words."""

    scenario: Scenario
    change: str


def clock(minutes: float) -> str:
    """Minutes after midnight (past 24:00 too) as a time of day: ``1380`` -> ``"23:00"``.

    Args:
        minutes: minutes after midnight of the shift's day.

    Returns:
        ``HH:MM``, the next day's time for 24:00 and later.
    """
    m = round(minutes) % int(MINUTES_PER_DAY)
    return f"{m // 60:02d}:{m % 60:02d}"


def shift_end(shift: Shift) -> float:
    """When a shift ends, minutes after midnight of the day it starts (above 1440 past midnight)."""
    return clock_minutes(shift.start) + shift.hours * MINUTES_PER_HOUR


def evening_index(shifts: list[Shift]) -> int | None:
    """The evening shift: the latest-ending one, if it ends at 21:00 or later and later than another.

    Args:
        shifts: the team's shifts.

    Returns:
        Its index (the first of equals), or None when the team has none.
    """
    ends = [shift_end(s) for s in shifts]
    latest = max(ends)
    if latest < EVENING_FROM or min(ends) == latest:
        return None
    return ends.index(latest)


def managers_at_start(scenario: Scenario) -> int:
    """Managers on the team at the start (every group's count)."""
    return sum(g.count for g in scenario.team.managers)


def _shares(shifts: list[Shift]) -> list[float]:
    """The shifts' shares of the team, summing to 1 (equal shares when none is written)."""
    total = sum(s.share for s in shifts)
    return [s.share / total for s in shifts]


def _names(shifts: list[Shift]) -> str:
    return ", ".join(s.name for s in shifts)


def _rescaled(shifts: list[Shift], shares: list[float], evening: int, share: float) -> list[Shift]:
    """Every shift with an explicit share: ``evening`` gets ``share``, the others theirs rescaled."""
    rest = sum(x for i, x in enumerate(shares) if i != evening)
    out = []
    for i, (s, x) in enumerate(zip(shifts, shares, strict=True)):
        new = share if i == evening else x * (1.0 - share) / rest
        out.append(s.model_copy(update={"share": new}))
    return out


def _open_until(scenario: Scenario, end: float) -> tuple[Scenario, str]:
    """The calendar with every open weekday closing no earlier than ``end``; what was extended."""
    cal = scenario.calendar
    update, days = {}, []
    for day, name in enumerate(WEEKDAYS):
        hours = cal.hours(day)
        if hours is None or hours[1] >= end:
            continue
        update[name] = f"{clock(hours[0])}-{clock(end)}"
        days.append(name)
    if not days:
        return scenario, ""
    words = "every day" if len(days) == 7 else ", ".join(days)
    return (scenario.model_copy(update={"calendar": cal.model_copy(update=update)}),
            f"; working hours extended to {clock(end)} ({words})")


def evening_shift(scenario: Scenario, managers: int) -> Edit | None:
    """Move ``managers`` managers onto the evening shift (``managers < 0``: off it).

    See the module's docstring for which shift is the evening shift, the
    one a scenario without one gets, and the working hours.

    Args:
        scenario: the scenario.
        managers: managers to move, as a number of the team at the start
            (the same share of every hire follows); negative moves them off.

    Returns:
        The edit, or None when nothing can move (no managers, no evening
        shift to move off, or no other shift left to move from).
    """
    team = managers_at_start(scenario)
    shifts = list(scenario.team.shifts)
    evening = evening_index(shifts)
    if team == 0 or managers == 0 or (evening is None and managers < 0):
        return None
    shares = _shares(shifts)
    delta = managers / team
    extended, was = "", scenario  # ``was``: the calendar the managers work now
    if evening is None:
        biggest = shifts[max(range(len(shifts)), key=lambda i: shares[i])]
        latest = max(shift_end(s) for s in shifts)
        end = EVENING_END if latest < EVENING_FROM else latest + 2 * MINUTES_PER_HOUR
        hours = min(biggest.hours, MAX_EVENING_HOURS)
        taken = {s.name for s in shifts}
        name = next(n for n in (EVENING_NAME, *(f"{EVENING_NAME}_{k}" for k in range(2, 99)))
                    if n not in taken)
        new = Shift(name=name, pattern=biggest.pattern, start=clock(end - hours * MINUTES_PER_HOUR),
                    hours=hours, share=1.0, days=biggest.days)
        if delta >= 1.0:
            return None
        shifts, shares, evening = [*shifts, new], [*shares, 0.0], len(shifts)
        scenario, extended = _open_until(scenario, end)
        extended += _lengthened(shifts[:-1], was, scenario)
        source = f"a new shift {name!r} ({new.start}-{clock(end)}, pattern {new.pattern})"
    else:
        source = f"{shifts[evening].name!r} ({shifts[evening].start}-{clock(shift_end(shifts[evening]))})"
    others = [s for i, s in enumerate(shifts) if i != evening]
    share = shares[evening] + delta
    if share >= 1.0 - 1e-9:
        return None
    n = abs(managers)
    who = f"{n} of {team} managers ({100 * n / team:.0f}% of the team and of every hire)"
    rest = sum(x for i, x in enumerate(shares) if i != evening)
    theirs = sum(x * weekly_hours(sh, was) for i, (sh, x) in enumerate(zip(shifts, shares, strict=True))
                 if i != evening) / rest
    late = weekly_hours(shifts[evening], scenario)
    before, after = (theirs, late) if managers > 0 else (late, theirs)
    hours = f"; the moved managers' hours on shift a week: {before:.1f} -> {after:.1f}"
    if share <= 1e-9:  # every manager off the evening shift: it goes
        kept = _rescaled(shifts, shares, evening, 0.0)
        kept = [s for i, s in enumerate(kept) if i != evening]
        change = f"{shifts[evening].name!r} closed: its managers moved to {_names(others)}"
    else:
        kept = _rescaled(shifts, shares, evening, share)
        change = (f"{who} moved from {_names(others)} to {source}" if managers > 0
                  else f"{who} moved from {source} to {_names(others)}")
    team_section = scenario.team.model_copy(update={"shifts": kept})
    return Edit(scenario.model_copy(update={"team": team_section}), change + hours + extended)


def _lengthened(shifts: list[Shift], was: Scenario, now: Scenario) -> str:
    """In words, the shifts whose week longer working hours lengthen (for everyone on them)."""
    longer = [(s.name, weekly_hours(s, was), weekly_hours(s, now)) for s in shifts]
    longer = [f"{name!r} {a:.1f} -> {b:.1f}" for name, a, b in longer if b > a + 0.05]
    if not longer:
        return ""
    return f", which also lengthens the hours on shift a week of {', '.join(longer)}, for everyone on it"


def _works(shift: Shift, day: int) -> float:
    """The share of a shift's managers on shift on weekday ``day`` (rotating: days on over the cycle)."""
    named = shift.weekdays()
    return float(day in named) if named is not None else shift.days_on / (shift.days_on + shift.days_off)


def _minutes_on(shift: Shift, hours: tuple[int, int] | None) -> float:
    """Minutes of the shift inside a day's working hours (None: closed)."""
    if hours is None:
        return 0.0
    return max(0.0, min(hours[1], shift_end(shift)) - max(hours[0], clock_minutes(shift.start)))


def weekly_hours(shift: Shift, scenario: Scenario) -> float:
    """Hours a manager of ``shift`` works in an average week, inside the calendar's weekday hours.

    Args:
        shift: one of the team's shifts (or a new one).
        scenario: the scenario (its calendar; holidays and short days are left out).

    Returns:
        Hours a week: each weekday's minutes of the shift inside that day's
        hours, times the share of the shift's managers who work it.
    """
    return sum(_works(shift, d) * _minutes_on(shift, scenario.calendar.hours(d)) for d in range(7)) / 60.0


def busiest_day_load(scenario: Scenario) -> float:
    """The busiest weekday's expected new leads per manager on shift, at the start's volumes.

    Leads per weekday are the channels' mean ``leads_per_day`` times their
    weekday profile (normalised to mean 1); the leads of a weekday nobody
    works wait for the next one someone works (a Monday after a closed
    weekend takes three days' leads).  Managers on shift per weekday are
    the team at the start times each shift's share and the share of its
    managers who work that weekday (a rotating pattern: days on over the
    cycle), for shifts that meet the day's working hours.

    Args:
        scenario: the scenario.

    Returns:
        The largest leads-per-manager-on-shift over the weekdays someone
        works (0 with no manager).
    """
    team = managers_at_start(scenario)
    on_shift, leads = [], []
    for day in range(7):
        hours = scenario.calendar.hours(day)
        on = sum(share * _works(shift, day) for shift, share in
                 zip(scenario.team.shifts, _shares(list(scenario.team.shifts)), strict=True)
                 if _minutes_on(shift, hours) > 0)
        on_shift.append(on * team)
        leads.append(sum(mean_of(c.leads_per_day) * c.weekday_profile[day] * 7 / sum(c.weekday_profile)
                         for c in scenario.channels))
    loads, waiting = [], 0.0
    for day in range(14):  # twice round the week: days nobody works carry their leads over
        waiting += leads[day % 7]
        if on_shift[day % 7] > 0:
            if day >= 7:
                loads.append(waiting / on_shift[day % 7])
            waiting = 0.0
    return max(loads, default=0.0)


def new_lead_cap(scenario: Scenario, cap: int | None) -> Edit | None:
    """Set the cap on new leads per manager and calendar day (``routing.max_new_per_day``).

    Args:
        scenario: the scenario.
        cap: the new cap (at least 1), or None for no cap.

    Returns:
        The edit, or None when the routing policy assigns no lead to a
        manager (``shared_queue``: a cap cannot apply) or the cap is below 1.
    """
    routing = scenario.routing
    if routing.policy == "shared_queue" or (cap is not None and cap < 1):
        return None
    old = routing.max_new_per_day

    def words(x: int | None) -> str:
        return "no cap" if x is None else f"a cap of {x}"

    change = f"new leads per manager a day: {words(old)} -> {words(cap)}"
    return Edit(scenario.model_copy(update={"routing": routing.model_copy(update={"max_new_per_day": cap})}),
                change)


def default_cap(scenario: Scenario) -> int:
    """The cap a floor without one is offered: :func:`busiest_day_load`, rounded up (at least 1)."""
    return max(1, math.ceil(busiest_day_load(scenario) - 1e-9))

