"""A start from the pipeline open at ``start`` in a CRM export, not the warm-up (MODEL.md 1, 10).

:func:`simsales.crm.pipeline.open_at` reads what was open at 00:00 of
``start`` and at which stage; here each open lead enters the simulation by
its stage (one replication's draws come from its ``pipeline`` stream):

- ``assigned``, ``in_work``: the touch chain goes on at attempt ``k`` = the
  calls made before ``start``, due at ``max(start, created + offsets[k])``;
  the contact decay and ``lead_ttl`` use the lead's true age.  A chain past
  its last attempt (``k >= K``), or a lead older than ``lead_ttl``, is over
  in the model (lost: no contact, or expired) and is left out.
  Reachable or not is drawn given the attempts that failed: with ``b`` the
  channel's unreachable share and ``L`` the chance that a reachable lead's
  attempts (the k-th at its age then) all failed, ``(1 - b) L / (b + (1 -
  b) L)``; non-target among the reachable at the channel's share.
- ``contact`` (not ``qualified``): reached, qualification not decided yet.
  A lead the export marks non-target is left out (lost); the others
  qualify with ``min(1, qualify x channel quality)`` (the lead's own
  uniform, at ``start``, no manager factor), and a qualified one's
  presentation is due the offer delay after ``start``; the rest are left
  out (lost).
- ``qualified``: the presentation call is due at ``qualified + d``, ``d``
  drawn from the offer delay given it is longer than the wait so far (as
  for a client, below; none longer: due at ``start``, overdue).
- ``invoice``: a deal (no engine): paid or not, and when, given the wait
  since the invoice (below).
- ``link_sent``: a deal: filled or not given the wait since the link, then
  approved with ``bank_approved.p`` after the bank's delay, paid at approval.
- ``link_filled``: a deal: approved or not given the wait since the filling,
  paid then.
- ``bank_approved``: a deal paid at ``start`` (the model pays at approval).

**A client who has waited.**  A step begun ``a`` minutes before ``start``
and not done by then still succeeds with ``p R / (1 - p + p R)``, ``R =
S(a) ** w``: ``S`` the delay's survival (the clients who would have done it
by now are not among these) and ``w`` how much a wait counts against the
deal in this CRM, read from the export's past
(:func:`simsales.crm.outcomes.wait_weights`): 0 where failed deals are
closed lost as fast as the others succeed (a deal open after a wait is as
likely to succeed as a new one), 1 where they are never closed (the longer
the wait, the likelier a silent decline; also the rule with too little
past).  Its rest of the delay is ``d - a`` for ``d`` drawn
from the delay given ``d > a`` (:data:`CONDITIONAL_TRIES` tries; none
longer: at ``start``).  An exponential delay is memoryless, so its rest is
a fresh draw; a fixed one ends on time.  Steps a deal has passed are never
drawn again.  A deal's price is the export's ``price`` of the lead, else
drawn as the scenario's; refunds as for any deal.  A payment received
before ``start`` (its deal closed) and not refunded by then may still go
back in the rest of its refund window (:func:`_refunds_due`): a refund
in the horizon, its payment not counted again.

**Owners.**  The export's ``manager_id`` of a lead in the touch chain or
awaiting its presentation is kept if the staff table shows them employed on
``start``, matched onto the scenario's starting managers by
:func:`simsales.world.owners.owner_index` (within team leads, most alike
weeks, then tenure).  A lead whose owner is not matched is routed by the
policy at minute 0 as a new lead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simsales.crm.pipeline import OpenLeads, open_at
from simsales.crm.read import read_export
from simsales.scenario import Scenario
from simsales.scenario.uncertain import value
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.absence import with_absence
from simsales.world.arrivals import Entry, Leads
from simsales.world.contact import decay, decay_args
from simsales.world.deals import Deals
from simsales.world.owners import owner_index
from simsales.world.roster import Roster
from simsales.world.world import Horizon, World

__all__ = ["CONDITIONAL_TRIES", "PipelineStart", "joined_deals", "opened", "owner_index", "pipeline_world",
           "remember", "start_from"]

CONDITIONAL_TRIES = 64
"""Draws of the offer delay tried for one qualified lead (the first longer than its wait is used)."""


@dataclass(frozen=True)
class PipelineStart:
    """One replication's open pipeline, ready for the engines and the deals.

    Attributes:
        leads: the leads the engines play (created before minute 0, each
            with its :class:`~simsales.world.arrivals.Entry`, owners -1
            until :meth:`for_roster` maps them).
        lead_id: per such lead, its id in the export.
        export_owner: per such lead, its ``manager_id`` in the export ("" none).
        deals: the deals past the offer (``lead`` -1: not a lead of the horizon),
            then the payments before ``start`` refunded after it (``paid_at`` < 0).
        open_leads: the open leads taken from the export (those the engines
            play, the deals, and the leads left out as the model would have closed them).
        staff: the export's managers employed at ``start``.
    """

    leads: Leads
    lead_id: np.ndarray
    export_owner: np.ndarray
    deals: Deals
    open_leads: int
    staff: pd.DataFrame

    def joined(self, new: Leads) -> Leads:
        """The pipeline's leads followed by the horizon's new ones (created from minute 0 on).

        Args:
            new: the horizon's leads.

        Returns:
            One lead stream, sorted by creation, the pipeline's entries first.
        """
        p = self.leads
        reach = None
        if p.reachable is not None or new.reachable is not None:
            reach = np.concatenate([p.reachable_mask(), new.reachable_mask()])
        return Leads(np.concatenate([p.created, new.created]), np.concatenate([p.channel, new.channel]),
                     np.concatenate([p.target, new.target]), reach, entry=p.entry)

    def for_roster(self, leads: Leads, roster: Roster, scenario: Scenario) -> Leads:
        """``leads`` (from :meth:`joined`) with the owners mapped onto a plan's roster.

        Args:
            leads: the replication's leads, the pipeline's first.
            roster: the plan's roster.
            scenario: the resolved scenario (its team leads' names).

        Returns:
            The same leads, each entry's owner a manager of the roster or -1.
        """
        if leads.entry is None or not len(leads.entry):
            return leads
        index = owner_index(self.staff, roster, scenario)
        owner = np.array([index.get(m, -1) for m in self.export_owner], dtype=np.int64)
        if np.array_equal(owner, leads.entry.owner):
            return leads  # the same owners: keep the object (the fast engine's cache holds to it)
        return dataclasses.replace(leads, entry=dataclasses.replace(leads.entry, owner=owner))


_OPENED: dict[tuple, OpenLeads] = {}
"""Open pipelines read, by (folder, preset, mapping, start): each process reads an export once."""


def opened(scenario: Scenario) -> OpenLeads | None:
    """The pipeline the scenario starts from (``pipeline:``), read once per process; None without one.

    Args:
        scenario: the scenario (its ``pipeline`` source and ``start``).

    Returns:
        The leads open at ``start``, or None; its notes begin with the reader's
        (:attr:`simsales.crm.export.Export.notes`: rows left out, ids not in staff ...).

    Raises:
        CrmError: the folder is not an export (the reader's error), or
            ``start`` is after its data (:class:`~simsales.crm.pipeline.PipelineError`).
    """
    source = scenario.pipeline
    if source is None:
        return None
    key = (source.dir, source.preset, source.mapping, scenario.start)
    if key not in _OPENED:
        export = read_export(Path(source.dir), preset=source.preset,
                             mapping=None if source.mapping is None else Path(source.mapping))
        if len(_OPENED) > 8:
            _OPENED.clear()
        open_leads = open_at(export, scenario.start)
        # What the reader left out or assumed (rows naming a lead not in the leads table ...) is said too.
        _OPENED[key] = dataclasses.replace(open_leads, notes=[*export.notes, *open_leads.notes])
    return _OPENED[key]


def remember(scenario: Scenario, open_leads: OpenLeads) -> None:
    """Use ``open_leads`` for the scenario's pipeline source (an export already in memory)."""
    source = scenario.pipeline
    _OPENED[(source.dir, source.preset, source.mapping, scenario.start)] = open_leads


def start_from(resolved: Scenario, open_leads: OpenLeads, rng: np.random.Generator) -> PipelineStart:
    """How each open lead enters one replication (the table in the module docstring).

    Args:
        resolved: the resolved scenario.
        open_leads: the leads open at ``start`` (:func:`simsales.crm.pipeline.open_at`).
        rng: the replication's ``pipeline`` stream.

    Returns:
        The leads the engines play and the deals past the offer.
    """
    o, n = open_leads, len(open_leads)
    chain, funnel = resolved.touch_chain, resolved.funnel
    names = {c.name: i for i, c in enumerate(resolved.channels)}
    ch = np.array([names.get(c, 0) for c in o.channel], dtype=np.int64)
    # Every draw is made for every open lead, in this order, whatever its stage (stable streams).
    u_target, u_qualify = rng.random(n), rng.random(n)
    entered = {name: np.nan_to_num(-o.entered[name], nan=0.0) for name in o.entered}  # minutes waited
    fresh_qualified = o.at("contact")
    present = _later(funnel.offer.delay_days, np.where(fresh_qualified, 0.0, entered["qualified"]), rng)
    weight = {s: o.wait_weight.get(s, np.nan) for s in ("invoice", "link_sent", "link_filled")}
    invoice = _step_after(funnel.invoice_paid, entered["invoice"], weight["invoice"], rng)
    filling = _step_after(funnel.link_filled, entered["link_sent"], weight["link_sent"], rng)
    bank = _step_after(funnel.bank_approved, np.where(o.at("link_filled"), entered["link_filled"], 0.0),
                       weight["link_filled"], rng)
    raw_check = np.maximum(np.asarray(funnel.price.check.sample(rng, n), dtype=float).reshape(n), 0.0)
    u_refund, refund_after = rng.random(n), rng.random(n) * funnel.refunds.window_days * MINUTES_PER_DAY

    # The touch chain: attempt k, unless the chain is over in the model.
    offsets = np.asarray(chain.offsets, dtype=float)
    k = o.attempts
    in_chain = o.at("assigned", "in_work") & (k < len(offsets)) & (o.created + chain.lead_ttl >= 0)
    chain_due = np.maximum(0.0, o.created + offsets[np.minimum(k, len(offsets) - 1)])
    broken = np.array([value(c.unreachable_share) for c in resolved.channels])[ch]
    bad = np.minimum(np.array([value(c.nontarget_share) for c in resolved.channels])[ch], 1.0 - broken)
    # Reachable given the attempts that failed: (1 - b) L / (b + (1 - b) L), L = P(all fail | reachable).
    fails = _all_fail(resolved, o, ch)
    works = (1.0 - broken) * fails / np.maximum(broken + (1.0 - broken) * fails, 1e-300)
    reachable = ~in_chain | (u_target >= 1.0 - works)
    share = np.divide(bad, 1.0 - broken, out=np.ones(n), where=broken < 1.0)  # non-target among the reachable
    target = ~in_chain | (u_target >= 1.0 - works + works * share)
    # Reached, qualification undecided: decided now.
    quality = np.array([value(c.quality) for c in resolved.channels])[ch]
    fresh = o.at("contact") & ~o.nontarget & (u_qualify < np.minimum(1.0, value(funnel.qualify) * quality))
    # Qualified: the presentation is due the offer delay after qualification, given it is not over yet.
    present_due = present[1]
    presenting = fresh | o.at("qualified")

    play = np.flatnonzero(in_chain | presenting)  # sorted by creation, as open_at gives them
    entry = Entry(np.where(presenting[play], -1, k[play]).astype(np.int64),
                  np.where(presenting[play], present_due[play], chain_due[play]),
                  np.full(play.size, -1, np.int64))
    leads = Leads(o.created[play], ch[play], target[play],
                  None if reachable[play].all() else reachable[play], entry=entry)
    deals = joined_deals(_deals(resolved, o, ch, (invoice, filling, bank), raw_check, u_refund, refund_after),
                         _refunds_due(resolved, o, rng))
    return PipelineStart(leads, o.lead_id[play], o.manager_id[play], deals, n, o.staff)


def _all_fail(resolved: Scenario, o: OpenLeads, ch: np.ndarray) -> np.ndarray:
    """Per open lead, the chance that a reachable lead's attempts before ``start`` all failed.

    The product over its calls (the k-th at its age then) of ``1 - min(1,
    p_contact[k] x contact_factor) x decay(age)``; 1 for a lead not called.
    """
    chain = resolved.touch_chain
    factor = np.array([value(c.contact_factor) for c in resolved.channels])[ch]
    first = np.searchsorted(o.call_lead, o.call_lead, side="left")
    k = np.minimum(np.arange(o.call_lead.size) - first, len(chain.offsets) - 1)  # the k-th call of its lead
    p = np.array([value(chain.contact_chance(j)) for j in range(len(chain.offsets))])
    args = decay_args(chain.decay)
    reach = np.minimum(1.0, p[k] * factor[o.call_lead]) * np.array([decay(a, *args) for a in o.call_age])
    fails = np.ones(len(o))
    np.multiply.at(fails, o.call_lead, 1.0 - reach)
    return fails


SURVIVAL_SAMPLE = 4096
"""Draws of a delay from which its survival ``P(delay > waited)`` is read."""


def _later(delay_days: object, waited: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Clients who have waited ``waited`` minutes for a step: its survival, and the rest of their delay.

    The rest is ``d - waited`` for the first of :data:`CONDITIONAL_TRIES`
    draws ``d`` of the delay longer than the wait (0 if none is: overdue,
    at ``start``); the survival ``P(d > waited)`` is read from
    :data:`SURVIVAL_SAMPLE` draws.

    Args:
        delay_days: the step's delay distribution (days).
        waited: per client, minutes already waited (0: the step begins at ``start``).
        rng: the replication's pipeline stream.

    Returns:
        ``(survival, rest)``: per client, a share and minutes from ``start``.
    """
    n = waited.size
    draws = np.asarray(delay_days.sample(rng, n * CONDITIONAL_TRIES), dtype=float)
    draws = draws.reshape(n, CONDITIONAL_TRIES) * MINUTES_PER_DAY
    reference = np.sort(np.asarray(delay_days.sample(rng, SURVIVAL_SAMPLE), dtype=float) * MINUTES_PER_DAY)
    longer = draws > waited[:, None]
    rest = np.where(longer.any(axis=1), draws[np.arange(n), np.argmax(longer, axis=1)] - waited, 0.0)
    survival = 1.0 - np.searchsorted(reference, waited, side="right") / SURVIVAL_SAMPLE
    return survival, rest


def _step_after(step: object, waited: np.ndarray, weight: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Whether a client step not done after ``waited`` minutes still succeeds, and when (minutes from start).

    The chance given the wait: ``p R / (1 - p + p R)`` with ``R = S ** w``,
    ``S`` the delay's survival at the wait and ``w`` the weight of a wait
    the export's past gives the step (:mod:`simsales.crm.outcomes`; NaN: 1,
    as if no failed deal were ever closed); ``p`` itself for a step that
    begins at ``start``.
    """
    u = rng.random(waited.size)
    survival, rest = _later(step.delay_days, waited, rng)
    p = value(step.p)
    r = survival ** (1.0 if np.isnan(weight) else weight)
    still = p * r / np.maximum(1.0 - p + p * r, 1e-300)
    return u < still, rest


def _deals(resolved: Scenario, o: OpenLeads, ch: np.ndarray, steps: tuple, raw_check: np.ndarray,
           u_refund: np.ndarray, refund_after: np.ndarray) -> Deals:
    """The deals past the offer: the client's path from the stage each is at (module docstring)."""
    funnel = resolved.funnel
    rows = np.flatnonzero(o.at("invoice", "link_sent", "link_filled", "bank_approved"))
    inst = o.at("link_sent", "link_filled", "bank_approved")[rows]
    e = {s: v[rows] for s, v in o.entered.items()}
    (inv_ok, inv_d), (fill_ok, fill_d), (bank_ok, bank_d) = ((ok[rows], d[rows]) for ok, d in steps)
    stage = o.stage[rows]
    filled = np.where(stage == "link_sent", np.where(fill_ok, fill_d, np.nan), e["link_filled"])
    from_fill = np.where(stage == "link_sent", filled, 0.0)  # the bank's delay runs from the filling or now
    approved = np.where(stage == "bank_approved", e["bank_approved"],
                        np.where(bank_ok & ~np.isnan(filled), from_fill + bank_d, np.nan))
    paid = np.where(inst, np.where(stage == "bank_approved", 0.0, approved), np.where(inv_ok, inv_d, np.nan))
    factor = np.array([value(c.check_factor) for c in resolved.channels])[ch[rows]]
    drawn = raw_check[rows] * (1.0 + funnel.price.change) * factor
    given = o.price[rows]
    check = np.where(np.isfinite(given) & (given > 0), given, drawn)
    gross = np.where(inst, check * (1.0 - value(funnel.price.bank_commission)), check)
    refunded = u_refund[rows] < value(funnel.refunds.share)
    failed = np.where(inst, np.where(np.isnan(filled), fill_d, from_fill + bank_d), inv_d)  # the failed step
    return Deals(lead=np.full(rows.size, -1, np.int64), installment=inst,
                 counted_at=np.where(inst, filled, e["invoice"]),
                 approved_at=np.where(inst, approved, np.nan), paid_at=paid,
                 refund_at=np.where(refunded, paid + refund_after[rows], np.nan), check=check, gross=gross,
                 lost_at=np.where(np.isnan(paid), failed, np.nan))


def _refunds_due(resolved: Scenario, o: OpenLeads, rng: np.random.Generator) -> Deals:
    """The payments received before ``start`` that go back after it, as deals refunded in the horizon.

    A payment ``a`` minutes old, not refunded by ``start``, goes back with ``s (1 - a / W) / (1 - s a /
    W)`` (``s`` the refund share, ``W`` its window: the clients who would have asked by now are not among
    these), at a uniform time in the rest of the window; the whole amount received, as for any deal.
    Its payment, before ``start``, is not counted again.
    """
    refunds = resolved.funnel.refunds
    window, share = refunds.window_days * MINUTES_PER_DAY, value(refunds.share)
    u, later = rng.random(o.paid_before.size), rng.random(o.paid_before.size)
    left = np.clip(1.0 + o.paid_before / window, 0.0, 1.0) if window > 0 else np.zeros(o.paid_before.size)
    back = u < share * left / np.maximum(1.0 - share * (1.0 - left), 1e-300)
    n, none = int(back.sum()), np.full(int(back.sum()), np.nan)
    return Deals(lead=np.full(n, -1, np.int64), installment=np.zeros(n, bool), counted_at=none,
                 approved_at=none, paid_at=o.paid_before[back], refund_at=(later * left * window)[back],
                 check=o.paid_amount[back], gross=o.paid_amount[back], lost_at=none)


def pipeline_world(resolved: Scenario, leads: Leads, roster: Roster, pipeline: PipelineStart,
                   absence_key: int) -> World:
    """The world one plan plays from an open pipeline: no warm-up, the pipeline's leads first.

    Its ``horizon`` is its own scenario and roster (minute 0 is ``start``),
    so :mod:`simsales.montecarlo.counted` leaves the pipeline's leads out of
    the horizon's leads by the warm-up's rule (created before ``start``).

    Args:
        resolved: the resolved scenario.
        leads: the replication's leads (:meth:`PipelineStart.joined`).
        roster: the plan's roster, before days away.
        pipeline: the replication's open pipeline.
        absence_key: the replication's absence key (:mod:`simsales.world.absence`).

    Returns:
        The world, owners mapped onto this plan's roster.
    """
    team = with_absence(roster, resolved, absence_key)
    return World(resolved, pipeline.for_roster(leads, team, resolved), team, horizon=Horizon(resolved, team),
                 pipeline_leads=pipeline.open_leads)


def joined_deals(deals: Deals, more: Deals) -> Deals:
    """Two sets of deals as one (the engines' offers, then the pipeline's deals past the offer)."""
    return Deals(*(np.concatenate([getattr(deals, f.name), getattr(more, f.name)])
                   for f in dataclasses.fields(Deals)))
