"""The team, its costs and the hiring plans (MODEL.md sections 6 and 7).

Tenures and delays are in days, salaries and costs in the scenario's
currency per month (or per hire).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simsales.scenario.base import FieldProblems, Strict, raise_problems
from simsales.scenario.checks import (
    duplicates,
    parse_month,
    plan_month_problems,
    share_problems,
    team_lead_problems,
)
from simsales.scenario.distributions import Fixed
from simsales.scenario.fields import (
    Count,
    Days,
    Dist,
    Minutes,
    Money,
    Name,
    Number,
    UNonNeg,
    UProb,
    WholeDays,
    at_most,
)
from simsales.scenario.limits import MAX_MANAGERS, MAX_TEAM_LEADS, TAIL
from simsales.scenario.numbers import percent_hint
from simsales.scenario.ranges import quantile
from simsales.scenario.sales_floor import Absence, Shift
from simsales.scenario.uncertain import Uncertain
from simsales.scenario.units import MINUTES_PER_HOUR

Managers = Annotated[Count, at_most(MAX_MANAGERS)]
"""A number of managers (a count, at most the roster's limit)."""
TeamLeads = Annotated[Count, at_most(MAX_TEAM_LEADS)]
"""A number of team leads (a count, at most the roster's limit)."""


class ManagerGroup(Strict):
    """Managers already on the team at the start: ``count`` of them under ``team_lead``."""

    team_lead: str
    count: Managers = Field(ge=0)
    tenure_days: WholeDays = Field(365, description="days since hire at the start")


class TeamLead(Strict):
    """A team lead on the team at the start, ``tenure_days`` since promotion or hire."""

    name: Name
    tenure_days: WholeDays = 365


class Ramp(Strict):
    """Productivity by tenure: ``months`` lists it for months 1, 2, ... then 1.0.

    Or ``logistic: {midpoint_days, width_days}``.
    """

    months: list[Number] | None = None
    logistic: dict[str, Days] | None = None

    @field_validator("months")
    @classmethod
    def _months(cls, months: list[float] | None) -> list[float] | None:
        raise_problems([((i,), f"expected a ramp factor in (0, 1], got {f:g}{percent_hint(f)}")
                        for i, f in enumerate(months or []) if not 0 < f <= 1])
        return months

    @field_validator("logistic")
    @classmethod
    def _logistic(cls, logistic: dict[str, float] | None) -> dict[str, float] | None:
        if logistic is None:
            return None
        if set(logistic) != {"midpoint_days", "width_days"}:
            raise ValueError(f"logistic needs midpoint_days and width_days, got {', '.join(logistic)}")
        if not logistic["width_days"] > 0:
            raise FieldProblems([(("width_days",), "expected a width > 0 days (the curve divides by it)")])
        return logistic

    @model_validator(mode="after")
    def _one_form(self) -> Ramp:
        if (self.months is None) == (self.logistic is None):
            raise ValueError("give either months or logistic")
        return self


class Attrition(Strict):
    """Chance a manager (or a team lead) leaves in a month.

    ``probation_monthly`` applies in the first ``probation_days`` days after
    joining, ``monthly`` after them.  ``team_lead_monthly`` is a team lead's
    chance to leave in a month; their managers move to the team lead with
    the most room within ``span_max``, or wait unassigned.
    """

    monthly: UProb = 0.0
    probation_monthly: UProb = 0.0
    probation_days: WholeDays = 60
    team_lead_monthly: UProb = Field(0.0, description="a team lead's chance to leave in a month")


class HireQuality(Strict):
    """Quantity lowers quality: the more a month hires, the weaker its average hire.

    Every hire of a month whose vacancies made ``n`` hires has their skill
    multiplied by ``max(min_factor, 1 - skill_drop * max(0, n - free_hires))``
    (so the month's mean skill falls by that factor); ``skill_drop`` is a
    share of the mean skill per hire beyond ``free_hires``.
    """

    free_hires: Managers = Field(3, ge=0, description="hires a month without a loss of quality")
    skill_drop: UProb = Field(0.0, description="share of skill lost per hire beyond free_hires")
    min_factor: Number = Field(0.5, gt=0, le=1, description="the lowest skill factor")


class Probation(Strict):
    """Who is let go at the end of probation (``attrition.probation_days`` after joining).

    A hire whose offers per shift hour stay below ``bar`` x the team's
    ramped average is let go with chance ``fire_chance`` plus
    ``overload_step`` per newcomer beyond ``coaching.free_load`` that their
    team lead coached on average during the hire's onboarding and ramp (at
    most 1).
    """

    bar: Number = Field(0.6, ge=0, le=1, description="share of the team's ramped average offers per hour")
    fire_chance: UProb = Field(0.5, description="chance a hire below the bar is let go")
    overload_step: UNonNeg = Field(0.1, description="added chance per newcomer beyond free_load")


class Coaching(Strict):
    """What over-hiring costs: effects of a team lead's ``coaching_load``.

    ``coaching_load`` is the number of the team lead's managers in
    onboarding or ramp.  Above ``free_load``, each extra one slows the
    ramp clock of the new hires by ``ramp_slowdown`` (0.1 = 10% slower) and
    cuts the conversion of the ramped managers by ``team_penalty``, no
    lower than ``min_team_factor``.
    """

    free_load: Number = Field(2.0, ge=0)
    ramp_slowdown: Number = Field(0.0, ge=0)
    team_penalty: Number = Field(0.0, ge=0, le=1)
    min_team_factor: Number = Field(0.5, gt=0, le=1)


MAX_CRM_MINUTES = 8 * MINUTES_PER_HOUR
"""The most CRM minutes one event may take (a shift's worth)."""


class CrmMinutes(Strict):
    """Minutes of CRM work the manager does after each event, on top of ``talk_share``.

    ``attempt`` after every attempt (answered or not), ``contact`` after a
    call that reaches the person (besides ``attempt``), ``offer`` after a
    presentation that ends in an invoice or link.  The manager is busy
    meanwhile.  All default to 0.
    """

    attempt: Minutes = Field(0.0, description="after every attempt")
    contact: Minutes = Field(0.0, description="after a contact call")
    offer: Minutes = Field(0.0, description="after an offer")

    @field_validator("attempt", "contact", "offer")
    @classmethod
    def _within_a_shift(cls, minutes: float) -> float:
        if minutes > MAX_CRM_MINUTES:
            raise ValueError(f"expected at most {MAX_CRM_MINUTES:g} minutes (8 hours) of CRM work per event, "
                             f"got {minutes:g}; CRM minutes are minutes per attempt, contact or offer")
        return minutes


class SkillWeights(Strict):
    """How strongly the manager's factor (skill x ramp x team factor) acts on each step they do.

    The chance of each step is multiplied by the factor raised to its
    weight: ``qualify`` (the opening call), ``offer`` (the presentation),
    ``close`` (the client pays: the invoice paid, the link filled).  A weight
    of 0 leaves the step alone; the defaults (offer 1, the others 0) are the
    model before weights.
    """

    qualify: Number = Field(0.0, ge=0, le=4)
    offer: Number = Field(1.0, ge=0, le=4)
    close: Number = Field(0.0, ge=0, le=4)


class Team(Strict):
    """Managers, team leads and the rules that govern them (MODEL.md section 6)."""

    team_leads: list[TeamLead] = Field(min_length=1)
    managers: list[ManagerGroup]
    shifts: list[Shift] = Field(default_factory=lambda: [Shift(name="day")], min_length=1)
    talk_share: UProb = Field(0.6, description="share of shift time spent on calls")
    crm_minutes: CrmMinutes = Field(CrmMinutes(), description="CRM minutes per event")
    skill_weights: SkillWeights = Field(SkillWeights(), description="the manager's factor's weight per step")
    skill: Dist = Field(default_factory=lambda: Fixed(1.0))
    ramp: Ramp = Ramp(months=[0.4, 0.7, 0.9])
    attrition: Attrition = Attrition()
    span_max: Managers = Field(10, ge=1)
    hires_per_lead_month: Managers = Field(3, ge=0)
    lead_adaptation_days: WholeDays = 60
    coaching: Coaching = Coaching()
    hire_quality: HireQuality = HireQuality()
    probation: Probation | None = None
    absence: Absence = Absence()

    @field_validator("team_leads")
    @classmethod
    def _team_leads(cls, leads: list[TeamLead]) -> list[TeamLead]:
        if MAX_TEAM_LEADS.exceeded(len(leads)):
            raise ValueError(MAX_TEAM_LEADS.message(len(leads)))
        raise_problems(duplicates([t.name for t in leads], "team lead", "team.team_leads"))
        return leads

    @field_validator("managers")
    @classmethod
    def _managers(cls, groups: list[ManagerGroup], info: ValidationInfo) -> list[ManagerGroup]:
        if "team_leads" in info.data:
            raise_problems(team_lead_problems([t.name for t in info.data["team_leads"]], groups))
        return groups

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, shifts: list[Shift]) -> list[Shift]:
        raise_problems(duplicates([s.name for s in shifts], "shift", "team.shifts") + share_problems(shifts))
        return shifts

    @field_validator("talk_share")
    @classmethod
    def _talk_share(cls, share: float | Uncertain) -> float | Uncertain:
        lowest = quantile(share.dist, TAIL) if isinstance(share, Uncertain) else share
        if not lowest > 0:
            raise ValueError(f"expected a talk share > 0, got {share!r} (it reaches {lowest:g}): every call "
                             "takes its minutes divided by talk_share, so managers need some time for calls")
        return share


