"""Leads lost to a closed floor, not to the team's time (MODEL.md sections 1 and 4).

A lead whose ``lead_ttl`` runs out is lost for lack of managers' time only
if some manager was on shift while its attempt was due: then a manager with
a free minute would have called.  If no manager was on shift at any minute
from the moment its next attempt fell due to its expiry (holidays, a closed
Sunday, a night longer than the time to live), more managers on the same
shifts would not have reached it either: the calendar lost it.  The bottleneck
(:mod:`simsales.analysis.bottleneck`) keeps the two apart, because they call
for different levers: hires against a duty shift on closed days or a longer
``lead_ttl``.

The on-shift minutes are the shifts as worked (days away, hires let go and
standbys never brought in left out; :func:`simsales.montecarlo.metrics`'s
intervals), counted by :func:`simsales.world.shifts.working_minutes`.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.contract import EXPIRED, Outcomes
from simsales.world.shifts import working_minutes
from simsales.world.world import World

__all__ = ["expired_while_closed"]


def expired_while_closed(world: World, out: Outcomes,
                         intervals: tuple[np.ndarray, np.ndarray]) -> tuple[int, int]:
    """Leads whose time to live ran out while no manager was on shift: never attempted, and chains cut.

    A lead counts if it expired (``lead_ttl`` passed within the horizon,
    ``EXPIRED``) and no minute with a manager on shift lies between its
    next attempt's planned time (creation + the offset of the attempt after
    the last one made: the first offset for a lead never attempted) and its
    expiry.  An attempt is never due before its planned time (a late
    attempt pushes the next one later, never earlier), so a floor closed
    over this window was closed over the real one; a floor open in it may
    have been open only before a late attempt's real due time, and the lead
    then counts as lost for lack of time.

    Args:
        world: the counted period's world (minute 0 is 00:00 of ``start``).
        out: its outcomes.
        intervals: the on-shift minutes of the horizon
            (:func:`simsales.world.shifts.on_shift_union`'s form).

    Returns:
        ``(untouched_closed, chains_cut_closed)``: counts of leads, parts of
        ``untouched_leads`` and ``chains_cut``.
    """
    expired = np.flatnonzero(out.end == EXPIRED)
    if expired.size == 0:
        return 0, 0
    chain = world.scenario.touch_chain
    offsets = np.asarray(chain.offsets, dtype=float)
    attempts = out.attempts[expired]
    created = world.leads.created[expired]
    expiry = np.minimum(created + chain.lead_ttl, float(world.scenario.horizon_minutes))
    due = np.minimum(created + offsets[np.minimum(attempts, offsets.size - 1)], expiry)
    closed = working_minutes(intervals, expiry, ascending=True) - working_minutes(intervals, due) <= 0
    return int((closed & (attempts == 0)).sum()), int((closed & (attempts > 0)).sum())
