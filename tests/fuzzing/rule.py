"""The rule every case keeps, and the checks that run a case and apply it.

A command ends in success (exit 0, or 1 where it documents it), or in exit
2 with an ``error:`` line that names the file and the field (the line when
the text is not YAML or not UTF-8); options name the option or the value.
Never a traceback, another exit status, a hang, emoji made of user text,
or invalid JSON from ``--format json`` (:func:`problems`).
"""

from __future__ import annotations

import json
import math
import re
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

from .documents import SCENARIOS, Case, base_document, dump, shorten
from .harness import TIMEOUT_S, Outcome, invoke
from .inputs import BAD, OK, CommandCase, command_line, run_option_values

_EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff]")
_ERROR_LINE = re.compile(r"^\s*error:\s*(.*)$", re.MULTILINE)


SECONDS_PER_LEAD_PLAN = 15e-6
"""What a run may take per expected lead and plan beyond :data:`TIMEOUT_S` before it counts as hung, seconds.

About 30 times the fast engine's cost on a department that keeps up
(``FAST_SECONDS_PER_LEAD``): a department a mutation swamped with a
hundred times its leads holds long queues that every hand-over re-routes
(about 2 to 4 us a lead on a loaded 2-core machine), and ``run`` plays
each plan twice (the plans, then the funnel's market gaps)."""


def run_limit(path: Path) -> tuple[float, float]:
    """The time a ``run`` of a valid scenario may take: :data:`TIMEOUT_S`, more for a large one.

    Args:
        path: the scenario file (validated).

    Returns:
        Seconds for one replication, and for the file's own replications.
    """
    from simsales.montecarlo.estimate import expected_leads
    from simsales.scenario.loader import load_scenario

    try:
        scenario = load_scenario(path)
    except Exception:
        return TIMEOUT_S, TIMEOUT_S
    per_replication = SECONDS_PER_LEAD_PLAN * expected_leads(scenario) * max(1, len(scenario.plans))
    return TIMEOUT_S + per_replication, TIMEOUT_S + per_replication * scenario.replications


def error_text(outcome: Outcome) -> str:
    """The first ``error:`` line's text (after ``error:``), or "" when there is none."""
    match = _ERROR_LINE.search(outcome.output)
    return match.group(1).strip() if match else ""


def field_named(message: str, file: str, fields: set[str]) -> tuple[int | None, str | None]:
    """Read ``FILE[:LINE]: [FIELD:] message`` (what :class:`InputError` prints).

    Args:
        message: the error's text.
        file: the file it should name first.
        fields: top-level keys a field path starts with.

    Returns:
        (line, field): each None when the message has none; a field is a
        path that starts with one of ``fields`` (a key may hold spaces).
    """
    match = re.match(re.escape(file) + r"(?::(\d+))?:\s*", message)
    if not match:
        return None, None
    line = int(match.group(1)) if match.group(1) else None
    rest = message[match.end():]
    heads = sorted((k.strip() for k in fields if k.strip()), key=len, reverse=True)
    for head in heads:
        if rest.startswith(head) and rest[len(head):len(head) + 1] in (".", "[", ":", " "):
            return line, rest.split(": ", 1)[0]
    return line, None


def problems(outcome: Outcome, *, allowed: tuple[int, ...] = (0, 2), file: str | None = None,
             fields: set[str] | None = None, names: tuple[str, ...] = (), need_line: bool = False,
             source_text: str = "") -> list[str]:
    """What is wrong with how a command ended (empty: it kept the rule).

    Args:
        outcome: what the command did.
        allowed: the exit statuses it may end with.
        file: the file the error must name (and, with ``fields``, its field or line).
        fields: top-level keys a field path in the error may start with (None: any field, or the line).
        names: for errors that are not about ``file``: one of these (options, values) must appear.
        need_line: the file is not YAML (or not UTF-8): the error must give the line.
        source_text: what the user wrote, so emoji that were in it are not counted.

    Returns:
        One line per problem.
    """
    said = command_line(outcome.args)
    if outcome.error:
        return [f"{said}: {outcome.error}"]
    found = []
    if outcome.exit_code not in allowed:
        found.append(f"{said}: exit {outcome.exit_code}, expected one of {allowed}")
    if "Traceback (most recent call last)" in outcome.output:
        found.append(f"{said}: a traceback in the output")
    if outcome.warnings:
        found.append(f"{said}: a Python warning reaches the user: {'; '.join(outcome.warnings)[:400]}")
    emoji = set(_EMOJI.findall(outcome.output)) - set(source_text)
    if emoji:
        found.append(f"{said}: user text printed as emoji {''.join(sorted(emoji))!r}")
    if outcome.exit_code == 2:
        found += [f"{said}: {p}" for p in _unclear(outcome, file, fields, names, need_line)]
    return found


