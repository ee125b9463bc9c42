"""The tables every report shows, as plain data (DataFrames and strings).

The HTML page, the workbook and the charts all read these, so a number is
computed once and reads the same everywhere.  Funnel and loss counts are
means over replications.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from simsales import __version__
from simsales.analysis.bottleneck import capacity_lost
from simsales.analysis.verdict import verdict
from simsales.montecarlo import RunResult
from simsales.montecarlo.metrics import KEY_METRICS, TEAM_KEY_METRICS
from simsales.report.units import fmt, money, percent
from simsales.scenario import Scenario


@dataclass(frozen=True)
class Stage:
    """A funnel stage: its count column and the stage its conversion is taken from."""

    key: str
    label: str
    parent: str | None


# MODEL.md section 5, in order.  "Assigned" is every lead (routing is
# immediate), so it is not drawn apart from "New leads".
STAGES = (
    Stage("leads", "New leads", None),
    Stage("in_work", "In work (first attempt made)", "leads"),
    Stage("contacts", "Contact established", "in_work"),
    Stage("qualified", "Qualified", "contacts"),
    Stage("offers", "Invoice issued or link sent", "qualified"),
    Stage("links_filled", "Installment link filled", "links_sent"),
    Stage("total_invoices", "Total invoices", "offers"),
    Stage("bank_approved", "Approved by the bank", "links_filled"),
    Stage("won", "Won (paid in horizon)", "total_invoices"),
)
PARENT_LABELS = {s.key: s.label for s in STAGES} | {"links_sent": "Installment links sent"}


@dataclass(frozen=True)
class Loss:
    """Where leads are lost: a metric and its reason class (MODEL.md section 5)."""

    key: str
    label: str
    reason_class: str


LOSSES = (
    Loss("untouched_leads", "Never attempted", "before qualification, capacity"),
    Loss("chains_cut", "Chain cut short (no time)", "before qualification, capacity"),
    Loss("lost_no_contact", "No contact (chain ran out)", "before qualification"),
    Loss("lost_nontarget", "Non-target (reached)", "non-target"),
    Loss("lost_before_qualification", "Not qualified", "before qualification, target"),
    Loss("lost_after_qualification", "Lost after qualification", "after qualification, target"),
)

# A plan is short of capacity when more than this share of leads is never
# attempted or has its chain cut for lack of time.
CAPACITY_SHORT_SHARE = 0.05
# Bottlenecks that are a shortage of managers' time: capacity is short whatever the share.
CAPACITY_KINDS = ("capacity", "span_rule")


def funnel_counts(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per replication, the count of every stage of :data:`STAGES` (and ``links_sent``).

    Args:
        metrics: one plan's per-replication metrics.

    Returns:
        One row per replication, one column per stage.
    """
    frame = metrics[[s.key for s in STAGES if s.key in metrics] + ["links_sent"]].copy()
    frame["in_work"] = metrics["leads"] - metrics["untouched_leads"]
    return frame


def funnel_table(result: RunResult) -> pd.DataFrame:
    """The funnel of every plan.

    Args:
        result: the run.

    Returns:
        One row per (plan, stage): mean count, conversion from the parent
        stage, and the parent's label (``of``).
    """
    rows = []
    for plan, plan_result in result.plans.items():
        counts = funnel_counts(plan_result.metrics).mean()
        for stage in STAGES:
            parent = counts[stage.parent] if stage.parent else np.nan
            rows.append({"plan": plan, "stage": stage.label, "count": counts[stage.key],
                         "conversion": counts[stage.key] / parent if parent else np.nan,
                         "of": PARENT_LABELS.get(stage.parent, "")})
    return pd.DataFrame(rows)


def losses_table(result: RunResult) -> pd.DataFrame:
    """Where every plan loses leads.

    Args:
        result: the run.

    Returns:
        One row per (plan, loss): reason class, mean count and share of leads.
    """
    rows = []
    for plan, plan_result in result.plans.items():
        means = plan_result.metrics.mean()
        for loss in LOSSES:
            rows.append({"plan": plan, "loss": loss.label, "reason_class": loss.reason_class,
                         "count": means[loss.key],
                         "share_of_leads": means[loss.key] / means["leads"] if means["leads"] else 0.0})
    return pd.DataFrame(rows)


TEAM_MOVES = ("headcount_end", "hires_made", "probation_fired", "attrition", "promotions",
              "team_lead_attrition", "vacancies_open_end", "hires_weak_share", "team_factor_dip",
              "hires_ramp_mean")
"""The team table's columns: the team at the end, who came and went, and what over-hiring cost."""


def team_table(result: RunResult) -> pd.DataFrame:
    """Per plan, the team's movements over the horizon (means over replications).

    Args:
        result: the run.

    Returns:
        One row per plan: ``plan`` and the means of :data:`TEAM_MOVES` (counts;
        ``hires_weak_share``, ``team_factor_dip`` and ``hires_ramp_mean`` are shares 0-1).
        Metrics a run does not have are left out.
    """
    rows = []
    for plan, plan_result in result.plans.items():
        means = plan_result.metrics.mean()
        rows.append({"plan": plan, **{m: float(means[m]) for m in TEAM_MOVES if m in means}})
    return pd.DataFrame(rows)


