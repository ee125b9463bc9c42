"""How strongly the manager's factor acts on the opening and the closing: ``team.skill_weights`` (MODEL.md 5).

The scenario multiplies the qualify chance by ``factor ** qualify`` and the
payment chance (the invoice paid, the link filled) by ``factor ** close``,
``factor`` being the manager's skill x ramp (the offer's weight is 1: the
skill is read from the offers, :func:`simsales.calibrate.team.skill_and_ramp`).
Each weight is fitted by maximum likelihood of

    P(step) = min(c[group] * factor ** weight, 1)

over the cases of the step, each with its manager's shrunk skill times the
ramp of their tenure month then; ``group`` is the lead's channel for the
qualify step (channels differ in quality) and the kind of offer for the
close step (invoice or link).  Regressing on the shrunk skills (posterior
means), not the raw rates, keeps the slope from being flattened by their
noise.  The 90% interval (in the comment: the field takes one number) is
the wider of the profile likelihood's and a bootstrap over the managers'.
A weight is written when no effect fails a 1% likelihood-ratio test and
the interval stays above 0; else it stays 0, the default.

The cases: a target lead's first answered call (its caller) that ended
qualified or lost as not qualified; an offer (its owner) whose invoice was
paid or lost unpaid, or whose link was filled or lost unfilled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.calibrate.fit import Fit, Part, count
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.presentation import CHI2_90, CHI2_ON, lost_for
from simsales.calibrate.team import RAMPED_MONTH, skill_and_ramp
from simsales.world.calendar import DAYS_PER_MONTH

WEIGHTS = np.round(np.arange(0.0, 4.0001, 0.04), 2)
"""The weights tried (the field allows 0..4)."""
BOOTSTRAP = 60
"""Resamples of the managers behind a weight's interval."""
BOOT_STEP = 2
"""The bootstrap tries every BOOT_STEP-th weight of :data:`WEIGHTS`."""
FEW_MANAGERS = 8
"""Fewer managers with cases than this: the weight is not identified."""
NOT_QUALIFIED = ("not_qualified", "not qualified", "unqualified")
UNPAID = ("invoice_unpaid", "unpaid", "link_not_filled", "not filled")


