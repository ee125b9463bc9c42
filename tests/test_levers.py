"""Sensitivity: scenario transformations, the capacity-bound ranking, signs, reproducibility."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from simsales.analysis.lever_table import LEVERS, Setting, has_costs
from simsales.analysis.levers import NO_ELASTICITY, run_levers, upper_bound_note
from simsales.cli import app
from simsales.report.levers import lever_frame, setting_text
from simsales.scenario.distributions import Beta, Triangular
from simsales.scenario.edits import Scaled, scale, update_path, values_at
from simsales.scenario.loader import load_scenario
from simsales.scenario.uncertain import Uncertain, mean_of, resolve
from tests.conftest import DATA, SMALL

CAPACITY = DATA / "capacity_bound.yaml"
CAPACITY_LEVERS = {"talk_share", "team_size", "hires"}
FLOOR = {"evening_shift", "new_lead_cap", "crm_minutes"}  # tests/test_floor_levers.py: not all apply to small
runner = CliRunner()


@pytest.fixture(scope="module")
def capacity():
    return load_scenario(CAPACITY)


@pytest.fixture(scope="module")
def capacity_report(capacity):
    names = ["talk_share", "team_size", "offer", "qualify", "p_contact", "price", "cpl"]
    return run_levers(capacity, step=0.1, replications=4, levers=names)


# -- transformations -------------------------------------------------------------


def test_scaled_draws_the_same_stream_and_clips():
    base = Beta(40, 60)
    a = base.sample(np.random.default_rng(3), 1000)
    b = Scaled(base, 1.1, 0.0, 1.0).sample(np.random.default_rng(3), 1000)
    assert np.allclose(b, a * 1.1)
    assert Scaled(base, 1.1, 0.0, 1.0).mean == pytest.approx(0.44)
    high = Scaled(Triangular(0.8, 0.9, 1.0), 1.5, 0.0, 1.0)
    assert high.support == (1.0, 1.0)
    assert np.all(high.sample(np.random.default_rng(1), 100) == 1.0)
    assert isinstance(high.sample(np.random.default_rng(1)), float)


def test_scale_numbers_and_distributions():
    assert scale(0.8, 1.5, hi=1.0) == 1.0
    assert scale(400.0, 0.9) == pytest.approx(360.0)
    u = scale(Uncertain(Beta(40, 60)), 1.1, hi=1.0)
    assert isinstance(u, Uncertain) and u.mean == pytest.approx(0.44)
    twice = scale(u, 1.1, hi=1.0)
    assert twice.dist.base == Beta(40, 60) and twice.dist.factor == pytest.approx(1.21)


def test_update_path_copies(small):
    new = update_path(small, ("channels", "*", "cpl"), lambda x: x * 2)
    assert values_at(new, ("channels", "*", "cpl")) == [1000.0, 600.0]
    assert values_at(small, ("channels", "*", "cpl")) == [500.0, 300.0]


@pytest.mark.parametrize("name", [n for n in LEVERS if n not in FLOOR])
@pytest.mark.parametrize("factor", [0.5, 1.5])
def test_every_lever_changes_only_a_copy_and_keeps_probabilities_valid(small, name, factor):
    before = small.model_copy(deep=True)
    nudged = LEVERS[name].nudge(small, "grow", factor)
    assert small == before
    assert nudged is not None and nudged != small
    resolved = resolve(nudged, np.random.default_rng(0))
    f = resolved.funnel
    for p in (f.qualify, f.offer.p, f.invoice_paid.p, f.link_filled.p, f.bank_approved.p,
              f.installment_share, resolved.team.talk_share, *resolved.touch_chain.p_contact):
        assert 0.0 <= p <= 1.0


def test_whole_unit_levers(small):
    assert sum(g.count for g in LEVERS["team_size"].nudge(small, "hold", 1.1).team.managers) == 7
    assert sum(g.count for g in LEVERS["team_size"].nudge(small, "hold", 0.9).team.managers) == 5
    longer = LEVERS["chain_length"].nudge(small, "hold", 1.1).touch_chain
    assert longer.offsets[-1] == 1440.0 + (1440.0 - 180.0) and len(longer.p_contact) == 5
    assert len(LEVERS["chain_length"].nudge(small, "hold", 0.9).touch_chain.offsets) == 3
    hires = LEVERS["hires"].nudge(small, "grow", 1.1)
    assert sum(m.managers for m in hires.plan("grow").months) == 6
    assert LEVERS["hires"].nudge(small, "hold", 1.1) is None  # no hires to nudge
    assert LEVERS["price"].nudge(small, "hold", 1.1).funnel.price.change == pytest.approx(0.1)
    faster = LEVERS["ramp_speed"].nudge(small, "hold", 1.1).team.ramp.months
    assert faster == pytest.approx([1 - 0.6 * 0.9, 1 - 0.3 * 0.9, 1 - 0.1 * 0.9])
    assert mean_of(LEVERS["qualify"].nudge(small, "hold", 1.1).funnel.qualify) == pytest.approx(0.44)


def test_has_costs(small):
    assert has_costs(small)
    free = small.model_copy(update={
        "channels": [c.model_copy(update={"cpl": 0.0}) for c in small.channels],
        "economics": small.economics.model_copy(update={"manager_salary_month": 0.0}),
        "plans": [p.model_copy(update={"cost_per_hire": 0.0}) for p in small.plans]})
    assert not has_costs(free)


# -- the sensitivity run -----------------------------------------------------------


def test_capacity_bound_capacity_lever_ranks_first(capacity_report):
    ranking = capacity_report.ranking()
    assert ranking[0] in CAPACITY_LEVERS, ranking
    # talk_share beats the conversion levers whose gains take the managers' time (more qualified leads,
    # more contacts: presentations and calls the floor has no room for). Not the offer chance: 10% more
    # offers from the same presentations take no time and bring about 10% more revenue, as 10% more of
    # the floor's time does at ~99% busy; the two swap places with the seed or the warm-up's length
    # (swings of 1.6-2.0M RUB each, seeds 1-6 and warm-ups of 7-10 days, 4 replications).
    assert ranking.index("talk_share") < min(ranking.index("qualify"), ranking.index("p_contact")), ranking
    assert capacity_report.split and capacity_report.replications == 4


def test_effects_have_the_right_sign(capacity_report):
    by_name = {lv.name: lv for lv in capacity_report.levers}
    for name in ("talk_share", "team_size", "offer", "price"):
        revenue = by_name[name].effects["revenue_net"]
        assert revenue["up"].mean > 0 > revenue["down"].mean, name
    cpl = by_name["cpl"].effects
    assert cpl["revenue_net"]["up"].mean == 0 and cpl["revenue_net"]["down"].mean == 0
    assert cpl["margin"]["up"].mean < 0 < cpl["margin"]["down"].mean
    # Money levers cost money: an extra manager's salary comes off the margin.
    team = by_name["team_size"].effects
    assert team["margin"]["up"].mean < team["revenue_net"]["up"].mean
    # Price moves revenue by the step exactly (no elasticity): +-10% of the base.
    assert by_name["price"].effects["revenue_net"]["up"].mean == pytest.approx(
        0.1 * capacity_report.base["revenue_net"], rel=1e-6)


def test_same_seed_same_ranking(capacity, capacity_report):
    names = ["talk_share", "offer", "cpl"]
    again = run_levers(capacity, step=0.1, replications=4, levers=names)
    assert again.ranking() == [n for n in capacity_report.ranking() if n in names]
    for lv in again.levers:
        old = next(x for x in capacity_report.levers if x.name == lv.name)
        assert lv.effects == old.effects


def test_bad_arguments(small):
    with pytest.raises(ValueError, match="step"):
        run_levers(small, step=1.5, replications=1, levers=["cpl"])
    with pytest.raises(KeyError):
        run_levers(small, plan="nope", replications=1, levers=["cpl"])


def test_lever_that_does_not_apply_is_skipped(small):
    report = run_levers(small, plan="hold", replications=2, levers=["hires", "cpl"])
    assert report.ranking() == ["cpl"]
    assert "hires" in report.skipped and "hires nobody month by month" in report.skipped["hires"]
    frame = lever_frame(report)
    assert list(frame["direction"]) == ["down", "up"]
    assert frame["revenue_net_mean"].tolist() == [0.0, 0.0]


# -- the command line -----------------------------------------------------------------


def test_the_terminal_says_why_a_lever_does_not_apply():
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--plan", "hold", "--lever", "hires",
                              "--lever", "cpl", "--workers", "1"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Not applicable: hires (the plan hires nobody month by month" in text, res.output


def test_a_long_levers_run_says_how_long_first(monkeypatch):
    """Every lever on big.yaml (43 runs x 50 replications: 5 min here) said nothing of its length first."""
    from simsales.cli import levers as levers_cli

    monkeypatch.setattr(levers_cli, "LONG_RUN_SECONDS", 0.0)  # small.yaml's run as if it were long
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--plan", "hold", "--lever", "cpl",
                              "--lever", "offer", "--workers", "1"])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stderr.split())
    assert re.search(r"note: the levers will take about \d+ s at most \(5 runs of plan hold x 2 replications "
                     r"on 1 worker process; fewer if some levers do not apply\)", said), said


def test_a_log_says_the_levers_are_done_when_some_did_not_apply(monkeypatch):
    """The bar's total counts every lever's two runs; one that does not apply runs none, and a log never
    said the run was done (big.yaml: 1,807 of 2,150)."""
    from simsales.cli import progress

    monkeypatch.setattr(progress, "LOG_SECONDS", 0.0)  # a line at every batch
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--plan", "hold", "--lever", "hires",
                              "--lever", "cpl", "--workers", "1"])
    assert res.exit_code == 0, res.output
    lines = [line for line in res.stderr.splitlines() if line.startswith("levers: ")]
    assert re.fullmatch(r"levers: up to 5 runs x 2 replications: done, 6/6 in \d+ s", lines[-1]), lines


def test_cli_levers_writes_table_and_tornado(tmp_path):
    out = tmp_path / "levers"
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--plan", "grow", "--step", "20%",
                              "--lever", "offer", "--lever", "cpl", "--workers", "1",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Process levers" in res.output and "Money levers" in res.output
    for name in ("levers.csv", "levers.json", "tornado.png", "tornado.svg"):
        assert (out / name).stat().st_size > 0, name
    doc = json.loads((out / "levers.json").read_text())
    assert doc["plan"] == "grow" and doc["step"] == pytest.approx(0.2)
    assert set(doc["ranking"]) == {"offer", "cpl"}
    # The answer leads (it led with the first table's title): the top lever, both nudges in the currency.
    first = " ".join(res.stdout.split("\n\n")[0].split())
    top, currency = doc["ranking"][0], load_scenario(SMALL).currency
    assert first.startswith(f"Answer: the lever that moves net revenue most is {top} ("), first
    effect = rf"[-+][\d.,]+[kM]? ±[\d.,]+[kM]? {currency}"
    assert re.search(rf": -20% {effect}, \+20% {effect} \(mean ±SE, 2 paired replications\); "
                     rf"next: {doc['ranking'][1]}$", first), first


def test_a_lever_named_twice_runs_and_ranks_once():
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--lever", "cpl", "--lever", "offer",
                              "--lever", "cpl", "--format", "json", "--workers", "1"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert sorted(doc["ranking"]) == ["cpl", "offer"]
    assert sorted(row["lever"] for row in doc["levers"]) == ["cpl", "cpl", "offer", "offer"]  # down, up


def test_cli_levers_json():
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--lever", "cpl", "--format", "json",
                              "--workers", "1"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["ranking"] == ["cpl"] and doc["plan"] == "hold"


@pytest.mark.parametrize("args, option", [
    (["--step", "150%"], "--step"),
    (["--step", "fast"], "--step"),
    (["--lever", "charm"], "--lever"),
    (["--plan", "nope"], "--plan"),
    (["--engine", "warp"], "--engine"),
])
def test_cli_levers_bad_input_exits_2(args, option):
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "1", *args])
    assert res.exit_code == 2, res.output
    assert option in res.output
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_all_levers_capacity_bound(capacity, tmp_path):
    from simsales.report.tornado import save_tornado

    report = run_levers(capacity, step=0.1, replications=8, workers=2)
    assert report.ranking()[0] in CAPACITY_LEVERS, report.ranking()
    assert set(report.ranking()) | set(report.upper_bounds()) | set(report.skipped) == set(LEVERS)
    paths = save_tornado(report, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)


# -- levers for people: units, meanings, upper bounds ----------------------------------


def test_price_without_elasticity_is_an_upper_bound_ranked_apart(capacity_report):
    assert "price" not in capacity_report.ranking()
    assert capacity_report.upper_bounds() == {"price": NO_ELASTICITY}
    names = [lv.name for lv in capacity_report.levers]
    assert names[-1] == "price" and names[:-1] == capacity_report.ranking()
    # Ranked apart, not for being small: it moves revenue more than the last ranked lever.
    by_name = {lv.name: lv for lv in capacity_report.levers}
    assert by_name["price"].swing("revenue_net") > by_name[names[-2]].swing("revenue_net")
    frame = lever_frame(capacity_report)
    assert set(frame.loc[frame["lever"] == "price", "upper_bound"]) == {NO_ELASTICITY}
    assert set(frame.loc[frame["lever"] != "price", "upper_bound"]) == {""}


def test_price_with_an_elasticity_is_ranked_with_the_others(capacity):
    assert upper_bound_note("price", capacity) == NO_ELASTICITY
    price = capacity.funnel.price.model_copy(update={"elasticity": -1.5})
    elastic = capacity.model_copy(update={"funnel": capacity.funnel.model_copy(update={"price": price})})
    assert upper_bound_note("price", elastic) == ""
    assert upper_bound_note("cpl", capacity) == ""
    report = run_levers(elastic, step=0.1, replications=2, levers=["price", "cpl"])
    assert report.upper_bounds() == {} and set(report.ranking()) == {"price", "cpl"}


@pytest.mark.parametrize(("setting", "text"), [
    (Setting("number", (0.293,), "share"), "29.3%"),
    (Setting("number", (0.45,), "share"), "45%"),
    (Setting("number", (15.0,), "minutes"), "15 min"),
    (Setting("number", (60.0,), "minutes"), "1 h"),
    (Setting("number", (240.0,), "minutes"), "4 h"),
    (Setting("number", (1440.0,), "minutes"), "1 day"),
    (Setting("number", (62_000.0,), "money"), "62k"),
    (Setting("number", (1000.0,), "leads_per_day"), "1,000 a day"),
    (Setting("count", (5,), "attempts"), "5 attempts"),
    (Setting("count", (150,), "managers"), "150 managers"),
    (Setting("months", (0.4, 0.7, 0.9)), "40% / 70% / 90%"),
    (Setting("midpoint_days", (45.0,)), "midpoint 45 days"),
])
def test_settings_are_written_in_their_units(setting, text):
    assert setting_text(setting) == text


def test_every_lever_says_what_it_means_and_reads_in_a_unit(small):
    for name, lever in LEVERS.items():
        assert lever.meaning, name
        setting = lever.read(small, "grow")
        assert setting.unit or setting.kind in ("months", "midpoint_days"), name
    # chain_spacing is the chain's span (its last planned attempt); p_contact the mean per attempt.
    assert LEVERS["chain_spacing"].read(small, "hold").values == (max(small.touch_chain.offsets),)
    p = [mean_of(v) for v in small.touch_chain.p_contact]
    assert LEVERS["p_contact"].read(small, "hold").values[0] == pytest.approx(sum(p) / len(p))
    nudged = LEVERS["chain_spacing"].nudge(small, "hold", 1.1)
    assert LEVERS["chain_spacing"].read(nudged, "hold").values[0] == pytest.approx(
        1.1 * max(small.touch_chain.offsets))


def test_cli_levers_explains_each_lever_and_sets_the_upper_bound_apart():
    res = runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--lever", "price", "--lever", "lead_ttl",
                              "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "Upper bounds, ranked apart" in res.output and "price (upper bound)" in res.output
    assert "What each lever is:" in res.output
    assert f"lead_ttl: {LEVERS['lead_ttl'].meaning}" in " ".join(res.output.split())
    assert "no elasticity set: assumes no client is lost" in res.output
    assert "2 days 17 h | 3 days | 3 days 7 h" in res.output  # small's lead_ttl is 3 days, +-10%
    doc = json.loads(runner.invoke(app, ["levers", str(SMALL), "-n", "2", "--lever", "price",
                                         "--lever", "lead_ttl", "--workers", "1",
                                         "--format", "json"]).output)
    assert doc["ranking"] == ["lead_ttl"] and doc["upper_bounds"] == {"price": NO_ELASTICITY}
