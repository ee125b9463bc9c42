"""The team of one replication under one hiring plan: who works when, how well.

The roster is computed before the lead dynamics, day by day, because
nothing in it depends on the leads: hires, attrition, ramp-up slowed by
the team lead's ``coaching_load``, and the conversion penalty on the rest of
the team.  Both engines read the same roster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simsales.scenario import HiringPlan, Scenario, Team
from simsales.scenario.uncertain import value
from simsales.world.calendar import DAYS_PER_MONTH, MINUTES_PER_DAY, month_starts, shift_windows
from simsales.world.hiring import HiringLedger, allocate, month_team_sizes, plan_requests, team_capacity
from simsales.world.ramp import MIN_THROUGHPUT, RampWalk, walk_days
from simsales.world.ramp_months import walk_days_months

NEVER = 10**9  # leave_day of a manager who stays


def leave_after(tenure0: float, budget: float, team: Team) -> float:
    """Days until a manager with ``tenure0`` days leaves, given an Exp(1) hazard budget.

    The hazard is constant per day: ``-ln(1 - p) / 30.44`` with the
    probation probability for the first ``probation_days`` of tenure.

    Args:
        tenure0: the manager's tenure at the start, days.
        budget: their Exp(1) draw.
        team: the resolved team section (attrition).

    Returns:
        Days from the start (or from joining); inf if they never leave.
    """
    att = team.attrition
    h_prob = -math.log1p(-min(value(att.probation_monthly), 1 - 1e-12)) / DAYS_PER_MONTH
    h_norm = -math.log1p(-min(value(att.monthly), 1 - 1e-12)) / DAYS_PER_MONTH
    left_in_probation = max(0.0, att.probation_days - tenure0)
    if h_prob * left_in_probation >= budget:
        return budget / h_prob
    budget -= h_prob * left_in_probation
    return math.inf if h_norm == 0 else left_in_probation + budget / h_norm


@dataclass(frozen=True)
class Roster:
    """Managers and team leads over the horizon.  Days are 0-based indices.

    Attributes:
        team_lead: per manager (M), their team lead's index.
        join_day: per manager, the day they join (negative for the team at the start).
        leave_day: per manager, the first day gone (``NEVER`` if they stay).
        skill: per manager, the skill multiplier.
        throughput: per manager and day (M, D), the ramp factor on call speed.
        conversion: per manager and day, skill x ramp x team factor, on the
            offer probability.
        employed: per manager and day, on the payroll.
        onboarding: per manager and day, in onboarding (takes no leads).
        ramping: per manager and day, ramping up after onboarding.
        shift_start: per manager and day, the shift's start, minutes from the start.
        shift_end: likewise its end (equal to the start on days when the
            manager takes no leads).
        team_lead_join_day: per team lead, the day they join.
        coaching_load: per team lead and day, managers in onboarding or ramp.
        ledger: what the span rule did with the plan.
    """

    team_lead: np.ndarray
    join_day: np.ndarray
    leave_day: np.ndarray
    skill: np.ndarray
    throughput: np.ndarray
    conversion: np.ndarray
    employed: np.ndarray
    onboarding: np.ndarray
    ramping: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    team_lead_join_day: np.ndarray
    coaching_load: np.ndarray
    ledger: HiringLedger

    @property
    def n_managers(self) -> int:
        """Managers on the roster (M), leavers and hires included."""
        return len(self.join_day)

    @property
    def n_days(self) -> int:
        """Days in the horizon (D)."""
        return self.throughput.shape[1]


def _walk_days(team: Team, join: np.ndarray, leave: np.ndarray, skill: np.ndarray,
               tl: np.ndarray, n_tl: int, n_days: int, onboarding_days: int) -> RampWalk:
    """:func:`simsales.world.ramp.walk_days`, compiled for a ``months`` ramp (the roster's cost)."""
    if team.ramp.months is None:
        return walk_days(team, join, leave, skill, tl, n_tl, n_days, onboarding_days)
    co = team.coaching
    table = np.append(np.asarray(team.ramp.months, dtype=float), 1.0)
    return walk_days_months(
        table, join.astype(np.int64), leave.astype(np.int64), skill.astype(float),
        tl.astype(np.int64), n_tl, n_days, onboarding_days, float(co.free_load),
        float(co.team_penalty), float(co.min_team_factor), float(co.ramp_slowdown), MIN_THROUGHPUT,
        DAYS_PER_MONTH)


def build_roster(
    scenario: Scenario, plan: HiringPlan, rng: np.random.Generator
) -> Roster:
    """The roster of one replication of ``plan`` (MODEL.md section 6).

    Random draws per manager (skill, attrition budget) come in creation
    order: the team at the start first, then each hire, so the k-th manager
    gets the same draws under every plan (common random numbers).

    Args:
        scenario: the resolved scenario.
        plan: the hiring plan.
        rng: the replication's team stream.

    Returns:
        The team, day by day.
    """
    team, n_days = scenario.team, scenario.horizon_days
    tl_join = [-t.tenure_days for t in team.team_leads]
    tl_names = [t.name for t in team.team_leads]
    mgr_tl: list[int] = []
    mgr_join: list[int] = []
    mgr_leave: list[int] = []
    skills: list[float] = []

    def add_manager(tl_index: int, join_day: int) -> None:
        skills.append(max(0.0, float(team.skill.sample(rng))))
        budget = float(rng.exponential())
        after = leave_after(max(0.0, -join_day), budget, team)
        start = max(join_day, 0)
        mgr_tl.append(tl_index)
        mgr_join.append(join_day)
        mgr_leave.append(NEVER if math.isinf(after) else min(start + math.ceil(after), NEVER))

    for group in team.managers:
        for _ in range(group.count):
            add_manager(tl_names.index(group.team_lead), -group.tenure_days)

    months = month_starts(scenario.start, n_days)
    labels = [label for label, _ in months]
    want_m, want_tl = plan_requests(plan, labels)
    zeros = np.zeros(len(months), dtype=np.int64)
    ledger = HiringLedger(labels, want_m.copy(), zeros.copy(), zeros.copy(), zeros.copy(),
                          zeros.copy(), cost_per_hire=plan.cost_per_hire)
    carried = 0
    for i, (_, day) in enumerate(months):
        sizes = month_team_sizes(len(tl_join), mgr_tl, mgr_leave, day)
        capacity = team_capacity(team, day, np.asarray(tl_join), sizes)
        new = int(want_m[i])
        leads = allocate(capacity, carried + new)
        from_carried = min(carried, len(leads))
        blocked_new = new - (len(leads) - from_carried)
        if plan.on_cap == "defer":
            ledger.deferred[i] = blocked_new
            carried = carried - from_carried + blocked_new
        else:
            ledger.refused[i] = blocked_new
        ledger.made[i] = len(leads)
        join = day + plan.time_to_hire_days
        for tl_index in leads:
            add_manager(tl_index, join)
            ledger.manager_joins.append((join, tl_index))
        for _ in range(int(want_tl[i])):
            tl_join.append(join)
            ledger.team_lead_joins.append(join)
        ledger.team_leads_made[i] = int(want_tl[i])

    join = np.asarray(mgr_join, dtype=np.int64)
    leave = np.asarray(mgr_leave, dtype=np.int64)
    skill = np.asarray(skills, dtype=float)
    tl = np.asarray(mgr_tl, dtype=np.int64)
    onboarding_days = scenario.routing.onboarding_days
    throughput, conversion, employed, onboarding, ramping, load = _walk_days(
        team, join, leave, skill, tl, len(tl_join), n_days, onboarding_days
    )
    starts, ends = shift_windows(team.shifts, scenario.calendar, scenario.start, n_days, len(join))
    takes_leads = employed & ~onboarding
    ends = np.where(takes_leads, ends, starts)
    # A shift past midnight into a leaver's first day gone ends at that midnight.
    ends = np.maximum(np.minimum(ends, leave[:, None] * MINUTES_PER_DAY), starts)
    return Roster(
        team_lead=tl, join_day=join, leave_day=leave, skill=skill,
        throughput=throughput, conversion=conversion, employed=employed,
        onboarding=onboarding, ramping=ramping, shift_start=starts, shift_end=ends,
        team_lead_join_day=np.asarray(tl_join, dtype=np.int64), coaching_load=load,
        ledger=ledger,
    )
