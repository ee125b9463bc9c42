"""`simsales optimize`: the decision space, the expected-value model, the race, the command.

Known answers come from scenarios built so that the answer follows from the
rules alone: a team far short of capacity with a large margin per deal
(hire the most the span rule allows, as early as it allows), an idle team
with costly hires (hire nobody), a budget with room for exactly one hire in
a space where one month is best by construction.  Feasibility is checked
by the normal hiring code (:func:`~simsales.world.roster.build_roster`)
with attrition on.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.analysis.optimize import Settings, optimize, search
from simsales.analysis.optimize_model import ExpectedValueModel, Forecast, calibrate
from simsales.analysis.optimize_select import Arm, Race, Simulator, p_best
from simsales.analysis.optimize_space import (
    ENUMERATION_LIMIT,
    PER_DAY,
    Candidate,
    Limits,
    Space,
    hiring_terms,
)
from simsales.analysis.optimize_yaml import with_plans
from simsales.cli import optimize as optimize_cli
from simsales.montecarlo import METRICS, PLAN_REVENUE
from simsales.montecarlo.replication import stream
from simsales.scenario import HiringPlan, resolve
from simsales.scenario.loader import load_scenario, parse_scenario
from simsales.world.calendar import DAYS_PER_MONTH
from simsales.world.roster import build_roster

from .conftest import Q3, SMALL

BASE = yaml.safe_load(SMALL.read_text())
FAST = {"workers": 1, "replications": 40}  # small, in-process runs: the machine is shared


def scenario_doc(**team_changes: object) -> dict:
    """Two team leads of 2 managers each (span 5, 2 hires a lead a month), 300 leads a day for
    75 days (July, August, part of September), a 100k check: far more leads than the team can call."""
    doc = copy.deepcopy(BASE)
    doc.update(name="short of capacity", horizon_days=75, revenue_plan=0, seed=3, replications=40)
    doc["channels"] = [{"name": "ads", "leads_per_day": 300, "cpl": 100, "nontarget_share": 0.1,
                        "hour_profile": BASE["channels"][0]["hour_profile"]}]
    doc["funnel"]["price"] = {"check": 100000}
    doc["touch_chain"]["priority"] = "due_first"
    doc["team"] = {
        "team_leads": [{"name": "anna", "tenure_days": 400}, {"name": "boris", "tenure_days": 400}],
        "managers": [{"team_lead": "anna", "count": 2, "tenure_days": 300},
                     {"team_lead": "boris", "count": 2, "tenure_days": 300}],
        "shifts": [{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 9}],
        "talk_share": 0.6, "ramp": {"months": [0.6, 0.9]}, "span_max": 5, "hires_per_lead_month": 2,
        **team_changes,
    }
    doc["economics"] = {"manager_salary_month": 30000, "team_lead_salary_month": 60000}
    doc["plans"] = [{"name": "hold"}, {"name": "terms", "time_to_hire_days": 5, "cost_per_hire": 1000,
                                      "months": [{"month": "2026-07", "managers": 1}]}]
    return doc


def parse(doc: dict):
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<test>")


@pytest.fixture(scope="module")
def short():
    return parse(scenario_doc())


def months_of(scenario) -> list[str]:
    return Space(scenario, hiring_terms(scenario), Limits()).months


# -- the decision space -----------------------------------------------------------


def test_the_most_the_span_rule_allows_as_early_as_it_allows(short):
    # July: each lead has 3 places (5 - 2) but takes 2 hires a month: 4.  August: 1 place each: 2.
    # September: none left.
    space = Space(short, hiring_terms(short), Limits())
    assert space.decision == [True, True, True]  # September's hires join on day 67 < 75
    assert space.greedy_max() == Candidate((4, 2, 0), (0, 0, 0))


def test_the_space_is_every_plan_the_rules_allow_and_nothing_else(short):
    space = Space(short, hiring_terms(short), Limits())
    grid = [Candidate(m, (0, 0, 0)) for m in itertools.product(range(7), repeat=3)]
    assert set(space.enumerate()) == {c for c in grid if space.check(c) is None}
    # ... and check() is the hiring code's verdict on the team with nobody leaving.
    model = ExpectedValueModel(short)
    for c in grid:
        ledger = build_roster(model.roster_scenario, c.plan("x", space.months, space.terms),
                              np.random.default_rng(0)).ledger
        fits = not ledger.deferred.any() and not ledger.refused.any()
        assert fits == (space.check(c) is None), c


def long_doc(**team_changes: object) -> dict:
    """:func:`scenario_doc` over 150 days (July to November): a lead hired in July can hire by October."""
    doc = scenario_doc(**team_changes)
    doc["horizon_days"] = 150
    return doc


@pytest.mark.parametrize("which", ["short", "high attrition", "team leads", "q3"])
def test_every_candidate_is_hired_as_written_in_every_replication(which):
    """Managers who leave only free room: while the team leads stay, the hiring code never defers
    or refuses a candidate's hire (q3's team leads are kept; a lead who leaves is
    test_optimize_targets' case)."""
    attrition = {"attrition": {"monthly": 0.3, "probation_monthly": 0.5}}
    q3 = load_scenario(Q3)
    q3 = q3.model_copy(update={"team": q3.team.model_copy(update={
        "attrition": q3.team.attrition.model_copy(update={"team_lead_monthly": 0.0})})})
    scenario = {"q3": lambda: q3, "short": lambda: parse(scenario_doc()),
                "high attrition": lambda: parse(scenario_doc(**attrition)),
                "team leads": lambda: parse(long_doc(**attrition))}[which]()
    terms = hiring_terms(scenario)
    space = Space(scenario, terms, Limits(team_leads=True))
    candidates = space.enumerate(limit=None)
    assert len(candidates) > 20
    if which == "team leads":
        assert sum(1 for c in candidates if any(c.team_leads)) > 1000
        candidates = candidates[::17]  # a spread of them: 4,512 would take a while
    for r in range(3):
        resolved = resolve(scenario, stream(11, r, "params"))
        for c in candidates:
            plan = c.plan("x", space.months, terms)
            ledger = build_roster(resolved, plan, stream(11, r, "team")).ledger
            assert list(ledger.made) == list(c.managers), (c, r)
            assert not ledger.deferred.any() and not ledger.refused.any()
            assert list(ledger.team_leads_made) == list(c.team_leads)


