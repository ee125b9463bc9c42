"""``routing.max_new_per_day``: where the new leads a manager takes per day pile up at a cap.

The leads :func:`simsales.calibrate.routing.routed_at_creation` shows (first
called within the block they came in, or the first block after, by a
manager then on shift or starting) were routed to that manager then; their
count per manager and day piles up at a cap (:func:`daily_cap`), on
ordinary days too, not only on the days after a day the floor was shut
(:func:`after_closed`), and all the leads the first calls show stop there
too (:func:`cap_holds`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson

from simsales.calibrate.fit import Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

CAP_MIN_DAYS = 10
"""A cap shows in at least this many manager-days at it."""
CAP_MIN_DATES = 3
"""The cap's manager-days on ordinary days come from at least this many days (one day's are one even
split, not independent draws)."""
CAP_BELOW = 1
"""The counts just below a cap its pile-up is held against (above the median the counts fall without one)."""
CAP_TAIL = 0.2
"""Manager-days beyond a cap: at most this share of those at it (where a lead's day is misread)."""
CAP_DROP = 0.5
"""Under a cap, the manager-days of all the leads one beyond it: at most this share of those at it."""
CAP_P = 1e-4
"""The chance of the pile-up by luck (over the counts tried) below which it is a cap."""


def manager_days(who: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The manager-days with any lead: their day (of ``at``, minutes) and their count of leads."""
    day = np.floor(at / MINUTES_PER_DAY).astype(np.int64)
    n = pd.Series(1, index=pd.MultiIndex.from_arrays([who, day])).groupby(level=[0, 1]).sum()
    return n.index.get_level_values(1).to_numpy(dtype=np.int64), n.to_numpy()


def manager_day_counts(who: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The leads per manager and day (of ``at``, minutes), for the manager-days with any."""
    return manager_days(who, at)[1]


def after_closed(blk: dict[int, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The days (since the window's first midnight) that follow a whole calendar day nobody was on shift.

    A floor shut on a day (a 5/2 floor's Sunday, a holiday) takes the leads that came in meanwhile at
    the next block's start: the day after carries that backlog.  The day before the first day anyone
    works is not taken as shut (the shifts table may begin there).

    Args:
        blk: each manager's blocks (:func:`blocks`).

    Returns:
        The days, sorted.
    """
    if not blk:
        return np.zeros(0, dtype=np.int64)
    bs = np.concatenate([b[0] for b in blk.values()])
    be = np.concatenate([b[1] for b in blk.values()])
    first = np.floor(bs / MINUTES_PER_DAY).astype(np.int64)
    last = np.ceil(be / MINUTES_PER_DAY).astype(np.int64) - 1  # one ending at midnight leaves the next day
    days = np.arange(first.min(), last.max() + 2)
    covered = np.zeros(days.size, dtype=np.int64)
    np.add.at(covered, first - days[0], 1)
    np.add.at(covered, last + 1 - days[0], -1)
    open_ = np.cumsum(covered) > 0
    return days[1:][~open_[:-1]]


def daily_cap(who: np.ndarray, at: np.ndarray,
              closed: np.ndarray | None = None) -> tuple[int, int, float] | None:
    """A cap on new leads per manager and day, where their daily counts pile up at it.

    The counts are of the leads :func:`routed_at_creation` shows, per
    manager and day they could take the lead (the day of its creation, or
    of the block's start it waited for).  Under ``max_new_per_day`` the managers
    the cap stops pile up at it and none goes beyond (a few may, where the
    day a lead counts for is read from its creation); without one the
    counts thin out smoothly.  The cap is the count ``K`` of at least
    :data:`CAP_MIN_DAYS` manager-days that is least likely as a Poisson
    draw at the mean of the :data:`CAP_BELOW` count(s) just below it, if that
    chance is below :data:`CAP_P` over the counts tried, and at most
    :data:`CAP_TAIL` as many manager-days go beyond ``K``, and ``K`` lies
    above the median count (round robin bunches the counts at the day's
    mean: a cap shows only where it cuts the busier days, not where it
    binds every day, which the export cannot tell from even routing).

    The pile must show on the ordinary days too: at least :data:`CAP_MIN_DAYS` manager-days at ``K``
    over at least :data:`CAP_MIN_DATES` days that do not follow a day the floor was shut (``closed``,
    :func:`after_closed`).  A day after a shut one carries the backlog of the leads that came in
    meanwhile, which round robin hands out evenly: its manager-days bunch at that day's mean, above
    every other day's, one even split and not independent counts (a 5/2 floor's Monday bunch, with
    little above it, was read as a cap).  A cap that binds on those days only cannot be told from
    that split and is left at the default; one that also binds on ordinary days is read with them.

    Args:
        who: per lead, the manager.
        at: per lead, when they could take it, minutes.
        closed: the days after a day the floor was shut (None: none).

    Returns:
        ``(K, manager-days at K, their Poisson chance)``, or None.
    """
    if who.size == 0:
        return None
    day, counts = manager_days(who, at)
    ordinary = ~np.isin(day, closed) if closed is not None else np.ones(day.size, dtype=bool)
    n = np.bincount(counts)
    median = float(np.median(counts))
    best = None
    tried = 0
    for k in range(2, n.size):
        if n[k] < CAP_MIN_DAYS or n[k + 1:].sum() > CAP_TAIL * n[k] or k <= median:
            continue
        seen = ordinary & (counts == k)
        if seen.sum() < CAP_MIN_DAYS or np.unique(day[seen]).size < CAP_MIN_DATES:
            continue
        tried += 1
        lam = max(float(n[max(1, k - CAP_BELOW):k].mean()), 1.0)
        chance = float(poisson.sf(n[k] - 1, lam))
        if best is None or chance < best[2]:
            best = (k, int(n[k]), chance)
    if best is None or best[2] * max(tried, 1) > CAP_P:
        return None
    return best


def cap_holds(k: int, who: np.ndarray, at: np.ndarray) -> bool:
    """Whether all the leads the first calls show stop at a cap of ``k`` a manager and day too.

    A pile-up among the leads routed to a manager on shift can sit below the cap: where the leads that
    came in overnight take their share of it at the block's start, the day's on-shift leads stop at
    the cap less that share (the tests' floor: a pile at 12 under a cap of 30), and the manager-days of
    all the leads run on past it.  Under a real cap they stop there too: at most :data:`CAP_DROP` as
    many manager-days hold ``k + 1`` leads as hold ``k`` (some go beyond, where a lead's day is
    misread: q3's evening shift past midnight, hand-overs).

    Args:
        k: the cap.
        who: per lead, the manager (all the leads the first calls show).
        at: per lead, when they could take it, minutes.

    Returns:
        True if the cap holds.
    """
    n = np.bincount(manager_day_counts(who, at), minlength=k + 2)
    return bool(n[k] > 0 and n[k + 1] <= CAP_DROP * n[k])


def fit_cap(part: Part, frame: Frame, samples: list[tuple[np.ndarray, np.ndarray]],
            closed: np.ndarray) -> None:
    """The cap from the leads routed to a manager on shift (surely theirs), else all the first calls show.

    A cap that all the leads break (:func:`cap_holds`) is none; ``closed``: the days after a day the
    floor was shut (:func:`after_closed`).
    """
    for who, at in samples:
        cap = daily_cap(who, at, closed)
        if cap is not None and cap_holds(cap[0], *samples[-1]):
            break
    else:
        part.defaults.append("routing.max_new_per_day")
        return
    k, days, chance = cap
    part.set(
        "routing.max_new_per_day",
        k,
        f"from {count(who.size)} leads first called by a manager in their first block after the lead came "
        f"in, {frame.period}: {days} manager-days end at exactly {k} such leads and almost none beyond "
        f"(by luck: chance {chance:.1g}); a manager's new leads that day are capped there",
    )
