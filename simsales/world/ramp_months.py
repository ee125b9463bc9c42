"""The day-by-day ramp walk of :mod:`simsales.world.ramp` for a ``months`` ramp, compiled with numba.

The numpy walk stays the readable statement of the rule; the roster calls
this one for ``months`` ramps (the walk was the roster's cost) and
:func:`simsales.world.ramp.walk_days` for logistic ones.  The
results are the numpy code's, bit for bit: the same operations in the same
order.  Every constant comes in as an argument: numba's cache of this
function is keyed on this file alone, and would not notice an edit of a
constant read from another module.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["walk_days_months"]


@njit(cache=True)
def walk_days_months(table: np.ndarray, join: np.ndarray, leave: np.ndarray, skill: np.ndarray,
                     tl: np.ndarray, n_tl: int, n_days: int, onboarding_days: int, free_load: float,
                     team_penalty: float, min_team_factor: float, ramp_slowdown: float,
                     min_throughput: float, days_per_month: float, counted: np.ndarray,
                     waiting_excess: float) -> tuple[np.ndarray, ...]:
    """:func:`simsales.world.ramp.walk_days` for a ``months`` ramp, operation for operation.

    Args:
        table: the ramp factor by month of ramp-clock tenure, ending with 1.0.
        join: per manager, the day they join (negative for the team at the start).
        leave: per manager, the first day gone.
        skill: per manager, the skill multiplier.
        tl: per manager and day, the index of their team lead (-1: waiting for one), ``(M, D)``.
        n_tl: the number of team leads.
        n_days: days in the horizon.
        onboarding_days: days after joining during which a manager takes no leads.
        free_load: newcomers a team lead coaches at no cost.
        team_penalty: the team factor's loss per newcomer beyond ``free_load``.
        min_team_factor: the lowest team factor.
        ramp_slowdown: how much each newcomer beyond ``free_load`` slows the ramp clock.
        min_throughput: the lowest throughput factor (ramp.MIN_THROUGHPUT).
        days_per_month: days in a month of the ramp table (calendar.DAYS_PER_MONTH).
        counted: per manager, whether they count in their lead's coaching load.
        waiting_excess: the coaching excess a manager waiting for a team lead ramps under.

    Returns:
        ``(throughput, conversion, employed, onboarding, ramping, coaching_load)``,
        as :func:`simsales.world.ramp.walk_days` returns them.
    """
    m = join.size
    clock = np.zeros(m)
    for i in range(m):
        clock[i] = float(-join[i]) if join[i] < 0 else 0.0
    throughput, conversion = np.zeros((m, n_days)), np.zeros((m, n_days))
    employed = np.zeros((m, n_days), np.bool_)
    onboarding = np.zeros((m, n_days), np.bool_)
    ramping = np.zeros((m, n_days), np.bool_)
    load = np.zeros((n_tl, n_days))
    ramp = np.zeros(m)
    emp = np.zeros(m, np.bool_)
    onb = np.zeros(m, np.bool_)
    rmp = np.zeros(m, np.bool_)
    excess = np.zeros(n_tl)
    last = table.size - 1
    for d in range(n_days):
        for i in range(m):
            emp[i] = join[i] <= d and leave[i] > d
            month = int(clock[i] // days_per_month)
            ramp[i] = table[min(max(month, 0), last)]
            onb[i] = emp[i] and d - join[i] < onboarding_days
            rmp[i] = emp[i] and ramp[i] < 1.0
            if (onb[i] or rmp[i]) and tl[i, d] >= 0 and counted[i]:
                load[tl[i, d], d] += 1.0
        for k in range(n_tl):
            excess[k] = max(load[k, d] - free_load, 0.0)
        for i in range(m):
            k = tl[i, d]
            if k >= 0:
                team_factor = max(min_team_factor, 1.0 - team_penalty * excess[k])
                own_excess = excess[k]
            else:
                team_factor = min_team_factor
                own_excess = waiting_excess
            if emp[i]:
                throughput[i, d] = max(ramp[i], min_throughput)
                conversion[i, d] = skill[i] * ramp[i] * (1.0 if onb[i] or rmp[i] else team_factor)
            employed[i, d], onboarding[i, d], ramping[i, d] = emp[i], onb[i], rmp[i] and not onb[i]
            speed = 1.0 / (1.0 + ramp_slowdown * own_excess)
            if emp[i]:
                clock[i] = clock[i] + (speed if rmp[i] else 1.0)
    return throughput, conversion, employed, onboarding, ramping, load
