"""`simsales baseline` and `simsales check`: regression checks on scenario outputs in CI.

Exit status of ``check``: 0 every metric passes, 1 a metric moved (or the same
inputs did not reproduce the same numbers), 2 bad input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from simsales.analysis import regression
from simsales.analysis.baselines import (
    Baseline,
    baseline_document,
    check_same_scenario,
    load_baseline,
    scenario_digest,
)
from simsales.analysis.regression import Report, Row
from simsales.cli.common import (
    EngineName,
    EngineOpt,
    ExecutorOpt,
    FileArg,
    SchedulerOpt,
    SeedOpt,
    WorkersOpt,
    command_help,
    fail,
    literal,
    load,
    out,
    simulate,
)
from simsales.engines import DEFAULT_ENGINE, ENGINE_NAMES
from simsales.montecarlo.metrics import KEY_METRICS, METRICS
from simsales.report.files import write_baseline, write_problem
from simsales.report.units import count, counted, fmt
from simsales.scenario.loader import InputError


def _pct(x: float | None) -> str:
    """A relative change as a signed percentage ('-' when missing)."""
    if x is None:
        return "-"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.1%}"


def _p(p: float | None) -> str:
    return "-" if p is None else ("<1e-12" if p < 1e-12 else f"{p:.2g}")


def diff_table(plan: str, rows: list[Row], title: str) -> Table:
    """One plan's metrics against the baseline.

    Args:
        plan: the plan.
        rows: its rows of the comparison.
        title: what the test is (after the plan's name).

    Returns:
        metric | baseline | now | change | p | tol | verdict, values in the
        metric's unit (means over replications); failed rows in red.
    """
    table = Table(title=f"plan {literal(plan)}: {title}", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in ("baseline", "now", "change", "p", "tol"):
        table.add_column(name, justify="right")
    table.add_column("verdict", no_wrap=True)
    for row in rows:
        style = "bold red" if row.failed else ("yellow" if row.verdict.startswith("ok:") else None)
        tol = "-" if row.tolerance is None else f"{100 * row.tolerance:g}%"
        table.add_row(row.metric, _value(row.baseline, row.metric), _value(row.now, row.metric),
                      _change(row), _p(row.p_value), tol, row.verdict, style=style)
    return table


def mode_title(report: Report) -> str:
    """What the comparison tested, for the tables' titles.

    Args:
        report: the comparison.

    Returns:
        The exact-match rule, or the test with its Bonferroni threshold.
    """
    if report.mode == "reproduction":
        return "same inputs, so every replication must match exactly"
    test = ("paired t-test (same seed: common random numbers)" if report.mode == "paired"
            else "Welch t-test (different seeds)")
    return (f"{test}; moved = p < {report.alpha:g}/{report.tests} (Bonferroni) "
            "and |change| > tol")


def first_mismatch(base: Baseline, now: Baseline, plan: str, metric: str) -> tuple[int, Any, Any] | None:
    """The first replication where a metric differs, for the failure message.

    Args:
        base: the baseline.
        now: this run's baseline document, validated.
        plan: the plan.
        metric: the metric.

    Returns:
        (replication, baseline value, new value), or None when all match.
    """
    if plan not in base.plans or plan not in now.plans:
        return None
    for r, (a, b) in enumerate(zip(base.plans[plan].replications.get(metric, []),
                                   now.plans[plan].replications.get(metric, []), strict=False)):
        if a != b:
            return r, a, b
    return None


def _value(value: float | None, metric: str) -> str:
    """A value of a metric in its unit; ``p_plan``, a share, as a percentage."""
    if metric == "p_plan":
        return "-" if value is None else f"{value:.1%}"
    return fmt(value, metric)


def _change(row: Row) -> str:
    """A row's change: relative, or for ``p_plan`` (a share) in percentage points."""
    if row.metric == "p_plan" and row.baseline is not None and row.now is not None:
        return f"{100 * (row.now - row.baseline):+.1f} pp"
    return _pct(row.change)


def _named(rows: list[Row]) -> str:
    return ", ".join(f"{r.plan}.p_plan {_value(r.baseline, r.metric)} -> {_value(r.now, r.metric)}"
                     if r.metric == "p_plan" else f"{r.plan}.{r.metric} {_pct(r.change)}" if r.metric != "-"
                     else f"{r.plan} ({r.verdict})" for r in rows)


def verdict_line(report: Report, base: Baseline, now: Baseline, tolerances: dict[str, float]) -> str:
    """The check's answer, in one line: PASS, or FAIL and what moved (rich markup).

    Args:
        report: the comparison.
        base: the baseline.
        now: this run's baseline document, validated.
        tolerances: the ``--tolerance`` overrides (to retest a failed reproduction).

    Returns:
        ``PASS: N metric checks, none moved`` (a reproduction: ``all N ... matched exactly``), or
        ``FAIL: ...`` naming the plans of one side only and what moved.
    """
    failed = report.failed
    if not failed:
        checks = counted(report.tests, "metric check")
        said = f"{checks}, none moved" if report.mode != "reproduction" else \
            f"all {checks} matched exactly" if report.tests > 1 else f"{checks}, matched exactly"
        return f"[green]PASS[/]: {said}"
    if report.mode == "reproduction" and report.metrics_failed:
        metrics = report.metrics_failed
        row = metrics[0]
        where = first_mismatch(base, now, row.plan, row.metric)
        detail = f" (first: {row.plan}.{row.metric} at replication {where[0]}: {where[1]} -> {where[2]})" \
            if where else ""
        moved = _named(regression.compare(base, now, tolerances, report.alpha, exact=False).failed)
        inputs = "scenario, pipeline export" if now.scenario.pipeline_sha256 else "scenario"
        return (f"[bold red]FAIL[/]: {literal(_plans_said(report))}not reproduced: same simsales, "
                f"{inputs}, seed and engine, but {counted(len(metrics), 'metric')} "
                f"{'differs' if len(metrics) == 1 else 'differ'}"
                f"{literal(detail)}. As a change, tested statistically: "
                f"{literal('moved: ' + moved) if moved else 'nothing moved'}. If simsales changed "
                "on purpose, rerun with --update.")
    return (f"[bold red]FAIL[/]: {literal(_plans_said(report) + _moved_said(report))}. "
            "If the change is intended, rerun with --update and say why in the changelog.")


def print_report(report: Report, base: Baseline, now: Baseline, tolerances: dict[str, float],
                 show_all: bool, inputs: str) -> None:
    """Print the verdict first (PASS or FAIL), then what changed in the inputs, then one table per plan.

    Args:
        report: the comparison.
        base: the baseline.
        now: this run's baseline document, validated.
        tolerances: the ``--tolerance`` overrides (to retest a failed reproduction).
        show_all: show every metric, not only the key ones and those that failed.
        inputs: the line saying what changed between the baseline's inputs and this run's.
    """
    out.print(verdict_line(report, base, now, tolerances), highlight=False)
    out.print(literal(inputs), highlight=False)
    if report.mode != "welch" and base.replications != now.replications:  # paired: replication r with r
        common = min(base.replications, now.replications)
        out.print(f"compared replication by replication: the first {counted(common, 'replication')} "
                  f"of each (the baseline has {base.replications}, this run {now.replications})",
                  highlight=False)
    for plan in sorted({row.plan for row in report.rows}):
        rows = [r for r in report.rows if r.plan == plan
                and (show_all or r.failed or r.metric in KEY_METRICS or r.verdict in ("new", "gone"))]
        out.print(diff_table(plan, rows, mode_title(report)))


def _plans_said(report: Report) -> str:
    """The plans of one side only, said apart from the metric checks (empty when both have the same plans).

    Args:
        report: the comparison.

    Returns:
        ``'plan grow is in the baseline but not in this run; '``, one clause per side.
    """
    said = []
    for verdict, where in (("plan removed", "in the baseline but not in this run"),
                           ("plan added", "in this run but not in the baseline")):
        plans = report.plans(verdict)
        if plans:
            said.append(f"{'plan' if len(plans) == 1 else 'plans'} {', '.join(plans)} "
                        f"{'is' if len(plans) == 1 else 'are'} {where}; ")
    return "".join(said)


def _moved_said(report: Report) -> str:
    """How many of the metric checks moved and which, then any ``p_plan`` against a new revenue plan.

    Args:
        report: the comparison (a change, not a reproduction).

    Returns:
        ``'1 of 67 metric checks moved: hold.won +5.0%'``, or ``'none of the 67 metric checks moved'``.
    """
    metrics, p_plans = report.metrics_failed, [r for r in report.failed if r.metric == "p_plan"]
    checks = counted(report.tests, "metric check")
    said = [f"{count(len(metrics))} of {checks} moved: {_named(metrics)}" if metrics
            else f"none of the {checks} moved" if report.tests else "no plan to test in both"]
    if p_plans:
        said.append(f"the chance of making the new revenue plan changed: {_named(p_plans)}")
    return "; ".join(said)


def baseline_command(
    file: FileArg,
    out_path: Annotated[Path | None, typer.Option(
        "--out", "-o", help="where to write it (default: baselines/STEM.json)")] = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, help="replications to record (default: the scenario's; "
        "fewer keeps `check` quick)")] = None,
    engine: EngineOpt = DEFAULT_ENGINE,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Run the scenario with its seed and write a baseline for `simsales check`.

    Args:
        file: the scenario YAML file.
        out_path: where to write it (None: ``baselines/STEM.json``).
        replications: replications to record (None: the scenario's).
        engine: ``fast`` or ``des``.
        workers: worker processes (None: all cores).
        executor: ``local`` or ``dask``.
        scheduler: a Dask scheduler's address (None: a local cluster).

    Raises:
        typer.Exit: bad input (status 2).
    """
    scenario = load(file)
    path = out_path or Path("baselines") / f"{file.stem}.json"
    check_baseline_path(path, len(scenario.plans) * (replications or scenario.replications), "--out")
    result = simulate(scenario, None, replications, None, engine, workers,
                      executor=executor, scheduler=scheduler)
    write_baseline(path, baseline_document(result, file, scenario.pipeline))
    out.print(f"wrote {literal(path)}: {literal(repr(scenario.name))}, "
              f"{counted(len(result.plans), 'plan')} x {counted(result.replications, 'replication')}, "
              f"seed {result.seed}, engine {engine}",
              highlight=False)


BASELINE_BYTES_PER_VALUE = 32
"""Room one metric of one replication takes in a baseline file, bytes (a JSON number and its comma)."""


def check_baseline_path(path: Path, plan_replications: int, option: str) -> None:
    """Refuse, before the run, a baseline path that cannot be written.

    Args:
        path: the baseline file.
        plan_replications: plans x replications it will record.
        option: the option that named it, for the error.

    Raises:
        typer.Exit: it is a folder, its folder cannot be written, or the
            disk is short of room (status 2; the error is printed).
    """
    try:
        if path.is_dir():
            raise fail(f"{option}: {path} is a folder")
        problem = write_problem(path.parent, plan_replications * len(METRICS) * BASELINE_BYTES_PER_VALUE)
    except OSError as exc:  # a name too long, a path through a file, ...
        raise fail(f"{option} {path}: cannot be written: {exc.strerror or exc}") from None
    if problem is not None:
        raise fail(f"{option} {path}: {problem}")


def check_command(
    file: FileArg,
    baseline_path: Annotated[Path, typer.Option("--baseline", "-b", help="baseline JSON file")],
    tolerance: Annotated[list[str] | None, typer.Option(
        "--tolerance", "-t", help="METRIC=REL or FAMILY=REL (repeat), e.g. revenue_net=0.05 or "
        f"team=10%; families: {', '.join(regression.FAMILIES)}")] = None,
    update: Annotated[bool, typer.Option("--update", help="rewrite the baseline with this run "
                                                          "(on purpose: the numbers moved)")] = False,
    seed: SeedOpt = None,
    replications: Annotated[int | None, typer.Option(
        "--replications", "-n", min=2, help="replications (default: the baseline's)")] = None,
    engine: Annotated[EngineName | None, typer.Option(
        "--engine", help="engine (default: the baseline's)")] = None,
    alpha: Annotated[float, typer.Option("--alpha", min=1e-12, max=0.5,
                                         help="family-wise significance level")] = regression.ALPHA,
    show_all: Annotated[bool, typer.Option("--all", help="show every metric, not only the key "
                                                         "ones and those that failed")] = False,
    workers: WorkersOpt = None,
    executor: ExecutorOpt = "local",
    scheduler: SchedulerOpt = None,
) -> None:
    """Rerun the scenario and compare every metric of every plan with a baseline.

    Args:
        file: the scenario YAML file.
        baseline_path: the baseline JSON file.
        tolerance: ``METRIC=REL`` or ``FAMILY=REL`` overrides of the relative tolerances.
        update: rewrite the baseline with this run.
        seed: override the scenario's.
        replications: override the baseline's.
        engine: override the baseline's.
        alpha: family-wise significance level.
        show_all: show every metric, not only the key ones and those that failed.
        workers: worker processes (None: all cores).
        executor: ``local`` or ``dask``.
        scheduler: a Dask scheduler's address (None: a local cluster).

    Raises:
        typer.Exit: status 1 when a metric moved or the same inputs did not
            reproduce, 2 on bad input.
    """
    scenario = load(file)
    base: Baseline | None = None
    try:
        tolerances = regression.parse_tolerances(tolerance, set(METRICS))
        if not (update and not baseline_path.exists()):
            base = load_baseline(baseline_path)
            check_same_scenario(base, scenario.name, baseline_path, plans=[p.name for p in scenario.plans],
                                digest=scenario_digest(file))
            if engine is None and base.engine not in ENGINE_NAMES:
                raise InputError(str(baseline_path), f"made with engine {base.engine!r}, which this "
                                 f"simsales does not have; pass --engine", field="engine")
    except InputError as exc:
        raise fail(exc) from None
    reps = replications or (base.replications if base else None)
    if update:
        check_baseline_path(baseline_path, len(scenario.plans) * (reps or scenario.replications),
                            "--baseline")
    result = simulate(scenario, None, reps, seed, engine or (base.engine if base else DEFAULT_ENGINE),
                      workers, executor=executor, scheduler=scheduler)
    document = baseline_document(result, file, scenario.pipeline)
    failed = False
    if base is not None:
        now = Baseline.model_validate(document)
        said = regression.differences(base, now)
        report = regression.compare(base, now, tolerances, alpha)
        print_report(report, base, now, tolerances, show_all,
                     f"{file} vs {baseline_path}: " + ("; ".join(said) if said else "same inputs"))
        failed = bool(report.failed)
    if update:
        write_baseline(baseline_path, document)
        out.print(f"updated {literal(baseline_path)}", highlight=False)
    elif failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `simsales baseline` and `simsales check` to the app.

    Args:
        app: the Typer app.
    """
    app.command(name="baseline", help=command_help(baseline_command))(baseline_command)
    app.command(name="check", help=command_help(check_command))(check_command)
