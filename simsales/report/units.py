"""What each metric is measured in, and how to write it for people.

One place for units, so the terminal, the HTML report, the charts and the
workbook agree: money in the scenario's currency, rates as percentages,
SLA in minutes, everything else a count (a mean over replications may be
fractional).
"""

from __future__ import annotations

import math
from typing import Literal

Kind = Literal["money", "rate", "minutes", "count"]

MONEY = frozenset({
    "revenue_gross", "refunds", "revenue_net", "revenue_after_horizon", "lead_cost", "payroll",
    "hiring_cost", "costs", "margin", "cpl", "cpql", "avg_check", "revenue_per_manager",
})
RATES = frozenset({"contact_rate", "c2", "utilisation"})
MINUTES = frozenset({"sla_p50_min", "sla_p90_min"})

LABELS: dict[str, str] = {
    "revenue_net": "Net revenue",
    "revenue_gross": "Gross revenue",
    "margin": "Margin",
    "costs": "Costs",
    "won": "Deals won",
    "leads": "Leads",
    "contact_rate": "Contact rate",
    "c2": "C2 (lead to payment)",
    "sla_p50_min": "SLA, median",
    "sla_p90_min": "SLA, P90",
    "untouched_leads": "Leads never attempted",
    "utilisation": "Utilisation",
    "headcount_end": "Managers at the end",
    "hires_made": "Hires made",
    "hires_deferred": "Hires deferred",
    "total_invoices": "Total invoices",
}

EXCEL_FORMATS: dict[Kind, str] = {
    "money": "#,##0",
    "rate": "0.0%",
    "minutes": "#,##0.0",
    "count": "#,##0.0",
}


def kind(metric: str) -> Kind:
    """What a metric is measured in.

    Args:
        metric: a metric name.

    Returns:
        ``money`` (the scenario's currency), ``rate`` (a share), ``minutes`` or ``count``.
    """
    if metric in MONEY:
        return "money"
    if metric in RATES:
        return "rate"
    if metric in MINUTES:
        return "minutes"
    return "count"


def label(metric: str, currency: str) -> str:
    """A readable name with its unit: 'Net revenue, RUB', 'Contact rate, %'.

    Args:
        metric: a metric name.
        currency: the scenario's currency.

    Returns:
        The label.
    """
    unit = {"money": currency, "rate": "%", "minutes": "min", "count": ""}[kind(metric)]
    name = LABELS.get(metric, metric.replace("_", " ").capitalize())
    return f"{name}, {unit}" if unit else name


def money(value: float, signed: bool = False) -> str:
    """Money, short: the one formatter for money everywhere people read it.

    ``12_345_678`` -> ``'12.3M'``, ``45_600`` -> ``'46k'``, ``9_500`` ->
    ``'9,500'``, ``1.5e9`` -> ``'1.50B'``; ``signed`` adds ``+`` to a
    positive amount (a difference: ``'+12.3M'``); a negative one always
    has its ``-``.

    Args:
        value: an amount in the scenario's currency.
        signed: write ``+`` before a positive amount.

    Returns:
        The amount with a k, M or B suffix (no currency).
    """
    sign = "+" if signed and value > 0 else ""
    size = abs(value)
    if size >= 1e9:
        return f"{sign}{value / 1e9:,.2f}B"
    if size >= 1e6:
        return f"{sign}{value / 1e6:,.1f}M"
    if size >= 1e4:
        return f"{sign}{value / 1e3:,.0f}k"
    return f"{sign}{value:,.0f}"


def fmt(value: float | None, metric: str, signed: bool = False) -> str:
    """Write one value of ``metric`` short, in its unit.

    Args:
        value: the value (None or NaN: missing).
        metric: the metric it is a value of (see :func:`kind`).
        signed: the value is a difference: ``+`` before a positive one, and
            rates in percentage points (``pp``).

    Returns:
        The text, ``'-'`` when missing.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    sign = "+" if signed and value > 0 else ""
    match kind(metric):
        case "rate":
            return f"{sign}{100 * value:.1f}{' pp' if signed else '%'}"
        case "money":
            return money(value, signed)
        case "minutes":
            return f"{sign}{value:,.1f} min"
        case _:
            return f"{sign}{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 \
                else f"{sign}{value:,.1f}"


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.4231 -> '42%'.

    Args:
        value: a share in [0, 1] (None or NaN: missing).
        digits: decimals of the percentage.

    Returns:
        The text, ``'-'`` when missing.
    """
    return "-" if value is None or math.isnan(value) else f"{100 * value:.{digits}f}%"
