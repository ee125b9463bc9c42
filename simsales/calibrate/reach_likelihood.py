"""The likelihood of who can be reached: a mixture of broken numbers and reachable leads, per lead.

See :mod:`simsales.calibrate.reach` for the model.  :class:`ChainData` holds
the attempts as arrays; :class:`Mixture` is the negative log-likelihood and
its exact gradient (one pass of numpy over the attempts); :func:`solve`
maximises it (scipy's L-BFGS-B) and inverts the Hessian, by central
differences of the gradient, for the covariance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from simsales.calibrate.frame import MINUTES_PER_DAY

P_MAX = 1.0 - 1e-9
"""``p_contact x contact_factor`` is capped here (the model caps it at 1)."""
SHARE_MAX = 0.95
"""The largest unreachable share the fit considers."""
HESSIAN_STEP = 1e-4
"""The relative step of the Hessian's differences."""
LN2 = math.log(2.0)
LN2 = math.log(2.0)


@dataclass
class ChainData:
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
        """The leads."""
        return len(self.ch_lead)


def chain_data(k: np.ndarray, age: np.ndarray, lead: np.ndarray, channel: np.ndarray, answered: np.ndarray,
          chain: int, channels: int) -> ChainData:
    """Rows grouped by lead (in the order given), numbered; the lead's channel and whether it was reached."""
    new = np.ones(len(lead), dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    compact = np.cumsum(new) - 1
    n_leads = int(compact[-1]) + 1 if len(compact) else 0
    ch_lead = np.zeros(n_leads, dtype=np.int64)
    ch_lead[compact] = channel
    ans_lead = np.zeros(n_leads, dtype=bool)
    ans_lead[compact[answered.astype(bool)]] = True
    return ChainData(k.astype(np.int64), age.astype(float), compact, channel.astype(np.int64),
                 answered.astype(bool), ch_lead, ans_lead, chain, channels)


class Mixture:
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
        """The parameters' bounds, for the optimiser."""
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

    def nll(self, theta: np.ndarray, d: ChainData) -> tuple[float, np.ndarray]:
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

    def hazard(self, theta: np.ndarray, d: ChainData) -> np.ndarray:
        """Per row, the chance it was answered given the lead's earlier failures (the mixture's)."""
        _, _, _, share, _ = self.unpack(theta)
        q = self.chances(theta, d.k, d.age, d.ch_row)[0]
        fail = np.where(d.ans_row, 0.0, np.log1p(-q))
        total = np.cumsum(fail) - fail  # failures before this row, overall ...
        first = np.flatnonzero(np.r_[True, d.lead[1:] != d.lead[:-1]])
        before = np.exp(total - total[first][d.lead])  # ... within the lead
        u = share[d.ch_row]
        return (1.0 - u) * before * q / (u + (1.0 - u) * before)


def solve(
    model: Mixture, d: ChainData, x0: np.ndarray, covariance: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The maximum-likelihood fit and its covariance (NaN where the Hessian is singular; empty: not asked)."""
    scale = 1.0 / max(d.n_leads, 1)

    def f(t: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = model.nll(t, d)
        return v * scale, g * scale

    res = optimize.minimize(f, x0, jac=True, method="L-BFGS-B", bounds=model.bounds(),
                            options={"maxiter": 1000, "ftol": 1e-11, "gtol": 1e-7})
    theta = res.x
    if not covariance:
        return theta, np.zeros((0, 0))
    return theta, covariance_at(model, d, theta)


def covariance_at(model: Mixture, d: ChainData, theta: np.ndarray) -> np.ndarray:
    """The covariance at a fit: the inverse Hessian of the negative log-likelihood (NaN where flat)."""
    return inverse(hessian_at(model, d, theta))


def hessian_at(model: Mixture, d: ChainData, theta: np.ndarray) -> np.ndarray:
    """The Hessian of the negative log-likelihood at a fit (symmetric)."""
    # Central differences of the exact gradient, a step wide enough to average over the attempts whose
    # decay crosses its floor (the gradient jumps there).
    step = HESSIAN_STEP * np.maximum(1.0, np.abs(theta))
    hess = np.zeros((model.size, model.size))
    for i in range(model.size):
        e = np.zeros(model.size)
        e[i] = step[i]
        hess[i] = (model.nll(theta + e, d)[1] - model.nll(theta - e, d)[1]) / (2 * step[i])
    return (hess + hess.T) / 2


def conditional_covariance(hess: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """The covariance of the other parameters with ``fixed`` held at the fit (NaN in the fixed rows).

    The inverse of the Hessian without the fixed parameters' rows and columns: the uncertainty the
    data leave in the others when the fixed ones are taken as known (as a scenario takes a value it
    writes as a plain number).

    Args:
        hess: the Hessian (:func:`hessian_at`).
        fixed: per parameter, whether it is held.

    Returns:
        A covariance shaped like ``hess``.
    """
    free = ~np.asarray(fixed, dtype=bool)
    cov = np.full_like(hess, np.nan)
    cov[np.ix_(free, free)] = inverse(hess[np.ix_(free, free)])
    return cov


def inverse(hess: np.ndarray) -> np.ndarray:
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
