"""The sales floor: working hours, shifts, lead channels and routing.

MODEL.md sections 1 to 3 (the touch chain, section 4, is
:mod:`~simsales.scenario.touch_chain`).  Durations are minutes (strings
such as ``"10m"``, ``"1h"``, ``"2d"`` are read as minutes), money is in
the scenario's currency.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from simsales.scenario.base import WEEKDAYS, Strict, clock_minutes, raise_problems
from simsales.scenario.fields import (
    Count,
    Hours,
    Minutes,
    Money,
    Name,
    Number,
    UGrowth,
    UNonNeg,
    UProb,
    WholeDays,
)
from simsales.scenario.limits import MAX_OVERDISPERSION, amount
from simsales.scenario.numbers import parse_hours
from simsales.scenario.policies import (
    POLICY_NAMES,
    ROUTING_POLICIES,
)
from simsales.scenario.units import MINUTES_PER_DAY, duration_text

_PATTERN = re.compile(r"^(\d+)/(\d+)$")

PolicyName = Literal[POLICY_NAMES]  # type: ignore[valid-type]  # the names are written once, in the table
"""A routing policy's name: one of :data:`~simsales.scenario.policies.POLICY_NAMES`."""

_POLICY_HELP = "; ".join(f"{p.name}: {p.description}" for p in ROUTING_POLICIES)


def _profile(profile: list[float], n: int, what: str) -> list[float]:
    """A relative profile that can be normalised: ``n`` numbers >= 0, not all zero, a finite sum."""
    if len(profile) != n:
        raise ValueError(f"expected {n} numbers ({what}), got {len(profile)}")
    raise_problems([((i,), f"expected a relative volume >= 0, got {x:g}")
                    for i, x in enumerate(profile) if x < 0])
    total = sum(profile)
    if not 0 < total < float("inf"):
        raise ValueError(f"expected {n} relative volumes ({what}) with a positive, finite sum, got "
                         f"{amount(total)}: only their ratios matter, so at least one must be above 0")
    return profile


class Shift(Strict):
    """A shift pattern: ``5/2`` is Monday to Friday; ``2/2`` two days on, two off, rotating.

    A weekly pattern ``n/(7-n)`` works fixed weekdays: those named in
    ``days``, else the first ``n`` from Monday (:meth:`weekdays`).  Managers
    are spread over the shift groups by ``share`` and over the phases of a
    rotating pattern, so every day is covered.  ``start`` is the time
    of day the shift begins, ``hours`` its length; a shift may run past
    midnight (``20:00`` for 8 hours ends at 04:00 the next day) and belongs
    to the day it starts on (its pattern, its calendar hours).
    Give every shift a ``share`` (summing to 1) or none (equal shares).
    """

    name: Name
    pattern: str = "5/2"
    start: str = "09:00"
    hours: Number = Field(9.0, gt=0, le=24, description="hours per shift")
    share: Number = Field(1.0, gt=0, le=1, description="share of managers on this shift")
    days: list[Literal[WEEKDAYS]] | None = Field(  # type: ignore[valid-type]
        None, description="the weekdays this shift works, e.g. [mon, tue, wed, thu, fri]")
    team_leads: list[Name] | None = Field(
        None, description="only these team leads' managers work this shift (default: anyone's)")

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, hours: object) -> object:
        # A duration with its unit ("9h", "8 hours", "510 min") in hours, as every duration may be written.
        return parse_hours(hours) if isinstance(hours, str) else hours

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str] | None) -> list[str] | None:
        if days is not None:
            if not days:
                raise ValueError("expected at least one weekday, e.g. [mon, tue, wed, thu, fri]; "
                                 "leave out days to follow the pattern")
            twice = sorted({d for d in days if days.count(d) > 1})
            if twice:
                raise ValueError(f"{', '.join(twice)} named twice; name each weekday once")
        return days

    @model_validator(mode="after")
    def _days_match_the_pattern(self) -> Shift:
        if self.days is not None and "pattern" in self.model_fields_set and (
                self.days_on + self.days_off != 7 or self.days_on != len(self.days)):
            n = len(self.days)
            raise ValueError(f"days names {n} weekdays but the pattern is {self.pattern!r}; "
                             f"with days, write pattern '{n}/{7 - n}' or leave it out")
        return self

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
        """Working days in a row (the ``5`` of ``5/2``)."""
        return int(self.pattern.split("/")[0])

    @property
    def days_off(self) -> int:
        """Days off in a row (the ``2`` of ``5/2``)."""
        return int(self.pattern.split("/")[1])

    def weekdays(self) -> tuple[int, ...] | None:
        """The weekdays the shift works (0 = Monday), or None for a rotating pattern.

        Named ``days`` decide.  Without them a weekly pattern ``n/(7-n)``
        works the first ``n`` weekdays from Monday, as a head of sales
        reads it: ``5/2`` Monday to Friday, ``6/1`` Monday to Saturday,
        ``4/3`` Monday to Thursday, ``7/0`` every day.  A rotating pattern
        (``2/2``, ``3/3``, any cycle that is not a week) keeps its phases
        and returns None.
        """
        if self.days is not None:
            return tuple(sorted(WEEKDAYS.index(d) for d in self.days))
        if self.days_on + self.days_off == 7:
            return tuple(range(self.days_on))
        return None


