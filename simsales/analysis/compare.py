"""Plans side by side: paired differences against a baseline plan (MODEL.md section 9).

Replication ``r`` of every plan shares the uncertain parameters, the leads
and the per-manager draws (common random numbers, see
:mod:`simsales.montecarlo.runner`), so the difference ``plan - baseline`` is taken
replication by replication and its spread is the spread of the *effect* of
the plan, not of the world.  P10/P50/P90 are of those paired differences;
``p_better`` is the share of replications in which the plan does strictly
better than the baseline (ties, as with two identical plans, count as not
better).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.montecarlo import RunResult
from simsales.montecarlo.metrics import KEY_METRICS, TEAM_KEY_METRICS
from simsales.montecarlo.results import month_revenue
from simsales.scenario import Scenario
from simsales.scenario.messages import no_plan_named
from simsales.world.calendar import month_starts

# Which way is better, per metric: +1 more is better, -1 less is better.
# Metrics not listed (leads, headcount, hires made, utilisation, ...) are
# neither: a plan changes them on purpose, so "beats" has no meaning there.
BETTER: dict[str, int] = {
    **dict.fromkeys(("revenue_gross", "revenue_net", "revenue_after_horizon", "margin", "won",
                     "contacts", "qualified", "offers", "invoices_issued", "links_filled",
                     "total_invoices", "bank_approved", "contact_rate", "c2", "avg_check",
                     "revenue_per_manager", "attempts_per_manager_hour", "hires_ramp_mean"), 1),
    **dict.fromkeys(("refunds", "lead_cost", "payroll", "hiring_cost", "costs", "cpl", "cpql",
                     "sla_p50_min", "sla_p90_min", "untouched_leads", "chains_cut",
                     "lost_no_contact", "lost_before_qualification", "lost_after_qualification",
                     "hires_deferred", "hires_refused", "attrition", "probation_fired",
                     "hires_weak_share", "team_factor_dip", "team_lead_attrition"), -1),
}

SHOWN_METRICS: tuple[str, ...] = tuple(
    m for k in KEY_METRICS
    for m in ((k, "chains_cut") if k == "untouched_leads" and "chains_cut" not in KEY_METRICS else (k,))
) + TEAM_KEY_METRICS
"""The metrics the terminal tables show: the key metrics, with the touch chains
cut for lack of time beside the leads never attempted (the two capacity losses),
then the team's (why a plan that over-hires loses: hires let go at probation,
weaker hires, the team's dip, slower ramp; team leads who left, promotions, open vacancies)."""

COMPARED_METRICS: tuple[str, ...] = KEY_METRICS + TEAM_KEY_METRICS
"""The metrics :func:`compare` takes by default (the report's comparison): the key metrics and the team's."""

TEAM_MONTH_COLUMNS: dict[str, str] = {
    "left": "left_month", "fired": "fired_month", "promoted": "promoted_month",
    "team_leads_left": "team_lead_left_month", "vacancies_open": "vacancies_open_month",
}
"""Monthly-view columns of the team's movements -> the series they average (0 for a run without them)."""

DIFFERENCE_COLUMNS = ("plan", "metric", "baseline_mean", "plan_mean", "mean", "p10", "p50", "p90",
                      "p_better")


class UnknownPlan(ValueError):
    """A plan name that is not in the run."""


@dataclass(frozen=True)
class Comparison:
    """Every plan against ``baseline``.

    ``differences``: one row per (plan, metric), columns
    :data:`DIFFERENCE_COLUMNS`; ``mean``/``p10``/``p50``/``p90`` are of the
    paired difference plan - baseline, in the metric's unit.
    ``p_better`` is NaN for metrics with no better direction (see :data:`BETTER`).
    ``months``: :func:`monthly_view`.
    """

    baseline: str
    differences: pd.DataFrame
    months: pd.DataFrame


def pick_baseline(result: RunResult, baseline: str | None) -> str:
    """The baseline plan's name.

    Args:
        result: the run.
        baseline: the plan asked for, or None.

    Returns:
        ``baseline`` if the run has it; with None, the first plan run.

    Raises:
        UnknownPlan: the run has no plan called ``baseline``.
    """
    if baseline is None:
        return next(iter(result.plans))
    if baseline not in result.plans:
        raise UnknownPlan(no_plan_named(baseline, list(result.plans), has="the run has"))
    return baseline


def paired(result: RunResult, plan: str, baseline: str, metric: str) -> np.ndarray:
    """``plan - baseline`` of one metric, replication by replication.

    Args:
        result: the run.
        plan: the plan.
        baseline: the baseline plan.
        metric: the metric.

    Returns:
        The differences in the metric's unit, NaN pairs dropped.
    """
    diff = (result.plans[plan].metrics[metric].to_numpy(dtype=float)
            - result.plans[baseline].metrics[metric].to_numpy(dtype=float))
    return diff[~np.isnan(diff)]


def p_better(diff: np.ndarray, metric: str) -> float | None:
    """Share of replications where the plan strictly beats the baseline on ``metric``.

    Args:
        diff: paired differences plan - baseline.
        metric: the metric (its better direction is in :data:`BETTER`).

    Returns:
        The share in [0, 1], or None when the metric has no better direction or there is no pair.
    """
    sign = BETTER.get(metric)
    if sign is None or diff.size == 0:
        return None
    return float(np.mean(sign * diff > 0))


