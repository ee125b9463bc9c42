"""The guide table's weighted pick is the bisection's, exactly (simsales.engines.fast.guide)."""

import bisect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simsales.engines.fast.guide import guides
from simsales.engines.fast.routing import N_BOUNDS, OFF_CUM_PTR, OFF_GUIDE, pack_routing, routing_segments

from .inner import guide_table, guided_search
from .test_fast_engine import small_variant, worlds

weights = st.lists(st.one_of(st.just(0.0), st.floats(1e-9, 1e9), st.sampled_from([1.0, 3.0, 0.1])),
                   min_size=1, max_size=300)
# Uniforms as the engine draws them: multiples of 2**-53 in [0, 1), the ends included.
uniforms = st.one_of(st.integers(0, 2**53 - 1), st.sampled_from([0, 1, 2**53 - 1, 2**52, 2**53 - 2**20]))


@settings(max_examples=300, deadline=None)
@given(weights, st.lists(uniforms, min_size=1, max_size=20), st.integers(0, 5))
def test_the_guided_pick_is_the_bisection_s(w, draws, offset):
    cum = np.concatenate((np.full(offset, -1.0), np.cumsum(w)))  # the sums start at `offset`
    n = len(w)
    guide = np.full(offset + n + 3, -7, np.int64)
    guide_table(cum, offset, n, guide, offset + 3)
    assert (guide[:offset + 3] == -7).all()  # nothing written outside its room
    assert (np.diff(guide[offset + 3:]) >= 0).all() and guide[offset + 3] == 0
    for d in draws:
        u = d * 2.0**-53
        x = u * cum[offset + n - 1]
        expected = bisect.bisect_right(cum.tolist(), x, offset, offset + n) - offset
        assert guided_search(cum, offset, n, guide, offset + 3, u, x) == expected


def test_the_packed_guides_point_into_each_segment_s_weights():
    scenario = small_variant("weighted", "new_first")
    _, world = next(worlds(scenario, 1))
    segments = routing_segments(world.roster, True)
    rf, ri = pack_routing(segments)
    cum_ptr, cum_weight = segments[4], segments[5]
    assert (ri[ri[OFF_GUIDE]:] == guides(cum_ptr, cum_weight)).all()
    nb = ri[N_BOUNDS]
    rng = np.random.default_rng(3)
    for j in range(cum_ptr.size - 1):
        lo, hi = nb + ri[ri[OFF_CUM_PTR] + j], nb + ri[ri[OFF_CUM_PTR] + j + 1]
        if hi == lo:
            continue
        for u in rng.random(20):
            x = u * rf[hi - 1]
            got = guided_search(rf, lo, hi - lo, ri, ri[OFF_GUIDE] + lo - nb, u, x)
            assert got == np.searchsorted(rf[lo:hi], x, side="right")


@pytest.mark.parametrize("n", [56, 100, 250])
@pytest.mark.parametrize("weight", [1.0, 3.0, 7.0, 0.3])
def test_a_uniform_whose_product_rounds_up_to_a_bucket_s_edge_still_gets_the_bisection_s_pick(n, weight):
    """u * n can round up to k while u < k / n: the guide starts a bucket early for it."""
    cum = np.cumsum(np.full(n, weight))  # running sums on (or next to) every bucket's edge
    guide = np.empty(n, np.int64)
    guide_table(cum, 0, n, guide, 0)
    hits = 0
    for k in range(1, n):
        base = k * 2**53 // n
        for m in range(base - 8, base + 9):
            u = m * 2.0**-53
            if int(u * n) != k or m * n >= k * 2**53:  # only the rounded-up ones
                continue
            hits += 1
            x = u * cum[-1]
            assert guided_search(cum, 0, n, guide, 0, u, x) == np.searchsorted(cum, x, side="right")
    assert hits > 10
