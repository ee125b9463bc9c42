"""`simsales optimize`: the best hiring plans the span rule allows, with the chance each is the best.

Parse, call :func:`simsales.analysis.optimize.optimize`, print.  The
stages (anchors, model, race rounds, confirmation) are drawn on stderr;
the table or the JSON document goes to stdout; ``-o FILE`` writes the
scenario with the top plans added (:mod:`simsales.analysis.optimize_yaml`),
atomically.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from simsales.analysis.optimize import OptimizeError, Outcome, Settings, optimize
from simsales.analysis.optimize_select import OBJECTIVES
from simsales.analysis.optimize_space import Limits
from simsales.analysis.optimize_yaml import with_plans
from simsales.cli.common import (
    EngineOpt,
    ExecutorOpt,
    FileArg,
    FormatOpt,
    RepsOpt,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    command_help,
    err,
    fail,
    load,
    out,
)
from simsales.cli.execution import check_executor, prepare_engine, started_executor
from simsales.cli.progress import progress_display
from simsales.engines import DEFAULT_ENGINE
from simsales.montecarlo import RevenuePlan, default_workers
from simsales.montecarlo.pool import WorkerLost
from simsales.report.files import atomic_write_text, clean, to_json
from simsales.report.units import count, counted, fmt
from simsales.scenario import InputError, Scenario
from simsales.scenario.checks import parse_month
from simsales.scenario.numbers import NumberFormError, parse_number, percent_hint

Objective = Literal[OBJECTIVES]  # type: ignore[valid-type]  # the objectives' names, from their table


class StageBar:
    """The optimiser's stages as rich progress bars, one line per stage (stderr).

    Args:
        bar: the rich progress display.
    """

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def stage(self, text: str, total: int) -> None:
        """Finish the stage shown and start the next one, with ``total`` steps."""
        if self.task is not None:
            self.bar.update(self.task, completed=self.bar.tasks[-1].total)
        self.task = self.bar.add_task(text, total=max(total, 1), completed=0 if total else 1)

    def advance(self, steps: int) -> None:
        """``steps`` more steps of the current stage are done."""
        if self.task is not None:
            self.bar.advance(self.task, steps)

    def note(self, text: str) -> None:
        """A line above the bars (how long the race may take)."""
        self.bar.console.print(text, highlight=False, soft_wrap=True)


def _value(x: float, objective: str) -> str:
    """A value of the objective in its unit (money, deals, or a chance)."""
    return f"{100 * x:.1f}%" if objective == "p_plan" else fmt(x, objective)


def _diff(x: float, objective: str) -> str:
    """A difference of the objective in its unit, signed."""
    return f"{100 * x:+.1f} pp" if objective == "p_plan" else fmt(x, objective, signed=True)


def outcome_table(outcome: Outcome, currency: str) -> Table:
    """The best plans, best first.

    Args:
        outcome: what the optimiser found.
        currency: the scenario's currency.

    Returns:
        One row per plan: its hires per month, the objective's P50 with P10 -
        P90 and the mean, the paired difference against the first plan
        listed (mean ± SE) and against the baseline (with P(better)), and P(best).
    """
    o = outcome.objective
    table = Table(title=f"{outcome.scenario}: the best hiring plans for {o}; "
                        f"{counted(outcome.candidates, 'plan')} simulated of {count(outcome.scored)} the "
                        f"model scored, {counted(outcome.plan_replications, 'plan-replication')}, "
                        f"seed {outcome.seed}",
                  caption=f"money in {currency}; hires per month: managers (+team leads), month by month, "
                          f"or headcount targets (to N: managers on the month's last day; backfill: every "
                          f"leaver replaced); "
                          f"P(best): the chance the plan is the best of those ranked on the same "
                          f"{counted(outcome.top[0].replications if outcome.top else 0, 'replication')}")
    table.add_column("#", justify="right")
    table.add_column("plan")
    table.add_column(f"hires per month\nfrom {outcome.months[0]}", justify="right")
    table.add_column("hires\nmade", justify="right")
    table.add_column(f"{o}: P50\nP10 - P90", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("vs #1: mean\n± SE", justify="right")
    table.add_column(f"vs {outcome.baseline}: mean\nP10 - P90", justify="right")
    table.add_column("P(better)", justify="right")
    table.add_column("P(best)", justify="right")
    for rank, p in enumerate(outcome.top, 1):
        hires = p.candidate.cells(outcome.months)
        s, d = p.objective, p.vs_baseline
        level = f"[bold]{_value(s['p50'], o)}[/]\n[dim]{_value(s['p10'], o)} - {_value(s['p90'], o)}[/]"
        versus = f"[bold]{_diff(d['mean'], o)}[/]\n[dim]{_diff(d['p10'], o)} - {_diff(d['p90'], o)}[/]"
        behind = "-" if rank == 1 else f"{_diff(p.vs_best['mean'], o)}\n± {_value(p.vs_best['se'], o)}"
        made = f"{p.hires_made:.1f}" + (f"\n[dim]{100 * p.deferred_share:.0f}% deferred[/]"
                                         if p.deferred_share else "")
        table.add_row(str(rank), p.name, hires, made, level, _value(s["mean"], o), behind, versus,
                      f"{100 * d['p_better']:.0f}%", f"[bold]{100 * p.p_best:.0f}%[/]")
    return table


OBJECTIVE_WORDS = {"margin": "margin", "revenue_net": "net revenue",
                   "p_plan": "chance of making the revenue plan", "won": "deals won"}
"""Each objective as the answer's sentence names it."""


