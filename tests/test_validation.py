"""Validation refuses what `run` cannot do, says where and what was meant, and shows every problem.

The cases of issue 16: the seven inputs that crashed or hung a run after
validation said ok, the mistakes a new user made, the number forms, the
feasibility limits (each at its edge), and every problem shown at once.
"""

from __future__ import annotations

import copy
import datetime
import math
import pickle

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simsales.scenario import InputError, Problem, parse_scenario
from simsales.scenario import limits as lim
from simsales.scenario.checks import horizon_months
from simsales.scenario.loader import load_scenario
from simsales.scenario.yaml_loader import load_yaml

from .conftest import DATA, Q3, SMALL, queue_scenario

Q3_DOC = yaml.safe_load(Q3.read_text())


def q3(days: int = 92) -> dict:
    """q3 as data, shortened to ``days`` (plan months beyond the horizon dropped)."""
    doc = copy.deepcopy(Q3_DOC)
    doc["horizon_days"] = days
    months = horizon_months(doc["start"], days)
    for plan in doc["plans"]:
        plan["months"] = [m for m in plan.get("months", []) if m["month"] in months]
    return doc


def parse(doc: dict | str):
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
    return parse_scenario(text, "bad.yaml")


def error_of(doc: dict | str) -> InputError:
    with pytest.raises(InputError) as info:
        parse(doc)
    return info.value


def fields_of(err: InputError) -> list[str]:
    return [p.field for p in err.problems]


def line_of(text: str, needle: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if i > after and needle in line)


# -- the seven crashes and hangs of issue 16 -------------------------------------------------

def test_an_hour_profile_that_sums_to_zero_or_is_not_finite_is_refused():
    for profile, field in (([0.0] * 24, "channels[0].hour_profile"),
                           ([math.nan] * 24, "channels[0].hour_profile[0]"),
                           ([math.inf] + [1.0] * 23, "channels[0].hour_profile[0]"),
                           ([1e308] * 24, "channels[0].hour_profile"),
                           ([1.0] * 23 + [-1.0], "channels[0].hour_profile[23]"),
                           ([1.0] * 23, "channels[0].hour_profile")):
        doc = q3(7)
        doc["channels"][0]["hour_profile"] = profile
        assert field in fields_of(error_of(doc)), profile


def test_one_open_hour_is_a_profile_that_can_be_normalised():
    from simsales.scenario import resolve
    from simsales.world.arrivals import generate_leads

    doc = q3(7)
    doc["channels"][0]["hour_profile"] = [0.0] * 10 + [1e-300] + [0.0] * 13
    scenario = resolve(parse(doc), np.random.default_rng(0))
    leads = generate_leads(scenario.channels[:1], scenario.start, 7, np.random.default_rng(0))
    hours = (leads.created % 1440) // 60
    assert len(leads) > 0 and set(hours.tolist()) == {10.0}


def test_a_negative_gamma_sd_or_a_growth_below_minus_one_is_refused():
    doc = q3(7)
    doc["channels"][0]["leads_per_day"] = {"gamma": {"mean": 300, "sd": -5}}
    err = error_of(doc)
    assert err.field == "channels[0].leads_per_day" and "sd > 0" in err.message
    for growth in (-3, {"normal": [0.0, 1.0]}, {"uniform": [-2, 0.1]}):
        doc = q3(7)
        doc["channels"][0]["growth_per_month"] = growth
        err = error_of(doc)
        assert err.field == "channels[0].growth_per_month" and ">= -1" in err.message, growth
    doc = q3(7)
    doc["channels"][0]["growth_per_month"] = {"normal": [0.0, 0.14]}  # -1 is 7.1 sd away
    assert parse(doc).channels[0].growth_per_month.mean == 0.0


def test_a_volume_of_1e12_is_refused_with_the_limit_and_its_reason():
    doc = q3(7)
    doc["channels"][0]["leads_per_day"] = 1e12
    err = error_of(doc)
    assert err.field == "channels[0].leads_per_day"
    assert "at most 100,000 leads a day" in err.message and "never finish" in err.message


