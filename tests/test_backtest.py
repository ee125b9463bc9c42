"""`simsales backtest`: weekly actuals from an export, forecasts, coverage, and bad input."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simsales.analysis.backtest import Backtest, against, forecast_document, scaled, warmup_days
from simsales.analysis.backtest_weeks import BACKTEST_METRICS, actual_weeks, forecast_weeks, week_edges
from simsales.cli import app
from simsales.crm.export import Export
from simsales.crm.write import write_export
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from simsales.world.warmup import client_path_p90
from tests.conftest import SMALL


def small_doc(days: int) -> dict:
    doc = yaml.safe_load(SMALL.read_text())
    doc["horizon_days"] = days
    doc["channels"][0]["growth_per_month"] = 0
    doc["plans"] = [{"name": "hold"}]
    doc.pop("revenue_plan")
    return doc


@pytest.fixture(scope="module")
def simulated():
    """Replication 0 of a 35-day version of the small scenario, played by the reference engine."""
    doc = small_doc(35)
    scenario = parse_scenario(yaml.safe_dump(doc), "<small 35 days>")
    return doc, scenario, simulate_events(scenario, "hold", 0, seed=5)


@pytest.fixture(scope="module")
def export_dir(simulated, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    write_export(simulated[2].export, folder)
    return folder


def test_weekly_actuals_of_a_hand_made_export_in_its_own_time_zone():
    """Weeks start at local midnight: 23:30 UTC on Aug 4 is Aug 5 in Moscow (UTC+3)."""
    tz = "Europe/Moscow"

    def ts(*texts: str) -> pd.Series:
        return pd.Series(pd.to_datetime(list(texts), utc=True)).dt.tz_convert(tz)

    leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "created_at": ts(
        "2026-08-04T20:59:00Z",  # 23:59 Moscow, Aug 4: before the first week
        "2026-08-04T21:00:00Z",  # 00:00 Moscow, Aug 5: week 1
        "2026-08-12T10:00:00Z")})  # week 2
    stages = pd.DataFrame({"lead_id": ["b", "b", "b", "c", "c", "c"],
                           "stage": ["contact", "qualified", "link_filled", "contact", "invoice", "won"],
                           "entered_at": ts("2026-08-05T10:00Z", "2026-08-05T10:20Z", "2026-08-11T20:59Z",
                                            "2026-08-12T11:00Z", "2026-08-13T11:00Z", "2026-08-19T09:00Z")})
    payments = pd.DataFrame({"lead_id": ["c", "x"], "paid_at": ts("2026-08-19T09:00Z", "2026-08-06T09:00Z"),
                             "amount": [1000.0, 500.0], "refunded_at": ts("NaT", "2026-08-13T09:00Z"),
                             "refund_amount": [np.nan, 200.0]})
    export = Export(leads=leads, stages=stages, calls=pd.DataFrame(), staff=pd.DataFrame(),
                    payments=payments, shifts=None, tz=tz)
    weeks = week_edges(dt.date(2026, 8, 5), 17)
    assert weeks[-1] == (dt.date(2026, 8, 19), dt.date(2026, 8, 22))  # a short last week
    got = actual_weeks(export, weeks)
    assert got["leads"].tolist() == [1, 1, 0]
    assert got["contacts"].tolist() == [1, 1, 0]
    assert got["qualified"].tolist() == [1, 0, 0]
    assert got["total_invoices"].tolist() == [1, 1, 0]  # 20:59Z on Aug 11 is 23:59 in Moscow: week 1
    assert got["won"].tolist() == [0, 0, 1]
    assert got["revenue_net"].tolist() == [500.0, -200.0, 1000.0]
    no_payments = Export(leads=leads, stages=stages, calls=pd.DataFrame(), staff=pd.DataFrame(),
                         payments=None, shifts=None, tz=tz)
    assert np.isnan(actual_weeks(no_payments, weeks)["revenue_net"]).all()


def test_the_exports_weeks_equal_the_simulations_own(simulated):
    """The export path (events -> tables -> weekly counts) and the simulation path (outcomes and
    deals -> weekly counts) agree on the same replication: exactly, but for qualified leads,
    stamped at the contact call's end in the export (a call crossing midnight at a week's end
    moves at most one lead per manager)."""
    _doc, scenario, run = simulated
    weeks = week_edges(scenario.start, 35)
    actual = actual_weeks(run.export, weeks)
    sim = forecast_weeks(scenario, 0, 5, len(weeks), 35, engine="des")
    for metric in ("leads", "contacts", "total_invoices", "won"):
        assert actual[metric].tolist() == sim[metric].tolist(), metric
    np.testing.assert_allclose(actual["revenue_net"], sim["revenue_net"], rtol=1e-12)
    assert np.abs(actual["qualified"] - sim["qualified"]).max() <= run.world.roster.n_managers
    assert actual["qualified"].sum() <= sim["qualified"].sum()
    m = run.metrics
    assert sim["leads"].sum() == m["leads"] and sim["won"].sum() == m["won"]
    assert sim["total_invoices"].sum() == m["total_invoices"]
    # Contacts by date: the horizon's leads reached (the metric) plus the warm-up's leads reached after start.
    origin = run.world.origin_minutes
    assert origin > 0
    late = (run.world.leads.created < origin) & (run.outcomes.contact >= origin)
    assert late.sum() > 0
    assert sim["contacts"].sum() == m["contacts"] + late.sum()


def test_coverage_counts_and_the_answer_first():
    """101 replications 0..100 per week: P10 = 10, P90 = 90; actuals 5, 50, 95, 90 -> 2 of 4 inside."""
    weeks = week_edges(dt.date(2026, 8, 5), 28)
    fc = np.tile(np.arange(101.0)[:, None], (1, 4))
    forecast = {m: fc for m in BACKTEST_METRICS}
    actual = {m: np.array([5.0, 50.0, 95.0, 90.0]) for m in BACKTEST_METRICS}
    actual["revenue_net"] = np.full(4, np.nan)  # not in the export: not compared
    bt = Backtest(until=dt.date(2026, 8, 4), days=28, warmup_days=10, replications=101, seed=1, weeks=weeks,
                  actual=actual, forecast=forecast, scenario=None)
    assert bt.n_compared == 20 and bt.n_inside == 10 and bt.coverage == 0.5
    assert bt.verdict().startswith("10 of 20 weekly numbers inside the forecast's P10-P90 band (50%")
    assert "too narrow" in bt.verdict()
    assert bt.misses()[0] == "leads: 1 of 4 weeks above P90, 1 of 4 weeks below P10"
    table = bt.table()
    assert len(table) == 24 and (table["side"] == "unknown").sum() == 4
    actual = {m: np.full(4, 50.0) for m in BACKTEST_METRICS}
    good = Backtest(until=dt.date(2026, 8, 4), days=28, warmup_days=10, replications=101, seed=1,
                    weeks=weeks, actual=actual, forecast=forecast, scenario=None)
    assert good.verdict().startswith("24 of 24") and "about as far as they say" in good.verdict()


def test_a_one_week_backtest_says_1_of_1_week():
    weeks = week_edges(dt.date(2026, 8, 5), 7)
    forecast = {m: np.arange(101.0)[:, None] for m in BACKTEST_METRICS}
    actual = {m: np.array([95.0]) for m in BACKTEST_METRICS}
    bt = Backtest(until=dt.date(2026, 8, 4), days=7, warmup_days=0, replications=101, seed=1, weeks=weeks,
                  actual=actual, forecast=forecast, scenario=None)
    assert bt.misses()[0] == "leads: 1 of 1 week above P90"  # was "1 of 1 weeks"


def test_the_forecast_starts_a_warm_up_before_the_date_with_the_same_team(simulated):
    doc, scenario, _ = simulated
    w = warmup_days(scenario)
    # auto: lead_ttl 3 days + the client path's P90 (offer, then invoice or link and bank) + refunds' 14 days
    assert w == math.ceil(3 + client_path_p90(scenario) + 14)
    # The document's tenures and volumes are at its start, 8 days after the first forecast day.
    d = dict(doc, start="2026-08-13")
    moved = forecast_document(d, dt.date(2026, 8, 5), w, 28, 50, 3)
    assert moved["start"] == "2026-08-05" and moved["horizon_days"] == 28 and moved["warmup_days"] == w
    assert moved["plans"] == [{"name": "hold"}]
    assert [m["tenure_days"] for m in moved["team"]["managers"]] == [292, 12]
    assert d["team"]["managers"][1]["tenure_days"] == 20  # the document itself is left alone
    assert "revenue_plan" not in moved
    # small.yaml's ads grow 5% a month (here 0), social is flat: volumes carried back by their growth
    grown = copy.deepcopy(d)
    grown["channels"][0]["growth_per_month"] = {"normal": [0.05, 0.01]}
    back = forecast_document(grown, dt.date(2026, 8, 5), w, 28, 50, 3)["channels"]
    factor = 1.05 ** (-8 / (365.25 / 12))
    assert back[0]["leads_per_day"] == {"triangular": pytest.approx([50 * factor, 60 * factor, 70 * factor])}
    assert back[1]["leads_per_day"] == 20


@pytest.mark.parametrize(("spec", "want"), [
    (40, 80.0), ("1k", 2000.0),
    ({"lognormal": {"mean": 48.5, "sd": 2.5}}, {"lognormal": {"mean": 97.0, "sd": 5.0}}),
    ({"gamma": {"mean": 3, "sd": 1}}, {"gamma": {"mean": 6.0, "sd": 2.0}}),
    ({"normal": [60, 5], "min": 40}, {"normal": [120.0, 10.0], "min": 80.0}),
    ({"mean": 60, "sd": 5, "max": 90}, {"mean": 120.0, "sd": 10.0, "max": 180.0}),
    ({"triangular": [1, 2, 3]}, {"triangular": [2.0, 4.0, 6.0]}),
    ({"uniform": [1, 2]}, {"uniform": [2.0, 4.0]}),
    ({"exponential": 1.5}, {"exponential": 3.0}),
    ({"fixed": 7}, {"fixed": 14.0}),
])
def test_a_volume_is_scaled_in_every_form_a_scenario_takes(spec, want):
    assert scaled(spec, 2.0) == want


def test_against_the_true_scenario_gives_a_forecast_for_every_week(simulated):
    doc, _scenario, run = simulated
    truth = copy.deepcopy(doc)
    # small.yaml's tenures are at 2026-07-01: move them to the first forecast day
    truth["start"] = "2026-07-22"
    for person in truth["team"]["team_leads"] + truth["team"]["managers"]:
        person["tenure_days"] += 21
    bt = against(run.export, truth, dt.date(2026, 7, 21), days=14, replications=20, seed=2)
    assert [len(bt.forecast[m]) for m in BACKTEST_METRICS] == [20] * 6
    assert bt.weeks == week_edges(dt.date(2026, 7, 22), 14)
    assert all(np.isfinite(bt.actual[m]).all() for m in BACKTEST_METRICS)
    assert 0 <= bt.n_inside <= bt.n_compared == 12
    assert bt.warmup_days == 0 and "pipeline open in the export at 00:00 of 2026-07-22" in bt.notes[0]


@pytest.mark.parametrize(("args", "says"), [
    (["--until", "2026-09-30"], "outside the export"),
    (["--until", "2026-06-01"], "outside the export"),
    (["--until", "2026-07-20", "--days", "0"], "at least 1 day"),
    (["--until", "2026-07-20", "--days", "60"], "--days 15 at most"),
    (["--until", "20.07.2026"], "expected a date like"),
])
def test_bad_dates_are_refused_with_exit_2(export_dir, args, says):
    res = CliRunner().invoke(app, ["backtest", str(export_dir), *args])
    assert res.exit_code == 2, res.output
    assert says in res.output
    assert "Traceback" not in res.output


def test_a_folder_that_is_not_an_export_is_refused_with_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    res = CliRunner().invoke(app, ["backtest", str(tmp_path), "--until", "2026-07-20"])
    assert res.exit_code == 2, res.output
    assert "leads" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["backtest", str(tmp_path / "nowhere"), "--until", "2026-07-20"])
    assert res.exit_code == 2 and "not a folder" in res.output


def test_cli_backtest_answers_first_and_writes_its_files(export_dir, tmp_path):
    res = CliRunner().invoke(app, ["backtest", str(export_dir), "--until", "2026-07-21", "--days", "14",
                                   "-n", "30", "--report", str(tmp_path / "bt")])
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[0]
    assert " of 12 weekly numbers inside the forecast's P10-P90 band" in first
    for name in ("backtest.csv", "backtest.json", "backtest.png", "backtest.svg"):
        assert (tmp_path / "bt" / name).stat().st_size > 0, name
    doc = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert doc["compared"] == 12 and doc["verdict"] == first and len(doc["weeks"]) == 12
    table = pd.read_csv(tmp_path / "bt" / "backtest.csv")
    assert table["inside"].sum() == doc["inside"]


def test_cli_backtest_says_the_rows_the_reader_could_not_use(export_dir, tmp_path):
    """As `run --pipeline` and `calibrate` do: the backtest said nothing of rows it left out."""
    folder = tmp_path / "export"
    shutil.copytree(export_dir, folder)
    calls = pd.read_csv(folder / "calls.csv", dtype=str, keep_default_na=False)
    stray = calls.iloc[[0]].assign(lead_id="no-such-lead")
    pd.concat([calls, stray]).to_csv(folder / "calls.csv", index=False)
    res = CliRunner().invoke(app, ["backtest", str(folder), "--until", "2026-07-21", "--days", "7",
                                   "-n", "5"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stderr.split())
    assert "warning: calls.csv: 1 row(s) name a lead not in leads.csv" in said and "left out" in said
    assert "warning:" not in res.stdout  # on stderr, with the progress: the results stay clean


def test_cli_backtest_shows_the_forecasts_progress(export_dir, monkeypatch):
    """The forecast's replications ran with nothing moving (34 s on big.yaml's export), after reading the
    export in silence (6 s); in a log (here) a line says how far it is, on a terminal a bar."""
    from simsales.cli import progress

    monkeypatch.setattr(progress, "LOG_SECONDS", 0.0)  # a line at every replication
    res = CliRunner().invoke(app, ["backtest", str(export_dir), "--until", "2026-07-21", "--days", "7",
                                   "-n", "4"])
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert lines[0] == f"reading {export_dir}", lines
    assert lines.index("forecast: 4 replications of the 7 days after 2026-07-21") < lines.index(
        next(line for line in lines if line.startswith("forecast: 4 replications: 1/4 (25%), ")))
    assert lines[-1].startswith("forecast: 4 replications: done, 4/4 in "), lines


@pytest.mark.slow
def test_a_backtest_against_the_truth_covers_at_about_its_nominal_rate():
    """With the true scenario, actual weeks are draws from the forecast's own distribution (but for the
    warm-up's pipeline approximation): over 8 departments, about 80% of weekly numbers inside P10-P90."""
    doc = small_doc(49)
    scenario = parse_scenario(yaml.safe_dump(doc), "<small 49 days>")
    truth = copy.deepcopy(doc)
    truth["start"] = "2026-07-22"
    for person in truth["team"]["team_leads"] + truth["team"]["managers"]:
        person["tenure_days"] += 21
    cover = []
    for seed in range(8):
        run = simulate_events(scenario, "hold", 0, seed=1000 + seed)
        cover.append(against(run.export, truth, dt.date(2026, 7, 21), days=28, replications=100,
                             seed=seed).coverage)
    assert 0.65 <= np.mean(cover) <= 0.92, cover


