"""A mapping file: how an export's own column names, values and time zone map to the schema.

::

    tz: Europe/Moscow                  # the export's time zone (IANA name)
    columns:                           # per table: name in the file -> name in the schema
      leads: {Deal ID: lead_id, Created: created_at}
    values:                            # per column (or table.column): value in the file -> schema value
      stage: {"Оплачено": won, "Неразобранное": null}   # null: drop the row (stages only)
      answered: {"4": true, "6": false}
    options: {}                        # settings of a preset (see its YAML)

A ``--preset`` ships one of these (``simsales/crm/presets/<name>.yaml``);
a user's own ``--mapping`` is laid over it, key by key.  Value matching
ignores case and surrounding spaces.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simsales.crm.errors import CrmError, choices, did_you_mean
from simsales.crm.schema import TABLES, Column
from simsales.crm.types import FALSE, TRUE
from simsales.scenario.yaml_loader import load_yaml, repeated_keys

KEYS = ("tz", "columns", "values", "options")



@dataclass
class Mapping:
    """A parsed mapping file (all parts optional).

    Attributes:
        columns: per table, the file's column name -> the schema's (or, for a
            preset's source tables, the product's field name).
        values: per column (``stage``) or table and column (``calls.kind``),
            the file's value -> the schema's; None drops the row.
        tz: the export's time zone, or None.
        options: a preset's settings.
        files: the mapping files read, for messages.
    """

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    tz: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    lines: dict[str, int | None] = field(default_factory=dict)

    def check_tables(self, tables: Sequence[str], found: Sequence[str], notes: list[str]) -> None:
        """Refuse a ``columns`` entry for a table neither in ``tables`` nor in the export; note one not there.

        Args:
            tables: the tables the renames may be for (the schema's, or a preset's sources too).
            found: the tables the export's folder holds.
            notes: where to say a rename found nothing to rename.

        Raises:
            CrmError: a table no export could hold, with a "did you mean".
        """
        name = Path(self.files[-1]).name if self.files else "mapping"
        for table in self.columns:
            if table in found:
                continue
            if table not in tables:
                known = sorted(set(tables) | set(found))
                raise CrmError(name, f"columns: no table is called {table!r}{did_you_mean(table, known)}; "
                                     f"the export's tables are {', '.join(sorted(found))}",
                               column=f"columns.{table}", row=self.lines.get(table))
            notes.append(f"{name}: columns renames columns of the table {table!r}, which the export does not "
                         "have; nothing was renamed there.")

    def over(self, base: Mapping) -> Mapping:
        """This mapping laid over ``base``: each key here replaces the same key there."""
        columns = {t: dict(m) for t, m in base.columns.items()}
        for table, renames in self.columns.items():
            columns.setdefault(table, {}).update(renames)
        values = {c: dict(m) for c, m in base.values.items()}
        for column, table in self.values.items():
            values.setdefault(column, {}).update(table)
        return Mapping(
            columns, values, self.tz or base.tz, {**base.options, **self.options}, base.files + self.files,
            {**base.lines, **self.lines},
        )

    def values_for(self, table: str, column: str) -> dict[str, Any]:
        """The value map of ``table.column``: the column's, then the table-qualified one over it."""
        return {**self.values.get(column, {}), **self.values.get(f"{table}.{column}", {})}


