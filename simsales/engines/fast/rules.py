"""The rules both of the fast engine's loops follow, compiled with numba.

A manager's work (MODEL.md sections 3 to 5) as small inlined functions over
the loop's arrays: routing (:func:`route`), queueing a task and waking its
manager (:func:`give`), finishing a call (:func:`finish`), taking the next
due task and starting it (:func:`take`), and handing a leaver's tasks over
(:func:`reassign`).  :mod:`simsales.engines.des` stays the specification;
:mod:`~simsales.engines.fast.loop` (one event heap over all managers) and
:mod:`~simsales.engines.fast.split` (each manager on their own) only decide
*when* these run.

State lives in a few 2-D tables (per lead, per manager, per manager-day)
whose columns are named below: a lead's fields share a cache line.  Every
helper is inlined at numba-IR level (see the speed notes in fast_queues).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    OFFER,
)
from simsales.engines.fast.queues import (
    BUSY,
    BUSY_MINUTES,
    COUNT,
    EV_KIND,
    EV_LEAD,
    EV_RESULT,
    EV_T,
    FIRST,
    LAST_ROUTED,
    LEAD_BITS,
    LEAD_MASK,
    NEXT_ON,
    REASSIGN_DRAWS,
    SEGMENT,
    SEQ,
    STOP,
    borrowed,
    set_event,
    task_first,
    task_pop,
    task_push,
    unchecked,
    uniform,
)

MINUTES_PER_DAY = 1440.0
INF = np.inf
# Columns of the per-lead input table ``lf`` (minutes, probabilities): one row per lead.
CREATED, P_QUALIFY, CALL_MIN, PRESENT_MIN, DELAY_MIN = range(5)
# Columns of the per-manager-day table ``md``; NEXT_SHIFT_DAY is the first day on or
# after this one with a shift (the number of days if none).
SHIFT_START, SHIFT_END, THROUGHPUT, CONVERSION, NEXT_SHIFT_DAY = range(5)
# Header of the packed routing table ``ri`` (see fast.pack_routing).
N_BOUNDS, OFF_SEG_PTR, OFF_CANDS, OFF_ROUTE_SEG, OFF_CUM_PTR, N_SEGMENTS = range(6)
# Manager events and what a finished call or dial leads to.
IDLE, WAKE, DONE = 0, 1, 2
CLOSED, NEXT_ATTEMPT, PRESENT, OFFER_MADE, NO_OFFER = range(5)
ROUND_ROBIN, LEAST_LOADED, WEIGHTED, SHARED_QUEUE = range(4)
NO_DECAY, HALF_LIFE, TABLE = 0, 1, 2
# Scalars in ``params``.
(P_HORIZON, P_TTL, P_DIAL, P_TALK_SHARE, P_OFFER, P_HALF_LIFE, P_FLOOR, P_POLICY, P_NEW_FIRST,
 P_DECAY_KIND) = range(10)


@njit(cache=True, error_model="numpy", inline="always")
def decay(age: float, kind: int, half_life: float, floor: float, table: np.ndarray) -> float:
    """``world.contact_decay``, compiled; ``table`` rows are ages and factors."""
    if kind == HALF_LIFE:
        return max(floor, 0.5 ** (age / half_life))
    if kind == TABLE:
        i = bisect_right(table[0], age, 0, table.shape[1]) - 1
        return table[1, i] if i >= 0 else 1.0
    return 1.0


@njit(cache=True, error_model="numpy", inline="always")
def bisect_right(a: np.ndarray, x: float, lo: int, hi: int) -> int:
    """First index in ``a[lo:hi]`` whose value is > x (``hi`` if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, error_model="numpy", inline="always")
def next_action(m: int, t: float, mf: np.ndarray, hd: np.ndarray, hn: np.ndarray,
                md: np.ndarray, shared: bool) -> float:
    """First time >= t (minutes) when manager ``m`` is on shift with a due task; inf if never.

    Their own task lists count, and the shared queue's if ``shared`` (only
    the event loop has one; a literal False lets the compiler drop it).  The reference engine
    reaches the same moment by waiting for the shift start, the earliest due
    task or the shift end, whichever comes first.
    """
    stop = mf[m, STOP]
    if t >= stop:
        return INF
    pool = 2 * mf.shape[0]
    q = INF
    for h in (2 * m, 2 * m + 1, pool, pool + 1):
        if (shared or h < pool) and hn[h, COUNT] > 0 and hd[h, task_first(h, hn)] < q:
            q = hd[h, task_first(h, hn)]
    if q == INF:
        return INF
    x = on_shift_from(m, max(t, q), md)
    return x if x < stop else INF


