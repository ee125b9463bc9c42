"""Both engines on scenarios/q3.yaml, side by side, on this machine.

    python benchmarks/bench_engines.py [--json] [--replications N] [--only scaling|cold-start|compile]

Measures, in one run:

* ``des_leads_per_s`` / ``fast_leads_per_s``: leads simulated per second of
  engine time, on the same worlds (every plan of the first replications of
  q3: the same leads, rosters and parameters for both engines); ``speedup``
  is their ratio.  The engines take turns world by world, so that both
  see the shared machine in the same state; the fast engine runs each
  world 20 times (one run takes it a few milliseconds) and pays for its
  per-lead draws on the first plan of each replication, reusing them for
  the other plans, as in a real run.
* ``speedup_phase_a`` (with ``des_leads_per_s_phase_a`` and
  ``fast_leads_per_s_phase_a``): the same on q3 with every rule of issue
  12's phase A switched on (:func:`q3_with_phase_a`: CRM minutes per event,
  min_shift_left, a daily cap, a ramp share, unreachable leads, contact
  factors, a short non-target call, skill weights, an evening shift past
  midnight).
* ``speedup_handover`` (with ``des_leads_per_s_handover`` and
  ``fast_leads_per_s_handover``): the same on q3 with the hand-over of leads
  whose owner is off (:func:`q3_with_handover`: ``routing.handover_after_hours``
  at ``--handover-hours``, 0 by default: every evening, the most hand-overs).
* ``speedup_big`` (with ``des_leads_per_s_big`` and ``fast_leads_per_s_big``):
  the same on scenarios/big.yaml (150 managers, every plan of its first
  replication), side by side in the same run.
* ``des_replication_s`` / ``fast_replication_s`` and ``pipeline_speedup``:
  the same for a whole replication (every plan: roster, engine, deals,
  metrics), in this process.
* ``fast_q3_wall_s``: ``montecarlo.run`` of q3, every plan, 1000
  replications, default workers, wall clock (process start-up and numba
  cache loading in the workers included); ``fast_peak_rss_mb`` the peak
  resident memory of that run (this process or its largest worker).
* ``scaling``: fast engine time per simulated lead for teams of 20, 40, 80,
  160 and 250 managers, with the lead volume scaled with the team (the
  sizes take turns, three rounds, each its best).
* ``policies``: both engines on the first replication of q3 (every plan)
  under each routing policy: the fast engine runs each manager alone under
  ``round_robin`` and ``weighted`` and one event loop under the others.
* ``cold_start_extra_s``: how much longer the first run after an install
  takes: ``simsales run scenarios/q3.yaml -n 20`` in a fresh process with an
  empty ``NUMBA_CACHE_DIR`` (numba compiles the engine) against the same
  command again in a fresh process (it loads the cache); both wall times in
  ``cold_start``.
* ``dask_vs_local``: the same run of q3 (every plan, ``--dask-replications``)
  on a 2-worker Dask ``LocalCluster`` against the local 2-process pool, one
  run each, side by side; the ratio of wall times (above 1: Dask is
  slower), each including its start (the cluster's, the pool's).

``--only`` measures one part alone: ``scaling``, ``cold-start``, or
``compile`` (not in the full run): each loop's first call on q3's first
world in a fresh process with an empty ``NUMBA_CACHE_DIR`` (``weighted``:
the per-manager loop; ``least_loaded``: the event loop), then the engine
alone on that replication's worlds, microseconds per lead.

The process first calls ``keep_freed_memory()``, as every process that
runs replications does (simsales.montecarlo.memory; benchmarks/bench_memory.py
measures what it saves): both engines are timed as users run them.

No assertion: the targets are in docs/engines.md and the README.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simsales import montecarlo  # noqa: E402
from simsales.engines import get_engine  # noqa: E402
from simsales.engines.contract import ReplicationCache  # noqa: E402
from simsales.montecarlo.memory import keep_freed_memory  # noqa: E402
from simsales.montecarlo.pool import PoolExecutor  # noqa: E402
from simsales.scenario import Scenario  # noqa: E402
from simsales.scenario.loader import load_scenario, parse_scenario  # noqa: E402
from simsales.scenario.policies import POLICY_NAMES  # noqa: E402
from simsales.scenario.uncertain import resolve  # noqa: E402
from simsales.world.arrivals import generate_leads  # noqa: E402
from simsales.world.roster import build_roster  # noqa: E402
from simsales.world.world import World  # noqa: E402

Q3 = ROOT / "scenarios" / "q3.yaml"
BIG = ROOT / "scenarios" / "big.yaml"  # 150 managers: speedup_big
TEAM_SIZES = (20, 40, 80, 160, 250)
POLICIES = POLICY_NAMES  # every routing policy, from the one table
FAST_REPEATS = 20  # the fast engine runs the reference's worlds this many times (timer resolution)


def worlds(scenario: Scenario, replications: int) -> list[tuple[int, World]]:
    """Every plan of the first ``replications`` replications, as engines see them."""
    out = []
    for r in range(replications):
        resolved = resolve(scenario, montecarlo.stream(scenario.seed, r, "params"))
        leads = generate_leads(resolved.channels, resolved.start, resolved.horizon_days,
                               montecarlo.stream(scenario.seed, r, "arrivals"))
        for plan in resolved.plans:
            roster = build_roster(resolved, plan, montecarlo.stream(scenario.seed, r, "team"))
            out.append((r, World(resolved, leads, roster)))
    return out


def engine_time(engine: str, cases: list[tuple[int, World]], seed: int) -> tuple[float, int]:
    """Seconds of engine time and leads simulated over ``cases``."""
    simulate = get_engine(engine)
    simulate(cases[0][1], montecarlo.stream(seed, cases[0][0], "dynamics"))  # warm up
    start, leads = time.perf_counter(), 0
    for r, world in cases:
        simulate(world, montecarlo.stream(seed, r, "dynamics"))
        leads += len(world.leads)
    return time.perf_counter() - start, leads


def side_by_side(cases: list[tuple[int, World]], seed: int,
                 repeats: int = FAST_REPEATS) -> tuple[float, float, int]:
    """Seconds of reference and of fast engine time per lead-run, world by world.

    The engines take turns on each world (the reference once, the fast
    engine ``repeats`` times), so both see the machine in the same state.
    The fast engine pays for its per-lead draws on the first plan of each
    replication, as in a real run, and reuses them for the other plans.
    Returns ``(des_s, fast_s, leads)``: the fast time is per repeat.
    """
    des, fast_simulate = get_engine("des"), get_engine("fast")
    des(cases[0][1], montecarlo.stream(seed, cases[0][0], "dynamics"))  # warm up
    fast_simulate(cases[0][1], montecarlo.stream(seed, cases[0][0], "dynamics"))
    des_s = fast_s = 0.0
    leads = 0
    cache = ReplicationCache()
    for k, (r, world) in enumerate(cases):
        start = time.perf_counter()
        des(world, montecarlo.stream(seed, r, "dynamics"))
        des_s += time.perf_counter() - start
        first_plan = k == 0 or cases[k - 1][0] != r
        for _ in range(repeats):
            if first_plan:
                cache = ReplicationCache()  # a new replication: its per-lead draws are paid for
            start = time.perf_counter()
            fast_simulate(world, montecarlo.stream(seed, r, "dynamics"), cache=cache)
            fast_s += time.perf_counter() - start
        leads += len(world.leads)
    return des_s, fast_s / repeats, leads


def replication_time(scenario: Scenario, engine: str, replications: int) -> float:
    """Seconds per replication (every plan) of the whole pipeline, in this process."""
    montecarlo.replicate(scenario, scenario.plans, 0, scenario.seed, engine)
    start = time.perf_counter()
    for r in range(1, replications + 1):
        montecarlo.replicate(scenario, scenario.plans, r, scenario.seed, engine)
    return (time.perf_counter() - start) / replications


def peak_rss_mb() -> float:
    """Peak resident memory of this process or its largest finished child, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def scaled_q3(n_managers: int) -> Scenario:
    """q3 with ``n_managers`` managers (team leads and lead volume scaled alike), plan hold."""
    doc = yaml.safe_load(Q3.read_text())
    factor = n_managers / sum(g["count"] for g in doc["team"]["managers"])
    copies = math.ceil(factor)
    leads_, groups = [], []
    for c in range(copies):
        leads_ += [{**tl, "name": f"{tl['name']}{c}"} for tl in doc["team"]["team_leads"]]
        groups += [{**g, "team_lead": f"{g['team_lead']}{c}",
                    "count": round(g["count"] * factor / copies)} for g in doc["team"]["managers"]]
    groups[-1]["count"] += n_managers - sum(g["count"] for g in groups)
    doc["team"]["team_leads"], doc["team"]["managers"] = leads_, groups
    for channel in doc["channels"]:
        volume = channel["leads_per_day"]
        channel["leads_per_day"] = ({k: [x * factor for x in v] for k, v in volume.items()}
                                    if isinstance(volume, dict) else volume * factor)
    doc["plans"] = [{"name": "hold"}]
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), f"<q3 x{factor:g}>")