@pytest.mark.parametrize(("plans", "source"), [
    ([{"name": "grow", "months": [{"month": "2026-07", "headcount": 6}]}, {"name": "keep", "backfill": True}],
     "grow"),
    ([{"name": "keep", "backfill": True}], "keep"),
    ([{"name": "grow", "months": [{"month": "2026-07", "headcount": 6}]},
      {"name": "fixed", "time_to_hire_days": 9, "cost_per_hire": 500,
       "months": [{"month": "2026-07", "managers": 1}]}],
     "grow"),
])
def test_the_default_terms_are_the_first_plan_that_hires_of_any_kind(plans, source):
    """A headcount target or backfill hires on its plan's terms: it is a plan that hires, not "no plan"."""
    doc = scenario_doc()
    doc["plans"] = [{"name": "hold"}, *[{"time_to_hire_days": 12, "cost_per_hire": 7000, **p} for p in plans]]
    scenario = parse(doc)
    terms = hiring_terms(scenario)
    chosen = scenario.plan(source)
    assert terms.source == source
    assert (terms.time_to_hire_days, terms.cost_per_hire) == (chosen.time_to_hire_days, chosen.cost_per_hire)
    assert hiring_terms(parse({**doc, "plans": [{"name": "hold"}]})).source is None  # nobody hires: defaults


