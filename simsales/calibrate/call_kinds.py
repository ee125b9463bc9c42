"""What each row of the calls log is in the model: a dial, a contact call, a presentation, a closing call.

A telephony log does not say why a call was made; the lead's calls and
stage entries do (MODEL.md sections 4 and 5):

- a lead's calls up to its first answered one are its touch chain:
  the unanswered ones are **dials**, the answered one is the **contact call**
  (:func:`simsales.calibrate.touch.chain_attempts` reads the chain the same way);
- its answered calls after the contact call and before its offer (the
  first ``invoice`` or ``link_sent`` entry) are **presentation calls**;
  the last of them before the offer is the one that **ended in the offer**
  (the offer is entered when that call's work is done);
- its answered calls from the offer on are **closing calls**, but for a
  call that starts at the offer's moment (within :data:`SAME_MOMENT`)
  with no presentation call before it: that one is the presentation, of
  no minutes (the scenario's default ``funnel.offer.call_minutes`` is 0,
  and ``simsales run --events`` logs it so).

Unanswered calls after the contact call and messages are none of these
(:data:`OTHER`).  Times are minutes since the window's first midnight.

A lead's presentation is its last presentation call (:func:`presenters`):
who made it may not be the lead's owner at the export, which is whoever
held the lead last (the manager of its closing call, or the one it was
handed over to).
"""

from __future__ import annotations

import numpy as np

from simsales.calibrate.frame import Frame

DIAL, CONTACT, PRESENT, OFFER, CLOSE, OTHER = 0, 1, 2, 3, 4, -1
"""Kinds of call: an unanswered attempt, the contact call, a presentation without an offer, the
presentation that ended in an offer, a closing call, anything else."""
NAMES = {DIAL: "dial", CONTACT: "contact call", PRESENT: "presentation, no offer",
         OFFER: "presentation, offer", CLOSE: "closing call"}
"""The kinds as people read them."""
SAME_MOMENT = 1.0 / 60.0
"""Minutes within which a call's start is the offer's moment: an export's times are whole seconds,
each rounded on its own (``simsales run --events`` writes a presentation of no minutes 1 s apart)."""


def offer_times(frame: Frame) -> np.ndarray:
    """Per lead, when its offer was entered (the first ``invoice`` or ``link_sent``; NaN: none), minutes."""
    invoice = frame.stage.get("invoice", np.full(frame.n, np.nan))
    link = frame.stage.get("link_sent", np.full(frame.n, np.nan))
    return np.fmin(invoice, link)


def call_kinds(frame: Frame) -> np.ndarray:
    """The kind of each row of ``frame.calls`` (see the module docstring).

    Args:
        frame: the window's data (calls sorted by lead, then time).

    Returns:
        One of :data:`DIAL`, :data:`CONTACT`, :data:`PRESENT`, :data:`OFFER`,
        :data:`CLOSE`, :data:`OTHER` per call.
    """
    calls = frame.calls
    n = len(calls)
    kinds = np.full(n, OTHER, dtype=np.int64)
    if n == 0:
        return kinds
    lead = calls["lead"].to_numpy()
    t = calls["t"].to_numpy()
    answered = calls["answered"].to_numpy()
    is_call = calls["kind"].to_numpy() != "message"
    new = np.ones(n, dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    group = np.cumsum(new) - 1
    before = np.cumsum(answered) - answered  # answered rows before this one ...
    before -= before[np.flatnonzero(new)][group]  # ... within the lead
    offer = offer_times(frame)[lead]
    kinds[(before == 0) & ~answered] = DIAL
    kinds[(before == 0) & answered] = CONTACT
    after = (before > 0) & answered
    # A call that starts at the offer's moment (to the second) is the presentation that ended in it
    # when no presentation came before (a call of no minutes, the model's default presentation:
    # the offer is entered as it starts), else a closing call.
    early = after & (t < offer)
    presented = np.cumsum(early) - early
    presented -= presented[np.flatnonzero(new)][group]  # presentations before this row, within the lead
    closing = after & (t >= offer) & ~((presented == 0) & (t <= offer + SAME_MOMENT))
    presenting = after & ~closing
    kinds[closing] = CLOSE
    kinds[presenting] = PRESENT
    # The presentation that ended in the offer: the lead's last one before its offer.
    rows = np.flatnonzero(presenting & np.isfinite(offer))
    last = np.full(frame.n, -1, dtype=np.int64)
    np.maximum.at(last, lead[rows], rows)
    kinds[last[last >= 0]] = OFFER
    kinds[~is_call] = OTHER
    return kinds


def presenters(frame: Frame, kinds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per lead, who made its last presentation call and when it began (-1 and NaN: none in the log).

    That call ended in the offer, or without one: the presentation's outcome is its maker's.

    Args:
        frame: the window's data.
        kinds: :func:`call_kinds` of ``frame.calls`` (None: read here).

    Returns:
        ``(manager, start)`` per lead: an index into ``frame.staff`` (-1: none or unknown) and minutes.
    """
    kinds = call_kinds(frame) if kinds is None else kinds
    rows = np.flatnonzero((kinds == PRESENT) | (kinds == OFFER))  # sorted by lead, then time
    lead = frame.calls["lead"].to_numpy()[rows]
    manager, start = np.full(frame.n, -1, dtype=np.int64), np.full(frame.n, np.nan)
    manager[lead] = frame.calls["manager"].to_numpy()[rows]  # the last row of each lead is kept
    start[lead] = frame.calls["t"].to_numpy()[rows]
    return manager, start


def contact_manager(frame: Frame, kinds: np.ndarray) -> np.ndarray:
    """Per lead, the manager of its contact call (-1: none known); ``kinds``: :func:`call_kinds`."""
    lead, manager = frame.calls["lead"].to_numpy(), frame.calls["manager"].to_numpy()
    out = np.full(frame.n, -1, dtype=np.int64)
    is_contact = (kinds == CONTACT) & (manager >= 0)
    out[lead[is_contact]] = manager[is_contact]
    return out
