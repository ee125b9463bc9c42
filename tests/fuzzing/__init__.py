"""Fuzzing what users give simsales: Hypothesis strategies that break it, and the rule every case keeps.

A *case* is one input a user could give, with one or two mistakes in it:

* a scenario (every ``scenarios/*.yaml`` and ``tests/data/*.yaml``, cut to
  :data:`~.documents.HORIZON_DAYS` days and one replication so a run takes
  about a tenth of a second) mutated structurally, with a broken
  cross-reference, or with its text corrupted (:mod:`.mutations`);
* options of ``simsales run``, baseline files for ``simsales check``,
  ``--tolerance`` values, ``simsales funnel``'s stages and numbers
  (:mod:`.inputs`).

Commands run in-process with ``typer.testing.CliRunner`` under a time
limit, a process limit and a memory cap (:mod:`.harness`), and every case
must keep the rule (:mod:`.rule`): success, or exit 2 with an error that
names the file and the field (the line for text that is not YAML), the
option or the value; never a traceback, another exit status, a hang, emoji
made of user text, or invalid JSON.

``python -m tests.fuzzing [CASES] [STRATEGY]`` surveys the strategies
without stopping at the first failure (:mod:`.__main__`).
"""

from .documents import (
    DELETE,
    HORIZON_DAYS,
    ROOT,
    SCENARIOS,
    SOURCES,
    Case,
    base_document,
    dump,
    get,
    nodes,
    path_text,
    put,
    shorten,
)
from .harness import (
    MAX_PROCESSES,
    MEMORY_HEADROOM_BYTES,
    QUICK,
    TIMEOUT_S,
    CaseTimeout,
    Outcome,
    TooManyProcesses,
    guarded,
    invoke,
    slow,
)
from .inputs import (
    BAD,
    EITHER,
    OK,
    CommandCase,
    baseline_cases,
    combine,
    funnel_cases,
    run_option_cases,
    run_option_values,
    tolerance_cases,
)
from .mutations import STRUCTURAL, cross_reference_cases, structural_cases, text_cases
from .rule import (
    baseline_problems,
    command_problems,
    error_text,
    prepare_inputs,
    problems,
    scenario_problems,
)

__all__ = [
    "BAD", "DELETE", "EITHER", "HORIZON_DAYS", "MAX_PROCESSES", "MEMORY_HEADROOM_BYTES", "OK", "QUICK",
    "ROOT", "SCENARIOS", "SOURCES", "STRUCTURAL", "TIMEOUT_S", "Case", "CaseTimeout", "CommandCase",
    "Outcome", "TooManyProcesses", "base_document", "baseline_cases", "baseline_problems", "combine",
    "command_problems", "cross_reference_cases", "dump", "error_text", "funnel_cases", "get", "guarded",
    "invoke", "nodes", "path_text", "prepare_inputs", "problems", "put", "run_option_cases",
    "run_option_values", "scenario_problems", "shorten", "slow", "structural_cases", "text_cases",
    "tolerance_cases",
]
