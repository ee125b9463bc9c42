"""What keeping freed memory (simsales.montecarlo.memory) saves, side by side, on this machine.

    python benchmarks/bench_memory.py [--json] [--replications N] [--rounds K]

Runs replications of scenarios/q3.yaml (every plan, the fast engine, the
whole pipeline as ``montecarlo.replicate`` runs it) in fresh child
processes, alternately with glibc's defaults and with
``keep_freed_memory()``, ``--rounds`` times each, and reports per
replication: minor page faults, wall-clock milliseconds, and the fast
engine's share of both.  The numbers simulated are the same either way.

No assertion: the figures are in docs/engines.md and the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Q3 = ROOT / "scenarios" / "q3.yaml"


def child(keep: bool, replications: int) -> dict:
    """In this (fresh) process: replications 1..N of q3, timed, faults counted."""
    from simsales import montecarlo
    from simsales.engines.fast import engine as fast
    from simsales.montecarlo.memory import keep_freed_memory
    from simsales.scenario.loader import load_scenario

    applied = keep_freed_memory() if keep else False
    q3 = load_scenario(Q3)
    engine = {"faults": 0, "s": 0.0}
    simulate = fast.simulate

    def timed(world, rng, **kwargs):  # the engine's share, measured around each call
        f0, t0 = faults(), time.perf_counter()
        out = simulate(world, rng, **kwargs)
        engine["s"] += time.perf_counter() - t0
        engine["faults"] += faults() - f0
        return out

    montecarlo.replicate(q3, q3.plans, 0, q3.seed, "fast")  # warm up (numba cache, imports)
    fast.simulate = timed  # montecarlo.replicate looks the engine up on every call
    f0, t0 = faults(), time.perf_counter()
    for r in range(1, replications + 1):
        montecarlo.replicate(q3, q3.plans, r, q3.seed, "fast")
    wall, total = time.perf_counter() - t0, faults() - f0
    return {"keep_freed_memory": applied, "replication_ms": 1e3 * wall / replications,
            "faults_per_replication": total / replications,
            "engine_ms_per_replication": 1e3 * engine["s"] / replications,
            "engine_faults_per_replication": engine["faults"] / replications}


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def run(replications: int, rounds: int) -> dict:
    runs: dict[str, list[dict]] = {"default": [], "keep": []}
    for _ in range(rounds):
        for mode in ("default", "keep"):
            cmd = [sys.executable, __file__, "--child", mode, "--replications", str(replications)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs[mode].append(json.loads(done.stdout))
    out = {"scenario": str(Q3.relative_to(ROOT)), "replications": replications, "rounds": rounds}
    for mode, rows in runs.items():
        out[mode] = {key: statistics.median(row[key] for row in rows)
                     for key in rows[0] if key != "keep_freed_memory"}
        out[mode]["keep_freed_memory"] = all(row["keep_freed_memory"] for row in rows)
    out["replication_speedup"] = out["default"]["replication_ms"] / out["keep"]["replication_ms"]
    out["engine_speedup"] = (out["default"]["engine_ms_per_replication"]
                             / out["keep"]["engine_ms_per_replication"])
    return out


def table(result: dict) -> str:
    lines = [f"{result['scenario']}, fast engine, {result['replications']} replications x "
             f"{result['rounds']} rounds (medians), per replication:", "",
             f"{'':28}{'glibc default':>15}{'keep freed':>15}{'ratio':>8}"]
    rows = [("page faults", "faults_per_replication", ".0f"),
            ("milliseconds", "replication_ms", ".1f"),
            ("engine page faults", "engine_faults_per_replication", ".0f"),
            ("engine milliseconds", "engine_ms_per_replication", ".1f")]
    for label, key, fmt in rows:
        a, b = result["default"][key], result["keep"][key]
        ratio = f"{a / b:7.2f}x" if b else ""
        lines.append(f"{label:28}{a:>15{fmt}}{b:>15{fmt}}{ratio}")
    if not result["keep"]["keep_freed_memory"]:
        lines += ["", "(not glibc: keep_freed_memory() had no effect here)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--replications", type=int, default=20,
                        help="replications per child process (default 20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="child processes per setting, alternating (default 3)")
    parser.add_argument("--child", choices=("default", "keep"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child == "keep", args.replications)))
        return
    result = run(args.replications, args.rounds)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
