"""Field types of the scenario schema: uncertain numbers by range, distributions, durations.

* ``UProb`` (a probability in [0, 1]), ``UNonNeg`` (>= 0) and ``UReal`` (any
  number): a plain number, or a distribution that becomes an
  :class:`~simsales.scenario.uncertain.Uncertain` drawn once per replication.
* ``Dist``: a distribution of values >= 0 sampled per call, deal or manager
  (:mod:`simsales.scenario.distributions`).
* ``Minutes``: a duration, ``90``, ``"10m"``, ``"1.5h"`` or ``"2d"``, in minutes.

Every type dumps back as the YAML that makes it.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator

from simsales.scenario.distributions import Distribution, Fixed, parse_distribution
from simsales.scenario.uncertain import Uncertain
from simsales.scenario.units import MINUTES_PER_DAY, MINUTES_PER_HOUR


def _uncertain(lo: float, hi: float, what: str) -> PlainValidator:
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


def _dist(lo: float, what: str) -> PlainValidator:
    def validate(value: Any) -> Distribution:
        dist = parse_distribution(value)
        if dist.support[0] < lo:
            raise ValueError(f"expected {what}, got {dist!r}")
        return dist

    return PlainValidator(validate)


Dist = Annotated[Distribution, _dist(0.0, "a distribution of values >= 0"), _serial]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)?\s*$")
_UNIT_MINUTES = {None: 1.0, "m": 1.0, "min": 1.0, "h": MINUTES_PER_HOUR, "d": MINUTES_PER_DAY}


def parse_minutes(value: Any) -> float:
    """Read a duration: ``90``, ``"10m"``, ``"1.5h"`` or ``"2d"``.

    Args:
        value: a number of minutes, or a string with an optional unit
            (``m``/``min``, ``h``, ``d``; none: minutes).

    Returns:
        The duration in minutes.

    Raises:
        ValueError: a negative number, or text that is not a duration.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"expected a duration >= 0, got {value}")
        return float(value)
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a duration such as 90, '10m', '1h' or '2d', got {value!r}")
    return float(match.group(1)) * _UNIT_MINUTES[match.group(2)]


Minutes = Annotated[float, PlainValidator(parse_minutes), PlainSerializer(float)]
