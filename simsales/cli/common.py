"""What the commands share: consoles, user errors, loading, options, running, shared tables.

Every command module imports from here (never from :mod:`simsales.cli`,
which only wires the app).  Bad input goes through :func:`fail`: an
``error:`` line on stderr and exit status 2, no traceback.  A command's
help is the first paragraph of its function's docstring
(:func:`command_help`); the rest documents the code.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simsales import montecarlo
from simsales.analysis.compare import Comparison
from simsales.engines import ENGINE_NAMES
from simsales.montecarlo import RunResult
from simsales.report.units import fmt, percent
from simsales.scenario import Scenario
from simsales.scenario.loader import InputError, load_scenario

err = Console(stderr=True)
"""Progress bars, errors and notes: stderr."""

# Piped or redirected output gets 120 columns (rich would wrap the plan tables at 80).
out = Console(width=None if sys.stdout.isatty() else 120)
"""Results: stdout."""

EngineName = Literal[ENGINE_NAMES]  # type: ignore[valid-type]  # the engines' names, from their table

FileArg = Annotated[Path, typer.Argument(help="scenario YAML file")]
PlanOpt = Annotated[list[str] | None, typer.Option("--plan", help="plan to run (repeat; default: all)")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1,
                                              help="replications (default: the scenario's)")]
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, help="seed (default: the scenario's)")]
EngineOpt = Annotated[EngineName, typer.Option("--engine", help="engine to run")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1,
                                                help="worker processes (default: all cores)")]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format")]


def command_help(command: Callable[..., None]) -> str:
    """The help text of a command: the first paragraph of its docstring.

    Args:
        command: a command function.

    Returns:
        The paragraph (the Args section below it is for readers of the code).
    """
    return (inspect.getdoc(command) or "").split("\n\n")[0]


def fail(error: InputError | str) -> typer.Exit:
    """Print a user error and return the exit to raise.

    Args:
        error: what was wrong (an :class:`InputError` names the file, field and line).

    Returns:
        The exit (status 2) for the caller to ``raise``.
    """
    err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def load(file: Path) -> Scenario:
    """Load a scenario, or fail with exit status 2.

    Args:
        file: the scenario YAML file.

    Returns:
        The validated scenario.

    Raises:
        typer.Exit: the file is missing or invalid (the error is printed).
    """
    try:
        return load_scenario(file)
    except InputError as exc:
        raise fail(exc) from None


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
            raise fail(InputError(str(file), f"no plan named {name!r}; the file has "
                                  f"{', '.join(known)}", field="--plan"))
    return plans or None


def check_out_dir(out_dir: Path | None) -> None:
    """Refuse an ``--out`` that exists and is not a folder.

    Args:
        out_dir: the folder given, or None.

    Raises:
        typer.Exit: ``out_dir`` is a file (the error is printed).
    """
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise fail(f"--out: {out_dir} exists and is not a folder")


def simulate(scenario: Scenario, plans: list[str] | None, replications: int | None,
             seed: int | None, engine: str, workers: int | None, quiet: bool = False) -> RunResult:
    """Run the scenario with a progress bar on stderr.

    Args:
        scenario: the scenario.
        plans: the plans to run (None: all).
        replications: override the scenario's.
        seed: override the scenario's.
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores; one for a single replication).
        quiet: hide the progress bar (it is hidden anyway when stderr is not a terminal).

    Returns:
        The run.
    """
    n_plans = len(plans) if plans else len(scenario.plans)
    reps = replications or scenario.replications
    workers = workers or montecarlo.default_workers()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"{engine}: {n_plans} plans x {reps} replications", total=reps)
        return montecarlo.run(scenario, plans, replications, seed, engine=engine,
                              workers=workers if reps > 1 else 1,
                              progress=lambda k: bar.advance(task, k))


def comparison_table(result: RunResult, comparison: Comparison, currency: str) -> Table:
    """The paired differences against the baseline plan (`simsales compare`, and `run` with plans).

    Args:
        result: the run.
        comparison: its plans against the baseline.
        currency: the scenario's currency.

    Returns:
        Rows: key metrics; columns: plans; cells: P10 / P50 / P90 of plan -
        baseline in the metric's unit, and P(better).
    """
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


def write_report_files(result: RunResult, scenario: Scenario, file: Path, out_dir: Path | None,
                       console: Console, baseline: str | None = None, xlsx: bool = True) -> None:
    """Write the report (`simsales report`, and `run --report`) and say where.

    Args:
        result: the run.
        scenario: the scenario that made it.
        file: the scenario file as the user named it.
        out_dir: the folder (None: ``reports/FILE-STEM``).
        console: where to say what was written.
        baseline: the plan the others are compared against (None: the first run).
        xlsx: also write the workbook.
    """
    # Imported here: matplotlib and openpyxl load only when a report is asked for.
    from simsales.report.writer import write_report

    folder = out_dir if out_dir is not None else Path("reports") / file.stem
    files = write_report(result, scenario, folder, str(file), baseline=baseline, xlsx=xlsx)
    console.print(f"report: {files.html}", highlight=False)
    if files.xlsx is not None:
        console.print(f"workbook: {files.xlsx}", highlight=False)
    console.print(f"charts: {len(files.charts)} (PNG and SVG) in {files.charts[0].png.parent}",
                  highlight=False)
