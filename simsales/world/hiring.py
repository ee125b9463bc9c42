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

from simsales.scenario import HiringPlan, Team


@dataclass
class HiringLedger:
    """What the span rule did with a plan, month by month (decision months).

    Attributes:
        months: the months, ``'YYYY-MM'``.
        requested: managers the plan asked for, per month.
        made: managers hired, per month.
        deferred: hires moved to the next month by the rule, per month.
        refused: hires the rule refused, per month.
        team_leads_made: team leads hired, per month.
        cost_per_hire: money per hire (scenario's currency).
        manager_joins: ``(join day, team lead index)`` of each manager hired, in order
            (standbys, the conditional replacements of probationers, not included).
        team_lead_joins: join day of each team lead hired, in order.
        promotions: managers made team leads, per month.
        open_end: hires deferred and never made by the horizon's end.
        open_month: hires deferred and not yet made at each month's end.
        lead_month_hires: hires (standbys included) per team lead and month, ``(L, months)``.

    In plans with ``headcount`` months, ``requested`` is what the target
    took (hires made plus those blocked); with ``backfill``, it includes
    one vacancy per leaver, in the month they leave.
    """

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
    promotions: np.ndarray | None = None
    open_end: int = 0
    open_month: np.ndarray | None = None
    lead_month_hires: np.ndarray | None = None


def team_capacity(
    team: Team,
    day: int,
    tl_join_day: np.ndarray,
    team_size: np.ndarray,
) -> np.ndarray:
    """How many hires each team lead can take in a month that opens on ``day``.

    Args:
        team: the resolved team section (span rule).
        day: the month's first day (index).
        tl_join_day: each team lead's join day (negative: before the start).
        team_size: each team lead's managers who have not left by ``day``.

    Returns:
        Hires per team lead (0 for a lead still in adaptation).
    """
    adapted = tl_join_day + team.lead_adaptation_days <= day
    room = np.maximum(team.span_max - team_size, 0)
    return np.where(adapted, np.minimum(team.hires_per_lead_month, room), 0)


def allocate(capacity: np.ndarray, n: int) -> list[int]:
    """Give ``n`` hires to team leads, one at a time to the one with most room left.

    Args:
        capacity: hires each team lead can take.
        n: hires wanted.

    Returns:
        The team lead of each hire made (ties go to the lower index); fewer
        than ``n`` if the room runs out.
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
    """Managers and team leads the plan asks for in each of ``months``.

    Args:
        plan: the hiring plan.
        months: the horizon's months, ``'YYYY-MM'``.

    Returns:
        ``(managers, team_leads)`` per month.
    """
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
    """Managers per team lead who have not left by ``day`` (joiners included).

    Args:
        n_leads: team leads.
        team_lead: each manager's team lead.
        leave_day: each manager's first day gone.
        day: the day (index).

    Returns:
        Managers per team lead, ``(n_leads,)``.
    """
    alive = [tl for tl, leave in zip(team_lead, leave_day, strict=True) if leave > day]
    return np.bincount(np.asarray(alive, dtype=np.int64), minlength=n_leads)
