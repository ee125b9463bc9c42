"""The weekly and monthly series: they add up to the replication's totals and count each lead in its week."""

from __future__ import annotations

import dataclasses

import numpy as np

from simsales import montecarlo
from simsales.engines import get_engine
from simsales.montecarlo.counted import counted
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import lead_stream, plan_world, settled, stream
from simsales.scenario.loader import load_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.deals import draw_clients

from .conftest import Q3


def test_monthly_net_revenue_adds_up_to_net_revenue(small):
    result = montecarlo.run(small, replications=4, seed=3)
    for plan in result.plans.values():
        net = plan.metrics["revenue_net"].to_numpy()
        gross = plan.metrics["revenue_gross"].to_numpy()
        by_month = plan.series["revenue_net_month"]
        assert by_month.shape[0] == 4
        np.testing.assert_allclose(by_month.sum(axis=1), net, rtol=1e-12, atol=1e-6)
        gross_by_month = plan.series["revenue_gross_month"].sum(axis=1)
        np.testing.assert_allclose(gross_by_month, gross, rtol=1e-12, atol=1e-6)
        assert (net < gross).any(), "the scenario must refund something for this test to mean anything"
        # Refunds only take money away.
        assert (by_month <= plan.series["revenue_gross_month"] + 1e-9).all()


def test_weekly_leads_and_contact_rate_count_each_lead_in_the_week_it_came():
    """Against a count lead by lead: week = created // 7 days, in the horizon's frame (warm-up
    leads left out), a lead at the first minute of a week counted in that week."""
    scenario = load_scenario(Q3)
    resolved = resolve(scenario, stream(scenario.seed, 0, "params"))
    leads, warmup = lead_stream(resolved, scenario.seed, 0, None)
    assert warmup > 0
    week = 7 * 1440.0
    start = warmup * 1440.0
    # Leads at the first minute of weeks 2 and 5 (a boundary), and one just before week 3.
    created = np.sort(np.concatenate([leads.created, start + np.array([2 * week, 5 * week,
                                                                       np.nextafter(3 * week, 0)])]))
    n = created.size
    leads = dataclasses.replace(leads, created=created, channel=np.zeros(n, np.int64),
                                target=np.ones(n, bool), reachable=None)
    world = plan_world(resolved, leads, scenario.plans[0], scenario.seed, 0, warmup)
    out = get_engine("fast")(world, stream(scenario.seed, 0, "dynamics"))
    clients = draw_clients(resolved.funnel, n, stream(scenario.seed, 0, "deals"), channels=resolved.channels,
                           lead_channel=leads.channel)
    deals = settled(resolved, clients, world, out)
    _, series = measure(world, out, deals)
    view = counted(world, out, deals)
    own = [int(c // week) for c in view.world.leads.created]  # Python's floor division, lead by lead
    n_weeks = -(-scenario.horizon_days // 7)
    leads_week = np.zeros(n_weeks)
    contacts_week = np.zeros(n_weeks)
    for w, reached in zip(own, ~np.isnan(view.out.contact), strict=True):
        leads_week[w] += 1
        contacts_week[w] += reached
    np.testing.assert_array_equal(series["leads_week"], leads_week)
    np.testing.assert_array_equal(series["contact_rate_week"], contacts_week / leads_week)
    assert leads_week.sum() == len(view.world.leads) and (contacts_week > 0).all()
