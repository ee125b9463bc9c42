"""`simsales optimize`: the best hiring plans the span rule allows, and how sure we are of each.

The decision is the number of managers (and, with ``--team-leads``, team
leads) hired in each month (:mod:`~simsales.analysis.optimize_space`: every
candidate fits the span rule as written, and the user's limits), or a plan
of headcount targets, ``headcount: N`` in some months and ``backfill`` or
not (:mod:`~simsales.analysis.optimize_targets`: the span rule blocks none of
its hires on three deterministic check worlds).  Four stages, each reported
to ``progress``:

1. **Anchors.**  Hiring nobody and hiring the most allowed, as early as
   allowed, are simulated on the first replications.
2. **Model.**  The expected-value model
   (:mod:`~simsales.analysis.optimize_model`) forecasts every allowed
   candidate (or, in a large space, a coarse grid refined by local search
   around its best), calibrated on the anchors: the simulated gain of the
   most-hiring plan over hiring nobody fixes the scale of the modelled gains
   (:class:`~simsales.analysis.optimize_model.Calibration`).  A target
   plan's forecast is hiring nobody's plus its gain in the check world of
   the expected leavers (:meth:`~simsales.analysis.optimize_targets.TargetSpace.forecast`).
   Its best :data:`REGION` decisions of either kind, its best
   :data:`TARGET_REGION` target plans, keeping the team (``backfill``), the
   anchors and the scenario's own plans that are decisions enter the race,
   each only if the span rule blocks none of its hires on the three check
   worlds (:class:`~simsales.analysis.optimize_targets.Worlds`: for a
   hire-N candidate, that is when a team lead leaves and their managers take
   the room its hires were to fill);
   how long the race may take is reported (``progress.note``).
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

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from simsales.analysis.optimize_model import ExpectedValueModel, Forecast, calibrate, simulated
from simsales.analysis.optimize_result import Outcome, RankedPlan, unique_name
from simsales.analysis.optimize_select import (
    OBJECTIVES,
    Arm,
    Race,
    Simulator,
    hiring_record,
    p_best,
    p_plan_of,
    spread,
    standard_error,
)
from simsales.analysis.optimize_space import Candidate, HiringTerms, Limits, Space, hiring_terms
from simsales.analysis.optimize_targets import Target, TargetSpace, as_target
from simsales.analysis.optimize_worlds import Worlds
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo import Executor
from simsales.scenario import HiringPlan, Scenario
from simsales.scenario.messages import no_plan_named
from simsales.world.hiring import plan_requests

__all__ = ["CONFIRM", "FIRST_ROUND", "INDIFFERENCE", "OBJECTIVES", "REGION", "OptimizeError", "Outcome",
           "Progress", "RankedPlan", "Settings", "optimize", "search"]

FIRST_ROUND = 10
"""Replications of the race's first round (and of the anchors)."""
REGION = 24
"""Candidates the model sends to the race (besides the anchors and the scenario's own plans).  The
model's order is only roughly the simulation's (on q3 with hires in July and August, the exhaustive
search's best of 81 plans was outside the model's 20 best, inside its 24); a plan clearly worse
leaves the race after the first round, so a wide region costs little."""
TARGET_REGION = 4
"""Headcount-target decisions the model sends to the race besides those among its best
:data:`REGION` (and keeping the team, ``backfill`` alone, always)."""
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
        targets: headcount-target decisions (``headcount: N``, ``backfill``) are searched too.
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
    targets: bool = True


class Progress(Protocol):
    """Where the stages are reported (the command line draws them)."""

    def stage(self, text: str, total: int) -> None:
        """A stage begins, with ``total`` steps (plans scored or plan-replications run)."""

    def advance(self, steps: int) -> None:
        """``steps`` more steps of the stage are done."""

    def note(self, text: str) -> None:
        """A line for the user between stages (how long the race may take)."""


