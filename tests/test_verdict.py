"""The verdict: best plan, paired P(better) and bottleneck, on results whose answer is known."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simsales import montecarlo
from simsales.analysis.bottleneck import DAYS_PER_MONTH, MIN_SHARE, bottleneck, loss_shares, losses
from simsales.analysis.compare import compare, paired_differences
from simsales.analysis.verdict import SURE, Verdict, verdict
from simsales.montecarlo import PlanResult, RunResult
from simsales.montecarlo.metrics import METRICS
from simsales.report.first_screen import headline, verdict_html
from simsales.report.tables import bottlenecks
from simsales.report.units import money
from simsales.scenario import Benchmarks

REPS = 10


def metrics(**columns) -> pd.DataFrame:
    """Every metric 0 over REPS replications, but ``columns`` (scalars or arrays)."""
    frame = pd.DataFrame({m: np.zeros(REPS) for m in METRICS})
    for name, value in columns.items():
        frame[name] = np.broadcast_to(np.asarray(value, dtype=float), REPS).copy()
    frame.index.name = "replication"
    return frame


def run_of(**plans: pd.DataFrame) -> RunResult:
    return RunResult("constructed", 1, REPS, "fast", 0.0,
                     {name: PlanResult(name, frame) for name, frame in plans.items()})


def scenario_of(*names: str, horizon_days: int = 91, benchmarks: Benchmarks | None = None,
                **extra) -> SimpleNamespace:
    """What the verdict reads of a scenario: currency, horizon, benchmarks, plans (and the objective)."""
    plans = [SimpleNamespace(name=n, label=extra.pop(f"label_{n}", None)) for n in names]
    return SimpleNamespace(currency="RUB", horizon_days=horizon_days, benchmarks=benchmarks,
                           plans=plans, **extra)


# -- the bottleneck ---------------------------------------------------------------


def test_a_result_whose_only_loss_is_chains_cut_has_capacity_as_its_bottleneck():
    # 1,000 leads, 170 chains cut and 40 never attempted: 210 lost for lack of time (21%);
    # the 790 leads worked brought 7.9M, so each lost lead was worth 10,000.
    m = metrics(leads=1000, chains_cut=170, untouched_leads=40, revenue_net=7.9e6)
    neck = bottleneck(m, 91)
    assert neck.kind == "capacity"
    assert neck.share_of_leads == pytest.approx(0.21)
    assert "21% of leads (210)" in neck.text
    assert "170 leads dropped before their call-backs were done" in neck.text
    assert "40 never called" in neck.text
    assert "2,100,000" in neck.text  # 210 x 10,000, written in full without a formatter
    assert "2.1M RUB" in bottleneck(m, 91, currency="RUB", money=money).text


def test_the_capacity_sentence_s_parts_add_up_to_its_total():
    # Per replication the parts vary apart: their P50s (190 and 40) add up to 230, the P50 of the total
    # loss is 217; the sentence splits its total in their proportion, so a reader's sum is the total.
    rng = np.random.default_rng(5)
    cut, never = rng.integers(150, 230, REPS), rng.integers(20, 60, REPS)
    neck = bottleneck(metrics(leads=1000, chains_cut=cut, untouched_leads=never, revenue_net=7.9e6), 91)
    total = int(neck.text.split("of leads (")[1].split(")")[0].replace(",", ""))
    dropped = int(neck.text.split("time: ")[1].split(" leads dropped")[0].replace(",", ""))
    never_called = int(neck.text.split(" and ")[1].split(" never called")[0].replace(",", ""))
    assert dropped + never_called == total, neck.text
    assert abs(dropped / total - np.median(cut) / (np.median(cut) + np.median(never))) < 0.01


def test_the_report_never_says_capacity_holds_when_capacity_is_the_bottleneck():
    # 3% of leads lost for lack of time: under the 5% mark, but the only loss, so the bottleneck;
    # the report's paragraph said "Fix first: Capacity ... capacity holds" (the run said it is short).
    run = run_of(hold=metrics(leads=1000, chains_cut=20, untouched_leads=10, revenue_net=7.9e6))
    paragraph = bottlenecks(run, scenario_of("hold"))["hold"]
    assert paragraph.startswith("Fix first: Capacity")
    assert "capacity holds" not in paragraph
    assert "capacity is short: 3% of leads are never attempted or cut short" in paragraph
    # Below the mark and not the bottleneck (a benchmark stage costs more): capacity holds.
    quiet = metrics(leads=1000, chains_cut=20, untouched_leads=10, contacts=500, revenue_net=7.9e6)
    paragraph = bottlenecks(run_of(hold=quiet), scenario_of("hold", benchmarks=Benchmarks(contact_rate=0.75)))
    assert paragraph["hold"].startswith("Fix first: Contact")
    assert "capacity holds: 3.0% of leads" in paragraph["hold"]


def test_the_share_is_the_p50_over_replications_of_each_replications_share():
    cut = np.arange(REPS) * 10.0  # 0, 10, ..., 90 of 1,000 leads
    m = metrics(leads=1000, chains_cut=cut, revenue_net=1e6)
    assert bottleneck(m, 91).share_of_leads == pytest.approx(np.median(cut / 1000))
    assert loss_shares(m)["capacity"].to_numpy() == pytest.approx(cut / 1000)


def test_money_not_leads_decides_between_losses():
    # Capacity loses more leads (200) than qualification below market (150), but a
    # qualified lead is worth far more than a lead not yet worked.
    m = metrics(leads=1000, chains_cut=200, revenue_net=4e6, contacts=800, qualified=250,
                lost_before_qualification=550)  # reached target leads: 800; market qualifies half
    known = losses(m, 91, Benchmarks(qualify=0.5))
    leads_q, money_q = known["qualification"]
    assert leads_q == pytest.approx(np.full(REPS, 0.5 * 800 - 250))
    assert money_q == pytest.approx(np.full(REPS, 150 * 4e6 / 250))
    assert known["capacity"][1] == pytest.approx(np.full(REPS, 200 * 4e6 / 800))
    neck = bottleneck(m, 91, Benchmarks(qualify=0.5))
    assert neck.kind == "qualification" and neck.share_of_leads == pytest.approx(0.15)
    assert "beyond the market's qualification rate" in neck.text


def test_contact_below_the_market_is_the_bottleneck_when_it_costs_the_most():
    m = metrics(leads=1000, contacts=500, lost_no_contact=500, revenue_net=5e6)
    neck = bottleneck(m, 91, Benchmarks(contact_rate=0.8))
    assert neck.kind == "contact"
    assert neck.share_of_leads == pytest.approx(0.3)  # 80% - 50% of 1,000 leads
    assert bottleneck(m, 91, Benchmarks(contact_rate=0.4)).kind != "contact"  # above the market


def test_closing_is_measured_against_the_markets_offer_rate():
    m = metrics(leads=1000, qualified=400, offers=100, revenue_net=2e6)
    neck = bottleneck(m, 91, Benchmarks(offer=0.45))
    assert neck.kind == "closing"
    assert neck.share_of_leads == pytest.approx((0.45 * 400 - 100) / 1000)


def test_the_span_rule_takes_the_capacity_loss_its_missing_hires_would_have_worked():
    # 7 managers on average (7M / 1M per manager) worked 700 leads in 91 days; 6 deferrals
    # lose 6 manager-months, i.e. 6 x 700 / (7 x months) leads, out of the 300 lost for time.
    months = 91 / DAYS_PER_MONTH
    m = metrics(leads=1000, chains_cut=300, revenue_net=7e6, revenue_per_manager=1e6, hires_deferred=6)
    span = 6 * 700 / (7 * months)
    leads = {k: x for k, (x, _) in losses(m, 91).items()}
    assert leads["span_rule"] == pytest.approx(np.full(REPS, span))
    assert leads["capacity"] == pytest.approx(np.full(REPS, 300 - span))
    neck = bottleneck(m, 91)
    assert neck.kind == "span_rule" and neck.share_of_leads == pytest.approx(span / 1000)
    assert "deferred 6 and refused 0" in neck.text
    # A refused hire counts as lost for half the horizon.
    refused = metrics(leads=1000, chains_cut=300, revenue_net=7e6, revenue_per_manager=1e6, hires_refused=2)
    expected = 2 * months / 2 * 700 / (7 * months)
    assert losses(refused, 91)["span_rule"][0] == pytest.approx(np.full(REPS, expected))
    # The span rule's part never exceeds what capacity lost.
    many = metrics(leads=1000, chains_cut=300, revenue_net=7e6, revenue_per_manager=1e6, hires_deferred=500)
    assert losses(many, 91)["span_rule"][0] == pytest.approx(np.full(REPS, 300.0))
    assert losses(many, 91)["capacity"][0] == pytest.approx(np.zeros(REPS))


def test_a_deferral_costs_at_most_the_horizon():
    # A 14-day horizon: a deferral loses 14 days of a manager, not a month.
    m = metrics(leads=1000, chains_cut=300, revenue_net=7e6, revenue_per_manager=1e6, hires_deferred=1)
    months = 14 / DAYS_PER_MONTH
    assert losses(m, 14)["span_rule"][0] == pytest.approx(np.full(REPS, months * 700 / (7 * months)))


def test_without_an_avoidable_loss_the_largest_stage_loss_is_named_with_a_caveat():
    m = metrics(leads=1000, lost_no_contact=100, lost_before_qualification=400,
                lost_after_qualification=200, revenue_net=1e6)
    neck = bottleneck(m, 91)
    assert neck.kind == "qualification" and neck.share_of_leads == pytest.approx(0.4)
    assert "no market benchmark" in neck.text
    # A capacity loss under MIN_SHARE does not make a bottleneck either.
    small_cut = metrics(leads=1000, chains_cut=1000 * MIN_SHARE / 2, lost_before_qualification=400,
                        revenue_net=1e6)
    assert bottleneck(small_cut, 91).kind == "qualification"


def test_no_loss_at_all_says_so():
    neck = bottleneck(metrics(leads=1000, revenue_net=1e6), 91)
    assert neck.kind == "capacity" and neck.share_of_leads == 0.0
    assert "No stage loses leads" in neck.text


# -- the verdict ----------------------------------------------------------------


def test_p_better_is_the_share_of_replications_where_the_paired_difference_is_positive():
    base = np.linspace(10e6, 20e6, REPS)
    diff = np.array([3, 2, 1, 1, 0, -1, 2, 4, -2, 5]) * 1e6  # 7 of 10 > 0, one tie
    result = run_of(hold=metrics(revenue_net=base, leads=1000),
                    steady=metrics(revenue_net=base + diff, leads=1000))
    v = verdict(result, scenario_of("hold", "steady"), money=money)
    assert (v.best_plan, v.vs_plan) == ("steady", "hold")
    assert v.p_better == pytest.approx(0.7)
    assert v.text.startswith("Too close to call on net revenue with these replications: 'steady'")
    assert f"against 'hold', +{np.median(diff) / 1e6:.1f}M RUB a quarter (P50)" in v.text
    assert "better in 70% of paired replications and worse in 20%." in v.text
    assert "wins" not in v.text


def test_a_close_call_names_no_pick_in_the_tiles():
    base = np.linspace(10e6, 20e6, REPS)
    diff = np.array([3, 2, 1, 1, 0, -1, 2, 4, -2, 5]) * 1e6  # better in 70%: under SURE
    two = scenario_of("hold", "steady")
    close = verdict(run_of(hold=metrics(revenue_net=base, leads=1000),
                           steady=metrics(revenue_net=base + diff, leads=1000)), two)
    sure = verdict(run_of(hold=metrics(revenue_net=base, leads=1000),
                          steady=metrics(revenue_net=base + 1e6, leads=1000)), two)
    labels = {"hold": "hold", "steady": "steady"}
    tile = re.compile(r'<span class="k">Pick</span><span class="v">([^<]*)</span>'
                      r'<span class="n">([^<]*)</span>')
    assert tile.search(verdict_html(close, labels)).groups() == ("too close to call",
                                                                 "highest mean net revenue: steady")
    assert tile.search(verdict_html(sure, labels)).groups() == ("steady", "highest mean net revenue")


def test_a_sure_win_is_not_called_close():
    base = np.linspace(10e6, 20e6, REPS)
    result = run_of(hold=metrics(revenue_net=base, leads=1000),
                    steady=metrics(revenue_net=base + 1e6, leads=1000))
    v = verdict(result, scenario_of("hold", "steady"))
    assert v.p_better == 1.0 >= SURE
    assert "better in 100% of paired replications." in v.text and "close" not in v.text


def test_when_the_baseline_wins_it_is_compared_with_the_runner_up():
    base = np.full(REPS, 10e6)
    result = run_of(hold=metrics(revenue_net=base), worse=metrics(revenue_net=base - 3e6),
                    close=metrics(revenue_net=base - 1e6))
    v = verdict(result, scenario_of("hold", "worse", "close"))
    assert (v.best_plan, v.vs_plan, v.p_better) == ("hold", "close", 1.0)


def test_the_comparisons_baseline_is_the_vs_plan():
    base = np.full(REPS, 10e6)
    result = run_of(a=metrics(revenue_net=base), b=metrics(revenue_net=base - 1e6),
                    c=metrics(revenue_net=base + 1e6))
    sc = scenario_of("a", "b", "c")
    comparison = SimpleNamespace(baseline="b")
    assert verdict(result, sc, comparison).vs_plan == "b"
    assert verdict(result, sc).vs_plan == "a"


def test_the_objective_decides_the_best_plan():
    result = run_of(lean=metrics(revenue_net=10e6, margin=4e6), big=metrics(revenue_net=12e6, margin=3e6))
    assert verdict(result, scenario_of("lean", "big")).best_plan == "big"
    by_margin = verdict(result, scenario_of("lean", "big", objective="margin"))
    assert (by_margin.objective, by_margin.best_plan) == ("margin", "lean")
    assert "wins on margin" in by_margin.text


def test_identical_plans_have_no_winner():
    result = run_of(hold=metrics(revenue_net=10e6), twin=metrics(revenue_net=10e6))
    v = verdict(result, scenario_of("hold", "twin"))
    assert v.p_better == 0.0
    assert v.text.startswith("No plan wins on net revenue: 'hold' and 'twin' give the same")


def test_the_verdict_names_plans_as_it_is_told_two_of_one_label_apart():
    result = run_of(hold=metrics(revenue_net=10e6), grow=metrics(revenue_net=12e6))
    scenario = scenario_of("hold", "grow", label_hold="Plan", label_grow="Plan")
    v = verdict(result, scenario, labels={"hold": "Plan (hold)", "grow": "Plan (grow)"})
    assert v.text.startswith("Plan 'Plan (grow)' wins on net revenue") and "over 'Plan (hold)'" in v.text
    assert (v.best_plan, v.vs_plan) == ("grow", "hold")  # the JSON keeps the names


def test_one_plan_has_no_best_plan_but_a_bottleneck_and_the_json_shape():
    result = run_of(hold=metrics(revenue_net=np.linspace(8e6, 12e6, REPS), leads=1000, chains_cut=250))
    v = verdict(result, scenario_of("hold", label_hold="Hold the team"), money=money)
    assert (v.best_plan, v.p_better, v.vs_plan) == (None, None, None)
    assert v.bottleneck.kind == "capacity"
    assert v.text.startswith("Plan 'Hold the team': net revenue 10.0M RUB a quarter (P50")
    doc = v.to_json()
    assert list(doc) == ["objective", "best_plan", "p_better", "vs_plan", "bottleneck", "text"]
    assert list(doc["bottleneck"]) == ["kind", "share_of_leads", "text"]
    assert doc["bottleneck"]["share_of_leads"] == pytest.approx(0.25)
    assert isinstance(v, Verdict)


def test_a_real_run_agrees_with_the_paired_comparison(small):
    result = montecarlo.run(small, replications=4)
    comparison = compare(result, small)
    v = verdict(result, small, comparison)
    d = comparison.differences.set_index(["plan", "metric"])
    other = "grow" if v.best_plan == "hold" else "hold"
    assert v.best_plan in ("hold", "grow") and v.vs_plan == other
    means = {p: result.plans[p].metrics["revenue_net"].mean() for p in result.plans}
    assert means[v.best_plan] >= means[other]
    if v.vs_plan == comparison.baseline:
        assert v.p_better == pytest.approx(d.loc[(v.best_plan, "revenue_net"), "p_better"])
    assert 0 <= v.bottleneck.share_of_leads <= 1 and v.bottleneck.kind in (
        "capacity", "contact", "qualification", "closing", "span_rule")


def test_a_runner_up_about_as_good_as_the_best_is_named():
    base = np.linspace(10e6, 20e6, REPS)
    near = np.array([1, -1, 1, -1, 1, -1, 1, 1, -1, 1]) * 1e5  # best beats it in 6 of 10
    result = run_of(hold=metrics(revenue_net=base), steady=metrics(revenue_net=base + 3e6),
                    aggressive=metrics(revenue_net=base + 3e6 - near))
    v = verdict(result, scenario_of("hold", "steady", "aggressive"), money=money)
    assert (v.best_plan, v.vs_plan, v.p_better) == ("steady", "hold", 1.0)
    assert "'aggressive' is about as good: 'steady' beats it in 60% of paired replications" in v.text
    clear = run_of(hold=metrics(revenue_net=base), steady=metrics(revenue_net=base + 3e6),
                   aggressive=metrics(revenue_net=base + 1e6))
    assert "about as good" not in verdict(clear, scenario_of("hold", "steady", "aggressive")).text


def test_leads_waiting_for_the_floor_to_open_are_not_a_capacity_loss():
    # 800 of 10,000 leads never attempted, 700 of them the last weekend's, waiting for Monday's shift.
    neck = bottleneck(metrics(leads=10_000, revenue_net=1e6, contacts=5000, lost_no_contact=4000,
                              untouched_leads=800, untouched_open=700), 28)
    assert neck.kind == "capacity" and neck.share_of_leads == pytest.approx(0.01)
    assert "100 never called" in neck.text
    waiting = metrics(leads=10_000, untouched_leads=800, untouched_open=800)
    assert losses(waiting, 28)["capacity"][0].max() == 0


def test_a_card_colours_a_gain_green_a_loss_red_and_no_difference_neither():
    base = np.linspace(10e6, 20e6, REPS)
    result = run_of(hold=metrics(revenue_net=base, leads=1000),
                    up=metrics(revenue_net=base + 1e6, leads=1000),
                    down=metrics(revenue_net=base - 1e6, leads=1000),
                    twin=metrics(revenue_net=base, leads=1000))
    names = ("hold", "up", "down", "twin")
    comparison = SimpleNamespace(baseline="hold", differences=paired_differences(result, "hold"))
    cards = headline(result, comparison, "RUB", dict.fromkeys(names, "#000"), {n: n for n in names})
    css = {}
    for card in cards.split('<div class="card"')[1:]:
        name = re.search(r'<div class="name"[^>]*>(\w+)</div>', card).group(1)
        gain = re.search(r'vs hold: <span class="(\w+)">', card)
        css[name] = gain.group(1) if gain else None
    assert css == {"hold": None, "up": "better", "down": "worse", "twin": "same"}
