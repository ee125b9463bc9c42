"""The optimiser's fast deterministic pass: an expected-value model of a hiring plan.

It answers "about how much does this plan earn and cost?" in a few
milliseconds, so the whole decision space can be scored before anything
is simulated.  Every uncertain number is replaced by its mean
(:func:`at_means`); then, week by week (money in the scenario's currency,
work in minutes):

* **The team.**  :func:`~simsales.world.roster.build_roster` builds the
  plan's roster with nobody leaving and every manager at the mean skill:
  the span rule, onboarding, the ramp and the coaching load (its slower
  ramp and the team factor) are the roster's own.  Each manager-day is
  then weighted by the chance the manager is still there, from the
  attrition hazards (probation, then the monthly rate), as
  :func:`~simsales.world.roster.leave_after` draws them.
* **Capacity**: the minutes of call work the team can do, on-shift minutes
  x ``talk_share`` x ramp throughput, summed over the managers.
* **Lead work**: the leads expected per day (:func:`~simsales.world.arrivals.daily_means`)
  x the minutes one lead's touch chain takes when every attempt is made on
  time (dials, the contact call, the presentation call of a qualified lead).
* **Balance**: a week's leads are worked in the share
  ``min(1, capacity / lead work)``; a worked lead earns the funnel's
  expected net revenue (contact over the chain, target share, qualification,
  the offer at the team's capacity-weighted conversion factor, payment,
  bank commission, refunds), counted when it pays inside the horizon (the
  funnel's mean delays, taken as exponential).
* **Costs**: salaries per expected day employed (team leads from joining),
  the plan's cost per hire, the commissions' share of revenue, the leads'
  cost.
* **A monthly revenue plan that leaves months out**: ``p_plan`` is measured on the targeted months'
  net revenue (:class:`~simsales.montecarlo.RevenuePlan`), so that is forecast too: each lead's money
  weighted by the chance its payment (at the funnel's mean delay) falls on their days.

The model ignores the speed of the first call beyond the balance (the decay
of the contact chance with the lead's age) and the queueing that makes a
nearly busy team lose leads; the optimiser calibrates it on two simulated
plans (``optimize.py``) and lets the simulation decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats

from simsales.montecarlo import PLAN_REVENUE, RevenuePlan
from simsales.scenario import Attrition, Fixed, HiringPlan, Scenario, Uncertain, mean_of
from simsales.world.arrivals import daily_means
from simsales.world.calendar import DAYS_PER_MONTH
from simsales.world.contact import decay, decay_args
from simsales.world.roster import Roster, build_roster

__all__ = ["DAYS_PER_WEEK", "MAX_SCALE", "Calibration", "ExpectedValueModel", "Forecast", "Infeasible",
           "Simulated", "at_means", "calibrate", "simulated"]

DAYS_PER_WEEK = 7
"""The balance of capacity and lead work is taken week by week: a lead waits for a free manager
within its touch chain's days, not for the next month."""

MAX_SCALE = 5.0
"""The calibration's scale is kept within [0, MAX_SCALE]: a noisy anchor never makes the model absurd."""

M = TypeVar("M")


def at_means(obj: M) -> M:
    """A scenario (or any part of one) with every uncertain number at its mean.

    Args:
        obj: a scenario, a section, a list or a value.

    Returns:
        A copy in which every :class:`~simsales.scenario.Uncertain` is its
        mean (per-call and per-manager distributions are left as they are).
    """
    return _at_means(obj)


def _at_means(obj: Any) -> Any:
    if isinstance(obj, Uncertain):
        return mean_of(obj)
    if isinstance(obj, BaseModel):
        updates = {name: _at_means(getattr(obj, name)) for name in type(obj).model_fields}
        changed = {k: v for k, v in updates.items() if v is not getattr(obj, k)}
        return obj.model_copy(update=changed) if changed else obj
    if isinstance(obj, list):
        items = [_at_means(v) for v in obj]
        return obj if all(a is b for a, b in zip(items, obj, strict=True)) else items
    if isinstance(obj, dict):
        values = {k: _at_means(v) for k, v in obj.items()}
        return obj if all(values[k] is obj[k] for k in obj) else values
    return obj


class Infeasible(ValueError):
    """The hiring code deferred or refused a hire of the plan: it is not a candidate."""


@dataclass(frozen=True)
class Forecast:
    """The model's expectation for one plan over the horizon.

    Attributes:
        revenue_net: net revenue, scenario's currency.
        salaries: managers' and team leads' salaries, scenario's currency.
        hiring_cost: cost per hire x hires joining in the horizon, scenario's currency.
        worked_share: leads worked / leads (capacity against lead work), in [0, 1].
        plan_revenue: net revenue paid in the months the revenue plan is measured on,
            scenario's currency (None: the plan is measured on the whole horizon, ``revenue_net``).
    """

    revenue_net: float
    salaries: float
    hiring_cost: float
    worked_share: float
    plan_revenue: float | None = None

    @property
    def measured(self) -> float:
        """The net revenue the revenue plan is measured on (scenario's currency)."""
        return self.revenue_net if self.plan_revenue is None else self.plan_revenue


