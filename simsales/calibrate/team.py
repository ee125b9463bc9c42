"""The team: skill spread with shrinkage, the ramp by tenure month, attrition, the team at the window's end.

Skill and ramp are fitted on the presentations' outcomes (qualified
deals that got an offer or were lost), since the scenario scales the
offer chance by skill x ramp (:mod:`simsales.world.ramp`): the
presenter's, at the presentation.  Each outcome is its presentation
call's maker's at the call's start
(:func:`simsales.calibrate.call_kinds.presenters`), not the lead's
owner's at the export, who under hand-overs is often the manager of a
closing call handed over (on a department of 40 with both, one
presentation in seven: the skill's spread came out 0.18 for 0.3, and the
skill weights read against it two thirds too high); a lead with no
presentation call in the log (lost before one, or no calls log) is its
owner's at ``qualified``.  Each manager's raw ratio of offers to what an
average manager of the same tenure would make is shrunk toward the team
(empirical Bayes, DerSimonian-Laird between-manager variance): a
manager with 20 deals is not a star.  The ramp is the offer rate by
tenure month against ramped managers' (month 7 on), each deal weighed by
its manager's shrunk skill; the two are fitted in turn until they agree.
Attrition is exits per manager-month from the staff table, during and
after probation.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from simsales.calibrate.call_kinds import presenters
from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.funnel import FEW, transition
from simsales.world.calendar import DAYS_PER_MONTH

RAMPED_MONTH = 6
"""Tenure months 0..5 may be in ramp; month 6 on (the 7th month) is the reference, factor 1."""
PROBATION_DAYS = 60
"""The probation the attrition fit splits exits by (the scenario's default ``probation_days``)."""
EXACT_TENURE_DAYS = 180
"""Managers with less tenure than this keep their own tenure in the scenario; the rest are grouped."""


def skill_and_ramp(frame: Frame) -> dict | None:
    """Fit the skill spread (shrunk per manager) and the ramp factor per tenure month.

    Args:
        frame: the window's data.

    Returns:
        ``sd`` (between managers), ``raw``, ``shrunk``, ``n`` and ``ids`` (per manager),
        ``ramp`` and ``ramp_se`` (per month 0..5), ``ramp_n``, ``factor`` (mean ramp over
        the deals), or None when no presentation was decided by a known manager.
    """
    tr = transition(frame, "qualified", ("invoice", "link_sent"))
    decided = tr.cause != 0
    rows = tr.entered[decided]
    who, when = presenters(frame)
    held = who[rows] >= 0  # the presenter, at the call; else (no call in the log) the owner, at qualified
    owner = np.where(held, who[rows], frame.owner[rows])
    at = np.where(held, when[rows], frame.stage["qualified"][rows])
    hired = frame.staff["hired"].to_numpy()
    known = owner >= 0
    known[known] &= np.isfinite(hired[owner[known]])
    if known.sum() < FEW:
        return None
    rows, owner, y = rows[known], owner[known], (tr.cause[decided][known] == 1).astype(float)
    day = frame.since_day + at[known] / MINUTES_PER_DAY
    month = np.clip((np.maximum(day - hired[owner], 0.0) // DAYS_PER_MONTH).astype(np.int64), 0, RAMPED_MONTH)
    ids, m = np.unique(owner, return_inverse=True)
    n_m = np.bincount(m).astype(float)
    ramp = np.ones(RAMPED_MONTH + 1)
    skill = np.ones(len(ids))
    ref = month == RAMPED_MONTH
    tau2, z, v = 0.0, np.ones(len(ids)), np.ones(len(ids))
    for _ in range(20):
        base = ref if ref.sum() >= FEW else np.ones(len(y), dtype=bool)
        p = y[base].sum() / max((skill[m] * ramp[month])[base].sum(), 1e-12)
        expected = np.bincount(m, weights=p * ramp[month], minlength=len(ids))
        z = np.bincount(m, weights=y, minlength=len(ids)) / np.maximum(expected, 1e-12)
        v = max(1.0 - y.mean(), 0.05) / np.maximum(expected, 1e-12)
        w = 1.0 / v
        zbar = float(np.sum(w * z) / w.sum())
        q = float(np.sum(w * (z - zbar) ** 2))
        tau2 = max(0.0, (q - (len(ids) - 1)) / (w.sum() - np.sum(w**2) / w.sum())) if len(ids) > 1 else 0.0
        new = zbar + tau2 / (tau2 + v) * (z - zbar)
        new = np.maximum(new, 0.01)
        new /= np.sum(n_m * new) / n_m.sum()
        if ref.sum() >= FEW:
            for k in range(RAMPED_MONTH):
                sel = month == k
                if sel.any():
                    ramp[k] = y[sel].sum() / max(p * skill[m[sel]].sum(), 1e-12)
        done = np.allclose(new, skill, atol=1e-6)
        skill = new
        if done:
            break
    ramp_n = np.bincount(month, minlength=RAMPED_MONTH + 1)
    denom = np.array([max(p * skill[m[month == k]].sum(), 1e-12) for k in range(RAMPED_MONTH + 1)])
    ramp_se = np.sqrt(np.bincount(month, weights=y, minlength=RAMPED_MONTH + 1) + 0.5) / denom
    return {
        "sd": math.sqrt(tau2),
        "raw": z,
        "shrunk": skill,
        "n": n_m,
        "noise": v,
        "ids": frame.staff["manager_id"].to_numpy()[ids],
        "ramp": ramp[:RAMPED_MONTH],
        "ramp_se": ramp_se[:RAMPED_MONTH],
        "ramp_n": ramp_n[:RAMPED_MONTH],
        "ref_n": int(ref.sum()),
        "factor": float(ramp[month].mean()),
        "deals": len(y),
    }


def fit_team(frame: Frame, start: dt.date) -> tuple[Part, float]:
    """Fit skill, ramp and attrition, and write the team at the window's end.

    Args:
        frame: the window's data.
        start: the scenario's first day (tenures are counted to it).

    Returns:
        ``team.*`` values, comments and fits, and the mean ramp factor of the presentations
        (the funnel divides the offer rate by it).
    """
    part = Part()
    factor = 1.0
    fit = skill_and_ramp(frame)
    if fit is None:
        part.default("team.skill", 1.0, "fewer than 30 presentations decided by a manager on the staff list")
        part.default("team.ramp", {"months": [0.4, 0.7, 0.9]}, "no presentation by a known manager")
    else:
        _skill(part, frame, fit)
        factor = _ramp(part, frame, fit)
    _attrition(part, frame)
    _roster(part, frame, start)
    for path in (
        "team.coaching",
        "team.hires_per_lead_month",
        "team.lead_adaptation_days",
        "team.attrition.probation_days",
    ):
        part.defaults.append(path)
    return part, factor


def _skill(part: Part, frame: Frame, fit: dict) -> None:
    sd, n = fit["sd"], len(fit["ids"])
    src = f"from {count(fit['deals'])} presentations by {n} managers, {frame.period}"
    if sd > 0.005:
        part.set(
            "team.skill",
            {"lognormal": {"mean": 1.0, "sd": sig(sd, 3)}},
            f"{src}: the spread between managers once chance is taken out (empirical Bayes), sd {sd:.3f}",
        )
    else:
        part.set("team.skill", 1.0, f"{src}: managers differ no more than chance would make them")
    order = np.argsort(-fit["n"])[:40]
    noise = np.sqrt(fit["noise"][order])
    part.fits.append(
        Fit(
            "team.skill",
            "Managers: raw offer rate against the team, and shrunk",
            [str(i) for i in fit["ids"][order]],
            fit["raw"][order],
            fit["shrunk"][order],
            fit["raw"][order] - 1.645 * noise,
            fit["raw"][order] + 1.645 * noise,
            kind="interval",
            xlabel="manager (most deals first)",
            ylabel="skill (team = 1)",
            n=fit["deals"],
            note="bars: the raw ratio with its 90% chance interval; points: "
            "the shrunk skill (few deals, little trust)",
        )
    )


def _ramp(part: Part, frame: Frame, fit: dict) -> float:
    ramp, se, nk = fit["ramp"], fit["ramp_se"], fit["ramp_n"]
    if fit["ref_n"] < FEW or nk[0] < FEW:
        part.default(
            "team.ramp",
            {"months": [0.4, 0.7, 0.9]},
            f"{fit['ref_n']} presentations by ramped managers and {int(nk[0])} by first-month ones: "
            "too few to compare",
        )
        return 1.0
    last = max(k for k in range(RAMPED_MONTH) if nk[k] >= FEW)
    months = np.clip(ramp[: last + 1], 0.05, 1.0)
    months = np.maximum.accumulate(months)
    while len(months) > 1 and months[-1] >= 0.995:
        months = months[:-1]
    part.set(
        "team.ramp",
        {"months": [round(float(x), 3) for x in months]},
        f"from {count(fit['deals'])} presentations, {frame.period}: the offer rate by tenure month against "
        f"managers in their 7th month or later ({count(fit['ref_n'])} presentations), skill taken out",
    )
    part.fits.append(
        Fit(
            "team.ramp",
            "Ramp: offer rate by tenure month against ramped managers",
            list(range(1, RAMPED_MONTH + 1)),
            ramp,
            np.append(months, np.ones(RAMPED_MONTH))[:RAMPED_MONTH],
            ramp - 1.645 * se,
            ramp + 1.645 * se,
            kind="interval",
            xlabel="tenure month",
            ylabel="factor (ramped = 1)",
            n=fit["deals"],
        )
    )
    return fit["factor"]


def _attrition(part: Part, frame: Frame) -> None:
    st = frame.staff
    managers = st["role"].astype(str).to_numpy() == "manager"
    hired, left = st["hired"].to_numpy()[managers], st["left"].to_numpy()[managers]
    lo, hi = frame.since_day, frame.since_day + frame.days
    start = np.maximum(hired, lo)
    stop = np.where(np.isfinite(left), np.minimum(left, hi), hi)
    ok = np.isfinite(hired) & (stop > start)
    prob_end = hired + PROBATION_DAYS
    in_prob = np.where(ok, np.maximum(0.0, np.minimum(stop, prob_end) - np.maximum(start, hired)), 0.0)
    total = np.where(ok, stop - start, 0.0)
    exits = ok & np.isfinite(left) & (left >= lo) & (left < hi)
    early = exits & (left - hired < PROBATION_DAYS)
    bad = np.isfinite(left) & np.isfinite(hired) & (left < hired)
    if bad.any():
        part.warnings.append(
            f"{int(bad.sum())} managers left before they were hired (impossible dates); "
            "their attrition is left out"
        )
    for path, x, days, what in (
        (
            "team.attrition.monthly",
            int((exits & ~early).sum()),
            float((total - in_prob)[~bad].sum()),
            "after probation",
        ),
        (
            "team.attrition.probation_monthly",
            int(early.sum()),
            float(in_prob[~bad].sum()),
            f"in the first {PROBATION_DAYS} days",
        ),
    ):
        months = days / DAYS_PER_MONTH
        if months < 1:
            part.default(path, 0.0, f"no manager-month {what} in the window")
            continue
        p = monthly_rate(x, months)
        part.set(
            path,
            {"beta": [round(p * months + 0.5, 2), round((1 - p) * months + 0.5, 2)]},
            f"from {x} exits in {months:,.1f} manager-months {what}, {frame.period}: {p:.1%} a month",
        )


def monthly_rate(exits: int, months: float) -> float:
    """The monthly leaving chance of a constant hazard that gives ``exits`` in ``months`` manager-months.

    Args:
        exits: the exits counted.
        months: the manager-months at risk (> 0).

    Returns:
        ``1 - exp(-exits / months)``, a share; 0.0 (not -0.0) with no exits.
    """
    return max(0.0, -math.expm1(-exits / months))


def _roster(part: Part, frame: Frame, start: dt.date) -> None:
    st = frame.staff
    day = (start - dt.date(1970, 1, 1)).days
    hired, left = st["hired"].to_numpy(), st["left"].to_numpy()
    active = np.isfinite(hired) & (hired < day) & ~(np.isfinite(left) & (left < day))
    role = st["role"].astype(str).to_numpy()
    ids = st["manager_id"].astype(str).to_numpy()
    lead_of = (
        st["team_lead_id"].astype("string").fillna("").to_numpy(dtype=str)
        if "team_lead_id" in st
        else np.full(len(st), "")
    )
    leads = active & (role == "team_lead")
    managers = active & (role == "manager")
    tl_ids = list(ids[leads])
    tl_tenure = {i: int(day - h) for i, h in zip(ids[leads], hired[leads], strict=True)}
    src = f"{count(len(st))} people on the staff table: active on {start - dt.timedelta(days=1)}"
    if not tl_ids:
        tenure = int(day - np.nanmin(hired[managers])) if managers.any() else 365
        tl_ids, tl_tenure = ["team"], {"team": tenure}
        part.warnings.append(
            "no team lead is on the staff list at the window's end: one team lead 'team' holds every manager"
        )
    mine = lead_of[managers]
    orphans = ~np.isin(mine, tl_ids)
    sizes = {t: int(np.sum(mine == t)) for t in tl_ids}
    if orphans.any():
        for i in np.flatnonzero(orphans):
            t = min(sizes, key=lambda key: sizes[key])
            mine[i] = t
            sizes[t] += 1
        part.warnings.append(
            f"{int(orphans.sum())} managers have no active team lead; each is put under the "
            "team lead with the fewest managers"
        )
    tenure = (day - hired[managers]).astype(int)
    groups = []
    for t in tl_ids:
        sel = mine == t
        young = sel & (tenure < EXACT_TENURE_DAYS)
        for value, n in zip(*np.unique(tenure[young], return_counts=True), strict=True):
            groups.append({"team_lead": t, "count": int(n), "tenure_days": int(value)})
        old = sel & (tenure >= EXACT_TENURE_DAYS)
        if old.any():
            groups.append(
                {"team_lead": t, "count": int(old.sum()), "tenure_days": int(np.median(tenure[old]))}
            )
    part.set(
        "team.team_leads",
        [{"name": t, "tenure_days": tl_tenure[t]} for t in tl_ids],
        f"from {src}: {len(tl_ids)} team leads, tenure in days at the start",
    )
    part.set(
        "team.managers",
        groups,
        f"from {src}: {int(managers.sum())} managers; tenures under "
        f"{EXACT_TENURE_DAYS} days kept exact, the rest grouped at the median",
    )
    if not managers.any():
        part.warnings.append(
            "no manager is on the staff list at the window's end: the scenario's team is empty"
        )
    part.set(
        "team.span_max",
        max(10, max(sizes.values(), default=0)),
        "at least the largest team at the window's end (default 10)",
    )
