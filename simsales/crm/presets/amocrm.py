"""amoCRM and Kommo (API v4): ``leads``, ``events`` (status changes), ``notes`` (``call_in``/``call_out``).

The folder holds the API's lists as tables, nested fields flattened with
dots (``value_after.lead_status.id``) or kept as JSON text (a column
``value_after`` holding ``[{"lead_status": {"id": 142, ...}}]``):

- ``leads``: ``id``, ``created_at`` (Unix seconds), ``responsible_user_id``,
  ``status_id``, ``pipeline_id``, ``price``; optional ``loss_reason``
  (the reason's name) and ``channel`` (map a custom field to it).
- ``events``: ``type``, ``entity_id``, ``created_at``, ``value_after``; the
  rows of type ``lead_status_changed`` become stage entries.
- ``notes`` (the leads' notes): ``entity_id``, ``note_type``, ``created_at``,
  ``responsible_user_id``, ``params.duration`` (seconds),
  ``params.call_status``; the ``call_in`` and ``call_out`` notes become calls.
- optional ``statuses`` (the pipelines' statuses): ``id``, ``name``; with it
  the mapping names statuses by name, without it by id.

A lead's status is ``won`` in status 142, ``lost`` in 143 (amoCRM's fixed
ids; ``options: won_status_id / lost_status_id``), else ``open``.
Without a ``channel`` column the channel is the pipeline (``pipeline 3104455``).
With ``options: assigned_at_creation: true`` every lead enters ``assigned``
when created.  ``answered`` comes from ``call_status`` through the
mapping's ``values: answered``.
"""

from __future__ import annotations

import pandas as pd

from simsales.crm.files import RawTable
from simsales.crm.mapping import Mapping
from simsales.crm.presets.common import assigned_at_creation, built, field, own_tables, stacked


def reshape(sources, mapping: Mapping, notes: list[str]) -> dict[str, RawTable]:
    """The schema's raw tables from an amoCRM / Kommo export (see the module's docstring)."""
    options = mapping.options
    leads_src = sources.read("leads", ("id", "created_at", "status_id"))
    ids = field(leads_src, "id")
    status_id = field(leads_src, "status_id").str.strip()
    status = pd.Series("open", index=status_id.index, dtype="str")
    status[status_id == str(options.get("won_status_id", 142))] = "won"
    status[status_id == str(options.get("lost_status_id", 143))] = "lost"
    channel = field(leads_src, "channel", required=False)
    if channel is None:
        pipeline = field(leads_src, "pipeline_id", required=False)
        channel = ("pipeline " + pipeline) if pipeline is not None else pd.Series("amocrm", index=ids.index)
        notes.append(f"{leads_src.file}: no channel column; the channel is the lead's pipeline.")
    created = field(leads_src, "created_at")
    leads = built(
        "leads",
        leads_src,
        {
            "lead_id": ids,
            "created_at": created,
            "channel": channel,
            "manager_id": field(leads_src, "responsible_user_id", required=False),
            "status": status,
            "loss_reason": field(leads_src, "loss_reason", "_embedded.loss_reason.name", required=False),
            "price": field(leads_src, "price", required=False),
        },
        origins={
            "lead_id": "id",
            "created_at": "created_at",
            "manager_id": "responsible_user_id",
            "status": "status_id",
            "price": "price",
        },
    )
    names = _status_names(sources)
    events = sources.read("events", ("type", "entity_id", "created_at"))
    is_status = (field(events, "type") == "lead_status_changed").fillna(False)
    entity = field(events, "entity_type", required=False)
    if entity is not None:
        is_status &= entity.isin(["lead", "leads"]).fillna(False)
    after = field(events, "value_after.lead_status.id", "value_after.0.lead_status.id")
    stage = after.map(names).fillna(after) if names else after
    stages = built(
        "stages",
        events,
        {"lead_id": field(events, "entity_id"), "stage": stage, "entered_at": field(events, "created_at")},
        keep=is_status.to_numpy(bool),
        origins={"lead_id": "entity_id", "stage": "value_after", "entered_at": "created_at"},
    )
    if options.get("assigned_at_creation", True):
        stages = stacked(
            stages,
            assigned_at_creation(ids, created, leads_src, {"lead_id": "id", "entered_at": "created_at"}),
        )
    notes_src = sources.read("notes", ("entity_id", "note_type", "created_at"))
    is_call = field(notes_src, "note_type").isin(["call_in", "call_out"]).fillna(False)
    calls = built(
        "calls",
        notes_src,
        {
            "lead_id": field(notes_src, "entity_id"),
            "manager_id": field(notes_src, "responsible_user_id", "created_by"),
            "started_at": field(notes_src, "created_at"),
            "duration_s": field(notes_src, "params.duration"),
            "answered": field(notes_src, "params.call_status"),
            "kind": pd.Series("call", index=notes_src.frame.index),
        },
        keep=is_call.to_numpy(bool),
        origins={
            "lead_id": "entity_id",
            "manager_id": "responsible_user_id",
            "started_at": "created_at",
            "duration_s": "params.duration",
            "answered": "params.call_status",
        },
    )
    return {"leads": leads, "stages": stages, "calls": calls, **own_tables(sources, notes)}


def _status_names(sources) -> dict[str, str]:
    """Status id -> name, from the optional ``statuses`` table."""
    if not sources.has("statuses"):
        return {}
    table = sources.read("statuses", ("id", "name"))
    return dict(zip(field(table, "id").str.strip(), field(table, "name").str.strip(), strict=True))
