"""Each fit recovers the parameters a synthetic department was drawn with."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsales.calibrate import calibrate
from simsales.calibrate.channels import fit_volume
from simsales.calibrate.touch import fit_contact

from .calibrate_synth import Truth, synth_export


def test_volume_fit_recovers_level_weekdays_growth_and_overdispersion():
    rng = np.random.default_rng(5)
    days = np.arange(180)
    weekday = days % 7
    profile = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.8, 0.9])
    profile = profile / profile.mean()
    growth, od, level = 0.05, 0.04, 200.0
    mu = level * profile[weekday] * (1 + growth) ** (days / (365.25 / 12))
    y = rng.poisson(rng.gamma(1 / od, mu * od))
    fit = fit_volume(y, weekday, days, ahead=180.0)
    assert fit["growth"] == pytest.approx(growth, abs=3 * fit["growth_se"])
    assert fit["od"] == pytest.approx(od, rel=0.35)  # 180 days tell the dispersion to about 12%
    assert fit["weekday"] == pytest.approx(profile, abs=0.08)
    # The level at the scenario's start (day 180) is the level carried forward by the growth.
    at_start = level * (1 + growth) ** (180 / (365.25 / 12))
    assert math.log(fit["level"] / at_start) == pytest.approx(0.0, abs=3 * fit["log_sd"])


def test_poisson_days_give_no_overdispersion():
    rng = np.random.default_rng(6)
    days = np.arange(120)
    y = rng.poisson(np.full(120, 80.0))
    fit = fit_volume(y, days % 7, days, ahead=120.0)
    assert fit["od"] < 0.005
    assert fit["growth"] == pytest.approx(0.0, abs=3 * fit["growth_se"])


def test_contact_fit_recovers_chances_half_life_and_floor():
    # Attempt k at a known age (waits spread the ages), answered with p[k] * max(floor, 0.5 ** (age / h)).
    rng = np.random.default_rng(8)
    n = 60000
    p, h, floor = np.array([0.7, 0.45, 0.3]), 180.0, 0.35
    offsets = np.array([0.0, 120.0, 1440.0])
    age = offsets[None, :] + rng.exponential(90.0, (n, 3))
    q = p[None, :] * np.maximum(floor, 0.5 ** (age / h))
    answered = rng.random((n, 3)) < q
    first = np.where(answered.any(1), answered.argmax(1), 2)
    made = np.arange(3)[None, :] <= first[:, None]
    lead, k = np.nonzero(made)
    fit = fit_contact(k, age[lead, k], answered[lead, k], 3)
    se = np.sqrt(fit["p_var"])
    assert np.all(np.abs(fit["p"] - p) < 4 * se + 0.01), (fit["p"], se)
    assert fit["half_life"] == pytest.approx(h, abs=4 * fit["half_life_se"] + 5)
    assert fit["floor"] == pytest.approx(floor, abs=4 * fit["floor_se"] + 0.01)


@pytest.fixture(scope="module")
def big():
    """One larger department: 60 managers, 20 of them hired in the window, 4 months."""
    truth = Truth(days=150, levels=(260.0, 120.0), managers=60, new_hires=20, skill_sd=0.3)
    return truth, calibrate(synth_export(truth, 21))


def _prob(spec):
    a, b = spec["beta"]
    return a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def test_funnel_probabilities_cover_the_truth(big):
    truth, cal = big
    funnel = cal.document["funnel"]
    for spec, true in (
        (funnel["invoice_paid"]["p"], truth.invoice_paid),
        (funnel["link_filled"]["p"], truth.link_filled),
        (funnel["bank_approved"]["p"], truth.bank_approved),
        (funnel["installment_share"], truth.installment),
    ):
        mean, sd = _prob(spec)
        assert abs(mean - true) < 3.5 * sd, (spec, true)


def test_client_delays_are_recovered(big):
    truth, cal = big
    funnel = cal.document["funnel"]
    # The presentation's delay, read from its call's start (the synthetic calls show no common pace, so
    # each is taken as made when due): the truth's days to the offer less the call's ~22 minutes.
    offer = funnel["offer"]["delay_days"]
    mean = offer["exponential"] if "exponential" in offer else next(iter(offer.values()))["mean"]
    assert mean == pytest.approx(truth.offer_delay_days, rel=0.08)
    assert "each taken as made when due" in cal.comments["funnel.offer.delay_days"]
    assert funnel["link_filled"]["delay_days"]["exponential"] == pytest.approx(truth.link_delay_days, rel=0.1)
    shape, scale = truth.invoice_delay_days
    assert funnel["invoice_paid"]["delay_days"]["gamma"]["mean"] == pytest.approx(shape * scale, rel=0.08)


def test_refunds_and_price(big):
    truth, cal = big
    refunds = cal.document["funnel"]["refunds"]
    mean, sd = _prob(refunds["share"])
    assert abs(mean - truth.refund_share) < 3.5 * sd
    assert truth.refund_window_days <= refunds["window_days"] <= truth.refund_window_days * 1.15
    price = cal.document["funnel"]["price"]
    assert price["bank_commission"] == pytest.approx(truth.commission, abs=0.002)
    assert price["check"]["normal"][0] == pytest.approx(truth.price[0], rel=0.03)


def test_ramp_and_skill_spread(big):
    truth, cal = big
    team = cal.document["team"]
    months = team["ramp"]["months"]
    assert months[0] == pytest.approx(truth.ramp[0], abs=0.12)
    assert months[1] == pytest.approx(truth.ramp[1], abs=0.15)
    # 60 managers tell a spread of 0.3 to within about +-0.1 (its own sampling error is ~0.03).
    assert team["skill"]["lognormal"]["sd"] == pytest.approx(truth.skill_sd, abs=0.1)


def test_volumes_growth_and_nontarget(big):
    truth, cal = big
    for c, level in enumerate(truth.levels):
        channel = cal.document["channels"][c]
        growth, se = channel["growth_per_month"]["normal"]
        assert abs(growth - truth.growth) < 3.5 * se
        start = level * (1 + truth.growth) ** (truth.days / (365.25 / 12))
        assert channel["leads_per_day"]["lognormal"]["mean"] == pytest.approx(start, rel=0.12)
        mean, sd = _prob(channel["nontarget_share"])
        assert abs(mean - truth.nontarget) < 3.5 * sd
    ratio = (
        cal.document["channels"][1]["quality"]["gamma"]["mean"]
        / cal.document["channels"][0]["quality"]["gamma"]["mean"]
    )
    assert ratio == pytest.approx(truth.quality[1] / truth.quality[0], rel=0.08)


def test_touch_chain_from_the_calls(big):
    truth, cal = big
    chain = cal.document["touch_chain"]
    assert len(chain["offsets"]) == len(truth.offsets)
    # The planned offsets, not the plan plus the wait for a free manager (the median age at attempt 3
    # would be 14 minutes late: the median of the synthetic Exp(20 min) wait).  The waits pile up at
    # zero, so the densest window of ages starts at the plan, to well under a minute.
    assert chain["offsets"] == pytest.approx(list(truth.offsets), abs=0.5)
    assert chain["decay"]["half_life"] == pytest.approx(truth.half_life, rel=0.25)
    assert chain["decay"]["floor"] == pytest.approx(truth.floor, abs=0.06)
    first, sd = _prob(chain["p_contact"][0])
    assert abs(first - truth.p_contact[0]) < 4 * sd + 0.02
