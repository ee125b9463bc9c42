"""Delay fits: a client's delay, or a booked call's, from what the export shows of it.

A delay is observed only for deals that advanced before the export, so it
is right-truncated at the deal's age then: :func:`fit_delay` maximises
``sum log f(d_i) - log F(c_i)`` over the families (an open deal is not a
censored delay: it may never advance), and keeps the best by AIC.

For the booked calls (:mod:`simsales.calibrate.booked_calls`) the delays
are interval-censored (``low``): a call made when its manager came free
was due at some moment between a lower bound and its start, and counts
``F(d_i) - F(low_i)`` instead of the density.

Days throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

MAX_DELAY_ROWS = 100_000
"""Delays fitted on at most this many deals (an even subsample of more): the fit's error is already
far below the spread of one client's delay."""
MIN_DAYS = 1.0 / 1440.0
"""Delays below one minute are read as one minute (days) for the lognormal and gamma fits."""
FAMILIES = ("exponential", "gamma", "lognormal")
"""The families :func:`fit_delay` tries."""

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class DelayFit:
    """A delay distribution fitted to right-truncated observations, in days.

    Attributes:
        family: ``exponential``, ``gamma`` or ``lognormal`` (the best by AIC).
        mean: its mean, days.
        sd: its sd, days.
        mean_se: the standard error of the mean, days (``sd / sqrt(n)``: with intervals, a lower bound).
        n: the delays it came from.
        aic: the family's AIC.
    """

    family: str
    mean: float
    sd: float
    mean_se: float
    n: int
    aic: float

    @property
    def spec(self) -> dict:
        """The scenario's form: ``{exponential: m}``, ``{gamma: {mean, sd}}``, ``{lognormal: ...}``."""
        m, s = _sig(self.mean), _sig(self.sd)
        if self.family == "exponential":
            return {"exponential": m}
        return {self.family: {"mean": m, "sd": s}}

    def cdf(self, days: np.ndarray) -> np.ndarray:
        """The fitted CDF at ``days``."""
        return _dist(self.family, self.mean, self.sd).cdf(np.asarray(days, dtype=float))


def _sig(x: float) -> float:
    """A value as written in the scenario: 4 significant digits."""
    return float(f"{x:.4g}")


def _dist(family: str, mean: float, sd: float) -> stats.rv_continuous:
    if family == "exponential":
        return stats.expon(scale=mean)
    if family == "gamma":
        shape = (mean / sd) ** 2
        return stats.gamma(shape, scale=mean / shape)
    s2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(p, 1e-300))


def _family(family: str, d: np.ndarray) -> tuple:
    """A family's ``(logpdf, cdf, logcdf, start, moments)``: functions of the parameters ``x`` (and days)."""
    if family == "exponential":

        def cdf(x, t):
            return -np.expm1(-np.maximum(t, 0.0) / math.exp(x[0]))

        return (lambda x, t: -x[0] - t / math.exp(x[0]), cdf, lambda x, t: _log(cdf(x, t)),
                np.array([math.log(max(d.mean(), MIN_DAYS))]), lambda x: (math.exp(x[0]),) * 2)
    if family == "gamma":
        dd = np.maximum(d, MIN_DAYS)
        m, v = dd.mean(), max(dd.var(), 1e-12)
        k0 = m * m / v

        def cdf(x, t):
            return special.gammainc(math.exp(x[0]), np.maximum(t, 0.0) / math.exp(x[1]))

        def logpdf(x, t):
            return stats.gamma.logpdf(np.maximum(t, MIN_DAYS), math.exp(x[0]), scale=math.exp(x[1]))

        return (logpdf, cdf, lambda x, t: _log(cdf(x, t)), np.log([k0, m / k0]),
                lambda x: (math.exp(x[0] + x[1]), math.exp(x[0] / 2 + x[1])))

    def logpdf(x, t):
        logt = np.log(np.maximum(t, MIN_DAYS))
        z = (logt - x[0]) / math.exp(x[1])
        return -0.5 * z * z - _LOG_SQRT_2PI - x[1] - logt

    def z_of(x, t):
        with np.errstate(divide="ignore"):
            return (np.log(np.maximum(t, 0.0)) - x[0]) / math.exp(x[1])

    def moments(x):
        s2 = math.exp(2 * x[1])
        m = math.exp(x[0] + s2 / 2)
        return m, m * math.sqrt(math.expm1(s2))

    logd = np.log(np.maximum(d, MIN_DAYS))
    return (logpdf, lambda x, t: special.ndtr(z_of(x, t)), lambda x, t: special.log_ndtr(z_of(x, t)),
            np.array([logd.mean(), math.log(max(logd.std(), 1e-3))]), moments)


