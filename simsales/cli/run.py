"""`simsales run`: every plan side by side, with P10/P50/P90 and p_plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simsales import montecarlo
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo.metrics import KEY_METRICS
from simsales.montecarlo.runner import RunResult
from simsales.report.files import clean, summary_document, to_json, write_run
from simsales.report.units import fmt
from simsales.scenario.schema import Scenario

PlanOpt = Annotated[list[str] | None, typer.Option("--plan", help="plan to run (repeat; default: all)")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1,
                                              help="replications (default: the scenario's)")]
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="seed (default: the scenario's)")]
EngineOpt = Annotated[Literal["fast", "des"], typer.Option("--engine", help="engine to run")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="worker processes (default: all cores)")]


def simulate(scenario: Scenario, plans: list[str] | None, replications: int | None,
             seed: int | None, engine: str, workers: int | None, quiet: bool = False) -> RunResult:
    """Run with a progress bar on stderr (hidden when ``quiet`` or not a terminal)."""
    from simsales.cli import err

    n_plans = len(plans) if plans else len(scenario.plans)
    reps = replications or scenario.replications
    workers = workers or montecarlo.default_workers()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"{engine}: {n_plans} plans x {reps} replications", total=reps)
        return montecarlo.run(scenario, plans, replications, seed, engine=engine,
                              workers=workers if reps > 1 else 1,
                              progress=lambda k: bar.advance(task, k))


def summary_table(result: RunResult, currency: str) -> Table:
    """Rows: key metrics; a column per plan: P50 over its P10 - P90 range."""
    summary = result.summary()
    table = Table(title=f"{result.scenario}: {result.replications} replications, seed {result.seed}, "
                        f"engine {result.engine}", caption=f"P50, with P10 - P90 below; money in {currency}")
    table.add_column("metric")
    for plan in summary:
        table.add_column(plan, justify="right")
    for metric in KEY_METRICS:
        cells = []
        for plan in summary.values():
            s = plan[metric]
            cells.append(f"[bold]{fmt(s['p50'], metric)}[/]\n[dim]{fmt(s['p10'], metric)} - "
                         f"{fmt(s['p90'], metric)}[/]")
        table.add_row(metric, *cells)
    if result.revenue_plan > 0:
        table.add_row(f"p_plan (net >= {fmt(result.revenue_plan, 'revenue_net')})",
                      *[f"[bold]{100 * p['p_plan']:.0f}%[/]" for p in summary.values()])
    return table


def register(app: typer.Typer) -> None:
    from simsales.cli import check_plans, fail, load, out

    @app.command()
    def run(
        file: Annotated[Path, typer.Argument(help="scenario YAML file")],
        plan: PlanOpt = None,
        replications: RepsOpt = None,
        seed: SeedOpt = None,
        out_dir: Annotated[Path | None, typer.Option("--out", help="write per-replication "
                                                     "results and summary.json here")] = None,
        format: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
        engine: EngineOpt = DEFAULT_ENGINE,
        workers: WorkersOpt = None,
        report: Annotated[bool, typer.Option("--report", help="also write the HTML report, workbook "
                                             "and charts (into --out, else reports/FILE-STEM)")] = False,
    ) -> None:
        """Run the scenario: every plan side by side."""
        scenario = load(file)
        plans = check_plans(scenario, file, plan)
        if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
            raise fail(f"--out: {out_dir} exists and is not a folder")
        result = simulate(scenario, plans, replications, seed, engine, workers,
                          quiet=format == "json")
        if out_dir is not None:
            write_run(result, out_dir)
        if format == "json":
            document = clean(summary_document(result))
            typer.echo(to_json(document) if document else json.dumps({}))
        else:
            out.print(summary_table(result, scenario.currency))
            if len(result.plans) > 1:
                from simsales.cli.report import print_comparison

                print_comparison(result, scenario, out)
            if scenario.benchmarks is not None:
                from simsales.analysis.market_gaps import benchmark_gaps, gap_table

                gaps = benchmark_gaps(scenario, result, lambda sc: simulate(
                    sc, plans, replications, seed, engine, workers))
                out.print(gap_table(gaps, scenario.currency))
        if report:
            from simsales.cli import err
            from simsales.cli.report import write_report_files

            write_report_files(result, scenario, file, out_dir, out if format == "table" else err)
