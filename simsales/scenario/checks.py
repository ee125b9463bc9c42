"""Cross-checks between the parts of a scenario, each problem at its entry's path.

The schema's validators call these once their fields have been read:
names are unique, names refer to what exists, months fall inside the
horizon, shift shares add up, and the whole stays within the feasibility
limits (:mod:`simsales.scenario.limits`).  Every function returns
``(path, message)`` pairs (paths below the validated field, see
:class:`~simsales.scenario.base.FieldProblems`); an empty list means no
problem.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from simsales.scenario.base import Path
from simsales.scenario.limits import (
    MAX_LEADS_PER_DAY,
    MAX_LEADS_PER_REPLICATION,
    MAX_MANAGERS,
    MAX_TEAM_LEADS,
    amount,
)
from simsales.scenario.numbers import shown
from simsales.scenario.ranges import upper_end

Problems = list[tuple[Path, str]]
"""What a check found: ``(path, message)`` pairs."""

SHARE_TOLERANCE = 1e-6
"""How far from 1 the shift shares may sum (rounding in a hand-written file)."""

_DAYS_PER_MONTH = 365.25 / 12.0  # growth compounds per average month, as in simsales.world.calendar
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def did_you_mean(word: str, known: Sequence[str], cutoff: float = 0.6) -> str:
    """A "did you mean" for a near miss.

    Case, spaces and dashes do not count against a match: ``PRIORITY``,
    `` priority`` and ``lead-ttl`` are near misses of ``priority`` and
    ``lead_ttl``; so is a name with two neighbouring letters swapped
    (``ds`` for ``sd``).

    Args:
        word: what was written.
        known: the names it could have meant.
        cutoff: how close a match must be (difflib's ratio, 0 to 1).

    Returns:
        ``"; did you mean NAME?"``, or ``""`` when nothing is close.
    """
    folded: dict[str, str] = {}
    for name in known:
        folded.setdefault(_fold(name), str(name))
    close = difflib.get_close_matches(_fold(word), list(folded), n=1, cutoff=cutoff)
    if not close:  # two letters swapped ("ds" for "sd") is a near miss however short the name
        close = [name for name in folded if _swapped(_fold(word), name)][:1]
    return f"; did you mean {folded[close[0]]}?" if close else ""


def _swapped(word: str, name: str) -> bool:
    """Whether ``word`` is ``name`` with two neighbouring letters swapped."""
    if len(word) != len(name) or word == name:
        return False
    differ = [i for i, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
    return (len(differ) == 2 and differ[1] == differ[0] + 1
            and word[differ[0]] == name[differ[1]] and word[differ[1]] == name[differ[0]])


def _fold(name: object) -> str:
    """A name as :func:`did_you_mean` compares it: lower case, spaces and dashes as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def parse_month(text: Any) -> str:
    """Read a month: ``"2026-07"`` (or a date in it) -> ``"2026-07"``.

    Args:
        text: ``YYYY-MM``, or the month's first day (YAML reads ``2026-07-01``
            as a date; the text ``"2026-07-01"`` is read too).

    Returns:
        The month, ``YYYY-MM``.

    Raises:
        ValueError: not a month, or a day other than its first (it would be
            read as its month without a word).
    """
    if isinstance(text, str) and _DATE.match(text):
        with contextlib.suppress(ValueError):  # not a real date: said below
            text = dt.date.fromisoformat(text)
    if isinstance(text, dt.date):
        month = f"{text.year:04d}-{text.month:02d}"
        if text.day != 1 or (isinstance(text, dt.datetime) and text.time() != dt.time(0)):
            raise ValueError(f"expected a month such as '2026-07', got {shown(text)}; did you mean "
                             f"'{month}'? (hires and revenue targets are by month: a month's vacancies open "
                             "on its 1st)")
        return month
    if not isinstance(text, str) or not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12:
        raise ValueError(f"expected a month such as '2026-07', got {shown(text)}{month_hint(text)}")
    return text


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[./](\d{1,2})[./](\d{4})\s*$")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})[-./](\d{1,2})[-./](\d{1,2})\s*$")
_WITH_TIME = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T]\d{1,2}:\d{2}")
_MONTH_FORMS = re.compile(r"^\s*(?:(\d{1,2})[./](\d{4})|(\d{4})[./](\d{1,2})|(\d{4})-(\d))\s*$")


