"""simsales' numbers against textbook results, through the user's interface.

Each scenario is YAML written from the README alone: the fields a user sets
to express the textbook case, every other field at its default (the warm-up
``auto``, the default calendar, shifts and hour profile unless the case
needs them otherwise). It runs as ``simsales run FILE --format json --out DIR
--engine E``, and the per-replication CSV is held against the formula: the
oracles are queueing theory and the funnel's arithmetic, not simsales' code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.linalg import expm
from typer.testing import CliRunner

from simsales.cli import app

from .conftest import Q3
from .test_queueing import erlang_a, erlang_c

runner = CliRunner()


def run(tmp_path: Path, text: str, *, engine: str = "fast", replications: int,
        plan: str = "hold", extra: tuple[str, ...] = ()) -> tuple[dict, pd.DataFrame]:
    """``simsales run`` on a scenario's text: (the JSON document, the per-replication CSV)."""
    (path := tmp_path / "scenario.yaml").write_text(text)
    out = tmp_path / f"out_{engine}"
    result = runner.invoke(app, ["run", str(path), "--format", "json", "--engine", engine, "--workers", "1",
                                 "-n", str(replications), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), pd.read_csv(out / f"replications_{plan}.csv", index_col=0)


def mean_se(x: pd.Series | np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))


def assert_near(x: pd.Series | np.ndarray, expected: float, name: str, n_se: float = 4.0) -> float:
    """The mean over replications within ``n_se`` standard errors of ``expected``; returns the SE."""
    mean, se = mean_se(x)
    assert abs(mean - expected) <= n_se * se + 1e-12, f"{name}: {mean:.5g} ± {se:.2g}, theory {expected:.5g}"
    return se


# -- queues -----------------------------------------------------------------------------------------

QUEUE = """
name: queue
start: 2026-01-05
horizon_days: {days}
seed: {seed}
calendar: {{default: "00:00-24:00"}}          # open around the clock
channels:
  - {{name: poisson, leads_per_day: {per_day}, hour_profile: flat}}   # Poisson arrivals
routing: {{policy: shared_queue}}             # one queue, the first free manager
touch_chain:
  offsets: [0]
  p_contact: 1
  {decay}
  dial_minutes: 0
  call_minutes: {{exponential: {call}}}
funnel: {{qualify: 0, offer: {{p: 0.5}}, invoice_paid: {{p: 0.8}}, link_filled: {{p: 0.7}},
         bank_approved: {{p: 0.9}}, price: {{check: 50000}}}}
team:
  team_leads: [{{name: tl}}]
  managers: [{{team_lead: tl, count: {c}}}]
  shifts: [{{name: always, pattern: "7/0", start: "00:00", hours: 24}}]
  talk_share: {talk_share}
  {crm}
plans: [{{name: hold}}]
"""


def queue_text(*, c: int, lam: float, call: float, talk_share: float = 1.0, days: int = 28, seed: int = 1,
               patience: float | None = None, crm: str = "", p_contact: float = 1.0) -> str:
    decay = "" if patience is None else f"decay: {{half_life: {patience * math.log(2)!r}}}"
    text = QUEUE.format(days=days, seed=seed, per_day=lam * 1440, decay=decay, call=call, c=c,
                        talk_share=talk_share, crm=crm)
    return text.replace("p_contact: 1\n", f"p_contact: {p_contact}\n")


def erlang_c_quantile(c: int, lam: float, service: float, p: float) -> float:
    """The p-quantile of M/M/c's wait: P(W > t) = C exp(-(c/service - lam) t)."""
    wait = erlang_c(c, lam * service)
    return max(0.0, math.log(wait / (1 - p)) / (c / service - lam))


