"""The README documents what the code does: every metric, every command."""

from __future__ import annotations

from simsales.cli import app
from simsales.montecarlo.metrics import METRICS

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_metric_is_documented():
    missing = [name for name in METRICS if f"| `{name}` |" not in README]
    assert not missing


def test_every_command_is_documented():
    import typer.main

    group = typer.main.get_command(app)
    missing = [name for name in group.commands if f"simsales {name}" not in README]
    assert not missing


def test_the_routing_table_in_the_readme_is_the_policy_table():
    from simsales.scenario.policies import ROUTING_POLICIES

    documented = [line.strip() for line in README.splitlines() if line.strip().startswith("| `")]
    for policy in ROUTING_POLICIES:
        assert f"| `{policy.name}` | {policy.description} |" in documented, policy.name