@njit(cache=True, error_model="numpy", inline="always")
def on_shift_from(m: int, x: float, md: np.ndarray) -> float:
    """The first moment >= x (minutes) when manager ``m`` is on shift; inf if none."""
    n_days = md.shape[1]
    d = int(x / MINUTES_PER_DAY)
    while d < n_days:
        d = int(md[m, d, NEXT_SHIFT_DAY])  # skip the days off at once
        if d >= n_days:
            break
        if md[m, d, SHIFT_END] > x:
            return max(x, md[m, d, SHIFT_START])
        d += 1
    return INF


@njit(cache=True, error_model="numpy", inline="always")
def route(t: float, counter: int, policy: int, seed: np.uint64, rf: np.ndarray, ri: np.ndarray,
          hn: np.ndarray, counters: np.ndarray) -> int:
    """Who gets a lead or a task at ``t``: a manager, M for the shared queue, -1 for nobody.

    ``rf``/``ri`` hold the precomputed segments (fast.routing_segments): in
    segment ``j`` the candidates are the managers on shift, or, if none,
    those whose next shift starts first, with cumulative weights for the
    weighted policy.  ``counter`` numbers the weighted policy's uniform.
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
def schedule(m: int, when: float, kind: int, heap: bool, mf: np.ndarray, mi: np.ndarray,
             events: tuple, counters: np.ndarray) -> None:
    """Set manager ``m``'s next event; keep the event heap in order if the loop has one."""
    if heap:
        set_event(m, when, kind, mf, mi, events, counters)
    else:
        mf[m, EV_T] = when
        mi[m, EV_KIND] = kind


