"""When a booked call was due: its delay told apart from the wait for its manager (MODEL.md sections 4-5).

A booked call (a presentation, due ``funnel.offer.delay_days`` after the
contact call; a closing call, due ``funnel.closing.delay_days`` after the
offer) starts when its manager is on shift and free, so its start holds
the wait for the manager: the night, the weekend, the calls already under
way, the morning's queue of booked work.  The simulation adds that wait
itself, so a delay fitted to the starts counts it twice (on the tests'
floor short of hands, twice the planned delay).

Booked calls come first (``touch_chain.priority``'s default,
``[booked, first, followup]``): a free manager makes a booked call that is
due before any touch-chain call (a first attempt or a follow-up, up to the
lead's contact).  So

- **Which calls may have waited.**  One made as its manager came free:
  back to back with their call before (at the pace of back-to-back calls
  :mod:`simsales.calibrate.call_time` fits) or first after a break of
  :data:`BREAK_MINUTES` or more (a shift's start).  One made after its
  manager sat free was made when due: its delay is its start's.  Without
  the pace (the managers do not go from call to call with work waiting,
  as the model's do) every call is taken as made when due: the starts, as
  before this rule.
- **When it was due, at the earliest.**  A call that may have waited was
  due after the start of its manager's last touch-chain call before it,
  and, booked calls being taken in the order they fell due, after the
  reference moments (offer, contact) of the booked calls its manager made
  since.  Its delay lies in ``(low, start]`` (interval-censored; one made
  right after a dial is known to the minute).  Without the second bound
  q3's queue of booked calls put the due moments too early, the delays
  15-20% short.
- **When it could be seen.**  A booked call due by the start of a
  touch-chain call of its manager was made by then: it is seen (started by
  the export, and within its time limit) if it was due by the manager's
  last touch-chain call before that cut, the fit's truncation point per
  call.

:func:`~simsales.calibrate.delays.fit_delay` fits the delay with both.
Times are minutes as ``frame.calls["t"]``, delays days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsales.calibrate.call_kinds import CLOSE, CONTACT, DIAL
from simsales.calibrate.delays import DelayFit, fit_delay
from simsales.calibrate.fit import Fit, Part
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

EXACT_MINUTES = 30.0
"""The comments count the calls whose due moment is known to within this many minutes."""
BREAK_MINUTES = 180.0
"""A gap between one manager's calls this long or longer is a break off shift (a booked call due in it
waited for the manager's return)."""
SLACK_MINUTES = 2.0
"""A call this much later than back to back with the call before still counts as back to back."""
FIT_ROWS = 30_000
"""Booked calls' delays are fitted on at most this many calls (an even subsample of more, in the
export's order: the intervals make each fit slower than a plain delay's, and 30,000 already leave the
mean's error under 1%)."""
HELD_MINUTES = 60.0
"""A deal won within this many minutes after the end of one of its closing calls waited for the call."""


class TouchChain:
    """Each manager's touch-chain calls (first attempts and follow-ups, up to a lead's contact).

    Args:
        frame: the window's data.
        kinds: :func:`~simsales.calibrate.call_kinds.call_kinds` of ``frame.calls``.
    """

    def __init__(self, frame: Frame, kinds: np.ndarray) -> None:
        chain = np.isin(kinds, (DIAL, CONTACT)) & (frame.calls["manager"].to_numpy() >= 0)
        t = frame.calls["t"].to_numpy()[chain]
        self.t0 = float(t.min()) if t.size else 0.0
        self.span = float(t.max() - self.t0) + 1.0 if t.size else 1.0
        self.keys = np.sort(frame.calls["manager"].to_numpy()[chain] * self.span + (t - self.t0))

    def latest(self, manager: np.ndarray, t: np.ndarray, *, before: bool) -> np.ndarray:
        """Per pair, the start of ``manager``'s last touch-chain call before ``t``.

        Args:
            manager: managers (indices into ``frame.staff``; -1: none).
            t: moments, minutes as ``frame.calls["t"]``.
            before: strictly before ``t``; False: at ``t`` or before.

        Returns:
            Minutes as ``frame.calls["t"]``; -inf where there is none (or no manager).
        """
        manager = np.asarray(manager)
        base = manager.astype(float) * self.span
        at = np.clip(np.asarray(t, dtype=float) - self.t0, -1.0, self.span - 0.5)
        j = np.searchsorted(self.keys, base + at, side="left" if before else "right") - 1
        found = self.keys[np.maximum(j, 0)] if self.keys.size else np.zeros(len(base))
        ok = (j >= 0) & (found >= base) & (manager >= 0)
        return np.where(ok, found - base + self.t0, -np.inf)


@dataclass(frozen=True)
class Pace:
    """How one manager's calls follow each other when work is waiting (``team.talk_share`` and CRM minutes).

    Attributes:
        talk_share: a call of ``d`` minutes keeps its manager busy ``d / talk_share`` minutes.
        crm_minutes: the most CRM minutes after a call, of any kind.
    """

    talk_share: float
    crm_minutes: float


