"""The calls after the contact call: the presentation's minutes and the closing calls (MODEL.md section 5).

The calls log's answered calls after a lead's contact call are its
presentation calls and, from its offer on, its closing calls
(:mod:`simsales.calibrate.call_kinds`).  From them:

- ``funnel.offer.call_minutes``: a lognormal fitted to the presentation
  calls' minutes;
- ``funnel.closing.call_minutes``: likewise for the closing calls (each
  lead's first);
- ``funnel.offer.delay_days``: the days from the contact call's end (the
  ``qualified`` entry) to when the presentation was due, and
  ``funnel.closing.delay_days``: from the offer to when the closing call
  was due (each lead's first such call).  A call's start holds the wait
  for its manager, which the simulation adds itself: the due moment lies
  between the manager's last touch-chain call before it and its start
  (:mod:`simsales.calibrate.due`).  This fit replaces the funnel's fit of
  the days from ``qualified`` to the offer, which holds that wait and the
  presentation call too;
- ``funnel.closing.within_days``: a closing call not started by then is
  not made.  The delays stop short at it: when the fitted delay expects
  at least :data:`EXPECT_BEYOND` calls later than the latest one seen but
  none came, the limit is the latest delay plus the gap to the one before
  it (rounded up to 0.1 day); otherwise the data cannot tell it;
- ``funnel.closing.share``: the share of offers with a closing call is
  the share that needs one less those whose call came too late and was
  dropped (not in the log); a dropped call's deal never pays, so the paid
  rates of offers with and without a call tell the dropped ones
  (:func:`share_from_payments`).  Without enough settled offers, the share
  seen over the fitted delay's chance of coming within the limit.

The minutes are the calls' own at the manager's ramp speed: only managers
past their ramp (:data:`simsales.calibrate.team.RAMPED_MONTH` months of
tenure) count, where enough calls are theirs.  An export with no answered
call after a contact call (a log of contact attempts only) tells none of
these: they keep their defaults, listed.
"""

from __future__ import annotations

import math

import numpy as np

from simsales.calibrate.call_kinds import CLOSE, OFFER, PRESENT, call_kinds, contact_manager, offer_times
from simsales.calibrate.delays import DelayFit, fit_delay
from simsales.calibrate.due import DueDelays, Pace, TouchChain, came_free, due_after
from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.funnel import FEW
from simsales.calibrate.presentation_due import after_contact_managers_block, never_presented
from simsales.calibrate.stats import beta_moments, lognormal_fit
from simsales.calibrate.team import RAMPED_MONTH
from simsales.world.calendar import DAYS_PER_MONTH

EXPECT_BEYOND = 3.0
"""Calls the fitted delay expects later than the latest seen, for its absence to mark the time limit."""
SETTLED_DAYS = 21.0
"""Days after the closing limit by which an offer's payment is taken as decided (paid or not)."""
DEFAULT_WITHIN_DAYS = 7.0
"""The scenario's default ``funnel.closing.within_days``."""


def _ramped(frame: Frame, rows: np.ndarray) -> tuple[np.ndarray, str]:
    """Of the calls ``rows``, those by managers past their ramp, if enough; and what was kept."""
    calls = frame.calls
    manager = calls["manager"].to_numpy()[rows]
    hired = frame.staff["hired"].to_numpy(dtype=float)
    day = frame.since_day + calls["t"].to_numpy()[rows] / MINUTES_PER_DAY
    tenure = np.where(manager >= 0, day - hired[np.maximum(manager, 0)], np.nan)
    ramped = tenure >= RAMPED_MONTH * DAYS_PER_MONTH
    if ramped.sum() >= FEW:
        return rows[ramped], f"by managers in their {RAMPED_MONTH + 1}th month or later"
    return rows, "by every manager (too few by managers past their ramp: the ramp's slower calls are in)"


def _minutes(part: Part, frame: Frame, path: str, rows: np.ndarray, what: str) -> bool:
    """Fit a lognormal to the calls' minutes; False if too few."""
    rows, who = _ramped(frame, rows)
    minutes = frame.calls["duration_s"].to_numpy()[rows] / 60.0
    ln = lognormal_fit(minutes)
    if ln is None or np.sum(minutes > 0) < FEW:
        return False
    n = int(np.sum(minutes > 0))
    part.set(
        path,
        {"lognormal": {"mean": sig(ln[0], 3), "sd": sig(ln[1], 3)}},
        f"from {count(n)} {what} {who}, {frame.period}: lognormal fit, minutes (the mean's se "
        f"{ln[1] / math.sqrt(n):.2g})",
    )
    grid = np.quantile(minutes[minutes > 0], np.linspace(0.05, 0.95, 10))
    sigma2 = math.log1p((ln[1] / ln[0]) ** 2)
    mu = math.log(ln[0]) - sigma2 / 2
    from scipy import stats  # lazily: only when there are calls to draw

    part.fits.append(Fit(
        path, f"{what.capitalize()}: minutes, the share of calls up to each length",
        [round(float(g), 2) for g in grid],
        np.array([np.mean(minutes <= g) for g in grid]),
        stats.lognorm.cdf(grid, math.sqrt(sigma2), scale=math.exp(mu)),
        kind="step", xlabel="minutes", ylabel="share of calls", n=n,
    ))
    return True


