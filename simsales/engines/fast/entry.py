"""A lead's arrival in the fast engine: who takes it and when its first task is due (compiled).

The reference engine's ``arrivals`` (:mod:`simsales.engines.des`), shared
by both loops (:mod:`~simsales.engines.fast.loop`,
:mod:`~simsales.engines.fast.split`) so that they do the same arithmetic:
a new lead arrives at its creation, is routed as a new lead, and its
first attempt is due ``offsets[0]`` after creation; a lead from an open
pipeline (``tables.ENTRY_DUE`` set) arrives at minute 0 with its first
task due at that time, kept by its owner (``tables.ENTRY_OWNER``) or, if
it has none, routed as a new lead.  A routed lead waits for a later shift's
start when routing chose that shift (``P_WAIT_WINDOW``); a kept one does not.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.inner import inner
from simsales.engines.fast.limits import route_new
from simsales.engines.fast.tables import CREATED, ENTRY_DUE, ENTRY_OWNER, EXPIRY, P_WAIT_WINDOW

__all__ = ["arrival", "arrive"]


@inner(error_model="numpy", _nrt=False)
def arrival(lf: np.ndarray, lead: int) -> float:
    """When ``lead`` arrives: its creation, or minute 0 for a lead from an open pipeline.

    Args:
        lf: the lead table (tables.CREATED ... EXPIRY).
        lead: the lead.

    Returns:
        Minutes from the start.
    """
    return lf[lead, CREATED] if np.isnan(lf[lead, ENTRY_DUE]) else 0.0


@inner(error_model="numpy", _nrt=False)
def arrive(lead: int, t: float, first_offset: float, counter: int, seed: np.uint64, routing: tuple,
           hn: np.ndarray, md: np.ndarray, mf: np.ndarray, lf: np.ndarray, params: np.ndarray,
           counters: np.ndarray) -> tuple[int, float]:
    """Who takes ``lead``, arriving at ``t``, and when its first task is due.

    Args:
        lead: the lead.
        t: its arrival (:func:`arrival`), minutes from the start.
        first_offset: the touch chain's first offset (minutes).
        counter: the number of the weighted policy's uniform for this lead.
        seed: the run's stream of uniforms.
        routing: ``(rf, ri, new_count, pick_w, pick_i)`` (limits.route_new).
        hn: the task lists' counts.
        md: the per-manager-day table.
        mf: the per-manager float table.
        lf: the lead table.
        params: the scalars (tables.P_*).
        counters: the loop's counters.

    Returns:
        ``(manager, due)``: a manager, M for the shared queue or -1 for
        nobody; the first task's due time (minutes from the start).
    """
    entry_due = lf[lead, ENTRY_DUE]
    owner = int(lf[lead, ENTRY_OWNER])
    if owner >= 0:
        return owner, entry_due
    to, at = route_new(t, counter, seed, routing, hn, md, mf, params, counters, lf[lead, EXPIRY])
    due = lf[lead, CREATED] + first_offset if np.isnan(entry_due) else entry_due
    if params[P_WAIT_WINDOW] > 0.5:
        due = max(due, at)  # a lead routed to a later shift is due at its start
    return to, due
