"""A start from a hand-made CRM export of a dozen leads, where every number can be worked out by hand.

* Which leads are open at the start, at which stage, with which task and owner; what each open deal
  pays and when (fixed delays, chances 1: no draw decides anything the test checks).
* Rows or owners the run cannot use are counted and named on stderr (not dropped in silence).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simsales.cli import app
from simsales.crm.pipeline import open_at
from simsales.crm.read import read_export
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.owners import owner_index
from simsales.world.pipeline import start_from
from simsales.world.roster import build_roster

from .conftest import SMALL

START = dt.date(2026, 7, 15)  # minute 0: 2026-07-15 00:00 UTC

STAFF = """manager_id,team_lead_id,role,hired_at,left_at
A1,tl-anna,manager,2025-01-10,
A2,tl-anna,manager,2025-01-11,
A3,tl-anna,manager,2025-01-12,
A4,tl-anna,manager,2025-01-13,
B1,tl-boris,manager,2026-06-01,
B2,tl-boris,manager,2026-06-02,
X9,tl-boris,manager,2025-01-01,2026-07-01
"""
LEADS = """lead_id,created_at,channel,manager_id,status,loss_reason,nontarget,price
H01,2026-07-14T10:00:00+00:00,ads,A1,open,,,
H02,2026-07-14T12:00:00+00:00,ads,A2,open,,,
H03,2026-07-14T23:50:00+00:00,ads,A3,open,,,
H04,2026-07-14T13:00:00+00:00,social,B1,open,,false,
H05,2026-07-13T09:00:00+00:00,ads,A1,open,,false,50000
H06,2026-07-14T09:00:00+00:00,ads,A2,open,,false,80000
H07,2026-07-11T09:00:00+00:00,ads,B2,open,,false,100000
H08,2026-07-13T09:00:00+00:00,ads,B1,won,,false,100000
H09,2026-07-09T09:00:00+00:00,ads,A1,won,,false,60000
H10,2026-07-14T09:00:00+00:00,ads,A1,lost,no_contact,,
H11,2026-07-15T09:00:00+00:00,ads,A1,open,,,
H12,2026-07-10T09:00:00+00:00,ads,A4,lost,expired,,
H13,2026-07-13T08:00:00+00:00,ads,X9,won,,false,70000
"""
STAGES_CSV = """lead_id,stage,entered_at
H01,assigned,2026-07-14T10:00:00+00:00
H02,in_work,2026-07-14T12:00:00+00:00
H03,in_work,2026-07-14T23:50:00+00:00
H04,contact,2026-07-14T13:00:00+00:00
H04,qualified,2026-07-14T13:10:00+00:00
H05,contact,2026-07-13T09:05:00+00:00
H05,invoice,2026-07-13T10:00:00+00:00
H06,link_sent,2026-07-14T10:00:00+00:00
H07,link_sent,2026-07-11T10:00:00+00:00
H07,link_filled,2026-07-12T10:00:00+00:00
H08,link_filled,2026-07-13T10:00:00+00:00
H08,bank_approved,2026-07-14T10:00:00+00:00
H08,won,2026-07-15T00:00:00+00:00
H09,invoice,2026-07-09T10:00:00+00:00
H09,won,2026-07-10T10:00:00+00:00
H10,lost,2026-07-14T20:00:00+00:00
H12,lost,2026-07-16T09:00:00+00:00
H13,invoice,2026-07-13T09:00:00+00:00
H13,won,2026-07-16T09:00:00+00:00
"""
CALLS = """lead_id,manager_id,started_at,duration_s,answered,kind
H02,A2,2026-07-14T12:00:00+00:00,60,false,call
H02,A2,2026-07-14T12:30:00+00:00,60,false,call
H03,A3,2026-07-14T23:50:00+00:00,60,false,call
H04,B1,2026-07-14T13:00:00+00:00,600,true,call
H05,A1,2026-07-13T09:05:00+00:00,600,true,call
H10,A1,2026-07-14T09:00:00+00:00,60,false,call
H11,A1,2026-07-15T09:00:00+00:00,60,false,call
"""
PAYMENTS = """lead_id,paid_at,amount,kind,refunded_at,refund_amount
H09,2026-07-10T10:00:00+00:00,60000,invoice,,
H08,2026-07-15T00:00:00+00:00,93000,installment,,
H13,2026-07-16T09:00:00+00:00,70000,invoice,,
"""


def write(folder, **changed: str):
    """The hand-made export in ``folder``, with some tables' text replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"staff": STAFF, "leads": LEADS, "stages": STAGES_CSV, "calls": CALLS, "payments": PAYMENTS}
    for name, text in {**tables, **changed}.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def hand_doc() -> dict:
    """small.yaml (anna's 4 managers, boris's 2) from the start, no new leads, every client step certain
    and fixed in time."""
    doc = yaml.safe_load(SMALL.read_text())
    doc.update(start=START.isoformat(), horizon_days=7, plans=[{"name": "hold"}], replications=3)
    doc.pop("revenue_plan")
    for channel in doc["channels"]:
        channel["leads_per_day"] = 0
    doc["funnel"].update(invoice_paid={"p": 1, "delay_days": 3}, link_filled={"p": 1, "delay_days": 1},
                         bank_approved={"p": 1, "delay_days": 4}, refunds={"share": 0, "window_days": 14},
                         offer={"p": 1, "delay_days": 1, "call_minutes": 20})
    return doc


