"""The warm start (MODEL.md section 1): a warm-up played before start with the starting team, not counted."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import yaml
from scipy import optimize, stats

from simsales.engines import get_engine
from simsales.engines.contract import OFFER, ReplicationCache
from simsales.montecarlo.counted import counted
from simsales.montecarlo.events import play
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import close_factor, lead_stream, plan_world, replicate, stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.absence import with_absence
from simsales.world.arrivals import Leads, generate_leads
from simsales.world.deals import draw_clients, settle
from simsales.world.roster import build_roster
from simsales.world.warmup import (
    MAX_WARMUP_DAYS,
    auto_warmup_days,
    client_path_p90,
    wanted_warmup_days,
    warm_roster,
    warm_world,
)
from simsales.world.world import World
from tests.conftest import SMALL

DAY = 1440.0


def small_doc(**changes) -> dict:
    doc = yaml.safe_load(SMALL.read_text())
    doc.update(changes)
    return doc


def stationary(warmup: object) -> object:
    """small.yaml made stationary and loaded: no growth, no hires, nobody leaving or ramping, 35 days.

    Social brings 120 leads a day, so the six managers are overloaded and a
    backlog builds up: a cold start's first week sees empty queues.
    """
    doc = small_doc(horizon_days=35, warmup_days=warmup, plans=[{"name": "hold"}])
    doc.pop("revenue_plan")
    doc["channels"][0]["growth_per_month"] = 0
    doc["channels"][1]["leads_per_day"] = 120
    doc["team"]["attrition"] = {"monthly": 0, "probation_monthly": 0, "team_lead_monthly": 0}
    doc["team"]["team_leads"][1]["tenure_days"] = 400
    doc["team"]["managers"][1]["tenure_days"] = 300
    return parse_scenario(yaml.safe_dump(doc), "<stationary>")


def weekly(scenario, replication: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per counted week: contact rate (leads of the week), offers made, net revenue (fast engine)."""
    seed = scenario.seed
    resolved = resolve(scenario, stream(seed, replication, "params"))
    leads, warmup = lead_stream(resolved, seed, replication)
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, replication, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    world = plan_world(resolved, leads, scenario.plans[0], seed, replication, warmup)
    out = get_engine("fast")(world, stream(seed, replication, "dynamics"))
    deals = settle(resolved.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                   close_factor(world, out))
    _, series = measure(world, out, deals)
    view = counted(world, out, deals)
    made = view.offer_at[view.offer_at >= 0]
    offers = np.bincount((made // (7 * DAY)).astype(np.int64), minlength=5)[:5].astype(float)
    return series["contact_rate_week"], offers, series["revenue_net_week"]


def first_over_fourth(warmup: object, replications: int = 10) -> np.ndarray:
    """Week 1 / week 4 (week 5 is cut by the horizon's end): contact rate, offers, revenue, pooled."""
    scenario = stationary(warmup)
    rate, offers, revenue = (np.array(x) for x in zip(*[weekly(scenario, r) for r in range(replications)],
                                                       strict=True))
    return np.array([rate[:, 0].mean() / rate[:, 3].mean(), offers[:, 0].sum() / offers[:, 3].sum(),
                     revenue[:, 0].sum() / revenue[:, 3].sum()])


TOLERANCE = np.array([0.05, 0.10, 0.15])
"""How far week 1 may be from week 4: contact rate, offers, net revenue (10 replications pooled)."""


def test_a_warm_starts_first_week_looks_like_its_fourth_and_a_cold_starts_does_not():
    """On a stationary department, the warm start's week 1 is week 4 within noise; the cold start's is not:
    empty queues (more contacts), no offers from the days before, no payments of earlier invoices."""
    warm = first_over_fourth("auto")
    cold = first_over_fourth(0)
    assert (np.abs(warm - 1.0) <= TOLERANCE).all(), warm
    assert (np.abs(cold - 1.0) > TOLERANCE).all(), cold
    assert cold[0] > 1.0 and cold[1] < 1.0 and cold[2] < 1.0


def exact(warmup: int) -> object:
    """Ten managers around the clock, every chance 0 or 1, fixed durations, a warm-up of ``warmup`` days."""
    doc = {
        "name": "exact warm-up", "start": "2026-07-06", "horizon_days": 20, "warmup_days": warmup,
        "calendar": {"default": "00:00-24:00"},
        "channels": [{"name": "c", "leads_per_day": 0}],
        "routing": {"policy": "round_robin", "onboarding_days": 0},
        "touch_chain": {"offsets": ["0m", "30m"], "p_contact": [0.0, 1.0], "dial_minutes": 2,
                        "call_minutes": 10, "lead_ttl": "3d"},
        "funnel": {"qualify": 1.0, "offer": {"p": 1.0, "delay_days": 1, "call_minutes": 20},
                   "installment_share": 0.0, "invoice_paid": {"p": 1.0, "delay_days": 2},
                   "link_filled": {"p": 1.0}, "bank_approved": {"p": 1.0},
                   "refunds": {"share": 0.0, "window_days": 14}, "price": {"check": 50000}},
        "team": {"team_leads": [{"name": "tl"}],
                 "managers": [{"team_lead": "tl", "count": 10, "tenure_days": 1000}],
                 "shifts": [{"name": "all", "pattern": "7/0", "start": "00:00", "hours": 24}],
                 "talk_share": 0.5, "skill": 1.0, "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
        "plans": [{"name": "hold"}],
    }
    return parse_scenario(yaml.safe_dump(doc), "<exact>")


def test_warm_up_leads_are_not_counted_but_their_payments_in_the_horizon_are():
    """A warm-up of 5 days (origin at minute 7200 of the played world).  Each lead: dialled at creation,
    reached 30 min later, qualified 20 min after (talk_share 0.5), invoiced a day and 40 min on, paid 2
    days after the invoice.  A (minute 100) pays in the warm-up: not counted at all.  C (7190, ten
    minutes before start) is reached, invoiced and paid in the horizon: its invoice and payment count,
    it is not a lead of the horizon.  B (7300) is the horizon's one lead."""
    scenario = exact(5)
    created = np.array([100.0, 7190.0, 7300.0])
    leads = Leads(created, np.zeros(3, dtype=np.int64), np.ones(3, dtype=bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = warm_world(scenario, leads, roster, 5, absence_key=0)
    assert world.origin_minutes == 7200.0 and world.scenario.horizon_days == 25
    clients = draw_clients(scenario.funnel, 3, np.random.default_rng(1))
    ev = play(world, clients, np.random.default_rng(2))
    offer = created + 30 + 20 + DAY + 40
    np.testing.assert_allclose(ev.outcomes.offer_time, offer)
    np.testing.assert_allclose(ev.deals.paid_at, offer + 2 * DAY)
    m = ev.metrics
    assert m["warmup_days"] == 5
    assert m["leads"] == 1 and m["contacts"] == 1 and m["contact_rate"] == 1.0 and m["attempts"] == 2
    assert m["sla_p50_min"] == 0.0 and m["untouched_leads"] == 0
    assert m["offers"] == 2 and m["invoices_issued"] == 2 and m["total_invoices"] == 2  # B's and C's
    assert m["won"] == 2 and m["revenue_gross"] == 100_000.0  # B's and C's, not A's
    assert m["c2"] == 2.0  # won / leads: the pipeline of the warm-up pays in the horizon
    assert m["lost_after_qualification"] == 0 and m["pipeline_open"] == 0
    _, series = measure(world, ev.outcomes, ev.deals)
    assert series["leads_week"][0] == 1 and series["leads_week"][1:].sum() == 0
    assert series["revenue_net_week"][0] == 100_000.0  # paid at 1630 and 4400 counted minutes
    assert series["revenue_net_month"].sum() == 100_000.0


@pytest.mark.parametrize("engine", ["des", "fast"])
def test_managers_time_is_counted_from_start_not_over_the_warm_up(engine):
    """Managers' time counts from midnight of ``start`` (minute 7200 here), in both engines.  A (minute
    100) is worked wholly in the warm-up: none of its minutes count.  D (7198) is dialled at once: 2
    minutes of dial at talk_share 0.5 take 4 wall minutes, 7198-7202, of which 2 fall after the origin:
    1 minute of dial and 1 of CRM.  Its contact call (7228-7248: 10 talk, 10 CRM) and presentation
    (8688-8728: 20 talk, 20 CRM) fall in the horizon.  Shift time: 10 managers x 20 days."""
    scenario = exact(5)
    created = np.array([100.0, 7198.0])
    leads = Leads(created, np.zeros(2, dtype=np.int64), np.ones(2, dtype=bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = warm_world(scenario, leads, roster, 5, absence_key=0)
    out = get_engine(engine)(world, np.random.default_rng(2))
    assert out.talk_minutes.sum() == pytest.approx(30.0)
    assert out.dial_minutes.sum() == pytest.approx(1.0)
    assert out.crm_minutes.sum() == pytest.approx(31.0)
    assert out.overtime_minutes.sum() == 0.0
    assert out.busy_minutes.sum() == pytest.approx(2 * (4 + 20 + 40))  # busy counts all that was played
    clients = draw_clients(scenario.funnel, 2, np.random.default_rng(1))
    deals = settle(world.scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                   close_factor(world, out))
    m, _ = measure(world, out, deals)
    shift = 10 * 20 * DAY
    assert m["talk_share_actual"] == pytest.approx(30.0 / shift)
    assert m["dial_share_actual"] == pytest.approx(1.0 / shift)
    assert m["utilisation"] == pytest.approx(62.0 / shift)
    assert m["attempts_per_manager_hour"] == pytest.approx(60.0 / shift)  # D's reaching attempt, at 7228


def test_split_work_counts_the_part_after_the_origin_alike_in_both_engines():
    """A 20-minute call (talk_share 0.5) and 5 CRM minutes from minute 90, the origin at 100, the shift
    ending at 112: 10 minutes of the call fall in the counted shift (5 of talk), 12 minutes in all (7
    of CRM), 3 past the shift's end.  With the origin at 0 the whole call counts.  The compiled split
    gives the same numbers."""
    from simsales.engines.fast.queues import CRM_MIN, OVERTIME_MIN, TALK_MIN
    from simsales.engines.workday import split_work

    from .inner import split_work as compiled_split_work

    assert split_work(90.0, 20.0, 5.0, 112.0, 1000.0, 0.5, 100.0) == pytest.approx((25.0, 5.0, 7.0, 3.0))
    assert split_work(90.0, 20.0, 5.0, 112.0, 1000.0, 0.5, 0.0) == pytest.approx((25.0, 10.0, 12.0, 3.0))
    assert split_work(90.0, 20.0, 5.0, 112.0, 1000.0, 0.5, 200.0)[1:] == (0.0, 0.0, 0.0)
    rng = np.random.default_rng(7)
    for _ in range(200):
        now, call, crm, end, origin = rng.uniform(0, 100), rng.uniform(0, 30), rng.uniform(0, 5), \
            rng.uniform(0, 150), rng.uniform(0, 120)
        mf = np.zeros((1, 16))
        compiled_split_work(0, now, call, crm, end, 130.0, 0.6, True, mf, origin)
        _, spoken, crm_within, overtime = split_work(now, call, crm, end, 130.0, 0.6, origin)
        assert (mf[0, TALK_MIN], mf[0, CRM_MIN], mf[0, OVERTIME_MIN]) == (spoken, crm_within, overtime)


def test_warmup_0_is_the_cold_pipeline_exactly():
    """``warmup_days: 0``: replicate() is the pipeline without a warm-up, number for number."""
    scenario = parse_scenario(yaml.safe_dump(small_doc(warmup_days=0)), "<small, cold>")
    seed, r = scenario.seed, 1
    got = replicate(scenario, scenario.plans, r, seed, "fast")
    resolved = resolve(scenario, stream(seed, r, "params"))
    leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                           stream(seed, r, "arrivals"))
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, r, "deals"), channels=resolved.channels,
                           lead_channel=leads.channel)
    for plan in scenario.plans:
        roster = build_roster(resolved, plan, stream(seed, r, "team"))
        key = int(stream(seed, r, "absence").integers(2**63))
        world = World(resolved, leads, with_absence(roster, resolved, key))
        out = get_engine("fast")(world, stream(seed, r, "dynamics"))
        deals = settle(resolved.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                       close_factor(world, out))
        want, series = measure(world, out, deals)
        assert got[plan.name][0] == want
        for k, v in series.items():
            np.testing.assert_array_equal(got[plan.name][1][k], v, err_msg=k)
    assert got["hold"][0]["warmup_days"] == 0


def test_the_warm_up_roster_is_the_team_on_day_0_on_the_real_calendar():
    """Rotating phases run backward, a holiday in the warm-up closes it, a day-0 hire is not there,
    days away are the same draws on the horizon's days, and the horizon's columns are the cold roster's."""
    doc = small_doc(warmup_days=10)
    doc["calendar"] = {"default": "08:00-22:00", "holidays": ["2026-06-24"]}  # day -7
    doc["team"]["shifts"] = [{"name": "rota", "pattern": "2/2", "start": "09:00", "hours": 11}]
    doc["team"]["absence"] = {"sick_share": 0.1}
    doc["plans"] = [{"name": "day0", "time_to_hire_days": 0, "months": [{"month": "2026-07", "managers": 1}]}]
    scenario = parse_scenario(yaml.safe_dump(doc), "<small, 2/2>")
    resolved = resolve(scenario, stream(1, 0, "params"))
    roster = build_roster(resolved, scenario.plans[0], stream(1, 0, "team"))
    hire = int(np.flatnonzero(roster.join_day == 0)[0])
    warm = warm_roster(roster, resolved, 10)
    works = warm.shift_end > warm.shift_start
    starting = np.flatnonzero((roster.join_day < 0) & ~roster.onboarding[:, 0])  # taking leads on day 0
    assert not works[:, 3].any()  # the holiday, 7 days before start
    # 2 on, 2 off: day d and d + 4 agree, the phase running through start (warm day 10), holiday aside
    days = [d for d in range(20) if 3 not in (d, d + 4)]  # nobody leaves before horizon day 14
    assert (roster.leave_day[starting] > 14).all()
    for m in starting:
        assert all(works[m, d] == works[m, d + 4] for d in days), m
        assert works[m, :8].sum() == 4 - int(works[m, 7])  # 2 on in each 4 days, less day 3 if on
    assert not works[hire, :10].any() and not warm.employed[hire, :10].any()
    assert warm.employed[starting, :10].all()
    np.testing.assert_array_equal(warm.throughput[:, :10], np.repeat(roster.throughput[:, :1], 10, axis=1))
    np.testing.assert_array_equal(warm.shift_start[:, 10:], roster.shift_start + 10 * DAY)
    np.testing.assert_array_equal(warm.shift_end[:, 10:], roster.shift_end + 10 * DAY)
    # Days away: the horizon's days get the same draws as a cold start's.
    world = warm_world(resolved, Leads(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)),
                       roster, 10, absence_key=123)
    cold = with_absence(roster, resolved, 123)
    np.testing.assert_array_equal(world.roster.shift_end[:, 10:], cold.shift_end + 10 * DAY)
    assert world.horizon.roster is not None
    np.testing.assert_array_equal(world.horizon.roster.shift_end, cold.shift_end)
    assert (world.roster.shift_end[starting, :10] == world.roster.shift_start[starting, :10]).sum() > \
        (works[starting, :10] == 0).sum()  # some warm-up shifts are days away


def fixed_path(**funnel) -> object:
    """small.yaml with fixed client delays (days): offer 2, invoice 3, link 1, bank 1.5; ``funnel`` on top."""
    doc = small_doc()
    doc["funnel"].update({"offer": {"p": 0.45, "delay_days": 2}, "invoice_paid": {"p": 0.85, "delay_days": 3},
                          "link_filled": {"p": 0.75, "delay_days": 1},
                          "bank_approved": {"p": 0.85, "delay_days": 1.5}, **funnel})
    return parse_scenario(yaml.safe_dump(doc), "<small>")


def test_auto_is_the_ttl_plus_the_client_path_plus_the_refund_window():
    # lead_ttl 3 days + offer 2 + the longer of invoice 3 and link 1 + bank 1.5 + the refund window 14
    assert auto_warmup_days(fixed_path()) == 3 + 2 + 3 + 14
    slow_link = {"link_filled": {"p": 0.75, "delay_days": 4}}
    assert auto_warmup_days(fixed_path(**slow_link)) == math.ceil(3 + 2 + 5.5 + 14)
    # the installment path only where a client can take it: never by installment, then by installment only
    assert auto_warmup_days(fixed_path(installment_share=0, **slow_link)) == 3 + 2 + 3 + 14
    assert auto_warmup_days(fixed_path(installment_share=1, invoice_paid={"p": 0.8, "delay_days": 9})) == \
        math.ceil(3 + 2 + 2.5 + 14)
    doc = small_doc()
    doc["funnel"]["installment_share"] = 0
    doc["channels"][0]["installment_share"] = {"beta": [2, 2]}  # one channel's clients take links
    doc["funnel"]["link_filled"] = {"p": 0.75, "delay_days": 20}
    assert auto_warmup_days(parse_scenario(yaml.safe_dump(doc), "<small>")) == 30  # and the cap
    # no refunds, no window; a refund share that can be above 0 (uncertain) keeps it
    assert auto_warmup_days(fixed_path(refunds={"share": 0, "window_days": 14})) == 3 + 2 + 3
    rare = {"share": {"beta": [1, 99]}, "window_days": 10}
    assert auto_warmup_days(fixed_path(refunds=rare)) == 3 + 2 + 3 + 10
    # a closing call due later than the client's step holds the payment
    assert auto_warmup_days(fixed_path(closing={"share": 0.5, "delay_days": 6})) == 3 + 2 + 6 + 14
    assert auto_warmup_days(fixed_path(closing={"share": 0, "delay_days": 6})) == 3 + 2 + 3 + 14


def test_past_the_cap_auto_says_what_it_would_have_chosen(tmp_path):
    """The uncapped warm-up, and the warning `simsales` gives when auto stops at its cap short of it."""
    from typer.testing import CliRunner

    from simsales.cli import app
    from simsales.report.assumptions import assumptions

    # lead_ttl 3 + offer 2 + invoice 3 + the refund window 14 = 22: under the cap, the same as auto
    assert wanted_warmup_days(fixed_path()) == auto_warmup_days(fixed_path()) == 22
    # an invoice paid 12 days after the offer: 3 + 2 + 12 + 14 = 31 days wanted, auto stops at 30
    slow = fixed_path(invoice_paid={"p": 0.85, "delay_days": 12}, installment_share=0)
    assert wanted_warmup_days(slow) == 31 and auto_warmup_days(slow) == MAX_WARMUP_DAYS == 30
    # a client path past the cap by itself (its P90 is capped, the wanted warm-up is not)
    slower = fixed_path(invoice_paid={"p": 0.85, "delay_days": 40}, installment_share=0)
    assert client_path_p90(slower) == 30 and wanted_warmup_days(slower) == 3 + 2 + 40 + 14
    runner = CliRunner()
    for name, funnel, warned in (("slow", {"invoice_paid": {"p": 0.85, "delay_days": 12}}, True),
                                 ("fits", {}, False)):
        doc = small_doc(horizon_days=2, replications=1, plans=[{"name": "hold"}])
        doc.pop("revenue_plan")
        doc["funnel"].update({"offer": {"p": 0.45, "delay_days": 2}, "installment_share": 0, **funnel})
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc))
        done = runner.invoke(app, ["validate", str(path)])
        assert done.exit_code == 0, done.output
        said = " ".join(done.stderr.split())
        assert ("warmup_days auto stops at 30 days, and this scenario's clients need" in said) is warned
        scenario = parse_scenario(path.read_text(), str(path))
        horizon = dict(assumptions(scenario))["Horizon"]  # the report's assumptions say it too
        assert ("set warmup_days:" in horizon) is warned
        if warned:
            need = wanted_warmup_days(scenario)
            assert f"need {need} " in said and f"set warmup_days: {need} to count them" in said
            assert f"needs {need} days" in horizon and f"(set warmup_days: {need})" in horizon
        fixed = dict(doc, warmup_days=10)
        path.write_text(yaml.safe_dump(fixed))
        assert "warmup_days auto" not in runner.invoke(app, ["validate", str(path)]).stderr  # set by hand


def test_the_client_path_p90_is_the_sums_quantile():
    # small.yaml: offer exponential(1 day), then invoice exponential(2) or link exponential(1) + bank 1 day.
    # The invoice path is hypoexponential, P(S > t) = 2 exp(-t/2) - exp(-t); the link path 1 + Gamma(2, 1).
    scenario = parse_scenario(yaml.safe_dump(small_doc()), "<small>")
    invoice = optimize.brentq(lambda t: 2 * np.exp(-t / 2) - np.exp(-t) - 0.1, 1, 20)
    link = 1 + stats.gamma.ppf(0.9, 2)
    assert client_path_p90(scenario) == pytest.approx(max(invoice, link), rel=0.03)  # ~1% SE of 20,000 draws
    assert invoice > link + 1  # the longer path wins, by more than the tolerance
    assert auto_warmup_days(scenario) == math.ceil(3 + client_path_p90(scenario) + 14)


def test_auto_is_the_same_for_every_replication_and_the_field_overrides_it():
    scenario = parse_scenario(yaml.safe_dump(small_doc()), "<small>")
    warmups = [replicate(scenario, scenario.plans[:1], 0, rep, "fast")["hold"][0]["warmup_days"]
               for rep in (1, 2)]
    assert warmups == [auto_warmup_days(scenario)] * 2  # the resolved scenarios' auto is the scenario's
    fixed = parse_scenario(yaml.safe_dump(small_doc(warmup_days="2 weeks")), "<small>")
    assert replicate(fixed, fixed.plans[:1], 0, 1, "fast")["hold"][0]["warmup_days"] == 14


@pytest.mark.parametrize("value", ["-1", "400", "soon", "true"])
def test_a_bad_warmup_is_refused_naming_the_field(value):
    from simsales.scenario.loader import InputError

    text = SMALL.read_text() + f"\nwarmup_days: {value}\n"
    with pytest.raises(InputError, match="warmup_days: expected auto, 0 \\(off\\) or a whole number of days"):
        parse_scenario(text, "small.yaml")


def test_the_warm_ups_volume_is_the_growth_run_backward_from_the_volume_at_start():
    """5% a month: a month before start, 1/1.05 of the volume at start; the horizon's days are unchanged;
    at -100% a month (nothing after start) the warm-up keeps the volume at start."""
    from simsales.scenario import Channel
    from simsales.world.arrivals import daily_means
    from simsales.world.calendar import DAYS_PER_MONTH

    start = dt.date(2026, 7, 1)
    grows = Channel(name="ads", leads_per_day=100, growth_per_month=0.05)
    means = daily_means(grows, start, 10, before=31)
    days = np.arange(-31, 10)
    np.testing.assert_allclose(means, 100 * 1.05 ** (days / DAYS_PER_MONTH))
    np.testing.assert_array_equal(means[31:], daily_means(grows, start, 10))
    gone = daily_means(Channel(name="ads", leads_per_day=100, growth_per_month=-1), start, 3, before=2)
    np.testing.assert_array_equal(gone, [100, 100, 100, 0, 0])


def test_a_replication_s_plans_share_the_played_scenario_and_the_engine_draws_once():
    scenario = parse_scenario(yaml.safe_dump(small_doc(warmup_days=5)), "<small>")
    seed, replication = scenario.seed, 0
    resolved = resolve(scenario, stream(seed, replication, "params"))
    leads, warmup = lead_stream(resolved, seed, replication)
    assert warmup == 5 and len(scenario.plans) >= 2
    first, second = (plan_world(resolved, leads, plan, seed, replication, warmup)
                     for plan in scenario.plans[:2])
    assert first.scenario is second.scenario  # one played scenario for the replication's plans
    assert first.scenario.start == scenario.start - dt.timedelta(days=5)
    assert first.scenario.horizon_days == scenario.horizon_days + 5
    cache = ReplicationCache()
    fast = get_engine("fast")
    fast(first, stream(seed, replication, "dynamics"), cache=cache)
    drawn = cache.lead_draws
    again = fast(second, stream(seed, replication, "dynamics"), cache=cache)
    assert cache.lead_draws is drawn  # the second plan reused the first plan's per-lead draws
    fresh = fast(second, stream(seed, replication, "dynamics"))  # and they are the same numbers
    assert np.array_equal(again.end, fresh.end) and np.array_equal(again.manager, fresh.manager)
    other = warm_world(resolved, leads, second.roster, 4, absence_key=0)
    assert other.scenario is not first.scenario and other.scenario.horizon_days == scenario.horizon_days + 4


def roomy(warmup: object, horizon: int = 30, replications: int = 8) -> object:
    """small.yaml, stationary, with room to spare: 20 ramped managers of skill 1, fixed chances."""
    doc = small_doc(horizon_days=horizon, warmup_days=warmup, plans=[{"name": "hold"}],
                    replications=replications)
    doc.pop("revenue_plan")
    doc["channels"][0]["growth_per_month"] = 0
    doc["funnel"]["qualify"] = 0.4
    doc["team"]["skill"] = 1.0
    doc["team"]["attrition"] = {"monthly": 0, "probation_monthly": 0, "team_lead_monthly": 0}
    doc["team"]["team_leads"][1]["tenure_days"] = 400
    doc["team"]["managers"] = [{"team_lead": "anna", "count": 10, "tenure_days": 300},
                               {"team_lead": "boris", "count": 10, "tenure_days": 300}]
    doc["team"]["span_max"] = 12
    return parse_scenario(yaml.safe_dump(doc), "<roomy>")


def test_stage_shares_of_a_warm_start_are_the_models_though_counts_mix_leads_and_dates():
    """Qualified counts the horizon's leads, offers and payments count by date (README, "What is counted"):
    in a steady flow with a warm start each stage's share is the model's chance but for the horizon's
    last day or so (leads not yet reached at the end: about 3% high on 30 days, so a quarter here); a
    cold start's is not (offers still to come for the last days' qualified leads, payments for the
    last offers)."""
    from simsales.montecarlo import run

    f = roomy("auto").funnel
    link = f.installment_share * f.link_filled.p * f.bank_approved.p
    paid = (1 - f.installment_share) * f.invoice_paid.p + link

    def shares(warmup: object, horizon: int) -> tuple[float, float, float, float]:
        """Offers / qualified and won / offers over every replication, and their standard errors.

        The errors are from the spread of the per-replication shares: a day's volume is
        over-dispersed and won and offers count different leads by date, so the shares vary
        more than a binomial count would.
        """
        m = run(roomy(warmup, horizon, replications=32), engine="fast", workers=1).plans["hold"].metrics
        per = (m["offers"] / m["qualified"], m["won"] / m["offers"])
        tot = m.sum()
        return (tot["offers"] / tot["qualified"], tot["won"] / tot["offers"],
                float(per[0].std(ddof=1) / np.sqrt(len(m))), float(per[1].std(ddof=1) / np.sqrt(len(m))))

    offer, won, se_offer, se_won = shares("auto", 91)
    assert abs(offer - f.offer.p) <= 3 * se_offer, (offer, f.offer.p, se_offer)
    assert abs(won - paid) <= 3 * se_won, (won, paid, se_won)
    offer, won, _, se_won = shares("auto", 30)
    cold_offer, cold_won, _, _ = shares(0, 30)
    assert cold_offer < offer and cold_won < won - 3 * se_won, (cold_offer, won, cold_won)


def test_every_per_lead_outcome_counts_the_horizons_leads_alone():
    """The counted view cuts every per-lead array of the outcomes to the horizon's leads, its times from
    ``start``: ``handovers`` was left whole, so the metric counted the warm-up's leads handed over too
    (q3 with 90 days of warm-up: 75,000 leads handed over of 52,700)."""
    doc = small_doc(warmup_days=60, plans=[{"name": "hold"}])
    doc["routing"] = {**doc.get("routing", {}), "handover_after_hours": 1}
    doc["funnel"]["closing"] = {"share": 0.5, "delay_days": 1, "call_minutes": 8, "within_days": 5}
    scenario = parse_scenario(yaml.safe_dump(doc), "<handover>")
    seed = scenario.seed
    resolved = resolve(scenario, stream(seed, 0, "params"))
    leads, warmup = lead_stream(resolved, seed, 0)
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, 0, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    world = plan_world(resolved, leads, scenario.plans[0], seed, 0, warmup)
    out = get_engine("fast")(world, stream(seed, 0, "dynamics"))
    deals = settle(resolved.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                   close_factor(world, out), out.closing_due, out.closing_time)
    view = counted(world, out, deals)
    first = len(world.leads) - len(view.world.leads)
    assert first > 0 and (out.handovers[:first] > 0).any() and (out.closer[:first] >= 0).any()
    for name, played in vars(out).items():
        if len(played) == len(world.leads):
            kept = getattr(view.out, name)
            assert len(kept) == len(view.world.leads), name
            if name in ("closing_due", "closing_time"):
                np.testing.assert_array_equal(kept, played[first:] - world.origin_minutes)
            elif name not in ("first_attempt", "contact", "offer_time"):
                np.testing.assert_array_equal(kept, played[first:], err_msg=name)
    metrics, _ = measure(world, out, deals)
    assert metrics["handovers"] == int((out.handovers[first:] > 0).sum()) <= metrics["leads"]
