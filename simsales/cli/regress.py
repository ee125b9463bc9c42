"""`simsales baseline` and `simsales check`: regression checks on scenario outputs in CI.

Exit status of ``check``: 0 every metric passes, 1 a metric moved (or the same
inputs did not reproduce the same numbers), 2 bad input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from simsales.analysis import regression
from simsales.analysis.regression import Baseline, Report, Row
from simsales.cli.run import WorkersOpt, fmt, simulate
from simsales.engines import DEFAULT_ENGINE, ENGINE_NAMES
from simsales.montecarlo.metrics import KEY_METRICS, METRICS
from simsales.scenario.loader import InputError

# The vectorised engine is the documented default (see cli.ENGINE_HELP); the
# reference engine stands in where it is not registered.

FileArg = Annotated[Path, typer.Argument(help="scenario YAML file")]
EngineChoice = Literal["fast", "des"]


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.1%}"


def _p(p: float | None) -> str:
    return "-" if p is None else ("<1e-12" if p < 1e-12 else f"{p:.2g}")


def diff_table(plan: str, rows: list[Row], title: str) -> Table:
    """metric | baseline | now | change | p | tol | verdict (means over replications)."""
    table = Table(title=f"plan {plan}: {title}", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in ("baseline", "now", "change", "p", "tol"):
        table.add_column(name, justify="right")
    table.add_column("verdict", no_wrap=True)
    for row in rows:
        style = "bold red" if row.failed else ("yellow" if row.verdict.startswith("ok:") else None)
        tol = "-" if row.tolerance is None else f"{100 * row.tolerance:g}%"
        table.add_row(row.metric, fmt(row.baseline, row.metric), fmt(row.now, row.metric),
                      _pct(row.change), _p(row.p_value), tol, row.verdict, style=style)
    return table


def mode_title(report: Report) -> str:
    if report.mode == "reproduction":
        return "same inputs, so every replication must match exactly"
    test = ("paired t-test (same seed: common random numbers)" if report.mode == "paired"
            else "Welch t-test (different seeds)")
    return (f"{test}; moved = p < {report.alpha:g}/{report.tests} (Bonferroni) "
            "and |change| > tol")


def first_mismatch(base: Baseline, now: Baseline, plan: str, metric: str) -> tuple[int, Any, Any] | None:
    """(replication, baseline value, new value) of the first difference, for the failure message."""
    for r, (a, b) in enumerate(zip(base.plans[plan].replications[metric],
                                   now.plans[plan].replications[metric], strict=False)):
        if a != b:
            return r, a, b
    return None


def _named(rows: list[Row]) -> str:
    return ", ".join(f"{r.plan}.{r.metric} {_pct(r.change)}" if r.metric != "-"
                     else f"{r.plan} ({r.verdict})" for r in rows)


def print_report(report: Report, base: Baseline, now: Baseline, tolerances: dict[str, float],
                 show_all: bool) -> None:
    """The diff tables, one per plan, and a one-line verdict."""
    from simsales.cli import out

    for plan in sorted({row.plan for row in report.rows}):
        rows = [r for r in report.rows if r.plan == plan
                and (show_all or r.failed or r.metric in KEY_METRICS or r.verdict in ("new", "gone"))]
        out.print(diff_table(plan, rows, mode_title(report)))
    failed = report.failed
    if not failed:
        out.print(f"[green]PASS[/]: {report.tests} metric checks, none moved", highlight=False)
    elif report.mode == "reproduction":
        row = failed[0]
        where = first_mismatch(base, now, row.plan, row.metric)
        detail = f" (first: {row.plan}.{row.metric} at replication {where[0]}: {where[1]} -> {where[2]})" \
            if where else ""
        moved = _named(regression.compare(base, now, tolerances, report.alpha, exact=False).failed)
        out.print(f"[bold red]FAIL[/]: not reproduced: same simsales, scenario, seed and engine, but "
                  f"{len(failed)} metric(s) differ{detail}. As a change, tested statistically: "
                  f"{'moved: ' + moved if moved else 'nothing moved'}. If simsales changed on purpose, "
                  "rerun with --update.", highlight=False)
    else:
        out.print(f"[bold red]FAIL[/]: {len(failed)} of {report.tests} moved: {_named(failed)}. If the "
                  "change is intended, rerun with --update and say why in the changelog.", highlight=False)


def register(app: typer.Typer) -> None:
    from simsales.cli import fail, load, out

    @app.command()
    def baseline(
        file: FileArg,
        out_path: Annotated[Path | None, typer.Option(
            "--out", "-o", help="where to write it (default: baselines/STEM.json)")] = None,
        replications: Annotated[int | None, typer.Option(
            "--replications", "-n", min=2, help="replications to record (default: the scenario's; "
            "fewer keeps `check` quick)")] = None,
        engine: Annotated[EngineChoice, typer.Option("--engine", help="engine to run")] = DEFAULT_ENGINE,
        workers: WorkersOpt = None,
    ) -> None:
        """Run the scenario with its seed and write a baseline for `simsales check`."""
        scenario = load(file)
        path = out_path or Path("baselines") / f"{file.stem}.json"
        if path.is_dir():
            raise fail(f"--out: {path} is a folder")
        result = simulate(scenario, None, replications, None, engine, workers)
        regression.write_baseline(path, regression.baseline_document(result, file))
        out.print(f"wrote {path}: {scenario.name!r}, {len(result.plans)} plans x "
                  f"{result.replications} replications, seed {result.seed}, engine {engine}",
                  highlight=False)

    @app.command()
    def check(
        file: FileArg,
        baseline_path: Annotated[Path, typer.Option("--baseline", "-b", help="baseline JSON file")],
        tolerance: Annotated[list[str] | None, typer.Option(
            "--tolerance", "-t", help="METRIC=REL or FAMILY=REL (repeat), e.g. revenue_net=0.05 or "
            f"team=10%; families: {', '.join(regression.FAMILIES)}")] = None,
        update: Annotated[bool, typer.Option("--update", help="rewrite the baseline with this run "
                                                              "(on purpose: the numbers moved)")] = False,
        seed: Annotated[int | None, typer.Option("--seed", min=0,
                                                 help="seed (default: the scenario's)")] = None,
        replications: Annotated[int | None, typer.Option(
            "--replications", "-n", min=2, help="replications (default: the baseline's)")] = None,
        engine: Annotated[EngineChoice | None, typer.Option(
            "--engine", help="engine (default: the baseline's)")] = None,
        alpha: Annotated[float, typer.Option("--alpha", min=1e-12, max=0.5,
                                             help="family-wise significance level")] = regression.ALPHA,
        show_all: Annotated[bool, typer.Option("--all", help="show every metric, not only the key "
                                                             "ones and those that failed")] = False,
        workers: WorkersOpt = None,
    ) -> None:
        """Rerun the scenario and compare every metric of every plan with a baseline."""
        scenario = load(file)
        base: Baseline | None = None
        try:
            tolerances = regression.parse_tolerances(tolerance, set(METRICS))
            if not (update and not baseline_path.exists()):
                base = regression.load_baseline(baseline_path)
                regression.check_same_scenario(base, scenario.name, baseline_path)
                if engine is None and base.engine not in ENGINE_NAMES:
                    raise InputError(str(baseline_path), f"made with engine {base.engine!r}, which this "
                                     f"simsales does not have; pass --engine", field="engine")
        except InputError as exc:
            raise fail(exc) from None
        reps = replications or (base.replications if base else None)
        result = simulate(scenario, None, reps, seed, engine or (base.engine if base else DEFAULT_ENGINE),
                          workers)
        document = regression.baseline_document(result, file)
        failed = False
        if base is not None:
            now = Baseline.model_validate(document)
            said = regression.differences(base, now)
            out.print(f"{file} vs {baseline_path}: " + ("; ".join(said) if said else "same inputs"),
                      highlight=False)
            report = regression.compare(base, now, tolerances, alpha)
            print_report(report, base, now, tolerances, show_all)
            failed = bool(report.failed)
        if update:
            regression.write_baseline(baseline_path, document)
            out.print(f"updated {baseline_path}", highlight=False)
        elif failed:
            raise typer.Exit(1)