@pytest.mark.parametrize("count", [10**12, 1e30])
def test_a_manager_count_of_1e12_or_1e30_is_refused(count):
    doc = q3(7)
    doc["team"]["managers"][0]["count"] = count
    err = error_of(doc)
    assert err.field == "team.managers[0].count" and "at most 5,000 managers" in err.message


# -- the feasibility limits, each at its edge --------------------------------------------------

def _managers(doc: dict, n: int) -> None:
    doc["team"]["managers"] = [{"team_lead": "anna", "count": n, "tenure_days": 400}]
    doc["plans"] = [{"name": "hold"}]


@pytest.mark.parametrize(("limit", "path", "set_value"), [
    (lim.MAX_MANAGERS, "team.managers", _managers),
    (lim.MAX_REPLICATIONS, "replications", lambda d, n: d.update(replications=n)),
    (lim.MAX_OVERDISPERSION, "channels[0].overdispersion",
     lambda d, n: d["channels"][0].update(overdispersion=n)),
    (lim.MAX_DAYS, "team.managers[0].tenure_days",
     lambda d, n: d["team"]["managers"][0].update(tenure_days=n)),
    (lim.MAX_ATTEMPTS, "touch_chain.offsets",
     lambda d, n: d["touch_chain"].update(offsets=list(range(int(n))), p_contact=[0.3])),
])
def test_each_limit_accepts_its_value_and_refuses_one_more(limit, path, set_value):
    doc = q3(7)
    set_value(doc, limit.value)
    parse(doc)
    set_value(doc, limit.value + 1)
    err = error_of(doc)
    assert any(p.field.startswith(path) and limit.reason in p.message for p in err.problems)


def test_the_horizon_limit_is_three_years():
    doc = q3(7)
    doc["horizon_days"] = lim.MAX_HORIZON_DAYS.value
    doc["channels"] = doc["channels"][2:]  # a small volume: the leads limit is not the one tested
    assert parse(doc).horizon_days == 1096
    doc["horizon_days"] += 1
    assert error_of(doc).field == "horizon_days"


def test_the_leads_of_a_replication_are_bounded_by_what_the_fast_engine_can_number():
    from simsales.engines.fast.queues import MAX_LEADS

    assert lim.MAX_LEADS_PER_REPLICATION.value <= MAX_LEADS
    doc = q3(7)
    doc["horizon_days"] = 1000
    doc["channels"] = [{"name": "a", "leads_per_day": 4500}, {"name": "b", "leads_per_day": 4500}]
    err = error_of(doc)  # 9,000 a day for 1,000 days: each channel is fine, the sum is not
    assert err.field == "channels" and "9,000,000" in err.message and "23 bits" in err.message
    doc["channels"][1]["leads_per_day"] = 3500
    assert len(parse(doc).channels) == 2


def test_growth_counts_towards_the_busiest_day():
    doc = q3(7)
    doc["horizon_days"] = 365
    doc["channels"] = [{"name": "a", "leads_per_day": 1000, "growth_per_month": 0.5}]
    err = error_of(doc)  # 1000 x 1.5 ** (364 / 30.44) = 127,000 on the last day
    assert err.field == "channels[0].leads_per_day" and "busiest day" in err.message
    doc["channels"][0]["growth_per_month"] = 0.4  # 1000 x 1.4 ** 11.96 = 56,000
    parse(doc)


def test_plan_hires_count_towards_the_manager_limit():
    doc = q3()
    doc["plans"][1]["months"][0]["managers"] = lim.MAX_MANAGERS.value - 40 + 1 - 6
    err = error_of(doc)  # 40 at the start + (4961 + 6) hires
    assert err.field == "plans[1].months" and "40 at the start" in err.message


def test_limits_are_documented_with_their_reasons():
    assert set(lim.LIMITS.values()) >= {lim.MAX_MANAGERS, lim.MAX_LEADS_PER_DAY, lim.MAX_HORIZON_DAYS,
                                         lim.MAX_ATTEMPTS, lim.MAX_REPLICATIONS}
    for limit in lim.LIMITS.values():
        assert limit.value > 0 and len(limit.reason) > 40


# -- cross-checks --------------------------------------------------------------------------------

