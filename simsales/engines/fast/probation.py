"""Probation in the fast engine: :mod:`simsales.engines.probation`'s rule on the loops' counters.

The decision minutes are known before the run (``probation_end``), so the
loops take them as they take the leaves, in order (by minute, then by
manager): :mod:`~simsales.engines.fast.split` cuts the horizon there (every
manager has run up to that minute), :mod:`~simsales.engines.fast.loop`
merges them as a fourth source.  At a decision, :func:`fails` applies the
rule to what the loops counted (offers per manager, and while ramped, in
``mi``; shift minutes from the manager-day table), and :func:`dismiss` does
what a leave does, plus bringing in the standby.  The arithmetic is
:func:`simsales.engines.probation.shift_minutes` and
:func:`~simsales.engines.probation.let_go`, the reference engine's own.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.dispatch import reassign, schedule
from simsales.engines.fast.inner import inner
from simsales.engines.fast.queues import OFFERS, OFFERS_RAMPED, RAMPED_FROM, STOP
from simsales.engines.fast.routing import OFF_UNTIL
from simsales.engines.fast.tables import (
    ACTIVE_STOP,
    BEGIN,
    FIRE_CHANCE,
    FIRE_DRAW,
    INF,
    SHIFT_END,
    SHIFT_START,
    WAKE,
)
from simsales.engines.probation import let_go, shift_minutes

__all__ = ["dismiss", "fails"]


@inner(error_model="numpy")
def fails(m: int, t: float, bar: float, mf: np.ndarray, mi: np.ndarray, md: np.ndarray,
          pf: np.ndarray) -> bool:
    """Whether manager ``m``, on the team at ``t``, is let go at the end of their probation.

    Call it when every manager has run up to ``t`` (their events at ``t`` included).

    Args:
        m: the probationer.
        t: the decision minute.
        bar: the bar, as a share of the team's ramped average.
        mf: the per-manager float table (``STOP``, ``RAMPED_FROM``).
        mi: the per-manager integer table (``OFFERS``, ``OFFERS_RAMPED``).
        md: the per-manager-day table (the shifts).
        pf: the per-manager probation table (tables.FIRE_DRAW ... BEGIN).

    Returns:
        True if they are let go.
    """
    minutes = shift_minutes(md[m, :, SHIFT_START], md[m, :, SHIFT_END], pf[m, BEGIN], t)
    offers_ramped, minutes_ramped = 0, 0.0
    for j in range(mf.shape[0]):  # every manager's shift minutes while ramped, within their stay
        offers_ramped += mi[j, OFFERS_RAMPED]
        lo, hi = max(pf[j, BEGIN], mf[j, RAMPED_FROM]), min(t, mf[j, STOP])
        minutes_ramped += shift_minutes(md[j, :, SHIFT_START], md[j, :, SHIFT_END], lo, hi)
    return let_go(float(mi[m, OFFERS]), minutes, float(offers_ramped), minutes_ramped, bar,
                  pf[m, FIRE_DRAW], pf[m, FIRE_CHANCE])


@inner(error_model="numpy")
def dismiss(m: int, t: float, heap: bool, extra_draws: int, step: np.ndarray, owner: np.ndarray,
            routing: tuple, params: np.ndarray, seed: np.uint64, mf: np.ndarray, mi: np.ndarray,
            md: np.ndarray, queues: tuple, events: tuple, counters: np.ndarray, pf: np.ndarray,
            standby: np.ndarray, fired: np.ndarray) -> None:
    """Manager ``m`` is let go at ``t``, as a leaver; their standby, if any, is brought in.

    Their queued tasks are routed anew (dispatch.reassign); a call in
    progress goes on, and its follow-up is routed anew when it ends (the
    split loop must know when: see split.run_split).

    Args:
        m: the manager let go.
        t: the decision minute.
        heap: whether the loop keeps an event heap.
        extra_draws: the number of the first uniform for re-routed tasks.
        step: per lead, the next step.
        owner: per lead, the owner.
        routing: ``(rf, ri, new_count, pick_w, pick_i)``, see routing.pack_routing (``until`` is written).
        params: the scalars (tables.P_*).
        seed: the stream of the uniforms.
        mf: the per-manager float table.
        mi: the per-manager integer table.
        md: the per-manager-day table.
        queues: the task lists ``(hd, hk, hn)``.
        events: the event heap.
        counters: the loop's counters.
        pf: the per-manager probation table.
        standby: per manager, the standby their firing brings in, or -1.
        fired: per manager, the minute they were let go (NaN if not); ``m``'s is set.
    """
    rf, ri = routing[0], routing[1]
    fired[m] = t
    mf[m, STOP] = t
    rf[ri[OFF_UNTIL] + m] = t
    reassign(m, t, heap, extra_draws, step, owner, routing, params, seed, mf, mi, md, queues, events,
             counters)
    s = standby[m]
    if s >= 0:
        mf[s, STOP] = pf[s, ACTIVE_STOP]
        pf[s, BEGIN] = t
        rf[ri[OFF_UNTIL] + s] = INF
        if heap:  # brought in now, after the hand-over: they plan their wait, as the reference's process does
            schedule(s, t, WAKE, heap, mf, mi, events, counters)
