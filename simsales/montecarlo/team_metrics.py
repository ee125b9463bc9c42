"""The team's metrics: who joined, left, was let go or promoted, and what over-hiring cost (MODEL.md 6, 9).

The roster is what the world planned; the engine's ``Outcomes.fired`` says
who was let go at probation.  From both, :class:`TeamCount` gives who was
on the team each day: a standby (the conditional replacement of a
probationer) counts only if their probationer was let go; a manager let go
counts up to the end of the day of the decision in payroll, and is gone from
the headcount at that day's end.  With these counts, at every month's end
and at the horizon's end::

    headcount = start + joined - left - fired - promoted

(``left``: voluntary leavers; ``promoted``: made team leads).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.engines.contract import Outcomes
from simsales.world.calendar import MINUTES_PER_DAY
from simsales.world.roster import NEVER, Roster

__all__ = ["TEAM_METRICS", "TeamCount", "team_count", "team_metrics", "team_series", "worked_shifts"]

TEAM_METRICS: dict[str, str] = {
    "probation_fired": "hires let go at the end of probation, results below the bar",
    "hires_weak_share": "share of the horizon's hires with skill below the median of the team at the start "
                        "(none: no hire)",
    "team_lead_attrition": "team leads who left in the horizon",
    "promotions": "managers made team leads in the horizon",
    "vacancies_open_end": "manager vacancies open at the end: hired but not joined yet, or deferred",
    "team_factor_dip": "mean loss of ramped managers' conversion to their team lead's coaching load",
    "hires_ramp_mean": "mean ramp factor of the horizon's hires on their days taking leads (1 = ramped; "
                       "none: no hire at work)",
}
"""The team metrics of :func:`team_metrics`: name -> meaning (counts, or shares 0-1)."""


@dataclass(frozen=True)
class TeamCount:
    """Who was on the team, from the roster and the engine's probation decisions.

    Attributes:
        active: per manager, on the team at all (not a standby left unused).
        fired_day: per manager, the day of the probation decision that let them go (``NEVER``: not let go).
        on_team: per manager and day, on the team at the day's end (for headcounts).
        paid: per manager and day, on the payroll that day.
        joined: per manager, joined in the horizon.
        left: per manager, left of their own accord in the horizon.
        fired: per manager, let go at probation in the horizon.
        promoted: per manager, made a team lead in the horizon.
    """

    active: np.ndarray
    fired_day: np.ndarray
    on_team: np.ndarray
    paid: np.ndarray
    joined: np.ndarray
    left: np.ndarray
    fired: np.ndarray
    promoted: np.ndarray


def team_count(roster: Roster, out: Outcomes, horizon_days: int) -> TeamCount:
    """Who was on the team each day.

    Args:
        roster: the roster of the plan.
        out: what the engine decided (``fired``).
        horizon_days: days in the horizon.

    Returns:
        The counts; with no standby and no one let go, ``on_team`` and
        ``paid`` are ``roster.employed``.
    """
    fired_min = np.asarray(out.fired, dtype=float)
    was_fired = ~np.isnan(fired_min) & (fired_min < horizon_days * MINUTES_PER_DAY)
    fired_day = np.where(was_fired, np.floor(np.nan_to_num(fired_min) / MINUTES_PER_DAY), NEVER)
    fired_day = fired_day.astype(np.int64)
    standby = roster.standby_for
    active = (standby < 0) | (was_fired[np.maximum(standby, 0)] & (standby >= 0))
    days = np.arange(roster.employed.shape[1])
    on_team = roster.employed & active[:, None] & (days[None, :] < fired_day[:, None])
    paid = roster.employed & active[:, None] & (days[None, :] <= fired_day[:, None])
    join, leave = roster.join_day, roster.leave_day
    promoted = (roster.promoted_day >= 0) & (roster.promoted_day < horizon_days)
    joined = active & (join >= 0) & (join < horizon_days)
    left = (active & (leave >= 0) & (leave < horizon_days) & (leave > join) & ~promoted & ~was_fired)
    return TeamCount(active, fired_day, on_team, paid, joined, left, was_fired, promoted)


def worked_shifts(roster: Roster, fired: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The roster's shifts as the team worked them (MODEL.md section 6), as the engines play them.

    The roster plans shifts for everyone it might employ; the engines take
    away those of a hire let go at probation from the minute of the decision
    on, and those of a standby (the conditional replacement of a
    probationer) before their probationer is let go: all of them if that
    never happens.  Shift time (utilisation and the other shares of it, the
    on-shift waits) counts these shifts alone.

    Args:
        roster: the roster of the plan.
        fired: per manager, the minute they were let go (NaN: not), in the roster's frame.

    Returns:
        ``(start, end)`` per manager and day, minutes like the roster's; a day
        without a shift (or cut to nothing) has ``end == start``.
    """
    start, end = roster.shift_start, roster.shift_end
    fired = np.asarray(fired, dtype=float)
    stop = np.where(np.isnan(fired), np.inf, fired)
    standby = roster.standby_for
    brought_in = np.where(standby >= 0, fired[np.maximum(standby, 0)], -np.inf)  # NaN: never
    begin = np.where(np.isnan(brought_in), np.inf, brought_in)
    s = np.maximum(start, begin[:, None])
    e = np.minimum(end, stop[:, None])
    keep = e > s
    return np.where(keep, s, start), np.where(keep, e, start)


