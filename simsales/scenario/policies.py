"""The routing policies: the one table that the schema, both engines and the docs read.

A policy's *name* is what a scenario writes under ``routing.policy``; its
*code* is the integer the compiled engine switches on.  The *rule* itself
(who gets the lead) lives in the engines: see docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoutingPolicy:
    """One way to assign a new lead to a manager (MODEL.md section 3).

    Attributes:
        name: the value of ``routing.policy`` in a scenario.
        code: the integer the compiled engine uses for it.
        reads_queues: whether the choice depends on the managers' queues (if
            not, each manager can be simulated alone between boundaries).
        description: one line for the docs and the schema.
    """

    name: str
    code: int
    reads_queues: bool
    description: str


ROUTING_POLICIES: tuple[RoutingPolicy, ...] = (
    RoutingPolicy("round_robin", 0, False,
                  "in turn: the first manager on shift after the last one routed to"),
    RoutingPolicy("least_loaded", 1, True,
                  "the manager on shift with the fewest queued tasks (ties in turn)"),
    RoutingPolicy("weighted", 2, False,
                  "at random, in proportion to ramp x skill among managers on shift"),
    RoutingPolicy("shared_queue", 3, True,
                  "one department queue; the first free manager on shift takes the lead and keeps it"),
)
"""Every routing policy, in the order of their codes."""

POLICY_NAMES: tuple[str, ...] = tuple(p.name for p in ROUTING_POLICIES)
"""The names a scenario may write, in table order."""

POLICY_CODES: dict[str, int] = {p.name: p.code for p in ROUTING_POLICIES}
"""Policy name -> the compiled engine's integer code."""


def policy(name: str) -> RoutingPolicy:
    """The policy called ``name``.

    Args:
        name: a value of ``routing.policy``.

    Returns:
        Its row of :data:`ROUTING_POLICIES`.

    Raises:
        KeyError: no policy has that name.
    """
    for p in ROUTING_POLICIES:
        if p.name == name:
            return p
    raise KeyError(f"unknown routing policy {name!r}; expected one of {', '.join(POLICY_NAMES)}")
