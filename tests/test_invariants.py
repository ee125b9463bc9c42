"""Invariants of the model over random small scenarios (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simsales.engines import get_engine
from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    OFFER,
)
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.arrivals import generate_leads
from simsales.world.deals import close_deals
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import SMALL

BASE = yaml.safe_load(SMALL.read_text())


@st.composite
def scenarios(draw):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    doc["horizon_days"] = draw(st.integers(5, 40))
    doc["routing"] = {"policy": draw(st.sampled_from(
        ["round_robin", "least_loaded", "weighted", "shared_queue"])),
        "onboarding_days": draw(st.integers(0, 5))}
    doc["touch_chain"]["priority"] = draw(st.sampled_from(["new_first", "due_first"]))
    doc["touch_chain"]["lead_ttl"] = draw(st.sampled_from(["2h", "1d", "3d"]))
    if doc["touch_chain"]["lead_ttl"] == "2h":  # offsets past lead_ttl are refused: keep 0m and 30m
        doc["touch_chain"]["offsets"] = doc["touch_chain"]["offsets"][:2]
        doc["touch_chain"]["p_contact"] = doc["touch_chain"]["p_contact"][:2]
    doc["channels"][0]["leads_per_day"] = draw(st.integers(0, 150))
    doc["team"]["managers"][0]["count"] = draw(st.integers(0, 6))
    doc["team"]["managers"][1]["count"] = draw(st.integers(0, 6))
    doc["team"]["span_max"] = draw(st.integers(2, 8))
    doc["team"]["hires_per_lead_month"] = draw(st.integers(0, 4))
    doc["team"]["attrition"] = {"monthly": draw(st.sampled_from([0.0, 0.1, 0.5])),
                                "probation_monthly": draw(st.sampled_from([0.0, 0.3, 0.9]))}
    doc["horizon_days"] = max(doc["horizon_days"], 5)
    doc["plans"] = [{"name": "p", "time_to_hire_days": draw(st.integers(0, 20)),
                     "on_cap": draw(st.sampled_from(["defer", "refuse"])),
                     "months": [{"month": "2026-07", "managers": draw(st.integers(0, 12)),
                                 "team_leads": draw(st.integers(0, 1))}]}]
    if doc["horizon_days"] > 31:  # a plan month must lie inside the horizon (from 2026-07-01)
        doc["plans"][0]["months"].append({"month": "2026-08", "managers": draw(st.integers(0, 12))})
    return parse_scenario(yaml.safe_dump(doc), "<hypothesis>"), draw(st.integers(0, 2**16))


def one_run(scenario, seed, engine):
    resolved = resolve(scenario, stream(seed, 0, "params"))
    leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                           stream(seed, 0, "arrivals"))
    roster = build_roster(resolved, resolved.plans[0], stream(seed, 0, "team"))
    world = World(resolved, leads, roster)
    out = get_engine(engine)(world, stream(seed, 0, "dynamics"))
    offer_time = np.where(out.end == OFFER, out.offer_time, np.nan)
    deals = close_deals(resolved.funnel, offer_time, stream(seed, 0, "deals"))
    metrics, _ = measure(world, out, deals)
    return resolved, world, out, deals, metrics


@pytest.mark.parametrize("engine", ["des", "fast"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenarios())
def test_lead_states_money_and_span_rule(engine, case):
    scenario, seed = case
    resolved, world, out, _deals, m = one_run(scenario, seed, engine)
    leads, roster = world.leads, world.roster
    n_offsets = len(resolved.touch_chain.offsets)

    # Every lead ends in exactly one state, consistent with what happened to it.
    assert np.isin(out.end, np.arange(8)).all()
    not_reached = np.isin(out.end, (IN_CHAIN, NO_CONTACT, EXPIRED))
    assert (np.isnan(out.contact) == not_reached).all()
    assert (out.attempts <= n_offsets).all()
    assert (out.attempts[out.end == NO_CONTACT] == n_offsets).all()
    assert (np.isnan(out.first_attempt) == (out.attempts == 0)).all()
    touched = ~np.isnan(out.first_attempt)
    assert (out.first_attempt[touched] >= leads.created[touched]).all()
    assert (np.isnan(out.offer_time) == (out.end != OFFER)).all()
    offered = out.end == OFFER
    assert (out.offer_time[offered] >= out.contact[offered]).all()
    assert not leads.target[out.end == LOST_NONTARGET].any()
    buyers = np.isin(out.end, (LOST_UNQUALIFIED, AWAITING_PRESENTATION, LOST_NO_OFFER, OFFER))
    assert leads.target[buyers].all()

    # Stage counts never grow down the funnel.
    chain = [m["leads"], m["contacts"], m["qualified"], m["offers"], m["total_invoices"], m["won"]]
    assert chain == sorted(chain, reverse=True) and chain[-1] >= 0
    assert m["bank_approved"] <= m["links_filled"] <= m["links_sent"]
    assert m["untouched_leads"] + m["attempts"] >= m["leads"] - m["untouched_leads"]

    # Money adds up.
    assert np.isclose(m["revenue_net"], m["revenue_gross"] - m["refunds"])
    assert np.isclose(m["costs"], m["lead_cost"] + m["payroll"] + m["hiring_cost"])
    assert np.isclose(m["margin"], m["revenue_net"] - m["costs"])
    assert 0 <= m["refunds"] <= m["revenue_gross"] + 1e-6

    # The span rule is never broken.
    team = resolved.team
    ledger = roster.ledger
    joins = np.array(ledger.manager_joins, dtype=np.int64).reshape(-1, 2)
    for join_day in np.unique(joins[:, 0]) if joins.size else []:
        per_lead = np.bincount(joins[joins[:, 0] == join_day, 1])
        assert per_lead.max() <= team.hires_per_lead_month
    hired = roster.join_day >= 0
    initial = np.bincount(roster.team_lead[~hired], minlength=len(roster.team_lead_join_day))
    time_to_hire = resolved.plans[0].time_to_hire_days
    for join_day in np.unique(roster.join_day[hired]):
        alive = (roster.join_day <= join_day) & (roster.leave_day > join_day - time_to_hire)
        size = np.bincount(roster.team_lead[alive], minlength=len(initial))
        assert (size <= np.maximum(team.span_max, initial)).all()
    assert (ledger.made <= ledger.requested + np.concatenate([[0], ledger.deferred[:-1]])).all()
