"""Who can be reached: the contact chance per attempt and its decay; per channel, broken numbers and a factor.

In the model (MODEL.md sections 2 and 4, :mod:`simsales.world.contact`) a
lead of channel ``c`` has a broken number with chance ``unreachable_share[c]``
(every attempt fails); otherwise attempt ``k`` at age ``a`` (minutes) reaches
the person with chance ``min(1, p_contact[k] x contact_factor[c]) x
max(floor, 0.5 ** (a / half_life))``.  A fit per attempt that ignores the
broken numbers is biased: they fail every attempt, so they pile up in the
later attempts and pull those chances (and, through the decay, the first's)
down, and a forecast whose leads are called at other ages or other attempts
counts them wrongly.

The fit here is joint maximum likelihood per lead, a mixture.  A lead's
touch chain (its attempts up to and including the first answered one,
attempts past the chain's length left out) has the likelihood

- answered at its last attempt: ``(1 - u[c]) x prod(1 - q_j) x q_last``;
- never answered (chain run out, dropped, or still going at the export):
  ``u[c] + (1 - u[c]) x prod(1 - q_j)``,

``q_j`` the chance of each of its attempts above.  What tells a broken
number from a reachable lead that was unlucky is the pattern of failures:
a lead that failed attempts made young (when ``q`` is high) is more likely
broken than one that failed attempts made old, and channels that share the
per-attempt chances but differ in their shares fall off differently along
the chain.  So the shares are identified by leads with several attempts;
a channel with fewer than :data:`MIN_MULTI_LEADS` of them, or whose share
the likelihood leaves uncertain by more than :data:`MAX_SHARE_SE`, keeps
the default 0 (listed).  Where nothing tells them apart (no decay, channels
alike) a share and raised chances trade off exactly along a ridge; a fit
that ran along it to a chance of 1 keeps its shares only if they raise the
likelihood significantly over the fit without them (a likelihood-ratio
test at :data:`LR_ALPHA`).

``p_contact`` is the chance of the reference channel, the one with the most
leads (its factor is 1); every other channel's ``contact_factor`` is
relative to it.  The negative log-likelihood and its gradient are one pass
of numpy over the attempts (scipy's L-BFGS-B); the covariance is the
inverse of the Hessian, by differences of the gradient.  The fit
uses at most :data:`MAX_LEADS_PER_CHANNEL` leads of each channel (an even
subsample; the intervals are that subsample's, a little wider than the
whole export's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from simsales.calibrate.frame import Frame
from simsales.calibrate.reach_likelihood import (
    ChainData,
    Mixture,
    chain_data,
    conditional_covariance,
    covariance_at,
    hessian_at,
    solve,
)

MIN_MULTI_LEADS = 200
"""A channel's unreachable share is fitted only with at least this many leads attempted twice or more."""
MAX_SHARE_SE = 0.08
"""A fitted unreachable share with a larger standard error is not identified: the default 0 is kept."""
MAX_LEADS_PER_CHANNEL = 50_000
"""The fit uses an even subsample of at most this many leads per channel."""
LR_ALPHA = 0.01
"""A fit with a chance at the cap keeps its shares only if they raise the likelihood significantly at this
level (chi-squared test)."""
CAP_SEEN = 0.995
"""A chance (``p_contact x contact_factor``) this high counts as at the cap of 1."""
CONFOUNDED = 100.0
"""The decay and the chance are not told apart when a chance's variance with the decay free is this many
times its variance with the decay held (its standard error 10 times as wide): the attempts came at ages
where the decay is flat."""


@dataclass
class Reach:
    """The fitted contact model.

    Attributes:
        p: per attempt, ``p_contact`` of the reference channel.
        p_var: their variances (of the estimates), with the decay held at its fit: the scenario writes
            the decay as plain numbers and draws p_contact around them (never more than with the decay
            free).
        decay_confounded: the attempts cannot tell the decay from the chances (see :data:`CONFOUNDED`).
        n: per attempt, the attempts made (all leads).
        x: per attempt, the answered ones.
        half_life: the decay's half-life, minutes.
        half_life_se: its standard error, minutes.
        floor: the decay's floor.
        floor_se: its standard error.
        reference: the reference channel (factor 1).
        factor: per channel, the contact factor.
        log_factor_se: per channel, the factor's standard error on the log scale (0 for the reference).
        share: per channel, the unreachable share (0 where not identified).
        share_se: per channel, its standard error (NaN where not identified).
        identified: per channel, whether the share was fitted.
        why: per channel, why it was not ("" if it was).
        leads: per channel, the leads in the fit.
        multi: per channel, those attempted twice or more.
        hazard: per attempt inside the chain, the fitted chance it was answered given the lead's
            earlier failures (the mixture's).
        rows: the attempts ``hazard`` is for (a boolean mask over the attempts given).
        row_k: their attempt numbers.
        row_channel: their leads' channels.
        row_answered: whether they were answered.
        subsampled: whether a channel was subsampled.
    """

    p: np.ndarray
    p_var: np.ndarray
    n: np.ndarray
    x: np.ndarray
    half_life: float
    half_life_se: float
    floor: float
    floor_se: float
    reference: int
    factor: np.ndarray
    log_factor_se: np.ndarray
    share: np.ndarray
    share_se: np.ndarray
    identified: np.ndarray
    why: list[str]
    leads: np.ndarray
    multi: np.ndarray
    hazard: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    row_k: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_answered: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    subsampled: bool = False
    decay_confounded: bool = False


