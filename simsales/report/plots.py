"""The charts a head of sales puts in front of the CEO (matplotlib, Agg), and writing them.

Every chart function takes the run (and the scenario for dates, currency
and plan labels) and returns a :class:`~matplotlib.figure.Figure`; nothing
here touches pyplot's global state.  Each plan keeps one colour across all
charts (:func:`~simsales.report.figures.plan_colors`) and is named by its
display label.  Money axes are in the scenario's currency with k/M
suffixes; times in minutes; weeks are dated; counts are means over
replications, in whole units from 10 up
(:func:`~simsales.report.units.count`).  The revenue charts, the decision
chart first, are in :mod:`simsales.report.revenue_charts`; the building
blocks in :mod:`simsales.report.figures`.
"""

from __future__ import annotations

import datetime as dt
import textwrap
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
    WARN,
    band,
    date_axis,
    grouped_barh,
    legend_columns,
    new_figure,
    plan_colors,
    save_figure,
    week_dates,
)
from simsales.report.revenue_charts import revenue_distribution, revenue_fan, revenue_gain
from simsales.report.tables import LOSSES, STAGES, funnel_counts
from simsales.report.units import count, percent, plan_labels
from simsales.scenario import Scenario
from simsales.scenario.units import MINUTES_PER_DAY


