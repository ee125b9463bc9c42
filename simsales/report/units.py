"""What each metric is measured in, and how to write it for people.

One place for units, so the terminal, the HTML report, the charts and the
workbook agree: money in the scenario's currency, rates as percentages,
SLA in minutes, ratios (attempts per hour) with one decimal, everything
else a count.  A count is written in whole units from 10 up (a mean over
replications of 69.5 deals reads "70"); below 10 a mean keeps one decimal
("2.3") and the text around it says it is a mean.  Durations read as a
person says them (:func:`duration`: ``0 min``, ``15 min``, ``1 h``,
``1 day``), a count with its noun in the singular for one
(:func:`counted`: ``1 team lead``, ``12,000 leads``) and plans by their
display name (:func:`plan_labels`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Literal

from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

Kind = Literal["money", "rate", "minutes", "ratio", "count"]

MONEY = frozenset({
    "revenue_gross", "refunds", "revenue_net", "revenue_after_horizon", "lead_cost", "payroll",
    "hiring_cost", "costs", "margin", "cpl", "cpql", "avg_check", "revenue_per_manager",
})
RATES = frozenset({"contact_rate", "c2", "utilisation", "hires_weak_share", "team_factor_dip",
                   "hires_ramp_mean", "contact_rate_target", "won_by_installment_share",
                   "talk_share_actual", "dial_share_actual", "crm_share_actual", "idle_share",
                   "overtime_share", "share_attempted_5min"})
MINUTES = frozenset({"sla_p50_min", "sla_p90_min", "sla_work_p50_min", "sla_work_p90_min"})
RATIOS = frozenset({"attempts_per_manager_hour"})

WHOLE_FROM = 10.0
"""A count at least this large (in size) is written in whole units."""

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
    "sla_work_p50_min": "SLA in working minutes, median",
    "sla_work_p90_min": "SLA in working minutes, P90",
    "share_attempted_5min": "Attempted within 5 working minutes",
    "contact_rate_target": "Contact rate, target leads",
    "won_by_installment_share": "Paid deals by installment",
    "talk_share_actual": "Shift time talking",
    "crm_share_actual": "Shift time on CRM",
    "idle_share": "Shift time idle",
    "overtime_share": "Overtime (share of shift time)",
    "headcount_end": "Managers at the end",
    "hires_made": "Hires made",
    "hires_deferred": "Hires deferred",
    "total_invoices": "Total invoices",
    "probation_fired": "Let go at probation",
    "hires_weak_share": "Hires below the team's median skill",
    "team_factor_dip": "Team's conversion lost to coaching load",
    "hires_ramp_mean": "Hires' ramp, mean",
    "team_lead_attrition": "Team leads who left",
    "promotions": "Promoted to team lead",
    "vacancies_open_end": "Vacancies open at the end",
    "warmup_days": "Warm-up played before the start (days, not counted)",
    "pipeline_leads": "Open leads taken from the CRM export at the start",
}

EXCEL_FORMATS: dict[Kind, str] = {
    "money": "#,##0",
    "rate": "0.0%",
    "minutes": "#,##0.0",
    "ratio": "#,##0.0",
    "count": "#,##0.0",
}


def kind(metric: str) -> Kind:
    """What a metric is measured in.

    Args:
        metric: a metric name.

    Returns:
        ``money`` (the scenario's currency), ``rate`` (a share), ``minutes``,
        ``ratio`` (a count per something, such as attempts per hour) or ``count``.
    """
    if metric in MONEY:
        return "money"
    if metric in RATES:
        return "rate"
    if metric in MINUTES:
        return "minutes"
    if metric in RATIOS:
        return "ratio"
    return "count"


def label(metric: str, currency: str) -> str:
    """A readable name with its unit: 'Net revenue, RUB', 'Contact rate, %'.

    Args:
        metric: a metric name.
        currency: the scenario's currency.

    Returns:
        The label.
    """
    unit = {"money": currency, "rate": "%", "minutes": "min", "ratio": "", "count": ""}[kind(metric)]
    name = LABELS.get(metric, metric.replace("_", " ").capitalize())
    return f"{name}, {unit}" if unit else name


def not_finite(value: float | None, signed: bool = False) -> str | None:
    """The text of a value that is not a finite number, or None for a finite one.

    Every formatter here starts with it, so a missing value (None, NaN)
    reads ``-`` and an infinite one ``inf`` (``-inf``; ``+inf`` for a
    difference), never a crash or ``nan``.

    Args:
        value: the value.
        signed: the value is a difference (``+`` before a positive one).

    Returns:
        ``'-'``, ``'inf'``, ``'+inf'`` or ``'-inf'``; None when the value is a finite number.
    """
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "-inf" if value < 0 else ("+inf" if signed else "inf")
    return None


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
        The amount with a k, M or B suffix (no currency); ``-`` when missing
        (:func:`not_finite`).
    """
    text = not_finite(value, signed)
    if text is not None:
        return text
    size = abs(value)
    if size < 0.5:
        return "0"
    sign = "+" if signed and value > 0 else ""
    # The suffix is picked after rounding: 999,600 is "1.0M", not "1,000k".
    if size >= 999.995e6:
        return f"{sign}{value / 1e9:,.2f}B"
    if size >= 999.5e3:
        return f"{sign}{value / 1e6:,.1f}M"
    if size >= 1e4:
        return f"{sign}{value / 1e3:,.0f}k"
    return f"{sign}{value:,.0f}"


def fmt(value: float | None, metric: str, signed: bool = False, mean: bool = False) -> str:
    """Write one value of ``metric`` short, in its unit.

    A count is written in whole units (a P10 of deals is a number of
    deals), except a mean of counts below :data:`WHOLE_FROM`, which keeps
    one decimal (:func:`count`): the text around it must say it is a mean.

    Args:
        value: the value (None or NaN: missing).
        metric: the metric it is a value of (see :func:`kind`).
        signed: the value is a difference: ``+`` before a positive one, and
            rates in percentage points (``pp``).
        mean: the value is a mean over replications.

    Returns:
        The text, ``'-'`` when missing (``inf`` when infinite: :func:`not_finite`).
    """
    text = not_finite(value, signed)
    if text is not None:
        return text
    sign = "+" if signed and value > 0 else ""
    match kind(metric):
        case "rate":
            return f"{sign}{100 * value:.1f}{' pp' if signed else '%'}"
        case "money":
            return money(value, signed)
        case "minutes":
            return f"{sign}{value:,.1f} min"
        case "ratio":
            return f"{sign}{value:,.1f}"
        case _:
            return sign + (count(value) if mean else whole(value))


def whole(value: float) -> str:
    """A count in whole units: ``8.9`` -> ``'9'``, ``-8.5`` -> ``'-9'``, ``1234.4`` -> ``'1,234'``.

    Halves round away from zero.

    Args:
        value: a count (a percentile of counts may fall between two).

    Returns:
        The text, with thousands separators (:func:`not_finite` when not a finite number).
    """
    text = not_finite(value)
    if text is not None:
        return text
    rounded = math.floor(abs(value) + 0.5)
    return f"{'-' if value < 0 and rounded else ''}{rounded:,d}"


def count(value: float) -> str:
    """A count, or a mean of counts: whole units from :data:`WHOLE_FROM` up, else one decimal.

    ``69.5`` -> ``'70'``, ``1234.4`` -> ``'1,234'``, ``2.3`` -> ``'2.3'``,
    ``4.0`` -> ``'4'``, ``-12.6`` -> ``'-13'``.  Halves round away from
    zero (``69.5`` is 70 deals, not 69).

    Args:
        value: a count, or a mean of counts over replications.

    Returns:
        The text, with thousands separators (:func:`not_finite` when not a finite number).
    """
    if (text := not_finite(value)) is not None:
        return text
    if abs(value) >= WHOLE_FROM or float(value).is_integer():
        return whole(value)
    text = f"{value:,.1f}"
    return text.removesuffix(".0") if text not in ("-0.0", "0.0") else "0"


def counted(value: float, noun: str, plural: str | None = None,
            number: Callable[[float], str] = count) -> str:
    """A count and its noun, the noun singular for one: ``'1 team lead'``, ``'12,000 leads'``.

    ``counted(1, "team lead")`` -> ``'1 team lead'``, ``counted(12000, "lead")`` ->
    ``'12,000 leads'``, ``counted(0, "day")`` -> ``'0 days'``, ``counted(1, "entry",
    "entries")`` -> ``'1 entry'``.  The noun follows the number as written, so a
    mean of 0.96 hires that reads ``1`` is ``'1 hire'``.

    Args:
        value: the count (a mean of counts keeps one decimal below :data:`WHOLE_FROM`, as
            :func:`count` writes it).
        noun: the noun for one (``"team lead"``).
        plural: the noun for any other number (None: ``noun`` + ``"s"``).
        number: how the number is written (:func:`count`: thousands separators, whole from 10 up).

    Returns:
        The number and the noun.
    """
    text = number(value)
    return f"{text} {noun if text.lstrip('+-') == '1' else (plural or noun + 's')}"


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.4231 -> '42%'.

    Args:
        value: a share in [0, 1] (None or NaN: missing).
        digits: decimals of the percentage.

    Returns:
        The text, ``'-'`` when missing (:func:`not_finite`).
    """
    return not_finite(value) or f"{100 * value:.{digits}f}%"


def share(value: float, digits: int | None = None) -> str:
    """A share as a percentage for people: 0.45 -> '45%', 0.075 -> '7.5%', 0.293 -> '29.3%'.

    Args:
        value: a share (1.0 is 100%).
        digits: decimals of the percentage; None: one, dropped when it is 0.

    Returns:
        The percentage (:func:`not_finite` when not a finite number).
    """
    if (text := not_finite(value)) is not None:
        return text
    if digits is not None:
        return f"{100 * value:.{digits}f}%"
    text = f"{100 * value:.1f}"
    return ("0" if text in ("0.0", "-0.0") else text.removesuffix(".0")) + "%"


DURATION_UNITS = ((MINUTES_PER_DAY, "day", "days"), (MINUTES_PER_HOUR, "h", "h"), (1.0, "min", "min"))


def duration(minutes: float) -> str:
    """A duration as a person says it: 0 -> '0 min', 90 -> '1 h 30 min', 1440 -> '1 day'.

    Minutes below an hour, hours (and minutes) below a day, days (and hours)
    from a day up: ``15`` -> ``'15 min'``, ``240`` -> ``'4 h'``, ``2160`` ->
    ``'1 day 12 h'``, ``10080`` -> ``'7 days'``.  At most two parts; a
    remainder below the second part's unit is rounded into it, and a
    fraction of a minute below an hour is kept (``0.5`` -> ``'0.5 min'``).

    Args:
        minutes: the duration, in minutes (>= 0).

    Returns:
        The text (:func:`not_finite` when not a finite number).
    """
    if (text := not_finite(minutes)) is not None:
        return text
    minutes = round(minutes, 1)
    if minutes < MINUTES_PER_HOUR:
        return f"{minutes:.1f}".removesuffix(".0") + " min"
    for (size, one, many), (sub_size, sub_one, _) in pairwise(DURATION_UNITS):
        subs = round(minutes / sub_size)  # the unit is picked after rounding: 1439.9 is "1 day"
        if subs * sub_size >= size:
            whole, rest = divmod(subs, round(size / sub_size))
            return f"{whole} {one if whole == 1 else many}" + (f" {rest} {sub_one}" if rest else "")
    raise AssertionError("unreachable: one hour or more has a unit")  # pragma: no cover


def month_name(month: str) -> str:
    """A calendar month as people write it: ``'2026-07'`` -> ``'Jul 2026'``.

    Args:
        month: ``YYYY-MM``.

    Returns:
        The month's short name and year.
    """
    return dt.date(int(month[:4]), int(month[5:7]), 1).strftime("%b %Y")


def plan_labels(scenario: object, plans: Iterable[str]) -> dict[str, str]:
    """The name people read for each plan: its ``label:`` if it has one, else its ``name``.

    Two plans with the same label are told apart by their names
    (``"Grow (grow_fast)"``).

    Args:
        scenario: the scenario (its ``plans`` may carry an optional ``label``).
        plans: the plans' names, in run order.

    Returns:
        Plan name -> display name, in the order given.
    """
    given = {p.name: getattr(p, "label", None) for p in getattr(scenario, "plans", ())}
    names = list(plans)
    labels = {name: given.get(name) or name for name in names}
    counts = Counter(labels.values())
    return {name: f"{text} ({name})" if counts[text] > 1 and text != name else text
            for name, text in labels.items()}
