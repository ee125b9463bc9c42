"""The probation decision inside both engines (issue 13; simsales.engines.probation).

Exact cases on deterministic inputs (every chance 0 or 1, fixed durations):
who is let go, when, where their tasks go, when a standby starts, and that
both engines give the same fired minutes and the same per-lead outcomes.
Then the fast engine's two loops against each other, its routing against
the reference rule with managers gone, and (slow) the two engines'
distributions with probation on and many hires.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest
import yaml

from simsales.engines import des, routing
from simsales.engines.contract import OFFER
from simsales.engines.fast import engine as fast
from simsales.engines.fast import queues as fast_queues
from simsales.engines.fast import routing as fast_routing
from simsales.engines.probation import read_probation
from simsales.montecarlo.replication import stream
from simsales.scenario.loader import parse_scenario
from simsales.scenario.policies import POLICY_CODES
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.arrivals import Leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .conftest import SMALL
from .inner import route, uniform
from .test_des_exact import DOC

DAY = MINUTES_PER_DAY
SHIFT_FROM, SHIFT_TO = 540.0, 1080.0  # 09:00-18:00 every day
W = 2  # the probationer
S = 3  # the standby, where there is one
PROBATION_DAYS = 5
T = PROBATION_DAYS * DAY - 1.0  # the end of the last day of probation (W joined on day 0)
STANDBY_JOINS = 7  # the standby's first day (the decision day + 2 days to hire)
EXACT_POLICIES = ["round_robin", "least_loaded", "shared_queue"]  # weighted draws who gets a lead
OUTCOME_FIELDS = ("manager", "attempts", "end", "first_attempt", "contact", "offer_time", "busy_minutes",
                  "fired", "attempts_made")


def deterministic_world(policy: str, *, weak: bool = True, bar: float = 0.6, chance: float = 1.0,
                        draw: float = 0.5, standby: bool = False, ramped_others: bool = True,
                        seed: int = 3) -> World:
    """Four managers on 09:00-18:00 every day; W (2) on probation until ``T``; 3 a standby or idle.

    Every chance is 0 or 1: the first attempt never reaches, the second (a
    day later) always does, every contact qualifies, a presentation half a
    day later ends in an offer with chance ``conversion`` (1, or 0 for a
    ``weak`` W).  Leads come within 09:00-17:00 at random minutes (no ties).
    """
    doc = copy.deepcopy(DOC)
    doc["horizon_days"] = 12
    doc["routing"]["policy"] = policy
    doc["touch_chain"].update(offsets=["0m", "1d"], p_contact=[0.0, 1.0], lead_ttl="5d")
    doc["team"].update(managers=[{"team_lead": "tl", "count": 4, "tenure_days": 1000}],
                       attrition={"monthly": 0.0, "probation_monthly": 0.0}, ramp={"months": [1.0]},
                       shifts=[{"name": "day", "pattern": "7/0", "start": "09:00", "hours": 9}])
    scenario = parse_scenario(yaml.safe_dump(doc), "<probation>")
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    m, n_days = roster.n_managers, roster.n_days
    assert m == 4 and np.all(roster.shift_end[:, 0] - roster.shift_start[:, 0] == SHIFT_TO - SHIFT_FROM)
    conversion = np.ones((m, n_days))
    conversion[W] = 0.0 if weak else 1.0
    shift_end = roster.shift_end.copy()
    standby_for = np.full(m, -1)
    if standby:
        standby_for[S] = W
    else:
        shift_end[S] = roster.shift_start[S]  # 3 takes no part: three managers on the phones
    shift_end[S, :STANDBY_JOINS] = roster.shift_start[S, :STANDBY_JOINS]  # joins on day 7
    ramped_from = np.full(m, -np.inf if ramped_others else np.inf)
    ramped_from[W] = np.inf
    end = np.full(m, np.inf)
    end[W] = T
    roster = dataclasses.replace(
        roster, conversion=conversion, shift_end=shift_end, standby_for=standby_for, probation_end=end,
        fire_chance=np.where(np.arange(m) == W, chance, 0.0), fire_draw=np.full(m, draw),
        ramped_from=ramped_from, probation_bar=bar)
    rng = np.random.default_rng(seed)
    created = np.sort(np.concatenate([d * DAY + rng.uniform(SHIFT_FROM, SHIFT_TO - 60.0, 15)
                                      for d in range(doc["horizon_days"] - 1)]))
    n = created.size
    leads = Leads(created, np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    return World(scenario, leads, roster)


def both(world: World) -> tuple:
    """(fast outcomes, reference outcomes, the reference's event log); asserts they agree lead by lead."""
    log: list = []
    reference = des.simulate(world, np.random.default_rng(2), log=log)
    ours = fast.simulate(world, np.random.default_rng(1))
    for field in OUTCOME_FIELDS:
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-6,
                                   err_msg=field)
    return ours, reference, log