def headcount(result: RunResult, scenario: Scenario) -> Figure:
    """Managers at each month's end per plan: ramped / ramping / onboarding; who joined and who went.

    Above each bar: the managers at the month's end, those who joined in
    the month, and beside them those who departed: left of their own
    accord, let go at probation, promoted to team lead (means over
    replications; a movement under 0.05 is not written).  Deferred hires
    are marked at the bar's foot.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
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
            text = count(bottom[i])
            moves = [("+", "hires_made_month", "joined"), ("\u2212", "left_month", "left"),
                     ("\u2212", "fired_month", "fired"), ("\u2212", "promoted_month", "promoted")]
            for sign, key, word in moves:
                if key in s and s[key][i] >= 0.05:
                    text += f"\n{sign}{count(s[key][i])} {word}"
            ax.annotate(text, (i, bottom[i]), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
            if s["hires_deferred_month"][i] >= 0.05:
                ax.annotate(f"\u25bc {count(s['hires_deferred_month'][i])} deferred", (i, 0),
                            xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                            fontsize=8, color="white", fontweight="bold",
                            bbox={"boxstyle": "round,pad=0.2", "fc": WARN, "ec": "none"})
        ax.set_xticks(x, names)
        ax.set_xlim(-0.6, max(len(months), 3) - 0.4)
        ax.set_title(textwrap.fill(labels[plan], max(12, 64 // len(result.plans))), color=colors[plan],
                     fontweight="bold")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel("managers at month end (mean over replications)")
    axes[0, 0].set_ylim(0, top * 1.45 + 1)
    fig.legend(handles=[Patch(facecolor="#555555", label="ramped"),
                        Patch(facecolor="#555555", alpha=0.5, label="ramping"),
                        Patch(facecolor="#555555", alpha=0.22, hatch="//", label="onboarding"),
                        Patch(facecolor=WARN, label="hires deferred by the span rule (decided that month)")],
               loc="outside lower center", ncols=4, fontsize=9)
    fig.suptitle("Headcount by month: joined, and departed (left, fired at probation, promoted)")
    return fig


def funnel(result: RunResult, scenario: Scenario) -> Figure:
    """Counts and conversions at every funnel stage per plan, and the losses by reason class.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    fig, axes = new_figure(1, 2, size=(12.0, 6.4), width_ratios=(1.15, 1))
    counts = {plan: funnel_counts(r.metrics).mean() for plan, r in result.plans.items()}

    def stage_note(plan: str, i: int) -> str:
        stage, c = STAGES[i], counts[plan]
        conversion = f" ({100 * c[stage.key] / c[stage.parent]:.0f}%)" if stage.parent and c[stage.parent] \
            else ""
        return f"{c[stage.key]:,.0f}{conversion}"

    grouped_barh(axes[0, 0], [s.label + (f"\n% of {s.parent.replace('_', ' ')}" if s.parent else "")
                              for s in STAGES],
                 {p: np.array([c[s.key] for s in STAGES]) for p, c in counts.items()}, colors, stage_note,
                 labels)
    axes[0, 0].set_title("Funnel: leads per stage (conversion from the previous stage)")
    axes[0, 0].set_xlabel("leads over the horizon (mean over replications)")
    total = [s.label for s in STAGES].index("Total invoices")
    axes[0, 0].get_yticklabels()[total].set_fontweight("bold")
    means = {plan: r.metrics.mean() for plan, r in result.plans.items()}

    def loss_note(plan: str, i: int) -> str:
        m = means[plan]
        share = m[LOSSES[i].key] / m["leads"] if m["leads"] else 0.0
        return f"{m[LOSSES[i].key]:,.0f} ({percent(share, 1 if 0 < share < 0.01 else 0)} of leads)"

    grouped_barh(axes[0, 1], [f"{loss.label}\n({loss.reason_class})" for loss in LOSSES],
                 {p: np.array([m[loss.key] for loss in LOSSES]) for p, m in means.items()},
                 colors, loss_note, labels)
    axes[0, 1].set_title("Where leads are lost, by reason class")
    axes[0, 1].set_xlabel("leads lost over the horizon (mean over replications)")
    handles, names = axes[0, 1].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=legend_columns(names), fontsize=9)
    for ax in axes[0]:
        ax.tick_params(axis="y", labelsize=8.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return fig


def capacity(result: RunResult, scenario: Scenario) -> Figure:
    """Median minutes to first attempt and contact rate by week, per plan.

    A week's SLA is a replication's median minutes (calendar) from creation to
    first attempt over the leads created that week and attempted; the line is
    its P50 over replications, the band P10-P90, as for the contact rate.

    Args:
        result: the run.
        scenario: the scenario that made it (dates, currency).

    Returns:
        The figure (Agg canvas).
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    fig, axes = new_figure(2, 1, sharex=True)
    sla_ax, contact_ax = axes[:, 0]
    for plan, plan_result in result.plans.items():
        sla = plan_result.series["sla_p50_week"]
        x = week_dates(scenario, sla.shape[1], end=False)
        band(sla_ax, x, sla, colors[plan], labels[plan], alpha=0.12)
        band(contact_ax, x, plan_result.series["contact_rate_week"], colors[plan], labels[plan], alpha=0.12)
    sla_ax.set_title("Speed to first attempt and contact rate by week (P50 line, P10-P90 band)")
    # Each replication's median for the week's new leads; the line is the P50 of those over replications.
    sla_ax.set_ylabel("minutes to first attempt\n(the week's median)")
    sla_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
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
    fig.legend(handles=handles, loc="outside lower center", fontsize=9,
               ncols=legend_columns([h.get_label() for h in handles]))
    return fig


@dataclass(frozen=True)
class Chart:
    """A written chart: its name, a title for the report, and its files."""

    name: str
    title: str
    png: Path
    svg: Path


Draw = Callable[[RunResult, Scenario, str], Figure | None]
"""A chart function: ``draw(result, scenario, baseline)``; None when the run has nothing to draw."""

CHARTS: tuple[tuple[str, str, Draw], ...] = (
    ("revenue_gain", "Net revenue gained over the baseline, paired by replication (the decision chart)",
     revenue_gain),
    ("revenue_fan", "Cumulative net revenue by week", lambda r, s, _: revenue_fan(r, s)),
    ("revenue_distribution", "Net revenue distribution and p_plan",
     lambda r, s, _: revenue_distribution(r, s)),
    ("headcount", "Headcount by month", lambda r, s, _: headcount(r, s)),
    ("capacity", "SLA and contact rate by week", lambda r, s, _: capacity(r, s)),
    ("funnel", "Funnel and losses", lambda r, s, _: funnel(r, s)),
)
"""Every chart of a report, in the page's order: (file name, title, draw)."""


def write_charts(result: RunResult, scenario: Scenario, out_dir: str | Path,
                 baseline: str | None = None) -> list[Chart]:
    """Write every chart of :data:`CHARTS` that has something to show, as PNG and SVG.

    Args:
        result: the run.
        scenario: the scenario that made it.
        out_dir: the folder (created if missing).
        baseline: the plan the decision chart measures the others against (None: the first run).

    Returns:
        The charts written, in :data:`CHARTS` order (the decision chart only with two plans or more).
    """
    out_dir = Path(out_dir)
    baseline = baseline if baseline is not None else next(iter(result.plans))
    charts = []
    for name, title, draw in CHARTS:
        fig = draw(result, scenario, baseline)
        if fig is not None:
            charts.append(Chart(name, title, save_figure(fig, out_dir / f"{name}.png", "png"),
                                save_figure(fig, out_dir / f"{name}.svg", "svg")))
    return charts
