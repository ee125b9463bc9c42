"""The contact decay (MODEL.md section 4): one rule, the same factor for every caller."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from simsales.engines import des
from simsales.engines.fast import chain as fast_chain
from simsales.scenario import Decay
from simsales.world import contact
from simsales.world.contact import HALF_LIFE, NO_DECAY, TABLE, contact_decay, decay, decay_args

NO_TABLE = np.zeros((2, 1))
TABLE_ROWS = [(0.0, 1.0), (60.0, 0.8), (600.0, 0.5), (2880.0, 0.3)]


@njit
def compiled_caller(ages: np.ndarray, kind: int, half_life: float, floor: float,
                    table: np.ndarray) -> np.ndarray:
    """decay as the engine's loops use it: called from compiled code."""
    out = np.empty(ages.size)
    for i in range(ages.size):
        out[i] = decay(ages[i], kind, half_life, floor, table)
    return out


def test_half_life():
    assert decay(0.0, HALF_LIFE, 360.0, 0.0, NO_TABLE) == 1.0
    assert decay(360.0, HALF_LIFE, 360.0, 0.0, NO_TABLE) == 0.5
    assert decay(720.0, HALF_LIFE, 360.0, 0.0, NO_TABLE) == 0.25
    assert decay(180.0, HALF_LIFE, 360.0, 0.0, NO_TABLE) == pytest.approx(2**-0.5)


def test_floor():
    assert decay(360.0, HALF_LIFE, 360.0, 0.4, NO_TABLE) == 0.5
    assert decay(720.0, HALF_LIFE, 360.0, 0.4, NO_TABLE) == 0.4
    assert decay(1e9, HALF_LIFE, 360.0, 0.4, NO_TABLE) == 0.4


def test_table_by_age_bucket():
    _, _, _, table = decay_args(Decay(table=TABLE_ROWS))
    factor = [decay(age, TABLE, 1.0, 0.0, table) for age in (0.0, 59.9, 60.0, 599.0, 600.0, 2880.0, 1e7)]
    assert factor == [1.0, 1.0, 0.8, 0.8, 0.5, 0.3, 0.3]
    later = np.array([[30.0, 90.0], [0.7, 0.2]])
    assert decay(10.0, TABLE, 1.0, 0.0, later) == 1.0  # before the first bucket: no decay yet


def test_no_decay():
    assert decay_args(None)[0] == NO_DECAY
    assert decay(1e6, *decay_args(None)) == 1.0
    assert contact_decay(1e6, None, 0.0, None, None) == 1.0


def test_equals_the_formula_bit_for_bit_from_python_and_from_compiled_code():
    rng = np.random.default_rng(4)
    ages = rng.exponential(2000.0, 20_000)
    for half_life, floor in ((360.0, 0.4), (97.3, 0.0), (1440.0, 0.05)):
        expected = np.array([max(floor, 0.5 ** (age / half_life)) for age in ages])
        from_python = np.array([decay(age, HALF_LIFE, half_life, floor, NO_TABLE) for age in ages])
        np.testing.assert_array_equal(from_python, expected)
        np.testing.assert_array_equal(compiled_caller(ages, HALF_LIFE, half_life, floor, NO_TABLE), expected)
    _, _, _, table = decay_args(Decay(table=TABLE_ROWS))
    ages_of, factors = table
    expected = np.array([factors[i] if (i := np.searchsorted(ages_of, age, side="right") - 1) >= 0 else 1.0
                         for age in ages])
    np.testing.assert_array_equal(compiled_caller(ages, TABLE, 1.0, 0.0, table), expected)


def test_the_scenarios_values_give_the_same_factor():
    rng = np.random.default_rng(5)
    half = Decay(half_life=360.0, floor=0.4)
    for age in rng.exponential(2000.0, 500):
        assert contact_decay(age, 360.0, 0.4, None, None) == decay(age, *decay_args(half))
        ages, factors = zip(*TABLE_ROWS, strict=True)
        assert contact_decay(age, None, 0.0, list(ages), list(factors)) == decay(
            age, *decay_args(Decay(table=TABLE_ROWS)))


def test_both_engines_call_the_one_function():
    assert fast_chain.decay is contact.decay
    assert des.decay is contact.decay


@settings(deadline=None)
@given(st.floats(0.0, 5000.0), st.sampled_from([0.0, 2.0**-10, 0.05, 0.25, 0.3, 0.4, 0.5, 0.999, 1.0, 1.5]),
       st.sampled_from([1.0, 60.0, 97.3, 360.0]))
def test_the_floor_shortcut_equals_the_formula(exponent, floor, half_life):
    """Past the floor the pow is skipped; the factor is the formula's, bit for bit, on both sides of it."""
    for e in (exponent, float(round(exponent)), np.nextafter(float(round(exponent)), np.inf),
              np.nextafter(float(round(exponent)), -np.inf)):
        age = e * half_life
        expected = max(floor, 0.5 ** (age / half_life))
        assert decay(age, HALF_LIFE, half_life, floor, NO_TABLE) == expected
        assert compiled_caller(np.array([age]), HALF_LIFE, half_life, floor, NO_TABLE)[0] == expected


def test_the_floor_shortcut_far_out():
    for age in (2047.0 * 360.0, 2048.0 * 360.0, 1e300, np.inf):
        for floor in (0.0, 1e-300, 0.4):
            assert decay(age, HALF_LIFE, 360.0, floor, NO_TABLE) == max(floor, 0.5 ** (age / 360.0))


def test_the_floor_in_the_arguments_is_a_lower_bound_of_the_factor_for_every_kind():
    """The fast engine decides a contact without the decay when the draw is below chance x floor."""
    ages = np.random.default_rng(6).exponential(2000.0, 2000)
    table_ages, table_factors = zip(*TABLE_ROWS, strict=True)
    for args in (contact._args(360.0, 0.4, None, None), contact._args(None, 0.5, table_ages, table_factors),
                 contact._args(None, 0.5, None, None), decay_args(None)):
        assert all(decay(age, *args) >= args[2] for age in ages)