def _subsample(lead: np.ndarray, channel: np.ndarray, cap: int) -> tuple[np.ndarray, bool]:
    """Rows of an even subsample of at most ``cap`` leads per channel (every m-th lead)."""
    new = np.r_[True, lead[1:] != lead[:-1]]
    compact = np.cumsum(new) - 1
    ch_lead = channel[new]
    keep_lead = np.ones(len(ch_lead), dtype=bool)
    cut = False
    for c in np.unique(ch_lead):
        idx = np.flatnonzero(ch_lead == c)
        if len(idx) > cap:
            keep_lead[idx] = False
            keep_lead[idx[np.linspace(0, len(idx) - 1, cap).astype(np.int64)]] = True
            cut = True
    return keep_lead[compact], cut


def _at_the_cap(model: Mixture, theta: np.ndarray) -> bool:
    """Whether a channel's chance on some attempt reached 1 (``p_contact x contact_factor``, near the cap).

    There the standard errors mislead (a bound, not a peak, stops the fit), so the shares must show a
    higher likelihood than the fit without them.
    """
    p, _, _, _, factor = model.unpack(theta)
    return bool(np.max(np.outer(p, factor)) >= CAP_SEEN)


def _plain_start(start: np.ndarray, theta: np.ndarray, model: Mixture) -> np.ndarray:
    """A start for the fit without shares: the chances and decay of ``start``, the factors of ``theta``.

    Not the mixture's chances: a chance it pushed to the cap of 1 has no gradient there to come back.
    """
    return np.concatenate([start, theta[len(theta) - len(model.others):]])


def _no_better(
    model: Mixture, d: ChainData, theta: np.ndarray, free: np.ndarray, why: list[str], start: np.ndarray
) -> tuple[np.ndarray, Mixture, np.ndarray]:
    """The free shares if the fit without them is not significantly worse (likelihood ratio), else none.

    On a ridge (no spread of ages to tell an early failure from a late one, channels alike) a share and
    the chances trade off exactly, and the optimiser stops anywhere along it, even where a chance reaches
    1 and the curvature there makes the share look precise; the likelihood itself is no higher than
    without the share.  ``why`` gets the reason for each dropped share.

    Returns:
        The shares to drop, the model without shares and its fit.
    """
    seen = np.zeros_like(free)
    seen[model.others] = True
    plain = Mixture(model.chain, model.channels, model.reference, np.zeros_like(free), seen)
    theta0, _ = solve(plain, d, _plain_start(start, theta, model), covariance=False)
    ratio = 2.0 * (plain.nll(theta0, d)[0] - model.nll(theta, d)[0])
    if ratio >= stats.chi2.ppf(1.0 - LR_ALPHA, int(free.sum())):
        return np.zeros_like(free), plain, theta0
    for c in np.flatnonzero(free):
        why[c] = (f"the attempts cannot tell broken numbers from lower chances (likelihood ratio {ratio:.1f} "
                  f"for {int(free.sum())} shares)")
    return free.copy(), plain, theta0