@pytest.mark.parametrize("engine", ["fast", pytest.param("des", marks=pytest.mark.slow)])
def test_mmc_waits_and_time_split_against_erlang_c(tmp_path, engine):
    # Calls of 8 min over talk_share 0.8: 10 minutes of a manager each, exponential; load 0.8.
    c, lam, call, share = 5, 0.4, 8.0, 0.8
    service = call / share
    fast = engine == "fast"
    _, m = run(tmp_path, queue_text(c=c, lam=lam, call=call, talk_share=share, days=28 if fast else 14),
               engine=engine, replications=40 if fast else 8)
    wait_c, rate = erlang_c(c, lam * service), c / service - lam
    assert_near(m.share_attempted_5min, 1 - wait_c * math.exp(-5 * rate), "share_attempted_5min")
    for q in (50, 90):
        expected = erlang_c_quantile(c, lam, service, q / 100)
        assert_near(m[f"sla_p{q}_min"], expected, f"sla_p{q}_min")
        assert_near(m[f"sla_work_p{q}_min"], expected, f"sla_work_p{q}_min")  # the floor never closes
    se = assert_near(m.utilisation, lam * service / c, "utilisation (Little)")
    assert_near(m.talk_share_actual, lam * call / c, "talk_share_actual")
    assert_near(m.crm_share_actual, lam * (service - call) / c, "crm_share_actual (the talk_share overhead)")
    np.testing.assert_array_equal(m.contacts, m.attempts)  # contact chance 1
    assert (m.untouched_leads < 0.002 * m.leads).all()  # only the queue at the horizon's end waits
    assert se < 0.01  # power: a utilisation 2 points off would show
    assert mean_se(m.sla_p90_min)[1] < 0.08 * erlang_c_quantile(c, lam, service, 0.9)


def test_utilisation_with_crm_minutes_and_dials_is_littles_law(tmp_path):
    # M/G/c: lognormal calls, dials of unanswered attempts, CRM minutes; busy share = lam E[work] / c.
    c, lam, call, share, p = 6, 0.3, 9.0, 0.75, 0.7
    text = queue_text(c=c, lam=lam, call=call, talk_share=share, p_contact=p,
                      crm="crm_minutes: {attempt: 1, contact: 2}", days=28)
    text = text.replace(f"{{exponential: {call}}}", f"{{lognormal: {{mean: {call}, sd: 4}}}}")
    text = text.replace("dial_minutes: 0", "dial_minutes: 1.5")
    _, m = run(tmp_path, text, replications=20)
    talk, dial = p * call, (1 - p) * 1.5
    work = (talk + dial) / share + 1 + p * 2  # every attempt's CRM minute, every contact's two more
    assert_near(m.utilisation + m.overtime_share, lam * work / c, "utilisation")
    assert_near(m.talk_share_actual, lam * talk / c, "talk_share_actual")
    assert_near(m.dial_share_actual, lam * dial / c, "dial_share_actual")
    assert_near(m.crm_share_actual, lam * (work - talk - dial) / c, "crm_share_actual")
    assert_near(m.attempts_per_manager_hour, lam * 60 / c, "attempts_per_manager_hour")
    assert_near(m.contact_rate, p, "contact_rate")
    np.testing.assert_allclose(m.idle_share, 1 - m.utilisation, atol=1e-9)


def offered_wait_cdf(c: int, lam: float, mu: float, theta: float, t: float, n_max: int = 200) -> float:
    """P(V <= t) in M/M/c+M, V the offered wait (the wait of a lead with endless patience).

    An arrival finds n patient leads (PASTA, the birth-death chain); with j = n - c >= 0 ahead in
    the queue it needs j + 1 moves, each at rate c mu + k theta with k still ahead.
    """
    log_p = [0.0]
    for n in range(1, n_max):
        log_p.append(log_p[-1] + math.log(lam / (min(n, c) * mu + max(0, n - c) * theta)))
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    ahead = n_max - c
    q = np.zeros((ahead + 1, ahead + 1))  # states: k ahead; the last one: reached a manager
    for k in range(ahead):
        q[k, k] = -(c * mu + k * theta)
        q[k, k - 1 if k else ahead] = c * mu + k * theta
    reached = expm(q * t)[:ahead, ahead]
    return float(p[:c].sum() + (p[c:] * reached).sum())


