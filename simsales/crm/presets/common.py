"""What the presets share: a raw table built from a product's table, nested fields, the schema's own files."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.crm.errors import CrmError
from simsales.crm.files import RawTable, read_raw

OWN = ("staff", "payments", "shifts")
"""The tables a CRM's API does not hold: read as the schema's own files."""


def built(
    name: str,
    source: RawTable,
    columns: dict[str, pd.Series],
    keep: np.ndarray | None = None,
    origins: dict[str, str] | None = None,
) -> RawTable:
    """A raw table of the schema from columns computed on ``source``, row for row.

    Args:
        name: the schema's table.
        source: the product's table the columns come from (its file and rows
            are the ones messages name).
        columns: the schema's column name -> values, one per row of ``source``.
        keep: the rows of ``source`` to keep (None: all).
        origins: the schema's column -> the product's field it comes from.

    Returns:
        The raw table.
    """
    frame = pd.DataFrame(
        {k: pd.Series(v).reset_index(drop=True) for k, v in columns.items() if v is not None}
    )
    rows = np.arange(1, len(frame) + 1) if source.rows is None else source.rows
    raw = RawTable(
        name,
        frame,
        source.file,
        rows,
        source.header,
        {k: source.sources.get(v, v) for k, v in (origins or {}).items()},
    )
    return raw if keep is None else raw.subset(np.asarray(keep, bool))


def field(raw: RawTable, *names: str, required: bool = True) -> pd.Series | None:
    """The first of ``names`` the table has, as text; for ``a.b`` also a JSON column ``a`` holding ``b``.

    Raises:
        CrmError: ``required`` and none is there.
    """
    frame = raw.frame
    for name in names:
        if name in frame.columns:
            return frame[name].astype("str")
        head, _, tail = name.partition(".")
        if tail and head in frame.columns:  # the API's nested object kept as JSON text
            key = tail.split(".")[-1]
            return frame[head].astype("str").str.extract(rf'"{key}"\s*:\s*"?([^",}}\]]*)"?', expand=False)
    if required:
        raise CrmError(
            raw.file, f"no column {names[0]!r} (expected one of: {', '.join(names)})", column=names[0]
        )
    return None


def own_tables(sources, notes: list[str]) -> dict[str, RawTable]:
    """The schema's own staff, payments and shifts files of the folder (staff required)."""
    out = {}
    for name in OWN:
        if sources.has(name):
            out[name] = read_raw(sources.files[name], name)
        elif name == "staff":
            raise CrmError(
                str(sources.folder),
                "no staff table: a CRM's API has no hire and leave dates; "
                "add staff.csv (manager_id, team_lead_id, role, hired_at, left_at) with the "
                "CRM's user ids as manager_id",
            )
    return out


def assigned_at_creation(
    lead_ids: pd.Series, created: pd.Series, source: RawTable, origins: dict[str, str]
) -> RawTable:
    """An ``assigned`` stage entry per lead at its creation (the CRM gives a lead its owner then)."""
    return built(
        "stages",
        source,
        {"lead_id": lead_ids, "stage": pd.Series("assigned", index=lead_ids.index), "entered_at": created},
        origins=origins,
    )


def stacked(first: RawTable, second: RawTable) -> RawTable:
    """Two raw tables of one schema table, one under the other (messages name the first's file)."""
    frame = pd.concat([first.frame, second.frame], ignore_index=True)
    rows = np.concatenate(
        [
            first.rows if first.rows is not None else np.arange(1, len(first.frame) + 1),
            second.rows if second.rows is not None else np.arange(1, len(second.frame) + 1),
        ]
    )
    files = first.file if first.file == second.file else f"{first.file} / {second.file}"
    return RawTable(first.name, frame, files, rows, first.header, {**second.sources, **first.sources})
