"""Field types of the scenario schema: numbers, counts, durations, money, uncertain values, distributions.

Every number may be written in any form of :mod:`simsales.scenario.numbers`
(``15%``, ``40k``, ``750M``, ``1_000``); none may be NaN or infinite.

* ``Name``: a name (of the scenario, a plan, a channel, a shift or a team
  lead): not empty and not only spaces.
* ``Number``: a plain number; ``Count``: a whole number (``40k`` is 40,000;
  2.5 is an error); ``Money``: an amount >= 0 in the scenario's currency,
  at most :data:`~simsales.scenario.limits.MAX_MONEY`.
* ``Minutes`` / ``Days``: a duration, ``90`` or ``"10 minutes"``, ``"1.5h"``,
  ``"2d"``, in minutes / days; ``WholeDays``: a whole number of days (at
  most :data:`~simsales.scenario.limits.MAX_DAYS`).
* ``UProb`` (a probability in [0, 1]), ``UNonNeg`` (>= 0) and ``UGrowth``
  (a monthly growth, never below -100%): a plain number, or a distribution
  that becomes an :class:`~simsales.scenario.uncertain.Uncertain` drawn
  once per replication.
* ``Dist`` (a factor), ``DistMinutes``, ``DistDays``, ``DistMoney``: a
  distribution of values >= 0 sampled per call, deal or manager
  (:mod:`simsales.scenario.distributions`); a duration's may be a
  duration string (``"10 minutes"``: always ten minutes).

Every type dumps back as the YAML that makes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, PlainValidator

from simsales.scenario.distribution_specs import parse_distribution
from simsales.scenario.distributions import Distribution, Fixed
from simsales.scenario.limits import MAX_DAYS, MAX_MONEY, Limit, amount
from simsales.scenario.numbers import (
    PERCENT_FROM,
    NumberFormError,
    as_number,
    as_whole,
    parse_days,
    parse_hours,
    parse_minutes,
    percent_hint,
    whole_days,
)
from simsales.scenario.ranges import practical_range
from simsales.scenario.uncertain import Uncertain


def at_most(limit: Limit, what: str = "") -> AfterValidator:
    """A field check against a feasibility limit (the error gives the limit's reason).

    Args:
        limit: the limit.
        what: what the value is, for the message.

    Returns:
        The pydantic ``AfterValidator``.
    """
    def check(value: float) -> float:
        if limit.exceeded(value):
            raise ValueError(limit.message(value, what))
        return value

    return AfterValidator(check)


def _is_spec(value: Any) -> bool:
    """Whether ``value`` is written as a distribution (not a plain number)."""
    return isinstance(value, dict) or (isinstance(value, str) and value.lstrip().startswith("{"))


def _uncertain(lo: float, hi: float, what: str, lower_end: str = "") -> PlainValidator:
    """Validate an uncertain number whose draws must stay in ``[lo, hi]``.

    With ``lower_end`` (said in the message), an unbounded distribution's
    lower end is its practical one (:func:`~simsales.scenario.ranges.practical_range`).
    """
    def validate(value: Any) -> float | Uncertain:
        if isinstance(value, Uncertain):
            return value
        dist = parse_distribution(value)
        s_lo, s_hi = practical_range(dist) if lower_end else dist.support
        if not (s_lo >= lo and s_hi <= hi):
            if isinstance(dist, Fixed):
                hint = percent_hint(dist.value) if hi == 1.0 and lo == 0.0 else ""
                raise ValueError(f"expected {what}, got {dist.value:g}{hint}")
            hint = f"; {lower_end}" if lower_end else ""
            if hi == 1.0 and lo == 0.0 and s_lo >= 0 and PERCENT_FROM <= s_hi <= 100:
                hint = "; if these are percentages, divide them by 100"
            elif hi == 1.0 and lo == 0.0 and not (math.isfinite(s_lo) and math.isfinite(s_hi)):
                hint = ("; a probability needs a distribution that stays in [0, 1]: a beta (e.g. "
                        "{beta: [30, 70]} for about 0.3) or the same one cut with min: 0 and max: 1")
            raise ValueError(f"expected {what}, got {dist!r} (range {s_lo:g} to {s_hi:g}){hint}")
        return Uncertain(dist) if _is_spec(value) else float(dist.mean)

    return PlainValidator(validate)


def _as_yaml(value: Any) -> Any:
    """Numbers stay numbers; a distribution dumps as the YAML that makes it."""
    if isinstance(value, Fixed):
        return value.value
    return value if isinstance(value, int | float) else repr(value)


_serial = PlainSerializer(_as_yaml)

UProb = Annotated[float | Uncertain, _uncertain(0.0, 1.0, "a probability in [0, 1]"), _serial]
UShare = UProb
UNonNeg = Annotated[float | Uncertain, _uncertain(0.0, math.inf, "a number >= 0"), _serial]
UGrowth = Annotated[
    float | Uncertain,
    _uncertain(-1.0, math.inf, "a monthly growth >= -1 (-100%: a volume cannot fall below zero)",
               lower_end="a distribution without a lower bound must pass -1 less than once in 10^12 "
                         "draws (a normal: mean at least 7 sd above -1)"),
    _serial,
]
UReal = UGrowth


def _dist(lo: float, what: str, unit: Callable[[Any], float] | None = None,
          limit: Limit | None = None) -> PlainValidator:
    def validate(value: Any) -> Distribution:
        if unit is not None and isinstance(value, str) and not _is_spec(value):
            try:
                return Fixed(unit(value))  # a duration string: always that long
            except NumberFormError:
                pass  # not a duration: read it as a number or a distribution below
        dist = parse_distribution(value)
        if dist.support[0] < lo:
            raise ValueError(f"expected {what}, got {dist!r}")
        if limit is not None:
            top = practical_range(dist)[1]
            if limit.exceeded(top):
                raise ValueError(limit.message(top, f"the upper end of {dist!r}"))
        return dist

    return PlainValidator(validate)


Dist = Annotated[Distribution, _dist(0.0, "a distribution of values >= 0"), _serial]
DistMinutes = Annotated[
    Distribution, _dist(0.0, "a distribution of minutes >= 0", parse_minutes), _serial]
DistDays = Annotated[Distribution, _dist(0.0, "a distribution of days >= 0", parse_days), _serial]
DistMoney = Annotated[
    Distribution, _dist(0.0, "a distribution of amounts >= 0", limit=MAX_MONEY), _serial]

def _name(text: str) -> str:
    """A name people and the command line refer to: not empty, not only spaces."""
    if not text.strip():
        shown = "an empty one" if not text else f"{text!r}, only spaces"
        raise ValueError(f"expected a name, got {shown} (tables, reports and other fields refer to "
                         "it by name)")
    return text


Name = Annotated[str, AfterValidator(_name)]
Number = Annotated[float, BeforeValidator(as_number)]
Count = Annotated[int, BeforeValidator(as_whole)]
Money = Annotated[float, BeforeValidator(as_number), Field(ge=0), at_most(MAX_MONEY)]
Minutes = Annotated[float, PlainValidator(parse_minutes), PlainSerializer(float)]
Days = Annotated[float, PlainValidator(parse_days), PlainSerializer(float)]
Hours = Annotated[float, PlainValidator(parse_hours), PlainSerializer(float)]
WholeDays = Annotated[int, BeforeValidator(whole_days), Field(ge=0), at_most(MAX_DAYS)]

__all__ = [
    "Count", "Days", "Dist", "DistDays", "DistMinutes", "DistMoney", "Hours", "Minutes", "Money", "Name",
    "Number", "UGrowth", "UNonNeg", "UProb", "UReal", "UShare", "WholeDays", "amount", "at_most",
    "parse_minutes",
]
