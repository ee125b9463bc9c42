"""Engines: each maps a :class:`~simsales.world.world.World` and a stream to :class:`Outcomes`.

``des`` is the SimPy reference (the executable specification); ``fast``
gives the same answers much faster and is the default.  ``contract`` holds
what every engine returns and may keep between plans, ``routing`` the
reference rule of who gets a lead (the policies' names are in
:mod:`simsales.scenario.policies`).  Engines are imported when first asked
for (:func:`get_engine`): the fast one loads numba.
"""

from __future__ import annotations

from simsales.engines.contract import END_NAMES, Engine, Outcomes, ReplicationCache

ENGINE_NAMES = ("fast", "des")
"""The engines a run may name, the default first."""
DEFAULT_ENGINE = "fast"  # what users run; "des" is the reference

__all__ = ["DEFAULT_ENGINE", "END_NAMES", "ENGINE_NAMES", "Engine", "Outcomes", "ReplicationCache",
           "get_engine"]


def get_engine(name: str) -> Engine:
    """The engine's ``simulate`` function by name.

    Args:
        name: ``"fast"`` or ``"des"``.

    Returns:
        ``simulate(world, rng, *, cache=None) -> Outcomes``.

    Raises:
        ValueError: no engine has that name.
    """
    if name == "fast":
        from simsales.engines.fast.engine import simulate

        return simulate
    if name == "des":
        from simsales.engines.des import simulate

        return simulate
    raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")
