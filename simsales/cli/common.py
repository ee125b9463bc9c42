"""What the commands share: consoles, user errors, loading, options, running, shared tables.

Every command module imports from here (never from :mod:`simsales.cli`,
which only wires the app).  Bad input goes through :func:`fail`: an
``error:`` line on stderr and exit status 2, no traceback; user text in a
message goes through :func:`literal` (both from :mod:`simsales.cli.console`).
Running replications (the estimate, the engine, the executor) is
:func:`simulate`, from :mod:`simsales.cli.execution`; a command that writes
files checks its folder first (:func:`check_out_dir`).  A command's help is
the first paragraph of its function's docstring (:func:`command_help`);
the rest documents the code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from simsales.analysis.compare import Comparison
from simsales.analysis.levers import LeverReport
from simsales.cli.console import err, fail, literal, note, out
from simsales.cli.execution import EXECUTORS, simulate
from simsales.cli.headline import print_headline
from simsales.engines import ENGINE_NAMES
from simsales.montecarlo import RunResult
from simsales.report.files import REPORT_BYTES, write_problem
from simsales.report.units import counted, fmt, percent
from simsales.scenario import PipelineSource, Scenario
from simsales.scenario.limits import MAX_REPLICATIONS
from simsales.scenario.loader import InputError, load_scenario
from simsales.scenario.messages import no_plan_named
from simsales.world.warmup import MAX_WARMUP_DAYS, warmup_short_of

__all__ = ["EngineName", "EngineOpt", "ExecutorOpt", "FileArg", "FormatOpt", "PlanOpt", "RepsOpt",
           "SchedulerOpt", "SeedOpt", "WorkersOpt", "check_out_dir", "check_plans", "command_help",
           "comparison_table", "err", "export_notes", "fail", "literal", "load", "note", "out",
           "report_folder", "simulate", "write_report_files"]

EngineName = Literal[ENGINE_NAMES]  # type: ignore[valid-type]  # the engines' names, from their table

_WARN = ("no lead of the export", "left out", "no owner the run can keep")
"""What makes a line of a pipeline's notes a warning: rows not used, owners not kept, an empty pipeline."""

FileArg = Annotated[Path, typer.Argument(help="scenario YAML file")]
PlanOpt = Annotated[list[str] | None, typer.Option("--plan", help="plan to run (repeat; default: all)")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1, max=int(MAX_REPLICATIONS.value),
                                              help="replications (default: the scenario's)")]
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="seed (default: the scenario's)")]
EngineOpt = Annotated[EngineName, typer.Option("--engine", help="engine to run")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="worker processes (default: all cores)")]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format")]
ExecutorName = Literal[EXECUTORS]  # type: ignore[valid-type]  # execution.EXECUTORS
ExecutorOpt = Annotated[ExecutorName, typer.Option(
    "--executor", help="where replications run: local (this machine's processes) or dask (a Dask "
    "cluster: --scheduler, else one on this machine with --workers workers); same numbers")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
    "(with --executor dask; default: a local cluster)")]


PipelineOpt = Annotated[Path | None, typer.Option(
    "--pipeline", metavar="DIR", help="start from the leads and deals open at the scenario's start in this "
    "CRM export, instead of the warm-up")]
PipelinePresetOpt = Annotated[str | None, typer.Option(
    "--preset", help="with --pipeline: the CRM product of the export (amocrm, kommo, bitrix24, hubspot)")]
PipelineMappingOpt = Annotated[Path | None, typer.Option(
    "--mapping", help="with --pipeline: a mapping file (column renames, value maps, time zone)")]


def command_help(command: Callable[..., None]) -> str:
    """The help text of a command: the first paragraph of its docstring.

    Args:
        command: a command function.

    Returns:
        The paragraph (the Args section below it is for readers of the code).
    """
    return (inspect.getdoc(command) or "").split("\n\n")[0]


def export_notes(lines: Iterable[str]) -> None:
    """Print what a CRM export's reader (and its open pipeline) assumed or could not use, on stderr.

    `run` and `compare` with a pipeline, `calibrate` and `backtest` all say them this way.

    Args:
        lines: the notes (:attr:`simsales.crm.export.Export.notes`, or an open pipeline's):
            rows left out, owners not kept and an empty pipeline are warnings, the rest notes.
    """
    for line in lines:
        note(line, "warning" if any(w in line for w in _WARN) else "note")


