"""Typing one column of a raw table by its schema kind, vectorised, with the first bad cell named.

Every conversion works on the whole column at once (pandas, pyarrow);
only a column's distinct values of a ``choice`` or ``bool`` column are
looked at one by one.  A failed conversion finds the first offending row
and raises a :class:`~simsales.crm.errors.CrmError` there.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simsales.crm.errors import CrmError, choices, did_you_mean, shown
from simsales.crm.export import TIME_UNIT, nanoseconds
from simsales.crm.files import RawTable
from simsales.crm.schema import Column
from simsales.scenario.dates import spreadsheet_moment

TRUE = ("true", "t", "yes", "y", "1", "да", "д", "истина")
FALSE = ("false", "f", "no", "n", "0", "нет", "н", "ложь")
"""The spellings of true and false a ``bool`` column accepts (case ignored)."""

TIME_EXAMPLE = "2026-07-01T09:30:00+03:00"
_OFFSET = r"[T ]\d{1,2}(?::\d\d){0,2}(?:[.,]\d+)?\s*(?:Z|z|[+-]\d\d(?::?\d\d)?)$"
"""A time of day followed by a zone: ``...T09:30:00+03:00``, ``... 09:30Z`` (not the ``-10`` of a date)."""
_DAY_FIRST = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


class Typer:
    """Types the columns of one raw table.

    Args:
        raw: the table as read.
        tz: the export's time zone.
        notes: where to say what was assumed.
    """

    def __init__(self, raw: RawTable, tz: str, notes: list[str]) -> None:
        self.raw, self.tz, self.notes = raw, tz, notes

    def column(self, column: Column, values: dict[str, object] | None = None) -> pd.Series:
        """The column ``column.name`` of the raw table, typed by ``column.kind``.

        Args:
            column: the schema's column (its kind, its allowed values).
            values: the mapping's value map for it (keys folded to lower case).

        Returns:
            The typed column (see :class:`~simsales.crm.export.Export` for the dtypes).

        Raises:
            CrmError: at the first cell that is empty where a value is
                required, or that is not of the column's kind.
        """
        series = self.raw.frame[column.name].reset_index(drop=True)
        convert = getattr(self, f"_{column.kind}")
        if column.kind in ("bool", "choice"):
            return convert(series, column, values or {})
        return convert(series, column)

    # -- helpers -------------------------------------------------------------------------------------

    def fail(self, series: pd.Series, bad: np.ndarray, column: Column, expected: str, hint=None) -> CrmError:
        """The error at the first row where ``bad`` is true."""
        position = int(np.flatnonzero(bad)[0])
        value = series.iloc[position]
        if _missing(value):
            return self.raw.error(position, column.name, f"expected {expected}, got an empty cell")
        extra = hint(value) if hint else ""
        return self.raw.error(position, column.name, f"expected {expected}, got {shown(value)}{extra}")

    def _required(self, series: pd.Series, column: Column, expected: str) -> None:
        if column.required:
            empty = series.isna().to_numpy()
            if empty.any():
                raise self.fail(series, empty, column, expected)

    def _text(self, series: pd.Series) -> pd.Series:
        """Text with spaces around it removed and empty cells missing."""
        text = series.astype("str").str.strip()
        return text.where(text != "", None).astype("str")

    # -- kinds ---------------------------------------------------------------------------------------

    def _id(self, series: pd.Series, column: Column) -> pd.Series:
        if pd.api.types.is_float_dtype(series.dtype):
            whole = series.dropna()
            if (whole == np.floor(whole)).all():
                series = series.astype("Int64")
        text = self._text(series) if not pd.api.types.is_integer_dtype(series.dtype) else series.astype("str")
        self._required(text, column, "an identifier")
        return text

    def _str(self, series: pd.Series, column: Column) -> pd.Series:
        text = self._text(series)
        if column.name == "channel":
            empty = text.isna()
            if empty.any():
                self.notes.append(
                    f"{self.raw.file}: {int(empty.sum()):,} lead(s) without a channel "
                    f"(first at row {self.raw.row(int(np.flatnonzero(empty)[0]))}) "
                    "were put in the channel 'unknown'."
                )
                text = text.fillna("unknown")
            return text
        self._required(text, column, "a value")
        return text

    def _float(self, series: pd.Series, column: Column) -> pd.Series:
        expected = "a number (a dot or a comma before the decimals)"
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            out = series.astype("float64")
        else:
            text = self._text(series)
            try:  # the fast path: pyarrow parses plain numbers in C++
                out = pd.Series(
                    pc.cast(pa.array(text, type=pa.string()), pa.float64()).to_numpy(zero_copy_only=False),
                    index=text.index,
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                out = pd.to_numeric(text, errors="coerce").astype("float64")
            bad = (out.isna() & text.notna()).to_numpy()
            if bad.any():  # 1 234,50: spaces between thousands, a decimal comma
                cleaned = text.str.replace(r"[\s\u00a0']", "", regex=True).str.replace(",", ".", regex=False)
                out = pd.to_numeric(cleaned, errors="coerce").astype("float64")
                bad = (out.isna() & text.notna()).to_numpy()
                if bad.any():
                    raise self.fail(series, bad, column, expected)
        self._required(out, column, expected)
        negative = (out < 0).to_numpy()
        if negative.any():
            raise self.fail(
                series,
                negative,
                column,
                "a number >= 0",
                lambda v: " (a refund goes in refund_amount)" if column.name == "amount" else "",
            )
        if not np.isfinite(out.dropna().to_numpy()).all():
            raise self.fail(series, ~np.isfinite(out.fillna(0).to_numpy()), column, "a finite number")
        return out

    def _bool(self, series: pd.Series, column: Column, values: dict[str, object]) -> pd.Series:
        if pd.api.types.is_bool_dtype(series.dtype) and not values:
            out = series.astype("boolean")
        else:
            spelled = {
                **dict.fromkeys(TRUE, True),
                **dict.fromkeys(FALSE, False),
                **{k.casefold(): _as_bool(v) for k, v in values.items()},
            }
            codes, uniques = pd.factorize(series.astype("str"), use_na_sentinel=True)
            mapped = []
            other = values.get("*")
            for code, value in enumerate(str(u).strip().casefold() for u in uniques):
                if value not in spelled and other is not None:
                    spelled[value] = _as_bool(other)
                if value not in spelled:
                    bad = codes == code
                    raise self.fail(
                        series,
                        bad,
                        column,
                        "true or false (also yes/no, 1/0)",
                        lambda v: did_you_mean(str(v), [*list(values), "true", "false"]),
                    )
                mapped.append(spelled[value])
            table = np.array([*mapped, pd.NA], dtype=object)
            out = pd.Series(table[codes], dtype="boolean")
        self._required(out, column, "true or false")
        return out.astype(bool) if column.required else out

    def _choice(self, series: pd.Series, column: Column, values: dict[str, object]) -> pd.Series:
        folded = {k.casefold().strip(): v for k, v in values.items()}
        codes, uniques = pd.factorize(series.astype("str"), use_na_sentinel=True)
        mapped: list[object] = []
        for code, value in enumerate(str(u).strip() for u in uniques):
            key = value.casefold()
            if key in folded:
                target = folded[key]
                if target is not None and str(target) not in column.values:
                    raise self.raw.error(
                        int(np.flatnonzero(codes == code)[0]),
                        column.name,
                        f"the mapping sends {value!r} to {target!r}, which is not "
                        f"one of {choices(column.values)}",
                    )
                mapped.append(None if target is None else str(target))
            elif key in column.values:
                mapped.append(key)
            elif "*" in folded:  # the mapping's value for any other value
                mapped.append(None if folded["*"] is None else str(folded["*"]))
            else:
                known = list(column.values) + list(values)
                hint = did_you_mean(str(value), known) or (
                    f"; add it to the mapping file's values: {column.name}: {{{value!r}: ...}}"
                )
                raise self.fail(
                    series,
                    codes == code,
                    column,
                    f"one of {choices(column.values)}",
                    lambda v, hint=hint: hint,
                )
        table = np.array([*mapped, None], dtype=object)
        out = pd.Series(table[codes], dtype="str")
        if column.name == "kind" and "call" in column.values:  # an empty kind is a call
            out = out.fillna("call")
        if column.required:
            empty = codes == -1
            if empty.any():
                raise self.fail(series, empty, column, f"one of {choices(column.values)}")
        return out

    def _clock(self, series: pd.Series, column: Column) -> pd.Series:
        text = self._text(series)
        parts = text.str.extract(r"^(\d{1,2})[:.](\d{2})(?::\d{2})?$")
        hours = pd.to_numeric(parts[0], errors="coerce")
        minutes = pd.to_numeric(parts[1], errors="coerce")
        midnight = (hours == 24) & (minutes == 0)  # 24:00 ends a day: a shift's end, read as 00:00
        if column.name == "end":
            hours = hours.where(~midnight, 0)
        bad = (text.notna() & ~((hours < 24) & (minutes < 60))).to_numpy()
        if bad.any():
            raise self.fail(series, bad, column, "a clock time such as 09:00 (HH:MM)", _clock_hint)
        self._required(text, column, "a clock time such as 09:00 (HH:MM)")
        out = (
            hours.astype("Int64").astype("str").str.zfill(2)
            + ":"
            + minutes.astype("Int64").astype("str").str.zfill(2)
        )
        return out.where(text.notna(), None).astype("str")

    def _date(self, series: pd.Series, column: Column) -> pd.Series:
        stamps = self._stamps(series, column, "a date such as 2026-07-01", naive_note=False)
        days = stamps.dt.tz_localize(None).dt.normalize()
        if (days.notna() & (days != stamps.dt.tz_localize(None))).any():
            self.notes.append(
                f"{self.raw.file}: {self.raw.label(column.name)} holds times of day; only the date was kept."
            )
        return days.astype(f"datetime64[{TIME_UNIT}]")

    def _time(self, series: pd.Series, column: Column) -> pd.Series:
        return self._stamps(series, column, f"a timestamp like {TIME_EXAMPLE}", naive_note=True)

    def _stamps(self, series: pd.Series, column: Column, expected: str, naive_note: bool) -> pd.Series:
        """Timestamps in the export's zone; naive ones are read in it (and said so)."""
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out = series.dt.tz_convert(self.tz)
        elif pd.api.types.is_datetime64_dtype(series.dtype):
            out = self._localize(series, column, naive_note, len(series))
        elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            out = self._unix(series, series.astype("float64"), column, expected)
        else:
            out = self._parse(series, column, expected, naive_note)
        self._required(out, column, expected)
        return out.dt.as_unit(TIME_UNIT)

    def _parse(self, series: pd.Series, column: Column, expected: str, naive_note: bool) -> pd.Series:
        text = self._text(series)
        present = text.dropna()
        try:  # the fast path: every value with its offset (pyarrow parses ISO 8601 in C++)
            parsed = pc.cast(pa.array(present, type=pa.string()), pa.timestamp("ns", "UTC"))
            values = np.full(len(text), np.iinfo(np.int64).min, np.int64)  # NaT
            values[text.notna().to_numpy()] = parsed.cast(pa.int64()).to_numpy()
            return _from_nanoseconds(values, self.tz)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        if len(present) and present.str.fullmatch(r"\d{9,13}(\.\d+)?").all():
            return self._unix(series, pd.to_numeric(text, errors="coerce"), column, expected)
        aware = text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
        values = np.full(len(text), np.iinfo(np.int64).min, np.int64)  # NaT
        for mask, utc in ((aware, True), (~aware & text.notna(), False)):
            if not mask.any():
                continue
            part = text[mask]
            stamps = pd.to_datetime(part, format="ISO8601", utc=utc, errors="coerce")
            if stamps.isna().any():
                stamps = self._day_first(part, stamps, utc)
            bad = stamps.isna()
            if bad.any():
                where = np.zeros(len(text), bool)
                where[np.flatnonzero(mask.to_numpy())[bad.to_numpy()]] = True
                raise self.fail(
                    series,
                    where,
                    column,
                    f"{expected} (ISO 8601; without an offset it is read in {self.tz})",
                    _time_hint,
                )
            if not utc:
                stamps = self._localize(stamps, column, naive_note, int(mask.sum()))
            values[mask.to_numpy()] = nanoseconds(stamps)
        return _from_nanoseconds(values, self.tz)

    def _day_first(self, part: pd.Series, stamps: pd.Series, utc: bool) -> pd.Series:
        """``31.12.2026 10:00`` (day first, as Russian exports write it), where ISO 8601 failed."""
        for form in _DAY_FIRST:
            other = pd.to_datetime(part, format=form, utc=utc, errors="coerce")
            stamps = stamps.fillna(other) if len(stamps) else stamps
        return stamps

    def _localize(self, stamps: pd.Series, column: Column, naive_note: bool, count: int) -> pd.Series:
        if naive_note:
            self.notes.append(
                f"{self.raw.file}: {count:,} timestamp(s) in {self.raw.label(column.name)} "
                f"had no time zone; read as {self.tz} local time."
            )
        return stamps.dt.tz_localize(
            self.tz, ambiguous=np.ones(len(stamps), bool), nonexistent="shift_forward"
        )

    def _unix(self, series: pd.Series, numbers: pd.Series, column: Column, expected: str) -> pd.Series:
        """Unix time: seconds (10 digits) or milliseconds (13 digits) since 1970-01-01 UTC."""
        present = numbers.dropna()
        seconds = present.between(1e8, 1e10).all()
        millis = present.between(1e11, 1e13).all()
        if not (seconds or millis):
            bad = (numbers.notna() & ~numbers.between(1e8, 1e13)).to_numpy()
            raise self.fail(
                series,
                bad if bad.any() else numbers.notna().to_numpy(),
                column,
                f"{expected}, or Unix time in seconds or milliseconds (all alike)",
                _spreadsheet_hint,
            )
        unit = "s" if seconds else "ms"
        self.notes.append(f"{self.raw.file}: {self.raw.label(column.name)} read as Unix time in {unit}.")
        return pd.to_datetime(numbers, unit=unit, utc=True).dt.tz_convert(self.tz)


