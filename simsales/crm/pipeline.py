"""The leads and deals open at a date in an export, as the CRM knew them then (MODEL.md sections 1, 10).

:func:`open_at` reads an :class:`~simsales.crm.export.Export` as it stood at
00:00 of ``start`` in the export's time zone.  An export taken later holds
the later fate of those leads (their ``status``, later stage entries, calls
and payments); only what was known before ``start`` is used:

- **open** at ``start``: created before it, with no ``won`` or ``lost``
  entry and no payment before it;
- **stage** at ``start``: the furthest stage (in the schema's order) entered
  before it (implied entries count: an implied entry takes the time of the
  entry that implies it, so a stage implied by a later entry is not known
  at ``start``); a lead with no entry before it is ``assigned``;
- **attempts** made before ``start``: the lead's rows of ``calls`` (calls
  and messages alike) that started before it;
- **owner**: the lead's ``manager_id``, and the staff employed at ``start``
  (hired on or before its day, not left by it) with their hire dates and
  team leads, for :mod:`simsales.world.pipeline` to map onto the scenario's team.

Times are minutes from ``start`` (negative: before it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsales.crm.errors import CrmError
from simsales.crm.export import Export, nanoseconds
from simsales.crm.outcomes import wait_weights
from simsales.crm.schema import STAGES

__all__ = ["WEEK", "OpenLeads", "PipelineError", "open_at"]

_NS_PER_MINUTE = 60_000_000_000


class PipelineError(CrmError):
    """An export that cannot give the pipeline open at a date (the message says why and what to do)."""


@dataclass(frozen=True)
class OpenLeads:
    """The leads open at ``start`` in an export, one row per lead, and the staff employed then.

    Attributes:
        start: the date; minute 0 is its 00:00 in the export's time zone.
        lead_id: the leads' ids.
        channel: their channel names.
        created: creation, minutes from ``start`` (< 0).
        stage: the stage each is at (a name of :data:`simsales.crm.schema.STAGES`).
        entered: per stage name, per lead, the minute it was entered (NaN: not before ``start``).
        attempts: calls and messages made to each before ``start``.
        call_lead: per such call, its lead (an index of these rows), by lead and time.
        call_age: per such call, the lead's age when it started (minutes).
        manager_id: each lead's owner in the export ("" if none).
        nontarget: True where the export marks a lead contacted before ``start`` non-target.
        price: the lead's price in the export (NaN: not given).
        staff: the managers employed at ``start``: ``manager_id``, ``team_lead_id``, ``hired_at``.
        closed: leads created before ``start`` and closed by then (won or lost).
        notes: what was assumed, one sentence each.
        wait_weight: per client step (``invoice``, ``link_sent``,
            ``link_filled``), how much a wait there counts against a deal,
            0 to 1, read from the export's past
            (:func:`simsales.crm.outcomes.wait_weights`; NaN: too little past).
        paid_before: per payment received before ``start`` and not refunded
            by then, its minute (< 0): it may still go back after ``start``.
        paid_amount: per such payment, the amount received.
    """

    start: dt.date
    lead_id: np.ndarray
    channel: np.ndarray
    created: np.ndarray
    stage: np.ndarray
    entered: dict[str, np.ndarray]
    attempts: np.ndarray
    call_lead: np.ndarray
    call_age: np.ndarray
    manager_id: np.ndarray
    nontarget: np.ndarray
    price: np.ndarray
    staff: pd.DataFrame
    closed: int
    notes: list[str] = field(default_factory=list)
    wait_weight: dict[str, float] = field(default_factory=dict)
    paid_before: np.ndarray = field(default_factory=lambda: np.zeros(0))
    paid_amount: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.lead_id)

    def at(self, *stages: str) -> np.ndarray:
        """Per lead, whether it is at one of ``stages``."""
        return np.isin(self.stage, stages)

    def counts(self) -> dict[str, int]:
        """Open leads per stage, in the schema's order (stages with none left out)."""
        names, n = np.unique(self.stage, return_counts=True)
        found = dict(zip(names.tolist(), n.tolist(), strict=True))
        return {s: found[s] for s in STAGES if s in found}


def _where(export: Export) -> str:
    return str(export.folder) if export.folder is not None else "the export"


def _last_day(export: Export) -> dt.date:
    ends = [export.leads["created_at"].max(), export.stages["entered_at"].max(),
            export.calls["started_at"].max()]
    if export.payments is not None and len(export.payments):
        ends.append(export.payments["paid_at"].max())
    return max(t for t in ends if pd.notna(t)).tz_convert(export.tz).date()


