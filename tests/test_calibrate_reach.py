"""Who can be reached: the joint fit of p_contact, the decay, and per channel broken numbers and a factor.

The round trip: a department with known broken-number shares and contact
factors per channel is played by the reference engine and written as an
export (:mod:`simsales.montecarlo.events`); ``calibrate`` fits it; each
value's fitted distribution holds the truth.  A fit without the mixture
(every share held at 0) is shown biased on the same export: the broken
numbers fail every attempt, so they pile up in the later attempts and pull
those chances down.  The likelihood itself is checked by hand on three
leads, and its gradient against differences.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from simsales.analysis.backtest import scenario_of
from simsales.calibrate import calibrate
from simsales.calibrate.frame import build_frame, window
from simsales.calibrate.reach_likelihood import Mixture, chain_data
from simsales.calibrate.touch import chain_attempts, reach_of
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario
from tests.test_calibrate_roundtrip import fitted, interval

P_CONTACT = [0.6, 0.45, 0.35, 0.3, 0.25]
TRUTH = {
    "name": "truth", "start": "2026-07-01", "horizon_days": 42, "seed": 1,
    "calendar": {"default": "09:00-21:00"},
    "channels": [
        {"name": "ads", "leads_per_day": 90, "nontarget_share": 0.1, "unreachable_share": 0.1},
        {"name": "social", "leads_per_day": 60, "nontarget_share": 0.15, "unreachable_share": 0.25,
         "contact_factor": 0.7},
        {"name": "partners", "leads_per_day": 1, "unreachable_share": 0.05, "contact_factor": 1.1},
    ],
    "routing": {"policy": "round_robin", "onboarding_days": 0},
    "touch_chain": {"offsets": ["0m", "30m", "3h", "1d", "2d"], "p_contact": P_CONTACT,
                    "decay": {"half_life": "4h", "floor": 0.3}, "dial_minutes": 1,
                    "call_minutes": {"lognormal": {"mean": 8, "sd": 4}},
                    "nontarget_call_minutes": {"lognormal": {"mean": 2, "sd": 1}}, "lead_ttl": "3d"},
    "funnel": {"qualify": 0.4, "offer": {"p": 0.45, "delay_days": {"exponential": 1}, "call_minutes": 20},
               "installment_share": 0.55, "invoice_paid": {"p": 0.85, "delay_days": {"exponential": 2}},
               "link_filled": {"p": 0.75, "delay_days": {"exponential": 1}},
               "bank_approved": {"p": 0.85, "delay_days": {"exponential": 1}},
               "refunds": {"share": 0.05, "window_days": 14},
               "price": {"check": {"normal": [60000, 10000], "min": 20000}, "bank_commission": 0.07}},
    "team": {"team_leads": [{"name": "anna", "tenure_days": 400}],
             "managers": [{"team_lead": "anna", "count": 10, "tenure_days": 300}],
             "shifts": [{"name": "day", "pattern": "5/2", "start": "09:00", "hours": 12}],
             "talk_share": 1.0, "skill": 1.0, "attrition": {"monthly": 0.0, "probation_monthly": 0.0}},
    "plans": [{"name": "hold"}],
}
"""About 6,300 leads over 6 weeks: broken numbers 10% of ads and 25% of social, social's leads answer 0.7x
as often; the decay and the waits spread the attempts' ages, which tells a broken number from an unlucky
lead.  A talk share of 1 makes the export's call lengths the calls' own.  ``partners`` has too few leads."""

CHECKED = {
    "channels.ads.unreachable_share": 0.1, "channels.social.unreachable_share": 0.25,
    "channels.social.contact_factor": 0.7,
    "channels.ads.nontarget_share": 0.1, "channels.social.nontarget_share": 0.15,
    **{f"touch_chain.p_contact.{k}": p for k, p in enumerate(P_CONTACT)},
}


@pytest.fixture(scope="module")
def world():
    truth = parse_scenario(yaml.safe_dump(TRUTH, sort_keys=False), "<truth>")
    run = simulate_events(truth, "hold", replication=0, seed=3)
    since, until = window(run.export, None, None)
    frame = build_frame(run.export, since, until)
    attempts = chain_attempts(frame)
    cal = calibrate(run.export)
    return {
        "cal": cal,
        "scenario": scenario_of(cal.document),
        "mixture": reach_of(frame, attempts),
        "plain": reach_of(frame, attempts, mixture=False),
    }


def test_unreachable_shares_contact_factors_and_chances_are_recovered_in_their_99_percent_intervals(world):
    missed = {}
    for path, true in CHECKED.items():
        lo, hi = interval(fitted(world["scenario"], path), 0.99)
        if not lo <= true <= hi:
            missed[path] = (true, round(lo, 4), round(hi, 4))
    assert not missed, f"truth outside the fitted 99% interval: {missed}"
    ads = next(c for c in world["scenario"].channels if c.name == "ads")
    assert ads.contact_factor == 1.0  # the reference: the channel with the most leads


def test_without_the_mixture_the_later_chances_are_biased_low_and_with_it_they_are_not(world):
    """The fit that holds every share at 0 puts each later chance's 99% interval below the truth.

    A broken number fails every attempt, so at attempt k the leads still
    unreached hold more and more of them (a quarter of social's leads):
    the share answered falls faster than p_contact, and a fit without them
    reads that fall as lower chances.  The mixture's intervals hold the truth.
    """
    z = 2.576
    for name in ("plain", "mixture"):
        fit = world[name]
        hi = fit.p + z * np.sqrt(fit.p_var)
        lo = fit.p - z * np.sqrt(fit.p_var)
        later = range(1, len(P_CONTACT))
        if name == "plain":
            assert all(hi[k] < P_CONTACT[k] for k in later), (name, fit.p, hi)
            assert not fit.identified.any()
        else:
            assert all(lo[k] <= P_CONTACT[k] <= hi[k] for k in range(len(P_CONTACT))), (name, fit.p, lo, hi)


def test_a_channel_with_too_few_repeat_attempts_keeps_the_default_share_and_lists_it(world):
    cal, fit = world["cal"], world["mixture"]
    at = {c["name"]: i for i, c in enumerate(cal.document["channels"])}
    small, big = at["partners"], at["ads"]
    assert fit.multi[small] < 200 and not fit.identified[small]
    assert f"channels[{small}].unreachable_share" in cal.defaults
    assert cal.document["channels"][small]["unreachable_share"] == 0.0
    assert "attempted twice or more" in cal.comments[f"channels[{small}].unreachable_share"]
    assert f"channels[{big}].unreachable_share" not in cal.defaults and fit.identified[big]


def test_call_minutes_come_from_target_leads_and_nontarget_call_minutes_from_the_others(world):
    """Lognormal means 8 and 2 minutes; on ~2,000 and ~400 contact calls the fitted means are within
    4 standard errors (sd / sqrt(n): 0.09 and 0.05 minutes)."""
    doc = world["cal"].document["touch_chain"]
    target, short = doc["call_minutes"]["lognormal"], doc["nontarget_call_minutes"]["lognormal"]
    assert abs(target["mean"] - 8) < 4 * 4 / math.sqrt(2000), target
    assert abs(short["mean"] - 2) < 4 * 1 / math.sqrt(400), short
    assert abs(target["sd"] - 4) < 0.6 and abs(short["sd"] - 1) < 0.3


def _three_leads():
    """Lead 0 (ads) answers attempt 0; lead 1 (ads) fails attempts 0 and 1; lead 2 (social) fails 0,
    answers 1."""
    k = np.array([0, 0, 1, 0, 1])
    age = np.array([0.0, 0.0, 60.0, 30.0, 120.0])
    lead = np.array([0, 1, 1, 2, 2])
    channel = np.array([0, 0, 0, 1, 1])
    answered = np.array([True, False, False, False, True])
    return chain_data(k, age, lead, channel, answered, 2, 2)


def test_the_likelihood_of_three_leads_by_hand():
    d = _three_leads()
    model = Mixture(2, 2, 0, np.array([True, True]), np.array([True, True]))
    p, h, floor, u, f = [0.6, 0.4], 120.0, 0.3, [0.1, 0.2], [1.0, 0.5]
    theta = np.array([*np.log(np.array(p) / (1 - np.array(p))), math.log(h), math.log(floor / (1 - floor)),
                      *u, math.log(f[1])])

    def q(k, age, c):
        return p[k] * f[c] * max(floor, 0.5 ** (age / h))

    lead0 = (1 - u[0]) * q(0, 0, 0)
    lead1 = u[0] + (1 - u[0]) * (1 - q(0, 0, 0)) * (1 - q(1, 60, 0))
    lead2 = (1 - u[1]) * (1 - q(0, 30, 1)) * q(1, 120, 1)
    nll, _ = model.nll(theta, d)
    assert nll == pytest.approx(-math.log(lead0 * lead1 * lead2), rel=1e-12)


def test_the_gradient_matches_differences_of_the_likelihood():
    rng = np.random.default_rng(0)
    n = 400
    k = np.tile(np.arange(3), n)
    lead = np.repeat(np.arange(n), 3)
    age = np.cumsum(rng.exponential(90, 3 * n).reshape(n, 3), axis=1).ravel()
    channel = np.repeat(rng.integers(0, 3, n), 3)
    last = rng.integers(0, 4, n)  # answered at attempt last (3: never)
    keep = k <= np.repeat(np.minimum(last, 2), 3)
    answered = (k == np.repeat(last, 3))[keep]
    d = chain_data(k[keep], age[keep], lead[keep], channel[keep], answered, 3, 3)
    model = Mixture(3, 3, 1, np.array([True, True, False]), np.array([True, True, True]))
    theta = np.array([0.3, -0.2, -0.8, math.log(200.0), -0.5, 0.1, 0.2, 0.3, -0.4])
    _, grad = model.nll(theta, d)
    step = 1e-6
    diff = [(model.nll(theta + e, d)[0] - model.nll(theta - e, d)[0]) / (2 * step) for e in np.eye(9) * step]
    np.testing.assert_allclose(grad, diff, rtol=1e-5, atol=1e-5)


def test_no_attempt_no_fit():
    empty = pd.DataFrame({"lead": np.zeros(0, int), "k": np.zeros(0, int), "age": np.zeros(0),
                          "answered": np.zeros(0, bool)})
    assert reach_of(None, empty) is None  # type: ignore[arg-type]


def test_a_share_the_attempts_cannot_tell_keeps_the_default():
    """One channel, every attempt made at age 0 (no decay to tell young from old failures): a 20% share
    of broken numbers and lower chances give the same chains (for any u, p_k' = hazard of attempt k among
    the reachable fits as well), so the share is not identified and stays 0, with the reason."""
    from types import SimpleNamespace

    from simsales.calibrate.reach import fit_reach

    rng = np.random.default_rng(5)
    n, p = 4000, np.array([0.5, 0.4, 0.3])
    broken = rng.random(n) < 0.2
    answered = (rng.random((n, 3)) < p) & ~broken[:, None]
    first = np.where(answered.any(axis=1), answered.argmax(axis=1), 2)
    lead, k = np.nonzero(np.arange(3)[None, :] <= first[:, None])
    attempts = pd.DataFrame({"lead": lead, "k": k, "age": np.zeros(len(k)), "answered": answered[lead, k]})
    frame = SimpleNamespace(channel=np.zeros(n, dtype=np.int64), channels=["only"])
    start = np.array([0.0, 0.0, 0.0, math.log(360.0), 0.0])
    fit = fit_reach(attempts, frame, 3, start)  # type: ignore[arg-type]
    assert fit.multi[0] > 1000  # plenty of repeat attempts: the count rule does not decide it
    assert not fit.identified[0] and fit.share[0] == 0.0
    assert "cannot tell" in fit.why[0]


def test_shares_on_a_ridge_are_dropped_and_the_chances_stay_right():
    """Two alike channels, no broken numbers, chances that do not decay with age: a share u and chances
    raised to match trade off exactly along a ridge.  The shares are dropped (here by their standard
    error; where the optimiser runs to the ridge's end, a chance of 100% whose curvature makes a share
    look precise, by the likelihood-ratio test: test_calibrate_roundtrip's department fails without
    it), and the chances are the plain ones (within 4 standard errors of 0.6, 0.4, 0.3, 6,000 leads)."""
    from types import SimpleNamespace

    from simsales.calibrate.reach import fit_reach

    rng = np.random.default_rng(11)
    n, p = 6000, np.array([0.6, 0.4, 0.3])
    age = np.cumsum(rng.exponential(120.0, (n, 3)), axis=1)
    answered = rng.random((n, 3)) < p
    first = np.where(answered.any(axis=1), answered.argmax(axis=1), 2)
    lead, k = np.nonzero(np.arange(3)[None, :] <= first[:, None])
    attempts = pd.DataFrame({"lead": lead, "k": k, "age": age[lead, k], "answered": answered[lead, k]})
    frame = SimpleNamespace(channel=rng.integers(0, 2, n), channels=["a", "b"])
    start = np.array([0.0, 0.0, 0.0, math.log(360.0), 0.0])
    fit = fit_reach(attempts, frame, 3, start)  # type: ignore[arg-type]
    assert not fit.identified.any() and (fit.share == 0).all()
    assert all("cannot tell" in w for w in fit.why), fit.why
    assert np.all(np.abs(fit.p - p) < 4 * np.sqrt(fit.p_var)), (fit.p, np.sqrt(fit.p_var))
