"""The metrics recounted from `simsales run --events`'s tables by the README's rules, with pandas alone.

README "Metrics", "Recounting them from --events": a replication's metrics
are what an analyst recomputes from its simulated CRM (the files, read back
with pandas) and the scenario file, by the words of the metric table.  No
simsales metric code is used for the recount; the scenario
(tests/data/recount.yaml) switches on hand-over, cooling, a presentation
limit, closing calls, caps, absence, non-target and unreachable leads,
refunds, installments, probation with a backfill standing by, a team lead
hired and one promoted, and team leads who leave.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.crm.write import write_export
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import load_scenario

SCENARIO = Path(__file__).parent / "data" / "recount.yaml"
DAY = 1440.0
AFTER_QUALIFICATION = ("no_offer", "no_presentation", "invoice_unpaid", "link_not_filled", "bank_declined",
                       "no_closing")
SECOND = 1 / 60  # timestamps are whole seconds: a time agrees to one (minutes)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """Replication 0 of `grow`: the run's metrics and its export, written and read back as files."""
    run = simulate_events(load_scenario(SCENARIO), "grow", 0)
    folder = tmp_path_factory.mktemp("events")
    write_export(run.export, folder)
    tables = {name: pd.read_csv(folder / f"{name}.csv")
              for name in ("leads", "stages", "calls", "staff", "payments", "shifts")}
    return run, recount(tables, yaml.safe_load(SCENARIO.read_text()), "grow")


def clock(hhmm: pd.Series) -> pd.Series:
    return hhmm.str[:2].astype(int) * 60 + hhmm.str[3:].astype(int)


