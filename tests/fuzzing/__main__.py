"""``python -m tests.fuzzing [CASES] [STRATEGY] [SEED]``: survey the strategies, not stopping at a failure.

Prints each failure class once, with how many cases hit it and the time
each strategy took.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from .inputs import baseline_cases, funnel_cases, run_option_cases, tolerance_cases
from .mutations import cross_reference_cases, structural_cases, text_cases
from .rule import baseline_problems, command_problems, prepare_inputs, scenario_problems


def survey(strategy: st.SearchStrategy, cases: int, check: Callable[[Any], list[str]],
           seed: int | None = None) -> dict[str, list[str]]:
    """Run ``cases`` cases without stopping at a failure; failures grouped by class.

    Args:
        strategy: a case strategy.
        cases: how many.
        check: a case's problems (e.g. :func:`scenario_problems` with its folder).
        seed: draw other cases than the tests do (None: the same fixed ones every time).

    Returns:
        Failure class (the problem with case-specific detail removed) -> the problems.
    """
    classes: dict[str, list[str]] = {}

    @settings(max_examples=cases, derandomize=seed is None, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case: Any) -> None:
        seen = set()
        for problem in check(case):
            detail = re.sub(r"^(Case\(.*?\): |\[\w+\] )?(simsales [^:]*: )?", "", problem)
            key = re.sub(r"'[^']*'|\"[^\"]*\"|/\S+|\d+(\.\d+)?(e[-+]?\d+)?", "#", detail)[:160]
            if key not in seen:
                seen.add(key)
                classes.setdefault(key, []).append(problem)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    run()
    return classes


def main(cases: int, only: str = "", seed: int | None = None) -> None:
    """Survey every strategy and print each failure class once, with how many cases hit it.

    Args:
        cases: cases per strategy.
        only: run only the strategies whose name contains this.
        seed: explore other cases than the tests' (None: theirs, fixed).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario, baseline, out = prepare_inputs(folder / "inputs")
        baseline_doc, baseline_text = json.loads(baseline.read_text()), baseline.read_text()
        checks: dict[str, tuple[st.SearchStrategy, Callable[[Any], list[str]]]] = {
            "structural": (structural_cases(), lambda c: scenario_problems(c, folder)),
            "cross-reference": (cross_reference_cases(), lambda c: scenario_problems(c, folder)),
            "text": (text_cases(), lambda c: scenario_problems(c, folder)),
            "run options": (run_option_cases(scenario, out), command_problems),
            "baselines": (baseline_cases(baseline_doc, baseline_text),
                          lambda c: baseline_problems(c, scenario, folder)),
            "tolerances": (tolerance_cases(scenario, baseline), lambda c: command_problems(c, (0, 1, 2))),
            "funnel": (funnel_cases(scenario), command_problems),
        }
        for name, (strategy, check) in checks.items():
            if only not in name:
                continue
            began = time.monotonic()
            found = survey(strategy, cases, check, seed)
            print(f"== {name}: {cases} cases, {time.monotonic() - began:.0f} s, {len(found)} failure classes")
            for items in sorted(found.values(), key=len, reverse=True):
                print(f"[{len(items)}] {items[0][:1500]}\n")


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100, sys.argv[2] if len(sys.argv) > 2 else "",
         int(sys.argv[3]) if len(sys.argv) > 3 else None)