def load(file: Path, pipeline: Path | None = None, preset: str | None = None,
         mapping: Path | None = None) -> Scenario:
    """Load a scenario, or fail with exit status 2; read its open pipeline, if it has one.

    Args:
        file: the scenario YAML file.
        pipeline: ``--pipeline DIR``: start from the export's open pipeline
            (overrides the file's ``pipeline:``; None: the file's, if any).
        preset: ``--preset``, with ``--pipeline``.
        mapping: ``--mapping``, with ``--pipeline``.

    Returns:
        The validated scenario (with the pipeline source the run starts from).

    Raises:
        typer.Exit: the file is missing or invalid, or the pipeline's export
            cannot be read (the error is printed).
    """
    try:
        scenario = load_scenario(file)
    except InputError as exc:
        raise fail(exc) from None
    if pipeline is None:
        if preset is not None or mapping is not None:
            raise fail("--preset and --mapping go with --pipeline DIR (the export to start from)")
    else:
        warmup = scenario.warmup_days
        if isinstance(warmup, int) and warmup > 0:
            raise fail(InputError(str(file), f"--pipeline and warmup_days: {warmup} are two ways to start a "
                                  f"department already in work; choose one: remove warmup_days from the "
                                  f"file, or leave out --pipeline", field="warmup_days"))
        try:
            source = PipelineSource(dir=str(pipeline.resolve()), preset=preset,
                                    mapping=None if mapping is None else str(mapping.resolve()))
        except ValueError:
            raise fail(f"--preset {preset}: expected amocrm, kommo, bitrix24 or hubspot") from None
        scenario = scenario.model_copy(update={"pipeline": source})
    if scenario.pipeline is None:
        _warn_short_warmup(scenario)
    if scenario.pipeline is not None:
        from simsales.crm.errors import CrmError  # the CRM reader, only for a pipeline
        from simsales.world.pipeline import opened

        try:
            open_leads = opened(scenario)  # read once here: forked workers inherit it
        except CrmError as exc:
            raise fail(InputError(str(file), f"the export cannot give the open pipeline: {exc}",
                                  field="--pipeline" if pipeline is not None else "pipeline")) from None
        from simsales.world.owners import unmatched

        export_notes(open_leads.notes)  # the reader's, then the pipeline's
        for line in unmatched(scenario, open_leads):
            note(line, "warning")
        known = {c.name for c in scenario.channels}
        unknown = sorted(set(open_leads.channel.tolist()) - known)
        if unknown:  # the model gives them the first channel's rates: say so
            count = int(np.isin(open_leads.channel, unknown).sum())
            come, they = ("comes", "it takes") if count == 1 else ("come", "they take")
            note(f"{counted(count, 'open lead')} {come} from channels the scenario does not have "
                 f"({', '.join(unknown)}): {they} the first channel's rates ({scenario.channels[0].name}); "
                 f"add the channels to the scenario, or rename them in a mapping file", "warning")
    return scenario


def check_plans(scenario: Scenario, file: Path, plans: list[str] | None) -> list[str] | None:
    """Check the ``--plan`` names against the scenario.

    Args:
        scenario: the scenario.
        file: its file, for the error.
        plans: the names given (None or empty: all plans).

    Returns:
        The names, or None for all plans.

    Raises:
        typer.Exit: a name is not a plan of the scenario (the error is printed).
    """
    known = [p.name for p in scenario.plans]
    for name in plans or []:
        if name not in known:
            raise fail(InputError(str(file), no_plan_named(name, known), field="--plan"))
    return plans or None


def check_out_dir(out_dir: Path | None, need_bytes: int = REPORT_BYTES, option: str = "--out") -> None:
    """Refuse, before anything runs, a folder that cannot take the files a command will write.

    The folder need not exist yet (it is created when the first file is
    written); it must not be a file, a file must be creatable in it (or in
    its nearest existing parent), and its disk must have room for about
    ``need_bytes`` (:func:`simsales.report.files.write_problem`).

    Args:
        out_dir: the folder given, or None (nothing to check).
        need_bytes: an estimate of what will be written, bytes (default: a
            report's; :func:`simsales.report.files.run_files_bytes` for a run's files).
        option: the option that named the folder, for the error.

    Raises:
        typer.Exit: the folder cannot be written or is short of space (status 2; the error is printed).
    """
    if out_dir is None:
        return
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise fail(f"{option}: {out_dir} exists and is not a folder")
        problem = write_problem(out_dir, need_bytes)
    except OSError as exc:  # a name too long, a path through a file, ...
        raise fail(f"{option} {out_dir}: cannot be used as a folder: {exc.strerror or exc}") from None
    if problem is not None:
        raise fail(f"{option} {out_dir}: {problem}")


