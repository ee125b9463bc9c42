"""A run's results: every plan's metrics per replication, and their summary (MODEL.md section 8).

Each plan's metrics are a table, one row per replication; a summary gives
every metric's mean and P10/P50/P90 over replications and the chance of
reaching the revenue plan (``p_plan``: the net revenue plan, not the hiring
plan), as :class:`~simsales.montecarlo.revenue_plan.RevenuePlan` measures it
(the whole horizon's net revenue, or with a month-by-month plan that leaves
months out, the targeted months'), and, with a month-by-month plan, per month.
Money is in the scenario's currency (RUB in the examples), times in minutes,
counts in leads or deals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from simsales.montecarlo.revenue_plan import NET_MONTHLY, RevenuePlan, horizon_days_by_month
from simsales.scenario import Scenario

__all__ = ["MONTHLY_REVENUE", "PlanResult", "RunResult", "month_revenue", "summarise", "with_plan_months"]

MONTHLY_REVENUE = (NET_MONTHLY, "revenue_gross_month")
"""The monthly revenue series a month's plan is measured on, in order of preference:
net (the plan's own measure) when the run has it, else gross money received."""


@dataclass
class PlanResult:
    """Per-replication results of one plan.

    Attributes:
        name: the plan's name.
        metrics: one row per replication (the index), one column per metric
            (:data:`simsales.montecarlo.metrics.METRICS`).
        series: name -> array (replications, periods), e.g. monthly headcount.
    """

    name: str
    metrics: pd.DataFrame
    series: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RunResult:
    """A whole run: every plan, every replication, and how it was made.

    Attributes:
        scenario: the scenario's name.
        seed: the run's seed.
        replications: replications per plan.
        engine: ``"fast"`` or ``"des"``.
        revenue_plan: the revenue target (net revenue, scenario's currency; 0: none).
        plans: plan name -> its results, in the order run.
        revenue_plan_months: month ``'YYYY-MM'`` -> that month's revenue
            target (scenario's currency); empty when the plan is one number.
        months: the label of each column of the monthly series (``'YYYY-MM'``);
            empty if not known (see :func:`with_plan_months`).
        month_days: month -> (days in the horizon, days in the month); empty if not known.
    """

    scenario: str
    seed: int
    replications: int
    engine: str
    revenue_plan: float
    plans: dict[str, PlanResult]
    revenue_plan_months: dict[str, float] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    month_days: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def revenue_target(self) -> RevenuePlan:
        """The revenue plan and what it is measured on (the rule every ``p_plan`` follows)."""
        return RevenuePlan(self.revenue_plan, self.revenue_plan_months, tuple(self.months), self.month_days)

    def plan_revenue(self, plan: str) -> np.ndarray | None:
        """Per replication of ``plan``, the net revenue the revenue plan is measured on.

        Args:
            plan: a plan of the run.

        Returns:
            Scenario's currency, one value per replication
            (:meth:`~simsales.montecarlo.revenue_plan.RevenuePlan.revenue`; None: not measurable).
        """
        p = self.plans[plan]
        return self.revenue_target.revenue(p.metrics["revenue_net"].to_numpy(dtype=float),
                                           p.series.get(NET_MONTHLY))

    def summary(self) -> dict:
        """Every plan's summary.

        Returns:
            ``{PLAN: {METRIC: {mean, p10, p50, p90}, ..., "p_plan": x}}``, and
            ``"p_plan_months"`` with a month-by-month plan (see :func:`summarise`).
        """
        return {name: summarise(plan.metrics, self.revenue_plan, *month_revenue(plan),
                                self.revenue_plan_months, self.months)
                for name, plan in self.plans.items()}


def with_plan_months(result: RunResult, scenario: Scenario) -> RunResult:
    """The run with the scenario's month-by-month revenue plan, month labels and their days attached.

    The runner attaches them already (:func:`simsales.montecarlo.runner.run`);
    this attaches them again, the same, to a run made otherwise.

    Args:
        result: the run.
        scenario: the scenario that made it (``revenue_plan_months``, start, horizon).

    Returns:
        A copy of ``result`` whose summaries give ``p_plan`` per month, and
        ``p_plan`` on the targeted months when the plan leaves months out.
    """
    plan = dict(getattr(scenario, "revenue_plan_months", None) or {})
    days = horizon_days_by_month(scenario.start, scenario.horizon_days)
    return replace(result, revenue_plan_months=plan, months=list(days), month_days=days)


def month_revenue(plan: PlanResult) -> tuple[np.ndarray | None, str | None]:
    """A plan's revenue per replication and month, and which revenue it is.

    Args:
        plan: one plan's results.

    Returns:
        ``(series, name)``: the first of :data:`MONTHLY_REVENUE` the run has,
        shape (replications, months), in the scenario's currency; ``(None,
        None)`` without one.
    """
    for name in MONTHLY_REVENUE:
        if name in plan.series:
            return np.asarray(plan.series[name], dtype=float), name
    return None, None


def summarise(metrics: pd.DataFrame, revenue_plan: float, monthly: np.ndarray | None = None,
              monthly_name: str | None = None, plan_months: Mapping[str, float] | None = None,
              months: Sequence[str] = ()) -> dict:
    """Mean and P10/P50/P90 of every metric, and the chance of making the revenue plan.

    Args:
        metrics: one row per replication, one column per metric (must hold
            ``revenue_net``).
        revenue_plan: the net revenue target over the horizon (scenario's
            currency); 0 or less: none.
        monthly: revenue per replication and month, (replications, months),
            scenario's currency (None: no monthly figures).
        monthly_name: which series ``monthly`` is (``revenue_net_month`` or
            ``revenue_gross_month``).
        plan_months: month ``'YYYY-MM'`` -> that month's revenue target
            (None or empty: no monthly plan).
        months: the label of each column of ``monthly``.

    Returns:
        ``{METRIC: {"mean", "p10", "p50", "p90"}, ..., "p_plan": x}``; NaN
        values are left out, a metric with none is all None, and ``p_plan``
        (the share of replications whose revenue reaches ``revenue_plan``:
        ``revenue_net``, or with a monthly plan that leaves months of
        ``months`` out, the net revenue of the months in ``plan_months``;
        :class:`~simsales.montecarlo.revenue_plan.RevenuePlan`) is None
        without a target, or when that revenue is not known.  With a monthly plan (and the series and
        labels), also ``"p_plan_months": {MONTH: {"plan", "p_plan",
        "revenue_p50", "measure"}}``: per month in the horizon that has a
        target, the share of replications whose revenue that month reaches
        it, the P50 of that revenue, and the series it was measured on.
    """
    out: dict = {}
    for name in metrics.columns:
        x = metrics[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        if x.size == 0:
            out[name] = {"mean": None, "p10": None, "p50": None, "p90": None}
            continue
        p10, p50, p90 = np.percentile(x, [10, 50, 90])
        out[name] = {"mean": float(x.mean()), "p10": float(p10), "p50": float(p50),
                     "p90": float(p90)}
    target = RevenuePlan(revenue_plan, dict(plan_months or {}), tuple(months))
    out["p_plan"] = target.chance(metrics["revenue_net"].to_numpy(dtype=float),
                                  monthly if monthly_name == NET_MONTHLY else None)
    if plan_months and monthly is not None and len(months) == monthly.shape[1]:
        out["p_plan_months"] = {
            month: {"plan": float(plan_months[month]),
                    "p_plan": float(np.mean(monthly[:, i] >= plan_months[month])),
                    "revenue_p50": float(np.median(monthly[:, i])),
                    "measure": monthly_name}
            for i, month in enumerate(months) if month in plan_months}
    return out
