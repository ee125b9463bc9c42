"""The report's first screen: the verdict, then one headline card per plan, in one row.

A head of sales who reads only this screen (1280 x 800) knows which plan to
pick, how sure that is, and what to fix first: the verdict's sentence
(:mod:`simsales.analysis.verdict`, computed, not written by hand), three
tiles with its figures, and each plan's net revenue with its chance of
making the revenue plan.  The page's style sheet is here too: the first
screen is what it is built around.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from simsales.analysis.compare import Comparison
from simsales.analysis.verdict import SURE, Verdict
from simsales.montecarlo import RunResult
from simsales.report.units import fmt, money, percent

STYLE = """
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222;
       max-width: 1180px; margin: 0.8em auto 2em; padding: 0 1em; line-height: 1.4; }
h1 { margin: 0.2em 0 0.1em; font-size: 1.6em; } h2 { margin-top: 1.8em; border-bottom: 2px solid #eee; }
.meta { color: #666; margin: 0 0 0.8em; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; max-width: 100%; }
th, td { padding: 0.35em 0.7em; border-bottom: 1px solid #e4e4e4; text-align: right; vertical-align: top; }
th:first-child, td:first-child, table.left td, table.left th { text-align: left; }
thead th { border-bottom: 2px solid #999; }
.range { display: block; color: #777; font-size: 0.85em; }
.verdict { border: 2px solid #2c3e50; border-radius: 8px; padding: 0.7em 1.1em; margin: 0 0 0.9em;
           background: #f7f9fb; }
.verdict p { margin: 0 0 0.6em; font-size: 1.08em; }
.tiles { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.8em; }
.tile { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: 0.45em 0.8em; }
.tile .k { display: block; color: #555; font-size: 0.85em; text-transform: uppercase;
           letter-spacing: 0.03em; }
.tile .v { display: block; font-size: 1.45em; font-weight: 600; overflow-wrap: anywhere; }
.tile .n { display: block; color: #555; font-size: 0.88em; }
.cards { display: grid; gap: 0.8em; grid-template-columns: repeat(var(--n), minmax(0, 1fr)); }
.card { border: 1px solid #ddd; border-top: 6px solid; border-radius: 6px; padding: 0.5em 0.9em;
        font-size: 0.92em; min-width: 0; }
.card .name { font-weight: 600; overflow-wrap: anywhere; }
.big { font-size: 1.45em; font-weight: 600; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.9em; }
.how { color: #444; font-size: 0.95em; max-width: 60em; }
code { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; overflow-wrap: anywhere; }
.worse { color: #c0392b; } .better { color: #1e8449; }
"""

MEASURES = {"revenue_net_month": "net", "revenue_gross_month": "gross received"}
"""What a month's p_plan is measured on, as the cards say it."""

ONE_ROW = 4
"""Up to this many plans, the headline cards stand in one row; more wrap, at least 15em wide each."""

OBJECTIVES = {"revenue_net": "net revenue", "margin": "margin"}
"""An objective as the pick tile names it."""

BOTTLENECKS = {"capacity": "capacity", "closed_floor": "the closed floor", "contact": "contact rate",
               "qualification": "qualification", "closing": "closing", "span_rule": "the span rule"}
"""A bottleneck kind as a tile names it."""


def verdict_html(verdict: Verdict, labels: dict[str, str]) -> str:
    """The verdict box: its sentence, then three tiles (pick, how sure, fix first) with their figures.

    Args:
        verdict: the run's verdict.
        labels: plan name -> display name.

    Returns:
        ``<section id="verdict">``; with one plan, the pick tile names it and
        the how-sure tile says there is nothing to compare.
    """
    neck = verdict.bottleneck
    if verdict.best_plan is None:
        pick = ("Plan", escape(labels.get(next(iter(labels)), "")) if labels else "-",
                "the only plan run")
        sure = ("How sure", "-", "one plan: nothing to compare")
    else:
        vs = escape(labels.get(verdict.vs_plan or "", verdict.vs_plan or ""))
        best = escape(labels.get(verdict.best_plan, verdict.best_plan))
        objective = escape(OBJECTIVES.get(verdict.objective, verdict.objective))
        if verdict.p_better is not None and verdict.p_better < SURE:  # no plan to pick: say so, first
            pick = ("Pick", "too close to call", f"highest mean {objective}: {best}")
        else:
            pick = ("Pick", best, f"highest mean {objective}")
        sure = ("How sure", percent(verdict.p_better),
                f"of paired replications better than {vs}")
    fix = ("Fix first", escape(BOTTLENECKS.get(neck.kind, neck.kind.replace("_", " "))),
           f"{percent(neck.share_of_leads, 1 if 0 < neck.share_of_leads < 0.1 else 0)} of leads lost to it")
    tiles = "".join(f'<div class="tile"><span class="k">{k}</span><span class="v">{v}</span>'
                    f'<span class="n">{n}</span></div>' for k, v, n in (pick, sure, fix))
    return (f'<section id="verdict" class="verdict"><p><b>Verdict.</b> {escape(verdict.text)}</p>'
            f'<div class="tiles">{tiles}</div></section>')


def _month(month: str) -> str:
    """``2026-07`` -> ``Jul``."""
    return dt.date(int(month[:4]), int(month[5:7]), 1).strftime("%b")


def plan_chance(s: dict, over: str = "") -> str:
    """The chance of making the revenue plan, for the horizon and, with a monthly plan, per month.

    Args:
        s: one plan's summary (:meth:`~simsales.montecarlo.RunResult.summary`).
        over: the plan and what it is measured on when months are left out
            (``"210M RUB net over Jul-Sep 2026"``, :meth:`~simsales.montecarlo.RevenuePlan.period`);
            ``""``: the whole horizon, not said.

    Returns:
        HTML, ``""`` without a revenue plan.
    """
    months = s.get("p_plan_months") or {}
    parts = []
    if s.get("p_plan") is not None:
        on = f": {escape(over)}" if over else ""
        parts.append(f"<b>{percent(s['p_plan'])}</b> chance of making the revenue plan{on}")
    if months:
        measure = MEASURES.get(next(iter(months.values())).get("measure", ""), "revenue")
        parts.append(f"by month ({measure}): " + " · ".join(f"{_month(m)} <b>{percent(v['p_plan'])}</b>"
                                                            for m, v in months.items()))
    return "<br>".join(parts)


def headline(result: RunResult, comparison: Comparison, currency: str, colors: dict[str, str],
             labels: dict[str, str]) -> str:
    """One card per plan, in one row: net revenue P50 (P10, P90), p_plan, the gain over the baseline.

    The gain is the P50 of the paired differences, as in the verdict and the
    decision chart's legend.

    Args:
        result: the run.
        comparison: its plans against the baseline.
        currency: the scenario's currency.
        colors: plan -> colour.
        labels: plan -> display name.

    Returns:
        The cards, as HTML.
    """
    summary = result.summary()
    diffs = comparison.differences.set_index(["plan", "metric"]) if not comparison.differences.empty \
        else None
    target = result.revenue_target
    over = "" if target.whole_horizon else f"{money(target.total)} {currency} net {target.period()}"
    cards = []
    for plan, s in summary.items():
        net = s["revenue_net"]
        lines = [f"net revenue, P50<br>P10 {money(net['p10'])} · P90 {money(net['p90'])}"]
        chance = plan_chance(s, over)
        if chance:
            lines.append(chance)
        if diffs is not None and (plan, "revenue_net") in diffs.index:
            d = diffs.loc[(plan, "revenue_net")]
            css = "better" if d["p50"] > 0 else "worse" if d["p50"] < 0 else "same"  # a tie in neither colour
            lines.append(f'vs {escape(labels[comparison.baseline])}: <span class="{css}">'
                         f"{fmt(d['p50'], 'revenue_net', signed=True)}</span> (P50, paired), ahead in "
                         f"{percent(d['p_better'])} of replications")
        elif len(summary) > 1:
            lines.append("the baseline")
        cards.append(f'<div class="card" style="border-top-color:{colors[plan]}">'
                     f'<div class="name" style="color:{colors[plan]}">{escape(labels[plan])}</div>'
                     f'<div class="big">{money(net["p50"])} {escape(currency)}</div>'
                     + "<br>".join(lines) + "</div>")
    columns = (f"--n:{len(cards)}" if len(cards) <= ONE_ROW else
               "grid-template-columns:repeat(auto-fill,minmax(15em,1fr))")
    return f'<div id="headline" class="cards" style="{columns}">{"".join(cards)}</div>'
