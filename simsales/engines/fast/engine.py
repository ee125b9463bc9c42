"""The fast engine: the reference engine's rules, compiled.

Same inputs and outputs as :mod:`simsales.engines.des` (a World in,
Outcomes out) and the same rules, which that module states and
:mod:`~simsales.engines.fast.rules` compiles.  Two loops run them:
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
  boundaries (:func:`routing_segments`), so routing a lead costs O(log M)
  for round robin and weighted, O(candidates) for least loaded;
* the per-lead draws are kept for the next plan of the same replication,
  and a run whose task lists overflow is repeated with longer ones: both
  are pure savings (the numbers do not change).

The random streams differ from the reference engine's, so the two agree in
distribution, not draw for draw (docs/engines.md; tests/test_engine_equivalence.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.contract import Outcomes
from simsales.engines.fast import cache as compiled_cache
from simsales.engines.fast import loop as fast_loop
from simsales.engines.fast import queues as fast_queues
from simsales.engines.fast import rules as fast_rules
from simsales.engines.fast import split as fast_split
from simsales.engines.fast.queues import MAX_LEADS
from simsales.scenario.uncertain import value
from simsales.world.calendar import MINUTES_PER_DAY
from simsales.world.roster import Roster
from simsales.world.world import World

# numba would not notice an edit of the rules alone: drop cached code made from other sources.
compiled_cache.forget_if_stale(compiled_cache.cache_dirs((fast_loop.run_loop, fast_split.run_split)))

POLICIES = {"round_robin": fast_rules.ROUND_ROBIN, "least_loaded": fast_rules.LEAST_LOADED,
            "weighted": fast_rules.WEIGHTED, "shared_queue": fast_rules.SHARED_QUEUE}
# Policies that route without looking at the queues: each manager can run alone (fast_split).
SPLIT_POLICIES = ("round_robin", "weighted")


def routing_segments(roster: Roster, weighted: bool) -> tuple[np.ndarray, ...]:
    """Who may get a lead, per segment of time between shift boundaries.

    Returns ``(bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight)``:
    segment ``j`` is ``[bounds[j], bounds[j + 1])`` (midnights are
    boundaries, so a segment lies within one day);
    ``seg_cands[seg_ptr[j]:seg_ptr[j + 1]]`` are the managers on shift in
    it, ascending.  ``route_seg[j]`` is ``j`` if anyone is on shift, else the
    next segment with someone on shift (its managers are exactly those whose
    next shift starts first), else -1.  For the weighted policy,
    ``cum_weight[cum_ptr[j]:cum_ptr[j + 1]]`` are the cumulative weights
    (throughput on segment ``j``'s day x skill) of the candidates of
    ``route_seg[j]``, as the reference engine computes them at routing time.
    """
    return _segments(np.ascontiguousarray(roster.shift_start, dtype=float),
                     np.ascontiguousarray(roster.shift_end, dtype=float),
                     np.ascontiguousarray(roster.throughput, dtype=float),
                     np.ascontiguousarray(roster.skill, dtype=float), weighted)


@njit(cache=True, error_model="numpy")
def _segments(start, end, throughput, skill, weighted):
    """routing_segments on the roster's arrays (compiled: numpy took 0.5 ms a plan here)."""
    n_managers, n_days = start.shape
    edges = np.empty(2 * n_managers * n_days + n_days + 1)
    k = 0
    for m in range(n_managers):
        for d in range(n_days):
            if end[m, d] > start[m, d]:
                edges[k], edges[k + 1] = start[m, d], end[m, d]
                k += 2
    for d in range(n_days + 1):
        edges[k] = d * MINUTES_PER_DAY
        k += 1
    bounds = np.unique(edges[:k])
    n_seg = bounds.size - 1
    day = np.empty(n_seg, np.int64)
    seg_ptr = np.zeros(n_seg + 1, np.int64)
    cands = np.empty(n_managers * n_seg, np.int64)
    for j in range(n_seg):
        left = bounds[j]
        day[j] = min(int(left // MINUTES_PER_DAY), n_days - 1)
        k = seg_ptr[j]
        for m in range(n_managers):
            if start[m, day[j]] <= left < end[m, day[j]]:
                cands[k] = m
                k += 1
        seg_ptr[j + 1] = k
    route_seg = np.full(n_seg, -1, np.int64)
    following = -1
    for j in range(n_seg - 1, -1, -1):
        if seg_ptr[j + 1] > seg_ptr[j]:
            following = j
        route_seg[j] = following
    seg_cands = cands[:seg_ptr[n_seg]].copy()
    if not weighted:
        return bounds, seg_ptr, seg_cands, route_seg, np.zeros(1, np.int64), np.zeros(1)
    cum_ptr = np.zeros(n_seg + 1, np.int64)
    for j in range(n_seg):
        r = route_seg[j]
        cum_ptr[j + 1] = cum_ptr[j] + (seg_ptr[r + 1] - seg_ptr[r] if r >= 0 else 0)
    cum_weight = np.empty(cum_ptr[n_seg])
    total = base = 0.0  # one running sum over all segments, less the sum before each one
    for j in range(n_seg):
        r = route_seg[j]
        base = total
        for i in range(cum_ptr[j + 1] - cum_ptr[j]):
            c = seg_cands[seg_ptr[r] + i]
            total += throughput[c, day[j]] * skill[c]
            cum_weight[cum_ptr[j] + i] = total - base
    return bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight


def pack_routing(segments: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The segments as one float and one integer array (few arrays keep the loop fast).

    ``rf`` = bounds then cumulative weights; ``ri`` = a header of offsets
    (fast_loop.N_BOUNDS ...) then seg_ptr, seg_cands, route_seg, cum_ptr.
    """
    bounds, seg_ptr, seg_cands, route_seg, cum_ptr, cum_weight = segments
    header = 6
    offsets = np.cumsum([header, seg_ptr.size, seg_cands.size, route_seg.size])
    head = np.array([bounds.size, offsets[0], offsets[1], offsets[2], offsets[3], route_seg.size])
    ri = np.concatenate([head, seg_ptr, seg_cands, route_seg, cum_ptr]).astype(np.int64)
    return np.concatenate([bounds, cum_weight]), ri


def _per_lead(dist, rng: np.random.Generator, n: int) -> np.ndarray:
    return np.asarray(dist.sample(rng, n), dtype=float).reshape(n)


# Room per task list the last run needed: a hint only (results do not depend on it).
_capacity_hint = [64]


def simulate(world: World, rng: np.random.Generator) -> Outcomes:
    """Run the fast engine on one replication of one plan.

    Args:
        world: the resolved scenario, its lead stream and roster.
        rng: this replication's stream for the dynamics.
    """
    sc, leads, roster = world.scenario, world.leads, world.roster
    n, m = len(leads), roster.n_managers
    if n > MAX_LEADS:
        raise ValueError(f"the fast engine takes up to {MAX_LEADS} leads per replication, got {n}")
    chain = sc.touch_chain
    if n == 0 or m == 0:
        out = Outcomes.empty(n, m)
    else:
        draws, args = _arguments(world, rng)
        loop = fast_split.run_split if sc.routing.policy in SPLIT_POLICIES else fast_loop.run_loop
        target = np.ascontiguousarray(leads.target, dtype=np.bool_)
        while True:  # rerun with longer task lists if one overflowed (same numbers)
            out = Outcomes.empty(n, m)
            state = _fresh_state(world, _capacity_hint[0])
            if not loop((draws, target, np.zeros(n, np.int64)), *args, state,
                        (out.manager, out.attempts, out.first_attempt, out.contact, out.end,
                         out.offer_time)):
                break
            _capacity_hint[0] *= 4
        out.busy_minutes[:] = state[0][:, fast_queues.BUSY_MINUTES]
    fast_rules.expire_at_horizon(np.ascontiguousarray(leads.created, dtype=float), out.end,
                                 float(chain.lead_ttl), float(sc.horizon_minutes))
    return out


# The last per-lead draws: every plan of a replication draws the same ones (the
# same leads, scenario and stream), so they are reused; a pure saving.
_last_draws: list = [None]


def _lead_draws(world: World, rng: np.random.Generator) -> tuple[np.ndarray, np.uint64]:
    """Per lead: creation, qualify chance, call, presentation, delay; and the uniforms' seed."""
    before = rng.bit_generator.state
    last = _last_draws[0]
    if last is not None and last[0] is world.leads and last[1] is world.scenario and last[2] == before:
        rng.bit_generator.state = last[5]
        return last[3], last[4]
    sc, leads = world.scenario, world.leads
    n = len(leads)
    chain, funnel = sc.touch_chain, sc.funnel
    quality = np.array([value(c.quality) for c in sc.channels])
    draws = np.empty((n, 5))  # the loops' lead table: fast_rules.CREATED ... DELAY_MIN
    draws[:, fast_rules.CREATED] = leads.created
    draws[:, fast_rules.P_QUALIFY] = np.minimum(1.0, value(funnel.qualify) * quality[leads.channel])
    draws[:, fast_rules.CALL_MIN] = _per_lead(chain.call_minutes, rng, n)
    draws[:, fast_rules.PRESENT_MIN] = _per_lead(funnel.offer.call_minutes, rng, n)
    draws[:, fast_rules.DELAY_MIN] = _per_lead(funnel.offer.delay_days, rng, n) * MINUTES_PER_DAY
    seed = np.uint64(rng.integers(0, 2**63))
    _last_draws[0] = (leads, sc, before, draws, seed, rng.bit_generator.state)
    return draws, seed


def _arguments(world: World, rng: np.random.Generator) -> tuple:
    """The per-lead draws, and the loop's other inputs ``(roster, chain, routing, params, seed)``."""
    sc, roster = world.scenario, world.roster
    chain, funnel = sc.touch_chain, sc.funnel
    price, decay = funnel.price, chain.decay
    draws, seed = _lead_draws(world, rng)
    md = manager_days(roster)
    stop = _stop(world)
    leaving = np.flatnonzero((stop > 0) & (stop < sc.horizon_minutes))
    leavers = leaving[np.argsort(stop[leaving], kind="stable")].astype(np.int64)
    steps = np.array([list(chain.offsets),
                      [value(chain.contact_chance(k)) for k in range(len(chain.offsets))]])
    table = decay.table if decay is not None and decay.table else None
    decay_table = np.array(table, dtype=float).T.copy() if table else np.zeros((2, 1))
    decay_kind = (fast_rules.NO_DECAY if decay is None
                  else fast_rules.TABLE if table else fast_rules.HALF_LIFE)
    params = np.array([
        sc.horizon_minutes, chain.lead_ttl, chain.dial_minutes, value(sc.team.talk_share),
        value(funnel.offer.p) * (1.0 + price.change) ** price.elasticity,
        decay.half_life if decay is not None and decay.half_life else 1.0,
        decay.floor if decay is not None else 0.0,
        POLICIES[sc.routing.policy], chain.priority == "new_first", decay_kind,
    ], dtype=float)
    routing = pack_routing(routing_segments(roster, sc.routing.policy == "weighted"))
    return draws, ((md, leavers), (steps, decay_table), routing, params, seed)


def manager_days(roster: Roster) -> np.ndarray:
    """The loops' per-manager-day table ``(M, days, 5)``, columns fast_rules.SHIFT_START ...

    NEXT_SHIFT_DAY is the first day on or after each one with a shift (the
    number of days if none).
    """
    n_days = roster.shift_start.shape[1]
    day = np.where(roster.shift_end > roster.shift_start, np.arange(n_days), n_days)
    next_shift_day = np.minimum.accumulate(day[:, ::-1], axis=1)[:, ::-1].astype(float)
    return np.stack([roster.shift_start, roster.shift_end, roster.throughput, roster.conversion,
                     next_shift_day], axis=-1)


def _stop(world: World) -> np.ndarray:
    """When each manager stops working: the horizon or the day they leave (minutes)."""
    return np.minimum(world.scenario.horizon_minutes,
                      world.roster.leave_day * MINUTES_PER_DAY).astype(float)


def _fresh_state(world: World, capacity: int) -> tuple[np.ndarray, ...]:
    """The loop's state at the start (see fast_loop.run_loop)."""
    m = world.roster.n_managers
    mf = np.zeros((m, 4))
    mf[:, fast_queues.EV_T] = np.inf
    mf[:, fast_queues.NEXT_ON] = -np.inf
    mf[:, fast_queues.STOP] = _stop(world)
    mi = np.zeros((m, 5), np.int64)
    mi[:, fast_queues.POS] = np.arange(m)
    rows = 2 * m + 2  # two task lists per manager, then the shared queue's two
    return (mf, mi, np.empty((rows, capacity)), np.empty((rows, capacity), np.int64),
            np.zeros((rows, 2), np.int64), np.full(m, np.inf),
            np.arange(m), np.arange(m), np.zeros(5, np.int64))
