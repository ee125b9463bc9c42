"""Scenario documents for the fuzzer: the shipped scenarios, cut short, paths into them, and cases.

A *case* (:class:`Case`) is one file a user could give simsales, with one
or two mistakes in it; :func:`mutate` makes a mistake and says what it did.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository."""

SCENARIOS = tuple(sorted((ROOT / "scenarios").glob("*.yaml")))
"""The shipped scenarios."""

SOURCES = SCENARIOS + tuple(sorted((ROOT / "tests" / "data").glob("*.yaml")))
"""What scenario cases start from: the shipped scenarios and the tests' own (other shapes of the schema)."""

HORIZON_DAYS = 7
"""Days a fuzzed scenario simulates: a week keeps every weekday and a run near 0.1 s."""


class _Delete:
    """The value of a mutation that deletes the key (or the list entry)."""

    def __deepcopy__(self, memo: dict) -> _Delete:
        return self

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()
"""A mutation's value that deletes the key (or the list entry)."""

Path_ = tuple[str | int, ...]


def path_text(path: Path_) -> str:
    """``("team", "managers", 0, "count")`` -> ``team.managers[0].count``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top>"


def nodes(doc: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) below ``doc``, parents before children."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        sub = (*path, key)
        yield sub, value
        yield from nodes(value, sub)


def get(doc: Any, path: Path_) -> Any:
    """The value at ``path``."""
    for part in path:
        doc = doc[part]
    return doc


def put(doc: Any, path: Path_, value: Any) -> None:
    """Set (or with :data:`DELETE`, remove) the value at ``path``."""
    parent = get(doc, path[:-1])
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


def is_number(value: Any) -> bool:
    """A YAML number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def dump(doc: Any) -> str:
    """YAML text of a document, leaf lists in flow style as people write them."""
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)


def month_of(day: dt.date) -> str:
    """``YYYY-MM`` of a day."""
    return f"{day.year:04d}-{day.month:02d}"


def shorten(doc: dict, days: int = HORIZON_DAYS) -> dict:
    """A scenario cut to ``days`` days, a 1-day warm-up and one replication, its plans' months kept inside.

    Args:
        doc: the parsed scenario (changed in place).
        days: the horizon to keep.

    Returns:
        ``doc``.
    """
    doc["horizon_days"] = min(days, int(doc.get("horizon_days", days)))
    doc["replications"] = 1
    doc.setdefault("warmup_days", 1)  # a short warm start: the reference engine answers within the limit
    start = doc.get("start")
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if isinstance(start, dt.date):
        inside = {month_of(start), month_of(start + dt.timedelta(days=doc["horizon_days"] - 1))}
        for plan in doc.get("plans") or []:
            months = [m for m in plan.get("months") or [] if str(m.get("month")) in inside]
            if months:
                plan["months"] = months
            else:
                plan.pop("months", None)
    return doc


@functools.cache
def _base(path: Path) -> str:
    return json.dumps(shorten(yaml.safe_load(path.read_text(encoding="utf-8"))), default=str)


def base_document(path: Path) -> dict:
    """A fresh copy of a shipped scenario, shortened (:func:`shorten`).

    Args:
        path: the scenario file.

    Returns:
        The document (dates as ``YYYY-MM-DD`` strings).
    """
    return json.loads(_base(path))


# --- cases ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One input with mistakes in it.

    Attributes:
        source: the file it started from.
        mutations: what was done, readable as a reproduction recipe.
        text: the file's text.
        data: the file's bytes when they are not ``text`` in UTF-8.
        doc: the mutated document (None when the text was corrupted).
        original: the document before the mutations.
        hints: what ``validate``'s error must then say, if it refuses the file (regular
            expressions): the misspelt key and "did you mean" the right one, the share a
            percentage probably meant.
    """

    source: str
    mutations: list[str]
    text: str
    data: bytes | None = None
    doc: Any = None
    original: Any = None
    hints: tuple[str, ...] = ()

    def write(self, path: Path) -> Path:
        """Write the case's file.

        Args:
            path: where.

        Returns:
            ``path``.
        """
        path.write_bytes(self.data if self.data is not None else self.text.encode("utf-8"))
        return path

    def __repr__(self) -> str:
        return f"Case({self.source}: {'; '.join(self.mutations)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis shows a failing case
        printer.text(repr(self))


class Said(str):
    """What a mutation did, with what the error should then say (``hints``: regular expressions)."""

    hints: tuple[str, ...] = ()

    @classmethod
    def hinting(cls, text: str, *hints: str) -> Said:
        """``text``, carrying ``hints``."""
        said = cls(text)
        said.hints = hints
        return said


def _show(value: Any) -> str:
    if value is DELETE:
        return "<deleted>"
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def mutate(doc: dict, path: Path_, value: Any, what: str) -> str:
    """Set ``path`` to ``value`` (:data:`DELETE`: remove it) and say what was done: ``push x.y: 1e30``."""
    put(doc, path, value)
    return f"{what} {path_text(path)}: {_show(value)}"


def draw_other(draw: Callable, candidates: Any, current: Any) -> Any:
    """Draw one of ``candidates`` that differs from ``current`` (so a mutation always changes the file)."""
    options = [c for c in candidates if not (type(c) is type(current) and c == current)]
    return copy.deepcopy(draw(st.sampled_from(options)))
