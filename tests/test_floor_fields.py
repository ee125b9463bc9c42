"""Phase A's scenario fields: defaults that keep today's model, and clear errors for bad values."""

from __future__ import annotations

import pytest

from simsales.scenario import CrmMinutes, SkillWeights

from .test_validation import error_of, parse, q3


def without_floor_rules(doc: dict) -> dict:
    """q3 as data with the sales floor's fields taken out (q3 sets them): each rule at its default."""
    for key in ("crm_minutes", "skill_weights", "absence"):
        doc["team"].pop(key, None)
    for key in ("min_shift_left", "max_new_per_day", "ramp_share", "handover_after_hours"):
        doc["routing"].pop(key, None)
    for channel in doc["channels"]:
        channel.pop("unreachable_share", None)
        channel.pop("contact_factor", None)
    doc["touch_chain"].pop("nontarget_call_minutes", None)
    for key in ("cooling", "presentation_within_days", "closing"):
        doc["funnel"].pop(key, None)
    return doc


def test_the_defaults_are_todays_model():
    sc = parse(without_floor_rules(q3(7)))
    assert sc.team.crm_minutes == CrmMinutes(attempt=0, contact=0, offer=0)
    assert sc.team.skill_weights == SkillWeights(qualify=0, offer=1, close=0)
    assert (sc.routing.min_shift_left, sc.routing.max_new_per_day, sc.routing.ramp_share) == (0, None, 1)
    assert all(c.unreachable_share == 0 and c.contact_factor == 1 for c in sc.channels)
    assert sc.touch_chain.nontarget_call_minutes is None


@pytest.mark.parametrize(("where", "value", "field", "words"), [
    (("team", "crm_minutes"), {"atempt": 2}, "team.crm_minutes.atempt", ["attempt"]),
    (("team", "crm_minutes"), {"offer": -1}, "team.crm_minutes.offer", ["0"]),
    (("team", "skill_weights"), {"close": 9}, "team.skill_weights.close", ["4"]),
    (("team", "skill_weights"), {"ofer": 1}, "team.skill_weights.ofer", ["offer"]),
    (("routing", "ramp_share"), 1.5, "routing.ramp_share", ["1"]),
    (("routing", "ramp_share"), 0, "routing.ramp_share", ["0"]),
    (("routing", "max_new_per_day"), 2.5, "routing.max_new_per_day", ["whole"]),
    (("routing", "min_shift_left"), "2d", "routing.min_shift_left", ["1440", "2 d"]),
    (("team", "crm_minutes"), {"offer": 600}, "team.crm_minutes.offer", ["480"]),
    (("touch_chain", "nontarget_call_minutes"), -3, "touch_chain.nontarget_call_minutes", [">= 0"]),
])
def test_a_bad_value_names_its_field_and_what_was_expected(where, value, field, words):
    doc = q3(7)
    doc[where[0]][where[1]] = value
    err = error_of(doc)
    problem = next(p for p in err.problems if p.field == field)
    for word in words:
        assert word in problem.message, problem.message


def test_shares_of_a_channel_add_up_to_at_most_one():
    doc = q3(7)
    doc["channels"][2].update(nontarget_share=0.6, unreachable_share=0.5)
    err = error_of(doc)
    assert any(p.field == "channels[2]" and "unreachable_share" in p.message for p in err.problems)
    doc["channels"][2]["unreachable_share"] = 0.4
    assert parse(doc).channels[2].unreachable_share == 0.4


def test_caps_are_refused_under_a_shared_queue():
    doc = q3(7)
    for limit in ({"max_new_per_day": 20}, {"ramp_share": 0.5}, {"min_shift_left": 30}):
        doc["routing"] = {"policy": "shared_queue", **limit}
        err = error_of(doc)
        assert any(p.field == "routing" and "shared_queue" in p.message for p in err.problems), limit


def test_a_channel_factor_below_zero_is_refused():
    doc = q3(7)
    doc["channels"][0]["contact_factor"] = -0.5
    err = error_of(doc)
    assert any(p.field == "channels[0].contact_factor" and ">= 0" in p.message for p in err.problems)


def test_the_reports_assumptions_name_the_phase_a_rules_only_when_set():
    from simsales.report.assumptions import assumptions

    plain = dict(assumptions(parse(without_floor_rules(q3(7)))))
    assert "CRM work" not in plain and "shift left" not in plain["Routing"]
    doc = without_floor_rules(q3(7))
    doc["team"]["crm_minutes"] = {"attempt": 0.5, "contact": 2, "offer": 3}
    doc["routing"].update(min_shift_left=30, max_new_per_day=40)
    doc["channels"][0]["unreachable_share"] = 0.05
    said = dict(assumptions(parse(doc)))
    assert said["CRM work"] == "0.5 min after every attempt, 2 min more after a contact, 3 min after an offer"
    assert "less than 30 min of shift left" in said["Routing"] and "at most 40 new leads" in said["Routing"]
    assert "unreachable (broken numbers) 5%" in said["Channel context_ads"]
