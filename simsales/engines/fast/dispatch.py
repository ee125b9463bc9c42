"""Dispatching in the fast engine: tasks to managers, and managers to moments (compiled).

What the reference engine (:mod:`simsales.engines.des`) does around the
calls themselves: queueing a task with its manager or the shared queue and
waking whoever should act (:func:`give`), the first moment a manager can
act (:func:`next_action`), the task they take then, by the priority rule
(:func:`pop_due`), and a leaver's tasks routed anew (:func:`reassign`).
The helpers on the per-event path are compiled apart and inlined by LLVM
(``forceinline``), the small leaves are compiled as calls (see the speed
notes in :mod:`simsales.engines.fast.queues`).

The arrays the helpers share: ``mf``/``mi``, the per-manager tables
(columns in queues: ``EV_T``, ``STOP`` ...); ``md``, the per-manager-day
table (columns in tables); ``queues = (hd, hk, hn)``, the task lists (rows
3m to 3m + 2 per manager, then the shared queue's three); ``events``, the
event heap of the event loop (run_split keeps none: ``heap`` False);
``counters``, the loop's counters.  Times are minutes from the start.
The task lists are rows ``3m`` to ``3m + 2`` per manager, one per class of
work under the priority rule (:mod:`simsales.engines.priority`), then the
shared queue's three.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.days import idle_wait, on_shift_from
from simsales.engines.fast.inner import inner
from simsales.engines.fast.prefetch import prefetch
from simsales.engines.fast.queues import (
    BUSY,
    COUNT,
    EV_KIND,
    EV_T,
    LEAD_BITS,
    LEAD_MASK,
    NEXT_ON,
    REASSIGN_DRAWS,
    ROWS,
    SEGMENT,
    SEQ,
    STOP,
    owned_before,
    set_event,
    task_first,
    task_pop,
    task_push,
)
from simsales.engines.fast.routing import route
from simsales.engines.fast.tables import (
    HOP,
    IDLE,
    INF,
    P_CLASS_BOOKED,
    P_CLASS_FIRST,
    P_CLASS_FOLLOWUP,
    P_POLICY,
    P_STEPS,
    SHIFT_END,
    SHIFT_START,
    WAKE,
)
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["give", "hand_over", "next_action", "pop_due", "reassign",
           "reroute", "schedule", "wake_if_idle"]


@inner(error_model="numpy", forceinline=True, _nrt=False)
def next_action(m: int, t: float, mf: np.ndarray, hd: np.ndarray, hn: np.ndarray,
                md: np.ndarray, shared: bool, earliest: float) -> float:
    """The first moment >= ``t`` when manager ``m`` is on shift with a due task.

    Their own task lists count, and the shared queue's if ``shared`` (only
    the event loop has one; a literal False lets the compiler drop it).  The
    reference engine reaches the same moment by waiting for the shift start,
    the earliest due task or the shift end, whichever comes first.

    Args:
        m: the manager.
        t: now, minutes from the start.
        mf: the per-manager float table (``STOP``: when they stop working).
        hd: the task lists' due times (minutes).
        hn: the task lists' counts and first positions.
        md: the per-manager-day table.
        shared: whether the shared queue's lists count.
        earliest: the due time of a task not queued yet that counts too (inf: none).

    Returns:
        Minutes from the start; inf if never (before they stop).
    """
    stop = mf[m, STOP]
    if t >= stop:
        return INF
    pool = ROWS * mf.shape[0]
    q = earliest
    for h in (ROWS * m, ROWS * m + 1, ROWS * m + 2, pool, pool + 1, pool + 2):
        if (shared or h < pool) and hn[h, COUNT] > 0 and hd[h, task_first(h, hn)] < q:
            q = hd[h, task_first(h, hn)]
    if q == INF:
        return INF
    x = on_shift_from(m, max(t, q), md)
    return x if x < stop else INF


@inner(error_model="numpy", _nrt=False)
def schedule(m: int, when: float, kind: int, heap: bool, mf: np.ndarray, mi: np.ndarray,
             events: tuple, counters: np.ndarray) -> None:
    """Set manager ``m``'s next event; keep the event heap in order if the loop has one.

    Args:
        m: the manager.
        when: the event's time, minutes from the start.
        kind: ``WAKE``, ``DONE`` or ``IDLE``.
        heap: whether the loop keeps an event heap (run_loop does, run_split does not).
        mf: the per-manager float table.
        mi: the per-manager integer table.
        events: the event heap (queues.set_event).
        counters: the loop's counters.
    """
    if heap:
        set_event(m, when, kind, mf, mi, events, counters)
    else:
        mf[m, EV_T] = when
        mi[m, EV_KIND] = kind


@inner(error_model="numpy", forceinline=True, _nrt=False)
def wake_if_idle(m: int, t: float, heap: bool, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
                 queues: tuple, events: tuple, counters: np.ndarray, earliest: float) -> None:
    """Let an idle manager re-plan their wait now that a task is queued (or, ``earliest``, about to be).

    Args:
        m: the manager.
        t: now, minutes from the start.
        heap: whether the loop keeps an event heap.
        mf: the per-manager float table.
        mi: the per-manager integer table.
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        events: the event heap.
        counters: the loop's counters.
        earliest: the due time of a task handed to them and not queued yet (inf: none).
    """
    if mi[m, BUSY]:
        return
    hd, _, hn = queues
    when = next_action(m, t, mf, hd, hn, md, heap, earliest)
    if heap:  # the event loop: the reference's idle wait, re-planned now if on shift (idle_wait)
        when, on_shift = idle_wait(m, t, when, mf, md)
        if when < mf[m, EV_T] or (on_shift and mf[m, EV_T] > t):
            kind = IDLE if when == INF else (HOP if on_shift else WAKE)
            schedule(m, when, kind, heap, mf, mi, events, counters)
        return
    if when < mf[m, EV_T]:
        schedule(m, when, WAKE, heap, mf, mi, events, counters)


@inner(error_model="numpy", _nrt=False)
def task_row(target: int, k: int, params: np.ndarray) -> int:
    """The task list a lead's next task goes to with ``target``: its row in the task tables.

    Args:
        target: a manager, or M for the shared queue.
        k: the lead's next step (0: the first attempt; below ``P_STEPS``: a
            follow-up; past the attempts: booked work).
        params: the scalars (``P_CLASS_*``: the class of each kind of work).

    Returns:
        ``ROWS * target + class``.
    """
    c = params[P_CLASS_FIRST] if k == 0 else (
        params[P_CLASS_FOLLOWUP] if k < params[P_STEPS] else params[P_CLASS_BOOKED])
    return ROWS * target + int(c)


@inner(error_model="numpy", forceinline=True, _nrt=False)
def give(target: int, due: float, lead: int, t: float, params: np.ndarray, heap: bool, step: np.ndarray,
         owner: np.ndarray, mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple,
         events: tuple, counters: np.ndarray) -> None:
    """The reference engine's ``give``: queue a task and wake whoever should act.

    Args:
        target: a manager, or M for the shared queue.
        due: when the task is due, minutes from the start.
        lead: the task's lead (its next step says which task).
        t: now, minutes from the start.
        params: the scalars (``P_CLASS_*``: the class of each kind of work; ``P_STEPS``).
        heap: whether the loop keeps an event heap.
        step: per lead, the next step (attempt k, or K for the presentation).
        owner: per lead, the owner (set to ``target`` if a manager).
        mf: the per-manager float table.
        mi: the per-manager integer table.
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        events: the event heap.
        counters: the loop's counters (``SEQ`` numbers the task).
    """
    hd, hk, hn = queues
    n_managers = mf.shape[0]
    key = (counters[SEQ] << LEAD_BITS) | lead
    counters[SEQ] += 1
    task_push(task_row(target, step[lead], params), due, key, hd, hk, hn, counters)
    if target < n_managers:
        owner[lead] = target
        wake_if_idle(target, t, heap, mf, mi, md, queues, events, counters, INF)
        return
    # The shared queue: a task due now wakes the first idle manager on shift not
    # woken yet; a task due later lets every idle manager re-plan.  (Managers off
    # shift look at the queue when their shift starts, as in the reference.)
    d = min(int(t / MINUTES_PER_DAY), md.shape[1] - 1)
    woken = False
    for m in range(n_managers):
        if mi[m, BUSY] or t >= mf[m, STOP]:
            continue
        waiting = md[m, d, SHIFT_START] <= t < md[m, d, SHIFT_END] or (
            d > 0 and md[m, d - 1, SHIFT_START] <= t < md[m, d - 1, SHIFT_END])
        if waiting and due <= t:
            if not woken and mf[m, EV_T] > t:
                schedule(m, t, HOP if heap else WAKE, heap, mf, mi, events, counters)
                woken = True
            continue
        if not waiting:
            # Off shift, nothing wakes m before their next moment on shift: if they
            # already wake by then, re-planning cannot move it (it is exact to skip).
            if t > mf[m, NEXT_ON]:  # remembered from an earlier gap, or never
                mf[m, NEXT_ON] = on_shift_from(m, t, md)
            if mf[m, EV_T] <= mf[m, NEXT_ON]:
                continue
        wake_if_idle(m, t, heap, mf, mi, md, queues, events, counters, INF)


@inner(error_model="numpy", forceinline=True, _nrt=False)
def pop_due(m: int, t: float, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray, shared: bool,
            ahead: tuple) -> int:
    """Pop the task to do now: class 0 first, then 1, then 2; within each, the earliest due.

    Args:
        m: the manager.
        t: now, minutes from the start.
        hd: the task lists' due times (minutes).
        hk: the task lists' keys.
        hn: the task lists' counts and first positions.
        shared: whether the shared queue's lists count besides the manager's own.
        ahead: ``(step, lf, attempts, first_attempt, owner)``: the lead arrays a
            task's taking reads first; the lead of the task two ahead in the
            popped list (or the next) has its fields prefetched
            (:mod:`~simsales.engines.fast.prefetch`), so that they are in cache
            when it is taken.

    Returns:
        The task's lead; -1 if nothing is due.
    """
    pool = hn.shape[0] - ROWS
    for c in range(ROWS):
        own, pool_row = ROWS * m + c, pool + c
        h, i = -1, 0
        for row in (own, pool_row):
            x = task_first(row, hn)
            if (shared or row == own) and hn[row, COUNT] > 0 and hd[row, x] <= t and (
                    h < 0 or hd[row, x] < hd[h, i] or (hd[row, x] == hd[h, i] and hk[row, x] < hk[h, i])):
                h, i = row, x
        if h >= 0:
            lead = hk[h, i] & LEAD_MASK
            task_pop(h, hn)
            if hn[h, COUNT] > 0:  # a task ahead in this list: ask for its lead's fields now
                nxt = hk[h, i + min(hn[h, COUNT], 2)] & LEAD_MASK
                step, lf, attempts, first_attempt, owner = ahead
                prefetch(step, nxt)
                prefetch(lf, nxt * lf.shape[1])
                prefetch(lf, nxt * lf.shape[1] + lf.shape[1] - 1)
                prefetch(attempts, nxt)
                prefetch(first_attempt, nxt)
                prefetch(owner, nxt)
            return lead
    return -1


@inner(error_model="numpy")
def reassign(leaver: int, t: float, heap: bool, extra_draws: int, step: np.ndarray,
             owner: np.ndarray, routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray,
             mi: np.ndarray, md: np.ndarray, queues: tuple, events: tuple,
             counters: np.ndarray) -> None:
    """A leaving manager's queued tasks go, oldest first, to whoever routing picks at ``t``.

    Args:
        leaver: the manager who leaves.
        t: the moment they leave, minutes from the start.
        heap: whether the loop keeps an event heap.
        extra_draws: the number of the first uniform for re-routed tasks
            (the weighted policy's; after every lead's own draws).
        step: per lead, the next step.
        owner: per lead, the owner.
        routing: ``(rf, ri)``, see routing.pack_routing.
        params: the scalars (tables.P_*).
        seed: the stream of the uniforms.
        mf: the per-manager float table.
        mi: the per-manager integer table.
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        events: the event heap.
        counters: the loop's counters (``REASSIGN_DRAWS`` counts the re-routings).
    """
    hd, hk, hn = queues
    due, key, _ = owned_before(leaver, INF, hd, hk, hn)
    for x in range(due.size):
        target = reroute(t, extra_draws, routing, params, seed, hn, counters)
        if target >= 0:
            give(target, due[x], key[x] & LEAD_MASK, t, params, heap, step,
                 owner, mf, mi, md, queues, events, counters)


@inner(error_model="numpy", _nrt=False)
def reroute(t: float, extra_draws: int, routing: tuple, params: np.ndarray, seed: np.uint64,
            hn: np.ndarray, counters: np.ndarray) -> int:
    """The manager (or M: the shared queue) a task routed anew at ``t`` goes to; -1 if none.

    By the routing policy alone (not a new lead: no daily cap, no ramp
    share); draw number ``extra_draws + REASSIGN_DRAWS`` for weighted routing.
    """
    cursor = counters[SEGMENT]  # a hand-over routes as at a task's due time, maybe ahead of now:
    target = route(t, extra_draws + counters[REASSIGN_DRAWS], int(params[P_POLICY]), seed, routing[0],
                   routing[1], hn, counters)
    counters[SEGMENT] = cursor  # routing walks forward from the cursor, so it stays at now's segment
    counters[REASSIGN_DRAWS] += 1
    return target


@inner(error_model="numpy")
def hand_over(m: int, t: float, until: float, heap: bool, extra_draws: int, step: np.ndarray,
              owner: np.ndarray, handovers: np.ndarray, routing: tuple, params: np.ndarray,
              seed: np.uint64, mf: np.ndarray, mi: np.ndarray, md: np.ndarray, queues: tuple,
              events: tuple, counters: np.ndarray) -> None:
    """Manager ``m`` is off shift at ``t``: their tasks due before ``until`` are routed anew.

    ``routing.handover_after_hours`` (the event loop's; run_split does the
    same with its managers brought up to ``t`` first).  Each task keeps its
    due time; a lead handed to another manager (or the shared queue) counts
    in ``handovers``.  Arguments as :func:`reassign`'s.
    """
    hd, hk, hn = queues
    due, key, _ = owned_before(m, until, hd, hk, hn)
    for x in range(due.size):
        # To someone on shift when the task is due (now, if overdue); nobody then: it stays.
        target = reroute(max(t, due[x]), extra_draws, routing, params, seed, hn, counters)
        target = m if target < 0 else target
        if target >= 0:
            lead = key[x] & LEAD_MASK
            if target != m:
                handovers[lead] += 1
            give(target, due[x], lead, t, params, heap, step, owner, mf, mi, md,
                 queues, events, counters)
