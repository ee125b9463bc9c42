"""`simsales baseline` / `simsales check`: the baseline document, the statistical
decision, and the commands end to end on tests/data/small.yaml."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from simsales.analysis import baselines, regression
from simsales.analysis.baselines import Baseline
from simsales.analysis.regression import ALPHA, compare, decide, default_tolerance, shift_p_value
from simsales.cli import app
from simsales.cli import regression as regression_cli
from simsales.montecarlo.metrics import METRICS
from simsales.scenario.loader import InputError

SMALL = Path(__file__).parent / "data" / "small.yaml"
REPS = 10  # replications in the test baseline: enough for the tests, quick to rerun
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [*map(str, args), "--workers", "1"])


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("baselines") / "small.json"
    result = cli("baseline", SMALL, "-n", REPS, "--engine", "des", "-o", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def baseline_copy(baseline_file, tmp_path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(baseline_file.read_text())
    return path


def flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def rewrite(path: Path, change) -> None:
    """Apply ``change`` to the baseline's JSON data in place."""
    data = json.loads(path.read_text())
    change(data)
    path.write_text(baselines.render(data))


def edited_scenario(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL.read_text()
    assert old in text
    path = tmp_path / "small.yaml"
    path.write_text(text.replace(old, new))
    return path


# --- the document ----------------------------------------------------------------------

def test_exact_stores_whole_numbers_as_ints_and_rounds_the_rest():
    assert baselines.exact(float("nan")) is None
    assert baselines.exact(float("inf")) is None
    assert baselines.exact(3.0) == 3 and isinstance(baselines.exact(3.0), int)
    assert baselines.exact(1 / 3) == 0.3333333333
    x = 4312345.678901234
    assert json.loads(json.dumps(baselines.exact(x))) == baselines.exact(x)


def test_baseline_file_is_sorted_one_metric_per_line_and_loads(baseline_file):
    text = baseline_file.read_text()
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data["replications"] == REPS and data["seed"] == 7 and data["engine"] == "des"
    assert data["scenario"]["name"] == "Small test team"
    assert data["scenario"]["sha256"] == baselines.scenario_digest(SMALL)
    lines = text.splitlines()
    for metric in METRICS:
        assert sum(line.strip().startswith(f'"{metric}": [') for line in lines) == 2  # one per plan
    assert baselines.render(data) == text
    base = baselines.load_baseline(baseline_file)
    assert set(base.plans) == {"hold", "grow"}
    assert base.plans["hold"].values("revenue_net").shape == (REPS,)


def test_scenario_digest_ignores_line_endings(tmp_path):
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(SMALL.read_bytes().replace(b"\n", b"\r\n"))
    assert baselines.scenario_digest(crlf) == baselines.scenario_digest(SMALL)


# --- the decision on synthetic data ----------------------------------------------------

def synthetic_metrics(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Per-replication values shaped like the real metrics: skewed money, counts
    large and tiny, rates, constants, SLA quantiles with an undefined replication."""
    sla = rng.gamma(20, 1.5, n)
    sla[rng.random(n) < 0.05] = np.nan
    return {
        "revenue_net": rng.lognormal(np.log(4.5e6), 0.2, n),
        "margin": rng.normal(2.8e6, 0.6e6, n),
        "refunds": rng.lognormal(np.log(2e5), 0.5, n),
        "leads": rng.poisson(1700, n).astype(float),
        "won": rng.poisson(78, n).astype(float),
        "untouched_leads": rng.poisson(20, n).astype(float),
        "attrition": rng.poisson(0.3, n).astype(float),
        "hires_deferred": np.full(n, 2.0),
        "headcount_end": 6.0 - rng.binomial(1, 0.2, n),
        "contact_rate": rng.beta(640, 360, n),
        "c2": rng.beta(48, 952, n),
        "sla_p50_min": sla,
    }


@pytest.mark.parametrize("n", [10, 100])
def test_no_flake_over_50_seeds_at_the_default_tolerance(n):
    """A rerun with a new seed and no change never fails, for 50 seeds."""
    tests = 90  # as many (plan, metric) tests as small.yaml has, for the Bonferroni split
    failures = []
    for seed in range(50):
        base = synthetic_metrics(np.random.default_rng([seed, 0]), n)
        now = synthetic_metrics(np.random.default_rng([seed, 1]), n)
        for metric in base:
            d = decide(base[metric], now[metric], default_tolerance(metric), ALPHA / tests, paired=False)
            if d.moved:
                failures.append((seed, metric, d))
    assert failures == []


def test_no_flake_over_50_seeds_on_real_per_replication_values(baseline_file):
    """The same with the real values of small.yaml: two reruns of the unchanged
    scenario with other seeds compare as Welch samples and pass.

    Each rerun is a disjoint half of the baseline's replications (independent
    draws, as reruns with other seeds are); resampling with replacement would
    repeat values and understate the spread (a sample holding one extreme four
    times flags a move that is not there)."""
    base = baselines.load_baseline(baseline_file)
    for seed in range(50):
        order = np.random.default_rng(seed).permutation(REPS)
        a, b = order[:REPS // 2], order[REPS // 2:]
        docs = []
        for pick, run_seed in ((a, 100 + seed), (b, 200 + seed)):
            doc = base.model_dump()
            doc["seed"], doc["replications"] = run_seed, len(pick)
            for plan in doc["plans"].values():
                plan["replications"] = {m: [v[i] for i in pick] for m, v in plan["replications"].items()}
            docs.append(Baseline.model_validate(doc))
        report = compare(*docs)
        assert report.mode == "welch"
        assert report.failed == [], (seed, report.failed)


def test_a_5_percent_shift_with_common_random_numbers_is_detected():
    rng = np.random.default_rng(1)
    base = rng.lognormal(np.log(4.5e6), 0.2, 10)
    now = base * 1.05 * rng.normal(1, 0.005, 10)
    d = decide(base, now, 0.02, ALPHA / 90, paired=True)
    assert d.moved and d.change == pytest.approx(0.05, abs=0.01) and d.p_value < 1e-6


def test_significant_but_small_and_large_but_noisy_shifts_pass():
    rng = np.random.default_rng(2)
    base = rng.lognormal(np.log(4.5e6), 0.2, 20)
    assert decide(base, base * 1.01, 0.02, ALPHA / 90, paired=True).verdict == "ok: small"
    noisy = rng.lognormal(np.log(4.5e6 * 1.1), 0.2, 20)
    assert decide(base, noisy, 0.02, ALPHA / 90, paired=False).verdict == "ok: noise"


def test_p_value_edge_cases():
    ones, twos = np.ones(5), np.full(5, 2.0)
    assert shift_p_value(ones, ones, paired=False) == 1.0
    assert shift_p_value(ones, twos, paired=False) == 0.0
    assert shift_p_value(ones, twos, paired=True) == 0.0
    assert shift_p_value(np.ones(1), np.ones(1), paired=False) is None
    nan = np.full(5, np.nan)
    assert decide(nan, nan, 0.02, 0.001, paired=False).verdict == "ok"
    assert decide(nan, ones, 0.02, 0.001, paired=False).moved
    assert regression.relative_change(0.0, 1.0) == math.inf


# --- tolerances ------------------------------------------------------------------------

def test_tolerances_by_metric_family_and_percent():
    known = set(METRICS)
    got = regression.parse_tolerances(["revenue_net=0.05", "team=10%", "money=0.2", "won=inf"], known)
    assert got["revenue_net"] == 0.05 and got["margin"] == 0.2 and got["won"] == math.inf
    assert got["hires_made"] == pytest.approx(0.10) and got["attrition"] == pytest.approx(0.10)
    assert default_tolerance("margin") == 0.02 and default_tolerance("sla_p90_min") == 0.05
    for bad in ("revenue=0.05", "revenue_net", "revenue_net=-1", "revenue_net=abc"):
        with pytest.raises(InputError):
            regression.parse_tolerances([bad], known)


def test_tolerance_families_name_only_real_metrics():
    for _, members in regression.FAMILIES.values():
        assert set(members) <= set(METRICS)


# --- compare on documents --------------------------------------------------------------

def test_changed_plans_fail_and_changed_metric_sets_are_reported(baseline_file):
    base = baselines.load_baseline(baseline_file)
    doc = base.model_dump()
    doc["seed"] = 8
    doc["plans"]["extra"] = doc["plans"].pop("grow")
    del doc["plans"]["hold"]["replications"]["attrition"]
    report = compare(base, Baseline.model_validate(doc))
    verdicts = {(r.plan, r.metric): r.verdict for r in report.rows}
    assert verdicts[("grow", "-")] == "plan removed" and verdicts[("extra", "-")] == "plan added"
    assert verdicts[("hold", "attrition")] == "gone"
    assert {r.verdict for r in report.failed} == {"plan removed", "plan added"}


def test_same_inputs_must_reproduce_every_value(baseline_file):
    base = baselines.load_baseline(baseline_file)
    doc = copy.deepcopy(base.model_dump())
    doc["plans"]["hold"]["replications"]["won"][3] += 1
    report = compare(base, Baseline.model_validate(doc))
    assert report.mode == "reproduction"
    assert [(r.plan, r.metric) for r in report.failed] == [("hold", "won")]
    assert compare(base, base).failed == []


def test_the_verdict_line_says_plans_apart_from_the_metric_checks(baseline_file, capsys):
    base = baselines.load_baseline(baseline_file)
    doc = base.model_dump()
    doc["seed"] = 8
    doc["plans"]["extra"] = doc["plans"].pop("grow")
    now = Baseline.model_validate(doc)
    report = compare(base, now)
    regression_cli.print_report(report, base, now, {}, show_all=False, inputs="")
    said = flat(capsys.readouterr().out)
    # A plan of one side only is no metric check: it is said apart, and the checks are counted alone.
    assert "plan grow is in the baseline but not in this run" in said
    assert "plan extra is in this run but not in the baseline" in said
    assert f"none of the {report.tests} metric checks moved" in said
    assert f"of {report.tests} moved" not in said


def test_a_changed_revenue_plan_is_said_apart_from_the_metric_checks(baseline_file, capsys):
    base = baselines.load_baseline(baseline_file)
    doc = base.model_dump()
    doc["scenario"]["sha256"] = "0" * 64  # the file was edited: its revenue plan
    doc["revenue_plan"] = base.revenue_plan / 2
    doc["plans"]["hold"]["summary"]["p_plan"] = 0.9
    now = Baseline.model_validate(doc)
    report = compare(base, now)
    regression_cli.print_report(report, base, now, {}, show_all=False, inputs="")
    said = flat(capsys.readouterr().out)
    assert f"none of the {report.tests} metric checks moved" in said
    assert "the chance of making the new revenue plan changed: hold.p_plan" in said and "90.0%" in said


def test_a_reproduction_passes_saying_every_check_matched_exactly(baseline_file, capsys):
    base = baselines.load_baseline(baseline_file)
    report = compare(base, base)
    regression_cli.print_report(report, base, base, {}, show_all=False, inputs="")
    said = flat(capsys.readouterr().out)
    assert f"PASS: all {report.tests} metric checks matched exactly" in said and "moved" not in said


# --- the commands ----------------------------------------------------------------------

def test_same_seed_reproduces_exactly(baseline_file):
    result = cli("check", SMALL, "--baseline", baseline_file)
    assert result.exit_code == 0, result.output
    assert "same inputs" in result.output and "PASS" in result.output
    assert "NOT REPRODUCED" not in result.output
    # The answer leads, before the tables: a head of sales (and a CI log's reader) sees it first.
    assert result.stdout.splitlines()[0].startswith("PASS: "), result.stdout


def test_a_new_seed_without_change_passes(baseline_file):
    result = cli("check", SMALL, "--baseline", baseline_file, "--seed", 8)
    assert result.exit_code == 0, result.output
    assert "seed 7 -> 8" in result.output and "Welch" in result.output


def test_a_price_change_moving_revenue_5_percent_fails(baseline_file, tmp_path):
    changed = edited_scenario(tmp_path, "normal: [60000, 10000]", "normal: [63000, 10000]")
    result = cli("check", changed, "--baseline", baseline_file, "--all")
    assert result.exit_code == 1, result.output
    assert "scenario file edited" in result.output
    assert "hold.revenue_net +5.0%" in flat(result.output)
    assert "MOVED" in result.output
    assert result.stdout.splitlines()[0].startswith("FAIL: "), result.stdout
    # A wider tolerance for money lets it pass (avg_check moved by exactly the price change).
    wide = cli("check", changed, "--baseline", baseline_file, "--tolerance", "money=0.10")
    assert wide.exit_code == 0, wide.output


def test_a_tampered_baseline_is_a_reproducibility_failure(baseline_copy):
    rewrite(baseline_copy, lambda data: data["plans"]["grow"]["replications"]["leads"].__setitem__(2, 0))
    result = cli("check", SMALL, "--baseline", baseline_copy)
    assert result.exit_code == 1, result.output
    assert "not reproduced" in result.output and "grow.leads at replication 2" in flat(result.output)
    assert "tested statistically: nothing moved" in flat(result.output)


def test_update_rewrites_the_baseline_on_purpose(baseline_copy, tmp_path):
    changed = edited_scenario(tmp_path, "normal: [60000, 10000]", "normal: [57000, 10000]")
    result = cli("check", changed, "--baseline", baseline_copy, "--update")
    assert result.exit_code == 0, result.output
    assert "MOVED" in result.output and f"updated {baseline_copy}" in flat(result.output)
    assert baselines.load_baseline(baseline_copy).scenario.sha256 == baselines.scenario_digest(changed)


def test_update_creates_a_missing_baseline(baseline_file, tmp_path):
    path = tmp_path / "new" / "small.json"
    result = cli("check", SMALL, "--baseline", path, "--update", "-n", 3, "--engine", "des")
    assert result.exit_code == 0, result.output
    assert baselines.load_baseline(path).replications == 3


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.unlink(), "no such baseline"),
    (lambda p: p.write_text('{"format": 1, "plans": {'), "not valid JSON"),
    (lambda p: p.write_text("[1, 2]"), "not a simsales baseline"),
    (lambda p: rewrite(p, lambda d: d.update(format=99)), "format 99 is not supported"),
    (lambda p: rewrite(p, lambda d: d.update(replications=11)), "expected 11"),
    (lambda p: rewrite(p, lambda d: d.update(seed="seven")), "corrupt baseline"),
    (lambda p: rewrite(p, lambda d: d.update(engine="warp")), "engine 'warp'"),
])
def test_bad_baselines_exit_2_with_a_clear_error(baseline_copy, damage, message):
    damage(baseline_copy)
    result = cli("check", SMALL, "--baseline", baseline_copy)
    assert result.exit_code == 2, result.output
    assert message in flat(result.output) and "Traceback" not in result.output


def test_a_baseline_from_another_scenario_exits_2(baseline_copy):
    rewrite(baseline_copy, lambda data: data["scenario"].update(name="Online school, Q3 2026"))
    for extra in ((), ("--update",)):
        result = cli("check", SMALL, "--baseline", baseline_copy, *extra)
        assert result.exit_code == 2, result.output
        assert "this baseline is for scenario 'Online school, Q3 2026'" in flat(result.output)


@pytest.mark.parametrize("tolerance", ["revenue=0.05", "revenue_net", "won=-0.1"])
def test_bad_tolerances_exit_2(baseline_file, tolerance):
    result = cli("check", SMALL, "--baseline", baseline_file, "--tolerance", tolerance)
    assert result.exit_code == 2, result.output
    assert "--tolerance" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_real_reruns_with_new_seeds_pass(baseline_file, seed):
    result = cli("check", SMALL, "--baseline", baseline_file, "--seed", seed)
    assert result.exit_code == 0, result.output