def open_at(export: Export, start: dt.date) -> OpenLeads:
    """The leads and deals open at 00:00 of ``start`` (export's time zone), as known then.

    Args:
        export: the export (implied stage entries included, as the reader gives them).
        start: the scenario's first day.

    Returns:
        The open leads (possibly none: then a note says so).

    Raises:
        PipelineError: ``start`` after the day following the export's last
            day of data (what happened in between is unknown), or an export
            without any lead.
    """
    where = _where(export)
    leads = export.leads
    if not len(leads) or leads["created_at"].isna().all():
        raise PipelineError(where, "the export has no lead with a creation time: no pipeline can be "
                                   "read from it")
    last = _last_day(export)
    if start > last + dt.timedelta(days=1):
        raise PipelineError(where, f"the scenario starts on {start}, after the export's data end "
                                   f"({last}): what happened in between is unknown; start on "
                                   f"{last + dt.timedelta(days=1)} at the latest, or use a newer export")
    origin = pd.Timestamp(start).tz_localize(export.tz).value  # ns since 1970, 00:00 of start

    def minutes(stamps: pd.Series) -> np.ndarray:
        ns = nanoseconds(stamps)
        return np.where(stamps.isna().to_numpy(), np.nan, (ns - origin) / _NS_PER_MINUTE)

    created = minutes(leads["created_at"])
    ids = leads["lead_id"].to_numpy(dtype=object)
    row_of = pd.Index(ids)
    born = created < 0
    st = export.stages
    st_min = minutes(st["entered_at"])
    before = st_min < 0
    st_row = row_of.get_indexer(st["lead_id"].to_numpy(dtype=object))
    n = len(ids)
    entered = {s: np.full(n, np.nan) for s in STAGES}
    for name in STAGES:
        pick = before & (st["stage"].to_numpy(dtype=object) == name) & (st_row >= 0)
        np.fmin.at(entered[name], st_row[pick], st_min[pick])
    pay = export.payments
    paid_before, paid_amount = np.zeros(0), np.zeros(0)
    if pay is not None and len(pay):
        paid_rows = row_of.get_indexer(pay["lead_id"].to_numpy(dtype=object))
        paid_min = minutes(pay["paid_at"])
        early = (paid_min < 0) & (paid_rows >= 0)
        np.fmin.at(entered["won"], paid_rows[early], paid_min[early])  # money received before start: won
        kept = early & ~(minutes(pay["refunded_at"]) < 0)  # not refunded by start: it may still go back
        paid_before, paid_amount = paid_min[kept], pay["amount"].to_numpy(dtype=float)[kept]
    closed = ~np.isnan(entered["won"]) | ~np.isnan(entered["lost"])
    keep = born & ~closed
    stage = np.full(n, "assigned", dtype=object)
    for name in STAGES[:-2]:  # the furthest stage entered before start (won and lost are closed)
        stage = np.where(~np.isnan(entered[name]), name, stage)
    calls = export.calls
    call_rows = row_of.get_indexer(calls["lead_id"].to_numpy(dtype=object))
    early_call = (minutes(calls["started_at"]) < 0) & (call_rows >= 0)
    attempts = np.bincount(call_rows[early_call], minlength=n)
    call_min = minutes(calls["started_at"])[early_call]
    contacted = ~np.isnan(entered["contact"])
    flag = leads["nontarget"]
    known = flag.fillna(False).to_numpy(dtype=bool) if flag.notna().any() else np.zeros(n, bool)
    nontarget = contacted & known
    owner = leads["manager_id"].fillna("").astype(str).to_numpy(dtype=object)
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(created[rows], kind="stable")]
    position = np.full(n, -1, np.int64)
    position[rows] = np.arange(rows.size)
    call_lead = position[call_rows[early_call]]
    mine = call_lead >= 0
    call_lead, call_age = call_lead[mine], call_min[mine] - created[call_rows[early_call]][mine]
    by = np.lexsort((call_age, call_lead))
    notes = [f"pipeline at {start}: {rows.size} leads open at 00:00 {export.tz} (created before it, not won "
             f"or lost by it); {int((born & closed).sum())} created before it were closed by then"]
    if rows.size:
        names, n_at = np.unique(stage[rows], return_counts=True)
        found = dict(zip(names.tolist(), n_at.tolist(), strict=True))
        notes.append("open leads by stage at the start: "
                     + ", ".join(f"{s} {found[s]}" for s in STAGES if s in found))
    if rows.size == 0:
        notes.append(f"no lead of the export is open at {start}: the run starts from an empty department "
                     f"(a cold start)")
    staff = _staff_at(export, start)
    notes += _owner_notes(owner[rows], stage[rows], ids[rows], export.staff, staff, start)
    weights = wait_weights(entered)
    notes.append("how much a wait counts against an open deal, read from the export's past (0: its failed "
                 "deals are closed lost as fast as others succeed, 1: never; too little past: 1): "
                 + ", ".join(f"{step} {'1 (too little past)' if np.isnan(w) else f'{w:.2f}'}"
                             for step, w in weights.items()))
    return OpenLeads(
        start=start, lead_id=ids[rows], channel=leads["channel"].astype(str).to_numpy(dtype=object)[rows],
        created=created[rows], stage=stage[rows], entered={s: v[rows] for s, v in entered.items()},
        attempts=attempts[rows].astype(np.int64), call_lead=call_lead[by], call_age=call_age[by],
        manager_id=owner[rows], nontarget=nontarget[rows],
        price=leads["price"].to_numpy(dtype=float, na_value=np.nan)[rows], staff=staff,
        closed=int((born & closed).sum()), notes=notes, wait_weight=weights, paid_before=paid_before,
        paid_amount=paid_amount)


