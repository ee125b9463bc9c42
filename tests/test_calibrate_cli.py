"""`simsales calibrate` end to end: the scenario validates and runs, the report stands alone, errors: 2."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.calibrate import HORIZON_DAYS, calibrate
from simsales.cli import app
from simsales.crm.write import write_export
from simsales.report.diagnostics import render
from simsales.scenario import parse_scenario

from .calibrate_synth import Truth, synth_export

runner = CliRunner()


@pytest.fixture(scope="module")
def small():
    truth = Truth(days=60, levels=(60.0, 25.0), managers=16, new_hires=5)
    return truth, synth_export(truth, 4)


def test_the_scenario_validates_with_a_comment_per_field(small):
    truth, export = small
    cal = calibrate(export)
    text = cal.yaml()
    scenario = parse_scenario(text, "calibrated.yaml")
    last = truth.since + dt.timedelta(days=truth.days - 1)
    assert scenario.start == last + dt.timedelta(days=1)
    assert scenario.horizon_days == HORIZON_DAYS
    assert [p.name for p in scenario.plans] == ["hold"]
    assert len(scenario.channels) == len(truth.levels)
    # Every fitted field is preceded by its provenance comment, and every default is listed.
    flat = re.sub(r"\n *#   ", " ", text)  # a wrapped comment continues after "#   "
    for path, comment in cal.comments.items():
        assert f"# {comment}" in flat, path
    fitted = [p for p in cal.comments if p not in cal.defaults]
    unsourced = [p for p in fitted if not re.search(r"from [\d,]+ ", cal.comments[p])]
    assert set(unsourced) == {
        "start",
        "horizon_days",
        "plans",
        "channels[0].name",
        "channels[1].name",
        "team.span_max",
    }, unsourced
    assert "Kept at a default" in text and "channels[0].cpl" in text
    assert yaml.safe_load(text) == cal.document


def test_an_export_without_payments_shifts_or_losses_still_gives_a_valid_scenario():
    truth = Truth(days=40, levels=(40.0,), managers=8, new_hires=0, shifts=False, mark_losses=False)
    export = dataclasses.replace(synth_export(truth, 9), payments=None)
    cal = calibrate(export)
    parse_scenario(cal.yaml(), "calibrated.yaml")
    assert "team.talk_share" in cal.defaults and "funnel.refunds" in cal.defaults
    # The synthetic calls are drawn lead by lead, not one manager's call after another: no common pace.
    assert "no common pace" in cal.comments["team.talk_share"]
    assert "team.ramp" in cal.defaults  # nobody was hired: the ramp cannot be told


def test_a_deal_paid_in_parts_counts_once_for_the_refund_share(small):
    # A CRM logs a deal paid in two parts as two payments: each counted as a paid deal in the refund
    # share's denominator, so the share came out low (q3's export with 300 deals split: 2.3% -> 2.1%).
    _, export = small
    pay = export.payments
    whole = pay[pay["refunded_at"].isna()].iloc[:40]
    first, second = whole.copy(), whole.copy()
    first["amount"] = whole["amount"] / 2
    second["amount"] = whole["amount"] - first["amount"]
    second["paid_at"] = whole["paid_at"] + pd.Timedelta(days=3)
    split = dataclasses.replace(export, payments=pd.concat([first, second, pay.drop(whole.index)]))
    assert calibrate(split).document["funnel"]["refunds"] == calibrate(export).document["funnel"]["refunds"]


def test_the_written_scenario_runs(small):
    _, export = small
    doc = calibrate(export).document | {"horizon_days": 14}
    scenario = parse_scenario(yaml.safe_dump(doc, sort_keys=False), "calibrated.yaml")
    result = montecarlo.run(scenario, replications=2, seed=1, workers=1)
    summary = result.summary()["hold"]
    assert summary["leads"]["p50"] > 0
    assert summary["won"]["p50"] >= 0


def test_the_report_leads_with_the_answer_and_loads_nothing(small):
    _, export = small
    cal = calibrate(export)
    html = render(cal, "export/")
    assert html.index("fields fitted from") < html.index("Observed against fitted")
    assert html.count("data:image/png;base64,") == len(cal.fits)
    assert not re.search(r'(src|href)="(http|//)', html)
    assert "Distrust" in html and "Kept at a default" in html


def test_the_page_and_the_header_count_each_table_in_its_rows_noun(small):
    _, export = small
    cal = dataclasses.replace(calibrate(export), counts={"leads": 1, "calls": 2_500, "staff": 1,
                                                         "payments": 1, "shifts": 3})
    said = "1 lead, 2,500 calls, 1 person, 1 payment, 3 shifts"  # was "1 leads, ... 1 staff, 1 payments"
    assert said in render(cal, "export/")
    assert f"({said})" in cal.header()[0]
    cal = dataclasses.replace(cal, counts={"staff": 12, "payments": 2})
    assert "12 people, 2 payments" in render(cal, "export/") and "(12 people, 2 payments)" in cal.header()[0]


def test_the_command_writes_the_scenario_and_the_report(small, tmp_path):
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    out, report = tmp_path / "scenario.yaml", tmp_path / "rep"
    result = runner.invoke(
        app, ["calibrate", str(folder), "-o", str(out), "--report", str(report), "--tz", export.tz]
    )
    assert result.exit_code == 0, result.output
    parse_scenario(out.read_text(), str(out))
    assert (report / "diagnostics.html").exists()
    validate = runner.invoke(app, ["validate", str(out)])
    assert validate.exit_code == 0, validate.output


def test_a_window_from_and_to(small, tmp_path):
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    out = tmp_path / "s.yaml"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(folder),
            "-o",
            str(out),
            "--tz",
            export.tz,
            "--from",
            "2026-01-12",
            "--to",
            "2026-02-08",
        ],
    )
    assert result.exit_code == 0, result.output
    scenario = parse_scenario(out.read_text(), str(out))
    assert scenario.start == dt.date(2026, 2, 9)


@pytest.mark.parametrize(
    "args, words",
    [
        (["calibrate", "no/such/folder", "-o", "x.yaml"], "no such folder"),
        (["calibrate", ".", "-o", "x.yaml", "--from", "2026-03-01", "--to", "2026-02-01"], "before --from"),
        (["calibrate", ".", "-o", "x.yaml", "--from", "31/02/2026"], "expected a date"),
    ],
)
def test_bad_options_exit_2_without_a_traceback(args, words):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_a_window_outside_the_export_names_the_option_given(small, tmp_path):
    # --from after the data, no --to: the error blamed a --to the user never gave ("--to is before --from").
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    out = tmp_path / "s.yaml"
    base = ["calibrate", str(folder), "-o", str(out), "--tz", export.tz]
    result = runner.invoke(app, [*base, "--from", "2030-01-01"])
    assert result.exit_code == 2, result.output
    assert "--from 2030-01-01 is after the export's last day of data" in result.output
    assert "--to is before" not in result.output and "Traceback" not in result.output
    result = runner.invoke(app, [*base, "--to", "2020-01-01"])
    assert result.exit_code == 2, result.output
    assert "--to 2020-01-01 is before the export's first lead" in result.output
    result = runner.invoke(app, [*base, "--from", "12.01.2026"])
    assert result.exit_code == 2 and "did you mean 2026-01-12?" in result.output
    result = runner.invoke(app, ["backtest", str(folder), "--until", "12.01.2026"])
    assert result.exit_code == 2 and "did you mean 2026-01-12?" in result.output
    assert not out.exists()


def test_a_bad_table_names_the_file_and_exits_2(small, tmp_path):
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    leads = folder / "leads.csv"
    lines = leads.read_text().splitlines()
    cells = lines[1].split(",")
    cells[1] = "31/02/2026"
    lines[1] = ",".join(cells)
    leads.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["calibrate", str(folder), "-o", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2, result.output
    assert "leads.csv" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s.yaml").exists()
