"""What an engine gives back, and the contract every engine keeps.

An engine plays the part of the model that depends on the managers' time:
routing, the touch chain, the qualification and presentation calls.  It
gets a :class:`~simsales.world.world.World` (a resolved scenario, the lead
stream and the roster) and returns :class:`Outcomes`, per lead and per
manager.  Everything else (the deals after an offer, money, metrics) is
computed from them by shared code, so the two engines can differ only where
the dynamics are.  What an engine may keep from one plan to the next of a
replication is a :class:`ReplicationCache` the replication owns: engines
keep no state of their own between calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.world.arrivals import Leads
from simsales.world.world import World

__all__ = [
    "AWAITING_PRESENTATION", "END_NAMES", "EXPIRED", "IN_CHAIN", "LOST_NONTARGET", "LOST_NO_OFFER",
    "LOST_NO_PRESENTATION", "LOST_UNQUALIFIED", "NO_CONTACT", "OFFER", "QUALIFIED", "Engine", "Outcomes",
    "ReplicationCache",
]

# How a lead's part in the engine ended (Outcomes.end).
IN_CHAIN = 0  # attempts still planned at the horizon
NO_CONTACT = 1  # the chain ran out without contact
EXPIRED = 2  # the next attempt was not made within lead_ttl (never touched or chain cut)
LOST_NONTARGET = 3  # contacted, non-target
LOST_UNQUALIFIED = 4  # contacted target, not qualified
AWAITING_PRESENTATION = 5  # qualified, presentation call not made by the horizon
LOST_NO_OFFER = 6  # presented, no invoice or link
OFFER = 7  # invoice issued or installment link sent at offer_time
LOST_NO_PRESENTATION = 8  # qualified, presentation not started within funnel.presentation_within_days

QUALIFIED = (AWAITING_PRESENTATION, LOST_NO_OFFER, OFFER, LOST_NO_PRESENTATION)
"""The end codes of a qualified lead."""

END_NAMES = (
    "in_chain", "no_contact", "expired", "lost_nontarget", "lost_unqualified",
    "awaiting_presentation", "lost_no_offer", "offer", "lost_no_presentation",
)
"""The name of each end code, by code."""


@dataclass
class Outcomes:
    """What the engine decided, in minutes from the start.

    Attributes:
        manager: per lead (N), the owner at the end (-1 if never assigned).
        attempts: per lead, contact attempts made.
        first_attempt: per lead, minute of the first attempt (NaN if none).
        contact: per lead, minute of the contact (NaN if none).
        end: per lead, how its part in the engine ended (``IN_CHAIN`` ... ``OFFER``).
        offer_time: per lead, minute of the invoice or installment link (NaN
            unless ``end == OFFER``).
        busy_minutes: per manager (M), wall-clock minutes spent on calls and
            dials within the horizon (the talk_share overhead and the CRM
            minutes per event included; overtime included).
        talk_minutes: per manager, minutes of contact, presentation and closing
            calls within their shifts (the call itself, at the manager's ramp speed).
        dial_minutes: per manager, minutes of unanswered attempts within their shifts.
        crm_minutes: per manager, CRM minutes within their shifts: the
            ``talk_share`` overhead on calls and the CRM minutes per event.
        overtime_minutes: per manager, minutes of work past the end of their
            shift (shifts that meet count as one), within the horizon.
        fired: per manager, the minute they were let go at the end of their
            probation (NaN if they were not; simsales.engines.probation).
        handovers: per lead, how many times it was handed over from an owner
            off shift to another manager (``routing.handover_after_hours``).
        closing_due: per lead, when its closing call was due (NaN: the offer
            needed none, or there was no offer; ``funnel.closing``).
        closing_time: per lead, the minute its closing call ended (NaN: none
            made: not needed, dropped, or not made by the horizon).
        closer: per lead, the manager who made the closing call (-1: none).
        attempts_made: per manager, contact attempts they made from the counted
            period's origin on (``World.origin_minutes``: none of a warm-up's),
            of any lead: a warm-up's lead called in the horizon counts, an
            attempt made in the warm-up does not (``attempts_per_manager_hour``).
    """

    manager: np.ndarray
    attempts: np.ndarray
    first_attempt: np.ndarray
    contact: np.ndarray
    end: np.ndarray
    offer_time: np.ndarray
    busy_minutes: np.ndarray
    talk_minutes: np.ndarray
    dial_minutes: np.ndarray
    crm_minutes: np.ndarray
    overtime_minutes: np.ndarray
    fired: np.ndarray
    handovers: np.ndarray
    closing_due: np.ndarray
    closing_time: np.ndarray
    closer: np.ndarray
    attempts_made: np.ndarray

    @classmethod
    def empty(cls, n_leads: int, n_managers: int) -> Outcomes:
        """Outcomes before anything happened: nobody assigned, nothing attempted.

        Args:
            n_leads: leads in the replication (N).
            n_managers: managers on the roster (M).

        Returns:
            Arrays of N (per lead) and M (per manager) entries.
        """
        return cls(
            manager=np.full(n_leads, -1, dtype=np.int64),
            attempts=np.zeros(n_leads, dtype=np.int64),
            first_attempt=np.full(n_leads, np.nan),
            contact=np.full(n_leads, np.nan),
            end=np.full(n_leads, IN_CHAIN, dtype=np.int64),
            offer_time=np.full(n_leads, np.nan),
            busy_minutes=np.zeros(n_managers),
            talk_minutes=np.zeros(n_managers),
            dial_minutes=np.zeros(n_managers),
            crm_minutes=np.zeros(n_managers),
            overtime_minutes=np.zeros(n_managers),
            fired=np.full(n_managers, np.nan),
            handovers=np.zeros(n_leads, dtype=np.int64),
            closing_due=np.full(n_leads, np.nan),
            closing_time=np.full(n_leads, np.nan),
            closer=np.full(n_leads, -1, dtype=np.int64),
            attempts_made=np.zeros(n_managers, dtype=np.int64),
        )

    def entered(self, leads: Leads) -> Outcomes:
        """Mark the leads that enter from an open pipeline qualified: their presentation is due.

        (A lead entering at attempt k is ``IN_CHAIN``, as every new lead.)

        Args:
            leads: the replication's leads (``leads.entry``: the pipeline's, if any).

        Returns:
            These outcomes, changed in place.
        """
        if leads.entry is not None:
            self.end[: leads.n_entries][leads.entry.attempt < 0] = AWAITING_PRESENTATION
        return self


@dataclass
class ReplicationCache:
    """What an engine keeps from one plan to the next within one replication.

    Every plan of a replication sees the same resolved scenario, the same
    leads and the same dynamics stream, so work that depends on them alone
    can be done for the first plan and reused for the others.  The
    replication owns the cache (:func:`simsales.montecarlo.replication.replicate`
    makes one and hands it to every plan's engine call); an engine called
    without one starts from nothing.  Nothing in it changes a number: it
    only saves time.

    Attributes:
        lead_draws: the fast engine's per-lead draws, with what they were
            drawn from (:class:`simsales.engines.fast.engine.LeadDraws`).
        task_room: the room per task list the fast engine's last plan needed
            (0: not known yet).
    """

    lead_draws: object | None = None
    task_room: int = 0


class Engine(Protocol):
    """An engine: ``simulate(world, rng, cache=None) -> Outcomes``."""

    def __call__(self, world: World, rng: np.random.Generator, *,
                 cache: ReplicationCache | None = None) -> Outcomes:
        """Run one replication of one plan.

        Args:
            world: the resolved scenario, its lead stream and the plan's roster.
            rng: this replication's stream for the dynamics.
            cache: what the replication's earlier plans left (None: start from nothing).

        Returns:
            What happened to every lead and manager.
        """
        ...