def pace_of(part: Part) -> Pace | None:
    """The pace :func:`~simsales.calibrate.call_time.crm_and_talk_share` fitted (None: it kept defaults)."""
    if "team.talk_share" in part.defaults:
        return None
    crm = {k.rsplit(".", 1)[1]: float(v) for k, v in part.values.items() if k.startswith("team.crm_minutes.")}
    attempt = crm.get("attempt", 0.0)
    most = max(attempt + crm.get("contact", 0.0), crm.get("offer", 0.0), attempt)
    return Pace(float(part.values["team.talk_share"]["triangular"][1]), most)


def came_free(frame: Frame, pace: Pace | None) -> np.ndarray:
    """Per call, whether it began as its manager came free (so a booked call may have waited for it).

    Back to back with the manager's call before (at most ``d / talk_share + CRM minutes`` +
    :data:`SLACK_MINUTES` after that call's start), first after a break of :data:`BREAK_MINUTES`,
    or the manager's first call; without ``pace``, none.

    Args:
        frame: the window's data.
        pace: the pace of back-to-back calls (None: not known).

    Returns:
        One flag per row of ``frame.calls``.
    """
    n = len(frame.calls)
    if pace is None:
        return np.zeros(n, dtype=bool)
    t = frame.calls["t"].to_numpy()
    manager = frame.calls["manager"].to_numpy()
    minutes = np.nan_to_num(frame.calls["duration_s"].to_numpy() / 60.0)
    order = np.lexsort((t, manager))
    ts, ds = t[order], minutes[order]
    same = np.r_[False, manager[order][1:] == manager[order][:-1]]
    gap = np.full(n, np.inf)
    gap[1:] = ts[1:] - ts[:-1]
    busy = np.full(n, np.inf)
    busy[1:] = ds[:-1] / pace.talk_share + pace.crm_minutes + SLACK_MINUTES
    free = ~same | (gap <= busy) | (gap >= BREAK_MINUTES)
    out = np.empty(n, dtype=bool)
    out[order] = free
    return out


def due_after(frame: Frame, chain: TouchChain, free: np.ndarray, rows: np.ndarray,
              ref: np.ndarray) -> np.ndarray:
    """Per booked call, the moment it was due after (see the module docstring).

    A call made as its manager came free was due after the start of the manager's last
    touch-chain call before it, and, booked calls being taken in the order they fell due,
    after the reference moments (offer, contact) of the booked calls the manager made since
    (each was due after its own and before this one).  A call made when due: its start.

    Args:
        frame: the window's data.
        chain: the managers' touch-chain calls.
        free: :func:`came_free` per row of ``frame.calls``.
        rows: the booked calls (rows of ``frame.calls``: each lead's first presentation and
            closing call).
        ref: per booked call, the moment its delay counts from, minutes.

    Returns:
        Per booked call, minutes as ``frame.calls["t"]``.
    """
    start = frame.calls["t"].to_numpy()[rows]
    manager = frame.calls["manager"].to_numpy()[rows]
    anchor = chain.latest(manager, start, before=True)
    waited = free[rows]
    order = np.lexsort((start, anchor, manager))
    m, a, w, r = manager[order], anchor[order], waited[order], ref[order]
    same = np.r_[False, (m[1:] == m[:-1]) & (a[1:] == a[:-1]) & w[1:] & w[:-1]]  # one run of booked calls
    run = np.cumsum(~same)
    if r.size:
        low, span = float(np.min(r)), float(np.ptp(r)) + 1.0
        most = np.maximum.accumulate((r - low) + run * span)  # runs in increasing bands: no mixing
        prior = np.where(same, np.r_[-np.inf, most[:-1]] - run * span + low, -np.inf)
    else:
        prior = np.zeros(0)
    out = np.empty(rows.size)
    out[order] = np.where(w, np.minimum(np.maximum(a, prior), start[order]), start[order])
    return out