def _real_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_hint(given: object) -> str:
    """What a date written another way probably meant, as ``"; did you mean 2027-01-11?"`` (or ``""``).

    ``11.01.2027`` is day first (as written in Russia and most of Europe); ``01/11/2027`` may be
    either, so both readings are named when both are dates; ``2027/01/11``, ``2027.1.11`` and
    ``2027-1-11`` are year first; ``2027-13-01`` has its month and day swapped; ``2026-02-29`` is a
    day its month does not have (says how many days the month has); ``2027-01-11 10:00`` has a time of
    day a date does not.
    """
    text = str(given)
    if (m := _WITH_TIME.match(text)) and (date := _real_date(*(int(g) for g in m.groups()))):
        return f"; did you mean {date.isoformat()}? (a date has no time of day)"
    if m := _YEAR_FIRST.match(text):
        year, month, day = (int(g) for g in m.groups())
        date = _real_date(year, month, day) or _real_date(year, day, month)
        if date is None and 1 <= month <= 12 and day >= 1:  # 2026-07-32, 2026-02-29: no such day
            last = calendar.monthrange(year, month)[1]
            return f" (no such day: {calendar.month_name[month]} {year} has {last} days)"
        return f"; did you mean {date.isoformat()}?" if date and date.isoformat() != text.strip() else ""
    if not (m := _DAY_FIRST.match(text)):
        return ""
    a, b, year = (int(g) for g in m.groups())
    day_first, month_first = _real_date(year, b, a), _real_date(year, a, b)
    if "/" in text and day_first and month_first and day_first != month_first:
        return (f"; day or month first? write the year first: {day_first.isoformat()} "
                f"or {month_first.isoformat()}")
    date = day_first or month_first
    return f"; did you mean {date.isoformat()}? (dates are written year first, YYYY-MM-DD)" if date else ""


def month_hint(given: object) -> str:
    """What a month written another way probably meant (``01.2027``, ``2027/1``, ``2027-1``), or ``""``."""
    m = _MONTH_FORMS.match(str(given))
    if not m:
        return ""
    if m.group(1):
        month, year = m.group(1), m.group(2)
    else:
        month, year = m.group(4) or m.group(6), m.group(3) or m.group(5)
    if not 1 <= int(month) <= 12:
        return ""
    return f"; did you mean '{int(year):04d}-{int(month):02d}'?"


def horizon_months(start: dt.date, days: int) -> list[str]:
    """Every month the horizon touches, ``YYYY-MM``, in order (as the roster's decision months)."""
    end = start + dt.timedelta(days=days - 1)
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_problem(month: str, start: dt.date, days: int) -> str | None:
    """Why ``month`` is not a month of the horizon (None if it is).

    Args:
        month: ``YYYY-MM``.
        start: the scenario's first day.
        days: days in the horizon.

    Returns:
        ``"2027-08 is outside the horizon 2026-07-01 .. 2026-09-30; did you
        mean 2026-08?"`` (the guess when one month is a near miss, else the
        horizon's months), or None.
    """
    months = horizon_months(start, days)
    if month in months:
        return None
    end = start + dt.timedelta(days=days - 1)
    hint = did_you_mean(month, months, cutoff=0.8)
    if not hint:
        listed = ", ".join(months) if len(months) <= 6 else f"{months[0]} to {months[-1]}"
        hint = f"; its months are {listed}"
    return f"{month} is outside the horizon {start} .. {end}{hint}"


def duplicates(names: Sequence[str], what: str, where: str) -> Problems:
    """Every name used a second time, at the later entry's ``name``.

    Args:
        names: the entries' names, in order.
        what: what they name (``"channel"``).
        where: the list's field path, for the message (``"channels"``).

    Returns:
        One problem per repeated name.
    """
    first: dict[str, int] = {}
    problems: Problems = []
    for i, name in enumerate(names):
        if name in first:
            problems.append(((i, "name"), f"{what} name {name!r} is already used by {where}[{first[name]}]; "
                                          f"each {what} needs its own name"))
        else:
            first[name] = i
    return problems


def team_lead_problems(leads: Sequence[str], groups: Sequence[Any]) -> Problems:
    """Manager groups that name an unknown team lead; too many managers at the start.

    Args:
        leads: the team leads' names.
        groups: the manager groups (``team_lead``, ``count``).

    Returns:
        A problem at each unknown ``team_lead`` (listing the known names),
        and one on the list if the groups hold more than the limit.
    """
    problems: Problems = []
    for i, group in enumerate(groups):
        if group.team_lead not in leads:
            problems.append(((i, "team_lead"), f"unknown team lead {group.team_lead!r}; the team leads are "
                                               f"{', '.join(leads)}{did_you_mean(group.team_lead, leads)}"))
    total = sum(group.count for group in groups)
    if MAX_MANAGERS.exceeded(total):
        problems.append(((), MAX_MANAGERS.message(total, "managers at the start")))
    return problems


def share_problems(shifts: Sequence[Any]) -> Problems:
    """Shift shares: all given and summing to 1, or none given (equal shares).

    Args:
        shifts: the shift groups (``share`` and which fields were written).

    Returns:
        The problems, at the list.
    """
    given = ["share" in s.model_fields_set for s in shifts]
    if not any(given):
        return []
    if not all(given):
        missing = ", ".join(s.name for s, g in zip(shifts, given, strict=True) if not g)
        return [((), f"give every shift a share, or none (then the shifts share the team equally); "
                     f"no share for: {missing}")]
    total = sum(s.share for s in shifts)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        terms = " + ".join(f"{s.name} {s.share:g}" for s in shifts)
        return [((), f"shift shares must sum to 1 (the whole team), got {terms} = {total:g}")]
    return []