def test_limits_shape_the_space(short):
    terms = hiring_terms(short)
    limits = Limits(max_hires_per_month=1, max_headcount=6, months=("2026-07", "2026-08"))
    capped = Space(short, terms, limits)
    found = capped.enumerate()
    assert all(max(c.managers) <= 1 and sum(c.managers) <= 2 and c.managers[2] == 0 for c in found)
    assert len(found) == 4  # 0 or 1 in July, 0 or 1 in August
    space = Space(short, terms, Limits())
    # The committed cost of a hire: cost per hire plus salary from joining to the horizon's end.
    assert space.hire_cost(1) == pytest.approx(1000 + 30000 * PER_DAY * (75 - 31 - 5))
    assert pytest.approx(1 / DAYS_PER_MONTH) == PER_DAY
    c = Candidate((2, 1, 0), (0, 0, 0))
    assert space.cost(c) == pytest.approx(2 * space.hire_cost(0) + space.hire_cost(1))
    for near in space.neighbours(c):
        assert space.check(near) is None and near != c
    with pytest.raises(ValueError, match="not a month of the horizon"):
        Space(short, terms, Limits(months=("2027-01",)))


def test_team_leads_are_hired_only_where_they_can_take_a_hire_in_the_horizon():
    scenario = parse(long_doc())
    space = Space(scenario, hiring_terms(scenario), Limits(team_leads=True))
    # Months start on days 0, 31, 62, 92, 123; a lead joins 5 days after and is adapted 60 later:
    # July's on day 65 (hires from October), August's on day 96 (from November), September's on
    # day 127, after November, the last month, has begun.
    assert space.lead_months == [True, True, False, False, False]


# -- the expected-value model -------------------------------------------------------


def test_survival_follows_the_attrition_hazards():
    attrition = {"monthly": 0.05, "probation_monthly": 0.2, "probation_days": 60}
    scenario = parse(scenario_doc(attrition=attrition))
    model = ExpectedValueModel(scenario)
    s = model.survival(np.array([-300, 10]), 75)
    days = np.arange(75)
    assert s[0] == pytest.approx(0.95 ** (days / DAYS_PER_MONTH))  # past probation since long ago
    t = np.clip(days - 10, 0, None)  # the hire joins on day 10: in probation to day 70, then past it
    in_probation = np.minimum(t, 60)
    after = t - in_probation
    assert s[1] == pytest.approx(0.8 ** (in_probation / DAYS_PER_MONTH) * 0.95 ** (after / DAYS_PER_MONTH))
    assert s[1, 70] == pytest.approx(0.8 ** (60 / DAYS_PER_MONTH))


def test_the_forecast_pays_the_salaries_and_hires_it_should(short):
    model = ExpectedValueModel(short)  # no attrition in this scenario
    space = Space(short, hiring_terms(short), Limits())
    hold = model.forecast(HiringPlan(name="hold"))
    assert hold.salaries == pytest.approx(PER_DAY * 75 * (4 * 30000 + 2 * 60000))
    assert hold.hiring_cost == 0
    c = Candidate((2, 0, 0), (0, 0, 0))
    two = model.forecast(c.plan("two", space.months, space.terms))
    assert two.salaries - hold.salaries == pytest.approx(PER_DAY * 30000 * 2 * (75 - 5))
    assert two.hiring_cost == 2 * 1000
    assert two.revenue_net > hold.revenue_net  # the team is short of capacity
    assert two.worked_share > hold.worked_share


def test_the_worked_share_is_capacity_over_lead_work_when_short():
    doubled = scenario_doc()
    doubled["channels"][0]["leads_per_day"] = 600
    one, two = (ExpectedValueModel(parse(d)).forecast(HiringPlan(name="hold"))
                for d in (scenario_doc(), doubled))
    assert one.worked_share < 1
    assert two.worked_share == pytest.approx(one.worked_share / 2)