def test_the_open_leads_their_tasks_owners_and_money_are_the_hand_made_exports(tmp_path):
    export = read_export(write(tmp_path / "crm"))
    got = open_at(export, START)
    # Open: created before the start, not won or lost by it (H08's payment at 00:00 is not before it).
    # Closed: H09 (paid), H10 (lost); H11 is created after the start.
    assert dict(zip(got.lead_id, got.stage, strict=True)) == {
        "H12": "assigned", "H07": "link_filled", "H13": "invoice", "H05": "invoice", "H08": "bank_approved",
        "H06": "link_sent", "H01": "assigned", "H02": "in_work", "H04": "qualified", "H03": "in_work"}
    assert got.closed == 2
    scenario = resolve(parse_scenario(yaml.safe_dump(hand_doc()), "<hand>"), np.random.default_rng(0))
    start = start_from(scenario, got, np.random.default_rng(1))
    # H12 is 3 days 15 hours old: past lead_ttl (3 days), over in the model, left out.
    assert list(start.lead_id) == ["H01", "H02", "H04", "H03"] and start.open_leads == 10
    e = start.leads.entry
    # Attempt k = calls before the start, due at max(0, created + offsets[k]); H04's presentation
    # (offer delay fixed 1 day from its qualification 650 minutes before the start) at 1440 - 650.
    np.testing.assert_array_equal(e.attempt, [0, 2, -1, 1])
    np.testing.assert_allclose(e.due, [0.0, 0.0, 790.0, 20.0])
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    index = owner_index(got.staff, roster, scenario)
    # A1, A2, A3 onto anna's managers (roster 0-3), B1 onto boris's (4, 5), each its own (which one
    # within a team goes by the week each worked); X9 left before the start.
    owners = [index[m] for m in start.export_owner]
    assert set(owners[:2] + owners[3:]) <= {0, 1, 2, 3} and owners[2] in (4, 5) and len(set(owners)) == 4
    assert sorted(index) == ["A1", "A2", "A3", "A4", "B1", "B2"]
    d = start.deals  # H07, H13, H05, H08, H06 (by creation)
    # H07: filled 3,720 minutes ago, the bank's fixed 4 days end at 5,760 - 3,720 = 2,040; 100k less 7%.
    # H13, H05: invoices 2,340 and 2,280 minutes ago, fixed 3 days: paid at 1,980 and 2,040.
    # H08: approved before the start, paid at it.  H06: link 840 ago, filled at 600, approved 4 days later.
    np.testing.assert_array_equal(d.installment, [True, False, False, True, True])
    np.testing.assert_allclose(d.paid_at, [2040.0, 1980.0, 2040.0, 0.0, 600.0 + 5760.0])
    np.testing.assert_allclose(d.counted_at, [-3720.0, -2340.0, -2280.0, -2280.0, 600.0])
    np.testing.assert_allclose(d.gross, [93_000.0, 70_000.0, 50_000.0, 93_000.0, 74_400.0])
    assert np.isnan(d.refund_at).all()


