"""The fast engine's event loop: the reference engine's rules, compiled with numba.

:func:`run_loop` is a pure function over arrays.  It walks three
time-ordered sources at once: lead arrivals (already sorted), managers
leaving (sorted leave times) and the managers' own events (one key per
manager, see :mod:`simsales.engines.fast_queues`).  A manager event is a
WAKE (free, and may have a due task) or a DONE (a call or dial ends).  The
rules are those of :mod:`simsales.engines.des`, which stays the
specification; the mapping:

* SimPy's idle wait ``any_of([timeout(until), wake])`` becomes "the first
  moment on shift with a due task" (:func:`_next_action`), recomputed when
  the manager's queue gets an earlier task;
* ``give`` to an idle manager schedules a WAKE instead of acting at once, as
  SimPy resumes the woken process only after the giving one yields;
* events at or after the horizon are never processed (``run(until=...)``);
* the shared queue (``shared_queue`` routing) is a pair of task lists at
  row ``2M``, ``2M + 1`` that every manager looks at besides their own.

State lives in a few 2-D tables (per lead, per manager, per manager-day)
whose columns are named below: a lead's fields share a cache line.  Every
array is allocated by the Python caller and used through a
:func:`~simsales.engines.fast_queues.borrowed` view, and every helper is
inlined (see the speed notes in fast_queues).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast_queues import (
    BUSY,
    BUSY_MINUTES,
    EV_KIND,
    EV_LEAD,
    EV_RESULT,
    EV_T,
    LAST_ROUTED,
    LEAD_BITS,
    LEAD_MASK,
    OVERFLOW,
    REASSIGN_DRAWS,
    SEGMENT,
    SEQ,
    STOP,
    borrowed,
    set_event,
    task_pop,
    task_push,
    uniform,
)
from simsales.world import (
    AWAITING_PRESENTATION,
    EXPIRED,
    LOST_NO_OFFER,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    OFFER,
)

MINUTES_PER_DAY = 1440.0
INF = np.inf
# Columns of the per-lead input table ``lf`` (minutes, probabilities): one row per lead.
CREATED, P_QUALIFY, CALL_MIN, PRESENT_MIN, DELAY_MIN = range(5)
# Columns of the per-manager-day table ``md``.
SHIFT_START, SHIFT_END, THROUGHPUT, CONVERSION = range(4)
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
def _decay(age: float, kind: int, half_life: float, floor: float, table: np.ndarray) -> float:
    """``world.contact_decay``, compiled; ``table`` rows are ages and factors."""
    if kind == HALF_LIFE:
        return max(floor, 0.5 ** (age / half_life))
    if kind == TABLE:
        i = _bisect_right(table[0], age, 0, table.shape[1]) - 1
        return table[1, i] if i >= 0 else 1.0
    return 1.0


@njit(cache=True, error_model="numpy", inline="always")
def _bisect_right(a: np.ndarray, x: float, lo: int, hi: int) -> int:
    """First index in ``a[lo:hi]`` whose value is > x (``hi`` if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True, error_model="numpy", inline="always")
def _next_action(m: int, t: float, mf: np.ndarray, hd: np.ndarray, hn: np.ndarray,
                 md: np.ndarray) -> float:
    """First time >= t when manager ``m`` is on shift with a due task; inf if never.

    Their own task lists and the shared ones count.  The reference engine
    reaches the same moment by waiting for the shift start, the earliest due
    task or the shift end, whichever comes first.
    """
    stop = mf[m, STOP]
    if t >= stop:
        return INF
    pool = 2 * mf.shape[0]
    q = INF
    for h in (2 * m, 2 * m + 1, pool, pool + 1):
        if hn[h] > 0 and hd[h, 0] < q:
            q = hd[h, 0]
    if q == INF:
        return INF
    x = max(t, q)
    for d in range(int(x / MINUTES_PER_DAY), md.shape[1]):
        s, e = md[m, d, SHIFT_START], md[m, d, SHIFT_END]
        if e > s and e > x:
            x = max(x, s)
            return x if x < stop else INF
    return INF


@njit(cache=True, error_model="numpy", inline="always")
def _route(t: float, counter: int, policy: int, seed: np.uint64, rf: np.ndarray, ri: np.ndarray,
           hn: np.ndarray, counters: np.ndarray) -> int:
    """Who gets a lead or a task at ``t``: a manager, M for the shared queue, -1 for nobody.

    ``rf``/``ri`` hold the precomputed segments (fast.routing_segments): in
    segment ``j`` the candidates are the managers on shift, or, if none,
    those whose next shift starts first, with cumulative weights for the
    weighted policy.
    """
    n_managers = (hn.size - 2) // 2
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
        pick = _bisect_right(rf, x, w_lo, w_hi) - w_lo
        chosen = ri[lo + min(pick, hi - lo - 1)]
    elif policy == LEAST_LOADED:
        chosen, best_load, best_key = -1, 0, 0
        for i in range(lo, hi):
            c = ri[i]
            load = hn[2 * c] + hn[2 * c + 1]
            key = (c - last - 1) % n_managers
            if chosen < 0 or load < best_load or (load == best_load and key < best_key):
                chosen, best_load, best_key = c, load, key
    else:  # round robin: the first candidate after the last manager routed to
        i = _bisect_right(ri, last, lo, hi)
        chosen = ri[i] if i < hi else ri[lo]
    counters[LAST_ROUTED] = chosen
    return chosen


