"""The CRM tables of one simulated replication, from the reference engine's log and the deals.

:func:`build_export` turns what happened (minutes from the start) into the
tables of :mod:`simsales.crm.schema`, as a CRM would show them at the end
of the horizon.  When each stage is entered:

- ``assigned``: when the lead gets an owner: at creation (routing is
  immediate), or under ``shared_queue`` when a manager first takes it;
- ``in_work``: the first attempt; ``contact``: the start of the answered call;
- ``qualified``: the end of that call; ``invoice`` / ``link_sent``: the end
  of the presentation call (the offer), a call's end being when its
  manager is free again (its length over ``talk_share`` and the ramp
  throughput, then its CRM minutes, as in the engine); ``link_filled``,
  ``bank_approved``, ``won`` (the payment): the client's and bank's times
  (:mod:`simsales.world.deals`);
- ``lost``: the end of the last unanswered attempt (the chain ran out), the
  moment the chain was dropped at ``lead_ttl`` (or ``created + lead_ttl``
  if no manager came to it by the end), the end of the call that found the
  lead non-target or not qualified, the end of a presentation without an
  offer; and for an offer that does not pay, its client's own delay for
  the step that failed (the model draws a delay for every client: an
  invoice left unpaid is closed as lost when it would have been paid; the
  owner's factor on the payment applied as :func:`~simsales.world.deals.settle`
  applies it), or, for an offer whose needed closing call was never made,
  the closing call's time limit after the offer, or the client's last step
  if later (``no_closing``).

Only entries before the end of the horizon are written; a lead with no
``won`` or ``lost`` by then is ``open``.  ``calls`` is the telephony's log:
every contact attempt, then the lead's presentation call and its closing
call (answered calls after the contact call, ``kind`` ``call``), each
started before the horizon.  A call's ``duration_s`` is the telephony's:
the call's (or dial's) own minutes at the manager's ramp speed (its base
minutes over the ramp throughput), not the rest of the manager's time the
model adds to it (the call over ``talk_share``, then the event's CRM
minutes, ``team.crm_minutes``).  Timestamps are whole seconds (floored), in
UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.crm.export import Export
from simsales.crm.schema import STAGES
from simsales.engines.booked import presentation_limit
from simsales.engines.contract import (
    EXPIRED,
    LOST_NO_OFFER,
    LOST_NO_PRESENTATION,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    QUALIFIED,
    Outcomes,
)
from simsales.montecarlo.event_staff import ids, shifts_table, staff_table
from simsales.montecarlo.replication import close_factor
from simsales.world.deals import ClientDraws, Deals, payment_flags
from simsales.world.world import World

TIME_ZONE = "UTC"
"""The zone of the written timestamps: the scenario has none, so minute 0 is 00:00 UTC of ``start``."""

LOSS_REASONS: dict[str, str] = {
    "no_contact": "target or not, the chain of attempts ran out without contact (before qualification)",
    "expired": "the next attempt was not made within lead_ttl (before qualification)",
    "nontarget": "reached, non-target (spam, wrong person): could never buy",
    "not_qualified": "reached, target, not qualified (before qualification)",
    "no_offer": "qualified, the presentation ended without an invoice or link (after qualification)",
    "no_presentation": "qualified, the presentation was not held within funnel.presentation_within_days "
                       "(after qualification)",
    "invoice_unpaid": "the invoice was not paid (after qualification)",
    "link_not_filled": "the installment link was not filled (after qualification)",
    "bank_declined": "the bank declined the installment (after qualification)",
    "no_closing": "the offer needed a closing call (funnel.closing) not made within its time limit: closed "
                  "at the limit (after qualification)",
}
"""The ``loss_reason`` values a simulated export writes, and what each means."""


@dataclass(frozen=True)
class LogArrays:
    """The reference engine's log as arrays (minutes from the start).

    Attributes:
        call_lead, call_manager, call_start, call_minutes, call_talk, call_k, call_answered: per
            contact attempt: lead, manager, start, wall-clock minutes (the
            call over talk share and ramp, then its CRM minutes: the manager
            is busy that long), the telephony's minutes (the call or dial at
            the manager's ramp speed), its number in the chain (0-based),
            reached or not.
        present_lead, present_manager, present_start, present_minutes, present_talk, present_offer: per
            presentation call, likewise, and whether it ended in an offer.
        close_lead, close_manager, close_start, close_minutes, close_talk: per closing call, likewise.
        assigned_to: per lead, the manager it was routed to at creation (the
            shared queue's index under ``shared_queue``; -1 if nobody).
        expired: per lead, the minute its chain was dropped at ``lead_ttl`` (NaN if not).
    """

    call_lead: np.ndarray
    call_manager: np.ndarray
    call_start: np.ndarray
    call_minutes: np.ndarray
    call_talk: np.ndarray
    call_k: np.ndarray
    call_answered: np.ndarray
    present_lead: np.ndarray
    present_manager: np.ndarray
    present_start: np.ndarray
    present_minutes: np.ndarray
    present_talk: np.ndarray
    present_offer: np.ndarray
    close_lead: np.ndarray
    close_manager: np.ndarray
    close_start: np.ndarray
    close_minutes: np.ndarray
    close_talk: np.ndarray
    assigned_to: np.ndarray
    expired: np.ndarray


def timestamps(start: dt.date, minutes: np.ndarray) -> pd.DatetimeIndex:
    """Minutes from 00:00 of ``start`` as UTC timestamps, floored to whole seconds (NaN -> NaT).

    Args:
        start: the scenario's first day.
        minutes: minutes from the start.

    Returns:
        Timestamps in :data:`TIME_ZONE`.
    """
    minutes = np.asarray(minutes, dtype=float)
    seconds = np.floor(np.nan_to_num(minutes, nan=0.0) * 60.0).astype(np.int64)
    stamps = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    stamps = np.where(np.isnan(minutes), np.datetime64("NaT"), stamps).astype("datetime64[ns]")
    return pd.DatetimeIndex(stamps).tz_localize(TIME_ZONE)


def _per_lead(n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.full(n, np.nan)
    out[rows] = values
    return out


def stage_times(world: World, out: Outcomes, clients: ClientDraws, deals: Deals,
                log: LogArrays) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """When each lead entered each stage, and its loss reason (see the module docstring).

    Args:
        world: the replication's world under the plan.
        out: the reference engine's outcomes.
        clients: the replication's client draws.
        deals: the plan's deals.
        log: the parsed event log.

    Returns:
        (stage -> minutes per lead, NaN if never, before the horizon filter;
        loss reason per lead, ``""`` if none).
    """
    leads, n = world.leads, len(world.leads)
    sc = world.scenario
    m = world.roster.n_managers
    call_end = log.call_start + log.call_minutes
    answered = log.call_answered
    contact_end = _per_lead(n, log.call_lead[answered], call_end[answered])
    present_end = _per_lead(n, log.present_lead, log.present_start + log.present_minutes)
    last_call_end = np.full(n, -np.inf)
    np.maximum.at(last_call_end, log.call_lead, call_end)

    routed = (log.assigned_to >= 0) & (log.assigned_to < m)
    taken = np.fmin(out.first_attempt, log.expired)  # the shared queue: when a manager first takes it
    t: dict[str, np.ndarray] = {s: np.full(n, np.nan) for s in STAGES}
    t["assigned"] = np.where(routed, leads.created, np.where(log.assigned_to == m, taken, np.nan))
    t["in_work"] = out.first_attempt.copy()
    t["contact"] = out.contact.copy()
    end = out.end
    qualified = np.isin(end, QUALIFIED)
    t["qualified"] = np.where(qualified, contact_end, np.nan)

    rows, inst = deals.lead, deals.installment
    offer = out.offer_time[rows]
    t["invoice"][rows[~inst]] = offer[~inst]
    t["link_sent"][rows[inst]] = offer[inst]
    t["link_filled"][rows[inst]] = deals.counted_at[inst]
    t["bank_approved"][rows[inst]] = deals.approved_at[inst]
    t["won"][rows] = deals.paid_at

    lost = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)

    def lose(mask: np.ndarray, when: np.ndarray, why: str) -> None:
        lost[mask] = when[mask]
        reason[mask] = why

    lose(end == NO_CONTACT, last_call_end, "no_contact")
    dropped = np.where(np.isnan(log.expired), leads.created + sc.touch_chain.lead_ttl, log.expired)
    lose(end == EXPIRED, dropped, "expired")
    lose(end == LOST_NONTARGET, contact_end, "nontarget")
    lose(end == LOST_UNQUALIFIED, contact_end, "not_qualified")
    lose(end == LOST_NO_OFFER, present_end, "no_offer")
    within = presentation_limit(sc.funnel)  # lost when the presentation's time limit passed
    lose(end == LOST_NO_PRESENTATION, contact_end + within, "no_presentation")
    # Offers that do not pay: closed when the failed step would have completed, or a needed closing call
    # never made at its time limit (the deals' lost_at); the reason from the owner's factor on the payment
    # applied as the deals apply it.
    invoice_ok, filled_ok = payment_flags(sc.funnel, clients, rows, close_factor(world, out))
    steps_ok = np.where(inst, filled_ok & clients.approved_ok[rows], invoice_ok)
    fails = [
        (~inst & ~invoice_ok, "invoice_unpaid"),
        (inst & ~filled_ok, "link_not_filled"),
        (inst & filled_ok & ~clients.approved_ok[rows], "bank_declined"),
        (steps_ok & np.isnan(deals.paid_at), "no_closing"),
    ]
    for mask, why in fails:
        lost[rows[mask]] = deals.lost_at[mask]
        reason[rows[mask]] = why
    t["lost"] = lost
    return t, reason


def _stages_table(t: dict[str, np.ndarray], horizon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lead, stage index, minute) of every entry before the horizon, by lead, time and funnel order."""
    leads, stage, when = [], [], []
    for i, name in enumerate(STAGES):
        x = t[name]
        rows = np.flatnonzero(~np.isnan(x) & (x < horizon))
        leads.append(rows)
        stage.append(np.full(rows.size, i, dtype=np.int64))
        when.append(x[rows])
    lead, st, tm = np.concatenate(leads), np.concatenate(stage), np.concatenate(when)
    order = np.lexsort((st, tm, lead))
    return lead[order], st[order], tm[order]


def _calls(log: LogArrays, lead_ids: np.ndarray, manager_ids: np.ndarray, start: dt.date) -> pd.DataFrame:
    """The telephony's log: attempts, presentation and closing calls, by lead and start time."""
    lead = np.concatenate([log.call_lead, log.present_lead, log.close_lead])
    began = np.concatenate([log.call_start, log.present_start, log.close_start])
    order = np.lexsort((began, lead))
    return pd.DataFrame({
        "lead_id": lead_ids[lead[order]],
        "manager_id": manager_ids[np.concatenate([log.call_manager, log.present_manager,
                                                   log.close_manager])[order]],
        "started_at": timestamps(start, began[order]),
        "duration_s": np.concatenate([log.call_talk, log.present_talk, log.close_talk])[order] * 60.0,
        "answered": np.concatenate([log.call_answered, np.ones(log.present_lead.size + log.close_lead.size,
                                                               dtype=bool)])[order],
        "kind": np.full(order.size, "call", dtype=object),
    })


def build_export(world: World, out: Outcomes, clients: ClientDraws, deals: Deals, log: LogArrays,
                 *, id_prefix: str = "", note: str = "") -> Export:
    """The simulated CRM at the end of the horizon (see the module docstring).

    Args:
        world: the replication's world under the plan.
        out: the reference engine's outcomes.
        clients: the replication's client draws.
        deals: the plan's deals.
        log: the parsed event log.
        id_prefix: put before every lead and person id.
        note: what the export is (recorded in its notes).

    Returns:
        Leads, stages, calls, staff, payments and shifts, timestamps in UTC.
    """
    sc, leads, n = world.scenario, world.leads, len(world.leads)
    horizon = sc.horizon_minutes
    start = sc.start
    lead_ids = ids(f"{id_prefix}L", np.arange(n))
    manager_ids = ids(f"{id_prefix}M", np.arange(world.roster.n_managers))
    t, reason = stage_times(world, out, clients, deals, log)
    won = ~np.isnan(t["won"]) & (t["won"] < horizon)
    lost = ~np.isnan(t["lost"]) & (t["lost"] < horizon)
    status = np.where(won, "won", np.where(lost, "lost", "open")).astype(object)
    reached = ~np.isnan(out.contact) & (out.contact < horizon)
    price = np.full(n, np.nan)
    price[deals.lead] = deals.check
    owner = np.full(n, None, dtype=object)
    owner[out.manager >= 0] = manager_ids[out.manager[out.manager >= 0]]
    leads_df = pd.DataFrame({
        "lead_id": lead_ids,
        "created_at": timestamps(start, leads.created),
        "channel": np.array([c.name for c in sc.channels], dtype=object)[leads.channel],
        "manager_id": owner,
        "status": status,
        "loss_reason": np.where(lost, reason, None),
        "nontarget": pd.array(np.where(reached, ~leads.target, False), dtype="boolean"),
        "price": price,
    })
    leads_df.loc[~reached, "nontarget"] = pd.NA

    s_lead, s_stage, s_time = _stages_table(t, horizon)
    stages_df = pd.DataFrame({
        "lead_id": lead_ids[s_lead],
        "stage": np.array(STAGES, dtype=object)[s_stage],
        "entered_at": timestamps(start, s_time),
        "implied": np.zeros(s_lead.size, dtype=bool),  # every entry is simulated, none implied
    })

    calls_df = _calls(log, lead_ids, manager_ids, start)
    paid = ~np.isnan(deals.paid_at) & (deals.paid_at < horizon)
    refunded = paid & ~np.isnan(deals.refund_at) & (deals.refund_at < horizon)
    payments_df = pd.DataFrame({
        "lead_id": lead_ids[deals.lead[paid]],
        "paid_at": timestamps(start, deals.paid_at[paid]),
        "amount": deals.gross[paid],
        "kind": np.where(deals.installment[paid], "installment", "invoice").astype(object),
        "refunded_at": timestamps(start, np.where(refunded, deals.refund_at, np.nan)[paid]),
        "refund_amount": np.where(refunded, deals.gross, np.nan)[paid],
    }).sort_values(["paid_at", "lead_id"], kind="stable", ignore_index=True)

    return Export(leads=leads_df, stages=stages_df, calls=calls_df, staff=staff_table(world, out, id_prefix),
                  payments=payments_df, shifts=shifts_table(world, out, id_prefix), tz=TIME_ZONE, folder=None,
                  notes=[note] if note else [])
