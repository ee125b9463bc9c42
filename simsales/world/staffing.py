"""Who is on the team under a plan, in creation order: the plan run day by day (MODEL.md section 6).

:class:`Staffing` runs a hiring plan as a queue of dated events, earliest
first (and on one day: team leads leaving, then the month's decisions,
then the vacancies leavers open):

* a month's decisions, on its first day: promotions, managers waiting for a
  team lead placed where there is room, then hires (``managers: N``, or what
  ``headcount: N`` takes, hires deferred from earlier months first) and
  team-lead hires;
* a team lead leaves: their managers move to the team lead with the most room
  within ``span_max``, or wait unassigned (:mod:`simsales.world.team_leads`);
* a manager leaves in a ``backfill`` plan: a vacancy opens that day.

Every vacancy goes through the span rule (:mod:`simsales.world.hiring`).
Managers get their draws as they are created, from the team stream as
before (skill, then the attrition budget), and their probation draw from a
stream of its own; team leads their attrition budget from a third.  Plans
without the new rules create the same managers in the same order as
before, so their numbers do not move.  Days are 0-based indices.
"""

from __future__ import annotations

import bisect
import heapq
import math

import numpy as np

from simsales.scenario import HiringPlan, Scenario, Team
from simsales.scenario.uncertain import value
from simsales.world.calendar import DAYS_PER_MONTH, month_starts
from simsales.world.headcount import backfill_vacancy, headcount_month
from simsales.world.hiring import HiringLedger, allocate, plan_requests
from simsales.world.team_leads import lead_leaves, place_waiting, promote

__all__ = ["NEVER", "Staffing", "leave_after"]

NEVER = 10**9  # leave_day of a manager who stays

# Event kinds, in their order on one day.
LEAD_LEAVES, MONTH, VACANCY = 0, 1, 2


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


