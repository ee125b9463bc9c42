"""The charts a head of sales puts in front of the CEO (matplotlib, Agg).

Every chart function takes the run (and the scenario for dates and
currency) and returns a :class:`~matplotlib.figure.Figure`; nothing here
touches pyplot's global state.  Each plan keeps one colour across all
charts (:func:`~simsales.report.figures.plan_colors`).  Money axes are in
the scenario's currency with k/M suffixes; times in minutes; weeks are
dated.  The building blocks are in :mod:`simsales.report.figures`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from simsales.analysis.compare import month_labels
from simsales.montecarlo import RunResult
from simsales.report.figures import (
    TARGET,
    WARN,
    band,
    date_axis,
    grouped_barh,
    money_axis,
    new_figure,
    plan_colors,
    save_figure,
    short_count,
    week_dates,
)
from simsales.report.tables import LOSSES, STAGES, funnel_counts, p_plan
from simsales.report.units import money
from simsales.scenario import Scenario
from simsales.scenario.units import MINUTES_PER_DAY


def revenue_fan(result: RunResult, scenario: Scenario) -> Figure:
    """Cumulative net revenue by week per plan (P10-P90 band, P50 line) against the plan.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors = plan_colors(list(result.plans))
    fig, axes = new_figure()
    ax = axes[0, 0]
    for plan, plan_result in result.plans.items():
        weekly = plan_result.series["revenue_net_week"]
        cumulative = np.hstack([np.zeros((weekly.shape[0], 1)), np.cumsum(weekly, axis=1)])
        x = np.concatenate([[np.datetime64(scenario.start, "D")],
                            week_dates(scenario, weekly.shape[1], end=True)])
        band(ax, x, cumulative, colors[plan], f"{plan} (P50, band P10-P90)")
    end = np.datetime64(scenario.start, "D") + np.timedelta64(scenario.horizon_days, "D")
    if result.revenue_plan > 0:
        ax.plot([np.datetime64(scenario.start, "D"), end], [0, result.revenue_plan], color=TARGET,
                linestyle="--", linewidth=1.2, label="plan target, even pace")
        ax.axhline(result.revenue_plan, color=TARGET, linestyle=":", linewidth=1)
        ax.annotate(f"plan {money(result.revenue_plan)} {scenario.currency}",
                    (np.datetime64(scenario.start, "D"), result.revenue_plan), xytext=(4, 4),
                    textcoords="offset points", ha="left", va="bottom", fontsize=9, color=TARGET)
    ax.set_title("Cumulative net revenue by week")
    ax.set_ylabel(f"net revenue, cumulative ({scenario.currency})")
    ax.set_xlabel("end of week")
    money_axis(ax.yaxis)
    date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return fig


