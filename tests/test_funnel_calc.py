"""The funnel calculator against hand computation (MODEL.md "numbers from the field")."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from simsales.analysis import funnel_calc as fc
from simsales.analysis import funnel_scenario as fs
from simsales.cli import app
from tests.conftest import SMALL

runner = CliRunner()


def test_field_example_visit_to_lead_one_point_equals_lead_to_paid_26_7():
    stages = fc.parse_stages(["visit_to_lead=0.03", "lead_to_paid=0.20"])
    rows = {r["stage"]: r for r in fc.equivalences(stages, delta=0.01)}
    assert rows["visit_to_lead"]["to"] == pytest.approx(0.04)
    assert rows["visit_to_lead"]["match"]["lead_to_paid"] == pytest.approx(0.2 * 4 / 3)
    assert round(100 * rows["visit_to_lead"]["match"]["lead_to_paid"], 1) == 26.7
    assert rows["visit_to_lead"]["end_to_end"] == pytest.approx(0.008)
    # The other way round: lead-to-paid 20% -> 21% is worth visit-to-lead 3.15%.
    assert rows["lead_to_paid"]["match"]["visit_to_lead"] == pytest.approx(0.03 * 21 / 20)


def test_three_stages_by_hand():
    stages = [fc.Stage("a", 0.5), fc.Stage("b", 0.25), fc.Stage("c", 0.8)]
    assert fc.end_to_end(stages) == pytest.approx(0.1)
    rows = {r["stage"]: r for r in fc.equivalences(stages, delta=0.05)}
    # b: 0.25 -> 0.30 is a factor 1.2: a must reach 0.6, c 0.96.
    assert rows["b"]["match"] == pytest.approx({"a": 0.6, "c": 0.96})
    assert rows["b"]["end_to_end"] == pytest.approx(0.12)
    # c: 0.8 -> 0.85 is a factor 1.0625; a negative delta works too.
    assert rows["c"]["match"]["a"] == pytest.approx(0.5 * 0.85 / 0.8)
    down = {r["stage"]: r for r in fc.equivalences(stages, delta=-0.05)}
    assert down["a"]["match"]["b"] == pytest.approx(0.25 * 0.45 / 0.5)


def test_goal_rates_and_impossible_stages():
    stages = [fc.Stage("visit_to_lead", 0.03), fc.Stage("lead_to_paid", 0.20)]
    # 15M from 500k visits at 60k a deal needs 0.05% end to end; we have 0.6%.
    target = fc.conversion_for_revenue(15e6, 500_000, 60_000)
    assert target == pytest.approx(0.0005)
    need = fc.goal_rates(stages, 0.012)  # double the end-to-end conversion
    assert need == pytest.approx({"visit_to_lead": 0.06, "lead_to_paid": 0.40})
    need = fc.goal_rates(stages, 0.036)  # six times: lead_to_paid would need 120%
    assert need["lead_to_paid"] > 1.0
    assert math.prod(need.values()) / math.prod(s.rate for s in stages) == pytest.approx(36.0)


def test_parsing():
    assert fc.parse_number("3%", "--x") == pytest.approx(0.03)
    assert fc.parse_number("15M", "--x") == 15e6
    assert fc.parse_number("400k", "--x") == 4e5
    assert fc.parse_number("1_000", "--x") == 1000
    with pytest.raises(fc.CalcError, match="--x"):
        fc.parse_number("lots", "--x")
    with pytest.raises(fc.CalcError, match="--stage"):
        fc.parse_stages(["visit_to_lead"])
    with pytest.raises(fc.CalcError, match="twice"):
        fc.parse_stages(["a=0.1", "a=0.2"])
    with pytest.raises(fc.CalcError, match="--stage a"):
        fc.parse_stages(["a=1.5"])
    with pytest.raises(fc.CalcError, match="--delta"):
        fc.equivalences([fc.Stage("a", 0.95)], delta=0.1)


def test_scenario_stages_from_the_means(small):
    stages = {s.name: s.rate for s in fs.scenario_stages(small)}
    # On-time chain: p_contact x decay(offset), half-life 4h, floor 0.4.
    p = [0.6, 0.4 * 0.5 ** (30 / 240), 0.3 * 0.5 ** (180 / 240), 0.25 * 0.4]
    assert stages["lead_to_contact"] == pytest.approx(1 - math.prod(1 - x for x in p))
    # ads (60/day, 10% non-target, quality 1) and social (20/day, 20%, quality 0.8); qualify 0.4.
    assert stages["contact_to_qualified"] == pytest.approx(0.75 * 0.9 * 0.4 + 0.25 * 0.8 * 0.4 * 0.8)
    assert stages["qualified_to_offer"] == pytest.approx(0.45)
    assert stages["offer_to_paid"] == pytest.approx(0.45 * 0.85 + 0.55 * 0.75 * 0.85)
    assert fs.expected_leads(small) == pytest.approx(80 * 21)


def test_cli_field_example():
    res = runner.invoke(app, ["funnel", "--stage", "visit_to_lead=3%", "--stage", "lead_to_paid=0.20"])
    assert res.exit_code == 0, res.output
    assert "26.7%" in res.output and "0.6%" in res.output


def test_cli_goal_json():
    res = runner.invoke(app, ["funnel", "--stage", "visit_to_lead=0.03", "--stage", "lead_to_paid=0.2",
                              "--goal", "revenue=15M", "--volume", "50k", "--check", "10k",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["goal"]["end_to_end"] == pytest.approx(15e6 / (50_000 * 10_000))  # 3%: x5
    assert doc["goal"]["stages"]["lead_to_paid"] == pytest.approx(1.0)
    assert doc["equivalences"][0]["match"]["lead_to_paid"] == pytest.approx(0.2 * 4 / 3)


def test_cli_goal_impossible_is_flagged():
    res = runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.5", "--goal", "conversion=60%"])
    assert res.exit_code == 0, res.output
    assert "impossible" in res.output


@pytest.mark.parametrize("args, option", [
    (["funnel"], "--stage"),
    (["funnel", "--stage", "a=x"], "--stage a"),
    (["funnel", "--stage", "a=0.5", "--goal", "revenue=1M"], "--volume"),
    (["funnel", "--stage", "a=0.5", "--goal", "speed=3"], "--goal"),
    (["funnel", "--stage", "a=0.5", "--delta", "60%"], "--delta"),
    (["funnel", "--stage", "a=0.5", "--simulate", "2"], "--simulate"),
    (["funnel", str(SMALL), "--stage", "a=0.5"], "--stage"),
    (["funnel", str(SMALL), "--plan", "hold"], "--plan"),
])
def test_cli_bad_input_exits_2(args, option):
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert option in res.output
    assert "Traceback" not in res.output


def test_cli_scenario_file_with_revenue_goal():
    res = runner.invoke(app, ["funnel", str(SMALL), "--goal", "revenue=9M", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert set(doc["stages"]) == {"lead_to_contact", "contact_to_qualified", "qualified_to_offer",
                                  "offer_to_paid"}
    assert doc["goal"]["kind"] == "revenue"


def test_cli_scenario_file_simulated():
    res = runner.invoke(app, ["funnel", str(SMALL), "--simulate", "2", "--plan", "hold",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert "observed" in doc["source"]
    assert all(0 < v <= 1 for v in doc["stages"].values())


# -- goals: met or not, in words -------------------------------------------------------


def test_goal_status_met_and_not_met():
    stages = [fc.Stage("a", 0.5), fc.Stage("b", 0.04)]  # 2% end to end
    met = fc.goal_status(stages, 0.01, volume=50_000, check=10_000)
    assert met["met"] and met["factor"] == pytest.approx(0.5)
    assert met["revenue_now"] == pytest.approx(10e6) and met["goal"] == pytest.approx(5e6)
    assert met["surplus"] == pytest.approx(5e6)
    short = fc.goal_status(stages, 0.03, volume=50_000, check=10_000)
    assert not short["met"] and short["surplus"] == pytest.approx(-5e6)
    assert short["volume_needed"] == pytest.approx(75_000)
    assert set(fc.goal_status(stages, 0.02)) == {"met", "now", "need", "factor"}
    assert fc.goal_status(stages, 0.02)["met"]  # exactly at the goal counts as met


def test_cli_goal_already_met_says_so_and_by_how_much():
    res = runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.04", "--goal", "revenue=5M",
                              "--volume", "50k", "--check", "10k"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Goal already met" in text and "+5.0M (100%) over the goal" in text
    assert "Goal: what each stage alone may fall to" in text and "alone must reach" not in text
    assert " x0." not in text and "volume alone x" not in text
    conversion = runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.04",
                                     "--goal", "conversion=1%"])
    assert "Goal already met" in conversion.output and "100% above it" in conversion.output


def test_cli_goal_not_met_says_what_it_takes_in_words():
    res = runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.04", "--goal", "revenue=15M",
                              "--volume", "50k", "--check", "10k", "--format", "json"])
    goal = json.loads(res.output)["goal"]
    assert goal["met"] is False and goal["factor"] == pytest.approx(1.5)
    assert goal["surplus"] == pytest.approx(-5e6) and goal["volume_needed"] == pytest.approx(75_000)
    assert goal["text"] == ("Goal not met: revenue 15.0M needs 3% end to end (50,000 entries at 10k per "
                            "deal); the funnel converts 2%, which brings 10.0M: 5.0M short. One stage "
                            "alone must grow 50%, to the value below, or the volume alone must grow "
                            "50%, to 75,000 entries.")


def test_cli_leads_with_the_answer_and_where_a_point_does_most():
    # 50% x 4% = 2%; a point on the 4% stage gives 2.5%, on the 50% stage 2.04%: the smaller stage wins.
    res = runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.04"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert text.startswith("Answer: 2% end to end (the product of the stages given). A +1 point change "
                           "does most at b (2.5% end to end).")
    tied = " ".join(runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.5"]).output.split())
    assert tied.startswith("Answer: 25% end to end") and "does most at a and b (25.5% end to end)" in tied
    doc = json.loads(runner.invoke(app, ["funnel", "--stage", "a=0.5", "--stage", "b=0.04",
                                         "--format", "json"]).output)
    assert doc["answer"] == text[:text.index(" Funnel (")]


def test_cli_from_a_file_says_the_answer_assumes_time_for_every_attempt_and_the_goal_comes_second():
    res = runner.invoke(app, ["funnel", str(SMALL), "--goal", "conversion=0.1%"])
    assert res.exit_code == 0, res.output
    lines = " ".join(res.output.split())
    assert lines.startswith("Answer: ") and "every attempt of the touch chain made on time" in lines
    goal = lines.index("Goal already met")
    assert goal < lines.index("Funnel (") and "`simsales run` gives the chance of making it" in lines
