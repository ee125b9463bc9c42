"""The two consoles (results on stdout; progress, notes and errors on stderr) and user errors.

Every message that carries user text (a file name, a plan name, a value
from a scenario) prints it literally: the consoles never turn ``:100:``
into an emoji, and :func:`literal` keeps ``[bold]`` in a plan's name from
being read as rich markup.  :func:`fail` escapes the whole error.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from simsales.scenario.loader import InputError

__all__ = ["err", "fail", "literal", "note", "out"]

err = Console(stderr=True, emoji=False, highlight=False)
"""Progress bars, errors and notes: stderr.  No emoji codes, no highlighting of numbers."""

# Piped or redirected output gets 120 columns (rich would wrap the plan tables at 80).
out = Console(width=None if sys.stdout.isatty() else 120, emoji=False)
"""Results: stdout.  No emoji codes."""


def literal(text: object) -> str:
    """User text made safe to put inside rich markup: printed as written.

    Args:
        text: anything (it is turned into a string).

    Returns:
        The text with every ``[`` that would open a markup tag escaped.
    """
    return escape(str(text))


def fail(error: InputError | str) -> typer.Exit:
    """Print a user error and return the exit to raise.

    Args:
        error: what was wrong (an :class:`InputError` names the file, field
            and line); printed literally.

    Returns:
        The exit (status 2) for the caller to ``raise``.
    """
    err.print(f"[bold red]error:[/] {literal(error)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def note(message: str, kind: str = "note") -> None:
    """Print a note on stderr (``note:`` or ``warning:``), literally.

    Args:
        message: what to say (user text allowed).
        kind: the label before it.
    """
    style = "yellow" if kind == "warning" else "dim"
    err.print(f"[{style}]{kind}:[/] {literal(message)}", highlight=False, soft_wrap=True)