@njit(cache=True, error_model="numpy", inline="always")
def _wake_if_idle(m: int, t: float, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
                  queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Let an idle manager re-plan their wait now that a task is queued."""
    if mi[m, BUSY]:
        return
    hd, _, hn = queues
    when = _next_action(m, t, mf, hd, hn, md)
    if when < mf[m, EV_T]:
        set_event(m, when, WAKE, mf, mi, events, counters)


@njit(cache=True, error_model="numpy", inline="always")
def _give(target: int, due: float, lead: int, t: float, new_first: bool, step: np.ndarray,
          owner: np.ndarray, mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
          counters: np.ndarray) -> None:
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
        _wake_if_idle(target, t, mf, mi, md, queues, events, counters)
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
                set_event(m, t, WAKE, mf, mi, events, counters)
                woken = True
            elif mf[m, EV_T] <= t:
                continue
            continue
        _wake_if_idle(m, t, mf, mi, md, queues, events, counters)


@njit(cache=True, error_model="numpy", inline="always")
def _pop_due(m: int, t: float, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray) -> int:
    """Pop the task to do now (fresh first, then the rest; own or shared, earliest first)."""
    pool = hn.size - 2
    for own, shared in ((2 * m, pool), (2 * m + 1, pool + 1)):
        h = -1
        for row in (own, shared):
            if hn[row] > 0 and hd[row, 0] <= t and (
                    h < 0 or hd[row, 0] < hd[h, 0] or (hd[row, 0] == hd[h, 0] and hk[row, 0] < hk[h, 0])):
                h = row
        if h >= 0:
            lead = hk[h, 0] & LEAD_MASK
            task_pop(h, hd, hk, hn)
            return lead
    return -1


@njit(cache=True, error_model="numpy")
def run_loop(leads, roster, chain, routing, params, seed, state, out) -> int:
    """Simulate one replication of one plan in place (fast.py builds the arguments).

    Args:
        leads: ``(lf, target, step)``: the lead table (columns above), the
            target flags and each lead's next step (zeros: attempt k, or K
            for the presentation).
        roster: ``(md, leavers)``: the manager-day table; managers who leave
            within the horizon, by leave time.
        chain: ``(steps, decay_table)``: offsets and contact chances per
            attempt; ages and factors of a decay table.
        routing: ``(rf, ri)``, see fast.pack_routing.
        params: the scalars (``P_*``); seed: the uniforms' stream.
        state: ``(mf, mi, hd, hk, hn, et, es, order, counters)``: the manager
            tables, the task lists (rows 2m, 2m + 1 per manager, then the
            shared ones; empty), the event heap (see fast_queues.set_event)
            and counters (zeros).
        out: the ``Outcomes`` arrays to fill (as ``Outcomes.empty`` makes
            them): owner, attempts, first_attempt, contact, end, offer_time.

    Returns 0, or 1 if a task list outgrew its row (rerun with fresh state
    and longer rows).
    """
    lf, target, step = borrowed(leads[0]), borrowed(leads[1]), borrowed(leads[2])
    owner, attempts, first_attempt = borrowed(out[0]), borrowed(out[1]), borrowed(out[2])
    contact, end, offer_time = borrowed(out[3]), borrowed(out[4]), borrowed(out[5])
    md, leavers = borrowed(roster[0]), borrowed(roster[1])
    steps, decay_table = borrowed(chain[0]), borrowed(chain[1])
    rf, ri, params = borrowed(routing[0]), borrowed(routing[1]), borrowed(params)
    mf, mi = borrowed(state[0]), borrowed(state[1])
    hd, hk, hn = borrowed(state[2]), borrowed(state[3]), borrowed(state[4])
    et, es, order = borrowed(state[5]), borrowed(state[6]), borrowed(state[7])
    counters = borrowed(state[8])
    queues, events = (hd, hk, hn), (et, es, order)
    horizon, lead_ttl, dial_minutes = params[P_HORIZON], params[P_TTL], params[P_DIAL]
    talk_share, p_offer = params[P_TALK_SHARE], params[P_OFFER]
    half_life, floor, decay_kind = params[P_HALF_LIFE], params[P_FLOOR], int(params[P_DECAY_KIND])
    policy, new_first = int(params[P_POLICY]), params[P_NEW_FIRST] > 0.5
    n_leads, n_days, n_steps = lf.shape[0], md.shape[1], steps.shape[1]
    stride = n_steps + 3  # per-lead draws: one per attempt, qualify, offer, routing
    extra_draws = n_leads * stride  # then the draws of re-routed tasks
    counters[LAST_ROUTED] = counters[SEGMENT] = -1
    i = j = 0
    while counters[OVERFLOW] == 0:
        t_arrival = lf[i, CREATED] if i < n_leads else INF
        t_leave = mf[leavers[j], STOP] if j < leavers.size else INF
        m, t = order[0], et[0]
        if min(t_arrival, t_leave, t) >= horizon:
            break
        if t_leave < t and t_leave <= t_arrival:
            _reassign(leavers[j], t_leave, new_first, policy, seed, extra_draws, step, owner, mf, mi,
                      md, rf, ri, queues, events, counters)
            j += 1
            continue
        if t_arrival < t:
            to = _route(t_arrival, i * stride + n_steps + 2, policy, seed, rf, ri, hn, counters)
            if to >= 0:
                _give(to, t_arrival + steps[0, 0], i, t_arrival, new_first, step, owner, mf, mi, md,
                      queues, events, counters)
            i += 1
            continue
        # Manager m's turn at t: finish the call that ends now, then take the next task.
        if mi[m, EV_KIND] == DONE:
            lead, result = mi[m, EV_LEAD], mi[m, EV_RESULT]
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
                    to = _route(t, extra_draws + counters[REASSIGN_DRAWS], policy, seed, rf, ri,
                                    hn, counters)
                    counters[REASSIGN_DRAWS] += 1
                if to >= 0:
                    _give(to, due, lead, t, new_first, step, owner, mf, mi, md, queues, events, counters)
            mi[m, BUSY] = 0
        lead = -1
        while True:  # drop attempts past lead_ttl as they come up (lazy expiry)
            when = _next_action(m, t, mf, hd, hn, md)
            if when > t:
                set_event(m, when, WAKE if when < INF else IDLE, mf, mi, events, counters)
                break
            lead = _pop_due(m, t, hd, hk, hn)
            owner[lead] = m
            if step[lead] < n_steps and t > lf[lead, CREATED] + lead_ttl:
                end[lead] = EXPIRED
                lead = -1
                continue
            break
        if lead < 0:
            continue
        # The work itself (MODEL.md sections 4 and 5).
        d = min(int(t / MINUTES_PER_DAY), n_days - 1)
        k = step[lead]
        draws = stride * lead
        if k < n_steps:
            attempts[lead] += 1
            if np.isnan(first_attempt[lead]):
                first_attempt[lead] = t
            p = steps[1, k] * _decay(t - lf[lead, CREATED], decay_kind, half_life, floor, decay_table)
            if uniform(seed, draws + k) >= p:
                minutes, result = dial_minutes, NEXT_ATTEMPT
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
            p = min(1.0, p_offer * md[m, d, CONVERSION])
            result = OFFER_MADE if uniform(seed, draws + n_steps + 1) < p else NO_OFFER
        duration = minutes / (talk_share * md[m, d, THROUGHPUT])
        mf[m, BUSY_MINUTES] += max(0.0, min(t + duration, horizon) - t)
        mi[m, BUSY] = 1
        mi[m, EV_LEAD], mi[m, EV_RESULT] = lead, result
        set_event(m, t + duration, DONE, mf, mi, events, counters)
    return counters[OVERFLOW]


@njit(cache=True, error_model="numpy")
def _reassign(leaver, t, new_first, policy, seed, extra_draws, step, owner, mf, mi, md, rf, ri,
              queues, events, counters) -> None:
    """A leaving manager's queued tasks go, oldest first, to whoever routing picks now."""
    hd, hk, hn = queues
    own = (2 * leaver, 2 * leaver + 1)
    due = np.concatenate((hd[own[0], :hn[own[0]]], hd[own[1], :hn[own[1]]]))
    key = np.concatenate((hk[own[0], :hn[own[0]]], hk[own[1], :hn[own[1]]]))
    hn[own[0]] = hn[own[1]] = 0
    by_key = np.argsort(key, kind="mergesort")  # key order is seq order
    for x in by_key[np.argsort(due[by_key], kind="mergesort")]:
        target = _route(t, extra_draws + counters[REASSIGN_DRAWS], policy, seed, rf, ri, hn, counters)
        counters[REASSIGN_DRAWS] += 1
        if target >= 0:
            _give(target, due[x], key[x] & LEAD_MASK, t, new_first, step, owner, mf, mi, md, queues,
                  events, counters)

