"""Shifts as blocks of work: where a manager's shift really ends, and when they may get a lead.

MODEL.md sections 1 and 3.  The roster gives each manager one shift per
day, ``[shift_start[m, d], shift_end[m, d])`` in minutes from the start,
belonging to the day it starts on; it may run past midnight into the next
day.  Shifts that meet (one ends the minute the next starts: 24-hour
shifts every day, or an evening shift to 24:00 followed by one from 00:00)
are one *block* of work with no break at midnight.  Both engines and the
metrics read these helpers, so they agree on what "shift left" and
"within the shift" mean.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FIRST_MOMENT", "block_end", "handover_moments", "on_shift_union", "routing_windows",
           "working_minutes", "working_minutes_between"]


def block_end(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per manager and day, the end of the block of shifts that day's shift belongs to.

    Args:
        start: shift start per manager and day ``(M, D)``, minutes from the start.
        end: shift end, likewise (equal to the start on a day without a shift).

    Returns:
        ``(M, D)`` minutes: the shift's own end, or the end of the last shift
        in a run of shifts that meet; a day without a shift keeps its end.
    """
    works = end > start
    n_days = start.shape[1]
    meets = np.zeros(start.shape, dtype=bool)  # day d's shift runs into day d + 1's
    meets[:, :-1] = works[:, :-1] & works[:, 1:] & (end[:, :-1] == start[:, 1:])
    # The last day of each run of shifts that meet: the first day >= d that meets no next one.
    stop = np.where(meets, n_days, np.arange(n_days))
    last = np.minimum.accumulate(stop[:, ::-1], axis=1)[:, ::-1]
    return np.take_along_axis(np.asarray(end, dtype=float), last, axis=1)


FIRST_MOMENT = 1e-3
"""Minutes: when the owners off at the start hand over (just after minute 0's arrivals)."""


