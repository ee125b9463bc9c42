"""The hour of day a lead arrives (MODEL.md section 2): a B2C day by default, ``flat`` around the clock."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simsales.scenario import Channel
from simsales.world.arrivals import DEFAULT_HOUR_PROFILE, generate_leads

N_DAYS = 200


def hours_of(channel: Channel, seed: int = 3) -> np.ndarray:
    leads = generate_leads([channel], dt.date(2026, 7, 1), N_DAYS, np.random.default_rng(seed))
    return np.bincount((leads.created % 1440 // 60).astype(np.int64), minlength=24)


def within_se(counts: np.ndarray, shares: np.ndarray, n_se: float = 4.0) -> bool:
    n = counts.sum()
    se = np.sqrt(shares * (1 - shares) / n)
    return bool((np.abs(counts / n - shares) <= n_se * se).all())


def test_a_channel_without_an_hour_profile_gets_the_b2c_day():
    counts = hours_of(Channel(name="ads", leads_per_day=300))
    shares = np.asarray(DEFAULT_HOUR_PROFILE, dtype=float) / sum(DEFAULT_HOUR_PROFILE)
    assert within_se(counts, shares)
    night = counts[1:7].sum() / counts.sum()  # 01:00-07:00: 7.8% of the day, not 25%
    assert 0.07 < night < 0.09
    assert counts[4] < counts[13] / 5 and counts[21] > counts[9]


@pytest.mark.parametrize("flat", ["flat", [2.5] * 24])
def test_flat_spreads_leads_evenly_around_the_clock_with_the_draws_of_a_uniform_minute(flat):
    counts = hours_of(Channel(name="ads", leads_per_day=300, hour_profile=flat))
    assert within_se(counts, np.full(24, 1 / 24))
    # The same leads for "flat" and 24 equal values: both are the uniform minute of the day.
    a = generate_leads([Channel(name="a", leads_per_day=50, hour_profile="flat")], dt.date(2026, 7, 1), 10,
                       np.random.default_rng(1))
    b = generate_leads([Channel(name="a", leads_per_day=50, hour_profile=flat)], dt.date(2026, 7, 1), 10,
                       np.random.default_rng(1))
    np.testing.assert_array_equal(a.created, b.created)


def test_a_given_profile_is_followed():
    profile = [0] * 9 + [1] * 12 + [0] * 3  # 09:00-21:00 only
    counts = hours_of(Channel(name="ads", leads_per_day=100, hour_profile=profile))
    assert counts[:9].sum() == 0 and counts[21:].sum() == 0 and counts[9:21].min() > 0


def test_flat_is_the_only_word_an_hour_profile_takes():
    with pytest.raises(ValueError, match="hour_profile"):
        Channel(name="ads", leads_per_day=1, hour_profile="evenly")
