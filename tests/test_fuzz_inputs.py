"""The fuzzer on every other input a user gives: options of `run`, baselines, `--tolerance`, `funnel`.

Each case is a command line with good, bad and borderline values; a bad
value must end in exit 2 with an error naming the option or the value, a
good one in success, a borderline one in either; never a traceback, a hang,
more worker processes than the guard allows, or invalid JSON from
``--format json`` (:func:`tests.fuzzing.command_problems`).  A baseline
made by ``simsales baseline`` is corrupted (keys deleted, types changed,
the JSON truncated) and handed to ``simsales check``.  The quick tests run
about 50 cases each; the slow ones (CI) run 480 more between them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given

from .fuzzing import (
    BAD,
    EITHER,
    OK,
    QUICK,
    Case,
    CommandCase,
    baseline_cases,
    baseline_problems,
    command_problems,
    funnel_cases,
    invoke,
    prepare_inputs,
    run_option_cases,
    slow,
    tolerance_cases,
)

FOLDER = Path(tempfile.gettempdir()) / f"simsales-fuzz-inputs-{os.getpid()}"
"""Files the strategies point at (named at import, when the strategies are built; made by the fixture)."""

SCENARIO = FOLDER / "scenario.yaml"
BASELINE = FOLDER / "baseline.json"
OUT = FOLDER / "out"


@pytest.fixture(scope="module", autouse=True)
def made_baseline() -> Iterator[dict]:
    """The scenario (q3 cut to 2 days), its baseline made by the CLI, the --out targets; removed after."""
    prepare_inputs(FOLDER)
    yield json.loads(BASELINE.read_text())
    shutil.rmtree(FOLDER, ignore_errors=True)


def check(found: list[str]) -> None:
    assert not found, "\n".join(found)


def test_the_baseline_reproduces_before_it_is_corrupted(made_baseline):
    # Every baseline case is a change of this one; unchanged, check must pass.
    outcome = invoke("check", SCENARIO, "--baseline", BASELINE, "--workers", "1")
    assert outcome.exit_code == 0, outcome.output
    assert "PASS" in outcome.output


# --- run options ---------------------------------------------------------------------------------------

RUN_EXAMPLES = [
    CommandCase(["run", str(SCENARIO), "-n", str(10**9), "--workers", "1"], BAD, ("-n", "--replications")),
    CommandCase(["run", str(SCENARIO), "-n", "2", "--workers", str(10**9)], EITHER, ("--workers",)),
    CommandCase(["run", str(SCENARIO), "-n", "1", "--workers", "1", "--out", str(OUT / "a_file" / "x")],
                BAD, ("--out", str(OUT / "a_file" / "x"))),
    CommandCase(["run", str(SCENARIO), "-n", "1", "--workers", "1", "--plan", "hold", "--plan", "hold"],
                EITHER, ("--plan",)),
    CommandCase(["run", str(SCENARIO), "-n", "1", "--workers", "1", "--report", "--out", str(OUT / "report")],
                OK, ()),
    CommandCase(["run", str(SCENARIO), "-n", "1", "--workers", "1", "--report", "--out",
                 str(OUT / "a_file" / "report")], BAD, ("--out", str(OUT / "a_file" / "report"))),
]


def _run_examples(test):
    for case in RUN_EXAMPLES:
        test = example(case=case)(test)
    return test


@_run_examples
@given(case=run_option_cases(SCENARIO, OUT))
@QUICK
def test_run_options_end_in_success_or_a_clear_error(case):
    check(command_problems(case))


@pytest.mark.slow
@_run_examples
@given(case=run_option_cases(SCENARIO, OUT))
@slow(60)
def test_run_options_slow(case):
    check(command_problems(case))


# --- baselines -----------------------------------------------------------------------------------------

# Where `simsales baseline --out` may not write (never a device: an atomic write would replace it).
BASELINE_OUTS = [
    (OUT / "a_folder", BAD), (OUT / "a_file" / "b.json", BAD), (OUT / ("x" * 300 + ".json"), BAD),
    (OUT / "nul\x00l.json", BAD), (OUT / "new" / "deeper" / "b.json", EITHER), (OUT / "b ünï.json", OK),
    (OUT / "a_file", EITHER),
]


# The ids leave out the per-process folder, so every test process collects the same tests.
@pytest.mark.parametrize(("path", "expect"), BASELINE_OUTS,
                         ids=lambda v: str(v).replace(str(FOLDER), "FOLDER")[-30:])
def test_baseline_out_paths_end_in_success_or_a_clear_error(path, expect):
    case = CommandCase(["baseline", str(SCENARIO), "--out", str(path), "-n", "2", "--workers", "1"], expect,
                       ("--out", str(path)))
    check(command_problems(case))


def _baseline_strategy():
    # Built lazily: the baseline exists once the module fixture has run.
    from hypothesis import strategies as st

    return st.deferred(lambda: baseline_cases(json.loads(BASELINE.read_text()), BASELINE.read_text()))


def _emptied_plans_and_huge_replications() -> Case:
    doc = {"format": 1, "simsales": "0.1.0", "scenario": {"name": "x", "file": "x", "sha256": "0"},
           "seed": 1, "replications": 10**12, "engine": "fast", "revenue_plan": 0, "plans": {}}
    return Case("baseline", ["plans: {}; replications: 10**12; scenario.name: the scenario's"], "", doc=doc)


@given(case=_baseline_strategy())
@QUICK
def test_corrupt_baselines_end_in_a_verdict_or_a_clear_error(case):
    check(baseline_problems(case, SCENARIO, FOLDER))


@pytest.mark.slow
@given(case=_baseline_strategy())
@slow(60)
def test_corrupt_baselines_slow(case):
    check(baseline_problems(case, SCENARIO, FOLDER))


def test_a_baseline_with_a_plan_renamed_ends_in_a_verdict_or_a_clear_error(made_baseline):
    doc = json.loads(json.dumps(made_baseline))
    name = list(doc["plans"])[-1]
    broken = f"{name[:3]}]{name[3:]}"
    doc["plans"][broken] = doc["plans"].pop(name)
    case = Case("baseline", [f"rename plans.{name} -> {broken!r}"], json.dumps(doc, indent=1), doc=doc)
    check(baseline_problems(case, SCENARIO, FOLDER))


def test_a_baseline_that_asks_for_a_trillion_replications_is_refused(made_baseline):
    # No plan left to compare, so no length check stops it: the replications alone must be bounded.
    case = _emptied_plans_and_huge_replications()
    case.doc["scenario"] = made_baseline["scenario"]
    case.text = json.dumps(case.doc)
    check(baseline_problems(case, SCENARIO, FOLDER))


# --- --tolerance ---------------------------------------------------------------------------------------


@given(case=tolerance_cases(SCENARIO, BASELINE))
@QUICK
def test_tolerances_end_in_success_or_a_clear_error(case):
    check(command_problems(case, allowed=(0, 1, 2)))


@pytest.mark.slow
@given(case=tolerance_cases(SCENARIO, BASELINE))
@slow(50)
def test_tolerances_slow(case):
    check(command_problems(case, allowed=(0, 1, 2)))


# --- funnel --------------------------------------------------------------------------------------------

FUNNEL_EXAMPLES = [
    CommandCase(["funnel", "--stage", "a=100%", "--stage", "b=50%"], EITHER, ("--stage", "a=100%", "b=50%")),
    CommandCase(["funnel", "--stage", "a=1e-300", "--stage", "b=1e-300", "--goal", "conversion=50%"],
                EITHER, ("--stage", "--goal")),
    CommandCase(["funnel", "--stage", "a=50%", "--goal", "revenue=1e400", "--volume", "1", "--check", "1"],
                EITHER, ("--goal",)),
    CommandCase(["funnel", "--stage", "[/]=50%"], EITHER, ("--stage",)),
]


def _funnel_examples(test):
    for case in FUNNEL_EXAMPLES:
        test = example(case=case)(test)
    return test


@_funnel_examples
@given(case=funnel_cases(SCENARIO))
@QUICK
def test_funnel_inputs_end_in_success_or_a_clear_error(case):
    check(command_problems(case))


@pytest.mark.slow
@_funnel_examples
@given(case=funnel_cases(SCENARIO))
@slow(70)
def test_funnel_inputs_slow(case):
    check(command_problems(case))