def involving(log: list, manager: int) -> list:
    """The log's events in which ``manager`` works, gets or gives a lead."""
    found = []
    for event in log:
        kind = event[1]
        if (kind in ("assign", "attempt", "present", "expire") and event[3] == manager) or (
                kind == "reassign" and manager in (event[3], event[4])):
            found.append(event)
    return found


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_a_hire_below_the_bar_is_fired_at_the_end_of_probation_and_not_before(policy):
    world = deterministic_world(policy)
    ours, reference, log = both(world)
    assert np.isnan(reference.fired[[0, 1, 3]]).all()
    assert reference.fired[W] == T  # the end of the last day of probation, to the minute
    mine = involving(log, W)
    last_day = [e for e in mine if e[1] == "attempt" and (PROBATION_DAYS - 1) * DAY <= e[0] < T]
    assert last_day  # W still worked on the last day of probation
    after = [e for e in mine if e[0] > T or (e[0] == T and e[1] != "reassign")]
    assert after == []  # and never after it
    handed = [e for e in log if e[1] == "reassign" and e[3] == W]
    assert handed and all(e[0] == T and e[4] not in (W, -1) for e in handed)  # queued tasks go to others
    for _, _, lead, _, _ in handed:
        assert ours.manager[lead] != W and ours.attempts[lead] == 2  # the follow-up was made, by another
    assert (ours.end[ours.manager != W] == OFFER).sum() > 50


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_nobody_is_fired_without_a_ramped_average_or_when_nobody_is_below_the_bar(policy):
    ours, _, _ = both(deterministic_world(policy, ramped_others=False))  # no ramped results: average 0
    assert np.isnan(ours.fired).all()
    ours, _, _ = both(deterministic_world(policy, weak=False, bar=0.6))
    if policy == "shared_queue":
        # The first free manager on shift takes from the shared queue, the lowest index
        # first: W (2) gets few leads, is rightly below the bar, and goes.
        assert ours.fired[W] == T
    else:
        assert np.isnan(ours.fired).all()  # as good as the others: W stays


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_a_hire_exactly_at_the_bar_stays_and_just_below_it_goes(policy):
    """W alone counts as ramped (from minute 0): the ramped average is W's own rate, exactly.

    With bar 1, W's rate equals the bar: W stays.  With the next float above
    1 as the bar, W is below it and goes.
    """
    def world(bar: float) -> World:
        w = deterministic_world(policy, weak=False, bar=bar, ramped_others=False)
        ramped_from = w.roster.ramped_from.copy()
        ramped_from[W] = 0.0
        return dataclasses.replace(w, roster=dataclasses.replace(w.roster, ramped_from=ramped_from))

    stays, _, _ = both(world(1.0))
    assert np.isnan(stays.fired).all()
    assert (stays.manager[stays.end == OFFER] == W).any()  # W's rate is above 0
    goes, _, _ = both(world(float(np.nextafter(1.0, 2.0))))
    assert goes.fired[W] == T


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_a_draw_at_or_above_the_chance_keeps_a_hire_below_the_bar(policy):
    kept, _, _ = both(deterministic_world(policy, chance=0.3, draw=0.3))
    assert np.isnan(kept.fired).all()
    fired, _, _ = both(deterministic_world(policy, chance=0.3, draw=float(np.nextafter(0.3, 0.0))))
    assert fired.fired[W] == T


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_a_standby_brought_in_takes_leads_from_their_first_shift_after_joining(policy):
    ours, _, log = both(deterministic_world(policy, standby=True))
    assert ours.fired[W] == T
    mine = involving(log, S)
    first_shift = STANDBY_JOINS * DAY + SHIFT_FROM
    assert mine and all(e[0] >= first_shift or (e[1] == "assign" and e[0] > T) for e in mine)
    worked = [e[0] for e in mine if e[1] == "attempt"]
    assert first_shift <= min(worked) < STANDBY_JOINS * DAY + SHIFT_TO  # on their first shift
    assert (ours.manager == S).sum() > 10 and ours.busy_minutes[S] > 0


