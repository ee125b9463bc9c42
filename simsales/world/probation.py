"""What the engines need to decide probation: when, how likely, against what (MODEL.md section 6).

The decision itself runs in the engines, where the results are
(``engines/``); the world gives, per manager:

* ``probation_end``: the minute of the decision, the last minute of the
  last day of probation, ``(join + probation_days) * 1440 - 1``, for hires
  who join in the horizon when ``team.probation`` is set and the decision
  falls in the horizon; ``inf`` otherwise (the team at the start is not
  re-examined).
* ``fire_chance``: ``probation.fire_chance + probation.overload_step x`` the
  mean coaching excess (the team lead's managers in onboarding or ramp
  beyond ``coaching.free_load``) over the hire's days in onboarding or ramp
  up to the decision, clipped to [0, 1]; days waiting for a team lead count
  as a lead coaching ``span_max`` newcomers.  0 for managers not on probation.
* ``ramped_from``: the minute from which a manager counts as ramped: the
  first day at work past onboarding and ramp (the walk's, coaching
  slowdowns included); for the team ramped at the start, the nominal end of
  their ramp (negative); ``inf`` if never ramped in the horizon.
"""

from __future__ import annotations

import math

import numpy as np

from simsales.scenario import Team
from simsales.scenario.uncertain import value
from simsales.world.calendar import MINUTES_PER_DAY
from simsales.world.team_leads import ramp_days, unassigned_excess

__all__ = ["fire_chances", "probation_ends", "ramped_from"]


def probation_ends(team: Team, join: np.ndarray, n_days: int) -> np.ndarray:
    """The minute of each manager's probation decision (inf: none in the horizon).

    Args:
        team: the team section (``probation``, ``attrition.probation_days``).
        join: per manager, the day they join.
        n_days: days in the horizon.

    Returns:
        Minutes from the start, ``(M,)``.
    """
    days = team.attrition.probation_days
    ends = (join.astype(float) + days) * MINUTES_PER_DAY - 1.0
    on = (team.probation is not None) & (days > 0) & (join >= 0) & (join + days <= n_days)
    return np.where(on, ends, np.inf)


def fire_chances(team: Team, join: np.ndarray, probation_end: np.ndarray, newcomer: np.ndarray,
                 tl_by_day: np.ndarray, load: np.ndarray) -> np.ndarray:
    """The chance each probationer below the bar is let go, rising with their team lead's coaching load.

    Args:
        team: the resolved team section.
        join: per manager, the day they join.
        probation_end: per manager, the decision minute (inf: not on probation).
        newcomer: per manager and day, in onboarding or ramp, ``(M, D)``.
        tl_by_day: per manager and day, their team lead (-1: waiting), ``(M, D)``.
        load: per team lead and day, the coaching load, ``(L, D)``.

    Returns:
        Chances in [0, 1], ``(M,)``; 0 for managers not on probation.
    """
    chance = np.zeros(len(join))
    if team.probation is None:
        return chance
    base, step = value(team.probation.fire_chance), value(team.probation.overload_step)
    free, waiting = float(team.coaching.free_load), unassigned_excess(team)
    n_days = newcomer.shape[1] if newcomer.ndim == 2 else 0
    for m in np.flatnonzero(np.isfinite(probation_end)):
        last = min(int(probation_end[m] // MINUTES_PER_DAY), n_days - 1)
        days = np.arange(max(int(join[m]), 0), last + 1)
        days = days[newcomer[m, days]]
        excess = 0.0
        if days.size:
            tl = tl_by_day[m, days]
            per_day = np.where(tl >= 0, np.maximum(load[np.maximum(tl, 0), days] - free, 0.0), waiting)
            excess = float(per_day.mean())
        chance[m] = min(max(base + step * excess, 0.0), 1.0)
    return chance


def ramped_from(team: Team, join: np.ndarray, employed: np.ndarray, newcomer: np.ndarray,
                onboarding_days: int) -> np.ndarray:
    """The minute from which each manager counts as ramped.

    Args:
        team: the team section (ramp).
        join: per manager, the day they join.
        employed: per manager and day, on the payroll, ``(M, D)``.
        newcomer: per manager and day, in onboarding or ramp, ``(M, D)``.
        onboarding_days: days after joining without leads.

    Returns:
        Minutes from the start (negative for the team ramped before it; inf: never in the horizon).
    """
    ramped = employed & ~newcomer
    any_day = ramped.any(axis=1)
    first = np.argmax(ramped, axis=1)
    nominal = max(ramp_days(team), float(onboarding_days))
    out = np.where(any_day, first.astype(float) * MINUTES_PER_DAY, np.inf)
    before = any_day & (first == 0) & (join < 0)
    ended = np.minimum(np.ceil(join + nominal), 0.0) * MINUTES_PER_DAY
    out = np.where(before, np.minimum(ended, 0.0), out)
    return np.where(np.isnan(out), math.inf, out)
