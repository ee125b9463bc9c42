"""The touch chain's planned offsets on an overloaded floor: few attempts on time, all at the same second."""

from __future__ import annotations

import numpy as np

from simsales.calibrate.offsets import planned_offset


def overloaded(on_time: float, n: int = 20_000, offset: float = 180.0, seed: int = 3) -> np.ndarray:
    """Ages at one attempt: ``on_time`` of them at the offset (to the second), the rest after a wait:
    half of those the next morning's backlog (about 2 days on, within a few hours), half spread."""
    rng = np.random.default_rng(seed)
    k = int(on_time * n)
    exact = offset + rng.uniform(0.0, 1.0 / 60.0, k)  # whole-second timestamps
    backlog = offset + rng.normal(3000.0, 150.0, (n - k) // 2)
    rest = n - k - len(backlog)
    spread = offset + rng.exponential(2000.0, rest) + rng.uniform(0.0, 300.0, rest)
    return np.concatenate([exact, backlog, spread])


def test_a_small_exact_pile_is_the_offset_though_most_attempts_wait():
    """0.5% of the attempts made on time (q3's fourth attempt): the exact pile is the offset; the
    density of relative windows alone (1% needed) would pick an age among the waits."""
    ages = overloaded(0.005)
    assert abs(planned_offset(ages) - 180.0) < 1.0 / 60.0
    x = np.sort(ages)  # the relative rule alone, for contrast: no window of 1% at the offset
    assert ((x >= 180.0) & (x <= 180.0 + 0.05 + 0.02 * 180.0)).sum() < 0.01 * len(x)
    assert ((x >= 3000.0) & (x <= 3000.0 + 0.05 + 0.02 * 3000.0)).sum() > 0.01 * len(x)  # the backlog's


def test_without_an_exact_pile_the_start_of_the_densest_relative_window_is_taken():
    """A real floor keeps its plan to within minutes: ages spread 0-4 minutes after the offset for 30%
    of attempts, no two at the same second more than by chance: the relative window's start."""
    rng = np.random.default_rng(5)
    on_time = 180.0 + rng.uniform(0.0, 4.0, 6000)
    late = 180.0 + rng.exponential(2000.0, 14000)
    got = planned_offset(np.concatenate([on_time, late]))
    assert 180.0 <= got < 184.0


def test_stray_coincidences_are_no_pile():
    """Ages spread evenly: no window stands out 3 times over its neighbours; nothing below the data."""
    rng = np.random.default_rng(9)
    ages = 60.0 + rng.exponential(600.0, 50_000)
    got = planned_offset(ages)
    assert 60.0 <= got < 60.0 + 0.05 + 0.02 * 60.0 + 5.0
