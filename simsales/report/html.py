"""A self-contained HTML report: one file, charts embedded, nothing fetched.

The page leads with the verdict and one headline card per plan (the first
screen, :mod:`simsales.report.first_screen`), then the decision chart
(the paired gain over the baseline) before the absolute revenue fan, the
side-by-side table, every plan against the baseline, the month-by-month
view, the bottlenecks, the scenario's assumptions in people's units
(:mod:`simsales.report.assumptions`) and what is needed to reproduce it
(seed, replications, engine, simsales version).  Plans are named by their
display label.  No script, font, style sheet or image is loaded from
anywhere else.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape

import pandas as pd

from simsales import __version__
from simsales.analysis.compare import Comparison
from simsales.analysis.levers import LeverReport
from simsales.analysis.verdict import Verdict
from simsales.montecarlo import RunResult
from simsales.montecarlo.metrics import KEY_METRICS
from simsales.report.assumptions import NOTE, assumptions
from simsales.report.figures import plan_colors
from simsales.report.files import read_written
from simsales.report.first_screen import STYLE, headline, verdict_html
from simsales.report.levers import change_text, effect_text, setting_text
from simsales.report.plots import Chart
from simsales.report.tables import bottlenecks, losses_table, month_measure, reproduce
from simsales.report.units import count, counted, fmt, label, money, month_name, percent, plan_labels
from simsales.scenario import Scenario

HOW_TO_READ = (
    "How to read it: each band is a plan's cumulative net revenue minus {baseline}'s, taken replication "
    "by replication. Both plans of a replication see the same leads, clients and uncertain values "
    "(common random numbers), so the band shows the effect of the plan alone, not the luck of the "
    "quarter. Above zero the plan is ahead; where the whole band (P10 to P90) is above zero, the plan "
    "is ahead in at least 90% of replications. The absolute fan below overlaps because every plan "
    "shares the same uncertain market.")


def table(head: Sequence[str], rows: Iterable[Sequence[str]], raw_head: bool = False,
          css: str = "") -> str:
    """An HTML table.

    Args:
        head: the header cells, as text (as HTML with ``raw_head``).
        rows: the body's rows; cells are HTML (callers escape).
        raw_head: the header cells are HTML.
        css: a class for the table.

    Returns:
        The ``<table>`` element.
    """
    th = "".join(f"<th>{h if raw_head else escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{css}"' if css else ""
    return f"<table{attr}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def plan_head(plans: Iterable[str], colors: dict[str, str], labels: dict[str, str]) -> list[str]:
    """Header cells for plan columns, each in its plan's colour, under its display name.

    Args:
        plans: the plans, in column order.
        colors: plan -> colour (:func:`~simsales.report.figures.plan_colors`).
        labels: plan -> display name (:func:`~simsales.report.units.plan_labels`).

    Returns:
        One HTML cell per plan.
    """
    return [f'<span style="color:{colors[p]}">{escape(labels[p])}</span>' for p in plans]


def cell(main: str, sub: str = "") -> str:
    """A table cell: a value with, optionally, a range below it.

    Args:
        main: the value, as text.
        sub: the range or note below it, as text ("" for none).

    Returns:
        Escaped HTML.
    """
    return escape(main) + (f'<span class="range">{escape(sub)}</span>' if sub else "")


def side_by_side_html(result: RunResult, currency: str, colors: dict[str, str],
                      labels: dict[str, str]) -> str:
    """Key metrics per plan: P50 with P10 – P90 below, and p_plan.

    Args:
        result: the run.
        currency: the scenario's currency.
        colors: plan -> colour.
        labels: plan -> display name.

    Returns:
        A note and the table, as HTML.
    """
    summary = result.summary()
    rows = [[escape(label(m, currency))]
            + [cell(fmt(s[m]["p50"], m), f"{fmt(s[m]['p10'], m)} – {fmt(s[m]['p90'], m)}")
               for s in summary.values()] for m in KEY_METRICS]
    target = result.revenue_target
    if target.is_set:
        over = "" if target.whole_horizon else f" {target.period()}"
        rows.append([escape(f"p_plan: chance net revenue{over} ≥ {money(target.total)} {currency}")]
                    + [f"<b>{percent(s['p_plan'])}</b>" for s in summary.values()])
    return ("<p>P50 over replications, P10 – P90 below it; counts in whole units.</p>"
            + table(["metric", *plan_head(summary, colors, labels)], rows, raw_head=True))


def comparison_html(comparison: Comparison, currency: str, colors: dict[str, str],
                    labels: dict[str, str]) -> str:
    """Every plan against the baseline: mean, P10 · P50 · P90 of the paired differences, P(better).

    Args:
        comparison: the plans against the baseline.
        currency: the scenario's currency.
        colors: plan -> colour.
        labels: plan -> display name.

    Returns:
        A note and the table, as HTML (a sentence when only one plan ran).
    """
    diffs = comparison.differences
    if diffs.empty:
        return "<p>Only one plan ran: nothing to compare.</p>"
    plans = list(dict.fromkeys(diffs["plan"]))
    by = diffs.set_index(["plan", "metric"])
    rows = []
    for metric in dict.fromkeys(diffs["metric"]):
        row = [escape(label(metric, currency))]
        for plan in plans:
            d = by.loc[(plan, metric)]
            better = "" if pd.isna(d["p_better"]) else f", better in {percent(d['p_better'])}"
            row.append(cell(fmt(d["mean"], metric, signed=True, mean=True),
                            f"P10 {fmt(d['p10'], metric, True)} · P50 {fmt(d['p50'], metric, True)} · "
                            f"P90 {fmt(d['p90'], metric, True)}{better}"))
        rows.append(row)
    return (f"<p>Difference plan − <b>{escape(labels[comparison.baseline])}</b> taken replication by "
            "replication (common random numbers): the mean (in bold), then P10 · P50 · P90 of the paired "
            "differences and the share of replications in which the plan does better.</p>"
            + table(["metric", *plan_head(plans, colors, labels)], rows, raw_head=True))


def monthly_html(comparison: Comparison, currency: str, labels: dict[str, str],
                 measure: str = "net revenue") -> str:
    """Month by month per plan: the team, hires, gross revenue and, with a monthly plan, p_plan.

    Args:
        comparison: the plans against the baseline.
        currency: the scenario's currency.
        labels: plan -> display name.
        measure: what a month's p_plan is measured on, in words.

    Returns:
        A note and the table, as HTML.
    """
    months = comparison.months
    with_plan = "p_plan" in months.columns
    rows = []
    for r in months.to_dict(orient="records"):
        row = [escape(labels.get(r["plan"], str(r["plan"]))), escape(month_name(str(r["month"])))]
        row += [count(r[c]) for c in ("headcount", "ramped", "ramping", "onboarding", "hires_made",
                                      "hires_deferred")]
        row += [count(r.get(c, 0.0)) for c in ("left", "fired", "promoted", "vacancies_open")]
        row += [cell(money(r["gross_revenue_p50"]),
                     f"{money(r['gross_revenue_p10'])} – {money(r['gross_revenue_p90'])}"),
                "baseline" if r["plan"] == comparison.baseline
                else escape(fmt(r["gross_revenue_vs_baseline"], "revenue_gross", signed=True))]
        if with_plan:
            row += ["-" if pd.isna(r["revenue_plan"]) else money(r["revenue_plan"]),
                    "-" if pd.isna(r["p_plan"]) else f"<b>{percent(r['p_plan'])}</b>"]
        rows.append(row)
    head = ["plan", "month", "headcount", "ramped", "ramping", "onboarding", "hires made", "hires deferred",
            "left", "let go at probation", "promoted", "vacancies open",
            "gross revenue", f"vs {labels[comparison.baseline]}"]
    plan_note = (" Then the month's revenue plan and p_plan, the share of replications whose revenue "
                 f"that month ({measure}) reaches it." if with_plan else "")
    return ("<p>Managers at the month's last day, hires, leavers (of their own accord), hires let go at "
            "the end of probation, managers promoted to team lead and vacancies still open at the month's "
            "end: means over replications, whole managers from 10 up. Gross money received in the month, "
            f"{escape(currency)}: P50 with P10 – P90, and the "
            f"mean paired difference against {escape(labels[comparison.baseline])}.{plan_note}</p>"
            + table(head + (["revenue plan", "p_plan"] if with_plan else []), rows))


def losses_html(result: RunResult, colors: dict[str, str], labels: dict[str, str]) -> str:
    """Where leads are lost, per plan: share of all leads, mean count below.

    Args:
        result: the run.
        colors: plan -> colour.
        labels: plan -> display name.

    Returns:
        A note and the table, as HTML.
    """
    losses = losses_table(result)
    rows = [[escape(f"{loss} ({reason})")]
            + [cell(percent(r["share_of_leads"], 1), counted(r["count"], "lead"))
               for _, r in group.iterrows()]
            for (loss, reason), group in losses.groupby(["loss", "reason_class"], sort=False)]
    return ("<p>Where leads are lost: share of all leads (mean count below).</p>"
            + table(["loss (reason class)", *plan_head(result.plans, colors, labels)], rows, raw_head=True))


FLOOR_NOTE = (
    "What the sales floor's own rules would change, for plan {plan}: each lever is moved down and up "
    "and run with the same seed as the plan unchanged ({replications}, common random "
    "numbers), so the change is the lever's alone. Net revenue and margin over the horizon, in "
    "{currency}: the mean paired change ± its standard error. A side that has nowhere to go (no "
    "evening shift to move managers off, no cap to raise) is the plan unchanged: +0.")


def floor_levers_html(levers: LeverReport, currency: str, labels: dict[str, str]) -> str:
    """The floor's levers (an evening shift, a cap on new leads a day): each side's change and effect.

    Args:
        levers: a sensitivity run of the floor's levers (:func:`simsales.analysis.levers.run_levers`).
        currency: the scenario's currency.
        labels: plan -> display name.

    Returns:
        A note and the table (one row per lever and side), as HTML; a
        sentence for the levers that do not apply.
    """
    rows = []
    for lv in levers.levers:
        for side, sign in (("down", "−"), ("up", "+")):
            rows.append([escape(f"{lv.label} {sign}"), escape(change_text(lv, side)),
                         escape(f"{setting_text(lv.base)} → {setting_text(getattr(lv, side))}"),
                         f"<b>{escape(effect_text(lv, 'revenue_net', side))}</b>",
                         escape(effect_text(lv, "margin", side))])
    skipped = "".join(f"<p>{escape(name)}: {escape(why)}.</p>" for name, why in levers.skipped.items())
    note = FLOOR_NOTE.format(plan=labels.get(levers.plan, levers.plan),
                             replications=counted(levers.replications, "paired replication"),
                             currency=currency)
    return (f"<p>{escape(note)}</p>"
            + table(["lever", "what changed", "setting", f"net revenue, {currency}", f"margin, {currency}"],
                    rows, css="left") + skipped)


def figure(chart: Chart, note: str = "") -> str:
    """A chart embedded in the page (its PNG as base64) with its caption.

    Args:
        chart: a written chart.
        note: a paragraph after the caption, as text ("" for none).

    Returns:
        The ``<figure>`` element.
    """
    data = base64.b64encode(read_written(chart.png)).decode("ascii")  # maybe not yet renamed
    how = f'<p class="how">{escape(note)}</p>' if note else ""
    return (f'<figure id="chart-{escape(chart.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{escape(chart.title)}"><figcaption>{escape(chart.title)} '
            f"(also <code>{escape(chart.png.name)}</code> and <code>{escape(chart.svg.name)}</code>)"
            f"</figcaption>{how}</figure>")


def render(result: RunResult, scenario: Scenario, comparison: Comparison, charts: Sequence[Chart],
           source: str, verdict: Verdict, levers: LeverReport | None = None) -> str:
    """The whole page: the verdict and the headline cards first (the first screen), then the rest.

    Args:
        result: the run.
        scenario: the scenario that made it.
        comparison: its plans against the baseline.
        charts: the charts written for it.
        source: the scenario file as the user named it.
        verdict: the run's verdict (:func:`simsales.analysis.verdict.verdict`).
        levers: the floor's levers run on the baseline plan (None: no such section).

    Returns:
        The HTML document.
    """
    colors, labels = plan_colors(list(result.plans)), plan_labels(scenario, result.plans)
    currency = scenario.currency
    how = {"revenue_gain": HOW_TO_READ.format(baseline=labels[comparison.baseline])}
    by_name = {c.name: figure(c, how.get(c.name, "")) for c in charts}
    title = f"{scenario.name}: hiring plans compared"
    notes = bottlenecks(result, scenario)
    command = reproduce(result, scenario, source, comparison.baseline)
    sections = [
        ("Revenue", by_name.get("revenue_gain", "") + by_name.get("revenue_fan", "")
         + by_name.get("revenue_distribution", "")),
        ("Plans side by side", side_by_side_html(result, currency, colors, labels)),
        (f"Against {labels[comparison.baseline]}", comparison_html(comparison, currency, colors, labels)),
        ("Team by month", by_name.get("headcount", "") + monthly_html(comparison, currency, labels,
                                                                      month_measure(result))),
        ("Capacity and bottlenecks", by_name.get("capacity", "")
         + "".join(f'<p><b style="color:{colors[p]}">{escape(labels[p])}</b>: {escape(text)}</p>'
                   for p, text in notes.items()) + losses_html(result, colors, labels)
         + by_name.get("funnel", "")),
        *([("What the floor's rules would change", floor_levers_html(levers, currency, labels))]
          if levers is not None else []),
        ("Key assumptions", f"<p>{escape(NOTE)}</p>"
         + table(["assumption", "value"], [[escape(k), escape(v)] for k, v in assumptions(scenario)],
                 css="left")),
        ("Reproduce", f"<p>Seed <b>{result.seed}</b>, {counted(result.replications, 'replication')}, engine "
                      f"<b>{escape(result.engine)}</b>, simsales <b>{escape(__version__)}</b>.</p>"
                      f"<p><code>{escape(command)}</code></p>"),
    ]
    body = "".join(f"<h2>{escape(h)}</h2>\n{html}\n" for h, html in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n"
            f'<p class="meta">{escape(source)} · {counted(scenario.horizon_days, "day")} from '
            f"{scenario.start} · {counted(result.replications, 'replication')} · seed {result.seed} · "
            f"engine {escape(result.engine)} · "
            f"simsales {escape(__version__)} · money in {escape(currency)}</p>\n"
            f"{verdict_html(verdict, labels)}\n"
            f"{headline(result, comparison, currency, colors, labels)}\n"
            f"{body}</body></html>\n")