def answer(outcome: Outcome, currency: str, min_p_plan: float | None = None) -> str:
    """The search's answer in one sentence: the best plan, what it gives, against the baseline, how sure.

    Args:
        outcome: what the optimiser found.
        currency: the scenario's currency.
        min_p_plan: the ``--min-p-plan`` floor (for the sentence when no plan meets it).

    Returns:
        ``Best plan for margin: opt-1, 2026-07 6: margin 238.0M RUB (P50; P10 - P90 168.0M -
        327.6M), +1.2M RUB against hold (mean), better in 70% of paired replications; the best of
        the 3 listed with a chance of 84%.``
    """
    o = outcome.objective
    if not outcome.top:
        return f"No plan makes the revenue plan with a chance of at least {min_p_plan:g}."
    best = outcome.top[0]
    unit = f" {currency}" if o in ("margin", "revenue_net") else ""
    s, d = best.objective, best.vs_baseline
    level = (f"{_value(s['mean'], o)}" if o == "p_plan" else
             f"{_value(s['p50'], o)}{unit} (P50; P10 - P90 {_value(s['p10'], o)} - {_value(s['p90'], o)})")
    if d["p10"] == d["p90"] == d["mean"] == 0:
        versus = f"the same as {outcome.baseline} in every replication"
    else:
        versus = (f"{_diff(d['mean'], o)}{unit} against {outcome.baseline} (mean), better in "
                  f"{100 * d['p_better']:.0f}% of paired replications")
    return (f"Best plan for {OBJECTIVE_WORDS[o]}: {best.name}, {best.candidate.describe(outcome.months)}: "
            f"{OBJECTIVE_WORDS[o]} {level}, {versus}; the best of the {len(outcome.top)} listed with a "
            f"chance of {100 * best.p_best:.0f}%.")


def _notes(outcome: Outcome, settings: Settings, scenario: Scenario) -> list[str]:
    terms = outcome.terms
    source = f"plan {terms.source}" if terms.source else "a plan's defaults (no plan in the file hires)"
    rounds = ", ".join(f"{k} x {n}" for n, k in outcome.rounds)
    notes = [f"Hiring terms of every candidate, from {source}: {counted(terms.time_to_hire_days, 'day')} "
             f"to hire, {fmt(terms.cost_per_hire, 'hiring_cost')} per hire.",
             f"Race rounds (plans x replications): {rounds}; the model's revenue scale from the "
             f"anchors: {outcome.scale:.2f}"
             + (" (the most-hiring plan gained no net revenue over hiring nobody in the simulation: the "
                "model expects no hire to pay in the horizon, and the race alone tells plans apart)."
                if outcome.scale == 0 else ".")]
    target = RevenuePlan.of(scenario)
    if target.is_set and (settings.objective == "p_plan" or settings.min_p_plan is not None):
        notes.append(f"p_plan: the chance the net revenue {target.period()} reaches the revenue plan, "
                     f"{fmt(target.total, 'revenue_net')} {scenario.currency}.")
    return notes  # no plan at all (none meets --min-p-plan) is the answer, said first


