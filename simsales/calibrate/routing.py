"""The routing rules the shifts and calls tables identify: ``min_shift_left`` and ``handover_after_hours``.

Both read each manager's blocks of shifts (shifts that meet count as one)
from the shifts table, in minutes since the window's first midnight.

- ``min_shift_left`` (MODEL.md section 3, "the responsible manager must be
  one who works today"): a lead whose first attempt is made by a manager
  on shift when it came in, within that block, was routed to them then.
  The time left of their block at the lead's creation has a hole from 0 to
  ``min_shift_left`` (no lead goes to a manager with less left).  The
  fitted value is the lower edge of the times left (its
  :data:`OUTLIER_SHARE` smallest are taken as noise), when the hole is
  too wide for chance: at the density of the times just above it, fewer
  than :data:`HOLE_EXPECTED` leads would have fallen into it by chance.
- ``handover_after_hours``: a lead's next attempt made by another manager
  while its previous caller is off (between two of their blocks, not gone)
  was handed over; it happens at the previous caller's block end plus
  ``handover_after_hours``, when the receiver is free.  The fitted value is
  the lower edge of the delays from the block's end to the receiver's
  attempt.  With fewer than :data:`MIN_HANDOVERS` such attempts the rule
  is taken as off.

- ``max_new_per_day``: the leads first called within the block they came
  in by a manager then on shift were routed to that manager when they came
  in; their count per manager and day piles up at a cap
  (:mod:`simsales.calibrate.daily_cap`).

``ramp_share`` and the policy stay at their defaults: the export does not
say who a lead was first routed to (its owner is the last one, after
hand-overs), and the leads the first calls show are too few a share of a
manager's to compare managers' shares.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simsales.calibrate.daily_cap import after_closed, fit_cap
from simsales.calibrate.fit import Fit, Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

OUTLIER_SHARE = 0.0005
"""The share of the smallest times taken as noise before reading a lower edge."""
HOLE_EXPECTED = 5.0
"""A hole below the edge counts when chance would have put at least this many leads in it."""
EDGE_WINDOW = 60.0
"""Minutes above the edge over which the density of the times is read."""
MIN_HANDOVERS = 20
"""Fewer hand-overs than this: handover_after_hours is taken as off."""


def _clock(text: pd.Series) -> np.ndarray:
    parts = text.astype(str).str.split(":", n=2, expand=True)
    if parts.shape[1] < 2:
        return np.full(len(text), np.nan)
    h = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    return h * 60 + m


def blocks(frame: Frame) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each manager's blocks of shifts (shifts that meet joined), minutes since the window's first midnight.

    Args:
        frame: the window's data (with a shifts table).

    Returns:
        manager index -> (block starts, block ends), sorted.
    """
    sh = frame.shifts
    start, end = _clock(sh["start"]), _clock(sh["end"])
    length = np.where(end > start, end - start, end + MINUTES_PER_DAY - start)
    s = (sh["day"].to_numpy() - frame.since_day) * MINUTES_PER_DAY + start
    ok = np.isfinite(s) & np.isfinite(length) & (length > 0) & (sh["manager"].to_numpy() >= 0)
    table = pd.DataFrame({"m": sh["manager"].to_numpy()[ok], "s": s[ok], "e": s[ok] + length[ok]})
    out = {}
    for m, g in table.sort_values(["m", "s"]).groupby("m", sort=True):
        bs, be = g["s"].to_numpy(), g["e"].to_numpy()
        new = np.concatenate([[True], bs[1:] > np.maximum.accumulate(be)[:-1]])
        out[int(m)] = (bs[new], np.maximum.reduceat(be, np.flatnonzero(new)))
    return out


def lower_edge(x: np.ndarray) -> tuple[float, float, int]:
    """The lower edge of a sample, the density just above it (per minute) and the values below it.

    Args:
        x: the sample (minutes).

    Returns:
        ``(edge, density, below)``: the value after the :data:`OUTLIER_SHARE` smallest, the count per
        minute over :data:`EDGE_WINDOW` minutes above it, and how many lie below it.
    """
    x = np.sort(x)
    k = int(OUTLIER_SHARE * x.size)
    edge = float(x[k])
    density = float(np.sum((x >= edge) & (x < edge + EDGE_WINDOW))) / EDGE_WINDOW
    return edge, density, k


