"""The touch chain: attempt offsets, contact chance per attempt, its decay with lead age, call minutes.

A lead's touch chain in the data is its calls up to and including the
first answered one (later calls are the funnel's: presentation, closing).
Attempt ``k`` is the lead's ``k``-th such call.  The scenario's chance
that attempt ``k`` reaches the person is ``min(1, p_contact[k] x
contact_factor) x max(floor, 0.5 ** (age / half_life))``
(:mod:`simsales.world.contact`), ``age`` the minutes since creation, and 0
for a lead with a broken number; all of it is fitted jointly, per lead, by
:mod:`simsales.calibrate.reach`, started from :func:`fit_contact` (one
chance per attempt and the decay, no broken numbers: maximum likelihood on
the attempts grouped by attempt number and fine bins of age).  The contact
call's minutes are fitted on the target leads' contact calls, the
non-target call's on the non-target leads'.  The chain's length is the
attempt count that 95% of leads old enough to have finished it do not
exceed; each offset is the planned one, where the ages at that attempt
pile up (:mod:`simsales.calibrate.offsets`), not their median (which holds
the waits for a free manager the simulation adds itself).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special

from simsales.calibrate.channels import nontarget_flags
from simsales.calibrate.fit import Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.mle import covariance
from simsales.calibrate.offsets import planned_offsets
from simsales.calibrate.reach import MAX_LEADS_PER_CHANNEL, Reach, fit_reach
from simsales.calibrate.stats import beta_moments, lognormal_fit
from simsales.calibrate.touch_fits import touch_fits
from simsales.scenario.limits import MAX_ATTEMPTS

AGE_EDGES = np.concatenate([[0.0], np.geomspace(0.5, 60 * MINUTES_PER_DAY, 90), [np.inf]])
"""Bins of lead age (minutes) the contact likelihood groups attempts by."""
CHAIN_QUANTILE = 0.95
"""The chain's length: the attempt count this share of finished leads does not exceed."""
DEFAULT_TTL_DAYS = 7