@njit(cache=True, error_model="numpy", inline="always")
def wake_if_idle(m: int, t: float, heap: bool, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
                 queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Let an idle manager re-plan their wait now that a task is queued."""
    if mi[m, BUSY]:
        return
    hd, _, hn = queues
    when = next_action(m, t, mf, hd, hn, md, heap)
    if when < mf[m, EV_T]:
        schedule(m, when, WAKE, heap, mf, mi, events, counters)


@njit(cache=True, error_model="numpy", inline="always")
def give(target: int, due: float, lead: int, t: float, new_first: bool, heap: bool, step: np.ndarray,
         owner: np.ndarray, mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple,
         events: tuple, counters: np.ndarray) -> None:
    """The reference engine's ``give``: queue ``lead``'s task (due at ``due``) with
    ``target`` (a manager, or M for the shared queue) and wake whoever should act."""
    hd, hk, hn = queues
    n_managers = mf.shape[0]
    key = (counters[SEQ] << LEAD_BITS) | lead
    counters[SEQ] += 1
    fresh = new_first and step[lead] == 0
    task_push(2 * target if fresh else 2 * target + 1, due, key, hd, hk, hn, counters)
    if target < n_managers:
        owner[lead] = target
        wake_if_idle(target, t, heap, mf, mi, md, queues, events, counters)
        return
    # The shared queue: a task due now wakes the first idle manager on shift not
    # woken yet; a task due later lets every idle manager re-plan.  (Managers off
    # shift look at the queue when their shift starts, as in the reference.)
    d = min(int(t / MINUTES_PER_DAY), md.shape[1] - 1)
    woken = False
    for m in range(n_managers):
        if mi[m, BUSY] or t >= mf[m, STOP]:
            continue
        waiting = md[m, d, SHIFT_START] <= t < md[m, d, SHIFT_END]
        if waiting and due <= t:
            if not woken and mf[m, EV_T] > t:
                schedule(m, t, WAKE, heap, mf, mi, events, counters)
                woken = True
            continue
        if not waiting:
            # Off shift, nothing wakes m before their next moment on shift: if they
            # already wake by then, re-planning cannot move it (it is exact to skip).
            if t > mf[m, NEXT_ON]:  # remembered from an earlier gap, or never
                mf[m, NEXT_ON] = on_shift_from(m, t, md)
            if mf[m, EV_T] <= mf[m, NEXT_ON]:
                continue
        wake_if_idle(m, t, heap, mf, mi, md, queues, events, counters)


@njit(cache=True, error_model="numpy", inline="always")
def pop_due(m: int, t: float, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray, shared: bool) -> int:
    """Pop the task to do now (fresh first, then the rest; own or, if ``shared``, the shared
    queue's, earliest first)."""
    pool = hn.shape[0] - 2
    for own, pool_row in ((2 * m, pool), (2 * m + 1, pool + 1)):
        h, i = -1, 0
        for row in (own, pool_row):
            x = task_first(row, hn)
            if (shared or row == own) and hn[row, COUNT] > 0 and hd[row, x] <= t and (
                    h < 0 or hd[row, x] < hd[h, i] or (hd[row, x] == hd[h, i] and hk[row, x] < hk[h, i])):
                h, i = row, x
        if h >= 0:
            lead = hk[h, i] & LEAD_MASK
            task_pop(h, hn)
            return lead
    return -1


@njit(cache=True, error_model="numpy", inline="always")
def done(m: int, t: float, heap: bool, leads: tuple, out: tuple, steps: np.ndarray,
         routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray, mi: np.ndarray,
         md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Manager ``m``'s call or dial ends at ``t``: record its result, queue the follow-up.

    A follow-up of a call that ended after its manager left is routed anew.
    """
    lf, _, step = leads
    owner, end, offer_time = out[0], out[4], out[5]
    rf, ri = routing
    lead, result = mi[m, EV_LEAD], mi[m, EV_RESULT]
    n_steps = steps.shape[1]
    due = -1.0
    if result == NEXT_ATTEMPT:
        k = step[lead] + 1
        if k < n_steps:
            step[lead] = k
            due = max(lf[lead, CREATED] + steps[0, k], t)
        else:
            end[lead] = NO_CONTACT
    elif result == PRESENT:
        step[lead] = n_steps
        due = t + lf[lead, DELAY_MIN]
    elif result == OFFER_MADE:
        end[lead] = OFFER
        offer_time[lead] = t
    elif result == NO_OFFER:
        end[lead] = LOST_NO_OFFER
    if due >= 0.0:
        to = m
        if t >= mf[m, STOP]:  # the manager left during the call: route anew
            draw = lf.shape[0] * (n_steps + 3) + counters[REASSIGN_DRAWS]
            to = route(t, draw, int(params[P_POLICY]), seed, rf, ri, queues[2], counters)
            counters[REASSIGN_DRAWS] += 1
        if to >= 0:
            give(to, due, lead, t, params[P_NEW_FIRST] > 0.5, heap, step, owner, mf, mi, md, queues,
                 events, counters)
    mi[m, BUSY] = 0


@njit(cache=True, error_model="numpy", inline="always")
def take(m: int, t: float, leads: tuple, out: tuple, chain: tuple, params: np.ndarray,
         seed: np.uint64, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
         queues: tuple, shared: bool) -> tuple[float, int]:
    """Manager ``m`` is free at ``t``: start the next due task (MODEL.md sections 4 and 5).

    Attempts past ``lead_ttl`` are dropped as they come up (lazy expiry).
    ``shared``: whether the shared queue's lists count (see next_action).
    Returns the manager's next event: ``(end of the call or dial, DONE)``,
    ``(first moment on shift with a due task, WAKE)`` or ``(inf, IDLE)``.
    """
    lf, target, step = leads
    owner, attempts, first_attempt, contact, end, _ = out
    steps, decay_table = chain
    hd, hk, hn = queues
    n_steps = steps.shape[1]
    d = min(int(t / MINUTES_PER_DAY), md.shape[1] - 1)
    on_shift = md[m, d, SHIFT_START] <= t < md[m, d, SHIFT_END] and t < mf[m, STOP]
    while True:
        # On shift, the first due task is next_action's answer "now"; otherwise, or
        # with nothing due, next_action says when to look again.
        lead = pop_due(m, t, hd, hk, hn, shared) if on_shift else -1
        if lead < 0:
            when = next_action(m, t, mf, hd, hn, md, shared)
            return when, (WAKE if when < INF else IDLE)
        owner[lead] = m
        if step[lead] < n_steps and t > lf[lead, CREATED] + params[P_TTL]:
            end[lead] = EXPIRED
            continue
        break
    k = step[lead]
    draws = (n_steps + 3) * lead  # per-lead draws: one per attempt, qualify, offer, routing
    if k < n_steps:
        attempts[lead] += 1
        if np.isnan(first_attempt[lead]):
            first_attempt[lead] = t
        p = steps[1, k] * decay(t - lf[lead, CREATED], int(params[P_DECAY_KIND]),
                                params[P_HALF_LIFE], params[P_FLOOR], decay_table)
        if uniform(seed, draws + k) >= p:
            minutes, result = params[P_DIAL], NEXT_ATTEMPT
        else:
            contact[lead] = t
            minutes, result = lf[lead, CALL_MIN], CLOSED
            if target[lead] == 0:
                end[lead] = LOST_NONTARGET
            elif uniform(seed, draws + n_steps) >= lf[lead, P_QUALIFY]:
                end[lead] = LOST_UNQUALIFIED
            else:
                end[lead] = AWAITING_PRESENTATION
                result = PRESENT
    else:
        minutes = lf[lead, PRESENT_MIN]
        p = min(1.0, params[P_OFFER] * md[m, d, CONVERSION])
        result = OFFER_MADE if uniform(seed, draws + n_steps + 1) < p else NO_OFFER
    duration = minutes / (params[P_TALK_SHARE] * md[m, d, THROUGHPUT])
    mf[m, BUSY_MINUTES] += max(0.0, min(t + duration, params[P_HORIZON]) - t)
    mi[m, BUSY] = 1
    mi[m, EV_LEAD], mi[m, EV_RESULT] = lead, result
    return t + duration, DONE


@njit(cache=True, error_model="numpy")
def reassign(leaver: int, t: float, heap: bool, extra_draws: int, step: np.ndarray,
             owner: np.ndarray, routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray,
             mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
             counters: np.ndarray) -> None:
    """A leaving manager's queued tasks go, oldest first, to whoever routing picks at ``t``.

    The weighted policy's uniforms for re-routed tasks are numbered from
    ``extra_draws`` on (after every lead's own draws).
    """
    hd, hk, hn = queues
    rf, ri = routing
    a, b = 2 * leaver, 2 * leaver + 1
    a_lo, a_hi = hn[a, FIRST], hn[a, FIRST] + hn[a, COUNT]
    b_lo, b_hi = hn[b, FIRST], hn[b, FIRST] + hn[b, COUNT]
    due = np.concatenate((hd[a, a_lo:a_hi], hd[b, b_lo:b_hi]))
    key = np.concatenate((hk[a, a_lo:a_hi], hk[b, b_lo:b_hi]))
    hn[a, COUNT] = hn[b, COUNT] = hn[a, FIRST] = hn[b, FIRST] = 0
    by_key = np.argsort(key, kind="mergesort")  # key order is seq order
    for x in by_key[np.argsort(due[by_key], kind="mergesort")]:
        target = route(t, extra_draws + counters[REASSIGN_DRAWS], int(params[P_POLICY]), seed, rf,
                       ri, hn, counters)
        counters[REASSIGN_DRAWS] += 1
        if target >= 0:
            give(target, due[x], key[x] & LEAD_MASK, t, params[P_NEW_FIRST] > 0.5, heap, step,
                 owner, mf, mi, md, queues, events, counters)


@njit(cache=True, error_model="numpy")
def expire_at_horizon(created: np.ndarray, end: np.ndarray, lead_ttl: float, horizon: float) -> None:
    """At the horizon, attempts still planned past ``lead_ttl`` count as expired (as in des.py)."""
    for i in range(created.size):
        if end[i] == IN_CHAIN and created[i] + lead_ttl < horizon:
            end[i] = EXPIRED


@njit(cache=True, error_model="numpy", inline="always")
def views(leads: tuple, out: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
          state: tuple) -> tuple:
    """The loops' arguments (see fast_loop.run_loop) as views without reference counting.

    Per-lead arrays the loops index by lead become plain pointers
    (fast_queues.unchecked), the rest :func:`~simsales.engines.fast_queues.borrowed` views.
    Returns ``(leads, out, (md, leavers), chain, routing, params,
    (mf, mi, queues, events, counters))``.
    """
    return ((borrowed(leads[0]), borrowed(leads[1]), unchecked(leads[2])),
            (unchecked(out[0]), unchecked(out[1]), unchecked(out[2]), unchecked(out[3]),
             unchecked(out[4]), unchecked(out[5])),
            (borrowed(roster[0]), borrowed(roster[1])),
            (borrowed(chain[0]), borrowed(chain[1])),
            (borrowed(routing[0]), borrowed(routing[1])),
            borrowed(params),
            (borrowed(state[0]), borrowed(state[1]),
             (borrowed(state[2]), borrowed(state[3]), borrowed(state[4])),
             (borrowed(state[5]), borrowed(state[6]), borrowed(state[7])),
             borrowed(state[8])))
