"""A replication's work outside the engine, old code against new, side by side.

    python benchmarks/bench_pipeline.py [--old /work/main] [--new .] [--rounds 5] [--replications 6]

Times :func:`simsales.montecarlo.replication.replicate` on scenarios/q3.yaml
(plans hold, steady, aggressive) and scenarios/big.yaml (hold, steady,
grow_teams), one process, after a replication that compiles and warms up.
Per plan-replication it reports the whole ``replicate`` wall time, the time
outside the compiled loop (``run_split`` / ``run_loop``: the roster, shifts,
warm-up, the engine's preparation, deals and metrics) and the time outside
the engine's ``simulate`` altogether.  Each round runs the old code and the
new one in fresh processes, alternately (``PYTHONPATH``), and each side's
best round is reported: the machine is shared, only ratios measured side by
side mean anything.  ``--child`` runs one side and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {"q3": ("scenarios/q3.yaml", ("hold", "steady", "aggressive")),
         "big": ("scenarios/big.yaml", ("hold", "steady", "grow_teams"))}


def child(replications: int) -> dict:
    """Time this process's code (whatever ``simsales`` imports): ms per plan-replication per case."""
    import simsales.engines.fast.loop as fast_loop
    import simsales.engines.fast.split as fast_split
    import simsales.montecarlo.replication as replication
    from simsales.scenario.loader import load_scenario

    spent = {"loop": 0.0, "engine": 0.0}

    def timed(fn, key):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - t0
        return run

    fast_split.run_split = timed(fast_split.run_split, "loop")
    fast_loop.run_loop = timed(fast_loop.run_loop, "loop")
    get_engine = replication.get_engine
    replication.get_engine = lambda name: timed(get_engine(name), "engine")
    out = {}
    for label, (path, names) in CASES.items():
        scenario = load_scenario(ROOT / path)
        plans = [p for p in scenario.plans if p.name in names]
        replication.replicate(scenario, plans, 0, 1, "fast")  # compile, warm caches
        spent["loop"] = spent["engine"] = 0.0
        t0 = time.perf_counter()
        for r in range(1, replications + 1):
            replication.replicate(scenario, plans, r, 1, "fast")
        total = time.perf_counter() - t0
        runs = replications * len(plans)
        out[label] = {"total_ms": 1e3 * total / runs,
                      "outside_loop_ms": 1e3 * (total - spent["loop"]) / runs,
                      "outside_engine_ms": 1e3 * (total - spent["engine"]) / runs}
    return out


def main() -> None:
    """Alternate old and new in fresh processes; print each side's best per figure, and the ratios."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", default="/work/main")
    ap.add_argument("--new", default=str(ROOT))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--replications", type=int, default=6)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.replications)))
        return
    best: dict[str, dict] = {"old": {}, "new": {}}
    for _ in range(args.rounds):
        for side in ("old", "new"):
            env = dict(os.environ, PYTHONPATH=str(Path(getattr(args, side)).resolve()))
            command = [sys.executable, __file__, "--child", "--replications", str(args.replications)]
            text = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            for label, figures in json.loads(text.splitlines()[-1]).items():
                mine = best[side].setdefault(label, {})
                for key, ms in figures.items():
                    mine[key] = min(ms, mine.get(key, float("inf")))
    if args.json:
        print(json.dumps(best, indent=1))
        return
    for label in CASES:
        print(f"{label}: ms per plan-replication, best of {args.rounds} rounds (old -> new, new/old)")
        for key in ("total_ms", "outside_loop_ms", "outside_engine_ms"):
            old, new = best["old"][label][key], best["new"][label][key]
            print(f"  {key:18s} {old:8.1f} -> {new:8.1f}  {new / old:5.2f}")


if __name__ == "__main__":
    main()