class DueDelays:
    """Booked calls' delays from a reference moment, with the bounds the touch chain gives.

    Attributes:
        delay: per call, days from the reference to its start (the most it can have been).
        low: per call, days from the reference to the moment it was due after (at least 0; its delay
            if it was made when due).
        cut: per call, days from the reference to the last moment it could have been due and be seen.
    """

    def __init__(self, chain: TouchChain, ref: np.ndarray, start: np.ndarray, manager: np.ndarray,
                 limit: np.ndarray, after: np.ndarray, censored: np.ndarray | None = None) -> None:
        """Read the bounds.

        Args:
            chain: the managers' touch-chain calls.
            ref: per call, the moment its delay counts from (the offer; the contact call's end), minutes.
            start: per call, its start, minutes.
            manager: per call, its manager.
            limit: per call, the last moment it could have started and be seen (the export's end, or
                the reference plus the time limit), minutes.
            after: per call, the moment it was due after (:func:`due_after`; its start if it was made
                when due; NaN: taken as so), minutes.
            censored: days, per case never called in time (lost to the time limit, or still waiting at
                the export): its call was due after this moment (None: no such cases; the calls seen
                are then truncated at ``limit``, else counted whole and these cases right-censored).
        """
        self.censored = censored
        self.delay = (start - ref) / MINUTES_PER_DAY
        after = np.where(np.isnan(after), start, after)  # not known: made when due
        self.low = np.clip((after - ref) / MINUTES_PER_DAY, 0.0, self.delay)
        last = chain.latest(manager, limit, before=False)
        self.cut = np.maximum((last - ref) / MINUTES_PER_DAY, self.delay)

    def fit(self) -> DelayFit | None:
        """The delay's fit (interval-censored, truncated per call; on at most :data:`FIT_ROWS` calls)."""
        pick = np.arange(self.delay.size)
        if pick.size > FIT_ROWS:
            pick = np.linspace(0, pick.size - 1, FIT_ROWS).astype(np.int64)
        cut, later = self.cut[pick], None
        if self.censored is not None:  # every case counted: the calls seen whole, the others censored
            cut, later = np.full(pick.size, np.inf), self.censored
            if pick.size < self.delay.size and later.size:
                keep = max(1, later.size * pick.size // self.delay.size)
                later = later[np.linspace(0, later.size - 1, keep).astype(np.int64)]
        fit = fit_delay(self.delay[pick], cut, low=self.low[pick], censored=later)
        if fit is None or pick.size == self.delay.size:
            return fit
        return DelayFit(fit.family, fit.mean, fit.sd, fit.sd / np.sqrt(self.delay.size), int(self.delay.size),
                        fit.aic)

    def exact(self) -> int:
        """The calls whose due moment is known to within :data:`EXACT_MINUTES`."""
        return int(np.sum(self.delay - self.low <= EXACT_MINUTES / MINUTES_PER_DAY))

    def source(self, what: str) -> str:
        """The comment's account of the intervals (``what``: the calls, e.g. ``closing calls``)."""
        if self.censored is not None and self.censored.size:
            return self._source(what) + (
                f"; with {self.censored.size:,} qualified leads never called in time (lost to the time "
                "limit, or waiting at the export) as due after their owner's last touch-chain call "
                "before the limit (right-censored)")
        return self._source(what)

    def _source(self, what: str) -> str:
        if np.all(self.low >= self.delay):
            return (f"read from the {what}' starts (no call is seen to wait for its manager: the calls "
                    "show no common pace of back-to-back calls, so each taken as made when due)")
        return (f"known to lie between its manager's last touch-chain call before the call and the call's "
                f"start (interval-censored; to within {EXACT_MINUTES:g} minutes for {self.exact():,} of the "
                f"{what})")

    def diagnostic(self, path: str, title: str, fit: DelayFit) -> Fit:
        """The fitted CDF against the band the calls bound it to.

        Args:
            path: the field.
            title: the chart's title.
            fit: the delay's fit.

        Returns:
            The share of calls due by each day: at least the share started (a call starts after it
            is due), at most the share whose manager's last touch-chain call before it had passed.
        """
        grid = np.linspace(0.0, max(float(np.quantile(self.delay, 0.99)), 1e-3), 60)
        started = np.searchsorted(np.sort(self.delay), grid, side="right") / self.delay.size
        bound = np.searchsorted(np.sort(self.low), grid, side="right") / self.delay.size
        return Fit(path, title, list(grid), started, fit.cdf(grid), started, bound, kind="step",
                   xlabel="days", ylabel="share of calls due", n=int(self.delay.size),
                   note="observed: the share started by each day (the due moments come earlier); the band "
                   "up to the share whose manager had made a touch-chain call since (they come later): "
                   "the fitted curve lies in the band")


def paid_on_call(frame: Frame, kinds: np.ndarray) -> np.ndarray:
    """Per lead, whether it was won within :data:`HELD_MINUTES` after one of its closing calls ended.

    A deal that needs a closing call pays at the call's end at the earliest
    (:func:`simsales.world.deals.settle`): one won on the call waited for
    it, so the client's own delay from the invoice was at most the time it
    took (left-censored), not that time.

    Args:
        frame: the window's data.
        kinds: :func:`~simsales.calibrate.call_kinds.call_kinds` of ``frame.calls``.

    Returns:
        One flag per lead.
    """
    rows = np.flatnonzero(kinds == CLOSE)
    lead = frame.calls["lead"].to_numpy()[rows]
    end = frame.calls["t"].to_numpy()[rows] + frame.calls["duration_s"].to_numpy()[rows] / 60.0
    gap = frame.stage["won"][lead] - end
    out = np.zeros(frame.n, dtype=bool)
    out[lead[(gap >= -1.0) & (gap <= HELD_MINUTES)]] = True  # (a minute's slack for the clocks)
    return out
