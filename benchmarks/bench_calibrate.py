"""`simsales calibrate` on an export of about 1 million leads and 5 million calls: wall time and peak memory.

    python benchmarks/bench_calibrate.py [--json] [--leads N] [--folder DIR] [--keep]

Makes the export with the same code as ``simsales run --events``
(:func:`simsales.montecarlo.events.simulate_events`): a department of
about 90 managers taking 1,100 leads a day for 92 days, with a long touch
chain and low contact chances (about 5 attempts per lead), so one
replication holds about 100,000 leads.  The reference engine plays one
replication at a time (its event log of a million leads would not fit in
memory comfortably, and it runs at roughly 10-20 thousand leads a second),
so the export is several replications' events concatenated, each with its
own id prefix (``r3-L000042``) and start date moved on by the horizon, as
if the department had run for ``replications x 92`` days; the staff table
holds each replication's people under their own ids.

Then times ``simsales calibrate DIR -o FILE`` in a child process (wall
seconds, and its peak resident memory from ``getrusage``).  The targets
(issue 14): under 60 s and under 4 GB on the project machine (2 cores).
The export is made once and kept in ``--folder`` (default
``/tmp/simsales-bench-calibrate``) when ``--keep`` is given; making it
is timed and reported too.

No assertion: the figures go to the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEPARTMENT = {
    "name": "Benchmark department", "start": "2026-01-05", "horizon_days": 92, "seed": 20260105,
    "calendar": {"default": "09:00-21:00"},
    "channels": [
        {"name": "context_ads", "leads_per_day": 650, "nontarget_share": 0.12, "cpl": 650,
         "weekday_profile": [1.1, 1.08, 1.05, 1.0, 0.95, 0.9, 0.92], "overdispersion": 0.02},
        {"name": "social", "leads_per_day": 350, "nontarget_share": 0.2, "cpl": 420, "quality": 0.85},
        {"name": "webinars", "leads_per_day": 100, "nontarget_share": 0.05, "cpl": 900, "quality": 1.25},
    ],
    "routing": {"policy": "weighted", "onboarding_days": 5},
    "touch_chain": {"offsets": ["0m", "10m", "1h", "3h", "1d", "2d", "4d", "6d"],
                    "p_contact": [0.3, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05],
                    "decay": {"half_life": "6h", "floor": 0.4}, "dial_minutes": 0.5,
                    "call_minutes": {"lognormal": {"mean": 8, "sd": 4}}, "lead_ttl": "7d"},
    "funnel": {"qualify": 0.45, "offer": {"p": 0.42, "delay_days": {"exponential": 1},
                                          "call_minutes": {"lognormal": {"mean": 25, "sd": 10}}},
               "installment_share": 0.55, "invoice_paid": {"p": 0.85, "delay_days": {"exponential": 2}},
               "link_filled": {"p": 0.72, "delay_days": {"exponential": 1}},
               "bank_approved": {"p": 0.85, "delay_days": {"exponential": 1.5}},
               "refunds": {"share": 0.05, "window_days": 14},
               "price": {"check": {"normal": [62000, 12000], "min": 20000}, "bank_commission": 0.07}},
    "team": {"team_leads": [{"name": f"tl{i}", "tenure_days": 700} for i in range(9)],
             "managers": [{"team_lead": f"tl{i}", "count": 10, "tenure_days": 300} for i in range(9)],
             "shifts": [{"name": "weekday", "pattern": "5/2", "start": "09:00", "hours": 9, "share": 0.5},
                        {"name": "long", "pattern": "2/2", "start": "09:00", "hours": 12, "share": 0.5}],
             "talk_share": 0.65, "skill": {"lognormal": {"mean": 1.0, "sd": 0.2}},
             "ramp": {"months": [0.4, 0.7, 0.9]},
             "attrition": {"monthly": 0.03, "probation_monthly": 0.1}, "span_max": 12},
    "plans": [{"name": "hold"}],
}
"""About 100,000 leads and 500,000 calls per replication (92 days)."""


def make_export(folder: Path, leads: int) -> dict:
    """Concatenate replications' events until ``leads`` leads, write them as CSV; return what it took."""
    import pandas as pd

    from simsales.crm.export import Export
    from simsales.crm.write import write_export
    from simsales.montecarlo.events import simulate_events
    from simsales.scenario.loader import parse_scenario

    tables: dict[str, list] = {}
    n = calls = 0
    t0 = time.perf_counter()
    engine_s = []
    r = 0
    while n < leads:
        doc = dict(DEPARTMENT, start=(dt.date(2026, 1, 5) + dt.timedelta(days=92 * r)).isoformat())
        scenario = parse_scenario(yaml.safe_dump(doc, sort_keys=False), "<benchmark>")
        t = time.perf_counter()
        run = simulate_events(scenario, "hold", replication=r, id_prefix=f"r{r}-")
        engine_s.append(time.perf_counter() - t)
        for name, frame in run.export.tables().items():
            tables.setdefault(name, []).append(frame)
        n += len(run.export.leads)
        calls += len(run.export.calls)
        print(f"  replication {r}: {len(run.export.leads):,} leads, {len(run.export.calls):,} calls, "
              f"{engine_s[-1]:.1f} s", file=sys.stderr)
        r += 1
        del run
    merged = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    export = Export(tz="UTC", **{name: merged.get(name) for name in ("leads", "stages", "calls", "staff",
                                                                     "payments", "shifts")})
    t = time.perf_counter()
    write_export(export, folder)
    write_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in folder.iterdir())
    return {"replications": r, "leads": n, "calls": calls, "stages": len(merged["stages"]),
            "events_s": round(sum(engine_s), 1), "events_s_per_replication": round(sum(engine_s) / r, 1),
            "write_s": round(write_s, 1), "make_s": round(time.perf_counter() - t0, 1),
            "csv_mb": round(size / 2**20)}


def time_calibrate(folder: Path) -> dict:
    """``simsales calibrate`` on the folder in a child process: wall seconds and peak memory."""
    out = folder.parent / (folder.name + "-calibrated.yaml")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "simsales", "calibrate", str(folder), "-o", str(out)],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"exit": proc.returncode, "wall_s": round(wall, 1),
            "peak_mb": round(max(peak_kb, before) / 1024),
            "stderr_tail": proc.stderr.strip().splitlines()[-3:]}


def main() -> None:
    """Make the export (unless kept from an earlier run), time the calibration, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the export (about)")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/simsales-bench-calibrate"))
    parser.add_argument("--keep", action="store_true", help="reuse the export in --folder if it is there")
    args = parser.parse_args()
    made = None
    if not (args.keep and (args.folder / "leads.csv").exists()):
        made = make_export(args.folder, args.leads)
    timed = time_calibrate(args.folder)
    figures = {"export": made, "calibrate": timed, "targets": {"wall_s": 60, "peak_mb": 4096}}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    if made:
        print(f"export: {made['leads']:,} leads, {made['calls']:,} calls, {made['stages']:,} stage entries "
              f"({made['replications']} replications of 92 days, {made['csv_mb']} MB of CSV); the reference "
              f"engine took {made['events_s']} s ({made['events_s_per_replication']} s a replication), "
              f"writing {made['write_s']} s, {made['make_s']} s in all")
    print(f"simsales calibrate: exit {timed['exit']}, {timed['wall_s']} s wall, peak {timed['peak_mb']} MB "
          f"(targets: under 60 s, under 4096 MB)")
    if timed["exit"]:
        print("\n".join(timed["stderr_tail"]))


if __name__ == "__main__":
    main()
