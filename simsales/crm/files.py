"""Finding an export's files and reading each into a table of raw values (:class:`RawTable`).

A table is one file in the folder whose stem is the table's name (case
ignored): ``leads.csv``, ``Leads.xlsx`` or ``leads.parquet``.  Two files
for one table (``leads.csv`` and ``leads.xlsx``) are an error: the reader
would have to guess which is current.  CSV files may be UTF-8 (with or
without a byte-order mark) or Windows-1251, separated by commas,
semicolons or tabs (the header line decides); every CSV value is read as
text and typed later (:mod:`simsales.crm.types`), so an id such as
``007`` keeps its zeros.  XLSX files are read from their first sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simsales.crm.errors import CrmError

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet"}
"""The file suffixes read, and their format."""


@dataclass
class RawTable:
    """One table as read, before typing, with what a message needs to point at a cell.

    Attributes:
        name: the table's name in the schema (or a preset's source table).
        frame: the values; CSV and XLSX values as text (missing as NA),
            Parquet values as stored.
        file: the file's name, for messages.
        rows: per row of ``frame``, its 1-based data row in ``file``; None
            when row i of ``frame`` is data row i + 1.
        header: whether the file has a header row (a spreadsheet shows data
            row r as its row r + 1).
        sources: the schema's column name -> the file's, where they differ.
    """

    name: str
    frame: pd.DataFrame
    file: str
    rows: np.ndarray | None = None
    header: bool = True
    sources: dict[str, str] = field(default_factory=dict)

    def row(self, position: int) -> int:
        """The 1-based data row in the file of the row at ``position`` in :attr:`frame`."""
        return int(self.rows[position]) if self.rows is not None else int(position) + 1

    def label(self, column: str) -> str:
        """The column as the file names it, with the schema's name where they differ."""
        source = self.sources.get(column)
        return f"{source} ({column})" if source and source != column else column

    def error(self, position: int | None, column: str, message: str) -> CrmError:
        """A CrmError at the row at ``position`` (None: no row) and ``column`` ("" for none)."""
        if position is None:
            return CrmError(self.file, message, column=self.label(column) if column else "")
        row = self.row(position)
        return CrmError(
            self.file,
            message,
            row=row,
            column=self.label(column) if column else "",
            spreadsheet_row=row + 1 if self.header else None,
        )

    def subset(self, keep: np.ndarray) -> RawTable:
        """The rows where ``keep`` (a boolean array) is true, their file rows kept."""
        rows = np.arange(1, len(self.frame) + 1) if self.rows is None else self.rows
        return RawTable(
            self.name,
            self.frame[keep].reset_index(drop=True),
            self.file,
            rows[keep],
            self.header,
            self.sources,
        )


def table_files(folder: Path) -> dict[str, Path]:
    """The table files in ``folder``, by lower-cased stem.

    Raises:
        CrmError: the folder is missing, or two files hold one table.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CrmError(str(folder), "no such folder (expected a folder of tables: leads.csv, stages.csv ...)")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FORMATS or path.name.startswith((".", "~$")) or not path.is_file():
            continue
        stem = path.stem.lower()
        if stem in found:
            raise CrmError(
                str(folder),
                f"two files for the table {stem!r}: {found[stem].name} and "
                f"{path.name}; keep one (the reader cannot tell which is current)",
            )
        found[stem] = path
    return found


def read_raw(path: Path, name: str, types: dict[str, pa.DataType] | None = None) -> RawTable:
    """Read one table file as it is (no renaming; typing only where it cannot fail silently).

    Args:
        path: the file (``.csv``, ``.xlsx`` or ``.parquet``).
        name: the table it holds.
        types: for a CSV, the pyarrow type to try per column (timestamps
            with their offset, numbers, true/false): the fast path for big
            files.  If any cell does not parse, the file is read again as
            text and typed (and its bad cell found) column by column.

    Returns:
        Its raw table.

    Raises:
        CrmError: the file is empty, is not a table of its format, or has
            a row with the wrong number of cells or two columns of one name.
    """
    kind = FORMATS[path.suffix.lower()]
    if path.stat().st_size == 0:
        raise CrmError(path.name, f"the file is empty (expected a {kind.upper()} table with a header row)")
    frame = (
        _read_csv(path, types or {})
        if kind == "csv"
        else (_read_xlsx if kind == "xlsx" else _read_parquet)(path)
    )
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    seen: set[str] = set()
    for column in frame.columns:
        if column in seen:
            raise CrmError(path.name, f"two columns are called {column!r}; rename or drop one", column=column)
        seen.add(column)
    return RawTable(name, frame, path.name, header=kind != "parquet")


def _read_csv(path: Path, types: dict[str, pa.DataType]) -> pd.DataFrame:
    head = path.open("rb").read(65536)
    if b"\x00" in head:
        raise CrmError(
            path.name,
            "not a CSV table: the file holds binary data (is it a workbook or an "
            "archive renamed .csv? save it as CSV, or name it .xlsx/.parquet)",
        )
    encoding = "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the 64 KiB limit
            encoding = "cp1251"
    text_head = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    lines = text_head.splitlines()
    first = lines[0] if lines else ""
    if not first.strip():
        raise CrmError(path.name, "no header row (expected the column names on the first line)", row=None)
    delimiter = max(",;\t", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    names = [h.strip() for h in header]
    typed = {n: types[n] for n in names if n in types}
    for column_types in ([typed] if typed else []) + [{}]:
        try:
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(
                    encoding=encoding, column_names=names, skip_rows=1, block_size=1 << 24
                ),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: column_types.get(n, pa.string()) for n in names},
                    strings_can_be_null=True,
                    null_values=[""],
                    quoted_strings_can_be_null=True,
                    true_values=["true", "True", "TRUE"],
                    false_values=["false", "False", "FALSE"],
                ),
            )
            return table.to_pandas()
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if column_types:
                continue  # a cell the fast path cannot type: read as text, type column by column
            raise _csv_problem(path, encoding, delimiter, len(names), exc) from None
    raise AssertionError("unreachable")


def _csv_problem(path: Path, encoding: str, delimiter: str, width: int, exc: Exception) -> CrmError:
    """The first row pyarrow could not read, found again by Python's csv module (the slow path)."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        rows = csv.reader(handle, delimiter=delimiter)
        next(rows, None)
        for number, cells in enumerate(rows, start=1):
            if cells and len(cells) != width:
                return CrmError(
                    path.name,
                    f"expected {width} cells (one per header column), got "
                    f"{len(cells)}; is a value with a {delimiter!r} missing its quotes?",
                    row=number,
                    spreadsheet_row=number + 1,
                )
    return CrmError(path.name, f"not a readable CSV table ({exc})")


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CrmError(
            path.name,
            f"not an XLSX workbook ({type(exc).__name__}: {exc}); save it from the "
            "spreadsheet as .xlsx or as CSV",
        ) from None
    out = pd.DataFrame(
        {c: pd.array([_cell_text(v) for v in frame[c]], dtype="str") for c in frame.columns},
        index=frame.index,
    )
    return out.reset_index(drop=True)


def _cell_text(value: object) -> str | None:
    """An XLSX cell as the text a CSV would hold (an integral number without ``.0``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    text = str(value).strip()
    return text or None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CrmError(path.name, f"not a Parquet table ({exc})") from None
    return table.to_pandas(date_as_object=False, ignore_metadata=True)
