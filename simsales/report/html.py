"""A self-contained HTML report: one file, charts embedded, nothing fetched.

The page holds the headline per plan, the side-by-side table, every plan
against the baseline, the charts (PNG, base64-embedded), the month-by-month
view, the bottleneck summary, the scenario's key assumptions and what is
needed to reproduce it (seed, replications, engine, simsales version).
No script, font, style sheet or image is loaded from anywhere else.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape

import pandas as pd

from simsales import __version__
from simsales.analysis.compare import Comparison
from simsales.montecarlo import RunResult
from simsales.montecarlo.metrics import KEY_METRICS
from simsales.report.figures import plan_colors
from simsales.report.plots import Chart
from simsales.report.tables import assumptions, bottlenecks, losses_table, reproduce
from simsales.report.units import fmt, label, money, percent
from simsales.scenario import Scenario

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 2px solid #eee; }
.meta { color: #666; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { padding: 0.35em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: right; vertical-align: top; }
th:first-child, td:first-child, table.left td, table.left th { text-align: left; }
thead th { border-bottom: 2px solid #999; }
.range { display: block; color: #777; font-size: 0.85em; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; }
.card { border: 1px solid #ddd; border-top: 6px solid; border-radius: 6px; padding: 0.8em 1.1em;
        min-width: 15em; }
.big { font-size: 1.6em; font-weight: 600; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
code { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; }
.worse { color: #c0392b; } .better { color: #1e8449; }
"""


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


def plan_head(plans: Iterable[str], colors: dict[str, str]) -> list[str]:
    """Header cells for plan columns, each in its plan's colour.

    Args:
        plans: the plans, in column order.
        colors: plan -> colour (:func:`~simsales.report.figures.plan_colors`).

    Returns:
        One HTML cell per plan.
    """
    return [f'<span style="color:{colors[p]}">{escape(p)}</span>' for p in plans]


def cell(main: str, sub: str = "") -> str:
    """A table cell: a value with, optionally, a range below it.

    Args:
        main: the value, as text.
        sub: the range or note below it, as text ("" for none).

    Returns:
        Escaped HTML.
    """
    return escape(main) + (f'<span class="range">{escape(sub)}</span>' if sub else "")


def headline(result: RunResult, comparison: Comparison, currency: str, colors: dict[str, str]) -> str:
    """One card per plan: net revenue P50 (P10, P90), p_plan and the difference from the baseline.

    Args:
        result: the run.
        comparison: its plans against the baseline.
        currency: the scenario's currency.
        colors: plan -> colour.

    Returns:
        The cards, as HTML.
    """
    summary = result.summary()
    diffs = comparison.differences.set_index(["plan", "metric"])
    cards = []
    for plan, s in summary.items():
        net = s["revenue_net"]
        big = f'<div class="big">{money(net["p50"])} {escape(currency)}</div>'
        lines = [f"net revenue, P50 (P10 {money(net['p10'])}, P90 {money(net['p90'])})"]
        if s["p_plan"] is not None:
            lines.append(f"<b>{percent(s['p_plan'])}</b> chance of making the plan")
        if (plan, "revenue_net") in diffs.index:
            d = diffs.loc[(plan, "revenue_net")]
            css = "better" if d["mean"] > 0 else "worse"
            lines.append(f'vs {escape(comparison.baseline)}: <span class="{css}">'
                         f"{fmt(d['mean'], 'revenue_net', signed=True)}</span>, ahead in "
                         f"{percent(d['p_better'])} of replications")
        else:
            lines.append("baseline")
        cards.append(f'<div class="card" style="border-top-color:{colors[plan]}">'
                     f'<b style="color:{colors[plan]}">{escape(plan)}</b>{big}' + "<br>".join(lines)
                     + "</div>")
    return f'<div class="cards">{"".join(cards)}</div>'


def side_by_side_html(result: RunResult, currency: str, colors: dict[str, str]) -> str:
    """Key metrics per plan: P50 with P10 – P90 below, and p_plan.

    Args:
        result: the run.
        currency: the scenario's currency.
        colors: plan -> colour.

    Returns:
        A note and the table, as HTML.
    """
    summary = result.summary()
    rows = [[escape(label(m, currency))]
            + [cell(fmt(s[m]["p50"], m), f"{fmt(s[m]['p10'], m)} – {fmt(s[m]['p90'], m)}")
               for s in summary.values()] for m in KEY_METRICS]
    if result.revenue_plan > 0:
        rows.append([escape(f"p_plan: chance net revenue ≥ {money(result.revenue_plan)} {currency}")]
                    + [f"<b>{percent(s['p_plan'])}</b>" for s in summary.values()])
    return ("<p>P50 over replications, P10 – P90 below it.</p>"
            + table(["metric", *plan_head(summary, colors)], rows, raw_head=True))


