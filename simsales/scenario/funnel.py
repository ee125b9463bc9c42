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
    """A funnel transition: probability ``p``, client delay (days) and manager call (minutes)."""

    p: UProb
    delay_days: DistDays = Field(default_factory=lambda: Fixed(0.0))
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


class Funnel(Strict):
    """The stages after contact (MODEL.md section 5).

    ``qualify`` is scaled by the channel's quality; ``offer`` (presentation
    call, then invoice or installment link) by the manager's skill, ramp and
    coaching factor, so that lead-to-payment conversion moves linearly with
    each of them.
    """

    qualify: UProb
    offer: Step
    installment_share: UProb = 0.5
    invoice_paid: Step
    link_filled: Step
    bank_approved: Step
    refunds: Refunds = Refunds()
    price: Price
