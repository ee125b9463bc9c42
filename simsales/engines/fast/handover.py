"""The hand-over of leads whose owner is off, in the per-manager loop, a minute at a time.

``routing.handover_after_hours``: at each hand-over moment the owners off
shift hand their tasks due before their next block over, each to whoever
routing picks at the task's due time (:mod:`simsales.engines.fast.dispatch`
states the rule one task at a time; the event loop takes it so).  The
per-manager loop (:mod:`~simsales.engines.fast.split`) does the same for
all the owners of a minute at once, with only the managers it touches
brought up to that minute (:func:`~simsales.engines.fast.period.advance`),
and queues the tasks handed over together, one merge per task list.

On q3 a plan has about 5 hand-overs a lead (a backlog is handed over every
evening until it is done or expires), about half of the fast engine's
time: nothing here sorts the whole batch, and the per-task work runs
without numba's reference counts (docs/engines.md,
"Reference counts and the hand-over's cost").
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.dispatch import reroute, task_row, wake_if_idle
from simsales.engines.fast.period import advance
from simsales.engines.fast.prefetch import prefetch
from simsales.engines.fast.queues import LEAD_BITS, LEAD_MASK, ROWS, SEQ, STOP, owned_before, task_merge
from simsales.engines.fast.tables import INF

__all__ = ["flush", "give_out", "hand_over_batch"]


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
    runs already in order (one per owner), with few tasks out of place.
    (Two stable sorts of the whole batch did the same at several times the
    cost; a merge of the runs took twice the insertion's time on q3.)
    Arguments as :func:`hand_over_batch`'s; ``scratch``: :func:`_scratch`.
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
    counting (the batch's arrays have room for them all).  The fields of
    the lead four tasks ahead are prefetched
    (:mod:`~simsales.engines.fast.prefetch`).  Arguments as
    :func:`hand_over_batch`'s.

    Returns:
        The batch's size after them.
    """
    step, owner, handovers = leads[2], out[0], out[6]
    hn = queues[2]
    for x in range(due.size):
        if x + 4 < due.size:  # the lead of a task a few ahead: ask for its fields now
            ahead = key[x + 4] & LEAD_MASK
            prefetch(step, ahead)
            prefetch(owner, ahead)
            prefetch(handovers, ahead)
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
    """:func:`flush`'s scratch arrays for a batch of up to ``n`` tasks.

    Allocated here, so that flush runs without numba's reference counts.
    """
    return (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n),
            np.empty(n, np.int64))


@njit(cache=True, error_model="numpy")
def hand_over_batch(t: float, q: int, ho_m: np.ndarray, ho_until: np.ndarray, batch: int,
                    seen: np.ndarray, pending: np.ndarray, last: np.ndarray, extra_draws: int,
                    head: np.ndarray, tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray, leads: tuple,
                    out: tuple, chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64,
                    mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
                    counters: np.ndarray, q_end: int) -> None:
    """The hand-overs at minute ``t`` (moments ``q`` to ``q_end``, by manager), as the event loop's.

    :func:`~simsales.engines.fast.dispatch.hand_over`'s rule, with only the
    managers it touches brought up to ``t`` (``period.advance``): each owner,
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
    (rarer), so the period's code stays lean; the per-task work
    (:func:`give_out`, :func:`flush`) runs without reference counts, this
    function allocating the room for it.  Arguments as
    ``split.run_split``'s and ``period.advance``'s; ``pending`` (inf) holds, per
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
