"""Queues of the fast engine's event loop, compiled with numba.

* A manager's two task lists (fresh first attempts; everything else) are
  binary heaps stored row by row in two ``(2M, cap)`` arrays: the due time
  (minutes) and an integer key ``seq << LEAD_BITS | lead``, so that heap
  order is ``(due, seq)``, the order of the reference engine's ``heapq``
  entries, and the lead comes out of the key.  Rows are contiguous, so a
  heap operation stays in a few cache lines.  A push onto a full row sets
  an overflow flag; the caller reruns with more room (the run is a pure
  function of its inputs, so the rerun gives the same numbers).
* The managers' own next events (wake up, or finish a call) sit in an
  indexed binary heap over managers: one key ``(time, seq)`` each, +inf when
  there is nothing to do, changed in place (``mi[m, POS]`` is where).

Speed notes (numba).  Every helper is inlined at numba-IR level
(``inline="always"``), and the loop works on :func:`borrowed` views of its
arrays: without both, each helper call cost two atomic reference-count
updates per array argument, which took most of the loop's time.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

LEAD_BITS = 23
LEAD_MASK = (1 << LEAD_BITS) - 1
MAX_LEADS = 1 << LEAD_BITS

# Columns of the per-manager tables (float ``mf`` and integer ``mi``).
EV_T, STOP, BUSY_MINUTES = 0, 1, 2
EV_KIND, EV_LEAD, EV_RESULT, BUSY, POS = range(5)
# Counters: tie-break sequence, reassignment draws, overflow flag, last manager routed to,
# routing segment of the last routing.
SEQ, REASSIGN_DRAWS, OVERFLOW, LAST_ROUTED, SEGMENT = range(5)


@njit(cache=True, error_model="numpy", inline="always")
def task_push(h: int, due: float, key: int, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray,
              counters: np.ndarray) -> None:
    """Push ``(due, key)`` onto heap row ``h``."""
    i = hn[h]
    if i == hd.shape[1]:
        counters[OVERFLOW] = 1
        return
    hn[h] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if hd[h, parent] < due or (hd[h, parent] == due and hk[h, parent] < key):
            break
        hd[h, i], hk[h, i] = hd[h, parent], hk[h, parent]
        i = parent
    hd[h, i], hk[h, i] = due, key


@njit(cache=True, error_model="numpy", inline="always")
def task_pop(h: int, hd: np.ndarray, hk: np.ndarray, hn: np.ndarray) -> None:
    """Remove the top of heap row ``h`` (read ``hd[h, 0]``/``hk[h, 0]`` first)."""
    n = hn[h] - 1
    hn[h] = n
    if n == 0:
        return
    due, key = hd[h, n], hk[h, n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and (hd[h, c + 1] < hd[h, c]
                          or (hd[h, c + 1] == hd[h, c] and hk[h, c + 1] < hk[h, c])):
            c += 1
        if due < hd[h, c] or (due == hd[h, c] and key < hk[h, c]):
            break
        hd[h, i], hk[h, i] = hd[h, c], hk[h, c]
        i = c
    hd[h, i], hk[h, i] = due, key


@njit(cache=True, error_model="numpy", inline="always")
def set_event(m: int, t: float, kind: int, mf: np.ndarray, mi: np.ndarray, events: tuple,
              counters: np.ndarray) -> None:
    """Give manager ``m`` the next event ``kind`` at ``t`` and restore the event heap.

    ``events`` is ``(et, es, order)``: times, tie-break numbers and managers
    in heap order (keys stored inline, so sifting reads contiguous memory).
    """
    et, es, order = events
    mf[m, EV_T] = t
    mi[m, EV_KIND] = kind
    seq = counters[SEQ]
    counters[SEQ] += 1
    i = mi[m, POS]
    while i > 0:
        parent = (i - 1) >> 1
        if et[parent] < t or (et[parent] == t and es[parent] < seq):
            break
        et[i], es[i], order[i] = et[parent], es[parent], order[parent]
        mi[order[i], POS] = i
        i = parent
    n = order.size
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and (et[c + 1] < et[c] or (et[c + 1] == et[c] and es[c + 1] < es[c])):
            c += 1
        if t < et[c] or (t == et[c] and seq < es[c]):
            break
        et[i], es[i], order[i] = et[c], es[c], order[c]
        mi[order[i], POS] = i
        i = c
    et[i], es[i], order[i] = t, seq, m
    mi[m, POS] = i


@intrinsic
def borrowed(typingctx, array):
    """A view of ``array`` that is not reference-counted (no meminfo).

    Only for arrays that outlive the compiled call using the view: the
    loop's arrays are all allocated by its Python caller.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(signature.args[0])(context, builder, args[0])
        view = context.make_array(signature.return_type)(context, builder)
        context.populate_array(view, data=source.data, shape=source.shape, strides=source.strides,
                               itemsize=source.itemsize, meminfo=None)
        return view._getvalue()

    return array(array), codegen


# Counter-based uniforms: draw number ``counter`` of stream ``seed`` is a pure
# function of both, so lead i's k-th contact draw is the same under every plan.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, error_model="numpy", inline="always")
def uniform(seed: np.uint64, counter: int) -> float:
    """A uniform in [0, 1): the SplitMix64 output for ``seed + counter * golden``."""
    z = seed + np.uint64(counter) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)
