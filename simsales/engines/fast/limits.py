"""New leads under the daily cap and the ramp share, in the fast engine (compiled).

:func:`route_new` is :func:`simsales.engines.routing.choose_new`, the
reference rule, on the fast engine's segments (:mod:`simsales.engines.fast.routing`):
without ``max_new_per_day`` or ``ramp_share`` it is :func:`~simsales.engines.fast.routing.route`
itself.  The counts of new leads per manager and day and round robin's
credits depend only on the routing so far, in time order, so the "each
manager alone" loop keeps its shape (docs/engines.md).
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.days import day_of
from simsales.engines.fast.guide import guide_table, guided_search
from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import CREDIT, LAST_ROUTED, SEGMENT, task_load, uniform
from simsales.engines.fast.routing import (
    LEAST_LOADED,
    N_BOUNDS,
    N_SEGMENTS,
    OFF_CANDS,
    OFF_CHANGING,
    OFF_ROUTE_SEG,
    OFF_SEG_PTR,
    OFF_UNTIL,
    WEIGHTED,
    bisect_right,
    route,
)
from simsales.engines.fast.tables import P_CAP, P_LIMITS, P_POLICY, RAMP_SHARE, ROUTE_W

__all__ = ["FULL", "PICK_HEAD", "eligible", "route_new"]

PICK_HEAD = 3
"""``pick_i``'s header: the segment its candidates are for (-1: none), how many, and ``FULL``.

``pick_i`` has ``PICK_HEAD + 2 M`` entries: the header, the candidates,
then their running weights' guide (:func:`eligible`)."""
FULL = 2
"""``pick_i[FULL]``: the last segment found with nobody below the cap (-1: none).  It stays so:
the counts only grow within its day and nobody leaves an unflagged segment's candidates."""


@inner(error_model="numpy", _nrt=False)
def eligible(r: int, day: int, lo: int, hi: int, cap: int, ri: np.ndarray, new_count: np.ndarray,
             md: np.ndarray, pick_w: np.ndarray, pick_i: np.ndarray) -> None:
    """Segment ``r``'s candidates below the daily cap, and their running weights, for :func:`route_new`.

    The candidates ``ri[lo:hi]`` with room on ``day``, in order, go to
    ``pick_i[PICK_HEAD:]`` and the running sums of their weights
    (``ROUTE_W x RAMP_SHARE``, added one by one from 0.0 in that order, the
    same floating-point sums as the reference's ``np.cumsum``) to ``pick_w``;
    ``pick_i[0] = r``, ``pick_i[1]`` how many, and the running sums' guide
    (:mod:`~simsales.engines.fast.guide`) to ``pick_i[PICK_HEAD + M:]``
    (M = ``pick_w.size``).  The set changes only when a manager's count
    reaches the cap (:func:`route_new` then empties the cache) or the
    segment changes, so a new lead costs a few steps instead of two passes
    over every candidate (a team of 250 has about 100 on shift).  Only for
    segments where nobody may be gone (not flagged).
    """
    n = 0
    running = 0.0
    for i in range(lo, hi):
        c = ri[i]
        if cap < 0 or new_count[c, day] < cap:
            running += md[c, day, ROUTE_W] * md[c, day, RAMP_SHARE]
            pick_w[n] = running
            pick_i[PICK_HEAD + n] = c
            n += 1
    pick_i[0], pick_i[1] = r, n
    if n > 0:
        guide_table(pick_w, 0, n, pick_i, PICK_HEAD + pick_w.size)
    else:
        pick_i[FULL] = r


