"""`calibrate --base`: the export's fits laid over a scenario the head of sales wrote.

The overlay is checked on hand-made documents first (every kind of field:
fitted, defaulted with and without a base value, not emitted, the people,
the settings, channels by name, plan months), then on a real calibration,
then through both commands end to end.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import yaml
from typer.testing import CliRunner

from simsales.calibrate import calibrate
from simsales.calibrate.base import Base, overlay, read_base
from simsales.cli import app
from simsales.crm.write import write_export
from simsales.report.diagnostics import render
from simsales.scenario import parse_scenario
from simsales.scenario.uncertain import mean_of
from tests.conftest import SMALL

from .calibrate_synth import Truth, synth_export

runner = CliRunner()


def base_doc() -> dict:
    """A base with distinctive values in every kind of field."""
    return {
        "name": "Our plan",
        "start": dt.date(2026, 1, 1),
        "horizon_days": 92,
        "revenue_plan": 7_000_000,
        "replications": 33,
        "seed": 4242,
        "channels": [
            {"name": "gone", "leads_per_day": 5, "cpl": 1},
            {"name": "social", "leads_per_day": 40, "cpl": 555},
            {"name": "ads", "leads_per_day": 999, "cpl": 777, "contact_factor": 0.9,
             "unreachable_share": 0.11},
        ],
        "routing": {"policy": "weighted", "max_new_per_day": 31},
        "touch_chain": {"dial_minutes": 9.9, "nontarget_call_minutes": 2.5},
        "team": {
            "team_leads": [{"name": "old-lead", "tenure_days": 5}],
            "managers": [{"team_lead": "old-lead", "count": 3, "tenure_days": 5}],
            "crm_minutes": {"attempt": 0.7, "contact": 3},
            "absence": {"sick_share": 0.05, "vacation_weeks_per_year": 3},
            "attrition": {"monthly": 0.5, "team_lead_monthly": 0.02},
            "coaching": {"free_load": 4},
        },
        "economics": {"manager_salary_month": 81000},
        "plans": [
            {"name": "hold"},
            {"name": "spring", "months": [{"month": "2026-03", "managers": 2},
                                          {"month": "2026-04", "managers": 3},
                                          {"month": "2026-06", "managers": 4}]},
            {"name": "winter", "months": [{"month": "2026-01", "managers": 5}]},
        ],
        "benchmarks": {"c2": 0.1},
    }


def fitted() -> tuple[dict, dict[str, str], list[str]]:
    """A calibration's document (window ending 2026-03-31), comments and defaults."""
    doc = {
        "name": "Calibrated on 2026-01-01..2026-03-31",
        "start": "2026-04-01",
        "horizon_days": 92,
        "revenue_plan": 0,
        "replications": 200,
        "seed": 0,
        "channels": [
            {"name": "ads", "leads_per_day": 120.0, "cpl": 0.0},
            {"name": "new", "leads_per_day": 15.0, "cpl": 0.0},
            {"name": "social", "leads_per_day": 30.0, "cpl": 0.0},
        ],
        "routing": {"policy": "round_robin", "onboarding_days": 5},
        "touch_chain": {"dial_minutes": 1.2, "decay": {"half_life": 300.0, "floor": 0.4}},
        "team": {
            "team_leads": [{"name": "tl-new", "tenure_days": 400}],
            "managers": [{"team_lead": "tl-new", "count": 7, "tenure_days": 200}],
            "attrition": {"monthly": {"beta": [3, 97]}, "probation_days": 60},
            "absence": {"sick_share": 0.02},
        },
        "economics": {"manager_salary_month": 0},
        "plans": [{"name": "hold"}],
    }
    comments = {
        "start": "the day after the window's end",
        "horizon_days": "a quarter (change at will)",
        "revenue_plan": "default: enter your net revenue target",
        "channels[0].name": "the channel's name in the export",
        "channels[0].leads_per_day": "from 100 leads",
        "channels[0].cpl": "default: no lead costs",
        "channels[1].name": "the channel's name in the export",
        "channels[1].leads_per_day": "from 15 leads",
        "channels[1].cpl": "default: no lead costs",
        "channels[2].name": "the channel's name in the export",
        "channels[2].leads_per_day": "from 30 leads",
        "channels[2].cpl": "default: no lead costs",
        "routing": "default: the export does not say",
        "touch_chain.dial_minutes": "from 50 unanswered attempts",
        "touch_chain.decay": "from 80 attempts",
        "team.team_leads": "from the staff table",
        "team.managers": "from the staff table",
        "team.attrition.monthly": "from 3 exits",
        "team.attrition.probation_days": "default: cannot tell",
        # a field today's calibrate does not fit: a later fit must win all the same
        "team.absence.sick_share": "from 400 shift-days",
        "economics": "default: salaries are not in the export",
        "plans": "one plan: hold",
    }
    defaults = ["revenue_plan", "channels[0].cpl", "channels[1].cpl", "channels[2].cpl", "routing",
                "team.attrition.probation_days", "economics", "touch_chain.priority"]
    return doc, comments, defaults


