"""The staff and shifts tables of a simulated CRM export (:mod:`simsales.montecarlo.event_tables`).

Who was on the team, as a CRM's staff list shows it at the end of the
horizon, and each manager's shifts as worked (MODEL.md sections 1 and 6).
Dates are days from the start of the world played (a warm-up's first).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simsales.engines.contract import Outcomes
from simsales.montecarlo.team_metrics import worked_shifts
from simsales.world.calendar import MINUTES_PER_DAY
from simsales.world.world import World

__all__ = ["dates", "ids", "shifts_table", "staff_table"]


def ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    """Identifiers ``prefix`` + a zero-padded number (1-based), as strings.

    Args:
        prefix: e.g. ``"L"`` for leads.
        numbers: 0-based indices.

    Returns:
        An object array of strings, all of one width.
    """
    numbers = np.asarray(numbers, dtype=np.int64) + 1
    width = len(str(int(numbers.max()))) if numbers.size else 1
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def dates(start: dt.date, days: np.ndarray) -> pd.DatetimeIndex:
    """Day indices as dates (naive midnight), NaN -> NaT."""
    days = np.asarray(days, dtype=float)
    stamps = np.datetime64(start, "D") + np.nan_to_num(days, nan=0).astype(np.int64).astype("timedelta64[D]")
    return pd.DatetimeIndex(np.where(np.isnan(days), np.datetime64("NaT"), stamps).astype("datetime64[ns]"))


def staff_table(world: World, out: Outcomes, prefix: str) -> pd.DataFrame:
    """One row per manager and team lead who joined before the end of the horizon.

    ``left_at`` is the first day gone (not on the payroll), for everyone gone
    by the end of the horizon: a leaver's or promoted manager's leave day, a
    team lead's, and for a hire let go at probation the day after the
    decision (paid up to its end).  Team leads are ``tl-NAME`` (the team at
    the start), ``tl-hire-N`` (hired) and ``tl-`` + the manager's id
    (promoted from the floor, that manager's ``left_at`` their first day as
    a team lead).
    """
    sc, r = world.scenario, world.roster
    horizon_days = sc.horizon_days
    manager_ids = ids(f"{prefix}M", np.arange(r.n_managers))
    named = [t.name for t in sc.team.team_leads]
    source = np.asarray(r.team_lead_from, dtype=np.int64)
    tl_ids = np.empty(source.size, dtype=object)
    tl_ids[:len(named)] = [f"{prefix}tl-{name}" for name in named]
    extra = np.arange(len(named), source.size)
    hired = extra[source[extra] < 0]
    tl_ids[hired] = [f"{prefix}tl-hire-{j + 1}" for j in range(hired.size)]
    promoted = extra[source[extra] >= 0]
    tl_ids[promoted] = [f"{prefix}tl-{manager_ids[source[k]]}" for k in promoted]
    leave = r.leave_day.astype(float)
    gone = leave < horizon_days
    fired = out.fired  # probation exits: paid to the end of the decision's day, gone the day after
    let_go = ~np.isnan(fired) & (fired < sc.horizon_minutes)
    leave = np.where(let_go, np.floor(np.nan_to_num(fired) / MINUTES_PER_DAY) + 1, leave)
    gone |= let_go
    keep = r.join_day < horizon_days
    standby = r.standby_for  # a backfill that never came in is never on the team
    keep &= (standby < 0) | ~np.isnan(fired[np.maximum(standby, 0)])
    mgr = np.flatnonzero(keep)
    tl_keep = np.flatnonzero(r.team_lead_join_day < horizon_days)
    left = np.where(gone[mgr], leave[mgr], np.nan)
    tl_leave = r.team_lead_leave_day[tl_keep]
    tl_left = np.where(tl_leave < horizon_days, tl_leave, np.nan)
    return pd.DataFrame({
        "manager_id": np.concatenate([manager_ids[mgr], tl_ids[tl_keep]]),
        "team_lead_id": np.concatenate([tl_ids[r.team_lead[mgr]], np.full(tl_keep.size, None)]),
        "role": ["manager"] * mgr.size + ["team_lead"] * tl_keep.size,
        "hired_at": dates(sc.start, np.concatenate([r.join_day[mgr], r.team_lead_join_day[tl_keep]])),
        "left_at": dates(sc.start, np.concatenate([left, tl_left])),
    })


def shifts_table(world: World, out: Outcomes, prefix: str) -> pd.DataFrame:
    """One row per manager and day on the phones (employed, past onboarding), as worked.

    None after a hire is let go, none of a standby never brought in (:func:`worked_shifts`).
    """
    sc, r = world.scenario, world.roster
    shift_start, shift_end = worked_shifts(r, out.fired)
    m, d = np.nonzero(r.employed & (shift_end > shift_start))
    start, end = shift_start[m, d], shift_end[m, d]

    def clock(minutes: np.ndarray) -> np.ndarray:
        within = np.round(minutes).astype(np.int64) % int(MINUTES_PER_DAY)
        return np.char.add(np.char.add(np.char.zfill((within // 60).astype(str), 2), ":"),
                           np.char.zfill((within % 60).astype(str), 2)).astype(object)

    return pd.DataFrame({
        "manager_id": ids(f"{prefix}M", np.arange(r.n_managers))[m] if m.size else np.array([], dtype=object),
        "date": dates(sc.start, np.floor(start / MINUTES_PER_DAY)),
        "start": clock(start),
        "end": clock(end),
    })
