"""The talk share and the CRM minutes, jointly, from how soon one call follows the last when work was waiting.

In the model (:mod:`simsales.engines.des`, :func:`simsales.engines.workday.split_work`)
a call or dial keeps its manager busy for its base minutes over
``talk_share`` and over the manager's ramp throughput, then for the CRM
minutes of the event (``team.crm_minutes``): ``attempt`` after every
attempt, ``contact`` more after a contact call (and after a closing call,
as after any call that reaches the person), ``offer`` after a presentation
that ends in an invoice or link, none after one that does not.  The
telephony's ``duration_s`` is the call's own minutes at the manager's ramp
speed, so with ``d`` that duration and ``c`` the CRM minutes of the call's
kind (:mod:`simsales.calibrate.call_kinds`) the manager is busy exactly

    d / talk_share + c      (ramp or not: the throughput is inside ``d``)

and, a free manager on shift starting the next due task at once, the next
call of a manager whose next call was due already as this one began starts
that long after it.  A manager who waited for work starts later: such pairs
lie above the line, never below it.

The fit: over pairs of one manager's consecutive calls on one day whose
second is touch-chain attempt ``k`` of a lead created ``offsets[k]`` or
more before the first began, the slope ``1 / talk_share`` is the one that
piles the most pairs of each kind onto a line of their own (the residuals
``gap - d / talk_share`` of a kind pile up in a band :data:`BAND` wide at
its CRM minutes); the kinds' piles are the estimate, refined by least
squares on the pairs in them (one slope, one intercept per kind), whose
covariance gives the uncertainty.  The contact and closing calls vary in
length, so they tell the slope; the dials tell ``attempt``, the contact and
closing calls ``attempt + contact``, the presentations that ended in an
offer ``offer`` (those that did not pile at 0, a check).  A kind whose
residuals do not pile up (the pace of the calls is not the model's, or too
few pairs) tells nothing; what no kind tells keeps its default and is
listed.  Times in minutes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simsales.calibrate.call_kinds import CLOSE, CONTACT, DIAL, NAMES, OFFER, PRESENT, call_kinds
from simsales.calibrate.fit import Fit, Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

DEFAULT_TALK_SHARE = 0.6
"""The scenario's default talk share, kept when the data cannot tell it."""
BAND = 0.05
"""The width of the band (minutes, 3 seconds) a kind's residuals pile up in: timestamps are whole seconds."""
MIN_PAIRS = 30
"""Pairs in a kind's band needed to call it a pile."""
STANDOUT = 3.0
"""The band holds at least this many times the pairs of an equal band just below it."""
SHARES = np.arange(0.05, 1.0001, 0.005)
"""The talk shares tried first; the best is refined on a grid 100 times finer around it."""
MAX_GRID_PAIRS = 20_000
"""Pairs per kind the grid search scores on (evenly spaced); the final fit uses every pair."""
MIN_SE_SHARE = 0.002
MIN_SE_MINUTES = 0.01
KINDS = (DIAL, CONTACT, PRESENT, OFFER, CLOSE)


