"""How numbers and durations may be written: the same forms in scenario files and on the command line.

A number is a YAML number or a string in one of these forms (documented
once, :data:`NUMBER_FORMS`): ``0.15``; a percentage ``"15%"`` (0.15); a
suffix ``k`` (thousand), ``M`` or ``mln`` (million), ``bn`` or ``b``
(billion), in any case (``"40k"``, ``"750M"``, ``"1.2bn"``); underscores or
thousands commas between digits (``1_000``, ``"1,000,000"``).  A
duration is a number in the field's own unit (minutes for ``*_minutes``,
``offsets``, ``lead_ttl``, ``half_life``; days for ``*_days``) or a
number with a unit of time (:data:`DURATION_FORMS`): ``"10 minutes"``,
``"10 min"``, ``"10m"``, ``"2 hours"``, ``"1.5h"``, ``"1 day"``,
``"5 days"``, ``"2d"``, ``"2 weeks"``.  In a duration ``m`` is minutes;
elsewhere it is million.

Every parser refuses what is not finite (``.nan``, ``.inf``, ``1e400``) and
raises :class:`NumberFormError`, a ``ValueError`` whose message says which
forms are accepted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR

NUMBER_FORMS = "0.15, 15%, 40k, 750M, 1.2bn or 1_000"
"""The number forms, as error messages list them."""

DURATION_FORMS = "'10 minutes', '10 min', '10m', '2 hours', '1.5h', '1 day', '5 days', '2d' or '2 weeks'"
"""The duration forms, as error messages list them."""

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+(?:_\d+)*)?|\.\d+"
_NUMBER = re.compile(rf"^\s*([-+]?(?:{_DIGITS})(?:e[-+]?\d+)?)\s*(%|k|m|mln|bn|b)?\s*$", re.IGNORECASE)
_SUFFIX = {"": 1.0, "%": 0.01, "k": 1e3, "m": 1e6, "mln": 1e6, "bn": 1e9, "b": 1e9}
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d{1,2}\s*%?\s*$")

_UNIT_MINUTES = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "m": 1.0, "min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": MINUTES_PER_HOUR, "hr": MINUTES_PER_HOUR, "hrs": MINUTES_PER_HOUR,
    "hour": MINUTES_PER_HOUR, "hours": MINUTES_PER_HOUR,
    "d": MINUTES_PER_DAY, "day": MINUTES_PER_DAY, "days": MINUTES_PER_DAY,
    "w": 7 * MINUTES_PER_DAY, "wk": 7 * MINUTES_PER_DAY, "week": 7 * MINUTES_PER_DAY,
    "weeks": 7 * MINUTES_PER_DAY,
}
_DURATION = re.compile(rf"^\s*((?:{_DIGITS})(?:e[-+]?\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
_ANY_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)\.?\s*$")
_OTHER_UNITS = (  # (how the unit's name starts, the unit it is, its length in days when not a duration form)
    ("мин", "minutes", None), ("час", "hours", None), ("ч", "hours", None), ("ден", "days", None),
    ("день", "days", None), ("дн", "days", None), ("д", "days", None), ("нед", "weeks", None),
    ("mon", "months", 365.25 / 12), ("mo", "months", 365.25 / 12), ("мес", "months", 365.25 / 12),
    ("y", "years", 365.25), ("год", "years", 365.25), ("лет", "years", 365.25), ("г", "years", 365.25),
)
"""Units a duration form does not take, and what they probably meant."""


class NumberFormError(ValueError):
    """Text that is not a number (or a duration) in any accepted form."""


def shown(value: Any) -> str:
    """A given value for a message as a YAML file shows it, cut short.

    ``None`` is said as an empty value, ``True`` and ``False`` as YAML's true
    and false (with why: a bare yes, no, on or off), a date as ``2026-07-01``.

    Args:
        value: what the YAML gave.

    Returns:
        The words for it.
    """
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads a bare yes, no, on or off as true or false)"
    if isinstance(value, dt.date):
        return f"the moment {value}" if isinstance(value, dt.datetime) else f"the date {value.isoformat()}"
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_number(value: Any) -> float:
    """Read a number in any accepted form (see the module docstring).

    Args:
        value: a YAML number, or text such as ``"15%"``, ``"750M"``, ``"1_000"``.

    Returns:
        The number (``"15%"`` -> 0.15, ``"40k"`` -> 40000.0).

    Raises:
        NumberFormError: not a number in an accepted form, or not finite.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise NumberFormError(f"expected a number such as {NUMBER_FORMS}, got {shown(value)}")
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _NUMBER.match(value)
        if not match:
            raise NumberFormError(f"expected a number such as {NUMBER_FORMS}, got {value!r}{_hint(value)}")
        digits = match.group(1).replace("_", "").replace(",", "")
        suffix = (match.group(2) or "").lower()
        # A percentage is divided by 100, not multiplied by 0.01 (not exact in binary): "35%" is 0.35 itself.
        number = float(digits) / 100.0 if suffix == "%" else float(digits) * _SUFFIX[suffix]
    if not math.isfinite(number):
        raise NumberFormError(f"expected a finite number, got {value!r}")
    return number