def chain_attempts(frame: Frame) -> pd.DataFrame:
    """The touch-chain attempts: every lead's calls up to and including its first answered one.

    Args:
        frame: the window's data.

    Returns:
        The calls, with ``k`` (attempt number, 0-based) and ``age`` (minutes since the lead's creation).
    """
    calls = frame.calls
    lead = calls["lead"].to_numpy()
    age = calls["t"].to_numpy() - frame.created[lead]
    answered = calls["answered"].to_numpy()
    early = age < -1.0  # a call more than a minute before its lead was created
    if early.any():
        frame.warnings.append(
            f"{count(early.sum())} calls start before their lead was created (impossible "
            f"timestamps, e.g. lead {frame.lead_ids[lead[early][0]]}); they are left out"
        )
    n = len(lead)
    new = np.ones(n, dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    start = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    k = np.arange(n) - start[group]
    before = np.cumsum(answered) - answered  # answered calls before this one, overall
    before -= before[start][group]  # ... within the lead
    keep = (before == 0) & ~early
    out = calls[keep].copy()
    out["k"] = k[keep]
    out["age"] = np.maximum(age[keep], 0.0)
    return out


def contact_nll(theta: np.ndarray, k: np.ndarray, age: np.ndarray, n: np.ndarray, x: np.ndarray) -> float:
    """The negative log-likelihood of answered flags under ``p_contact[k] x max(floor, 0.5 ** (age / h))``.

    Args:
        theta: ``K`` logits of ``p_contact``, then log half-life (minutes), then the floor's logit.
        k: per group, the attempt number.
        age: per group, the mean age, minutes.
        n: per group, the attempts.
        x: per group, the answered ones.

    Returns:
        The negative log-likelihood.
    """
    kk = len(theta) - 2
    p = special.expit(theta[:kk])[k]
    decay = np.maximum(special.expit(theta[-1]), np.exp2(-age / math.exp(theta[-2])))
    q = np.clip(p * decay, 1e-12, 1 - 1e-12)
    return -float(np.sum(x * np.log(q) + (n - x) * np.log1p(-q)))


def fit_contact(k: np.ndarray, age: np.ndarray, answered: np.ndarray, chain: int) -> dict:
    """Fit the contact chance per attempt and its decay with age.

    Args:
        k: per attempt, its number (attempts at ``chain`` or later are left out).
        age: per attempt, the lead's age then, minutes.
        answered: per attempt, whether the person was reached.
        chain: the chain's length.

    Returns:
        ``p`` (per attempt), ``p_var``, ``half_life`` (minutes), ``floor``, their standard
        errors ``half_life_se`` and ``floor_se``, the groups (``k``, ``age``, ``n``, ``x``) and
        the fitted chance per group ``q``.
    """
    keep = k < chain
    k, age, answered = k[keep], age[keep], answered[keep]
    b = np.searchsorted(AGE_EDGES, age, side="right") - 1
    key = k * len(AGE_EDGES) + b
    u, inv = np.unique(key, return_inverse=True)
    n = np.bincount(inv).astype(float)
    x = np.bincount(inv, weights=answered.astype(float))
    mean_age = np.bincount(inv, weights=age) / n
    gk = u // len(AGE_EDGES)
    per_k_n = np.bincount(gk, weights=n, minlength=chain)
    per_k_x = np.bincount(gk, weights=x, minlength=chain)
    rate = np.clip((per_k_x + 0.5) / (per_k_n + 1.0), 1e-4, 1 - 1e-4)
    x0 = np.concatenate([special.logit(rate), [math.log(360.0), 0.0]])
    bounds = [(-12.0, 12.0)] * chain + [(0.0, math.log(60 * MINUTES_PER_DAY)), (-10.0, 10.0)]

    def nll(t):
        return contact_nll(t, gk, mean_age, n, x)

    res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=bounds)
    theta = res.x
    cov = covariance(nll, theta)
    p = special.expit(theta[:chain])
    p_var = (p * (1 - p)) ** 2 * np.diag(cov)[:chain]
    h = math.exp(theta[-2])
    floor = float(special.expit(theta[-1]))
    q = p[gk] * np.maximum(floor, np.exp2(-mean_age / h))
    return {
        "p": p,
        "p_var": p_var,
        "n": per_k_n,
        "x": per_k_x,
        "half_life": h,
        "half_life_se": h * math.sqrt(cov[-2, -2]) if np.isfinite(cov[-2, -2]) else math.nan,
        "floor": floor,
        "floor_se": floor * (1 - floor) * math.sqrt(cov[-1, -1]) if np.isfinite(cov[-1, -1]) else math.nan,
        "groups": (gk, mean_age, n, x),
        "q": q,
    }


def chain_length(attempts: pd.DataFrame, frame: Frame) -> int:
    """The planned number of attempts: what 95% of leads old enough to have finished do not exceed."""
    per_lead = np.bincount(attempts["lead"].to_numpy(), minlength=frame.n)
    old = frame.created < frame.end - DEFAULT_TTL_DAYS * MINUTES_PER_DAY
    counts = per_lead[old & (per_lead > 0)] if (old & (per_lead > 0)).any() else per_lead[per_lead > 0]
    if len(counts) == 0:
        return 1
    return int(min(max(np.quantile(counts, CHAIN_QUANTILE, method="lower"), 1), MAX_ATTEMPTS.value))


def reach_of(frame: Frame, attempts: pd.DataFrame, mixture: bool = True) -> Reach | None:
    """The joint fit of who can be reached (:func:`simsales.calibrate.reach.fit_reach`); None without calls.

    Args:
        frame: the window's data.
        attempts: :func:`chain_attempts` of the frame.
        mixture: fit the unreachable shares (False: held at 0, for comparison).

    Returns:
        The fit, started from :func:`fit_contact` (the fit without broken numbers).
    """
    if len(attempts) == 0:
        return None
    chain = chain_length(attempts, frame)
    plain = fit_contact(attempts["k"].to_numpy(), attempts["age"].to_numpy(), attempts["answered"].to_numpy(),
                        chain)
    p = special.logit(np.clip(plain["p"], 1e-4, 1 - 1e-4))
    floor = special.logit(np.clip(plain["floor"], 1e-4, 1 - 1e-4))
    start = np.concatenate([p, [math.log(plain["half_life"]), floor]])
    return fit_reach(attempts, frame, chain, start, mixture)