def test_a_plan_month_outside_the_horizon_is_an_error_with_a_guess():
    doc = q3()
    doc["plans"][1]["months"][1]["month"] = "2027-08"
    text = yaml.safe_dump(doc, sort_keys=False)
    err = error_of(text)
    assert err.field == "plans[1].months[1].month"
    assert err.line == line_of(text, "month: 2027-08")
    assert "2027-08 is outside the horizon 2026-07-01 .. 2026-09-30; did you mean 2026-08?" in err.message
    doc["plans"][1]["months"][1]["month"] = "2026-06"  # before the start
    err = error_of(doc)
    assert err.field == "plans[1].months[1].month" and "2026-06 is outside" in err.message


def test_a_date_or_month_written_another_way_names_what_was_probably_meant():
    # A head of sales in Russia writes 01.07.2026; the error said only "expected a date such as ...".
    cases = [
        (("start",), "01.07.2026", "start", "did you mean 2026-07-01?"),
        (("start",), "2026/07/01", "start", "did you mean 2026-07-01?"),
        (("start",), "2026-13-07", "start", "did you mean 2026-07-13?"),
        (("start",), "07/01/2026", "start",
         "day or month first? write the year first: 2026-01-07 or 2026-07-01"),
        (("calendar", "holidays"), ["2026-07-01", "23.08.2026"], "calendar.holidays[1]",
         "did you mean 2026-08-23?"),
        (("plans", 1, "months", 1, "month"), "08.2026", "plans[1].months[1].month",
         "did you mean '2026-08'?"),
        (("plans", 1, "months", 1, "month"), "2026-8", "plans[1].months[1].month",
         "did you mean '2026-08'?"),
    ]
    for path, value, field, hint in cases:
        doc = q3()
        at = doc
        for key in path[:-1]:
            at = at[key]
        at[path[-1]] = value
        err = error_of(doc)
        assert err.field == field and hint in err.message, (value, err.field, err.message)
    doc = q3()
    doc["start"] = "31.02.2026"  # no such day: no guess
    assert "did you mean" not in error_of(doc).message


def test_a_day_its_month_does_not_have_is_an_error_with_its_line_not_a_traceback():
    # Unquoted in YAML, 2026-07-32 is shaped like a date: PyYAML raised a bare ValueError ("day is
    # out of range for month") and `simsales run` printed a traceback with exit status 1.
    text = Q3.read_text(encoding="utf-8")
    cases = [
        ("start: 2026-07-01", "start: 2026-07-32", "start", "July 2026 has 31 days"),
        ("start: 2026-07-01", "start: 2026-02-29", "start", "February 2026 has 28 days"),
        ('  sun: "10:00-19:00"', '  sun: "10:00-19:00"\n  holidays: [2026-08-01, 2026-09-31]',
         "calendar.holidays[1]", "September 2026 has 30 days"),
        ('  sun: "10:00-19:00"', '  sun: "10:00-19:00"\n  holidays: [2026-08-30..2026-09-31]',
         "calendar.holidays[0]", "September 2026 has 30 days"),
    ]
    for old, new, field, says in cases:
        assert old in text
        bad = text.replace(old, new, 1)
        with pytest.raises(InputError) as caught:
            parse_scenario(bad, "q3.yaml")
        err = caught.value
        assert err.field == field and says in err.message and "did you mean" not in err.message, err
        assert err.line == line_of(bad, new.split("\n")[-1].strip()), (err.line, new)
    assert load_yaml("start: 2028-02-29") == {"start": datetime.date(2028, 2, 29)}  # a leap day is a day


def test_a_day_its_month_does_not_have_exits_2_from_the_command_line(tmp_path):
    from simsales.cli import app

    bad = tmp_path / "q3.yaml"
    bad.write_text(Q3.read_text(encoding="utf-8").replace("start: 2026-07-01", "start: 2026-07-32"))
    outcome = CliRunner().invoke(app, ["run", str(bad), "-n", "1"])
    assert outcome.exit_code == 2, outcome.output
    assert "q3.yaml:5: start: expected a date such as 2026-07-01, got '2026-07-32'" in outcome.output
    assert "Traceback" not in outcome.output


def test_a_month_given_twice_in_a_plan_is_an_error():
    doc = q3()
    doc["plans"][1]["months"][1]["month"] = "2026-07"
    err = error_of(doc)
    assert err.field == "plans[1].months[1].month" and "already months[0]" in err.message


