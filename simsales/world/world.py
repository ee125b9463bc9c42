"""What an engine gets: one replication of one plan, everything exogenous to the managers' time.

A :class:`World` is a resolved scenario (every uncertain value drawn), the
lead stream and the roster.  The engine returns
:class:`simsales.engines.contract.Outcomes`.

With a warm-up (:mod:`simsales.world.warmup`) the world an engine plays
starts ``warmup_days`` days before the scenario's ``start``: its scenario,
leads and roster are in that frame (minute 0 is 00:00 of the warm-up's
first day), and :attr:`World.horizon` keeps the scenario and roster of the
counted period (day 0 is ``start``) for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from simsales.scenario import Scenario
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.arrivals import Leads
from simsales.world.roster import Roster


@dataclass(frozen=True)
class Horizon:
    """The counted period of a world with a warm-up: what the scenario file says.

    Attributes:
        scenario: the resolved scenario as written (``start``, ``horizon_days``).
        roster: the team over those days (day 0 is ``start``), days away included.
    """

    scenario: Scenario
    roster: Roster


@dataclass(frozen=True)
class World:
    """One replication of one plan, everything exogenous to the managers' time.

    Attributes:
        scenario: the scenario as played, resolved (every uncertain value
            drawn); with a warm-up its ``start`` is the warm-up's first day
            and its ``horizon_days`` the warm-up plus the horizon.
        leads: the replication's lead stream (shared by every plan).
        roster: the team under this plan, day by day (the warm-up's days first).
        warmup_days: days played before the scenario's ``start`` (not counted).
        horizon: with a warm-up or an open pipeline, the counted period's
            scenario and roster (None: the world is its own horizon).
        pipeline_leads: leads open at ``start`` taken from a CRM export
            (:mod:`simsales.world.pipeline`; 0 without one).  The ones the
            engines play are the first leads, created before minute 0.
    """

    scenario: Scenario
    leads: Leads
    roster: Roster
    warmup_days: int = 0
    horizon: Horizon | None = None
    pipeline_leads: int = 0

    @property
    def origin_minutes(self) -> float:
        """Where the counted period begins: minutes from the world's minute 0 to 00:00 of ``start``."""
        return float(self.warmup_days * MINUTES_PER_DAY)