@pytest.fixture
def laid():
    return overlay(*fitted(), Base(base_doc(), "ours.yaml"))


def test_fitted_fields_replace_the_base_and_say_so(laid):
    doc = laid.document
    assert doc["touch_chain"]["dial_minutes"] == 1.2
    assert doc["touch_chain"]["decay"] == {"half_life": 300.0, "floor": 0.4}  # new in the base: added
    assert doc["team"]["attrition"]["monthly"] == {"beta": [3, 97]}
    assert doc["start"] == "2026-04-01"
    said = laid.comments["touch_chain.dial_minutes"]
    assert said == "from 50 unanswered attempts; replaces ours.yaml's 9.9"
    assert laid.comments["touch_chain.decay"] == "from 80 attempts"  # nothing replaced
    # A field no fit of today's calibrate emits wins the same way, its base siblings kept.
    assert doc["team"]["absence"] == {"sick_share": 0.02, "vacation_weeks_per_year": 3}


def test_defaults_are_the_base_where_it_has_them(laid):
    doc = laid.document
    assert doc["routing"] == {"policy": "weighted", "max_new_per_day": 31}
    assert doc["economics"] == {"manager_salary_month": 81000}
    assert doc["revenue_plan"] == 7_000_000
    assert doc["team"]["attrition"]["probation_days"] == 60  # the base has none: the default
    assert set(laid.kept) == {"revenue_plan", "routing", "economics", "channels[0].cpl", "channels[1].cpl"}
    assert laid.defaults == ["channels[2].cpl", "team.attrition.probation_days", "touch_chain.priority"]
    assert laid.comments["routing"] == "kept from ours.yaml (the export cannot identify it)"
    assert laid.comments["team.attrition.probation_days"] == "default: cannot tell"


def test_fields_calibrate_does_not_emit_are_the_base(laid):
    doc = laid.document
    assert doc["team"]["crm_minutes"] == {"attempt": 0.7, "contact": 3}
    assert doc["team"]["coaching"] == {"free_load": 4}
    assert doc["team"]["attrition"]["team_lead_monthly"] == 0.02
    assert doc["touch_chain"]["nontarget_call_minutes"] == 2.5
    assert doc["benchmarks"] == {"c2": 0.1}
    for path in ("team.crm_minutes", "team.coaching", "team.attrition.team_lead_monthly",
                 "touch_chain.nontarget_call_minutes", "benchmarks", "name", "seed", "replications"):
        assert laid.comments[path].startswith("kept from ours.yaml"), path
    assert (doc["name"], doc["seed"], doc["replications"], doc["horizon_days"]) == ("Our plan", 4242, 33, 92)


def test_the_more_specific_path_wins_either_way():
    """A default inside a fitted section is the base's; a fit inside a defaulted section wins."""
    doc, comments, defaults = fitted()
    comments["team.attrition"] = comments.pop("team.attrition.monthly")  # the whole section fitted
    doc["routing"]["max_new_per_day"] = 12
    comments["routing.max_new_per_day"] = "from 9 days of assignments"  # one field of a defaulted section
    base = base_doc()
    base["team"]["attrition"]["probation_days"] = 45
    laid = overlay(doc, comments, defaults, Base(base, "ours.yaml"))
    assert laid.document["team"]["attrition"] == {"monthly": {"beta": [3, 97]}, "probation_days": 45}
    assert laid.document["routing"] == {"policy": "weighted", "max_new_per_day": 12}
    assert "team.attrition.probation_days" in laid.kept
    assert laid.comments["routing.max_new_per_day"] == "from 9 days of assignments; replaces ours.yaml's 31"
    assert "team.attrition: the fit replaces ours.yaml's whole team.attrition; its team_lead_monthly" in \
        " ".join(laid.warnings)


