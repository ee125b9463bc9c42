"""The revenue plan as p_plan measures it (:mod:`simsales.montecarlo.revenue_plan`).

A month-by-month plan that leaves months out is made when the net revenue of the months with a target
reaches the sum of their targets; the whole horizon's net revenue (the old rule) made a plan of a few
months of a long horizon almost surely.  Every output and the optimiser follow the one rule.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace

import numpy as np
import openpyxl
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from simsales.analysis.baselines import exact
from simsales.analysis.compare import compare
from simsales.analysis.optimize import Settings, optimize
from simsales.analysis.optimize_model import ExpectedValueModel, Forecast, calibrate
from simsales.analysis.optimize_select import Arm, Race, Simulator, p_plan_of
from simsales.analysis.verdict import verdict
from simsales.cli import app
from simsales.montecarlo import PLAN_REVENUE, RevenuePlan, run
from simsales.montecarlo.results import with_plan_months
from simsales.montecarlo.revenue_plan import horizon_days_by_month
from simsales.report.first_screen import headline
from simsales.report.html import side_by_side_html
from simsales.report.units import money
from simsales.report.xlsx import write_workbook
from simsales.scenario import HiringPlan
from simsales.scenario.loader import load_scenario, parse_scenario

from .conftest import SMALL

BASE = yaml.safe_load(SMALL.read_text())
START, DAYS = dt.date(2026, 7, 15), 50
"""July 15 to September 2: 17 days of July, all of August, 2 days of September."""
NET = "revenue_net_month"
cli = CliRunner()


def doc_with(plan: object) -> dict:
    """small.yaml over :data:`START` + :data:`DAYS`, 12 replications, with this ``revenue_plan``."""
    doc = copy.deepcopy(BASE)
    doc.update(start=START, horizon_days=DAYS, revenue_plan=plan, replications=12)
    return doc


def parse(doc: dict):
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<test>")


@pytest.fixture(scope="module")
def august(tmp_path_factory):
    """A plan for August alone, at the P50 of the plan 'hold''s August net revenue: (file, target, run)."""
    probe = run(parse(doc_with({"2026-08": 1.0})))
    target = float(np.median(probe.plans["hold"].series[NET][:, 1]))
    file = tmp_path_factory.mktemp("plan") / "august.yaml"
    file.write_text(yaml.safe_dump(doc_with({"2026-08": target}), sort_keys=False))
    return file, target, run(load_scenario(file))  # the same seed: the probe's numbers


# -- the rule ---------------------------------------------------------------------------------


def test_the_targeted_months_revenue_is_set_against_their_targets():
    days = horizon_days_by_month(START, DAYS)
    plan = RevenuePlan(100.0, {"2026-07": 40.0, "2026-09": 60.0}, tuple(days), days)
    assert not plan.whole_horizon and plan.targeted == ["2026-07", "2026-09"]
    monthly = np.array([[10.0, 20.0, 30.0], [50.0, 0.0, 70.0]])  # (replications, Jul Aug Sep)
    assert plan.revenue(np.array([60.0, 120.0]), monthly).tolist() == [40.0, 120.0]
    assert plan.chance(np.array([60.0, 120.0]), monthly) == 0.5  # the horizon's 60 >= 100 was no test
    assert plan.revenue(np.array([60.0, 120.0]), None) is None  # no monthly net revenue: not measured
    assert plan.day_spans() == [(0, 17), (48, 50)]
    assert plan.period() == ("over Jul 2026, Sep 2026 (Jul 2026: only 17 of its 31 days; "
                             "Sep 2026: only 2 of its 30 days)")


def test_one_number_or_every_month_is_the_whole_horizons_net_revenue():
    days = horizon_days_by_month(START, DAYS)
    revenue = np.array([60.0, 120.0])
    for plan in (RevenuePlan(100.0, {}, tuple(days), days),
                 RevenuePlan(100.0, {m: 100.0 / 3 for m in days}, tuple(days), days)):
        assert plan.whole_horizon and plan.period() == "over the horizon"
        assert plan.revenue(revenue, None).tolist() == [60.0, 120.0]
        assert plan.chance(revenue, None) == 0.5
    assert RevenuePlan(0.0).chance(revenue, None) is None


