"""Plans against a baseline: paired differences, the monthly view, `simsales compare`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.analysis.compare import (
    BETTER,
    SHOWN_METRICS,
    UnknownPlan,
    compare,
    month_labels,
    paired_differences,
)
from simsales.cli import app
from simsales.montecarlo.metrics import KEY_METRICS, METRICS, TEAM_KEY_METRICS

from .conftest import SMALL

REPS = 6


@pytest.fixture(scope="module")
def result(small):
    return montecarlo.run(small, replications=REPS)


def test_paired_differences_match_a_direct_computation(result):
    diffs = paired_differences(result, "hold").set_index(["plan", "metric"])
    hold, grow = result.plans["hold"].metrics, result.plans["grow"].metrics
    assert list(diffs.index.get_level_values("metric")) == list(KEY_METRICS)
    for metric in KEY_METRICS:
        d = (grow[metric] - hold[metric]).to_numpy(dtype=float)
        d = d[~np.isnan(d)]
        row = diffs.loc[("grow", metric)]
        assert row["mean"] == pytest.approx(d.mean())
        assert [row["p10"], row["p50"], row["p90"]] == pytest.approx(list(np.percentile(d, [10, 50, 90])))
        assert row["baseline_mean"] == pytest.approx(hold[metric].mean())
        assert row["plan_mean"] == pytest.approx(grow[metric].mean())
        sign = BETTER.get(metric)
        if sign is None:
            assert np.isnan(row["p_better"])
        else:
            assert row["p_better"] == float(np.mean(sign * d > 0))


def test_the_baseline_is_not_compared_with_itself_and_defaults_to_the_first_plan(result):
    diffs = paired_differences(result)
    assert set(diffs["plan"]) == {"grow"}
    flipped = paired_differences(result, "grow").set_index(["plan", "metric"])
    direct = paired_differences(result, "hold").set_index(["plan", "metric"])
    assert flipped.loc[("hold", "revenue_net"), "mean"] == pytest.approx(
        -direct.loc[("grow", "revenue_net"), "mean"])


def test_two_identical_plans_differ_by_exactly_zero(small):
    hold = small.plan("hold")
    twin = hold.model_copy(update={"name": "hold_again"})
    doubled = small.model_copy(update={"plans": [hold, twin]})
    result = montecarlo.run(doubled, replications=3)
    comparison = compare(result, doubled, "hold", metrics=tuple(METRICS))
    diffs = comparison.differences
    for column in ("mean", "p10", "p50", "p90"):
        values = diffs[column].to_numpy(dtype=float)
        assert np.all((values == 0) | np.isnan(values)), column
    assert not diffs.loc[diffs["metric"] == "revenue_net", "mean"].isna().any()
    assert ((diffs["p_better"] == 0) | diffs["p_better"].isna()).all()
    assert (comparison.months["gross_revenue_vs_baseline"] == 0).all()


def test_unknown_baseline_is_an_error(result):
    with pytest.raises(UnknownPlan, match="nope"):
        paired_differences(result, "nope")


def test_monthly_view_splits_headcount_and_lists_every_month(result, small):
    comparison = compare(result, small)
    months = comparison.months
    assert list(months["plan"].unique()) == ["hold", "grow"]
    assert list(months.loc[months["plan"] == "grow", "month"]) == month_labels(small)
    parts = months["ramped"] + months["ramping"] + months["onboarding"]
    assert np.allclose(parts, months["headcount"])
    grow = result.plans["grow"].series
    row = months[months["plan"] == "grow"].iloc[0]
    assert row["hires_deferred"] == pytest.approx(grow["hires_deferred_month"][:, 0].mean())
    assert row["gross_revenue_p50"] == pytest.approx(np.median(grow["revenue_gross_month"][:, 0]))
    assert (months.loc[months["plan"] == "hold", "gross_revenue_vs_baseline"] == 0).all()


runner = CliRunner()


def test_cli_compare_prints_the_tables_and_json():
    table = runner.invoke(app, ["compare", str(SMALL), "-n", "2"])
    assert table.exit_code == 0, table.output
    assert "Against hold" in table.output and "Month by month" in table.output
    doc = runner.invoke(app, ["compare", str(SMALL), "-n", "2", "--baseline", "grow", "--format", "json"])
    assert doc.exit_code == 0, doc.output
    parsed = json.loads(doc.stdout)
    assert parsed["baseline"] == "grow"
    assert {d["plan"] for d in parsed["differences"]} == {"hold"}
    # The month view's money is gross (received in the month): its keys say so.
    money = {k for k in parsed["months"][0] if "revenue" in k}
    assert money == {"gross_revenue_p10", "gross_revenue_p50", "gross_revenue_p90",
                     "gross_revenue_vs_baseline"}
    # The key metrics, and the touch chains cut for lack of time (a capacity loss).
    shown = set(KEY_METRICS) | {"chains_cut"} | set(TEAM_KEY_METRICS)
    assert {d["metric"] for d in parsed["differences"]} == shown
    assert list(SHOWN_METRICS) == [m for k in KEY_METRICS
                                   for m in ((k, "chains_cut") if k == "untouched_leads" else (k,))
                                   ] + list(TEAM_KEY_METRICS)


@pytest.mark.parametrize("args, message", [
    (["--baseline", "nope"], "no plan named 'nope'"),
    (["--plan", "nope"], "no plan named 'nope'"),
    (["--plan", "grow"], "at least two plans"),
])
def test_cli_compare_bad_input_exits_2_without_traceback(args, message):
    outcome = runner.invoke(app, ["compare", str(SMALL), "-n", "1", *args])
    assert outcome.exit_code == 2
    assert message in outcome.output
    assert "Traceback" not in outcome.output
    assert not isinstance(outcome.exception, Exception) or isinstance(outcome.exception, SystemExit)


def test_run_prints_the_comparison_when_several_plans_run():
    outcome = runner.invoke(app, ["run", str(SMALL), "-n", "2"])
    assert outcome.exit_code == 0, outcome.output
    assert "Against hold" in outcome.output
    single = runner.invoke(app, ["run", str(SMALL), "-n", "1", "--plan", "grow"])
    assert single.exit_code == 0, single.output
    assert "Against" not in single.output


def test_monthly_view_gives_p_plan_per_month_with_a_monthly_revenue_plan(result, small):
    """p_plan of a month is the share of replications whose revenue that month reaches its target."""
    from dataclasses import replace

    from simsales.montecarlo.results import with_plan_months

    attached = with_plan_months(result, small)
    assert attached.months == month_labels(small)
    assert "p_plan" not in compare(attached, small).months  # no monthly plan: no new columns
    month = attached.months[0]
    revenue = result.plans["grow"].series["revenue_net_month"][:, 0]
    target = float(np.median(revenue))
    planned = replace(attached, revenue_plan_months={month: target})
    months = compare(planned, small).months.set_index(["plan", "month"])
    assert months.loc[("grow", month), "revenue_plan"] == target
    assert months.loc[("grow", month), "p_plan"] == float(np.mean(revenue >= target))


def test_a_plan_that_hires_nobody_has_no_hires_to_measure_and_no_difference_in_them(result, small):
    """hires_weak_share and hires_ramp_mean are about the horizon's hires: undefined without any (not 0,
    which read as 'no weak hire' and 'hires not ramped at all': hold vs grow a -40 pp 'difference')."""
    hold, grow = result.plans["hold"].metrics, result.plans["grow"].metrics
    assert (hold["hires_made"] == 0).all()
    for metric in ("hires_weak_share", "hires_ramp_mean"):
        assert hold[metric].isna().all() and result.summary()["hold"][metric]["mean"] is None
        assert grow[metric].between(0, 1).all()  # grow hires every replication
        row = compare(result, small).differences.set_index(["plan", "metric"]).loc[("grow", metric)]
        assert np.isnan(row["mean"]) and np.isnan(row["p_better"])


def test_run_and_compare_name_each_plan_one_way_the_verdict_and_the_tables_alike(tmp_path):
    text = SMALL.read_text()
    for name, label in (("hold", "Hold: no hires"), ("grow", "Grow: 5 in July")):
        assert f"  - name: {name}\n" in text
        text = text.replace(f"  - name: {name}\n", f"  - name: {name}\n    label: \"{label}\"\n")
    labelled = tmp_path / "labelled.yaml"
    labelled.write_text(text)
    for command in ("compare", "run"):
        outcome = runner.invoke(app, [command, str(labelled), "-n", "2"])
        assert outcome.exit_code == 0, outcome.output
        said = " ".join(outcome.output.split())
        assert "Plan 'Hold: no hires'" in said or "Plan 'Grow: 5 in July'" in said   # the verdict
        assert "Against Hold: no hires" in said                                     # the tables
        assert "Against hold" not in said and "'hold'" not in said and "'grow'" not in said
        assert "│ hold " not in outcome.output and "┃ grow ┃" not in outcome.output
        if command == "compare":
            assert "vs Hold: no hires" in said and "│ Grow: 5 in July │" in outcome.output  # month by month
