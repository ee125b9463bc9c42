"""The fast engine: the reference engine's rules, compiled.

Same inputs and outputs as :mod:`simsales.engines.des` (a World in,
Outcomes out) and the same rules, which that module states and
:mod:`~simsales.engines.fast.chain`, :mod:`~simsales.engines.fast.dispatch`
and :mod:`~simsales.engines.fast.routing` compile.  Two loops run them:
:mod:`~simsales.engines.fast.split` (each manager alone between leaves) for
routing that never looks at the queues (``SPLIT_POLICIES``), and
:mod:`~simsales.engines.fast.loop` (one event loop) for the rest.  Here only
the preparation around them:

* per-lead draws that need the scenario's distribution objects (contact
  call, presentation call and client delay) are drawn with numpy before
  the loop, one of each per lead;
* uniforms (contact, qualification, offer, weighted routing) come from a
  counter-based generator keyed by lead and step, so a lead meets the same
  luck under every plan (common random numbers);
* routing candidates are precomputed per segment of time between shift
  boundaries (:func:`~simsales.engines.fast.routing.routing_segments`),
  with the segments flagged where probation may have changed the team
  (:func:`~simsales.engines.fast.routing.presence`);
* the probation inputs (:func:`simsales.engines.probation.read_probation`)
  become a per-manager table and the list of decisions in order;
* the per-lead draws are kept in the replication's cache for its next plan,
  and a run whose task lists overflow is repeated with longer ones: both
  are pure savings (the numbers do not change).

The random streams differ from the reference engine's, so the two agree in
distribution, not draw for draw (docs/engines.md; tests/test_engine_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import simsales.engines.fast.cache as compiled_cache
import simsales.engines.fast.chain as fast_chain
import simsales.engines.fast.loop as fast_loop
import simsales.engines.fast.queues as fast_queues
import simsales.engines.fast.split as fast_split
from simsales.engines.booked import closing_args, cooling_args, presentation_limit
from simsales.engines.contract import Outcomes, ReplicationCache
from simsales.engines.fast.limits import PICK_HEAD
from simsales.engines.fast.queues import MAX_LEADS
from simsales.engines.fast.routing import RULES, pack_routing, presence, routing_segments
from simsales.engines.fast.tables import (
    ACTIVE_STOP,
    CALL_MIN,
    CLOSE_DELAY,
    CLOSE_MIN,
    CONTACT_F,
    CREATED,
    DECIDE_AT,
    DELAY_MIN,
    ENTRY_DUE,
    ENTRY_OWNER,
    EXPIRY,
    FIRE_CHANCE,
    FIRE_DRAW,
    P_QUALIFY,
    PRESENT_MIN,
)
from simsales.engines.probation import Probation, read_probation
from simsales.scenario import Scenario
from simsales.scenario.distributions import Distribution
from simsales.scenario.policies import (
    BOOKED,
    FIRST,
    FOLLOWUP,
    POLICY_CODES,
    ROUTING_POLICIES,
    priority_classes,
)
from simsales.scenario.uncertain import value
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.arrivals import Leads
from simsales.world.contact import decay_args
from simsales.world.roster import Roster
from simsales.world.shifts import block_end, handover_moments, routing_windows
from simsales.world.world import World

__all__ = ["POLICIES", "SPLIT_POLICIES", "LeadDraws", "manager_days", "pack_routing", "routing_segments",
           "simulate"]

# numba would not notice an edit of the rules alone: drop cached code made from other sources.
compiled_cache.forget_if_stale(compiled_cache.cache_dirs((fast_loop.run_loop, fast_split.run_split)))

POLICIES: dict[str, int] = dict(POLICY_CODES)
"""Routing policy name -> the code the compiled loops switch on (the one table's)."""
SPLIT_POLICIES: tuple[str, ...] = tuple(p.name for p in ROUTING_POLICIES if not p.reads_queues)
"""Policies that route without looking at the queues: each manager can run alone (fast_split)."""
FIRST_ROOM_PER_LEAD = 16
"""First guess of a task list's room, per lead a manager holds within lead_ttl (a hint only).

With 8, the first plan of about one replication in three of q3 (and of every
one with 80 managers or more) overflowed: an overloaded manager's follow-ups
pile up to several times their share, and the plan ran twice."""


@dataclass(frozen=True)
class LeadDraws:
    """The per-lead draws of one replication, and what they were drawn from.

    Every plan of a replication draws the same ones (the same leads,
    scenario and stream), so the replication's cache keeps them for the next
    plan: a pure saving.

    Attributes:
        leads: the lead stream they were drawn for.
        scenario: the resolved scenario they were drawn from.
        state_before: the dynamics stream's state before drawing.
        table: the loops' lead table ``(N, 11)``, columns tables.CREATED ... EXPIRY.
        seed: the seed of the loops' uniforms.
        state_after: the stream's state after drawing.
    """

    leads: Leads
    scenario: Scenario
    state_before: dict
    table: np.ndarray
    seed: np.uint64
    state_after: dict


def simulate(world: World, rng: np.random.Generator, *, cache: ReplicationCache | None = None,
             loop: Callable[..., int] | None = None) -> Outcomes:
    """Run the fast engine on one replication of one plan.

    Args:
        world: the resolved scenario, its lead stream and roster.
        rng: this replication's stream for the dynamics.
        cache: what the replication's earlier plans left (the per-lead draws,
            the room the task lists needed); updated in place.  None: start
            from nothing.
        loop: the compiled loop to call with the prepared arguments (default:
            the routing policy's); :mod:`simsales.engines.fast.ahead` passes
            loops that only compile a part of ``split.run_split``.

    Returns:
        What happened to every lead and manager.

    Raises:
        ValueError: more leads than the engine can number (``MAX_LEADS``), or
            a routing policy the compiled rules do not know.
    """
    cache = ReplicationCache() if cache is None else cache
    sc, leads, roster = world.scenario, world.leads, world.roster
    n, m = len(leads), roster.n_managers
    if n > MAX_LEADS:
        raise ValueError(f"the fast engine takes up to {MAX_LEADS} leads per replication, got {n}")
    if POLICIES.get(sc.routing.policy) not in RULES:
        raise ValueError(f"the fast engine has no rule for routing policy {sc.routing.policy!r}")
    chain = sc.touch_chain
    since = np.full(n, np.nan)  # per lead, when its presentation was booked (NaN: none queued)
    if n == 0 or m == 0:
        out = Outcomes.empty(n, m).entered(leads)
    else:
        probation = read_probation(roster, sc.horizon_minutes)
        draws, (team, chain_args, (rf, ri, new_count), params, seed) = _arguments(world, rng, cache,
                                                                                   probation)
        md, leavers, leave_at, decisions, pf, standby, handover = team
        pick_w, pick_i = np.empty(m), np.empty(PICK_HEAD + 2 * m, np.int64)  # limits.eligible's cache
        if loop is None:
            loop = fast_split.run_split if sc.routing.policy in SPLIT_POLICIES else fast_loop.run_loop
        target = np.ascontiguousarray(leads.target, dtype=np.bool_)
        room = cache.task_room or _first_room(world)
        while True:  # rerun with longer task lists if one overflowed (same numbers)
            out = Outcomes.empty(n, m).entered(leads)
            since[:] = np.nan
            if leads.n_entries:  # a presentation from the pipeline: booked (cooling) from the start
                since[:leads.n_entries][leads.entry.attempt < 0] = 0.0
            state = _fresh_state(world, room, probation)
            new_count[:] = 0  # the new leads per manager and day: a rerun counts them anew
            pick_i[:PICK_HEAD] = -1  # limits.eligible's cache: empty
            # The loop writes the probation table and the routing's until: fresh copies if it may.
            fresh = (lambda a: a) if probation.inert else np.copy
            roster_args = (md, leavers, leave_at, (decisions, fresh(pf), standby, out.fired), handover)
            if not loop((draws, target, leads.first_steps(len(chain.offsets)), since), roster_args,
                        chain_args,
                        (fresh(rf), ri, new_count, pick_w, pick_i), params, seed, state,
                        (out.manager, out.attempts, out.first_attempt, out.contact, out.end, out.offer_time,
                         out.handovers, out.closing_due, out.closing_time, out.closer)):
                break
            room *= 4
        cache.task_room = room
        mf = state[0]
        out.busy_minutes[:] = mf[:, fast_queues.BUSY_MINUTES]
        out.talk_minutes[:] = mf[:, fast_queues.TALK_MIN]
        out.dial_minutes[:] = mf[:, fast_queues.DIAL_MIN]
        out.crm_minutes[:] = mf[:, fast_queues.CRM_MIN]
        out.overtime_minutes[:] = mf[:, fast_queues.OVERTIME_MIN]
        out.attempts_made[:] = state[1][:, fast_queues.ATTEMPTS_MADE]
    fast_chain.expire_at_horizon(np.ascontiguousarray(leads.created, dtype=float), out.end,
                                 float(chain.lead_ttl), float(sc.horizon_minutes), since,
                                 presentation_limit(sc.funnel))
    return out


def _first_room(world: World) -> int:
    """A first guess of the room per task list: a power of two, at least 64.

    ``FIRST_ROOM_PER_LEAD`` times the leads a manager holds at once if they
    share the leads evenly and keep each for ``lead_ttl``.  A hint only: a
    plan that needs more reruns with more, and the numbers do not depend on it.
    """
    sc = world.scenario
    alive = min(1.0, sc.touch_chain.lead_ttl / sc.horizon_minutes)
    per_manager = len(world.leads) * alive / max(1, world.roster.n_managers)
    room = 64
    while room < FIRST_ROOM_PER_LEAD * per_manager:
        room *= 2
    return room


def _per_lead(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of a scenario distribution, as a float array."""
    return np.asarray(dist.sample(rng, n), dtype=float).reshape(n)


def _lead_draws(world: World, rng: np.random.Generator,
                cache: ReplicationCache) -> tuple[np.ndarray, np.uint64]:
    """Per lead: creation, qualify chance, call, presentation, delay, contact factor, entry; the seed.

    Reuses the cache's draws if they were made from the same leads,
    scenario and stream state (and moves the stream past them).
    """
    before = rng.bit_generator.state
    kept = cache.lead_draws
    if (isinstance(kept, LeadDraws) and kept.leads is world.leads and kept.scenario is world.scenario
            and kept.state_before == before):
        rng.bit_generator.state = kept.state_after
        return kept.table, kept.seed
    sc, leads = world.scenario, world.leads
    n = len(leads)
    chain, funnel = sc.touch_chain, sc.funnel
    quality = np.array([value(c.quality) for c in sc.channels])
    factor = np.array([value(c.contact_factor) for c in sc.channels], dtype=float)
    cols = np.zeros((11, n))  # the loops' lead table by column (tables.CREATED ... EXPIRY), then by lead
    cols[CREATED] = leads.created
    cols[P_QUALIFY] = value(funnel.qualify) * quality[leads.channel]  # the manager's factor comes later
    cols[CALL_MIN] = _per_lead(chain.call_minutes, rng, n)
    cols[PRESENT_MIN] = _per_lead(funnel.offer.call_minutes, rng, n)
    cols[DELAY_MIN] = _per_lead(funnel.offer.delay_days, rng, n) * MINUTES_PER_DAY
    cols[CONTACT_F] = factor[leads.channel] * leads.reachable_mask()
    cols[ENTRY_DUE], cols[ENTRY_OWNER] = np.nan, -1.0  # a new lead; then the pipeline's entries
    cols[EXPIRY] = leads.created + chain.lead_ttl
    if leads.entry is not None:
        cols[ENTRY_DUE, : leads.n_entries] = leads.entry.due
        cols[ENTRY_OWNER, : leads.n_entries] = leads.entry.owner
        cols[EXPIRY, : leads.n_entries][leads.entry.attempt < 0] = np.inf  # a presentation: no lead_ttl
    seed = np.uint64(rng.integers(0, 2**63))
    if chain.nontarget_call_minutes is not None:  # drawn last: no other draw moves
        short = _per_lead(chain.nontarget_call_minutes, rng, n)
        cols[CALL_MIN] = np.where(leads.target, cols[CALL_MIN], short)
    closing = funnel.closing
    if closing.share > 0:  # drawn last, and only if needed: no other draw moves
        cols[CLOSE_MIN] = _per_lead(closing.call_minutes, rng, n)
        cols[CLOSE_DELAY] = _per_lead(closing.delay_days, rng, n) * MINUTES_PER_DAY
    # One copy to a row per lead (numpy reads the 11 columns as 11 streams): writing the by-lead table
    # a column at a time touched each of its cache lines once per column, 11 passes over 29 MB with
    # 250 managers.
    draws = np.ascontiguousarray(cols.T)
    cache.lead_draws = LeadDraws(leads, sc, before, draws, seed, rng.bit_generator.state)
    return draws, seed


def _arguments(world: World, rng: np.random.Generator, cache: ReplicationCache,
               probation: Probation) -> tuple:
    """The per-lead draws, and the loop's other inputs ``(team, chain, routing, params, seed)``.

    ``team`` is ``(md, leavers, leave_at, decisions, pf, standby, handover)``: see
    loop.run_loop's ``roster`` (``pf`` is the probation table before the run).
    """
    sc, roster = world.scenario, world.roster
    chain, funnel = sc.touch_chain, sc.funnel
    price = funnel.price
    draws, seed = _lead_draws(world, rng, cache)
    md = manager_days(roster, sc)
    stop = _stop(world)
    leaving = np.flatnonzero((stop > 0) & (stop < sc.horizon_minutes))
    leavers = leaving[np.argsort(stop[leaving], kind="stable")].astype(np.int64)
    pf = np.zeros((roster.n_managers, 5))  # tables.DECIDE_AT ... BEGIN
    pf[:, DECIDE_AT], pf[:, FIRE_DRAW], pf[:, FIRE_CHANCE] = (probation.end, probation.fire_draw,
                                                              probation.fire_chance)
    pf[:, ACTIVE_STOP] = stop
    after = sc.routing.handover_after_hours
    handover = (np.empty(0), np.empty(0, np.int64), np.empty(0)) if after is None else handover_moments(
        roster.shift_start, roster.shift_end, after * 60.0, sc.horizon_minutes)
    team = (md, leavers, stop[leavers], probation.decisions, pf, probation.standby_of, handover)
    steps = np.array([list(chain.offsets),
                      [value(chain.contact_chance(k)) for k in range(len(chain.offsets))]])
    decay_kind, half_life, floor, decay_table = decay_args(chain.decay)
    crm, rt = sc.team.crm_minutes, sc.routing
    classes = priority_classes(chain.priority)
    limits = rt.max_new_per_day is not None or rt.ramp_share < 1.0
    params = np.array([
        sc.horizon_minutes, chain.lead_ttl, chain.dial_minutes, value(sc.team.talk_share),
        value(funnel.offer.p) * (1.0 + price.change) ** price.elasticity,
        half_life, floor, POLICIES[rt.policy], classes[FIRST], decay_kind,
        probation.bar,
        crm.attempt, crm.contact, crm.offer, -1 if rt.max_new_per_day is None else rt.max_new_per_day,
        limits, limits or rt.min_shift_left > 0, classes[BOOKED], classes[FOLLOWUP], len(chain.offsets),
        *cooling_args(funnel)[:3], presentation_limit(funnel), *closing_args(funnel), world.origin_minutes,
    ], dtype=float)
    weighted = rt.policy == "weighted"
    windows = routing_windows(roster.shift_start, roster.shift_end, rt.min_shift_left, sc.horizon_minutes)
    segments = routing_segments(roster, weighted, windows)
    present = None
    if not probation.inert:
        changes_at = np.full(roster.n_managers, np.inf)
        changes_at[probation.decisions] = probation.end[probation.decisions]
        weight = roster.throughput * roster.skill[:, None] if weighted else None
        present = presence(segments, changes_at, probation.standby_for >= 0, weight)
    rf, ri = pack_routing(segments, present)
    new_count = np.zeros(roster.shift_start.shape if limits else (1, 1), np.int64)  # per manager and day
    return draws, (team, (steps, decay_table), (rf, ri, new_count), params, seed)


def manager_days(roster: Roster, scenario: Scenario | None = None) -> np.ndarray:
    """The loops' per-manager-day table.

    Args:
        roster: the plan's roster.
        scenario: the resolved scenario (skill weights, ramp share); None: their defaults.

    Returns:
        ``(M, days, 9)``, columns tables.SHIFT_START ... RAMP_SHARE: shift
        start and end (minutes), throughput, the factor on the offer, the
        first day on or after each one with a shift (the number of days if
        none), the end of the block of shifts (minutes), the factor on
        qualification, weighted routing's weight and the ramp share.
    """
    n_days = roster.shift_start.shape[1]
    day = np.where(roster.shift_end > roster.shift_start, np.arange(n_days), n_days)
    next_shift_day = np.minimum.accumulate(day[:, ::-1], axis=1)[:, ::-1].astype(float)
    w_qualify, w_offer, ramp_share = 0.0, 1.0, 1.0
    if scenario is not None:
        weights = scenario.team.skill_weights
        w_qualify, w_offer, ramp_share = weights.qualify, weights.offer, scenario.routing.ramp_share
    route_w = roster.throughput * roster.skill[:, None]
    share = np.where(roster.ramping, ramp_share, 1.0)
    return np.stack([roster.shift_start, roster.shift_end, roster.throughput,
                     roster.conversion ** w_offer, next_shift_day,
                     block_end(roster.shift_start, roster.shift_end), roster.conversion ** w_qualify,
                     route_w, share], axis=-1)


def _stop(world: World) -> np.ndarray:
    """When each manager stops working: the horizon or the day they leave (minutes)."""
    return np.minimum(world.scenario.horizon_minutes,
                      world.roster.leave_day * MINUTES_PER_DAY).astype(float)


def _fresh_state(world: World, capacity: int, probation: Probation) -> tuple[np.ndarray, ...]:
    """The loop's state at the start (see loop.run_loop); ``capacity``: room per task list."""
    m = world.roster.n_managers
    mf = np.zeros((m, 10))
    mf[:, fast_queues.EV_T] = np.inf
    mf[:, fast_queues.NEXT_ON] = -np.inf
    mf[:, fast_queues.STOP] = np.where(probation.standby_for >= 0, 0.0, _stop(world))  # standbys: not yet
    mf[:, fast_queues.RAMPED_FROM] = probation.ramped_from
    mi = np.zeros((m, 8), np.int64)
    mi[:, fast_queues.POS] = np.arange(m)
    rows = fast_queues.ROWS * (m + 1)  # three task lists per manager, then the shared queue's three
    return (mf, mi, np.empty((rows, capacity)), np.empty((rows, capacity), np.int64),
            np.zeros((rows, 2), np.int64), np.full(m, np.inf),
            np.arange(m), np.arange(m), np.zeros(5, np.int64))
