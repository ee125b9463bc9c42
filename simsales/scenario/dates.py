"""Dates in a scenario: ``2026-07-01``, read the same way in every field that holds one.

pydantic's own date type reads a number as Unix time (``start: 0`` is
1970-01-01, ``holidays: [86400]`` is 1970-01-02, the text ``"1782864000"``
is 2026-07-01) and refuses a date with a time of day in words meant for
programmers.  :data:`Date` reads a date written year first (YAML's own, or
the same text in quotes; a time of day of exactly midnight is dropped) and
refuses anything else with what was probably meant: a number that reads as
``YYYYMMDD`` or as a spreadsheet's day number, the date without its time of
day, a date written day first (:func:`~simsales.scenario.checks.date_hint`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from simsales.scenario.checks import date_hint
from simsales.scenario.numbers import shown

__all__ = ["Date", "as_date", "number_date_hint", "spreadsheet_moment"]

EXPECTED = "expected a date such as 2026-07-01"
"""How every date error begins."""

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # a spreadsheet's day 1 is 1900-01-01 (its day 60 a 29 Feb 1900)
_EXCEL_DAYS = (20_000, 80_000)  # 1954-10-03 .. 2119-01-10: the days a sales plan's date could fall on


def spreadsheet_moment(number: float) -> dt.datetime | None:
    """The moment a spreadsheet's day number stands for (``46204.5`` is 2026-07-01 12:00), to the minute.

    Args:
        number: a number given where a date or a timestamp belongs.

    Returns:
        The moment, or None when the number is no day a sales department's
        data could fall on (outside 1954-10-03 .. 2119-01-10).
    """
    if not (math.isfinite(number) and _EXCEL_DAYS[0] <= number < _EXCEL_DAYS[1] + 1):
        return None
    return dt.datetime.combine(_EXCEL_EPOCH, dt.time(0)) + dt.timedelta(minutes=round(number * 24 * 60))


def number_date_hint(number: float) -> str:
    """What a number given for a date probably meant, as ``"; did you mean 2026-07-01? ..."`` (or ``""``).

    ``20260701`` is the date with its dashes left out; ``46204`` is a
    spreadsheet's day number (what Excel or LibreOffice shows for a date
    cell formatted as a number).

    Args:
        number: the number given.

    Returns:
        The guess, or ``""`` when the number reads as no date.
    """
    if not math.isfinite(number) or number != int(number):
        return ""
    text = str(int(number))
    if len(text) == 8:
        try:
            day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            day = None
        if day is not None:
            return f"; did you mean {day.isoformat()}? (write the dashes: YYYY-MM-DD)"
    moment = spreadsheet_moment(number)
    if moment is not None:
        return (f"; did you mean {moment.date().isoformat()}? ({int(number)} is that day's number in a "
                "spreadsheet: write the date, YYYY-MM-DD)")
    return ""


def as_date(value: Any) -> dt.date:
    """Read a date as a scenario writes it.

    Args:
        value: what YAML read: a date, a datetime (kept only at midnight),
            or text (``"2026-07-01"``, or with a time of day of midnight).

    Returns:
        The date.

    Raises:
        ValueError: anything else (a number, a time of day other than
            midnight, a date written another way), with what was probably meant.
    """
    if isinstance(value, str):
        text = value.strip()
        if _ISO_DAY.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass  # no such day: date_hint says so
        elif _ISO_DAY.match(text):
            with contextlib.suppress(ValueError):  # not a moment either: said below
                value = dt.datetime.fromisoformat(text)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date()
        raise ValueError(f"{EXPECTED}, got {value.isoformat(sep=' ')} (a date and a time of day); "
                         f"did you mean {value.date().isoformat()}? (a date has no time of day)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{EXPECTED} (year first, YYYY-MM-DD), got the number {value!r}"
                         f"{number_date_hint(value)}")
    raise ValueError(f"{EXPECTED}, got {shown(value)}{date_hint(value)}")


Date = Annotated[dt.date, BeforeValidator(as_date)]
"""A date field of the scenario (:func:`as_date`)."""
