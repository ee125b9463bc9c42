"""What the report, the workbook and the terminal say a number is, and how they write counts.

The HTML's median SLA is the P50 over replications (as the side-by-side
table, `simsales run` and the workbook's P50 show it); the workbook's
monthly revenue says it is gross, as the HTML month table and `simsales
compare` do; a count's noun is singular for one (``1 team lead``) and a
count has thousands separators (``1,200 managers``).
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.analysis.compare import compare
from simsales.analysis.lever_kinds import Setting
from simsales.cli import app
from simsales.cli.report import monthly_table
from simsales.report.assumptions import assumptions
from simsales.report.levers import setting_text
from simsales.report.plots import capacity
from simsales.report.tables import bottlenecks
from simsales.report.units import counted, fmt, money, percent
from simsales.report.writer import write_report

from .conftest import SMALL
from .test_report import parse

REPS = 5


@pytest.fixture(scope="module")
def result(small):
    return montecarlo.run(small, replications=REPS)


@pytest.fixture(scope="module")
def written(result, small, tmp_path_factory):
    return write_report(result, small, tmp_path_factory.mktemp("wording"), str(SMALL), xlsx=True)


# -- 1. the SLA the page shows is the P50 over replications -----------------------------------


def test_the_bottleneck_paragraphs_sla_is_the_p50_the_tables_show(result, small, written):
    summary = result.summary()
    raw, _, text = parse(written.html)
    for plan, paragraph in bottlenecks(result, small).items():
        sla = summary[plan]["sla_p50_min"]
        # Each replication's median, then the P50 over replications: not the mean of the medians.
        assert sla["p50"] != pytest.approx(sla["mean"])
        assert (f"Median SLA {fmt(sla['p50'], 'sla_p50_min')}, "
                f"P90 {fmt(summary[plan]['sla_p90_min']['p50'], 'sla_p90_min')}") in paragraph
        assert f"utilisation {percent(summary[plan]['utilisation']['p50'])} (P50 over replications)" \
            in paragraph
        assert fmt(sla["mean"], "sla_p50_min") not in paragraph
        assert " ".join(paragraph.split()) in text
    # The side-by-side table shows the same P50 (and `simsales run` prints it: P50 in bold).
    hold = summary["hold"]["sla_p50_min"]
    assert f"SLA, median, min</td><td>{fmt(hold['p50'], 'sla_p50_min')}<" in raw
    book = openpyxl.load_workbook(written.xlsx)["summary"]
    rows = {r[0]: r for r in book.iter_rows(values_only=True) if r[0]}
    header = next(r for r in book.iter_rows(values_only=True) if r[0] == "metric")
    assert rows["SLA, median, min"][header.index("hold P50")] == pytest.approx(hold["p50"])


def test_the_sla_chart_says_what_its_axis_is_and_writes_thousands(result, small):
    axis = capacity(result, small).axes[0]
    label = axis.get_ylabel()
    assert "minutes to first attempt" in label and "the week's median" in label  # not "median SLA"
    assert axis.yaxis.get_major_formatter()(1500, 0) == "1,500"


# -- 2. the workbook's monthly revenue is named gross, as in the page and the terminal ---------


def test_the_workbooks_monthly_revenue_says_it_is_gross(result, small, written):
    sheet = openpyxl.load_workbook(written.xlsx)["monthly"]
    header = [c.value for c in sheet[1]]
    assert not any(str(h).startswith("revenue_") for h in header)
    assert {"gross revenue P10", "gross revenue P50", "gross revenue P90", "gross revenue vs hold, mean"} \
        <= set(header)
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    grow = [r for r in rows if r["plan"] == "grow"]
    gross = result.plans["grow"].series["revenue_gross_month"]
    net = result.plans["grow"].series["revenue_net_month"]
    assert [r["gross revenue P50"] for r in grow] == pytest.approx(np.median(gross, axis=0).tolist())
    assert not np.allclose(np.median(gross, axis=0), np.median(net, axis=0))  # refunds: not net
    assert sheet.cell(2, header.index("gross revenue P50") + 1).number_format == "#,##0"
    # The page's and the terminal's month tables head the same number "gross revenue".
    text = parse(written.html)[2]
    assert "gross revenue" in text and money(grow[0]["gross revenue P50"]) in text
    table = monthly_table(compare(result, small), small.currency)
    assert "gross revenue" in [str(c.header) for c in table.columns]


def test_a_monthly_plan_is_headed_with_what_it_is_measured_on(result, small, tmp_path):
    monthly = small.model_copy(update={"revenue_plan_months": {"2026-07": 1.0e6}})
    files = write_report(result, monthly, tmp_path, "small.yaml", xlsx=True)
    header = [c.value for c in openpyxl.load_workbook(files.xlsx)["monthly"][1]]
    assert "revenue plan (net revenue)" in header and "p_plan" in header
    assert "month's revenue plan and p_plan" in parse(files.html)[2]


# -- 3-4. a count's noun is singular for one; counts have thousands separators -----------------


@pytest.mark.parametrize("args, text", [
    ((1, "team lead"), "1 team lead"), ((2, "team lead"), "2 team leads"), ((0, "day"), "0 days"),
    ((12000, "lead"), "12,000 leads"), ((1, "entry", "entries"), "1 entry"),
    ((3, "entry", "entries"), "3 entries"), ((1.0, "replication"), "1 replication"),
    ((2.5, "hire"), "2.5 hires"), ((0.96, "hire"), "1 hire"), ((1234.4, "manager"), "1,234 managers"),
])
def test_counted_writes_the_number_and_its_noun(args, text):
    assert counted(*args) == text


def test_counted_takes_the_number_as_written():
    assert counted(1.25, "day", number=lambda x: f"{x:.3g}") == "1.25 days"
    assert counted(1.0, "day", number=lambda x: f"{x:.3g}") == "1 day"


def test_assumptions_write_one_team_lead_and_thousands_of_managers(small):
    team = small.team
    one_lead = team.model_copy(update={
        "team_leads": team.team_leads[:1], "span_max": 1, "hires_per_lead_month": 1,
        "managers": [team.managers[0].model_copy(update={"count": 1200})]})
    text = " ".join(f"{k}: {v}" for k, v in assumptions(small.model_copy(update={"team": one_lead})))
    assert ("1,200 managers under 1 team lead; at most 1 manager per team lead (span_max) and "
            "1 hire per team lead a month") in text
    assert "1 team leads" not in text and "1200" not in text


def test_a_lever_of_one_manager_says_manager():
    assert setting_text(Setting("count", (1,), "managers")) == "1 manager"
    assert setting_text(Setting("count", (1200,), "managers")) == "1,200 managers"


def test_validate_writes_one_channel_and_thousands_of_days(tmp_path):
    text = SMALL.read_text()
    social = text[text.index("  - name: social"):text.index("touch_chain:")]
    (tmp_path / "one.yaml").write_text(text.replace(social, "\n").replace("horizon_days: 21",
                                                                          "horizon_days: 1096"))
    outcome = CliRunner().invoke(app, ["validate", str(tmp_path / "one.yaml")])
    assert outcome.exit_code == 0, outcome.output
    flat = " ".join(outcome.output.split())
    assert "1,096 days from 2026-07-01, 1 channel, 6 managers" in flat


def test_the_page_writes_one_replication(small, tmp_path):
    result = montecarlo.run(small, plans=["hold"], replications=1)
    text = parse(write_report(result, small, tmp_path, "small.yaml").html)[2]
    assert "· 1 replication ·" in text and f"Seed {result.seed}, 1 replication, engine" in text
    assert "1 replications" not in text
