"""Two rules of the sales floor the reference engine states here: time accounting and lead limits.

* :func:`split_work`: where a call's or dial's minutes go (talk or dial,
  CRM, overtime).  The fast engine's ``chain.split_work`` is the same
  arithmetic, compiled.
* :class:`RoutingLimits`: what :func:`simsales.engines.routing.choose_new`
  reads to cap new leads per manager and day and to give managers in ramp
  a share of a ramped manager's leads (``routing.max_new_per_day``,
  ``routing.ramp_share``).
* :class:`FloorRules`: the reference engine's part of these rules (its
  ``_Simulation`` inherits it): the per-lead contact factors, the CRM
  minutes, the manager's factors per step, the routing windows and the time
  accounting of each call.

Times are minutes from the start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import simsales.engines.routing as routing
from simsales.scenario.uncertain import value
from simsales.scenario.units import MINUTES_PER_DAY
from simsales.world.shifts import block_end, routing_windows

__all__ = ["FloorRules", "RoutingLimits", "split_work"]


def split_work(now: float, call: float, crm: float, shift_end: float, horizon: float,
               talk_share: float, origin: float = 0.0) -> tuple[float, float, float, float]:
    """Where the minutes of one call or dial go.

    The call (``call`` minutes: its base minutes over ``talk_share`` and the
    ramp throughput) comes first, then ``crm`` CRM minutes.  What falls
    before ``shift_end`` (the end of the manager's block of shifts) and the
    horizon is shift work: ``talk_share`` of the call's part is the call
    itself (talk or dial), the rest of it and the CRM minutes are CRM time.
    What falls past ``shift_end`` (before the horizon) is overtime.  Only
    minutes from ``origin`` on are counted (the split of a warm-up's work is
    not: :mod:`simsales.montecarlo.counted`); ``busy`` counts them all.

    Args:
        now: when the call starts.
        call: the call's minutes, the ``talk_share`` overhead included.
        crm: CRM minutes after it.
        shift_end: the end of the manager's block of shifts.
        horizon: the horizon.
        talk_share: the share of the call's minutes that is the call itself.
        origin: where the counted period begins (minutes; 0: no warm-up).

    Returns:
        ``(busy, spoken, crm_within, overtime)``: minutes within the horizon;
        talk or dial within the shift; CRM within the shift; past the shift
        (the last three from ``origin`` on).
    """
    duration = call + crm
    busy = max(0.0, min(now + duration, horizon) - now)
    start = max(now, origin)
    end = min(shift_end, horizon)
    late = start - now  # the part before origin (0 without a warm-up, so the arithmetic is unchanged)
    within = max(0.0, min(end - start, duration - late))
    spoken = max(0.0, min(end - start, call - late)) * talk_share
    overtime = max(0.0, min(now + duration, horizon) - max(start, shift_end))
    return busy, spoken, within - spoken, overtime


class RoutingLimits:
    """The caps and the ramp share of new leads (``routing.max_new_per_day``, ``routing.ramp_share``).

    Attributes:
        cap: new leads per manager and calendar day (None: no cap).
        ramp_share: the share of a manager in ramp.
        new_count: per manager and day, new leads routed so far.
        credit: per manager, round robin's credit (managers in ramp).
        at: when the manager chosen last may take the lead (minutes).
    """

    def __init__(self, sim: Any, cap: int | None, ramp_share: float) -> None:
        r = sim.roster
        self.sim, self.cap, self.ramp_share = sim, cap, ramp_share
        self.new_count = np.zeros(r.shift_start.shape, dtype=np.int64)
        self.credit = np.zeros(r.n_managers)
        self.at = 0.0
        self.ramping = r.ramping
        self.midnights = np.arange(r.n_days + 1) * float(MINUTES_PER_DAY)

    def share(self, manager: int, day: int) -> float:
        """``ramp_share`` if the manager is in ramp that day, else 1."""
        return self.ramp_share if self.ramping[manager, min(day, self.ramping.shape[1] - 1)] else 1.0

    def next_boundary(self, x: float) -> float:
        """The first routing-window edge or midnight after ``x`` (inf: none)."""
        sim = self.sim  # the windows as they are now (a firing cuts them): rare, so computed here
        works = sim.route_end > sim.route_start
        edges = np.concatenate([sim.route_start[works], sim.route_end[works], self.midnights])
        later = edges[edges > x]
        return float(later.min()) if later.size else math.inf

    def candidates_at(self, x: float) -> tuple[np.ndarray, float]:
        """The candidates at ``x`` and the moment they are on shift (``x`` or their next start)."""
        if math.isinf(x):
            return np.empty(0, dtype=np.int64), x
        sim = self.sim
        cands = routing.candidates(sim.route_start, sim.route_end, x)
        if cands.size == 0 or routing.on_shift(sim.route_start, sim.route_end, x)[cands[0]]:
            return cands, x
        m = cands[0]  # nobody on shift at x: these start first
        works = (sim.route_end[m] > sim.route_start[m]) & (sim.route_start[m] > x)
        return cands, float(sim.route_start[m][works].min())




class FloorRules:
    """The reference engine's phase-A state and time accounting (mixed into ``des._Simulation``).

    It reads the simulation's ``sc``, ``leads``, ``roster``, ``horizon``,
    ``env``, ``out``, ``talk_share`` and the shifts routing sees
    (``shift_start``, ``shift_end``), and sets what ``des.py`` uses:
    ``contact_factor`` per lead (0 for an unreachable one), the CRM minutes,
    ``factor_qualify`` and ``factor_offer`` per manager and day (the
    roster's conversion raised to each weight), ``block_end``, the routing
    windows ``route_start``/``route_end``, ``limits`` and
    ``wait_for_window``.
    """

    def floor_rules(self) -> None:
        """Set the phase-A state (call once the shifts routing sees are set)."""
        sc, r = self.sc, self.roster
        factor = np.array([value(c.contact_factor) for c in sc.channels], dtype=float)
        self.contact_factor = factor[self.leads.channel] * self.leads.reachable_mask()
        crm, weights, rt = sc.team.crm_minutes, sc.team.skill_weights, sc.routing
        self.crm_attempt, self.crm_contact, self.crm_offer = crm.attempt, crm.contact, crm.offer
        self.factor_qualify = r.conversion ** weights.qualify  # on qualification
        self.factor_offer = r.conversion ** weights.offer  # on the offer
        self.block_end = block_end(r.shift_start, r.shift_end)  # a standby's too, for when brought in
        # The routing windows of the shifts routing sees: the same arrays when min_shift_left is
        # 0, else their own, redone for the managers a firing changes (window_rows).
        self.route_start, self.route_end = routing_windows(self.shift_start, self.shift_end,
                                                           rt.min_shift_left, self.horizon)
        self.limits = RoutingLimits(self, rt.max_new_per_day, rt.ramp_share) if (
            rt.max_new_per_day is not None or rt.ramp_share < 1.0) else None
        # Under min_shift_left or limits, a lead routed to a later shift is due at its start;
        # routed_at: when the manager routed to last may take the lead.
        self.wait_for_window = rt.min_shift_left > 0 or self.limits is not None
        self.routed_at = 0.0

    def route(self, t: float, new: bool = False, deadline: float = math.inf) -> int:
        """The manager who gets a lead (``new``) or a reassigned task at ``t``; -1 if none.

        Under ``shared_queue`` the task goes to the shared queue (``self.pool``)
        and the first free manager on shift takes it.  The caps and the ramp
        share (``self.limits``) apply to new leads only, each taken by a
        manager before its ``deadline`` (its expiry) or by nobody.
        """
        if new and self.limits is not None:
            chosen = routing.choose_new(self.sc.routing.policy, t, self, self.limits, self.last_routed,
                                        deadline)
            self.routed_at = self.limits.at
        else:
            chosen = routing.choose(self.sc.routing.policy, t, self, self.last_routed)
            if 0 <= chosen < self.pool:
                self.routed_at = routing.window_from(self.route_start, self.route_end, chosen, t)
        if 0 <= chosen < self.pool:
            self.last_routed = chosen
        return chosen

    def shift_at(self, manager: int, t: float) -> tuple[float, float, int] | None:
        """The shift the manager is in at ``t``, or their next one: start, end, and the day it starts on.

        The day before counts: its shift may run past midnight.
        """
        r = self.roster
        for day in range(max(int(t // MINUTES_PER_DAY) - 1, 0), r.n_days):
            s, e = self.shift_start[manager, day], self.shift_end[manager, day]
            if e > s and e > t:
                return s, e, day
        return None

    def window_rows(self, rows: list[int]) -> None:
        """Routing windows of ``rows`` anew from the shifts routing sees (after a firing)."""
        if self.route_end is not self.shift_end:  # min_shift_left > 0: the windows are their own arrays
            self.route_end[rows] = routing_windows(self.shift_start[rows], self.shift_end[rows],
                                                   self.sc.routing.min_shift_left, self.horizon)[1]

    def speed(self, m: int) -> float:
        """Manager ``m``'s ramp throughput today."""
        d = min(int(self.env.now // MINUTES_PER_DAY), self.roster.n_days - 1)
        return self.roster.throughput[m, d]

    def account(self, m: int, shift_end: float, base: float, kind: str, crm: float) -> float:
        """Book a call or dial of ``base`` minutes, then ``crm`` CRM minutes (:func:`split_work`).

        Args:
            m: the manager.
            shift_end: the end of the manager's block of shifts (minutes).
            base: the call's or dial's base minutes.
            kind: ``talk`` or ``dial``.
            crm: the event's CRM minutes.

        Returns:
            The minutes the manager is busy.
        """
        out = self.out
        call = base / (self.talk_share * self.speed(m))
        _, spoken, crm_within, overtime = split_work(self.env.now, call, crm, shift_end, self.horizon,
                                                     self.talk_share, self.origin)
        self.busy(m, call + crm)
        (out.talk_minutes if kind == "talk" else out.dial_minutes)[m] += spoken
        out.crm_minutes[m] += crm_within
        out.overtime_minutes[m] += overtime
        return call + crm

    def busy(self, m: int, duration: float) -> None:
        """Manager ``m`` is busy for ``duration`` minutes from now: count them up to the horizon."""
        now = self.env.now
        self.out.busy_minutes[m] += max(0.0, min(now + duration, self.horizon) - now)
