"""Ranking and selection for `simsales optimize`: the simulation decides between candidate plans.

Every candidate runs on the same replications of the same seed (common
random numbers: replication ``r`` of every plan meets the same parameter
draws, leads, managers and clients), so two plans are compared by their
*paired* difference, replication by replication, which is far less noisy
than either plan alone.

**Sequential elimination** (:class:`Race`).  Round one runs every candidate
on the first replications; after each round the current best (highest
mean objective among those meeting the ``p_plan`` floor; a tie goes to
the higher margin) is compared with every other candidate.  A candidate
leaves the race when, with confidence ``1 - ALPHA``, it does not beat the
best by the indifference amount ``δ`` or more: the upper end of a one-sided Student-t interval on its paired
mean difference to the best, Bonferroni-corrected over the candidates in
the round, is below ``δ``.  So a clearly worse plan leaves after one
round, and two plans within ``δ`` of each other (a difference nobody
would act on) stop costing replications once the difference is known to
about ``δ``; what is returned is within ``δ`` of the best candidate, up to
the rounds' error level.  The survivors get as many replications again
(each round doubles their count) until one is left or they reach the most
replications allowed.  With ``--min-p-plan`` a candidate whose chance of
making the revenue plan is significantly below the floor (a one-sided
Clopper-Pearson bound) leaves too.  A replication makes the revenue plan by
the rule a run reports (:class:`~simsales.montecarlo.RevenuePlan`): with a
monthly plan that leaves months out, on the targeted months' net revenue.

**P(best)** (:func:`p_best`) is the share of bootstrap resamples of the
replications (the same resample for every plan, which keeps the pairing)
in which a plan has the highest mean objective; ties share the credit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from simsales.montecarlo import (
    METRICS,
    PLAN_REVENUE,
    Batch,
    Executor,
    InProcessExecutor,
    PoolExecutor,
    RevenuePlan,
    makes_plan,
)
from simsales.montecarlo.revenue_plan import NET_MONTHLY
from simsales.scenario import HiringPlan, Scenario

__all__ = ["ALPHA", "BOOTSTRAP", "OBJECTIVES", "Arm", "Race", "Simulator", "hiring_record",
           "made", "objective_values", "p_best", "p_plan_of", "spread", "standard_error"]

OBJECTIVES = ("margin", "revenue_net", "p_plan", "won")
"""What the optimiser maximises: margin, net revenue (scenario's currency), the chance of making the
revenue plan, deals won."""
ALPHA = 0.05
"""The error level of one round's eliminations (split over the candidates)."""
BOOTSTRAP = 2000
"""Bootstrap resamples behind P(best)."""
BOOTSTRAP_KEY = 15
"""The bootstrap's stream: ``SeedSequence([seed, BOOTSTRAP_KEY])``, apart from every replication's."""


def objective_values(metrics: pd.DataFrame, objective: str, revenue_plan: float) -> np.ndarray:
    """The objective per replication.

    Args:
        metrics: one row per replication (for ``p_plan``, with the :data:`PLAN_REVENUE` column
            :meth:`Simulator.run` adds).
        objective: one of :data:`OBJECTIVES`.
        revenue_plan: the net revenue target (scenario's currency), for ``p_plan``.

    Returns:
        Money for margin and net revenue, deals for won; for ``p_plan``, 1.0
        where the revenue the plan is measured on reaches it and 0.0 elsewhere
        (its mean is ``p_plan``, as the run reports it).
    """
    if objective == "p_plan":
        return made(metrics, revenue_plan).astype(float)
    return metrics[objective].to_numpy(dtype=float)


def made(metrics: pd.DataFrame, revenue_plan: float) -> np.ndarray:
    """Per replication, whether it makes the revenue plan, by the run's rule (:class:`RevenuePlan`).

    Args:
        metrics: one row per replication, with the :data:`PLAN_REVENUE` column.
        revenue_plan: the net revenue target (scenario's currency).

    Returns:
        Booleans, one per row.
    """
    return makes_plan(metrics[PLAN_REVENUE].to_numpy(dtype=float), revenue_plan)


class Simulator:
    """Runs plans over a range of replications of one seed, and counts the plan-replications.

    Args:
        scenario: the validated scenario.
        seed: the run's seed.
        engine: ``"fast"`` or ``"des"``.
        workers: processes (1: this one).
        advance: called with the plan-replications just finished.
        executor: where batches run (None: this process with one worker, else a local pool).
    """

    def __init__(self, scenario: Scenario, seed: int, engine: str, workers: int,
                 advance: Callable[[int], None] | None = None, executor: Executor | None = None) -> None:
        self.scenario, self.seed, self.engine, self.workers = scenario, seed, engine, workers
        self.advance, self.executor = advance, executor
        self.target = RevenuePlan.of(scenario)
        self.plan_replications = 0

    def run(self, plans: Sequence[HiringPlan], first: int, count: int) -> dict[str, pd.DataFrame]:
        """Replications ``first .. first + count - 1`` of ``plans``.

        Args:
            plans: the plans (unique names).
            first: the first replication (0-based).
            count: how many.

        Returns:
            Plan name -> its metrics, one row per replication (indexed by number), and
            :data:`PLAN_REVENUE`: the net revenue the revenue plan is measured on.
        """
        size = max(1, math.ceil(count / (2 * self.workers)))
        batches = [Batch(self.scenario, tuple(plans), r, min(size, first + count - r), self.seed, self.engine)
                   for r in range(first, first + count, size)]
        executor = self.executor or (InProcessExecutor() if self.workers <= 1 or len(batches) == 1
                                     else PoolExecutor(self.workers))
        done: dict[int, list] = {}
        running = executor.run(batches)
        try:
            for index, results in running:
                done[index] = results
                if self.advance is not None:
                    self.advance(len(results) * len(plans))
        finally:  # stop the workers at once on an error or Ctrl-C
            close = getattr(running, "close", None)
            if close is not None:
                close()
        reps = [rep for i in range(len(batches)) for rep in done[i]]
        self.plan_replications += len(reps) * len(plans)
        index = pd.RangeIndex(first, first + count, name="replication")
        frames = {}
        for p in plans:
            frame = pd.DataFrame([rep[p.name][0] for rep in reps], columns=list(METRICS), index=index)
            monthly = np.stack([rep[p.name][1][NET_MONTHLY] for rep in reps]) \
                if reps and not self.target.whole_horizon else None
            frame[PLAN_REVENUE] = self.target.revenue(frame["revenue_net"].to_numpy(dtype=float), monthly)
            frames[p.name] = frame
        return frames


@dataclass
class Arm:
    """A plan in the race.

    Attributes:
        name: the plan's name in the runs (unique).
        plan: the plan.
        competes: a candidate (False: the baseline, run only to be compared with).
        metrics: its metrics on replications ``0 .. n - 1``.
        out: why it left the race ("" while in it).
        out_at: replications it had when it left.
    """

    name: str
    plan: HiringPlan
    competes: bool = True
    metrics: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(METRICS)))
    out: str = ""
    out_at: int = 0

    @property
    def n(self) -> int:
        """Replications run."""
        return len(self.metrics)


