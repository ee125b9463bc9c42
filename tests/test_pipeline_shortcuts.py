"""The pipeline's shortcuts outside the engine give the numbers the plain computations give, bit for bit.

A replication keeps what does not depend on the plan (shift groups and
days, the normal prices' quantiles) and takes faster routes to the same
numbers (working minutes of sorted moments, medians).  Each is checked
here against the plain computation it replaces, on inputs chosen to reach
its edge cases; benchmarks/pipeline_identity.py checks whole replications.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simsales.montecarlo.metrics import _median
from simsales.scenario import Calendar, Shift
from simsales.scenario.distributions import Normal
from simsales.scenario.funnel import Price
from simsales.world import calendar as cal
from simsales.world.deals import ClientDraws
from simsales.world.shifts import working_minutes, working_minutes_between


def _plain_minutes(lo: np.ndarray, hi: np.ndarray, t: np.ndarray) -> np.ndarray:
    """working_minutes as it was written before the shortcuts: one search per moment."""
    before = np.concatenate(([0.0], np.cumsum(hi - lo)))
    i = np.searchsorted(lo, t, side="right")
    j = np.maximum(i - 1, 0)
    return before[j] + np.where(i > 0, np.clip(t - lo[j], 0.0, hi[j] - lo[j]), 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_working_minutes_of_sorted_and_paired_moments_are_the_plain_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lo = np.sort(rng.choice(np.arange(0.0, 20_000.0, 60.0), 40, replace=False))
    hi = np.minimum(lo + rng.choice([30.0, 60.0, 500.0], lo.size), np.append(lo[1:], np.inf))
    start = np.sort(np.concatenate([rng.uniform(-100, 21_000, 3000), lo[:5], hi[:5], [lo[0], lo[0]]]))
    end = start + rng.exponential(rng.choice([5.0, 600.0, 5000.0]), start.size)
    end[::97] = start[::97] - 3.0  # before its start
    end[::89] = np.nan
    end[::83] = np.inf
    want = _plain_minutes(lo, hi, start)
    assert np.array_equal(working_minutes((lo, hi), start, ascending=True), want)
    assert np.array_equal(working_minutes((lo, hi), start), want)
    shuffled = rng.permutation(start)  # not sorted: the hint is checked, not trusted
    assert np.array_equal(working_minutes((lo, hi), shuffled, ascending=True),
                          _plain_minutes(lo, hi, shuffled))
    both = _plain_minutes(lo, hi, end) - want
    assert np.array_equal(working_minutes_between((lo, hi), start, end), both, equal_nan=True)
    with_nan = start.copy()
    with_nan[-3:] = np.nan
    assert np.array_equal(working_minutes((lo, hi), with_nan, ascending=True),
                          _plain_minutes(lo, hi, with_nan), equal_nan=True)
    assert np.array_equal(working_minutes_between((lo, hi), with_nan, end),
                          _plain_minutes(lo, hi, end) - _plain_minutes(lo, hi, with_nan), equal_nan=True)
    empty = (np.empty(0), np.empty(0))
    assert np.array_equal(working_minutes_between(empty, start, end), np.zeros(start.size))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 10, 101, 1000])
def test_median_is_numpys(size: int) -> None:
    rng = np.random.default_rng(size)
    for x in (rng.exponential(10.0, size), rng.integers(0, 3, size).astype(float), np.full(size, 0.1)):
        assert _median(x) == np.median(x)
        assert type(_median(x)) is type(np.median(x))


def test_opening_hours_follow_each_dates_rules() -> None:
    calendar = Calendar(default="09:00-21:00", sat="10:00-16:00", sun="closed", fri="09:00-01:00",
                        holidays=["2026-07-03", "2026-07-10..2026-07-12", "2026-05-01"],
                        short_days={dt.date(2026, 7, 7): "10:00-15:00", dt.date(2026, 7, 8): "closed",
                                    dt.date(2026, 7, 10): "11:00-12:00"})
    start = dt.date(2026, 6, 29)
    open_at, close_at = cal.opening_hours(calendar, start, 40)
    for d in range(40):
        hours = calendar.hours_on(start + dt.timedelta(days=d)) or (0, 0)
        assert (open_at[d], close_at[d]) == hours


def test_shift_windows_do_not_depend_on_what_was_asked_before() -> None:
    """Groups and days are kept between calls: a team's windows are those of a first call, and a prefix."""
    shifts = [Shift(name="day", pattern="5/2", start="09:00", hours=9, share=0.3, team_leads=["anna"]),
              Shift(name="night", pattern="2/2", start="20:00", hours=10, share=0.3),
              Shift(name="rot", pattern="3/1", start="11:00", hours=8, share=0.4)]
    calendar = Calendar(default="00:00-24:00", holidays=["2026-07-05"])
    start = dt.date(2026, 7, 1)
    ties = [["anna", "boris", None][i % 3] for i in range(60)]

    def fresh(n: int, team_leads: list | None, before: int = 0) -> tuple[np.ndarray, np.ndarray]:
        for memo in cal._MEMOS.values():
            memo.clear()
        return cal.shift_windows(shifts, calendar, start, 21, n, team_leads, before=before)

    for team_leads in (None, ties):
        big = fresh(60, team_leads)
        small = fresh(25, None if team_leads is None else team_leads[:25])
        again = cal.shift_windows(shifts, calendar, start, 21, 60, team_leads)  # after a shorter team
        assert all(np.array_equal(a, b) for a, b in zip(big, again, strict=True))
        if team_leads is None:
            assert all(np.array_equal(a[:25], b) for a, b in zip(big, small, strict=True))
        warm = fresh(60, team_leads, before=9)
        assert all(np.array_equal(a[:, 9:] - 9 * 1440, b) for a, b in zip(warm, big, strict=True))
        assert np.array_equal(cal.shift_groups(shifts, 60, team_leads),
                              cal.shift_groups(shifts, 60, None if team_leads is None else list(team_leads)))
        big[0][:] = -1.0  # the caller's own arrays: the kept ones are untouched
        assert not np.array_equal(cal.shift_windows(shifts, calendar, start, 21, 60, team_leads)[0], big[0])


def test_normal_prices_kept_between_plans_are_those_computed_afresh() -> None:
    rng = np.random.default_rng(5)
    price = Price(check=Normal(mu=60000.0, sd=15000.0, lo=20000.0))
    u = rng.random(5000)

    def draws() -> ClientDraws:
        return ClientDraws(*[None] * 7, None, u, None, None)

    kept = draws()
    first = np.sort(rng.choice(u.size, 1200, replace=False))
    second = np.sort(np.concatenate([first[::2], rng.choice(u.size, 700, replace=False)]))
    second = np.unique(second)
    assert np.array_equal(kept.prices(price, first), draws().prices(price, first))
    assert np.array_equal(kept.prices(price, second), draws().prices(price, second))
    other = Price(check=Normal(mu=50000.0, sd=5000.0, lo=20000.0))  # another price: not the kept ones
    assert np.array_equal(kept.prices(other, second), draws().prices(other, second))
