"""Booked work on the sales floor (issue 12, phase B), in both engines: the priority over kinds of
work, the cooling of a client waiting for the presentation, the presentation's time limit, and
closing calls.

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
from simsales.engines.booked import cooling_args
from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    END_NAMES,
    LOST_NO_OFFER,
    LOST_NO_PRESENTATION,
    OFFER,
    QUALIFIED,
)
from simsales.engines.fast import engine as fast
from simsales.montecarlo.metrics import measure
from simsales.montecarlo.replication import close_factor, stream
from simsales.scenario.distributions import Fixed
from simsales.scenario.errors import InputError
from simsales.scenario.funnel import Closing, Cooling
from simsales.scenario.loader import parse_scenario
from simsales.world.arrivals import Leads
from simsales.world.contact import decay
from simsales.world.deals import draw_clients, settle
from simsales.world.roster import build_roster
from simsales.world.world import World

from .agreement import disagreements
from .test_des_exact import DOC
from .test_fast_engine import worlds
from .test_floor_engines import SPLIT, deterministic_world, same_outcomes, small_with_rules

DEFAULT = ["booked", "first", "followup"]
RESOLVED = ("contacts", "contact_rate", "contact_rate_target")
"""What the statistical agreement on the small scenario resolves to 2% in 60 replications under
these rules (3 paired standard errors at most 0.8 of the tolerance).  The managers' time shares
resolved too while counted over the warm-up and the horizon together; over the horizon alone 3
paired SE reach the tolerance, so they are held to 3 standard errors, like the money, the deals, the
shares of dials, overtime, installments and first attempts within 5 minutes and the SLA
percentiles (hundreds of minutes on this overloaded floor); the exact tests above check the rules."""


def both(doc: dict, created: list[float]):
    """The reference's outcomes and event log, and the fast engine's outcomes, on one world."""
    scenario = parse_scenario(yaml.safe_dump(doc), "<booked>")
    n = len(created)
    leads = Leads(np.array(created), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    world = World(scenario, leads, build_roster(scenario, scenario.plans[0], np.random.default_rng(0)))
    log: list = []
    reference = des.simulate(world, np.random.default_rng(0), log=log)
    ours = fast.simulate(world, np.random.default_rng(0))
    for field in ("manager", "attempts", "end", "closer"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(reference, field), err_msg=field)
    for field in ("first_attempt", "contact", "offer_time", "closing_due", "closing_time", *SPLIT):
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
    ours = same_outcomes(world)
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


# -- rule 2: cooling and the presentation's time limit --------------------------------------------


def limited(within: object, *, cooling: dict | None = None, horizon_days: int = 3) -> dict:
    doc = one_manager(None)
    doc["horizon_days"] = horizon_days
    doc["funnel"]["presentation_within_days"] = within
    if cooling is not None:
        doc["funnel"]["cooling"] = cooling
    return doc


def test_a_presentation_past_its_limit_is_lost_when_it_comes_up():
    # Lead 0 is reached at 570-590: booked at 590, due at 1310, taken at 09:00 on day 1 (1980):
    # a wait of 1390 minutes.  Lead 1 (20:00) waits for the same morning.
    out, log, _ = both(limited(1.0), [540.0, 1200.0])  # a day (1440) is enough: held, as before
    assert out.end[0] == OFFER and out.offer_time[0] == 2010.0
    assert out.first_attempt[1] == 2010.0
    out, log, _ = both(limited(0.9), [540.0, 1200.0])  # 0.9 days = 1296 minutes < 1390: lost at 1980
    assert out.end[0] == LOST_NO_PRESENTATION and np.isnan(out.offer_time[0])
    assert (1980.0, "no_presentation", 0, 0) in log
    assert out.first_attempt[1] == 1980.0  # the manager's time went to lead 1 at once
    assert out.busy_minutes[0] == 4 + 20 + 4 + 20  # no presentation call was made


@pytest.mark.parametrize(("within", "end"), [(0.25, LOST_NO_PRESENTATION), (0.75, AWAITING_PRESENTATION)])
def test_a_presentation_still_queued_at_the_horizon_is_lost_if_its_limit_passed(within, end):
    # Lead 0 at 09:00 on day 2 (3420): reached 3450-3470, due at 3470 + 720 = 4190, after the shift;
    # the next one is past the horizon (4320).  Its limit ends at 3470 + 360 = 3830 < 4320 (lost)
    # or at 3470 + 1080 = 4550 > 4320 (still waiting).
    out, _, _ = both(limited(within), [3420.0])
    assert out.contact[0] == 3450.0
    assert out.end[0] == end


def test_no_limit_and_no_cooling_by_default():
    scenario = parse_scenario(yaml.safe_dump(one_manager(None)), "<booked>")
    assert scenario.funnel.presentation_within_days is None
    assert scenario.funnel.cooling.half_life_days is None
    assert decay(1e9, *cooling_args(scenario.funnel)) == 1.0
    out, _, _ = both(one_manager(None), [540.0, 3420.0])
    assert list(out.end) == [OFFER, AWAITING_PRESENTATION]


def test_the_cooling_is_the_contact_decay_in_days():
    funnel = parse_scenario(yaml.safe_dump(limited(None, cooling={"half_life_days": 1, "floor": 0.1})),
                            "<booked>").funnel
    assert decay(1440.0, *cooling_args(funnel)) == 0.5
    assert decay(2880.0, *cooling_args(funnel)) == 0.25
    assert decay(1440.0 * 10, *cooling_args(funnel)) == 0.1  # the floor


@pytest.mark.parametrize(("floor", "offers"), [(1.0, True), (0.0, False)])
def test_a_cooled_client_takes_no_offer(floor, offers):
    # The wait is 1390 minutes; a half-life of 0.001 days (1.44 minutes) leaves 0.5 ** 965 of the
    # offer chance: nothing, unless the floor keeps it.
    doc = limited(None, cooling={"half_life_days": 0.001, "floor": floor})
    out, _, _ = both(doc, [540.0])
    assert out.end[0] == (OFFER if offers else LOST_NO_OFFER)


@pytest.mark.parametrize("engine", ["des", "fast"])
def test_the_offer_rate_is_the_cooling_factor_on_a_busy_floor(engine):
    """Every presentation waits more than 2 minutes, so a half-life of 1.44 minutes leaves the floor:
    the offer chance is 0.3 exactly, and the offers are binomial."""
    world = deterministic_world("round_robin", "new_first")
    funnel = world.scenario.funnel.model_copy(update={"cooling": Cooling(half_life_days=0.001, floor=0.3)})
    world = World(world.scenario.model_copy(update={"funnel": funnel}), world.leads, world.roster)
    out = (fast.simulate if engine == "fast" else des.simulate)(world, np.random.default_rng(3))
    offers, presented = (out.end == OFFER).sum(), np.isin(out.end, (OFFER, LOST_NO_OFFER)).sum()
    assert presented > 200
    assert abs(offers / presented - 0.3) < 4 * np.sqrt(0.3 * 0.7 / presented)


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
def test_both_engines_give_the_same_outcomes_with_a_time_limit(policy):
    world = deterministic_world(policy, "new_first")
    funnel = world.scenario.funnel.model_copy(update={"presentation_within_days": 2.0})
    world = World(world.scenario.model_copy(update={"funnel": funnel}), world.leads, world.roster)
    ours = same_outcomes(world)
    lost = ours.end == LOST_NO_PRESENTATION
    assert lost.sum() > 20 and (ours.end == OFFER).sum() > 20
    # Invariants: every lead in one end state; the funnel never grows downward.
    assert np.isin(ours.end, np.arange(len(END_NAMES))).all()
    contacted = ~np.isnan(ours.contact)
    qualified = np.isin(ours.end, QUALIFIED)
    assert (contacted[qualified]).all() and qualified.sum() >= (ours.end == OFFER).sum()
    assert np.isnan(ours.offer_time[lost]).all()


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
def test_each_manager_alone_gives_the_event_loops_arrays_with_booked_rules_on(policy, monkeypatch):
    scenario = small_with_rules(policy)
    funnel = scenario.funnel.model_copy(update={"presentation_within_days": 1.0,
                                                "cooling": Cooling(half_life_days=2.0, floor=0.2)})
    scenario = scenario.model_copy(update={"funnel": funnel})
    for r, world in worlds(scenario, 2):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", *SPLIT):
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)
        assert (split.end == LOST_NO_PRESENTATION).sum() > 0


def test_the_metric_counts_the_presentations_lost_to_the_wait():
    scenario = small_with_rules("round_robin")
    funnel = scenario.funnel.model_copy(update={"presentation_within_days": 1.0})
    scenario = scenario.model_copy(update={"funnel": funnel})
    r, world = next(worlds(scenario, 1))
    out = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
    clients = draw_clients(world.scenario.funnel, len(world.leads), stream(scenario.seed, r, "deals"))
    deals = settle(world.scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan))
    metrics, _ = measure(world, out, deals)
    lost = int((out.end == LOST_NO_PRESENTATION).sum())
    assert metrics["presentations_lost_wait"] == lost > 0
    assert metrics["lost_after_qualification"] >= lost


@pytest.mark.parametrize(("field", "value", "message"), [
    ("presentation_within_days", -1, "funnel.presentation_within_days"),
    ("cooling", {"half_life_days": 0}, "half_life_days > 0"),
    ("cooling", {"half_life_days": 2, "flor": 0.1}, "flor"),
])
def test_bad_booked_fields_are_clear_errors(field, value, message):
    doc = one_manager(None)
    doc["funnel"][field] = value
    with pytest.raises(InputError) as caught:
        parse_scenario(yaml.safe_dump(doc), "floor.yaml")
    assert message in str(caught.value)


@pytest.mark.slow
def test_the_engines_agree_statistically_with_cooling_and_a_time_limit():
    from .test_engine_equivalence import both_engines
    from .test_floor_equivalence import failures

    scenario = small_with_rules("round_robin")
    funnel = scenario.funnel.model_copy(update={"presentation_within_days": 1.5,
                                                "cooling": Cooling(half_life_days=2.0, floor=0.2)})
    scenario = scenario.model_copy(update={"funnel": funnel})
    for plan, (reference, ours) in both_engines(scenario, 60).items():
        assert not failures(reference, ours, RESOLVED), (plan, failures(reference, ours, RESOLVED))
        assert reference["presentations_lost_wait"].mean() > 0
        assert not disagreements(reference, ours, ["presentations_lost_wait"], ks=()), plan


# -- rule 3: closing calls -----------------------------------------------------------------------


def closing(share: float = 1.0, within: float = 7.0, priority: object = None) -> dict:
    doc = one_manager(priority)
    doc["funnel"]["closing"] = {"share": share, "delay_days": 0.5, "call_minutes": 5, "within_days": within}
    return doc


def paid_at(doc: dict, out) -> np.ndarray:
    """Per lead, when the deal is paid (NaN: not), by the shared deals code."""
    scenario = parse_scenario(yaml.safe_dump(doc), "<booked>")
    clients = draw_clients(scenario.funnel, len(out.end), np.random.default_rng(0))
    deals = settle(scenario.funnel, clients, np.where(out.end == OFFER, out.offer_time, np.nan), None,
                   out.closing_due, out.closing_time)
    paid = np.full(len(out.end), np.nan)
    paid[deals.lead] = deals.paid_at
    return paid


def test_a_closing_call_is_booked_work_and_holds_the_payment():
    # Lead 0's offer at 2010 (its presentation 1980-2010): the closing call is due 720 minutes
    # later (21:30), after hours; at 09:00 on day 2 (3420) it takes 5 / 0.5 = 10 minutes.
    doc = closing()
    out, log, _ = both(doc, [540.0])
    assert out.offer_time[0] == 2010.0 and out.closing_due[0] == 2730.0
    assert out.closing_time[0] == 3430.0 and out.closer[0] == 0
    assert (3420.0, "close", 0, 0) in log
    assert out.busy_minutes[0] == 4 + 20 + 30 + 10
    assert paid_at(doc, out)[0] == 3430.0  # paid at once after the offer, but not before the call
    no_call = one_manager(None)
    out, _, _ = both(no_call, [540.0])
    assert np.isnan(out.closing_due[0]) and np.isnan(out.closing_time[0]) and out.closer[0] == -1
    assert paid_at(no_call, out)[0] == 2010.0


@pytest.mark.parametrize(("priority", "close_at", "first_1"), [
    (None, 3420.0, 3430.0),  # booked first (the default): the closing call, then the fresh lead
    ("new_first", 3424.0, 3420.0),  # the fresh lead's dial (4 minutes), then the closing call
])
def test_a_closing_call_follows_the_priority(priority, close_at, first_1):
    out, log, _ = both(closing(priority=priority), [540.0, 3000.0])  # lead 1 arrives off shift
    assert (close_at, "close", 0, 0) in log
    assert out.first_attempt[1] == first_1
    assert out.closing_time[0] == close_at + 10.0


def test_a_closing_call_past_its_limit_is_dropped_and_the_deal_not_paid():
    # It comes up at 3420, 1410 minutes after the offer: past a limit of half a day (720).
    doc = closing(within=0.5)
    out, log, _ = both(doc, [540.0, 3000.0])
    assert (3420.0, "closing_dropped", 0, 0) in log
    assert np.isnan(out.closing_time[0]) and out.closer[0] == -1 and out.end[0] == OFFER
    assert out.first_attempt[1] == 3420.0  # the manager went on to the fresh lead at once
    assert np.isnan(paid_at(doc, out)[0])


def test_the_close_weight_acts_with_the_closers_factor_on_the_day_of_the_call():
    doc = closing()
    doc["team"]["skill_weights"] = {"close": 2.0}
    out, _, _ = both(doc, [540.0, 545.0])
    scenario = parse_scenario(yaml.safe_dump(doc), "<booked>")
    roster = build_roster(scenario, scenario.plans[0], np.random.default_rng(0))
    roster.conversion[:] = 0.5
    roster.conversion[0, 2] = 0.9  # the closer on the day of the closing call (day 2)
    leads = Leads(np.array([540.0, 545.0]), np.zeros(2, dtype=np.int64), np.ones(2, dtype=bool))
    world = World(scenario, leads, roster)
    out.closer[1], out.closing_time[1], out.closing_due[1] = -1, np.nan, np.nan  # lead 1: no call
    factor = close_factor(world, out)
    assert factor[0] == 0.9 ** 2  # the closer's, on day 2, not the owner's on the day of the offer
    assert factor[1] == 0.5 ** 2  # the owner's on the day of its offer


@pytest.mark.parametrize("policy", ["round_robin", "least_loaded"])
def test_both_engines_give_the_same_outcomes_with_closing_calls(policy):
    world = deterministic_world(policy, "new_first")
    funnel = world.scenario.funnel.model_copy(update={"closing": Closing(share=1.0, delay_days=Fixed(1.0),
                                                                         call_minutes=Fixed(8.0),
                                                                         within_days=3.0)})
    world = World(world.scenario.model_copy(update={"funnel": funnel}), world.leads, world.roster)
    ours = same_outcomes(world)
    offered = ours.end == OFFER
    made = ~np.isnan(ours.closing_time)
    assert made.sum() > 10 and (offered & ~made).sum() > 0  # some made, some not (dropped, or late)
    # Invariants: a call only for an offer, after it is due, by a manager; every offer needs one.
    assert offered[made].all() and (ours.closing_time[made] > ours.closing_due[made]).all()
    assert (ours.closer[made] >= 0).all() and (ours.closer[~made] == -1).all()
    np.testing.assert_array_equal(~np.isnan(ours.closing_due), offered)


@pytest.mark.parametrize("policy", fast.SPLIT_POLICIES)
def test_each_manager_alone_gives_the_event_loops_arrays_with_closing_calls(policy, monkeypatch):
    scenario = small_with_rules(policy)
    funnel = scenario.funnel.model_copy(update={"closing": Closing(share=0.5, within_days=2.0)})
    scenario = scenario.model_copy(update={"funnel": funnel})
    for r, world in worlds(scenario, 2):
        split = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        with monkeypatch.context() as patch:
            patch.setattr(fast, "SPLIT_POLICIES", ())
            loop = fast.simulate(world, stream(scenario.seed, r, "dynamics"))
        for field in ("manager", "attempts", "first_attempt", "contact", "end", "offer_time", "closing_due",
                      "closing_time", "closer", *SPLIT):
            np.testing.assert_array_equal(getattr(split, field), getattr(loop, field), err_msg=field)
        offers = (split.end == OFFER).sum()
        assert 0.3 * offers < (~np.isnan(split.closing_due)).sum() < 0.7 * offers


@pytest.mark.slow
def test_the_engines_agree_statistically_with_closing_calls():
    from .test_engine_equivalence import both_engines
    from .test_floor_equivalence import failures

    scenario = small_with_rules("round_robin")
    funnel = scenario.funnel.model_copy(update={"closing": Closing(share=0.6, within_days=3.0)})
    scenario = scenario.model_copy(update={"funnel": funnel})
    for plan, (reference, ours) in both_engines(scenario, 60).items():
        assert not failures(reference, ours, RESOLVED), (plan, failures(reference, ours, RESOLVED))
        assert ours["won"].mean() > 10 and reference["won"].mean() > 10
