"""The touch chain's planned offsets, from the lead ages at which each attempt was made.

In the model (:mod:`simsales.engines.des`) attempt ``k`` of a lead is due
``offsets[k]`` minutes after its creation (or when the previous attempt
ends, if later), and is made when a manager on shift is free.  The age at
attempt ``k`` is therefore never below ``offsets[k]``, and it *is*
``offsets[k]`` for every lead whose manager was free when the attempt
fell due: the ages pile up at the planned offset, with the waits for a
free manager (or for the next shift) spread above it.  The median age, the
obvious estimate, holds those waits, and a simulation run on it would add
them a second time.

The estimate is where the ages are densest, among the younger half of the
attempts:

1. an **exact pile** first: the 3-second window (timestamps are whole
   seconds) holding the most attempts, if it holds at least 0.25% of them
   (and 5) and at least 3 times the mean of the ten 3-second windows just
   after it.  On an overloaded floor few attempts are made on time (on q3,
   0.5% of the fourth attempts, made at exactly 3 hours; the rest wait for a
   free manager), but those few are made at the same second;
2. else the start of the narrowest relative window (3 seconds plus 2% of
   the age) that holds the most attempts for its width (and at least 1% of
   them): on a real floor, where a plan is kept to within minutes, the start
   of the pile of attempts made on time.

On a simulated export that is the planned offset to the second.
"""

from __future__ import annotations

import numpy as np

ROUNDING = 3.0 / 60.0
"""Minutes: timestamps to the whole second make an age uncertain by about this."""
RELATIVE = 0.02
"""The window's width grows by this share of the age."""
MIN_PILE = 5
"""A window counts only with this many attempts (and 1% of them): a few stray ages are no pile."""
EXACT_SHARE = 0.0025
"""An exact pile holds at least this share of the attempts (and MIN_PILE)."""
STANDOUT = 3.0
"""An exact pile holds at least this many times the mean of the NEIGHBOURS windows just after it."""
NEIGHBOURS = 10
"""The 3-second windows just after a candidate pile whose mean count it must stand out from (30 s)."""


def planned_offset(age: np.ndarray) -> float:
    """The planned offset of one attempt: the start of the densest window of ages.

    Args:
        age: the lead's age (minutes) at each attempt with this number.

    Returns:
        The offset, minutes (NaN when there is no attempt).
    """
    if len(age) == 0:
        return float("nan")
    x = np.sort(age)
    young = x[: max(1, (len(x) + 1) // 2)]
    first = np.arange(len(young))
    width = ROUNDING + RELATIVE * young
    inside = np.searchsorted(x, young + width, side="right") - first
    exact = np.searchsorted(x, young + ROUNDING, side="right") - first
    next_30s = np.searchsorted(x, young + ROUNDING * (1 + NEIGHBOURS), side="right") - first - exact
    after = next_30s / NEIGHBOURS
    pile = (exact >= max(MIN_PILE, EXACT_SHARE * len(x))) & (exact >= STANDOUT * after)
    if pile.any():
        return float(young[int(np.argmax(np.where(pile, exact, -1)))])
    density = np.where(inside >= max(MIN_PILE, 0.01 * len(x)), inside / width, 0.0)
    return float(young[int(np.argmax(density))])


def planned_offsets(k: np.ndarray, age: np.ndarray, chain: int) -> np.ndarray:
    """Every attempt's planned offset, non-decreasing.

    Args:
        k: per attempt, its number (0-based).
        age: per attempt, the lead's age then, minutes.
        chain: the chain's length (attempts ``chain`` and later are left out).

    Returns:
        ``chain`` offsets, minutes (an attempt nobody reached repeats the one before).
    """
    order = np.argsort(k, kind="stable")
    ks, ages = k[order], age[order]
    bounds = np.searchsorted(ks, np.arange(chain + 1))
    out = np.array([planned_offset(ages[bounds[j] : bounds[j + 1]]) for j in range(chain)])
    return np.maximum.accumulate(np.nan_to_num(out, nan=0.0))