def spread(x: np.ndarray) -> dict[str, float]:
    """Mean, P10, P50 and P90 of ``x``."""
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    return {"mean": float(x.mean()), "p10": float(p10), "p50": float(p50), "p90": float(p90)}


def p_best(values: np.ndarray, seed: int, resamples: int = BOOTSTRAP) -> np.ndarray:
    """The chance each plan is the best, by paired bootstrap over replications.

    Args:
        values: ``(plans, replications)``: each plan's objective on the same replications.
        seed: the run's seed (the resamples depend on it alone).
        resamples: bootstrap resamples.

    Returns:
        Per plan, the share of resamples in which its mean is the highest
        (ties share); sums to 1.
    """
    n = values.shape[1]
    rng = np.random.default_rng(np.random.SeedSequence([seed, BOOTSTRAP_KEY]))
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)  # (B, n)
    means = values @ counts.T / n  # (plans, B)
    top = np.isclose(means, means.max(axis=0), rtol=1e-12, atol=0.0)
    return (top / top.sum(axis=0)).mean(axis=1)


class Race:
    """Sequential elimination on paired differences (see the module docstring).

    Args:
        simulator: runs the replications.
        objective: one of :data:`OBJECTIVES`.
        revenue_plan: the net revenue target (scenario's currency; 0: none).
        min_p_plan: the floor on ``p_plan`` (None: none).
        indifference: ``δ``, in the objective's unit: a difference this small does not matter.
        alpha: the error level of one round's eliminations.
    """

    def __init__(self, simulator: Simulator, objective: str, revenue_plan: float,
                 min_p_plan: float | None = None, indifference: float = 0.0, alpha: float = ALPHA) -> None:
        self.sim, self.objective, self.revenue_plan = simulator, objective, revenue_plan
        self.min_p_plan, self.indifference, self.alpha = min_p_plan, indifference, alpha
        self.rounds: list[tuple[int, int]] = []  # (replications, candidates in the race) per round

    def values(self, arm: Arm, n: int | None = None) -> np.ndarray:
        """The arm's objective on its first ``n`` replications (all by default)."""
        v = objective_values(arm.metrics, self.objective, self.revenue_plan)
        return v if n is None else v[:n]

    def order(self, arm: Arm, n: int | None = None) -> tuple[float, float]:
        """How the arm ranks on its first ``n`` replications: its mean objective, then its mean margin.

        The margin breaks ties, which are common with ``p_plan`` (a share of replications).
        """
        margin = arm.metrics["margin"].to_numpy(dtype=float)
        return float(self.values(arm, n).mean()), float((margin if n is None else margin[:n]).mean())

    def p_plan(self, arm: Arm) -> float:
        """The share of the arm's replications that make the revenue plan."""
        return float(np.mean(made(arm.metrics, self.revenue_plan)))

    def meets_floor(self, arm: Arm) -> bool:
        """The arm's estimated ``p_plan`` is at least the floor (always, with no floor)."""
        return self.min_p_plan is None or self.p_plan(arm) >= self.min_p_plan

    def top_up(self, arms: Sequence[Arm], n: int) -> None:
        """Run every arm up to ``n`` replications; arms at the same count run together (one world each).

        Args:
            arms: the arms.
            n: replications each should have.
        """
        by_start: dict[int, list[Arm]] = {}
        for arm in arms:
            if arm.n < n:
                by_start.setdefault(arm.n, []).append(arm)
        for first, group in sorted(by_start.items()):
            frames = self.sim.run([a.plan for a in group], first, n - first)
            for arm in group:
                new = frames[arm.name]
                arm.metrics = new if arm.metrics.empty else pd.concat([arm.metrics, new])

    def eliminate(self, alive: list[Arm]) -> list[Arm]:
        """One round's eliminations among arms with the same replications.

        Args:
            alive: the arms in the race.

        Returns:
            Those that stay, in the same order; the others get ``out`` and ``out_at``.
        """
        n = alive[0].n
        if self.min_p_plan is not None and self.revenue_plan > 0:
            for arm in alive:
                made = round(self.p_plan(arm) * n)
                upper = 1.0 if made >= n else float(stats.beta.ppf(1.0 - self.alpha, made + 1, n - made))
                if upper < self.min_p_plan:
                    arm.out, arm.out_at = f"p_plan below {self.min_p_plan:g}", n
        alive = [a for a in alive if not a.out]
        ok = [a for a in alive if self.meets_floor(a)]
        if len(alive) < 2 or not ok or n < 2:
            return alive
        best = max(ok, key=self.order)
        crit = float(stats.t.ppf(1.0 - self.alpha / (len(alive) - 1), n - 1))
        for arm in alive:
            if arm is best:
                continue
            diff = self.values(arm) - self.values(best)
            upper = float(diff.mean()) + crit * float(diff.std(ddof=1)) / math.sqrt(n)
            if upper < self.indifference:
                arm.out, arm.out_at = f"worse than {best.name}", n
        return [a for a in alive if not a.out]

    def run(self, arms: list[Arm], first: int, most: int, baseline: Arm,
            on_round: Callable[[int, int, int, int], None] | None = None) -> list[Arm]:
        """The race: rounds of ``first``, then doubling, replications, up to ``most``.

        Args:
            arms: the candidates (some may have replications already).
            first: replications of the first round.
            most: the most replications a candidate gets.
            baseline: the plan every candidate is compared with; run alongside.
            on_round: called before each round with (round, candidates, replications,
                plan-replications the round runs).

        Returns:
            The arms still in the race, all with the same replications.
        """
        alive, n, number = list(arms), min(first, most), 1
        while True:
            todo = alive if baseline in alive else [*alive, baseline]
            if on_round is not None:
                on_round(number, len(alive), n, sum(max(0, n - a.n) for a in todo))
            self.top_up(todo, n)
            self.rounds.append((n, len(alive)))
            alive = self.eliminate(alive)
            if len(alive) <= 1 or n >= most:
                return alive
            n, number = min(2 * n, most), number + 1


def hiring_record(arm: Arm, n: int) -> tuple[float, float]:
    """Mean managers hired, and the share of replications in which the span rule deferred or refused one."""
    m = arm.metrics.iloc[:n]
    blocked = m["hires_deferred"].to_numpy(dtype=float) + m["hires_refused"].to_numpy(dtype=float)
    return float(m["hires_made"].to_numpy(dtype=float).mean()), float(np.mean(blocked > 0))


def standard_error(x: np.ndarray) -> float:
    """The standard error of the mean of ``x`` (nan for fewer than 2 values)."""
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def p_plan_of(arm: Arm, n: int, revenue_plan: float) -> float | None:
    """The share of the arm's first ``n`` replications that make the revenue plan (None: no plan)."""
    return float(np.mean(made(arm.metrics.iloc[:n], revenue_plan))) if revenue_plan > 0 else None
