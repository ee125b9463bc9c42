"""One replication of every plan: the model's pipeline, top to bottom (MODEL.md section 8).

Every replication ``r`` has its own random streams, addressed by
``SeedSequence(seed, spawn_key=(r, purpose))`` (:func:`stream`): no stream
depends on how replications are batched or on how many workers run them,
so the same seed gives the same numbers everywhere.  Within a replication
every plan sees the same uncertain parameters, the same leads and the same
per-lead and per-manager draws (common random numbers), so plan
differences are not drowned in noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simsales.crm.pipeline import OpenLeads
from simsales.engines import get_engine
from simsales.engines.contract import OFFER, Outcomes, ReplicationCache
from simsales.montecarlo.metrics import measure
from simsales.scenario import HiringPlan, Scenario
from simsales.scenario.uncertain import resolve
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.arrivals import Leads, generate_leads
from simsales.world.deals import ClientDraws, Deals, draw_clients, settle
from simsales.world.pipeline import PipelineStart, joined_deals, opened, pipeline_world, start_from
from simsales.world.roster import build_roster
from simsales.world.warmup import warm_world, warmup_of
from simsales.world.world import World

__all__ = ["STREAMS", "RepResult", "lead_stream", "pipeline_start", "plan_world", "replicate", "settled",
           "stream"]

STREAMS = {"params": 0, "arrivals": 1, "team": 2, "dynamics": 3, "deals": 4, "absence": 5, "pipeline": 6}
"""The purposes of a replication's random streams, and their numbers in the spawn key."""

RepResult = dict[str, tuple[dict[str, float], dict[str, np.ndarray]]]
"""One replication's results: plan name -> (metrics, series), as :func:`measure` gives them."""