def _nll(family: str, d: np.ndarray, c: np.ndarray, low: np.ndarray, later: np.ndarray) -> tuple:
    """The negative log-likelihood, its start and the ``x -> (mean, sd)`` map (see the module docstring)."""
    logpdf, cdf, logcdf, start, moments = _family(family, d)
    box = low < d - MIN_DAYS
    exact, high, lo = d[~box], np.maximum(d[box], MIN_DAYS), low[box]
    c = c[np.isfinite(c)]  # an infinite window truncates nothing

    def nll(x):
        seen = logcdf(x, c)
        inside = cdf(x, high) - cdf(x, lo)
        beyond = _log(1.0 - cdf(x, later)) if later.size else 0.0
        return -(np.sum(logpdf(x, exact)) + np.sum(_log(inside)) - np.sum(seen) + np.sum(beyond))

    return nll, start, moments


def fit_delay(
    delay: np.ndarray,
    window: np.ndarray,
    families: tuple[str, ...] = FAMILIES,
    low: np.ndarray | None = None,
    censored: np.ndarray | None = None,
) -> DelayFit | None:
    """Fit a delay, days, observed only when it ended before the export (see the module docstring).

    Args:
        delay: per deal that advanced, days from entry to advancing.
        window: per such deal, days from entry to the export (the most its
            delay could have been and still be seen).
        families: the families to try; the best by AIC is kept.
        low: per deal, days, a lower bound where the delay is known only to lie in ``(low, delay]``
            (interval-censored: a booked call made late because its manager was busy or off was due
            at some moment in between); None, NaN or ``low >= delay``: exact.
        censored: days, one per case whose delay is known only to be longer (right-censored: a booked
            call not made by its time limit or the export); each counts ``1 - F(c)``. A case seen only
            because its delay ended in time is then counted whole, not truncated: give it an infinite
            ``window``.

    Returns:
        The fit, or None when no delay was seen.
    """
    delay, window = np.asarray(delay, dtype=float), np.asarray(window, dtype=float)
    low = delay.copy() if low is None else np.asarray(low, dtype=float)
    later = np.zeros(0) if censored is None else np.asarray(censored, dtype=float)
    later = np.maximum(later[np.isfinite(later)], 0.0)
    keep = np.isfinite(delay) & ~np.isnan(window) & (delay >= 0)
    delay, window = delay[keep], np.maximum(window[keep], delay[keep])
    low = np.clip(np.where(np.isfinite(low[keep]), low[keep], delay), 0.0, delay)
    n = len(delay)
    if n == 0:
        return None
    if n > MAX_DELAY_ROWS:
        pick = np.linspace(0, n - 1, MAX_DELAY_ROWS).astype(np.int64)
        delay, window, low = delay[pick], window[pick], low[pick]
        if later.size:
            keep_later = max(1, later.size * MAX_DELAY_ROWS // n)
            later = later[np.linspace(0, later.size - 1, keep_later).astype(np.int64)]
    if np.all(delay <= MIN_DAYS):
        return DelayFit("exponential", MIN_DAYS, MIN_DAYS, 0.0, n, math.nan)
    best: DelayFit | None = None
    # With intervals the delays seen are upper bounds: no fit's mean may pass their exponential fit's.
    ceiling = math.inf
    if np.any(low < delay - MIN_DAYS):
        seen = fit_delay(delay, window, ("exponential",), censored=later)
        ceiling = seen.mean * (1.0 + 1e-6) if seen is not None else math.inf
    for family in families:
        nll, x0, moments = _nll(family, delay, window, low, later)
        with np.errstate(all="ignore"):
            res = optimize.minimize(
                nll, x0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 2000}
            )
        if not np.isfinite(res.fun):
            continue
        try:
            mean, sd = moments(res.x)
        except OverflowError:  # a tail run out to infinity
            continue
        if not (np.isfinite(mean) and np.isfinite(sd) and mean > 0 and sd > 0) or mean > ceiling:
            continue  # (above the ceiling: a fit that ran its tail out into the intervals)
        scale = len(delay) / n  # a subsample's likelihood stands for all n deals
        aic = 2 * res.fun / scale + 2 * len(x0)
        fit = DelayFit(family, mean, sd, sd / math.sqrt(n), n, aic)
        # A two-parameter family must beat the exponential by 2 more than its penalty.
        if best is None or aic < best.aic - 2.0 * (family != "exponential"):
            best = fit
    return best
