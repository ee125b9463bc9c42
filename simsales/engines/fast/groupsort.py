"""Sorting a hand-over minute's tasks for one task list, stably by due time (compiled).

The tasks a list is given in a hand-over minute come in the order they
were given (their keys grow), as runs in due order, one per owner who gave
it tasks: with 20 managers mostly one to four runs, with 250 mostly groups
of 30 to 100 tasks in 10 to 60 runs of two or three.  :func:`sort_group`
puts a group in ``(due, key)`` order, as queueing the tasks one by one
would, by a stable sort without a branch on the data: a natural merge sort
of the runs (:func:`_merge_pass`, one pass halves the runs) or, where
blocks of ``BLOCK`` tasks need two passes fewer than the runs, the blocks
each sorted by rank (:func:`_rank_pass`, comparisons the compiler
vectorises) and then merged.  Both give the same order.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.fast.inner import inner
from simsales.engines.fast.views import unchecked

__all__ = ["BLOCK", "sort_group"]

BLOCK = 32
"""The tasks of a block sorted by rank (:func:`sort_group`)."""


@inner(error_model="numpy", _nrt=False)
def _merge_pass(sd: np.ndarray, sk: np.ndarray, dd: np.ndarray, dk: np.ndarray, bounds: np.ndarray,
                n_runs: int, g: int) -> int:
    """Merge the sorted runs of ``(sd, sk)`` two by two into ``(dd, dk)``; a tie takes the left run.

    ``bounds[:n_runs + 1]``: where the runs start, and ``g`` (the end);
    overwritten with the merged runs' starts.

    Returns:
        The number of runs after the pass.
    """
    sd, sk, dd, dk = unchecked(sd), unchecked(sk), unchecked(dd), unchecked(dk)  # no negative-index fix-up
    n_out = 0
    for p in range(0, n_runs, 2):
        a, mid = bounds[p], bounds[p + 1]
        b = bounds[p + 2] if p + 1 < n_runs else mid
        bounds[n_out] = a
        n_out += 1
        if b == mid:  # a run alone: copied
            for x in range(a, mid):
                dd[x], dk[x] = sd[x], sk[x]
            continue
        # From both ends at once, two chains of work the processor overlaps: the front takes the
        # smaller head (a tie: the left run's), the back the larger tail (a tie: the right run's),
        # while each run has two or more left.  Without a branch on the data: which run comes
        # next is a coin toss.
        i, j, w = a, mid, a
        ie, je, we = mid - 1, b - 1, b - 1
        while i < ie and j < je:
            di, dj = sd[i], sd[j]
            right = dj < di
            dd[w] = dj if right else di
            dk[w] = sk[j] if right else sk[i]
            j += right
            i += 1 - right
            w += 1
            ei, ej = sd[ie], sd[je]
            left = ei > ej
            dd[we] = ei if left else ej
            dk[we] = sk[ie] if left else sk[je]
            ie -= left
            je -= 1 - left
            we -= 1
        while i <= ie and j <= je:  # the rest from the front
            di, dj = sd[i], sd[j]
            right = dj < di
            dd[w] = dj if right else di
            dk[w] = sk[j] if right else sk[i]
            j += right
            i += 1 - right
            w += 1
        while i <= ie:
            dd[w], dk[w] = sd[i], sk[i]
            i += 1
            w += 1
        while j <= je:
            dd[w], dk[w] = sd[j], sk[j]
            j += 1
            w += 1
    bounds[n_out] = g
    return n_out


@inner(error_model="numpy", _nrt=False)
def _rank_pass(sd: np.ndarray, sk: np.ndarray, dd: np.ndarray, dk: np.ndarray, a: int, b: int) -> None:
    """``(sd, sk)[a:b]`` into ``(dd, dk)[a:b]`` in due order, stably: each task where its rank puts it.

    A task's rank is the number of tasks due before it and of tasks before
    it due at the same time: distinct ranks, the order of a stable sort.
    One loop over the whole group per task, the same length for every task
    (no loop exit to mispredict), without a branch, which the compiler
    vectorises.
    """
    sd, sk, dd, dk = unchecked(sd), unchecked(sk), unchecked(dd), unchecked(dk)
    for i in range(a, b):
        di = sd[i]
        r = a
        for j in range(a, b):
            dj = sd[j]
            r += (dj < di) | ((dj == di) & (j < i))
        dd[r], dk[r] = di, sk[i]


@inner(error_model="numpy", _nrt=False)
def _passes(n_runs: int) -> int:
    """The merge passes that make one run of ``n_runs``: ceil(log2(n_runs))."""
    passes = 0
    while (1 << passes) < n_runs:
        passes += 1
    return passes


@inner(error_model="numpy", _nrt=False)
def sort_group(gd: np.ndarray, gk: np.ndarray, gd2: np.ndarray, gk2: np.ndarray, bounds: np.ndarray,
               a: int, b: int) -> bool:
    """Sort the tasks ``(gd, gk)[a:b]`` stably by due time, into ``(gd2, gk2)[a:b]`` or in place.

    The runs in due order are merged two by two; if blocks of ``BLOCK``
    tasks, each sorted by rank, would take two merge passes fewer than the
    runs, the blocks are merged instead (a pass costs about 4 ns a task,
    ranking a block about 0.2 ns a task per task in the block).

    Args:
        gd: due times (minutes); ``gd2`` the same size, the other buffer.
        gk: their keys; ``gk2`` the other buffer.
        gd2: see ``gd``.
        gk2: see ``gk``.
        bounds: room for ``b - a + 1`` run starts.
        a: the group's first task.
        b: past its last.

    Returns:
        Whether the sorted group is in ``(gd2, gk2)`` (else in ``(gd, gk)``).
    """
    bounds[0], n_runs = a, 1
    for x in range(a + 1, b):  # the runs' starts, without a branch (runs of 3 or so: a coin toss)
        bounds[n_runs] = x
        n_runs += gd[x] < gd[x - 1]
    bounds[n_runs] = b
    if n_runs <= 1:
        return False
    into_second = False
    if _passes(n_runs) >= _passes((b - a + BLOCK - 1) // BLOCK) + 2:
        n_runs = 0
        for x in range(a, b, BLOCK):
            _rank_pass(gd, gk, gd2, gk2, x, min(x + BLOCK, b))
            bounds[n_runs] = x
            n_runs += 1
        bounds[n_runs] = b
        into_second = True
    while n_runs > 1:
        if into_second:
            n_runs = _merge_pass(gd2, gk2, gd, gk, bounds, n_runs, b)
        else:
            n_runs = _merge_pass(gd, gk, gd2, gk2, bounds, n_runs, b)
        into_second = not into_second
    return into_second