@pytest.mark.parametrize("engine", ["fast", pytest.param("des", marks=pytest.mark.slow)])
def test_mmc_plus_m_against_erlang_a(tmp_path, engine):
    # Exponential patience of 10 min written as the README's contact decay: half-life 10 ln 2, floor 0.
    c, lam, call, patience = 5, 0.5, 10.0, 10.0
    fast = engine == "fast"
    text = queue_text(c=c, lam=lam, call=call, patience=patience, days=21 if fast else 12, seed=4)
    _, m = run(tmp_path, text, engine=engine, replications=30 if fast else 6)
    _, abandon = erlang_a(c, lam, 1 / call, 1 / patience)
    se = assert_near(m.contact_rate, 1 - abandon, "contact_rate")
    assert_near(m.utilisation, lam * (1 - abandon) * call / c, "utilisation")
    # A lead that gave up is still called when its turn comes (and not reached): the time to the first
    # attempt is the offered wait V.
    assert_near(m.share_attempted_5min, offered_wait_cdf(c, lam, 1 / call, 1 / patience, 5.0),
                "share_attempted_5min")
    assert se < 0.004  # power: a contact rate 1.5 points off would show


def test_the_offered_wait_oracle_is_erlang_c_without_abandonment():
    # A check on the oracle itself: with patience -> infinity, P(V <= t) = 1 - C exp(-(c mu - lam) t).
    wait = erlang_c(5, 4.0)
    assert offered_wait_cdf(5, 0.4, 0.1, 1e-12, 5.0) == pytest.approx(1 - wait * math.exp(-0.5), rel=1e-6)


# -- the funnel -------------------------------------------------------------------------------------

FUNNEL = """
name: funnel
start: 2026-01-05
horizon_days: 28
seed: 5
warmup_days: {warmup}
calendar: {{default: "00:00-24:00"}}
channels:
  - {{name: a, leads_per_day: 200, cpl: 500, nontarget_share: 0.2, unreachable_share: 0.1,
     contact_factor: 1.5, quality: 1.25, check_factor: 1.2, installment_share: 0.3}}
  - {{name: b, leads_per_day: 100, cpl: 1000}}
touch_chain: {{offsets: [0], p_contact: 0.4}}
funnel:
  qualify: 0.4
  offer: {{p: 0.5}}
  invoice_paid: {{p: 0.8}}
  link_filled: {{p: 0.7}}
  bank_approved: {{p: 0.9}}
  refunds: {{share: 0.1, window_days: 14}}
  price: {{check: 50000, change: 0.1, elasticity: -2, bank_commission: 0.05}}
team:
  team_leads: [{{name: tl}}]
  managers: [{{team_lead: tl, count: 30}}]
  shifts: [{{name: a, pattern: "7/0", start: "00:00", hours: 24}}]
economics: {{manager_salary_month: 100000, team_lead_salary_month: 150000, commission_share: 0.1,
            team_lead_commission_share: 0.02}}
plans: [{{name: hold}}]
"""


