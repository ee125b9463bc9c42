"""The calibration's statistics against known truths: Beta posteriors, competing risks, truncated delays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simsales.calibrate.delays import fit_delay
from simsales.calibrate.stats import beta_counts, competing_risks, naive_rate
from simsales.calibrate.team import monthly_rate
from simsales.calibrate.touch import decay_summary


def _deals(
    rng: np.random.Generator,
    n: int,
    p: float,
    window: float,
    pay_mean: float,
    lost_mean: float,
    entry_span: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Deals entering uniformly over the last ``entry_span`` days of a window, paying with ``p``.

    Returns the competing-risks input: days to the event (or to the export if open) and the cause.
    """
    entry = rng.uniform(window - entry_span, window, n)
    pays = rng.random(n) < p
    delay = np.where(pays, rng.exponential(pay_mean, n), rng.exponential(lost_mean, n))
    cause = np.where(pays, 1, 2)
    open_ = entry + delay > window
    return np.where(open_, window - entry, delay), np.where(open_, 0, cause)


def test_beta_from_counts_is_the_jeffreys_posterior():
    prob = beta_counts(30, 100)
    assert (prob.a, prob.b, prob.p) == (30.5, 70.5, 0.3)
    lo, hi = prob.interval(0.9)
    assert (lo, hi) == pytest.approx(stats.beta.ppf([0.05, 0.95], 30.5, 70.5))


def test_without_censoring_competing_risks_is_the_plain_share():
    # 30 of 100 advance, 70 are lost, nobody open: p = 0.3, variance p(1-p)/n, so Beta(30.5, 70.5).
    time = np.r_[np.full(30, 1.0), np.full(70, 2.0)]
    cause = np.r_[np.ones(30), np.full(70, 2)]
    inc = competing_risks(time, cause)
    assert inc.prob.p == pytest.approx(0.3)
    assert (inc.prob.a, inc.prob.b) == pytest.approx((30.5, 70.5))
    # Order of the causes in time does not matter without censoring.
    inc = competing_risks(np.r_[np.full(30, 2.0), np.full(70, 1.0)], cause)
    assert inc.prob.p == pytest.approx(0.3)
    assert (inc.prob.a, inc.prob.b) == pytest.approx((30.5, 70.5))


def test_an_export_cut_while_deals_are_open_biases_the_naive_rate_down_not_ours():
    # The censoring test: invoices are paid with 85%, after 5 days on average; the export is
    # cut while the last 30 days' invoices are still in flight, so many are open.  Counting open as
    # lost reads far below 85%; the competing-risks estimate does not.
    rng = np.random.default_rng(7)
    time, cause = _deals(rng, 4000, 0.85, 90.0, 5.0, 12.0, 30.0)
    open_share = float((cause == 0).mean())
    assert open_share > 0.15  # many deals are open at the cut
    naive = naive_rate(cause)
    ours = competing_risks(time, cause).prob
    lo, hi = ours.interval(0.99)
    assert naive < 0.85 - 0.08  # biased down by the open deals
    assert lo <= 0.85 <= hi  # ours covers the truth
    assert abs(ours.p - 0.85) < abs(naive - 0.85) / 4


def test_the_90_percent_intervals_cover_the_truth_90_percent_of_the_time():
    # 400 exports with censoring: the number of covering intervals is Binomial(400, 0.9) if the
    # Beta is right: 360 +- 6 (sd), so 340..380 is more than 3 sd either way.
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(400):
        p = rng.uniform(0.3, 0.9)
        time, cause = _deals(rng, 600, p, 60.0, 4.0, 8.0, 60.0)
        lo, hi = competing_risks(time, cause).prob.interval(0.9)
        hits += lo <= p <= hi
    assert 340 <= hits <= 380, hits


