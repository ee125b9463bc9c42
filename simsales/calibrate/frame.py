"""An export made ready to fit: the window, and every table as numpy arrays keyed by lead.

Times become minutes since the window's first midnight (in the export's
time zone), so differences are exact durations; the local wall clock (for
hours, weekdays and days) is kept next to them.  Leads are the ones created
in the window; stage entries, calls and payments are theirs, up to the
export's end (the end of the window's last day, or the last event seen if
that is earlier).  Everything is vectorised: one pass per table, no Python
loop over rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsales.crm.export import Export
from simsales.crm.schema import STAGES

NS_PER_MINUTE = 60 * 10**9
MINUTES_PER_DAY = 1440.0


def _minutes(series: pd.Series, t0_ns: int, tz: str) -> np.ndarray:
    """Timestamps as minutes since ``t0`` (NaN for a missing one); naive ones are read in ``tz``."""
    s = pd.Series(series)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = pd.to_datetime(s)
        s = s.dt.tz_localize(tz) if s.dt.tz is None else s
    ns = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    out = (ns.astype(np.int64) - t0_ns).astype(float) / NS_PER_MINUTE
    out[np.isnat(ns)] = np.nan
    return out


def _wall(series: pd.Series, tz: str) -> np.ndarray:
    """Timestamps as local wall-clock minutes since 1970-01-01 (NaN for a missing one)."""
    s = pd.Series(series)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert(tz).dt.tz_localize(None)
    else:
        s = pd.to_datetime(s)
    ns = s.to_numpy().astype("datetime64[ns]")
    out = ns.astype(np.int64).astype(float) / NS_PER_MINUTE
    out[np.isnat(ns)] = np.nan
    return out


def _dates(series: pd.Series) -> np.ndarray:
    """Dates as days since 1970-01-01 (NaN for a missing one)."""
    s = pd.Series(series)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    ns = pd.to_datetime(s).to_numpy().astype("datetime64[D]")
    out = ns.astype(np.int64).astype(float)
    out[np.isnat(ns)] = np.nan
    return out


def _flag(series: pd.Series | None, n: int) -> np.ndarray:
    """A true/false column as 1.0 / 0.0, NaN where unknown."""
    if series is None:
        return np.full(n, np.nan)
    s = pd.Series(series).astype("boolean")
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


@dataclass
class Frame:
    """The window's data as arrays (times in minutes since the window's first midnight).

    Attributes:
        tz: the export's time zone.
        since: the window's first day.
        until: the window's last day.
        end: the export's end, minutes (deals open then are censored there).
        lead_ids: the leads' ids, in row order.
        created: per lead, creation time, minutes.
        created_wall: per lead, local wall-clock minutes since 1970 (hours, weekdays, days).
        channel: per lead, index into ``channels``.
        channels: the channels' names.
        owner: per lead, index into ``staff`` (-1: none or unknown).
        status: per lead, ``open``, ``won`` or ``lost``.
        nontarget: per lead, 1 non-target, 0 target, NaN unknown.
        price: per lead, the deal's price (NaN unknown).
        loss_reason: per lead, the loss reason text ("" if none).
        stage: per stage name, per lead, the first entry time, minutes (NaN: never).
        calls: the window's calls, sorted by lead then time; columns ``lead``,
            ``t`` (minutes), ``wall`` (local minutes since 1970), ``duration_s``,
            ``answered``, ``manager`` (index into ``staff``, -1 unknown), ``kind``.
        staff: the staff table with ``hired`` and ``left`` as days since 1970 (NaN: still there).
        payments: the leads' payments with ``paid``, ``refunded`` (minutes) and ``lead``, or None.
        shifts: the shifts table with ``manager`` (index) and ``day`` (days since 1970), or None.
        warnings: what looked wrong in the data.
    """

    tz: str
    since: dt.date
    until: dt.date
    end: float
    lead_ids: pd.Index
    created: np.ndarray
    created_wall: np.ndarray
    channel: np.ndarray
    channels: list[str]
    owner: np.ndarray
    status: np.ndarray
    nontarget: np.ndarray
    price: np.ndarray
    loss_reason: np.ndarray
    stage: dict[str, np.ndarray]
    calls: pd.DataFrame
    staff: pd.DataFrame
    payments: pd.DataFrame | None
    shifts: pd.DataFrame | None
    warnings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Leads in the window."""
        return len(self.created)

    @property
    def days(self) -> int:
        """Days in the window."""
        return (self.until - self.since).days + 1

    @property
    def period(self) -> str:
        """The window as people read it, ``2026-04-01..2026-06-30``."""
        return f"{self.since}..{self.until}"

    @property
    def since_day(self) -> int:
        """The window's first day, days since 1970."""
        return (self.since - dt.date(1970, 1, 1)).days

    def minutes_to_date(self, minutes: float) -> dt.date:
        """The local date of a time in minutes since the window's start (ignoring DST shifts)."""
        return self.since + dt.timedelta(days=int(minutes // MINUTES_PER_DAY))


def _last_seen(export: Export) -> pd.Timestamp | None:
    """The latest timestamp in the export (creation, stage, call or payment)."""
    times = [
        export.leads["created_at"].max(),
        export.stages["entered_at"].max(),
        export.calls["started_at"].max(),
    ]
    if export.payments is not None and len(export.payments):
        times.append(export.payments["paid_at"].max())
    times = [t for t in times if t is not None and not pd.isna(t)]
    return max(times) if times else None


def _seen_minutes(export: Export, t0_ns: int, tz: str) -> float | None:
    """The latest timestamp in the export, minutes since ``t0``."""
    last = _last_seen(export)
    return None if last is None else float(_minutes(pd.Series([last]), t0_ns, tz)[0])


def window(export: Export, since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date]:
    """The window to fit on: the given days, or the export's first and last days.

    Args:
        export: the export.
        since: the first day (None: the day of the first lead).
        until: the last day (None: the day of the last event).

    Returns:
        ``(since, until)``.

    Raises:
        ValueError: the export has no lead, or the window is empty.
    """
    created = export.leads["created_at"]
    if len(created) == 0 or created.isna().all():
        raise ValueError("the export has no lead: nothing to calibrate on")
    local = lambda t: pd.Timestamp(t).tz_convert(export.tz) if pd.Timestamp(t).tzinfo else pd.Timestamp(t)  # noqa: E731
    first = local(created.min()).date()
    last = local(_last_seen(export)).date()
    if since is not None and until is None and last < since:
        raise ValueError(f"--from {since} is after the export's last day of data, {last}: the window would "
                         f"be empty; give a --from from {first} to {last}")
    if until is not None and since is None and until < first:
        raise ValueError(f"--to {until} is before the export's first lead, on {first}: the window would be "
                         f"empty; give a --to from {first} to {last}")
    since = since or first
    until = until or last
    if until < since:
        raise ValueError(f"the window {since}..{until} is empty: --to is before --from")
    return since, until


def build_frame(export: Export, since: dt.date, until: dt.date) -> Frame:
    """The window's data as arrays.

    Args:
        export: the export (tables as :class:`~simsales.crm.export.Export` holds them).
        since: the window's first day.
        until: the window's last day.

    Returns:
        The frame.

    Raises:
        ValueError: no lead was created in the window.
    """
    tz = export.tz
    t0 = pd.Timestamp(since).tz_localize(tz)
    t0_ns = t0.tz_convert("UTC").value
    window_end = (
        pd.Timestamp(until + dt.timedelta(days=1)).tz_localize(tz).tz_convert("UTC").value - t0_ns
    ) / NS_PER_MINUTE
    leads = export.leads
    created_all = _minutes(leads["created_at"], t0_ns, tz)
    keep = (created_all >= 0) & (created_all < window_end)
    if not keep.any():
        raise ValueError(f"no lead was created in the window {since}..{until}")
    leads = leads[keep].reset_index(drop=True)
    created = created_all[keep]
    lead_ids = pd.Index(leads["lead_id"].astype(str))
    warnings: list[str] = []
    if lead_ids.has_duplicates:
        warnings.append(
            f"{int(lead_ids.duplicated().sum()):,} lead ids appear twice in leads; the first "
            "row of each is used"
        )
        first = ~lead_ids.duplicated()
        leads, created, lead_ids = leads[first].reset_index(drop=True), created[first], lead_ids[first]
    n = len(created)

    staff = export.staff.copy()
    staff["manager_id"] = staff["manager_id"].astype(str)
    staff = staff.drop_duplicates("manager_id").reset_index(drop=True)
    staff["hired"] = _dates(staff["hired_at"])
    staff["left"] = _dates(staff["left_at"]) if "left_at" in staff else np.nan
    staff_ix = pd.Index(staff["manager_id"])

    def person(ids: pd.Series) -> np.ndarray:
        known = ids.notna().to_numpy()
        out = np.full(len(ids), -1, dtype=np.int64)
        out[known] = staff_ix.get_indexer(ids[known].astype(str))
        return out

    channel_codes, channels = pd.factorize(leads["channel"].astype(str), sort=True)

    # Stage entries: the first per lead and stage, in minutes.
    st = export.stages
    st_lead = lead_ids.get_indexer(st["lead_id"].astype(str))
    st_t = _minutes(st["entered_at"], t0_ns, tz)
    ok = (st_lead >= 0) & np.isfinite(st_t)
    stage_code = pd.Categorical(st["stage"].astype(str), categories=list(STAGES)).codes
    ok &= stage_code >= 0
    stage = {name: np.full(n, np.nan) for name in STAGES}
    order = np.lexsort((-st_t[ok], stage_code[ok]))
    codes, rows, times = stage_code[ok][order], st_lead[ok][order], st_t[ok][order]
    for i, name in enumerate(STAGES):  # one vectorised assignment per stage (10)
        sel = codes == i
        stage[name][rows[sel]] = times[sel]  # sorted by descending time: the first entry is written last

    calls = _calls(export.calls, lead_ids, person, t0_ns, tz)
    end = float(
        min(
            window_end,
            np.nanmax(
                np.concatenate(
                    [
                        created,
                        calls["t"].to_numpy() if len(calls) else [0.0],
                        *[s[np.isfinite(s)] for s in stage.values()],
                    ]
                )
            )
            + 1e-6,
        )
    )
    end = max(end, float(created.max()) + 1e-6)
    status = leads["status"].astype(str).str.lower().to_numpy()
    for name in STAGES:  # what happened after the export's end is not known at it
        stage[name][stage[name] > end] = np.nan
    calls = calls[calls["t"].to_numpy() <= end].reset_index(drop=True)
    if end < (_seen_minutes(export, t0_ns, tz) or 0.0):  # a window cut before the data end: status then
        status = np.where(
            np.isfinite(stage["won"]), "won", np.where(np.isfinite(stage["lost"]), "lost", "open")
        )

    payments = None
    if export.payments is not None and len(export.payments):
        pay = export.payments
        lead = lead_ids.get_indexer(pay["lead_id"].astype(str))
        payments = pd.DataFrame(
            {
                "lead": lead,
                "paid": _minutes(pay["paid_at"], t0_ns, tz),
                "amount": pd.to_numeric(pay["amount"], errors="coerce").to_numpy(dtype=float),
                "kind": pay["kind"].astype(str).to_numpy(),
                "refunded": _minutes(pay["refunded_at"], t0_ns, tz) if "refunded_at" in pay else np.nan,
            }
        )
        payments = payments[(payments["lead"] >= 0) & (payments["paid"] <= end)].reset_index(drop=True)
        payments.loc[payments["refunded"] > end, "refunded"] = np.nan

    shifts = None
    if export.shifts is not None and len(export.shifts):
        sh = export.shifts
        shifts = pd.DataFrame(
            {
                "manager": person(sh["manager_id"]),
                "day": _dates(sh["date"]),
                "start": sh["start"].astype(str).to_numpy(),
                "end": sh["end"].astype(str).to_numpy(),
            }
        )
        lo, hi = (since - dt.date(1970, 1, 1)).days, (until - dt.date(1970, 1, 1)).days
        shifts = shifts[(shifts["day"] >= lo) & (shifts["day"] <= hi)].reset_index(drop=True)

    reason = leads["loss_reason"] if "loss_reason" in leads else pd.Series([""] * n)
    return Frame(
        tz=tz,
        since=since,
        until=until,
        end=end,
        lead_ids=lead_ids,
        created=created,
        created_wall=_wall(leads["created_at"], tz),
        channel=channel_codes.astype(np.int64),
        channels=[str(c) for c in channels],
        owner=person(leads["manager_id"]) if "manager_id" in leads else np.full(n, -1, dtype=np.int64),
        status=status,
        nontarget=_flag(leads.get("nontarget"), n),
        price=pd.to_numeric(leads["price"], errors="coerce").to_numpy(dtype=float)
        if "price" in leads
        else np.full(n, np.nan),
        loss_reason=reason.fillna("").astype(str).str.lower().to_numpy(),
        stage=stage,
        calls=calls,
        staff=staff,
        payments=payments,
        shifts=shifts,
        warnings=warnings,
    )


def _calls(calls: pd.DataFrame, lead_ids: pd.Index, person, t0_ns: int, tz: str) -> pd.DataFrame:
    """The window's calls, sorted by lead then time, with their attempt number within the lead."""
    lead = lead_ids.get_indexer(calls["lead_id"].astype(str))
    keep = lead >= 0
    calls = calls[keep]
    t = _minutes(calls["started_at"], t0_ns, tz)
    kind = calls["kind"].fillna("call").astype(str).to_numpy() if "kind" in calls else np.full(len(t), "call")
    out = pd.DataFrame(
        {
            "lead": lead[keep],
            "t": t,
            "wall": _wall(calls["started_at"], tz),
            "duration_s": pd.to_numeric(calls["duration_s"], errors="coerce").to_numpy(dtype=float),
            "answered": calls["answered"].astype("boolean").fillna(False).to_numpy(dtype=bool),
            "manager": person(calls["manager_id"].reset_index(drop=True)),
            "kind": kind,
        }
    )
    out = out[np.isfinite(out["t"].to_numpy())]
    order = np.lexsort((out["t"].to_numpy(), out["lead"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)
