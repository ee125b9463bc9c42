"""The scenario's assumptions in the words and units a head of sales uses.

Never the YAML: ``{beta: [45, 55]}`` reads ``45% (39-51%)`` (the mean, then
the 80% range P10-P90), ``{triangular: [800, 900, 1000]}`` on a channel's
volume reads ``between 800 and 1,000 a day (most likely 900)``, a touch
chain's offsets ``0 min, 15 min, 1 h, 4 h, 1 day``.  Shares are percentages,
money is short (:func:`~simsales.report.units.money`) in the scenario's
currency, durations as a person says them
(:func:`~simsales.report.units.duration`), plans by their display name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scipy import stats

from simsales.montecarlo.revenue_plan import RevenuePlan
from simsales.report.units import count, counted, duration, money, month_name, plan_labels, share
from simsales.scenario import (
    Beta,
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Scenario,
    Shift,
    Triangular,
    Uncertain,
    Uniform,
)
from simsales.scenario.base import WEEKDAYS
from simsales.scenario.policies import policy
from simsales.world.warmup import warmup_of, warmup_short_of

RANGE = (0.1, 0.9)
"""The range shown after an uncertain value's mean: P10 to P90 (80% of draws)."""

NOTE = ("Uncertain values read \u201cmean (P10-P90)\u201d: 80% of replications draw a value in the "
        "brackets; \u201cbetween a and b\u201d is the whole range of a triangular or uniform value.")


@dataclass(frozen=True)
class Unit:
    """How a field's numbers are written.

    Attributes:
        number: one number without its unit (``"45"``, ``"1,000"``, ``"62k"``, ``"+3.0%"``).
        suffix: the unit after the number (``"%"``, ``" leads a day"``, ``" RUB"``).
        tight: the suffix sticks to every number of a range (``"between 50% and 70%"``),
            else it is written once at the end (``"between 290 and 350 leads a day"``).
        singular: the suffix after exactly 1 (``" day"`` for ``" days"``).
    """

    number: Callable[[float], str]
    suffix: str = ""
    tight: bool = False
    singular: str | None = None

    def one(self, x: float) -> str:
        """One value with its unit."""
        return self.number(x) + (self.singular if self.singular and x == 1 else self.suffix)

    def span(self, lo: float, hi: float) -> str:
        """A range: ``39-51%``, ``4-15 min``; ``-3% to +5%`` when a bound is signed."""
        a, b = self.number(lo), self.number(hi)
        joint = " to " if a[:1] in "+-" or b[:1] in "+-" else "-"
        return f"{a}{joint}{b}{self.suffix}"

    def between(self, lo: float, hi: float) -> str:
        """``between 290 and 350 leads a day`` or ``between 50% and 70%``."""
        first = self.one(lo) if self.tight else self.number(lo)
        return f"between {first} and {self.number(hi)}{self.suffix}"


def _plain(x: float) -> str:
    """A number as people write it: 320 -> '320', 1000 -> '1,000', 0.85 -> '0.85', 1.25 -> '1.25'."""
    return count(x) if abs(x) >= 10 else f"{x:.3g}"


def _rough(x: float) -> float:
    """A bound of a range to two significant digits below 10 (4.05 -> 4, 0.105 -> 0.11)."""
    return x if abs(x) >= 10 or x == 0 else float(f"{x:.2g}")


def share_unit(values: list[float]) -> Unit:
    """Percentages: whole ones when the values are 1% or more away from 0 and span 4 points, else one decimal.

    A single value keeps one decimal only when it has one (``7.5%``, ``35%``).
    """
    if max(values) == min(values):
        return Unit(lambda x: share(x).removesuffix("%"), "%", tight=True)
    digits = 1 if any(0 < abs(v) < 0.01 for v in values) or max(values) - min(values) < 0.04 else 0
    return Unit(lambda x: share(x, digits).removesuffix("%"), "%", tight=True)