_SPACES = "[ \u00a0\u202f]"  # a space, a no-break space, a narrow no-break space
_SPACED = re.compile(rf"^\s*([-+]?\d{{1,3}}(?:{_SPACES}\d{{3}})+)(?:[.,](\d+))?\s*(%|k|m|mln|bn|b)?\s*$",
                     re.IGNORECASE)
_RUSSIAN = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(тыс\.?|к|млн\.?|кк|млрд\.?)\s*$", re.IGNORECASE)
_RUSSIAN_SUFFIX = {"тыс": "k", "к": "k", "млн": "M", "кк": "M", "млрд": "bn"}


def _hint(value: str) -> str:
    """What text that is no number probably meant (``""``: no guess).

    A decimal comma (``1,5``), digits grouped by spaces (``1 500``, as written in Russia), a suffix
    written in Russian (``15 млн``, ``40 тыс``, ``40к``).
    """
    if _DECIMAL_COMMA.match(value):
        return f"; did you mean {value.strip().replace(',', '.')}? (a comma only groups thousands)"
    if match := _SPACED.match(value):
        digits = re.sub(_SPACES, "", match.group(1)) + (f".{match.group(2)}" if match.group(2) else "")
        return f"; did you mean {digits}{match.group(3) or ''}? (group digits with _ or a comma, not a space)"
    if match := _RUSSIAN.match(value):
        suffix = _RUSSIAN_SUFFIX[match.group(2).lower().rstrip(".")]
        return f"; did you mean {match.group(1).replace(',', '.')}{suffix}?"
    return ""


def as_number(value: Any) -> Any:
    """Read number forms written as text; leave anything else for the field's own check.

    The ``BeforeValidator`` of every plain number field of the schema.

    Args:
        value: the value as the YAML gave it.

    Returns:
        A float for text in a number form; ``value`` unchanged otherwise.

    Raises:
        NumberFormError: text that is no number.
    """
    if isinstance(value, bool):
        raise NumberFormError(f"expected a number such as {NUMBER_FORMS}, got {shown(value)}")
    return parse_number(value) if isinstance(value, str) else value


def as_whole(value: Any) -> Any:
    """Read a count: a whole number in any number form (``40k``, ``1_000``, ``3.0``).

    Args:
        value: the value as the YAML gave it.

    Returns:
        An int for a whole number; ``value`` unchanged when it is no number.

    Raises:
        NumberFormError: text that is no number, or a number with a fraction.
    """
    if isinstance(value, bool):
        raise NumberFormError(f"expected a whole number, got {shown(value)}")
    if not isinstance(value, int | float | str):
        return value
    number = parse_number(value)
    if number != math.floor(number):
        raise NumberFormError(f"expected a whole number, got {value!r}")
    return int(number)


def parse_duration(value: Any, unit_minutes: float = 1.0) -> float:
    """Read a duration, in the field's unit.

    Args:
        value: a number (already in the field's unit), a number form without a
            unit, or a number with a unit of time (see :data:`DURATION_FORMS`).
        unit_minutes: minutes in the field's unit (1 for minutes, 1440 for days).

    Returns:
        The duration, in the field's unit (>= 0).

    Raises:
        NumberFormError: not a duration, negative, or not finite.
    """
    unit_name = {1.0: "minutes", 60.0: "hours"}.get(unit_minutes, "days")
    expected = f"expected a duration such as 90 ({unit_name}), {DURATION_FORMS}"
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match and match.group(2).lower() in _UNIT_MINUTES:
        number = float(match.group(1).replace("_", "").replace(",", ""))
        number *= _UNIT_MINUTES[match.group(2).lower()] / unit_minutes
    elif match and not _NUMBER.match(value):
        raise NumberFormError(f"{expected}, got {value!r} (unknown unit {match.group(2)!r})"
                              f"{_unit_hint(value, unit_minutes)}")
    else:
        try:
            number = parse_number(value)
        except NumberFormError:
            hint = _unit_hint(value, unit_minutes)
            raise NumberFormError(f"{expected}, got {shown(value)}{hint}") from None
    if not math.isfinite(number):
        raise NumberFormError(f"expected a finite duration, got {value!r}")
    if number < 0:
        raise NumberFormError(f"expected a duration >= 0, got {value!r}")
    return number


