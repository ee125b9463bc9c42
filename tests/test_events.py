"""`simsales run --events`: one replication's simulated CRM, checked against the replication itself."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from simsales.cli import app
from simsales.crm.schema import INSTALLMENT_PATH, INVOICE_PATH, STAGES, TABLES
from simsales.montecarlo.events import play, simulate_events
from simsales.montecarlo.replication import replicate
from simsales.scenario.loader import load_scenario, parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.deals import draw_clients
from simsales.world.roster import build_roster
from simsales.world.warmup import auto_warmup_days
from simsales.world.world import World
from tests.conftest import SMALL

ORDER = {s: i for i, s in enumerate(STAGES)}


def small_variant(**changes) -> object:
    """tests/data/small.yaml with top-level sections replaced or updated."""
    doc = yaml.safe_load(SMALL.read_text())
    for key, val in changes.items():
        if isinstance(val, dict) and isinstance(doc.get(key), dict):
            doc[key].update(val)
        else:
            doc[key] = val
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<small variant>")


SCENARIOS = {  # cold starts: the tables hold exactly the counted period (a warm-up: test_a_warm_up_...)
    "small, hires": lambda: (small_variant(warmup_days=0), "grow"),
    # the shared queue (a lead gets its owner when a manager takes it), heavy attrition (hand-overs)
    "shared queue, leavers": lambda: (small_variant(
        routing={"policy": "shared_queue", "onboarding_days": 2},
        team={"attrition": {"monthly": 0.5, "probation_monthly": 0.6}}, warmup_days=0), "grow"),
    # closing calls with a short limit (some never made) and a strong close weight on unequal managers
    "closing, close weight": lambda: (small_variant(
        funnel={"closing": {"share": 0.7, "delay_days": 1, "call_minutes": 8, "within_days": 0.5}},
        team={"skill_weights": {"close": 1.0}, "skill": {"lognormal": {"mean": 1.0, "sd": 0.4}}},
        warmup_days=0), "hold"),
}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def events(request):
    scenario, plan = SCENARIOS[request.param]()
    return scenario, plan, simulate_events(scenario, plan, replication=1)


def test_the_world_is_the_runs_replication(events):
    """Same streams as `simsales run`: replicate() with the reference engine measures the same numbers."""
    scenario, plan, run = events
    the_plan = next(p for p in scenario.plans if p.name == plan)
    ref, _ = replicate(scenario, [the_plan], 1, scenario.seed, "des")[plan]
    assert ref.keys() == run.metrics.keys()
    for key, val in ref.items():
        assert val == run.metrics[key] or (np.isnan(val) and np.isnan(run.metrics[key])), key


def test_counts_in_the_tables_equal_the_replications_outcomes(events):
    _, _, run = events
    e, m = run.export, run.metrics
    stage = e.stages["stage"].value_counts()
    assert len(e.leads) == m["leads"]
    # The telephony's log: every attempt, then each presentation and closing call (answered, after contact).
    log = run.log
    assert len(e.calls) == m["attempts"] + log.present_lead.size + log.close_lead.size
    assert log.call_lead.size == m["attempts"]
    first_answered = e.calls.groupby("lead_id")["answered"].cumsum() - e.calls["answered"] == 0
    assert (e.calls["answered"] & first_answered).sum() == m["contacts"] == stage["contact"]
    offered = stage.get("invoice", 0) + stage.get("link_sent", 0) + stage.get("lost", 0)
    assert log.present_lead.size >= stage.get("invoice", 0) + stage.get("link_sent", 0)
    assert log.present_lead.size <= offered
    assert stage.get("invoice", 0) + stage.get("link_sent", 0) == m["offers"]
    assert stage.get("invoice", 0) + stage.get("link_filled", 0) == m["total_invoices"]
    assert stage.get("bank_approved", 0) == m["bank_approved"]
    assert stage["won"] == len(e.payments) == (e.leads["status"] == "won").sum() == m["won"]
    assert (e.stages["stage"] == "in_work").sum() == m["leads"] - m["untouched_leads"]
    paid, refunds = e.payments["amount"].sum(), e.payments["refund_amount"].sum()
    assert paid == pytest.approx(m["revenue_gross"], rel=1e-12)
    assert paid - refunds == pytest.approx(m["revenue_net"], rel=1e-9, abs=1e-6)
    # Qualified is entered at the end of the contact call: calls running past the horizon
    # (at most one per manager) are qualified in the outcomes but not yet in the CRM.
    answered_end = (e.calls["started_at"] + pd.to_timedelta(e.calls["duration_s"], unit="s"))
    assert 0 <= m["qualified"] - stage["qualified"] <= run.world.roster.n_managers
    assert answered_end.notna().all()


def test_stage_entries_follow_the_funnel_and_never_precede_creation(events):
    _, _, run = events
    e = run.export
    created = e.leads.set_index("lead_id")["created_at"]
    st = e.stages.merge(created.rename("created_at"), left_on="lead_id", right_index=True)
    assert (st["entered_at"] >= st["created_at"]).all()
    assert not e.stages.duplicated(["lead_id", "stage"]).any()
    for lead, group in e.stages.groupby("lead_id", sort=False):
        names = list(group.sort_values(["entered_at"], kind="stable")["stage"])
        times = list(group["entered_at"])
        assert times == sorted(times), lead
        body = [s for s in names if s != "lost"]
        assert names[: len(body)] == body, lead  # lost, if any, comes last
        path = INSTALLMENT_PATH if "link_sent" in body else INVOICE_PATH
        assert body == list(path[: len(body)]) or body == list(path[1: len(body) + 1]), (lead, body)
    calls = e.calls.merge(created.rename("created_at"), left_on="lead_id", right_index=True)
    assert (calls["started_at"] >= calls["created_at"]).all()
    # A lead is called until it answers; its later calls (the presentation, the closing call) are answered
    # and come after it reached the qualified stage.
    later = (calls.groupby("lead_id")["answered"].cumsum() - calls["answered"]) > 0
    assert calls.loc[later, "answered"].all()
    qualified = e.stages[e.stages["stage"] == "qualified"].set_index("lead_id")["entered_at"]
    assert calls.loc[later, "lead_id"].isin(qualified.index).all()
    assert (calls.loc[later, "started_at"].to_numpy()
            >= qualified.loc[calls.loc[later, "lead_id"]].to_numpy()).all()


def test_statuses_reasons_and_staff(events):
    scenario, _, run = events
    e, m = run.export, run.metrics
    leads = e.leads.set_index("lead_id")
    lost = e.stages[e.stages["stage"] == "lost"]["lead_id"]
    assert set(lost) == set(leads.index[leads["status"] == "lost"])
    assert leads.loc[leads["status"] == "lost", "loss_reason"].notna().all()
    assert leads.loc[leads["status"] != "lost", "loss_reason"].isna().all()
    by_reason = leads["loss_reason"].value_counts()
    assert by_reason.get("nontarget", 0) == m["lost_nontarget"]
    assert by_reason.get("no_contact", 0) == m["lost_no_contact"]
    assert by_reason.get("not_qualified", 0) <= m["lost_before_qualification"]
    # non-target is known for reached leads only, as in a CRM
    reached = set(e.stages.loc[e.stages["stage"] == "contact", "lead_id"])
    assert leads["nontarget"].notna().sum() == len(reached)
    assert leads.loc[leads["nontarget"].fillna(False).astype(bool)].index.isin(list(reached)).all()
    staff = e.staff
    managers = staff[staff["role"] == "manager"]
    start = pd.Timestamp(scenario.start)
    assert (managers["hired_at"] >= start).sum() == m["hires_made"]
    assert managers["left_at"].notna().sum() == m["attrition"]
    assert set(e.calls["manager_id"]) <= set(managers["manager_id"])
    assert set(managers["team_lead_id"]) <= set(staff.loc[staff["role"] == "team_lead", "manager_id"])
    for name, table in TABLES.items():
        frame = getattr(e, name)
        assert list(frame.columns[: len(table.names)]) == list(table.names), name


def test_a_warm_up_is_in_the_tables_with_its_true_dates_and_the_metrics_count_from_start():
    """small.yaml's auto warm-up: the leads, calls and payments before start are in the export on their
    dates; those from start on are exactly what the metrics count (payments of warm-up leads included)."""
    scenario = load_scenario(SMALL)
    run = simulate_events(scenario, "grow", replication=1)
    w = run.world.warmup_days
    assert w == auto_warmup_days(scenario) and run.metrics["warmup_days"] == w
    assert w > 14  # lead_ttl, the client path and the refund window: payments and refunds of the warm-up
    e, m = run.export, run.metrics
    start = pd.Timestamp(scenario.start, tz="UTC")
    created = e.leads.set_index("lead_id")["created_at"]
    assert created.min().normalize() == start - pd.Timedelta(days=w)
    new = created[created >= start]
    assert len(new) == m["leads"] and len(created) > len(new)
    contact = e.stages[(e.stages["stage"] == "contact") & e.stages["lead_id"].isin(new.index)]
    assert len(contact) == m["contacts"]
    paid = e.payments[e.payments["paid_at"] >= start]
    assert len(paid) == m["won"]
    assert paid["amount"].sum() == pytest.approx(m["revenue_gross"], rel=1e-12)
    early = paid["lead_id"].map(created) < start  # the pipeline in work on start pays in the horizon
    assert early.sum() > 0
    shifts = e.shifts
    first = scenario.start - dt.timedelta(days=w)
    while first.weekday() >= 5:  # the team works 5/2, Monday to Friday: the first shift is a weekday's
        first += dt.timedelta(days=1)
    assert pd.Timestamp(shifts["date"].min()).date() == first


def exact_world(created: list[float], tenure_days: int = 1000):
    """Ten managers on shift around the clock, every chance 0 or 1, every duration fixed.

    CRM minutes 0.5 after every attempt, 2 more after a contact, 4 after an offer; every offer
    gets a closing call (6 minutes) a day later.
    """
    doc = {
        "name": "exact events", "start": "2026-07-06", "horizon_days": 20,
        "calendar": {"default": "00:00-24:00"},
        "channels": [{"name": "c", "leads_per_day": 0}],
        "routing": {"policy": "round_robin", "onboarding_days": 0},
        "touch_chain": {"offsets": ["0m", "30m"], "p_contact": [0.0, 1.0], "dial_minutes": 2,
                        "call_minutes": 10, "lead_ttl": "3d"},
        "funnel": {"qualify": 1.0, "offer": {"p": 1.0, "delay_days": 1, "call_minutes": 20},
                   "installment_share": 0.0, "invoice_paid": {"p": 1.0, "delay_days": 2},
                   "link_filled": {"p": 1.0}, "bank_approved": {"p": 1.0},
                   "refunds": {"share": 0.0, "window_days": 14}, "price": {"check": 50000},
                   "closing": {"share": 1.0, "delay_days": 1, "call_minutes": 6, "within_days": 5}},
        "team": {"team_leads": [{"name": "tl"}],
                 "managers": [{"team_lead": "tl", "count": 10, "tenure_days": tenure_days}],
                 "shifts": [{"name": "all", "pattern": "7/0", "start": "00:00", "hours": 24}],
                 "talk_share": 0.5, "crm_minutes": {"attempt": 0.5, "contact": 2, "offer": 4},
                 "skill": 1.0, "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
        "plans": [{"name": "hold"}],
    }
    scenario = parse_scenario(yaml.safe_dump(doc), "<exact>")
    n = len(created)
    leads = Leads(np.array(created), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    clients = draw_clients(scenario.funnel, n, np.random.default_rng(1))
    return play(World(scenario, leads, roster), clients, np.random.default_rng(2))


def test_exact_times_with_deterministic_inputs():
    """Dial at creation (2 min), reached at 30 min (10 min), presented a day later (20 min), a closing call
    a day after the offer (6 min), paid 2 days after the offer.

    talk_share 0.5: each call keeps its manager twice its length, then its CRM minutes (0.5 after
    every attempt, 2 more after a contact, 4 after an offer, 2.5 after a closing call as after a
    contact); the next stage is entered when that time is over.  The calls table holds the
    telephony's minutes: the call alone.
    """
    day = 1440.0
    created = [100.5, 2 * day + 7.25, 17 * day + 100.0, 19 * day + 1400.0]
    run = exact_world(created)
    e = run.export
    t0 = pd.Timestamp("2026-07-06", tz="UTC")
    horizon = t0 + pd.Timedelta(days=20)

    def at(minutes: float) -> pd.Timestamp:
        return t0 + pd.Timedelta(seconds=int(np.floor(minutes * 60)))

    for i, c in enumerate(created):
        lead = e.leads["lead_id"][i]
        got = e.stages[e.stages["lead_id"] == lead].set_index("stage")["entered_at"].to_dict()
        contact = c + 30  # the dial took 2 / 0.5 + 0.5 = 4.5 minutes: the next attempt waits for its offset
        qualified = contact + 10 / 0.5 + 0.5 + 2
        present = qualified + day
        offer = present + 20 / 0.5 + 4
        closing = offer + day
        want = {"assigned": at(c), "in_work": at(c), "contact": at(contact), "qualified": at(qualified),
                "invoice": at(offer), "won": at(offer + 2 * day)}
        want = {k: v for k, v in want.items() if v < horizon}
        assert got == want, i
        calls = e.calls[e.calls["lead_id"] == lead]
        starts = [at(x) for x in (c, contact, present, closing) if at(x) < horizon]
        assert list(calls["started_at"]) == starts, i
        # the telephony's durations: the call alone, not talk_share's overhead nor the CRM minutes
        assert list(calls["duration_s"]) == [120.0, 600.0, 1200.0, 360.0][: len(starts)]
        assert list(calls["answered"]) == [False, True, True, True][: len(starts)]
        assert list(calls["manager_id"]) == [f"M{i % 10 + 1:02d}"] * len(starts)
        assert set(calls["kind"]) == {"call"}
    assert [len(e.calls[e.calls["lead_id"] == lead]) for lead in e.leads["lead_id"]] == [4, 4, 4, 2]
    assert list(e.leads["status"]) == ["won", "won", "open", "open"]
    assert list(e.payments["amount"]) == [50000.0, 50000.0]
    assert list(e.leads["price"].iloc[:3]) == [50000.0] * 3  # the third has its invoice, not paid yet
    assert np.isnan(e.leads["price"].iloc[3])
    assert e.staff["hired_at"].iloc[0] == pd.Timestamp(dt.date(2026, 7, 6) - dt.timedelta(days=1000))
    shifts = e.shifts
    assert len(shifts) == 10 * 20 and set(shifts["start"]) == {"00:00"} and set(shifts["end"]) == {"00:00"}


def test_a_manager_in_ramp_talks_slower_and_the_log_shows_it():
    """A first-month manager (ramp 0.4): each call lasts its base minutes / 0.4 on the phone, and keeps
    the manager that over talk_share, then the CRM minutes."""
    run = exact_world([100.5], tenure_days=10)
    speed = run.world.roster.throughput[0, 0]
    assert speed == pytest.approx(0.4)
    calls = run.export.calls
    assert calls["duration_s"].iloc[:2].tolist() == pytest.approx([120 / 0.4, 600 / 0.4])
    contact = 100.5 + 30
    qualified = run.export.stages.set_index("stage")["entered_at"]["qualified"]
    t0 = pd.Timestamp("2026-07-06", tz="UTC")
    want = contact + 10 / 0.4 / 0.5 + 2.5
    assert qualified == t0 + pd.Timedelta(seconds=int(np.floor(want * 60)))


def test_cli_writes_the_export_and_refuses_two_plans(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(SMALL), "--events", str(tmp_path / "ev"), "--replication", "1"])
    assert res.exit_code == 0, res.output
    assert "reference engine" in res.output
    # Each table counted in its rows' noun: "1,234 stage entries, 9 people", never "9 staff" or "1 payments".
    said = " ".join(res.output.split())
    assert re.search(r"\d leads, [\d,]+ stage entries, [\d,]+ calls, \d+ people, [\d,]+ payments?, "
                     r"[\d,]+ shifts; written to", said), said
    for name in ("leads", "stages", "calls", "staff", "payments", "shifts"):
        assert any(p.stem == name for p in (tmp_path / "ev").iterdir()), name
    res = runner.invoke(app, ["run", str(SMALL), "--events", str(tmp_path / "ev2"), "--plan", "hold",
                              "--plan", "grow"])
    assert res.exit_code == 2
    assert "one --plan" in res.output
    assert not (tmp_path / "ev2").exists()


def test_cli_says_the_tables_begin_with_the_warm_up():
    """small.yaml's warm-up (auto) is in the tables: the command said only "N leads", more than the run's
    leads, with nothing to say why; it now says where the counted period begins (and JSON has it)."""
    import json
    import tempfile
    runner = CliRunner()
    w = auto_warmup_days(load_scenario(SMALL))
    with tempfile.TemporaryDirectory() as tmp:
        res = runner.invoke(app, ["run", str(SMALL), "--events", f"{tmp}/ev", "--replication", "1"])
        assert res.exit_code == 0, res.output
        assert f"The tables begin {w} days before 2026-07-01 with the warm-up (played, not counted)" \
            in res.output
        res = runner.invoke(app, ["run", str(SMALL), "--events", f"{tmp}/ev", "--replication", "1",
                                  "--format", "json"])
        doc = json.loads(res.stdout)
        assert doc["warmup_days"] == w and doc["rows"]["leads"] > doc["metrics"]["leads"]
        assert any(note.startswith(f"warm-up: the {w} days") for note in doc["notes"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_then_read_gives_the_same_tables(events, tmp_path, fmt):
    from simsales.crm.read import read_export
    from simsales.crm.write import write_export

    _, _, run = events
    write_export(run.export, tmp_path, format=fmt)
    back = read_export(tmp_path)
    assert back.tz == run.export.tz
    for name, frame in run.export.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name].reset_index(drop=True),
                                      frame.reset_index(drop=True), obj=name)
    assert back.same_as(run.export)


def test_an_offer_is_won_or_lost_never_both_and_a_missed_closing_call_is_its_loss(events):
    """Every unpaid offer is closed by the step that failed with the owner's factor applied, as the deals
    apply it: no lead is both won and lost, and a lead lost as ``no_closing`` had an offer that needed a
    closing call never made (lost at the offer + ``within_days``)."""
    scenario, _, run = events
    e = run.export
    won = set(e.stages.loc[e.stages["stage"] == "won", "lead_id"])
    lost = set(e.stages.loc[e.stages["stage"] == "lost", "lead_id"])
    assert not won & lost
    leads = e.leads.set_index("lead_id")
    missed = leads.index[leads["loss_reason"] == "no_closing"]
    closing = scenario.funnel.closing
    if closing.share == 0:
        assert missed.empty
        return
    assert len(missed) > 0
    ids = np.array([int(x[1:]) for x in missed]) - 1  # lead ids are 1-based
    out, deals = run.outcomes, run.deals
    assert (~np.isnan(out.closing_due[ids]) & np.isnan(out.closing_time[ids])).all()
    lost = e.stages[(e.stages["stage"] == "lost") & e.stages["lead_id"].isin(missed)]
    at = pd.to_datetime(lost.set_index("lead_id")["entered_at"].loc[missed])
    row = np.searchsorted(deals.lead, ids)
    # closed at the closing call's limit, or when the client's last step completed if later
    client_done = np.where(deals.installment[row], deals.approved_at[row],
                           out.offer_time[ids] + run.clients.invoice_delay[ids])
    when = np.fmax(out.offer_time[ids] + closing.within_days * 1440, client_done)
    minutes = ((at - pd.Timestamp(scenario.start, tz=at.dt.tz)).dt.total_seconds() / 60.0).to_numpy()
    assert np.allclose(minutes, when, atol=1.0)


def test_cli_says_why_it_waits_and_how_long_before_a_long_replication(tmp_path, monkeypatch):
    """big.yaml's replication (175,531 leads) took 125 s in silence, on a terminal as in a log."""
    import re

    from simsales.cli import run_events

    monkeypatch.setattr(run_events, "SAY_SECONDS", 0.0)  # small.yaml's replication as if it were long
    res = CliRunner().invoke(app, ["run", str(SMALL), "--events", str(tmp_path / "ev"), "--plan", "hold"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stderr.split())
    assert re.search(r"^note: playing plan hold's replication 0 by the reference engine \(it logs every "
                     r"attempt\): about \d+ s for about [\d,]+ leads, then writing the tables$", said), said
