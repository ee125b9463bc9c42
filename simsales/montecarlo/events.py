"""One replication's simulated CRM: every lead, stage entry, call, payment and person (MODEL.md section 10).

``simsales run FILE --events DIR`` writes one replication of one plan in
the tables of :mod:`simsales.crm.schema`, so a user's BI (or
``simsales calibrate``) reads a simulated month like a real one.

The replication is played by the **reference engine**
(:mod:`simsales.engines.des`), because it logs every event (each lead's
routing, each attempt with its result, each presentation and closing
call, each expired chain and hand-over); the fast engine returns per-lead
outcomes only.  The world is the one ``simsales run`` builds for replication ``R``
(the same resolved parameters, leads, roster and client draws, from the
same streams: :func:`simsales.montecarlo.replication.stream`), but the
dynamics are the reference engine's: its totals are a draw from the same
distribution as the run's replication ``R``, not the fast engine's
numbers for it.  What happens after an offer (invoices, links, the bank,
payments, refunds) is the shared code of :mod:`simsales.world.deals`.

The export is taken at the end of the horizon: only what happened before
it is in the tables, and a lead still in work then is ``open``.  A warm-up
(:mod:`simsales.world.warmup`) is in the tables with its true dates: the
leads created before ``start``, their calls and payments, the shifts; the
metrics (:attr:`EventRun.metrics`) count from ``start`` on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.crm.export import Export
from simsales.engines import des
from simsales.engines.contract import OFFER, Outcomes
from simsales.montecarlo.event_tables import TIME_ZONE, LogArrays, build_export
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import close_factor, lead_stream, plan_world, stream
from simsales.scenario import HiringPlan, Scenario
from simsales.scenario.uncertain import resolve
from simsales.world.deals import ClientDraws, Deals, draw_clients, settle
from simsales.world.world import World

__all__ = ["TIME_ZONE", "EventRun", "parse_log", "play", "replication_events", "simulate_events"]


class _Recorder(des._Simulation):  # the reference engine, its call lengths logged too
    """The reference engine with one more log record: the minutes of each call or dial.

    ``account`` books every call or dial (an attempt, right after its
    ``attempt`` record; a presentation call, right before its ``present``
    record; a closing call, right before its ``close`` record).  The
    recorder logs, with it, the wall-clock minutes the manager is busy (the
    call over ``talk_share`` and ramp throughput, then the event's CRM
    minutes) and the telephony's minutes (the call's base minutes over the
    ramp throughput: what a telephony log holds); nothing else changes (no
    draw, no order).
    """

    def account(self, m: int, shift_end: float, base: float, kind: str, crm: float) -> float:
        wall = super().account(m, shift_end, base, kind, crm)
        self.record("minutes", m, wall, base / self.speed(m))
        return wall


@dataclass(frozen=True)
class EventRun:
    """One replication of one plan played by the reference engine, with its event log.

    Attributes:
        world: the replication's world under the plan (resolved scenario, leads, roster).
        outcomes: what the reference engine decided.
        clients: the replication's client draws (every lead).
        deals: the plan's deals after the offers.
        metrics: :func:`simsales.montecarlo.metrics.measure` of them.
        log: the parsed event log.
        export: the simulated CRM.
    """

    world: World
    outcomes: Outcomes
    clients: ClientDraws
    deals: Deals
    metrics: dict[str, float]
    log: LogArrays
    export: Export


def _plan(scenario: Scenario, plan: HiringPlan | str | None) -> HiringPlan:
    if isinstance(plan, HiringPlan):
        return plan
    if plan is None:
        return scenario.plans[0]
    for p in scenario.plans:
        if p.name == plan:
            return p
    raise ValueError(f"no plan named {plan!r}; the scenario has {', '.join(p.name for p in scenario.plans)}")


def parse_log(log: list[tuple], n_leads: int) -> LogArrays:
    """The reference engine's log (with the ``minutes`` records of :class:`_Recorder`) as arrays.

    Args:
        log: ``(minute, kind, ...)`` records in the order they happened.
        n_leads: leads in the replication.

    Returns:
        Per attempt, per presentation call and per closing call: lead,
        manager, start (minutes from the start), wall-clock minutes, the
        telephony's minutes, and the result; per lead, the minute its chain
        expired (NaN if it did not).

    Raises:
        RuntimeError: the log does not pair each call with its minutes
            (the reference engine changed what it logs).
    """
    calls: list[list] = []
    presents: list[tuple] = []
    closes: list[tuple] = []
    expired = np.full(n_leads, np.nan)
    assigned_to = np.full(n_leads, -1, dtype=np.int64)
    pending: tuple[float, float] | None = None  # the minutes logged just before a presentation or closing
    last_attempt: int | None = None  # index into calls awaiting its minutes
    for rec in log:
        kind = rec[1]
        if kind == "attempt":
            t, _, lead, m, k, contact = rec
            calls.append([lead, m, t, np.nan, np.nan, k, contact])
            last_attempt = len(calls) - 1
        elif kind == "minutes":
            if last_attempt is not None:
                if calls[last_attempt][1] != rec[2]:
                    raise RuntimeError(f"engine log: an attempt's minutes by another manager: {rec}")
                calls[last_attempt][3:5] = rec[3], rec[4]
                last_attempt = None
            else:
                pending = (rec[3], rec[4])
        elif kind in ("present", "close"):
            if pending is None:
                raise RuntimeError(f"engine log: a {kind} call without its minutes: {rec}")
            if kind == "present":
                t, _, lead, m, offer = rec
                presents.append((lead, m, t, *pending, offer))
            else:
                t, _, lead, m = rec
                closes.append((lead, m, t, *pending))
            pending = None
        elif kind == "assign":
            assigned_to[rec[2]] = rec[3]
        elif kind == "expire" and np.isnan(expired[rec[2]]):
            expired[rec[2]] = rec[0]
        if kind not in ("attempt", "minutes") and last_attempt is not None:
            raise RuntimeError(f"engine log: an attempt without its minutes before {rec}")
    a = np.array(calls, dtype=float).reshape(-1, 7)
    p = np.array(presents, dtype=float).reshape(-1, 6)
    c = np.array(closes, dtype=float).reshape(-1, 5)
    return LogArrays(
        call_lead=a[:, 0].astype(np.int64), call_manager=a[:, 1].astype(np.int64), call_start=a[:, 2],
        call_minutes=a[:, 3], call_talk=a[:, 4], call_k=a[:, 5].astype(np.int64),
        call_answered=a[:, 6].astype(bool),
        present_lead=p[:, 0].astype(np.int64), present_manager=p[:, 1].astype(np.int64),
        present_start=p[:, 2], present_minutes=p[:, 3], present_talk=p[:, 4],
        present_offer=p[:, 5].astype(bool),
        close_lead=c[:, 0].astype(np.int64), close_manager=c[:, 1].astype(np.int64), close_start=c[:, 2],
        close_minutes=c[:, 3], close_talk=c[:, 4],
        assigned_to=assigned_to, expired=expired,
    )


def simulate_events(scenario: Scenario, plan: HiringPlan | str | None = None, replication: int = 0,
                    seed: int | None = None, *, id_prefix: str = "") -> EventRun:
    """Play replication ``replication`` of ``plan`` with the reference engine and log every event.

    The world comes from the streams ``simsales run`` uses for that
    replication (:func:`simsales.montecarlo.replication.replicate`), so
    ``replicate(scenario, [plan], replication, seed, "des")`` measures the
    same numbers as :attr:`EventRun.metrics`.

    Args:
        scenario: the validated scenario (uncertain values not drawn yet).
        plan: the hiring plan, or its name (None: the scenario's first).
        replication: the replication's number (0-based).
        seed: the run's seed (None: the scenario's).
        id_prefix: put before every lead and person id (to concatenate several replications).

    Returns:
        The world, the outcomes, the deals, their metrics, the log and the export.
    """
    the_plan = _plan(scenario, plan)
    seed = scenario.seed if seed is None else seed
    resolved = resolve(scenario, stream(seed, replication, "params"))
    leads, warmup = lead_stream(resolved, seed, replication)
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, replication, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    world = plan_world(resolved, leads, the_plan, seed, replication, warmup)
    run = play(world, clients, stream(seed, replication, "dynamics"), id_prefix=id_prefix)
    run.export.notes.append(
        f"simulated: {scenario.name}, plan {the_plan.name}, replication {replication}, seed {seed}, "
        f"played by the reference engine (a draw from the same distribution as the run's replication "
        f"{replication}, not the fast engine's numbers for it); times in {TIME_ZONE}, minute 0 at 00:00 "
        f"of {world.scenario.start}")
    if warmup:
        run.export.notes.append(
            f"warm-up: the {warmup} days before {scenario.start} were played with the starting team and "
            f"are in the tables with their true dates (leads, calls, payments, shifts); the run's metrics "
            f"count from {scenario.start} on")
    return run


def play(world: World, clients: ClientDraws, rng: np.random.Generator, *, id_prefix: str = "") -> EventRun:
    """Play one world with the reference engine, logging every event, and settle its deals.

    Args:
        world: the resolved scenario, its leads and one plan's roster.
        clients: the client draws of the world's leads.
        rng: the dynamics stream.
        id_prefix: put before every lead and person id.

    Returns:
        The world, the outcomes, the deals, their metrics, the log and the export.
    """
    funnel = world.scenario.funnel
    log: list[tuple] = []
    out = _Recorder(world, rng, log).run()
    offers = np.where(out.end == OFFER, out.offer_time, np.nan)
    deals = settle(funnel, clients, offers, close_factor(world, out), out.closing_due, out.closing_time)
    metrics, _ = measure(world, out, deals)
    arrays = parse_log(log, len(world.leads))
    del log
    export = build_export(world, out, clients, deals, arrays, id_prefix=id_prefix)
    return EventRun(world, out, clients, deals, metrics, arrays, export)


def replication_events(scenario: Scenario, plan: HiringPlan | str | None = None,
                       replication: int = 0, seed: int | None = None) -> Export:
    """One replication's simulated CRM, in the tables of :mod:`simsales.crm.schema`.

    Args:
        scenario: the validated scenario.
        plan: the hiring plan, or its name (None: the scenario's first).
        replication: the replication's number (0-based).
        seed: the run's seed (None: the scenario's).

    Returns:
        The export: leads, stages, calls, staff, payments and shifts, times
        in UTC (the scenario has no time zone: minute 0 is 00:00 UTC of ``start``).
    """
    return simulate_events(scenario, plan, replication, seed).export
