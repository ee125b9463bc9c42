"""What every section of the scenario schema shares: strict models, problems, clock times.

Every section is a :class:`Strict` model: frozen, an unknown key is an
error (a typo in a scenario file is never silently ignored), and no number
may be NaN or infinite.  A validator that finds problems below its field
(an entry of a list, a key of a mapping) raises :class:`FieldProblems`,
so each is reported at the entry's own path and line.  Times of day are
written ``"09:30"`` and read as minutes after midnight.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from simsales.scenario.units import MINUTES_PER_HOUR

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys as a scenario writes them, Monday (0) to Sunday (6)."""

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_LIKE = re.compile(r"^\s*(\d{1,2})(?:\s*[:.,hHч]\s*(\d{2}))?\s*[hHч]?\s*$")


class Strict(BaseModel):
    """Base for every section: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              allow_inf_nan=False)


Path = tuple[str | int, ...]
"""Where a problem is, below the field a validator checks: keys and list indices."""


class FieldProblems(ValueError):
    """Problems a validator found below its field, each with its own path.

    Attributes:
        problems: ``(path, message)`` pairs; the path continues the
            validated field's (``(3, "team_lead")`` under ``team.managers``).
    """

    def __init__(self, problems: list[tuple[Path, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


def raise_problems(problems: list[tuple[Path, str]]) -> None:
    """Raise :class:`FieldProblems` if there are any.

    Args:
        problems: ``(path, message)`` pairs found by a validator.

    Raises:
        FieldProblems: ``problems`` is not empty.
    """
    if problems:
        raise FieldProblems(problems)


def clock_minutes(text: str) -> int:
    """Read a time of day: ``"09:30"`` -> 570.

    Args:
        text: a time of day, ``HH:MM`` (``"24:00"`` is the end of the day).

    Returns:
        Minutes after midnight.

    Raises:
        ValueError: ``text`` is not a time of day.
    """
    match = _CLOCK.match(text)
    if not match or int(match.group(1)) * 60 + int(match.group(2)) > 24 * 60 or int(match.group(2)) > 59:
        guess = clock_guess(text)
        hint = f"; did you mean '{guess}'?" if guess and guess != text else ""
        raise ValueError(f"expected a time of day such as '09:00', got {text!r}{hint}")
    return int(match.group(1)) * int(MINUTES_PER_HOUR) + int(match.group(2))


def clock_guess(text: object) -> str | None:
    """A time of day written another way, as ``HH:MM``: ``"9"``, ``"9.30"``, ``"9h"``, ``" 9:30 "``.

    Args:
        text: what was written.

    Returns:
        ``"09:30"``, or None when it reads as no time of day (at most 24:00).
    """
    match = _CLOCK_LIKE.match(str(text))
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if minutes > 59 or hours * 60 + minutes > 24 * 60:
        return None
    return f"{hours:02d}:{minutes:02d}"
