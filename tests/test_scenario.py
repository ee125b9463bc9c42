"""Scenario files: validation errors name the file, the field and the line."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from pydantic import BaseModel

from simsales.scenario.loader import InputError, load_scenario, parse_scenario
from simsales.scenario.uncertain import Uncertain, resolve

from .conftest import Q3, SMALL


def small_text() -> str:
    return SMALL.read_text()


def broken(old: str, new: str) -> str:
    text = small_text()
    assert old in text
    return text.replace(old, new, 1)


def error_of(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse_scenario(text, "bad.yaml")
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_scenarios_validate():
    for path in (Q3, SMALL):
        scenario = load_scenario(path)
        assert scenario.plans


def test_unknown_key_is_an_error_with_its_line():
    text = broken("  talk_share: 0.6", "  talk_shar: 0.6")
    err = error_of(text)
    assert err.field == "team.talk_shar"
    assert err.line == line_of(text, "talk_shar:")
    assert "unknown key" in err.message
    assert str(err).startswith(f"bad.yaml:{err.line}: team.talk_shar:")


@pytest.mark.parametrize("blank", ['""', '"  "'])
def test_a_blank_currency_is_an_error_naming_the_field(blank):
    text = broken('name: "Small test team"', f'name: "Small test team"\ncurrency: {blank}')
    err = error_of(text)
    assert err.field == "currency" and err.line == line_of(text, "currency:")
    assert "such as RUB, EUR or USD" in err.message


def test_probability_above_one_names_the_field():
    text = broken("qualify: {beta: [40, 60]}", "qualify: 1.4")
    err = error_of(text)
    assert err.field == "funnel.qualify"
    assert "probability" in err.message
    assert err.line == line_of(text, "qualify: 1.4")


def test_an_unbounded_distribution_for_a_probability_is_told_how_to_bound_it():
    err = error_of(broken("qualify: {beta: [40, 60]}", "qualify: {mean: 0.3, sd: 0.03}"))
    assert err.field == "funnel.qualify" and "a beta" in err.message and "min: 0 and max: 1" in err.message
    for fixed in ("{beta: [30, 70]}", "{normal: [0.3, 0.03], min: 0, max: 1}"):  # both hints validate
        parse_scenario(broken("qualify: {beta: [40, 60]}", f"qualify: {fixed}"), "fixed.yaml")


def test_distribution_outside_unit_interval_for_a_probability():
    err = error_of(broken("qualify: {beta: [40, 60]}", "qualify: {uniform: [0.5, 1.5]}"))
    assert err.field == "funnel.qualify"


def test_negative_volume():
    err = error_of(broken("leads_per_day: 20", "leads_per_day: -20"))
    assert err.field == "channels[1].leads_per_day"
    assert ">= 0" in err.message


def test_wrong_type():
    err = error_of(broken("horizon_days: 21", "horizon_days: three weeks"))
    assert err.field == "horizon_days"


def test_empty_plan_list():
    text = small_text().split("plans:")[0] + "plans: []\n"
    err = error_of(text)
    assert err.field == "plans"


def test_missing_required_field():
    err = error_of(broken("name: \"Small test team\"\n", ""))
    assert err.field == "name" and "missing" in err.message


def test_yaml_syntax_error_has_a_line():
    text = broken("  talk_share: 0.6", "  talk_share: [0.6")
    err = error_of(text)
    assert "YAML syntax error" in err.message and err.line is not None


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert "no such file" in str(info.value)


def test_not_a_mapping():
    assert "mapping" in error_of("- just\n- a list\n").message


def test_unknown_team_lead():
    err = error_of(broken("{team_lead: boris, count: 2", "{team_lead: borys, count: 2"))
    assert "borys" in err.message


def test_durations_are_minutes():
    scenario = load_scenario(SMALL)
    assert scenario.touch_chain.offsets == [0.0, 30.0, 180.0, 1440.0]
    assert scenario.touch_chain.lead_ttl == 3 * 1440.0


def test_resolve_draws_every_uncertain_value_once_and_reproducibly():
    scenario = load_scenario(Q3)
    a = resolve(scenario, np.random.default_rng(5))
    b = resolve(scenario, np.random.default_rng(5))
    assert a == b

    def uncertain(obj) -> int:
        if isinstance(obj, Uncertain):
            return 1
        if isinstance(obj, BaseModel):
            return sum(uncertain(getattr(obj, f)) for f in type(obj).model_fields)
        if isinstance(obj, list | tuple):
            return sum(uncertain(v) for v in obj)
        return 0

    assert uncertain(scenario) > 10
    assert uncertain(a) == 0
    assert a.funnel.price.check == scenario.funnel.price.check  # per-deal, not drawn
    assert 0 <= a.funnel.qualify <= 1


def test_resolved_means_follow_the_distributions():
    scenario = parse_scenario(broken("qualify: {beta: [40, 60]}", "qualify: {beta: [40, 60]}"))
    draws = [resolve(scenario, np.random.default_rng(i)).funnel.qualify for i in range(2000)]
    se = np.std(draws) / np.sqrt(len(draws))
    assert abs(np.mean(draws) - 0.4) < 4 * se


def test_dump_reads_like_the_yaml():
    scenario = load_scenario(SMALL)
    dumped = scenario.model_dump(mode="json")
    assert yaml.safe_load(dumped["funnel"]["qualify"]) == {"beta": [40, 60]}


def test_talk_share_zero_is_refused():
    err = error_of(broken("talk_share: 0.6", "talk_share: 0"))
    assert err.field == "team.talk_share" and "talk share > 0" in err.message
