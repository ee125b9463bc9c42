"""Regression cases for what the fuzzer found (issue 16), one or more per fix, run in-process.

Each case is the smallest input that failed: rich markup in user text, a
file that is not UTF-8 or holds a control character, corrupt baselines, a
formatter given infinity, ``funnel --simulate`` past the limits, blank
names, a ``lead_ttl`` no attempt fits in, and a funnel stage at 100%; then
what a head of sales writes that the fuzzer does not: a number or a time
of day for a date, hours and durations written another way, empty values
and yes/no, a day for a month, decimal commas in a list, percentages on
the command line.  The scenario is ``tests/data/small.yaml`` cut to 3 days
and one replication.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simsales.analysis import baselines
from simsales.cli import app
from simsales.report import units
from simsales.scenario import loader
from simsales.scenario.loader import InputError, load_scenario, parse_scenario
from simsales.scenario.yaml_loader import PyYamlLoader

from .conftest import SMALL

runner = CliRunner()


def small_doc() -> dict:
    """small.yaml cut to 3 days and one replication (both plans kept: the hires come on day 3)."""
    doc = yaml.safe_load(SMALL.read_text())
    doc["horizon_days"] = 3
    doc["replications"] = 1
    return doc


def write(tmp_path: Path, doc: dict, name: str = "s.yaml") -> Path:
    """Write a scenario document as YAML."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cli(*args: object) -> object:
    """Run simsales in-process; a traceback is a failure of the test, not an exit status."""
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def flat(text: str) -> str:
    """Output with the line breaks rich adds removed."""
    return " ".join(text.split())


def error_line(text: str) -> str:
    """The ``error:`` message, on one line."""
    return flat(text.split("error:", 1)[1]) if "error:" in text else ""


# --- 1. rich markup in user text is printed as written ------------------------------------------------


MARKUP = "[/]"
"""Closes a tag nothing opened: rich raised MarkupError on it."""
STYLED = "[bold]x"
"""A tag rich would silently apply (the text would lose its brackets)."""


def marked_up(tmp_path: Path, plans: int = 2) -> Path:
    """A scenario whose name, currency, plans, channel and shift carry rich markup."""
    doc = small_doc()
    doc["name"] = STYLED + "\\"  # a trailing backslash would escape the markup that follows it
    doc["currency"] = MARKUP
    doc["plans"][0]["name"] = MARKUP
    doc["plans"][1]["name"] = STYLED
    doc["plans"] = doc["plans"][:plans]
    doc["channels"][0]["name"] = MARKUP
    doc["team"]["shifts"][0]["name"] = STYLED
    return write(tmp_path, doc)


def test_run_prints_markup_in_the_name_currency_and_plan_literally(tmp_path):
    path = marked_up(tmp_path, plans=1)
    result = cli("run", path, "-n", 1, "--workers", 1)
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert f"{STYLED}\\: 1 replication" in text and "1 replications" not in text  # the title as written
    assert f"money in {MARKUP}" in text  # the caption
    assert f"Plan '{MARKUP}'" in text  # the verdict names the plan
    assert re.search(r"net revenue \S+ \[/\] over 3 days", text)  # the verdict's money, in its currency


def test_run_and_compare_with_several_marked_up_plans(tmp_path):
    """Plan names in the comparison table (cli/common.py) and the month-by-month table (cli/report.py)."""
    path = marked_up(tmp_path, plans=2)
    for command in ("run", "compare"):
        result = cli(command, path, "-n", 1, "--workers", 1)
        assert result.exit_code == 0, result.output
        assert MARKUP in result.output and STYLED in result.output


def test_compare_month_table_prints_plan_names_literally(tmp_path):
    """The month-by-month table of `compare` (cli/report.py) on its own."""
    from rich.console import Console

    from simsales.analysis.compare import SHOWN_METRICS, compare
    from simsales.cli.report import monthly_table
    from simsales.montecarlo import run
    from simsales.montecarlo.results import with_plan_months

    scenario = load_scenario(marked_up(tmp_path, plans=2))
    result = with_plan_months(run(scenario, None, 1), scenario)
    table = monthly_table(compare(result, scenario, metrics=SHOWN_METRICS), scenario.currency)
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert f"vs {MARKUP}" in text and STYLED in text and f"P50, {MARKUP}" in flat(text)


