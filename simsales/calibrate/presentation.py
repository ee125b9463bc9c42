"""The wait for the presentation: ``funnel.presentation_within_days`` and ``funnel.cooling`` (MODEL.md 5).

A qualified lead (the ``qualified`` entry: the end of the contact call)
either has its presentation (the offer stage's entry, ``invoice`` or
``link_sent``, or a loss whose reason names no offer: the presentation
ended without one) or is lost for want of one (a loss whose reason names
the presentation).

- ``presentation_within_days``: the median of the days from ``qualified``
  to the losses for no presentation (a CRM closes them when the limit
  passes), when at least :data:`FEW` such losses are marked.
- ``cooling.half_life_days``: the offer chance of the presentations held
  against their wait (days from ``qualified`` to the presentation's end),
  by maximum likelihood of ``p0 * 0.5 ** (wait / half_life)`` with a ``p0``
  per manager (the owner: skill and ramp differ, and the better managers may
  be the busier ones, with longer waits) over a grid of half-lives; its
  90% interval is where twice the log-likelihood is within 2.71 of its
  best.  The rule is switched on only when no cooling fails a 1%
  likelihood-ratio test (a rule read into noise would cost every forecast
  offers).  The floor is not identified where the waits stay short (it
  binds only past them): it is kept at 0.

The scenario multiplies the offer chance by the cooling factor and drops
the presentations not held, so the offer rate the funnel fits (offers per
qualified lead decided) is divided by :func:`offer_divisor`: the share of
decided leads that got a presentation times the mean cooling factor of
the presentations held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

FEW = 30
"""Fewer marked losses or presentations than this: the rule stays at its default."""
HALF_LIVES = np.geomspace(0.25, 400.0, 400)
"""The half-lives tried, days."""
CHI2_90 = 2.706
"""Twice the log-likelihood drop of a 90% profile interval (one parameter)."""
CHI2_ON = 6.635
"""Cooling is switched on only when no cooling is this far below the best (a 1% test): a rule read
into noise would cost every forecast offers."""
NO_OFFER = ("no_offer", "no offer")
NO_PRESENTATION = ("no_presentation", "no presentation")


@dataclass(frozen=True)
class Presentations:
    """The qualified leads' presentations.

    Attributes:
        wait: per presentation held, days from qualified to its end.
        offer: per presentation held, whether it ended in an offer.
        manager: per presentation held, its lead's owner (index into staff, -1 unknown).
        missed: per loss for no presentation, days from qualified to the loss.
    """

    wait: np.ndarray
    offer: np.ndarray
    manager: np.ndarray
    missed: np.ndarray


def lost_for(frame: Frame, words: tuple[str, ...]) -> np.ndarray:
    """Per lead, whether its loss reason contains any of ``words`` (e.g. :data:`NO_PRESENTATION`)."""
    r = frame.loss_reason
    return np.logical_or.reduce([np.char.find(r.astype(str), w) >= 0 for w in words])


def read_presentations(frame: Frame) -> Presentations:
    """The presentations held and missed, from the stages and the loss reasons."""
    q = frame.stage["qualified"]
    with np.errstate(all="ignore"):
        offer_t = np.fmin(frame.stage["invoice"], frame.stage["link_sent"])
    lost_t = frame.stage["lost"]
    qual = np.isfinite(q)
    offered = qual & np.isfinite(offer_t)
    no_offer = qual & ~offered & np.isfinite(lost_t) & lost_for(frame, NO_OFFER)
    missed = qual & ~offered & np.isfinite(lost_t) & lost_for(frame, NO_PRESENTATION)
    held = offered | no_offer
    end = np.where(offered, offer_t, lost_t)
    return Presentations(
        wait=np.maximum(end[held] - q[held], 0.0) / MINUTES_PER_DAY,
        offer=offered[held],
        manager=frame.owner[held],
        missed=np.maximum(lost_t[missed] - q[missed], 0.0) / MINUTES_PER_DAY,
    )


def scaled_bernoulli(g: np.ndarray, y: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, float]:
    """Maximum likelihood of ``y ~ Bernoulli(c[group] * g)`` in ``c`` (bisecting each group's score).

    Args:
        g: per case, its known multiplier (> 0).
        y: per case, the outcome.
        group: per case, its group 0..k-1.

    Returns:
        ``c`` per group, and the log-likelihood at it.
    """
    k = int(group.max()) + 1
    gmax = np.zeros(k)
    np.maximum.at(gmax, group, g)
    lo, hi = np.full(k, 1e-6), 1.0 / np.maximum(gmax, 1e-12) - 1e-9
    for _ in range(50):  # the score in c falls: bisect its root, every group at once
        c = 0.5 * (lo + hi)
        p = c[group] * g
        terms = np.where(y, 1.0 / c[group], -g / np.maximum(1 - p, 1e-12))
        up = np.bincount(group, weights=terms, minlength=k) > 0
        lo, hi = np.where(up, c, lo), np.where(up, hi, c)
    p = np.clip(c[group] * g, 1e-12, 1 - 1e-12)
    return c, float(np.sum(np.where(y, np.log(p), np.log1p(-p))))


def _loglik(wait: np.ndarray, y: np.ndarray, group: np.ndarray,
            half_life: float) -> tuple[np.ndarray, float]:
    """The best ``p0`` per group (manager) for a half-life, and the log-likelihood."""
    g = 0.5 ** (wait / half_life) if math.isfinite(half_life) else np.ones_like(wait)
    return scaled_bernoulli(g, y, group)


COARSE = 10
"""The profile is read on every COARSE-th half-life first, then on every one near its top."""


def _profile(wait: np.ndarray, y: np.ndarray, group: np.ndarray) -> np.ndarray:
    """The log-likelihood at each of :data:`HALF_LIVES`; -inf where it is far below the top.

    The profile in the half-life is smooth: read on a coarse grid first, then on the fine grid
    between the coarse points whose drop from the coarse top is within the 90% interval's (with
    room), so the maximum and the interval are the fine grid's at a tenth of the cost.
    """
    coarse = np.arange(0, HALF_LIVES.size, COARSE)
    if coarse[-1] != HALF_LIVES.size - 1:
        coarse = np.append(coarse, HALF_LIVES.size - 1)
    rough = np.array([_loglik(wait, y, group, HALF_LIVES[i])[1] for i in coarse])
    near = np.flatnonzero(2 * (rough.max() - rough) <= CHI2_90 + 4.0)
    lo, hi = coarse[max(near.min() - 1, 0)], coarse[min(near.max() + 1, coarse.size - 1)]
    lls = np.full(HALF_LIVES.size, -np.inf)
    lls[coarse] = rough
    for i in range(lo, hi + 1):
        if not np.isfinite(lls[i]):
            lls[i] = _loglik(wait, y, group, HALF_LIVES[i])[1]
    return lls


def fit_cooling(wait: np.ndarray, y: np.ndarray, group: np.ndarray | None = None) -> dict:
    """Maximum likelihood of ``p0[manager] * 0.5 ** (wait / half_life)`` over :data:`HALF_LIVES` (and none).

    Each manager has their own ``p0`` (skill and ramp differ, and the
    better managers may be the busier ones, with longer waits): the
    half-life is read within managers.

    Args:
        wait: days from qualified to each presentation.
        y: whether each ended in an offer.
        group: per presentation, its manager's number 0..k-1 (None: one group).

    Returns:
        ``half_life`` (days; inf: no cooling), ``lo`` and ``hi`` (90% profile interval, inf:
        no bound), ``p0`` (the presentations' mean of their manager's ``p0``) and ``off``
        (whether no cooling passes the 1% test of :data:`CHI2_ON`).
    """
    group = np.zeros(wait.size, dtype=np.int64) if group is None else group
    lls = _profile(wait, y, group)
    p_none, ll_none = _loglik(wait, y, group, math.inf)
    best = int(np.argmax(lls))
    top = lls[best]
    inside = 2 * (top - lls) <= CHI2_90
    off = 2 * (max(top, ll_none) - ll_none) <= CHI2_ON
    h = float(HALF_LIVES[best]) if top > ll_none else math.inf
    p0 = _loglik(wait, y, group, h)[0] if math.isfinite(h) else p_none
    lo = float(HALF_LIVES[inside].min()) if inside.any() else h
    hi = math.inf if off or inside[-1] else float(HALF_LIVES[inside].max())
    return {"half_life": h, "lo": lo, "hi": hi, "p0": float(np.mean(p0[group])), "off": off}


def offer_divisor(pres: Presentations, half_life: float | None) -> float:
    """What the funnel's fitted offer rate is divided by once these rules are in the scenario.

    Args:
        pres: the presentations read.
        half_life: the fitted half-life, days (None: no cooling).

    Returns:
        The share of decided qualified leads that got a presentation (when losses for no
        presentation are marked) times the mean cooling factor of those held.
    """
    held = pres.wait.size
    if not held:
        return 1.0
    share = held / (held + pres.missed.size)
    cool = float(np.mean(0.5 ** (pres.wait / half_life))) if half_life else 1.0
    return share * cool


def fit_presentation(frame: Frame) -> tuple[Part, float]:
    """``funnel.presentation_within_days`` and ``funnel.cooling`` (see the module docstring).

    Args:
        frame: the window's data.

    Returns:
        The part, and the divisor of the offer rate (:func:`offer_divisor`; 1 if nothing is fitted).
    """
    part = Part()
    pres = read_presentations(frame)
    within = None
    if pres.missed.size >= FEW:
        within = float(np.median(pres.missed))
        part.set(
            "funnel.presentation_within_days",
            sig(within, 3),
            f"from {count(pres.missed.size)} qualified leads lost for no presentation, {frame.period}: the "
            f"median days from qualified to the loss (P10..P90 {np.quantile(pres.missed, 0.1):.2f}.."
            f"{np.quantile(pres.missed, 0.9):.2f})",
        )
    else:
        part.defaults.append("funnel.presentation_within_days")
    offers = count(int(pres.offer.sum()))
    src = f"from {count(pres.wait.size)} presentations held ({offers} offers), {frame.period}"
    if pres.wait.size < FEW or pres.offer.all() or not pres.offer.any() or (~pres.offer).sum() < FEW:
        part.defaults.append("funnel.cooling")
        return part, (offer_divisor(pres, None) if within is not None else 1.0)
    _, group = np.unique(pres.manager, return_inverse=True)  # unknown owners (-1) form one group
    fit = fit_cooling(pres.wait, pres.offer, group.astype(np.int64))
    half_life = None
    if fit["off"] or not math.isfinite(fit["half_life"]):
        part.defaults.append("funnel.cooling")
    else:
        half_life = fit["half_life"]
        hi = "no cooling" if not math.isfinite(fit["hi"]) else f"{fit['hi']:.1f}"
        part.set(
            "funnel.cooling",
            {"half_life_days": sig(half_life, 3), "floor": 0.0},
            f"{src}: the offer chance against the days from qualified to the presentation within each "
            f"manager, maximum likelihood, half-life {half_life:.1f} days (90% {fit['lo']:.1f}..{hi}); the "
            f"floor is not identified within the waits seen (longest {pres.wait.max():.1f} days)",
        )
    _figure(part, pres, fit, half_life)
    divisor = offer_divisor(pres, half_life) if (within is not None or half_life) else 1.0
    return part, divisor


def _figure(part: Part, pres: Presentations, fit: dict, half_life: float | None) -> None:
    edges = np.unique(np.quantile(pres.wait, np.linspace(0, 1, 9)))
    if edges.size < 3:
        return
    b = np.clip(np.searchsorted(edges, pres.wait, side="right") - 1, 0, edges.size - 2)
    n = np.bincount(b, minlength=edges.size - 1).astype(float)
    k = np.bincount(b, weights=pres.offer, minlength=edges.size - 1)
    mid = np.bincount(b, weights=pres.wait, minlength=edges.size - 1) / np.maximum(n, 1)
    rate = k / np.maximum(n, 1)
    se = np.sqrt(rate * (1 - rate) / np.maximum(n, 1))
    curve = fit["p0"] * (0.5 ** (mid / half_life) if half_life else np.ones_like(mid))
    part.fits.append(Fit(
        "funnel.cooling", "Offer chance against the wait for the presentation",
        [round(float(x), 2) for x in mid], rate, curve, rate - 1.645 * se, rate + 1.645 * se,
        kind="interval", xlabel="days from qualified to the presentation (mean of each eighth)",
        ylabel="offers per presentation", n=int(pres.wait.size),
        note="a qualified client cools: the fitted curve halves every half_life_days"))
