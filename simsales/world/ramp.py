"""Ramp-up and coaching load: how productive each manager is, day by day (MODEL.md section 6).

A manager's ramp factor (0..1] is a function of their ramp-clock tenure:
a table by month (``ramp.months``, then 1.0) or a logistic curve.  The
ramp clock runs slower while their team lead coaches more newcomers than
``free_load`` (the ``coaching_load``), and the rest of that team converts
worse (the team factor).  :func:`walk_days` walks the days with numpy;
:mod:`simsales.world.ramp_months` does the same walk, compiled, for a
``months`` ramp (the roster picks one, :func:`simsales.world.roster.build_roster`).
"""

from __future__ import annotations

import numpy as np

from simsales.scenario import Ramp, Team
from simsales.world.calendar import DAYS_PER_MONTH

__all__ = ["MIN_THROUGHPUT", "RampWalk", "ramp_factor", "walk_days"]

MIN_THROUGHPUT = 0.05
"""The lowest throughput factor of a manager at work: below it, calls would take forever."""

RampWalk = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""``(throughput, conversion, employed, onboarding, ramping, coaching_load)``: per manager and
day ``(M, D)``, the load per team lead and day ``(L, D)``."""


def ramp_factor(ramp: Ramp, tenure_days: np.ndarray) -> np.ndarray:
    """Productivity at the given ramp-clock tenure.

    Args:
        ramp: the scenario's ramp curve (months table or logistic).
        tenure_days: ramp-clock tenure, days.

    Returns:
        The ramp factor, in (0, 1], shaped like ``tenure_days``.
    """
    tenure = np.asarray(tenure_days, dtype=float)
    if ramp.months is not None:
        table = np.append(np.asarray(ramp.months, dtype=float), 1.0)
        month = np.clip((tenure // DAYS_PER_MONTH).astype(np.int64), 0, len(table) - 1)
        return table[month]
    mid, width = ramp.logistic["midpoint_days"], ramp.logistic["width_days"]
    factor = 1.0 / (1.0 + np.exp(-(tenure - mid) / width))
    return np.where(tenure >= mid + 3.0 * width, 1.0, factor)


def walk_days(team: Team, join: np.ndarray, leave: np.ndarray, skill: np.ndarray,
              tl: np.ndarray, n_tl: int, n_days: int, onboarding_days: int,
              counted: np.ndarray | None = None) -> RampWalk:
    """Walk the days: ramp clocks, coaching load and the factors it drives.

    A manager waiting for a team lead (``tl`` -1 that day) converts with
    ``coaching.min_team_factor`` once ramped and ramps as under a lead
    coaching ``span_max`` newcomers (:mod:`simsales.world.team_leads`).

    Args:
        team: the resolved team section (ramp curve and coaching).
        join: per manager, the day they join (negative for the team at the start).
        leave: per manager, the first day gone.
        skill: per manager, the skill multiplier.
        tl: per manager, the index of their team lead, ``(M,)``, or per manager
            and day, ``(M, D)`` (-1: waiting for one).
        n_tl: the number of team leads.
        n_days: days in the horizon.
        onboarding_days: days after joining during which a manager takes no leads.
        counted: per manager, whether they count in their lead's coaching load
            (standbys do not; None: everyone).

    Returns:
        ``(throughput, conversion, employed, onboarding, ramping, coaching_load)``:
        see :data:`RampWalk`.  Throughput (on call speed) is the ramp factor,
        at least :data:`MIN_THROUGHPUT`; conversion (on the offer chance) is
        skill x ramp x the team factor.
    """
    m = len(join)
    tl = np.asarray(tl, dtype=np.int64)
    tl_days = np.broadcast_to(tl[:, None] if tl.ndim == 1 else tl, (m, n_days))  # reshape(0, -1) fails
    counted = np.ones(m, bool) if counted is None else np.asarray(counted, bool)
    clock = np.where(join < 0, -join, 0).astype(float)  # ramp-clock tenure at day 0
    shape = (m, n_days)
    throughput, conversion = np.zeros(shape), np.zeros(shape)
    employed, onboarding, ramping = (np.zeros(shape, bool) for _ in range(3))
    load = np.zeros((n_tl, n_days))
    co = team.coaching
    waiting_excess = max(float(team.span_max) - float(co.free_load), 0.0)
    for d in range(n_days):
        tl_d = tl_days[:, d]
        has = tl_d >= 0
        tl_i = np.where(has, tl_d, 0)
        emp = (join <= d) & (leave > d)
        ramp = ramp_factor(team.ramp, clock)
        onb = emp & (d - join < onboarding_days)
        rmp = emp & (ramp < 1.0)
        load[:, d] = np.bincount(tl_d[(onb | rmp) & has & counted], minlength=n_tl)
        excess = np.maximum(load[:, d] - co.free_load, 0.0)
        team_factor = np.maximum(co.min_team_factor, 1.0 - co.team_penalty * excess)
        throughput[:, d] = np.where(emp, np.maximum(ramp, MIN_THROUGHPUT), 0.0)
        own_factor = np.where(has, team_factor[tl_i], co.min_team_factor)
        conversion[:, d] = np.where(
            emp, skill * ramp * np.where(onb | rmp, 1.0, own_factor), 0.0
        )
        employed[:, d], onboarding[:, d], ramping[:, d] = emp, onb, rmp & ~onb
        speed = 1.0 / (1.0 + co.ramp_slowdown * np.where(has, excess[tl_i], waiting_excess))
        clock = np.where(emp, clock + np.where(rmp, speed, 1.0), clock)
    return throughput, conversion, employed, onboarding, ramping, load
