"""The touch chain's diagnostics, observed against fitted: contact chance by age and attempt, attempt ages."""

from __future__ import annotations

import numpy as np

from simsales.calibrate.fit import Fit, Part


def touch_fits(part: Part, k: np.ndarray, age: np.ndarray, answered: np.ndarray, hazard: np.ndarray,
               offsets: np.ndarray, n: int) -> None:
    """Observed against fitted: contact chance by lead age and by attempt, and the attempts' ages.

    ``k``, ``age``, ``answered`` and ``hazard`` (the fitted chance given the lead's earlier failures)
    are per attempt inside the chain.
    """
    x = answered.astype(float)
    edges = np.array([0, 5, 15, 30, 60, 120, 240, 480, 1440, 2880, 5760, 10080, np.inf])
    names = [
        "<5m",
        "5-15m",
        "15-30m",
        "30m-1h",
        "1-2h",
        "2-4h",
        "4-8h",
        "8h-1d",
        "1-2d",
        "2-4d",
        "4-7d",
        "7d+",
    ]
    b = np.searchsorted(edges, age, side="right") - 1
    bn = np.bincount(b, minlength=len(names)).astype(float)
    bx = np.bincount(b, weights=x, minlength=len(names))
    bq = np.bincount(b, weights=hazard, minlength=len(names))
    seen = bn > 0
    obs = np.where(seen, bx / np.maximum(bn, 1), np.nan)
    se = np.sqrt(obs * (1 - obs) / np.maximum(bn, 1))
    part.fits.append(
        Fit(
            "touch_chain.decay",
            "Contact chance by lead age at the attempt",
            [nm for nm, s in zip(names, seen, strict=True) if s],
            obs[seen],
            (bq / np.maximum(bn, 1))[seen],
            (obs - 1.645 * se)[seen],
            (obs + 1.645 * se)[seen],
            kind="bar",
            xlabel="lead age at the attempt",
            ylabel="share answered",
            n=n,
            note="the fitted chance mixes the attempts made at each age, and the broken numbers among them",
        )
    )
    chain = len(offsets)
    kn = np.bincount(k, minlength=chain).astype(float)
    kx = np.bincount(k, weights=x, minlength=chain)
    kq = np.bincount(k, weights=hazard, minlength=chain)
    obs_k = kx / np.maximum(kn, 1)
    se_k = np.sqrt(obs_k * (1 - obs_k) / np.maximum(kn, 1))
    part.fits.append(
        Fit(
            "touch_chain.p_contact",
            "Contact chance by attempt",
            list(range(1, chain + 1)),
            obs_k,
            kq / np.maximum(kn, 1),
            obs_k - 1.645 * se_k,
            obs_k + 1.645 * se_k,
            kind="bar",
            xlabel="attempt",
            ylabel="share answered",
            n=n,
            note="the fitted share is that of the leads still unreached, broken numbers included",
        )
    )
    ages = [age[k == j] for j in range(chain)]
    med, lo, hi = (
        np.array([np.quantile(a, q) / 60 if len(a) else np.nan for a in ages]) for q in (0.5, 0.25, 0.75)
    )
    part.fits.append(
        Fit(
            "touch_chain.offsets",
            "Lead age at each attempt (median, P25-P75) and the planned offset",
            list(range(1, chain + 1)),
            med,
            np.asarray(offsets) / 60,
            lo,
            hi,
            kind="bar",
            xlabel="attempt",
            ylabel="hours after creation",
            n=n,
            note="the ages pile up at the planned offset; the rest waited for a free manager",
        )
    )
