"""Distributions: parsing, analytic means against sample means, reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsales.scenario.distributions import DistributionError, parse_distribution

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
