"""Sensitivity: which input is the biggest lever on net revenue and margin?

Every lever of :data:`~simsales.analysis.lever_table.LEVERS` is nudged down
and up by the step.  Every nudged scenario runs with the same seed as the
unchanged one, so replication ``r`` of a variant meets the same leads,
uncertain parameters and client draws as replication ``r`` of the base
(common random numbers); the effect of a lever is the per-replication
paired difference of ``revenue_net`` and ``margin`` (:data:`OBJECTIVES`),
summarised by its mean, standard error and P10/P90.  Levers are ranked by
the swing ``|mean(up) - mean(down)|`` of the chosen objective; a lever whose
effect is only an upper bound in this scenario (a price change with no
elasticity set: no client is lost) is ranked apart, after the others
(:func:`upper_bound_note`).

Pairing is as good as the engine's streams allow: the uncertain
parameters, the leads, the team and the deals' draws are shared exactly;
an engine that draws its dynamics in event order decorrelates them once
the timings change (talk share, team size), so those effects carry more
noise: read their SE and P10/P90, and add replications when they matter.

Everything here is numbers; :mod:`simsales.report.levers` writes them for
people.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsales import montecarlo
from simsales.analysis.lever_table import LEVERS, Kind, Setting, has_costs
from simsales.montecarlo import Executor
from simsales.scenario import Scenario

OBJECTIVES = ("revenue_net", "margin")
"""The metrics a lever is judged by (net revenue and margin, in the scenario's currency)."""


# -- running and ranking -------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Paired differences (variant - base) over replications, in the scenario's currency.

    ``se`` is the standard error of ``mean`` (NaN with one replication);
    ``p10`` and ``p90`` are percentiles of the differences.
    """

    mean: float
    se: float
    p10: float
    p90: float

    @classmethod
    def of(cls, diff: np.ndarray) -> Effect:
        """Summarise paired differences.

        Args:
            diff: one difference per replication, in the scenario's currency.

        Returns:
            Their mean, its standard error, P10 and P90.
        """
        n = len(diff)
        se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        p10, p90 = np.percentile(diff, [10, 90])
        return cls(float(diff.mean()), se, float(p10), float(p90))


ZERO = Effect(0.0, 0.0, 0.0, 0.0)


@dataclass
class LeverEffect:
    """What nudging one lever down and up did to each objective.

    ``base``, ``down`` and ``up`` are the input's setting unchanged and
    nudged each way; ``effects`` maps an objective to ``{"down", "up"}``;
    ``meaning`` is the lever in one line; ``note``, when not empty, says why
    the effect is only an upper bound (such a lever is ranked apart);
    ``changes`` maps ``down`` and ``up`` to what the nudge changed, in
    plain words, for the levers that say it (the sales floor's).
    """

    name: str
    label: str
    kind: Kind
    base: Setting
    down: Setting
    up: Setting
    effects: dict[str, dict[str, Effect]]  # objective -> {"down", "up"}
    meaning: str = ""
    note: str = ""
    changes: dict[str, str] = field(default_factory=dict)

    def swing(self, metric: str) -> float:
        """How far the objective moves between the two nudges.

        Args:
            metric: one of :data:`OBJECTIVES`.

        Returns:
            ``|mean(up) - mean(down)|``, in the scenario's currency.
        """
        e = self.effects[metric]
        return abs(e["up"].mean - e["down"].mean)


@dataclass
class LeverReport:
    """A whole sensitivity run, levers ranked by swing on ``rank_by``.

    ``base`` is the unchanged run's mean of each objective (scenario's
    currency); ``split`` whether to show process and money levers apart
    (:func:`has_costs`); ``skipped`` the levers that do not apply, and why.
    """

    scenario: str
    plan: str
    step: float
    replications: int
    seed: int
    engine: str
    rank_by: str
    split: bool
    base: dict[str, float]
    levers: list[LeverEffect]
    skipped: dict[str, str] = field(default_factory=dict)

    def ranking(self) -> list[str]:
        """The ranked levers' names in rank order (upper bounds are ranked apart).

        Returns:
            The names, biggest swing on ``rank_by`` first, without the
            levers of :meth:`upper_bounds`.
        """
        return [lv.name for lv in self.levers if not lv.note]

    def upper_bounds(self) -> dict[str, str]:
        """The levers whose effect is only an upper bound, and why.

        Returns:
            Name -> the reason, biggest swing first (they come after the
            ranked levers in ``levers``).
        """
        return {lv.name: lv.note for lv in self.levers if lv.note}


NO_ELASTICITY = "no elasticity set: assumes no client is lost"
"""The note on a price lever when the scenario sets no price elasticity."""


def upper_bound_note(name: str, scenario: Scenario) -> str:
    """Why a lever's effect is only an upper bound in this scenario ("" if it is not).

    A price change with ``funnel.price.elasticity`` 0 (not set) moves the
    check and loses no client: raising prices looks free, so its gain is an
    upper bound and it is ranked apart from the other levers.

    Args:
        name: the lever's name.
        scenario: the scenario.

    Returns:
        The reason, or ``""``.
    """
    if name == "price" and scenario.funnel.price.elasticity == 0:
        return NO_ELASTICITY
    return ""


def run_levers(
    scenario: Scenario,
    plan: str | None = None,
    step: float = 0.1,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    workers: int = 1,
    levers: list[str] | None = None,
    rank_by: str = "revenue_net",
    progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> LeverReport:
    """Nudge every lever down and up by ``step`` and rank them.

    Args:
        scenario: the validated scenario.
        plan: the hiring plan to run (default: the first).
        step: relative nudge, 0 < step < 1 (0.1 = 10%).
        replications: override the scenario's.
        seed: override the scenario's; the same seed for every variant
            (common random numbers).
        engine: passed to :func:`simsales.montecarlo.run` (None: its default).
        workers: worker processes, passed to :func:`simsales.montecarlo.run`.
        levers: names from :data:`LEVERS` (default: all); a name given twice counts once.
        rank_by: one of :data:`OBJECTIVES`.
        progress: called with the number of replications just finished.
        executor: where the replications run (None: by ``workers``), passed
            to :func:`simsales.montecarlo.run` for every variant.

    Returns:
        The levers that apply, ranked (upper bounds after the others, see
        :func:`upper_bound_note`); the others in ``skipped``.

    Raises:
        ValueError: ``step`` or ``rank_by`` out of range.
        KeyError: no plan called ``plan``, or no lever of a name in ``levers``.
    """
    if not 0 < step < 1:
        raise ValueError(f"step must be in (0, 1), got {step}")
    if rank_by not in OBJECTIVES:
        raise ValueError(f"rank_by must be one of {', '.join(OBJECTIVES)}")
    plan = plan or scenario.plans[0].name
    scenario.plan(plan)
    chosen = [LEVERS[name] for name in dict.fromkeys(levers or LEVERS)]  # a name given twice runs once
    seed = scenario.seed if seed is None else seed
    options = ({"workers": workers, "progress": progress, "executor": executor}
               | ({"engine": engine} if engine else {}))
    engines = []

    def metrics_of(sc: Scenario) -> pd.DataFrame:
        result = montecarlo.run(sc, [plan], replications, seed, **options)
        engines.append(result.engine)
        return result.plans[plan].metrics

    base = metrics_of(scenario)
    effects, skipped = [], {}
    for lever in chosen:
        sides, values, changes, why = {}, {}, {}, ""
        for side, factor in (("down", 1.0 - step), ("up", 1.0 + step)):
            nudged = lever.nudge(scenario, plan, factor)
            if nudged is None:
                why = lever.change(scenario, plan, factor) if lever.change is not None else ""
                break
            values[side] = lever.read(nudged, plan)
            if lever.change is not None:
                changes[side] = lever.change(scenario, plan, factor)
            sides[side] = {m: ZERO for m in OBJECTIVES} if nudged == scenario else None
            if sides[side] is None:
                frame = metrics_of(nudged)
                sides[side] = {m: Effect.of(frame[m].to_numpy(float) - base[m].to_numpy(float))
                               for m in OBJECTIVES}
        if len(sides) < 2:
            skipped[lever.name] = why or lever.inapplicable or "does not apply to this scenario or plan"
            continue
        effects.append(LeverEffect(
            lever.name, lever.label, lever.kind, lever.read(scenario, plan), values["down"],
            values["up"], {m: {s: sides[s][m] for s in sides} for m in OBJECTIVES}, lever.meaning,
            upper_bound_note(lever.name, scenario), changes))
    effects.sort(key=lambda lv: (bool(lv.note), -lv.swing(rank_by), lv.name))
    return LeverReport(scenario.name, plan, step, len(base), seed, engines[0], rank_by,
                       has_costs(scenario), {m: float(base[m].mean()) for m in OBJECTIVES},
                       effects, skipped)
