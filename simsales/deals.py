"""Deals after the offer: invoices, installments, the bank, payment, refunds.

What happens after an invoice or installment link is up to the client and
the bank, not the manager's time, so it is drawn here, vectorised, for
both engines alike (MODEL.md sections 5 and 7).  Money arrives on the day
it is paid; deals that close after the horizon are the open pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.calendar import MINUTES_PER_DAY
from simsales.params import value
from simsales.scenario import Funnel, Step


@dataclass(frozen=True)
class Deals:
    """One row per offer, times in minutes from the start (NaN: never).

    ``installment``: the offer was an installment link (else an invoice).
    ``counted_at``: when it became a "total invoice" (invoice issued, or the
    link filled).  ``approved_at``: the bank's approval (installments).
    ``paid_at``: when the money arrived.  ``refund_at``: when it went back.
    ``check``: the deal's price; ``gross``: what we receive (the price less
    the bank's commission on installments).
    """

    lead: np.ndarray
    installment: np.ndarray
    counted_at: np.ndarray
    approved_at: np.ndarray
    paid_at: np.ndarray
    refund_at: np.ndarray
    check: np.ndarray
    gross: np.ndarray


def _step(step: Step, rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
    """Time the step completes, NaN where it fails or was not reached."""
    n = len(start)
    ok = rng.random(n) < value(step.p)
    delay = np.asarray(step.delay_days.sample(rng, n), dtype=float) * MINUTES_PER_DAY
    return np.where(ok & ~np.isnan(start), start + delay, np.nan)


def close_deals(funnel: Funnel, offer_time: np.ndarray, rng: np.random.Generator) -> Deals:
    """Draw what becomes of each offer; ``funnel`` must be resolved.

    Args:
        funnel: the resolved funnel section.
        offer_time: per lead, minutes when the offer was made (NaN: none).
        rng: this replication's stream for deals.

    Every lead draws the same numbers whether or not it got an offer, so
    under every plan the same lead meets the same client and bank (common
    random numbers), and a change in one share does not reshuffle the rest.
    """
    n = len(offer_time)
    installment = rng.random(n) < value(funnel.installment_share)
    paid_invoice = _step(funnel.invoice_paid, rng, offer_time)
    filled = _step(funnel.link_filled, rng, offer_time)
    approved = _step(funnel.bank_approved, rng, filled)
    price = funnel.price
    check = np.maximum(np.asarray(price.check.sample(rng, n), dtype=float), 0.0)
    check = check * (1.0 + price.change)
    refunded = rng.random(n) < value(funnel.refunds.share)
    refund_delay = rng.random(n) * funnel.refunds.window_days * MINUTES_PER_DAY
    paid = np.where(installment, approved, paid_invoice)
    gross = np.where(installment, check * (1.0 - value(price.bank_commission)), check)
    rows = np.flatnonzero(~np.isnan(offer_time))
    return Deals(
        lead=rows,
        installment=installment[rows],
        counted_at=np.where(installment, filled, offer_time)[rows],
        approved_at=np.where(installment, approved, np.nan)[rows],
        paid_at=paid[rows],
        refund_at=np.where(refunded, paid + refund_delay, np.nan)[rows],
        check=check[rows],
        gross=gross[rows],
    )
