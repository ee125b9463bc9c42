"""Routing in the fast engine: :mod:`simsales.engines.routing`'s rule, compiled.

The candidates of the reference rule (managers on shift, else those whose
next shift starts first) change only at shift boundaries, so they are
computed once per plan, per segment of time between two boundaries
(:func:`routing_segments`), and packed into two arrays
(:func:`pack_routing`).  :func:`route` then makes the reference choice in
O(log M) for round robin, a few steps for weighted (a guide table,
:mod:`~simsales.engines.fast.guide`), O(candidates) for least loaded.

Probation changes the team within the run (MODEL.md section 6): a manager
let go stops being a candidate at that minute, and a standby is one only
once brought in.  Each manager's candidacy ends at ``until`` (a column of
the packed table the loops write: 0 for a standby not brought in, the
firing minute for a fired manager, inf otherwise), and segments where
someone's candidacy may have ended are flagged (``changing``): there
:func:`route` takes the slower :func:`route_present`, which skips those who
are gone.  Without probation no segment is flagged and nothing else changes.

The policies' integer codes come from the one table,
:data:`simsales.scenario.policies.ROUTING_POLICIES` (numba reads them as
module-level constants).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.days import day_of
from simsales.engines.fast.guide import guided_search, guides
from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import LAST_ROUTED, ROWS, SEGMENT, task_load, uniform
from simsales.scenario.policies import POLICY_CODES
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.roster import Roster

__all__ = [
    "LEAST_LOADED", "ROUND_ROBIN", "RULES", "SHARED_QUEUE", "WEIGHTED", "bisect_right", "pack_routing",
    "presence", "route", "route_present", "routing_segments",
]

ROUND_ROBIN = POLICY_CODES["round_robin"]
LEAST_LOADED = POLICY_CODES["least_loaded"]
WEIGHTED = POLICY_CODES["weighted"]
SHARED_QUEUE = POLICY_CODES["shared_queue"]
RULES = frozenset({ROUND_ROBIN, LEAST_LOADED, WEIGHTED, SHARED_QUEUE})
"""The codes :func:`route` has a rule for (any other would be routed round robin)."""
# Header of the packed routing table ``ri`` (see pack_routing).
(N_BOUNDS, OFF_SEG_PTR, OFF_CANDS, OFF_ROUTE_SEG, OFF_CUM_PTR, N_SEGMENTS, OFF_CHANGING, OFF_UNTIL,
 OFF_WEIGHT, N_DAYS, OFF_GUIDE) = range(11)
HEADER = 11


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
    # Nobody is routed to past the last day's midnight, as in the reference rule (routing.candidates),
    # though a shift of the last day runs on past it: a hand-over of a task due then keeps its owner.
    last = start.shape[1] * float(MINUTES_PER_DAY)
    start = np.ascontiguousarray(np.minimum(start, last), dtype=float)
    end = np.ascontiguousarray(np.minimum(end, last), dtype=float)
    worked = end > start
    # Every shift's start and end, and every midnight, once each, in order (numpy's unique:
    # numba's would add about 1.5 s to the first run's compile).
    bounds = np.unique(np.concatenate((start[worked], end[worked],
                                       np.arange(start.shape[1] + 1) * float(MINUTES_PER_DAY))))
    return _segments(bounds, start, end, np.ascontiguousarray(roster.throughput, dtype=float),
                     np.ascontiguousarray(roster.skill, dtype=float), weighted)


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def _segments(bounds: np.ndarray, start: np.ndarray, end: np.ndarray, throughput: np.ndarray,
              skill: np.ndarray, weighted: bool) -> tuple[np.ndarray, ...]:
    """routing_segments past the bounds, on the roster's arrays (compiled: numpy took 0.5 ms a plan here)."""
    n_managers, n_days = start.shape
    n_seg = bounds.size - 1
    day = np.empty(n_seg, np.int64)
    seg_ptr = np.zeros(n_seg + 1, np.int64)
    cands = np.empty(n_managers * n_seg, np.int64)
    for j in range(n_seg):
        left = bounds[j]
        day[j] = min(day_of(left), n_days - 1)
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