@pytest.mark.parametrize("policy", EXACT_POLICIES)
def test_a_standby_never_brought_in_never_gets_a_lead_or_a_task(policy):
    ours, _, log = both(deterministic_world(policy, standby=True, chance=0.0))
    assert np.isnan(ours.fired).all()
    assert involving(log, S) == []
    assert not (ours.manager == S).any() and ours.busy_minutes[S] == 0.0
    # Without the standby's shifts at all, everything else is the same: a standby left out is nobody.
    alone, _, _ = both(deterministic_world(policy, standby=False, chance=0.0))
    for field in OUTCOME_FIELDS:
        np.testing.assert_array_equal(getattr(ours, field), getattr(alone, field), err_msg=field)


def test_an_inert_probation_changes_nothing():
    """Decisions that cannot fire (chance 0) leave every outcome as without probation."""
    world = deterministic_world("round_robin", chance=0.0)
    inert = dataclasses.replace(world, roster=dataclasses.replace(
        world.roster, probation_end=np.full(4, np.inf)))
    assert read_probation(inert.roster, world.scenario.horizon_minutes).inert
    assert not read_probation(world.roster, world.scenario.horizon_minutes).inert
    a, _, _ = both(world)
    b, _, _ = both(inert)
    for field in OUTCOME_FIELDS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


# -- the fast engine's loops and routing, with probation on ---------------------------------------

def many_hires(policy: str, around_the_clock: bool):
    """The small scenario with four team leads and a plan hiring 12 at once (the span rule's most)."""
    from .test_fast_engine import small_variant

    scenario = small_variant(policy, "new_first", attrition=0.3, around_the_clock=around_the_clock)
    doc = yaml.safe_load(SMALL.read_text())
    team = scenario.team.model_dump(mode="json")
    leads = [{"name": name, "tenure_days": 400} for name in ("anna", "boris", "vera", "gleb")]
    team["team_leads"] = leads
    team["managers"] = [{"team_lead": lead["name"], "count": 2, "tenure_days": 300} for lead in leads]
    doc.update(routing=scenario.routing.model_dump(mode="json"), team=team,
               calendar=scenario.calendar.model_dump(mode="json"),
               plans=[{"name": "flood", "time_to_hire_days": 2, "months": [{"month": "2026-07",
                                                                            "managers": 12}]}])
    return parse_scenario(yaml.safe_dump(doc), "<many hires>")


