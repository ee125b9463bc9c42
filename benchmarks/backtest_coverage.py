"""How often does a backtest's P10-P90 band hold what happened, on departments whose truth is known?

    python benchmarks/backtest_coverage.py [SCENARIO] [--departments N] [--until DAY ...] [--days N]
        [--replications N] [--first-seed S] [--base] [--json]

Plays ``--departments`` departments of the scenario's first plan (replication 0 under seeds
1000, 1001, ..., or from ``--first-seed``) with the reference engine and writes each one's CRM export
(:func:`simsales.montecarlo.events.simulate_events`, what ``simsales run --events`` writes).  On each
export, for each ``--until`` day (days after the scenario's start, default 45 and 62), it runs two
forecasts of the next ``--days`` days (default 14):

* **calibrated**: what ``simsales backtest`` does (:func:`simsales.analysis.backtest.backtest`):
  calibrate on the export up to the date, forecast from the export's open pipeline (with ``--base``,
  the scenario itself is the calibration's base: ``simsales backtest --base``);
* **truth**: the true scenario with the staff the export shows at the date, from the same pipeline
  (:func:`simsales.analysis.backtest.against`): the control.  Its coverage is what a perfect
  calibration could reach; the gap between the two is the calibration's.

For each it reports the share of actual weekly numbers inside the forecast's P10-P90 (nominal 80%),
per metric and overall, and each metric's median bias (forecast P50 over actual, minus one).
Departments are independent; weeks and metrics within one are not, so read the overall coverage
with its spread over departments (printed).

No assertion: the figures go to the README ("How well it does on departments whose truth is known").
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simsales.analysis.backtest import BACKTEST_METRICS, against, backtest, scaled, scenario_of  # noqa: E402
from simsales.montecarlo.events import simulate_events  # noqa: E402
from simsales.scenario.loader import load_scenario  # noqa: E402
from simsales.scenario.uncertain import mean_of  # noqa: E402
from simsales.world.calendar import DAYS_PER_MONTH  # noqa: E402


def truth_document(doc: dict, calibrated: dict) -> dict:
    """The true scenario with the staff the export shows (from the calibration), one plan, ``hold``.

    It starts on the calibration's start, the day after the data; each channel's volume, given at the
    scenario's own start, is carried there by its mean growth (as the backtest carries a calibrated one).
    """
    truth = copy.deepcopy(doc)
    was, now = dt.date.fromisoformat(str(doc["start"])), dt.date.fromisoformat(str(calibrated["start"]))
    for channel, parsed in zip(truth["channels"], scenario_of(doc).channels, strict=True):
        growth = (1.0 + mean_of(parsed.growth_per_month)) ** ((now - was).days / DAYS_PER_MONTH)
        channel["leads_per_day"] = scaled(channel["leads_per_day"], growth)
    truth["start"] = calibrated["start"]
    truth["plans"] = [{"name": "hold"}]
    for key in ("team_leads", "managers"):
        truth["team"][key] = calibrated["team"][key]
    truth["team"]["span_max"] = max(int(doc["team"].get("span_max", 10)),
                                    int(calibrated["team"].get("span_max", 10)))
    return truth


def summary(results: list) -> dict:
    """Coverage overall and per metric, the spread over departments, and the median bias per metric."""
    inside = {m: [] for m in BACKTEST_METRICS}
    bias = {m: [] for m in BACKTEST_METRICS}
    per_run = []
    for bt in results:
        per_run.append(bt.coverage)
        for m in BACKTEST_METRICS:
            known = bt.compared(m)
            inside[m] += list(bt.inside(m)[known])
            p50 = bt.quantiles(m)[1][known]
            actual = bt.actual[m][known]
            bias[m] += list(p50 / np.where(actual > 0, actual, np.nan) - 1.0)
    every = [x for m in BACKTEST_METRICS for x in inside[m]]
    return {
        "coverage": float(np.mean(every)) if every else float("nan"),
        "coverage_per_backtest": [round(float(c), 3) for c in per_run],
        "per_metric": {m: float(np.mean(inside[m])) if inside[m] else math.nan for m in BACKTEST_METRICS},
        "median_bias": {m: float(np.nanmedian(bias[m])) if bias[m] else math.nan for m in BACKTEST_METRICS},
        "weekly_numbers": len(every),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "q3.yaml"))
    parser.add_argument("--departments", type=int, default=3)
    parser.add_argument("--until", type=int, nargs="+", default=[45, 62],
                        help="days after the scenario's start whose end is the last day of data")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--first-seed", type=int, default=1000,
                        help="department d is replication 0 under seed FIRST_SEED + d")
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--base", action="store_true", help="calibrate with the scenario as the base")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    path = Path(args.scenario)
    scenario = load_scenario(path)
    doc = yaml.safe_load(path.read_text())
    started = time.perf_counter()
    calibrated_runs, truth_runs = [], []
    for d in range(args.departments):
        run = simulate_events(scenario, scenario.plans[0].name, 0, seed=args.first_seed + d)
        for day in args.until:
            until = scenario.start + dt.timedelta(days=day - 1)
            extra = {"base": doc} if args.base else {}
            bt = backtest(run.export, until, days=args.days, replications=args.replications, seed=d, **extra)
            calibrated_runs.append(bt)
            from simsales.calibrate import calibrate

            staff = calibrate(run.export, until=until).document
            truth_runs.append(against(run.export, truth_document(doc, staff), until, days=args.days,
                                      replications=args.replications, seed=d))
            print(f"department {d}, until {until}: calibrated {bt.coverage:.2f}, "
                  f"truth {truth_runs[-1].coverage:.2f}", file=sys.stderr, flush=True)
    result = {
        "scenario": path.name, "departments": args.departments, "until_days": args.until, "days": args.days,
        "replications": args.replications, "first_seed": args.first_seed, "base": args.base,
        "calibrated": summary(calibrated_runs), "truth": summary(truth_runs),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{path.name}: {args.departments} departments x {len(args.until)} dates, {args.days} days "
          f"forecast, {args.replications} replications ({result['seconds']} s)")
    for name in ("calibrated", "truth"):
        s = result[name]
        print(f"  {name:10s} coverage {100 * s['coverage']:.0f}% of {s['weekly_numbers']} weekly numbers "
              f"(per backtest {s['coverage_per_backtest']})")
        for m in BACKTEST_METRICS:
            print(f"    {m:15s} inside {100 * s['per_metric'][m]:4.0f}%   P50 vs actual "
                  f"{100 * s['median_bias'][m]:+5.1f}%")


if __name__ == "__main__":
    main()