def test_calibration_scales_the_modelled_gain_to_the_simulated_one():
    f0, f1 = Forecast(100.0, 10.0, 0.0, 0.5), Forecast(150.0, 14.0, 3.0, 0.8)
    sim0 = {"revenue_net": np.array([90.0, 110.0]), "margin": np.array([40.0, 60.0]),
            "won": np.array([9.0, 11.0])}
    sim1 = {"revenue_net": np.array([115.0, 135.0]), "margin": np.array([0.0, 0.0]),
            "won": np.array([12.0, 14.0])}
    for sim in (sim0, sim1):  # a plan of the whole horizon: measured on its net revenue
        sim[PLAN_REVENUE] = sim["revenue_net"]
    cal = calibrate("margin", 0.0, 0.1, (f0, sim0), (f1, sim1))
    assert cal.scale == pytest.approx(25 / 50)  # simulated gain 25, modelled 50
    f = Forecast(120.0, 12.0, 2.0, 0.6)
    assert cal.score(f) == pytest.approx(50 + 0.9 * 0.5 * 20 - 2 - 2)
    assert calibrate("revenue_net", 0, 0.1, (f0, sim0), (f1, sim1)).score(f) == pytest.approx(100 + 0.5 * 20)
    assert calibrate("won", 0, 0.1, (f0, sim0), (f1, sim1)).score(f) == pytest.approx(10 + 3 / 50 * 20)
    p = calibrate("p_plan", 100.0, 0.1, (f0, sim0), (f1, sim1))
    assert p.score(f0) == pytest.approx(0.5) and p.score(f) > 0.5


def test_the_coarse_search_finds_the_exhaustive_best_of_a_large_space():
    scenario = parse(long_doc())
    model = ExpectedValueModel(scenario)
    space = Space(scenario, hiring_terms(scenario), Limits(team_leads=True))
    every = space.enumerate(limit=None)
    assert len(every) > ENUMERATION_LIMIT  # so search() works on a grid of 2 managers, then refines

    def margin(c: Candidate) -> float:
        f = model.forecast(c.plan("x", space.months, space.terms))
        return f.revenue_net * (1 - model.commission) - f.salaries - f.hiring_cost

    scores = search(space, margin, Quiet())
    assert len(scores) < len(every) / 4
    exhaustive = {c: margin(c) for c in every}
    assert max(scores.values()) == pytest.approx(max(exhaustive.values()))


