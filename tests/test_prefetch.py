"""The fast engine's prefetch hint changes no value, and is compiled to a prefetch instruction."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from simsales.engines.fast.prefetch import prefetch


@njit
def _read_with_hints(a: np.ndarray, table: np.ndarray, i: int) -> float:
    prefetch(a, i + 3)
    prefetch(a, i + 10**9)  # far past the end: a hint about memory never read
    prefetch(table, i * table.shape[1] + table.shape[1] - 1)
    return a[i] + table[i, 0]


def test_values_unchanged():
    a = np.arange(16.0)
    table = np.arange(32.0).reshape(16, 2)
    assert [_read_with_hints(a, table, i) for i in range(16)] == [a[i] + table[i, 0] for i in range(16)]


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64's instruction name")
def test_compiled_to_a_prefetch_instruction():
    _read_with_hints(np.arange(4.0), np.zeros((4, 2)), 0)
    asm = next(iter(_read_with_hints.inspect_asm().values()))
    assert "prefetch" in asm


def test_only_contiguous_arrays():
    @njit
    def strided(a):
        prefetch(a[::2], 1)

    with pytest.raises(TypingError):
        strided(np.arange(8.0))