STEP_BIN = 5.0
"""Minutes per bin of the hand-over delays."""
STEP_BINS = 6
"""Bins compared on each side of a candidate step."""
MIN_STEP = 1.5
"""The rate after a hand-over step is at least this many times the rate before it."""


def delay_step(delay: np.ndarray, horizon: float = 12 * 60.0) -> tuple[float, float] | None:
    """Where the rate of hand-over attempts steps up most (minutes after the block's end), and by how much.

    Attempts by another manager come before the hand-over too (a leaver's
    leads, tasks moved by hand); the hand-over shows as a step up in their
    rate.  Over :data:`STEP_BIN`-minute bins up to ``horizon``, the
    candidate is the bin edge with the largest ratio of the mean count in
    the :data:`STEP_BINS` bins after it to the mean in those before it
    (both + 1), among edges after 0 (a hand-over at the block's end itself
    reads as the first bin's edge, 5 minutes) with a mean after of at least 5 and 5% of the
    largest bin.

    Args:
        delay: minutes from the previous caller's block end to the other manager's attempt.
        horizon: the longest delay looked at, minutes.

    Returns:
        ``(edge, ratio)``, or None when no step reaches :data:`MIN_STEP`.
    """
    bins = np.arange(0.0, horizon + STEP_BIN, STEP_BIN)
    c = np.histogram(delay, bins)[0].astype(float)
    if not c.size or c.max() <= 0:
        return None
    best: tuple[float, float] | None = None
    for i in range(1, c.size - STEP_BINS):  # a step at 0 has nothing before it to compare
        before = c[max(0, i - STEP_BINS):i].mean()
        after = c[i:i + STEP_BINS].mean()
        if after < max(5.0, 0.05 * c.max()):
            continue
        ratio = (after + 1.0) / (before + 1.0)
        if best is None or ratio > best[1]:
            best = (float(bins[i]), ratio)
    return best if best is not None and best[1] >= MIN_STEP else None


def _first_calls(frame: Frame) -> pd.DataFrame:
    calls = frame.calls
    known = calls[calls["manager"].to_numpy() >= 0]
    return known.groupby("lead", sort=True).first()