def pace_pairs(frame: Frame, attempts: pd.DataFrame, offsets: np.ndarray) -> pd.DataFrame:
    """Pairs of one manager's consecutive calls on one day whose second was due as the first began.

    Args:
        frame: the window's data.
        attempts: the touch-chain attempts (:func:`simsales.calibrate.touch.chain_attempts`),
            indexed like ``frame.calls``.
        offsets: the planned offsets, minutes after creation, per attempt.

    Returns:
        One row per pair: ``manager``, ``kind`` (of the first call), ``minutes`` (its duration)
        and ``gap`` (minutes from its start to the next call's start).
    """
    calls = frame.calls
    kinds = call_kinds(frame)
    due = np.full(len(calls), np.inf)
    k = attempts["k"].to_numpy()
    inside = k < len(offsets)
    rows = attempts.index.to_numpy()[inside]
    due[rows] = frame.created[attempts["lead"].to_numpy()[inside]] + offsets[k[inside]]
    manager = calls["manager"].to_numpy()
    t = calls["t"].to_numpy()
    if len(t) < 2:
        return pd.DataFrame({"manager": manager[:0], "kind": kinds[:0], "minutes": t[:0], "gap": t[:0]})
    span = float(t.max() - t.min()) + 1.0  # by manager, then time: one float key
    order = np.argsort(manager * span + (t - t.min()), kind="stable")
    manager, t, due, kinds = manager[order], t[order], due[order], kinds[order]
    minutes = calls["duration_s"].to_numpy()[order] / 60.0
    day = np.floor(calls["wall"].to_numpy()[order] / MINUTES_PER_DAY)
    gap = t[1:] - t[:-1]
    ok = (
        (manager[1:] == manager[:-1])
        & (manager[:-1] >= 0)
        & (day[1:] == day[:-1])
        & (due[1:] <= t[:-1])
        & (gap > 0)
        & np.isfinite(minutes[:-1])
        & (minutes[:-1] > 0)
        & (kinds[:-1] >= 0)
    )
    return pd.DataFrame(
        {"manager": manager[:-1][ok], "kind": kinds[:-1][ok], "minutes": minutes[:-1][ok], "gap": gap[ok]}
    )


def densest(residual: np.ndarray) -> tuple[int, float, int]:
    """The band :data:`BAND` wide holding the most residuals.

    Args:
        residual: minutes, any order.

    Returns:
        ``(pairs in it, its lower edge, pairs in the equal band just below it)``.
    """
    r = np.sort(residual)
    top = np.searchsorted(r, r + BAND, side="right")
    inside = top - np.arange(len(r))
    i = int(np.argmax(inside))
    below = i - int(np.searchsorted(r, r[i] - BAND, side="left"))
    return int(inside[i]), float(r[i]), below


def _score(pairs: dict[int, tuple[np.ndarray, np.ndarray]], share: float) -> int:
    return sum(densest(g - d / share)[0] for d, g in pairs.values())


def _best_share(pairs: dict[int, tuple[np.ndarray, np.ndarray]]) -> float:
    """The talk share that piles the most pairs onto their kinds' lines (a coarse grid, then a fine one)."""
    thin = {}
    for kind, (d, g) in pairs.items():
        pick = np.linspace(0, len(d) - 1, min(len(d), MAX_GRID_PAIRS)).astype(np.int64)
        thin[kind] = (d[pick], g[pick])
    coarse = max(SHARES, key=lambda s: _score(thin, float(s)))
    step = SHARES[1] - SHARES[0]
    fine = np.arange(coarse - step, coarse + step + 1e-12, step / 100)
    return float(max(fine[fine > 0], key=lambda s: _score(thin, float(s))))


