"""The command line: parse, call, print.  Bad input exits with status 2, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simsales.scenario.loader import InputError, load_scenario
from simsales.scenario.schema import Scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Monte-Carlo capacity and growth simulator for B2C sales teams.")
err = Console(stderr=True)
# Piped or redirected output gets 120 columns (rich would wrap the plan tables at 80).
out = Console(width=None if sys.stdout.isatty() else 120)

ENGINE_HELP = "des: the SimPy reference engine; fast: the vectorised engine (default)"


def fail(error: InputError | str) -> typer.Exit:
    """Print a user error and return the exit to raise (status 2)."""
    err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def load(file: Path) -> Scenario:
    try:
        return load_scenario(file)
    except InputError as exc:
        raise fail(exc) from None


def check_plans(scenario: Scenario, file: Path, plans: list[str] | None) -> list[str] | None:
    known = [p.name for p in scenario.plans]
    for name in plans or []:
        if name not in known:
            raise fail(InputError(str(file), f"no plan named {name!r}; the file has "
                                  f"{', '.join(known)}", field="--plan"))
    return plans or None


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="scenario YAML file")]) -> None:
    """Check a scenario file and say what it holds."""
    scenario = load(file)
    managers = sum(g.count for g in scenario.team.managers)
    out.print(f"{file}: ok: {scenario.name!r}, {scenario.horizon_days} days from "
              f"{scenario.start}, {len(scenario.channels)} channels, {managers} managers, "
              f"plans: {', '.join(p.name for p in scenario.plans)}", highlight=False, soft_wrap=True)


# Further commands live next to the code they drive; each module registers its own.
from simsales.cli import levers as cli_levers  # noqa: E402
from simsales.cli import regress as cli_regress  # noqa: E402
from simsales.cli import report as cli_report  # noqa: E402
from simsales.cli import run as cli_run  # noqa: E402

cli_run.register(app)
cli_report.register(app)
cli_levers.register(app)
cli_regress.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
