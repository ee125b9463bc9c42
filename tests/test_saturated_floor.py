"""A floor busy every minute of every shift reads utilisation 1 and idle 0 exactly, in both engines.

The minutes of hundreds of thousands of calls summed per manager came out 1e-14 off the shift minutes:
utilisation 0.99999999999998 (or just over 1) and idle_share 1.7e-14 (or -2e-14, shown as "-0.0%").
The snap is only for rounding: a floor with a minute idle keeps its figure.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from simsales.cli import app

from .conftest import DATA


def run_floor(tmp_path, leads_per_day: int, engine: str) -> pd.DataFrame:
    text = (DATA / "capacity_bound.yaml").read_text(encoding="utf-8")
    assert "leads_per_day: 160" in text
    scenario = tmp_path / f"floor_{leads_per_day}.yaml"
    scenario.write_text(text.replace("leads_per_day: 160", f"leads_per_day: {leads_per_day}"))
    out = tmp_path / f"out_{leads_per_day}_{engine}"
    outcome = CliRunner().invoke(app, ["run", str(scenario), "-n", "2", "--workers", "1", "--engine", engine,
                                       "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    return pd.read_csv(out / "replications_hold.csv")


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_a_saturated_floor_is_busy_exactly_all_its_shift_time(tmp_path, engine):
    full = run_floor(tmp_path, 3000, engine)  # some 20 times what five managers can call
    assert (full["utilisation"] == 1.0).all() and (full["idle_share"] == 0.0).all(), full
    split = full["talk_share_actual"] + full["dial_share_actual"] + full["crm_share_actual"]
    assert split.to_numpy() == pytest.approx(1.0, abs=1e-9)


def test_a_floor_with_time_to_spare_keeps_its_idle_minutes(tmp_path):
    spare = run_floor(tmp_path, 40, "fast")
    assert (spare["utilisation"] < 0.99).all() and (spare["idle_share"] > 0.01).all()
    assert (spare["utilisation"] + spare["idle_share"]).to_numpy() == pytest.approx(1.0, abs=1e-12)