def headcount(result: RunResult, scenario: Scenario) -> Figure:
    """Managers at each month's end per plan: ramped / ramping / onboarding, deferred hires marked.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors = plan_colors(list(result.plans))
    months = month_labels(scenario)
    names = [dt.date(int(m[:4]), int(m[5:]), 1).strftime("%b %Y") for m in months]
    fig, axes = new_figure(1, len(result.plans), sharey=True)
    top = 0.0
    for ax, (plan, plan_result) in zip(axes[0], result.plans.items(), strict=True):
        s = {k: v.mean(axis=0) for k, v in plan_result.series.items() if k.endswith("_month")}
        ramped = s["headcount_month"] - s["ramping_month"] - s["onboarding_month"]
        x = np.arange(len(months))
        bottom = np.zeros(len(months))
        for values, alpha, hatch in ((ramped, 1.0, None), (s["ramping_month"], 0.5, None),
                                     (s["onboarding_month"], 0.22, "//")):
            ax.bar(x, values, bottom=bottom, color=colors[plan], alpha=alpha, hatch=hatch,
                   edgecolor=colors[plan], width=0.7)
            bottom += values
        top = max(top, float(bottom.max()))
        for i in x:
            text = short_count(bottom[i])
            if s["hires_made_month"][i] >= 0.05:
                text += f"\n+{short_count(s['hires_made_month'][i])} joined"
            ax.annotate(text, (i, bottom[i]), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
            if s["hires_deferred_month"][i] >= 0.05:
                ax.annotate(f"\u25bc {short_count(s['hires_deferred_month'][i])} deferred", (i, 0),
                            xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8, color="white", fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.2", "fc": WARN, "ec": "none"})
        ax.set_xticks(x, names)
        ax.set_xlim(-0.6, max(len(months), 3) - 0.4)
        ax.set_title(plan, color=colors[plan], fontweight="bold")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel("managers at month end (mean over replications)")
    axes[0, 0].set_ylim(0, top * 1.25 + 1)
    fig.legend(handles=[Patch(facecolor="#555555", label="ramped"),
                        Patch(facecolor="#555555", alpha=0.5, label="ramping"),
                        Patch(facecolor="#555555", alpha=0.22, hatch="//", label="onboarding"),
                        Patch(facecolor=WARN, label="hires deferred by the span rule (decided that month)")],
               loc="outside lower center", ncols=4, fontsize=9)
    fig.suptitle("Headcount by month")
    return fig


def funnel(result: RunResult, scenario: Scenario) -> Figure:
    """Counts and conversions at every funnel stage per plan, and the losses by reason class.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors = plan_colors(list(result.plans))
    fig, axes = new_figure(1, 2, size=(12.0, 6.4), width_ratios=(1.15, 1))
    counts = {plan: funnel_counts(r.metrics).mean() for plan, r in result.plans.items()}

    def stage_note(plan: str, i: int) -> str:
        stage, c = STAGES[i], counts[plan]
        conversion = f" ({100 * c[stage.key] / c[stage.parent]:.0f}%)" if stage.parent and c[stage.parent] \
            else ""
        return f"{c[stage.key]:,.0f}{conversion}"

    grouped_barh(axes[0, 0], [s.label + (f"\n% of {s.parent.replace('_', ' ')}" if s.parent else "")
                              for s in STAGES],
                 {p: np.array([c[s.key] for s in STAGES]) for p, c in counts.items()}, colors, stage_note)
    axes[0, 0].set_title("Funnel: leads per stage (conversion from the previous stage)")
    axes[0, 0].set_xlabel("leads over the horizon (mean over replications)")
    total = [s.label for s in STAGES].index("Total invoices")
    axes[0, 0].get_yticklabels()[total].set_fontweight("bold")
    means = {plan: r.metrics.mean() for plan, r in result.plans.items()}

    def loss_note(plan: str, i: int) -> str:
        m = means[plan]
        return f"{m[LOSSES[i].key]:,.0f} ({100 * m[LOSSES[i].key] / m['leads']:.0f}% of leads)"

    grouped_barh(axes[0, 1], [f"{loss.label}\n({loss.reason_class})" for loss in LOSSES],
                 {p: np.array([m[loss.key] for loss in LOSSES]) for p, m in means.items()},
                 colors, loss_note)
    axes[0, 1].set_title("Where leads are lost, by reason class")
    axes[0, 1].set_xlabel("leads lost over the horizon (mean over replications)")
    fig.legend(*axes[0, 1].get_legend_handles_labels(), loc="outside lower center",
               ncols=len(result.plans), fontsize=9)
    for ax in axes[0]:
        ax.tick_params(axis="y", labelsize=8.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return fig


def capacity(result: RunResult, scenario: Scenario) -> Figure:
    """Median minutes to first attempt and contact rate by week, per plan.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors = plan_colors(list(result.plans))
    fig, axes = new_figure(2, 1, sharex=True)
    sla_ax, contact_ax = axes[:, 0]
    for plan, plan_result in result.plans.items():
        sla = plan_result.series["sla_p50_week"]
        x = week_dates(scenario, sla.shape[1], end=False)
        band(sla_ax, x, sla, colors[plan], plan, alpha=0.12)
        band(contact_ax, x, plan_result.series["contact_rate_week"], colors[plan], plan, alpha=0.12)
    sla_ax.set_title("Speed to first attempt and contact rate by week (P50 line, P10-P90 band)")
    sla_ax.set_ylabel("median SLA (minutes)")
    sla_ax.set_ylim(bottom=0)
    contact_ax.set_ylabel("contact rate (% of leads)")
    contact_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    contact_ax.set_xlabel("middle of the week")
    end = np.datetime64(scenario.start, "D") + np.timedelta64(scenario.horizon_days, "D")
    chain_days = int(np.ceil(scenario.touch_chain.offsets[-1] / MINUTES_PER_DAY))
    for ax in (sla_ax, contact_ax):
        ax.axvspan(end - np.timedelta64(chain_days, "D"), end, color="#999999", alpha=0.15, linewidth=0)
    contact_ax.set_xlim(np.datetime64(scenario.start, "D"), end)
    date_axis(contact_ax)
    for ax in (sla_ax, contact_ax):
        ax.grid(alpha=0.3)
    handles = sla_ax.get_legend_handles_labels()[0]
    handles.append(Patch(facecolor="#999999", alpha=0.3,
                         label="leads whose touch chain runs past the horizon"))
    sla_ax.legend(handles=handles, loc="lower left", fontsize=9, ncols=len(handles))
    return fig


def revenue_distribution(result: RunResult, scenario: Scenario) -> Figure:
    """Net revenue over the horizon per plan: every replication, its spread, and p_plan.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors = plan_colors(list(result.plans))
    chances = p_plan(result)
    fig, axes = new_figure(size=(10.0, 1.6 + 1.1 * len(result.plans)))
    ax = axes[0, 0]
    rng = np.random.default_rng(0)  # jitter of the dots only: fixed, so charts are reproducible
    for y, (plan, plan_result) in enumerate(result.plans.items()):
        revenue = plan_result.metrics["revenue_net"].to_numpy(dtype=float)
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
            note += f"\np_plan {100 * chances[plan]:.0f}%"
        ax.annotate(note, (1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, color=colors[plan],
                    fontweight="bold")
    if result.revenue_plan > 0:
        ax.axvline(result.revenue_plan, color=TARGET, linestyle="--", linewidth=1.2)
        lo, hi = ax.get_xlim()
        right = result.revenue_plan < (lo + hi) / 2  # write the label on the roomier side
        ax.annotate(f"plan {money(result.revenue_plan)} {scenario.currency}",
                    (result.revenue_plan, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4 if right else -4, -4), textcoords="offset points",
                    ha="left" if right else "right", va="top", fontsize=9, color=TARGET)
    ax.set_yticks(range(len(result.plans)), list(result.plans))
    ax.invert_yaxis()
    ax.set_xlabel(f"net revenue over the horizon ({scenario.currency}); dots: replications, "
                  f"bar: P10-P90, tick: P50")
    ax.set_title("Net revenue: distribution over replications and chance of making the plan (p_plan)")
    money_axis(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)
    return fig


@dataclass(frozen=True)
class Chart:
    """A written chart: its name, a title for the report, and its files."""

    name: str
    title: str
    png: Path
    svg: Path


CHARTS: tuple[tuple[str, str, Callable[[RunResult, Scenario], Figure]], ...] = (
    ("revenue_fan", "Cumulative net revenue by week", revenue_fan),
    ("revenue_distribution", "Net revenue distribution and p_plan", revenue_distribution),
    ("headcount", "Headcount by month", headcount),
    ("capacity", "SLA and contact rate by week", capacity),
    ("funnel", "Funnel and losses", funnel),
)


def write_charts(result: RunResult, scenario: Scenario, out_dir: str | Path) -> list[Chart]:
    """Write every chart of :data:`CHARTS` as PNG and SVG.

    Args:
        result: the run.
        scenario: the scenario that made it.
        out_dir: the folder (created if missing).

    Returns:
        The charts written, in :data:`CHARTS` order.
    """
    out_dir = Path(out_dir)
    charts = []
    for name, title, draw in CHARTS:
        fig = draw(result, scenario)
        charts.append(Chart(name, title, save_figure(fig, out_dir / f"{name}.png", "png"),
                            save_figure(fig, out_dir / f"{name}.svg", "svg")))
    return charts
