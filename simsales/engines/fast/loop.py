"""The fast engine's event loop over all managers at once, compiled with numba.

:func:`run_loop` is a pure function over arrays.  It walks four
time-ordered sources at once: lead arrivals (already sorted), managers
leaving (sorted leave times), probation decisions (sorted, see
:mod:`simsales.engines.fast.probation`) and the managers' own events (one key per
manager in an indexed heap, see :mod:`simsales.engines.fast.queues`).  A
manager event is a WAKE (free, and may have a due task) or a DONE (a call or
dial ends); what happens then is in :mod:`simsales.engines.fast.chain` and
:mod:`simsales.engines.fast.dispatch`.  The
mapping from the reference engine:

* SimPy's idle wait ``any_of([timeout(until), wake])`` becomes "the first
  moment on shift with a due task" (``dispatch.next_action``), recomputed
  when the manager's queue gets an earlier task;
* ``give`` to an idle manager schedules a WAKE instead of acting at once, as
  SimPy resumes the woken process only after the giving one yields;
* events at or after the horizon are never processed (``run(until=...)``);
* owners off shift hand their tasks over (``routing.handover_after_hours``)
  at precomputed moments, a fifth sorted source: at one minute, after the
  managers' events, leaves and probation decisions, before the arrivals;
  those of one minute together, by manager (:func:`~simsales.engines.fast.dispatch.hand_over`);
* the shared queue (``shared_queue`` routing) is a pair of task lists at
  rows ``3M`` to ``3M + 2`` that every manager looks at besides their own.

This loop runs every routing policy; the fast engine uses it where routing
depends on the managers' queues (``least_loaded``, ``shared_queue``) and
:mod:`simsales.engines.fast.split` elsewhere.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.chain import done, take
from simsales.engines.fast.dispatch import give, hand_over, reassign
from simsales.engines.fast.entry import arrival, arrive
from simsales.engines.fast.probation import dismiss, fails
from simsales.engines.fast.queues import (
    EV_KIND,
    LAST_ROUTED,
    OVERFLOW,
    SEGMENT,
    STOP,
    set_event,
)
from simsales.engines.fast.tables import (
    DECIDE_AT,
    DONE,
    HOP,
    INF,
    P_BAR,
    P_HORIZON,
    WAKE,
)
from simsales.engines.fast.views import views


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def run_loop(leads: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
             seed: np.uint64, state: tuple, out: tuple) -> int:
    """Simulate one replication of one plan in place (engine.simulate builds the arguments).

    Args:
        leads: ``(lf, target, step)``: the lead table (columns in
            tables: CREATED ... DELAY_MIN, minutes), the target flags and each
            lead's next step (zeros: attempt k, or K for the presentation).
        roster: ``(md, leavers, leave_at, probation, handover)``: the manager-day table
            (engine.manager_days); managers who leave within the horizon, by
            leave time, and those times (minutes); ``probation = (decisions,
            pf, standby, fired)``: the managers with a probation decision
            within the horizon, in order, the probation table (columns in
            tables: DECIDE_AT ... BEGIN), each manager's standby (-1: none)
            and the minute each is let go (NaN: not; filled in);
            ``handover = (t, manager, until)``: the moments owners off shift
            hand their tasks over (world.shifts.handover_moments; empty when
            the rule is off).
        chain: ``(steps, decay_table)``: offsets (minutes) and contact
            chances per attempt; ages (minutes) and factors of a decay table.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``: the packed segments (routing.pack_routing),
            the new leads per manager and day and limits.eligible's cache (empty:
            ``pick_i[:PICK_HEAD] = -1``).
        params: the scalars (``tables.P_*``; minutes where times).
        seed: the stream of the uniforms (queues.uniform).
        state: ``(mf, mi, hd, hk, hn, et, es, order, counters)``: the manager
            tables, the task lists (rows 3m to 3m + 2 per manager, then the
            shared ones; empty), the event heap (see queues.set_event)
            and counters (zeros).
        out: the ``Outcomes`` arrays to fill (as ``Outcomes.empty`` makes
            them): owner, attempts, first_attempt, contact, end, offer_time,
            handovers.

    Returns:
        0, or 1 if a task list outgrew its row (rerun with fresh state and
        longer rows).
    """
    leads, out, (md, leavers, leave_at, probation, handover), chain, routing, params, (
        mf, mi, queues, events, counters) = views(leads, out, roster, chain, routing, params, state)
    decisions, pf, standby, fired = probation
    ho_t, ho_m, ho_until = handover
    lf, step, owner = leads[0], leads[2], out[0]
    et, order = events[0], events[2]
    horizon = params[P_HORIZON]
    n_leads, n_steps = lf.shape[0], chain[0].shape[1]
    stride = n_steps + 3  # per-lead draws: one per attempt, qualify, offer, routing
    counters[LAST_ROUTED] = counters[SEGMENT] = -1  # nobody routed to yet
    for m in range(mf.shape[0]):  # each plans their first wait at the start, in order, as in the reference
        set_event(m, 0.0, WAKE, mf, mi, events, counters)
    i = j = k = q = np.int64(0)  # not the literal 0: numba would compile arrive and give for it too
    while counters[OVERFLOW] == 0:
        t_arrival = arrival(lf, i) if i < n_leads else INF
        t_leave = leave_at[j] if j < leavers.size else INF
        t_decide = pf[decisions[k], DECIDE_AT] if k < decisions.size else INF
        t_hand = ho_t[q] if q < ho_t.size else INF
        m, t = order[0], et[0]
        if min(t_arrival, t_leave, t_decide, t_hand, t) >= horizon:
            break
        if t_leave < t and t_leave <= t_arrival and t_leave <= t_decide and t_leave <= t_hand:
            if mf[leavers[j], STOP] >= t_leave:  # not let go at probation, nor a standby left out
                reassign(leavers[j], t_leave, True, n_leads * stride, step, owner, routing, params,
                         seed, mf, mi, md, queues, events, counters)
            j += 1
            continue
        if t_decide < t and t_decide <= t_arrival and t_decide <= t_hand:  # the end of a probation
            p = decisions[k]
            k += 1
            if mf[p, STOP] > t_decide and fails(p, t_decide, params[P_BAR], mf, mi, md, pf):
                dismiss(p, t_decide, True, n_leads * stride, step, owner, routing, params, seed, mf, mi,
                        md, queues, events, counters, pf, standby, fired)
            continue
        if t_hand < t and t_hand <= t_arrival:  # owners off shift hand over, that minute's by index
            while q < ho_t.size and ho_t[q] == t_hand:
                if t_hand < mf[ho_m[q], STOP]:
                    hand_over(ho_m[q], t_hand, ho_until[q], True, n_leads * stride, step, owner, out[6],
                              routing, params, seed, mf, mi, md, queues, events, counters)
                q += 1
            continue
        if t_arrival < t:
            to, due = arrive(i, t_arrival, chain[0][0, 0], i * stride + n_steps + 2, seed, routing, queues[2],
                             md, mf, lf, params, counters)
            if to >= 0:
                give(to, due, i, t_arrival, params, True, step, owner, mf, mi, md, queues, events,
                     counters)
            i += 1
            continue
        # Manager m's turn at t: finish the call that ends now, then take the next task.
        if mi[m, EV_KIND] == HOP:  # an idle wait on shift ends: m acts after this minute's events so far
            set_event(m, t, WAKE, mf, mi, events, counters)
            continue
        if mi[m, EV_KIND] == DONE:
            done(m, t, True, leads, out, chain[0], routing, params, seed, mf, mi, md, queues, events,
                 counters)
        when, kind = take(m, t, leads, out, chain, params, seed, mf, mi, md, queues, True)
        set_event(m, when, kind, mf, mi, events, counters)
    return counters[OVERFLOW]
