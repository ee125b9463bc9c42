"""Shift groups from the shifts table: each manager's own rota, then the team's groups.

A manager on a rota whose cycle is a week (``5/2`` from Monday, or from
Thursday, ``6/1`` ...) works the same weekdays every week; a manager on a
rotating pattern whose cycle is not a week (``2/2``, ``3/3``) works every
weekday in turn.  So each manager's days are read on their own:

- *fixed weekdays* when at least :data:`CONCENTRATION` of the days worked
  fall on weekdays worked in at least :data:`WEEKDAY_RATE` of their weeks
  (absences and holidays aside): the scenario writes those weekdays as
  ``days`` (a ``5/2`` group spread over the phases of its week becomes one
  group per set of weekdays, each with its share of the team);
- a *rotating* pattern ``a/b`` otherwise: ``a`` the most common run of days
  worked in a row, ``b`` the most common run of days off (runs cut by the
  window, the manager's first and last day or a closure of the whole floor
  are left out).

A day on which nobody worked though its weekday usually has shifts is a
closure of the whole floor (:func:`closed_days`: a holiday), not a day off
of anyone's rota: it counts neither for nor against a weekday, and it cuts
the runs it falls in (a nine-day New Year closure made a ``3/3`` manager's
rota ``2/15``).

Managers with the same start, length and rota form a group; its share is
its share of the managers read.  A bare ``5/2`` (which MODEL.md reads as
Monday to Friday) is never written for a rota spread over the week: that
rota is written with its weekdays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.calibrate.frame import MINUTES_PER_DAY

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_SPAN_DAYS = 21
"""A manager's days tell a rota only over three weeks or more (first to last day worked)."""
MIN_DAYS_WORKED = 6
WEEKDAY_RATE = 0.6
"""A weekday is one of the manager's when worked in at least this share of its weeks in their span."""
CONCENTRATION = 0.9
"""Fixed weekdays: at least this share of the days worked fall on the manager's weekdays."""
CLOSED_WEEKDAY_RATE = 0.75
"""A day nobody worked is a closure of the floor (a holiday) when its weekday has shifts in at least this
share of the weeks."""
MAX_GROUPS = 12
"""Shift groups written at most (the smallest are left out and the shares renormalised)."""


@dataclass(frozen=True)
class Rota:
    """One manager's shifts as read from the table.

    Attributes:
        start: the most common start, minutes after midnight.
        length: the most common length, minutes.
        days: the weekdays worked (0 = Monday) for a weekly rota, else None.
        on: days worked in a row (rotating pattern), else 0.
        off: days off in a row (rotating pattern), else 0.
    """

    start: int
    length: int
    days: tuple[int, ...] | None
    on: int = 0
    off: int = 0


def clock(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM``."""
    minutes = int(min(max(minutes, 0), MINUTES_PER_DAY))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekday_label(days: tuple[int, ...]) -> str:
    """Weekdays as people write them: ``mon-fri``, ``thu-mon``, ``mon,wed,fri``."""
    if len(days) == 7:
        return "every day"
    on = set(days)
    first = next(d for d in days if (d - 1) % 7 not in on)  # a run's first day
    run = [(first + i) % 7 for i in range(len(days))]
    if set(run) == on and len(days) > 2:
        return f"{WEEKDAYS[run[0]]}-{WEEKDAYS[run[-1]]}"
    return ",".join(WEEKDAYS[d] for d in days)


def _mode(values: np.ndarray) -> int:
    """The most common value (ties: the larger)."""
    v, c = np.unique(values, return_counts=True)
    return int(v[np.lexsort((v, c))[-1]])


def _runs(worked: np.ndarray, shut: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lengths of the runs of days worked and of days off, the runs cut by an edge left out.

    Args:
        worked: per day, whether the manager worked (the first and last day are worked).
        shut: per day, whether the floor was closed (None: never); the days between two closed
            stretches are read on their own, and their first and last runs (cut by the closure) left out.

    Returns:
        ``(on, off)``: the lengths of the whole runs of days worked and of days off.
    """
    shut = np.zeros(len(worked), dtype=bool) if shut is None else shut
    edges_open = np.flatnonzero(np.diff(np.concatenate([[1], shut.astype(np.int8), [1]])))
    on_all, off_all = [], []
    for a, b in zip(edges_open[::2], edges_open[1::2], strict=True):  # the stretches the floor was open
        part = worked[a:b]
        change = np.flatnonzero(np.diff(part.astype(np.int8))) + 1
        edges = np.concatenate([[0], change, [len(part)]])
        length, value = np.diff(edges)[1:-1], part[edges[:-1]][1:-1]
        on_all.append(length[value])
        off_all.append(length[~value])
    empty = np.zeros(0, dtype=np.int64)
    return (np.concatenate(on_all) if on_all else empty), (np.concatenate(off_all) if off_all else empty)


def closed_days(team_days: np.ndarray) -> np.ndarray:
    """The days the whole floor was closed: nobody worked, though their weekday is usually worked.

    A day inside the team's span (first to last day anyone worked) on which no manager has a shift:
    every day of a stretch of seven or more such days (no weekly rota leaves the floor empty a whole
    week), and any other such day whose weekday has shifts in at least :data:`CLOSED_WEEKDAY_RATE` of the
    weeks the floor was open: a holiday, not a day off of the rotas (a weekday nobody ever works, or one a
    single-phase team works every other week, is not closed).

    Args:
        team_days: the days anyone worked (whole days since 1970, any order, repeats allowed).

    Returns:
        The closed days, sorted.
    """
    worked_days = np.unique(team_days)
    if worked_days.size == 0:
        return worked_days
    every = np.arange(worked_days[0], worked_days[-1] + 1)
    weekday = (every + 3) % 7  # 1970-01-01 was a Thursday
    worked = np.isin(every, worked_days)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (~worked).astype(np.int8), [0]])))
    week_long = np.zeros(len(every), dtype=bool)
    for a, b in zip(edges[::2], edges[1::2], strict=True):  # the stretches nobody worked
        week_long[a:b] = b - a >= 7
    seen = ~week_long  # a week or more shut is a closure whatever the weekdays, and not held against them
    rate = np.bincount(weekday[worked], minlength=7) / np.maximum(np.bincount(weekday[seen], minlength=7), 1)
    return every[week_long | (~worked & (rate[weekday] >= CLOSED_WEEKDAY_RATE))]


