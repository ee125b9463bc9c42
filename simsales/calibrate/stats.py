"""The statistics every fit shares: Beta posteriors, competing risks, call lengths.

Probabilities become ``{beta: [a, b]}`` posteriors: from plain counts
(Jeffreys prior, a = x + 1/2, b = n - x + 1/2), or from a censored
estimate through its effective sample size, the number of fully observed
cases that would give the same variance (``n_eff = p (1 - p) / var``),
so a Beta carries exactly the uncertainty the data leave.

A stage probability with deals still open at the export is the
Aalen-Johansen cumulative incidence of "advanced" against the competing
"lost", open deals censored at their age at the export
(:func:`competing_risks`): not "open = lost", which biases every rate
down while recent deals are still in flight.

Delays are fitted in :mod:`simsales.calibrate.delays`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from simsales.crm.outcomes import incidence as aalen_johansen

JEFFREYS = 0.5
"""The prior counts added to successes and failures (the Jeffreys prior, Beta(1/2, 1/2))."""


@dataclass(frozen=True)
class Prob:
    """A fitted probability and its posterior.

    Attributes:
        p: the estimate.
        a: the Beta's first parameter.
        b: the Beta's second parameter.
        n: the cases it came from (entrants, or trials).
        events: the cases that advanced (or succeeded).
        open: the cases still open at the export (censored).
    """

    p: float
    a: float
    b: float
    n: int
    events: int
    open: int = 0

    @property
    def spec(self) -> dict:
        """The scenario's form, ``{beta: [a, b]}`` (3 significant digits more than the data need)."""
        return {"beta": [_round(self.a), _round(self.b)]}

    def interval(self, level: float = 0.9) -> tuple[float, float]:
        """The central posterior interval.

        Args:
            level: its probability (0.9: P5 to P95).

        Returns:
            ``(lo, hi)``.
        """
        tail = (1.0 - level) / 2.0
        lo, hi = stats.beta.ppf([tail, 1.0 - tail], self.a, self.b)
        return float(lo), float(hi)


def _round(x: float) -> float:
    """A Beta parameter as written: 4 significant digits, at least 2 decimals below 100."""
    return float(f"{x:.4g}") if x >= 100 else round(x, 2)


def beta_counts(events: int, n: int) -> Prob:
    """The posterior of a probability seen as ``events`` successes in ``n`` trials.

    Args:
        events: successes.
        n: trials.

    Returns:
        The estimate ``events / n`` (0 when no trials) and Beta(events + 1/2, n - events + 1/2).
    """
    events, n = int(events), int(n)
    return Prob(events / n if n else 0.0, events + JEFFREYS, n - events + JEFFREYS, n, events)


def beta_moments(p: float, var: float, n: int, events: int, open_: int = 0) -> Prob:
    """The Beta posterior of an estimate with a known variance (effective sample size).

    Args:
        p: the estimate, in [0, 1].
        var: its variance (0 or NaN: fall back on the plain counts).
        n: the cases it came from.
        events: the cases that advanced.
        open_: the cases still open.

    Returns:
        Beta(p n_eff + 1/2, (1 - p) n_eff + 1/2) with ``n_eff = p (1 - p) / var``,
        never more than ``n``.
    """
    p = min(max(float(p), 0.0), 1.0)
    if not (var > 0 and 0 < p < 1):
        decided = n - open_
        prob = beta_counts(round(p * decided), decided)
        return Prob(p, prob.a, prob.b, n, events, open_)
    n_eff = min(p * (1 - p) / var, float(n))
    return Prob(p, p * n_eff + JEFFREYS, (1 - p) * n_eff + JEFFREYS, n, events, open_)


@dataclass(frozen=True)
class Incidence:
    """The cumulative incidence of advancing, by time since entry (Aalen-Johansen).

    Attributes:
        time: the distinct event times, days since entry.
        advanced: the cumulative incidence of advancing at each.
        prob: the probability of ever advancing, with its Beta.
    """

    time: np.ndarray
    advanced: np.ndarray
    prob: Prob


def competing_risks(time: np.ndarray, cause: np.ndarray) -> Incidence:
    """The chance of advancing against a competing loss, with open cases censored.

    The Aalen-Johansen estimate of the cumulative incidence of cause 1 at the
    last time seen, and its delta-method variance (Marubini & Valsecchi,
    1995, eq. 10.10), turned into a Beta by the effective sample size.
    Without censoring it is ``advanced / n`` with variance ``p (1 - p) / n``.

    Args:
        time: per case, days from entry to its event, or to the export if open.
        cause: per case, 1 advanced, 2 lost, 0 open (censored).

    Returns:
        The incidence curve and the probability's posterior.
    """
    time = np.asarray(time, dtype=float)
    cause = np.asarray(cause, dtype=np.int8)
    n_all = len(time)
    if n_all == 0:
        return Incidence(np.zeros(0), np.zeros(0), beta_counts(0, 0))
    est = aalen_johansen(time, cause == 1, cause == 2)
    u, d1, at_risk, surv_before, cif = est.times, est.d_win, est.at_risk.astype(float), est.before, est.win
    d = d1 + est.d_lose
    f = cif[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(at_risk > d, (f - cif) ** 2 * d / (at_risk * (at_risk - d)), 0.0)
    t2 = surv_before**2 * d1 * (at_risk - d1) / at_risk**3
    t3 = (f - cif) * surv_before * d1 / at_risk**2
    var = float(np.sum(t1 + t2 - 2.0 * t3))
    events, open_ = int(d1.sum()), int((cause == 0).sum())
    prob = beta_moments(float(f), var, n_all, events, open_)
    return Incidence(u, cif, prob)


def naive_rate(cause: np.ndarray) -> float:
    """The rate that counts every open case as lost (what the export shows; biased down).

    Args:
        cause: per case, 1 advanced, 2 lost, 0 open.

    Returns:
        ``advanced / entered``.
    """
    cause = np.asarray(cause)
    return float((cause == 1).mean()) if len(cause) else 0.0


# -- call lengths and other per-event sizes ------------------------------------


def lognormal_fit(x: np.ndarray) -> tuple[float, float] | None:
    """Mean and sd of the lognormal fitted to positive values (maximum likelihood).

    Args:
        x: the values (minutes, money ...); zeros and NaN are left out.

    Returns:
        ``(mean, sd)`` of the variable itself, or None when fewer than 2 values are positive.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < 2:
        return None
    logs = np.log(x)
    mu, s2 = logs.mean(), logs.var()
    mean = math.exp(mu + s2 / 2)
    return mean, mean * math.sqrt(math.expm1(s2))
