"""`simsales levers`: sensitivity, which input is the biggest lever (table, CSV, JSON, tornado)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from simsales import montecarlo
from simsales.analysis import funnel_calc as fc
from simsales.analysis.lever_table import LEVERS
from simsales.analysis.levers import OBJECTIVES, LeverReport, run_levers
from simsales.cli.common import (
    ExecutorOpt,
    FileArg,
    FormatOpt,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    check_out_dir,
    check_plans,
    command_help,
    err,
    fail,
    load,
    note,
    out,
)
from simsales.cli.execution import LONG_RUN_SECONDS, check_executor, prepare_engine, started_executor
from simsales.cli.progress import progress_display
from simsales.engines import DEFAULT_ENGINE, ENGINE_NAMES
from simsales.montecarlo.estimate import estimate_run
from simsales.montecarlo.pool import WorkerLost
from simsales.report.files import atomic_write, atomic_write_text, clean, to_json, together
from simsales.report.levers import effect_text, lever_frame, settings_text
from simsales.report.units import counted
from simsales.scenario import Scenario

# Paired differences need far fewer replications than levels do; levers run 1 + 2 x levers times.
DEFAULT_REPLICATIONS = 50


def levers_table(report: LeverReport, kind: str | None, currency: str, upper: bool = False) -> Table:
    """Levers (of one kind, or all) in rank order; effects as mean ±SE.

    Args:
        report: the sensitivity run.
        kind: ``process``, ``money`` or None (all levers).
        currency: the scenario's currency.
        upper: show the levers ranked apart as upper bounds (else the ranked ones).

    Returns:
        One row per lever: its rank (``-`` for an upper bound), settings
        down | base | up in the input's unit, and the change in revenue and
        margin each way.
    """
    title = {"process": "Process levers (cheap to pull)", "money": "Money levers (they cost money)",
             None: "Levers"}[kind]
    if upper:
        title = "Upper bounds, ranked apart (see the note below)"
    step = f"{100 * report.step:.0f}%"
    table = Table(title=Text(f"{title}: change in {currency} when the input moves -/+{step} "
                             f"(mean ±SE, {counted(report.replications, 'paired replication')})",
                             style="table.title"))
    for name, justify in (("#", "right"), ("lever", "left"), ("- | base | +", "right"),
                          (f"revenue -{step}", "right"), (f"revenue +{step}", "right"),
                          (f"margin -{step}", "right"), (f"margin +{step}", "right")):
        table.add_column(name, justify=justify)
    ranked = report.ranking()
    for lv in report.levers:
        if (kind is not None and lv.kind != kind) or bool(lv.note) != upper:
            continue
        table.add_row("-" if upper else str(ranked.index(lv.name) + 1),
                      Text(f"{lv.name} (upper bound)" if upper else lv.name), Text(settings_text(lv)),
                      *[effect_text(lv, m, side) for m in OBJECTIVES for side in ("down", "up")])
    return table


def answer(report: LeverReport, currency: str) -> str | None:
    """The levers' answer in one sentence: the input that moves the objective most, each way, and the next.

    Args:
        report: the sensitivity run.
        currency: the scenario's currency.

    Returns:
        ``the lever that moves net revenue most is offer (36% | 40% | 44%): -10% -18.8M ±1.4M RUB,
        +10% +18.1M ±1.3M RUB (mean ±SE, 50 paired replications); next: qualify, team_size``, or None
        when no lever is ranked.
    """
    ranked = [lv for lv in report.levers if not lv.note]
    if not ranked:
        return None
    top, step = ranked[0], f"{100 * report.step:.0f}%"
    what = "net revenue" if report.rank_by == "revenue_net" else report.rank_by
    effects = ", ".join(f"{sign}{step} {effect_text(top, report.rank_by, side)} {currency}"
                        for side, sign in (("down", "-"), ("up", "+")))
    after = [lv.name for lv in ranked[1:3]]
    return (f"the lever that moves {what} most is {top.name} ({settings_text(top)}): {effects} (mean ±SE, "
            f"{counted(report.replications, 'paired replication')})" + (f"; next: {', '.join(after)}"
                                                                        if after else ""))


def meanings(report: LeverReport) -> list[str]:
    """One line per lever shown: what it is and what its value means; upper bounds say why.

    Args:
        report: the sensitivity run.

    Returns:
        ``'NAME: meaning'`` lines, in the tables' order, then ``'NAME: note'``
        for every upper bound.
    """
    lines = [f"{lv.name}: {lv.meaning}" for lv in report.levers if lv.meaning]
    return lines + [f"{name}: an upper bound ({note}): what the change brings if every client "
                    f"stayed, so it is not ranked with the others; set funnel.price.elasticity "
                    f"to rank it" for name, note in report.upper_bounds().items()]


def changes(report: LeverReport) -> list[str]:
    """One line per side of every lever that says what its nudge changed (the sales floor's).

    Args:
        report: the sensitivity run.

    Returns:
        ``'NAME -: what changed'`` and ``'NAME +: ...'`` lines, in the tables' order.
    """
    return [f"{lv.name} {sign}: {lv.changes[side]}" for lv in report.levers
            for side, sign in (("down", "-"), ("up", "+")) if side in lv.changes]


FLOOR_REPORT_LEVERS = ("evening_shift", "new_lead_cap")
"""The floor's levers `simsales report` shows: what an evening shift or a lead-per-day cap would change."""


def sensitivity(scenario: Scenario, plan: str | None, step: float, reps: int, seed: int | None,
                engine: str | None, workers: int | None, levers: list[str] | None, rank_by: str,
                executor: str = "local", scheduler: str | None = None, quiet: bool = False,
                said: bool = False) -> LeverReport:
    """Run the levers with a progress bar on stderr: one executor for every variant.

    Args:
        scenario: the validated scenario.
        plan: the plan to nudge (None: the first).
        step: the relative nudge each way, in (0, 1).
        reps: replications per variant.
        seed: override the scenario's (the same for every variant).
        engine: ``fast`` or ``des`` (None: the run default).
        workers: worker processes (None: all cores).
        levers: the levers to nudge (None: all).
        rank_by: ``revenue_net`` or ``margin``.
        executor: ``local`` or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).
        quiet: no progress bar.
        said: the time these runs take was said already (the report's, with its run's).

    Returns:
        The sensitivity run.

    Raises:
        typer.Exit: a worker died twice on the same replications (status 2).
    """
    runs = 1 + 2 * len(levers or LEVERS)
    n_workers = workers or montecarlo.default_workers()
    nudged = scenario.plan(plan) if plan else scenario.plans[0]
    estimate = estimate_run(scenario, [nudged], runs * reps, engine or DEFAULT_ENGINE, n_workers,
                            spawned_workers=executor == "dask", remote=scheduler is not None)
    if estimate.seconds > LONG_RUN_SECONDS and not (quiet or said):
        where = (f"the Dask cluster at {scheduler}" if scheduler else
                 counted(n_workers, "worker process", "worker processes"))
        note(f"the levers will take {estimate.duration_text()} at most ({counted(runs, 'run')} of plan "
             f"{nudged.name} x {counted(reps, 'replication')} on {where}; fewer if some levers do not "
             f"apply)")
    # One executor (a pool, or a Dask cluster) runs every variant: started once, closed at the end.
    if scheduler is None:
        prepare_engine(engine or DEFAULT_ENGINE, [scenario.routing.policy])
    with started_executor(executor, scheduler, n_workers, reps) as chosen, \
            progress_display("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task(f"levers: up to {counted(runs, 'run')} x {counted(reps, 'replication')}",
                            total=runs * reps)
        try:
            report = run_levers(scenario, plan, step, reps, seed, engine, n_workers, levers, rank_by,
                                progress=lambda k: bar.advance(task, k), executor=chosen)
            # the levers that do not apply ran nothing: the run is done at what it did run
            bar.update(task, total=next(t.completed for t in bar.tasks if t.id == task))
            return report
        except WorkerLost as exc:
            raise fail(f"{exc}. If the machine ran out of memory, run fewer --workers; nothing was "
                       "written") from None


def levers_command(
    file: FileArg,
    plan: Annotated[str | None, typer.Option(help="plan to nudge (default: the first)")] = None,
    step: Annotated[str, typer.Option(help="relative nudge each way: 10% or 0.1")] = "10%",
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=1, help=f"replications per variant (default: the scenario's, "
                                            f"at most {DEFAULT_REPLICATIONS})")] = None,
    seed: SeedOpt = None,
    engine: Annotated[str | None, typer.Option(help="engine (default: the run default)")] = None,
    workers: WorkersOpt = None,
    lever: Annotated[list[str] | None, typer.Option(
        "--lever", help=f"lever to nudge (repeat; default: all): {', '.join(LEVERS)}")] = None,
    rank_by: Annotated[Literal["revenue_net", "margin"], typer.Option("--rank-by")] = "revenue_net",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write levers.csv, levers.json, tornado.png and tornado.svg here")] = None,
    format: FormatOpt = "table",
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Sensitivity: nudge each input down and up, rank by the effect on revenue and margin.

    Args:
        file: the scenario YAML file.
        plan: the plan to nudge (None: the first).
        step: the relative nudge each way, ``10%`` or ``0.1``.
        replications: per variant (None: the scenario's, at most DEFAULT_REPLICATIONS).
        seed: override the scenario's (the same for every variant).
        engine: ``fast`` or ``des`` (None: the run default).
        workers: worker processes (None: all cores).
        lever: the levers to nudge (None: all).
        rank_by: ``revenue_net`` or ``margin``.
        out_dir: write levers.csv, levers.json and the tornado chart here.
        format: ``table`` or ``json``.
        executor: ``local`` (this machine's processes) or ``dask``; one
            executor runs every variant.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).

    Raises:
        typer.Exit: bad input, a Dask scheduler that does not answer, or a
            worker that died twice on the same replications (status 2).
    """
    scenario = load(file)
    check_plans(scenario, file, [plan] if plan else None)
    try:
        s = fc.parse_number(step, "--step")
    except fc.CalcError as exc:
        raise fail(str(exc)) from None
    if not 0 < s < 1:
        raise fail(f"--step: expected a relative step in (0, 1) such as 10% or 0.1, got {step!r}")
    if engine is not None and engine not in ENGINE_NAMES:
        raise fail(f"--engine: unknown engine {engine!r}; expected one of {', '.join(ENGINE_NAMES)}")
    for name in lever or []:
        if name not in LEVERS:
            raise fail(f"--lever: unknown lever {name!r}; expected one of {', '.join(LEVERS)}")
    check_executor(executor, scheduler)
    check_out_dir(out_dir)
    lever = list(dict.fromkeys(lever)) if lever else None  # `--lever cpl --lever cpl`: one lever
    reps = replications or min(scenario.replications, DEFAULT_REPLICATIONS)
    report = sensitivity(scenario, plan, s, reps, seed, engine, workers, lever, rank_by, executor,
                         scheduler, quiet=format == "json")
    document = clean({"scenario": report.scenario, "plan": report.plan, "step": report.step,
                      "replications": report.replications, "seed": report.seed,
                      "engine": report.engine, "rank_by": report.rank_by, "base": report.base,
                      "ranking": report.ranking(), "upper_bounds": report.upper_bounds(),
                      "skipped": report.skipped,
                      "levers": lever_frame(report).to_dict(orient="records")})
    if out_dir is not None:
        from simsales.report.tornado import save_tornado  # matplotlib: only when a chart is written

        frame = lever_frame(report)
        with together():  # all or none: never this run's table beside an earlier run's chart
            atomic_write(out_dir / "levers.csv", lambda tmp: frame.to_csv(tmp, index=False))
            atomic_write_text(out_dir / "levers.json", to_json(document))
            save_tornado(report, out_dir, scenario.currency)
    if format == "json":
        typer.echo(to_json(document))
        return
    said = answer(report, scenario.currency)
    if said is not None:
        out.print(Text.assemble(("Answer:", "bold"), " ", said), highlight=False, soft_wrap=True)
        out.print()
    kinds = ("process", "money") if report.split else (None,)
    for kind in kinds:
        if kind is None or any(lv.kind == kind and not lv.note for lv in report.levers):
            out.print(levers_table(report, kind, scenario.currency))
    if report.upper_bounds():
        out.print(levers_table(report, None, scenario.currency, upper=True))
    out.print("What each lever is:", style="bold")
    for line in meanings(report):
        out.print(Text(f"  {line}"), highlight=False, soft_wrap=True)
    if changes(report):
        out.print("What the floor's levers changed in this scenario:", style="bold")
        for line in changes(report):
            out.print(Text(f"  {line}"), highlight=False, soft_wrap=True)
    if not report.split:
        out.print("The scenario has no costs (CPL, salaries, hiring): levers are not split "
                  "into process and money.")
    if report.skipped:
        reasons = "; ".join(f"{name} ({why})" for name, why in report.skipped.items())
        out.print(Text(f"Not applicable: {reasons}"), highlight=False, soft_wrap=True)
    if out_dir is not None:
        out.print(Text(f"Wrote {out_dir}/levers.csv, levers.json, tornado.png, tornado.svg"),
                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add `simsales levers` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="levers", help=command_help(levers_command))(levers_command)
