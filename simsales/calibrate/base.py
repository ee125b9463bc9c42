"""Calibrating onto a base scenario: the export's fits laid over a scenario the head of sales wrote.

``simsales calibrate DIR --base scenario.yaml`` writes the base scenario
with every field the export identifies replaced by its fit (the data
wins), and every other field kept from the base: its plans, economics,
revenue plan, lead costs, routing, coaching and hiring rules, benchmarks
and the sales floor's rules (CRM minutes, absence, cooling, closing ...).

The overlay is general: it works on the calibration's dotted paths, not
field by field.  A path the calibration *fitted* (it has a provenance
comment and is not among its ``defaults``) replaces the base's value at
that path, whatever the field; a path it kept at a *default* keeps the
base's value where the base has one; a field the calibration does not emit
is the base's.  Four rules are by design, not by field:

- channels are matched by name: a fitted ``channels[i]`` lands on the base's
  channel of the same name; an export channel the base lacks is added
  (fitted values and defaults, with a warning); a base channel the export
  lacks is dropped (warning);
- the team's people (``team.team_leads``, ``team.managers``) are the staff
  table's, never the base's;
- what the calibration sets by convention rather than from data
  (:data:`SETTINGS`: the name, horizon, replications, seed and plans) is the
  base's; ``start`` is the day after the window;
- months outside the new horizon cannot be simulated: a plan's months
  (``plans[].months``) and a monthly ``revenue_plan`` keep the months that
  fall in it, the others are dropped with a warning; a plan left without a
  month is dropped (it would hire nothing: its name would mislead).  The
  base's ``pipeline`` (an export's open pipeline at the base's start) is
  dropped: it does not apply at the new start.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsales.calibrate.document import flow, tokens
from simsales.scenario.checks import horizon_months, parse_month
from simsales.scenario.loader import InputError, load_scenario
from simsales.scenario.yaml_loader import load_yaml

if TYPE_CHECKING:
    from simsales.calibrate.calibrate import Calibration

SETTINGS = ("name", "horizon_days", "replications", "seed", "plans")
"""Top-level fields the calibration writes by convention, not from the data: the base's win."""
PEOPLE = ("team.team_leads", "team.managers")
"""The team's people: always the staff table's (the base's are removed)."""
SHOWN_WIDTH = 40
"""A replaced base value shorter than this (as flow YAML) is quoted in the fitted field's comment."""


@dataclass
class Base:
    """A scenario file to calibrate onto.

    Attributes:
        document: the file's YAML mapping, as written (durations, dates and money as the file gives them).
        name: the file's name, as the comments say it (``kept from q3.yaml``).
    """

    document: dict
    name: str


def read_base(path: str | Path) -> Base:
    """Read a base scenario: it must validate as a scenario file does.

    Args:
        path: the scenario YAML.

    Returns:
        The base.

    Raises:
        InputError: the file is missing, unreadable or not a valid scenario (file, line, field).
    """
    path = Path(path)
    load_scenario(path)  # every check a scenario file gets, with lines
    text = path.read_text(encoding="utf-8")
    return Base(document=load_yaml(text), name=path.name)


@dataclass
class Laid:
    """A calibration laid over a base.

    Attributes:
        document: the scenario document: the base with the fits over it.
        comments: dotted path -> where its value came from (the export, a default, or the base).
        defaults: paths neither the export nor the base gives, kept at a default.
        kept: paths the export cannot identify, kept from the base.
        warnings: what was dropped or added (channels, plan months, replaced sections' keys).
    """

    document: dict
    comments: dict[str, str] = field(default_factory=dict)
    defaults: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def on_base(cal: Calibration, base: Base) -> Calibration:
    """The calibration laid over a base scenario (see the module's docstring for the rules).

    Args:
        cal: the calibration of the export alone.
        base: the base scenario.

    Returns:
        The calibration whose document is the base with the fits laid over it: its comments say
        which fields are fitted (and whose base value they replace) and which are kept from the base;
        ``defaults`` keeps only the fields neither fitted nor in the base; ``kept`` lists the
        defaults the base gave instead.
    """
    laid = overlay(cal.document, cal.comments, cal.defaults, base, absorbed=cal.absorbed)
    return replace(cal, document=laid.document, comments=laid.comments, defaults=laid.defaults,
                   kept=laid.kept, base=base.name, warnings=[*cal.warnings, *laid.warnings])


