"""The backtest's weekly numbers: what happened in an export, and what one forecast replication says.

Counted by when things happen (:mod:`simsales.analysis.backtest` says
why): a lead in the week it was created, a contact at the start of the
answered call, a qualified lead at its contact call in the simulation (at
the call's end in an export), a total invoice when the invoice was issued
or the installment link filled, a won deal when it was paid, net revenue as
the money paid less the refunds in the week.  Weeks start on the first
forecast day at midnight in the export's time zone; the last may be short.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simsales.crm.export import Export
from simsales.crm.pipeline import OpenLeads
from simsales.engines import get_engine
from simsales.engines.contract import QUALIFIED, ReplicationCache
from simsales.montecarlo.replication import lead_stream, pipeline_start, plan_world, settled, stream
from simsales.scenario import Scenario
from simsales.scenario.uncertain import resolve
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.deals import draw_clients

__all__ = ["BACKTEST_METRICS", "BacktestError", "actual_weeks", "export_days", "forecast_weeks", "week_edges"]

BACKTEST_METRICS: dict[str, str] = {
    "leads": "leads created",
    "contacts": "leads reached (the answered call)",
    "qualified": "leads qualified",
    "total_invoices": "invoices issued + installment links filled",
    "won": "deals paid",
    "revenue_net": "money paid less refunds",
}
"""What the backtest compares, per week, and what each counts."""


class BacktestError(ValueError):
    """A backtest that cannot be made from this export and these options (the message says why)."""


def week_edges(first: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """The forecast's weeks: ``[first + 7w, min(first + 7w + 7, first + days))``."""
    out = []
    for start in range(0, days, 7):
        out.append((first + dt.timedelta(days=start), first + dt.timedelta(days=min(start + 7, days))))
    return out


def export_days(export: Export) -> tuple[dt.date, dt.date]:
    """The first and last day the export has data on (the first lead; the last lead, stage, call or payment).

    Args:
        export: the export.

    Returns:
        ``(first, last)`` in the export's time zone.

    Raises:
        BacktestError: the export has no lead.
    """
    created = export.leads["created_at"].dropna()
    if created.empty:
        raise BacktestError("the export has no lead with a creation time")
    ends = [created.max(), export.stages["entered_at"].max(), export.calls["started_at"].max()]
    if export.payments is not None and len(export.payments):
        ends.append(export.payments["paid_at"].max())
    last = max(t for t in ends if pd.notna(t))
    return created.min().tz_convert(export.tz).date(), last.tz_convert(export.tz).date()


def _count(times: pd.Series, edges_ns: np.ndarray, weights: pd.Series | None = None) -> np.ndarray:
    t = times.dropna()
    w = None if weights is None else weights.loc[t.index].fillna(0.0).to_numpy(dtype=float)
    ns = t.dt.tz_convert("UTC").dt.as_unit("ns").array.asi8 if len(t) else np.zeros(0, dtype=np.int64)
    return np.histogram(ns, bins=edges_ns, weights=w)[0].astype(float)


def actual_weeks(export: Export, weeks: list[tuple[dt.date, dt.date]]) -> dict[str, np.ndarray]:
    """What happened in each week, from the export (see the module docstring for what counts when).

    Args:
        export: the export (stages with the implied entries, as the reader gives them).
        weeks: per week, its first day and the day after its last (in the export's time zone).

    Returns:
        Metric -> per week; net revenue is NaN per week if the export has no payments.
    """
    bounds = [weeks[0][0]] + [after for _, after in weeks]
    edges = np.array([pd.Timestamp(d).tz_localize(export.tz).tz_convert("UTC").value for d in bounds],
                     dtype=np.int64)
    st = export.stages

    def stage(*names: str) -> np.ndarray:
        return _count(st.loc[st["stage"].isin(names), "entered_at"], edges)

    out = {
        "leads": _count(export.leads["created_at"], edges),
        "contacts": stage("contact"),
        "qualified": stage("qualified"),
        "total_invoices": stage("invoice", "link_filled"),
        "won": stage("won"),
    }
    pay = export.payments
    if pay is None:
        out["revenue_net"] = np.full(len(weeks), np.nan)
    else:
        refunds = pay["refund_amount"].where(pay["refunded_at"].notna(), 0.0)
        out["revenue_net"] = (_count(pay["paid_at"], edges, pay["amount"])
                              - _count(pay["refunded_at"], edges, refunds))
    return out


def forecast_weeks(scenario: Scenario, replication: int, seed: int, n_weeks: int, days: int,
                   engine: str = "fast", open_leads: OpenLeads | None = None) -> dict[str, np.ndarray]:
    """One forecast replication of the scenario's first plan, counted per forecast week.

    The replication's world is the run's (:mod:`simsales.montecarlo.replication`), its warm-up
    included; everything is counted by when it happens from the scenario's ``start`` on, the
    pipeline of the warm-up's leads included.

    Args:
        scenario: the scenario to simulate; its ``start`` is the first forecast day.
        replication: the replication (0-based).
        seed: the seed.
        n_weeks: forecast weeks.
        days: forecast days (the last week may be short).
        engine: ``fast`` (the default) or ``des``.
        open_leads: the leads open at ``start`` to start from (None: the
            scenario's own start, its ``pipeline:`` or its warm-up).

    Returns:
        Metric -> per week.
    """
    resolved = resolve(scenario, stream(seed, replication, "params"))
    pipeline = pipeline_start(resolved, seed, replication, open_leads)
    leads, warmup = lead_stream(resolved, seed, replication, pipeline)
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, replication, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    world = plan_world(resolved, leads, scenario.plans[0], seed, replication, warmup, pipeline)
    out = get_engine(engine)(world, stream(seed, replication, "dynamics"), cache=ReplicationCache())
    deals = settled(resolved, clients, world, out, pipeline)
    day_edges = [min(7 * w, days) for w in range(n_weeks + 1)]
    edges = world.origin_minutes + np.array(day_edges, dtype=float) * MINUTES_PER_DAY

    def count(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        keep = ~np.isnan(times)
        w = None if weights is None else weights[keep]
        return np.histogram(times[keep], bins=edges, weights=w)[0].astype(float)

    qualified = np.isin(out.end, QUALIFIED)
    return {
        "leads": count(leads.created),
        "contacts": count(out.contact),
        "qualified": count(np.where(qualified, out.contact, np.nan)),
        "total_invoices": count(deals.counted_at),
        "won": count(deals.paid_at),
        "revenue_net": count(deals.paid_at, deals.gross) - count(deals.refund_at, deals.gross),
    }
