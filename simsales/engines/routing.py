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
manager on a day off, in onboarding or gone has no shift that day.  The
shifts here are the *routing windows* (:func:`simsales.world.shifts.routing_windows`:
each shift less its last ``min_shift_left`` minutes); a shift belongs to
the day it starts on and may run past midnight.

A new lead under limits (``max_new_per_day``, ``ramp_share``;
:func:`choose_new`): managers at their day's cap are passed over, and if
every candidate is, the lead goes to the candidates of the next moment
the set of managers on shift or the day changes, and so on, but not past
the lead's expiry (``created + lead_ttl``): a lead no manager below the
cap could take before it expires is routed to nobody (it expires unworked)
and takes no one's place under the cap; a manager in
ramp takes ``ramp_share`` of a ramped manager's leads (weighted: their
weight times the share; least loaded: their load divided by it; round
robin: each turn adds the share to their credit, and they take the lead
when it reaches 1).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from simsales.scenario.policies import POLICY_NAMES
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["Department", "Limits", "candidates", "choose", "choose_new"]


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


def on_shift(shift_start: np.ndarray, shift_end: np.ndarray, t: float) -> np.ndarray:
    """Whether each manager is on shift at minute ``t`` (the shift of day ``t`` or of the day before).

    Args:
        shift_start: shift start per manager and day ``(M, D)``, minutes from the start.
        shift_end: shift end, likewise; a shift may end past midnight.
        t: minutes from the start.

    Returns:
        ``(M,)`` booleans.
    """
    d = int(t // MINUTES_PER_DAY)
    on = np.zeros(shift_start.shape[0], dtype=bool)
    for day in (d - 1, d):
        if 0 <= day < shift_start.shape[1]:
            on |= (shift_start[:, day] <= t) & (t < shift_end[:, day])
    return on


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
    on = np.flatnonzero(on_shift(shift_start, shift_end, t))
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


def window_from(shift_start: np.ndarray, shift_end: np.ndarray, manager: int, t: float) -> float:
    """The first moment >= ``t`` when ``manager`` is on shift (``t`` itself if on shift; inf if never).

    Args:
        shift_start: shift (or routing window) start per manager and day ``(M, D)``, minutes.
        shift_end: its end, likewise.
        manager: the manager.
        t: minutes from the start.

    Returns:
        Minutes from the start.
    """
    if on_shift(shift_start, shift_end, t)[manager]:
        return t
    s, e = shift_start[manager], shift_end[manager]
    later = s[(e > s) & (s > t)]
    return float(later.min()) if later.size else math.inf


class Limits(Protocol):
    """What a new lead's routing under limits reads (besides :class:`Department`).

    Attributes:
        cap: ``max_new_per_day`` (None: no cap).
        ramp_share: ``routing.ramp_share``.
        new_count: per manager and day ``(M, D)``, new leads routed so far (updated).
        credit: per manager ``(M,)``, round robin's credit of managers in ramp (updated).
        at: when the manager chosen last may take the lead (set by :func:`choose_new`).
    """

    cap: int | None
    ramp_share: float
    new_count: np.ndarray
    credit: np.ndarray
    at: float

    def share(self, manager: int, day: int) -> float:
        """``ramp_share`` if the manager is in ramp that day, else 1."""
        ...

    def next_boundary(self, x: float) -> float:
        """The first moment after ``x`` when the managers on shift or the day change (inf: none)."""
        ...

    def candidates_at(self, x: float) -> tuple[np.ndarray, float]:
        """:func:`candidates` at ``x``, and the moment they are on shift (``x``, or their next start)."""
        ...


def choose_new(policy: str, t: float, department: Department, limits: Limits, last_routed: int,
               deadline: float = math.inf) -> int:
    """The manager who gets a new lead at minute ``t`` under ``max_new_per_day`` and ``ramp_share``.

    Args:
        policy: ``round_robin``, ``least_loaded`` or ``weighted``.
        t: the moment of routing, minutes from the start.
        department: what the rule may look at.
        limits: the caps, shares and counts (updated for the chosen manager).
        last_routed: the manager routed to last (-1 if nobody yet).
        deadline: the lead's expiry (``created + lead_ttl``, minutes): a manager who could take it
            only after that does not get it (it would expire unworked) and no cap counts it.

    Returns:
        A manager's index; -1 if nobody below the cap works again before the deadline (or within
        the horizon).
    """
    u = department.uniform() if policy == "weighted" else 0.0
    x = t
    while True:
        cands, at = limits.candidates_at(x)
        if cands.size == 0 or at > deadline:
            return -1
        day = int(at // MINUTES_PER_DAY)
        room = np.array([limits.cap is None or limits.new_count[c, day] < limits.cap for c in cands])
        if room.any():
            chosen = _pick(policy, at, cands[room], day, department, limits, last_routed, u)
            limits.new_count[chosen, day] += 1
            limits.at = at
            return chosen
        x = limits.next_boundary(at)


def _pick(policy: str, at: float, cands: np.ndarray, day: int, department: Department, limits: Limits,
          last_routed: int, u: float) -> int:
    """One of ``cands`` (all below the cap), by the policy with the ramp share."""
    share = np.array([limits.share(int(c), day) for c in cands])
    if policy == "weighted":
        cum = np.cumsum(department.weights(cands, at) * share)
        pick = int(np.searchsorted(cum, u * cum[-1], side="right"))
        return int(cands[min(pick, cands.size - 1)])
    m = department.n_managers
    order = np.argsort((cands - last_routed - 1) % m, kind="stable")  # round robin's order
    cands, share = cands[order], share[order]
    if policy == "least_loaded":
        load = department.loads(cands) / share
        return int(cands[np.flatnonzero(load == load.min())[0]])
    while True:  # round robin: a manager in ramp takes the lead when their credit reaches 1
        for c, s in zip(cands, share, strict=True):
            if s >= 1.0:
                return int(c)
            limits.credit[c] += s
            if limits.credit[c] >= 1.0:
                limits.credit[c] -= 1.0
                return int(c)
