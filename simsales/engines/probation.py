"""The probation decision (MODEL.md section 6): one rule, which both engines apply.

At minute ``probation_end[m]`` (the end of the last day of a hire's
probation), if ``m`` is still on the team, their results are measured
against the team's: ``rate`` = offers ``m`` made / ``m``'s shift minutes
from their joining to now; ``average`` = offers made by every manager
while ramped (offer time >= ``ramped_from[j]``) / those managers' shift
minutes while ramped, from the start of the run to now.  Shift minutes come
from the roster's shifts (days off and onboarding have none), clipped to
the window and to each manager's stay.  ``m`` is let go iff ``average > 0``
and ``rate < probation_bar * average`` and ``fire_draw[m] < fire_chance[m]``
(:func:`let_go`).  Rates per shift minute compare as rates per shift hour
do.  A manager without a shift minute yet has made no offer: their rate is 0.

A fired manager leaves at that minute as a leaver does, and their standby
(the manager ``s`` with ``standby_for[s] == m``, a backfill hired for that
case) is brought in: from then on ``s`` is a normal manager.  A standby
never brought in is never on the team.

The world draws and computes the inputs (:class:`simsales.world.roster.Roster`:
``probation_end``, ``fire_chance``, ``fire_draw``, ``ramped_from``,
``probation_bar``, ``standby_for``); the offers are the engine's, so the
decision runs inside each engine: :mod:`simsales.engines.des` states it
readably, :mod:`simsales.engines.fast.probation` compiles it.  Both call
:func:`shift_minutes` and :func:`let_go`, so the arithmetic is the same
to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simsales.engines.contract import Outcomes
from simsales.world.roster import Roster

__all__ = ["Probation", "fails_probation", "let_go", "read_probation", "shift_minutes"]


@njit(cache=True, error_model="numpy")
def shift_minutes(start: np.ndarray, end: np.ndarray, lo: float, hi: float) -> float:
    """Minutes one manager is on shift within ``[lo, hi)``.

    Args:
        start: the manager's shift start per day (D), minutes from the start.
        end: the shift end per day (equal to the start on a day without one).
        lo: the window's start, minutes from the start.
        hi: the window's end, minutes from the start.

    Returns:
        The minutes, summed day by day in day order (0 if ``hi <= lo``).
    """
    total = 0.0
    if hi <= lo:
        return total
    for d in range(start.size):
        overlap = min(end[d], hi) - max(start[d], lo)
        if overlap > 0.0:
            total += overlap
    return total


@njit(cache=True, error_model="numpy")
def let_go(offers: float, minutes: float, offers_ramped: float, minutes_ramped: float, bar: float,
           draw: float, chance: float) -> bool:
    """Whether a probationer is let go: results below the bar, and their draw under the chance.

    Args:
        offers: offers the probationer made so far.
        minutes: the probationer's shift minutes so far.
        offers_ramped: offers every manager made while ramped, so far.
        minutes_ramped: those managers' shift minutes while ramped, so far.
        bar: the bar, as a share of the ramped average (``probation_bar``).
        draw: the probationer's own uniform in [0, 1) (``fire_draw``).
        chance: the chance they are let go if below the bar (``fire_chance``).

    Returns:
        True if they are let go.
    """
    rate = offers / minutes if minutes > 0.0 else 0.0
    average = offers_ramped / minutes_ramped if minutes_ramped > 0.0 else 0.0
    return average > 0.0 and rate < bar * average and draw < chance


@dataclass(frozen=True)
class Probation:
    """The roster's probation inputs, as both engines read them.

    Attributes:
        end: per manager (M), the minute of their probation decision (inf if none).
        fire_chance: per manager, the chance they are let go if below the bar.
        fire_draw: per manager, their own uniform in [0, 1) for that decision.
        ramped_from: per manager, the minute from which they count as ramped.
        bar: the bar, as a share of the team's ramped average.
        standby_for: per manager, -1, or the probationer whose firing brings them in.
        standby_of: per manager, the standby their firing brings in, or -1.
        decisions: the managers with a decision within the horizon, in the
            order they are taken: by minute, then by index.
    """

    end: np.ndarray
    fire_chance: np.ndarray
    fire_draw: np.ndarray
    ramped_from: np.ndarray
    bar: float
    standby_for: np.ndarray
    standby_of: np.ndarray
    decisions: np.ndarray

    @property
    def inert(self) -> bool:
        """True when nothing about probation can happen: no decision, no standby."""
        return self.decisions.size == 0 and not (self.standby_for >= 0).any()


def read_probation(roster: Roster, horizon: float) -> Probation:
    """The probation inputs of ``roster`` (the one place the engines read them).

    Args:
        roster: the plan's roster.
        horizon: the horizon, minutes from the start.

    Returns:
        The inputs, with the decisions within ``[0, horizon)`` in order.

    Raises:
        ValueError: two standbys for the same probationer, or a standby for
            someone who is not a manager of the roster.
    """
    m = roster.n_managers
    end = np.asarray(roster.probation_end, dtype=float)
    standby_for = np.asarray(roster.standby_for, dtype=np.int64)
    standby_of = np.full(m, -1, dtype=np.int64)
    for s in np.flatnonzero(standby_for >= 0):
        p = standby_for[s]
        if p >= m or standby_of[p] >= 0:
            raise ValueError(f"roster: standby {s} is for manager {p}, who has another standby or is "
                             f"not on the roster (M = {m})")
        standby_of[p] = s
    within = np.flatnonzero((end >= 0.0) & (end < horizon))
    decisions = within[np.lexsort((within, end[within]))].astype(np.int64)
    return Probation(
        end=end, fire_chance=np.asarray(roster.fire_chance, dtype=float),
        fire_draw=np.asarray(roster.fire_draw, dtype=float),
        ramped_from=np.asarray(roster.ramped_from, dtype=float), bar=float(roster.probation_bar),
        standby_for=standby_for, standby_of=standby_of, decisions=decisions)

def fails_probation(probation: Probation, m: int, t: float, out: Outcomes, roster: Roster,
                    begin: np.ndarray, stop: np.ndarray) -> bool:
    """The rule at minute ``t`` for probationer ``m``, from the outcomes so far (the reference's way).

    Args:
        probation: the roster's probation inputs.
        m: the probationer, on the team at ``t``.
        t: the decision minute, after everything else of that minute happened.
        out: the outcomes so far (offers made up to ``t`` have their ``offer_time``).
        roster: the plan's roster (its shifts).
        begin: per manager, the minute their stay began (0, or when a standby was brought in).
        stop: per manager, the minute their stay ends, as known at ``t`` (0: a
            standby never brought in; ``t``: fired at ``t``).

    Returns:
        True if ``m`` is let go.
    """
    made = np.flatnonzero(out.offer_time <= t)  # offers made so far (NaN: none)
    by = out.manager[made]  # who made each: the presentation's manager, the lead's last owner
    offers = np.count_nonzero(by == m)
    minutes = shift_minutes(roster.shift_start[m], roster.shift_end[m], begin[m], t)
    offers_ramped = np.count_nonzero(out.offer_time[made] >= probation.ramped_from[by])
    minutes_ramped = 0.0
    for j in range(roster.n_managers):  # every manager's shift minutes while ramped, within their stay
        lo, hi = max(begin[j], probation.ramped_from[j]), min(t, stop[j])
        minutes_ramped += shift_minutes(roster.shift_start[j], roster.shift_end[j], lo, hi)
    return let_go(float(offers), minutes, float(offers_ramped), minutes_ramped, probation.bar,
                  probation.fire_draw[m], probation.fire_chance[m])
