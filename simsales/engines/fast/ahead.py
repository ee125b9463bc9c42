"""The per-manager loop's first compile, in two processes at once.

numba compiles :func:`~simsales.engines.fast.split.run_split` and what it
calls in one process, one function after the other (about 16 s of one core
on a 2-core VM, the first run after an install).  Its callees fall in two
parts with little in common: the hand-over (``handover.hand_over_batch``,
with a manager's period and the calls, about two thirds of it) and the rest
(new leads' routing, leaves, probation).  :func:`compile_ahead` compiles
the rest in a forked helper process while this one compiles the hand-over;
both write numba's on-disk cache, and the loop's own compile then loads
every callee from it.

Each part is a compiled function with ``run_split``'s arguments that builds
the same views and locals and calls its callees behind a branch that is
never taken: numba compiles a call when it types it, so the callees are
compiled, with the very argument types ``run_split`` gives them.  The part
itself is never built: it ends with a call of :func:`stop_typing`, which
has no compiled implementation, so its typing fails once everything else
in it is typed (numba types all of a function's calls before it reports
an error) and :func:`compile_part` takes that error as the end of the
part.  Built, a part would link and optimise all its callees once more
(about a second).  ``tests/test_fast_ahead.py`` checks that the loop then
compiles none of them again (a changed argument type in ``run_split`` and
not here would make it compile its own: slower, never wrong).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable

import numpy as np
from numba import njit
from numba.core.errors import TypingError
from numba.extending import overload

from simsales.engines.fast.dispatch import reassign
from simsales.engines.fast.entry import arrival, arrive
from simsales.engines.fast.handover import batch_room, flush, give_out, hand_over_batch
from simsales.engines.fast.probation import dismiss, fails
from simsales.engines.fast.queues import owned_before
from simsales.engines.fast.tables import DECIDE_AT, INF, P_BAR
from simsales.engines.fast.views import views

__all__ = ["PARTS", "compile_ahead", "compile_part", "hand_over_part", "rest_part", "stop_typing"]


def stop_typing() -> None:
    """Where a part ends: compiled code has no implementation of it, so typing the part fails here."""


@overload(stop_typing)
def _no_implementation() -> None:
    """No implementation for any arguments: a call of :func:`stop_typing` fails typing."""
    return None


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def hand_over_part(leads: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
                   seed: np.uint64, state: tuple, out: tuple) -> int:
    """Compile ``run_split``'s hand-over (``hand_over_batch`` and its callees); never built.

    Arguments as ``split.run_split``'s.

    Returns:
        0 (never: its typing stops at :func:`stop_typing`).
    """
    leads, out, (md, _, _, _, handover), chain, routing, params, (
        mf, mi, queues, events, counters) = views(leads, out, roster, chain, routing, params, state)
    ho_t, ho_m, ho_until = handover
    n_leads, n_managers, n_steps = leads[0].shape[0], mf.shape[0], chain[0].shape[1]
    stride = n_steps + 3
    due_at = np.empty(n_leads)
    head = np.full(n_managers, -1, np.int64)
    tail = np.full(n_managers, -1, np.int64)
    nxt = np.full(n_leads, -1, np.int64)
    seen = np.zeros(n_managers, np.int64)
    pending = np.full(n_managers, INF)
    room = batch_room(queues[2].shape[0])
    batch = q = q_end = np.int64(0)  # as run_split's (not the literal 0, a type of its own)
    t_hand = ho_t[q] if q < ho_t.size else INF
    if n_leads < 0:  # never; give_out (with a manager's period) first, flush by then from the helper
        m = ho_m[q]
        due, key, work = owned_before(m, ho_until[q], queues[0], queues[1], queues[2])
        give_out(m, t_hand, due, key, work, batch, q, room, batch, seen, pending, n_leads * stride, head,
                 tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md, queues, events,
                 counters)
        room = hand_over_batch(t_hand, q, ho_m, ho_until, batch, seen, pending, room, n_leads * stride,
                               head, tail, nxt, due_at, leads, out, chain, routing, params, seed, mf, mi, md,
                               queues, events, counters, q_end)
        stop_typing()
    return 0


@njit(cache=True, error_model="numpy", no_cfunc_wrapper=True)
def rest_part(leads: tuple, roster: tuple, chain: tuple, routing: tuple, params: np.ndarray,
              seed: np.uint64, state: tuple, out: tuple) -> int:
    """Compile the rest of ``run_split``'s callees (arrivals, leaves, probation); never built.

    Arguments as ``split.run_split``'s.

    Returns:
        0 (never: its typing stops at :func:`stop_typing`).
    """
    leads, out, (md, leavers, leave_at, probation, _), chain, routing, params, (
        mf, mi, queues, events, counters) = views(leads, out, roster, chain, routing, params, state)
    decisions, pf, standby, fired = probation
    lf, step, owner = leads[0], leads[2], out[0]
    n_leads, n_steps = lf.shape[0], chain[0].shape[1]
    stride = n_steps + 3
    first_offset = chain[0][0, 0]
    i = j = k = np.int64(0)  # as run_split's (not the literal 0, a type of its own)
    t_leave = leave_at[j] if j < leavers.size else INF
    t_decide = pf[decisions[k], DECIDE_AT] if k < decisions.size else INF
    if n_leads < 0:  # never; first the hand-over's flush, which the other process types late
        pending = np.full(n_leads, INF)
        room = batch_room(queues[2].shape[0])
        flush(i, room[9], j, room, pending, t_leave, mf, mi, md, queues, events, counters)
        arrive(i, arrival(lf, i), first_offset, i * stride + n_steps + 2, seed, routing, queues[2], md, mf,
               lf, params, counters)
        m = decisions[k]
        if fails(m, t_decide, params[P_BAR], mf, mi, md, pf):
            dismiss(m, t_decide, False, n_leads * stride, step, owner, routing, params, seed, mf, mi, md,
                    queues, events, counters, pf, standby, fired)
        reassign(leavers[j], t_leave, False, n_leads * stride, step, owner, routing, params, seed, mf, mi,
                 md, queues, events, counters)
        stop_typing()
    return 0


HELPER_TIMEOUT_S = 300.0
"""How long this process waits for the helper after its own part (seconds; its part takes about 6)."""
PARTS = (hand_over_part, rest_part)
"""The parts, this process's first: ``run_split``'s callees are in one or the other."""


def compile_part(simulate: Callable[[Callable[..., int]], object], part: Callable[..., int]) -> None:
    """Compile ``part``'s callees (into numba's cache): ``simulate`` calls it, and its typing stops.

    Args:
        simulate: runs the fast engine's preparation and calls the loop it is given.
        part: one of :data:`PARTS`.
    """
    # The part's end (stop_typing); a callee's own error shows when the loop compiles it.
    with contextlib.suppress(TypingError):
        simulate(part)


def _compile_then_exit(simulate: Callable[[Callable[..., int]], object], part: Callable[..., int]) -> None:
    """In the helper: compile ``part`` (its callees land in numba's cache), then leave at once."""
    code = 0
    try:
        compile_part(simulate, part)
    except BaseException:  # the parent compiles whatever is missing: nothing is lost
        code = 1
    os._exit(code)  # no interpreter teardown in a forked child


def compile_ahead(here: Callable[[Callable[..., int]], object],
                  there: Callable[[Callable[..., int]], object] | None = None) -> bool:
    """Compile ``run_split``'s callees in two processes at once, into numba's on-disk cache.

    Args:
        here: runs the fast engine's preparation for a small world in this process and calls
            the loop it is given (``lambda loop: engine.simulate(world, rng, loop=loop)``).
        there: the same in the helper process (default: ``here``); a caller may give it a
            world that compiles more of the preparation (the helper has time to spare).

    Returns:
        Whether a helper process compiled its part (False where processes cannot fork, this
        one may not have children or runs other threads, or the helper failed: then this
        process compiled both parts).
    """
    helper = None
    if threading.active_count() == 1:  # a fork copies no other thread, nor what it may hold locked
        try:
            helper = multiprocessing.get_context("fork").Process(
                target=_compile_then_exit, args=(there or here, PARTS[1]), daemon=True)
            helper.start()
        except (ValueError, AssertionError, OSError):  # no fork here, or a daemonic process
            helper = None
    try:
        compile_part(here, PARTS[0])
        if helper is not None:
            helper.join(HELPER_TIMEOUT_S)
        if helper is None or helper.exitcode != 0:  # none, failed or stuck: compile it here
            compile_part(here, PARTS[1])
    finally:
        if helper is not None and helper.is_alive():
            helper.terminate()
            helper.join()
    return helper is not None and helper.exitcode == 0