runner = CliRunner()


def run(tmp_path, doc: dict, folder, replications: int = 2) -> tuple[int, str, dict | None]:
    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = runner.invoke(app, ["run", str(path), "--pipeline", str(folder), "-n", str(replications),
                                 "--format", "json"])
    assert "Traceback" not in result.output
    said = " ".join(result.stderr.split())  # the console wraps long lines
    plan = json.loads(result.stdout)["plans"]["hold"] if result.exit_code == 0 else None
    return result.exit_code, said, plan


def test_the_run_counts_the_pipeline_and_its_deals_money(tmp_path):
    code, said, plan = run(tmp_path, hand_doc(), write(tmp_path / "crm"))
    assert code == 0, said
    assert plan["pipeline_leads"]["p50"] == 10
    assert "warning" not in said  # every row used, every owner kept
    # The five open deals pay 93k + 70k + 50k + 93k + 74.4k in the week; H06's link filled in it counts.
    assert plan["won"]["p10"] >= 5 and plan["revenue_net"]["p10"] >= 380_400.0 - 1e-6
    assert plan["total_invoices"]["p10"] >= 1


LEAD_H01 = "H01,2026-07-14T10:00:00+00:00,ads,A1,open,,,"
LEAD_H02 = "H02,2026-07-14T12:00:00+00:00,ads,A2,open,,,"


@pytest.mark.parametrize(("change", "says"), [
    ({"leads": LEADS.replace(LEAD_H01, LEAD_H01.replace(",A1,", ",,"))},
     "1 of the 5 open leads before the offer (assigned to qualified) have no owner the run can keep: the "
     "policy routes them at minute 0 as new leads: 1 without a manager_id (leads H01)"),
    ({"leads": LEADS.replace(LEAD_H02, LEAD_H02.replace(",A2,", ",Z7,"))},
     "1 whose manager_id is not in the staff table (leads H02 (Z7))"),
    ({"staff": STAFF.replace("B1,tl-boris,manager,2026-06-01", "B1,tl-boris,manager,2026-07-20")},
     "1 whose owner is not a manager employed on 2026-07-15 (left, hired later, or another role) "
     "(leads H04 (B1))"),
    ({"stages": STAGES_CSV + "H99,invoice,2026-07-14T10:00:00+00:00\n",
      "payments": PAYMENTS + "H99,2026-07-16T10:00:00+00:00,5000,invoice,,\n"},
     "warning: stages.csv: 1 row(s) name a lead not in leads.csv (first: row 20, 'H99'); left out."),
])
def test_rows_and_owners_the_run_cannot_use_are_counted_and_named(tmp_path, change, says):
    code, said, plan = run(tmp_path, hand_doc(), write(tmp_path / "crm", **change))
    assert code == 0 and plan["pipeline_leads"]["p50"] == 10
    assert says in said, said


def test_owners_beyond_the_scenarios_team_are_counted_and_named(tmp_path):
    # The scenario starts with 4 managers (anna's); the export has 6 employed: B1 and B2 have no
    # manager in the run, and B1's qualified lead H04 is routed by the policy.
    doc = hand_doc()
    doc["team"]["managers"] = doc["team"]["managers"][:1]
    doc["team"]["team_leads"] = doc["team"]["team_leads"][:1]
    code, said, _ = run(tmp_path, doc, write(tmp_path / "crm"))
    assert code == 0
    assert ("the export has 6 managers employed on 2026-07-15, the scenario starts with 4: 2 have no "
            "manager in the run (B1, B2), and their 1 open leads before the offer are routed") in said, said


