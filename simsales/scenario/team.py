"""The team, its costs and the hiring plans (MODEL.md sections 6 and 7).

Tenures and delays are in days, salaries and costs in the scenario's
currency per month (or per hire).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simsales.scenario.base import Strict
from simsales.scenario.distributions import Fixed
from simsales.scenario.fields import Dist, UProb
from simsales.scenario.sales_floor import Shift

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ManagerGroup(Strict):
    """Managers already on the team at the start: ``count`` of them under ``team_lead``."""

    team_lead: str
    count: int = Field(ge=0)
    tenure_days: int = Field(365, ge=0, description="days since hire at the start")


class TeamLead(Strict):
    """A team lead on the team at the start, ``tenure_days`` since promotion or hire."""

    name: str
    tenure_days: int = Field(365, ge=0)


class Ramp(Strict):
    """Productivity by tenure: ``months`` lists it for months 1, 2, ... then 1.0.

    Or ``logistic: {midpoint_days, width_days}``.
    """

    months: list[float] | None = None
    logistic: dict[str, float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Ramp:
        if (self.months is None) == (self.logistic is None):
            raise ValueError("give either months or logistic")
        if self.months is not None and any(not 0 < f <= 1 for f in self.months):
            raise ValueError("months factors must be in (0, 1]")
        if self.logistic is not None and set(self.logistic) != {"midpoint_days", "width_days"}:
            raise ValueError("logistic needs midpoint_days and width_days")
        return self


class Attrition(Strict):
    """Chance a manager leaves in a month.

    ``probation_monthly`` applies in the first ``probation_days`` days after
    joining, ``monthly`` after them.
    """

    monthly: UProb = 0.0
    probation_monthly: UProb = 0.0
    probation_days: int = Field(60, ge=0)


class Coaching(Strict):
    """What over-hiring costs: effects of a team lead's ``coaching_load``.

    ``coaching_load`` is the number of the team lead's managers in
    onboarding or ramp.  Above ``free_load``, each extra one slows the
    ramp clock of the new hires by ``ramp_slowdown`` (0.1 = 10% slower) and
    cuts the conversion of the ramped managers by ``team_penalty``, no
    lower than ``min_team_factor``.
    """

    free_load: float = Field(2.0, ge=0)
    ramp_slowdown: float = Field(0.0, ge=0)
    team_penalty: float = Field(0.0, ge=0, le=1)
    min_team_factor: float = Field(0.5, gt=0, le=1)


class Team(Strict):
    """Managers, team leads and the rules that govern them (MODEL.md section 6)."""

    team_leads: list[TeamLead] = Field(min_length=1)
    managers: list[ManagerGroup]
    shifts: list[Shift] = Field(default_factory=lambda: [Shift(name="day")], min_length=1)
    talk_share: UProb = Field(0.6, description="share of shift time spent on calls")
    skill: Dist = Field(default_factory=lambda: Fixed(1.0))
    ramp: Ramp = Ramp(months=[0.4, 0.7, 0.9])
    attrition: Attrition = Attrition()
    span_max: int = Field(10, ge=1)
    hires_per_lead_month: int = Field(3, ge=0)
    lead_adaptation_days: int = Field(60, ge=0)
    coaching: Coaching = Coaching()

    @model_validator(mode="after")
    def _leads_exist(self) -> Team:
        if isinstance(self.talk_share, float) and self.talk_share <= 0:
            raise ValueError("talk_share must be > 0: managers need some time for calls")
        names = [t.name for t in self.team_leads]
        if len(set(names)) != len(names):
            raise ValueError("team lead names must be unique")
        for g in self.managers:
            if g.team_lead not in names:
                raise ValueError(f"manager group names unknown team lead {g.team_lead!r}")
        return self


class Economics(Strict):
    """What the team costs: salaries per month and commission shares of net revenue."""

    manager_salary_month: float = Field(0.0, ge=0)
    team_lead_salary_month: float = Field(0.0, ge=0)
    commission_share: float = Field(0.0, ge=0, le=1, description="managers, of net revenue")
    team_lead_commission_share: float = Field(0.0, ge=0, le=1)


class PlanMonth(Strict):
    """The vacancies a plan opens in one month (``YYYY-MM``)."""

    month: str = Field(description="YYYY-MM: the month the vacancies open")
    managers: int = Field(0, ge=0)
    team_leads: int = Field(0, ge=0)

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, text: object) -> str:
        if isinstance(text, dt.date):
            text = f"{text.year:04d}-{text.month:02d}"
        if not isinstance(text, str) or not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12:
            raise ValueError(f"expected a month such as '2026-07', got {text!r}")
        return text


class HiringPlan(Strict):
    """A named plan: hires per month, time to hire (days), cost per hire and what the span rule does."""

    name: str
    months: list[PlanMonth] = Field(default_factory=list)
    time_to_hire_days: int = Field(21, ge=0, description="vacancy open to first day")
    cost_per_hire: float = Field(0.0, ge=0)
    on_cap: Literal["defer", "refuse"] = "defer"
