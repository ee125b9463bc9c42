"""A scenario's funnel as the calculator reads it: expected stage conversions, leads and money per deal.

From the means of the scenario's parameters (no simulation): the chain's
contact chance if every attempt is on time, the channels' qualification and
payment paths weighted by their volumes, and the net money per paid deal.
:func:`observed_stages` reads the same stages off a quick run instead.
"""

from __future__ import annotations

from simsales.analysis.funnel_calc import Stage
from simsales.scenario import Scenario
from simsales.scenario.uncertain import mean_of
from simsales.world.contact import contact_decay

__all__ = ["chain_contact_rate", "expected_leads", "net_check", "observed_stages", "offer_to_paid",
           "scenario_stages"]


def chain_contact_rate(scenario: Scenario) -> float:
    """Chance a lead is reached if every planned attempt is made on time.

    ``1 - prod_k (1 - p_contact[k] * decay(offset[k]))``: an upper bound on
    the contact rate, reached when managers have the time to call on
    schedule (the real rate is lower when they do not; a run measures it).

    Args:
        scenario: the scenario (its touch chain: offsets in minutes, contact chances, decay).

    Returns:
        The chance, from the means of the contact chances.
    """
    chain = scenario.touch_chain
    decay = chain.decay
    args = (decay.half_life, decay.floor,
            [a for a, _ in decay.table] if decay.table else None,
            [f for _, f in decay.table] if decay.table else None) if decay else (None, 0.0, None, None)
    miss = 1.0
    for k, offset in enumerate(chain.offsets):
        p = mean_of(chain.contact_chance(k)) * contact_decay(offset, *args)
        miss *= 1.0 - min(1.0, p)
    return 1.0 - miss


def _channel_weights(scenario: Scenario) -> list[float]:
    volumes = [mean_of(c.leads_per_day) for c in scenario.channels]
    total = sum(volumes)
    return [v / total if total else 1.0 / len(volumes) for v in volumes]


def _offer_weights(scenario: Scenario) -> list[float]:
    """Each channel's expected share of the offers: volume x target share x quality, normalised."""
    raw = [w * (1.0 - mean_of(c.nontarget_share)) * mean_of(c.quality)
           for w, c in zip(_channel_weights(scenario), scenario.channels, strict=True)]
    total = sum(raw)
    return [r / total if total else 1.0 / len(raw) for r in raw]


def _by_channel(scenario: Scenario) -> list[tuple[float, float, float]]:
    """``(weight, installment share, check factor)`` per channel, weighted by expected offers.

    One row with the funnel's share and factor 1 when no channel sets its own.
    """
    f = scenario.funnel
    if all(c.installment_share is None and mean_of(c.check_factor) == 1.0 for c in scenario.channels):
        return [(1.0, mean_of(f.installment_share), 1.0)]
    return [(w, mean_of(f.installment_share if c.installment_share is None else c.installment_share),
             mean_of(c.check_factor))
            for w, c in zip(_offer_weights(scenario), scenario.channels, strict=True)]


def offer_to_paid(scenario: Scenario) -> float:
    """Share of offers that pay: invoice path and installment path by their shares (per channel).

    Args:
        scenario: the scenario (means of its funnel parameters).

    Returns:
        The share in [0, 1].
    """
    f = scenario.funnel
    invoice, installment = mean_of(f.invoice_paid.p), mean_of(f.link_filled.p) * mean_of(f.bank_approved.p)
    return sum(w * ((1.0 - share) * invoice + share * installment) for w, share, _ in _by_channel(scenario))


def net_check(scenario: Scenario) -> float:
    """Expected net money per paid deal: price (with its change) less bank commission and refunds.

    Channels weigh by their expected paid deals, with their own installment
    share and check factor.

    Args:
        scenario: the scenario (means of its funnel and price).

    Returns:
        Money per deal, in the scenario's currency.
    """
    f = scenario.funnel
    commission = mean_of(f.price.bank_commission)
    money = paid = 0.0
    for w, share, factor in _by_channel(scenario):
        paid_inv = (1.0 - share) * mean_of(f.invoice_paid.p)
        paid_inst = share * mean_of(f.link_filled.p) * mean_of(f.bank_approved.p)
        money += w * factor * (paid_inv + paid_inst * (1.0 - commission))
        paid += w * (paid_inv + paid_inst)
    keep = money / max(paid, 1e-12)
    return f.price.check.mean * (1.0 + f.price.change) * keep * (1.0 - mean_of(f.refunds.share))


def scenario_stages(scenario: Scenario) -> list[Stage]:
    """A scenario's expected stage conversions, from the means of its parameters.

    * ``lead_to_contact``: :func:`chain_contact_rate` (on-time chain);
    * ``contact_to_qualified``: target share x ``qualify`` x channel quality,
      averaged over channels by mean volume;
    * ``qualified_to_offer``: ``offer.p`` with the price elasticity, for a
      ramped manager of average skill;
    * ``offer_to_paid``: :func:`offer_to_paid`.

    The product is the lead-to-payment conversion (C2) when capacity is
    not a limit.

    Args:
        scenario: the scenario.

    Returns:
        The four stages, in funnel order.
    """
    f = scenario.funnel
    qualify = mean_of(f.qualify)
    to_qualified = sum(w * (1.0 - mean_of(c.nontarget_share)) * min(1.0, qualify * mean_of(c.quality))
                       for w, c in zip(_channel_weights(scenario), scenario.channels, strict=True))
    price = f.price
    to_offer = min(1.0, mean_of(f.offer.p) * (1.0 + price.change) ** price.elasticity)
    return [
        Stage("lead_to_contact", chain_contact_rate(scenario)),
        Stage("contact_to_qualified", to_qualified),
        Stage("qualified_to_offer", to_offer),
        Stage("offer_to_paid", offer_to_paid(scenario)),
    ]


def observed_stages(summary: dict) -> list[Stage]:
    """Stage conversions measured by a run: one plan's ``summary()`` entry (means).

    Offers still open at the horizon count as not paid, so
    ``offer_to_paid`` is "paid within the horizon".

    Args:
        summary: one plan's entry of :meth:`RunResult.summary`: metric -> ``{"mean", ...}``.

    Returns:
        The four stages, in funnel order (0 where the stage before is empty).
    """
    def mean(name: str) -> float:
        return summary[name]["mean"] or 0.0

    def ratio(a: str, b: str) -> float:
        return mean(a) / mean(b) if mean(b) else 0.0

    return [
        Stage("lead_to_contact", ratio("contacts", "leads")),
        Stage("contact_to_qualified", ratio("qualified", "contacts")),
        Stage("qualified_to_offer", ratio("offers", "qualified")),
        Stage("offer_to_paid", ratio("won", "offers")),
    ]


def expected_leads(scenario: Scenario) -> float:
    """Mean leads over the horizon at the starting volume (growth ignored).

    Args:
        scenario: the scenario (channel volumes per day, horizon in days).

    Returns:
        The expected count of leads.
    """
    return sum(mean_of(c.leads_per_day) for c in scenario.channels) * scenario.horizon_days