def routed_at_creation(frame: Frame, blk: dict[int, tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """Leads first called by a manager within the first of their blocks that ends after the lead came in.

    Such a lead was routed to that manager when it came in, to take then
    (on shift) or at that block's start (a hand-over comes only after a
    block's end), so these leads show the routing of new leads.

    Returns:
        Per such lead: its row, its first caller, the moment the caller could take it (minutes: the
        creation, or the block's start), and the minutes left of the block then.
    """
    first = _first_calls(frame)
    lead = first.index.to_numpy()
    caller = first["manager"].to_numpy()
    t_call = first["t"].to_numpy()
    rows, who, at, left = [], [], [], []
    for m, (bs, be) in blk.items():
        sel = np.flatnonzero(caller == m)
        t = frame.created[lead[sel]]
        i = np.searchsorted(be, t, side="right")  # the first block ending after the creation
        ok = i < be.size
        ok[ok] &= t_call[sel][ok] <= be[i[ok]]
        take = np.maximum(t[ok], bs[i[ok]])
        rows.append(lead[sel][ok])
        who.append(np.full(int(ok.sum()), m, dtype=np.int64))
        at.append(take)
        left.append(be[i[ok]] - take)
    if not rows:
        return tuple(np.zeros(0) for _ in range(4))
    return np.concatenate(rows), np.concatenate(who), np.concatenate(at), np.concatenate(left)


def handover_delays(frame: Frame, blk: dict[int, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Minutes from the previous caller's block end to another manager's attempt on the lead.

    Only attempts made while the previous caller was off between two of their blocks count.
    """
    calls = frame.calls
    lead, m, t = calls["lead"].to_numpy(), calls["manager"].to_numpy(), calls["t"].to_numpy()
    same_lead = lead[1:] == lead[:-1]
    switch = np.flatnonzero(same_lead & (m[1:] != m[:-1]) & (m[1:] >= 0) & (m[:-1] >= 0)) + 1
    out = []
    prev = m[switch - 1]
    for a in np.unique(prev):
        if int(a) not in blk:
            continue
        bs, be = blk[int(a)]
        sel = switch[prev == a]
        c = t[sel]
        i = np.searchsorted(bs, c, side="right") - 1  # A's last block starting before the call
        ok = (i >= 0) & (i + 1 < bs.size)  # A works again later (not a leaver's hand-over)
        ok[ok] &= c[ok] >= be[i[ok]]  # A is off at the call
        out.append(c[ok] - be[i[ok]])
    return np.concatenate(out) if out else np.zeros(0)


def fit_routing(frame: Frame) -> Part:
    """``routing.min_shift_left`` and ``routing.handover_after_hours`` (see the module docstring).

    Args:
        frame: the window's data.

    Returns:
        The fitted values (or nothing where the rule does not show), with comments and fits; the
        routing fields the export cannot tell listed as defaults.
    """
    part = Part()
    for path in ("routing.policy", "routing.ramp_share"):
        part.defaults.append(path)
    if frame.shifts is None or not len(frame.shifts):
        part.defaults += ["routing.min_shift_left", "routing.max_new_per_day", "routing.handover_after_hours"]
        return part
    blk = blocks(frame)
    rows, who, at, left = routed_at_creation(frame, blk)
    on_shift = at <= frame.created[rows.astype(np.int64)]  # routed to a manager on shift when it came in
    _shift_left(part, frame, left[on_shift])
    fit_cap(part, frame, [(who[on_shift], at[on_shift]), (who, at)], after_closed(blk))
    _handover(part, frame, handover_delays(frame, blk))
    return part


def _shift_left(part: Part, frame: Frame, left: np.ndarray) -> None:
    src = (f"from {count(left.size)} leads first called by a manager on shift when they came in, in that "
           f"block, {frame.period}")
    if left.size < 100:
        part.defaults.append("routing.min_shift_left")
        return
    edge, density, below = lower_edge(left)
    expected = density * edge
    if edge < 1 or expected < HOLE_EXPECTED:
        part.defaults.append("routing.min_shift_left")
        return
    fitted = float(math.floor(edge))
    # Above the true edge the values skipped as noise and the gap to the next are a Gamma(below + 1)
    # at the density: its 95% point (normal approximation) is how far below the edge the truth may be.
    lo = max(0.0, edge - (below + 1 + 1.645 * math.sqrt(below + 1)) / max(density, 1e-9))
    part.set(
        "routing.min_shift_left",
        fitted,
        f"{src}: none came in with less than {edge:.1f} minutes of the block left ({below} taken as "
        f"noise) where {expected:,.0f} would have by chance (90% interval {lo:.1f}..{edge:.1f} minutes)",
    )
    bins = np.arange(0, 5 * 60 + 1, 10.0)
    hist = np.histogram(left, bins)[0]
    part.fits.append(
        Fit("routing.min_shift_left", "Minutes of the block left when a new lead came in",
            list(bins[:-1]), hist.astype(float),
            np.where(bins[:-1] + 10 <= fitted, 0.0, np.nan),
            kind="bar", xlabel="minutes of the block left (10-minute bins)", ylabel="leads",
            n=int(left.size), note="no lead reaches a manager with less than min_shift_left left"))


def _handover(part: Part, frame: Frame, delay: np.ndarray) -> None:
    src = (f"from {count(delay.size)} attempts by another manager while the lead's previous caller was "
           f"off between shifts, {frame.period}")
    if delay.size < MIN_HANDOVERS:
        part.default("routing.handover_after_hours", None,
                     f"{delay.size} attempts by another manager while the previous caller was off: "
                     "leads stay with their owner")
        return
    step = delay_step(delay)
    if step is None:
        part.default("routing.handover_after_hours", None,
                     f"{src}: no clear step up in their delays (another manager's attempts come at any "
                     "time): taken as off")
        part.warnings.append("hand-overs show in the calls but at no clear delay: "
                             "routing.handover_after_hours is left off (check it)")
        return
    edge, ratio = step
    hours = round(edge / 60.0, 2)
    part.set(
        "routing.handover_after_hours",
        hours,
        f"{src}: their rate steps up {ratio:.1f}-fold {hours:g} h after that caller's block ended "
        f"(to within {STEP_BIN:g} minutes)",
    )
    bins = np.arange(0, 24 * 60 + 1, 30.0)
    part.fits.append(
        Fit("routing.handover_after_hours", "Hand-overs: hours from the owner's block end to the next "
            "attempt by another manager", list(bins[:-1] / 60), np.histogram(delay, bins)[0].astype(float),
            np.full(bins.size - 1, np.nan), kind="bar", xlabel="hours after the block's end (half-hour bins)",
            ylabel="attempts", n=int(delay.size),
            note="the first bar that holds attempts is the hand-over time"))
