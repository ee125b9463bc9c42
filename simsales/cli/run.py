"""`simsales run`: the verdict first, then every plan side by side, with P10/P50/P90 and p_plan.

The first lines are the verdict (:mod:`simsales.cli.headline`): which plan
wins, how sure, the bottleneck, and a capacity warning when the touch
chains are cut for lack of time.  Then the plans side by side (with the
losses as shares of leads, and p_plan per month with a monthly revenue
plan); with several plans the paired comparison against the first, and
with a ``benchmarks:`` block the stages below market.  ``--format json``
is the summary document with a ``"verdict"`` key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from simsales.analysis.compare import SHOWN_METRICS, compare
from simsales.analysis.market_gaps import Gap, benchmark_gaps, variant_runs
from simsales.cli.common import (
    EngineOpt,
    ExecutorOpt,
    FileArg,
    FormatOpt,
    PipelineMappingOpt,
    PipelineOpt,
    PipelinePresetOpt,
    PlanOpt,
    RepsOpt,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    check_out_dir,
    check_plans,
    command_help,
    comparison_table,
    err,
    load,
    out,
    simulate,
    write_report_files,
)
from simsales.cli.console import fail as err_exit
from simsales.cli.console import note
from simsales.cli.headline import (
    LOSSES,
    horizon_days_by_month,
    loss_cell,
    month_plan_table,
    plan_names,
    print_headline,
    run_verdict,
)
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo import RunResult
from simsales.montecarlo.results import with_plan_months
from simsales.report.files import clean, summary_document, to_json, write_run
from simsales.report.units import counted, fmt, money


def summary_table(result: RunResult, currency: str, labels: Mapping[str, str] | None = None) -> Table:
    """Every plan side by side.

    Args:
        result: the run.
        currency: the scenario's currency.
        labels: plan name -> the name its column is headed with, as the verdict names it
            (:func:`~simsales.cli.headline.plan_names`; None: the names).

    Returns:
        Rows: key metrics, the losses (chains cut, never attempted) with
        their share of leads, and p_plan (the chance of making the revenue
        plan, when the scenario has one; with a monthly plan that leaves
        months out, on the targeted months' net revenue, named); a column
        per plan: P50 over its P10 - P90 range, in the metric's unit.
    """
    summary = result.summary()
    table = Table(title=Text(f"{result.scenario}: {counted(result.replications, 'replication')}, "
                             f"seed {result.seed}, engine {result.engine}", style="table.title"),
                  caption=Text(f"P50, with P10 - P90 below; money in {currency}", style="table.caption"))
    table.add_column("metric")
    for plan in summary:
        table.add_column(Text((labels or {}).get(plan, plan)), justify="right")
    for metric in SHOWN_METRICS:
        if metric in LOSSES:
            table.add_row(f"{metric}: {LOSSES[metric]}, share of leads",
                          *[loss_cell(result, plan, metric) for plan in summary])
            continue
        cells = []
        for plan in summary.values():
            s = plan[metric]
            cells.append(f"[bold]{fmt(s['p50'], metric)}[/]\n[dim]{fmt(s['p10'], metric)} - "
                         f"{fmt(s['p90'], metric)}[/]")
        table.add_row(metric, *cells)
    target = result.revenue_target
    if target.is_set:
        over = "" if target.whole_horizon else f" {target.period()}"
        plan = fmt(target.total, "revenue_net")
        table.add_row(Text(f"p_plan: chance net revenue{over} >= revenue plan {plan}"),
                      *["-" if p["p_plan"] is None else f"[bold]{100 * p['p_plan']:.0f}%[/]"
                        for p in summary.values()])
    return table


def benchmark_text(stage: str, value: float) -> str:
    """A benchmark's value in its unit.

    Args:
        stage: the benchmark (a field of the scenario's ``benchmarks:`` block).
        value: the market's or the scenario's value.

    Returns:
        Minutes for the SLA, money (scenario's currency) for revenue per
        manager, else a percentage.
    """
    if stage == "sla_p50_min":
        return fmt(value, stage)
    if stage == "revenue_per_manager":
        return money(value)
    return f"{100 * value:.1f}%"


def gap_table(gaps: list[Gap], currency: str = "RUB", labels: Mapping[str, str] | None = None) -> Table:
    """The stages below market, ranked, with the net revenue gained per plan; notes below.

    Args:
        gaps: from :func:`~simsales.analysis.market_gaps.benchmark_gaps`.
        currency: the scenario's currency.
        labels: plan name -> the name its column is headed with (None: the names).

    Returns:
        One row per gap; per plan our value and the gain's mean with P10 .. P90.
    """
    plans = list(gaps[0].ours) if gaps else []
    table = Table(title=Text(f"Below market: net revenue gained by bringing each stage alone to market "
                             f"({currency}, mean with P10 .. P90 below; gains are not additive)",
                             style="table.title"))
    table.add_column("#", justify="right")
    table.add_column("stage", no_wrap=True)
    table.add_column("market", justify="right")
    for plan in plans:
        table.add_column(Text((labels or {}).get(plan, plan)), justify="right")
    notes = []
    for rank, g in enumerate(gaps, 1):
        cells = []
        for plan in plans:
            e = g.gains.get(plan)
            gain = ("at market" if not g.below(plan) else "-" if e is None
                    else f"[bold]{money(e.mean, signed=True)}[/]\n"
                         f"[dim]{money(e.p10, signed=True)} .. {money(e.p90, signed=True)}[/]")
            cells.append(f"ours {benchmark_text(g.stage, g.ours[plan])}\n{gain}")
        notes.append(f"{g.stage}: {g.method}" + (f", {g.note}" if g.note else ""))
        table.add_row(str(rank), Text(g.stage), benchmark_text(g.stage, g.market), *cells)
    table.caption = (Text("; ".join(notes), style="table.caption") if gaps
                     else "At or above market on every benchmark.")
    return table


def run_command(
    file: FileArg,
    plan: PlanOpt = None,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="write per-replication "
                                                 "results and summary.json here")] = None,
    format: FormatOpt = "table",
    engine: EngineOpt = DEFAULT_ENGINE,
    workers: WorkersOpt = None,
    report: Annotated[bool, typer.Option("--report", help="also write the HTML report, workbook "
                                         "and charts (into --out, else reports/FILE-STEM)")] = False,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    events: Annotated[Path | None, typer.Option(
        "--events", metavar="DIR", help="instead of the run, write one replication's simulated CRM "
        "(leads, stages, calls, staff, payments, shifts) into DIR; played by the reference engine")] = None,
    replication: Annotated[int, typer.Option(
        "--replication", min=0, help="with --events: the replication to write (0-based)")] = 0,
    pipeline: PipelineOpt = None,
    preset: PipelinePresetOpt = None,
    mapping: PipelineMappingOpt = None,
) -> None:
    """Run the scenario: every plan side by side.

    Args:
        file: the scenario YAML file.
        plan: the plans to run (None: all).
        replications: override the scenario's.
        seed: override the scenario's.
        out_dir: write per-replication results and summary.json here.
        format: ``table`` (for people) or ``json`` (the summary document on stdout).
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores).
        report: also write the HTML report, workbook and charts.
        executor: ``local`` (this machine's processes) or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).
        events: write replication ``replication`` of one plan as a CRM export
            into this folder instead of running (:mod:`simsales.cli.run_events`).
        replication: the replication ``--events`` writes.
        pipeline: start from the leads and deals open at ``start`` in this
            CRM export (:mod:`simsales.world.pipeline`) instead of the warm-up.
        preset: the CRM product of ``pipeline``'s export.
        mapping: a mapping file for ``pipeline``'s export.

    Raises:
        typer.Exit: bad input (status 2).
    """
    scenario = load(file, pipeline, preset, mapping)
    plans = check_plans(scenario, file, plan)
    if events is not None and scenario.pipeline is not None:
        raise err_exit("--events with a pipeline: the simulated CRM is written from a warm or cold start "
                       "only; leave out --pipeline (or the file's pipeline:)")
    if events is not None:
        from simsales.cli.run_events import write_events  # only when asked: the reference engine

        write_events(scenario, file, plans, events, replication, seed, format)
        return
    check_out_dir(out_dir)
    result = with_plan_months(
        simulate(scenario, plans, replications, seed, engine, workers, quiet=format == "json",
                 executor=executor, scheduler=scheduler,
                 variants=variant_runs(scenario) if format == "table" else 0), scenario)
    if out_dir is not None:
        warn_stale(out_dir, write_run(result, out_dir), list(result.plans))
    comparison = compare(result, scenario, metrics=SHOWN_METRICS) if len(result.plans) > 1 else None
    the_verdict = run_verdict(result, scenario, comparison)
    if format == "json":
        document = clean({**summary_document(result), "verdict": the_verdict.to_json()})
        typer.echo(to_json(document) if document else json.dumps({}))
    else:
        names = plan_names(scenario, result)  # one name per plan throughout: the verdict's
        print_headline(out, the_verdict, result, names)
        out.print(summary_table(result, scenario.currency, names))
        months = month_plan_table(result, scenario.currency,
                                  horizon_days_by_month(scenario.start, scenario.horizon_days), names)
        if months is not None:
            out.print(months)
        if comparison is not None:
            out.print(comparison_table(result, comparison, scenario.currency, names))
        if scenario.benchmarks is not None:
            gaps = benchmark_gaps(scenario, result, lambda sc, reps: simulate(
                sc, plans, reps, seed, engine, workers, executor=executor, scheduler=scheduler,
                variant_of="qualify at market (the market-gap table)"))
            out.print(gap_table(gaps, scenario.currency, names))
    if report:
        write_report_files(result, scenario, file, out_dir, out if format == "table" else err)


def warn_stale(out_dir: Path, written: list[Path], plans: list[str]) -> None:
    """Warn about replication files in ``out_dir`` that this run did not write (an earlier run's).

    Args:
        out_dir: the run's ``--out``.
        written: the files this run wrote there.
        plans: this run's plans.
    """
    names = {Path(p).name for p in written}
    stale = sorted({p.stem.removeprefix("replications_") for p in Path(out_dir).glob("replications_*")
                    if p.suffix in (".csv", ".parquet") and p.name not in names})
    if stale:
        note(f"{out_dir} also holds the replication files of {', '.join(stale)}, left by an earlier run: "
             f"this run's files and summary.json are for {', '.join(plans)}", kind="warning")


def register(app: typer.Typer) -> None:
    """Add `simsales run` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="run", help=command_help(run_command))(run_command)
