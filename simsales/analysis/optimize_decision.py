"""What a decision of `simsales optimize` is made of: hiring terms, the user's limits, a hire-N candidate.

Money is in the scenario's currency, time in days.  The decision spaces
are :mod:`~simsales.analysis.optimize_space` (hire-N candidates) and
:mod:`~simsales.analysis.optimize_targets` (headcount targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simsales.scenario import HiringPlan, PlanMonth, Scenario

__all__ = ["Candidate", "HiringTerms", "Limits", "hires", "hiring_terms"]

@dataclass(frozen=True)
class HiringTerms:
    """What every candidate plan shares: the scenario's hiring terms.

    Attributes:
        time_to_hire_days: days from a vacancy opening to the hire's first day.
        cost_per_hire: money per hire (scenario's currency), managers and team leads.
        on_cap: what the span rule does with a hire it does not allow
            (never used by a candidate, which always fits; kept for the plans written out).
        source: the plan the terms come from (None: the defaults of a plan).
    """

    time_to_hire_days: int
    cost_per_hire: float
    on_cap: str
    source: str | None


def hires(plan: HiringPlan) -> bool:
    """Whether a plan hires anyone: managers or team leads in a month, a headcount target, or backfill.

    A headcount target hires what it takes to have that many managers on the
    month's last day (the leavers replaced, at the least), and backfill
    replaces every leaver: both hire on the plan's terms, as ``managers: N`` does.

    Args:
        plan: a plan of the scenario.

    Returns:
        True when the plan's terms (time to hire, cost per hire) are used by a hire it makes.
    """
    return plan.backfill or any(m.managers or m.team_leads or m.headcount is not None for m in plan.months)


def hiring_terms(scenario: Scenario, plan: str | None = None) -> HiringTerms:
    """The hiring terms candidates use: those of ``plan``, else of the first plan that hires.

    Args:
        scenario: the scenario.
        plan: a plan's name (None: the first plan that hires, :func:`hires`: hires per month,
            headcount targets or backfill).

    Returns:
        The terms; a plan's defaults (:class:`~simsales.scenario.HiringPlan`) when no plan hires.

    Raises:
        KeyError: the scenario has no plan called ``plan``.
    """
    if plan is not None:
        chosen: HiringPlan | None = scenario.plan(plan)
    else:
        chosen = next((p for p in scenario.plans if hires(p)), None)
    source = chosen.name if chosen is not None else None
    chosen = chosen or HiringPlan(name="defaults")
    return HiringTerms(chosen.time_to_hire_days, float(chosen.cost_per_hire), chosen.on_cap, source)


@dataclass(frozen=True)
class Limits:
    """The user's limits on the search (None: no limit).

    Attributes:
        months: the months hires may open in, ``YYYY-MM`` (None: every decision month).
        max_hires_per_month: hires (managers and team leads) opened in one month.
        max_headcount: managers on the team at any time, counting nobody leaving.
        budget: the most the hires may commit, scenario's currency (:meth:`Space.cost`).
        team_leads: team leads are decision variables too.
    """

    months: tuple[str, ...] | None = None
    max_hires_per_month: int | None = None
    max_headcount: int | None = None
    budget: float | None = None
    team_leads: bool = False


@dataclass(frozen=True, order=True)
class Candidate:
    """One decision: managers and team leads hired per month of the horizon.

    The optimiser only needs a candidate to become a
    :class:`~simsales.scenario.HiringPlan` (:meth:`plan`), to be listed
    month by month (:meth:`rows`), named and described; a headcount-target
    decision (:class:`~simsales.analysis.optimize_targets.Target`) is another
    class with the same methods.

    Attributes:
        managers: managers hired per month of the horizon, in order.
        team_leads: team leads hired per month, in order.
    """

    managers: tuple[int, ...]
    team_leads: tuple[int, ...]

    @property
    def hires(self) -> int:
        """Managers and team leads hired over the horizon."""
        return sum(self.managers) + sum(self.team_leads)

    @property
    def key(self) -> tuple:
        """A total order with headcount-target decisions (hire-N first)."""
        return (0, self.managers, self.team_leads)

    @property
    def name(self) -> str:
        """The plan's name in the runs: ``hire-6-2-0`` (``-tl-1-0-0`` with team leads)."""
        name = "hire-" + "-".join(map(str, self.managers))
        return name + ("-tl-" + "-".join(map(str, self.team_leads)) if any(self.team_leads) else "")

    def cells(self, months: Sequence[str]) -> str:
        """The table's short form: ``6 / 2 / 0`` (``6+1`` with a team lead)."""
        return " / ".join(f"{a}" + (f"+{b}" if b else "") for a, b in zip(self.managers, self.team_leads,
                                                                         strict=True))

    def describe(self, months: Sequence[str]) -> str:
        """In words: ``"2026-07 6, 2026-08 2"``, or ``"hire nobody"``."""
        parts = [f"{m} {a}" + (f" + {b} team lead{'s' * (b > 1)}" if b else "")
                 for m, a, b in zip(months, self.managers, self.team_leads, strict=True) if a or b]
        return ", ".join(parts) if parts else "hire nobody"

    def rows(self, months: Sequence[str]) -> list[dict]:
        """The candidate month by month.

        Args:
            months: the horizon's months, ``YYYY-MM``.

        Returns:
            ``{"month", "managers", "team_leads"}`` per month.
        """
        return [{"month": m, "managers": a, "team_leads": b}
                for m, a, b in zip(months, self.managers, self.team_leads, strict=True)]

    def plan(self, name: str, months: Sequence[str], terms: HiringTerms, label: str = "") -> HiringPlan:
        """The candidate as a hiring plan.

        Args:
            name: the plan's name.
            months: the horizon's months, ``YYYY-MM``.
            terms: time to hire, cost per hire and ``on_cap``.
            label: the display name (default: ``name``).

        Returns:
            A plan with one entry per month that hires.
        """
        entries = [PlanMonth(month=r["month"], managers=r["managers"], team_leads=r["team_leads"])
                   for r in self.rows(months) if r["managers"] or r["team_leads"]]
        return HiringPlan(name=name, label=label or name, months=entries,
                          time_to_hire_days=terms.time_to_hire_days, cost_per_hire=terms.cost_per_hire,
                          on_cap=terms.on_cap)  # type: ignore[arg-type]  # one of the two names
