"""What an engine gets: one replication of one plan, everything exogenous to the managers' time.

A :class:`World` is a resolved scenario (every uncertain value drawn), the
lead stream and the roster.  The engine returns
:class:`simsales.engines.contract.Outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simsales.scenario import Scenario
from simsales.world.arrivals import Leads
from simsales.world.roster import Roster


@dataclass(frozen=True)
class World:
    """One replication of one plan, everything exogenous to the managers' time.

    Attributes:
        scenario: the scenario, resolved (every uncertain value drawn).
        leads: the replication's lead stream (shared by every plan).
        roster: the team under this plan, day by day.
    """

    scenario: Scenario
    leads: Leads
    roster: Roster
