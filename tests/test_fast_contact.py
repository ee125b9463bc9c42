"""The fast engine's contact decision, attempt by attempt, against the formula (MODEL.md section 4).

An attempt reaches the lead when its draw ``u`` is below
``min(1, p_contact[k] * factor) * decay(age)``.  The loop skips the decay's
pow where the draw decides alone (at or above the chance: a miss; below
the chance times the decay's floor: a contact); this checks that every
lead's first attempt is decided as the whole formula says.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.engines.contract import ReplicationCache
from simsales.engines.fast import engine as fast
from simsales.engines.fast.tables import CONTACT_F
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.contact import decay, decay_args
from simsales.world.roster import build_roster
from simsales.world.world import World

from .inner import uniform
from .test_des_exact import DOC

TABLE_ROWS = [["0m", 1.0], ["20m", 0.6], ["2h", 0.3], ["10h", 0.1]]


@pytest.mark.parametrize("half_life, floor", [(60.0, 0.4), (45.0, 0.25), (200.0, 0.0), (30.0, 0.7),
                                              (None, 0.0)])
def test_each_first_attempt_is_decided_by_the_whole_formula(half_life, floor):
    """Half-lives with and without a floor, and a table."""
    doc = copy.deepcopy(DOC)
    doc["horizon_days"] = 6
    doc["touch_chain"].update(offsets=["0m"], p_contact=[0.9], dial_minutes=1, call_minutes=1,
                              decay={"half_life": f"{half_life}m", "floor": floor} if half_life
                              else {"table": TABLE_ROWS, "floor": floor})
    doc["funnel"]["qualify"] = 0.0  # a contact ends the lead: nothing after the first attempt
    scenario = parse_scenario(yaml.safe_dump(doc), "<contact>")
    rng = np.random.default_rng(3)
    n = 2500  # around the clock: leads at night wait hours for the morning, so ages span the floor
    leads = Leads(np.sort(rng.uniform(0.0, scenario.horizon_minutes - 2000.0, n)),
                  np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    world = World(scenario, leads, build_roster(scenario, scenario.plans[0], np.random.default_rng(0)))
    cache = ReplicationCache()
    out = fast.simulate(world, np.random.default_rng(1), cache=cache)
    table, seed = cache.lead_draws.table, cache.lead_draws.seed
    tried = ~np.isnan(out.first_attempt)
    assert tried.sum() > 0.7 * n
    lead = np.flatnonzero(tried)
    age = out.first_attempt[lead] - leads.created[lead]
    u = np.array([uniform(seed, 4 * i) for i in lead])  # (steps + 3) draws a lead, the attempt's first
    chance = np.minimum(1.0, 0.9 * table[lead, CONTACT_F])
    factor = np.array([decay(a, *decay_args(scenario.touch_chain.decay)) for a in age])
    expected = (u < chance) & (u < chance * factor)
    reached = ~np.isnan(out.contact[lead])
    np.testing.assert_array_equal(reached, expected)
    # The cases the skipped pow is about occur: draws below chance x floor, and ages past the floor.
    if half_life and floor > 0:
        assert (u < chance * floor).sum() > 100 and (factor == floor).sum() > 100
    if not half_life:
        assert (factor <= 0.3).sum() > 100  # the table's later buckets act
    assert ((u >= chance * floor) & (u < chance) & (factor > floor)).sum() > 20
