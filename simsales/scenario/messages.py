"""Turning pydantic's validation errors into problems a head of sales can act on.

Each error becomes a :class:`~simsales.scenario.errors.Problem` at its
field path, in plain words: what was expected, what was given, and what
was probably meant ("did you mean leads_per_day?" for a misspelt key, "did
you mean 0.85 (85%)?" for a probability written as a percentage).  A
validator's :class:`~simsales.scenario.base.FieldProblems` become one
problem per entry, each at its own path.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from simsales.scenario.base import FieldProblems
from simsales.scenario.checks import date_hint, did_you_mean
from simsales.scenario.numbers import NUMBER_FORMS, percent_hint
from simsales.scenario.numbers import shown as _shown

Loc = tuple[str | int, ...]

ALIASES: dict[str, str] = {"revenue_plan_months": "revenue_plan"}
"""Fields a file writes under another key: their problems point at that key."""


def field_path(loc: Loc) -> str:
    """``("team", "managers", 3, "count")`` -> ``team.managers[3].count``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class whose fields sit at ``loc`` below ``root`` (None if not a model)."""
    kind: Any = root
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(part, str) and isinstance(kind, type) and issubclass(kind, BaseModel):
            field = kind.model_fields.get(part)
            if field is None:
                return None
            kind = field.annotation
        elif isinstance(part, int) and typing.get_origin(kind) in (list, tuple):
            kind = typing.get_args(kind)[0]
        else:
            return None
    kind = _unwrap(kind)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _unwrap(kind: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X (the model among a union's members)."""
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(kind) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            kind = (models or members)[0]
        else:
            return kind


def _unknown_key(err: dict, loc: Loc, root: type[BaseModel]) -> str:
    key = str(loc[-1]) if loc else ""
    model = _model_at(root, loc[:-1])
    known = [name for name in model.model_fields if name not in ALIASES] if model else []
    hint = did_you_mean(key, known)
    if not hint and known:
        hint = f"; the keys here are {', '.join(known)}"
    return f"unknown key {key!r}{hint}"


def _bound(word: str) -> Callable[[dict], str]:
    def message(err: dict) -> str:
        limit = next(iter(err.get("ctx", {}).values()), "?")
        given = err.get("input")
        if isinstance(given, int | float) and word == "<=" and limit == 1:
            # every field at most 1 is a share, at least 0: say the range, and a percentage only where
            # the number reads as one (35, not 1.1)
            return f"expected a number between 0 and 1, got {_shown(given)}{percent_hint(float(given))}"
        return f"expected a number {word} {limit}, got {_shown(given)}"

    return message


def _expected(what: str) -> Callable[[dict], str]:
    return lambda err: f"expected {what}, got {_shown(err.get('input'))}"


_WHOLE, _NUMBER = _expected("a whole number"), _expected(f"a number such as {NUMBER_FORMS}")
MISSING = "required field is missing"
_MAPPING = _expected("a mapping of fields (key: value)")


def _date(err: dict) -> str:
    return _expected("a date such as 2026-07-01")(err) + date_hint(err.get("input"))


_MESSAGES: dict[str, Callable[[dict], str]] = {
    "missing": lambda err: MISSING,
    "int_from_float": _WHOLE, "int_parsing": _WHOLE, "int_type": _WHOLE,
    "int_parsing_size": _expected("a whole number of sensible size"),
    "float_parsing": _NUMBER, "float_type": _NUMBER,
    "finite_number": _expected("a finite number"),
    "greater_than_equal": _bound(">="), "greater_than": _bound(">"),
    "less_than_equal": _bound("<="), "less_than": _bound("<"),
    "string_type": lambda err: _expected("text")(err) + _text_hint(err.get("input")),
    "date_type": _date, "date_parsing": _date, "date_from_datetime_parsing": _date,
    "dict_type": _MAPPING, "model_type": _MAPPING, "model_attributes_type": _MAPPING,
    "list_type": _expected("a list"), "tuple_type": _expected("a list"),
    "invalid_key": lambda err: f"expected a key written as text, got {_shown(err.get('input'))}",
    "too_short": lambda err: (f"expected at least {err['ctx']['min_length']} item(s), "
                              f"got {err['ctx']['actual_length']}"),
    "too_long": lambda err: (f"expected at most {err['ctx']['max_length']} item(s), "
                             f"got {err['ctx']['actual_length']}"),
}


