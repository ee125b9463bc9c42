"""Scenario transformations: scale a number or a distribution, change a value deep inside.

The scenario models are frozen; :func:`update_path` returns a copy with one
value (or every item of a list, ``"*"``) replaced, via ``model_copy`` so
no validator reruns.  An uncertain value (a distribution drawn once per
replication) is scaled by wrapping its distribution in :class:`Scaled`:
the same draw, multiplied after it is made and clipped.  It consumes the
random stream exactly as the original does, so a scaled variant stays
paired, replication by replication, with the unchanged scenario (common
random numbers).  Used by :mod:`simsales.analysis.levers` and
:mod:`simsales.analysis.market_gaps`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from simsales.scenario.distributions import Distribution
from simsales.scenario.uncertain import Uncertain


@dataclass(frozen=True)
class Scaled:
    """An uncertain value's distribution with a factor applied after each draw.

    Draws exactly as ``base`` does (the random streams stay paired), then
    multiplies by ``factor`` and clips to ``[lo, hi]``.
    """

    base: Distribution
    factor: float
    lo: float = 0.0
    hi: float = math.inf

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """``size`` draws of ``base`` from ``rng``, scaled and clipped (one float when ``size`` is None)."""
        x = np.clip(np.asarray(self.base.sample(rng, size), dtype=float) * self.factor, self.lo, self.hi)
        return float(x) if size is None else x

    @property
    def mean(self) -> float:
        """The mean before clipping, clipped (exact unless the clip bites)."""
        return float(np.clip(self.base.mean * self.factor, self.lo, self.hi))

    @property
    def support(self) -> tuple[float, float]:
        """The range of values, (lo, hi): the base's, scaled and clipped."""
        lo, hi = (min(self.hi, max(self.lo, x * self.factor)) for x in self.base.support)
        return (lo, hi)

    def __repr__(self) -> str:
        return f"{{scaled: [{self.base!r}, {self.factor:g}]}}"


def scale(x: float | Uncertain, factor: float, hi: float = math.inf) -> float | Uncertain:
    """``x`` times ``factor``, clipped to ``[0, hi]``.

    Args:
        x: a plain number or an uncertain one, in any unit.
        factor: the multiplier (1.1 = +10%).
        hi: the upper clip (1.0 for a probability).

    Returns:
        The scaled number; an uncertain one becomes a :class:`Scaled`
        distribution (factors of a scaled one multiply).
    """
    if isinstance(x, Uncertain):
        base, f = x.dist, factor
        if isinstance(base, Scaled):
            base, f = base.base, base.factor * factor
        return Uncertain(Scaled(base, f, 0.0, hi))
    return float(min(hi, max(0.0, float(x) * factor)))


def update_path(obj: Any, path: tuple, fn: Callable[[Any], Any]) -> Any:
    """A copy of ``obj`` with one value (or every item of a list) replaced.

    Args:
        obj: a scenario, a section of one, or a list of them.
        path: field names and list indices from ``obj`` down; ``"*"`` means
            every item of the list.
        fn: called with the old value, returns the new one.

    Returns:
        The copy (``model_copy``: no validator reruns); ``obj`` is unchanged.
    """
    if not path:
        return fn(obj)
    head, rest = path[0], path[1:]
    if head == "*":
        return [update_path(item, rest, fn) for item in obj]
    if isinstance(head, int):
        return [update_path(item, rest, fn) if i == head else item for i, item in enumerate(obj)]
    assert isinstance(obj, BaseModel)
    return obj.model_copy(update={head: update_path(getattr(obj, head), rest, fn)})


def values_at(obj: Any, path: tuple) -> list:
    """Every value at ``path``.

    Args:
        obj: a scenario, a section of one, or a list of them.
        path: as in :func:`update_path` (``"*"`` expands lists).

    Returns:
        The values, in order.
    """
    if not path:
        return [obj]
    head, rest = path[0], path[1:]
    if head == "*":
        return [v for item in obj for v in values_at(item, rest)]
    return values_at(obj[head] if isinstance(head, int) else getattr(obj, head), rest)
