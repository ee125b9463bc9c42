"""`simsales funnel`: the funnel calculator (pure arithmetic on stage conversions, no simulation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from simsales.analysis import funnel_calc as fc
from simsales.analysis import funnel_scenario as fs
from simsales.cli.common import FormatOpt, check_plans, command_help, fail, load, out
from simsales.cli.common import simulate as run_replications
from simsales.engines import DEFAULT_ENGINE
from simsales.report.units import counted, money, whole
from simsales.scenario.limits import MAX_REPLICATIONS

DEFAULT_DELTA = "1%"
"""The change ``--delta`` compares when not given: one percentage point."""


STAGE_FIELDS = {
    "lead_to_contact": "touch_chain.p_contact",
    "contact_to_qualified": "funnel.qualify, channels[*].quality and nontarget_share",
    "qualified_to_offer": "funnel.offer.p",
    "offer_to_paid": "funnel.invoice_paid.p, link_filled.p and bank_approved.p",
}
"""Scenario fields each stage of :func:`scenario_stages` is computed from (for errors)."""


def pct(x: float) -> str:
    """A conversion as a percentage with three significant digits: 0.26667 -> '26.7%'.

    Args:
        x: a conversion (a share).

    Returns:
        The percentage.
    """
    return f"{100 * x:.3g}%"


def req(x: float) -> str:
    """A required conversion; above 100% it cannot be reached.

    Args:
        x: the conversion a stage must reach (a share, may exceed 1).

    Returns:
        The percentage, marked impossible above 100%.
    """
    return pct(x) if x <= 1.0 else f"[red]impossible ({pct(x)})[/]"


def stages_table(stages: list[fc.Stage], source: str) -> Table:
    """The stages and their product.

    Args:
        stages: the funnel, in order.
        source: where the stages come from, for the title.

    Returns:
        One row per stage and one for the end-to-end conversion.
    """
    table = Table(title=Text(f"Funnel ({source})", style="table.title"))
    table.add_column("stage")
    table.add_column("conversion", justify="right")
    for s in stages:
        table.add_row(Text(s.name), pct(s.rate))
    table.add_row("[bold]end to end[/]", f"[bold]{pct(fc.end_to_end(stages))}[/]")
    return table


def equivalence_table(rows: list[dict], delta: float, skipped: dict[str, str] | None = None) -> Table:
    """What a change in one stage is worth in every other.

    Args:
        rows: :func:`~simsales.analysis.funnel_calc.equivalence_rows`.
        delta: the change of one stage, absolute (0.01 = one point).
        skipped: the stages that cannot move by ``delta``, and why (said in the caption).

    Returns:
        One row per pair: the change in one stage, and what another must reach instead.
    """
    table = Table(title=f"Equivalences: a {100 * delta:+.3g} point change in one stage is worth "
                        "the same as another stage reaching")
    for name, justify in (("change", "left"), ("end to end", "right"), ("same as", "left"),
                          ("must reach", "right")):
        table.add_column(name, justify=justify)
    for row in rows:
        change = f"{row['stage']} {pct(row['from'])} -> {pct(row['to'])}"
        for i, (other, rate) in enumerate(row["match"].items()):
            table.add_row(Text(change if i == 0 else ""), pct(row["end_to_end"]) if i == 0 else "",
                          Text(other), req(rate), end_section=i == len(row["match"]) - 1)
    if skipped:
        table.caption = Text("Not moved: " + "; ".join(f"{name} {why}" for name, why in skipped.items())
                             + " (--delta chooses the change)", style="table.caption")
    return table


def goal_table(stages: list[fc.Stage], target: float, title: str) -> Table:
    """What each stage alone must reach for the goal, or, when it is met, may fall to.

    Args:
        stages: the funnel, in order.
        target: the end-to-end conversion the goal needs.
        title: the table's title (says what the goal is).

    Returns:
        One row per stage: now, must reach (or may fall to, when the goal is
        already met), and the relative change (``+64%``, ``-39%``).
    """
    need = fc.goal_rates(stages, target)
    met = fc.end_to_end(stages) >= target
    table = Table(title=title)
    table.add_column("stage alone")
    table.add_column("now", justify="right")
    table.add_column("may fall to" if met else "must reach", justify="right")
    table.add_column("change", justify="right")
    for s in stages:
        table.add_row(Text(s.name), pct(s.rate), req(need[s.name]), f"{need[s.name] / s.rate - 1:+.0%}")
    return table


def goal_text(status: dict, kind: str) -> str:
    """The goal in plain words: already met and by how much, or how far off and what it takes.

    Args:
        status: :func:`~simsales.analysis.funnel_calc.goal_status`.
        kind: ``revenue`` or ``conversion``.

    Returns:
        Two or three sentences; money short, in the currency.
    """
    now, need, factor = status["now"], status["need"], status["factor"]
    if kind == "revenue":
        head = (f"revenue {money(status['goal'])} needs {pct(need)} end to end "
                f"({counted(status['volume'], 'entry', 'entries', number=whole)} at {money(status['check'])} "
                f"per deal); the funnel converts {pct(now)}, which brings {money(status['revenue_now'])}")
    else:
        head = f"{pct(need)} end to end needed; the funnel converts {pct(now)}"
    if status["met"]:
        over = (f": {money(status['surplus'], signed=True)} ({now / need - 1:.0%}) over the goal"
                if kind == "revenue" else f", {now / need - 1:.0%} above it")
        return (f"Goal already met: {head}{over}. Each stage alone could fall to the value below "
                f"and the goal would still hold.")
    short = f": {money(-status['surplus'])} short" if kind == "revenue" else ""
    volume = (f", or the volume alone must grow {factor - 1:.0%}, to "
              + counted(status["volume_needed"], "entry", "entries", number=whole)
              if kind == "revenue" else "")
    return (f"Goal not met: {head}{short}. One stage alone must grow {factor - 1:.0%}, to the value "
            f"below{volume}.")


def answer_text(stages: list[fc.Stage], rows: list[dict], delta: float, basis: str) -> str:
    """The answer the command leads with: the end-to-end conversion, and where a change does most.

    Args:
        stages: the funnel, in order.
        rows: :func:`~simsales.analysis.funnel_calc.equivalence_rows` (at least one).
        delta: the change of one stage, absolute (0.01 = one point).
        basis: what the stages are, in words (``"from the scenario's means, ..."``).

    Returns:
        One sentence, or two.
    """
    best = max(rows, key=lambda row: row["end_to_end"])
    ties = [row["stage"] for row in rows if row["end_to_end"] >= best["end_to_end"] * (1 - 1e-12)]
    where = " and ".join(ties) if len(ties) > 1 else best["stage"]
    return (f"Answer: {pct(fc.end_to_end(stages))} end to end ({basis}). A {100 * delta:+.3g} point change "
            f"does most at {where} ({pct(best['end_to_end'])} end to end).")


def parse_goal(text: str, volume: float | None, check: float | None) -> tuple[str, float]:
    """Read ``--goal``: ``revenue=15M``, ``conversion=1%`` or a bare number.

    Args:
        text: the goal as typed.
        volume: ``--volume``, if given (then a bare number is revenue).
        check: ``--check``, if given (then a bare number is revenue).

    Returns:
        ``("revenue", amount in currency)`` or ``("conversion", share)``.

    Raises:
        CalcError: not a goal, or a revenue goal that is not positive.
    """
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


def funnel_command(
    file: Annotated[Path | None, typer.Argument(help="scenario YAML file (or give --stage)")] = None,
    stage: Annotated[list[str] | None, typer.Option(
        "--stage", help="NAME=CONVERSION in funnel order, e.g. visit_to_lead=3% (repeat)")] = None,
    delta: Annotated[str | None, typer.Option(
        help=f"the change to compare, in points: 1% = 0.01 (default {DEFAULT_DELTA})")] = None,
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
    """Funnel calculator: end-to-end conversion, stage equivalences, what a goal needs.

    Args:
        file: a scenario YAML file to take the stages from (or give ``stage``).
        stage: ``NAME=CONVERSION`` in funnel order.
        delta: the change to compare, in points (1% = 0.01).
        goal: ``revenue=AMOUNT`` (currency) or ``conversion=RATE`` (end to end).
        volume: entries into the first stage over the goal's period.
        check: net money per paid deal (currency).
        simulate: with ``file``: take the stages from a quick run of this many replications.
        plan: with ``simulate``: the plan to run.
        format: ``table`` or ``json``.

    Raises:
        typer.Exit: bad input (status 2).
    """
    try:
        if (file is None) == (not stage):
            raise fc.CalcError("--stage", "give a scenario FILE or --stage NAME=VALUE (not both)")
        d = fc.parse_number(delta or DEFAULT_DELTA, "--delta")
        vol = fc.parse_number(volume, "--volume") if volume is not None else None
        chk = fc.parse_number(check, "--check") if check is not None else None
        if file is None:
            if simulate is not None or plan is not None:
                raise fc.CalcError("--simulate" if simulate else "--plan", "needs a scenario FILE")
            stages, source = fc.parse_stages(stage), "from the command line"
            basis = "the product of the stages given"
        else:
            if plan is not None and simulate is None:
                raise fc.CalcError("--plan", "only with --simulate")
            scenario = load(file)
            if simulate is None:
                stages, source = fs.scenario_stages(scenario), f"{file}: expected, from the means"
                basis = ("from the scenario's means, every attempt of the touch chain made on time: what "
                         "the funnel gives when the team has the time; --simulate N measures it with the "
                         "team's time")
            else:
                first = check_plans(scenario, file, [plan])[0] if plan else scenario.plans[0].name
                if MAX_REPLICATIONS.exceeded(simulate):
                    raise fc.CalcError("--simulate", MAX_REPLICATIONS.message(simulate))
                # As `run` runs: the memory and time estimate first (a run that cannot fit is refused).
                result = run_replications(scenario, [first], simulate, None, DEFAULT_ENGINE, None,
                                          quiet=format == "json")
                stages = fs.observed_stages(result.summary()[first])
                source = f"{file}: observed, plan {first}, {counted(simulate, 'replication')}"
                basis = (f"measured: plan {first}, {counted(simulate, 'replication')}, the team's time "
                         "included")
            vol = vol if vol is not None else fs.expected_leads(scenario)
            chk = chk if chk is not None else fs.net_check(scenario)
        try:
            rows, skipped = fc.equivalence_rows(stages, d)
        except fc.CalcError as exc:  # a stage at 0: blame where the stages came from
            if file is None:
                raise
            zero = next(s.name for s in stages if s.rate <= 0)
            raise fc.CalcError(str(file), f"{STAGE_FIELDS[zero]}: {exc.message}; "
                                          "expected a funnel every lead can get through") from None
        if not rows:  # blame what the user typed: --delta, else the stages (or the file)
            option = "--delta" if delta is not None else "--stage" if file is None else str(file)
            raise fc.CalcError(option, f"no stage can move by {delta or DEFAULT_DELTA}: "
                                       f"{'; '.join(f'{n} {w}' for n, w in skipped.items())}; give a "
                                       "--delta that keeps one in (0%, 100%], e.g. --delta -1%")
        answer = answer_text(stages, rows, d, basis)
        document: dict = {"answer": answer, "stages": {s.name: s.rate for s in stages},
                          "end_to_end": fc.end_to_end(stages), "source": source, "equivalences": rows,
                          **({"equivalences_skipped": skipped} if skipped else {})}
        tables: list[Table | Text] = [Text(answer), stages_table(stages, source),
                                      equivalence_table(rows, d, skipped)]
        if goal is not None:
            kind, amount = parse_goal(goal, vol, chk)
            if kind == "revenue":
                if vol is None or chk is None:
                    raise fc.CalcError("--volume" if vol is None else "--check",
                                       "a revenue goal needs --volume and --check")
                target = fc.conversion_for_revenue(amount, vol, chk)
                status = fc.goal_status(stages, target, vol, chk)
            else:
                target, status = amount, fc.goal_status(stages, amount)
            document["goal"] = {"kind": kind, "value": amount, "end_to_end": target,
                                "stages": fc.goal_rates(stages, target), **status}
            text = goal_text(status, kind)
            if file is not None and simulate is None:
                text += (" On the means with time for every attempt; `simsales run` gives the chance of "
                         "making it with the team's time.")
            document["goal"]["text"] = text
            tables.insert(1, Text(text))  # the goal's answer, right after the funnel's
            tables.append(goal_table(stages, target, "Goal: what each stage alone may fall to"
                                     if status["met"] else "Goal: what each stage alone must reach"))
    except fc.CalcError as exc:
        raise fail(str(exc)) from None
    if format == "json":
        typer.echo(json.dumps(document, indent=2))
        return
    for table in tables:
        out.print(table, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `simsales funnel` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="funnel", help=command_help(funnel_command))(funnel_command)