def presence(segments: tuple[np.ndarray, ...], changes_at: np.ndarray, standby: np.ndarray,
             weight: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Who may stop (or not yet be) a candidate, for :func:`pack_routing`.

    Args:
        segments: what :func:`routing_segments` returns.
        changes_at: per manager (M), the minute their candidacy may end (a
            probation decision; inf if never), minutes from the start.
        standby: per manager, True for a standby (no candidate until brought in).
        weight: per manager and day ``(M, D)``, the weighted policy's weight
            (throughput x skill), or None for the other policies.

    Returns:
        ``(until, changing, weight, n_days)``: every manager's candidacy end
        (inf; 0 for a standby), per segment whether one of its candidates
        (those of ``route_seg``) may be gone within it, the weights flattened
        (empty if None) and the number of days.
    """
    bounds, seg_ptr, seg_cands, route_seg, _, _ = segments
    first_change = np.where(standby, -np.inf, changes_at)[seg_cands]
    n_seg = route_seg.size
    earliest = np.full(n_seg, np.inf)  # per segment, the earliest change among its candidates
    filled = np.flatnonzero(seg_ptr[1:] > seg_ptr[:-1])
    earliest[filled] = np.minimum.reduceat(first_change, seg_ptr[filled]) if filled.size else earliest[filled]
    changing = np.zeros(n_seg, np.int64)
    routed = route_seg >= 0
    changing[routed] = earliest[route_seg[routed]] < bounds[1:][routed]
    until = np.where(standby, 0.0, np.inf)
    flat = np.zeros(0) if weight is None else np.ascontiguousarray(weight, dtype=float).ravel()
    return until, changing, flat, 0 if weight is None else weight.shape[1]


def pack_routing(segments: tuple[np.ndarray, ...],
                 present: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The segments as one float and one integer array (few arrays keep the loop fast).

    Args:
        segments: what :func:`routing_segments` returns.
        present: what :func:`presence` returns; None: nobody's candidacy changes.

    Returns:
        ``(rf, ri)``: ``rf`` = bounds, cumulative weights, each manager's
        candidacy end (``until``, written by the loops), weights per manager
        and day; ``ri`` = a header of offsets and sizes (``N_BOUNDS`` ...)
        then seg_ptr, seg_cands, route_seg, cum_ptr, changing, and the
        guide of each segment's cumulative weights (:mod:`~simsales.engines.fast.guide`).
    """
    bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight = segments
    if present is None:  # no segment changes: route never reads until or the weights
        present = (np.zeros(0), np.zeros(route_seg.size, np.int64), np.zeros(0), 0)
    until, changing, weight, n_days = present
    offsets = np.cumsum([HEADER, seg_ptr.size, seg_cands.size, route_seg.size, cum_ptr.size, changing.size])
    f_until = bounds.size + cum_weight.size
    head = np.array([bounds.size, offsets[0], offsets[1], offsets[2], offsets[3], route_seg.size,
                     offsets[4], f_until, f_until + until.size, n_days, offsets[5]])
    # Only the weighted policy has running weights (the others get placeholders: cum_ptr [0], one weight).
    guide = guides(cum_ptr, cum_weight) if cum_weight.size == cum_ptr[-1] else np.zeros(0, np.int64)
    ri = np.concatenate([head, seg_ptr, seg_cands, route_seg, cum_ptr, changing, guide]).astype(np.int64)
    return np.concatenate([bounds, cum_weight, until, weight]).astype(float), ri


@inner(error_model="numpy", _nrt=False)
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


@inner(error_model="numpy", _nrt=False)
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
        hn: the task lists' counts (rows 3m to 3m + 2 per manager; least_loaded reads them).
        counters: the loop's counters; reads and updates ``LAST_ROUTED`` and ``SEGMENT``.

    Returns:
        A manager, M for the shared queue, -1 for nobody.
    """
    n_managers = hn.shape[0] // ROWS - 1
    if policy == SHARED_QUEUE:
        return n_managers
    nb = ri[N_BOUNDS]
    j = counters[SEGMENT]  # routing times never decrease: walk forward from the last segment
    if j + 1 < nb and rf[j + 1] <= t:  # a step or two as a rule; a task due days ahead: a bisection
        j += 1
        if j + 1 < nb and rf[j + 1] <= t:
            j = bisect_right(rf, t, j + 1, nb) - 1  # the last bound <= t (the bounds increase)
    counters[SEGMENT] = j
    if j < 0 or j >= ri[N_SEGMENTS]:
        return -1
    r = ri[ri[OFF_ROUTE_SEG] + j]
    if r < 0:
        return -1
    last = counters[LAST_ROUTED]
    if ri[ri[OFF_CHANGING] + j]:  # someone here may be gone (probation): the slower rule
        chosen = route_present(t, counter, policy, seed, rf, ri, hn, r, last)
        if chosen >= 0:
            counters[LAST_ROUTED] = chosen
        return chosen
    cands = ri[OFF_CANDS]
    lo, hi = cands + ri[ri[OFF_SEG_PTR] + r], cands + ri[ri[OFF_SEG_PTR] + r + 1]
    if policy == WEIGHTED:
        w_lo, w_hi = nb + ri[ri[OFF_CUM_PTR] + j], nb + ri[ri[OFF_CUM_PTR] + j + 1]
        u = uniform(seed, counter)
        x = u * rf[w_hi - 1]
        pick = guided_search(rf, w_lo, w_hi - w_lo, ri, ri[OFF_GUIDE] + w_lo - nb, u, x)
        chosen = ri[lo + min(pick, hi - lo - 1)]
    elif policy == LEAST_LOADED:
        # The fewest queued tasks; among equals, the first after the last manager routed
        # to: the smallest load * M + (c - last - 1) mod M (the mod without a division).
        chosen, best = -1, -1
        for i in range(lo, hi):
            c = ri[i]
            score = task_load(c, hn) * n_managers + c - last - 1
            if c <= last:
                score += n_managers
            if best < 0 or score < best:
                chosen, best = c, score
    else:  # round robin: the first candidate after the last manager routed to
        i = bisect_right(ri, last, lo, hi)
        chosen = ri[i] if i < hi else ri[lo]
    counters[LAST_ROUTED] = chosen
    return chosen


@inner(error_model="numpy", _nrt=False)
def route_present(t: float, counter: int, policy: int, seed: np.uint64, rf: np.ndarray, ri: np.ndarray,
                  hn: np.ndarray, r: int, last: int) -> int:
    """:func:`route`'s choice among the candidates still present at ``t`` (not inlined: rare).

    The candidates of segment ``r`` whose candidacy has not ended
    (``t < until``); if none is left, those of the next segment with anyone
    on shift, and so on: the managers whose next shift starts first, as the
    reference rule finds them on the shifts of the team as it is at ``t``.

    Args:
        t: the moment of routing, minutes from the start.
        counter: the number of the weighted policy's uniform in the stream ``seed``.
        policy: the policy's code (not ``SHARED_QUEUE``).
        seed: the run's stream of uniforms.
        rf: the packed segments' floats.
        ri: the packed segments' integers.
        hn: the task lists' counts (least_loaded reads them).
        r: the first segment with anyone on shift at or after ``t``.
        last: the manager routed to last (-1: nobody yet).

    Returns:
        A manager, or -1 for nobody.
    """
    n_managers = hn.shape[0] // ROWS - 1
    until, n_days = ri[OFF_UNTIL], ri[N_DAYS]
    cands, n_seg = ri[OFF_CANDS], ri[N_SEGMENTS]
    while r >= 0:
        lo, hi = cands + ri[ri[OFF_SEG_PTR] + r], cands + ri[ri[OFF_SEG_PTR] + r + 1]
        chosen, best, total = -1, -1, 0.0
        d = min(int(t / MINUTES_PER_DAY), n_days - 1)
        for i in range(lo, hi):
            c = ri[i]
            if t >= rf[until + c]:
                continue  # gone, or not brought in
            if policy == WEIGHTED:
                total += rf[ri[OFF_WEIGHT] + c * n_days + d]
                chosen = c  # the last one, if the draw falls past every cumulative weight
            elif policy == LEAST_LOADED:
                score = task_load(c, hn) * n_managers + c - last - 1
                if c <= last:
                    score += n_managers
                if best < 0 or score < best:
                    chosen, best = c, score
            elif chosen < 0 or (chosen <= last < c):  # round robin: the first after last, else the first
                chosen = c
        if chosen >= 0:
            if policy == WEIGHTED:
                x, cum = uniform(seed, counter) * total, 0.0
                for i in range(lo, hi):  # the first whose cumulative weight exceeds x (the same sums)
                    c = ri[i]
                    if t < rf[until + c]:
                        cum += rf[ri[OFF_WEIGHT] + c * n_days + d]
                        if cum > x:
                            return c
            return chosen
        r = ri[ri[OFF_ROUTE_SEG] + r + 1] if r + 1 < n_seg else -1
    return -1