def growth_unit(values: list[float]) -> Unit:
    """Signed percentages: ``+3.0%``, ``-1%``."""
    plain = share_unit(values)
    return Unit(lambda x: ("+" if x > 0 and plain.number(x).strip("0.") else "") + plain.number(x) + "%")


PER_DAY = Unit(_plain, " leads a day", singular=" lead a day")
FACTOR = Unit(lambda x: f"\u00d7{_plain(x)}", tight=True)
MINUTES = Unit(_plain, " min")
DAYS = Unit(_plain, " days", singular=" day")


def money_unit(currency: str) -> Unit:
    """Short money in ``currency``: ``62k RUB``."""
    return Unit(money, f" {currency}")


def quantiles(dist: Distribution, qs: tuple[float, ...] = RANGE) -> list[float]:
    """Quantiles of a distribution, analytic (scipy), in the field's unit.

    Args:
        dist: the distribution.
        qs: probabilities in (0, 1).

    Returns:
        One value per probability.
    """
    match dist:
        case Fixed(value=v):
            return [v for _ in qs]
        case Beta(a=a, b=b):
            return [float(stats.beta.ppf(q, a, b)) for q in qs]
        case Normal(mu=mu, sd=sd, lo=lo, hi=hi):
            if sd == 0:
                return [mu for _ in qs]
            a, b = (lo - mu) / sd, (hi - mu) / sd
            return [float(stats.truncnorm.ppf(q, a, b, loc=mu, scale=sd)) for q in qs]
        case Triangular(lo=lo, mode=mode, hi=hi):
            return [float(stats.triang.ppf(q, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)) for q in qs]
        case Uniform(lo=lo, hi=hi):
            return [lo + q * (hi - lo) for q in qs]
        case LogNormal(m=m, s=s):
            sigma2 = math.log1p((s / m) ** 2)
            return [float(stats.lognorm.ppf(q, math.sqrt(sigma2), scale=math.exp(math.log(m) - sigma2 / 2)))
                    for q in qs]
        case Gamma(m=m, s=s):
            return [float(stats.gamma.ppf(q, (m / s) ** 2, scale=s**2 / m)) for q in qs]
        case Exponential(m=m):
            return [-m * math.log1p(-q) for q in qs]
    raise TypeError(f"not a distribution: {dist!r}")  # pragma: no cover


def describe(x: float | Uncertain | Distribution, unit: Callable[[list[float]], Unit] | Unit) -> str:
    """A number or a distribution in words and units.

    A plain number is written in its unit; a triangular or uniform
    distribution as its range (``between 290 and 350 a day``, with the
    triangular's most likely value); any other as its mean and its P10-P90
    range (``45% (39-51%)``).

    Args:
        x: a plain number, an uncertain value or a distribution.
        unit: the field's :class:`Unit`, or a function that picks it from
            the values to be written (percentages pick their decimals).

    Returns:
        The text.
    """
    dist = x.dist if isinstance(x, Uncertain) else x
    if isinstance(dist, int | float):
        dist = Fixed(float(dist))
    lo, hi = (_rough(q) for q in quantiles(dist))
    values = [dist.mean, lo, hi, *dist.support] if isinstance(dist, Triangular | Uniform) else \
        [dist.mean, lo, hi]
    u = unit(values) if callable(unit) and not isinstance(unit, Unit) else unit
    match dist:
        case Fixed(value=v):
            return u.one(v)
        case Triangular(lo=a, mode=mode, hi=b):
            return f"{u.between(a, b)} (most likely {u.one(mode) if u.tight else u.number(mode)})"
        case Uniform(lo=a, hi=b):
            return u.between(a, b)
    return f"{u.one(dist.mean)} ({u.span(lo, hi)})"


def _hours(calendar: object) -> str:
    default = getattr(calendar, "default", "09:00-21:00")
    days = [f"{day.capitalize()} {getattr(calendar, day)}" for day in WEEKDAYS
            if getattr(calendar, day, None) not in (None, default)]
    return f"{default} every day" + (" except " + ", ".join(days) if days else "")


