"""The revenue plan as a run measures it: which net revenue ``p_plan`` sets against which target.

This is the one place that says what "making the revenue plan" means; the
summary, the report, the workbook, the baselines and the optimiser's race
all ask :class:`RevenuePlan`.

* **One number** (``revenue_plan: 200M``): the whole horizon's net revenue
  (the ``revenue_net`` metric) against it.
* **Month by month** (``revenue_plan: {"2026-07": 60M, ...}``; a month left
  out has no target): the net revenue of the months that have a target
  (the monthly series ``revenue_net_month``: money received in the month
  less refunds paid back in it), summed, against the sum of their targets.
  When every month of the horizon has one, that is the whole horizon's
  ``revenue_net`` again, and it is taken from that metric, so the numbers
  are those of a one-number plan of the same total.
* **A month the horizon covers in part** (a ``start`` in mid-month, or a
  horizon that ends in mid-month) counts the net revenue of its days inside
  the horizon against its whole target, as the month's own ``p_plan`` does.
  The run simulates no day outside the horizon, and the target is the
  user's number for the month: it is not cut by a guess at how the month's
  revenue spreads over its days.  Every output that states the plan names
  such a month's days (:meth:`RevenuePlan.period`), so its target is not
  read as a whole month's revenue.

Money is in the scenario's currency.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simsales.scenario import Scenario
from simsales.world.calendar import month_starts

__all__ = ["NET_MONTHLY", "PLAN_REVENUE", "RevenuePlan", "horizon_days_by_month", "makes_plan"]

NET_MONTHLY = "revenue_net_month"
"""The monthly series a month-by-month plan is measured on: net revenue per calendar month."""

PLAN_REVENUE = "plan_revenue"
"""The column of the optimiser's per-replication table holding the revenue the plan is measured on."""


def makes_plan(revenue: np.ndarray, revenue_plan: float) -> np.ndarray:
    """Per replication, whether the revenue the plan is measured on reaches it.

    Args:
        revenue: per replication, :meth:`RevenuePlan.revenue` (scenario's currency).
        revenue_plan: the target (the sum of the targeted months' targets).

    Returns:
        Booleans, one per replication.
    """
    return np.asarray(revenue, dtype=float) >= revenue_plan


def horizon_days_by_month(start: dt.date, n_days: int) -> dict[str, tuple[int, int]]:
    """Per month the horizon touches, its days in the horizon and its days in all.

    Args:
        start: the scenario's first day.
        n_days: days in the horizon.

    Returns:
        ``'YYYY-MM'`` -> ``(days in the horizon, days in the month)``.
    """
    starts = month_starts(start, n_days)
    out = {}
    for k, (label, first) in enumerate(starts):
        year, month = int(label[:4]), int(label[5:])
        last = starts[k + 1][1] if k + 1 < len(starts) else n_days
        out[label] = (last - first, calendar.monthrange(year, month)[1])
    return out