def comparison_html(comparison: Comparison, currency: str, colors: dict[str, str]) -> str:
    """Every plan against the baseline: mean, P10 · P50 · P90 of the paired differences, P(better).

    Args:
        comparison: the plans against the baseline.
        currency: the scenario's currency.
        colors: plan -> colour.

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
            row.append(cell(fmt(d["mean"], metric, signed=True),
                            f"P10 {fmt(d['p10'], metric, True)} · P50 {fmt(d['p50'], metric, True)} · "
                            f"P90 {fmt(d['p90'], metric, True)}{better}"))
        rows.append(row)
    return (f"<p>Difference plan − <b>{escape(comparison.baseline)}</b> taken replication by "
            "replication (common random numbers): mean, then P10 · P50 · P90 of the paired "
            "differences and the share of replications in which the plan does better.</p>"
            + table(["metric", *plan_head(plans, colors)], rows, raw_head=True))


def monthly_html(comparison: Comparison, currency: str) -> str:
    """Month by month per plan: the team, hires and gross revenue received.

    Args:
        comparison: the plans against the baseline.
        currency: the scenario's currency.

    Returns:
        A note and the table, as HTML.
    """
    rows = [[escape(str(r.plan)), escape(str(r.month)), f"{r.headcount:.1f}", f"{r.ramped:.1f}",
             f"{r.ramping:.1f}", f"{r.onboarding:.1f}", f"{r.hires_made:.1f}", f"{r.hires_deferred:.1f}",
             cell(money(r.revenue_p50), f"{money(r.revenue_p10)} – {money(r.revenue_p90)}"),
             "baseline" if r.plan == comparison.baseline
             else escape(fmt(r.revenue_vs_baseline, "revenue_gross", signed=True))]
            for r in comparison.months.itertuples()]
    return ("<p>Managers at the month's last day and hires (means over replications); gross money "
            f"received in the month, {escape(currency)}: P50 with P10 – P90, and the mean paired "
            f"difference against {escape(comparison.baseline)}.</p>"
            + table(["plan", "month", "headcount", "ramped", "ramping", "onboarding", "hires made",
                     "hires deferred", "gross revenue", f"vs {comparison.baseline}"], rows))


def losses_html(result: RunResult, colors: dict[str, str]) -> str:
    """Where leads are lost, per plan: share of all leads, mean count below.

    Args:
        result: the run.
        colors: plan -> colour.

    Returns:
        A note and the table, as HTML.
    """
    losses = losses_table(result)
    rows = [[escape(f"{loss} ({reason})")]
            + [cell(percent(r["share_of_leads"], 1), f"{r['count']:,.0f} leads") for _, r in group.iterrows()]
            for (loss, reason), group in losses.groupby(["loss", "reason_class"], sort=False)]
    return ("<p>Where leads are lost: share of all leads (mean count below).</p>"
            + table(["loss (reason class)", *plan_head(result.plans, colors)], rows, raw_head=True))


def figure(chart: Chart) -> str:
    """A chart embedded in the page (its PNG as base64) with its caption.

    Args:
        chart: a written chart.

    Returns:
        The ``<figure>`` element.
    """
    data = base64.b64encode(chart.png.read_bytes()).decode("ascii")
    return (f'<figure id="chart-{escape(chart.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{escape(chart.title)}"><figcaption>{escape(chart.title)} '
            f"(also <code>{escape(chart.png.name)}</code> and <code>{escape(chart.svg.name)}</code>)"
            "</figcaption></figure>")


def render(result: RunResult, scenario: Scenario, comparison: Comparison, charts: Sequence[Chart],
           source: str) -> str:
    """The whole page.

    Args:
        result: the run.
        scenario: the scenario that made it.
        comparison: its plans against the baseline.
        charts: the charts written for it.
        source: the scenario file as the user named it.

    Returns:
        The HTML document.
    """
    colors = plan_colors(list(result.plans))
    currency = scenario.currency
    by_name = {c.name: figure(c) for c in charts}
    title = f"{scenario.name}: hiring plans compared"
    notes = bottlenecks(result)
    command = reproduce(result, scenario, source, comparison.baseline)
    sections = [
        ("Headline", headline(result, comparison, currency, colors)),
        ("Plans side by side", side_by_side_html(result, currency, colors)),
        (f"Against {comparison.baseline}", comparison_html(comparison, currency, colors)),
        ("Revenue", by_name.get("revenue_fan", "") + by_name.get("revenue_distribution", "")),
        ("Team by month", by_name.get("headcount", "") + monthly_html(comparison, currency)),
        ("Capacity and bottlenecks", by_name.get("capacity", "")
         + "".join(f'<p><b style="color:{colors[p]}">{escape(p)}</b>: {escape(text)}</p>'
                   for p, text in notes.items()) + losses_html(result, colors) + by_name.get("funnel", "")),
        ("Key assumptions", table(["assumption", "value"],
                                  [[escape(k), escape(v)] for k, v in assumptions(scenario)], css="left")),
        ("Reproduce", f"<p>Seed <b>{result.seed}</b>, {result.replications} replications, engine "
                      f"<b>{escape(result.engine)}</b>, simsales <b>{escape(__version__)}</b>.</p>"
                      f"<p><code>{escape(command)}</code></p>"),
    ]
    body = "".join(f"<h2>{escape(h)}</h2>\n{html}\n" for h, html in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n"
            f'<p class="meta">{escape(source)} · {scenario.horizon_days} days from {scenario.start} · '
            f"{result.replications} replications · seed {result.seed} · engine {escape(result.engine)} · "
            f"simsales {escape(__version__)} · money in {escape(currency)}</p>\n"
            f"{body}</body></html>\n")
