"""The layout of the fast engine's tables: the names of their columns and codes.

The loops keep their state in a few 2-D arrays (a lead's fields share a
cache line); these constants name the columns, so that every module reads
the same layout.  The per-manager tables and the task lists are laid out in
:mod:`simsales.engines.fast.queues`.
"""

from __future__ import annotations

import numpy as np

INF = np.inf
"""No time: a manager with nothing to do waits until INF."""

# Columns of the per-lead input table ``lf`` (minutes, probabilities): one row per lead.
CREATED, P_QUALIFY, CALL_MIN, PRESENT_MIN, DELAY_MIN = range(5)
# Columns of the per-manager-day table ``md`` (engine.manager_days): shift start and end
# (minutes), ramp throughput, conversion, and NEXT_SHIFT_DAY, the first day on or after
# this one with a shift (the number of days if none).
SHIFT_START, SHIFT_END, THROUGHPUT, CONVERSION, NEXT_SHIFT_DAY = range(5)
# A manager's next event: nothing to do, look at the task lists, a call or dial ends.
IDLE, WAKE, DONE = 0, 1, 2
# What a finished call or dial leads to.
CLOSED, NEXT_ATTEMPT, PRESENT, OFFER_MADE, NO_OFFER = range(5)
# Scalars in ``params`` (minutes where times; probabilities; codes; P_BAR: the probation bar).
(P_HORIZON, P_TTL, P_DIAL, P_TALK_SHARE, P_OFFER, P_HALF_LIFE, P_FLOOR, P_POLICY, P_NEW_FIRST,
 P_DECAY_KIND, P_BAR) = range(11)
# Columns of the per-manager probation table ``pf`` (engine.probation_tables): the minute of
# their probation decision (inf: none), their draw and chance of being let go, when they stop
# if on the team (a standby once brought in), and when their stay began (0; the minute a
# standby was brought in).
DECIDE_AT, FIRE_DRAW, FIRE_CHANCE, ACTIVE_STOP, BEGIN = range(5)