@pytest.mark.parametrize(
    ("family", "draw", "mean", "sd"),
    [
        ("exponential", lambda r, n: r.exponential(3.0, n), 3.0, 3.0),
        ("gamma", lambda r, n: r.gamma(2.0, 3.0, n), 6.0, np.sqrt(2.0) * 3.0),
        (
            "lognormal",
            lambda r, n: r.lognormal(1.0, 0.8, n),
            np.exp(1.32),
            np.exp(1.32) * np.sqrt(np.expm1(0.64)),
        ),
    ],
)
def test_a_truncated_delay_fit_recovers_the_distribution(family, draw, mean, sd):
    # Deals enter over 40 days; a delay is seen only if it ended before the export, so long delays of
    # late deals are missing (right truncation).  The plain mean of what is seen is biased down; the
    # fit is not.
    rng = np.random.default_rng(3)
    n = 20000
    entry = rng.uniform(0.0, 40.0, n)
    delay = draw(rng, n)
    seen = entry + delay <= 40.0
    fit = fit_delay(delay[seen], 40.0 - entry[seen])
    assert fit is not None and fit.family == family
    assert delay[seen].mean() < mean - 4 * fit.mean_se  # what a naive mean would say
    assert fit.mean == pytest.approx(mean, abs=4 * fit.mean_se + 0.01 * mean)
    assert fit.sd == pytest.approx(sd, rel=0.06)


@pytest.mark.parametrize("draw, mean, sd", [
    (lambda rng, n: rng.exponential(1.0, n), 1.0, 1.0),
    (lambda rng, n: rng.gamma(4.0, 0.5, n), 2.0, 1.0),
])
def test_an_interval_censored_delay_fit_recovers_the_delay_not_its_upper_bounds(draw, mean, sd):
    """Booked calls due at ``tau`` wait for their manager (a uniform 0-1 day on a coarse grid of free
    moments) and are seen at ``tau + wait`` if by the export. Each is known due after the manager's
    free moment before it: the intervals ``(low, seen]`` bring back ``tau``'s distribution; the seen
    starts alone are a day-ish late."""
    rng = np.random.default_rng(11)
    n = 6000
    entry = rng.uniform(0.0, 30.0, n)
    tau = draw(rng, n)
    free = np.ceil(tau * 4) / 4  # the manager comes free every 6 hours
    start = free + rng.uniform(0.0, 0.5, n) * (rng.random(n) < 0.5)
    low = np.where(start > tau, np.floor(tau * 4) / 4, start)  # the last free moment before the due one
    cut = 30.0 - entry
    seen = start <= cut
    fit = fit_delay(start[seen], cut[seen], low=low[seen])
    naive = fit_delay(start[seen], cut[seen])
    assert naive.mean > mean + 0.1  # the starts are late
    assert fit.mean == pytest.approx(mean, abs=4 * fit.mean_se * 1.5)  # (intervals widen the se)
    assert fit.sd == pytest.approx(sd, rel=0.1)


def test_monthly_rate_is_the_constant_hazard_and_never_minus_zero():
    # 6 exits in 100 manager-months: 1 - exp(-0.06) a month.
    assert monthly_rate(6, 100.0) == pytest.approx(1 - np.exp(-0.06), rel=1e-12)
    # No exit: 0.0%, not "-0.0%" (-expm1(-0.0) is -0.0).
    assert f"{monthly_rate(0, 17.3):.1%}" == "0.0%"


def test_decay_summary_says_when_a_standard_error_is_not_estimable():
    assert decay_summary(360.0, 18.0, 0.4, 0.02) == "half-life 6 h (se 0.3 h), floor 0.40 (se 0.02)"
    flat = decay_summary(3760.0, float("nan"), 0.968, float("nan"))
    assert "nan" not in flat and "se not estimable" in flat and "almost no decay" in flat
    # A floor far from 1 with an unestimable error: no claim about the decay.
    assert "almost no decay" not in decay_summary(360.0, float("nan"), 0.4, float("nan"))
