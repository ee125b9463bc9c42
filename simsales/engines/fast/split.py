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
the same arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.chain import done, take
from simsales.engines.fast.dispatch import (
    give,
    owned_before,
    reassign,
    reroute,
    task_row,
    wake_if_idle,
)
from simsales.engines.fast.entry import arrival, arrive
from simsales.engines.fast.probation import dismiss, fails
from simsales.engines.fast.queues import (
    EV_KIND,
    EV_T,
    LAST_ROUTED,
    LEAD_BITS,
    LEAD_MASK,
    OVERFLOW,
    ROWS,
    SEGMENT,
    SEQ,
    STOP,
    task_merge,
    views,
)
from simsales.engines.fast.tables import (
    DECIDE_AT,
    DONE,
    INF,
    P_BAR,
    P_HORIZON,
)


@njit(cache=True, error_model="numpy", _nrt=False)
def advance(m: int, bound: float, head: np.ndarray, tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray,
            leads: tuple, out: tuple, chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64,
            mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
            counters: np.ndarray) -> None:
    """Manager ``m`` alone up to ``bound``: their own events and the arrivals routed to them.

    Their own events up to ``bound`` (that minute's too) and the arrivals
    routed to them so far (all before it), merged in time order (an own
    event first at the same minute).

    Args:
        m: the manager.
        bound: minutes from the start.
        head: per manager, the first of their arrivals not yet queued (-1: none).
        tail: per manager, the last of them.
        nxt: per lead, the next arrival routed to the same manager (-1: none).
        due_at: per lead, its first task's due time (entry.arrive).
        leads: ``(lf, target, step)``.
        out: the ``Outcomes`` arrays.
        chain: ``(steps, decay_table)``.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``.
        params: the scalars.
        seed: the stream of the uniforms.
        mf: the per-manager float table.
        mi: the per-manager integer table.
        md: the per-manager-day table.
        queues: the task lists.
        events: the event heap (unused here).
        counters: the loop's counters.
    """
    lf, step, owner = leads[0], leads[2], out[0]
    a, stop = head[m], mf[m, STOP]  # stop <= horizon
    while True:
        t = mf[m, EV_T]
        t_arrival = arrival(lf, a) if a >= 0 else INF
        if t <= t_arrival and t <= bound and t < stop:  # own event first at the same minute
            if mi[m, EV_KIND] == DONE:
                done(m, t, False, leads, out, chain[0], routing, params, seed, mf, mi, md,
                     queues, events, counters)
            mf[m, EV_T], mi[m, EV_KIND] = take(m, t, leads, out, chain, params, seed, mf, mi,
                                               md, queues, False)
        elif a >= 0:  # every arrival routed so far comes before the bound
            give(m, due_at[a], a, t_arrival, params, False, step, owner, mf, mi, md, queues, events,
                 counters)
            a = nxt[a]
        else:
            break
    head[m] = tail[m] = -1  # the arrivals routed to them so far are all queued now


@njit(cache=True, error_model="numpy", _nrt=False)
def flush(nb: int, b_row: np.ndarray, b_due: np.ndarray, b_key: np.ndarray, pending: np.ndarray, t: float,
          last: np.ndarray, scratch: tuple, mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple,
          events: tuple, counters: np.ndarray) -> None:
    """Queue the ``nb`` tasks handed over so far, one merge per task list (``queues.task_merge``).

    Within a list, in ``(due, seq)`` order, as giving them one by one
    would leave it; each receiver then re-plans their wait once (the same
    wake-up as after each give: a task more can only bring it forward).
    ``pending`` marks the receivers (the earliest due time of their tasks;
    reset to inf here).  The tasks are grouped by list through a linked
    list (``last``: per list, its last task so far, -1 between flushes), in
    the order they were handed over (their keys grow), and each group is
    sorted by due time: an insertion sort, stable, since a group is a few
    runs already in order (one per owner); two stable sorts of the whole
    batch did the same at several times the cost.
    """
    hd, hk, hn = queues
    # Per task, the next one of its list (-1: none); the lists in the order of their first task, and
    # that task; a list's tasks sorted (due times, keys).  As long as the batch (hand_over_batch's).
    link, rows, first, gd, gk = scratch
    n_rows = 0
    for x in range(nb):
        h = b_row[x]
        link[x] = -1
        if last[h] < 0:
            rows[n_rows], first[n_rows] = h, x
            n_rows += 1
        else:
            link[last[h]] = x
        last[h] = x
    for r in range(n_rows):
        h, x, g = rows[r], first[r], 0
        last[h] = -1
        while x >= 0:  # the list's tasks in key order, each put in place by due time
            due, key, i = b_due[x], b_key[x], g
            while i > 0 and gd[i - 1] > due:
                gd[i], gk[i] = gd[i - 1], gk[i - 1]
                i -= 1
            gd[i], gk[i] = due, key
            g += 1
            x = link[x]
        task_merge(h, gd[:g], gk[:g], hd, hk, hn, counters)
    for x in range(nb):
        m = b_row[x] // ROWS
        if pending[m] < INF:
            pending[m] = INF
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, INF)