class ExpectedValueModel:
    """The expected-value model of a scenario's plans (see the module docstring).

    Args:
        scenario: the validated scenario.
    """

    def __init__(self, scenario: Scenario) -> None:
        mean = at_means(scenario)
        team = mean.team
        self.scenario = mean
        # The roster with nobody leaving and every manager at the mean skill: deterministic.
        still = Attrition(monthly=0.0, probation_monthly=0.0, probation_days=team.attrition.probation_days)
        self.roster_scenario = mean.model_copy(update={"team": team.model_copy(
            update={"attrition": still, "skill": Fixed(float(team.skill.mean))})})
        att = team.attrition
        self.hazard_probation = -math.log1p(-min(float(att.probation_monthly), 1 - 1e-12)) / DAYS_PER_MONTH
        self.hazard = -math.log1p(-min(float(att.monthly), 1 - 1e-12)) / DAYS_PER_MONTH
        self.probation_days = att.probation_days
        self.talk_share = float(team.talk_share)
        days = mean.horizon_days
        self.leads = np.array([daily_means(c, mean.start, days) for c in mean.channels])  # (C, D)
        self.work, self.value, delay = self._lead_economics()
        d = np.arange(days)
        paid_in_time = 1.0 - np.exp(-np.maximum(days - d - 0.5, 0.0) / delay) if delay > 0 else np.ones(days)
        self.lead_work = (self.leads * self.work[:, None]).sum(axis=0)  # minutes per day
        self.lead_value = (self.leads * self.value[:, None]).sum(axis=0) * paid_in_time  # money per day
        target = RevenuePlan.of(mean)
        self.plan_value = None if target.whole_horizon else (  # money per day paid in the plan's months
            (self.leads * self.value[:, None]).sum(axis=0) * _paid_within(target, days, delay))
        self.lead_cost = float(sum(c.cpl * self.leads[i].sum() for i, c in enumerate(mean.channels)))
        eco = mean.economics
        self.commission = eco.commission_share + eco.team_lead_commission_share

    def _lead_economics(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Per channel, minutes to work one lead and its net revenue; the delay to the money.

        Returns:
            ``(minutes, money, days)``: per channel the minutes one lead's
            chain takes and its expected net revenue at conversion factor 1;
            the mean days from the presentation to the money.
        """
        sc = self.scenario
        chain, funnel = sc.touch_chain, sc.funnel
        args = decay_args(chain.decay)
        call, dial = float(chain.call_minutes.mean), float(chain.dial_minutes)
        reached, minutes, not_yet = 0.0, 0.0, 1.0
        for k, offset in enumerate(chain.offsets):
            if offset > chain.lead_ttl:
                break
            p = float(chain.contact_chance(k)) * decay(float(offset), *args)
            minutes += not_yet * (p * call + (1.0 - p) * dial)
            reached += not_yet * p
            not_yet *= 1.0 - p
        price, inst = funnel.price, float(funnel.installment_share)
        p_offer = float(funnel.offer.p) * (1.0 + price.change) ** price.elasticity
        paid = ((1.0 - inst) * float(funnel.invoice_paid.p)
                + inst * float(funnel.link_filled.p) * float(funnel.bank_approved.p)
                * (1.0 - float(price.bank_commission)))
        money = float(price.check.mean) * (1.0 + price.change) * paid * (1.0 - float(funnel.refunds.share))
        work, value = [], []
        for c in sc.channels:
            presented = reached * (1.0 - float(c.nontarget_share)) * min(1.0, float(funnel.qualify)
                                                                          * float(c.quality))
            work.append(minutes + presented * float(funnel.offer.call_minutes.mean))
            value.append(presented * min(1.0, p_offer) * money)
        by_link = float(funnel.link_filled.delay_days.mean) + float(funnel.bank_approved.delay_days.mean)
        delay = float(funnel.offer.delay_days.mean) + (
            (1.0 - inst) * float(funnel.invoice_paid.delay_days.mean) + inst * by_link)
        return np.array(work), np.array(value), delay

    def survival(self, join_day: np.ndarray, n_days: int) -> np.ndarray:
        """The chance each manager is still employed, per day.

        Args:
            join_day: per manager, the day they join (negative: tenure at the start).
            n_days: days in the horizon.

        Returns:
            ``(managers, days)``; 1 before a manager joins (the roster says
            whether they are employed).
        """
        start = np.maximum(join_day, 0)[:, None]
        elapsed = np.maximum(np.arange(n_days)[None, :] - start, 0).astype(float)
        probation_left = np.maximum(self.probation_days - np.maximum(-join_day, 0), 0)[:, None]
        in_probation = np.minimum(elapsed, probation_left)
        hazard = self.hazard_probation * in_probation + self.hazard * (elapsed - in_probation)
        return np.exp(-hazard)

    def forecast(self, plan: HiringPlan) -> Forecast:
        """The plan's expected revenue and costs.

        Args:
            plan: the hiring plan.

        Returns:
            Its forecast.

        Raises:
            Infeasible: the span rule deferred or refused one of its hires.
        """
        roster = build_roster(self.roster_scenario, plan, np.random.default_rng(0))
        ledger = roster.ledger
        if ledger.deferred.any() or ledger.refused.any():
            raise Infeasible(f"plan {plan.name}: the span rule defers or refuses a hire")
        alive = self.survival(roster.join_day, self.scenario.horizon_days) * roster.employed
        return self.evaluate(roster, alive, plan.cost_per_hire)

    def evaluate(self, roster: Roster, alive: np.ndarray, cost_per_hire: float) -> Forecast:
        """A roster's expected revenue and costs, each manager-day weighted by ``alive``.

        Args:
            roster: the plan's roster (on the model's deterministic world).
            alive: per manager and day, the weight of the manager-day: the
                chance the manager is still there (0 for standbys, who join only
                if a probationer is let go).
            cost_per_hire: money per hire joining in the horizon.

        Returns:
            The forecast.
        """
        alive = np.where((roster.standby_for >= 0)[:, None], 0.0, alive)
        sc = self.roster_scenario
        days = sc.horizon_days
        shift = np.clip(roster.shift_end - roster.shift_start, 0.0, None)
        capacity = alive * shift * self.talk_share * roster.throughput  # minutes of work (M, D)
        weeks = np.arange(days) // DAYS_PER_WEEK
        n_weeks = int(weeks[-1]) + 1
        cap_w = np.bincount(weeks, capacity.sum(axis=0), n_weeks)
        conv_w = np.bincount(weeks, (capacity * roster.conversion).sum(axis=0), n_weeks)
        work_w = np.bincount(weeks, self.lead_work, n_weeks)
        value_w = np.bincount(weeks, self.lead_value, n_weeks)
        worked = np.where(work_w > 0, np.minimum(1.0, cap_w / np.where(work_w > 0, work_w, 1.0)), 1.0)
        conversion = np.where(cap_w > 0, conv_w / np.where(cap_w > 0, cap_w, 1.0), 0.0)
        revenue = float((value_w * worked * conversion).sum())
        planned = None if self.plan_value is None else float(
            (np.bincount(weeks, self.plan_value, n_weeks) * worked * conversion).sum())
        eco = sc.economics
        per_day = 12.0 / 365.25
        tl_end = np.minimum(roster.team_lead_leave_day, days)
        tl_days = np.clip(tl_end - np.maximum(roster.team_lead_join_day, 0), 0, None).sum()
        salaries = per_day * (eco.manager_salary_month * float(alive.sum())
                              + eco.team_lead_salary_month * float(tl_days))
        joined = ((roster.join_day >= 0) & (roster.join_day < days) & (roster.standby_for < 0)).sum()
        hired_leads = ~roster.team_lead_promoted
        tl_joined = ((roster.team_lead_join_day >= 0) & (roster.team_lead_join_day < days)
                     & hired_leads).sum()
        hiring = cost_per_hire * float(joined + tl_joined)
        share = float((worked * work_w).sum() / work_w.sum()) if work_w.sum() > 0 else 1.0
        return Forecast(revenue, salaries, hiring, share, planned)


@dataclass(frozen=True)
class Calibration:
    """The model's forecasts on the simulation's scale, for one objective.

    With ``Δ`` the modelled net revenue gain of a plan over hiring nobody:
    revenue = ``revenue + scale·Δ``; won = ``won + won_scale·Δ``; margin =
    ``margin + (1 - commission)·scale·Δ`` less the plan's extra salaries and
    hiring cost; ``p_plan`` = the normal chance that revenue reaches the
    plan, with hiring nobody's spread (for ``p_plan`` the model only orders the
    plans by revenue) on the revenue the plan is measured on (``plan_*``).  ``revenue``, ``margin``,
    ``won``, ``revenue_sd``, ``plan_revenue`` and ``plan_sd`` are hiring nobody's simulated values;
    the scales are the simulated gain of the most-hiring plan over the modelled one.

    Attributes:
        objective: ``margin``, ``revenue_net``, ``p_plan`` or ``won``.
        revenue_plan: the net revenue target (scenario's currency).
        commission: the commissions' share of net revenue.
        base: hiring nobody's forecast.
        revenue: simulated mean net revenue of hiring nobody.
        margin: its simulated mean margin.
        won: its simulated mean deals won.
        revenue_sd: the standard deviation of its net revenue.
        scale: simulated / modelled revenue gain.
        won_scale: simulated deals gained per modelled unit of revenue gained.
        plan_revenue: simulated mean net revenue the revenue plan is measured on, hiring nobody.
        plan_sd: its standard deviation.
        plan_scale: simulated / modelled gain in that revenue.
    """

    objective: str
    revenue_plan: float
    commission: float
    base: Forecast
    revenue: float
    margin: float
    won: float
    revenue_sd: float
    scale: float
    won_scale: float
    plan_revenue: float
    plan_sd: float
    plan_scale: float

    def score(self, f: Forecast) -> float:
        """The calibrated objective of a forecast (money, deals or a chance)."""
        gain = f.revenue_net - self.base.revenue_net
        revenue = self.revenue + self.scale * gain
        if self.objective == "revenue_net":
            return revenue
        if self.objective == "won":
            return self.won + self.won_scale * gain
        if self.objective == "p_plan":
            planned = self.plan_revenue + self.plan_scale * (f.measured - self.base.measured)
            return float(stats.norm.cdf((planned - self.revenue_plan) / max(self.plan_sd, 1e-9)))
        return (self.margin + (1.0 - self.commission) * self.scale * gain
                - (f.salaries - self.base.salaries) - (f.hiring_cost - self.base.hiring_cost))


Simulated = tuple[Forecast, dict[str, np.ndarray]]
"""A plan's forecast; per replication, its ``revenue_net``, ``margin``, ``won``, ``plan_revenue``."""


def simulated(forecast: Forecast, metrics: pd.DataFrame) -> Simulated:
    """A plan's forecast beside the simulated values the calibration reads, per replication (``metrics``)."""
    return forecast, {k: metrics[k].to_numpy(dtype=float)
                      for k in ("revenue_net", "margin", "won", PLAN_REVENUE)}


def calibrate(objective: str, revenue_plan: float, commission: float, zero: Simulated,
              most: Simulated | None) -> Calibration:
    """The calibration from hiring nobody and hiring the most, each forecast and simulated.

    Args:
        objective: the optimiser's objective.
        revenue_plan: the net revenue target (scenario's currency).
        commission: the commissions' share of net revenue.
        zero: hiring nobody's forecast, and its simulated ``revenue_net``,
            ``margin``, ``won`` and ``plan_revenue`` per replication.
        most: the same for the most-hiring plan, on the same replications
            (None: it is hiring nobody; the scale is then 1).

    Returns:
        The calibration; the scale is 1 (and no deals are gained) when the
        model sees no gain, and kept within [0, :data:`MAX_SCALE`].
    """
    f0, sim0 = zero
    scale, won_scale, plan_scale = 1.0, 0.0, 1.0
    if most is not None:
        f1, sim1 = most
        gain_model = f1.revenue_net - f0.revenue_net
        if gain_model > 1e-9 * max(1.0, abs(f0.revenue_net)):
            gain = float((sim1["revenue_net"] - sim0["revenue_net"]).mean())
            scale = min(MAX_SCALE, max(0.0, gain / gain_model))
            won_scale = max(0.0, float((sim1["won"] - sim0["won"]).mean()) / gain_model)
        plan_model = f1.measured - f0.measured
        if plan_model > 1e-9 * max(1.0, abs(f0.measured)):
            gain = float((sim1[PLAN_REVENUE] - sim0[PLAN_REVENUE]).mean())
            plan_scale = min(MAX_SCALE, max(0.0, gain / plan_model))
    revenue, planned = sim0["revenue_net"], sim0[PLAN_REVENUE]
    return Calibration(objective, revenue_plan, commission, f0, float(revenue.mean()),
                       float(sim0["margin"].mean()), float(sim0["won"].mean()), float(revenue.std()), scale,
                       won_scale, float(planned.mean()), float(planned.std()), plan_scale)


def _paid_within(target: RevenuePlan, days: int, delay: float) -> np.ndarray:
    """Per day a lead arrives (of ``days``), the chance its money is paid on a day of the plan's months.

    The money comes ``delay`` days after the day's middle (exponential; at once for 0), as the
    model's ``paid_in_time`` takes it for the whole horizon.
    """
    d = np.arange(days) + 0.5

    def by(end: int) -> np.ndarray:  # paid before day ``end`` begins
        waited = np.maximum(end - d, 0.0)
        return 1.0 - np.exp(-waited / delay) if delay > 0 else (waited > 0).astype(float)

    return sum((by(end) - by(first) for first, end in target.day_spans()), np.zeros(days))
