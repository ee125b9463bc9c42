"""The fast engine's loop for routing that does not look at the queues: one manager at a time.

Under ``round_robin`` and ``weighted`` routing, who gets a lead depends on
the time, the shifts and the lead's own uniform, never on what the managers
are doing.  Managers then touch each other only when one leaves: their
queued tasks are routed anew at the leave time, and the follow-up of a call
that ends after the leave too; and at a probation decision, which needs every
manager's offers up to that minute and may let the probationer go as a
leaver (:mod:`simsales.engines.fast.probation`).  :func:`run_split` cuts the
horizon at those moments (*boundaries*) and, between two of them, routes the period's
arrivals first and then runs each manager alone through the period: a merge
of their own arrivals with their own next event, without an event heap over
all managers, with one manager's tables hot in cache.

It does exactly what :func:`simsales.engines.fast.loop.run_loop` does for
these policies, in another order: routing happens in the same time order
(so round robin's pointer, the routing segments and the numbering of the
re-routed tasks' uniforms are the same), a manager's events keep their
order, and at a boundary the managers' events at that very minute come
first, then the leave, then the probation decision, then the arrivals, as
in the event loop.  Tasks are
numbered in the order they are queued, which keeps their order within each
manager's lists.  tests/test_fast_engine.py checks that both loops return
the same arrays.  A manager alone through a period is
:mod:`~simsales.engines.fast.period`; the hand-overs of a minute,
:mod:`~simsales.engines.fast.handover`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.chain import done, take
from simsales.engines.fast.dispatch import reassign
from simsales.engines.fast.entry import arrival, arrive
from simsales.engines.fast.handover import batch_room, hand_over_batch
from simsales.engines.fast.period import advance
from simsales.engines.fast.probation import dismiss, fails
from simsales.engines.fast.queues import EV_KIND, EV_T, LAST_ROUTED, OVERFLOW, SEGMENT, STOP
from simsales.engines.fast.tables import DECIDE_AT, DONE, INF, P_BAR, P_HORIZON
from simsales.engines.fast.views import views


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def run_split(leads: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
              seed: np.uint64, state: tuple, out: tuple) -> int:
    """Simulate one replication of one plan in place, one manager at a time.

    Only for the policies that do not read the queues (engine.SPLIT_POLICIES:
    ``round_robin`` and ``weighted``).

    Args:
        leads: ``(lf, target, step)``, as :func:`~simsales.engines.fast.loop.run_loop` takes them.
        roster: ``(md, leavers, leave_at, probation)``, likewise.
        chain: ``(steps, decay_table)``, likewise.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``, likewise.
        params: the scalars, likewise.
        seed: the stream of the uniforms.
        state: the loop's state, likewise (the event heap goes unused).
        out: the ``Outcomes`` arrays to fill, likewise.

    Returns:
        0, or 1 if a task list outgrew its row (rerun with fresh state and
        longer rows).
    """
    leads, out, (md, leavers, leave_at, probation, handover), chain, routing, params, (
        mf, mi, queues, events, counters) = views(leads, out, roster, chain, routing, params, state)
    decisions, pf, standby, fired = probation
    ho_t, ho_m, ho_until = handover
    lf, step, owner = leads[0], leads[2], out[0]
    horizon = params[P_HORIZON]
    n_leads, n_managers, n_steps = lf.shape[0], mf.shape[0], chain[0].shape[1]
    stride = n_steps + 3  # per-lead draws: one per attempt, qualify, offer, routing
    first_offset = chain[0][0, 0]
    due_at = np.empty(n_leads)  # per lead, its first task's due time
    # Each manager's arrivals as a linked list, in time order: head, tail, next.
    head = np.full(n_managers, -1, np.int64)
    tail = np.full(n_managers, -1, np.int64)
    nxt = np.full(n_leads, -1, np.int64)
    late = np.full(n_managers, INF)  # when a leaver's last call ends, after the leave (minutes)
    seen = np.zeros(n_managers, np.int64)  # the last hand-over batch each manager was brought up to
    pending = np.full(n_managers, INF)  # per receiver, the earliest due of tasks not queued yet
    room = batch_room(queues[2].shape[0])  # the hand-over batch's arrays, kept from one minute to the next
    batch = 0
    counters[LAST_ROUTED] = counters[SEGMENT] = -1  # nobody routed to yet
    i = j = k = q = np.int64(0)  # not the literal 0: numba would compile hand_over_batch for it too
    while counters[OVERFLOW] == 0:
        t_leave = leave_at[j] if j < leavers.size else INF
        t_decide = pf[decisions[k], DECIDE_AT] if k < decisions.size else INF
        late_m = np.argmin(late)
        t_late = late[late_m]
        bound = min(t_leave, t_late, t_decide, horizon)
        t_hand = ho_t[q] if q < ho_t.size else INF
        hand = t_hand < bound  # a leave, a late call or a decision at that minute comes first
        if hand:
            bound = t_hand
        while i < n_leads and arrival(lf, i) < bound:  # route the period's arrivals
            to, due_at[i] = arrive(i, arrival(lf, i), first_offset, i * stride + n_steps + 2, seed, routing,
                                   queues[2], md, mf, lf, params, counters)
            if to >= 0:
                if tail[to] >= 0:
                    nxt[tail[to]] = i
                else:
                    head[to] = i
                tail[to] = i
            i += 1
        if hand:  # owners off shift hand over; only they and those they hand to are brought up to now
            batch += 1
            q_end = q
            while q_end < ho_t.size and ho_t[q_end] == t_hand:
                q_end += 1
            room = hand_over_batch(t_hand, q, ho_m, ho_until, batch, seen, pending, room, n_leads * stride,
                                   head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi,
                                   md, queues, events, counters, q_end)
            q = q_end
            continue
        for m in range(n_managers):  # each manager through the period
            advance(m, bound, head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi,
                    md, queues, events, counters)
        if bound >= horizon:
            break
        if t_late <= t_leave and t_late <= t_decide:  # a leaver's last call ends: route its follow-up
            late[late_m] = INF
            done(late_m, t_late, False, leads, out, chain[0], routing, params, seed, mf, mi, md,
                 queues, events, counters)
            mf[late_m, EV_T], mi[late_m, EV_KIND] = take(late_m, t_late, leads, out, chain, params,
                                                         seed, mf, mi, md, queues, False)
            continue
        if t_decide < t_leave:  # the end of a probation: stay or go
            m = decisions[k]
            k += 1
            if mf[m, STOP] > t_decide and fails(m, t_decide, params[P_BAR], mf, mi, md, pf):
                dismiss(m, t_decide, False, n_leads * stride, step, owner, routing, params, seed, mf, mi,
                        md, queues, events, counters, pf, standby, fired)
                if mi[m, EV_KIND] == DONE and mf[m, EV_T] < horizon:  # in a call: it ends later
                    late[m] = mf[m, EV_T]
            continue
        leaver = leavers[j]
        if mf[leaver, STOP] < t_leave:  # let go at probation already, or a standby never brought in
            j += 1
            continue
        if mi[leaver, EV_KIND] == DONE and late[leaver] == INF and mf[leaver, EV_T] < horizon:
            late[leaver] = mf[leaver, EV_T]
            if late[leaver] <= t_leave:  # it ends at the leave itself: that comes first
                continue
        reassign(leaver, t_leave, False, n_leads * stride, step, owner, routing, params, seed, mf, mi,
                 md, queues, events, counters)
        j += 1
    return counters[OVERFLOW]