def q3_with_policy(policy: str) -> Scenario:
    """q3 with another routing policy."""
    doc = yaml.safe_load(Q3.read_text())
    doc["routing"]["policy"] = policy
    if policy == "shared_queue":  # nobody is assigned a lead there: the limits on whom do not apply
        for limit in ("min_shift_left", "max_new_per_day", "ramp_share"):
            doc["routing"].pop(limit, None)
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), f"<q3, {policy}>")


def q3_with_phase_a() -> Scenario:
    """q3 with every rule of issue 12's phase A switched on, at values a head of sales would set."""
    doc = yaml.safe_load(Q3.read_text())
    doc["calendar"] = {"default": "09:00-01:00", "sun": "10:00-19:00"}
    doc["routing"].update(min_shift_left=30, max_new_per_day=30, ramp_share=0.6)
    for channel, factor in zip(doc["channels"], (1.0, 0.9, 1.2), strict=True):
        channel.update(unreachable_share=0.05, contact_factor=factor)
    doc["touch_chain"]["nontarget_call_minutes"] = 2
    doc["team"]["crm_minutes"] = {"attempt": 0.5, "contact": 2, "offer": 3}
    doc["team"]["skill_weights"] = {"qualify": 0.5, "offer": 1.0, "close": 0.5}
    doc["team"]["shifts"] = [
        {"name": "weekday", "pattern": "5/2", "start": "09:00", "hours": 9, "share": 0.4},
        {"name": "long", "pattern": "2/2", "start": "09:00", "hours": 12, "share": 0.4},
        {"name": "evening", "pattern": "2/2", "start": "16:00", "hours": 9, "share": 0.2}]
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<q3, phase A on>")


