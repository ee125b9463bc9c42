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
from numba import njit

from simsales.engines.fast.dispatch import reroute, task_row, wake_if_idle
from simsales.engines.fast.period import advance
from simsales.engines.fast.prefetch import prefetch
from simsales.engines.fast.queues import LEAD_BITS, LEAD_MASK, ROWS, SEQ, STOP, owned_before, task_merge
from simsales.engines.fast.tables import INF
from simsales.engines.fast.views import unchecked

__all__ = ["batch_room", "flush", "give_out", "hand_over_batch", "join"]


@njit(cache=True, error_model="numpy", _nrt=False)
def _merge_pass(sd: np.ndarray, sk: np.ndarray, dd: np.ndarray, dk: np.ndarray, bounds: np.ndarray,
                n_runs: int, g: int) -> int:
    """Merge the sorted runs of ``(sd, sk)`` two by two into ``(dd, dk)``; a tie takes the left run.

    ``bounds[:n_runs + 1]``: where the runs start, and ``g``; overwritten
    with the merged runs' starts.

    Returns:
        The number of runs after the pass.
    """
    sd, sk, dd, dk = unchecked(sd), unchecked(sk), unchecked(dd), unchecked(dk)  # no negative-index fix-up
    n_out = 0
    for p in range(0, n_runs, 2):
        a, mid = bounds[p], bounds[p + 1]
        b = bounds[p + 2] if p + 1 < n_runs else mid
        bounds[n_out] = a
        n_out += 1
        if b == mid:  # a run alone: copied
            for x in range(a, mid):
                dd[x], dk[x] = sd[x], sk[x]
            continue
        # From both ends at once, two chains of work the processor overlaps: the front takes the
        # smaller head (a tie: the left run's), the back the larger tail (a tie: the right run's),
        # while each run has two or more left.  Without a branch on the data: which run comes
        # next is a coin toss.
        i, j, w = a, mid, a
        ie, je, we = mid - 1, b - 1, b - 1
        while i < ie and j < je:
            di, dj = sd[i], sd[j]
            right = dj < di
            dd[w] = dj if right else di
            dk[w] = sk[j] if right else sk[i]
            j += right
            i += 1 - right
            w += 1
            ei, ej = sd[ie], sd[je]
            left = ei > ej
            dd[we] = ei if left else ej
            dk[we] = sk[ie] if left else sk[je]
            ie -= left
            je -= 1 - left
            we -= 1
        while i <= ie and j <= je:  # the rest from the front
            di, dj = sd[i], sd[j]
            right = dj < di
            dd[w] = dj if right else di
            dk[w] = sk[j] if right else sk[i]
            j += right
            i += 1 - right
            w += 1
        while i <= ie:
            dd[w], dk[w] = sd[i], sk[i]
            i += 1
            w += 1
        while j <= je:
            dd[w], dk[w] = sd[j], sk[j]
            j += 1
            w += 1
    bounds[n_out] = g
    return n_out


@njit(cache=True, error_model="numpy", _nrt=False)
def _queue_row(h: int, b_due: np.ndarray, b_key: np.ndarray, link: np.ndarray, first: np.ndarray,
               last: np.ndarray, scratch: tuple, queues: tuple, counters: np.ndarray) -> None:
    """Queue row ``h``'s tasks of the batch with one merge (``queues.task_merge``), in ``(due, seq)`` order.

    The row's tasks, in the order they were handed over (their keys grow),
    are a few runs in due order, one per owner: a natural merge sort,
    stable, puts them in order.  Marks the row as having none left
    (``first``, ``last``: -1).
    """
    hd, hk, hn = queues
    gd, gk, gd2, gk2, bounds = scratch
    x, g, n_runs = first[h], 0, 0
    while x >= 0:
        if g == 0 or b_due[x] < gd[g - 1]:
            bounds[n_runs] = g
            n_runs += 1
        gd[g], gk[g] = b_due[x], b_key[x]
        g += 1
        x = link[x]
    first[h] = last[h] = -1
    bounds[n_runs] = g
    into_second = False
    while n_runs > 1:
        if into_second:
            n_runs = _merge_pass(gd2, gk2, gd, gk, bounds, n_runs, g)
        else:
            n_runs = _merge_pass(gd, gk, gd2, gk2, bounds, n_runs, g)
        into_second = not into_second
    if into_second:
        task_merge(h, gd2[:g], gk2[:g], hd, hk, hn, counters)
    else:
        task_merge(h, gd[:g], gk[:g], hd, hk, hn, counters)