@dataclass(frozen=True)
class RevenuePlan:
    """The revenue plan and what it is measured on (see the module docstring).

    Attributes:
        total: the target, net revenue in the scenario's currency (0: no plan).
        months: month ``'YYYY-MM'`` -> its target; empty when one number was given.
        horizon: the label of each column of the monthly series, in order (the
            horizon's months; empty: not known).
        days: month -> (days in the horizon, days in the month), to name a month
            the horizon covers in part (empty: not known).
    """

    total: float
    months: Mapping[str, float] = field(default_factory=dict)
    horizon: Sequence[str] = ()
    days: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> RevenuePlan:
        """The scenario's revenue plan over its horizon.

        Args:
            scenario: the validated scenario.

        Returns:
            Its plan, with the horizon's months and their days.
        """
        days = horizon_days_by_month(scenario.start, scenario.horizon_days)
        return cls(float(scenario.revenue_plan), dict(getattr(scenario, "revenue_plan_months", None) or {}),
                   tuple(days), days)

    @property
    def is_set(self) -> bool:
        """There is a target to make (above 0)."""
        return self.total > 0

    @property
    def whole_horizon(self) -> bool:
        """The plan is measured on the whole horizon: one number, or a target for every month of it."""
        return not self.months or (bool(self.horizon) and all(m in self.months for m in self.horizon))

    @property
    def targeted(self) -> list[str]:
        """The months with a target, in the horizon's order (every month, for a one-number plan)."""
        return [m for m in self.horizon if not self.months or m in self.months]

    def day_spans(self) -> list[tuple[int, int]]:
        """The targeted months as days of the horizon: ``(first day, day after the last)`` each, 0-based.

        Returns:
            One span per targeted month, in order (needs :attr:`days`; empty without it).
        """
        spans, first = [], 0
        for month in self.horizon:
            end = first + self.days.get(month, (0, 0))[0]
            if not self.months or month in self.months:
                spans.append((first, end))
            first = end
        return spans

    def revenue(self, revenue_net: np.ndarray, monthly_net: np.ndarray | None) -> np.ndarray | None:
        """Per replication, the net revenue the plan is measured on.

        Args:
            revenue_net: per replication, the horizon's net revenue (the ``revenue_net`` metric).
            monthly_net: ``(replications, months)``, net revenue per month of the horizon
                (:data:`NET_MONTHLY`, columns in :attr:`horizon`'s order); None: not known.

        Returns:
            ``revenue_net`` itself when the plan covers the whole horizon, else the sum of
            the targeted months' columns; None when a plan that leaves months out
            cannot be measured (no monthly net series, or months not known).
        """
        if self.whole_horizon:
            return np.asarray(revenue_net, dtype=float)
        if monthly_net is None or not self.horizon or np.shape(monthly_net)[1] != len(self.horizon):
            return None
        columns = [i for i, m in enumerate(self.horizon) if m in self.months]
        return np.asarray(monthly_net, dtype=float)[:, columns].sum(axis=1)

    def chance(self, revenue_net: np.ndarray, monthly_net: np.ndarray | None) -> float | None:
        """``p_plan``: the share of replications whose measured revenue reaches the plan.

        Args:
            revenue_net: per replication, the horizon's net revenue.
            monthly_net: per replication and month, net revenue (see :meth:`revenue`).

        Returns:
            The share in [0, 1]; None without a target, or when it cannot be measured.
        """
        if not self.is_set:
            return None
        revenue = self.revenue(revenue_net, monthly_net)
        return None if revenue is None else float(np.mean(makes_plan(revenue, self.total)))

    def period(self) -> str:
        """What the plan is measured on, in words.

        Returns:
            ``"over the horizon"``, or for a plan that leaves months out the
            months with a target, runs of months joined (``"over Jul-Sep 2026"``,
            ``"over Jul 2026, Sep-Oct 2026"``), with the days of a month the
            horizon covers in part (``"over Jul-Sep 2026 (Jul 2026: only 17 of
            its 31 days)"``).
        """
        if self.whole_horizon:
            return "over the horizon"
        position = {m: i for i, m in enumerate(self.horizon)}
        runs: list[list[str]] = []
        for month in self.targeted:
            if runs and position[month] == position[runs[-1][-1]] + 1:
                runs[-1].append(month)
            else:
                runs.append([month])
        text = "over " + ", ".join(_span(run[0], run[-1]) for run in runs)
        part = [f"{_name(m)}: only {self.days[m][0]} of its {self.days[m][1]} days"
                for m in self.targeted if m in self.days and 0 < self.days[m][0] < self.days[m][1]]
        return text + (f" ({'; '.join(part)})" if part else "")


def _name(month: str) -> str:
    """``'2026-07'`` -> ``'Jul 2026'``."""
    return dt.date(int(month[:4]), int(month[5:7]), 1).strftime("%b %Y")


def _span(first: str, last: str) -> str:
    """A run of months: ``'Jul 2026'``, ``'Jul-Sep 2026'``, ``'Nov 2026-Jan 2027'``."""
    if first == last:
        return _name(first)
    if first[:4] == last[:4]:
        return f"{_name(first)[:3]}-{_name(last)}"
    return f"{_name(first)}-{_name(last)}"
