"""The SimPy reference engine: the executable specification of the dynamics.

One SimPy process brings the leads in and routes each to a manager
(MODEL.md section 3, by the rule in :mod:`simsales.engines.routing`); one
process per manager works through that manager's task list during their
shifts (section 4 and the calls of section 5); one process per leaving
manager hands their open leads to others, and one per hire on probation
decides, at the end of it, whether they stay (section 6,
:mod:`simsales.engines.probation`); with ``routing.handover_after_hours``,
one process hands the tasks of owners off shift to managers on shift
(section 3, :mod:`simsales.engines.handover`).  Readable first: the fast
engine must give the same answers, not the same code.

A manager's tasks are contact attempts and presentation calls.  A task is
due at its planned time; a free manager on shift takes, among the due
tasks, one of the first kind of work in ``touch_chain.priority``'s order that
has one (booked calls, first attempts, follow-ups; or ``new_first``,
``due_first``), the one due longest (:mod:`simsales.engines.priority`).  Every call or dial takes its
base minutes divided by ``talk_share`` (the rest of the shift is CRM work,
spread over the calls) and by the manager's ramp throughput, then the CRM
minutes of the event (``team.crm_minutes``: after every attempt, after a
contact, after an offer).  An attempt reaches the person with chance
``min(1, p_contact[k] * contact_factor[channel]) * decay(age)``
(:func:`simsales.world.contact.decay`, the fast engine's own); an
unreachable lead's chance is 0.  A presentation's offer chance cools with
its wait, and a presentation past its time limit is not held
(:mod:`simsales.engines.booked`).  The manager's factor (skill x ramp x team
factor) acts on qualification and on the offer, each raised to its
``team.skill_weights`` weight.  The time split and the limits on new leads:
:mod:`simsales.engines.workday`.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import simpy

import simsales.engines.routing as routing
from simsales.engines.booked import BookedRules
from simsales.engines.contract import (
    AWAITING_PRESENTATION,
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    OFFER,
    Outcomes,
    ReplicationCache,
)
from simsales.engines.handover import HandOver
from simsales.engines.priority import TaskLists, work_kind
from simsales.engines.probation import fails_probation, read_probation
from simsales.engines.workday import FloorRules
from simsales.scenario.uncertain import value
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.contact import decay, decay_args
from simsales.world.world import World

ATTEMPT, PRESENTATION, CLOSING = 0, 1, 2  # the kinds of task
Process = Generator[simpy.Event, object, None]  # a SimPy process: yields events, returns nothing
LAST = simpy.events.NORMAL + 1  # a priority after every normal event of the same minute


class _EndOfMinute(simpy.events.Timeout):
    """A timeout that fires after every other event due at the same minute.

    (As ``Timeout.__init__``, inlined there by SimPy, with a lower priority.)
    """

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        self.env, self.callbacks, self._value, self._delay, self._ok = env, [], None, delay, True
        env.schedule(self, LAST, delay)


class _Task:
    __slots__ = ("k", "kind", "lead")

    def __init__(self, lead: int, kind: int, k: int = 0) -> None:
        self.lead, self.kind, self.k = lead, kind, k


class _Simulation(FloorRules, BookedRules, HandOver):
    """The state of one DES run; see the module docstring for the rules."""

    end_of_minute = _EndOfMinute  # the hand-overs' timeout (engines/handover.py)

    def __init__(self, world: World, rng: np.random.Generator, log: list | None) -> None:
        self.world, self.rng, self.log = world, rng, log
        self.sc = sc = world.scenario
        self.leads, self.roster = world.leads, world.roster
        self.env = simpy.Environment()
        self.horizon, self.origin = sc.horizon_minutes, world.origin_minutes  # time split counted from origin
        m = self.roster.n_managers
        self.out = Outcomes.empty(len(self.leads), m).entered(self.leads)
        chain = sc.touch_chain
        self.offsets = list(chain.offsets)
        self.p_contact = [value(chain.contact_chance(k)) for k in range(len(self.offsets))]
        self.decay_args = decay_args(chain.decay)
        self.talk_share = value(sc.team.talk_share)
        self.quality = np.array([value(c.quality) for c in sc.channels])
        f = sc.funnel
        self.p_qualify = value(f.qualify)
        price = f.price
        self.p_offer = value(f.offer.p) * (1.0 + price.change) ** price.elasticity
        # Per manager, and at index m the department's shared queue: a heap per class of work.
        self.pool = m
        self.tasks = TaskLists(m, chain.priority)
        self.wake: list[simpy.Event | None] = [None] * m
        self.last_routed = -1
        # The team as it is now (section 6): each manager's stay [begin, stop) in minutes,
        # and the shifts routing sees, cut at a firing.  A standby is not on the team
        # (no stay, no shifts) until their probationer is let go.
        r = self.roster
        self.probation = read_probation(r, self.horizon)
        self.begin = np.zeros(m)
        self.stop = r.leave_day * float(MINUTES_PER_DAY)
        self.shift_start, self.shift_end = r.shift_start, r.shift_end.copy()
        self.brought_in: dict[int, simpy.Event] = {}
        for s in np.flatnonzero(self.probation.standby_for >= 0):
            self.stop[s] = 0.0
            self.shift_end[s] = self.shift_start[s]
            self.brought_in[s] = self.env.event()
        self.floor_rules()  # issue 12's phase A (engines/workday.py): routing windows, limits, factors
        self.booked_rules()  # phase B (engines/booked.py): cooling and the presentation's time limit

    # -- events -------------------------------------------------------------

    def record(self, *event: object) -> None:
        if self.log is not None:
            self.log.append((round(self.env.now, 6), *event))

    # -- routing (MODEL.md section 3): the rule is simsales.engines.routing ----

    @property
    def n_managers(self) -> int:
        """Managers on the roster; the shared queue is number ``n_managers``."""
        return self.roster.n_managers

    def candidates(self, t: float) -> np.ndarray:
        """Managers on shift at ``t`` with enough of it left; else those whose such time starts first."""
        return routing.candidates(self.route_start, self.route_end, t)

    def loads(self, managers: np.ndarray) -> np.ndarray:
        """Tasks queued with each of ``managers`` now."""
        return np.array([self.tasks.load(c) for c in managers])

    def weights(self, managers: np.ndarray, t: float) -> np.ndarray:
        """Ramp throughput on the day of ``t`` x skill, per manager."""
        d = min(int(t // MINUTES_PER_DAY), self.roster.n_days - 1)
        return self.roster.throughput[managers, d] * self.roster.skill[managers]

    def uniform(self) -> float:
        """A uniform in [0, 1) from the run's stream."""
        return self.rng.random()

    def give(self, manager: int, due: float, task: _Task) -> None:
        """Put a task in a manager's list and wake them if they are idle.

        A follow-up of a call that ended after its manager left is routed anew.
        """
        if manager != self.pool and self.env.now >= self.stop[manager]:
            manager = self.route(self.env.now)
            if manager < 0:
                return
        self.tasks.push(manager, work_kind(task.kind == ATTEMPT, task.k), due, task)
        if manager == self.pool:
            # A task due now needs one idle manager: the first not yet woken.  A
            # task due later wakes them all, so each can plan its wait.
            for m in range(self.pool):
                if self.wake[m] is not None and not self.wake[m].triggered:
                    self.wake_up(m)
                    if due <= self.env.now:
                        break
        else:
            self.out.manager[task.lead] = manager
            self.wake_up(manager)

    def wake_up(self, manager: int) -> None:
        wake = self.wake[manager]
        if wake is not None and not wake.triggered:
            wake.succeed()

    # -- processes ----------------------------------------------------------

    def arrivals(self) -> Process:
        """Bring the leads in at their creation times and route each (MODEL.md section 3).

        A lead from an open pipeline (``leads.entry``) arrives at minute 0 with its first task
        (attempt k, or the presentation: -1) due when given, kept by its owner or routed if none.
        """
        env, created, entry, n_entries = self.env, self.leads.created, self.leads.entry, self.leads.n_entries
        for lead in range(len(created)):
            yield env.timeout((created[lead] if lead >= n_entries else 0.0) - env.now)
            owner, k = (int(entry.owner[lead]), int(entry.attempt[lead])) if lead < n_entries else (-1, 0)
            expiry = created[lead] + self.sc.touch_chain.lead_ttl if k >= 0 else math.inf  # a chain's end
            manager = owner if owner >= 0 else self.route(env.now, new=True, deadline=expiry)
            self.record("assign", lead, manager)
            due = float(entry.due[lead]) if lead < n_entries else created[lead] + self.offsets[0]
            if owner < 0 and self.wait_for_window and 0 <= manager != self.pool:
                due = max(due, self.routed_at)  # a lead for a later shift waits for it
            if k < 0:
                self.book(lead, env.now)  # a presentation from the pipeline: booked (cooling) from the start
            if manager >= 0:
                self.give(manager, due, _Task(lead, ATTEMPT, k) if k >= 0 else _Task(lead, PRESENTATION))

    def leaver(self, manager: int, t: float) -> Process:
        """At ``t`` the manager leaves: their queued tasks are routed anew, oldest first."""
        yield self.env.timeout(t - self.env.now)
        self.hand_over(manager)

    # -- probation (MODEL.md section 6; the rule is simsales.engines.probation) --

    def probation_end(self, m: int, t: float) -> Process:
        """At the end of ``m``'s probation, after everything else of that minute: stay or go."""
        yield _EndOfMinute(self.env, t - self.env.now)
        if self.stop[m] <= t:
            return  # left already, or a standby never brought in
        if fails_probation(self.probation, m, t, self.out, self.roster, self.begin, self.stop):
            self.fire(m, t)

    def fire(self, m: int, t: float) -> None:
        """``m`` is let go at ``t``, as a leaver; their standby, if any, is brought in."""
        self.out.fired[m] = t
        self.stop[m] = t
        self.shift_end[m] = np.maximum(self.shift_start[m], np.minimum(self.shift_end[m], t))
        self.window_rows([m])  # routing no longer sees them, before their tasks are routed anew
        self.wake_up(m)  # an idle wait ends: they are gone
        self.hand_over(m)
        s = self.probation.standby_of[m]
        if s >= 0:
            self.begin[s], self.stop[s] = t, self.roster.leave_day[s] * float(MINUTES_PER_DAY)
            self.shift_end[s] = self.roster.shift_end[s]
            self.window_rows([s])
            self.brought_in[s].succeed()

    def next_task(self, manager: int, now: float) -> tuple[float, _Task] | None:
        """Pop the task to do now (dropping attempts past lead_ttl); None if none is due.

        By the priority rule (:class:`~simsales.engines.priority.TaskLists`),
        among the manager's own lists and the shared queue's.
        """
        ttl = self.sc.touch_chain.lead_ttl
        while True:
            picked = self.tasks.pop_due(manager, now)
            if picked is None:
                return None
            due, task = picked
            self.out.manager[task.lead] = manager
            if task.kind == ATTEMPT and now > self.leads.created[task.lead] + ttl:
                self.out.end[task.lead] = EXPIRED
                self.record("expire", task.lead, manager)
                continue
            if task.kind == PRESENTATION and self.presentation_lost(task.lead, now):
                self.record("no_presentation", task.lead, manager)
                continue
            if task.kind == CLOSING and self.closing_dropped(task.lead, now):
                self.record("closing_dropped", task.lead, manager)
                continue
            return due, task

    def manager(self, m: int) -> Process:
        """Manager ``m`` works through their tasks during their shifts until they leave.

        A standby first waits until they are brought in.
        """
        env = self.env
        if m in self.brought_in:
            yield self.brought_in[m]
        while env.now < min(self.horizon, self.stop[m]):
            shift = self.shift_at(m, env.now)
            if shift is None:
                return
            start, end, day = shift
            if env.now < start:
                yield env.timeout(start - env.now)
                continue
            picked = self.next_task(m, env.now)
            if picked is None:
                queued = self.tasks.earliest(m)
                until = min([end, self.horizon, *queued])
                self.wake[m] = env.event()
                yield env.any_of([env.timeout(until - env.now), self.wake[m]])
                self.wake[m] = None
                continue
            yield from self.work(m, picked[1], self.block_end[m, day])

    # -- the work itself (MODEL.md sections 4 and 5) ------------------------

    def work(self, m: int, task: _Task, shift_end: float) -> Process:
        """Manager ``m`` makes one attempt or one presentation call (MODEL.md sections 4 and 5).

        ``shift_end``: the end of the block of shifts the manager is in (minutes).
        """
        env, out, lead = self.env, self.out, task.lead
        now = env.now
        if task.kind == CLOSING:
            yield from self.closing_call(m, lead, shift_end)
            return
        d = min(int(now // MINUTES_PER_DAY), self.roster.n_days - 1)
        if task.kind == ATTEMPT:
            out.attempts[lead] += 1
            if now >= self.origin:  # made in the counted period (attempts_per_manager_hour)
                out.attempts_made[m] += 1
            if math.isnan(out.first_attempt[lead]):
                out.first_attempt[lead] = now
            age = now - self.leads.created[lead]
            p = min(1.0, self.p_contact[task.k] * self.contact_factor[lead]) * decay(age, *self.decay_args)
            contact = self.rng.random() < p
            self.record("attempt", lead, m, task.k, contact)
            chain = self.sc.touch_chain
            if not contact:
                yield env.timeout(self.account(m, shift_end, chain.dial_minutes, "dial", self.crm_attempt))
                k = task.k + 1
                if k < len(self.offsets):
                    due = max(self.leads.created[lead] + self.offsets[k], env.now)
                    self.give(m, due, _Task(lead, ATTEMPT, k))
                else:
                    out.end[lead] = NO_CONTACT
                return
            out.contact[lead] = now
            target = self.leads.target[lead]
            length = chain.call_minutes if target or chain.nontarget_call_minutes is None else (
                chain.nontarget_call_minutes)  # a reached non-target lead: a short call
            duration = self.account(m, shift_end, float(length.sample(self.rng)), "talk",
                                    self.crm_attempt + self.crm_contact)
            if not target:
                out.end[lead] = LOST_NONTARGET
                yield env.timeout(duration)
                return
            p_q = min(1.0, self.p_qualify * self.quality[self.leads.channel[lead]]
                      * self.factor_qualify[m, d])
            if self.rng.random() >= p_q:
                out.end[lead] = LOST_UNQUALIFIED
                yield env.timeout(duration)
                return
            out.end[lead] = AWAITING_PRESENTATION
            delay = float(self.sc.funnel.offer.delay_days.sample(self.rng)) * MINUTES_PER_DAY
            yield env.timeout(duration)
            self.book(lead, env.now)
            self.give(m, env.now + delay, _Task(lead, PRESENTATION))
            return
        # A presentation call, then an invoice or an installment link, or a loss.
        length = float(self.sc.funnel.offer.call_minutes.sample(self.rng))
        p = min(1.0, self.p_offer * self.factor_offer[m, d]) * self.cooled(lead, now)
        offer = self.rng.random() < p
        duration = self.account(m, shift_end, length, "talk", self.crm_offer if offer else 0.0)
        self.record("present", lead, m, offer)
        yield env.timeout(duration)
        out.end[lead] = OFFER if offer else LOST_NO_OFFER
        if offer:
            out.offer_time[lead] = env.now
            due = self.closing_needed()
            if due is not None:
                out.closing_due[lead] = due
                self.give(m, due, _Task(lead, CLOSING))

    # -- the run ------------------------------------------------------------

    def run(self) -> Outcomes:
        env, r = self.env, self.roster
        env.process(self.arrivals())
        for m in range(r.n_managers):
            env.process(self.manager(m))
            leave_t = r.leave_day[m] * MINUTES_PER_DAY
            if 0 < leave_t < self.horizon:
                env.process(self.leaver(m, leave_t))
        for m in self.probation.decisions:  # by minute, then index: the order they are taken in
            env.process(self.probation_end(int(m), self.probation.end[m]))
        if self.sc.routing.handover_after_hours is not None:
            env.process(self.handovers())
        env.run(until=self.horizon)
        self.close_chains()
        self.close_booked()
        return self.out

    def close_chains(self) -> None:
        """At the horizon, attempts still queued past lead_ttl count as expired."""
        late = self.leads.created + self.sc.touch_chain.lead_ttl < self.horizon
        self.out.end[(self.out.end == IN_CHAIN) & late] = EXPIRED


def simulate(world: World, rng: np.random.Generator, log: list | None = None, *,
             cache: ReplicationCache | None = None) -> Outcomes:
    """Run the reference engine on one replication of one plan.

    Args:
        world: the resolved scenario, its lead stream and roster.
        rng: this replication's stream for the dynamics.
        log: if given, events are appended as ``(minute, kind, lead, ...)``.
        cache: accepted for the engine contract (the reference keeps nothing between plans).

    Returns:
        What happened to every lead and manager.
    """
    return _Simulation(world, rng, log).run()
