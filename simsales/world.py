"""What an engine gets and what it gives back.

An engine plays the part of the model that depends on the managers' time:
routing, the touch chain, the qualification and presentation calls.  It
gets a :class:`World` (a resolved scenario, the lead stream and the roster)
and returns :class:`Outcomes`, per lead and per manager.  Everything else
(the deals after an offer, money, metrics) is computed from them by shared
code, so the two engines can differ only where the dynamics are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.arrivals import Leads
from simsales.scenario import Scenario
from simsales.team import Roster

# How a lead's part in the engine ended (Outcomes.end).
IN_CHAIN = 0  # attempts still planned at the horizon
NO_CONTACT = 1  # the chain ran out without contact
EXPIRED = 2  # the next attempt was not made within lead_ttl (never touched or chain cut)
LOST_NONTARGET = 3  # contacted, non-target
LOST_UNQUALIFIED = 4  # contacted target, not qualified
AWAITING_PRESENTATION = 5  # qualified, presentation call not made by the horizon
LOST_NO_OFFER = 6  # presented, no invoice or link
OFFER = 7  # invoice issued or installment link sent at offer_time

END_NAMES = (
    "in_chain", "no_contact", "expired", "lost_nontarget", "lost_unqualified",
    "awaiting_presentation", "lost_no_offer", "offer",
)


@dataclass(frozen=True)
class World:
    """One replication of one plan, everything exogenous to the managers' time.

    ``scenario`` is resolved (every uncertain value drawn).
    """

    scenario: Scenario
    leads: Leads
    roster: Roster


@dataclass
class Outcomes:
    """What the engine decided, in minutes from the start.

    Per lead (N): ``manager`` (owner at the end, -1 if never assigned),
    ``attempts`` made, ``first_attempt`` and ``contact`` times (NaN if none),
    the ``end`` code, and ``offer_time`` (NaN unless end == OFFER).  Per
    manager (M): ``busy_minutes``, wall-clock minutes spent on calls and
    dials within the horizon (the talk_share overhead included).
    """

    manager: np.ndarray
    attempts: np.ndarray
    first_attempt: np.ndarray
    contact: np.ndarray
    end: np.ndarray
    offer_time: np.ndarray
    busy_minutes: np.ndarray

    @classmethod
    def empty(cls, n_leads: int, n_managers: int) -> Outcomes:
        return cls(
            manager=np.full(n_leads, -1, dtype=np.int64),
            attempts=np.zeros(n_leads, dtype=np.int64),
            first_attempt=np.full(n_leads, np.nan),
            contact=np.full(n_leads, np.nan),
            end=np.full(n_leads, IN_CHAIN, dtype=np.int64),
            offer_time=np.full(n_leads, np.nan),
            busy_minutes=np.zeros(n_managers),
        )


def contact_decay(age: float, half_life: float | None, floor: float,
                  table_ages: np.ndarray | None, table_factors: np.ndarray | None) -> float:
    """Factor on the contact chance of a lead ``age`` minutes old (MODEL.md section 4)."""
    if half_life is not None:
        return max(floor, 0.5 ** (age / half_life))
    if table_ages is not None:
        i = int(np.searchsorted(table_ages, age, side="right")) - 1
        return float(table_factors[i]) if i >= 0 else 1.0
    return 1.0
