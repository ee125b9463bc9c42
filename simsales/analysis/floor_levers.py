"""The sales floor's levers: an evening shift, the cap on new leads a day, CRM minutes per event.

What a head of sales changes on the floor rather than in the funnel.  They
follow the lever table's conventions (:mod:`simsales.analysis.lever_table`):
nudged down by ``1 - step`` and up by ``1 + step``, whole units moving by
``max(1, round(step x count))``, ``None`` when a lever does not apply (it
is then skipped), the scenario unchanged when one side has nowhere to go
(its effect is then exactly 0 and nothing is run).  Each says in plain
words what its nudge changed (``Lever.change``):

* ``evening_shift``: ``max(1, round(step x team))`` managers move onto the
  evening shift (up) or off it (down), with the same share of every hire
  (:func:`simsales.scenario.floor_edits.evening_shift`: which shift that
  is, the one a floor without one gets, the working hours it needs).  A
  floor without an evening shift has none to move off: down is unchanged.
  Where shifts tied to team leads decide who works the evening (so shares
  move nobody), it does not apply.
  Shown: managers on the evening shift at the start.
* ``new_lead_cap``: ``routing.max_new_per_day`` down and up by
  ``max(1, round(step x cap))`` leads.  A floor without a cap is offered
  one (down) at the busiest weekday's mean new leads per manager on shift,
  rounded up (:func:`simsales.scenario.floor_edits.default_cap`); no cap is
  as high as it goes, so up is unchanged.  Not under ``shared_queue``.
* ``crm_minutes``: every CRM minute per event (attempt, contact, offer)
  times the factor: automation that saves CRM time (down) or more to log
  (up).  Not when the scenario has no CRM minutes.
"""

from __future__ import annotations

import math

from simsales.analysis.lever_kinds import Lever, Setting
from simsales.scenario import Scenario
from simsales.scenario.edits import scale
from simsales.scenario.floor_edits import (
    default_cap,
    evening_index,
    evening_shift,
    managers_at_start,
    new_lead_cap,
)
from simsales.world.calendar import shift_groups

_CRM_EVENTS = ("attempt", "contact", "offer")


def _moved(sc: Scenario, factor: float) -> int:
    """Managers an evening-shift nudge moves: ``max(1, round(step x team))``, signed by the side."""
    n = max(1, round(abs(factor - 1.0) * managers_at_start(sc)))
    return n if factor > 1 else -n


TIED = ("does not apply: shifts tied to team leads (team_leads) decide who works the evening, so "
        "moving shares moves nobody")


def _evening_edit(sc: Scenario, factor: float) -> tuple[Scenario | None, str]:
    """The evening-shift nudge and its words; None when it cannot move anyone."""
    if factor < 1 and evening_index(list(sc.team.shifts)) is None:
        return sc, "unchanged: the floor has no evening shift to move managers off"
    edit = evening_shift(sc, _moved(sc, factor))
    if edit is None:
        return None, "does not apply: no manager to move, or no other shift to move them from"
    if evening_managers(edit.scenario) == evening_managers(sc):
        return None, TIED
    return edit.scenario, edit.change


def _evening(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    return _evening_edit(sc, factor)[0]


def _evening_change(sc: Scenario, plan: str, factor: float) -> str:
    return _evening_edit(sc, factor)[1]


def evening_managers(sc: Scenario, plan: str = "") -> Setting:
    """Managers on the evening shift at the start, as the rota spreads them.

    Args:
        sc: the scenario.
        plan: unused (the team at the start is every plan's).

    Returns:
        A count of managers (0 without an evening shift).
    """
    shifts = list(sc.team.shifts)
    evening = evening_index(shifts)
    if evening is None:
        return Setting("count", (0,), "managers")
    ties = None if all(s.team_leads is None for s in shifts) else \
        [g.team_lead for g in sc.team.managers for _ in range(g.count)]
    group = shift_groups(shifts, managers_at_start(sc), ties)
    return Setting("count", (int((group == evening).sum()),), "managers")


def _cap_step(cap: int, factor: float) -> int:
    change = max(1, round(abs(factor - 1.0) * cap))
    return cap + change if factor > 1 else cap - change


def _cap(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    cap = sc.routing.max_new_per_day
    if sc.routing.policy == "shared_queue":
        return None
    if cap is None:
        if factor > 1:
            return sc  # no cap is as high as a cap goes
        edit = new_lead_cap(sc, default_cap(sc))
    else:
        edit = new_lead_cap(sc, _cap_step(cap, factor))
    return None if edit is None else edit.scenario


def _cap_change(sc: Scenario, plan: str, factor: float) -> str:
    cap = sc.routing.max_new_per_day
    if cap is None and factor > 1:
        return "unchanged: the floor has no cap to raise"
    new = default_cap(sc) if cap is None else _cap_step(cap, factor)
    edit = new_lead_cap(sc, new)
    if edit is None:
        return "does not apply"
    why = (" (the busiest weekday's mean new leads per manager on shift, rounded up)"
           if cap is None else "")
    return edit.change + why


def _read_cap(sc: Scenario, plan: str) -> Setting:
    cap = sc.routing.max_new_per_day
    return Setting("cap", (math.inf if cap is None else float(cap),), "leads_per_manager_day")


def _crm(sc: Scenario, plan: str, factor: float) -> Scenario | None:
    crm = sc.team.crm_minutes
    if not any(getattr(crm, e) > 0 for e in _CRM_EVENTS):
        return None
    new = crm.model_copy(update={e: scale(getattr(crm, e), factor) for e in _CRM_EVENTS})
    return sc.model_copy(update={"team": sc.team.model_copy(update={"crm_minutes": new})})


def _crm_change(sc: Scenario, plan: str, factor: float) -> str:
    new = _crm(sc, plan, factor)
    if new is None:
        return "does not apply: the scenario has no CRM minutes"
    before, after = (_read_crm(x, plan).values for x in (sc, new))
    return ("CRM minutes after an attempt / a contact / an offer: "
            + " / ".join(f"{a:g}" for a in before) + " -> " + " / ".join(f"{a:.3g}" for a in after))


def _read_crm(sc: Scenario, plan: str) -> Setting:
    crm = sc.team.crm_minutes
    return Setting("per_event", tuple(float(getattr(crm, e)) for e in _CRM_EVENTS), "minutes")


FLOOR_LEVERS: list[Lever] = [
    Lever("evening_shift", "managers on the evening shift", "process", _evening, evening_managers,
          "managers moved onto the shift that ends latest (to 23:00 or later), or off it, with the "
          "same share of every hire; a floor without one gets one, and working hours to its end "
          "(shown: managers on the evening shift at the start)", _evening_change),
    Lever("new_lead_cap", "new leads per manager a day (cap)", "process", _cap, _read_cap,
          "the cap on new leads a manager takes per calendar day (routing.max_new_per_day); a floor "
          "without one is offered one at its busiest weekday's load per manager on shift", _cap_change),
    Lever("crm_minutes", "CRM minutes per event", "process", _crm, _read_crm,
          "minutes of CRM work after each attempt, contact and offer: automation saves them (-) "
          "(shown: after an attempt / a contact / an offer)", _crm_change),
]
"""The floor's levers, in the order the command line lists them."""
