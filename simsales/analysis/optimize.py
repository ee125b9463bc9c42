"""`simsales optimize`: the best hiring plans the span rule allows, and how sure we are of each.

The decision is the number of managers (and, with ``--team-leads``, team
leads) hired in each month (:mod:`~simsales.analysis.optimize_space`: every
candidate fits the span rule as written, and the user's limits).  Four
stages, each reported to ``progress``:

1. **Anchors.**  Hiring nobody and hiring the most allowed, as early as
   allowed, are simulated on the first replications.
2. **Model.**  The expected-value model
   (:mod:`~simsales.analysis.optimize_model`) forecasts every allowed
   candidate (or, in a large space, a coarse grid refined by local search
   around its best), calibrated on the anchors: the simulated gain of the
   most-hiring plan over hiring nobody fixes the scale of the modelled gains
   (:class:`~simsales.analysis.optimize_model.Calibration`).  Its best
   :data:`REGION` candidates, the anchors and the scenario's own plans that
   the span rule allows as written enter the race.
3. **Race.**  The simulation decides, with common random numbers and
   sequential elimination on paired differences
   (:mod:`~simsales.analysis.optimize_select`).
4. **Confirm.**  The top ``K`` get the same replications as the last
   survivors (at least :data:`CONFIRM`); every plan with those replications
   is ranked on them, with P(best), and compared with the scenario's first
   plan, paired.

Money is in the scenario's currency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from simsales.analysis.optimize_model import ExpectedValueModel, Forecast, calibrate
from simsales.analysis.optimize_result import Outcome, RankedPlan, describe, unique_name
from simsales.analysis.optimize_select import OBJECTIVES, Arm, Race, Simulator, p_best, spread
from simsales.analysis.optimize_space import Candidate, HiringTerms, Limits, Space, hiring_terms
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo import Executor
from simsales.scenario import HiringPlan, Scenario
from simsales.world.hiring import plan_requests

__all__ = ["CONFIRM", "FIRST_ROUND", "INDIFFERENCE", "OBJECTIVES", "REGION", "OptimizeError", "Outcome",
           "Progress", "RankedPlan", "Settings", "optimize", "search"]

FIRST_ROUND = 10
"""Replications of the race's first round (and of the anchors)."""
REGION = 12
"""Candidates the model sends to the race (besides the anchors and the scenario's own plans)."""
LOCAL_STARTS = 4
"""In a large space, the local search starts from this many of the coarse grid's best."""
INDIFFERENCE = 0.001
"""``δ`` of the race, as a share of hiring nobody's mean (net revenue for margin and revenue, deals for
won): a difference smaller than this does not matter.  For ``p_plan`` it is :data:`P_PLAN_INDIFFERENCE`."""
P_PLAN_INDIFFERENCE = 0.01
"""``δ`` of the race for ``p_plan``: one percentage point."""
CONFIRM = 50
"""The returned plans get at least this many replications (or the most allowed, if fewer)."""


class OptimizeError(ValueError):
    """Settings that cannot work for this scenario (the message says why, for the user).

    Args:
        message: what is wrong and what was expected.
        option: the command-line option at fault ("" if none).
    """

    def __init__(self, message: str, option: str = "") -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Settings:
    """How to optimise.

    Attributes:
        objective: one of :data:`OBJECTIVES`.
        limits: the months, hires per month, headcount and budget limits.
        min_p_plan: the floor on the chance of making the revenue plan (None: none).
        replications: the most replications a plan gets (None: the scenario's).
        seed: the seed (None: the scenario's).
        workers: processes.
        top: plans to return.
        engine: ``"fast"`` or ``"des"``.
        terms_plan: the plan whose time to hire, cost per hire and ``on_cap``
            candidates use (None: the first plan that hires).
        first_round: replications of the first round.
        region: candidates the model sends to the race.
        executor: where the replications run (None: by ``workers``).
    """

    objective: str = "margin"
    limits: Limits = field(default_factory=Limits)
    min_p_plan: float | None = None
    replications: int | None = None
    seed: int | None = None
    workers: int = 1
    top: int = 3
    engine: str = DEFAULT_ENGINE
    terms_plan: str | None = None
    first_round: int = FIRST_ROUND
    region: int = REGION
    executor: Executor | None = None


class Progress(Protocol):
    """Where the stages are reported (the command line draws them)."""

    def stage(self, text: str, total: int) -> None:
        """A stage begins, with ``total`` steps (plans scored or plan-replications run)."""

    def advance(self, steps: int) -> None:
        """``steps`` more steps of the stage are done."""


