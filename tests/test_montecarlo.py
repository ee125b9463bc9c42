"""Monte-Carlo runs: reproducibility, common random numbers, conversion products."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales import montecarlo
from simsales.scenario.loader import load_scenario, parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import daily_means, generate_leads

from .conftest import SMALL, queue_scenario


def test_same_seed_same_numbers_with_one_or_two_workers_and_any_batching(small):
    one = montecarlo.run(small, replications=6, seed=11, workers=1, batch_size=6)
    two = montecarlo.run(small, replications=6, seed=11, workers=2, batch_size=1)
    for plan in one.plans:
        pd.testing.assert_frame_equal(one.plans[plan].metrics, two.plans[plan].metrics)
        for key, series in one.plans[plan].series.items():
            np.testing.assert_array_equal(series, two.plans[plan].series[key])
    other = montecarlo.run(small, replications=6, seed=12)
    assert not one.plans["hold"].metrics.equals(other.plans["hold"].metrics)


def test_a_replication_does_not_depend_on_how_many_run(small):
    few = montecarlo.run(small, replications=2, seed=3)
    more = montecarlo.run(small, replications=4, seed=3)
    pd.testing.assert_frame_equal(few.plans["grow"].metrics, more.plans["grow"].metrics.iloc[:2])


def test_plans_share_the_leads_and_the_team_at_the_start(small):
    result = montecarlo.run(small, replications=4, seed=5)
    hold, grow = result.plans["hold"].metrics, result.plans["grow"].metrics
    assert (hold["leads"] == grow["leads"]).all()
    assert (hold["lead_cost"] == grow["lead_cost"]).all()
    assert (grow["hires_made"] > 0).all() and (hold["hires_made"] == 0).all()


def test_summary_quantiles_and_p_plan(small):
    result = montecarlo.run(small, replications=8, seed=5)
    summary = result.summary()["hold"]
    revenue = result.plans["hold"].metrics["revenue_net"]
    assert summary["revenue_net"]["p50"] == pytest.approx(float(np.percentile(revenue, 50)))
    assert summary["revenue_net"]["p10"] <= summary["revenue_net"]["p50"] <= summary["revenue_net"]["p90"]
    assert summary["p_plan"] == pytest.approx(float((revenue >= small.revenue_plan).mean()))


def test_lead_volume_mean_and_overdispersion():
    scenario = load_scenario(SMALL)
    channel = resolve(scenario, np.random.default_rng(0)).channels[1]  # 20 leads/day, fixed
    expected = daily_means(channel, scenario.start, scenario.horizon_days).sum()
    counts = [len(generate_leads([channel], scenario.start, scenario.horizon_days,
                                 np.random.default_rng(i))) for i in range(400)]
    se = np.std(counts) / math.sqrt(len(counts))
    assert abs(np.mean(counts) - expected) < 4 * se
    assert np.var(counts) == pytest.approx(expected, rel=0.25)  # Poisson
    noisy = channel.model_copy(update={"overdispersion": 0.2})
    days = [np.bincount((generate_leads([noisy], scenario.start, 21, np.random.default_rng(i)).created
                         // 1440).astype(int), minlength=21)[3] for i in range(600)]
    mean = daily_means(noisy, scenario.start, 21)[3]
    assert np.var(days) == pytest.approx(mean + 0.2 * mean**2, rel=0.3)


def unlimited_capacity_scenario():
    scenario = queue_scenario(servers=20, arrivals_per_min=0.1, mean_call_min=1.0, days=20,
                              seed=9, replications=10)
    doc = scenario.model_dump(mode="json")
    doc["routing"]["policy"] = "round_robin"
    doc["channels"][0]["nontarget_share"] = 0.1
    doc["touch_chain"]["p_contact"] = [0.7]
    doc["funnel"] = {
        "qualify": 0.5,
        "offer": {"p": 0.4, "call_minutes": 1},
        "installment_share": 0.6,
        "invoice_paid": {"p": 0.85},
        "link_filled": {"p": 0.7},
        "bank_approved": {"p": 0.9},
        "price": {"check": 50000},
    }
    return parse_scenario(yaml.safe_dump(doc), "<unlimited>")


def test_c2_is_the_product_of_the_stage_probabilities_when_capacity_is_unlimited():
    scenario = unlimited_capacity_scenario()
    result = montecarlo.run(scenario, workers=1)
    m = result.plans["hold"].metrics
    won, leads = m["won"].sum(), m["leads"].sum()
    expected = 0.7 * (1 - 0.1) * 0.5 * 0.4 * ((1 - 0.6) * 0.85 + 0.6 * 0.7 * 0.9)
    se = math.sqrt(expected * (1 - expected) / leads)
    assert abs(won / leads - expected) < 4 * se, (won / leads, expected)
    assert se < 0.03 * expected  # power: a 10% error would show
    assert (m["sla_p90_min"] < 2.0).all()  # capacity really is unlimited
