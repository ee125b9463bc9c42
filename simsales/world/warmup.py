"""The warm start: the department is not empty on day one (MODEL.md section 1).

A run plays ``W`` days before the scenario's ``start`` (the warm-up) and
counts only what happens from ``start`` on.  The engines need no change:
they get one :class:`~simsales.world.world.World` whose minute 0 is 00:00
of ``start - W`` and whose horizon is ``W + horizon_days`` days; every
array indexed by day (roster, days away, shifts) and every minute (leads,
probation decisions, ramp) is in that frame.

What the warm-up is:

- the real calendar, run backward from ``start``: weekdays, holidays and
  short days on their dates, every rotating shift pattern in its phase;
- the team as it is on ``start``: everyone employed that day (the team at
  the start, not a hire joining that day) works their shifts through the
  warm-up with that day's ramp, skill, team factor and team lead; nobody
  joins, leaves, ramps up or reaches a probation decision in it;
- leads as the channels say, on the real dates: the weekday and hour
  profiles, and the monthly growth run backward from the volume on
  ``start`` (5% a month of growth means 5% fewer leads a month earlier);
- days away drawn for the warm-up's days as for any other day.

``warmup_days: auto`` (the default) is :func:`auto_warmup_days`, so that the
leads, deals, payments and refunds in work on ``start`` exist: the lead
time-to-live (a lead's last contact), plus the P90 of a client's whole path
of delays from the contact call to the payment (:func:`client_path_p90`),
plus the refund window when refunds can happen (a payment made before
``start`` may be refunded in the horizon), rounded up, 1 to
:data:`MAX_WARMUP_DAYS` days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np

from simsales.scenario import Scenario
from simsales.scenario.ranges import lower_end, upper_end
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.absence import with_absence
from simsales.world.arrivals import Leads
from simsales.world.calendar import shift_windows
from simsales.world.roster import NEVER, Roster, shift_ties
from simsales.world.world import Horizon, World

__all__ = ["MAX_WARMUP_DAYS", "auto_warmup_days", "client_path_p90", "played_scenario", "wanted_warmup_days",
           "warm_roster", "warm_world", "warmup_of", "warmup_short_of"]

MAX_WARMUP_DAYS = 30
"""The longest warm-up ``auto`` chooses, in days."""


def auto_warmup_days(scenario: Scenario) -> int:
    """Days to play before ``start``: lead_ttl + the client path's P90 + the refund window, 1 to 30.

    The refund window (``funnel.refunds.window_days``) counts when refunds
    can happen (``refunds.share`` not identically 0).  The same scenario
    always gets the same warm-up (:func:`client_path_p90` is from a fixed
    sample).

    Args:
        scenario: the scenario (resolved or not: only the lead time-to-live,
            the funnel's delays and shares and the channels' installment
            shares are read).

    Returns:
        Whole days (rounded up), 1 to :data:`MAX_WARMUP_DAYS`.
    """
    return int(min(MAX_WARMUP_DAYS, max(1, wanted_warmup_days(scenario))))


def wanted_warmup_days(scenario: Scenario) -> int:
    """The warm-up ``auto`` would choose without its cap of :data:`MAX_WARMUP_DAYS` days.

    Above the cap, the leads and clients of the days before the warm-up are
    missing from the horizon's first days: their payments and refunds there.

    Args:
        scenario: the scenario (resolved or not), as for :func:`auto_warmup_days`.

    Returns:
        Whole days (rounded up): lead_ttl + the client path's P90 (uncapped)
        + the refund window when refunds can happen.
    """
    f = scenario.funnel
    days = scenario.touch_chain.lead_ttl / MINUTES_PER_DAY + _client_path(scenario)
    if upper_end(f.refunds.share) > 0:
        days += f.refunds.window_days
    return math.ceil(days)


def warmup_short_of(scenario: Scenario) -> int:
    """The days ``warmup_days: auto`` would need where its cap stops it short, else 0.

    Args:
        scenario: the scenario (resolved or not).

    Returns:
        :func:`wanted_warmup_days` when the scenario asks for ``auto`` and that
        is over :data:`MAX_WARMUP_DAYS`; 0 otherwise (a number set by hand is the user's).
    """
    if scenario.warmup_days != "auto":
        return 0
    wanted = wanted_warmup_days(scenario)
    return wanted if wanted > MAX_WARMUP_DAYS else 0


def client_path_p90(scenario: Scenario) -> float:
    """The P90 of a client's delays from the contact call to the payment, on the longer path (days).

    A path is the offer's delay (contact call to presentation), then either
    the invoice's payment, or the link's filling then the bank's approval;
    with closing calls (``funnel.closing.share`` above 0) the payment comes
    no earlier than the call, due ``closing.delay_days`` after the offer.
    Each path's P90 is that of the sum of its delays, from a fixed sample;
    the larger counts, of the paths a client can take: the installment path
    when some installment share (the funnel's, or a channel's own) can be
    above 0, the invoice path when some can be below 1.

    Args:
        scenario: the scenario (resolved or not).

    Returns:
        Days, at most :data:`MAX_WARMUP_DAYS`.
    """
    return min(_client_path(scenario), float(MAX_WARMUP_DAYS))


_P90_CACHE: dict[tuple, float] = {}
"""The client path's P90 by the paths taken and the delays' reprs: every replication resolves the same
delays (saves ~10 ms)."""


def _client_path(scenario: Scenario) -> float:
    """:func:`client_path_p90` without its cap, days."""
    f = scenario.funnel
    shares = [f.installment_share if c.installment_share is None else c.installment_share
              for c in scenario.channels] or [f.installment_share]
    paths = (any(lower_end(s) < 1 for s in shares), any(upper_end(s) > 0 for s in shares))
    delays = (f.offer.delay_days, f.invoice_paid.delay_days, f.link_filled.delay_days,
              f.bank_approved.delay_days, f.closing.delay_days if f.closing.share > 0 else None)
    key = (*paths, *map(repr, delays))
    if key not in _P90_CACHE:
        if len(_P90_CACHE) > 1024:
            _P90_CACHE.clear()
        _P90_CACHE[key] = _path_p90(paths, delays)
    return _P90_CACHE[key]

_PATH_SAMPLE = 20_000
"""Draws of each delay behind the P90 (for an exponential delay, a standard error of about 1% of its P90)."""


def _path_p90(paths: tuple[bool, bool], delays: tuple) -> float:
    """The larger P90 of the paths taken (invoice, installment) of ``delays`` (:func:`client_path_p90`)."""
    rng = np.random.default_rng(0)  # a fixed sample: the same scenario, the same warm-up
    offer, invoice, link, bank, closing = (
        np.zeros(_PATH_SAMPLE) if d is None else np.asarray(d.sample(rng, _PATH_SAMPLE), dtype=float)
        for d in delays)
    after_offer = [invoice] * paths[0] + [link + bank] * paths[1]
    return max(float(np.percentile(offer + np.maximum(after, closing), 90)) for after in after_offer)


def warmup_of(scenario: Scenario) -> int:
    """The warm-up a scenario asks for, in days (``warmup_days``: ``auto``, or a number; 0 is off).

    Args:
        scenario: the scenario.

    Returns:
        Whole days (>= 0); 0 with a ``pipeline`` (the export's open pipeline replaces the warm-up).
    """
    if scenario.pipeline is not None:
        return 0
    if scenario.warmup_days == "auto":
        return auto_warmup_days(scenario)
    return int(scenario.warmup_days)


_LAST_PLAYED: list[tuple[Scenario, int, Scenario] | None] = [None]
"""The last :func:`played_scenario` asked for: ``(scenario, warmup, played)`` (a reference keeps
``scenario``'s identity from being reused)."""


def played_scenario(scenario: Scenario, warmup: int) -> Scenario:
    """The scenario as the engines play it: ``warmup`` days earlier, ``warmup`` days longer.

    Args:
        scenario: the resolved scenario.
        warmup: days before ``start``.

    Returns:
        A copy with ``start`` and ``horizon_days`` moved (nothing else changes); the same
        object as the last call's for the same ``scenario`` object and ``warmup``, so that
        the plans of a replication share it (the fast engine keeps the per-lead draws from
        one plan to the next only for the same scenario object: about 6% of a q3 replication).
    """
    last = _LAST_PLAYED[0]
    if last is not None and last[0] is scenario and last[1] == warmup:
        return last[2]
    played = scenario.model_copy(update={"start": scenario.start - dt.timedelta(days=warmup),
                                         "horizon_days": scenario.horizon_days + warmup})
    _LAST_PLAYED[0] = (scenario, warmup, played)  # scenarios are frozen: the copy stays right
    return played


def _later(days: np.ndarray, warmup: int, never: int) -> np.ndarray:
    """Day indices ``warmup`` days later, the sentinel ``never`` kept."""
    return np.where(days == never, days, days + warmup)


def warm_roster(roster: Roster, scenario: Scenario, warmup: int) -> Roster:
    """The roster with ``warmup`` days before its day 0, the team as it is on day 0 (module docstring).

    Args:
        roster: the plan's roster over the horizon (before days away).
        scenario: the resolved scenario (calendar, shifts, ``start``).
        warmup: days before ``start`` (> 0).

    Returns:
        The roster over ``warmup + horizon_days`` days, in the played frame
        (day 0 is ``start - warmup``).
    """
    r, w = roster, warmup
    offset = w * float(MINUTES_PER_DAY)
    team = scenario.team
    # On the warm-up's days: who is employed on day 0 and was there before (not a day-0 hire, a standby).
    there = r.employed[:, 0] & (r.join_day < 0) & (r.standby_for < 0)

    def first(a: np.ndarray, off: object = None) -> np.ndarray:  # day 0's column, w times, then a
        head = np.repeat(a[:, :1], w, axis=1)
        if off is not None:
            head = np.where(there[:, None], head, off)
        return np.concatenate([head, a], axis=1)

    starts, ends = shift_windows(team.shifts, scenario.calendar, scenario.start, 0, r.n_managers,
                                 shift_ties(team, r.team_lead), before=w)
    takes_leads = there & ~r.onboarding[:, 0]
    ends = np.where(takes_leads[:, None], ends, starts)
    return dataclasses.replace(
        r,
        join_day=r.join_day + w,  # the team at the start keeps its true hire dates
        leave_day=_later(r.leave_day, w, NEVER),
        throughput=first(r.throughput),
        conversion=first(r.conversion),
        employed=first(r.employed, False),
        onboarding=first(r.onboarding, False),
        ramping=first(r.ramping, False),
        shift_start=np.concatenate([starts, r.shift_start + offset], axis=1),
        shift_end=np.concatenate([ends, r.shift_end + offset], axis=1),
        team_lead_join_day=r.team_lead_join_day + w,
        coaching_load=first(r.coaching_load),
        team_lead_by_day=first(r.team_lead_by_day),
        team_lead_leave_day=_later(r.team_lead_leave_day, w, NEVER),
        promoted_day=_later(r.promoted_day, w, -1),
        probation_end=r.probation_end + offset,  # inf stays inf
        ramped_from=np.where(r.ramped_from <= 0, r.ramped_from, r.ramped_from + offset),
    )


def warm_world(resolved: Scenario, leads: Leads, roster: Roster, warmup: int, absence_key: int) -> World:
    """The world one plan plays: its roster with days away, and with the warm-up if there is one.

    Args:
        resolved: the resolved scenario (as written: ``start`` is the counted period's first day).
        leads: the replication's leads, from ``start - warmup``
            (:func:`simsales.world.arrivals.generate_leads` with ``before=warmup``).
        roster: the plan's roster over the horizon, before days away.
        warmup: days before ``start`` (0: no warm-up, the world of a cold start).
        absence_key: the replication's absence key (:mod:`simsales.world.absence`).

    Returns:
        The world; with a warm-up, its ``horizon`` holds the counted period.
    """
    counted = with_absence(roster, resolved, absence_key)
    if warmup == 0:
        return World(resolved, leads, counted)
    played = with_absence(warm_roster(roster, resolved, warmup), resolved, absence_key, first_day=-warmup)
    return World(played_scenario(resolved, warmup), leads, played, warmup_days=warmup,
                 horizon=Horizon(resolved, counted))