def test_the_people_are_the_staff_tables(laid):
    team = laid.document["team"]
    assert team["team_leads"] == [{"name": "tl-new", "tenure_days": 400}]
    assert team["managers"] == [{"team_lead": "tl-new", "count": 7, "tenure_days": 200}]


def test_the_people_of_the_base_go_even_where_the_fit_has_none():
    doc, comments, defaults = fitted()
    del doc["team"]["team_leads"], comments["team.team_leads"]
    laid = overlay(doc, comments, defaults, Base(base_doc(), "ours.yaml"))
    assert "team_leads" not in laid.document["team"]


def test_channels_are_matched_by_name(laid):
    # In the base's order (the export's is ads, new, social), the export's new channel last.
    social, ads, new = laid.document["channels"]
    # Each: the export's volume, the base's lead cost and rules of the channel of its name.
    assert ads == {"name": "ads", "leads_per_day": 120.0, "cpl": 777, "contact_factor": 0.9,
                   "unreachable_share": 0.11}
    assert social == {"name": "social", "leads_per_day": 30.0, "cpl": 555}
    assert new == {"name": "new", "leads_per_day": 15.0, "cpl": 0.0}
    assert laid.comments["channels[1].leads_per_day"] == "from 100 leads; replaces ours.yaml's 999"
    assert laid.comments["channels[0].leads_per_day"] == "from 30 leads; replaces ours.yaml's 40"
    assert laid.comments["channels[1].contact_factor"] == "kept from ours.yaml"
    assert laid.comments["channels[2].cpl"] == "default: no lead costs"
    said = " ".join(laid.warnings)
    assert "gone have no lead in the export's window: dropped" in said
    assert "channel new: in the export, not in ours.yaml: added" in said


def test_plan_months_outside_the_new_horizon_are_dropped(laid):
    # The new horizon: 92 days from 2026-04-01, months 2026-04..2026-07.
    plans = {p["name"]: p for p in laid.document["plans"]}
    assert list(plans) == ["hold", "spring"]
    assert plans["spring"]["months"] == [{"month": "2026-04", "managers": 3},
                                         {"month": "2026-06", "managers": 4}]
    said = " ".join(laid.warnings)
    assert "plan spring: months 2026-03 are outside the new horizon 2026-04..2026-07" in said
    assert "plan winter: every month (2026-01) is outside" in said


def test_a_monthly_revenue_plan_keeps_its_months_in_the_horizon():
    base = base_doc() | {"revenue_plan": {"2026-03": 1_000_000, "2026-04": 2_000_000}}
    laid = overlay(*fitted(), Base(base, "ours.yaml"))
    assert laid.document["revenue_plan"] == {"2026-04": 2_000_000}
    base["revenue_plan"] = {"2026-02": 1_000_000}
    laid = overlay(*fitted(), Base(base, "ours.yaml"))
    assert laid.document["revenue_plan"] == 0 and "revenue_plan" in laid.defaults
    assert "revenue_plan" not in laid.kept


def test_no_plan_left_gives_hold():
    base = base_doc()
    base["plans"] = [base["plans"][2]]
    laid = overlay(*fitted(), Base(base, "ours.yaml"))
    assert laid.document["plans"] == [{"name": "hold"}]


def test_a_kept_rule_the_fits_already_hold_is_warned_of():
    doc, comments, defaults = fitted()
    absorbed = {"team.crm_minutes": "the fitted minutes hold it", "funnel.cooling": "offer.p holds it",
                "touch_chain.decay": "p_contact holds it"}
    laid = overlay(doc, comments, defaults, Base(base_doc(), "ours.yaml"), absorbed=absorbed)
    said = [w for w in laid.warnings if "counts them twice" in w]
    # crm_minutes: kept from the base, warned of; cooling: not in the base; decay: fitted, so no double count.
    assert said == ["team.crm_minutes kept from ours.yaml, but the fitted minutes hold it: the rule counts "
                    "them twice (the forecast runs low); drop it from ours.yaml, or fit it"]
    assert laid.document["team"]["crm_minutes"] == {"attempt": 0.7, "contact": 3}  # warned of, still kept


def test_the_bases_open_pipeline_is_not_kept():
    base = base_doc() | {"pipeline": "crm-export/"}
    laid = overlay(*fitted(), Base(base, "ours.yaml"))
    assert "pipeline" not in laid.document
    assert "ours.yaml's pipeline (an export's open pipeline at its own start) is not kept" in laid.warnings[0]