def plan_month_problems(entry: Any) -> Problems:
    """A plan month that asks for hires and a headcount target at once.

    Args:
        entry: the plan month (``managers``, ``headcount``).

    Returns:
        A problem at ``headcount`` when both are given: ``managers: N`` hires
        N, ``headcount: N`` hires up to a target, and the two would count
        the same vacancies twice.
    """
    if entry.headcount is not None and entry.managers > 0:
        return [(("headcount",), f"give managers (hires this month) or headcount (managers at the month's "
                                 f"end), not both: managers {entry.managers} and headcount "
                                 f"{entry.headcount}; "
                                 f"to grow to {entry.headcount} write headcount alone")]
    return []


def roster_bound(plan: Any, at_start: int) -> int:
    """The most managers a plan's roster can hold: the team at the start, hires, targets, replacements.

    Args:
        plan: the hiring plan (months, ``backfill``).
        at_start: managers at the start.

    Returns:
        An upper bound of managers on the roster: hires asked for, plus each
        month's headcount target, and, for plans that replace people
        (``backfill`` or a headcount target), room for one replacement each.
    """
    asked = at_start + sum(m.managers + (m.headcount or 0) for m in plan.months)
    replaces = plan.backfill or any(m.headcount is not None for m in plan.months)
    return 2 * asked if replaces else asked


def plan_problems(plans: Sequence[Any], start: dt.date | None, days: int | None,
                  team: Any | None) -> Problems:
    """Plan months outside the horizon; plans that would grow the roster past the limits.

    Args:
        plans: the hiring plans.
        start: the scenario's first day (None if it did not validate).
        days: days in the horizon (likewise).
        team: the team section (likewise).

    Returns:
        A problem at each month outside the horizon, and at each plan whose
        hires, with the team at the start, pass the manager or team-lead limit.
    """
    problems: Problems = []
    for i, plan in enumerate(plans):
        if start is not None and days is not None:
            for j, entry in enumerate(plan.months):
                text = month_problem(entry.month, start, days)
                if text:
                    problems.append(((i, "months", j, "month"),
                                     f"{text} (a month outside it would hire nobody)"))
        if team is None:
            continue
        at_start = sum(g.count for g in team.managers)
        managers = roster_bound(plan, at_start)
        if MAX_MANAGERS.exceeded(managers):
            problems.append(((i, "months"), MAX_MANAGERS.message(
                managers, f"{amount(at_start)} at the start plus the plan's hires, targets and "
                          "replacements")))
        leads = len(team.team_leads) + sum(m.team_leads + m.promote for m in plan.months)
        if MAX_TEAM_LEADS.exceeded(leads):
            problems.append(((i, "months"), MAX_TEAM_LEADS.message(
                leads, f"{len(team.team_leads)} at the start plus the plan's hires and promotions")))
    return problems


def daily_volume_bounds(channel: Any, start: dt.date, days: int) -> np.ndarray:
    """A channel's expected leads per day at the upper ends of its volume and growth.

    Args:
        channel: the channel (volumes may be uncertain).
        start: the scenario's first day.
        days: days in the horizon.

    Returns:
        Leads per day, ``(days,)``: the largest the uncertain values allow
        (``simsales.world.arrivals.daily_means`` at their practical upper ends).
    """
    weekday = np.asarray(channel.weekday_profile, dtype=float)
    weekday = weekday / weekday.mean()
    day = np.arange(days)
    growth = max(upper_end(channel.growth_per_month), -1.0)
    with np.errstate(over="ignore"):
        factor = (1.0 + growth) ** (day / _DAYS_PER_MONTH)
    return upper_end(channel.leads_per_day) * weekday[(start.weekday() + day) % 7] * factor


def volume_problems(channels: Sequence[Any], start: dt.date, days: int) -> Problems:
    """Channels whose busiest day, or all of whose leads, would pass the limits.

    Args:
        channels: the channels.
        start: the scenario's first day.
        days: days in the horizon.

    Returns:
        A problem at the ``leads_per_day`` of each channel over the daily
        limit, and one at the list if the replication's leads pass theirs.
    """
    problems: Problems = []
    totals = []
    for i, channel in enumerate(channels):
        per_day = daily_volume_bounds(channel, start, days)
        peak = float(per_day.max())
        if MAX_LEADS_PER_DAY.exceeded(peak):
            problems.append(((i, "leads_per_day"), MAX_LEADS_PER_DAY.message(
                peak, f"the busiest day of channel {channel.name!r}")))
        totals.append(float(per_day.sum()))
    total = sum(totals)
    if not problems and MAX_LEADS_PER_REPLICATION.exceeded(total):
        each = ", ".join(f"{c.name} {amount(round(t))}" for c, t in zip(channels, totals, strict=True))
        problems.append(((), MAX_LEADS_PER_REPLICATION.message(round(total), f"over {days} days: {each}")))
    return problems