def _channel_floor(channel: object) -> str:
    """A channel's phase-A settings in words, where they differ from the defaults."""
    unreachable, factor = channel.unreachable_share, channel.contact_factor
    text = "" if unreachable == 0 else f"; unreachable (broken numbers) {describe(unreachable, share_unit)}"
    return text + ("" if factor == 1 else f"; contact chance {describe(factor, FACTOR)}")


def _routing_limits(routing: object) -> str:
    """``min_shift_left``, ``max_new_per_day`` and ``ramp_share`` in words, where set."""
    parts = []
    if routing.min_shift_left:
        parts.append(f"none to a manager with less than {duration(routing.min_shift_left)} of shift left")
    if routing.max_new_per_day is not None:
        parts.append(f"at most {counted(routing.max_new_per_day, 'new lead')} per manager a day")
    if routing.ramp_share != 1:
        parts.append(f"a manager in ramp takes {share(routing.ramp_share)} of a ramped one's new leads")
    return "".join(f"; {p}" for p in parts)


def _work_floor(sc: Scenario) -> list[tuple[str, str]]:
    """CRM minutes per event and the skill weights, where they differ from the defaults."""
    crm, w, items = sc.team.crm_minutes, sc.team.skill_weights, []
    if crm.attempt or crm.contact or crm.offer:
        items.append(("CRM work", f"{duration(crm.attempt)} after every attempt, {duration(crm.contact)} "
                                  f"more after a contact, {duration(crm.offer)} after an offer"))
    if (w.qualify, w.offer, w.close) != (0.0, 1.0, 0.0):
        items.append(("Manager's factor", f"skill x ramp x team factor, raised to a weight, on qualification "
                                          f"(^{_plain(w.qualify)}), the offer (^{_plain(w.offer)}) and "
                                          f"payment (^{_plain(w.close)})"))
    if sc.touch_chain.nontarget_call_minutes is not None:
        items.append(("Non-target call", describe(sc.touch_chain.nontarget_call_minutes, MINUTES)))
    return items


def _growth(x: float | Uncertain) -> str:
    if isinstance(x, int | float) and x == 0:
        return "no growth"
    return f"growing {describe(x, growth_unit)} a month"


def _commission(share_of_net: float) -> str:
    return f" + {share(share_of_net)} of net revenue" if share_of_net else ""


def _revenue_plan(sc: Scenario) -> str:
    if not sc.revenue_plan:
        return "none"
    target = RevenuePlan.of(sc)  # what p_plan is measured on: the horizon, or the months with a target
    text = f"{money(sc.revenue_plan)} {sc.currency} net {target.period()}"
    months = dict(getattr(sc, "revenue_plan_months", None) or {})  # month 'YYYY-MM' -> target
    if months:
        text += "; by month: " + ", ".join(f"{month_name(str(m))} {money(v)}" for m, v in months.items())
    return text


def _touch_chain(sc: Scenario) -> list[tuple[str, str]]:
    chain = sc.touch_chain
    chances = [describe(chain.contact_chance(k), share_unit) for k in range(len(chain.offsets))]
    at = ", ".join(map(duration, chain.offsets))
    items = [("Touch chain", f"{counted(len(chain.offsets), 'attempt')}, at {at} "
                             f"after the lead arrives; contact chance per attempt (before the decay): "
                             f"{', '.join(chances)}")]
    decay = chain.decay
    if decay is not None and decay.half_life is not None:
        items.append(("Contact decay", f"the contact chance halves every {duration(decay.half_life)} of "
                                       f"the lead's age, to no less than {share(decay.floor)} of it"))
    elif decay is not None:
        items.append(("Contact decay", "by the lead's age: " + ", ".join(
            f"from {duration(age)} \u00d7{_plain(f)}" for age, f in decay.table or [])))
    first = _priority_text(chain.priority)
    items.append(("Calls", f"an unanswered attempt takes {duration(chain.dial_minutes)}, a contact call "
                           f"{describe(chain.call_minutes, MINUTES)}; managers call {first}; attempts "
                           f"not made within {duration(chain.lead_ttl)} of arrival are dropped"))
    return items


