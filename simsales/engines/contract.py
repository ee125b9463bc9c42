"""What an engine gives back, and the contract every engine keeps.

An engine plays the part of the model that depends on the managers' time:
routing, the touch chain, the qualification and presentation calls.  It
gets a :class:`~simsales.world.world.World` (a resolved scenario, the lead
stream and the roster) and returns :class:`Outcomes`, per lead and per
manager.  Everything else (the deals after an offer, money, metrics) is
computed from them by shared code, so the two engines can differ only where
the dynamics are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simsales.world.world import World

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


Engine = Callable[[World, np.random.Generator], Outcomes]
"""An engine: ``simulate(world, rng) -> Outcomes``."""
