"""How fast ``read_export`` reads a big export: 1 million leads, 5 million calls (issue 14's size).

Makes the export once (vectorised, seeded) in a folder, then reads it in a
fresh process and reports the seconds and the peak memory (max RSS).

    python benchmarks/bench_crm_read.py [--leads 1000000] [--calls 5000000] [--format csv|parquet] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TZ = "Europe/Moscow"


def make(folder: Path, n_leads: int, n_calls: int, fmt: str) -> None:
    from simsales.crm.export import Export
    from simsales.crm.write import write_export

    rng = np.random.default_rng(14)
    start = pd.Timestamp("2026-01-01", tz=TZ)
    ids = pd.Series(np.char.add("L", np.arange(n_leads).astype(str)), dtype="str")
    created = start + pd.to_timedelta(np.sort(rng.integers(0, 90 * 86400, n_leads)), unit="s")
    managers = np.char.add("m", rng.integers(0, 200, n_leads).astype(str))
    depth = rng.choice([1, 2, 3, 4, 6], n_leads, p=[0.3, 0.2, 0.25, 0.15, 0.1])
    status = np.where(depth == 6, "won", np.where(rng.random(n_leads) < 0.5, "lost", "open"))
    leads = pd.DataFrame(
        {
            "lead_id": ids,
            "created_at": pd.Series(created),
            "channel": pd.Series(rng.choice(["ads", "seo", "partners"], n_leads), dtype="str"),
            "manager_id": pd.Series(managers, dtype="str"),
            "status": pd.Series(status, dtype="str"),
            "loss_reason": pd.Series(None, index=ids.index, dtype="str"),
            "nontarget": pd.Series(rng.random(n_leads) < 0.1, dtype="boolean"),
            "price": np.full(n_leads, 50000.0),
        }
    )
    path = np.array(["assigned", "in_work", "contact", "qualified", "invoice", "won"])
    lead_of = np.repeat(np.arange(n_leads), depth)
    step = np.arange(len(lead_of)) - np.repeat(np.cumsum(depth) - depth, depth)
    stages = pd.DataFrame(
        {
            "lead_id": pd.Series(ids.to_numpy()[lead_of], dtype="str"),
            "stage": pd.Series(path[step], dtype="str"),
            "entered_at": pd.Series(created[lead_of] + pd.to_timedelta(step * 600, unit="s")),
        }
    )
    call_lead = np.sort(rng.integers(0, n_leads, n_calls))
    calls = pd.DataFrame(
        {
            "lead_id": pd.Series(ids.to_numpy()[call_lead], dtype="str"),
            "manager_id": pd.Series(managers[call_lead], dtype="str"),
            "started_at": pd.Series(
                created[call_lead] + pd.to_timedelta(rng.integers(0, 5 * 86400, n_calls), unit="s")
            ),
            "duration_s": rng.exponential(120, n_calls).round(),
            "answered": rng.random(n_calls) < 0.4,
            "kind": pd.Series("call", index=range(n_calls), dtype="str"),
        }
    )
    staff = pd.DataFrame(
        {
            "manager_id": pd.Series([f"m{i}" for i in range(200)], dtype="str"),
            "team_lead_id": pd.Series(None, index=range(200), dtype="str"),
            "role": pd.Series("manager", index=range(200), dtype="str"),
            "hired_at": pd.Series(pd.Timestamp("2025-01-01"), index=range(200)).astype("datetime64[ns]"),
            "left_at": pd.Series(pd.NaT, index=range(200), dtype="datetime64[ns]"),
        }
    )
    write_export(Export(leads, stages, calls, staff, None, None, TZ), folder, format=fmt)


def read(folder: Path) -> None:
    from simsales.crm.read import read_export

    began = time.perf_counter()
    export = read_export(folder, tz=TZ)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(json.dumps({"seconds": round(seconds, 2), "peak_mib": round(peak), **export.counts()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--read", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read(args.read)
        return
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench_crm_"))
    if not (folder / f"leads.{args.format}").exists():
        began = time.perf_counter()
        make(folder, args.leads, args.calls, args.format)
        print(f"made {folder} in {time.perf_counter() - began:.1f} s")
    sizes = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"{sizes:.0f} MiB of {args.format}")
    subprocess.run([sys.executable, __file__, "--read", str(folder)], check=True)


if __name__ == "__main__":
    main()
