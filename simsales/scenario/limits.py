"""The bounds that keep a run feasible on a laptop, each with its reason.

Validation refuses a scenario beyond any of them before anything runs, and
the error says the limit and why (:meth:`Limit.message`).  The limits
leave generous headroom over the largest real case simsales is built for:
a department of about 250 managers taking a few thousand leads a day,
planned over a quarter to a few years.

A distribution is checked at its practical ends: its support where that
is finite, else the value it passes once in :data:`TAIL` draws
(:mod:`simsales.scenario.ranges`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """An upper bound on one kind of input.

    Attributes:
        value: the most allowed.
        unit: what is counted (``"managers"``, ``"days"``, ...).
        reason: why, in one sentence a user can act on.
    """

    value: float
    unit: str
    reason: str

    def message(self, got: float, what: str = "") -> str:
        """The error for a value over the limit.

        Args:
            got: the value given (or implied).
            what: what the value is, when the field name does not say it.

        Returns:
            ``"expected at most 5,000 managers, got 1e+12 (...): reason"``.
        """
        detail = f" ({what})" if what else ""
        unit = f" {self.unit}" if self.unit else ""
        return f"expected at most {amount(self.value)}{unit}, got {amount(got)}{detail}: {self.reason}"

    def exceeded(self, got: float) -> bool:
        """Whether ``got`` is over the limit (NaN counts as over)."""
        return not got <= self.value


def amount(x: float) -> str:
    """A number for a message: ``5,000``, ``0.25``, ``1e+12``.

    Args:
        x: the number.

    Returns:
        Thousands grouped below 10^15, ``g`` form above and for fractions.
    """
    if math.isfinite(x) and abs(x) < 1e15 and x == round(x):
        return f"{x:,.0f}"
    return f"{x:,g}" if math.isfinite(x) and abs(x) < 1e15 else f"{x:g}"


TAIL = 1e-12
"""An unbounded distribution is checked at the value it passes once in this many draws."""

MAX_MANAGERS = Limit(
    5_000, "managers",
    "a run keeps every manager's shifts, ramp and conversion day by day and simulates each one; "
    "5,000 (the team at the start plus every hire one plan asks for) is 20 times the largest "
    "department simsales is built for (250 managers)")

MAX_TEAM_LEADS = Limit(
    1_000, "team leads",
    "the span rule and the coaching load are tracked per team lead and day; 1,000 team leads "
    "(at the start plus the hires of one plan) lead more than the 5,000-manager limit")

MAX_LEADS_PER_DAY = Limit(
    100_000, "leads a day",
    "a channel's expected leads on its busiest day (volume x weekday profile x growth); "
    "a 250-manager department takes a few thousand a day, and every lead is simulated: "
    "a day of 1e12 leads would never finish (numpy's Poisson draw fails outright above ~1e18)")

MAX_LEADS_PER_REPLICATION = Limit(
    8_000_000, "leads per replication",
    "the expected leads of all channels over the horizon: the fast engine numbers a "
    "replication's leads in 23 bits (8,388,608), and a replication holds about 250 bytes per "
    "lead at its peak (2 GB at the limit); 5,000 leads a day for three years is 5.5 million")

MAX_HORIZON_DAYS = Limit(
    1_096, "days",
    "three years (with a leap day): the roster and every series are kept day by day, and "
    "hiring plans are made for quarters and years")

MAX_ATTEMPTS = Limit(
    50, "attempts",
    "real touch chains have 5 to 15 attempts; each one is an event per lead in both engines")

MAX_REPLICATIONS = Limit(
    100_000, "replications",
    "P10/P50/P90 and the chance of making the plan settle to a fraction of a percent by "
    "10,000 replications, and every replication's metrics are kept")

MAX_DAYS = Limit(
    36_500, "days",
    "100 years: a longer tenure, delay or adaptation acts the same in a horizon of at most "
    "three years, and day numbers must fit the roster's 64-bit integers")

MAX_OVERDISPERSION = Limit(
    10, "",
    "the day's volume is negative binomial with variance m + od x m^2: at 10 its standard "
    "deviation is over 3 times its mean, and above it the gamma draws behind it reach volumes "
    "no run can hold")

MAX_MONEY = Limit(
    1e15, "in the scenario's currency",
    "10^15 is beyond any company's revenue in any currency, and larger sums lose whole units "
    "in 64-bit floating point")

LIMITS: dict[str, Limit] = {
    "managers": MAX_MANAGERS, "team leads": MAX_TEAM_LEADS, "leads a day per channel": MAX_LEADS_PER_DAY,
    "leads per replication": MAX_LEADS_PER_REPLICATION, "horizon": MAX_HORIZON_DAYS,
    "touch chain": MAX_ATTEMPTS, "replications": MAX_REPLICATIONS, "a count of days": MAX_DAYS,
    "overdispersion": MAX_OVERDISPERSION, "money": MAX_MONEY,
}
"""Every limit, by what it bounds (the README's "Limits and errors" lists them)."""
