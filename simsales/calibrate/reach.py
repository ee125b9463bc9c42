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
the default 0 (listed).

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
from scipy import optimize, special

from simsales.calibrate.frame import MINUTES_PER_DAY, Frame

MIN_MULTI_LEADS = 200
"""A channel's unreachable share is fitted only with at least this many leads attempted twice or more."""
MAX_SHARE_SE = 0.08
"""A fitted unreachable share with a larger standard error is not identified: the default 0 is kept."""
MAX_LEADS_PER_CHANNEL = 100_000
"""The fit uses an even subsample of at most this many leads per channel."""
P_MAX = 1.0 - 1e-9
"""``p_contact x contact_factor`` is capped here (the model caps it at 1)."""
SHARE_MAX = 0.95
"""The largest unreachable share the fit considers."""
LN2 = math.log(2.0)


@dataclass
class Reach:
    """The fitted contact model.

    Attributes:
        p: per attempt, ``p_contact`` of the reference channel.
        p_var: their variances.
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


@dataclass
class _Data:
    """The attempts as arrays, the failed ones (``f_``) and the answered ones (``a_``) apart.

    Leads are numbered 0..L-1 in row order; an answered row is its lead's last.
    """

    k: np.ndarray
    age: np.ndarray
    lead: np.ndarray
    ch_row: np.ndarray
    ans_row: np.ndarray
    ch_lead: np.ndarray
    ans_lead: np.ndarray
    chain: int
    channels: int

    def __post_init__(self) -> None:
        fail, hit = ~self.ans_row, self.ans_row
        self.f_k, self.f_age, self.f_lead, self.f_ch = (self.k[fail], self.age[fail], self.lead[fail],
                                                        self.ch_row[fail])
        self.a_k, self.a_age, self.a_lead, self.a_ch = (self.k[hit], self.age[hit], self.lead[hit],
                                                        self.ch_row[hit])

    @property
    def n_leads(self) -> int:
        return len(self.ch_lead)


def _data(k: np.ndarray, age: np.ndarray, lead: np.ndarray, channel: np.ndarray, answered: np.ndarray,
          chain: int, channels: int) -> _Data:
    """Rows grouped by lead (in the order given), numbered; the lead's channel and whether it was reached."""
    new = np.ones(len(lead), dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    compact = np.cumsum(new) - 1
    n_leads = int(compact[-1]) + 1 if len(compact) else 0
    ch_lead = np.zeros(n_leads, dtype=np.int64)
    ch_lead[compact] = channel
    ans_lead = np.zeros(n_leads, dtype=bool)
    ans_lead[compact[answered.astype(bool)]] = True
    return _Data(k.astype(np.int64), age.astype(float), compact, channel.astype(np.int64),
                 answered.astype(bool), ch_lead, ans_lead, chain, channels)


class _Model:
    """The likelihood of the mixture, and its parameter vector.

    The vector: ``K`` logits of p_contact, the log half-life, the floor's logit, the free unreachable
    shares (on their own scale), the log factors of the non-reference channels.
    """

    def __init__(self, chain: int, channels: int, reference: int, free_share: np.ndarray,
                 seen: np.ndarray) -> None:
        self.chain, self.channels, self.reference = chain, channels, reference
        self.free_share = np.flatnonzero(free_share)
        self.others = np.array([c for c in range(channels) if c != reference and seen[c]], dtype=np.int64)
        self.size = chain + 2 + len(self.free_share) + len(self.others)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, float, np.ndarray, np.ndarray]:
        """``(p, half_life, floor, share per channel, factor per channel)``."""
        kk, nu = self.chain, len(self.free_share)
        share = np.zeros(self.channels)
        share[self.free_share] = theta[kk + 2: kk + 2 + nu]
        log_factor = np.zeros(self.channels)
        log_factor[self.others] = theta[kk + 2 + nu:]
        return (special.expit(theta[:kk]), math.exp(theta[kk]), float(special.expit(theta[kk + 1])), share,
                np.exp(log_factor))

    def bounds(self) -> list[tuple[float, float]]:
        return ([(-12.0, 12.0)] * self.chain + [(0.0, math.log(60 * MINUTES_PER_DAY)), (-10.0, 10.0)]
                + [(0.0, SHARE_MAX)] * len(self.free_share) + [(-4.0, 4.0)] * len(self.others))

    def chances(self, theta: np.ndarray, k: np.ndarray, age: np.ndarray,
                ch: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per row: the reachable lead's chance ``q``, whether the cap and the floor bind, ``age/h``."""
        p, h, fl, _, f = self.unpack(theta)
        raw = p[k] * f[ch]
        capped = raw >= P_MAX
        z = age / h
        dec = np.exp2(-z)
        on_floor = fl > dec
        q = np.minimum(raw, P_MAX) * np.maximum(dec, fl)
        np.clip(q, 1e-12, 1.0 - 1e-12, out=q)
        return q, capped, on_floor, z

    def nll(self, theta: np.ndarray, d: _Data) -> tuple[float, np.ndarray]:
        """The negative log-likelihood of the leads' chains and its gradient."""
        p, _, fl, share, _ = self.unpack(theta)
        kk, nu = self.chain, len(self.free_share)
        qf, cf, ff, zf = self.chances(theta, d.f_k, d.f_age, d.f_ch)
        qa, ca, fa, za = self.chances(theta, d.a_k, d.a_age, d.a_ch)
        s = np.bincount(d.f_lead, weights=np.log1p(-qf), minlength=d.n_leads)
        u = share[d.ch_lead]
        survive = np.exp(s)
        mix = np.maximum(u + (1.0 - u) * survive, 1e-300)
        ll = float(np.sum(np.log(mix[~d.ans_lead])) + np.sum(np.log1p(-u[d.ans_lead]) + s[d.ans_lead])
                   + np.sum(np.log(qa)))
        reachable = np.where(d.ans_lead, 1.0, (1.0 - u) * survive / mix)  # P(reachable | its chain)
        gf = -qf / (1.0 - qf) * reachable[d.f_lead]  # d ll / d log q, per failed row (1 per answered row)
        gf_free = np.where(cf, 0.0, gf)
        ga_free = (~ca).astype(float)
        grad = np.zeros(self.size)
        grad[:kk] = (np.bincount(d.f_k, weights=gf_free, minlength=kk)
                     + np.bincount(d.a_k, weights=ga_free, minlength=kk)) * (1.0 - p)
        grad[kk] = (float(np.dot(np.where(ff, 0.0, gf), zf)) + float(np.sum(np.where(fa, 0.0, za)))) * LN2
        grad[kk + 1] = (float(np.sum(np.where(ff, gf, 0.0))) + float(np.sum(fa))) * (1.0 - fl)
        du = np.where(d.ans_lead, -1.0 / (1.0 - u), (1.0 - survive) / mix)
        per_channel = np.bincount(d.ch_lead, weights=du, minlength=self.channels)
        grad[kk + 2: kk + 2 + nu] = per_channel[self.free_share]
        grad[kk + 2 + nu:] = (np.bincount(d.f_ch, weights=gf_free, minlength=self.channels)
                              + np.bincount(d.a_ch, weights=ga_free, minlength=self.channels))[self.others]
        return -ll, -grad

    def hazard(self, theta: np.ndarray, d: _Data) -> np.ndarray:
        """Per row, the chance it was answered given the lead's earlier failures (the mixture's)."""
        _, _, _, share, _ = self.unpack(theta)
        q = self.chances(theta, d.k, d.age, d.ch_row)[0]
        fail = np.where(d.ans_row, 0.0, np.log1p(-q))
        total = np.cumsum(fail) - fail  # failures before this row, overall ...
        first = np.flatnonzero(np.r_[True, d.lead[1:] != d.lead[:-1]])
        before = np.exp(total - total[first][d.lead])  # ... within the lead
        u = share[d.ch_row]
        return (1.0 - u) * before * q / (u + (1.0 - u) * before)


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


def _solve(model: _Model, d: _Data, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maximum-likelihood fit and its covariance (NaN rows where the Hessian is singular)."""
    scale = 1.0 / max(d.n_leads, 1)

    def f(t: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = model.nll(t, d)
        return v * scale, g * scale

    res = optimize.minimize(f, x0, jac=True, method="L-BFGS-B", bounds=model.bounds(),
                            options={"maxiter": 500})
    theta = res.x
    step = 1e-5 * np.maximum(1.0, np.abs(theta))
    hess = np.zeros((model.size, model.size))
    g0 = model.nll(theta, d)[1]
    for i in range(model.size):  # forward differences of the exact gradient
        e = np.zeros(model.size)
        e[i] = step[i] if theta[i] + step[i] <= model.bounds()[i][1] else -step[i]
        hess[i] = (model.nll(theta + e, d)[1] - g0) / e[i]
    hess = (hess + hess.T) / 2
    return theta, _inverse(hess)


def _inverse(hess: np.ndarray) -> np.ndarray:
    """The covariance: the inverse Hessian over the parameters the likelihood is not flat in (else NaN)."""
    diag = np.diag(hess)
    keep = diag > 1e-9 * max(float(np.max(diag, initial=0.0)), 1e-300)
    cov = np.full_like(hess, np.nan)
    if keep.any():
        try:
            cov[np.ix_(keep, keep)] = np.linalg.inv(hess[np.ix_(keep, keep)])
        except np.linalg.LinAlgError:
            return cov
    bad = ~(np.diag(cov) > 0)
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return cov


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
    full = _data(k, age, lead, channel, answered, chain, channels)
    leads = np.bincount(full.ch_lead, minlength=channels)
    per_lead = np.bincount(full.lead, minlength=full.n_leads)
    multi = np.bincount(full.ch_lead, weights=(per_lead >= 2).astype(float), minlength=channels).astype(int)
    reference = int(np.argmax(leads))
    keep, cut = _subsample(lead, channel, MAX_LEADS_PER_CHANNEL)
    d = _data(k[keep], age[keep], lead[keep], channel[keep], answered[keep], chain, channels) if cut else full
    why = ["" if multi[c] >= MIN_MULTI_LEADS else
           f"{multi[c]:,} leads attempted twice or more (at least {MIN_MULTI_LEADS} needed)"
           for c in range(channels)]
    why = [w if leads[c] else "no lead attempted" for c, w in enumerate(why)]
    if not mixture:
        why = ["held at 0 (no mixture)"] * channels
    free = np.array([w == "" for w in why])
    seen = np.array([leads[c] > 0 for c in range(channels)])
    for _ in range(channels + 1):  # drop the shares the likelihood cannot tell, one refit each time
        model = _Model(chain, channels, reference, free, seen)
        x0 = np.concatenate([start, np.full(int(free.sum()), 0.05), np.zeros(len(model.others))])
        theta, cov = _solve(model, d, x0)
        kk = chain + 2
        se = np.full(channels, np.nan)
        se[model.free_share] = np.sqrt(np.diag(cov)[kk: kk + len(model.free_share)])
        unclear = free & ~(se <= MAX_SHARE_SE)
        if not unclear.any():
            break
        for c in np.flatnonzero(unclear):
            why[c] = (f"the attempts cannot tell it (standard error {se[c]:.2f})" if np.isfinite(se[c])
                      else "the attempts cannot tell it (the likelihood is flat in it)")
        free &= ~unclear
    p, h, fl, share, factor = model.unpack(theta)
    var = np.diag(cov)
    log_factor_se = np.zeros(channels)
    log_factor_se[model.others] = np.sqrt(var[kk + len(model.free_share):])
    log_factor_se[~seen] = np.nan
    hazard_rows = np.zeros(len(k_all), dtype=bool)
    hazard_rows[rows] = True
    return Reach(
        p=p, p_var=(p * (1 - p)) ** 2 * var[:chain],
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
