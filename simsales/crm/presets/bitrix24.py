"""Bitrix24 (REST): ``crm.deal.list``, ``crm.stagehistory.list`` (deals), ``voximplant.statistic.get``.

The folder holds each method's result as a table named after the method:

- ``crm.deal.list``: ``ID``, ``DATE_CREATE``, ``ASSIGNED_BY_ID``,
  ``STAGE_SEMANTIC_ID`` (``P`` in progress, ``S`` won, ``F`` lost),
  ``OPPORTUNITY``; optional ``SOURCE_ID`` (the channel).
- ``crm.stagehistory.list`` (``entityTypeId`` 2, deals): ``OWNER_ID``,
  ``STAGE_ID``, ``CREATED_TIME``; every row (creation, moves) is a stage
  entry, its ``STAGE_ID`` mapped by ``values: stage``.
- ``voximplant.statistic.get``: ``PORTAL_USER_ID``, ``CALL_START_DATE``,
  ``CALL_DURATION`` (seconds), ``CALL_FAILED_CODE``, ``CRM_ENTITY_TYPE``,
  ``CRM_ENTITY_ID``; the calls of a deal (``options: entity_types``)
  become calls, ``answered`` from ``CALL_FAILED_CODE`` through
  ``values: answered``.  Calls linked to contacts or companies cannot be
  tied to a deal: they are left out, with a note.
"""

from __future__ import annotations

import pandas as pd

from simsales.crm.files import RawTable
from simsales.crm.mapping import Mapping
from simsales.crm.presets.common import built, field, own_tables

DEALS, HISTORY, CALLS = "crm.deal.list", "crm.stagehistory.list", "voximplant.statistic.get"


def reshape(sources, mapping: Mapping, notes: list[str]) -> dict[str, RawTable]:
    """The schema's raw tables from a Bitrix24 export (see the module's docstring)."""
    deals = sources.read(DEALS, ("ID", "DATE_CREATE", "STAGE_SEMANTIC_ID"))
    semantic = field(deals, "STAGE_SEMANTIC_ID").str.strip().str.upper()
    status = semantic.map({"S": "won", "F": "lost", "P": "open"}).fillna(semantic)
    channel = field(deals, "SOURCE_ID", required=False)
    leads = built(
        "leads",
        deals,
        {
            "lead_id": field(deals, "ID"),
            "created_at": field(deals, "DATE_CREATE"),
            "channel": channel
            if channel is not None
            else pd.Series(None, index=deals.frame.index, dtype="str"),
            "manager_id": field(deals, "ASSIGNED_BY_ID", required=False),
            "status": status,
            "price": field(deals, "OPPORTUNITY", required=False),
        },
        origins={
            "lead_id": "ID",
            "created_at": "DATE_CREATE",
            "channel": "SOURCE_ID",
            "manager_id": "ASSIGNED_BY_ID",
            "status": "STAGE_SEMANTIC_ID",
            "price": "OPPORTUNITY",
        },
    )
    history = sources.read(HISTORY, ("OWNER_ID", "STAGE_ID", "CREATED_TIME"))
    stages = built(
        "stages",
        history,
        {
            "lead_id": field(history, "OWNER_ID"),
            "stage": field(history, "STAGE_ID"),
            "entered_at": field(history, "CREATED_TIME"),
        },
        origins={"lead_id": "OWNER_ID", "stage": "STAGE_ID", "entered_at": "CREATED_TIME"},
    )
    stats = sources.read(
        CALLS, ("PORTAL_USER_ID", "CALL_START_DATE", "CALL_DURATION", "CALL_FAILED_CODE", "CRM_ENTITY_ID")
    )
    wanted = [str(t).upper() for t in mapping.options.get("entity_types", ["DEAL"])]
    entity = field(stats, "CRM_ENTITY_TYPE", required=False)
    keep = (
        entity.str.strip().str.upper().isin(wanted).fillna(False)
        if entity is not None
        else pd.Series(True, index=stats.frame.index)
    )
    if not keep.all():
        notes.append(
            f"{stats.file}: {int((~keep).sum()):,} call(s) linked to a CRM entity other than "
            f"{', '.join(wanted)} (a contact, a company, or none) were left out."
        )
    calls = built(
        "calls",
        stats,
        {
            "lead_id": field(stats, "CRM_ENTITY_ID"),
            "manager_id": field(stats, "PORTAL_USER_ID"),
            "started_at": field(stats, "CALL_START_DATE"),
            "duration_s": field(stats, "CALL_DURATION"),
            "answered": field(stats, "CALL_FAILED_CODE"),
            "kind": pd.Series("call", index=stats.frame.index),
        },
        keep=keep.to_numpy(bool),
        origins={
            "lead_id": "CRM_ENTITY_ID",
            "manager_id": "PORTAL_USER_ID",
            "started_at": "CALL_START_DATE",
            "duration_s": "CALL_DURATION",
            "answered": "CALL_FAILED_CODE",
        },
    )
    return {"leads": leads, "stages": stages, "calls": calls, **own_tables(sources, notes)}
