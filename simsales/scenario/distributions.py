"""Distributions: small value objects shared by both engines.

A distribution is written in YAML as a one-key mapping (or a bare number,
which means "always this value"):

    0.3                              fixed
    {fixed: 0.3}                     fixed
    {beta: [a, b]}                   Beta(a, b) on [0, 1]
    {mean: 0.3, sd: 0.03}            normal, optionally bounded:
    {normal: [0.3, 0.03], min: 0, max: 1}
    {triangular: [lo, mode, hi]}
    {uniform: [lo, hi]}
    {lognormal: {mean: m, sd: s}}    lognormal with that mean and sd
    {exponential: mean}              exponential with that mean
    {gamma: {mean: m, sd: s}}        gamma with that mean and sd

Every object has ``sample(rng, size=None)``, an analytic ``mean``, its
``support`` (lo, hi) and a ``__repr__`` that reads like the YAML.  The
units are those of the field that holds it (minutes, days, RUB, a share).
Each checks its parameters when built (:class:`DistributionError`);
:func:`~simsales.scenario.distribution_specs.parse_distribution` reads
the YAML forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

Rng = np.random.Generator

_FAR_SD = 30.0  # a normal's [min, max] this many sd or more from its mean holds no draw


class DistributionError(ValueError):
    """A distribution spec that cannot be built (bad shape or parameters)."""


@dataclass(frozen=True)
class Fixed:
    """Always ``value``."""

    value: float

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """Return ``value`` (an array of it when ``size`` is given)."""
        if size is None:
            return float(self.value)
        return np.full(size, float(self.value))

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return float(self.value)

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (self.value, self.value)

    def __repr__(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Beta:
    """Beta(a, b) on [0, 1]; mean a / (a + b)."""

    a: float
    b: float

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0):
            raise DistributionError(f"beta needs a > 0 and b > 0, got [{self.a:g}, {self.b:g}]")

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        return rng.beta(self.a, self.b, size)

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return self.a / (self.a + self.b)

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (0.0, 1.0)

    def __repr__(self) -> str:
        return f"{{beta: [{self.a:g}, {self.b:g}]}}"


@dataclass(frozen=True)
class Normal:
    """Normal(mean, sd), truncated to [lo, hi] when bounds are given.

    Truncation is exact (inverse-CDF sampling), so ``mean`` is the mean of
    the truncated distribution, not ``mu``.
    """

    mu: float
    sd: float
    lo: float = -math.inf
    hi: float = math.inf

    def __post_init__(self) -> None:
        if not self.sd >= 0:
            raise DistributionError(f"normal needs sd >= 0, got sd {self.sd:g}")
        if not self.lo < self.hi:
            raise DistributionError(f"normal needs min < max, got min {self.lo:g}, max {self.hi:g}")
        if self.sd == 0 and not self.lo <= self.mu <= self.hi:
            raise DistributionError("normal with sd 0 needs min <= mean <= max")
        if self.sd > 0 and max(self.lo - self.mu, self.mu - self.hi) / self.sd >= _FAR_SD:
            raise DistributionError(
                f"normal [{self.mu:g}, {self.sd:g}] has no draws between min {self.lo:g} and max "
                f"{self.hi:g}: they are over {_FAR_SD:g} sd from its mean")
        if self.sd > 0:
            a, b = self._bounds()
            if math.isfinite(b - a) and not b - a > 1e-9 * max(1.0, abs(a), abs(b)):  # draws lost to rounding
                raise DistributionError(
                    f"normal [{self.mu:g}, {self.sd:g}] between min {self.lo:g} and max {self.hi:g}: "
                    f"that range is too narrow for its sd to draw from; give a mean and sd in the "
                    f"range's units")

    def _bounds(self) -> tuple[float, float]:
        return ((self.lo - self.mu) / self.sd, (self.hi - self.mu) / self.sd)

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        if self.sd == 0:
            return Fixed(self.mu).sample(rng, size)
        a, b = self._bounds()
        u = rng.random(size)
        return stats.truncnorm.ppf(u, a, b, loc=self.mu, scale=self.sd)

    @property
    def mean(self) -> float:
        """The analytic mean."""
        if self.sd == 0:
            return self.mu
        a, b = self._bounds()
        return float(stats.truncnorm.mean(a, b, loc=self.mu, scale=self.sd))

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (self.lo, self.hi)

    def __repr__(self) -> str:
        bounds = ""
        if math.isfinite(self.lo):
            bounds += f", min: {self.lo:g}"
        if math.isfinite(self.hi):
            bounds += f", max: {self.hi:g}"
        return f"{{normal: [{self.mu:g}, {self.sd:g}]{bounds}}}"


@dataclass(frozen=True)
class Triangular:
    """Triangular(lo, mode, hi); mean (lo + mode + hi) / 3."""

    lo: float
    mode: float
    hi: float

    def __post_init__(self) -> None:
        if not (self.lo <= self.mode <= self.hi and self.lo < self.hi):
            raise DistributionError("triangular needs lo <= mode <= hi and lo < hi, "
                                    f"got [{self.lo:g}, {self.mode:g}, {self.hi:g}]")

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        return rng.triangular(self.lo, self.mode, self.hi, size)

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return (self.lo + self.mode + self.hi) / 3.0

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (self.lo, self.hi)

    def __repr__(self) -> str:
        return f"{{triangular: [{self.lo:g}, {self.mode:g}, {self.hi:g}]}}"


@dataclass(frozen=True)
class Uniform:
    """Uniform on [lo, hi)."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not self.lo < self.hi:
            raise DistributionError(f"uniform needs lo < hi, got [{self.lo:g}, {self.hi:g}]")

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        return rng.uniform(self.lo, self.hi, size)

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return (self.lo + self.hi) / 2.0

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (self.lo, self.hi)

    def __repr__(self) -> str:
        return f"{{uniform: [{self.lo:g}, {self.hi:g}]}}"