def fit_reach(
    attempts: pd.DataFrame, frame: Frame, chain: int, start: np.ndarray, mixture: bool = True
) -> Reach:
    """Fit p_contact per attempt, the decay, and per channel the unreachable share and contact factor.

    Args:
        attempts: the touch-chain attempts (:func:`simsales.calibrate.touch.chain_attempts`), grouped by lead.
        frame: the window's data (the leads' channels).
        chain: the chain's length (later attempts are left out).
        start: the starting point, ``K`` logits of p_contact, the log half-life (minutes), the floor's logit
            (e.g. the fit without broken numbers, :func:`simsales.calibrate.touch.fit_contact`).
        mixture: fit the unreachable shares (False: every share is held at 0, the biased fit the
            mixture corrects; for comparison).

    Returns:
        The fit (see :class:`Reach`).
    """
    k_all = attempts["k"].to_numpy()
    rows = k_all < chain
    lead = attempts["lead"].to_numpy()[rows]
    channel = frame.channel[lead]
    channels = len(frame.channels)
    k, age, answered = k_all[rows], attempts["age"].to_numpy()[rows], attempts["answered"].to_numpy()[rows]
    full = chain_data(k, age, lead, channel, answered, chain, channels)
    leads = np.bincount(full.ch_lead, minlength=channels)
    per_lead = np.bincount(full.lead, minlength=full.n_leads)
    multi = np.bincount(full.ch_lead, weights=(per_lead >= 2).astype(float), minlength=channels).astype(int)
    reference = int(np.argmax(leads))
    keep, cut = _subsample(lead, channel, MAX_LEADS_PER_CHANNEL)
    d = full
    if cut:
        d = chain_data(k[keep], age[keep], lead[keep], channel[keep], answered[keep], chain, channels)
    why = ["" if multi[c] >= MIN_MULTI_LEADS else
           f"{multi[c]:,} leads attempted twice or more (at least {MIN_MULTI_LEADS} needed)"
           for c in range(channels)]
    why = [w if leads[c] else "no lead attempted" for c, w in enumerate(why)]
    if not mixture:
        why = ["held at 0 (no mixture)"] * channels
    free = np.array([w == "" for w in why])
    seen = np.array([leads[c] > 0 for c in range(channels)])
    for _ in range(channels + 1):  # drop the shares the likelihood cannot tell, one refit each time
        model = Mixture(chain, channels, reference, free, seen)
        x0 = np.concatenate([start, np.full(int(free.sum()), 0.05), np.zeros(len(model.others))])
        theta, cov = solve(model, d, x0)
        kk = chain + 2
        se = np.full(channels, np.nan)
        se[model.free_share] = np.sqrt(np.diag(cov)[kk: kk + len(model.free_share)])
        unclear = free & ~(se <= MAX_SHARE_SE)
        if free.any() and not unclear.any() and _at_the_cap(model, theta):
            unclear, plain, theta0 = _no_better(model, d, theta, free, why, start)
            if unclear.any():  # the fit without the shares is as good: it is the fit
                free &= ~unclear
                model, theta = plain, theta0
                cov = covariance_at(model, d, theta)
                se[:] = np.nan
                break
        if not unclear.any():
            break
        for c in np.flatnonzero(unclear):
            why[c] = (f"the attempts cannot tell it (standard error {se[c]:.2f})" if np.isfinite(se[c])
                      else "the attempts cannot tell it (the likelihood is flat in it)")
        free &= ~unclear
    p, h, fl, share, factor = model.unpack(theta)
    var = np.diag(cov)
    # The scenario writes the decay as plain numbers and draws p_contact around them: p_contact's
    # uncertainty is the one the data leave with the decay held at its fit. On attempts made at ages
    # where the decay is flat (a floor past its half-life) the two cannot be told apart, the marginal
    # variance of p_contact is boundless, and a Beta from it was Beta(0.5, 0.5) whatever the fit.
    decay = np.zeros(model.size, dtype=bool)
    decay[chain:chain + 2] = True
    p_given_decay = np.diag(conditional_covariance(hessian_at(model, d, theta), decay))[:chain]
    # (never above the marginal one: where the fit sits on a bound the Hessian need not be positive)
    logit_var = np.fmin(var[:chain], p_given_decay)
    confounded = bool(np.any(var[:chain] > CONFOUNDED * p_given_decay))
    log_factor_se = np.zeros(channels)
    log_factor_se[model.others] = np.sqrt(var[kk + len(model.free_share):])
    log_factor_se[~seen] = np.nan
    hazard_rows = np.zeros(len(k_all), dtype=bool)
    hazard_rows[rows] = True
    return Reach(
        p=p, p_var=(p * (1 - p)) ** 2 * logit_var, decay_confounded=confounded,
        n=np.bincount(k, minlength=chain).astype(float),
        x=np.bincount(k, weights=answered.astype(float), minlength=chain),
        half_life=h, half_life_se=h * math.sqrt(var[chain]) if np.isfinite(var[chain]) else math.nan,
        floor=fl,
        floor_se=fl * (1 - fl) * math.sqrt(var[chain + 1]) if np.isfinite(var[chain + 1]) else math.nan,
        reference=reference, factor=factor, log_factor_se=log_factor_se, share=share, share_se=se,
        identified=free.copy(), why=why, leads=leads, multi=multi,
        hazard=model.hazard(theta, full), rows=hazard_rows, row_k=full.k, row_channel=full.ch_row,
        row_answered=full.ans_row, subsampled=cut,
    )
