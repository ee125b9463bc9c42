"""Days and shifts in the compiled loops: the day a minute falls in, the next moment on shift, idle waits.

:func:`day_of` is the day a minute falls in, as Python's ``minutes //
MINUTES_PER_DAY`` gives it, without its call.  Compiled, a float's ``//`` is
a call to numba's ``fmod`` helper (Python's rule for the sign of a
remainder); on every new lead's routing that was about 2% of the fast
engine's time.  :func:`day_of` gives the same whole number from a division
and one correction.  :func:`on_shift_from` is a manager's first moment on
shift from a minute on, :func:`shift_day` the day whose shift they are on,
:func:`idle_wait` the end of an idle manager's wait (the dispatch and the
chain use them).
"""

from __future__ import annotations

import math

import numpy as np

from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import STOP
from simsales.engines.fast.tables import INF, NEXT_SHIFT_DAY, SHIFT_END, SHIFT_START
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["day_of", "idle_wait", "on_shift_from", "shift_day"]

_DAY = float(MINUTES_PER_DAY)


@inner(error_model="numpy", inline="always")
def day_of(minutes: float) -> int:
    """``int(minutes // MINUTES_PER_DAY)``: the whole days before ``minutes``, exactly.

    The quotient rounded to the nearest float is never below the true floor
    (an integer, so a float) and at most one above it, which the product
    (exact: a whole number of days times 1440 is a float below 2**53) shows.

    Args:
        minutes: minutes from the start, finite, below 2**52 in size.

    Returns:
        The day, counted from 0 (negative before the start).
    """
    q = math.floor(minutes / _DAY)
    if q * _DAY > minutes:
        q -= 1.0
    return int(q)


@inner(error_model="numpy", _nrt=False)
def on_shift_from(m: int, x: float, md: np.ndarray) -> float:
    """The first moment >= ``x`` when manager ``m`` is on shift.

    Args:
        m: the manager.
        x: minutes from the start.
        md: the per-manager-day table (tables.SHIFT_START ...).

    Returns:
        Minutes from the start; inf if they have no shift left.
    """
    n_days = md.shape[1]
    d = int(x / MINUTES_PER_DAY)
    if 0 < d <= n_days and md[m, d - 1, SHIFT_END] > x:  # yesterday's shift runs past midnight, to x
        return x
    while d < n_days:
        d = int(md[m, d, NEXT_SHIFT_DAY])  # skip the days off at once
        if d >= n_days:
            break
        if md[m, d, SHIFT_END] > x:
            return max(x, md[m, d, SHIFT_START])
        d += 1
    return INF


@inner(error_model="numpy", forceinline=True, _nrt=False)
def shift_day(m: int, t: float, md: np.ndarray) -> int:
    """The day whose shift manager ``m`` is on at ``t``: today's, or yesterday's running past midnight.

    Args:
        m: the manager.
        t: minutes from the start.
        md: the per-manager-day table.

    Returns:
        The day (0-based), or -1 when ``m`` is off shift at ``t``.
    """
    d = min(int(t / MINUTES_PER_DAY), md.shape[1] - 1)
    if md[m, d, SHIFT_START] <= t < md[m, d, SHIFT_END]:
        return d
    if d > 0 and md[m, d - 1, SHIFT_START] <= t < md[m, d - 1, SHIFT_END]:
        return d - 1
    return -1


@inner(error_model="numpy", forceinline=True, _nrt=False)
def idle_wait(m: int, t: float, when: float, mf: np.ndarray, md: np.ndarray) -> tuple[float, bool]:
    """When an idle manager next looks at the queues, as the reference's idle wait does.

    The reference engine's manager process, with nothing due, waits on shift
    until the earliest due task or the shift's end, whichever comes first, and
    off shift until the next shift's start, whatever is queued; at the same
    minute, managers act in the order their waits were planned (SimPy's
    order of events).  Under the shared queue that order decides who takes
    a task when several start a shift together, so the event loop keeps the
    same waits: ``when`` (:func:`next_action`'s moment) brought forward to
    the shift's end on shift, or to the next shift's start off it.

    Args:
        m: the manager, idle at ``t``.
        t: now, minutes from the start.
        when: the first moment on shift with a due task (inf: none).
        mf: the per-manager float table (``STOP``).
        md: the per-manager-day table.

    Returns:
        ``(the moment, whether m is on shift at t)``.
    """
    stop = mf[m, STOP]
    if t >= stop:
        return when, False
    sd = shift_day(m, t, md)
    if sd >= 0:
        end = md[m, sd, SHIFT_END]
        return (end if end < when and end < stop else when), True
    start = on_shift_from(m, t, md)
    return (start if start < when and start < stop else when), False
