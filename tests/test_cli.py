"""The command line end to end: what a user types, what they see, exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from simsales.cli import app
from simsales.report.files import atomic_write

from .conftest import SMALL

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_validate_ok():
    result = invoke("validate", SMALL)
    assert result.exit_code == 0
    assert "ok" in result.output and "hold, grow" in result.output


def test_run_table_shows_plans_side_by_side():
    result = invoke("run", SMALL, "-n", "3", "--workers", "1", "--engine", "des")
    assert result.exit_code == 0, result.output
    for text in ("hold", "grow", "revenue_net", "p_plan", "sla_p50_min"):
        assert text in result.output


def test_run_json_is_the_documented_object(tmp_path):
    result = invoke("run", SMALL, "-n", "3", "--seed", "4", "--format", "json",
                    "--plan", "grow", "--out", tmp_path / "out", "--engine", "des")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["seed"] == 4 and doc["replications"] == 3
    assert list(doc["plans"]) == ["grow"]
    grow = doc["plans"]["grow"]
    assert set(grow["revenue_net"]) == {"mean", "p10", "p50", "p90"}
    assert 0 <= grow["p_plan"] <= 1
    frame = pd.read_csv(tmp_path / "out" / "replications_grow.csv", index_col=0)
    assert len(frame) == 3 and "revenue_net" in frame
    pd.testing.assert_frame_equal(frame, pd.read_parquet(tmp_path / "out" / "replications_grow.parquet"),
                                  check_dtype=False)
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["plans"] == doc["plans"]


def test_an_out_folder_with_an_earlier_runs_plans_is_warned_about(tmp_path):
    # Run both plans into a folder, then one: replications_hold.* stayed beside a summary.json without
    # hold, and nothing said the two files were not of the same run.
    out = tmp_path / "out"
    assert invoke("run", SMALL, "-n", "2", "--format", "json", "--out", out).exit_code == 0
    assert "earlier run" not in invoke("run", SMALL, "-n", "2", "--format", "json", "--out", out).stderr
    result = invoke("run", SMALL, "-n", "2", "--format", "json", "--plan", "grow", "--out", out)
    assert result.exit_code == 0, result.output
    assert ("also holds the replication files of hold, left by an earlier run: this run's files and "
            "summary.json are for grow") in " ".join(result.stderr.split())
    assert list(json.loads(result.stdout)["plans"]) == ["grow"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.replace("talk_share: 0.6", "talk_shar: 0.6"), "team.talk_shar: unknown key"),
        (lambda t: t.replace("talk_share: 0.6", "talk_share: [0.6"), "YAML syntax error"),
        (lambda t: t.replace("qualify: {beta: [40, 60]}", "qualify: 2"), "funnel.qualify"),
        (lambda t: t.replace("leads_per_day: 20", "leads_per_day: -1"), "channels[1].leads_per_day"),
        (lambda t: t.split("plans:")[0] + "plans: []\n", "plans"),
    ],
)
def test_bad_scenarios_exit_2_with_file_field_and_no_traceback(tmp_path, mutate, expected):
    bad = tmp_path / "bad.yaml"
    bad.write_text(mutate(SMALL.read_text()))
    for command in (["validate", bad], ["run", bad, "-n", "1"]):
        result = invoke(*command)
        assert result.exit_code == 2
        assert f"{bad}" in result.output and expected in result.output
        assert "Traceback" not in result.output


def test_missing_file_and_unknown_plan_exit_2(tmp_path):
    result = invoke("run", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "no such file" in result.output
    result = invoke("run", SMALL, "--plan", "nope", "-n", "1")
    assert result.exit_code == 2 and "no plan named 'nope'" in result.output


@pytest.mark.parametrize("command", [
    ("run", "--plan"), ("compare", "--baseline"), ("report", "--baseline"), ("optimize", "--terms"),
])
def test_a_misspelt_plan_gets_the_plan_it_may_mean(tmp_path, command):
    name, option = command
    out = ["--out", tmp_path / "r"] if name == "report" else []
    result = invoke(name, SMALL, option, "hodl", "-n", "1", *out)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "no plan named 'hodl'; did you mean hold?; the file has hold, grow" in said, said
    assert "Traceback" not in result.output
    far = " ".join(invoke(name, SMALL, option, "zzz", "-n", "1", *out).output.split())
    assert "no plan named 'zzz'; the file has hold, grow" in far, far  # no guess when none is near


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "a.txt", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_the_cli_starts_without_the_plotting_library():
    """Commands that draw nothing do not pay for matplotlib's import (about 0.3 s a command)."""
    import subprocess
    import sys

    code = "import sys, simsales.cli; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
