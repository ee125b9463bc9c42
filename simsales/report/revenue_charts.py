"""The revenue charts: the decision chart (paired gain over the baseline), the fan and the spread.

The decision chart is :func:`revenue_gain`: for every plan, its cumulative
net revenue minus the baseline's, week by week, taken replication by
replication.  Replication ``r`` of every plan sees the same leads, the same
uncertain parameters and the same clients (common random numbers), so the
difference is the effect of the plan alone: its P10-P90 band is narrow
where the absolute fans of :func:`revenue_fan` overlap into one blob.
Money is in the scenario's currency; weeks are dated.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from simsales.montecarlo import RunResult
from simsales.report.figures import TARGET, band, date_axis, money_axis, new_figure, plan_colors, week_dates
from simsales.report.tables import p_plan
from simsales.report.units import money, percent, plan_labels
from simsales.scenario import Scenario
from simsales.world.calendar import month_starts


def cumulative_weeks(result: RunResult, plan: str, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """A plan's cumulative net revenue at the start and at each week's end, per replication.

    Args:
        result: the run.
        plan: the plan.
        scenario: the scenario that made it (start date, horizon).

    Returns:
        (dates, values): ``n_weeks + 1`` dates (the start, then each week's
        end) and one row per replication of cumulative net revenue at them
        (the scenario's currency; 0 at the start).
    """
    weekly = result.plans[plan].series["revenue_net_week"]
    cumulative = np.hstack([np.zeros((weekly.shape[0], 1)), np.cumsum(weekly, axis=1)])
    dates = np.concatenate([[np.datetime64(scenario.start, "D")],
                            week_dates(scenario, weekly.shape[1], end=True)])
    return dates, cumulative


def gain_over(result: RunResult, scenario: Scenario, baseline: str) -> dict[str, np.ndarray]:
    """Every other plan's cumulative net revenue minus the baseline's, paired by replication.

    Args:
        result: the run.
        scenario: the scenario that made it.
        baseline: the plan the others are measured against.

    Returns:
        Plan -> one row per replication, one column per date of
        :func:`cumulative_weeks` (the scenario's currency; 0 at the start).
    """
    base = cumulative_weeks(result, baseline, scenario)[1]
    return {plan: cumulative_weeks(result, plan, scenario)[1] - base
            for plan in result.plans if plan != baseline}


def revenue_gain(result: RunResult, scenario: Scenario, baseline: str | None = None) -> Figure | None:
    """The decision chart: cumulative net revenue gained over the baseline, paired by replication.

    One P10-P90 band and P50 line per plan; the legend gives each plan's
    gain at the horizon's end (P50) and the share of replications in which
    it is ahead then.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency, plan labels).
        baseline: the plan the others are measured against (None: the first plan run).

    Returns:
        The figure (Agg canvas), or None when only one plan ran.
    """
    baseline = baseline if baseline is not None else next(iter(result.plans))
    gains = gain_over(result, scenario, baseline)
    if not gains:
        return None
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    dates = cumulative_weeks(result, baseline, scenario)[0]
    fig, axes = new_figure()
    ax = axes[0, 0]
    ax.axhline(0, color=TARGET, linewidth=1.2)
    ax.annotate(f"= {labels[baseline]} (baseline)", (dates[0], 0), xytext=(4, 4), textcoords="offset points",
                fontsize=9, color=TARGET)
    for plan, gain in gains.items():
        end = gain[:, -1]
        band(ax, dates, gain, colors[plan],
             f"{labels[plan]}: {money(float(np.median(end)), signed=True)} at the end (P50), "
             f"ahead in {percent(float(np.mean(end > 0)))} of replications")
    ax.set_title(f"Net revenue gained over {labels[baseline]}, cumulative\n"
                 f"paired replication by replication: P50 line, P10-P90 band")
    ax.set_ylabel(f"net revenue gained, cumulative ({scenario.currency})")
    ax.set_xlabel("end of week")
    ax.yaxis.set_major_formatter(lambda v, _: money(v, signed=True))
    date_axis(ax)
    ax.grid(alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=9, ncols=1)
    return fig


def plan_path(result: RunResult, scenario: Scenario) -> tuple[np.ndarray, np.ndarray] | None:
    """The month-by-month revenue plan as a cumulative target: 0 at the start, the sum at each month's end.

    Args:
        result: the run (its ``revenue_plan_months``).
        scenario: the scenario that made it (start date, horizon).

    Returns:
        (dates, cumulative targets in the scenario's currency), or None
        unless every month of the horizon has a target.
    """
    months = month_starts(scenario.start, scenario.horizon_days)
    targets = getattr(result, "revenue_plan_months", None) or {}
    if not targets or any(label not in targets for label, _ in months):
        return None
    ends = [start for _, start in months[1:]] + [scenario.horizon_days]
    dates = np.datetime64(scenario.start, "D") + np.array([0, *ends]).astype("timedelta64[D]")
    return dates, np.concatenate([[0.0], np.cumsum([targets[label] for label, _ in months])])


def revenue_fan(result: RunResult, scenario: Scenario) -> Figure:
    """Cumulative net revenue by week per plan (P10-P90 band, P50 line) against the plan.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency, plan labels).

    Returns:
        The figure (Agg canvas).
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    fig, axes = new_figure()
    ax = axes[0, 0]
    for plan in result.plans:
        dates, cumulative = cumulative_weeks(result, plan, scenario)
        band(ax, dates, cumulative, colors[plan], f"{labels[plan]} (P50, band P10-P90)")
    start = np.datetime64(scenario.start, "D")
    end = start + np.timedelta64(scenario.horizon_days, "D")
    path = plan_path(result, scenario)
    target = result.revenue_target
    if path is not None:
        ax.plot(*path, color=TARGET, linestyle="--", linewidth=1.2, marker="s", markersize=4,
                label="revenue plan, month by month (cumulative)")
    elif target.is_set and target.whole_horizon:
        ax.plot([start, end], [0, result.revenue_plan], color=TARGET, linestyle="--", linewidth=1.2,
                label="revenue plan, even pace")
    if target.is_set and target.whole_horizon:  # a plan of some months is not a level of the whole
        ax.axhline(result.revenue_plan, color=TARGET, linestyle=":", linewidth=1)
        ax.annotate(f"plan {money(result.revenue_plan)} {scenario.currency}", (start, result.revenue_plan),
                    xytext=(4, 4), textcoords="offset points", ha="left", va="bottom", fontsize=9,
                    color=TARGET)
    ax.set_title("Cumulative net revenue by week")
    ax.set_ylabel(f"net revenue, cumulative ({scenario.currency})")
    ax.set_xlabel("end of week")
    money_axis(ax.yaxis)
    date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def revenue_distribution(result: RunResult, scenario: Scenario) -> Figure:
    """Net revenue per plan, as the revenue plan measures it: every replication, its spread, and p_plan.

    That is the horizon's net revenue, or with a monthly plan that leaves
    months out, the targeted months' (:meth:`~simsales.montecarlo.RunResult.plan_revenue`),
    so the plan's line and each plan's p_plan read off the same dots.

    Args:
        result: the run.
        scenario: the scenario that made it (currency, plan labels).

    Returns:
        The figure (Agg canvas).
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    chances = p_plan(result)
    target = result.revenue_target
    over = "over the horizon" if target.whole_horizon else target.period()
    fig, axes = new_figure(size=(10.0, 1.6 + 1.1 * len(result.plans)))
    ax = axes[0, 0]
    rng = np.random.default_rng(0)  # jitter of the dots only: fixed, so charts are reproducible
    for y, (plan, plan_result) in enumerate(result.plans.items()):
        measured = result.plan_revenue(plan) if target.is_set else None
        revenue = plan_result.metrics["revenue_net"].to_numpy(dtype=float) if measured is None else measured
        if revenue.size >= 5 and np.ptp(revenue) > 0:
            parts = ax.violinplot(revenue, positions=[y], vert=False, showextrema=False, widths=0.8)
            for body in parts["bodies"]:
                body.set(facecolor=colors[plan], alpha=0.25, edgecolor="none")
        ax.scatter(revenue, y + rng.uniform(-0.12, 0.12, revenue.size), s=10, color=colors[plan],
                   alpha=0.7, linewidths=0)
        p10, p50, p90 = np.percentile(revenue, [10, 50, 90])
        ax.plot([p10, p90], [y, y], color=colors[plan], linewidth=3, solid_capstyle="butt")
        ax.plot([p50], [y], marker="|", markersize=18, markeredgewidth=3, color="black")
        note = f"P50 {money(p50)}"
        if chances[plan] is not None:
            note += f"\np_plan {percent(chances[plan])}"
        ax.annotate(note, (1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, color=colors[plan],
                    fontweight="bold")
    if result.revenue_plan > 0:
        ax.axvline(result.revenue_plan, color=TARGET, linestyle="--", linewidth=1.2)
        lo, hi = ax.get_xlim()
        right = result.revenue_plan < (lo + hi) / 2  # write the label on the roomier side
        named = "" if target.whole_horizon else f" {over}"
        ax.annotate(f"plan {money(result.revenue_plan)} {scenario.currency}{named}",
                    (result.revenue_plan, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4 if right else -4, -4), textcoords="offset points",
                    ha="left" if right else "right", va="top", fontsize=9, color=TARGET)
    ax.set_yticks(range(len(result.plans)), [labels[p] for p in result.plans])
    ax.invert_yaxis()
    ax.set_xlabel(f"net revenue {over} ({scenario.currency}); dots: replications, "
                  f"bar: P10-P90, tick: P50")
    ax.set_title("Net revenue: distribution over replications and chance of making the plan (p_plan)")
    money_axis(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    return fig
