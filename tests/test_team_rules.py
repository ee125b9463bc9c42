"""Team rules of MODEL.md section 6 "(new)": probation inputs, team leads who leave, promotions.

Teams small enough to count by hand; the engines' probation decision has
its own tests (team-engine's), these check what the world gives them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from simsales.scenario import HiringPlan, InputError
from simsales.scenario.loader import parse_scenario
from simsales.world.calendar import MINUTES_PER_DAY
from simsales.world.roster import NEVER, build_roster
from simsales.world.staffing import Staffing
from simsales.world.team_leads import lead_leaves, place_waiting

from .conftest import SMALL

BASE_TEAM = {
    "team_leads": [{"name": "a", "tenure_days": 400}],
    "managers": [{"team_lead": "a", "count": 1, "tenure_days": 400}],
    "span_max": 20,
    "hires_per_lead_month": 10,
    "lead_adaptation_days": 60,
    "skill": 1.0,
    "ramp": {"months": [0.5]},
    "coaching": {"free_load": 1, "ramp_slowdown": 0.0, "team_penalty": 0.0, "min_team_factor": 0.5},
}


def doc_with(team: dict, plans: list[dict], attrition: dict | None = None) -> dict:
    doc = yaml.safe_load(SMALL.read_text())
    doc["horizon_days"] = 92  # July to September
    doc.setdefault("routing", {})["onboarding_days"] = 5
    doc["team"].update(team)
    doc["team"]["attrition"] = {"monthly": 0.0, "probation_monthly": 0.0, "probation_days": 45,
                                **(attrition or {})}
    doc["plans"] = plans
    return doc


def scenario_with(team: dict, plans: list[dict], attrition: dict | None = None):
    return parse_scenario(yaml.safe_dump(doc_with(team, plans, attrition), sort_keys=False), "<team>")


def hire(n: int, month: str = "2026-07", tth: int = 0, **extra) -> dict:
    return {"name": f"hire{n}", "time_to_hire_days": tth, "months": [{"month": month, "managers": n}],
            **extra}


PROBATION = {"bar": 0.6, "fire_chance": 0.3, "overload_step": 0.1}


# --- probation inputs -------------------------------------------------------------------

def test_probation_ends_on_the_last_minute_of_probation_for_hires_only():
    sc = scenario_with(dict(BASE_TEAM, probation=PROBATION), [hire(3, tth=10)])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    hires = roster.join_day >= 0
    # Hires join on day 10; 45 days of probation end with day 54, at its last minute.
    assert (roster.join_day[hires] == 10).all()
    assert (roster.probation_end[hires] == 55 * MINUTES_PER_DAY - 1).all()
    assert np.isinf(roster.probation_end[~hires]).all()  # the team at the start is not re-examined
    assert roster.probation_bar == 0.6


def test_no_probation_decision_past_the_horizon_or_without_the_rule():
    sc = scenario_with(dict(BASE_TEAM, probation=PROBATION), [hire(2, month="2026-09")])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    assert np.isinf(roster.probation_end).all()  # September 1 + 45 days is past September 30
    off = scenario_with(BASE_TEAM, [hire(2)])
    roster = build_roster(off, off.plans[0], np.random.default_rng(0))
    assert np.isinf(roster.probation_end).all() and (roster.fire_chance == 0).all()
    assert roster.probation_bar == 0.0


@pytest.mark.parametrize("n, chance", [(1, 0.3), (3, 0.5), (5, 0.7)])
def test_fire_chance_rises_with_the_coaching_load_during_the_ramp(n, chance):
    # n hires on day 0 under one lead with free_load 1: the lead coaches n newcomers every day
    # of their ramp (one month, no slowdown), so the excess is n - 1 on each of those days:
    # 0.3 + 0.1 x (n - 1).
    sc = scenario_with(dict(BASE_TEAM, probation=PROBATION), [hire(n)])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    hires = roster.join_day >= 0
    np.testing.assert_allclose(roster.fire_chance[hires], chance)
    assert (roster.fire_chance[~hires] == 0).all()


def test_fire_chance_stays_a_probability():
    sc = scenario_with(dict(BASE_TEAM, probation={"bar": 0.5, "fire_chance": 0.9, "overload_step": 1.0}),
                       [hire(8)])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    assert roster.fire_chance.max() == 1.0 and roster.fire_chance.min() >= 0.0


def test_ramped_from_is_the_first_day_past_the_ramp():
    sc = scenario_with(dict(BASE_TEAM, probation=PROBATION), [hire(2)])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    hires = roster.join_day >= 0
    # A one-month ramp (0.5) on a clock that runs a day a day: ramped on day ceil(30.44) = 31.
    assert (roster.ramped_from[hires] == 31 * MINUTES_PER_DAY).all()
    assert (roster.ramped_from[~hires] <= 0).all()  # ramped before the start


def test_fire_draws_are_common_random_numbers_across_plans():
    sc = scenario_with(dict(BASE_TEAM, probation=PROBATION), [hire(2), hire(6)])
    small, big = (build_roster(sc, p, np.random.default_rng(7)) for p in sc.plans)
    assert ((small.fire_draw >= 0) & (small.fire_draw < 1)).all()
    np.testing.assert_array_equal(small.fire_draw, big.fire_draw[:small.n_managers])
    np.testing.assert_array_equal(small.skill, big.skill[:small.n_managers])


# --- team leads who leave ---------------------------------------------------------------

THREE_TEAMS = dict(BASE_TEAM, span_max=7, team_leads=[{"name": n, "tenure_days": 400} for n in "abc"],
                   managers=[{"team_lead": "a", "count": 5, "tenure_days": 300},
                             {"team_lead": "b", "count": 2, "tenure_days": 300},
                             {"team_lead": "c", "count": 4, "tenure_days": 300}])


def staffing(team: dict) -> Staffing:
    sc = scenario_with(team, [{"name": "hold"}])
    return Staffing(sc, sc.plans[0], np.random.default_rng(0))


def test_a_leaving_team_lead_s_managers_go_to_the_most_room():
    staff = staffing(THREE_TEAMS)
    lead_leaves(staff, 0, 10)
    # Room: b 5, c 3.  One by one to the most room, ties to the lower index: b, b, b (3 = 3), c, b.
    assert [tl for _, _, tl in staff.moves] == [1, 1, 1, 2, 1]
    assert [day for _, day, _ in staff.moves] == [10] * 5
    assert list(staff.sizes(10)) == [0, 6, 5]


def test_without_room_they_wait_and_are_placed_when_room_opens():
    team = dict(THREE_TEAMS, span_max=6, managers=[{"team_lead": "a", "count": 5, "tenure_days": 300},
                                                   {"team_lead": "b", "count": 4, "tenure_days": 300},
                                                   {"team_lead": "c", "count": 5, "tenure_days": 300}])
    staff = staffing(team)
    staff.tl_leave[0] = 10
    lead_leaves(staff, 0, 10)
    assert [tl for _, _, tl in staff.moves] == [1, 1, 2, -1, -1]  # room b 2, c 1; two wait
    staff.leave[5] = 20  # one of b's managers (5 to 8) leaves on day 20: room for one
    place_waiting(staff, 31)
    assert [staff.cur_tl[m] for m in (3, 4)] == [1, -1]


def test_waiting_managers_convert_at_the_lowest_team_factor():
    team = dict(THREE_TEAMS, span_max=6, managers=[{"team_lead": "a", "count": 5, "tenure_days": 300},
                                                   {"team_lead": "b", "count": 6, "tenure_days": 300}],
                team_leads=[{"name": "a", "tenure_days": 400}, {"name": "b", "tenure_days": 400}])
    sc = scenario_with(team, [{"name": "hold"}], {"team_lead_monthly": 0.9})
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(3))
    waiting = roster.team_lead_by_day == -1
    assert waiting.any()
    np.testing.assert_allclose(roster.conversion[waiting & roster.employed], 0.5)  # skill 1, ramped
    left = roster.team_lead_leave_day
    assert ((left > 0) & (left <= 92)).any()


@pytest.mark.parametrize("seed", range(4))
def test_no_team_over_span_max_while_team_leads_leave(seed):
    plan = {"name": "grow", "time_to_hire_days": 5, "backfill": True,
            "months": [{"month": "2026-07", "managers": 6}, {"month": "2026-08", "headcount": 25}]}
    sc = scenario_with(THREE_TEAMS, [plan], {"team_lead_monthly": 0.3, "monthly": 0.1})
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(seed))
    counted = roster.standby_for < 0
    for day in range(roster.n_days):
        tl = roster.team_lead_by_day[counted & roster.employed[:, day], day]
        assert (np.bincount(tl[tl >= 0], minlength=len(roster.team_lead_join_day)) <= 7).all()
        gone = roster.team_lead_leave_day <= day
        assert not np.isin(tl, np.flatnonzero(gone)).any()  # no one under a lead who left


# --- promotions -------------------------------------------------------------------------

def test_promote_moves_the_best_ramped_manager():
    team = dict(THREE_TEAMS, skill={"lognormal": {"mean": 1.0, "sd": 0.3}}, ramp={"months": [0.4, 0.7, 0.9]},
                managers=[{"team_lead": "a", "count": 5, "tenure_days": 300},
                          {"team_lead": "b", "count": 4, "tenure_days": 10}])
    plan = {"name": "p", "months": [{"month": "2026-08", "promote": 1}]}
    sc = scenario_with(team, [plan])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(11))
    ramped = np.arange(5)  # the 300-day managers; the 10-day ones (41 days) are in a 91-day ramp on August 1
    best = int(ramped[np.argmax(roster.skill[ramped])])
    assert list(np.flatnonzero(roster.promoted_day >= 0)) == [best]
    assert roster.promoted_day[best] == 31 and roster.leave_day[best] == 31  # August 1 is day 31
    assert list(roster.team_lead_join_day) == [-400, -400, -400, 31]
    assert list(roster.team_lead_promoted) == [False, False, False, True]
    assert roster.employed[:, 30].sum() - roster.employed[:, 31].sum() == 1
    assert roster.ledger.promotions.tolist() == [0, 1, 0]


def test_a_promoted_lead_hires_only_after_adaptation():
    team = dict(THREE_TEAMS, lead_adaptation_days=30, span_max=5,
                managers=[{"team_lead": n, "count": 5, "tenure_days": 300} for n in "abc"])
    plan = {"name": "p", "months": [{"month": "2026-07", "promote": 1, "managers": 2},
                                    {"month": "2026-08", "managers": 2}]}
    sc = scenario_with(team, [plan])
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    # July 1: the new lead (promoted that day) is in adaptation and a, b, c: the promoted manager's
    # team has room for 1: one hire made, one deferred.  August 1: the new lead (31 days) hires.
    assert roster.ledger.made.tolist() == [1, 3, 0]
    assert roster.ledger.deferred.tolist() == [1, 0, 0]
    assert [tl for day, tl in roster.ledger.manager_joins if day >= 52] == [3, 3, 3]


# --- the scenario fields ----------------------------------------------------------------

def test_hires_and_a_headcount_target_in_one_month_is_an_error():
    both = {"month": "2026-07", "managers": 3, "headcount": 40}
    doc = doc_with(BASE_TEAM, [{"name": "p", "months": [both]}])
    with pytest.raises(InputError) as err:
        parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<team>")
    text = str(err.value)
    assert "plans[0].months[0].headcount" in text and "not both" in text


def test_a_misspelt_field_is_named_with_what_was_meant():
    doc = doc_with(BASE_TEAM, [{"name": "p", "backfil": True}])
    with pytest.raises(InputError, match="did you mean backfill"):
        parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<team>")
    doc = doc_with(dict(BASE_TEAM, probation={"bar": 0.6, "fire_chanse": 0.3}), [{"name": "p"}])
    with pytest.raises(InputError, match="did you mean fire_chance"):
        parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<team>")


def test_defaults_leave_the_rules_off():
    sc = scenario_with(BASE_TEAM, [hire(2)])
    assert sc.team.probation is None and sc.team.attrition.team_lead_monthly == 0
    assert sc.team.hire_quality.skill_drop == 0 and not sc.plans[0].backfill
    roster = build_roster(sc, sc.plans[0], np.random.default_rng(0))
    assert (roster.team_lead_leave_day == NEVER).all() and (roster.standby_for == -1).all()
    assert (roster.team_lead_by_day == roster.team_lead[:, None]).all()
    assert math.isinf(roster.probation_end.min())


def test_uncertain_rates_are_drawn_per_replication():
    from simsales.scenario.uncertain import resolve

    team = dict(BASE_TEAM, hire_quality={"free_hires": 0, "skill_drop": {"beta": [4, 96]}},
                probation={"bar": 0.6, "fire_chance": {"beta": [30, 70]}, "overload_step": 0.1})
    sc = scenario_with(team, [hire(2)], {"team_lead_monthly": {"beta": [2, 98]}})
    a, b = (resolve(sc, np.random.default_rng(s)) for s in (1, 2))
    assert a.team.hire_quality.skill_drop != b.team.hire_quality.skill_drop
    assert 0 < a.team.probation.fire_chance < 1 and 0 < a.team.attrition.team_lead_monthly < 1
    assert isinstance(HiringPlan(name="x", backfill=True).backfill, bool)
