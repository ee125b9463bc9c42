"""Reading an export folder: :func:`read_export`.

The steps, in order: the mapping (a preset's, with the user's laid over
it), the files (:mod:`.files`; a preset reshapes its product's tables
first), each table typed (:mod:`.tables`, :mod:`.types`), the checks across
tables (:mod:`.checks`), the implied stage entries (:mod:`.stages`), and
the window (:mod:`.window`).  Whatever the reader assumes or leaves out is
one sentence in :attr:`Export.notes`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from simsales.crm.checks import check_export
from simsales.crm.errors import CrmError, did_you_mean
from simsales.crm.export import Export
from simsales.crm.files import RawTable, read_raw, table_files
from simsales.crm.mapping import Mapping, check_tz, load_mapping
from simsales.crm.presets import preset_mapping, reshape
from simsales.crm.schema import TABLES, Table
from simsales.crm.stages import with_implied
from simsales.crm.tables import typed_table
from simsales.crm.window import Moment, in_window

DEFAULT_TZ = "UTC"
"""The time zone of naive timestamps when neither ``tz`` nor the mapping gives one."""


def read_export(
    folder: Path,
    *,
    preset: str | None = None,
    mapping: Path | None = None,
    tz: str | None = None,
    since: Moment = None,
    until: Moment = None,
) -> Export:
    """Read and check a CRM export.

    Args:
        folder: the folder of tables (``leads.csv``, ``stages.parquet`` ...).
        preset: a CRM product whose export to reshape (``amocrm``, ``kommo``,
            ``bitrix24``, ``hubspot``), or None for the schema's own tables.
        mapping: a mapping file (column renames, value maps, time zone),
            laid over the preset's.
        tz: the export's time zone (IANA); overrides the mapping's; default UTC.
        since: keep the leads created from this date (or instant) on.
        until: keep the leads created up to this date (included) or instant (excluded).

    Returns:
        The export: every table typed and checked, implied stage entries
        added, timestamps in ``tz``.

    Raises:
        CrmError: naming the file, row and column at fault.
    """
    folder = Path(folder)
    notes: list[str] = []
    rules = preset_mapping(preset) if preset else Mapping()
    own = load_mapping(Path(mapping)) if mapping is not None else None
    if own is not None:
        rules = own.over(rules)
    zone = check_tz(tz, "--tz") if tz else (rules.tz or DEFAULT_TZ)
    raws = reshape(preset, folder, rules, notes) if preset else _plain(folder, rules, notes)
    if own is not None:  # a rename for a table the export lacks would be dropped without a word
        own.check_tables(list(TABLES), list(table_files(folder)), notes)
    frames: dict = {}
    typed: dict[str, RawTable] = {}
    for name, table in TABLES.items():
        raw = raws.get(name)
        if raw is None:
            frames[name] = None
            continue
        frames[name], typed[name] = typed_table(raw, table, rules, zone, notes)
    positions = check_export(frames, typed, notes)
    frames["stages"], positions["stages"] = with_implied(
        frames["stages"],
        positions["stages"],
        frames["payments"],
        positions.get("payments"),
        frames["leads"]["lead_id"].to_numpy(),
        zone,
        notes,
    )
    in_window(frames, positions, since, until, zone, notes)
    if not tz and not rules.tz and any("had no time zone" in n for n in notes):
        notes.append(f"no time zone was given (--tz, or tz: in a mapping file): {DEFAULT_TZ} was assumed.")
    return Export(
        frames["leads"],
        frames["stages"],
        frames["calls"],
        frames["staff"],
        frames["payments"],
        frames["shifts"],
        zone,
        folder,
        notes,
    )


def _fast_types(table: Table, rules: Mapping) -> dict[str, pa.DataType]:
    """The pyarrow type to try per column of ``table``'s CSV (by the file's column names)."""
    source = {target: name for name, target in rules.columns.get(table.name, {}).items()}
    out = {}
    for column in table.columns:
        if column.kind == "time":
            out[source.get(column.name, column.name)] = pa.timestamp("ns", "UTC")
        elif column.kind == "float":
            out[source.get(column.name, column.name)] = pa.float64()
        elif column.kind == "bool" and not rules.values_for(table.name, column.name):
            out[source.get(column.name, column.name)] = pa.bool_()
    return out


def _plain(folder: Path, rules: Mapping, notes: list[str]) -> dict[str, RawTable]:
    """The schema's own tables in ``folder``, as read."""
    files = table_files(folder)
    raws = {}
    for name, table in TABLES.items():
        path = files.get(name)
        if path is None:
            if table.required:
                raise CrmError(
                    str(folder),
                    f"no {name} table: expected {name}.csv, {name}.xlsx or "
                    f"{name}.parquet{did_you_mean(name, list(files))}",
                )
            continue
        raws[name] = read_raw(path, name, _fast_types(table, rules))
    extra = sorted(p.name for s, p in files.items() if s not in TABLES)
    if extra:
        notes.append(f"file(s) not read (no table of that name): {', '.join(extra)}.")
    return raws
