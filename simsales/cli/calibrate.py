"""`simsales calibrate`: fit a scenario to a CRM export, and write the diagnostics report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simsales.cli.common import check_out_dir, command_help, err, export_notes, fail, literal, note, out
from simsales.cli.progress import Steps
from simsales.report.units import counted
from simsales.scenario.checks import date_hint

if TYPE_CHECKING:
    from simsales.calibrate.base import Base

DirArg = Annotated[Path, typer.Argument(help="the export's folder (leads, stages, calls, staff, ...)")]


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option}: expected a date such as 2026-06-30, got {text!r}{date_hint(text)}") from None


def calibrate_command(
    folder: DirArg,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="the scenario file to write")],
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="the CRM whose export this is: amocrm, kommo, bitrix24, hubspot"),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="a mapping YAML (renames, values)")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="first day to fit on (default: the first lead's)")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--to", help="last day to fit on (default: the export's last); the scenario starts the day after"
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="write the diagnostics report (diagnostics.html) into this folder"),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", help="the export's time zone, e.g. Europe/Moscow (default: the mapping's, else UTC)"
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            metavar="SCENARIO",
            help="your scenario file: the fits replace its fields the export identifies, the rest is kept "
            "(plans, economics, routing, the sales floor's rules ...)",
        ),
    ] = None,
) -> None:
    """Fit a scenario to a CRM export: every number with its uncertainty and where it came from.

    Args:
        folder: the export's folder.
        out_file: the scenario YAML to write.
        preset: the CRM product's preset, or None for the schema's own tables.
        mapping: a mapping file laid over the preset's.
        since: the window's first day (ISO date).
        until: the window's last day (ISO date).
        report: the folder for the diagnostics report, or None for none.
        tz: the export's time zone.
        base: a scenario to lay the fits over (None: defaults where the export cannot tell).

    Raises:
        typer.Exit: bad input (status 2; the error is printed).
    """
    # Imported here: pandas-heavy modules load only for this command.
    from simsales.calibrate.base import read_base
    from simsales.scenario.loader import InputError

    first, last = _date(since, "--from"), _date(until, "--to")
    if first and last and last < first:
        raise fail(f"--to {last} is before --from {first}: the window would be empty")
    if not folder.is_dir():
        raise fail(f"{folder}: no such folder (give the folder that holds leads.csv, stages.csv, ...)")
    if out_file.exists() and out_file.is_dir():
        raise fail(f"--out {out_file}: is a folder; give the scenario file to write, e.g. scenario.yaml")
    check_out_dir(out_file.parent if str(out_file.parent) else Path("."), option="--out")
    check_out_dir(report, option="--report")
    try:
        on = read_base(base) if base is not None else None
    except InputError as exc:
        raise fail(exc) from None
    with Steps(err) as say:  # each step with its time on a terminal; a line each in a log
        _calibrate(folder, out_file, report, preset, mapping, tz, first, last, on, base, say)


def _calibrate(folder: Path, out_file: Path, report: Path | None, preset: str | None, mapping: Path | None,
               tz: str | None, first: dt.date | None, last: dt.date | None, on: Base | None,
               base: Path | None, say: Callable[[str], None]) -> None:
    """Read, fit, validate and write the scenario (and the diagnostics), saying each step with ``say``."""
    from simsales.calibrate import CalibrationError, calibrate
    from simsales.crm.errors import CrmError
    from simsales.crm.read import read_export
    from simsales.report.files import atomic_write_text
    from simsales.scenario import parse_scenario
    from simsales.scenario.loader import InputError

    say(f"reading {folder}")
    try:
        export = read_export(folder, preset=preset, mapping=mapping, tz=tz)
        cal = calibrate(export, since=first, until=last, progress=say, base=on)
    except (CrmError, CalibrationError) as exc:
        raise fail(str(exc)) from None
    text = cal.yaml()
    try:
        parse_scenario(text, str(out_file))
    except InputError as exc:
        if base is not None:  # a base field kept beside the fits may not fit them: name it
            raise fail(InputError(str(base), f"{out_file} not written: {base}'s fields with the fits laid "
                                  f"over them do not validate: {exc.message}", field=exc.field)) from None
        # a bug of ours, not the user's: say so plainly
        raise fail(f"the fitted scenario does not validate (please report this): {exc}") from None
    atomic_write_text(out_file, text)
    export_notes(export.notes)
    for line in cal.warnings:
        note(line, "warning")
    fitted = sum(not c.startswith(("default:", "kept from")) for c in cal.comments.values())
    out.print(
        literal(
            f"scenario: {out_file} ({counted(fitted, 'field')} fitted on {cal.period}, "
            + (f"{counted(len(cal.kept), 'default')} kept from {cal.base}, " if cal.base else "")
            + f"{len(cal.defaults)} kept at defaults)"
        ),
        highlight=False,
        soft_wrap=True,
    )
    if report is not None:
        from simsales.report.diagnostics import write_diagnostics

        say("writing the diagnostics report")
        path = write_diagnostics(cal, report, str(folder))
        out.print(literal(f"report: {path}"), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `simsales calibrate` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="calibrate", help=command_help(calibrate_command))(calibrate_command)
