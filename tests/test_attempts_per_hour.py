"""``attempts_per_manager_hour``: attempts made in the horizon, by when they were made, over its shift hours.

Both engines count, per manager, the contact attempts made from the counted
period's origin on (``Outcomes.attempts_made``), of any lead: a lead of the
warm-up called in the horizon counts, an attempt made in the warm-up does
not.  Checked by hand on a warm world, both engines alike lead by lead and
manager by manager with an origin inside the played world, and against the
reference's event log.  (tests/test_metric_recount.py recounts the metric
from ``run --events``'s calls by ``started_at``.)
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from simsales.engines import des, get_engine
from simsales.engines.contract import OFFER
from simsales.engines.fast import engine as fast
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import close_factor, stream
from simsales.world.arrivals import Leads
from simsales.world.deals import draw_clients, settle
from simsales.world.roster import build_roster
from simsales.world.warmup import warm_world

from .test_fast_engine import small_variant, worlds
from .test_floor_engines import deterministic_world, same_outcomes
from .test_warmup import exact

DAY = 1440.0


@pytest.mark.parametrize("engine", ["des", "fast"])
def test_an_attempt_counts_in_the_period_it_is_made_in_whatever_its_lead(engine):
    """A warm-up of 5 days: the origin is minute 7200.  Each lead is dialled at creation (never reached: 4
    wall minutes) and reached by its second attempt 30 minutes after creation.  A (minute 100): both
    attempts in the warm-up, 0.  E (7170, a lead of the warm-up): its dial in the warm-up, 0; its second
    attempt at 7200 exactly, at the origin, 1.  B (7300, the horizon's one lead): 2.  Three attempts over
    10 managers x 20 days; the count ``attempts`` stays the horizon's leads' (B's 2)."""
    scenario = exact(5)
    created = np.array([100.0, 7170.0, 7300.0])
    leads = Leads(created, np.zeros(3, dtype=np.int64), np.ones(3, dtype=bool))
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    world = warm_world(scenario, leads, roster, 5, absence_key=0)
    assert world.origin_minutes == 7200.0
    out = get_engine(engine)(world, np.random.default_rng(2))
    np.testing.assert_allclose(out.first_attempt, created)
    np.testing.assert_allclose(out.contact, created + 30)  # E's at 7200
    assert out.attempts.tolist() == [2, 2, 2] and out.attempts_made.sum() == 3
    clients = draw_clients(scenario.funnel, 3, np.random.default_rng(1))
    deals = settle(world.scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan),
                   close_factor(world, out))
    m, _ = measure(world, out, deals)
    assert m["attempts"] == 2
    assert m["attempts_per_manager_hour"] == pytest.approx(3 / (10 * 20 * 24.0), rel=1e-12)


def made_after(log: list, origin: float, n_managers: int) -> np.ndarray:
    """Per manager, the reference's logged attempts at or after ``origin``."""
    made = Counter(e[3] for e in log if e[1] == "attempt" and e[0] >= origin)
    return np.array([made[m] for m in range(n_managers)])


def test_both_engines_count_the_attempts_made_after_the_origin_manager_by_manager():
    """Every phase-A rule on, leavers and hires, the counted period from day 5 of 20: the two engines
    give the same outcomes (``same_outcomes`` compares ``attempts_made`` too), and the reference's count
    is its event log's.  Not vacuous: attempts before the origin, and leads created before it called
    after it."""
    world = dataclasses.replace(deterministic_world("round_robin", "new_first"), warmup_days=5)
    origin = world.origin_minutes
    ours = same_outcomes(world)
    log: list = []
    reference = des.simulate(world, np.random.default_rng(2), log=log)
    np.testing.assert_array_equal(reference.attempts_made, made_after(log, origin, world.roster.n_managers))
    before = world.leads.created < origin
    assert 0 < ours.attempts_made.sum() < ours.attempts.sum()
    assert ours.attempts_made.sum() > ours.attempts[~before].sum()  # leads of before the origin, called after


def test_each_manager_alone_counts_what_the_event_loop_counts_after_an_origin(monkeypatch):
    """The fast engine's two loops (fast_split, the event loop) count the same attempts per manager."""
    scenario = small_variant("round_robin", "new_first", attrition=0.6)
    r, world = next(worlds(scenario, 1))
    world = dataclasses.replace(world, warmup_days=4)
    split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
    monkeypatch.setattr(fast, "SPLIT_POLICIES", ())
    loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
    np.testing.assert_array_equal(split.attempts_made, loop.attempts_made)
    assert 0 < split.attempts_made.sum() < split.attempts.sum()