def fit_booked_calls(frame: Frame, presentation_within: float | None = None,
                     pace: Pace | None = None, kinds: np.ndarray | None = None,
                     handover: float | None = None) -> Part:
    """``funnel.offer`` (minutes, delay) and ``funnel.closing`` from the calls after the contact call.

    Args:
        frame: the window's data.
        presentation_within: ``funnel.presentation_within_days`` as fitted (None: no limit), days.
        pace: the pace of back-to-back calls, as fitted (None: not known).
        kinds: :func:`~simsales.calibrate.call_kinds.call_kinds` of ``frame.calls`` (None: read here).
        handover: ``routing.handover_after_hours`` as fitted (None: off, or not known).

    Returns:
        The fitted fields (or their defaults, listed) and the diagnostics' fits.
    """
    part = Part()
    kinds = call_kinds(frame) if kinds is None else kinds
    presenting = np.flatnonzero((kinds == PRESENT) | (kinds == OFFER))
    closing = np.flatnonzero(kinds == CLOSE)
    if presenting.size == 0 and closing.size == 0:
        why = ("the calls log has no answered call after a contact call (no presentation or closing "
               "call): the data cannot tell the presentation's minutes nor the closing calls")
        part.default("funnel.offer.call_minutes", 0.0, why)
        part.default("funnel.closing", {"share": 0.0}, why)
        return part
    if not _minutes(part, frame, "funnel.offer.call_minutes", presenting, "presentation calls"):
        part.default("funnel.offer.call_minutes", 0.0, f"only {presenting.size} presentation calls")
    chain = TouchChain(frame, kinds)
    presentations, closings = _booked(frame, presenting, closing)
    rows = np.concatenate([presentations[0], closings[0]])
    after = np.full(len(frame.calls), np.nan)
    after[rows] = due_after(frame, chain, came_free(frame, pace), rows,
                            np.concatenate([presentations[1], closings[1]]))
    _presentation_delay(part, frame, *presentations, chain, after, presentation_within, kinds,
                        handover,
                        (rows, np.concatenate([presentations[1], closings[1]])))
    _closing(part, frame, closing, chain, after)
    return part


