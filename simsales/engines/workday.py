"""Two rules of the sales floor the reference engine states here: time accounting and lead limits.

* :func:`split_work`: where a call's or dial's minutes go (talk or dial,
  CRM, overtime).  The fast engine's ``chain.split_work`` is the same
  arithmetic, compiled.
* :class:`RoutingLimits`: what :func:`simsales.engines.routing.choose_new`
  reads to cap new leads per manager and day and to give managers in ramp
  a share of a ramped manager's leads (``routing.max_new_per_day``,
  ``routing.ramp_share``).

Times are minutes from the start.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import simsales.engines.routing as routing
from simsales.scenario.units import MINUTES_PER_DAY

__all__ = ["RoutingLimits", "split_work"]


def split_work(now: float, call: float, crm: float, shift_end: float, horizon: float,
               talk_share: float) -> tuple[float, float, float, float]:
    """Where the minutes of one call or dial go.

    The call (``call`` minutes: its base minutes over ``talk_share`` and the
    ramp throughput) comes first, then ``crm`` CRM minutes.  What falls
    before ``shift_end`` (the end of the manager's block of shifts) and the
    horizon is shift work: ``talk_share`` of the call's part is the call
    itself (talk or dial), the rest of it and the CRM minutes are CRM time.
    What falls past ``shift_end`` (before the horizon) is overtime.

    Args:
        now: when the call starts.
        call: the call's minutes, the ``talk_share`` overhead included.
        crm: CRM minutes after it.
        shift_end: the end of the manager's block of shifts.
        horizon: the horizon.
        talk_share: the share of the call's minutes that is the call itself.

    Returns:
        ``(busy, spoken, crm_within, overtime)``: minutes within the horizon;
        talk or dial within the shift; CRM within the shift; past the shift.
    """
    duration = call + crm
    busy = max(0.0, min(now + duration, horizon) - now)
    within = min(max(min(shift_end, horizon) - now, 0.0), duration)
    spoken = min(within, call) * talk_share
    overtime = max(0.0, min(now + duration, horizon) - max(now, shift_end))
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
        edges = np.concatenate([sim.route_start[sim.route_end > sim.route_start],
                                sim.route_end[sim.route_end > sim.route_start],
                                np.arange(r.n_days + 1) * float(MINUTES_PER_DAY)])
        self.bounds = np.unique(edges)

    def share(self, manager: int, day: int) -> float:
        """``ramp_share`` if the manager is in ramp that day, else 1."""
        return self.ramp_share if self.ramping[manager, min(day, self.ramping.shape[1] - 1)] else 1.0

    def next_boundary(self, x: float) -> float:
        """The first routing-window edge or midnight after ``x`` (inf: none)."""
        i = int(np.searchsorted(self.bounds, x, side="right"))
        return float(self.bounds[i]) if i < self.bounds.size else math.inf

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


