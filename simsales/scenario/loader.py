"""Reading scenario files: YAML in, a validated :class:`Scenario` out.

Every failure becomes a :class:`InputError` that names the file, the
field path and, where the YAML has one, the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simsales.scenario.schema import Scenario


@dataclass
class InputError(Exception):
    """Bad user input: the CLI prints it and exits with status 2.

    Attributes:
        file: the file (or command-line option) at fault.
        message: what was expected.
        field: the field path, e.g. ``team.talk_share`` ("" if none).
        line: the 1-based line in ``file``, where known.
    """

    file: str
    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict:
    """Map every field path to the 1-based line where its value starts."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, val in node.value:
            sub = (*path, key.value)
            out[sub] = key.start_mark.line + 1
            _line_index(val, sub, out)
            out[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, val in enumerate(node.value):
            _line_index(val, (*path, i), out)
    return out


def _line_for(loc: tuple, lines: dict) -> int | None:
    key = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return lines.get(())


def _field_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text.

    Args:
        text: the YAML.
        file: the name to give in error messages.

    Returns:
        The validated scenario.

    Raises:
        InputError: a YAML syntax error or any schema violation, with its field and line.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(file, f"YAML syntax error: {problem}", line=line) from None
    if not isinstance(data, dict):
        raise InputError(file, "expected a YAML mapping of scenario fields at the top level")
    lines = _line_index(node) if node is not None else {}
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see the README for the fields)"
        elif err["type"] == "missing":
            message = "required field is missing"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise InputError(file, message, _field_path(loc), _line_for(loc, lines)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Args:
        path: the YAML file.

    Returns:
        The validated scenario.

    Raises:
        InputError: the file is missing or unreadable, or not a valid scenario.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the file: {exc}") from None
    return parse_scenario(text, str(path))