def team_metrics(roster: Roster, count: TeamCount, horizon_days: int) -> dict[str, float]:
    """The metrics of :data:`TEAM_METRICS` for one replication.

    Args:
        roster: the roster of the plan.
        count: :func:`team_count` of it.
        horizon_days: days in the horizon.

    Returns:
        Metric -> value.
    """
    start = roster.join_day < 0
    hires = count.joined
    median = float(np.median(roster.skill[start])) if start.any() else np.nan
    weak = int(np.count_nonzero(roster.skill[hires] < median)) if start.any() else 0
    tl_leave = roster.team_lead_leave_day
    counted = count.active & (roster.hire_month >= 0)
    ramped = count.on_team & ~roster.onboarding & ~roster.ramping & (roster.skill[:, None] > 0)
    factor = roster.conversion[ramped] / np.broadcast_to(roster.skill[:, None], ramped.shape)[ramped]
    at_work = count.on_team & ~roster.onboarding & hires[:, None]
    return {
        "probation_fired": int(count.fired.sum()),
        # A share of the hires, or their mean: undefined (NaN, left out of summaries and paired
        # comparisons) for a plan that hires nobody, not 0 ("no weak hires", "not ramped at all").
        "hires_weak_share": weak / int(hires.sum()) if hires.any() and start.any() else np.nan,
        "team_lead_attrition": int(((tl_leave >= 0) & (tl_leave < horizon_days)).sum()),
        "promotions": int(count.promoted.sum()),
        "vacancies_open_end": int(roster.ledger.open_end
                                  + np.count_nonzero(counted & (roster.join_day >= horizon_days))),
        "team_factor_dip": float(1.0 - factor.mean()) if factor.size else 0.0,
        "hires_ramp_mean": float(roster.throughput[at_work].mean()) if at_work.any() else np.nan,
    }


def team_series(roster: Roster, count: TeamCount, month_of_day: np.ndarray,
                last_days: list[int]) -> dict[str, np.ndarray]:
    """Per calendar month: the team at the month's end, and who joined, left, was let go or promoted.

    Args:
        roster: the roster of the plan.
        count: :func:`team_count` of it.
        month_of_day: per day of the horizon, its month's index.
        last_days: each month's last day (index).

    Returns:
        ``headcount_month``, ``onboarding_month``, ``ramping_month`` (at the
        month's end), ``hires_made_month``, ``left_month``, ``fired_month``,
        ``promoted_month``, ``team_lead_left_month`` (in the month),
        ``vacancies_open_month`` (at the month's end).
    """
    n_months = len(last_days)
    horizon = month_of_day.size

    def per_month(days: np.ndarray) -> np.ndarray:
        days = days[(days >= 0) & (days < horizon)]
        return np.bincount(month_of_day[days], minlength=n_months).astype(float)

    on = count.on_team
    tl_leave = roster.team_lead_leave_day
    counted = count.active & (roster.hire_month >= 0)
    open_month = roster.ledger.open_month if roster.ledger.open_month is not None else np.zeros(n_months)
    waiting = np.array([np.count_nonzero(counted & (roster.hire_month <= i) & (roster.join_day > e))
                        for i, e in enumerate(last_days)], dtype=float)
    return {
        "headcount_month": np.array([on[:, d].sum() for d in last_days], dtype=float),
        "onboarding_month": np.array([(on[:, d] & roster.onboarding[:, d]).sum() for d in last_days],
                                     dtype=float),
        "ramping_month": np.array([(on[:, d] & roster.ramping[:, d]).sum() for d in last_days], dtype=float),
        "hires_made_month": per_month(roster.join_day[count.joined]),
        "left_month": per_month(roster.leave_day[count.left]),
        "fired_month": per_month(count.fired_day[count.fired]),
        "promoted_month": per_month(roster.promoted_day[count.promoted]),
        "team_lead_left_month": per_month(tl_leave[(tl_leave >= 0) & (tl_leave < horizon)]),
        "vacancies_open_month": waiting + np.asarray(open_month, dtype=float),
    }
