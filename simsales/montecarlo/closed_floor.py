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

__all__ = ["chains_cut_closed", "untouched_closed"]


def _closed_until_expiry(world: World, due: np.ndarray,
                         intervals: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per lead, whether no manager is on shift in any minute from ``due`` to the lead's expiry.

    Args:
        world: the counted period's world (minute 0 is 00:00 of ``start``).
        due: per lead, when its next attempt fell due (minutes).
        intervals: the on-shift minutes (:func:`simsales.world.shifts.on_shift_union`'s form).

    Returns:
        ``(N,)`` booleans.
    """
    horizon = float(world.scenario.horizon_minutes)
    expiry = np.minimum(world.leads.created + world.scenario.touch_chain.lead_ttl, horizon)
    due = np.minimum(due, expiry)
    return working_minutes(intervals, expiry) - working_minutes(intervals, due) <= 0


def untouched_closed(world: World, out: Outcomes, intervals: tuple[np.ndarray, np.ndarray]) -> int:
    """Leads never attempted whose time to live ran out while no manager was on shift.

    Expired (``lead_ttl`` passed within the horizon) with no attempt, and no
    minute with a manager on shift from their first attempt's due time
    (creation + the first offset) to their expiry.

    Args:
        world: the counted period's world.
        out: its outcomes.
        intervals: the on-shift minutes of the horizon.

    Returns:
        A count of leads (part of ``untouched_leads``).
    """
    lost = (out.end == EXPIRED) & (out.attempts == 0)
    if not lost.any():
        return 0
    due = world.leads.created + world.scenario.touch_chain.offsets[0]
    return int((lost & _closed_until_expiry(world, due, intervals)).sum())


def chains_cut_closed(world: World, out: Outcomes, intervals: tuple[np.ndarray, np.ndarray]) -> int:
    """Leads whose chain was cut at ``lead_ttl`` while no manager was on shift.

    Expired after some attempts, and no minute with a manager on shift from
    the next attempt's planned time (creation + the offset of the attempt
    after the last one made) to the expiry.  An attempt is never due before
    its planned time (a late attempt pushes the next one later, never
    earlier), so a floor closed over this window was closed over the real
    one; a floor open in it may have been open only before a late attempt's
    real due time, and the lead is then counted as cut for lack of time.

    Args:
        world: the counted period's world.
        out: its outcomes.
        intervals: the on-shift minutes of the horizon.

    Returns:
        A count of leads (part of ``chains_cut``).
    """
    cut = (out.end == EXPIRED) & (out.attempts > 0)
    if not cut.any():
        return 0
    offsets = np.asarray(world.scenario.touch_chain.offsets, dtype=float)
    following = offsets[np.minimum(out.attempts, offsets.size - 1)]
    return int((cut & _closed_until_expiry(world, world.leads.created + following, intervals)).sum())
