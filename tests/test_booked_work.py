"""Booked work on the sales floor (issue 12, phase B): the priority over kinds of work, in both engines.

* Exact: one manager, deterministic inputs; at the start of a shift a
  presentation, a fresh lead and a follow-up are all due, and each priority
  takes them in its order, in both engines (times worked out by hand).
* Both engines lead by lead on the deterministic world of
  tests/test_floor_engines.py under the new orders; the split loop equals
  the event loop (tests/test_floor_engines.py runs it with the default).
* Bad input: a clear error naming the near miss.
* (slow) Statistical agreement between the engines under a non-default order.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.engines import des
from simsales.engines.contract import OFFER
from simsales.engines.fast import engine as fast
from simsales.scenario.errors import InputError
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.roster import build_roster
from simsales.world.world import World

from .test_des_exact import DOC
from .test_floor_engines import SPLIT, deterministic_world, small_with_rules

DEFAULT = ["booked", "first", "followup"]


def both(doc: dict, created: list[float]):
    """The reference's outcomes and event log, and the fast engine's outcomes, on one world."""
    scenario = parse_scenario(yaml.safe_dump(doc), "<booked>")
    n = len(created)
    leads = Leads(np.array(created), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    world = World(scenario, leads, build_roster(scenario, scenario.plans[0], np.random.default_rng(0)))
    log: list = []
    reference = des.simulate(world, np.random.default_rng(0), log=log)
    ours = fast.simulate(world, np.random.default_rng(0))
    for field in ("manager", "attempts", "end"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in ("first_attempt", "contact", "offer_time", *SPLIT):
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), atol=1e-9, err_msg=field)
    return reference, log, ours


def one_manager(priority: object) -> dict:
    doc = copy.deepcopy(DOC)
    doc["team"]["managers"][0]["count"] = 1
    if priority is None:
        del doc["touch_chain"]["priority"]
    else:
        doc["touch_chain"]["priority"] = priority
    return doc


# One manager, 09:00-18:00 (540-1080 on day 0, 1980-2520 on day 1); a dial takes 4 minutes,
# a contact call 20 and a presentation 30 (talk share 0.5).  Lead 0 (09:00) is reached at
# 570-590: its presentation is due at 590 + 720 = 1310, after hours.  Lead 1 (17:40) is dialled
# at 1060-1064: its follow-up is due at 1090, after hours.  Lead 2 (20:00) is fresh, due at 1200.
# At 09:00 on day 1 (1980) all three are due: presentation 1310, follow-up 1090, first attempt 1200.
CREATED = [540.0, 1060.0, 1200.0]


@pytest.mark.parametrize(("priority", "offer_0", "contact_1", "first_2", "contact_2"), [
    # booked first: the presentation 1980-2010, lead 2's first dial 2010-2014, then the
    # follow-ups by due time: lead 1 (1090) 2014-2034, lead 2 (2014) 2034-2054
    (DEFAULT, 2010.0, 2014.0, 2010.0, 2034.0),
    (None, 2010.0, 2014.0, 2010.0, 2034.0),  # the default
    # new_first: lead 2's dial 1980-1984 (its follow-up due then, at max(1230, 1984)), then the
    # rest by due time: lead 1 (1090) 1984-2004, the presentation (1310) 2004-2034, lead 2's
    # follow-up (1984) 2034-2054
    ("new_first", 2034.0, 1984.0, 1980.0, 2034.0),
    # due_first: lead 1 (1090) 1980-2000, lead 2 (1200) 2000-2004, the presentation (1310)
    # 2004-2034, lead 2's follow-up (2004) 2034-2054
    ("due_first", 2034.0, 1980.0, 2000.0, 2034.0),
    # follow-ups first: lead 1 1980-2000; lead 2's follow-up is not queued yet, so its first
    # dial 2000-2004, then its follow-up 2004-2024, the presentation last
    (["followup", "first", "booked"], 2054.0, 1980.0, 2000.0, 2004.0),
    # first, then booked before follow-ups: lead 2's dial 1980-1984, the presentation
    # 1984-2014, then lead 1 (1090) 2014-2034 and lead 2 (1984) 2034-2054
    (["first", "booked", "followup"], 2014.0, 2014.0, 1980.0, 2034.0),
])
def test_each_priority_takes_the_due_work_in_its_order(priority, offer_0, contact_1, first_2, contact_2):
    out, log, _ = both(one_manager(priority), CREATED)
    assert out.offer_time[0] == offer_0
    assert out.contact[1] == contact_1
    assert out.first_attempt[2] == first_2
    assert out.contact[2] == contact_2
    assert (out.end == OFFER).all()  # every lead ends presented, with an offer
    day_1 = [e for e in log if 1980.0 <= e[0] < 2060.0 and e[1] in ("attempt", "present")]
    assert len(day_1) == 4  # the presentation, lead 2's two attempts, lead 1's follow-up


def test_a_presentation_booked_while_a_fresh_lead_waits_goes_first_under_the_default():
    """The issue's case: under the default the booked presentation, under new_first the fresh lead."""
    doc = one_manager(None)
    _, log, _ = both(doc, [540.0, 1200.0])
    assert [e[1:3] for e in log if e[0] == 1980.0] == [("present", 0)]
    assert (2010.0, "attempt", 1, 0, 0, False) in log
    doc["touch_chain"]["priority"] = "new_first"
    _, log, _ = both(doc, [540.0, 1200.0])
    assert [e[1:3] for e in log if e[0] == 1980.0] == [("attempt", 1)]
    assert (1984.0, "present", 0, 0, True) in log


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
@pytest.mark.parametrize("priority", [DEFAULT, ["followup", "booked", "first"]])
def test_both_engines_give_the_same_outcomes_under_an_order(policy, priority):
    world = deterministic_world(policy, "new_first")
    chain = world.scenario.touch_chain.model_copy(update={"priority": tuple(priority)})
    scenario = world.scenario.model_copy(update={"touch_chain": chain})
    world = World(scenario, world.leads, world.roster)
    ours = fast.simulate(world, np.random.default_rng(1))
    reference = des.simulate(world, np.random.default_rng(2))
    for field in ("manager", "attempts", "end"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in ("first_attempt", "contact", "offer_time", *SPLIT):
        np.testing.assert_allclose(getattr(ours, field), getattr(reference, field), rtol=0, atol=1e-6,
                                   err_msg=field)
    assert (ours.end == OFFER).sum() > 50


def test_the_order_changes_the_outcomes_of_a_busy_floor():
    """On the busy deterministic floor the orders differ (the tests above can tell them apart)."""
    world = deterministic_world("round_robin", "new_first")
    outs = {}
    for priority in ("new_first", tuple(DEFAULT)):
        chain = world.scenario.touch_chain.model_copy(update={"priority": priority})
        w = World(world.scenario.model_copy(update={"touch_chain": chain}), world.leads, world.roster)
        outs[priority] = fast.simulate(w, np.random.default_rng(1))
    a, b = outs["new_first"], outs[tuple(DEFAULT)]
    assert not np.array_equal(a.offer_time, b.offer_time, equal_nan=True)


@pytest.mark.parametrize(("priority", "message"), [
    ("new_frist", "did you mean new_first?"),
    (["booked", "frist", "followup"], "'frist' is not a kind of work; did you mean first?"),
    (["booked", "first"], "followup missing"),
    (["booked", "first", "followup", "first"], "first named more than once"),
])
def test_a_bad_priority_is_a_clear_error(priority, message):
    with pytest.raises(InputError) as caught:
        parse_scenario(yaml.safe_dump(one_manager(priority)), "floor.yaml")
    assert "floor.yaml" in str(caught.value) and "touch_chain.priority" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.slow
def test_the_engines_agree_statistically_under_another_order():
    from .test_engine_equivalence import both_engines
    from .test_floor_equivalence import FEW, failures

    scenario = small_with_rules("round_robin")
    chain = scenario.touch_chain.model_copy(update={"priority": ("followup", "booked", "first")})
    scenario = scenario.model_copy(update={"touch_chain": chain})
    for plan, (reference, ours) in both_engines(scenario, 60).items():
        assert not failures(reference, ours, FEW), (plan, failures(reference, ours, FEW))