def test_the_overlay_does_not_touch_its_inputs():
    doc, comments, defaults = fitted()
    base = Base(base_doc(), "ours.yaml")
    before = (copy.deepcopy(doc), dict(comments), list(defaults), copy.deepcopy(base.document))
    overlay(doc, comments, defaults, base)
    assert (doc, comments, defaults, base.document) == before


# --- on a real calibration ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    truth = Truth(days=60, levels=(60.0, 25.0), managers=16, new_hires=5)
    return truth, synth_export(truth, 4)


def small_base(tmp_path, **changes) -> tuple[dict, object]:
    """The small test scenario with sales-floor rules, its channels named as the synthetic export's."""
    doc = yaml.safe_load(SMALL.read_text())
    doc["team"]["crm_minutes"] = {"attempt": 0.5, "contact": 2}
    doc["team"]["absence"] = {"sick_share": 0.04}
    doc["routing"] = {"policy": "weighted", "max_new_per_day": 25}
    doc["funnel"]["cooling"] = {"half_life_days": 7, "floor": 0.3}
    doc["plans"][1]["months"] = [{"month": "2026-03", "managers": 2}, {"month": "2026-02", "managers": 1}]
    doc["start"], doc["horizon_days"] = "2026-01-05", 60
    doc.pop("revenue_plan")
    doc |= changes
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return doc, path


def test_a_calibration_on_a_base_validates_and_keeps_its_rules(small, tmp_path):
    _, export = small
    _, path = small_base(tmp_path)
    plain = calibrate(export)
    cal = calibrate(export, base=read_base(path))
    scenario = parse_scenario(cal.yaml(), "fit.yaml")
    assert scenario.team.crm_minutes.attempt == 0.5
    # The export's shifts show the absence (none here): the fit replaces the base's 4%.
    assert mean_of(scenario.team.absence.sick_share) < 0.01 and "replaces base.yaml's 0.04" in cal.comments[
        "team.absence.sick_share"]
    assert scenario.routing.policy == "weighted" and scenario.routing.max_new_per_day == 25
    assert scenario.economics.manager_salary_month == 70000
    assert [c.cpl for c in scenario.channels] == [500, 300]
    assert scenario.horizon_days == 60 and str(scenario.start) == plain.document["start"] == "2026-03-06"
    assert [p.name for p in scenario.plans] == ["hold", "grow"] and len(scenario.plans[1].months) == 1
    # The fitted fields are the plain calibration's, whatever the base said.
    for path in [p for p in plain.comments if p not in plain.defaults and p.split(".")[0] not in
                 ("name", "horizon_days", "plans")]:
        here: object = cal.document
        there: object = plain.document
        for key in re.findall(r"[^.\[\]]+", path):
            key = int(key) if key.isdigit() else key
            here, there = here[key], there[key]
        assert here == there, path
    assert [m.team_lead for m in scenario.team.managers] == [m.team_lead for m in
                                                              parse_scenario(plain.yaml()).team.managers]
    text = cal.yaml()
    assert "Kept from base.yaml (the export cannot identify them): " in text
    # The synthetic export has no CRM pace to fit: each minute is kept from the base, leaf by leaf.
    assert "crm_minutes:\n    # kept from base.yaml (the export cannot identify it)\n    attempt: 0.5" in text
    assert "routing.policy" not in cal.defaults and "routing.policy" in cal.kept
    assert scenario.funnel.cooling.half_life_days == 7  # kept, and said to count the offer's losses twice
    assert any(w.startswith("funnel.cooling kept from base.yaml, but funnel.offer.p is the rate the export "
                            "shows") for w in cal.warnings)
    # The diagnostics report says so too, and counts as fitted what the export fitted only.
    html = render(cal, "export/")
    kept = (f"Kept from base.yaml ({len(cal.kept)}, the export cannot tell them):</b> routing.policy, "
            "economics, ")
    assert kept in html
    fits = [p for p in plain.comments if p not in plain.defaults and p not in ("horizon_days", "plans")]
    assert f"<b>{len(fits)} fields fitted from" in html


# --- the commands -------------------------------------------------------------------------------------


def test_calibrate_base_end_to_end(small, tmp_path):
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    _, path = small_base(tmp_path)
    out = tmp_path / "fit.yaml"
    res = runner.invoke(app, ["calibrate", str(folder), "-o", str(out), "--tz", export.tz,
                              "--base", str(path)])
    assert res.exit_code == 0, res.output
    assert "defaults kept from base.yaml" in res.stdout
    assert "plan grow: months 2026-02 are outside the new horizon" in res.stderr
    scenario = parse_scenario(out.read_text(), str(out))
    assert scenario.team.crm_minutes.contact == 2