SIDE_BY_SIDE = KEY_METRICS + TEAM_KEY_METRICS
"""The metrics :func:`side_by_side` shows by default: the key metrics, then the team's."""


def side_by_side(result: RunResult, metrics: tuple[str, ...] = SIDE_BY_SIDE) -> pd.DataFrame:
    """Metrics of every plan, long form.

    Args:
        result: the run.
        metrics: the metrics to show.

    Returns:
        One row per (metric, plan): mean, P10, P50, P90 over replications, in the
        metric's unit (metrics the run does not have are left out).
    """
    summary = result.summary()
    return pd.DataFrame([{"metric": metric, "plan": plan, **summary[plan][metric]}
                         for metric in metrics for plan in summary
                         if all(metric in s for s in summary.values())])


def p_plan(result: RunResult) -> dict[str, float | None]:
    """The chance of making the revenue plan, per plan.

    Args:
        result: the run.

    Returns:
        Plan -> share of replications whose net revenue reaches the plan (the horizon's, or with
        a monthly plan that leaves months out, the targeted months'; None: no plan set).
    """
    return {plan: s["p_plan"] for plan, s in result.summary().items()}


def bottlenecks(result: RunResult, scenario: Scenario) -> dict[str, str]:
    """Per plan, one paragraph: its bottleneck, where its leads are lost, and whether capacity is short.

    The bottleneck is the verdict's rule applied to the plan alone
    (:func:`simsales.analysis.verdict.verdict` on a run of that plan), so
    the paragraph of the verdict's best plan says what the verdict says.
    Capacity is short when more than :data:`CAPACITY_SHORT_SHARE` of leads
    are never attempted or have their chain cut for lack of time
    (:func:`simsales.analysis.bottleneck.capacity_lost`: not the leads that
    wait for the floor at the horizon's end or ran out of time while it was
    closed), or when
    capacity (or the span rule) is the plan's bottleneck, so the paragraph
    never says capacity holds after a bottleneck that is capacity (the
    run's capacity warning, :func:`simsales.cli.headline.capacity_warning`,
    follows the same rule).  The SLA (median and P90 minutes to first
    attempt) and utilisation are the P50 over replications of each
    replication's figure, as the side-by-side table, the terminal's table
    and the workbook's ``P50`` column show them; the losses are means.

    Args:
        result: the run.
        scenario: the scenario that made it (horizon, benchmarks, currency).

    Returns:
        Plan -> the paragraph.
    """
    losses, summary = losses_table(result), result.summary()
    out = {}
    for plan, plan_result in result.plans.items():
        neck = verdict(replace(result, plans={plan: plan_result}), scenario, money=money).bottleneck
        share = losses[losses["plan"] == plan].set_index("loss")["share_of_leads"]
        p50 = {m: summary[plan][m]["p50"] for m in ("sla_p50_min", "sla_p90_min", "utilisation")}
        leads = float(plan_result.metrics["leads"].mean())
        capacity = float(capacity_lost(plan_result.metrics).mean()) / leads if leads else 0.0
        short = (f"capacity is short: {percent(capacity)} of leads are never attempted or cut short "
                 f"for lack of managers' time"
                 if capacity > CAPACITY_SHORT_SHARE or neck.kind in CAPACITY_KINDS else
                 f"capacity holds: {percent(capacity, 1)} of leads are never attempted or cut short")
        where = "; ".join(f"{loss.lower()} {percent(s, 1)}" for loss, s in share.items())
        sla = f"{fmt(p50['sla_p50_min'], 'sla_p50_min')}, P90 {fmt(p50['sla_p90_min'], 'sla_p90_min')}"
        out[plan] = (f"Fix first: {neck.text} Share of leads lost (means): {where}. Median SLA {sla}, "
                     f"utilisation {percent(p50['utilisation'])} (P50 over replications); {short}.")
    return out


def month_measure(result: RunResult) -> str:
    """What the months' p_plan is measured on, in words (net revenue, or gross money received).

    Args:
        result: the run.

    Returns:
        The words; ``"net revenue"`` when no month has a plan.
    """
    for s in result.summary().values():
        for month in (s.get("p_plan_months") or {}).values():
            if month.get("measure") == "revenue_gross_month":
                return "gross money received, before refunds"
    return "net revenue"


def reproduce(result: RunResult, scenario: Scenario, file: str, baseline: str | None = None) -> str:
    """The command that makes this report again, and the version that made it.

    Args:
        result: the run.
        scenario: the scenario that made it.
        file: the scenario file as the user named it.
        baseline: the baseline plan, when not the first.

    Returns:
        A ``simsales report`` command line with a ``# simsales VERSION`` comment.
    """
    plans = "" if list(result.plans) == [p.name for p in scenario.plans] else \
        "".join(f" --plan {p}" for p in result.plans)
    if baseline is not None and baseline != next(iter(result.plans)):
        plans += f" --baseline {baseline}"
    return (f"simsales report {file}{plans} --seed {result.seed} -n {result.replications} "
            f"--engine {result.engine}  # simsales {__version__}")
