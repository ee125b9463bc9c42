"""Bad CRM input: :class:`CrmError`, naming the file, the row and the column at fault.

Rows are counted as a spreadsheet user counts data: ``row 1`` is the first
row under the header.  For a CSV or XLSX file the message also gives the
spreadsheet's own row number (``spreadsheet row 2`` for data row 1, the
header being spreadsheet row 1), so the cell can be found either way.
The command line prints a ``CrmError`` and exits with status 2, without a
traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

from simsales.scenario.checks import did_you_mean

__all__ = ["CrmError", "did_you_mean", "shown"]


class CrmError(ValueError):
    """A CRM export the reader cannot use, and why.

    ``str()`` reads ``"leads.csv, row 12 (spreadsheet row 13), column
    created_at: expected a timestamp like 2026-07-01T09:30:00+03:00, got
    '31/02/2026'"``.

    Attributes:
        file: the file at fault (its name, or a path when it helps), or the
            folder when the fault is a missing file.
        row: the 1-based data row (the header not counted), or None.
        column: the column at fault, as the file names it ("" if none).
        message: what was expected, what was found and, where a guess is
            possible, what was probably meant.
        spreadsheet_row: the row as a spreadsheet shows it (``row + 1`` under
            a header), or None for a file without one (Parquet).
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str = "",
        spreadsheet_row: int | None = None,
    ) -> None:
        self.file = str(file)
        self.row = None if row is None else int(row)
        self.column = column
        self.message = message
        self.spreadsheet_row = None if spreadsheet_row is None else int(spreadsheet_row)
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            sheet = f" (spreadsheet row {self.spreadsheet_row})" if self.spreadsheet_row else ""
            parts.append(f"row {self.row}{sheet}")
        if self.column:
            parts.append(f"column {self.column}")
        return f"{', '.join(parts)}: {self.message}"

    def __reduce__(self):  # picklable across worker processes
        return (_rebuild, (self.file, self.message, self.row, self.column, self.spreadsheet_row))


def _rebuild(file: str, message: str, row: int | None, column: str, sheet: int | None) -> CrmError:
    return CrmError(file, message, row=row, column=column, spreadsheet_row=sheet)


def shown(value: object) -> str:
    """A value for a message: its repr, cut to 60 characters."""
    text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= 60 else text[:57] + "..."


def choices(known: Sequence[str]) -> str:
    """``"open, won or lost"``."""
    items = [str(k) for k in known]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