def fit_touch_chain(frame: Frame, attempts: pd.DataFrame | None = None, reach: Reach | None = None) -> Part:
    """Fit the touch chain: offsets, contact chance and decay, dial and call minutes, lead_ttl.

    Args:
        frame: the window's data.
        attempts: :func:`chain_attempts` of the frame (None: worked out here).
        reach: :func:`reach_of` the attempts (None: worked out here).

    Returns:
        ``touch_chain.*`` values, comments and fits.
    """
    part = Part()
    attempts = chain_attempts(frame) if attempts is None else attempts
    if len(attempts) == 0:
        part.warnings.append("the export has no call: the touch chain keeps its defaults")
        for path, value in (
            ("offsets", [0.0, 60.0, 1440.0]),
            ("p_contact", [0.5]),
            ("dial_minutes", 1.0),
            ("call_minutes", {"lognormal": {"mean": 9, "sd": 5}}),
        ):
            part.default(f"touch_chain.{path}", value, "no call in the export")
        return part
    reach = reach_of(frame, attempts) if reach is None else reach
    assert reach is not None
    chain = len(reach.p)
    k, age = attempts["k"].to_numpy(), attempts["age"].to_numpy()
    answered = attempts["answered"].to_numpy()
    n_leads = attempts["lead"].nunique()
    src = f"{count(len(attempts))} attempts on {count(n_leads)} leads, {frame.period}"
    offsets = planned_offsets(k, age, chain)
    part.set(
        "touch_chain.offsets",
        [round(float(o), 1) for o in offsets],
        f"from {src}: the planned lead age (minutes) at each attempt, where the ages pile up (leads "
        f"whose manager was free; the waits above it are the simulation's own); {chain} attempts, "
        f"what {CHAIN_QUANTILE:.0%} of finished leads do not exceed",
    )
    probs = [
        beta_moments(float(p), float(v), int(n), int(x))
        for p, v, n, x in zip(reach.p, reach.p_var, reach.n, reach.x, strict=True)
    ]
    reference = frame.channels[reach.reference]
    part.set(
        "touch_chain.p_contact",
        [pr.spec for pr in probs],
        f"from {src}: maximum likelihood per lead with the decay and, per channel, the unreachable "
        f"share and the contact factor; the chance of channel {reference!r} (the most leads, factor 1) "
        f"before the decay, attempt 1 {probs[0].p:.1%}"
        + (f", attempt {chain} {probs[-1].p:.1%}" if chain > 1 else "")
        + (f" (fit on an even subsample of {MAX_LEADS_PER_CHANNEL:,} leads per channel)" if reach.subsampled
           else ""),
    )
    hl, hl_se, fl, fl_se = reach.half_life, reach.half_life_se, reach.floor, reach.floor_se
    part.set(
        "touch_chain.decay",
        {"half_life": sig(hl, 3), "floor": round(fl, 3)},
        f"from {src}: {decay_summary(hl, hl_se, fl, fl_se)}, in minutes",
    )
    if reach.decay_confounded:
        part.warnings.append(
            f"touch_chain.decay: the attempts cannot tell the decay from the contact chance "
            f"({decay_summary(hl, hl_se, fl, fl_se)}): few were made at the ages where it falls, so the "
            f"export shows the chance times the decay, not each; p_contact ({probs[0].p:.1%} on the first "
            f"attempt) is the chance with this decay. Calling leads sooner than this floor did meets "
            f"chances the export has not seen: check the decay against how fast your leads go cold"
        )
    duration = attempts["duration_s"].to_numpy() / 60.0
    unanswered = duration[~answered]
    unanswered = unanswered[np.isfinite(unanswered)]
    if len(unanswered):
        part.set(
            "touch_chain.dial_minutes",
            round(float(np.median(unanswered)), 2),
            f"from {count(len(unanswered))} unanswered attempts, {frame.period}: the median, minutes",
        )
    else:
        part.default("touch_chain.dial_minutes", 1.0, "no unanswered attempt")
    _call_minutes(part, frame, attempts["lead"].to_numpy()[answered], duration[answered])
    p99 = float(np.quantile(age, 0.99))
    ttl = max(
        DEFAULT_TTL_DAYS * MINUTES_PER_DAY,
        math.ceil(max(p99, offsets[-1]) / MINUTES_PER_DAY) * MINUTES_PER_DAY,
    )
    part.set(
        "touch_chain.lead_ttl",
        float(ttl),
        f"from {src}: 99% of attempts come by {p99 / MINUTES_PER_DAY:.1f} days; at least "
        f"{DEFAULT_TTL_DAYS} days, minutes",
    )
    part.defaults.append("touch_chain.priority")
    rows = reach.rows
    touch_fits(part, k[rows], age[rows], answered[rows], reach.hazard, offsets, len(attempts))
    return part