def handover_moments(start: np.ndarray, end: np.ndarray, after: float,
                     horizon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """When each manager's queued tasks are handed over (``routing.handover_after_hours``).

    For each shift ending at ``E``, the moment is ``h = E + after``; there
    is one only if the manager's next shift starts after ``h`` (a day off, an
    absence day, the end of the roster) and ``h`` is before the horizon.  A
    shift that meets the next one (a block of shifts goes on) is never
    followed by one: the next starts at ``E``, not after ``h``; so a manager
    on duty around the clock never has one.  At ``h`` the tasks due before
    that next start are handed over.  An owner off at the start whose
    first shift begins more than ``after`` later hands over at
    :data:`FIRST_MOMENT` (the block before the start ended before minute 0:
    its moment has come), the tasks due before that first shift: the leads
    an open pipeline gives them at minute 0.

    Args:
        start: shift start per manager and day ``(M, D)``, minutes from the start.
        end: shift end, likewise (equal to the start on a day without a shift).
        after: minutes after the block's end (0: at its end).
        horizon: the horizon, minutes from the start.

    Returns:
        ``(t, manager, until)``, sorted by moment then manager: the moment
        (minutes), the manager, and the start of their next block (minutes;
        inf if none).
    """
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    works = end > start
    # The start of the first shift on a later day (inf: none).
    later = np.full(start.shape, np.inf)
    if start.shape[1] > 1:
        first = np.minimum.accumulate(np.where(works, start, np.inf)[:, ::-1], axis=1)[:, ::-1]
        later[:, :-1] = first[:, 1:]
    h = end + after
    keep = works & (h < horizon) & (later > h)
    manager, day = np.nonzero(keep)
    t, until = h[manager, day], later[manager, day]
    # The block that ended before the start: its moment was at most `after` after minute 0 for an
    # owner off at the start whose first shift begins later than that; it is taken at FIRST_MOMENT,
    # once the leads a pipeline brings at minute 0 are queued (a warm or cold start has none).
    first = np.where(works, start, np.inf).min(axis=1) if start.size else np.zeros(start.shape[0])
    off = (first > after) & np.isfinite(first) & (horizon > FIRST_MOMENT)
    early = np.flatnonzero(off)
    t = np.concatenate([np.full(early.size, FIRST_MOMENT), t])
    until = np.concatenate([first[early], until])
    manager = np.concatenate([early, manager])
    order = np.lexsort((manager, t))
    return t[order], manager[order].astype(np.int64), until[order]


def routing_windows(start: np.ndarray, end: np.ndarray, min_left: float,
                    horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """The part of each shift in which the manager may get a new lead (``routing.min_shift_left``).

    A manager with less than ``min_left`` minutes left of their block gets
    no new lead.  A block that runs to the horizon is not cut there (the
    horizon is not a shift's end).

    Args:
        start: shift start per manager and day ``(M, D)``, minutes from the start.
        end: shift end, likewise.
        min_left: minutes of block that must be left (0: the shifts themselves).
        horizon: the horizon, minutes from the start.

    Returns:
        ``(start, end)`` like the inputs; a day with no window has end == start.
    """
    if min_left <= 0:
        return start, end
    last = block_end(start, end)
    cut = np.where(last >= horizon, end, np.minimum(end, last - min_left))
    return start, np.maximum(cut, start)


def on_shift_union(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The minutes in which at least one manager is on shift, as disjoint intervals.

    Args:
        start: shift start per manager and day ``(M, D)``, minutes from the start.
        end: shift end, likewise.

    Returns:
        ``(lo, hi)``: sorted, disjoint intervals ``[lo[i], hi[i])`` (minutes).
    """
    works = end > start
    s, e = start[works], end[works]
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    if s.size == 0:
        return np.empty(0), np.empty(0)
    reach = np.maximum.accumulate(e)
    new = np.ones(s.size, dtype=bool)
    new[1:] = s[1:] > reach[:-1]  # a gap before this shift: a new interval
    first = np.flatnonzero(new)
    last = np.append(first[1:], s.size) - 1
    return s[first], reach[last]


def working_minutes(intervals: tuple[np.ndarray, np.ndarray], t: np.ndarray,
                    ascending: bool = False) -> np.ndarray:
    """On-shift minutes from the start to each ``t`` (the clock that stops while nobody works).

    Args:
        intervals: :func:`on_shift_union`'s ``(lo, hi)``.
        t: moments, minutes from the start.
        ascending: ``t`` is likely sorted ascending (leads by creation): if it is, the same numbers
            are found by one search per interval instead of one per moment.

    Returns:
        Minutes within the intervals before each ``t``, shaped like ``t``.
    """
    lo, hi = intervals
    t = np.asarray(t, dtype=float)
    if lo.size == 0:
        return np.zeros_like(t)
    return _minutes_before(lo, hi, t, _opened(lo, t, ascending))


def working_minutes_between(intervals: tuple[np.ndarray, np.ndarray], start: np.ndarray,
                            end: np.ndarray) -> np.ndarray:
    """On-shift minutes from each ``start`` to its ``end`` (fastest with ``start`` sorted ascending).

    ``working_minutes(intervals, end) - working_minutes(intervals, start)``, the same numbers: an
    end before the next interval's opening after its start (a lead attempted in the shift it came
    in, or before the next) is in the start's interval, and only the others are searched.

    Args:
        intervals: :func:`on_shift_union`'s ``(lo, hi)``.
        start: moments, minutes from the start (leads' creation: sorted ascending).
        end: moments, shaped like ``start``.

    Returns:
        Minutes within the intervals between each pair (negative if ``end`` is before ``start``).
    """
    lo, hi = intervals
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if lo.size == 0:
        return np.zeros_like(end) - np.zeros_like(start)
    first = _opened(lo, start, True)
    last = first.copy()
    next_open = np.append(lo, np.inf)[first]
    far = np.flatnonzero(~((end >= start) & (end < next_open)))  # NaN: searched, as numpy places it
    last[far] = np.searchsorted(lo, end[far], side="right")
    return _minutes_before(lo, hi, end, last) - _minutes_before(lo, hi, start, first)


def _opened(lo: np.ndarray, t: np.ndarray, ascending: bool) -> np.ndarray:
    """Per moment, how many intervals opened at or before it (``searchsorted(lo, t, "right")``)."""
    if not ascending or not (t[1:] >= t[:-1]).all():  # (a hint only: checked, NaN is not sorted)
        return np.searchsorted(lo, t, side="right")
    # t ascending: interval m opened at or before t[k] exactly when k >= its first position among t.
    marks = np.bincount(np.searchsorted(t, lo, side="left"), minlength=t.size + 1)
    return np.cumsum(marks[: t.size])


def _minutes_before(lo: np.ndarray, hi: np.ndarray, t: np.ndarray, i: np.ndarray) -> np.ndarray:
    """:func:`working_minutes` given ``i``, the intervals opened at or before each ``t``."""
    width = hi - lo
    before = np.concatenate(([0.0], np.cumsum(width)))  # before[k]: minutes in the first k intervals
    j = np.maximum(i - 1, 0)
    partial = np.where(i > 0, np.clip(t - lo[j], 0.0, width[j]), 0.0)
    return before[j] + partial
