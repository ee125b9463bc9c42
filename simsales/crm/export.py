"""An export in memory: :class:`Export`, the schema's tables typed and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simsales.crm.schema import TABLES

TIME_UNIT = "ns"
"""The resolution of every ``time`` column (``datetime64[ns, tz]``)."""


def nanoseconds(stamps: pd.Series) -> np.ndarray:
    """A ``time`` column as int64 nanoseconds since 1970-01-01 UTC (NaT as the smallest int64)."""
    return stamps.dt.as_unit(TIME_UNIT).array.asi8


@dataclass(eq=False)
class Export:
    """One CRM export, read and checked (:func:`simsales.crm.read.read_export` makes it).

    Every table has the schema's columns (:data:`simsales.crm.schema.TABLES`)
    in the schema's order, an optional column the file lacked filled with
    missing values.  ids are text; ``time`` columns are tz-aware
    ``datetime64[ns, tz]`` in :attr:`tz`; ``date`` columns naive
    ``datetime64[ns]`` at midnight; ``clock`` columns ``"HH:MM"`` text;
    ``bool`` columns ``bool`` (``"boolean"``, which allows a missing value,
    for an optional column); ``float`` columns ``float64``; ``choice`` and
    ``str`` columns text.  ``stages`` has one more column, ``implied``:
    true for an entry the reader added because a later stage implies it
    (:func:`simsales.crm.schema.implied`).

    Attributes:
        leads: one row per lead.
        stages: one row per stage entry (the first entry per lead and stage),
            implied entries included.
        calls: one row per call attempt or message.
        staff: one row per person.
        payments: one row per payment, or None if the export has none.
        shifts: one row per shift worked, or None if the export has none.
        tz: the IANA time zone the timestamps are in.
        folder: the folder read, or None for an export made in memory.
        notes: what the reader assumed or left out, one sentence each.
    """

    leads: pd.DataFrame
    stages: pd.DataFrame
    calls: pd.DataFrame
    staff: pd.DataFrame
    payments: pd.DataFrame | None
    shifts: pd.DataFrame | None
    tz: str
    folder: Path | None = None
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by name, in the schema's order."""
        out = {name: getattr(self, name) for name in TABLES}
        return {name: frame for name, frame in out.items() if frame is not None}

    def counts(self) -> dict[str, int]:
        """Rows per table present (``stages`` with its implied entries)."""
        return {name: len(frame) for name, frame in self.tables().items()}

    def same_as(self, other: Export) -> bool:
        """Whether both exports hold the same tables, values and time zone (notes and folder aside)."""
        if self.tz != other.tz or self.tables().keys() != other.tables().keys():
            return False
        mine, theirs = self.tables(), other.tables()
        return all(
            mine[name].reset_index(drop=True).equals(theirs[name].reset_index(drop=True)) for name in mine
        )
