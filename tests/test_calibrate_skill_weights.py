"""Round trip for ``team.skill_weights`` (qualify, close): how strongly a manager's factor acts per step.

A department whose managers differ (skill lognormal, sd 0.35) with a
qualify weight of 1 is played by the reference engine and exported;
:func:`simsales.calibrate.calibrate` must find the weight inside its
interval, and a department whose qualify weight is 0 must keep the default.
The close weight is checked on the engine's own deals and on the export,
which closes an unpaid invoice or unfilled link with the owner's factor
applied (``montecarlo/event_tables.py``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from simsales.analysis.backtest import scenario_of
from simsales.calibrate import calibrate
from simsales.calibrate.skill_weights import fit_weight
from simsales.montecarlo.events import simulate_events
from simsales.montecarlo.replication import close_factor
from simsales.scenario.loader import parse_scenario

TRUTH = {
    "name": "skills", "start": "2026-07-06", "horizon_days": 84, "seed": 3, "warmup_days": 0,
    "calendar": {"default": "09:00-21:00"},
    "channels": [{"name": "ads", "leads_per_day": 120, "cpl": 500}],
    "routing": {"policy": "round_robin", "onboarding_days": 0},
    "touch_chain": {"offsets": ["0m", "2h", "1d", "2d"], "p_contact": [0.5, 0.4, 0.3, 0.25],
                    "dial_minutes": 1, "call_minutes": 8, "lead_ttl": "3d"},
    "funnel": {"qualify": 0.4,
               "offer": {"p": 0.6, "delay_days": {"exponential": 1}, "call_minutes": 20},
               "installment_share": 0.5,
               "invoice_paid": {"p": 0.85, "delay_days": {"exponential": 2}},
               "link_filled": {"p": 0.75, "delay_days": {"exponential": 1}},
               "bank_approved": {"p": 0.85, "delay_days": {"exponential": 1}},
               "price": {"check": 60000}},
    "team": {"team_leads": [{"name": "anna", "tenure_days": 400}],
             "managers": [{"team_lead": "anna", "count": 30, "tenure_days": 300}],
             "shifts": [{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 8, "share": 0.5},
                        {"name": "late", "pattern": "2/2", "start": "13:00", "hours": 8, "share": 0.5}],
             "talk_share": 0.6, "span_max": 30,
             "skill": {"lognormal": {"mean": 1.0, "sd": 0.35}},
             "skill_weights": {"qualify": 1.0, "offer": 1.0, "close": 1.0},
             "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
    "plans": [{"name": "hold"}],
}
"""30 ramped managers of spread skill, 12 weeks, 120 leads a day: about 10,000 leads, 3,000 presentations."""


def _run(truth: dict, seed: int):
    scenario = parse_scenario(yaml.safe_dump(truth, sort_keys=False), "<truth>")
    run = simulate_events(scenario, "hold", replication=0, seed=seed)
    cal = calibrate(run.export)
    return run, cal, scenario_of(cal.document)


@pytest.fixture(scope="module")
def weighted():
    return _run(TRUTH, seed=5)


def _interval(comment: str) -> tuple[float, float]:
    text = comment.split("(90% ")[1].split(")")[0]
    lo, hi = (float(x) for x in text.split(".."))
    return lo, hi


def test_the_qualify_weight_is_recovered_within_its_interval(weighted):
    _, cal, sc = weighted
    lo, hi = _interval(cal.comments["team.skill_weights.qualify"])
    assert lo <= 1.0 <= hi, (sc.team.skill_weights.qualify, lo, hi)
    assert sc.team.skill_weights.qualify == pytest.approx(1.0, abs=0.3)


def test_a_qualify_weight_of_zero_stays_at_the_default():
    truth = copy.deepcopy(TRUTH)
    truth["team"]["skill_weights"] = {"qualify": 0.0, "offer": 1.0, "close": 0.0}
    _, cal, sc = _run(truth, seed=6)
    assert sc.team.skill_weights.qualify == 0.0
    assert "team.skill_weights.qualify" in cal.defaults


def test_the_close_weight_is_read_from_the_engines_deals(weighted):
    """Each offer's payment against its owner's factor on the offer day, capped at sure: weight 1."""
    run, _, _ = weighted
    factor = close_factor(run.world, run.outcomes)
    rows, inst = run.deals.lead, run.deals.installment
    paid = np.where(inst, ~np.isnan(run.deals.counted_at), ~np.isnan(run.deals.paid_at))
    fit = fit_weight(factor[rows], paid, inst.astype(np.int64), run.outcomes.manager[rows], boot=20)
    assert fit["lo"] <= 1.0 <= fit["hi"], fit
    assert fit["on"]


def test_the_close_weight_is_recovered_from_the_export(weighted):
    _, cal, _ = weighted
    lo, hi = _interval(cal.comments["team.skill_weights.close"])
    assert lo <= 1.0 <= hi


def test_the_presentation_is_its_callers_when_closing_calls_are_handed_over():
    """Hand-overs and closing calls: the lead's owner at the export is often not its presenter.

    A closing call due while the presenter is off goes to a manager on shift, who then owns the lead;
    read against that owner, one offer in seven or so went to the wrong manager: the skill's spread
    came out 0.25 for 0.35 and the close weight about 1.3 (its interval above 1). Read against the
    presentation call's maker, both are found.
    """
    truth = copy.deepcopy(TRUTH)
    truth["routing"]["handover_after_hours"] = 1
    truth["funnel"]["closing"] = {"share": 0.7, "delay_days": {"exponential": 1.5}, "call_minutes": 10,
                                  "within_days": 4}
    run, cal, sc = _run(truth, seed=5)
    assert (run.outcomes.handovers > 0).mean() > 0.3  # the premise: hand-overs are common
    assert sc.team.skill.s == pytest.approx(0.35, abs=0.06)
    for step in ("qualify", "close"):
        lo, hi = _interval(cal.comments[f"team.skill_weights.{step}"])
        assert lo <= 1.0 <= hi, (step, lo, hi)
