"""Absence: sick days and vacation weeks, from the days a manager's own rota says they work but has no shift.

Each manager's rota is read from their days in the shifts table
(:func:`simsales.calibrate.rota.read_rota`: fixed weekdays, or a rotating
``a/b`` pattern whose phase is the one that best fits their days).  Over
the days the manager was observed (from the window's first day, or their
first shift if they joined in it or shortly before, to the window's last
day, or their last shift if they left in it), a rota day with no shift is
an absence.  Consecutive absences (on rota days in a row) form a run:

- a run whose gap between the shifts around it covers a whole week (7
  calendar days or more) is vacation;
- a run cut by the window's edge is vacation from two rota days on (a
  sick day is rare, two in a row rarer still), else a sick day;
- every other run is sick days.

A day on which most managers due to work have no shift is a holiday of the
whole floor, not an absence: it is left out.  Then
``vacation_weeks_per_year`` is the share of rota days in vacation times
52.18 weeks (the engine takes whole weeks off with chance ``weeks /
52.18``, so the share of working days off is the same whatever the rota),
and ``sick_share`` is the share of the remaining rota days lost one by one
(:mod:`simsales.world.absence` draws them so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.rota import closed_days, read_rota
from simsales.world.absence import WEEKS_PER_YEAR

VACATION_GAP_DAYS = 7
"""A run of absences whose gap between shifts spans this many calendar days or more is vacation."""
EDGE_VACATION_DAYS = 2
"""A run cut by the observation's edge is vacation from this many rota days on."""
HOLIDAY_SHARE = 0.5
"""A day on which more than this share of the managers due to work have no shift is a holiday."""
HOLIDAY_MIN_DUE = 4
"""... counted only when at least this many managers are due that day."""
JOINED_BEFORE_DAYS = 30
"""A manager hired this close before the window (or in it) is observed from their first shift (onboarding)."""
MIN_ROTA_DAYS = 100
"""Fewer rota days than this in all: absence is kept at its default."""


@dataclass(frozen=True)
class Absences:
    """Rota days and absences over the managers observed.

    Attributes:
        managers: managers whose rota could be read.
        rota_days: rota days observed (holidays left out).
        vacation_days: rota days in vacation runs.
        sick_days: rota days absent outside vacation runs.
        vacation_runs: vacation runs.
        holidays: days left out as holidays of the whole floor.
        week: per row of the weekly series, the Monday (days since 1970).
        week_due: rota days per week.
        week_absent: absences per week.
    """

    managers: int
    rota_days: int
    vacation_days: int
    sick_days: int
    vacation_runs: int
    holidays: int
    week: np.ndarray
    week_due: np.ndarray
    week_absent: np.ndarray


def _rota_mask(days: np.ndarray, every: np.ndarray, closed: np.ndarray) -> np.ndarray | None:
    """Which of ``every`` (days since 1970) the manager's rota says they work, from their ``days`` worked.

    ``closed``: the days the whole floor was closed (:func:`simsales.calibrate.rota.closed_days`).
    """
    read = read_rota(days - days[0], int((days[0] + 3) % 7), closed - days[0])  # 1970-01-01: a Thursday
    if read is None:
        return None
    weekdays, on, off = read
    if weekdays is not None:
        return np.isin((every + 3) % 7, weekdays)
    cycle = on + off
    phase = max(range(cycle), key=lambda p: int(np.sum((days - p) % cycle < on)))
    return (every - phase) % cycle < on


