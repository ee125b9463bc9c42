"""A run's results: every plan's metrics per replication, and their summary (MODEL.md section 8).

Each plan's metrics are a table, one row per replication; a summary gives
every metric's mean and P10/P50/P90 over replications and the chance of
reaching the revenue plan.  Money is in the scenario's currency (RUB in the
examples), times in minutes, counts in leads or deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["PlanResult", "RunResult", "summarise"]


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
    """

    scenario: str
    seed: int
    replications: int
    engine: str
    revenue_plan: float
    plans: dict[str, PlanResult]

    def summary(self) -> dict:
        """Every plan's summary.

        Returns:
            ``{PLAN: {METRIC: {mean, p10, p50, p90}, ..., "p_plan": x}}``
            (see :func:`summarise`).
        """
        return {name: summarise(plan.metrics, self.revenue_plan)
                for name, plan in self.plans.items()}


def summarise(metrics: pd.DataFrame, revenue_plan: float) -> dict:
    """Mean and P10/P50/P90 of every metric, and the chance of making the plan.

    Args:
        metrics: one row per replication, one column per metric (must hold
            ``revenue_net``).
        revenue_plan: the net revenue target (scenario's currency); 0 or less: none.

    Returns:
        ``{METRIC: {"mean", "p10", "p50", "p90"}, ..., "p_plan": x}``; NaN
        values are left out, a metric with none is all None, and ``p_plan``
        (the share of replications with ``revenue_net >= revenue_plan``) is
        None without a target.
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
    revenue = metrics["revenue_net"].to_numpy(dtype=float)
    out["p_plan"] = float(np.mean(revenue >= revenue_plan)) if revenue_plan > 0 else None
    return out
