"""What a lever is: the input it nudges, how it reads the input's setting, and in which unit.

:class:`Lever` and :class:`Setting` are shared by the lever table
(:mod:`simsales.analysis.lever_table`) and the sales floor's levers
(:mod:`simsales.analysis.floor_levers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from simsales.scenario import Scenario

Kind = Literal["process", "money"]
SettingKind = Literal["number", "count", "months", "midpoint_days", "cap", "per_event"]
Unit = Literal["", "share", "minutes", "money", "leads_per_day", "attempts", "managers", "hires",
               "leads_per_manager_day"]


@dataclass(frozen=True)
class Setting:
    """An input's current value, as a lever reads it.

    ``kind`` says what ``values`` hold: ``number``, one value in the
    input's unit (a mean, or a total for volumes); ``count``, whole units
    (managers, attempts); ``months``, the ramp's month factors;
    ``midpoint_days``, a logistic ramp's midpoint in days; ``cap``, a
    whole limit where ``inf`` is "no cap"; ``per_event``, CRM minutes
    after an attempt, a contact and an offer.  ``unit`` is the value's
    unit: ``share`` (a probability or fraction, 1.0 is 100%), ``minutes``,
    ``money`` (the scenario's currency), ``leads_per_day``, ``attempts``,
    ``managers``, ``hires``, ``leads_per_manager_day`` ("" for the ramp's
    kinds).
    """

    kind: SettingKind
    values: tuple[float, ...]
    unit: Unit = ""


Nudge = Callable[[Scenario, str, float], Scenario | None]
Read = Callable[[Scenario, str], Setting]
Change = Callable[[Scenario, str, float], str]


@dataclass(frozen=True)
class Lever:
    """One input to nudge.

    ``nudge(scenario, plan, factor)`` returns the changed scenario (None:
    the lever does not apply); ``read(scenario, plan)`` the input's current
    :class:`Setting`; ``meaning`` says in one line what the lever is and
    what the value shown is; ``change(scenario, plan, factor)``, when
    given, says in plain words what the nudge changed in this scenario
    (the sales floor's levers, whose edits are more than a new number);
    ``inapplicable`` why ``nudge`` may return None, in a user's words.
    """

    name: str
    label: str
    kind: Kind
    nudge: Nudge
    read: Read
    meaning: str = ""
    change: Change | None = None
    inapplicable: str = ""