def _booked(frame: Frame, presenting: np.ndarray,
            closing: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The booked calls and their reference moments (minutes): presentations, then closing calls.

    Each lead's first presentation call after ``qualified`` (from it), and first closing call (from
    the offer).
    """
    lead = frame.calls["lead"].to_numpy()
    t = frame.calls["t"].to_numpy()
    rows, refs = [], []
    for calls, ref in ((presenting, frame.stage["qualified"]), (closing, offer_times(frame))):
        firsts = calls[_first_per_lead(frame, calls)[calls]]
        r = ref[lead[firsts]]
        ok = np.isfinite(r) & (t[firsts] >= r)
        rows.append(firsts[ok])
        refs.append(r[ok])
    return list(zip(rows, refs, strict=True))


def _presentation_delay(part: Part, frame: Frame, rows: np.ndarray, qualified: np.ndarray,
                        chain: TouchChain, after: np.ndarray, within: float | None,
                        kinds: np.ndarray, handover: float | None,
                        booked: tuple[np.ndarray, np.ndarray]) -> None:
    """``funnel.offer.delay_days`` from each qualified lead's first presentation call.

    ``rows``: those calls; ``qualified``: when each lead was qualified, minutes; ``kinds``: the calls'
    kinds; ``handover``: ``routing.handover_after_hours`` (None: off); ``booked``: the booked calls
    (rows of ``frame.calls``) and their reference moments, minutes.
    """
    if rows.size < FEW:
        return  # the funnel's fit of the days to the offer stays
    limit = np.minimum(frame.end, qualified + (np.inf if within is None else within * MINUTES_PER_DAY))
    start, manager = frame.calls["t"].to_numpy()[rows], frame.calls["manager"].to_numpy()[rows]
    first = contact_manager(frame, kinds)[frame.calls["lead"].to_numpy()[rows]]
    due_after_rows = after_contact_managers_block(frame, chain, booked, first, manager, start, after[rows])
    never = None if within is None else never_presented(frame, rows, chain, within, kinds, handover, booked)
    due = DueDelays(chain, qualified, start, manager, limit, due_after_rows, never)
    _set_due(part, frame, "funnel.offer.delay_days", due, "presentations",
             "the contact call's end (qualified)", "Presentations: days from the contact call to when the "
             "presentation was due")


def _set_due(part: Part, frame: Frame, path: str, due: DueDelays, what: str, since: str,
             title: str) -> DelayFit | None:
    """Set ``path`` to the fit of ``due`` (``what``, days from ``since``) with its diagnostic; the fit."""
    fit = due.fit()
    if fit is None:
        return None
    part.set(path, fit.spec,
             f"from {count(fit.n)} {what}, {frame.period}: days from {since} to when the call was due, "
             f"{due.source(what)}, {fit.family} fit, mean {fit.mean:.2f} (se {fit.mean_se:.2f})")
    part.fits.append(due.diagnostic(path, title, fit))
    return fit


def _closing(part: Part, frame: Frame, rows: np.ndarray, chain: TouchChain, after: np.ndarray) -> None:
    """``funnel.closing``: share, delay, minutes and time limit (see the module docstring)."""
    offer = offer_times(frame)
    lead = frame.calls["lead"].to_numpy()[rows]
    t = frame.calls["t"].to_numpy()[rows]
    first = np.full(frame.n, np.inf)
    np.minimum.at(first, lead, t)
    has = np.isfinite(offer) & np.isfinite(first)
    delay = (first[has] - offer[has]) / MINUTES_PER_DAY
    window = (frame.end - offer[has]) / MINUTES_PER_DAY
    firsts = rows[_first_per_lead(frame, rows)[rows]]
    closer, since = np.full(frame.n, -1), np.full(frame.n, np.nan)
    closer[frame.calls["lead"].to_numpy()[firsts]] = frame.calls["manager"].to_numpy()[firsts]
    since[frame.calls["lead"].to_numpy()[firsts]] = after[firsts]
    offered = np.isfinite(offer)
    if not has.any():
        n_old = int(np.sum(offered & (offer + DEFAULT_WITHIN_DAYS * MINUTES_PER_DAY <= frame.end)))
        part.set("funnel.closing.share", 0.0,
                 f"from {count(n_old)} offers at least {DEFAULT_WITHIN_DAYS:g} days old, {frame.period}: "
                 "none had a call after the offer")
        return
    starts = fit_delay(delay, window)  # of the calls' starts: where they stop short marks the limit
    latest = float(np.max(delay))
    within, limit_known = DEFAULT_WITHIN_DAYS, False
    if starts is not None and delay.size >= 2:
        old = offered & (offer + latest * MINUTES_PER_DAY <= frame.end)
        beyond = float(np.sum(old)) * (1.0 - float(starts.cdf(np.array([latest]))[0]))
        if beyond >= EXPECT_BEYOND:
            second = float(np.sort(delay)[-2])
            within, limit_known = math.ceil((2 * latest - second) * 10 - 1e-9) / 10, True
    if limit_known:
        part.set("funnel.closing.within_days", within,
                 f"from {count(delay.size)} closing calls, {frame.period}: the latest came {latest:.2f} days "
                 f"after its offer, where the fit of their starts expects {beyond:.0f} later ones; days")
    else:
        within = max(DEFAULT_WITHIN_DAYS, math.ceil(latest))
        part.default("funnel.closing.within_days", within,
                     f"the closing calls' delays do not stop short (latest {latest:.2f} days after the "
                     "offer)")
    due = DueDelays(chain, offer[has], first[has], closer[has],
                    offer[has] + np.minimum(window, within) * MINUTES_PER_DAY, since[has])
    fit = _set_due(part, frame, "funnel.closing.delay_days", due, "closing calls", "the offer",
             "Closing calls: days from the offer to when the call was due")
    old = offered & (offer + within * MINUTES_PER_DAY <= frame.end)
    events, n = int(np.sum(old & np.isfinite(first))), int(np.sum(old))
    seen = events / n if n else 0.0
    decided = offered & (offer + (within + SETTLED_DAYS) * MINUTES_PER_DAY <= frame.end)
    called = np.isfinite(first)
    won = frame.status == "won"
    n1, n0 = int(np.sum(decided & called)), int(np.sum(decided & ~called))
    if n1 >= FEW and n0 >= FEW and np.sum(decided & called & won) > 0:
        share, lo, hi = share_from_payments(seen, n, events, n1, int(np.sum(decided & called & won)),
                                            n0, int(np.sum(decided & ~called & won)))
        how = (f"the offers without a closing call pay {np.mean(won[decided & ~called]):.1%}, those with "
               f"one {np.mean(won[decided & called]):.1%} ({count(n0 + n1)} offers at least "
               f"{within + SETTLED_DAYS:g} days old): the missing calls that were needed, and never paid, "
               "are the difference")
    else:
        reach = float(fit.cdf(np.array([within]))[0]) if fit is not None else 1.0
        share = min(seen / max(reach, 1e-9), 1.0)
        lo, hi = beta_moments(share, seen * (1 - seen) / max(n, 1) / max(reach, 1e-9) ** 2, n,
                              events).interval()
        how = (f"over the {reach:.1%} of closing calls the delay's fit brings due within the limit (an "
               "upper bound: the wait for the manager comes on top, so the share is if anything low)")
    if fit is not None and fit.mean > within:
        part.warnings.append(
            f"funnel.closing: the days from an offer to its closing call came out at a mean of "
            f"{fit.mean:.1f} ({fit.family} fit), past the {within:g}-day limit, from the calls seen within "
            f"it only: the export cannot tell so long a delay from offers that need no closing call, so the "
            f"share ({share:.0%}) and the delay are unsure; check both against how the department books "
            "its closing calls")
    part.set("funnel.closing.share", round(share, 4),
             f"from {count(n)} offers at least {within:g} days old, {frame.period}: {count(events)} had a "
             f"call after the offer ({seen:.1%}); {how}; 90% interval {lo:.1%}..{hi:.1%} (the field takes "
             "one number)")
    part.fits.append(Fit(
        "funnel.closing.share", "Closing calls: the share of offers with one (seen, and over the calls that "
        "come within the limit)", ["seen", "needed"], np.array([seen, np.nan]), np.array([np.nan, share]),
        np.array([np.nan, lo]), np.array([np.nan, hi]), kind="interval", ylabel="share of offers", n=n,
        band_of="fitted",
    ))
    if not _minutes(part, frame, "funnel.closing.call_minutes", np.flatnonzero(
            np.isin(np.arange(len(frame.calls)), rows) & _first_per_lead(frame, rows)), "closing calls"):
        part.default("funnel.closing.call_minutes", 10.0, f"only {rows.size} closing calls")


def share_from_payments(seen: float, n: int, events: int, n1: int, won1: int, n0: int,
                        won0: int) -> tuple[float, float, float]:
    """The share of offers that need a closing call, from how often offers with and without one pay.

    A needed closing call not made within the limit is not in the log, and its deal never pays;
    an offer that needs none pays as one whose call was made.  With ``u`` the share of offers with
    a call and ``q`` the paid rate without a call over the paid rate with one,
    ``q = (1 - s) / (1 - u)``, so ``s = 1 - q (1 - u)`` (at least ``u``).

    Args:
        seen: the share of offers (old enough) with a closing call.
        n: those offers.
        events: those with a call.
        n1: offers old enough to have paid, with a call.
        won1: those paid.
        n0: likewise, without a call.
        won0: those paid.

    Returns:
        ``(share, P5, P95)``, the interval from a parametric bootstrap (Beta posteriors of the rates).
    """
    rng = np.random.default_rng(0)
    draws = 2000
    u = rng.beta(events + 0.5, n - events + 0.5, draws)
    r1 = rng.beta(won1 + 0.5, n1 - won1 + 0.5, draws)
    r0 = rng.beta(won0 + 0.5, n0 - won0 + 0.5, draws)
    s = np.clip(1.0 - r0 / r1 * (1.0 - u), u, 1.0)
    point = float(np.clip(1.0 - (won0 / n0) / (won1 / n1) * (1.0 - seen), seen, 1.0))
    return point, float(np.quantile(s, 0.05)), float(np.quantile(s, 0.95))


def _first_per_lead(frame: Frame, rows: np.ndarray) -> np.ndarray:
    """A mask over the calls: each lead's first of ``rows`` (calls are sorted by lead, then time)."""
    lead = frame.calls["lead"].to_numpy()
    mask = np.zeros(len(lead), dtype=bool)
    if rows.size:
        firsts = rows[np.r_[True, lead[rows][1:] != lead[rows][:-1]]]
        mask[firsts] = True
    return mask
