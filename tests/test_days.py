"""day_of: the day of a minute exactly as Python's ``minutes // 1440`` gives it."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from simsales.engines.fast.days import day_of
from simsales.scenario.units import MINUTES_PER_DAY


@njit
def compiled_days(minutes: np.ndarray) -> np.ndarray:
    """day_of as the loops call it: inlined into compiled code."""
    out = np.empty(minutes.size, np.int64)
    for i in range(minutes.size):
        out[i] = day_of(minutes[i])
    return out


def python_days(minutes: np.ndarray) -> np.ndarray:
    return np.array([int(float(x) // MINUTES_PER_DAY) for x in minutes], np.int64)


@settings(deadline=None)
@given(st.lists(st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_equals_python_floor_division(minutes):
    values = np.array(minutes)
    np.testing.assert_array_equal(compiled_days(values), python_days(values))


def test_next_to_every_midnight():
    """Just below a midnight the rounded quotient is the next day: the correction takes it back."""
    days = np.arange(-400, 4000, dtype=float)
    midnight = days * MINUTES_PER_DAY
    values = np.concatenate([np.nextafter(midnight, -np.inf), midnight, np.nextafter(midnight, np.inf),
                             midnight - 1e-9, midnight + 0.5])
    expected = python_days(values)
    assert (compiled_days(values) == expected).all()
    below = np.nextafter(midnight, -np.inf)
    rounded_up = np.array([math.floor(x / MINUTES_PER_DAY) for x in below]) != python_days(below)
    assert rounded_up.any()  # the case the correction is there for does occur