def test_runs_of_months_are_named_once():
    days = horizon_days_by_month(dt.date(2026, 10, 1), 150)  # Oct 2026 to Feb 2027
    plan = RevenuePlan(3.0, {"2026-11": 1.0, "2026-12": 1.0, "2027-01": 1.0}, tuple(days), days)
    assert plan.period() == "over Nov 2026-Jan 2027"
    plan = RevenuePlan(3.0, {"2026-10": 1.0, "2026-11": 1.0, "2027-01": 1.0}, tuple(days), days)
    assert plan.period() == "over Oct-Nov 2026, Jan 2027"


# -- a run ------------------------------------------------------------------------------------


def test_p_plan_is_the_share_of_replications_whose_august_reaches_augusts_target(august):
    _, target, result = august
    assert result.months == ["2026-07", "2026-08", "2026-09"]  # the runner attaches them
    for name, plan in result.plans.items():
        aug = plan.series[NET][:, 1]
        p = result.summary()[name]["p_plan"]
        assert p == float(np.mean(aug >= target))  # by hand, from the monthly net revenue
        assert result.plan_revenue(name).tolist() == aug.tolist()
    hold = result.plans["hold"].metrics["revenue_net"].to_numpy()
    assert result.summary()["hold"]["p_plan"] == pytest.approx(0.5, abs=0.09)  # the target is its P50
    assert float(np.mean(hold >= target)) == 1.0  # the old rule: 50 days' revenue against August's target


def test_a_plan_of_every_month_gives_what_one_number_of_the_same_total_gives(august):
    _, _, result = august
    hold = result.plans["hold"].series[NET]
    months = {m: float(np.median(hold[:, i])) for i, m in enumerate(result.months)}
    total = sum(months.values())
    every = with_plan_months(replace(result, revenue_plan=total), parse(doc_with(months)))
    one = with_plan_months(replace(result, revenue_plan=total), parse(doc_with(total)))
    assert every.revenue_target.whole_horizon and not one.revenue_target.months
    for name, plan in result.plans.items():
        by_hand = float(np.mean(plan.metrics["revenue_net"].to_numpy() >= total))
        assert every.summary()[name]["p_plan"] == one.summary()[name]["p_plan"] == by_hand


