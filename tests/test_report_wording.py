"""What the report, the workbook and the terminal say a number is.

The HTML's median SLA is the P50 over replications (as the side-by-side
table, `simsales run` and the workbook's P50 show it), and the SLA chart's
axis says what it plots.
"""

from __future__ import annotations

import openpyxl
import pytest

from simsales import montecarlo
from simsales.report.plots import capacity
from simsales.report.tables import bottlenecks
from simsales.report.units import fmt, percent
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
