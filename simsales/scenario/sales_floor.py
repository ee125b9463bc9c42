"""The sales floor: working hours, shifts, lead channels, routing and the touch chain.

MODEL.md sections 1 to 4.  Durations are minutes (strings such as ``"10m"``,
``"1h"``, ``"2d"`` are read as minutes), money is in the scenario's
currency.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simsales.scenario.base import WEEKDAYS, Strict, clock_minutes
from simsales.scenario.distributions import LogNormal
from simsales.scenario.fields import Dist, Minutes, UNonNeg, UProb, UReal
from simsales.scenario.policies import POLICY_NAMES, ROUTING_POLICIES
from simsales.scenario.units import MINUTES_PER_DAY

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_PATTERN = re.compile(r"^(\d+)/(\d+)$")

PolicyName = Literal[POLICY_NAMES]  # type: ignore[valid-type]  # the names are written once, in the table
"""A routing policy's name: one of :data:`~simsales.scenario.policies.POLICY_NAMES`."""

_POLICY_HELP = "; ".join(f"{p.name}: {p.description}" for p in ROUTING_POLICIES)


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
        """The working hours of one weekday.

        Args:
            weekday: 0 for Monday to 6 for Sunday.

        Returns:
            ``(open, close)`` in minutes after midnight, or None when closed.
        """
        text = getattr(self, WEEKDAYS[weekday]) or self.default
        if text == "closed":
            return None
        lo, hi = text.split("-")
        return clock_minutes(lo), clock_minutes(hi)


class Shift(Strict):
    """A shift pattern: ``5/2`` is five days on, two off; ``2/2`` two and two.

    Managers are spread over the shift groups by ``share`` and over the
    phases of the pattern, so every day is covered.  ``start`` is the time
    of day the shift begins, ``hours`` its length.
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
        """Working days in a row (the ``5`` of ``5/2``)."""
        return int(self.pattern.split("/")[0])

    @property
    def days_off(self) -> int:
        """Days off in a row (the ``2`` of ``5/2``)."""
        return int(self.pattern.split("/")[1])


class Channel(Strict):
    """A lead source bought from ads (MODEL.md section 2); ``cpl`` is in the scenario's currency."""

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

    ``policy`` names one row of
    :data:`~simsales.scenario.policies.ROUTING_POLICIES`, the one table of
    policies; the field's description lists them with what each does.
    ``onboarding_days``: days after joining in which a manager gets no leads.
    """

    policy: PolicyName = Field(POLICY_NAMES[0], description=_POLICY_HELP)
    onboarding_days: int = Field(5, ge=0, description="days after joining with no leads")


class Decay(Strict):
    """Contact chance falls with lead age: ``max(floor, 0.5 ** (age / half_life))``.

    Or give ``table``: factors by age bucket, ``[[age, factor], ...]`` with
    ages ascending; the factor of the last bucket whose age is <= the lead's
    age applies.  Ages and ``half_life`` are in minutes.
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
    """The planned contact attempts of every lead (MODEL.md section 4); times in minutes."""

    offsets: list[Minutes] = Field(min_length=1, description="planned attempt times after creation")
    p_contact: list[UProb] = Field(min_length=1, description="chance per attempt (one value: all)")
    decay: Decay | None = None
    dial_minutes: float = Field(1.0, ge=0, description="manager time of an unanswered attempt")
    call_minutes: Dist = Field(
        default_factory=lambda: LogNormal(9.0, 5.0),
        description="length of the contact call, qualification included",
    )
    priority: Literal["new_first", "due_first"] = "new_first"
    lead_ttl: Minutes = Field(7 * MINUTES_PER_DAY, gt=0,
                              description="attempts not made by this age are dropped")

    @model_validator(mode="after")
    def _shape(self) -> TouchChain:
        if self.offsets != sorted(self.offsets):
            raise ValueError("offsets must be ascending")
        if len(self.p_contact) not in (1, len(self.offsets)):
            raise ValueError("p_contact needs one value or one per offset")
        return self

    def contact_chance(self, k: int) -> float | object:
        """The base contact chance of one attempt, before the decay.

        Args:
            k: the attempt, 0-based.

        Returns:
            A probability, or an :class:`~simsales.scenario.uncertain.Uncertain`
            one in a scenario not yet resolved.
        """
        return self.p_contact[k if len(self.p_contact) > 1 else 0]