_NO_PLAN = ("; a run compares hiring plans: give at least one, e.g. `plans: [{name: hold}]` for the team "
            "as it is (no hires)")
_FIELD_HINTS: dict[tuple[Loc, str], str] = {
    (("plans",), "missing"): _NO_PLAN,
    (("plans",), "too_short"): _NO_PLAN,
}
"""What to write, for fields whose plain message leaves a head of sales guessing (field, error type)."""


def _text_hint(given: Any) -> str:
    """Why YAML did not read a value as text, for the usual surprises."""
    if isinstance(given, bool):
        return " (put the text in quotes)"
    if isinstance(given, int) and 0 <= given < 24 * 60:
        return (f" (YAML reads {given // 60}:{given % 60:02d} without quotes as the number {given}: "
                f"write '{given // 60:02d}:{given % 60:02d}')")
    return ""


def _literal(err: dict) -> str:
    expected = str(err.get("ctx", {}).get("expected", ""))
    given = err.get("input")
    names = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
    return f"expected {expected}, got {_shown(given)}{did_you_mean(str(given), names)}"


def translate(exc: ValidationError, root: type[BaseModel]) -> list[tuple[Loc, str, bool]]:
    """Every error of ``exc``, in plain words.

    Args:
        exc: what pydantic found.
        root: the model validated (for the field names of a "did you mean").

    Returns:
        ``(loc, message, unknown_key)`` per problem, in pydantic's order;
        ``loc`` is the field path as keys and indices.
    """
    out: list[tuple[Loc, str, bool]] = []
    for err in exc.errors():
        loc = _clean(err["loc"])
        error = err.get("ctx", {}).get("error")
        if isinstance(error, FieldProblems):
            out += [((*loc, *path), message, False) for path, message in error.problems]
        elif err["type"] == "extra_forbidden":
            out.append((loc, _unknown_key(err, loc, root), True))
        elif err["type"] == "literal_error":
            out.append((loc, _literal(err), False))
        elif err["type"] in _MESSAGES:
            out.append((loc, _MESSAGES[err["type"]](err) + _FIELD_HINTS.get((loc, err["type"]), ""), False))
        else:
            out.append((loc, str(err["msg"]).removeprefix("Value error, "), False))
    return _with_misspellings(out)


def _clean(loc: tuple) -> Loc:
    """Drop pydantic's validator names from a location; map aliased fields to their key."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))]
    if parts and parts[0] in ALIASES:
        parts[0] = ALIASES[str(parts[0])]
    return tuple(parts)


def _with_misspellings(out: list[tuple[Loc, str, bool]]) -> list[tuple[Loc, str, bool]]:
    """A missing field next to an unknown key that is close to it says so."""
    unknown = {loc: loc[-1] for loc, _, is_unknown in out if is_unknown and loc}
    result = []
    for loc, message, is_unknown in out:
        if message.startswith(MISSING) and loc:
            near = [key for at, key in unknown.items()
                    if at[:-1] == loc[:-1] and did_you_mean(str(key), [str(loc[-1])])]
            if near:  # the misspelling is the likelier story: say it instead of any hint
                message = f"{MISSING} (is {near[0]!r} a misspelling of it?)"
        result.append((loc, message, is_unknown))
    return result


def no_plan_named(name: str, known: Sequence[str], has: str = "the file has") -> str:
    """The error for a plan name that is not one of ``known``, with the near miss it may mean.

    Args:
        name: the name given (``--plan``, ``--baseline``, ``--terms``).
        known: the plans' names.
        has: who holds them ("the file has", "it has").

    Returns:
        ``"no plan named 'hodl'; did you mean hold?; the file has hold, steady"`` (no guess when
        nothing is close).
    """
    return f"no plan named {name!r}{did_you_mean(name, known)}; {has} {', '.join(known)}"
