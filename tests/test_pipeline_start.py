"""A start from the open pipeline of a CRM export (simsales run --pipeline, pipeline:).

* Round trip: a simulated CRM (run --events) cut at a mid-horizon date
  gives exactly the open leads per stage the simulation had then, owners
  kept; a second run started there from that pipeline makes about the
  revenue the first made in the week after the date, and a cold start does not.
* Deals past the offer follow the client's path from their stage: a step
  passed is never drawn again, and a wait already spent counts.
* Bad input: clear errors, exit 2, no traceback.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simsales.analysis.backtest_weeks import actual_weeks, forecast_weeks
from simsales.cli import app
from simsales.crm.pipeline import OpenLeads, open_at
from simsales.crm.read import read_export
from simsales.crm.schema import STAGES
from simsales.crm.write import write_export
from simsales.montecarlo.event_tables import stage_times
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.pipeline import owner_index, start_from
from simsales.world.roster import build_roster

from .conftest import SMALL

CUT = dt.date(2026, 7, 15)  # 14 days into the first run


def first_doc() -> dict:
    """tests/data/small.yaml for 28 days, no leavers, its uncertain numbers fixed (the truth's own)."""
    doc = yaml.safe_load(SMALL.read_text())
    doc.update(horizon_days=28, plans=[{"name": "hold"}])
    doc.pop("revenue_plan")
    doc["channels"][0].update(leads_per_day=60, nontarget_share=0.1)
    doc["funnel"]["qualify"] = 0.4
    doc["team"].update(attrition={"monthly": 0, "probation_monthly": 0}, skill=1.0)
    return doc


def second_doc(**more: object) -> dict:
    """The same department from the cut on, for 7 days: tenures 14 days longer."""
    doc = copy.deepcopy(first_doc())
    doc.update(start=CUT.isoformat(), horizon_days=7, **more)
    for group in doc["team"]["managers"] + doc["team"]["team_leads"]:
        group["tenure_days"] += 14
    return doc


@pytest.fixture(scope="module")
def truths(tmp_path_factory):
    """Eight simulated CRMs of the first run (reference engine), written and read back."""
    scenario = parse_scenario(yaml.safe_dump(first_doc()), "<first>")
    out = []
    for r in range(8):
        run = simulate_events(scenario, replication=r)
        folder = tmp_path_factory.mktemp(f"crm{r}")
        write_export(run.export, folder)
        out.append((run, folder, read_export(folder)))
    return out


def test_the_open_leads_per_stage_at_the_cut_are_the_simulations(truths):
    for run, _, export in truths:
        world = run.world
        cut = world.origin_minutes + 14 * 1440.0  # the cut in the world's minutes
        t, _ = stage_times(world, run.outcomes, run.clients, run.deals, run.log)
        created = world.leads.created
        closed = (t["won"] < cut) | (t["lost"] < cut)
        open_ = (created < cut) & ~closed
        stage = np.full(len(created), "assigned", dtype=object)
        for name in STAGES[:-2]:
            stage = np.where(t[name] < cut, name, stage)
        want = collections.Counter(stage[open_].tolist())
        got = open_at(export, CUT)
        assert got.counts() == {s: want[s] for s in STAGES if want[s]}
        assert sum(want.values()) > 60 and len(want) >= 5  # enough open leads to tell
        # Ages and attempts as the simulation had them (timestamps are whole seconds).
        rows = np.array([int(i[1:]) - 1 for i in got.lead_id])
        np.testing.assert_allclose(got.created, created[rows] - cut, atol=1 / 60)
        assert (got.attempts >= 0).all() and (got.attempts[got.at("assigned")] == 0).all()


def test_owners_are_kept_on_the_same_managers(truths):
    second = parse_scenario(yaml.safe_dump(second_doc()), "<second>")
    roster = build_roster(second, second.plans[0], np.random.default_rng(0))
    for run, _, export in truths:
        got = open_at(export, CUT)
        index = owner_index(got.staff, roster, second)
        # M1..M6 are the six managers by roster index; the export's hire dates order them by tenure.
        assert index == {f"M{i + 1}": i for i in range(6)}
        start = start_from(second, got, np.random.default_rng(1))
        leads = start.for_roster(start.joined(start.leads), roster, second)
        rows = np.array([int(i[1:]) - 1 for i in start.lead_id])  # L0001 is the simulation's lead 0
        # Nobody left: each lead's owner at the cut is its owner at the end, the export's manager_id.
        np.testing.assert_array_equal(leads.entry.owner, run.outcomes.manager[rows])
        assert (leads.entry.owner >= 0).mean() > 0.9


def week_revenue(doc: dict, open_leads: OpenLeads | None, replications: int = 60) -> np.ndarray:
    scenario = parse_scenario(yaml.safe_dump(doc), "<second>")
    return np.array([forecast_weeks(scenario, r, 1, 1, 7, open_leads=open_leads)["revenue_net"][0]
                     for r in range(replications)])


def test_the_first_week_from_the_pipeline_makes_the_runs_revenue_and_a_cold_start_does_not(truths):
    actual, piped, cold = [], [], []
    cold_week = np.median(week_revenue(second_doc(warmup_days=0), None))
    for _, _, export in truths:
        actual.append(actual_weeks(export, [(CUT, CUT + dt.timedelta(days=7))])["revenue_net"][0])
        piped.append(np.median(week_revenue(second_doc(), open_at(export, CUT))))
        cold.append(cold_week)
    actual, piped, cold = map(np.array, (actual, piped, cold))
    # One week is ~30 deals of 60k (a single week's revenue varies by ~20%): over eight departments
    # the forecast's median is within 15% of what happened (the mean of eight weeks has a standard
    # error of about 7%).  The cold start (an empty department
    # on the cut) forecasts well under half of it: it fails the same tolerance.
    assert abs(piped.mean() / actual.mean() - 1) < 0.15, (piped, actual)
    assert cold.mean() / actual.mean() < 0.5, (cold, actual)
    assert not abs(cold.mean() / actual.mean() - 1) < 0.15


def _open(stage: str, n: int, entered: dict[str, float], price: float = 50_000.0,
          call_ages: tuple[float, ...] = (), created: float = -5000.0) -> OpenLeads:
    """``n`` leads at ``stage``, entered each stage at the given minutes (before the start), each called
    at ``call_ages`` (minutes of its age) before the start."""
    times = {s: np.full(n, entered.get(s, np.nan)) for s in STAGES}
    calls = len(call_ages)
    return OpenLeads(start=dt.date(2026, 7, 6), lead_id=np.array([f"L{i}" for i in range(n)], dtype=object),
                     channel=np.full(n, "ads", dtype=object), created=np.full(n, created),
                     stage=np.full(n, stage, dtype=object), entered=times, attempts=np.full(n, calls),
                     call_lead=np.repeat(np.arange(n), calls), call_age=np.tile(np.array(call_ages), n),
                     manager_id=np.full(n, "", dtype=object), nontarget=np.zeros(n, bool),
                     price=np.full(n, price), staff=pd.DataFrame(columns=["manager_id", "team_lead_id",
                                                                          "hired_at"]), closed=0)


def deal_scenario(**funnel: object):
    doc = yaml.safe_load(SMALL.read_text())
    doc["funnel"].update(refunds={"share": 0}, **funnel)
    return resolve(parse_scenario(yaml.safe_dump(doc), "<deals>"), np.random.default_rng(0))


def test_a_link_filled_deal_pays_only_through_the_bank_and_never_fills_again():
    # link_filled's chance is 0: a deal already filled must not draw it again.
    sc = deal_scenario(link_filled={"p": 0.0, "delay_days": 1}, bank_approved={"p": 0.6, "delay_days": 2})
    n = 4000
    deals = start_from(sc, _open("link_filled", n, {"link_sent": -3000.0, "link_filled": -1000.0}),
                       np.random.default_rng(3)).deals
    assert deals.installment.all() and (deals.lead == -1).all()
    assert (deals.counted_at == -1000.0).all()  # filled when the export says, before the start
    paid = ~np.isnan(deals.paid_at)
    # The bank's fixed 2 days began at the filling: approved 2 days after it, 1,880 minutes from now.
    np.testing.assert_allclose(deals.paid_at[paid], 2 * 1440.0 - 1000.0)
    np.testing.assert_array_equal(deals.approved_at[paid], deals.paid_at[paid])
    assert abs(paid.mean() - 0.6) < 3 * np.sqrt(0.6 * 0.4 / n)
    np.testing.assert_allclose(deals.gross, 50_000.0 * (1 - 0.07))  # the export's price, less commission


def test_a_pipeline_deal_that_will_not_pay_is_lost_when_its_step_would_have_completed():
    # pipeline_open counts the offers neither paid nor lost at the end: a declined link is lost when the
    # bank decides (the fixed 2 days from the filling), an unpaid invoice when it would have been paid.
    sc = deal_scenario(link_filled={"p": 0.0, "delay_days": 1}, bank_approved={"p": 0.6, "delay_days": 2})
    deals = start_from(sc, _open("link_filled", 400, {"link_sent": -3000.0, "link_filled": -1000.0}),
                       np.random.default_rng(3)).deals
    paid = ~np.isnan(deals.paid_at)
    assert paid.any() and (~paid).any()
    np.testing.assert_allclose(deals.lost_at[~paid], 2 * 1440.0 - 1000.0)
    assert np.isnan(deals.lost_at[paid]).all()
    sc = deal_scenario(invoice_paid={"p": 0.5, "delay_days": {"exponential": 2}})
    deals = start_from(sc, _open("invoice", 400, {"invoice": -1440.0}), np.random.default_rng(4)).deals
    unpaid = np.isnan(deals.paid_at)
    assert unpaid.any() and (deals.lost_at[unpaid] >= 0).all() and np.isnan(deals.lost_at[~unpaid]).all()


def test_an_invoice_waiting_already_is_paid_less_often_and_a_bank_approved_deal_now():
    # Exponential delay, mean 2 days, p 0.85, 2 days waited: P(paid later) = p S / (1 - p + p S), S = e^-1.
    sc = deal_scenario(invoice_paid={"p": 0.85, "delay_days": {"exponential": 2}})
    n = 20_000
    deals = start_from(sc, _open("invoice", n, {"invoice": -2 * 1440.0}), np.random.default_rng(4)).deals
    s = np.exp(-1.0)
    want = 0.85 * s / (0.15 + 0.85 * s)
    paid = ~np.isnan(deals.paid_at)
    assert abs(paid.mean() - want) < 4 * np.sqrt(want * (1 - want) / n)
    assert (~deals.installment).all() and (deals.counted_at == -2 * 1440.0).all()
    # Memoryless: the rest of the delay is again exponential with mean 2 days.
    assert abs(deals.paid_at[paid].mean() / 1440.0 - 2.0) < 0.1
    approved = start_from(sc, _open("bank_approved", 50, {"link_filled": -900.0, "bank_approved": -10.0}),
                          np.random.default_rng(5)).deals
    assert (approved.paid_at == 0.0).all() and (approved.approved_at == -10.0).all()


runner = CliRunner()


def write_second(tmp_path, **more: object):
    path = tmp_path / "second.yaml"
    path.write_text(yaml.safe_dump(second_doc(**more)))
    return path


def test_cli_run_from_a_pipeline_folder_and_from_the_scenario_field(truths, tmp_path):
    folder = truths[0][1]
    path = write_second(tmp_path)
    flag = runner.invoke(app, ["run", str(path), "--pipeline", str(folder), "-n", "3", "--format", "json"])
    assert flag.exit_code == 0, flag.output
    field = folder.parent / "field.yaml"  # pipeline: a folder relative to the scenario file
    field.write_text(yaml.safe_dump(second_doc(pipeline=folder.name)))
    by_field = runner.invoke(app, ["run", str(field), "-n", "3", "--format", "json"])
    assert by_field.exit_code == 0, by_field.output
    assert "pipeline at 2026-07-15" in by_field.stderr
    first = json.loads(flag.stdout)["plans"]["hold"]
    assert first["pipeline_leads"]["p50"] == len(open_at(truths[0][2], CUT)) > 0
    assert json.loads(by_field.stdout)["plans"]["hold"]["revenue_net"] == first["revenue_net"]


@pytest.mark.parametrize(("setup", "says"), [
    ("not_export", "leads"),
    ("after_end", "after the export's data end"),
    ("warmup", "choose one"),
    ("preset_alone", "--preset and --mapping go with --pipeline"),
])
def test_bad_pipeline_input_is_refused_with_exit_2(truths, tmp_path, setup, says):
    folder = truths[0][1]
    args = ["run", str(write_second(tmp_path)), "-n", "2", "--pipeline", str(folder)]
    if setup == "not_export":
        (tmp_path / "empty").mkdir()
        args[-1] = str(tmp_path / "empty")
    elif setup == "after_end":
        late = tmp_path / "late.yaml"
        late.write_text(yaml.safe_dump({**second_doc(), "start": "2026-09-01"}))
        args[1] = str(late)
    elif setup == "warmup":
        args[1] = str(write_second(tmp_path, warmup_days=5))
    else:
        args[-2:] = ["--preset", "amocrm"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_scenario_field_with_warmup_days_is_refused_on_its_line(truths, tmp_path):
    path = write_second(tmp_path, pipeline=str(truths[0][1]), warmup_days=3)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "choose one" in result.output and "pipeline" in result.output


def test_no_open_lead_at_the_start_is_a_warning_and_a_cold_start(truths, tmp_path):
    early = tmp_path / "early.yaml"
    early.write_text(yaml.safe_dump({**second_doc(), "start": "2026-06-01"}))  # before any lead
    result = runner.invoke(app, ["run", str(early), "--pipeline", str(truths[0][1]), "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr and "no lead of the export is open" in result.stderr


def test_a_lead_whose_attempts_failed_is_more_likely_unreachable():
    # Unreachable share 0.3, non-target 0.1; two calls at age 0 failed (chances 0.6 and 0.4, no decay
    # at age 0): reachable with 0.7 x 0.24 / (0.3 + 0.7 x 0.24) = 0.359; target among those 6/7.
    doc = yaml.safe_load(SMALL.read_text())
    doc["channels"][0].update(unreachable_share=0.3, nontarget_share=0.1)
    sc = resolve(parse_scenario(yaml.safe_dump(doc), "<reach>"), np.random.default_rng(0))
    n = 20_000
    leads = start_from(sc, _open("in_work", n, {"in_work": -100.0}, call_ages=(0.0, 0.0), created=-100.0),
                       np.random.default_rng(6)).leads
    want = 0.7 * 0.24 / (0.3 + 0.7 * 0.24)
    reachable = leads.reachable_mask()
    assert abs(reachable.mean() - want) < 4 * np.sqrt(want * (1 - want) / n)
    assert abs(leads.target.mean() - want * 6 / 7) < 4 * np.sqrt(want / n)
    assert not (leads.target & ~reachable).any()
    assert (leads.entry.attempt == 2).all()
    fresh = start_from(sc, _open("assigned", n, {}, created=-100.0), np.random.default_rng(6)).leads
    assert abs(fresh.reachable_mask().mean() - 0.7) < 0.02  # not called yet: the channel's share


def test_open_leads_of_a_channel_the_scenario_does_not_have_are_named_in_a_warning(truths, tmp_path):
    doc = second_doc()
    renamed = doc["channels"][-1]["name"]
    doc["channels"][-1]["name"] = "renamed_in_the_scenario"
    path = tmp_path / "renamed.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["run", str(path), "--pipeline", str(truths[0][1]), "-n", "2"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())  # the console wraps long lines
    assert "warning" in said and f"channels the scenario does not have ({renamed})" in said
    known = write_second(tmp_path)
    same = runner.invoke(app, ["run", str(known), "--pipeline", str(truths[0][1]), "-n", "2"])
    assert "does not have" not in same.stderr


def test_an_owner_goes_to_the_manager_whose_week_is_most_like_theirs():
    # Two managers of one team, same tenure: roster manager 0 works days 0 and 2 (off on day 1), manager
    # 1 all three days.  In the export, A (hired first) worked on the weekdays of days 0 and 2 only
    # (the 7th and 5th day before the start), B on all three.  By tenure A would go to manager 0 anyway;
    # with A's and B's weeks swapped it must go to manager 1: the owner who works tomorrow gets the
    # manager who works tomorrow.  Without any calls (no ``worked``), tenure decides.
    from .test_handover import two_managers

    world = two_managers(1.0)
    roster, scenario = world.roster, world.scenario
    week = lambda *days: tuple(d in days for d in range(7))  # noqa: E731
    staff = pd.DataFrame({"manager_id": ["A", "B"], "team_lead_id": ["tl-tl", "tl-tl"],
                          "hired_at": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    assert owner_index(staff.assign(worked=[week(0, 2), week(0, 1, 2)]), roster, scenario) == {"A": 0, "B": 1}
    assert owner_index(staff.assign(worked=[week(0, 1, 2), week(0, 2)]), roster, scenario) == {"A": 1, "B": 0}
    assert owner_index(staff, roster, scenario) == {"A": 0, "B": 1}