def q3_with_handover(hours: float) -> Scenario:
    """q3 (a copy; scenarios/q3.yaml keeps the rule off) with ``routing.handover_after_hours``."""
    doc = yaml.safe_load(Q3.read_text())
    doc["routing"]["handover_after_hours"] = hours
    return parse_scenario(yaml.safe_dump(doc, sort_keys=False), f"<q3, hand-over after {hours:g} h>")


def policy_speedups() -> list[dict]:
    """Both engines on replication 0 of q3 (every plan) under every routing policy."""
    rows = []
    for policy in POLICIES:
        sc = q3_with_policy(policy)
        des_s, fast_s, leads = side_by_side(worlds(sc, 1), sc.seed)
        rows.append({"policy": policy, "des_leads_per_s": leads / des_s,
                     "fast_leads_per_s": leads / fast_s, "speedup": des_s / fast_s})
    return rows


def cold_start(replications: int = 20) -> dict:
    """Wall time of the same command with numba's cache empty (first run) and full (second run)."""
    command = [sys.executable, "-m", "simsales", "run", str(Q3), "-n", str(replications),
               "--format", "json"]
    walls = {}
    with tempfile.TemporaryDirectory(prefix="simsales-numba-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for name in ("cold", "warm"):
            start = time.perf_counter()
            subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
            walls[f"{name}_s"] = time.perf_counter() - start
    return {"command": f"simsales run scenarios/q3.yaml -n {replications}", **walls,
            "extra_s": walls["cold_s"] - walls["warm_s"]}


def compile_child(policy: str) -> dict:
    """In this fresh process, numba's cache empty: q3's first world under ``policy``, compiled, then timed."""
    q3 = load_scenario(Q3)
    scenario = q3 if policy == q3.routing.policy else q3_with_policy(policy)
    cases = worlds(scenario, 1)
    simulate = get_engine("fast")
    start = time.perf_counter()
    simulate(cases[0][1], montecarlo.stream(scenario.seed, cases[0][0], "dynamics"))  # compiles the loop
    compile_s = time.perf_counter() - start
    best = min(engine_time("fast", cases, scenario.seed) for _ in range(3))
    return {"policy": policy, "compile_s": compile_s, "fast_us_per_lead": 1e6 * best[0] / best[1]}


def compile_times() -> list[dict]:
    """The first call's compile time of each loop (``weighted``: run_split, ``least_loaded``: run_loop).

    Each in a fresh process with an empty ``NUMBA_CACHE_DIR``, then the engine alone on q3's first
    replication's worlds (best of 3), microseconds per lead.
    """
    rows = []
    for policy in ("weighted", "least_loaded"):
        with tempfile.TemporaryDirectory(prefix="simsales-numba-") as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            done = subprocess.run([sys.executable, __file__, "--compile-child", policy], check=True,
                                  capture_output=True, text=True, env=env)
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    return rows


def cold_start_line(c: dict) -> str:
    """One line of text for :func:`cold_start`'s result."""
    return (f"cold start ({c['command']}): first run {c['cold_s']:.1f} s, second {c['warm_s']:.1f} s: "
            f"{c['extra_s']:.1f} s extra")


def dask_vs_local(replications: int) -> dict | None:
    """The same q3 run on the local 2-process pool and on a 2-worker LocalCluster; None without Dask."""
    try:
        from simsales.montecarlo.dask_executor import DaskExecutor, batch_size_for
    except ImportError:
        return None
    q3 = load_scenario(Q3)
    start = time.perf_counter()
    local = montecarlo.run(q3, replications=replications, executor=PoolExecutor(2))
    local_s = time.perf_counter() - start
    per_replication = replication_time(q3, "fast", 3)
    size = max(1, min(batch_size_for(per_replication), -(-replications // 8)))
    start = time.perf_counter()
    with DaskExecutor(workers=2) as dask:
        remote = montecarlo.run(q3, replications=replications, executor=dask, batch_size=size)
    dask_s = time.perf_counter() - start
    same = all(local.plans[p].metrics.equals(remote.plans[p].metrics) for p in local.plans)
    return {"replications": replications, "local_s": local_s, "dask_s": dask_s, "batch_size": size,
            "ratio": dask_s / local_s, "same_numbers": same}


def scaling(rounds: int = 3) -> list[dict]:
    """Fast engine time per simulated lead, q3's team and lead volume scaled together (3 worlds each).

    The team sizes take turns, ``rounds`` times, and each keeps its best round: a slow spell of
    this shared machine then falls on every size alike, or on none (one pass per size took a
    spell on whichever size it fell on).
    """
    scenarios = {n: scaled_q3(n) for n in TEAM_SIZES}
    cases = {n: worlds(sc, 3) for n, sc in scenarios.items()}
    best, leads = dict.fromkeys(TEAM_SIZES, math.inf), {}
    for _ in range(rounds):
        for n in TEAM_SIZES:
            secs, leads[n] = engine_time("fast", cases[n], scenarios[n].seed)
            best[n] = min(best[n], secs)
    return [{"managers": n, "leads_per_replication": leads[n] // 3,
             "fast_us_per_lead": 1e6 * best[n] / leads[n]} for n in TEAM_SIZES]


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model or platform.processor(),
            "python": platform.python_version()}


def run(replications: int, des_worlds: int, with_policies: bool = True, with_cold_start: bool = True,
        dask_replications: int = 200, handover_hours: float = 0.0) -> dict:
    kept = keep_freed_memory()
    q3 = load_scenario(Q3)
    get_engine("fast")  # import (and load the compiled loop) before timing the run
    start = time.perf_counter()
    montecarlo.run(q3, replications=replications, engine="fast", workers=montecarlo.default_workers())
    wall = time.perf_counter() - start
    rss = peak_rss_mb()

    cases = worlds(q3, max(des_worlds, 1))
    des_s, fast_s, leads = side_by_side(cases, q3.seed)
    phase_a = q3_with_phase_a()
    des_a, fast_a, leads_a = side_by_side(worlds(phase_a, max(des_worlds, 1)), phase_a.seed)
    handover = q3_with_handover(handover_hours)
    des_h, fast_h, leads_h = side_by_side(worlds(handover, max(des_worlds, 1)), handover.seed)
    big = load_scenario(BIG)
    des_b, fast_b, leads_b = side_by_side(worlds(big, 1), big.seed)  # one replication: the reference is slow
    des_rep = replication_time(q3, "des", 1)
    fast_rep = replication_time(q3, "fast", 10)

    dask = dask_vs_local(dask_replications) if dask_replications else None
    cold = cold_start() if with_cold_start else None  # after the peak memory: its child compiles
    return {
        "scenario": str(Q3.relative_to(ROOT)),
        "machine": machine(),
        "keep_freed_memory": kept,
        "des_leads_per_s": leads / des_s,
        "fast_leads_per_s": leads / fast_s,
        "speedup": des_s / fast_s,
        "des_leads_per_s_phase_a": leads_a / des_a,
        "fast_leads_per_s_phase_a": leads_a / fast_a,
        "speedup_phase_a": des_a / fast_a,
        "handover_hours": handover_hours,
        "des_leads_per_s_handover": leads_h / des_h,
        "fast_leads_per_s_handover": leads_h / fast_h,
        "speedup_handover": des_h / fast_h,
        "des_leads_per_s_big": leads_b / des_b,
        "fast_leads_per_s_big": leads_b / fast_b,
        "speedup_big": des_b / fast_b,
        "des_replication_s": des_rep,
        "fast_replication_s": fast_rep,
        "pipeline_speedup": des_rep / fast_rep,
        "fast_q3_replications": replications,
        "fast_q3_workers": montecarlo.default_workers(),
        "fast_q3_wall_s": wall,
        "fast_peak_rss_mb": rss,
        "scaling": scaling(),
        "policies": policy_speedups() if with_policies else [],
        "cold_start": cold,
        "cold_start_extra_s": cold["extra_s"] if cold else None,
        "dask_vs_local": dask["ratio"] if dask else None,
        "dask": dask,
    }


def table(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"simsales engines on {result['scenario']} ({m['cpus']} x {m['cpu_model']}, "
        f"Python {m['python']}; freed memory kept: {'yes' if result['keep_freed_memory'] else 'no'})",
        "",
        f"{'':32}{'des':>14}{'fast':>14}{'ratio':>10}",
        f"{'engine, leads per second':32}{result['des_leads_per_s']:>14,.0f}"
        f"{result['fast_leads_per_s']:>14,.0f}{result['speedup']:>9.0f}x",
        f"{'  the same, phase A rules on':32}{result['des_leads_per_s_phase_a']:>14,.0f}"
        f"{result['fast_leads_per_s_phase_a']:>14,.0f}{result['speedup_phase_a']:>9.0f}x",
        f"{'  the same, hand-over after ' + format(result['handover_hours'], 'g') + ' h':32}"
        f"{result['des_leads_per_s_handover']:>14,.0f}"
        f"{result['fast_leads_per_s_handover']:>14,.0f}{result['speedup_handover']:>9.0f}x",
        f"{'  scenarios/big.yaml':32}{result['des_leads_per_s_big']:>14,.0f}"
        f"{result['fast_leads_per_s_big']:>14,.0f}{result['speedup_big']:>9.0f}x",
        f"{'replication (all plans), s':32}{result['des_replication_s']:>14.3f}"
        f"{result['fast_replication_s']:>14.3f}{result['pipeline_speedup']:>9.0f}x",
        "",
        f"fast, all plans x {result['fast_q3_replications']} replications, "
        f"{result['fast_q3_workers']} workers: {result['fast_q3_wall_s']:.1f} s wall, "
        f"peak memory {result['fast_peak_rss_mb']:.0f} MB",
        "",
        f"{'managers':>10}{'leads/replication':>20}{'fast, us per lead':>20}",
    ]
    lines += [f"{row['managers']:>10}{row['leads_per_replication']:>20,}{row['fast_us_per_lead']:>20.2f}"
              for row in result["scaling"]]
    if result["cold_start"]:
        lines += ["", cold_start_line(result["cold_start"])]
    if result["dask"]:
        d = result["dask"]
        lines += ["", f"q3 x {d['replications']} on 2 workers: local pool {d['local_s']:.1f} s, Dask "
                      f"LocalCluster {d['dask_s']:.1f} s (batches of {d['batch_size']}): "
                      f"{d['ratio']:.2f}x; same numbers: {'yes' if d['same_numbers'] else 'NO'}"]
    if result["policies"]:
        lines += ["", "replication 0 of q3 (every plan) per routing policy, leads per second:",
                  f"{'policy':>14}{'des':>12}{'fast':>14}{'ratio':>8}"]
        lines += [f"{row['policy']:>14}{row['des_leads_per_s']:>12,.0f}{row['fast_leads_per_s']:>14,.0f}"
                  f"{row['speedup']:>7.0f}x" for row in result["policies"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--replications", type=int, default=1000,
                        help="replications of the timed q3 run (default 1000)")
    parser.add_argument("--des-replications", type=int, default=2,
                        help="replications of q3 the reference engine runs (default 2)")
    parser.add_argument("--no-policies", action="store_true",
                        help="skip the per-routing-policy comparison (about a minute)")
    parser.add_argument("--no-cold-start", action="store_true",
                        help="skip the cold-start measure (numba compiles the engine: about a minute)")
    parser.add_argument("--dask-replications", type=int, default=200,
                        help="replications of the Dask against local run (default 200; 0 skips it)")
    parser.add_argument("--handover-hours", type=float, default=0.0,
                        help="routing.handover_after_hours in the hand-over measure (default 0)")
    parser.add_argument("--only", choices=["scaling", "cold-start", "compile"],
                        help="measure only this part (scaling: a few minutes; cold-start: the first run "
                             "after an install against the second, about a minute; compile: each loop's "
                             "compile time and speed, about two minutes)")
    parser.add_argument("--compile-child", help=argparse.SUPPRESS)  # compile_times' fresh process
    parser.add_argument("--quick", action="store_true",
                        help="a quick check that everything runs: few replications, no policies")
    args = parser.parse_args()
    if args.only == "scaling":
        keep_freed_memory()
        get_engine("fast")  # import (and load the compiled loop) before timing
        rows = scaling()
        lines = [f"{'managers':>10}{'leads/replication':>20}{'fast, us per lead':>20}"]
        lines += [f"{r['managers']:>10}{r['leads_per_replication']:>20,}{r['fast_us_per_lead']:>20.2f}"
                  for r in rows]
        text = "\n".join(lines)
        print(json.dumps({"machine": machine(), "scaling": rows}, indent=2) if args.json else text)
        return
    if args.compile_child:
        print(json.dumps(compile_child(args.compile_child)))
        return
    if args.only == "compile":
        rows = compile_times()
        lines = [f"{r['policy']:>14}: compiled in {r['compile_s']:.1f} s, then "
                 f"{r['fast_us_per_lead']:.2f} us per lead" for r in rows]
        text = "\n".join(lines)
        print(json.dumps({"machine": machine(), "compile": rows}, indent=2) if args.json else text)
        return
    if args.only == "cold-start":
        c = cold_start()
        measured = {"machine": machine(), "cold_start": c, "cold_start_extra_s": c["extra_s"]}
        print(json.dumps(measured, indent=2) if args.json else cold_start_line(c))
        return
    if args.quick:
        args.replications, args.des_replications, args.no_policies = 20, 1, True
        args.dask_replications = min(args.dask_replications, 20)
    result = run(args.replications, args.des_replications, not args.no_policies, not args.no_cold_start,
                 args.dask_replications, args.handover_hours)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
