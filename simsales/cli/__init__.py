"""The command line: the Typer app and its commands, one module per command group.

Parse, call, print; bad input exits with status 2, no traceback.  This
module only wires the app; what the commands share is in
:mod:`simsales.cli.common`.

Ctrl-C ends any command, also while the command line loads, with exit
status 130 and a line saying which files it had finished (every file is
written whole or not at all: :mod:`simsales.report.files`); the workers it
started are stopped first.  SIGTERM does the same, with exit status 143.
"""

from __future__ import annotations

import multiprocessing.process
import signal
import sys

if getattr(multiprocessing.process.current_process(), "_inheriting", False):
    # A process the command spawned (a worker of its local Dask cluster) runs the command's main
    # script (as __mp_main__) as it starts: Ctrl-C is the command's to act on (it stops its
    # workers), and this one ignores it; it printed a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

try:  # loading takes seconds (numpy, pandas, numba): a Ctrl-C meanwhile ends it without a traceback
    import typer

    from simsales.cli import backtest, calibrate, funnel, levers, optimize, regression, report, run, validate
    from simsales.cli.console import err, literal
    from simsales.report.files import forget_written, written
except KeyboardInterrupt:
    sys.stderr.write("interrupted: nothing written\n")
    raise SystemExit(130) from None

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Monte-Carlo capacity and growth simulator for B2C sales teams.")
for group in (validate, run, report, optimize, funnel, levers, regression, backtest, calibrate):
    group.register(app)

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""
TERMINATED = 143
"""Exit status after SIGTERM (128 + SIGTERM), as shells report it."""
SHOWN_FILES = 6
"""The most file names the interrupt line lists."""


def interrupted_line(files: list, how: str = "interrupted") -> str:
    """What an interrupted command says it kept.

    Args:
        files: the files it finished before the interrupt, in order.
        how: what stopped it: ``interrupted`` (Ctrl-C) or ``terminated (SIGTERM)``.

    Returns:
        ``"interrupted: nothing written"`` or ``"interrupted: kept A, B
        written before the interrupt"`` (the first few, then how many more).
    """
    if not files:
        return f"{how}: nothing written"
    names = [str(f) for f in dict.fromkeys(files)]
    shown = ", ".join(names[:SHOWN_FILES])
    more = f" and {len(names) - SHOWN_FILES} more" if len(names) > SHOWN_FILES else ""
    return f"{how}: kept {shown}{more} written before the interrupt"


def main() -> None:
    """Console-script entry point (``simsales``, and ``python -m simsales``).

    SIGTERM (``kill``, ``timeout``, a service manager) stops a command as
    Ctrl-C does (workers stopped, temporary files removed, a line saying
    what was kept), with exit status 143.
    """
    forget_written()
    terminated: list[int] = []

    def on_sigterm(signum: int, frame: object) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    how = "terminated (SIGTERM)"
    try:
        app()
    except SystemExit as exc:  # Typer turns Ctrl-C into exit status 130
        if exc.code == INTERRUPTED:
            err.print(literal(interrupted_line(written(), how if terminated else "interrupted")),
                      highlight=False, soft_wrap=True)
            if terminated:
                raise SystemExit(TERMINATED) from None
        raise
    except KeyboardInterrupt:  # outside a command (while starting up)
        err.print(literal(interrupted_line(written(), how if terminated else "interrupted")),
                  highlight=False, soft_wrap=True)
        sys.exit(TERMINATED if terminated else INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)
