"""A hand-over minute's group of tasks comes out as a stable sort by due time (engines.fast.groupsort)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simsales.engines.fast.groupsort import BLOCK

from .inner import passes as _passes
from .inner import rank_pass as _rank_pass
from .inner import sort_group

# A group as the hand-over builds it: runs in due order, one per owner, due times on a coarse grid
# (ties within a run and across runs), and the keys growing in the order given.
runs = st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=12), min_size=1, max_size=40)


def _group(run_list: list[list[int]], offset: int):
    due = [15.0 * d for run in run_list for d in sorted(run)]
    g = len(due)
    size = offset + g + 3
    gd = np.full(size, -1.0)
    gk = np.full(size, -1, np.int64)
    gd[offset:offset + g] = due
    gk[offset:offset + g] = 1000 + np.arange(g)
    return gd, gk, g


@settings(max_examples=400, deadline=None)
@given(runs, st.integers(0, 5))
def test_a_group_is_sorted_as_a_stable_sort_by_due_time(run_list, offset):
    gd, gk, g = _group(run_list, offset)
    a, b = offset, offset + g
    expected = sorted(zip(gd[a:b].tolist(), gk[a:b].tolist(), strict=True), key=lambda task: task[0])
    gd2, gk2 = np.full_like(gd, -2.0), np.full_like(gk, -2)
    before = gd.copy(), gk.copy()
    second = sort_group(gd, gk, gd2, gk2, np.empty(gd.size + 1, np.int64), a, b)
    out_d, out_k = (gd2, gk2) if second else (gd, gk)
    assert list(zip(out_d[a:b].tolist(), out_k[a:b].tolist(), strict=True)) == expected
    outside = np.r_[0:a, b:gd.size]
    assert (gd2[outside] == -2.0).all() and (gk2[outside] == -2).all()  # nothing written outside
    assert (gd[outside] == before[0][outside]).all() and (gk[outside] == before[1][outside]).all()


def test_both_ways_are_taken_and_agree():
    """Few long runs are merged; many short runs in a large group go through the ranked blocks."""
    rng = np.random.default_rng(3)
    for n_runs, length in ((2, 30), (60, 3)):  # one merge pass; 6 passes against 2 for 4 blocks
        run_list = [rng.integers(0, 40, length).tolist() for _ in range(n_runs)]
        gd, gk, g = _group(run_list, 0)
        by_merge = sorted(zip(gd[:g].tolist(), gk[:g].tolist(), strict=True), key=lambda task: task[0])
        gd2, gk2 = np.empty_like(gd), np.empty_like(gk)
        second = sort_group(gd, gk, gd2, gk2, np.empty(gd.size + 1, np.int64), 0, g)
        blocks = _passes(n_runs) >= _passes(-(-g // BLOCK)) + 2
        assert blocks == (n_runs == 60)
        out_d, out_k = (gd2, gk2) if second else (gd, gk)
        assert list(zip(out_d[:g].tolist(), out_k[:g].tolist(), strict=True)) == by_merge


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=70))
def test_a_rank_pass_is_a_stable_sort(due):
    gd = np.array(due, float)
    gk = np.arange(len(due), dtype=np.int64)
    gd2, gk2 = np.empty_like(gd), np.empty_like(gk)
    _rank_pass(gd, gk, gd2, gk2, 0, len(due))
    order = np.argsort(gd, kind="stable")
    assert (gd2 == gd[order]).all() and (gk2 == order).all()


def test_the_passes_are_the_ceiling_of_log2():
    assert [_passes(n) for n in (1, 2, 3, 4, 5, 8, 9, 64, 65)] == [0, 1, 2, 2, 3, 3, 4, 6, 7]
