"""`simsales compare` and `simsales report`: plans against a baseline, charts, HTML and Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from simsales.analysis.compare import Comparison, compare
from simsales.cli.run import EngineOpt, PlanOpt, RepsOpt, SeedOpt, WorkersOpt, simulate
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo.runner import RunResult
from simsales.report.files import clean, to_json
from simsales.report.units import fmt, percent, short_money
from simsales.scenario.loader import InputError
from simsales.scenario.schema import Scenario

# The same default as `simsales run`: change both together.
FileArg = Annotated[Path, typer.Argument(help="scenario YAML file")]
BaselineOpt = Annotated[str | None, typer.Option(
    "--baseline", help="plan the others are compared against (default: the first plan run)")]
ReportDirOpt = Annotated[Path | None, typer.Option(
    "--out", help="folder for report.html, report.xlsx and charts/ (default: reports/FILE-STEM)")]


def comparison_table(result: RunResult, comparison: Comparison, currency: str) -> Table:
    """Rows: key metrics; columns: plans; cells: P10 / P50 / P90 of plan - baseline, and P(better)."""
    diffs = comparison.differences
    plans = list(dict.fromkeys(diffs["plan"]))
    table = Table(title=f"Against {comparison.baseline}, paired over {result.replications} replications: "
                        f"P10 / P50 / P90 of the difference, P(better); money in {currency}")
    table.add_column("metric")
    for plan in plans:
        table.add_column(plan, justify="right")
    by = diffs.set_index(["plan", "metric"])
    for metric in dict.fromkeys(diffs["metric"]):
        cells = []
        for plan in plans:
            d = by.loc[(plan, metric)]
            spread = " / ".join(fmt(d[q], metric, signed=True) for q in ("p10", "p50", "p90"))
            cells.append(f"{spread}  {percent(d['p_better'])}")
        table.add_row(metric, *cells)
    return table


def monthly_table(comparison: Comparison, currency: str) -> Table:
    """Month by month per plan: team at the month's end, hires, gross revenue."""
    table = Table(title=f"Month by month: managers at month end and hires (means over replications); "
                        f"revenue: gross received in the month, P50, {currency}")
    for name in ("plan", "month", "managers (ramped)", "hired/deferred", "revenue",
                 f"vs {comparison.baseline}"):
        table.add_column(name, justify="left" if name in ("plan", "month") else "right", no_wrap=True)
    for r in comparison.months.itertuples():
        table.add_row(r.plan, r.month, f"{r.headcount:.1f} ({r.ramped:.1f})",
                      f"{r.hires_made:.1f} / {r.hires_deferred:.1f}", short_money(r.revenue_p50),
                      "-" if r.plan == comparison.baseline else fmt(r.revenue_vs_baseline, "revenue_gross",
                                                                    signed=True))
    return table


def comparison_document(result: RunResult, comparison: Comparison) -> dict:
    """The JSON of `simsales compare --format json`."""
    return clean({
        "scenario": result.scenario, "seed": result.seed, "replications": result.replications,
        "engine": result.engine, "baseline": comparison.baseline,
        "differences": comparison.differences.to_dict(orient="records"),
        "months": comparison.months.to_dict(orient="records"),
    })


def print_comparison(result: RunResult, scenario: Scenario, console: Console) -> None:
    """The paired-difference table that `simsales run` prints when several plans ran."""
    console.print(comparison_table(result, compare(result, scenario), scenario.currency))


def plans_with_baseline(scenario: Scenario, file: Path, plans: list[str] | None,
                        baseline: str | None) -> list[str] | None:
    """The plans to run (None: all): ``--plan``s, with the baseline first if it is not among them."""
    from simsales.cli import check_plans, fail

    plans = check_plans(scenario, file, plans)
    known = [p.name for p in scenario.plans]
    if baseline is not None and baseline not in known:
        raise fail(InputError(str(file), f"no plan named {baseline!r}; the file has "
                              f"{', '.join(known)}", field="--baseline"))
    if plans and baseline is not None and baseline not in plans:
        return [baseline, *plans]
    return plans


def check_out_dir(out_dir: Path | None) -> None:
    from simsales.cli import fail

    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise fail(f"--out: {out_dir} exists and is not a folder")


def write_report_files(result: RunResult, scenario: Scenario, file: Path, out_dir: Path | None,
                       console: Console, baseline: str | None = None, xlsx: bool = True) -> None:
    """Write the report into ``out_dir`` (default ``reports/FILE-STEM``) and say where."""
    from simsales.report.writer import write_report

    folder = out_dir if out_dir is not None else Path("reports") / file.stem
    files = write_report(result, scenario, folder, str(file), baseline=baseline, xlsx=xlsx)
    console.print(f"report: {files.html}", highlight=False)
    if files.xlsx is not None:
        console.print(f"workbook: {files.xlsx}", highlight=False)
    console.print(f"charts: {len(files.charts)} (PNG and SVG) in {files.charts[0].png.parent}",
                  highlight=False)


def register(app: typer.Typer) -> None:
    from simsales.cli import fail, load, out

    @app.command(name="compare")
    def compare_command(
        file: FileArg,
        plan: PlanOpt = None,
        baseline: BaselineOpt = None,
        replications: RepsOpt = None,
        seed: SeedOpt = None,
        format: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
        engine: EngineOpt = DEFAULT_ENGINE,
        workers: WorkersOpt = None,
    ) -> None:
        """Every plan against a baseline: paired differences and the month-by-month view."""
        scenario = load(file)
        plans = plans_with_baseline(scenario, file, plan, baseline)
        if len(plans or scenario.plans) < 2:
            raise fail(InputError(str(file), "compare needs at least two plans: give two --plan, "
                                  "or a --baseline", field="--plan"))
        result = simulate(scenario, plans, replications, seed, engine, workers, quiet=format == "json")
        comparison = compare(result, scenario, baseline)
        if format == "json":
            typer.echo(to_json(comparison_document(result, comparison)), nl=False)
            return
        out.print(comparison_table(result, comparison, scenario.currency))
        out.print(monthly_table(comparison, scenario.currency))

    @app.command()
    def report(
        file: FileArg,
        out_dir: ReportDirOpt = None,
        xlsx: Annotated[bool, typer.Option("--xlsx", help="also write report.xlsx")] = False,
        plan: PlanOpt = None,
        baseline: BaselineOpt = None,
        replications: RepsOpt = None,
        seed: SeedOpt = None,
        engine: EngineOpt = DEFAULT_ENGINE,
        workers: WorkersOpt = None,
    ) -> None:
        """Write a self-contained HTML report with charts (and an Excel workbook with --xlsx)."""
        scenario = load(file)
        plans = plans_with_baseline(scenario, file, plan, baseline)
        check_out_dir(out_dir)
        result = simulate(scenario, plans, replications, seed, engine, workers)
        write_report_files(result, scenario, file, out_dir, out, baseline=baseline, xlsx=xlsx)