@pytest.mark.slow
def test_a_calibrated_backtest_on_simulated_data_covers_at_about_its_nominal_rate():
    """Calibrated on 5 weeks of a simulated department, forecasting the next 4: over 6 departments,
    the share of weekly numbers inside P10-P90 is near 80% (the calibration's own uncertainty included)."""
    from simsales.analysis.backtest import backtest

    doc = small_doc(63)
    scenario = parse_scenario(yaml.safe_dump(doc), "<small 63 days>")
    cover = []
    for seed in range(6):
        run = simulate_events(scenario, "hold", 0, seed=2000 + seed)
        cover.append(backtest(run.export, dt.date(2026, 8, 4), days=28, replications=100, seed=seed).coverage)
    assert 0.6 <= np.mean(cover) <= 0.95, cover


def floor_doc(days: int) -> dict:
    """small_doc with the sales floor's rules, short of hands as q3 is: broken numbers and a contact factor
    per channel, a floor on shift time left and a cap on new leads, CRM minutes, sick days, closing calls
    and cooling."""
    doc = small_doc(days)
    doc["channels"][0]["unreachable_share"] = 0.08
    doc["channels"][1].update(unreachable_share=0.12, contact_factor=0.8, leads_per_day=45)
    doc["routing"] = {"policy": "round_robin", "onboarding_days": 5, "min_shift_left": 30,
                      "max_new_per_day": 30}
    doc["team"]["crm_minutes"] = {"attempt": 0.5, "contact": 2, "offer": 4}
    doc["team"]["absence"] = {"sick_share": 0.04}
    doc["funnel"]["closing"] = {"share": 0.5, "delay_days": {"exponential": 1}, "call_minutes": 8,
                                "within_days": 5}
    doc["funnel"]["cooling"] = {"half_life_days": 5, "floor": 0.3}
    return doc


def test_the_benchmarks_floor_short_of_hands_is_this_floor():
    """benchmarks/floor_short_of_hands.yaml (the README's coverage row for this floor) is floor_doc(63)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "floor_short_of_hands.yaml"
    assert yaml.safe_load(path.read_text()) == floor_doc(63)


@pytest.mark.slow
def test_a_calibrated_backtest_on_a_floor_short_of_hands_covers_at_about_its_nominal_rate():
    """The sales floor's rules on (utilisation 80-90%): calibrated on 5 weeks, forecasting the next 4, 8
    departments cover near 80% (77% measured).  Without the fits of
    the floor's rules they would not: with the CRM minutes alone held at 0 in the calibration, these
    departments covered 61%."""
    from simsales.analysis.backtest import backtest

    scenario = parse_scenario(yaml.safe_dump(floor_doc(63)), "<floor 63 days>")
    cover = []
    for seed in range(8):
        run = simulate_events(scenario, "hold", 0, seed=3000 + seed)
        assert run.metrics["utilisation"] > 0.75  # short of hands: the floor's time decides the contacts
        cover.append(backtest(run.export, dt.date(2026, 8, 4), days=28, replications=100, seed=seed).coverage)
    assert 0.65 <= np.mean(cover) <= 0.95, cover