def test_the_funnel_and_the_money_are_the_product_of_the_stages(tmp_path):
    # Ample capacity; the warm-up covers lead_ttl (7 days) and the refund window (14): the README's rule.
    _, m = run(tmp_path, FUNNEL.format(warmup=21), replications=30)
    offer, check = 0.5 * 1.1 ** -2, 50000 * 1.1  # the price change and its elasticity
    # per channel: leads a day, reachable, contact chance, target share, qualify, installment share, check
    ch = np.array([(200, 0.9, min(1, 0.4 * 1.5), 0.7, 0.4 * 1.25, 0.3, check * 1.2),
                   (100, 1.0, 0.4, 1.0, 0.4, 0.5, check)]).T
    n, reach, p, target, qualify, inst, price = ch
    share = n / n.sum()
    qualified = target * p * qualify
    paid = qualified * offer * ((1 - inst) * 0.8 + inst * 0.7 * 0.9)
    gross = qualified * offer * price * ((1 - inst) * 0.8 + inst * 0.7 * 0.9 * (1 - 0.05))
    won = share @ paid
    assert_near(m.contact_rate, share @ (reach * p), "contact_rate")
    assert_near(m.contact_rate_target, (n * target) @ p / (n @ target), "contact_rate_target")
    assert_near(m.qualified / m.leads, share @ qualified, "qualified")
    assert_near(m.offers / m.leads, share @ qualified * offer, "offers")
    se = assert_near(m.c2, won, "c2")
    assert_near(m.won_by_installment_share, share @ (qualified * offer * inst * 0.7 * 0.9) / won,
                "won_by_installment_share")
    assert_near(m.avg_check, share @ (paid * price) / won, "avg_check")
    assert_near(m.revenue_gross / m.leads, share @ gross, "revenue_gross per lead")
    assert_near(m.refunds / m.revenue_gross, 0.1, "refunds / revenue_gross")
    assert_near(m.revenue_net / m.leads, 0.9 * share @ gross, "revenue_net per lead")
    np.testing.assert_allclose(m.cpl, share @ [500, 1000], rtol=0.02)
    salaries = (30 * 100_000 + 150_000) * 12 / 365.25 * 28  # per day employed, 28 days
    np.testing.assert_allclose(m.payroll, salaries + 0.12 * m.revenue_net, rtol=1e-9)
    assert se < 0.03 * won  # power: a 10% error in lead-to-payment would show


FLOOR = """
name: floor
start: 2026-01-05
horizon_days: 28
seed: {seed}
{calendar}
channels: [{{name: ads, leads_per_day: 300}}]
touch_chain: {touch}
funnel: {{qualify: 0.4, offer: {{p: 0.5}}, invoice_paid: {{p: 0.8}}, link_filled: {{p: 0.7}},
         bank_approved: {{p: 0.9}}, price: {{check: 50000}}}}
team:
  team_leads: [{{name: tl}}]
  managers: [{{team_lead: tl, count: {managers}}}]
  {shifts}
plans: [{{name: hold}}]
"""
CHAIN = "{offsets: [0, 30, 120], p_contact: [0.5, 0.3, 0.2]}"
AROUND_THE_CLOCK = dict(calendar='calendar: {default: "00:00-24:00"}',
                        shifts='shifts: [{name: a, pattern: "7/0", start: "00:00", hours: 24}]')
WEEKDAYS = dict(calendar="", shifts="")  # the defaults: Monday to Friday, 09:00-18:00


def test_the_contact_rate_of_a_touch_chain_is_one_minus_the_product_of_misses(tmp_path):
    _, m = run(tmp_path, FLOOR.format(seed=6, touch=CHAIN, managers=40, **AROUND_THE_CLOCK), replications=20)
    se = assert_near(m.contact_rate, 1 - (1 - 0.5) * (1 - 0.3) * (1 - 0.2), "contact_rate")
    assert se < 0.005


def test_on_a_weekday_floor_the_chance_is_read_over_the_leads_whose_chain_began(tmp_path):
    # The default floor and hours of the day: the leads of the horizon's last weekend are not called by its
    # end. contact_rate counts them (the README says so); leads - untouched_open give the chain's chance.
    _, m = run(tmp_path, FLOOR.format(seed=6, touch=CHAIN, managers=40, **WEEKDAYS), replications=20)
    expected = 1 - (1 - 0.5) * (1 - 0.3) * (1 - 0.2)
    assert_near(m.contacts / (m.leads - m.untouched_open), expected, "contacts / (leads - untouched_open)")
    assert (m.untouched_open > 0.05 * m.leads).all()  # the last weekend's leads, waiting for Monday
    np.testing.assert_array_equal(m.untouched_open, m.untouched_leads)  # and nothing else goes uncalled