def probation_worlds(policy: str, around_the_clock: bool, replications: int = 2, bar: float = 0.9,
                     scenario=None):
    """Worlds of the small scenario's plans, every hire on probation (~6 days), half of them standbys.

    The probation fields are set here (not by the world's rules): random
    chances and draws, the bar (0.9: most hires are below it), the team at the start ramped, hires
    ramped 4 days after joining.  In the hiring plan, the hires (who join
    together) pair up: the second of each pair stands by for the first and,
    if brought in, joins 2 days after the first's decision (its shifts start
    then) and has a probation of its own.
    """
    from .test_fast_engine import small_variant, worlds

    if scenario is None:
        scenario = small_variant(policy, "new_first", attrition=0.3, around_the_clock=around_the_clock)
    for r, world in worlds(scenario, replications):
        roster = world.roster
        m, horizon = roster.n_managers, scenario.horizon_minutes
        rng = np.random.default_rng(100 + r)
        join = roster.join_day.astype(float)
        hires = np.flatnonzero(join >= 0)
        standby_for = np.full(m, -1)
        shift_end = roster.shift_end.copy()
        for p, s in zip(hires[0::2], hires[1::2], strict=False):
            standby_for[s] = p
            join[s] = join[p] + 6 + 2
            shift_end[s, :int(join[s])] = roster.shift_start[s, :int(join[s])]
        # Decisions at 13:07:30 rather than at the end of the day: busy managers are let go in a call.
        end = np.where(join >= 0, (join + 5) * DAY + 787.5, np.inf)
        end[end >= horizon] = np.inf
        ramped_from = np.where(join < 0, -np.inf, (join + 4) * DAY)
        roster = dataclasses.replace(
            roster, shift_end=shift_end, probation_end=end, fire_chance=rng.uniform(0.3, 1.0, m),
            fire_draw=rng.random(m), ramped_from=ramped_from, probation_bar=bar, standby_for=standby_for)
        yield r, World(world.scenario, world.leads, roster)


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
@pytest.mark.parametrize("around_the_clock", [False, True])
def test_each_manager_alone_gives_what_the_event_loop_gives_with_probation(policy, around_the_clock,
                                                                         monkeypatch):
    fired = standbys_in = 0
    for r, world in probation_worlds(policy, around_the_clock):
        split = fast.simulate(world, stream(1, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(1, r, "dynamics"))
        for field in OUTCOME_FIELDS:
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)
        fired += np.isfinite(split.fired).sum()
        brought_in = world.roster.standby_for >= 0
        standbys_in += (brought_in & np.isfinite(split.fired[np.maximum(world.roster.standby_for, 0)])).sum()
    assert fired >= 3 and standbys_in >= 1  # the cases happened


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded", "weighted"])
def test_routing_skips_the_managers_who_are_gone_as_the_reference_does(policy):
    """route_present against routing.choose on the shifts of the team as it is (fired cut, standbys out)."""
    (_, world), = [(r, w) for r, w in probation_worlds(policy, False, replications=1)
                   if (w.roster.standby_for >= 0).any()]  # the plan that hires
    roster = world.roster
    m, horizon = roster.n_managers, world.scenario.horizon_minutes
    probation = read_probation(roster, horizon)
    segments = fast.routing_segments(roster, policy == "weighted")
    changes_at = np.full(m, np.inf)
    changes_at[probation.decisions] = probation.end[probation.decisions]
    weight = roster.throughput * roster.skill[:, None] if policy == "weighted" else None
    rf, ri = fast.pack_routing(segments, fast_routing.presence(segments, changes_at,
                                                               probation.standby_for >= 0, weight))
    until = ri[fast_routing.OFF_UNTIL]
    rng = np.random.default_rng(5)
    seed, changed = np.uint64(9), 0
    for t in np.sort(rng.uniform(0.0, horizon, 400)):
        # Fire each probationer decided by now with chance 1/2; bring in half the standbys.
        sim = des._Simulation(world, np.random.default_rng(0), None)
        rf[until:until + m] = np.where(probation.standby_for >= 0, 0.0, np.inf)
        for p in probation.decisions:
            if probation.end[p] <= t and rng.random() < 0.5:
                sim.stop[p] = probation.end[p]
                sim.shift_end[p] = np.maximum(sim.shift_start[p], np.minimum(sim.shift_end[p], sim.stop[p]))
                rf[until + p] = probation.end[p]
                s = probation.standby_of[p]
                if s >= 0 and rng.random() < 0.5:
                    sim.shift_end[s] = roster.shift_end[s]
                    rf[until + s] = np.inf
        counts = rng.integers(0, 3, (fast_queues.ROWS, m))  # per class of work
        hn = np.zeros((fast_queues.ROWS * (m + 1), 2), np.int64)
        for c in range(fast_queues.ROWS):
            sim.tasks.heaps[c] = [[None] * k for k in counts[c]] + [[]]
            hn[c:fast_queues.ROWS * m:fast_queues.ROWS, fast_queues.COUNT] = counts[c]
        sim.last_routed = int(rng.integers(-1, m))
        counters = np.zeros(5, np.int64)
        counters[fast_queues.LAST_ROUTED], counters[fast_queues.SEGMENT] = sim.last_routed, -1
        counter = int(rng.integers(0, 1000))
        sim.uniform = lambda c=counter: uniform(seed, c)
        ours = route(t, counter, POLICY_CODES[policy], seed, rf, ri, hn, counters)
        assert ours == sim.route(t), t
        everyone = routing.candidates(roster.shift_start, roster.shift_end, t)
        changed += not np.array_equal(everyone, sim.candidates(t))  # someone gone or not brought in
    assert changed > 100


# -- the two engines' distributions ----------------------------------------------------------------

@pytest.mark.slow
def test_the_engines_agree_in_distribution_with_probation_on_and_many_hires():
    """Means of the number fired, offers and contacts within 3 combined standard errors.

    Twelve hires at once, paired as probationer and standby.  The bar, 0.45,
    is about the median of the hires' offer rates against the ramped average
    in the small scenario (0 to 0.9): a wrong measure of either moves the count.
    """
    counts: dict[str, list] = {"des": [], "fast": []}
    for around_the_clock in (False, True):
        scenario = many_hires("round_robin", around_the_clock)
        for r, world in probation_worlds("round_robin", around_the_clock, replications=15, bar=0.45,
                                         scenario=scenario):
            for name, engine in (("des", des.simulate), ("fast", fast.simulate)):
                out = engine(world, stream(1, r, "dynamics"))
                counts[name].append((np.isfinite(out.fired).sum(), (out.end == OFFER).sum(),
                                     np.isfinite(out.contact).sum()))
    a, b = np.array(counts["des"], float), np.array(counts["fast"], float)
    assert a[:, 0].sum() >= 20  # many fired
    for k, metric in enumerate(("fired", "offers", "contacts")):
        se = math.sqrt(a[:, k].var(ddof=1) / len(a) + b[:, k].var(ddof=1) / len(b))
        assert abs(a[:, k].mean() - b[:, k].mean()) <= 3 * se + 1e-9, metric