def read_rota(day: np.ndarray, weekday0: int,
              closed: np.ndarray | None = None) -> tuple[tuple[int, ...] | None, int, int] | None:
    """A manager's rota from the days they worked.

    Args:
        day: the days worked (whole days, any origin), unique and sorted.
        weekday0: the weekday (0 = Monday) of day 0.
        closed: the days the whole floor was closed, same origin (:func:`closed_days`; None: none):
            not the manager's days off, and they cut the runs they fall in.

    Returns:
        ``(days, 0, 0)`` for fixed weekdays, ``(None, on, off)`` for a rotating pattern,
        or None when the span is too short to tell.
    """
    span = int(day[-1] - day[0]) + 1
    if span < MIN_SPAN_DAYS or len(day) < MIN_DAYS_WORKED:
        return None
    every = np.arange(day[0], day[-1] + 1)
    weekday = (every + weekday0) % 7
    worked = np.isin(every, day)
    shut = np.zeros(len(every), dtype=bool) if closed is None else np.isin(every, closed) & ~worked
    possible = np.bincount(weekday[~shut], minlength=7)
    on = np.bincount(weekday[worked], minlength=7)
    rate = on / np.maximum(possible, 1)
    mine = rate >= WEEKDAY_RATE
    if mine.any() and on[mine].sum() >= CONCENTRATION * on.sum():
        return tuple(int(d) for d in np.flatnonzero(mine)), 0, 0
    runs_on, runs_off = _runs(worked, shut)
    a = _mode(runs_on) if len(runs_on) else int(worked.sum())
    b = _mode(runs_off) if len(runs_off) else 1
    return None, max(a, 1), max(b, 1)


def manager_rotas(shifts: pd.DataFrame, start: np.ndarray, length: np.ndarray, ok: np.ndarray) -> list[Rota]:
    """Each manager's rota, start and length, for managers whose days tell one.

    Args:
        shifts: the frame's shifts table (``manager``, ``day`` in days since 1970).
        start: per row, the shift's start, minutes after midnight.
        length: per row, its length, minutes.
        ok: per row, whether start and length could be read.

    Returns:
        One :class:`Rota` per manager with enough days (managers with an unknown id are left out).
    """
    manager = shifts["manager"].to_numpy()
    day = shifts["day"].to_numpy()
    keep = ok & (manager >= 0) & np.isfinite(day)
    table = pd.DataFrame(
        {"m": manager[keep], "day": day[keep].astype(np.int64), "s": start[keep], "n": length[keep]}
    )
    out = []
    closed = closed_days(table["day"].to_numpy())
    for _, rows in table.groupby("m", sort=True):
        days = np.unique(rows["day"].to_numpy())
        read = read_rota(days - days[0], int((days[0] + 3) % 7), closed - days[0])  # 1970-01-01: a Thursday
        if read is None:
            continue
        kind = rows[["s", "n"]].value_counts().index[0]
        out.append(Rota(int(kind[0]), int(kind[1]), *read))
    return out


def shift_groups(rotas: list[Rota]) -> list[dict]:
    """The scenario's shift groups: managers with the same start, length and rota, by share.

    Args:
        rotas: the managers' rotas (at least one).

    Returns:
        ``team.shifts`` entries (``name``, ``pattern``, ``days`` where weekly, ``start``,
        ``hours``, ``share``), the largest group first, at most :data:`MAX_GROUPS`.
    """
    counts = Counter((r.start, r.length, r.days, r.on, r.off) for r in rotas)
    kept = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][2]), kv[0][3]))[:MAX_GROUPS]
    total = sum(n for _, n in kept)
    groups = []
    for (s, ln, days, on, off), n in kept:
        group: dict = {"name": "", "pattern": "", "start": clock(s), "hours": round(ln / 60, 2)}
        if days is not None:
            group["pattern"] = f"{len(days)}/{7 - len(days)}"
            group["days"] = [WEEKDAYS[d] for d in days]
            label = weekday_label(days)
        else:
            group["pattern"] = label = f"{on}/{off}"
        ends = s + ln - MINUTES_PER_DAY if s + ln > MINUTES_PER_DAY else s + ln  # past midnight: next day
        group["name"] = f"{clock(s)}-{clock(ends)} {label}"
        group["share"] = round(n / total, 4)
        groups.append(group)
    groups[0]["share"] = round(groups[0]["share"] + 1.0 - sum(g["share"] for g in groups), 4)
    return groups


def pooled_days(weekday: np.ndarray) -> tuple[int, ...]:
    """The weekdays most shifts fall on, when no manager's days tell a rota.

    Args:
        weekday: per shift, its weekday (0 = Monday).

    Returns:
        The weekdays with at least half the shifts of the busiest weekday.
    """
    n = np.bincount(weekday, minlength=7)
    return tuple(int(d) for d in np.flatnonzero(n >= 0.5 * n.max()))
