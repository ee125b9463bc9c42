"""Presets: the exports of real CRMs reshaped into the schema's tables.

A preset is two files: ``<name>.yaml``, a mapping file (:mod:`simsales.crm.mapping`)
whose ``values`` send the product's statuses, stages and call results to
the schema's (copy it, edit it, pass it with ``--mapping``: it is laid
over the preset's), and a Python module whose ``reshape`` turns the
product's tables (as its API returns them, one file per endpoint, nested
fields flattened with dots) into raw tables with the schema's column
names.  The ``staff`` table (hire and leave dates) is never in a CRM's
API: it is read as the schema's own ``staff`` file, and so are optional
``payments`` and ``shifts``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from simsales.crm.errors import CrmError, did_you_mean
from simsales.crm.files import RawTable, read_raw, table_files
from simsales.crm.mapping import Mapping, load_mapping
from simsales.crm.tables import renamed

PRESETS = {"amocrm": "amocrm", "kommo": "amocrm", "bitrix24": "bitrix24", "hubspot": "hubspot"}
"""Preset name -> the module that reshapes its tables (Kommo is amoCRM's international edition)."""

HERE = Path(__file__).parent


def _known(name: str) -> str:
    if name not in PRESETS:
        raise CrmError(
            "--preset",
            f"unknown preset {name!r}{did_you_mean(name, list(PRESETS))}; the presets "
            f"are {', '.join(PRESETS)}",
        )
    return name


def preset_mapping(name: str) -> Mapping:
    """The mapping shipped with the preset ``name`` (``simsales/crm/presets/<name>.yaml``)."""
    return load_mapping(HERE / f"{_known(name)}.yaml")


def reshape(name: str, folder: Path, mapping: Mapping, notes: list[str]) -> dict[str, RawTable]:
    """The schema's raw tables from a product's export.

    Args:
        name: the preset.
        folder: the export's folder.
        mapping: the preset's mapping with the user's over it (``columns``
            renames the product's own tables' columns first).
        notes: where to say what was assumed.

    Returns:
        Raw tables by schema name, with the schema's column names.
    """
    module = importlib.import_module(f"simsales.crm.presets.{PRESETS[_known(name)]}")
    files = table_files(folder)
    return module.reshape(Sources(folder, files, mapping), mapping, notes)


class Sources:
    """The product's tables in an export folder, read on demand.

    Args:
        folder: the folder.
        files: its table files by lower-cased stem.
        mapping: column renames per source table.
    """

    def __init__(self, folder: Path, files: dict[str, Path], mapping: Mapping) -> None:
        self.folder, self.files, self.mapping = folder, files, mapping

    def has(self, stem: str) -> bool:
        """Whether the folder holds the table ``stem``."""
        return stem in self.files

    def read(self, stem: str, needed: tuple[str, ...] = ()) -> RawTable:
        """The source table ``stem`` with the mapping's renames, checked for the columns ``needed``.

        Raises:
            CrmError: the file is missing, or lacks a needed column.
        """
        path = self.files.get(stem)
        if path is None:
            raise CrmError(
                str(self.folder),
                f"no {stem} table: expected {stem}.csv, {stem}.xlsx or "
                f"{stem}.parquet{did_you_mean(stem, list(self.files))}",
            )
        raw = renamed(read_raw(path, stem), self.mapping.columns.get(stem, {}), needed)
        columns = list(raw.frame.columns)
        for column in needed:
            if column not in columns:
                raise CrmError(
                    path.name,
                    f"no column {column!r}{did_you_mean(column, columns)}; rename it in "
                    f"the file, or map it: columns: {{{stem}: {{YOUR NAME: {column}}}}}",
                    column=column,
                )
        return raw
