"""The reference engine's task lists and the manager's priority over kinds of work (MODEL.md section 4).

A task is of one of three kinds (:data:`~simsales.scenario.policies.WORK_KINDS`):
``booked`` (a presentation call, or a closing call: calls booked for a
time), ``first`` (a fresh lead's first attempt) or ``followup`` (a later
attempt).  ``touch_chain.priority`` puts each kind in a class
(:func:`~simsales.scenario.policies.priority_classes`): an order such as
``[booked, first, followup]`` gives each kind its own class, ``new_first``
puts first attempts in class 0 and the rest in class 1, ``due_first``
everything in class 0.  A free manager on shift takes the due task of the
lowest class that has one, among their own lists and the shared queue's;
within a class, the task due longest, ties by the order the tasks were
queued.  The fast engine keeps the same lists as sorted rows
(``fast/queues.py``).
"""

from __future__ import annotations

import heapq
import itertools
import math

from simsales.scenario.policies import BOOKED, FIRST, FOLLOWUP, priority_classes

__all__ = ["CLASSES", "TaskLists", "work_kind"]

CLASSES = 3
"""The most classes a priority has (one per kind of work)."""


def work_kind(attempt: bool, k: int) -> int:
    """The kind of work of a task: ``FIRST``, ``FOLLOWUP`` (attempt ``k``) or ``BOOKED`` (not an attempt)."""
    if not attempt:
        return BOOKED
    return FIRST if k == 0 else FOLLOWUP


class TaskLists:
    """Per manager, and at index ``n`` the department's shared queue: one heap per class.

    Entries are ``(due, seq, task)``: due time (minutes), the order queued, the task.
    """

    def __init__(self, n: int, priority: str | tuple[str, ...]) -> None:
        self.classes = priority_classes(priority)
        self.pool = n
        self.heaps: list[list[list]] = [[[] for _ in range(n + 1)] for _ in range(CLASSES)]
        self.seq = itertools.count()

    def push(self, owner: int, kind: int, due: float, task: object) -> None:
        """Queue ``task`` of ``kind`` with ``owner`` (a manager, or ``pool``), due at ``due``."""
        heapq.heappush(self.heaps[self.classes[kind]][owner], (due, next(self.seq), task))

    def pop_due(self, manager: int, now: float) -> tuple[float, object] | None:
        """Pop the task ``manager`` does at ``now`` by the priority rule; None if nothing is due."""
        for by_owner in self.heaps:
            due_now = [h for h in (by_owner[manager], by_owner[self.pool]) if h and h[0][0] <= now]
            if due_now:
                due, _, task = heapq.heappop(min(due_now, key=lambda h: h[0][:2]))
                return due, task
        return None

    def earliest(self, manager: int) -> list[float]:
        """The first due time of each non-empty list ``manager`` looks at (own and shared)."""
        return [h[0][0] for by_owner in self.heaps for h in (by_owner[manager], by_owner[self.pool]) if h]

    def load(self, manager: int) -> int:
        """Tasks queued with ``manager``."""
        return sum(len(by_owner[manager]) for by_owner in self.heaps)

    def take_all(self, manager: int) -> list[tuple[float, int, object]]:
        """Empty ``manager``'s lists: their entries, oldest due first (ties by queue order)."""
        return self.take_before(manager, math.inf)

    def take_before(self, manager: int, until: float) -> list[tuple[float, int, object]]:
        """Take ``manager``'s entries due before ``until`` (minutes), oldest first (ties by queue order)."""
        entries = sorted((e for by_owner in self.heaps for e in by_owner[manager] if e[0] < until),
                         key=lambda e: e[:2])
        for by_owner in self.heaps:
            kept = [e for e in by_owner[manager] if e[0] >= until]
            heapq.heapify(kept)
            by_owner[manager] = kept
        return entries
