"""Where a distribution's draws practically fall: its support, or its far quantiles.

Validation checks bounds at a distribution's practical ends
(:func:`practical_range`): the support where it is finite, else the value
passed once in :data:`~simsales.scenario.limits.TAIL` draws.  A
lognormal volume has no upper end, but one that passes 10^5 leads a day
once in 10^12 draws is as good as bounded below it.
"""

from __future__ import annotations

import math

from scipy import stats

from simsales.scenario.distributions import (
    Beta,
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from simsales.scenario.limits import TAIL


def quantile(dist: Distribution, q: float) -> float:
    """The ``q`` quantile of a distribution.

    Args:
        dist: a distribution of :mod:`simsales.scenario.distributions`.
        q: the probability, in [0, 1].

    Returns:
        The value below which a share ``q`` of the draws fall, in the unit
        of the field that holds the distribution.
    """
    if isinstance(dist, Fixed):
        return dist.value
    if isinstance(dist, Beta):
        return float(stats.beta.ppf(q, dist.a, dist.b))
    if isinstance(dist, Normal):
        if dist.sd == 0:
            return dist.mu
        a, b = (dist.lo - dist.mu) / dist.sd, (dist.hi - dist.mu) / dist.sd
        return float(stats.truncnorm.ppf(q, a, b, loc=dist.mu, scale=dist.sd))
    if isinstance(dist, Triangular):
        width = dist.hi - dist.lo
        return float(stats.triang.ppf(q, (dist.mode - dist.lo) / width, loc=dist.lo, scale=width))
    if isinstance(dist, Uniform):
        return dist.lo + q * (dist.hi - dist.lo)
    if isinstance(dist, LogNormal):
        mu, sigma = dist._log_params
        return float(stats.lognorm.ppf(q, sigma, scale=math.exp(mu))) if sigma > 0 else dist.m
    if isinstance(dist, Gamma):
        shape = (dist.m / dist.s) ** 2
        return float(stats.gamma.ppf(q, shape, scale=dist.s**2 / dist.m))
    if isinstance(dist, Exponential):
        return float(stats.expon.ppf(q, scale=dist.m))
    raise TypeError(f"not a distribution: {dist!r}")


def practical_range(dist: Distribution, tail: float = TAIL) -> tuple[float, float]:
    """Where the draws of ``dist`` practically fall.

    Args:
        dist: a distribution.
        tail: the share of draws allowed past an infinite end.

    Returns:
        ``(lo, hi)``: the support's ends where finite, else the ``tail`` and
        ``1 - tail`` quantiles.
    """
    lo, hi = dist.support
    if not math.isfinite(lo):
        lo = quantile(dist, tail)
    if not math.isfinite(hi):
        hi = quantile(dist, 1.0 - tail)
    return lo, hi


def upper_end(x: float | object) -> float:
    """The practical upper end of a plain or uncertain number.

    Args:
        x: a number, a distribution, or an :class:`~simsales.scenario.uncertain.Uncertain`.

    Returns:
        The number itself, or the distribution's practical upper end.
    """
    dist = getattr(x, "dist", x)
    if isinstance(dist, int | float):
        return float(dist)
    return practical_range(dist)[1]


def lower_end(x: float | object) -> float:
    """The practical lower end of a plain or uncertain number (see :func:`upper_end`)."""
    dist = getattr(x, "dist", x)
    if isinstance(dist, int | float):
        return float(dist)
    return practical_range(dist)[0]
