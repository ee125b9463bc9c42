"""Absence: the working days each manager is away, sick or on vacation (MODEL.md section 1).

Whether manager ``m`` is away on day ``d`` is a counter-based draw keyed by
the replication's absence key, ``m`` and ``d``: the k-th manager is away on
the same days under every plan (common random numbers), and no other
random stream moves when absence is switched on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from simsales.scenario import Scenario
from simsales.scenario.uncertain import value
from simsales.world.roster import Roster

__all__ = ["WEEKS_PER_YEAR", "absent_days", "uniforms", "with_absence"]

WEEKS_PER_YEAR = 365.25 / 7.0
"""Weeks in an average year: vacation weeks per year -> the chance a week is off."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SICK, _VACATION = np.uint64(1), np.uint64(2)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-mixed 64-bit value from each input (element-wise)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def uniforms(key: int, purpose: np.uint64, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1), one per ``(row, col)`` pair, determined by ``key`` and ``purpose`` alone.

    Args:
        key: the replication's absence key (a 63-bit integer).
        purpose: which draw (sick days or vacation weeks).
        rows: row numbers (managers), broadcast against ``cols``.
        cols: column numbers (days or weeks).

    Returns:
        The uniforms, shaped like ``rows`` and ``cols`` broadcast.
    """
    with np.errstate(over="ignore"):
        x = np.uint64(key) * _GOLDEN + purpose
        x = _mix(x ^ (np.asarray(rows, dtype=np.uint64) * _M1))
        x = _mix(x ^ (np.asarray(cols, dtype=np.uint64) * _M2))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def absent_days(key: int, n_managers: int, n_days: int, start: dt.date,
                sick_share: float, vacation_weeks_per_year: float, first_day: int = 0) -> np.ndarray:
    """Which managers are away on which days.

    Args:
        key: the replication's absence key.
        n_managers: managers on the roster (in creation order).
        n_days: days in the horizon.
        start: the scenario's first day (weeks run Monday to Sunday).
        sick_share: chance a day is lost to sickness.
        vacation_weeks_per_year: vacation weeks a year, in whole weeks.
        first_day: the first day's index from ``start`` (negative in a
            warm-up): day ``d`` from ``start`` gets the same draw whatever
            the first day is.

    Returns:
        ``(n_managers, n_days)`` booleans, True where the manager is away.
    """
    managers = np.arange(n_managers)[:, None]
    days = np.arange(first_day, first_day + n_days)[None, :]
    away = np.zeros((n_managers, n_days), dtype=bool)
    if sick_share > 0:
        away |= uniforms(key, _SICK, managers, days) < sick_share
    if vacation_weeks_per_year > 0:
        week = (days + start.weekday()) // 7
        away |= uniforms(key, _VACATION, managers, week) < vacation_weeks_per_year / WEEKS_PER_YEAR
    return away


def with_absence(roster: Roster, scenario: Scenario, key: int, first_day: int = 0) -> Roster:
    """The roster with every absent manager's shift removed that day (start == end).

    Args:
        roster: the plan's :class:`~simsales.world.roster.Roster`.
        scenario: the resolved scenario (``team.absence``, ``start``).
        key: the replication's absence key.
        first_day: the index from ``scenario.start`` of the roster's day 0
            (``-W`` for a roster with a warm-up of ``W`` days).

    Returns:
        The roster itself when nobody is ever away, else a copy with the
        shifts of absent days removed.
    """
    absence = scenario.team.absence
    sick, weeks = float(value(absence.sick_share)), float(absence.vacation_weeks_per_year)
    if sick <= 0 and weeks <= 0:
        return roster
    starts = roster.shift_start
    away = absent_days(key, starts.shape[0], starts.shape[1], scenario.start, sick, weeks, first_day)
    return dataclasses.replace(roster, shift_end=np.where(away, starts, roster.shift_end))
