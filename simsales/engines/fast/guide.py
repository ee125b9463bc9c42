"""A weighted pick in a few steps, whatever the number of candidates: a guide table (compiled).

The weighted policy picks the first candidate whose running weight exceeds
``x = u * total`` (``u`` uniform in [0, 1)): a bisection over the running
sums, ``log2`` of the candidates in steps, about 6 on a shift of 56
managers (q3 scaled to 250) against 2 on a shift of 4.  Chen and Asau's
guide table (1974) cuts it to about two steps at any size: entry ``k`` of
``n`` is the first candidate whose running weight exceeds
``(k - 1) / n * total``, a start at or before the answer for every ``u``
with ``int(u * n) == k``, and the search walks forward from there.

The answer is the bisection's, exactly: the guide only skips candidates
whose running weight is at most ``x``.  (For ``k = int(u * n) >= 1``,
``u * total`` is at least ``k / n * total`` less a few units in the last
place, far above ``(k - 1) / n * total``; ``k`` is clipped to ``n - 1``.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simsales.engines.fast.inner import inner

__all__ = ["guide_table", "guided_search", "guides"]


@inner(error_model="numpy", _nrt=False)
def guide_table(cum: np.ndarray, lo: int, n: int, guide: np.ndarray, g_lo: int) -> None:
    """Write the guide of the running sums ``cum[lo:lo + n]`` to ``guide[g_lo:g_lo + n]``.

    Args:
        cum: running sums of non-negative weights, non-decreasing within ``[lo, lo + n)``.
        lo: where they start.
        n: how many (at least 1).
        guide: where the guide goes (indices relative to ``lo``).
        g_lo: where in ``guide`` it starts.
    """
    total = cum[lo + n - 1]
    i = 0
    guide[g_lo] = 0
    for k in range(1, n):
        below = (k - 1) / n * total
        while i < n and cum[lo + i] <= below:
            i += 1
        guide[g_lo + k] = i


@inner(error_model="numpy", forceinline=True, _nrt=False)
def guided_search(cum: np.ndarray, lo: int, n: int, guide: np.ndarray, g_lo: int, u: float,
                  x: float) -> int:
    """``bisect_right(cum, x, lo, lo + n) - lo`` for ``x = u * cum[lo + n - 1]``, from the guide.

    Args:
        cum: the running sums (as :func:`guide_table`'s).
        lo: where they start.
        n: how many (at least 1).
        guide: their guide (:func:`guide_table`).
        g_lo: where in ``guide`` it starts.
        u: the uniform, in [0, 1).
        x: ``u`` times the total.

    Returns:
        The first index (from 0) whose running sum exceeds ``x``; ``n`` if none.
    """
    i = guide[g_lo + min(int(u * n), n - 1)]
    while i < n and cum[lo + i] <= x:
        i += 1
    return i


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def guides(cum_ptr: np.ndarray, cum_weight: np.ndarray) -> np.ndarray:
    """The guide of every segment's running weights (``routing.routing_segments``'s), end to end.

    Args:
        cum_ptr: per segment, where its running weights start in ``cum_weight`` (and the end).
        cum_weight: the running weights.

    Returns:
        The guides, segment ``j``'s at ``cum_ptr[j]:cum_ptr[j + 1]``.
    """
    out = np.zeros(cum_weight.size, np.int64)
    for j in range(cum_ptr.size - 1):
        n = cum_ptr[j + 1] - cum_ptr[j]
        if n > 0:
            guide_table(cum_weight, cum_ptr[j], n, out, cum_ptr[j])
    return out
