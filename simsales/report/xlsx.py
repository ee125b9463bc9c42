"""An Excel workbook for the people who live in spreadsheets (openpyxl).

Sheets: ``verdict`` first (which plan to pick, how sure, what to fix first,
then each plan's net revenue and chance of making the revenue plan, per
month too with a monthly plan), ``summary`` (how the run was made, then
every metric per plan: mean, P10, P50, P90, and p_plan), ``comparison``
(paired differences against the baseline), ``monthly`` (team and gross
revenue by month, headed "gross revenue P50" ..., and p_plan per month with
a monthly plan, beside the plan headed with what it is measured on), ``funnel``
(stages with conversions, then losses by reason class) and ``replications``
(every metric of every replication of every plan).  Plans are named by
their display label.  Money cells carry a thousands format, rates a
percentage format.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from simsales import __version__
from simsales.analysis.compare import Comparison
from simsales.analysis.levers import LeverReport
from simsales.analysis.verdict import Verdict
from simsales.montecarlo import RunResult
from simsales.montecarlo.metrics import METRICS
from simsales.report.files import atomic_write
from simsales.report.levers import lever_frame
from simsales.report.tables import funnel_table, losses_table, month_measure, reproduce, side_by_side
from simsales.report.units import EXCEL_FORMATS, kind, label, money, plan_labels
from simsales.scenario import Scenario

SHEETS = ("verdict", "summary", "comparison", "monthly", "funnel", "replications")
BOLD = Font(bold=True)
MONEY, PERCENT, COUNT = EXCEL_FORMATS["money"], EXCEL_FORMATS["rate"], EXCEL_FORMATS["count"]
TEXT_COLUMNS = 7
"""The verdict sheet's sentences span this many columns (the per-plan table's width)."""
TEXT_WIDTH = 120
"""About how many characters of a sentence fit on one line across them."""


def write_frame(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str] | None = None,
                row_formats: Sequence[str] | None = None, first_row: int = 1) -> int:
    """Write ``frame`` (header in bold) from ``first_row``; return the next free row.

    Args:
        ws: the sheet.
        frame: the table.
        formats: a number format per column.
        row_formats: one number format per row, for the columns of numbers
            whose unit changes row by row.
        first_row: the sheet row (1-based) of the header.

    Returns:
        The next free row, one blank row below the table.
    """
    formats = formats or {}
    for j, name in enumerate(frame.columns, start=1):
        ws.cell(first_row, j, str(name)).font = BOLD
    for i, values in enumerate(frame.itertuples(index=False), start=first_row + 1):
        for j, (name, value) in enumerate(zip(frame.columns, values, strict=True), start=1):
            c = ws.cell(i, j, None if isinstance(value, float) and value != value else value)
            number_format = formats.get(name) or (row_formats[i - first_row - 1] if row_formats and
                                                  isinstance(value, int | float) else None)
            if number_format:
                c.number_format = number_format
    for j, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(f"{v:,.0f}" if isinstance(v, float) and v == v else str(v))
                                        for v in frame[name].head(200)])
        column = get_column_letter(j)
        ws.column_dimensions[column].width = max(ws.column_dimensions[column].width or 0,
                                                 min(60, width + 3))
    return first_row + len(frame) + 2


def summary_sheet(ws: Worksheet, result: RunResult, scenario: Scenario, comparison: Comparison,
                  source: str) -> None:
    """Fill the summary sheet: how the run was made, then every metric per plan and p_plan.

    Args:
        ws: the sheet.
        result: the run.
        scenario: the scenario that made it.
        comparison: its plans against the baseline (for the reproduce line).
        source: the scenario file as the user named it.
    """
    about = [("scenario", scenario.name), ("file", source), ("seed", result.seed),
             ("replications", result.replications), ("engine", result.engine),
             ("simsales", __version__), ("currency", scenario.currency),
             ("revenue plan (net)", result.revenue_plan),
             *plan_measured_on(result),
             ("reproduce", reproduce(result, scenario, source, comparison.baseline))]
    for i, (key, value) in enumerate(about, start=1):
        ws.cell(i, 1, key).font = BOLD
        ws.cell(i, 2, value)
    ws.cell([k for k, _ in about].index("revenue plan (net)") + 1, 2).number_format = MONEY
    long = side_by_side(result, tuple(METRICS))
    wide = long.pivot(index="metric", columns="plan", values=["mean", "p10", "p50", "p90"])
    wide = wide.reindex(index=list(METRICS), columns=[(s, p) for p in result.plans
                                                      for s in ("mean", "p10", "p50", "p90")])
    names = plan_labels(scenario, result.plans)
    wide.columns = [f"{names[plan]} {stat.upper() if stat != 'mean' else stat}"
                    for stat, plan in wide.columns]
    wide.insert(0, "metric", [label(m, scenario.currency) for m in wide.index])
    p_plans = [s["p_plan"] for s in result.summary().values()]
    target = result.revenue_target
    over = "" if target.whole_horizon else f", net revenue {target.period()}"
    chances = pd.DataFrame([[f"p_plan: chance of making the plan{over}"]
                            + [v for p in p_plans for v in (p, None, None, None)]], columns=wide.columns)
    frame = pd.concat([wide.reset_index(drop=True), chances], ignore_index=True)
    row_formats = [EXCEL_FORMATS[kind(m)] for m in METRICS] + [PERCENT]
    write_frame(ws, frame, row_formats=row_formats, first_row=len(about) + 2)
    ws.freeze_panes = ws.cell(len(about) + 3, 2)


def plan_measured_on(result: RunResult) -> list[tuple[str, str]]:
    """The summary sheet's line saying what p_plan is measured on, when the plan leaves months out.

    Args:
        result: the run.

    Returns:
        ``[("revenue plan measured on", "net revenue over Jul-Sep 2026 ...")]``, or none.
    """
    target = result.revenue_target
    if not target.is_set or target.whole_horizon:
        return []
    return [("revenue plan measured on", f"net revenue {target.period()}, the months with a target")]


def comparison_sheet(ws: Worksheet, comparison: Comparison, currency: str, names: dict[str, str]) -> None:
    """Fill the comparison sheet: paired differences against the baseline, in each metric's unit.

    Args:
        ws: the sheet.
        comparison: the plans against the baseline.
        currency: the scenario's currency.
        names: plan -> display name.
    """
    frame = comparison.differences.copy()
    row_formats = [EXCEL_FORMATS[kind(m)] for m in frame["metric"]]
    frame["metric"] = [label(m, currency) for m in frame["metric"]]
    frame["plan"] = [names.get(p, p) for p in frame["plan"]]
    base = names[comparison.baseline]
    frame = frame.rename(columns={"baseline_mean": f"{base} mean", "plan_mean": "plan mean",
                                  "mean": "difference mean", "p10": "difference P10",
                                  "p50": "difference P50", "p90": "difference P90",
                                  "p_better": f"P(better than {base})"})
    write_frame(ws, frame, formats={frame.columns[-1]: PERCENT}, row_formats=row_formats)
    ws.freeze_panes = "C2"


def verdict_sheet(ws: Worksheet, result: RunResult, scenario: Scenario, comparison: Comparison,
                  verdict: Verdict, names: dict[str, str]) -> None:
    """Fill the verdict sheet: the verdict and its figures, then the headline per plan.

    Args:
        ws: the sheet.
        result: the run.
        scenario: the scenario that made it.
        comparison: its plans against the baseline.
        verdict: the run's verdict.
        names: plan -> display name.
    """
    neck = verdict.bottleneck
    rows: list[tuple[str, object, str | None]] = [
        ("verdict", verdict.text, None),
        ("objective", label(verdict.objective, scenario.currency), None),
        ("best plan", names.get(verdict.best_plan, verdict.best_plan) if verdict.best_plan else "-", None),
        ("compared with", names.get(verdict.vs_plan, verdict.vs_plan) if verdict.vs_plan else "-", None),
        ("P(better), paired replications", verdict.p_better, PERCENT),
        ("fix first (bottleneck)", neck.kind.replace("_", " "), None),
        ("share of leads lost to it", neck.share_of_leads, PERCENT),
        ("bottleneck", neck.text, None),
    ]
    for i, (key, value, number_format) in enumerate(rows, start=1):
        ws.cell(i, 1, key).font = BOLD
        c = ws.cell(i, 2, value)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if number_format:
            c.number_format = number_format
        if isinstance(value, str) and len(value) > TEXT_WIDTH // 2:  # a sentence: across the table below
            ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=TEXT_COLUMNS + 1)
            ws.row_dimensions[i].height = 15 * (1 + len(value) // TEXT_WIDTH)
    ws.cell(1, 2).font = BOLD
    ws.column_dimensions["A"].width = 32
    summary = result.summary()
    diffs = comparison.differences.set_index(["plan", "metric"]) if not comparison.differences.empty \
        else None
    plan_rows = []
    for plan, s in summary.items():
        net = s["revenue_net"]
        d = diffs.loc[(plan, "revenue_net")] if diffs is not None and (plan, "revenue_net") in diffs.index \
            else None
        row = {"plan": names[plan], "net revenue P10": net["p10"], "net revenue P50": net["p50"],
               "net revenue P90": net["p90"], "p_plan": s["p_plan"],
               f"vs {names[comparison.baseline]}, P50 (paired)": None if d is None else d["p50"],
               f"vs {names[comparison.baseline]}, mean": None if d is None else d["mean"],
               f"P(better than {names[comparison.baseline]})": None if d is None else d["p_better"]}
        row |= {f"p_plan {month}": v["p_plan"] for month, v in (s.get("p_plan_months") or {}).items()}
        plan_rows.append(row)
    frame = pd.DataFrame(plan_rows)
    formats = {c: MONEY for c in frame.columns if c.startswith(("net revenue", "vs "))}
    formats |= {c: PERCENT for c in frame.columns if c.startswith(("p_plan", "P(better"))}
    start = len(rows) + 2
    months = " (a month's p_plan on " + month_measure(result) + ")" if any(
        s.get("p_plan_months") for s in summary.values()) else ""
    target = result.revenue_target
    if target.is_set and not target.whole_horizon:
        months = f", {money(target.total)} net {target.period()}" + months
    ws.cell(start, 1, f"Net revenue per plan ({scenario.currency}) and the chance of making the revenue "
                      f"plan{months}").font = BOLD
    write_frame(ws, frame, formats=formats, first_row=start + 1)


def month_revenue_columns(result: RunResult, baseline: str) -> dict[str, str]:
    """The monthly sheet's revenue headers, saying which revenue each is.

    The month's P10/P50/P90 and the paired difference are gross money
    received in the month (refunds are not taken off), as the HTML month
    table and `simsales compare` head them ("gross revenue"); the month's
    revenue plan names what its p_plan is measured on (net revenue when
    the run has it, :func:`~simsales.report.tables.month_measure`).

    Args:
        result: the run.
        baseline: the baseline plan's display name.

    Returns:
        :func:`~simsales.analysis.compare.monthly_view`'s revenue column -> its header.
    """
    return {"gross_revenue_p10": "gross revenue P10", "gross_revenue_p50": "gross revenue P50",
            "gross_revenue_p90": "gross revenue P90",
            "gross_revenue_vs_baseline": f"gross revenue vs {baseline}, mean",
            "revenue_plan": f"revenue plan ({month_measure(result)})"}


def write_workbook(path: str | Path, result: RunResult, scenario: Scenario, comparison: Comparison,
                   source: str, verdict: Verdict, levers: LeverReport | None = None) -> Path:
    """Write the workbook atomically, the verdict on its first sheet.

    Args:
        path: the ``.xlsx`` file.
        result: the run.
        scenario: the scenario that made it.
        comparison: its plans against the baseline.
        source: the scenario file as the user named it.
        verdict: the run's verdict (:func:`simsales.analysis.verdict.verdict`).
        levers: the sales floor's levers run on the baseline plan: a last sheet,
            ``floor levers`` (:func:`~simsales.report.levers.lever_frame`; None: none).

    Returns:
        ``path``.
    """
    wb = Workbook()
    sheets = {name: (wb.active if i == 0 else wb.create_sheet()) for i, name in enumerate(SHEETS)}
    for name, ws in sheets.items():
        ws.title = name
    names = plan_labels(scenario, result.plans)
    verdict_sheet(sheets["verdict"], result, scenario, comparison, verdict, names)
    summary_sheet(sheets["summary"], result, scenario, comparison, source)
    comparison_sheet(sheets["comparison"], comparison, scenario.currency, names)

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(plan=[names.get(p, p) for p in frame["plan"]])

    revenue = month_revenue_columns(result, names[comparison.baseline])
    months = named(comparison.months).rename(columns=revenue)
    write_frame(sheets["monthly"], months, formats={
        **{c: COUNT for c in ("headcount", "ramped", "ramping", "onboarding", "hires_made",
                              "hires_deferred", "left", "fired", "promoted", "team_leads_left",
                              "vacancies_open")},
        **{c: MONEY for c in months.columns if "revenue" in c}, "p_plan": PERCENT})
    sheets["monthly"].freeze_panes = "C2"

    next_row = write_frame(sheets["funnel"], named(funnel_table(result)),
                           formats={"count": COUNT, "conversion": PERCENT})
    write_frame(sheets["funnel"], named(losses_table(result)),
                formats={"count": COUNT, "share_of_leads": PERCENT}, first_row=next_row)

    frames = [plan.metrics.reset_index().assign(plan=names[name]) for name, plan in result.plans.items()]
    reps = pd.concat(frames, ignore_index=True)
    reps = reps[["plan", "replication", *METRICS]]
    write_frame(sheets["replications"], reps, formats={
        m: "#,##0" if kind(m) == "count" else EXCEL_FORMATS[kind(m)] for m in METRICS})
    sheets["replications"].freeze_panes = "C2"
    if levers is not None:
        frame = lever_frame(levers)
        write_frame(wb.create_sheet("floor levers"), frame, formats={
            c: MONEY for c in frame.columns if c.startswith(("revenue_net_", "margin_"))})
    return atomic_write(path, lambda tmp: wb.save(tmp))
