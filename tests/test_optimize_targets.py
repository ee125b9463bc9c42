"""`simsales optimize`: headcount targets (``headcount: N``, ``backfill``) as decisions.

The check worlds run the normal hiring code (:func:`~simsales.world.roster.build_roster`)
with deterministic leaving draws; these tests hold them to what the rules say: about the
expected number of managers leave, a target is met on its month's last day, every leaver
of a backfill plan opens a vacancy, the user's limits hold, and a target plan written out
by ``-o`` validates and runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from simsales import montecarlo
from simsales.analysis.optimize import Settings, optimize
from simsales.analysis.optimize_model import ExpectedValueModel
from simsales.analysis.optimize_space import Limits, Space, hiring_terms
from simsales.analysis.optimize_targets import Target, TargetSpace, as_target
from simsales.analysis.optimize_worlds import QuantileDraws, van_der_corput
from simsales.analysis.optimize_yaml import plan_document, with_plans
from simsales.montecarlo.replication import stream
from simsales.scenario import resolve
from simsales.scenario.loader import load_scenario, parse_scenario

from .conftest import Q3
from .test_optimize import parse, scenario_doc

LEAVING = {"attrition": {"monthly": 0.08, "probation_monthly": 0.2, "probation_days": 60}}


@pytest.fixture(scope="module")
def leaving():
    """The short-of-capacity team of test_optimize, with managers leaving (8% a month)."""
    return parse(scenario_doc(**LEAVING))


def target_space(scenario, limits: Limits | None = None) -> TargetSpace:
    model = ExpectedValueModel(scenario)
    return TargetSpace(Space(scenario, hiring_terms(scenario), limits or Limits()), model)


def test_quantile_draws_make_about_the_expected_number_of_leavers():
    # The first 2^k points of the base-2 sequence are k/2^k, ... : any interval [0, p) holds
    # n*p of the first n points, give or take the sequence's discrepancy (under log2(n) + 1).
    for n in (40, 150):
        points = [van_der_corput(k, 2) for k in range(1, n + 1)]
        assert len(set(points)) == n and min(points) > 0 and max(points) < 1
        for p in (0.05, 0.115, 0.3):
            assert abs(sum(u < p for u in points) - n * p) <= math.log2(n) + 1
    draws = QuantileDraws()
    assert draws.exponential() == pytest.approx(math.log(2))  # the median of Exp(1)
    assert draws.exponential() == pytest.approx(-math.log(0.75))


def test_nobody_leaving_makes_every_target_a_hire_n_plan(short=None):
    # Without attrition a target hires the same in every world: the hire-N candidate does it already.
    space = target_space(parse(scenario_doc()))
    assert space.enumerate() == []
    assert space.check(space.keep()) is not None


def test_every_target_is_met_on_its_month_s_last_day(leaving):
    space = target_space(leaving)
    found = space.enumerate()
    assert len(found) > 10 and any(c.backfill for c in found) and any(not c.backfill for c in found)
    month_end = [*(d - 1 for d in space.space.days[1:]), leaving.horizon_days - 1]
    met = blocked = 0
    for c in found:
        plan = c.plan("x", space.months, space.terms)
        for world in space.worlds.scenarios:  # by construction: the span rule blocks nothing there
            ledger = space.worlds.roster(world, plan).ledger
            assert not ledger.deferred.any() and not ledger.refused.any(), (c, world)
        for r in range(4):  # and in the replications: met wherever nothing was blocked
            roster = montecarlo_roster(leaving, plan, r)
            on_team = (roster.employed & (roster.standby_for < 0)[:, None]).sum(axis=0)
            for i, t in enumerate(c.targets):
                if t is None:
                    continue
                if roster.ledger.deferred[: i + 1].any() or roster.ledger.refused[: i + 1].any():
                    blocked += 1
                    continue
                assert on_team[month_end[i]] >= t, (c, r, i)
                met += 1
    assert met > 10 * max(blocked, 1)


def montecarlo_roster(scenario, plan, r: int):
    from simsales.world.roster import build_roster

    return build_roster(resolve(scenario, stream(7, r, "params")), plan, stream(7, r, "team"))


def test_backfill_replaces_every_leaver_and_the_model_values_them(leaving):
    space = target_space(leaving)
    keep = space.keep()
    assert space.check(keep) is None
    roster = space.worlds.roster("the expected leavers", keep.plan("keep", space.months, space.terms))
    days = leaving.horizon_days
    leavers = int(((roster.leave_day < days) & (roster.standby_for < 0) & (roster.join_day < 0)).sum())
    assert leavers >= 1
    # Every leaver (the team at the start, and hires who leave in turn) opens one vacancy.
    all_leavers = int(((roster.leave_day < days) & (roster.standby_for < 0)).sum())
    assert int(roster.ledger.made.sum()) == all_leavers
    f_keep = space.forecast(keep)
    f_hold = space.model.forecast(leaving.plans[0])
    assert f_keep.revenue_net > f_hold.revenue_net  # the team is short of capacity
    joined = sum(1 for join, _ in roster.ledger.manager_joins if join < days)
    assert f_keep.hiring_cost - f_hold.hiring_cost == pytest.approx(joined * space.terms.cost_per_hire)
    assert space.hires(keep) == joined


def test_limits_apply_to_targets(leaving):
    capped = target_space(leaving, Limits(max_headcount=6))
    found = capped.enumerate()
    assert found and all(t is None or t <= 6 for c in found for t in c.targets)
    for c in found:
        for world in capped.worlds.scenarios:
            r = capped.worlds.roster(world, c.plan("x", capped.months, capped.terms))
            assert (r.employed & (r.standby_for < 0)[:, None]).sum(axis=0).max() <= 6
    months = target_space(leaving, Limits(months=("2026-08",))).enumerate()
    assert months and all(not c.backfill and c.targets[0] is None and c.targets[2] is None for c in months)
    every = target_space(leaving)
    budget = sorted(every.cost(c) for c in every.enumerate())[3]
    cheap = target_space(leaving, Limits(budget=budget)).enumerate()
    assert 1 <= len(cheap) < len(every.enumerate()) and all(every.cost(c) <= budget for c in cheap)


def test_shipped_target_plans_are_decisions_and_plans_written_out_validate(tmp_path):
    q3 = load_scenario(Q3)
    space = target_space(q3)
    keep40 = as_target(q3.plan("keep40"), space.months, space.terms)
    assert keep40 == space.keep() and space.check(keep40) is None
    assert as_target(q3.plan("steady"), space.months, space.terms) is None
    c = Target((43, None, 44), True)
    assert space.check(c) is None
    assert c.rows(space.months) == [{"month": "2026-07", "headcount": 43, "team_leads": 0},
                                    {"month": "2026-08", "headcount": None, "team_leads": 0},
                                    {"month": "2026-09", "headcount": 44, "team_leads": 0}]
    plan = c.plan("opt-1", space.months, space.terms, "optimised #1")
    doc = plan_document(plan)
    assert doc["backfill"] is True and doc["months"] == [{"month": "2026-07", "headcount": 43},
                                                         {"month": "2026-09", "headcount": 44}]
    text = with_plans(Q3.read_text(), [plan], str(Q3), "added")
    again = parse_scenario(text, "<new>").plan("opt-1")
    assert again == plan
    assert as_target(again, space.months, space.terms) == c
    run = montecarlo.run(parse_scenario(text, "<new>"), plans=["opt-1"], replications=1, seed=3, workers=1)
    assert run.plans["opt-1"].metrics["hires_made"].iloc[0] > 0
    assert yaml.safe_load(text)["plans"][-1]["months"][0] == {"month": "2026-07", "headcount": 43}
    assert np.isfinite(space.cost(c)) and space.cost(c) > 0


def test_a_team_lead_who_leaves_can_take_the_room_and_such_plans_are_not_simulated():
    # Two leads with 2 managers each, span 5: a lead who leaves moves their managers to the
    # other's team, which fills it; the most-hiring plan then has nowhere to put its August hires.
    doc = scenario_doc(attrition={"team_lead_monthly": 0.3})
    scenario = parse(doc)
    space = Space(scenario, hiring_terms(scenario), Limits())
    worlds = TargetSpace(space, ExpectedValueModel(scenario)).worlds
    greedy = space.greedy_max()
    assert greedy.managers == (4, 2, 0) and space.check(greedy) is None  # fits with everybody staying
    roster = worlds.roster("the expected leavers", greedy.plan("x", space.months, space.terms))
    assert (roster.team_lead_leave_day < scenario.horizon_days).any()
    assert worlds.blocks(greedy.plan("x", space.months, space.terms)) is not None
    outcome = optimize(scenario, Settings(workers=1, replications=10))
    assert outcome.top and all(worlds.blocks(p.plan) is None for p in outcome.top)
