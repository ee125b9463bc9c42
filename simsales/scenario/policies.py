"""The routing policies: the one table that the schema, both engines and the docs read.

A policy's *name* is what a scenario writes under ``routing.policy``; its
*code* is the integer the compiled engine switches on.  The *rule* itself
(who gets the lead) lives in the engines: see docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from simsales.scenario.checks import did_you_mean


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


# -- the manager's priority over kinds of work (MODEL.md section 4) -------------

WORK_KINDS: tuple[str, ...] = ("booked", "first", "followup")
"""The kinds of work a manager chooses between, by index: calls booked for a time
(presentations, closing calls), a fresh lead's first attempt, later attempts."""

BOOKED, FIRST, FOLLOWUP = range(3)
"""The kinds' indices in :data:`WORK_KINDS`."""

DEFAULT_PRIORITY: tuple[str, ...] = ("booked", "first", "followup")
"""``touch_chain.priority`` by default: booked calls before new leads, then follow-ups."""

PRIORITY_NAMES: dict[str, tuple[int, int, int]] = {
    "new_first": (1, 0, 1),  # fresh first attempts, then everything else by due time
    "due_first": (0, 0, 0),  # everything by due time
}
"""The named priorities and the class of each kind (booked, first, followup) they give."""


def priority_classes(priority: str | tuple[str, ...] | list[str]) -> tuple[int, int, int]:
    """The class of each kind of work (booked, first, followup) under ``priority``.

    A free manager takes a due task of the lowest class first; within a
    class, the task due longest (ties by the order the tasks were queued).

    Args:
        priority: a named priority (``new_first``, ``due_first``) or an order
            of the three kinds of :data:`WORK_KINDS`, each once.

    Returns:
        Per kind, in :data:`WORK_KINDS` order, its class (0 first).
    """
    if isinstance(priority, str):
        return PRIORITY_NAMES[priority]
    booked, first, followup = (list(priority).index(kind) for kind in WORK_KINDS)
    return booked, first, followup


def read_priority(priority: object) -> str | tuple[str, ...]:
    """Read ``touch_chain.priority``: a named priority, or an order of the kinds of work.

    Args:
        priority: ``new_first``, ``due_first``, or a list naming ``booked``,
            ``first`` and ``followup`` once each, the first done first.

    Returns:
        The name, or the order as a tuple.

    Raises:
        ValueError: anything else, with what was probably meant.
    """
    names = " or ".join(repr(n) for n in PRIORITY_NAMES)
    kinds = ", ".join(WORK_KINDS)
    if isinstance(priority, str):
        if priority in PRIORITY_NAMES:
            return priority
        raise ValueError(f"expected {names}, or a list of the kinds of work [{kinds}] in the order a "
                         f"free manager takes them, got {priority!r}"
                         f"{did_you_mean(priority, [*PRIORITY_NAMES, *WORK_KINDS])}")
    if not isinstance(priority, list | tuple):
        raise ValueError(f"expected {names}, or a list of the kinds of work [{kinds}], got {priority!r}")
    problems = []
    for kind in priority:
        if kind not in WORK_KINDS:
            problems.append(f"{kind!r} is not a kind of work{did_you_mean(str(kind), WORK_KINDS)}")
    missing = [k for k in WORK_KINDS if k not in priority]
    twice = sorted({str(k) for k in priority if list(priority).count(k) > 1})
    if twice:
        problems.append(f"{', '.join(twice)} named more than once")
    if missing and not problems:
        problems.append(f"{', '.join(missing)} missing")
    if problems:
        raise ValueError(f"expected each of the kinds of work [{kinds}] exactly once, in the order a free "
                         f"manager takes them (e.g. [booked, first, followup]): {'; '.join(problems)}")
    return tuple(priority)
