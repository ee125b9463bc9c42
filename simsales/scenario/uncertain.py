"""Field types for the scenario schema: uncertain numbers, distributions, durations.

Two kinds of randomness are kept apart (MODEL.md section 8):

* ``Uncertain`` values are what we do not know: a probability or rate given
  as a distribution is drawn **once per replication** by :func:`resolve`.
* ``Dist`` fields are what nobody can know: call lengths, delays, skills,
  sampled per call, per deal or per manager inside the replication.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import BaseModel, PlainSerializer, PlainValidator

from simsales.scenario.distributions import Distribution, Fixed, parse_distribution


@dataclass(frozen=True)
class Uncertain:
    """A number we do not know exactly: drawn once per replication."""

    dist: Distribution

    def draw(self, rng: np.random.Generator) -> float:
        """One draw for one replication."""
        return float(self.dist.sample(rng))

    @property
    def mean(self) -> float:
        return self.dist.mean

    def __repr__(self) -> str:
        return repr(self.dist)


def _uncertain(lo: float, hi: float, what: str):
    def validate(value: Any) -> float | Uncertain:
        if isinstance(value, Uncertain):
            return value
        dist = parse_distribution(value)
        s_lo, s_hi = dist.support
        if s_lo < lo or s_hi > hi:
            raise ValueError(f"expected {what}, got {dist!r} (range {s_lo:g} to {s_hi:g})")
        if isinstance(value, int | float):
            return float(value)
        return Uncertain(dist)

    return PlainValidator(validate)


def _as_yaml(value: Any) -> Any:
    """Numbers stay numbers; a distribution dumps as the YAML that makes it."""
    if isinstance(value, Fixed):
        return value.value
    return value if isinstance(value, int | float) else repr(value)


_serial = PlainSerializer(_as_yaml)

UProb = Annotated[float | Uncertain, _uncertain(0.0, 1.0, "a probability in [0, 1]"), _serial]
UShare = UProb
UNonNeg = Annotated[
    float | Uncertain, _uncertain(0.0, math.inf, "a number >= 0"), _serial
]
UReal = Annotated[
    float | Uncertain, _uncertain(-math.inf, math.inf, "a number"), _serial
]


def _dist(lo: float, what: str):
    def validate(value: Any) -> Distribution:
        dist = parse_distribution(value)
        if dist.support[0] < lo:
            raise ValueError(f"expected {what}, got {dist!r}")
        return dist

    return PlainValidator(validate)


Dist = Annotated[Distribution, _dist(0.0, "a distribution of values >= 0"), _serial]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$")
_UNIT_MINUTES = {None: 1.0, "m": 1.0, "min": 1.0, "h": 60.0, "d": 1440.0}


def parse_minutes(value: Any) -> float:
    """A duration in minutes from ``90``, ``"10m"``, ``"1.5h"`` or ``"2d"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"expected a duration >= 0, got {value}")
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a duration such as 90, '10m', '1h' or '2d', got {value!r}")
    return float(match.group(1)) * _UNIT_MINUTES[match.group(2)]


Minutes = Annotated[float, PlainValidator(parse_minutes), PlainSerializer(float)]


def value(x: float | Uncertain) -> float:
    """The number in a resolved scenario; an unresolved distribution is a bug."""
    if isinstance(x, Uncertain):
        raise TypeError("scenario not resolved: call params.resolve() per replication")
    return float(x)


M = TypeVar("M", bound=BaseModel)


def resolve(model: M, rng: np.random.Generator) -> M:
    """Draw every ``Uncertain`` in ``model`` once, in field order.

    Returns a copy in which every uncertain field holds a plain float; the
    per-entity ``Dist`` fields are left as they are.
    """
    return _resolve(model, rng)


def _resolve(obj: Any, rng: np.random.Generator) -> Any:
    if isinstance(obj, Uncertain):
        return obj.draw(rng)
    if isinstance(obj, BaseModel):
        updates = {}
        for name in type(obj).model_fields:
            old = getattr(obj, name)
            new = _resolve(old, rng)
            if new is not old:
                updates[name] = new
        return obj.model_copy(update=updates) if updates else obj
    if isinstance(obj, list):
        new_list = [_resolve(v, rng) for v in obj]
        return obj if all(a is b for a, b in zip(new_list, obj, strict=True)) else new_list
    if isinstance(obj, dict):
        new_dict = {k: _resolve(v, rng) for k, v in obj.items()}
        return obj if all(new_dict[k] is obj[k] for k in obj) else new_dict
    return obj


def mean_of(x: float | Uncertain) -> float:
    """The expected value of an uncertain number (the number itself if plain)."""
    return x.mean if isinstance(x, Uncertain) else float(x)
