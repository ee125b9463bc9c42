"""One manager alone up to a moment, in the per-manager loop (:mod:`~simsales.engines.fast.split`).

Between two boundaries a manager's own events (the end of a call, a
wake-up) and the arrivals routed to them are all that moves them: a merge
of the two in time order, with one manager's tables hot in cache.
Compiled without numba's reference counting (``_nrt=False``): it
allocates nothing, and the counts on its borrowed arrays were calls on
every event (docs/engines.md, "Reference counts and the hand-over's cost").
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.chain import done, take
from simsales.engines.fast.dispatch import give
from simsales.engines.fast.entry import arrival
from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import EV_KIND, EV_T, STOP
from simsales.engines.fast.tables import DONE, INF

__all__ = ["advance"]


@inner(error_model="numpy", _nrt=False)
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