OWNED = STAGES[:4]
"""The stages at which an open lead has an owner in the run (the touch chain, awaiting the presentation)."""


def _owner_notes(owner: np.ndarray, stage: np.ndarray, lead_id: np.ndarray, everyone: pd.DataFrame,
                 employed: pd.DataFrame, start: dt.date) -> list[str]:
    """A warning counting the open leads before the offer whose owner the run cannot keep, by reason.

    Args:
        owner: per open lead, its ``manager_id`` ("" none).
        stage: per open lead, its stage at ``start``.
        lead_id: per open lead, its id.
        everyone: the export's staff table.
        employed: the managers employed at ``start`` (:func:`_staff_at`).
        start: the date.

    Returns:
        One sentence, or none when every such lead's owner is kept.
    """
    owned = np.isin(stage, OWNED)
    none = owned & (owner == "")
    known = np.isin(owner, everyone["manager_id"].astype(str).to_numpy())
    stranger = owned & ~none & ~known
    away = owned & known & ~np.isin(owner, employed["manager_id"].astype(str).to_numpy())
    parts = []
    for mask, what, show_owner in ((none, "without a manager_id", False),
                                   (stranger, "whose manager_id is not in the staff table", True),
                                   (away, f"whose owner is not a manager employed on {start} (left, hired "
                                          f"later, or another role)", True)):
        if mask.any():
            first = [f"{i} ({m})" if show_owner else str(i)
                     for i, m in zip(lead_id[mask][:3], owner[mask][:3], strict=True)]
            more = " ..." if mask.sum() > 3 else ""
            parts.append(f"{int(mask.sum())} {what} (leads {', '.join(first)}{more})")
    if not parts:
        return []
    lost = int((none | stranger | away).sum())
    return [f"owners: {lost} of the {int(owned.sum())} open leads before the offer (assigned to qualified) "
            f"have no owner the run can keep: the policy routes them at minute 0 as new leads: "
            + "; ".join(parts)]


WEEK = 7
"""Days before ``start`` whose calls tell which days of the week each manager works."""


def _staff_at(export: Export, start: dt.date) -> pd.DataFrame:
    """The managers employed at ``start``: hired on or before its day, not left by it.

    With the days of the week before it on which each made a call (``worked``: 7 booleans, the 7th
    day before ``start`` first).
    """
    staff = export.staff
    day = pd.Timestamp(start)
    hired = staff["hired_at"]
    left = staff["left_at"]
    on = (staff["role"] == "manager") & (hired <= day) & (left.isna() | (left > day))
    out = staff.loc[on, ["manager_id", "team_lead_id", "hired_at"]].reset_index(drop=True)
    calls = export.calls
    origin = pd.Timestamp(start).tz_localize(export.tz).value
    ago = (origin - nanoseconds(calls["started_at"])) / (_NS_PER_MINUTE * 1440.0)  # days before start
    recent = (ago > 0) & (ago <= WEEK) & calls["manager_id"].notna().to_numpy()
    slot = WEEK - np.ceil(ago[recent]).astype(np.int64)  # 0: the 7th day before start ... 6: the day before
    caller = calls["manager_id"].astype(str).to_numpy()[recent]
    who = pd.Index(out["manager_id"].astype(str)).get_indexer(caller)
    worked = np.zeros((len(out), WEEK), dtype=bool)
    worked[who[who >= 0], slot[who >= 0]] = True
    out["worked"] = [tuple(w) for w in worked.tolist()]
    return out