def _parse_months(months: str | None, file: Path) -> tuple[str, ...] | None:
    if months is None:
        return None
    if not any(m.strip() for m in months.split(",")):  # "" or ",": no month at all, not "every month"
        raise fail(InputError(str(file), f"{months!r} names no month; expected months such as "
                              "2026-07,2026-08 (leave --months out for every month)", field="--months"))
    try:
        return tuple(parse_month(m.strip()) for m in months.split(",") if m.strip())
    except ValueError as exc:
        raise fail(InputError(str(file), f"{exc}; expected months such as 2026-07,2026-08",
                              field="--months")) from None


def _parse_amount(text: str | None, file: Path, option: str, what: str,
                  most: float | None = None) -> float | None:
    if text is None:
        return None
    hint = ""
    try:
        amount = parse_number(text)
    except (NumberFormError, ValueError) as exc:
        amount = float("nan")
        hint = "".join(re.findall(r"; did you mean .*$", str(exc)))  # the number parser's guess (1,5; 5 000)
    if not amount >= 0 or (most is not None and amount > most):
        if most == 1.0 and amount > most:
            hint = percent_hint(amount)  # a chance written as a percentage: 80 for 0.8
        raise fail(InputError(str(file), f"expected {what}, got {text!r}{hint}", field=option))
    return float(amount)


