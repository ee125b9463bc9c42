"""Channels: daily volume, weekday and hour profiles, monthly growth, over-dispersion, non-target share.

The scenario's day volume is negative binomial with mean
``leads_per_day x weekday[w] x (1 + growth) ** (day / 30.44)`` and variance
``m + overdispersion x m^2`` (:mod:`simsales.world.arrivals`).  The same
model is fitted by maximum likelihood to each channel's leads per local day
(scipy.optimize); the volume at the scenario's start is the fitted level
carried forward by the fitted growth, its uncertainty (both parameters'
errors, correlated) a lognormal.  The non-target share is the share of
contacted leads found non-target (``nontarget``, else a loss reason that
names it): only a contact reveals it; the scenario's share is of all the
channel's leads, so it is that share times the reachable ones
(``1 - unreachable_share``).  The unreachable share and the contact factor
come from the joint fit of who can be reached (:mod:`simsales.calibrate.reach`).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from scipy import optimize, special, stats

from simsales.calibrate.fit import Fit, Part, count, sig
from simsales.calibrate.frame import MINUTES_PER_DAY, Frame
from simsales.calibrate.mle import covariance
from simsales.calibrate.reach import Reach
from simsales.calibrate.stats import beta_counts, beta_moments
from simsales.scenario.limits import MAX_OVERDISPERSION
from simsales.world.calendar import DAYS_PER_MONTH

MIN_GROWTH_DAYS = 28
"""A window shorter than this does not tell growth: it keeps the default 0."""
NONTARGET_WORDS = (
    "nontarget",
    "non-target",
    "non_target",
    "not target",
    "spam",
    "wrong number",
    "junk",
    "job seeker",
    "not a client",
)
"""Loss reasons read as non-target when the export has no ``nontarget`` column (lower case, substrings)."""
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _nb_nll(y: np.ndarray, mu: np.ndarray, od: float) -> float:
    r = 1.0 / od
    return -float(
        np.sum(
            special.gammaln(y + r)
            - special.gammaln(r)
            - special.gammaln(y + 1)
            + r * np.log(r / (r + mu))
            + y * np.log(mu / (r + mu))
        )
    )


def fit_volume(
    y: np.ndarray, weekday: np.ndarray, day: np.ndarray, ahead: float, growth: bool = True
) -> dict:
    """Fit a channel's daily volume: level, weekday effects, growth and over-dispersion.

    Args:
        y: leads per day.
        weekday: each day's weekday, 0 = Monday.
        day: each day's index from the window's first day.
        ahead: days from the window's first day to the scenario's start.
        growth: fit growth (else it is held at 0).

    Returns:
        ``level`` (mean leads a day at the start), ``log_sd`` (its uncertainty on the log
        scale), ``growth``, ``growth_se`` (per month), ``od``, ``weekday`` (7, mean 1),
        ``mu`` (the fitted mean per day).
    """
    y = np.asarray(y, dtype=float)
    seen = np.bincount(weekday, minlength=7) > 0
    wk_mean = np.array([y[weekday == w].mean() if seen[w] else np.nan for w in range(7)])
    base = max(np.nanmean(wk_mean), 1e-3)
    free = [w for w in range(1, 7) if seen[w]]

    def unpack(x):
        w = np.zeros(7)
        w[free] = x[1 : 1 + len(free)]
        g = x[1 + len(free)] if growth else 0.0
        return x[0], w, g, math.exp(x[-1])

    def mean(x):
        a, w, g, _ = unpack(x)
        return np.exp(a + w[weekday] + g * day / DAYS_PER_MONTH)

    def nll(x):
        return _nb_nll(y, np.maximum(mean(x), 1e-12), unpack(x)[3])

    w0 = np.log(np.maximum(wk_mean / wk_mean[0], 1e-3)) if seen[0] else np.zeros(7)
    x0 = np.concatenate(
        [
            [math.log(max(wk_mean[0] if seen[0] else base, 1e-3))],
            np.nan_to_num(w0[free]),
            [0.0] if growth else [],
            [math.log(0.05)],
        ]
    )
    bounds = [(None, None)] * (len(x0) - 1) + [(-12.0, math.log(MAX_OVERDISPERSION.value))]
    with np.errstate(all="ignore"):
        res = optimize.minimize(nll, x0, method="L-BFGS-B", bounds=bounds)
    x = res.x
    a, w, g, od = unpack(x)
    w = np.where(seen, w, -np.inf)
    norm = math.log(np.mean(np.exp(w[seen])))

    def log_level(v):
        a_, w_, g_, _ = unpack(v)
        return a_ + math.log(np.mean(np.exp(w_[seen]))) + g_ * ahead / DAYS_PER_MONTH

    cov = covariance(nll, x)
    grad = np.array([(log_level(x + e) - log_level(x - e)) / 2e-5 for e in np.eye(len(x)) * 1e-5])
    log_var = float(grad @ np.nan_to_num(cov) @ grad)
    g_se = (
        math.sqrt(cov[1 + len(free), 1 + len(free)])
        if growth and np.isfinite(cov[1 + len(free), 1 + len(free)])
        else math.nan
    )
    weekday_profile = np.where(seen, np.exp(w - norm), 1.0)
    return {
        "level": math.exp(log_level(x)),
        "log_sd": math.sqrt(max(log_var, 0.0)),
        "growth": math.expm1(g),
        "growth_se": math.exp(g) * g_se if growth else math.nan,
        "od": od if od > 1e-4 else 0.0,
        "weekday": weekday_profile,
        "mu": mean(x),
        "a": a,
    }


def _lognormal_spec(median: float, log_sd: float) -> dict:
    """``{lognormal: {mean, sd}}`` with the given median and log-scale sd."""
    mean = median * math.exp(log_sd**2 / 2)
    return {"lognormal": {"mean": sig(mean), "sd": sig(mean * math.sqrt(math.expm1(log_sd**2)), 3)}}


def _growth_spec(g: float, se: float) -> dict | float:
    """``{normal: [g, se]}``, bounded above -1 when its tail would reach it."""
    if not np.isfinite(se) or se <= 0:
        return sig(g, 3)
    spec: dict = {"normal": [sig(g, 3), sig(se, 3)]}
    if g - 7 * se <= -1:
        spec["min"] = -0.95
    return spec


def nontarget_flags(frame: Frame) -> tuple[np.ndarray, str]:
    """Per lead, 1 non-target, 0 target, NaN unknown, and where it was read from."""
    if np.isfinite(frame.nontarget).any():
        return frame.nontarget, "the nontarget column"
    reasons = frame.loss_reason
    if (reasons != "").any():
        hit = np.zeros(frame.n, dtype=bool)
        for word in NONTARGET_WORDS:
            hit |= np.char.find(reasons.astype(str), word) >= 0
        return hit.astype(float), "loss reasons naming non-target leads"
    return np.full(frame.n, np.nan), ""


def fit_channels(frame: Frame, start_offset_days: int, reach: Reach | None = None) -> Part:
    """Fit every channel's volume, profiles, growth, over-dispersion and non-target share.

    Args:
        frame: the window's data.
        start_offset_days: days from the window's first day to the scenario's start.
        reach: the fit of who can be reached (None: no call; unreachable share and contact factor
            keep their defaults).

    Returns:
        ``channels[i].*`` values, their comments and the volume fits.
    """
    part = Part()
    wall_day = np.floor(frame.created_wall / MINUTES_PER_DAY).astype(np.int64) - frame.since_day
    hour = ((frame.created_wall % MINUTES_PER_DAY) // 60).astype(np.int64)
    flags, source = nontarget_flags(frame)
    contacted = np.isfinite(frame.stage["contact"])
    for c, name in enumerate(frame.channels):
        at = f"channels[{c}]"
        mine = frame.channel == c
        first = int(wall_day[mine].min())
        days = np.arange(first, frame.days)
        y = np.bincount(wall_day[mine] - first, minlength=len(days))[: len(days)].astype(float)
        weekday = (days + frame.since.weekday()) % 7
        period = f"{frame.since + dt.timedelta(days=first)}..{frame.until}"
        if first > 7:
            part.warnings.append(
                f"channel {name!r} has no lead before {period.split('..')[0]}: its volume "
                f"is fitted on {len(days)} days only"
            )
        grow = len(days) >= MIN_GROWTH_DAYS
        fit = fit_volume(y, weekday, days - first, start_offset_days - first, growth=grow)
        n = int(mine.sum())
        src = f"from {count(n)} leads on {len(days)} days, {period}"
        part.set(f"{at}.name", name, "the channel's name in the export")
        part.set(
            f"{at}.leads_per_day",
            _lognormal_spec(fit["level"], fit["log_sd"]),
            f"{src}: {fit['level']:.1f} a day at the start (negative binomial fit, carried forward by "
            f"the growth; lognormal = its uncertainty)",
        )
        part.set(f"{at}.weekday_profile", [round(float(v), 3) for v in fit["weekday"]], f"{src}, Mon..Sun")
        hours = np.bincount(hour[mine], minlength=24).astype(float)
        part.set(
            f"{at}.hour_profile",
            [round(float(v), 3) for v in hours / hours.mean()],
            f"{src}, local hours 0..23 ({frame.tz})",
        )
        if grow:
            part.set(
                f"{at}.growth_per_month",
                _growth_spec(fit["growth"], fit["growth_se"]),
                f"{src}: {fit['growth']:+.1%} a month, se {fit['growth_se']:.1%}",
            )
        else:
            part.default(
                f"{at}.growth_per_month",
                0.0,
                f"the window ({len(days)} days) is shorter than {MIN_GROWTH_DAYS} days",
            )
        part.set(
            f"{at}.overdispersion",
            sig(fit["od"], 3),
            f"{src}: day volume variance = m + {fit['od']:.3g} m^2 (0 = Poisson)",
        )
        part.default(f"{at}.cpl", 0.0, "an export has no lead costs: enter the cost per lead")
        known = mine & contacted & np.isfinite(flags)
        broken, broken_se = _reach_part(part, c, at, name, reach, frame)
        if known.any():
            prob = beta_counts(int(np.nansum(flags[known])), int(known.sum()))
            spec, why = prob.spec, ""
            if broken > 0:  # a share of the reached leads -> of all leads
                var = (1 - broken) ** 2 * prob.a * prob.b / ((prob.a + prob.b) ** 2 * (prob.a + prob.b + 1))
                var += prob.p**2 * broken_se**2
                share = beta_moments((1 - broken) * prob.p, var, prob.n, prob.events)
                spec, why = share.spec, f"; x {1 - broken:.3f} reachable leads, a share of all leads"
            part.set(
                f"{at}.nontarget_share",
                spec,
                f"from {count(prob.n)} contacted leads, {frame.period}: {prob.events:,} non-target "
                f"({source}){why}",
            )
        else:
            part.default(f"{at}.nontarget_share", 0.0, "no contacted lead says whether it was non-target")
        _volume_fits(part, at, name, y, fit, days, frame, hours, n)
    return part


def _reach_part(
    part: Part, c: int, at: str, name: str, reach: Reach | None, frame: Frame
) -> tuple[float, float]:
    """Channel ``c``'s unreachable share and contact factor, and their fit by attempt.

    Returns:
        The fitted unreachable share and its standard error (0, 0 when not fitted).
    """
    if reach is None or reach.leads[c] == 0:
        why = "no call in the export" if reach is None else "no lead of the channel was attempted"
        part.default(f"{at}.unreachable_share", 0.0, why)
        part.default(f"{at}.contact_factor", 1.0, why)
        return 0.0, 0.0
    src = (
        f"from {count(reach.leads[c])} attempted leads ({count(reach.multi[c])} attempted twice or more), "
        f"{frame.period}"
    )
    u, se = float(reach.share[c]), float(reach.share_se[c])
    if reach.identified[c]:
        m = max(u, se)  # at the boundary 0: a Beta as wide as the error, not a spike at 0
        prob = beta_moments(m, se**2, int(reach.leads[c]), round(u * reach.leads[c]))
        part.set(
            f"{at}.unreachable_share",
            prob.spec,
            f"{src}: {u:.1%} (se {se:.1%}) of leads never answer any attempt (broken numbers); maximum "
            "likelihood per lead, the leads' failures along the chain against the contact chance",
        )
    else:
        part.default(f"{at}.unreachable_share", 0.0, reach.why[c])
        u, se = 0.0, 0.0
    f, log_se = float(reach.factor[c]), float(reach.log_factor_se[c])
    if c == reach.reference:
        part.set(f"{at}.contact_factor", 1.0, f"{src}: the reference channel (most leads), p_contact's own")
    elif np.isfinite(log_se) and log_se > 0:
        ref = frame.channels[reach.reference]
        part.set(
            f"{at}.contact_factor",
            _lognormal_spec(f, log_se),
            f"{src}: its leads answer {f:.3g} x as often as {ref!r}'s (log-scale se {log_se:.2g}); the same "
            "fit",
        )
    else:
        part.set(f"{at}.contact_factor", sig(f, 3), f"{src}: the same fit (its error is not known)")
    mine = reach.row_channel == c
    k, x, h = reach.row_k[mine], reach.row_answered[mine].astype(float), reach.hazard[mine]
    chain = len(reach.p)
    kn = np.bincount(k, minlength=chain).astype(float)
    obs = np.bincount(k, weights=x, minlength=chain) / np.maximum(kn, 1)
    se_k = np.sqrt(obs * (1 - obs) / np.maximum(kn, 1))
    part.fits.append(
        Fit(
            f"{at}.unreachable_share",
            f"{name}: contact chance by attempt, leads still unreached",
            list(range(1, chain + 1)),
            obs,
            np.bincount(k, weights=h, minlength=chain) / np.maximum(kn, 1),
            obs - 1.645 * se_k,
            obs + 1.645 * se_k,
            kind="bar",
            xlabel="attempt",
            ylabel="share answered",
            n=int(reach.leads[c]),
            note=f"the broken numbers ({u:.1%} of leads) fail every attempt and pile up in the later ones",
        )
    )
    return u, se


def _volume_fits(
    part: Part,
    at: str,
    name: str,
    y: np.ndarray,
    fit: dict,
    days: np.ndarray,
    frame: Frame,
    hours: np.ndarray,
    n: int,
) -> None:
    """Observed against fitted: leads per day (with the fit's P10-P90), per weekday, per hour."""
    mu, od = fit["mu"], fit["od"]
    if od > 0:
        r = 1 / od
        lo, hi = stats.nbinom.ppf([[0.1], [0.9]], r, r / (r + mu))
    else:
        lo, hi = stats.poisson.ppf([[0.1], [0.9]], mu)
    dates = [str(frame.since + dt.timedelta(days=int(d))) for d in days]
    inside = float(np.mean((y >= lo) & (y <= hi)))
    part.fits.append(
        Fit(
            f"{at}.leads_per_day",
            f"{name}: leads per day",
            dates,
            y,
            mu,
            lo,
            hi,
            kind="band",
            xlabel="day",
            ylabel="leads",
            n=n,
            note=f"{inside:.0%} of days inside the fit's P10-P90 band (about 80% expected)",
        )
    )
    weekday = (days + frame.since.weekday()) % 7
    obs = np.array([y[weekday == w].mean() if (weekday == w).any() else np.nan for w in range(7)])
    fitted = np.array([mu[weekday == w].mean() if (weekday == w).any() else np.nan for w in range(7)])
    part.fits.append(
        Fit(
            f"{at}.weekday_profile",
            f"{name}: mean leads by weekday",
            list(WEEKDAY_NAMES),
            obs,
            fitted,
            kind="bar",
            xlabel="weekday",
            ylabel="leads a day",
            n=n,
        )
    )
    share = hours / hours.sum()
    se = np.sqrt(share * (1 - share) / max(hours.sum(), 1))
    part.fits.append(
        Fit(
            f"{at}.hour_profile",
            f"{name}: share of leads by hour",
            list(range(24)),
            share,
            share,
            share - 1.645 * se,
            share + 1.645 * se,
            kind="bar",
            xlabel=f"hour ({frame.tz})",
            ylabel="share of leads",
            n=n,
        )
    )
