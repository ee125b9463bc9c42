"""The decision space of `simsales optimize`: hiring plans the span rule allows as written.

A :class:`Candidate` is a decision: managers (and, with ``--team-leads``,
team leads) hired per month of the horizon.  :class:`Space` knows which
candidates are allowed, and builds only those:

* **The span rule, by construction.**  Month by month, the hires must fit
  in the room :func:`~simsales.world.hiring.team_capacity` gives (adapted
  team leads, ``hires_per_lead_month``, ``span_max``), placed one by one by
  :func:`~simsales.world.hiring.allocate`, the very functions the roster
  runs, on the team *with nobody leaving*.  A manager who leaves only ever
  frees room, so such a candidate is never deferred or refused while every
  team lead stays (``tests/test_optimize.py`` runs candidates through
  :func:`~simsales.world.roster.build_roster` to check it).  A team lead
  who leaves moves their managers into the others' room; the optimiser
  checks the candidates it simulates on worlds where leads leave too
  (:class:`~simsales.analysis.optimize_targets.Worlds`) and reports how
  often the span rule deferred a hire in the replications.  Plans that lean
  on leavers freeing room (``hire 6, then 6``) are outside this space; the
  headcount targets (``headcount: N``, ``backfill``) express them, as another
  kind of decision (:mod:`~simsales.analysis.optimize_targets`).
* **The user's limits**: the months hires may open in, at most
  ``max_hires_per_month`` hires (managers and team leads) a month, a
  headcount ceiling (managers, with nobody leaving: a guarantee), and a
  budget on the hires' committed cost (:meth:`Space.cost`).

A month is a decision month when its hires join inside the horizon (a hire
who joins after it costs nothing and does nothing there).  Team leads may
be hired in a month only when they would finish ``lead_adaptation_days`` by
the start of a later decision month (otherwise they cannot take a hire in
the horizon), at most :data:`MAX_TEAM_LEADS_PER_MONTH` a month.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from simsales.analysis.optimize_decision import Candidate, HiringTerms, Limits, hiring_terms
from simsales.scenario import Scenario
from simsales.world.calendar import month_starts
from simsales.world.hiring import allocate, team_capacity

__all__ = ["ENUMERATION_LIMIT", "MAX_TEAM_LEADS_PER_MONTH", "PER_DAY", "Candidate", "HiringTerms",
           "Limits", "Space", "hiring_terms"]

MAX_TEAM_LEADS_PER_MONTH = 1
"""Team leads a candidate may hire in one month (``--team-leads``)."""
ENUMERATION_LIMIT = 1500
"""The most candidates scored one by one; above it the space is searched on a coarser grid, then refined."""
PER_DAY = 12.0 / 365.25
"""Months of salary per day employed (as :mod:`simsales.montecarlo.metrics` pays it)."""


class Space:
    """The candidates a scenario allows under the span rule and the user's limits.

    Args:
        scenario: the scenario (team, horizon, salaries).
        terms: the hiring terms candidates use.
        limits: the user's limits.

    Raises:
        ValueError: a month of ``limits.months`` is not in the horizon or its
            hires would join after it (the message says which).
    """

    def __init__(self, scenario: Scenario, terms: HiringTerms, limits: Limits) -> None:
        self.team, self.terms, self.limits = scenario.team, terms, limits
        self.horizon_days = scenario.horizon_days
        starts = month_starts(scenario.start, scenario.horizon_days)
        self.months = [label for label, _ in starts]
        self.days = [day for _, day in starts]
        joins_inside = [day + terms.time_to_hire_days < self.horizon_days for day in self.days]
        if limits.months is not None:
            for month in limits.months:
                if month not in self.months:
                    raise ValueError(f"{month} is not a month of the horizon ({', '.join(self.months)})")
                i = self.months.index(month)
                if not joins_inside[i]:
                    raise ValueError(f"hires opened in {month} join on day {self.join_day(i)}, after the "
                                     f"{self.horizon_days}-day horizon")
        allowed = limits.months or self.months
        self.decision = [ok and m in allowed for m, ok in zip(self.months, joins_inside, strict=True)]
        adapted = [self.join_day(i) + self.team.lead_adaptation_days for i in range(len(self.months))]
        self.lead_months = [limits.team_leads and self.decision[i]
                            and any(self.decision[j] and self.days[j] >= adapted[i]
                                    for j in range(i + 1, len(self.months)))
                            for i in range(len(self.months))]
        self.managers_at_start = sum(g.count for g in self.team.managers)
        eco = scenario.economics
        self.salary = (eco.manager_salary_month, eco.team_lead_salary_month)

    # -- what a hire commits ---------------------------------------------------

    def join_day(self, month: int) -> int:
        """The day a hire opened in month ``month`` (index) joins."""
        return self.days[month] + self.terms.time_to_hire_days

    def hire_cost(self, month: int, team_lead: bool = False) -> float:
        """What one hire opened in month ``month`` commits: cost per hire plus salary to the horizon's end.

        Args:
            month: the month's index in the horizon.
            team_lead: a team lead (else a manager).

        Returns:
            Money (scenario's currency): the salary is paid for every day from
            joining to the end of the horizon, as if the hire never leaves
            (commissions, a share of revenue, are not counted).
        """
        days = max(0, self.horizon_days - self.join_day(month))
        return self.terms.cost_per_hire + self.salary[int(team_lead)] * PER_DAY * days

    def cost(self, c: Candidate) -> float:
        """The candidate's committed hiring budget: :meth:`hire_cost` of every hire, money."""
        return sum(a * self.hire_cost(i) + b * self.hire_cost(i, True)
                   for i, (a, b) in enumerate(zip(c.managers, c.team_leads, strict=True)))

    # -- feasibility ---------------------------------------------------------------

    def _start(self) -> tuple[list[int], np.ndarray]:
        names = [t.name for t in self.team.team_leads]
        sizes = np.zeros(len(names), dtype=np.int64)
        for group in self.team.managers:
            sizes[names.index(group.team_lead)] += group.count
        return [-t.tenure_days for t in self.team.team_leads], sizes

    def _room(self, month: int, tl_join: list[int], sizes: np.ndarray) -> np.ndarray:
        return team_capacity(self.team, self.days[month], np.asarray(tl_join, dtype=np.int64), sizes)

    @staticmethod
    def _place(capacity: np.ndarray, tl_join: list[int], sizes: np.ndarray, managers: int,
               team_leads: int, join: int) -> tuple[list[int], np.ndarray] | None:
        placed = allocate(capacity, managers)
        if len(placed) < managers:
            return None
        sizes = sizes + np.bincount(np.asarray(placed, dtype=np.int64), minlength=len(sizes))
        return tl_join + [join] * team_leads, np.append(sizes, np.zeros(team_leads, dtype=np.int64))

    def check(self, c: Candidate) -> str | None:
        """Why a candidate is not allowed, or None when it is.

        Args:
            c: the candidate.

        Returns:
            The first rule it breaks, in words, or None.
        """
        n = len(self.months)
        if len(c.managers) != n or len(c.team_leads) != n or min(c.managers + c.team_leads) < 0:
            return f"expected {n} months of hires >= 0"
        tl_join, sizes = self._start()
        headcount = self.managers_at_start
        for i, (a, b) in enumerate(zip(c.managers, c.team_leads, strict=True)):
            if (a and not self.decision[i]) or (b and not self.lead_months[i]):
                return f"{self.months[i]} is not a month to hire in"
            if b > MAX_TEAM_LEADS_PER_MONTH:
                return f"{self.months[i]}: more than {MAX_TEAM_LEADS_PER_MONTH} team leads"
            cap = self.limits.max_hires_per_month
            if cap is not None and a + b > cap:
                return f"{self.months[i]}: {a + b} hires, more than --max-hires-per-month {cap}"
            headcount += a
            if self.limits.max_headcount is not None and headcount > self.limits.max_headcount:
                return f"{self.months[i]}: {headcount} managers, more than --max-headcount"
            placed = self._place(self._room(i, tl_join, sizes), tl_join, sizes, a, b, self.join_day(i))
            if placed is None:
                return f"{self.months[i]}: {a} hires do not fit the span rule"
            tl_join, sizes = placed
        if self.limits.budget is not None and self.cost(c) > self.limits.budget:
            return "over the budget"
        return None

    # -- building candidates ---------------------------------------------------------

    def zero(self) -> Candidate:
        """Hire nobody."""
        n = len(self.months)
        return Candidate((0,) * n, (0,) * n)

    def _most(self, i: int, room: np.ndarray, headcount: int, spent: float, team_leads: int) -> int:
        """The most managers month ``i`` allows, given the room, the headcount and the money spent."""
        if not self.decision[i]:
            return 0
        most = int(room.sum())
        if self.limits.max_hires_per_month is not None:
            most = min(most, self.limits.max_hires_per_month - team_leads)
        if self.limits.max_headcount is not None:
            most = min(most, self.limits.max_headcount - headcount)
        if self.limits.budget is not None:
            left = self.limits.budget - spent - team_leads * self.hire_cost(i, True)
            each = self.hire_cost(i)
            most = min(most, int(left // each) if each > 0 else most)
        return max(most, 0)

    def greedy_max(self) -> Candidate:
        """Managers only, as many as allowed in each month, the earliest first.

        Hiring the most each month gives the most managers at every date:
        one fewer now frees at most one place later.
        """
        tl_join, sizes = self._start()
        headcount, spent, managers = self.managers_at_start, 0.0, []
        for i in range(len(self.months)):
            room = self._room(i, tl_join, sizes)
            a = self._most(i, room, headcount, spent, 0)
            placed = self._place(room, tl_join, sizes, a, 0, self.join_day(i))
            assert placed is not None  # _most never asks for more than the room
            tl_join, sizes = placed
            headcount, spent = headcount + a, spent + a * self.hire_cost(i)
            managers.append(a)
        return Candidate(tuple(managers), (0,) * len(self.months))

    def enumerate(self, step: int = 1, limit: int | None = ENUMERATION_LIMIT) -> list[Candidate] | None:
        """Every allowed candidate, managers per month on a grid of ``step`` (and each month's most).

        Args:
            step: the grid's step, managers (1: every candidate).
            limit: give up above this many (None: no limit).

        Returns:
            The candidates, in a fixed order; None when there are more than ``limit``.
        """
        found: list[Candidate] = []
        for c in self._walk(0, *self._start(), self.managers_at_start, 0.0, (), (), step):
            found.append(c)
            if limit is not None and len(found) > limit:
                return None
        return found

    def _walk(self, i: int, tl_join: list[int], sizes: np.ndarray, headcount: int, spent: float,
              managers: tuple[int, ...], leads: tuple[int, ...], step: int) -> Iterator[Candidate]:
        if i == len(self.months):
            yield Candidate(managers, leads)
            return
        room = self._room(i, tl_join, sizes)
        for b in range(MAX_TEAM_LEADS_PER_MONTH + 1 if self.lead_months[i] else 1):
            tl_cost = b * self.hire_cost(i, True)
            if self.limits.budget is not None and spent + tl_cost > self.limits.budget:
                break
            most = self._most(i, room, headcount, spent, b)
            if most < 0 or (self.limits.max_hires_per_month is not None
                            and b > self.limits.max_hires_per_month):
                break
            for a in sorted({*range(0, most + 1, step), most}):
                placed = self._place(room, tl_join, sizes, a, b, self.join_day(i))
                if placed is None:
                    break
                yield from self._walk(i + 1, *placed, headcount + a, spent + tl_cost + a * self.hire_cost(i),
                                      (*managers, a), (*leads, b), step)

    def neighbours(self, c: Candidate, step: int = 1) -> list[Candidate]:
        """The allowed candidates one move away.

        A move is ``step`` managers more or fewer in a month, ``step``
        managers moved from one month to another, or one team lead more or fewer.

        Args:
            c: the candidate.
            step: managers per move.

        Returns:
            The allowed neighbours, in a fixed order, without duplicates.
        """
        n = len(self.months)
        moves: list[tuple[list[int], list[int]]] = []
        for i in range(n):
            for delta in (step, -step):
                m = list(c.managers)
                m[i] += delta
                moves.append((m, list(c.team_leads)))
            for j in range(n):
                if j != i:
                    m = list(c.managers)
                    m[i], m[j] = m[i] - step, m[j] + step
                    moves.append((m, list(c.team_leads)))
            for delta in (1, -1):
                t = list(c.team_leads)
                t[i] += delta
                moves.append((list(c.managers), t))
        out = dict.fromkeys(Candidate(tuple(m), tuple(t)) for m, t in moves)
        return [x for x in out if x != c and self.check(x) is None]
