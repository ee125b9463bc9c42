"""`simsales levers`: sensitivity, which input is the biggest lever (table, CSV, JSON, tornado)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simsales import montecarlo
from simsales.analysis import funnel_calc as fc
from simsales.analysis.lever_table import LEVERS
from simsales.analysis.levers import OBJECTIVES, LeverReport, run_levers
from simsales.cli.common import (
    FileArg,
    FormatOpt,
    SeedOpt,
    WorkersOpt,
    check_out_dir,
    check_plans,
    command_help,
    err,
    fail,
    load,
    out,
)
from simsales.engines import ENGINE_NAMES
from simsales.report.files import atomic_write, atomic_write_text, clean, to_json
from simsales.report.levers import effect_text, lever_frame, settings_text
from simsales.report.tornado import save_tornado

# Paired differences need far fewer replications than levels do; levers run 1 + 2 x levers times.
DEFAULT_REPLICATIONS = 50


def levers_table(report: LeverReport, kind: str | None, currency: str) -> Table:
    """Levers (of one kind, or all) in rank order; effects as mean ±SE.

    Args:
        report: the sensitivity run.
        kind: ``process``, ``money`` or None (all levers).
        currency: the scenario's currency.

    Returns:
        One row per lever: its rank, settings down | base | up, and the
        change in revenue and margin each way.
    """
    title = {"process": "Process levers (cheap to pull)", "money": "Money levers (they cost money)",
             None: "Levers"}[kind]
    step = f"{100 * report.step:.0f}%"
    table = Table(title=f"{title}: change in {currency} when the input moves -/+{step} "
                        f"(mean ±SE, {report.replications} paired replications)")
    for name, justify in (("#", "right"), ("lever", "left"), ("- | base | +", "right"),
                          (f"revenue -{step}", "right"), (f"revenue +{step}", "right"),
                          (f"margin -{step}", "right"), (f"margin +{step}", "right")):
        table.add_column(name, justify=justify)
    for rank, lv in enumerate(report.levers, 1):
        if kind is not None and lv.kind != kind:
            continue
        table.add_row(str(rank), lv.name, settings_text(lv),
                      *[effect_text(lv, m, side) for m in OBJECTIVES for side in ("down", "up")])
    return table


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

    Raises:
        typer.Exit: bad input (status 2).
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
    check_out_dir(out_dir)
    reps = replications or min(scenario.replications, DEFAULT_REPLICATIONS)
    runs = 1 + 2 * len(lever or LEVERS)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True, disable=format == "json") as bar:
        task = bar.add_task(f"levers: up to {runs} runs x {reps} replications", total=runs * reps)
        report = run_levers(scenario, plan, s, reps, seed, engine,
                            workers or montecarlo.default_workers(), lever, rank_by,
                            progress=lambda k: bar.advance(task, k))
    document = clean({"scenario": report.scenario, "plan": report.plan, "step": report.step,
                      "replications": report.replications, "seed": report.seed,
                      "engine": report.engine, "rank_by": report.rank_by, "base": report.base,
                      "ranking": report.ranking(), "skipped": report.skipped,
                      "levers": lever_frame(report).to_dict(orient="records")})
    if out_dir is not None:
        frame = lever_frame(report)
        atomic_write(out_dir / "levers.csv", lambda tmp: frame.to_csv(tmp, index=False))
        atomic_write_text(out_dir / "levers.json", to_json(document))
        save_tornado(report, out_dir, scenario.currency)
    if format == "json":
        typer.echo(to_json(document))
        return
    kinds = ("process", "money") if report.split else (None,)
    for kind in kinds:
        out.print(levers_table(report, kind, scenario.currency))
    if not report.split:
        out.print("The scenario has no costs (CPL, salaries, hiring): levers are not split "
                  "into process and money.")
    if report.skipped:
        out.print("Not applicable: " + ", ".join(report.skipped), highlight=False)
    if out_dir is not None:
        out.print(f"Wrote {out_dir}/levers.csv, levers.json, tornado.png, tornado.svg",
                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add `simsales levers` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="levers", help=command_help(levers_command))(levers_command)
