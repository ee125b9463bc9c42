"""The team of one replication under one hiring plan: who works when, how well.

The roster is computed before the lead dynamics, day by day, because
nothing in it depends on the leads: hires, attrition, ramp-up slowed by
the team lead's ``coaching_load``, and the conversion penalty on the rest of
the team.  Both engines read the same roster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.scenario import HiringPlan, Scenario, Team
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.calendar import DAYS_PER_MONTH, shift_windows
from simsales.world.hire_quality import with_hire_quality
from simsales.world.hiring import HiringLedger
from simsales.world.probation import fire_chances, probation_ends, ramped_from
from simsales.world.ramp import MIN_THROUGHPUT, RampWalk, walk_days
from simsales.world.ramp_months import walk_days_months
from simsales.world.staffing import NEVER, Staffing, leave_after
from simsales.world.team_leads import team_lead_by_day, unassigned_excess

__all__ = ["NEVER", "Roster", "build_roster", "leave_after", "shift_ties"]

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
        team_lead_join_day: per team lead, the day they join (or are promoted).
        coaching_load: per team lead and day, managers in onboarding or ramp.
        ledger: what the span rule did with the plan.
        team_lead_by_day: per manager and day, their team lead (-1: waiting for one).
        team_lead_leave_day: per team lead, the first day gone (``NEVER`` if they stay).
        team_lead_from: per team lead, the manager promoted into the post (-1: hired, or there at the start).
        promoted_day: per manager, the day they became a team lead (-1: never);
            their ``leave_day`` is that day.
        standby_for: per manager, -1, or the probationer whose being let go
            brings this standby in (:mod:`simsales.world.staffing`); a standby's
            arrays are those of a hire joining then, and count only if activated.
        probation_end: per manager, the minute of the probation decision (inf: none).
        fire_chance: per manager, the chance to be let go if below the bar, in [0, 1].
        fire_draw: per manager, their uniform draw for that decision, in [0, 1).
        ramped_from: per manager, the minute from which they count as ramped (inf: never).
        probation_bar: the bar, a share of the team's ramped average offers per shift hour.
        hire_month: per manager, the month index of their vacancy (-1: the team at the start).
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
    team_lead_by_day: np.ndarray
    team_lead_leave_day: np.ndarray
    team_lead_from: np.ndarray
    promoted_day: np.ndarray
    standby_for: np.ndarray
    probation_end: np.ndarray
    fire_chance: np.ndarray
    fire_draw: np.ndarray
    ramped_from: np.ndarray
    probation_bar: float
    hire_month: np.ndarray

    @property
    def team_lead_promoted(self) -> np.ndarray:
        """Per team lead, promoted from the floor (not hired): ``team_lead_from >= 0``."""
        return self.team_lead_from >= 0

    @property
    def n_managers(self) -> int:
        """Managers on the roster (M), leavers and hires included."""
        return len(self.join_day)

    @property
    def n_days(self) -> int:
        """Days in the horizon (D)."""
        return self.throughput.shape[1]


def _walk_days(team: Team, join: np.ndarray, leave: np.ndarray, skill: np.ndarray,
               tl: np.ndarray, n_tl: int, n_days: int, onboarding_days: int,
               counted: np.ndarray) -> RampWalk:
    """:func:`simsales.world.ramp.walk_days`, compiled for a ``months`` ramp (the roster's cost)."""
    if team.ramp.months is None:
        return walk_days(team, join, leave, skill, tl, n_tl, n_days, onboarding_days, counted)
    co = team.coaching
    table = np.append(np.asarray(team.ramp.months, dtype=float), 1.0)
    return walk_days_months(
        table, join.astype(np.int64), leave.astype(np.int64), skill.astype(float),
        np.ascontiguousarray(tl, dtype=np.int64), n_tl, n_days, onboarding_days, float(co.free_load),
        float(co.team_penalty), float(co.min_team_factor), float(co.ramp_slowdown), MIN_THROUGHPUT,
        DAYS_PER_MONTH, np.ascontiguousarray(counted, dtype=np.bool_), unassigned_excess(team))


def shift_ties(team: Team, team_lead: np.ndarray) -> list[str | None] | None:
    """Each manager's first team lead's name, for shifts tied to teams (None: no shift names one).

    Args:
        team: the resolved team.
        team_lead: per manager, their first team lead's index.

    Returns:
        The ``team_leads`` argument of :func:`simsales.world.calendar.shift_windows`.
    """
    if all(sh.team_leads is None for sh in team.shifts):
        return None
    names = [t.name for t in team.team_leads]
    return [names[t] if 0 <= t < len(names) else None for t in team_lead]


def build_roster(
    scenario: Scenario, plan: HiringPlan, rng: np.random.Generator
) -> Roster:
    """The roster of one replication of ``plan`` (MODEL.md section 6).

    Random draws per manager (skill, attrition budget) come in creation
    order: the team at the start first, then each hire as the plan makes
    it, so the k-th manager gets the same draws under every plan (common
    random numbers); probation draws and team leads' attrition come from
    streams of their own (:class:`simsales.world.staffing.Staffing`).

    Args:
        scenario: the resolved scenario.
        plan: the hiring plan.
        rng: the replication's team stream.

    Returns:
        The team, day by day.
    """
    team, n_days = scenario.team, scenario.horizon_days
    staff = Staffing(scenario, plan, rng)
    ledger = staff.run()
    join = np.asarray(staff.join, dtype=np.int64)
    leave = np.asarray(staff.leave, dtype=np.int64)
    standby = np.asarray(staff.standby_for, dtype=np.int64)
    hire_month = np.asarray(staff.hire_month, dtype=np.int64)
    skill = with_hire_quality(team, np.asarray(staff.base_skill, dtype=float), hire_month, standby,
                              len(ledger.months))
    tl = np.asarray(staff.team_lead, dtype=np.int64)
    tl_by_day = team_lead_by_day(tl, staff.moves, n_days)
    n_tl = len(staff.tl_join)
    ledger.lead_month_hires = np.array([[h.get(i, 0) for i in range(len(ledger.months))]
                                        for h in staff.hired], dtype=np.int64).reshape(n_tl, -1)
    onboarding_days = scenario.routing.onboarding_days
    throughput, conversion, employed, onboarding, ramping, load = _walk_days(
        team, join, leave, skill, tl_by_day, n_tl, n_days, onboarding_days, standby < 0
    )
    starts, ends = shift_windows(team.shifts, scenario.calendar, scenario.start, n_days, len(join),
                                 shift_ties(team, tl))
    takes_leads = employed & ~onboarding
    ends = np.where(takes_leads, ends, starts)
    # A shift past midnight into a leaver's first day gone ends at that midnight.
    ends = np.maximum(np.minimum(ends, leave[:, None] * MINUTES_PER_DAY), starts)
    newcomer = onboarding | ramping
    probation_end = probation_ends(team, join, n_days)
    return Roster(
        team_lead=tl, join_day=join, leave_day=leave, skill=skill,
        throughput=throughput, conversion=conversion, employed=employed,
        onboarding=onboarding, ramping=ramping, shift_start=starts, shift_end=ends,
        team_lead_join_day=np.asarray(staff.tl_join, dtype=np.int64), coaching_load=load,
        ledger=ledger, team_lead_by_day=tl_by_day,
        team_lead_leave_day=np.asarray(staff.tl_leave, dtype=np.int64),
        team_lead_from=np.asarray(staff.tl_from, dtype=np.int64),
        promoted_day=np.asarray(staff.promoted_day, dtype=np.int64), standby_for=standby,
        probation_end=probation_end,
        fire_chance=fire_chances(team, join, probation_end, newcomer, tl_by_day, load),
        fire_draw=np.asarray(staff.fire_draw, dtype=float),
        ramped_from=ramped_from(team, join, employed, newcomer, onboarding_days),
        probation_bar=float(team.probation.bar) if team.probation is not None else 0.0,
        hire_month=hire_month,
    )
