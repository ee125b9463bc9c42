"""Uncertain numbers: what we do not know, drawn once per replication.

Two kinds of randomness are kept apart (MODEL.md section 8):

* ``Uncertain`` values are what we do not know: a probability or rate given
  as a distribution is drawn **once per replication** by :func:`resolve`.
* ``Dist`` fields (:mod:`simsales.scenario.fields`) are what nobody can
  know: call lengths, delays, skills, sampled per call, per deal or per
  manager inside the replication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from simsales.scenario.distributions import Distribution


@dataclass(frozen=True)
class Uncertain:
    """A number we do not know exactly: drawn once per replication from ``dist``."""

    dist: Distribution

    def draw(self, rng: np.random.Generator) -> float:
        """One draw for one replication.

        Args:
            rng: the replication's parameter stream.

        Returns:
            The value, in the unit of the field that holds it.
        """
        return float(self.dist.sample(rng))

    @property
    def mean(self) -> float:
        """The distribution's analytic mean."""
        return self.dist.mean

    def __repr__(self) -> str:
        return repr(self.dist)


def value(x: float | Uncertain) -> float:
    """The number in a resolved scenario.

    Args:
        x: a field of a scenario that :func:`resolve` has drawn.

    Returns:
        The number, as a float.

    Raises:
        TypeError: ``x`` is still a distribution (the scenario was not resolved: a bug).
    """
    if isinstance(x, Uncertain):
        raise TypeError("scenario not resolved: call params.resolve() per replication")
    return float(x)


M = TypeVar("M", bound=BaseModel)


def resolve(model: M, rng: np.random.Generator) -> M:
    """Draw every ``Uncertain`` in ``model`` once, in field order.

    Args:
        model: a scenario, or any section of one.
        rng: the replication's parameter stream.

    Returns:
        A copy in which every uncertain field holds a plain float; the
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
    """The expected value of an uncertain number.

    Args:
        x: a plain number or an :class:`Uncertain` one.

    Returns:
        Its mean (the number itself if plain).
    """
    return x.mean if isinstance(x, Uncertain) else float(x)
