"""Queues of the fast engine's event loop, compiled with numba.

* A manager's three task lists (one per class of work under the priority
  rule, see :mod:`simsales.engines.priority`) are kept sorted, row by row,
  in two ``(3M + 3, cap)`` arrays (rows ``3m`` to ``3m + 2``; the shared
  queue's last): the due time
  (minutes) and an integer key ``seq << LEAD_BITS | lead``, in the order
  ``(due, seq)`` of the reference engine's ``heapq`` entries; the lead comes
  out of the key.  ``hn[row]`` holds the number of tasks and where the first
  one is: taking the first task is a step forward, and a new task, whose
  sequence number is the largest, goes in from the end, past the tasks due
  after it: about five steps a follow-up on q3, cheaper than a binary
  heap's unpredictable sifting.  A push onto a full row (or one whose tasks
  drifted to its end while it is more than ``ROOM_USE`` full) sets an overflow flag; the
  caller reruns with more room (the run is a pure function of its inputs,
  so the rerun gives the same numbers).
* The managers' own next events (wake up, or finish a call) sit in an
  indexed binary heap over managers: one key ``(time, seq)`` each, +inf when
  there is nothing to do, changed in place (``mi[m, POS]`` is where).

Speed notes (numba).  The helpers on the per-event path that take the
loop's tables (``take``, ``done``, ``give``, ``next_action``,
``wake_if_idle``, ``pop_due``, ``task_push``, ``task_merge``) are compiled
each on its own and marked for LLVM to inline into their callers
(``forceinline=True``: within 1-2% of the speed numba's own inliner,
``inline="always"``, gave, in half the compile time; that inliner types
the whole caller again for every call it inlines), and the
loops work on views of their arrays without reference counts
(:mod:`~simsales.engines.fast.views`); the functions on the per-event path
that allocate nothing (a manager's period, routing, a hand-over's tasks,
the event loop) are compiled without numba's reference counting
(``_nrt=False``): on q3 with its hand-over rule the counts' calls took
about half of the engine's time.  The leaves with a few arguments
(:func:`uniform`, :func:`task_first`, :func:`set_event`,
``routing.route``, the decay ...) are plain calls: LLVM inlines the
smallest anyway (docs/engines.md, "Compile time").  The rarely run parts
(a pipeline entry, a probation decision) are compiled as calls too.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.inner import inner
from simsales.engines.fast.views import unchecked

LEAD_BITS = 23  # a task's key is seq << LEAD_BITS | lead
LEAD_MASK = (1 << LEAD_BITS) - 1
MAX_LEADS = 1 << LEAD_BITS
"""The most leads a replication may have in the fast engine (the lead's bits of a key)."""

# Columns of the per-manager tables (float ``mf`` and integer ``mi``).
# NEXT_ON: while the manager is off shift, their next moment on shift (see dispatch.give).
# STOP: when they stop working (the horizon, their leave, their firing; 0 for a standby not
# brought in).  RAMPED_FROM: the minute from which they count as ramped.  OFFERS and
# OFFERS_RAMPED: offers they made, and those made while ramped (the probation rule's).
# TALK_MIN ... OVERTIME_MIN: the time split (des.py's account); CREDIT: round robin's
# credit of a manager in ramp (routing.route_new).  ATTEMPTS_MADE: contact attempts they made from
# the counted period's origin on (Outcomes.attempts_made).
EV_T, STOP, BUSY_MINUTES, NEXT_ON, RAMPED_FROM, TALK_MIN, DIAL_MIN, CRM_MIN, OVERTIME_MIN, CREDIT = range(10)
EV_KIND, EV_LEAD, EV_RESULT, BUSY, POS, OFFERS, OFFERS_RAMPED, ATTEMPTS_MADE = range(8)
# Counters: tie-break sequence, reassignment draws, overflow flag, last manager routed to,
# routing segment of the last routing.
SEQ, REASSIGN_DRAWS, OVERFLOW, LAST_ROUTED, SEGMENT = range(5)
# Columns of ``hn``, per task list: how many tasks, where the first one is.
COUNT, FIRST = 0, 1
ROWS = 3
"""Task lists per manager (and for the shared queue): one per class of work, class 0 first.

(:func:`owned_before` merges a manager's three lists by hand.)"""
ROOM_USE = 0.75
"""The most of a row its tasks may fill when they drift to its end and move back to its start.

Beyond it the run asks for longer rows (a rerun).  The move costs at most
3 steps per task queued since the last one (with 1/2, a manager's backlog
of 517 follow-ups overflowed the first rows of 1,024 and every 250-manager
world of the scaling benchmark ran twice).
"""


@inner(error_model="numpy", forceinline=True, _nrt=False)
def task_push(h: int, due: float, key: int, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray,
              counters: np.ndarray) -> None:
    """Queue ``(due, key)`` in row ``h``, in order; ``key`` is larger than any queued one.

    Args:
        h: the task list's row.
        due: when the task is due, minutes from the start.
        key: ``seq << LEAD_BITS | lead``.
        hd: due times per row.
        hk: keys per row.
        hn: per row, the number of tasks and where the first one is.
        counters: the loop's counters; sets ``OVERFLOW`` if the row is full.
    """
    n, lo = hn[h, COUNT], hn[h, FIRST]
    if lo + n == hd.shape[1]:  # the tasks have drifted to the end of the row: back to its start
        if n > ROOM_USE * hd.shape[1]:  # unless that would happen often: ask for longer rows
            counters[OVERFLOW] = 1
            return
        for x in range(n):
            hd[h, x], hk[h, x] = hd[h, lo + x], hk[h, lo + x]
        lo = 0
        hn[h, FIRST] = 0
    i = lo + n
    while i > lo and hd[h, i - 1] > due:  # a few steps: a new task is due after most queued ones
        hd[h, i], hk[h, i] = hd[h, i - 1], hk[h, i - 1]
        i -= 1
    hd[h, i], hk[h, i] = due, key
    hn[h, COUNT] = n + 1


@inner(error_model="numpy", forceinline=True, _nrt=False)
def task_merge(h: int, due: np.ndarray, key: np.ndarray, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray,
               counters: np.ndarray) -> None:
    """Queue many tasks in row ``h`` at once, as :func:`task_push` one by one would.

    One pass from the end instead of one shift per task (hand-overs give a
    manager many tasks due among the queued ones).

    Args:
        h: the task list's row.
        due: due times, non-decreasing (minutes).
        key: their keys, increasing, each larger than any queued one.
        hd: due times per row.
        hk: keys per row.
        hn: per row, the number of tasks and where the first one is.
        counters: the loop's counters; sets ``OVERFLOW`` if the row is too short.
    """
    n, lo, k = hn[h, COUNT], hn[h, FIRST], due.size
    if lo + n + k > hd.shape[1]:  # no room after the tasks: back to the row's start
        if n + k > ROOM_USE * hd.shape[1]:  # unless that would happen often: ask for longer rows
            counters[OVERFLOW] = 1
            return
        for x in range(n):
            hd[h, x], hk[h, x] = hd[h, lo + x], hk[h, lo + x]
        lo = 0
        hn[h, FIRST] = 0
    i, j, w = lo + n - 1, k - 1, lo + n + k - 1
    rd, rk = unchecked(hd[h]), unchecked(hk[h])  # the row, without the negative-index fix-up
    while i >= lo and j >= 0:  # without a branch on the data: a queued task or a new one, a coin toss
        qd, nd = rd[i], due[j]
        queued = qd > nd  # a queued task due at the same time stays first (its key is smaller)
        rd[w] = qd if queued else nd
        rk[w] = rk[i] if queued else key[j]
        i -= queued
        j -= 1 - queued
        w -= 1
    while j >= 0:  # the new ones due before every queued one left
        rd[w], rk[w] = due[j], key[j]
        j -= 1
        w -= 1
    hn[h, COUNT] = n + k


@inner(error_model="numpy")
def owned_before(owner: int, until: float, hd: np.ndarray, hk: np.ndarray,
                 hn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Take out every task queued with ``owner`` that is due before ``until``, oldest first.

    Each of the owner's task lists (``ROWS`` = 3 of them) is sorted by
    ``(due, seq)``, so these are the first tasks of each list, and one
    three-way merge puts them in ``(due, seq)`` order (two stable sorts did
    the same and took most of a hand-over's time); the rest stay.

    Args:
        owner: the manager.
        until: minutes from the start (inf: every task).
        hd: the task lists' due times (minutes).
        hk: the task lists' keys.
        hn: the task lists' counts and first positions.

    Returns:
        ``(due, key, work)`` of the tasks taken out, in the order ``(due, seq)``: ``work``, the
        class of work of each (the list it was in, 0 to ``ROWS`` - 1), which its lead's next
        step gives too (a hand-over reads it here, not from the lead's arrays).
    """
    h0, h1, h2 = ROWS * owner, ROWS * owner + 1, ROWS * owner + 2
    i0, i1, i2 = hn[h0, FIRST], hn[h1, FIRST], hn[h2, FIRST]
    e0, e1, e2 = _before(h0, until, hd, hn), _before(h1, until, hd, hn), _before(h2, until, hd, hn)
    n = (e0 - i0) + (e1 - i1) + (e2 - i2)
    due, key, work = np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64)
    for x in range(n):  # the smallest (due, key) of the three heads
        h, i = -1, 0
        if i0 < e0:
            h, i = h0, i0
        if i1 < e1 and (h < 0 or hd[h1, i1] < hd[h, i] or (hd[h1, i1] == hd[h, i] and hk[h1, i1] < hk[h, i])):
            h, i = h1, i1
        if i2 < e2 and (h < 0 or hd[h2, i2] < hd[h, i] or (hd[h2, i2] == hd[h, i] and hk[h2, i2] < hk[h, i])):
            h, i = h2, i2
        due[x], key[x], work[x] = hd[h, i], hk[h, i], h - h0
        if h == h0:
            i0 += 1
        elif h == h1:
            i1 += 1
        else:
            i2 += 1
    _keep_from(h0, e0, hn)
    _keep_from(h1, e1, hn)
    _keep_from(h2, e2, hn)
    return due, key, work


@inner(error_model="numpy", forceinline=True, _nrt=False)
def _before(h: int, until: float, hd: np.ndarray, hn: np.ndarray) -> int:
    """Where row ``h``'s first task due at or after ``until`` is (its tasks are sorted by due time)."""
    i, end = hn[h, FIRST], hn[h, FIRST] + hn[h, COUNT]
    while i < end and hd[h, i] < until:
        i += 1
    return i


@inner(error_model="numpy", forceinline=True, _nrt=False)
def _keep_from(h: int, i: int, hn: np.ndarray) -> None:
    """Drop row ``h``'s tasks before column ``i``: the rest stay."""
    rest = hn[h, FIRST] + hn[h, COUNT] - i
    hn[h, COUNT] = rest
    hn[h, FIRST] = i if rest > 0 else 0


@inner(error_model="numpy")
def task_first(h: int, hn: np.ndarray) -> int:
    """Where row ``h``'s first task is (read it before :func:`task_pop`).

    Args:
        h: the task list's row.
        hn: per row, the number of tasks and where the first one is.

    Returns:
        The column of the first task in ``hd`` and ``hk``.
    """
    return hn[h, FIRST]


@inner(error_model="numpy")
def task_load(m: int, hn: np.ndarray) -> int:
    """How many tasks are queued with manager ``m`` (their three rows).

    Args:
        m: the manager.
        hn: per row, the number of tasks and where the first one is.

    Returns:
        The number of tasks.
    """
    return hn[ROWS * m, COUNT] + hn[ROWS * m + 1, COUNT] + hn[ROWS * m + 2, COUNT]


@inner(error_model="numpy")
def task_pop(h: int, hn: np.ndarray) -> None:
    """Remove the first task of row ``h``.

    Args:
        h: the task list's row (not empty).
        hn: per row, the number of tasks and where the first one is.
    """
    hn[h, COUNT] -= 1
    hn[h, FIRST] = hn[h, FIRST] + 1 if hn[h, COUNT] > 0 else 0


@inner(error_model="numpy")
def set_event(m: int, t: float, kind: int, mf: np.ndarray, mi: np.ndarray, events: tuple,
              counters: np.ndarray) -> None:
    """Give manager ``m`` the next event ``kind`` at ``t`` and restore the event heap.

    Args:
        m: the manager.
        t: the event's time, minutes from the start (inf: none).
        kind: WAKE, DONE or IDLE (tables).
        mf: the per-manager float table (``EV_T`` is set).
        mi: the per-manager integer table (``EV_KIND`` and ``POS`` are set).
        events: ``(et, es, order)``: times, tie-break numbers and managers
            in heap order (keys stored inline, so sifting reads contiguous memory).
        counters: the loop's counters (``SEQ`` numbers the event).
    """
    et, es, order = events
    mf[m, EV_T] = t
    mi[m, EV_KIND] = kind
    seq = counters[SEQ]
    counters[SEQ] += 1
    i = mi[m, POS]
    while i > 0:
        parent = (i - 1) >> 1
        if et[parent] < t or (et[parent] == t and es[parent] < seq):
            break
        et[i], es[i], order[i] = et[parent], es[parent], order[parent]
        mi[order[i], POS] = i
        i = parent
    n = order.size
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and (et[c + 1] < et[c] or (et[c + 1] == et[c] and es[c + 1] < es[c])):
            c += 1
        if t < et[c] or (t == et[c] and seq < es[c]):
            break
        et[i], es[i], order[i] = et[c], es[c], order[c]
        mi[order[i], POS] = i
        i = c
    et[i], es[i], order[i] = t, seq, m
    mi[m, POS] = i


# Counter-based uniforms: draw number ``counter`` of stream ``seed`` is a pure
# function of both, so lead i's k-th contact draw is the same under every plan.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@inner(error_model="numpy")
def uniform(seed: np.uint64, counter: int) -> float:
    """A uniform in [0, 1): the SplitMix64 output for ``seed + counter * golden``.

    Args:
        seed: the stream.
        counter: the draw's number in the stream.

    Returns:
        A multiple of 2**-53 in [0, 1).
    """
    z = seed + np.uint64(counter) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)
