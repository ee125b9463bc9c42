"""Mistakes to make in a scenario, as Hypothesis strategies: structure, cross-references, text.

* :func:`structural_cases`: a key deleted or misspelt, a value of another
  type, a number pushed out of range (negative, 0, 1e12, 1e30, NaN, inf, a
  percentage for a share), a list emptied, an entry duplicated, a broken
  distribution or list of numbers (:data:`STRUCTURAL`);
* :func:`cross_reference_cases`: values other fields must agree with: a
  team lead, a plan month outside the horizon, a duplicate name, shift
  shares, hours and patterns, the touch chain, the calendar
  (:data:`CROSS_REFERENCES`);
* :func:`text_cases`: the file's text truncated, a tab or a stray colon
  (:data:`STRAY`), a line lost, doubled, swapped or shifted, bytes that are
  not UTF-8, CRLF endings.

Every scenario in ``scenarios/`` is a starting point; the targets are found
by walking the document, so a scenario that is not in this repository is
fuzzed the same way.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from .documents import (
    DELETE,
    HORIZON_DAYS,
    SOURCES,
    Case,
    Path_,
    Said,
    base_document,
    draw_other,
    dump,
    get,
    is_number,
    month_of,
    mutate,
    nodes,
    path_text,
)

ODD_VALUES: tuple[Any, ...] = (
    "", "abc", "10 minutes", "yes", "[/]", ":100:", "[bold]x", "1e400", "-", [], [1, 2], ["a"], {}, {"x": 1},
    True, False, None,
)
"""Values of another type (strings with rich markup or emoji codes among them)."""


def _pushes(value: float) -> list[Any]:
    """Out-of-range versions of a number: signs, zero, huge, tiny, not finite, a percent for a share.

    A slipped digit (x 10, / 1000) and 1e-6 are often still valid: they test the run, not validation.
    """
    out: list[Any] = [-1, 0, 1e12, 1e30, 10**12, math.nan, math.inf, -math.inf, 1e-300, 1e-6, value * 10,
                      value / 1000]
    if value:
        out.append(-value)
    if isinstance(value, int):
        out.append(value + 0.5)
    if 0 < value < 1:
        out += [round(value * 100, 6), f"{value * 100:g}%"]
    else:
        out.append(85)
    return out


BAD_DISTRIBUTIONS: tuple[Any, ...] = (
    {"beta": [0, 0]}, {"beta": [-1, 5]}, {"beta": [1]}, {"beta": [1e-300, 1e-300]},
    {"normal": [1, -1]}, {"normal": [0.5, 0.1], "min": 1, "max": 0}, {"normal": [1e308, 1e308]},
    {"triangular": [3, 2, 1]}, {"triangular": [1, 2]}, {"triangular": [-5, -3, -1]},
    {"uniform": [5, 1]}, {"uniform": [-2, -1]},
    {"lognormal": {"mean": -1, "sd": 1}}, {"lognormal": {"mean": 1, "sd": -1}},
    {"lognormal": {"mean": 0, "sd": 0}}, {"lognormal": {"mean": 1e300, "sd": 1e300}},
    {"exponential": -1}, {"exponential": 0}, {"exponential": 1e300},
    {"gamma": {"mean": 1, "sd": 0}}, {"gamma": {"mean": -1, "sd": 1}},
    {"weibull": [1, 2]}, {"mean": 1}, {"fixed": "x"}, {"beta": [1, 2], "normal": [1, 2]},
)
"""Distributions whose shape or parameters make no sense."""

_DIST_KEYS = {"fixed", "beta", "normal", "triangular", "uniform", "lognormal", "exponential", "gamma", "mean"}


def _typo(key: str, i: int, how: int) -> str:
    """One of the typos people make in ``key``: swap, drop, double a letter, case, plural, dash."""
    i %= max(1, len(key))
    variants = [
        key[:i] + key[i + 1:i + 2] + key[i:i + 1] + key[i + 2:],
        key[:i] + key[i + 1:],
        key[:i] + key[i:i + 1] * 2 + key[i + 1:],
        key.upper(), key + "s", key.replace("_", "-"), key.replace("_", " "), " " + key,
    ]
    variants = [v for v in variants if v and v != key] or [key + "_"]
    return variants[how % len(variants)]


Mutator = Callable[[Callable, dict], str]
"""Makes one mistake in a document, in place, drawing its choices with Hypothesis; returns what it did."""


def _paths(doc: dict, keep: Callable[[Path_, Any], bool]) -> list[Path_]:
    return [p for p, v in nodes(doc) if keep(p, v)]


def delete_key(draw: Callable, doc: dict) -> str:
    """Delete a key (or a list entry)."""
    path = draw(st.sampled_from(_paths(doc, lambda p, v: True)))
    return mutate(doc, path, DELETE, "delete")


def change_type(draw: Callable, doc: dict) -> str:
    """Give a value another type: a string, list, mapping, bool or null."""
    path = draw(st.sampled_from(_paths(doc, lambda p, v: True)))
    return mutate(doc, path, draw_other(draw, ODD_VALUES, get(doc, path)), "retype")


def push_number(draw: Callable, doc: dict) -> str:
    """Push a number out of range: negative, 0, huge, NaN, infinite, a percent for a share."""
    paths = _paths(doc, lambda p, v: is_number(v))
    path = draw(st.sampled_from(paths))
    value = get(doc, path)
    new = draw_other(draw, _pushes(value), value)
    said = mutate(doc, path, new, "push")
    if 0 < value < 1 and new == round(value * 100, 6):  # a share written as a percentage
        return Said.hinting(said, rf"\b{re.escape(f'{value:g}')}\b|percent")
    return said


def empty_list(draw: Callable, doc: dict) -> str:
    """Empty a list (or a mapping)."""
    path = draw(st.sampled_from(_paths(doc, lambda p, v: isinstance(v, list | dict) and v)))
    return mutate(doc, path, [] if isinstance(get(doc, path), list) else {}, "empty")


def duplicate_entry(draw: Callable, doc: dict) -> str:
    """Copy a list entry next to itself (a pasted line)."""
    path = draw(st.sampled_from(_paths(doc, lambda p, v: isinstance(v, list) and v)))
    items = get(doc, path)
    i = draw(st.integers(0, len(items) - 1))
    items.insert(i, copy.deepcopy(items[i]))
    return f"duplicate {path_text((*path, i))}"


def rename_key(draw: Callable, doc: dict) -> str:
    """Misspell a key."""
    path = draw(st.sampled_from(_paths(doc, lambda p, v: isinstance(p[-1], str))))
    parent, key = get(doc, path[:-1]), path[-1]
    new = _typo(key, draw(st.integers(0, 40)), draw(st.integers(0, 7)))
    parent[new] = parent.pop(key)
    return Said.hinting(f"rename {path_text(path)} -> {new!r}", re.escape(new),
                        rf"did you mean\W+{re.escape(key)}\b")


def break_distribution(draw: Callable, doc: dict) -> str:
    """Replace a distribution (or a number) with one that makes no sense."""
    paths = _paths(doc, lambda p, v: is_number(v) or (isinstance(v, dict) and bool(set(v) & _DIST_KEYS)))
    path = draw(st.sampled_from(paths))
    return mutate(doc, path, draw_other(draw, BAD_DISTRIBUTIONS, get(doc, path)), "distribution")


def numeric_list(draw: Callable, doc: dict) -> str:
    """Break a list of numbers (a profile, the offsets): all zero, a negative, NaN, wrong length."""
    paths = _paths(doc, lambda p, v: isinstance(v, list) and v and all(is_number(x) for x in v))
    path = draw(st.sampled_from(paths))
    v = get(doc, path)
    options = [[0] * len(v), [-1, *v[1:]], [math.nan, *v[1:]], v[:-1], [*v, v[-1]], [1e30] * len(v),
               [math.inf, *v[1:]], list(reversed(v)), [x * 100 for x in v]]
    return mutate(doc, path, draw_other(draw, options, v), "list")


STRUCTURAL: dict[str, Mutator] = {
    "delete": delete_key, "retype": change_type, "push": push_number, "empty": empty_list,
    "duplicate": duplicate_entry, "rename": rename_key, "distribution": break_distribution,
    "numeric list": numeric_list,
}
"""The structural mutations, by name."""


def applies(name: str, doc: dict) -> bool:
    """Whether the structural mutation ``name`` has a target in ``doc``."""
    tests = {
        "push": lambda p, v: is_number(v),
        "empty": lambda p, v: isinstance(v, list | dict) and bool(v),
        "duplicate": lambda p, v: isinstance(v, list) and bool(v),
        "rename": lambda p, v: isinstance(p[-1], str),
        "distribution": lambda p, v: is_number(v) or (isinstance(v, dict) and bool(set(v) & _DIST_KEYS)),
        "numeric list": lambda p, v: isinstance(v, list) and bool(v) and all(is_number(x) for x in v),
    }
    return any(tests.get(name, lambda p, v: True)(p, v) for p, v in nodes(doc))


# --- cross-references: values that other fields must agree with ----------------------------------------


def _start(doc: dict) -> dt.date | None:
    with suppress(TypeError, ValueError):
        return dt.date.fromisoformat(str(doc.get("start")))
    return None


def _names(doc: dict, path: Path_) -> list[Any]:
    with suppress(KeyError, IndexError, TypeError):
        return [x.get("name") for x in get(doc, path) if isinstance(x, dict)]
    return []


def _month_values(doc: dict, path: Path_, value: Any) -> list[Any]:
    start = _start(doc) or dt.date(2026, 7, 1)
    end = start + dt.timedelta(days=int(doc.get("horizon_days", HORIZON_DAYS)))
    before = start.replace(day=1) - dt.timedelta(days=1)
    return [month_of(before), month_of(end + dt.timedelta(days=40)), f"{start.year + 1}-{start.month:02d}",
            "1999-01", f"{start.year}-13", f"{start.year}-00", f"{start.year}-{start.month}",
            f"July {start.year}", start.isoformat(), start.year * 100 + start.month, ""]


def _lead_values(doc: dict, path: Path_, value: Any) -> list[Any]:
    others = [n for n in _names(doc, ("team", "team_leads")) if n != value]
    text = str(value)
    return [text + "x", text.upper(), " " + text, text[:-1], "nobody", "", 42, *others[:1]]


def _sibling_names(doc: dict, path: Path_, value: Any) -> list[Any]:
    return [n for n in _names(doc, path[:-2]) if n != value] + ["", " ", value.upper() if
                                                                 isinstance(value, str) else "X"]


CROSS_REFERENCES: tuple[tuple[str, Callable[[dict, Path_, Any], list[Any]]], ...] = (
    (r"team\.managers\[\d+\]\.team_lead", _lead_values),
    (r"team\.team_leads\[\d+\]", lambda d, p, v: [DELETE]),
    (r"team\.team_leads\[\d+\]\.name", _sibling_names),
    (r"plans\[\d+\]\.months\[\d+\]\.month", _month_values),
    (r"plans\[\d+\]\.name", _sibling_names),
    (r"channels\[\d+\]\.name", _sibling_names),
    (r"team\.shifts\[\d+\]\.name", _sibling_names),
    (r"team\.shifts\[\d+\]\.share", lambda d, p, v: [0.75, 0, 1, 2, -0.5, DELETE, "50%", 50]),
    (r"team\.shifts\[\d+\]\.hours", lambda d, p, v: [0, 25, 24, -3, 12.5, 100, "9h"]),
    (r"team\.shifts\[\d+\]\.start", lambda d, p, v: ["25:00", "9:00", "09:60", "9am", "23:30", "-1:00"]),
    (r"team\.shifts\[\d+\]\.pattern", lambda d, p, v: ["7/0", "0/7", "0/0", "8/2", "5-2", "5/2/1", "x"]),
    (r"touch_chain\.offsets", lambda d, p, v: [list(reversed(v)), v[:-1], [*v, v[-1]], ["-1h", *v[1:]],
                                                [v[0]] * len(v), []]),
    (r"touch_chain\.p_contact", lambda d, p, v: [v[:-1], [*v, 0.1], v[:1], 0.3, [], 1.5]),
    (r"touch_chain\.lead_ttl", lambda d, p, v: ["1h", "0", 0, "-1d", "1000000d"]),
    (r"calendar\.\w+", lambda d, p, v: ["21:00-09:00", "09:00-09:00", "9-21", "closed", "",
                                        "00:00-24:00", "09:00-25:00"]),
    (r"calendar", lambda d, p, v: [{**v, "sunday": "10:00-19:00"}, {**v, "hol": "off"}]),
    (r"start", lambda d, p, v: ["2026-02-30", "2026-13-01", "tomorrow", 2026, "1900-01-01", "9999-12-31"]),
    (r"horizon_days", lambda d, p, v: [1, 0, 731, 732, 1.5, "7d", "1 week"]),
    (r"routing\.policy", lambda d, p, v: ["round_robin", f"{v} ", str(v).upper(), "", "random"]),
    (r"name|currency", lambda d, p, v: ["", "[/]", ":100:", "x" * 5000, "Продажи", "a\tb"]),
    (r"benchmarks\.\w+", lambda d, p, v: [v * 100 if is_number(v) else 75, -1, "75%", "10 minutes"]),
)
"""Fields other fields refer to or must agree with, and the mistakes to make in them."""


def _candidates(values: Callable, doc: dict, path: Path_) -> list[Any]:
    """The mistakes to make at ``path`` (none when an earlier mutation left a value of another type)."""
    try:
        return values(doc, path, get(doc, path))
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError):
        return []


def _targets(doc: dict) -> list[tuple[Path_, Callable]]:
    found = []
    for path, _ in nodes(doc):
        text = path_text(path)
        for pattern, values in CROSS_REFERENCES:
            current = get(doc, path)
            if re.fullmatch(pattern, text) and any(not (type(c) is type(current) and c == current)
                                                   for c in _candidates(values, doc, path)):
                found.append((path, values))
    return found


_NAMED = re.compile(r"team\.managers\[\d+\]\.team_lead|plans\[\d+\]\.months\[\d+\]\.month|"
                    r"(team\.team_leads|plans|channels|team\.shifts)\[\d+\]\.name")
"""References and names: an error about one must quote the value given."""


def break_reference(draw: Callable, doc: dict) -> str:
    """Break a cross-reference: a team lead, a plan month, a duplicate name, shift shares, the chain.

    An error about a team lead, a month or a name must quote the value
    given; about an unknown team lead, it must also list the known ones.
    """
    path, values = draw(st.sampled_from(_targets(doc)))
    value = draw_other(draw, _candidates(values, doc, path), get(doc, path))
    said = mutate(doc, path, value, "break")
    if not (isinstance(value, str) and value.strip() and _NAMED.fullmatch(path_text(path))):
        return said
    hints = [re.escape(value.strip())]
    known = [n for n in _names(doc, ("team", "team_leads")) if isinstance(n, str)]
    if path[-1] == "team_lead" and value not in known:
        hints += [re.escape(n) for n in known]
    return Said.hinting(said, *hints)


# --- scenario strategies -------------------------------------------------------------------------------


@st.composite
def structural_cases(draw: Callable, sources: tuple[Path, ...] = SOURCES,
                     kinds: tuple[str, ...] = tuple(STRUCTURAL)) -> Case:
    """A shipped scenario with one or two structural mutations (:data:`STRUCTURAL`)."""
    source = draw(st.sampled_from(sources))
    doc = base_document(source)
    done = []
    for _ in range(draw(st.integers(1, 2))):
        usable = [k for k in kinds if applies(k, doc)]
        if not usable:
            break
        done.append(STRUCTURAL[draw(st.sampled_from(usable))](draw, doc))
    original = base_document(source)
    assume(doc != original)  # a second mistake may undo the first (a key renamed and back)
    hints = getattr(done[0], "hints", ()) if len(done) == 1 else ()  # of two mistakes either may come first
    return Case(source.name, [str(d) for d in done], dump(doc), doc=doc, original=original, hints=hints)


@st.composite
def cross_reference_cases(draw: Callable, sources: tuple[Path, ...] = SOURCES) -> Case:
    """A shipped scenario with one or two broken cross-references (:data:`CROSS_REFERENCES`)."""
    source = draw(st.sampled_from(sources))
    doc = base_document(source)
    done = []
    for _ in range(draw(st.integers(1, 2))):
        if _targets(doc):
            done.append(break_reference(draw, doc))
    hints = getattr(done[0], "hints", ()) if len(done) == 1 else ()
    return Case(source.name, [str(d) for d in done], dump(doc), doc=doc, original=base_document(source),
                hints=hints)


STRAY = ("\t", ":", ": ", "[", "]", "{", "}", '"', "'", "&", "*", "!", "%", "@", "`", "|", ">", "#", "- ",
         ",", "?", "\x00", "\ufeff", "\\")
"""Characters that slip into YAML text."""


@st.composite
def text_cases(draw: Callable, sources: tuple[Path, ...] = SOURCES) -> Case:
    """A shipped scenario's text corrupted: truncated, a stray character, a line lost, doubled or shifted."""
    source = draw(st.sampled_from(sources))
    original = base_document(source)
    text = dump(original)
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(("truncate", "insert", "tab indent", "delete line", "double line",
                                 "indent", "dedent", "swap lines", "replace", "bytes", "crlf", "empty")))
    pos = draw(st.integers(0, len(text) - 1))
    n = draw(st.integers(0, len(lines) - 2))
    data = None
    if kind == "truncate":
        text, what = text[:pos], f"truncate at character {pos}"
    elif kind == "insert":
        stray = draw(st.sampled_from(STRAY))
        text, what = text[:pos] + stray + text[pos:], f"insert {stray!r} at character {pos}"
    elif kind == "tab indent":
        lines[n] = "\t" + lines[n].lstrip(" ")
        text, what = "".join(lines), f"indent line {n + 1} with a tab"
    elif kind == "delete line":
        what = f"delete line {n + 1} ({lines.pop(n).strip()!r})"
        text = "".join(lines)
    elif kind == "double line":
        lines.insert(n, lines[n])
        text, what = "".join(lines), f"double line {n + 1} ({lines[n].strip()!r})"
    elif kind == "indent":
        lines[n] = " " + lines[n]
        text, what = "".join(lines), f"indent line {n + 1}"
    elif kind == "dedent":
        indented = [i for i, line in enumerate(lines) if line.startswith("  ")] or [n]
        n = indented[n % len(indented)]
        lines[n] = lines[n][2:] if lines[n].startswith("  ") else lines[n].lstrip()
        text, what = "".join(lines), f"dedent line {n + 1}"
    elif kind == "swap lines":
        n = next((i for i in range(n, len(lines) - 1) if lines[i] != lines[i + 1]), 0)
        lines[n], lines[n + 1] = lines[n + 1], lines[n]
        text, what = "".join(lines), f"swap lines {n + 1} and {n + 2}"
    elif kind == "replace":
        char = draw(st.characters(codec="utf-8", exclude_categories=("Cs",)).filter(lambda c: c != text[pos]))
        text, what = text[:pos] + char + text[pos + 1:], f"replace character {pos} with {char!r}"
    elif kind == "bytes":
        data = text.encode("utf-8")
        data, what = data[:pos] + b"\xff\xfe" + data[pos:], f"insert bytes ff fe at byte {pos}"
    elif kind == "crlf":
        text, what = text.replace("\n", "\r\n"), "CRLF line endings"
    else:
        text, what = "", "empty file"
    return Case(source.name, [what], text, data=data, original=original)
