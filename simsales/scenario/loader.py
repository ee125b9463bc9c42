"""Reading scenario files: YAML in, a validated :class:`Scenario` out.

Every failure becomes an :class:`~simsales.scenario.errors.InputError`
listing every problem found, not only the first: each names the file, the
field path and, where the YAML has one, the line of the offending entry.
Unknown keys come first (a misspelt key is usually why a field is
missing), then the rest in file order.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simsales.scenario.errors import InputError, Problem
from simsales.scenario.messages import field_path, translate
from simsales.scenario.schema import Scenario
from simsales.scenario.yaml_loader import YamlLoader

__all__ = ["InputError", "Problem", "load_scenario", "parse_scenario"]



def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None,
                repeated: list | None = None) -> dict:
    """Map every field path to the 1-based line where its value starts.

    A key given twice in one mapping (YAML keeps only the last) is added to
    ``repeated`` as ``(path, line, first_line)``.
    """
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, val in node.value:
            sub = (*path, key.value)
            line = key.start_mark.line + 1
            if key.value in seen and repeated is not None:
                repeated.append((sub, line, seen[key.value]))
            seen.setdefault(key.value, line)
            out[sub] = line
            _line_index(val, sub, out, repeated)
            out[sub] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, val in enumerate(node.value):
            _line_index(val, (*path, i), out, repeated)
    return out


_DECIMAL_COMMA_SIDES = re.compile(r"[+-]?\d,(?!0+$)\d{1,2}")
"""What a decimal comma joins: one digit before it, one or two after, not all 0 (0,6 1,25): not 60,240,
240,1440 or 0,0."""


def _glued_numbers(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, str]:
    """Flow lists and mappings where a decimal comma (``[0,6, 0,4]``) made two numbers of one.

    YAML ends an item at a comma, so ``0,6`` is the items 0 and 6.  A flow
    collection in which one comma is followed by a space and another joins
    two numbers with none is taken to hold decimal commas (``[1,2,3]``,
    spaced alike, is not), where those numbers read as one with a decimal
    comma: one digit before it, one or two after (``0,6``, ``1,25``; the
    minutes of ``[0, 60,240, 1440]`` are only spaced carelessly).

    Returns:
        The collection's path -> (the first ``"0,6"`` written in it, its
        line, the index of each item a comma split off -> its ``"0,6"``).
    """
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        children = [((*path, key.value), value) for key, value in node.value]
        order = [n for pair in node.value for n in pair]
        pairs = [(order[i], order[i + 1]) for i in range(1, len(order) - 1, 2)]  # a value, the next key
    elif isinstance(node, yaml.SequenceNode):
        children = [((*path, i), value) for i, value in enumerate(node.value)]
        pairs = list(itertools.pairwise(node.value))
    else:
        return out
    if node.flow_style:
        same_line = [(a, b) for a, b in pairs
                     if isinstance(a, yaml.ScalarNode) and isinstance(b, yaml.ScalarNode)
                     and a.end_mark.line == b.start_mark.line]
        glued = [(a, b) for a, b in same_line
                 if b.start_mark.column - a.end_mark.column == 1 and not a.style and not b.style
                 and _DECIMAL_COMMA_SIDES.fullmatch(f"{a.value},{b.value}")]
        if glued and any(b.start_mark.column - a.end_mark.column > 1 for a, b in same_line):
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            out[path] = (f"{glued[0][0].value},{glued[0][1].value}", glued[0][1].start_mark.line + 1,
                         {i: f"{a.value},{b.value}" for a, b in glued  # the items a comma split off
                          for i, item in enumerate(items) if item is b})
    for child_path, child in children:
        _glued_numbers(child, child_path, out)
    return out


def _decimal_comma(loc: tuple, message: str, glued: dict[tuple, tuple]) -> str:
    """``message``, with what ``0,6`` in the collection at or above ``loc`` probably meant."""
    key = tuple(p if isinstance(p, int) else str(p) for p in loc)
    found = [(len(path), path) for path in glued if key[:len(path)] == path]
    if not found:
        return message
    path = max(found)[1]
    first, _, items = glued[path]
    written = items.get(key[len(path)], first) if len(key) > len(path) else first
    return re.sub(r"; did you mean [^;]*$", "", message) + _comma_hint(written)


def _comma_hint(written: str) -> str:
    whole, fraction = written.split(",")
    return (f"; did you mean {whole}.{fraction}? (YAML reads the comma in {written} as the end of an item: "
            "write decimals with a point, and put a space after a comma between items)")


def _comma_problems(glued: dict[tuple, tuple], found: list[tuple[Problem, bool]]) -> list:
    """A decimal comma in a collection no other problem names (its items may all be valid, and wrong)."""
    named = {problem.field for problem, _ in found}
    out = []
    for path, (written, line, _) in glued.items():
        field = field_path(path)
        if not any(f == field or f.startswith((f"{field}.", f"{field}[")) for f in named):
            out.append((Problem(field, line, f"{written} is two items, {written.replace(',', ' and ')}"
                                             f"{_comma_hint(written)}"), False))
    return out


def _line_for(loc: tuple, lines: dict) -> int | None:
    key = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return lines.get(())


def _ordered(problems: list[tuple[Problem, bool]]) -> list[Problem]:
    """Unknown keys first, then the rest in file order; each problem once."""
    ranked = sorted(problems, key=lambda p: (not p[1], p[0].line is None, p[0].line or 0))
    out: list[Problem] = []
    for problem, _ in ranked:
        if problem not in out:
            out.append(problem)
    return out


def _line_and_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of the character at ``index`` of ``text``."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _character_error(file: str, text: str, exc: yaml.reader.ReaderError) -> InputError:
    """The error for a character YAML does not allow (a control character), with its line and column.

    PyYAML gives the character's index in the text (libyaml: in its UTF-8
    bytes), so the character is found again with PyYAML's own rule.
    """
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    index = found.start() if found else min(max(int(exc.position), 0), len(text))
    code = ord(found.group()) if found else int(exc.character)
    line, column = _line_and_column(text, index)
    return InputError(file, f"character U+{code:04X} at column {column} is not allowed in YAML (a control "
                            "or non-printing character, often pasted in from another program): delete it",
                      line=line)


def _not_utf8(file: str, data: bytes, exc: UnicodeDecodeError) -> InputError:
    """The error for a file that is not UTF-8: the line and column of the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return InputError(file, "the file is UTF-16 text (what Windows calls 'Unicode'); save the file "
                                "as UTF-8", line=1)
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
    return InputError(file, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}; a file "
                            "saved as Windows-1251 or Latin-1 reads like this): save the file as UTF-8",
                      line=line)


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text.

    Args:
        text: the YAML.
        file: the name to give in error messages.

    Returns:
        The validated scenario.

    Raises:
        InputError: a YAML syntax error, or every schema violation found,
            each with its field and line.
    """
    loader = None
    try:
        loader = YamlLoader(text)  # the pure-Python loader checks the characters here
        node = loader.get_single_node()
        data: Any = loader.construct_document(node) if node is not None else None
    except UnicodeError as exc:
        raise InputError(file, f"the text is not valid Unicode: {exc.reason}") from None
    except yaml.reader.ReaderError as exc:
        raise _character_error(file, text, exc) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(file, f"YAML syntax error: {problem}", line=line) from None
    except RecursionError:
        raise InputError(file, "YAML nested too deeply to read") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise InputError(file, "expected a YAML mapping of scenario fields at the top level")
    repeated: list = []
    lines = _line_index(node, repeated=repeated) if node is not None else {}
    found = [(Problem(field_path(loc), line, f"key given twice (first on line {first}); "
                      "YAML would silently keep only the last"), False)
             for loc, line, first in repeated]
    glued = _glued_numbers(node) if node is not None else {}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        found += [(Problem(field_path(loc), _line_for(loc, lines), _decimal_comma(loc, message, glued)),
                   unknown) for loc, message, unknown in translate(exc, Scenario)]
        scenario = None
    found += _comma_problems(glued, found)
    if found:
        raise InputError.of(file, _ordered(found))
    return scenario


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
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read the file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(str(path), data, exc) from None
    scenario = parse_scenario(text.replace("\r\n", "\n").replace("\r", "\n"), str(path))  # as read_text does
    return relative_to(scenario, path.parent)


def relative_to(scenario: Scenario, folder: Path) -> Scenario:
    """The scenario with its ``pipeline`` paths (folder, mapping) read relative to ``folder``.

    Args:
        scenario: the validated scenario.
        folder: the scenario file's folder.

    Returns:
        The scenario, its relative paths made absolute (unchanged without a pipeline).
    """
    source = scenario.pipeline
    if source is None:
        return scenario

    def absolute(text: str | None) -> str | None:
        return None if text is None else str((folder / Path(text).expanduser()).resolve())

    return scenario.model_copy(update={"pipeline": source.model_copy(
        update={"dir": absolute(source.dir), "mapping": absolute(source.mapping)})})
