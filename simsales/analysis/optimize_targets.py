"""Headcount targets as decisions of `simsales optimize`: ``headcount: N`` per month and ``backfill``.

A :class:`Target` is a plan of the forms a head of sales writes (issue 13):
in some months ``headcount: N`` (hire what it takes to have N managers
employed on the month's last day, the leavers known by then included), and
``backfill: true`` or not (every leaver replaced after the time to hire).
Its hires depend on who leaves, so they cannot be checked once on the team
with nobody leaving, as a hire-N candidate is.  Instead the plan is run
through the normal hiring code (:func:`~simsales.world.roster.build_roster`,
that is :class:`~simsales.world.staffing.Staffing`) on three deterministic
*check worlds* (:class:`Worlds`), every uncertain number at its mean:

* **nobody leaving**;
* **the expected leavers**: every manager's (and team lead's) leaving draw
  at a stratified quantile (:class:`QuantileDraws`), so that about the
  expected number leave, at the attrition rates' means;
* **1.5 times the leavers**: the same with every attrition hazard x
  :data:`~simsales.analysis.optimize_worlds.STRESS` (a rate drawn as ``{beta: [4, 96]}``, mean 4%, is above 6%
  in about one replication in five).

A target plan is a candidate only when the span rule (``span_max``,
``hires_per_lead_month``, ``lead_adaptation_days``) defers or refuses none of
its hires in any of the three; infeasible ones are never simulated.  A
replication with more leavers than the third world may still defer a
replacement; the optimiser reports the share of replications in which the
span rule did (``deferred_share``).

The user's limits, on the check worlds: ``--max-headcount`` caps every
target and the managers employed on any day in each world; ``--max-hires-
per-month`` the hires opened in any month of each world; ``--budget`` the
hires the expected world makes, each committing ``cost_per_hire`` plus the
salary from joining to the horizon's end (as
:meth:`~simsales.analysis.optimize_space.Space.hire_cost`); ``--months``
the months a target may be set in, and ``backfill`` (which hires in every
month) only without ``--months``.  Team leads are not hired by a target plan.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from simsales.analysis.optimize_model import ExpectedValueModel, Forecast
from simsales.analysis.optimize_space import PER_DAY, HiringTerms, Limits, Space
from simsales.analysis.optimize_worlds import Worlds
from simsales.scenario import HiringPlan, PlanMonth
from simsales.world.roster import Roster

__all__ = ["NODE_LIMIT", "Target", "TargetSpace", "as_target"]

NODE_LIMIT = 400
"""The most partial decisions :meth:`TargetSpace.enumerate` checks on one grid before a coarser one."""


@dataclass(frozen=True)
class Target:
    """A headcount-target decision: ``headcount: N`` in some months, and ``backfill`` or not.

    Attributes:
        targets: per month of the horizon, managers wanted on its last day (None: no target).
        backfill: every leaver opens a vacancy the day they go.
    """

    targets: tuple[int | None, ...]
    backfill: bool

    @property
    def key(self) -> tuple:
        """A total order with hire-N candidates (targets after them)."""
        return (1, tuple(-1 if t is None else t for t in self.targets), self.backfill)

    @property
    def name(self) -> str:
        """The plan's name in the runs."""
        parts = "-".join("x" if t is None else str(t) for t in self.targets)
        return ("keep" if not any(t is not None for t in self.targets) else f"target-{parts}") + (
            "-backfill" if self.backfill and any(t is not None for t in self.targets) else "")

    def rows(self, months: Sequence[str]) -> list[dict]:
        """The decision month by month: ``{"month", "headcount", "team_leads"}`` (None: no target)."""
        return [{"month": m, "headcount": t, "team_leads": 0}
                for m, t in zip(months, self.targets, strict=True)]

    def cells(self, months: Sequence[str]) -> str:
        """The table's short form: ``to 44 / to 48 / -`` and ``+ backfill``."""
        text = " / ".join("-" if t is None else f"to {t}" for t in self.targets)
        if not any(t is not None for t in self.targets):
            return "backfill"
        return text + ("\n+ backfill" if self.backfill else "")

    def describe(self, months: Sequence[str]) -> str:
        """In words: ``headcount 44 in 2026-07, 48 in 2026-08, backfill``."""
        parts = [f"{t} in {m}" for m, t in zip(months, self.targets, strict=True) if t is not None]
        words = "headcount " + ", ".join(parts) if parts else "backfill: keep the team"
        return words + (", backfill" if self.backfill and parts else "")

    def plan(self, name: str, months: Sequence[str], terms: HiringTerms, label: str = "") -> HiringPlan:
        """The decision as a hiring plan (``headcount`` months, ``backfill``), with the terms."""
        entries = [PlanMonth(month=m, headcount=t) for m, t in zip(months, self.targets, strict=True)
                   if t is not None]
        return HiringPlan(name=name, label=label or name, months=entries, backfill=self.backfill,
                          time_to_hire_days=terms.time_to_hire_days, cost_per_hire=terms.cost_per_hire,
                          on_cap=terms.on_cap)  # type: ignore[arg-type]  # one of the two names