def test_shift_shares_must_sum_to_one_and_the_error_says_the_sum():
    doc = q3()
    others = sum(shift["share"] for shift in doc["team"]["shifts"][1:])
    doc["team"]["shifts"][0]["share"] = 0.75
    err = error_of(doc)
    assert err.field == "team.shifts" and f"= {0.75 + others:g}" in err.message and 0.75 + others != 1
    doc["team"]["shifts"][0]["share"] = 1 - others + 1e-7  # within the tolerance
    parse(doc)
    for shift in doc["team"]["shifts"]:
        del shift["share"]  # none given: equal shares
    parse(doc)
    doc["team"]["shifts"][0]["share"] = 0.5  # one given, one not
    assert "give every shift a share, or none" in error_of(doc).message


def test_duplicate_names_point_at_the_second_entry():
    for section, index, field in (("channels", 1, "channels[1].name"), ("plans", 2, "plans[2].name")):
        doc = q3()
        doc[section][index]["name"] = doc[section][0]["name"]
        text = yaml.safe_dump(doc, sort_keys=False)
        err = error_of(text)
        assert err.field == field and "already used by" in err.message
    doc = q3()
    doc["team"]["shifts"][1]["name"] = "weekday"
    assert error_of(doc).field == "team.shifts[1].name"


def test_an_unknown_team_lead_points_at_the_entry_and_lists_the_known_ones():
    text = Q3.read_text().replace("{team_lead: boris, count: 3", "{team_lead: borys, count: 3")
    err = error_of(text)
    assert err.field == "team.managers[3].team_lead"
    assert err.line == line_of(text, "team_lead: borys")
    assert "the team leads are anna, boris, vera, gleb; did you mean boris?" in err.message


def test_shift_hours_meet_the_calendar():
    doc = q3()
    doc["calendar"].update(default="09:00-21:00", sun="10:00-19:00")
    doc["team"]["shifts"][0].update(start="22:00", hours=9)  # past midnight, but the floor closes at 21:00
    err = error_of(doc)
    assert err.field == "team.shifts[0]" and "never meets" in err.message
    doc["calendar"]["default"] = "09:00-02:00"  # open past midnight: a night shift is fine
    doc["calendar"]["sun"] = "10:00-02:00"
    assert parse(doc).team.shifts[0].hours == 9
    doc = q3()
    doc["calendar"].update(default="09:00-21:00", sun="10:00-19:00")
    doc["team"]["shifts"][0].update(start="21:30", hours=2)  # working hours end at 21:00 at the latest
    err = error_of(doc)
    assert err.field == "team.shifts[0]" and "never meets" in err.message


def test_offsets_in_order_and_p_contact_per_attempt_or_for_all():
    doc = q3()
    doc["touch_chain"]["offsets"] = ["0m", "1h", "10m", "3h", "1d", "2d", "4d"]
    err = error_of(doc)
    assert err.field == "touch_chain.offsets[2]" and "10 min comes before offsets[1] = 1 h" in err.message
    doc = q3()
    doc["touch_chain"]["p_contact"] = [0.3, 0.2]
    err = error_of(doc)
    assert err.field == "touch_chain.p_contact"
    assert "the chain has 7 offsets" in err.message and "got 2" in err.message
    doc["touch_chain"]["p_contact"] = [0.3]
    assert parse(doc).touch_chain.contact_chance(6) == 0.3


def test_one_contact_chance_written_without_brackets_is_one_for_all():
    # The README: "p_contact has one value or one per attempt"; a head of sales writes the one value bare.
    for bare, listed in ((0.3, [0.3]), ("30%", ["30%"]), ({"beta": [30, 70]}, [{"beta": [30, 70]}])):
        doc = q3()
        doc["touch_chain"]["p_contact"] = bare
        chain = parse(doc).touch_chain
        doc["touch_chain"]["p_contact"] = listed
        assert chain == parse(doc).touch_chain
    doc["touch_chain"]["p_contact"] = 85
    err = error_of(doc)
    assert err.field.startswith("touch_chain.p_contact") and "did you mean 0.85" in err.message


