"""The day-by-day ramp walk of :mod:`simsales.world.roster`, compiled with numba.

Kept apart so that importing :mod:`simsales.world.roster` does not import numba;
``team._daily_ramp`` calls it for ``months`` ramps and keeps its numpy code
for logistic ones.  The results are the numpy code's, bit for bit: the same
operations in the same order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.world.calendar import DAYS_PER_MONTH
from simsales.world.roster import MIN_THROUGHPUT


@njit(cache=True)
def daily_ramp_months(table, join, leave, skill, tl, n_tl, n_days, onboarding_days, free_load,
                       team_penalty, min_team_factor, ramp_slowdown):
    """``team._daily_ramp`` for a ``months`` ramp, operation for operation, compiled."""
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
            month = int(clock[i] // DAYS_PER_MONTH)
            ramp[i] = table[min(max(month, 0), last)]
            onb[i] = emp[i] and d - join[i] < onboarding_days
            rmp[i] = emp[i] and ramp[i] < 1.0
            if onb[i] or rmp[i]:
                load[tl[i], d] += 1.0
        for k in range(n_tl):
            excess[k] = max(load[k, d] - free_load, 0.0)
        for i in range(m):
            team_factor = max(min_team_factor, 1.0 - team_penalty * excess[tl[i]])
            if emp[i]:
                throughput[i, d] = max(ramp[i], MIN_THROUGHPUT)
                conversion[i, d] = skill[i] * ramp[i] * (1.0 if onb[i] or rmp[i] else team_factor)
            employed[i, d], onboarding[i, d], ramping[i, d] = emp[i], onb[i], rmp[i] and not onb[i]
            speed = 1.0 / (1.0 + ramp_slowdown * excess[tl[i]])
            if emp[i]:
                clock[i] = clock[i] + (speed if rmp[i] else 1.0)
    return throughput, conversion, employed, onboarding, ramping, load
