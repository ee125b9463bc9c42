"""The funnel after contact and the price (MODEL.md sections 5 and 7).

Client delays are in days, manager calls in minutes, money in the
scenario's currency.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from simsales.scenario.base import Strict
from simsales.scenario.distributions import Fixed
from simsales.scenario.fields import Days, DistDays, DistMinutes, DistMoney, Number, UProb


class Step(Strict):
    """A client's own step (invoice paid, link filled, bank approval): probability ``p``, delay (days).

    The client acts alone: no manager's call, so no ``call_minutes`` (a key
    the engines would ignore is refused instead).
    """

    p: UProb
    delay_days: DistDays = Field(default_factory=lambda: Fixed(0.0))


class OfferStep(Step):
    """The presentation: the chance ``p`` of an offer, the delay (days) to its call, its length (minutes)."""

    call_minutes: DistMinutes = Field(default_factory=lambda: Fixed(0.0))


class Refunds(Strict):
    """Paid deals refunded: ``share`` of them, within ``window_days`` days of payment."""

    share: UProb = 0.0
    window_days: Days = 14.0


class Price(Strict):
    """The average check per deal (in the scenario's currency) and what a price change does.

    ``change`` moves the check (0.1 = +10%); ``elasticity`` moves the
    offer probability as ``(1 + change) ** elasticity``.
    """

    check: DistMoney
    change: Number = Field(0.0, gt=-1)
    elasticity: Number = 0.0
    bank_commission: UProb = Field(0.0, description="share the bank keeps on installments")

    @model_validator(mode="after")
    def _finite_factor(self) -> Price:
        try:
            with_change = (1.0 + self.change) ** self.elasticity
        except OverflowError:
            with_change = math.inf
        if not math.isfinite(with_change):
            raise ValueError(f"a price change of {self.change:g} with elasticity {self.elasticity:g} moves "
                             f"the offer chance by a factor of {with_change:g}; expected a finite factor")
        return self


class Cooling(Strict):
    """Qualified clients cool down while they wait for the presentation (MODEL.md section 5).

    The offer chance at the presentation is multiplied by
    ``max(floor, 0.5 ** (wait / half_life_days))``, ``wait`` being the days
    from the end of the contact call to the start of the presentation: the
    contact decay's form (:func:`simsales.world.contact.decay`).
    ``half_life_days: null`` (the default) switches it off.
    """

    half_life_days: Days | None = Field(None, description="days in which the offer chance halves")
    floor: Number = Field(0.0, ge=0, le=1, description="the factor never falls below it")

    @model_validator(mode="after")
    def _positive(self) -> Cooling:
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ValueError(f"expected half_life_days > 0 (or null: no cooling), got "
                             f"{self.half_life_days:g}")
        return self


class Closing(Strict):
    """Closing calls ("dozhim", MODEL.md section 5): a share of offers needs a call before payment.

    At an offer, a ``share`` of the leads get a closing call booked with their
    owner, due ``delay_days`` after the offer; it takes the owner's time
    (``call_minutes`` over talk share and ramp, then the CRM minutes of a
    contact) and comes up as ``booked`` work.  A closing call not started
    within ``within_days`` of the offer is dropped, as is one not made by
    the horizon: that deal is not paid.  The payment of a deal with a
    closing call comes no earlier than the call's end, and the close weight
    acts with the factor of the manager who made the call, on its day.
    """

    share: Number = Field(0.0, ge=0, le=1, description="share of offers that need a closing call")
    delay_days: DistDays = Field(default_factory=lambda: Fixed(1.0),
                                 description="days from the offer to when the closing call is due")
    call_minutes: DistMinutes = Field(default_factory=lambda: Fixed(10.0),
                                      description="length of the closing call")
    within_days: Days = Field(7.0, description="a closing call not started this many days after the "
                                               "offer is dropped (the deal is not paid)")


class Funnel(Strict):
    """The stages after contact (MODEL.md section 5).

    ``qualify`` is scaled by the channel's quality; ``offer`` (presentation
    call, then invoice or installment link) by the manager's skill, ramp and
    coaching factor, so that lead-to-payment conversion moves linearly with
    each of them.  ``cooling`` lowers the offer chance with the wait for the
    presentation; past ``presentation_within_days`` the presentation is not
    held and the lead is lost after qualification ("no presentation").
    """

    qualify: UProb
    offer: OfferStep
    cooling: Cooling = Cooling()
    closing: Closing = Closing()
    presentation_within_days: Days | None = Field(
        None, description="a presentation not started this many days after the contact call ends is "
                          "lost (null: no limit)")
    installment_share: UProb = 0.5
    invoice_paid: Step
    link_filled: Step
    bank_approved: Step
    refunds: Refunds = Refunds()
    price: Price
