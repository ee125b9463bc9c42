"""How fast the export's CRM closes the deals that fail a client step: the weight of a wait.

A deal open at ``start`` at a client step (an ``invoice`` awaiting payment,
a ``link_sent`` awaiting its filling, a ``link_filled`` awaiting the bank)
has waited ``a`` minutes.  Whether it still succeeds depends on how the CRM
closes the deals that fail.  With ``p`` the step's chance, ``S_win`` the
survival of the successes' delay and ``S_lose`` that of the failures' time
to be closed lost, the chance is ``p R / (1 - p + p R)`` with the odds ratio
``R(a) = S_win(a) / S_lose(a)``:

- a CRM whose managers mark a declined invoice lost when the client says no,
  about when a payer would have paid (``S_lose = S_win``), leaves payers and
  decliners open alike: ``R = 1``, the chance is ``p`` whatever the wait;
- a CRM that never closes the decliners (``S_lose = 1``) leaves mostly
  decliners open after a long wait: ``R = S_win``.

Between the two, ``S_lose = S_win ** (1 - w)``: the failures are closed as
if their clock ran ``1 - w`` times as fast, and ``R = S_win ** w``.  The
**weight of a wait** ``w`` (0 to 1) is read from the export's past: among
the deals that entered the step before ``start``, success (the next stage)
and failure (``lost`` at that step) are competing events and the deals
still open at ``start`` are right-censored; the Aalen-Johansen estimate
gives the cumulative incidences ``F_win`` and ``F_lose``, ``p = F_win`` at
the longest wait observed, ``S_win = 1 - F_win / p``, and ``w`` is the
least-squares fit of ``F_lose = (1 - p) (1 - S_win ** (1 - w))`` over the
waits at which at least :data:`MIN_AT_RISK` deals were still open.  One
number per step pools the whole past, so a department with a few hundred
deals gives a stable rule.  A step with fewer than :data:`MIN_OUTCOMES`
closed deals has no weight (NaN): :mod:`simsales.world.pipeline` then takes
``w = 1`` (the deals that fail are never closed), the cautious rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MIN_AT_RISK", "MIN_OUTCOMES", "STEPS", "Incidence", "incidence", "wait_weight", "wait_weights"]

MIN_OUTCOMES = 30
"""Closed deals (succeeded or failed) a step needs before the export's past is read."""

MIN_AT_RISK = 10
"""Deals still open after a wait for that wait to count in the fit."""

STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice": ("won", ("link_sent",)),
    "link_sent": ("link_filled", ()),
    "link_filled": ("bank_approved", ()),
}
"""Per client step: the stage its success enters, and stages whose entry means the deal left the step
another way (an invoice turned into an installment link is not an invoice's outcome)."""

_WEIGHTS = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class Incidence:
    """The Aalen-Johansen estimate of two competing outcomes under right-censoring.

    Attributes:
        times: the distinct durations (minutes), ascending.
        at_risk: deals whose outcome or censoring is at or after each time.
        d_win: successes at each time.
        d_lose: failures at each time.
        before: the all-cause survival just before each time.
        win: the cumulative incidence of success just after each time.
        lose: the cumulative incidence of failure just after each time.
    """

    times: np.ndarray
    at_risk: np.ndarray
    d_win: np.ndarray
    d_lose: np.ndarray
    before: np.ndarray
    win: np.ndarray
    lose: np.ndarray


def incidence(duration: np.ndarray, succeeded: np.ndarray, failed: np.ndarray) -> Incidence:
    """The cumulative incidences of success and failure (Aalen-Johansen).

    Args:
        duration: per deal, minutes from entering the step to its outcome, or to ``start`` if
            neither happened by then (censored).
        succeeded: per deal, True where it succeeded at ``duration``.
        failed: per deal, True where it failed at ``duration`` (never both).

    Returns:
        The estimate on the distinct durations.
    """
    order = np.argsort(duration, kind="stable")
    t, win, lose = duration[order], succeeded[order], failed[order]
    times, first = np.unique(t, return_index=True)
    at_risk = t.size - first
    d_win = np.add.reduceat(win.astype(float), first) if t.size else np.zeros(0)
    d_lose = np.add.reduceat(lose.astype(float), first) if t.size else np.zeros(0)
    survival = np.cumprod(1.0 - (d_win + d_lose) / at_risk)
    before = np.concatenate([[1.0], survival[:-1]])  # all-cause survival just before each time
    win, lose = np.cumsum(before * d_win / at_risk), np.cumsum(before * d_lose / at_risk)
    return Incidence(times, at_risk, d_win, d_lose, before, win, lose)


def wait_weight(duration: np.ndarray, succeeded: np.ndarray, failed: np.ndarray) -> float:
    """The weight of a wait ``w`` for one step (module docstring); NaN with too little past.

    Args:
        duration: per past deal, minutes from entering the step to its outcome or to ``start``.
        succeeded: per past deal, True where it succeeded.
        failed: per past deal, True where it failed.

    Returns:
        ``w`` in ``[0, 1]``, or NaN.
    """
    if int(succeeded.sum() + failed.sum()) < MIN_OUTCOMES:
        return float("nan")
    est = incidence(duration, succeeded, failed)
    p = est.win[-1]
    if not 0.0 < p < 1.0:
        return float("nan")
    use = est.at_risk >= MIN_AT_RISK
    s_win = np.clip(1.0 - est.win[use] / p, 0.0, 1.0)
    model = (1.0 - p) * (1.0 - s_win[None, :] ** (1.0 - _WEIGHTS[:, None]))
    error = ((model - est.lose[use][None, :]) ** 2).sum(axis=1)
    return float(_WEIGHTS[np.argmin(error)])


def wait_weights(entered: dict[str, np.ndarray]) -> dict[str, float]:
    """Per client step, the weight of a wait read from the export's past.

    Args:
        entered: per stage name, per lead of the export, the minute it was entered before ``start``
            (NaN: not by then); ``won`` includes a payment received before ``start``.

    Returns:
        Per step of :data:`STEPS`, ``w`` (NaN: too little past).
    """
    weights = {}
    for step, (success, elsewhere) in STEPS.items():
        entry = entered[step]
        past = ~np.isnan(entry)
        for stage in elsewhere:
            past &= np.isnan(entered[stage])
        won_at, lost_at = entered[success] - entry, entered["lost"] - entry
        succeeded = past & ~np.isnan(won_at)
        failed = past & ~succeeded & ~np.isnan(lost_at)
        duration = np.maximum(np.where(succeeded, won_at, np.where(failed, lost_at, -entry)), 0.0)
        weights[step] = wait_weight(duration[past], succeeded[past], failed[past])
    return weights
