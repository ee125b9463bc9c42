"""Bad user input: :class:`InputError`, one or more :class:`Problem` s, each with its file, line and field.

The command line prints an ``InputError`` and exits with status 2.  Its
text is one line per problem, ``FILE:LINE: FIELD: message``, the first
problem first; ``file``, ``message``, ``field`` and ``line`` are the first
problem's, ``problems`` all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes:
        field: the field path, e.g. ``team.managers[3].team_lead`` ("" if none).
        line: the 1-based line in the file, where known.
        message: what was expected, what was given and, where a guess is
            possible, what was probably meant.
    """

    field: str
    line: int | None
    message: str

    def render(self, file: str) -> str:
        """``FILE:LINE: FIELD: message`` (the parts that are known).

        Args:
            file: the file (or command-line option) at fault.

        Returns:
            The problem on one line.
        """
        where = file if self.line is None else f"{file}:{self.line}"
        field_part = f" {self.field}:" if self.field else ""
        return f"{where}:{field_part} {self.message}"


@dataclass
class InputError(Exception):
    """Bad user input: the CLI prints it and exits with status 2.

    Attributes:
        file: the file (or command-line option) at fault.
        message: what was expected (the first problem's).
        field: the field path, e.g. ``team.talk_share`` ("" if none; the first problem's).
        line: the 1-based line in ``file``, where known (the first problem's).
        problems: every problem found, the first one first (just that one when
            the error was raised with a single message).
    """

    file: str
    message: str
    field: str = ""
    line: int | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.problems:
            self.problems = [Problem(self.field, self.line, self.message)]

    @classmethod
    def of(cls, file: str, problems: Sequence[Problem]) -> InputError:
        """The error for ``problems`` (at least one), the first one first.

        Args:
            file: the file at fault.
            problems: what is wrong, in the order to show.

        Returns:
            The error.
        """
        first = problems[0]
        return cls(file, first.message, first.field, first.line, list(problems))

    def __str__(self) -> str:
        return "\n".join(problem.render(self.file) for problem in self.problems)

    def __reduce__(self) -> tuple:
        return (type(self), (self.file, self.message, self.field, self.line, self.problems))
