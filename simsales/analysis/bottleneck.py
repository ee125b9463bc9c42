"""The bottleneck: the loss that costs the most revenue that could be won back (MODEL.md section 9).

Of one plan's per-replication metrics (the verdict asks it of the best plan).
Per replication, each kind's *avoidable* leads are counted and valued at that
replication's own net revenue per lead at that stage (:func:`losses`); the
P50 over replications of that money is compared and the largest wins (ties:
more leads, then the order of :data:`KINDS`).  ``share_of_leads`` is the P50
of the avoidable leads over all leads.

  - ``capacity``: the leads whose ``lead_ttl`` ran out for lack of managers'
    time: never attempted (``untouched_leads`` less ``untouched_open``, the
    leads that at the horizon's end wait for the floor, not for a free
    manager: within their time to live and not due in any minute with a
    manager on shift, such as the leads of the horizon's last evening or
    weekend, and less ``untouched_closed``) or the touch chain cut
    (``chains_cut`` less ``chains_cut_closed``), all of it avoidable with
    more time, less the part put on the span rule; valued at net revenue per
    lead worked;
  - ``closed_floor``: the leads whose ``lead_ttl`` ran out while no manager
    was on shift (``untouched_closed`` + ``chains_cut_closed``: holidays,
    closed days or nights longer than the time to live); more managers on
    the same shifts would not reach them, a duty shift on those days or a
    longer ``lead_ttl`` would; valued at net revenue per lead worked;
  - ``span_rule``: the part of the capacity loss the managers the span rule
    kept out would have worked: manager-months lost times the leads the team
    worked per manager-month (leads worked / (average managers x months)),
    at most the whole capacity loss.  ``hires_deferred`` counts each hire
    pushed back once however long it waits; it is taken to wait one month
    (the least it waits; the whole horizon if shorter), and a refused hire
    to be lost for half the horizon.  A rough estimate, with biases both
    ways: a deferred hire may wait longer, a new hire works less than the
    team's average while in ramp-up;
  - ``contact``, ``qualification``, ``closing``: conversion rates are the
    market's and the product's as much as the team's, so only the part below
    the market is avoidable, and only with the scenario's benchmark:
    ``contact_rate`` (contacts / leads; valued at revenue per contact),
    ``qualify`` (qualified / target leads reached; revenue per qualified
    lead), ``offer`` (offers / qualified leads; revenue per offer).

  An avoidable loss under :data:`MIN_SHARE` of leads is not a bottleneck.
  When none reaches it, the bottleneck is the stage without a benchmark that
  loses the most leads outright (:func:`loss_shares`: ``lost_no_contact``,
  ``lost_before_qualification``, ``lost_after_qualification``), and the text
  says that no benchmark tells how much of it can be won back.  Non-target
  leads reached and lost (``lost_nontarget``) are no stage's fault.

Money is written by the ``money`` formatter the caller passes (analysis/ may
not import report/); without one, amounts are written in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.scenario import Benchmarks

__all__ = ["KINDS", "MIN_SHARE", "Bottleneck", "bottleneck", "capacity_lost", "chains_cut_for_time",
           "closed_floor_lost", "column", "full_money", "loss_shares", "losses"]

KINDS = ("capacity", "closed_floor", "contact", "qualification", "closing", "span_rule")
"""The bottleneck kinds, in the order that breaks ties."""

MIN_SHARE = 0.01
"""An avoidable loss below this share of leads does not make a bottleneck."""

DAYS_PER_MONTH = 365.25 / 12
"""Mean days in a month (for manager-months)."""


@dataclass(frozen=True)
class Bottleneck:
    """The loss that costs the most net revenue that could be won back.

    Attributes:
        kind: ``capacity``, ``contact``, ``qualification``, ``closing`` or ``span_rule``.
        share_of_leads: share of all leads lost to it (0..1; for contact,
            qualification and closing the part below the market), P50 over
            replications, of the best plan.
        text: one sentence a head of sales reads, with the figure.
    """

    kind: str
    share_of_leads: float
    text: str


def full_money(value: float, signed: bool = False) -> str:
    """An amount in full (the default when the caller passes no short formatter).

    Args:
        value: an amount in the scenario's currency.
        signed: write ``+`` before a positive amount.

    Returns:
        ``'1,234,567'``, ``'+1,234,567'`` or ``'-1,234,567'``.
    """
    return f"{'+' if signed and value > 0 else ''}{value:,.0f}"


def column(metrics: pd.DataFrame, name: str) -> np.ndarray:
    """One metric over replications, as floats (zeros if the run lacks it).

    Args:
        metrics: one plan's metrics, one row per replication.
        name: the metric.

    Returns:
        The values, one per replication.
    """
    return metrics[name].to_numpy(dtype=float) if name in metrics else np.zeros(len(metrics))


def capacity_lost(metrics: pd.DataFrame) -> np.ndarray:
    """Leads not worked for lack of managers' time, per replication.

    The leads never attempted (``untouched_leads``) less those that at the
    horizon's end wait for the floor, not for a free manager
    (``untouched_open``: within their time to live and due in no minute with
    a manager on shift; on a floor with time to spare, the leads of the
    horizon's last evening or weekend) and those lost to a closed floor
    (``untouched_closed``), plus the chains cut (``chains_cut``) less those
    cut while the floor was closed (``chains_cut_closed``).

    Args:
        metrics: one plan's metrics, one row per replication.

    Returns:
        Leads, one count per replication.
    """
    return _never_called(metrics) + chains_cut_for_time(metrics)


def closed_floor_lost(metrics: pd.DataFrame) -> np.ndarray:
    """Leads whose time to live ran out while no manager was on shift, per replication.

    ``untouched_closed`` + ``chains_cut_closed``
    (:mod:`simsales.montecarlo.closed_floor`): lost to the calendar, not to
    the team's time.

    Args:
        metrics: one plan's metrics, one row per replication.

    Returns:
        Leads, one count per replication.
    """
    return column(metrics, "untouched_closed") + column(metrics, "chains_cut_closed")


def _never_called(metrics: pd.DataFrame) -> np.ndarray:
    """Leads never attempted for lack of managers' time, per replication (see :func:`capacity_lost`)."""
    return np.clip(column(metrics, "untouched_leads") - column(metrics, "untouched_open")
                   - column(metrics, "untouched_closed"), 0, None)


def chains_cut_for_time(metrics: pd.DataFrame) -> np.ndarray:
    """Chains cut for lack of managers' time, per replication: ``chains_cut`` less ``chains_cut_closed``.

    Args:
        metrics: one plan's metrics, one row per replication.

    Returns:
        Leads, one count per replication.
    """
    return np.clip(column(metrics, "chains_cut") - column(metrics, "chains_cut_closed"), 0, None)


def _span_leads(metrics: pd.DataFrame, capacity: np.ndarray, horizon_days: int) -> np.ndarray:
    """Leads per replication the hires the span rule kept out would have worked (see module doc)."""
    handled = np.clip(column(metrics, "leads") - capacity, 0, None)
    revenue = column(metrics, "revenue_net")
    per_manager = column(metrics, "revenue_per_manager")
    managers = np.where((revenue != 0) & (per_manager != 0),
                        np.divide(revenue, per_manager, out=np.zeros_like(revenue),
                                  where=per_manager != 0),
                        column(metrics, "headcount_end"))
    months = horizon_days / DAYS_PER_MONTH
    manager_months = managers * months
    per_manager_month = np.divide(handled, manager_months, out=np.zeros_like(handled),
                                  where=manager_months > 0)
    lost = (column(metrics, "hires_deferred") * min(1.0, months)
            + column(metrics, "hires_refused") * months / 2)
    return np.minimum(capacity, lost * per_manager_month)


def _per(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def losses(metrics: pd.DataFrame, horizon_days: int,
           benchmarks: Benchmarks | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Avoidable leads lost to each bottleneck kind, and the net revenue they cost, per replication.

    Args:
        metrics: one plan's metrics, one row per replication.
        horizon_days: the scenario's horizon (days), for the span rule's manager-months.
        benchmarks: the scenario's market values (None: none).

    Returns:
        kind -> ``(leads, money)``, arrays over replications: leads lost that
        could have been won back, and the net revenue (scenario's currency)
        they would have brought at the replication's own value of a lead at
        that stage.  Capacity, the closed floor and the span rule are always
        present; contact, qualification and closing only with their market
        benchmark (``contact_rate``, ``qualify``, ``offer``).
    """
    leads, revenue = column(metrics, "leads"), column(metrics, "revenue_net")
    contacts, qualified = column(metrics, "contacts"), column(metrics, "qualified")
    offers = column(metrics, "offers")
    capacity_all = capacity_lost(metrics)
    closed = closed_floor_lost(metrics)
    span = _span_leads(metrics, capacity_all, horizon_days)
    per_worked = _per(revenue, np.clip(leads - capacity_all - closed, 0, None))
    out = {"capacity": (capacity_all - span, (capacity_all - span) * per_worked),
           "closed_floor": (closed, closed * per_worked),
           "span_rule": (span, span * per_worked)}
    b = benchmarks
    if b is not None and b.contact_rate is not None:
        lost = np.clip(b.contact_rate * leads - contacts, 0, None)
        out["contact"] = (lost, lost * _per(revenue, contacts))
    if b is not None and b.qualify is not None:
        reached = qualified + column(metrics, "lost_before_qualification")
        lost = np.clip(b.qualify * reached - qualified, 0, None)
        out["qualification"] = (lost, lost * _per(revenue, qualified))
    if b is not None and b.offer is not None:
        lost = np.clip(b.offer * qualified - offers, 0, None)
        out["closing"] = (lost, lost * _per(revenue, offers))
    return out


RAW = {"capacity": ("untouched_leads", "chains_cut"),
       "closed_floor": ("untouched_closed", "chains_cut_closed"), "contact": ("lost_no_contact",),
       "qualification": ("lost_before_qualification",), "closing": ("lost_after_qualification",)}
"""The metrics that count every lead lost at each stage (avoidable or not)."""


def loss_shares(metrics: pd.DataFrame) -> pd.DataFrame:
    """Every lead lost at each stage, avoidable or not, as shares of leads, per replication.

    Args:
        metrics: one plan's metrics, one row per replication.

    Returns:
        One row per replication, columns ``capacity`` (:func:`capacity_lost`),
        ``closed_floor`` (:func:`closed_floor_lost`), ``contact``,
        ``qualification``, ``closing`` (see :data:`RAW`); shares in [0, 1], 0
        for a replication with no leads.
    """
    leads = column(metrics, "leads")
    special = {"capacity": capacity_lost, "closed_floor": closed_floor_lost}
    return pd.DataFrame({kind: _per(special[kind](metrics) if kind in special
                                    else sum(column(metrics, m) for m in names), leads)
                         for kind, names in RAW.items()}, index=metrics.index)


def _p50(metrics: pd.DataFrame, name: str) -> float:
    x = column(metrics, name)
    x = x[~np.isnan(x)]
    return float(np.median(x)) if x.size else 0.0


def _median(x: np.ndarray) -> float:
    x = x[~np.isnan(x)]
    return float(np.median(x)) if x.size else 0.0


def _parts(total: float, cut: float, never: float) -> tuple[float, float]:
    """``total`` (leads, whole) split in the proportion ``cut : never``, so the two add up to it when written.

    The P50s of the parts do not add up to the P50 of their sum; a sentence that gives a total and its
    parts must (a reader adds them).
    """
    total = round(total)
    if cut + never <= 0:
        return float(total), 0.0
    first = float(round(total * cut / (cut + never)))
    return first, float(total - first)


def _bottleneck_text(kind: str, share: float, metrics: pd.DataFrame, cost: str | None) -> str:
    n = f"{share * _p50(metrics, 'leads'):,.0f}"
    pct = f"{100 * share:.0f}%" if share >= 0.01 or share == 0 else f"{100 * share:.1f}%"
    tail = f": about {cost} of net revenue." if cost else "."
    match kind:
        case "capacity":
            cut, never = _parts(share * _p50(metrics, "leads"), _median(chains_cut_for_time(metrics)),
                                _median(_never_called(metrics)))
            span = (", not counting what the hires the span rule held back would have worked"
                    if _p50(metrics, "hires_deferred") or _p50(metrics, "hires_refused") else "")
            return (f"Capacity: {pct} of leads ({n}) were not worked for lack of managers' time: "
                    f"{cut:,.0f} leads dropped before their call-backs were done (the lead's time to live "
                    f"ran out) and {never:,.0f} never called{span}{tail}")
        case "closed_floor":
            cut, never = _parts(share * _p50(metrics, "leads"), _p50(metrics, "chains_cut_closed"),
                                _p50(metrics, "untouched_closed"))
            return (f"Closed floor: {pct} of leads ({n}) ran out of their time to live while no manager "
                    f"was on shift (holidays, closed days or nights longer than lead_ttl): {never:,.0f} "
                    f"never called and {cut:,.0f} dropped before their call-backs were done{tail} More "
                    f"managers on the same shifts would not reach them; a duty shift on those days or a "
                    f"longer lead_ttl would.")
        case "span_rule":
            deferred, refused = _p50(metrics, "hires_deferred"), _p50(metrics, "hires_refused")
            return (f"Span rule: about {pct} of leads ({n}) went unworked because the span rule "
                    f"deferred {deferred:,.0f} and refused {refused:,.0f} manager hires "
                    f"(too few team leads for the managers planned){tail}")
        case "contact":
            what = "were never reached beyond the market's contact rate"
        case "qualification":
            what = "were reached but not qualified beyond the market's qualification rate"
        case _:
            what = "were qualified but got no offer beyond the market's offer rate"
    if cost is None:
        what = {"contact": "were never reached: every attempt of the touch chain went unanswered",
                "qualification": "were reached but not qualified",
                "closing": "were qualified but did not pay (no offer, or not paid in the horizon)"
                }[kind]
        tail = ("; the largest loss, with no market benchmark to say how much of it can be won "
                "back.")
    return f"{kind.capitalize()}: {pct} of leads ({n}) {what}{tail}"


def bottleneck(metrics: pd.DataFrame, horizon_days: int, benchmarks: Benchmarks | None = None,
               currency: str = "", money: Callable[..., str] | None = None) -> Bottleneck:
    """The loss that costs the most net revenue that could be won back (rule in the module doc).

    Args:
        metrics: one plan's metrics, one row per replication.
        horizon_days: the scenario's horizon (days).
        benchmarks: the scenario's market values (None: none).
        currency: the scenario's currency, for the text.
        money: ``money(amount) -> str`` (None: full amounts).

    Returns:
        The bottleneck; with no loss at all, ``capacity`` at 0 with a text saying so.
    """
    write = money or full_money
    leads = column(metrics, "leads")
    known = losses(metrics, horizon_days, benchmarks)
    cost = {k: _median(m) for k, (_, m) in known.items()}
    share = {k: _median(_per(x, leads)) for k, (x, _) in known.items()}
    ranked = sorted(known, key=lambda k: (-cost[k], -share[k], KINDS.index(k)))
    kind = ranked[0] if ranked else "capacity"
    if share.get(kind, 0.0) >= MIN_SHARE:
        text = _bottleneck_text(kind, share[kind], metrics, f"{write(cost[kind])} {currency}".strip())
        return Bottleneck(kind, share[kind], text)
    raw = loss_shares(metrics).median(axis=0) if len(metrics) else pd.Series(dtype=float)
    unknown = [k for k in RAW if k not in known and float(raw.get(k, 0.0)) > 0]
    if not unknown:
        if share.get(kind, 0.0) > 0:
            text = _bottleneck_text(kind, share[kind], metrics, f"{write(cost[kind])} {currency}".strip())
            return Bottleneck(kind, share[kind], text)
        return Bottleneck("capacity", 0.0, "No stage loses leads in the median replication.")
    kind = max(unknown, key=lambda k: (float(raw[k]), -KINDS.index(k)))
    return Bottleneck(kind, float(raw[kind]), _bottleneck_text(kind, float(raw[kind]), metrics, None))