class TargetSpace:
    """The headcount-target decisions the span rule allows on the check worlds, within the limits.

    Args:
        space: the hire-N space (months, terms, limits, the team at the start).
        model: the expected-value model.
    """

    def __init__(self, space: Space, model: ExpectedValueModel) -> None:
        self.space, self.model, self.worlds = space, model, Worlds(model)
        self.months, self.terms, self.limits = space.months, space.terms, space.limits
        self.start = space.managers_at_start
        self._checked: dict[Target, tuple[str | None, Roster | None]] = {}
        self._hold: Forecast | None = None
        self._hold_expected: Forecast | None = None
        greedy = space.greedy_max()
        self.most = [self.start + sum(greedy.managers[:i + 1]) for i in range(len(self.months))]
        self.target_months = [space.decision[i] for i in range(len(self.months))]
        self.backfill_allowed = limits_allow_backfill(self.limits)

    def keep(self) -> Target:
        """``backfill: true`` and nothing else: keep the team."""
        return Target((None,) * len(self.months), True)

    # -- feasibility ---------------------------------------------------------------------------

    def check(self, c: Target) -> str | None:
        """Why a target decision is not allowed (the first rule it breaks, in words), or None."""
        if c not in self._checked:
            self._checked[c] = self._check(c, len(self.months))
        return self._checked[c][0]

    def _check(self, c: Target, upto: int) -> tuple[str | None, Roster | None]:
        """:meth:`check` of the months before ``upto`` (later months' targets cannot change them)."""
        n = len(self.months)
        if len(c.targets) != n:
            return f"expected {n} months", None
        if upto == n and not any(t is not None for t in c.targets) and not c.backfill:
            return "hires nobody (a hire-N candidate)", None
        if c.backfill and not self.backfill_allowed:
            return "backfill hires in every month, and --months limits them", None
        cap = self.limits.max_headcount
        for i, t in enumerate(c.targets):
            if t is None:
                continue
            if not self.target_months[i]:
                return f"{self.months[i]} is not a month to hire in", None
            if cap is not None and t > cap:
                return f"{self.months[i]}: headcount {t}, more than --max-headcount {cap}", None
        plan = c.plan("check", self.months, self.terms)
        expected = None
        months = slice(0, upto)
        made = []
        end = self.space.days[upto] if upto < n else self.space.horizon_days
        for world in self.worlds.scenarios:
            roster = self.worlds.roster(world, plan)
            ledger = roster.ledger
            if ledger.deferred[months].any() or ledger.refused[months].any():
                return f"with {world}, the span rule defers or refuses a hire", None
            counted = roster.standby_for < 0
            if cap is not None and roster.employed[counted][:, :end].sum(axis=0).max() > cap:
                return f"with {world}, more than --max-headcount {cap} managers", None
            per_month = self.limits.max_hires_per_month
            if per_month is not None and ledger.made[months].max(initial=0) > per_month:
                return f"with {world}, more than --max-hires-per-month {per_month} hires in a month", None
            if world == "the expected leavers":
                expected = roster
            made.append(tuple(ledger.made))
        assert expected is not None
        if upto == n and len(set(made)) == 1:
            return "hires the same whoever leaves: the hire-N candidate of those hires", None
        if upto == n and self.limits.budget is not None and self._cost(expected) > self.limits.budget:
            return "over the budget", None
        return None, expected

    # -- what it commits and earns ------------------------------------------------------------------

    def _cost(self, roster: Roster) -> float:
        salary = self.space.salary[0]
        return sum(self.terms.cost_per_hire + salary * PER_DAY * max(0, self.space.horizon_days - join)
                   for join, _ in roster.ledger.manager_joins if join < self.space.horizon_days)

    def cost(self, c: Target) -> float:
        """What the hires of the expected world commit, money (as :meth:`Space.hire_cost` counts a hire)."""
        self.check(c)
        roster = self._checked[c][1]
        return self._cost(roster) if roster is not None else math.nan

    def hires(self, c: Target) -> int:
        """Managers the expected world hires (joining in the horizon)."""
        self.check(c)
        roster = self._checked[c][1]
        return sum(1 for join, _ in roster.ledger.manager_joins if join < self.space.horizon_days) \
            if roster is not None else 0

    def forecast(self, c: Target) -> Forecast:
        """The model's forecast: hiring nobody's, plus the decision's gain over it in the expected world.

        The gain (revenue, salaries, hiring cost, worked share) is measured
        between two rosters of the expected world, the decision's and hiring
        nobody's, built by the normal hiring code: the same leavers, their
        replacements joining ``time_to_hire_days`` after the vacancy opens,
        ramping as any hire.  Added to hiring nobody's forecast (weighted by
        the survival chances, as every hire-N candidate is), it is on the
        same footing as theirs.
        """
        if self.check(c) is not None:
            raise ValueError(f"{c.name}: {self.check(c)}")
        roster = self._checked[c][1]
        assert roster is not None
        if self._hold is None:
            hold = HiringPlan(name="hold")
            self._hold = self.model.forecast(hold)
            self._hold_expected = self._expected(self.worlds.roster("the expected leavers", hold), 0.0)
        mine = self._expected(roster, self.terms.cost_per_hire)
        base, zero = self._hold, self._hold_expected
        assert zero is not None
        return Forecast(base.revenue_net + mine.revenue_net - zero.revenue_net,
                        base.salaries + mine.salaries - zero.salaries,
                        base.hiring_cost + mine.hiring_cost - zero.hiring_cost,
                        min(1.0, max(0.0, base.worked_share + mine.worked_share - zero.worked_share)))

    def _expected(self, roster: Roster, cost_per_hire: float) -> Forecast:
        return self.model.evaluate(roster, roster.employed.astype(float), cost_per_hire)

    # -- listing the decisions ------------------------------------------------------------------

    def values(self, i: int, step: int) -> list[int]:
        """Targets month ``i`` may take, on a grid of ``step``: from the team at the start to the most."""
        if not self.target_months[i]:
            return []
        top = self.most[i]
        if self.limits.max_headcount is not None:
            top = min(top, self.limits.max_headcount)
        return sorted({*range(self.start, top + 1, step), top}) if top >= self.start else []

    def enumerate(self, step: int = 1, limit: int | None = NODE_LIMIT) -> list[Target] | None:
        """Every allowed decision on a grid of ``step``; None when over ``limit`` partial ones need a check.

        Targets rise (never below an earlier month's target, nor below the
        team at the start); each month has a target or none; backfill on or
        off.  Month by month, a target is raised until the span rule blocks
        it on a check world (a higher one only asks for more hires), so
        only the allowed region is walked.  A grid coarser than the room to
        grow (two values a month) is walked whatever ``limit`` says.
        """
        if step > max([top - self.start for top in self.most] + [1]):
            limit = None
        found: list[Target] = []
        checks = [0]

        def walk(prefix: tuple[int | None, ...], backfill: bool) -> bool:
            i = len(prefix)
            rest = (None,) * (len(self.months) - i - 1)
            if i == len(self.months):
                c = Target(prefix, backfill)
                if self.check(c) is None:
                    found.append(c)
                return True
            if not walk((*prefix, None), backfill):
                return False
            floor = max([t for t in prefix if t is not None], default=self.start)
            for v in self.values(i, step):
                if v < floor:
                    continue
                checks[0] += 1
                if limit is not None and checks[0] > limit:
                    return False
                if self._check(Target((*prefix, v, *rest), backfill), i + 1)[0] is not None:
                    break
                if not walk((*prefix, v), backfill):
                    return False
            return True

        for backfill in (False, True):
            if not walk((), backfill):
                return None
        return found

    def neighbours(self, c: Target, step: int = 1) -> list[Target]:
        """The allowed decisions one move away.

        A move sets a month's target ``step`` higher or lower, clears or
        sets it, or switches backfill.
        """
        out: dict[Target, None] = {}
        for i in range(len(c.targets)):
            for v in ([c.targets[i] + step, c.targets[i] - step, None] if c.targets[i] is not None
                      else [self.start, *self.values(i, step)[-1:]]):
                t = list(c.targets)
                t[i] = v
                out[Target(tuple(t), c.backfill)] = None
        out[Target(c.targets, not c.backfill)] = None
        return [x for x in out if x != c and self._rising(x) and self.check(x) is None]

    @staticmethod
    def _rising(c: Target) -> bool:
        set_ = [t for t in c.targets if t is not None]
        return all(a <= b for a, b in itertools.pairwise(set_))


def limits_allow_backfill(limits: Limits) -> bool:
    """Backfill hires in any month: allowed when the user did not limit the months."""
    return limits.months is None


def as_target(plan: HiringPlan, months: Sequence[str], terms: HiringTerms) -> Target | None:
    """A scenario plan as a target decision: headcount months and/or backfill only, with the same terms."""
    if not (plan.backfill or any(m.headcount is not None for m in plan.months)):
        return None
    if any(m.managers or m.team_leads or m.promote or m.month not in months for m in plan.months):
        return None
    if plan.time_to_hire_days != terms.time_to_hire_days or plan.cost_per_hire != terms.cost_per_hire:
        return None
    targets = dict.fromkeys(months)
    for m in plan.months:
        targets[m.month] = m.headcount
    return Target(tuple(targets.values()), plan.backfill)
