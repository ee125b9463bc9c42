"""CRM exports: the documented tables (:mod:`.schema`), reading them, presets for real CRMs, writing them."""

from simsales.crm.errors import CrmError
from simsales.crm.export import Export
from simsales.crm.read import read_export
from simsales.crm.schema import STAGES, TABLES, Column, Table, implied
from simsales.crm.write import write_export

__all__ = [
    "STAGES", "TABLES", "Column", "CrmError", "Export", "Table", "implied", "read_export", "write_export",
]
