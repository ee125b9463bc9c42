"""The command line: the Typer app and its commands, one module per command group.

Parse, call, print; bad input exits with status 2, no traceback.  This
module only wires the app; what the commands share is in
:mod:`simsales.cli.common`.
"""

from __future__ import annotations

import sys

import typer

from simsales.cli import funnel, levers, regression, report, run, validate
from simsales.cli.common import err

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Monte-Carlo capacity and growth simulator for B2C sales teams.")
for group in (validate, run, report, funnel, levers, regression):
    group.register(app)


def main() -> None:
    """Console-script entry point (``simsales``, and ``python -m simsales``)."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