def overlay(fitted_doc: dict, comments: dict[str, str], defaults: list[str], base: Base,
            absorbed: dict[str, str] | None = None) -> Laid:
    """Lay a calibration's document over a base document.

    Args:
        fitted_doc: the calibration's scenario document.
        comments: its provenance comment per dotted path (the fitted and defaulted fields).
        defaults: the paths it kept at a default.
        base: the base scenario.
        absorbed: rules the fitted values already hold (rule path -> which value, how): one the base
            gives and the calibration does not fit is kept, with a warning that it counts twice.

    Returns:
        The laid document, its comments, the remaining defaults, the defaults kept from the base,
        and warnings.
    """
    doc = copy.deepcopy(base.document)
    laid = Laid(document=doc)
    who = base.name
    for path in PEOPLE:
        _remove(doc, path)
    for key in ("pipeline",):
        if key in doc:
            doc.pop(key)
            laid.warnings.append(f"{who}'s {key} (an export's open pipeline at its own start) is not kept: "
                                 f"it does not apply at the new start {fitted_doc.get('start')}")
    where = _match_channels(fitted_doc, doc, who, laid.warnings)
    given = copy.deepcopy(doc)  # the base's own values, channels in their new places
    paths = [p for p in [*comments, *defaults] if tokens(p)[0] not in SETTINGS]
    # Shallow paths first, so the more specific one wins: a fit of a field inside a section kept from
    # the base, or a default inside a fitted section that the base gives.
    for path in sorted(dict.fromkeys(paths), key=lambda p: len(tokens(p))):
        at = _moved(path, where)
        if path not in defaults:
            new = copy.deepcopy(_get(fitted_doc, path))
            laid.comments[at] = comments[path] + _replaced(given, at, new, who, laid.warnings)
            _put(doc, at, new)
        elif _has(given, at):
            _put(doc, at, copy.deepcopy(_get(given, at)))
            laid.kept.append(at)
            laid.comments[at] = f"kept from {who} (the export cannot identify it)"
        else:
            if _has(fitted_doc, path):  # else the schema's default, unwritten
                _put(doc, at, copy.deepcopy(_get(fitted_doc, path)))
            if path in comments:
                laid.comments[at] = comments[path]
            laid.defaults.append(at)
    order = {_moved(p, where): i for i, p in enumerate(defaults)}  # the calibration's order, for the header
    laid.defaults.sort(key=order.__getitem__)
    laid.kept.sort(key=order.__getitem__)
    for key in SETTINGS:
        if key in doc:
            laid.comments[key] = f"kept from {who}"
        elif key in fitted_doc:
            doc[key] = copy.deepcopy(fitted_doc[key])
            if key in comments:
                laid.comments[key] = comments[key]
    start = dt.date.fromisoformat(str(fitted_doc["start"]))
    months = horizon_months(start, int(doc["horizon_days"]))
    _fit_plans(doc, months, fitted_doc, who, laid)
    _fit_revenue_plan(doc, months, fitted_doc, who, laid)
    _mark_kept(doc, "", laid.comments, who)
    fitted = [p for p in paths if p not in defaults]  # a rule the data left at a default is the base's
    for rule, why in (absorbed or {}).items():
        if _has(given, rule) and not any(p == rule or p.startswith((f"{rule}.", f"{rule}[")) or
                                         rule.startswith(f"{p}.") for p in fitted):
            laid.warnings.append(f"{rule} kept from {who}, but {why}: the rule counts them twice (the "
                                 f"forecast runs low); drop it from {who}, or fit it")
    return laid


def _match_channels(fitted_doc: dict, doc: dict, who: str, warnings: list[str]) -> dict[int, int]:
    """Match the calibration's channels to the base's by name: fitted index -> index in ``doc``.

    Base channels the export lacks are removed from ``doc``; export channels the base lacks are
    appended as empty entries (the overlay fills them).
    """
    names = [c.get("name") for c in fitted_doc.get("channels", [])]
    base = doc.get("channels", [])
    dropped = [c.get("name") for c in base if c.get("name") not in names]
    if dropped:
        warnings.append(f"{who}'s channels {', '.join(map(str, dropped))} have no lead in the export's "
                        f"window: dropped (the scenario has the export's channels)")
    doc["channels"] = [c for c in base if c.get("name") in names]
    where: dict[int, int] = {}
    for i, name in enumerate(names):
        j = next((j for j, c in enumerate(doc["channels"]) if c.get("name") == name), None)
        if j is None:
            warnings.append(f"channel {name}: in the export, not in {who}: added with the fitted values and "
                            f"defaults (its lead cost and the fields {who} gives its other channels: "
                            f"check them)")
            doc["channels"].append({})
            j = len(doc["channels"]) - 1
        where[i] = j
    return where


def _moved(path: str, where: dict[int, int]) -> str:
    """The path with its channel index moved to the base's channel of the same name."""
    keys = tokens(path)
    if len(keys) > 1 and keys[0] == "channels" and isinstance(keys[1], int):
        return f"channels[{where[keys[1]]}]" + path[path.index("]") + 1:]
    return path


