"""Keys and values the model would ignore or misread are refused, not accepted in silence.

A scenario field the engines never read, a time of day past 24:00: each
used to validate and then do nothing, or something other than it says.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from simsales.scenario import InputError, parse_scenario

from .conftest import Q3

Q3_DOC = yaml.safe_load(Q3.read_text())


def _problems(doc: dict) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as info:
        parse_scenario(yaml.safe_dump(doc, sort_keys=False), "bad.yaml")
    return [(p.field, p.message) for p in info.value.problems]


@pytest.mark.parametrize("step", ["invoice_paid", "link_filled", "bank_approved"])
def test_a_call_on_a_clients_own_step_is_an_unknown_key(step):
    # The client pays, fills the link and the bank approves with no manager's call: the engines
    # never read a call_minutes there, so writing one must not look as if it cost the managers time.
    doc = copy.deepcopy(Q3_DOC)
    doc["funnel"][step]["call_minutes"] = 10
    [(field, message)] = _problems(doc)
    assert field == f"funnel.{step}.call_minutes"
    assert message.startswith("unknown key 'call_minutes'") and "p, delay_days" in message


def test_the_presentation_keeps_its_call_minutes():
    doc = copy.deepcopy(Q3_DOC)
    doc["funnel"]["offer"]["call_minutes"] = "25 min"
    scenario = parse_scenario(yaml.safe_dump(doc, sort_keys=False))
    assert scenario.funnel.offer.call_minutes.mean == 25.0


@pytest.mark.parametrize(("path", "written"), [
    (("team", "shifts", 0, "start"), "24:30"),
    (("calendar", "default"), "09:00-24:30"),
    (("calendar", "short_days"), {"2026-07-03": "10:00-24:01"}),
])
def test_a_time_of_day_past_24_00_is_refused(path, written):
    # 24:00 is the end of the day; "24:30" read as 00:30 of the next day is no time of day.
    doc = copy.deepcopy(Q3_DOC)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = written
    problems = _problems(doc)
    assert any("expected a time of day such as '09:00'" in m or "expected hours such as" in m
               for _, m in problems), problems


def test_24_00_closes_the_day():
    doc = copy.deepcopy(Q3_DOC)
    doc["calendar"]["default"] = "09:00-24:00"
    assert parse_scenario(yaml.safe_dump(doc, sort_keys=False)).calendar.hours(0) == (540, 1440)
