"""Working hours: the calendar of the sales floor (MODEL.md section 1).

Hours per weekday (``"09:00-21:00"``, or ``"09:00-02:00"`` closing after
midnight, or ``"closed"``), closed dates (holidays) and short days.  Times
are minutes after midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator, model_validator

from simsales.scenario.base import WEEKDAYS, Path, Strict, clock_guess, clock_minutes, raise_problems
from simsales.scenario.checks import date_hint
from simsales.scenario.dates import Date, as_date
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["Calendar", "hours_span"]

_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _hours_guess(text: str) -> str | None:
    """Working hours written another way (``"9-18"``, ``"09:00 – 18:00"``, ``"9.00-18.00"``, ``"Closed"``).

    Returns:
        The hours as a calendar writes them, or None when ``text`` reads as no hours.
    """
    if text.strip().casefold() == "closed":
        return "closed"
    parts = re.split(r"\s*[-\u2010-\u2015\u2212]\s*", text.strip())  # a hyphen, an en or em dash, a minus
    guesses = [clock_guess(part) for part in parts]
    if len(parts) != 2 or None in guesses or guesses[0] == guesses[1] or guesses[0] == "24:00":
        return None
    return f"{guesses[0]}-{guesses[1]}"


def _hours_text(text: str | None) -> str | None:
    """Check working hours: ``"09:00-21:00"``, ``"09:00-02:00"`` (past midnight) or ``"closed"``."""
    if text is None or text == "closed":
        return text
    match = _HOURS.match(text)
    if not match:
        guess = _hours_guess(text)
        hint = f"; did you mean '{guess}'?" if guess else ""
        raise ValueError(f"expected hours such as '09:00-21:00' or 'closed', got {text!r}{hint}")
    lo = clock_minutes(f"{match.group(1)}:{match.group(2)}")
    hi = clock_minutes(f"{match.group(3)}:{match.group(4)}")
    if lo == hi or lo >= MINUTES_PER_DAY:
        raise ValueError(f"opening and closing must differ and opening must be before 24:00, got {text!r} "
                         "(a closing time before the opening is the next day's: '09:00-02:00')")
    return text


def hours_span(text: str) -> tuple[int, int]:
    """Working hours ``"09:00-21:00"`` in minutes after midnight; a closing before the opening is next day's.

    Args:
        text: checked hours (not ``closed``).

    Returns:
        ``(open, close)``; ``close`` above 1440 when the floor closes after midnight.
    """
    lo_text, hi_text = text.split("-")
    lo, hi = clock_minutes(lo_text), clock_minutes(hi_text)
    return lo, hi + (MINUTES_PER_DAY if hi < lo else 0)


def _date_span(text: object) -> tuple[dt.date, dt.date]:
    """A date or an inclusive range ``"2026-12-31..2027-01-08"``, as ``(first, last)``."""
    if isinstance(text, dt.date):
        return text, text
    parts = [x.strip() for x in str(text).split("..")]
    try:
        if len(parts) > 2:
            raise ValueError(text)
        first, last = dt.date.fromisoformat(parts[0]), dt.date.fromisoformat(parts[-1])
    except ValueError:
        hint = next((h for h in map(date_hint, parts) if h), "")
        raise ValueError(f"expected a date such as 2026-12-31 or a range such as 2026-12-31..2027-01-08, "
                         f"got {text!r}{hint}") from None
    if last < first:
        raise ValueError(f"the range {text!r} ends before it starts; write the earlier date first")
    return first, last


def _span_form(entry: Any) -> Any:
    """A ``holidays`` entry as text or a date: a number or a time of day is refused (:func:`as_date`)."""
    return entry if isinstance(entry, str) else as_date(entry)


class Calendar(Strict):
    """Working hours per weekday, e.g. ``{mon: "09:00-21:00", sun: closed}``, and dates that differ.

    A weekday left out uses ``default``; ``closed`` means no work that day.
    ``holidays`` lists dates (or inclusive ranges ``2026-12-31..2027-01-08``)
    on which the floor is closed: no shift runs, leads wait for the next
    working day.  ``short_days`` gives other hours for single dates
    (``{2026-12-30: "10:00-16:00"}``): shifts are cut to them.
    """

    default: str = "09:00-21:00"
    mon: str | None = None
    tue: str | None = None
    wed: str | None = None
    thu: str | None = None
    fri: str | None = None
    sat: str | None = None
    sun: str | None = None
    holidays: list[Annotated[str | dt.date, BeforeValidator(_span_form)]] = Field(
        default_factory=list, description="closed dates or ranges (2026-12-31..2027-01-08)")
    short_days: dict[Date, str] = Field(default_factory=dict,
                                        description="other working hours on single dates")

    @field_validator("default", *WEEKDAYS)
    @classmethod
    def _hours(cls, text: str | None) -> str | None:
        return _hours_text(text)

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, spans: list[str | dt.date]) -> list[str | dt.date]:
        problems: list[tuple[Path, str]] = []
        for i, span in enumerate(spans):
            try:
                _date_span(span)
            except ValueError as exc:
                problems.append(((i,), str(exc)))
        raise_problems(problems)
        return spans

    @field_validator("short_days")
    @classmethod
    def _short_days(cls, days: dict[dt.date, str]) -> dict[dt.date, str]:
        problems: list[tuple[Path, str]] = []
        for day, text in days.items():
            try:
                _hours_text(text)
            except ValueError as exc:
                problems.append(((str(day),), str(exc)))
        raise_problems(problems)
        return days

    def closed_dates(self) -> set[dt.date]:
        """Every date ``holidays`` closes."""
        out: set[dt.date] = set()
        for span in self.holidays:
            first, last = _date_span(span)
            out.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        return out

    def hours_on(self, date: dt.date) -> tuple[int, int] | None:
        """The working hours of one date: a holiday, a short day, or its weekday's hours.

        Args:
            date: the calendar date.

        Returns:
            ``(open, close)`` in minutes after midnight, or None when closed.
        """
        if date in self.closed_dates():
            return None
        text = self.short_days.get(date)
        if text is None:
            return self.hours(date.weekday())
        if text == "closed":
            return None
        return hours_span(text)

    @model_validator(mode="after")
    def _open_some_day(self) -> Calendar:
        if all(self.hours(day) is None for day in range(7)):
            raise ValueError("the calendar is closed every day: nobody would ever work")
        return self

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
        return hours_span(text)