def paired_differences(result: RunResult, baseline: str | None = None,
                       metrics: Sequence[str] = KEY_METRICS) -> pd.DataFrame:
    """Paired differences of every other plan against the baseline.

    Args:
        result: the run.
        baseline: the baseline plan (None: the first plan run).
        metrics: the metrics to compare.

    Returns:
        One row per (plan, metric), columns :data:`DIFFERENCE_COLUMNS`;
        differences in the metric's unit (metrics the run does not have are left out).
    """
    baseline = pick_baseline(result, baseline)
    base = result.plans[baseline].metrics
    rows = []
    for plan, plan_result in result.plans.items():
        if plan == baseline:
            continue
        for metric in metrics:
            if metric not in base or metric not in plan_result.metrics:
                continue
            diff = paired(result, plan, baseline, metric)
            stats = np.percentile(diff, [10, 50, 90]) if diff.size else (np.nan,) * 3
            rows.append((plan, metric, float(base[metric].mean()),
                         float(plan_result.metrics[metric].mean()),
                         float(diff.mean()) if diff.size else np.nan, *map(float, stats),
                         p_better(diff, metric)))
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def month_labels(scenario: Scenario) -> list[str]:
    """Every calendar month the horizon touches.

    Args:
        scenario: the scenario (start date and horizon in days).

    Returns:
        ``YYYY-MM`` labels, in order.
    """
    return [label for label, _ in month_starts(scenario.start, scenario.horizon_days)]


def monthly_view(result: RunResult, months: Sequence[str], baseline: str | None = None) -> pd.DataFrame:
    """Month by month, per plan: team at the month's end, hires and gross revenue.

    Columns: ``plan``, ``month``, ``headcount``, ``ramped``, ``ramping``,
    ``onboarding`` (managers at the month's last day), ``hires_made``
    (managers who joined in the month), ``hires_deferred`` (hires the span
    rule pushed out of the month), ``left`` (left of their own accord),
    ``fired`` (let go at probation), ``promoted`` (made team leads),
    ``team_leads_left``, ``vacancies_open`` (at the month's end), all means
    over replications (``headcount`` is last month's plus ``hires_made``
    less ``left``, ``fired`` and ``promoted``);
    ``gross_revenue_p10``/``gross_revenue_p50``/``gross_revenue_p90`` (gross
    money received in the month) and ``gross_revenue_vs_baseline`` (mean
    paired difference), in the scenario's currency.  With a month-by-month revenue plan
    (``result.revenue_plan_months``), also ``revenue_plan`` (the month's
    target, NaN for a month without one) and ``p_plan`` (the share of
    replications whose revenue that month reaches it, measured on
    :func:`~simsales.montecarlo.results.month_revenue`).

    Args:
        result: the run.
        months: the month labels, one per column of the monthly series.
        baseline: the baseline plan (None: the first plan run).

    Returns:
        One row per (plan, month).
    """
    baseline = pick_baseline(result, baseline)
    base_revenue = result.plans[baseline].series["revenue_gross_month"]
    frames = []
    for plan, plan_result in result.plans.items():
        s = plan_result.series
        revenue = s["revenue_gross_month"]
        p10, p50, p90 = np.percentile(revenue, [10, 50, 90], axis=0)
        frames.append(pd.DataFrame({
            "plan": plan,
            "month": list(months),
            "headcount": s["headcount_month"].mean(axis=0),
            "ramped": (s["headcount_month"] - s["ramping_month"] - s["onboarding_month"]).mean(axis=0),
            "ramping": s["ramping_month"].mean(axis=0),
            "onboarding": s["onboarding_month"].mean(axis=0),
            "hires_made": s["hires_made_month"].mean(axis=0),
            "hires_deferred": s["hires_deferred_month"].mean(axis=0),
            **{column: s[name].mean(axis=0) if name in s else np.zeros(len(months))
               for column, name in TEAM_MONTH_COLUMNS.items()},
            "gross_revenue_p10": p10,
            "gross_revenue_p50": p50,
            "gross_revenue_p90": p90,
            "gross_revenue_vs_baseline": (revenue - base_revenue).mean(axis=0),
        }))
        if result.revenue_plan_months:
            measured, _ = month_revenue(plan_result)
            target = np.array([result.revenue_plan_months.get(m, np.nan) for m in months])
            frames[-1]["revenue_plan"] = target
            frames[-1]["p_plan"] = np.where(np.isnan(target), np.nan,
                                            (measured >= np.nan_to_num(target)).mean(axis=0))
    return pd.concat(frames, ignore_index=True)


def compare(result: RunResult, scenario: Scenario, baseline: str | None = None,
            metrics: Sequence[str] = COMPARED_METRICS) -> Comparison:
    """Every plan of a run against the baseline.

    Args:
        result: the run.
        scenario: the scenario that made it (for the months).
        baseline: the baseline plan (None: the first plan run).
        metrics: the metrics to compare.

    Returns:
        The paired differences and the month-by-month view.

    Raises:
        UnknownPlan: the run has no plan called ``baseline``.
    """
    baseline = pick_baseline(result, baseline)
    return Comparison(baseline, paired_differences(result, baseline, metrics),
                      monthly_view(result, month_labels(scenario), baseline))
