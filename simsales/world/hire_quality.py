"""Quantity lowers quality: the weaker average hire of a month that hires many (MODEL.md section 6).

Every hire of a month is drawn from the team's skill distribution, then
multiplied by the month's factor ``max(min_factor, 1 - skill_drop *
max(0, n - free_hires))``, ``n`` the hires that month's vacancies made
(standbys, the conditional replacements of probationers, do not count in
``n`` but take their month's factor).  The mean skill of the month's hires
falls by exactly that factor.
"""

from __future__ import annotations

import numpy as np

from simsales.scenario import Team
from simsales.scenario.uncertain import value

__all__ = ["hires_per_month", "quality_factor", "with_hire_quality"]


def quality_factor(team: Team, n_hires: int) -> float:
    """The skill factor of every hire of a month that made ``n_hires`` hires.

    Args:
        team: the resolved team section (``hire_quality``).
        n_hires: hires the month's vacancies made.

    Returns:
        A factor in ``[min_factor, 1]``; exactly 1.0 up to ``free_hires``.
    """
    hq = team.hire_quality
    beyond = max(0, n_hires - hq.free_hires)
    if beyond == 0:
        return 1.0
    return max(float(hq.min_factor), 1.0 - value(hq.skill_drop) * beyond)


def hires_per_month(hire_month: np.ndarray, standby_for: np.ndarray, n_months: int) -> np.ndarray:
    """Hires made per decision month, standbys left out.

    Args:
        hire_month: per manager, the month index of their vacancy (-1: the team at the start).
        standby_for: per manager, -1 or the probationer they stand by for.
        n_months: months in the horizon.

    Returns:
        Hires per month, ``(n_months,)``.
    """
    counted = (hire_month >= 0) & (standby_for < 0)
    return np.bincount(hire_month[counted], minlength=n_months)[:n_months]


def with_hire_quality(team: Team, base_skill: np.ndarray, hire_month: np.ndarray,
                      standby_for: np.ndarray, n_months: int) -> np.ndarray:
    """Skills after hire quality: each hire's draw times their month's factor.

    Args:
        team: the resolved team section.
        base_skill: per manager, the skill drawn from ``team.skill``.
        hire_month: per manager, the month index of their vacancy (-1: the team at the start).
        standby_for: per manager, -1 or the probationer they stand by for.
        n_months: months in the horizon.

    Returns:
        Per manager, the skill multiplier (the team at the start unchanged).
    """
    n = hires_per_month(hire_month, standby_for, n_months)
    factors = np.array([quality_factor(team, int(k)) for k in n] + [1.0])
    skill = base_skill.astype(float).copy()
    hired = hire_month >= 0
    if np.any(factors[:-1] != 1.0):
        skill[hired] = skill[hired] * factors[hire_month[hired]]
    return skill
