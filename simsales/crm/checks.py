"""Checks across tables: unique ids, rows that name a lead, times in order, people in the staff list.

The rules (README, "Bad input"):

- a ``lead_id`` twice in leads, or a ``manager_id`` twice in staff: error;
- a row of stages, calls or payments naming a lead not in leads: left out,
  with a note (an export cut by date often holds calls of older leads); if
  no row of such a table names a known lead, error (the ids differ);
- a call, stage entry or payment more than :data:`EARLY` before its lead
  was created: error (within it: kept, with a note; a CRM often creates
  the lead a moment after the call that brought it);
- ``left_at`` before ``hired_at``, ``refunded_at`` before ``paid_at``, a
  ``refund_amount`` above the ``amount``: error;
- a ``manager_id`` of leads, calls or shifts not in staff: a note (the staff
  list may miss people who left long ago); if no manager id of calls is in
  staff, error (the tables use different ids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simsales.crm.export import nanoseconds
from simsales.crm.files import RawTable
from simsales.crm.schema import ROW_NOUNS

EARLY = pd.Timedelta(minutes=10)
"""How long before its lead's creation a call, stage entry or payment may be (clock skew), 10 minutes."""

_WHEN = {"stages": "entered_at", "calls": "started_at", "payments": "paid_at"}


def check_export(
    frames: dict[str, pd.DataFrame | None], raws: dict[str, RawTable], notes: list[str]
) -> dict[str, np.ndarray]:
    """Check the typed tables against each other; drop rows naming unknown leads.

    Args:
        frames: the typed tables by name (None for an absent optional one);
            tables naming unknown leads are replaced by their known rows.
        raws: the raw tables row for row, to point at a file's row.
        notes: where to say what was left out.

    Returns:
        Per table with a ``lead_id`` (stages, calls, payments), each row's
        position in the leads table.

    Raises:
        CrmError: at the first row breaking a rule of this module's list.
    """
    leads, staff = frames["leads"], frames["staff"]
    _unique(leads, raws["leads"], "lead_id", "lead")
    _unique(staff, raws["staff"], "manager_id", "person")
    _ordered(staff, raws["staff"], "hired_at", "left_at", "left before they were hired")
    lead_ids = pa.array(leads["lead_id"], type=pa.string())
    positions: dict[str, np.ndarray] = {}
    for name in ("stages", "calls", "payments"):
        frame = frames.get(name)
        if frame is None:
            continue
        position = pc.index_in(pa.array(frame["lead_id"], type=pa.string()), value_set=lead_ids)
        position = position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        unknown = position < 0
        if unknown.any():
            raw = raws[name]
            first = int(np.flatnonzero(unknown)[0])
            if unknown.all() and len(leads):
                raise raw.error(
                    first,
                    "lead_id",
                    f"no row names a lead of {raws['leads'].file} (this one "
                    f"names {frame['lead_id'].iloc[first]!r}); do the tables use different ids?",
                )
            notes.append(
                f"{raw.file}: {int(unknown.sum()):,} row(s) name a lead not in "
                f"{raws['leads'].file} (first: row {raw.row(first)}, "
                f"{frame['lead_id'].iloc[first]!r}); left out."
            )
            keep = ~unknown
            frame, position = frame[keep].reset_index(drop=True), position[keep]
            raws[name] = raw.subset(keep)
            frames[name] = frame
        _after_creation(frame, position, leads, raws, name, notes)
        positions[name] = position
    if frames.get("payments") is not None:
        payments, raw = frames["payments"], raws["payments"]
        _ordered(payments, raw, "paid_at", "refunded_at", "was refunded before it was paid")
        over = (payments["refund_amount"] > payments["amount"]).to_numpy()
        if over.any():
            raise raw.error(
                int(np.flatnonzero(over)[0]),
                "refund_amount",
                "expected a refund no larger than the amount paid",
            )
    _in_staff(frames, raws, notes)
    return positions


def _unique(frame: pd.DataFrame, raw: RawTable, column: str, what: str) -> None:
    twice = frame[column].duplicated().to_numpy()
    if twice.any():
        second = int(np.flatnonzero(twice)[0])
        value = frame[column].iloc[second]
        first = int(np.flatnonzero((frame[column] == value).to_numpy())[0])
        raise raw.error(
            second,
            column,
            f"{column} {value!r} appears twice (also at row {raw.row(first)}); expected one row per {what}",
        )


def _ordered(frame: pd.DataFrame, raw: RawTable, before: str, after: str, message: str) -> None:
    wrong = (frame[after] < frame[before]).to_numpy()
    if wrong.any():
        at = int(np.flatnonzero(wrong)[0])
        raise raw.error(
            at,
            after,
            f"{frame[after].iloc[at]} is before {before} {frame[before].iloc[at]}: "
            f"it {message}; expected {after} on or after {before}",
        )


def _after_creation(
    frame: pd.DataFrame,
    position: np.ndarray,
    leads: pd.DataFrame,
    raws: dict[str, RawTable],
    name: str,
    notes: list[str],
) -> None:
    when = _WHEN[name]
    gap = nanoseconds(leads["created_at"])[position] - nanoseconds(frame[when])  # > 0: before the lead
    early = gap > EARLY.value
    if early.any():
        at = int(np.flatnonzero(early)[0])
        lead_row = raws["leads"].row(int(position[at]))
        hours = gap[at] / 3.6e12
        hint = (
            f"; {hours:.0f} hours exactly: are the timestamps of one file in another time zone?"
            if abs(hours - round(hours)) < 1e-9 and round(hours) <= 14
            else ""
        )
        raise raws[name].error(
            at,
            when,
            f"this {ROW_NOUNS[name][0]} ({frame[when].iloc[at]}) is before its lead "
            f"{frame['lead_id'].iloc[at]!r} was created ({leads['created_at'].iloc[position[at]]}, "
            f"{raws['leads'].file} row {lead_row}){hint}",
        )
    slightly = gap > 0
    if slightly.any():
        notes.append(
            f"{raws[name].file}: {int(slightly.sum()):,} {ROW_NOUNS[name][int(slightly.sum()) != 1]} up to "
            f"{EARLY.seconds // 60} minutes before their lead was created; kept as they are."
        )


def _in_staff(frames: dict[str, pd.DataFrame | None], raws: dict[str, RawTable], notes: list[str]) -> None:
    staff = frames["staff"]
    known = pd.Index(staff["manager_id"])
    for name in ("calls", "leads", "shifts"):
        frame = frames.get(name)
        if frame is None or not len(frame):
            continue
        ids = frame["manager_id"]
        missing = (~ids.isin(known) & ids.notna()).to_numpy()
        if not missing.any():
            continue
        first = int(np.flatnonzero(missing)[0])
        if name == "calls" and missing.all() and len(staff):
            raise raws[name].error(
                first,
                "manager_id",
                f"no call names a person of {raws['staff'].file} "
                f"(this one names {ids.iloc[first]!r}); do the tables use different ids?",
            )
        strangers = pd.unique(ids[missing])
        shown_ids = ", ".join(map(repr, strangers[:3])) + (" ..." if len(strangers) > 3 else "")
        notes.append(
            f"{raws[name].file}: {int(missing.sum()):,} row(s) name {len(strangers)} manager(s) not "
            f"in {raws['staff'].file} ({shown_ids}; first at row {raws[name].row(first)})."
        )
    leads_of = staff["team_lead_id"]
    strangers = leads_of.notna() & ~leads_of.isin(known)
    if strangers.any():
        notes.append(
            f"{raws['staff'].file}: {int(strangers.sum()):,} person(s) name a team lead not in the "
            "staff list."
        )