class Quiet:
    def stage(self, text: str, total: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


# -- ranking and selection -----------------------------------------------------------


def test_p_best_is_a_paired_bootstrap_share():
    rng = np.random.default_rng(1)
    world = rng.normal(0, 100, size=50)  # large common noise: pairing sees through it
    values = np.vstack([world + 1.0, world, world + 1.0])
    chances = p_best(values, seed=5)
    assert chances == pytest.approx([0.5, 0.0, 0.5])
    assert p_best(values, seed=5) == pytest.approx(chances)  # the same seed, the same answer


class FakeSimulator(Simulator):
    """Plan ``name`` earns ``means[name]`` plus noise shared by all plans in each replication."""

    def __init__(self, means: dict[str, float], noise: float) -> None:
        self.means, self.noise, self.plan_replications = means, noise, 0
        self.calls: list[tuple[tuple[str, ...], int, int]] = []

    def run(self, plans, first, count):
        self.calls.append((tuple(p.name for p in plans), first, count))
        self.plan_replications += count * len(plans)
        reps = np.arange(first, first + count)
        common = np.array([np.random.default_rng(r).normal() for r in reps]) * 1000
        out = {}
        for p in plans:
            key = sum(map(ord, p.name))
            own = np.array([np.random.default_rng([r, key]).normal() for r in reps]) * self.noise
            frame = pd.DataFrame(0.0, index=reps, columns=list(METRICS))
            frame["margin"] = self.means[p.name] + common + own
            frame["revenue_net"] = frame["margin"]
            out[p.name] = frame
        return out


def test_the_race_drops_clear_losers_at_once_and_spends_on_close_calls():
    means = {"best": 10.0, "close": 9.9, "far": -50.0, "base": 0.0}
    sim = FakeSimulator(means, noise=0.2)
    race = Race(sim, "margin", 0.0, indifference=0.01)
    arms = {n: Arm(n, HiringPlan(name=n)) for n in means}
    alive = race.run([arms["best"], arms["close"], arms["far"]], 10, 160, arms["base"])
    assert [a.name for a in alive] == ["best"]
    assert arms["far"].out_at == 10  # one round
    assert arms["close"].out_at > 10 and arms["close"].out.startswith("worse than best")
    assert arms["base"].n == arms["best"].n  # the baseline runs alongside
    assert sim.plan_replications == sum(a.n for a in arms.values())


def test_the_race_stops_at_the_most_replications_when_plans_cannot_be_told_apart():
    sim = FakeSimulator({"a": 1.0, "b": 1.0, "base": 0.0}, noise=0.0)  # a and b: the same numbers
    race = Race(sim, "margin", 0.0, indifference=0.0)
    arms = [Arm(n, HiringPlan(name=n)) for n in ("a", "b")]
    alive = race.run(arms, 10, 40, Arm("base", HiringPlan(name="base"), competes=False))
    assert {a.name for a in alive} == {"a", "b"} and all(a.n == 40 for a in alive)
    assert [n for n, _ in race.rounds] == [10, 20, 40]


# -- known answers ---------------------------------------------------------------------


def test_short_of_capacity_with_a_high_margin_hire_the_most_as_early_as_allowed(short):
    outcome = optimize(short, Settings(**FAST))
    best = outcome.top[0]
    assert best.candidate == Candidate((4, 2, 0), (0, 0, 0))
    assert best.p_best > 0.9 and best.vs_baseline["p_better"] > 0.9
    assert outcome.candidates < outcome.scored  # the model narrowed the field


def test_an_idle_team_with_costly_hires_hires_nobody():
    doc = scenario_doc()
    doc["channels"][0]["leads_per_day"] = 15  # a few leads: 4 managers are idle most of the day
    doc["plans"][1]["cost_per_hire"] = 500000
    outcome = optimize(parse(doc), Settings(**FAST))
    assert outcome.top[0].candidate.hires == 0
    assert outcome.top[0].p_best > 0.9


def test_a_budget_for_exactly_one_hire_picks_the_month_best_by_construction():
    # anna's team is full (5 of 5); boris has no managers yet and is adapted from day 20, so the
    # first month a hire fits is August; the earlier of August and September is worth more to a
    # team this short of capacity.
    leads = [{"name": "anna", "tenure_days": 400}, {"name": "boris", "tenure_days": 40}]
    doc = scenario_doc(team_leads=leads,
                       managers=[{"team_lead": "anna", "count": 5, "tenure_days": 300}])
    doc["plans"][1] = {"name": "terms", "time_to_hire_days": 5, "cost_per_hire": 50000,
                       "months": [{"month": "2026-08", "managers": 1}]}
    scenario = parse(doc)
    space = Space(scenario, hiring_terms(scenario), Limits())
    budget = space.hire_cost(1)
    assert 2 * space.hire_cost(2) > budget  # two hires never fit, whatever the months
    limited = Space(scenario, hiring_terms(scenario), Limits(budget=budget))
    assert set(limited.enumerate()) == {Candidate(m, (0, 0, 0)) for m in ((0, 0, 0), (0, 1, 0), (0, 0, 1))}
    outcome = optimize(scenario, Settings(limits=Limits(budget=budget), **FAST))
    assert outcome.top[0].candidate == Candidate((0, 1, 0), (0, 0, 0))
    assert all(p.committed <= budget for p in outcome.top)


def test_same_seed_same_answer_and_a_floor_nobody_meets(small):
    a = optimize(small, Settings(workers=1, replications=20, seed=4)).document()
    b = optimize(small, Settings(workers=2, replications=20, seed=4)).document()
    assert a == b  # workers do not change the numbers
    floor = optimize(small, Settings(workers=1, replications=20, min_p_plan=0.99))
    assert all(p.p_plan >= 0.99 for p in floor.top)


# -- the scenario with the plans added, and the command ------------------------------------


def test_the_plans_are_added_in_place_and_the_file_runs(small, tmp_path):
    outcome = optimize(small, Settings(workers=1, replications=10, seed=4))
    text = with_plans(SMALL.read_text(), [p.plan for p in outcome.top], str(SMALL), "added")
    assert text.startswith(SMALL.read_text().split("\n", 1)[0])  # the comments are kept
    scenario = parse_scenario(text, "<new>")
    names = [p.name for p in outcome.top]
    assert [p.name for p in scenario.plans] == ["hold", "grow", *names]
    flow_text = yaml.safe_dump({k: v for k, v in BASE.items() if k != "plans"}) + "plans: [{name: hold}]\n"
    flow = with_plans(flow_text, [outcome.top[0].plan], "flow.yaml")
    assert [p.name for p in parse_scenario(flow, "<flow>").plans] == ["hold", names[0]]
    run = montecarlo.run(scenario, plans=names, replications=2, seed=4)
    assert set(run.plans) == set(names)


def cli(args: list[str]):
    app = typer.Typer()
    optimize_cli.register(app)

    @app.callback()
    def main() -> None:
        """The test app."""

    return CliRunner().invoke(app, ["optimize", *args])


def test_the_command_prints_the_documented_json_and_writes_the_file(tmp_path):
    out = tmp_path / "with_plans.yaml"
    result = cli([str(SMALL), "-n", "10", "--workers", "1", "--format", "json", "-o", str(out), "--top", "2"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"objective", "candidates", "plan_replications", "baseline", "top"} <= set(doc)
    assert doc["objective"] == "margin" and doc["baseline"] == "hold" and len(doc["top"]) == 2
    for plan in doc["top"]:
        assert {"name", "months", "objective", "p_best", "vs_baseline"} <= set(plan)
        assert set(plan["objective"]) == {"mean", "p10", "p50", "p90"}
        assert set(plan["vs_baseline"]) == {"mean", "p10", "p50", "p90", "p_better"}
        hires = plan["months"][0]["managers"]
        assert plan["months"] == [{"month": "2026-07", "managers": hires, "team_leads": 0}]
    assert sum(p["p_best"] for p in doc["top"]) <= 1 + 1e-9
    assert doc["top"][0]["vs_best"]["mean"] == 0 and doc["top"][1]["vs_best"]["mean"] <= 0  # ranked by mean
    assert doc["plan_replications"] >= doc["candidates"] * 10
    added = load_scenario(out)
    assert [p.name for p in added.plans][-2:] == [p["name"] for p in doc["top"]]
    assert not [p for p in Path(tmp_path).iterdir() if p.name.endswith(".tmp")]


def test_the_table_output_leads_with_the_answer_in_the_objectives_unit():
    """It led with the table's title; the best plan was its first row, in short form ("6 / 2 / 0")."""
    result = cli([str(SMALL), "-n", "10", "--workers", "1", "--top", "2"])
    assert result.exit_code == 0, result.output
    first = " ".join(result.stdout.split("\n\n")[0].split())
    doc = json.loads(cli([str(SMALL), "-n", "10", "--workers", "1", "--top", "2", "--format", "json"]).stdout)
    best = doc["top"][0]
    hires = ", ".join(f"{m['month']} {m['managers']}" for m in best["months"] if m["managers"])
    hires = hires or "hire nobody"
    assert first.startswith(f"Answer: Best plan for margin: {best['name']}, {hires}: margin "), first
    assert f" {load_scenario(SMALL).currency} (P50; P10 - P90 " in first, first
    assert f"chance of {100 * best['p_best']:.0f}%." in first, first
    assert "against hold" in first or "the same as hold in every replication" in first, first


@pytest.mark.parametrize(("args", "words"), [
    (["--months", "2027-01"], ["--months", "not a month of the horizon"]),
    (["--months", "July"], ["--months", "2026-07,2026-08"]),
    (["--months", ","], ["--months", "names no month", "leave --months out"]),
    (["--budget", "lots"], ["--budget", "3M"]),
    (["--max-headcount", "3"], ["--max-headcount", "6 managers"]),
    (["--min-p-plan", "1.5"], ["--min-p-plan", "[0, 1]"]),
    (["--terms", "nope"], ["--terms", "no plan named 'nope'"]),
])
def test_bad_options_exit_2_naming_the_option(args, words):
    result = cli([str(SMALL), "-n", "2", "--workers", "1", *args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert all(w in result.output for w in words), result.output


def test_p_plan_needs_a_revenue_plan(tmp_path):
    file = tmp_path / "no_plan.yaml"
    file.write_text(SMALL.read_text().replace("revenue_plan: 9_000_000", "revenue_plan: 0"))
    result = cli([str(file), "--objective", "p_plan", "-n", "2"])
    assert result.exit_code == 2 and "revenue_plan" in result.output


# -- q3 ---------------------------------------------------------------------------------------

SHIPPED_REPLICATIONS = 20
"""The most replications a plan gets in the race on q3 (its own 200 would take a third of CI's
budget); fewer replications widen the paired standard error the tie rule allows, they do not let
a worse plan through unseen.  big.yaml is not in CI: 10 minutes of its 20 even so (it passed with
the defaults on 2026-11-29: the chosen plan against ``hold`` +0.06M ± 0.18M RUB)."""


@pytest.mark.slow
@pytest.mark.parametrize("file", [Q3], ids=["q3"])
def test_the_chosen_plan_is_never_worse_than_a_plan_shipped_in_the_file(file):
    """Paired, on the confirmation's replications of the same seed: never behind by 2 paired SE.

    The shipped plans include ones the optimiser cannot propose (they lean on leavers, hire
    team leads or hire faster); a plan within 2 standard errors of the paired difference is a tie.
    """
    scenario = load_scenario(file)
    settings = Settings(replications=SHIPPED_REPLICATIONS, workers=montecarlo.default_workers())
    outcome = optimize(scenario, settings)
    best = outcome.top[0]
    n = best.replications
    plans = [best.plan, *scenario.plans]
    run = montecarlo.run(scenario.model_copy(update={"plans": plans}), replications=n, seed=outcome.seed,
                         workers=montecarlo.default_workers())
    mine = run.plans[best.name].metrics["margin"].to_numpy()
    assert mine.mean() == pytest.approx(best.objective["mean"])  # the same replications as the race
    for shipped in scenario.plans:
        diff = mine - run.plans[shipped.name].metrics["margin"].to_numpy()
        se = diff.std(ddof=1) / math.sqrt(n)
        assert diff.mean() + 2 * se >= 0, (shipped.name, diff.mean(), se)
    assert outcome.plan_replications < outcome.scored * n / 10  # far fewer than every plan at n


@pytest.mark.slow
def test_every_executor_finds_the_same_plans_with_the_same_numbers():
    pytest.importorskip("distributed")
    base = [str(SMALL), "-n", "6", "--format", "json", "--top", "2"]
    docs = []
    for extra in (["--workers", "1"], ["--workers", "2"], ["--workers", "2", "--executor", "dask"]):
        result = cli([*base, *extra])
        assert result.exit_code == 0, result.output
        docs.append(json.loads(result.stdout))
    assert docs[0]["top"] and docs[1] == docs[0] and docs[2] == docs[0]


def test_a_scheduler_without_dask_is_refused():
    result = cli([str(SMALL), "-n", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2, result.output
    assert "--executor dask" in result.output