def load_mapping(path: Path) -> Mapping:
    """Read a mapping file.

    Args:
        path: the YAML file.

    Returns:
        The mapping.

    Raises:
        CrmError: the file is missing, is not YAML, or has an unknown key,
            a non-text column name or an unknown time zone.
    """
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CrmError(str(path), "no such mapping file") from None
    except OSError as exc:
        raise CrmError(str(path), f"cannot read the mapping file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        raise CrmError(name, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}; a file saved "
                             "as Windows-1251 or Latin-1 reads like this): save the file as UTF-8",
                       row=data.count(b"\n", 0, exc.start) + 1) from None
    try:
        data = load_yaml(text) or {}
        repeated = repeated_keys(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        raise CrmError(name, f"not valid YAML: {getattr(exc, 'problem', exc)}", row=row) from None
    if repeated:
        where, line, first = repeated[0]
        raise CrmError(name, f"key {where!r} given twice (first on line {first}); YAML would silently keep "
                             "only the last: give it once", row=line, column=where)
    if not isinstance(data, dict):
        raise CrmError(name, "expected a mapping with the keys tz, columns, values, options")
    for key in data:
        if key not in KEYS:
            raise CrmError(
                name,
                f"unknown key {key!r}{did_you_mean(str(key), KEYS)}; the keys are " + ", ".join(KEYS),
                column=str(key),
                row=_line(text, str(key)),
            )
    columns = _nested(data.get("columns") or {}, name, "columns", text)
    values = _nested(data.get("values") or {}, name, "values", text)
    for table, renames in columns.items():
        for source, target in renames.items():
            if not isinstance(target, str) or not target:
                raise CrmError(
                    name,
                    f"expected a column name for {source!r}, got {target!r}",
                    column=f"columns.{table}",
                    row=_line(text, str(source)),
                )
    for column, table in values.items():
        _check_values(str(column), table, name, text)
    tz = data.get("tz")
    if tz is not None:
        try:
            tz = check_tz(str(tz), name)
        except CrmError as exc:  # the line too, as for every other key of the file
            raise CrmError(name, exc.message, column="tz", row=_line(text, "tz")) from None
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise CrmError(name, f"expected a mapping of settings, got {options!r}", column="options")
    return Mapping(
        {t: {str(k): v for k, v in m.items()} for t, m in columns.items()},
        {c: {_key(k): v for k, v in m.items()} for c, m in values.items()},
        tz,
        options,
        [str(path)],
        {t: _line(text, t) for t in columns},
    )


def check_tz(tz: str, where: str) -> str:
    """``tz`` if it is an IANA time zone, else a CrmError with a "did you mean".

    An offset (``+03:00``, ``UTC+3``) or a zone's abbreviation (``MSK``) is
    answered with the IANA names it stands for, not with the name spelt
    nearest to it (``MSK`` is not ``MST``, ``UTC+3`` not ``UTC``).
    """
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = _zone_hint(tz)
        raise CrmError(
            where,
            f"unknown time zone {tz!r}{hint} (an IANA name such as Europe/Moscow or UTC)",
            column="" if where.startswith("--") else "tz",  # an option is no column
        ) from None
    return tz


ZONE_ABBREVIATIONS = {
    "MSK": "Europe/Moscow", "KALT": "Europe/Kaliningrad", "SAMT": "Europe/Samara",
    "YEKT": "Asia/Yekaterinburg", "OMST": "Asia/Omsk", "NOVT": "Asia/Novosibirsk",
    "KRAT": "Asia/Krasnoyarsk", "IRKT": "Asia/Irkutsk", "YAKT": "Asia/Yakutsk",
    "VLAT": "Asia/Vladivostok", "MAGT": "Asia/Magadan", "PETT": "Asia/Kamchatka", "ALMT": "Asia/Almaty",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "MDT": "America/Denver",
    "CDT": "America/Chicago", "EDT": "America/New_York", "BST": "Europe/London", "CEST": "Europe/Berlin",
    "EEST": "Europe/Kyiv",
}
"""Abbreviations of zones that are not IANA names themselves -> the zone they usually mean."""

_OFFSET = re.compile(r"^\s*(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*$", re.IGNORECASE)


def _zone_hint(tz: str) -> str:
    """What a time zone written another way probably meant, as ``"; did you mean ...?"`` (or ``""``)."""
    if (zone := ZONE_ABBREVIATIONS.get(tz.strip().upper())) is not None:
        return f"; did you mean {zone}? ({tz.strip()} is an abbreviation)"
    if match := _OFFSET.match(tz):
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours == minutes == 0:
            return "; did you mean UTC?"
        if minutes == 0 and hours <= 14:
            posix = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"  # POSIX names flip the sign
            return (f"; a fixed offset from UTC: write your city's zone, e.g. Europe/Moscow for +03:00, "
                    f"which follows its clock changes, or {posix} for UTC{sign}{hours} all year")
        return "; a fixed offset from UTC: write your city's zone, e.g. Asia/Kolkata for +05:30"
    return did_you_mean(tz, sorted(zoneinfo.available_timezones()))


def _check_values(key: str, table: dict, name: str, text: str) -> None:
    """A ``values`` entry names a choice or true/false column of the schema and maps to its values."""
    table_name, _, column_name = key.rpartition(".")
    columns = [c for t, tab in TABLES.items() if table_name in ("", t) for c in tab.columns
               if c.name == column_name and c.kind in ("choice", "bool")]
    if not columns:
        known = sorted({c.name for t in TABLES.values() for c in t.columns if c.kind in ("choice", "bool")})
        raise CrmError(name, f"values: no column whose values can be mapped is called {key!r}"
                             f"{did_you_mean(key, known)}; the columns are {', '.join(known)} "
                             "(or TABLE.COLUMN)", column=f"values.{key}", row=_line(text, key))
    allowed = sorted({v for c in columns for v in (c.values if c.kind == "choice" else ("true", "false"))})
    for source, target in table.items():
        if target is None and any(c.kind == "choice" for c in columns):
            continue  # null: leave the row out
        if not any(_fits(c, target) for c in columns):
            raise CrmError(name, f"values: {key}: {source!r} is sent to {target!r}, which is not one of "
                                 f"{choices(allowed)}{did_you_mean(str(target), allowed)}",
                           column=f"values.{key}", row=_line(text, str(source)))


def _fits(column: Column, target: Any) -> bool:
    """Whether a value map may send a value to ``target`` in ``column``."""
    if column.kind == "choice":
        return str(target) in column.values
    return isinstance(target, bool) or str(target).strip().casefold() in (*TRUE, *FALSE)


def _key(value: Any) -> str:
    """A value-map key as text (YAML reads 4 as a number, true as a bool)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nested(part: Any, name: str, key: str, text: str) -> dict[str, dict]:
    if not isinstance(part, dict) or not all(isinstance(v, dict) for v in part.values()):
        raise CrmError(
            name,
            f"expected {key}: per table or column, a mapping of names (e.g. leads: {{Deal ID: lead_id}})",
            column=key,
            row=_line(text, key),
        )
    return {str(k): v for k, v in part.items()}


def _line(text: str, key: str) -> int | None:
    """The 1-based line where ``key`` first appears as a key, or None."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().strip("'\"")
        code = line.split("#")[0]
        if stripped.startswith((f"{key}:", f"'{key}':", f'"{key}":')) or any(
            form in code for form in (f"{key}:", f"'{key}':", f'"{key}":')
        ):
            return number
    return None
