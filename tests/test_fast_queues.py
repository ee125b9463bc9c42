"""The fast engine's task lists and routing cursor, piece by piece, against plain numpy statements."""

from __future__ import annotations

import numpy as np
import pytest

from simsales.engines.fast import routing as fast_routing
from simsales.engines.fast.handover import CHAIN_PER_TASK
from simsales.engines.fast.queues import COUNT, FIRST, LEAD_BITS, ROWS, SEGMENT
from simsales.engines.fast.tables import INF
from simsales.scenario.policies import POLICY_CODES

from .inner import batch_room, flush, join, owned_before, route, task_push
from .test_fast_engine import small_variant, worlds


def _lists(rng: np.random.Generator, n_managers: int, cap: int = 64):
    """Task lists filled through task_push, as the loops fill them: due times on a coarse grid (ties)."""
    rows = ROWS * (n_managers + 1)
    hd, hk, hn = np.zeros((rows, cap)), np.zeros((rows, cap), np.int64), np.zeros((rows, 2), np.int64)
    counters = np.zeros(5, np.int64)
    seq = 0
    for _ in range(int(rng.integers(0, 3 * cap))):
        h = int(rng.integers(0, rows))
        if hn[h, COUNT] >= cap // 2:
            continue
        task_push(h, float(rng.integers(0, 40)) * 15.0, (seq << LEAD_BITS) | int(rng.integers(0, 1000)),
                  hd, hk, hn, counters)
        seq += 1
        if rng.random() < 0.2 and hn[h, COUNT] > 0:  # a task taken from the front: the list drifts
            hn[h, COUNT] -= 1
            hn[h, FIRST] = hn[h, FIRST] + 1 if hn[h, COUNT] > 0 else 0
    assert counters[2] == 0  # no overflow
    return hd, hk, hn


def _tasks(hd, hk, hn, h):
    lo, n = hn[h, FIRST], hn[h, COUNT]
    return list(zip(hd[h, lo:lo + n].tolist(), hk[h, lo:lo + n].tolist(), strict=True))


@pytest.mark.parametrize("seed", range(20))
def test_an_owners_tasks_due_before_a_moment_come_out_in_due_then_queue_order(seed):
    rng = np.random.default_rng(seed)
    hd, hk, hn = _lists(rng, 3)
    owner, until = int(rng.integers(0, 3)), float(rng.choice([INF, rng.integers(0, 40) * 15.0 + 7.5]))
    before = [_tasks(hd, hk, hn, ROWS * owner + c) for c in range(ROWS)]
    others = {h: _tasks(hd, hk, hn, h) for h in range(hn.shape[0]) if h // ROWS != owner}
    due, key, _ = owned_before(owner, until, hd, hk, hn)
    taken = sorted((d, k) for tasks in before for d, k in tasks if d < until)  # keys are unique
    assert list(zip(due.tolist(), key.tolist(), strict=True)) == taken
    for c in range(ROWS):  # the rest stay, in order
        assert _tasks(hd, hk, hn, ROWS * owner + c) == [(d, k) for d, k in before[c] if d >= until]
    assert {h: _tasks(hd, hk, hn, h) for h in others} == others


def _handed_over(rng: np.random.Generator, n_managers: int, fewest: int):
    """Task lists, a hand-over batch joined as give_out joins it, and the lists as task_push leaves them.

    Up to 150 tasks over the lists, due times on a coarse grid (ties): a list's tasks are many runs
    in due order, as from many owners.  Returns ``((hd, hk, hn), one, b_row, room, n_rows,
    counters)``: ``one`` the lists with the batch pushed one by one (the statement).
    """
    hd, hk, hn = _lists(rng, n_managers, cap=256)
    one = (hd.copy(), hk.copy(), hn.copy())
    nb = int(rng.integers(fewest, 150))
    b_row = rng.integers(0, ROWS * n_managers, nb).astype(np.int64)
    b_due = rng.integers(0, 40, nb).astype(float) * 15.0
    b_key = ((np.arange(nb, dtype=np.int64) + 10_000) << LEAD_BITS) | 7  # numbered as given
    room = batch_room(hn.shape[0], max(nb, 1))
    n_rows = 0
    counters = np.zeros(5, np.int64)
    for x in range(nb):
        n_rows = join(int(b_row[x]), float(b_due[x]), int(b_key[x]), x, n_rows, room)
        task_push(int(b_row[x]), float(b_due[x]), int(b_key[x]), *one, counters)
    return (hd, hk, hn), one, b_row, nb, room, n_rows, counters


def _idle_nobody(n_managers: int):
    """Per-manager tables in which nobody is idle-waiting: the wake-ups change nothing."""
    return np.full((n_managers, 10), INF), np.ones((n_managers, 7), np.int64), np.zeros((n_managers, 1, 9))


EVENTS = (np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64))


