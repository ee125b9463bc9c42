"""The scenario schema: a whole scenario file, typed and validated once.

:class:`Scenario` is the top level; its sections live by what they model:
:mod:`~simsales.scenario.sales_floor` (calendar, shifts, channels, routing),
:mod:`~simsales.scenario.touch_chain` (the touch chain),
:mod:`~simsales.scenario.funnel` (the funnel and the price) and
:mod:`~simsales.scenario.team` (the team, its costs and the hiring
plans), on the shared base :mod:`~simsales.scenario.base`.  Code outside
the package imports every class from :mod:`simsales.scenario`.

Units are in the field names or docstrings: money in the scenario's
currency (RUB by default), durations in minutes unless the field says
``_days``; durations given as strings ("10 minutes", "1h", "2 days") are
converted to the field's unit, and numbers may be written "15%", "40k",
"750M" (:mod:`~simsales.scenario.numbers`).  Unknown keys are errors, so a
typo is never silently ignored; the cross-checks between sections are in
:mod:`~simsales.scenario.checks`, the feasibility limits in
:mod:`~simsales.scenario.limits`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from simsales.scenario.base import Path, Strict, clock_minutes, raise_problems
from simsales.scenario.checks import (
    did_you_mean,
    duplicates,
    month_problem,
    parse_month,
    plan_problems,
    volume_problems,
)
from simsales.scenario.dates import Date
from simsales.scenario.fields import Count, Money, Name, Number, at_most
from simsales.scenario.funnel import Funnel
from simsales.scenario.limits import MAX_HORIZON_DAYS, MAX_MONEY, MAX_REPLICATIONS
from simsales.scenario.numbers import NumberFormError, parse_number, shown, whole_days
from simsales.scenario.sales_floor import Channel, Routing
from simsales.scenario.team import (
    Economics,
    HiringPlan,
    Team,
)
from simsales.scenario.touch_chain import TouchChain
from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from simsales.scenario.working_hours import Calendar

OBJECTIVES = ("revenue_net", "margin")
"""What a plan is judged on: net revenue (the default) or margin (net revenue less costs)."""


class Benchmarks(Strict):
    """Market values to compare the scenario with (all optional).

    Shares are in [0, 1]: ``contact_rate`` (contacts / leads), the stage
    probabilities ``qualify``, ``offer``, ``invoice_paid``, ``link_filled``,
    ``bank_approved``, and ``c2`` (lead to payment); ``sla_p50_min`` is the
    median minutes to the first attempt; ``revenue_per_manager`` is net
    revenue per average manager over the horizon, in the scenario's currency.
    See :mod:`simsales.analysis.market_gaps`.
    """

    contact_rate: Number | None = Field(None, ge=0, le=1)
    qualify: Number | None = Field(None, ge=0, le=1)
    offer: Number | None = Field(None, ge=0, le=1)
    invoice_paid: Number | None = Field(None, ge=0, le=1)
    link_filled: Number | None = Field(None, ge=0, le=1)
    bank_approved: Number | None = Field(None, ge=0, le=1)
    c2: Number | None = Field(None, ge=0, le=1)
    sla_p50_min: Number | None = Field(None, ge=0)
    revenue_per_manager: Money | None = None


class PipelineSource(Strict):
    """Where a run's open pipeline comes from: a CRM export (``pipeline:``, MODEL.md section 1).

    The file gives the folder alone (``pipeline: crm-export/``) or
    ``{dir, preset, mapping}``; a relative path is relative to the scenario
    file (:func:`simsales.scenario.loader.load_scenario` resolves it).
    """

    dir: str = Field(min_length=1, description="the export's folder")
    preset: Literal["amocrm", "kommo", "bitrix24", "hubspot"] | None = None
    mapping: str | None = Field(None, description="a mapping file laid over the preset's")


def _pipeline_form(value: Any) -> Any:
    """Read ``pipeline``: a folder as text, or the mapping ``{dir, preset, mapping}``."""
    return {"dir": value} if isinstance(value, str) else value


MAX_WARMUP_FIELD_DAYS = 365
"""The longest warm-up a scenario may ask for, in days."""


def _warmup_form(value: Any) -> Any:
    """Read ``warmup_days``: ``auto``, ``off`` (0), or a whole number of days (``"2 weeks"``) up to a year."""
    if value is False:  # YAML reads a bare ``off`` as false
        return 0
    if isinstance(value, str) and value.strip().lower() in ("auto", "off"):
        return "auto" if value.strip().lower() == "auto" else 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected auto, 0 (off) or a whole number of days, got {shown(value)}")
    try:
        days = whole_days(value)
    except NumberFormError as exc:
        raise ValueError(f"expected auto, 0 (off) or a whole number of days: {exc}") from None
    if days < 0 or days > MAX_WARMUP_FIELD_DAYS:
        raise ValueError(f"expected auto, 0 (off) or a whole number of days from 0 to "
                         f"{MAX_WARMUP_FIELD_DAYS}, got {value!r}")
    return days


class Scenario(Strict):
    """A whole scenario file.

    ``start`` is the first day simulated, ``horizon_days`` how many days
    are (at most :data:`~simsales.scenario.limits.MAX_HORIZON_DAYS`).
    ``revenue_plan`` is the net revenue target over the horizon, in
    ``currency``: the file gives one number, or a mapping of months
    (``{"2026-07": 60M, "2026-08": 70M}``, months of the horizon, each >= 0;
    a month left out has no target), and then ``revenue_plan`` is their sum
    and ``revenue_plan_months`` the mapping (empty when one number was
    given).  ``objective`` is what plans are judged on: ``revenue_net``
    (default) or ``margin``.  ``warmup_days`` is how many days are played
    before ``start`` with the starting team and not counted
    (:mod:`simsales.world.warmup`): ``auto`` (default), 0 (off) or a number.
    ``pipeline`` starts the run from the leads and deals open at ``start``
    in a CRM export instead (:mod:`simsales.world.pipeline`; the warm-up is
    then off, and a ``warmup_days`` above 0 is an error).
    """

    name: Name
    start: Date
    horizon_days: Annotated[int, BeforeValidator(whole_days), at_most(MAX_HORIZON_DAYS)] = Field(gt=0)
    currency: str = Field("RUB", description="the currency label of every amount (not blank)")
    revenue_plan: Money = Field(0.0, description="net revenue target over the horizon")
    revenue_plan_months: dict[str, float] = Field(
        default_factory=dict, description="net revenue target per month YYYY-MM (empty: one number given)")
    objective: Literal[OBJECTIVES] = Field(  # type: ignore[valid-type]  # the names are written once
        "revenue_net", description="what plans are judged on: revenue_net or margin")
    warmup_days: Annotated[int | Literal["auto"], BeforeValidator(_warmup_form)] = Field(
        "auto", description="days played before start with the starting team, not counted (auto: "
                            "lead_ttl + the client path's P90 + the refund window, at most 30; 0: off)")
    pipeline: Annotated[PipelineSource | None, BeforeValidator(_pipeline_form)] = Field(
        None, description="start from the leads and deals open at start in this CRM export, instead of "
                          "the warm-up")
    replications: Annotated[Count, at_most(MAX_REPLICATIONS)] = Field(200, ge=1)
    seed: Count = Field(0, ge=0)
    calendar: Calendar = Calendar()
    channels: list[Channel] = Field(min_length=1)
    routing: Routing = Routing()
    touch_chain: TouchChain
    funnel: Funnel
    team: Team
    economics: Economics = Economics()
    plans: list[HiringPlan] = Field(min_length=1)
    benchmarks: Benchmarks | None = None

    @model_validator(mode="before")
    @classmethod
    def _monthly_revenue_plan(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("revenue_plan"), dict):
            months = data["revenue_plan"]
            data = {**data, "revenue_plan_months": months, "revenue_plan": _total_or_zero(months)}
        return data

    @field_validator("currency")
    @classmethod
    def _currency_named(cls, currency: str) -> str:
        if not currency.strip():
            raise ValueError("expected the currency's name, such as RUB, EUR or USD (every amount is in it); "
                             "got a blank text")
        return currency

    @field_validator("horizon_days")
    @classmethod
    def _ends_in_the_calendar(cls, days: int, info: ValidationInfo) -> int:
        start = info.data.get("start")
        if start is not None and (dt.date.max - start).days < days:
            raise ValueError(f"a horizon of {days} days from {start} would end after the year 9999")
        return days

    @field_validator("pipeline")
    @classmethod
    def _one_start(cls, pipeline: PipelineSource | None, info: ValidationInfo) -> PipelineSource | None:
        warmup = info.data.get("warmup_days")
        if pipeline is not None and isinstance(warmup, int) and warmup > 0:
            raise ValueError(f"a pipeline and warmup_days: {warmup} are two ways to start a department "
                             f"already in work; choose one: remove warmup_days (the pipeline replaces the "
                             f"warm-up), or remove pipeline")
        return pipeline

    @field_validator("revenue_plan_months", mode="before")
    @classmethod
    def _plan_months(cls, months: Any, info: ValidationInfo) -> dict[str, float]:
        if not isinstance(months, dict):
            raise ValueError(f"expected a number, or a mapping of months to amounts such as "
                             f"{{'2026-07': 60M}}, got {months!r}")
        start, days = info.data.get("start"), info.data.get("horizon_days")
        out: dict[str, float] = {}
        problems: list[tuple[Path, str]] = []
        for key, amount in months.items():
            at: Path = (str(key),)
            try:
                month = parse_month(key)
                outside = month_problem(month, start, days) if start and days else None
                if outside:
                    raise ValueError(outside)
                if month in out:
                    raise ValueError(f"{month} is given twice")
                number = parse_number(amount)
                if not number >= 0:
                    raise ValueError(f"expected an amount >= 0, got {amount!r}")
                if MAX_MONEY.exceeded(number):
                    raise ValueError(MAX_MONEY.message(number))
                out[month] = number
            except (ValueError, NumberFormError) as exc:
                problems.append((at, str(exc)))
        raise_problems(problems)
        return out

    @field_validator("channels")
    @classmethod
    def _channels(cls, channels: list[Channel], info: ValidationInfo) -> list[Channel]:
        problems = duplicates([c.name for c in channels], "channel", "channels")
        start, days = info.data.get("start"), info.data.get("horizon_days")
        if start is not None and days is not None:
            problems += volume_problems(channels, start, days)
        raise_problems(problems)
        return channels

    @field_validator("team")
    @classmethod
    def _shifts_meet_the_calendar(cls, team: Team, info: ValidationInfo) -> Team:
        calendar = info.data.get("calendar")
        if calendar is not None:
            raise_problems(_shift_problems(team, calendar))
        return team

    @field_validator("plans")
    @classmethod
    def _plans(cls, plans: list[HiringPlan], info: ValidationInfo) -> list[HiringPlan]:
        problems = duplicates([p.name for p in plans], "plan", "plans")
        problems += plan_problems(plans, info.data.get("start"), info.data.get("horizon_days"),
                                  info.data.get("team"))
        raise_problems(problems)
        return plans

    @model_validator(mode="after")
    def _plan_total(self) -> Scenario:
        total = sum(self.revenue_plan_months.values())
        consistent = math.isclose(self.revenue_plan, total, rel_tol=1e-9, abs_tol=1e-6)
        if self.revenue_plan_months and not consistent:
            raise ValueError(f"revenue_plan {self.revenue_plan:g} is not the sum of its months "
                             f"({total:g}); write the months under revenue_plan")
        return self

    def plan(self, name: str) -> HiringPlan:
        """The hiring plan called ``name``.

        Args:
            name: the plan's ``name``.

        Returns:
            The plan.

        Raises:
            KeyError: the scenario has no plan of that name.
        """
        for p in self.plans:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def horizon_minutes(self) -> float:
        """The horizon in minutes."""
        return self.horizon_days * MINUTES_PER_DAY


def _total_or_zero(months: dict) -> float:
    """The sum of a monthly plan's amounts; 0 if one is no number (its own check reports it)."""
    try:
        return sum(parse_number(v) for v in months.values())
    except NumberFormError:
        return 0.0


