"""Per-replication metrics: the public names every run reports (MODEL.md section 9).

``METRICS`` is the contract: name -> meaning and unit.  Counts are leads or
deals over the horizon; money in the scenario's currency; times in minutes.
A warm-up played before ``start`` is not counted: what is counted how is
decided in :mod:`simsales.montecarlo.counted`.
"""

from __future__ import annotations

import numpy as np

from simsales.engines.contract import (
    EXPIRED,
    IN_CHAIN,
    LOST_NO_OFFER,
    LOST_NO_PRESENTATION,
    LOST_NONTARGET,
    LOST_UNQUALIFIED,
    NO_CONTACT,
    QUALIFIED,
    Outcomes,
)
from simsales.montecarlo.closed_floor import expired_while_closed
from simsales.montecarlo.counted import counted as counted_period
from simsales.montecarlo.team_metrics import (
    TEAM_METRICS,
    TeamCount,
    team_count,
    team_metrics,
    team_series,
    worked_shifts,
)
from simsales.world.calendar import MINUTES_PER_DAY, month_starts
from simsales.world.deals import Deals
from simsales.world.shifts import on_shift_union, working_minutes, working_minutes_between
from simsales.world.world import World

METRICS: dict[str, str] = {
    "leads": "leads created in the horizon",
    "nontarget_leads": "leads that can never buy, reached or not (wrong number, spam, job seekers)",
    "attempts": "contact attempts made (calls and messages)",
    "contacts": "leads reached (contact established)",
    "qualified": "leads qualified (need found, product fits)",
    "offers": "invoices issued plus installment links sent in the horizon",
    "invoices_issued": "invoices issued in the horizon",
    "links_sent": "installment links sent in the horizon",
    "links_filled": "installment links filled by the client",
    "total_invoices": "invoices issued + installment links filled (the key stage)",
    "bank_approved": "installments approved by the bank",
    "won": "deals paid within the horizon",
    "revenue_gross": "money received in the horizon (installments less bank commission)",
    "refunds": "money returned in the horizon",
    "revenue_net": "revenue_gross - refunds",
    "revenue_after_horizon": "gross revenue of offers (made in the horizon or its warm-up) that pay after it",
    "pipeline_open": "offers (of any lead) neither paid nor lost by the end of the horizon",
    "lead_cost": "CPL x leads, summed over channels",
    "payroll": "salaries (pro rata by days employed) and commissions",
    "hiring_cost": "cost per hire x hires made (managers and team leads)",
    "costs": "lead_cost + payroll + hiring_cost",
    "margin": "revenue_net - costs",
    "contact_rate": "contacts / leads",
    "contact_rate_target": "target leads reached / target leads",
    "unreachable_leads": "leads with a broken number (every attempt fails; part of nontarget_leads)",
    "won_by_installment_share": "share of the deals paid in the horizon that came by installment",
    "c2": "won / leads (lead to payment)",
    "cpl": "lead_cost / leads",
    "cpql": "lead_cost / qualified (cost per qualified lead)",
    "avg_check": "mean price of the deals won",
    "sla_p50_min": "median minutes from lead creation to first attempt (leads attempted)",
    "sla_p90_min": "90th percentile of the same",
    "sla_work_p50_min": "median on-shift minutes from creation to first attempt (never attempted: "
                        "the wait up to the horizon)",
    "sla_work_p90_min": "90th percentile of the same",
    "share_attempted_5min": "share of all leads attempted within 5 on-shift minutes",
    "untouched_leads": "leads never attempted by the end of the horizon",
    "untouched_open": "leads never attempted that wait for the floor at the horizon's end: within lead_ttl "
                      "and due in no minute with a manager on shift (part of untouched_leads; not a loss)",
    "untouched_closed": "leads never attempted whose lead_ttl ran out with no manager on shift from "
                        "their first attempt's due time on (holidays, closed days; part of untouched_leads: "
                        "lost to the calendar, not to the team's time)",
    "chains_cut": "leads dropped at lead_ttl after some attempts, for lack of time",
    "chains_cut_closed": "chains cut with no manager on shift from the next attempt's planned time to "
                         "lead_ttl (part of chains_cut: lost to the calendar, not to the team's time)",
    "handovers": "leads handed from an owner off shift to a manager on shift (routing.handover_after_hours)",
    "lost_no_contact": "target and non-target leads whose chain ran out without contact",
    "lost_nontarget": "non-target leads reached and lost",
    "lost_before_qualification": "target leads reached and not qualified",
    "lost_after_qualification": "qualified leads lost by the end of the horizon: no offer, or an offer lost",
    "presentations_lost_wait": "qualified leads lost because their presentation was not held within "
                               "funnel.presentation_within_days (counted in lost_after_qualification)",
    "headcount_end": "managers on the team at the end of the last day",
    "ramping_end": "managers in onboarding or ramp on the last day",
    "hires_made": "managers who joined in the horizon",
    "hires_deferred": "manager hires pushed to a later month by the span rule",
    "hires_refused": "manager hires refused by the span rule",
    "team_lead_hires": "team leads hired who joined in the horizon (promotions not included)",
    "attrition": "managers who left of their own accord in the horizon (not let go, not promoted)",
    **TEAM_METRICS,
    "utilisation": "share of shift time worked: talk + dial + CRM within shifts / shift time (<= 1; the "
                   "shifts of the managers on the team)",
    "talk_share_actual": "share of shift time on answered calls: contact, presentation and closing calls",
    "dial_share_actual": "share of shift time on unanswered attempts",
    "crm_share_actual": "share of shift time on CRM work (the talk_share overhead and crm_minutes)",
    "idle_share": "share of shift time not used (1 - utilisation)",
    "overtime_share": "work past the shift's end, as a share of shift time (not in utilisation)",
    "attempts_per_manager_hour": "contact attempts made in the horizon (of any lead) per on-shift "
                                 "manager hour",
    "revenue_per_manager": "revenue_net / average managers employed",
    "warmup_days": "days played before start with the starting team and not counted (0: a cold start)",
    "pipeline_leads": "leads open at start taken from a CRM export (pipeline:; 0 without one)",
}

