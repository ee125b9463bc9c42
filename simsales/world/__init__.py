"""The world of one replication: everything exogenous to the managers' time (MODEL.md sections 1-7).

What the engines read and do not change: the calendar and shifts
(``calendar``), the lead stream (``arrivals``), the team day by day
(``roster``, built from ``hiring`` under the span rule and ``ramp``, with
``ramp_months`` its compiled walk), how contact falls with a lead's age
(``contact``), and what clients and the bank do after an offer (``deals``).
A :class:`World` bundles a resolved scenario, the leads and a roster.
Times are minutes from the scenario's start unless a name says days.
"""

from simsales.world.arrivals import Leads, daily_counts, daily_means, generate_leads
from simsales.world.calendar import (
    DAYS_PER_MONTH,
    MINUTES_PER_DAY,
    month_starts,
    opening_hours,
    shift_groups,
    shift_windows,
    weekday_of,
)
from simsales.world.contact import contact_decay, decay, decay_args
from simsales.world.deals import ClientDraws, Deals, close_deals, draw_clients, settle
from simsales.world.hiring import HiringLedger, allocate, month_team_sizes, plan_requests, team_capacity
from simsales.world.ramp import MIN_THROUGHPUT, ramp_factor, walk_days
from simsales.world.roster import NEVER, Roster, build_roster, leave_after
from simsales.world.world import World

__all__ = [
    "DAYS_PER_MONTH", "MINUTES_PER_DAY", "MIN_THROUGHPUT", "NEVER", "ClientDraws", "Deals", "HiringLedger",
    "Leads", "Roster", "World", "allocate", "build_roster", "close_deals", "contact_decay", "daily_counts",
    "daily_means", "decay", "decay_args", "draw_clients", "generate_leads", "leave_after", "month_starts",
    "month_team_sizes", "opening_hours", "plan_requests", "ramp_factor", "settle", "shift_groups",
    "shift_windows", "team_capacity", "walk_days", "weekday_of",
]