@pytest.mark.parametrize("seed", range(20))
def test_a_batch_handed_over_is_queued_as_giving_its_tasks_one_by_one(seed):
    rng = np.random.default_rng(100 + seed)
    n_managers = 4
    (hd, hk, hn), one, _, nb, room, n_rows, counters = _handed_over(rng, n_managers, 0)
    first, last, pend, slot = room[:4]
    flush(n_rows, room[9], nb, room, np.full(n_managers, INF), 0.0, *_idle_nobody(n_managers), (hd, hk, hn),
          EVENTS, counters)
    assert counters[2] == 0
    for h in range(hn.shape[0]):
        assert _tasks(hd, hk, hn, h) == _tasks(*one, h)
    # left clean for the next batch
    assert (first == -1).all() and (last == -1).all() and (pend == 0).all() and (slot == -1).all()


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("n_managers", [2, 24])
def test_an_owner_s_tasks_queued_alone_leave_the_rest_to_the_minute_s_last_flush(seed, n_managers):
    """A flush of an owner's lists queues theirs only; the minute's flush then queues the rest, the same.

    With 2 managers the owner's tasks are gathered in a pass over the batch, with 24 along their
    chains (handover.CHAIN_PER_TASK); the minute's flush always takes the pass.
    """
    rng = np.random.default_rng(300 + seed)
    (hd, hk, hn), one, b_row, nb, room, n_rows, counters = _handed_over(rng, n_managers, 40)
    first, _, pend, slot = room[:4]
    owner = int(b_row[0]) // ROWS
    own_rows = [h for h in range(ROWS * owner, ROWS * owner + ROWS) if first[h] >= 0]
    along_chains = CHAIN_PER_TASK * pend[own_rows].sum() < nb - first[own_rows].min()
    assert along_chains == (n_managers == 24)
    pending = np.full(n_managers, INF)
    pending[b_row // ROWS] = 0.0
    tables = _idle_nobody(n_managers)
    before = {h: _tasks(hd, hk, hn, h) for h in range(hn.shape[0])}
    own = np.arange(ROWS * owner, ROWS * owner + ROWS, dtype=np.int64)
    flush(ROWS, own, nb, room, pending, 0.0, *tables, (hd, hk, hn), EVENTS, counters)
    for h in range(hn.shape[0]):
        expected = _tasks(*one, h) if h // ROWS == owner else before[h]
        assert _tasks(hd, hk, hn, h) == expected
    assert pending[owner] == INF and (first[ROWS * owner:ROWS * owner + ROWS] == -1).all()
    flush(n_rows, room[9], nb, room, pending, 0.0, *tables, (hd, hk, hn), EVENTS, counters)
    assert counters[2] == 0
    for h in range(hn.shape[0]):
        assert _tasks(hd, hk, hn, h) == _tasks(*one, h)
    assert (pending == INF).all() and (first == -1).all() and (pend == 0).all() and (slot == -1).all()


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("n_managers", [2, 24])
def test_tasks_given_to_an_owner_after_their_flush_are_queued_once_at_the_minute_s_end(seed, n_managers):
    """An owner's lists flushed mid-minute, then given more: the minute's flush queues only the new ones."""
    rng = np.random.default_rng(500 + seed)
    hd, hk, hn = _lists(rng, n_managers, cap=256)
    one = (hd.copy(), hk.copy(), hn.copy())
    owner = int(rng.integers(0, n_managers))
    own = np.arange(ROWS * owner, ROWS * owner + ROWS, dtype=np.int64)
    room = batch_room(hn.shape[0], 300)
    counters, n_rows, nb = np.zeros(5, np.int64), 0, 0
    pending = np.full(n_managers, INF)
    tables = _idle_nobody(n_managers)
    for part in range(2):  # the owner's lists flushed after the first part
        for _ in range(int(rng.integers(20, 120))):
            h = int(own[rng.integers(0, ROWS)] if rng.random() < 0.3 else rng.integers(0, ROWS * n_managers))
            due, key = float(rng.integers(0, 40) * 15.0), ((nb + 10_000) << LEAD_BITS) | 7
            n_rows = join(h, due, key, nb, n_rows, room)
            task_push(h, due, key, *one, counters)
            pending[h // ROWS] = 0.0
            nb += 1
        if part == 0:
            flush(ROWS, own, nb, room, pending, 0.0, *tables, (hd, hk, hn), EVENTS, counters)
    flush(n_rows, room[9], nb, room, pending, 0.0, *tables, (hd, hk, hn), EVENTS, counters)
    assert counters[2] == 0
    for h in range(hn.shape[0]):
        assert _tasks(hd, hk, hn, h) == _tasks(*one, h)


def test_routing_far_ahead_finds_the_segment_of_that_moment():
    """A hand-over routes a task as at its due time, days ahead: the cursor lands on that segment."""
    scenario = small_variant("weighted", "new_first")
    _, world = next(worlds(scenario, 1))
    segments = fast_routing.routing_segments(world.roster, True)
    rf, ri = fast_routing.pack_routing(segments)
    bounds = segments[0]
    hn = np.zeros((ROWS * (world.roster.n_managers + 1), 2), np.int64)
    rng = np.random.default_rng(5)
    counters = np.zeros(5, np.int64)
    for _ in range(300):  # the cursor at now's segment (as reroute leaves it), a task due at t >= now
        now = float(rng.uniform(0, scenario.horizon_minutes - 1))
        t = now + float(rng.choice([0.0, rng.uniform(0, 60), rng.uniform(0, 5 * 1440)]))
        counters[SEGMENT] = np.searchsorted(bounds, now, side="right") - 1
        route(t, 0, POLICY_CODES["weighted"], np.uint64(1), rf, ri, hn, counters)
        assert counters[SEGMENT] == np.searchsorted(bounds, t, side="right") - 1