class _Quiet:
    def stage(self, text: str, total: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


def _arm_name(c: Candidate) -> str:
    name = "hire-" + "-".join(map(str, c.managers))
    return name + ("-tl-" + "-".join(map(str, c.team_leads)) if any(c.team_leads) else "")


def _as_candidate(plan: HiringPlan, space: Space, terms: HiringTerms) -> Candidate | None:
    """A scenario plan as a candidate, when the span rule and the limits allow it as written."""
    managers, leads = plan_requests(plan, space.months)
    c = Candidate(tuple(int(x) for x in managers), tuple(int(x) for x in leads))
    if c.hires == 0:
        return space.zero()  # hiring nobody: the terms do not matter
    same = plan.time_to_hire_days == terms.time_to_hire_days and plan.cost_per_hire == terms.cost_per_hire
    return c if same and space.check(c) is None else None


def search(space: Space, score: Callable[[Candidate], float], progress: Progress) -> dict[Candidate, float]:
    """Score the space: every candidate, or a coarse grid refined by local search.

    Args:
        space: the decision space.
        score: a candidate's calibrated objective.
        progress: where the stage is reported.

    Returns:
        Every candidate scored, with its score.
    """
    step = 1
    while (grid := space.enumerate(step)) is None:
        step *= 2
    coarse = f" (every {step} managers, then refined)" if step > 1 else ""
    progress.stage(f"model: {len(grid)} plans{coarse}", len(grid))
    scores: dict[Candidate, float] = {}
    for c in grid:
        scores[c] = score(c)
        progress.advance(1)
    while step > 1:
        step //= 2
        for current in sorted(scores, key=lambda c: (-scores[c], c))[:LOCAL_STARTS]:
            while True:
                near = space.neighbours(current, step)
                for c in near:
                    if c not in scores:
                        scores[c] = score(c)
                better = max(near, key=lambda c: (scores[c], c), default=None)
                if better is None or scores[better] <= scores[current]:
                    break
                current = better
    return scores


def _check(scenario: Scenario, settings: Settings) -> None:
    if settings.objective not in OBJECTIVES:
        raise OptimizeError(f"unknown objective {settings.objective!r}; expected one of "
                            f"{', '.join(OBJECTIVES)}", "--objective")
    for needs, option in ((settings.objective == "p_plan", "--objective"),
                          (settings.min_p_plan is not None, "--min-p-plan")):
        if needs and not scenario.revenue_plan > 0:
            raise OptimizeError("p_plan is the chance of reaching the revenue plan, and the scenario sets "
                                "no revenue_plan (the net revenue target): add one, or choose another "
                                "objective", option)
    if settings.terms_plan is not None and settings.terms_plan not in [p.name for p in scenario.plans]:
        raise OptimizeError(f"no plan named {settings.terms_plan!r}; the file has "
                            f"{', '.join(p.name for p in scenario.plans)}", "--terms")
    if settings.top < 1 or settings.first_round < 1 or settings.region < 1:
        raise OptimizeError("top, first_round and region must be at least 1", "--top")


def _simulated(arm: Arm, forecast: Forecast) -> tuple[Forecast, dict[str, np.ndarray]]:
    return forecast, {k: arm.metrics[k].to_numpy(dtype=float) for k in ("revenue_net", "margin", "won")}


def _indifference(objective: str, zero: Arm) -> float:
    """The race's ``δ`` in the objective's unit, from hiring nobody's simulated means."""
    if objective == "p_plan":
        return P_PLAN_INDIFFERENCE
    measure = "won" if objective == "won" else "revenue_net"
    return INDIFFERENCE * abs(float(zero.metrics[measure].mean()))


def _rank(race: Race, arms: list[Arm], n: int) -> list[Arm]:
    return sorted(arms, key=lambda a: race.order(a, n), reverse=True)


def optimize(scenario: Scenario, settings: Settings, progress: Progress | None = None) -> Outcome:
    """Find the best hiring plans (see the module docstring).

    Args:
        scenario: the validated scenario.
        settings: the objective, limits and run settings.
        progress: where the stages are reported (None: nowhere).

    Returns:
        The best plans, and what the search spent.

    Raises:
        OptimizeError: the settings cannot work for this scenario.
    """
    progress = progress or _Quiet()
    _check(scenario, settings)
    terms = hiring_terms(scenario, settings.terms_plan)
    try:
        space = Space(scenario, terms, settings.limits)
    except ValueError as exc:
        raise OptimizeError(str(exc), "--months") from None
    cap = settings.limits.max_headcount
    if cap is not None and cap < space.managers_at_start:
        raise OptimizeError(f"expected at least the {space.managers_at_start} managers on the team at the "
                            f"start, got {cap}", "--max-headcount")
    seed = scenario.seed if settings.seed is None else settings.seed
    most = settings.replications or scenario.replications
    first = min(settings.first_round, most)
    sim = Simulator(scenario, seed, settings.engine, settings.workers, progress.advance, settings.executor)
    race = Race(sim, settings.objective, scenario.revenue_plan, settings.min_p_plan)
    model = ExpectedValueModel(scenario)
    arms: dict[Candidate, Arm] = {}
    forecasts: dict[Candidate, Forecast] = {}

    def arm(c: Candidate) -> Arm:
        if c not in arms:
            arms[c] = Arm(_arm_name(c), c.plan(_arm_name(c), space.months, terms))
        return arms[c]

    def forecast(c: Candidate) -> Forecast:
        if c not in forecasts:
            forecasts[c] = model.forecast(arm(c).plan if c in arms else c.plan("model", space.months, terms))
        return forecasts[c]

    first_plan = scenario.plans[0]
    base_c = _as_candidate(first_plan, space, terms)
    baseline = arm(base_c) if base_c is not None else Arm(
        "~baseline", first_plan.model_copy(update={"name": "~baseline"}), competes=False)
    shipped = [c for p in scenario.plans if (c := _as_candidate(p, space, terms)) is not None]
    anchors = list(dict.fromkeys([space.zero(), space.greedy_max()]))
    todo = [arm(c) for c in anchors] + ([] if baseline.competes else [baseline])
    progress.stage(f"anchors: {len(todo)} plans x {first} replications", len(todo) * first)
    race.top_up(todo, first)
    race.indifference = _indifference(settings.objective, arm(anchors[0]))
    calibration = calibrate(settings.objective, scenario.revenue_plan, model.commission,
                            _simulated(arm(anchors[0]), forecast(anchors[0])),
                            _simulated(arm(anchors[-1]), forecast(anchors[-1])) if len(anchors) > 1 else None)
    scores = search(space, lambda c: calibration.score(forecast(c)), progress)
    region = sorted(scores, key=lambda c: (-scores[c], c))[:settings.region]
    entrants = [arm(c) for c in dict.fromkeys([*region, *anchors, *shipped])]

    def on_round(number: int, k: int, n: int, work: int) -> None:
        progress.stage(f"race, round {number}: {k} plans x {n} replications", work)

    alive = race.run(entrants, first, most, baseline, on_round)
    n_final = max([min(most, CONFIRM), *(a.n for a in alive)])
    out = [a for a in entrants if a not in alive and not a.out.startswith("p_plan")]
    order = _rank(race, alive, n_final) + sorted(
        out, key=lambda a: (a.out_at, *race.order(a)), reverse=True)
    finalists = [a for a in order if race.meets_floor(a)][:settings.top]
    todo = [a for a in [*finalists, baseline] if a.n < n_final]
    progress.stage(f"confirming the top {len(finalists)}", sum(n_final - a.n for a in todo))
    race.top_up(todo, n_final)
    pool = _rank(race, [a for a in entrants if a.n >= n_final and race.meets_floor(a)], n_final)
    chances = p_best(np.array([race.values(a, n_final) for a in pool]), seed) if pool else np.array([])
    base_values = race.values(baseline, n_final)
    first_values = race.values(pool[0], n_final) if pool else base_values
    top = []
    by_arm = {id(a): c for c, a in arms.items()}
    used = {p.name for p in scenario.plans}
    for rank, (a, chance) in enumerate(zip(pool[:settings.top], chances, strict=False), 1):
        c = by_arm[id(a)]
        values = race.values(a, n_final)
        diff, behind = values - base_values, values - first_values
        name = unique_name(f"opt-{rank}", used)
        label = f"optimised #{rank}: {describe(c, space.months)}"
        top.append(RankedPlan(
            name, label, c, c.plan(name, space.months, terms, label), spread(values), float(chance),
            {**spread(diff), "p_better": float(np.mean(diff > 0))},
            {"mean": float(behind.mean()), "se": _se(behind)}, n_final, space.cost(c),
            _p_plan(a, n_final, scenario.revenue_plan)))
    return Outcome(scenario.name, settings.objective, seed, space.months, terms, len(scores), len(entrants),
                   sim.plan_replications, race.rounds, first_plan.name, top, calibration.scale)


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def _p_plan(arm: Arm, n: int, revenue_plan: float) -> float | None:
    revenue = arm.metrics["revenue_net"].to_numpy(dtype=float)[:n]
    return float(np.mean(revenue >= revenue_plan)) if revenue_plan > 0 else None