class Absence(Strict):
    """Days a manager is away from a working day: sick leave and vacation (MODEL.md section 1).

    ``sick_share`` of working days are lost one by one, at random;
    ``vacation_weeks_per_year`` are taken in whole calendar weeks (Monday
    to Sunday), each week off with chance ``weeks / 52.18``.  An absent
    manager gets no leads and makes no calls that day; their follow-ups
    wait for them.  Both default to 0.
    """

    sick_share: UProb = Field(0.0, description="share of working days off sick")
    vacation_weeks_per_year: Number = Field(0.0, ge=0, le=52, description="weeks of vacation a year")


class Channel(Strict):
    """A lead source bought from ads (MODEL.md section 2); ``cpl`` is in the scenario's currency."""

    name: Name
    leads_per_day: UNonNeg = Field(description="mean leads per calendar day at start")
    weekday_profile: list[Number] = Field(
        default_factory=lambda: [1.0] * 7,
        description="relative volume Mon..Sun (normalised to mean 1)",
    )
    hour_profile: list[Number] | None = Field(
        None, description="relative volume per hour 0..23 (normalised); flat: around the clock; "
                          "default: an ads B2C day (few at night, peaks late morning and evening)"
    )
    growth_per_month: UGrowth = Field(0.0, description="volume growth per 30.44 days (0.05 = +5%)")
    overdispersion: Number = Field(
        0.0, ge=0, description="day volume is negative binomial: var = m + overdispersion*m^2"
    )
    cpl: Money = Field(0.0, description="cost per lead, currency")
    nontarget_share: UProb = Field(0.0, description="share of leads reached but non-target (short call)")
    unreachable_share: UProb = Field(0.0, description="share of leads with a broken number (never reached)")
    contact_factor: UNonNeg = Field(1.0, description="multiplier on the contact chance of its leads")
    quality: UNonNeg = Field(1.0, description="multiplier on contact-to-qualified")
    check_factor: UNonNeg = Field(1.0, description="multiplier on the price of its deals")
    installment_share: UProb | None = Field(
        None, description="share of its offers by installment (default: the funnel's)")

    @model_validator(mode="after")
    def _nontarget_within_one(self) -> Channel:
        shares = (self.nontarget_share, self.unreachable_share)
        if all(isinstance(x, float) for x in shares) and sum(shares) > 1.0:  # type: ignore[arg-type]
            raise ValueError(f"nontarget_share {shares[0]:g} + unreachable_share {shares[1]:g} is above 1; "
                             "both are shares of all the channel's leads (the rest are target leads)")
        return self

    @field_validator("overdispersion")
    @classmethod
    def _overdispersion(cls, od: float) -> float:
        if MAX_OVERDISPERSION.exceeded(od):
            raise ValueError(MAX_OVERDISPERSION.message(od))
        return od

    @field_validator("weekday_profile")
    @classmethod
    def _weekday(cls, profile: list[float]) -> list[float]:
        return _profile(profile, 7, "Mon..Sun")

    @field_validator("hour_profile", mode="before")
    @classmethod
    def _flat(cls, profile: Any) -> Any:
        if isinstance(profile, str):
            if profile.strip().lower() != "flat":
                raise ValueError(f"expected 24 relative volumes (hours 0..23) or flat (evenly around the "
                                 f"clock), got {profile!r}")
            return [1.0] * 24  # 24 equal values: the uniform minute of the day (world/arrivals.py)
        return profile

    @field_validator("hour_profile")
    @classmethod
    def _hour(cls, profile: list[float] | None) -> list[float] | None:
        return None if profile is None else _profile(profile, 24, "hours 0..23")


