"""`simsales backtest DIR --until DATE`: how well would the model have forecast what happened next?

The answer first (how many weekly numbers fell inside the forecast's
P10-P90 band, and how far to trust it), then which numbers missed and on
which side, the table of weeks, and what the backtest assumed (it starts
from the pipeline open in the export: :mod:`simsales.analysis.backtest`).
``--report DIR`` writes the chart (PNG, SVG), ``backtest.csv`` and
``backtest.json``; ``--format json`` prints the document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from simsales.cli.common import FormatOpt, check_out_dir, command_help, export_notes
from simsales.cli.console import err, fail, literal, out
from simsales.cli.execution import prepare_engine
from simsales.cli.progress import Steps, progress_display
from simsales.report.units import counted
from simsales.scenario import Scenario
from simsales.scenario.checks import date_hint
from simsales.scenario.limits import MAX_REPLICATIONS


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"{option}: expected a date like 2026-08-04, got {text!r}{date_hint(text)}") from None


def week_table(result) -> Table:
    """Rows: the compared numbers; columns: the weeks; cells: the actual over P10 · P50 · P90.

    Args:
        result: the backtest (:class:`simsales.analysis.backtest.Backtest`).

    Returns:
        The table; an actual outside its band is red, with the side it missed.
    """
    from simsales.report.units import counted, fmt

    table = Table(title=Text(f"Actual (top) against the forecast's P10 · P50 · P90 (below), per week; "
                             f"{counted(result.replications, 'replication')}", style="table.title"))
    table.add_column("number")
    for first, after in result.weeks:
        last = after - dt.timedelta(days=1)
        table.add_column(f"{first:%d %b} - {last:%d %b}", justify="right")
    frame = result.table()
    for metric, rows in frame.groupby("metric", sort=False):
        cells = []
        for row in rows.itertuples():
            actual = fmt(row.actual, metric)
            if row.side in ("above", "below"):
                actual = f"[bold red]{actual} ({row.side})[/]"
            cells.append(f"{actual}\n[dim]{fmt(row.p10, metric)} · {fmt(row.p50, metric)} · "
                         f"{fmt(row.p90, metric)}[/]")
        table.add_row(metric, *cells)
    return table


class ForecastBar:
    """The forecast's progress bar on stderr, started once the engine is ready (it may compile first).

    The bar starts when the forecast does, not before: the first run after an install compiles the
    engine, which says so, and forks its helper only from a process without a second thread
    (rich's display runs one).

    Args:
        replications: the forecast's replications.
        quiet: show nothing (``--format json``).
        before: called as the forecast starts (the steps' display ends: it runs a thread).
    """

    def __init__(self, replications: int, quiet: bool, before: Callable[[], None] = lambda: None) -> None:
        self.replications = replications
        self.quiet = quiet
        self.before = before
        self._stack = contextlib.ExitStack()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ForecastBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def start(self, scenario: Scenario) -> None:
        """Prepare the engine for ``scenario`` (saying so if it compiles), then show the bar at 0."""
        self.before()
        prepare_engine("fast", [scenario.routing.policy])  # the engine the backtest forecasts with
        self._bar = self._stack.enter_context(progress_display(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=err, transient=True, disable=self.quiet))
        self._task = self._bar.add_task(f"forecast: {counted(self.replications, 'replication')}",
                                        total=self.replications)

    def advance(self, done: int) -> None:
        """``done`` more replications are finished."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, done)


def backtest_command(
    folder: Annotated[Path, typer.Argument(help="the CRM export: a folder of leads, stages, calls, staff "
                                                "(and payments, shifts) tables")],
    until: Annotated[str, typer.Option("--until", metavar="DATE", help="the last day of data the forecast "
                                       "may use (YYYY-MM-DD); the forecast starts the day after")],
    days: Annotated[int, typer.Option("--days", help="days to forecast and compare")] = 28,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, max=int(MAX_REPLICATIONS.value),
                                              help="forecast replications")] = 200,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="seed (default: the calibrated "
                                             "scenario's)")] = None,
    report: Annotated[Path | None, typer.Option("--report", metavar="DIR", help="write the chart, "
                                                "backtest.csv and backtest.json here")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="the CRM the export comes from "
                                               "(amocrm, kommo, bitrix24, hubspot)")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="a mapping file (column renames, "
                                                 "value maps, time zone)")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="the export's time zone (IANA, default UTC)")] = None,
    base: Annotated[Path | None, typer.Option("--base", metavar="SCENARIO", help="your scenario file: the "
                                              "calibration keeps its rules the export cannot identify (the "
                                              "sales floor's rules, routing ...) and fits the rest")] = None,
    format: FormatOpt = "table",
) -> None:
    """Hold the model against what happened: calibrate to a date, forecast the days after, compare.

    Args:
        folder: the export's folder.
        until: the last day of data used (``YYYY-MM-DD``).
        days: days forecast after it (at least 1).
        replications: forecast replications.
        seed: their seed (None: the calibrated scenario's).
        report: where to write the chart, CSV and JSON (None: nowhere).
        preset: the CRM product the export comes from (None: the schema's own tables).
        mapping: a mapping file.
        tz: the export's time zone.
        base: a scenario the calibration lays its fits over (None: defaults where the export cannot tell).
        format: ``table`` (for people) or ``json`` (the document on stdout).

    Raises:
        typer.Exit: bad input (status 2).
    """
    from simsales.analysis.backtest import BacktestError, backtest, check_dates
    from simsales.calibrate.base import read_base
    from simsales.crm.errors import CrmError
    from simsales.crm.read import read_export
    from simsales.scenario.loader import InputError

    day = _date(until, "--until")
    if days < 1:
        raise fail(f"--days: expected at least 1 day to forecast, got {days}")
    if not folder.is_dir():
        raise fail(f"{folder}: not a folder; expected a CRM export (a folder of leads, stages, calls and "
                   f"staff tables)")
    check_out_dir(report, option="--report")
    try:
        on = read_base(base) if base is not None else None
    except InputError as exc:
        raise fail(exc) from None
    steps = Steps(err)  # each step with its time on a terminal; a line each in a log
    say = steps if format == "table" else None
    bar = ForecastBar(replications, quiet=format != "table", before=steps.close)
    try:
        with steps, bar:
            if say is not None:
                say(f"reading {folder}")
            export = read_export(folder, preset=preset, mapping=mapping, tz=tz)
            export_notes(export.notes)  # rows and values the reader could not use, as run and calibrate say
            check_dates(export, day, days)
            result = backtest(export, day, days=days, replications=replications, seed=seed, progress=say,
                              base=on, starting=bar.start, advance=bar.advance)
    except (CrmError, BacktestError) as exc:
        raise fail(str(exc)) from None
    except InputError as exc:  # the base's fields kept beside the fits do not validate together
        raise fail(InputError(str(base), f"its fields with the fits laid over them do not validate: "
                              f"{exc.message}", field=exc.field)) from None
    except ValueError as exc:  # the calibration cannot fit this window (no lead in it, ...)
        raise fail(f"{folder}: {exc}") from None
    from simsales.report.backtest import document, write_backtest
    from simsales.report.files import to_json

    files = write_backtest(result, report) if report is not None else []
    if format == "json":
        typer.echo(to_json(document(result)), nl=False)
        return
    out.print(Text(result.verdict(), style="bold"), soft_wrap=True)
    for line in result.misses():
        out.print(f"  {literal(line)}", highlight=False, soft_wrap=True)
    out.print(week_table(result))
    for line in result.notes:
        out.print(Text(f"note: {line}", style="dim"), soft_wrap=True)
    for line in result.warnings:
        out.print(f"[yellow]calibration warning:[/] {literal(line)}", highlight=False, soft_wrap=True)
    for f in files:
        out.print(f"wrote {literal(f)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `simsales backtest` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="backtest", help=command_help(backtest_command))(backtest_command)
