"""`simsales compare` and `simsales report`: plans against a baseline, charts, HTML and Excel.

`compare` leads with the verdict (:mod:`simsales.cli.headline`), then the
paired differences and the month-by-month view (with p_plan per month when
the revenue plan is month by month); ``--format json`` adds ``"verdict"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from simsales.analysis.compare import SHOWN_METRICS, Comparison, compare
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
    fail,
    load,
    out,
    simulate,
    write_report_files,
)
from simsales.cli.headline import plan_names, print_headline, run_verdict
from simsales.cli.levers import DEFAULT_REPLICATIONS, FLOOR_REPORT_LEVERS, sensitivity
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo import RunResult
from simsales.montecarlo.results import with_plan_months
from simsales.report.files import clean, to_json
from simsales.report.tables import month_measure
from simsales.report.units import count, fmt, money, percent
from simsales.scenario import Scenario
from simsales.scenario.loader import InputError
from simsales.scenario.messages import no_plan_named

BaselineOpt = Annotated[str | None, typer.Option(
    "--baseline", help="plan the others are compared against (default: the first plan run)")]
ReportDirOpt = Annotated[Path | None, typer.Option(
    "--out", help="folder for report.html, report.xlsx and charts/ (default: reports/FILE-STEM)")]


def monthly_table(comparison: Comparison, currency: str, measure: str = "net revenue",
                  labels: Mapping[str, str] | None = None) -> Table:
    """Month by month per plan: team at the month's end, hires, gross revenue.

    Args:
        comparison: the plans against the baseline.
        currency: the scenario's currency.
        measure: what p_plan is measured on, in words
            (:func:`simsales.report.tables.month_measure`): said in the title,
            as a month's gross P50 above its plan may go with a p_plan below 50%.
        labels: plan name -> the name to print, as the verdict does
            (:func:`simsales.cli.headline.plan_names`; None: the names).

    Returns:
        One row per (plan, month): managers (ramped), hires made / deferred
        (means over replications), gross revenue received in the month (P50)
        and its mean paired difference against the baseline; with a
        month-by-month revenue plan, the month's target and p_plan (the
        chance of reaching it).
    """
    with_plan = "p_plan" in comparison.months
    shown = dict(labels or {})
    net = " (gross less refunds)" if measure == "net revenue" else ""
    on = f"; p_plan: the chance the month's {measure}{net} reaches its plan" if with_plan else ""
    table = Table(title=Text(f"Month by month: managers at month end and hires (means over replications, "
                             f"whole from 10 up); "
                             f"revenue: gross received in the month, P50, {currency}{on}",
                             style="table.title"))
    for name in ("plan", "month", "managers (ramped)", "hired/deferred", "gross revenue",
                 f"vs {shown.get(comparison.baseline, comparison.baseline)}",
                 *(("revenue plan", "p_plan") if with_plan else ())):
        table.add_column(Text(name), justify="left" if name in ("plan", "month") else "right", no_wrap=True)
    for r in comparison.months.itertuples():
        plan_cells = (("-", "-") if math.isnan(r.revenue_plan) else (money(r.revenue_plan), percent(r.p_plan))
                      ) if with_plan else ()
        table.add_row(Text(shown.get(r.plan, r.plan)), r.month, f"{count(r.headcount)} ({count(r.ramped)})",
                      f"{count(r.hires_made)} / {count(r.hires_deferred)}", money(r.gross_revenue_p50),
                      "-" if r.plan == comparison.baseline
                      else fmt(r.gross_revenue_vs_baseline, "revenue_gross", signed=True), *plan_cells)
    return table


def comparison_document(result: RunResult, comparison: Comparison) -> dict:
    """The JSON of `simsales compare --format json`.

    Args:
        result: the run.
        comparison: its plans against the baseline.

    Returns:
        ``{"scenario", "seed", "replications", "engine", "baseline",
        "differences", "months"}``, the last two one record per row.
    """
    return clean({
        "scenario": result.scenario, "seed": result.seed, "replications": result.replications,
        "engine": result.engine, "baseline": comparison.baseline,
        "differences": comparison.differences.to_dict(orient="records"),
        "months": comparison.months.to_dict(orient="records"),
    })


def plans_with_baseline(scenario: Scenario, file: Path, plans: list[str] | None,
                        baseline: str | None) -> list[str] | None:
    """The plans to run: the ``--plan``s, with the baseline first if it is not among them.

    Args:
        scenario: the scenario.
        file: its file, for errors.
        plans: the ``--plan`` names (None: all).
        baseline: the ``--baseline`` name (None: the first plan run).

    Returns:
        The plan names, or None for all.

    Raises:
        typer.Exit: an unknown plan or baseline (status 2).
    """
    plans = check_plans(scenario, file, plans)
    known = [p.name for p in scenario.plans]
    if baseline is not None and baseline not in known:
        raise fail(InputError(str(file), no_plan_named(baseline, known), field="--baseline"))
    if plans and baseline is not None and baseline not in plans:
        return [baseline, *plans]
    return plans


def compare_command(
    file: FileArg,
    plan: PlanOpt = None,
    baseline: BaselineOpt = None,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    format: FormatOpt = "table",
    engine: EngineOpt = DEFAULT_ENGINE,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    pipeline: PipelineOpt = None,
    preset: PipelinePresetOpt = None,
    mapping: PipelineMappingOpt = None,
) -> None:
    """Every plan against a baseline: paired differences and the month-by-month view.

    Args:
        file: the scenario YAML file.
        plan: the plans to run (None: all).
        baseline: the plan the others are compared against (None: the first run).
        replications: override the scenario's.
        seed: override the scenario's.
        format: ``table`` or ``json``.
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores).
        executor: ``local`` (this machine's processes) or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).
        pipeline: start from the leads and deals open at ``start`` in this
            CRM export instead of the warm-up (``--preset``, ``--mapping``: its reader's).
        preset: the CRM product of ``pipeline``'s export.
        mapping: a mapping file for ``pipeline``'s export.

    Raises:
        typer.Exit: bad input, or fewer than two plans (status 2).
    """
    scenario = load(file, pipeline, preset, mapping)
    plans = plans_with_baseline(scenario, file, plan, baseline)
    if len(plans or scenario.plans) < 2:
        raise fail(InputError(str(file), "compare needs at least two plans: give two --plan, "
                              "or a --baseline", field="--plan"))
    result = with_plan_months(
        simulate(scenario, plans, replications, seed, engine, workers, quiet=format == "json",
                 executor=executor, scheduler=scheduler), scenario)
    comparison = compare(result, scenario, baseline, metrics=SHOWN_METRICS)
    the_verdict = run_verdict(result, scenario, comparison)
    if format == "json":
        document = {**comparison_document(result, comparison), "verdict": the_verdict.to_json()}
        typer.echo(to_json(clean(document)), nl=False)
        return
    names = plan_names(scenario, result)  # one name per plan throughout: the verdict's
    print_headline(out, the_verdict, result, names)
    out.print(comparison_table(result, comparison, scenario.currency, names))
    out.print(monthly_table(comparison, scenario.currency, month_measure(result), names))


def report_command(
    file: FileArg,
    out_dir: ReportDirOpt = None,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="also write report.xlsx")] = False,
    plan: PlanOpt = None,
    baseline: BaselineOpt = None,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    engine: EngineOpt = DEFAULT_ENGINE,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
    pipeline: PipelineOpt = None,
    preset: PipelinePresetOpt = None,
    mapping: PipelineMappingOpt = None,
    floor_levers: Annotated[bool, typer.Option(
        "--floor-levers/--no-floor-levers",
        help="also run the floor's levers (an evening shift, the cap on new leads a day) on the baseline "
             f"plan, paired, with at most {DEFAULT_REPLICATIONS} replications, and show what each "
             "would change")] = True,
) -> None:
    """Write a self-contained HTML report with charts (and an Excel workbook with --xlsx).

    Args:
        file: the scenario YAML file.
        out_dir: the report's folder (None: ``reports/FILE-STEM``).
        xlsx: also write report.xlsx.
        plan: the plans to run (None: all).
        baseline: the plan the others are compared against (None: the first run).
        replications: override the scenario's.
        seed: override the scenario's.
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores).
        executor: ``local`` (this machine's processes) or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).
        pipeline: start from the leads and deals open at ``start`` in this
            CRM export instead of the warm-up (``--preset``, ``--mapping``: its reader's).
        preset: the CRM product of ``pipeline``'s export.
        mapping: a mapping file for ``pipeline``'s export.
        floor_levers: also run :data:`~simsales.cli.levers.FLOOR_REPORT_LEVERS`
            on the baseline plan (10% step, the report's seed, at most
            DEFAULT_REPLICATIONS replications) for the report's section on them.

    Raises:
        typer.Exit: bad input (status 2).
    """
    scenario = load(file, pipeline, preset, mapping)
    plans = plans_with_baseline(scenario, file, plan, baseline)
    check_out_dir(out_dir)
    nudged = baseline or (plans[0] if plans else scenario.plans[0].name)
    lever_reps = min(replications or scenario.replications, DEFAULT_REPLICATIONS)
    result = with_plan_months(simulate(
        scenario, plans, replications, seed, engine, workers, executor=executor, scheduler=scheduler,
        levers=(nudged, 1 + 2 * len(FLOOR_REPORT_LEVERS), lever_reps) if floor_levers else None), scenario)
    levers = None
    if floor_levers:
        levers = sensitivity(scenario, nudged, 0.1, lever_reps, result.seed, engine, workers,
                             list(FLOOR_REPORT_LEVERS), "revenue_net", executor, scheduler, said=True)
    write_report_files(result, scenario, file, out_dir, out, baseline=baseline, xlsx=xlsx, levers=levers,
                       headline=True)


def register(app: typer.Typer) -> None:
    """Add `simsales compare` and `simsales report` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="compare", help=command_help(compare_command))(compare_command)
    app.command(name="report", help=command_help(report_command))(report_command)