def test_a_floor_beside_a_decay_table_is_refused_not_ignored():
    doc = q3()
    doc["touch_chain"]["decay"] = {"table": [["0m", 1.0], ["2h", 0.5]], "floor": 0.3}
    err = error_of(doc)
    assert err.field == "touch_chain.decay" and "floor (0.3) applies to half_life only" in err.message
    doc["touch_chain"]["decay"]["floor"] = 0
    assert parse(doc).touch_chain.decay.table is not None


def test_a_key_given_twice_is_an_error():
    text = Q3.read_text().replace("  span_max: 12\n", "  span_max: 12\n  span_max: 8\n")
    err = error_of(text)
    assert err.field == "team.span_max" and "given twice" in err.message
    assert err.line == line_of(text, "span_max: 8")


# -- every problem, each on its own line ---------------------------------------------------------

def test_a_typo_in_a_required_key_shows_the_unknown_key_first_then_the_missing_field():
    text = Q3.read_text().replace("leads_per_day: {triangular: [150, 170, 190]}",
                                  "leads_per_dya: {triangular: [150, 170, 190]}")
    err = error_of(text)
    assert [p.field for p in err.problems] == ["channels[1].leads_per_dya", "channels[1].leads_per_day"]
    assert err.problems[0].message == "unknown key 'leads_per_dya'; did you mean leads_per_day?"
    assert err.problems[0].line == line_of(text, "leads_per_dya")
    assert "required field is missing" in err.problems[1].message
    lines = str(err).splitlines()
    assert len(lines) == 2
    first = err.problems[0]
    assert lines[0] == f"bad.yaml:{first.line}: channels[1].leads_per_dya: {first.message}"
    assert lines[1].startswith(f"bad.yaml:{err.problems[1].line}: channels[1].leads_per_day:")


def test_unrelated_problems_are_all_shown_in_file_order():
    doc = q3()
    doc["funnel"]["qualify"] = 1.4
    doc["channels"][2]["cpl"] = -5
    doc["team"]["span_max"] = 2.5
    err = error_of(doc)
    assert fields_of(err) == ["channels[2].cpl", "funnel.qualify", "team.span_max"]
    assert [p.line for p in err.problems] == sorted(p.line for p in err.problems)
    assert "expected a whole number, got 2.5" in err.problems[2].message


def _span_max_on_line_100() -> str:
    """q3 with comment lines added (or its leading comments dropped) so ``span_max`` is on line 100."""
    lines = Q3.read_text().splitlines()
    top = [i for i, line in enumerate(lines) if line[:1].isalpha()]  # top-level keys
    team = next(i for i in top if lines[i].startswith("team:"))
    end = next((i for i in top if i > team), len(lines))
    first = next(i for i in top if not lines[i].startswith(("name:", "start:")))
    lines = lines[:first] + lines[team:end] + lines[first:team] + lines[end:]  # the team first: order is free
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("span_max:"))
    while at > 99 and lines[0].startswith("#"):
        lines, at = lines[1:], at - 1
    while at > 99:  # then comment-only and blank lines above it
        drop = next(i for i in range(at) if not lines[i].strip() or lines[i].lstrip().startswith("#"))
        lines, at = lines[:drop] + lines[drop + 1:], at - 1
    lines = ["# padding"] * (99 - at) + lines
    assert lines[99].strip().startswith("span_max:")
    return "\n".join(lines) + "\n"


def test_an_error_on_line_100_names_line_100(tmp_path):
    text = _span_max_on_line_100()
    path = tmp_path / "b2c_units.yaml"
    path.write_text(text.replace("span_max: 12", "span_max: 0"))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert str(info.value) == f"{path}:100: team.span_max: expected a number >= 1, got 0"