def _unclear(outcome: Outcome, file: str | None, fields: set[str] | None, names: tuple[str, ...],
             need_line: bool) -> list[str]:
    message = error_text(outcome)
    text = message or outcome.output
    if any(n in outcome.output for n in names if n.startswith("-") or len(n) >= 3):  # "0" is no name
        return []
    if file is None:
        return [f"exit 2 without naming any of {names}: {text[-300:]!r}"]
    if not message:
        return [f"exit 2 without an 'error:' line: {outcome.output[-300:]!r}"]
    if file not in message:
        return [f"the error does not name the file {file}: {message[:300]!r}"]
    if need_line or ("YAML" in message and "syntax" in message):
        line = field_named(message, file, set())[0]
        return [] if line is not None else [f"an error in the text without its line: {message[:300]!r}"]
    if fields is None:
        return []
    if field_named(message, file, fields)[1] is None:
        return [f"the error names no field: {message[:300]!r}"]
    return []


def yaml_lines(text: str) -> dict[tuple, set[int]]:
    """Where every path of a YAML document starts: its key's line and its value's line (1-based).

    Keys are stripped, as an error message shows them.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: dict[tuple, set[int]] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        out.setdefault(path, set()).add(node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value.strip()  # as an error prints it: " name" reads "name"
                out.setdefault((*path, name), set()).add(key.start_mark.line + 1)
                walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                walk(value, (*path, i))

    root = yaml.compose(text, Loader=loader)
    if root is not None:
        walk(root, ())
    return out


def line_problem(outcome: Outcome, file: str, fields: set[str], text: str) -> list[str]:
    """An error that names a field must give the line where that field (or its nearest parent) starts."""
    line, field_path = field_named(error_text(outcome), file, fields)
    if line is None or field_path is None:
        return []
    path = tuple(int(index) if index else key.strip()  # a key may hold "[" or "]", not "[3]"
                 for index, key in re.findall(r"\[(\d+)\]|\.?((?:[^.\[]|\[(?!\d+\]))+)", field_path.strip()))
    lines = yaml_lines(text)
    if path not in lines or line in lines[path]:  # a missing field: its parent's line is the loader's choice
        return []
    return [f"the error gives line {line}, but {field_path} is on line {sorted(lines.get(path, set()))}"]


def top_keys(*docs: Any) -> set[str]:
    """Top-level keys of the documents and of the schema: what a field path may start with."""
    from simsales.scenario import Scenario

    keys = set(Scenario.model_fields)
    for doc in docs:
        if isinstance(doc, dict):
            keys |= {str(k) for k in doc}
    return keys


def scenario_problems(case: Case, folder: Path) -> list[str]:
    """Run ``validate`` and ``run -n 1`` on a case's file and apply the rule.

    When validate accepts the file, ``run --format json`` (with the file's
    replications when a mutation changed them) and ``funnel`` (as a table
    and as JSON) run too.

    A scenario ``validate`` accepts must also run (exit 0; or exit 2 with a
    clear error for a run refused before it starts); one it refuses, ``run``
    refuses too, and its money comes out as numbers (``--format json``: no
    NaN), with no Python warning on the way.  ``validate`` prints the
    scenario's name literally, and a case with hints (a misspelt key, a
    percentage for a share) must get them.

    Args:
        case: the case.
        folder: where to write its file.

    Returns:
        One line per problem, each naming the case.
    """
    path = case.write(folder / "scenario.yaml")
    file = str(path)
    parsed, readable = case.doc, True
    if parsed is None:
        try:
            parsed = yaml.safe_load(path.read_bytes().decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            readable = False
    mapping = isinstance(parsed, dict)
    fields = top_keys(case.original, parsed) if mapping else None
    kwargs = {"file": file, "fields": fields, "need_line": not readable, "source_text": case.text}
    found: list[str] = []
    validate = invoke("validate", path)
    found += problems(validate, **kwargs)
    if validate.exit_code == 2 and fields is not None and readable:
        found += line_problem(validate, file, fields, case.text)
    own = isinstance(case.doc, dict) and case.doc.get("replications") != 1  # then the file's replications
    valid = validate.exit_code == 0
    one, every = run_limit(path) if valid else (TIMEOUT_S, TIMEOUT_S)
    runs = [invoke("run", path, "-n", "1", "--workers", "1", seconds=one)]
    if valid:  # what validate refused, the loader refuses the same way for every command
        runs.append(invoke("run", path, *([] if own else ["-n", "1"]), "--workers", "1", "--format", "json",
                           seconds=every if own else one))
        runs += [invoke("funnel", path), invoke("funnel", path, "--format", "json")]
    for outcome in runs:
        found += problems(outcome, **kwargs)
        if validate.exit_code == 2 and outcome.exit_code == 0 and not outcome.error:
            found.append(f"{command_line(outcome.args)}: exit 0 on a file validate refused")
    name = parsed.get("name") if mapping else None
    if validate.exit_code == 0 and isinstance(name, str):
        shown = validate.output.replace("\n", "")
        if name not in shown and repr(name) not in shown:
            found.append(f"validate does not print the scenario's name {name[:40]!r} literally: "
                         f"{validate.output[:200]!r}")
    for outcome in runs:
        if "--format" in outcome.args and outcome.exit_code == 0:
            found += json_problems(outcome) or (money_problems(outcome) if outcome.args[0] == "run" else [])
    if validate.exit_code == 2:
        found += [f"the error does not say what was probably meant (/{hint}/): {error_text(validate)[:300]!r}"
                  for hint in case.hints if not re.search(hint, validate.output)]
    return [f"{case!r}: {p}" for p in found]


def baseline_problems(case: Case, scenario: Path, folder: Path) -> list[str]:
    """Run ``simsales check`` against a case's baseline file and apply the rule.

    ``check`` may pass (0), report a move (1, with FAIL), or refuse the
    baseline (2, naming the baseline file; the line when it is not JSON).
    The case is written next to the good baseline, never over it.

    Args:
        case: a :func:`baseline_cases` case.
        scenario: the scenario the baseline was made from.
        folder: where to write the baseline.

    Returns:
        One line per problem, each naming the case.
    """
    path = case.write(folder / "corrupt-baseline.json")
    readable = True  # a file that is not JSON: the error gives the line (one not UTF-8 is machine damage)
    with suppress(UnicodeDecodeError):
        text = path.read_bytes().decode("utf-8")
        try:
            json.loads(text)
        except ValueError:
            readable = False
    outcome = invoke("check", scenario, "--baseline", path, "--workers", "1")
    found = problems(outcome, allowed=(0, 1, 2), file=str(path), need_line=not readable,
                     source_text=case.text)
    if outcome.exit_code == 1 and "FAIL" not in outcome.output:
        found.append(f"{command_line(outcome.args)}: exit 1 without a FAIL line")
    return [f"{case!r}: {p}" for p in found]


def money_problems(outcome: Outcome) -> list[str]:
    """A run of a scenario validate accepted gives every plan's money as numbers (not NaN: null in JSON)."""
    summary = json.loads(outcome.stdout)
    found = []
    for plan, metrics in (summary.get("plans") or {}).items():
        for metric in ("revenue_net", "margin"):
            value = (metrics.get(metric) or {}).get("mean")
            if not (isinstance(value, int | float) and math.isfinite(value)):
                found.append(f"{command_line(outcome.args)}: plan {plan}: {metric} is {value!r}")
    return found[:1]  # one is enough to say the money is not a number