def _priority_text(priority: str | tuple[str, ...]) -> str:
    """The manager's priority rule in words (touch_chain.priority)."""
    if priority == "new_first":
        return "new leads before due attempts and presentations"
    if priority == "due_first":
        return "whatever was due first"
    words = {"booked": "booked presentations", "first": "new leads", "followup": "follow-up attempts"}
    return "the due " + ", then ".join(words[kind] for kind in priority)


def _funnel(sc: Scenario) -> list[tuple[str, str]]:
    f = sc.funnel
    steps = [("contacted target lead qualified", f.qualify),
             ("qualified lead gets an invoice or installment link", f.offer.p),
             ("offers that are installment links", f.installment_share),
             ("invoice paid", f.invoice_paid.p), ("installment link filled", f.link_filled.p),
             ("bank approves", f.bank_approved.p), ("paid deals refunded", f.refunds.share)]
    delays = [("offer", f.offer), ("invoice paid", f.invoice_paid), ("link filled", f.link_filled),
              ("bank approval", f.bank_approved)]
    price = f.price
    check = describe(price.check, money_unit(sc.currency))
    if price.change:
        check += f", changed by {'+' if price.change > 0 else ''}{share(price.change)}"
        check += f" (elasticity {_plain(price.elasticity)})" if price.elasticity else " (no elasticity set)"
    return [
        ("Funnel", "; ".join(f"{what} {describe(p, share_unit)}" for what, p in steps)),
        ("Client delays", "; ".join(f"{what} {describe(step.delay_days, DAYS)}"
                                    for what, step in delays)
         + f"; refunds within {counted(f.refunds.window_days, 'day', number=_plain)} of payment"),
        ("Presentation call", describe(f.offer.call_minutes, MINUTES)),
        ("Average check", f"{check}; the bank keeps {describe(price.bank_commission, share_unit)} "
                          f"of installments"),
    ]


def _shift_days(shift: Shift) -> str:
    """``Mon-Fri`` for a weekly pattern (its weekdays), ``2 days on, 2 off`` for a rotating one."""
    named = shift.weekdays()
    if named is None:
        return f"{counted(shift.days_on, 'day')} on, {shift.days_off} off"
    names = [WEEKDAYS[d].capitalize() for d in named]
    if len(names) == 7:
        return "every day"
    if list(named) == list(range(named[0], named[-1] + 1)) and len(names) > 2:
        return f"{names[0]}-{names[-1]}"
    return ", ".join(names)


def _team(sc: Scenario) -> list[tuple[str, str]]:
    team, cur = sc.team, sc.currency
    managers = sum(g.count for g in team.managers)
    total = sum(s.share for s in team.shifts)
    shifts = "; ".join(f"{s.name}: {_shift_days(s)}, from {s.start} for "
                       f"{_plain(s.hours)} h, {share(s.share / total)} of managers" for s in team.shifts)
    if team.ramp.months:
        ramp = ("new managers work at " + ", ".join(share(m) for m in team.ramp.months)
                + f" of full speed in months 1-{len(team.ramp.months)}, then 100%")
    else:
        logistic = team.ramp.logistic or {}
        ramp = (f"half speed at {counted(logistic.get('midpoint_days', 0), 'day', number=_plain)} of tenure, "
                f"full speed about {counted(2 * logistic.get('width_days', 0), 'day', number=_plain)} later")
    a, c, e = team.attrition, team.coaching, sc.economics
    return [
        ("Team at start", f"{counted(managers, 'manager')} under "
                          f"{counted(len(team.team_leads), 'team lead')}; at most "
                          f"{counted(team.span_max, 'manager')} per team lead (span_max) and "
                          f"{counted(team.hires_per_lead_month, 'hire')} per team lead a month"),
        ("Working hours", _hours(sc.calendar)),
        ("Shifts", f"{shifts}; {describe(team.talk_share, share_unit)} of shift time on calls"),
        ("Ramp-up", ramp),
        ("Attrition", f"{describe(a.monthly, share_unit)} of managers leave a month; "
                      f"{describe(a.probation_monthly, share_unit)} in their first "
                      + counted(a.probation_days, "day")),
        ("Coaching load", f"above {counted(c.free_load, 'new manager', number=_plain)} per team lead, each "
                          f"more slows their ramp-up by {share(c.ramp_slowdown)} and cuts the team's "
                          f"conversion by {share(c.team_penalty)} (to no less than "
                          f"{share(c.min_team_factor)})"),
        ("Pay", f"manager {money(e.manager_salary_month)} {cur} a month{_commission(e.commission_share)}; "
                f"team lead {money(e.team_lead_salary_month)} {cur} a month"
                f"{_commission(e.team_lead_commission_share)}"),
    ]