class Routing(Strict):
    """How a new lead is assigned to a manager (MODEL.md section 3).

    ``policy`` names one row of
    :data:`~simsales.scenario.policies.ROUTING_POLICIES`, the one table of
    policies; the field's description lists them with what each does.
    ``onboarding_days``: days after joining in which a manager gets no leads.
    ``min_shift_left`` (minutes): a manager with less left of their shift
    (shifts that meet count as one) gets no new lead; the lead goes to one
    with enough left, else to the next shift.  ``max_new_per_day``: new leads
    per manager per calendar day (the day they would take it); a lead nobody
    below the cap could take goes to the next shift with someone below it, but
    not past its expiry (``lead_ttl``): then it goes to nobody and expires unworked.
    ``ramp_share``: a manager in ramp takes this share of a ramped manager's
    new leads.  ``handover_after_hours`` (hours; None: off): that long after
    the end of a manager's block of shifts, if their next block has not
    started, their queued tasks due before it starts are routed anew to a
    manager on shift (MODEL.md section 3).
    """

    policy: PolicyName = Field(POLICY_NAMES[0], description=_POLICY_HELP)
    onboarding_days: WholeDays = Field(5, description="days after joining with no leads")
    min_shift_left: Minutes = Field(0.0, description="less shift left than this: no new lead (minutes)")
    max_new_per_day: Count | None = Field(None, ge=1, description="new leads per manager per calendar day")
    ramp_share: Number = Field(1.0, gt=0, le=1,
                               description="a manager in ramp takes this share of a ramped one's new leads")
    handover_after_hours: Hours | None = Field(
        None,
        description="hours (or a duration: 90m, 2h) after the end of a manager's block of shifts at which "
                    "their tasks due before their next shift go to a manager on shift (0: at the block's "
                    "end; null: never)")

    @field_validator("min_shift_left")
    @classmethod
    def _shift_left(cls, minutes: float) -> float:
        if not minutes < MINUTES_PER_DAY:
            raise ValueError(f"expected less than a day ({MINUTES_PER_DAY:g} minutes), got "
                             f"{duration_text(minutes)}: no shift is longer, so nobody would ever get a lead")
        return minutes

    @model_validator(mode="after")
    def _caps_need_assignment(self) -> Routing:
        limits = self.max_new_per_day is not None or self.ramp_share != 1.0 or self.min_shift_left > 0
        if self.policy == "shared_queue" and limits:
            raise ValueError("min_shift_left, max_new_per_day and ramp_share limit whom a lead is assigned "
                             "to; under shared_queue nobody is assigned a lead (the first free manager "
                             "takes it): use round_robin, least_loaded or weighted, or leave them out")
        return self