def stream(seed: int, replication: int, purpose: str) -> np.random.Generator:
    """The random stream of one replication for one purpose.

    Args:
        seed: the run's seed.
        replication: the replication's number (0-based).
        purpose: a key of :data:`STREAMS`.

    Returns:
        A generator that depends on these three alone.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, STREAMS[purpose])))


def close_factor(world: World, out: Outcomes) -> np.ndarray | None:
    """Per lead, the owner's factor on the payment chance (``team.skill_weights.close``).

    The owner's skill x ramp x team factor on the day of the offer, raised
    to the close weight; for an offer with a closing call, that of the
    manager who made it, on the day the call ended.  None when the weight
    is 0 (the factor is 1).

    Args:
        world: the replication's world under one plan.
        out: what the engine decided (owners, offer times).

    Returns:
        ``(N,)`` factors (1 where no offer), or None.
    """
    weight = world.scenario.team.skill_weights.close
    if weight == 0:
        return None
    roster = world.roster
    factor = np.ones(len(out.offer_time))
    rows = np.flatnonzero(~np.isnan(out.offer_time) & (out.manager >= 0))
    day = np.minimum((out.offer_time[rows] // MINUTES_PER_DAY).astype(np.int64), roster.n_days - 1)
    factor[rows] = roster.conversion[out.manager[rows], day] ** weight
    closed = np.flatnonzero(out.closer >= 0)  # a closing call: its maker's factor on its day
    day = np.minimum((out.closing_time[closed] // MINUTES_PER_DAY).astype(np.int64), roster.n_days - 1)
    factor[closed] = roster.conversion[out.closer[closed], day] ** weight
    return factor


def pipeline_start(resolved: Scenario, seed: int, replication: int,
                   open_leads: OpenLeads | None = None) -> PipelineStart | None:
    """The replication's open pipeline at ``start`` (:mod:`simsales.world.pipeline`), or None.

    Args:
        resolved: the scenario with its uncertain values drawn.
        seed: the run's seed.
        replication: the replication's number (0-based).
        open_leads: the leads open at ``start`` (None: the scenario's
            ``pipeline:`` export, read once per process; none: no pipeline).

    Returns:
        How the open leads enter this replication, or None without a pipeline.
    """
    open_leads = open_leads if open_leads is not None else opened(resolved)
    if open_leads is None:
        return None
    return start_from(resolved, open_leads, stream(seed, replication, "pipeline"))


def lead_stream(resolved: Scenario, seed: int, replication: int,
                pipeline: PipelineStart | None = None) -> tuple[Leads, int]:
    """The replication's leads, from the warm-up's first day, and the warm-up's length.

    Args:
        resolved: the scenario with its uncertain values drawn.
        seed: the run's seed.
        replication: the replication's number (0-based).
        pipeline: the open pipeline (:func:`pipeline_start`; None: none).

    Returns:
        ``(leads, warmup)``: every lead from ``start - warmup`` to the
        horizon's end (minutes from 00:00 of ``start - warmup``), and the
        warm-up in days (:func:`simsales.world.warmup.warmup_of`; 0 with a
        pipeline, whose leads come first, created before minute 0).
    """
    warmup = 0 if pipeline is not None else warmup_of(resolved)
    leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                           stream(seed, replication, "arrivals"), before=warmup)
    return (leads if pipeline is None else pipeline.joined(leads)), warmup


def plan_world(resolved: Scenario, leads: Leads, plan: HiringPlan, seed: int, replication: int,
               warmup: int = 0, pipeline: PipelineStart | None = None) -> World:
    """The world of one plan in one replication: its roster, days away included, with the leads.

    Args:
        resolved: the scenario with its uncertain values drawn.
        leads: the replication's lead stream (from ``start - warmup``, :func:`lead_stream`).
        plan: the hiring plan.
        seed: the run's seed.
        replication: the replication's number (0-based).
        warmup: days played before ``start``, as the leads were drawn (0: a cold start).
        pipeline: the open pipeline the leads start with (None: none).

    Returns:
        The world the engines read (with the warm-up, :mod:`simsales.world.warmup`;
        with a pipeline, :func:`simsales.world.pipeline.pipeline_world`).
    """
    # Roster: the team under this plan, day by day: hires, ramp, attrition (section 6).
    roster = build_roster(resolved, plan, stream(seed, replication, "team"))
    # Absence: days away, keyed by manager and day, the same under every plan (section 1);
    # the warm-up: the team as it is on the first day, played before it (section 1).
    key = int(stream(seed, replication, "absence").integers(2**63))
    if pipeline is not None:
        return pipeline_world(resolved, leads, roster, pipeline, key)
    return warm_world(resolved, leads, roster, warmup, key)


def settled(resolved: Scenario, clients: ClientDraws, world: World, out: Outcomes,
            pipeline: PipelineStart | None = None) -> Deals:
    """The plan's deals: the clients' draws applied to its offers, then the open pipeline's own deals.

    Args:
        resolved: the resolved scenario.
        clients: the replication's client draws (one per lead).
        world: the plan's world.
        out: what the engine decided.
        pipeline: the open pipeline (its deals past the offer are added; None: none).

    Returns:
        One row per deal.
    """
    offer_time = np.where(out.end == OFFER, out.offer_time, np.nan)
    deals = settle(resolved.funnel, clients, offer_time, close_factor(world, out), out.closing_due,
                   out.closing_time)
    return deals if pipeline is None else joined_deals(deals, pipeline.deals)


def replicate(scenario: Scenario, plans: Sequence[HiringPlan], replication: int,
              seed: int, engine: str) -> RepResult:
    """One replication of every plan.

    Args:
        scenario: the validated scenario (uncertain values not drawn yet).
        plans: the hiring plans to run, in order.
        replication: the replication's number (0-based).
        seed: the run's seed.
        engine: ``"fast"`` or ``"des"``.

    Returns:
        Plan name -> (metrics, series), see :func:`simsales.montecarlo.metrics.measure`.
    """
    simulate = get_engine(engine)
    # Resolve: draw every uncertain parameter once, for all plans (section 8).
    resolved = resolve(scenario, stream(seed, replication, "params"))
    # Leads: the lead stream does not depend on the plan (section 2), from the warm-up's first day;
    # or the leads open at start in a CRM export, then the horizon's (section 1).
    pipeline = pipeline_start(resolved, seed, replication)
    leads, warmup = lead_stream(resolved, seed, replication, pipeline)
    # Clients: what each lead's client and bank would do with an offer (sections 5 and 7);
    # plan-independent, so drawn once (as close_deals would).
    clients = draw_clients(resolved.funnel, len(leads), stream(seed, replication, "deals"),
                           channels=resolved.channels, lead_channel=leads.channel)
    # What the engine may keep from one plan to the next of this replication (a pure saving).
    cache = ReplicationCache()
    results: RepResult = {}
    for plan in plans:
        # World: everything exogenous to the managers' time, the team under this plan included.
        world = plan_world(resolved, leads, plan, seed, replication, warmup, pipeline)
        # Engine: routing, the touch chain, the calls (sections 3 to 5).
        out = simulate(world, stream(seed, replication, "dynamics"), cache=cache)
        # Deals: the clients' draws applied to this plan's offers (sections 5 and 7).
        deals = settled(resolved, clients, world, out, pipeline)
        # Metrics: what every run answers (section 9).
        results[plan.name] = measure(world, out, deals)
    return results