def optimize_command(
    file: FileArg,
    objective: Annotated[Objective, typer.Option("--objective", help="what to maximise")] = "margin",
    months: Annotated[str | None, typer.Option(
        "--months", help="months hires may open in, e.g. 2026-07,2026-08 (default: every month "
                         "whose hires join inside the horizon)")] = None,
    max_hires_per_month: Annotated[int | None, typer.Option(
        "--max-hires-per-month", min=0, help="hires (managers and team leads) opened in one month")] = None,
    max_headcount: Annotated[int | None, typer.Option(
        "--max-headcount", min=0, help="managers on the team at any time (nobody leaving)")] = None,
    budget: Annotated[str | None, typer.Option(
        "--budget", help="most the hires may commit: cost per hire plus their salaries to the "
                         "horizon's end, in the scenario's currency (e.g. 3M)")] = None,
    min_p_plan: Annotated[str | None, typer.Option(
        "--min-p-plan", help="least chance of making the revenue plan, e.g. 0.6 or 60%")] = None,
    team_leads: Annotated[bool, typer.Option(
        "--team-leads", help="also decide team leads hired per month")] = False,
    targets: Annotated[bool, typer.Option(
        "--targets/--no-targets", help="also search headcount targets (headcount: N per month, "
                                       "backfill: true)")] = True,
    replications: RepsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="plans to return")] = 3,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="write a copy of the scenario with these plans added")] = None,
    format: FormatOpt = "table",
    engine: EngineOpt = DEFAULT_ENGINE,
    terms: Annotated[str | None, typer.Option(
        "--terms", help="plan whose time to hire and cost per hire candidates use "
                        "(default: the first plan that hires, hires per month, headcount "
                        "targets or backfill)")] = None,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Find the best hiring plans under the span rule, with the chance that each is the best.

    Args:
        file: the scenario YAML file.
        objective: ``margin``, ``revenue_net``, ``p_plan`` or ``won``.
        months: the months hires may open in (None: all that join in the horizon).
        max_hires_per_month: hires opened in one month (None: no limit).
        max_headcount: managers at any time (None: no limit).
        budget: the hires' committed cost (None: no limit).
        min_p_plan: the floor on p_plan (None: none).
        team_leads: team leads are decision variables too.
        targets: headcount-target plans are searched too.
        replications: the most replications a plan gets (None: the scenario's).
        seed: override the scenario's.
        workers: worker processes (None: all cores).
        top: plans to return.
        output: write the scenario with the plans added here.
        format: ``table`` or ``json``.
        engine: ``fast`` or ``des``.
        terms: the plan whose hiring terms candidates use.
        executor: ``local`` (this machine's processes) or ``dask``.
        scheduler: a Dask scheduler's address (with ``dask``; None: a local cluster).

    Raises:
        typer.Exit: bad input (status 2).
    """
    scenario = load(file)
    limits = Limits(months=_parse_months(months, file), max_hires_per_month=max_hires_per_month,
                    max_headcount=max_headcount,
                    budget=_parse_amount(budget, file, "--budget", "an amount >= 0 such as 3M"),
                    team_leads=team_leads)
    floor = _parse_amount(min_p_plan, file, "--min-p-plan", "a chance in [0, 1] such as 0.6 or 60%", 1.0)
    check_executor(executor, scheduler)
    n_workers = workers or default_workers()
    if output is not None and output.exists() and output.is_dir():
        raise fail(InputError(str(file), f"{output} is a folder; expected a file name such as plans.yaml",
                              field="-o"))
    if scheduler is None:
        prepare_engine(engine, [scenario.routing.policy])
    # One executor runs every candidate's batches: started once, closed at the end.  Locally, one
    # worker (or one replication at a time) runs in this process, as before.
    local_single = executor == "local" and n_workers <= 1
    with contextlib.ExitStack() as stack:
        chosen = None if local_single else stack.enter_context(
            started_executor(executor, scheduler, n_workers, replications or scenario.replications))
        settings = Settings(objective=objective, limits=limits, min_p_plan=floor, replications=replications,
                            seed=seed, workers=n_workers, top=top, engine=engine, terms_plan=terms,
                            executor=chosen, targets=targets)
        outcome = _search(scenario, settings, file, format)
    _show(outcome, settings, scenario, file, output, format, objective)


def _search(scenario: Scenario, settings: Settings, file: Path, format: str) -> Outcome:
    """Run the search with a progress bar on stderr; bad settings become a clear error (exit 2)."""
    with progress_display("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False,
                          disable=format == "json") as bar:
        try:
            return optimize(scenario, settings, StageBar(bar))
        except OptimizeError as exc:
            raise fail(InputError(str(file), str(exc), field=exc.option)) from None
        except WorkerLost as exc:
            raise fail(f"{exc}. If the machine ran out of memory, run fewer --workers; nothing was "
                       "written") from None


def _show(outcome: Outcome, settings: Settings, scenario: Scenario, file: Path, output: Path | None,
          format: str, objective: str) -> None:
    """Print the plans found (table or JSON) and write the scenario with them added (``-o``)."""
    if format == "json":
        document, target = outcome.document(), RevenuePlan.of(scenario)
        if target.is_set:  # what p_plan and --min-p-plan are measured on, as run's summary says it
            document |= {"revenue_plan": target.total, "p_plan_on": target.targeted}
        typer.echo(to_json(clean(document)))
    else:
        said = answer(outcome, scenario.currency, settings.min_p_plan)
        out.print(Text.assemble(("Answer:", "bold"), " ", said), highlight=False)
        out.print()
        out.print(outcome_table(outcome, scenario.currency))
        for note in _notes(outcome, settings, scenario):
            out.print(note, highlight=False)
    if output is not None and outcome.top:
        note = (f"added by simsales optimize --objective {objective} (seed {outcome.seed}): "
                f"{', '.join(f'{p.name} P(best) {p.p_best:.2f}' for p in outcome.top)}")
        text = with_plans(file.read_text(encoding="utf-8"), [p.plan for p in outcome.top], str(file), note)
        atomic_write_text(output, text)
        added = ", ".join(p.name for p in outcome.top)
        (out if format == "table" else err).print(f"wrote {output}: {file.name} with {added} added",
                                                  highlight=False)


def register(app: typer.Typer) -> None:
    """Add `simsales optimize` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="optimize", help=command_help(optimize_command))(optimize_command)
