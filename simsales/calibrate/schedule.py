"""Working hours and shifts, from the calls and (where given) the shifts table.

The calendar's hours per weekday are the whole hours around 99% of that
weekday's calls (a weekday with almost no calls is closed).  Shift groups
come from each manager's own days in the shifts table
(:mod:`simsales.calibrate.rota`: named weekdays for a weekly rota, a
rotating pattern otherwise); without a shifts table, one shift spans the
calendar.  The talk share is :mod:`simsales.calibrate.call_time`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.calibrate.fit import Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.rota import MIN_SPAN_DAYS, WEEKDAYS, manager_rotas, pooled_days, shift_groups
from simsales.calibrate.rota import clock as _clock

CLOSED_SHARE = 0.02
"""A weekday with less than this share of the calls is closed."""


def fit_calendar(frame: Frame) -> tuple[Part, dict[int, tuple[int, int]]]:
    """Working hours per weekday from the calls' local start times.

    Args:
        frame: the window's data.

    Returns:
        ``calendar.*`` values and the open hours per weekday (minutes after midnight).
    """
    part = Part()
    wall = frame.calls["wall"].to_numpy()
    if len(wall) == 0:
        part.default("calendar", {"default": "09:00-21:00"}, "no call in the export")
        return part, {d: (540, 1260) for d in range(7)}
    day = np.floor(wall / MINUTES_PER_DAY).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    minute = wall - day * MINUTES_PER_DAY
    share = np.bincount(weekday, minlength=7) / len(wall)
    hours: dict[int, tuple[int, int]] = {}
    spec: dict[str, str] = {}
    for d in range(7):
        if share[d] < CLOSED_SHARE:
            spec[WEEKDAYS[d]] = "closed"
            continue
        lo, hi = np.quantile(minute[weekday == d], [0.005, 0.995])
        open_, close = int(lo // 60 * 60), int(min(np.ceil(hi / 60) * 60, MINUTES_PER_DAY))
        close = max(close, open_ + 60)
        hours[d] = (open_, close)
        spec[WEEKDAYS[d]] = f"{_clock(open_)}-{_clock(close)}"
    if not hours:
        part.default("calendar", {"default": "09:00-21:00"}, "too few calls on any weekday")
        return part, {d: (540, 1260) for d in range(7)}
    common = pd.Series(spec).mode().iloc[0]
    out = {"default": common} | {k: v for k, v in spec.items() if v != common}
    part.set(
        "calendar",
        out,
        f"from {count(len(wall))} calls, {frame.period}: the whole hours around 99% "
        f"of each weekday's calls ({frame.tz})",
    )
    return part, hours


def fit_shifts(frame: Frame, hours: dict[int, tuple[int, int]]) -> Part:
    """The shift groups (start, length, rota, share), from the shifts table or the calendar.

    Args:
        frame: the window's data.
        hours: the calendar's open hours per weekday (minutes).

    Returns:
        ``team.shifts``.
    """
    part = Part()
    sh = frame.shifts
    if sh is None or not len(sh):
        start = min(h[0] for h in hours.values())
        end = max(h[1] for h in hours.values())
        shift = {
            "name": "day",
            "pattern": "2/2",
            "start": _clock(start),
            "hours": round((end - start) / 60, 2),
        }
        if not any(d in hours for d in (5, 6)):  # a week without weekends: the open weekdays
            days = sorted(hours)
            shift |= {"pattern": f"{len(days)}/{7 - len(days)}", "days": [WEEKDAYS[d] for d in days]}
        part.default("team.shifts", [shift], "no shifts table: one shift spanning the calendar")
        return part
    start = sh["start"].map(_minutes_of).to_numpy(dtype=float)
    end = sh["end"].map(_minutes_of).to_numpy(dtype=float)
    # A shift whose end is before its start runs past midnight, as the scenario's may (it belongs to the
    # day it starts on); it was cut at 24:00, losing a night shift's hours after midnight.
    length = np.where(end > start, end - start, end + MINUTES_PER_DAY - start)
    ok = np.isfinite(start) & np.isfinite(length) & (length > 0)
    rotas = manager_rotas(sh, start, length, ok)
    src = f"from {count(ok.sum())} shifts, {frame.period}"
    if rotas:
        groups = shift_groups(rotas)
        weekly = sum(r.days is not None for r in rotas)
        part.set(
            "team.shifts",
            groups,
            f"{src}: each manager's start, length and rota ({weekly} of {len(rotas)} managers on the same "
            "weekdays every week: named days; the others a rotating pattern, their most common runs of "
            "days on and off); the share of managers per group",
        )
        return part
    kinds = pd.DataFrame({"s": start[ok], "n": length[ok]}).value_counts()
    (s0, n0) = kinds.index[0]
    weekday = ((sh["day"].to_numpy()[ok].astype(np.int64) + 3) % 7).astype(np.int64)
    days = pooled_days(weekday)
    part.set(
        "team.shifts",
        [
            {
                "name": "day",
                "pattern": f"{len(days)}/{7 - len(days)}",
                "days": [WEEKDAYS[d] for d in days],
                "start": _clock(s0),
                "hours": round(float(n0) / 60, 2),
            }
        ],
        f"{src}: no manager has {MIN_SPAN_DAYS} days of shifts to tell a rota; the most common start and "
        "length, on the weekdays with at least half the busiest weekday's shifts",
    )
    part.warnings.append(
        f"no manager's shifts span {MIN_SPAN_DAYS} days: team.shifts is the weekdays most shifts fall on "
        "(check it)"
    )
    return part


def _minutes_of(text: str) -> float:
    try:
        h, m = str(text).split(":")[:2]
        return int(h) * 60 + int(m)
    except ValueError:
        return float("nan")
