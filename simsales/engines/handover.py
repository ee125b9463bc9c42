"""The reference engine's hand-over of leads whose owner is off (MODEL.md section 3).

``routing.handover_after_hours``: at each of
:func:`~simsales.world.shifts.handover_moments` (the end of an owner's block
of shifts plus N hours, if their next block has not started), every task
queued with the owner that is due before their next block starts (contact
attempts and presentation calls alike) is routed anew by the routing
policy as at its due time (or now, if it is overdue): to a manager on shift
then, so it is not handed over again before it is done.  As a leaver's
tasks are, it is routed by the policy alone (not as a new lead: no daily
cap, no ramp share), keeping its due time; the receiver becomes the lead's
owner.  If nobody works at that time within the horizon, it stays.  Under
``shared_queue`` the task goes back to the department's queue.  The same
code hands a leaver's tasks over (all of them).  ``des._Simulation``
inherits :class:`HandOver`; the fast engine's ``dispatch.hand_over`` and
``split.run_split`` are the same rule, compiled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from simsales.world.shifts import handover_moments

__all__ = ["HandOver"]


class HandOver:
    """Routing a manager's queued tasks anew (mixed into ``des._Simulation``).

    It reads the simulation's ``tasks`` (the task lists), ``env``,
    ``out``, ``roster``, ``sc``, ``horizon``, ``stop``, ``route``, ``give`` and
    ``record``, and the timeout ``end_of_minute`` (an event after every other
    of its minute).
    """

    tasks: Any  # engines.priority.TaskLists
    env: simpy.Environment
    out: Any
    roster: Any
    sc: Any
    horizon: float
    stop: Any
    route: Callable[..., int]
    give: Callable[..., None]
    record: Callable[..., None]
    end_of_minute: Callable[..., simpy.Event]

    def hand_over(self, manager: int, until: float = math.inf, off_shift: bool = False) -> None:
        """A manager's queued tasks due before ``until`` are routed anew, oldest first.

        A leaver's (``until`` inf: all of them; a call in progress goes on, its
        follow-up is routed anew by ``give``), or, ``off_shift``, those of an
        owner off shift (``routing.handover_after_hours``: each lead handed to
        another manager counts in ``Outcomes.handovers``).
        """
        for due, _, task in self.tasks.take_before(manager, until):
            if off_shift:  # to someone on shift when the task is due (or now, if overdue)
                other = self.route(max(self.env.now, due))
                other = manager if other < 0 else other  # nobody works then: it stays
            else:
                other = self.route(self.env.now)
            self.record("handover" if off_shift else "reassign", task.lead, manager, other)
            if other >= 0:
                if off_shift and other != manager:
                    self.out.handovers[task.lead] += 1
                self.give(other, due, task)

    def handovers(self) -> Generator[simpy.Event, object, None]:
        """Owners off shift hand their tasks over (``routing.handover_after_hours``).

        At :func:`~simsales.world.shifts.handover_moments` of the roster's
        shifts, by minute then manager; those of one minute are taken
        together, by manager, after the other events of that minute (calls
        that end then, leaves, probation decisions).
        """
        r = self.roster
        t, managers, until = handover_moments(r.shift_start, r.shift_end,
                                              self.sc.routing.handover_after_hours * 60.0, self.horizon)
        for i in range(t.size):
            if t[i] > self.env.now:
                yield self.end_of_minute(self.env, t[i] - self.env.now)
            m = int(managers[i])
            if self.env.now < self.stop[m]:  # still on the team (not left, fired, nor a standby left out)
                self.hand_over(m, float(until[i]), off_shift=True)
