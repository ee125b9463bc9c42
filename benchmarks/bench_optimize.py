"""`simsales optimize` against an exhaustive search, and its wall time on q3 and big.yaml with the defaults.

    python benchmarks/bench_optimize.py [--json] [--replications N] [--months 2026-07,2026-08]
                                        [--workers N] [--skip-exhaustive] [--skip-default]

1. **A small space, searched both ways.**  scenarios/q3.yaml with hires
   opening only in ``--months`` (default July and August): every hire-N
   plan the span rule allows as written and every headcount-target plan
   (``headcount: N`` in those months; backfill, which hires in every month,
   is outside a ``--months`` search) the check worlds allow.  The
   exhaustive search simulates every one of them on ``--replications``
   replications (default 100) of the scenario's seed and takes the best
   mean margin; the optimiser runs with the same seed and the same most
   replications per plan.  Printed: both counts of plan-replications, both
   answers, and the gap between them measured on the exhaustive run's own
   replications (with the paired standard error: the replications are the
   same, common random numbers).
2. **The default command.**  ``simsales optimize FILE --objective margin``
   with nothing else, on scenarios/q3.yaml and scenarios/big.yaml, each in
   a fresh process (imports and the compiled engine's cache included),
   timed with a wall clock; with the command's own estimate of the race.

No assertion: the figures go in the README.  The machine is shared; say so
when quoting them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Q3 = ROOT / "scenarios" / "q3.yaml"
BIG = ROOT / "scenarios" / "big.yaml"

# `simsales optimize` through the app, registered here if the app does not have it yet.
COMMAND = """
import sys
from simsales.cli import app
from simsales.cli import optimize
if "optimize" not in {c.name for c in app.registered_commands}:
    optimize.register(app)
sys.argv = ["simsales", "optimize", *sys.argv[1:]]
app()
"""


def small_space(replications: int, months: tuple[str, ...], workers: int) -> dict:
    """Both searches of q3's plans hiring in ``months`` only; their counts and answers."""
    import numpy as np

    from simsales import montecarlo
    from simsales.analysis.optimize import Settings, optimize
    from simsales.analysis.optimize_model import ExpectedValueModel
    from simsales.analysis.optimize_space import Limits, Space, hiring_terms
    from simsales.analysis.optimize_targets import TargetSpace
    from simsales.scenario.loader import load_scenario

    q3 = load_scenario(Q3)
    limits = Limits(months=months)
    space = Space(q3, hiring_terms(q3), limits)
    targets = TargetSpace(space, ExpectedValueModel(q3)).enumerate(limit=None) or []
    candidates = [*space.enumerate(limit=None), *targets]
    plans = [c.plan(f"c{i}", space.months, space.terms) for i, c in enumerate(candidates)]
    t0 = time.perf_counter()
    run = montecarlo.run(q3.model_copy(update={"plans": plans}), replications=replications, seed=q3.seed,
                         workers=workers)
    exhaustive_s = time.perf_counter() - t0
    margin = np.array([run.plans[p.name].metrics["margin"].to_numpy() for p in plans])
    best = int(np.argmax(margin.mean(axis=1)))

    t0 = time.perf_counter()
    outcome = optimize(q3, Settings(limits=limits, replications=replications, workers=workers))
    optimiser_s = time.perf_counter() - t0
    chosen = candidates.index(outcome.top[0].candidate)
    gap = margin[chosen] - margin[best]
    rank = int((margin.mean(axis=1) > margin[chosen].mean()).sum()) + 1
    return {
        "space": len(candidates), "targets": len(targets), "replications": replications,
        "months": list(months),
        "exhaustive": {"plan_replications": len(candidates) * replications, "seconds": exhaustive_s,
                       "best": candidates[best].describe(space.months),
                       "best_margin": float(margin[best].mean())},
        "optimiser": {"plan_replications": outcome.plan_replications, "seconds": optimiser_s,
                      "candidates_simulated": outcome.candidates, "rounds": outcome.rounds,
                      "best": outcome.top[0].candidate.describe(space.months),
                      "p_best": outcome.top[0].p_best},
        "same_plan": chosen == best,
        "gap_on_exhaustive_replications": {"mean": float(gap.mean()),
                                           "se": float(gap.std(ddof=1) / math.sqrt(replications)),
                                           "rank_of_optimiser_choice": rank},
    }


def default_command(file: Path) -> dict:
    """``simsales optimize FILE --objective margin`` in a fresh process, timed; its estimate of the race."""
    t0 = time.perf_counter()
    args = [sys.executable, "-c", COMMAND, str(file), "--objective", "margin", "--format", "json"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    doc = json.loads(done.stdout)
    estimate = next((line for line in done.stderr.splitlines() if "enter the race" in line), "")
    return {"file": file.name, "seconds": seconds, "plan_replications": doc["plan_replications"],
            "candidates": doc["candidates"], "scored": doc["scored"], "best": doc["top"][0]["label"],
            "p_best": doc["top"][0]["p_best"], "replications": doc["top"][0]["replications"],
            "estimate": estimate}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--replications", type=int, default=100, help="the most per plan, both searches")
    parser.add_argument("--months", default="2026-07,2026-08", help="months the small space hires in")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-exhaustive", action="store_true")
    parser.add_argument("--skip-default", action="store_true")
    args = parser.parse_args()
    figures: dict = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg()}
    if not args.skip_exhaustive:
        figures["small_space"] = small_space(args.replications, tuple(args.months.split(",")), args.workers)
    if not args.skip_default:
        figures["default"] = [default_command(Q3), default_command(BIG)]
    figures["load_average_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['cpus']} CPUs; load average before {figures['load_average_before'][0]:.2f}, "
          f"after {figures['load_average_after'][0]:.2f} (a shared machine: the times vary)")
    if "small_space" in figures:
        s = figures["small_space"]
        e, o, g = s["exhaustive"], s["optimiser"], s["gap_on_exhaustive_replications"]
        print(f"small space: q3, hires in {', '.join(s['months'])}: {s['space']} plans "
              f"({s['targets']} of them headcount targets), at most {s['replications']} replications each")
        print(f"  exhaustive: {e['plan_replications']:,} plan-replications, {e['seconds']:.0f} s; "
              f"best {e['best']} (mean margin {e['best_margin']:,.0f})")
        print(f"  optimiser:  {o['plan_replications']:,} plan-replications "
              f"({e['plan_replications'] / o['plan_replications']:.1f}x fewer), {o['seconds']:.0f} s; "
              f"{o['candidates_simulated']} plans simulated; best {o['best']}, P(best) {o['p_best']:.2f}")
        print(f"  same plan: {s['same_plan']}; the optimiser's choice ranks {g['rank_of_optimiser_choice']} "
              f"on the exhaustive run, {g['mean']:+,.0f} ± {g['se']:,.0f} (SE) below its best")
    for d in figures.get("default", []):
        print(f"simsales optimize scenarios/{d['file']} --objective margin: {d['seconds']:.0f} s wall; "
              f"{d['plan_replications']:,} plan-replications, {d['candidates']} plans simulated of "
              f"{d['scored']} scored; best {d['best']}, P(best) {d['p_best']:.2f}, "
              f"{d['replications']} replications")
        print(f"  its estimate: {d['estimate'].strip()}")


if __name__ == "__main__":
    main()
