"""`simsales check`: what counts as the same inputs, beyond the scenario file itself.

* A scenario that starts from a CRM export (``pipeline:``) reads the
  export's files as well: a refreshed export with an unchanged file is a
  change of inputs ("pipeline export changed", tested statistically), not
  a failure to reproduce the same inputs.
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

from .test_pipeline_start import first_doc, second_doc

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
