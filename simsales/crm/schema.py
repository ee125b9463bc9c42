"""The CRM tables simsales reads and writes: one documented schema (MODEL.md section 10).

An export is a folder of tables (CSV, XLSX or Parquet), one file per table,
named after the table (``leads.csv``, ``stages.parquet`` ...), with exactly
these column names (a mapping file or a ``--preset`` renames others).
``simsales calibrate`` reads them, ``simsales run --events`` writes one
simulated replication in the same tables, ``simsales run --pipeline`` and
``simsales backtest`` read the pipeline open at a date from them.

Times are timestamps with a time zone (ISO 8601, e.g.
``2026-07-01T09:30:00+03:00``); a timestamp without one is read in the
export's time zone (``--tz``, default the scenario's or UTC) and the reader
says so.  Durations are seconds (``duration_s``).  Money is in the export's
currency.

Stages are MODEL.md's, in funnel order (:data:`STAGES`).  A CRM may skip
stages: an entry into a later stage implies the earlier ones on the path
(:func:`implied`), at the same time as the later entry at the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "time", "date", "clock", "str", "bool", "float", "choice"]
"""What a column holds: an identifier (read as text), a timestamp, a date
(``YYYY-MM-DD``), a clock time (``HH:MM``), free text, true/false, a number,
or one of a fixed set of values."""


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        name: the column's name in the export.
        kind: what it holds (:data:`Kind`).
        required: whether the table must have it.
        values: for ``choice``: the values allowed.
        doc: what it means, with its unit.
    """

    name: str
    kind: Kind
    required: bool = True
    values: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Table:
    """One table of an export.

    Attributes:
        name: the table's name (and its file's stem).
        columns: its columns, in the order written.
        required: whether an export must have it.
        key: the column(s) naming a row, for error messages and joins.
        doc: what a row is.
    """

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()
    doc: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


STAGES: tuple[str, ...] = (
    "assigned",
    "in_work",
    "contact",
    "qualified",
    "invoice",
    "link_sent",
    "link_filled",
    "bank_approved",
    "won",
    "lost",
)
"""MODEL.md's CRM stages (section 5), in funnel order; ``lost`` may follow any stage."""

INVOICE_PATH: tuple[str, ...] = ("assigned", "in_work", "contact", "qualified", "invoice", "won")
"""The stages of a deal paid by invoice, in order."""

INSTALLMENT_PATH: tuple[str, ...] = (
    "assigned",
    "in_work",
    "contact",
    "qualified",
    "link_sent",
    "link_filled",
    "bank_approved",
    "won",
)
"""The stages of a deal paid by installment, in order."""

LEAD_STATUSES = ("open", "won", "lost")
ROLES = ("manager", "team_lead")
CALL_KINDS = ("call", "message")
PAYMENT_KINDS = ("invoice", "installment")


def implied(stage: str, path: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The stages an entry into ``stage`` implies were entered before it (in order, itself excluded).

    Args:
        stage: a stage of :data:`STAGES` other than ``lost``.
        path: the deal's path when known (:data:`INVOICE_PATH` or
            :data:`INSTALLMENT_PATH`); by default the one that holds ``stage``
            (the invoice path for the stages both share).

    Returns:
        The earlier stages of the path.
    """
    if path is None:
        path = INSTALLMENT_PATH if stage in ("link_sent", "link_filled", "bank_approved") else INVOICE_PATH
    return path[: path.index(stage)]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "leads",
            (
                Column("lead_id", "id", doc="the lead's identifier"),
                Column("created_at", "time", doc="when the lead came in"),
                Column("channel", "str", doc="the channel (ad source) it came from"),
                Column("manager_id", "id", required=False, doc="its owner now (empty if none)"),
                Column("status", "choice", values=LEAD_STATUSES, doc="open, won or lost at the export"),
                Column(
                    "loss_reason", "str", required=False, doc="why it was lost (free text or a reason class)"
                ),
                Column("nontarget", "bool", required=False, doc="true if the lead could never buy"),
                Column("price", "float", required=False, doc="the deal's price, in the export's currency"),
            ),
            key=("lead_id",),
            doc="one row per lead",
        ),
        Table(
            "stages",
            (
                Column("lead_id", "id"),
                Column("stage", "choice", values=STAGES, doc="the stage entered"),
                Column("entered_at", "time", doc="when it was entered"),
            ),
            key=("lead_id", "stage"),
            doc="one row per stage entry",
        ),
        Table(
            "calls",
            (
                Column("lead_id", "id"),
                Column("manager_id", "id"),
                Column("started_at", "time"),
                Column("duration_s", "float", doc="talk (or dial) time, seconds"),
                Column("answered", "bool", doc="true if the person was reached"),
                Column(
                    "kind", "choice", required=False, values=CALL_KINDS, doc="call or message (default call)"
                ),
            ),
            key=("lead_id", "started_at"),
            doc="one row per call or message: the contact attempts, then the calls after contact "
            "(the presentation, the closing call)",
        ),
        Table(
            "staff",
            (
                Column("manager_id", "id"),
                Column("team_lead_id", "id", required=False, doc="their team lead (empty for a team lead)"),
                Column("role", "choice", values=ROLES),
                Column("hired_at", "date"),
                Column("left_at", "date", required=False, doc="empty if still there"),
            ),
            key=("manager_id",),
            doc="one row per person",
        ),
        Table(
            "payments",
            (
                Column("lead_id", "id"),
                Column("paid_at", "time"),
                Column("amount", "float", doc="money received, in the export's currency"),
                Column("kind", "choice", values=PAYMENT_KINDS),
                Column("refunded_at", "time", required=False),
                Column("refund_amount", "float", required=False),
            ),
            required=False,
            key=("lead_id",),
            doc="one row per payment",
        ),
        Table(
            "shifts",
            (
                Column("manager_id", "id"),
                Column("date", "date"),
                Column("start", "clock"),
                Column("end", "clock", doc="may be before start: the shift runs past midnight"),
            ),
            required=False,
            key=("manager_id", "date"),
            doc="one row per shift worked",
        ),
    )
}
"""Every table of an export, by name."""

ROW_NOUNS: dict[str, tuple[str, str]] = {
    "leads": ("lead", "leads"),
    "stages": ("stage entry", "stage entries"),
    "calls": ("call", "calls"),
    "staff": ("person", "people"),
    "payments": ("payment", "payments"),
    "shifts": ("shift", "shifts"),
}
"""What a row of each table is, for one and for any other number: ``1 stage entry``, ``12 people``."""