@njit(cache=True, error_model="numpy", _nrt=False)
def flush(n_rows: int, rows: np.ndarray, b_due: np.ndarray, b_key: np.ndarray, link: np.ndarray,
          first: np.ndarray, last: np.ndarray, pending: np.ndarray, t: float, scratch: tuple, mf: np.ndarray,
          mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray) -> None:
    """Queue the batch's tasks for the lists ``rows[:n_rows]``, one merge per list (:func:`_queue_row`).

    Within a list, in ``(due, seq)`` order, as giving them one by one
    would leave it; each receiver then re-plans their wait once (the same
    wake-up as after each give: a task more can only bring it forward).
    At the minute's end ``rows`` are the lists given tasks in the batch
    (one may be there twice, or queued already: ``first`` -1); before an
    owner hands over, the owner's own three lists, so that the other
    receivers' tasks wait for the minute's end and each of their lists
    takes one merge a minute.  (Flushing the whole batch before each such
    owner, as before, merged most lists several times a minute with 250
    managers, each merge moving the whole list.)  ``pending`` marks the
    receivers (the earliest due time of their tasks; reset to inf here).
    Arguments as :func:`hand_over_batch`'s; ``scratch``: the sort's
    buffers (:func:`batch_room`).
    """
    for r in range(n_rows):
        h = rows[r]
        if first[h] >= 0:
            _queue_row(h, b_due, b_key, link, first, last, scratch, queues, counters)
    for r in range(n_rows):
        m = rows[r] // ROWS
        if pending[m] < INF:
            pending[m] = INF
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, INF)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def join(h: int, due: float, key: int, nb: int, n_rows: int, b_due: np.ndarray, b_key: np.ndarray,
         link: np.ndarray, rows: np.ndarray, first: np.ndarray, last: np.ndarray) -> int:
    """Put a task for list ``h`` in the batch at ``nb``, at the end of that list's chain.

    Args:
        h: the task list's row.
        due: the task's due time (minutes).
        key: its key (larger than any in the batch).
        nb: where it goes (the batch's size before it).
        n_rows: how many lists the batch has given tasks to (``rows``).
        b_due: the batch's due times.
        b_key: the batch's keys.
        link: per task of the batch, the next one of its list (-1: none).
        rows: the lists given tasks, in the order of their first one.
        first: per task list, its first task in the batch (-1: none).
        last: per task list, its last task in the batch.

    Returns:
        ``n_rows`` after it.
    """
    b_due[nb], b_key[nb], link[nb] = due, key, -1
    if first[h] < 0:
        first[h] = nb
        rows[n_rows] = h
        n_rows += 1
    else:
        link[last[h]] = nb
    last[h] = nb
    return n_rows


