"""Sensitivity: which input is the biggest lever on net revenue and margin?

A lever is a scenario transformation: :data:`LEVERS` maps a name to a path
into the scenario and a way to nudge it by a factor (``1 - step`` down,
``1 + step`` up).  Every nudged scenario runs with the same seed as the
unchanged one, so replication ``r`` of a variant meets the same leads,
uncertain parameters and client draws as replication ``r`` of the base
(common random numbers); the effect of a lever is the per-replication
paired difference of ``revenue_net`` and ``margin``, summarised by its mean,
standard error and P10/P90.  Levers are ranked by the swing
``|mean(up) - mean(down)|`` of the chosen metric.

How values are nudged:

* plain numbers are multiplied; probabilities are clipped to [0, 1], so a
  stage already at 100% cannot go up;
* an uncertain value (a distribution drawn once per replication) becomes
  :class:`simsales.nudge.Scaled`: the same draw, multiplied after it is made (and
  clipped), so its mean moves by the factor, its spread with it, and the
  random streams stay paired;
* some inputs move by whole units, whatever the step: the touch chain by
  one attempt, the team and the plan's hires by
  ``max(1, round(step x count))`` managers;
* ramp speed shortens (up) or lengthens (down) the ramp: the shortfall
  ``1 - factor`` of each month shrinks or grows by the step (logistic:
  midpoint and width scale by ``2 - factor``);
* price moves the check (``price.change``) by the factor, with its
  elasticity on the offer probability.

SLA-related levers: ``chain_spacing`` scales every planned offset (an
offset of 0, "call at once", stays 0: how soon the first call really
happens is a matter of capacity, so ``talk_share`` and ``team_size`` are
the levers on it) and ``lead_ttl`` how long attempts may wait.

Pairing is as good as the engine's streams allow: the uncertain
parameters, the leads, the team and the deals' draws are shared exactly;
an engine that draws its dynamics in event order decorrelates them once
the timings change (talk share, team size), so those effects carry more
noise: read their SE and P10/P90, and add replications when they matter.

Levers are "process" (cheap to pull: conversion, speed, talk share) or
"money" (they cost money: leads, CPL, price, team size, hires); the split
is shown where the scenario has costs (:func:`has_costs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from simsales import montecarlo
from simsales.scenario.edits import scale, update_path, values_at
from simsales.scenario.schema import Scenario
from simsales.scenario.uncertain import mean_of

METRICS = ("revenue_net", "margin")
Kind = Literal["process", "money"]


# -- the lever table -----------------------------------------------------------

Nudge = Callable[[Scenario, str, float], Scenario | None]
Show = Callable[[Scenario, str], str]


@dataclass(frozen=True)
class Lever:
    """One input to nudge.

    ``nudge(scenario, plan, factor)`` returns the changed scenario (None:
    the lever does not apply); ``show(scenario, plan)`` the input's current
    value as text.
    """

    name: str
    label: str
    kind: Kind
    nudge: Nudge
    show: Show


def money(x: float) -> str:
    """Compact signed money: 1234567 -> '+1.23M', -307411 -> '-307k'."""
    if x == 0:
        return "0"
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:+.3g}{unit}"
    return f"{x:+.3g}"


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e3 else f"{x:,.0f}"


def path_lever(name: str, label: str, kind: Kind, paths: list[tuple], hi: float = math.inf,
               total: bool = False) -> Lever:
    """A lever that multiplies every value at ``paths`` (clipped to ``[0, hi]``).

    ``total``: show the sum of the values (volumes) rather than their mean.
    """
    def nudge(sc: Scenario, plan: str, factor: float) -> Scenario:
        for path in paths:
            sc = update_path(sc, path, lambda x: scale(x, factor, hi))
        return sc

    def show(sc: Scenario, plan: str) -> str:
        means = [mean_of(v) for v in values_at(sc, paths[0])]
        return _fmt(sum(means) if total else sum(means) / len(means))

    return Lever(name, label, kind, nudge, show)


def _chain_length(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    chain = sc.touch_chain
    offsets, p = list(chain.offsets), list(chain.p_contact)
    if factor > 1:
        gap = offsets[-1] - offsets[-2] if len(offsets) > 1 else 1440.0
        offsets.append(offsets[-1] + max(gap, 1.0))
        if len(p) > 1:
            p.append(p[-1])
    elif len(offsets) > 1:
        offsets.pop()
        if len(p) > 1:
            p.pop()
    else:
        return None
    return sc.model_copy(update={"touch_chain": chain.model_copy(update={"offsets": offsets,
                                                                           "p_contact": p})})


def _units(total: int, factor: float) -> int:
    """The new count of a whole-unit lever: at least one unit away from ``total``."""
    change = max(1, round(abs(factor - 1.0) * total))
    return max(0, total + change if factor > 1 else total - change)


def _spread(counts: list[int], diff: int) -> list[int]:
    """Add (or take) ``diff`` whole managers, one at a time, to (from) the biggest entry."""
    counts = list(counts)
    for _ in range(abs(diff)):
        i = int(np.argmax(counts))
        counts[i] += 1 if diff > 0 else -1
    return counts


def _team_size(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    groups = list(sc.team.managers)
    total = sum(g.count for g in groups)
    if not groups or (total == 0 and factor < 1):
        return None
    counts = _spread([g.count for g in groups], _units(total, factor) - total)
    managers = [g.model_copy(update={"count": c}) for g, c in zip(groups, counts, strict=True)]
    return sc.model_copy(update={"team": sc.team.model_copy(update={"managers": managers})})


def _plan_index(sc: Scenario, plan: str) -> int:
    return [p.name for p in sc.plans].index(plan)


def _hires(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    i = _plan_index(sc, plan)
    months = list(sc.plans[i].months)
    counts = [m.managers for m in months]
    total = sum(counts)
    if total == 0:
        return None
    counts = _spread(counts, _units(total, factor) - total)
    months = [m.model_copy(update={"managers": c}) for m, c in zip(months, counts, strict=True)]
    return update_path(sc, ("plans", i), lambda p: p.model_copy(update={"months": months}))


def _ramp(sc: Scenario, plan: str, factor: float) -> Scenario:
    ramp, shrink = sc.team.ramp, 2.0 - factor
    if ramp.months is not None:
        new = ramp.model_copy(update={"months": [min(1.0, max(0.01, 1.0 - (1.0 - f) * shrink))
                                                 for f in ramp.months]})
    else:
        new = ramp.model_copy(update={"logistic": {k: v * shrink for k, v in ramp.logistic.items()}})
    return sc.model_copy(update={"team": sc.team.model_copy(update={"ramp": new})})


def _show_ramp(sc: Scenario, plan: str) -> str:
    ramp = sc.team.ramp
    if ramp.months is not None:
        return "/".join(f"{f:.2g}" for f in ramp.months)
    return f"midpoint {ramp.logistic['midpoint_days']:.3g}d"


def _price(sc: Scenario, plan: str, factor: float) -> Scenario:
    price = sc.funnel.price
    new = price.model_copy(update={"change": (1.0 + price.change) * factor - 1.0})
    return update_path(sc, ("funnel", "price"), lambda _: new)


LEVERS: dict[str, Lever] = {lv.name: lv for lv in [
    path_lever("p_contact", "contact chance per attempt", "process",
               [("touch_chain", "p_contact", "*")], 1.0),
    path_lever("qualify", "contact to qualified", "process", [("funnel", "qualify")], 1.0),
    path_lever("offer", "qualified to offer", "process", [("funnel", "offer", "p")], 1.0),
    path_lever("invoice_paid", "invoice paid", "process", [("funnel", "invoice_paid", "p")], 1.0),
    path_lever("link_filled", "installment link filled", "process", [("funnel", "link_filled", "p")], 1.0),
    path_lever("bank_approved", "bank approves", "process", [("funnel", "bank_approved", "p")], 1.0),
    path_lever("installment_share", "installment share", "process", [("funnel", "installment_share")], 1.0),
    path_lever("talk_share", "talk share of the shift", "process", [("team", "talk_share")], 1.0),
    path_lever("chain_spacing", "touch-chain offsets (min)", "process", [("touch_chain", "offsets", "*")]),
    path_lever("lead_ttl", "lead TTL (min)", "process", [("touch_chain", "lead_ttl")]),
    Lever("chain_length", "touch-chain attempts", "process", _chain_length,
          lambda sc, plan: str(len(sc.touch_chain.offsets))),
    Lever("ramp_speed", "ramp speed (month factors)", "process", _ramp, _show_ramp),
    path_lever("attrition", "attrition per month", "process",
               [("team", "attrition", "monthly"), ("team", "attrition", "probation_monthly")], 1.0),
    path_lever("lead_volume", "leads per day", "money", [("channels", "*", "leads_per_day")], total=True),
    path_lever("cpl", "cost per lead", "money", [("channels", "*", "cpl")]),
    Lever("price", "average check", "money", _price,
          lambda sc, plan: _fmt(sc.funnel.price.check.mean * (1.0 + sc.funnel.price.change))),
    Lever("team_size", "managers at start", "money", _team_size,
          lambda sc, plan: str(sum(g.count for g in sc.team.managers))),
    Lever("hires", "hires in the plan", "money", _hires,
          lambda sc, plan: str(sum(m.managers for m in sc.plans[_plan_index(sc, plan)].months))),
]}


def has_costs(scenario: Scenario) -> bool:
    """Whether pulling a money lever costs anything in this scenario."""
    eco = scenario.economics
    return (any(c.cpl > 0 for c in scenario.channels) or eco.manager_salary_month > 0
            or any(p.cost_per_hire > 0 for p in scenario.plans))


# -- running and ranking -------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """Paired differences (variant - base) over replications, in money."""

    mean: float
    se: float
    p10: float
    p90: float

    @classmethod
    def of(cls, diff: np.ndarray) -> Effect:
        n = len(diff)
        se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        p10, p90 = np.percentile(diff, [10, 90])
        return cls(float(diff.mean()), se, float(p10), float(p90))


ZERO = Effect(0.0, 0.0, 0.0, 0.0)


@dataclass
class LeverEffect:
    """What nudging one lever down and up did to each metric."""

    name: str
    label: str
    kind: Kind
    base: str
    down: str
    up: str
    effects: dict[str, dict[str, Effect]]  # metric -> {"down", "up"}

    def swing(self, metric: str) -> float:
        e = self.effects[metric]
        return abs(e["up"].mean - e["down"].mean)


@dataclass
class LeverReport:
    """A whole sensitivity run, levers ranked by swing on ``rank_by``."""

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
        return [lv.name for lv in self.levers]

    def to_frame(self) -> pd.DataFrame:
        """One row per lever and direction: values and effect statistics."""
        rows = []
        for rank, lv in enumerate(self.levers, 1):
            for side in ("down", "up"):
                row = {"rank": rank, "lever": lv.name, "kind": lv.kind, "direction": side,
                       "base": lv.base, "value": getattr(lv, side)}
                for metric in METRICS:
                    e = lv.effects[metric][side]
                    row |= {f"{metric}_mean": e.mean, f"{metric}_se": e.se,
                            f"{metric}_p10": e.p10, f"{metric}_p90": e.p90}
                rows.append(row)
        return pd.DataFrame(rows)


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
) -> LeverReport:
    """Nudge every lever down and up by ``step`` and rank them.

    Args:
        scenario: the validated scenario.
        plan: the hiring plan to run (default: the first).
        step: relative nudge, 0 < step < 1 (0.1 = 10%).
        replications, seed: override the scenario's; the same seed for
            every variant (common random numbers).
        engine, workers: passed to :func:`simsales.montecarlo.run` (engine
            None: its default).
        levers: names from :data:`LEVERS` (default: all).
        rank_by: ``revenue_net`` or ``margin``.
        progress: called with the number of replications just finished.
    """
    if not 0 < step < 1:
        raise ValueError(f"step must be in (0, 1), got {step}")
    if rank_by not in METRICS:
        raise ValueError(f"rank_by must be one of {', '.join(METRICS)}")
    plan = plan or scenario.plans[0].name
    scenario.plan(plan)
    chosen = [LEVERS[name] for name in (levers or list(LEVERS))]
    seed = scenario.seed if seed is None else seed
    options = {"workers": workers, "progress": progress} | ({"engine": engine} if engine else {})
    engines = []

    def metrics_of(sc: Scenario) -> pd.DataFrame:
        result = montecarlo.run(sc, [plan], replications, seed, **options)
        engines.append(result.engine)
        return result.plans[plan].metrics

    base = metrics_of(scenario)
    effects, skipped = [], {}
    for lever in chosen:
        sides, values = {}, {}
        for side, factor in (("down", 1.0 - step), ("up", 1.0 + step)):
            nudged = lever.nudge(scenario, plan, factor)
            if nudged is None:
                break
            values[side] = lever.show(nudged, plan)
            sides[side] = {m: ZERO for m in METRICS} if nudged == scenario else None
            if sides[side] is None:
                frame = metrics_of(nudged)
                sides[side] = {m: Effect.of(frame[m].to_numpy(float) - base[m].to_numpy(float))
                               for m in METRICS}
        if len(sides) < 2:
            skipped[lever.name] = "does not apply to this scenario or plan"
            continue
        effects.append(LeverEffect(
            lever.name, lever.label, lever.kind, lever.show(scenario, plan), values["down"],
            values["up"], {m: {s: sides[s][m] for s in sides} for m in METRICS}))
    effects.sort(key=lambda lv: (-lv.swing(rank_by), lv.name))
    return LeverReport(scenario.name, plan, step, len(base), seed, engines[0], rank_by,
                       has_costs(scenario), {m: float(base[m].mean()) for m in METRICS},
                       effects, skipped)