def fit_call_time(pairs: pd.DataFrame) -> dict | None:
    """The slope (1 / talk share) and each kind's CRM minutes from the pairs' piles.

    Args:
        pairs: :func:`pace_pairs`.

    Returns:
        None when no kind whose calls vary in length piles up (the slope is not identified); else
        ``share``, ``share_se``, ``c`` and ``c_se`` (per kind that piles up: its intercept and standard
        error, minutes), ``n`` (pairs in each kind's pile) and ``pairs`` (per kind, all its pairs).
    """
    by_kind = {}
    for kind in KINDS:
        sel = pairs["kind"].to_numpy() == kind
        if sel.sum() >= MIN_PAIRS:
            by_kind[kind] = (pairs["minutes"].to_numpy()[sel], pairs["gap"].to_numpy()[sel])
    if not by_kind:
        return None
    share = _best_share(by_kind)
    inliers: dict[int, np.ndarray] = {}
    for kind, (d, g) in by_kind.items():
        r = g - d / share
        n_in, lo, below = densest(r)
        if n_in >= MIN_PAIRS and n_in >= STANDOUT * max(below, 1):
            inliers[kind] = (r >= lo) & (r <= lo + BAND)
    varied = [k for k in inliers if np.ptp(by_kind[k][0][inliers[k]]) > 10 * BAND]
    if not varied:
        return None
    kinds = sorted(inliers)
    d = np.concatenate([by_kind[k][0][inliers[k]] for k in kinds])
    g = np.concatenate([by_kind[k][1][inliers[k]] for k in kinds])
    which = np.concatenate([np.full(int(inliers[k].sum()), j) for j, k in enumerate(kinds)])
    x = np.column_stack([d, *(which == j for j in range(len(kinds)))]).astype(float)
    beta, *_ = np.linalg.lstsq(x, g, rcond=None)
    dof = max(len(g) - x.shape[1], 1)
    s2 = float(np.sum((g - x @ beta) ** 2)) / dof
    cov = s2 * np.linalg.pinv(x.T @ x)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    slope = float(beta[0])
    return {
        "share": 1.0 / slope,
        "share_se": max(float(se[0]) / slope**2, MIN_SE_SHARE),
        "c": {k: float(beta[j + 1]) for j, k in enumerate(kinds)},
        "c_se": {k: max(float(se[j + 1]), MIN_SE_MINUTES) for j, k in enumerate(kinds)},
        "n": {k: int(inliers[k].sum()) for k in kinds},
        "pairs": by_kind,
    }


def _pooled(fit: dict, kinds: tuple[int, ...]) -> tuple[float, float, int] | None:
    """The kinds' common intercept (inverse-variance mean), its se and pairs; None if none piles up."""
    have = [k for k in kinds if k in fit["c"]]
    if not have:
        return None
    w = np.array([1.0 / fit["c_se"][k] ** 2 for k in have])
    c = np.array([fit["c"][k] for k in have])
    return float(np.sum(w * c) / np.sum(w)), float(1.0 / math.sqrt(np.sum(w))), sum(fit["n"][k] for k in have)


def crm_and_talk_share(frame: Frame, attempts: pd.DataFrame, offsets: np.ndarray) -> Part:
    """``team.talk_share`` and ``team.crm_minutes`` from the pace of back-to-back calls.

    Args:
        frame: the window's data.
        attempts: the touch-chain attempts, indexed like ``frame.calls``.
        offsets: the planned offsets, minutes.

    Returns:
        The fitted fields (or their defaults, listed) and the diagnostics' fits.
    """
    part = Part()
    pairs = pace_pairs(frame, attempts, np.asarray(offsets, dtype=float))
    fit = fit_call_time(pairs)
    crm_paths = ("team.crm_minutes.attempt", "team.crm_minutes.contact", "team.crm_minutes.offer")
    if fit is None:
        why = (f"the calls show no common pace ({count(len(pairs))} pairs of back-to-back calls with work "
               "waiting): the data cannot tell the share of the shift spent on calls nor the CRM minutes")
        part.default("team.talk_share", DEFAULT_TALK_SHARE, why)
        for path in crm_paths:
            part.default(path, 0.0, why)
        return part
    share, se = fit["share"], fit["share_se"]
    half = math.sqrt(6.0) * se  # a triangular with this half-width has sd se
    lo, hi = round(max(share - half, 0.01), 3), round(min(share + half, 1.0), 3)
    mode = round(min(max(share, lo), hi), 3)
    piles = ", ".join(f"{NAMES[k]} {count(n)}" for k, n in fit["n"].items())
    src = (f"{count(len(pairs))} pairs of one manager's consecutive calls with the next one already due, "
           f"{frame.period}")
    part.set(
        "team.talk_share",
        {"triangular": [lo, mode, hi]},
        f"from {src}: the gap to the next call is the call's minutes / {share:.3f} + its kind's CRM minutes "
        f"(pairs on the lines: {piles}); the range is the estimate's standard error x sqrt(6)",
    )
    dial = _pooled(fit, (DIAL,))
    talk = _pooled(fit, (CONTACT, CLOSE))
    offer = _pooled(fit, (OFFER,))
    found: dict[str, tuple[float, float, int] | None] = {
        "team.crm_minutes.attempt": dial,
        "team.crm_minutes.contact": None if dial is None or talk is None else (
            talk[0] - dial[0], math.hypot(talk[1], dial[1]), talk[2]),
        "team.crm_minutes.offer": offer,
    }
    what = {"team.crm_minutes.attempt": "dials", "team.crm_minutes.contact": "contact and closing calls, "
            "less the attempt's", "team.crm_minutes.offer": "presentations that ended in an offer"}
    for path, got in found.items():
        if got is None:
            part.default(path, 0.0, f"no pile of {what[path]} on the line of back-to-back calls")
            continue
        minutes, err, n = got
        part.set(
            path,
            round(max(minutes, 0.0), 2),
            f"from {src}: the gap to the next call less the call's minutes / talk share, for {what[path]} "
            f"({count(n)} pairs): {minutes:.2f} minutes (se {err:.2f}; the field takes one number)",
        )
    part.fits += _fits(fit, pairs)
    return part


