"""Booked work in the reference engine: the presentation's wait, closing calls (MODEL.md section 5).

A qualified lead's presentation is booked when the contact call ends (its
CRM minutes included): from then on the client cools down.

* **Cooling** (``funnel.cooling``): the offer chance at the presentation is
  multiplied by :func:`simsales.world.contact.decay` of the wait from the
  booking to the start of the presentation call, with the cooling's
  half-life (days) and floor; no half-life, no cooling.
* **Time limit** (``funnel.presentation_within_days``): a presentation not
  started within the limit after the booking is not held; the lead is lost
  after qualification (``LOST_NO_PRESENTATION``).  As ``lead_ttl`` for
  attempts, this is decided when the task comes up (``wait > limit``), and
  at the horizon for the presentations still queued whose limit has passed
  (``booked + limit < horizon``).

* **Closing calls** (``funnel.closing``, "dozhim"): at an offer, with
  chance ``share`` (a uniform of the dynamics stream, drawn only when the
  share is above 0), the owner gets a booked call due ``delay_days`` after
  the offer.  It takes ``call_minutes`` over talk share and ramp, then the
  CRM minutes of a contact (``attempt`` + ``contact``), as any call.  One
  not started within ``within_days`` of the offer is dropped when it comes
  up; one not made by the horizon is not made.  Either way the deal is not
  paid.  ``Outcomes.closing_due``, ``closing_time`` (the end of the call)
  and ``closer`` record it; :func:`simsales.world.deals.settle` holds the
  payment until the call's end, and
  :func:`simsales.montecarlo.replication.close_factor` takes the closer's
  factor on the day the call ended.

The fast engine does the same arithmetic in ``fast/chain.py``.  Times are
minutes from the start.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import simpy

from simsales.engines.contract import AWAITING_PRESENTATION, LOST_NO_PRESENTATION
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.contact import DecayArgs, decay, half_life_args

__all__ = ["BookedRules", "closing_args", "cooling_args", "presentation_limit"]


def cooling_args(funnel: object) -> DecayArgs:
    """The arguments of :func:`~simsales.world.contact.decay` for ``funnel.cooling`` (minutes)."""
    cooling = funnel.cooling  # type: ignore[attr-defined]
    half_life = None if cooling.half_life_days is None else cooling.half_life_days * MINUTES_PER_DAY
    return half_life_args(half_life, cooling.floor)


def presentation_limit(funnel: object) -> float:
    """``funnel.presentation_within_days`` in minutes (inf: no limit)."""
    within = funnel.presentation_within_days  # type: ignore[attr-defined]
    return math.inf if within is None else float(within) * MINUTES_PER_DAY


def closing_args(funnel: object) -> tuple[float, float]:
    """``funnel.closing``'s share and time limit (minutes after the offer)."""
    closing = funnel.closing  # type: ignore[attr-defined]
    return float(closing.share), float(closing.within_days) * MINUTES_PER_DAY


class BookedRules:
    """The reference engine's booked-work state (mixed into ``des._Simulation``).

    It reads the simulation's ``sc``, ``leads``, ``out`` and ``horizon``, and
    keeps ``booked`` per lead: when its presentation was booked (NaN: not
    booked, or taken already).
    """

    def booked_rules(self) -> None:
        """Set the state (call once ``out`` exists)."""
        funnel = self.sc.funnel
        self.cooling = cooling_args(funnel)
        self.within = presentation_limit(funnel)
        self.booked = np.full(len(self.leads), np.nan)
        self.closing_share, self.closing_within = closing_args(funnel)

    def book(self, lead: int, now: float) -> None:
        """The lead's presentation is booked at ``now`` (the end of the contact call)."""
        self.booked[lead] = now

    def presentation_lost(self, lead: int, now: float) -> bool:
        """Whether a presentation coming up at ``now`` is past its limit (then the lead is lost)."""
        if now - self.booked[lead] > self.within:
            self.out.end[lead] = LOST_NO_PRESENTATION
            self.booked[lead] = np.nan
            return True
        return False

    def cooled(self, lead: int, now: float) -> float:
        """The cooling factor of a presentation starting at ``now``; the booking is used up."""
        factor = decay(now - self.booked[lead], *self.cooling)
        self.booked[lead] = np.nan
        return factor

    def close_booked(self) -> None:
        """At the horizon, presentations still queued past their limit are lost."""
        stale = (self.out.end == AWAITING_PRESENTATION) & (self.booked + self.within < self.horizon)
        self.out.end[stale] = LOST_NO_PRESENTATION

    def closing_needed(self) -> float | None:
        """At an offer made now: when its closing call is due, or None if it needs none."""
        if self.closing_share <= 0.0 or self.rng.random() >= self.closing_share:
            return None
        return self.env.now + float(self.sc.funnel.closing.delay_days.sample(self.rng)) * MINUTES_PER_DAY

    def closing_dropped(self, lead: int, now: float) -> bool:
        """Whether a closing call coming up at ``now`` is past its limit after the offer."""
        return now - self.out.offer_time[lead] > self.closing_within

    def closing_call(self, m: int, lead: int, shift_end: float) -> Generator[simpy.Event, object, None]:
        """Manager ``m`` makes the lead's closing call (``shift_end``: the end of their block)."""
        length = float(self.sc.funnel.closing.call_minutes.sample(self.rng))
        duration = self.account(m, shift_end, length, "talk", self.crm_attempt + self.crm_contact)
        self.record("close", lead, m)
        yield self.env.timeout(duration)
        self.out.closing_time[lead], self.out.closer[lead] = self.env.now, m
