"""`simsales validate`: check a scenario file and say what it holds."""

from __future__ import annotations

import typer

from simsales.cli.common import FileArg, command_help, literal, load, out
from simsales.report.units import counted


def validate_command(file: FileArg) -> None:
    """Check a scenario file and say what it holds.

    Args:
        file: the scenario YAML file.

    Raises:
        typer.Exit: the file is missing or invalid (status 2).
    """
    scenario = load(file)
    managers = sum(g.count for g in scenario.team.managers)
    out.print(literal(f"{file}: ok: {scenario.name!r}, {counted(scenario.horizon_days, 'day')} from "
                      f"{scenario.start}, {counted(len(scenario.channels), 'channel')}, "
                      f"{counted(managers, 'manager')}, "
                      f"plans: {', '.join(p.name for p in scenario.plans)}"), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `simsales validate` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="validate", help=command_help(validate_command))(validate_command)
