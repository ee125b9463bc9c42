"""The lever table: every input a sensitivity run nudges, how, and how its setting is read.

:data:`LEVERS` maps a lever's name to a :class:`Lever`: a way to nudge the
scenario by a factor (``1 - step`` down, ``1 + step`` up) and a way to read
the input's current :class:`Setting`.  How values are nudged:

* plain numbers are multiplied; probabilities are clipped to [0, 1], so a
  stage already at 100% cannot go up;
* an uncertain value (a distribution drawn once per replication) becomes
  :class:`simsales.scenario.edits.Scaled`: the same draw, multiplied after
  it is made (and clipped), so its mean moves by the factor, its spread
  with it, and the random streams stay paired;
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
the levers on it); its setting is the chain's span, when the last attempt
is due after the lead arrives (minutes).  ``lead_ttl`` is how long
attempts may wait (minutes).  ``p_contact``'s setting is the mean contact
chance over the chain's attempts (they all move together).

Levers are "process" (cheap to pull: conversion, speed, talk share) or
"money" (they cost money: leads, CPL, price, team size, hires); the split
is shown where the scenario has costs (:func:`has_costs`).  Settings are
numbers with a unit, and every lever says what it means in one line
(``meaning``): :mod:`simsales.report.levers` writes them for people.
"""

from __future__ import annotations

import math

import numpy as np

from simsales.analysis.floor_levers import FLOOR_LEVERS
from simsales.analysis.lever_kinds import Kind, Lever, Setting, Unit
from simsales.scenario import Scenario
from simsales.scenario.edits import scale, update_path, values_at
from simsales.scenario.uncertain import mean_of
from simsales.scenario.units import MINUTES_PER_DAY


def _number(x: float, unit: Unit = "") -> Setting:
    return Setting("number", (x,), unit)


def _count(n: int, unit: Unit) -> Setting:
    return Setting("count", (n,), unit)


def path_lever(name: str, label: str, kind: Kind, paths: list[tuple], hi: float = math.inf,
               total: bool = False, unit: Unit = "", meaning: str = "") -> Lever:
    """A lever that multiplies every value at ``paths``.

    Args:
        name: the lever's name (``--lever``).
        label: what it is, for people.
        kind: ``process`` or ``money``.
        paths: field paths into the scenario (see
            :func:`~simsales.scenario.edits.update_path`); the first one is read.
        hi: values are clipped to ``[0, hi]`` (1.0 for probabilities).
        total: read the sum of the values (volumes) rather than their mean.
        unit: the values' unit (see :class:`Setting`).
        meaning: the lever in one line, for people.

    Returns:
        The lever.
    """
    def nudge(sc: Scenario, plan: str, factor: float) -> Scenario:
        for path in paths:
            sc = update_path(sc, path, lambda x: scale(x, factor, hi))
        return sc

    def read(sc: Scenario, plan: str) -> Setting:
        means = [mean_of(v) for v in values_at(sc, paths[0])]
        return _number(sum(means) if total else sum(means) / len(means), unit)

    return Lever(name, label, kind, nudge, read, meaning)


def _chain_spacing(sc: Scenario, plan: str, factor: float) -> Scenario:
    """Every planned offset of the touch chain times ``factor`` (0, "at once", stays 0)."""
    return update_path(sc, ("touch_chain", "offsets", "*"), lambda x: scale(x, factor))


def _chain_span(sc: Scenario, plan: str) -> Setting:
    """The touch chain's span: when its last planned attempt is due, minutes after the lead arrives."""
    return _number(float(max(sc.touch_chain.offsets)), "minutes")