class _Quiet:
    def stage(self, text: str, total: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


Decision = Candidate | Target
"""A hire-N candidate or a headcount-target decision."""


def _as_candidate(plan: HiringPlan, space: Space, terms: HiringTerms,
                  targets: TargetSpace | None) -> Decision | None:
    """A scenario plan as a decision, when the span rule and the limits allow it as written."""
    target = as_target(plan, space.months, terms)
    if target is not None:
        return target if targets is not None and targets.check(target) is None else None
    if plan.backfill or any(m.headcount is not None or m.promote for m in plan.months):
        return None
    managers, leads = plan_requests(plan, space.months)
    c = Candidate(tuple(int(x) for x in managers), tuple(int(x) for x in leads))
    if c.hires == 0:
        return space.zero()  # hiring nobody: the terms do not matter
    same = plan.time_to_hire_days == terms.time_to_hire_days and plan.cost_per_hire == terms.cost_per_hire
    return c if same and space.check(c) is None else None


def search(space: Space | TargetSpace, score: Callable[[Any], float], progress: Progress,
           kind: str = "plans") -> dict[Any, float]:
    """Score the space: every candidate, or a coarse grid refined by local search.

    Args:
        space: the decision space (hire-N candidates or headcount targets).
        score: a candidate's calibrated objective.
        progress: where the stage is reported.
        kind: what the stage calls the candidates.

    Returns:
        Every candidate scored, with its score.
    """
    step = 1
    while (grid := space.enumerate(step)) is None:
        step *= 2
    coarse = f" (every {step} managers, then refined)" if step > 1 else ""
    progress.stage(f"model: {len(grid)} {kind}{coarse}", len(grid))
    scores: dict[Candidate, float] = {}
    for c in grid:
        scores[c] = score(c)
        progress.advance(1)
    while step > 1:
        step //= 2
        for current in sorted(scores, key=lambda c: (-scores[c], c.key))[:LOCAL_STARTS]:
            while True:
                near = space.neighbours(current, step)
                for c in near:
                    if c not in scores:
                        scores[c] = score(c)
                better = max(near, key=lambda c: (scores[c], c.key), default=None)
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
        raise OptimizeError(no_plan_named(settings.terms_plan, [p.name for p in scenario.plans]), "--terms")
    if settings.top < 1 or settings.first_round < 1 or settings.region < 1:
        raise OptimizeError("top, first_round and region must be at least 1", "--top")


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
    worlds = Worlds(model)
    targets = TargetSpace(space, model) if settings.targets else None
    fits: dict[Decision, bool] = {}

    def fit(c: Decision) -> bool:
        """The span rule blocks none of its hires on the three check worlds (a target's own check)."""
        if c not in fits:
            fits[c] = (targets.check(c) is None if isinstance(c, Target) and targets is not None
                       else worlds.blocks(c.plan("check", space.months, terms)) is None)
        return fits[c]

    arms: dict[Decision, Arm] = {}
    forecasts: dict[Decision, Forecast] = {}

    def arm(c: Decision) -> Arm:
        if c not in arms:
            arms[c] = Arm(c.name, c.plan(c.name, space.months, terms))
        return arms[c]

    def forecast(c: Decision) -> Forecast:
        if c not in forecasts:
            forecasts[c] = (targets.forecast(c) if isinstance(c, Target) and targets is not None
                            else model.forecast(c.plan("model", space.months, terms)))
        return forecasts[c]

    first_plan = scenario.plans[0]
    base_c = _as_candidate(first_plan, space, terms, targets)
    baseline = arm(base_c) if base_c is not None else Arm(
        "~baseline", first_plan.model_copy(update={"name": "~baseline"}), competes=False)
    shipped = [c for p in scenario.plans
               if (c := _as_candidate(p, space, terms, targets)) is not None and fit(c)]
    anchors = list(dict.fromkeys([space.zero(), space.greedy_max()]))
    todo = [arm(c) for c in anchors] + ([] if baseline.competes else [baseline])
    progress.stage(f"anchors: {len(todo)} plans x {first} replications", len(todo) * first)
    started = time.perf_counter()
    race.top_up(todo, first)
    per_plan_replication = (time.perf_counter() - started) / max(1, sim.plan_replications)
    race.indifference = _indifference(settings.objective, arm(anchors[0]))
    hire_none, hire_most = (simulated(forecast(c), arm(c).metrics) for c in (anchors[0], anchors[-1]))
    calibration = calibrate(settings.objective, scenario.revenue_plan, model.commission, hire_none,
                            hire_most if len(anchors) > 1 else None)

    def score(c: Decision) -> float:
        return calibration.score(forecast(c))

    scores = search(space, score, progress)
    target_scores = search(targets, score, progress, "headcount-target plans") if targets is not None else {}

    def best(found: dict[Decision, float], k: int) -> list[Decision]:
        ranked = (c for c in sorted(found, key=lambda c: (-found[c], c.key)) if fit(c))
        return list(itertools.islice(ranked, k))

    region = best({**scores, **target_scores}, settings.region) + best(target_scores, TARGET_REGION)
    if targets is not None and targets.check(targets.keep()) is None:
        region.append(targets.keep())
    entrants = [arm(c) for c in dict.fromkeys([*region, *[c for c in anchors if fit(c)], *shipped])]
    scored = len(scores) + len(target_scores)
    _estimate(progress, per_plan_replication, len(entrants), first, most, settings.top)

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
        label = f"optimised #{rank}: {c.describe(space.months)}"
        top.append(RankedPlan(
            name, label, c, c.plan(name, space.months, terms, label), spread(values), float(chance),
            {**spread(diff), "p_better": float(np.mean(diff > 0))},
            {"mean": float(behind.mean()), "se": standard_error(behind)}, n_final,
            targets.cost(c) if isinstance(c, Target) and targets is not None else space.cost(c),
            p_plan_of(a, n_final, scenario.revenue_plan), *hiring_record(a, n_final)))
    return Outcome(scenario.name, settings.objective, seed, space.months, terms, scored, len(entrants),
                   sim.plan_replications, race.rounds, first_plan.name, top, calibration.scale)


def _estimate(progress: Progress, seconds: float, entrants: int, first: int, most: int, top: int) -> None:
    """Say how long the race may take, from the anchors' seconds per plan-replication.

    At least: every plan runs the first round, and the top plans and the
    baseline reach the confirmation's replications; at most: no plan leaves
    the race before ``most`` replications.
    """
    confirm = max(min(most, CONFIRM), first)
    least = entrants * first + (top + 1) * (confirm - first)
    worst = (entrants + 1) * most
    progress.note(f"{entrants} plans enter the race; at {seconds:.2f} s per plan-replication (measured on "
                  f"the anchors) it takes {_minutes(least * seconds)} to {_minutes(worst * seconds)} "
                  f"({least:,} to {worst:,} plan-replications: the fewer the close calls, the shorter)")


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
