"""The scenario schema: everything MODEL.md names, typed and validated once.

Units are in the field names or docstrings: money in the scenario's
currency (RUB by default), durations in minutes unless the field says
``_days``; durations given as strings ("10m", "1h", "2d") are converted to
minutes.  Unknown keys are errors, so a typo is never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simsales.scenario.distributions import Fixed, LogNormal
from simsales.scenario.uncertain import Dist, Minutes, UNonNeg, UProb, UReal

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_PATTERN = re.compile(r"^(\d+)/(\d+)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Strict(BaseModel):
    """Base for every section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def clock_minutes(text: str) -> int:
    """'09:30' -> 570 minutes after midnight."""
    match = _CLOCK.match(text)
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise ValueError(f"expected a time of day such as '09:00', got {text!r}")
    return int(match.group(1)) * 60 + int(match.group(2))


class Calendar(Strict):
    """Working hours per weekday, e.g. ``{mon: "09:00-21:00", sun: closed}``.

    A weekday left out uses ``default``; ``closed`` means no work that day.
    """

    default: str = "09:00-21:00"
    mon: str | None = None
    tue: str | None = None
    wed: str | None = None
    thu: str | None = None
    fri: str | None = None
    sat: str | None = None
    sun: str | None = None

    @field_validator("default", *WEEKDAYS)
    @classmethod
    def _hours(cls, text: str | None) -> str | None:
        if text is None or text == "closed":
            return text
        match = _HOURS.match(text)
        if not match:
            raise ValueError(f"expected hours such as '09:00-21:00' or 'closed', got {text!r}")
        lo = clock_minutes(f"{match.group(1)}:{match.group(2)}")
        hi = clock_minutes(f"{match.group(3)}:{match.group(4)}")
        if not lo < hi:
            raise ValueError(f"opening must be before closing, got {text!r}")
        return text

    def hours(self, weekday: int) -> tuple[int, int] | None:
        """(open, close) in minutes after midnight for weekday 0=Mon, or None."""
        text = getattr(self, WEEKDAYS[weekday]) or self.default
        if text == "closed":
            return None
        lo, hi = text.split("-")
        return clock_minutes(lo), clock_minutes(hi)


class Shift(Strict):
    """A shift pattern: ``5/2`` is five days on, two off; ``2/2`` two and two.

    Managers are spread over the shift groups by ``share`` and over the
    phases of the pattern, so every day is covered.
    """

    name: str
    pattern: str = "5/2"
    start: str = "09:00"
    hours: float = Field(9.0, gt=0, le=24, description="hours per shift")
    share: float = Field(1.0, gt=0, description="share of managers on this shift")

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, text: str) -> str:
        match = _PATTERN.match(text)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"expected a pattern such as '5/2' or '2/2', got {text!r}")
        return text

    @field_validator("start")
    @classmethod
    def _start(cls, text: str) -> str:
        clock_minutes(text)
        return text

    @property
    def days_on(self) -> int:
        return int(self.pattern.split("/")[0])

    @property
    def days_off(self) -> int:
        return int(self.pattern.split("/")[1])


class Channel(Strict):
    """A lead source bought from ads."""

    name: str
    leads_per_day: UNonNeg = Field(description="mean leads per calendar day at start")
    weekday_profile: list[float] = Field(
        default_factory=lambda: [1.0] * 7,
        description="relative volume Mon..Sun (normalised to mean 1)",
    )
    hour_profile: list[float] | None = Field(
        None, description="relative volume per hour 0..23 (normalised); default: working hours"
    )
    growth_per_month: UReal = Field(0.0, description="volume growth per 30.44 days (0.05 = +5%)")
    overdispersion: float = Field(
        0.0, ge=0, description="day volume is negative binomial: var = m + overdispersion*m^2"
    )
    cpl: float = Field(0.0, ge=0, description="cost per lead, currency")
    nontarget_share: UProb = 0.0
    quality: UNonNeg = Field(1.0, description="multiplier on contact-to-qualified")

    @field_validator("weekday_profile")
    @classmethod
    def _weekday(cls, profile: list[float]) -> list[float]:
        if len(profile) != 7 or min(profile) < 0 or sum(profile) <= 0:
            raise ValueError("expected 7 non-negative numbers (Mon..Sun), not all zero")
        return profile

    @field_validator("hour_profile")
    @classmethod
    def _hour(cls, profile: list[float] | None) -> list[float] | None:
        if profile is not None and (len(profile) != 24 or min(profile) < 0 or sum(profile) <= 0):
            raise ValueError("expected 24 non-negative numbers (hours 0..23), not all zero")
        return profile


