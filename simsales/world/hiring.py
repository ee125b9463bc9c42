"""Hiring plans under the team-lead span rule (MODEL.md section 6).

Each month of a plan opens vacancies on the month's first day (the
scenario's start for the first month); a hire joins ``time_to_hire_days``
later.  A vacancy needs a team lead who has passed their own adaptation
(``lead_adaptation_days``), who takes at most ``hires_per_lead_month`` hires
that month and whose team (current managers, joiners included) stays within
``span_max``.  Hires the rule does not allow are deferred to the next
month (served first there) or refused, as the plan says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simsales.scenario.schema import HiringPlan, Team


@dataclass
class HiringLedger:
    """What the span rule did with a plan, month by month (decision months)."""

    months: list[str]
    requested: np.ndarray
    made: np.ndarray
    deferred: np.ndarray
    refused: np.ndarray
    team_leads_made: np.ndarray
    cost_per_hire: float = 0.0
    # Joiners, in order: (join day, team lead index) of managers; join day of team leads.
    manager_joins: list[tuple[int, int]] = field(default_factory=list)
    team_lead_joins: list[int] = field(default_factory=list)


def team_capacity(
    team: Team,
    day: int,
    tl_join_day: np.ndarray,
    team_size: np.ndarray,
) -> np.ndarray:
    """How many hires each team lead can take in a month that opens on ``day``."""
    adapted = tl_join_day + team.lead_adaptation_days <= day
    room = np.maximum(team.span_max - team_size, 0)
    return np.where(adapted, np.minimum(team.hires_per_lead_month, room), 0)


def allocate(capacity: np.ndarray, n: int) -> list[int]:
    """Give ``n`` hires to team leads, one at a time to the one with most room left.

    Ties go to the lower index; returns the team lead of each hire made.
    """
    capacity = capacity.astype(np.int64).copy()
    leads = []
    for _ in range(n):
        best = int(np.argmax(capacity))
        if capacity[best] <= 0:
            break
        capacity[best] -= 1
        leads.append(best)
    return leads


def plan_requests(plan: HiringPlan, months: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Managers and team leads the plan asks for in each of ``months``."""
    managers = np.zeros(len(months), dtype=np.int64)
    leads = np.zeros(len(months), dtype=np.int64)
    for entry in plan.months:
        if entry.month in months:
            i = months.index(entry.month)
            managers[i] += entry.managers
            leads[i] += entry.team_leads
    return managers, leads


def month_team_sizes(
    n_leads: int, team_lead: list[int], leave_day: list[int], day: int
) -> np.ndarray:
    """Managers per team lead who have not left by ``day`` (joiners included)."""
    alive = [tl for tl, leave in zip(team_lead, leave_day, strict=True) if leave > day]
    return np.bincount(np.asarray(alive, dtype=np.int64), minlength=n_leads)