class Staffing:
    """The roster's people while a plan runs: lists in creation order, and the events still to come.

    Attributes (managers, in creation order): ``team_lead`` (their lead when
    created), ``cur_tl`` (their lead now, -1 waiting), ``join``, ``leave``
    (first day gone: leaving, or promotion), ``base_skill`` (before hire
    quality), ``fire_draw``, ``standby_for`` (-1, or the probationer a
    standby replaces if let go), ``promoted_day`` (-1 if not), ``hire_month``
    (the month index of their vacancy, -1 for the team at the start);
    ``moves``: ``(manager, day, new lead or -1)``.  Team leads:
    ``tl_join``, ``tl_leave``, ``tl_from`` (the manager promoted, -1: hired).  ``hired[k][i]``: hires
    (standbys included) of team lead k in month i.
    """

    def __init__(self, scenario: Scenario, plan: HiringPlan, rng: np.random.Generator) -> None:
        """Start from the team at the start; nothing of the plan has run yet.

        Args:
            scenario: the resolved scenario.
            plan: the hiring plan.
            rng: the replication's team stream.
        """
        self.team, self.plan, self.rng = scenario.team, plan, rng
        self.horizon = scenario.horizon_days
        probation_rng, lead_rng = rng.spawn(2)  # streams of their own: rng's draws stay as they were
        self.probation_rng, self.lead_rng = probation_rng, lead_rng
        self.months = month_starts(scenario.start, self.horizon)
        self.month_days = [day for _, day in self.months]
        labels = [label for label, _ in self.months]
        self.want_m, self.want_tl = plan_requests(plan, labels)
        self.entries = {e.month: e for e in plan.months}
        self.labels = labels
        zeros = np.zeros(len(self.months), dtype=np.int64)
        self.ledger = HiringLedger(labels, self.want_m.copy(), zeros.copy(), zeros.copy(), zeros.copy(),
                                   zeros.copy(), cost_per_hire=plan.cost_per_hire)
        self.ledger.promotions = zeros.copy()
        self.replaces = plan.backfill or any(e.headcount is not None for e in plan.months)
        self.team_lead: list[int] = []
        self.cur_tl: list[int] = []
        self.join: list[int] = []
        self.leave: list[int] = []
        self.base_skill: list[float] = []
        self.fire_draw: list[float] = []
        self.standby_for: list[int] = []
        self.promoted_day: list[int] = []
        self.hire_month: list[int] = []
        self.moves: list[tuple[int, int, int]] = []
        self.tl_join: list[int] = []
        self.tl_leave: list[int] = []
        self.tl_from: list[int] = []
        self.hired: list[dict[int, int]] = []
        self.carried = 0
        self._events: list[tuple[int, int, int, int, int]] = []
        self._seq = 0
        names = [t.name for t in self.team.team_leads]
        for lead in self.team.team_leads:
            self.add_team_lead(-lead.tenure_days)
        for group in self.team.managers:
            for _ in range(group.count):
                self.add_manager(names.index(group.team_lead), -group.tenure_days)

    # --- people --------------------------------------------------------------------------

    def add_manager(self, tl: int, join_day: int, hire_month: int = -1, standby_for: int = -1) -> int:
        """Create a manager; their draws come now, in creation order.

        Args:
            tl: their team lead's index (-1: waiting for one).
            join_day: the day they join (negative for the team at the start).
            hire_month: the month index of their vacancy (-1: the team at the start).
            standby_for: -1, or the probationer this standby replaces if let go.

        Returns:
            The manager's index.
        """
        self.base_skill.append(max(0.0, float(self.team.skill.sample(self.rng))))
        budget = float(self.rng.exponential())
        after = leave_after(max(0.0, -join_day), budget, self.team)
        start = max(join_day, 0)
        self.fire_draw.append(float(self.probation_rng.random()))
        self.team_lead.append(tl)
        self.cur_tl.append(tl)
        self.join.append(join_day)
        self.leave.append(NEVER if math.isinf(after) else min(start + math.ceil(after), NEVER))
        self.standby_for.append(standby_for)
        self.promoted_day.append(-1)
        self.hire_month.append(hire_month)
        m = len(self.join) - 1
        self.open_vacancy(m)
        return m

    def open_vacancy(self, m: int) -> None:
        """In a ``backfill`` plan, queue the vacancy manager ``m`` opens on their first day gone.

        Standbys open none (they are on the team only if their probationer
        is let go, which the world does not know).
        """
        if self.plan.backfill and self.standby_for[m] < 0 and 0 <= self.leave[m] < self.horizon:
            self.push(self.leave[m], VACANCY, m)

    def add_team_lead(self, join_day: int, promoted_from: int = -1) -> int:
        """Create a team lead; their attrition draw comes now, from the team leads' stream.

        Args:
            join_day: the day they join (or are promoted; negative: before the start).
            promoted_from: the manager promoted from the floor (-1: hired, or there at the start).

        Returns:
            The team lead's index.
        """
        budget = float(self.lead_rng.exponential())
        p = value(self.team.attrition.team_lead_monthly)
        hazard = -math.log1p(-min(p, 1 - 1e-12)) / DAYS_PER_MONTH
        leave = NEVER if hazard == 0 else min(max(join_day, 0) + math.ceil(budget / hazard), NEVER)
        self.tl_join.append(join_day)
        self.tl_leave.append(max(leave, join_day + 1))
        self.tl_from.append(promoted_from)
        self.hired.append({})
        k = len(self.tl_join) - 1
        if self.tl_leave[k] < self.horizon:
            self.push(self.tl_leave[k], LEAD_LEAVES, k)
        return k

    def hire(self, day: int, month: int, leads: list[int]) -> list[int]:
        """Hires whose vacancies open on ``day`` (of ``month``), one per team lead in ``leads``.

        Each joins ``time_to_hire_days`` later; in a plan that replaces
        people, a hire on probation gets a standby (see :meth:`add_standby`).

        Args:
            day: the day the vacancies open.
            month: its month index.
            leads: the team lead of each hire (from :func:`~simsales.world.hiring.allocate`).

        Returns:
            The new managers' indices.
        """
        made = []
        for k in leads:
            m = self.add_manager(k, day + self.plan.time_to_hire_days, hire_month=month)
            self.hired[k][month] = self.hired[k].get(month, 0) + 1
            self.ledger.manager_joins.append((self.join[m], k))
            made.append(m)
            self.add_standby(m)
        return made

    def add_standby(self, p: int) -> None:
        """A conditional replacement for probationer ``p``, when the plan replaces people.

        The vacancy would open the day after ``p``'s probation decision
        (``join + probation_days``), under ``p``'s team lead, whose hires of
        that month it takes one of (so the span rule holds whether or not
        it is used); none if that month is full or outside the horizon.

        Args:
            p: the probationer.
        """
        pd = self.team.attrition.probation_days
        opens = self.join[p] + pd
        if not (self.replaces and self.team.probation is not None and pd > 0 and 0 <= opens < self.horizon):
            return
        k, month = self.cur_tl[p], self.month_of(opens)
        if k < 0 or self.hired[k].get(month, 0) >= self.team.hires_per_lead_month:
            return
        self.hired[k][month] = self.hired[k].get(month, 0) + 1
        self.add_manager(k, opens + self.plan.time_to_hire_days, hire_month=month, standby_for=p)

    # --- state ---------------------------------------------------------------------------

    def month_of(self, day: int) -> int:
        """The month index of a day in the horizon."""
        return bisect.bisect_right(self.month_days, day) - 1

    def month_end(self, month: int) -> int:
        """The last day of a month (index), within the horizon."""
        return self.month_days[month + 1] - 1 if month + 1 < len(self.month_days) else self.horizon - 1

    def sizes(self, day: int) -> np.ndarray:
        """Managers per team lead who have not left by ``day`` (joiners included, standbys not)."""
        alive = [tl for tl, leave, s in zip(self.cur_tl, self.leave, self.standby_for, strict=True)
                 if leave > day and tl >= 0 and s < 0]
        return np.bincount(np.asarray(alive, dtype=np.int64), minlength=len(self.tl_join))

    def present(self, day: int) -> np.ndarray:
        """Team leads on the team on ``day``."""
        return (np.asarray(self.tl_join) <= day) & (np.asarray(self.tl_leave) > day)

    def capacity(self, day: int, month: int) -> np.ndarray:
        """Hires each team lead can still take in ``month``, for vacancies opening on ``day``.

        Adapted (``lead_adaptation_days`` since joining), still on the team,
        fewer than ``hires_per_lead_month`` hires this month, and room within
        ``span_max``.
        """
        team = self.team
        tl_join = np.asarray(self.tl_join)
        adapted = (tl_join + team.lead_adaptation_days <= day) & (np.asarray(self.tl_leave) > day)
        room = np.maximum(team.span_max - self.sizes(day), 0)
        left = np.array([team.hires_per_lead_month - h.get(month, 0) for h in self.hired], dtype=np.int64)
        return np.where(adapted, np.maximum(np.minimum(left, room), 0), 0)

    def employed_at(self, day: int) -> int:
        """Managers employed on ``day`` as the world knows it (standbys not counted)."""
        return sum(1 for j, lv, s in zip(self.join, self.leave, self.standby_for, strict=True)
                   if j <= day < lv and s < 0)

    def move(self, m: int, day: int, tl: int) -> None:
        """Manager ``m`` (and their standby) belongs to team lead ``tl`` from ``day`` (-1: waiting)."""
        self.cur_tl[m] = tl
        self.moves.append((m, day, tl))
        for s, p in enumerate(self.standby_for):
            if p == m:
                self.cur_tl[s] = tl
                self.moves.append((s, day, tl))

    # --- the plan ------------------------------------------------------------------------

    def push(self, day: int, kind: int, who: int) -> None:
        """Queue an event: ``kind`` on ``day`` for ``who`` (a month, a team lead or a manager)."""
        heapq.heappush(self._events, (day, kind, self._seq, who, day))
        self._seq += 1

    def run(self) -> HiringLedger:
        """Run the plan over the horizon.

        Returns:
            The ledger: what the span rule did with every vacancy.
        """
        for i, day in enumerate(self.month_days):
            self.push(day, MONTH, i)
        self.ledger.open_month = np.zeros(len(self.month_days), dtype=np.int64)
        while self._events:
            day, kind, _, who, _ = heapq.heappop(self._events)
            if kind == MONTH:
                if who > 0:
                    self.ledger.open_month[who - 1] = self.carried
                self.decide_month(who, day)
            elif kind == LEAD_LEAVES:
                lead_leaves(self, who, day)
            elif self.leave[who] == day:  # a stale vacancy (the manager was promoted first) opens nothing
                backfill_vacancy(self, who, day)
        self.ledger.open_end = self.carried
        self.ledger.open_month[-1] = self.carried
        return self.ledger

    def decide_month(self, i: int, day: int) -> None:
        """A month's decisions on its first day: promotions, waiting managers, hires, team-lead hires.

        Args:
            i: the month's index.
            day: its first day.
        """
        entry = self.entries.get(self.labels[i])
        if entry is not None and entry.promote:
            self.ledger.promotions[i] = promote(self, day, i, entry.promote)
        place_waiting(self, day)
        if entry is not None and entry.headcount is not None:
            headcount_month(self, i, day, entry.headcount)
        else:
            self.hire_requested(i, day)
        join = day + self.plan.time_to_hire_days
        for _ in range(int(self.want_tl[i])):
            self.add_team_lead(join)
            self.ledger.team_lead_joins.append(join)
        self.ledger.team_leads_made[i] = int(self.want_tl[i])

    def hire_requested(self, i: int, day: int) -> None:
        """``managers: N`` (or no entry): hires deferred earlier first, then the month's N."""
        new = int(self.want_m[i])
        leads = allocate(self.capacity(day, i), self.carried + new)
        from_carried = min(self.carried, len(leads))
        self.settle(i, new - (len(leads) - from_carried), from_carried)
        self.hire(day, i, leads)
        self.ledger.made[i] += len(leads)

    def settle(self, i: int, blocked: int, from_carried: int = 0) -> None:
        """Book hires the span rule blocked in month ``i``: deferred to the next month, or refused.

        Args:
            i: the month index.
            blocked: this month's vacancies the rule did not allow.
            from_carried: earlier deferred hires made this month.
        """
        if self.plan.on_cap == "defer":
            self.ledger.deferred[i] += blocked
            self.carried = self.carried - from_carried + blocked
        else:
            self.ledger.refused[i] += blocked
            self.carried -= from_carried
