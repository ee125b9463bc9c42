"""Routing: who gets a new lead (MODEL.md section 3), the reference rule.

The policies are named once, in :data:`simsales.scenario.policies.ROUTING_POLICIES`
(the schema, both engines and the docs read that table); this module says
what each one does, in plain Python.  The reference engine
(:mod:`simsales.engines.des`) calls :func:`choose`; the compiled engine's
:func:`simsales.engines.fast.routing.route` makes the same choice from
precomputed segments of time, and tests/test_routing_policies.py holds the
two equal on random inputs.

Who may get a lead at minute ``t`` (:func:`candidates`): the managers on
shift at ``t``; if nobody is, those whose next shift starts first.  A
manager on a day off, in onboarding or gone has no shift that day.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from simsales.scenario.policies import POLICY_NAMES
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["Department", "candidates", "choose"]


class Department(Protocol):
    """What a routing rule may look at when a lead comes in.

    Attributes:
        n_managers: managers on the roster (M); under ``shared_queue`` the
            lead goes to the department's shared queue, numbered M.
    """

    n_managers: int

    def candidates(self, t: float) -> np.ndarray:
        """The managers who may get a lead at minute ``t`` (see :func:`candidates`).

        Args:
            t: the moment of routing, minutes from the start.

        Returns:
            Their indices, ascending.
        """
        ...

    def loads(self, managers: np.ndarray) -> np.ndarray:
        """Tasks queued with each of ``managers`` now.

        Args:
            managers: indices.

        Returns:
            The number of queued tasks of each.
        """
        ...

    def weights(self, managers: np.ndarray, t: float) -> np.ndarray:
        """Each of ``managers``' weight at minute ``t``: ramp throughput that day x skill.

        Args:
            managers: indices.
            t: the moment of routing, minutes from the start.

        Returns:
            The weights (>= 0).
        """
        ...

    def uniform(self) -> float:
        """A uniform draw (the weighted policy draws one per lead).

        Returns:
            A number in [0, 1).
        """
        ...


def candidates(shift_start: np.ndarray, shift_end: np.ndarray, t: float) -> np.ndarray:
    """Managers on shift at minute ``t``; if none, those whose next shift starts first.

    Args:
        shift_start: shift start per manager and day ``(M, D)``, minutes from the start.
        shift_end: shift end, likewise (equal to the start on a day without one).
        t: the moment of routing, minutes from the start.

    Returns:
        The managers' indices, ascending (empty if nobody works again in the horizon).
    """
    n_days = shift_start.shape[1]
    d = int(t // MINUTES_PER_DAY)
    if d >= n_days:
        return np.empty(0, dtype=np.int64)
    start, end = shift_start[:, d], shift_end[:, d]
    on = np.flatnonzero((start <= t) & (t < end))
    if on.size:
        return on
    for day in range(d, n_days):
        start, end = shift_start[:, day], shift_end[:, day]
        later = (end > start) & (start > t)
        if later.any():
            first = start[later].min()
            return np.flatnonzero(later & (start == first))
    return np.empty(0, dtype=np.int64)


def choose(policy: str, t: float, department: Department, last_routed: int) -> int:
    """The manager who gets a lead (or a leaver's task) at minute ``t``.

    * ``round_robin``: the first candidate after the last manager routed to
      (in index order, wrapping around);
    * ``least_loaded``: the candidates with the fewest queued tasks, then
      round robin among them;
    * ``weighted``: at random, in proportion to the candidates' weights (one
      uniform: the first candidate whose cumulative weight exceeds
      ``u x total``);
    * ``shared_queue``: the department's shared queue, where the first free
      manager on shift takes it.

    Args:
        policy: a name from :data:`simsales.scenario.policies.POLICY_NAMES`.
        t: the moment of routing, minutes from the start.
        department: what the rule may look at; it asks only for what the
            policy reads (a uniform only under ``weighted``).
        last_routed: the manager routed to last (-1 if nobody yet).

    Returns:
        A manager's index; ``department.n_managers`` for the shared queue;
        -1 if nobody works again within the horizon.  The caller remembers a
        manager's index as the next ``last_routed``.

    Raises:
        ValueError: ``policy`` is not in the table of policies.
    """
    if policy not in POLICY_NAMES:
        raise ValueError(f"unknown routing policy {policy!r}; expected one of {', '.join(POLICY_NAMES)}")
    if policy == "shared_queue":
        return department.n_managers
    cands = department.candidates(t)
    if cands.size == 0:
        return -1
    if policy == "weighted":
        cum = np.cumsum(department.weights(cands, t))
        pick = int(np.searchsorted(cum, department.uniform() * cum[-1], side="right"))
        return int(cands[min(pick, cands.size - 1)])
    if policy == "least_loaded":
        load = department.loads(cands)
        cands = cands[load == load.min()]
    elif policy != "round_robin":
        raise ValueError(f"routing policy {policy!r} has no rule here (simsales.engines.routing)")
    # Round robin: the first candidate after the last manager routed to.
    return int(cands[np.argmin((cands - last_routed - 1) % department.n_managers)])