KEY_METRICS = (
    "revenue_net", "margin", "won", "leads", "contact_rate", "c2",
    "sla_p50_min", "sla_p90_min", "untouched_leads", "utilisation",
    "headcount_end", "hires_made", "hires_deferred",
)

TEAM_KEY_METRICS = ("probation_fired", "hires_weak_share", "team_factor_dip", "hires_ramp_mean",
                    "team_lead_attrition", "promotions", "vacancies_open_end")
"""The team metrics the comparison tables show beside :data:`KEY_METRICS`: why a plan that
over-hires loses (hires let go at probation, weaker hires, the team's dip, slower ramp)."""


SATURATED = 1e-9
"""Managers' work within this share of their shift minutes is the whole shift: the sums of minutes over
hundreds of thousands of calls differ from it in the 14th digit (utilisation 0.99999999999998 or
1.00000000000002, idle -2e-14), which is rounding, not idle or overflowing time."""


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def _in_horizon(times: np.ndarray, horizon: float) -> np.ndarray:
    """Per time, inside ``[0, horizon)`` (a warm-up's times are negative; NaN: never)."""
    return ~np.isnan(times) & (times >= 0) & (times < horizon)


def _on_shift(world: World, out: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    """The minutes of the horizon in which at least one manager is on shift, as disjoint intervals.

    The shifts as worked (:func:`~simsales.montecarlo.team_metrics.worked_shifts`: none after a hire
    is let go, none of a standby never brought in).
    """
    horizon = world.scenario.horizon_minutes
    lo, hi = on_shift_union(*worked_shifts(world.roster, out.fired))
    return np.minimum(lo, horizon), np.minimum(hi, horizon)


def _working_waits(world: World, out: Outcomes, intervals: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per lead, on-shift minutes from its creation to its first attempt (MODEL.md section 4).

    Only minutes in which at least one manager is on shift (``intervals``,
    :func:`_on_shift`) count.  A lead never attempted counts with its wait up
    to the horizon (it is at least that late).
    """
    until = np.where(np.isnan(out.first_attempt), world.scenario.horizon_minutes, out.first_attempt)
    return working_minutes_between(intervals, world.leads.created, until)


def _untouched_open(world: World, out: Outcomes, intervals: tuple[np.ndarray, np.ndarray]) -> int:
    """Leads never attempted that wait for the floor, not for a free manager, at the horizon's end.

    Still within their ``lead_ttl`` (attempts planned) and, from the moment
    their first attempt fell due to the horizon's end, no minute with a
    manager on shift (``intervals``): not due yet, or due after the floor's
    last shift closed.  A lead due while managers were on shift and not
    attempted waited for their time, and is not counted here.
    """
    horizon = world.scenario.horizon_minutes
    waiting = np.flatnonzero((out.attempts == 0) & (out.end == IN_CHAIN))  # the others cannot count
    due = np.minimum(world.leads.created[waiting] + world.scenario.touch_chain.offsets[0], horizon)
    end = working_minutes(intervals, np.full(1, float(horizon)))  # the same for every lead
    return int(np.count_nonzero(end - working_minutes(intervals, due, ascending=True) <= 0))


def measure(world: World, out: Outcomes, deals: Deals) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """All metrics of one replication, and its weekly and monthly series.

    Args:
        world: the replication's world under one plan.
        out: what the engine decided.
        deals: the plan's deals after the offers.

    Returns:
        (metrics, series): ``metrics`` has every key of :data:`METRICS`;
        ``series`` holds arrays per week (``*_week``) and per calendar month
        (``*_month``) for the charts.  Both count the horizon alone
        (:mod:`simsales.montecarlo.counted`).
    """
    view = counted_period(world, out, deals)
    world, out, deals = view.world, view.out, view.deals
    sc, leads, roster = world.scenario, world.leads, world.roster
    horizon = sc.horizon_minutes
    n = len(leads)
    end = out.end
    contacted = ~np.isnan(out.contact)
    qualified = np.logical_or.reduce([end == code for code in QUALIFIED])  # np.isin, 10x slower
    paid = _in_horizon(deals.paid_at, horizon)
    refunded = _in_horizon(deals.refund_at, horizon)
    counted = _in_horizon(deals.counted_at, horizon)
    inst = deals.installment
    offered = view.offer_at >= 0  # made in the horizon, not in its warm-up
    gross = float(deals.gross[paid].sum())
    refunds = float(deals.gross[refunded].sum())
    revenue_net = gross - refunds

    lead_cost = float(sum(c.cpl * np.count_nonzero(leads.channel == i)
                          for i, c in enumerate(sc.channels)))
    count = team_count(roster, out, sc.horizon_days)
    emp_days = count.paid.sum()
    tl_days = np.clip(np.minimum(roster.team_lead_leave_day, sc.horizon_days)
                      - np.maximum(roster.team_lead_join_day, 0), 0, None).sum()
    eco = sc.economics
    per_day = 12.0 / 365.25
    payroll = (eco.manager_salary_month * per_day * emp_days
               + eco.team_lead_salary_month * per_day * tl_days
               + (eco.commission_share + eco.team_lead_commission_share) * revenue_net)
    joined = count.joined
    tl_joined = ((roster.team_lead_join_day >= 0) & (roster.team_lead_join_day < sc.horizon_days)
                 & ~roster.team_lead_promoted)
    hiring_cost = roster.ledger.cost_per_hire * (joined.sum() + tl_joined.sum())
    costs = lead_cost + payroll + hiring_cost

    touched = ~np.isnan(out.first_attempt)
    first = out.first_attempt[touched] - leads.created[touched]
    sla = np.percentile(first, [50, 90]) if first.size else np.full(2, np.nan)
    on_shift = _on_shift(world, out)
    work_wait = _working_waits(world, out, on_shift)
    never_closed, cut_closed = expired_while_closed(world, out, on_shift)
    sla_work = np.percentile(work_wait, [50, 90]) if n else np.full(2, np.nan)
    # Managers' time: the engines split it from the counted period's origin on, so shift time too; the
    # shifts as worked (none after a hire is let go, none of a standby never brought in).
    played = view.played
    shift_start, shift_end = worked_shifts(played.roster, view.played_out.fired)
    shift_minutes = float(np.clip(np.minimum(shift_end, played.scenario.horizon_minutes)
                                  - np.maximum(shift_start, played.origin_minutes), 0, None).sum())
    worked = float(out.talk_minutes.sum() + out.dial_minutes.sum() + out.crm_minutes.sum())
    if abs(worked - shift_minutes) <= SATURATED * shift_minutes:  # a floor busy every minute: exactly 1
        worked = shift_minutes
    target = leads.target
    won = int(np.count_nonzero(paid))
    m: dict[str, float] = {
        "leads": n,
        "nontarget_leads": int(np.count_nonzero(~leads.target)),
        "attempts": int(out.attempts.sum()),
        "contacts": int(np.count_nonzero(contacted)),
        "qualified": int(np.count_nonzero(qualified)),
        "offers": int(np.count_nonzero(offered)),
        "invoices_issued": int(np.count_nonzero(offered & ~inst)),
        "links_sent": int(np.count_nonzero(offered & inst)),
        "links_filled": int(np.count_nonzero(counted & inst)),
        "total_invoices": int(np.count_nonzero(counted)),
        "bank_approved": int(np.count_nonzero(_in_horizon(deals.approved_at, horizon))),
        "won": won,
        "revenue_gross": gross,
        "refunds": refunds,
        "revenue_net": revenue_net,
        "revenue_after_horizon": float(deals.gross[deals.paid_at >= horizon].sum()),
        "pipeline_open": int(np.count_nonzero(~(deals.paid_at < horizon) & ~(deals.lost_at < horizon))),
        "lead_cost": lead_cost,
        "payroll": float(payroll),
        "hiring_cost": float(hiring_cost),
        "costs": float(costs),
        "margin": float(revenue_net - costs),
        "contact_rate": _ratio(np.count_nonzero(contacted), n),
        "contact_rate_target": _ratio(np.count_nonzero(contacted & target), np.count_nonzero(target)),
        "unreachable_leads": n - int(np.count_nonzero(leads.reachable_mask())),
        "won_by_installment_share": _ratio((paid & inst).sum(), won),
        "c2": _ratio(won, n),
        "cpl": _ratio(lead_cost, n),
        "cpql": _ratio(lead_cost, np.count_nonzero(qualified)),
        "avg_check": float(deals.check[paid].mean()) if won else 0.0,
        "sla_p50_min": float(sla[0]),
        "sla_p90_min": float(sla[1]),
        "sla_work_p50_min": float(sla_work[0]),
        "sla_work_p90_min": float(sla_work[1]),
        "share_attempted_5min": _ratio(np.count_nonzero(work_wait[touched] <= 5.0), n),
        "untouched_leads": int(np.count_nonzero(out.attempts == 0)),
        "untouched_open": _untouched_open(world, out, on_shift),
        "untouched_closed": never_closed,
        "chains_cut": int(np.count_nonzero((end == EXPIRED) & (out.attempts > 0))),
        "chains_cut_closed": cut_closed,
        "handovers": int(np.count_nonzero(out.handovers > 0)),
        "lost_no_contact": int(np.count_nonzero(end == NO_CONTACT)),
        "lost_nontarget": int(np.count_nonzero(end == LOST_NONTARGET)),
        "lost_before_qualification": int(np.count_nonzero(end == LOST_UNQUALIFIED)),
        "presentations_lost_wait": int(np.count_nonzero(end == LOST_NO_PRESENTATION)),
        "lost_after_qualification": int(np.count_nonzero(end == LOST_NO_OFFER)
                                     + np.count_nonzero(end == LOST_NO_PRESENTATION)
                                     + np.count_nonzero((deals.lead >= 0) & (deals.lost_at < horizon))),
        "headcount_end": int(np.count_nonzero(count.on_team[:, -1])),
        "ramping_end": int(np.count_nonzero(count.on_team[:, -1]
                                            & (roster.onboarding[:, -1] | roster.ramping[:, -1]))),
        "hires_made": int(joined.sum()),
        "hires_deferred": int(roster.ledger.deferred.sum()),
        "hires_refused": int(roster.ledger.refused.sum()),
        "team_lead_hires": int(tl_joined.sum()),
        "attrition": int(count.left.sum()),
        "utilisation": _ratio(worked, shift_minutes),
        "talk_share_actual": _ratio(out.talk_minutes.sum(), shift_minutes),
        "dial_share_actual": _ratio(out.dial_minutes.sum(), shift_minutes),
        "crm_share_actual": _ratio(out.crm_minutes.sum(), shift_minutes),
        "idle_share": _ratio(shift_minutes - worked, shift_minutes),
        "overtime_share": _ratio(out.overtime_minutes.sum(), shift_minutes),
        "attempts_per_manager_hour": _ratio(out.attempts_made.sum(), shift_minutes / 60.0),
        "revenue_per_manager": _ratio(revenue_net, emp_days / sc.horizon_days),
        **team_metrics(roster, count, sc.horizon_days),
        "warmup_days": float(played.warmup_days),
        "pipeline_leads": float(played.pipeline_leads),
    }
    return m, series(world, out, deals, paid, refunded, count)


def _median(x: np.ndarray) -> float:
    """``np.median`` of a 1-D float array without NaN: the same partition and ``np.mean``, fewer checks."""
    half = x.size // 2
    middle = slice(half, half + 1) if x.size % 2 else slice(half - 1, half + 1)
    return np.mean(np.partition(x, [half] if x.size % 2 else [half - 1, half])[middle], axis=0)


def series(world: World, out: Outcomes, deals: Deals, paid: np.ndarray,
           refunded: np.ndarray, count: TeamCount | None = None) -> dict[str, np.ndarray]:
    """Weekly and monthly series of one replication (for charts).

    Args:
        world: the replication's world under one plan.
        out: what the engine decided.
        deals: the plan's deals after the offers.
        paid: per deal, paid within the horizon.
        refunded: per deal, refunded within the horizon.
        count: :func:`~simsales.montecarlo.team_metrics.team_count` of the plan (None: counted here).

    Returns:
        Name -> array per week (``*_week``) or per calendar month (``*_month``).
    """
    sc, leads, roster = world.scenario, world.leads, world.roster
    count = team_count(roster, out, sc.horizon_days) if count is None else count
    n_weeks = -(-sc.horizon_days // 7)
    week_min = 7 * MINUTES_PER_DAY

    def per_week(times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        idx = (times // week_min).astype(np.int64)
        return np.bincount(idx, weights=weights, minlength=n_weeks)[:n_weeks].astype(float)

    # Leads are sorted by creation, so each week is one slice; it starts at the first lead created at
    # or after the week's first minute (created // week_min >= w exactly when created >= w * week_min).
    bounds = np.searchsorted(leads.created, np.arange(n_weeks + 1) * float(week_min), side="left")
    lead_week = np.diff(bounds).astype(float)
    contacted_before = np.concatenate(([0], np.cumsum(~np.isnan(out.contact))))  # per lead position
    contact_week = (contacted_before[bounds[1:]] - contacted_before[bounds[:-1]]).astype(float)
    wait = out.first_attempt - leads.created
    attempted = ~np.isnan(wait)
    waits = wait[attempted]  # each week's attempted leads are one slice of these
    kept = np.concatenate(([0], np.cumsum(attempted)))[bounds]
    sla = np.full(n_weeks, np.nan)
    for w in range(n_weeks):
        if kept[w + 1] > kept[w]:
            sla[w] = _median(waits[kept[w]:kept[w + 1]])
    revenue_week = (per_week(deals.paid_at[paid], deals.gross[paid])
                    - per_week(deals.refund_at[refunded], deals.gross[refunded]))

    months = month_starts(sc.start, sc.horizon_days)
    last_days = [start - 1 for _, start in months[1:]] + [sc.horizon_days - 1]
    horizon_minutes = sc.horizon_days * MINUTES_PER_DAY  # later times (up to 1e30 min) clip, then cast
    day_index = (np.clip(np.nan_to_num(deals.paid_at, nan=0), 0, horizon_minutes) // MINUTES_PER_DAY
                 ).astype(np.int64)
    month_of_day = np.zeros(sc.horizon_days, dtype=np.int64)
    for i, (_, start) in enumerate(months):
        month_of_day[start:] = i
    revenue_month = np.bincount(month_of_day[np.minimum(day_index[paid], sc.horizon_days - 1)],
                                weights=deals.gross[paid], minlength=len(months))
    # Refunds count in the month the money goes back, as revenue_net_week counts them.
    refund_day = (np.clip(np.nan_to_num(deals.refund_at, nan=0), 0, horizon_minutes) // MINUTES_PER_DAY
                  ).astype(np.int64)
    refunds_month = np.bincount(month_of_day[np.minimum(refund_day[refunded], sc.horizon_days - 1)],
                                weights=deals.gross[refunded], minlength=len(months))
    return {
        "leads_week": lead_week,
        "contact_rate_week": np.divide(contact_week, lead_week, out=np.zeros(n_weeks),
                                       where=lead_week > 0),
        "sla_p50_week": sla,
        "revenue_net_week": revenue_week,
        **team_series(roster, count, month_of_day, last_days),
        "hires_deferred_month": roster.ledger.deferred.astype(float),
        "revenue_gross_month": revenue_month.astype(float),
        "revenue_net_month": (revenue_month - refunds_month).astype(float),
    }
