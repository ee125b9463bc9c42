"""What `simsales optimize` returns: the best plans, how sure, and what the search spent.

Money is in the scenario's currency; an objective's statistics are in its
unit (money, deals, or a chance for ``p_plan``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simsales.analysis.optimize_decision import Candidate, HiringTerms
from simsales.scenario import HiringPlan

if TYPE_CHECKING:
    from simsales.analysis.optimize_targets import Target

__all__ = ["Outcome", "RankedPlan", "describe", "unique_name"]


@dataclass(frozen=True)
class RankedPlan:
    """One of the best plans found.

    Attributes:
        name: its name in the output and in ``-o``'s file.
        label: its display name.
        candidate: its hires per month, or its headcount targets.
        plan: the hiring plan.
        objective: mean, P10, P50, P90 of the objective over its replications.
        p_best: the chance it is the best of the plans ranked on the same replications.
        vs_baseline: mean, P10, P50, P90 of the paired difference against the
            scenario's first plan, and ``p_better`` (the share of replications it does strictly better).
        vs_best: mean and standard error of the paired difference against the first plan of
            the list (zero for that plan), in the objective's unit.
        replications: replications it ran.
        committed: what its hires commit (cost per hire and salaries to the horizon's end), money;
            for a headcount-target plan, the hires it makes with the expected leavers.
        p_plan: its chance of making the revenue plan (None: no plan).
        hires_made: managers who joined in the horizon, mean over its replications.
        deferred_share: the share of its replications in which the span rule deferred or
            refused a hire (0 for a hire-N candidate, by construction).
    """

    name: str
    label: str
    candidate: Candidate | Target
    plan: HiringPlan
    objective: dict[str, float]
    p_best: float
    vs_baseline: dict[str, float]
    vs_best: dict[str, float]
    replications: int
    committed: float
    p_plan: float | None
    hires_made: float
    deferred_share: float


@dataclass(frozen=True)
class Outcome:
    """What the optimiser found and what it spent.

    Attributes:
        scenario: the scenario's name.
        objective: what was maximised.
        seed: the seed.
        months: the horizon's months, ``YYYY-MM``.
        terms: the hiring terms every candidate used.
        scored: candidates the model forecast.
        candidates: candidates simulated.
        plan_replications: plan-replications simulated, the anchors, baseline and confirmation included.
        rounds: per round of the race, (replications, candidates in it).
        baseline: the scenario's first plan.
        top: the best plans, best first (empty when none meets the ``p_plan`` floor).
        scale: the calibration's revenue scale.
    """

    scenario: str
    objective: str
    seed: int
    months: list[str]
    terms: HiringTerms
    scored: int
    candidates: int
    plan_replications: int
    rounds: list[tuple[int, int]]
    baseline: str
    top: list[RankedPlan]
    scale: float

    def document(self) -> dict:
        """The JSON document of ``--format json`` (see the README)."""
        return {
            "scenario": self.scenario, "objective": self.objective, "seed": self.seed,
            "candidates": self.candidates, "scored": self.scored, "plan_replications": self.plan_replications,
            "rounds": [{"replications": n, "candidates": k} for n, k in self.rounds],
            "baseline": self.baseline,
            "top": [{"name": p.name, "label": p.label, "months": p.candidate.rows(self.months),
                     "backfill": p.plan.backfill,
                     "objective": p.objective, "p_best": p.p_best, "vs_baseline": p.vs_baseline,
                     "vs_best": p.vs_best,
                     "replications": p.replications, "committed_cost": p.committed, "p_plan": p.p_plan,
                     "hires_made": p.hires_made, "deferred_share": p.deferred_share}
                    for p in self.top],
        }


def unique_name(name: str, used: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``, ... when it is taken; the result is added to ``used``."""
    out, k = name, 1
    while out in used:
        k += 1
        out = f"{name}-{k}"
    used.add(out)
    return out


def describe(c: Candidate | Target, months: list[str]) -> str:
    """A decision in words: ``"2026-07 6, 2026-08 2"``, ``"hire nobody"``, ``"headcount 44 in 2026-07"``."""
    return c.describe(months)