def test_run_baseline_and_check_report_the_same_p_plan(august, tmp_path):
    file, target, result = august
    out = cli.invoke(app, ["run", str(file), "--workers", "1", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["p_plan_on"] == ["2026-08"] and doc["revenue_plan_months"] == {"2026-08": target}
    expected = {name: s["p_plan"] for name, s in result.summary().items()}
    assert {name: s["p_plan"] for name, s in doc["plans"].items()} == expected
    table = cli.invoke(app, ["run", str(file), "--workers", "1"])
    assert "net revenue over Aug 2026 >= revenue plan" in " ".join(table.output.split())
    baseline = tmp_path / "august.json"
    made = cli.invoke(app, ["baseline", str(file), "-o", str(baseline), "--workers", "1"])
    assert made.exit_code == 0, made.output
    recorded = json.loads(baseline.read_text())["plans"]
    assert {name: p["summary"]["p_plan"] for name, p in recorded.items()} == {
        name: exact(p) for name, p in expected.items()}  # as a baseline rounds every value
    checked = cli.invoke(app, ["check", str(file), "--baseline", str(baseline), "--workers", "1"])
    assert checked.exit_code == 0, checked.output


def test_the_report_and_workbook_say_what_the_plan_is_measured_on(august, tmp_path):
    file, target, result = august
    scenario = load_scenario(file)
    colors, labels = {"hold": "#000", "grow": "#111"}, {"hold": "hold", "grow": "grow"}
    comparison = compare(result, scenario)
    assert "p_plan: chance net revenue over Aug 2026 ≥" in side_by_side_html(result, "RUB", colors, labels)
    cards = headline(result, comparison, "RUB", colors, labels)
    assert f"chance of making the revenue plan: {money(target)} RUB net over Aug 2026<" in cards
    path = write_workbook(tmp_path / "r.xlsx", result, scenario, comparison, str(file),
                          verdict(result, scenario, comparison))
    summary = openpyxl.load_workbook(path)["summary"]
    cells = {row[0].value: row[1].value for row in summary.iter_rows(max_col=2) if row[0].value}
    assert cells["revenue plan measured on"].startswith("net revenue over Aug 2026")


# -- the optimiser ----------------------------------------------------------------------------


def test_the_optimisers_race_measures_the_plan_as_the_run_does(august):
    file, _, result = august
    scenario = load_scenario(file)
    sim = Simulator(scenario, result.seed, result.engine, 1)
    frames = sim.run(scenario.plans, 0, result.replications)
    race = Race(sim, "p_plan", scenario.revenue_plan)
    for plan in scenario.plans:
        arm = Arm(plan.name, plan, metrics=frames[plan.name])
        assert frames[plan.name][PLAN_REVENUE].tolist() == result.plan_revenue(plan.name).tolist()
        reported = result.summary()[plan.name]["p_plan"]
        assert race.p_plan(arm) == p_plan_of(arm, result.replications, scenario.revenue_plan) == reported


def test_the_optimisers_p_plan_is_the_runs(august):
    file, target, _ = august
    scenario = load_scenario(file)
    outcome = optimize(scenario, Settings(objective="p_plan", workers=1, replications=6, first_round=3,
                                          region=2, top=1, targets=False))
    best = outcome.top[0]
    again = run(scenario.model_copy(update={"plans": [best.plan]}), replications=best.replications,
                seed=outcome.seed)
    august_revenue = again.plans[best.name].series[NET][:, 1]
    assert best.p_plan == again.summary()[best.name]["p_plan"] == float(np.mean(august_revenue >= target))
    assert best.objective["mean"] == pytest.approx(best.p_plan)


def test_the_optimisers_json_says_what_p_plan_is_measured_on(august):
    file, target, _ = august
    out = cli.invoke(app, ["optimize", str(file), "--objective", "p_plan", "-n", "4", "--workers", "1",
                           "--top", "1", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["p_plan_on"] == ["2026-08"] and doc["revenue_plan"] == pytest.approx(target)


def test_the_model_forecasts_the_targeted_months_revenue():
    whole = ExpectedValueModel(parse(doc_with(1e6)))
    july = ExpectedValueModel(parse(doc_with({"2026-07": 1.0})))
    rest = ExpectedValueModel(parse(doc_with({"2026-08": 1.0, "2026-09": 1.0})))
    assert whole.plan_value is None and whole.forecast(HiringPlan(name="hold")).plan_revenue is None
    assert july.plan_value + rest.plan_value == pytest.approx(whole.lead_value)  # every payment once
    hold = july.forecast(HiringPlan(name="hold"))
    assert 0 < hold.plan_revenue < hold.revenue_net and hold.measured == hold.plan_revenue


def test_the_calibration_orders_plans_by_the_revenue_the_plan_is_measured_on():
    f0, f1 = Forecast(100.0, 10.0, 0.0, 0.5, 40.0), Forecast(150.0, 14.0, 3.0, 0.8, 60.0)
    sim0 = {"revenue_net": np.array([90.0, 110.0]), "margin": np.array([40.0, 60.0]),
            "won": np.array([9.0, 11.0]), PLAN_REVENUE: np.array([40.0, 60.0])}
    sim1 = {"revenue_net": np.array([115.0, 135.0]), "margin": np.array([0.0, 0.0]),
            "won": np.array([12.0, 14.0]), PLAN_REVENUE: np.array([45.0, 65.0])}
    cal = calibrate("p_plan", 50.0, 0.1, (f0, sim0), (f1, sim1))
    assert cal.plan_scale == pytest.approx(5 / 20)  # simulated gain 5 in the plan's months, modelled 20
    assert cal.score(f0) == pytest.approx(0.5)  # 50 against 50, not the horizon's 100
    f = Forecast(150.0, 0.0, 0.0, 1.0, 48.0)
    assert cal.score(f) == pytest.approx(stats.norm.cdf((50 + 0.25 * 8 - 50) / 10))