def test_the_cli_prints_a_line_number_literally(tmp_path):
    from simsales.cli import app

    path = tmp_path / "b2c_units.yaml"
    path.write_text(_span_max_on_line_100().replace("span_max: 12", "span_max: 0"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "b2c_units.yaml:100: team.span_max:" in result.output.replace("\n", "")


def test_input_error_keeps_its_attributes_and_text():
    single = InputError("f.yaml", "no such file")
    assert (single.file, single.message, single.field, single.line) == ("f.yaml", "no such file", "", None)
    assert str(single) == "f.yaml: no such file"
    assert str(InputError("f.yaml", "bad", "a.b", 3)) == "f.yaml:3: a.b: bad"
    many = InputError.of("f.yaml", [Problem("a", 2, "first"), Problem("", None, "second")])
    assert (many.message, many.field, many.line) == ("first", "a", 2)
    assert str(many) == "f.yaml:2: a: first\nf.yaml: second"
    again = pickle.loads(pickle.dumps(many))
    assert again == many and str(again) == str(many)


# -- number forms and durations ------------------------------------------------------------------

def test_a_scenario_without_plans_says_what_to_write():
    # "plans: required field is missing" left a head of sales who wants today's team alone guessing.
    doc = q3()
    del doc["plans"]
    err = error_of(doc)
    assert err.field == "plans" and "required field is missing" in err.message
    assert "plans: [{name: hold}]" in err.message
    doc["plans"] = []
    assert "plans: [{name: hold}]" in error_of(doc).message
    doc = q3()
    doc["plan"] = doc.pop("plans")  # a misspelling: said as such, not the hint
    messages = [p.message for p in error_of(doc).problems]
    assert "required field is missing (is 'plan' a misspelling of it?)" in messages


def test_a_shifts_hours_may_be_written_with_their_unit():
    # "Durations are numbers in the field's unit or a number with a unit of time": `hours: 9h` was
    # refused as "expected a number such as 0.15, 15%, 40k ...".
    for given, hours in (("9h", 9.0), ("8 hours", 8.0), ("510 min", 8.5), ("9", 9.0), (9, 9.0)):
        doc = q3()
        doc["team"]["shifts"][0]["hours"] = given
        assert parse(doc).team.shifts[0].hours == hours, given
    doc["team"]["shifts"][0]["hours"] = "25h"
    err = error_of(doc)
    assert err.field == "team.shifts[0].hours" and "<= 24" in err.message


def test_numbers_written_the_russian_way_say_what_was_probably_meant():
    # Before, "1 500" (digits grouped by a space) and "15 млн" got only "expected a number such as ...".
    cases = {"1 500": "did you mean 1500?", "1\u00a0500\u00a0000": "did you mean 1500000?",
             "1 234,50": "did you mean 1234.50?", "15 млн": "did you mean 15M?",
             "40 тыс.": "did you mean 40k?", "40к": "did you mean 40k?", "1,2 млрд": "did you mean 1.2bn?",
             "1,5": "did you mean 1.5?"}
    for given, hint in cases.items():
        doc = q3()
        doc["channels"][2]["cpl"] = given
        err = error_of(doc)
        assert err.field == "channels[2].cpl" and hint in err.message, (given, err.message)
    doc = q3()
    doc["channels"][2]["cpl"] = "1 50"  # not groups of three: no guess
    assert "did you mean" not in error_of(doc).message


def test_percentages_suffixes_and_underscores_are_accepted_everywhere():
    doc = q3()
    doc["funnel"]["offer"]["p"] = "15%"
    doc["revenue_plan"] = "750M"
    doc["channels"][2]["leads_per_day"] = "1_000"
    doc["channels"][2]["cpl"] = "1,250"
    doc["channels"][1]["weekday_profile"] = ["100%", "100%", "100%", "100%", "100%", "105%", "110%"]
    doc["channels"][0]["leads_per_day"] = {"triangular": ["0.29k", "0.32k", "0.35k"]}
    doc["economics"]["manager_salary_month"] = "70k"
    doc["economics"]["commission_share"] = "6%"
    doc["funnel"]["price"]["check"] = {"normal": ["62k", "12k"], "min": "20k", "max": "0.15M"}
    doc["benchmarks"]["revenue_per_manager"] = "1.2bn"
    scenario = parse(doc)
    assert scenario.funnel.offer.p == pytest.approx(0.15)
    assert scenario.revenue_plan == 750e6
    assert scenario.channels[2].leads_per_day == 1000.0 and scenario.channels[2].cpl == 1250.0
    assert scenario.channels[1].weekday_profile[5] == pytest.approx(1.05)
    assert scenario.channels[0].leads_per_day.dist.hi == pytest.approx(350.0)
    assert scenario.economics.manager_salary_month == 70_000.0
    assert scenario.economics.commission_share == pytest.approx(0.06)
    assert scenario.funnel.price.check.hi == pytest.approx(150_000.0)
    assert scenario.benchmarks.revenue_per_manager == 1.2e9
    assert parse(q3()) == load_scenario(Q3)  # the plain forms give the same scenario


def test_a_probability_written_as_a_percentage_says_what_was_meant():
    doc = q3()
    doc["funnel"]["offer"]["p"] = 85
    err = error_of(doc)
    assert err.field == "funnel.offer.p"
    assert err.message == "expected a probability in [0, 1], got 85; did you mean 0.85 (85%)?"
    doc["funnel"]["offer"]["p"] = 850
    assert "did you mean" not in error_of(doc).message
    doc = q3()
    doc["economics"]["commission_share"] = 6
    assert "did you mean 0.06 (6%)?" in error_of(doc).message


@pytest.mark.parametrize("value", [1.1, 1.5, 150])
def test_a_share_just_past_1_is_not_read_as_a_percentage(value):
    """1.1 for a probability is a share past its end, not 1.1%: the hint offered "0.011 (1.1%)"."""
    doc = q3()
    doc["funnel"]["offer"]["p"] = value
    assert error_of(doc).message == f"expected a probability in [0, 1], got {value:g}"
    doc = q3()
    doc["benchmarks"]["contact_rate"] = value
    assert error_of(doc).message == f"expected a number between 0 and 1, got {value:g}"
    doc = q3()
    doc["team"]["ramp"] = {"months": [0.4, value]}
    assert "did you mean" not in error_of(doc).message
    doc = q3()
    doc["funnel"]["offer"]["p"] = {"uniform": [0.5, value]}
    assert "percentages" not in error_of(doc).message


def test_a_number_that_reads_as_a_percentage_gets_the_range_and_the_percentage():
    doc = q3()
    doc["benchmarks"]["contact_rate"] = 35
    assert error_of(doc).message == "expected a number between 0 and 1, got 35; did you mean 0.35 (35%)?"
    doc = q3()
    doc["funnel"]["offer"]["p"] = 2
    assert error_of(doc).message.endswith("got 2; did you mean 0.02 (2%)?")


def test_every_field_at_most_1_is_at_least_0_as_its_message_says():
    """The message of a number above 1 says "between 0 and 1": no field capped at 1 may go below 0."""
    from simsales.scenario import Scenario

    def walk(node):
        if isinstance(node, dict):
            if node.get("maximum") == 1:
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    capped = list(walk(Scenario.model_json_schema()))
    assert capped
    assert all(c.get("minimum") == 0 or c.get("exclusiveMinimum") == 0 for c in capped), capped


@pytest.mark.parametrize(("written", "minutes"), [
    ("10 minutes", 10), ("10 min", 10), ("10m", 10), ("2 hours", 120), ("1.5h", 90), ("1 day", 1440),
    ("5 days", 7200), ("2d", 2880), ("1 week", 10080), (90, 90), ("90", 90)])
def test_durations_in_words_are_read_as_minutes(written, minutes):
    doc = q3()
    doc["touch_chain"]["offsets"] = ["0m"]  # every attempt within any lead_ttl below (later ones are refused)
    doc["touch_chain"]["p_contact"] = [0.5]
    doc["touch_chain"]["dial_minutes"] = written
    doc["touch_chain"]["lead_ttl"] = written
    chain = parse(doc).touch_chain
    assert chain.dial_minutes == minutes and chain.lead_ttl == minutes


def test_a_bad_duration_gets_the_same_wording_in_every_duration_field():
    messages = []
    for field in ("dial_minutes", "lead_ttl"):
        doc = q3()
        doc["touch_chain"][field] = "10 minuts"
        err = error_of(doc)
        assert err.field == f"touch_chain.{field}"
        messages.append(err.message)
    assert messages[0] == messages[1]
    assert "'10 minutes', '10 min', '10m', '2 hours'" in messages[0]
    assert "unknown unit 'minuts'" in messages[0]


def test_day_fields_read_durations_in_days():
    doc = q3()
    doc["plans"][1]["time_to_hire_days"] = "3 weeks"
    doc["funnel"]["refunds"]["window_days"] = "36h"
    doc["funnel"]["offer"]["delay_days"] = "12 hours"
    doc["funnel"]["offer"]["call_minutes"] = "25 minutes"
    scenario = parse(doc)
    assert scenario.plans[1].time_to_hire_days == 21
    assert scenario.funnel.refunds.window_days == 1.5
    assert scenario.funnel.offer.delay_days.mean == 0.5
    assert scenario.funnel.offer.call_minutes.mean == 25
    doc["plans"][1]["time_to_hire_days"] = "36h"
    assert "whole number of days" in error_of(doc).message


# -- non-finite numbers, anywhere ----------------------------------------------------------------

def _numeric_paths(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numeric_paths(value, (*path, i))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _dotted(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def test_nan_or_inf_in_any_number_of_q3_is_refused_at_that_number():
    paths = [p for p in _numeric_paths(Q3_DOC) if p[0] != "seed"]
    assert len(paths) > 150
    for i, path in enumerate(paths):
        doc = copy.deepcopy(Q3_DOC)
        _set(doc, path, math.nan if i % 2 else math.inf)
        err = error_of(doc)
        # The problem is at the number, or at the distribution or list that holds it.
        assert any(_dotted(path).startswith(p.field) and p.field for p in err.problems), (path, str(err))


# -- monthly revenue plans, objective, labels (issue 17) -----------------------------------------

def test_a_monthly_revenue_plan_is_summed_and_kept_by_month():
    doc = q3()
    doc["revenue_plan"] = {"2026-07": "60M", "2026-08": 70_000_000, "2026-09": "7.5e7"}
    scenario = parse(doc)
    assert scenario.revenue_plan == 205e6
    assert scenario.revenue_plan_months == {"2026-07": 60e6, "2026-08": 70e6, "2026-09": 75e6}
    again = type(scenario).model_validate(scenario.model_dump())
    assert again == scenario
    assert load_scenario(Q3).revenue_plan_months == {}
    doc["revenue_plan"] = {"2026-07": "60M"}  # a month left out has no target
    assert parse(doc).revenue_plan == 60e6


def test_a_monthly_revenue_plan_outside_the_horizon_or_negative_is_refused_at_its_line():
    doc = q3()
    doc["revenue_plan"] = {"2026-07": "60M", "2027-08": "70M", "2026-09": -5}
    text = yaml.safe_dump(doc, sort_keys=False)
    err = error_of(text)
    assert fields_of(err) == ["revenue_plan.2027-08", "revenue_plan.2026-09"]
    assert err.line == line_of(text, "2027-08")
    assert "did you mean 2026-08?" in err.message
    assert "expected an amount >= 0" in err.problems[1].message


def test_objective_and_label():
    scenario = load_scenario(Q3)
    assert scenario.objective == "revenue_net"
    assert [p.label for p in scenario.plans] == [p.name for p in scenario.plans]
    doc = q3()
    doc["objective"] = "margin"
    doc["plans"][1]["label"] = "Steady: +6 a month"
    scenario = parse(doc)
    assert scenario.objective == "margin" and scenario.plans[1].label == "Steady: +6 a month"
    doc["objective"] = "margni"
    err = error_of(doc)
    assert err.field == "objective" and "did you mean margin?" in err.message


# -- the shipped scenarios and the test fixtures still validate --------------------------------

def test_shipped_scenarios_and_fixtures_validate():
    for path in [Q3, SMALL, *sorted(DATA.glob("*.yaml"))]:
        assert load_scenario(path).plans, path
    scenario = queue_scenario(servers=3, arrivals_per_min=0.5, mean_call_min=5, days=10, patience_min=30)
    assert scenario.team.shifts[0].hours == 24


def test_a_percentage_is_the_fraction_itself():
    """'35%' is 0.35 exactly (35 * 0.01 is 0.35000000000000003): the same scenario as 0.35, bit for bit."""
    from simsales.scenario.numbers import parse_number

    for k in range(101):
        assert parse_number(f"{k}%") == k / 100, k
    assert parse_number("12.5%") == 0.125 and parse_number("1_000%") == 10.0
