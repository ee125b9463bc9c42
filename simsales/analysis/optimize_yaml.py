"""The scenario file with the optimiser's plans added (`simsales optimize -o FILE`).

The plans are appended to the file's own ``plans:`` list, as text, so every
comment and every other line of the file stays as it was.  The result is
read back and must hold exactly the original data plus the new plans, and
validate as a scenario; when the list cannot be extended in place (a
flow-style ``plans: [...]``, say), the whole document is written out again
(comments are then lost, and the file says so in its first line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from simsales.scenario import HiringPlan
from simsales.scenario.loader import parse_scenario

__all__ = ["plan_document", "with_plans"]

_PLANS_KEY = re.compile(r"^plans\s*:\s*(#.*)?$")


def plan_document(plan: HiringPlan) -> dict[str, Any]:
    """A plan as the scenario file writes it.

    Args:
        plan: the hiring plan.

    Returns:
        ``name``, ``label``, ``time_to_hire_days``, ``cost_per_hire``,
        ``on_cap``, ``backfill`` (only when true) and ``months`` (each
        ``{month, managers}`` or ``{month, headcount}``, with ``team_leads``
        and ``promote`` when not 0).
    """
    months = []
    for m in plan.months:
        entry: dict[str, Any] = {"month": m.month}
        if m.headcount is not None:
            entry["headcount"] = m.headcount
        else:
            entry["managers"] = m.managers
        if m.team_leads:
            entry["team_leads"] = m.team_leads
        if m.promote:
            entry["promote"] = m.promote
        months.append(entry)
    cost = plan.cost_per_hire
    doc: dict[str, Any] = {"name": plan.name, "label": plan.label,
                           "time_to_hire_days": plan.time_to_hire_days,
                           "cost_per_hire": int(cost) if float(cost).is_integer() else cost,
                           "on_cap": plan.on_cap}
    if plan.backfill:
        doc["backfill"] = True
    doc["months"] = months
    return doc


def _in_place(text: str, documents: list[dict], note: str) -> str | None:
    """``text`` with ``documents`` appended to its block-style top-level ``plans:`` list, or None."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _PLANS_KEY.match(line.rstrip("\r\n"))), None)
    if start is None:
        return None
    last, indent = start, None
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = len(lines[j]) - len(lines[j].lstrip(" "))
        if depth == 0 and not stripped.startswith("-"):
            break
        if indent is None and stripped.startswith("-"):
            indent = depth
        last = j
    if indent is None:
        return None
    body = yaml.safe_dump(documents, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    pad = " " * indent
    new = ([f"{pad}# {note}\n"] if note else []) + [pad + line + "\n" for line in body.splitlines()]
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    return "".join(lines[:last + 1] + new + lines[last + 1:])


def with_plans(text: str, plans: Sequence[HiringPlan], file: str, note: str = "") -> str:
    """The scenario text with ``plans`` added to its plans.

    Args:
        text: the scenario file's text.
        plans: the plans to add (names not already in the file).
        file: the file's name, for errors.
        note: a comment line written above the new plans ("" for none).

    Returns:
        The new text; it validates as a scenario.

    Raises:
        simsales.scenario.InputError: the result does not validate (a bug:
            the plans come from the optimiser, the rest from the valid file).
    """
    data = yaml.safe_load(text)
    documents = [plan_document(p) for p in plans]
    expected = {**data, "plans": [*data.get("plans", []), *documents]}
    out = _in_place(text, documents, note)
    if out is None or yaml.safe_load(out) != expected:
        out = (f"# {file} with the plans of simsales optimize added; the comments of the original "
               "could not be kept\n" + yaml.safe_dump(expected, sort_keys=False, allow_unicode=True))
    parse_scenario(out, file)
    return out
