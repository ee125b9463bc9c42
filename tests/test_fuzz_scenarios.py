"""The fuzzer on scenario files: shipped scenarios with the mistakes users make, through the CLI.

Every case runs ``simsales validate``, ``simsales run -n 1`` and (when
validate accepts it) ``simsales funnel`` in-process, and must end in
success or in exit 2 with an error naming the file, the field and the line
where that field is (the line alone for text that is not YAML); a single
misspelt key must get "did you mean" the right one, a share written as a
percentage the share; never a traceback, a hang, another exit status or
user text turned into emoji (:mod:`tests.fuzzing.rule`).  The quick tests
run about 50 cases each; the slow ones (CI) run 670 between them.  The
harness itself is tested first: a fuzzer whose guards or rule never fire
would pass anything.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from .fuzzing import (
    MAX_PROCESSES,
    MEMORY_HEADROOM_BYTES,
    QUICK,
    ROOT,
    SCENARIOS,
    SOURCES,
    STRUCTURAL,
    Case,
    CaseTimeout,
    Outcome,
    TooManyProcesses,
    base_document,
    cross_reference_cases,
    dump,
    get,
    guarded,
    invoke,
    path_text,
    problems,
    put,
    scenario_problems,
    slow,
    structural_cases,
    text_cases,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def mutated(changes: dict[tuple, object], *hints: str, rename: tuple[tuple, str] | None = None) -> Case:
    """q3 with values set by path (and a key renamed): an explicit case, with what its error must say."""
    source = ROOT / "scenarios" / "q3.yaml"
    doc = base_document(source)
    for path, value in changes.items():
        put(doc, path, copy.deepcopy(value))
    said = [f"{path_text(p)}: {v!r}" for p, v in changes.items()]
    if rename is not None:
        path, new = rename
        parent = get(doc, path[:-1])
        parent[new] = parent.pop(path[-1])
        said.append(f"rename {path_text(path)} -> {new!r}")
    return Case(source.name, said, dump(doc), doc=doc, original=base_document(source), hints=hints)


def check(case: Case, folder: Path) -> None:
    found = scenario_problems(case, folder)
    assert not found, "\n".join(found)


# --- the harness -----------------------------------------------------------------------------------------


def test_the_scenarios_cases_start_from_run_clean_and_quickly(folder):
    # Every case starts from these: they must be valid, and cheap enough for hundreds of cases.
    assert SCENARIOS, "no scenarios/*.yaml to fuzz"
    for source in SOURCES:
        case = Case(source.name, ["none"], dump(base_document(source)), doc=base_document(source),
                    original=base_document(source))
        check(case, folder)  # the first run may compile the engine
        began = time.monotonic()
        outcome = invoke("run", case.write(folder / "base.yaml"), "-n", "1", "--workers", "1")
        assert outcome.exit_code == 0, outcome.output
        assert time.monotonic() - began < 5.0, f"{source.name}: one fuzz run takes too long to fuzz 1,000"


def test_the_guard_stops_a_hang_in_python():
    began = time.monotonic()
    with pytest.raises(CaseTimeout), guarded(seconds=0.5):
        while True:
            time.sleep(0.01)
    assert time.monotonic() - began < 2.0


def test_the_guard_refuses_the_process_past_the_limit():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with pytest.raises(TooManyProcesses), guarded() as started:
        for _ in range(MAX_PROCESSES + 1):
            context.Process(target=time.sleep, args=(30,)).start()
    assert len(started) == MAX_PROCESSES
    assert not any(p.is_alive() for p in started), "the guard ends the processes the case left behind"


def test_the_guard_caps_memory():
    import mmap

    # Address space, not memory: the mapping is never touched, so without the cap nothing is used.
    with pytest.raises((MemoryError, OSError)), guarded():
        mmap.mmap(-1, 2 * MEMORY_HEADROOM_BYTES)
    mmap.mmap(-1, 2 * MEMORY_HEADROOM_BYTES).close()  # and the cap is lifted afterwards


@pytest.mark.parametrize(
    ("outcome", "complaint"),
    [
        (Outcome(["validate", "f.yaml"], 1, "", error="traceback: ValueError: scale < 0"), "ValueError"),
        (Outcome(["validate", "f.yaml"], None, "", error="no answer after 20 s"), "no answer"),
        (Outcome(["validate", "f.yaml"], 3, "error: f.yaml: team: bad"), "exit 3"),
        (Outcome(["validate", "f.yaml"], 2, "something went wrong"), "without an 'error:' line"),
        (Outcome(["validate", "f.yaml"], 2, "error: other.yaml: team: bad"), "does not name the file"),
        (Outcome(["validate", "f.yaml"], 2, "error: f.yaml: something is wrong"), "names no field"),
        (Outcome(["validate", "f.yaml"], 2, "error: f.yaml: YAML syntax error: bad"), "without its line"),
        (Outcome(["validate", "f.yaml"], 2, "error: f.yaml\N{HUNDRED POINTS SYMBOL} team: bad"), "emoji"),
    ],
)
def test_the_rule_flags_what_it_must(outcome, complaint):
    found = problems(outcome, file="f.yaml", fields={"team", "name"})
    assert any(complaint in p for p in found), found


@pytest.mark.parametrize(
    "output",
    ["f.yaml: ok: 'x', 7 days", "error: f.yaml:12: team.managers[0].count: expected at most 5,000",
     "error: f.yaml:3: YAML syntax error: mapping values are not allowed here",
     "error: f.yaml:143:  name: unknown key ' name'; did you mean name?"],
)
def test_the_rule_accepts_clear_outcomes(output):
    code = 0 if "ok:" in output else 2
    outcome = Outcome(["validate", "f.yaml"], code, output)
    assert problems(outcome, file="f.yaml", fields={"team", "name"}) == []


def test_the_rule_checks_the_line_of_the_field():
    from .fuzzing.rule import line_problem

    text = "name: x\nteam:\n  managers:\n    - {team_lead: anna, count: 6}\n    - {team_lead: b, count: 1}\n"
    right = Outcome(["validate", "f.yaml"], 2, "error: f.yaml:5: team.managers[1].team_lead: unknown")
    wrong = Outcome(["validate", "f.yaml"], 2, "error: f.yaml:2: team.managers[1].team_lead: unknown")
    assert line_problem(right, "f.yaml", {"team", "name"}, text) == []
    assert "line 2" in line_problem(wrong, "f.yaml", {"team", "name"}, text)[0]


@given(st.data())
@settings(QUICK, max_examples=len(STRUCTURAL) * 10)
def test_every_mutation_changes_the_file(data):
    kind = data.draw(st.sampled_from(sorted(STRUCTURAL)))
    case = data.draw(structural_cases(kinds=(kind,)))
    assert case.doc != case.original and case.text != dump(case.original), case
    corrupt = data.draw(text_cases())
    assert (corrupt.data or corrupt.text.encode()) != dump(corrupt.original).encode(), corrupt


# --- the fuzzer ------------------------------------------------------------------------------------------

# Cases issue 16 reported (validate said ok, then run crashed or hung), run first on every variant.
ISSUE_CASES = [
    mutated({("channels", 0, "hour_profile"): [0] * 24}),
    mutated({("channels", 0, "overdispersion"): -0.5}),
    mutated({("channels", 0, "leads_per_day"): 1e12}),
    mutated({("team", "managers", 0, "count"): 10**12}),
    mutated({("team", "managers", 0, "count"): 1e30}),
    mutated({("plans", 1, "months", 0, "month"): "2027-03"}),
    mutated({("team", "shifts", 0, "share"): 0.75}),
    mutated({("channels", 1, "name"): "context_ads"}),
    mutated({("funnel", "offer", "p"): 85}, r"\b0\.85\b|percent"),
    mutated({("funnel", "qualify"): 45}, r"\b0\.45\b|percent"),
    mutated({}, r"leads_per_dya", r"did you mean\W+leads_per_day\b",
            rename=(("channels", 0, "leads_per_day"), "leads_per_dya")),
    # Near misses the suggester must catch too: case, a distribution's kind, a distribution's bound.
    mutated({}, r"LEAD_TTL", r"did you mean\W+lead_ttl\b", rename=(("touch_chain", "lead_ttl"), "LEAD_TTL")),
    mutated({}, r"normla", r"did you mean\W+normal\b",
            rename=(("channels", 0, "growth_per_month", "normal"), "normla")),
    mutated({}, r"mni", r"did you mean\W+min\b", rename=(("funnel", "price", "check", "min"), "mni")),
    mutated({}, r"means", r"did you mean\W+mean\b", rename=(("team", "skill", "lognormal", "mean"), "means")),
    # Accepted by validate, then NaN money and numpy warnings on the user's terminal.
    mutated({("funnel", "price", "check", "normal"): [1e30, 1e30]}),
    mutated({("team", "managers"): []}),
    # A client delay beyond any horizon: days past int64 when cast (a numpy warning on the terminal).
    mutated({("funnel", "bank_approved", "delay_days"): 1e30}),
    # A valid funnel with a stage at 0 (nobody is ever contacted): `funnel FILE` must still answer.
    mutated({("touch_chain", "p_contact"): [0] * 7}),
    mutated({("touch_chain", "dial_minutes"): "10 minutes"}),
    mutated({("name",): ":100: [/]"}),
    # User text with rich markup or an emoji code: printed literally wherever it appears.
    mutated({("currency",): "[/]"}),
    mutated({("plans", 1, "name"): "[/]st[bold]eady"}),
    mutated({("plans", 1, "label"): ":100: [/]"}),
    mutated({("channels", 0, "name"): "[/]ads"}),
    mutated({("team", "shifts", 0, "name"): "[/]day"}),
    mutated({("team", "team_leads", 0, "name"): "[/]anna", ("team", "managers", 0, "team_lead"): "[/]anna",
             ("team", "managers", 1, "team_lead"): "[/]anna"}),
    # Shares written as percentages elsewhere than probabilities: the same hint is due.
    mutated({("team", "ramp", "months", 0): 40}, r"\b0\.4\b|percent"),
    mutated({("team", "talk_share"): {"triangular": [0.5, 60, 0.7]}}, r"\b0\.6\b|percent"),
]


def _with_issue_cases(test):
    for case in ISSUE_CASES:
        test = example(case=case)(test)
    return test


@_with_issue_cases
@given(case=structural_cases())
@QUICK
def test_structural_mutations_end_in_success_or_a_clear_error(folder, case):
    check(case, folder)


@given(case=cross_reference_cases())
@QUICK
def test_broken_cross_references_end_in_success_or_a_clear_error(folder, case):
    check(case, folder)


@given(case=text_cases())
@QUICK
def test_corrupt_text_ends_in_success_or_an_error_with_its_line(folder, case):
    check(case, folder)


@pytest.mark.slow
@_with_issue_cases
@given(case=structural_cases())
@slow(80)
def test_structural_mutations_slow(folder, case):
    check(case, folder)


@pytest.mark.slow
@given(case=cross_reference_cases())
@slow(75)
def test_broken_cross_references_slow(folder, case):
    check(case, folder)


@pytest.mark.slow
@given(case=text_cases())
@slow(60)
def test_corrupt_text_slow(folder, case):
    check(case, folder)