def test_funnel_prints_markup_in_stage_names_literally():
    result = cli("funnel", "--stage", f"{MARKUP}=50%", "--stage", f"{STYLED}=20%", "--goal", "conversion=15%")
    assert result.exit_code == 0, result.output
    assert f"{MARKUP} 50% -> 51%" in result.output and f"{STYLED} 20% -> 21%" in result.output
    assert result.output.count(STYLED) >= 4  # stages, equivalences (twice) and the goal table


def test_funnel_from_a_file_names_the_plan_literally(tmp_path):
    path = marked_up(tmp_path, plans=1)
    result = cli("funnel", path, "--simulate", 1, "--plan", MARKUP)
    assert result.exit_code == 0, result.output
    assert f"plan {MARKUP}, 1 replication)" in flat(result.output)


def test_levers_print_the_currency_and_the_folder_literally(tmp_path):
    path = marked_up(tmp_path, plans=1)
    folder = tmp_path / STYLED
    result = cli("levers", path, "-n", 2, "--lever", "cpl", "--workers", 1, "--out", folder)
    assert result.exit_code == 0, result.output
    assert f"change in {MARKUP} when" in flat(result.output)
    assert f"Wrote {folder}/levers.csv" in flat(result.output)


def test_report_writes_marked_up_names_and_folders_as_written(tmp_path):
    folder = tmp_path / f"out{STYLED}"
    result = cli("report", marked_up(tmp_path), "-n", 1, "--workers", 1, "--out", folder)
    assert result.exit_code == 0, result.output
    assert f"report: {folder}/report.html" in flat(result.output)
    assert f"{STYLED}\\: hiring plans" in (folder / "report.html").read_text(encoding="utf-8")


def test_validate_echoes_a_marked_up_name_literally(tmp_path):
    result = cli("validate", marked_up(tmp_path))
    assert result.exit_code == 0, result.output
    assert repr(STYLED + "\\") in flat(result.output) and f"plans: {MARKUP}, {STYLED}" in flat(result.output)


# --- 2. and 3. text that is not UTF-8, or holds a control character ------------------------------------


def test_a_file_that_is_not_utf8_gives_the_line_and_column_of_the_byte(tmp_path):
    path = tmp_path / "cp1251.yaml"
    path.write_bytes(b"# a comment\nname: \xcf\xf0\xee\xe4\xe0\xe6\xe8\n")  # "Продажи" saved as Windows-1251
    result = cli("validate", path)
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert message.startswith(f"{path}:2: not UTF-8 text (byte 0xcf at column 7")
    assert "save the file as UTF-8" in message


