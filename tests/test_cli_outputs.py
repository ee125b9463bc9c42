"""What `run` and `compare` print first: the verdict, the losses, a capacity warning, p_plan per month."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from simsales.analysis.bottleneck import Bottleneck
from simsales.analysis.verdict import Verdict
from simsales.cli import app
from simsales.cli import run as run_module
from simsales.cli.headline import CHAINS_CUT_FLAG, capacity_warning, horizon_days_by_month, month_plan_table
from simsales.montecarlo import PlanResult, RunResult
from simsales.montecarlo.metrics import METRICS
from simsales.montecarlo.results import summarise, with_plan_months

from .conftest import SMALL

runner = CliRunner()
VERDICT_KEYS = ["objective", "best_plan", "p_better", "vs_plan", "bottleneck", "text"]


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def first_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.strip())


# -- run and compare, end to end ---------------------------------------------------


def test_run_leads_with_the_verdict_and_shows_the_losses_as_shares_of_leads():
    outcome = invoke("run", SMALL, "-n", "3", "--workers", "1")
    assert outcome.exit_code == 0, outcome.output
    assert first_line(outcome.output).startswith("Verdict: ")
    text = outcome.output
    assert text.index("Verdict:") < text.index("replications, seed")  # before the tables
    assert "chains_cut: chains cut (no time), share of leads" in text
    assert "untouched_leads: never attempted, share of leads" in text
    assert "p_plan: chance net revenue >= revenue plan" in text


def test_run_json_has_the_verdict_and_keeps_the_summary_keys():
    outcome = invoke("run", SMALL, "-n", "3", "--workers", "1", "--format", "json")
    assert outcome.exit_code == 0, outcome.output
    doc = json.loads(outcome.stdout)
    assert list(doc)[:6] == ["scenario", "seed", "replications", "engine", "revenue_plan", "plans"]
    v = doc["verdict"]
    assert list(v) == VERDICT_KEYS and list(v["bottleneck"]) == ["kind", "share_of_leads", "text"]
    assert v["best_plan"] in ("hold", "grow") and v["vs_plan"] in ("hold", "grow")
    assert v["best_plan"] != v["vs_plan"] and 0 <= v["p_better"] <= 1
    assert v["objective"] == "revenue_net"


def test_run_json_with_one_plan_has_no_best_plan_but_the_bottleneck():
    outcome = invoke("run", SMALL, "-n", "2", "--workers", "1", "--format", "json", "--plan", "grow")
    assert outcome.exit_code == 0, outcome.output
    v = json.loads(outcome.stdout)["verdict"]
    assert (v["best_plan"], v["p_better"], v["vs_plan"]) == (None, None, None)
    assert v["bottleneck"]["kind"] in ("capacity", "contact", "qualification", "closing", "span_rule")
    assert v["text"].startswith("Plan 'grow': net revenue")


def test_compare_leads_with_the_verdict_and_json_has_it():
    table = invoke("compare", SMALL, "-n", "2", "--workers", "1")
    assert table.exit_code == 0, table.output
    assert first_line(table.output).startswith("Verdict: ")
    assert table.output.index("Verdict:") < table.output.index("Against hold")
    doc = json.loads(invoke("compare", SMALL, "-n", "2", "--workers", "1", "--format", "json").stdout)
    assert {"scenario", "baseline", "differences", "months"} <= set(doc)
    assert list(doc["verdict"]) == VERDICT_KEYS
    assert doc["baseline"] == "hold"


def test_report_leads_with_the_pages_verdict_then_says_where_it_is(tmp_path):
    """`simsales report` printed only where the files went: the answer was one click away."""
    outcome = invoke("report", SMALL, "-n", "2", "--workers", "1", "--out", tmp_path / "r",
                     "--no-floor-levers")
    assert outcome.exit_code == 0, outcome.output
    assert first_line(outcome.stdout).startswith("Verdict: "), outcome.stdout
    verdict = " ".join(first_line(outcome.stdout).split()[1:4])  # "Plan 'Grow ...' wins" or the like
    assert verdict in " ".join(html.unescape((tmp_path / "r" / "report.html").read_text()).split())
    assert outcome.stdout.index("Verdict:") < outcome.stdout.index("report: ")


def test_run_shows_p_plan_per_month_with_a_monthly_revenue_plan(monkeypatch):
    # Until the scenario reads a month-by-month plan, attach one to the run the command makes.
    def attach(result, scenario):
        attached = with_plan_months(result, scenario)
        return replace(attached, revenue_plan_months={attached.months[0]: 1.0})

    monkeypatch.setattr(run_module, "with_plan_months", attach)
    outcome = invoke("run", SMALL, "-n", "2", "--workers", "1")
    assert outcome.exit_code == 0, outcome.output
    assert "Revenue plan by month" in outcome.output and "2026-07" in outcome.output
    doc = json.loads(invoke("run", SMALL, "-n", "2", "--workers", "1", "--format", "json").stdout)
    month = doc["plans"]["hold"]["p_plan_months"]["2026-07"]
    assert month["plan"] == 1.0 and month["p_plan"] == 1.0  # any paid deal beats a target of 1


def test_a_month_the_horizon_covers_in_part_says_so_beside_its_target(tmp_path):
    # small.yaml runs 21 days from 2026-07-01: July's target was read against 21 days' revenue with
    # nothing in the table to say so (a full month's target looked missed by a third).
    assert horizon_days_by_month(dt.date(2026, 7, 1), 21) == {"2026-07": (21, 31)}
    assert horizon_days_by_month(dt.date(2027, 1, 11), 30) == {"2027-01": (21, 31), "2027-02": (9, 28)}
    assert horizon_days_by_month(dt.date(2026, 7, 1), 92) == {"2026-07": (31, 31), "2026-08": (31, 31),
                                                               "2026-09": (30, 30)}
    text = SMALL.read_text().replace("revenue_plan: 9_000_000", 'revenue_plan: {"2026-07": 9M}')
    (tmp_path / "monthly.yaml").write_text(text)
    outcome = invoke("run", tmp_path / "monthly.yaml", "-n", "2", "--workers", "1")
    assert outcome.exit_code == 0, outcome.output
    assert "2026-07 (only 21 of its 31 days)" in outcome.output


def test_compare_says_its_month_p_plan_is_on_net_revenue_beside_gross_revenue(tmp_path):
    # compare's month table shows gross revenue (P50) beside a p_plan measured on net revenue: on a
    # floor with refunds a gross P50 above the plan went with p_plan 40%, and nothing said why.
    text = SMALL.read_text().replace("revenue_plan: 9_000_000", 'revenue_plan: {"2026-07": 9M}')
    (tmp_path / "monthly.yaml").write_text(text)
    outcome = invoke("compare", tmp_path / "monthly.yaml", "-n", "2", "--workers", "1")
    assert outcome.exit_code == 0, outcome.output
    flat = " ".join(outcome.output.split())
    assert "p_plan: the chance the month's net revenue (gross less refunds) reaches its plan" in flat
    assert "gross revenue" in flat


# -- constructed inputs ------------------------------------------------------------


def plan(**columns) -> PlanResult:
    frame = pd.DataFrame({m: np.zeros(4) for m in METRICS})
    for name, value in columns.items():
        frame[name] = np.broadcast_to(np.asarray(value, dtype=float), 4).copy()
    return PlanResult("p", frame)


def a_verdict(kind: str) -> Verdict:
    return Verdict("revenue_net", None, None, None, Bottleneck(kind, 0.1, "..."), "...")


@pytest.mark.parametrize(("cut", "kind", "warned"), [
    (0.04, "qualification", False),  # few chains cut, capacity not the bottleneck: quiet
    (0.06, "qualification", True),   # more than 5% of leads cut: said in words
    (0.01, "capacity", True),        # capacity is the bottleneck: said in words
    (0.01, "span_rule", True),
])
def test_capacity_warning_rule(cut, kind, warned):
    result = RunResult("c", 1, 4, "fast", 0.0, {"hold": plan(leads=1000, chains_cut=1000 * cut)})
    text = capacity_warning(result, a_verdict(kind))
    assert (text is not None) == warned
    if warned:
        assert text.startswith("Capacity is short") and f"{100 * cut:.1f}% of leads" in text
    assert CHAINS_CUT_FLAG == 0.05


def test_p_plan_per_month_is_the_share_of_replications_reaching_each_months_target():
    revenue = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0], [4.0, 8.0]]) * 1e6  # (replications, months)
    m = plan(revenue_net=[10e6, 11e6, 12e6, 13e6]).metrics
    s = summarise(m, 11.5e6, revenue, "revenue_net_month", {"2026-01": 2.5e6, "2026-02": 8e6},
                  ["2026-01", "2026-02"])
    assert s["p_plan"] == 0.5
    assert s["p_plan_months"]["2026-01"] == {"plan": 2.5e6, "p_plan": 0.5, "revenue_p50": 2.5e6,
                                             "measure": "revenue_net_month"}
    assert s["p_plan_months"]["2026-02"]["p_plan"] == 0.25
    assert "p_plan_months" not in summarise(m, 11.5e6, revenue, "revenue_net_month", {}, ["a", "b"])
    assert "p_plan_months" not in summarise(m, 11.5e6)  # the old call: unchanged


def test_month_plan_table_says_what_revenue_it_measures():
    series = {"revenue_gross_month": np.array([[1e6], [2e6], [3e6], [4e6]])}
    p = replace(plan(revenue_net=1e6), series=series)
    result = RunResult("c", 1, 4, "fast", 5e6, {"hold": p}, {"2026-01": 2.5e6}, ["2026-01"])
    table = month_plan_table(result, "RUB")
    assert "gross money received (refunds not split by month)" in str(table.title)
    console = Console(width=200, record=True)
    console.print(table)
    rows = console.export_text().splitlines()
    month = next(r for r in rows if "2026-01" in r)
    assert "2.5M" in month and "50% P50 2.5M" in month  # 2 of 4 replications reach 2.5M
    assert "0% net" in next(r for r in rows if "whole horizon" in r)  # net 1M < 5M in every one
    assert month_plan_table(replace(result, revenue_plan_months={}), "RUB") is None


# -- executors -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "report", "levers"])
def test_a_scheduler_without_dask_is_refused(command, tmp_path):
    extra = ["--out", tmp_path / "r"] if command == "report" else []
    outcome = invoke(command, SMALL, "-n", "1", "--scheduler", "tcp://127.0.0.1:1", *extra)
    assert outcome.exit_code == 2, outcome.output
    assert "--scheduler" in outcome.output and "Traceback" not in outcome.output


def test_levers_give_the_same_numbers_on_one_pool_as_in_process():
    args = ["levers", SMALL, "-n", "2", "--lever", "talk_share", "--format", "json", "--executor", "local"]
    one = json.loads(invoke(*args, "--workers", "1").stdout)
    pool = json.loads(invoke(*args, "--workers", "2").stdout)
    assert one["levers"] == pool["levers"] and one["base"] == pool["base"]


@pytest.mark.slow
def test_levers_and_run_on_a_local_dask_cluster_match_the_local_numbers():
    args = ["levers", SMALL, "-n", "2", "--lever", "offer", "--format", "json", "--workers", "1"]
    local = json.loads(invoke(*args).stdout)
    dask = json.loads(invoke(*args, "--executor", "dask").stdout)
    assert dask["levers"] == local["levers"]
    run_args = ["run", SMALL, "-n", "2", "--format", "json", "--workers", "1"]
    assert json.loads(invoke(*run_args, "--executor", "dask").stdout)["verdict"] == \
        json.loads(invoke(*run_args).stdout)["verdict"]
