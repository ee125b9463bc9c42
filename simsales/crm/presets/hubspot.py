"""HubSpot (CRM API v3): ``deals`` with their "date entered" stage properties, and ``calls``.

The folder holds the objects' properties as tables:

- ``deals``: ``hs_object_id``, ``createdate``, ``dealstage``,
  ``hubspot_owner_id``, ``amount``; optional ``closed_lost_reason`` and
  ``hs_analytics_source`` (the channel); and one column per stage,
  ``hs_date_entered_<stage id>`` (or ``hs_v2_date_entered_<stage id>``):
  when the deal entered it.  Each filled one is a stage entry, its stage id
  mapped by ``values: stage``.  A deal is ``won`` or ``lost`` if its
  ``dealstage`` maps to that stage, else ``open``.
- ``calls``: ``hs_timestamp``, ``hs_call_duration`` (milliseconds),
  ``hs_call_status``, ``hubspot_owner_id``, ``associations.deals`` (the
  deal's id); optional ``hs_call_disposition``.  ``answered`` comes from the
  disposition where given, else from the status, through ``values: answered``.
  Calls with no deal are left out, with a note.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from simsales.crm.errors import CrmError
from simsales.crm.files import RawTable
from simsales.crm.mapping import Mapping
from simsales.crm.presets.common import assigned_at_creation, built, field, own_tables, stacked

_ENTERED = re.compile(r"^hs_(?:v2_)?date_entered_(.+)$")


def reshape(sources, mapping: Mapping, notes: list[str]) -> dict[str, RawTable]:
    """The schema's raw tables from a HubSpot export (see the module's docstring)."""
    deals = sources.read("deals", ("createdate", "dealstage"))
    ids = field(deals, "hs_object_id", "id")
    stage_map = {k.casefold(): v for k, v in mapping.values_for("stages", "stage").items()}
    current = field(deals, "dealstage").str.strip().str.casefold().map(stage_map)
    status = pd.Series(
        np.where(current == "won", "won", np.where(current == "lost", "lost", "open")),
        index=ids.index,
        dtype="str",
    )
    created = field(deals, "createdate")
    leads = built(
        "leads",
        deals,
        {
            "lead_id": ids,
            "created_at": created,
            "channel": field(deals, "hs_analytics_source", required=False)
            if "hs_analytics_source" in deals.frame.columns
            else pd.Series(None, index=ids.index, dtype="str"),
            "manager_id": field(deals, "hubspot_owner_id", required=False),
            "status": status,
            "loss_reason": field(deals, "closed_lost_reason", required=False),
            "price": field(deals, "amount", required=False),
        },
        origins={
            "lead_id": "hs_object_id",
            "created_at": "createdate",
            "channel": "hs_analytics_source",
            "manager_id": "hubspot_owner_id",
            "status": "dealstage",
            "price": "amount",
        },
    )
    entered = {m.group(1): c for c in deals.frame.columns if (m := _ENTERED.match(c))}
    if not entered:
        raise CrmError(
            deals.file,
            'no hs_date_entered_<stage> column: export the deals with the "Date '
            'entered" property of each stage',
            column="hs_date_entered_<stage>",
        )
    parts = []
    for stage_id, column in entered.items():
        when = deals.frame[column].astype("str")
        parts.append(
            built(
                "stages",
                deals,
                {"lead_id": ids, "stage": pd.Series(stage_id, index=ids.index), "entered_at": when},
                keep=when.notna().to_numpy(),
                origins={"lead_id": "hs_object_id", "entered_at": column, "stage": column},
            )
        )
    stages = parts[0]
    for part in parts[1:]:
        stages = stacked(stages, part)
    if mapping.options.get("assigned_at_creation", True):
        stages = stacked(
            stages,
            assigned_at_creation(
                ids, created, deals, {"lead_id": "hs_object_id", "entered_at": "createdate"}
            ),
        )
    calls_src = sources.read("calls", ("hs_timestamp", "hs_call_duration", "hs_call_status"))
    deal = field(calls_src, "associations.deals", "deal_id").str.extract(r"(\d+)", expand=False)
    if deal.isna().any():
        notes.append(f"{calls_src.file}: {int(deal.isna().sum()):,} call(s) with no deal were left out.")
    disposition = field(calls_src, "hs_call_disposition", required=False)
    status_text = field(calls_src, "hs_call_status")
    answered = disposition.fillna(status_text) if disposition is not None else status_text
    seconds = pd.to_numeric(field(calls_src, "hs_call_duration"), errors="coerce") / 1000.0
    duration = seconds.astype(object).where(seconds.notna(), field(calls_src, "hs_call_duration"))
    calls = built(
        "calls",
        calls_src,
        {
            "lead_id": deal,
            "manager_id": field(calls_src, "hubspot_owner_id"),
            "started_at": field(calls_src, "hs_timestamp"),
            "duration_s": duration,
            "answered": answered,
            "kind": pd.Series("call", index=calls_src.frame.index),
        },
        keep=deal.notna().to_numpy(),
        origins={
            "lead_id": "associations.deals",
            "manager_id": "hubspot_owner_id",
            "started_at": "hs_timestamp",
            "duration_s": "hs_call_duration",
            "answered": "hs_call_status",
        },
    )
    return {"leads": leads, "stages": stages, "calls": calls, **own_tables(sources, notes)}