def _unit_hint(value: Any, unit_minutes: float) -> str:
    """What a duration in a unit the forms do not take meant (``3 дня``, ``2 months``), or ``""``."""
    match = _ANY_UNIT.match(value) if isinstance(value, str) else None
    if not match:
        return ""
    number, unit = float(match.group(1).replace(",", ".")), match.group(2).lower()
    found = next(((name, days) for start, name, days in _OTHER_UNITS if unit.startswith(start)), None)
    if found is None:
        return ""
    name, days = found
    if days is None:
        return f"; did you mean '{number:g} {name}'?"
    length = number * days * MINUTES_PER_DAY / unit_minutes
    field_unit = {1.0: "minutes", 60.0: "hours"}.get(unit_minutes, "days")
    said = name.removesuffix("s") if number == 1 else name
    return f"; did you mean {length:.0f}? ({number:g} {said} is about {length:.0f} {field_unit})"


def parse_minutes(value: Any) -> float:
    """Read a duration in minutes: ``90``, ``"10 minutes"``, ``"1.5h"``, ``"2d"``.

    Args:
        value: a number of minutes, or text in a duration form.

    Returns:
        The duration in minutes.

    Raises:
        NumberFormError: not a duration (the message lists the forms), or negative.
    """
    return parse_duration(value, 1.0)


def parse_hours(value: Any) -> float:
    """Read a duration in hours: ``2``, ``"2 hours"``, ``"90m"``, ``"1d"``.

    Args:
        value: a number of hours, or text in a duration form.

    Returns:
        The duration in hours.

    Raises:
        NumberFormError: not a duration (the message lists the forms), or negative.
    """
    return parse_duration(value, 60.0)


def parse_days(value: Any) -> float:
    """Read a duration in days: ``5``, ``"5 days"``, ``"2 weeks"``, ``"36h"``.

    Args:
        value: a number of days, or text in a duration form.

    Returns:
        The duration in days.

    Raises:
        NumberFormError: not a duration (the message lists the forms), or negative.
    """
    return parse_duration(value, MINUTES_PER_DAY)


def whole_days(value: Any) -> Any:
    """Read a whole number of days (``tenure_days``, ``time_to_hire_days``, ...).

    Args:
        value: a number of days, or text in a duration form (``"2 weeks"``).

    Returns:
        An int; ``value`` unchanged when it is neither a number nor text
        (the field's own type check reports it).

    Raises:
        NumberFormError: not a duration, negative, or not a whole number of days.
    """
    if isinstance(value, bool):
        raise NumberFormError(f"expected a whole number of days, got {shown(value)}")
    if not isinstance(value, int | float | str):
        return value
    if isinstance(value, int | float) and value < 0:
        return value  # the field's ">= 0" says it
    days = parse_days(value)
    if days != math.floor(days):
        raise NumberFormError(f"expected a whole number of days, got {value!r} ({days:g} days)")
    return int(days)


PERCENT_FROM = 2.0
"""A share given from this up to 100 reads as a percentage written without its ``%`` (35 for 35%).

Just above 1 it does not: 1.1 is a share past its end (110%, or 0.11 mistyped) far more often than
a chance of 1.1%, and the hint would offer 0.011.
"""


def is_percent(number: float) -> bool:
    """Whether a share given as ``number`` is plausibly a percentage written without its ``%``.

    Args:
        number: a value given for a share (a probability, a factor in [0, 1]).

    Returns:
        True for a number in [:data:`PERCENT_FROM`, 100].
    """
    return PERCENT_FROM <= number <= 100.0


def percent_hint(number: float) -> str:
    """What a probability written as a percentage probably meant.

    Args:
        number: a value given for a probability.

    Returns:
        ``"; did you mean 0.85 (85%)?"`` for a number in [:data:`PERCENT_FROM`, 100]
        (:func:`is_percent`); ``""`` otherwise (the message around it says the range).
    """
    if is_percent(number):
        return f"; did you mean {number / 100:g} ({number:g}%)?"
    return ""