def _runs(absent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop (exclusive) indices of the runs of True in ``absent``."""
    x = np.concatenate([[0], absent.astype(np.int8), [0]])
    d = np.diff(x)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def read_absences(frame) -> Absences | None:
    """Rota days, vacation and sick days per the module's rules.

    Args:
        frame: the window's data (:class:`~simsales.calibrate.frame.Frame`).

    Returns:
        The counts, or None without a shifts table or without a manager whose rota can be read.
    """
    sh = frame.shifts
    if sh is None or not len(sh):
        return None
    lo, hi = frame.since_day, frame.since_day + frame.days - 1
    hired = frame.staff["hired"].to_numpy()
    left = frame.staff["left"].to_numpy()
    table = pd.DataFrame({"m": sh["manager"].to_numpy(), "day": sh["day"].to_numpy()})
    table = table[(table["m"] >= 0) & np.isfinite(table["day"])]
    per_manager: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (days, due, worked)
    closed = closed_days(table["day"].to_numpy().astype(np.int64))
    for m, rows in table.groupby("m", sort=True):
        days = np.unique(rows["day"].to_numpy().astype(np.int64))
        first = lo if np.isfinite(hired[m]) and hired[m] < lo - JOINED_BEFORE_DAYS else int(days[0])
        last = hi if not (np.isfinite(left[m]) and left[m] <= hi + 1) else int(days[-1])
        every = np.arange(first, last + 1)
        due = _rota_mask(days, every, closed)
        if due is None:
            continue
        per_manager.append((every, due, np.isin(every, days)))
    if not per_manager:
        return None
    # Holidays: days on which most managers due to work have no shift.
    all_days = np.concatenate([e[d] for e, d, _ in per_manager]) - lo
    off_days = np.concatenate([e[d & ~w] for e, d, w in per_manager]) - lo
    n_due = np.bincount(all_days, minlength=frame.days)
    n_off = np.bincount(off_days, minlength=frame.days)
    holiday = (n_due >= HOLIDAY_MIN_DUE) & (n_off > HOLIDAY_SHARE * n_due)
    rota = vac = sick = runs = 0
    week0 = lo - (lo + 3) % 7  # the Monday of the window's first week
    weeks = (hi - week0) // 7 + 1
    week_due, week_absent = np.zeros(weeks), np.zeros(weeks)
    for every, due, worked in per_manager:
        keep = due & ~holiday[every - lo]
        days, shift = every[keep], worked[keep]
        absent = ~shift
        rota += days.size
        wk = (days - week0) // 7
        week_due += np.bincount(wk, minlength=weeks)
        week_absent += np.bincount(wk, weights=absent, minlength=weeks)
        worked_days = every[worked]
        for a, b in zip(*_runs(absent), strict=True):
            before = worked_days[worked_days < days[a]]
            after = worked_days[worked_days > days[b - 1]]
            edge = before.size == 0 or after.size == 0
            gap = b - a if edge else after[0] - before[-1] - 1  # rota days at an edge, else calendar days
            vacation = gap >= (EDGE_VACATION_DAYS if edge else VACATION_GAP_DAYS)
            if vacation:
                vac += b - a
                runs += 1
            else:
                sick += b - a
    return Absences(len(per_manager), rota, vac, sick, runs, int(holiday.sum()),
                    week0 + 7 * np.arange(weeks), week_due, week_absent)


def vacation_weeks(a: Absences, z: float = 1.645) -> tuple[float, float, float]:
    """Vacation weeks per year and an interval (``z``: 1.645 for 90%).

    The vacation runs are the independent units: their count is taken as
    Poisson, so the relative error is ``1 / sqrt(runs)`` (no run: from 0
    to the weeks three runs would make).

    Args:
        a: the absences read.
        z: the normal quantile of the interval.

    Returns:
        ``(weeks, low, high)``, weeks per year.
    """
    share = a.vacation_days / max(a.rota_days, 1)
    weeks = share * WEEKS_PER_YEAR
    if not a.vacation_runs:
        days_per_run = 5.0  # about a week of rota days
        return 0.0, 0.0, 3 * days_per_run / max(a.rota_days, 1) * WEEKS_PER_YEAR
    rel = z / math.sqrt(a.vacation_runs)
    return weeks, weeks * max(0.0, 1 - rel), weeks * (1 + rel)


def fit_absence(frame) -> Part:
    """``team.absence`` from the shifts table (see the module docstring).

    Args:
        frame: the window's data.

    Returns:
        ``team.absence.sick_share`` (a Beta posterior) and ``team.absence.vacation_weeks_per_year``
        (a number: the field takes no distribution; its 90% interval in the comment), or defaults.
    """
    part = Part()
    found = read_absences(frame)
    if found is None or found.rota_days < MIN_ROTA_DAYS:
        why = ("no shifts table" if frame.shifts is None or not len(frame.shifts) else
               f"fewer than {MIN_ROTA_DAYS} rota days of managers whose rota the shifts tell")
        part.default("team.absence", {"sick_share": 0.0, "vacation_weeks_per_year": 0.0}, why)
        return part
    a = found
    src = (f"from {count(a.rota_days)} rota days of {a.managers} managers in the shifts table, {frame.period}"
           + (f" ({a.holidays} holidays of the whole floor left out)" if a.holidays else ""))
    rest = a.rota_days - a.vacation_days
    s = a.sick_days / max(rest, 1)
    part.set(
        "team.absence.sick_share",
        {"beta": [float(a.sick_days + 0.5), float(rest - a.sick_days + 0.5)]},
        f"{src}: {count(a.sick_days)} single absences (runs shorter than a week) of {count(rest)} rota "
        f"days outside vacations, {s:.1%}",
    )
    share = a.vacation_days / a.rota_days
    weeks, lo_w, hi_w = vacation_weeks(a)
    part.set(
        "team.absence.vacation_weeks_per_year",
        sig(weeks, 3),
        f"{src}: {count(a.vacation_days)} rota days in {a.vacation_runs} absences of a week or more, "
        f"{share:.1%} of rota days x 52.18 weeks (90% interval about {lo_w:.1f}..{hi_w:.1f}; the field "
        "takes one number)",
    )
    busy = a.week_due > 0
    fitted = s + share - s * share
    part.fits.append(
        Fit(
            "team.absence",
            "Absence: share of rota days without a shift, per week",
            list(np.flatnonzero(busy) + 1),
            a.week_absent[busy] / a.week_due[busy],
            np.full(int(busy.sum()), fitted),
            kind="line",
            xlabel="week of the window (Monday to Sunday)",
            ylabel="share of rota days absent",
            n=a.rota_days,
            note="the fitted line is sick share + vacation share (a flat year); "
            "peaks are vacation seasons",
        )
    )
    return part
