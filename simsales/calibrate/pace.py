"""The talk share from the managers' pace: how closely one call follows the last when work was waiting.

In the model (:mod:`simsales.engines.des`) a manager's call or dial keeps
them busy for its telephony minutes divided by ``talk_share`` (the rest of
the time is CRM work spread over the calls), and a free manager on shift
starts the next due task at once.  So when the next attempt was already
due as a call started, the next call starts ``duration / talk_share``
later, and ``duration / gap`` *is* the talk share; when the manager had to
wait for work, or did something in between (a presentation call is not a
row of the calls), the ratio is lower.  The ratios of back-to-back calls
pile up at the talk share; that pile is the estimate.

Call time over shift time, the textbook estimate, equals the talk share
only when managers are busy all day; it is biased low otherwise and is
not used.

"Already due": the next call is touch-chain attempt ``k`` of a lead created
``offsets[k]`` (the planned offsets, :mod:`simsales.calibrate.offsets`)
or more before the call started.  The estimate is the densest narrow band
(3% wide) of ``log(duration / gap)`` over such pairs of one manager's
consecutive calls on one day, each manager's own where they have enough
pairs; the team's value is their mean, its uncertainty the spread of the
managers' values over their number (at least the band's own precision).
When no band stands out (the ratios show no common pace), the data cannot
identify the talk share and it keeps its default.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simsales.calibrate.fit import Fit, Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

DEFAULT = 0.6
"""The scenario's default talk share, kept when the data cannot tell it."""
BAND = math.log(1.03)
"""The width of the band (in log ratio) whose pile of pairs is the estimate: 3%."""
MIN_PAIRS = 30
"""Pairs in the band needed to call it a pile (the team's, or one manager's)."""
STANDOUT = 3.0
"""The band holds at least this many times the pairs of an equal band just below it."""
MIN_SE = 0.002


def pace_pairs(frame: Frame, attempts: pd.DataFrame, offsets: np.ndarray) -> pd.DataFrame:
    """Pairs of one manager's consecutive calls on one day where the second was due as the first began.

    Args:
        frame: the window's data.
        attempts: the touch-chain attempts (:func:`simsales.calibrate.touch.chain_attempts`),
            indexed like ``frame.calls``.
        offsets: the planned offsets, minutes after creation, per attempt.

    Returns:
        One row per pair: ``manager``, ``ratio`` (the first call's duration over the gap to the
        second), ``minutes`` (the first call's duration, minutes).
    """
    calls = frame.calls
    due = np.full(len(calls), np.inf)
    k = attempts["k"].to_numpy()
    inside = k < len(offsets)
    rows = attempts.index.to_numpy()[inside]
    due[rows] = frame.created[attempts["lead"].to_numpy()[inside]] + offsets[k[inside]]
    manager = calls["manager"].to_numpy()
    t = calls["t"].to_numpy()
    if len(t) == 0:
        return pd.DataFrame({"manager": manager, "ratio": t, "minutes": t})
    # By manager, then time: one float key sorts faster than np.lexsort (about 2x on 5M calls).
    span = float(t.max() - t.min()) + 1.0
    order = np.argsort(manager * span + (t - t.min()))
    manager, t, due = manager[order], t[order], due[order]
    minutes = calls["duration_s"].to_numpy()[order] / 60.0
    day = np.floor(calls["wall"].to_numpy()[order] / MINUTES_PER_DAY)
    gap = t[1:] - t[:-1]
    ok = (
        (manager[1:] == manager[:-1])
        & (manager[1:] >= 0)
        & (day[1:] == day[:-1])
        & (due[1:] <= t[:-1])
        & (gap > 0)
        & (minutes[:-1] > 0)
    )
    ratio = minutes[:-1][ok] / gap[ok]
    keep = ratio <= 1.05  # overlapping calls: not one manager's serial work
    return pd.DataFrame(
        {"manager": manager[:-1][ok][keep], "ratio": ratio[keep], "minutes": minutes[:-1][ok][keep]}
    )


def pile(ratio: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The densest 3% band of ratios, if it stands out.

    Args:
        ratio: durations over gaps, each in (0, 1.05].

    Returns:
        The band's median and the ratios in it, or None when no band holds :data:`MIN_PAIRS`
        pairs and :data:`STANDOUT` times the pairs of the band just below it.
    """
    if len(ratio) < MIN_PAIRS:
        return None
    lr = np.sort(np.log(ratio))
    top = np.searchsorted(lr, lr + BAND, side="right")
    inside = top - np.arange(len(lr))
    i = int(np.argmax(inside))
    below = i - int(np.searchsorted(lr, lr[i] - BAND, side="left"))
    if inside[i] < MIN_PAIRS or inside[i] < STANDOUT * max(below, 1):
        return None
    band = np.exp(lr[i : top[i]])
    return float(np.median(band)), band


def fit_talk_share(frame: Frame, attempts: pd.DataFrame, offsets: np.ndarray) -> Part:
    """``team.talk_share`` from the spacing of back-to-back calls.

    Args:
        frame: the window's data.
        attempts: the touch-chain attempts, indexed like ``frame.calls``.
        offsets: the planned offsets, minutes.

    Returns:
        ``team.talk_share`` (a triangular distribution, or the default) and its fit.
    """
    part = Part()
    pairs = pace_pairs(frame, attempts, np.asarray(offsets, dtype=float))
    team = pile(pairs["ratio"].to_numpy())
    if team is None:
        part.default(
            "team.talk_share",
            DEFAULT,
            f"the calls show no common pace ({count(len(pairs))} pairs of back-to-back calls with work "
            "waiting): the data cannot tell the share of the shift spent on calls",
        )
        return part
    value, band = team
    per_manager = []
    for _, r in pairs.groupby("manager")["ratio"]:
        own = pile(r.to_numpy())
        if own is not None:
            per_manager.append(own[0])
    within = float(np.std(band) / math.sqrt(len(band)))
    if len(per_manager) >= 2:
        value = float(np.mean(per_manager))
        se = max(float(np.std(per_manager, ddof=1) / math.sqrt(len(per_manager))), within, MIN_SE)
    else:
        se = max(within, MIN_SE)
    half = math.sqrt(6.0) * se  # a triangular with this half-width has sd se
    lo, hi = round(max(value - half, 0.01), 3), round(min(value + half, 1.0), 3)
    mode = round(min(max(value, lo), hi), 3)
    spread = (
        f"; {len(per_manager)} managers' own paces {min(per_manager):.3f}..{max(per_manager):.3f}"
        if per_manager
        else ""
    )
    part.set(
        "team.talk_share",
        {"triangular": [lo, mode, hi]},
        f"from {count(len(pairs))} pairs of one manager's consecutive calls with the next one already due, "
        f"{frame.period}: the call's minutes over the time to the next call pile up at {value:.3f} "
        f"({count(len(band))} pairs){spread}; the range is the estimate's standard error x sqrt(6)",
    )
    grid = np.linspace(0, 1.05, 22)
    hist = np.histogram(pairs["ratio"].to_numpy(), bins=grid)[0] / len(pairs)
    part.fits.append(
        Fit(
            "team.talk_share",
            "Talk share: a call's minutes over the time to the next call, when work was waiting",
            [f"{g:.2f}" for g in grid[:-1]],
            hist,
            np.full(len(hist), np.nan),
            kind="bar",
            xlabel="call minutes / minutes to the next call",
            ylabel="share of pairs",
            n=len(pairs),
            note=f"back-to-back calls pile up at the talk share: {value:.3f} (scenario {lo:.3f} to {hi:.3f})",
        )
    )
    return part
