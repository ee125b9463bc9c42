"""Command-line inputs to fuzz: options of `run`, `--tolerance`, `funnel`, and baseline files.

A :class:`CommandCase` is a command line whose values each carry a verdict
(:data:`OK`, :data:`BAD`, :data:`EITHER`); :func:`combine` makes the
command's.  Valid values stay cheap (at most 3 replications, 2 workers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from .documents import Case
from .mutations import STRAY, STRUCTURAL, applies

OK, BAD, EITHER = "ok", "bad", "either"
"""What a value should do: be accepted (exit 0), be refused (exit 2 naming it), or either."""


@dataclass
class CommandCase:
    """A command line with chosen values, and what it should do.

    Attributes:
        args: the command line after ``simsales``.
        expect: :data:`OK` (exit 0), :data:`BAD` (exit 2) or :data:`EITHER`.
        names: the options and values given: an exit-2 error must name one.
    """

    args: list[str]
    expect: str
    names: tuple[str, ...]

    def __repr__(self) -> str:
        return f"{command_line(self.args)}  [{self.expect}]"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis shows a failing case
        printer.text(repr(self))


def command_line(args: list[str]) -> str:
    """A command line as a user would type it (long values cut short)."""
    def shown(a: str) -> str:
        a = a if len(a) <= 80 else a[:40] + "..." + a[-20:]
        return repr(a) if not a or " " in a or not a.isprintable() else a

    return "simsales " + " ".join(shown(a) for a in args)


def combine(verdicts: list[str]) -> str:
    """Any refused value makes the command refused; all accepted makes it accepted."""
    if BAD in verdicts:
        return BAD
    return OK if all(v == OK for v in verdicts) else EITHER


def run_option_values(scenario: Path, folder: Path) -> dict[str, list[tuple[Any, str]]]:
    """Values to give each option of ``simsales run``, with what each should do.

    A value is a string, or a list (the option repeated).  Valid values stay
    cheap: at most 3 replications, 2 workers.

    Args:
        scenario: the scenario file (its plans are the valid ``--plan`` names).
        folder: a folder for ``--out`` paths (a file ``a_file`` and a folder ``a_folder`` are made in it).

    Returns:
        Option -> [(value, verdict)].
    """
    (folder / "a_folder").mkdir(exist_ok=True)
    (folder / "a_file").write_text("not a folder\n")
    plans = [p["name"] for p in yaml.safe_load(scenario.read_text())["plans"]]
    return {
        "--replications": [("1", OK), ("2", OK), ("3", OK), ("0", BAD), ("-1", BAD), ("abc", BAD),
                           ("1.5", BAD), ("", BAD), ("2.0", EITHER), (" 2", EITHER), ("1e1", EITHER),
                           (str(10**9), BAD), (str(10**12), BAD), (str(10**30), BAD)],
        "--seed": [("0", OK), ("7", OK), (str(2**32), OK), (str(2**63), EITHER), (str(2**64 + 1), EITHER),
                   (str(10**30), EITHER), ("-1", BAD), ("abc", BAD), ("1.5", BAD), ("", BAD), ("0x10", BAD)],
        "--workers": [("1", OK), ("2", OK), ("0", BAD), ("-1", BAD), ("abc", BAD), ("", BAD),
                      (str(10**4), EITHER), (str(10**9), EITHER), (str(10**30), EITHER)],
        "--plan": [*((name, OK) for name in plans), ("nope", BAD), ("", BAD), (plans[0].upper() + "X", BAD),
                   ([plans[0], plans[0]], EITHER), (plans[-1] + " ", EITHER), ("[/]", BAD), (":100:", BAD)],
        "--format": [("table", OK), ("json", OK), ("xml", BAD), ("", BAD), ("JSON", EITHER)],
        "--engine": [("fast", OK), ("des", OK), ("slow", BAD), ("", BAD), ("FAST", EITHER)],
        "--out": [(str(folder / "new"), OK), (str(folder / "a_folder"), OK),
                  (str(folder / "deep" / "er"), OK), (str(folder / "ünï cödé"), OK),
                  (str(folder / "a_file"), BAD), (str(folder / "a_file" / "sub"), BAD), ("/dev/null", BAD),
                  (str(folder / "nul\x00l"), BAD), (str(folder / ("x" * 300)), BAD),
                  ("/proc/simsales-fuzz/out", BAD), ("", EITHER)],
    }


@st.composite
def run_option_cases(draw: Callable, scenario: Path, folder: Path) -> CommandCase:
    """``simsales run`` with one to three options set to good, bad or borderline values.

    ``-n 1`` and ``--workers 1`` are added unless drawn (``--report``, seconds
    a case, is left to explicit examples).
    """
    table = run_option_values(scenario, folder)
    chosen = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=3, unique=True))
    args, verdicts, names = ["run", str(scenario)], [], []
    for option in chosen:
        value, verdict = draw(st.sampled_from(table[option]))
        for v in value if isinstance(value, list) else [value]:
            args += [option, v]
            names.append(v)
        verdicts.append(verdict)
        names.append(option)
    if "--replications" not in chosen:
        args += ["-n", "1"]
    if "--workers" not in chosen:
        args += ["--workers", "1"]
    if "--engine" in chosen and "--replications" in chosen and "--format" not in chosen:
        args += ["--format", "json"]  # the reference engine's table reruns every benchmark: keep it quick
    names += ["-n", "--replications"] if "--replications" in chosen else []
    return CommandCase(args, combine(verdicts), tuple(names))


TOLERANCE_NAMES: tuple[tuple[str, str], ...] = (
    ("revenue_net", OK), ("team", OK), ("money", OK), ("rate", OK), (" revenue_net ", EITHER),
    ("REVENUE_NET", EITHER), ("revenue_nett", BAD), ("", BAD), ("[/]", BAD), (":100:", BAD), ("team.x", BAD),
)
"""``--tolerance`` names: metrics, families and mistakes."""

TOLERANCE_VALUES: tuple[tuple[str, str], ...] = (
    ("0.05", OK), ("5%", OK), ("0", OK), ("inf", OK), ("1", OK), ("10 %", EITHER), ("1_0", EITHER),
    ("1e400", EITHER), ("５", EITHER), ("5k", EITHER), ("0x1", EITHER), ("-0", EITHER), ("abc", BAD),
    ("-1", BAD), ("-5%", BAD), ("nan", BAD), ("", BAD), ("%", BAD), ("5%%", BAD), ("[/]", BAD),
)
"""``--tolerance`` values: shares, percentages and mistakes."""

TOLERANCE_SEPARATORS: tuple[tuple[str, str], ...] = (("=", OK), ("", BAD), (":", EITHER), ("==", EITHER),
                                                     (" = ", EITHER))


CHECK_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "--alpha": (("0.001", OK), ("0.5", OK), ("1e-12", OK), ("0", BAD), ("0.6", BAD), ("-1", BAD),
                ("nan", BAD), ("abc", BAD), ("", BAD), ("1%", EITHER)),
    "--replications": (("2", OK), ("3", OK), ("1", BAD), ("0", BAD), ("abc", BAD), (str(10**9), BAD)),
    "--seed": (("0", OK), ("20260701", OK), ("-1", BAD), ("abc", BAD), ("", BAD)),
    "--engine": (("fast", OK), ("des", OK), ("slow", BAD), ("", BAD)),
}
"""Other options of ``simsales check``, with what each value should do (a change of seed, replications
or engine may legitimately show a move: exit 1)."""


@st.composite
def tolerance_cases(draw: Callable, scenario: Path, baseline: Path) -> CommandCase:
    """``simsales check`` with one or two ``--tolerance`` values, and up to two other options."""
    args = ["check", str(scenario), "--baseline", str(baseline), "--workers", "1"]
    verdicts, names = [], ["--tolerance", "-t"]
    for _ in range(draw(st.integers(1, 2))):
        parts = [draw(st.sampled_from(t)) for t in (TOLERANCE_NAMES, TOLERANCE_SEPARATORS, TOLERANCE_VALUES)]
        item = "".join(text for text, _ in parts)
        args += ["--tolerance", item]
        names.append(item)
        verdicts.append(combine([v for _, v in parts]))
    for option in draw(st.lists(st.sampled_from(sorted(CHECK_OPTIONS)), max_size=2, unique=True)):
        value, verdict = draw(st.sampled_from(CHECK_OPTIONS[option]))
        args += [option, value]
        names += [option, value] + (["-n"] if option == "--replications" else [])
        verdicts.append(verdict)
    return CommandCase(args, combine(verdicts), tuple(names))


STAGE_NAMES = ("visit_to_lead", "lead_to_deal", "a", "", " x ", "a=b", "[/]", ":100:", "Заявка", "a" * 200)
STAGE_VALUES = ("3%", "0.03", "1", "100%", "0.5", "0", "0%", "-1", "150%", "1.5", "nan", "inf", "abc", "",
                "%", "3%%", "750M", "1_000", "1e-300", "1e400", "５%", "0.5 ", "50 %", "1e-9")
NUMBER_TEXTS = ("1%", "0.01", "0", "-1%", "1", "100%", "abc", "", "nan", "inf", "1e-12", "15M", "750k",
                "1_000", "1e400", "-5", "0.5")


@st.composite
def funnel_cases(draw: Callable, scenario: Path) -> CommandCase:
    """``simsales funnel`` with stages from ``--stage`` (or the scenario) and goal, volume, check, delta."""
    args, names = ["funnel"], ["--stage"]
    if draw(st.integers(0, 4)) == 0:
        args.append(str(scenario))
        names.append(str(scenario))
        if draw(st.booleans()):
            args += ["--simulate", draw(st.sampled_from(("1", "0", "-1", "abc", str(10**9))))]
            names.append("--simulate")
        if draw(st.booleans()):
            args += ["--plan", draw(st.sampled_from(("hold", "nope", "")))]
            names.append("--plan")
    else:
        for _ in range(draw(st.integers(1, 4))):
            name = draw(st.sampled_from(STAGE_NAMES))
            sep = draw(st.sampled_from(("=", "=", "=", "", ":", "==")))
            value = draw(st.sampled_from(STAGE_VALUES))
            args += ["--stage", f"{name}{sep}{value}"]
            names.append(f"{name}{sep}{value}")
    for option in ("--delta", "--goal", "--volume", "--check"):
        if draw(st.integers(0, 2)) == 0:
            value = draw(st.sampled_from(NUMBER_TEXTS))
            if option == "--goal":
                value = draw(st.sampled_from(("revenue=", "conversion=", "", "profit=", "revenue"))) + value
            args += [option, value]
            names.append(option)
    if draw(st.booleans()):
        args += ["--format", draw(st.sampled_from(("json", "table", "xml")))]
        names.append("--format")
    if "--goal" in args:
        names += ["--volume", "--check"]  # a revenue goal needs both: an error may name the one missing
    return CommandCase(args, EITHER, tuple(names))


@st.composite
def baseline_cases(draw: Callable, baseline: dict, original_text: str) -> Case:
    """A baseline document with one or two structural mutations, or its JSON text corrupted."""
    if draw(st.integers(0, 3)) == 0:
        pos = draw(st.integers(0, len(original_text) - 1))
        kind = draw(st.sampled_from(("truncate", "insert", "empty", "bytes")))
        if kind == "truncate":
            return Case("baseline", [f"truncate at character {pos}"], original_text[:pos])
        if kind == "insert":
            stray = draw(st.sampled_from(STRAY))
            return Case("baseline", [f"insert {stray!r} at character {pos}"],
                        original_text[:pos] + stray + original_text[pos:])
        if kind == "bytes":
            data = original_text.encode()
            return Case("baseline", [f"insert bytes ff fe at byte {pos}"], original_text,
                        data=data[:pos] + b"\xff\xfe" + data[pos:])
        return Case("baseline", ["empty file"], "")
    doc = json.loads(json.dumps(baseline))
    done = []
    kinds = ("delete", "retype", "push", "empty", "duplicate", "rename")
    for _ in range(draw(st.integers(1, 2))):
        usable = [k for k in kinds if applies(k, doc)]
        done.append(STRUCTURAL[draw(st.sampled_from(usable))](draw, doc))
    return Case("baseline", done, json.dumps(doc, indent=1, allow_nan=True), doc=doc, original=baseline)