def test_leads_waiting_for_monday_at_the_horizons_end_are_not_a_capacity_bottleneck(tmp_path):
    # 40 managers on the default Monday-to-Friday floor work 300 leads a day at 19% utilisation. The
    # verdict said "Capacity: 8% of leads (716) were not worked for lack of managers' time", and
    # "Capacity is short": the leads of the horizon's last weekend, waiting for Monday.
    one_call = "{offsets: [0], p_contact: 0.6}"
    doc, m = run(tmp_path, FLOOR.format(seed=2, touch=one_call, managers=40, **WEEKDAYS), replications=3)
    assert (m.utilisation < 0.25).all() and (m.untouched_leads > 0.05 * m.leads).all()
    assert doc["verdict"]["bottleneck"]["kind"] != "capacity", doc["verdict"]["bottleneck"]
    # Six managers cannot keep up (utilisation 100%): the backlog they never reach is still capacity.
    doc, m = run(tmp_path, FLOOR.format(seed=2, touch=one_call, managers=6, **WEEKDAYS), replications=3)
    neck = doc["verdict"]["bottleneck"]
    assert neck["kind"] == "capacity" and neck["share_of_leads"] > 0.1, neck
    assert (m.untouched_open < m.untouched_leads).all()


# -- the warm-up ------------------------------------------------------------------------------------

STEADY = """
name: steady
start: 2026-01-05
horizon_days: 28
seed: 7
{warmup}
calendar: {{default: "00:00-24:00"}}
channels: [{{name: ads, leads_per_day: 300, hour_profile: flat}}]
touch_chain: {{offsets: [0], p_contact: 0.6, lead_ttl: {ttl}}}
funnel:
  qualify: 0.4
  offer: {{p: 0.5, delay_days: {offer_delay}}}
  installment_share: 1
  invoice_paid: {{p: 0.8}}
  link_filled: {{p: 0.7, delay_days: {step_delay}}}
  bank_approved: {{p: 0.9, delay_days: {step_delay}}}
  refunds: {{share: {refunds}, window_days: 14}}
  price: {{check: 50000}}
team:
  team_leads: [{{name: tl}}]
  managers: [{{team_lead: tl, count: 40}}]
  shifts: [{{name: a, pattern: "7/0", start: "00:00", hours: 24}}]
plans: [{{name: hold}}]
"""
FULL_WARMUP = "warmup_days: 30"  # more than auto (lead_ttl + the client path + the refund window) asks here


@pytest.mark.parametrize("warmup", ["", FULL_WARMUP])
def test_the_warm_up_brings_the_refunds_of_earlier_payments(tmp_path, warmup):
    # Every paid deal is refunded within 14 days: in a steady state the refunds in the horizon equal
    # its revenue. The auto warm-up (7 + 0 + 14 = 21 days here) holds the payments of the 14 days before
    # the start, whose refunds land in the horizon; without the window (7 days) refunds / revenue would
    # read 1 - 7^2 / (2 * 14 * 28) = 0.94.
    text = STEADY.format(warmup=warmup, ttl='"7d"', offer_delay=0, step_delay=0, refunds=1)
    _, m = run(tmp_path, text, replications=8)
    assert (m.warmup_days == (30 if warmup else 7 + 14)).all()
    assert_near(m.refunds / m.revenue_gross, 1.0, "refunds / revenue_gross")


