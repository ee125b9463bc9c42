"""The stage entries a CRM skipped: an entry into a later stage implies the earlier ones on its path.

Exactly what the reader adds (README, "Implied stages"):

- Each lead keeps its first entry per stage (a re-entry after moving back
  is left out, with a note).
- A stage S the lead never entered is added when a later stage on S's path
  was entered; it gets the time of the earliest such entry, so it is never
  later than what implies it.  Its row has ``implied`` true.
- The path of ``invoice`` is the invoice path, that of ``link_sent``,
  ``link_filled`` and ``bank_approved`` the installment path; both paths
  share ``assigned``, ``in_work``, ``contact``, ``qualified``
  (:func:`simsales.crm.schema.implied`).
- ``won`` implies the invoice path's stages if the lead entered ``invoice``
  or has an invoice payment and no installment stage or payment; the
  installment path's if it entered an installment stage or has an
  installment payment; otherwise only the shared stages (a won deal whose
  payment route is unknown is not counted as an invoice).
- ``lost`` implies nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.crm.export import nanoseconds
from simsales.crm.schema import INSTALLMENT_PATH, INVOICE_PATH, STAGES, implied

SHARED = tuple(s for s in INVOICE_PATH if s in INSTALLMENT_PATH and s != "won")
"""The stages both payment paths share: assigned, in_work, contact, qualified."""

_INSTALLMENT_ONLY = tuple(s for s in INSTALLMENT_PATH if s not in INVOICE_PATH)
_NEVER = np.iinfo(np.int64).max


def with_implied(
    stages: pd.DataFrame,
    lead_position: np.ndarray,
    payments: pd.DataFrame | None,
    payment_position: np.ndarray | None,
    lead_ids: np.ndarray,
    tz: str,
    notes: list[str],
) -> tuple[pd.DataFrame, np.ndarray]:
    """The stage entries, first per lead and stage, with the implied ones added and an ``implied`` column.

    Args:
        stages: the typed stage entries (lead_id, stage, entered_at).
        lead_position: per entry, its lead's position in the leads table.
        payments: the typed payments, or None.
        payment_position: per payment, its lead's position in the leads table.
        lead_ids: the leads table's ``lead_id`` column.
        tz: the export's time zone.
        notes: where to say what was added or left out.

    Returns:
        The entries sorted by lead (in the leads table's order), time and
        funnel order, with ``implied`` true for the added ones; and per
        entry, its lead's position in the leads table.
    """
    n_leads = len(lead_ids)
    rank = pd.Categorical(stages["stage"], categories=STAGES).codes.astype(np.int64)
    times = nanoseconds(stages["entered_at"])
    order = np.lexsort((rank, times, lead_position))
    pair = lead_position[order] * len(STAGES) + rank[order]
    _, keep = np.unique(pair, return_index=True)  # the first (earliest) entry of each lead and stage
    first = np.zeros(len(order), bool)
    first[keep] = True
    kept = order[first]
    if len(kept) < len(stages):
        notes.append(
            f"stages: {len(stages) - len(kept):,} re-entries into a stage the lead had entered before "
            "were left out (the first entry counts)."
        )
    kept.sort()  # back to file order, then sorted below
    leads, ranks, stamps = lead_position[kept], rank[kept], times[kept]
    matrix = np.full((n_leads, len(STAGES)), _NEVER, np.int64)
    matrix[leads, ranks] = stamps
    path = _paths(matrix, payments, payment_position, n_leads)
    added: list[tuple[np.ndarray, int, np.ndarray]] = []
    column = {s: i for i, s in enumerate(STAGES)}
    for target in STAGES:
        if target in ("won", "lost"):
            continue
        earliest = np.full(n_leads, _NEVER, np.int64)
        for later in STAGES:
            if later in ("won", "lost") or target not in implied(later):
                continue
            earliest = np.minimum(earliest, matrix[:, column[later]])
        won_implies = np.array([target in p for p in (INVOICE_PATH, INSTALLMENT_PATH, SHARED)])[path]
        earliest = np.minimum(earliest, np.where(won_implies, matrix[:, column["won"]], _NEVER))
        missing = (matrix[:, column[target]] == _NEVER) & (earliest != _NEVER)
        who = np.flatnonzero(missing)
        if len(who):
            added.append((who, column[target], earliest[who]))
    new_leads = np.concatenate([leads] + [w for w, _, _ in added])
    new_ranks = np.concatenate([ranks] + [np.full(len(w), r) for w, r, _ in added])
    new_times = np.concatenate([stamps] + [t for _, _, t in added])
    flag = np.zeros(len(new_leads), bool)
    flag[len(leads) :] = True
    if flag.any():
        notes.append(
            f"stages: {int(flag.sum()):,} implied entries added (a later stage implies the earlier "
            "ones on its path, at the time of the earliest later entry); marked implied."
        )
    order = np.lexsort((new_ranks, new_times, new_leads))
    frame = pd.DataFrame(
        {
            "lead_id": pd.Series(lead_ids[new_leads[order]], dtype="str"),
            "stage": pd.Series(np.array(STAGES, dtype=object)[new_ranks[order]], dtype="str"),
            "entered_at": pd.Series(new_times[order].view("datetime64[ns]"))
            .dt.tz_localize("UTC")
            .dt.tz_convert(tz),
            "implied": flag[order],
        }
    )
    return frame, new_leads[order]


def _paths(
    matrix: np.ndarray, payments: pd.DataFrame | None, position: np.ndarray | None, n_leads: int
) -> np.ndarray:
    """Per lead, the path ``won`` implies: 0 invoice, 1 installment, 2 the shared stages only."""
    column = {s: i for i, s in enumerate(STAGES)}
    installment = np.zeros(n_leads, bool)
    for stage in _INSTALLMENT_ONLY:
        installment |= matrix[:, column[stage]] != _NEVER
    invoice = matrix[:, column["invoice"]] != _NEVER
    if payments is not None and len(payments):
        kind = payments["kind"].to_numpy()
        installment[position[kind == "installment"]] = True
        invoice[position[kind == "invoice"]] = True
    return np.where(installment, 1, np.where(invoice, 0, 2))