def _from_nanoseconds(values: np.ndarray, tz: str) -> pd.Series:
    """int64 nanoseconds since 1970-01-01 UTC (the smallest int64 for NaT) as a ``time`` column in ``tz``."""
    return pd.Series(
        pd.DatetimeIndex(values.view(f"datetime64[{TIME_UNIT}]")).tz_localize("UTC").tz_convert(tz)
    )


def _time_hint(value: object) -> str:
    text = str(value)
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}.*", text):
        return " (day and month first? write the year first: 2026-07-01 09:30)"
    return _spreadsheet_hint(value)


def _clock_hint(value: object) -> str:
    if re.fullmatch(r"\s*24[:.]00(?::00)?\s*", str(value)):
        return " (24:00 ends a day; a shift that starts at midnight starts at 00:00, on its own date's row)"
    return ""


def _spreadsheet_hint(value: object) -> str:
    """What a spreadsheet's day number (``45717``, ``46083.39``) stands for, as a guess (or ``""``)."""
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        return ""
    moment = spreadsheet_moment(number)
    if moment is None:
        return ""
    day = moment.time() == dt.time(0)
    said = moment.date().isoformat() if day else f"{moment:%Y-%m-%d %H:%M}"
    written = str(int(number)) if isinstance(value, float) and number.is_integer() else str(value).strip()
    return (f"; did you mean {said}? ({written} is how a spreadsheet numbers that "
            f"{'day' if day else 'moment'}: format the column as dates before saving the export)")


def _as_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CrmError("mapping", f"expected true or false for a bool column's value, got {value!r}")


def _missing(value: object) -> bool:
    return (
        value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
    )