def report_folder(file: Path, out_dir: Path | None) -> Path:
    """Where a report goes.

    Args:
        file: the scenario file as the user named it.
        out_dir: the folder given (``--out``), or None.

    Returns:
        ``out_dir``, else ``reports/FILE-STEM``.
    """
    return out_dir if out_dir is not None else Path("reports") / file.stem


def comparison_table(result: RunResult, comparison: Comparison, currency: str,
                     labels: Mapping[str, str] | None = None) -> Table:
    """The paired differences against the baseline plan (`simsales compare`, and `run` with plans).

    Args:
        result: the run.
        comparison: its plans against the baseline.
        currency: the scenario's currency.
        labels: plan name -> the name to print, as the verdict does
            (:func:`simsales.cli.headline.plan_names`; None: the names).

    Returns:
        Rows: key metrics; columns: plans; cells: P10 / P50 / P90 of plan -
        baseline in the metric's unit, and P(better).
    """
    diffs = comparison.differences
    plans = list(dict.fromkeys(diffs["plan"]))
    name = dict(labels or {})
    table = Table(title=f"Against {literal(name.get(comparison.baseline, comparison.baseline))}, paired over "
                        f"{counted(result.replications, 'replication')}: P10 / P50 / P90 of the difference, "
                        f"P(better); money in {literal(currency)}")
    table.add_column("metric")
    for plan in plans:
        table.add_column(literal(name.get(plan, plan)), justify="right")
    by = diffs.set_index(["plan", "metric"])
    for metric in dict.fromkeys(diffs["metric"]):
        cells = []
        for plan in plans:
            d = by.loc[(plan, metric)]
            spread = " / ".join(fmt(d[q], metric, signed=True) for q in ("p10", "p50", "p90"))
            cells.append(f"{spread}  {percent(d['p_better'])}")
        table.add_row(metric, *cells)
    return table


def write_report_files(result: RunResult, scenario: Scenario, file: Path, out_dir: Path | None,
                       console: Console, baseline: str | None = None, xlsx: bool = True,
                       levers: LeverReport | None = None, headline: bool = False) -> None:
    """Write the report (`simsales report`, and `run --report`) and say where.

    Args:
        result: the run.
        scenario: the scenario that made it.
        file: the scenario file as the user named it.
        out_dir: the folder (None: ``reports/FILE-STEM``).
        console: where to say what was written.
        baseline: the plan the others are compared against (None: the first run).
        xlsx: also write the workbook.
        levers: the sales floor's levers run on the baseline plan (None: no such section).
        headline: first print the page's verdict (and the capacity warning), the answer
            (`simsales report`; `run --report` has printed its own).
    """
    # Imported here: matplotlib and openpyxl load only when a report is asked for.
    from simsales.report.writer import write_report

    folder = report_folder(file, out_dir)
    files = write_report(result, scenario, folder, str(file), baseline=baseline, xlsx=xlsx, levers=levers)
    if headline:
        print_headline(console, files.verdict, result)
    console.print(f"report: {literal(files.html)}", highlight=False)
    if files.xlsx is not None:
        console.print(f"workbook: {literal(files.xlsx)}", highlight=False)
    console.print(f"charts: {len(files.charts)} (PNG and SVG) in {literal(files.charts[0].png.parent)}",
                  highlight=False)


def _warn_short_warmup(scenario: Scenario) -> None:
    """Warn when ``warmup_days: auto`` stops at its cap short of what the scenario's client path needs.

    Args:
        scenario: the validated scenario (without a pipeline).
    """
    if not (wanted := warmup_short_of(scenario)):
        return
    short = wanted - MAX_WARMUP_DAYS
    note(f"warmup_days auto stops at {MAX_WARMUP_DAYS} days, and this scenario's clients need {wanted} (the "
         f"lead time-to-live, the P90 of a client's path from contact to payment, and the refund window): "
         f"the payments and refunds of the leads of the {counted(short, 'day')} before the warm-up are "
         f"missing from the horizon's first {counted(short, 'day')} or so, which reads low; set warmup_days: "
         f"{wanted} to count them (each warm-up day is played for every plan and replication)", "warning")
