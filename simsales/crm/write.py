"""Writing an export: :func:`write_export`, the schema's tables as CSV or Parquet, atomically.

Each table is written to a hidden temporary file in the target folder and
renamed into place (``os.replace``), so a reader never sees half a table.
(``simsales.report.files.atomic_write`` does the same one layer down the
pipeline; crm/ cannot import it.)  Stage entries the reader added as
implied (``implied`` true) are not written: the folder holds what was
observed, and reading it adds them again.  CSV timestamps are ISO 8601
with their offset (``2026-07-01T09:30:00+03:00``, fractions of a second
to the microsecond where there are any); dates ``YYYY-MM-DD``; bools
``true``/``false``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simsales.crm.errors import CrmError
from simsales.crm.export import Export
from simsales.crm.schema import TABLES

FORMATS = ("csv", "parquet")


def write_export(export: Export, folder: Path, *, format: str = "csv",
                 atomic: Callable[[Path, Callable[[Path], None]], object] | None = None) -> list[Path]:
    """Write ``export``'s tables into ``folder`` (created if missing), one file per table.

    Args:
        export: the tables.
        folder: where to write them.
        format: ``csv`` (default) or ``parquet``.
        atomic: writes one file given its path and a function that writes a
            temporary path (None: a temporary file renamed into place); the
            command line passes :func:`simsales.report.files.atomic_write`,
            to rename the tables into place together.

    Returns:
        The files written, in the schema's table order.

    Raises:
        CrmError: an unknown format.
    """
    if format not in FORMATS:
        raise CrmError("--format", f"unknown format {format!r}; expected csv or parquet")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic = atomic or _write_atomically
    written = []
    for name, frame in export.tables().items():
        table = _arrow(_schema_rows(name, frame), name, format)
        path = folder / f"{name}.{format}"
        if format == "csv":
            _atomic(
                path,
                lambda tmp, table=table: pacsv.write_csv(
                    table, tmp, pacsv.WriteOptions(quoting_style="needed")
                ),
            )
        else:
            _atomic(path, lambda tmp, table=table: pq.write_table(table, tmp))
        written.append(path)
    return written


def _schema_rows(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The schema's columns of ``frame`` (observed stage entries only)."""
    if name == "stages" and "implied" in frame.columns:
        frame = frame[~frame["implied"].to_numpy(bool)]
    return frame[list(TABLES[name].names)].reset_index(drop=True)


def _arrow(frame: pd.DataFrame, name: str, format: str) -> pa.Table:
    """The table for pyarrow's writers; for CSV every column already as its text."""
    if format == "parquet":
        return pa.Table.from_pandas(frame, preserve_index=False)
    columns = {}
    for column in TABLES[name].columns:
        values = frame[column.name]
        if column.kind == "time":
            columns[column.name] = _iso(values)
        elif column.kind == "date":
            columns[column.name] = pa.array(
                values.dt.strftime("%Y-%m-%d").where(values.notna(), None), type=pa.string()
            )
        elif column.kind == "bool":
            columns[column.name] = pa.array(
                values.map({True: "true", False: "false"}, na_action="ignore")
                .astype(object)
                .where(values.notna(), None),
                type=pa.string(),
            )
        elif column.kind == "float":
            columns[column.name] = pa.array(
                values.to_numpy(float), type=pa.float64(), mask=values.isna().to_numpy()
            )
        else:
            columns[column.name] = pa.array(
                values.astype(object).where(values.notna(), None), type=pa.string()
            )
    return pa.table(columns)


def _iso(values: pd.Series) -> pa.Array:
    """ISO 8601 with the offset; seconds, or microseconds where any value has a fraction of a second."""
    whole = (values.dropna().dt.as_unit("ns").array.asi8 % 1_000_000_000 == 0).all()
    unit = "s" if whole else "us"
    array = pa.array(values.dt.as_unit(unit))
    return pc.strftime(array, format="%Y-%m-%dT%H:%M:%S%Ez")


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a hidden temporary file in its folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


__all__ = ["FORMATS", "write_export"]