class Economics(Strict):
    """What the team costs: salaries per month and commission shares of net revenue."""

    manager_salary_month: Money = 0.0
    team_lead_salary_month: Money = 0.0
    commission_share: Number = Field(0.0, ge=0, le=1, description="managers, of net revenue")
    team_lead_commission_share: Number = Field(0.0, ge=0, le=1)


class PlanMonth(Strict):
    """The vacancies a plan opens in one month (``YYYY-MM``).

    ``managers: N`` hires N; ``headcount: N`` hires what it takes to have N
    managers employed on the month's last day (known leavers included);
    ``promote: N`` makes the N best ramped managers team leads on the
    month's first day.
    """

    month: str = Field(description="YYYY-MM: the month the vacancies open")
    managers: Managers = Field(0, ge=0, description="managers to hire (not a target headcount)")
    headcount: Managers | None = Field(None, ge=0, description="managers employed at the month's end")
    team_leads: TeamLeads = Field(0, ge=0, description="team leads to hire")
    promote: TeamLeads = Field(0, ge=0, description="best ramped managers made team leads")

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, text: object) -> str:
        return parse_month(text)

    @model_validator(mode="after")
    def _hires_or_target(self) -> PlanMonth:
        raise_problems(plan_month_problems(self))
        return self


class HiringPlan(Strict):
    """A named plan: hires per month, time to hire (days), cost per hire and what the span rule does.

    With ``backfill``, every manager who leaves (or is promoted, or let go
    at probation) opens a vacancy on the day they go, filled
    ``time_to_hire_days`` later under the same span rule.

    ``label`` is the plan's name for people (reports, tables); it defaults
    to ``name``, the identifier the command line uses.
    """

    name: Name
    label: str = Field("", description="display name (default: the plan's name)")
    months: list[PlanMonth] = Field(default_factory=list)
    time_to_hire_days: WholeDays = Field(21, description="vacancy open to first day")
    cost_per_hire: Money = 0.0
    on_cap: Literal["defer", "refuse"] = "defer"
    backfill: bool = Field(False, description="every leaver opens a vacancy at once")

    @model_validator(mode="before")
    @classmethod
    def _default_label(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("label") and isinstance(data.get("name"), str):
            data = {**data, "label": data["name"]}
        return data

    @field_validator("months")
    @classmethod
    def _months_once(cls, months: list[PlanMonth]) -> list[PlanMonth]:
        first: dict[str, int] = {}
        problems = []
        for j, entry in enumerate(months):
            if entry.month in first:
                problems.append(((j, "month"), f"{entry.month} is already months[{first[entry.month]}] of "
                                               "this plan; give each month once"))
            first.setdefault(entry.month, j)
        raise_problems(problems)
        return months