def test_the_column_of_a_bad_byte_counts_characters_not_bytes(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_bytes("name: Продажи ".encode() + b"\xff\n")  # 14 characters, then the bad byte
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.line == 1 and "byte 0xff at column 15" in caught.value.message


def test_a_utf16_file_is_named_as_such(tmp_path):
    path = tmp_path / "notepad.yaml"
    path.write_bytes("name: x\n".encode("utf-16"))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.line == 1 and "UTF-16" in caught.value.message
    assert "save the file as UTF-8" in caught.value.message


@pytest.mark.parametrize("char", ["\x15", "\x00", "\x1e"])
@pytest.mark.parametrize("safe_loader", ["libyaml", "python"])
def test_a_control_character_gives_its_line_and_column(monkeypatch, char, safe_loader):
    if safe_loader == "python":  # PyYAML's own reader refuses the text before parsing starts
        monkeypatch.setattr(loader, "YamlLoader", PyYamlLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML built without libyaml")
    text = SMALL.read_text().replace('name: "Small test team"', f'name: "Продажи {char}team"')
    line = next(i for i, row in enumerate(text.split("\n"), 1) if char in row)  # (splitlines splits at \x1e)
    with pytest.raises(InputError) as caught:
        parse_scenario(text, "bad.yaml")
    assert caught.value.line == line == 2  # after the comment on line 1
    assert caught.value.message.startswith(f"character U+{ord(char):04X} at column 16 is not allowed in YAML")


def test_a_control_character_from_the_command_line(tmp_path):
    path = tmp_path / "ctl.yaml"
    path.write_text("name: x\ncurrency: R\x15UB\n", encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 2, result.output
    assert error_line(result.output).startswith(f"{path}:2: character U+0015 at column 12")


# --- 4. to 6. corrupt baselines ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, dict]:
    """small.yaml cut to 3 days, and its baseline (2 replications), as `simsales baseline` writes it."""
    folder = tmp_path_factory.mktemp("baseline")
    scenario = write(folder, small_doc())
    path = folder / "base.json"
    result = cli("baseline", scenario, "--out", path, "-n", 2, "--workers", 1)
    assert result.exit_code == 0, result.output
    return scenario, json.loads(path.read_text())


def check_with(made: tuple[Path, dict], tmp_path: Path, change=None, text: str | None = None) -> tuple:
    """`simsales check` against the baseline, changed by ``change`` (or replaced by ``text``)."""
    scenario, document = made
    doc = json.loads(json.dumps(document))
    if change is not None:
        change(doc)
    path = tmp_path / "corrupt.json"
    path.write_text(text if text is not None else json.dumps(doc, indent=1))
    return cli("check", scenario, "--baseline", path, "--workers", 1), path


def test_the_baseline_as_written_passes(made, tmp_path):
    result, _ = check_with(made, tmp_path)
    assert result.exit_code == 0 and "PASS" in result.output, result.output


def test_a_baseline_without_plans_is_corrupt(made, tmp_path):
    result, path = check_with(made, tmp_path, lambda d: d.update(plans={}))
    assert result.exit_code == 2, result.output
    assert error_line(result.output).startswith(f"{path}: plans: corrupt baseline: no plan recorded")


def test_a_baseline_whose_plans_record_different_metrics_is_corrupt(made, tmp_path):
    result, path = check_with(made, tmp_path, lambda d: d["plans"]["grow"]["replications"].pop("won"))
    assert result.exit_code == 2, result.output
    assert error_line(result.output).startswith(
        f"{path}: plans.grow.replications: corrupt baseline: the plans record different metrics: "
        "plan 'grow' lacks won, which other plans record")


def test_a_plan_with_no_metric_and_a_metric_that_is_no_name_are_corrupt(made, tmp_path):
    result, _ = check_with(made, tmp_path, lambda d: d["plans"]["hold"].update(replications={}))
    assert result.exit_code == 2, result.output
    assert "plans.hold.replications: corrupt baseline: no metric" in flat(result.output)

    def rename(d: dict) -> None:
        for plan in d["plans"].values():
            plan["replications"][MARKUP] = plan["replications"].pop("won")

    result, _ = check_with(made, tmp_path, rename)
    assert result.exit_code == 2, result.output
    assert f"replications.{MARKUP}: corrupt baseline: '{MARKUP}' is not a metric name" in flat(result.output)


def test_a_baseline_of_this_very_file_must_hold_its_plans(made):
    """Same SHA-256 as the scenario file, yet a plan is missing: damaged, not a plan removed."""
    scenario_path, document = made
    scenario = load_scenario(scenario_path)
    doc = json.loads(json.dumps(document))
    doc["plans"].pop("grow")
    base = baselines.Baseline.model_validate(doc)
    names, digest = [p.name for p in scenario.plans], baselines.scenario_digest(scenario_path)
    with pytest.raises(InputError) as caught:
        baselines.check_same_scenario(base, scenario.name, "b.json", plans=names, digest=digest)
    assert caught.value.field == "plans" and "records no plan 'grow'" in caught.value.message
    # From an edited file, a plan that is gone is a regression `check` reports, not corruption.
    baselines.check_same_scenario(base, scenario.name, "b.json", plans=names, digest="0" * 64)
    baselines.check_same_scenario(baselines.Baseline.model_validate(document), scenario.name, "b.json",
                                  plans=names, digest=digest)


def test_check_refuses_a_baseline_of_this_file_with_a_plan_missing(made, tmp_path):
    result, path = check_with(made, tmp_path, lambda d: d["plans"].pop("grow"))
    assert result.exit_code == 2, result.output
    assert f"{path}: plans: corrupt baseline" in flat(result.output)


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_nan_or_infinity_in_a_baseline_is_corrupt(made, tmp_path, constant):
    doc = json.loads(json.dumps(made[1]))
    values = doc["plans"]["grow"]["replications"]["hires_made"]
    doc["plans"]["grow"]["replications"]["hires_made"] = ["@@", *values[1:]]
    text = json.dumps(doc, indent=1).replace('"@@"', constant)  # JSON as Python's json module reads it
    result, path = check_with(made, tmp_path, text=text)
    assert result.exit_code == 2, result.output
    assert error_line(result.output).startswith(
        f"{path}: plans.grow.replications.hires_made[0]: corrupt baseline: {constant} is not a value")


def test_a_baseline_asking_for_too_many_replications_names_the_file_and_field(made, tmp_path):
    for change in (lambda d: d.update(replications=10**12),
                   lambda d: d.update(replications=10**12, plans={})):
        result, path = check_with(made, tmp_path, change)
        assert result.exit_code == 2, result.output
        assert error_line(result.output).startswith(
            f"{path}: replications: corrupt baseline: expected at most 100,000 replications, got "
            "1,000,000,000,000")
        assert "--replications" not in result.output  # the user gave no such option


@pytest.mark.parametrize(("value", "text"), [(math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "-")])
def test_formatters_write_values_that_are_not_finite(value, text):
    assert units.whole(value) == text
    assert units.count(value) == text
    assert units.money(value) == text
    assert units.fmt(value, "hires_made") == text and units.fmt(value, "revenue_net") == text
    assert units.fmt(value, "contact_rate") == text and units.fmt(value, "sla_p50_min") == text
    assert units.percent(value) == text and units.share(value) == text
    assert units.duration(value) == text
    assert units.fmt(value, "margin", signed=True) == {"inf": "+inf"}.get(text, text)
    assert units.fmt(None, "won") == "-"


# --- 7. funnel --simulate goes through the bounds and the estimate `run` applies ----------------------


def test_funnel_simulate_is_bounded_like_run():
    result = cli("funnel", SMALL, "--simulate", 10**9)
    assert result.exit_code == 2, result.output
    assert error_line(result.output).startswith("--simulate: expected at most 100,000 replications, got "
                                                "1,000,000,000")


def test_funnel_simulate_goes_through_the_memory_estimate(monkeypatch, tmp_path):
    import simsales.cli.execution as execution

    monkeypatch.setattr(execution, "available_memory", lambda: 1024)  # a machine with 1 KiB free
    path = write(tmp_path, small_doc())
    refused = cli("funnel", path, "--simulate", 2)
    assert refused.exit_code == 2, refused.output
    assert "memory" in error_line(refused.output)
    monkeypatch.undo()
    assert cli("funnel", path, "--simulate", 2).exit_code == 0


# --- 8. blank names, a lead_ttl no attempt fits in, a stage at 100% -----------------------------------


@pytest.mark.parametrize(("path", "field"), [
    (("name",), "name"),
    (("plans", 1, "name"), "plans[1].name"),
    (("channels", 0, "name"), "channels[0].name"),
    (("team", "shifts", 0, "name"), "team.shifts[0].name"),
    (("team", "team_leads", 1, "name"), "team.team_leads[1].name"),
])
@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_or_blank_name_is_an_error(tmp_path, path, field, blank):
    doc = small_doc()
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = blank
    file = write(tmp_path, doc)
    result = cli("validate", file)
    assert result.exit_code == 2, result.output
    assert f": {field}: expected a name, got " in error_line(result.output)


@pytest.mark.parametrize(("ttl", "said"), [
    ("1h", "the last offset is 1 d, lead_ttl 1 h; 2 of the 4 attempts come later: make lead_ttl at "
           "least 1 d, or drop them"),
    ("20h", "the last offset is 1 d, lead_ttl 20 h; 1 of the 4 attempts comes later"),
])
def test_a_lead_ttl_before_the_last_attempt_is_an_error(tmp_path, ttl, said):
    doc = small_doc()
    doc["touch_chain"]["lead_ttl"] = ttl  # offsets 0m, 30m, 3h, 1d
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert ": touch_chain.lead_ttl: attempts after lead_ttl can never happen: " in message and said in message


def test_a_lead_ttl_of_the_last_offset_is_fine_and_the_default_is_named(tmp_path):
    doc = small_doc()
    doc["touch_chain"]["lead_ttl"] = "1d"
    assert cli("validate", write(tmp_path, doc)).exit_code == 0
    del doc["touch_chain"]["lead_ttl"]  # 7 days by default
    doc["touch_chain"]["offsets"][-1] = "8d"
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2 and "lead_ttl 7 d (the default)" in error_line(result.output)


@pytest.mark.parametrize("ttl", ["0", 0, "0m"])
def test_a_lead_ttl_of_zero_is_an_error(tmp_path, ttl):
    doc = small_doc()
    doc["touch_chain"]["lead_ttl"] = ttl
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    assert ": touch_chain.lead_ttl: expected a lead_ttl > 0, got 0 min" in error_line(result.output)


def test_a_stage_at_100_percent_is_left_out_of_the_equivalences_and_said(tmp_path):
    result = cli("funnel", "--stage", "a=100%", "--stage", "b=50%")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "b 50% -> 51%" in text and "impossible (102%)" in text  # a would have to pass 100%
    assert "Not moved: a is at 100%: +1 point would pass 100%" in text
    doc = json.loads(cli("funnel", "--stage", "a=100%", "--stage", "b=50%", "--format", "json").output)
    assert [row["stage"] for row in doc["equivalences"]] == ["b"]
    assert doc["equivalences"][0]["match"]["a"] == pytest.approx(1.0 * 0.51 / 0.5)
    assert doc["equivalences_skipped"] == {"a": "is at 100%: +1 point would pass 100%"}


def test_only_stages_at_100_percent_blame_what_the_user_typed():
    alone = cli("funnel", "--stage", "a=100%")
    assert alone.exit_code == 2 and error_line(alone.output).startswith("--stage: no stage can move by 1%")
    assert "--delta -1%" in error_line(alone.output)
    typed = cli("funnel", "--stage", "a=100%", "--delta", "2%")
    assert typed.exit_code == 2 and error_line(typed.output).startswith("--delta: no stage can move by 2%")
    falls = cli("funnel", "--stage", "a=100%", "--stage", "b=50%", "--delta", "-1%")
    assert falls.exit_code == 0 and "a 100% -> 99%" in falls.output and "Not moved" not in falls.output


def test_a_scenario_stage_that_always_converts_runs(tmp_path):
    doc = small_doc()
    doc["funnel"]["offer"]["p"] = {"beta": [1e12, 42]}  # a mean of 1 - 4e-11
    result = cli("funnel", write(tmp_path, doc))
    assert result.exit_code == 0, result.output
    assert "Not moved: qualified_to_offer is at 100%" in flat(result.output)


@pytest.mark.parametrize("typed", ["PRIORITY", "Priority", "priorty"])
def test_a_key_in_another_case_gets_a_did_you_mean(tmp_path, typed):
    doc = small_doc()
    doc["touch_chain"][typed] = doc["touch_chain"].pop("priority", "new_first")
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    assert f"touch_chain.{typed}: unknown key '{typed}'; did you mean priority?" in error_line(result.output)


def test_a_team_lead_in_another_case_gets_a_did_you_mean(tmp_path):
    doc = small_doc()
    doc["team"]["managers"][0]["team_lead"] = "ANNA"
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2 and "did you mean anna?" in error_line(result.output), result.output


def test_a_misspelt_distribution_gets_a_did_you_mean(tmp_path):
    doc = small_doc()
    doc["channels"][0]["leads_per_day"] = {"triangualr": [50, 60, 70]}
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    said = "channels[0].leads_per_day: unknown distribution 'triangualr'; did you mean triangular?"
    assert said in error_line(result.output)


@pytest.mark.parametrize(("where", "value", "hint"), [
    (("team", "ramp", "months", 0), 40, "did you mean 0.4 (40%)?"),
    (("touch_chain", "decay"), {"table": [[0, 1.0], [60, 50]]}, "did you mean 0.5 (50%)?"),
])
def test_a_share_written_as_a_percentage_says_what_was_meant(tmp_path, where, value, hint):
    doc = small_doc()
    doc["team"]["ramp"] = {"months": [0.4, 0.7, 0.9]}
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    assert hint in error_line(result.output)


@pytest.mark.parametrize(("spec", "hint"), [
    ({"triangular": [0.5, 60, 0.7]}, "; did you mean 0.6 (60%)?"),
    ({"uniform": [50, 0.7]}, "; did you mean 0.5 (50%)?"),
    ({"triangular": [0.7, 0.6, 0.5]}, ""),  # out of order, and no percentage would put it in order
])
def test_a_share_distribution_with_a_percentage_among_its_parameters(tmp_path, spec, hint):
    doc = small_doc()
    doc["team"]["talk_share"] = spec
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert ": team.talk_share: " in message and message.endswith(hint or "]")


def test_a_misspelt_bound_of_a_distribution_is_named_as_such(tmp_path):
    doc = small_doc()
    doc["funnel"]["price"]["check"] = {"normal": [60000, 10000], "mni": 20000, "max": 150000}
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    assert "funnel.price.check: unknown key 'mni'; did you mean min?" in error_line(result.output)


@pytest.mark.parametrize(("spec", "meant"), [({"lognormal": {"means": 1.0, "sd": 0.25}}, "mean"),
                                              ({"gamma": {"mean": 1.0, "sdd": 0.2}}, "sd")])
def test_a_misspelt_parameter_of_a_distribution_gets_a_did_you_mean(spec, meant):
    from simsales.scenario import parse_distribution
    from simsales.scenario.distributions import DistributionError

    with pytest.raises(DistributionError, match=rf"did you mean {meant}\?"):
        parse_distribution(spec)


def test_a_normal_whose_bounds_are_too_narrow_for_its_sd_is_refused():
    from simsales.scenario import parse_distribution
    from simsales.scenario.distributions import DistributionError

    with pytest.raises(DistributionError, match="too narrow"):
        parse_distribution({"normal": [1e30, 1e30], "min": 20000, "max": 150000})
    wide = parse_distribution({"normal": [60000, 1e9], "min": 0, "max": 150000})  # nearly uniform: fine
    draws = wide.sample(np.random.default_rng(1), 2000)
    assert np.isfinite(draws).all() and draws.min() >= 0 and draws.max() <= 150000


def test_two_swapped_letters_are_a_near_miss_however_short_the_name():
    from simsales.scenario.checks import did_you_mean

    assert did_you_mean("ds", ("mean", "sd")) == "; did you mean sd?"
    assert did_you_mean("lead_tlt", ("lead_ttl", "offsets")) == "; did you mean lead_ttl?"
    assert did_you_mean("xyz", ("mean", "sd")) == ""


# --- 9. a number where a date belongs is no Unix time -------------------------------------------------


@pytest.mark.parametrize(("written", "hint"), [
    (0, ""), (86400, ""), (1782864000, ""),  # were Unix time: 1970-01-01, 1970-01-02, 2026-07-01
    ("'1782864000'", None), (2026, ""),
    (20260701, "did you mean 2026-07-01?"), (46204, "did you mean 2026-07-01?")])
def test_a_number_given_for_start_is_an_error_with_the_date_it_may_mean(tmp_path, written, hint):
    path = tmp_path / "s.yaml"
    path.write_text(SMALL.read_text().replace("start: 2026-07-01", f"start: {written}"), encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert f"{path}:3: start: expected a date such as 2026-07-01" in message, message
    if hint is not None:
        assert ("did you mean" not in message) if not hint else (hint in message), message


@pytest.mark.parametrize("entry", ["holidays: [0]", "holidays: [86400]", "short_days: {0: '10:00-16:00'}"])
def test_a_number_given_for_a_calendar_date_is_an_error(tmp_path, entry):
    doc = small_doc()
    doc["calendar"] = yaml.safe_load("{" + entry + "}")
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output  # it was 1970-01-01: outside any horizon, said nowhere
    message = error_line(result.output)
    assert "calendar." in message
    assert "expected a date such as 2026-07-01 (year first, YYYY-MM-DD), got the number" in message


@pytest.mark.parametrize(("written", "field"), [
    ("start: 2026-07-01T10:00:00Z", "start"),
    ("start: 2026-07-01 10:00", "start"),
    ("calendar: {holidays: [2026-07-02 10:00]}", "calendar.holidays[0]"),
    ("calendar: {short_days: {2026-07-02 10:00:00: '10:00-16:00'}}", "calendar.short_days")])
def test_a_date_with_a_time_of_day_says_which_date_was_meant(tmp_path, written, field):
    text = SMALL.read_text().replace("start: 2026-07-01", "start: 2026-07-01\n" + written
                                     if written.startswith("calendar") else written)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert f": {field}" in message and "(a date has no time of day)" in message, message
    assert "Datetimes provided to dates" not in message


def test_a_date_at_midnight_or_in_quotes_is_still_a_date(tmp_path):
    for written in ("start: 2026-07-01 00:00:00", "start: '2026-07-01'", "start: ' 2026-07-01 '"):
        path = tmp_path / "s.yaml"
        path.write_text(SMALL.read_text().replace("start: 2026-07-01", written), encoding="utf-8")
        assert load_scenario(path).start.isoformat() == "2026-07-01", written


# --- 10. working hours and times of day written another way get a guess -------------------------------


@pytest.mark.parametrize(("written", "meant"), [
    ("9-18", "09:00-18:00"), ("9.00-18.00", "09:00-18:00"), ("09:00 - 18:00", "09:00-18:00"),
    ("09:00\u201318:00", "09:00-18:00"), ("09:00\u201402:00", "09:00-02:00"), ("9h-18h", "09:00-18:00"),
    ("Closed", "closed")])
def test_working_hours_written_another_way_say_what_was_meant(tmp_path, written, meant):
    doc = small_doc()
    doc["calendar"] = {"sat": written}
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert ": calendar.sat: expected hours such as '09:00-21:00' or 'closed'" in message, message
    assert message.endswith(f"did you mean '{meant}'?"), message


@pytest.mark.parametrize("written", ["9-9", "24-9", "nine to six", "09:00-25:00"])
def test_hours_that_read_as_no_hours_get_no_guess(tmp_path, written):
    doc = small_doc()
    doc["calendar"] = {"sat": written}
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2 and "did you mean" not in error_line(result.output), result.output


@pytest.mark.parametrize(("written", "meant"), [("9.00", "09:00"), ("9", "09:00"), ("9h", "09:00"),
                                                ("09.30", "09:30"), ("25:00", None), ("09:60", None)])
def test_a_shift_start_written_another_way_says_what_was_meant(tmp_path, written, meant):
    doc = small_doc()
    doc["team"]["shifts"][0]["start"] = written
    result = cli("validate", write(tmp_path, doc))
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert ": team.shifts[0].start: expected a time of day such as '09:00'" in message, message
    assert (f"did you mean '{meant}'?" in message) if meant else ("did you mean" not in message), message


def _with(tmp_path: Path, old: str, new: str) -> object:
    """``validate`` on small.yaml with its first ``old`` replaced by ``new``."""
    path = tmp_path / "s.yaml"
    text = SMALL.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return cli("validate", path)


# --- 11. a value is said as written (not Python's None, True, datetime.date); durations in other units -


SHOWN_AS_WRITTEN = [
    ('name: "Small test team"', "name:", "name: expected text, got nothing (the value is empty)"),
    ("seed: 7", "seed: yes", "seed: expected a whole number, got true (YAML reads a bare yes, no, on or off"),
    ("horizon_days: 21", "horizon_days: on", "horizon_days: expected a whole number of days, got true"),
    ("cpl: 500", "cpl:", "channels[0].cpl: expected a number such as 0.15, 15%"),
    ("leads_per_day: 20", "leads_per_day:", "channels[1].leads_per_day: expected a number or a distribution"),
    ("tenure_days: 400}", "tenure_days: 2025-01-01}", "expected a whole number, got the date 2025-01-01"),
    ("month: 2026-07,", "month: ,", "months[0].month: expected a month such as '2026-07', got nothing"),
    ('pattern: "5/2"', "pattern: off", "team.shifts[0].pattern: expected text, got false (YAML reads"),
    # a duration in months, years or Russian units: no guess before
    ('lead_ttl: "3d"', 'lead_ttl: "3 дня"', "expected a duration such as 90 (minutes)"),
    ('lead_ttl: "3d"', 'lead_ttl: "3 дня"', "got '3 дня'; did you mean '3 days'?"),
    ('"30m"', '"30 мин"', "got '30 мин'; did you mean '30 minutes'?"),
    ('"3h"', '"3 часа"', "got '3 часа'; did you mean '3 hours'?"),
    ("tenure_days: 400}", "tenure_days: '1 year'}", "did you mean 365? (1 year is about 365 days)"),
    ("tenure_days: 400}", "tenure_days: '6 мес.'}", "did you mean 183? (6 months is about 183 days)"),
    ("horizon_days: 21", "horizon_days: 3 months", "did you mean 91? (3 months is about 91 days)"),
]
"""(text in small.yaml, what replaces it, what the error says)."""


# --- 12. a plan month or a monthly target given as a day other than the 1st ---------------------------


@pytest.mark.parametrize(("where", "written"), [("plan", "2026-07-15"), ("plan", "'2026-07-15'"),
                                                ("target", "2026-07-15"), ("plan", "2026-07-01 10:00:00")])
def test_a_day_other_than_the_first_is_no_month(tmp_path, where, written):
    text = SMALL.read_text()
    if where == "plan":
        text = text.replace("month: 2026-07,", f"month: {written},")
    else:
        text = text.replace("revenue_plan: 9_000_000", f"revenue_plan: {{{written}: 9M}}")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 2, result.output  # it was read as July without a word: the 15 dropped
    message = error_line(result.output)
    field = "plans[1].months[0].month" if where == "plan" else "revenue_plan.2026-07-"
    assert f": {field}" in message and "did you mean '2026-07'?" in message, message


def test_the_first_of_a_month_is_that_month(tmp_path):
    text = SMALL.read_text().replace("month: 2026-07,", "month: 2026-07-01,")
    text = text.replace("revenue_plan: 9_000_000", "revenue_plan: {2026-07-01: 9M}")
    scenario = parse_scenario(text)
    assert scenario.plans[1].months[0].month == "2026-07" and scenario.revenue_plan_months == {"2026-07": 9e6}


# --- 13. decimal commas in a flow list or mapping: YAML splits 0,6 into the items 0 and 6 --------------


def test_decimal_commas_in_a_list_are_said_item_by_item(tmp_path):
    result = _with(tmp_path, "p_contact: [0.6, 0.4, 0.3, 0.25]", "p_contact: [0,6, 0,4, 0,3, 0,25]")
    assert result.exit_code == 2, result.output
    said = flat(result.output)
    for index, meant in ((1, "0.6"), (3, "0.4"), (5, "0.3"), (7, "0.25")):  # were "did you mean 0.06 (6%)?"
        assert re.search(rf"touch_chain\.p_contact\[{index}\]: expected a probability in \[0, 1\], got \d+; "
                         rf"did you mean {re.escape(meant)}\? \(YAML reads the comma", said), said
    assert "(6%)" not in said


def test_decimal_commas_that_leave_a_valid_list_are_an_error(tmp_path):
    result = _with(tmp_path, "cpl: 300", "cpl: 300\n    weekday_profile: [1,2, 1, 1, 1, 0,8]")
    assert result.exit_code == 2, result.output  # seven items, 1 2 1 1 1 0 8: accepted as a weekday profile
    said = "channels[1].weekday_profile: 1,2 is two items, 1 and 2; did you mean 1.2?"
    assert said in error_line(result.output), result.output


def test_a_decimal_comma_in_a_flow_mapping_is_said_at_its_key(tmp_path):
    result = _with(tmp_path, 'decay: {half_life: "4h", floor: 0.4}', 'decay: {half_life: "4h", floor: 0,4}')
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert "touch_chain.decay[4]: expected a key written as text, got 4; did you mean 0.4?" in message
    assert "Keys should be strings" not in message


def test_a_list_spaced_alike_is_no_decimal_comma(tmp_path):
    old = "hour_profile: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]"
    compact = "hour_profile: [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0]"
    assert _with(tmp_path, old, compact).exit_code == 0


@pytest.mark.parametrize(("old", "careless"), [
    ('offsets: ["0m", "30m", "3h", "1d"]', "offsets: [0, 30,180, 1440]"),  # minutes: 30,180 is no 30.18
    ("cpl: 300", "cpl: 300\n    weekday_profile: [1, 1, 1, 1, 1, 0,0]"),  # 0,0 would be no decimal
])
def test_whole_numbers_spaced_carelessly_are_no_decimal_comma(tmp_path, old, careless):
    result = _with(tmp_path, old, careless)
    assert result.exit_code == 0, result.output


# --- 14. command-line numbers get the guesses a scenario's do -----------------------------------------


@pytest.mark.parametrize(("option", "value", "meant"), [
    ("--min-p-plan", "80", "did you mean 0.8 (80%)?"),
    ("--min-p-plan", "0,8", "did you mean 0.8? (a comma only groups thousands)"),
    ("--budget", "5 000 000", "did you mean 5000000?"),
    ("--budget", "5 млн", "did you mean 5M?"),
])
def test_optimize_options_say_what_was_meant(tmp_path, option, value, meant):
    result = cli("optimize", write(tmp_path, small_doc()), "-n", "1", "--workers", "1", option, value)
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert f"{option}: expected" in message and meant in message, message


def test_a_funnel_stage_written_as_a_percentage_says_what_was_meant():
    result = cli("funnel", "--stage", "contact=50", "--stage", "qualify=0.5")
    assert result.exit_code == 2, result.output
    assert error_line(result.output).endswith("got '50'; did you mean 0.5 (50%)?"), result.output




@pytest.mark.parametrize(("old", "new", "said"), SHOWN_AS_WRITTEN)
def test_a_value_is_said_as_written_with_what_was_meant(tmp_path, old, new, said):
    result = _with(tmp_path, old, new)
    assert result.exit_code == 2, result.output
    message = error_line(result.output)
    assert said in message, message
    assert not re.search(r"\bNone\b|\bTrue\b|\bFalse\b|datetime\.", message), message


def test_a_unit_that_is_no_time_gets_no_guess(tmp_path):
    result = _with(tmp_path, 'lead_ttl: "3d"', 'lead_ttl: "3 parsecs"')
    assert result.exit_code == 2 and "did you mean" not in error_line(result.output), result.output
