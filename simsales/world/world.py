"""What an engine gets: one replication of one plan, everything exogenous to the managers' time.

A :class:`World` is a resolved scenario (every uncertain value drawn), the
lead stream and the roster.  The engine returns
:class:`simsales.engines.contract.Outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.scenario.schema import Scenario
from simsales.world.arrivals import Leads
from simsales.world.roster import Roster


@dataclass(frozen=True)
class World:
    """One replication of one plan, everything exogenous to the managers' time.

    ``scenario`` is resolved (every uncertain value drawn).
    """

    scenario: Scenario
    leads: Leads
    roster: Roster


def contact_decay(age: float, half_life: float | None, floor: float,
                  table_ages: np.ndarray | None, table_factors: np.ndarray | None) -> float:
    """Factor on the contact chance of a lead ``age`` minutes old (MODEL.md section 4)."""
    if half_life is not None:
        return max(floor, 0.5 ** (age / half_life))
    if table_ages is not None:
        i = int(np.searchsorted(table_ages, age, side="right")) - 1
        return float(table_factors[i]) if i >= 0 else 1.0
    return 1.0