@pytest.mark.parametrize("warmup", ["", FULL_WARMUP])
def test_the_warm_up_brings_the_payments_of_the_whole_client_path(tmp_path, warmup):
    # Offer, link and bank take 5 days each: a lead pays 15 days after its contact call. The auto warm-up
    # is lead_ttl (1 day) + the whole path (15 days) = 16 days (no refunds: no window); with the longest
    # single delay alone (6 days) the horizon's first 9 days would see no payment: c2 19/28 of the product.
    text = STEADY.format(warmup=warmup, ttl='"1d"', offer_delay="{fixed: 5}", step_delay="{fixed: 5}",
                         refunds=0)
    _, m = run(tmp_path, text, replications=6)
    assert (m.warmup_days == (30 if warmup else 1 + 15)).all()
    assert_near(m.c2, 0.6 * 0.4 * 0.5 * 0.7 * 0.9, "c2")


# -- what the README says adds up ---------------------------------------------------------------------

def assert_outputs_add_up(doc: dict, m: pd.DataFrame, plan: str) -> None:
    """The README's definitions of the metrics, replication by replication, and the summary of them."""
    close = dict(rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(m.revenue_net, m.revenue_gross - m.refunds, **close)
    np.testing.assert_allclose(m.costs, m.lead_cost + m.payroll + m.hiring_cost, **close)
    np.testing.assert_allclose(m.margin, m.revenue_net - m.costs, **close)
    np.testing.assert_allclose(m.contact_rate, m.contacts / m.leads, **close)
    np.testing.assert_allclose(m.c2, m.won / m.leads, **close)
    np.testing.assert_allclose(m.cpl, m.lead_cost / m.leads, **close)
    np.testing.assert_allclose(m.cpql, m.lead_cost / m.qualified, **close)
    np.testing.assert_array_equal(m.offers, m.invoices_issued + m.links_sent)
    np.testing.assert_array_equal(m.total_invoices, m.invoices_issued + m.links_filled)
    np.testing.assert_allclose(m.utilisation, m.talk_share_actual + m.dial_share_actual + m.crm_share_actual,
                               **close)
    np.testing.assert_allclose(m.idle_share, 1 - m.utilisation, **close)
    assert (m.utilisation <= 1 + 1e-9).all()
    # every lead reached ends in one state: non-target, not qualified, or qualified
    np.testing.assert_array_equal(m.contacts, m.lost_nontarget + m.lost_before_qualification + m.qualified)
    assert (m.contacts <= m.leads).all() and (m.qualified <= m.contacts).all()
    assert (m.untouched_open <= m.untouched_leads).all()
    assert (m.unreachable_leads <= m.nontarget_leads).all() and (m.lost_nontarget <= m.nontarget_leads).all()
    assert (m.presentations_lost_wait <= m.lost_after_qualification).all()
    assert (m.sla_p50_min <= m.sla_p90_min).all() and (m.sla_work_p50_min <= m.sla_work_p90_min).all()
    summary = doc["plans"][plan]
    for metric in m.columns:
        x = m[metric].dropna().to_numpy(dtype=float)
        if x.size:
            got = [summary[metric][k] for k in ("mean", "p10", "p50", "p90")]
            np.testing.assert_allclose(got, [x.mean(), *np.percentile(x, [10, 50, 90])], rtol=1e-9, atol=1e-9)
    if doc["revenue_plan"]:
        assert summary["p_plan"] == pytest.approx(float((m.revenue_net >= doc["revenue_plan"]).mean()))


def test_q3s_outputs_add_up_as_the_readme_defines_them(tmp_path):
    doc, m = run(tmp_path, Q3.read_text(), replications=3, plan="keep40", extra=("--plan", "keep40"))
    assert_outputs_add_up(doc, m, "keep40")


@pytest.mark.slow
def test_the_reference_engines_outputs_add_up_too(tmp_path):
    doc = yaml.safe_load(Q3.read_text())
    doc["horizon_days"] = 21
    doc["plans"] = [p for p in doc["plans"] if p["name"] == "hold"]
    doc.pop("revenue_plan")
    doc, m = run(tmp_path, yaml.safe_dump(doc), engine="des", replications=2)
    assert_outputs_add_up(doc, m, "hold")
