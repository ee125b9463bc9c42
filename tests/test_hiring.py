"""The span rule and the roster, on teams small enough to count by hand."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from simsales import montecarlo
from simsales.scenario.loader import parse_scenario
from simsales.scenario.uncertain import resolve
from simsales.world.ramp import ramp_factor
from simsales.world.roster import build_roster

from .conftest import SMALL


def scenario_with(team: dict, plan: dict):
    doc = yaml.safe_load(SMALL.read_text())
    doc["horizon_days"] = 92  # July to September
    doc["team"].update(team)
    doc["team"]["attrition"] = {"monthly": 0.0, "probation_monthly": 0.0}
    doc["plans"] = [plan]
    return parse_scenario(yaml.safe_dump(doc), "<hiring>")


TEAM = {
    "team_leads": [{"name": "old", "tenure_days": 400}, {"name": "new", "tenure_days": 10}],
    "managers": [{"team_lead": "old", "count": 5, "tenure_days": 300}],
    "span_max": 7,
    "hires_per_lead_month": 3,
    "lead_adaptation_days": 60,
}


def test_span_rule_defers_what_a_team_lead_cannot_take():
    plan = {"name": "p", "time_to_hire_days": 10, "months": [{"month": "2026-07", "managers": 6}]}
    ledger = build_roster(scenario_with(TEAM, plan), plan_of(plan), np.random.default_rng(0)).ledger
    # July: only "old" is adapted, with room for 2 (span 7, team 5).  "new"
    # adapts on day 50 (tenure 10 + 50 = 60), so August (day 31) is still
    # closed to it; September (day 62) opens it: 3 hires, the last deferred one
    # waits.
    assert list(ledger.made) == [2, 0, 3]
    assert list(ledger.deferred) == [4, 0, 0]
    assert [tl for _, tl in ledger.manager_joins] == [0, 0, 1, 1, 1]
    assert [day for day, _ in ledger.manager_joins] == [10, 10, 72, 72, 72]


def test_refuse_drops_the_excess_for_good():
    plan = {"name": "p", "on_cap": "refuse", "months": [{"month": "2026-07", "managers": 6}]}
    ledger = build_roster(scenario_with(TEAM, plan), plan_of(plan), np.random.default_rng(0)).ledger
    assert list(ledger.made) == [2, 0, 0] and list(ledger.refused) == [4, 0, 0]


def test_a_new_team_lead_must_adapt_before_hiring():
    team = dict(TEAM, lead_adaptation_days=30)
    plan = {"name": "p", "time_to_hire_days": 0,
            "months": [{"month": "2026-07", "managers": 2, "team_leads": 1},
                       {"month": "2026-08", "managers": 8}]}
    roster = build_roster(scenario_with(team, plan), plan_of(plan), np.random.default_rng(0))
    # August (day 31): old has 0 room (7), new (tenure 41) 3, the July hire (tenure 31) 3.
    assert list(roster.ledger.made) == [2, 6, 2]
    assert list(roster.team_lead_join_day) == [-400, -10, 0]


def test_ramp_table_and_coaching_load_slow_the_new_hires():
    team = dict(TEAM, span_max=20, hires_per_lead_month=10,
                coaching={"free_load": 0, "ramp_slowdown": 0.5, "team_penalty": 0.1,
                          "min_team_factor": 0.5},
                ramp={"months": [0.4, 0.7, 0.9]}, skill=1.0)
    plan = {"name": "p", "time_to_hire_days": 0, "months": [{"month": "2026-07", "managers": 4}]}
    roster = build_roster(scenario_with(team, plan), plan_of(plan), np.random.default_rng(0))
    hires = roster.join_day >= 0
    # Four hires in ramp load "old": the clock runs at 1 / (1 + 0.5 x 4) = 1/3.
    assert roster.coaching_load[0, 0] == 4
    assert (roster.throughput[hires, 40] == 0.4).all()  # 40 days = 13 ramp-clock days
    assert (roster.throughput[~hires, 40] == 1.0).all()
    # The rest of the team loses 10% per ramping manager: 1 - 0.4 = 0.6.
    np.testing.assert_allclose(roster.conversion[~hires, 0], 0.6)
    np.testing.assert_allclose(ramp_factor(roster_ramp(team), np.array([0, 31, 61, 92])),
                               [0.4, 0.7, 0.9, 1.0])


def roster_ramp(team):
    from simsales.scenario import Ramp

    return Ramp(**team["ramp"])


def plan_of(plan: dict):
    from simsales.scenario import HiringPlan

    return HiringPlan(**plan)


# --- hire quality (MODEL.md section 6, "quantity lowers quality") ---------------------------

QUALITY_TEAM = dict(TEAM, span_max=30, hires_per_lead_month=10, skill=1.0)


def test_n_hires_in_a_month_shift_the_skill_mean_by_the_stated_amount():
    team = dict(QUALITY_TEAM, hire_quality={"free_hires": 3, "skill_drop": 0.05, "min_factor": 0.5})
    plan = {"name": "p", "time_to_hire_days": 0, "months": [{"month": "2026-07", "managers": 7},
                                                            {"month": "2026-08", "managers": 2}]}
    roster = build_roster(scenario_with(team, plan), plan_of(plan), np.random.default_rng(0))
    hires = roster.join_day >= 0
    july = hires & (roster.join_day < 31)
    # 7 hires in July, 4 beyond the free 3: x (1 - 0.05 x 4) = 0.8; August's 2 are free.
    np.testing.assert_allclose(roster.skill[july], 0.8)
    np.testing.assert_allclose(roster.skill[hires & ~july], 1.0)
    assert (roster.skill[~hires] == 1.0).all()


def test_hire_quality_scales_each_draw_and_stops_at_its_floor():
    plan = {"name": "p", "time_to_hire_days": 0, "months": [{"month": "2026-07", "managers": 9}]}
    rosters = [build_roster(scenario_with(dict(QUALITY_TEAM, skill={"lognormal": {"mean": 1.0, "sd": 0.3}},
                                               hire_quality={"free_hires": 1, "skill_drop": drop}), plan),
                            plan_of(plan), np.random.default_rng(5)) for drop in (0.0, 0.04, 0.5)]
    hires = rosters[0].join_day >= 0
    # The same draws (common random numbers), times 1 - 0.04 x 8 = 0.68, then the floor 0.5.
    np.testing.assert_allclose(rosters[1].skill[hires], rosters[0].skill[hires] * 0.68)
    np.testing.assert_allclose(rosters[2].skill[hires], rosters[0].skill[hires] * 0.5)
    np.testing.assert_array_equal(rosters[1].skill[~hires], rosters[0].skill[~hires])


RAMPS = [{"logistic": {"midpoint_days": 30, "width_days": 10}}, {"months": [0.5, 0.8]}]


@pytest.mark.parametrize("ramp", RAMPS)
def test_a_floor_with_nobody_on_it_runs_and_reaches_no_lead(ramp):
    # No manager and no hire (validate accepts it): the logistic ramp's day walk once failed on the
    # empty team (a reshape of 0 managers). Both engines then run, and no lead is ever called.
    sc = scenario_with(dict(TEAM, managers=[], ramp=ramp), {"name": "hold"})
    for engine in ("fast", "des"):
        m = montecarlo.run(sc, replications=1, engine=engine).plans["hold"].metrics.iloc[0]
        assert m["leads"] > 0 and m["contact_rate"] == 0 and m["won"] == 0


@pytest.mark.parametrize("ramp", RAMPS)
def test_a_department_built_from_nobody_by_hires_runs_under_either_ramp(ramp):
    # A new department: the hires arrive and ramp under either kind of ramp.
    team = dict(TEAM, managers=[], ramp=ramp)
    sc = scenario_with(team, {"name": "build", "time_to_hire_days": 10,
                              "months": [{"month": "2026-07", "managers": 3}]})
    roster = build_roster(resolve(sc, np.random.default_rng(0)), sc.plans[0], np.random.default_rng(1))
    assert roster.n_managers == 3 and (roster.join_day >= 10).all()
    employed = roster.throughput > 0
    assert not employed[:, :10].any() and employed[:, -1].all()
    # Ramping: each hire converts more at the end of the quarter than in their first working week.
    first = roster.join_day.max() + 7
    assert (roster.conversion[:, -1] > roster.conversion[:, first]).all()
