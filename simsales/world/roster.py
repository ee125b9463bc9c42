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

from simsales.scenario.schema import HiringPlan, Ramp, Scenario, Team
from simsales.scenario.uncertain import value
from simsales.world.calendar import DAYS_PER_MONTH, month_starts, shift_windows
from simsales.world.hiring import HiringLedger, allocate, month_team_sizes, plan_requests, team_capacity

MIN_THROUGHPUT = 0.05  # a ramp factor below this would make calls take forever
NEVER = 10**9  # leave_day of a manager who stays


def ramp_factor(ramp: Ramp, tenure_days: np.ndarray) -> np.ndarray:
    """Productivity (0..1] at the given ramp-clock tenure (days)."""
    tenure = np.asarray(tenure_days, dtype=float)
    if ramp.months is not None:
        table = np.append(np.asarray(ramp.months, dtype=float), 1.0)
        month = np.clip((tenure // DAYS_PER_MONTH).astype(np.int64), 0, len(table) - 1)
        return table[month]
    mid, width = ramp.logistic["midpoint_days"], ramp.logistic["width_days"]
    factor = 1.0 / (1.0 + np.exp(-(tenure - mid) / width))
    return np.where(tenure >= mid + 3.0 * width, 1.0, factor)


def leave_after(tenure0: float, budget: float, team: Team) -> float:
    """Days until a manager with ``tenure0`` days leaves, given an Exp(1) hazard budget.

    The hazard is constant per day: ``-ln(1 - p) / 30.44`` with the
    probation probability for the first ``probation_days`` of tenure.
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

    Per manager (M): ``team_lead``, ``join_day`` (negative for the team at the
    start), ``leave_day`` (first day gone; a large value if they stay),
    ``skill``.  Per manager and day (M, D): ``throughput`` (ramp factor, on
    call speed), ``conversion`` (skill x ramp x team factor, on the offer
    probability), ``onboarding``/``ramping`` flags, and the shift window
    ``shift_start``/``shift_end`` in absolute minutes (equal on days when the
    manager takes no leads).
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
        return len(self.join_day)

    @property
    def n_days(self) -> int:
        return self.throughput.shape[1]


def _daily_ramp(team: Team, join: np.ndarray, leave: np.ndarray, skill: np.ndarray,
                tl: np.ndarray, n_tl: int, n_days: int, onboarding_days: int):
    """Walk the days: ramp clocks, coaching load and the factors it drives."""
    if team.ramp.months is not None:  # the same arithmetic, compiled (it was the roster's cost)
        from simsales.world.ramp_walk import daily_ramp_months

        co = team.coaching
        table = np.append(np.asarray(team.ramp.months, dtype=float), 1.0)
        return daily_ramp_months(
            table, join.astype(np.int64), leave.astype(np.int64), skill.astype(float),
            tl.astype(np.int64), n_tl, n_days, onboarding_days, float(co.free_load),
            float(co.team_penalty), float(co.min_team_factor), float(co.ramp_slowdown))
    m = len(join)
    clock = np.where(join < 0, -join, 0).astype(float)  # ramp-clock tenure at day 0
    shape = (m, n_days)
    throughput, conversion = np.zeros(shape), np.zeros(shape)
    employed, onboarding, ramping = (np.zeros(shape, bool) for _ in range(3))
    load = np.zeros((n_tl, n_days))
    co = team.coaching
    for d in range(n_days):
        emp = (join <= d) & (leave > d)
        ramp = ramp_factor(team.ramp, clock)
        onb = emp & (d - join < onboarding_days)
        rmp = emp & (ramp < 1.0)
        load[:, d] = np.bincount(tl[onb | rmp], minlength=n_tl)
        excess = np.maximum(load[:, d] - co.free_load, 0.0)
        team_factor = np.maximum(co.min_team_factor, 1.0 - co.team_penalty * excess)
        throughput[:, d] = np.where(emp, np.maximum(ramp, MIN_THROUGHPUT), 0.0)
        conversion[:, d] = np.where(
            emp, skill * ramp * np.where(onb | rmp, 1.0, team_factor[tl]), 0.0
        )
        employed[:, d], onboarding[:, d], ramping[:, d] = emp, onb, rmp & ~onb
        speed = 1.0 / (1.0 + co.ramp_slowdown * excess[tl])
        clock = np.where(emp, clock + np.where(rmp, speed, 1.0), clock)
    return throughput, conversion, employed, onboarding, ramping, load


def build_roster(
    scenario: Scenario, plan: HiringPlan, rng: np.random.Generator
) -> Roster:
    """The roster of one replication of ``plan``; ``scenario`` must be resolved.

    Random draws per manager (skill, attrition budget) come in creation
    order: the team at the start first, then each hire, so the k-th manager
    gets the same draws under every plan (common random numbers).
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
    throughput, conversion, employed, onboarding, ramping, load = _daily_ramp(
        team, join, leave, skill, tl, len(tl_join), n_days, onboarding_days
    )
    starts, ends = shift_windows(team.shifts, scenario.calendar, scenario.start, n_days, len(join))
    takes_leads = employed & ~onboarding
    ends = np.where(takes_leads, ends, starts)
    return Roster(
        team_lead=tl, join_day=join, leave_day=leave, skill=skill,
        throughput=throughput, conversion=conversion, employed=employed,
        onboarding=onboarding, ramping=ramping, shift_start=starts, shift_end=ends,
        team_lead_join_day=np.asarray(tl_join, dtype=np.int64), coaching_load=load,
        ledger=ledger,
    )