@njit(cache=True, error_model="numpy", _nrt=False)
def give_out(m: int, t: float, due: np.ndarray, key: np.ndarray, nb: int, n_rows: int, b_due: np.ndarray,
             b_key: np.ndarray, link: np.ndarray, rows: np.ndarray, first: np.ndarray, last: np.ndarray,
             batch: int, seen: np.ndarray, pending: np.ndarray, extra_draws: int, head: np.ndarray,
             tail: np.ndarray, nxt: np.ndarray, due_at: np.ndarray, leads: tuple, out: tuple, chain: tuple,
             routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray, mi: np.ndarray,
             md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray) -> tuple[int, int]:
    """Owner ``m``'s tasks ``(due, key)``, taken out at ``t``, routed anew into the batch from ``nb``.

    :func:`hand_over_batch`'s work per task, without numba's reference
    counting (the batch's arrays have room for them all).  Each task joins
    its list's chain in the batch (``first``, ``last``, ``link``; a list
    new to the batch joins ``rows``).  The fields of the lead four tasks
    ahead are prefetched (:mod:`~simsales.engines.fast.prefetch`).
    Arguments as :func:`hand_over_batch`'s.

    Returns:
        The batch's size and its number of ``rows`` after them.
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
        n_rows = join(task_row(to, step[lead], params), due[x], (counters[SEQ] << LEAD_BITS) | lead, nb,
                      n_rows, b_due, b_key, link, rows, first, last)
        counters[SEQ] += 1
        pending[to] = min(pending[to], due[x])
        nb += 1
    return nb, n_rows


@njit(cache=True, error_model="numpy")
def batch_room(n_lists: int, cap: int = 256) -> tuple:
    """The hand-over batch's arrays, for ``n_lists`` task lists and ``cap`` tasks a minute.

    Kept by the loop from one hand-over minute to the next
    (:func:`hand_over_batch` returns them, grown if a minute needed more
    room), so that the per-task work runs without numba's reference counts
    and nothing is allocated per minute.

    Returns:
        ``(first, last, due, key, link, rows, gd, gk, gd2, gk2, bounds)``:
        per task list, its first and last task in the batch (-1: none,
        between batches too); per task, its due time (minutes), key and the
        next task of its list (-1: none); the lists given tasks; the merge
        sort's buffers (:func:`_queue_row`).
    """
    return (np.full(n_lists, -1, np.int64), np.full(n_lists, -1, np.int64), np.empty(cap),
            np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap),
            np.empty(cap, np.int64), np.empty(cap), np.empty(cap, np.int64), np.empty(cap + 1, np.int64))


@njit(cache=True, error_model="numpy")
def _grown(a: np.ndarray, cap: int) -> np.ndarray:
    """``a`` with room for ``cap`` items, its items kept (a loop: np.concatenate compiles slowly)."""
    out = np.empty(cap, a.dtype)
    for x in range(a.size):
        out[x] = a[x]
    return out


@njit(cache=True, error_model="numpy")
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
    first, last, b_due, b_key, link, rows = room[:6]
    scratch = room[6:]
    own = np.empty(ROWS, np.int64)  # an owner's task lists
    nb = n_rows = np.int64(0)  # not the literal 0: numba would compile give_out and flush for it too
    for p in range(q, q_end):
        m = ho_m[p]
        if t >= mf[m, STOP]:
            continue
        if pending[m] < ho_until[p]:  # a task handed to them this minute is among theirs to hand over:
            for c in range(ROWS):  # their own lists queued first, and only theirs
                own[c] = ROWS * m + c
            flush(np.int64(ROWS), own, b_due, b_key, link, first, last, pending, t, scratch, mf, mi, md,
                  queues, events, counters)
        elif pending[m] < INF:  # all due later: they stay pending; the wake-up counts them
            wake_if_idle(m, t, False, mf, mi, md, queues, events, counters, pending[m])
        if seen[m] != batch:
            seen[m] = batch
            advance(m, t, head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md,
                    queues, events, counters)
        due, key = owned_before(m, ho_until[p], hd, hk, hn)
        if nb + due.size > b_due.size:  # more room
            cap = max(2 * b_due.size, nb + due.size)
            b_due, b_key, link, rows = _grown(b_due, cap), _grown(b_key, cap), _grown(link, cap), _grown(
                rows, cap)
            scratch = batch_room(0, cap)[6:]  # the sort's buffers, for cap tasks
        nb, n_rows = give_out(m, t, due, key, nb, n_rows, b_due, b_key, link, rows, first, last, batch,
                              seen, pending, extra_draws, head, tail, nxt, due_at, leads, out, chain,
                              routing, params, seed, mf, mi, md, queues, events, counters)
    flush(n_rows, rows, b_due, b_key, link, first, last, pending, t, scratch, mf, mi, md, queues, events,
          counters)
    gd, gk, gd2, gk2, bounds = scratch
    return first, last, b_due, b_key, link, rows, gd, gk, gd2, gk2, bounds