def test_a_base_that_does_not_validate_exits_2_with_its_line(small, tmp_path):
    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    _, path = small_base(tmp_path)
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("talk_share:"))
    lines[at] = lines[at].replace("0.6", "1.7")
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "fit.yaml"
    for command in (["calibrate", str(folder), "-o", str(out)],
                    ["backtest", str(folder), "--until", "2026-02-20", "--days", "7"]):
        res = runner.invoke(app, [*command, "--tz", export.tz, "--base", str(path)])
        assert res.exit_code == 2, res.output
        assert f"base.yaml:{at + 1}: team.talk_share: expected a probability" in res.output, res.output
        assert "Traceback" not in res.output
    assert not out.exists()
    res = runner.invoke(app, ["calibrate", str(folder), "-o", str(out),
                              "--base", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "nope.yaml" in res.output and "no such file" in res.output
    assert not out.exists()


def test_base_fields_that_clash_with_the_fits_exit_2_and_write_nothing(small, tmp_path, monkeypatch):
    """A base field valid beside the base's own values but not beside the fits: exit 2, the field named.

    No clash of the schema's today is reachable with the fields calibrate fits (its cross-field checks
    tie fitted fields to each other), so the overlay is made to keep a bad value, as a future fit could.
    """
    import sys

    calibrate_module = sys.modules["simsales.calibrate.calibrate"]  # the package re-exports its function

    _, export = small
    folder = tmp_path / "export"
    write_export(export, folder)
    _, path = small_base(tmp_path)
    real = calibrate_module.on_base

    def clashing(cal, base):
        laid = real(cal, base)
        laid.document["team"]["absence"]["sick_share"] = 2.0
        return laid

    monkeypatch.setattr(calibrate_module, "on_base", clashing)
    out = tmp_path / "fit.yaml"
    res = runner.invoke(app, ["calibrate", str(folder), "-o", str(out), "--tz", export.tz,
                              "--base", str(path)])
    assert res.exit_code == 2, res.output
    assert "base.yaml: team.absence.sick_share" in res.output and "fit.yaml not written" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_the_backtest_forecasts_with_the_base_rules(small, tmp_path):
    from simsales.analysis.backtest import backtest

    _, export = small
    _, path = small_base(tmp_path)
    until = dt.date(2026, 2, 22)
    with_base = backtest(export, until, days=7, replications=4, seed=1, base=read_base(path))
    alone = backtest(export, until, days=7, replications=4, seed=1)
    team = with_base.scenario.team
    assert team.crm_minutes.attempt == 0.5 and mean_of(team.absence.sick_share) < 0.01  # absence: fitted
    assert with_base.scenario.routing.max_new_per_day == 25
    assert alone.scenario.team.crm_minutes.attempt == 0 and alone.scenario.routing.policy == "round_robin"
    # The fitted fields are the same in both: the calibration on the same window.
    assert with_base.scenario.touch_chain.offsets == alone.scenario.touch_chain.offsets
    assert with_base.scenario.channels[0].leads_per_day == alone.scenario.channels[0].leads_per_day
    folder = tmp_path / "export"
    write_export(export, folder)
    res = runner.invoke(app, ["backtest", str(folder), "--until", str(until), "--days", "7", "-n", "4",
                              "--tz", export.tz, "--base", str(path)])
    assert res.exit_code == 0, res.output
    assert "weekly numbers inside the forecast's P10-P90 band" in res.stdout.splitlines()[0]


def test_the_backtest_does_not_pass_on_warnings_about_plans_it_does_not_run(small, tmp_path):
    from simsales.analysis.backtest import backtest

    _, export = small
    _, path = small_base(tmp_path, plans=[{"name": "hold"}, {"name": "grow", "months": [
        {"month": "2026-01", "managers": 1}, {"month": "2026-03", "managers": 2}]}],
        revenue_plan={"2026-01": 1_000_000, "2026-03": 2_000_000})
    until = dt.date(2026, 2, 22)
    said = " ".join(calibrate(export, until=until, base=read_base(path)).warnings)
    assert "plan grow" in said and "revenue_plan" in said  # the calibration's own warnings
    run = backtest(export, until, days=7, replications=2, seed=1, base=read_base(path))
    assert [p.name for p in run.scenario.plans] == ["hold"] and run.scenario.revenue_plan == 0
    assert not [w for w in run.warnings if "plan" in w], run.warnings  # the forecast runs hold, no plan
