"""Writes the preset sample exports in this folder (run once; the files are kept in the repository).

One story told in each product's own API fields (from the products' public API
documentation): six deals -- won by invoice, won by installment, lost after a
contact, open at qualified, open just created, lost early -- with a few calls
each, and the noise a real export holds (other event and note types, a status
that is not a funnel stage, a call tied to a contact or to no deal).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent
MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

# deal -> (created offset, owner, [(stage key, offset)], calls [(offset, duration s, result)])
STORY = {
    1: (
        0 * D,
        "u1",
        [("in_work", 5 * M), ("contact", 10 * M), ("qualified", 30 * M), ("invoice", D), ("won", 2 * D)],
        [(4 * M, 0, "no"), (9 * M, 600, "yes")],
    ),
    2: (
        1 * D,
        "u2",
        [
            ("incoming", 1 * M),
            ("contact", 20 * M),
            ("qualified", 40 * M),
            ("link_sent", H),
            ("link_filled", 3 * H),
            ("bank_approved", D),
            ("won", D + H),
        ],
        [(15 * M, 900, "yes")],
    ),
    3: (2 * D, "u1", [("contact", 15 * M), ("lost", H)], [(5 * M, 0, "busy"), (14 * M, 300, "yes")]),
    4: (3 * D, "u2", [("in_work", 5 * M), ("qualified", H)], [(4 * M, 0, "no"), (50 * M, 420, "yes")]),
    5: (4 * D, "u1", [], [(3 * M, 0, "no"), (2 * H, 0, "no"), (D, 0, "no")]),
    6: (5 * D, "u2", [("in_work", 5 * M), ("lost", 10 * M)], [(3 * M, 120, "yes")]),
}
STATUS = {1: "won", 2: "won", 3: "lost", 4: "open", 5: "open", 6: "lost"}


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def own_tables(folder: Path, ids: dict[int, str], users: dict[str, str]) -> None:
    write(
        folder / "staff.csv",
        [
            {
                "manager_id": users["lead"],
                "team_lead_id": "",
                "role": "team_lead",
                "hired_at": "2025-01-10",
                "left_at": "",
            },
            {
                "manager_id": users["u1"],
                "team_lead_id": users["lead"],
                "role": "manager",
                "hired_at": "2025-03-01",
                "left_at": "",
            },
            {
                "manager_id": users["u2"],
                "team_lead_id": users["lead"],
                "role": "manager",
                "hired_at": "2026-01-15",
                "left_at": "",
            },
        ],
    )
    write(
        folder / "payments.csv",
        [
            {"lead_id": ids[1], "paid_at": (T0 + 2 * D).isoformat(), "amount": 50000, "kind": "invoice"},
            {
                "lead_id": ids[2],
                "paid_at": (T0 + 2 * D + H).isoformat(),
                "amount": 120000,
                "kind": "installment",
            },
        ],
    )


def amocrm(folder: Path, names: dict[str, str], status_ids: dict[str, int]) -> None:
    ids = {n: str(9000 + n) for n in STORY}
    users = {"u1": "5001", "u2": "5002", "lead": "5000"}
    write(
        folder / "statuses.csv",
        [{"id": i, "name": names[k], "pipeline_id": 3104455} for k, i in status_ids.items()],
    )
    leads, events, notes = [], [], []
    closing = {"won": 142, "lost": 143, "open": None}
    for n, (start, owner, moves, calls) in STORY.items():
        created = T0 + start
        last = moves[-1][0] if moves else "incoming"
        status = closing[STATUS[n]] or status_ids[last if last in status_ids else "incoming"]
        leads.append(
            {
                "id": ids[n],
                "name": f"Deal {n}",
                "price": 50000 if n != 2 else 120000,
                "responsible_user_id": users[owner],
                "status_id": status,
                "pipeline_id": 3104455,
                "created_at": int(created.timestamp()),
                "loss_reason": "too expensive" if n == 3 else "",
            }
        )
        for key, offset in moves:
            status_id = closing.get(key) or status_ids[key]
            events.append(
                {
                    "id": f"e{n}{len(events)}",
                    "type": "lead_status_changed",
                    "entity_id": ids[n],
                    "entity_type": "lead",
                    "created_at": int((created + offset).timestamp()),
                    "value_after": json.dumps([{"lead_status": {"id": status_id, "pipeline_id": 3104455}}]),
                }
            )
        for offset, duration, result in calls:
            code = {"yes": 4, "no": 6, "busy": 7}[result]
            notes.append(
                {
                    "id": f"n{len(notes)}",
                    "entity_id": ids[n],
                    "note_type": "call_out",
                    "created_at": int((created + offset).timestamp()),
                    "responsible_user_id": users[owner],
                    "params": json.dumps(
                        {
                            "uniq": f"c{len(notes)}",
                            "duration": duration,
                            "source": "pbx",
                            "phone": "+79990000000",
                            "call_status": code,
                        }
                    ),
                }
            )
    events.append(
        {
            "id": "e-x",
            "type": "entity_responsible_changed",
            "entity_id": ids[4],
            "entity_type": "lead",
            "created_at": int((T0 + 3 * D + 2 * H).timestamp()),
            "value_after": "[]",
        }
    )
    notes.append(
        {
            "id": "n-x",
            "entity_id": ids[4],
            "note_type": "common",
            "created_at": int((T0 + 3 * D).timestamp()),
            "responsible_user_id": users["u2"],
            "params": json.dumps({"text": "called back later"}),
        }
    )
    write(folder / "leads.csv", leads)
    write(folder / "events.csv", events)
    write(folder / "notes.csv", notes)
    own_tables(folder, ids, users)


def bitrix24(folder: Path) -> None:
    ids = {n: str(n) for n in STORY}
    users = {"u1": "11", "u2": "12", "lead": "10"}
    stage_ids = {
        "in_work": None,
        "incoming": None,
        "contact": "PREPARATION",
        "qualified": "PREPAYMENT_INVOICE",
        "invoice": "FINAL_INVOICE",
        "link_sent": "UC_LINK",
        "link_filled": "UC_FORM",
        "bank_approved": "UC_BANK",
        "won": "WON",
        "lost": "LOSE",
    }
    deals, history, stats = [], [], []
    for n, (start, owner, moves, calls) in STORY.items():
        created = T0 + start
        deals.append(
            {
                "ID": ids[n],
                "TITLE": f"Deal {n}",
                "DATE_CREATE": created.isoformat(),
                "ASSIGNED_BY_ID": users[owner],
                "STAGE_SEMANTIC_ID": {"won": "S", "lost": "F", "open": "P"}[STATUS[n]],
                "OPPORTUNITY": "120000.00" if n == 2 else "50000.00",
                "SOURCE_ID": "WEB" if n % 2 else "CALL",
            }
        )
        history.append(
            {
                "ID": len(history) + 1,
                "TYPE_ID": 1,
                "OWNER_ID": ids[n],
                "CREATED_TIME": created.isoformat(),
                "CATEGORY_ID": 0,
                "STAGE_SEMANTIC_ID": "P",
                "STAGE_ID": "NEW",
            }
        )
        if n == 1:  # "In progress" (EXECUTING) is mapped to null: left out
            history.append(
                {
                    "ID": len(history) + 1,
                    "TYPE_ID": 2,
                    "OWNER_ID": ids[n],
                    "CREATED_TIME": (created + 12 * H).isoformat(),
                    "CATEGORY_ID": 0,
                    "STAGE_SEMANTIC_ID": "P",
                    "STAGE_ID": "EXECUTING",
                }
            )
        for key, offset in moves:
            stage = stage_ids[key] if not (n == 6 and key == "lost") else "APOLOGY"
            if stage is None:
                continue
            history.append(
                {
                    "ID": len(history) + 1,
                    "TYPE_ID": 3 if key in ("won", "lost") else 2,
                    "OWNER_ID": ids[n],
                    "CREATED_TIME": (created + offset).isoformat(),
                    "CATEGORY_ID": 0,
                    "STAGE_SEMANTIC_ID": {"won": "S", "lost": "F"}.get(key, "P"),
                    "STAGE_ID": stage,
                }
            )
        for offset, duration, result in calls:
            stats.append(
                {
                    "ID": len(stats) + 1,
                    "PORTAL_USER_ID": users[owner],
                    "PHONE_NUMBER": "+79990000000",
                    "CALL_ID": f"externalCall.{len(stats)}",
                    "CALL_TYPE": 1,
                    "CALL_DURATION": duration,
                    "CALL_START_DATE": (created + offset).isoformat(),
                    "CALL_FAILED_CODE": {"yes": "200", "no": "304", "busy": "486"}[result],
                    "CRM_ENTITY_TYPE": "DEAL",
                    "CRM_ENTITY_ID": ids[n],
                }
            )
    stats.append(
        {
            "ID": 99,
            "PORTAL_USER_ID": users["u1"],
            "PHONE_NUMBER": "+79990000001",
            "CALL_ID": "x",
            "CALL_TYPE": 2,
            "CALL_DURATION": 60,
            "CALL_START_DATE": (T0 + H).isoformat(),
            "CALL_FAILED_CODE": "200",
            "CRM_ENTITY_TYPE": "CONTACT",
            "CRM_ENTITY_ID": "77",
        }
    )
    write(folder / "crm.deal.list.csv", deals)
    write(folder / "crm.stagehistory.list.csv", history)
    write(folder / "voximplant.statistic.get.csv", stats)
    own_tables(folder, ids, users)


def hubspot(folder: Path) -> None:
    ids = {n: str(7000 + n) for n in STORY}
    users = {"u1": "301", "u2": "302", "lead": "300"}
    stage_ids = {
        "contact": "appointmentscheduled",
        "qualified": "qualifiedtobuy",
        "invoice": "contractsent",
        "link_sent": "1001",
        "bank_approved": "1002",
        "won": "closedwon",
        "lost": "closedlost",
    }
    columns = [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "contractsent",
        "1001",
        "1002",
        "closedwon",
        "closedlost",
    ]
    utc = UTC
    deals, calls_out = [], []
    for n, (start, owner, moves, calls) in STORY.items():
        created = (T0 + start).astimezone(utc)
        entered = {"appointmentscheduled": created}  # HubSpot stamps the first stage at creation
        for key, offset in moves:
            if key in stage_ids:
                entered[stage_ids[key]] = created + offset
        if n == 1:
            entered["presentationscheduled"] = created + 12 * H
        current = max(entered, key=entered.get)
        row = {
            "hs_object_id": ids[n],
            "dealname": f"Deal {n}",
            "createdate": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "dealstage": current,
            "pipeline": "default",
            "hubspot_owner_id": users[owner],
            "amount": 120000 if n == 2 else 50000,
            "closed_lost_reason": "price" if n == 3 else "",
        }
        for column in columns:
            stamp = entered.get(column)
            row[f"hs_date_entered_{column}"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z") if stamp else ""
        deals.append(row)
        for offset, duration, result in calls:
            status = {"yes": "COMPLETED", "no": "NO_ANSWER", "busy": "BUSY"}[result]
            disposition = "f240bbac-87c9-4f6e-bf70-924b57d47db7" if result == "yes" and n % 2 else ""
            calls_out.append(
                {
                    "hs_object_id": f"c{len(calls_out)}",
                    "hs_timestamp": (created + offset).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "hs_call_duration": duration * 1000,
                    "hs_call_status": status,
                    "hs_call_direction": "OUTBOUND",
                    "hs_call_disposition": disposition,
                    "hubspot_owner_id": users[owner],
                    "associations.deals": ids[n],
                }
            )
    calls_out.append(
        {
            "hs_object_id": "c-x",
            "hs_timestamp": "2026-03-02T07:00:00.000Z",
            "hs_call_duration": 5000,
            "hs_call_status": "COMPLETED",
            "hs_call_direction": "INBOUND",
            "hs_call_disposition": "",
            "hubspot_owner_id": users["u1"],
            "associations.deals": "",
        }
    )
    write(folder / "deals.csv", deals)
    write(folder / "calls.csv", calls_out)
    (folder / "mapping.yaml").write_text(
        "# This account's custom installment stages (numeric ids), laid over the hubspot preset.\n"
        'tz: Europe/Moscow\nvalues:\n  stage:\n    "1001": link_sent\n    "1002": bank_approved\n',
        encoding="utf-8",
    )
    own_tables(folder, ids, users)


if __name__ == "__main__":
    amocrm(
        HERE / "amocrm",
        {
            "incoming": "Неразобранное",
            "in_work": "Первичный контакт",
            "contact": "Переговоры",
            "qualified": "Квалифицирован",
            "invoice": "Счёт выставлен",
            "link_sent": "Ссылка на рассрочку отправлена",
            "link_filled": "Анкета заполнена",
            "bank_approved": "Банк одобрил",
        },
        {
            "incoming": 101,
            "in_work": 102,
            "contact": 103,
            "qualified": 104,
            "invoice": 105,
            "link_sent": 106,
            "link_filled": 107,
            "bank_approved": 108,
        },
    )
    amocrm(
        HERE / "kommo",
        {
            "incoming": "Incoming leads",
            "in_work": "Initial contact",
            "contact": "Discussions",
            "qualified": "Decision making",
            "invoice": "Contract discussion",
            "link_sent": "Payment link sent",
            "link_filled": "Application filled",
            "bank_approved": "Bank approved",
        },
        {
            "incoming": 101,
            "in_work": 102,
            "contact": 103,
            "qualified": 104,
            "invoice": 105,
            "link_sent": 106,
            "link_filled": 107,
            "bank_approved": 108,
        },
    )
    bitrix24(HERE / "bitrix24")
    hubspot(HERE / "hubspot")
