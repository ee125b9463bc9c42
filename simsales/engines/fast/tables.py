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
# P_QUALIFY is the qualification chance before the manager's factor (not clipped at 1);
# CONTACT_F the channel's contact factor (0 for an unreachable lead).
# CLOSE_MIN and CLOSE_DELAY: the closing call's length and its delay after the offer (minutes;
# 0 when funnel.closing.share is 0: not drawn).  A lead from an open
# pipeline (world.arrivals.Entry) arrives at minute 0 with its first task due at ENTRY_DUE
# (NaN: a new lead, which arrives at CREATED) and ENTRY_OWNER its owner (-1: routed).  EXPIRY:
# when the lead's touch chain ends unworked (CREATED + lead_ttl; inf for a pipeline lead awaiting
# its presentation): routing under a cap gives nobody a lead it could take only after that.
(CREATED, P_QUALIFY, CALL_MIN, PRESENT_MIN, DELAY_MIN, CONTACT_F, CLOSE_MIN, CLOSE_DELAY, ENTRY_DUE,
 ENTRY_OWNER, EXPIRY) = range(11)
# Columns of the per-manager-day table ``md`` (engine.manager_days): shift start and end
# (minutes; the shift of the day it starts on, which may end past midnight), ramp
# throughput, the manager's factor on the offer (conversion ** weight), NEXT_SHIFT_DAY
# (the first day on or after this one with a shift; the number of days if none),
# BLOCK_END (the end of the block of shifts that meet that this shift belongs to), the
# factor on qualification, ROUTE_W (throughput x skill, weighted routing's weight) and
# RAMP_SHARE (routing.ramp_share if in ramp that day, else 1).
(SHIFT_START, SHIFT_END, THROUGHPUT, CONVERSION, NEXT_SHIFT_DAY, BLOCK_END, CONV_QUALIFY, ROUTE_W,
 RAMP_SHARE) = range(9)
# A manager's next event: nothing to do, look at the task lists, a call or dial ends; or (the
# event loop) the end of an idle wait on shift, which acts one step later (days.idle_wait).
IDLE, WAKE, DONE, HOP = 0, 1, 2, 3
# What a finished call or dial leads to.
CLOSED, NEXT_ATTEMPT, PRESENT, OFFER_MADE, NO_OFFER, CLOSING_MADE = range(6)
# Scalars in ``params`` (minutes where times; probabilities; codes; P_BAR: the probation bar).
# P_CRM_*: CRM minutes after an attempt, a contact, an offer; P_CAP: max_new_per_day (-1:
# none); P_LIMITS: 1 if new leads are routed under caps or a ramp share; P_WAIT_WINDOW: 1 if
# a new lead routed to a later shift is due at its start (min_shift_left or limits);
# P_CLASS_*: the class of each kind of work under touch_chain.priority (engines/priority.py);
# P_STEPS: the attempts in the chain (a lead's step from there on is booked work); P_COOL_*: the
# cooling's decay arguments (kind, half-life in minutes, floor); P_WITHIN: the presentation's
# time limit after its booking (minutes; inf: none); P_CLOSE_SHARE, P_CLOSE_WITHIN: the share of
# offers that need a closing call and its time limit after the offer (minutes); P_ORIGIN: where
# the counted period begins (minutes; the time split counts from there).
(P_HORIZON, P_TTL, P_DIAL, P_TALK_SHARE, P_OFFER, P_HALF_LIFE, P_FLOOR, P_POLICY, P_CLASS_FIRST,
 P_DECAY_KIND, P_BAR, P_CRM_ATTEMPT, P_CRM_CONTACT, P_CRM_OFFER, P_CAP, P_LIMITS,
 P_WAIT_WINDOW, P_CLASS_BOOKED, P_CLASS_FOLLOWUP, P_STEPS, P_COOL_KIND, P_COOL_HALF_LIFE, P_COOL_FLOOR,
 P_WITHIN, P_CLOSE_SHARE, P_CLOSE_WITHIN, P_ORIGIN) = range(27)
# Columns of the per-manager probation table ``pf`` (engine.probation_tables): the minute of
# their probation decision (inf: none), their draw and chance of being let go, when they stop
# if on the team (a standby once brought in), and when their stay began (0; the minute a
# standby was brought in).
DECIDE_AT, FIRE_DRAW, FIRE_CHANCE, ACTIVE_STOP, BEGIN = range(5)