def _call_minutes(part: Part, frame: Frame, lead: np.ndarray, talk: np.ndarray) -> None:
    """``call_minutes`` from the target leads' contact calls, ``nontarget_call_minutes`` from the others'.

    Args:
        part: where the values go.
        frame: the window's data.
        lead: per contact call (a lead's first answered call), its lead.
        talk: its length, minutes.
    """
    flags, source = nontarget_flags(frame)
    flag = flags[lead]
    nontarget = flag == 1.0  # a lead whose flag is unknown counts as target
    ln = lognormal_fit(talk[~nontarget])
    which = f"target leads' contact calls (non-target ones from {source})" if source else "contact calls"
    if ln is not None:
        part.set(
            "touch_chain.call_minutes",
            {"lognormal": {"mean": sig(ln[0], 3), "sd": sig(ln[1], 3)}},
            f"from {count(np.sum(talk[~nontarget] > 0))} {which} (the first answered call), {frame.period}: "
            "lognormal fit, minutes",
        )
    else:
        part.default("touch_chain.call_minutes", {"lognormal": {"mean": 9, "sd": 5}}, "no answered call")
    short = lognormal_fit(talk[nontarget])
    if short is not None:
        part.set(
            "touch_chain.nontarget_call_minutes",
            {"lognormal": {"mean": sig(short[0], 3), "sd": sig(short[1], 3)}},
            f"from {count(np.sum(talk[nontarget] > 0))} non-target leads' contact calls ({source}), "
            f"{frame.period}: lognormal fit, minutes",
        )
    else:
        part.defaults.append("touch_chain.nontarget_call_minutes")


def decay_summary(half_life: float, half_life_se: float, floor: float, floor_se: float) -> str:
    """The decay's fit in words: half-life in hours and floor, each with its standard error.

    A standard error that cannot be estimated (the likelihood is flat along the half-life, as when
    the floor is near 1 and the attempts show almost no decay) is said so, not printed as ``nan``.

    Args:
        half_life: minutes.
        half_life_se: its standard error, minutes (NaN: not estimable).
        floor: the factor's floor, a share.
        floor_se: its standard error (NaN: not estimable).

    Returns:
        E.g. ``half-life 6 h (se 0.3 h), floor 0.40 (se 0.02)``.
    """
    def se(x: float, fmt: str, unit: str = "") -> str:
        return f"se {x:{fmt}}{unit}" if math.isfinite(x) else "se not estimable"

    text = (f"half-life {half_life / 60:.3g} h ({se(half_life_se / 60, '.2g', ' h')}), floor {floor:.2f} "
            f"({se(floor_se, '.2f')})")
    if not (math.isfinite(half_life_se) and math.isfinite(floor_se)) and floor >= 0.9:
        text += ": the attempts show almost no decay with the lead's age"
    return text
