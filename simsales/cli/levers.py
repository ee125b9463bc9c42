"""`simsales funnel` (the funnel calculator) and `simsales levers` (sensitivity, tornado)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from simsales import montecarlo
from simsales.analysis import funnel_calc as fc
from simsales.analysis.levers import LEVERS, METRICS, LeverEffect, LeverReport, money, run_levers
from simsales.cli.run import SeedOpt, WorkersOpt
from simsales.engines import ENGINE_NAMES
from simsales.report.files import atomic_write, atomic_write_text, clean, to_json
from simsales.report.tornado import save_tornado

FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format")]
# Paired differences need far fewer replications than levels do; levers run 1 + 2 x levers times.
DEFAULT_REPLICATIONS = 50


def pct(x: float) -> str:
    """A conversion as a percentage with three significant digits: 0.26667 -> '26.7%'."""
    return f"{100 * x:.3g}%"


def req(x: float) -> str:
    """A required conversion; above 100% it cannot be reached."""
    return pct(x) if x <= 1.0 else f"[red]impossible ({pct(x)})[/]"


def stages_table(stages: list[fc.Stage], source: str) -> Table:
    table = Table(title=f"Funnel ({source})")
    table.add_column("stage")
    table.add_column("conversion", justify="right")
    for s in stages:
        table.add_row(s.name, pct(s.rate))
    table.add_row("[bold]end to end[/]", f"[bold]{pct(fc.end_to_end(stages))}[/]")
    return table


def equivalence_table(stages: list[fc.Stage], delta: float) -> Table:
    """One row per pair: the change in one stage, and what another must reach instead."""
    table = Table(title=f"Equivalences: a {100 * delta:+.3g} point change in one stage is worth "
                        "the same as another stage reaching")
    for name, justify in (("change", "left"), ("end to end", "right"), ("same as", "left"),
                          ("must reach", "right")):
        table.add_column(name, justify=justify)
    for row in fc.equivalences(stages, delta):
        change = f"{row['stage']} {pct(row['from'])} -> {pct(row['to'])}"
        for i, (other, rate) in enumerate(row["match"].items()):
            table.add_row(change if i == 0 else "", pct(row["end_to_end"]) if i == 0 else "",
                          other, req(rate), end_section=i == len(row["match"]) - 1)
    return table


def goal_table(stages: list[fc.Stage], target: float, title: str) -> Table:
    need = fc.goal_rates(stages, target)
    table = Table(title=title)
    table.add_column("stage alone")
    table.add_column("now", justify="right")
    table.add_column("must reach", justify="right")
    table.add_column("x", justify="right")
    for s in stages:
        table.add_row(s.name, pct(s.rate), req(need[s.name]), f"{need[s.name] / s.rate:.2f}")
    return table


def parse_goal(text: str, volume: float | None, check: float | None) -> tuple[str, float]:
    """``revenue=15M`` / ``conversion=1%`` / a bare number -> (kind, value)."""
    kind, sep, amount = text.partition("=")
    if not sep:
        kind, amount = ("revenue" if volume is not None or check is not None else "conversion"), text
    kind = kind.strip().lower()
    if kind not in ("revenue", "conversion"):
        raise fc.CalcError("--goal", f"expected revenue=AMOUNT or conversion=RATE, got {text!r}")
    if kind == "conversion":
        return kind, fc.parse_share(amount, "--goal")
    value = fc.parse_number(amount, "--goal")
    if value <= 0:
        raise fc.CalcError("--goal", f"a revenue goal must be > 0, got {text!r}")
    return kind, value


def levers_table(report: LeverReport, kind: str | None, currency: str) -> Table:
    """Levers (of one kind, or all) in rank order; effects as mean ±SE."""
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
        table.add_row(str(rank), lv.name, f"{lv.down} | {lv.base} | {lv.up}",
                      *[_effect(lv, m, side) for m in METRICS for side in ("down", "up")])
    return table


def _effect(lv: LeverEffect, metric: str, side: str) -> str:
    e = lv.effects[metric][side]
    return f"{money(e.mean)} ±{money(e.se).lstrip('+')}" if e.se == e.se else money(e.mean)


def register(app: typer.Typer) -> None:
    from simsales.cli import check_plans, err, fail, load, out

    @app.command()
    def funnel(
        file: Annotated[Path | None, typer.Argument(help="scenario YAML file (or give --stage)")] = None,
        stage: Annotated[list[str] | None, typer.Option(
            "--stage", help="NAME=CONVERSION in funnel order, e.g. visit_to_lead=3% (repeat)")] = None,
        delta: Annotated[str, typer.Option(help="the change to compare, in points: 1% = 0.01")] = "1%",
        goal: Annotated[str | None, typer.Option(
            help="revenue=AMOUNT (needs --volume and --check; from a FILE they default to its "
                 "expected leads and net check) or conversion=RATE (end to end)")] = None,
        volume: Annotated[str | None, typer.Option(help="entries into the first stage over the "
                                                        "goal's period (visits, leads)")] = None,
        check: Annotated[str | None, typer.Option(help="net money per paid deal")] = None,
        simulate: Annotated[int | None, typer.Option(
            "--simulate", min=1, help="with FILE: take the stages from a quick run of this many "
                                      "replications (default: from the parameters' means)")] = None,
        plan: Annotated[str | None, typer.Option(help="with --simulate: the plan to run")] = None,
        format: FormatOpt = "table",
    ) -> None:
        """Funnel calculator: end-to-end conversion, stage equivalences, what a goal needs."""
        try:
            if (file is None) == (not stage):
                raise fc.CalcError("--stage", "give a scenario FILE or --stage NAME=VALUE (not both)")
            d = fc.parse_number(delta, "--delta")
            vol = fc.parse_number(volume, "--volume") if volume is not None else None
            chk = fc.parse_number(check, "--check") if check is not None else None
            if file is None:
                if simulate is not None or plan is not None:
                    raise fc.CalcError("--simulate" if simulate else "--plan", "needs a scenario FILE")
                stages, source = fc.parse_stages(stage), "from the command line"
            else:
                if plan is not None and simulate is None:
                    raise fc.CalcError("--plan", "only with --simulate")
                scenario = load(file)
                if simulate is None:
                    stages, source = fc.scenario_stages(scenario), f"{file}: expected, from the means"
                else:
                    name = (check_plans(scenario, file, [plan]) or [None])[0] if plan else None
                    result = montecarlo.run(scenario, [name] if name else None, simulate)
                    first = name or scenario.plans[0].name
                    stages = fc.observed_stages(result.summary()[first])
                    source = f"{file}: observed, plan {first}, {simulate} replications"
                vol = vol if vol is not None else fc.expected_leads(scenario)
                chk = chk if chk is not None else fc.net_check(scenario)
            document: dict = {"stages": {s.name: s.rate for s in stages},
                              "end_to_end": fc.end_to_end(stages), "source": source,
                              "equivalences": fc.equivalences(stages, d)}
            tables = [stages_table(stages, source), equivalence_table(stages, d)]
            if goal is not None:
                kind, amount = parse_goal(goal, vol, chk)
                if kind == "revenue":
                    if vol is None or chk is None:
                        raise fc.CalcError("--volume" if vol is None else "--check",
                                           "a revenue goal needs --volume and --check")
                    target = fc.conversion_for_revenue(amount, vol, chk)
                    title = (f"Goal: revenue {amount:,.0f} from {vol:,.0f} entries at {chk:,.0f} "
                             f"per deal = {pct(target)} end to end; or volume alone x"
                             f"{target / fc.end_to_end(stages):.2f}")
                else:
                    target, title = amount, f"Goal: {pct(amount)} end to end"
                document["goal"] = {"kind": kind, "value": amount, "end_to_end": target,
                                    "stages": fc.goal_rates(stages, target)}
                tables.append(goal_table(stages, target, title))
        except fc.CalcError as exc:
            raise fail(str(exc)) from None
        if format == "json":
            typer.echo(json.dumps(document, indent=2))
            return
        for table in tables:
            out.print(table)

    @app.command()
    def levers(
        file: Annotated[Path, typer.Argument(help="scenario YAML file")],
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
        """Sensitivity: nudge each input down and up, rank by the effect on revenue and margin."""
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
        if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
            raise fail(f"--out: {out_dir} exists and is not a folder")
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
                          "levers": report.to_frame().to_dict(orient="records")})
        if out_dir is not None:
            frame = report.to_frame()
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
