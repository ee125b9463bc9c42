"""Charts, the self-contained HTML report, the workbook, `simsales report` and `run --report`."""

from __future__ import annotations

import base64
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from simsales import __version__, montecarlo
from simsales.analysis.compare import compare
from simsales.cli import app
from simsales.montecarlo.metrics import METRICS
from simsales.report.figures import plan_colors
from simsales.report.plots import CHARTS
from simsales.report.writer import write_report

from .conftest import SMALL

REPS = 4
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(small):
    return montecarlo.run(small, replications=REPS)


@pytest.fixture(scope="module")
def written(result, small, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, write_report(result, small, out, str(SMALL), xlsx=True)


class Page(HTMLParser):
    """Collects the text, the figure ids and every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.figures: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.figures.append(attrs.get("id", ""))
        if tag == "img":
            self.images.append(attrs["src"])
        self.links += [v for k, v in attrs.items() if k in ("src", "href", "action") and v]

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> tuple[str, Page, str]:
    """The raw page, the parser that read it, and its visible text with spaces normalised."""
    raw = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(raw)
    page.close()
    return raw, page, " ".join("".join(page.text).split())


def test_every_chart_is_written_as_png_and_svg(written):
    out, files = written
    assert len(files.charts) == len(CHARTS) == 5
    pngs, svgs = sorted((out / "charts").glob("*.png")), sorted((out / "charts").glob("*.svg"))
    assert len(pngs) == len(svgs) == len(CHARTS)
    for chart in files.charts:
        assert chart.png.read_bytes().startswith(PNG_MAGIC)
        assert chart.png.stat().st_size > 10_000
        assert b"<svg" in chart.svg.read_bytes()[:2000]
    assert not list(out.rglob("*.tmp")), "atomic writes leave no temporary files"


def test_html_is_self_contained_and_complete(written, result):
    _, files = written
    raw, page, text = parse(files.html)
    for plan in result.plans:
        assert plan in text
    assert sorted(page.figures) == sorted(f"chart-{name}" for name, _, _ in CHARTS)
    assert len(page.images) == len(CHARTS)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert all(link.startswith("data:") for link in page.links)
    assert "http://" not in raw and "https://" not in raw
    assert f"Seed {result.seed}," in text and f"--seed {result.seed} " in text
    assert __version__ in text
    for heading in ("Plans side by side", "Against hold", "Key assumptions", "Capacity and bottlenecks"):
        assert heading in text
    assert "biggest loss" in text


def test_workbook_holds_the_sheets_and_the_numbers(written, result, small):
    _, files = written
    wb = openpyxl.load_workbook(files.xlsx)
    assert {"summary", "monthly", "funnel", "replications"} <= set(wb.sheetnames)

    summary = {row[0]: row[1] for row in wb["summary"].iter_rows(max_row=9, max_col=2, values_only=True)}
    assert summary["seed"] == result.seed and summary["replications"] == REPS

    reps = wb["replications"]
    header = [c.value for c in reps[1]]
    assert header[:2] == ["plan", "replication"] and header[2:] == list(METRICS)
    assert reps.max_row == 1 + REPS * len(result.plans)
    column = header.index("revenue_net") + 1
    first = reps.cell(2, column)
    assert first.value == pytest.approx(result.plans["hold"].metrics["revenue_net"].iloc[0])
    assert first.number_format == "#,##0"
    assert reps.cell(2, header.index("contact_rate") + 1).number_format == "0.0%"

    monthly = wb["monthly"]
    header = [c.value for c in monthly[1]]
    months = compare(result, small).months
    assert monthly.max_row == 1 + len(months)
    assert monthly.cell(2, header.index("headcount") + 1).value == pytest.approx(months["headcount"].iloc[0])

    funnel = [row for row in wb["funnel"].iter_rows(values_only=True) if row[0] == "hold"]
    stages = {row[1]: row[2] for row in funnel}
    assert stages["Total invoices"] == pytest.approx(result.plans["hold"].metrics["total_invoices"].mean())


def test_plan_colours_are_fixed_by_run_order():
    colors = plan_colors(["hold", "steady", "aggressive"])
    assert len(set(colors.values())) == 3
    assert plan_colors(["hold", "steady"])["steady"] == colors["steady"]


def test_charts_survive_one_plan_one_replication_and_no_target(small, tmp_path):
    lone = small.model_copy(update={"revenue_plan": 0.0})
    result = montecarlo.run(lone, plans=["grow"], replications=1)
    files = write_report(result, lone, tmp_path, "small.yaml")
    assert len(list((tmp_path / "charts").glob("*.png"))) == len(CHARTS)
    assert files.xlsx is None
    assert "nothing to compare" in parse(files.html)[2]
    assert result.summary()["grow"]["p_plan"] is None


runner = CliRunner()


def test_cli_report_writes_html_and_workbook(tmp_path):
    out = tmp_path / "rep"
    outcome = runner.invoke(app, ["report", str(SMALL), "--out", str(out), "--xlsx", "-n", "2",
                                  "--seed", "11", "--baseline", "grow"])
    assert outcome.exit_code == 0, outcome.output
    assert (out / "report.html").stat().st_size > 0 and (out / "report.xlsx").stat().st_size > 0
    _, _, text = parse(out / "report.html")
    assert "Against grow" in text and "--seed 11 " in text and "--baseline grow" in text


def test_run_report_writes_next_to_the_run(tmp_path):
    outcome = runner.invoke(app, ["run", str(SMALL), "-n", "1", "--out", str(tmp_path), "--report"])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "summary.json").exists() and (tmp_path / "report.html").exists()
    assert (tmp_path / "report.xlsx").exists()


@pytest.mark.parametrize("args, message", [
    (["--baseline", "nope"], "no plan named 'nope'"),
    (["--plan", "nope"], "no plan named 'nope'"),
])
def test_cli_report_bad_input_exits_2(args, message, tmp_path):
    outcome = runner.invoke(app, ["report", str(SMALL), "--out", str(tmp_path), "-n", "1", *args])
    assert outcome.exit_code == 2
    assert message in outcome.output and "Traceback" not in outcome.output
    assert not (tmp_path / "report.html").exists()


def test_cli_report_out_must_be_a_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    outcome = runner.invoke(app, ["report", str(SMALL), "--out", str(target), "-n", "1"])
    assert outcome.exit_code == 2 and "not a folder" in outcome.output