@inner(error_model="numpy", _nrt=False)
def route_new(t: float, counter: int, seed: np.uint64, routing: tuple, hn: np.ndarray, md: np.ndarray,
              mf: np.ndarray, params: np.ndarray, counters: np.ndarray, deadline: float) -> tuple[int, float]:
    """Who gets a new lead at ``t``: :func:`route`, or under limits the reference's ``choose_new``.

    Under ``max_new_per_day`` or ``ramp_share`` (``params[P_LIMITS]``), the
    walk goes from the segment of ``t`` to the next one with someone below
    their cap on that segment's day; the candidates' shares come from the
    ``RAMP_SHARE`` column, round robin's credits from ``mf[:, CREDIT]``, and
    the new lead is counted in ``routing[2]`` (per manager and day).

    Args:
        t: the lead's arrival, minutes from the start (never earlier than the previous routing's).
        counter: the number of the weighted policy's uniform in the stream ``seed``.
        seed: the run's stream of uniforms.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``: the packed segments, the new leads
            per manager and day, and the cache of :func:`eligible` (``pick_i[:PICK_HEAD] = -1``: empty).
        hn: the task lists' counts (least_loaded reads them).
        md: the per-manager-day table.
        mf: the per-manager float table.
        params: the scalars (tables.P_*).
        counters: the loop's counters (``LAST_ROUTED``, ``SEGMENT``).
        deadline: the lead's expiry (``tables.EXPIRY``): under limits, nobody gets it for a
            segment that begins after it (the reference's ``choose_new``).

    Returns:
        ``(manager, at)``: a manager, M for the shared queue, -1 for nobody;
        and when they may take it (``t``, or the start of the later
        segment they were chosen in), minutes from the start.
    """
    rf, ri, new_count, pick_w, pick_i = routing
    policy = int(params[P_POLICY])
    if params[P_LIMITS] < 0.5:
        chosen = route(t, counter, policy, seed, rf, ri, hn, counters)
        j = counters[SEGMENT]
        r = ri[ri[OFF_ROUTE_SEG] + j] if 0 <= j < ri[N_SEGMENTS] else -1
        return chosen, (rf[r] if r > j else t)
    nb = ri[N_BOUNDS]
    j = counters[SEGMENT]
    while j + 1 < nb and rf[j + 1] <= t:
        j += 1
    counters[SEGMENT] = j
    if j < 0 or j >= ri[N_SEGMENTS]:
        return -1, t
    cap = int(params[P_CAP])
    until = ri[OFF_UNTIL]
    last = counters[LAST_ROUTED]
    u = uniform(seed, counter) if policy == WEIGHTED else 0.0
    r = ri[ri[OFF_ROUTE_SEG] + j]
    while r >= 0:
        if (rf[r] if r > j else t) > deadline:  # it would expire before anyone below the cap takes it
            return -1, t
        if pick_i[FULL] == r:  # everyone at the cap here (it stays so): no scan, on to the next one
            r = ri[ri[OFF_ROUTE_SEG] + r + 1] if r + 1 < ri[N_SEGMENTS] else -1
            continue
        day = min(day_of(rf[r]), new_count.shape[1] - 1)
        lo = ri[OFF_CANDS] + ri[ri[OFF_SEG_PTR] + r]
        hi = ri[OFF_CANDS] + ri[ri[OFF_SEG_PTR] + r + 1]
        # round robin's and least loaded's order: from the first after `last`
        first = bisect_right(ri, last, lo, hi) if policy != WEIGHTED else lo
        check = ri[ri[OFF_CHANGING] + r] != 0  # someone here may be gone (probation): look
        chosen = -1
        if not check and pick_i[0] != r:  # the candidates with room here, and their running weights
            eligible(r, day, lo, hi, cap, ri, new_count, md, pick_w, pick_i)
        if policy == WEIGHTED and not check:
            # The first candidate whose running weight exceeds x, found from the sums' guide.
            n = pick_i[1]
            if n > 0:
                x = u * pick_w[n - 1]
                pick = guided_search(pick_w, 0, n, pick_i, PICK_HEAD + pick_w.size, u, x)
                chosen = pick_i[PICK_HEAD + min(pick, n - 1)]
        elif policy == WEIGHTED:
            total = 0.0
            for i in range(lo, hi):
                c = ri[i]
                if (cap < 0 or new_count[c, day] < cap) and (not check or t < rf[until + c]):
                    total += md[c, day, ROUTE_W] * md[c, day, RAMP_SHARE]
            x = u * total
            running = 0.0
            for i in range(lo, hi):
                c = ri[i]
                if (cap < 0 or new_count[c, day] < cap) and (not check or t < rf[until + c]):
                    running += md[c, day, ROUTE_W] * md[c, day, RAMP_SHARE]
                    chosen = c  # the last candidate with room if rounding leaves x at the total
                    if running > x:
                        break
        elif policy == LEAST_LOADED:
            best = 0.0
            for n in range(hi - lo):
                i = first + n if first + n < hi else first + n - (hi - lo)
                c = ri[i]
                if (cap < 0 or new_count[c, day] < cap) and (not check or t < rf[until + c]):
                    load = task_load(c, hn) / md[c, day, RAMP_SHARE]
                    if chosen < 0 or load < best:
                        chosen, best = c, load
        else:  # round robin; a manager in ramp takes the lead when their credit reaches 1
            room = pick_i[1] > 0  # anyone below the cap (the cache; looked at one by one if flagged)
            if check:
                room = False
                for i in range(lo, hi):
                    if (cap < 0 or new_count[ri[i], day] < cap) and t < rf[until + ri[i]]:
                        room = True
            while room and chosen < 0:
                for n in range(hi - lo):
                    i = first + n if first + n < hi else first + n - (hi - lo)
                    c = ri[i]
                    if (cap >= 0 and new_count[c, day] >= cap) or (check and t >= rf[until + c]):
                        continue
                    share = md[c, day, RAMP_SHARE]
                    if share >= 1.0:
                        chosen = c
                        break
                    mf[c, CREDIT] += share
                    if mf[c, CREDIT] >= 1.0:
                        mf[c, CREDIT] -= 1.0
                        chosen = c
                        break
        if chosen >= 0:
            new_count[chosen, day] += 1
            if cap >= 0 and new_count[chosen, day] >= cap:  # out of room today: the cache is stale
                pick_i[0] = -1
            counters[LAST_ROUTED] = chosen
            return chosen, (rf[r] if r > j else t)
        r = ri[ri[OFF_ROUTE_SEG] + r + 1] if r + 1 < ri[N_SEGMENTS] else -1
    return -1, t
