"""A forecast from the open pipeline against the simulation it was cut from (README, "A forecast that starts
from today's open pipeline", the larger check).

``python benchmarks/pipeline_forecast.py [DEPARTMENTS] [REPLICATIONS] [ENGINE]`` (default 12 60 fast):
benchmarks/pipeline_forecast.yaml (small.yaml with 12 managers, its uncertain numbers fixed) is played by
the reference engine ``DEPARTMENTS`` times for 40 days and exported (``run --events``' tables); each export
is cut on day 20 and its open pipeline forecast for the next 7 days (``REPLICATIONS`` replications, the mean
of each); printed per metric: the actual and forecast means over the departments and their ratio, with one
standard error of the ratio.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from simsales.analysis.backtest_weeks import actual_weeks, forecast_weeks
from simsales.crm.pipeline import open_at
from simsales.crm.read import read_export
from simsales.crm.write import write_export
from simsales.montecarlo.events import simulate_events
from simsales.scenario.loader import parse_scenario

SCENARIO = Path(__file__).with_name("pipeline_forecast.yaml")
CUT_DAY, DAYS = 20, 7
KEYS = ("total_invoices", "won", "revenue_net", "qualified", "contacts")


def main(departments: int = 12, replications: int = 60, engine: str = "fast") -> None:
    """Play, cut, forecast and compare (see the module docstring)."""
    first = yaml.safe_load(SCENARIO.read_text())
    cut = dt.date.fromisoformat(str(first["start"])) + dt.timedelta(days=CUT_DAY)
    second = copy.deepcopy(first)
    second.update(start=cut.isoformat(), horizon_days=DAYS)
    for group in second["team"]["managers"] + second["team"]["team_leads"]:
        group["tenure_days"] += CUT_DAY  # the same people, 20 days on
    played, forecast = (parse_scenario(yaml.safe_dump(d), name) for d, name in ((first, "<played>"),
                                                                              (second, "<forecast>")))
    actual, predicted = {k: [] for k in KEYS}, {k: [] for k in KEYS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(departments):
            folder = Path(tmp) / f"department{r}"
            write_export(simulate_events(played, replication=100 + r).export, folder)
            export = read_export(folder)
            weeks = actual_weeks(export, [(cut, cut + dt.timedelta(days=DAYS))])
            open_leads = open_at(export, cut)
            runs = [forecast_weeks(forecast, i, 11, 1, DAYS, engine=engine, open_leads=open_leads)
                    for i in range(replications)]
            for k in KEYS:
                actual[k].append(float(weeks[k][0]))
                predicted[k].append(float(np.mean([run[k][0] for run in runs])))
            print(f"department {r}: {len(open_leads)} open leads at the cut", flush=True)
    print(f"{departments} departments, cut on day {CUT_DAY}, {DAYS} days forecast, {replications} "
          f"replications, engine {engine}")
    for k in KEYS:
        a, m = np.array(actual[k]), np.array(predicted[k])
        se = np.std(a - m, ddof=1) / np.sqrt(a.size) / a.mean() if a.size > 1 else float("nan")
        print(f"  {k:<15} actual {a.mean():>12,.1f}  forecast {m.mean():>12,.1f}  "
              f"ratio {m.mean() / a.mean():.2f} ± {se:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(*(int(a) for a in args[:2]), *args[2:3])