def json_problems(outcome: Outcome) -> list[str]:
    """``--format json`` must print strict JSON (no NaN or Infinity)."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        json.loads(outcome.stdout, parse_constant=refuse)
    except ValueError as exc:
        return [f"{command_line(outcome.args)}: --format json printed invalid JSON ({exc})"]
    return []


def command_problems(case: CommandCase, allowed: tuple[int, ...] = (0, 2)) -> list[str]:
    """Run a command case and apply the rule, with its expectation.

    Args:
        case: the case.
        allowed: exit statuses the command may end with when its values are fine or borderline.

    Returns:
        One line per problem, each naming the case.
    """
    outcome = invoke(*case.args)
    if case.expect == OK:
        allowed = tuple(c for c in allowed if c != 2)
    elif case.expect == BAD:
        allowed = (2,)
    found = problems(outcome, allowed=allowed, names=case.names, source_text=" ".join(case.args))
    if "--format" in case.args and "json" in case.args and outcome.exit_code == 0:
        found += json_problems(outcome)
    return [f"[{case.expect}] {p}" for p in found]


def prepare_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """The files the input strategies point at: a scenario, its baseline, an ``--out`` folder.

    The scenario is the smallest shipped one cut to 2 days (the reference
    engine too runs it in a fraction of a second); the baseline is made by
    ``simsales baseline`` as a user would make it.

    Args:
        folder: where to make them.

    Returns:
        (scenario, baseline, out folder).
    """
    scenario, baseline, out = folder / "scenario.yaml", folder / "baseline.json", folder / "out"
    out.mkdir(parents=True, exist_ok=True)
    smallest = min(SCENARIOS, key=lambda path: path.stat().st_size)  # the quickest to run
    scenario.write_text(dump(shorten(base_document(smallest), days=2)))
    run_option_values(scenario, out)  # makes the file and the folder the --out values point at
    made = invoke("baseline", scenario, "--out", baseline, "-n", "2", "--workers", "1")
    if made.exit_code != 0:
        raise RuntimeError(f"simsales baseline failed: {made.output}{made.error}")
    return scenario, baseline, out
