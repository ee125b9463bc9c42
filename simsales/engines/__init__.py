"""Engines: each maps a :class:`~simsales.world.world.World` and a stream to :class:`Outcomes`.

``des`` is the SimPy reference (the executable specification); ``fast``
gives the same answers much faster and is the default.
"""

from __future__ import annotations

from simsales.engines.contract import END_NAMES, Engine, Outcomes

ENGINE_NAMES = ("fast", "des")
DEFAULT_ENGINE = "fast"  # what users run; "des" is the reference

__all__ = ["DEFAULT_ENGINE", "END_NAMES", "ENGINE_NAMES", "Engine", "Outcomes", "get_engine"]


def get_engine(name: str) -> Engine:
    """The engine's ``simulate`` function by name ('des' or 'fast')."""
    if name == "fast":
        from simsales.engines.fast.engine import simulate

        return simulate
    if name == "des":
        from simsales.engines.des import simulate

        return simulate
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")