@dataclass(frozen=True)
class _ByMeanSd:
    """A distribution on (0, inf) given by its own mean ``m`` and sd ``s``."""

    m: float
    s: float
    kind: ClassVar[str] = ""

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return self.m

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (0.0, math.inf)

    def __repr__(self) -> str:
        return f"{{{self.kind}: {{mean: {self.m:g}, sd: {self.s:g}}}}}"


@dataclass(frozen=True, repr=False)
class LogNormal(_ByMeanSd):
    """Lognormal given by the mean and sd of the variable itself (not its log)."""

    kind: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        if not (self.m > 0 and self.s >= 0):
            raise DistributionError(
                f"lognormal needs mean > 0 and sd >= 0, got mean {self.m:g}, sd {self.s:g}")
        try:
            finite = all(math.isfinite(x) for x in self._log_params)
        except OverflowError:
            finite = False
        if not finite:
            raise DistributionError(f"lognormal with mean {self.m:g} and sd {self.s:g} has no finite "
                                    "log-mean and log-sd (sd / mean is too large)")

    @property
    def _log_params(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.s / self.m) ** 2)
        return math.log(self.m) - sigma2 / 2.0, math.sqrt(sigma2)

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        mu, sigma = self._log_params
        return rng.lognormal(mu, sigma, size)


@dataclass(frozen=True, repr=False)
class Gamma(_ByMeanSd):
    """Gamma given by its mean and sd."""

    kind: ClassVar[str] = "gamma"

    def __post_init__(self) -> None:
        if not (self.m > 0 and self.s > 0):
            raise DistributionError(f"gamma needs mean > 0 and sd > 0, got mean {self.m:g}, sd {self.s:g}")
        try:
            shape, scale = (self.m / self.s) ** 2, self.s**2 / self.m  # as sample() computes them
        except OverflowError:
            shape = scale = math.inf
        if not (shape > 0 and math.isfinite(shape) and scale > 0 and math.isfinite(scale)):
            raise DistributionError(f"gamma with mean {self.m:g} and sd {self.s:g} has no finite "
                                    "positive shape and scale (sd / mean is too large or too small)")

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        shape = (self.m / self.s) ** 2
        return rng.gamma(shape, self.s**2 / self.m, size)


@dataclass(frozen=True)
class Exponential:
    """Exponential with the given mean."""

    m: float

    def __post_init__(self) -> None:
        if not self.m > 0:
            raise DistributionError(f"exponential needs mean > 0, got {self.m:g}")

    def sample(self, rng: Rng, size: int | None = None) -> Any:
        """``size`` draws from ``rng`` (one float when ``size`` is None)."""
        return rng.exponential(self.m, size)

    @property
    def mean(self) -> float:
        """The analytic mean."""
        return self.m

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi)."""
        return (0.0, math.inf)

    def __repr__(self) -> str:
        return f"{{exponential: {self.m:g}}}"


Distribution = Fixed | Beta | Normal | Triangular | Uniform | LogNormal | Gamma | Exponential
DISTRIBUTION_TYPES = (Fixed, Beta, Normal, Triangular, Uniform, LogNormal, Gamma, Exponential)
