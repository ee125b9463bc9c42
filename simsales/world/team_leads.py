"""Team leads who leave, managers who wait for one, and promotions from the floor (MODEL.md section 6).

* A team lead leaves on a day drawn from ``attrition.team_lead_monthly``
  (a constant hazard, as for managers).  Their managers, in creation order,
  move to the team lead on the team with the most room within ``span_max``
  (ties: the lower index); when no one has room, they wait unassigned.
* A manager waiting for a team lead gets no coaching: the team factor on
  their conversion is ``coaching.min_team_factor`` (the lowest an overloaded
  lead's team can fall to) and, while ramping, their ramp clock runs as
  under a lead coaching ``span_max`` newcomers.  They are placed, in the
  same way, at each month's first day when some team lead has room.
* ``promote: N`` on a month's first day makes the N best ramped managers
  (highest skill among those whose tenure passed the ramp curve's end,
  ties: the lower index) team leads: one fewer on the phones (their last
  day on the phones is the day before), one more team lead who may hire
  after ``lead_adaptation_days``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simsales.scenario import Team
from simsales.world.calendar import DAYS_PER_MONTH
from simsales.world.hire_quality import quality_factor

if TYPE_CHECKING:
    from simsales.world.staffing import Staffing

__all__ = ["lead_leaves", "place_waiting", "promote", "ramp_days", "team_lead_by_day", "unassigned_excess"]


def ramp_days(team: Team) -> float:
    """Ramp-clock days until the ramp curve reaches 1.0 (a ``months`` table's end, or the logistic's cut).

    Args:
        team: the team section (ramp).

    Returns:
        Days of tenure after which a manager counts as ramped (without coaching slowdowns).
    """
    if team.ramp.months is not None:
        return len(team.ramp.months) * DAYS_PER_MONTH
    return team.ramp.logistic["midpoint_days"] + 3.0 * team.ramp.logistic["width_days"]


def unassigned_excess(team: Team) -> float:
    """The coaching excess a waiting manager's ramp clock runs under: a lead with ``span_max`` newcomers."""
    return max(float(team.span_max) - float(team.coaching.free_load), 0.0)


def _most_room(staff: Staffing, day: int, exclude: int = -1) -> int:
    """The team lead on the team on ``day`` with the most room within ``span_max``; -1 if none has room."""
    room = staff.team.span_max - staff.sizes(day)
    room = np.where(staff.present(day), room, 0)
    if 0 <= exclude < room.size:
        room[exclude] = 0
    best = int(np.argmax(room)) if room.size else -1
    return best if best >= 0 and room[best] > 0 else -1


def lead_leaves(staff: Staffing, k: int, day: int) -> None:
    """Team lead ``k`` leaves on ``day``: their managers move to the lead with most room, or wait.

    Args:
        staff: the plan's people.
        k: the team lead.
        day: their first day gone.
    """
    for m in range(len(staff.join)):
        if staff.cur_tl[m] == k and staff.leave[m] > day and staff.standby_for[m] < 0:
            staff.move(m, day, _most_room(staff, day, exclude=k))


def place_waiting(staff: Staffing, day: int) -> None:
    """Managers waiting for a team lead go, in creation order, to the lead with most room on ``day``.

    Args:
        staff: the plan's people.
        day: a month's first day.
    """
    for m in range(len(staff.join)):
        if staff.cur_tl[m] < 0 and staff.leave[m] > day and staff.standby_for[m] < 0:
            k = _most_room(staff, day)
            if k < 0:
                return
            staff.move(m, day, k)


def promote(staff: Staffing, day: int, month: int, n: int) -> int:
    """The ``n`` best ramped managers become team leads on ``day``.

    Args:
        staff: the plan's people.
        day: the month's first day.
        month: its index.
        n: promotions asked for.

    Returns:
        Promotions made (fewer than ``n`` when fewer managers are ramped).
    """
    ramped_after = ramp_days(staff.team)
    counts = np.bincount(np.asarray([h for h, s in zip(staff.hire_month, staff.standby_for, strict=True)
                                     if 0 <= h < month and s < 0], dtype=np.int64), minlength=month + 1)
    candidates = []
    for m in range(len(staff.join)):
        if (staff.join[m] <= day < staff.leave[m] and staff.standby_for[m] < 0
                and day - staff.join[m] >= ramped_after):
            h = staff.hire_month[m]
            factor = quality_factor(staff.team, int(counts[h])) if h >= 0 else 1.0
            candidates.append((-staff.base_skill[m] * factor, m))
    chosen = [m for _, m in sorted(candidates)[:n]]
    for m in chosen:
        staff.leave[m] = day
        staff.promoted_day[m] = day
        staff.add_team_lead(day, promoted_from=m)
        staff.open_vacancy(m)
    return len(chosen)


def team_lead_by_day(team_lead: np.ndarray, moves: list[tuple[int, int, int]], n_days: int) -> np.ndarray:
    """Each manager's team lead on each day (-1: waiting for one).

    Args:
        team_lead: per manager, their team lead when created.
        moves: ``(manager, day, new team lead)`` in the order they happened.
        n_days: days in the horizon.

    Returns:
        ``(M, n_days)`` team lead indices.
    """
    by_day = np.repeat(np.asarray(team_lead, dtype=np.int64)[:, None], n_days, axis=1)
    for m, day, tl in moves:
        by_day[m, max(day, 0):] = tl
    return by_day
