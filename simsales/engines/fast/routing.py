"""Routing in the fast engine: :mod:`simsales.engines.routing`'s rule, compiled.

The candidates of the reference rule (managers on shift, else those whose
next shift starts first) change only at shift boundaries, so they are
computed once per plan, per segment of time between two boundaries
(:func:`routing_segments`), and packed into two arrays
(:func:`pack_routing`).  :func:`route` then makes the reference choice in
O(log M) for round robin and weighted, O(candidates) for least loaded.

The policies' integer codes come from the one table,
:data:`simsales.scenario.policies.ROUTING_POLICIES` (numba reads them as
module-level constants).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.queues import COUNT, CREDIT, LAST_ROUTED, SEGMENT, uniform
from simsales.engines.fast.tables import P_CAP, P_LIMITS, P_POLICY, RAMP_SHARE, ROUTE_W
from simsales.scenario.policies import POLICY_CODES
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.roster import Roster

__all__ = [
    "LEAST_LOADED", "ROUND_ROBIN", "RULES", "SHARED_QUEUE", "WEIGHTED", "bisect_right", "pack_routing",
    "route", "route_new", "routing_segments",
]

ROUND_ROBIN = POLICY_CODES["round_robin"]
LEAST_LOADED = POLICY_CODES["least_loaded"]
WEIGHTED = POLICY_CODES["weighted"]
SHARED_QUEUE = POLICY_CODES["shared_queue"]
RULES = frozenset({ROUND_ROBIN, LEAST_LOADED, WEIGHTED, SHARED_QUEUE})
"""The codes :func:`route` has a rule for (any other would be routed round robin)."""
# Header of the packed routing table ``ri`` (see pack_routing).
N_BOUNDS, OFF_SEG_PTR, OFF_CANDS, OFF_ROUTE_SEG, OFF_CUM_PTR, N_SEGMENTS = range(6)


def routing_segments(roster: Roster, weighted: bool,
                     windows: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, ...]:
    """Who may get a lead, per segment of time between shift boundaries.

    Args:
        roster: the plan's roster (shifts, throughput, skill).
        weighted: whether to compute the weighted policy's cumulative weights.
        windows: ``(start, end)`` per manager and day, the routing windows
            (:func:`simsales.world.shifts.routing_windows`); None: the shifts.

    Returns:
        ``(bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight)``:
        segment ``j`` is ``[bounds[j], bounds[j + 1])`` (minutes; midnights
        are boundaries, so a segment lies within one day);
        ``seg_cands[seg_ptr[j]:seg_ptr[j + 1]]`` are the managers on shift in
        it, ascending.  ``route_seg[j]`` is ``j`` if anyone is on shift, else
        the next segment with someone on shift (its managers are exactly
        those whose next shift starts first), else -1.  For the weighted
        policy, ``cum_weight[cum_ptr[j]:cum_ptr[j + 1]]`` are the cumulative
        weights (throughput on segment ``j``'s day x skill) of the
        candidates of ``route_seg[j]``, as the reference rule computes them
        at routing time.
    """
    start, end = (roster.shift_start, roster.shift_end) if windows is None else windows
    return _segments(np.ascontiguousarray(start, dtype=float),
                     np.ascontiguousarray(end, dtype=float),
                     np.ascontiguousarray(roster.throughput, dtype=float),
                     np.ascontiguousarray(roster.skill, dtype=float), weighted)


@njit(cache=True, error_model="numpy")
def _segments(start: np.ndarray, end: np.ndarray, throughput: np.ndarray, skill: np.ndarray,
              weighted: bool) -> tuple[np.ndarray, ...]:
    """routing_segments on the roster's arrays (compiled: numpy took 0.5 ms a plan here)."""
    n_managers, n_days = start.shape
    edges = np.empty(2 * n_managers * n_days + n_days + 1)
    k = 0
    for m in range(n_managers):
        for d in range(n_days):
            if end[m, d] > start[m, d]:
                edges[k], edges[k + 1] = start[m, d], end[m, d]
                k += 2
    for d in range(n_days + 1):
        edges[k] = d * MINUTES_PER_DAY
        k += 1
    bounds = np.unique(edges[:k])
    n_seg = bounds.size - 1
    day = np.empty(n_seg, np.int64)
    seg_ptr = np.zeros(n_seg + 1, np.int64)
    cands = np.empty(n_managers * n_seg, np.int64)
    for j in range(n_seg):
        left = bounds[j]
        day[j] = min(int(left // MINUTES_PER_DAY), n_days - 1)
        k = seg_ptr[j]
        for m in range(n_managers):  # on shift: today's, or yesterday's past midnight
            if start[m, day[j]] <= left < end[m, day[j]] or (
                    day[j] > 0 and start[m, day[j] - 1] <= left < end[m, day[j] - 1]):
                cands[k] = m
                k += 1
        seg_ptr[j + 1] = k
    route_seg = np.full(n_seg, -1, np.int64)
    following = -1
    for j in range(n_seg - 1, -1, -1):
        if seg_ptr[j + 1] > seg_ptr[j]:
            following = j
        route_seg[j] = following
    seg_cands = cands[:seg_ptr[n_seg]].copy()
    if not weighted:
        return bounds, seg_ptr, seg_cands, route_seg, np.zeros(1, np.int64), np.zeros(1)
    cum_ptr = np.zeros(n_seg + 1, np.int64)
    for j in range(n_seg):
        r = route_seg[j]
        cum_ptr[j + 1] = cum_ptr[j] + (seg_ptr[r + 1] - seg_ptr[r] if r >= 0 else 0)
    cum_weight = np.empty(cum_ptr[n_seg])
    total = base = 0.0  # one running sum over all segments, less the sum before each one
    for j in range(n_seg):
        r = route_seg[j]
        base = total
        for i in range(cum_ptr[j + 1] - cum_ptr[j]):
            c = seg_cands[seg_ptr[r] + i]
            total += throughput[c, day[j]] * skill[c]
            cum_weight[cum_ptr[j] + i] = total - base
    return bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight


def pack_routing(segments: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The segments as one float and one integer array (few arrays keep the loop fast).

    Args:
        segments: what :func:`routing_segments` returns.

    Returns:
        ``(rf, ri)``: ``rf`` = bounds then cumulative weights; ``ri`` = a
        header of offsets (``N_BOUNDS`` ...) then seg_ptr, seg_cands,
        route_seg, cum_ptr.
    """
    bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight = segments
    header = 6
    offsets = np.cumsum([header, seg_ptr.size, seg_cands.size, route_seg.size])
    head = np.array([bounds.size, offsets[0], offsets[1], offsets[2], offsets[3], route_seg.size])
    ri = np.concatenate([head, seg_ptr, seg_cands, route_seg, cum_ptr]).astype(np.int64)
    return np.concatenate([bounds, cum_weight]), ri


@njit(cache=True, error_model="numpy", inline="always")
def bisect_right(a: np.ndarray, x: float, lo: int, hi: int) -> int:
    """The first index in ``a[lo:hi]`` whose value is > x, as ``bisect.bisect_right``.

    Args:
        a: an array, ascending within ``[lo, hi)``.
        x: the value.
        lo: the first index searched.
        hi: one past the last.

    Returns:
        The index (``hi`` if none).
    """
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, error_model="numpy", inline="always")
def route(t: float, counter: int, policy: int, seed: np.uint64, rf: np.ndarray, ri: np.ndarray,
          hn: np.ndarray, counters: np.ndarray) -> int:
    """Who gets a lead or a task at ``t``: :func:`simsales.engines.routing.choose`, compiled.

    Args:
        t: the moment of routing, minutes from the start (never earlier than
            the previous routing's).
        counter: the number of the weighted policy's uniform in the stream ``seed``.
        policy: the policy's code (``ROUND_ROBIN`` ...).
        seed: the run's stream of uniforms (queues.uniform).
        rf: the packed segments' floats (:func:`pack_routing`).
        ri: the packed segments' integers.
        hn: the task lists' counts (rows 2m, 2m + 1 per manager; least_loaded reads them).
        counters: the loop's counters; reads and updates ``LAST_ROUTED`` and ``SEGMENT``.

    Returns:
        A manager, M for the shared queue, -1 for nobody.
    """
    n_managers = (hn.shape[0] - 2) // 2
    if policy == SHARED_QUEUE:
        return n_managers
    nb = ri[N_BOUNDS]
    j = counters[SEGMENT]  # routing times never decrease: walk forward from the last segment
    while j + 1 < nb and rf[j + 1] <= t:
        j += 1
    counters[SEGMENT] = j
    if j < 0 or j >= ri[N_SEGMENTS]:
        return -1
    r = ri[ri[OFF_ROUTE_SEG] + j]
    if r < 0:
        return -1
    cands = ri[OFF_CANDS]
    lo, hi = cands + ri[ri[OFF_SEG_PTR] + r], cands + ri[ri[OFF_SEG_PTR] + r + 1]
    last = counters[LAST_ROUTED]
    if policy == WEIGHTED:
        w_lo, w_hi = nb + ri[ri[OFF_CUM_PTR] + j], nb + ri[ri[OFF_CUM_PTR] + j + 1]
        x = uniform(seed, counter) * rf[w_hi - 1]
        pick = bisect_right(rf, x, w_lo, w_hi) - w_lo
        chosen = ri[lo + min(pick, hi - lo - 1)]
    elif policy == LEAST_LOADED:
        # The fewest queued tasks; among equals, the first after the last manager routed
        # to: the smallest load * M + (c - last - 1) mod M (the mod without a division).
        chosen, best = -1, -1
        for i in range(lo, hi):
            c = ri[i]
            score = (hn[2 * c, COUNT] + hn[2 * c + 1, COUNT]) * n_managers + c - last - 1
            if c <= last:
                score += n_managers
            if best < 0 or score < best:
                chosen, best = c, score
    else:  # round robin: the first candidate after the last manager routed to
        i = bisect_right(ri, last, lo, hi)
        chosen = ri[i] if i < hi else ri[lo]
    counters[LAST_ROUTED] = chosen
    return chosen


@njit(cache=True, error_model="numpy", inline="always")
def route_new(t: float, counter: int, seed: np.uint64, routing: tuple, hn: np.ndarray, md: np.ndarray,
              mf: np.ndarray, params: np.ndarray, counters: np.ndarray) -> tuple[int, float]:
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
        routing: ``(rf, ri, new_count)``.
        hn: the task lists' counts (least_loaded reads them).
        md: the per-manager-day table.
        mf: the per-manager float table.
        params: the scalars (tables.P_*).
        counters: the loop's counters (``LAST_ROUTED``, ``SEGMENT``).

    Returns:
        ``(manager, at)``: a manager, M for the shared queue, -1 for nobody;
        and when they may take it (``t``, or the start of the later
        segment they were chosen in), minutes from the start.
    """
    rf, ri, new_count = routing
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
    last = counters[LAST_ROUTED]
    u = uniform(seed, counter) if policy == WEIGHTED else 0.0
    r = ri[ri[OFF_ROUTE_SEG] + j]
    while r >= 0:
        day = min(int(rf[r] // MINUTES_PER_DAY), new_count.shape[1] - 1)
        lo = ri[OFF_CANDS] + ri[ri[OFF_SEG_PTR] + r]
        hi = ri[OFF_CANDS] + ri[ri[OFF_SEG_PTR] + r + 1]
        first = bisect_right(ri, last, lo, hi)  # round robin's order: from the first after `last`
        chosen = -1
        if policy == WEIGHTED:
            total = 0.0
            for i in range(lo, hi):
                c = ri[i]
                if cap < 0 or new_count[c, day] < cap:
                    total += md[c, day, ROUTE_W] * md[c, day, RAMP_SHARE]
            x = u * total
            running = 0.0
            for i in range(lo, hi):
                c = ri[i]
                if cap < 0 or new_count[c, day] < cap:
                    running += md[c, day, ROUTE_W] * md[c, day, RAMP_SHARE]
                    chosen = c  # the last candidate with room if rounding leaves x at the total
                    if running > x:
                        break
        elif policy == LEAST_LOADED:
            best = 0.0
            for n in range(hi - lo):
                i = first + n if first + n < hi else first + n - (hi - lo)
                c = ri[i]
                if cap < 0 or new_count[c, day] < cap:
                    load = (hn[2 * c, COUNT] + hn[2 * c + 1, COUNT]) / md[c, day, RAMP_SHARE]
                    if chosen < 0 or load < best:
                        chosen, best = c, load
        else:  # round robin; a manager in ramp takes the lead when their credit reaches 1
            room = False
            for i in range(lo, hi):
                if cap < 0 or new_count[ri[i], day] < cap:
                    room = True
            while room and chosen < 0:
                for n in range(hi - lo):
                    i = first + n if first + n < hi else first + n - (hi - lo)
                    c = ri[i]
                    if cap >= 0 and new_count[c, day] >= cap:
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
            counters[LAST_ROUTED] = chosen
            return chosen, (rf[r] if r > j else t)
        r = ri[ri[OFF_ROUTE_SEG] + r + 1] if r + 1 < ri[N_SEGMENTS] else -1
    return -1, t