def _fits(fit: dict, pairs: pd.DataFrame) -> list[Fit]:
    """The diagnostics: each kind's pile against the model's CRM minutes, and the contact calls' line."""
    share = fit["share"]
    kinds = [k for k in KINDS if k in fit["pairs"]]
    obs, low, up = [], [], []
    for k in kinds:
        d, g = fit["pairs"][k]
        n_in, lo, _ = densest(g - d / share)
        obs.append(lo + BAND / 2 if n_in >= MIN_PAIRS else np.nan)
        low.append(fit["c"].get(k, np.nan) - 1.645 * fit["c_se"].get(k, np.nan))
        up.append(fit["c"].get(k, np.nan) + 1.645 * fit["c_se"].get(k, np.nan))
    a = fit["c"].get(DIAL, 0.0)
    talk = _pooled(fit, (CONTACT, CLOSE))
    model = {DIAL: a, CONTACT: talk[0] if talk else np.nan, CLOSE: talk[0] if talk else np.nan,
             OFFER: fit["c"].get(OFFER, np.nan), PRESENT: 0.0}
    out = [Fit(
        "team.crm_minutes",
        "CRM minutes: the gap to the next call less the call's minutes / talk share, by kind of call",
        [NAMES[k] for k in kinds], np.array(obs), np.array([model[k] for k in kinds]),
        np.array(low), np.array(up), kind="bar", xlabel="the first call of the pair", ylabel="minutes",
        n=len(pairs), note="each kind's pairs pile up at its CRM minutes; a presentation without an offer "
        "at 0",
    )]
    if CONTACT in fit["pairs"] and talk is not None:
        d, g = fit["pairs"][CONTACT]
        edges = np.unique(np.quantile(d, np.linspace(0, 1, 11)))
        b = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, len(edges) - 2)
        ratio = d / np.maximum(g - talk[0], 1e-9)  # each pair's own talk share, given the CRM minutes
        observed = np.full(len(edges) - 1, np.nan)
        for j in range(len(edges) - 1):
            lr = np.sort(np.log(ratio[(b == j) & (ratio > 0)]))
            if len(lr) >= MIN_PAIRS:
                top = np.searchsorted(lr, lr + math.log(1.01), side="right") - np.arange(len(lr))
                i = int(np.argmax(top))
                observed[j] = float(np.exp(np.median(lr[i : i + top[i]])))
        out.append(Fit(
            "team.talk_share",
            "Talk share read from contact calls of each length: where minutes / (gap - CRM minutes) pile up",
            [f"{edges[j]:.1f}-{edges[j + 1]:.1f}" for j in range(len(edges) - 1)], observed,
            np.full(len(edges) - 1, share), kind="bar", xlabel="contact call, minutes", ylabel="talk share",
            n=len(d), note=f"one talk share for calls of every length: {share:.3f}",
        ))
    return out
