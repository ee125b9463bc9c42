"""`simsales run FILE --events DIR`: one replication's simulated CRM, in the export schema.

The replication is played by the reference engine (it logs every attempt):
its totals are a draw from the same distribution as the run's replication
``R``, not the fast engine's numbers for it
(:mod:`simsales.montecarlo.events`).  The tables are written with
:func:`simsales.crm.write.write_export`: all of them or none (an interrupted
write leaves an earlier export as it was: :func:`simsales.report.files.together`).
A replication of a large floor takes minutes: a note on stderr says so and
how long first, and a terminal shows what it is doing and for how long.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.progress import SpinnerColumn, TimeElapsedColumn

from simsales.cli.console import err, fail, literal, note, out
from simsales.cli.progress import progress_display
from simsales.crm.schema import ROW_NOUNS
from simsales.report.files import atomic_write, together
from simsales.report.units import count, counted, whole
from simsales.scenario import Scenario

BYTES_PER_LEAD = 700
"""About what a lead costs on disk with its stages and calls (CSV), bytes: the space check's estimate."""
SAY_SECONDS = 5.0
"""A replication estimated to take longer than this says so, and how long, before it is played, seconds."""


def write_events(scenario: Scenario, file: Path, plans: list[str] | None, folder: Path,
                 replication: int, seed: int | None, format: str) -> list[Path]:
    """Write replication ``replication`` of one plan as a CRM export into ``folder``, and say so.

    Args:
        scenario: the validated scenario.
        file: its file, for messages.
        plans: the ``--plan`` names (at most one; None: the scenario's first plan).
        folder: where the tables go (created if missing).
        replication: the replication (0-based).
        seed: the run's seed (None: the scenario's).
        format: ``table`` (a line for people) or ``json`` (a document on stdout).

    Returns:
        The files written.

    Raises:
        typer.Exit: more than one plan, or a folder that cannot be written (status 2).
    """
    from simsales.cli.common import check_out_dir
    from simsales.crm.write import write_export
    from simsales.montecarlo.estimate import estimate_run, expected_leads
    from simsales.montecarlo.events import TIME_ZONE, simulate_events
    from simsales.scenario.uncertain import mean_of

    if plans is not None and len(plans) > 1:
        raise fail(f"{file}: --events writes one plan's replication; got --plan {', '.join(plans)}: "
                   f"give one --plan")
    plan = plans[0] if plans else scenario.plans[0].name
    leads_per_day = sum(mean_of(c.leads_per_day) for c in scenario.channels)
    check_out_dir(folder, need_bytes=int(BYTES_PER_LEAD * leads_per_day * scenario.horizon_days),
                  option="--events")
    seed = scenario.seed if seed is None else seed
    what = f"plan {plan}'s replication {replication} by the reference engine"
    estimate = estimate_run(scenario, [scenario.plan(plan)], 1, "des", 1)
    if estimate.seconds > SAY_SECONDS:  # the reference engine logs every attempt: minutes for a large floor
        note(f"playing {what} (it logs every attempt): {estimate.duration_text()} for about "
             f"{counted(expected_leads(scenario), 'lead', number=whole)}, then writing the tables")
    with progress_display(SpinnerColumn(), "[progress.description]{task.description}", TimeElapsedColumn(),
                          console=err, transient=True, disable=format == "json") as bar:
        task = bar.add_task(f"playing {what}", total=1)
        run = simulate_events(scenario, plan, replication, seed)
        bar.update(task, completed=1, visible=False)
        bar.add_task(f"writing the tables to {folder}", total=1)
        export = run.export
        with together():  # all or none: never this replication's leads beside an earlier one's calls
            files = write_export(export, folder, atomic=atomic_write)
    counts = export.counts()
    warmup = int(run.world.warmup_days or 0)
    if format == "json":
        out.print_json(json.dumps({
            "folder": str(folder), "plan": plan, "replication": replication, "seed": seed, "engine": "des",
            "time_zone": TIME_ZONE, "rows": counts, "files": [str(f) for f in files],
            "warmup_days": warmup,
            "metrics": {k: run.metrics[k] for k in ("leads", "attempts", "contacts", "qualified", "offers",
                                                    "total_invoices", "won", "revenue_net")},
            "notes": list(export.notes),
        }))
        return files
    shown = ", ".join(counted(n, *ROW_NOUNS[name]) for name, n in counts.items())
    out.print(f"events: {literal(scenario.name)}, plan {literal(plan)}, replication {replication}, "
              f"seed {seed}: {shown}; written to {literal(folder)} (times in {TIME_ZONE}).",
              highlight=False, soft_wrap=True)
    if warmup:
        # The tables hold the warm-up too: say so, or their counts look like the run's and are not.
        before = counts["leads"] - run.metrics["leads"]
        out.print(f"The tables begin {counted(warmup, 'day')} before {scenario.start} with the warm-up "
                  f"(played, not counted): from {scenario.start} on they hold the run's "
                  f"{counted(run.metrics['leads'], 'lead')} and {counted(run.metrics['won'], 'payment')}; "
                  f"{counted(before, 'lead')} {'was' if count(before) == '1' else 'were'} created before it.",
                  highlight=False, soft_wrap=True)
    out.print(f"Played by the reference engine (it logs every attempt): these totals are one draw from the "
              f"same distribution as the run's replication {replication}, not the fast engine's numbers "
              f"for it.", highlight=False, soft_wrap=True)
    return files

