"""Distributions: parsing, analytic means against sample means, reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsales.scenario.distribution_specs import parse_distribution
from simsales.scenario.distributions import DistributionError

SPECS = [
    {"fixed": 3.5},
    {"beta": [2, 5]},
    {"mean": 0.3, "sd": 0.05},
    {"normal": [1.0, 0.5], "min": 0.5, "max": 2.0},
    {"triangular": [1, 2, 6]},
    {"uniform": [2, 4]},
    {"lognormal": {"mean": 9, "sd": 5}},
    {"gamma": {"mean": 3, "sd": 1.5}},
    {"exponential": 7},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: next(iter(s)))
def test_sample_mean_within_four_standard_errors(spec):
    dist = parse_distribution(spec)
    x = dist.sample(np.random.default_rng(11), 200_000)
    se = x.std() / math.sqrt(x.size)
    assert abs(x.mean() - dist.mean) <= 4 * se + 1e-12
    lo, hi = dist.support
    assert x.min() >= lo and x.max() <= hi


def test_truncated_normal_mean_is_the_truncated_one():
    dist = parse_distribution({"normal": [0.0, 1.0], "min": 0.0})
    assert dist.mean == pytest.approx(math.sqrt(2 / math.pi), rel=1e-9)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: next(iter(s)))
def test_repr_reads_back_as_the_same_distribution(spec):
    import yaml

    dist = parse_distribution(spec)
    again = parse_distribution(yaml.safe_load(repr(dist)))
    assert again == dist


@pytest.mark.parametrize(
    "spec",
    [{"beta": [0, 1]}, {"beta": [1]}, {"triangular": [3, 1, 2]}, {"poisson": 3},
     {"lognormal": {"mean": -1, "sd": 1}}, "abc", {"uniform": [2, 1]}, {}],
)
def test_bad_specs_are_refused(spec):
    with pytest.raises(DistributionError):
        parse_distribution(spec)


def test_a_number_is_a_fixed_value():
    dist = parse_distribution(4)
    assert dist.sample(np.random.default_rng(0)) == 4.0
    assert list(dist.sample(np.random.default_rng(0), 3)) == [4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "spec",
    [{"beta": [math.nan, 1]}, {"uniform": [0, math.inf]}, {"normal": [0, 1], "min": 50, "max": 60},
     {"lognormal": {"mean": 1e-300, "sd": 1e300}}, {"gamma": {"mean": 1e-300, "sd": 1e300}},
     {"exponential": -1}, {"normal": [1, -0.1]}, {"triangular": [1, 2]}, {"fixed": "lots"}, "1e400"],
)
def test_parameters_that_make_no_sense_are_refused(spec):
    with pytest.raises(DistributionError):
        parse_distribution(spec)


def test_parameters_accept_the_number_forms():
    assert parse_distribution({"uniform": ["10%", "20%"]}) == parse_distribution({"uniform": [0.1, 0.2]})
    assert parse_distribution({"triangular": ["40k", "50k", "0.06M"]}).mean == pytest.approx(50_000)
    assert parse_distribution("15%").sample(np.random.default_rng(0)) == pytest.approx(0.15)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: next(iter(s)))
def test_quantiles_match_the_samples(spec):
    from simsales.scenario.ranges import practical_range, quantile

    dist = parse_distribution(spec)
    x = np.sort(dist.sample(np.random.default_rng(3), 100_000))
    for q in (0.1, 0.5, 0.9):
        # The sample quantile's standard error is sqrt(q (1 - q) / n) / density; 0.01 in probability is ample.
        lo, hi = np.quantile(x, [max(0.0, q - 0.01), min(1.0, q + 0.01)])
        assert lo - 1e-9 <= quantile(dist, q) <= hi + 1e-9, q
    lo, hi = practical_range(dist)
    assert lo <= x[0] and x[-1] <= hi and math.isfinite(lo) and math.isfinite(hi)


def test_practical_range_of_an_unbounded_normal_is_seven_sd():
    from simsales.scenario.ranges import practical_range

    lo, hi = practical_range(parse_distribution({"normal": [0.03, 0.02]}))
    # 1e-12 in each tail of a normal is 7.034 sd from its mean.
    assert lo == pytest.approx(0.03 - 7.034 * 0.02, abs=1e-4)
    assert hi == pytest.approx(0.03 + 7.034 * 0.02, abs=1e-4)