def _shift_problems(team: Team, calendar: Calendar) -> list[tuple[Path, str]]:
    """Shifts that never meet the working hours on any weekday (their managers would never work)."""
    problems: list[tuple[Path, str]] = []
    for i, shift in enumerate(team.shifts):
        start = clock_minutes(shift.start)
        end = start + shift.hours * MINUTES_PER_HOUR
        days = [calendar.hours(d) for d in range(7)]
        if not any(hours and max(hours[0], start) < min(hours[1], end) for hours in days):
            problems.append((("shifts", i), f"shift {shift.name!r} ({shift.start} for {shift.hours:g} h) "
                                            "never meets the calendar's working hours: its managers "
                                            "would never take a lead"))
        named = shift.weekdays()
        if named is not None and not any(days[d] and max(days[d][0], start) < min(days[d][1], end)
                                         for d in named):
            problems.append((("shifts", i, "days"), f"shift {shift.name!r} works only on days the calendar "
                                                    "is closed at its hours: its managers would never work"))
        known = [t.name for t in team.team_leads]
        for j, name in enumerate(shift.team_leads or []):
            if name not in known:
                problems.append((("shifts", i, "team_leads", j),
                                 f"no team lead named {name!r}; expected one of {', '.join(known)}"
                                 f"{did_you_mean(name, known)}"))
    return problems