class Routing(Strict):
    """How a new lead is assigned to a manager (MODEL.md section 3).

    ``round_robin``, ``least_loaded`` (fewest queued tasks) and ``weighted``
    (at random, in proportion to ramp x skill) assign a lead at once to a
    manager on shift.  ``shared_queue`` keeps new leads in one department
    queue that the first free manager on shift takes from (the call-centre
    rule, and the textbook M/M/c queue); the lead then stays with that
    manager.
    """

    policy: Literal["round_robin", "least_loaded", "weighted", "shared_queue"] = "round_robin"
    onboarding_days: int = Field(5, ge=0, description="days after joining with no leads")


class Decay(Strict):
    """Contact chance falls with lead age: ``max(floor, 0.5 ** (age / half_life))``.

    Or give ``table``: factors by age bucket, ``[[age, factor], ...]`` with
    ages ascending; the factor of the last bucket whose age is <= the lead's
    age applies.
    """

    half_life: Minutes | None = None
    floor: float = Field(0.0, ge=0, le=1)
    table: list[tuple[Minutes, float]] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Decay:
        if (self.half_life is None) == (self.table is None):
            raise ValueError("give either half_life (with floor) or table")
        if self.half_life is not None and self.half_life <= 0:
            raise ValueError("half_life must be > 0")
        if self.table is not None:
            ages = [age for age, _ in self.table]
            if ages != sorted(ages) or not self.table:
                raise ValueError("table ages must be ascending")
            if any(not 0 <= f <= 1 for _, f in self.table):
                raise ValueError("table factors must be in [0, 1]")
        return self


class TouchChain(Strict):
    """The planned contact attempts of every lead (MODEL.md section 4)."""

    offsets: list[Minutes] = Field(min_length=1, description="planned attempt times after creation")
    p_contact: list[UProb] = Field(min_length=1, description="chance per attempt (one value: all)")
    decay: Decay | None = None
    dial_minutes: float = Field(1.0, ge=0, description="manager time of an unanswered attempt")
    call_minutes: Dist = Field(
        default_factory=lambda: LogNormal(9.0, 5.0),
        description="length of the contact call, qualification included",
    )
    priority: Literal["new_first", "due_first"] = "new_first"
    lead_ttl: Minutes = Field(7 * 1440.0, gt=0, description="attempts not made by this age are dropped")

    @model_validator(mode="after")
    def _shape(self) -> TouchChain:
        if self.offsets != sorted(self.offsets):
            raise ValueError("offsets must be ascending")
        if len(self.p_contact) not in (1, len(self.offsets)):
            raise ValueError("p_contact needs one value or one per offset")
        return self

    def contact_chance(self, k: int) -> float | object:
        """The base contact chance of attempt ``k`` (0-based)."""
        return self.p_contact[k if len(self.p_contact) > 1 else 0]


class Step(Strict):
    """A funnel transition: probability, client delay (days) and manager call (minutes)."""

    p: UProb
    delay_days: Dist = Field(default_factory=lambda: Fixed(0.0))
    call_minutes: Dist = Field(default_factory=lambda: Fixed(0.0))


class Refunds(Strict):
    share: UProb = 0.0
    window_days: float = Field(14.0, ge=0)