@njit(cache=True, error_model="numpy", _nrt=False)
def give_out(m: int, t: float, due: np.ndarray, key: np.ndarray, nb: int, b_row: np.ndarray,
             b_due: np.ndarray, b_key: np.ndarray, batch: int, seen: np.ndarray, pending: np.ndarray,
             extra_draws: int, head: np.ndarray, tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray,
             leads: tuple, out: tuple, chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64,
             mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
             counters: np.ndarray) -> int:
    """Owner ``m``'s tasks ``(due, key)``, taken out at ``t``, routed anew into the batch from ``nb``.

    :func:`hand_over_batch`'s work per task, without numba's reference
    counting (the batch's arrays have room for them all).  Arguments as
    :func:`hand_over_batch`'s.

    Returns:
        The batch's size after them.
    """
    step, owner, handovers = leads[2], out[0], out[6]
    hn = queues[2]
    for x in range(due.size):
        # To someone on shift when the task is due (now, if overdue); nobody then: it stays.
        to = reroute(max(t, due[x]), extra_draws, routing, params, seed, hn, counters)
        to = m if to < 0 else to
        if seen[to] != batch:  # the receiver's events up to now (that minute's too) first
            seen[to] = batch
            advance(to, t, head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi,
                    md, queues, events, counters)
        lead = key[x] & LEAD_MASK
        if to != m:
            handovers[lead] += 1
        owner[lead] = to
        b_row[nb] = task_row(to, step[lead], params)
        b_due[nb], b_key[nb] = due[x], (counters[SEQ] << LEAD_BITS) | lead
        counters[SEQ] += 1
        pending[to] = min(pending[to], due[x])
        nb += 1
    return nb


@njit(cache=True, error_model="numpy")
def _scratch(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`flush`'s scratch arrays for a batch of up to ``n`` tasks (allocated here: flush runs
    without numba's reference counting, which cost a fifth of its time)."""
    return (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n),
            np.empty(n, np.int64))


@njit(cache=True, error_model="numpy")
def hand_over_batch(t: float, q: int, ho_m: np.ndarray, ho_until: np.ndarray, batch: int,
                    seen: np.ndarray, pending: np.ndarray, last: np.ndarray, extra_draws: int, head: np.ndarray,
                    tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray, leads: tuple, out: tuple,
                    chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray,
                    mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray,
                    q_end: int) -> None:
    """The hand-overs at minute ``t`` (moments ``q`` to ``q_end``, by manager), as the event loop's.

    :func:`~simsales.engines.fast.dispatch.hand_over`'s rule, with only the
    managers it touches brought up to ``t`` (:func:`advance`): each owner,
    then each receiver before it gets its first task, once per ``batch``
    (``seen`` marks who was brought up in it).  The tasks are numbered as
    given one by one and queued together (:func:`flush`) at the end of the
    minute.  An owner with tasks pending (handed to them earlier in the
    minute) hands over the first tasks of their lists, those due before
    ``until``; the pending ones are due when the owner is on shift again,
    so after ``until`` as a rule: then they change nothing the owner hands
    over and stay pending, and only the owner's wake-up is re-planned with
    them counted (``dispatch.wake_if_idle``'s ``earliest``), as queueing them would.  If one
    is due earlier (nobody worked when it was due: it went to the first
    one back, maybe this owner), every pending task is queued first.
    (Queueing them all before every such owner, as before, cost one merge
    per task list per owner: with 250 managers about 50 owners hand over at
    the same minute, most of them receivers of the ones before, and a merge
    then took 5 tasks instead of 20.)  Compiled apart from the loop
    (rarer), so the period's code stays lean.  Arguments as
    :func:`run_split`'s and :func:`advance`'s; ``pending`` (inf) holds, per
    receiver with tasks not queued yet, the earliest due time among them.
    """
    hd, hk, hn = queues
    cap = 256
    b_row, b_due, b_key = np.empty(cap, np.int64), np.empty(cap), np.empty(cap, np.int64)
    scratch = _scratch(cap)
    nb = 0
    for p in range(q, q_end):
        m = ho_m[p]
        if t >= mf[m, STOP]:
            continue
        if pending[m] < ho_until[p]:  # a task handed to them this minute is among theirs to hand over
            flush(nb, b_row, b_due, b_key, pending, t, last, scratch, mf, mi, md, queues, events, counters)
            nb = 0
        elif pending[m] < INF:  # all due later: they stay pending; the wake-up counts them
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, pending[m])
        if seen[m] != batch:
            seen[m] = batch
            advance(m, t, head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md,
                    queues, events, counters)
        due, key = owned_before(m, ho_until[p], hd, hk, hn)
        if nb + due.size > cap:  # more room
            cap = max(2 * cap, nb + due.size)
            b_row, b_due, b_key = (np.concatenate((b_row, np.empty(cap - b_row.size, np.int64))),
                                   np.concatenate((b_due, np.empty(cap - b_due.size))),
                                   np.concatenate((b_key, np.empty(cap - b_key.size, np.int64))))
            scratch = _scratch(cap)
        nb = give_out(m, t, due, key, nb, b_row, b_due, b_key, batch, seen, pending, extra_draws, head, tail,
                      nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md, queues, events,
                      counters)
    flush(nb, b_row, b_due, b_key, pending, t, last, scratch, mf, mi, md, queues, events, counters)


@njit(cache=True, error_model="numpy")
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
    last = np.full(queues[2].shape[0], -1, np.int64)  # flush's per task list scratch (-1 between flushes)
    batch = 0
    counters[LAST_ROUTED] = counters[SEGMENT] = -1  # nobody routed to yet
    i = j = k = q = 0
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
            hand_over_batch(t_hand, q, ho_m, ho_until, batch, seen, pending, last, n_leads * stride, head, tail,
                            nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md, queues, events,
                            counters, q_end)
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
