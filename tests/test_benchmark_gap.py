"""The market benchmark: the schema block, the gaps, their gains and ranking, `simsales run`."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simsales import montecarlo
from simsales.analysis import market_gaps
from simsales.analysis.market_gaps import benchmark_gaps, gap_frame
from simsales.cli import app
from simsales.cli.run import gap_table
from simsales.scenario.loader import InputError, load_scenario, parse_scenario
from tests.conftest import DATA, SMALL

BENCHMARKED = DATA / "benchmarked.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BENCHMARKED)


@pytest.fixture(scope="module")
def result(scenario):
    return montecarlo.run(scenario, replications=3)


@pytest.fixture(scope="module")
def gaps(scenario, result):
    return benchmark_gaps(scenario, result)


def _with_benchmarks(block: dict) -> str:
    doc = yaml.safe_load(SMALL.read_text())
    doc["benchmarks"] = block
    return yaml.safe_dump(doc)


def test_schema_block_is_optional_and_validated(small):
    assert small.benchmarks is None
    ok = parse_scenario(_with_benchmarks({"qualify": 0.5, "sla_p50_min": 5}))
    assert ok.benchmarks.qualify == 0.5 and ok.benchmarks.offer is None
    with pytest.raises(InputError) as bad:
        parse_scenario(_with_benchmarks({"qualify": 1.5}))
    assert bad.value.field == "benchmarks.qualify"
    with pytest.raises(InputError) as typo:
        parse_scenario(_with_benchmarks({"qualfy": 0.5}))
    assert typo.value.field == "benchmarks.qualfy" and "unknown key" in typo.value.message


def test_no_block_no_gaps(small):
    assert benchmark_gaps(small, montecarlo.run(small, ["hold"], replications=1)) == []


def test_only_stages_below_market_are_listed(gaps):
    stages = [g.stage for g in gaps]
    # offer (ours 0.45 > market 0.40) and bank_approved (0.85 = 0.85) are not below market.
    assert "offer" not in stages and "bank_approved" not in stages
    assert {"qualify", "invoice_paid", "link_filled", "c2", "sla_p50_min", "contact_rate"} <= set(stages)


def test_ranked_by_the_first_plans_gain(gaps):
    estimated = [g.gains["hold"].mean for g in gaps if "hold" in g.gains]
    assert estimated == sorted(estimated, reverse=True)
    assert gaps[-1].stage == "sla_p50_min" and gaps[-1].method == "none" and not gaps[-1].gains


def test_analytic_gain_of_a_payment_stage_by_hand(scenario, result, gaps):
    gap = next(g for g in gaps if g.stage == "invoice_paid")
    assert gap.method == "analytic"
    # Offers pay by invoice (45%, paid 85%) or installment (55%, filled 75%, approved 85%, 7% commission).
    before = 0.45 * 0.85 + 0.55 * 0.75 * 0.85 * 0.93
    after = 0.45 * 0.90 + 0.55 * 0.75 * 0.85 * 0.93
    revenue = result.plans["hold"].metrics["revenue_net"].to_numpy()
    assert gap.gains["hold"].mean == pytest.approx(revenue.mean() * (after / before - 1))


def test_analytic_gain_of_offer_by_hand(small):
    sc = parse_scenario(_with_benchmarks({"offer": 0.5}))
    res = montecarlo.run(sc, ["hold"], replications=2)
    (gap,) = benchmark_gaps(sc, res)
    revenue = res.plans["hold"].metrics["revenue_net"].to_numpy()
    assert gap.gains["hold"].mean == pytest.approx(revenue.mean() * (0.5 / 0.45 - 1))


@pytest.mark.parametrize("stage, market", [("c2", 0.10), ("contact_rate", 0.80),
                                           ("revenue_per_manager", 1e6)])
def test_outcome_gain_uses_each_replications_own_value(result, gaps, stage, market):
    gap = next(g for g in gaps if g.stage == stage)
    assert gap.method == "analytic"
    m = result.plans["grow"].metrics
    expected = (m["revenue_net"] * (market / m[stage] - 1)).to_numpy()
    assert gap.gains["grow"].mean == pytest.approx(expected.mean())
    assert gap.ours["grow"] == pytest.approx(m[stage].mean())


def test_simulated_gain_is_paired_and_positive(gaps):
    gap = next(g for g in gaps if g.stage == "qualify")
    assert gap.method == "simulated"
    assert gap.gains["hold"].mean > 0


def test_simulated_gain_pairs_the_runs_first_replications(scenario, result, monkeypatch):
    """A variant of fewer replications than the run pairs with the run's same (first) ones."""
    monkeypatch.setattr(market_gaps, "GAP_REPLICATIONS", 2)
    asked = []

    def runner(sc, reps):
        asked.append(reps)
        return montecarlo.run(sc, list(result.plans), reps, result.seed, engine=result.engine)

    gap = next(g for g in benchmark_gaps(scenario, result, runner) if g.stage == "qualify")
    assert asked == [2] and "first 2 of the 3 replications" in gap.note
    # The same variant run on all 3: its first 2 replications are the ones paired above.
    full = montecarlo.run(market_gaps.update_path(scenario, market_gaps.PARAMETERS["qualify"], lambda x: x),
                          list(result.plans), 3, result.seed, engine=result.engine)
    assert full.plans["hold"].metrics["revenue_net"].iloc[:2].tolist() == \
        result.plans["hold"].metrics["revenue_net"].iloc[:2].tolist()  # an unchanged variant is the run
    variant = runner(market_gaps.update_path(
        scenario, market_gaps.PARAMETERS["qualify"],
        lambda x: market_gaps.scale(x, gap.market / market_gaps.mean_of(x), 1.0)), 2)
    diff = (variant.plans["hold"].metrics["revenue_net"].to_numpy()
            - result.plans["hold"].metrics["revenue_net"].to_numpy()[:2])
    assert gap.gains["hold"].mean == pytest.approx(diff.mean(), rel=1e-12)
    assert market_gaps.variant_replications(3) == 2 and market_gaps.variant_replications(1) == 1


def test_without_simulation_the_simulated_stages_have_no_gain(scenario, result):
    gaps = {g.stage: g for g in benchmark_gaps(scenario, result, simulate=False)}
    assert not gaps["qualify"].gains and "not estimated" in gaps["qualify"].note
    assert gaps["invoice_paid"].gains and gaps["contact_rate"].gains


def test_frame_and_table(gaps):
    frame = gap_frame(gaps)
    assert set(frame["plan"]) == {"hold", "grow"}
    assert frame["rank"].is_monotonic_increasing
    assert np.isfinite(frame.loc[frame["stage"] == "qualify", "gain_mean"]).all()
    table = gap_table(gaps, "RUB")
    assert table.row_count == len(gaps)


def test_cli_run_prints_the_gaps():
    res = runner.invoke(app, ["run", str(BENCHMARKED), "-n", "2", "--plan", "hold", "--workers", "1"],
                        terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Below market" in res.output and "qualify" in res.output
    plain = runner.invoke(app, ["run", str(SMALL), "-n", "1", "--plan", "hold", "--workers", "1"])
    assert plain.exit_code == 0 and "Below market" not in plain.output