def blocks(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Intervals that meet or overlap merged, as rows ``[start, end)`` sorted by start."""
    merged: list[list[float]] = []
    for a, b in sorted(zip(start, end, strict=True)):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return np.array(merged).reshape(-1, 2)


def recount(t: dict[str, pd.DataFrame], sc: dict, plan_name: str) -> dict[str, float]:
    """Every metric the tables hold, by the README's words (see the module docstring)."""
    start = pd.Timestamp(sc["start"], tz="UTC")
    days = int(sc["horizon_days"])
    horizon = days * DAY

    def minutes(stamps: pd.Series) -> pd.Series:
        return (pd.to_datetime(stamps, utc=True) - start).dt.total_seconds() / 60.0

    def within(x: pd.Series) -> pd.Series:
        return (x >= 0) & (x < horizon)

    m: dict[str, float] = {}
    leads = t["leads"].assign(created=lambda d: minutes(d.created_at))
    ours = leads[within(leads.created)].set_index("lead_id")  # the horizon's leads
    n = m["leads"] = len(ours)
    stages = t["stages"].assign(when=lambda d: minutes(d.entered_at))
    entered = {s: g.set_index("lead_id").when for s, g in stages.groupby("stage")}
    dated = {s: g[within(g.when)] for s, g in stages.groupby("stage")}  # entries in the horizon, any lead

    def of_ours(stage: str) -> pd.Series:
        x = entered.get(stage, pd.Series(dtype=float))
        return x[x.index.isin(ours.index)]

    calls = t["calls"].assign(when=lambda d: minutes(d.started_at),
                              answered=lambda d: d.answered.astype(str).str.lower() == "true")
    calls = calls.sort_values(["lead_id", "when"], kind="stable")
    answered_before = calls.groupby("lead_id").answered.cumsum() - calls.answered
    calls["step"] = np.where(answered_before == 0, "attempt",
                             np.where(answered_before == 1, "presentation", "closing"))
    attempts = calls[calls.step == "attempt"]
    m["attempts"] = int(attempts.lead_id.isin(ours.index).sum())
    m["contacts"] = len(of_ours("contact"))
    m["qualified"] = len(of_ours("qualified"))
    for name, stage in (("invoices_issued", "invoice"), ("links_sent", "link_sent"),
                        ("links_filled", "link_filled"), ("bank_approved", "bank_approved")):
        m[name] = len(dated.get(stage, []))
    m["offers"] = m["invoices_issued"] + m["links_sent"]
    m["total_invoices"] = m["invoices_issued"] + m["links_filled"]
    pay = t["payments"].assign(paid=lambda d: minutes(d.paid_at), back=lambda d: minutes(d.refunded_at))
    paid = pay[within(pay.paid)]
    m["won"] = len(paid)
    m["revenue_gross"] = float(paid.amount.sum())
    m["refunds"] = float(pay[within(pay.back)].refund_amount.sum())
    m["revenue_net"] = m["revenue_gross"] - m["refunds"]
    offered = set(entered.get("invoice", pd.Series(dtype=float)).index) | set(
        entered.get("link_sent", pd.Series(dtype=float)).index)
    m["pipeline_open"] = int((leads.lead_id.isin(offered) & (leads.status == "open")).sum())
    cpl = {c["name"]: c.get("cpl", 0) for c in sc["channels"]}
    m["lead_cost"] = float(sum(cpl[c] * k for c, k in ours.channel.value_counts().items()))
    m["contact_rate"] = m["contacts"] / n
    m["c2"] = m["won"] / n
    m["avg_check"] = float(leads.set_index("lead_id").price.loc[paid.lead_id].mean())
    m["won_by_installment_share"] = float((paid.kind == "installment").mean())
    first = of_ours("in_work")
    wait = first - ours.created.loc[first.index]
    m["sla_p50_min"], m["sla_p90_min"] = (float(x) for x in np.percentile(wait, [50, 90]))
    m["untouched_leads"] = n - len(first)
    lost = ours[ours.status == "lost"]
    why = lost.loss_reason.value_counts()
    m["chains_cut"] = int(((lost.loss_reason == "expired") & lost.index.isin(first.index)).sum())
    m["lost_no_contact"] = int(why.get("no_contact", 0))
    m["lost_nontarget"] = int(why.get("nontarget", 0))
    m["lost_before_qualification"] = int(why.get("not_qualified", 0))
    m["lost_after_qualification"] = int(sum(why.get(r, 0) for r in AFTER_QUALIFICATION))
    m["presentations_lost_wait"] = int(why.get("no_presentation", 0))

    # The team, from staff: on the payroll from hired_at to the day before left_at.
    staff = t["staff"].assign(hired=lambda d: (pd.to_datetime(d.hired_at) - start.tz_localize(None)).dt.days,
                              left=lambda d: (pd.to_datetime(d.left_at) - start.tz_localize(None)).dt.days)
    managers, team_leads = staff[staff.role == "manager"], staff[staff.role == "team_lead"]

    def payroll_days(rows: pd.DataFrame) -> float:
        return float((rows.left.fillna(days).clip(upper=days) - rows.hired.clip(lower=0)).clip(lower=0).sum())

    joined = (managers.hired >= 0) & (managers.hired < days)
    m["hires_made"] = int(joined.sum())
    tl_joined = (team_leads.hired >= 0) & (team_leads.hired < days)
    m["team_lead_hires"] = int((tl_joined & team_leads.manager_id.str.startswith("tl-hire-")).sum())
    promoted = set(team_leads.manager_id[tl_joined].str[3:]) & set(managers.manager_id)
    m["promotions"] = len(promoted)
    m["team_lead_attrition"] = int(team_leads.left.between(0, days - 1).sum())
    m["headcount_end"] = int(((managers.hired < days) & managers.left.isna()).sum())
    gone = managers[managers.left.between(0, days) & ~managers.manager_id.isin(promoted)]
    at_probation = gone.left - gone.hired == sc["team"]["attrition"]["probation_days"]
    m["probation_fired"], m["attrition"] = int(at_probation.sum()), int((~at_probation).sum())
    eco = sc["economics"]
    plan = next(p for p in sc["plans"] if p["name"] == plan_name)
    per_day = 12.0 / 365.25
    manager_days = payroll_days(managers)
    m["payroll"] = (eco["manager_salary_month"] * per_day * manager_days
                    + eco["team_lead_salary_month"] * per_day * payroll_days(team_leads)
                    + (eco["commission_share"] + eco["team_lead_commission_share"]) * m["revenue_net"])
    m["hiring_cost"] = plan.get("cost_per_hire", 0) * (m["hires_made"] + m["team_lead_hires"])
    m["costs"] = m["lead_cost"] + m["payroll"] + m["hiring_cost"]
    m["margin"] = m["revenue_net"] - m["costs"]
    m["revenue_per_manager"] = m["revenue_net"] / (manager_days / days)

    # Managers' time, from shifts (an end before the start: the next day) and the calls.
    shifts = t["shifts"]
    day0 = (pd.to_datetime(shifts.date) - start.tz_localize(None)).dt.days * DAY
    s, e = day0 + clock(shifts.start), day0 + clock(shifts.end)
    shifts = shifts.assign(s=s, e=np.where(e <= s, e + DAY, e))
    m["shift_minutes"] = float((shifts.e.clip(upper=horizon) - shifts.s.clip(lower=0)).clip(lower=0).sum())
    team = sc["team"]
    share, crm = team["talk_share"], team["crm_minutes"]
    extra = {"attempt": crm["attempt"], "closing": crm["attempt"] + crm["contact"]}
    spent = {"talk": 0.0, "dial": 0.0, "crm": 0.0, "overtime": 0.0}
    own = {k: blocks(g.s.to_numpy(), g.e.to_numpy()) for k, g in shifts.groupby("manager_id")}
    for call in calls.itertuples():
        if call.step == "attempt":
            after = extra["attempt"] + (crm["contact"] if call.answered else 0.0)
        elif call.step == "presentation":
            after = crm["offer"] if call.lead_id in offered else 0.0
        else:
            after = extra["closing"]
        b = own[call.manager_id]
        k = np.searchsorted(b[:, 0], call.when + SECOND, side="right") - 1  # the block it was made in
        block_end = b[k, 1]
        talk = call.duration_s / 60.0 / share  # the manager's minutes on it, the overhead included
        begin = max(call.when, 0.0)  # only minutes from start count
        end = min(block_end, horizon)
        inside = max(0.0, min(end - begin, talk + after - (begin - call.when)))
        spoken = max(0.0, min(end - begin, talk - (begin - call.when))) * share
        spent["talk" if call.answered else "dial"] += spoken
        spent["crm"] += inside - spoken
        spent["overtime"] += max(0.0, min(call.when + talk + after, horizon) - max(begin, block_end))
    shift = m["shift_minutes"]
    worked = spent["talk"] + spent["dial"] + spent["crm"]
    m["utilisation"], m["idle_share"] = worked / shift, 1.0 - worked / shift
    for name in ("talk", "dial", "crm"):
        m[f"{name}_share_actual"] = spent[name] / shift
    m["overtime_share"] = spent["overtime"] / shift
    made = int(within(attempts.when).sum())  # attempts made in the horizon, of any lead
    m["attempts_per_manager_hour"] = made / (shift / 60.0)
    # On-shift minutes: those in which at least one shift runs.
    union = blocks(shifts.s.to_numpy(), shifts.e.to_numpy()).clip(max=horizon)
    before = np.concatenate([[0.0], np.cumsum(union[:, 1] - union[:, 0])])

    def on_shift(x: np.ndarray) -> np.ndarray:
        i = np.maximum(np.searchsorted(union[:, 0], x, side="right") - 1, 0)
        return before[i] + np.clip(x - union[i, 0], 0, union[i, 1] - union[i, 0])

    until = pd.Series(horizon, index=ours.index)
    until.loc[first.index] = first
    waits = pd.Series(on_shift(until.to_numpy()) - on_shift(ours.created.to_numpy()), index=ours.index)
    m["sla_work_p50_min"], m["sla_work_p90_min"] = (float(x) for x in np.percentile(waits, [50, 90]))
    m["share_attempted_5min"] = float((waits.loc[first.index] <= 5.0).sum() / n)
    first_day = pd.to_datetime(t["shifts"].date).min()
    m["warmup_days"] = float((start.tz_localize(None) - first_day).days)
    return m


def test_the_scenario_has_what_the_recount_must_get_right(played):
    """Not vacuous: a hire let go before the end, a standby never brought in, a team lead leaving, a
    promotion, offers lost before and after the end, closing calls, refunds and a warm-up (whose leads are
    called in the horizon)."""
    run, _ = played
    r, out, deals = run.world.roster, run.outcomes, run.deals
    horizon = run.world.scenario.horizon_minutes
    assert ((out.fired < horizon) & (r.shift_end > out.fired[:, None]).any(axis=1)).any()
    standby = r.standby_for >= 0
    idle = standby & np.isnan(out.fired[np.maximum(r.standby_for, 0)])
    assert (idle & (r.shift_end > r.shift_start).any(axis=1)).any()
    assert run.metrics["team_lead_attrition"] >= 1 and run.metrics["promotions"] >= 1
    assert (deals.lost_at < horizon).any() and (deals.lost_at >= horizon).any()
    assert (~np.isnan(out.closing_time)).any() and run.metrics["refunds"] > 0
    assert run.metrics["presentations_lost_wait"] > 0 and run.metrics["handovers"] > 0
    assert run.metrics["warmup_days"] > 0
    assert out.attempts_made.sum() > run.metrics["attempts"]  # warm-up leads called in the horizon


EXACT = ("leads", "attempts", "contacts", "qualified", "offers", "invoices_issued", "links_sent",
         "links_filled", "total_invoices", "bank_approved", "won", "pipeline_open", "untouched_leads",
         "chains_cut", "lost_no_contact", "lost_nontarget", "lost_before_qualification",
         "lost_after_qualification", "presentations_lost_wait", "hires_made", "team_lead_hires", "promotions",
         "team_lead_attrition", "headcount_end", "probation_fired", "attrition", "warmup_days")


@pytest.mark.parametrize("metric", EXACT)
def test_a_count_is_the_tables(played, metric):
    run, counted = played
    assert counted[metric] == run.metrics[metric]


MONEY = ("revenue_gross", "refunds", "revenue_net", "lead_cost", "payroll", "hiring_cost", "costs", "margin",
         "revenue_per_manager", "avg_check", "won_by_installment_share", "contact_rate", "c2")


@pytest.mark.parametrize("metric", MONEY)
def test_money_and_shares_are_the_tables(played, metric):
    run, counted = played
    assert counted[metric] == pytest.approx(run.metrics[metric], rel=1e-9)


TIME = ("utilisation", "talk_share_actual", "dial_share_actual", "crm_share_actual", "idle_share",
        "overtime_share", "attempts_per_manager_hour")


@pytest.mark.parametrize("metric", TIME)
def test_managers_time_is_the_shifts_and_calls(played, metric):
    """Within the seconds the timestamps drop (the shift time itself exactly: see the next test)."""
    run, counted = played
    assert counted[metric] == pytest.approx(run.metrics[metric], rel=2e-3)


def test_shift_time_is_the_shifts_table(played):
    run, counted = played
    assert counted["attempts_per_manager_hour"] == pytest.approx(run.metrics["attempts_per_manager_hour"],
                                                                 rel=1e-12)


def test_shifts_are_worked_by_the_team_on_the_staff_list(played):
    """No shift of someone not on the staff list (a standby never brought in) or after their left_at (a
    hire let go): shift time counted them, and this floor's utilisation read 0.485 for 0.547."""
    run, _ = played
    staff = run.export.staff.set_index("manager_id")
    shifts = run.export.shifts
    assert shifts.manager_id.isin(staff.index).all()
    left = pd.to_datetime(staff.left_at.loc[shifts.manager_id].to_numpy())
    assert not (pd.to_datetime(shifts.date).to_numpy() >= left).any()
    assert (staff.left_at.notna() & staff.index.isin(shifts.manager_id)).any()  # someone left, who had shifts


@pytest.mark.parametrize("metric", ("sla_p50_min", "sla_p90_min", "sla_work_p50_min", "sla_work_p90_min"))
def test_waits_are_the_stages_and_shifts_to_the_second(played, metric):
    run, counted = played
    assert counted[metric] == pytest.approx(run.metrics[metric], abs=2 * SECOND)


def test_share_attempted_in_5_minutes_to_the_second(played):
    run, counted = played
    assert abs(counted["share_attempted_5min"] - run.metrics["share_attempted_5min"]) <= 3 / counted["leads"]
