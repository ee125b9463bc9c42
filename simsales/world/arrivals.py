"""Lead arrivals: the lead stream of one replication (MODEL.md section 2).

The stream does not depend on the hiring plan, so it is generated once per
replication and shared by every plan (common random numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from simsales.scenario import Channel
from simsales.scenario.uncertain import value
from simsales.world.calendar import DAYS_PER_MONTH, MINUTES_PER_DAY, weekday_of

DEFAULT_HOUR_PROFILE = (
    80, 50, 32, 24, 22, 22, 30, 48, 65, 85, 110, 130,        # 00-11
    140, 145, 140, 135, 130, 128, 130, 138, 145, 148, 135, 110,  # 12-23
)
"""Relative lead volume per hour 0..23 of a channel without ``hour_profile``: a B2C day of ads leads.

Few at night (5 a.m. is the low, about a sixth of the daytime level),
rising from 7 a.m., a first peak around 1 p.m. and a second, higher one at
8-9 p.m., falling after 10 p.m.  Shaped on ClickPost's published index of
online shopping by hour (5 a.m. 22; 10 a.m. 103; noon to 3 p.m. 142-151;
8-10 p.m. 132-134; midnight 104; https://www.clickpost.ai/blog/best-time-to-shop-online),
the hours after 11 p.m. lowered for leads from forms, which people fill
less late at night than they buy.  As shares of the day (per cent):
3.4 2.2 1.4 1.0 0.9 0.9 1.3 2.1 2.8 3.7 4.7 5.6 | 6.0 6.2 6.0 5.8 5.6 5.5
5.6 5.9 6.2 6.4 5.8 4.7.  ``hour_profile: flat`` spreads leads evenly around
the clock instead.
"""


@dataclass(frozen=True)
class Entry:
    """How the first leads of a :class:`Leads` enter the engines: a start from an open pipeline.

    A lead with an entry was created before minute 0 (its ``created`` is
    negative: its true age counts for the contact decay and ``lead_ttl``)
    and arrives at minute 0 with a first task already known, instead of
    the first attempt at ``created + offsets[0]``.  Every array has one
    value per entry; entry ``i`` is lead ``i`` (the leads with entries come
    first, sorted by creation like every lead).

    Attributes:
        attempt: the task: attempt ``k`` of the touch chain (0-based), or
            -1 for the presentation call (the lead is qualified).
        due: when the task is due, minutes from minute 0 (>= 0).
        owner: the manager who holds the lead (an index of the roster), or
            -1: routed by the policy at minute 0 as a new lead.
    """

    attempt: np.ndarray
    due: np.ndarray
    owner: np.ndarray

    def __len__(self) -> int:
        return len(self.due)


@dataclass(frozen=True)
class Leads:
    """All leads of one replication, sorted by creation time.

    Attributes:
        created: creation time, minutes from the world's minute 0 (00:00 of
            ``start``, or of the warm-up's first day: :mod:`simsales.world.warmup`).
        channel: index into the scenario's channels.
        target: False for non-target leads (they can never buy), of both
            kinds: unreachable and reached non-target.
        reachable: False for unreachable leads (a broken number: every
            attempt fails); None: every lead is reachable.
        entry: the first ``len(entry)`` leads' entry from an open pipeline
            (:class:`Entry`); None: every lead arrives at its creation.
    """

    created: np.ndarray
    channel: np.ndarray
    target: np.ndarray
    reachable: np.ndarray | None = None
    entry: Entry | None = None

    @property
    def n_entries(self) -> int:
        """Leads that enter from an open pipeline (the first ones)."""
        return 0 if self.entry is None else len(self.entry)

    def first_steps(self, n_attempts: int) -> np.ndarray:
        """Per lead, its first task: attempt k, or ``n_attempts`` for the presentation (zeros: attempt 0).

        Args:
            n_attempts: attempts in the touch chain (K).

        Returns:
            ``(N,)`` int64.
        """
        steps = np.zeros(len(self.created), np.int64)
        if self.entry is not None:
            steps[: len(self.entry)] = np.where(self.entry.attempt < 0, n_attempts, self.entry.attempt)
        return steps

    def reachable_mask(self) -> np.ndarray:
        """Per lead, whether its number works (all True when ``reachable`` is None)."""
        return np.ones(len(self.created), dtype=bool) if self.reachable is None else self.reachable

    def __len__(self) -> int:
        return len(self.created)


def daily_means(channel: Channel, start: dt.date, n_days: int, before: int = 0) -> np.ndarray:
    """Expected leads per day: base volume x weekday profile x monthly growth.

    The volume is the channel's on ``start``; growth runs from there, also
    backward into a warm-up (a channel growing 5% a month had 5% fewer
    leads a month before ``start``).

    Args:
        channel: a resolved channel (volume, weekday profile, growth per month).
        start: the scenario's first day.
        n_days: days in the horizon.
        before: days before ``start`` to cover too (a warm-up).

    Returns:
        Expected leads on each day from ``start - before``, ``(before + n_days,)``.
    """
    weekday = np.asarray(channel.weekday_profile, dtype=float)
    weekday = weekday / weekday.mean()
    days = np.arange(-before, n_days)
    base = 1.0 + value(channel.growth_per_month)
    with np.errstate(divide="ignore"):
        growth = base ** (days / DAYS_PER_MONTH)
    if base <= 0.0:  # -100% a month: nothing after start; before it, the volume at start
        growth = np.where(days < 0, 1.0, growth)
    return value(channel.leads_per_day) * weekday[weekday_of(start, days)] * growth


def hour_weights(channel: Channel) -> np.ndarray | None:
    """Relative volume per hour 0..23 of a channel (None: flat, uniform around the clock).

    ``hour_profile`` as given; 24 equal values (``flat`` is read as such):
    None; no ``hour_profile``: :data:`DEFAULT_HOUR_PROFILE`.

    Args:
        channel: a channel.

    Returns:
        24 relative volumes, or None.
    """
    profile = channel.hour_profile
    if profile is None:
        return np.asarray(DEFAULT_HOUR_PROFILE, dtype=float)
    if len(set(profile)) == 1:
        return None
    return np.asarray(profile, dtype=float)


def daily_counts(mean: np.ndarray, overdispersion: float, rng: np.random.Generator) -> np.ndarray:
    """Leads per day: Poisson, or negative binomial with var = m + od * m^2.

    Args:
        mean: expected leads per day.
        overdispersion: ``od``; 0 for Poisson.
        rng: the replication's arrivals stream.

    Returns:
        Leads on each day (integers), shaped like ``mean``.
    """
    if overdispersion > 0:
        shape = 1.0 / overdispersion
        mean = rng.gamma(shape, mean / shape)
    return rng.poisson(mean)


def generate_leads(
    channels: list[Channel], start: dt.date, n_days: int, rng: np.random.Generator, before: int = 0
) -> Leads:
    """Draw the lead stream of one replication from resolved channels.

    Args:
        channels: the resolved channels, in the scenario's order.
        start: the scenario's first day.
        n_days: days in the horizon.
        rng: the replication's arrivals stream.
        before: days before ``start`` to draw leads for too (a warm-up,
            :mod:`simsales.world.warmup`); 0 draws exactly as before.

    Returns:
        Every lead, sorted by creation time (minutes from 00:00 of
        ``start - before``).
    """
    created, channel_ix, target, reachable = [], [], [], []
    for c, channel in enumerate(channels):
        counts = daily_counts(daily_means(channel, start, n_days, before), channel.overdispersion, rng)
        n = int(counts.sum())
        day = np.repeat(np.arange(before + n_days), counts)
        hours = hour_weights(channel)
        if hours is None:  # flat: uniform around the clock
            minute = rng.random(n) * MINUTES_PER_DAY
        else:
            hour = rng.choice(24, size=n, p=hours / hours.sum())
            minute = (hour + rng.random(n)) * 60.0
        created.append(day * MINUTES_PER_DAY + minute)
        channel_ix.append(np.full(n, c, dtype=np.int64))
        # One uniform per lead sorts it: unreachable below unreachable_share, reached
        # non-target up to unreachable + nontarget share, target above (no extra draw).
        u, broken = rng.random(n), value(channel.unreachable_share)
        target.append(u >= broken + min(value(channel.nontarget_share), 1.0 - broken))
        reachable.append(u >= broken)
    times = np.concatenate(created)
    order = np.argsort(times, kind="stable")
    works = np.concatenate(reachable)[order]
    return Leads(
        created=times[order],
        channel=np.concatenate(channel_ix)[order],
        target=np.concatenate(target)[order],
        reachable=None if works.all() else works,
    )