class Price(Strict):
    """The average check per deal and what a price change does.

    ``change`` moves the check (0.1 = +10%); ``elasticity`` moves the
    offer probability as ``(1 + change) ** elasticity``.
    """

    check: Dist
    change: float = Field(0.0, gt=-1)
    elasticity: float = 0.0
    bank_commission: UProb = Field(0.0, description="share the bank keeps on installments")


class Funnel(Strict):
    """The stages after contact (MODEL.md section 5).

    ``qualify`` is scaled by the channel's quality; ``offer`` (presentation
    call, then invoice or installment link) by the manager's skill, ramp and
    coaching factor, so that lead-to-payment conversion moves linearly with
    each of them.
    """

    qualify: UProb
    offer: Step
    installment_share: UProb = 0.5
    invoice_paid: Step
    link_filled: Step
    bank_approved: Step
    refunds: Refunds = Refunds()
    price: Price


class ManagerGroup(Strict):
    """Managers already on the team at the start."""

    team_lead: str
    count: int = Field(ge=0)
    tenure_days: int = Field(365, ge=0, description="days since hire at the start")


class TeamLead(Strict):
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
    manager_salary_month: float = Field(0.0, ge=0)
    team_lead_salary_month: float = Field(0.0, ge=0)
    commission_share: float = Field(0.0, ge=0, le=1, description="managers, of net revenue")
    team_lead_commission_share: float = Field(0.0, ge=0, le=1)


class PlanMonth(Strict):
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
    """A named plan: hires per month, time to hire and what the span rule does."""

    name: str
    months: list[PlanMonth] = Field(default_factory=list)
    time_to_hire_days: int = Field(21, ge=0, description="vacancy open to first day")
    cost_per_hire: float = Field(0.0, ge=0)
    on_cap: Literal["defer", "refuse"] = "defer"


class Benchmarks(Strict):
    """Market values to compare the scenario with (all optional).

    Shares are in [0, 1]: ``contact_rate`` (contacts / leads), the stage
    probabilities ``qualify``, ``offer``, ``invoice_paid``, ``link_filled``,
    ``bank_approved``, and ``c2`` (lead to payment); ``sla_p50_min`` is the
    median minutes to the first attempt; ``revenue_per_manager`` is net
    revenue per average manager over the horizon, in the scenario's currency.
    See :mod:`simsales.analysis.market_gaps`.
    """

    contact_rate: float | None = Field(None, ge=0, le=1)
    qualify: float | None = Field(None, ge=0, le=1)
    offer: float | None = Field(None, ge=0, le=1)
    invoice_paid: float | None = Field(None, ge=0, le=1)
    link_filled: float | None = Field(None, ge=0, le=1)
    bank_approved: float | None = Field(None, ge=0, le=1)
    c2: float | None = Field(None, ge=0, le=1)
    sla_p50_min: float | None = Field(None, ge=0)
    revenue_per_manager: float | None = Field(None, ge=0)


class Scenario(Strict):
    """A whole scenario file."""

    name: str
    start: dt.date
    horizon_days: int = Field(gt=0, le=731)
    currency: str = "RUB"
    revenue_plan: float = Field(0.0, ge=0, description="net revenue target over the horizon")
    replications: int = Field(200, ge=1)
    seed: int = Field(0, ge=0)
    calendar: Calendar = Calendar()
    channels: list[Channel] = Field(min_length=1)
    routing: Routing = Routing()
    touch_chain: TouchChain
    funnel: Funnel
    team: Team
    economics: Economics = Economics()
    plans: list[HiringPlan] = Field(min_length=1)
    benchmarks: Benchmarks | None = None

    @model_validator(mode="after")
    def _unique_plans(self) -> Scenario:
        names = [p.name for p in self.plans]
        if len(set(names)) != len(names):
            raise ValueError("plan names must be unique")
        return self

    def plan(self, name: str) -> HiringPlan:
        for p in self.plans:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def horizon_minutes(self) -> float:
        return self.horizon_days * 1440.0