def test_a_payment_before_the_start_may_still_go_back_in_the_rest_of_its_refund_window(tmp_path):
    # H09 paid 60,000 on 07-10 10:00, 6,600 minutes before the start; refunds: all of them, within 14 days.
    # Given it has not gone back by the start, it goes back (s (1 - a/W) / (1 - s a/W) = 1) in the 13,560
    # minutes left of its window; a payment refunded before the start, or older than the window, never.
    doc = hand_doc()
    doc["funnel"]["refunds"] = {"share": 1, "window_days": 14}
    tables = {"leads": LEADS + "H14,2026-06-30T09:00:00+00:00,ads,A1,won,,false,1000\n",
              "payments": PAYMENTS + ("H14,2026-06-30T10:00:00+00:00,1000,invoice,,\n"  # 14 days 14 h old
                                      "H10,2026-07-14T10:00:00+00:00,2000,invoice,2026-07-14T12:00:00+00:00,"
                                      "2000\n")}
    # A run of 7 days counts it as a refund when it lands in the week (7 x 1440 / 13,560 = 74%), never
    # as a payment again: against the export without its payment (H09 is won before the start either way,
    # the same leads are open), 60,000 more refunds in some of 8 replications, the same deals won (its
    # draws come after the open deals').
    with_it = run(tmp_path, doc, write(tmp_path / "with", **tables), replications=8)[2]
    no_h09 = PAYMENTS.replace("H09,2026-07-10T10:00:00+00:00,60000,invoice,,\n", "")
    without = run(tmp_path, doc, write(tmp_path / "without", payments=no_h09), replications=8)[2]
    assert with_it["won"] == without["won"]
    more = (with_it["refunds"]["mean"] - without["refunds"]["mean"]) * 8 / 60_000.0
    assert 1 <= round(more) <= 8 and abs(more - round(more)) < 1e-6, more
    got = open_at(read_export(write(tmp_path / "crm", **tables)), START)
    np.testing.assert_allclose(got.paid_before, [-6600.0, -21000.0])  # H09, H14 (H10's went back)
    scenario = resolve(parse_scenario(yaml.safe_dump(doc), "<hand>"), np.random.default_rng(0))
    at = []
    for seed in range(400):
        d = start_from(scenario, got, np.random.default_rng(seed)).deals
        back = (d.paid_at < 0) & ~np.isnan(d.refund_at)
        np.testing.assert_array_equal(d.gross[back], [60_000.0])
        at.append(d.refund_at[back][0])
    at = np.array(at) / 13_560.0
    assert at.min() >= 0 and at.max() <= 1 and abs(at.mean() - 0.5) < 4 * np.sqrt(1 / 12 / at.size)


def test_refunds_after_the_start_of_payments_before_it_happen_at_the_conditional_rate(tmp_path):
    # A payment 7 days old, refunds 10% within 14 days: still goes back with 0.1 x 0.5 / 0.95.
    doc = hand_doc()
    doc["funnel"]["refunds"] = {"share": 0.1, "window_days": 14}
    scenario = resolve(parse_scenario(yaml.safe_dump(doc), "<hand>"), np.random.default_rng(0))
    n = 40_000
    empty = open_at(read_export(write(tmp_path / "crm")), START)
    paid = dataclasses.replace(empty, paid_before=np.full(n, -7 * 1440.0), paid_amount=np.full(n, 100.0))
    d = start_from(scenario, paid, np.random.default_rng(9)).deals
    back = ~np.isnan(d.refund_at)
    want = 0.1 * 0.5 / 0.95
    assert abs(back.sum() / n - want) < 4 * np.sqrt(want * (1 - want) / n)
    assert d.refund_at[back].max() <= 7 * 1440.0 and abs(d.refund_at[back].mean() / (3.5 * 1440.0) - 1) < 0.05