def _replaced(doc: dict, path: str, new: Any, who: str, warnings: list[str]) -> str:
    """The comment's tail saying which base value the fit replaces ("" if the base had none)."""
    if not _has(doc, path):
        return ""
    old = _get(doc, path)
    if old == new:
        return f"; as in {who}"
    if isinstance(old, dict) and isinstance(new, dict):
        lost = [k for k in old if k not in new and not _distribution(old) and not _distribution(new)]
        if lost:
            warnings.append(f"{path}: the fit replaces {who}'s whole {path}; its {', '.join(map(str, lost))} "
                            f"not kept: add them back if they still hold")
    shown = flow(old)
    return f"; replaces {who}'s {shown}" if len(shown) <= SHOWN_WIDTH else f"; replaces {who}'s value"


def _distribution(value: dict) -> bool:
    return bool(value) and set(value) <= {"fixed", "beta", "normal", "triangular", "uniform", "lognormal",
                                          "gamma", "exponential", "min", "max", "mean", "sd"}


def _fit_plans(doc: dict, months: list[str], fitted_doc: dict, who: str, laid: Laid) -> None:
    """Keep each plan's months in the horizon; drop a plan left with none; never leave no plan."""
    if "plans" not in doc:
        return
    plans = []
    for plan in doc["plans"]:
        if not plan.get("months"):
            plans.append(plan)
            continue
        inside = [m for m in plan["months"] if parse_month(m.get("month")) in months]
        out = [parse_month(m.get("month")) for m in plan["months"] if m not in inside]
        if not inside:
            laid.warnings.append(f"plan {plan.get('name')}: every month ({', '.join(out)}) is outside the "
                                 f"new horizon {months[0]}..{months[-1]}: plan dropped; write its months for "
                                 f"the new horizon")
            continue
        if out:
            laid.warnings.append(f"plan {plan.get('name')}: months {', '.join(out)} are outside the new "
                                 f"horizon {months[0]}..{months[-1]}: dropped, the plan keeps {len(inside)}")
        plans.append({**plan, "months": inside})
    if not plans:
        plans = copy.deepcopy(fitted_doc.get("plans", [{"name": "hold"}]))
    doc["plans"] = plans
    laid.comments["plans"] = f"kept from {who}, months outside {months[0]}..{months[-1]} dropped"


def _fit_revenue_plan(doc: dict, months: list[str], fitted_doc: dict, who: str, laid: Laid) -> None:
    """A monthly revenue plan keeps its months in the horizon (one number is kept as it is)."""
    plan = doc.get("revenue_plan")
    if not isinstance(plan, dict):
        return
    inside = {k: v for k, v in plan.items() if parse_month(k) in months}
    out = [parse_month(k) for k in plan if parse_month(k) not in months]
    if out:
        laid.warnings.append(f"revenue_plan: months {', '.join(out)} are outside the new horizon "
                             f"{months[0]}..{months[-1]}: dropped" + ("" if inside else "; no target left"))
    if inside:
        doc["revenue_plan"] = inside
        return
    doc["revenue_plan"] = fitted_doc.get("revenue_plan", 0)
    laid.comments["revenue_plan"] = f"default: {who}'s monthly targets are all outside the horizon"
    laid.kept = [k for k in laid.kept if k != "revenue_plan"]
    laid.defaults.append("revenue_plan")


def _mark_kept(node: Any, path: str, comments: dict[str, str], who: str) -> None:
    """Comment "kept from BASE" on each base field with no fitted or default field at or below it."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        p = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        if p in comments:
            continue
        if any(c.startswith((f"{p}.", f"{p}[")) for c in comments):
            _mark_kept(value, p, comments, who)
        elif not isinstance(key, int):
            comments[p] = f"kept from {who}"


def _get(node: Any, path: str) -> Any:
    for key in tokens(path):
        node = node[key]
    return node


def _has(node: Any, path: str) -> bool:
    for key in tokens(path):
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return False
        elif not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _put(node: Any, path: str, value: Any) -> None:
    keys = tokens(path)
    for key, nxt in itertools.pairwise(keys):
        empty: Any = [] if isinstance(nxt, int) else {}
        if isinstance(key, int):
            while len(node) <= key:
                node.append(None)
            if not isinstance(node[key], dict | list):
                node[key] = empty
        elif not isinstance(node.get(key), dict | list):
            node[key] = empty
        node = node[key]
    last = keys[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def _remove(node: Any, path: str) -> None:
    if not _has(node, path):
        return
    keys = tokens(path)
    for key in keys[:-1]:
        node = node[key]
    del node[keys[-1]]


__all__ = ["PEOPLE", "SETTINGS", "Base", "InputError", "Laid", "on_base", "overlay", "read_base"]