def _plan(sc: Scenario, plan: object, name: str) -> tuple[str, str]:
    hires = []
    for m in getattr(plan, "months", []):
        parts = [f"+{counted(m.managers, 'manager')}"] if m.managers else []
        if m.team_leads:
            parts.append(f"+{counted(m.team_leads, 'team lead')}")
        hires.append(f"{month_name(m.month)}: {', '.join(parts) or 'no vacancies'}")
    if not hires:
        return (f"Plan {name}", "no hires")
    on_cap = "deferred a month" if plan.on_cap == "defer" else "refused"
    return (f"Plan {name}", "vacancies opened " + "; ".join(hires)
            + f"; {counted(plan.time_to_hire_days, 'day')} to hire, {money(plan.cost_per_hire)} "
              f"{sc.currency} per hire; a hire over span_max is {on_cap}")


def assumptions(scenario: Scenario) -> list[tuple[str, str]]:
    """The scenario's key assumptions in plain words and units (see the module doc).

    Args:
        scenario: the scenario.

    Returns:
        (what, value) pairs, in the order the model runs.
    """
    sc = scenario
    warmup = warmup_of(sc)
    played = (f", after a warm-up of {counted(warmup, 'day')} with the starting team (played, not counted)"
              if warmup
              else ", starting from an empty department (no warm-up)")
    if wanted := warmup_short_of(sc):  # auto stopped at its cap
        played += (f"; the clients' path needs {counted(wanted, 'day')}: earlier leads' payments and refunds "
                   f"are missing from the horizon's first days, which read low (set warmup_days: {wanted})")
    if sc.pipeline is not None:
        played = (f", starting from the leads and deals open at the start in the CRM export "
                  f"{sc.pipeline.dir} (no warm-up)")
    items = [("Horizon", f"{counted(sc.horizon_days, 'day')} from {sc.start:%d %b %Y}{played}"),
             ("Revenue plan", _revenue_plan(sc))]
    items += [(f"Channel {c.name}",
               f"{describe(c.leads_per_day, PER_DAY)} at the start, {_growth(c.growth_per_month)}; "
               f"cost per lead {money(c.cpl)} {sc.currency}; "
               f"non-target {describe(c.nontarget_share, share_unit)}; quality "
               f"{describe(c.quality, FACTOR)}{_channel_floor(c)}") for c in sc.channels]
    rule = policy(sc.routing.policy)
    items.append(("Routing", f"{rule.name}: {rule.description}; no leads in a new manager's first "
                             f"{counted(sc.routing.onboarding_days, 'day')}{_routing_limits(sc.routing)}"))
    items += _touch_chain(sc) + _work_floor(sc) + _funnel(sc) + _team(sc)
    labels = plan_labels(sc, [p.name for p in sc.plans])
    items += [_plan(sc, p, labels[p.name]) for p in sc.plans]
    return items
