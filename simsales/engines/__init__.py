"""Engines: each maps a :class:`~simsales.world.World` and a stream to Outcomes.

``des`` is the SimPy reference (the executable specification); ``fast``
gives the same answers much faster and is the default.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simsales.world import Outcomes, World

Engine = Callable[[World, np.random.Generator], Outcomes]

ENGINE_NAMES = ("fast", "des")
DEFAULT_ENGINE = "fast"  # what users run; "des" is the reference


def get_engine(name: str) -> Engine:
    """The engine's ``simulate`` function by name ('des' or 'fast')."""
    if name == "fast":
        from simsales.engines.fast import simulate

        return simulate
    if name == "des":
        from simsales.engines.des import simulate

        return simulate
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")
