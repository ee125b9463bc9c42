"""Contact decay: a lead's chance of being reached falls with its age (MODEL.md section 4).

The chance that attempt ``k`` reaches the person is
``p_contact[k] * decay(age)``, ``age`` being the minutes since the lead was
created.  The scenario gives the decay as a half-life with a floor,
``max(floor, 0.5 ** (age / half_life))``, or as a table of factors by age
bucket (the factor of the last bucket whose age is <= the lead's age; 1
before the first), or not at all (no decay).

:func:`decay` is the one rule.  It is compiled with numba so that the fast
engine's loops call it; the reference engine and the funnel calculator
call the same function from Python (:func:`contact_decay` takes the
scenario's values as they are written), so all three get the same factor,
bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

if TYPE_CHECKING:
    from simsales.scenario import Decay

__all__ = ["HALF_LIFE", "NO_DECAY", "TABLE", "DecayArgs", "contact_decay", "decay", "decay_args",
           "half_life_args"]

# How the decay is given (the ``kind`` argument of :func:`decay`).
NO_DECAY, HALF_LIFE, TABLE = 0, 1, 2

DecayArgs = tuple[int, float, float, np.ndarray]
"""The arguments of :func:`decay` after the age: ``(kind, half_life, floor, table)``."""

_NO_TABLE = np.zeros((2, 1))


@intrinsic
def _c_pow(typingctx: object, base: types.Type, exponent: types.Type) -> tuple | None:
    """The C library's ``pow(base, exponent)``, the function Python's float ``**`` calls.

    Contorted for exactness: compiled, ``0.5 ** x`` would become ``exp2(-x)``
    (LLVM rewrites ``pow`` of a power of two), which differs from Python's
    result in the last bit about once in a thousand; a call marked
    ``nobuiltin`` is left alone, so compiled and Python callers agree.
    """
    if not (isinstance(base, types.Float) and isinstance(exponent, types.Float)):
        return None

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        c_pow = cgutils.get_or_insert_function(builder.module, ir.FunctionType(double, [double, double]),
                                               "pow")
        c_pow.attributes.add("nobuiltin")
        x = context.cast(builder, args[0], signature.args[0], types.float64)
        y = context.cast(builder, args[1], signature.args[1], types.float64)
        return builder.call(c_pow, [x, y])

    return types.float64(base, exponent), codegen


@njit(cache=True, error_model="numpy")
def decay(age: float, kind: int, half_life: float, floor: float, table: np.ndarray) -> float:
    """Factor on the contact chance of a lead ``age`` minutes old.

    Args:
        age: minutes since the lead was created.
        kind: ``NO_DECAY``, ``HALF_LIFE`` or ``TABLE``.
        half_life: minutes in which the factor halves (``HALF_LIFE`` only).
        floor: the factor's lower bound: ``max(floor, ...)`` for ``HALF_LIFE``; 1 >= floor
            with no decay; :func:`decay_args` gives 0 for a table, whose factors are the decay.
        table: ``(2, n)``: bucket ages (minutes, ascending), then their
            factors (``TABLE`` only).

    Returns:
        The factor, in [0, 1].
    """
    if kind == HALF_LIFE:
        e = age / half_life
        # 0.5 ** e <= 2 ** -int(e) for e >= 1: where the floor is at least that, the floor holds
        # and the pow (the costliest call of the engines' loops) is not needed.  Exact: ldexp
        # multiplies by a power of two (inf past the range, which still says >= 1).
        if 1.0 <= e < 2048.0 and floor > 0.0 and math.ldexp(floor, int(e)) >= 1.0:
            return floor
        return max(floor, _c_pow(0.5, e))  # 0.5 ** (age / half_life)
    if kind == TABLE:
        i = np.searchsorted(table[0], age, side="right") - 1
        return table[1, i] if i >= 0 else 1.0
    return 1.0


def decay_args(spec: Decay | None) -> DecayArgs:
    """The arguments of :func:`decay` for a scenario's ``touch_chain.decay``.

    Args:
        spec: the decay section (half-life and floor in minutes, or a table),
            or None for no decay.

    Returns:
        ``(kind, half_life, floor, table)`` (see :func:`decay`).
    """
    if spec is None:
        return NO_DECAY, 1.0, 0.0, _NO_TABLE
    ages = [age for age, _ in spec.table] if spec.table else None
    factors = [factor for _, factor in spec.table] if spec.table else None
    return _args(spec.half_life, spec.floor, ages, factors)


def _args(half_life: float | None, floor: float, table_ages: Sequence[float] | None,
          table_factors: Sequence[float] | None) -> DecayArgs:
    if half_life is not None:
        return HALF_LIFE, float(half_life), float(floor), _NO_TABLE
    if table_ages is not None and table_factors is not None:
        table = np.array([table_ages, table_factors], dtype=float)
        return TABLE, 1.0, 0.0, table  # a table's own factors are the decay: no floor under them
    return NO_DECAY, 1.0, float(floor), _NO_TABLE


def half_life_args(half_life: float | None, floor: float) -> DecayArgs:
    """The arguments of :func:`decay` for a half-life (minutes) and a floor; None: no decay.

    Args:
        half_life: minutes in which the factor halves, or None (the factor is 1).
        floor: the factor never falls below it.

    Returns:
        ``(kind, half_life, floor, table)`` (see :func:`decay`).
    """
    return _args(None if half_life is None else float(half_life), floor, None, None)


def contact_decay(age: float, half_life: float | None, floor: float,
                  table_ages: Sequence[float] | None, table_factors: Sequence[float] | None) -> float:
    """:func:`decay`, given the scenario's values as they are written.

    Args:
        age: minutes since the lead was created.
        half_life: minutes in which the factor halves; None for a table or no decay.
        floor: the lowest factor of a half-life decay.
        table_ages: bucket ages (minutes, ascending) of a table; None if none.
        table_factors: the buckets' factors.

    Returns:
        The factor on the contact chance, in [0, 1].
    """
    kind, half, low, table = _args(half_life, floor, table_ages, table_factors)
    return float(decay(float(age), kind, half, low, table))
