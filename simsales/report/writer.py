"""Write a whole report: charts, the HTML page and, on request, the workbook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simsales.analysis.compare import compare
from simsales.analysis.levers import LeverReport
from simsales.analysis.verdict import Verdict, verdict
from simsales.montecarlo import RunResult
from simsales.montecarlo.results import with_plan_months
from simsales.report.files import atomic_write_text, together
from simsales.report.html import render
from simsales.report.plots import Chart, write_charts
from simsales.report.units import money, plan_labels
from simsales.report.xlsx import write_workbook
from simsales.scenario import Scenario


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote, and the verdict that leads the page."""

    html: Path
    charts: list[Chart]
    xlsx: Path | None
    verdict: Verdict


def write_report(result: RunResult, scenario: Scenario, out_dir: str | Path, source: str,
                 baseline: str | None = None, xlsx: bool = False,
                 levers: LeverReport | None = None) -> ReportFiles:
    """``report.html`` and ``charts/*.png|svg`` in ``out_dir`` (and ``report.xlsx`` with ``xlsx``).

    The verdict (:func:`simsales.analysis.verdict.verdict`, money written
    short) leads the page and the workbook; with a month-by-month revenue
    plan, both show ``p_plan`` per month.

    Args:
        result: the run; its plans are compared against ``baseline`` (default: the first).
        scenario: the scenario that made it (dates, currency, assumptions, plan labels).
        out_dir: the folder to write into (created if missing).
        source: the scenario file as the user named it, for the reproduce line.
        baseline: the plan the others are compared against (None: the first run).
        xlsx: also write the workbook.
        levers: the sales floor's levers run on the baseline plan, shown in
            their own section (None: no such section).

    Returns:
        The files written: all of them, or none when interrupted
        (:func:`~simsales.report.files.together`).
    """
    out_dir = Path(out_dir)
    result = with_plan_months(result, scenario)  # the scenario's revenue plan and months, as it gives them
    comparison = compare(result, scenario, baseline)
    decision = verdict(result, scenario, comparison, money=money, labels=plan_labels(scenario, result.plans))
    with together():  # all or none: never this run's charts beside an earlier report's page
        charts = write_charts(result, scenario, out_dir / "charts", comparison.baseline)
        page = atomic_write_text(out_dir / "report.html",
                                 render(result, scenario, comparison, charts, source, decision, levers))
        book = write_workbook(out_dir / "report.xlsx", result, scenario, comparison, source, decision,
                              levers) if xlsx else None
    return ReportFiles(page, charts, book, decision)
