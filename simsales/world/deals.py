"""Deals after the offer: invoices, installments, the bank, payment, refunds.

What happens after an invoice or installment link is up to the client and
the bank, not the manager's time, so it is drawn here, vectorised, for
both engines alike (MODEL.md sections 5 and 7).  Money arrives on the day
it is paid; deals that close after the horizon are the open pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from simsales.scenario import Channel, Funnel, Price, Step
from simsales.scenario.distributions import Normal
from simsales.scenario.uncertain import value
from simsales.world.calendar import MINUTES_PER_DAY


@dataclass(frozen=True)
class Deals:
    """One row per offer, times in minutes from the start (NaN: never).

    Attributes:
        lead: the offer's lead.
        installment: the offer was an installment link (else an invoice).
        counted_at: when it became a "total invoice" (invoice issued, or the
            link filled).
        approved_at: the bank's approval (installments).
        paid_at: when the money arrived.
        refund_at: when it went back.
        check: the deal's price (scenario's currency, RUB in the examples).
        gross: what we receive: the price less the bank's commission on
            installments (scenario's currency).
        lost_at: when an offer that never pays is lost (NaN: it pays): when
            its failed step would have completed (the client's or the bank's
            own delay), or for a needed closing call never made, the call's
            time limit after the offer, or the client's last step if later.
            An offer neither paid nor lost by the end of the horizon is open.
    """

    lead: np.ndarray
    installment: np.ndarray
    counted_at: np.ndarray
    approved_at: np.ndarray
    paid_at: np.ndarray
    refund_at: np.ndarray
    check: np.ndarray
    gross: np.ndarray
    lost_at: np.ndarray


@dataclass(frozen=True)
class ClientDraws:
    """What each lead's client and bank would do with an offer, drawn per lead.

    None of it depends on when (or whether) the offer is made, so one draw
    serves every plan of a replication: :func:`settle` applies it to a
    plan's offer times.  Prices come from :meth:`prices`.

    Attributes:
        installment: the client would take an installment link (else an invoice).
        invoice_ok: an invoice would be paid.
        invoice_delay: minutes from the invoice to the payment.
        filled_ok: an installment link would be filled.
        filled_delay: minutes from the link to its filling.
        approved_ok: the bank would approve the installment.
        approved_delay: minutes from the filling to the approval.
        check: the price per lead (None if drawn lazily, see ``check_uniform``).
        check_uniform: the uniform behind a normal price, turned into a price
            for offers only (None otherwise).
        refunded: the client would ask for a refund.
        refund_delay: minutes from the payment to the refund.
        check_factor: per lead, its channel's multiplier on the price (None: 1 for all).
        invoice_u: the uniforms behind ``invoice_ok`` (``invoice_ok = invoice_u < p``),
            kept so that the owner's factor can act on the chance (None: not kept).
        filled_u: likewise for ``filled_ok``.
        quantiles: what :meth:`prices` computed of a normal price, kept for the replication's next plans.
    """

    installment: np.ndarray
    invoice_ok: np.ndarray
    invoice_delay: np.ndarray
    filled_ok: np.ndarray
    filled_delay: np.ndarray
    approved_ok: np.ndarray
    approved_delay: np.ndarray
    check: np.ndarray | None
    check_uniform: np.ndarray | None
    refunded: np.ndarray
    refund_delay: np.ndarray
    check_factor: np.ndarray | None = None
    invoice_u: np.ndarray | None = None
    filled_u: np.ndarray | None = None
    quantiles: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def prices(self, price: Price, rows: np.ndarray) -> np.ndarray:
        """The deal price (check) of the leads ``rows``, price change included.

        Args:
            price: the resolved price section.
            rows: the leads (indices).

        Returns:
            The prices, scenario's currency, ``(len(rows),)``.
        """
        if self.check is not None:
            checks = self.check[rows]
        else:
            checks = _checks(price, self._normal_quantiles(price.check, rows))
        return checks if self.check_factor is None else checks * self.check_factor[rows]

    def _normal_quantiles(self, dist: Normal, rows: np.ndarray) -> np.ndarray:
        """``truncnorm.ppf`` of the rows' uniforms under ``dist``, each lead's computed once.

        Every plan of a replication offers to mostly the same leads, so the quantiles a plan computed
        are kept for the next (about 1.5 ms a plan on q3): a pure saving, the quantile of a uniform
        does not depend on the others computed with it (elementwise special functions).
        """
        memo = self.quantiles
        if memo.get("dist") is not dist:
            n = len(self.check_uniform)
            memo.update(dist=dist, values=np.empty(n), known=np.zeros(n, dtype=bool))
        new = rows[~memo["known"][rows]]
        if new.size:
            memo["values"][new] = stats.truncnorm.ppf(self.check_uniform[new], *_normal_args(dist))
            memo["known"][new] = True
        return memo["values"][rows]


def _normal_args(dist: Normal) -> tuple[float, float, float, float]:
    """``truncnorm`` arguments of a normal price.

    ``Normal.sample`` is ``truncnorm.ppf(rng.random(n), *these)`` (test_fast_engine checks it).
    """
    return (dist.lo - dist.mu) / dist.sd, (dist.hi - dist.mu) / dist.sd, dist.mu, dist.sd


def _checks(price: Price, raw: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(raw, dtype=float), 0.0) * (1.0 + price.change)


def _step_draws(step: Step, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether the step succeeds, its delay (minutes), and the uniform behind the first."""
    u = rng.random(n)
    delay = np.asarray(step.delay_days.sample(rng, n), dtype=float) * MINUTES_PER_DAY
    return u < value(step.p), delay, u


def _step(ok: np.ndarray, delay: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Time the step completes, NaN where it fails or was not reached."""
    return np.where(ok & ~np.isnan(start), start + delay, np.nan)


def draw_clients(funnel: Funnel, n: int, rng: np.random.Generator, *,
                 channels: Sequence[Channel] | None = None, lead_channel: np.ndarray | None = None
                 ) -> ClientDraws:
    """Draw the clients of ``n`` leads (see :func:`close_deals`).

    A channel may set its own ``installment_share`` (else the funnel's
    applies) and a ``check_factor`` on the price; the draws themselves do
    not change, so a channel without them leaves every number as it was.

    Args:
        funnel: the resolved funnel section.
        n: leads in the replication.
        rng: the replication's deals stream.
        channels: the resolved channels (None: the funnel's values for all).
        lead_channel: per lead, its channel's index (with ``channels``).

    Returns:
        Every lead's client and bank.
    """
    share: float | np.ndarray = value(funnel.installment_share)
    factor = None
    if channels is not None and lead_channel is not None:
        own = [c.installment_share for c in channels]
        if any(x is not None for x in own):
            share = np.array([share if x is None else value(x) for x in own])[lead_channel]
        factors = np.array([value(c.check_factor) for c in channels], dtype=float)
        if (factors != 1.0).any():
            factor = factors[lead_channel]
    installment = rng.random(n) < share
    invoice = _step_draws(funnel.invoice_paid, rng, n)
    filled = _step_draws(funnel.link_filled, rng, n)
    approved = _step_draws(funnel.bank_approved, rng, n)
    price = funnel.price
    if isinstance(price.check, Normal) and price.check.sd > 0:
        # The uniforms only: the (slow) normal quantiles are computed for offers alone.
        check, check_uniform = None, rng.random(n)
    else:
        check, check_uniform = _checks(price, price.check.sample(rng, n)), None
    refunded = rng.random(n) < value(funnel.refunds.share)
    refund_delay = rng.random(n) * funnel.refunds.window_days * MINUTES_PER_DAY
    return ClientDraws(installment, *invoice[:2], *filled[:2], *approved[:2], check, check_uniform,
                       refunded, refund_delay, factor, invoice[2], filled[2])


def payment_flags(funnel: Funnel, clients: ClientDraws, rows: np.ndarray,
                  close_factor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whether each offer's invoice would be paid and its link filled, the owner's factor applied.

    Args:
        funnel: the resolved funnel section.
        clients: the replication's client draws.
        rows: the offers' leads.
        close_factor: per lead, the owner's factor on the payment chance (None: none): the invoice
            is paid with ``min(1, invoice_paid.p * factor)``, the link filled with
            ``min(1, link_filled.p * factor)``, from the same uniforms.

    Returns:
        ``(invoice_ok, filled_ok)`` per row.
    """
    invoice_ok, filled_ok = clients.invoice_ok[rows], clients.filled_ok[rows]
    if close_factor is not None and clients.invoice_u is not None and clients.filled_u is not None:
        f = close_factor[rows]
        invoice_ok = clients.invoice_u[rows] < np.minimum(1.0, value(funnel.invoice_paid.p) * f)
        filled_ok = clients.filled_u[rows] < np.minimum(1.0, value(funnel.link_filled.p) * f)
    return invoice_ok, filled_ok


def settle(funnel: Funnel, clients: ClientDraws, offer_time: np.ndarray,
           close_factor: np.ndarray | None = None, closing_due: np.ndarray | None = None,
           closing_time: np.ndarray | None = None) -> Deals:
    """The deals of one plan: the clients' draws applied to its offer times.

    Args:
        funnel: the resolved funnel section.
        clients: the replication's client draws.
        offer_time: per lead, minutes when the offer was made (NaN: none).
        close_factor: per lead, the owner's factor on the payment chance
            (``team.skill_weights.close``): the invoice is paid with
            ``min(1, invoice_paid.p * factor)``, the link filled with
            ``min(1, link_filled.p * factor)``, from the same uniforms.
            None: no factor (the draws as they are).
        closing_due: per lead, when a closing call was due (NaN: none needed;
            ``funnel.closing``); None: no closing calls.
        closing_time: per lead, when the closing call ended (NaN: not made).
            A deal that needed one is paid no earlier than its end, and not
            at all if it was not made.

    Returns:
        One row per offer.
    """
    rows = np.flatnonzero(~np.isnan(offer_time))  # only offers matter: work on their rows
    offer = offer_time[rows]
    invoice_ok, filled_ok = payment_flags(funnel, clients, rows, close_factor)
    paid_invoice = _step(invoice_ok, clients.invoice_delay[rows], offer)
    filled = _step(filled_ok, clients.filled_delay[rows], offer)
    approved = _step(clients.approved_ok[rows], clients.approved_delay[rows], filled)
    installment, check = clients.installment[rows], clients.prices(funnel.price, rows)
    paid = np.where(installment, approved, paid_invoice)
    if closing_due is not None and closing_time is not None:
        needs = ~np.isnan(closing_due[rows])
        paid = np.where(needs, np.maximum(paid, closing_time[rows]), paid)  # NaN if not made
    gross = np.where(installment, check * (1.0 - value(funnel.price.bank_commission)), check)
    # An offer that does not pay is lost when the failed step would have completed; one whose steps all
    # succeed but whose closing call was not made, at the call's limit (or the client's last step if later).
    filled_any = offer + clients.filled_delay[rows]
    invoice_due = offer + clients.invoice_delay[rows]
    failed = np.where(installment, np.where(filled_ok, filled_any + clients.approved_delay[rows], filled_any),
                      invoice_due)
    steps_ok = np.where(installment, filled_ok & clients.approved_ok[rows], invoice_ok)
    limit = offer + funnel.closing.within_days * MINUTES_PER_DAY
    failed = np.where(steps_ok, np.fmax(limit, np.where(installment, approved, invoice_due)), failed)
    return Deals(
        lead=rows,
        installment=installment,
        counted_at=np.where(installment, filled, offer),
        approved_at=np.where(installment, approved, np.nan),
        paid_at=paid,
        refund_at=np.where(clients.refunded[rows], paid + clients.refund_delay[rows], np.nan),
        check=check,
        gross=gross,
        lost_at=np.where(np.isnan(paid), failed, np.nan),
    )


def close_deals(funnel: Funnel, offer_time: np.ndarray, rng: np.random.Generator) -> Deals:
    """Draw what becomes of each offer; ``funnel`` must be resolved.

    Args:
        funnel: the resolved funnel section.
        offer_time: per lead, minutes when the offer was made (NaN: none).
        rng: this replication's stream for deals.

    Every lead draws the same numbers whether or not it got an offer, so
    under every plan the same lead meets the same client and bank (common
    random numbers), and a change in one share does not reshuffle the rest.
    Equal to ``settle(funnel, draw_clients(funnel, len(offer_time), rng), offer_time)``.

    Returns:
        One row per offer.
    """
    return settle(funnel, draw_clients(funnel, len(offer_time), rng), offer_time)
