"""The counted period of a replication played with a warm-up (MODEL.md section 1).

The engines play the warm-up and the horizon as one world
(:mod:`simsales.world.warmup`); the metrics count the horizon alone.
:func:`counted` gives them the replication in the horizon's frame (minute 0
is 00:00 of ``start``): what is counted how is decided here, once.

- **Leads** (leads, contact rate, SLA, funnel stages, losses, untouched
  leads, attempts): the leads created from ``start`` on, each followed to
  the horizon's end.  A lead of the warm-up is not a lead of the horizon,
  nor is a lead of an open pipeline taken from a CRM export
  (:mod:`simsales.world.pipeline`: created before ``start``; the world is
  played from ``start`` and its ``horizon`` is itself, so the same rule
  applies with the origin at minute 0).
- **Money and deals** (offers, total invoices, bank approvals, won,
  revenue, refunds): by the date each happens inside the horizon, whenever
  its lead was created: the pipeline in work on ``start`` pays in the
  horizon.  Offers count when made, so ``offers`` counts those made in the
  horizon, of any lead; a pipeline's deal already past its offer at
  ``start`` (``lead`` -1) counts its later steps (total invoices, payments).
- **The team** (payroll, hires, leavers, headcount, team metrics, monthly
  series): the horizon's days.
- **Managers' time** (utilisation, talk, dial, CRM and idle shares,
  overtime): the minutes from ``start`` on.  The engines split each call's
  minutes from the origin on (:func:`simsales.engines.workday.split_work`:
  a call begun in the warm-up counts its part after midnight of ``start``),
  and shift time is counted from there too.  Attempts per manager hour:
  the attempts made in the horizon, by when they were made and of any lead
  (the engines' per-manager ``attempts_made``), over the horizon's shift
  hours; the count ``attempts`` is the horizon's leads' (a count of leads'
  work, as ``contacts``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from simsales.engines.contract import Outcomes
from simsales.world.arrivals import Leads
from simsales.world.deals import Deals
from simsales.world.world import World

__all__ = ["Counted", "counted"]

_PER_LEAD = ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", "handovers",
             "closing_due", "closing_time", "closer")
_LEAD_TIMES = ("first_attempt", "contact", "offer_time", "closing_due", "closing_time")
_DEAL_TIMES = ("counted_at", "approved_at", "paid_at", "refund_at", "lost_at")


@dataclass(frozen=True)
class Counted:
    """One replication of one plan in the horizon's frame (minute 0 is 00:00 of ``start``).

    Attributes:
        world: the horizon's scenario and roster, and the leads created in it.
        out: the engine's outcomes of those leads (per manager: ``fired`` in
            this frame; the minutes as played, see the module docstring).
        deals: every offer, of any lead, its times in this frame (negative:
            in the warm-up); ``lead`` is the index among the horizon's leads
            (-1: a lead of the warm-up).
        offer_at: per deal, the minute of its offer in this frame.
        played: the world as played (the warm-up's days first).
        played_out: the engine's outcomes as played.
    """

    world: World
    out: Outcomes
    deals: Deals
    offer_at: np.ndarray
    played: World
    played_out: Outcomes


def counted(world: World, out: Outcomes, deals: Deals) -> Counted:
    """The replication's horizon (see the module docstring); the inputs themselves without a warm-up.

    Args:
        world: the world as played.
        out: what the engine decided.
        deals: the plan's deals after the offers.

    Returns:
        The counted period.
    """
    if world.horizon is None:
        offer_at = out.offer_time[deals.lead] if len(deals.lead) else np.zeros(0)
        return Counted(world, out, deals, offer_at, world, out)
    origin = world.origin_minutes
    leads = world.leads
    first = int(np.searchsorted(leads.created, origin, side="left"))  # leads are sorted by creation
    view = Leads(created=leads.created[first:] - origin, channel=leads.channel[first:],
                 target=leads.target[first:],
                 reachable=None if leads.reachable is None else leads.reachable[first:])
    per_lead = {k: getattr(out, k)[first:] for k in _PER_LEAD}
    per_lead.update({k: per_lead[k] - origin for k in _LEAD_TIMES})
    view_out = dataclasses.replace(out, **per_lead, fired=out.fired - origin)
    view_deals = dataclasses.replace(deals, lead=np.where(deals.lead >= first, deals.lead - first, -1),
                                     **{k: getattr(deals, k) - origin for k in _DEAL_TIMES})
    # A deal of the open pipeline (lead -1) was offered before start: no offer of the horizon.
    offer_at = np.where(deals.lead >= 0, out.offer_time[np.maximum(deals.lead, 0)], np.nan) - origin
    horizon = world.horizon
    return Counted(World(horizon.scenario, view, horizon.roster), view_out, view_deals, offer_at, world, out)