def _chain_length(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    chain = sc.touch_chain
    offsets, p = list(chain.offsets), list(chain.p_contact)
    if factor > 1:
        gap = offsets[-1] - offsets[-2] if len(offsets) > 1 else MINUTES_PER_DAY
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


def _read_ramp(sc: Scenario, plan: str) -> Setting:
    ramp = sc.team.ramp
    if ramp.months is not None:
        return Setting("months", tuple(ramp.months))
    return Setting("midpoint_days", (ramp.logistic["midpoint_days"],))


def _price(sc: Scenario, plan: str, factor: float) -> Scenario:
    price = sc.funnel.price
    new = price.model_copy(update={"change": (1.0 + price.change) * factor - 1.0})
    return update_path(sc, ("funnel", "price"), lambda _: new)


LEVERS: dict[str, Lever] = {lv.name: lv for lv in [
    path_lever("p_contact", "contact chance per attempt", "process",
               [("touch_chain", "p_contact", "*")], 1.0, unit="share",
               meaning="the chance that one attempt of the touch chain reaches the lead; every "
                       "attempt's chance moves together (shown: the mean over the chain's attempts)"),
    path_lever("qualify", "contact to qualified", "process", [("funnel", "qualify")], 1.0,
               unit="share", meaning="the share of leads reached who qualify (need found, product fits)"),
    path_lever("offer", "qualified to offer", "process", [("funnel", "offer", "p")], 1.0,
               unit="share", meaning="the share of qualified leads who get an offer (invoice or "
                                     "installment link) after the presentation call"),
    path_lever("invoice_paid", "invoice paid", "process", [("funnel", "invoice_paid", "p")], 1.0,
               unit="share", meaning="the share of invoices the client pays"),
    path_lever("link_filled", "installment link filled", "process", [("funnel", "link_filled", "p")],
               1.0, unit="share", meaning="the share of installment links the client fills in"),
    path_lever("bank_approved", "bank approves", "process", [("funnel", "bank_approved", "p")], 1.0,
               unit="share", meaning="the share of filled installment applications the bank approves"),
    path_lever("installment_share", "installment share", "process", [("funnel", "installment_share")],
               1.0, unit="share", meaning="the share of offers sent as an installment link rather "
                                          "than an invoice"),
    path_lever("talk_share", "talk share of the shift", "process", [("team", "talk_share")], 1.0,
               unit="share", meaning="the share of a manager's shift spent on calls and dials (the "
                                     "rest is breaks and admin): managers' time for leads"),
    Lever("chain_spacing", "touch-chain spacing", "process",
          _chain_spacing, _chain_span,
          "how far apart the touch chain's attempts are planned: every offset scales, an attempt "
          "'at once' stays at once (shown: when the last attempt is due after the lead arrives)"),
    path_lever("lead_ttl", "lead TTL", "process", [("touch_chain", "lead_ttl")], unit="minutes",
               meaning="how long a lead may wait for its attempts before its chain is cut"),
    Lever("chain_length", "touch-chain attempts", "process", _chain_length,
          lambda sc, plan: _count(len(sc.touch_chain.offsets), "attempts"),
          "attempts in the touch chain: one more (spaced like the last two) or one fewer"),
    Lever("ramp_speed", "ramp speed (month factors)", "process", _ramp, _read_ramp,
          "how fast a new manager reaches full productivity: each ramp month's shortfall "
          "shrinks (+) or grows (-) by the step (shown: productivity per month of tenure)"),
    path_lever("attrition", "attrition per month", "process",
               [("team", "attrition", "monthly"), ("team", "attrition", "probation_monthly")], 1.0,
               unit="share", meaning="the share of managers who leave per month (after and during "
                                     "probation; shown: after)"),
    *FLOOR_LEVERS,
    path_lever("lead_volume", "leads per day", "money", [("channels", "*", "leads_per_day")],
               total=True, unit="leads_per_day",
               meaning="leads bought per day, all channels together (each channel scales)"),
    path_lever("cpl", "cost per lead", "money", [("channels", "*", "cpl")], unit="money",
               meaning="what a lead costs, every channel (shown: the mean over channels)"),
    Lever("price", "average check", "money", _price,
          lambda sc, plan: _number(sc.funnel.price.check.mean * (1.0 + sc.funnel.price.change), "money"),
          "the average check; with the scenario's price elasticity the offer rate moves with it"),
    Lever("team_size", "managers at start", "money", _team_size,
          lambda sc, plan: _count(sum(g.count for g in sc.team.managers), "managers"),
          "managers on the team at the start: max(1, step x team) more or fewer"),
    Lever("hires", "hires in the plan", "money", _hires,
          lambda sc, plan: _count(sum(m.managers for m in sc.plans[_plan_index(sc, plan)].months),
                                  "hires"),
          "managers the plan hires over the horizon: max(1, step x hires) more or fewer",
          inapplicable="the plan hires nobody month by month (no hires, `headcount:` targets or `backfill`): "
                       "nudge its targets in the file, or run the lever on a plan with hires"),
]}
"""Every lever by name, in the order the command line lists them."""


def has_costs(scenario: Scenario) -> bool:
    """Whether pulling a money lever costs anything in this scenario.

    Args:
        scenario: the scenario.

    Returns:
        True when a channel has a CPL, managers a salary, or a plan a cost per hire.
    """
    eco = scenario.economics
    return (any(c.cpl > 0 for c in scenario.channels) or eco.manager_salary_month > 0
            or any(p.cost_per_hire > 0 for p in scenario.plans))
