"""When a presentation never made, or made by another manager, was due: bounds from who held the lead.

The presentation is booked with the manager who made the contact call
(MODEL.md section 5); under ``routing.handover_after_hours`` a task due
while they are off goes to a manager on shift when it falls due.  The
calls log then bounds when a presentation fell due
(:mod:`simsales.calibrate.booked_calls` fits the delay from them):

- made by another manager (:func:`after_contact_managers_block`): it was
  not due while the contact call's manager still worked, so after their
  last touch-chain call (or a booked call's bound) before the end of
  their last block of shifts before the call;
- never made in time (:func:`never_presented`): right-censored after the
  last moment one due would have been made.

Times are minutes since the window's first midnight, as in
:class:`~simsales.calibrate.frame.Frame`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from simsales.calibrate.call_kinds import contact_manager
from simsales.calibrate.due import TouchChain
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.presentation import NO_PRESENTATION, lost_for
from simsales.calibrate.routing import blocks

__all__ = ["after_contact_managers_block", "never_presented"]


def after_contact_managers_block(frame: Frame, chain: TouchChain, booked: tuple[np.ndarray, np.ndarray],
                                 first: np.ndarray, manager: np.ndarray, start: np.ndarray,
                                 after: np.ndarray) -> np.ndarray:
    """Per presentation call, the moment it was due after, raised where another manager made it.

    Made by another manager than the contact call's: the contact call's manager held it until a
    block of theirs ended (hand-over, or leaving), and would have made it had it fallen due while
    they worked: it was due after their last touch-chain call (or booked call's bound) before that
    block's end, and by the call's start.

    Args:
        frame: the window's data.
        chain: the managers' touch-chain calls.
        booked: the booked calls (rows of ``frame.calls``) and their reference moments, minutes.
        first: per call, the lead's contact call's manager (-1: not known).
        manager: per call, its manager.
        start: per call, its start, minutes.
        after: per call, the moment it was due after so far (NaN: taken as its start), minutes.

    Returns:
        ``after`` with those calls' bounds raised (a copy), minutes.
    """
    after = np.array(after, dtype=float)
    other = (first >= 0) & (manager != first)
    if other.any() and frame.shifts is not None and len(frame.shifts):
        end = _block_end_before(frame, first[other], start[other])
        bound = np.maximum(chain.latest(first[other], end, before=False),
                           _booked_before(frame, *booked, first[other], end))
        prev = np.where(np.isnan(after[other]), start[other], after[other])
        after[other] = np.minimum(np.maximum(prev, bound), start[other])
    return after


def never_presented(frame: Frame, rows: np.ndarray, chain: TouchChain, within: float, kinds: np.ndarray,
                     handover: float | None, booked: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per qualified lead with no presentation call (lost to the time limit, or still open), days.

    Its presentation was due after the last moment before the limit (or the export's end) at which
    one due would have been made.  The presentation is booked with the manager who made the contact
    call: while they work, after their last touch-chain call before the limit (booked calls come
    first, so one due by then would have been made), and after the earlier of the start and the
    reference moment (qualified, offer) of each booked call they made before the limit (booked calls
    are taken in the order they fell due, and that one fell due after its reference).  Once they are
    off with their tasks handed over (``routing.handover_after_hours`` after the end of their block of
    shifts, before the limit and not before the contact call), a presentation falling due before
    their return went to a manager on shift when it fell due, who made it first thing: it was due
    after the limit itself.  The owner at
    the export says less: for a lead lost to the limit it is whoever held it when it came up, often a
    manager it was handed over to after the limit, whose last touch-chain call before the limit may lie
    days before it (read so, the lost presentations said too little and the delay came out short: a
    gamma with mean 2.1 days for an exponential 2.5 on a department handing over after an hour).

    Under a time limit the presentations seen alone cannot tell a long delay from a short one (they
    are cut at the limit, and a delay with its mean far past it fits them as well), so these cases
    are counted: they say how many presentations the limit cut off.  No manager known: the limit
    itself.

    Args:
        frame: the window's data.
        rows: the presentation calls seen (rows of ``frame.calls``).
        chain: the managers' touch-chain calls.
        within: ``funnel.presentation_within_days``, days.
        kinds: :func:`~simsales.calibrate.call_kinds.call_kinds` of ``frame.calls``.
        handover: ``routing.handover_after_hours`` as fitted (None: off, or not known).
        booked: the booked calls (rows of ``frame.calls``) and their reference moments, minutes.
    """
    q = frame.stage["qualified"]
    with np.errstate(all="ignore"):
        offer_t = np.fmin(frame.stage["invoice"], frame.stage["link_sent"])
    lost = np.isfinite(frame.stage["lost"])
    lead = frame.calls["lead"].to_numpy()
    called = np.zeros(frame.n, dtype=bool)
    called[lead[rows]] = True
    waiting = np.isfinite(q) & ~called & ~np.isfinite(offer_t) & (~lost | lost_for(frame, NO_PRESENTATION))
    qw = q[waiting]
    limit = np.minimum(frame.end, qw + within * MINUTES_PER_DAY)
    contact = contact_manager(frame, kinds)
    holder = np.where(contact[waiting] >= 0, contact[waiting], frame.owner[waiting])
    last = np.maximum(chain.latest(holder, limit, before=False),
                      _booked_before(frame, *booked, holder, limit))
    last = np.where(holder >= 0, last, limit)
    if handover is not None and frame.shifts is not None and len(frame.shifts):
        last = np.where(_handed_over(frame, holder, qw, limit, handover), limit, last)
    return np.maximum(last - qw, 0.0) / MINUTES_PER_DAY


def _booked_before(frame: Frame, rows: np.ndarray, ref: np.ndarray, manager: np.ndarray,
                   t: np.ndarray) -> np.ndarray:
    """Per pair, a moment ``manager``'s booked calls started by ``t`` show a booked call due was not due by.

    The latest over those calls (``rows``, with their reference moments ``ref``) of the earlier of the
    call's start and its reference: one due by then would have come first.  -inf: none; minutes.
    """
    start = frame.calls["t"].to_numpy()[rows]
    who = frame.calls["manager"].to_numpy()[rows]
    ok = (who >= 0) & np.isfinite(ref)
    start, who, bound = start[ok], who[ok], np.minimum(start[ok], ref[ok])
    if not start.size:
        return np.full(manager.size, -np.inf)
    order = np.lexsort((start, who))
    start, who, bound = start[order], who[order], bound[order]
    low, span = float(bound.min()), float(np.ptp(bound)) + 1.0
    most = np.maximum.accumulate((bound - low) + who * span) - who * span + low  # per manager, so far
    t0, width = float(start.min()), float(np.ptp(start)) + 1.0
    keys = who * width + (start - t0)
    at = np.clip(np.asarray(t, dtype=float) - t0, -1.0, width - 0.5)
    j = np.searchsorted(keys, manager * width + at, side="right") - 1
    found = (j >= 0) & (manager >= 0) & (who[np.maximum(j, 0)] == manager)
    return np.where(found, most[np.maximum(j, 0)], -np.inf)


def _each_manager(frame: Frame, manager: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per manager in ``manager`` with shifts: ``(their cases, block starts, block ends)``."""
    blk = blocks(frame)
    for m in np.unique(manager[manager >= 0]):
        if int(m) in blk:
            yield (np.flatnonzero(manager == m), *blk[int(m)])


def _block_end_before(frame: Frame, manager: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per pair, the end of ``manager``'s last block of shifts that ended before ``t`` (-inf: none)."""
    out = np.full(manager.size, -np.inf)
    for sel, _, be in _each_manager(frame, manager):
        j = np.searchsorted(be, t[sel], side="left") - 1
        out[sel] = np.where(j >= 0, be[np.maximum(j, 0)], -np.inf)
    return out


def _handed_over(frame: Frame, manager: np.ndarray, since: np.ndarray, until: np.ndarray,
                 hours: float) -> np.ndarray:
    """Per case, whether ``manager`` was off at ``until`` with their tasks handed over since ``since``.

    Off: ``until`` in no block of their shifts (:func:`~simsales.calibrate.routing.blocks`); handed
    over: ``hours`` after the end of their last block before it, at or after ``since`` and by ``until``.
    """
    out = np.zeros(manager.size, dtype=bool)
    for sel, bs, be in _each_manager(frame, manager):
        j = np.searchsorted(bs, until[sel], side="right") - 1  # their last block begun by then
        end = np.where(j >= 0, be[np.maximum(j, 0)], np.inf)
        moment = end + hours * 60.0
        out[sel] = (end < until[sel]) & (moment >= since[sel]) & (moment <= until[sel])
    return out
