"""The first lines of `run` and `compare`: the verdict, a capacity warning, the losses and monthly plans.

A head of sales who reads only these lines knows which plan to pick, how
sure that is and what to fix first (:mod:`simsales.analysis.verdict`).  The
losses a head of sales must see (touch chains cut for lack of time, leads
never attempted) are shown as counts with their share of leads, and a
capacity shortage is said in words when capacity is the bottleneck or the
chains cut exceed :data:`CHAINS_CUT_FLAG` of the leads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from simsales.analysis.bottleneck import chains_cut_for_time
from simsales.analysis.compare import Comparison
from simsales.analysis.verdict import Verdict, verdict
from simsales.montecarlo import RunResult
from simsales.montecarlo.revenue_plan import horizon_days_by_month
from simsales.report.units import fmt, money, percent, plan_labels
from simsales.scenario import Scenario

__all__ = ["CHAINS_CUT_FLAG", "LOSSES", "capacity_warning", "horizon_days_by_month", "loss_cell",
           "month_plan_table", "plan_names", "print_headline", "run_verdict", "share_of_leads"]

CHAINS_CUT_FLAG = 0.05
"""Chains cut above this share of leads (P50) flag a capacity shortage."""

LOSSES = {"chains_cut": "chains cut (no time)", "untouched_leads": "never attempted"}
"""The loss metrics every table shows with their share of leads, and their row names."""


def share_of_leads(result: RunResult, plan: str, metric: str) -> np.ndarray:
    """A count metric as a share of each replication's leads.

    Args:
        result: the run.
        plan: the plan.
        metric: a count of leads (e.g. ``chains_cut``).

    Returns:
        One share in [0, 1] per replication (0 where a replication has no leads).
    """
    m = result.plans[plan].metrics
    x, leads = m[metric].to_numpy(dtype=float), m["leads"].to_numpy(dtype=float)
    return np.divide(x, leads, out=np.zeros_like(x), where=leads > 0)


def loss_cell(result: RunResult, plan: str, metric: str) -> str:
    """A loss for the plan tables: P50 count and share of leads, P10 - P90 below.

    Args:
        result: the run.
        plan: the plan.
        metric: a count of leads.

    Returns:
        ``'49,853 (21.5%)'`` over ``'45,100 - 52,000'`` (rich markup).
    """
    x = result.plans[plan].metrics[metric].to_numpy(dtype=float)
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    share = float(np.median(share_of_leads(result, plan, metric)))
    return (f"[bold]{fmt(p50, metric)} ({percent(share, 1)})[/]\n"
            f"[dim]{fmt(p10, metric)} - {fmt(p90, metric)}[/]")


def plan_names(scenario: Scenario, result: RunResult) -> dict[str, str]:
    """The one name each plan goes by in the output of `run` and `compare`: the verdict's and the tables'.

    Args:
        scenario: the scenario that made the run.
        result: the run.

    Returns:
        Plan name -> its ``label:`` (else its name; :func:`simsales.report.units.plan_labels`).
    """
    return plan_labels(scenario, result.plans)


def run_verdict(result: RunResult, scenario: Scenario, comparison: Comparison | None = None) -> Verdict:
    """The run's verdict, money written short and plans named as the tables name them.

    Args:
        result: the run.
        scenario: the scenario that made it.
        comparison: the paired comparison (None: against the first plan run).

    Returns:
        The verdict (:func:`simsales.analysis.verdict.verdict`).
    """
    return verdict(result, scenario, comparison, money=money, labels=plan_names(scenario, result))


def capacity_warning(result: RunResult, the_verdict: Verdict,
                     labels: Mapping[str, str] | None = None) -> str | None:
    """A capacity shortage said in words, or None.

    Args:
        result: the run.
        the_verdict: its verdict.
        labels: plan name -> the name to print (:func:`plan_names`; None: the names).

    Returns:
        The warning when capacity (or the span rule) is the bottleneck, or
        when in some plan the chains cut for lack of time (not while the
        floor was closed: ``chains_cut_closed``) exceed
        :data:`CHAINS_CUT_FLAG` of the leads (P50); None otherwise.
    """
    for_time = {plan: chains_cut_for_time(result.plans[plan].metrics) for plan in result.plans}
    leads = {plan: result.plans[plan].metrics["leads"].to_numpy(dtype=float) for plan in result.plans}
    cut = {p: float(np.median(np.divide(x, leads[p], out=np.zeros_like(x), where=leads[p] > 0)))
           for p, x in for_time.items()}
    flagged = {p: s for p, s in cut.items() if s > CHAINS_CUT_FLAG}
    if not flagged and the_verdict.bottleneck.kind not in ("capacity", "span_rule"):
        return None
    shown = flagged or cut
    count = {p: float(np.median(for_time[p])) for p in shown}
    where = ", ".join(f"'{(labels or {}).get(p, p)}' {percent(s, 1)} of leads ({count[p]:,.0f})"
                      for p, s in shown.items())
    return (f"Capacity is short: touch chains cut for lack of managers' time (P50): {where}. "
            f"These leads were paid for and not worked; `simsales levers` ranks what wins them back.")


def month_plan_table(result: RunResult, currency: str, days: dict[str, tuple[int, int]] | None = None,
                     labels: Mapping[str, str] | None = None) -> Table | None:
    """The chance of making each month's revenue plan, per plan (None without a monthly plan).

    Args:
        result: the run (with :func:`simsales.montecarlo.results.with_plan_months` applied).
        currency: the scenario's currency.
        days: :func:`horizon_days_by_month` of the run's horizon: a month the horizon covers in
            part is labelled with its days (its revenue is those days'), so a month's target
            is not read against a whole month's revenue (None: the run's own, ``result.month_days``).
        labels: plan name -> the name its column is headed with (:func:`plan_names`; None: the names).

    Returns:
        One row per month with a target: the target, and per plan the P50 of
        that month's revenue and p_plan (share of replications reaching it);
        then the plan as ``p_plan`` measures it: the whole horizon's net
        revenue, or, when months are left out, the targeted months' (named).
    """
    summary = result.summary()
    days = result.month_days if days is None else days
    months = {p: s.get("p_plan_months") for p, s in summary.items()}
    if not any(months.values()):
        return None
    measure = next(iter(next(iter(v for v in months.values() if v)).values()))["measure"]
    what = "net revenue" if measure == "revenue_net_month" else \
        "gross money received (refunds not split by month)"
    table = Table(title=Text(f"Revenue plan by month: p_plan = chance the month's {what} reaches its "
                             f"plan; money in {currency}", style="table.title"))
    table.add_column("month")
    table.add_column("plan", justify="right")
    for plan in summary:
        table.add_column(Text((labels or {}).get(plan, plan)), justify="right")
    first = next(v for v in months.values() if v)
    for month, row in first.items():
        cells = [f"[bold]{percent(months[p][month]['p_plan'])}[/] [dim]P50 "
                 f"{money(months[p][month]['revenue_p50'])}[/]" if months[p] else "-" for p in summary]
        covered, length = (days or {}).get(month, (0, 0))
        label = f"{month} (only {covered} of its {length} days)" if 0 < covered < length else month
        table.add_row(Text(label), money(row["plan"]), *cells)
    target = result.revenue_target
    if target.is_set:
        table.add_row(Text("whole horizon" if target.whole_horizon else f"together, {target.period()}"),
                      money(target.total),
                      *[f"[bold]{percent(s['p_plan'])}[/] [dim]net[/]" for s in summary.values()])
    return table


def print_headline(console: Console, the_verdict: Verdict, result: RunResult,
                   labels: Mapping[str, str] | None = None) -> None:
    """Print the verdict and, if capacity is short, the warning: the first lines of `run` and `compare`.

    Args:
        console: where to print (stdout).
        the_verdict: the run's verdict.
        result: the run.
        labels: plan name -> the name to print (:func:`plan_names`; None: the names).
    """
    console.print(Text.assemble(("Verdict:", "bold"), " ", the_verdict.text), highlight=False)
    warning = capacity_warning(result, the_verdict, labels)
    if warning:
        console.print(Text(warning, style="bold red"), highlight=False)
    console.print()
