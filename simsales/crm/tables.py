"""One raw table to one typed table of the schema: renaming, missing and extra columns, value maps, types."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.crm.errors import CrmError, did_you_mean
from simsales.crm.export import TIME_UNIT
from simsales.crm.files import RawTable
from simsales.crm.mapping import Mapping
from simsales.crm.schema import Column, Table
from simsales.crm.types import Typer


def renamed(raw: RawTable, renames: dict[str, str], known: tuple[str, ...]) -> RawTable:
    """``raw`` with its columns renamed by ``renames`` (file name -> schema name).

    Raises:
        CrmError: a rename names a column the file lacks (with a "did you
            mean"), or two columns end up with one name.
    """
    if not renames:
        return raw
    columns = list(raw.frame.columns)
    for source in renames:
        if source not in columns:
            target = renames[source]
            if target in columns:  # already named as the schema names it: nothing to do
                continue
            raise CrmError(
                raw.file,
                f"the mapping renames the column {source!r} to {target!r}, but the file "
                f"has no column {source!r}{did_you_mean(source, columns)}",
                column=source,
            )
    mapping = {s: t for s, t in renames.items() if s in columns}
    targets = [mapping.get(c, c) for c in columns]
    for target in set(targets):
        clash = [c for c, t in zip(columns, targets, strict=True) if t == target]
        if len(clash) > 1:
            raise CrmError(
                raw.file,
                f"two columns would be called {target!r}: {' and '.join(map(repr, clash))}; "
                "drop one or map only one",
                column=target,
            )
    frame = raw.frame.rename(columns=mapping)
    sources = {**raw.sources, **{t: raw.sources.get(s, s) for s, t in mapping.items()}}
    return RawTable(raw.name, frame, raw.file, raw.rows, raw.header, sources)


def typed_table(
    raw: RawTable, table: Table, mapping: Mapping, tz: str, notes: list[str]
) -> tuple[pd.DataFrame, RawTable]:
    """The schema's table ``table`` from its raw file.

    Args:
        raw: the file as read (column names as the file has them).
        table: the schema's table.
        mapping: the column renames and value maps.
        tz: the export's time zone.
        notes: where to say what was assumed or ignored.

    Returns:
        The typed table (the schema's columns, in order) and the raw table
        row for row (rows a value map drops are dropped from both).

    Raises:
        CrmError: a required column is missing, or a cell cannot be typed.
    """
    raw = _without_empty_rows(renamed(raw, mapping.columns.get(table.name, {}), table.names), notes)
    present = set(raw.frame.columns)
    unknown = [c for c in raw.frame.columns if c not in table.names]
    for column in table.columns:
        if column.required and column.name not in present:
            hint = did_you_mean(column.name, unknown)
            raise CrmError(
                raw.file,
                f"no column {column.name!r} ({column.doc or column.kind}){hint}; name a "
                f"column {column.name!r} in the file, or map it in a mapping file: columns: "
                f"{{{table.name}: {{YOUR NAME: {column.name}}}}}",
                column=column.name,
            )
    if unknown:
        said = [c or "a column without a name (a separator at the end of the header?)" for c in unknown]
        notes.append(f"{raw.file}: column(s) not in the schema, ignored: {', '.join(said)}.")
    raw = _drop_unmapped(raw, table, mapping, notes)
    typer = Typer(raw, tz, notes)
    out = {}
    for column in table.columns:
        if column.name in present:
            out[column.name] = typer.column(column, mapping.values_for(table.name, column.name))
        else:
            out[column.name] = empty_column(column, len(raw.frame), tz)
    return pd.DataFrame(out), raw


def _without_empty_rows(raw: RawTable, notes: list[str]) -> RawTable:
    """Leave out rows with no value at all, and say so.

    A spreadsheet saves rows once touched and emptied as ``,,,,``; the
    readers already read an empty cell (or one of spaces) as missing.
    """
    frame = raw.frame
    if not len(frame.columns):
        return raw
    empty = frame.isna().all(axis=1).to_numpy()
    if not empty.any():
        return raw
    first = raw.row(int(np.flatnonzero(empty)[0]))
    notes.append(f"{raw.file}: {int(empty.sum()):,} empty row(s) left out (the first is row {first}).")
    return raw.subset(~empty)


def _drop_unmapped(raw: RawTable, table: Table, mapping: Mapping, notes: list[str]) -> RawTable:
    """Drop the rows whose choice value the mapping sends to null (``Неразобранное: null``)."""
    keep = np.ones(len(raw.frame), bool)
    for column in table.columns:
        values = mapping.values_for(table.name, column.name)
        dropped = {k.casefold().strip() for k, v in values.items() if v is None}
        if column.kind != "choice" or not dropped or column.name not in raw.frame.columns:
            continue
        folded = raw.frame[column.name].astype("str").str.strip().str.casefold()
        hit = folded.isin(dropped).to_numpy()
        if "*" in dropped:  # every value the mapping does not name is dropped
            named = {k.casefold().strip() for k in values} | set(column.values)
            hit |= (~folded.isin(named) & folded.notna()).to_numpy()
        if hit.any():
            notes.append(
                f"{raw.file}: {int(hit.sum()):,} row(s) whose {column.name} the mapping sends to "
                f"null were left out."
            )
        keep &= ~hit
    return raw if keep.all() else raw.subset(keep)


def empty_column(column: Column, length: int, tz: str) -> pd.Series:
    """A column of missing values of ``column``'s dtype (an optional column the file lacks)."""
    if column.kind == "time":
        return pd.Series(pd.NaT, index=range(length), dtype=f"datetime64[{TIME_UNIT}, {tz}]")
    if column.kind == "date":
        return pd.Series(pd.NaT, index=range(length), dtype=f"datetime64[{TIME_UNIT}]")
    if column.kind == "float":
        return pd.Series(np.nan, index=range(length), dtype="float64")
    if column.kind == "bool":
        return pd.Series(pd.NA, index=range(length), dtype="boolean")
    if column.kind == "choice" and column.name == "kind" and "call" in column.values:
        return pd.Series("call", index=range(length), dtype="str")
    return pd.Series(None, index=range(length), dtype="str")
