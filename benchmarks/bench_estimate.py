"""How close the run-time estimate (simsales.montecarlo.estimate) comes to the time a run takes here.

    python benchmarks/bench_estimate.py [--json] [--replications N] [--des-replications N]

For each shipped scenario: the fast engine runs ``--replications`` replications of every plan in
this process (the whole pipeline, as ``simsales run --workers 1`` would, after one replication
that loads the compiled engine), and the reference engine one plan of q3 for
``--des-replications``; each wall time is set against ``estimate_run``'s for the same run (without
its start-up allowance).  A ratio of 1 is a perfect estimate; the estimate claims a factor of two.

The fit at the end solves the fast engine's two per-unit costs (per lead and plan, per manager-day)
from the scenarios' measured times, the reference's per-lead costs scaled by q3's ratio: the
figures to write into the constants of ``simsales/montecarlo/estimate.py``.

No assertion: the figures are in the constants' docstrings and the README.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simsales import montecarlo  # noqa: E402
from simsales.montecarlo import estimate  # noqa: E402
from simsales.montecarlo.executors import InProcessExecutor  # noqa: E402
from simsales.montecarlo.memory import keep_freed_memory  # noqa: E402
from simsales.scenario.loader import load_scenario  # noqa: E402

SCENARIOS = ("q3", "big")


def timed(scenario, plans: list[str], replications: int, engine: str) -> dict:
    """Wall seconds of a run in this process, against the estimate of the same run."""
    chosen = [scenario.plan(p) for p in plans]
    guess = estimate.estimate_run(scenario, chosen, replications, engine, workers=1)
    start = time.perf_counter()
    montecarlo.run(scenario, plans=plans, replications=replications, engine=engine,
                   executor=InProcessExecutor(), seed=scenario.seed + 1)
    wall = time.perf_counter() - start
    estimated = guess.seconds - estimate.START_SECONDS
    return {"plans": len(plans), "replications": replications, "leads": guess.leads,
            "manager_days": guess.manager_days, "measured_s": wall, "estimated_s": estimated,
            "ratio": wall / estimated}


def fit_fast(rows: list[dict]) -> tuple[float, float]:
    """Per lead-and-plan and per manager-day seconds that reproduce the measured times (least squares)."""
    a = np.array([[r["leads"], r["manager_days"]] for r in rows])
    b = np.array([r["measured_s"] / (r["plans"] * r["replications"]) - estimate.SECONDS_PER_PLAN
                  for r in rows])
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(x[0]), float(x[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--replications", type=int, default=10,
                        help="fast-engine replications per scenario (default 10)")
    parser.add_argument("--des-replications", type=int, default=1,
                        help="reference-engine replications of q3's first plan (default 1; 0 skips it)")
    args = parser.parse_args()
    keep_freed_memory()
    result: dict = {"fast": {}, "des": {}}
    for name in SCENARIOS:
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        plans = [p.name for p in scenario.plans]
        montecarlo.run(scenario, plans=plans[:1], replications=1, executor=InProcessExecutor())  # warm
        result["fast"][name] = timed(scenario, plans, args.replications, "fast")
    per_lead, per_manager_day = fit_fast(list(result["fast"].values()))
    result["fit"] = {"FAST_SECONDS_PER_LEAD": per_lead, "FAST_SECONDS_PER_MANAGER_DAY": per_manager_day}
    if args.des_replications:
        q3 = load_scenario(ROOT / "scenarios" / "q3.yaml")
        result["des"]["q3"] = timed(q3, [q3.plans[0].name], args.des_replications, "des")
        result["fit"]["des_scale"] = result["des"]["q3"]["ratio"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for engine in ("fast", "des"):
        for name, r in result[engine].items():
            print(f"{engine:>5} {name:>4}: {r['plans']} plans x {r['replications']} replications, "
                  f"{r['leads']:,.0f} leads: measured {r['measured_s']:.1f} s, estimated "
                  f"{r['estimated_s']:.1f} s, ratio {r['ratio']:.2f}")
    fit = result["fit"]
    print(f"fit: FAST_SECONDS_PER_LEAD {fit['FAST_SECONDS_PER_LEAD'] * 1e6:.2f} us, "
          f"FAST_SECONDS_PER_MANAGER_DAY {fit['FAST_SECONDS_PER_MANAGER_DAY'] * 1e6:.2f} us"
          + (f", the reference's costs x {fit['des_scale']:.2f}" if "des_scale" in fit else ""))


if __name__ == "__main__":
    main()
