"""The README documents what the code does: every metric, every command."""

from __future__ import annotations

from simsales.cli import app
from simsales.montecarlo.metrics import METRICS

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_metric_is_documented():
    missing = [name for name in METRICS if f"| `{name}` |" not in README]
    assert not missing


def test_every_command_is_documented():
    import typer.main

    group = typer.main.get_command(app)
    missing = [name for name in group.commands if f"simsales {name}" not in README]
    assert not missing


def test_the_routing_table_in_the_readme_is_the_policy_table():
    from simsales.scenario.policies import ROUTING_POLICIES

    documented = [line.strip() for line in README.splitlines() if line.strip().startswith("| `")]
    for policy in ROUTING_POLICIES:
        assert f"| `{policy.name}` | {policy.description} |" in documented, policy.name


# -- the scenario reference: every field of the schema, with its default --------------------------

def _reference_rows() -> dict[str, list[str]]:
    """The README scenario reference: path -> the row (field, meaning, unit, default, allowed)."""
    import re

    section = README.split("### Scenario reference", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            for path in re.findall(r"`([^`]+)`", cells[0]):
                assert path not in rows, f"{path} has two rows"
                rows[path] = cells
    return rows


def _schema_fields() -> dict[str, tuple[object, object, object]]:
    """Every field a scenario file may write: path -> (its validator, its default when left out, its type).

    A field whose type is a section (a model) has no row of its own unless it may be left out to
    mean something (``none``) or is a list; its fields have rows.  The default of a field of a
    section with a default is that section's (``team.ramp`` left out is ``{months: [0.4, 0.7, 0.9]}``).
    """
    import typing
    from typing import Annotated

    from pydantic import BaseModel, TypeAdapter

    from simsales.scenario import Scenario

    def models(annotation: object) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models(arg)]

    out: dict[str, tuple[object, object, object]] = {}

    def walk(model: type[BaseModel], prefix: str, parent_default: object) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            if parent_default is not None:
                default = getattr(parent_default, name)
            elif info.default_factory is not None:
                default = info.default_factory()
            else:
                default = info.default
            nested = models(info.annotation)
            is_section = isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
            if not is_section:
                typed = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
                out[path] = (TypeAdapter(typed), default, info.annotation)
            for sub in nested:
                listed = typing.get_origin(info.annotation) is list
                inner = default if is_section and isinstance(default, BaseModel) else None
                walk(sub, f"{path}[]." if listed else f"{path}.", inner)

    walk(Scenario, "", None)
    return out


def test_every_scenario_field_has_a_row_in_the_reference_and_every_row_is_a_field():
    rows, fields = _reference_rows(), _schema_fields()
    assert not [path for path in fields if path not in rows], "fields missing from the README reference"
    assert not [path for path in rows if path not in fields], "rows for fields the schema refuses"


def test_every_default_in_the_reference_is_the_codes():
    import yaml
    from pydantic_core import PydanticUndefined

    rows, fields = _reference_rows(), _schema_fields()
    wrong = []
    for path, (adapter, default, _) in fields.items():
        if path not in rows:
            continue  # the test above names it
        cell = rows[path][3]
        if cell.startswith("required"):
            ok = default is PydanticUndefined
        elif cell.startswith("none"):
            ok = default is None or default in ("", [], {})
        elif cell.startswith("`"):
            written = yaml.safe_load(cell.split("`")[1])
            ok = default is not PydanticUndefined and adapter.validate_python(written) == default
        else:
            ok = False  # the cell must say required, none, or give the value
        if not ok:
            wrong.append(f"{path}: README {cell!r}, code {default!r}")
    assert not wrong, "\n".join(wrong)


def test_every_numeric_bound_of_the_schema_is_in_the_references_allowed_values():
    import re

    import annotated_types
    from pydantic import BaseModel

    from simsales.scenario import Scenario

    rows = _reference_rows()
    missing = []

    def numbers(text: str) -> set[float]:
        return {float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)}

    def walk(model: type[BaseModel], prefix: str) -> None:
        import typing

        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            whole = info.annotation is int or int in typing.get_args(info.annotation)
            bounds = [(k, getattr(m, k)) for m in info.metadata for k in ("gt", "ge", "lt", "le")
                      if isinstance(m, annotated_types.BaseMetadata) and getattr(m, k, None) is not None]
            if bounds and path in rows:
                allowed = numbers(rows[path][4])
                for kind, b in bounds:
                    # a whole number above b is at least b + 1 ("1 to 1,096")
                    said = {float(b), float(b) + 1} if whole and kind == "gt" else {float(b)}
                    if not said & allowed:
                        missing.append(f"{path}: {kind} {b:g} not in {rows[path][4]!r}")
            stack = [info.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    walk(t, f"{path}[]." if typing.get_origin(info.annotation) is list else f"{path}.")
                else:
                    stack.extend(typing.get_args(t))

    walk(Scenario, "")
    assert not missing, "\n".join(missing)


def test_the_reference_marks_exactly_the_fields_that_take_a_distribution():
    """*(U)*: drawn once per replication (an ``Uncertain``); *(D)*: sampled per call, deal or manager."""
    import typing

    from simsales.scenario import Distribution, Uncertain

    def holds(annotation: object, kind: type) -> bool:
        if isinstance(annotation, type) and issubclass(annotation, kind):
            return True
        return any(holds(arg, kind) for arg in typing.get_args(annotation))

    rows, fields = _reference_rows(), _schema_fields()
    wrong = []
    for path, (_, _, annotation) in fields.items():
        if path not in rows:
            continue
        allowed = rows[path][4]
        for mark, kind in (("*(U)*", Uncertain), ("*(D)*", Distribution)):
            if (mark in allowed) != holds(annotation, kind):
                wrong.append(f"{path}: {mark} {'missing' if mark not in allowed else 'wrong'}")
    assert not wrong, "\n".join(wrong)