def _factors(frame: Frame, fit: dict, manager: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each case's manager's shrunk skill x ramp of their tenure month at ``t`` (NaN: unknown)."""
    staff_ix = pd.Index(frame.staff["manager_id"].astype(str))
    skill = np.full(len(staff_ix), np.nan)
    skill[staff_ix.get_indexer(fit["ids"].astype(str))] = fit["shrunk"]
    ramp = np.append(np.clip(fit["ramp"], 0.05, 1.0), 1.0)
    hired = frame.staff["hired"].to_numpy()
    out = np.full(manager.size, np.nan)
    ok = manager >= 0
    day = frame.since_day + t[ok] / MINUTES_PER_DAY
    month = np.clip((np.maximum(day - hired[manager[ok]], 0.0) // DAYS_PER_MONTH), 0, RAMPED_MONTH)
    month = np.nan_to_num(month, nan=RAMPED_MONTH).astype(np.int64)
    out[ok] = skill[manager[ok]] * ramp[month]
    return out


def _cells(manager: np.ndarray, factor: np.ndarray, y: np.ndarray,
           group: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cases pooled by manager, group and factor: (manager, group, factor, cases, successes)."""
    table = pd.DataFrame({"m": manager, "g": group, "f": np.round(factor, 6), "y": y.astype(float)})
    cells = table.groupby(["m", "g", "f"], sort=True)["y"].agg(["size", "sum"]).reset_index()
    return tuple(cells[c].to_numpy() for c in ("m", "g", "f", "size", "sum"))


def _group_ll(fw: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row of ``fw`` (one weight each), the best log-likelihood over ``c`` of ``min(c * fw, 1)``.

    A golden-section search in log c, every row at once.

    Args:
        fw: ``(weights, cells)`` the factor raised to each weight.
        n: per cell, its cases.
        k: per cell, its successes.

    Returns:
        ``(weights,)`` log-likelihoods.
    """
    def ll(x: np.ndarray) -> np.ndarray:
        p = np.clip(np.exp(x)[:, None] * fw, 1e-12, 1 - 1e-9)
        return np.sum(k * np.log(p) + (n - k) * np.log1p(-p), axis=1)

    lo, hi = np.full(fw.shape[0], np.log(1e-4)), np.log(1.0 / fw.min(axis=1))
    r = (np.sqrt(5) - 1) / 2
    x1, x2 = hi - r * (hi - lo), lo + r * (hi - lo)
    f1, f2 = ll(x1), ll(x2)
    for _ in range(40):
        right = f1 < f2  # the maximum lies right of x1: drop [lo, x1], else drop [x2, hi]
        lo, hi = np.where(right, x1, lo), np.where(right, hi, x2)
        new_x1 = np.where(right, x2, hi - r * (hi - lo))
        new_x2 = np.where(right, lo + r * (hi - lo), x1)
        fresh = ll(np.where(right, new_x2, new_x1))  # the one new point of each row
        f1, f2 = np.where(right, f2, fresh), np.where(right, fresh, f1)
        x1, x2 = new_x1, new_x2
    return np.maximum(f1, f2)


def _profile(lf: np.ndarray, g: np.ndarray, n: np.ndarray, k: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The log-likelihood at each weight, each group's ``c`` at its best."""
    total = np.zeros(len(weights))
    for j in np.unique(g):
        sel = g == j
        total += _group_ll(np.exp(np.outer(weights, lf[sel])), n[sel], k[sel])
    return total


def fit_weight(factor: np.ndarray, y: np.ndarray, group: np.ndarray, manager: np.ndarray | None = None,
               boot: int = BOOTSTRAP, seed: int = 0) -> dict:
    """Maximum likelihood of ``min(c[group] * factor ** weight, 1)`` over :data:`WEIGHTS`.

    The chance is capped at 1 as in the engines (a strong manager cannot
    make a step surer than sure), so a step near certainty still shows its
    weight.  The interval resamples the managers (``boot`` times): their
    skills are estimates, so the cases of one manager are not independent
    evidence.

    Args:
        factor: per case, the manager's factor (> 0).
        y: per case, whether the step succeeded.
        group: per case, its group 0..k-1.
        manager: per case, its manager (None: each case its own).
        boot: bootstrap resamples of the managers for the interval (0: the profile likelihood's).
        seed: the bootstrap's seed.

    Returns:
        ``weight``, ``lo`` and ``hi`` (90% interval) and ``on`` (no effect fails a 1% test).
    """
    manager = np.arange(y.size) if manager is None else manager
    m, g, f, n, k = _cells(manager, factor, y, group)
    lf = np.log(f)
    lls = _profile(lf, g, n, k, WEIGHTS)
    best = int(np.argmax(lls))
    inside = 2 * (lls[best] - lls) <= CHI2_90
    lo, hi = float(WEIGHTS[inside].min()), float(WEIGHTS[inside].max())
    if boot:
        ids, cell_m = np.unique(m, return_inverse=True)
        rows = [np.flatnonzero(cell_m == i) for i in range(ids.size)]
        rng = np.random.default_rng(seed)
        coarse = WEIGHTS[::BOOT_STEP]
        draws = []
        for _ in range(boot):
            pick = np.concatenate([rows[i] for i in rng.integers(0, ids.size, ids.size)])
            draws.append(coarse[int(np.argmax(_profile(lf[pick], g[pick], n[pick], k[pick], coarse)))])
        b_lo, b_hi = np.quantile(draws, [0.05, 0.95])
        lo, hi = min(lo, float(b_lo)), max(hi, float(b_hi))
    return {"weight": float(WEIGHTS[best]), "lo": lo, "hi": hi,
            "on": bool(2 * (lls[best] - lls[0]) > CHI2_ON and lo > 0)}


def _cases(frame: Frame) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per step, (manager, time, success, group) of its decided cases."""
    calls = frame.calls
    answered = calls[calls["answered"].to_numpy() & (calls["manager"].to_numpy() >= 0)]
    first = answered.groupby("lead", sort=True).first()
    lead = first.index.to_numpy()
    qualified = np.isfinite(frame.stage["qualified"][lead])
    unqualified = ~qualified & lost_for(frame, NOT_QUALIFIED)[lead]
    target = frame.nontarget[lead] != 1
    q = target & (qualified | unqualified)
    out = {"qualify": (first["manager"].to_numpy()[q], first["t"].to_numpy()[q], qualified[q],
                       frame.channel[lead[q]])}
    with np.errstate(all="ignore"):
        invoice, link = frame.stage["invoice"], frame.stage["link_sent"]
    unpaid = lost_for(frame, UNPAID)
    paid_inv = np.isfinite(invoice) & np.isfinite(frame.stage["won"])
    filled = np.isfinite(link) & np.isfinite(frame.stage["link_filled"])
    inv = np.isfinite(invoice) & (paid_inv | unpaid)
    lnk = np.isfinite(link) & (filled | unpaid)
    rows = np.flatnonzero(inv | lnk)
    t = np.where(inv[rows], invoice[rows], link[rows])
    out["close"] = (frame.owner[rows], t, np.where(inv[rows], paid_inv[rows], filled[rows]),
                    lnk[rows].astype(np.int64))
    return out


def fit_skill_weights(frame: Frame) -> Part:
    """``team.skill_weights.qualify`` and ``.close`` (see the module docstring).

    Args:
        frame: the window's data.

    Returns:
        The weights fitted where the data show them, else listed as defaults.
    """
    part = Part()
    fit = skill_and_ramp(frame)
    if fit is None or fit["sd"] <= 0.005:
        part.defaults += ["team.skill_weights.qualify", "team.skill_weights.close"]
        return part
    for step, (manager, t, y, group) in _cases(frame).items():
        path = f"team.skill_weights.{step}"
        factor = _factors(frame, fit, manager, t)
        ok = np.isfinite(factor) & (factor > 0)
        n_managers = np.unique(manager[ok]).size
        if n_managers < FEW_MANAGERS or y[ok].all() or not y[ok].any():
            part.defaults.append(path)
            continue
        _, g = np.unique(group[ok], return_inverse=True)
        w = fit_weight(factor[ok], y[ok], g.astype(np.int64), manager[ok])
        what = ("qualified of the target contacts" if step == "qualify"
                else "paid (or links filled) of the offers")
        src = (f"from {count(int(ok.sum()))} cases by {n_managers} managers, {frame.period}: the share "
               f"{what} against the manager's skill x ramp (skill from the offers, weight 1), maximum "
               f"likelihood {w['weight']:g} (90% {w['lo']:g}..{w['hi']:g})")
        if w["on"]:
            part.set(path, w["weight"], src)
        else:
            part.default(path, 0.0, f"{src}: no effect passes a 1% test")
        _figure(part, path, manager[ok], factor[ok], y[ok], w["weight"])
    return part


def _figure(part: Part, path: str, manager: np.ndarray, factor: np.ndarray, y: np.ndarray,
            weight: float) -> None:
    _, m = np.unique(manager, return_inverse=True)
    n = np.bincount(m).astype(float)
    rate = np.bincount(m, weights=y) / n
    f = np.bincount(m, weights=factor) / n
    order = np.argsort(f)
    base = float(y.mean() / np.mean(np.minimum(factor**weight, 1.0)))
    part.fits.append(Fit(
        path, f"{path.rsplit('.', 1)[1].capitalize()} rate per manager against their skill x ramp",
        [round(float(x), 3) for x in f[order]], rate[order], np.minimum(base * f[order] ** weight, 1.0),
        rate[order] - 1.645 * np.sqrt(rate[order] * (1 - rate[order]) / n[order]),
        rate[order] + 1.645 * np.sqrt(rate[order] * (1 - rate[order]) / n[order]),
        kind="interval", xlabel="manager's mean skill x ramp (offers: weight 1)", ylabel="rate",
        n=int(y.size), note="the fitted curve is the team's rate times factor ** weight"))
