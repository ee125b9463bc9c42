"""The hand-over of leads whose owner is off, in the per-manager loop, a minute at a time.

``routing.handover_after_hours``: at each hand-over moment the owners off
shift hand their tasks due before their next block over, each to whoever
routing picks at the task's due time (:mod:`simsales.engines.fast.dispatch`
states the rule one task at a time; the event loop takes it so).  The
per-manager loop (:mod:`~simsales.engines.fast.split`) does the same for
all the owners of a minute at once, with only the managers it touches
brought up to that minute (:func:`~simsales.engines.fast.period.advance`),
and queues the tasks handed over together, one merge per task list and
minute (an owner's own lists earlier, just before they hand over).

On q3 a plan has about 5 hand-overs a lead (a backlog is handed over every
evening until it is done or expires), about half of the fast engine's
time: nothing here sorts the whole batch, nothing is allocated per
minute, and the per-task work runs without numba's reference counts
(docs/engines.md, "Reference counts and the hand-over's cost" and "The
hand-over queued once a minute").
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.dispatch import reroute, wake_if_idle
from simsales.engines.fast.groupsort import sort_group
from simsales.engines.fast.inner import inner
from simsales.engines.fast.period import advance
from simsales.engines.fast.prefetch import prefetch
from simsales.engines.fast.queues import LEAD_BITS, LEAD_MASK, ROWS, SEQ, STOP, owned_before, task_merge
from simsales.engines.fast.tables import INF
from simsales.engines.fast.views import unchecked

__all__ = ["CHAIN_PER_TASK", "batch_room", "flush", "give_out", "hand_over_batch", "join"]

CHAIN_PER_TASK = 4
"""A flush gathers its lists' tasks along their chains if that is fewer than this many tasks of
the batch per task to gather (an owner's lists, a few tasks among thousands), else in one pass
over the batch: a step along a chain waits for the one before (docs/engines.md, "The hand-over's
groups gathered and sorted")."""


@inner(error_model="numpy", _nrt=False)
def flush(n_rows: int, rows: np.ndarray, nb: int, room: tuple, pending: np.ndarray, t: float, mf: np.ndarray,
          mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Queue the batch's tasks for the lists ``rows[:n_rows]``, one merge per list (``queues.task_merge``).

    Within a list, in ``(due, seq)`` order, as giving them one by one
    would leave it; each receiver then re-plans their wait once (the same
    wake-up as after each give: a task more can only bring it forward).
    At the minute's end ``rows`` are the lists given tasks in the batch
    (one may be there twice, or queued already: ``first`` -1); before an
    owner hands over, the owner's own three lists, so that the other
    receivers' tasks wait for the minute's end and each of their lists
    takes one merge a minute.  (Flushing the whole batch before each such
    owner, as before, merged most lists several times a minute with 250
    managers, each merge moving the whole list.)  The lists' tasks are
    gathered in one pass over the batch, a counting sort by list (each
    list's tasks in the order given; an owner's few along their lists'
    chains, ``CHAIN_PER_TASK``), then each list's group is sorted
    (:func:`~simsales.engines.fast.groupsort.sort_group`) and merged.
    ``pending`` marks the receivers (the earliest due time of their
    tasks; reset to inf here).  Arguments as :func:`hand_over_batch`'s;
    ``nb``: the batch's size; ``room``: :func:`batch_room`'s arrays.
    """
    first, last, pend, slot, ends, b_due, b_key, b_row, link = room[:9]
    gd, gk, gd2, gk2, bounds = room[10:]
    hd, hk, hn = queues
    n_slots, total, lo = 0, 0, nb
    for r in range(n_rows):  # a slot per list with tasks to queue, its group's start in ends
        h = rows[r]
        if first[h] >= 0 and slot[h] < 0:
            slot[h], ends[n_slots] = n_slots, total
            total += pend[h]
            n_slots += 1
            lo = min(lo, first[h])
    if CHAIN_PER_TASK * total < nb - lo:  # a few lists' tasks (an owner's) among many: along their chains
        for r in range(n_rows):
            h = rows[r]
            s = slot[h]
            if s >= 0:
                x, p = first[h], ends[s]
                while x >= 0:
                    gd[p], gk[p] = b_due[x], b_key[x]
                    p += 1
                    x = link[x]
                ends[s] = p
    else:  # one pass over the batch, each task to its list's group; ends[s] moves to the group's end
        u_due, u_key, u_row, u_gd, u_gk = unchecked(b_due), unchecked(b_key), unchecked(b_row), unchecked(
            gd), unchecked(gk)
        for x in range(lo, nb):
            h = u_row[x]
            s = slot[h]
            if s >= 0 and x >= first[h]:  # a list queued now, and not queued before (an owner's, earlier)
                p = ends[s]
                u_gd[p], u_gk[p] = u_due[x], u_key[x]
                ends[s] = p + 1
    for r in range(n_rows):
        h = rows[r]
        s = slot[h]
        if s >= 0:
            a, b = (ends[s - 1] if s > 0 else 0), ends[s]
            if sort_group(gd, gk, gd2, gk2, bounds, a, b):
                task_merge(h, gd2[a:b], gk2[a:b], hd, hk, hn, counters)
            else:
                task_merge(h, gd[a:b], gk[a:b], hd, hk, hn, counters)
            slot[h] = first[h] = last[h] = -1
            pend[h] = 0
    for r in range(n_rows):
        m = rows[r] // ROWS
        if pending[m] < INF:
            pending[m] = INF
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, INF)


@inner(error_model="numpy", _nrt=False, forceinline=True)
def join(h: int, due: float, key: int, nb: int, n_rows: int, room: tuple) -> int:
    """Put a task for list ``h`` in the batch at ``nb``.

    Args:
        h: the task list's row.
        due: the task's due time (minutes).
        key: its key (larger than any in the batch).
        nb: where it goes (the batch's size before it).
        n_rows: how many lists the batch has given tasks to (``rows``).
        room: :func:`batch_room`'s arrays: per task list its first and
            last task in the batch not queued yet (-1: none) and their
            number; per task its due time, key, list and the next task of
            its list (-1: none); the lists given tasks, in the order of
            their first one.

    Returns:
        ``n_rows`` after it.
    """
    first, last, pend, _, _, b_due, b_key, b_row, link, rows = room[:10]
    b_due[nb], b_key[nb], b_row[nb], link[nb] = due, key, h, -1
    if first[h] < 0:
        first[h] = nb
        rows[n_rows] = h
        n_rows += 1
    else:
        link[last[h]] = nb
    last[h] = nb
    pend[h] += 1
    return n_rows


@inner(error_model="numpy", _nrt=False)
def give_out(m: int, t: float, due: np.ndarray, key: np.ndarray, work: np.ndarray, nb: int, n_rows: int,
             room: tuple, batch: int, seen: np.ndarray, pending: np.ndarray, extra_draws: int,
             head: np.ndarray, tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray, leads: tuple,
             out: tuple, chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray,
             mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
             counters: np.ndarray) -> tuple[int, int]:
    """Owner ``m``'s tasks ``(due, key)``, taken out at ``t``, routed anew into the batch from ``nb``.

    :func:`hand_over_batch`'s work per task, without numba's reference
    counting (the batch's arrays have room for them all).  Each task joins
    the batch (:func:`join`), in the receiver's list of its class of work
    (``work``, from ``queues.owned_before``: the lead's step is not read).
    The fields of the lead four tasks ahead are prefetched
    (:mod:`~simsales.engines.fast.prefetch`).
    Arguments as :func:`hand_over_batch`'s.

    Returns:
        The batch's size and its number of ``rows`` after them.
    """
    owner, handovers = out[0], out[6]
    hn = queues[2]
    for x in range(due.size):
        if x + 4 < due.size:  # the lead of a task a few ahead: ask for its fields now
            ahead = key[x + 4] & LEAD_MASK
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
        n_rows = join(ROWS * to + work[x], due[x], (counters[SEQ] << LEAD_BITS) | lead, nb, n_rows, room)
        counters[SEQ] += 1
        pending[to] = min(pending[to], due[x])
        nb += 1
    return nb, n_rows


@inner(error_model="numpy")
def batch_room(n_lists: int, cap: int = 256) -> tuple:
    """The hand-over batch's arrays, for ``n_lists`` task lists and ``cap`` tasks a minute.

    Kept by the loop from one hand-over minute to the next
    (:func:`hand_over_batch` returns them, grown if a minute needed more
    room), so that the per-task work runs without numba's reference counts
    and nothing is allocated per minute.

    Returns:
        ``(first, last, pend, slot, ends, due, key, row, link, rows, gd, gk, gd2, gk2, bounds)``:
        per task list, its first and last task in the batch not queued yet
        (-1: none, between batches too), how many it has, its slot in a
        flush (-1: none) and, per slot, where its group starts, then ends
        (:func:`flush`); per task, its due time (minutes), key, list and
        the next task of its list (-1: none); the lists given tasks; the
        group sort's buffers (:func:`~simsales.engines.fast.groupsort.sort_group`).
    """
    return (np.full(n_lists, -1, np.int64), np.full(n_lists, -1, np.int64), np.zeros(n_lists, np.int64),
            np.full(n_lists, -1, np.int64), np.empty(n_lists, np.int64), np.empty(cap),
            np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64),
            np.empty(cap, np.int64), np.empty(cap), np.empty(cap, np.int64), np.empty(cap),
            np.empty(cap, np.int64), np.empty(cap + 1, np.int64))


@inner(error_model="numpy")
def _grown(a: np.ndarray, cap: int) -> np.ndarray:
    """``a`` with room for ``cap`` items, its items kept (a loop: np.concatenate compiles slowly)."""
    out = np.empty(cap, a.dtype)
    for x in range(a.size):
        out[x] = a[x]
    return out


@inner(error_model="numpy")
def hand_over_batch(t: float, q: int, ho_m: np.ndarray, ho_until: np.ndarray, batch: int,
                    seen: np.ndarray, pending: np.ndarray, room: tuple, extra_draws: int,
                    head: np.ndarray, tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray, leads: tuple,
                    out: tuple, chain: tuple, routing: tuple, params: np.ndarray, seed: np.uint64,
                    mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
                    counters: np.ndarray, q_end: int) -> tuple:
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
    one back, maybe this owner), that owner's pending tasks are queued
    first (:func:`flush` of their lists), and only theirs.  Compiled apart from the
    loop (rarer), so the period's code stays lean; the per-task work
    (:func:`give_out`, :func:`flush`) runs without reference counts.
    Arguments as ``split.run_split``'s and ``period.advance``'s; ``pending``
    (inf) holds, per receiver with tasks not queued yet, the earliest due
    time among them; ``room``: :func:`batch_room`'s arrays.

    Returns:
        ``room``, grown if this minute needed more.
    """
    hd, hk, hn = queues
    own = np.empty(ROWS, np.int64)  # an owner's task lists
    nb = n_rows = np.int64(0)  # not the literal 0: numba would compile give_out and flush for it too
    for p in range(q, q_end):
        m = ho_m[p]
        if t >= mf[m, STOP]:
            continue
        if pending[m] < ho_until[p]:  # a task handed to them this minute is among theirs to hand over:
            for c in range(ROWS):  # their own lists queued first, and only theirs
                own[c] = ROWS * m + c
            flush(np.int64(ROWS), own, nb, room, pending, t, mf, mi, md, queues, events, counters)
        elif pending[m] < INF:  # all due later: they stay pending; the wake-up counts them
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, pending[m])
        if seen[m] != batch:
            seen[m] = batch
            advance(m, t, head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md,
                    queues, events, counters)
        due, key, work = owned_before(m, ho_until[p], hd, hk, hn)
        if nb + due.size > room[5].size:  # more room: the per-task arrays grown, the lists' kept
            cap = max(2 * room[5].size, nb + due.size)
            grown = (_grown(room[5], cap), _grown(room[6], cap), _grown(room[7], cap), _grown(room[8], cap),
                     _grown(room[9], cap))
            room = room[:5] + grown + batch_room(0, cap)[10:]
        nb, n_rows = give_out(m, t, due, key, work, nb, n_rows, room, batch, seen, pending, extra_draws, head,
                              tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md, queues,
                              events, counters)
    flush(n_rows, room[9], nb, room, pending, t, mf, mi, md, queues, events, counters)
    return room
