"""Charts, the self-contained HTML report, the workbook, `simsales report` and `run --report`.

Also the units people read: counts, durations, money, distributions in
words, plan labels, and the verdict on the first screen and first sheet.
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from PIL import Image
from typer.testing import CliRunner

from simsales import __version__, montecarlo
from simsales.analysis.compare import compare
from simsales.analysis.verdict import verdict
from simsales.cli import app
from simsales.montecarlo.metrics import METRICS
from simsales.report.assumptions import PER_DAY, assumptions, describe, quantiles, share_unit
from simsales.report.figures import plan_colors
from simsales.report.plots import CHARTS, write_charts
from simsales.report.revenue_charts import gain_over
from simsales.report.units import count, duration, fmt, money, percent, plan_labels
from simsales.report.writer import write_report
from simsales.scenario import (
    Beta,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uncertain,
    Uniform,
)

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
    assert len(files.charts) == len(CHARTS) == 6
    assert files.charts[0].name == "revenue_gain", "the decision chart comes first"
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
    assert "Fix first:" in text
    # The decision chart comes before the absolute fan.
    assert page.figures.index("chart-revenue_gain") < page.figures.index("chart-revenue_fan")


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
    # No decision chart with one plan: nothing to be paired with.
    assert sorted(p.stem for p in (tmp_path / "charts").glob("*.png")) == \
        sorted(name for name, _, _ in CHARTS if name != "revenue_gain")
    assert files.xlsx is None
    raw, _, text = parse(files.html)
    assert "nothing to compare" in text
    assert 'id="verdict"' in raw and verdict(result, lone).bottleneck.text.split(":")[0] in text
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


# -- the verdict leads the page and the workbook ---------------------------------------


def test_the_verdict_leads_the_page_and_the_workbook(written, result, small):
    _, files = written
    raw, _, text = parse(files.html)
    expected = verdict(result, small, compare(result, small), money=money)
    # First thing after the title and the meta line: the verdict, then the headline cards.
    body = raw[raw.index("<body>"):]
    assert body.index('id="verdict"') < body.index('id="headline"') < body.index("<h2>")
    assert " ".join(expected.text.split()) in text
    book = openpyxl.load_workbook(files.xlsx)
    assert book.sheetnames[0] == "verdict"
    sheet = {row[0]: row[1] for row in book["verdict"].iter_rows(max_col=2, values_only=True) if row[0]}
    assert sheet["verdict"] == expected.text
    assert sheet["best plan"] == expected.best_plan
    assert sheet["P(better), paired replications"] == pytest.approx(expected.p_better)
    assert sheet["share of leads lost to it"] == pytest.approx(expected.bottleneck.share_of_leads)


def test_headline_cards_stand_in_one_row_and_agree_with_the_verdict(written, result, small):
    raw, _, text = parse(written[1].html)
    assert f'class="cards" style="--n:{len(result.plans)}"' in raw
    assert "grid-template-columns: repeat(var(--n)" in raw
    # The card's gain over the baseline is the verdict's: the P50 of the paired differences.
    gain = np.median(result.plans["grow"].metrics["revenue_net"].to_numpy()
                     - result.plans["hold"].metrics["revenue_net"].to_numpy())
    assert f"vs hold: {money(gain, signed=True)} (P50, paired)" in text


# -- the decision chart ----------------------------------------------------------------


def test_decision_chart_is_the_paired_gain_and_ends_at_the_comparison(result, small):
    comparison = compare(result, small)
    gains = gain_over(result, small, "hold")
    assert set(gains) == set(result.plans) - {"hold"}
    for plan, gain in gains.items():
        assert gain.shape == (REPS, result.plans[plan].series["revenue_net_week"].shape[1] + 1)
        assert np.all(gain[:, 0] == 0), "no gain before the first week"
        # Weekly net revenue adds up to the run's net revenue, so the chart ends where the table does:
        # the same paired differences, the same share ahead.
        paired_total = (result.plans[plan].metrics["revenue_net"].to_numpy()
                        - result.plans["hold"].metrics["revenue_net"].to_numpy())
        np.testing.assert_allclose(gain[:, -1], paired_total, rtol=1e-9, atol=1e-3)
        row = comparison.differences.set_index(["plan", "metric"]).loc[(plan, "revenue_net")]
        assert np.mean(gain[:, -1] > 0) == pytest.approx(row["p_better"])


def test_charts_are_reproducible_and_nothing_touches_the_edge(result, small, tmp_path):
    first = write_charts(result, small, tmp_path / "a")
    second = write_charts(result, small, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.svg.read_bytes() == b.svg.read_bytes(), f"{a.svg.name} differs between two writes"
        assert a.png.read_bytes() == b.png.read_bytes(), f"{a.png.name} differs between two writes"
        pixels = np.asarray(Image.open(io.BytesIO(a.png.read_bytes())).convert("RGB"))
        frame = np.concatenate([pixels[:6].reshape(-1, 3), pixels[-6:].reshape(-1, 3),
                                pixels[:, :6].reshape(-1, 3), pixels[:, -6:].reshape(-1, 3)])
        assert (frame == 255).all(), f"something is drawn within 6 px of the edge of {a.png.name}"


# -- units people read -----------------------------------------------------------------


@pytest.mark.parametrize("minutes, text", [
    (0, "0 min"), (15, "15 min"), (60, "1 h"), (240, "4 h"), (1440, "1 day"), (90, "1 h 30 min"),
    (2160, "1 day 12 h"), (10080, "7 days"), (0.5, "0.5 min"), (59.99, "1 h"), (1439.9, "1 day"),
])
def test_durations_read_as_people_say_them(minutes, text):
    assert duration(minutes) == text


def test_counts_are_whole_units_and_means_below_ten_are_marked():
    assert fmt(69.5, "won", signed=True) == "+70"           # the "+69.5 deals won"
    assert fmt(69.5, "won", signed=True, mean=True) == "+70"
    assert fmt(8.9, "hires_made", signed=True) == "+9"      # a P10 of hires is a number of hires
    assert fmt(-8.5, "untouched_leads") == "-9"
    assert fmt(2.3, "hires_made", mean=True) == "2.3"       # a mean below 10 keeps its decimal...
    assert count(2.3) == "2.3" and count(43.8) == "44" and count(4.0) == "4" and count(-0.04) == "0"
    assert fmt(3.46, "attempts_per_manager_hour") == "3.5"  # ...and a ratio is not a count


def test_money_picks_its_suffix_after_rounding():
    assert money(897_697_638) == "897.7M"                   # the tornado's base, no longer in full
    assert money(999_600) == "1.0M" and money(999_999_999) == "1.00B"
    assert money(45_600) == "46k" and money(9_500) == "9,500" and money(-0.3) == "0"
    assert money(5_400_000, signed=True) == "+5.4M" and money(-88_000, signed=True) == "-88k"


@pytest.mark.parametrize("dist", [
    Beta(45, 55), Normal(62000, 12000, 20000, 150000), Normal(0.03, 0.02), Triangular(800, 900, 1000),
    Uniform(2, 5), LogNormal(9, 5), Gamma(4, 2), Exponential(1.5),
])
def test_shown_ranges_are_the_distributions_p10_and_p90(dist):
    sample = dist.sample(np.random.default_rng(1), 400_000)
    lo, hi = np.quantile(sample, [0.1, 0.9])
    spread = np.quantile(sample, 0.95) - np.quantile(sample, 0.05)
    assert quantiles(dist) == pytest.approx([lo, hi], abs=0.01 * spread)


def test_distributions_read_in_words_and_units():
    assert describe(Uncertain(Beta(45, 55)), share_unit) == "45% (39-51%)"
    assert describe(Uncertain(Triangular(800, 900, 1000)), PER_DAY) == \
        "between 800 and 1,000 leads a day (most likely 900)"
    assert describe(Uncertain(Triangular(0.5, 0.6, 0.7)), share_unit) == \
        "between 50% and 70% (most likely 60%)"
    assert describe(0.35, share_unit) == "35%" and describe(0.075, share_unit) == "7.5%"


def test_assumptions_show_no_yaml_and_a_touch_chain_in_time_units(small):
    chain = small.touch_chain.model_copy(update={"offsets": [0.0, 15.0, 60.0, 240.0, 1440.0],
                                                 "p_contact": [0.5]})
    text = " ".join(f"{k}: {v}" for k, v in assumptions(small.model_copy(update={"touch_chain": chain})))
    assert "0 min, 15 min, 1 h, 4 h, 1 day" in text
    assert "{" not in text and "beta" not in text and "triangular" not in text
    assert "40% (34-46%)" in text                           # qualify: {beta: [40, 60]}
    assert "between 50 and 70 leads a day (most likely 60)" in text


def test_plan_labels_name_the_plans_everywhere(result, small, tmp_path):
    labelled = small.model_copy(update={"plans": [
        p.model_copy(update={"label": "Grow by 5 in July"}) if p.name == "grow" else p for p in small.plans]})
    assert plan_labels(labelled, ["hold", "grow"]) == {"hold": "hold", "grow": "Grow by 5 in July"}
    files = write_report(result, labelled, tmp_path, "small.yaml", xlsx=True)
    raw, _, text = parse(files.html)
    assert text.count("Grow by 5 in July") >= 5             # cards, tables, assumptions
    assert ">grow<" not in raw
    book = openpyxl.load_workbook(files.xlsx)
    assert "Grow by 5 in July" in {row[0] for row in book["funnel"].iter_rows(values_only=True)}


def test_two_plans_with_one_label_are_told_apart(small):
    same = small.model_copy(update={"plans": [p.model_copy(update={"label": "Plan"}) for p in small.plans]})
    assert plan_labels(same, ["hold", "grow"]) == {"hold": "Plan (hold)", "grow": "Plan (grow)"}


def test_monthly_revenue_plan_is_shown_month_by_month(result, small, tmp_path):
    target = float(np.median(result.plans["grow"].series["revenue_gross_month"][:, 0]))
    monthly = small.model_copy(update={"revenue_plan_months": {"2026-07": target}})
    files = write_report(result, monthly, tmp_path, "small.yaml", xlsx=True)  # attaches the months
    text = parse(files.html)[2]
    for plan_result in result.plans.values():
        net = "revenue_net_month" in plan_result.series
        series = plan_result.series["revenue_net_month" if net else "revenue_gross_month"]
        chance = float(np.mean(series[:, 0] >= target))     # the share of replications that make July
        assert f"Jul {percent(chance)}" in text
    assert ("net revenue" if net else "gross money received") in text
    sheet = openpyxl.load_workbook(files.xlsx)["monthly"]
    header = [c.value for c in sheet[1]]
    column = header.index("p_plan") + 1
    assert sheet.cell(2, column).value == pytest.approx(
        np.mean(result.plans["hold"].series["revenue_net_month" if net else "revenue_gross_month"][:, 0]
                >= target))
    assert sheet.cell(2, column).number_format == "0.0%"


def test_tornado_base_is_short_money_and_its_files_are_reproducible(small, tmp_path):
    from simsales.analysis.levers import run_levers
    from simsales.report.tornado import save_tornado, tornado_figure

    report = run_levers(small, step=0.1, replications=2, levers=["offer"])
    titles = [ax.get_title() for ax in tornado_figure(report, "RUB").axes]
    assert f"(base {money(report.base['revenue_net'])})" in titles[0]
    assert f"{report.base['revenue_net']:,.0f}" not in " ".join(titles)
    first, second = save_tornado(report, tmp_path / "a"), save_tornado(report, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
