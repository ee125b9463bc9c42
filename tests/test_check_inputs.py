"""`simsales check`: what counts as the same inputs, beyond the scenario file itself.

* A scenario that starts from a CRM export (``pipeline:``) reads the
  export's files as well: a refreshed export with an unchanged file is a
  change of inputs ("pipeline export changed", tested statistically), not
  a failure to reproduce the same inputs.
* A changed revenue plan moves no metric but moves ``p_plan``, the chance
  of making it: the check fails naming each plan's ``p_plan`` before and
  after; an edit that leaves the target alone adds no ``p_plan`` row.
* With another number of replications and the same seed, the output says
  which replications were set against each other.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simsales.cli import app
from simsales.crm.write import write_export
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from simsales.world import pipeline

from .conftest import SMALL
from .test_pipeline_start import first_doc, second_doc
from .test_regression import edited_scenario as edited

runner = CliRunner()


def cli(*args: object):
    return runner.invoke(app, [*map(str, args), "--workers", "1"])


def flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> list[Path]:
    """Two simulated CRM exports of the same department (replications 0 and 1): two states of one CRM."""
    scenario = parse_scenario(yaml.safe_dump(first_doc()), "<first>")
    folders = []
    for r in range(2):
        folder = tmp_path_factory.mktemp(f"export{r}")
        write_export(simulate_events(scenario, replication=r).export, folder)
        folders.append(folder)
    return folders


def test_a_refreshed_pipeline_export_is_a_change_not_a_failed_reproduction(exports, tmp_path, monkeypatch):
    export = tmp_path / "crm-export"
    shutil.copytree(exports[0], export)
    scenario = tmp_path / "field.yaml"
    scenario.write_text(yaml.safe_dump({**second_doc(pipeline=export.name), "replications": 6}))
    baseline = tmp_path / "field.json"
    made = cli("baseline", scenario, "-o", baseline)
    assert made.exit_code == 0, made.output

    same = cli("check", scenario, "--baseline", baseline)
    assert same.exit_code == 0, same.output
    assert "same inputs" in same.output and "PASS" in same.output

    shutil.rmtree(export)
    shutil.copytree(exports[1], export)  # the CRM a day later: the scenario file is not touched
    monkeypatch.setattr(pipeline, "_OPENED", {})  # as in a new process: CI runs `check` once per process
    refreshed = cli("check", scenario, "--baseline", baseline)
    said = flat(refreshed.output)
    assert "pipeline export changed" in said and "paired t-test" in said
    assert "not reproduced" not in said and "NOT REPRODUCED" not in said
    assert refreshed.exit_code == 1, refreshed.output  # the open pipeline moved
    assert "hold.pipeline_leads" in said
    assert json.loads(baseline.read_text())["scenario"]["pipeline_sha256"]  # what told the two apart


@pytest.fixture(scope="module")
def small_baseline(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("baseline") / "small.json"
    made = cli("baseline", SMALL, "-n", 6, "-o", path)
    assert made.exit_code == 0, made.output
    return path


def test_a_changed_revenue_plan_fails_naming_p_plan(small_baseline, tmp_path):
    before = json.loads(small_baseline.read_text())["plans"]
    assert {plan["summary"]["p_plan"] for plan in before.values()} == {0}  # 9M is out of reach in 21 days
    changed = edited(tmp_path, "revenue_plan: 9_000_000", "revenue_plan: 1")
    result = cli("check", changed, "--baseline", small_baseline)
    said = flat(result.output)
    assert result.exit_code == 1, result.output
    assert "revenue plan 9,000,000 -> 1" in said
    assert "hold.p_plan 0.0% -> 100.0%" in said and "grow.p_plan 0.0% -> 100.0%" in said
    assert "+100.0 pp" in said


def test_an_edit_that_keeps_the_revenue_plan_compares_no_p_plan(small_baseline, tmp_path):
    changed = edited(tmp_path, "# A small, quick scenario", "# An edited comment. A small, quick scenario")
    result = cli("check", changed, "--baseline", small_baseline, "--all")
    assert result.exit_code == 0, result.output
    assert "scenario file edited" in result.output and "p_plan" not in result.output


def test_fewer_replications_than_the_baseline_says_which_were_compared(small_baseline):
    result = cli("check", SMALL, "--baseline", small_baseline, "-n", 4)
    assert result.exit_code == 0, result.output
    said = flat(result.output)
    assert "replications 6 -> 4" in said and "same inputs, so every replication must match exactly" in said
    assert "the first 4 replications of each (the baseline has 6, this run 4)" in said
